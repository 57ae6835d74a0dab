package tui

import (
	"context"
	"errors"
	"log/slog"
	"net/url"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
	"golang.org/x/oauth2"

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
	short                                          []key.Binding
}

func (k loginKeys) ShortHelp() []key.Binding  { return k.short }
func (k loginKeys) FullHelp() [][]key.Binding { return helpColumns(k.short) }

// helpColumns lays the full help out in columns of three.
func helpColumns(keys []key.Binding) [][]key.Binding {
	var cols [][]key.Binding
	for c := range slices.Chunk(keys, 3) {
		cols = append(cols, c)
	}
	return cols
}

func newLoginKeys() loginKeys {
	return loginKeys{
		Open:   key.NewBinding(key.WithKeys("o"), key.WithHelp("o", "open again")),
		Copy:   key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy URL")),
		Paste:  key.NewBinding(key.WithKeys("p"), key.WithHelp("p", "paste address")),
		Submit: key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "sign in")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
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

// textWidth is the width of the text of a screen drawn width cells wide: two
// columns of margin left, one right.
func textWidth(width int) int { return max(width-3, 20) }

// pasteWidth is the paste input's width (it scrolls): the text width less
// the prompt and the cursor.
func pasteWidth(width int) int { return textWidth(width) - 3 }

// passwordForm asks for the username, then the password, one page each.
// The fields write into creds.
type passwordForm struct {
	form  *huh.Form
	creds *loginCreds
}

type loginCreds struct{ username, password string }

func newPasswordForm(username string, width int) passwordForm {
	required := func(what string) func(string) error {
		return func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New(what + " is required")
			}
			return nil
		}
	}
	c := &loginCreds{username: username}
	f := huh.NewForm(
		huh.NewGroup(huh.NewInput().Key("username").Title("Username").Value(&c.username).Validate(required("the username"))),
		huh.NewGroup(huh.NewInput().Key("password").Title("Password").EchoMode(huh.EchoModePassword).Value(&c.password).Validate(required("the password"))),
	).WithShowHelp(false).WithTheme(huh.ThemeFunc(loginFormTheme)).WithWidth(width)
	return passwordForm{form: f, creds: c}
}

// init starts the form, on the password page when the username is known.
func (p passwordForm) init() tea.Cmd {
	cmd := p.form.Init()
	if p.creds.username != "" {
		cmd = tea.Batch(cmd, p.form.NextGroup())
	}
	// The form's colours follow the terminal's background.
	return tea.Batch(cmd, tea.RequestBackgroundColor)
}

// onPassword: the password page has the keys.
func (p passwordForm) onPassword() bool {
	return p.form.GetFocusedField().GetKey() == "password"
}

