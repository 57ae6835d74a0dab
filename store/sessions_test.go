package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

const (
	idle     = 30 * time.Minute
	lifetime = 12 * time.Hour
	idToken  = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzMSJ9.c2lnbmF0dXJlLW9mLXRoZS1pZC10b2tlbg"
)

func sessionExists(t *testing.T, f *fixture, hash []byte) bool {
	t.Helper()
	return rawInt(t, f.raw, `SELECT count(*) FROM sessions WHERE hash = $1`, hash).Int64 == 1
}

func createUserSession(t *testing.T, f *fixture, cookie string) (store.User, []byte, store.Session) {
	t.Helper()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s-" + cookie})
	hash := auth.HashToken(cookie)
	sess := store.Session{Kind: store.SessionUser, UserID: u.ID, IDToken: idToken, ExpiresAt: f.clock.Now().Add(lifetime)}
	if err := f.st.CreateSession(t.Context(), hash, sess); err != nil {
		t.Fatalf("CreateSession: %v", err)
	}
	sess.LastSeenAt = f.clock.Now()
	return u, hash, sess
}

func TestSessionCreateRead(t *testing.T) {
	f := newFixture(t)
	_, hash, want := createUserSession(t, f, "cookie-1")

	got, err := f.st.Session(t.Context(), hash, idle)
	if err != nil {
		t.Fatalf("Session: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Session (-want +got):\n%s", diff)
	}
	if _, err := f.st.Session(t.Context(), auth.HashToken("other-cookie"), idle); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session(unknown) = %v; want ErrNotFound", err)
	}
	if cols := columnsContaining(t, f.raw, "sessions", []byte(idToken)); len(cols) > 0 {
		t.Errorf("ID token stored in clear in columns %v", cols)
	}
	if cols := columnsContaining(t, f.raw, "sessions", []byte("cookie-1")); len(cols) > 0 {
		t.Errorf("cookie value stored in clear in columns %v", cols)
	}
}

func TestSessionAdmin(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	hash := auth.HashToken("admin-cookie")
	want := store.Session{Kind: store.SessionAdmin, LastSeenAt: t0, ExpiresAt: t0.Add(lifetime)}
	if err := f.st.CreateSession(ctx, hash, store.Session{Kind: store.SessionAdmin, ExpiresAt: t0.Add(lifetime)}); err != nil {
		t.Fatalf("CreateSession(admin): %v", err)
	}
	if v := rawInt(t, f.raw, `SELECT user_id FROM sessions WHERE hash = $1`, hash); v.Valid {
		t.Errorf("admin session user_id = %d; want NULL", v.Int64)
	}
	if v := rawInt(t, f.raw, `SELECT count(*) FROM sessions WHERE hash = $1 AND id_token_sealed IS NULL`, hash); v.Int64 != 1 {
		t.Errorf("admin session has an id_token_sealed value; want NULL")
	}
	got, err := f.st.Session(ctx, hash, idle)
	if err != nil {
		t.Fatalf("Session(admin): %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Session(admin) (-want +got):\n%s", diff)
	}
	deleted, err := f.st.DeleteSession(ctx, hash)
	if err != nil {
		t.Fatalf("DeleteSession(admin): %v", err)
	}
	if diff := cmp.Diff(store.Session{Kind: store.SessionAdmin}, deleted); diff != "" {
		t.Errorf("DeleteSession(admin) (-want +got):\n%s", diff)
	}
}

func TestSessionRejectsUnknownKindAndUser(t *testing.T) {
	f := newFixture(t)
	tests := []struct {
		name string
		sess store.Session
	}{
		{"unknown kind", store.Session{Kind: "root", ExpiresAt: t0.Add(lifetime)}},
		{"unknown user", store.Session{Kind: store.SessionUser, UserID: 999_999, ExpiresAt: t0.Add(lifetime)}},
	}
	for _, tt := range tests {
		if err := f.st.CreateSession(t.Context(), auth.HashToken(tt.name), tt.sess); err == nil {
			t.Errorf("%s: CreateSession succeeded; want an error", tt.name)
		}
	}
	if n := rawCount(t, f.raw, "sessions"); n != 0 {
		t.Errorf("%d rows in sessions; want 0", n)
	}
}

