package server_test

import (
	"crypto/rand"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// cliLogin plays the terminal client's loopback sign-in with a browser that
// fills Keycloak's form, and returns where the server sent the browser back
// (not followed: nothing listens on the loopback address).
func cliLogin(t *testing.T, e *env, b *browser, username, redirectURI, state, verifier string) *url.URL {
	t.Helper()
	cli := auth.NewCLI(e.URL, http.DefaultClient)
	var back *url.URL
	b.CheckRedirect = func(req *http.Request, _ []*http.Request) error {
		if strings.HasPrefix(req.URL.String(), redirectURI) {
			back = req.URL
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() { b.CheckRedirect = nil }()
	p := b.get(cli.AuthCodeURL(redirectURI, state, verifier))
	if back == nil {
		b.keycloakForm(p, username, e.user(t, username).Password)
	}
	if back == nil {
		t.Fatalf("the server did not send the browser back to %s", redirectURI)
	}
	return back
}

func newLoopbackURI() string { return "http://127.0.0.1:49152/callback/" + rand.Text() }

// cliTokens runs the whole loopback sign-in and redeems the code.
func cliTokens(t *testing.T, e *env, b *browser, username string) auth.CLITokens {
	t.Helper()
	redirect, state, verifier := newLoopbackURI(), rand.Text(), oauth2.GenerateVerifier()
	back := cliLogin(t, e, b, username, redirect, state, verifier)
	if back.Query().Get("state") != state || back.Query().Get("code") == "" {
		t.Fatalf("redirect back %s: want the state and a code", back)
	}
	tokens, err := auth.NewCLI(e.URL, http.DefaultClient).Exchange(t.Context(), back.Query().Get("code"), redirect, verifier)
	if err != nil {
		t.Fatal(err)
	}
	return tokens
}

func TestCLILoopbackSignIn(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	tokens := cliTokens(t, e, b, "bob")
	if !tokens.Expiry.After(time.Now().Add(10*time.Minute)) || !tokens.Refresh.IsSet() {
		t.Errorf("tokens expire at %v, refresh set %v", tokens.Expiry, tokens.Refresh.IsSet())
	}
	me, err := e.API.Me(t.Context(), tokens.Access)
	if err != nil {
		t.Fatal(err)
	}
	if me.Account != "bob@example.com" || auth.CheckPluginKey(me.PluginAPIKey) != nil {
		t.Errorf("/api/v1/me with a CLI token: %+v; want bob's account and his plugin key", me)
	}
	// The browser is signed in to the web too, with the same key.
	if key := pluginKey(t, b.get(e.URL+"/")); key.Reveal() != me.PluginAPIKey {
		t.Error("the CLI got another key than the profile page shows")
	}
	rotated, err := e.API.RotateMyKey(t.Context(), tokens.Access)
	if err != nil || rotated.PluginAPIKey == me.PluginAPIKey || auth.CheckPluginKey(rotated.PluginAPIKey) != nil {
		t.Errorf("rotate with a CLI token: %v, %+v", err, rotated)
	}
	if _, err := e.API.RotateMyKey(t.Context(), auth.Secret(rotated.PluginAPIKey)); !api.IsStatus(err, http.StatusForbidden) {
		t.Errorf("a plugin key rotating itself: %v, want 403", err)
	}
}

func TestCLIRefreshRotates(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	cli := auth.NewCLI(e.URL, http.DefaultClient)
	first := cliTokens(t, e, newBrowser(t), "alice")
	second, err := cli.Refresh(t.Context(), first.Refresh)
	if err != nil {
		t.Fatal(err)
	}
	if second.Refresh == first.Refresh || second.Access == first.Access {
		t.Fatal("refresh did not rotate the tokens")
	}
	if _, err := e.API.Me(t.Context(), second.Access); err != nil {
		t.Errorf("new access token: %v", err)
	}
	// Reusing the old refresh token is taken as theft: the whole grant ends.
	if _, err := cli.Refresh(t.Context(), first.Refresh); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("reused refresh token: %v, want login required", err)
	}
	if _, err := cli.Refresh(t.Context(), second.Refresh); !errors.Is(err, auth.ErrLoginRequired) {
		t.Errorf("the newer refresh token after a reuse: %v, want login required", err)
	}
	if _, err := e.API.Me(t.Context(), second.Access); !api.IsStatus(err, http.StatusUnauthorized) {
		t.Errorf("access token of a revoked grant: %v, want 401", err)
	}
}

func TestCLICodeRules(t *testing.T) {
	clock := newTestClock()
	e := newEnv(t, withClock(clock.Now))
	e.configure(t)
	cli := auth.NewCLI(e.URL, http.DefaultClient)
	login := func(t *testing.T) (code, redirect, verifier string) {
		redirect, verifier = newLoopbackURI(), oauth2.GenerateVerifier()
		back := cliLogin(t, e, newBrowser(t), "carol", redirect, "st", verifier)
		return back.Query().Get("code"), redirect, verifier
	}
	t.Run("wrong verifier", func(t *testing.T) {
		code, redirect, _ := login(t)
		if _, err := cli.Exchange(t.Context(), code, redirect, oauth2.GenerateVerifier()); !isOAuthError(err, "invalid_grant") {
			t.Errorf("got %v, want invalid_grant", err)
		}
	})
	t.Run("foreign redirect_uri at exchange", func(t *testing.T) {
		code, _, verifier := login(t)
		if _, err := cli.Exchange(t.Context(), code, newLoopbackURI(), verifier); !isOAuthError(err, "invalid_grant") {
			t.Errorf("got %v, want invalid_grant", err)
		}
	})
	t.Run("reused code", func(t *testing.T) {
		code, redirect, verifier := login(t)
		tokens, err := cli.Exchange(t.Context(), code, redirect, verifier)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Exchange(t.Context(), code, redirect, verifier); !isOAuthError(err, "invalid_grant") {
			t.Errorf("second exchange: %v, want invalid_grant", err)
		}
		if _, err := e.API.Me(t.Context(), tokens.Access); !api.IsStatus(err, http.StatusUnauthorized) {
			t.Errorf("tokens of a reused code still work: %v", err)
		}
	})
	t.Run("expired code", func(t *testing.T) {
		code, redirect, verifier := login(t)
		clock.Advance(61 * time.Second)
		if _, err := cli.Exchange(t.Context(), code, redirect, verifier); !isOAuthError(err, "invalid_grant") {
			t.Errorf("got %v, want invalid_grant", err)
		}
	})
}

func TestCLIAuthorizeRefusals(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	challenge := oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())
	base := url.Values{"client_id": {auth.CLIClientID}, "response_type": {"code"}, "redirect_uri": {newLoopbackURI()},
		"state": {"st"}, "code_challenge": {challenge}, "code_challenge_method": {"S256"}}
	tests := []struct {
		name      string
		change    func(url.Values)
		errorPage bool   // refused on a page, without redirecting
		oauthErr  string // else: the error sent back to the redirect URI
	}{
		{"foreign redirect_uri", func(v url.Values) { v.Set("redirect_uri", "https://evil.example/cb") }, true, ""},
		{"localhost by name", func(v url.Values) { v.Set("redirect_uri", "http://localhost:4000/cb") }, true, ""},
		{"no port", func(v url.Values) { v.Set("redirect_uri", "http://127.0.0.1/cb") }, true, ""},
		{"unknown client", func(v url.Values) { v.Set("client_id", "other") }, true, ""},
		{"no PKCE", func(v url.Values) { v.Del("code_challenge") }, false, "invalid_request"},
		{"plain PKCE", func(v url.Values) { v.Set("code_challenge_method", "plain") }, false, "invalid_request"},
		{"implicit flow", func(v url.Values) { v.Set("response_type", "token") }, false, "unsupported_response_type"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			q := url.Values{}
			for k, v := range base {
				q[k] = append([]string(nil), v...)
			}
			tt.change(q)
			b := newBrowser(t)
			b.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			p := b.get(e.URL + "/oauth/authorize?" + q.Encode())
			loc, _ := url.Parse(p.Header.Get("Location"))
			if tt.errorPage {
				if p.Status != http.StatusBadRequest || p.Header.Get("Location") != "" {
					t.Errorf("got %d to %q, want a 400 page and no redirect", p.Status, p.Header.Get("Location"))
				}
				return
			}
			if loc == nil || !strings.HasPrefix(loc.String(), q.Get("redirect_uri")) || loc.Query().Get("error") != tt.oauthErr || loc.Query().Get("state") != "st" {
				t.Errorf("got %d to %v, want the redirect URI with error=%s and the state", p.Status, loc, tt.oauthErr)
			}
		})
	}
}

