package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

func TestSaveSettingsChecksKeycloakLive(t *testing.T) {
	e := newEnv(t)
	e.configure(t)
	good := e.goodSettings()
	wrongSecret := "not-the-secret"
	tests := []struct {
		name   string
		change func(*api.AuthSettingsUpdate)
		failed string // the one check that must fail
	}{
		{"wrong secret", func(u *api.AuthSettingsUpdate) { u.ClientSecret = &wrongSecret }, auth.IDClientSecret},
		{"wrong realm", func(u *api.AuthSettingsUpdate) { u.Realm = strings.ToUpper(u.Realm) }, auth.IDRealm},
		{"unreachable url", func(u *api.AuthSettingsUpdate) { u.URL = "http://" + closedPort(t) }, auth.IDConnect},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			bad := good
			tt.change(&bad)
			_, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, bad)
			se := statusErr(t, err)
			if se.Status != http.StatusUnprocessableEntity {
				t.Fatalf("status %d, want 422", se.Status)
			}
			if diff := cmp.Diff(map[string]auth.Status{tt.failed: auth.StatusFail}, problems(se.Body.Findings)); diff != "" {
				t.Errorf("failed and warned checks (-want +got):\n%s", diff)
			}
			for _, f := range se.Body.Findings {
				if f.Status == auth.StatusFail && f.Fix == "" {
					t.Errorf("failed check %s has no fix", f.ID)
				}
			}
			got, err := e.API.AuthSettings(t.Context(), e.AdminToken)
			if err != nil {
				t.Fatal(err)
			}
			want := api.AuthSettings{Enabled: true, URL: good.URL, Realm: good.Realm, ClientID: good.ClientID, ClientSecretSet: true, PublicURL: e.URL}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("the previous settings did not stay in force (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSaveSettingsSuccess(t *testing.T) {
	e := newEnv(t)
	good := e.goodSettings()
	good.URL += "/" // a trailing slash is fine
	saved, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, good)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]auth.Status{}, problems(saved.Findings)); diff != "" {
		t.Errorf("a correct configuration has failed or warned checks (-want +got):\n%s", diff)
	}
	if len(saved.Findings) != len(auth.Checks) {
		t.Errorf("%d findings, want one per check (%d)", len(saved.Findings), len(auth.Checks))
	}
	if saved.Settings.URL != e.KC.URL || !saved.Settings.ClientSecretSet {
		t.Errorf("saved settings %+v", saved.Settings)
	}
	// Omitting the secret keeps the stored one, and the checks still pass.
	keep := e.goodSettings()
	keep.ClientSecret = nil
	if _, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, keep); err != nil {
		t.Errorf("save without secret: %v", err)
	}
	if strings.Contains(e.Logs.String(), e.Realm.ClientSecret) {
		t.Error("the client secret appears in the server log")
	}
}

func TestSettingsAPIRequiresAdminToken(t *testing.T) {
	e := newEnv(t)
	for _, token := range []auth.Secret{"", "lka_wrong-token-1234567890"} {
		_, err := e.API.AuthSettings(t.Context(), token)
		if !api.IsStatus(err, http.StatusUnauthorized) {
			t.Errorf("token %q: %v, want 401", token.Reveal(), err)
		}
	}
}

func TestSettingsAPIRejectsBadFields(t *testing.T) {
	e := newEnv(t)
	bad := e.goodSettings()
	bad.URL = "sso.example.com"
	_, err := e.API.UpdateAuthSettings(t.Context(), e.AdminToken, bad)
	se := statusErr(t, err)
	if se.Status != http.StatusUnprocessableEntity || se.Body.Error != "invalid url" {
		t.Errorf("got %d %+v, want 422 invalid url", se.Status, se.Body)
	}
}

