// Command devstack runs the development stack behind `make test` and `make demo`: one real Keycloak
// with a realm from testdata/keycloak, and either a command to run against it (test) or a latchkey
// server wired to it (demo).
//
//	go run ./internal/devstack test -- go test ./...
//	go run ./internal/devstack demo [--listen 127.0.0.1:8008] [--keycloak-log]
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

const usage = `usage:
  devstack test [--] command [args...]   run command against a fresh Keycloak with the test realm
  devstack demo [--listen ADDR] [--keycloak-log]
                                          run Keycloak with the demo realm and a latchkey server`

// errUsage is a command line that devstack does not understand.
var errUsage = errors.New(usage)

// exitError carries the exit status of the command run by `devstack test`, which devstack exits
// with so that make sees the tests' result.
type exitError struct{ code int }

func (e exitError) Error() string { return fmt.Sprintf("command exited with status %d", e.code) }

func run(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return errUsage
	}
	switch args[0] {
	case "test":
		command, err := parseTestArgs(args[1:])
		if err != nil {
			return err
		}
		return runTest(ctx, command, stdin, stdout, stderr)
	case "demo":
		cfg, err := parseDemoArgs(args[1:])
		if err != nil {
			return err
		}
		return runDemo(ctx, cfg, stdin, stdout, stderr)
	default:
		return errUsage
	}
}

// parseTestArgs returns the command after "test", with or without a "--" before it.
func parseTestArgs(args []string) ([]string, error) {
	if len(args) > 0 && args[0] == "--" {
		args = args[1:]
	}
	if len(args) == 0 {
		return nil, errUsage
	}
	return args, nil
}

// exitCode reports err (unless it is the child's own status, which the child has explained) and
// maps it to devstack's exit status.
func exitCode(err error, stderr io.Writer) int {
	var ee exitError
	switch {
	case err == nil:
		return 0
	case errors.As(err, &ee):
		return ee.code
	case errors.Is(err, errUsage):
		fmt.Fprintln(stderr, err)
		return 2
	default:
		fmt.Fprintf(stderr, "devstack: %v\n", err)
		return 1
	}
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }
