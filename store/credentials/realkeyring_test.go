package credentials

import (
	"context"
	"encoding/json"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keyringtest"
)

// lookup reads an item from gnome-keyring with secret-tool, by the attributes go-keyring gives it.
func lookup(t *testing.T, server, item string) (string, bool) {
	t.Helper()
	v, found, err := keyringtest.Lookup(t.Context(), nil, "service", Service, "username", server+" "+item)
	if err != nil {
		t.Fatal(err)
	}
	return v, found
}

func TestKeyringStoresInGnomeKeyring(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "latchkey", "credentials.json")
	start := time.Now()
	s, err := Open(t.Context(), Options{File: file, Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("Open probed the real keyring in %s", time.Since(start))
	type state struct {
		Backend, Reason, Location, Announce string
		First                               bool
	}
	msg, first := s.Announce()
	if diff := cmp.Diff(state{Backend: "keyring", Location: "the Secret Service"},
		state{s.Backend(), s.Reason(), s.Location(), msg, first}); diff != "" {
		t.Fatalf("store (-want +got):\n%s", diff)
	}

	const a, b = "http://127.0.0.1:8008", "https://latchkey.example.com"
	type item struct{ server, item string }
	all := []item{{a, ItemAccessToken}, {a, ItemRefreshToken}, {a, ItemPluginKey}, {b, ItemRefreshToken}}
	// Each step changes one item; then every item is compared, in gnome-keyring (through
	// secret-tool) and through Get, with what the steps so far stored.
	for _, step := range []struct {
		name        string
		do          func() error
		wantExisted bool
		want        map[item]string
	}{
		{
			name: "set a refresh token",
			do:   func() error { return s.Set(t.Context(), a, ItemRefreshToken, "rt-1") },
			want: map[item]string{{a, ItemRefreshToken}: "rt-1"},
		},
		{
			name: "set the other items",
			do: func() error {
				return errors.Join(
					s.Set(t.Context(), a, ItemAccessToken, "at-1"),
					s.Set(t.Context(), a, ItemPluginKey, "lk_plugin key with spaces & ünïcode"),
					s.Set(t.Context(), b, ItemRefreshToken, "rt-b"))
			},
			want: map[item]string{{a, ItemRefreshToken}: "rt-1", {a, ItemAccessToken}: "at-1",
				{a, ItemPluginKey}: "lk_plugin key with spaces & ünïcode", {b, ItemRefreshToken}: "rt-b"},
		},
		{
			name: "replace the refresh token",
			do:   func() error { return s.Set(t.Context(), a, ItemRefreshToken, "rt-2") },
			want: map[item]string{{a, ItemRefreshToken}: "rt-2", {a, ItemAccessToken}: "at-1",
				{a, ItemPluginKey}: "lk_plugin key with spaces & ünïcode", {b, ItemRefreshToken}: "rt-b"},
		},
		{
			name:        "delete it",
			do:          deleteStep(t, s, a, ItemRefreshToken, true),
			wantExisted: true,
			want: map[item]string{{a, ItemAccessToken}: "at-1",
				{a, ItemPluginKey}: "lk_plugin key with spaces & ünïcode", {b, ItemRefreshToken}: "rt-b"},
		},
		{
			name: "delete it again",
			do:   deleteStep(t, s, a, ItemRefreshToken, false),
			want: map[item]string{{a, ItemAccessToken}: "at-1",
				{a, ItemPluginKey}: "lk_plugin key with spaces & ünïcode", {b, ItemRefreshToken}: "rt-b"},
		},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		inKeyring, viaGet := map[item]string{}, map[item]string{}
		for _, it := range all {
			if v, found := lookup(t, it.server, it.item); found {
				inKeyring[it] = v
			}
			v, err := s.Get(t.Context(), it.server, it.item)
			switch {
			case errors.Is(err, ErrNotFound):
			case err != nil:
				t.Fatalf("%s: Get %v: %v", step.name, it, err)
			default:
				viaGet[it] = v.Reveal()
			}
		}
		opt := cmp.AllowUnexported(item{})
		if diff := cmp.Diff(step.want, inKeyring, opt); diff != "" {
			t.Errorf("%s: gnome-keyring holds (-want +got):\n%s", step.name, diff)
		}
		if diff := cmp.Diff(step.want, viaGet, opt); diff != "" {
			t.Errorf("%s: Get returns (-want +got):\n%s", step.name, diff)
		}
	}
	if _, err := os.Stat(file); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the fallback file exists (stat: %v): secrets must be in the keyring only", err)
	}
	for _, it := range all {
		if _, err := s.Delete(t.Context(), it.server, it.item); err != nil {
			t.Error(err)
		}
	}
}

// deleteStep deletes an item and checks what Delete says it removed.
func deleteStep(t *testing.T, s *Store, server, item string, wantExisted bool) func() error {
	return func() error {
		existed, err := s.Delete(t.Context(), server, item)
		if err == nil && existed != wantExisted {
			t.Errorf("Delete(%s, %s) existed = %t, want %t", server, item, existed, wantExisted)
		}
		return err
	}
}

