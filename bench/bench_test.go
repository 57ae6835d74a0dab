package main

import (
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server"
)

// The Go benchmarks of the key check: parsing a key, a check answered from
// the cache, and one that goes to SQLite. `make bench` runs them after the
// loopback comparison; they need no network.

func BenchmarkKeyParse(b *testing.B) {
	key := auth.NewPluginKey().Reveal()
	b.ReportAllocs()
	for b.Loop() {
		if auth.CheckPluginKey(key) != nil {
			b.Fatal("a fresh key was refused")
		}
		auth.HashToken(key)
	}
}

// verifyHandler is latchkey's whole handler with a user and key in a
// SQLite store; tweak (or nil) changes its configuration.
func verifyHandler(b *testing.B, tweak func(*server.Config)) (http.Handler, *http.Request) {
	b.Helper()
	st, key, err := openStore(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { st.Close() })
	srv, err := newLatchkey(st, "http://127.0.0.1:1", slog.New(slog.DiscardHandler), tweak)
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/api/v1/auth/verify", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	return srv.Handler(), req
}

func serveVerify(b *testing.B, h http.Handler, req *http.Request) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		b.Fatalf("verify: %d %s", rec.Code, rec.Body)
	}
}

func BenchmarkKeyCheckCacheHit(b *testing.B) {
	h, req := verifyHandler(b, nil)
	serveVerify(b, h, req) // fills the cache
	b.ReportAllocs()
	for b.Loop() {
		serveVerify(b, h, req)
	}
}

func BenchmarkKeyCheckCacheHitParallel(b *testing.B) {
	h, req := verifyHandler(b, nil)
	serveVerify(b, h, req)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		r := req.Clone(req.Context())
		for pb.Next() {
			serveVerify(b, h, r)
		}
	})
}

// BenchmarkKeyCheckCacheMiss moves the server's clock past the cache TTL
// before every request, so that each one is looked up in SQLite. (The
// owner's standing in Keycloak is trusted for longer than the run, so only
// the key lookup is measured.)
func BenchmarkKeyCheckCacheMiss(b *testing.B) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	h, req := verifyHandler(b, func(c *server.Config) {
		c.Now = func() time.Time { return time.Unix(0, clock.Load()) }
		c.UserCheckInterval = 100_000 * time.Hour
	})
	serveVerify(b, h, req)
	b.ReportAllocs()
	for b.Loop() {
		clock.Add(int64(31 * time.Second))
		serveVerify(b, h, req)
	}
}

func BenchmarkStorePluginKeyCheck(b *testing.B) {
	st, key, err := openStore(b.Context(), b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer st.Close()
	hash := auth.HashToken(key.Reveal())
	b.ReportAllocs()
	for b.Loop() {
		if _, err := st.PluginKeyCheck(b.Context(), hash); err != nil {
			b.Fatal(err)
		}
	}
}
