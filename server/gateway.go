package server

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
)

// GatewayConfig is the inference server behind latchkey. Without an
// Upstream the gateway paths still check the key, then answer 503.
type GatewayConfig struct {
	Upstream *url.URL // base URL; request paths are appended to its path
	// UpstreamKey replaces the plugin key in Authorization; empty drops
	// the header.
	UpstreamKey auth.Secret
	// Paths are the ServeMux paths proxied after a key check (a trailing
	// slash is a whole subtree); nil means DefaultGatewayPaths.
	Paths []string
	// DialTimeout bounds connecting (and the TLS handshake) to the upstream;
	// ResponseHeaderTimeout bounds the wait for its answer to begin. There
	// is no overall timeout: streams last as long as the upstream streams.
	DialTimeout, ResponseHeaderTimeout time.Duration
	TLS                                *tls.Config // nil: the system's roots
}

// DefaultGatewayPaths are the paths IDE plugins (Refact's refact-lsp) and
// OpenAI-compatible clients call. /v1/login is latchkey's own.
var DefaultGatewayPaths = []string{"/v1/", "/refact-caps", "/coding_assistant_caps.json", "/tokenizer/"}

// The principal headers the upstream receives. Any copy a client sends is
// removed first.
const (
	headerAccount = "X-Latchkey-Account"
	headerTeam    = "X-Latchkey-Team"
	headerPrefix  = "X-Latchkey-"
)

// latchkey's own subtrees and paths, which a gateway path may not take over.
var (
	ownSubtrees = []string{"/api/", "/admin/", "/oauth/", "/assets/", "/login/", "/profile/"}
	ownPaths    = []string{"/healthz", "/logout"}
)

// gatewayPaths validates the configured paths, defaulting and deduplicating.
func gatewayPaths(paths []string) ([]string, error) {
	if paths == nil {
		paths = DefaultGatewayPaths
	}
	var out []string
	for _, p := range paths {
		p = strings.TrimSpace(p)
		if p == "" || slices.Contains(out, p) {
			continue
		}
		if !strings.HasPrefix(p, "/") || strings.ContainsAny(p, " \t{}") {
			return nil, fmt.Errorf("gateway path %q: want a plain path such as /v1/ (a trailing slash covers the subtree)", p)
		}
		if p == "/" || p == "/v1/login" || slices.Contains(ownPaths, p) || slices.ContainsFunc(ownSubtrees, func(own string) bool {
			return strings.HasPrefix(p+"/", own) || strings.HasSuffix(p, "/") && strings.HasPrefix(own, p)
		}) || strings.HasSuffix(p, "/") && slices.ContainsFunc(ownPaths, func(own string) bool { return strings.HasPrefix(own, p) }) {
			return nil, fmt.Errorf("gateway path %q would take over latchkey's own pages or API", p)
		}
		out = append(out, p)
	}
	return out, nil
}

// gateway proxies authenticated requests to the upstream.
type gateway struct {
	upstream  *url.URL
	key       string // "" drops Authorization
	transport http.RoundTripper
	writeIdle time.Duration // longest a single write to the client may block
	buffers   *bufferPool
	log       *slog.Logger
	errorLog  *log.Logger
}

func newGateway(cfg GatewayConfig, writeIdle time.Duration, logger *slog.Logger) (*gateway, error) {
	u := cfg.Upstream
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("upstream %q: want http(s)://host[:port][/path], without query, fragment or credentials", u.Redacted())
	}
	dial, header := cfg.DialTimeout, cfg.ResponseHeaderTimeout
	if dial <= 0 {
		dial = 10 * time.Second
	}
	if header <= 0 {
		header = 10 * time.Minute
	}
	transport := &http.Transport{
		DialContext:           (&net.Dialer{Timeout: dial, KeepAlive: 30 * time.Second}).DialContext,
		TLSClientConfig:       cfg.TLS,
		TLSHandshakeTimeout:   dial,
		ResponseHeaderTimeout: header,
		ExpectContinueTimeout: time.Second,
		MaxIdleConns:          1024,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		DisableCompression:    true, // pass the upstream's encoding through untouched
		ForceAttemptHTTP2:     cfg.TLS != nil || u.Scheme == "https",
	}
	return &gateway{
		upstream: u, key: cfg.UpstreamKey.Reveal(), transport: transport, writeIdle: writeIdle, buffers: &bufferPool{},
		log: logger, errorLog: slog.NewLogLogger(logger.Handler(), slog.LevelWarn),
	}, nil
}

