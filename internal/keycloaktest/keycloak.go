// Package keycloaktest runs a real Keycloak for tests and the demo: it fetches the Quarkus
// distribution with mvn, caches it outside the repository, starts it in dev mode on loopback and
// imports realms through the Admin REST API. TestMain in a package that needs Keycloak calls Main;
// tests get the instance with FromEnv.
package keycloaktest

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/internal/procgroup"
)

// DefaultVersion is the Keycloak release used unless LATCHKEY_KEYCLOAK_VERSION says otherwise.
const DefaultVersion = "26.7.3"

const (
	versionEnv   = "LATCHKEY_KEYCLOAK_VERSION"
	startTimeout = 180 * time.Second
	stopGrace    = 20 * time.Second
	// abortGrace is for a start-up that failed or was interrupted: Quarkus handles SIGTERM only
	// once booted, and a private run home has nothing worth a graceful shutdown.
	abortGrace = 2 * time.Second
)

// Options configure Start. The zero value is ready to use.
type Options struct {
	Version  string    // default: $LATCHKEY_KEYCLOAK_VERSION, else DefaultVersion
	CacheDir string    // default: <user cache dir>/latchkey/keycloak, i.e. outside the repository
	Log      io.Writer // optional: Keycloak's output is copied here besides the log file
}

// Instance is a running Keycloak, or one described by the environment (see FromEnv).
type Instance struct {
	URL           string // http://127.0.0.1:PORT, no trailing slash
	AdminUser     string // the master realm's bootstrap admin
	AdminPassword string
	Version       string // empty for an instance from the environment
	LogFile       string // Keycloak's output; empty for an instance from the environment

	client *http.Client
	proc   *procgroup.Group // nil when this process did not start Keycloak
	onStop []func()         // idempotent clean-ups run by Stop once the processes are gone
	token  adminToken
}

// Start starts a Keycloak of its own, downloading and preparing the distribution on first use,
// and returns once the master realm's discovery document answers. ctx bounds only the start-up;
// the instance runs until Stop.
func Start(ctx context.Context, opts Options) (*Instance, error) {
	opts, err := opts.withDefaults()
	if err != nil {
		return nil, err
	}
	java, err := findJDK(ctx, os.Getenv)
	if err != nil {
		return nil, err
	}
	c := cache{dir: filepath.Join(opts.CacheDir, opts.Version), version: opts.Version}
	logFile, out, err := c.openLog(opts.Log)
	if err != nil {
		return nil, err
	}
	inst, err := c.start(ctx, java, out, logFile.Name())
	if err != nil {
		logFile.Close()
		return nil, err
	}
	inst.Version = opts.Version
	// With opts.Log set, Keycloak's output reaches the file through a copying goroutine, so the file
	// stays open until the process is gone.
	inst.onStop = append(inst.onStop, func() { logFile.Close() })
	return inst, nil
}

// openLog creates this run's log file and the writer Keycloak's output goes to.
func (c cache) openLog(extra io.Writer) (*os.File, io.Writer, error) {
	if err := os.MkdirAll(c.logs(), 0o755); err != nil {
		return nil, nil, fmt.Errorf("create keycloak cache: %w", err)
	}
	f, err := os.CreateTemp(c.logs(), "keycloak-*.log")
	if err != nil {
		return nil, nil, fmt.Errorf("create keycloak log: %w", err)
	}
	if extra == nil {
		return f, f, nil
	}
	return f, io.MultiWriter(f, extra), nil
}

// start prepares the cache under its lock and launches Keycloak in a fresh run home. Only the
// first start in a fresh dist runs the Quarkus augmentation, which writes into the shared lib/, so
// that start keeps the lock until Keycloak is up; later starts only read lib/ and run side by side.
func (c cache) start(ctx context.Context, java jdk, out io.Writer, logPath string) (*Instance, error) {
	unlock, err := c.lock(ctx)
	if err != nil {
		return nil, err
	}
	unlock = sync.OnceFunc(unlock)
	defer unlock()
	if err := c.ensureDist(ctx, out); err != nil {
		return nil, err
	}
	c.pruneRuns()
	home, release, err := c.newRunHome()
	if err != nil {
		return nil, err
	}
	_, statErr := os.Stat(c.augmented())
	firstStart := statErr != nil
	if !firstStart {
		unlock()
	}
	inst, err := launch(ctx, launchSpec{home: home, java: java, out: out, logPath: logPath, augmenting: firstStart})
	if err != nil {
		release()
		return nil, err
	}
	inst.onStop = append(inst.onStop, release)
	if firstStart {
		if err := os.WriteFile(c.augmented(), []byte(time.Now().Format(time.RFC3339)+"\n"), 0o644); err != nil {
			return nil, errors.Join(fmt.Errorf("mark keycloak dist as augmented: %w", err), inst.Stop())
		}
	}
	return inst, nil
}

