package keyringtest

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

type starter func(context.Context, string) (*Session, error)

func TestStartRunsAWorkingKeyring(t *testing.T) {
	t.Parallel()
	s, err := Start(t.Context(), t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { stopAndCheck(t, s) })
	if got := s.Env(); len(got) != 1 || !strings.HasPrefix(got[0], "DBUS_SESSION_BUS_ADDRESS=unix:path=") {
		t.Errorf("Env() = %q, want the bus address", got)
	}

	attrs := []string{"service", "keyringtest", "username", "alice bob"}
	if err := Store(t.Context(), s.Env(), "a test item", "s3cret value", attrs...); err != nil {
		t.Fatal(err)
	}
	type result struct {
		Secret string
		Found  bool
	}
	for _, tc := range []struct {
		name  string
		attrs []string
		want  result
	}{
		{"stored item", attrs, result{"s3cret value", true}},
		{"other user", []string{"service", "keyringtest", "username", "carol"}, result{}},
		{"other service", []string{"service", "other", "username", "alice bob"}, result{}},
	} {
		v, found, err := Lookup(t.Context(), s.Env(), tc.attrs...)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if diff := cmp.Diff(tc.want, result{v, found}); diff != "" {
			t.Errorf("%s: Lookup (-want +got):\n%s", tc.name, diff)
		}
	}

	if err := Clear(t.Context(), s.Env(), attrs...); err != nil {
		t.Fatal(err)
	}
	if _, found, err := Lookup(t.Context(), s.Env(), attrs...); err != nil || found {
		t.Errorf("Lookup after Clear: found %t, err %v; want nothing", found, err)
	}
}

func TestBrokenSecretServices(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		start starter
		// hangs: a lookup is still waiting when its context ends; otherwise it fails at once with
		// an error that contains wantErr.
		hangs   bool
		wantErr string
	}{
		{name: "bus without a Secret Service", start: StartBus, wantErr: "org.freedesktop.secrets was not provided by any .service files"},
		{name: "Secret Service that never answers", start: StartHung, hangs: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			s, err := tc.start(t.Context(), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { stopAndCheck(t, s) })

			const wait = 500 * time.Millisecond
			ctx, cancel := context.WithTimeout(t.Context(), wait)
			defer cancel()
			start := time.Now()
			_, found, err := Lookup(ctx, s.Env(), "service", "keyringtest", "username", "x")
			elapsed := time.Since(start)
			if err == nil || found {
				t.Fatalf("Lookup: found %t, err %v; want an error", found, err)
			}
			if got := errors.Is(err, context.DeadlineExceeded); got != tc.hangs {
				t.Errorf("Lookup error %q: deadline exceeded %t, want %t", err, got, tc.hangs)
			}
			if tc.hangs && elapsed < wait {
				t.Errorf("Lookup returned after %s, before its deadline", elapsed)
			}
			if !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("Lookup error %q, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestMissingProgramNamesTheDebianPackage(t *testing.T) {
	// no t.Parallel: PATH is the process's
	for _, tc := range []struct {
		name  string
		path  []string // the programs on PATH
		start starter
		want  string
	}{
		{"Start, nothing", nil, Start, "dbus-daemon not found: install the Debian package dbus-daemon"},
		{"Start, no gnome-keyring", []string{"dbus-daemon"}, Start, "gnome-keyring-daemon not found: install the Debian package gnome-keyring"},
		{"Start, no secret-tool", []string{"dbus-daemon", "gnome-keyring-daemon"}, Start, "secret-tool not found: install the Debian package libsecret-tools"},
		{"StartBus", nil, StartBus, "dbus-daemon not found: install the Debian package dbus-daemon"},
		{"StartHung", nil, StartHung, "dbus-daemon not found: install the Debian package dbus-daemon"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			bin := t.TempDir()
			for _, name := range tc.path {
				target, err := exec.LookPath(name)
				if err != nil {
					t.Fatal(err)
				}
				if err := os.Symlink(target, filepath.Join(bin, name)); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("PATH", bin)
			s, err := tc.start(t.Context(), t.TempDir())
			if err == nil {
				stopAndCheck(t, s)
				t.Fatal("no error with programs missing from PATH")
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q, want it to contain %q", err, tc.want)
			}
		})
	}
	t.Run("Lookup", func(t *testing.T) {
		t.Setenv("PATH", t.TempDir())
		_, _, err := Lookup(t.Context(), nil, "a", "b")
		if want := "secret-tool not found: install the Debian package libsecret-tools"; err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("Lookup error %v, want it to contain %q", err, want)
		}
	})
}

func TestShortDirectoryRequired(t *testing.T) {
	t.Parallel()
	long := t.TempDir() + "/" + strings.Repeat("d", 110)
	_, err := StartBus(t.Context(), long)
	if err == nil || !strings.Contains(err.Error(), "use a shorter directory") {
		t.Errorf("StartBus in a long directory: error %v, want one about the socket path", err)
	}
}

// stopAndCheck stops s and checks that its daemons are gone, and that a second Stop is harmless.
func stopAndCheck(t *testing.T, s *Session) {
	t.Helper()
	if err := s.Stop(); err != nil {
		t.Errorf("Stop: %v", err)
	}
	for _, p := range s.procs {
		if err := syscall.Kill(p.Pgid, 0); !errors.Is(err, syscall.ESRCH) {
			t.Errorf("%s (pid %d) still there after Stop: kill 0 = %v", p.name, p.Pgid, err)
		}
	}
	if err := s.Stop(); err != nil {
		t.Errorf("second Stop: %v", err)
	}
}
