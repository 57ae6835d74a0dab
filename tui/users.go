package tui

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

const (
	usersTimeout = 30 * time.Second
	maxPerPage   = 20
	// usersFixedLines are the screen's lines besides the table: the blank
	// line and title on top, the filter line, the selected user and the
	// status line or the team prompt and its input below.
	usersFixedLines = 6
)

// Messages of the Users screen.
type (
	usersMsg struct {
		page   api.UserPage
		token  auth.Secret
		typed  bool // the token was typed just now, not read from the keyring
		search string
		first  int
		max    int
		err    error
	}
	userChangedMsg struct {
		action userAction
		user   api.User
		err    error
	}
)

type userAction int

const (
	actionTeam userAction = iota + 1
	actionRotate
	actionRevoke
)

type usersKeys struct {
	Up, Down, Next, Prev, Filter, Clear, Team, Rotate, Revoke, Retry key.Binding
	Apply, Cancel, Yes, No, Back, Quit                               key.Binding
	page                                                             key.Binding // n/p, for the help only
	mode                                                             usersMode
	width                                                            int
}

// usersMode says which keys apply: the list, a prompt, or a text input.
type usersMode int

const (
	modeList usersMode = iota
	modeConfirm
	modeInput
)

func (k usersKeys) ShortHelp() []key.Binding {
	switch k.mode {
	case modeConfirm:
		return []key.Binding{k.Yes, k.No}
	case modeInput:
		return []key.Binding{k.Apply, k.Cancel}
	}
	page := k.page
	page.SetEnabled(k.Next.Enabled() || k.Prev.Enabled())
	return fitHelp(k.width, k.Team, k.Rotate, k.Revoke, k.Retry, page, k.Filter, k.Clear, k.Back)
}

func (k usersKeys) FullHelp() [][]key.Binding {
	switch k.mode {
	case modeConfirm, modeInput:
		return [][]key.Binding{k.ShortHelp()}
	}
	return [][]key.Binding{
		{k.Up, k.Down, k.Next, k.Prev},
		{k.Filter, k.Clear, k.Team, k.Rotate, k.Revoke},
		{k.Retry, k.Back, k.Quit, globalKeys.Help},
	}
}

func newUsersKeys() usersKeys {
	return usersKeys{
		Up:     key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up")),
		Down:   key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down")),
		Next:   key.NewBinding(key.WithKeys("n", "right"), key.WithHelp("n/→", "next page")),
		Prev:   key.NewBinding(key.WithKeys("p", "left"), key.WithHelp("p/←", "previous page")),
		page:   key.NewBinding(key.WithKeys("n", "p"), key.WithHelp("n/p", "page")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Team:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "team")),
		Rotate: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rotate key")),
		Revoke: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke key")),
		Retry:  key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry")),
		Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel: key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel")),
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Back:   key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back")),
		Quit:   key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
	}
}

// usersModel is the administrator's list of realm users: one page at a
// time, a filter at the server, and a team, key rotation or revocation for
// the selected user.
type usersModel struct {
	deps   Deps
	keys   usersKeys
	spin   spinner.Model
	table  table.Model
	width  int
	height int
	dark   bool

	token     auth.Secret // the admin token in use
	tokenForm *huh.Form   // asking for the admin token
	tokenVal  string
	tokenErr  string
	tokenNote string

	busy    string // what the screen waits for; "" when idle
	loaded  bool
	page    api.UserPage
	search  string // applied at the server
	first   int
	perPage int
	loadErr string // nothing could be loaded

	filtering   bool
	filter      textinput.Model
	editingTeam bool
	teamInput   textinput.Model
	confirm     userAction // asked about the selected user; 0 when not asking
	target      api.User   // whom the prompt or the input is about

	revoked map[string]bool // keys revoked on this screen
	status  string
	kind    statusKind
}

// statusKind is how the status line reads.
type statusKind int

const (
	statusDone statusKind = iota // ✓ an action worked
	statusNote                   // for information
	statusFail                   // ✗ something went wrong
)

