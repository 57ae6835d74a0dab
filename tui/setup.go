package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"image/color"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// How long each call of the wizard may take. Saving runs three checks
// against Keycloak on the server, each with its own timeout there.
const (
	healthTimeout     = 5 * time.Second
	adminCheckTimeout = 15 * time.Second
	saveTimeout       = 90 * time.Second
	keyringReadTime   = 5 * time.Second
	keyringWriteTime  = 60 * time.Second // an interactive unlock prompt may be up
)

// chromeLines is what the root model draws around a screen at most: the
// header (up to three lines and its border), the blank line and the help
// footer.
const chromeLines = 6

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
	stepDone: "Done",
}

// Messages of the wizard, one per call it makes.
type (
	healthMsg      struct{ err error }
	storedTokenMsg struct {
		token auth.Secret
		err   error
	}
	adminCheckedMsg struct {
		token      auth.Secret
		remembered bool // the token came from the keyring
		settings   api.AuthSettings
		err        error
	}
	adminTokenSavedMsg struct{ err error }
	savedMsg           struct {
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
		Retry:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Force:  key.NewBinding(key.WithKeys("!"), key.WithHelp("!", "save anyway")),
		Scroll: key.NewBinding(key.WithKeys("up", "down", "pgup", "pgdown"), key.WithHelp("↑/↓", "scroll")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes, cancel setup")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no, go on")),
		Quit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
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
		if m.busy == "" {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
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
	f, cmd := m.form.Update(msg)
	m.form = f.(*huh.Form)
	if v, ok := m.form.GetFocusedField().GetValue().(string); ok {
		*m.vals.field(m.step) = v
	}
	if m.form.State != huh.StateCompleted {
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

func (m setupModel) healthChecked(msg healthMsg) (setupModel, tea.Cmd) {
	m.busy, m.healthErr, m.healthOK = "", msg.err, msg.err == nil
	if msg.err != nil {
		return m, nil
	}
	return m.enterToken()
}

// enterToken tries the admin token remembered for this server first.
func (m setupModel) enterToken() (setupModel, tea.Cmd) {
	m.step = stepToken
	if m.token.IsSet() {
		return m.enterTokenForm()
	}
	m.busy = "Looking for a remembered admin token…"
	return m, tea.Batch(m.spin.Tick, readAdminToken(m.deps.Session))
}

func (m setupModel) enterTokenForm() (setupModel, tea.Cmd) {
	m.step, m.busy = stepToken, ""
	in := huh.NewInput().Key("token").Title("Admin token").
		Description("Printed by latchkey serve on its first start, or the one set with LATCHKEY_ADMIN_TOKEN or --admin-token-file.").
		EchoMode(huh.EchoModePassword).Placeholder("lka_…").
		Validate(func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("enter the admin token")
			}
			return nil
		})
	return m.showForm(in.Value(new(m.vals.token)))
}

func (m setupModel) storedToken(msg storedTokenMsg) (setupModel, tea.Cmd) {
	if msg.err == nil && msg.token.IsSet() {
		m.busy = "Checking the remembered admin token…"
		return m, tea.Batch(m.spin.Tick, checkAdmin(m.deps.Session.API, msg.token, true))
	}
	if msg.err != nil && !errors.Is(msg.err, credentials.ErrNotFound) {
		m.tokenNote = "could not read the " + storeName(m.deps.Session.Secrets) + ": " + msg.err.Error()
	}
	return m.enterTokenForm()
}

func (m setupModel) adminChecked(msg adminCheckedMsg) (setupModel, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		m.tokenErr = adminTokenProblem(msg.err)
		if msg.remembered {
			m.tokenErr = "The admin token remembered for this server does not work any more: " + m.tokenErr
			m.vals.token = ""
		}
		return m.enterTokenForm()
	}
	m.token, m.tokenErr, m.current = msg.token, "", msg.settings
	m.vals.token = msg.token.Reveal()
	if !m.prefilled {
		m.prefilled = true
		m.vals.url, m.vals.realm, m.vals.clientID = msg.settings.URL, msg.settings.Realm, msg.settings.ClientID
	}
	var save tea.Cmd
	if msg.remembered {
		m.tokenNote = "remembered in the " + storeName(m.deps.Session.Secrets)
	} else {
		m.tokenNote = "remembering it…"
		save = saveAdminToken(m.deps.Session, msg.token)
	}
	m, cmd := m.goTo(stepURL)
	return m, tea.Batch(save, cmd)
}

