package server_test

import (
	"context"
	"crypto/rand"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

func TestSignInShowsProfile(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	login := b.get(e.URL + "/")
	for _, label := range []string{"Continue to Keycloak", "Administrator login"} {
		if !strings.Contains(login.Body, label) {
			t.Errorf("login page lacks %q", label)
		}
	}
	profile := e.signIn(t, b, "alice")
	for _, label := range []string{"Welcome back!", "Account Login", "alice@example.com", "Plugin API Key", "Your team", "backend", "How to start", "Endpoint Address", e.URL, "Copy"} {
		if !strings.Contains(profile.Body, label) {
			t.Errorf("profile page lacks %q", label)
		}
	}
	key := pluginKey(t, profile)
	if err := auth.CheckPluginKey(key.Reveal()); err != nil {
		t.Errorf("the key on the page is malformed: %v", err)
	}
	// The same key on every visit, as the guide shows it.
	if again := pluginKey(t, b.get(e.URL+"/")); again != key {
		t.Error("the profile shows another key on the second visit")
	}
	me, err := e.API.Me(t.Context(), key)
	if err != nil {
		t.Fatal(err)
	}
	want := api.Me{Account: "alice@example.com", Email: "alice@example.com", Username: "alice", Name: me.Name, Team: "backend", Teams: []string{"backend"}, Endpoint: e.URL}
	if diff := cmp.Diff(want, me); diff != "" {
		t.Errorf("/api/v1/me (-want +got):\n%s", diff)
	}
	if strings.Contains(e.Logs.String(), key.Reveal()) {
		t.Error("the plugin key appears in the server log")
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	// Walk the redirects by hand to see the Set-Cookie of the callback.
	next := e.URL + "/login/keycloak"
	var loginPage page
	for range 5 {
		p := b.get(next)
		if p.Status == http.StatusOK {
			loginPage = p
			break
		}
		next = resolve(t, p, p.Header.Get("Location"))
	}
	m := kcLoginForm.FindStringSubmatch(loginPage.Body)
	if m == nil {
		t.Fatalf("no Keycloak form:\n%s", loginPage.Body)
	}
	resp, err := b.PostForm(htmlUnescape(m[1]), url.Values{"username": {"alice"}, "password": {e.user(t, "alice").Password}})
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	callback := resp.Header.Get("Location")
	if !strings.HasPrefix(callback, e.URL+"/login/keycloak/callback?") {
		t.Fatalf("Keycloak redirected to %q", callback)
	}
	resp, err = b.Get(callback)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	var session *http.Cookie
	for _, c := range resp.Cookies() {
		if c.Name == "latchkey_session" {
			session = c
		}
	}
	if session == nil {
		t.Fatalf("callback set no session cookie: %v", resp.Header["Set-Cookie"])
	}
	if !session.HttpOnly || session.SameSite != http.SameSiteLaxMode || session.Path != "/" || len(session.Value) < 40 {
		t.Errorf("session cookie %+v: want HttpOnly, SameSite=Lax, Path=/, a long random value", session)
	}
	// Keycloak's tokens stay on the server: nothing JWT-like in any cookie.
	for _, c := range b.Jar.Cookies(mustURL(t, e.URL)) {
		if strings.HasPrefix(c.Value, "eyJ") {
			t.Errorf("cookie %s holds a JWT", c.Name)
		}
	}
}

func TestTeamsFromKeycloakGroups(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	tests := []struct {
		user        string
		account     string
		team        string
		teams       []string
		canPickTeam bool
	}{
		{"alice", "alice@example.com", "backend", []string{"backend"}, false},
		{"bob", "bob@example.com", "backend", []string{"backend", "frontend"}, true},
		{"carol", "carol@example.com", "default", []string{}, false},
		{"dave", "dave", "frontend", []string{"frontend"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.user, func(t *testing.T) {
			b := newBrowser(t)
			profile := e.signIn(t, b, tt.user)
			if got := strings.Contains(profile.Body, `<select id="team"`); got != tt.canPickTeam {
				t.Errorf("team select shown: %v, want %v", got, tt.canPickTeam)
			}
			me, err := e.API.Me(t.Context(), pluginKey(t, profile))
			if err != nil {
				t.Fatal(err)
			}
			got := []string{me.Account, me.Team, strings.Join(me.Teams, ",")}
			if diff := cmp.Diff([]string{tt.account, tt.team, strings.Join(tt.teams, ",")}, got); diff != "" {
				t.Errorf("account, team, teams (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTwoGroupUserSwitchesTeam(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	key := pluginKey(t, e.signIn(t, b, "bob"))
	p := b.post(e.URL+"/profile/team", url.Values{"team": {"frontend"}})
	if !strings.Contains(p.Body, "Your team was saved") || !strings.Contains(p.Body, `<option selected>frontend</option>`) {
		t.Errorf("after picking frontend: status %d\n%s", p.Status, p.Body)
	}
	if me, _ := e.API.Me(t.Context(), key); me.Team != "frontend" {
		t.Errorf("team %q after the switch, want frontend", me.Team)
	}
	if p := b.post(e.URL+"/profile/team", url.Values{"team": {"admins"}}); p.Status != http.StatusBadRequest {
		t.Errorf("picking a team outside the user's groups: status %d, want 400", p.Status)
	}
	// The pick survives the next sign-in, which refreshes the groups.
	b2 := newBrowser(t)
	e.signIn(t, b2, "bob")
	if me, _ := e.API.Me(t.Context(), key); me.Team != "frontend" {
		t.Errorf("team %q after signing in again, want frontend", me.Team)
	}
}

func TestLogoutEndsBothSessions(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	e.signIn(t, b, "alice")
	var hops []string
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		hops = append(hops, req.URL.String())
		return nil
	}
	p := b.post(e.URL+"/logout", nil)
	if len(hops) == 0 || !strings.Contains(hops[0], "/protocol/openid-connect/logout") || !strings.Contains(hops[0], "id_token_hint=") {
		t.Fatalf("logout did not go through Keycloak's end-session endpoint with a hint: %v", hops)
	}
	if !strings.Contains(p.Body, "Continue to Keycloak") {
		t.Errorf("after logout: %d at %s, want the login page", p.Status, p.URL)
	}
	// Keycloak's session is over too: signing in asks for the password again.
	b.CheckRedirect = nil
	if again := b.get(e.URL + "/login/keycloak"); kcLoginForm.FindStringSubmatch(again.Body) == nil {
		t.Errorf("Keycloak did not ask for credentials after logout: %d at %s", again.Status, again.URL)
	}
}

func TestSignInErrorPages(t *testing.T) {
	e := newEnv(t)
	e.configure(t)

	t.Run("state not from this browser", func(t *testing.T) {
		p := newBrowser(t).get(e.URL + "/login/keycloak/callback?code=abc&state=forged")
		assertErrorPage(t, p, http.StatusBadRequest, "This sign-in has expired")
	})
	t.Run("replayed callback", func(t *testing.T) {
		b := newBrowser(t)
		callback := captureCallback(t, e, b, "alice")
		if p := b.get(callback); !strings.Contains(p.Body, "Welcome back!") {
			t.Fatalf("first use of the callback: %d", p.Status)
		}
		replayed := stateCookieBrowser(t, e, b, callback)
		assertErrorPage(t, replayed.get(callback), http.StatusBadRequest, "This sign-in has expired")
	})
	t.Run("access denied", func(t *testing.T) {
		b := newBrowser(t)
		state := startLogin(t, e, b)
		p := b.get(e.URL + "/login/keycloak/callback?error=access_denied&error_description=denied&state=" + url.QueryEscape(state))
		assertErrorPage(t, p, http.StatusForbidden, "Sign-in was cancelled")
	})
	t.Run("bad code", func(t *testing.T) {
		b := newBrowser(t)
		state := startLogin(t, e, b)
		p := b.get(e.URL + "/login/keycloak/callback?code=not-a-code&state=" + url.QueryEscape(state))
		assertErrorPage(t, p, http.StatusBadRequest, "The sign-in code was refused")
	})
	t.Run("keycloak down", func(t *testing.T) {
		down := newEnv(t)
		settings := auth.Settings{Enabled: true, URL: "http://" + closedPort(t), Realm: e.Realm.Name, ClientID: e.Realm.ClientID, ClientSecret: "x"}
		if err := down.Store.SaveKeycloakSettings(context.Background(), settings); err != nil {
			t.Fatal(err)
		}
		assertErrorPage(t, newBrowser(t).get(down.URL+"/login/keycloak"), http.StatusBadGateway, "Keycloak cannot be reached")
	})
	t.Run("not configured", func(t *testing.T) {
		fresh := newEnv(t)
		if p := newBrowser(t).get(fresh.URL + "/"); !strings.Contains(p.Body, "Sign-in is not set up yet") {
			t.Errorf("login page of an unconfigured server:\n%s", p.Body)
		}
		assertErrorPage(t, newBrowser(t).get(fresh.URL+"/login/keycloak"), http.StatusServiceUnavailable, "Sign-in is not set up yet")
	})
}

func assertErrorPage(t *testing.T, p page, status int, heading string) {
	t.Helper()
	if p.Status != status || !strings.Contains(p.Body, heading) {
		t.Errorf("got %d, want %d with %q:\n%s", p.Status, status, heading, p.Body)
	}
	if !strings.Contains(p.Body, `class="button" href="`) {
		t.Error("the error page offers no way back")
	}
	for _, leak := range []string{"goroutine", "panic", ".go:"} {
		if strings.Contains(p.Body, leak) {
			t.Errorf("the error page shows %q", leak)
		}
	}
}

// startLogin begins a sign-in and returns its state, as Keycloak received it.
func startLogin(t *testing.T, e *env, b *browser) string {
	t.Helper()
	p := b.get(e.URL + "/login/keycloak")
	state := p.URL.Query().Get("state")
	if state == "" || p.URL.Query().Get("code_challenge_method") != "S256" || p.URL.Query().Get("nonce") == "" {
		t.Fatalf("Keycloak was reached without state, nonce or S256 PKCE: %s", p.URL)
	}
	return state
}

// captureCallback signs in up to Keycloak's redirect back and returns the
// callback URL without following it.
func captureCallback(t *testing.T, e *env, b *browser, username string) string {
	t.Helper()
	login := b.get(e.URL + "/login/keycloak")
	m := kcLoginForm.FindStringSubmatch(login.Body)
	if m == nil {
		t.Fatalf("no Keycloak form at %s", login.URL)
	}
	var callback string
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), e.URL+"/login/keycloak/callback") {
			callback = req.URL.String()
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { b.CheckRedirect = nil }()
	b.post(htmlUnescape(m[1]), url.Values{"username": {username}, "password": {e.user(t, username).Password}})
	if callback == "" {
		t.Fatal("Keycloak did not redirect to the callback")
	}
	return callback
}

// stateCookieBrowser is a fresh browser holding the login cookie for the
// callback's state, as an attacker replaying a captured callback would.
func stateCookieBrowser(t *testing.T, e *env, b *browser, callback string) *browser {
	t.Helper()
	state := mustURL(t, callback).Query().Get("state")
	replay := newBrowser(t)
	replay.Jar.SetCookies(mustURL(t, e.URL), []*http.Cookie{{Name: "latchkey_login", Value: state, Path: "/"}})
	return replay
}

func resolve(t *testing.T, p page, location string) string {
	t.Helper()
	u, err := p.URL.Parse(location)
	if err != nil {
		t.Fatal(err)
	}
	return u.String()
}

// A realm that maps groups into the ID token: latchkey takes the teams from
// the claim. This client has no service account at all, so the Admin API
// cannot be the source; the settings are saved anyway for that reason.
func TestTeamsFromGroupsClaim(t *testing.T) {
	e := newEnv(t)
	clientID, secret := "latchkey-claims-"+strings.ToLower(rand.Text()[:8]), "claims-secret-0123456789"
	client := map[string]any{
		"clientId": clientID, "enabled": true, "publicClient": false, "secret": secret,
		"standardFlowEnabled": true, "serviceAccountsEnabled": false,
		"redirectUris": []string{"http://127.0.0.1/*"}, "webOrigins": []string{"http://127.0.0.1/"},
		"protocolMappers": []map[string]any{{
			"name": "groups", "protocol": "openid-connect", "protocolMapper": "oidc-group-membership-mapper",
			"config": map[string]string{"claim.name": "groups", "full.path": "false", "id.token.claim": "true", "access.token.claim": "true"},
		}},
	}
	clients := "/admin/realms/" + e.Realm.Name + "/clients"
	if err := e.KC.Admin(t.Context(), http.MethodPost, clients, client, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		var found []struct{ ID string }
		if err := e.KC.Admin(context.Background(), http.MethodGet, clients+"?clientId="+clientID, nil, &found); err == nil && len(found) == 1 {
			e.KC.Admin(context.Background(), http.MethodDelete, clients+"/"+found[0].ID, nil, nil)
		}
	})
	update := e.goodSettings()
	update.ClientID, update.ClientSecret, update.SaveAnyway = clientID, &secret, true
	saved, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, update)
	if err != nil {
		t.Fatal(err)
	}
	if f, _ := (auth.Report{Findings: saved.Findings}).Finding(auth.IDServiceAccount); f.Status != auth.StatusFail {
		t.Fatalf("service-account check: %+v; the test needs a client without a service account", f)
	}
	me, err := e.API.Me(t.Context(), pluginKey(t, e.signIn(t, newBrowser(t), "bob")))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"backend", "frontend"}, me.Teams); diff != "" {
		t.Errorf("teams from the groups claim (-want +got):\n%s", diff)
	}
}
