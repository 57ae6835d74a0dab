package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/auth"
)

func TestPluginLoginKeys(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	b := newBrowser(t)
	key := pluginKey(t, e.signIn(t, b, "alice")).Reveal()
	flipped := []byte(key)
	flipped[10] ^= 1 // breaks the checksum
	tests := []struct {
		name string
		key  string
		ok   bool
	}{
		{"good key", key, true},
		{"missing key", "", false},
		{"bad checksum", string(flipped), false},
		{"well-formed unknown key", auth.NewPluginKey().Reveal(), false},
		{"not a key at all", "sk-123", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			status, body := e.pluginLogin(t, tt.key)
			assertPluginAnswer(t, status, body, tt.ok, "alice@example.com")
		})
	}

	// Rotated by its owner: the old key stops at once, the new one works.
	p := b.post(e.URL+"/profile/plugin-key", nil)
	rotated := pluginKey(t, p).Reveal()
	if rotated == key || !strings.Contains(p.Body, "You have a new plugin key") {
		t.Fatalf("rotation did not show a new key")
	}
	status, body := e.pluginLogin(t, key)
	assertPluginAnswer(t, status, body, false, "")
	status, body = e.pluginLogin(t, rotated)
	assertPluginAnswer(t, status, body, true, "alice@example.com")

	// Revoked by an administrator.
	page, err := e.API.Users(t.Context(), e.AdminToken, "alice", 0, 10)
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("find alice: %v, %+v", err, page)
	}
	if _, err := e.API.RevokeUserKey(t.Context(), e.AdminToken, page.Users[0].ID); err != nil {
		t.Fatal(err)
	}
	status, body = e.pluginLogin(t, rotated)
	assertPluginAnswer(t, status, body, false, "")
	if p := b.get(e.URL + "/"); !strings.Contains(p.Body, "Your key was revoked") {
		t.Errorf("the profile does not say the key was revoked:\n%s", p.Body)
	}
	// The owner can create a new key afterwards.
	if fresh := pluginKey(t, b.post(e.URL+"/profile/plugin-key", url.Values{})); fresh.Reveal() == rotated {
		t.Error("no new key after revocation")
	}
}

func assertPluginAnswer(t *testing.T, status int, body map[string]any, ok bool, account string) {
	t.Helper()
	if ok {
		if status != http.StatusOK || body["retcode"] != "OK" || body["account"] != account {
			t.Errorf("got %d %v, want 200 retcode OK for %s", status, body, account)
		}
		return
	}
	if status != http.StatusUnauthorized || body["retcode"] != "FAILED" || body["detail"] == nil || body["human_readable_message"] == nil {
		t.Errorf("got %d %v, want 401 in Refact's FAILED shape", status, body)
	}
}

func TestMeNeverEchoesTheKeyToAPluginKey(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	key := pluginKey(t, e.signIn(t, newBrowser(t), "carol"))
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, e.URL+"/api/v1/me", nil)
	req.Header.Set("Authorization", "Bearer "+key.Reveal())
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	p := readPage(t, resp)
	if p.Status != http.StatusOK || strings.Contains(p.Body, key.Reveal()) || strings.Contains(p.Body, "plugin_api_key") {
		t.Errorf("/api/v1/me with a plugin key: %d %s", p.Status, p.Body)
	}
}