// The Auth page under Settings, as an administrator uses it.
func TestAuthSettingsPage(t *testing.T) {
	e := newEnv(t)
	b := e.adminBrowser(t)
	p := b.get(e.URL + "/admin/settings/auth")
	for _, label := range []string{">Auth<", ">Keycloak<", "Use Keycloak", "Server Url", "Realm Name", "Client ID", "Client Secret Key", "Save Settings", ">Settings<", auth.RedirectURIPattern(mustURL(t, e.URL))} {
		if !strings.Contains(p.Body, label) {
			t.Errorf("Auth page lacks %q", label)
		}
	}
	form := url.Values{"enabled": {"on"}, "url": {e.KC.URL}, "realm": {e.Realm.Name}, "client_id": {e.Realm.ClientID}, "client_secret": {"wrong-secret"}}
	p = b.post(e.URL+"/admin/settings/auth", form)
	if p.Status != http.StatusUnprocessableEntity || !strings.Contains(p.Body, "Nothing was saved") || !strings.Contains(p.Body, "Credentials") || !strings.Contains(p.Body, "The secret you typed was not saved") {
		t.Errorf("wrong secret: status %d, page:\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, "wrong-secret") {
		t.Error("the page echoes the typed secret")
	}
	form.Set("client_secret", e.Realm.ClientSecret)
	p = b.post(e.URL+"/admin/settings/auth", form)
	if p.Status != http.StatusOK || !strings.Contains(p.Body, "Settings saved") {
		t.Fatalf("good settings: status %d, page:\n%s", p.Status, p.Body)
	}
	if strings.Contains(p.Body, e.Realm.ClientSecret) {
		t.Error("the Auth page shows the stored secret")
	}
	if !strings.Contains(p.Body, "set: leave empty to keep it") {
		t.Error("the Auth page does not say a secret is set")
	}
	form.Del("client_secret") // an empty field keeps the secret
	if p = b.post(e.URL+"/admin/settings/auth", form); !strings.Contains(p.Body, "Settings saved") {
		t.Errorf("save with empty secret field: status %d", p.Status)
	}
}

func TestKeycloakPresetAtStart(t *testing.T) {
	e := newEnv(t)
	good := e.goodSettings()
	preset := auth.Settings{URL: good.URL, Realm: "no-such-realm", ClientID: good.ClientID, ClientSecret: auth.Secret(*good.ClientSecret)}
	if err := e.srv.ApplyPreset(t.Context(), preset); err == nil {
		t.Fatal("a preset with a wrong realm was applied")
	}
	if got, err := e.API.AuthSettings(t.Context(), e.AdminToken); err != nil || got.URL != "" {
		t.Fatalf("after the bad preset: %+v, %v; want nothing saved and the API working", got, err)
	}
	if !strings.Contains(e.Logs.String(), "keycloak preset not applied") {
		t.Error("the failed preset was not logged")
	}
	preset.Realm = good.Realm
	if err := e.srv.ApplyPreset(t.Context(), preset); err != nil {
		t.Fatalf("good preset: %v", err)
	}
	if got, _ := e.API.AuthSettings(t.Context(), e.AdminToken); got.Realm != good.Realm || !got.Enabled {
		t.Errorf("after the good preset: %+v", got)
	}
}

func mustURL(t *testing.T, raw string) *url.URL {
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestCheckSettingsSavesNothing(t *testing.T) {
	e := newEnv(t)
	bad := e.goodSettings()
	bad.Realm = "No-Such-Realm"
	report, err := e.API.CheckAuthSettings(t.Context(), e.AdminToken, &bad)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]auth.Status{auth.IDRealm: auth.StatusFail}, problems(report.Findings)); diff != "" || report.Status != auth.StatusFail {
		t.Errorf("check of a wrong realm: status %s, problems (-want +got):\n%s", report.Status, diff)
	}
	good := e.goodSettings()
	if report, err = e.API.CheckAuthSettings(t.Context(), e.AdminToken, &good); err != nil || report.Status != auth.StatusOK {
		t.Errorf("check of the good settings: %v, %+v", err, problems(report.Findings))
	}
	if got, _ := e.API.AuthSettings(t.Context(), e.AdminToken); got.URL != "" || got.ClientSecretSet {
		t.Errorf("checking saved settings: %+v", got)
	}
}
