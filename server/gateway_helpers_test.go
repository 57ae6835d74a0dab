package server_test

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/servertest"
	"github.com/latchkeyhq/latchkey/server"
	"github.com/latchkeyhq/latchkey/store"
)

const upstreamKey = "sk-upstream-0123456789"

// gatewayEnv is a latchkey server in front of an upstream, with a real
// SQLite store holding one user and their plugin key, but no Keycloak: for
// the proxy itself. Key lifecycle tests use newEnv and the real Keycloak.
type gatewayEnv struct {
	URL   string
	Key   auth.Secret
	User  store.User
	Store *store.Store
	Logs  *servertest.LogBuffer
	srv   *server.Server
	stop  func() // shuts the server down; returns once it has
}

// newGatewayEnv starts latchkey with upstream ("" for none) as its upstream.
func newGatewayEnv(t *testing.T, upstream string, opts ...envOption) *gatewayEnv {
	t.Helper()
	o := servertest.Options{Configure: func(c *server.Config) {
		c.Gateway = server.GatewayConfig{UpstreamKey: upstreamKey}
		if upstream != "" {
			u, err := url.Parse(upstream)
			if err != nil {
				t.Fatal(err)
			}
			c.Gateway.Upstream = u
		}
	}}
	for _, opt := range opts {
		opt(&o)
	}
	s := servertest.Start(t, o)
	u, err := s.Store.RecordLogin(t.Context(), store.Login{Issuer: "https://kc.example/realms/acme", Subject: "sub-erin",
		Username: "erin", Email: "erin@example.com", Teams: []string{"backend"}})
	if err != nil {
		t.Fatal(err)
	}
	key := auth.NewPluginKey()
	if _, err := s.Store.CreatePluginKeyIfNone(t.Context(), u.ID, key); err != nil {
		t.Fatal(err)
	}
	return &gatewayEnv{URL: s.URL, Key: key, User: u, Store: s.Store, Logs: s.Logs, srv: s.Server, stop: s.Stop}
}

// openAI is the official OpenAI SDK pointed at the gateway, with key as its
// API key and no retries (a retry would hide what the gateway answered).
func openAI(baseURL string, key auth.Secret, opts ...option.RequestOption) openai.Client {
	return openai.NewClient(append([]option.RequestOption{
		option.WithBaseURL(baseURL + "/v1/"), option.WithAPIKey(key.Reveal()), option.WithMaxRetries(0),
		option.WithHTTPClient(&http.Client{}),
	}, opts...)...)
}

func chatParams() openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    "test-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("Say hello")},
	}
}

// seenRequest is what the test upstream received.
type seenRequest struct {
	Method, Path string
	Header       http.Header
	Body         string
}

// testUpstream is a local OpenAI-compatible inference server. It streams a
// chat completion token by token, sending each token only when the test
// passes it on tokens, and ends the stream when tokens is closed.
type testUpstream struct {
	*httptest.Server
	requests chan seenRequest
	tokens   chan string
	canceled chan struct{} // closed when a streaming request's context ends before [DONE]
}

func newTestUpstream(t *testing.T) *testUpstream {
	t.Helper()
	u := &testUpstream{requests: make(chan seenRequest, 64), tokens: make(chan string), canceled: make(chan struct{})}
	var cancelOnce sync.Once
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		body := u.record(t, r)
		var req struct {
			Stream bool `json:"stream"`
		}
		if err := json.Unmarshal([]byte(body), &req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		if !req.Stream {
			w.Header().Set("Content-Type", "application/json")
			io.WriteString(w, `{"id":"c1","object":"chat.completion","created":1,"model":"test-model",`+
				`"choices":[{"index":0,"message":{"role":"assistant","content":"Hello from upstream"},"finish_reason":"stop"}]}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		rc := http.NewResponseController(w)
		rc.Flush()
		for {
			select {
			case <-r.Context().Done():
				cancelOnce.Do(func() { close(u.canceled) })
				return
			case tok, ok := <-u.tokens:
				if !ok {
					io.WriteString(w, `data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"test-model","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`+"\n\n")
					io.WriteString(w, "data: [DONE]\n\n")
					rc.Flush()
					return
				}
				chunk, _ := json.Marshal(map[string]any{"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "test-model",
					"choices": []any{map[string]any{"index": 0, "delta": map[string]any{"content": tok}, "finish_reason": nil}}})
				io.WriteString(w, "data: "+string(chunk)+"\n\n")
				if err := rc.Flush(); err != nil {
					return
				}
			}
		}
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		u.record(t, r)
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]string{"path": r.URL.Path})
	})
	u.Server = httptest.NewServer(mux)
	t.Cleanup(u.Close)
	return u
}

func (u *testUpstream) record(t *testing.T, r *http.Request) string {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		t.Errorf("upstream: read body: %v", err)
	}
	u.requests <- seenRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: string(body)}
	return string(body)
}

// seen returns the next request the upstream received.
func (u *testUpstream) seen(t *testing.T) seenRequest {
	t.Helper()
	select {
	case r := <-u.requests:
		return r
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream received no request")
		return seenRequest{}
	}
}

// assertNoRequest checks that nothing reached the upstream.
func (u *testUpstream) assertNoRequest(t *testing.T) {
	t.Helper()
	select {
	case r := <-u.requests:
		t.Errorf("the upstream received %s %s; want nothing", r.Method, r.Path)
	default:
	}
}

// assertPrincipal checks the headers the upstream got: its own key, the
// caller's account and team once each, no other X-Latchkey-* header, and
// the plugin key nowhere.
func assertPrincipal(t *testing.T, r seenRequest, pluginKey auth.Secret, account, team string) {
	t.Helper()
	got := map[string][]string{}
	for name, values := range r.Header {
		if strings.HasPrefix(strings.ToLower(name), "x-latchkey-") || name == "Authorization" || name == "Cookie" {
			got[name] = values
		}
		for _, v := range values {
			if strings.Contains(v, pluginKey.Reveal()) {
				t.Errorf("the upstream saw the plugin key in %s", name)
			}
		}
	}
	if strings.Contains(r.Body, pluginKey.Reveal()) {
		t.Error("the upstream saw the plugin key in the body")
	}
	want := map[string][]string{
		"Authorization":      {"Bearer " + upstreamKey},
		"X-Latchkey-Account": {account},
		"X-Latchkey-Team":    {team},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("headers at the upstream (-want +got):\n%s", diff)
	}
}

// do sends a request with the given key ("" for none) and headers.
func do(t *testing.T, method, rawURL string, key auth.Secret, body string, header map[string]string) (*http.Response, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, rawURL, rd)
	if err != nil {
		t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key.Reveal())
	}
	for k, v := range header {
		req.Header[k] = append(req.Header[k], v) // as given: not canonicalized
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, rawURL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, string(b)
}
