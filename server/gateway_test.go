package server_test

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server"
)

func TestGatewayOpenAISDK(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	client := openAI(e.URL, e.Key)

	t.Run("chat completion", func(t *testing.T) {
		c, err := client.Chat.Completions.New(t.Context(), chatParams())
		if err != nil {
			t.Fatalf("chat completion through the gateway: %v", err)
		}
		if got := c.Choices[0].Message.Content; got != "Hello from upstream" {
			t.Errorf("content = %q", got)
		}
		r := up.seen(t)
		if r.Method != http.MethodPost || r.Path != "/v1/chat/completions" || !strings.Contains(r.Body, `"Say hello"`) {
			t.Errorf("the upstream got %s %s %s", r.Method, r.Path, r.Body)
		}
		assertPrincipal(t, r, e.Key, "erin@example.com", "backend")
	})

	t.Run("streamed token by token", func(t *testing.T) {
		ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
		defer cancel()
		stream := client.Chat.Completions.NewStreaming(ctx, chatParams())
		defer stream.Close()
		assertPrincipal(t, up.seen(t), e.Key, "erin@example.com", "backend")
		// The upstream sends a token only when the test hands it over, and
		// the test hands over the next only once the client has this one:
		// a gateway that buffered would leave Next waiting until ctx ends.
		for _, tok := range []string{"Hel", "lo", ",", " world"} {
			up.tokens <- tok
			if !stream.Next() {
				t.Fatalf("the stream ended before %q arrived: %v", tok, stream.Err())
			}
			if got := stream.Current().Choices[0].Delta.Content; got != tok {
				t.Fatalf("chunk = %q; want %q", got, tok)
			}
		}
		close(up.tokens)
		var finish []string
		for stream.Next() {
			finish = append(finish, stream.Current().Choices[0].FinishReason)
		}
		if err := stream.Err(); err != nil {
			t.Fatalf("end of stream: %v", err)
		}
		if diff := cmp.Diff([]string{"stop"}, finish); diff != "" {
			t.Errorf("chunks after the tokens (-want +got):\n%s", diff)
		}
	})
}

func TestGatewayStreamsRequestBodies(t *testing.T) {
	parts := make(chan string, 16)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		buf := make([]byte, 64)
		total := 0
		for {
			n, err := r.Body.Read(buf)
			if n > 0 {
				parts <- string(buf[:n])
				total += n
			}
			if err != nil {
				break
			}
		}
		json.NewEncoder(w).Encode(map[string]int{"bytes": total})
	}))
	t.Cleanup(up.Close)
	e := newGatewayEnv(t, up.URL)

	pr, pw := io.Pipe()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, e.URL+"/v1/embeddings", pr)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key.Reveal())
	respc := make(chan *http.Response, 1)
	go func() {
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Errorf("POST through the gateway: %v", err)
		}
		respc <- resp
	}()
	// Each part must reach the upstream before the client sends the next.
	for _, part := range []string{"first part;", "second part;", "last part"} {
		if _, err := pw.Write([]byte(part)); err != nil {
			t.Fatal(err)
		}
		var got string
		for got != part {
			select {
			case p := <-parts:
				got += p
			case <-time.After(10 * time.Second):
				t.Fatalf("the upstream has %q of %q; the gateway holds the body back", got, part)
			}
		}
	}
	pw.Close()
	resp := <-respc
	if resp == nil {
		return
	}
	defer resp.Body.Close()
	var body map[string]int
	if err := json.NewDecoder(resp.Body).Decode(&body); err != nil || body["bytes"] != len("first part;second part;last part") {
		t.Errorf("answer %d %v (%v)", resp.StatusCode, body, err)
	}
}

// TestGatewayFlushesChunkedStreams streams without SSE: a chunked answer
// of unknown length must pass through line by line too.
func TestGatewayFlushesChunkedStreams(t *testing.T) {
	release := make(chan string)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/x-ndjson")
		rc := http.NewResponseController(w)
		for line := range release {
			io.WriteString(w, line+"\n")
			if err := rc.Flush(); err != nil {
				return
			}
		}
	}))
	t.Cleanup(up.Close)
	e := newGatewayEnv(t, up.URL)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second) // a buffering gateway fails, not hangs
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL+"/v1/completions", strings.NewReader("{}"))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+e.Key.Reveal())
	go func() { release <- `{"n":1}` }() // the answer begins with the first line
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	lines := bufio.NewReader(resp.Body)
	for i, want := range []string{`{"n":1}`, `{"n":2}`, `{"n":3}`} {
		if i > 0 {
			release <- want
		}
		got, err := lines.ReadString('\n')
		if err != nil || got != want+"\n" {
			t.Fatalf("line %d = %q, %v; want %q", i+1, got, err, want)
		}
	}
	close(release)
	if rest, err := io.ReadAll(lines); err != nil || len(rest) != 0 {
		t.Errorf("after the last line: %q, %v", rest, err)
	}
}

