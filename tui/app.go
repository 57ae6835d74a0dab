// Package tui is latchkey's terminal face: one Bubble Tea program whose root
// model switches between a few screens (home, setup wizard, login, profile,
// users). All I/O runs in tea.Cmds that return typed messages; models change
// only in Update.
package tui

import (
	"context"
	"log/slog"
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

// Receiver waits for the browser's loopback redirect (auth.Loopback).
type Receiver interface {
	RedirectURI() string
	Wait(ctx context.Context) (code string, err error)
	Close() error
}

// Deps is everything the terminal client talks to.
type Deps struct {
	Session *Session
	// OpenURL opens url in the person's browser when that is sensible, and
	// says what happened ("opened with xdg-open", "over SSH: …").
	OpenURL func(url string) (opened bool, note string)
	// Listen starts a loopback receiver for one sign-in with this state.
	Listen func(state string) (Receiver, error)
	Log    *slog.Logger
}

// Start is the screen the program opens on.
type Start int

const (
	StartHome          Start = iota
	StartSetup               // latchkey setup
	StartLogin               // latchkey login: the browser sign-in
	StartLoginPaste          // latchkey login --no-browser
	StartLoginPassword       // latchkey login --password
)

type screen int

const (
	screenHome screen = iota
	screenSetup
	screenLogin
	screenProfile
	screenUsers
)

// Messages between screens and the root model.
type (
	// navigateMsg asks the root model to show another screen.
	navigateMsg struct {
		to    screen
		start Start // for screenLogin: which way to sign in
	}
	// accountMsg reports the account after a call that returned it.
	accountMsg struct{ account, team string }
)

func navigate(to screen) tea.Cmd {
	return func() tea.Msg { return navigateMsg{to: to} }
}

// Model is the root model.
type Model struct {
	deps   Deps
	start  Start
	screen screen
	styles styles
	help   help.Model
	width  int
	height int

	account, team string // for the header
	// background is the terminal's answer about its colours, replayed to
	// each screen that opens later (huh forms colour themselves from it).
	background tea.Msg

	home    homeModel
	setup   setupModel
	login   loginModel
	profile profileModel
	users   usersModel
}

// New returns the root model, opening on start.
func New(deps Deps, start Start) Model {
	st := deps.Session.Config.Server(deps.Session.Server)
	m := Model{
		deps: deps, start: start, styles: newStyles(true), help: help.New(),
		account: st.Account, team: st.Team, home: newHome(),
	}
	m.screen, m.setup, m.login = screenHome, setupModel{}, loginModel{}
	switch start {
	case StartSetup:
		m.screen, m.setup = screenSetup, newSetup(deps)
	case StartLogin, StartLoginPaste, StartLoginPassword:
		m.screen, m.login = screenLogin, newLogin(deps, start)
	}
	return m
}

// Init asks the terminal for its background colour and starts the first screen.
func (m Model) Init() tea.Cmd {
	return tea.Batch(tea.RequestBackgroundColor, m.initScreen())
}

func (m Model) initScreen() tea.Cmd {
	switch m.screen {
	case screenSetup:
		return m.setup.Init()
	case screenLogin:
		return m.login.Init()
	case screenProfile:
		return m.profile.Init()
	case screenUsers:
		return m.users.Init()
	}
	return nil
}

// Update handles what concerns every screen and hands the rest to the
// current one.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.BackgroundColorMsg:
		// The screen sees it too: huh forms pick their colours from it.
		m.styles, m.background = newStyles(msg.IsDark()), msg
		return m.updateScreen(msg)
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.help.SetWidth(msg.Width)
	case accountMsg:
		m.account, m.team = msg.account, msg.team
		return m, nil
	case navigateMsg:
		return m.navigate(msg)
	case tea.KeyPressMsg:
		if !m.typing() && key.Matches(msg, globalKeys.Help) {
			m.help.ShowAll = !m.help.ShowAll
			return m, nil
		}
	}
	return m.updateScreen(msg)
}