// storeName is where secrets are kept, for a sentence.
func storeName(s Secrets) string {
	if b := s.Backend(); b != "keyring" {
		return "secrets " + b
	}
	return "keyring"
}

// adminTokenProblem says why the server did not take the admin token.
func adminTokenProblem(err error) string {
	var se *api.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusUnauthorized:
		return "not the admin token of this server (401)."
	case errors.As(err, &se) && se.Status == http.StatusTooManyRequests:
		return "too many failed attempts (429): the server refuses admin tokens for a minute; wait, then try again."
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		return "this server has no latchkey admin API (404): is --server the latchkey server?"
	}
	return "could not check the token: " + callProblem(err)
}

// fieldInput is the form field of a Keycloak setting, pre-filled with what
// was typed or what the server has.
func (m setupModel) fieldInput(step setupStep) *huh.Input {
	in := huh.NewInput().Key(stepTitles[step]).Title(stepTitles[step])
	switch step {
	case stepURL:
		in.Description("The base URL of Keycloak, without /realms/….").Placeholder("e.g. https://sso.example.com")
	case stepRealm:
		in.Description("Exactly as Keycloak shows it; names are case-sensitive.").Placeholder("e.g. acme")
	case stepClientID:
		in.Description("The client created for latchkey (Clients → Create client).").Placeholder("e.g. latchkey")
	case stepSecret:
		client := cmp.Or(strings.TrimSpace(m.vals.clientID), "your client")
		in.Description("Clients → " + client + " → Credentials → Client Secret.").EchoMode(huh.EchoModePassword)
		if m.current.ClientSecretSet {
			in.Placeholder("set, leave empty to keep")
		} else {
			in.Placeholder("paste the client secret")
		}
	}
	secretSet := m.current.ClientSecretSet
	return in.Value(new(*m.vals.field(step))).Validate(func(v string) error { return checkField(step, v, secretSet) })
}

// checkField validates the value of one Keycloak field with
// auth.Settings.Normalize, the other fields standing in with valid values.
func checkField(step setupStep, v string, secretSet bool) error {
	name := map[setupStep]string{stepURL: "url", stepRealm: "realm", stepClientID: "client_id", stepSecret: "client_secret"}[step]
	s := auth.Settings{URL: "https://keycloak.invalid", Realm: "r", ClientID: "c", ClientSecret: "s"}
	switch step {
	case stepURL:
		s.URL = v
	case stepRealm:
		s.Realm = v
	case stepClientID:
		s.ClientID = v
	case stepSecret:
		if v == "" && secretSet {
			return nil // keep the stored one
		}
		s.ClientSecret = auth.Secret(v)
	}
	_, err := s.Normalize()
	var fe *auth.FieldError
	if errors.As(err, &fe) && fe.Field == name {
		return errors.New(fe.Message)
	}
	return nil
}

// showForm makes in the field of the current step.
func (m setupModel) showForm(in *huh.Input) (setupModel, tea.Cmd) {
	size := tea.WindowSizeMsg{}
	if m.width > 0 {
		size = m.formSize()
	}
	var cmd tea.Cmd
	m.form, cmd = newFieldForm(in, m.dark, size)
	return m, cmd
}

