package tui

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, "testdata/keycloak/test-realm.json")) }

// newTestServer starts a real latchkey server on a free loopback port, with
// its own SQLite database in a temporary directory and no Keycloak settings
// yet, talking to the shared real Keycloak (keycloaktest.FromEnv). It returns
// the server's URL and its admin token; the server stops when the test ends.
func newTestServer(t *testing.T) (serverURL string, adminToken auth.Secret) {
	t.Helper()
	sealer, err := store.NewSealer(make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := &url.URL{Scheme: "http", Host: l.Addr().String()}
	token := auth.NewToken("lka_")
	cfg := server.Config{
		PublicURL:      public,
		AdminTokenHash: auth.HashToken(token.Reveal()),
		UserSession:    server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		AdminSession:   server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		Keycloak:       &http.Client{Timeout: 10 * time.Second},
		Logger:         slog.New(slog.NewTextHandler(testLogWriter{t}, nil)),
	}
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "latchkey.db"), sealer)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	srv, err := server.New(cfg, st)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("server shutdown: %v", err)
		}
	})
	return public.String(), token
}

// testLogWriter sends the test server's log lines to the test's log.
type testLogWriter struct{ t *testing.T }

func (w testLogWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
