package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/servertest"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

// withGateway puts upstream behind the server's gateway paths.
func withGateway(t *testing.T, upstream string) envOption {
	u, err := url.Parse(upstream)
	if err != nil {
		t.Fatal(err)
	}
	return withServerConfig(func(c *server.Config) { c.Gateway = server.GatewayConfig{Upstream: u, UpstreamKey: upstreamKey} })
}

// sdkStatus is the HTTP status of a chat completion through the gateway
// with key (200 when it succeeds).
func sdkStatus(t *testing.T, baseURL string, key auth.Secret) int {
	t.Helper()
	client := openAI(baseURL, key)
	_, err := client.Chat.Completions.New(t.Context(), chatParams())
	var apiErr *openai.Error
	switch {
	case err == nil:
		return http.StatusOK
	case errors.As(err, &apiErr):
		return apiErr.StatusCode
	}
	t.Fatalf("chat completion: %v", err)
	return 0
}

func verifyStatus(t *testing.T, baseURL string, key auth.Secret) int {
	t.Helper()
	resp, _ := do(t, http.MethodGet, baseURL+"/api/v1/auth/verify", key, "", nil)
	return resp.StatusCode
}

// TestGatewayKeyLifecycle rotates and revokes a key that was just used (so
// it is in the cache): the old key must stop at once, on every route that
// checks keys.
func TestGatewayKeyLifecycle(t *testing.T) {
	up := newTestUpstream(t)
	e := newEnv(t, withGateway(t, up.URL))
	e.configure(t)
	b := newBrowser(t)
	key := pluginKey(t, e.signIn(t, b, "dave"))

	if got := sdkStatus(t, e.URL, key); got != http.StatusOK {
		t.Fatalf("a fresh key through the gateway: %d", got)
	}
	// dave has no email: his account is his username; his one group is his team.
	assertPrincipal(t, up.seen(t), key, "dave", "frontend")

	// Rotated by its owner on the profile page.
	rotated := pluginKey(t, b.post(e.URL+"/profile/plugin-key", nil))
	for name, status := range map[string]int{
		"gateway, old key": sdkStatus(t, e.URL, key), "verify, old key": verifyStatus(t, e.URL, key),
		"gateway, new key": sdkStatus(t, e.URL, rotated), "verify, new key": verifyStatus(t, e.URL, rotated),
	} {
		want := http.StatusOK
		if name == "gateway, old key" || name == "verify, old key" {
			want = http.StatusUnauthorized
		}
		if status != want {
			t.Errorf("after rotation, %s: %d; want %d", name, status, want)
		}
	}
	up.seen(t)

	// Revoked by an administrator, right after a successful (cached) use.
	page, err := e.API.Users(t.Context(), e.AdminToken, "dave", 0, 10)
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("find dave: %v, %+v", err, page)
	}
	if got := verifyStatus(t, e.URL, rotated); got != http.StatusOK {
		t.Fatalf("verify before revocation: %d", got)
	}
	if _, err := e.API.RevokeUserKey(t.Context(), e.AdminToken, page.Users[0].ID); err != nil {
		t.Fatal(err)
	}
	if got := sdkStatus(t, e.URL, rotated); got != http.StatusUnauthorized {
		t.Errorf("gateway right after revocation: %d; want 401", got)
	}
	if got := verifyStatus(t, e.URL, rotated); got != http.StatusUnauthorized {
		t.Errorf("verify right after revocation: %d; want 401", got)
	}
	status, body := e.pluginLogin(t, rotated.Reveal())
	assertPluginAnswer(t, status, body, false, "")
	up.assertNoRequest(t)
}

// TestGatewayTeamChangeAppliesAtOnce changes a cached principal's team.
func TestGatewayTeamChangeAppliesAtOnce(t *testing.T) {
	up := newTestUpstream(t)
	e := newEnv(t, withGateway(t, up.URL))
	e.configure(t)
	key := pluginKey(t, e.signIn(t, newBrowser(t), "bob"))
	if got := sdkStatus(t, e.URL, key); got != http.StatusOK {
		t.Fatal(got)
	}
	assertPrincipal(t, up.seen(t), key, "bob@example.com", "backend")
	page, err := e.API.Users(t.Context(), e.AdminToken, "bob", 0, 10)
	if err != nil || len(page.Users) != 1 {
		t.Fatalf("find bob: %v, %+v", err, page)
	}
	if _, err := e.API.SetUserTeam(t.Context(), e.AdminToken, page.Users[0].ID, "platform"); err != nil {
		t.Fatal(err)
	}
	if got := sdkStatus(t, e.URL, key); got != http.StatusOK {
		t.Fatal(got)
	}
	assertPrincipal(t, up.seen(t), key, "bob@example.com", "platform")
}

