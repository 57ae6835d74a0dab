package credentials

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/latchkeyhq/latchkey/auth"
	"github.com/zalando/go-keyring"
)

// fakeKeyring is an in-memory Keyring for the time limits, which the real one cannot be made to
// exercise on demand. Every call first announces itself on entered (when not nil) and then waits
// for release (when not nil).
type fakeKeyring struct {
	err     error // returned by every call
	entered chan string
	release <-chan struct{}

	mu    sync.Mutex
	items map[string]string
	calls int
}

func (f *fakeKeyring) enter(op string) error {
	f.mu.Lock()
	f.calls++
	f.mu.Unlock()
	if f.entered != nil {
		f.entered <- op
	}
	if f.release != nil {
		<-f.release
	}
	return f.err
}

func (f *fakeKeyring) Get(service, user string) (string, error) {
	if err := f.enter("get"); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	v, ok := f.items[service+"/"+user]
	if !ok {
		return "", keyring.ErrNotFound
	}
	return v, nil
}

func (f *fakeKeyring) Set(service, user, password string) error {
	if err := f.enter("set"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.items == nil {
		f.items = map[string]string{}
	}
	f.items[service+"/"+user] = password
	return nil
}

func (f *fakeKeyring) Delete(service, user string) error {
	if err := f.enter("delete"); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if _, ok := f.items[service+"/"+user]; !ok {
		return keyring.ErrNotFound
	}
	delete(f.items, service+"/"+user)
	return nil
}

func (f *fakeKeyring) callCount() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.calls
}

// blocked returns a channel that is closed when the test ends, to release abandoned calls.
func blocked(t *testing.T) <-chan struct{} {
	c := make(chan struct{})
	t.Cleanup(func() { close(c) })
	return c
}

func env(vars ...string) func(string) string {
	return func(name string) string {
		for i := 0; i+1 < len(vars); i += 2 {
			if vars[i] == name {
				return vars[i+1]
			}
		}
		return ""
	}
}

var testLimits = limits{read: 50 * time.Millisecond, write: 150 * time.Millisecond, notice: 20 * time.Millisecond}

