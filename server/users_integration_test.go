package server_test

import (
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/server/api"
)

func TestUsersPageListsKeycloakUsers(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	e.signIn(t, newBrowser(t), "bob")
	admin := e.adminBrowser(t)
	p := admin.get(e.URL + "/admin/users")
	for _, want := range []string{"Account", "Team", "Signed in", "Plugin key", "alice@example.com", "bob@example.com", "carol@example.com", ">dave<", "4 users in Keycloak"} {
		if !strings.Contains(p.Body, want) {
			t.Errorf("Users page lacks %q", want)
		}
	}
	if row := userRow(t, p, "bob"); !strings.Contains(row, "active") || strings.Contains(row, "never") {
		t.Errorf("bob signed in and has a key, his row says:\n%s", row)
	}
	if row := userRow(t, p, "carol"); !strings.Contains(row, "never") || !strings.Contains(row, "none yet") || !strings.Contains(row, ">default<") {
		t.Errorf("carol never signed in, her row says:\n%s", row)
	}
	if row := userRow(t, p, "alice"); !strings.Contains(row, "backend") {
		t.Errorf("alice's team comes from her Keycloak group before she signs in, row:\n%s", row)
	}
	search := admin.get(e.URL + "/admin/users?q=bob")
	if !strings.Contains(search.Body, "bob@example.com") || strings.Contains(search.Body, "alice@example.com") {
		t.Error("search for bob shows other users")
	}
}

func TestUsersAPIPages(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	var seen []string
	for first := 0; ; first += 3 {
		page, err := e.API.Users(t.Context(), e.AdminToken, "", first, 3)
		if err != nil {
			t.Fatal(err)
		}
		if page.Total != 4 || len(page.Users) > 3 {
			t.Fatalf("page at %d: total %d, %d users", first, page.Total, len(page.Users))
		}
		for _, u := range page.Users {
			seen = append(seen, u.Username)
		}
		if first+3 >= page.Total {
			break
		}
	}
	slices.Sort(seen)
	if diff := cmp.Diff([]string{"alice", "bob", "carol", "dave"}, seen); diff != "" {
		t.Errorf("users over all pages (-want +got):\n%s", diff)
	}
}

func TestAdminSetsTeamAndKeys(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	key := pluginKey(t, e.signIn(t, b, "bob"))
	page, err := e.API.Users(t.Context(), e.AdminToken, "bob", 0, 10)
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("find bob: %v %+v", err, page)
	}
	bob := page.Users[0]

	u, err := e.API.SetUserTeam(t.Context(), e.AdminToken, bob.ID, "platform")
	if err != nil || u.Team != "platform" || u.TeamOverride != "platform" {
		t.Fatalf("set team: %v %+v", err, u)
	}
	if me, _ := e.API.Me(t.Context(), key); me.Team != "platform" {
		t.Errorf("bob's team %q, want the override platform", me.Team)
	}
	if p := b.get(e.URL + "/"); strings.Contains(p.Body, `<select id="team"`) || !strings.Contains(p.Body, "set by an administrator") {
		t.Error("the profile still offers a team choice under an administrator's override")
	}
	if u, _ = e.API.SetUserTeam(t.Context(), e.AdminToken, bob.ID, ""); u.Team != "backend" {
		t.Errorf("after clearing the override: team %q, want backend", u.Team)
	}

	// The same through the Users page forms.
	admin := e.adminBrowser(t)
	p := admin.post(e.URL+"/admin/users/"+bob.ID+"/team", url.Values{"team": {"research"}, "q": {"bob"}, "page": {"1"}})
	if !strings.Contains(p.Body, "Team saved") || !strings.Contains(userRow(t, p, "bob"), "research") || p.URL.Query().Get("q") != "bob" {
		t.Errorf("team form: %d at %s", p.Status, p.URL)
	}
	p = admin.post(e.URL+"/admin/users/"+bob.ID+"/plugin-key/rotate", url.Values{})
	if !strings.Contains(p.Body, "Plugin key rotated") {
		t.Errorf("rotate form: %d", p.Status)
	}
	if status, _ := e.pluginLogin(t, key.Reveal()); status != http.StatusUnauthorized {
		t.Errorf("bob's old key after an admin rotation: %d, want 401", status)
	}
	newKey := pluginKey(t, b.get(e.URL+"/"))
	p = admin.post(e.URL+"/admin/users/"+bob.ID+"/plugin-key/revoke", url.Values{})
	if !strings.Contains(p.Body, "Plugin key revoked") || !strings.Contains(userRow(t, p, "bob"), "revoked") {
		t.Errorf("revoke form: %d", p.Status)
	}
	if status, _ := e.pluginLogin(t, newKey.Reveal()); status != http.StatusUnauthorized {
		t.Errorf("bob's key after revocation: %d, want 401", status)
	}
	if _, err := e.API.SetUserTeam(t.Context(), e.AdminToken, "00000000-0000-0000-0000-000000000000", "x"); !api.IsStatus(err, http.StatusNotFound) {
		t.Errorf("team for an unknown user: %v, want 404", err)
	}
}

func TestAdminPagesNeedTheToken(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	for _, path := range []string{"/admin/users", "/admin/settings/auth", "/admin/"} {
		if p := b.get(e.URL + path); !strings.HasSuffix(p.URL.Path, "/admin/login") {
			t.Errorf("%s without a session ended at %s", path, p.URL)
		}
	}
	p := b.post(e.URL+"/admin/users/x/plugin-key/revoke", url.Values{})
	if !strings.HasSuffix(p.URL.Path, "/admin/login") {
		t.Errorf("revoke without a session ended at %s", p.URL)
	}
}

var rowPattern = regexp.MustCompile(`(?s)<tr data-user="([^"]+)">.*?</tr>`)

// userRow is the Users table row of username.
func userRow(t *testing.T, p page, username string) string {
	t.Helper()
	for _, m := range rowPattern.FindAllStringSubmatch(p.Body, -1) {
		if m[1] == username {
			return m[0]
		}
	}
	t.Fatalf("no row for %s on the Users page:\n%s", username, p.Body)
	return ""
}