// TestGatewayRefusesDisabledUser disables a user in Keycloak: their key is
// refused once latchkey's word on them is older than UserCheckInterval
// (the test moves the clock instead of waiting), and works again after
// they are enabled again.
func TestGatewayRefusesDisabledUser(t *testing.T) {
	clock := newTestClock()
	const interval = time.Minute
	up := newTestUpstream(t)
	e := newEnv(t, withClock(clock.Now), withGateway(t, up.URL), withServerConfig(func(c *server.Config) { c.UserCheckInterval = interval }))
	e.configure(t)
	username, password := "gw-"+auth.NewToken("")[:8].Reveal(), "Pw-"+auth.NewToken("").Reveal()
	id := e.createKeycloakUser(t, username, password)
	b := newBrowser(t)
	login := b.get(e.URL + "/login/keycloak")
	key := pluginKey(t, b.keycloakForm(login, username, password))

	setEnabled := func(enabled bool) {
		t.Helper()
		if err := e.KC.Admin(t.Context(), http.MethodPut, "/admin/realms/"+e.Realm.Name+"/users/"+id, map[string]any{"enabled": enabled}, nil); err != nil {
			t.Fatalf("set enabled=%t in keycloak: %v", enabled, err)
		}
	}
	steps := []struct {
		name    string
		change  func()
		advance time.Duration
		want    int
	}{
		{"enabled", func() {}, 0, http.StatusOK},
		{"disabled, within the interval", func() { setEnabled(false) }, interval / 4, http.StatusOK},
		{"disabled, interval passed", func() {}, interval, http.StatusUnauthorized},
		{"enabled again, interval passed", func() { setEnabled(true) }, interval + time.Second, http.StatusOK},
	}
	for _, st := range steps {
		st.change()
		clock.Advance(st.advance)
		if got := verifyStatus(t, e.URL, key); got != st.want {
			t.Errorf("%s: verify %d; want %d", st.name, got, st.want)
		}
		if got := sdkStatus(t, e.URL, key); got != st.want {
			t.Errorf("%s: gateway %d; want %d", st.name, got, st.want)
		}
	}
}

// createKeycloakUser adds a user of this test's own to the shared realm
// (disabling a realm user would disturb tests that run alongside) and
// deletes it at the end; it returns the user's ID.
func (e *env) createKeycloakUser(t *testing.T, username, password string) string {
	t.Helper()
	path := "/admin/realms/" + e.Realm.Name + "/users"
	user := map[string]any{
		"username": username, "enabled": true, "email": username + "@example.com", "emailVerified": true,
		"firstName": "Gateway", "lastName": "Test",
		"credentials": []map[string]any{{"type": "password", "value": password, "temporary": false}},
	}
	if err := e.KC.Admin(t.Context(), http.MethodPost, path, user, nil); err != nil {
		t.Fatalf("create keycloak user: %v", err)
	}
	var found []struct {
		ID string `json:"id"`
	}
	if err := e.KC.Admin(t.Context(), http.MethodGet, path+"?exact=true&username="+url.QueryEscape(username), nil, &found); err != nil || len(found) != 1 {
		t.Fatalf("find keycloak user: %v, %v", err, found)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if err := e.KC.Admin(ctx, http.MethodDelete, path+"/"+found[0].ID, nil, nil); err != nil {
			t.Errorf("delete keycloak user: %v", err)
		}
	})
	return found[0].ID
}

// touchRecorder passes on every write of a key's last use to the test.
type touchRecorder struct {
	*store.Store
	touches chan time.Time
}

func (r touchRecorder) TouchPluginKey(ctx context.Context, hash []byte, at time.Time) error {
	err := r.Store.TouchPluginKey(ctx, hash, at)
	r.touches <- at
	return err
}

func TestKeyLastUseWrittenOncePerFiveMinutes(t *testing.T) {
	clock := newTestClock()
	touches := make(chan time.Time, 16)
	e := newGatewayEnv(t, "", func(o *servertest.Options) {
		o.Now = clock.Now
		o.WrapStore = func(st *store.Store) server.Store { return touchRecorder{Store: st, touches: touches} }
	})
	start := clock.Now()
	for range 5 {
		if got := verifyStatus(t, e.URL, e.Key); got != http.StatusOK {
			t.Fatal(got)
		}
	}
	select {
	case at := <-touches:
		if !at.Equal(start) {
			t.Errorf("first use written as %v; want %v", at, start)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the first use was never written")
	}
	clock.Advance(5*time.Minute - time.Second) // the cache entry expired; the database has the last use
	verifyStatus(t, e.URL, e.Key)
	clock.Advance(time.Second)
	verifyStatus(t, e.URL, e.Key)
	verifyStatus(t, e.URL, e.Key)
	e.stop() // writes what is still queued
	close(touches)
	var got []time.Duration
	for at := range touches {
		got = append(got, at.Sub(start))
	}
	if len(got) != 1 || got[0] != 5*time.Minute {
		t.Errorf("later writes at %v after the first; want exactly one, at 5m0s", got)
	}
	check, err := e.Store.PluginKeyCheck(t.Context(), auth.HashToken(e.Key.Reveal()))
	if err != nil {
		t.Fatal(err)
	}
	if want := start.Add(5 * time.Minute).Truncate(time.Second); !check.LastUsedAt.Equal(want) {
		t.Errorf("stored last use %v; want %v", check.LastUsedAt, want)
	}
}
