package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"github.com/spf13/cobra"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/tui"
	"github.com/latchkeyhq/latchkey/tui/browser"
)

// Exit codes that scripts rely on.
const (
	exitSignedOut = 2 // status, key: not signed in; latchkey without a terminal
)

// loginTimeout bounds the wait for the browser.
const loginTimeout = 5 * time.Minute

func addClientCommands(root *cobra.Command, o *clientOptions, env map[string]string) {
	withClient := func(run func(ctx context.Context, c *client, args []string) error) func(*cobra.Command, []string) error {
		return func(cmd *cobra.Command, args []string) error {
			c, err := openClient(cmd.Context(), *o, env, cmd.InOrStdin(), cmd.OutOrStdout(), cmd.ErrOrStderr())
			if err != nil {
				return err
			}
			defer c.Close()
			return run(cmd.Context(), c, args)
		}
	}
	root.RunE = func(cmd *cobra.Command, args []string) error {
		if !isTerminal(cmd.InOrStdin(), cmd.OutOrStdout()) {
			cmd.SetOut(cmd.ErrOrStderr())
			cmd.Usage()
			return &exitError{code: exitSignedOut, err: errors.New("the home screen needs a terminal; see the commands above")}
		}
		return withClient(func(ctx context.Context, c *client, _ []string) error { return c.runTUI(ctx, tui.StartHome) })(cmd, args)
	}

	setup := &cobra.Command{
		Use:   "setup",
		Short: "Administrator: connect the server to Keycloak, step by step",
		Args:  cobra.NoArgs,
		RunE: withClient(func(ctx context.Context, c *client, _ []string) error {
			return c.runTUI(ctx, tui.StartSetup)
		}),
	}

	var noBrowser, password bool
	var username string
	login := &cobra.Command{
		Use:   "login",
		Short: "Sign in through Keycloak in the browser and get your plugin key",
		Long: `Sign in through your company's Keycloak.

By default latchkey opens the sign-in page in your browser and waits for it on
a loopback address of this machine. --no-browser prints the URL and asks for the
address the browser ends on (for SSH sessions). --password asks for your Keycloak
username and password instead (headless machines); without a terminal they are
read from stdin, one per line (or the username from --username).`,
		Args: cobra.NoArgs,
		RunE: withClient(func(ctx context.Context, c *client, _ []string) error {
			switch {
			case isTerminal(c.stdin, c.stdout) && password:
				return c.runTUI(ctx, tui.StartLoginPassword)
			case isTerminal(c.stdin, c.stdout) && noBrowser:
				return c.runTUI(ctx, tui.StartLoginPaste)
			case isTerminal(c.stdin, c.stdout):
				return c.runTUI(ctx, tui.StartLogin)
			case password:
				return c.passwordLogin(ctx, username)
			}
			return c.browserLogin(ctx, noBrowser)
		}),
	}
	login.Flags().BoolVar(&noBrowser, "no-browser", false, "do not open a browser; paste the address it ends on")
	login.Flags().BoolVar(&password, "password", false, "sign in with username and password (Keycloak Direct Access Grant)")
	login.Flags().StringVar(&username, "username", "", "with --password: the Keycloak username")

	var asJSON bool
	status := &cobra.Command{
		Use:   "status",
		Short: "Show who is signed in (exit 0 signed in, 2 not)",
		Args:  cobra.NoArgs,
		RunE: withClient(func(ctx context.Context, c *client, _ []string) error {
			return c.status(ctx, asJSON)
		}),
	}
	status.Flags().BoolVar(&asJSON, "json", false, "print JSON")

	key := &cobra.Command{
		Use:   "key",
		Short: "Print your plugin API key, and nothing else (exit 2 when signed out)",
		Args:  cobra.NoArgs,
		RunE:  withClient(func(ctx context.Context, c *client, _ []string) error { return c.key(ctx) }),
	}

	logout := &cobra.Command{
		Use:   "logout",
		Short: "Sign out: revoke the sign-in at the server and delete the stored secrets",
		Args:  cobra.NoArgs,
		RunE:  withClient(func(ctx context.Context, c *client, _ []string) error { return c.logout(ctx) }),
	}
	root.AddCommand(setup, login, status, key, logout, newDoctorCommand(o, env))
}

func (c *client) deps() tui.Deps {
	opener := browser.Opener{Getenv: func(k string) string { return c.env[k] }, GOOS: runtime.GOOS}
	return tui.Deps{
		Session: c.session,
		OpenURL: func(url string) (bool, string) {
			res, err := opener.Open(url)
			if err != nil {
				c.log.Warn("open browser", "err", err)
				return false, "the browser could not be started: " + err.Error()
			}
			if res.Opened {
				return true, "opened with " + res.How
			}
			return false, res.Reason
		},
		Listen: func(state string) (tui.Receiver, error) { return auth.ListenLoopback(state) },
		Log:    c.log,
	}
}

// runTUI runs the terminal interface from start until the person quits.
func (c *client) runTUI(ctx context.Context, start tui.Start) error {
	if !isTerminal(c.stdin, c.stdout) {
		return &exitError{code: exitSignedOut, err: errors.New("this needs a terminal")}
	}
	environ := make([]string, 0, len(c.env))
	for k, v := range c.env {
		environ = append(environ, k+"="+v)
	}
	p := tea.NewProgram(tui.New(c.deps(), start), tea.WithContext(ctx), tea.WithInput(c.stdin), tea.WithOutput(c.stdout), tea.WithEnvironment(environ))
	_, err := p.Run()
	if errors.Is(err, tea.ErrProgramKilled) && ctx.Err() != nil {
		return nil // Ctrl-C from outside the program (signal)
	}
	return err
}

