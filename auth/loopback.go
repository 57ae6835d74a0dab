package auth

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html/template"
	"io"
	"log"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"
)

// The loopback receiver of RFC 8252 §7.3: `latchkey login` listens on the
// loopback interface, names that address as the redirect URI of its
// authorization request, and receives the browser's final redirect with the
// authorization code. The path carries 128 random bits so that nothing else
// on the machine can guess where to send a forged callback, and the state is
// compared in constant time.

// Errors a callback or a pasted redirect URL can fail with.
var (
	ErrStateMissing   = errors.New("the response carries no state")
	ErrStateMismatch  = errors.New("the response's state does not belong to this sign-in")
	ErrCodeMissing    = errors.New("the response carries no authorization code")
	ErrNotRedirect    = errors.New("not the redirect URL of this sign-in")
	ErrLoopbackClosed = errors.New("loopback receiver closed")
)

// OAuthError is an error response of the authorization server (RFC 6749
// §4.1.2.1), e.g. access_denied when the person cancelled the sign-in.
type OAuthError struct {
	Code        string
	Description string
}

func (e *OAuthError) Error() string {
	if e.Description == "" {
		return "sign-in refused: " + e.Code
	}
	return "sign-in refused: " + e.Code + ": " + e.Description
}

// Loopback receives one authorization response on 127.0.0.1 and, when the
// machine has it, on [::1] at the same port.
type Loopback struct {
	state       string
	path        string
	redirectURI string
	srv         *http.Server
	listeners   []net.Listener
	serving     sync.WaitGroup

	mu      sync.Mutex
	claimed bool // the first good callback arrived; guarded by mu
	code    string
	err     error
	done    chan struct{} // closed once that callback's page is sent
	closed  chan struct{} // closed by Close

	closeOnce sync.Once
	closeErr  error
	serveErr  []error // guarded by mu
}

// Server timeouts: a browser sends one small GET; nothing legitimate is slow.
const (
	loopbackHeaderTimeout  = 10 * time.Second
	loopbackRequestTimeout = 30 * time.Second
	loopbackIdleTimeout    = 30 * time.Second
)

// ListenLoopback listens on 127.0.0.1:0 and, when it can, on [::1] with the
// same port. The redirect URI names the IP literal actually bound
// (http://127.0.0.1:PORT/callback/…, or http://[::1]:PORT/callback/… when
// only IPv6 works) and an unguessable path. state is the random state the
// caller put in the authorization request (NewToken("") makes a good one).
func ListenLoopback(state string) (*Loopback, error) {
	return listenLoopback(state, net.Listen)
}

func listenLoopback(state string, listen func(network, address string) (net.Listener, error)) (*Loopback, error) {
	if state == "" {
		return nil, errors.New("listen for the sign-in callback: empty state")
	}
	var listeners []net.Listener
	host := "127.0.0.1"
	l4, err4 := listen("tcp4", "127.0.0.1:0")
	if err4 == nil {
		listeners = append(listeners, l4)
		port := strconv.Itoa(l4.Addr().(*net.TCPAddr).Port)
		// Best effort: a browser that resolves nothing still reaches 127.0.0.1,
		// so a taken or missing [::1] is no reason to fail.
		if l6, err := listen("tcp6", net.JoinHostPort("::1", port)); err == nil {
			listeners = append(listeners, l6)
		}
	} else {
		l6, err6 := listen("tcp6", "[::1]:0")
		if err6 != nil {
			return nil, fmt.Errorf("listen for the sign-in callback: %w", errors.Join(err4, err6))
		}
		listeners = append(listeners, l6)
		host = "::1"
	}
	port := listeners[0].Addr().(*net.TCPAddr).Port

	random := make([]byte, 16)
	rand.Read(random) // never returns an error; crashes the program on failure
	l := &Loopback{
		state:     state,
		path:      "/callback/" + base64.RawURLEncoding.EncodeToString(random),
		listeners: listeners,
		done:      make(chan struct{}),
		closed:    make(chan struct{}),
	}
	l.redirectURI = (&url.URL{Scheme: "http", Host: net.JoinHostPort(host, strconv.Itoa(port)), Path: l.path}).String()
	l.srv = &http.Server{
		Handler:           l,
		ReadHeaderTimeout: loopbackHeaderTimeout,
		ReadTimeout:       loopbackRequestTimeout,
		WriteTimeout:      loopbackRequestTimeout,
		IdleTimeout:       loopbackIdleTimeout,
		MaxHeaderBytes:    32 << 10,
		// net/http logs to stderr by default: nothing may write into the
		// terminal behind the TUI.
		ErrorLog: log.New(io.Discard, "", 0),
	}
	for _, ln := range listeners {
		l.serving.Add(1)
		go l.serve(ln)
	}
	return l, nil
}