func TestKeyringReadsWhatAnotherClientStored(t *testing.T) {
	t.Parallel()
	const server = "http://other-client.test"
	// ModeKeyring: the keyring must work, and no file is needed.
	s, err := Open(t.Context(), Options{Mode: ModeKeyring, Getenv: os.Getenv})
	if err != nil {
		t.Fatal(err)
	}
	if err := keyringtest.Store(t.Context(), nil, "stored by secret-tool", "admin-token-from-secret-tool",
		"service", Service, "username", server+" "+ItemAdminToken); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(t.Context(), server, ItemAdminToken)
	if err != nil {
		t.Fatal(err)
	}
	if got.Reveal() != "admin-token-from-secret-tool" {
		t.Errorf("Get = %q, want the value secret-tool stored", got.Reveal())
	}
	if existed, err := s.Delete(t.Context(), server, ItemAdminToken); err != nil || !existed {
		t.Errorf("Delete = %t, %v; want true, nil", existed, err)
	}
	if _, found := lookup(t, server, ItemAdminToken); found {
		t.Error("the item is still in gnome-keyring after Delete")
	}
}

// TestOpenFallsBackToTheFile runs the test binary as a child with no working Secret Service and
// checks that Open picks the file, says why, answers in time, and that ModeKeyring refuses.
func TestOpenFallsBackToTheFile(t *testing.T) {
	t.Parallel()
	gone := filepath.Join(t.TempDir(), "gone")
	for _, tc := range []struct {
		name string
		// bus starts the child's session bus; nil: none, addr: this address.
		bus  func(context.Context, string) (*keyringtest.Session, error)
		addr string
		want childResult // OpenTime is checked against min and max
		min  time.Duration
		max  time.Duration
	}{
		{
			name: "no D-Bus session",
			want: childResult{
				Backend:          "file",
				Reason:           "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
				KeyringModeError: "open the OS keyring: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)",
			},
			max: 100 * time.Millisecond,
		},
		{
			name: "bus without a Secret Service",
			bus:  keyringtest.StartBus,
			want: childResult{
				Backend: "file",
				Reason:  "no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)",
				KeyringModeError: "open the OS keyring: no Secret Service on the D-Bus session bus (nothing provides " +
					"org.freedesktop.secrets): The name org.freedesktop.secrets was not provided by any .service files",
			},
			max: time.Second,
		},
		{
			name: "stale bus address",
			addr: "unix:path=" + gone,
			want: childResult{
				Backend:          "file",
				Reason:           "cannot connect to the D-Bus session bus: dial unix " + gone + ": connect: no such file or directory",
				KeyringModeError: "open the OS keyring: cannot connect to the D-Bus session bus: dial unix " + gone + ": connect: no such file or directory",
			},
			max: time.Second,
		},
		{
			name: "Secret Service that never answers",
			bus:  keyringtest.StartHung,
			want: childResult{
				Backend:          "file",
				Reason:           "the Secret Service did not answer within 3s",
				KeyringModeError: "open the OS keyring: the Secret Service did not answer within 3s",
			},
			min: readTimeout,
			max: readTimeout + time.Second,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			env := slices.DeleteFunc(os.Environ(), func(kv string) bool {
				return strings.HasPrefix(kv, "DBUS_SESSION_BUS_ADDRESS=")
			})
			if tc.addr != "" {
				env = append(env, "DBUS_SESSION_BUS_ADDRESS="+tc.addr)
			}
			if tc.bus != nil {
				bus, err := tc.bus(t.Context(), dir)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() {
					if err := bus.Stop(); err != nil {
						t.Error(err)
					}
				})
				env = append(env, bus.Env()...)
			}
			file := filepath.Join(dir, "config", "latchkey", "credentials.json")
			out := filepath.Join(dir, "result.json")
			cmd := exec.CommandContext(t.Context(), os.Args[0], "-test.run=^$")
			// The race detector waits a second before a process exits, unless told not to.
			cmd.Env = append(env, childResultEnv+"="+out, childFileEnv+"="+file,
				"GORACE="+os.Getenv("GORACE")+" atexit_sleep_ms=0")
			if output, err := cmd.CombinedOutput(); err != nil {
				t.Fatalf("child: %v\n%s", err, output)
			}
			var got childResult
			b, err := os.ReadFile(out)
			if err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(b, &got); err != nil {
				t.Fatal(err)
			}
			t.Logf("Open decided in %s: %s", got.OpenTime, got.Reason)
			if got.OpenTime < tc.min || got.OpenTime > tc.max {
				t.Errorf("Open took %s, want between %s and %s", got.OpenTime, tc.min, tc.max)
			}
			got.OpenTime = 0
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("child (-want +got):\n%s", diff)
			}

			// The secret the child stored is in the file, which only its owner may read.
			fi, err := os.Stat(file)
			if err != nil {
				t.Fatal(err)
			}
			if perm := fi.Mode().Perm(); perm != 0o600 {
				t.Errorf("file mode %04o, want 0600", perm)
			}
			s, err := Open(t.Context(), Options{Mode: ModeFile, File: file, Getenv: os.Getenv})
			if err != nil {
				t.Fatal(err)
			}
			v, err := s.Get(t.Context(), childServer, ItemRefreshToken)
			if err != nil || v != auth.Secret(childSecret) {
				t.Errorf("the file holds %q, %v; want the child's secret", v.Reveal(), err)
			}
			// … and not in this process's gnome-keyring.
			if _, found := lookup(t, childServer, ItemRefreshToken); found {
				t.Error("the child's secret is in gnome-keyring")
			}
		})
	}
}
