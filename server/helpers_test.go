package server_test

import (
	"encoding/json"
	"errors"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/internal/servertest"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

const testRealmFile = "testdata/keycloak/test-realm.json"

func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, testRealmFile)) }

// env is one latchkey server on a free loopback port, with its own SQLite
// database, talking to the shared real Keycloak.
type env struct {
	URL        string
	AdminToken auth.Secret
	Store      *store.Store
	API        *api.Client
	Realm      keycloaktest.Realm
	KC         *keycloaktest.Instance
	Logs       *servertest.LogBuffer
	srv        *server.Server
}

type envOption func(*servertest.Options)

// withClock makes the server and its store read the time from now.
func withClock(now func() time.Time) envOption {
	return func(o *servertest.Options) { o.Now = now }
}

// withServerConfig changes the server's configuration; several add up.
func withServerConfig(f func(*server.Config)) envOption {
	return func(o *servertest.Options) {
		prev := o.Configure
		o.Configure = func(c *server.Config) {
			if prev != nil {
				prev(c)
			}
			f(c)
		}
	}
}

func newEnv(t *testing.T, opts ...envOption) *env {
	t.Helper()
	kc := keycloaktest.FromEnv(t)
	realm, err := keycloaktest.LoadRealm(keycloaktest.RepoFile(t, testRealmFile))
	if err != nil {
		t.Fatal(err)
	}
	var o servertest.Options
	for _, opt := range opts {
		opt(&o)
	}
	s := servertest.Start(t, o)
	return &env{
		URL: s.URL, AdminToken: s.AdminToken, Store: s.Store, Logs: s.Logs, srv: s.Server,
		API: api.NewClient(s.URL, &http.Client{Timeout: 30 * time.Second}), Realm: realm, KC: kc,
	}
}

// goodSettings are the test realm's settings, exactly as the guide sets them up.
func (e *env) goodSettings() api.AuthSettingsUpdate {
	secret := e.Realm.ClientSecret
	return api.AuthSettingsUpdate{Enabled: true, URL: e.KC.URL, Realm: e.Realm.Name, ClientID: e.Realm.ClientID, ClientSecret: &secret}
}

// configure saves the good settings through the admin API.
func (e *env) configure(t *testing.T) {
	t.Helper()
	if _, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, e.goodSettings()); err != nil {
		t.Fatalf("save good settings: %v", err)
	}
}

func (e *env) user(t *testing.T, username string) keycloaktest.User {
	t.Helper()
	for _, u := range e.Realm.Users {
		if u.Username == username {
			return u
		}
	}
	t.Fatalf("no user %q in the test realm", username)
	return keycloaktest.User{}
}

// browser is an HTTP client with a cookie jar that follows redirects, as a
// browser does.
type browser struct {
	*http.Client
	t *testing.T
}

func newBrowser(t *testing.T) *browser {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &browser{Client: &http.Client{Jar: jar, Timeout: 30 * time.Second}, t: t}
}

// page is a fetched HTML page.
type page struct {
	Status int
	URL    *url.URL
	Body   string
	Header http.Header
}

func (b *browser) get(rawURL string) page {
	b.t.Helper()
	resp, err := b.Get(rawURL)
	if err != nil {
		b.t.Fatalf("GET %s: %v", rawURL, err)
	}
	return readPage(b.t, resp)
}

func (b *browser) post(rawURL string, form url.Values) page {
	b.t.Helper()
	resp, err := b.PostForm(rawURL, form)
	if err != nil {
		b.t.Fatalf("POST %s: %v", rawURL, err)
	}
	return readPage(b.t, resp)
}

func readPage(t *testing.T, resp *http.Response) page {
	t.Helper()
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return page{Status: resp.StatusCode, URL: resp.Request.URL, Body: string(body), Header: resp.Header}
}

var kcLoginForm = regexp.MustCompile(`<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"`)

// keycloakForm submits Keycloak's real login form on p.
func (b *browser) keycloakForm(p page, username, password string) page {
	b.t.Helper()
	m := kcLoginForm.FindStringSubmatch(p.Body)
	if m == nil {
		b.t.Fatalf("no Keycloak login form at %s (status %d):\n%s", p.URL, p.Status, p.Body)
	}
	return b.post(html.UnescapeString(m[1]), url.Values{"username": {username}, "password": {password}, "credentialId": {""}})
}

// signIn runs the whole browser sign-in: Continue to Keycloak, Keycloak's
// own form, back to the profile page.
func (e *env) signIn(t *testing.T, b *browser, username string) page {
	t.Helper()
	login := b.get(e.URL + "/login/keycloak")
	if !strings.HasPrefix(login.URL.String(), e.KC.URL) {
		t.Fatalf("Continue to Keycloak ended at %s, not at Keycloak (status %d)", login.URL, login.Status)
	}
	profile := b.keycloakForm(login, username, e.user(t, username).Password)
	if profile.Status != http.StatusOK || !strings.Contains(profile.Body, "Welcome back!") {
		t.Fatalf("after Keycloak's form: %d at %s:\n%s", profile.Status, profile.URL, profile.Body)
	}
	return profile
}

var keyOnPage = regexp.MustCompile(`id="plugin-key"[^>]*>(lk_[0-9A-Za-z]+)<`)

// pluginKey is the key shown on a profile page.
func pluginKey(t *testing.T, p page) auth.Secret {
	t.Helper()
	m := keyOnPage.FindStringSubmatch(p.Body)
	if m == nil {
		t.Fatalf("no plugin key on the page:\n%s", p.Body)
	}
	return auth.Secret(m[1])
}

// adminBrowser is a browser signed in with the admin token.
func (e *env) adminBrowser(t *testing.T) *browser {
	t.Helper()
	b := newBrowser(t)
	p := b.post(e.URL+"/admin/login", url.Values{"token": {e.AdminToken.Reveal()}})
	if p.Status != http.StatusOK || !strings.HasSuffix(p.URL.Path, "/admin/settings/auth") {
		t.Fatalf("admin login: %d at %s", p.Status, p.URL)
	}
	return b
}

// pluginLogin calls GET /v1/login with key as the plugin does.
func (e *env) pluginLogin(t *testing.T, key string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, e.URL+"/v1/login", nil)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var body map[string]any
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil {
		t.Fatalf("/v1/login body: %v", err)
	}
	return resp.StatusCode, body
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// problems are the checks that failed or warned, by ID.
func problems(findings []auth.Finding) map[string]auth.Status {
	out := map[string]auth.Status{}
	for _, f := range findings {
		if f.Status == auth.StatusFail || f.Status == auth.StatusWarn {
			out[f.ID] = f.Status
		}
	}
	return out
}

func statusErr(t *testing.T, err error) *api.StatusError {
	t.Helper()
	var se *api.StatusError
	if !errors.As(err, &se) {
		t.Fatalf("want an API status error, got %v", err)
	}
	return se
}

func htmlUnescape(s string) string { return html.UnescapeString(s) }
