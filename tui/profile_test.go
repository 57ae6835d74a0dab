package tui

import (
	"image/color"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/auth"
)

// profileUnderTest is a profile screen with its cmdPump.
type profileUnderTest struct {
	m profileModel
	p *cmdPump
	f *loginFixture
}

// showProfile opens the profile screen of a signed-in person and waits for
// the account.
func showProfile(t *testing.T, f *loginFixture) *profileUnderTest {
	t.Helper()
	pt := &profileUnderTest{f: f, m: newProfile(f.deps)}
	pt.p = newCmdPump(t, func(msg tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		pt.m, cmd = pt.m.Update(msg)
		return cmd
	})
	pt.p.until(pt.m.Init(), "the profile", func() bool { return pt.m.step != profileLoading })
	return pt
}

func (pt *profileUnderTest) view() string { return pt.m.View(newStyles(true), 80) }

// idle: no call in flight.
func (pt *profileUnderTest) idle() bool { return pt.m.busy == "" && pt.m.step != profileLoading }

func TestProfileShowsAccount(t *testing.T) {
	f := newLoginFixture(t)
	f.signIn(t)
	pt := showProfile(t, f)
	key := f.api.me.PluginAPIKey
	view := flatView(pt.view())
	for _, want := range []string{
		"Account Login dave", "Plugin API Key " + key[:3] + "••••••••••••" + key[len(key)-4:],
		"Your team frontend", "Endpoint Address http://latchkey.test",
		"How to start: in your IDE plugin choose Enterprise and paste the endpoint and key.",
	} {
		if !strings.Contains(view, want) {
			t.Errorf("profile lacks %q:\n%s", want, plainView(pt.view()))
		}
	}
	if strings.Contains(view, key) || strings.Contains(view, key[3:12]) {
		t.Errorf("the key is on screen before v:\n%s", plainView(pt.view()))
	}
	if strings.Contains(view, "t to change") {
		t.Errorf("one team, yet the screen offers to change it:\n%s", plainView(pt.view()))
	}
	pt.p.until(nil, "the account for the header", pt.p.got(func(m tea.Msg) bool {
		a, ok := m.(accountMsg)
		return ok && a.account == "dave" && a.team == "frontend"
	}))
	if got, err := f.deps.Session.CachedKey(t.Context()); err != nil || got.Reveal() != key {
		t.Errorf("cached key: %v", err)
	}
}

func TestProfileRevealAndCopy(t *testing.T) {
	f := newLoginFixture(t)
	f.signIn(t)
	pt := showProfile(t, f)
	key := f.api.me.PluginAPIKey

	pt.p.run(pt.p.update(pressed("v")))
	if !strings.Contains(flatView(pt.view()), "Plugin API Key "+key) {
		t.Errorf("v does not show the key:\n%s", plainView(pt.view()))
	}
	pt.p.run(pt.p.update(pressed("v")))
	if strings.Contains(flatView(pt.view()), key) {
		t.Errorf("v again does not hide the key:\n%s", plainView(pt.view()))
	}

	pt.p.key("c", "the key on the clipboard", pt.p.got(func(m tea.Msg) bool { s, ok := clipboardOf(m); return ok && s == key }))
	if !strings.Contains(flatView(pt.view()), "Plugin key copied (if your terminal supports OSC 52)") {
		t.Errorf("no word about the copy:\n%s", plainView(pt.view()))
	}
	if strings.Contains(flatView(pt.view()), key) {
		t.Errorf("copying showed the key:\n%s", plainView(pt.view()))
	}
	pt.p.key("e", "the endpoint on the clipboard", pt.p.got(func(m tea.Msg) bool { s, ok := clipboardOf(m); return ok && s == "http://latchkey.test" }))
}

func TestProfileRotateAsksFirst(t *testing.T) {
	f := newLoginFixture(t)
	f.signIn(t)
	pt := showProfile(t, f)
	old := f.api.me.PluginAPIKey

	pt.p.run(pt.p.update(pressed("r")))
	if !strings.Contains(flatView(pt.view()), "Create a new plugin key? The current one stops working at once. y/n") {
		t.Errorf("r does not ask:\n%s", plainView(pt.view()))
	}
	pt.p.run(pt.p.update(pressed("n")))
	if strings.Contains(flatView(pt.view()), "y/n") || f.api.rotated != 0 {
		t.Errorf("n: question still there or key rotated (%d):\n%s", f.api.rotated, plainView(pt.view()))
	}

	pt.p.run(pt.p.update(pressed("r")))
	pt.p.key("y", "the new key", func() bool { return pt.idle() && pt.m.me.PluginAPIKey != old })
	if f.api.rotated != 1 {
		t.Errorf("rotated %d times, want 1", f.api.rotated)
	}
	if !strings.Contains(flatView(pt.view()), "New plugin key created") {
		t.Errorf("no word about the new key:\n%s", plainView(pt.view()))
	}
	if err := auth.CheckPluginKey(pt.m.me.PluginAPIKey); err != nil {
		t.Errorf("new key: %v", err)
	}
	if cached, _ := f.deps.Session.CachedKey(t.Context()); cached.Reveal() != pt.m.me.PluginAPIKey {
		t.Error("the new key is not the cached one")
	}
}

