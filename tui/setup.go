package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// How long each call of the wizard may take. Saving runs three checks
// against Keycloak on the server, each with its own timeout there.
const (
	healthTimeout     = 5 * time.Second
	adminCheckTimeout = 15 * time.Second
	saveTimeout       = 90 * time.Second
)

// setupStep is where the wizard is.
type setupStep int

const (
	stepServer   setupStep = iota // 1: the server answers /healthz
	stepToken                     // 2: the admin token
	stepURL                       // 3: Server Url (Keycloak)
	stepRealm                     // 4: Realm Name
	stepClientID                  // 5: Client ID
	stepSecret                    // 6: Client Secret Key
	stepReview                    // 7: what will be saved and what Keycloak needs
	stepSave                      // 8: the server's checks against Keycloak
	stepDone                      // the end
)

// numberedSteps is how many steps the title counts (the done screen is not one).
const numberedSteps = int(stepSave) + 1

var stepTitles = map[setupStep]string{
	stepServer: "Server URL", stepToken: "Admin token", stepURL: "Server Url", stepRealm: "Realm Name",
	stepClientID: "Client ID", stepSecret: "Client Secret Key", stepReview: "Review", stepSave: "Save",
}

// Messages of the wizard, one per call it makes.
type (
	healthMsg       struct{ err error }
	adminCheckedMsg struct {
		token      auth.Secret
		remembered bool // the token came from the keyring
		settings   api.AuthSettings
		err        error
	}
	savedMsg struct {
		saved api.AuthSettingsSaved
		err   error
	}
)

// setupValues are what the person typed; they survive going back and forth.
type setupValues struct {
	token, url, realm, clientID, secret string
}

func (v *setupValues) field(step setupStep) *string {
	switch step {
	case stepToken:
		return &v.token
	case stepURL:
		return &v.url
	case stepRealm:
		return &v.realm
	case stepClientID:
		return &v.clientID
	case stepSecret:
		return &v.secret
	}
	return nil
}

type setupKeys struct {
	Next, Back, Edit, Retry, Force, Scroll, Cancel, Yes, No, Quit key.Binding
	confirming                                                    bool
	width                                                         int
}

func (k setupKeys) ShortHelp() []key.Binding {
	if k.confirming {
		return []key.Binding{k.Yes, k.No}
	}
	return fitHelp(k.width, k.Next, k.Back, k.Edit, k.Retry, k.Force, k.Cancel, k.Scroll)
}

func (k setupKeys) FullHelp() [][]key.Binding {
	if k.confirming {
		return [][]key.Binding{{k.Yes, k.No}}
	}
	return [][]key.Binding{{k.Next, k.Back, k.Edit, k.Retry, k.Force}, {k.Scroll, k.Cancel, k.Quit, globalKeys.Help}}
}

func newSetupKeys() setupKeys {
	return setupKeys{
		Next:   key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "next")),
		Back:   key.NewBinding(key.WithKeys("shift+tab"), key.WithHelp("shift+tab", "back")),
		Edit:   key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "edit")),
		Retry:  keyRetry,
		Force:  key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "save anyway")),
		Scroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓", "scroll")),
		Cancel: keyCancel,
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, cancel setup")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no, go on")),
		Quit:   globalKeys.Quit,
	}
}

// setupModel is the setup wizard: connect this server to Keycloak.
type setupModel struct {
	deps  Deps
	keys  setupKeys
	spin  spinner.Model
	step  setupStep
	vals  setupValues
	form  *huh.Form // the field of the current step, nil on steps without one
	width int
	// height is the terminal's; the root's header and footer take chromeLines of it.
	height int
	dark   bool
	scroll int // first line shown of a long review or result

	busy          string // what the wizard waits for; "" when idle
	confirmCancel bool

	healthErr   error
	healthOK    bool
	token       auth.Secret      // the verified admin token
	tokenErr    string           // why the typed token was not accepted
	tokenNote   string           // about remembering it
	current     api.AuthSettings // the server's settings
	prefilled   bool
	findings    []auth.Finding
	saveErr     string // a failed save without findings
	saveDetail  string
	lastFailure string // the check ID of the first failure, for Edit
}