// proxy checks the plugin key and passes the request on.
func (s *Server) proxy(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticateKey(r)
	if err != nil {
		s.refuseKey(w, r, err)
		return
	}
	if s.gateway == nil {
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{
			"detail": "no upstream configured: latchkey checks keys here but has no inference server to pass requests to (serve --upstream)"})
		return
	}
	s.gateway.serve(w, r, e.account, e.team)
}

// serve streams r to the upstream and the answer back, chunk by chunk.
//
// The server's write timeout guards every other route, but a completion
// may stream for longer: the write deadline is lifted while the upstream
// thinks, then pushed forward by the write timeout before every write and
// flush, so a stream lasts as long as the upstream streams while a client
// that stops reading is still cut off. The read timeout still bounds the
// request and its body; once the body is in, net/http itself lifts the read
// deadline for the background read that notices a client going away.
func (g *gateway) serve(w http.ResponseWriter, r *http.Request, account, team string) {
	rc := http.NewResponseController(w)
	_ = rc.SetWriteDeadline(time.Time{}) // errors: a writer without deadlines (tests)
	proxy := &httputil.ReverseProxy{
		Rewrite: func(pr *httputil.ProxyRequest) {
			pr.SetURL(g.upstream)
			pr.SetXForwarded()
			h := pr.Out.Header
			for name := range h {
				if len(name) >= len(headerPrefix) && strings.EqualFold(name[:len(headerPrefix)], headerPrefix) {
					delete(h, name)
				}
			}
			h.Del("Cookie") // latchkey's own session cookies are not the upstream's business
			h.Del("Authorization")
			if g.key != "" {
				h.Set("Authorization", "Bearer "+g.key)
			}
			h[headerAccount] = []string{headerSafe(account)}
			h[headerTeam] = []string{headerSafe(team)}
		},
		Transport: g.transport,
		// Zero, not -1: ReverseProxy already flushes every write of a
		// stream (text/event-stream, or no Content-Length) at once; a
		// sized answer goes out in one write with its Content-Length.
		FlushInterval: 0,
		BufferPool:    g.buffers,
		ErrorLog:      g.errorLog,
		ErrorHandler:  g.fail,
	}
	proxy.ServeHTTP(&deadlineWriter{ResponseWriter: w, rc: rc, idle: g.writeIdle}, r)
}

// bufferPool recycles ReverseProxy's 32 KiB copy buffers, one per request.
type bufferPool struct{ pool sync.Pool }

func (p *bufferPool) Get() []byte {
	if b, ok := p.pool.Get().(*[]byte); ok {
		return *b
	}
	return make([]byte, 32<<10)
}

func (p *bufferPool) Put(b []byte) { p.pool.Put(&b) }

// fail answers when the upstream could not be reached or did not answer.
func (g *gateway) fail(w http.ResponseWriter, r *http.Request, err error) {
	var ne net.Error
	switch {
	case r.Context().Err() != nil:
		g.log.Debug("client went away before the upstream answered", "path", r.URL.Path)
		w.WriteHeader(statusClientClosed)
	case errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout():
		g.log.Warn("upstream timed out", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusGatewayTimeout, map[string]string{"detail": "the inference server did not answer in time"})
	default:
		g.log.Warn("upstream unavailable", "path", r.URL.Path, "err", err)
		writeJSON(w, http.StatusBadGateway, map[string]string{"detail": "the inference server could not be reached"})
	}
}

// headerSafe replaces control characters, which a header value cannot hold.
func headerSafe(v string) string {
	if !strings.ContainsFunc(v, isCtl) {
		return v
	}
	return strings.Map(func(r rune) rune {
		if isCtl(r) {
			return '?'
		}
		return r
	}, v)
}

func isCtl(r rune) bool { return r < 0x20 || r == 0x7f }

// deadlineWriter pushes the connection's write deadline forward before each
// write and flush of a proxied answer.
type deadlineWriter struct {
	http.ResponseWriter
	rc   *http.ResponseController
	idle time.Duration
}

func (d *deadlineWriter) extend() { _ = d.rc.SetWriteDeadline(time.Now().Add(d.idle)) }

func (d *deadlineWriter) Write(p []byte) (int, error) {
	d.extend()
	return d.ResponseWriter.Write(p)
}

func (d *deadlineWriter) FlushError() error {
	d.extend()
	return d.rc.Flush()
}

func (d *deadlineWriter) Flush() { _ = d.FlushError() }

func (d *deadlineWriter) Unwrap() http.ResponseWriter { return d.ResponseWriter }
