package tui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// Every screen fits the terminal and follows its background.

// TestViewsFit60x20 draws every wizard step and the Users screen through
// the root model in a 60×20 terminal: no line wider than 60 cells, no more
// than 20 lines.
func TestViewsFit60x20(t *testing.T) {
	const w, h = 60, 20
	findings := []auth.Finding{
		{ID: auth.IDRealm, Title: "Realm exists", Status: auth.StatusOK, Answer: "200 OK"},
		{ID: auth.IDClientSecret, Title: "Client secret is correct", Status: auth.StatusFail, Problem: "Keycloak refused the client secret.", Tried: "client-credentials grant at http://127.0.0.1:8080/realms/acme/protocol/openid-connect/token as client latchkey",
			Answer: "401 Unauthorized: unauthorized_client (Invalid client or Invalid client credentials)", Fix: "Check Client ID, and copy Client Secret Key from Clients → latchkey → Credentials (Client Authentication must be on)."},
		{ID: auth.IDViewUsers, Title: "Service account can view users", Status: auth.StatusSkipped},
	}
	settings := api.AuthSettings{Enabled: true, URL: "https://sso.example.com", Realm: "acme", ClientID: "latchkey", ClientSecretSet: true}
	steps := []struct {
		name string
		msgs []tea.Msg
		want string
	}{
		{"server checking", nil, "Checking GET /healthz"},
		{"server unreachable", []tea.Msg{healthMsg{err: refused("127.0.0.1:8008")}}, "unreachable"},
		{"admin token", []tea.Msg{healthMsg{}, storedTokenMsg{err: credentials.ErrNotFound},
			adminCheckedMsg{token: "x", err: &api.StatusError{Status: http.StatusUnauthorized}}}, "not the admin token"},
		{"server url", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}}, "3/8 Server Url"},
		{"realm", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepRealm)}, "4/8 Realm Name"},
		{"client id", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepClientID)}, "5/8 Client ID"},
		{"secret", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepSecret)}, "6/8 Client Secret Key"},
		{"review", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepReview)}, "7/8 Review"},
		{"review asking to cancel", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepReview),
			tea.KeyPressMsg{Code: tea.KeyEscape}}, "Cancel setup?"},
		{"saving", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepReview),
			tea.KeyPressMsg{Code: tea.KeyEnter}}, "Checking with Keycloak"},
		{"save failed", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepReview),
			tea.KeyPressMsg{Code: tea.KeyEnter}, savedMsg{err: &api.StatusError{Status: 422, Body: api.Error{Findings: findings}}}}, "✗ Client secret is correct"},
		{"done", []tea.Msg{healthMsg{}, adminCheckedMsg{token: "x", remembered: true, settings: settings}, stepMsg(stepReview),
			tea.KeyPressMsg{Code: tea.KeyEnter}, savedMsg{saved: api.AuthSettingsSaved{Findings: findings[:1]}}}, "Keycloak is connected"},
	}
	for _, tt := range steps {
		t.Run("setup "+tt.name, func(t *testing.T) {
			root := New(adminDeps(t, "http://127.0.0.1:8008", newFakeSecrets()), StartSetup)
			root = updateRoot(root, tea.WindowSizeMsg{Width: w, Height: h})
			for _, msg := range tt.msgs {
				if s, ok := msg.(stepMsg); ok {
					root.setup, _ = root.setup.goTo(setupStep(s))
					continue
				}
				root = updateRoot(root, msg)
			}
			rootFits(t, root, w, h, tt.want)
		})
	}

	users := []api.User{}
	for i := range 45 {
		users = append(users, api.User{ID: fmt.Sprint(i), Account: fmt.Sprintf("developer-with-a-long-name-%02d@example.com", i), Team: "platform-engineering", Teams: []string{"platform-engineering"}, SignedIn: true, KeyActive: i%2 == 0, Enabled: true})
	}
	page := api.UserPage{Users: users[:20], Total: 45, Max: 20}
	ustates := []struct {
		name string
		msgs []tea.Msg
		want string
	}{
		{"asking for the token", []tea.Msg{storedTokenMsg{err: credentials.ErrNotFound}}, "Admin token"},
		{"list", []tea.Msg{usersMsg{page: page, token: "x", max: 20}}, "page 1 of 3 · 45 users"},
		{"confirm revoke", []tea.Msg{usersMsg{page: page, token: "x", max: 20}, tea.KeyPressMsg{Code: 'x', Text: "x"}}, "Revoke the plugin key of"},
		{"team input", []tea.Msg{usersMsg{page: page, token: "x", max: 20}, tea.KeyPressMsg{Code: 't', Text: "t"}}, "Team for"},
		{"error", []tea.Msg{usersMsg{token: "x", err: &api.StatusError{Status: 502, Body: api.Error{Error: "Keycloak cannot be reached", Detail: "latchkey could not reach the sign-in server. Try again in a minute; if it keeps failing, tell your administrator."}}}}, "Keycloak cannot be reached"},
	}
	for _, tt := range ustates {
		t.Run("users "+tt.name, func(t *testing.T) {
			root := New(adminDeps(t, "http://127.0.0.1:8008", newFakeSecrets()), StartHome)
			root.screen, root.users = screenUsers, newUsers(root.deps)
			root = updateRoot(root, tea.WindowSizeMsg{Width: w, Height: h})
			for _, msg := range tt.msgs {
				root = updateRoot(root, msg)
			}
			rootFits(t, root, w, h, tt.want)
		})
	}
}

