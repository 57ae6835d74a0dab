package credentials

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keyringtest"
)

// The test binary re-runs itself as a child, in another environment, to see what Open decides
// there (godbus connects to the session bus once per process, so this process cannot change bus):
// childResultEnv names the file the child writes its childResult to, childFileEnv the
// credentials file it opens.
const (
	childResultEnv = "LATCHKEY_CREDENTIALS_TEST_CHILD_RESULT"
	childFileEnv   = "LATCHKEY_CREDENTIALS_TEST_CHILD_FILE"
	childServer    = "http://child.test:8008"
	childSecret    = "child-refresh-token"
)

// TestMain runs the tests against a private gnome-keyring, through DBUS_SESSION_BUS_ADDRESS,
// which it sets before any keyring call. Without the keyring the run fails: it never skips.
func TestMain(m *testing.M) {
	if out := os.Getenv(childResultEnv); out != "" {
		os.Exit(runChild(out, os.Getenv(childFileEnv)))
	}
	os.Exit(testMain(m))
}

func testMain(m *testing.M) int {
	dir, err := os.MkdirTemp("", "lk-keyring-") // short: the bus socket lives here
	if err != nil {
		fmt.Fprintf(os.Stderr, "credentials tests: %v\n", err)
		return 1
	}
	defer os.RemoveAll(dir)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	start := time.Now()
	s, err := keyringtest.Start(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintf(os.Stderr, "credentials tests: %v\n", err)
		return 1
	}
	fmt.Fprintf(os.Stderr, "credentials tests: gnome-keyring on %s, started in %s\n", s.Address(), time.Since(start).Round(time.Millisecond))
	for _, kv := range s.Env() {
		name, value, _ := strings.Cut(kv, "=")
		if err := os.Setenv(name, value); err != nil {
			fmt.Fprintf(os.Stderr, "credentials tests: %v\n", err)
			return 1
		}
	}
	code := m.Run()
	if err := s.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "credentials tests: %v\n", err)
		code = 1
	}
	return code
}

// childResult is what the child saw.
type childResult struct {
	Backend  string
	Reason   string
	OpenTime time.Duration
	// OpenError and SetError are the errors of Open (ModeAuto) and of a Set after it.
	OpenError string
	SetError  string
	// KeyringModeError is the error of Open in ModeKeyring.
	KeyringModeError string
}

// runChild opens the store as latchkey would, in ModeAuto and in ModeKeyring (at the same time:
// each may take the whole read limit), stores childSecret, and writes what happened to out.
func runChild(out, file string) int {
	ctx := context.Background()
	var r childResult
	keyringDone := make(chan string, 1)
	go func() {
		_, err := Open(ctx, Options{Mode: ModeKeyring, Getenv: os.Getenv})
		keyringDone <- errString(err)
	}()
	start := time.Now()
	s, err := Open(ctx, Options{Mode: ModeAuto, File: file, Getenv: os.Getenv})
	r.OpenTime = time.Since(start)
	r.OpenError = errString(err)
	if err == nil {
		r.Backend, r.Reason = s.Backend(), s.Reason()
		r.SetError = errString(s.Set(ctx, childServer, ItemRefreshToken, auth.Secret(childSecret)))
	}
	r.KeyringModeError = <-keyringDone
	b, err := json.Marshal(r)
	if err == nil {
		err = os.WriteFile(out, b, 0o600)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "child: %v\n", err)
		return 1
	}
	return 0
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