func newSetup(deps Deps) setupModel {
	return setupModel{
		deps: deps, keys: newSetupKeys(), dark: true, busy: "Checking GET /healthz…",
		spin: spinner.New(spinner.WithSpinner(spinner.MiniDot)),
	}
}

// Init checks the server first, and asks the terminal for its background
// (the root hands the answer on) so that the forms match it.
func (m setupModel) Init() tea.Cmd {
	return tea.Batch(m.spin.Tick, checkHealth(m.deps.Session.API), tea.RequestBackgroundColor)
}

// Typing reports whether a text field has the keys.
func (m setupModel) Typing() bool {
	return m.form != nil && m.form.State == huh.StateNormal && m.busy == "" && !m.confirmCancel
}

// Keys are the keys of the current step.
func (m setupModel) Keys() help.KeyMap {
	k := m.keys
	k.confirming, k.width = m.confirmCancel, max(m.width, 40)
	next, back, edit, retry, force, scroll := "", false, false, false, false, false
	switch m.step {
	case stepServer:
		if m.healthOK {
			next = "continue"
		}
		retry = m.busy == "" && !m.healthOK
	case stepToken:
		if m.form != nil {
			next, back = "check", true
		}
	case stepURL, stepRealm, stepClientID, stepSecret:
		next, back = "next", true
	case stepReview:
		next, back, scroll = "save", true, true
	case stepSave:
		if m.busy == "" {
			back, edit, retry, scroll = true, m.lastFailure != "" || m.saveErr != "", true, true
			force = m.lastFailure != "" && len(m.findings) > 0
		}
	case stepDone:
		next, scroll = "finish", true
		k.Cancel.SetEnabled(false) // esc finishes too
	}
	k.Next.SetEnabled(next != "")
	k.Next.SetHelp("enter", next)
	k.Back.SetEnabled(back)
	k.Edit.SetEnabled(edit)
	k.Retry.SetEnabled(retry)
	k.Force.SetEnabled(force)
	k.Scroll.SetEnabled(scroll && m.maxScroll() > 0)
	return k
}

func (m setupModel) Update(msg tea.Msg) (setupModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.scroll = min(m.scroll, m.maxScroll())
		return m.updateForm(m.formSize())
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		return m.updateForm(msg)
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spin, cmd = spinWhile(m.busy != "", m.spin, msg)
		return m, cmd
	case tea.KeyPressMsg:
		return m.updateKey(msg)
	case healthMsg:
		return m.healthChecked(msg)
	case storedTokenMsg:
		return m.storedToken(msg)
	case adminCheckedMsg:
		return m.adminChecked(msg)
	case adminTokenSavedMsg:
		if msg.err != nil {
			m.tokenNote = "could not remember the admin token: " + msg.err.Error()
		} else {
			m.tokenNote = "remembered in the " + storeName(m.deps.Session.Secrets)
		}
		return m, nil
	case savedMsg:
		return m.saved(msg)
	}
	return m.updateForm(msg)
}