func newUsers(deps Deps) usersModel {
	filter := textinput.New()
	filter.Prompt, filter.Placeholder, filter.CharLimit = "/ ", "name, email or username", 100
	team := textinput.New()
	team.Prompt, team.Placeholder, team.CharLimit = "› ", "empty: back to Keycloak groups", 64
	team.ShowSuggestions = true
	m := usersModel{
		deps: deps, keys: newUsersKeys(), dark: true, busy: "Looking for the admin token…",
		spin:   spinner.New(spinner.WithSpinner(spinner.MiniDot)),
		filter: filter, teamInput: team, revoked: map[string]bool{}, perPage: maxPerPage,
	}
	m.table = table.New(table.WithFocused(true), table.WithKeyMap(table.KeyMap{
		LineUp: m.keys.Up, LineDown: m.keys.Down,
		PageUp:     key.NewBinding(key.WithKeys("pgup")),
		PageDown:   key.NewBinding(key.WithKeys("pgdown")),
		GotoTop:    key.NewBinding(key.WithKeys("home")),
		GotoBottom: key.NewBinding(key.WithKeys("end")),
	}))
	m.table.SetStyles(tableStyles(newStyles(true)))
	return m
}

// Init reads the admin token, and asks the terminal for its background
// (the root hands the answer on) so that the token form matches it.
func (m usersModel) Init() tea.Cmd {
	return tea.Batch(m.spin.Tick, readAdminToken(m.deps.Session), tea.RequestBackgroundColor)
}

func (m usersModel) Typing() bool {
	return (m.tokenForm != nil && m.busy == "") || m.filtering || m.editingTeam
}

func (m usersModel) Keys() help.KeyMap {
	k := m.keys
	k.width = max(m.width, 40)
	switch {
	case m.confirm != 0:
		k.mode = modeConfirm
		return k
	case m.filtering || m.editingTeam:
		k.mode = modeInput
		k.Apply.SetHelp("enter", map[bool]string{true: "search", false: "set team"}[m.filtering])
		return k
	case m.tokenForm != nil:
		k.mode = modeInput
		k.Apply.SetHelp("enter", "check")
		k.Cancel.SetHelp("esc", "back")
		return k
	}
	_, hasRow := m.selected()
	idle := m.busy == ""
	k.Next.SetEnabled(idle && m.loaded && m.first+m.perPage < m.page.Total)
	k.Prev.SetEnabled(idle && m.loaded && m.first > 0)
	k.Filter.SetEnabled(idle && m.loaded)
	k.Team.SetEnabled(idle && hasRow)
	k.Rotate.SetEnabled(idle && hasRow)
	k.Revoke.SetEnabled(idle && hasRow)
	k.Retry.SetEnabled(idle && !m.loaded && m.loadErr != "")
	k.Clear.SetEnabled(m.search != "")
	k.Back.SetEnabled(m.search == "")
	return k
}

func (m usersModel) Update(msg tea.Msg) (usersModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.resize()
		return m.updateTokenForm(m.formSize())
	case tea.BackgroundColorMsg:
		m.dark = msg.IsDark()
		return m.updateTokenForm(msg)
	case spinner.TickMsg:
		if m.busy == "" {
			return m, nil
		}
		var cmd tea.Cmd
		m.spin, cmd = m.spin.Update(msg)
		return m, cmd
	case tea.KeyPressMsg:
		return m.updateKey(msg)
	case storedTokenMsg:
		if msg.err == nil && msg.token.IsSet() {
			return m.load(msg.token, false, m.search, 0)
		}
		if msg.err != nil && !errors.Is(msg.err, credentials.ErrNotFound) {
			m.tokenNote = "could not read the " + storeName(m.deps.Session.Secrets) + ": " + msg.err.Error()
		}
		return m.askToken("")
	case adminTokenSavedMsg:
		if msg.err != nil {
			m.status, m.kind = "could not remember the admin token: "+msg.err.Error(), statusFail
		}
		return m, nil
	case usersMsg:
		return m.loadedPage(msg)
	case userChangedMsg:
		return m.changed(msg)
	}
	if m.filtering || m.editingTeam {
		return m.updateInput(msg)
	}
	return m.updateTokenForm(msg)
}

