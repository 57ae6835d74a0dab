package main

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// addPluginKey gives a new user a plugin key in the database of a running
// `latchkey serve`, as a first sign-in would.
func addPluginKey(t *testing.T, dataDir string) auth.Secret {
	t.Helper()
	key, err := store.MasterKey("", dataDir)
	if err != nil {
		t.Fatal(err)
	}
	sealer, err := store.NewSealer(key)
	if err != nil {
		t.Fatal(err)
	}
	st, err := store.OpenSQLite(t.Context(), filepath.Join(dataDir, "latchkey.db"), sealer)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	u, err := st.RecordLogin(t.Context(), store.Login{Issuer: "https://kc.example/realms/r", Subject: "s1", Username: "erin", Email: "erin@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	plugin := auth.NewPluginKey()
	if _, err := st.CreatePluginKeyIfNone(t.Context(), u.ID, plugin); err != nil {
		t.Fatal(err)
	}
	return plugin
}

func TestServeGateway(t *testing.T) {
	keyFile := filepath.Join(t.TempDir(), "upstream-key")
	if err := os.WriteFile(keyFile, []byte("sk-from-file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	seen := make(chan http.Header, 4)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen <- r.Header.Clone()
		io.WriteString(w, `{"ok":true}`)
	}))
	t.Cleanup(up.Close)

	tests := []struct {
		name     string
		env      []string
		args     []string
		wantAuth string // Authorization at the upstream
	}{
		{"flags, key from the environment", []string{"LATCHKEY_UPSTREAM_API_KEY=sk-from-env"}, []string{"--upstream", up.URL}, "Bearer sk-from-env"},
		{"key file flag", nil, []string{"--upstream", up.URL, "--upstream-api-key-file", keyFile}, "Bearer sk-from-file"},
		{"everything from the environment", []string{"LATCHKEY_UPSTREAM=" + up.URL, "LATCHKEY_UPSTREAM_API_KEY_FILE=" + keyFile}, nil, "Bearer sk-from-file"},
		{"no upstream key: Authorization dropped", nil, []string{"--upstream", up.URL}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dataDir := t.TempDir()
			metrics := freeAddr(t)
			env := append([]string{"HOME=" + t.TempDir(), "LATCHKEY_ADMIN_TOKEN=env-token-0123456789", "LATCHKEY_METRICS_LISTEN=" + metrics}, tt.env...)
			addr, _, stderr := startServe(t, env, append([]string{"--data-dir", dataDir}, tt.args...)...)
			key := addPluginKey(t, dataDir)

			req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/completions", strings.NewReader(`{"prompt":"x"}`))
			req.Header.Set("Authorization", "Bearer "+key.Reveal())
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("through the gateway: %d\n%s", resp.StatusCode, stderr.String())
			}
			h := <-seen
			got := map[string]string{"Authorization": h.Get("Authorization"), "X-Latchkey-Account": h.Get("X-Latchkey-Account"), "X-Latchkey-Team": h.Get("X-Latchkey-Team")}
			want := map[string]string{"Authorization": tt.wantAuth, "X-Latchkey-Account": "erin@example.com", "X-Latchkey-Team": "default"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("at the upstream (-want +got):\n%s", diff)
			}
			if strings.Contains(stderr.String(), "sk-from-") {
				t.Error("the upstream key appears in the log")
			}

			resp, err = http.Get("http://" + metrics + "/metrics")
			if err != nil {
				t.Fatalf("metrics listener: %v", err)
			}
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK || !bytes.Contains(body, []byte(`latchkey_http_requests_total{result="ok",route="/v1/"} 1`)) {
				t.Errorf("metrics: %d\n%s", resp.StatusCode, body)
			}
		})
	}
}

func TestServeRefusesBadGatewayConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"upstream not http", nil, []string{"--upstream", "ftp://models.internal"}, "--upstream"},
		{"upstream not absolute", nil, []string{"--upstream", "models.internal:8000"}, "--upstream"},
		{"missing key file", nil, []string{"--upstream", "http://127.0.0.1:1", "--upstream-api-key-file", "/nonexistent/key"}, "--upstream-api-key-file"},
		{"key without upstream", []string{"LATCHKEY_UPSTREAM_API_KEY=sk-x"}, nil, "without --upstream"},
		{"gateway path over the API", nil, []string{"--gateway-paths", "/v1/,/api/"}, "take over"},
		{"bad trusted proxy", nil, []string{"--trusted-proxies", "10.0.0.0/33"}, "--trusted-proxies"},
		{"bad metrics address", nil, []string{"--metrics-listen", "127.0.0.1:notaport"}, "metrics"},
		{"bad timeout in the environment", []string{"LATCHKEY_UPSTREAM_DIAL_TIMEOUT=soon"}, nil, "LATCHKEY_UPSTREAM_DIAL_TIMEOUT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := append([]string{"HOME=" + t.TempDir(), "LATCHKEY_ADMIN_TOKEN=env-token-0123456789"}, tt.env...)
			err := run(t.Context(), append([]string{"serve", "--listen", freeAddr(t), "--data-dir", t.TempDir()}, tt.args...), env, strings.NewReader(""), &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
}
