package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startServe runs `latchkey serve` in-process until the test ends and
// returns once /healthz answers.
func startServe(t *testing.T, env []string, args ...string) (addr string, stdout, stderr *syncBuffer) {
	t.Helper()
	addr = freeAddr(t)
	stdout, stderr = &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, append([]string{"serve", "--listen", addr}, args...), env, strings.NewReader(""), stdout, stderr)
	}()
	t.Cleanup(func() {
		cancel() // what SIGINT/SIGTERM do through signal.NotifyContext
		if err := <-done; err != nil {
			t.Errorf("serve returned %v after shutdown; stderr:\n%s", err, stderr.String())
		}
	})
	waitHealthy(t, "http://"+addr, done, stderr)
	return addr, stdout, stderr
}

// waitHealthy polls /healthz until it answers, the server exits, or 10 s pass.
func waitHealthy(t *testing.T, base string, done chan error, stderr *syncBuffer) {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for backoff := time.Millisecond; time.Now().Before(deadline); backoff = min(2*backoff, 100*time.Millisecond) {
		select {
		case err := <-done:
			done <- err
			t.Fatalf("serve exited early: %v\n%s", err, stderr.String())
		case <-time.After(backoff):
		}
		if resp, err := http.Get(base + "/healthz"); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
	}
	t.Fatalf("no healthy server at %s:\n%s", base, stderr.String())
}

var generatedToken = regexp.MustCompile(`lka_[A-Za-z0-9_-]{43}`)

func TestServeGeneratesTheAdminTokenOnce(t *testing.T) {
	dataDir := filepath.Join(t.TempDir(), "data")
	env := []string{"HOME=" + t.TempDir()}
	addr, stdout, stderr := startServe(t, env, "--data-dir", dataDir)
	token := generatedToken.FindString(stdout.String())
	if token == "" {
		t.Fatalf("no admin token printed on first start:\n%s", stdout.String())
	}
	if strings.Contains(stderr.String(), token) {
		t.Error("the admin token appears in the log")
	}
	assertMode(t, dataDir, 0o700)
	assertMode(t, filepath.Join(dataDir, "secret.key"), 0o600)
	assertMode(t, filepath.Join(dataDir, "latchkey.db"), 0o600)
	db, err := os.ReadFile(filepath.Join(dataDir, "latchkey.db"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(db, []byte(token)) {
		t.Error("the admin token is stored in clear")
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/admin/settings/auth", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Errorf("the printed token was refused: %d", resp.StatusCode)
	}
	if !strings.Contains(stderr.String(), `"msg":"latchkey serving"`) {
		t.Errorf("stderr is not a terminal, so the log should be JSON:\n%s", stderr.String())
	}

	// A second start on the same data directory prints no token.
	_, stdout2, _ := startServe(t, env, "--data-dir", dataDir)
	if generatedToken.MatchString(stdout2.String()) {
		t.Errorf("a token was printed again on the second start:\n%s", stdout2.String())
	}
}

func TestServeAdminTokenFromEnvAndFile(t *testing.T) {
	file := filepath.Join(t.TempDir(), "token")
	if err := os.WriteFile(file, []byte("file-token-0123456789\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		env   []string
		args  []string
		token string
	}{
		{"env", []string{"LATCHKEY_ADMIN_TOKEN=env-token-0123456789"}, nil, "env-token-0123456789"},
		{"file flag", nil, []string{"--admin-token-file", file}, "file-token-0123456789"},
		{"file env", []string{"LATCHKEY_ADMIN_TOKEN_FILE=" + file}, nil, "file-token-0123456789"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := append([]string{"HOME=" + t.TempDir()}, tt.env...)
			addr, stdout, _ := startServe(t, env, append([]string{"--data-dir", t.TempDir()}, tt.args...)...)
			if generatedToken.MatchString(stdout.String()) {
				t.Error("a token was generated although one was given")
			}
			req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/api/v1/admin/settings/auth", nil)
			req.Header.Set("Authorization", "Bearer "+tt.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusOK {
				t.Errorf("token refused: %d", resp.StatusCode)
			}
		})
	}
}

func TestServeRefusesBadConfiguration(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		args []string
		want string
	}{
		{"short admin token", []string{"LATCHKEY_ADMIN_TOKEN=short"}, nil, "at least 16 characters"},
		{"preset without secret", nil, []string{"--keycloak-url", "http://127.0.0.1:1", "--keycloak-realm", "r", "--keycloak-client-id", "c"}, "client secret"},
		{"partial preset", nil, []string{"--keycloak-url", "http://127.0.0.1:1"}, "together"},
		{"bad public url", nil, []string{"--public-url", "ai.example.com"}, "public URL"},
		{"bad env value", []string{"LATCHKEY_LOG_LEVEL=loud"}, nil, "--log-level"},
		{"postgres", nil, []string{"--database-url", "postgres://db/latchkey"}, "PostgreSQL"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr bytes.Buffer
			env := append([]string{"HOME=" + t.TempDir()}, tt.env...)
			err := run(t.Context(), append([]string{"serve", "--listen", freeAddr(t), "--data-dir", t.TempDir()}, tt.args...), env, strings.NewReader(""), &bytes.Buffer{}, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
}

func TestFlagBeatsEnvironment(t *testing.T) {
	addr := freeAddr(t)
	env := []string{"HOME=" + t.TempDir(), "LATCHKEY_LISTEN=127.0.0.1:1", "LATCHKEY_ADMIN_TOKEN=env-token-0123456789"}
	stdout, stderr := &syncBuffer{}, &syncBuffer{}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- run(ctx, []string{"serve", "--listen", addr, "--data-dir", t.TempDir()}, env, strings.NewReader(""), stdout, stderr)
	}()
	waitHealthy(t, "http://"+addr, done, stderr)
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

func TestVersion(t *testing.T) {
	var out bytes.Buffer
	if err := run(t.Context(), []string{"version"}, nil, strings.NewReader(""), &out, &bytes.Buffer{}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(out.String(), "latchkey ") {
		t.Errorf("version printed %q", out.String())
	}
}

func assertMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	info, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := info.Mode().Perm(); got != want {
		t.Errorf("%s: mode %v, want %v", filepath.Base(path), got, want)
	}
}