// stepMsg in TestViewsFit60x20 moves the wizard straight to a step.
type stepMsg setupStep

func updateRoot(m Model, msg tea.Msg) Model {
	next, _ := m.Update(msg)
	return next.(Model)
}

func rootFits(t *testing.T, root Model, w, h int, want string) {
	t.Helper()
	view := ansi.Strip(root.View().Content)
	checkFits(t, "the view", view, w, h)
	if !strings.Contains(flatView(view), want) {
		t.Errorf("view lacks %q:\n%s", want, view)
	}
}

// TestScreensFollowTheBackground draws the screens with the light and the
// dark styles: the same text in different colours.
func TestScreensFollowTheBackground(t *testing.T) {
	_, users, _ := usersWithToken(t, 3, 80, 30)
	setup := newSetup(adminDeps(t, "http://127.0.0.1:8008", newFakeSecrets()))
	setup, _ = setup.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
	setup.busy = ""
	setup.vals = setupValues{url: "https://sso.example.com", realm: "acme", clientID: "latchkey"}
	setup, _ = setup.goTo(stepReview)
	for name, view := range map[string]func(styles) string{
		"users": func(s styles) string { return users.View(s, 80) },
		"setup": func(s styles) string { return setup.View(s, 80) },
	} {
		light, dark := view(newStyles(false)), view(newStyles(true))
		if light == dark {
			t.Errorf("%s: the same colours on light and dark backgrounds", name)
		}
		if ansi.Strip(light) != ansi.Strip(dark) {
			t.Errorf("%s: the text differs between light and dark:\n%s\n---\n%s", name, ansi.Strip(light), ansi.Strip(dark))
		}
	}
}

// TestSetupFormFollowsTheBackground: the terminal's answer about its
// background recolours the field on screen.
func TestSetupFormFollowsTheBackground(t *testing.T) {
	m, l := setupAt(t, api.AuthSettings{})
	dark := m.form.View()
	l.send(backgroundMsg(false))
	light := m.form.View()
	if dark == light || ansi.Strip(dark) != ansi.Strip(light) {
		t.Errorf("the field did not change colour, or its text changed:\n%q\n%q", dark, light)
	}
}

