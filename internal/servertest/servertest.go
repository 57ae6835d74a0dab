// Package servertest runs a real latchkey server for tests: the server
// package itself on a free loopback port, with its own SQLite database in a
// temporary directory. Tests in server, tui and elsewhere share it.
package servertest

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

// Server is a running latchkey server.
type Server struct {
	URL        string
	PublicURL  *url.URL
	AdminToken auth.Secret
	Store      *store.Store
	Server     *server.Server
	Logs       *LogBuffer // every line the server logged
	stop       func()
}

// Options change the server before it starts.
type Options struct {
	Configure func(*server.Config)            // edit the configuration
	Now       func() time.Time                // the clock of the server and its store
	WrapStore func(*store.Store) server.Store // put something between server and store
}

// Start starts a server that stops when the test ends. Its log goes to the
// test's log and to Logs.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	sealer, err := store.NewSealer(make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	var storeOpts []store.Option
	if o.Now != nil {
		storeOpts = append(storeOpts, store.WithClock(o.Now))
	}
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "latchkey.db"), sealer, storeOpts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	public := &url.URL{Scheme: "http", Host: l.Addr().String()}
	token := auth.NewToken("lka_")
	logs := &LogBuffer{}
	cfg := server.Config{
		PublicURL: public, AdminTokenHash: auth.HashToken(token.Reveal()),
		UserSession:  server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		AdminSession: server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		Keycloak:     &http.Client{Timeout: 10 * time.Second},
		Logger:       slog.New(slog.NewTextHandler(io.MultiWriter(logs, testWriter{t}), nil)),
		Now:          o.Now,
	}
	if o.Configure != nil {
		o.Configure(&cfg)
	}
	var wrapped server.Store = st
	if o.WrapStore != nil {
		wrapped = o.WrapStore(st)
	}
	srv, err := server.New(cfg, wrapped)
	if err != nil {
		l.Close()
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	var once sync.Once
	s := &Server{URL: public.String(), PublicURL: public, AdminToken: token, Store: st, Server: srv, Logs: logs}
	s.stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("server shutdown: %v", err)
			}
		})
	}
	t.Cleanup(s.stop)
	return s
}

// Stop shuts the server down gracefully and returns once it has; the test's
// end does it too.
func (s *Server) Stop() { s.stop() }

// LogBuffer keeps a server's log lines, so tests can check what it said,
// and what it must never say.
type LogBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *LogBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *LogBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// testWriter sends log lines to t.Log, so a failing test shows them.
type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimRight(string(p), "\n"))
	return len(p), nil
}
