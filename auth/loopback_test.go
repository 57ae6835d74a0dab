package auth

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// failSafe bounds every wait in these tests; nothing is paced by it.
const failSafe = 10 * time.Second

func newLoopback(t *testing.T) (*Loopback, string) {
	t.Helper()
	state := NewToken("").Reveal()
	l, err := ListenLoopback(state)
	if err != nil {
		t.Fatalf("ListenLoopback: %v", err)
	}
	t.Cleanup(func() { l.Close() })
	return l, state
}

type waitResult struct {
	code string
	err  error
}

// waitAsync runs Wait in the background; the channel delivers its result.
func waitAsync(ctx context.Context, l *Loopback) <-chan waitResult {
	ch := make(chan waitResult, 1)
	go func() {
		code, err := l.Wait(ctx)
		ch <- waitResult{code, err}
	}()
	return ch
}

func result(t *testing.T, ch <-chan waitResult) waitResult {
	t.Helper()
	select {
	case r := <-ch:
		return r
	case <-time.After(failSafe):
		t.Fatal("Wait did not return")
		return waitResult{}
	}
}

type response struct {
	status int
	header http.Header
	body   string
}

// request sends one request on a fresh connection, as a browser tab would.
func request(t *testing.T, method, rawURL string) response {
	t.Helper()
	tr := &http.Transport{DisableKeepAlives: true}
	defer tr.CloseIdleConnections()
	ctx, cancel := context.WithTimeout(t.Context(), failSafe)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, rawURL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, string(body)}
}

func callback(redirectURI string, params ...string) string {
	q := url.Values{}
	for i := 0; i+1 < len(params); i += 2 {
		q.Add(params[i], params[i+1])
	}
	return redirectURI + "?" + q.Encode()
}

func TestListenLoopbackRedirectURI(t *testing.T) {
	a, _ := newLoopback(t)
	b, _ := newLoopback(t)
	paths := map[string]bool{}
	for _, l := range []*Loopback{a, b} {
		u, err := url.Parse(l.RedirectURI())
		if err != nil {
			t.Fatal(err)
		}
		if u.Scheme != "http" || u.Hostname() != "127.0.0.1" || u.Port() == "" || u.Port() == "0" {
			t.Errorf("redirect URI %q: want http://127.0.0.1:PORT/…", l.RedirectURI())
		}
		random, ok := strings.CutPrefix(u.Path, "/callback/")
		if b, err := base64.RawURLEncoding.DecodeString(random); !ok || err != nil || len(b) != 16 {
			t.Errorf("redirect URI path %q: want /callback/ + 16 random bytes in base64url", u.Path)
		}
		if u.RawQuery != "" || u.Fragment != "" {
			t.Errorf("redirect URI %q has a query or fragment", l.RedirectURI())
		}
		paths[u.Path] = true
	}
	if a.RedirectURI() == b.RedirectURI() || len(paths) != 2 {
		t.Errorf("two receivers share a redirect URI or path: %q, %q", a.RedirectURI(), b.RedirectURI())
	}
	if _, err := ListenLoopback(""); err == nil {
		t.Error("ListenLoopback accepted an empty state")
	}
}