func (m usersModel) updateKey(k tea.KeyPressMsg) (usersModel, tea.Cmd) {
	if key.Matches(k, m.keys.Quit) {
		return m, tea.Quit
	}
	switch {
	case m.confirm != 0:
		switch {
		case key.Matches(k, m.keys.Yes):
			action := m.confirm
			m.confirm = 0
			return m.act(action, m.target, "")
		case key.Matches(k, m.keys.No):
			m.confirm = 0
		}
		return m, nil
	case m.filtering:
		switch {
		case key.Matches(k, m.keys.Apply):
			m.filtering = false
			m.filter.Blur()
			return m.load(m.token, false, strings.TrimSpace(m.filter.Value()), 0)
		case key.Matches(k, m.keys.Cancel):
			m.filtering = false
			m.filter.Blur()
			m.filter.SetValue("")
			if m.search != "" {
				return m.load(m.token, false, "", 0)
			}
			return m, nil
		}
		return m.updateInput(k)
	case m.editingTeam:
		switch {
		case key.Matches(k, m.keys.Apply):
			m.editingTeam = false
			m.teamInput.Blur()
			return m.act(actionTeam, m.target, strings.TrimSpace(m.teamInput.Value()))
		case key.Matches(k, m.keys.Cancel):
			m.editingTeam = false
			m.teamInput.Blur()
			return m, nil
		}
		return m.updateInput(k)
	case m.tokenForm != nil:
		if key.Matches(k, m.keys.Cancel) {
			return m, navigate(screenHome)
		}
		if m.busy != "" {
			return m, nil
		}
		return m.updateTokenForm(k)
	}
	if key.Matches(k, m.keys.Back) && m.search == "" {
		return m, navigate(screenHome)
	}
	if m.busy != "" {
		return m, nil // one call at a time: answers come back in order
	}
	if key.Matches(k, m.keys.Clear) && m.search != "" {
		m.filter.SetValue("")
		return m.load(m.token, false, "", 0)
	}
	user, hasRow := m.selected()
	switch {
	case !m.loaded && m.loadErr != "" && key.Matches(k, m.keys.Retry):
		return m.load(m.token, false, m.search, m.first)
	case !m.loaded:
		return m, nil
	case key.Matches(k, m.keys.Next) && m.first+m.perPage < m.page.Total:
		return m.load(m.token, false, m.search, m.first+m.perPage)
	case key.Matches(k, m.keys.Prev) && m.first > 0:
		return m.load(m.token, false, m.search, max(m.first-m.perPage, 0))
	case key.Matches(k, m.keys.Filter):
		m.filtering = true
		m.filter.SetValue(m.search)
		m.filter.CursorEnd()
		return m, m.filter.Focus()
	case !hasRow:
		return m, nil
	case key.Matches(k, m.keys.Team):
		m.editingTeam, m.target = true, user
		m.teamInput.SetValue(user.TeamOverride)
		m.teamInput.CursorEnd()
		m.teamInput.SetSuggestions(user.Teams) // tab completes one of their groups
		return m, m.teamInput.Focus()
	case key.Matches(k, m.keys.Rotate):
		m.confirm, m.target = actionRotate, user
		return m, nil
	case key.Matches(k, m.keys.Revoke):
		if !user.KeyActive {
			m.status, m.kind = account(user)+" has no active plugin key.", statusNote
			return m, nil
		}
		m.confirm, m.target = actionRevoke, user
		return m, nil
	}
	var cmd tea.Cmd
	m.table, cmd = m.table.Update(k)
	return m, cmd
}

func (m usersModel) updateInput(msg tea.Msg) (usersModel, tea.Cmd) {
	var cmd tea.Cmd
	if m.filtering {
		m.filter, cmd = m.filter.Update(msg)
	} else {
		m.teamInput, cmd = m.teamInput.Update(msg)
	}
	return m, cmd
}

// askToken shows the admin token field, saying why when problem is set.
func (m usersModel) askToken(problem string) (usersModel, tea.Cmd) {
	m.busy, m.tokenErr = "", problem
	in := huh.NewInput().Key("token").Title("Admin token").
		Description("The Users screen needs the server's admin token; it is remembered for next time.").
		EchoMode(huh.EchoModePassword).Placeholder("lka_…").
		Validate(func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("enter the admin token")
			}
			return nil
		}).Value(new(m.tokenVal))
	var cmd tea.Cmd
	size := tea.WindowSizeMsg{}
	if m.width > 0 {
		size = m.formSize()
	}
	m.tokenForm, cmd = newFieldForm(in, m.dark, size)
	return m, cmd
}

func (m usersModel) formSize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: max(m.contentWidth(), 20), Height: 8}
}