func TestSessionExpiry(t *testing.T) {
	tests := []struct {
		name string
		// steps are the clock advances between reads; only the last read
		// decides the outcome, the ones before keep the session seen.
		steps []time.Duration
		live  bool
	}{
		{"fresh", []time.Duration{0}, true},
		{"within idle", []time.Duration{idle - time.Second}, true},
		{"beyond idle", []time.Duration{idle + time.Second}, false},
		{"kept alive by use", []time.Duration{20 * time.Minute, 20 * time.Minute, 20 * time.Minute}, true},
		{"idle after use", []time.Duration{20 * time.Minute, idle + time.Second}, false},
		{"just before absolute expiry", repeat(20*time.Minute, 35, lifetime-35*20*time.Minute-time.Second), true},
		{"absolute expiry despite use", repeat(20*time.Minute, 35, 20*time.Minute), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			_, hash, _ := createUserSession(t, f, "cookie")
			var err error
			for i, d := range tt.steps {
				f.clock.Advance(d)
				_, err = f.st.Session(t.Context(), hash, idle)
				if i < len(tt.steps)-1 && err != nil {
					t.Fatalf("read %d at %v: %v", i, f.clock.Now().Sub(t0), err)
				}
			}
			if tt.live {
				if err != nil {
					t.Errorf("Session at %v: %v; want live", f.clock.Now().Sub(t0), err)
				}
				if !sessionExists(t, f, hash) {
					t.Errorf("live session row is gone")
				}
				return
			}
			if !errors.Is(err, store.ErrNotFound) {
				t.Errorf("Session at %v: %v; want ErrNotFound", f.clock.Now().Sub(t0), err)
			}
			if sessionExists(t, f, hash) {
				t.Errorf("expired session row is still stored")
			}
		})
	}
}

// repeat returns n copies of d followed by last.
func repeat(d time.Duration, n int, last time.Duration) []time.Duration {
	out := make([]time.Duration, 0, n+1)
	for range n {
		out = append(out, d)
	}
	return append(out, last)
}

func TestSessionLastSeenThrottled(t *testing.T) {
	f := newFixture(t)
	_, hash, _ := createUserSession(t, f, "cookie")
	steps := []struct {
		at       time.Duration // since creation
		wantSeen time.Duration // stored and returned last_seen_at, since creation
	}{
		{0, 0},
		{30 * time.Second, 0},
		{59 * time.Second, 0},
		{60 * time.Second, 60 * time.Second},
		{90 * time.Second, 60 * time.Second},
		{119 * time.Second, 60 * time.Second},
		{121 * time.Second, 121 * time.Second},
		{10 * time.Minute, 10 * time.Minute},
	}
	for _, s := range steps {
		f.clock.Advance(t0.Add(s.at).Sub(f.clock.Now()))
		got, err := f.st.Session(t.Context(), hash, idle)
		if err != nil {
			t.Fatalf("at %v: %v", s.at, err)
		}
		want := t0.Add(s.wantSeen)
		if !got.LastSeenAt.Equal(want) {
			t.Errorf("at %v: LastSeenAt = %v; want %v", s.at, got.LastSeenAt.Sub(t0), s.wantSeen)
		}
		if raw := rawInt(t, f.raw, `SELECT last_seen_at FROM sessions WHERE hash = $1`, hash).Int64; raw != want.Unix() {
			t.Errorf("at %v: stored last_seen_at = +%ds; want +%ds", s.at, raw-t0.Unix(), int64(s.wantSeen.Seconds()))
		}
	}
}