// TestListenLoopbackAddresses covers the machines this one is not: IPv4 or
// IPv6 missing, by refusing one family in the listen function.
func TestListenLoopbackAddresses(t *testing.T) {
	_, err := net.Listen("tcp6", "[::1]:0")
	haveIPv6 := err == nil
	tests := []struct {
		name       string
		refuse     string // network the fake refuses: "tcp4", "tcp6" or "both"
		needIPv6   bool
		wantHost   string // "" = ListenLoopback fails
		wantListen []string
	}{
		{name: "both families", needIPv6: true, wantHost: "127.0.0.1", wantListen: []string{"tcp4 127.0.0.1:0", "tcp6 [::1]:PORT"}},
		{name: "no IPv6", refuse: "tcp6", wantHost: "127.0.0.1", wantListen: []string{"tcp4 127.0.0.1:0", "tcp6 [::1]:PORT"}},
		{name: "only IPv6", refuse: "tcp4", needIPv6: true, wantHost: "::1", wantListen: []string{"tcp4 127.0.0.1:0", "tcp6 [::1]:0"}},
		{name: "nothing", refuse: "both", wantListen: []string{"tcp4 127.0.0.1:0", "tcp6 [::1]:0"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.needIPv6 && !haveIPv6 {
				t.Skip("::1 cannot be bound on this machine; TestLoopbackIPv6SamePort asserts the IPv4-only behaviour")
			}
			var calls []string
			port := ""
			listen := func(network, address string) (net.Listener, error) {
				if port != "" {
					address = strings.Replace(address, port, "PORT", 1)
				}
				calls = append(calls, network+" "+address)
				if network == tt.refuse || tt.refuse == "both" {
					return nil, fmt.Errorf("refused %s", network)
				}
				ln, err := net.Listen(network, strings.Replace(address, "PORT", port, 1))
				if err == nil && port == "" {
					_, port, _ = net.SplitHostPort(ln.Addr().String())
				}
				return ln, err
			}
			l, err := listenLoopback("state", listen)
			if diff := cmp.Diff(tt.wantListen, calls); diff != "" {
				t.Errorf("listen calls (-want +got):\n%s", diff)
			}
			if tt.wantHost == "" {
				if err == nil {
					l.Close()
					t.Fatal("listenLoopback succeeded with no address to listen on")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			u, _ := url.Parse(l.RedirectURI())
			if u.Hostname() != tt.wantHost || u.Port() != port {
				t.Errorf("redirect URI %q: want host %s, port %s", l.RedirectURI(), tt.wantHost, port)
			}
			got := request(t, http.MethodGet, callback(l.RedirectURI(), "state", "state", "code", "c1"))
			if got.status != http.StatusOK {
				t.Errorf("callback on %s: status %d", l.RedirectURI(), got.status)
			}
		})
	}
}

func TestLoopbackGoodCallback(t *testing.T) {
	l, state := newLoopback(t)
	done := waitAsync(t.Context(), l)

	got := request(t, http.MethodGet, callback(l.RedirectURI(), "code", "the-code", "state", state))
	if got.status != http.StatusOK || !strings.Contains(got.body, "Signed in to latchkey — you can close this tab and go back to the terminal.") {
		t.Errorf("success page: status %d, body:\n%s", got.status, got.body)
	}
	checkPage(t, got)
	if r := result(t, done); r.code != "the-code" || r.err != nil {
		t.Errorf("Wait = %q, %v; want the-code", r.code, r.err)
	}

	// A reload, or a second callback, finds the sign-in finished and changes nothing.
	for _, u := range []string{
		callback(l.RedirectURI(), "code", "the-code", "state", state),
		callback(l.RedirectURI(), "code", "another-code", "state", state),
		callback(l.RedirectURI(), "error", "access_denied", "state", state),
	} {
		again := request(t, http.MethodGet, u)
		if again.status != http.StatusOK || !strings.Contains(again.body, "This sign-in has already finished") {
			t.Errorf("callback after the first: status %d, body:\n%s", again.status, again.body)
		}
	}
	if code, err := l.Wait(t.Context()); code != "the-code" || err != nil {
		t.Errorf("Wait again = %q, %v; want the-code", code, err)
	}
}

// checkPage asserts the headers and self-containment every page must have.
func checkPage(t *testing.T, got response) {
	t.Helper()
	want := map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"Cache-Control":          "no-store",
		"Referrer-Policy":        "no-referrer",
		"X-Content-Type-Options": "nosniff",
	}
	for name, value := range want {
		if got.header.Get(name) != value {
			t.Errorf("header %s = %q, want %q", name, got.header.Get(name), value)
		}
	}
	csp := got.header.Get("Content-Security-Policy")
	if !strings.HasPrefix(csp, "default-src 'none'; style-src 'sha256-") || strings.Contains(csp, "unsafe") {
		t.Errorf("Content-Security-Policy = %q", csp)
	}
	for _, external := range []string{"<script", "<link", "<img", "src=", "href=", "url(", "@import"} {
		if strings.Contains(got.body, external) {
			t.Errorf("page is not self-contained: contains %q", external)
		}
	}
}

func TestLoopbackStrayCallbacksKeepWaiting(t *testing.T) {
	tests := []struct {
		name       string
		method     string
		url        func(redirectURI, state string) string
		wantStatus int
		wantBody   string
	}{
		{
			name:       "wrong state",
			url:        func(r, _ string) string { return callback(r, "code", "forged", "state", NewToken("").Reveal()) },
			wantStatus: http.StatusBadRequest,
			wantBody:   "state does not belong to this sign-in",
		},
		{
			name:       "missing state",
			url:        func(r, _ string) string { return callback(r, "code", "forged") },
			wantStatus: http.StatusBadRequest,
			wantBody:   "carries no state",
		},
		{
			name:       "missing code",
			url:        func(r, s string) string { return callback(r, "state", s) },
			wantStatus: http.StatusBadRequest,
			wantBody:   "carries no authorization code",
		},
		{
			name:       "repeated state",
			url:        func(r, s string) string { return callback(r, "code", "forged", "state", s, "state", s) },
			wantStatus: http.StatusBadRequest,
			wantBody:   "repeats the state parameter",
		},
		{
			name:       "refusal with a wrong state cannot end the sign-in",
			url:        func(r, _ string) string { return callback(r, "error", "access_denied", "state", "guess") },
			wantStatus: http.StatusBadRequest,
			wantBody:   "state does not belong to this sign-in",
		},
		{
			name: "wrong path",
			url: func(r, s string) string {
				last := "A"
				if strings.HasSuffix(r, last) {
					last = "B"
				}
				return callback(r[:len(r)-1]+last, "code", "forged", "state", s)
			},
			wantStatus: http.StatusNotFound,
			wantBody:   "not part of a latchkey sign-in",
		},
		{
			name:       "path below the callback",
			url:        func(r, s string) string { return callback(r+"/x", "code", "forged", "state", s) },
			wantStatus: http.StatusNotFound,
			wantBody:   "not part of a latchkey sign-in",
		},
		{
			name:       "favicon",
			url:        func(r, _ string) string { u, _ := url.Parse(r); return "http://" + u.Host + "/favicon.ico" },
			wantStatus: http.StatusNotFound,
			wantBody:   "not part of a latchkey sign-in",
		},
		{
			name:       "POST",
			method:     http.MethodPost,
			url:        func(r, s string) string { return callback(r, "code", "forged", "state", s) },
			wantStatus: http.StatusMethodNotAllowed,
			wantBody:   "must arrive as a GET request",
		},
		{
			name:       "HEAD",
			method:     http.MethodHead,
			url:        func(r, s string) string { return callback(r, "code", "forged", "state", s) },
			wantStatus: http.StatusMethodNotAllowed,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l, state := newLoopback(t)
			done := waitAsync(t.Context(), l)
			method := tt.method
			if method == "" {
				method = http.MethodGet
			}

			got := request(t, method, tt.url(l.RedirectURI(), state))
			if got.status != tt.wantStatus || !strings.Contains(got.body, tt.wantBody) {
				t.Errorf("status %d, want %d; body should say %q:\n%s", got.status, tt.wantStatus, tt.wantBody, got.body)
			}
			if method != http.MethodHead {
				checkPage(t, got)
			}
			select {
			case r := <-done:
				t.Fatalf("Wait returned %q, %v after a stray callback", r.code, r.err)
			default:
			}

			good := request(t, http.MethodGet, callback(l.RedirectURI(), "code", "real-code", "state", state))
			if good.status != http.StatusOK {
				t.Errorf("good callback after the stray one: status %d:\n%s", good.status, good.body)
			}
			if r := result(t, done); r.code != "real-code" || r.err != nil {
				t.Errorf("Wait = %q, %v; want real-code", r.code, r.err)
			}
		})
	}
}

