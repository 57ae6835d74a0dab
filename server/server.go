// Package server is `latchkey serve`: the web sign-in flow, the profile and
// administrator pages, the JSON API and the plugin-facing endpoints.
package server

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// Store is what the server needs from persistence.
type Store interface {
	Ping(ctx context.Context) error
	KeycloakSettings(ctx context.Context) (auth.Settings, error)
	SaveKeycloakSettings(ctx context.Context, s auth.Settings) error

	RecordLogin(ctx context.Context, l store.Login) (store.User, error)
	EnsureUser(ctx context.Context, l store.Login) (store.User, error)
	User(ctx context.Context, id int64) (store.User, error)
	UsersBySubject(ctx context.Context, issuer string, subjects []string) (map[string]store.User, error)
	SetChosenTeam(ctx context.Context, id int64, team string) error
	SetTeamOverride(ctx context.Context, id int64, team string) error

	CreatePluginKeyIfNone(ctx context.Context, userID int64, key auth.Secret) (bool, error)
	RotatePluginKey(ctx context.Context, userID int64, key auth.Secret) error
	ActivePluginKey(ctx context.Context, userID int64) (auth.Secret, error)
	RevokePluginKey(ctx context.Context, userID int64) error
	PluginKeyOwner(ctx context.Context, hash []byte) (store.User, error)
	keyStore

	CreateSession(ctx context.Context, hash []byte, s store.Session) error
	Session(ctx context.Context, hash []byte, idle time.Duration) (store.Session, error)
	DeleteSession(ctx context.Context, hash []byte) (store.Session, error)
	SaveLoginState(ctx context.Context, stateHash []byte, l store.LoginState) error
	TakeLoginState(ctx context.Context, stateHash []byte) (store.LoginState, error)
	DeleteExpired(ctx context.Context) error

	CreateGrant(ctx context.Context, userID int64, keycloakSession string, keycloakRefresh auth.Secret) (int64, error)
	UpdateGrantRefresh(ctx context.Context, grantID int64, keycloakRefresh auth.Secret) error
	IssueToken(ctx context.Context, hash []byte, t store.CLIToken) error
	PeekToken(ctx context.Context, hash []byte, kind string) (store.CLIToken, error)
	UseToken(ctx context.Context, hash []byte, kind string) error
	TokenGrant(ctx context.Context, hash []byte) (int64, error)
	AccessTokenOwner(ctx context.Context, hash []byte) (store.User, error)
	RevokeGrant(ctx context.Context, grantID int64) error
	RevokeGrantsOfSession(ctx context.Context, keycloakSession string) (int64, error)
}

// SessionPolicy bounds a kind of session.
type SessionPolicy struct {
	Idle time.Duration // ends after this long without a request
	Max  time.Duration // ends this long after sign-in, whatever happens
}

// Config is everything the server is built from.
type Config struct {
	PublicURL      *url.URL
	DefaultTeam    string
	AdminTokenHash []byte // SHA-256 of the admin token
	UserSession    SessionPolicy
	AdminSession   SessionPolicy
	Keycloak       *http.Client // for every call to Keycloak; carries timeouts and trusted CAs
	Logger         *slog.Logger
	Now            func() time.Time // nil: time.Now

	// Gateway is the inference server behind the plugin-facing paths.
	Gateway GatewayConfig
	// KeyCacheTTL is how long a checked plugin key is trusted without the
	// database (0: 30 s). Changes made through this process apply at once.
	KeyCacheTTL time.Duration
	// UserCheckInterval is how long Keycloak's word that a key's owner is
	// enabled is trusted (0: 60 s): a disabled user is refused within it.
	UserCheckInterval time.Duration
	// TrustedProxies are the peers (forward-auth proxies) whose
	// X-Forwarded-For names the client that failed key attempts count against.
	TrustedProxies []netip.Prefix
	// ReadTimeout and WriteTimeout of the HTTP server (0: 30 s and 60 s).
	// Proxied streams are exempt from both, see gateway.serve.
	ReadTimeout, WriteTimeout time.Duration
}

// Server serves latchkey's HTTP interface.
type Server struct {
	cfg       Config
	store     Store
	log       *slog.Logger
	now       func() time.Time
	pages     map[string]*template.Template
	keycloak  *keycloakCache
	adminFail *failureLimiter // admin token guesses
	// passwordFail limits password sign-ins of the terminal client, on top
	// of whatever brute-force protection the realm has.
	passwordFail *failureLimiter
	secure       bool // public URL is https: Secure, __Host- cookies

	// The plugin key hot path and the gateway (gateway_auth.go, gateway.go).
	keys              *keyCache
	users             *userStatuses
	touches           *keyTouches
	keyFail, addrFail *failureLimiter // failed plugin keys, per key and per client address
	metrics           *metrics
	gateway           *gateway // nil without an upstream
	gatewayPaths      []string
}

// New builds a server; it does not listen yet.
func New(cfg Config, st Store) (*Server, error) {
	if cfg.PublicURL == nil || len(cfg.AdminTokenHash) == 0 || cfg.Keycloak == nil || cfg.Logger == nil {
		return nil, errors.New("server config: PublicURL, AdminTokenHash, Keycloak and Logger are required")
	}
	if cfg.DefaultTeam == "" {
		cfg.DefaultTeam = "default"
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	pages, err := parsePages()
	if err != nil {
		return nil, err
	}
	s := &Server{
		cfg:          cfg,
		store:        st,
		log:          cfg.Logger,
		now:          now,
		pages:        pages,
		keycloak:     newKeycloakCache(cfg.Keycloak, auth.CallbackURL(cfg.PublicURL)),
		adminFail:    newFailureLimiter(5, time.Minute),
		passwordFail: newFailureLimiter(10, time.Minute),
		secure:       cfg.PublicURL.Scheme == "https",
	}
	if err := s.initGateway(st); err != nil {
		return nil, err
	}
	return s, nil
}

// Serve answers requests on l until ctx ends, then shuts down gracefully,
// giving requests in flight up to 10 s.
func (s *Server) Serve(ctx context.Context, l net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       s.cfg.ReadTimeout,
		WriteTimeout:      s.cfg.WriteTimeout,
		IdleTimeout:       120 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return context.WithoutCancel(ctx) },
	}
	go s.sweep(ctx)
	stopKeyWork := s.startKeyWork(ctx)
	defer stopKeyWork() // after Shutdown: writes the last uses still queued
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(l) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// sweep deletes expired sessions and login states every few minutes.
func (s *Server) sweep(ctx context.Context) {
	t := time.NewTicker(5 * time.Minute)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := s.store.DeleteExpired(ctx); err != nil {
				s.log.Warn("delete expired sessions", "err", err)
			}
		}
	}
}