func TestCLIPasswordGrant(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	cli := auth.NewCLI(e.URL, http.DefaultClient)
	tokens, err := cli.Password(t.Context(), "dave", auth.Secret(e.user(t, "dave").Password))
	if err != nil {
		t.Fatal(err)
	}
	if me, err := e.API.Me(t.Context(), tokens.Access); err != nil || me.Account != "dave" || me.PluginAPIKey == "" {
		t.Errorf("password sign-in: %v %+v", err, me)
	}
	if _, err := cli.Password(t.Context(), "dave", "wrong"); !isOAuthError(err, "invalid_grant") {
		t.Errorf("wrong password: %v, want invalid_grant", err)
	}
	if strings.Contains(e.Logs.String(), e.user(t, "dave").Password) {
		t.Error("the password appears in the server log")
	}
}

func TestSignOutEndsCLISignIns(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	cli := auth.NewCLI(e.URL, http.DefaultClient)

	t.Run("logout on the web page", func(t *testing.T) {
		b := newBrowser(t)
		tokens := cliTokens(t, e, b, "alice")
		b.post(e.URL+"/logout", nil)
		if _, err := cli.Refresh(t.Context(), tokens.Refresh); !errors.Is(err, auth.ErrLoginRequired) {
			t.Errorf("refresh after web logout: %v, want login required", err)
		}
		if _, err := e.API.Me(t.Context(), tokens.Access); !api.IsStatus(err, http.StatusUnauthorized) {
			t.Errorf("access token after web logout: %v, want 401", err)
		}
	})
	t.Run("sign-out at keycloak", func(t *testing.T) {
		tokens := cliTokens(t, e, newBrowser(t), "bob")
		page, err := e.API.Users(t.Context(), e.AdminToken, "bob", 0, 1)
		if err != nil || len(page.Users) != 1 {
			t.Fatalf("find bob: %v", err)
		}
		if err := e.KC.Admin(t.Context(), http.MethodPost, "/admin/realms/"+e.Realm.Name+"/users/"+page.Users[0].ID+"/logout", nil, nil); err != nil {
			t.Fatal(err)
		}
		if _, err := cli.Refresh(t.Context(), tokens.Refresh); !errors.Is(err, auth.ErrLoginRequired) {
			t.Errorf("refresh after Keycloak sign-out: %v, want login required", err)
		}
	})
	t.Run("revoke", func(t *testing.T) {
		tokens := cliTokens(t, e, newBrowser(t), "carol")
		if err := cli.Revoke(t.Context(), tokens.Refresh); err != nil {
			t.Fatal(err)
		}
		if _, err := e.API.Me(t.Context(), tokens.Access); !api.IsStatus(err, http.StatusUnauthorized) {
			t.Errorf("access token after revoke: %v, want 401", err)
		}
		if err := cli.Revoke(t.Context(), "lkrt_unknown"); err != nil {
			t.Errorf("revoking an unknown token must answer 200: %v", err)
		}
	})
}

func isOAuthError(err error, code string) bool {
	var re *oauth2.RetrieveError
	return errors.As(err, &re) && re.ErrorCode == code
}

// testClock is a clock tests move by hand.
type testClock struct {
	mu  sync.Mutex
	now time.Time
}

func newTestClock() *testClock { return &testClock{now: time.Now()} }

func (c *testClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *testClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}
