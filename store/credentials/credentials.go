// Package credentials is the developer machine's secret store: the terminal client's per-server
// secrets (CLI access and refresh tokens, plugin key, admin token), one small item each, in the OS
// keyring (service "latchkey", account "<server URL> <item>"), or in a 0600 file when the keyring
// cannot be used.
//
// Every keyring call is time-limited, because a Secret Service can hang (a locked keyring whose
// unlock prompt nobody sees, a stale D-Bus address): reads wait at most 3 s, writes, which may
// legitimately wait for the user to unlock the keyring, at most 60 s. On Linux and the BSDs a
// process without a D-Bus session bus skips the keyring at once.
//
// Secrets go in and out as auth.Secret; no error of this package contains one.
package credentials

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"

	"github.com/latchkeyhq/latchkey/auth"
)

// Mode says where secrets go: --storage / LATCHKEY_STORAGE.
type Mode string

const (
	// ModeAuto uses the OS keyring when it answers, and the file otherwise (the default).
	ModeAuto Mode = "auto"
	// ModeKeyring uses the OS keyring; a keyring that does not work is an error.
	ModeKeyring Mode = "keyring"
	// ModeFile always uses the file.
	ModeFile Mode = "file"
)

// ParseMode parses a --storage value; the empty string is ModeAuto.
func ParseMode(s string) (Mode, error) {
	switch m := Mode(strings.ToLower(strings.TrimSpace(s))); m {
	case "":
		return ModeAuto, nil
	case ModeAuto, ModeKeyring, ModeFile:
		return m, nil
	}
	return "", fmt.Errorf("unknown storage %q: use auto, keyring or file", s)
}

// The items stored per server.
const (
	ItemAccessToken  = "access-token"
	ItemRefreshToken = "refresh-token"
	ItemPluginKey    = "plugin-key"
	ItemAdminToken   = "admin-token"
)

// Service is the keyring service of every item.
const Service = "latchkey"

// ErrNotFound is returned by Get when the item is not stored.
var ErrNotFound = errors.New("not stored")

// Options configures Open.
type Options struct {
	// Mode is where secrets go; "" is ModeAuto.
	Mode Mode
	// File is the fallback file, e.g. $XDG_CONFIG_HOME/latchkey/credentials.json. Needed
	// whenever the file may be used (every mode but keyring).
	File string
	// Getenv reads the environment (DBUS_SESSION_BUS_ADDRESS); required. os.Getenv normally.
	Getenv func(string) string
	// GOOS is the operating system, runtime.GOOS when empty.
	GOOS string
	// Keyring is the OS keyring; nil is the real one (go-keyring).
	Keyring Keyring
	// OnWait is called, at most once per write, when a keyring write is still waiting after a
	// second, most likely for the user to unlock the keyring ("waiting for the keyring to
	// unlock…"). It must return quickly. nil: nothing is said.
	OnWait func()
}

// Store holds the secrets of every server the client talks to, in the keyring or in the file.
// It is safe for concurrent use.
type Store struct {
	keyring *timedKeyring // nil when the file is used
	file    *fileStore    // nil when the keyring is used
	reason  string        // why the file is used
}

// Open decides where secrets go. In ModeAuto it asks the keyring for a probe item (at most 3 s)
// and falls back to the file, recording why, when the keyring does not answer or refuses; in
// ModeKeyring that is an error. On the file backend it reads the file, which fails when other
// users may read it.
func Open(ctx context.Context, o Options) (*Store, error) {
	return open(ctx, o, limits{read: readTimeout, write: writeTimeout, notice: waitNotice})
}

func open(ctx context.Context, o Options, lim limits) (*Store, error) {
	mode, err := ParseMode(string(o.Mode))
	if err != nil {
		return nil, fmt.Errorf("open the secret store: %w", err)
	}
	if o.Getenv == nil {
		return nil, errors.New("open the secret store: Options.Getenv is nil")
	}
	goos := o.GOOS
	if goos == "" {
		goos = runtime.GOOS
	}
	if mode == ModeFile {
		return openFile(o.File, "--storage file")
	}

	if usesDBus(goos) && o.Getenv("DBUS_SESSION_BUS_ADDRESS") == "" {
		// godbus would look for a bus elsewhere, even start one with dbus-launch: don't.
		reason := "no D-Bus session bus (DBUS_SESSION_BUS_ADDRESS is not set)"
		if mode == ModeKeyring {
			return nil, fmt.Errorf("open the OS keyring: %s", reason)
		}
		return openFile(o.File, reason)
	}
	kr := newTimedKeyring(o, goos, lim)
	if reason, err := kr.probe(ctx); err != nil {
		if ctx.Err() != nil || mode == ModeKeyring {
			return nil, fmt.Errorf("open the OS keyring: %w", err)
		}
		return openFile(o.File, reason)
	}
	return &Store{keyring: kr}, nil
}

