package keycloaktest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The environment that hands one Keycloak to every test binary of a run (devstack sets it for
// `make test`; Main sets it for its own process when it had to start Keycloak itself).
const (
	envURL           = "LATCHKEY_TEST_KEYCLOAK_URL"
	envAdminUser     = "LATCHKEY_TEST_KEYCLOAK_ADMIN_USER"
	envAdminPassword = "LATCHKEY_TEST_KEYCLOAK_ADMIN_PASSWORD"
)

// Env returns the variables (NAME=value) through which FromEnv and Main in a child process find
// this instance.
func (i *Instance) Env() []string {
	return []string{envURL + "=" + i.URL, envAdminUser + "=" + i.AdminUser, envAdminPassword + "=" + i.AdminPassword}
}

// Main is for TestMain in packages whose tests need Keycloak:
//
//	func TestMain(m *testing.M) { os.Exit(keycloaktest.Main(m, "testdata/keycloak/test-realm.json")) }
//
// It uses the instance named by LATCHKEY_TEST_KEYCLOAK_URL, _ADMIN_USER and _ADMIN_PASSWORD, or
// else starts its own and sets those variables, imports the realm files (relative paths are
// relative to the repository root), runs the tests and stops the instance it started, also when
// the test binary gets SIGINT or SIGTERM. A Keycloak that cannot be had fails the run.
func Main(m *testing.M, realmFiles ...string) int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	inst, err := mainInstance(ctx)
	if err != nil {
		fmt.Fprintf(os.Stderr, "keycloaktest: %v\n", err)
		return 1
	}
	if inst.proc == nil {
		stop() // not ours to stop: let signals act on the test binary as usual
		ctx = context.Background()
	} else {
		defer inst.Stop()
		done := make(chan struct{})
		defer close(done)
		go stopOnSignal(ctx, done, inst)
	}
	if err := importAll(ctx, inst, realmFiles); err != nil {
		fmt.Fprintf(os.Stderr, "keycloaktest: %v\n", err)
		return 1
	}
	return m.Run()
}

// mainInstance is the instance from the environment, or a new one announced in the environment.
func mainInstance(ctx context.Context) (*Instance, error) {
	if inst, ok := envInstance(); ok {
		return inst, nil
	}
	start := time.Now()
	inst, err := Start(ctx, Options{})
	if err != nil {
		return nil, fmt.Errorf("start keycloak: %w", err)
	}
	for _, kv := range inst.Env() {
		name, value, _ := strings.Cut(kv, "=")
		if err := os.Setenv(name, value); err != nil {
			return nil, errors.Join(fmt.Errorf("set %s: %w", name, err), inst.Stop())
		}
	}
	fmt.Fprintf(os.Stderr, "keycloaktest: started keycloak %s at %s in %s (log %s)\n",
		inst.Version, inst.URL, since(start), inst.LogFile)
	return inst, nil
}

// stopOnSignal stops Keycloak and exits when a signal ends ctx before the tests are done: the
// signal would otherwise kill the test binary and leave Keycloak, in its own process group, behind.
func stopOnSignal(ctx context.Context, done <-chan struct{}, inst *Instance) {
	select {
	case <-done:
	case <-ctx.Done():
		fmt.Fprintf(os.Stderr, "keycloaktest: %v, stopping keycloak\n", context.Cause(ctx))
		if err := inst.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "keycloaktest: %v\n", err)
		}
		os.Exit(1)
	}
}

func importAll(ctx context.Context, inst *Instance, realmFiles []string) error {
	root := ""
	for _, f := range realmFiles {
		if !filepath.IsAbs(f) {
			if root == "" {
				var err error
				if root, err = RepoRoot(); err != nil {
					return err
				}
			}
			f = filepath.Join(root, f)
		}
		if err := inst.ImportRealm(ctx, f); err != nil {
			return err
		}
	}
	return nil
}

// FromEnv returns the instance that Main or devstack announced in the environment. A missing
// instance fails the test: a test that needs Keycloak never skips.
func FromEnv(t testing.TB) *Instance {
	t.Helper()
	inst, ok := envInstance()
	if !ok {
		t.Fatalf("keycloaktest: %s is not set; call keycloaktest.Main from TestMain or run the tests through `make test`", envURL)
	}
	return inst
}

func envInstance() (*Instance, bool) {
	u := os.Getenv(envURL)
	if u == "" {
		return nil, false
	}
	return &Instance{
		URL:           u,
		AdminUser:     os.Getenv(envAdminUser),
		AdminPassword: os.Getenv(envAdminPassword),
		client:        &http.Client{Timeout: 30 * time.Second},
	}, true
}

// RepoFile returns the absolute path of rel, a slash-separated path relative to RepoRoot, so tests
// in any package can name testdata the same way.
func RepoFile(t testing.TB, rel string) string {
	t.Helper()
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(root, filepath.FromSlash(rel))
}

// RepoRoot returns the repository root: the nearest directory with a go.mod above the working
// directory.
func RepoRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("find repository root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("find repository root: no go.mod above the working directory")
		}
		dir = parent
	}
}
