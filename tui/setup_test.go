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
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// fakeAdminSecrets is a test fake of Secrets: an in-memory keyring.
type fakeAdminSecrets struct {
	mu    sync.Mutex
	items map[string]auth.Secret // server + " " + item
}

func newFakeAdminSecrets() *fakeAdminSecrets {
	return &fakeAdminSecrets{items: map[string]auth.Secret{}}
}

func (f *fakeAdminSecrets) Get(_ context.Context, server, item string) (auth.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[server+" "+item]
	if !ok {
		return "", fmt.Errorf("%s for %s: %w", item, server, credentials.ErrNotFound)
	}
	return v, nil
}

func (f *fakeAdminSecrets) Set(_ context.Context, server, item string, v auth.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[server+" "+item] = v
	return nil
}

func (f *fakeAdminSecrets) Delete(_ context.Context, server, item string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.items[server+" "+item]
	delete(f.items, server+" "+item)
	return ok, nil
}

func (f *fakeAdminSecrets) Backend() string { return "keyring" }
func (f *fakeAdminSecrets) Reason() string  { return "" }

// adminDeps are the dependencies of a screen talking to the server at
// serverURL, with secrets in the fake keyring.
func adminDeps(t *testing.T, serverURL string, secrets *fakeAdminSecrets) Deps {
	t.Helper()
	dir := t.TempDir()
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return Deps{Session: &Session{
		Server: serverURL, Secrets: secrets, Config: cfg, LockFile: filepath.Join(dir, "lock"), Now: time.Now,
		API: api.NewClient(serverURL, &http.Client{Timeout: 10 * time.Second}),
	}}
}

// fakeLatchkey is a test fake of the server's admin API, over a real HTTP
// transport (httptest): the admin token, the Keycloak settings with a
// Keycloak that only takes goodSecret, and a list of users.
type fakeLatchkey struct {
	mu         sync.Mutex
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
	admin := func(h http.HandlerFunc) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			if r.Header.Get("Authorization") != "Bearer "+f.token {
				writeFakeJSON(w, http.StatusUnauthorized, api.Error{Error: "admin token required"})
				return
			}
			f.mu.Lock()
			defer f.mu.Unlock()
			h(w, r)
		}
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
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return f, srv.URL
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

func writeFakeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// msgLoop plays the Bubble Tea runtime for a screen in a model test: it runs
// the commands that update returns, each in its own goroutine (network
// calls and cursor blinks block), and hands their messages to update one at
// a time, on the test's goroutine, until the view shows what the test waits
// for.
type msgLoop struct {
	t      *testing.T
	update func(tea.Msg) tea.Cmd
	view   func() string
	msgs   chan tea.Msg
	done   chan struct{}
	seen   []tea.Msg
}

func newMsgLoop(t *testing.T, update func(tea.Msg) tea.Cmd, view func() string) *msgLoop {
	l := &msgLoop{t: t, update: update, view: view, msgs: make(chan tea.Msg, 256), done: make(chan struct{})}
	t.Cleanup(func() { close(l.done) })
	return l
}

// setupLoop runs the wizard screen alone at width×height.
func setupLoop(t *testing.T, m *setupModel, width, height int) *msgLoop {
	st := newStyles(true)
	l := newMsgLoop(t,
		func(msg tea.Msg) tea.Cmd {
			var cmd tea.Cmd
			*m, cmd = m.Update(msg)
			return cmd
		},
		func() string { return ansi.Strip(m.View(st, width)) })
	l.send(tea.WindowSizeMsg{Width: width, Height: height})
	l.run(m.Init())
	return l
}

func (l *msgLoop) run(cmd tea.Cmd) {
	if cmd != nil {
		go func() { l.deliver(cmd()) }()
	}
}

// deliver queues msg; the commands of a batch run concurrently, those of a
// sequence in order.
func (l *msgLoop) deliver(msg tea.Msg) {
	if batch, ok := msg.(tea.BatchMsg); ok {
		for _, c := range batch {
			l.run(c)
		}
		return
	}
	if v := reflect.ValueOf(msg); v.IsValid() && v.Kind() == reflect.Slice && v.Type().Elem() == reflect.TypeFor[tea.Cmd]() {
		for i := range v.Len() { // tea.Sequence
			if c := v.Index(i).Interface().(tea.Cmd); c != nil {
				l.deliver(c())
			}
		}
		return
	}
	if msg == nil {
		return
	}
	select {
	case l.msgs <- msg:
	case <-l.done:
	}
}

