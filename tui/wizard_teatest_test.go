package tui

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/colorprofile"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// TestWizardAgainstRealServerAndKeycloak runs `latchkey setup` as a Bubble
// Tea program against a real latchkey server and the real Keycloak: the
// admin token, the realm's fields with a wrong secret first (the server's
// check fails with its fix), back to the secret, the right one, saved.
func TestWizardAgainstRealServerAndKeycloak(t *testing.T) {
	kc := keycloaktest.FromEnv(t)
	realm, err := keycloaktest.LoadRealm(keycloaktest.RepoFile(t, "testdata/keycloak/test-realm.json"))
	if err != nil {
		t.Fatal(err)
	}
	serverURL, adminToken := newTestServer(t)
	secrets := newFakeAdminSecrets()
	tm := teatest.NewTestModel(t, New(adminDeps(t, serverURL, secrets), StartSetup),
		teatest.WithInitialTermSize(80, 30),
		teatest.WithProgramOptions(tea.WithColorProfile(colorprofile.Ascii)))
	// waitFor waits until the screen has shown every one of want since the
	// last wait; seen is what it showed.
	var seen string
	waitFor := func(d time.Duration, want ...string) {
		t.Helper()
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
			out := ansi.Strip(string(b))
			seen = out
			for _, w := range want {
				if !strings.Contains(out, w) {
					return false
				}
			}
			return true
		}, teatest.WithDuration(d), teatest.WithCheckInterval(10*time.Millisecond))
	}
	enter := func() { tm.Send(tea.KeyPressMsg{Code: tea.KeyEnter}) }

	waitFor(10*time.Second, "server answers", "Admin token", "Printed by latchkey serve")
	tm.Type(adminToken.Reveal())
	enter()
	waitFor(10*time.Second, "3/8", "Server Url", "admin token accepted")
	tm.Type(kc.URL)
	enter()
	waitFor(5*time.Second, "4/8", "Realm Name")
	tm.Type(realm.Name)
	enter()
	waitFor(5*time.Second, "5/8", "Client ID")
	tm.Type(realm.ClientID)
	enter()
	waitFor(5*time.Second, "6/8", "Client Secret Key")
	tm.Type("not-the-" + realm.ClientID + "-secret")
	enter()
	waitFor(5*time.Second, "7/8", "Valid redirect URIs", serverURL+"/*")
	enter()

	// Keycloak refuses the secret: the ✗ check about it, with the fix under
	// it; nothing saved.
	waitFor(60*time.Second, "✗", "fix:", "→ Credentials")
	if !regexp.MustCompile(`✗ [^\n]*[Ss]ecret`).MatchString(seen) {
		t.Errorf("no failed check about the secret on the screen:\n%s", seen)
	}
	tm.Send(tea.KeyPressMsg{Code: 'e', Text: "e"})
	waitFor(5*time.Second, "6/8", "Client Secret Key")
	tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	tm.Type(realm.ClientSecret)
	enter()
	waitFor(5*time.Second, "7/8", "Review")
	enter()
	waitFor(60*time.Second, "Keycloak is connected.")
	enter() // started as `latchkey setup`: the done screen ends the program

	final := ansi.Strip(tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model).View().Content)
	for _, want := range []string{"Keycloak is connected.", "latchkey login --server " + serverURL, "✓ "} {
		if !strings.Contains(final, want) {
			t.Errorf("the last screen lacks %q:\n%s", want, final)
		}
	}
	if strings.Contains(final, "✗") {
		t.Errorf("a check failed on the done screen:\n%s", final)
	}

	// The server has the settings, and the keyring the admin token.
	got, err := api.NewClient(serverURL, &http.Client{Timeout: 10 * time.Second}).AuthSettings(t.Context(), adminToken)
	if err != nil {
		t.Fatal(err)
	}
	want := api.AuthSettings{Enabled: true, URL: kc.URL, Realm: realm.Name, ClientID: realm.ClientID, ClientSecretSet: true, PublicURL: serverURL}
	if got != want {
		t.Errorf("settings on the server %+v, want %+v", got, want)
	}
	if tok, err := secrets.Get(t.Context(), serverURL, credentials.ItemAdminToken); err != nil || tok != adminToken {
		t.Errorf("admin token in the keyring: %v, %v; want the server's", tok == adminToken, err)
	}
}
