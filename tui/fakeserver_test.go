package tui

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// fakeLatchkey is a test fake of the server's API, over a real HTTP
// transport (httptest): the account of the person signed in with the access
// token "access"; and behind the admin token, the Keycloak settings with a
// Keycloak that only takes goodSecret, and a list of users.
type fakeLatchkey struct {
	mu         sync.Mutex
	me         api.Me
	rotated    int // plugin keys the person rotated
	token      string
	settings   api.AuthSettings
	goodSecret string
	updates    []api.AuthSettingsUpdate // every PUT of the settings
	users      []api.User
	queries    []string // every users query, "search first max"
}

const fakeAdminToken = "lka_the-right-admin-token"

func newFakeLatchkey(t *testing.T) (*fakeLatchkey, string) {
	f := &fakeLatchkey{token: fakeAdminToken, goodSecret: "good-secret"}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	f.accountRoutes(mux)
	f.adminRoutes(mux)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
}

// guarded answers 401 unless the request carries token, and runs h under
// the lock.
func (f *fakeLatchkey) guarded(token func() string, h http.HandlerFunc) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token() {
			writeFakeJSON(w, http.StatusUnauthorized, api.Error{Error: "sign-in required"})
			return
		}
		f.mu.Lock()
		defer f.mu.Unlock()
		h(w, r)
	}
}

func (f *fakeLatchkey) accountRoutes(mux *http.ServeMux) {
	me := func(change func(r *http.Request)) http.HandlerFunc {
		return f.guarded(func() string { return "access" }, func(w http.ResponseWriter, r *http.Request) {
			change(r)
			writeFakeJSON(w, http.StatusOK, f.me)
		})
	}
	mux.HandleFunc("GET /api/v1/me", me(func(*http.Request) {}))
	mux.HandleFunc("POST /api/v1/me/plugin-key", me(func(*http.Request) {
		f.rotated++
		f.me.PluginAPIKey = auth.NewPluginKey().Reveal()
	}))
	mux.HandleFunc("PUT /api/v1/me/team", me(func(r *http.Request) {
		var c api.TeamChoice
		json.NewDecoder(r.Body).Decode(&c)
		f.me.Team = c.Team
	}))
}

func (f *fakeLatchkey) adminRoutes(mux *http.ServeMux) {
	admin := func(h http.HandlerFunc) http.HandlerFunc {
		return f.guarded(func() string { return f.token }, h)
	}
	mux.HandleFunc("GET /api/v1/admin/settings/auth", admin(func(w http.ResponseWriter, r *http.Request) {
		writeFakeJSON(w, http.StatusOK, f.settings)
	}))
	mux.HandleFunc("PUT /api/v1/admin/settings/auth", admin(f.putSettings))
	mux.HandleFunc("GET /api/v1/admin/users", admin(f.listUsers))
	mux.HandleFunc("PUT /api/v1/admin/users/{id}/team", admin(func(w http.ResponseWriter, r *http.Request) {
		var c api.TeamChoice
		json.NewDecoder(r.Body).Decode(&c)
		f.change(w, r.PathValue("id"), func(u *api.User) {
			u.TeamOverride, u.Team = c.Team, c.Team
			if c.Team == "" {
				u.Team = u.Teams[0]
			}
		})
	}))
	mux.HandleFunc("POST /api/v1/admin/users/{id}/plugin-key", admin(func(w http.ResponseWriter, r *http.Request) {
		f.change(w, r.PathValue("id"), func(u *api.User) { u.KeyActive = true })
	}))
	mux.HandleFunc("DELETE /api/v1/admin/users/{id}/plugin-key", admin(func(w http.ResponseWriter, r *http.Request) {
		f.change(w, r.PathValue("id"), func(u *api.User) { u.KeyActive = false })
	}))
}

func (f *fakeLatchkey) putSettings(w http.ResponseWriter, r *http.Request) {
	var u api.AuthSettingsUpdate
	if err := json.NewDecoder(r.Body).Decode(&u); err != nil {
		writeFakeJSON(w, http.StatusBadRequest, api.Error{Error: "bad json"})
		return
	}
	f.updates = append(f.updates, u)
	realm := auth.Finding{ID: auth.IDRealm, Title: "Realm exists", Status: auth.StatusOK, Answer: "200 OK"}
	goodSecret := (u.ClientSecret == nil && f.settings.ClientSecretSet) || (u.ClientSecret != nil && *u.ClientSecret == f.goodSecret)
	if !goodSecret {
		writeFakeJSON(w, http.StatusUnprocessableEntity, api.Error{
			Error: "keycloak check failed", Detail: "nothing was saved; the previous settings stay in force",
			Findings: []auth.Finding{realm,
				{ID: auth.IDClientSecret, Title: "Client secret is correct", Status: auth.StatusFail, Problem: "Keycloak refused the client secret.",
					Tried: "client-credentials grant as client " + u.ClientID, Answer: "401 Unauthorized: unauthorized_client",
					Fix: "Copy Client Secret from Clients → " + u.ClientID + " → Credentials into Client Secret Key."},
				{ID: auth.IDViewUsers, Title: "Service account can view users", Status: auth.StatusSkipped},
			}})
		return
	}
	f.settings = api.AuthSettings{Enabled: u.Enabled, URL: u.URL, Realm: u.Realm, ClientID: u.ClientID, ClientSecretSet: true}
	writeFakeJSON(w, http.StatusOK, api.AuthSettingsSaved{Settings: f.settings, Findings: []auth.Finding{realm,
		{ID: auth.IDClientSecret, Title: "Client secret is correct", Status: auth.StatusOK, Answer: "token issued"},
		{ID: auth.IDViewUsers, Title: "Service account can view users", Status: auth.StatusOK, Answer: "3 users in the realm"},
	}})
}

func (f *fakeLatchkey) listUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	first, _ := strconv.Atoi(q.Get("first"))
	limit, _ := strconv.Atoi(q.Get("max"))
	search := q.Get("search")
	f.queries = append(f.queries, fmt.Sprintf("%s %d %d", search, first, limit))
	var match []api.User
	for _, u := range f.users {
		if strings.Contains(u.Account, search) {
			match = append(match, u)
		}
	}
	page := api.UserPage{Total: len(match), First: first, Max: limit, Users: []api.User{}}
	if first < len(match) {
		page.Users = match[first:min(first+limit, len(match))]
	}
	writeFakeJSON(w, http.StatusOK, page)
}

func (f *fakeLatchkey) change(w http.ResponseWriter, id string, do func(*api.User)) {
	for i := range f.users {
		if f.users[i].ID == id {
			do(&f.users[i])
			writeFakeJSON(w, http.StatusOK, f.users[i])
			return
		}
	}
	writeFakeJSON(w, http.StatusNotFound, api.Error{Error: "No such user"})
}

func (f *fakeLatchkey) lastUpdate() api.AuthSettingsUpdate {
	f.mu.Lock()
	defer f.mu.Unlock()
	if len(f.updates) == 0 {
		return api.AuthSettingsUpdate{}
	}
	return f.updates[len(f.updates)-1]
}

func (f *fakeLatchkey) usersQueries() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]string(nil), f.queries...)
}

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
