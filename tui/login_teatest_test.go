package tui

import (
	"bytes"
	"context"
	"fmt"
	"html"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// These flows run the whole program (teatest) against a real latchkey
// server and the real Keycloak, with a real credentials store (file mode).

// realLogin is a real server configured for the test realm, and the
// terminal client's dependencies for it.
type realLogin struct {
	deps  Deps
	realm keycloaktest.Realm
}

// testRealm is the shared real Keycloak and the test realm in it.
func testRealm(t *testing.T) (*keycloaktest.Instance, keycloaktest.Realm) {
	t.Helper()
	kc := keycloaktest.FromEnv(t)
	realm, err := keycloaktest.LoadRealm(keycloaktest.RepoFile(t, "testdata/keycloak/test-realm.json"))
	if err != nil {
		t.Fatal(err)
	}
	return kc, realm
}

func newRealLogin(t *testing.T) *realLogin {
	t.Helper()
	serverURL, admin := newTestServer(t)
	kc, realm := testRealm(t)
	hc := &http.Client{Timeout: 30 * time.Second}
	client := api.NewClient(serverURL, hc)
	secret := realm.ClientSecret
	if _, err := client.UpdateAuthSettings(t.Context(), admin, api.AuthSettingsUpdate{
		Enabled: true, URL: kc.URL, Realm: realm.Name, ClientID: realm.ClientID, ClientSecret: &secret,
	}); err != nil {
		t.Fatalf("configure Keycloak on the server: %v", err)
	}
	secrets, err := credentials.Open(t.Context(), credentials.Options{
		Mode: credentials.ModeFile, File: filepath.Join(t.TempDir(), "credentials.json"), Getenv: func(string) string { return "" },
	})
	if err != nil {
		t.Fatal(err)
	}
	session := testSession(t, serverURL, secrets, client)
	session.OAuth = auth.NewCLI(serverURL, hc)
	return &realLogin{
		realm: realm,
		deps: Deps{
			Session: session,
			OpenURL: func(string) (bool, string) { return false, "no browser in this test" },
			Listen:  func(state string) (Receiver, error) { return auth.ListenLoopback(state) },
			Log:     slog.New(slog.DiscardHandler),
		},
	}
}

func (r *realLogin) password(t *testing.T, username string) string {
	t.Helper()
	for _, u := range r.realm.Users {
		if u.Username == username {
			return u.Password
		}
	}
	t.Fatalf("no user %q in the test realm", username)
	return ""
}

// screenStream is the program's output, kept whole, read as text.
type screenStream struct {
	tm  *teatest.TestModel
	all bytes.Buffer
}

// waitFor waits until the output so far, stripped of escape codes, holds
// every one of want.
func (s *screenStream) waitFor(t *testing.T, want ...string) {
	t.Helper()
	s.wait(t, false, want)
}

// waitForNew waits until the output since the last wait holds every one of
// want, and returns that output: a screen shown again must be drawn again.
func (s *screenStream) waitForNew(t *testing.T, want ...string) string {
	t.Helper()
	return s.wait(t, true, want)
}

func (s *screenStream) wait(t *testing.T, fresh bool, want []string) string {
	t.Helper()
	var text string
	teatest.WaitFor(t, io.TeeReader(s.tm.Output(), &s.all), func(since []byte) bool {
		text = ansi.Strip(s.all.String())
		if fresh {
			text = ansi.Strip(string(since))
		}
		for _, w := range want {
			if !strings.Contains(text, w) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(60*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	return text
}

func (s *screenStream) text() string { return ansi.Strip(s.all.String()) }

func startProgram(t *testing.T, deps Deps, start Start) *screenStream {
	t.Helper()
	tm := teatest.NewTestModel(t, New(deps, start),
		teatest.WithInitialTermSize(80, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	t.Cleanup(func() { tm.Quit() })
	return &screenStream{tm: tm}
}

func enter() tea.Msg { return tea.KeyPressMsg{Code: tea.KeyEnter} }

var pluginKeyOnScreen = regexp.MustCompile(`lk_[0-9A-Za-z]{38}`)

// finalProfile leaves the profile screen with v (reveal) then esc, which
// ends a program started as `latchkey login`, and returns the last screen.
func finalProfile(t *testing.T, s *screenStream) string {
	t.Helper()
	s.tm.Send(tea.KeyPressMsg{Code: 'v', Text: "v"})
	s.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	final, ok := s.tm.FinalModel(t, teatest.WithFinalTimeout(30*time.Second)).(Model)
	if !ok {
		t.Fatal("the final model is not the root model")
	}
	return ansi.Strip(final.View().Content)
}

// checkProfile checks the profile screen of a signed-in realm user: the
// key shown after v is well formed and the one kept in the store.
func checkProfile(t *testing.T, r *realLogin, s *screenStream, final, account string) {
	t.Helper()
	if key := pluginKeyOnScreen.FindString(s.text()); key != "" {
		t.Errorf("the full key was on screen before v: %s…", key[:6])
	}
	if !strings.Contains(s.text(), "lk_•") {
		t.Errorf("no masked key on the profile screen:\n%s", s.text())
	}
	key := pluginKeyOnScreen.FindString(final)
	if key == "" {
		t.Fatalf("v does not show the key:\n%s", final)
	}
	if err := auth.CheckPluginKey(key); err != nil {
		t.Errorf("key on screen: %v", err)
	}
	stored, err := r.deps.Session.CachedKey(t.Context())
	if err != nil || stored.Reveal() != key {
		t.Errorf("the key on screen is not the stored one (err %v)", err)
	}
	flatFinal := flatView(final)
	for _, want := range []string{"Account Login " + account, "account " + account, "Endpoint Address " + r.deps.Session.Server} {
		if !strings.Contains(flatFinal, want) {
			t.Errorf("profile lacks %q:\n%s", want, final)
		}
	}
}

func TestTeaPasswordLogin(t *testing.T) {
	r := newRealLogin(t)
	s := startProgram(t, r.deps, StartLoginPassword)
	s.waitFor(t, "Username")
	s.tm.Type("dave")
	s.tm.Send(enter())
	s.waitFor(t, "Password", "Username dave")

	s.tm.Type("not-his-password")
	s.tm.Send(enter())
	s.waitFor(t, "wrong username or password")
	if strings.Contains(s.text(), "not-his-password") {
		t.Error("the typed password was on screen")
	}

	s.tm.Type(r.password(t, "dave"))
	s.tm.Send(enter())
	s.waitFor(t, "Account Login", "dave", "Plugin API Key", "Your team", "frontend", "Endpoint Address")
	checkProfile(t, r, s, finalProfile(t, s), "dave")
}

// keycloakBrowser plays the person's browser with an HTTP client: it
// follows the sign-in URL to Keycloak's login page, submits it, and follows
// the redirects down to the terminal's loopback receiver.
type keycloakBrowser struct {
	hc             *http.Client
	username, pass string
	mu             sync.Mutex
	err            error
	done           chan struct{}
}

var kcLoginForm = regexp.MustCompile(`<form[^>]*id="kc-form-login"[^>]*action="([^"]+)"`)

func (b *keycloakBrowser) open(signInURL string) error {
	resp, err := b.hc.Get(signInURL)
	if err != nil {
		return fmt.Errorf("open the sign-in URL: %w", err)
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return err
	}
	m := kcLoginForm.FindStringSubmatch(string(body))
	if m == nil {
		return fmt.Errorf("no Keycloak login form at %s (status %d)", resp.Request.URL, resp.StatusCode)
	}
	resp, err = b.hc.PostForm(html.UnescapeString(m[1]), url.Values{"username": {b.username}, "password": {b.pass}, "credentialId": {""}})
	if err != nil {
		return fmt.Errorf("submit the Keycloak login form: %w", err)
	}
	body, _ = io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.Request.URL.Hostname() != "127.0.0.1" || resp.StatusCode != http.StatusOK || !strings.Contains(string(body), "Signed in to latchkey") {
		return fmt.Errorf("the browser ended on %s (status %d), not on the loopback success page", resp.Request.URL.Redacted(), resp.StatusCode)
	}
	return nil
}

func TestTeaBrowserLogin(t *testing.T) {
	r := newRealLogin(t)
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	browser := &keycloakBrowser{
		hc: &http.Client{Jar: jar, Timeout: 30 * time.Second}, username: "bob", pass: r.password(t, "bob"),
		done: make(chan struct{}),
	}
	start := make(chan struct{})
	r.deps.OpenURL = func(u string) (bool, string) {
		go func() {
			defer close(browser.done)
			<-start // the test has seen the URL on screen
			err := browser.open(u)
			browser.mu.Lock()
			browser.err = err
			browser.mu.Unlock()
		}()
		return true, "opened with the test's browser"
	}
	s := startProgram(t, r.deps, StartLogin)
	s.waitFor(t, "Open this URL in your browser", "Opened with the test's browser", "Waiting for the browser")
	if !strings.Contains(s.text(), "/oauth/authorize?") {
		t.Errorf("the sign-in URL is not on screen:\n%s", s.text())
	}
	close(start)
	select {
	case <-browser.done:
	case <-time.After(60 * time.Second):
		t.Fatal("the browser did not finish")
	}
	browser.mu.Lock()
	if browser.err != nil {
		t.Fatal(browser.err)
	}
	browser.mu.Unlock()
	s.waitFor(t, "Account Login", "bob@example.com", "Plugin API Key", "Your team", "t to change")
	checkProfile(t, r, s, finalProfile(t, s), "bob@example.com")
}

// TestTeaBrowserLoginCancel: esc on the waiting screen ends `latchkey login`
// and closes the loopback listener.
func TestTeaBrowserLoginCancel(t *testing.T) {
	r := newRealLogin(t)
	var redirect string
	var mu sync.Mutex
	r.deps.Listen = func(state string) (Receiver, error) {
		l, err := auth.ListenLoopback(state)
		if err == nil {
			mu.Lock()
			redirect = l.RedirectURI()
			mu.Unlock()
		}
		return l, err
	}
	s := startProgram(t, r.deps, StartLogin)
	s.waitFor(t, "Waiting for the browser")
	s.tm.Send(tea.KeyPressMsg{Code: tea.KeyEscape})
	s.tm.WaitFinished(t, teatest.WithFinalTimeout(30*time.Second))
	mu.Lock()
	defer mu.Unlock()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, redirect, nil)
	if resp, err := http.DefaultClient.Do(req); err == nil {
		resp.Body.Close()
		t.Errorf("the loopback receiver still answers after esc (%s)", resp.Status)
	}
}
