package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

const testRealm = "testdata/keycloak/test-realm.json"

// runTest starts Keycloak with the test realm, runs command with the instance announced in its
// environment (keycloaktest.Main then uses it instead of starting its own), and stops Keycloak.
func runTest(ctx context.Context, command []string, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	root, err := keycloaktest.RepoRoot()
	if err != nil {
		return err
	}
	kc, err := startKeycloak(ctx, keycloaktest.Options{}, filepath.Join(root, testRealm), stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopKeycloak(kc, stderr)) }()

	cmd := exec.Command(command[0], command[1:]...)
	cmd.Env = append(os.Environ(), kc.Env()...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	return runForwarding(cmd)
}

// startKeycloak starts Keycloak, imports realmFile and reports how long each took.
func startKeycloak(ctx context.Context, opts keycloaktest.Options, realmFile string, stderr io.Writer) (*keycloaktest.Instance, error) {
	// The first run downloads and prepares Keycloak, which takes a while; say why nothing happens.
	fmt.Fprintln(stderr, "starting keycloak (the first run also downloads and prepares it)")
	start := time.Now()
	kc, err := keycloaktest.Start(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("start keycloak: %w", err)
	}
	fmt.Fprintf(stderr, "keycloak %s ready at %s in %s (log %s)\n", kc.Version, kc.URL, since(start), kc.LogFile)
	start = time.Now()
	if err := kc.ImportRealm(ctx, realmFile); err != nil {
		return nil, errors.Join(err, kc.Stop())
	}
	fmt.Fprintf(stderr, "imported %s in %s\n", filepath.Base(realmFile), since(start))
	return kc, nil
}

func stopKeycloak(kc *keycloaktest.Instance, stderr io.Writer) error {
	start := time.Now()
	if err := kc.Stop(); err != nil {
		return err
	}
	fmt.Fprintf(stderr, "keycloak stopped in %s\n", since(start))
	return nil
}

// runForwarding runs cmd to the end, passing on SIGINT and SIGTERM that devstack receives, and
// returns its exit status as an exitError. The child shares the terminal's process group, so a
// Ctrl-C reaches it directly as well; a second SIGINT is harmless to go test and to shells.
// Forwarding, not cancelling, lets the child decide how to wind down (go test reports the tests
// that were running).
func runForwarding(cmd *exec.Cmd) error {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start %s: %w", cmd.Path, err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for {
		select {
		case sig := <-sigs:
			cmd.Process.Signal(sig)
		case err := <-exited:
			return childStatus(err)
		}
	}
}

// childStatus turns a Wait result into nil or an exitError; a child killed by a signal exits
// 128+signal, as a shell would report it.
func childStatus(err error) error {
	var ee *exec.ExitError
	if !errors.As(err, &ee) {
		if err != nil {
			return fmt.Errorf("wait for command: %w", err)
		}
		return nil
	}
	if ws, ok := ee.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitError{code: 128 + int(ws.Signal())}
	}
	return exitError{code: ee.ExitCode()}
}
