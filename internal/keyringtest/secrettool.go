package keyringtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
)

// Store, Lookup and Clear run libsecret's secret-tool, an independent Secret Service client, so
// a test can check what really is in the keyring. env (NAME=value, e.g. Session.Env) is added to
// this process's environment; nil uses the environment as it is. attrs are attribute name/value
// pairs. go-keyring stores an item with the attributes "service" and "username" (its user
// argument).

// Store stores secret under attrs with a label.
func Store(ctx context.Context, env []string, label, secret string, attrs ...string) error {
	_, err := secretTool(ctx, env, secret, []string{"store", "--label=" + label}, attrs)
	return err
}

// Lookup returns the secret stored under attrs; found is false when there is none.
func Lookup(ctx context.Context, env []string, attrs ...string) (secret string, found bool, err error) {
	out, err := secretTool(ctx, env, "", []string{"lookup"}, attrs)
	var nf notFound
	if errors.As(err, &nf) {
		return "", false, nil
	}
	if err != nil {
		return "", false, err
	}
	return out, true, nil
}

// Clear removes every item that matches attrs.
func Clear(ctx context.Context, env []string, attrs ...string) error {
	_, err := secretTool(ctx, env, "", []string{"clear"}, attrs)
	return err
}

// notFound is secret-tool's exit status 1 with nothing on stderr: lookup found no item.
type notFound struct{}

func (notFound) Error() string { return "no such item" }

func secretTool(ctx context.Context, env []string, stdin string, args, attrs []string) (string, error) {
	if len(attrs) == 0 || len(attrs)%2 != 0 {
		return "", fmt.Errorf("secret-tool %s: attributes must be name/value pairs, got %d strings", args[0], len(attrs))
	}
	if err := lookPath("secret-tool"); err != nil {
		return "", err
	}
	cmd := exec.CommandContext(ctx, "secret-tool", append(args, attrs...)...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdin = strings.NewReader(stdin)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	var exit *exec.ExitError
	if errors.As(err, &exit) && exit.ExitCode() == 1 && stderr.Len() == 0 && ctx.Err() == nil {
		return "", notFound{}
	}
	if err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", err, context.Cause(ctx))
		}
		return "", fmt.Errorf("secret-tool %s: %w: %s", args[0], err, strings.TrimSpace(stderr.String()))
	}
	return strings.TrimSuffix(stdout.String(), "\n"), nil
}