// newFieldForm is a one-field form in the console's look, without huh's own
// help (the root shows the screen's keys) and without its quit key (ctrl+c
// and esc belong to the screen). size, when known, is the room it has.
func newFieldForm(in *huh.Input, dark bool, size tea.WindowSizeMsg) (*huh.Form, tea.Cmd) {
	km := huh.NewDefaultKeyMap()
	km.Quit.SetEnabled(false)
	form := huh.NewForm(huh.NewGroup(in)).WithShowHelp(false).WithKeyMap(km).
		WithTheme(huh.ThemeFunc(func(dark bool) *huh.Styles { return formTheme(newStyles(dark)) }))
	cmds := []tea.Cmd{form.Init()}
	_, cmd := form.Update(backgroundMsg(dark))
	cmds = append(cmds, cmd)
	if size.Width > 0 {
		_, cmd = form.Update(size)
		cmds = append(cmds, cmd)
	}
	return form, tea.Batch(cmds...)
}

// formSize is the room the form has inside the screen.
func (m setupModel) formSize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: max(m.contentWidth(), 20), Height: max(m.regionHeight(), 4)}
}

func backgroundMsg(dark bool) tea.BackgroundColorMsg {
	if dark {
		return tea.BackgroundColorMsg{Color: color.Black}
	}
	return tea.BackgroundColorMsg{Color: color.White}
}

func (m setupModel) settings() auth.Settings {
	return auth.Settings{Enabled: true, URL: strings.TrimSpace(m.vals.url), Realm: strings.TrimSpace(m.vals.realm),
		ClientID: strings.TrimSpace(m.vals.clientID), ClientSecret: auth.Secret(m.vals.secret)}
}

// save sends the settings; anyway saves them although checks fail, which
// only an explicit key press asks for.
func (m setupModel) save(anyway bool) (setupModel, tea.Cmd) {
	s, err := m.settings().Normalize()
	var fe *auth.FieldError
	if errors.As(err, &fe) && fe.Field == "url" {
		s = m.settings() // the server says what is wrong with it
	}
	u := api.AuthSettingsUpdate{Enabled: true, URL: s.URL, Realm: s.Realm, ClientID: s.ClientID, SaveAnyway: anyway}
	if m.vals.secret != "" {
		secret := m.vals.secret
		u.ClientSecret = &secret
	}
	m.step, m.scroll, m.busy = stepSave, 0, "Checking with Keycloak…"
	m.findings, m.saveErr, m.saveDetail, m.lastFailure = nil, "", "", ""
	return m, tea.Batch(m.spin.Tick, saveSettings(m.deps.Session.API, m.token, u))
}

func (m setupModel) saved(msg savedMsg) (setupModel, tea.Cmd) {
	m.busy, m.findings, m.saveErr, m.saveDetail, m.lastFailure = "", nil, "", "", ""
	if msg.err == nil {
		m.findings, m.current = msg.saved.Findings, msg.saved.Settings
		m.step, m.scroll = stepDone, 0
		return m, nil
	}
	var se *api.StatusError
	switch {
	case errors.As(msg.err, &se) && se.Status == http.StatusUnprocessableEntity && len(se.Body.Findings) > 0:
		m.findings, m.saveDetail = se.Body.Findings, se.Body.Detail
		for _, f := range m.findings {
			if f.Status == auth.StatusFail {
				m.lastFailure = f.ID
				break
			}
		}
	case errors.As(msg.err, &se) && se.Status == http.StatusUnprocessableEntity:
		m.lastFailure = strings.TrimPrefix(se.Body.Error, "invalid ")
		m.saveErr = se.Body.Error + ": " + se.Body.Detail
		if step := fieldOfCheck(m.lastFailure); m.lastFailure != "" && se.Body.Detail != "" {
			m.saveErr = stepTitles[step] + ": " + se.Body.Detail
		}
	case errors.As(msg.err, &se) && se.Status == http.StatusUnauthorized:
		m.saveErr = "the server no longer takes the admin token (401); go back to step 2"
	default:
		m.saveErr = "could not save: " + callProblem(msg.err)
	}
	return m, nil
}

// The wizard's calls. Each runs with its own deadline and reports in a message.

func checkHealth(c *api.Client) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		defer cancel()
		return healthMsg{err: c.Health(ctx)}
	}
}