func TestGatewayClientDisconnectCancelsUpstream(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	client := openAI(e.URL, e.Key)
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams())
	defer stream.Close()
	up.tokens <- "Hel"
	if !stream.Next() {
		t.Fatalf("no first chunk: %v", stream.Err())
	}
	cancel() // the IDE closes the connection mid-stream
	select {
	case <-up.canceled:
	case <-time.After(10 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client went away")
	}
}

func TestGatewayUpstreamDown(t *testing.T) {
	e := newGatewayEnv(t, "http://"+closedPort(t))

	client := openAI(e.URL, e.Key)
	_, err := client.Chat.Completions.New(t.Context(), chatParams())
	var apiErr *openai.Error
	if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusBadGateway {
		t.Fatalf("SDK error = %v; want a 502", err)
	}

	resp, body := do(t, http.MethodPost, e.URL+"/v1/completions", e.Key, `{"model":"m","prompt":"x"}`, nil)
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("502 body %q: %v", body, err)
	}
	if diff := cmp.Diff(map[string]string{"detail": "the inference server could not be reached"}, got); diff != "" || resp.StatusCode != http.StatusBadGateway {
		t.Errorf("status %d; body (-want +got):\n%s", resp.StatusCode, diff)
	}
	if ct := resp.Header.Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q", ct)
	}
}

func TestGatewayUpstreamTimeout(t *testing.T) {
	// An upstream that never begins its answer. (It reads the body first:
	// only then does its server notice the gateway hanging up.)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	t.Cleanup(up.Close)
	e := newGatewayEnv(t, up.URL, withServerConfig(func(c *server.Config) { c.Gateway.ResponseHeaderTimeout = 50 * time.Millisecond }))
	resp, body := do(t, http.MethodPost, e.URL+"/v1/chat/completions", e.Key, `{}`, nil)
	if resp.StatusCode != http.StatusGatewayTimeout || !strings.Contains(body, `"detail"`) {
		t.Errorf("got %d %s; want 504 with a detail", resp.StatusCode, body)
	}
}

func TestGatewayStripsSpoofedHeaders(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	tests := []struct {
		name   string
		header map[string]string
	}{
		{"canonical", map[string]string{"X-Latchkey-Account": "ceo@example.com", "X-Latchkey-Team": "finance"}},
		{"lower case", map[string]string{"x-latchkey-account": "ceo@example.com", "x-latchkey-team": "finance"}},
		{"upper case", map[string]string{"X-LATCHKEY-ACCOUNT": "ceo@example.com", "X-LATCHKEY-TEAM": "finance"}},
		{"other latchkey headers", map[string]string{"X-Latchkey-Admin": "true", "X-Latchkey-User-Id": "1"}},
		{"cookies and a second authorization", map[string]string{"Cookie": "__Host-latchkey=abc", "authorization": "Bearer sk-other"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := do(t, http.MethodPost, e.URL+"/v1/completions", e.Key, `{"model":"m","prompt":"x"}`, tt.header)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("got %d %s", resp.StatusCode, body)
			}
			assertPrincipal(t, up.seen(t), e.Key, "erin@example.com", "backend")
		})
	}
	t.Run("through the SDK", func(t *testing.T) {
		client := openAI(e.URL, e.Key, option.WithHeader("X-Latchkey-Account", "ceo@example.com"), option.WithHeader("X-Latchkey-Team", "finance"))
		if _, err := client.Chat.Completions.New(t.Context(), chatParams()); err != nil {
			t.Fatal(err)
		}
		assertPrincipal(t, up.seen(t), e.Key, "erin@example.com", "backend")
	})
}

func TestGatewayRefusesBadKeys(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	flipped := []byte(e.Key.Reveal())
	flipped[10] ^= 1
	tests := []struct {
		name string
		key  auth.Secret
	}{
		{"missing key", ""},
		{"bad checksum", auth.Secret(flipped)},
		{"well-formed unknown key", auth.NewPluginKey()},
		{"not a plugin key", "sk-123"},
		{"the upstream's own key", upstreamKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := openAI(e.URL, tt.key)
			_, err := client.Chat.Completions.New(t.Context(), chatParams())
			var apiErr *openai.Error
			if !errors.As(err, &apiErr) || apiErr.StatusCode != http.StatusUnauthorized {
				t.Fatalf("SDK error = %v; want a 401", err)
			}
			resp, body := do(t, http.MethodGet, e.URL+"/refact-caps", tt.key, "", nil)
			assertRefactRefusal(t, resp, body, http.StatusUnauthorized)
			up.assertNoRequest(t)
		})
	}
}