func openFile(path, reason string) (*Store, error) {
	if path == "" {
		return nil, fmt.Errorf("open the secret store: no file configured, and the file is needed: %s", reason)
	}
	f := &fileStore{path: path}
	if err := f.check(); err != nil {
		return nil, fmt.Errorf("open the secret store: %w", err)
	}
	return &Store{file: f, reason: reason}, nil
}

// Backend is "keyring" or "file".
func (s *Store) Backend() string {
	if s.keyring != nil {
		return "keyring"
	}
	return "file"
}

// Reason says why the file is used ("--storage file", "no D-Bus session bus
// (DBUS_SESSION_BUS_ADDRESS is not set)", "the Secret Service did not answer within 3s", …); it is
// empty when the keyring is used.
func (s *Store) Reason() string { return s.reason }

// Location names where the secrets are: the keyring ("the Secret Service", "the macOS Keychain",
// …) or the file's path.
func (s *Store) Location() string {
	if s.keyring != nil {
		return s.keyring.name
	}
	return s.file.path
}

// Announce returns the notice that secrets are in a file, and why. first is true only the first
// time it is asked for that file, ever (the file remembers), so a caller can show it once
// prominently and keep it in the header and in status afterwards. On the keyring there is nothing
// to announce: "", false.
func (s *Store) Announce() (message string, first bool) {
	if s.file == nil {
		return "", false
	}
	message = fmt.Sprintf("Secrets are stored in the file %s (readable only by you), not in the OS keyring: %s.", s.file.path, s.reason)
	first, err := s.file.markAnnounced()
	if err != nil {
		// Not remembered: say it again next time rather than never.
		return message, true
	}
	return message, first
}

// Get returns the item stored for server, or ErrNotFound.
func (s *Store) Get(ctx context.Context, server, item string) (auth.Secret, error) {
	acct, err := account(server, item)
	if err != nil {
		return "", err
	}
	var v string
	if s.keyring != nil {
		v, err = s.keyring.get(ctx, acct)
	} else {
		v, err = s.file.get(ctx, acct)
	}
	switch {
	case errors.Is(err, ErrNotFound) || err == nil && v == "":
		return "", fmt.Errorf("%s for %s: %w", item, server, ErrNotFound)
	case err != nil:
		return "", fmt.Errorf("read the %s for %s: %w", item, server, err)
	}
	return auth.Secret(v), nil
}

// Set stores v as the item for server, replacing what was there.
func (s *Store) Set(ctx context.Context, server, item string, v auth.Secret) error {
	acct, err := account(server, item)
	if err != nil {
		return err
	}
	if !v.IsSet() {
		return fmt.Errorf("store the %s for %s: the value is empty", item, server)
	}
	if s.keyring != nil {
		err = s.keyring.set(ctx, acct, v.Reveal())
	} else {
		err = s.file.set(ctx, acct, v.Reveal())
	}
	if err != nil {
		return fmt.Errorf("store the %s for %s: %w", item, server, err)
	}
	return nil
}

// Delete removes the item for server; existed reports whether there was one. An item that is
// not there is no error.
func (s *Store) Delete(ctx context.Context, server, item string) (existed bool, err error) {
	acct, err := account(server, item)
	if err != nil {
		return false, err
	}
	if s.keyring != nil {
		existed, err = s.keyring.delete(ctx, acct)
	} else {
		existed, err = s.file.delete(ctx, acct)
	}
	if err != nil {
		return false, fmt.Errorf("delete the %s for %s: %w", item, server, err)
	}
	return existed, nil
}

// account is the keyring account of an item: "<server URL> <item>".
func account(server, item string) (string, error) {
	switch item {
	case ItemAccessToken, ItemRefreshToken, ItemPluginKey, ItemAdminToken:
	default:
		return "", fmt.Errorf("unknown secret %q", item)
	}
	if server == "" || strings.ContainsAny(server, " \t\r\n") {
		return "", fmt.Errorf("server URL %q: empty or contains white space", server)
	}
	return server + " " + item, nil
}