func TestProfileTeamPicker(t *testing.T) {
	f := newLoginFixture(t)
	f.api.me.Teams, f.api.me.Team = []string{"backend", "frontend"}, "backend"
	f.signIn(t)
	pt := showProfile(t, f)
	if !strings.Contains(flatView(pt.view()), "Your team backend t to change") {
		t.Errorf("no hint to change the team:\n%s", plainView(pt.view()))
	}

	pt.p.run(pt.p.update(pressed("t")))
	view := plainView(pt.view())
	for _, want := range []string{"pick one:", "backend", "frontend"} {
		if !strings.Contains(view, want) {
			t.Errorf("the picker lacks %q:\n%s", want, view)
		}
	}
	pt.p.run(pt.p.update(pressed("down")))
	pt.p.key("enter", "the team saved", func() bool { return pt.idle() && pt.m.me.Team == "frontend" })
	if f.api.me.Team != "frontend" {
		t.Errorf("server's team %q, want frontend", f.api.me.Team)
	}
	if !strings.Contains(flatView(pt.view()), "Your team is now frontend") {
		t.Errorf("no word about the team:\n%s", plainView(pt.view()))
	}
	pt.p.until(nil, "the header's team", pt.p.got(func(m tea.Msg) bool { a, ok := m.(accountMsg); return ok && a.team == "frontend" }))

	// esc closes the picker without a change.
	pt.p.run(pt.p.update(pressed("t")))
	pt.p.run(pt.p.update(pressed("esc")))
	if pt.m.picking || pt.m.me.Team != "frontend" {
		t.Errorf("esc in the picker: picking %v, team %q", pt.m.picking, pt.m.me.Team)
	}
}

func TestProfileSignedOut(t *testing.T) {
	f := newLoginFixture(t) // no sign-in
	pt := showProfile(t, f)
	if !strings.Contains(flatView(pt.view()), "Not signed in. Press l to log in.") {
		t.Errorf("signed out:\n%s", plainView(pt.view()))
	}
	pt.p.key("l", "the login screen", pt.p.got(func(m tea.Msg) bool {
		n, ok := m.(navigateMsg)
		return ok && n.to == screenLogin && n.start == StartLogin
	}))
}

func TestProfileBack(t *testing.T) {
	for _, k := range []string{"esc", "q"} {
		t.Run(k, func(t *testing.T) {
			f := newLoginFixture(t)
			f.signIn(t)
			pt := showProfile(t, f)
			pt.p.key(k, "home", pt.p.got(isNavigateTo(screenHome)))
		})
	}
}

func TestMaskKey(t *testing.T) {
	key := auth.NewPluginKey().Reveal()
	got := maskKey(key)
	if want := "lk_••••••••••••" + key[len(key)-4:]; got != want {
		t.Errorf("maskKey = %q, want %q", got, want)
	}
}

// rootUnderTest is the whole program's model with its cmdPump.
type rootUnderTest struct {
	m tea.Model
	p *cmdPump
}

func startRootUnderTest(t *testing.T, f *loginFixture, start Start, width, height int, dark bool) *rootUnderTest {
	t.Helper()
	rt := &rootUnderTest{m: New(f.deps, start)}
	rt.p = newCmdPump(t, func(msg tea.Msg) tea.Cmd {
		var cmd tea.Cmd
		rt.m, cmd = rt.m.Update(msg)
		return cmd
	})
	bg := color.Color(color.Black)
	if !dark {
		bg = color.White
	}
	rt.p.run(rt.p.update(tea.BackgroundColorMsg{Color: bg}))
	rt.p.run(rt.p.update(tea.WindowSizeMsg{Width: width, Height: height}))
	rt.p.run(rt.m.Init())
	return rt
}

func (rt *rootUnderTest) root() Model { return rt.m.(Model) }

func (rt *rootUnderTest) key(k string) { rt.p.run(rt.p.update(pressed(k))) }

func (rt *rootUnderTest) typeText(s string) {
	for _, r := range s {
		rt.key(string(r))
	}
}

// checkScreenFits fails when the screen is wider or taller than the terminal.
func checkScreenFits(t *testing.T, what, content string, width, height int) {
	t.Helper()
	lines := strings.Split(ansi.Strip(content), "\n")
	if len(lines) > height {
		t.Errorf("%s at %dx%d: %d lines:\n%s", what, width, height, len(lines), ansi.Strip(content))
	}
	for _, l := range lines {
		if w := ansi.StringWidth(l); w > width {
			t.Errorf("%s at %dx%d: a line is %d wide: %q", what, width, height, w, l)
		}
	}
}

