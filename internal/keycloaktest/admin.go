package keycloaktest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"sync"
	"time"
)

// adminToken caches the master admin's access token; Keycloak issues it for 60 s by default, and
// asking for one per call would double the number of requests a test makes.
type adminToken struct {
	mu      sync.Mutex
	value   string
	expires time.Time
}

// statusError is a non-2xx answer from Keycloak.
type statusError struct {
	method, path string
	code         int
	body         string
}

func (e *statusError) Error() string {
	return fmt.Sprintf("%s %s: %d %s: %s", e.method, e.path, e.code, http.StatusText(e.code), e.body)
}

// Admin calls the Admin REST API as the master realm's bootstrap admin. path is relative to URL,
// e.g. "/admin/realms/acme-test/users". body, when not nil, is sent as JSON ([]byte is taken to be
// JSON already and sent as it is); out, when not nil, receives the JSON answer. A non-2xx answer is an error
// that carries the status and the body.
func (i *Instance) Admin(ctx context.Context, method, path string, body, out any) error {
	token, err := i.adminAccessToken(ctx)
	if err != nil {
		return err
	}
	var payload io.Reader
	switch b := body.(type) {
	case nil:
	case []byte:
		payload = bytes.NewReader(b)
	default:
		enc, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("encode body of %s %s: %w", method, path, err)
		}
		payload = bytes.NewReader(enc)
	}
	req, err := http.NewRequestWithContext(ctx, method, i.URL+path, payload)
	if err != nil {
		return fmt.Errorf("build request %s %s: %w", method, path, err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	req.Header.Set("Accept", "application/json")
	if payload != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return i.do(req, out)
}

// do sends req and decodes a 2xx JSON answer into out.
func (i *Instance) do(req *http.Request, out any) error {
	resp, err := i.httpClient().Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return fmt.Errorf("read answer of %s %s: %w", req.Method, req.URL.Path, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return &statusError{method: req.Method, path: req.URL.Path, code: resp.StatusCode, body: strings.TrimSpace(string(b))}
	}
	if out == nil || len(b) == 0 {
		return nil
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("decode answer of %s %s: %w", req.Method, req.URL.Path, err)
	}
	return nil
}

// adminAccessToken returns a master-realm token for admin-cli, reusing the cached one while it has
// more than 10 s left.
func (i *Instance) adminAccessToken(ctx context.Context) (string, error) {
	i.token.mu.Lock()
	defer i.token.mu.Unlock()
	if i.token.value != "" && time.Until(i.token.expires) > 10*time.Second {
		return i.token.value, nil
	}
	form := url.Values{
		"grant_type": {"password"},
		"client_id":  {"admin-cli"},
		"username":   {i.AdminUser},
		"password":   {i.AdminPassword},
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost,
		i.URL+"/realms/master/protocol/openid-connect/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", fmt.Errorf("build admin token request: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	var tok struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int    `json:"expires_in"`
	}
	if err := i.do(req, &tok); err != nil {
		return "", fmt.Errorf("get keycloak admin token: %w", err)
	}
	i.token.value = tok.AccessToken
	i.token.expires = time.Now().Add(time.Duration(tok.ExpiresIn) * time.Second)
	return tok.AccessToken, nil
}

// ImportRealm creates the realm described by the JSON file at path (a realm that exists already
// counts as imported, so several test packages can share one instance) and waits until the realm's
// discovery document answers.
func (i *Instance) ImportRealm(ctx context.Context, path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Errorf("read realm file: %w", err)
	}
	var head struct {
		Realm string `json:"realm"`
	}
	if err := json.Unmarshal(b, &head); err != nil || head.Realm == "" {
		return fmt.Errorf("realm file %s has no realm name: %v", path, err)
	}
	var se *statusError
	if err := i.Admin(ctx, http.MethodPost, "/admin/realms", b, nil); err != nil &&
		!(errors.As(err, &se) && se.code == http.StatusConflict) {
		return fmt.Errorf("import realm %s: %w", head.Realm, err)
	}
	return i.waitRealm(ctx, head.Realm)
}

// waitRealm polls the realm's discovery document for up to 30 s.
func (i *Instance) waitRealm(ctx context.Context, realm string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for !i.discoveryOK(ctx, realm) {
		select {
		case <-ctx.Done():
			return fmt.Errorf("wait for realm %s discovery document: %w", realm, ctx.Err())
		case <-tick.C:
		}
	}
	return nil
}

// discoveryOK reports whether the realm's OpenID discovery document answers 200.
func (i *Instance) discoveryOK(ctx context.Context, realm string) bool {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet,
		i.URL+"/realms/"+url.PathEscape(realm)+"/.well-known/openid-configuration", nil)
	if err != nil {
		return false
	}
	resp, err := i.httpClient().Do(req)
	if err != nil {
		return false
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func (i *Instance) httpClient() *http.Client {
	if i.client != nil {
		return i.client
	}
	return http.DefaultClient
}
