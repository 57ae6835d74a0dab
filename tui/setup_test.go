package tui

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// setupAt returns the wizard on a Keycloak field, the server settings known.
func setupAt(t *testing.T, settings api.AuthSettings) (*setupModel, *msgPump) {
	t.Helper()
	f, srvURL := newFakeLatchkey(t)
	f.settings = settings
	secrets := newFakeSecrets()
	secrets.Set(t.Context(), srvURL, credentials.ItemAdminToken, fakeAdminToken)
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := runScreen(t, &m, 80, 30)
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
			m := newSetup(adminDeps(t, "http://127.0.0.1:9", newFakeSecrets()))
			m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
			if v := ansi.Strip(m.View(newStyles(true), 80)); !strings.Contains(v, "Checking GET /healthz") || !strings.Contains(v, "Server URL http://127.0.0.1:9") {
				t.Errorf("before the answer the view is\n%s\nwant the server URL and a spinner", v)
			}
			m, _ = m.Update(healthMsg{err: tt.err})
			v := flatView(m.View(newStyles(true), 80))
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
			m := newSetup(adminDeps(t, "http://127.0.0.1:9", newFakeSecrets()))
			m, _ = m.Update(tea.WindowSizeMsg{Width: 80, Height: 30})
			m, _ = m.Update(healthMsg{})
			m, _ = m.Update(storedTokenMsg{err: credentials.ErrNotFound})
			if !m.Typing() {
				t.Error("Typing() = false on the admin token field")
			}
			m, _ = m.Update(adminCheckedMsg{token: "lka_x", remembered: tt.remembered, err: tt.err})
			v := ansi.Strip(m.View(newStyles(true), 80))
			if !strings.Contains(flatView(v), tt.want) {
				t.Errorf("view\n%s\nwant %q", v, tt.want)
			}
			if !strings.Contains(v, "2/8 Admin token") || !m.Typing() {
				t.Errorf("want the admin token field again, got\n%s", v)
			}
		})
	}
}

func TestSetupAdminTokenAccepted(t *testing.T) {
	secrets := newFakeSecrets()
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
	l := pumpScreen(t, &m, 80)
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
			v := flatView(l.waitFor(strings.Fields(tt.want)[0]))
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
	secrets := newFakeSecrets()
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := runScreen(t, &m, 80, 30)

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
	v = flatView(l.waitFor("7/8 Review"))
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
	v = flatView(l.waitFor("Keycloak is connected."))
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
	secrets := newFakeSecrets()
	secrets.Set(t.Context(), srvURL, credentials.ItemAdminToken, fakeAdminToken)
	m := newSetup(adminDeps(t, srvURL, secrets))
	l := runScreen(t, &m, 80, 30)
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
	l2 := runScreen(t, &m2, 80, 30)
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
	m := newSetup(adminDeps(t, "http://127.0.0.1:8008", newFakeSecrets()))
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
	if !strings.Contains(flatView(got), "Nothing was saved; the previous settings stay in force.") {
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
	if v := flatView(m.View(newStyles(true), 80)); !strings.Contains(v, "✗ Realm Name: a realm name cannot contain / ? or #") || strings.Contains(v, "Realm exists") || fieldOfCheck(m.lastFailure) != stepRealm {
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
	m := newSetup(adminDeps(t, "https://latchkey.internal.example.com", newFakeSecrets()))
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
	v = flatView(m.View(newStyles(true), 60))
	if !strings.Contains(v, "↑ more above") || !strings.Contains(v, "register that one") {
		t.Errorf("scrolled to the end, the view is %q", v)
	}
}
