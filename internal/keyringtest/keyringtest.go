// Package keyringtest runs a real Secret Service for tests: a private D-Bus session bus
// (dbus-daemon) with an unlocked gnome-keyring on it, the way a Linux desktop provides the OS
// keyring. It also runs the two broken set-ups a client must survive: a bus on which nothing
// provides the Secret Service, and a Secret Service that never answers.
//
// A missing binary is an error that names the Debian package to install; tests that need the
// keyring fail on it, they never skip.
package keyringtest

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	dbus "github.com/godbus/dbus/v5"
)

// The Secret Service's well-known name on the session bus.
const secretsName = "org.freedesktop.secrets"

// Password is the password of the keyring that Start creates and unlocks.
const Password = "latchkey-test"

// startTimeout bounds each daemon's start when ctx has no earlier deadline.
const startTimeout = 15 * time.Second

// maxSocketPath is the longest unix socket path Linux accepts (sun_path is 108 bytes, NUL included).
const maxSocketPath = 107

// Session is a private D-Bus session bus and what runs on it. Stop ends it.
type Session struct {
	addr  string
	procs []*proc // in start order; stopped in reverse

	owner   *dbus.Conn    // StartHung's silent owner of the Secret Service name
	release chan struct{} // closed by Stop: ends the owner's blocked method calls

	stopOnce sync.Once
	stopErr  error
}

// Start runs a private session bus with an unlocked gnome-keyring (secrets component only) on
// it. dir holds the bus socket, the keyring's HOME and XDG directories (so its keyring files are
// private to the session) and the daemons' logs; keep it short, a unix socket path has at most
// 107 bytes. ctx bounds the start only: the daemons run until Stop, or until this process dies.
func Start(ctx context.Context, dir string) (*Session, error) {
	for _, name := range []string{"dbus-daemon", "gnome-keyring-daemon", "secret-tool"} {
		if err := lookPath(name); err != nil {
			return nil, err
		}
	}
	s, err := startBus(ctx, dir)
	if err != nil {
		return nil, err
	}
	if err := s.startKeyring(ctx, dir); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// StartBus runs a private session bus on which nothing provides the Secret Service: the bus
// starts no service on demand, so a call to org.freedesktop.secrets fails at once with
// org.freedesktop.DBus.Error.ServiceUnknown.
func StartBus(ctx context.Context, dir string) (*Session, error) {
	if err := lookPath("dbus-daemon"); err != nil {
		return nil, err
	}
	return startBus(ctx, dir)
}

// StartHung runs a private session bus on which this process owns org.freedesktop.secrets and
// never answers a call to it, like a Secret Service stuck behind an unlock prompt nobody sees.
// Calls block until Stop.
func StartHung(ctx context.Context, dir string) (*Session, error) {
	if err := lookPath("dbus-daemon"); err != nil {
		return nil, err
	}
	s, err := startBus(ctx, dir)
	if err != nil {
		return nil, err
	}
	if err := s.ownSilently(ctx); err != nil {
		return nil, errors.Join(err, s.Stop())
	}
	return s, nil
}

// Address is the bus address, for DBUS_SESSION_BUS_ADDRESS.
func (s *Session) Address() string { return s.addr }

// Env returns what a client process needs to use this session (NAME=value): the bus address.
// Append it to os.Environ() for a child process; in a test binary, set it in TestMain before the
// first keyring call (godbus connects to the session bus once per process).
func (s *Session) Env() []string {
	return []string{"DBUS_SESSION_BUS_ADDRESS=" + s.addr}
}

// Stop ends everything the session started and waits until the daemons are gone. Only the first
// call does the work; later calls return its result.
func (s *Session) Stop() error {
	s.stopOnce.Do(func() {
		var errs []error
		if s.owner != nil {
			close(s.release)
			if err := s.owner.Close(); err != nil {
				errs = append(errs, fmt.Errorf("close the secrets name owner: %w", err))
			}
		}
		for i := len(s.procs) - 1; i >= 0; i-- {
			if err := s.procs[i].Stop(5 * time.Second); err != nil {
				errs = append(errs, err)
			}
		}
		s.stopErr = errors.Join(errs...)
	})
	return s.stopErr
}

// lookPath checks that a program this package runs is installed, naming its Debian package if not.
func lookPath(name string) error {
	if _, err := exec.LookPath(name); err != nil {
		return fmt.Errorf("%s not found: install the Debian package %s: %w", name, debianPackage(name), err)
	}
	return nil
}

func debianPackage(name string) string {
	switch name {
	case "dbus-daemon":
		return "dbus-daemon (pulled in by dbus)"
	case "gnome-keyring-daemon":
		return "gnome-keyring"
	case "secret-tool":
		return "libsecret-tools"
	}
	return "that provides " + name
}

// busConfig is a session bus that listens on one socket, lets everyone talk and own names, and
// has no service directories: it never starts a service on demand (the system's session
// config would start the machine's own gnome-keyring for org.freedesktop.secrets).
const busConfig = `<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>session</type>
  <listen>%s</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
`

func startBus(ctx context.Context, dir string) (*Session, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("start the session bus: %w", err)
	}
	socket := filepath.Join(dir, "bus")
	if len(socket) > maxSocketPath {
		return nil, fmt.Errorf("start the session bus: socket path %s is longer than %d bytes: use a shorter directory", socket, maxSocketPath)
	}
	listen := "unix:path=" + dbus.EscapeBusAddressValue(socket)
	conf := filepath.Join(dir, "bus.conf")
	if err := os.WriteFile(conf, fmt.Appendf(nil, busConfig, listen), 0o600); err != nil {
		return nil, fmt.Errorf("start the session bus: %w", err)
	}
	logPath := filepath.Join(dir, "dbus-daemon.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return nil, fmt.Errorf("start the session bus: %w", err)
	}
	defer logFile.Close() // the daemon has its own copy
	addrR, addrW, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start the session bus: %w", err)
	}
	defer addrR.Close()
	cmd := exec.Command("dbus-daemon", "--config-file="+conf, "--nofork", "--print-address=3")
	cmd.Stdout, cmd.Stderr = logFile, logFile
	cmd.ExtraFiles = []*os.File{addrW} // fd 3
	p, err := startProc("dbus-daemon", cmd)
	addrW.Close() // the daemon's copy is the only writer left: its exit means EOF
	if err != nil {
		return nil, fmt.Errorf("start the session bus: %w", err)
	}
	s := &Session{procs: []*proc{p}}

	// dbus-daemon prints its address once it listens.
	line := make(chan string, 1)
	go func() {
		l, _ := bufio.NewReader(addrR).ReadString('\n')
		line <- strings.TrimSpace(l)
	}()
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	select {
	case s.addr = <-line:
	case <-ctx.Done():
		return nil, errors.Join(fmt.Errorf("start the session bus: no address printed: %w (log %s)", context.Cause(ctx), logPath), s.Stop())
	}
	if s.addr == "" {
		<-p.Exited()
		return nil, errors.Join(fmt.Errorf("start the session bus: dbus-daemon exited: %v: %s", p.Err(), tail(logPath)), s.Stop())
	}
	return s, nil
}

