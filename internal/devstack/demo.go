package main

import (
	"bufio"
	"context"
	"crypto/rand"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

const demoRealm = "testdata/keycloak/demo-realm.json"

type demoConfig struct {
	listen      string
	keycloakLog bool
	noTUI       bool
}

func parseDemoArgs(args []string) (demoConfig, error) {
	var cfg demoConfig
	fs := flag.NewFlagSet("demo", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // the error returned below says it all, once
	fs.StringVar(&cfg.listen, "listen", "127.0.0.1:8008", "address for latchkey serve")
	fs.BoolVar(&cfg.keycloakLog, "keycloak-log", false, "copy Keycloak's output to stderr")
	fs.BoolVar(&cfg.noTUI, "no-tui", false, "do not open the terminal client")
	if err := fs.Parse(args); errors.Is(err, flag.ErrHelp) {
		return cfg, errUsage
	} else if err != nil {
		return cfg, fmt.Errorf("%w\n%v", errUsage, err)
	}
	if fs.NArg() > 0 {
		return cfg, errUsage
	}
	return cfg, nil
}

// runDemo runs Keycloak with the demo realm and a freshly built latchkey server wired to it, prints
// how to use them, opens the terminal client on a terminal, and keeps both running until ctx ends
// (Ctrl-C), then stops latchkey first so it never talks to a Keycloak that is gone.
func runDemo(ctx context.Context, cfg demoConfig, stdin io.Reader, stdout, stderr io.Writer) (err error) {
	root, err := keycloaktest.RepoRoot()
	if err != nil {
		return err
	}
	realm, err := keycloaktest.LoadRealm(filepath.Join(root, demoRealm))
	if err != nil {
		return err
	}
	opts := keycloaktest.Options{}
	if cfg.keycloakLog {
		opts.Log = stderr
	}
	kc, err := startKeycloak(ctx, opts, filepath.Join(root, demoRealm), stderr)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, stopKeycloak(kc, stderr)) }()

	bin := filepath.Join(root, ".demo", "latchkey")
	if err := buildLatchkey(ctx, root, bin, stderr); err != nil {
		return err
	}
	token := rand.Text()
	// The server logs to a file: the terminal belongs to the TUI.
	logPath := filepath.Join(root, ".demo", "serve.log")
	serveLog, err := os.OpenFile(logPath, os.O_WRONLY|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return fmt.Errorf("open the server log: %w", err)
	}
	defer serveLog.Close()
	srv, err := startLatchkey(bin, serveArgs(cfg.listen, filepath.Join(root, ".demo", "data"), kc.URL, realm), []string{
		"LATCHKEY_ADMIN_TOKEN=" + token,
		"LATCHKEY_KEYCLOAK_CLIENT_SECRET=" + realm.ClientSecret,
	}, serveLog)
	if err != nil {
		return err
	}
	defer func() { err = errors.Join(err, srv.stop()) }()
	if err := srv.waitHealthy(ctx, "http://"+cfg.listen+"/healthz"); err != nil {
		return err
	}
	printDemo(stdout, "http://"+cfg.listen, token, kc, realm)
	fmt.Fprintf(stdout, "latchkey serve logs to %s.\n", logPath)
	if !cfg.noTUI && isTerminal(stdin) && isTerminal(stdout) {
		if err := runClient(ctx, bin, root, "http://"+cfg.listen, token, stdin, stdout, stderr); err != nil {
			fmt.Fprintln(stderr, "terminal client:", err)
		}
		fmt.Fprintf(stdout, "\nThe terminal client closed; open it again with\n\n    %s\n\nlatchkey and Keycloak keep running. Ctrl-C stops them.\n", clientCommand(bin, root, "http://"+cfg.listen))
	}
	select {
	case <-ctx.Done():
		fmt.Fprintln(stderr, "stopping latchkey, then keycloak")
		return nil
	case <-srv.exited:
		return fmt.Errorf("latchkey serve exited: %v", srv.err)
	}
}

// clientEnv keeps the demo client's config and state under .demo, and
// hands it the admin token so the wizard and Users screen work at once.
func clientEnv(root, token string) []string {
	return []string{
		"XDG_CONFIG_HOME=" + filepath.Join(root, ".demo", "client", "config"),
		"XDG_STATE_HOME=" + filepath.Join(root, ".demo", "client", "state"),
		"LATCHKEY_ADMIN_TOKEN=" + token,
	}
}

