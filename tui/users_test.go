package tui

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// realmUsers are n users; bob is the first.
func realmUsers(n int) []api.User {
	login := time.Date(2026, 3, 14, 9, 0, 0, 0, time.UTC)
	users := []api.User{
		{ID: "u-bob", Account: "bob@example.com", Name: "Bob Builder", Enabled: true, Team: "dev", Teams: []string{"dev", "ops"}, SignedIn: true, LastLoginAt: &login, KeyActive: true},
		{ID: "u-carol", Account: "carol@example.com", Enabled: true, Team: "default", Teams: []string{}},
	}
	for i := len(users); i < n; i++ {
		users = append(users, api.User{ID: fmt.Sprintf("u-%02d", i), Account: fmt.Sprintf("dev%02d@example.com", i), Enabled: true, Team: "dev", Teams: []string{"dev"}})
	}
	return users[:n]
}

// usersWithToken is the Users screen of a fake server whose admin token is
// remembered, loaded.
func usersWithToken(t *testing.T, n, width, height int) (*fakeLatchkey, *usersModel, *msgPump) {
	t.Helper()
	f, srvURL := newFakeLatchkey(t)
	f.users = realmUsers(n)
	secrets := newFakeSecrets()
	secrets.Set(t.Context(), srvURL, credentials.ItemAdminToken, fakeAdminToken)
	m := newUsers(adminDeps(t, srvURL, secrets))
	l := runScreen(t, &m, width, height)
	l.waitFor("Users · page 1 of")
	return f, &m, l
}

func TestUsersTable(t *testing.T) {
	_, _, l := usersWithToken(t, 2, 80, 30)
	v := l.view()
	for _, want := range []string{
		"Users · page 1 of 1 · 2 users",
		"Account", "Team", "Signed in", "Key",
		"bob@example.com", "dev", "2026-03-14", "active",
		"carol@example.com", "default", "never", "none",
		"bob@example.com · Bob Builder · groups dev, ops", // the selected row
	} {
		if !strings.Contains(v, want) {
			t.Errorf("view\n%s\nlacks %q", v, want)
		}
	}
	l.keys("down")
	if v := l.view(); !strings.Contains(v, "  carol@example.com\n") && !strings.Contains(v, "\n  carol@example.com") {
		t.Errorf("after ↓ the selected user is not carol:\n%s", v)
	}
}

func TestUsersAsksForTokenAndRemembersIt(t *testing.T) {
	f, srvURL := newFakeLatchkey(t)
	f.users = realmUsers(3)
	secrets := newFakeSecrets()
	m := newUsers(adminDeps(t, srvURL, secrets))
	l := runScreen(t, &m, 80, 30)
	l.waitFor("Admin token", "it is remembered for")
	if !m.Typing() {
		t.Error("Typing() = false on the admin token field")
	}
	l.keys("lka_wrong", "enter")
	v := l.waitFor("✗ not the admin token of this server")
	if strings.Contains(v, "lka_wrong") {
		t.Errorf("the token is shown in clear:\n%s", v)
	}
	l.keys("ctrl+u", fakeAdminToken, "enter")
	l.waitFor("Users · page 1 of 1 · 3 users", "bob@example.com")
	l.waitUntil("the token in the keyring", func(string) bool {
		got, _ := secrets.Get(t.Context(), srvURL, credentials.ItemAdminToken)
		return got == fakeAdminToken
	})

	// A remembered token that stopped working: asked again, with the reason.
	f.token = "lka_rotated"
	m2 := newUsers(adminDeps(t, srvURL, secrets))
	l2 := runScreen(t, &m2, 80, 30)
	l2.waitFor("Admin token", "does not work")
}