// send hands msg to the screen now and runs what it returns.
func (l *msgLoop) send(msg tea.Msg) {
	l.seen = append(l.seen, msg)
	l.run(l.update(msg))
}

// keys presses keys: "enter", "esc", "shift+tab", "ctrl+u", or text typed
// one character at a time.
func (l *msgLoop) keys(keys ...string) {
	for _, k := range keys {
		if msg, ok := namedKey(k); ok {
			l.send(msg)
			continue
		}
		for _, r := range k {
			l.send(tea.KeyPressMsg{Code: r, Text: string(r)})
		}
	}
}

func namedKey(k string) (tea.KeyPressMsg, bool) {
	switch k {
	case "enter":
		return tea.KeyPressMsg{Code: tea.KeyEnter}, true
	case "esc":
		return tea.KeyPressMsg{Code: tea.KeyEscape}, true
	case "shift+tab":
		return tea.KeyPressMsg{Code: tea.KeyTab, Mod: tea.ModShift}, true
	case "down":
		return tea.KeyPressMsg{Code: tea.KeyDown}, true
	case "up":
		return tea.KeyPressMsg{Code: tea.KeyUp}, true
	case "right":
		return tea.KeyPressMsg{Code: tea.KeyRight}, true
	case "left":
		return tea.KeyPressMsg{Code: tea.KeyLeft}, true
	}
	if c, ok := strings.CutPrefix(k, "ctrl+"); ok && len(c) == 1 {
		return tea.KeyPressMsg{Code: rune(c[0]), Mod: tea.ModCtrl}, true
	}
	return tea.KeyPressMsg{}, false
}

// waitFor delivers messages until the view contains every one of want,
// line breaks and runs of spaces aside, and returns the view.
func (l *msgLoop) waitFor(want ...string) string {
	l.t.Helper()
	return l.waitUntil(fmt.Sprintf("%q", want), func(v string) bool {
		v = oneLine(v)
		for _, w := range want {
			if !strings.Contains(v, oneLine(w)) {
				return false
			}
		}
		return true
	})
}

// waitNavigated delivers messages until the screen has asked for to.
func (l *msgLoop) waitNavigated(to screen) {
	l.t.Helper()
	l.waitUntil(fmt.Sprintf("navigation to screen %d", to), func(string) bool { return l.navigatedTo(to) })
}

func (l *msgLoop) waitUntil(what string, cond func(view string) bool) string {
	l.t.Helper()
	deadline := time.After(10 * time.Second)
	for {
		v := l.view()
		if cond(v) {
			return v
		}
		select {
		case msg := <-l.msgs:
			l.send(msg)
		case <-deadline:
			l.t.Fatalf("waiting for %s; the view is:\n%s", what, v)
		}
	}
}

// navigatedTo reports whether the screen asked for screen to.
func (l *msgLoop) navigatedTo(to screen) bool {
	for _, m := range l.seen {
		if n, ok := m.(navigateMsg); ok && n.to == to {
			return true
		}
	}
	return false
}

// oneLine is a view's text with its line breaks and indentation folded, so
// that wrapped sentences read whole.
func oneLine(view string) string { return strings.Join(strings.Fields(view), " ") }

// setupAt returns the wizard on a Keycloak field, the server settings known.
func setupAt(t *testing.T, settings api.AuthSettings) (*setupModel, *msgLoop) {
	t.Helper()
	f, srvURL := newFakeLatchkey(t)
	f.settings = settings
	secrets := newFakeAdminSecrets()
	secrets.Set(t.Context(), srvURL, credentials.ItemAdminToken, fakeAdminToken)
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := setupLoop(t, &m, 80, 30)
	l.waitFor("3/8 Server Url")
	return &m, l
}