// loginFormTheme is huh's base theme in this program's colours.
func loginFormTheme(isDark bool) *huh.Styles {
	s := newStyles(isDark)
	t := huh.ThemeBase(isDark)
	t.Focused.Base = t.Focused.Base.BorderForeground(s.Current.GetBorderLeftForeground())
	t.Focused.Title = s.Label.Foreground(s.Title.GetForeground())
	t.Focused.ErrorIndicator = s.Fail.SetString(" *")
	t.Focused.ErrorMessage = s.Fail
	t.Focused.TextInput.Prompt = s.Title
	t.Focused.TextInput.Placeholder = s.Muted
	t.Blurred = t.Focused
	t.Blurred.Base = t.Focused.Base.BorderStyle(lipgloss.HiddenBorder())
	t.Blurred.Title = s.Label
	return t
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
func (m loginModel) Keys() help.KeyMap { return m.activeKeys() }

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
		if !m.spinning() {
			return m, nil // stops; entering a step that spins ticks again
		}
		var cmd tea.Cmd
		m.spinner, cmd = m.spinner.Update(msg)
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

// pasteMistake explains why a pasted address is not this sign-in's
// redirect, or is "" when err is about something else.
func pasteMistake(err error, prefix string) string {
	switch {
	case errors.Is(err, auth.ErrNotRedirect):
		return "That is not the address of this sign-in: it starts with " + prefix + "callback/…"
	case errors.Is(err, auth.ErrStateMissing), errors.Is(err, auth.ErrStateMismatch):
		return "That address belongs to another sign-in: paste the one from the URL above."
	case errors.Is(err, auth.ErrCodeMissing):
		return "That address carries no code: paste all of it, with everything after the ?."
	}
	return ""
}

func refusalText(e *auth.OAuthError) string {
	why := "The server refused the sign-in"
	switch e.Code {
	case "access_denied":
		why = "The sign-in was cancelled or refused in the browser"
	case "login_required", "interaction_required", "consent_required":
		why = "The sign-in could not finish without you"
	case "server_error", "temporarily_unavailable":
		why = "The server could not complete the sign-in just now"
	}
	detail := e.Code
	if e.Description != "" {
		detail += ": " + e.Description
	}
	return why + " (" + detail + ")."
}

// passwordProblem is what the server said about a refused password sign-in.
func passwordProblem(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorDescription != "" {
		return re.ErrorDescription
	}
	return err.Error()
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

// View draws the current step.
func (m loginModel) View(s styles, width int) string {
	w := textWidth(width)
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(lipgloss.Wrap(strings.Join(parts, ""), w, " "))
		b.WriteString("\n")
	}
	para := func(style lipgloss.Style, text string) {
		line(style.Render(lipgloss.Wrap(text, w, " ")))
	}
	// gap is a blank line that a short terminal goes without.
	gap := func() {
		if !m.short() {
			line()
		}
	}
	gap()
	switch m.step {
	case loginPassword, loginChecking:
		line(s.Title.Render("Sign in with your Keycloak username and password"))
		para(s.Muted, "The latchkey server at "+m.deps.Session.Server+" checks them with Keycloak.")
		line()
		if m.step == loginChecking {
			line(m.spinner.View(), "Signing in as ", s.Value.Render(m.username), "…")
			break
		}
		if m.pw.onPassword() {
			line(s.Muted.Render("Username ") + s.Value.Render(m.pw.creds.username) + s.Muted.Render("  (shift+tab to change)"))
			line()
		}
		line(m.pw.form.View())
		if m.problem != "" {
			para(s.Fail, "✗ "+m.problem)
		}
	case loginStarting:
		line(s.Title.Render("Sign in through your company's Keycloak"))
		line()
		line(m.spinner.View(), "Starting the sign-in…")
	case loginFailed:
		if m.timedOut {
			line(s.Warn.Render("The sign-in timed out"))
		} else {
			line(s.Fail.Render("✗ The sign-in failed"))
		}
		para(lipgloss.NewStyle(), m.problem)
		line()
		para(s.Muted, "Press enter to try again, or esc to cancel.")
	case loginWaiting:
		line(s.Title.Render("Sign in through your company's Keycloak"))
		para(s.Muted, "Open this URL in your browser and sign in:")
		line(m.url(s, w))
		gap()
		switch {
		case m.opened:
			para(s.OK, "✓ "+sentence(m.note)+". If no browser appeared, open the URL yourself.")
		case m.note != "":
			para(s.Warn, "The browser was not opened: "+m.note+".")
		}
		line(m.spinner.View(), "Waiting for the browser… ", s.Muted.Render("(5 minutes at most)"))
		if m.notice != "" {
			para(s.Muted, m.notice)
		}
	case loginPasting, loginFinishing:
		line(s.Title.Render("Sign in with a browser elsewhere"))
		para(lipgloss.NewStyle(), "Open this URL on a machine with a browser, sign in, then paste the address the browser ends on (it starts with "+m.redirectPrefix()+"…):")
		line(m.url(s, w))
		gap()
		if m.step == loginFinishing {
			line(m.spinner.View(), "Signing in…")
			break
		}
		in := m.paste
		in.SetStyles(textinput.DefaultStyles(s.isDark))
		line(in.View())
		switch {
		case m.problem != "":
			para(s.Fail, "✗ "+m.problem)
		case m.notice != "":
			para(s.Muted, m.notice)
		}
	}
	return indentBlock(strings.TrimSuffix(b.String(), "\n"), 2)
}

// short: the terminal is so short that blank lines are a luxury.
func (m loginModel) short() bool { return m.height > 0 && m.height < 24 }

// url is the sign-in URL, wrapped to the width; in terminals that support
// hyperlinks every piece of it opens the whole URL.
func (m loginModel) url(s styles, w int) string {
	if m.signIn == nil {
		return ""
	}
	u := m.signIn.URL()
	link := s.Value.Hyperlink(u, "id=latchkey-sign-in")
	lines := strings.Split(ansi.Hardwrap(u, w, false), "\n")
	for i, l := range lines {
		lines[i] = link.Render(l)
	}
	return strings.Join(lines, "\n")
}

// redirectPrefix is how the address the browser ends on starts.
func (m loginModel) redirectPrefix() string {
	if m.signIn == nil {
		return "http://127.0.0.1"
	}
	u, err := url.Parse(m.signIn.RedirectURI())
	if err != nil {
		return "http://127.0.0.1"
	}
	return u.Scheme + "://" + u.Host + "/"
}

// sentence starts s with a capital letter.
func sentence(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// indentBlock puts n spaces before every non-empty line.
func indentBlock(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}
