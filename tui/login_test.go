package tui

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/latchkeyhq/latchkey/auth"
)

// loginUnderTest is a login screen with its msgPump.
type loginUnderTest struct {
	m loginModel
	p *msgPump
	f *loginFixture
}

func startLogin(t *testing.T, start Start) *loginUnderTest {
	t.Helper()
	lt := &loginUnderTest{f: newLoginFixture(t)}
	lt.m = newLogin(lt.f.deps, start)
	lt.p = pumpScreen(t, &lt.m, 80)
	lt.p.send(tea.WindowSizeMsg{Width: 80, Height: 30})
	return lt
}

func (lt *loginUnderTest) view() string { return lt.p.view() }

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
		checkFits(t, fmt.Sprintf("at width %d", narrow), lt.m.View(newStyles(true), narrow), narrow, 0)
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

	lt.p.send(pressed("p"))
	if lt.m.step != loginPasting || !lt.m.Typing() {
		t.Fatalf("p: step %d, typing %v; want the paste input", lt.m.step, lt.m.Typing())
	}
	view := plainView(lt.view())
	for _, want := range []string{"paste the address the browser ends on", "http://127.0.0.1:49152/", "> "} {
		if !strings.Contains(flatView(lt.view()), want) {
			t.Errorf("paste mode lacks %q:\n%s", want, view)
		}
	}
	lt.p.send(pressed("esc"))
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
	lt.p.send(tea.PasteMsg{Content: "http://127.0.0.1:49152/elsewhere?code=x&state=y"})
	lt.p.key("enter", "the complaint", func() bool { return lt.m.step == loginPasting && lt.m.problem != "" })
	if !strings.Contains(flatView(lt.view()), "That is not the address of this sign-in: it starts with http://127.0.0.1:49152/callback/…") {
		t.Errorf("no complaint about the address:\n%s", plainView(lt.view()))
	}

	// Typing clears the complaint; a long address scrolls in one line.
	lt.p.send(pressed("x"))
	if lt.m.problem != "" {
		t.Errorf("typing kept the complaint %q", lt.m.problem)
	}
	lt.p.send(tea.PasteMsg{Content: strings.Repeat("a", 300)})
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
		lt.p.send(pressed("backspace"))
	}
	good := lt.f.receiver(t, 0).RedirectURI() + "?" + url.Values{"code": {"pasted-code"}, "state": {lt.m.signIn.state}}.Encode()
	lt.p.send(tea.PasteMsg{Content: good})
	lt.p.key("enter", "the profile screen", lt.p.got(isNavigateTo(screenProfile)))
	if got := lt.f.oauth.codes; len(got) != 1 || got[0] != "pasted-code" {
		t.Errorf("codes redeemed: %q", got)
	}
	lt.p.until(nil, "the receiver to close", func() bool { return lt.f.receiver(t, 0).closeCount() > 0 })
}

func TestLoginBracketedPasteWhileWaiting(t *testing.T) {
	lt := startLogin(t, StartLogin)
	lt.waiting(t)
	lt.p.send(tea.PasteMsg{Content: "http://127.0.0.1:49152/callback/unguessable?code=1"})
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
	onPassword := func() bool { return lt.m.pw.onPassword() }
	lt.p.keys("dave")
	lt.p.key("enter", "the password field", onPassword)
	lt.p.keys("wrong-secret")
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
	lt.p.keys("dave-test")
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