func TestSetupServerCheck(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want []string
	}{
		{"ok", nil, []string{"✓ server answers", "Looking for a remembered admin token"}},
		{"unreachable", fmt.Errorf("GET /healthz: %w", refused("127.0.0.1:9")),
			[]string{"✗ unreachable: dial tcp 127.0.0.1:9: connect: connection refused", "Is latchkey serve running there?"}},
		{"not latchkey", &api.StatusError{Status: http.StatusNotFound}, []string{"✗ not a latchkey server: GET /healthz answered 404 Not Found"}},
		{"database down", &api.StatusError{Status: http.StatusServiceUnavailable}, []string{"✗ the server answers, but its database is unavailable (503)"}},
		{"timeout", fmt.Errorf("GET /healthz: %w", context.DeadlineExceeded), []string{"✗ unreachable: no answer in time"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSetup(adminDeps(t, "http://127.0.0.1:9", newFakeAdminSecrets()))
			m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
			if v := ansi.Strip(m.View(newStyles(true), 80)); !strings.Contains(v, "Checking GET /healthz") || !strings.Contains(v, "Server URL http://127.0.0.1:9") {
				t.Errorf("before the answer the view is\n%s\nwant the server URL and a spinner", v)
			}
			m, _ = m.Update(healthMsg{err: tt.err})
			v := oneLine(ansi.Strip(m.View(newStyles(true), 80)))
			for _, w := range tt.want {
				if !strings.Contains(v, w) {
					t.Errorf("view %q\nwant %q", v, w)
				}
			}
			if got, want := m.Keys().(setupKeys).Retry.Enabled(), tt.err != nil; got != want {
				t.Errorf("retry key enabled = %v, want %v", got, want)
			}
		})
	}
}

// refused is the error of a call to a port nobody listens on.
func refused(hostPort string) error {
	return &url.Error{Op: "Get", URL: "http://" + hostPort + "/healthz", Err: errors.New("dial tcp " + hostPort + ": connect: connection refused")}
}

func TestSetupAdminTokenAnswers(t *testing.T) {
	tests := []struct {
		name       string
		err        error
		remembered bool
		want       string
	}{
		{"wrong token", &api.StatusError{Status: http.StatusUnauthorized}, false, "✗ not the admin token of this server (401)"},
		{"locked out", &api.StatusError{Status: http.StatusTooManyRequests}, false, "✗ too many failed attempts (429)"},
		{"remembered token refused", &api.StatusError{Status: http.StatusUnauthorized}, true, "✗ The admin token remembered for this server does not work any more: not the admin token"},
		{"not latchkey", &api.StatusError{Status: http.StatusNotFound}, false, "no latchkey admin API (404)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newSetup(adminDeps(t, "http://127.0.0.1:9", newFakeAdminSecrets()))
			m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
			m, _ = m.Update(healthMsg{})
			m, _ = m.Update(storedTokenMsg{err: credentials.ErrNotFound})
			if !m.Typing() {
				t.Error("Typing() = false on the admin token field")
			}
			m, _ = m.Update(adminCheckedMsg{token: "lka_x", remembered: tt.remembered, err: tt.err})
			v := ansi.Strip(m.View(newStyles(true), 80))
			if !strings.Contains(oneLine(v), tt.want) {
				t.Errorf("view\n%s\nwant %q", v, tt.want)
			}
			if !strings.Contains(v, "2/8 Admin token") || !m.Typing() {
				t.Errorf("want the admin token field again, got\n%s", v)
			}
		})
	}
}

func TestSetupAdminTokenAccepted(t *testing.T) {
	secrets := newFakeAdminSecrets()
	m := newSetup(adminDeps(t, "http://127.0.0.1:9", secrets))
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
	m, _ = m.Update(healthMsg{})
	m, _ = m.Update(storedTokenMsg{err: credentials.ErrNotFound})
	settings := api.AuthSettings{Enabled: true, URL: "https://sso.example.com", Realm: "acme", ClientID: "latchkey", ClientSecretSet: true}
	m, cmd := m.Update(adminCheckedMsg{token: "lka_typed", settings: settings})
	v := ansi.Strip(m.View(newStyles(true), 80))
	for _, want := range []string{"3/8 Server Url", "✓ admin token accepted", "https://sso.example.com"} {
		if !strings.Contains(v, want) {
			t.Errorf("view\n%s\nwant %q", v, want)
		}
	}
	// The command remembers the token (and focuses the field).
	l := newMsgLoop(t, func(msg tea.Msg) tea.Cmd { var c tea.Cmd; m, c = m.Update(msg); return c },
		func() string { return ansi.Strip(m.View(newStyles(true), 80)) })
	l.run(cmd)
	l.waitFor("remembered in the keyring")
	if got, _ := secrets.Get(t.Context(), "http://127.0.0.1:9", credentials.ItemAdminToken); got != "lka_typed" {
		t.Errorf("keyring holds %q, want the verified token", got.Reveal())
	}
}