func (l *Loopback) serve(ln net.Listener) {
	defer l.serving.Done()
	if err := l.srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
		l.mu.Lock()
		l.serveErr = append(l.serveErr, fmt.Errorf("serve the sign-in callback on %s: %w", ln.Addr(), err))
		l.mu.Unlock()
	}
}

// RedirectURI is the redirect_uri to put in the authorization request.
func (l *Loopback) RedirectURI() string { return l.redirectURI }

// Wait blocks until a callback with the right state and a code arrives
// (returning the code), or one with the right state and an OAuth error
// (returning an *OAuthError), or ctx ends (ctx.Err()), or Close is called
// (ErrLoopbackClosed). Stray or bad callbacks get an error page in the browser
// and the wait goes on. Once a result is in, every Wait returns it.
func (l *Loopback) Wait(ctx context.Context) (code string, err error) {
	select {
	case <-l.done:
	case <-ctx.Done():
		if !l.finished() {
			return "", ctx.Err()
		}
	case <-l.closed:
		if !l.finished() {
			return "", ErrLoopbackClosed
		}
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.code, l.err
}

// finished reports whether a result is in, which wins over a cancel or Close.
func (l *Loopback) finished() bool {
	select {
	case <-l.done:
		return true
	default:
		return false
	}
}

// Close stops listening, drops every connection and waits for the Serve
// goroutines to end. It does not wait gracefully: the page that ends the wait
// is on the wire before Wait returns, and a browser's speculative, idle
// connection must not hold up the terminal. Safe to call more than once.
func (l *Loopback) Close() error {
	l.closeOnce.Do(func() {
		close(l.closed)
		l.srv.Close()
		l.serving.Wait()
		l.mu.Lock()
		l.closeErr = errors.Join(l.serveErr...)
		l.mu.Unlock()
	})
	return l.closeErr
}

// ServeHTTP answers the browser. It is a single handler rather than a
// ServeMux: only GET on the exact path counts (a mux's GET pattern would also
// take HEAD, which must not consume the sign-in).
func (l *Loopback) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.URL.Path != l.path {
		writePage(w, http.StatusNotFound, page{
			Title:   "Not found",
			Heading: "Nothing here",
			Message: "This address is not part of a latchkey sign-in. Go back to the terminal and follow the link it shows.",
		})
		return
	}
	if r.Method != http.MethodGet {
		w.Header().Set("Allow", http.MethodGet)
		writePage(w, http.StatusMethodNotAllowed, page{
			Title:   "Method not allowed",
			Heading: "Method not allowed",
			Message: "The sign-in response must arrive as a GET request.",
		})
		return
	}

	status, p, final := l.answer(r.URL.Query())
	writePage(w, status, p)
	if final {
		// Only now, with the whole page sent, may Wait return: the caller
		// closes the receiver right after.
		close(l.done)
	}
}

// answer decides what one callback means: the first good one (a code, or an
// OAuth refusal with the right state) claims the result and is final;
// anything else gets an error page and changes nothing.
func (l *Loopback) answer(q url.Values) (status int, p page, final bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.claimed {
		return http.StatusOK, page{
			Title:   "Sign-in already finished",
			Heading: "This sign-in has already finished",
			Message: "You can close this tab and go back to the terminal.",
		}, false
	}
	code, err := checkCallback(q, l.state)
	var refused *OAuthError
	if err != nil && !errors.As(err, &refused) {
		return http.StatusBadRequest, page{
			Title:   "Sign-in response rejected",
			Heading: "This is not a valid sign-in response",
			Message: "The sign-in in the terminal is still waiting. Start again from the link the terminal shows.",
			Detail:  "Why: " + err.Error() + ".",
		}, false
	}
	l.claimed, l.code, l.err = true, code, err
	if refused != nil {
		return http.StatusBadRequest, page{
			Title:   "Sign-in failed",
			Heading: "Sign-in to latchkey failed",
			Message: refusalMessage(refused.Code),
			Detail:  refused.Error(),
		}, true
	}
	return http.StatusOK, page{
		Title:   "Signed in",
		Heading: "Signed in to latchkey",
		Message: "Signed in to latchkey — you can close this tab and go back to the terminal.",
	}, true
}

