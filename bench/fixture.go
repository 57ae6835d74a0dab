package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/url"
	"path/filepath"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

const upstreamKey = "sk-bench-upstream"

// completion is what the local upstream answers to a completion request.
const completion = `{"id":"c1","object":"text_completion","created":1,"model":"bench","choices":[{"index":0,"text":"hello","finish_reason":"stop"}]}`

// openStore creates a SQLite store in dir with one signed-in user and
// their plugin key, as a first sign-in would, without Keycloak.
func openStore(ctx context.Context, dir string) (*store.Store, auth.Secret, error) {
	sealer, err := store.NewSealer(make([]byte, store.KeySize))
	if err != nil {
		return nil, "", err
	}
	st, err := store.OpenSQLite(ctx, filepath.Join(dir, "latchkey.db"), sealer)
	if err != nil {
		return nil, "", err
	}
	u, err := st.RecordLogin(ctx, store.Login{Issuer: "https://kc.example/realms/bench", Subject: "bench-user",
		Username: "bench", Email: "bench@example.com", Teams: []string{"backend"}})
	if err != nil {
		st.Close()
		return nil, "", fmt.Errorf("create user: %w", err)
	}
	key := auth.NewPluginKey()
	if _, err := st.CreatePluginKeyIfNone(ctx, u.ID, key); err != nil {
		st.Close()
		return nil, "", fmt.Errorf("create plugin key: %w", err)
	}
	return st, key, nil
}

// newLatchkey builds the server under test in front of upstream; tweak,
// when not nil, changes its configuration.
func newLatchkey(st server.Store, upstream string, log *slog.Logger, tweak func(*server.Config)) (*server.Server, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	cfg := server.Config{
		PublicURL: &url.URL{Scheme: "http", Host: "127.0.0.1"}, AdminTokenHash: auth.HashToken(auth.NewToken("lka_").Reveal()),
		UserSession:  server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		AdminSession: server.SessionPolicy{Idle: time.Hour, Max: 8 * time.Hour},
		Keycloak:     &http.Client{Timeout: 10 * time.Second}, Logger: log,
		Gateway: server.GatewayConfig{Upstream: u, UpstreamKey: upstreamKey},
	}
	if tweak != nil {
		tweak(&cfg)
	}
	return server.New(cfg, st)
}

// bareHandler is the baseline: the least a net/http handler can do.
func bareHandler() http.Handler {
	body := []byte(`{"ok":true}` + "\n")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write(body)
	})
}

// upstreamHandler is a local OpenAI-compatible inference server: a small
// completion, and a stream whose first chunk leaves at once.
func upstreamHandler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/completions", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, completion)
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "text/event-stream")
		rc := http.NewResponseController(w)
		for _, tok := range []string{"Hel", "lo", " world"} {
			fmt.Fprintf(w, `data: {"id":"c1","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":%q}}]}`+"\n\n", tok)
			if err := rc.Flush(); err != nil {
				return
			}
		}
		io.WriteString(w, "data: [DONE]\n\n")
	})
	return mux
}

// serveHTTP serves h on a loopback port with all four timeouts until ctx
// ends; it returns the base URL and a function that waits for the shutdown.
func serveHTTP(ctx context.Context, h http.Handler) (string, func() error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: 30 * time.Second,
		WriteTimeout: 60 * time.Second, IdleTimeout: 120 * time.Second}
	done := make(chan error, 1)
	go func() {
		err := srv.Serve(l)
		if errors.Is(err, http.ErrServerClosed) {
			err = nil
		}
		done <- err
	}()
	go func() {
		<-ctx.Done()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(shutdownCtx)
	}()
	return "http://" + l.Addr().String(), func() error { return <-done }, nil
}

// serveLatchkey runs srv on a loopback port until ctx ends.
func serveLatchkey(ctx context.Context, srv *server.Server) (string, func() error, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ctx, l) }()
	return "http://" + l.Addr().String(), func() error { return <-done }, nil
}
