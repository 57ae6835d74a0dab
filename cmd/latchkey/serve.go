package main

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

type serveOptions struct {
	listen, publicURL, dataDir, databaseURL string
	adminTokenFile                          string
	keycloakURL, keycloakRealm              string
	keycloakClientID, keycloakSecretFile    string
	caFile, defaultTeam, logLevel           string

	upstream, upstreamKeyFile      string
	gatewayPaths, trustedProxies   []string
	upstreamDialTimeout            time.Duration
	upstreamHeaderTimeout          time.Duration
	keyCacheTTL, userCheckInterval time.Duration
	metricsListen                  string
}

func newServeCommand(env map[string]string) *cobra.Command {
	var o serveOptions
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the latchkey server (web sign-in, profile, admin pages, API)",
		Long: `Run the latchkey server.

Every flag can also be set in the environment: --public-url is LATCHKEY_PUBLIC_URL,
and so on. A flag on the command line wins over the environment.

Secrets never go in flags: the admin token comes from LATCHKEY_ADMIN_TOKEN or
--admin-token-file (or is generated on first start and printed once), the
Keycloak client secret from LATCHKEY_KEYCLOAK_CLIENT_SECRET or
--keycloak-client-secret-file, the master key from LATCHKEY_SECRET_KEY or the
key file in the data directory.

With --upstream, latchkey is also the gateway to the inference server: the
plugin-facing paths (--gateway-paths) need a valid plugin key and are passed
on with the upstream's own key (LATCHKEY_UPSTREAM_API_KEY or
--upstream-api-key-file) and the caller in X-Latchkey-Account and
X-Latchkey-Team. GET /api/v1/auth/verify answers forward-auth requests from
nginx, Traefik or Caddy. --metrics-listen serves Prometheus metrics on an
address of its own.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return serve(cmd.Context(), o, env, cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.listen, "listen", "127.0.0.1:8008", "address to listen on")
	f.StringVar(&o.publicURL, "public-url", "", "URL under which people reach this server (default http://<listen>)")
	f.StringVar(&o.dataDir, "data-dir", defaultDataDir(env), "directory for the database and the master key file")
	f.StringVar(&o.databaseURL, "database-url", "", "database: a SQLite file path or sqlite:PATH (default <data-dir>/latchkey.db)")
	f.StringVar(&o.adminTokenFile, "admin-token-file", "", "file holding the admin token (else LATCHKEY_ADMIN_TOKEN, else one is generated)")
	f.StringVar(&o.keycloakURL, "keycloak-url", "", "preset Keycloak Server Url (validated at start)")
	f.StringVar(&o.keycloakRealm, "keycloak-realm", "", "preset Keycloak Realm Name")
	f.StringVar(&o.keycloakClientID, "keycloak-client-id", "", "preset Keycloak Client ID")
	f.StringVar(&o.keycloakSecretFile, "keycloak-client-secret-file", "", "file holding the preset client secret (or LATCHKEY_KEYCLOAK_CLIENT_SECRET)")
	f.StringVar(&o.caFile, "ca-file", "", "PEM file of extra CA certificates to trust for Keycloak and the upstream")
	f.StringVar(&o.defaultTeam, "default-team", "default", "team of users who are in no Keycloak group")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.upstream, "upstream", "", "base URL of the inference server to proxy the gateway paths to (none: they answer 503 after the key check)")
	f.StringVar(&o.upstreamKeyFile, "upstream-api-key-file", "", "file holding the upstream's API key (or LATCHKEY_UPSTREAM_API_KEY; none: Authorization is dropped)")
	f.StringSliceVar(&o.gatewayPaths, "gateway-paths", server.DefaultGatewayPaths, "comma-separated paths that need a plugin key and go to the upstream; a trailing / covers the subtree")
	f.DurationVar(&o.upstreamDialTimeout, "upstream-dial-timeout", 10*time.Second, "timeout for connecting to the upstream (TCP and TLS)")
	f.DurationVar(&o.upstreamHeaderTimeout, "upstream-response-header-timeout", 10*time.Minute, "longest wait for the upstream to begin its answer (streams may then run longer)")
	f.DurationVar(&o.keyCacheTTL, "key-cache-ttl", 30*time.Second, "how long a checked plugin key is trusted without the database (changes made on this replica apply at once)")
	f.DurationVar(&o.userCheckInterval, "user-check-interval", time.Minute, "how long Keycloak's word that a key's owner is enabled is trusted")
	f.StringSliceVar(&o.trustedProxies, "trusted-proxies", nil, "comma-separated CIDRs of forward-auth proxies whose X-Forwarded-For is believed for rate limits")
	f.StringVar(&o.metricsListen, "metrics-listen", "", "address for GET /metrics in Prometheus format, e.g. 127.0.0.1:9108 (default: off)")
	return cmd
}

func defaultDataDir(env map[string]string) string {
	if d := env["XDG_DATA_HOME"]; d != "" {
		return filepath.Join(d, "latchkey")
	}
	if home := env["HOME"]; home != "" {
		return filepath.Join(home, ".local", "share", "latchkey")
	}
	return "latchkey-data"
}

func serve(ctx context.Context, o serveOptions, env map[string]string, stdout, stderr io.Writer) error {
	log, err := newLogger(stderr, o.logLevel)
	if err != nil {
		return err
	}
	public, err := publicURL(o)
	if err != nil {
		return err
	}
	st, err := openStore(ctx, o, env)
	if err != nil {
		return err
	}
	defer st.Close()
	adminHash, err := adminTokenHash(ctx, st, o.adminTokenFile, env["LATCHKEY_ADMIN_TOKEN"], stdout)
	if err != nil {
		return err
	}
	tlsConf, err := tlsConfig(o.caFile)
	if err != nil {
		return err
	}
	gw, err := gatewayConfig(o, env, tlsConf)
	if err != nil {
		return err
	}
	trusted, err := parsePrefixes(o.trustedProxies)
	if err != nil {
		return err
	}
	srv, err := server.New(server.Config{
		PublicURL: public, DefaultTeam: o.defaultTeam, AdminTokenHash: adminHash,
		UserSession:  server.SessionPolicy{Idle: 24 * time.Hour, Max: 7 * 24 * time.Hour},
		AdminSession: server.SessionPolicy{Idle: 30 * time.Minute, Max: 8 * time.Hour},
		Keycloak:     keycloakClient(tlsConf), Logger: log,
		Gateway: gw, KeyCacheTTL: o.keyCacheTTL, UserCheckInterval: o.userCheckInterval, TrustedProxies: trusted,
	}, st)
	if err != nil {
		return err
	}
	if preset, ok, err := keycloakPreset(o, env); err != nil {
		return err
	} else if ok {
		srv.ApplyPreset(ctx, preset) // a failure is logged; the admin pages still work
	}
	l, err := net.Listen("tcp", o.listen)
	if err != nil {
		return fmt.Errorf("listen on %s: %w", o.listen, err)
	}
	serveFuncs := []func(context.Context) error{func(ctx context.Context) error { return srv.Serve(ctx, l) }}
	if o.metricsListen != "" {
		ml, err := net.Listen("tcp", o.metricsListen)
		if err != nil {
			l.Close()
			return fmt.Errorf("listen for metrics on %s: %w", o.metricsListen, err)
		}
		log.Info("metrics serving", "listen", ml.Addr().String(), "path", "/metrics")
		serveFuncs = append(serveFuncs, func(ctx context.Context) error { return srv.ServeMetrics(ctx, ml) })
	}
	if gw.Upstream != nil {
		log.Info("gateway to upstream", "upstream", gw.Upstream.Redacted(), "paths", strings.Join(o.gatewayPaths, ","), "upstream_key_set", gw.UpstreamKey.IsSet())
	}
	log.Info("latchkey serving", "listen", l.Addr().String(), "public_url", public.String(), "data_dir", o.dataDir)
	if err := serveAll(ctx, serveFuncs...); err != nil {
		return err
	}
	log.Info("latchkey stopped")
	return nil
}

// serveAll runs every function until ctx ends or one of them returns, then
// stops the others and returns their errors.
func serveAll(ctx context.Context, fns ...func(context.Context) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errc := make(chan error, len(fns))
	for _, f := range fns {
		go func() {
			err := f(ctx)
			cancel()
			errc <- err
		}()
	}
	var errs []error
	for range fns {
		if err := <-errc; err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// gatewayConfig reads the upstream settings; the upstream's API key, a
// secret, comes from a file or the environment, never from a flag.
func gatewayConfig(o serveOptions, env map[string]string, tlsConf *tls.Config) (server.GatewayConfig, error) {
	gw := server.GatewayConfig{
		Paths: o.gatewayPaths, DialTimeout: o.upstreamDialTimeout, ResponseHeaderTimeout: o.upstreamHeaderTimeout, TLS: tlsConf,
	}
	if o.upstream == "" {
		if o.upstreamKeyFile != "" || env["LATCHKEY_UPSTREAM_API_KEY"] != "" {
			return gw, errors.New("an upstream API key was given without --upstream")
		}
		return gw, nil
	}
	u, err := url.Parse(o.upstream)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return gw, fmt.Errorf("--upstream %q: want an absolute http(s) URL such as http://127.0.0.1:8000", o.upstream)
	}
	gw.Upstream = u
	gw.UpstreamKey = auth.Secret(strings.TrimSpace(env["LATCHKEY_UPSTREAM_API_KEY"]))
	if o.upstreamKeyFile != "" {
		key, err := readSecretFile(o.upstreamKeyFile)
		if err != nil {
			return gw, fmt.Errorf("--upstream-api-key-file: %w", err)
		}
		gw.UpstreamKey = auth.Secret(key)
	}
	return gw, nil
}

func parsePrefixes(cidrs []string) ([]netip.Prefix, error) {
	var out []netip.Prefix
	for _, c := range cidrs {
		c = strings.TrimSpace(c)
		if c == "" {
			continue
		}
		if !strings.Contains(c, "/") {
			addr, err := netip.ParseAddr(c)
			if err != nil {
				return nil, fmt.Errorf("--trusted-proxies %q: want a CIDR such as 10.0.0.0/8 or an address", c)
			}
			out = append(out, netip.PrefixFrom(addr.Unmap(), addr.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(c)
		if err != nil {
			return nil, fmt.Errorf("--trusted-proxies %q: want a CIDR such as 10.0.0.0/8 or an address", c)
		}
		out = append(out, p.Masked())
	}
	return out, nil
}

func newLogger(stderr io.Writer, level string) (*slog.Logger, error) {
	var lvl slog.Level
	if err := lvl.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lvl}
	if f, ok := stderr.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return slog.New(slog.NewTextHandler(stderr, opts)), nil
	}
	return slog.New(slog.NewJSONHandler(stderr, opts)), nil
}

func publicURL(o serveOptions) (*url.URL, error) {
	if o.publicURL != "" {
		return auth.ParsePublicURL(o.publicURL)
	}
	return auth.DefaultPublicURL(o.listen)
}

// openStore creates the data directory (0700), loads the master key and
// opens the database.
func openStore(ctx context.Context, o serveOptions, env map[string]string) (*store.Store, error) {
	if err := os.MkdirAll(o.dataDir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	key, err := store.MasterKey(env["LATCHKEY_SECRET_KEY"], o.dataDir)
	if err != nil {
		return nil, err
	}
	sealer, err := store.NewSealer(key)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(o.dataDir, "latchkey.db")
	switch db := o.databaseURL; {
	case db == "":
	case strings.HasPrefix(db, "postgres://"), strings.HasPrefix(db, "postgresql://"):
		return nil, errors.New("--database-url: PostgreSQL is not supported yet; use a SQLite path")
	default:
		path = strings.TrimPrefix(db, "sqlite:")
	}
	return store.OpenSQLite(ctx, path, sealer)
}

// adminTokenHash returns the hash of the admin token: from the file or the
// environment when given, else the stored hash of a generated token. A token
// is generated on first start only, printed once, and never stored in clear.
func adminTokenHash(ctx context.Context, st *store.Store, file, fromEnv string, stdout io.Writer) ([]byte, error) {
	if file != "" {
		token, err := readSecretFile(file)
		if err != nil {
			return nil, fmt.Errorf("--admin-token-file: %w", err)
		}
		return checkedTokenHash(token)
	}
	if fromEnv != "" {
		return checkedTokenHash(strings.TrimSpace(fromEnv))
	}
	hash, err := st.AdminTokenHash(ctx)
	if !errors.Is(err, store.ErrNotFound) {
		return hash, err
	}
	token := auth.NewToken("lka_")
	hash = auth.HashToken(token.Reveal())
	if err := st.CreateAdminTokenHash(ctx, hash); errors.Is(err, store.ErrExists) {
		return st.AdminTokenHash(ctx) // another replica generated one first
	} else if err != nil {
		return nil, err
	}
	fmt.Fprintf(stdout, "\nlatchkey generated an admin token. It is shown only this once; keep it in a password manager:\n\n    %s\n\nSign in at /admin/login with it. To choose your own, set LATCHKEY_ADMIN_TOKEN or --admin-token-file.\n\n", token.Reveal())
	return hash, nil
}

func checkedTokenHash(token string) ([]byte, error) {
	if len(token) < 16 {
		return nil, errors.New("the admin token must be at least 16 characters")
	}
	return auth.HashToken(token), nil
}

func readSecretFile(path string) (string, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return "", err
	}
	s := strings.TrimSpace(string(b))
	if s == "" {
		return "", fmt.Errorf("%s is empty", path)
	}
	return s, nil
}

// keycloakPreset reads Keycloak settings given by flags/env, if any.
func keycloakPreset(o serveOptions, env map[string]string) (auth.Settings, bool, error) {
	if o.keycloakURL == "" && o.keycloakRealm == "" && o.keycloakClientID == "" {
		return auth.Settings{}, false, nil
	}
	if o.keycloakURL == "" || o.keycloakRealm == "" || o.keycloakClientID == "" {
		return auth.Settings{}, false, errors.New("a Keycloak preset needs --keycloak-url, --keycloak-realm and --keycloak-client-id together")
	}
	secret := env["LATCHKEY_KEYCLOAK_CLIENT_SECRET"]
	if o.keycloakSecretFile != "" {
		s, err := readSecretFile(o.keycloakSecretFile)
		if err != nil {
			return auth.Settings{}, false, fmt.Errorf("--keycloak-client-secret-file: %w", err)
		}
		secret = s
	}
	if secret == "" {
		return auth.Settings{}, false, errors.New("a Keycloak preset needs the client secret: LATCHKEY_KEYCLOAK_CLIENT_SECRET or --keycloak-client-secret-file")
	}
	return auth.Settings{Enabled: true, URL: o.keycloakURL, Realm: o.keycloakRealm, ClientID: o.keycloakClientID, ClientSecret: auth.Secret(secret)}, true, nil
}

// tlsConfig trusts the system's roots plus those of caFile; nil without one.
func tlsConfig(caFile string) (*tls.Config, error) {
	if caFile == "" {
		return nil, nil
	}
	pem, err := os.ReadFile(caFile)
	if err != nil {
		return nil, fmt.Errorf("--ca-file: %w", err)
	}
	pool, err := x509.SystemCertPool()
	if err != nil {
		pool = x509.NewCertPool()
	}
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("--ca-file %s: no PEM certificates found", caFile)
	}
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
}

// keycloakClient is the HTTP client for every call to Keycloak.
func keycloakClient(tlsConf *tls.Config) *http.Client {
	transport := http.DefaultTransport.(*http.Transport).Clone()
	if tlsConf != nil {
		transport.TLSClientConfig = tlsConf.Clone()
	}
	return &http.Client{Transport: transport, Timeout: 15 * time.Second}
}
