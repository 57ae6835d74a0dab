package tui

import (
	"context"
	"errors"
	"log/slog"

	tea "charm.land/bubbletea/v2"

	"github.com/latchkeyhq/latchkey/auth"
)

// The login screen's calls, each driving a sign-in and reporting in a
// message, and what the screen makes of the answers.

func beginSignIn(deps Deps, at *attempt) tea.Cmd {
	return func() tea.Msg {
		signIn, err := BeginSignIn(deps)
		return loginStartedMsg{at: at, signIn: signIn, err: err}
	}
}

func openBrowser(open func(string) (bool, string), at *attempt, url string) tea.Cmd {
	return func() tea.Msg {
		opened, note := open(url)
		return openedMsg{at: at, opened: opened, note: note}
	}
}

func waitForBrowser(ctx context.Context, log *slog.Logger, at *attempt, signIn *SignIn) tea.Cmd {
	return func() tea.Msg {
		me, err := signIn.Wait(ctx)
		logSignIn(log, "browser", err)
		return signedInMsg{at: at, me: me, err: err}
	}
}

func pasteAddress(log *slog.Logger, at *attempt, signIn *SignIn, pasted string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), passwordTimeout)
		defer cancel()
		me, err := signIn.Paste(ctx, pasted)
		logSignIn(log, "pasted address", err)
		return signedInMsg{at: at, me: me, err: err, pasted: true}
	}
}

func checkPassword(ctx context.Context, cancel context.CancelFunc, log *slog.Logger, at *attempt, session *Session, username string, password auth.Secret) tea.Cmd {
	return func() tea.Msg {
		defer cancel()
		me, err := PasswordSignIn(ctx, session, username, password)
		logSignIn(log, "password", err)
		return signedInMsg{at: at, me: me, err: err}
	}
}

// logSignIn notes how a sign-in ended in the log file (never a secret:
// errors carry none).
func logSignIn(log *slog.Logger, how string, err error) {
	switch {
	case log == nil:
	case err == nil:
		log.Info("signed in", "how", how)
	default:
		log.Info("sign-in did not finish", "how", how, "err", err)
	}
}

// closeSignIn stops a loopback receiver, then sends then (if any).
func closeSignIn(signIn *SignIn, then tea.Msg) tea.Cmd {
	if signIn == nil && then == nil {
		return nil
	}
	return func() tea.Msg {
		if signIn != nil {
			signIn.Close() // a failure to stop listening leaves nothing to tell the person
		}
		return then
	}
}

// started shows the URL, opens the browser (unless --no-browser) and waits.
func (m loginModel) started(msg loginStartedMsg) (loginModel, tea.Cmd) {
	if msg.at != m.at {
		return m, closeSignIn(msg.signIn, nil)
	}
	if msg.err != nil {
		m.step, m.problem = loginFailed, msg.err.Error()
		return m, nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), loginTimeout)
	m.signIn, m.cancel = msg.signIn, cancel
	cmds := []tea.Cmd{waitForBrowser(ctx, m.deps.Log, m.at, m.signIn)}
	if m.start == StartLoginPaste {
		m.step = loginPasting
		cmds = append(cmds, m.paste.Focus())
	} else {
		m.step = loginWaiting
		cmds = append(cmds, openBrowser(m.deps.OpenURL, m.at, m.signIn.URL()))
	}
	return m, tea.Batch(cmds...)
}

// finished handles the end of a sign-in, good or bad.
func (m loginModel) finished(msg signedInMsg) (loginModel, tea.Cmd) {
	var refused *auth.OAuthError
	switch {
	case msg.err == nil:
		m.stop()
		me := msg.me
		return m, tea.Batch(
			closeSignIn(m.signIn, nil),
			func() tea.Msg { return accountMsg{account: me.Account, team: me.Team} },
			func() tea.Msg { return navigateMsg{to: screenProfile} },
		)
	case m.step == loginChecking:
		m.step, m.problem = loginPassword, passwordProblem(msg.err)
		m.pw = newPasswordForm(m.username, textWidth(m.width))
		return m, m.pw.init()
	case msg.pasted && !errors.As(msg.err, &refused) && pasteMistake(msg.err, m.redirectPrefix()) != "":
		// Not this sign-in's address: let the person paste again.
		m.step, m.problem = loginPasting, pasteMistake(msg.err, m.redirectPrefix())
		focus := m.paste.Focus()
		return m, focus
	case msg.pasted && m.step != loginFinishing:
		return m, nil // a paste that lost the race to the browser
	case !msg.pasted && (errors.Is(msg.err, context.Canceled) || errors.Is(msg.err, auth.ErrLoopbackClosed)):
		return m, nil // we stopped it
	}
	m.stop()
	m.step, m.timedOut = loginFailed, errors.Is(msg.err, context.DeadlineExceeded)
	switch {
	case m.timedOut:
		m.problem = "No answer from the browser within 5 minutes; that sign-in link no longer works."
	case errors.As(msg.err, &refused):
		m.problem = refusalText(refused)
	default:
		m.problem = msg.err.Error()
	}
	return m, closeSignIn(m.signIn, nil)
}

// stop ends the wait in flight; the receiver is closed by a command.
func (m *loginModel) stop() {
	if m.cancel != nil {
		m.cancel()
		m.cancel = nil
	}
}
