package credentials

import (
	"context"
	"errors"
	"fmt"
	"net"
	"time"

	dbus "github.com/godbus/dbus/v5"
	"github.com/zalando/go-keyring"
)

// Keyring is the OS keyring, as go-keyring's package functions reach it. An absent item is
// go-keyring's keyring.ErrNotFound.
type Keyring interface {
	Get(service, user string) (string, error)
	Set(service, user, password string) error
	Delete(service, user string) error
}

// osKeyring is the real keyring.
type osKeyring struct{}

func (osKeyring) Get(service, user string) (string, error) { return keyring.Get(service, user) }
func (osKeyring) Set(service, user, pass string) error     { return keyring.Set(service, user, pass) }
func (osKeyring) Delete(service, user string) error        { return keyring.Delete(service, user) }

// How long keyring calls may take.
const (
	readTimeout  = 3 * time.Second
	writeTimeout = 60 * time.Second
	waitNotice   = time.Second
)

// limits are the keyring time limits; tests shorten them.
type limits struct {
	read   time.Duration // a Get, and the probe at Open
	write  time.Duration // a Set or Delete, which may wait for the user to unlock the keyring
	notice time.Duration // a write still waiting after this long calls Options.OnWait
}

// probeAccount is the account Open asks for: never a real one, which has a space in it.
const probeAccount = "(probe)"

// noAnswerError is a keyring call that was still running when its time was up.
type noAnswerError struct {
	name  string
	limit time.Duration
}

func (e *noAnswerError) Error() string {
	return fmt.Sprintf("%s did not answer within %s", e.name, e.limit)
}

// timedKeyring runs every keyring call against a time limit. go-keyring cannot cancel a call,
// so each runs in its own goroutine, which is abandoned (and finishes, or not, on its own) when
// the limit or ctx ends the wait.
type timedKeyring struct {
	kr     Keyring
	name   string // what the keyring is called in messages
	goos   string
	lim    limits
	onWait func()
}

func newTimedKeyring(o Options, goos string, lim limits) *timedKeyring {
	kr := o.Keyring
	if kr == nil {
		kr = osKeyring{}
	}
	return &timedKeyring{kr: kr, name: keyringName(goos), goos: goos, lim: lim, onWait: o.OnWait}
}

func (k *timedKeyring) get(ctx context.Context, acct string) (string, error) {
	v, err := call(ctx, k.name, k.lim.read, 0, nil, func() (string, error) {
		return k.kr.Get(Service, acct)
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return "", ErrNotFound
	}
	return v, err
}

func (k *timedKeyring) set(ctx context.Context, acct, v string) error {
	_, err := call(ctx, k.name, k.lim.write, k.lim.notice, k.onWait, func() (struct{}, error) {
		return struct{}{}, k.kr.Set(Service, acct, v)
	})
	return err
}

func (k *timedKeyring) delete(ctx context.Context, acct string) (existed bool, err error) {
	_, err = call(ctx, k.name, k.lim.write, k.lim.notice, k.onWait, func() (struct{}, error) {
		return struct{}{}, k.kr.Delete(Service, acct)
	})
	if errors.Is(err, keyring.ErrNotFound) {
		return false, nil
	}
	return err == nil, err
}

// probe asks for the probe item: an answer, found or not, means the keyring works. Otherwise
// reason says, for a person, why it cannot be used.
func (k *timedKeyring) probe(ctx context.Context) (reason string, err error) {
	_, err = k.get(ctx, probeAccount)
	var noAnswer *noAnswerError
	var dbusErr dbus.Error
	var netErr *net.OpError
	switch {
	case err == nil || errors.Is(err, ErrNotFound):
		return "", nil
	case ctx.Err() != nil:
		return "", err
	case errors.As(err, &noAnswer):
		return err.Error(), err
	case errors.Is(err, keyring.ErrUnsupportedPlatform):
		reason = "there is no OS keyring on " + k.goos
	case errors.As(err, &dbusErr) && dbusErr.Name == "org.freedesktop.DBus.Error.ServiceUnknown":
		reason = "no Secret Service on the D-Bus session bus (nothing provides org.freedesktop.secrets)"
	case errors.As(err, &netErr) && usesDBus(k.goos):
		// A stale DBUS_SESSION_BUS_ADDRESS, e.g. in a terminal multiplexer that outlived the login.
		err = fmt.Errorf("cannot connect to the D-Bus session bus: %w", err)
		return err.Error(), err
	default:
		err = fmt.Errorf("the keyring refused: %w", err)
		return err.Error(), err
	}
	return reason, fmt.Errorf("%s: %w", reason, err)
}

// call runs f and waits at most limit for it, or until ctx ends. When onWait is not nil and f
// is still running after notice, onWait is called, once.
func call[T any](ctx context.Context, name string, limit, notice time.Duration, onWait func(), f func() (T, error)) (T, error) {
	var zero T
	if err := context.Cause(ctx); err != nil {
		return zero, fmt.Errorf("before asking %s: %w", name, err)
	}
	type result struct {
		v   T
		err error
	}
	done := make(chan result, 1) // buffered: an abandoned call can still finish, and is collected
	go func() {
		v, err := f()
		done <- result{v, err}
	}()
	deadline := time.NewTimer(limit)
	defer deadline.Stop()
	var noticeC <-chan time.Time
	if onWait != nil {
		t := time.NewTimer(notice)
		defer t.Stop()
		noticeC = t.C
	}
	for {
		select {
		case r := <-done:
			return r.v, r.err
		case <-noticeC:
			noticeC = nil
			onWait()
		case <-deadline.C:
			return zero, &noAnswerError{name: name, limit: limit}
		case <-ctx.Done():
			return zero, fmt.Errorf("gave up waiting for %s: %w", name, context.Cause(ctx))
		}
	}
}

// usesDBus reports whether go-keyring reaches the keyring over the D-Bus session bus on goos.
func usesDBus(goos string) bool {
	switch goos {
	case "linux", "freebsd", "openbsd", "netbsd", "dragonfly":
		return true
	}
	return false
}

// keyringName is what the OS keyring is called on goos.
func keyringName(goos string) string {
	switch {
	case usesDBus(goos):
		return "the Secret Service"
	case goos == "darwin":
		return "the macOS Keychain"
	case goos == "windows":
		return "the Windows Credential Manager"
	}
	return "the OS keyring"
}
