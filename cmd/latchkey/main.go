// Command latchkey is the Keycloak sign-in front door for a self-hosted AI
// coding-assistant server: `latchkey serve` runs the server, the other
// commands are its terminal client.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(exitCode(err, os.Stderr))
}

// exitError carries a specific exit code, for commands whose code is part
// of their contract (status, key, doctor).
type exitError struct {
	code int
	err  error
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

func exitCode(err error, stderr io.Writer) int {
	if err == nil {
		return 0
	}
	var ee *exitError
	if errors.As(err, &ee) {
		if ee.err != nil && ee.err.Error() != "" {
			fmt.Fprintln(stderr, "latchkey:", ee.err)
		}
		return ee.code
	}
	fmt.Fprintln(stderr, "latchkey:", err)
	return 1
}

// run is the whole program, with its surroundings passed in so tests can
// run it in-process.
func run(ctx context.Context, args, env []string, stdin io.Reader, stdout, stderr io.Writer) error {
	root := newRootCommand(envMap(env), stdin, stdout, stderr)
	root.SetArgs(args)
	return root.ExecuteContext(ctx)
}
