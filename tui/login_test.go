package tui

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// Test fakes for the login and profile model tests. They stand in for the
// OS keyring, the server's OAuth endpoints and the loopback listener; the
// account API is a real HTTP server (httptest) with canned answers.

// fakeLoginSecrets is an in-memory Secrets.
type fakeLoginSecrets struct {
	mu              sync.Mutex
	items           map[string]auth.Secret
	backend, reason string // "" is the keyring
}

func (f *fakeLoginSecrets) Get(_ context.Context, server, item string) (auth.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[server+" "+item]
	if !ok {
		return "", credentials.ErrNotFound
	}
	return v, nil
}

func (f *fakeLoginSecrets) Set(_ context.Context, server, item string, v auth.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[server+" "+item] = v
	return nil
}

func (f *fakeLoginSecrets) Delete(_ context.Context, server, item string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.items[server+" "+item]
	delete(f.items, server+" "+item)
	return ok, nil
}

func (f *fakeLoginSecrets) Backend() string {
	if f.backend == "" {
		return "keyring"
	}
	return f.backend
}

func (f *fakeLoginSecrets) Reason() string { return f.reason }

// fakeLoginOAuth is the server's OAuth side: any code redeems, and one
// password is right.
type fakeLoginOAuth struct {
	mu        sync.Mutex
	password  string   // the right password
	passwords []string // every password tried
	codes     []string // every code redeemed
}

func (f *fakeLoginOAuth) AuthCodeURL(redirectURI, state, verifier string) string {
	q := url.Values{
		"client_id": {auth.CLIClientID}, "redirect_uri": {redirectURI}, "state": {state},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"response_type": {"code"},
	}
	return "http://latchkey.test/oauth/authorize?" + q.Encode()
}

func (f *fakeLoginOAuth) tokens() auth.CLITokens {
	return auth.CLITokens{Access: "access", Refresh: "refresh", Expiry: time.Now().Add(time.Hour)}
}

func (f *fakeLoginOAuth) Exchange(_ context.Context, code, _, _ string) (auth.CLITokens, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	return f.tokens(), nil
}

func (f *fakeLoginOAuth) Password(_ context.Context, _ string, password auth.Secret) (auth.CLITokens, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passwords = append(f.passwords, password.Reveal())
	if password.Reveal() != f.password {
		return auth.CLITokens{}, fmt.Errorf("password sign-in: %w", &oauth2.RetrieveError{
			ErrorCode: "invalid_grant", ErrorDescription: "wrong username or password, or the account is disabled"})
	}
	return f.tokens(), nil
}

func (f *fakeLoginOAuth) Refresh(context.Context, auth.Secret) (auth.CLITokens, error) {
	return auth.CLITokens{}, auth.ErrLoginRequired
}

func (f *fakeLoginOAuth) Revoke(context.Context, auth.Secret) error { return nil }

// fakeLoginReceiver is a loopback receiver whose browser the test plays:
// answer sends what Wait returns.
type fakeLoginReceiver struct {
	answers chan receiverAnswer
	mu      sync.Mutex
	closed  chan struct{}
	once    sync.Once
	closes  int
}

type receiverAnswer struct {
	code string
	err  error
}

func newFakeLoginReceiver() *fakeLoginReceiver {
	return &fakeLoginReceiver{answers: make(chan receiverAnswer, 1), closed: make(chan struct{})}
}

func (f *fakeLoginReceiver) RedirectURI() string {
	return "http://127.0.0.1:49152/callback/unguessable"
}

func (f *fakeLoginReceiver) Wait(ctx context.Context) (string, error) {
	select {
	case r := <-f.answers:
		return r.code, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-f.closed:
		return "", auth.ErrLoopbackClosed
	}
}

func (f *fakeLoginReceiver) Close() error {
	f.mu.Lock()
	f.closes++
	f.mu.Unlock()
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeLoginReceiver) closeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closes
}