// refusalMessage explains the common OAuth error codes in plain words.
func refusalMessage(code string) string {
	switch code {
	case "access_denied":
		return "The sign-in was cancelled or refused. Go back to the terminal to try again."
	case "login_required", "interaction_required", "consent_required":
		return "The sign-in could not finish without you. Go back to the terminal to try again."
	case "server_error", "temporarily_unavailable":
		return "The server could not complete the sign-in just now. Go back to the terminal and try again in a moment."
	default:
		return "The server refused the sign-in. Go back to the terminal for details."
	}
}

// checkCallback validates the query of an authorization response. It returns
// the code, an *OAuthError for a refusal carrying the right state, or one of
// the Err… errors for a response that does not belong to this sign-in.
func checkCallback(q url.Values, state string) (string, error) {
	for _, name := range []string{"state", "code", "error"} {
		if len(q[name]) > 1 {
			return "", fmt.Errorf("the response repeats the %s parameter", name)
		}
	}
	got := q.Get("state")
	if got == "" {
		return "", ErrStateMissing
	}
	if subtle.ConstantTimeCompare([]byte(got), []byte(state)) != 1 {
		return "", ErrStateMismatch
	}
	if e := q.Get("error"); e != "" {
		return "", &OAuthError{Code: e, Description: q.Get("error_description")}
	}
	code := q.Get("code")
	if code == "" {
		return "", ErrCodeMissing
	}
	return code, nil
}

// CodeFromRedirect takes the final redirect URL a person pasted (remote
// sessions, where the browser could not reach the loopback) and returns the
// code after checking that it is this sign-in's redirect URI (scheme, host,
// port, path) and state. A missing "http://" is tolerated, since some
// browsers hide it in the address bar.
func CodeFromRedirect(pasted, redirectURI, state string) (string, error) {
	pasted = strings.TrimSpace(pasted)
	if !strings.Contains(pasted, "://") {
		pasted = "http://" + pasted
	}
	got, err := url.Parse(pasted)
	if err != nil {
		return "", fmt.Errorf("read the pasted URL: %w", ErrNotRedirect)
	}
	want, err := url.Parse(redirectURI)
	if err != nil {
		return "", fmt.Errorf("read the redirect URI: %w", err)
	}
	if got.Scheme != want.Scheme || got.User != nil || got.Host != want.Host || got.EscapedPath() != want.EscapedPath() {
		return "", fmt.Errorf("pasted %s://%s%s, want %s: %w", got.Scheme, got.Host, got.EscapedPath(), redirectURI, ErrNotRedirect)
	}
	code, err := checkCallback(got.Query(), state)
	if err != nil {
		return "", fmt.Errorf("read the pasted URL: %w", err)
	}
	return code, nil
}

// The pages are self-contained: no scripts, images, fonts or links, and one
// inline style block allowed by its hash in the Content-Security-Policy.
const pageStyle = `body{font:16px/1.5 system-ui,sans-serif;max-width:34rem;margin:15vh auto;padding:0 1rem;color:#1f2328;background:#fff}` +
	`h1{font-size:1.4rem}p.detail{font-family:ui-monospace,monospace;overflow-wrap:anywhere;background:#f6f8fa;padding:.5rem;border-radius:4px}` +
	`@media (prefers-color-scheme:dark){body{color:#e6edf3;background:#0d1117}p.detail{background:#161b22}}`

var (
	pageTemplate = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · latchkey</title>
<style>` + pageStyle + `</style>
</head>
<body>
<h1>{{.Heading}}</h1>
<p>{{.Message}}</p>
{{with .Detail}}<p class="detail">{{.}}</p>{{end}}
</body>
</html>
`))
	pageCSP = func() string {
		sum := sha256.Sum256([]byte(pageStyle))
		return "default-src 'none'; style-src 'sha256-" + base64.StdEncoding.EncodeToString(sum[:]) +
			"'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
	}()
)

type page struct {
	Title, Heading, Message, Detail string
}

func writePage(w http.ResponseWriter, status int, p page) {
	var buf bytes.Buffer
	if err := pageTemplate.Execute(&buf, p); err != nil {
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Content-Security-Policy", pageCSP)
	h.Set("Cache-Control", "no-store")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Content-Length", strconv.Itoa(buf.Len()))
	w.WriteHeader(status)
	w.Write(buf.Bytes())
	http.NewResponseController(w).Flush() // an error means the browser left; nothing to do
}
