package tui

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest/v2"

	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// TestWizardAgainstRealServerAndKeycloak runs `latchkey setup` as a Bubble
// Tea program against a real latchkey server and the real Keycloak: the
// admin token, the realm's fields with a wrong secret first (the server's
// check fails with its fix), back to the secret, the right one, saved.
func TestWizardAgainstRealServerAndKeycloak(t *testing.T) {
	kc, realm := testRealm(t)
	serverURL, adminToken := newTestServer(t)
	secrets := newFakeSecrets()
	s := startProgram(t, adminDeps(t, serverURL, secrets), StartSetup)
	// Each wait looks at what the screen drew since the last one.
	waitFor := func(want ...string) string { t.Helper(); return s.waitForNew(t, want...) }

	waitFor("server answers", "Admin token", "Printed by latchkey serve")
	s.tm.Type(adminToken.Reveal())
	s.tm.Send(enter())
	waitFor("3/8", "Server Url", "admin token accepted")
	s.tm.Type(kc.URL)
	s.tm.Send(enter())
	waitFor("4/8", "Realm Name")
	s.tm.Type(realm.Name)
	s.tm.Send(enter())
	waitFor("5/8", "Client ID")
	s.tm.Type(realm.ClientID)
	s.tm.Send(enter())
	waitFor("6/8", "Client Secret Key")
	s.tm.Type("not-the-" + realm.ClientID + "-secret")
	s.tm.Send(enter())
	waitFor("7/8", "Valid redirect URIs", serverURL+"/*")
	s.tm.Send(enter())

	// Keycloak refuses the secret: the ✗ check about it, with the fix under
	// it; nothing saved.
	seen := waitFor("✗", "fix:", "→ Credentials")
	if !regexp.MustCompile(`✗ [^\n]*[Ss]ecret`).MatchString(seen) {
		t.Errorf("no failed check about the secret on the screen:\n%s", seen)
	}
	s.tm.Send(tea.KeyPressMsg{Code: 'e', Text: "e"})
	waitFor("6/8", "Client Secret Key")
	s.tm.Send(tea.KeyPressMsg{Code: 'u', Mod: tea.ModCtrl})
	s.tm.Type(realm.ClientSecret)
	s.tm.Send(enter())
	waitFor("7/8", "Review")
	s.tm.Send(enter())
	waitFor("Keycloak is connected.")
	s.tm.Send(enter()) // started as `latchkey setup`: the done screen ends the program

	final := ansi.Strip(s.tm.FinalModel(t, teatest.WithFinalTimeout(10*time.Second)).(Model).View().Content)
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
