package tui

import (
	"context"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// loginTimeout bounds the wait for the browser.
const loginTimeout = 5 * time.Minute

// passwordTimeout bounds a password sign-in or a pasted address's redemption
// (the server, Keycloak, then the keyring).
const passwordTimeout = 2 * time.Minute

// loginStep is where the login screen is.
type loginStep int

const (
	loginStarting  loginStep = iota // starting the loopback receiver
	loginWaiting                    // URL on screen, waiting for the browser
	loginPasting                    // the paste input is focused
	loginFinishing                  // redeeming a pasted address
	loginFailed                     // the sign-in ended without success; enter tries again
	loginPassword                   // the username and password form
	loginChecking                   // the password is being checked
)

// attempt identifies one try at signing in, so that the answer to a try the
// person has left behind (cancelled, timed out, retried) is dropped.
type attempt struct{ _ byte } // not zero-sized: every new(attempt) is distinct

// Messages of the login screen.
type (
	// loginStartedMsg: the loopback receiver listens (or could not).
	loginStartedMsg struct {
		at     *attempt
		signIn *SignIn
		err    error
	}
	// openedMsg: what the browser opener did.
	openedMsg struct {
		at     *attempt
		opened bool
		note   string
	}
	// signedInMsg: a sign-in finished, from the browser, a pasted address
	// or a password.
	signedInMsg struct {
		at     *attempt
		me     api.Me
		err    error
		pasted bool
	}
)

type loginKeys struct {
	Open, Copy, Paste, Submit, Back, Retry, Cancel key.Binding
	Next, Prev                                     key.Binding // the password form's own keys, for help only
	short                                          keyList     // the current step's
}

func newLoginKeys() loginKeys {
	return loginKeys{
		Open:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open again")),
		Copy:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy URL")),
		Paste:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste address")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "sign in")),
		Back:   keyBack,
		Retry:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "try again")),
		Cancel: key.NewBinding(key.WithKeys("esc", "ctrl+c"), key.WithHelp("esc", "cancel")),
		Next:   key.NewBinding(key.WithKeys("enter", "tab"), key.WithHelp("enter", "next")),
		Prev:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
	}
}

// loginModel signs the person in: in the browser through a loopback
// redirect (RFC 8252), by pasting the address the browser ended on, or with a
// username and password. The sign-in logic is SignIn and PasswordSignIn;
// this screen drives them through commands.
type loginModel struct {
	deps     Deps
	start    Start
	step     loginStep
	at       *attempt
	signIn   *SignIn
	cancel   context.CancelFunc // ends the wait or password check in flight
	opened   bool
	note     string // what the browser opener said
	notice   string // the answer to the last key, e.g. "copied"
	problem  string // why the last try failed
	timedOut bool
	paste    textinput.Model
	pw       passwordForm // for --password
	username string
	spinner  spinner.Model
	keys     loginKeys
	width    int
	height   int
}

func newLogin(deps Deps, start Start) loginModel {
	in := textinput.New()
	in.Placeholder = "http://127.0.0.1:…/callback/…?code=…&state=…"
	in.Prompt = "> "
	in.SetWidth(pasteWidth(80))
	m := loginModel{
		deps: deps, start: start, step: loginStarting, at: new(attempt), paste: in,
		spinner: spinner.New(spinner.WithSpinner(spinner.Dot)), keys: newLoginKeys(), width: 80,
	}
	if start == StartLoginPassword {
		m.step = loginPassword
		m.pw = newPasswordForm("", textWidth(m.width))
	}
	return m
}

func (m loginModel) Init() tea.Cmd {
	if m.step == loginPassword {
		return m.pw.init()
	}
	return tea.Batch(m.spinner.Tick, beginSignIn(m.deps, m.at))
}

// spinning reports whether the current step shows the spinner.
func (m loginModel) spinning() bool {
	switch m.step {
	case loginStarting, loginWaiting, loginFinishing, loginChecking:
		return true
	}
	return false
}

// Typing reports whether a text field has the keys.
func (m loginModel) Typing() bool { return m.step == loginPasting || m.step == loginPassword }

// Keys are the keys of the current step.
func (m loginModel) Keys() help.KeyMap { return m.activeKeys().short }

func (m loginModel) activeKeys() loginKeys {
	k := m.keys
	switch m.step {
	case loginWaiting:
		k.short = []key.Binding{k.Open, k.Copy, k.Paste, k.Cancel, globalKeys.Help}
	case loginPasting:
		k.Copy.SetKeys("ctrl+y")
		k.Copy.SetHelp("ctrl+y", "copy URL")
		if m.start == StartLogin {
			k.Cancel.SetKeys("ctrl+c")
			k.Cancel.SetHelp("ctrl+c", "cancel")
			k.short = []key.Binding{k.Submit, k.Copy, k.Back, k.Cancel}
		} else {
			k.short = []key.Binding{k.Submit, k.Copy, k.Cancel}
		}
	case loginFailed:
		k.short = []key.Binding{k.Retry, k.Cancel, globalKeys.Help}
	case loginPassword:
		if m.pw.onPassword() {
			k.Next.SetHelp("enter", "sign in")
			k.short = []key.Binding{k.Next, k.Prev, k.Cancel}
		} else {
			k.short = []key.Binding{k.Next, k.Cancel}
		}
	default:
		k.short = []key.Binding{k.Cancel, globalKeys.Help}
	}
	return k
}