func TestDeleteSession(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u, hash, _ := createUserSession(t, f, "cookie")

	got, err := f.st.DeleteSession(ctx, hash)
	if err != nil {
		t.Fatalf("DeleteSession: %v", err)
	}
	want := store.Session{Kind: store.SessionUser, UserID: u.ID, IDToken: idToken}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("DeleteSession (-want +got):\n%s", diff)
	}
	if sessionExists(t, f, hash) {
		t.Errorf("deleted session row is still stored")
	}
	if _, err := f.st.DeleteSession(ctx, hash); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second DeleteSession: %v; want ErrNotFound", err)
	}
	if _, err := f.st.Session(ctx, hash, idle); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("Session after delete: %v; want ErrNotFound", err)
	}
}

func TestLoginState(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	const verifier = "pkce-verifier-4Kq9zXvB2mN7pLr5tY8wE1uI3oA6sD0f"
	state := auth.HashToken("state-1")
	want := store.LoginState{Nonce: "nonce-1", Verifier: verifier, ReturnTo: "/admin/users", ExpiresAt: t0.Add(10 * time.Minute)}
	if err := f.st.SaveLoginState(ctx, state, want); err != nil {
		t.Fatalf("SaveLoginState: %v", err)
	}
	if cols := columnsContaining(t, f.raw, "login_states", []byte(verifier)); len(cols) > 0 {
		t.Errorf("PKCE verifier stored in clear in columns %v", cols)
	}

	f.clock.Advance(10*time.Minute - time.Second)
	got, err := f.st.TakeLoginState(ctx, state)
	if err != nil {
		t.Fatalf("TakeLoginState: %v", err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TakeLoginState (-want +got):\n%s", diff)
	}
	if got, err := f.st.TakeLoginState(ctx, state); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second TakeLoginState = %+v, %v; want ErrNotFound", got, err)
	}
	if _, err := f.st.TakeLoginState(ctx, auth.HashToken("never-saved")); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("TakeLoginState(unknown): %v; want ErrNotFound", err)
	}
}

func TestLoginStateExpired(t *testing.T) {
	tests := []struct {
		name  string
		after time.Duration
	}{
		{"at expiry", 10 * time.Minute},
		{"after expiry", time.Hour},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			state := auth.HashToken("state")
			if err := f.st.SaveLoginState(t.Context(), state, store.LoginState{Nonce: "n", Verifier: "v", ExpiresAt: t0.Add(10 * time.Minute)}); err != nil {
				t.Fatal(err)
			}
			f.clock.Advance(tt.after)
			if got, err := f.st.TakeLoginState(t.Context(), state); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("TakeLoginState = %+v, %v; want ErrNotFound", got, err)
			}
			if n := rawCount(t, f.raw, "login_states"); n != 0 {
				t.Errorf("%d rows in login_states; want the expired state consumed", n)
			}
		})
	}
}

func TestDeleteExpired(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})

	sessions := map[string]time.Duration{"expired": time.Minute, "at-now": 2 * time.Minute, "live": time.Hour}
	for name, ttl := range sessions {
		if err := f.st.CreateSession(ctx, auth.HashToken(name), store.Session{Kind: store.SessionUser, UserID: u.ID, ExpiresAt: t0.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
		if err := f.st.SaveLoginState(ctx, auth.HashToken(name), store.LoginState{Nonce: name, Verifier: "v", ExpiresAt: t0.Add(ttl)}); err != nil {
			t.Fatal(err)
		}
	}
	f.clock.Advance(2 * time.Minute)
	if err := f.st.DeleteExpired(ctx); err != nil {
		t.Fatalf("DeleteExpired: %v", err)
	}

	for _, table := range []string{"sessions", "login_states"} {
		if n := rawCount(t, f.raw, table); n != 1 {
			t.Errorf("%d rows left in %s; want 1", n, table)
		}
	}
	live := auth.HashToken("live")
	if _, err := f.st.Session(ctx, live, time.Hour); err != nil {
		t.Errorf("live session after DeleteExpired: %v", err)
	}
	if l, err := f.st.TakeLoginState(ctx, live); err != nil || l.Nonce != "live" {
		t.Errorf("live login state after DeleteExpired = %q, %v; want it", l.Nonce, err)
	}
	for _, name := range []string{"expired", "at-now"} {
		if sessionExists(t, f, auth.HashToken(name)) {
			t.Errorf("session %s still stored", name)
		}
	}
}