func TestUsersPaging(t *testing.T) {
	f, m, l := usersWithToken(t, 45, 80, 40)
	l.waitFor("page 1 of 3 · 45 users", "bob@example.com")
	if !m.Keys().(usersKeys).Next.Enabled() || m.Keys().(usersKeys).Prev.Enabled() {
		t.Error("on page 1 want next page and no previous page")
	}
	l.keys("n")
	l.waitFor("page 2 of 3 · 45 users", "dev20@example.com")
	l.keys("right")
	v := l.waitFor("page 3 of 3 · 45 users", "dev44@example.com")
	if strings.Contains(v, "dev39@") {
		t.Errorf("page 3 shows a user of page 2:\n%s", v)
	}
	l.keys("n") // no page 4
	l.keys("p")
	l.waitFor("page 2 of 3")
	l.keys("left")
	l.waitFor("page 1 of 3", "bob@example.com")
	want := []string{" 0 20", " 20 20", " 40 20", " 20 20", " 0 20"}
	if diff := cmp.Diff(want, f.usersQueries()); diff != "" {
		t.Errorf("queries (search first max) (-want +got):\n%s", diff)
	}
}

func TestUsersPageFitsTheHeight(t *testing.T) {
	f, _, l := usersWithToken(t, 45, 60, 20)
	v := l.view()
	// 20 lines: 3 of header, a blank one and the help footer around the
	// screen; the title, filter, detail and status lines: 8 for the table.
	if !strings.Contains(v, "page 1 of 7 · 45 users") || !strings.Contains(v, "dev06@") || strings.Contains(v, "dev07@") {
		t.Errorf("at 60×20 want 7 users a page:\n%s", v)
	}
	if got := f.usersQueries(); len(got) != 1 || got[0] != " 0 7" {
		t.Errorf("queries %q, want one of 7 users", got)
	}
}

func TestUsersFilter(t *testing.T) {
	f, m, l := usersWithToken(t, 30, 80, 40)
	l.keys("/")
	if !m.Typing() {
		t.Error("Typing() = false in the filter")
	}
	l.waitFor("/ name, email or username")
	l.keys("bob", "enter")
	v := l.waitFor(`page 1 of 1 · 1 user matching "bob"`)
	if strings.Contains(v, "carol") {
		t.Errorf("the filtered page shows carol:\n%s", v)
	}
	if m.Typing() {
		t.Error("Typing() = true after the filter was applied")
	}
	if k := m.Keys().(usersKeys); !k.Clear.Enabled() || k.Back.Enabled() {
		t.Error("with a filter, esc should clear it")
	}
	l.keys("esc")
	l.waitFor("page 1 of 2 · 30 users", "carol@example.com")
	if l.navigatedTo(screenHome) {
		t.Error("esc with a filter left the screen")
	}
	if diff := cmp.Diff([]string{" 0 20", "bob 0 20", " 0 20"}, f.usersQueries()); diff != "" {
		t.Errorf("queries (-want +got):\n%s", diff)
	}
	l.keys("esc")
	l.waitNavigated(screenHome)
}

