package tui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// Test fakes for the model tests. They stand in for the OS keyring, the
// server's OAuth endpoints and the loopback listener; the server's API is
// fakeLatchkey, a real HTTP server (httptest) with canned answers.

// fakeSecrets is an in-memory Secrets.
type fakeSecrets struct {
	mu              sync.Mutex
	items           map[string]auth.Secret // server + " " + item
	backend, reason string                 // "" is the keyring
}

func newFakeSecrets() *fakeSecrets { return &fakeSecrets{items: map[string]auth.Secret{}} }

func (f *fakeSecrets) Get(_ context.Context, server, item string) (auth.Secret, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[server+" "+item]
	if !ok {
		return "", fmt.Errorf("%s for %s: %w", item, server, credentials.ErrNotFound)
	}
	return v, nil
}

func (f *fakeSecrets) Set(_ context.Context, server, item string, v auth.Secret) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items[server+" "+item] = v
	return nil
}

func (f *fakeSecrets) Delete(_ context.Context, server, item string) (bool, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, ok := f.items[server+" "+item]
	delete(f.items, server+" "+item)
	return ok, nil
}

func (f *fakeSecrets) Backend() string {
	if f.backend == "" {
		return "keyring"
	}
	return f.backend
}

func (f *fakeSecrets) Reason() string { return f.reason }

// fakeOAuth is the server's OAuth side: any code redeems, and one password
// is right.
type fakeOAuth struct {
	mu        sync.Mutex
	password  string   // the right password
	passwords []string // every password tried
	codes     []string // every code redeemed
}

func (f *fakeOAuth) AuthCodeURL(redirectURI, state, verifier string) string {
	q := url.Values{
		"client_id": {auth.CLIClientID}, "redirect_uri": {redirectURI}, "state": {state},
		"code_challenge": {oauth2.S256ChallengeFromVerifier(verifier)}, "code_challenge_method": {"S256"},
		"response_type": {"code"},
	}
	return "http://latchkey.test/oauth/authorize?" + q.Encode()
}

func (f *fakeOAuth) tokens() auth.CLITokens {
	return auth.CLITokens{Access: "access", Refresh: "refresh", Expiry: time.Now().Add(time.Hour)}
}

func (f *fakeOAuth) Exchange(_ context.Context, code, _, _ string) (auth.CLITokens, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.codes = append(f.codes, code)
	return f.tokens(), nil
}

func (f *fakeOAuth) Password(_ context.Context, _ string, password auth.Secret) (auth.CLITokens, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.passwords = append(f.passwords, password.Reveal())
	if password.Reveal() != f.password {
		return auth.CLITokens{}, fmt.Errorf("password sign-in: %w", &oauth2.RetrieveError{
			ErrorCode: "invalid_grant", ErrorDescription: "wrong username or password, or the account is disabled"})
	}
	return f.tokens(), nil
}

func (f *fakeOAuth) Refresh(context.Context, auth.Secret) (auth.CLITokens, error) {
	return auth.CLITokens{}, auth.ErrLoginRequired
}

func (f *fakeOAuth) Revoke(context.Context, auth.Secret) error { return nil }

// fakeReceiver is a loopback receiver whose browser the test plays: answers
// sends what Wait returns.
type fakeReceiver struct {
	answers chan receiverAnswer
	mu      sync.Mutex
	closed  chan struct{}
	once    sync.Once
	closes  int
}

type receiverAnswer struct {
	code string
	err  error
}

func newFakeReceiver() *fakeReceiver {
	return &fakeReceiver{answers: make(chan receiverAnswer, 1), closed: make(chan struct{})}
}

func (f *fakeReceiver) RedirectURI() string {
	return "http://127.0.0.1:49152/callback/unguessable"
}

func (f *fakeReceiver) Wait(ctx context.Context) (string, error) {
	select {
	case r := <-f.answers:
		return r.code, r.err
	case <-ctx.Done():
		return "", ctx.Err()
	case <-f.closed:
		return "", auth.ErrLoopbackClosed
	}
}

func (f *fakeReceiver) Close() error {
	f.mu.Lock()
	f.closes++
	f.mu.Unlock()
	f.once.Do(func() { close(f.closed) })
	return nil
}

func (f *fakeReceiver) closeCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.closes
}

// refused is the error of a call to a port nobody listens on.
func refused(hostPort string) error {
	return &url.Error{Op: "Get", URL: "http://" + hostPort + "/healthz", Err: errors.New("dial tcp " + hostPort + ": connect: connection refused")}
}

// testSession is a session at server, its config and lock file in a
// temporary directory, calling the API through client.
func testSession(t *testing.T, server string, secrets Secrets, client *api.Client) *Session {
	t.Helper()
	dir := t.TempDir()
	cfg, err := LoadConfig(filepath.Join(dir, "config.json"))
	if err != nil {
		t.Fatal(err)
	}
	return &Session{
		Server: server, Secrets: secrets, API: client, Config: cfg,
		LockFile: filepath.Join(dir, "refresh.lock"), Now: time.Now,
	}
}

// adminDeps are the dependencies of a screen talking to the server at
// serverURL, with secrets in the fake keyring.
func adminDeps(t *testing.T, serverURL string, secrets *fakeSecrets) Deps {
	t.Helper()
	return Deps{Session: testSession(t, serverURL, secrets, api.NewClient(serverURL, &http.Client{Timeout: 10 * time.Second}))}
}

// loginFixture is a session at a fake server, and the loopback receivers
// and browser openings the login screen asks for.
type loginFixture struct {
	deps      Deps
	oauth     *fakeOAuth
	api       *fakeLatchkey
	mu        sync.Mutex
	receivers []*fakeReceiver
	opened    []string
}

func newLoginFixture(t *testing.T) *loginFixture {
	t.Helper()
	srv, srvURL := newFakeLatchkey(t)
	srv.me = api.Me{
		Account: "dave", Username: "dave", Team: "frontend", Teams: []string{"frontend"},
		Endpoint: "http://latchkey.test", PluginAPIKey: auth.NewPluginKey().Reveal(),
	}
	f := &loginFixture{oauth: &fakeOAuth{password: "dave-test"}, api: srv}
	session := testSession(t, "http://latchkey.test", newFakeSecrets(), api.NewClient(srvURL, &http.Client{Timeout: 10 * time.Second}))
	session.OAuth = f.oauth
	f.deps = Deps{
		Session: session,
		OpenURL: func(u string) (bool, string) {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.opened = append(f.opened, u)
			return true, "opened with xdg-open"
		},
		Listen: func(string) (Receiver, error) {
			r := newFakeReceiver()
			f.mu.Lock()
			f.receivers = append(f.receivers, r)
			f.mu.Unlock()
			t.Cleanup(func() { r.Close() })
			return r, nil
		},
	}
	return f
}

// signIn stores tokens, as a finished sign-in does.
func (f *loginFixture) signIn(t *testing.T) {
	t.Helper()
	if err := f.deps.Session.Save(t.Context(), f.oauth.tokens()); err != nil {
		t.Fatal(err)
	}
}

func (f *loginFixture) receiver(t *testing.T, i int) *fakeReceiver {
	t.Helper()
	f.mu.Lock()
	defer f.mu.Unlock()
	if i >= len(f.receivers) {
		t.Fatalf("%d loopback receivers started, want at least %d", len(f.receivers), i+1)
	}
	return f.receivers[i]
}

func (f *loginFixture) openCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return len(f.opened)
}
