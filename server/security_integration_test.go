package server_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

func TestAdminLoginRateLimit(t *testing.T) {
	e := newEnv(t)
	b := newBrowser(t)
	for i := range 5 {
		if p := b.post(e.URL+"/admin/login", url.Values{"token": {"wrong-token"}}); p.Status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, p.Status)
		}
	}
	p := b.post(e.URL+"/admin/login", url.Values{"token": {e.AdminToken.Reveal()}})
	if p.Status != http.StatusTooManyRequests || p.Header.Get("Retry-After") == "" {
		t.Errorf("6th attempt: status %d, Retry-After %q; want 429 with Retry-After", p.Status, p.Header.Get("Retry-After"))
	}
	// The API shares the limit: the client is locked out there too.
	if _, err := e.API.AuthSettings(t.Context(), e.AdminToken); err == nil || !strings.Contains(err.Error(), "429") {
		t.Errorf("admin API during lock-out: %v, want 429", err)
	}
}

func TestSecurityHeaders(t *testing.T) {
	e := newEnv(t)
	p := newBrowser(t).get(e.URL + "/")
	csp := p.Header.Get("Content-Security-Policy")
	for _, want := range []string{"script-src 'self'", "frame-ancestors 'none'", "default-src 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("CSP %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP allows inline code: %q", csp)
	}
	if got := p.Header.Get("Referrer-Policy"); got != "no-referrer" {
		t.Errorf("Referrer-Policy %q", got)
	}
	for _, bad := range []string{"<script>", "style=", "onclick=", "https://"} {
		if strings.Contains(p.Body, bad) {
			t.Errorf("the login page holds %q (inline code or an external resource)", bad)
		}
	}
}

func TestCrossOriginPostsAreRefused(t *testing.T) {
	e := newEnv(t)
	req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+"/admin/login", strings.NewReader("token="+e.AdminToken.Reveal()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	req.Header.Set("Origin", "https://evil.example")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("cross-site POST: status %d, want 403", resp.StatusCode)
	}
	for _, c := range resp.Cookies() {
		if c.Name == "latchkey_admin" {
			t.Error("a cross-site POST got an admin session")
		}
	}
}
