package tui

import (
	"context"
	"errors"
	"slices"
	"time"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"

	"github.com/latchkeyhq/latchkey/server/api"
)

// profileTimeout bounds one account call (a refresh, the server, the keyring).
const profileTimeout = 90 * time.Second

// profileStep is what the profile screen shows.
type profileStep int

const (
	profileLoading   profileStep = iota
	profileShown                 // the account
	profileSignedOut             // no sign-in: l logs in
	profileError                 // the account could not be loaded: r retries
)

// profileOp is the account call a meMsg answers.
type profileOp int

const (
	opLoad profileOp = iota
	opRotate
	opSetTeam
)

// meMsg answers an account call.
type meMsg struct {
	op  profileOp
	me  api.Me
	err error
}

func accountCall(op profileOp, call func(context.Context) (api.Me, error)) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), profileTimeout)
		defer cancel()
		me, err := call(ctx)
		return meMsg{op: op, me: me, err: err}
	}
}

type profileKeys struct {
	Reveal, Copy, CopyEndpoint, Rotate, Team, Back, Quit key.Binding
	Login, Retry, Yes, No, Up, Down, Choose, Close       key.Binding
	short                                                keyList // the current step's
}

func newProfileKeys() profileKeys {
	return profileKeys{
		Reveal:       key.NewBinding(key.WithKeys("v"), key.WithHelp("v", "show key")),
		Copy:         key.NewBinding(key.WithKeys("c"), key.WithHelp("c", "copy key")),
		CopyEndpoint: key.NewBinding(key.WithKeys("e"), key.WithHelp("e", "copy endpoint")),
		Rotate:       key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "new key")),
		Team:         key.NewBinding(key.WithKeys("t"), key.WithHelp("t", "team")),
		Back:         key.NewBinding(key.WithKeys("esc", "q"), key.WithHelp("esc", "back")),
		Quit:         globalKeys.Quit,
		Login:        key.NewBinding(key.WithKeys("l"), key.WithHelp("l", "log in")),
		Retry:        keyRetry,
		Yes:          key.NewBinding(key.WithKeys("y"), key.WithHelp("y", "yes, new key")),
		No:           key.NewBinding(key.WithKeys("n", "esc"), key.WithHelp("n", "no")),
		Up:           keyUp,
		Down:         keyDown,
		Choose:       keyChoose,
		Close:        keyCancel,
	}
}

// profileModel shows the signed-in person's account, plugin key, team and
// endpoint: what their IDE plugin needs.
type profileModel struct {
	deps     Deps
	step     profileStep
	me       api.Me
	problem  string
	notice   string
	ok       bool   // the notice reports success
	revealed bool   // the plugin key is shown in full
	confirm  bool   // "a new key?" is asked
	picking  bool   // the team picker is open
	cursor   int    // the team under the picker's cursor
	busy     string // what is being done, with the spinner
	height   int
	spinner  spinner.Model
	keys     profileKeys
}

func newProfile(deps Deps) profileModel {
	return profileModel{
		deps: deps, step: profileLoading, spinner: spinner.New(spinner.WithSpinner(spinner.Dot)), keys: newProfileKeys(),
	}
}

func (m profileModel) Init() tea.Cmd {
	return tea.Batch(m.spinner.Tick, accountCall(opLoad, m.deps.Session.Me))
}

// Typing: the profile screen has no text fields.
func (m profileModel) Typing() bool { return false }

func (m profileModel) Keys() help.KeyMap { return m.activeKeys().short }

func (m profileModel) activeKeys() profileKeys {
	k := m.keys
	switch {
	case m.busy != "":
		k.short = []key.Binding{k.Back, k.Quit}
	case m.step == profileSignedOut:
		k.short = []key.Binding{k.Login, k.Back, globalKeys.Help}
	case m.step == profileError:
		k.short = []key.Binding{k.Retry, k.Back, globalKeys.Help}
	case m.step != profileShown:
		k.short = []key.Binding{k.Back, k.Quit}
	case m.confirm:
		k.short = []key.Binding{k.Yes, k.No}
	case m.picking:
		k.short = []key.Binding{k.Up, k.Down, k.Choose, k.Close}
	default:
		if m.revealed {
			k.Reveal.SetHelp("v", "hide key")
		}
		k.short = []key.Binding{k.Reveal, k.Copy, k.Rotate}
		if len(m.me.Teams) > 1 {
			k.short = append(k.short, k.Team)
		}
		k.short = append(k.short, k.CopyEndpoint, k.Back, globalKeys.Help)
		if m.me.PluginAPIKey == "" {
			k.Rotate.SetHelp("r", "create key")
			k.short = []key.Binding{k.Rotate, k.CopyEndpoint, k.Back, globalKeys.Help}
		}
	}
	return k
}