// fakeAccountAPI serves /api/v1/me and its changes for one person.
type fakeAccountAPI struct {
	mu      sync.Mutex
	me      api.Me
	rotated int
}

func (f *fakeAccountAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if r.Header.Get("Authorization") != "Bearer access" {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	switch r.Method + " " + r.URL.Path {
	case "GET /api/v1/me":
	case "POST /api/v1/me/plugin-key":
		f.rotated++
		f.me.PluginAPIKey = auth.NewPluginKey().Reveal()
	case "PUT /api/v1/me/team":
		var c api.TeamChoice
		json.NewDecoder(r.Body).Decode(&c)
		f.me.Team = c.Team
	default:
		http.NotFound(w, r)
		return
	}
	json.NewEncoder(w).Encode(f.me)
}

// loginFixture is a session at a fake server, and the loopback receivers
// the screen starts.
type loginFixture struct {
	deps      Deps
	oauth     *fakeLoginOAuth
	api       *fakeAccountAPI
	mu        sync.Mutex
	receivers []*fakeLoginReceiver
	opened    []string
}

func newLoginFixture(t *testing.T) *loginFixture {
	t.Helper()
	f := &loginFixture{
		oauth: &fakeLoginOAuth{password: "dave-test"},
		api: &fakeAccountAPI{me: api.Me{
			Account: "dave", Username: "dave", Team: "frontend", Teams: []string{"frontend"},
			Endpoint: "http://latchkey.test", PluginAPIKey: auth.NewPluginKey().Reveal(),
		}},
	}
	srv := httptest.NewServer(f.api)
	t.Cleanup(srv.Close)
	dir := t.TempDir()
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	f.deps = Deps{
		Session: &Session{
			Server: "http://latchkey.test", Secrets: &fakeLoginSecrets{items: map[string]auth.Secret{}}, OAuth: f.oauth,
			API: api.NewClient(srv.URL, srv.Client()), Config: cfg, LockFile: filepath.Join(dir, "refresh.lock"), Now: time.Now,
		},
		OpenURL: func(u string) (bool, string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.opened = append(f.opened, u)
			return true, "opened with xdg-open"
		},
		Listen: func(string) (Receiver, error) {
			r := newFakeLoginReceiver()
			f.mu.Lock()
			f.receivers = append(f.receivers, r)
			f.mu.Unlock()
			t.Cleanup(func() { r.Close() })
			return r, nil
		},
	}
	return f
}

// signIn stores tokens, as a finished sign-in does.
func (f *loginFixture) signIn(t *testing.T) {
	t.Helper()
	if err := f.deps.Session.Save(t.Context(), f.oauth.tokens()); err != nil {
		t.Fatal(err)
	}
}

func (f *loginFixture) receiver(t *testing.T, i int) *fakeLoginReceiver {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.receivers) {
		t.Fatalf("%d loopback receivers started, want at least %d", len(f.receivers), i+1)
	}
	return f.receivers[i]
}

func (f *loginFixture) openCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.opened)
}

// cmdPump plays the part of the Bubble Tea runtime for a model test: it runs
// cmd and every command that update returns, each in its own goroutine (a
// wait for the browser blocks), and hands their messages to update, one at
// a time, until done() holds. It returns every message delivered.
type cmdPump struct {
	t      *testing.T
	update func(tea.Msg) tea.Cmd
	msgs   chan tea.Msg
	seen   []tea.Msg
}

func newCmdPump(t *testing.T, update func(tea.Msg) tea.Cmd) *cmdPump {
	return &cmdPump{t: t, update: update, msgs: make(chan tea.Msg, 64)}
}

func (p *cmdPump) run(cmd tea.Cmd) {
	if cmd == nil {
		return
	}
	go func() {
		p.deliver(cmd())
	}()
}

