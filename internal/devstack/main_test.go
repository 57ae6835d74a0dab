package main

import (
	"bufio"
	"bytes"
	"errors"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

func TestParseTestArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    []string
		wantErr bool
	}{
		{name: "with dashes", args: []string{"--", "go", "test", "./..."}, want: []string{"go", "test", "./..."}},
		{name: "without dashes", args: []string{"go", "test"}, want: []string{"go", "test"}},
		{name: "dashes kept after the command", args: []string{"--", "sh", "--", "x"}, want: []string{"sh", "--", "x"}},
		{name: "nothing", args: nil, wantErr: true},
		{name: "only dashes", args: []string{"--"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTestArgs(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseTestArgs() error = %v, wantErr %v", err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("parseTestArgs() (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseDemoArgs(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		want    demoConfig
		wantErr bool
	}{
		{name: "defaults", want: demoConfig{listen: "127.0.0.1:8008"}},
		{name: "listen", args: []string{"--listen", "127.0.0.1:9000"}, want: demoConfig{listen: "127.0.0.1:9000"}},
		{name: "keycloak log", args: []string{"--keycloak-log"}, want: demoConfig{listen: "127.0.0.1:8008", keycloakLog: true}},
		{name: "unknown flag", args: []string{"--nope"}, wantErr: true},
		{name: "stray argument", args: []string{"extra"}, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseDemoArgs(tt.args)
			if (err != nil) != tt.wantErr {
				t.Fatalf("parseDemoArgs() error = %v, wantErr %v", err, tt.wantErr)
			}
			if !tt.wantErr && got != tt.want {
				t.Errorf("parseDemoArgs() = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestRunRejectsBadCommandLines(t *testing.T) {
	for _, args := range [][]string{nil, {"nope"}, {"test"}, {"demo", "x"}} {
		err := run(t.Context(), args, nil, &bytes.Buffer{}, &bytes.Buffer{})
		if !errors.Is(err, errUsage) {
			t.Errorf("run(%q) = %v, want the usage error", args, err)
		}
		if code := exitCode(err, &bytes.Buffer{}); code != 2 {
			t.Errorf("exit code for %q = %d, want 2", args, code)
		}
	}
}

func TestRunForwardingStatus(t *testing.T) {
	tests := []struct {
		name   string
		script string
		want   int
	}{
		{name: "success", script: "exit 0", want: 0},
		{name: "failure status passes through", script: "exit 3", want: 3},
		{name: "killed by a signal", script: "kill -KILL $$", want: 128 + 9},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := runForwarding(exec.Command("sh", "-c", tt.script))
			if got := exitCode(err, &bytes.Buffer{}); got != tt.want {
				t.Errorf("exit code = %d (%v), want %d", got, err, tt.want)
			}
		})
	}
}

// TestRunForwardingSignal sends SIGTERM to this process while a child runs: the child must get it
// (its trap exits 42) and this process must survive it. The child gives up by itself after 30 s,
// so a failing test leaves nothing behind.
func TestRunForwardingSignal(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	defer w.Close() // only after runForwarding is done with it
	cmd := exec.Command("sh", "-c", `trap 'exit 42' TERM; echo ready; i=0; while [ $i -lt 600 ]; do sleep 0.05; i=$((i+1)); done`)
	cmd.Stdout = w
	errc := make(chan error, 1)
	go func() { errc <- runForwarding(cmd) }()
	if line, err := bufio.NewReader(r).ReadString('\n'); err != nil || line != "ready\n" {
		t.Fatalf("read readiness line: %q, %v", line, err)
	}
	if err := syscall.Kill(os.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if got := exitCode(<-errc, &bytes.Buffer{}); got != 42 {
		t.Errorf("exit code = %d, want 42 from the child's TERM trap", got)
	}
}

func TestPrintDemo(t *testing.T) {
	var out bytes.Buffer
	kc := &keycloaktest.Instance{URL: "http://127.0.0.1:4321", AdminUser: "admin", AdminPassword: "pw"}
	realm := keycloaktest.Realm{Name: "demo", Users: []keycloaktest.User{
		{Username: "ada", Password: "ada-demo", Email: "ada@example.com", Groups: []string{"engineering"}},
		{Username: "ken", Password: "ken-demo", Groups: []string{"research", "engineering"}},
		{Username: "linus", Password: "linus-demo", Email: "linus@example.com"},
	}}
	printDemo(&out, "http://127.0.0.1:8008", "tok", kc, realm)
	// Compare words, not the tabwriter's padding.
	var lines []string
	for line := range strings.Lines(out.String()) {
		lines = append(lines, strings.Join(strings.Fields(line), " "))
	}
	want := []string{
		"",
		"latchkey http://127.0.0.1:8008",
		"admin token tok",
		"keycloak console http://127.0.0.1:4321/admin/master/console/#/demo",
		"keycloak admin admin / pw",
		"",
		"user (realm demo) password email groups",
		"ada ada-demo ada@example.com engineering",
		"ken ken-demo - research, engineering",
		"linus linus-demo linus@example.com -",
		"",
		"Ctrl-C stops latchkey and Keycloak.",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("printDemo() (-want +got):\n%s", diff)
	}
}