func TestLoopbackOAuthError(t *testing.T) {
	l, state := newLoopback(t)
	done := waitAsync(t.Context(), l)

	got := request(t, http.MethodGet, callback(l.RedirectURI(),
		"error", "access_denied", "error_description", "User <b>cancelled</b> & left", "state", state))
	r := result(t, done)
	var oe *OAuthError
	if !errors.As(r.err, &oe) {
		t.Fatalf("Wait = %q, %v; want an *OAuthError", r.code, r.err)
	}
	if diff := cmp.Diff(&OAuthError{Code: "access_denied", Description: "User <b>cancelled</b> & left"}, oe); diff != "" {
		t.Errorf("OAuthError (-want +got):\n%s", diff)
	}
	if got.status != http.StatusBadRequest {
		t.Errorf("failure page status %d", got.status)
	}
	for _, want := range []string{"Sign-in to latchkey failed", "cancelled or refused", "access_denied", "User &lt;b&gt;cancelled&lt;/b&gt; &amp; left"} {
		if !strings.Contains(got.body, want) {
			t.Errorf("failure page does not say %q:\n%s", want, got.body)
		}
	}
	if strings.Contains(got.body, "<b>") {
		t.Errorf("failure page does not escape the description:\n%s", got.body)
	}
	checkPage(t, got)
}