func (m usersModel) updateTokenForm(msg tea.Msg) (usersModel, tea.Cmd) {
	if m.tokenForm == nil {
		return m, nil
	}
	f, cmd := m.tokenForm.Update(msg)
	m.tokenForm = f.(*huh.Form)
	if v, ok := m.tokenForm.GetFocusedField().GetValue().(string); ok {
		m.tokenVal = v
	}
	if m.tokenForm.State != huh.StateCompleted {
		return m, cmd
	}
	m, load := m.load(auth.Secret(strings.TrimSpace(m.tokenVal)), true, m.search, 0)
	return m, tea.Batch(cmd, load)
}

// load fetches one page.
func (m usersModel) load(token auth.Secret, typed bool, search string, first int) (usersModel, tea.Cmd) {
	if m.loaded {
		m.busy = "loading…"
	} else {
		m.busy = "Loading users…"
	}
	if typed {
		m.busy = "Checking the admin token…"
	}
	m.perPage = m.fitPerPage()
	return m, tea.Batch(m.spin.Tick, loadUsers(m.deps.Session.API, token, typed, search, first, m.perPage))
}

func (m usersModel) loadedPage(msg usersMsg) (usersModel, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		var se *api.StatusError
		refused := errors.As(msg.err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusTooManyRequests)
		switch {
		case refused && msg.typed:
			return m.askToken(adminTokenProblem(msg.err))
		case refused:
			m.loaded, m.tokenVal = false, ""
			return m.askToken("The admin token remembered for this server does not work: " + adminTokenProblem(msg.err))
		case m.loaded:
			m.status, m.kind = "could not load users: "+usersProblem(msg.err), statusFail
		default:
			m.tokenForm, m.token = nil, msg.token
			m.loadErr = usersProblem(msg.err)
		}
		return m, nil
	}
	var save tea.Cmd
	if msg.typed {
		save = saveAdminToken(m.deps.Session, msg.token)
	}
	m.tokenForm, m.tokenErr, m.loadErr = nil, "", ""
	m.token, m.loaded, m.page, m.search, m.first, m.perPage = msg.token, true, msg.page, msg.search, msg.first, msg.max
	m.filter.SetValue(msg.search)
	m.table.SetRows(m.rows())
	m.table.SetCursor(0)
	m.table.SetHeight(min(len(m.page.Users)+1, m.tableHeight()))
	m.status = ""
	return m, save
}

func (m usersModel) changed(msg userChangedMsg) (usersModel, tea.Cmd) {
	m.busy = ""
	who := account(m.target)
	if msg.err != nil {
		if api.IsStatus(msg.err, http.StatusUnauthorized) {
			m.loaded = false
			return m.askToken(adminTokenProblem(msg.err))
		}
		what := map[userAction]string{actionTeam: "set the team of", actionRotate: "rotate the key of", actionRevoke: "revoke the key of"}[msg.action]
		m.status, m.kind = fmt.Sprintf("could not %s %s: %s", what, who, usersProblem(msg.err)), statusFail
		return m, nil
	}
	u := msg.user
	switch msg.action {
	case actionRevoke:
		m.revoked[u.ID] = true
		m.status = "Revoked the plugin key of " + who + "."
	case actionRotate:
		delete(m.revoked, u.ID)
		m.status = "New plugin key for " + who + "; they see it with latchkey key or on their profile page."
	case actionTeam:
		if u.TeamOverride == "" {
			m.status = fmt.Sprintf("%s follows their Keycloak groups again: team %s.", who, u.Team)
		} else {
			m.status = fmt.Sprintf("%s is now in team %s.", who, u.Team)
		}
	}
	m.kind = statusDone
	for i := range m.page.Users {
		if m.page.Users[i].ID == u.ID {
			m.page.Users[i] = u
		}
	}
	cursor := m.table.Cursor()
	m.table.SetRows(m.rows())
	m.table.SetCursor(cursor)
	return m, nil
}

// act runs an administrator's change on user.
func (m usersModel) act(a userAction, user api.User, team string) (usersModel, tea.Cmd) {
	m.busy = map[userAction]string{actionTeam: "Setting the team…", actionRotate: "Rotating the key…", actionRevoke: "Revoking the key…"}[a]
	m.target, m.status = user, ""
	return m, tea.Batch(m.spin.Tick, changeUser(m.deps.Session.API, m.token, a, user.ID, team))
}

func loadUsers(c *api.Client, token auth.Secret, typed bool, search string, first, max int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), usersTimeout)
		defer cancel()
		page, err := c.Users(ctx, token, search, first, max)
		return usersMsg{page: page, token: token, typed: typed, search: search, first: first, max: max, err: err}
	}
}

