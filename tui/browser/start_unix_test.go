//go:build unix

package browser

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const helperEnv = "LATCHKEY_TEST_OPEN_HELPER"

// TestRealStart runs the real launcher path against a script named by
// LATCHKEY_BROWSER. The Open call happens in a child process (this test
// binary again) whose stdout and stderr the test captures: if the script's
// output leaked to our file descriptors in any way, it would show up there.
// The script reports its argument through a FIFO, so nothing is paced by
// sleeping.
func TestRealStart(t *testing.T) {
	if os.Getenv(helperEnv) == "1" {
		openForHelper()
		return
	}
	const url = `https://sso.example.com/oauth/authorize?a=1&b=%2F%26&c='q'&d="x y"&e=$(touch pwned)*;`

	dir := t.TempDir()
	fifo := filepath.Join(dir, "report")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	script := filepath.Join(dir, "fake browser")
	body := `#!/bin/sh
echo SCRIPT-STDOUT-MARKER
echo SCRIPT-STDERR-MARKER >&2
sid=$(cut -d')' -f2 /proc/$$/stat 2>/dev/null | cut -d' ' -f5)
fds=$(readlink /proc/$$/fd/0 /proc/$$/fd/1 /proc/$$/fd/2 2>/dev/null)
printf '%s\n' "$#" "$1" "$sid" "$fds" > '` + fifo + `'
`
	if err := os.WriteFile(script, []byte(body), 0o700); err != nil {
		t.Fatal(err)
	}

	reports := make(chan string, 1)
	go func() {
		b, err := os.ReadFile(fifo) // blocks until the script opens the FIFO, ends when it closes it
		if err != nil {
			b = []byte("read the report: " + err.Error())
		}
		reports <- string(b)
	}()
	t.Cleanup(func() {
		// Unblock the reader if the script never came.
		if f, err := os.OpenFile(fifo, os.O_WRONLY|syscall.O_NONBLOCK, 0); err == nil {
			f.Close()
		}
	})

	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestRealStart$", "-test.count=1")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), helperEnv+"=1",
		"LATCHKEY_TEST_OPEN_BROWSER='"+script+"'", "LATCHKEY_TEST_OPEN_URL="+url)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}

	var report string
	select {
	case report = <-reports:
	case <-ctx.Done():
		cmd.Process.Kill()
		t.Fatalf("the script never reported; helper output:\n%s", out.String())
	}
	// Wait returns once every holder of the output pipe has closed it: the
	// helper, and the script too had it inherited the pipe.
	if err := cmd.Wait(); err != nil {
		t.Fatalf("helper: %v\n%s", err, out.String())
	}

	if !strings.Contains(out.String(), "helper: opened=true how=LATCHKEY_BROWSER err=<nil>") {
		t.Errorf("helper did not open through LATCHKEY_BROWSER:\n%s", out.String())
	}
	if strings.Contains(out.String(), "SCRIPT-") {
		t.Errorf("the launcher's output reached our stdout/stderr:\n%s", out.String())
	}
	lines := strings.Split(strings.TrimSuffix(report, "\n"), "\n")
	for len(lines) < 6 {
		lines = append(lines, "")
	}
	if diff := cmp.Diff([]string{"1", url}, lines[:2]); diff != "" {
		t.Errorf("script's arguments (count, first) (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(filepath.Join(dir, "pwned")); err == nil {
		t.Error("the URL went through a shell")
	}
	if runtime.GOOS == "linux" {
		if our := sessionID(t); lines[2] == "" || lines[2] == our {
			t.Errorf("script's session %q, ours %q: want a session of its own", lines[2], our)
		}
		if diff := cmp.Diff([]string{"/dev/null", "/dev/null", "/dev/null"}, lines[3:6]); diff != "" {
			t.Errorf("script's stdin, stdout, stderr (-want +got):\n%s", diff)
		}
	}
}

// openForHelper is the child's side of TestRealStart.
func openForHelper() {
	env := map[string]string{"LATCHKEY_BROWSER": os.Getenv("LATCHKEY_TEST_OPEN_BROWSER")}
	res, err := Opener{Getenv: func(k string) string { return env[k] }}.Open(os.Getenv("LATCHKEY_TEST_OPEN_URL"))
	fmt.Printf("helper: opened=%v how=%s err=%v\n", res.Opened, res.How, err)
}

func sessionID(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile("/proc/self/stat")
	if err != nil {
		t.Fatal(err)
	}
	_, rest, _ := strings.Cut(string(b), ")")
	fields := strings.Fields(rest)
	if len(fields) < 4 {
		t.Fatalf("unexpected /proc/self/stat: %q", b)
	}
	return fields[3] // state ppid pgrp session
}
