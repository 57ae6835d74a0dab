package keycloaktest

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/internal/procgroup"
)

const testRealmFile = "testdata/keycloak/test-realm.json"

func TestMain(m *testing.M) { os.Exit(Main(m, testRealmFile)) }

// TestRealmAsTheGuideSays checks the imported test realm against what latchkey relies on.
func TestRealmAsTheGuideSays(t *testing.T) {
	kc := FromEnv(t)
	realm, err := LoadRealm(RepoFile(t, testRealmFile))
	if err != nil {
		t.Fatal(err)
	}
	realmURL := kc.URL + "/realms/" + realm.Name

	t.Run("discovery issuer", func(t *testing.T) {
		var doc struct {
			Issuer string `json:"issuer"`
		}
		getJSON(t, realmURL+"/.well-known/openid-configuration", "", &doc)
		if want := kc.URL + "/realms/" + realm.Name; doc.Issuer != want {
			t.Errorf("issuer = %q, want %q", doc.Issuer, want)
		}
	})

	t.Run("service account can count users", func(t *testing.T) {
		tok := token(t, realmURL, url.Values{
			"grant_type":    {"client_credentials"},
			"client_id":     {realm.ClientID},
			"client_secret": {realm.ClientSecret},
		})
		var count int
		getJSON(t, kc.URL+"/admin/realms/"+realm.Name+"/users/count", tok, &count)
		if count < len(realm.Users) {
			t.Errorf("users/count = %d, want at least the %d fixture users", count, len(realm.Users))
		}
	})

	t.Run("client has no protocol mappers", func(t *testing.T) {
		var clients []struct {
			ProtocolMappers []json.RawMessage `json:"protocolMappers"`
		}
		if err := kc.Admin(t.Context(), http.MethodGet, "/admin/realms/"+realm.Name+"/clients?clientId="+realm.ClientID, nil, &clients); err != nil {
			t.Fatal(err)
		}
		if len(clients) != 1 || len(clients[0].ProtocolMappers) != 0 {
			t.Errorf("client %s: got %d clients, mappers %v; want one client without mappers", realm.ClientID, len(clients), clients)
		}
	})

	t.Run("default required actions, verify profile off", func(t *testing.T) {
		var actions []struct {
			Alias   string `json:"alias"`
			Enabled bool   `json:"enabled"`
		}
		if err := kc.Admin(t.Context(), http.MethodGet, "/admin/realms/"+realm.Name+"/authentication/required-actions", nil, &actions); err != nil {
			t.Fatal(err)
		}
		got := map[string]bool{}
		for _, a := range actions {
			got[a.Alias] = a.Enabled
		}
		// A realm file that lists requiredActions replaces Keycloak's defaults, so the file lists
		// them all; spot-check one that an administrator would use.
		want := map[string]bool{"VERIFY_PROFILE": false, "UPDATE_PASSWORD": true, "VERIFY_EMAIL": true}
		for alias, enabled := range want {
			if e, ok := got[alias]; !ok || e != enabled {
				t.Errorf("required action %s: present %v, enabled %v; want enabled %v", alias, ok, e, enabled)
			}
		}
	})

	for _, u := range realm.Users {
		t.Run("password grant and groups of "+u.Username, func(t *testing.T) {
			token(t, realmURL, url.Values{
				"grant_type":    {"password"},
				"client_id":     {realm.ClientID},
				"client_secret": {realm.ClientSecret},
				"username":      {u.Username},
				"password":      {u.Password},
				"scope":         {"openid"},
			})
			if diff := cmp.Diff(u.Groups, userGroups(t, kc, realm.Name, u.Username)); diff != "" {
				t.Errorf("groups of %s (-file +keycloak):\n%s", u.Username, diff)
			}
		})
	}
}

// TestStop starts a second instance and checks that Stop leaves no process of its group and frees
// its port.
func TestStop(t *testing.T) {
	kc, err := Start(t.Context(), Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kc.Stop() })
	pgid := kc.proc.Pgid
	if !procgroup.Alive(pgid) {
		t.Fatalf("process group %d is not running", pgid)
	}
	start := time.Now()
	if err := kc.Stop(); err != nil {
		t.Fatal(err)
	}
	t.Logf("Stop took %s", time.Since(start).Round(time.Millisecond))
	if err := syscall.Kill(-pgid, 0); !errors.Is(err, syscall.ESRCH) {
		t.Errorf("kill(-%d, 0) = %v after Stop, want ESRCH", pgid, err)
	}
	conn, err := net.DialTimeout("tcp", strings.TrimPrefix(kc.URL, "http://"), time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("%s still accepts connections after Stop", kc.URL)
	}
	if err := kc.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}

// token runs a grant at the realm's token endpoint and returns the access token.
func token(t *testing.T, realmURL string, form url.Values) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost,
		realmURL+"/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	send(t, req, &tok)
	if tok.AccessToken == "" {
		t.Fatalf("%s grant: no access token", form.Get("grant_type"))
	}
	return tok.AccessToken
}

func getJSON(t *testing.T, u, bearer string, out any) {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, u, nil)
	if err != nil {
		t.Fatal(err)
	}
	if bearer != "" {
		req.Header.Set("Authorization", "Bearer "+bearer)
	}
	send(t, req, out)
}

func send(t *testing.T, req *http.Request, out any) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s %s: %s: %s", req.Method, req.URL, resp.Status, b)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatalf("%s %s: decode: %v", req.Method, req.URL, err)
	}
}

// userGroups reads a user's group names through the Admin API, the way latchkey finds teams.
func userGroups(t *testing.T, kc *Instance, realm, username string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	var users []struct {
		ID string `json:"id"`
	}
	if err := kc.Admin(ctx, http.MethodGet, "/admin/realms/"+realm+"/users?exact=true&username="+url.QueryEscape(username), nil, &users); err != nil {
		t.Fatal(err)
	}
	if len(users) != 1 {
		t.Fatalf("user %s: found %d", username, len(users))
	}
	var groups []struct {
		Name string `json:"name"`
	}
	if err := kc.Admin(ctx, http.MethodGet, "/admin/realms/"+realm+"/users/"+users[0].ID+"/groups", nil, &groups); err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, g := range groups {
		names = append(names, g.Name)
	}
	return names
}
