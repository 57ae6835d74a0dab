package credentials

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// fileStore keeps the secrets in one JSON file, readable by its owner only, rewritten atomically
// on every change. It reads the file on every call, so that several latchkey processes see each
// other's changes; within a process a mutex serialises the read-modify-write of an update.
type fileStore struct {
	path string
	mu   sync.Mutex
}

// fileData is the file's content.
type fileData struct {
	Version int `json:"version"`
	// Announced records that the file fallback has been announced to the user once.
	Announced bool `json:"announced"`
	// Secrets maps a keyring account ("<server URL> <item>") to its value.
	Secrets map[string]string `json:"secrets"`
}

const (
	fileVersion = 1
	maxFileSize = 1 << 20
)

// check reads the file, so that a problem with it shows when the store is opened.
func (f *fileStore) check() error {
	f.mu.Lock()
	defer f.mu.Unlock()
	_, err := f.load()
	return err
}

func (f *fileStore) get(ctx context.Context, acct string) (string, error) {
	if err := context.Cause(ctx); err != nil {
		return "", err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, err := f.load()
	if err != nil {
		return "", err
	}
	v, ok := d.Secrets[acct]
	if !ok {
		return "", ErrNotFound
	}
	return v, nil
}

func (f *fileStore) set(ctx context.Context, acct, v string) error {
	return f.update(ctx, func(d *fileData) bool {
		if d.Secrets[acct] == v {
			return false
		}
		d.Secrets[acct] = v
		return true
	})
}

func (f *fileStore) delete(ctx context.Context, acct string) (existed bool, err error) {
	err = f.update(ctx, func(d *fileData) bool {
		_, existed = d.Secrets[acct]
		delete(d.Secrets, acct)
		return existed
	})
	return existed && err == nil, err
}

// markAnnounced records that the fallback was announced; first is true when it was not before.
func (f *fileStore) markAnnounced() (first bool, err error) {
	err = f.update(context.Background(), func(d *fileData) bool {
		first = !d.Announced
		d.Announced = true
		return first
	})
	return first && err == nil, err
}

// update applies change to the file's content and writes it back when change reports a change.
func (f *fileStore) update(ctx context.Context, change func(*fileData) bool) error {
	if err := context.Cause(ctx); err != nil {
		return err
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	d, err := f.load()
	if err != nil {
		return err
	}
	if !change(&d) {
		return nil
	}
	return f.save(d)
}

// load reads the file; a file that does not exist is empty. It refuses a file that other users
// may read or write, and never quotes the file's content in an error.
func (f *fileStore) load() (fileData, error) {
	d := fileData{Version: fileVersion, Secrets: map[string]string{}}
	fh, err := os.Open(f.path)
	if errors.Is(err, fs.ErrNotExist) {
		return d, nil
	}
	if err != nil {
		return d, fmt.Errorf("read the credentials file: %w", err)
	}
	defer fh.Close()
	fi, err := fh.Stat()
	if err != nil {
		return d, fmt.Errorf("read the credentials file: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return d, fmt.Errorf("credentials file %s is not a regular file", f.path)
	}
	// Windows has no such permission bits: the file inherits the ACL of the user's profile.
	if perm := fi.Mode().Perm(); runtime.GOOS != "windows" && perm&0o077 != 0 {
		return d, fmt.Errorf("credentials file %s is open to other users (mode %04o): run chmod 600 %s", f.path, perm, f.path)
	}
	b, err := io.ReadAll(io.LimitReader(fh, maxFileSize+1))
	if err != nil {
		return d, fmt.Errorf("read the credentials file: %w", err)
	}
	if len(b) > maxFileSize {
		return d, fmt.Errorf("credentials file %s is larger than %d bytes", f.path, maxFileSize)
	}
	if len(bytes.TrimSpace(b)) == 0 {
		return d, nil
	}
	if err := json.Unmarshal(b, &d); err != nil {
		// The JSON error could quote a character of a secret.
		var syntax *json.SyntaxError
		if errors.As(err, &syntax) {
			return d, fmt.Errorf("credentials file %s is damaged: invalid JSON at byte %d", f.path, syntax.Offset)
		}
		return d, fmt.Errorf("credentials file %s is damaged: not the expected JSON", f.path)
	}
	if d.Version > fileVersion {
		return d, fmt.Errorf("credentials file %s has version %d: written by a newer latchkey", f.path, d.Version)
	}
	if d.Secrets == nil {
		d.Secrets = map[string]string{}
	}
	d.Version = fileVersion
	return d, nil
}

// save replaces the file atomically: it writes a temporary file in the same directory, flushes
// it to disk, and renames it over the old one, so a reader sees the old or the new content, never
// a mix, and a crash leaves one of them.
func (f *fileStore) save(d fileData) (err error) {
	b, err := json.MarshalIndent(d, "", "  ")
	if err != nil {
		return fmt.Errorf("encode the credentials file: %w", err)
	}
	b = append(b, '\n')
	dir := filepath.Dir(f.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(f.path)+".*.tmp") // created 0600
	if err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err := tmp.Chmod(0o600); err != nil && runtime.GOOS != "windows" {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	if _, err := tmp.Write(b); err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	if err := os.Rename(tmp.Name(), f.path); err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	return syncDir(dir)
}

// syncDir flushes a directory entry (the rename) to disk, where the system can.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	fh, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("write the credentials file: %w", err)
	}
	defer fh.Close()
	if err := fh.Sync(); err != nil {
		return fmt.Errorf("write the credentials file: sync %s: %w", dir, err)
	}
	return nil
}