func TestSetupFieldChecks(t *testing.T) {
	before := []string{"https://sso", "acme", "lk"} // valid values of the fields before
	tests := []struct {
		name      string
		secretSet bool
		field     setupStep
		typed     string
		want      string
	}{
		{"url scheme", false, stepURL, "ftp://sso", "✗ the URL must start with https:// (or http:// for a local test server)"},
		{"url empty", false, stepURL, "", "✗ enter the Keycloak server URL, e.g. https://sso.example.com"},
		{"url query", false, stepURL, "https://sso/?x", "✗ the URL must not contain ? or #"},
		{"realm empty", false, stepRealm, "", "✗ enter the realm name, exactly as Keycloak shows it"},
		{"realm slash", false, stepRealm, "a/b", "✗ a realm name cannot contain / ? or #"},
		{"client id blank", false, stepClientID, " ", "✗ enter the Client ID of the client created for latchkey"},
		{"secret needed", false, stepSecret, "", "✗ enter the client secret"},
		{"secret kept", true, stepSecret, "", "7/8 Review"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m, l := setupAt(t, api.AuthSettings{ClientSecretSet: tt.secretSet})
			for step := stepURL; step < tt.field; step++ {
				l.keys(before[step-stepURL], "enter")
				l.waitFor(fmt.Sprintf("%d/8 %s", step+2, stepTitles[step+1]))
			}
			l.keys(tt.typed, "enter")
			v := oneLine(l.waitFor(strings.Fields(tt.want)[0]))
			if !strings.Contains(v, tt.want) {
				t.Errorf("view %q\nwant %q", v, tt.want)
			}
			if strings.HasPrefix(tt.want, "✗") && (m.step != tt.field || !m.Typing()) {
				t.Errorf("after a bad value the wizard is on step %d, want to stay on %d", m.step, tt.field)
			}
		})
	}
}

