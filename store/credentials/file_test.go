package credentials

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/latchkeyhq/latchkey/auth"
)

func openFileMode(t *testing.T, file string) *Store {
	t.Helper()
	s, err := Open(t.Context(), Options{Mode: ModeFile, File: file, Getenv: env()})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// readFile returns the file's content as JSON values.
func readFile(t *testing.T, path string) fileData {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d fileData
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatal(err)
	}
	return d
}

func TestFileBackend(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "config", "latchkey")
	file := filepath.Join(dir, "credentials.json")
	s := openFileMode(t, file)
	if diff := cmp.Diff([]string{"file", "--storage file", file},
		[]string{s.Backend(), s.Reason(), s.Location()}); diff != "" {
		t.Errorf("backend, reason, location (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(dir); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("Open created %s (stat: %v); it should wait for the first write", dir, err)
	}

	const a, b = "http://127.0.0.1:8008", "https://latchkey.example.com"
	for _, step := range []struct {
		name string
		do   func() error
		want map[string]string
	}{
		{"first secret", func() error { return s.Set(t.Context(), a, ItemRefreshToken, "rt-1") },
			map[string]string{a + " refresh-token": "rt-1"}},
		{"more secrets", func() error {
			return errors.Join(s.Set(t.Context(), a, ItemPluginKey, `lk_"quoted" <html> & ünïcode`),
				s.Set(t.Context(), b, ItemAdminToken, "admin"))
		}, map[string]string{a + " refresh-token": "rt-1", a + " plugin-key": `lk_"quoted" <html> & ünïcode`, b + " admin-token": "admin"}},
		{"replace one", func() error { return s.Set(t.Context(), a, ItemRefreshToken, "rt-2") },
			map[string]string{a + " refresh-token": "rt-2", a + " plugin-key": `lk_"quoted" <html> & ünïcode`, b + " admin-token": "admin"}},
		{"delete one", func() error {
			existed, err := s.Delete(t.Context(), a, ItemPluginKey)
			if err == nil && !existed {
				return errors.New("Delete says the plugin key was not there")
			}
			return err
		}, map[string]string{a + " refresh-token": "rt-2", b + " admin-token": "admin"}},
		{"delete a missing one", func() error {
			existed, err := s.Delete(t.Context(), a, ItemPluginKey)
			if err == nil && existed {
				return errors.New("Delete says the plugin key was there")
			}
			return err
		}, map[string]string{a + " refresh-token": "rt-2", b + " admin-token": "admin"}},
	} {
		if err := step.do(); err != nil {
			t.Fatalf("%s: %v", step.name, err)
		}
		if diff := cmp.Diff(step.want, readFile(t, file).Secrets); diff != "" {
			t.Errorf("%s: file holds (-want +got):\n%s", step.name, diff)
		}
		got := map[string]string{}
		for _, server := range []string{a, b} {
			for _, item := range []string{ItemAccessToken, ItemRefreshToken, ItemPluginKey, ItemAdminToken} {
				v, err := s.Get(t.Context(), server, item)
				switch {
				case errors.Is(err, ErrNotFound):
				case err != nil:
					t.Fatal(err)
				default:
					got[server+" "+item] = v.Reveal()
				}
			}
		}
		if diff := cmp.Diff(step.want, got); diff != "" {
			t.Errorf("%s: Get returns (-want +got):\n%s", step.name, diff)
		}
	}

	for path, want := range map[string]os.FileMode{dir: 0o700, file: 0o600} {
		fi, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := fi.Mode().Perm(); got != want {
			t.Errorf("%s: mode %04o, want %04o", path, got, want)
		}
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	if diff := cmp.Diff([]string{"credentials.json"}, names); diff != "" {
		t.Errorf("directory holds (-want +got), no temporary file may be left:\n%s", diff)
	}
}

func TestFileIsReplacedNotRewritten(t *testing.T) {
	t.Parallel()
	file := filepath.Join(t.TempDir(), "credentials.json")
	s := openFileMode(t, file)
	if err := s.Set(t.Context(), "http://a", ItemAccessToken, "old"); err != nil {
		t.Fatal(err)
	}
	before, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// A reader that has the file open while it is updated keeps reading the complete old file:
	// the update renamed a new file over it instead of truncating and rewriting it in place.
	old, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	if err := s.Set(t.Context(), "http://a", ItemAccessToken, auth.Secret(strings.Repeat("new", 1000))); err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(old)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(string(before), string(got)); diff != "" {
		t.Errorf("the old file changed under its reader (-before +after):\n%s", diff)
	}
	oldInfo, err := old.Stat()
	if err != nil {
		t.Fatal(err)
	}
	newInfo, err := os.Stat(file)
	if err != nil {
		t.Fatal(err)
	}
	if os.SameFile(oldInfo, newInfo) {
		t.Error("the update rewrote the file in place")
	}
	if v, err := s.Get(t.Context(), "http://a", ItemAccessToken); err != nil || len(v.Reveal()) != 3000 {
		t.Errorf("Get after the update: %d bytes, %v", len(v.Reveal()), err)
	}
}

func TestFileOpenToOthersIsRefused(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mode   os.FileMode
		refuse bool
	}{
		{0o600, false},
		{0o400, false},
		{0o644, true},
		{0o640, true},
		{0o604, true},
		{0o620, true},
		{0o666, true},
	} {
		t.Run(fmt.Sprintf("%04o", tc.mode), func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "credentials.json")
			s := openFileMode(t, file)
			if err := s.Set(t.Context(), "http://a", ItemRefreshToken, "rt"); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(file, tc.mode); err != nil {
				t.Fatal(err)
			}
			want := ""
			if tc.refuse {
				want = fmt.Sprintf("credentials file %s is open to other users (mode %04o): run chmod 600 %s", file, tc.mode, file)
			}
			_, openErr := Open(t.Context(), Options{Mode: ModeFile, File: file, Getenv: env()})
			_, getErr := s.Get(t.Context(), "http://a", ItemRefreshToken)
			got := []string{errString(openErr), errString(getErr)}
			wants := []string{"", ""}
			if tc.refuse {
				wants = []string{"open the secret store: " + want, "read the refresh-token for http://a: " + want}
			}
			if diff := cmp.Diff(wants, got); diff != "" {
				t.Errorf("errors of Open, Get (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDamagedFileErrorsQuoteNoSecret(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ name, content, want string }{
		{"truncated", `{"version":1,"secrets":{"http://a refresh-token":"sekrit`, "credentials file %s is damaged: invalid JSON at byte 56"},
		{"bad character", `{"version":1,"secrets":{"http://a refresh-token":sekrit}}`, "credentials file %s is damaged: invalid JSON at byte 50"},
		{"wrong type", `{"version":1,"secrets":{"http://a refresh-token":["sekrit"]}}`, "credentials file %s is damaged: not the expected JSON"},
		{"newer version", `{"version":2,"secrets":{"http://a refresh-token":"sekrit"}}`, "credentials file %s has version 2: written by a newer latchkey"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			file := filepath.Join(t.TempDir(), "credentials.json")
			if err := os.WriteFile(file, []byte(tc.content), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := Open(t.Context(), Options{Mode: ModeFile, File: file, Getenv: env()})
			if diff := cmp.Diff("open the secret store: "+fmt.Sprintf(tc.want, file), errString(err)); diff != "" {
				t.Errorf("Open error (-want +got):\n%s", diff)
			}
			if err != nil && strings.Contains(err.Error(), "sekrit") {
				t.Errorf("the error quotes the secret: %v", err)
			}
		})
	}
}

func TestAnnounceOnce(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file, other := filepath.Join(dir, "a", "credentials.json"), filepath.Join(dir, "b", "credentials.json")
	type notice struct {
		Message string
		First   bool
	}
	announce := func(s *Store) notice {
		m, first := s.Announce()
		return notice{m, first}
	}
	msg := func(path string) string {
		return "Secrets are stored in the file " + path + " (readable only by you), not in the OS keyring: " +
			"no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)."
	}
	auto := func(path string) *Store {
		s, err := Open(t.Context(), Options{File: path, GOOS: "linux", Getenv: env()})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	first := auto(file)
	if err := first.Set(t.Context(), "http://a", ItemAccessToken, "at"); err != nil {
		t.Fatal(err)
	}
	got := []notice{announce(first), announce(first), announce(auto(file)), announce(auto(other)),
		announce(keyringStore(t, &fakeKeyring{}, testLimits, nil))}
	want := []notice{{msg(file), true}, {msg(file), false}, {msg(file), false}, {msg(other), true}, {}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("announcements: first store twice, a second store, another file, the keyring (-want +got):\n%s", diff)
	}
	if d := readFile(t, file); !d.Announced || d.Secrets["http://a access-token"] != "at" {
		t.Errorf("file after Announce: announced %t, secrets %d; want the marker and the secret kept", d.Announced, len(d.Secrets))
	}
}

func TestFileSecretsStayInTheFile(t *testing.T) {
	t.Parallel()
	// The file stores the value itself, not auth.Secret's redacted form.
	file := filepath.Join(t.TempDir(), "credentials.json")
	s := openFileMode(t, file)
	if err := s.Set(t.Context(), "http://a", ItemPluginKey, auth.Secret("lk_value")); err != nil {
		t.Fatal(err)
	}
	if got := readFile(t, file).Secrets["http://a plugin-key"]; got != "lk_value" {
		t.Errorf("file holds %q, want the value", got)
	}
	if err := s.Set(t.Context(), "http://a", ItemPluginKey, ""); err == nil {
		t.Error("Set of an empty secret succeeded")
	}
}
