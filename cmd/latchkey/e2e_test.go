package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/latchkeyhq/latchkey/internal/chromiumtest"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
	"github.com/latchkeyhq/latchkey/internal/keyringtest"
)

// stack is the real binary serving against the real Keycloak, plus the
// environment of a developer machine: its own HOME and XDG directories and
// a real gnome-keyring on a private D-Bus session.
type stack struct {
	bin     string
	server  string
	realm   keycloaktest.Realm
	env     []string // for client commands
	keyring []string // the D-Bus environment of the keyring alone
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "latchkey")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func newStack(t *testing.T) *stack {
	t.Helper()
	kc := keycloaktest.FromEnv(t)
	realm, err := keycloaktest.LoadRealm(keycloaktest.RepoFile(t, testRealmFile))
	if err != nil {
		t.Fatal(err)
	}
	s := &stack{bin: buildBinary(t), realm: realm}
	addr := freeAddr(t)
	s.server = "http://" + addr
	serve := exec.Command(s.bin, "serve", "--listen", addr, "--data-dir", t.TempDir(),
		"--keycloak-url", kc.URL, "--keycloak-realm", realm.Name, "--keycloak-client-id", realm.ClientID)
	serve.Env = []string{"HOME=" + t.TempDir(), "LATCHKEY_ADMIN_TOKEN=e2e-admin-token-0123456789", "LATCHKEY_KEYCLOAK_CLIENT_SECRET=" + realm.ClientSecret}
	serveLog := &syncBuffer{}
	serve.Stdout, serve.Stderr = serveLog, serveLog
	if err := serve.Start(); err != nil {
		t.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- serve.Wait() }()
	t.Cleanup(func() {
		serve.Process.Signal(syscall.SIGTERM)
		if err := <-exited; err != nil {
			t.Errorf("serve did not stop cleanly: %v\n%s", err, serveLog.String())
		}
	})
	waitHealthy(t, s.server, exited, serveLog)

	ks, err := keyringtest.Start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ks.Stop() })
	home := t.TempDir()
	s.keyring = ks.Env()
	s.env = append([]string{
		"HOME=" + home, "XDG_CONFIG_HOME=" + filepath.Join(home, ".config"), "XDG_STATE_HOME=" + filepath.Join(home, ".state"),
		"PATH=" + os.Getenv("PATH"), "LATCHKEY_SERVER=" + s.server,
	}, s.keyring...)
	return s
}

func (s *stack) user(t *testing.T, name string) keycloaktest.User {
	for _, u := range s.realm.Users {
		if u.Username == name {
			return u
		}
	}
	t.Fatalf("no user %s in the realm", name)
	return keycloaktest.User{}
}

// run runs a client command and returns its stdout and exit code.
func (s *stack) run(t *testing.T, stdin string, args ...string) (string, int) {
	t.Helper()
	cmd := exec.Command(s.bin, args...)
	cmd.Env, cmd.Stdin = s.env, strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if err != nil && !errors.As(err, &exit) {
		t.Fatalf("%v: %v", args, err)
	}
	if stderr.Len() > 0 {
		t.Logf("latchkey %s: stderr: %s", strings.Join(args, " "), stderr.String())
	}
	return stdout.String(), cmd.ProcessState.ExitCode()
}

// tmux is one terminal of a private tmux server running the real binary.
type tmux struct {
	t      *testing.T
	socket string
}

func startTmux(t *testing.T, env []string, width, height int, command ...string) *tmux {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Fatalf("the terminal tests need tmux (apt-get install tmux): %v", err)
	}
	tm := &tmux{t: t, socket: filepath.Join(t.TempDir(), "tmux.sock")}
	args := append([]string{"new-session", "-d", "-s", "lk", "-x", fmt.Sprint(width), "-y", fmt.Sprint(height), "--"}, command...)
	tm.cmd(env, args...)
	tm.cmd(nil, "set-option", "-t", "lk", "remain-on-exit", "on")
	t.Cleanup(func() { exec.Command("tmux", "-S", tm.socket, "kill-server").Run() })
	return tm
}