func TestSetupWizardAgainstFakeServer(t *testing.T) {
	f, srvURL := newFakeLatchkey(t)
	f.settings = api.AuthSettings{Enabled: true, URL: "https://old-sso.example.com", Realm: "old", ClientID: "latchkey", ClientSecretSet: false}
	secrets := newFakeAdminSecrets()
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := setupLoop(t, &m, 80, 30)

	// 1 → 2: the server answers; no token remembered: the masked field.
	l.waitFor("✓ server answers", "2/8 Admin token")
	l.waitUntil("the admin token field", func(string) bool { return m.Typing() })
	l.keys("lka_wrong", "enter")
	v := l.waitFor("✗ not the admin token of this server")
	if strings.Contains(v, "lka_wrong") {
		t.Errorf("the token is shown in clear:\n%s", v)
	}
	l.keys("ctrl+u", fakeAdminToken, "enter")

	// 3: pre-filled from the server; the token is remembered.
	l.waitFor("3/8 Server Url", "https://old-sso.example.com", "remembered in the keyring")
	if got, _ := secrets.Get(t.Context(), srvURL, credentials.ItemAdminToken); got != fakeAdminToken {
		t.Errorf("keyring holds %q, want the admin token", got.Reveal())
	}
	l.keys("ctrl+u", "https://sso.example.com/", "enter")
	l.waitFor("4/8 Realm Name", "old")
	l.keys("ctrl+u", "acme", "enter")
	l.waitFor("5/8 Client ID", "latchkey")

	// Back keeps what was typed, forward again.
	l.keys("shift+tab")
	l.waitFor("4/8 Realm Name", "acme")
	l.keys("shift+tab")
	l.waitFor("3/8 Server Url", "https://sso.example.com/")
	l.keys("enter")
	l.waitFor("4/8 Realm Name", "acme")
	l.keys("enter")
	l.waitFor("5/8 Client ID")
	l.keys("enter")
	l.waitFor("6/8 Client Secret Key", "paste the client secret")
	l.keys("wrong-secret")
	if v := l.view(); strings.Contains(v, "wrong-secret") {
		t.Errorf("the secret is shown in clear:\n%s", v)
	}
	l.keys("enter")

	// 7: the summary and what to register in Keycloak for this server.
	v = oneLine(l.waitFor("7/8 Review"))
	for _, want := range []string{
		"Server Url https://sso.example.com", "Realm Name acme", "Client ID latchkey", "Client Secret Key ••••••",
		"Clients → latchkey", "Client authentication On", "Standard flow, Direct access grants, Service accounts roles",
		"Valid redirect URIs " + srvURL + "/*", "Web origins " + srvURL + "/", "realm-management → view-users",
		"as the terminal reaches it",
	} {
		if !strings.Contains(v, want) {
			t.Errorf("review %q\nlacks %q", v, want)
		}
	}
	if strings.Contains(v, "wrong-secret") {
		t.Error("the review shows the secret")
	}

	// 8: Keycloak refuses the secret: the findings, the fix under the failure.
	l.keys("enter")
	v = l.waitFor("✗ Client secret is correct")
	for _, want := range []string{"✓ Realm exists", "    Keycloak refused the client secret.", "    answer: 401 Unauthorized: unauthorized_client",
		"    fix: Copy Client Secret from Clients → latchkey → Credentials", "– Service account can view users (not run)"} {
		if !strings.Contains(v, want) {
			t.Errorf("findings\n%s\nlack %q", v, want)
		}
	}
	if got := f.lastUpdate(); got.ClientSecret == nil || *got.ClientSecret != "wrong-secret" || got.URL != "https://sso.example.com" || !got.Enabled {
		t.Errorf("PUT %+v, want the typed settings", got)
	}

	// Edit goes to the secret, the values kept; then save again.
	l.keys("e")
	l.waitFor("6/8 Client Secret Key")
	l.keys("ctrl+u", "good-secret", "enter")
	l.waitFor("7/8 Review")
	l.keys("enter")
	v = oneLine(l.waitFor("Keycloak is connected."))
	for _, want := range []string{"✓ Realm exists", "✓ Client secret is correct", "✓ Service account can view users",
		"latchkey login --server " + srvURL, "Endpoint Address " + srvURL} {
		if !strings.Contains(v, want) {
			t.Errorf("done screen %q\nlacks %q", v, want)
		}
	}
	l.keys("enter")
	l.waitNavigated(screenHome)
}

func TestSetupRememberedTokenSkipsAhead(t *testing.T) {
	f, srvURL := newFakeLatchkey(t)
	f.settings = api.AuthSettings{Enabled: true, URL: "https://sso.example.com", Realm: "acme", ClientID: "latchkey", ClientSecretSet: true}
	secrets := newFakeAdminSecrets()
	secrets.Set(t.Context(), srvURL, credentials.ItemAdminToken, fakeAdminToken)
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := setupLoop(t, &m, 80, 30)
	l.waitFor("3/8 Server Url", "https://sso.example.com", "✓ admin token accepted (remembered in the keyring)")
	for _, msg := range l.seen {
		if _, ok := msg.(adminTokenSavedMsg); ok {
			t.Error("a remembered token was written again")
		}
	}

	// Leaving the secret empty keeps the stored one: no client_secret sent.
	for _, step := range []string{"4/8", "5/8", "6/8"} {
		l.keys("enter")
		l.waitFor(step)
	}
	if !strings.Contains(l.view(), "set, leave empty to keep") {
		t.Errorf("secret field without the keep placeholder:\n%s", l.view())
	}
	l.keys("enter")
	l.waitFor("Client Secret Key  unchanged")
	l.keys("enter")
	l.waitFor("Keycloak is connected.")
	if got := f.lastUpdate(); got.ClientSecret != nil {
		t.Errorf("PUT sent client_secret %q, want it omitted", *got.ClientSecret)
	}

	// Refused next time: the field comes back, empty, with the reason.
	f.token = "lka_rotated"
	m2 := newSetup(adminDeps(t, srvURL, secrets))
	l2 := setupLoop(t, &m2, 80, 30)
	l2.waitFor("2/8 Admin token", "does not work any more")
	if m2.vals.token != "" {
		t.Errorf("the refused token stays in the field")
	}
}