// startKeyring runs gnome-keyring-daemon on the bus, with the keyring password on stdin (it
// creates the login keyring with it on first use, and unlocks it), and waits until a secret can
// be stored and read back through the bus.
func (s *Session) startKeyring(ctx context.Context, dir string) error {
	env := []string{
		"DBUS_SESSION_BUS_ADDRESS=" + s.addr,
		"PATH=" + os.Getenv("PATH"),
		"HOME=" + filepath.Join(dir, "home"),
		"XDG_DATA_HOME=" + filepath.Join(dir, "data"),
		"XDG_CONFIG_HOME=" + filepath.Join(dir, "config"),
		"XDG_CACHE_HOME=" + filepath.Join(dir, "cache"),
		"XDG_RUNTIME_DIR=" + filepath.Join(dir, "run"),
	}
	for _, kv := range env[2:] {
		_, d, _ := strings.Cut(kv, "=")
		if err := os.MkdirAll(d, 0o700); err != nil {
			return fmt.Errorf("start gnome-keyring: %w", err)
		}
	}
	logPath := filepath.Join(dir, "gnome-keyring.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		return fmt.Errorf("start gnome-keyring: %w", err)
	}
	defer logFile.Close()
	cmd := exec.Command("gnome-keyring-daemon", "--foreground", "--unlock", "--components=secrets")
	cmd.Env = env
	cmd.Dir = dir
	cmd.Stdin = strings.NewReader(Password)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	p, err := startProc("gnome-keyring-daemon", cmd)
	if err != nil {
		return fmt.Errorf("start gnome-keyring: %w", err)
	}
	s.procs = append(s.procs, p)

	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	if err := waitForOwner(ctx, s.addr, p); err != nil {
		return fmt.Errorf("start gnome-keyring: %w (log: %s)", err, tail(logPath))
	}
	// The name is there; prove the login keyring works end to end.
	probe := []string{"keyringtest", "probe"}
	clientEnv := s.Env()
	if err := Store(ctx, clientEnv, "keyringtest probe", "ok", probe...); err != nil {
		return fmt.Errorf("start gnome-keyring: %w (log: %s)", err, tail(logPath))
	}
	if v, found, err := Lookup(ctx, clientEnv, probe...); err != nil || !found || v != "ok" {
		return fmt.Errorf("start gnome-keyring: the probe item did not read back (found %t, err %v; log: %s)", found, err, tail(logPath))
	}
	if err := Clear(ctx, clientEnv, probe...); err != nil {
		return fmt.Errorf("start gnome-keyring: %w", err)
	}
	return nil
}