// deliver queues msg, running the commands of a tea.Sequence in order.
func (p *cmdPump) deliver(msg tea.Msg) {
	switch {
	case msg == nil:
	case fmt.Sprintf("%T", msg) == "tea.sequenceMsg":
		for _, c := range reflect.ValueOf(msg).Convert(reflect.TypeFor[[]tea.Cmd]()).Interface().([]tea.Cmd) {
			if c != nil {
				p.deliver(c())
			}
		}
	default:
		if batch, ok := msg.(tea.BatchMsg); ok {
			for _, c := range batch {
				p.run(c)
			}
			return
		}
		p.msgs <- msg
	}
}

// until runs cmd and delivers messages until done holds (checked before
// each message too).
func (p *cmdPump) until(cmd tea.Cmd, what string, done func() bool) {
	p.t.Helper()
	p.run(cmd)
	deadline := time.After(10 * time.Second)
	for !done() {
		select {
		case msg := <-p.msgs:
			p.seen = append(p.seen, msg)
			p.run(p.update(msg))
		case <-deadline:
			p.t.Fatalf("waiting for %s: no luck after 10s; messages: %s", what, msgTypeNames(p.seen))
		}
	}
}

// key delivers a key press and its consequences until done holds.
func (p *cmdPump) key(k string, what string, done func() bool) {
	p.t.Helper()
	p.until(p.update(pressed(k)), what, done)
}

// got reports whether a message like want has been delivered.
func (p *cmdPump) got(match func(tea.Msg) bool) func() bool {
	return func() bool {
		for _, m := range p.seen {
			if match(m) {
				return true
			}
		}
		return false
	}
}

func msgTypeNames(msgs []tea.Msg) string {
	var names []string
	for _, m := range msgs {
		names = append(names, fmt.Sprintf("%T", m))
	}
	return strings.Join(names, " ")
}

func isNavigateTo(to screen) func(tea.Msg) bool {
	return func(m tea.Msg) bool { n, ok := m.(navigateMsg); return ok && n.to == to }
}

// clipboardOf returns what a tea.SetClipboard message copies.
func clipboardOf(msg tea.Msg) (string, bool) {
	v := reflect.ValueOf(msg)
	if fmt.Sprintf("%T", msg) != "tea.setClipboardMsg" || v.Kind() != reflect.String {
		return "", false
	}
	return v.String(), true
}

// pressed is the message of a key as the terminal sends it.
func pressed(k string) tea.KeyPressMsg {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}
	case "tab":
		return tea.KeyPressMsg{Code: tea.KeyTab}
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}
	case "backspace":
		return tea.KeyPressMsg{Code: tea.KeyBackspace}
	}
	if ctrl, ok := strings.CutPrefix(k, "ctrl+"); ok {
		return tea.KeyPressMsg{Code: rune(ctrl[0]), Mod: tea.ModCtrl}
	}
	r := []rune(k)
	return tea.KeyPressMsg{Code: r[0], Text: k}
}

