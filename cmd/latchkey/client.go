package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"golang.org/x/term"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
	"github.com/latchkeyhq/latchkey/tui"
)

// clientOptions are the flags every client command shares.
type clientOptions struct {
	server  string
	storage string
}

const defaultServer = "http://127.0.0.1:8008"

// client is what the client commands run on: the person's session at one
// server, and where things are written.
type client struct {
	env            map[string]string
	stdin          io.Reader
	stdout, stderr io.Writer
	session        *tui.Session
	secrets        *credentials.Store
	log            *slog.Logger
	closeLog       func()
}

// xdgDir is $XDG_<kind>_HOME/latchkey, or its default under $HOME.
func xdgDir(env map[string]string, variable, fallback string) string {
	if d := env[variable]; d != "" {
		return filepath.Join(d, "latchkey")
	}
	return filepath.Join(env["HOME"], fallback, "latchkey")
}

// openClient sets up the session for the chosen server. Logs go to a file
// in the XDG state directory, never to the terminal.
func openClient(ctx context.Context, o clientOptions, env map[string]string, stdin io.Reader, stdout, stderr io.Writer) (*client, error) {
	server, err := auth.ParsePublicURL(o.server)
	if err != nil {
		return nil, fmt.Errorf("--server: %w", err)
	}
	configDir := xdgDir(env, "XDG_CONFIG_HOME", ".config")
	stateDir := xdgDir(env, "XDG_STATE_HOME", filepath.Join(".local", "state"))
	log, closeLog, err := openLogFile(filepath.Join(stateDir, "latchkey.log"))
	if err != nil {
		return nil, err
	}
	mode, err := credentials.ParseMode(o.storage)
	if err != nil {
		closeLog()
		return nil, fmt.Errorf("--storage: %w", err)
	}
	secrets, err := credentials.Open(ctx, credentials.Options{
		Mode: mode, File: filepath.Join(configDir, "credentials.json"), GOOS: runtime.GOOS,
		Getenv: func(k string) string { return env[k] },
		OnWait: func() { fmt.Fprintln(stderr, "waiting for the keyring to unlock…") },
	})
	if err != nil {
		closeLog()
		return nil, err
	}
	if msg, first := secrets.Announce(); first {
		fmt.Fprintln(stderr, "latchkey:", msg)
	}
	cfg, err := tui.LoadConfig(filepath.Join(configDir, "config.json"))
	if err != nil {
		closeLog()
		return nil, err
	}
	hc := &http.Client{Timeout: 30 * time.Second}
	base := server.String()
	return &client{
		env: env, stdin: stdin, stdout: stdout, stderr: stderr, secrets: secrets, log: log, closeLog: closeLog,
		session: &tui.Session{
			Server: base, Secrets: secrets, OAuth: auth.NewCLI(base, hc), API: api.NewClient(base, hc),
			Config: cfg, LockFile: filepath.Join(stateDir, "refresh.lock"), Now: time.Now,
			EnvAdminToken: auth.Secret(env["LATCHKEY_ADMIN_TOKEN"]),
		},
	}, nil
}

func (c *client) Close() { c.closeLog() }

func openLogFile(path string) (*slog.Logger, func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, nil, fmt.Errorf("create state directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, nil, fmt.Errorf("open log file: %w", err)
	}
	return slog.New(slog.NewTextHandler(f, nil)), func() { f.Close() }, nil
}

// isTerminal reports whether r and w are both a terminal: only then may a
// TUI start.
func isTerminal(r io.Reader, w io.Writer) bool {
	in, ok1 := r.(*os.File)
	out, ok2 := w.(*os.File)
	return ok1 && ok2 && term.IsTerminal(int(in.Fd())) && term.IsTerminal(int(out.Fd()))
}