// assertRefactRefusal checks a refusal in the shape Refact's plugins read.
func assertRefactRefusal(t *testing.T, resp *http.Response, body string, status int) {
	t.Helper()
	var got map[string]string
	if err := json.Unmarshal([]byte(body), &got); err != nil {
		t.Fatalf("body %q: %v", body, err)
	}
	if resp.StatusCode != status || got["retcode"] != "FAILED" || got["detail"] == "" || got["human_readable_message"] == "" {
		t.Errorf("got %d %s; want %d in Refact's FAILED shape", resp.StatusCode, body, status)
	}
}

func TestGatewayPaths(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL)
	tests := []struct {
		method, path string
		status       int
		proxied      bool
	}{
		{http.MethodGet, "/refact-caps", http.StatusOK, true},
		{http.MethodGet, "/coding_assistant_caps.json", http.StatusOK, true},
		{http.MethodPost, "/tokenizer/llama", http.StatusOK, true},
		{http.MethodGet, "/v1/models", http.StatusOK, true},
		{http.MethodPost, "/v1/embeddings", http.StatusOK, true},
		{http.MethodGet, "/v1/login", http.StatusOK, false},                // latchkey's own
		{http.MethodPost, "/v1/login", http.StatusMethodNotAllowed, false}, // never proxied
		{http.MethodGet, "/v2/models", http.StatusNotFound, false},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			resp, body := do(t, tt.method, e.URL+tt.path, e.Key, "", nil)
			if resp.StatusCode != tt.status {
				t.Errorf("status %d %s; want %d", resp.StatusCode, body, tt.status)
			}
			if !tt.proxied {
				up.assertNoRequest(t)
				return
			}
			if r := up.seen(t); r.Path != tt.path {
				t.Errorf("upstream got %s; want %s", r.Path, tt.path)
			}
		})
	}
}

func TestGatewayPathsConfigurable(t *testing.T) {
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL, withServerConfig(func(c *server.Config) { c.Gateway.Paths = []string{"/v1/chat/", "/inference/"} }))
	for path, want := range map[string]int{"/v1/chat/completions": 200, "/inference/x": 200, "/v1/embeddings": 404, "/refact-caps": 404} {
		if resp, body := do(t, http.MethodPost, e.URL+path, e.Key, "{}", nil); resp.StatusCode != want {
			t.Errorf("%s: %d %s; want %d", path, resp.StatusCode, body, want)
		}
	}
	for _, bad := range [][]string{{"/"}, {"/api/"}, {"/admin/users"}, {"/assets/"}, {"/v1/login"}, {"no-slash"}, {"GET /v1/"}, {"/login/"}} {
		cfg := server.Config{PublicURL: &url.URL{Scheme: "http", Host: "127.0.0.1:1"}, AdminTokenHash: []byte{1}, Keycloak: http.DefaultClient,
			Logger: slog.New(slog.DiscardHandler), Gateway: server.GatewayConfig{Paths: bad}}
		if _, err := server.New(cfg, e.Store); err == nil {
			t.Errorf("gateway paths %q accepted", bad)
		}
	}
}

func TestGatewayWithoutUpstream(t *testing.T) {
	e := newGatewayEnv(t, "")
	resp, body := do(t, http.MethodPost, e.URL+"/v1/chat/completions", e.Key, "{}", nil)
	if resp.StatusCode != http.StatusServiceUnavailable || !strings.Contains(body, "no upstream configured") {
		t.Errorf("got %d %s; want 503 no upstream configured", resp.StatusCode, body)
	}
	resp, body = do(t, http.MethodPost, e.URL+"/v1/chat/completions", auth.NewPluginKey(), "{}", nil)
	assertRefactRefusal(t, resp, body, http.StatusUnauthorized) // the key is checked first
}

func TestForwardAuthVerify(t *testing.T) {
	e := newGatewayEnv(t, "")
	type answer struct {
		Status        int
		Account, Team string
		Body          map[string]string
	}
	tests := []struct {
		name string
		key  auth.Secret
		want answer
	}{
		{"valid key", e.Key, answer{Status: 200, Account: "erin@example.com", Team: "backend"}},
		{"missing key", "", answer{Status: 401, Body: refactRefusalBody("invalid or missing plugin API key")}},
		{"unknown key", auth.NewPluginKey(), answer{Status: 401, Body: refactRefusalBody("invalid or missing plugin API key")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// nginx and Traefik pass the client's spoofed headers too; the
			// answer carries the real ones only.
			resp, body := do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", tt.key, "", map[string]string{"X-Latchkey-Account": "ceo@example.com"})
			got := answer{Status: resp.StatusCode, Account: resp.Header.Get("X-Latchkey-Account"), Team: resp.Header.Get("X-Latchkey-Team")}
			if body != "" {
				if err := json.Unmarshal([]byte(body), &got.Body); err != nil {
					t.Fatalf("body %q: %v", body, err)
				}
			}
			if got.Status == http.StatusUnauthorized {
				got.Body["human_readable_message"] = "…"
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("verify (-want +got):\n%s", diff)
			}
		})
	}
}