// plainView is a view as the person reads it: no colours, no margins.
func plainView(view string) string {
	lines := strings.Split(ansi.Strip(view), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}

// flatView is the view's text as one line: wrapped sentences read whole.
func flatView(view string) string {
	return strings.Join(strings.Fields(ansi.Strip(view)), " ")
}

// unwrappedView joins the view's lines without their indentation, so that a
// wrapped URL reads as one.
func unwrappedView(view string) string {
	var b strings.Builder
	for _, l := range strings.Split(ansi.Strip(view), "\n") {
		b.WriteString(strings.TrimSpace(l))
	}
	return b.String()
}

// loginUnderTest is a login screen with its cmdPump.
type loginUnderTest struct {
	m loginModel
	p *cmdPump
	f *loginFixture
}

func startLogin(t *testing.T, start Start) *loginUnderTest {
	t.Helper()
	lt := &loginUnderTest{f: newLoginFixture(t)}
	lt.m = newLogin(lt.f.deps, start)
	lt.p = newCmdPump(t, func(msg tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		lt.m, cmd = lt.m.Update(msg)
		return cmd
	})
	lt.send(tea.WindowSizeMsg{Width: 80, Height: 30})
	return lt
}

// send delivers msg and starts the commands it returns.
func (lt *loginUnderTest) send(msg tea.Msg) { lt.p.run(lt.p.update(msg)) }

func (lt *loginUnderTest) view() string { return lt.m.View(newStyles(true), 80) }

// waiting starts a browser sign-in and waits until the URL is on screen and
// the browser opener has answered.
func (lt *loginUnderTest) waiting(t *testing.T) {
	t.Helper()
	lt.p.until(lt.m.Init(), "the browser to open", func() bool { return lt.m.step == loginWaiting && lt.m.opened })
}

func TestLoginBrowserShowsURL(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	view := lt.view()
	if !strings.Contains(unwrappedView(view), lt.m.signIn.URL()) {
		t.Errorf("the sign-in URL is not on screen:\n%s", plainView(view))
	}
	for _, want := range []string{"Opened with xdg-open", "Waiting for the browser…"} {
		if !strings.Contains(plainView(view), want) {
			t.Errorf("screen lacks %q:\n%s", want, plainView(view))
		}
	}
	if got := lt.f.openCount(); got != 1 {
		t.Errorf("browser opened %d times, want 1", got)
	}
	if lt.m.Typing() {
		t.Error("Typing() while waiting for the browser")
	}
	for _, narrow := range []int{60, 40} {
		for _, l := range strings.Split(ansi.Strip(lt.m.View(newStyles(true), narrow)), "\n") {
			if w := ansi.StringWidth(l); w > narrow {
				t.Errorf("at width %d a line is %d wide: %q", narrow, w, l)
			}
		}
	}
}

func TestLoginBrowserNotOpened(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.f.deps.OpenURL = func(string) (bool, string) { return false, "over SSH: open the URL on your own machine" }
	lt.m = newLogin(lt.f.deps, StartLogin)
	lt.p.until(lt.m.Init(), "the opener's answer", func() bool { return lt.m.note != "" })
	want := "The browser was not opened: over SSH: open the URL on your own machine."
	if !strings.Contains(flatView(lt.view()), want) {
		t.Errorf("screen lacks %q:\n%s", want, plainView(lt.view()))
	}
}

func TestLoginKeysWhileWaiting(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)

	lt.p.key("o", "the browser to open again", func() bool { return lt.f.openCount() == 2 })

	copied := lt.p.got(func(m tea.Msg) bool { s, ok := clipboardOf(m); return ok && s == lt.m.signIn.URL() })
	lt.p.key("c", "the URL on the clipboard", copied)
	if !strings.Contains(plainView(lt.view()), "copied (if your terminal supports OSC 52)") {
		t.Errorf("no word about the copy:\n%s", plainView(lt.view()))
	}

	lt.send(pressed("p"))
	if lt.m.step != loginPasting || !lt.m.Typing() {
		t.Fatalf("p: step %d, typing %v; want the paste input", lt.m.step, lt.m.Typing())
	}
	view := plainView(lt.view())
	for _, want := range []string{"paste the address the browser ends on", "http://127.0.0.1:49152/", "> "} {
		if !strings.Contains(flatView(lt.view()), want) {
			t.Errorf("paste mode lacks %q:\n%s", want, view)
		}
	}
	lt.send(pressed("esc"))
	if lt.m.step != loginWaiting {
		t.Errorf("esc in the paste input: step %d, want back to waiting", lt.m.step)
	}
}

func TestLoginCancelClosesListener(t *testing.T) {
	for _, k := range []string{"esc", "ctrl+c"} {
		t.Run(k, func(t *testing.T) {
			lt := startLogin(t, StartLogin)
			lt.waiting(t)
			rcv := lt.f.receiver(t, 0)
			lt.p.key(k, "navigation home", lt.p.got(isNavigateTo(screenHome)))
			if rcv.closeCount() == 0 {
				t.Error("the loopback receiver was not closed")
			}
		})
	}
}