func (tm *tmux) cmd(env []string, args ...string) string {
	tm.t.Helper()
	c := exec.Command("tmux", append([]string{"-S", tm.socket}, args...)...)
	if env != nil {
		c.Env = append(env, "TERM=xterm-256color")
	}
	out, err := c.CombinedOutput()
	if err != nil {
		tm.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func (tm *tmux) keys(keys ...string) {
	tm.cmd(nil, append([]string{"send-keys", "-t", "lk"}, keys...)...)
}

func (tm *tmux) screen() string { return tm.cmd(nil, "capture-pane", "-p", "-t", "lk") }

// waitFor waits until every text is on the screen.
func (tm *tmux) waitFor(texts ...string) string {
	tm.t.Helper()
	return tm.waitUntil(fmt.Sprintf("%q", texts), func(screen string) bool {
		for _, text := range texts {
			if !strings.Contains(screen, text) {
				return false
			}
		}
		return true
	})
}

// waitForMatch waits until re matches the screen.
func (tm *tmux) waitForMatch(re *regexp.Regexp) string {
	tm.t.Helper()
	return tm.waitUntil(re.String(), re.MatchString)
}

// waitUntil polls the screen until ok accepts it, at most 30 s: the TUI
// redraws on its own schedule, so there is nothing to wait on but the screen.
func (tm *tmux) waitUntil(what string, ok func(string) bool) string {
	tm.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		screen := tm.screen()
		if ok(screen) {
			return screen
		}
		if time.Now().After(deadline) {
			tm.t.Fatalf("%s never appeared on the terminal:\n%s", what, screen)
		}
		<-tick.C
	}
}

// browserHook is a LATCHKEY_BROWSER command that hands the URL to the test
// through a FIFO instead of opening a browser.
func browserHook(t *testing.T) (command string, urls <-chan string) {
	t.Helper()
	dir := t.TempDir()
	fifo := filepath.Join(dir, "urls")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "browser")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nprintf '%s\\n' \"$1\" > '"+fifo+"'\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	ch := make(chan string, 1)
	go func() {
		b, err := os.ReadFile(fifo) // blocks until the hook writes
		if err == nil {
			ch <- strings.TrimSpace(string(b))
		}
	}()
	t.Cleanup(func() {
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close() // unblocks the reader if the hook never ran
		}
	})
	return script, ch
}

var revealedKey = regexp.MustCompile(`lk_[0-9A-Za-z]{38}`)

// The developer's whole first sign-in, as a person does it: `latchkey
// login` in a terminal, the browser (a real Chromium, through Keycloak's
// real page), the profile screen, then `latchkey key` in a script.
func TestLoginInTerminalWithRealBrowser(t *testing.T) {
	s := newStack(t)
	hook, urls := browserHook(t)
	bob := s.user(t, "bob")
	tm := startTmux(t, append(s.env, "LATCHKEY_BROWSER="+hook), 100, 30, s.bin, "login")

	var signInURL string
	select {
	case signInURL = <-urls:
	case <-time.After(30 * time.Second):
		t.Fatalf("latchkey login never opened the browser:\n%s", tm.screen())
	}
	if !strings.HasPrefix(signInURL, s.server+"/oauth/authorize?") {
		t.Fatalf("the browser was sent to %s", signInURL)
	}
	tm.waitFor("127.0.0.1") // the URL is on screen too

	ctx := chromiumtest.New(t, 1200, 900)
	step, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	err := chromedp.Do(step,
		chromedp.Navigate(signInURL),
		chromedp.WaitVisible(chromedp.ID("kc-form-login")),
		chromedp.SendKeys(chromedp.ID("username"), bob.Username),
		chromedp.SendKeys(chromedp.ID("password"), bob.Password),
		chromedp.Submit(chromedp.ID("kc-form-login")),
		// The browser ends on the loopback receiver's success page. (A query,
		// unlike an evaluation, survives the navigations on the way there.)
		chromedp.WaitVisible(chromedp.Search(`//h1[contains(., "Signed in")]`)),
	)
	if err != nil {
		page, _ := chromedp.Run(step, chromedp.Text(chromedp.CSS("body")))
		t.Fatalf("sign in with Chromium: %v\npage:\n%s\nterminal:\n%s", err, page, tm.screen())
	}

	screen := tm.waitFor("Account Login", bob.Email, "Plugin API Key", "Your team", "Endpoint Address")
	if revealedKey.MatchString(screen) {
		t.Errorf("the plugin key is shown before it is revealed:\n%s", screen)
	}
	tm.keys("v")
	key := revealedKey.FindString(tm.waitForMatch(revealedKey))
	tm.keys("q")

	out, code := s.run(t, "", "key")
	if code != 0 || strings.TrimSpace(out) != key {
		t.Errorf("latchkey key: %q (exit %d), want the key shown in the TUI %q", out, code, key)
	}
	out, code = s.run(t, "", "status", "--json")
	var st map[string]any
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 || st["signed_in"] != true || st["storage"] != "keyring" || st["account"] != bob.Email {
		t.Errorf("latchkey status --json: %s (exit %d)", out, code)
	}
	// The secrets are in the real keyring, not in a file.
	for _, item := range []string{"refresh-token", "access-token", "plugin-key"} {
		if v, found, err := keyringtest.Lookup(t.Context(), s.keyring, "service", "latchkey", "username", s.server+" "+item); err != nil || !found || v == "" {
			t.Errorf("%s not in gnome-keyring: %v", item, err)
		}
	}
	if _, err := os.Stat(filepath.Join(homeOf(s.env), ".config", "latchkey", "credentials.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a credentials file was written although the keyring works: %v", err)
	}

	out, code = s.run(t, "", "logout")
	if code != 0 || !strings.Contains(out, "refresh-token") {
		t.Errorf("latchkey logout: %q (exit %d)", out, code)
	}
	if _, found, _ := keyringtest.Lookup(t.Context(), s.keyring, "service", "latchkey", "username", s.server+" refresh-token"); found {
		t.Error("the refresh token is still in the keyring after logout")
	}
	if _, code := s.run(t, "", "key"); code != exitSignedOut {
		t.Errorf("latchkey key after logout: exit %d, want %d", code, exitSignedOut)
	}
}