// browserLogin is `latchkey login` without a terminal: the URL goes to
// stderr, and the code comes back through the loopback or, with
// --no-browser, as the pasted address on stdin.
func (c *client) browserLogin(ctx context.Context, noBrowser bool) error {
	deps := c.deps()
	signIn, err := tui.BeginSignIn(deps)
	if err != nil {
		return err
	}
	defer signIn.Close()
	ctx, cancel := context.WithTimeout(ctx, loginTimeout)
	defer cancel()
	fmt.Fprintf(c.stderr, "Sign in at:\n\n    %s\n\n", signIn.URL())
	var me api.Me
	if noBrowser {
		fmt.Fprintln(c.stderr, "Then paste the address your browser ends on:")
		line, rerr := bufio.NewReader(c.stdin).ReadString('\n')
		if rerr != nil && line == "" {
			return fmt.Errorf("read the pasted address: %w", rerr)
		}
		me, err = signIn.Paste(ctx, strings.TrimSpace(line))
	} else {
		if _, note := deps.OpenURL(signIn.URL()); note != "" {
			fmt.Fprintln(c.stderr, note)
		}
		fmt.Fprintln(c.stderr, "Waiting for the browser (5 minutes at most)…")
		me, err = signIn.Wait(ctx)
	}
	if err != nil {
		return err
	}
	c.signedIn(me)
	return nil
}

func (c *client) passwordLogin(ctx context.Context, username string) error {
	in := bufio.NewReader(c.stdin)
	readLine := func(what string) (string, error) {
		line, err := in.ReadString('\n')
		if line = strings.TrimRight(line, "\r\n"); line == "" {
			return "", fmt.Errorf("read the %s from stdin: %w", what, errors.Join(err, io.ErrUnexpectedEOF))
		}
		return line, nil
	}
	var err error
	if username == "" {
		if username, err = readLine("username"); err != nil {
			return err
		}
	}
	password, err := readLine("password")
	if err != nil {
		return err
	}
	me, err := tui.PasswordSignIn(ctx, c.session, username, auth.Secret(password))
	if err != nil {
		return err
	}
	c.signedIn(me)
	return nil
}

func (c *client) signedIn(me api.Me) {
	fmt.Fprintf(c.stdout, "Signed in to %s as %s (team %s). Your plugin key: latchkey key\n", c.session.Server, me.Account, me.Team)
}

// statusJSON is `latchkey status --json`; its fields are stable.
type statusJSON struct {
	Server        string   `json:"server"`
	SignedIn      bool     `json:"signed_in"`
	Account       string   `json:"account,omitempty"`
	Team          string   `json:"team,omitempty"`
	Teams         []string `json:"teams,omitempty"`
	Endpoint      string   `json:"endpoint,omitempty"`
	Storage       string   `json:"storage"`
	StorageReason string   `json:"storage_reason,omitempty"`
}

func (c *client) status(ctx context.Context, asJSON bool) error {
	me, err := c.session.Me(ctx)
	if err != nil && !errors.Is(err, tui.ErrSignedOut) {
		return err
	}
	st := statusJSON{
		Server: c.session.Server, SignedIn: err == nil, Account: me.Account, Team: me.Team, Teams: me.Teams,
		Endpoint: me.Endpoint, Storage: c.secrets.Backend(), StorageReason: c.secrets.Reason(),
	}
	if asJSON {
		enc := json.NewEncoder(c.stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(st); err != nil {
			return err
		}
	} else {
		c.printStatus(st)
	}
	if !st.SignedIn {
		return &exitError{code: exitSignedOut}
	}
	return nil
}

func (c *client) printStatus(st statusJSON) {
	secrets := st.Storage
	if st.StorageReason != "" {
		secrets += " (" + st.StorageReason + ")"
	}
	if !st.SignedIn {
		fmt.Fprintf(c.stdout, "Not signed in to %s. Run: latchkey login\nsecrets   %s\n", st.Server, secrets)
		return
	}
	team := st.Team
	if len(st.Teams) > 1 {
		team += " (of " + strings.Join(st.Teams, ", ") + ")"
	}
	fmt.Fprintf(c.stdout, "server    %s\naccount   %s\nteam      %s\nendpoint  %s\nsecrets   %s\n", st.Server, st.Account, team, st.Endpoint, secrets)
}

func (c *client) key(ctx context.Context) error {
	me, err := c.session.Me(ctx)
	switch {
	case errors.Is(err, tui.ErrSignedOut):
		return &exitError{code: exitSignedOut, err: err}
	case err != nil:
		return err
	case me.PluginAPIKey == "":
		return &exitError{code: 1, err: errors.New("you have no plugin key: it was revoked by an administrator; create a new one on your profile page")}
	}
	fmt.Fprintln(c.stdout, me.PluginAPIKey)
	return nil
}

func (c *client) logout(ctx context.Context) error {
	removed, err := c.session.Logout(ctx)
	where := c.secrets.Backend()
	if loc := c.secrets.Location(); loc != "" {
		where += " " + loc
	}
	if len(removed) == 0 {
		fmt.Fprintf(c.stdout, "Nothing stored for %s; you were not signed in.\n", c.session.Server)
	} else {
		fmt.Fprintf(c.stdout, "Signed out of %s. Removed from the %s: %s.\n", c.session.Server, where, strings.Join(removed, ", "))
	}
	if err != nil {
		fmt.Fprintln(c.stderr, "latchkey:", err)
	}
	return nil
}
