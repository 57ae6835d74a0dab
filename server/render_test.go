package server

import (
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// newUnitServer is a server on a real SQLite file, for tests that need no
// Keycloak.
func newUnitServer(t *testing.T, public string) (*Server, auth.Secret) {
	t.Helper()
	sealer, err := store.NewSealer(make([]byte, store.KeySize))
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(t.Context(), filepath.Join(t.TempDir(), "db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	u, err := auth.ParsePublicURL(public)
	if err != nil {
		t.Fatal(err)
	}
	token := auth.NewToken("lka_")
	s, err := New(Config{
		PublicURL: u, AdminTokenHash: auth.HashToken(token.Reveal()), Keycloak: http.DefaultClient,
		UserSession: SessionPolicy{Idle: time.Hour, Max: time.Hour}, AdminSession: SessionPolicy{Idle: time.Hour, Max: time.Hour},
		Logger: slog.New(slog.NewTextHandler(io.Discard, nil)),
	}, st)
	if err != nil {
		t.Fatal(err)
	}
	return s, token
}

func TestPagesRender(t *testing.T) {
	s, _ := newUnitServer(t, "https://ai.example.com/latchkey/")
	lay := s.layoutFor("t")
	admin := lay
	admin.Admin = true
	when := time.Date(2026, 12, 1, 9, 30, 0, 0, time.UTC)
	tests := []struct {
		page  string
		view  any
		wants []string
	}{
		{pageLogin, loginView{layout: lay, Ready: true}, []string{"Continue to Keycloak", "Administrator login", `href="/latchkey/login/keycloak"`, `href="/latchkey/assets/style.css"`}},
		{pageLogin, loginView{layout: lay}, []string{"Sign-in is not set up yet", "Administrator login"}},
		{pageProfile, profileView{layout: lay, Account: "ann@example.com", Team: "ml", Teams: []string{"infra", "ml"}, Key: "lk_KEY", Endpoint: "https://ai.example.com/latchkey"},
			[]string{"Welcome back!", "Account Login", "ann@example.com", "Plugin API Key", `id="plugin-key"`, "lk_KEY", "Your team", `<option selected>ml</option>`, "<option>infra</option>", "How to start", "Endpoint Address", "https://ai.example.com/latchkey", "Copy", "Logout"}},
		{pageProfile, profileView{layout: lay, Account: "ann", Team: "ops", TeamLocked: true}, []string{"Your key was revoked", "set by an administrator", "Create a new key"}},
		{pageError, errorView{layout: lay, Status: 400, Heading: "Expired", Message: "Start again", Back: "/latchkey/login/keycloak", BackText: "Sign in again", Reference: "abc123"}, []string{"Expired", "Start again", `href="/latchkey/login/keycloak"`, "abc123"}},
		{pageAdminLogin, adminLoginView{layout: lay, Error: "Wrong token"}, []string{"Administrator login", `type="password"`, "Wrong token", `aria-invalid="true"`}},
		{pageAuthSettings, authSettingsView{layout: admin, Enabled: true, URL: "https://sso", Realm: "acme", ClientID: "lk", SecretSet: true, FieldErrors: map[string]string{"realm": "bad realm"},
			Problems: []auth.Finding{{ID: "realm", Title: "Realm exists", Status: auth.StatusFail, Tried: "GET x", Answer: "404 Not Found", Problem: "No realm", Fix: "Check the realm"}},
			Passed:   []auth.Finding{{ID: "dns", Title: "Host name resolves", Status: auth.StatusOK}}, CanForce: true, RedirectURI: "https://ai.example.com/latchkey/*"},
			[]string{">Auth<", ">Keycloak<", "Use Keycloak", "checked", "Server Url", `value="https://sso"`, "Realm Name", "Client ID", "Client Secret Key", "set: leave empty to keep it", "Save Settings", "Settings", "Users", "bad realm", "Realm exists", "No realm", "404 Not Found", "Check the realm", "1 other checks passed", "Host name resolves", "Save anyway", "https://ai.example.com/latchkey/*"}},
		{pageUsers, usersView{layout: admin, Total: 1, Page: 1, Pages: 1, Users: []api.User{{ID: "u-1", Account: "ann@example.com", Username: "ann", Team: "ml", SignedIn: true, LastLoginAt: &when, KeyActive: true, Enabled: true}}},
			[]string{"Account", "Team", "ann@example.com", "ml", "2026-12-01 09:30", "active", `action="/latchkey/admin/users/u-1/team"`, "Rotate key", "Revoke key", "1 user in Keycloak"}},
	}
	for _, tt := range tests {
		rec := httptest.NewRecorder()
		s.render(rec, http.StatusOK, tt.page, tt.view)
		body := rec.Body.String()
		if rec.Code != http.StatusOK {
			t.Errorf("%s: status %d: %s", tt.page, rec.Code, body)
			continue
		}
		for _, want := range tt.wants {
			if !strings.Contains(body, want) {
				t.Errorf("%s lacks %q", tt.page, want)
			}
		}
	}
}

func TestTemplatesEscape(t *testing.T) {
	s, _ := newUnitServer(t, "http://127.0.0.1:8008")
	rec := httptest.NewRecorder()
	s.render(rec, http.StatusOK, pageProfile, profileView{layout: s.layoutFor("t"), Account: `<script>alert(1)</script>`, Team: "x"})
	if strings.Contains(rec.Body.String(), "<script>alert") {
		t.Error("an account name was rendered as HTML")
	}
}

func TestCookiesOnHTTPS(t *testing.T) {
	tests := []struct {
		public, name string
		secure       bool
	}{
		{"https://ai.example.com", "__Host-latchkey_admin", true},
		{"http://127.0.0.1:8008", "latchkey_admin", false},
	}
	for _, tt := range tests {
		s, token := newUnitServer(t, tt.public)
		req := httptest.NewRequest(http.MethodPost, tt.public+"/admin/login", strings.NewReader(url.Values{"token": {token.Reveal()}}.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		rec := httptest.NewRecorder()
		s.Handler().ServeHTTP(rec, req)
		cookies := rec.Result().Cookies()
		if rec.Code != http.StatusSeeOther || len(cookies) != 1 {
			t.Fatalf("%s: status %d, cookies %v", tt.public, rec.Code, cookies)
		}
		c := cookies[0]
		if c.Name != tt.name || c.Secure != tt.secure || !c.HttpOnly || c.SameSite != http.SameSiteLaxMode || c.Path != "/" || c.Domain != "" {
			t.Errorf("%s: cookie %+v", tt.public, c)
		}
	}
}