func (o Options) withDefaults() (Options, error) {
	if o.Version == "" {
		o.Version = os.Getenv(versionEnv)
	}
	if o.Version == "" {
		o.Version = DefaultVersion
	}
	if o.CacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return o, fmt.Errorf("find cache dir for keycloak: %w", err)
		}
		o.CacheDir = filepath.Join(base, "latchkey", "keycloak")
	}
	return o, nil
}

type launchSpec struct {
	home       string
	java       jdk
	out        io.Writer
	logPath    string
	augmenting bool // the first start writes the shared lib/: never cut it short
}

// launch starts kc.sh start-dev in home on two free loopback ports and waits until it is ready.
func launch(ctx context.Context, s launchSpec) (*Instance, error) {
	httpPort, err := freePort()
	if err != nil {
		return nil, err
	}
	mgmtPort, err := freePort()
	if err != nil {
		return nil, err
	}
	inst := &Instance{
		URL:           "http://127.0.0.1:" + strconv.Itoa(httpPort),
		AdminUser:     "admin",
		AdminPassword: rand.Text(),
		LogFile:       s.logPath,
		client:        &http.Client{Timeout: 30 * time.Second},
	}
	cmd := exec.Command(filepath.Join(s.home, "bin", "kc.sh"), "start-dev",
		"--http-host=127.0.0.1",
		"--http-port="+strconv.Itoa(httpPort),
		"--http-management-port="+strconv.Itoa(mgmtPort),
		"--hostname="+inst.URL,
		"--db=dev-mem",
	)
	cmd.Dir = s.home
	cmd.Env = kcEnv(os.Environ(), s.java, inst.AdminUser, inst.AdminPassword)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	start := time.Now()
	if inst.proc, err = procgroup.Start(cmd); err != nil {
		return nil, err
	}
	if err := inst.waitReady(ctx); err != nil {
		grace := abortGrace
		if s.augmenting {
			grace = stopGrace
		}
		stopErr := inst.proc.Stop(grace)
		return nil, errors.Join(fmt.Errorf("%w; last lines of %s:\n%s", err, s.logPath, tailFile(s.logPath, 80)), stopErr)
	}
	fmt.Fprintf(s.out, "keycloaktest: keycloak ready at %s in %s (java %d)\n", inst.URL, since(start), s.java.major)
	return inst, nil
}

// kcEnv is the parent's environment without anything kc.sh or Keycloak would read as configuration
// (KC_*, QUARKUS_*, JAVA_OPTS*, DEBUG...), so a developer's shell cannot change how the test
// Keycloak runs, plus the chosen JDK and the bootstrap admin.
func kcEnv(parent []string, java jdk, user, password string) []string {
	var env []string
	for _, kv := range parent {
		name, _, _ := strings.Cut(kv, "=")
		switch {
		case strings.HasPrefix(name, "KC_"), strings.HasPrefix(name, "QUARKUS_"),
			strings.HasPrefix(name, "JAVA_OPTS"), name == "JAVA_HOME", name == "JAVA",
			name == "JAVA_ADD_OPENS", name == "JAVA_LOCALE", name == "DEBUG", name == "DEBUG_PORT",
			name == "DEBUG_SUSPEND", name == "PRINT_ENV":
			continue
		}
		env = append(env, kv)
	}
	env = append(env, "JAVA="+java.java, "KC_BOOTSTRAP_ADMIN_USERNAME="+user, "KC_BOOTSTRAP_ADMIN_PASSWORD="+password)
	if java.home != "" {
		env = append(env, "JAVA_HOME="+java.home)
	}
	return env
}

// waitReady polls the master realm's discovery document until it answers 200, the process exits,
// ctx ends or startTimeout passes.
func (i *Instance) waitReady(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, startTimeout)
	defer cancel()
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	for {
		if i.discoveryOK(ctx, "master") {
			return nil
		}
		select {
		case <-i.proc.Exited():
			return fmt.Errorf("keycloak exited before it was ready: %v", i.proc.Err())
		case <-ctx.Done():
			return fmt.Errorf("wait for keycloak at %s: %w", i.URL, ctx.Err())
		case <-tick.C:
		}
	}
}

// Stop ends Keycloak and every process it started: SIGTERM to the process group, SIGKILL after
// 20 s. It is safe to call more than once and does nothing for an instance from the environment.
func (i *Instance) Stop() error {
	if i.proc == nil {
		return nil
	}
	if err := i.proc.Stop(stopGrace); err != nil {
		return fmt.Errorf("stop keycloak: %w", err)
	}
	for _, f := range i.onStop {
		f()
	}
	return nil
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func since(t time.Time) time.Duration { return time.Since(t).Round(100 * time.Millisecond) }

// tail returns the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// tailFile returns the last n lines of the file at path, reading at most its last 256 KiB.
func tailFile(path string, n int) string {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	defer f.Close()
	const max = 256 << 10
	if fi, err := f.Stat(); err == nil && fi.Size() > max {
		f.Seek(fi.Size()-max, io.SeekStart)
	}
	b, err := io.ReadAll(f)
	if err != nil {
		return fmt.Sprintf("(cannot read log: %v)", err)
	}
	return tail(string(b), n)
}