// TestScreensResize shrinks the terminal under the loaded Users screen and
// under a wizard field: the table and the form take the new width.
func TestScreensResize(t *testing.T) {
	_, users, l := usersWithToken(t, 30, 100, 40)
	l.send(tea.WindowSizeMsg{Width: 60, Height: 20})
	checkFits(t, "users", users.View(newStyles(true), 60), 60, 0)
	if got := users.table.Height(); got != 20-chromeLines-usersFixedLines-1 {
		t.Errorf("table rows %d after the resize, want %d", got, 20-chromeLines-usersFixedLines-1)
	}

	setup, sl := setupAt(t, api.AuthSettings{})
	sl.keys("https://a-rather-long-keycloak-host-name.example.com/auth")
	sl.send(tea.WindowSizeMsg{Width: 60, Height: 20})
	checkFits(t, "setup", setup.View(newStyles(true), 60), 60, 0)
	sl.send(tea.WindowSizeMsg{Width: 120, Height: 40})
	if v := ansi.Strip(setup.View(newStyles(true), 120)); !strings.Contains(v, "> https://a-rather-long-keycloak-host-name.example.com/auth") {
		t.Errorf("after growing, the field does not show the whole value:\n%s", v)
	}
}

// rootUnderTest is the whole program's model with its msgPump.
type rootUnderTest struct {
	m tea.Model
	p *msgPump
}

func startRootUnderTest(t *testing.T, f *loginFixture, start Start, width, height int, dark bool) *rootUnderTest {
	t.Helper()
	rt := &rootUnderTest{m: New(f.deps, start)}
	rt.p = newMsgPump(t,
		func(msg tea.Msg) tea.Cmd {
			var cmd tea.Cmd
			rt.m, cmd = rt.m.Update(msg)
			return cmd
		},
		func() string { return ansi.Strip(rt.m.View().Content) })
	rt.p.send(backgroundMsg(dark))
	rt.p.send(tea.WindowSizeMsg{Width: width, Height: height})
	rt.p.run(rt.m.Init())
	return rt
}

func (rt *rootUnderTest) root() Model { return rt.m.(Model) }

func (rt *rootUnderTest) key(k string) { rt.p.send(pressed(k)) }

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
			rt.p.send(tea.PasteMsg{Content: "http://127.0.0.1:49152/elsewhere?code=1&state=2"})
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
			rt.p.keys("dave")
			rt.p.key("enter", "the password field", func() bool {
				return rt.root().login.pw.onPassword()
			})
			rt.p.keys("nope")
			rt.p.key("enter", "the refusal", func() bool { return rt.root().login.problem != "" })
			rt.p.until(nil, "the password field", func() bool {
				return rt.root().login.pw.onPassword()
			})
		}, "wrong username or password"},
		{"profile", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.send(navigateMsg{to: screenProfile})
			rt.p.until(nil, "the profile", func() bool { return rt.root().profile.step == profileShown && rt.root().account != "" })
			rt.key("v")
			rt.key("c")
		}, "Plugin key copied"},
		{"profile picker", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.send(navigateMsg{to: screenProfile})
			rt.p.until(nil, "the profile", func() bool { return rt.root().profile.step == profileShown && rt.root().account != "" })
			rt.key("t")
		}, "pick one:"},
		{"profile rotate", StartHome, func(t *testing.T, rt *rootUnderTest, f *loginFixture) {
			rt.p.send(navigateMsg{to: screenProfile})
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
					secrets := f.deps.Session.Secrets.(*fakeSecrets)
					secrets.backend, secrets.reason = "file", "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
					if st.name == "browser not opened" {
						f.deps.OpenURL = func(string) (bool, string) { return false, "no display (DISPLAY and WAYLAND_DISPLAY are unset)" }
					}
					f.signIn(t)
					rt := startRootUnderTest(t, f, st.start, size.w, size.h, dark)
					st.reach(t, rt, f)
					content := rt.m.View().Content
					checkFits(t, fmt.Sprintf("%s at %dx%d", st.name, size.w, size.h), content, size.w, size.h)
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
