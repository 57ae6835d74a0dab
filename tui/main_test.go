package tui

import (
	"os"
	"testing"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/internal/servertest"
)

func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, "testdata/keycloak/test-realm.json")) }

// newTestServer starts a real latchkey server with no Keycloak settings yet,
// next to the shared real Keycloak (keycloaktest.FromEnv), and returns its
// URL and admin token.
func newTestServer(t *testing.T) (serverURL string, adminToken auth.Secret) {
	t.Helper()
	s := servertest.Start(t, servertest.Options{})
	return s.URL, s.AdminToken
}