func clientCommand(bin, root, server string) string {
	return fmt.Sprintf("XDG_CONFIG_HOME=%s XDG_STATE_HOME=%s %s --server %s",
		filepath.Join(root, ".demo", "client", "config"), filepath.Join(root, ".demo", "client", "state"), bin, server)
}

// runClient waits for Enter (so the printed credentials can be read first)
// and then runs the terminal client's home screen on this terminal.
func runClient(ctx context.Context, bin, root, server, token string, stdin io.Reader, stdout, stderr io.Writer) error {
	fmt.Fprintln(stdout, "\nPress Enter to open the terminal client (Ctrl-C stops everything).")
	line := make(chan error, 1)
	go func() {
		_, err := bufio.NewReader(stdin).ReadString('\n')
		line <- err
	}()
	select {
	case <-ctx.Done():
		return nil
	case err := <-line:
		if err != nil {
			return err
		}
	}
	cmd := exec.CommandContext(ctx, bin, "--server", server)
	cmd.Env = append(os.Environ(), clientEnv(root, token)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, stdout, stderr
	return cmd.Run()
}

func isTerminal(f any) bool {
	file, ok := f.(*os.File)
	return ok && term.IsTerminal(int(file.Fd()))
}

func serveArgs(listen, dataDir, keycloakURL string, realm keycloaktest.Realm) []string {
	return []string{"serve",
		"--listen", listen,
		"--data-dir", dataDir,
		"--keycloak-url", keycloakURL,
		"--keycloak-realm", realm.Name,
		"--keycloak-client-id", realm.ClientID,
	}
}

func buildLatchkey(ctx context.Context, root, bin string, stderr io.Writer) error {
	start := time.Now()
	cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/latchkey")
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = stderr, stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build latchkey: %w", err)
	}
	fmt.Fprintf(stderr, "built %s in %s\n", bin, since(start))
	return nil
}

// server is the running `latchkey serve`.
type server struct {
	cmd    *exec.Cmd
	exited chan struct{}
	err    error // Wait's result; read after exited is closed
}

// startLatchkey starts the server in its own process group, so the terminal's Ctrl-C reaches only
// devstack, which then stops latchkey before Keycloak. Pdeathsig ends the server if devstack is
// killed outright.
func startLatchkey(bin string, args, env []string, stderr io.Writer) (*server, error) {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), env...)
	cmd.Stdout, cmd.Stderr = stderr, stderr
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGTERM}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start latchkey: %w", err)
	}
	s := &server{cmd: cmd, exited: make(chan struct{})}
	go func() { s.err = cmd.Wait(); close(s.exited) }()
	return s, nil
}

// waitHealthy polls url until it answers 200, for up to 60 s or until the server exits.
func (s *server) waitHealthy(ctx context.Context, url string) error {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	client := &http.Client{Timeout: 2 * time.Second}
	for {
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-s.exited:
			return fmt.Errorf("latchkey serve exited before %s answered: %v", url, s.err)
		case <-ctx.Done():
			return fmt.Errorf("wait for %s: %w", url, ctx.Err())
		case <-tick.C:
		}
	}
}

// stop sends SIGTERM (the server shuts down gracefully) and SIGKILLs it after 10 s.
func (s *server) stop() error {
	select {
	case <-s.exited:
		return nil
	default:
	}
	if err := s.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("stop latchkey: %w", err)
	}
	select {
	case <-s.exited:
		return nil
	case <-time.After(10 * time.Second):
	}
	if err := s.cmd.Process.Kill(); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return fmt.Errorf("kill latchkey: %w", err)
	}
	<-s.exited
	return nil
}

func printDemo(w io.Writer, latchkeyURL, token string, kc *keycloaktest.Instance, realm keycloaktest.Realm) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "\nlatchkey\t%s\n", latchkeyURL)
	fmt.Fprintf(tw, "admin token\t%s\n", token)
	fmt.Fprintf(tw, "keycloak console\t%s/admin/master/console/#/%s\n", kc.URL, realm.Name)
	fmt.Fprintf(tw, "keycloak admin\t%s / %s\n", kc.AdminUser, kc.AdminPassword)
	fmt.Fprintf(tw, "\nuser (realm %s)\tpassword\temail\tgroups\n", realm.Name)
	for _, u := range realm.Users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", u.Username, u.Password, orDash(u.Email), orDash(strings.Join(u.Groups, ", ")))
	}
	tw.Flush()
	fmt.Fprintln(w, "\nCtrl-C stops latchkey and Keycloak.")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