func readAdminToken(s *Session) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), keyringReadTime)
		defer cancel()
		tok, err := s.AdminToken(ctx)
		return storedTokenMsg{token: tok, err: err}
	}
}

func checkAdmin(c *api.Client, token auth.Secret, remembered bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), adminCheckTimeout)
		defer cancel()
		s, err := c.AuthSettings(ctx, token)
		return adminCheckedMsg{token: token, remembered: remembered, settings: s, err: err}
	}
}

func saveAdminToken(s *Session, token auth.Secret) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), keyringWriteTime)
		defer cancel()
		return adminTokenSavedMsg{err: s.SaveAdminToken(ctx, token)}
	}
}

func saveSettings(c *api.Client, token auth.Secret, u api.AuthSettingsUpdate) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
		defer cancel()
		saved, err := c.UpdateAuthSettings(ctx, token, u)
		return savedMsg{saved: saved, err: err}
	}
}

// healthProblem says what failed when the server did not answer /healthz.
func healthProblem(err error) string {
	var se *api.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusServiceUnavailable:
		return "the server answers, but its database is unavailable (503)"
	case errors.As(err, &se):
		return fmt.Sprintf("not a latchkey server: GET /healthz answered %d %s", se.Status, http.StatusText(se.Status))
	}
	return "unreachable: " + callProblem(err)
}

// callProblem is a transport error without the request line repeated.
func callProblem(err error) string {
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}

// View

// contentWidth is the width inside the screen's left margin.
func (m setupModel) contentWidth() int { return max(m.width, 40) - 2 }

// regionHeight is the room for the step's content: the body minus the
// title lines and, while it is asked, the cancel question.
func (m setupModel) regionHeight() int {
	if m.height == 0 {
		return 1 << 16 // size not known yet: no scrolling
	}
	h := m.height - chromeLines - 3
	if m.confirmCancel {
		h -= 2
	}
	return max(h, 3)
}

func (m setupModel) maxScroll() int {
	if m.step < stepReview {
		return 0
	}
	lines := strings.Count(m.stepContent(newStyles(m.dark), m.contentWidth()), "\n") + 1
	if lines <= m.regionHeight() {
		return 0
	}
	return lines - (m.regionHeight() - 1) // a line goes to the scroll note
}

func (m setupModel) View(s styles, width int) string {
	m.width = width
	w := m.contentWidth()
	var b strings.Builder
	b.WriteString("\n")
	title := s.Title.Render("Set up Keycloak")
	if m.step < stepDone {
		title += s.Muted.Render(fmt.Sprintf(" · %d/%d ", int(m.step)+1, numberedSteps)) + s.Label.Render(stepTitles[m.step])
	} else {
		title += s.Muted.Render(" · done")
	}
	b.WriteString(title + "\n\n")
	content := m.stepContent(s, w)
	if m.step >= stepReview {
		content = scrollWindow(s, content, m.scroll, m.regionHeight())
	}
	b.WriteString(content)
	if m.confirmCancel {
		b.WriteString("\n\n" + s.Warn.Render("Cancel setup? Nothing is saved.") + " " + s.Label.Render("(y/n)"))
	}
	return indent(b.String(), 2)
}

// stepContent is what the step shows between the title and the prompt.
func (m setupModel) stepContent(s styles, w int) string {
	var lines []string
	if m.step == stepServer {
		lines = append(lines, s.Label.Render("Server URL ")+m.deps.Session.Server)
	}
	if m.busy != "" && m.step != stepSave {
		lines = append(lines, m.progress(s, w)...)
		return strings.Join(append(lines, s.Title.Render(m.spin.View())+" "+m.busy), "\n")
	}
	switch m.step {
	case stepServer:
		switch {
		case m.healthOK:
			lines = append(lines, s.OK.Render("✓")+" a latchkey server answers GET /healthz")
		case m.healthErr != nil:
			lines = append(lines, hang(s.Fail.Render("✗")+" ", healthProblem(m.healthErr), w),
				hang("  ", "Is latchkey serve running there? For another server: latchkey setup --server URL (or LATCHKEY_SERVER).", w, s.Muted))
		}
	case stepToken, stepURL, stepRealm, stepClientID, stepSecret:
		lines = append(lines, m.progress(s, w)...)
		if m.step == stepToken && m.tokenErr != "" {
			lines = append(lines, hang(s.Fail.Render("✗")+" ", m.tokenErr, w), "")
		}
		if m.form != nil {
			lines = append(lines, m.form.View())
		}
	case stepReview:
		return m.review(s, w)
	case stepSave:
		return m.results(s, w)
	case stepDone:
		return m.done(s, w)
	}
	return strings.Join(lines, "\n")
}

