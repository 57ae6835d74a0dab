package tui

import (
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"

	"github.com/latchkeyhq/latchkey/auth"
)

// profileUnderTest is a profile screen with its msgPump.
type profileUnderTest struct {
	m profileModel
	p *msgPump
}

// showProfile opens the profile screen and waits for the account.
func showProfile(t *testing.T, f *loginFixture) *profileUnderTest {
	t.Helper()
	pt := &profileUnderTest{m: newProfile(f.deps)}
	pt.p = pumpScreen(t, &pt.m, 80)
	pt.p.until(pt.m.Init(), "the profile", func() bool { return pt.m.step != profileLoading })
	return pt
}

// signedInProfile is the profile screen of a signed-in person.
func signedInProfile(t *testing.T) (*loginFixture, *profileUnderTest) {
	t.Helper()
	f := newLoginFixture(t)
	f.signIn(t)
	return f, showProfile(t, f)
}

func (pt *profileUnderTest) view() string { return pt.p.view() }

// idle: no call in flight.
func (pt *profileUnderTest) idle() bool { return pt.m.busy == "" && pt.m.step != profileLoading }

func TestProfileShowsAccount(t *testing.T) {
	f, pt := signedInProfile(t)
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
	f, pt := signedInProfile(t)
	key := f.api.me.PluginAPIKey

	pt.p.send(pressed("v"))
	if !strings.Contains(flatView(pt.view()), "Plugin API Key "+key) {
		t.Errorf("v does not show the key:\n%s", plainView(pt.view()))
	}
	pt.p.send(pressed("v"))
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
	f, pt := signedInProfile(t)
	old := f.api.me.PluginAPIKey

	pt.p.send(pressed("r"))
	if !strings.Contains(flatView(pt.view()), "Create a new plugin key? The current one stops working at once. y/n") {
		t.Errorf("r does not ask:\n%s", plainView(pt.view()))
	}
	pt.p.send(pressed("n"))
	if strings.Contains(flatView(pt.view()), "y/n") || f.api.rotated != 0 {
		t.Errorf("n: question still there or key rotated (%d):\n%s", f.api.rotated, plainView(pt.view()))
	}

	pt.p.send(pressed("r"))
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

	pt.p.send(pressed("t"))
	view := plainView(pt.view())
	for _, want := range []string{"pick one:", "backend", "frontend"} {
		if !strings.Contains(view, want) {
			t.Errorf("the picker lacks %q:\n%s", want, view)
		}
	}
	pt.p.send(pressed("down"))
	pt.p.key("enter", "the team saved", func() bool { return pt.idle() && pt.m.me.Team == "frontend" })
	if f.api.me.Team != "frontend" {
		t.Errorf("server's team %q, want frontend", f.api.me.Team)
	}
	if !strings.Contains(flatView(pt.view()), "Your team is now frontend") {
		t.Errorf("no word about the team:\n%s", plainView(pt.view()))
	}
	pt.p.until(nil, "the header's team", pt.p.got(func(m tea.Msg) bool { a, ok := m.(accountMsg); return ok && a.team == "frontend" }))

	// esc closes the picker without a change.
	pt.p.send(pressed("t"))
	pt.p.send(pressed("esc"))
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
			_, pt := signedInProfile(t)
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