// TestLoopbackIPv6SamePort checks what the machine offers: with ::1, the
// receiver answers there on the redirect URI's port; without it, only on IPv4.
func TestLoopbackIPv6SamePort(t *testing.T) {
	probe, err := net.Listen("tcp6", "[::1]:0")
	haveIPv6 := err == nil
	if haveIPv6 {
		probe.Close()
	}
	t.Logf("::1 can be bound here: %v", haveIPv6)

	l, state := newLoopback(t)
	u, _ := url.Parse(l.RedirectURI())
	if u.Hostname() != "127.0.0.1" {
		t.Fatalf("redirect URI %q: want the IPv4 literal while IPv4 works", l.RedirectURI())
	}
	v6 := "http://" + net.JoinHostPort("::1", u.Port()) + u.Path
	if !haveIPv6 {
		if c, err := net.Dial("tcp6", net.JoinHostPort("::1", u.Port())); err == nil {
			c.Close()
			t.Fatalf("something answers on [::1]:%s although ::1 cannot be bound", u.Port())
		}
		return
	}
	done := waitAsync(t.Context(), l)
	got := request(t, http.MethodGet, callback(v6, "code", "v6-code", "state", state))
	if got.status != http.StatusOK || !strings.Contains(got.body, "Signed in to latchkey") {
		t.Errorf("callback on %s: status %d:\n%s", v6, got.status, got.body)
	}
	if r := result(t, done); r.code != "v6-code" || r.err != nil {
		t.Errorf("Wait = %q, %v; want v6-code", r.code, r.err)
	}
}