func TestLoginSucceedsFromBrowser(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	rcv := lt.f.receiver(t, 0)
	rcv.answers <- receiverAnswer{code: "the-code"}
	lt.p.until(nil, "the profile screen", lt.p.got(isNavigateTo(screenProfile)))
	lt.p.until(nil, "the account for the header", lt.p.got(func(m tea.Msg) bool {
		a, ok := m.(accountMsg)
		return ok && a.account == "dave" && a.team == "frontend"
	}))
	lt.p.until(nil, "the receiver to close", func() bool { return rcv.closeCount() > 0 })
	if got := lt.f.oauth.codes; len(got) != 1 || got[0] != "the-code" {
		t.Errorf("codes redeemed: %q", got)
	}
}

func TestLoginTimeout(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	first := lt.f.receiver(t, 0)
	first.answers <- receiverAnswer{err: fmt.Errorf("wait: %w", context.DeadlineExceeded)}
	lt.p.until(nil, "the timeout", func() bool { return lt.m.step == loginFailed })
	view := plainView(lt.view())
	for _, want := range []string{"timed out", "5 minutes", "Press enter to try again"} {
		if !strings.Contains(flatView(lt.view()), want) {
			t.Errorf("timeout screen lacks %q:\n%s", want, view)
		}
	}
	lt.p.key("enter", "a new sign-in", func() bool { return lt.m.step == loginWaiting && lt.m.opened })
	if lt.f.receiver(t, 1) == first {
		t.Error("retry reused the old receiver")
	}
	lt.p.until(nil, "the old receiver to close", func() bool { return first.closeCount() > 0 })
}

func TestLoginOAuthError(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	lt.f.receiver(t, 0).answers <- receiverAnswer{err: &auth.OAuthError{Code: "access_denied", Description: "the user said no"}}
	lt.p.until(nil, "the failure", func() bool { return lt.m.step == loginFailed })
	view := flatView(lt.view())
	for _, want := range []string{"sign-in failed", "cancelled or refused", "access_denied", "the user said no", "Press enter to try again"} {
		if !strings.Contains(view, want) {
			t.Errorf("failure screen lacks %q:\n%s", want, plainView(lt.view()))
		}
	}
}

func TestLoginPasteMode(t *testing.T) {
	lt := startLogin(t, StartLoginPaste)
	lt.p.until(lt.m.Init(), "the paste input", func() bool { return lt.m.step == loginPasting })
	if n := lt.f.openCount(); n != 0 {
		t.Errorf("--no-browser opened the browser %d times", n)
	}
	if !lt.m.Typing() {
		t.Error("Typing() is false in the paste input")
	}
	view := lt.view()
	if !strings.Contains(unwrappedView(view), lt.m.signIn.URL()) {
		t.Errorf("the sign-in URL is not on screen:\n%s", plainView(view))
	}
	const instruction = "Open this URL on a machine with a browser, sign in, then paste the address the browser ends on (it starts with http://127.0.0.1:49152/…)"
	if !strings.Contains(flatView(view), instruction) {
		t.Errorf("no instruction %q:\n%s", instruction, plainView(view))
	}

	// Not the redirect of this sign-in: say so, and keep the input.
	lt.send(tea.PasteMsg{Content: "http://127.0.0.1:49152/elsewhere?code=x&state=y"})
	lt.p.key("enter", "the complaint", func() bool { return lt.m.step == loginPasting && lt.m.problem != "" })
	if !strings.Contains(flatView(lt.view()), "That is not the address of this sign-in: it starts with http://127.0.0.1:49152/callback/…") {
		t.Errorf("no complaint about the address:\n%s", plainView(lt.view()))
	}

	// Typing clears the complaint; a long address scrolls in one line.
	lt.send(pressed("x"))
	if lt.m.problem != "" {
		t.Errorf("typing kept the complaint %q", lt.m.problem)
	}
	lt.send(tea.PasteMsg{Content: strings.Repeat("a", 300)})
	inputLines := 0
	for _, l := range strings.Split(plainView(lt.view()), "\n") {
		if strings.Contains(l, "aaaa") {
			inputLines++
		}
	}
	if inputLines != 1 {
		t.Errorf("a long address takes %d lines:\n%s", inputLines, plainView(lt.view()))
	}

	// The right one signs in.
	for range len(lt.m.paste.Value()) {
		lt.send(pressed("backspace"))
	}
	good := lt.f.receiver(t, 0).RedirectURI() + "?" + url.Values{"code": {"pasted-code"}, "state": {lt.m.signIn.state}}.Encode()
	lt.send(tea.PasteMsg{Content: good})
	lt.p.key("enter", "the profile screen", lt.p.got(isNavigateTo(screenProfile)))
	if got := lt.f.oauth.codes; len(got) != 1 || got[0] != "pasted-code" {
		t.Errorf("codes redeemed: %q", got)
	}
	lt.p.until(nil, "the receiver to close", func() bool { return lt.f.receiver(t, 0).closeCount() > 0 })
}