// progress sums up the steps behind.
func (m setupModel) progress(s styles, w int) []string {
	var fields []string
	if m.healthOK {
		fields = append(fields, s.OK.Render("✓")+" server answers")
	}
	if m.token.IsSet() && m.step > stepToken {
		note := "admin token accepted"
		if m.tokenNote != "" {
			note += s.Muted.Render(" (" + m.tokenNote + ")")
		}
		fields = append(fields, s.OK.Render("✓")+" "+note)
	} else if m.tokenNote != "" && m.step == stepToken {
		fields = append(fields, s.Warn.Render("!")+" "+m.tokenNote)
	}
	if len(fields) == 0 {
		return nil
	}
	return []string{wrap(wrapFields(fields, w), w), ""}
}

// publicURL is the public URL Keycloak must send people back to: the
// server's own, or else its URL as this client reaches it.
func (m setupModel) publicURL() (*url.URL, error) {
	return auth.ParsePublicURL(cmp.Or(m.current.PublicURL, m.deps.Session.Server))
}

func (m setupModel) review(s styles, w int) string {
	norm, _ := m.settings().Normalize() // the fields passed their checks; this only tidies the URL
	secret := "••••••"
	if m.vals.secret == "" {
		secret = "unchanged"
	}
	client := cmp.Or(norm.ClientID, "latchkey")
	lines := []string{s.Label.Render("Keycloak settings to save")}
	lines = append(lines, kvLines(s, w, [][2]string{
		{"Use Keycloak", "on"}, {"Server Url", norm.URL}, {"Realm Name", norm.Realm},
		{"Client ID", norm.ClientID}, {"Client Secret Key", secret},
	})...)
	lines = append(lines, "", wrap("In Keycloak, Clients → "+client+", set:", w, s.Label))
	redirect, origin := "?", "?"
	pub, perr := m.publicURL()
	if perr == nil {
		redirect, origin = auth.RedirectURIPattern(pub), auth.WebOrigin(pub)
	}
	lines = append(lines, kvLines(s, w, [][2]string{
		{"Client authentication", "On (Authorization Off)"},
		{"Authentication flow", "Standard flow, Direct access grants, Service accounts roles"},
		{"Valid redirect URIs", redirect},
		{"Web origins", origin},
		{"Root URL, Home URL", "empty"},
		{"Service accounts roles", "realm-management → view-users"},
	})...)
	note := "The URLs are for the server's public URL " + m.current.PublicURL + "."
	if m.current.PublicURL == "" {
		note = "The URLs are for " + m.deps.Session.Server + ", this server as the terminal reaches it; if people reach it under another public URL (--public-url), register that one."
	}
	if perr != nil {
		note = "The server URL " + m.deps.Session.Server + " is not usable as a public URL: " + perr.Error()
	}
	lines = append(lines, "", wrap(note, w, s.Muted))
	return strings.Join(lines, "\n")
}

func (m setupModel) results(s styles, w int) string {
	if m.busy != "" {
		return s.Title.Render(m.spin.View()) + " " + m.busy
	}
	var lines []string
	if m.saveErr != "" {
		lines = append(lines, hang(s.Fail.Render("✗")+" ", m.saveErr, w))
		if m.saveDetail != "" {
			lines = append(lines, hang("  ", asSentence(m.saveDetail), w))
		}
	}
	lines = append(lines, findingLines(s, m.findings, w)...)
	if len(m.findings) > 0 {
		lines = append(lines, "", wrap(asSentence(cmp.Or(m.saveDetail, "nothing was saved"))+" Fix it in Keycloak and retry (r), edit the fields (e), or save anyway (!): sign-in fails until Keycloak is fixed.", w, s.Muted))
	}
	return strings.Join(lines, "\n")
}

