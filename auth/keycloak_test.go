package auth

import (
	"errors"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestNormalizeURL(t *testing.T) {
	tests := []struct {
		in, want string
		wantErr  bool
	}{
		{in: "https://sso.example.com", want: "https://sso.example.com"},
		{in: "https://sso.example.com/", want: "https://sso.example.com"},
		{in: "  https://sso.example.com//  ", want: "https://sso.example.com"},
		{in: "https://sso.example.com/auth/", want: "https://sso.example.com/auth"},
		{in: "http://127.0.0.1:8080", want: "http://127.0.0.1:8080"},
		{in: "", wantErr: true},
		{in: "sso.example.com", wantErr: true},
		{in: "ftp://sso.example.com", wantErr: true},
		{in: "https://", wantErr: true},
		{in: "https://user:pw@sso.example.com", wantErr: true},
		{in: "https://sso.example.com/?realm=x", wantErr: true},
		{in: "https://sso.example.com/#x", wantErr: true},
	}
	for _, tt := range tests {
		got, err := NormalizeURL(tt.in)
		if (err != nil) != tt.wantErr || got != tt.want {
			t.Errorf("NormalizeURL(%q) = %q, %v; want %q, error %v", tt.in, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestSettingsURLs(t *testing.T) {
	for _, base := range []string{"https://sso.example.com", "https://sso.example.com/"} {
		s, err := Settings{URL: base, Realm: " Acme Corp ", ClientID: "latchkey", ClientSecret: "x"}.Normalize()
		if err != nil {
			t.Fatal(err)
		}
		if got, want := s.Issuer(), "https://sso.example.com/realms/Acme%20Corp"; got != want {
			t.Errorf("Issuer() = %q, want %q", got, want)
		}
		if got, want := s.AdminBase(), "https://sso.example.com/admin/realms/Acme%20Corp"; got != want {
			t.Errorf("AdminBase() = %q, want %q", got, want)
		}
	}
}

func TestSettingsNormalizeNamesTheField(t *testing.T) {
	good := Settings{URL: "https://sso.example.com", Realm: "acme", ClientID: "latchkey", ClientSecret: "x"}
	tests := []struct {
		name   string
		change func(*Settings)
		field  string
	}{
		{"bad url", func(s *Settings) { s.URL = "sso" }, "url"},
		{"no realm", func(s *Settings) { s.Realm = " " }, "realm"},
		{"slash in realm", func(s *Settings) { s.Realm = "a/b" }, "realm"},
		{"no client", func(s *Settings) { s.ClientID = "" }, "client_id"},
		{"no secret", func(s *Settings) { s.ClientSecret = "" }, "client_secret"},
	}
	for _, tt := range tests {
		s := good
		tt.change(&s)
		_, err := s.Normalize()
		var fe *FieldError
		if !errors.As(err, &fe) || fe.Field != tt.field {
			t.Errorf("%s: error %v, want a FieldError for %q", tt.name, err, tt.field)
		}
	}
	if _, err := good.Normalize(); err != nil {
		t.Errorf("good settings: %v", err)
	}
}

func TestPublicURLDerivation(t *testing.T) {
	fromListen := func(listen string) func() (*url.URL, error) {
		return func() (*url.URL, error) { return DefaultPublicURL(listen) }
	}
	fromFlag := func(public string) func() (*url.URL, error) {
		return func() (*url.URL, error) { return ParsePublicURL(public) }
	}
	tests := []struct {
		name                       string
		public                     func() (*url.URL, error)
		callback, redirect, origin string
	}{
		{"listen loopback", fromListen("127.0.0.1:8008"), "http://127.0.0.1:8008/login/keycloak/callback", "http://127.0.0.1:8008/*", "http://127.0.0.1:8008/"},
		{"listen any", fromListen(":8008"), "http://127.0.0.1:8008/login/keycloak/callback", "http://127.0.0.1:8008/*", "http://127.0.0.1:8008/"},
		{"listen v6 any", fromListen("[::]:9000"), "http://127.0.0.1:9000/login/keycloak/callback", "http://127.0.0.1:9000/*", "http://127.0.0.1:9000/"},
		{"trailing slash", fromFlag("https://ai.example.com/"), "https://ai.example.com/login/keycloak/callback", "https://ai.example.com/*", "https://ai.example.com/"},
		{"path prefix", fromFlag("https://example.com/latchkey/"), "https://example.com/latchkey/login/keycloak/callback", "https://example.com/latchkey/*", "https://example.com/"},
	}
	for _, tt := range tests {
		u, err := tt.public()
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		got := []string{CallbackURL(u), RedirectURIPattern(u), WebOrigin(u)}
		if diff := cmp.Diff([]string{tt.callback, tt.redirect, tt.origin}, got); diff != "" {
			t.Errorf("%s: callback, redirect pattern, web origin (-want +got):\n%s", tt.name, diff)
		}
	}
	for _, bad := range []string{"example.com", "https://example.com/?x=1", "ftp://example.com", "https://u:p@example.com"} {
		if _, err := ParsePublicURL(bad); err == nil {
			t.Errorf("ParsePublicURL(%q) accepted", bad)
		}
	}
	if _, err := DefaultPublicURL("8008"); err == nil {
		t.Error("DefaultPublicURL accepted a listen address without a port")
	}
}