func changeUser(c *api.Client, token auth.Secret, a userAction, id, team string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), usersTimeout)
		defer cancel()
		var u api.User
		var err error
		switch a {
		case actionTeam:
			u, err = c.SetUserTeam(ctx, token, id, team)
		case actionRotate:
			u, err = c.RotateUserKey(ctx, token, id)
		case actionRevoke:
			u, err = c.RevokeUserKey(ctx, token, id)
		}
		return userChangedMsg{action: a, user: u, err: err}
	}
}

// usersProblem says what went wrong with a call of the Users screen.
func usersProblem(err error) string {
	var se *api.StatusError
	if !errors.As(err, &se) {
		return "the server cannot be reached: " + callProblem(err)
	}
	parts := []string{se.Error()}
	if se.Body.Detail != "" {
		parts = append(parts, strings.TrimSuffix(se.Body.Detail, "."))
	}
	if se.Status == http.StatusServiceUnavailable {
		parts = append(parts, "In this console: Set up Keycloak on the home screen, or latchkey setup")
	}
	return strings.Join(parts, ". ") + "."
}

// account is how a user is named on the screen.
func account(u api.User) string { return cmp.Or(u.Account, u.Username, u.ID) }

func (m usersModel) selected() (api.User, bool) {
	i := m.table.Cursor()
	if !m.loaded || i < 0 || i >= len(m.page.Users) {
		return api.User{}, false
	}
	return m.page.Users[i], true
}

func (m usersModel) rows() []table.Row {
	rows := make([]table.Row, len(m.page.Users))
	for i, u := range m.page.Users {
		signedIn := "never"
		if u.LastLoginAt != nil {
			signedIn = u.LastLoginAt.Local().Format("2006-01-02")
		}
		keyState := "none"
		switch {
		case u.KeyActive:
			keyState = "active"
		case m.revoked[u.ID] || u.SignedIn:
			keyState = "revoked" // everyone who signed in got a key
		}
		rows[i] = table.Row{account(u), u.Team, signedIn, keyState}
	}
	return rows
}

// Layout

func (m usersModel) contentWidth() int { return max(m.width, 40) - 2 }

// tableHeight is the table's lines, its header included.
func (m usersModel) tableHeight() int {
	if m.height == 0 {
		return maxPerPage + 1
	}
	return max(m.height-chromeLines-usersFixedLines, 3)
}

// fitPerPage is how many users a page has: as many as the table shows, at
// most maxPerPage.
func (m usersModel) fitPerPage() int { return min(max(m.tableHeight()-1, 1), maxPerPage) }

func (m *usersModel) resize() {
	w := m.contentWidth()
	const team, signed, keyw = 12, 10, 7
	acct := max(w-team-signed-keyw-8, 10) // each column is padded by one cell either side
	m.table.SetColumns([]table.Column{
		{Title: "Account", Width: acct}, {Title: "Team", Width: team},
		{Title: "Signed in", Width: signed}, {Title: "Key", Width: keyw},
	})
	m.table.SetWidth(w)
	m.table.SetHeight(min(len(m.page.Users)+1, m.tableHeight()))
	m.filter.SetWidth(w - 4)
	m.teamInput.SetWidth(w - 4)
}

// tableStyles and inputStyles are the looks of the table and the text
// inputs for the terminal's background. View applies them to copies, so
// they follow the styles the root model passes.
func tableStyles(s styles) table.Styles {
	ts := table.DefaultStyles()
	ts.Header = ts.Header.Foreground(s.Muted.GetForeground())
	ts.Selected = lipgloss.NewStyle().Reverse(true)
	return ts
}

func inputStyles(s styles) textinput.Styles {
	st := textinput.DefaultStyles(s.isDark)
	st.Focused.Prompt = s.Title
	st.Focused.Placeholder, st.Blurred.Placeholder = s.Muted, s.Muted
	st.Focused.Suggestion = s.Muted
	st.Cursor.Color = s.Title.GetForeground()
	return st
}