func TestLoopbackCancelAndClose(t *testing.T) {
	before := serverGoroutines()
	l, _ := newLoopback(t)
	u, _ := url.Parse(l.RedirectURI())
	// One request makes the server start a connection goroutine too.
	request(t, http.MethodGet, "http://"+u.Host+"/")
	if n := serverGoroutines(); n <= before {
		t.Fatalf("%d server goroutines with the receiver open, %d before: the count sees nothing", n, before)
	}

	ctx, cancel := context.WithCancel(t.Context())
	done := waitAsync(ctx, l)
	cancel()
	if r := result(t, done); !errors.Is(r.err, context.Canceled) || r.code != "" {
		t.Errorf("Wait after cancel = %q, %v; want context.Canceled", r.code, r.err)
	}

	closed := waitAsync(t.Context(), l)
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if err := l.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
	if r := result(t, closed); !errors.Is(r.err, ErrLoopbackClosed) {
		t.Errorf("Wait across Close = %q, %v; want ErrLoopbackClosed", r.code, r.err)
	}
	if _, err := l.Wait(t.Context()); !errors.Is(err, ErrLoopbackClosed) {
		t.Errorf("Wait after Close = %v; want ErrLoopbackClosed", err)
	}
	ln, err := net.Listen("tcp4", u.Host)
	if err != nil {
		t.Fatalf("port %s still taken after Close: %v", u.Port(), err)
	}
	ln.Close()

	// Close waits for its Serve goroutines; connection goroutines end as
	// their sockets close. Poll for that, bounded.
	deadline := time.Now().Add(failSafe)
	for n := serverGoroutines(); n > before; n = serverGoroutines() {
		if time.Now().After(deadline) {
			t.Fatalf("%d server goroutines left after Close, %d before", n, before)
		}
		runtime.Gosched()
	}
}

// TestLoopbackCloseRightAfterWait is the caller's usual sequence: Wait
// returns, Close follows at once. The browser must still get the whole
// success page, and the result must outlive Close.
func TestLoopbackCloseRightAfterWait(t *testing.T) {
	for i := range 20 {
		l, state := newLoopback(t)
		done := waitAsync(t.Context(), l)
		pages := make(chan response, 1)
		go func() {
			// No t.Fatal off the test goroutine: report failures as a status.
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, callback(l.RedirectURI(), "code", "c", "state", state), nil)
			tr := &http.Transport{DisableKeepAlives: true}
			defer tr.CloseIdleConnections()
			resp, err := tr.RoundTrip(req)
			if err != nil {
				pages <- response{body: err.Error()}
				return
			}
			defer resp.Body.Close()
			b, err := io.ReadAll(resp.Body)
			if err != nil {
				b = []byte(err.Error())
			}
			pages <- response{status: resp.StatusCode, body: string(b)}
		}()
		r := result(t, done)
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
		var page response
		select {
		case page = <-pages:
		case <-time.After(failSafe):
			t.Fatal("no page")
		}
		if page.status != http.StatusOK || !strings.HasSuffix(page.body, "</html>\n") {
			t.Fatalf("round %d: success page cut by Close: status %d, body:\n%s", i, page.status, page.body)
		}
		if r.code != "c" || r.err != nil {
			t.Fatalf("Wait = %q, %v", r.code, r.err)
		}
		if code, err := l.Wait(t.Context()); code != "c" || err != nil {
			t.Fatalf("Wait after Close = %q, %v; want the result, not ErrLoopbackClosed", code, err)
		}
	}
}

// TestLoopbackCloseDropsIdleConnections: browsers open spare connections
// that never send a request; Close must not wait for them.
func TestLoopbackCloseDropsIdleConnections(t *testing.T) {
	l, _ := newLoopback(t)
	u, _ := url.Parse(l.RedirectURI())
	c, err := net.Dial("tcp4", u.Host)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	start := time.Now()
	if err := l.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v with an idle connection open", d)
	}
	c.SetReadDeadline(time.Now().Add(failSafe))
	if n, err := c.Read(make([]byte, 1)); !errors.Is(err, io.EOF) && !errors.Is(err, syscall.ECONNRESET) {
		t.Errorf("idle connection after Close: read %d bytes, %v; want it closed", n, err)
	}
}

// serverGoroutines counts goroutines running the receiver or any net/http server.
func serverGoroutines() int {
	buf := make([]byte, 1<<20)
	buf = buf[:runtime.Stack(buf, true)]
	n := 0
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "auth.(*Loopback)") || strings.Contains(g, "net/http.(*conn).serve") || strings.Contains(g, "net/http.(*Server).Serve") {
			n++
		}
	}
	return n
}

