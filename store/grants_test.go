package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

func newGrant(t *testing.T, f *fixture, session string) (store.User, int64) {
	t.Helper()
	u := recordLogin(t, f.st, store.Login{Issuer: "https://kc/realms/r", Subject: "sub-" + session, Username: "u"})
	id, err := f.st.CreateGrant(t.Context(), u.ID, session, "kc-refresh-"+auth.Secret(session))
	if err != nil {
		t.Fatal(err)
	}
	return u, id
}

func issue(t *testing.T, f *fixture, grant int64, kind, token string, ttl time.Duration) []byte {
	t.Helper()
	h := auth.HashToken(token)
	if err := f.st.IssueToken(t.Context(), h, store.CLIToken{GrantID: grant, Kind: kind, ExpiresAt: f.clock.Now().Add(ttl), RedirectURI: "http://127.0.0.1:1/cb", Challenge: "ch"}); err != nil {
		t.Fatal(err)
	}
	return h
}

func TestCLITokenSingleUse(t *testing.T) {
	f := newFixture(t)
	u, grant := newGrant(t, f, "sid-1")
	code := issue(t, f, grant, store.TokenCode, "lkc_code", time.Minute)
	access := issue(t, f, grant, store.TokenAccess, "lkat_access", time.Minute)

	got, err := f.st.PeekToken(t.Context(), code, store.TokenCode)
	if err != nil || got.GrantID != grant || got.UserID != u.ID || got.RedirectURI != "http://127.0.0.1:1/cb" || got.Challenge != "ch" || got.KeycloakRefresh != "kc-refresh-sid-1" {
		t.Fatalf("PeekToken = %+v, %v", got, err)
	}
	if _, err := f.st.PeekToken(t.Context(), code, store.TokenRefresh); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a code looked up as a refresh token: %v", err)
	}
	if err := f.st.UseToken(t.Context(), code, store.TokenCode); err != nil {
		t.Fatalf("first use: %v", err)
	}
	if _, err := f.st.PeekToken(t.Context(), code, store.TokenCode); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a used code is still live: %v", err)
	}
	if owner, err := f.st.AccessTokenOwner(t.Context(), access); err != nil || owner.ID != u.ID {
		t.Fatalf("access token before reuse: %+v, %v", owner, err)
	}
	if err := f.st.UseToken(t.Context(), code, store.TokenCode); !errors.Is(err, store.ErrTokenReused) {
		t.Errorf("second use: %v, want ErrTokenReused", err)
	}
	if _, err := f.st.AccessTokenOwner(t.Context(), access); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("the grant's access token survived a reused code: %v", err)
	}
	if err := f.st.UseToken(t.Context(), auth.HashToken("unknown"), store.TokenCode); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown code: %v", err)
	}
}

func TestCLITokenExpiry(t *testing.T) {
	f := newFixture(t)
	_, grant := newGrant(t, f, "sid-2")
	code := issue(t, f, grant, store.TokenCode, "lkc_x", time.Minute)
	access := issue(t, f, grant, store.TokenAccess, "lkat_x", time.Minute)
	f.clock.Advance(time.Minute)
	if _, err := f.st.PeekToken(t.Context(), code, store.TokenCode); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired code: %v", err)
	}
	if _, err := f.st.AccessTokenOwner(t.Context(), access); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("expired access token: %v", err)
	}
	if err := f.st.DeleteExpired(t.Context()); err != nil {
		t.Fatal(err)
	}
	if n := rawCount(t, f.raw, "cli_tokens"); n != 0 {
		t.Errorf("%d expired tokens left after DeleteExpired", n)
	}
}

func TestRevokeGrantsOfSession(t *testing.T) {
	f := newFixture(t)
	_, g1 := newGrant(t, f, "sid-a")
	_, g2 := newGrant(t, f, "sid-b")
	a1 := issue(t, f, g1, store.TokenAccess, "lkat_a", time.Hour)
	a2 := issue(t, f, g2, store.TokenAccess, "lkat_b", time.Hour)
	if n, err := f.st.RevokeGrantsOfSession(t.Context(), "sid-a"); err != nil || n != 1 {
		t.Fatalf("RevokeGrantsOfSession = %d, %v; want 1", n, err)
	}
	if _, err := f.st.AccessTokenOwner(t.Context(), a1); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("token of the signed-out session: %v", err)
	}
	if _, err := f.st.AccessTokenOwner(t.Context(), a2); err != nil {
		t.Errorf("token of another session: %v", err)
	}
	if n, _ := f.st.RevokeGrantsOfSession(t.Context(), ""); n != 0 {
		t.Error("an empty session ID revoked grants")
	}
	if grant, err := f.st.TokenGrant(t.Context(), a2); err != nil || grant != g2 {
		t.Errorf("TokenGrant = %d, %v; want %d", grant, err, g2)
	}
}

func TestGrantRefreshIsSealed(t *testing.T) {
	f := newFixture(t)
	_, grant := newGrant(t, f, "sid-c")
	if err := f.st.UpdateGrantRefresh(t.Context(), grant, "kc-refresh-new"); err != nil {
		t.Fatal(err)
	}
	if cols := columnsContaining(t, f.raw, "cli_grants", []byte("kc-refresh")); len(cols) != 0 {
		t.Errorf("Keycloak's refresh token stored in clear in %v", cols)
	}
	refresh := issue(t, f, grant, store.TokenRefresh, "lkrt_c", time.Hour)
	if got, err := f.st.PeekToken(t.Context(), refresh, store.TokenRefresh); err != nil || got.KeycloakRefresh != "kc-refresh-new" {
		t.Errorf("PeekToken = %+v, %v", got, err)
	}
}