func TestUsersActions(t *testing.T) {
	tests := []struct {
		name    string
		keys    []string
		prompt  string // the confirmation asked, if any
		answer  string
		status  string
		row     string // bob's row afterwards
		changed func(api.User) bool
	}{
		{name: "set team", keys: []string{"t", "ops", "enter"}, status: "✓ bob@example.com is now in team ops.",
			row: "bob@example.com", changed: func(u api.User) bool { return u.TeamOverride == "ops" }},
		{name: "team back to groups", keys: []string{"t", "enter"}, status: "✓ bob@example.com follows their Keycloak groups again: team dev.",
			changed: func(u api.User) bool { return u.TeamOverride == "" }},
		{name: "rotate", keys: []string{"r"}, prompt: "Rotate the plugin key of bob@example.com? The old key stops working. y/n", answer: "y",
			status: "✓ New plugin key for bob@example.com; they see it with latchkey key", changed: func(u api.User) bool { return u.KeyActive }},
		{name: "revoke", keys: []string{"x"}, prompt: "Revoke the plugin key of bob@example.com? y/n", answer: "y",
			status: "✓ Revoked the plugin key of bob@example.com.", row: "revoked", changed: func(u api.User) bool { return !u.KeyActive }},
		{name: "revoke declined", keys: []string{"x"}, prompt: "Revoke the plugin key of bob@example.com? y/n", answer: "n",
			row: "active", changed: func(u api.User) bool { return u.KeyActive }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, m, l := usersWithToken(t, 3, 80, 30)
			if tt.name == "team back to groups" {
				f.mu.Lock()
				f.users[0].TeamOverride, f.users[0].Team = "ops", "ops"
				f.mu.Unlock()
			}
			l.keys(tt.keys...)
			if tt.prompt != "" {
				v := flatView(l.waitFor("plugin key of bob@example.com?"))
				if !strings.Contains(v, tt.prompt) {
					t.Errorf("prompt %q\nwant %q", v, tt.prompt)
				}
				if m.Typing() {
					t.Error("Typing() = true at a y/n prompt")
				}
				l.keys(tt.answer)
			}
			if tt.status != "" {
				l.waitFor(tt.status)
			} else {
				l.waitUntil("the prompt gone", func(string) bool { return m.confirm == 0 && m.busy == "" })
			}
			if tt.row != "" && !strings.Contains(rowOf(l.view(), "bob@example.com"), tt.row) {
				t.Errorf("bob's row %q lacks %q", rowOf(l.view(), "bob@example.com"), tt.row)
			}
			f.mu.Lock()
			bob := f.users[0]
			f.mu.Unlock()
			if !tt.changed(bob) {
				t.Errorf("on the server bob is %+v", bob)
			}
		})
	}
}

func TestUsersTeamPrompt(t *testing.T) {
	_, m, l := usersWithToken(t, 3, 80, 30)
	l.keys("t")
	v := l.waitFor("Team for bob@example.com (empty: back to Keycloak groups)")
	if !m.Typing() {
		t.Errorf("Typing() = false in the team input:\n%s", v)
	}
	l.keys("esc")
	if m.editingTeam || l.navigatedTo(screenHome) {
		t.Error("esc in the team input should only close it")
	}
}

// rowOf is the table line that holds account.
func rowOf(view, account string) string {
	for _, l := range strings.Split(view, "\n") {
		if strings.Contains(l, account) && !strings.Contains(l, "·") {
			return l
		}
	}
	return ""
}

func TestUsersErrorsOnScreen(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want string
	}{
		{"server down", refused("127.0.0.1:9"), "✗ the server cannot be reached: dial tcp 127.0.0.1:9: connect: connection refused"},
		{"keycloak down", &api.StatusError{Status: http.StatusBadGateway, Body: api.Error{Error: "Keycloak cannot be reached", Detail: "Try again in a minute."}},
			"✗ server answered 502 Bad Gateway: Keycloak cannot be reached. Try again in a minute."},
		{"not set up", &api.StatusError{Status: http.StatusServiceUnavailable, Body: api.Error{Error: "Sign-in is not set up yet"}},
			"Sign-in is not set up yet. In this console: Set up Keycloak on the home screen, or latchkey setup."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newUsers(adminDeps(t, "http://127.0.0.1:9", newFakeSecrets()))
			m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
			m, _ = m.Update(usersMsg{token: "lka_x", err: tt.err})
			v := flatView(m.View(newStyles(true), 80))
			if !strings.Contains(v, tt.want) {
				t.Errorf("view %q\nwant %q", v, tt.want)
			}
			if !m.Keys().(usersKeys).Retry.Enabled() {
				t.Error("no retry key after a failed load")
			}
		})
	}

	// A failed action keeps the list and says why.
	_, m, l := usersWithToken(t, 3, 80, 30)
	*m, _ = m.Update(userChangedMsg{action: actionRevoke, err: &api.StatusError{Status: http.StatusNotFound, Body: api.Error{Error: "No such user"}}})
	if v := flatView(l.view()); !strings.Contains(v, "✗ could not revoke the key of") || !strings.Contains(v, "No such user") || !strings.Contains(v, "carol@example.com") {
		t.Errorf("view after a failed action %q", v)
	}
}