func (m profileModel) Update(msg tea.Msg) (profileModel, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.height = msg.Height
	case spinner.TickMsg:
		var cmd tea.Cmd
		m.spinner, cmd = spinWhile(m.step == profileLoading || m.busy != "", m.spinner, msg)
		return m, cmd
	case meMsg:
		return m.answered(msg)
	case tea.KeyPressMsg:
		return m.keyPress(msg)
	}
	return m, nil
}

func (m profileModel) answered(msg meMsg) (profileModel, tea.Cmd) {
	m.busy = ""
	switch {
	case errors.Is(msg.err, ErrSignedOut):
		m.step, m.me, m.revealed, m.picking, m.confirm = profileSignedOut, api.Me{}, false, false, false
		return m, func() tea.Msg { return accountMsg{} }
	case msg.err != nil && msg.op == opLoad:
		m.step, m.problem = profileError, msg.err.Error()
		return m, nil
	case msg.err != nil:
		m.notice, m.ok = msg.err.Error(), false
		return m, nil
	}
	m.step, m.me, m.problem = profileShown, msg.me, ""
	switch msg.op {
	case opRotate:
		m.revealed = false
		m.notice, m.ok = "New plugin key created; the old one no longer works. Put the new one in your IDE plugin.", true
	case opSetTeam:
		m.notice, m.ok = "Your team is now "+msg.me.Team+".", true
	}
	me := msg.me
	return m, func() tea.Msg { return accountMsg{account: me.Account, team: me.Team} }
}

func (m profileModel) keyPress(msg tea.KeyPressMsg) (profileModel, tea.Cmd) {
	k := m.activeKeys()
	if key.Matches(msg, k.Quit) {
		return m, tea.Quit
	}
	switch {
	case m.busy != "" || m.step == profileLoading:
		// only leaving is possible
	case m.step == profileSignedOut:
		if key.Matches(msg, k.Login) {
			return m, func() tea.Msg { return navigateMsg{to: screenLogin, start: StartLogin} }
		}
	case m.step == profileError:
		if key.Matches(msg, k.Retry) {
			return m.call("", opLoad, m.deps.Session.Me)
		}
	case m.confirm:
		switch {
		case key.Matches(msg, k.Yes):
			m.confirm = false
			return m.call("Creating a new plugin key…", opRotate, m.deps.Session.RotateKey)
		case key.Matches(msg, k.No):
			m.confirm, m.notice = false, ""
		}
		return m, nil
	case m.picking:
		return m.pick(msg, k)
	default:
		return m.shownKey(msg, k)
	}
	if key.Matches(msg, k.Back) {
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m profileModel) shownKey(msg tea.KeyPressMsg, k profileKeys) (profileModel, tea.Cmd) {
	m.notice = ""
	hasKey := m.me.PluginAPIKey != ""
	switch {
	case hasKey && key.Matches(msg, k.Reveal):
		m.revealed = !m.revealed
	case hasKey && key.Matches(msg, k.Copy):
		m.notice, m.ok = "Plugin key copied (if your terminal supports OSC 52).", true
		return m, tea.SetClipboard(m.me.PluginAPIKey)
	case key.Matches(msg, k.CopyEndpoint):
		m.notice, m.ok = "Endpoint copied (if your terminal supports OSC 52).", true
		return m, tea.SetClipboard(m.me.Endpoint)
	case key.Matches(msg, k.Rotate):
		if !hasKey {
			return m.call("Creating a plugin key…", opRotate, m.deps.Session.RotateKey)
		}
		m.confirm = true
	case len(m.me.Teams) > 1 && key.Matches(msg, k.Team):
		m.picking, m.cursor = true, max(slices.Index(m.me.Teams, m.me.Team), 0)
	case key.Matches(msg, k.Back):
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m profileModel) pick(msg tea.KeyPressMsg, k profileKeys) (profileModel, tea.Cmd) {
	n := len(m.me.Teams)
	switch {
	case key.Matches(msg, k.Up):
		m.cursor = (m.cursor + n - 1) % n
	case key.Matches(msg, k.Down):
		m.cursor = (m.cursor + 1) % n
	case key.Matches(msg, k.Close):
		m.picking = false
	case key.Matches(msg, k.Choose):
		m.picking = false
		team := m.me.Teams[m.cursor]
		if team == m.me.Team {
			return m, nil
		}
		return m.call("Saving your team…", opSetTeam, func(ctx context.Context) (api.Me, error) {
			return m.deps.Session.SetTeam(ctx, team)
		})
	}
	return m, nil
}

// call starts an account call with the spinner.
func (m profileModel) call(busy string, op profileOp, do func(context.Context) (api.Me, error)) (profileModel, tea.Cmd) {
	if op == opLoad {
		m.step = profileLoading
	}
	m.busy, m.notice = busy, ""
	return m, tea.Batch(m.spinner.Tick, accountCall(op, do))
}
