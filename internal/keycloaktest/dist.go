package keycloaktest

import (
	"archive/zip"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"time"
)

// cache is the per-version cache directory:
//
//	<CacheDir>/<version>/lock        flock(2) serialising download, extraction and augmentation
//	<CacheDir>/<version>/dist/       the extracted keycloak-<version>/ directory, shared read-only
//	<CacheDir>/<version>/augmented   written after the first successful start in dist
//	<CacheDir>/<version>/runs/       one small home per running instance (see newRunHome)
//	<CacheDir>/<version>/logs/       Keycloak's output, kept after Stop for post-mortems
type cache struct {
	dir     string
	version string
}

func (c cache) dist() string      { return filepath.Join(c.dir, "dist") }
func (c cache) augmented() string { return filepath.Join(c.dir, "augmented") }
func (c cache) runs() string      { return filepath.Join(c.dir, "runs") }
func (c cache) logs() string      { return filepath.Join(c.dir, "logs") }

// lock takes the cache's exclusive flock. flock has no timeout, so it is retried non-blocking on a
// ticker until ctx ends; the lock dies with the process, so a crashed run never wedges the cache.
func (c cache) lock(ctx context.Context) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(c.dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open cache lock: %w", err)
	}
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for {
		err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
		if err == nil {
			return func() { f.Close() }, nil // closing the descriptor releases the lock
		}
		if !errors.Is(err, syscall.EWOULDBLOCK) {
			f.Close()
			return nil, fmt.Errorf("lock %s: %w", f.Name(), err)
		}
		select {
		case <-ctx.Done():
			f.Close()
			return nil, fmt.Errorf("wait for cache lock %s: %w", f.Name(), ctx.Err())
		case <-tick.C:
		}
	}
}

// ensureDist downloads and extracts the distribution unless it is there already. The caller holds
// the lock. Extraction goes to a temporary directory renamed into place, so an interrupted run
// leaves no half-extracted dist behind.
func (c cache) ensureDist(ctx context.Context, progress io.Writer) error {
	if _, err := os.Stat(filepath.Join(c.dist(), "bin", "kc.sh")); err == nil {
		return nil
	}
	tmp, err := os.MkdirTemp(c.dir, "fetch-")
	if err != nil {
		return fmt.Errorf("create download dir: %w", err)
	}
	defer os.RemoveAll(tmp)
	start := time.Now()
	zipPath, err := fetch(ctx, c.version, tmp)
	if err != nil {
		return err
	}
	fmt.Fprintf(progress, "keycloaktest: fetched keycloak %s in %s\n", c.version, since(start))
	start = time.Now()
	extracted := filepath.Join(tmp, "x")
	if err := unzip(zipPath, extracted); err != nil {
		return err
	}
	top := filepath.Join(extracted, "keycloak-"+c.version)
	if _, err := os.Stat(filepath.Join(top, "bin", "kc.sh")); err != nil {
		return fmt.Errorf("unexpected layout of keycloak zip: %w", err)
	}
	os.RemoveAll(c.dist()) // a dist without bin/kc.sh is debris; make room for the rename
	// A new dist has not been augmented, whatever an earlier one had.
	if err := os.Remove(c.augmented()); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("reset augmentation marker: %w", err)
	}
	if err := os.Rename(top, c.dist()); err != nil {
		return fmt.Errorf("move keycloak into the cache: %w", err)
	}
	fmt.Fprintf(progress, "keycloaktest: extracted keycloak into %s in %s\n", c.dist(), since(start))
	return nil
}

// fetch asks Maven for the distribution zip: mvn resolves it through the user's own settings and
// local repository, so no repository location needs to be written down here.
func fetch(ctx context.Context, version, dir string) (string, error) {
	mvn, err := exec.LookPath("mvn")
	if err != nil {
		return "", fmt.Errorf("keycloak %s is not cached and mvn is not installed: %w", version, err)
	}
	artifact := "org.keycloak:keycloak-quarkus-dist:" + version + ":zip"
	var out bytes.Buffer
	cmd := exec.CommandContext(ctx, mvn, "-B", "-q", "dependency:copy",
		"-Dartifact="+artifact, "-DoutputDirectory="+dir)
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("download %s with mvn: %w\n%s", artifact, err, tail(out.String(), 40))
	}
	zipPath := filepath.Join(dir, "keycloak-quarkus-dist-"+version+".zip")
	if _, err := os.Stat(zipPath); err != nil {
		return "", fmt.Errorf("mvn did not produce the keycloak zip: %w", err)
	}
	return zipPath, nil
}

