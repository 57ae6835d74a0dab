package server

import (
	"crypto/sha256"
	"errors"
	"net/http"
	"net/netip"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// keyRefusal is why a plugin key was not accepted, with what to tell the
// plugin's user.
type keyRefusal struct {
	status     int
	detail     string
	message    string
	retryAfter time.Duration
}

func (e *keyRefusal) Error() string { return e.detail }

var (
	errBadKey = &keyRefusal{status: http.StatusUnauthorized, detail: "invalid or missing plugin API key",
		message: "The API key was not accepted. Copy your Plugin API Key from your latchkey profile page into the plugin settings."}
	errOwnerDisabled = &keyRefusal{status: http.StatusUnauthorized, detail: "the owner of this plugin API key is disabled",
		message: "Your account is disabled or was removed. Ask your administrator."}
)

func errTooManyFailures(wait time.Duration) *keyRefusal {
	return &keyRefusal{status: http.StatusTooManyRequests, detail: "too many failed plugin key attempts; retry later",
		message:    "Too many requests with a wrong API key. Check the Plugin API Key in the plugin settings, then try again in a minute.",
		retryAfter: wait}
}

// Failed key attempts allowed per presented key and per client address in
// failureWindow. A stale key in one plugin is slowed down by its own limit
// long before it uses up its office's address limit.
const (
	failuresPerKey     = 5
	failuresPerAddress = 60
	failureWindow      = time.Minute
)

// authenticateKey is the hot path of every plugin request: the key's
// checksum, then the in-memory cache, and only on a miss the rate limits
// and the database. The error is a *keyRefusal, or a database failure.
func (s *Server) authenticateKey(r *http.Request) (*keyEntry, error) {
	key := bearer(r)
	if key == "" {
		return nil, errBadKey // nothing guessed, nothing counted
	}
	now := s.now()
	h := keyHash(sha256.Sum256([]byte(key)))
	if auth.CheckPluginKey(key) != nil {
		return nil, s.keyFailed(r, h, now)
	}
	e, fresh, gen := s.keys.get(h, now.UnixNano())
	if fresh {
		s.metrics.cacheHits.Inc()
	} else {
		s.metrics.cacheMisses.Inc()
		if wait := s.keyFailureWait(r, h, now); wait > 0 {
			return nil, errTooManyFailures(wait)
		}
		check, err := s.store.PluginKeyCheck(r.Context(), h[:])
		if errors.Is(err, store.ErrNotFound) {
			s.keys.forget(h)
			return nil, s.keyFailed(r, h, now)
		}
		if err != nil {
			return nil, err
		}
		e = &keyEntry{user: check.User, account: check.User.Account(), team: check.User.Team(s.cfg.DefaultTeam),
			status: s.users.of(check.User.Subject)}
		if !check.LastUsedAt.IsZero() {
			e.touched.Store(check.LastUsedAt.UnixNano())
		}
		s.keys.put(h, e, gen, now.UnixNano())
	}
	if !s.users.allowed(r.Context(), e.status) {
		return nil, errOwnerDisabled
	}
	if e.dueForTouch(now.UnixNano()) && !s.touches.enqueue(h, now) {
		e.touched.Store(0) // try again on the next request
	}
	return e, nil
}

// keyFailureWait is how long the request must wait because of earlier
// failures of its key or its address; zero means go ahead.
func (s *Server) keyFailureWait(r *http.Request, h keyHash, now time.Time) time.Duration {
	return max(s.keyFail.retryAfter(string(h[:]), now), s.addrFail.retryAfter(s.keyClient(r), now))
}

// keyFailed records a refused key, or refuses with 429 a request whose key
// or address is already over its limit.
func (s *Server) keyFailed(r *http.Request, h keyHash, now time.Time) error {
	if wait := s.keyFailureWait(r, h, now); wait > 0 {
		return errTooManyFailures(wait)
	}
	s.keyFail.fail(string(h[:]), now)
	s.addrFail.fail(s.keyClient(r), now)
	return errBadKey
}

// refuseKey answers a request whose key was not accepted, in the shape
// Refact's plugins understand.
func (s *Server) refuseKey(w http.ResponseWriter, r *http.Request, err error) {
	var ref *keyRefusal
	if !errors.As(err, &ref) {
		s.failJSON(w, r, err)
		return
	}
	if ref.status == http.StatusTooManyRequests {
		setRetryAfter(w, ref.retryAfter)
	} else {
		w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey"`)
	}
	writeJSON(w, ref.status, api.PluginFailure{Detail: ref.detail, Retcode: "FAILED", HumanReadableMessage: ref.message})
}

// keyClient is the address failed key attempts are counted against: the
// peer, or, when the peer is a trusted proxy (forward-auth from nginx,
// Traefik or Caddy), the nearest address in X-Forwarded-For that is not a
// trusted proxy. Without trusted proxies forwarded headers are ignored.
func (s *Server) keyClient(r *http.Request) string {
	peer := clientAddr(r)
	if len(s.cfg.TrustedProxies) == 0 {
		return peer
	}
	ip, err := netip.ParseAddr(peer)
	if err != nil || !s.trusted(ip) {
		return peer
	}
	hops := strings.Split(strings.Join(r.Header.Values("X-Forwarded-For"), ","), ",")
	for i := len(hops) - 1; i >= 0; i-- {
		hop, err := netip.ParseAddr(strings.TrimSpace(hops[i]))
		if err != nil {
			return peer // a garbled header: count against the proxy itself
		}
		if !s.trusted(hop) {
			return hop.Unmap().String()
		}
	}
	return peer
}

func (s *Server) trusted(ip netip.Addr) bool {
	ip = ip.Unmap()
	for _, p := range s.cfg.TrustedProxies {
		if p.Contains(ip) {
			return true
		}
	}
	return false
}

// verify is forward-auth for nginx auth_request, Traefik ForwardAuth and
// Caddy forward_auth: 200 with the principal in X-Latchkey-Account and
// X-Latchkey-Team for the proxy to pass on, else 401 (or 429) with a JSON
// detail in the Refact shape.
func (s *Server) verify(w http.ResponseWriter, r *http.Request) {
	e, err := s.authenticateKey(r)
	if err != nil {
		s.refuseKey(w, r, err)
		return
	}
	// No body: proxies read only the status and the headers (curl -i shows
	// them; GET /v1/login answers the same question in JSON).
	h := w.Header()
	h[headerAccount] = []string{headerSafe(e.account)}
	h[headerTeam] = []string{headerSafe(e.team)}
	h["Cache-Control"] = []string{"no-store"}
	w.WriteHeader(http.StatusOK)
}