func refactRefusalBody(detail string) map[string]string {
	return map[string]string{"detail": detail, "retcode": "FAILED", "human_readable_message": "…"}
}

func TestFailedKeysAreRateLimited(t *testing.T) {
	verify := func(t *testing.T, e *gatewayEnv, key auth.Secret) (*http.Response, string) {
		return do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", key, "", nil)
	}
	t.Run("per key", func(t *testing.T) {
		e := newGatewayEnv(t, "")
		stale := auth.NewPluginKey()
		for i := range 5 {
			if resp, body := verify(t, e, stale); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("attempt %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
		resp, body := verify(t, e, stale)
		assertRefactRefusal(t, resp, body, http.StatusTooManyRequests)
		if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s <= 0 || s > 60 {
			t.Errorf("Retry-After = %q", resp.Header.Get("Retry-After"))
		}
		// Another key from the same address is not held back by this one.
		if resp, _ := verify(t, e, auth.NewPluginKey()); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("a fresh wrong key got %d; want 401", resp.StatusCode)
		}
		if resp, _ := verify(t, e, e.Key); resp.StatusCode != http.StatusOK {
			t.Errorf("the valid key got %d; want 200", resp.StatusCode)
		}
	})
	t.Run("per address", func(t *testing.T) {
		e := newGatewayEnv(t, "")
		if resp, _ := verify(t, e, e.Key); resp.StatusCode != http.StatusOK { // now in the cache
			t.Fatalf("valid key: %d", resp.StatusCode)
		}
		for i := range 60 {
			if resp, body := verify(t, e, auth.NewPluginKey()); resp.StatusCode != http.StatusUnauthorized {
				t.Fatalf("guess %d: %d %s", i+1, resp.StatusCode, body)
			}
		}
		resp, body := verify(t, e, auth.NewPluginKey())
		assertRefactRefusal(t, resp, body, http.StatusTooManyRequests)
		flipped := []byte(auth.NewPluginKey().Reveal())
		flipped[5] ^= 1
		if resp, _ := verify(t, e, auth.Secret(flipped)); resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("a bad checksum from the same address got %d; want 429", resp.StatusCode)
		}
		// A key that is known good (cached) costs no lookup and still works.
		if resp, _ := verify(t, e, e.Key); resp.StatusCode != http.StatusOK {
			t.Errorf("the cached valid key got %d; want 200", resp.StatusCode)
		}
	})
	t.Run("behind a trusted proxy", func(t *testing.T) {
		e := newGatewayEnv(t, "", withServerConfig(func(c *server.Config) { c.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")} }))
		for range 60 {
			do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", auth.NewPluginKey(), "", map[string]string{"X-Forwarded-For": "203.0.113.7"})
		}
		resp, _ := do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", auth.NewPluginKey(), "", map[string]string{"X-Forwarded-For": "203.0.113.7"})
		if resp.StatusCode != http.StatusTooManyRequests {
			t.Errorf("the guessing client got %d; want 429", resp.StatusCode)
		}
		// Another client behind the same proxy is not blocked.
		resp, _ = do(t, http.MethodGet, e.URL+"/api/v1/auth/verify", auth.NewPluginKey(), "", map[string]string{"X-Forwarded-For": "198.51.100.9"})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("another client behind the proxy got %d; want 401", resp.StatusCode)
		}
	})
}

// TestLongStreamOutlivesServerTimeouts runs a stream for longer than the
// server's read and write timeouts, which are made short for the test; the
// wait between tokens is the point of the test, not pacing.
func TestLongStreamOutlivesServerTimeouts(t *testing.T) {
	const timeout = 150 * time.Millisecond
	up := newTestUpstream(t)
	e := newGatewayEnv(t, up.URL, withServerConfig(func(c *server.Config) { c.ReadTimeout, c.WriteTimeout = timeout, timeout }))
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	client := openAI(e.URL, e.Key)
	stream := client.Chat.Completions.NewStreaming(ctx, chatParams())
	defer stream.Close()
	for _, tok := range []string{"slow", "ly", " thinking"} {
		<-time.After(2 * timeout) // past the deadlines the server set when the request came in
		up.tokens <- tok
		if !stream.Next() {
			t.Fatalf("the stream was cut before %q: %v", tok, stream.Err())
		}
	}
	close(up.tokens)
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Errorf("end of stream: %v", err)
	}
	select {
	case <-up.canceled:
		t.Error("the upstream request was cancelled")
	default:
	}
}