func TestSetupEscAsksFirst(t *testing.T) {
	m, l := setupAt(t, api.AuthSettings{})
	l.keys("https://sso.example.com")
	l.keys("esc")
	l.waitFor("Cancel setup? Nothing is saved. (y/n)")
	if m.Typing() {
		t.Error("Typing() = true while asking y/n")
	}
	if got := m.Keys().ShortHelp(); len(got) != 2 || got[0].Help().Desc != "yes, cancel setup" {
		t.Errorf("keys while asking: %v", got)
	}
	l.keys("n")
	v := l.waitUntil("the question gone", func(v string) bool { return !strings.Contains(v, "Cancel setup?") })
	if !strings.Contains(v, "https://sso.example.com") || !m.Typing() {
		t.Errorf("after n: want the field with its value, got\n%s", v)
	}
	l.keys("esc", "y")
	l.waitNavigated(screenHome)
}

func TestSetupKeysPerStep(t *testing.T) {
	m, l := setupAt(t, api.AuthSettings{ClientSecretSet: true})
	helpOf := func() []string {
		var out []string
		for _, b := range m.Keys().ShortHelp() {
			if b.Enabled() {
				out = append(out, b.Help().Key+" "+b.Help().Desc)
			}
		}
		return out
	}
	if diff := cmp.Diff([]string{"enter next", "shift+tab back", "esc cancel", "? more help"}, helpOf()); diff != "" {
		t.Errorf("field keys (-want +got):\n%s", diff)
	}
	for _, k := range []string{"https://sso", "acme", "lk"} {
		step := m.step
		l.keys(k, "enter")
		l.waitUntil("the next field", func(string) bool { return m.step == step+1 && m.Typing() })
	}
	l.keys("enter")
	l.waitFor("7/8 Review")
	if m.Typing() {
		t.Error("Typing() = true on the review")
	}
	if diff := cmp.Diff([]string{"enter save", "shift+tab back", "esc cancel", "? more help"}, helpOf()); diff != "" {
		t.Errorf("review keys (-want +got):\n%s", diff)
	}
}

func TestSetupFindingsView(t *testing.T) {
	m := newSetup(adminDeps(t, "http://127.0.0.1:8008", newFakeAdminSecrets()))
	m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 40})
	m.step, m.busy = stepSave, "Checking with Keycloak…"
	if v := ansi.Strip(m.View(newStyles(true), 80)); !strings.Contains(v, "Checking with Keycloak…") {
		t.Errorf("while saving:\n%s", v)
	}
	findings := []auth.Finding{
		{ID: auth.IDRealm, Title: "Realm exists", Status: auth.StatusOK, Answer: "200 OK, the realm's discovery document"},
		{ID: auth.IDTimeout, Title: "Keycloak answers in time", Status: auth.StatusWarn, Answer: "answered in 4.2s", Problem: "Keycloak is slow.", Fix: "Look at the network."},
		{ID: auth.IDStandardFlow, Title: "Standard flow is on", Status: auth.StatusSkipped},
		{ID: auth.IDViewUsers, Title: "Service account can view users", Status: auth.StatusFail, Tried: "GET https://sso/admin/realms/acme/users/count", Problem: "The service account may not list users.",
			Answer: "403 Forbidden", Fix: "Clients → latchkey → Service accounts roles → Assign role → Filter by clients → realm-management: view-users."},
	}
	m, _ = m.Update(savedMsg{err: &api.StatusError{Status: http.StatusUnprocessableEntity,
		Body: api.Error{Error: "keycloak check failed", Detail: "nothing was saved; the previous settings stay in force", Findings: findings}}})
	got := ansi.Strip(m.View(newStyles(true), 80))
	// Problems first, then what did not run, then what passed.
	want := []string{
		"  ✗ Service account can view users",
		"      The service account may not list users.",
		"      answer: 403 Forbidden",
		"      fix: Clients → latchkey → Service accounts roles → Assign role → Filter by",
		"      clients → realm-management: view-users.",
		"      tried: GET https://sso/admin/realms/acme/users/count",
		"  ! Keycloak answers in time",
		"      Keycloak is slow.",
		"      answer: answered in 4.2s",
		"      fix: Look at the network.",
		"  – Standard flow is on (not run)",
		"  ✓ Realm exists · 200 OK, the realm's discovery document",
	}
	if !strings.Contains(got, strings.Join(want, "\n")) {
		t.Errorf("findings view:\n%s\nwant the lines\n%s", got, strings.Join(want, "\n"))
	}
	if !strings.Contains(oneLine(got), "Nothing was saved; the previous settings stay in force.") {
		t.Errorf("no word that nothing was saved:\n%s", got)
	}
	if k := m.Keys().(setupKeys); !k.Retry.Enabled() || !k.Edit.Enabled() || !k.Back.Enabled() {
		t.Errorf("after a failed save want retry, edit and back keys; got %+v", k.ShortHelp())
	}
	if got := fieldOfCheck(m.lastFailure); got != stepReview {
		t.Errorf("edit goes to step %d, want the review: view-users is set in Keycloak", got)
	}

	// A field the server rejects names the field.
	m, _ = m.Update(savedMsg{err: &api.StatusError{Status: http.StatusUnprocessableEntity, Body: api.Error{Error: "invalid realm", Detail: "a realm name cannot contain / ? or #"}}})
	if v := oneLine(ansi.Strip(m.View(newStyles(true), 80))); !strings.Contains(v, "✗ Realm Name: a realm name cannot contain / ? or #") || strings.Contains(v, "Realm exists") || fieldOfCheck(m.lastFailure) != stepRealm {
		t.Errorf("field error view %q, edit → %d", v, fieldOfCheck(m.lastFailure))
	}
}