func (m loginModel) Update(msg tea.Msg) (loginModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.paste.SetWidth(pasteWidth(m.width))
		if m.pw.form != nil {
			m.pw.form = m.pw.form.WithWidth(textWidth(m.width))
		}
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = spinWhile(m.spinning(), m.spinner, msg)
		return m, cmd
	case loginStartedMsg:
		return m.started(msg)
	case openedMsg:
		if msg.at == m.at {
			m.opened, m.note = msg.opened, msg.note
		}
		return m, nil
	case signedInMsg:
		if msg.at != m.at {
			return m, nil // an attempt left behind
		}
		return m.finished(msg)
	case tea.PasteMsg:
		if m.step == loginWaiting {
			// A paste while waiting is the address the browser ended on.
			m.step, m.notice = loginPasting, ""
			focus := m.paste.Focus()
			return m.updatePaste(msg, focus)
		}
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	}
	return m.updateFields(msg)
}

func (m loginModel) keyPress(msg tea.KeyPressMsg) (loginModel, tea.Cmd) {
	k := m.activeKeys()
	switch m.step {
	case loginPasting:
		switch {
		case key.Matches(msg, k.Submit):
			pasted := strings.TrimSpace(m.paste.Value())
			if pasted == "" {
				m.problem = "Paste the address first."
				return m, nil
			}
			m.step, m.problem = loginFinishing, ""
			m.paste.Blur()
			return m, tea.Batch(m.spinner.Tick, pasteAddress(m.deps.Log, m.at, m.signIn, pasted))
		case key.Matches(msg, k.Copy):
			return m.copyURL()
		case m.start == StartLogin && key.Matches(msg, k.Back):
			m.step, m.problem = loginWaiting, ""
			m.paste.Blur()
			return m, m.spinner.Tick
		case key.Matches(msg, k.Cancel):
			return m.leave()
		}
		m.problem = "" // the person is fixing it
		return m.updatePaste(msg, nil)
	case loginPassword:
		if key.Matches(msg, k.Cancel) {
			return m.leave()
		}
		return m.updateForm(msg)
	case loginWaiting:
		switch {
		case key.Matches(msg, k.Open):
			m.notice = ""
			return m, openBrowser(m.deps.OpenURL, m.at, m.signIn.URL())
		case key.Matches(msg, k.Copy):
			return m.copyURL()
		case key.Matches(msg, k.Paste):
			m.step, m.notice = loginPasting, ""
			focus := m.paste.Focus()
			return m, focus
		}
	case loginFailed:
		if key.Matches(msg, k.Retry) {
			return m.retry()
		}
	}
	if key.Matches(msg, k.Cancel) {
		return m.leave()
	}
	return m, nil
}

func (m loginModel) copyURL() (loginModel, tea.Cmd) {
	m.notice = "URL copied (if your terminal supports OSC 52)."
	return m, tea.SetClipboard(m.signIn.URL())
}

// leave cancels the sign-in, stops listening, and goes home (which ends the
// program when it was started as `latchkey login`).
func (m loginModel) leave() (loginModel, tea.Cmd) {
	m.stop()
	m.at = new(attempt) // whatever is in flight is dropped
	return m, closeSignIn(m.signIn, navigateMsg{to: screenHome})
}

// retry starts a new sign-in after a failure or a timeout.
func (m loginModel) retry() (loginModel, tea.Cmd) {
	m.stop()
	old := m.signIn
	fresh := newLogin(m.deps, m.start)
	fresh.width, fresh.height = m.width, m.height
	return fresh, tea.Batch(closeSignIn(old, nil), fresh.Init())
}

// updateFields hands other messages (cursor blinks, form internals) to the
// field that has the keys.
func (m loginModel) updateFields(msg tea.Msg) (loginModel, tea.Cmd) {
	switch m.step {
	case loginPasting:
		return m.updatePaste(msg, nil)
	case loginPassword:
		return m.updateForm(msg)
	}
	return m, nil
}

func (m loginModel) updatePaste(msg tea.Msg, also tea.Cmd) (loginModel, tea.Cmd) {
	var cmd tea.Cmd
	m.paste, cmd = m.paste.Update(msg)
	return m, tea.Batch(also, cmd)
}

func (m loginModel) updateForm(msg tea.Msg) (loginModel, tea.Cmd) {
	form, cmd := m.pw.form.Update(msg)
	if f, ok := form.(*huh.Form); ok {
		m.pw.form = f
	}
	switch m.pw.form.State {
	case huh.StateAborted:
		return m.leave()
	case huh.StateCompleted:
		m.username = strings.TrimSpace(m.pw.creds.username)
		password := auth.Secret(m.pw.creds.password)
		m.pw.creds.password = ""
		ctx, cancel := context.WithTimeout(context.Background(), passwordTimeout)
		m.step, m.problem, m.cancel, m.at = loginChecking, "", cancel, new(attempt)
		return m, tea.Batch(cmd, m.spinner.Tick, checkPassword(ctx, cancel, m.deps.Log, m.at, m.deps.Session, m.username, password))
	}
	return m, cmd
}