func (m setupModel) done(s styles, w int) string {
	headline := s.OK.Render("Keycloak is connected.")
	for _, f := range m.findings {
		if f.Status == auth.StatusFail || f.Status == auth.StatusSkipped {
			headline = s.Warn.Render("Saved anyway: sign-in fails until the problems below are fixed in Keycloak.")
			break
		}
	}
	lines := []string{headline, "Developers now run:",
		"  " + s.Value.Render("latchkey login --server "+m.deps.Session.Server), "",
		wrap("Their IDE plugin (Refact.ai, Enterprise account) needs the Endpoint Address "+
			s.Value.Render(m.deps.Session.Server)+" and their plugin API key, which latchkey key prints.", w)}
	if checks := findingLines(s, m.findings, w); len(checks) > 0 {
		lines = append(append(lines, "", s.Label.Render("Checks")), checks...)
	}
	return strings.Join(lines, "\n")
}

// findingLines draws the server's checks, one line each: ✗ failure and !
// warning first, with what is wrong, Keycloak's answer, the fix and what
// was tried under them; then – not run, then ✓ passed.
func findingLines(s styles, fs []auth.Finding, w int) []string {
	rank := map[auth.Status]int{auth.StatusFail: 0, auth.StatusWarn: 1, auth.StatusSkipped: 2, auth.StatusOK: 3}
	ordered := slices.Clone(fs)
	slices.SortStableFunc(ordered, func(a, b auth.Finding) int { return rank[a.Status] - rank[b.Status] })
	var lines []string
	for _, f := range ordered {
		switch f.Status {
		case auth.StatusOK:
			line := s.OK.Render("✓") + " " + f.Title
			if f.Answer != "" && lipgloss.Width(line)+3+lipgloss.Width(f.Answer) <= w {
				line += s.Muted.Render(" · " + f.Answer)
			}
			lines = append(lines, line)
		case auth.StatusSkipped:
			lines = append(lines, s.Muted.Render("– "+f.Title+" (not run)"))
		default:
			mark := s.Fail.Render("✗")
			if f.Status == auth.StatusWarn {
				mark = s.Warn.Render("!")
			}
			lines = append(lines, mark+" "+s.Label.Render(f.Title))
			if f.Problem != "" {
				lines = append(lines, hang("    ", f.Problem, w))
			}
			if f.Answer != "" {
				lines = append(lines, hang("    ", "answer: "+f.Answer, w, s.Muted))
			}
			if f.Fix != "" {
				lines = append(lines, hang("    ", s.Label.Render("fix:")+" "+f.Fix, w))
			}
			if f.Tried != "" {
				lines = append(lines, hang("    ", "tried: "+f.Tried, w, s.Muted))
			}
		}
	}
	return lines
}

// Drawing helpers shared by the screens.

// formTheme styles huh forms like the rest of the console.
func formTheme(s styles) *huh.Styles {
	t := huh.ThemeBase(s.isDark)
	accent := s.Title.GetForeground()
	t.Focused.Base = t.Focused.Base.BorderForeground(accent)
	t.Focused.Title = s.Label
	t.Focused.Description = s.Muted
	t.Focused.ErrorIndicator = s.Fail.SetString(" *")
	t.Focused.ErrorMessage = s.Fail.SetString("✗")
	t.Focused.TextInput.Cursor = lipgloss.NewStyle().Foreground(accent)
	t.Focused.TextInput.Prompt = lipgloss.NewStyle().Foreground(accent)
	t.Focused.TextInput.Placeholder = s.Muted
	t.Blurred = t.Focused
	t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
	return t
}

