package tui

import (
	"strings"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
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
		Up:     keyUp,
		Down:   keyDown,
		Next:   key.NewBinding(key.WithKeys("n", "right"), key.WithHelp("n/→", "next page")),
		Prev:   key.NewBinding(key.WithKeys("p", "left"), key.WithHelp("p/←", "previous page")),
		page:   key.NewBinding(key.WithKeys("n", "p"), key.WithHelp("n/p", "page")),
		Filter: key.NewBinding(key.WithKeys("/"), key.WithHelp("/", "filter")),
		Clear:  key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "clear filter")),
		Team:   key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "team")),
		Rotate: key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "rotate key")),
		Revoke: key.NewBinding(key.WithKeys("x"), key.WithHelp("x", "revoke key")),
		Retry:  keyRetry,
		Apply:  key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "apply")),
		Cancel: keyCancel,
		Yes:    key.NewBinding(key.WithKeys("y", "Y"), key.WithHelp("y", "yes")),
		No:     key.NewBinding(key.WithKeys("n", "N", "esc"), key.WithHelp("n", "no")),
		Back:   keyBack,
		Quit:   globalKeys.Quit,
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
		var cmd tea.Cmd
		m.spin, cmd = spinWhile(m.busy != "", m.spin, msg)
		return m, cmd
	case tea.KeyPressMsg:
		return m.updateKey(msg)
	case storedTokenMsg:
		if msg.err == nil && msg.token.IsSet() {
			return m.load(msg.token, false, m.search, 0)
		}
		if note := tokenReadNote(m.deps.Session.Secrets, msg.err); note != "" {
			m.tokenNote = note
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