// navigate switches screens; leaving a screen started from the command line
// (latchkey setup, latchkey login) for home ends the program instead.
func (m Model) navigate(msg navigateMsg) (tea.Model, tea.Cmd) {
	if msg.to == screenHome && m.start != StartHome {
		return m, tea.Quit
	}
	m.screen, m.help.ShowAll = msg.to, false
	switch msg.to {
	case screenSetup:
		m.setup = newSetup(m.deps)
	case screenLogin:
		m.login = newLogin(m.deps, msg.start)
	case screenProfile:
		m.profile = newProfile(m.deps)
	case screenUsers:
		m.users = newUsers(m.deps)
	}
	size := func() tea.Msg { return tea.WindowSizeMsg{Width: m.width, Height: m.height} }
	cmds := []tea.Cmd{m.initScreen(), size}
	if bg := m.background; bg != nil {
		cmds = append(cmds, func() tea.Msg { return bg })
	}
	return m, tea.Batch(cmds...)
}

func (m Model) updateScreen(msg tea.Msg) (tea.Model, tea.Cmd) {
	var cmd tea.Cmd
	switch m.screen {
	case screenHome:
		m.home, cmd = m.home.Update(msg)
	case screenSetup:
		m.setup, cmd = m.setup.Update(msg)
	case screenLogin:
		m.login, cmd = m.login.Update(msg)
	case screenProfile:
		m.profile, cmd = m.profile.Update(msg)
	case screenUsers:
		m.users, cmd = m.users.Update(msg)
	}
	return m, cmd
}

// typing reports whether the current screen has a text field focused, so
// that keys like ? and q are text, not commands.
func (m Model) typing() bool {
	switch m.screen {
	case screenSetup:
		return m.setup.Typing()
	case screenLogin:
		return m.login.Typing()
	case screenUsers:
		return m.users.Typing()
	}
	return false
}

// chromeLines is what the root model draws around a screen at most: the
// header (up to three lines and its border), the blank line and the help
// footer.
const chromeLines = 6

// View draws the header, the current screen and the help footer.
func (m Model) View() tea.View {
	width := max(m.width, 40)
	var body string
	var keys help.KeyMap
	switch m.screen {
	case screenHome:
		body, keys = m.home.View(m.styles, width), m.home.Keys()
	case screenSetup:
		body, keys = m.setup.View(m.styles, width), m.setup.Keys()
	case screenLogin:
		body, keys = m.login.View(m.styles, width), m.login.Keys()
	case screenProfile:
		body, keys = m.profile.View(m.styles, width), m.profile.Keys()
	case screenUsers:
		body, keys = m.users.View(m.styles, width), m.users.Keys()
	}
	// bubbles' help may overflow a narrow terminal; never wider than it.
	footer := lipgloss.NewStyle().MaxWidth(width).Render(m.help.View(keys))
	header := m.header(width)
	if m.height > 0 {
		// Keep the footer at the bottom: pad or trim the body to fit.
		room := m.height - lipgloss.Height(header) - lipgloss.Height(footer) - 1
		body = fitHeight(body, max(room, 1))
	}
	v := tea.NewView(lipgloss.JoinVertical(lipgloss.Left, header, body, "", footer))
	v.AltScreen = true
	v.WindowTitle = "latchkey"
	return v
}

// header shows where the client points, who is signed in, and where the
// secrets are kept.
func (m Model) header(width int) string {
	s := m.styles
	account := m.account
	if account == "" {
		account = "not signed in"
	}
	storage := m.deps.Session.Secrets.Backend()
	if storage != "keyring" {
		storage = s.Warn.Render(storage + " (" + m.deps.Session.Secrets.Reason() + ")")
	}
	fields := []string{
		s.Title.Render("latchkey"),
		s.Muted.Render("server ") + m.deps.Session.Server,
		s.Muted.Render("account ") + account,
	}
	if m.team != "" {
		fields = append(fields, s.Muted.Render("team ")+m.team)
	}
	fields = append(fields, s.Muted.Render("secrets ")+storage)
	return s.Header.Width(width).Render(wrapFields(fields, width))
}

// fitHeight pads or trims s to height lines.
func fitHeight(s string, height int) string {
	lines := strings.Split(s, "\n")
	if len(lines) > height {
		lines = lines[:height]
	}
	for len(lines) < height {
		lines = append(lines, "")
	}
	return strings.Join(lines, "\n")
}