// kvLines lays out label/value rows with the values aligned and wrapped
// under themselves.
func kvLines(s styles, w int, rows [][2]string) []string {
	lines := make([]string, 0, len(rows))
	labelWidth := 0
	for _, r := range rows {
		labelWidth = max(labelWidth, lipgloss.Width(r[0])+4)
	}
	if w-labelWidth < 16 { // too narrow for two columns: values under labels
		for _, r := range rows {
			lines = append(lines, "  "+s.Muted.Render(r[0]), hang("    ", r[1], w))
		}
		return lines
	}
	for _, r := range rows {
		label := s.Muted.Render(r[0] + strings.Repeat(" ", max(labelWidth-2-lipgloss.Width(r[0]), 1)))
		lines = append(lines, hang("  "+label, r[1], w))
	}
	return lines
}

// fitHelp is the enabled bindings, in order, that fit in one line of width
// cells with the help key after them (help.Model would let the last one
// overflow when even its ellipsis does not fit).
func fitHelp(width int, bindings ...key.Binding) []key.Binding {
	const sep = 3 // " • "
	item := func(b key.Binding) int { return lipgloss.Width(b.Help().Key) + 1 + lipgloss.Width(b.Help().Desc) }
	used := item(globalKeys.Help)
	var out []key.Binding
	for _, b := range bindings {
		if !b.Enabled() {
			continue
		}
		if used+sep+item(b) > width-1 {
			break
		}
		used += sep + item(b)
		out = append(out, b)
	}
	return append(out, globalKeys.Help)
}

// wrap breaks text into lines of at most w cells at spaces (a word longer
// than a line is cut), and renders each line with style when one is given.
// Unlike ansi.Wrap it never breaks at hyphens: realm and client names have
// them.
func wrap(text string, w int, style ...lipgloss.Style) string {
	w = max(w, 1)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		if ansi.StringWidth(para) <= w {
			lines = append(lines, para)
			continue
		}
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "" && ansi.StringWidth(word) <= w:
				line = word
			case line != "" && ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
				line += " " + word
			default:
				if line != "" {
					lines = append(lines, line)
				}
				pieces := strings.Split(ansi.Hardwrap(word, w, false), "\n")
				lines = append(lines, pieces[:len(pieces)-1]...)
				line = pieces[len(pieces)-1]
			}
		}
		lines = append(lines, line)
	}
	if len(style) > 0 {
		for i, l := range lines {
			lines[i] = style[0].Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

// hang puts prefix before text wrapped into the rest of the width, the
// lines after the first indented under the text.
func hang(prefix, text string, w int, style ...lipgloss.Style) string {
	pw := lipgloss.Width(prefix)
	return prefix + strings.ReplaceAll(wrap(text, w-pw, style...), "\n", "\n"+strings.Repeat(" ", pw))
}

// asSentence is msg with a capital first letter and a full stop.
func asSentence(msg string) string {
	if msg == "" {
		return ""
	}
	msg = strings.ToUpper(msg[:1]) + msg[1:]
	if !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// indent puts n spaces before every non-empty line.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// scrollWindow shows height lines of content from offset, the last of
// them a note when there is more below or above.
func scrollWindow(s styles, content string, offset, height int) string {
	lines := strings.Split(content, "\n")
	if len(lines) <= height {
		return content
	}
	height = max(height-1, 1)
	offset = min(max(offset, 0), len(lines)-height)
	window := lines[offset : offset+height]
	more := []string{}
	if offset > 0 {
		more = append(more, "↑ more above")
	}
	if offset+height < len(lines) {
		more = append(more, "↓ more below")
	}
	return strings.Join(window, "\n") + "\n" + s.Muted.Render(strings.Join(more, " · ")+" (↑/↓)")
}

// scrollBy moves a scroll offset for an arrow or page key.
func scrollBy(offset int, k string, page, maxOffset int) int {
	switch k {
	case "up":
		offset--
	case "down":
		offset++
	case "pgup":
		offset -= page
	case "pgdown":
		offset += page
	}
	return min(max(offset, 0), maxOffset)
}