func TestSetupEditGoesWhereTheProblemIs(t *testing.T) {
	tests := map[string]setupStep{
		auth.IDDNS: stepURL, auth.IDTLS: stepURL, auth.IDIssuer: stepURL, "url": stepURL,
		auth.IDRealm:  stepRealm,
		auth.IDClient: stepClientID, "client_id": stepClientID,
		auth.IDClientSecret: stepSecret, "client_secret": stepSecret,
		auth.IDRedirectURI: stepReview, auth.IDViewUsers: stepReview, auth.IDServiceAccount: stepReview, auth.IDClientAuth: stepReview,
	}
	for id, want := range tests {
		if got := fieldOfCheck(id); got != want {
			t.Errorf("fieldOfCheck(%q) = %s, want %s", id, stepTitles[got], stepTitles[want])
		}
	}
}

func TestSetupReviewScrollsWhenShort(t *testing.T) {
	m := newSetup(adminDeps(t, "https://latchkey.internal.example.com", newFakeAdminSecrets()))
	m.vals = setupValues{url: "https://sso.example.com", realm: "acme", clientID: "latchkey", secret: "s"}
	m, _ = m.Update(tea.WindowSizeMsg{Width: 60, Height: 20})
	m.busy = ""
	m, _ = m.goTo(stepReview)
	v := ansi.Strip(m.View(newStyles(true), 60))
	if !strings.Contains(v, "↓ more below") {
		t.Fatalf("a review taller than the room has no scroll note:\n%s", v)
	}
	for range 30 {
		m, _ = m.Update(tea.KeyPressMsg{Code: tea.KeyDown})
	}
	v = oneLine(ansi.Strip(m.View(newStyles(true), 60)))
	if !strings.Contains(v, "↑ more above") || !strings.Contains(v, "register that one") {
		t.Errorf("scrolled to the end, the view is %q", v)
	}
}

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
			root := New(adminDeps(t, "http://127.0.0.1:8008", newFakeAdminSecrets()), StartSetup)
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
			root := New(adminDeps(t, "http://127.0.0.1:8008", newFakeAdminSecrets()), StartHome)
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
	lines := strings.Split(view, "\n")
	if len(lines) > h {
		t.Errorf("%d lines, want at most %d:\n%s", len(lines), h, view)
	}
	for i, l := range lines {
		if lw := ansi.StringWidth(l); lw > w {
			t.Errorf("line %d is %d cells wide, want at most %d: %q", i+1, lw, w, l)
		}
	}
	if !strings.Contains(oneLine(view), want) {
		t.Errorf("view lacks %q:\n%s", want, view)
	}
}
