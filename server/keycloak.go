package server

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// errNotConfigured means no administrator has saved (or enabled) Keycloak yet.
var errNotConfigured = errors.New("keycloak sign-in is not configured")

// keycloakCache holds the connection for the settings in the database. The
// settings are read on every use (a cheap single-row query, and never on a
// plugin request), so a save on another replica takes effect here too;
// discovery runs again only when they change.
type keycloakCache struct {
	hc          *http.Client
	redirectURL string

	mu          sync.Mutex
	fingerprint [32]byte
	conn        *auth.Keycloak
}

func newKeycloakCache(hc *http.Client, redirectURL string) *keycloakCache {
	return &keycloakCache{hc: hc, redirectURL: redirectURL}
}

// get returns the connection for the saved settings, connecting when needed.
func (c *keycloakCache) get(ctx context.Context, st Store) (*auth.Keycloak, error) {
	settings, err := st.KeycloakSettings(ctx)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !settings.Enabled) {
		return nil, errNotConfigured
	}
	if err != nil {
		return nil, err
	}
	fp := fingerprint(settings)
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.conn != nil && c.fingerprint == fp {
		return c.conn, nil
	}
	conn, err := auth.Connect(ctx, c.hc, settings, c.redirectURL)
	if err != nil {
		return nil, &keycloakDownError{err: err}
	}
	c.conn, c.fingerprint = conn, fp
	return conn, nil
}

// put installs a connection that has just passed the live checks.
func (c *keycloakCache) put(conn *auth.Keycloak) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.conn, c.fingerprint = conn, fingerprint(conn.Settings())
}

func fingerprint(s auth.Settings) [32]byte {
	return sha256.Sum256(fmt.Appendf(nil, "%t\x00%s\x00%s\x00%s\x00%s", s.Enabled, s.URL, s.Realm, s.ClientID, s.ClientSecret.Reveal()))
}

// keycloakDownError means Keycloak could not be reached or did not answer
// as a Keycloak realm should.
type keycloakDownError struct{ err error }

func (e *keycloakDownError) Error() string { return "keycloak unavailable: " + e.err.Error() }
func (e *keycloakDownError) Unwrap() error { return e.err }