func TestLoginBracketedPasteWhileWaiting(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	lt.send(tea.PasteMsg{Content: "http://127.0.0.1:49152/callback/unguessable?code=1"})
	if lt.m.step != loginPasting || lt.m.paste.Value() != "http://127.0.0.1:49152/callback/unguessable?code=1" {
		t.Errorf("a paste while waiting: step %d, input %q", lt.m.step, lt.m.paste.Value())
	}
}

func TestLoginPassword(t *testing.T) {
	lt := startLogin(t, StartLoginPassword)
	lt.p.run(lt.m.Init())
	if !lt.m.Typing() {
		t.Error("Typing() is false in the password form")
	}
	typeText := func(s string) {
		for _, r := range s {
			lt.send(pressed(string(r)))
		}
	}
	onPassword := func() bool { return lt.m.pw.onPassword() }
	typeText("dave")
	lt.p.key("enter", "the password field", onPassword)
	typeText("wrong-secret")
	if strings.Contains(plainView(lt.view()), "wrong-secret") {
		t.Errorf("the password is on screen:\n%s", plainView(lt.view()))
	}
	lt.p.key("enter", "the refusal", func() bool { return lt.m.step == loginPassword && lt.m.problem != "" })
	view := plainView(lt.view())
	for _, want := range []string{"wrong username or password", "Username dave", "Password"} {
		if !strings.Contains(view, want) {
			t.Errorf("after a wrong password the screen lacks %q:\n%s", want, view)
		}
	}

	// The username is kept and the password field has the keys, empty.
	if !onPassword() || lt.m.pw.creds.password != "" {
		t.Errorf("after a wrong password: on the password page %v, password kept %v", onPassword(), lt.m.pw.creds.password != "")
	}
	typeText("dave-test")
	lt.p.key("enter", "the profile screen", lt.p.got(isNavigateTo(screenProfile)))
	if got, want := lt.f.oauth.passwords, []string{"wrong-secret", "dave-test"}; !reflect.DeepEqual(got, want) {
		t.Errorf("passwords tried %q, want %q", got, want)
	}
}

func TestLoginPasswordCancel(t *testing.T) {
	lt := startLogin(t, StartLoginPassword)
	lt.p.run(lt.m.Init())
	lt.p.key("esc", "navigation home", lt.p.got(isNavigateTo(screenHome)))
}

func TestLoginListenFails(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.f.deps.Listen = func(string) (Receiver, error) { return nil, errors.New("no loopback here") }
	lt.m = newLogin(lt.f.deps, StartLogin)
	lt.p.until(lt.m.Init(), "the failure", func() bool { return lt.m.step == loginFailed })
	if !strings.Contains(plainView(lt.view()), "no loopback here") {
		t.Errorf("the reason is not on screen:\n%s", plainView(lt.view()))
	}
}