func (m setupModel) updateKey(k tea.KeyPressMsg) (setupModel, tea.Cmd) {
	switch {
	case key.Matches(k, m.keys.Quit):
		return m, tea.Quit
	case m.confirmCancel:
		switch {
		case key.Matches(k, m.keys.Yes):
			return m, navigate(screenHome)
		case key.Matches(k, m.keys.No):
			m.confirmCancel = false
		}
		return m, nil
	case key.Matches(k, m.keys.Cancel):
		switch {
		case m.step == stepDone:
			return m, navigate(screenHome)
		case m.step == stepSave && m.busy != "":
			return m, nil // the save is under way; its outcome comes next
		}
		m.confirmCancel = true
		return m, nil
	}
	if m.busy != "" {
		return m, nil
	}
	if m.form != nil {
		if key.Matches(k, m.keys.Back) {
			return m.back()
		}
		return m.updateForm(k)
	}
	switch m.step {
	case stepServer:
		switch {
		case key.Matches(k, m.keys.Next) && m.healthOK:
			return m.enterToken()
		case key.Matches(k, m.keys.Retry) && !m.healthOK:
			m.busy, m.healthErr = "Checking GET /healthz…", nil
			return m, tea.Batch(m.spin.Tick, checkHealth(m.deps.Session.API))
		}
	case stepReview:
		switch {
		case key.Matches(k, m.keys.Next):
			return m.save(false)
		case key.Matches(k, m.keys.Back):
			return m.goTo(stepSecret)
		}
	case stepSave:
		switch {
		case key.Matches(k, m.keys.Retry):
			return m.save(false)
		case key.Matches(k, m.keys.Force) && m.lastFailure != "" && len(m.findings) > 0:
			return m.save(true)
		case key.Matches(k, m.keys.Back):
			return m.goTo(stepReview)
		case key.Matches(k, m.keys.Edit):
			return m.goTo(fieldOfCheck(m.lastFailure))
		}
	case stepDone:
		if key.Matches(k, m.keys.Next) {
			return m, navigate(screenHome)
		}
	}
	if key.Matches(k, m.keys.Scroll) {
		m.scroll = scrollBy(m.scroll, k.String(), m.regionHeight(), m.maxScroll())
	}
	return m, nil
}

// fieldOfCheck is where Edit goes when a check (auth.ID*) or a field
// ("url", "realm", "client_id", "client_secret") failed: the field to
// change, or the review for what has to change in Keycloak.
func fieldOfCheck(id string) setupStep {
	switch id {
	case "url", auth.IDSettings, auth.IDDNS, auth.IDConnect, auth.IDTimeout, auth.IDTLS, auth.IDKeycloak, auth.IDPath, auth.IDIssuer:
		return stepURL
	case auth.IDRealm: // also the realm field's name
		return stepRealm
	case "client_id", auth.IDClient:
		return stepClientID
	case "client_secret", auth.IDClientSecret:
		return stepSecret
	}
	return stepReview // the client's configuration in Keycloak
}

// updateForm hands msg to the current field and moves on once it is done.
func (m setupModel) updateForm(msg tea.Msg) (setupModel, tea.Cmd) {
	if m.form == nil {
		return m, nil
	}
	var done bool
	var cmd tea.Cmd
	m.form, done, cmd = updateField(m.form, m.vals.field(m.step), msg)
	if !done {
		return m, cmd
	}
	m.form = nil
	next, cmd2 := m.next()
	return next, tea.Batch(cmd, cmd2)
}

// next leaves a completed field.
func (m setupModel) next() (setupModel, tea.Cmd) {
	switch m.step {
	case stepToken:
		m.tokenErr, m.busy = "", "Checking the admin token…"
		return m, tea.Batch(m.spin.Tick, checkAdmin(m.deps.Session.API, auth.Secret(strings.TrimSpace(m.vals.token)), false))
	case stepSecret:
		return m.goTo(stepReview)
	}
	return m.goTo(m.step + 1)
}

// back goes to the step before, keeping what was typed.
func (m setupModel) back() (setupModel, tea.Cmd) {
	switch m.step {
	case stepToken:
		m.form, m.step = nil, stepServer
		return m, nil
	case stepURL:
		return m.enterTokenForm()
	}
	return m.goTo(m.step - 1)
}

// goTo shows a Keycloak field, the review or the result.
func (m setupModel) goTo(step setupStep) (setupModel, tea.Cmd) {
	m.step, m.scroll, m.form, m.confirmCancel = step, 0, nil, false
	if step >= stepURL && step <= stepSecret {
		return m.showForm(m.fieldInput(step))
	}
	return m, nil
}