func TestCodeFromRedirect(t *testing.T) {
	const redirect, state = "http://127.0.0.1:4242/callback/AbC-_x", "s-1"
	tests := []struct {
		name    string
		pasted  string
		want    string
		wantErr error
	}{
		{name: "exact", pasted: redirect + "?code=c-1&state=s-1", want: "c-1"},
		{name: "parameters in any order", pasted: redirect + "?state=s-1&session_state=x&code=c-1", want: "c-1"},
		{name: "whitespace and no scheme", pasted: "  127.0.0.1:4242/callback/AbC-_x?code=c-1&state=s-1\n", want: "c-1"},
		{name: "escaped code", pasted: redirect + "?code=a%2Fb%26c&state=s-1", want: "a/b&c"},
		{name: "refusal", pasted: redirect + "?error=access_denied&error_description=no&state=s-1", wantErr: &OAuthError{Code: "access_denied", Description: "no"}},
		{name: "other host", pasted: "http://localhost:4242/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "other address family", pasted: "http://[::1]:4242/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "other port", pasted: "http://127.0.0.1:4243/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "no port", pasted: "http://127.0.0.1/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "other path", pasted: "http://127.0.0.1:4242/callback/AbC-_y?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "longer path", pasted: "http://127.0.0.1:4242/callback/AbC-_x/more?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "https", pasted: "https://127.0.0.1:4242/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "user info", pasted: "http://me@127.0.0.1:4242/callback/AbC-_x?code=c-1&state=s-1", wantErr: ErrNotRedirect},
		{name: "not a URL", pasted: "http://%zz", wantErr: ErrNotRedirect},
		{name: "empty", pasted: "", wantErr: ErrNotRedirect},
		{name: "wrong state", pasted: redirect + "?code=c-1&state=s-2", wantErr: ErrStateMismatch},
		{name: "state prefix", pasted: redirect + "?code=c-1&state=s-", wantErr: ErrStateMismatch},
		{name: "no state", pasted: redirect + "?code=c-1", wantErr: ErrStateMissing},
		{name: "no code", pasted: redirect + "?state=s-1", wantErr: ErrCodeMissing},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := CodeFromRedirect(tt.pasted, redirect, state)
			var want *OAuthError
			switch {
			case errors.As(tt.wantErr, &want):
				var oe *OAuthError
				if !errors.As(err, &oe) {
					t.Fatalf("CodeFromRedirect = %q, %v; want an *OAuthError", got, err)
				}
				if diff := cmp.Diff(want, oe); diff != "" {
					t.Errorf("OAuthError (-want +got):\n%s", diff)
				}
			case tt.wantErr != nil:
				if !errors.Is(err, tt.wantErr) {
					t.Errorf("CodeFromRedirect = %q, %v; want %v", got, err, tt.wantErr)
				}
			default:
				if err != nil || got != tt.want {
					t.Errorf("CodeFromRedirect = %q, %v; want %q", got, err, tt.want)
				}
			}
		})
	}
}

// TestCodeFromRedirectOfARealReceiver pastes what a browser would show for a
// receiver's own redirect URI.
func TestCodeFromRedirectOfARealReceiver(t *testing.T) {
	l, state := newLoopback(t)
	pasted := callback(l.RedirectURI(), "code", "pasted-code", "state", state)
	if code, err := CodeFromRedirect(pasted, l.RedirectURI(), state); code != "pasted-code" || err != nil {
		t.Errorf("CodeFromRedirect(%q) = %q, %v", pasted, code, err)
	}
	other, _ := newLoopback(t)
	if _, err := CodeFromRedirect(pasted, other.RedirectURI(), state); !errors.Is(err, ErrNotRedirect) {
		t.Errorf("another receiver's redirect accepted: %v", err)
	}
}