func (m usersModel) View(s styles, width int) string {
	m.width = width
	w := m.contentWidth()
	lines := []string{"", m.title(s, w)}
	switch {
	case m.tokenForm != nil:
		lines = append(lines, "")
		if m.tokenNote != "" {
			lines = append(lines, hang(s.Warn.Render("!")+" ", m.tokenNote, w))
		}
		if m.tokenErr != "" {
			lines = append(lines, hang(s.Fail.Render("✗")+" ", m.tokenErr, w), "")
		}
		if m.busy != "" {
			lines = append(lines, s.Title.Render(m.spin.View())+" "+m.busy)
		} else {
			lines = append(lines, m.tokenForm.View())
		}
	case !m.loaded && m.busy != "":
		lines = append(lines, "", s.Title.Render(m.spin.View())+" "+m.busy)
	case !m.loaded && m.loadErr != "":
		lines = append(lines, "", hang(s.Fail.Render("✗")+" ", m.loadErr, w), "", s.Muted.Render("r retry · esc back"))
	case m.loaded:
		t := m.table
		t.SetStyles(tableStyles(s))
		lines = append(lines, m.filterLine(s, w), t.View(), m.detail(s, w), m.bottom(s, w))
	}
	return indent(strings.Join(lines, "\n"), 2)
}

func (m usersModel) title(s styles, w int) string {
	t := s.Title.Render("Users")
	if m.loaded {
		pages := max((m.page.Total+m.perPage-1)/m.perPage, 1)
		info := fmt.Sprintf("page %d of %d · %d users", m.first/m.perPage+1, pages, m.page.Total)
		if m.page.Total == 1 {
			info = "page 1 of 1 · 1 user"
		}
		if m.search != "" {
			info += fmt.Sprintf(" matching %q", m.search)
		}
		t += s.Muted.Render(" · " + info)
	}
	if m.busy != "" && m.loaded {
		t += " " + s.Title.Render(m.spin.View()) + s.Muted.Render(" "+m.busy)
	}
	return ansi.Truncate(t, w, "…")
}

func (m usersModel) filterLine(s styles, w int) string {
	switch {
	case m.filtering:
		in := m.filter
		in.SetStyles(inputStyles(s))
		return in.View()
	case m.search != "":
		return ansi.Truncate(s.Muted.Render(fmt.Sprintf("filter %q · esc clears · / changes", m.search)), w, "…")
	case m.page.Total == 0:
		return s.Muted.Render("No users in the realm.")
	}
	return ""
}

// detail names the selected user with what the table leaves out.
func (m usersModel) detail(s styles, w int) string {
	u, ok := m.selected()
	if !ok {
		if m.search != "" {
			return s.Muted.Render("No user matches; esc clears the filter.")
		}
		return ""
	}
	parts := []string{s.Label.Render(account(u))}
	if u.Name != "" {
		parts = append(parts, u.Name)
	}
	if len(u.Teams) > 0 {
		parts = append(parts, "groups "+strings.Join(u.Teams, ", "))
	}
	if u.TeamOverride != "" {
		parts = append(parts, "team set by admin")
	}
	if !u.Enabled {
		parts = append(parts, s.Warn.Render("disabled in Keycloak"))
	}
	return ansi.Truncate(strings.Join(parts, s.Muted.Render(" · ")), w, "…")
}

// bottom is the prompt, the team input or the status line.
func (m usersModel) bottom(s styles, w int) string {
	who := account(m.target)
	switch {
	case m.confirm == actionRotate && m.target.KeyActive:
		return hang("", s.Warn.Render("Rotate the plugin key of "+who+"? The old key stops working.")+" "+s.Label.Render("y/n"), w)
	case m.confirm == actionRotate:
		return hang("", s.Warn.Render("Give "+who+" a plugin key?")+" "+s.Label.Render("y/n"), w)
	case m.confirm == actionRevoke:
		return hang("", s.Warn.Render("Revoke the plugin key of "+who+"?")+" "+s.Label.Render("y/n"), w)
	case m.editingTeam:
		team := m.teamInput
		team.SetStyles(inputStyles(s))
		return ansi.Truncate(s.Label.Render("Team for "+who)+s.Muted.Render(" (empty: back to Keycloak groups)"), w, "…") + "\n" + team.View()
	case m.busy != "" && m.status == "":
		return ""
	case m.status != "" && m.kind == statusFail:
		return hang(s.Fail.Render("✗")+" ", m.status, w)
	case m.status != "" && m.kind == statusNote:
		return hang("", m.status, w, s.Muted)
	case m.status != "":
		return hang(s.OK.Render("✓")+" ", m.status, w)
	}
	return ""
}