// TestScreensFitTheTerminal draws the login and profile screens through the
// root model, with the header and help footer, at 60×20 and larger, on dark
// and light backgrounds.
func TestScreensFitTheTerminal(t *testing.T) {
	sizes := []struct{ w, h int }{{60, 20}, {80, 24}, {120, 40}}
	steps := []struct {
		name   string
		start  Start
		reach  func(t *testing.T, rt *rootUnderTest, f *loginFixture)
		expect string
	}{
		{"browser", StartLogin, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.until(nil, "the URL", func() bool { return rt.root().login.step == loginWaiting && rt.root().login.opened })
			rt.key("c")
		}, "Waiting for the browser"},
		{"browser not opened", StartLogin, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.until(nil, "the URL", func() bool { return rt.root().login.step == loginWaiting && rt.root().login.note != "" })
			rt.key("c")
		}, "copied (if your terminal supports OSC 52)"},
		{"paste from browser", StartLogin, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.until(nil, "the URL", func() bool { return rt.root().login.step == loginWaiting })
			rt.key("p")
			rt.p.run(rt.p.update(tea.PasteMsg{Content: "http://127.0.0.1:49152/elsewhere?code=1&state=2"}))
			rt.p.key("enter", "the complaint", func() bool { return rt.root().login.problem != "" })
		}, "That is not the address"},
		{"no browser", StartLoginPaste, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.until(nil, "the paste input", func() bool { return rt.root().login.step == loginPasting })
		}, "paste the address"},
		{"refused", StartLogin, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.until(nil, "the URL", func() bool { return rt.root().login.step == loginWaiting })
			f.receiver(t, 0).answers <- receiverAnswer{err: &auth.OAuthError{Code: "access_denied", Description: "the person said no in the browser"}}
			rt.p.until(nil, "the failure", func() bool { return rt.root().login.step == loginFailed })
		}, "press enter to try again"},
		{"password", StartLoginPassword, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.typeText("dave")
			rt.p.key("enter", "the password field", func() bool {
				return rt.root().login.pw.onPassword()
			})
			rt.typeText("nope")
			rt.p.key("enter", "the refusal", func() bool { return rt.root().login.problem != "" })
			rt.p.until(nil, "the password field", func() bool {
				return rt.root().login.pw.onPassword()
			})
		}, "wrong username or password"},
		{"profile", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.run(rt.p.update(navigateMsg{to: screenProfile}))
			rt.p.until(nil, "the profile", func() bool { return rt.root().profile.step == profileShown && rt.root().account != "" })
			rt.key("v")
			rt.key("c")
		}, "Plugin key copied"},
		{"profile picker", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.run(rt.p.update(navigateMsg{to: screenProfile}))
			rt.p.until(nil, "the profile", func() bool { return rt.root().profile.step == profileShown && rt.root().account != "" })
			rt.key("t")
		}, "pick one:"},
		{"profile rotate", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.run(rt.p.update(navigateMsg{to: screenProfile}))
			rt.p.until(nil, "the profile", func() bool { return rt.root().profile.step == profileShown && rt.root().account != "" })
			rt.key("r")
		}, "y/n"},
	}
	for _, size := range sizes {
		for _, dark := range []bool{true, false} {
			for _, st := range steps {
				t.Run(st.name, func(t *testing.T) {
					f := newLoginFixture(t)
					f.api.me.Account = "alexandra.van-der-berg@engineering.example.com"
					f.api.me.Teams = []string{"platform-engineering", "frontend", "data-science"}
					f.api.me.Team = "platform-engineering"
					f.api.me.Endpoint = "https://latchkey.engineering.example.com"
					// The longest header: secrets in the file, with the reason.
					secrets := f.deps.Session.Secrets.(*fakeLoginSecrets)
					secrets.backend, secrets.reason = "file", "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
					if st.name == "browser not opened" {
						f.deps.OpenURL = func(string) (bool, string) { return false, "no display (DISPLAY and WAYLAND_DISPLAY are unset)" }
					}
					f.signIn(t)
					rt := startRootUnderTest(t, f, st.start, size.w, size.h, dark)
					st.reach(t, rt, f)
					content := rt.m.View().Content
					checkScreenFits(t, st.name, content, size.w, size.h)
					if !strings.Contains(strings.ToLower(flatView(content)), strings.ToLower(st.expect)) {
						t.Errorf("%s at %dx%d: %q is not on screen:\n%s", st.name, size.w, size.h, st.expect, ansi.Strip(content))
					}
					if testing.Verbose() && size.w == 60 && dark {
						t.Logf("%s at 60x20:\n%s", st.name, ansi.Strip(content))
					}
				})
			}
		}
	}
}