// unzip extracts src into dst keeping file modes, so bin/*.sh stay executable.
func unzip(src, dst string) error {
	r, err := zip.OpenReader(src)
	if err != nil {
		return fmt.Errorf("open keycloak zip: %w", err)
	}
	defer r.Close()
	for _, f := range r.File {
		if err := extractFile(f, dst); err != nil {
			return fmt.Errorf("extract %s: %w", f.Name, err)
		}
	}
	return nil
}

func extractFile(f *zip.File, dst string) error {
	target := filepath.Join(dst, filepath.FromSlash(f.Name))
	if !strings.HasPrefix(target, filepath.Clean(dst)+string(filepath.Separator)) {
		return errors.New("path escapes the destination")
	}
	mode := f.Mode()
	if mode.IsDir() {
		return os.MkdirAll(target, 0o755)
	}
	if !mode.IsRegular() {
		return fmt.Errorf("unsupported file type %s", mode.Type())
	}
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	in, err := f.Open()
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(target, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, mode.Perm()|0o200)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// newRunHome builds a private Keycloak home for one instance. Keycloak writes to <home>/data at run
// time (transaction logs, caches), so instances must not share a home; but lib/ (with the augmented
// Quarkus build), themes/, providers/ and conf/ are only read, so they are symlinks into the
// shared dist and a second instance starts without re-augmenting. bin/ is copied because kc.sh
// resolves its own symlink to find the home. The returned release func must be called after the
// instance is gone: it drops the home's flock, which is how pruneRuns tells live homes from debris.
func (c cache) newRunHome() (home string, release func(), err error) {
	if err := os.MkdirAll(c.runs(), 0o755); err != nil {
		return "", nil, fmt.Errorf("create runs dir: %w", err)
	}
	home, err = os.MkdirTemp(c.runs(), "run-")
	if err != nil {
		return "", nil, fmt.Errorf("create run home: %w", err)
	}
	lock, err := lockRunHome(home)
	if err != nil {
		os.RemoveAll(home)
		return "", nil, err
	}
	release = func() { os.RemoveAll(home); lock.Close() }
	for _, name := range []string{"lib", "themes", "providers", "conf", "version.txt"} {
		if err := os.Symlink(filepath.Join(c.dist(), name), filepath.Join(home, name)); err != nil {
			release()
			return "", nil, fmt.Errorf("link %s into run home: %w", name, err)
		}
	}
	if err := os.CopyFS(filepath.Join(home, "bin"), os.DirFS(filepath.Join(c.dist(), "bin"))); err != nil {
		release()
		return "", nil, fmt.Errorf("copy bin into run home: %w", err)
	}
	return home, release, nil
}

// lockRunHome takes a non-blocking flock on home/.lock and returns its open file.
func lockRunHome(home string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(home, ".lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, fmt.Errorf("open run home lock: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock run home %s: %w", home, err)
	}
	return f, nil
}

// pruneRuns removes run homes left by processes that died without Stop (their flock is gone) and
// all but the newest keepLogs log files.
func (c cache) pruneRuns() {
	homes, _ := filepath.Glob(filepath.Join(c.runs(), "run-*"))
	for _, home := range homes {
		if f, err := lockRunHome(home); err == nil {
			os.RemoveAll(home)
			f.Close()
		}
	}
	logs, _ := filepath.Glob(filepath.Join(c.logs(), "keycloak-*.log"))
	sort.Slice(logs, func(i, j int) bool { return modTime(logs[i]).After(modTime(logs[j])) })
	for len(logs) > keepLogs {
		os.Remove(logs[len(logs)-1])
		logs = logs[:len(logs)-1]
	}
}

// keepLogs is how many Keycloak logs stay in the cache for post-mortems.
const keepLogs = 20

func modTime(path string) time.Time {
	fi, err := os.Stat(path)
	if err != nil {
		return time.Time{}
	}
	return fi.ModTime()
}