// waitForOwner polls the bus until someone owns the Secret Service name, p exits, or ctx ends.
func waitForOwner(ctx context.Context, addr string, p *proc) error {
	conn, err := dbus.Connect(addr, dbus.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("connect to the session bus: %w", err)
	}
	defer conn.Close()
	tick := time.NewTicker(10 * time.Millisecond)
	defer tick.Stop()
	for {
		var owned bool
		if err := conn.BusObject().CallWithContext(ctx, "org.freedesktop.DBus.NameHasOwner", 0, secretsName).Store(&owned); err != nil {
			return fmt.Errorf("ask the bus for %s: %w", secretsName, err)
		}
		if owned {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s did not appear on the bus: %w", secretsName, context.Cause(ctx))
		case <-p.Exited():
			return fmt.Errorf("%s exited: %v", p.name, p.Err())
		case <-tick.C:
		}
	}
}

// ownSilently takes the Secret Service name on the bus and answers no call to it: the methods a
// client calls first (Properties.Get, Service.OpenSession, Service.Unlock, Service.SearchItems)
// block until Stop, and anything else gets an error, as godbus does for unknown methods.
func (s *Session) ownSilently(ctx context.Context) error {
	conn, err := dbus.Connect(s.addr, dbus.WithContext(context.WithoutCancel(ctx)))
	if err != nil {
		return fmt.Errorf("connect to the session bus: %w", err)
	}
	s.owner, s.release = conn, make(chan struct{})
	h := silent{release: s.release}
	for _, iface := range []string{"org.freedesktop.DBus.Properties", "org.freedesktop.Secret.Service"} {
		if err := conn.Export(h, "/org/freedesktop/secrets", iface); err != nil {
			return fmt.Errorf("export the silent secret service: %w", err)
		}
	}
	reply, err := conn.RequestName(secretsName, dbus.NameFlagDoNotQueue)
	if err != nil {
		return fmt.Errorf("own %s: %w", secretsName, err)
	}
	if reply != dbus.RequestNameReplyPrimaryOwner {
		return fmt.Errorf("own %s: reply %d", secretsName, reply)
	}
	return nil
}

// silent's methods are exported on the Secret Service's path; each blocks until released.
type silent struct{ release <-chan struct{} }

func (h silent) wait() *dbus.Error {
	<-h.release
	return dbus.MakeFailedError(errors.New("keyringtest: session stopped"))
}

func (h silent) Get(iface, prop string) (dbus.Variant, *dbus.Error) {
	return dbus.MakeVariant(""), h.wait()
}

func (h silent) OpenSession(alg string, input dbus.Variant) (dbus.Variant, dbus.ObjectPath, *dbus.Error) {
	return dbus.MakeVariant(""), "/", h.wait()
}

func (h silent) Unlock(objects []dbus.ObjectPath) ([]dbus.ObjectPath, dbus.ObjectPath, *dbus.Error) {
	return nil, "/", h.wait()
}

func (h silent) SearchItems(attrs map[string]string) ([]dbus.ObjectPath, []dbus.ObjectPath, *dbus.Error) {
	return nil, nil, h.wait()
}

// tail returns the end of a log file, for an error message.
func tail(path string) string {
	b, err := os.ReadFile(path)
	if err != nil {
		return fmt.Sprintf("(%s: %v)", path, err)
	}
	const keep = 2000
	if len(b) > keep {
		b = b[len(b)-keep:]
	}
	if s := strings.TrimSpace(string(b)); s != "" {
		return fmt.Sprintf("%s: %s", path, s)
	}
	return path + " is empty"
}