func TestOpenDecides(t *testing.T) {
	t.Parallel()
	bus := env("DBUS_SESSION_BUS_ADDRESS", "unix:path=/run/user/1000/bus")
	type want struct {
		Backend, Reason, Err string
		Calls                int // keyring calls made by Open
	}
	for _, tc := range []struct {
		name     string
		mode     Mode
		noFile   bool
		goos     string
		getenv   func(string) string
		keyring  *fakeKeyring // its release is set to a blocked channel when block is true
		block    bool
		canceled bool
		want     want
	}{
		{name: "linux without D-Bus skips the keyring", goos: "linux", getenv: env(),
			want: want{Backend: "file", Reason: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"}},
		{name: "freebsd without D-Bus skips the keyring", goos: "freebsd", getenv: env(),
			want: want{Backend: "file", Reason: "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"}},
		{name: "linux without D-Bus, keyring mode", mode: ModeKeyring, goos: "linux", getenv: env(),
			want: want{Err: "open the OS keyring: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"}},
		{name: "linux with a working keyring", goos: "linux", getenv: bus,
			want: want{Backend: "keyring", Calls: 1}},
		{name: "probe item present", goos: "linux", getenv: bus,
			keyring: &fakeKeyring{items: map[string]string{Service + "/" + probeAccount: "x"}},
			want:    want{Backend: "keyring", Calls: 1}},
		{name: "macOS needs no D-Bus", goos: "darwin", getenv: env(),
			want: want{Backend: "keyring", Calls: 1}},
		{name: "windows needs no D-Bus", goos: "windows", getenv: env(),
			want: want{Backend: "keyring", Calls: 1}},
		{name: "file mode never asks the keyring", mode: ModeFile, goos: "linux", getenv: bus,
			want: want{Backend: "file", Reason: "--storage file"}},
		{name: "keyring that does not answer", goos: "linux", getenv: bus, block: true,
			want: want{Backend: "file", Reason: "the Secret Service did not answer within 50ms", Calls: 1}},
		{name: "keychain that does not answer", goos: "darwin", getenv: env(), block: true,
			want: want{Backend: "file", Reason: "the macOS Keychain did not answer within 50ms", Calls: 1}},
		{name: "keyring that does not answer, keyring mode", mode: ModeKeyring, goos: "linux", getenv: bus, block: true,
			want: want{Err: "open the OS keyring: the Secret Service did not answer within 50ms", Calls: 1}},
		{name: "keyring that refuses", goos: "linux", getenv: bus, keyring: &fakeKeyring{err: errors.New("access denied")},
			want: want{Backend: "file", Reason: "the keyring refused: access denied", Calls: 1}},
		{name: "keyring that refuses, keyring mode", mode: ModeKeyring, goos: "windows", getenv: env(),
			keyring: &fakeKeyring{err: errors.New("access denied")},
			want:    want{Err: "open the OS keyring: the keyring refused: access denied", Calls: 1}},
		{name: "no Secret Service on the bus", goos: "linux", getenv: bus,
			keyring: &fakeKeyring{err: dbus.Error{Name: "org.freedesktop.DBus.Error.ServiceUnknown", Body: []any{"not provided"}}},
			want:    want{Backend: "file", Reason: "no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)", Calls: 1}},
		{name: "no keyring on the platform", goos: "plan9", getenv: env(), keyring: &fakeKeyring{err: keyring.ErrUnsupportedPlatform},
			want: want{Backend: "file", Reason: "there is no OS keyring on plan9", Calls: 1}},
		{name: "canceled while probing: no fallback", goos: "linux", getenv: bus, block: true, canceled: true,
			want: want{Err: "open the OS keyring: before asking the Secret Service: context canceled"}},
		{name: "fallback without a file", noFile: true, goos: "linux", getenv: env(),
			want: want{Err: "open the secret store: no file configured, and the file is needed: no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"}},
		{name: "unknown mode", mode: "disk", goos: "linux", getenv: bus,
			want: want{Err: `open the secret store: unknown storage "disk": use auto, keyring or file`}},
		{name: "no Getenv", goos: "linux",
			want: want{Err: "open the secret store: Options.Getenv is nil"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kr := tc.keyring
			if kr == nil {
				kr = &fakeKeyring{}
			}
			if tc.block {
				kr.release = blocked(t)
			}
			ctx := t.Context()
			if tc.canceled {
				c, cancel := context.WithCancel(ctx)
				cancel()
				ctx = c
			}
			o := Options{Mode: tc.mode, GOOS: tc.goos, Getenv: tc.getenv, Keyring: kr}
			if !tc.noFile {
				o.File = filepath.Join(t.TempDir(), "credentials.json")
			}
			var got want
			s, err := open(ctx, o, testLimits)
			if err != nil {
				got.Err = err.Error()
			} else {
				got.Backend, got.Reason = s.Backend(), s.Reason()
			}
			got.Calls = kr.callCount()
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("open (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyringCallsAreTimeLimited(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name  string
		call  func(*Store, context.Context) error
		limit time.Duration
	}{
		{"get", func(s *Store, ctx context.Context) error {
			_, err := s.Get(ctx, "http://x", ItemAccessToken)
			return err
		}, testLimits.read},
		{"set", func(s *Store, ctx context.Context) error {
			return s.Set(ctx, "http://x", ItemAccessToken, "v")
		}, testLimits.write},
		{"delete", func(s *Store, ctx context.Context) error {
			_, err := s.Delete(ctx, "http://x", ItemAccessToken)
			return err
		}, testLimits.write},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			kr := &fakeKeyring{}
			s := keyringStore(t, kr, testLimits, nil)
			kr.release = blocked(t) // from now on every call hangs
			start := time.Now()
			err := tc.call(s, t.Context())
			elapsed := time.Since(start)
			var noAnswer *noAnswerError
			if !errors.As(err, &noAnswer) {
				t.Fatalf("error %v, want no answer", err)
			}
			if want := "the macOS Keychain did not answer within " + tc.limit.String(); !strings.HasSuffix(err.Error(), want) {
				t.Errorf("error %q, want it to end with %q", err, want)
			}
			if elapsed < tc.limit || elapsed > tc.limit+time.Second {
				t.Errorf("returned after %s, want %s", elapsed, tc.limit)
			}
		})
	}
}

func TestContextEndsTheWait(t *testing.T) {
	t.Parallel()
	long := limits{read: 10 * time.Second, write: 10 * time.Second, notice: 10 * time.Second} // only a broken ctx reaches them
	for _, op := range []string{"get", "set", "delete"} {
		t.Run(op, func(t *testing.T) {
			t.Parallel()
			kr := &fakeKeyring{}
			s := keyringStore(t, kr, long, nil)
			kr.entered, kr.release = make(chan string, 1), blocked(t)
			ctx, cancel := context.WithCancel(t.Context())
			go func() {
				<-kr.entered // the call is in the keyring: now give up on it
				cancel()
			}()
			var err error
			switch op {
			case "get":
				_, err = s.Get(ctx, "http://x", ItemPluginKey)
			case "set":
				err = s.Set(ctx, "http://x", ItemPluginKey, "v")
			case "delete":
				_, err = s.Delete(ctx, "http://x", ItemPluginKey)
			}
			if !errors.Is(err, context.Canceled) {
				t.Errorf("error %v, want context.Canceled", err)
			}
		})
	}
}

func TestOnWaitForSlowWrites(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		// slow: the keyring call returns only once OnWait was called (or never, for get).
		slow      bool
		call      func(*Store, context.Context) error
		wantErr   bool
		wantCalls int32
	}{
		{name: "slow set is announced and completes", slow: true, wantCalls: 1,
			call: func(s *Store, ctx context.Context) error { return s.Set(ctx, "http://x", ItemRefreshToken, "v") }},
		{name: "slow delete is announced", slow: true, wantCalls: 1,
			call: func(s *Store, ctx context.Context) error {
				_, err := s.Delete(ctx, "http://x", ItemRefreshToken)
				return err
			}},
		{name: "fast set is not", wantCalls: 0,
			call: func(s *Store, ctx context.Context) error { return s.Set(ctx, "http://x", ItemRefreshToken, "v") }},
		{name: "a read never is", slow: true, wantErr: true, wantCalls: 0,
			call: func(s *Store, ctx context.Context) error {
				_, err := s.Get(ctx, "http://x", ItemRefreshToken)
				return err
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var calls atomic.Int32
			waited := make(chan struct{})
			release := sync.OnceFunc(func() { close(waited) })
			t.Cleanup(release)
			kr := &fakeKeyring{}
			// A write limit long enough to be noticed if OnWait never came; a notice much shorter.
			s := keyringStore(t, kr, limits{read: 100 * time.Millisecond, write: 10 * time.Second, notice: 10 * time.Millisecond}, func() {
				calls.Add(1)
				release()
			})
			if tc.slow {
				kr.release = waited
			}
			err := tc.call(s, t.Context())
			if (err != nil) != tc.wantErr {
				t.Errorf("error %v, want error %t", err, tc.wantErr)
			}
			if got := calls.Load(); got != tc.wantCalls {
				t.Errorf("OnWait called %d times, want %d", got, tc.wantCalls)
			}
		})
	}
	t.Run("called once however long the wait", func(t *testing.T) {
		t.Parallel()
		var calls atomic.Int32
		kr := &fakeKeyring{}
		s := keyringStore(t, kr, limits{read: time.Second, write: 200 * time.Millisecond, notice: 10 * time.Millisecond},
			func() { calls.Add(1) })
		kr.release = blocked(t)
		if err := s.Set(t.Context(), "http://x", ItemRefreshToken, "v"); err == nil {
			t.Error("Set of a hung keyring succeeded")
		}
		if got := calls.Load(); got != 1 {
			t.Errorf("OnWait called %d times during 20 notice periods, want 1", got)
		}
	})
}

func TestKeyringErrorsCarryNoSecret(t *testing.T) {
	t.Parallel()
	kr := &fakeKeyring{}
	s := keyringStore(t, kr, testLimits, nil)
	kr.err = errors.New("the keyring broke")
	const secret = "very-secret-value"
	err := s.Set(t.Context(), "http://x", ItemPluginKey, secret)
	if err == nil || strings.Contains(err.Error(), secret) {
		t.Errorf("Set error %v: want an error without the secret", err)
	}
	if want := "store the plugin-key for http://x: the keyring broke"; err != nil && err.Error() != want {
		t.Errorf("Set error %q, want %q", err, want)
	}
}

// keyringStore opens a store on kr with lim.
func keyringStore(t *testing.T, kr *fakeKeyring, lim limits, onWait func()) *Store {
	t.Helper()
	s, err := open(t.Context(), Options{GOOS: "darwin", Getenv: env(), Keyring: kr, OnWait: onWait}, lim)
	if err != nil {
		t.Fatal(err)
	}
	if s.Backend() != "keyring" {
		t.Fatalf("backend %s, want keyring", s.Backend())
	}
	return s
}

func TestParseMode(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		in      string
		want    Mode
		wantErr string
	}{
		{in: "", want: ModeAuto},
		{in: "auto", want: ModeAuto},
		{in: "keyring", want: ModeKeyring},
		{in: " File ", want: ModeFile},
		{in: "disk", wantErr: `unknown storage "disk": use auto, keyring or file`},
	} {
		got, err := ParseMode(tc.in)
		if diff := cmp.Diff(tc.wantErr, errString(err)); diff != "" {
			t.Errorf("ParseMode(%q) error (-want +got):\n%s", tc.in, diff)
		}
		if got != tc.want {
			t.Errorf("ParseMode(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestItemNamesAreChecked(t *testing.T) {
	t.Parallel()
	s := keyringStore(t, &fakeKeyring{}, testLimits, nil)
	for _, tc := range []struct{ server, item, want string }{
		{"http://x", "password", `unknown secret "password"`},
		{"", ItemAccessToken, `server URL "": empty or contains white space`},
		{"http://x y", ItemAccessToken, `server URL "http://x y": empty or contains white space`},
	} {
		_, getErr := s.Get(t.Context(), tc.server, tc.item)
		setErr := s.Set(t.Context(), tc.server, tc.item, auth.Secret("v"))
		_, delErr := s.Delete(t.Context(), tc.server, tc.item)
		got := []string{errString(getErr), errString(setErr), errString(delErr)}
		if diff := cmp.Diff([]string{tc.want, tc.want, tc.want}, got); diff != "" {
			t.Errorf("%q %q (-want +got):\n%s", tc.server, tc.item, diff)
		}
	}
}