func homeOf(env []string) string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "HOME="); ok {
			return v
		}
	}
	return ""
}

// The commands scripts use never start the TUI and keep their exit codes.
func TestScriptableCommands(t *testing.T) {
	s := newStack(t)
	dave := s.user(t, "dave")

	out, code := s.run(t, "", "status", "--json")
	if code != exitSignedOut || !strings.Contains(out, `"signed_in": false`) {
		t.Errorf("status before login: %s (exit %d), want signed_in false and exit 2", out, code)
	}
	if out, code = s.run(t, "", "key"); code != exitSignedOut || out != "" {
		t.Errorf("key before login: %q (exit %d), want nothing and exit 2", out, code)
	}
	if _, code = s.run(t, "wrong\n", "login", "--password", "--username", dave.Username); code == 0 {
		t.Error("login with a wrong password succeeded")
	}
	out, code = s.run(t, dave.Username+"\n"+dave.Password+"\n", "login", "--password")
	if code != 0 || !strings.Contains(out, "Signed in") || strings.Contains(out, dave.Password) {
		t.Fatalf("login --password: %q (exit %d)", out, code)
	}
	out, code = s.run(t, "", "status")
	for _, want := range []string{"account   dave", "team      frontend", "secrets   keyring"} {
		if code != 0 || !strings.Contains(out, want) {
			t.Errorf("status: %q (exit %d), want %q", out, code, want)
		}
	}
	out, code = s.run(t, "", "key")
	if code != 0 || !revealedKey.MatchString(out) || strings.Count(out, "\n") != 1 || strings.TrimSpace(out) != revealedKey.FindString(out) {
		t.Errorf("key: %q (exit %d), want exactly the key and a newline", out, code)
	}
	if out, code = s.run(t, ""); code != exitSignedOut {
		t.Errorf("latchkey without a terminal: exit %d, want %d (output %q)", code, exitSignedOut, out)
	}
	if out, code = s.run(t, "", "logout"); code != 0 || !strings.Contains(out, "access-token, refresh-token, plugin-key") {
		t.Errorf("logout: %q (exit %d)", out, code)
	}
	if out, _ = s.run(t, "", "logout"); !strings.Contains(out, "not signed in") {
		t.Errorf("second logout: %q", out)
	}
}

// Without a Secret Service the client falls back to a 0600 file, says so
// once, and shows it in status.
func TestFileFallbackWithoutKeyring(t *testing.T) {
	s := newStack(t)
	var env []string
	for _, kv := range s.env {
		if !strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=") {
			env = append(env, kv)
		}
	}
	s.env = env
	dave := s.user(t, "dave")
	cmd := exec.Command(s.bin, "login", "--password")
	cmd.Env, cmd.Stdin = s.env, strings.NewReader(dave.Username+"\n"+dave.Password+"\n")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("login: %v\n%s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "not in the OS keyring") || !strings.Contains(stderr.String(), "DBUS_SESSION_BUS_ADDRESS") {
		t.Errorf("the fallback was not announced with its reason: %q", stderr.String())
	}
	file := filepath.Join(homeOf(s.env), ".config", "latchkey", "credentials.json")
	assertMode(t, file, 0o600)
	out, _ := s.run(t, "", "status")
	if !strings.Contains(out, "secrets   file (no D-Bus session bus") {
		t.Errorf("status does not show the file backend: %q", out)
	}
	// Announced once only.
	cmd = exec.Command(s.bin, "status")
	cmd.Env = s.env
	stderr.Reset()
	cmd.Stderr = &stderr
	cmd.Run()
	if strings.Contains(stderr.String(), "not in the OS keyring") {
		t.Errorf("the fallback was announced again: %q", stderr.String())
	}
}
