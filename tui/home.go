package tui

import (
	"strings"

	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
	"charm.land/lipgloss/v2"
)

type menuEntry struct {
	label, hint string
	to          screen
	quit        bool
}

var menu = []menuEntry{
	{label: "Set up Keycloak", hint: "administrator: connect this server to Keycloak", to: screenSetup},
	{label: "Log in", hint: "sign in through your company's Keycloak in the browser", to: screenLogin},
	{label: "My profile & plugin key", hint: "account, plugin API key, team, endpoint", to: screenProfile},
	{label: "Users", hint: "administrator: teams and plugin keys of realm users", to: screenUsers},
	{label: "Quit", quit: true},
}

type homeKeys struct {
	Up, Down, Choose, Quit key.Binding
}

func (k homeKeys) ShortHelp() []key.Binding {
	return []key.Binding{k.Up, k.Down, k.Choose, k.Quit, globalKeys.Help}
}
func (k homeKeys) FullHelp() [][]key.Binding {
	return [][]key.Binding{{k.Up, k.Down, k.Choose}, {k.Quit, globalKeys.Quit, globalKeys.Help}}
}

// homeModel is the menu of what the terminal client can do.
type homeModel struct {
	cursor int
	keys   homeKeys
}

func newHome() homeModel {
	return homeModel{keys: homeKeys{
		Up: keyUp, Down: keyDown, Choose: keyChoose,
		Quit: key.NewBinding(key.WithKeys("q", "esc", "ctrl+c"), key.WithHelp("q", "quit")),
	}}
}

func (h homeModel) Keys() help.KeyMap { return h.keys }

func (h homeModel) Update(msg tea.Msg) (homeModel, tea.Cmd) {
	k, ok := msg.(tea.KeyPressMsg)
	if !ok {
		return h, nil
	}
	switch {
	case key.Matches(k, h.keys.Up):
		h.cursor = (h.cursor + len(menu) - 1) % len(menu)
	case key.Matches(k, h.keys.Down):
		h.cursor = (h.cursor + 1) % len(menu)
	case key.Matches(k, h.keys.Quit):
		return h, tea.Quit
	case key.Matches(k, h.keys.Choose):
		if menu[h.cursor].quit {
			return h, tea.Quit
		}
		return h, func() tea.Msg { return navigateMsg{to: menu[h.cursor].to, start: StartLogin} }
	}
	return h, nil
}

func (h homeModel) View(s styles, width int) string {
	var b strings.Builder
	b.WriteString("\n")
	for i, e := range menu {
		line := e.label
		if i == h.cursor {
			current := s.Current.Render(line)
			b.WriteString(current)
			if e.hint != "" && lipgloss.Width(current)+2+lipgloss.Width(e.hint) <= width {
				b.WriteString("  " + s.Muted.Render(e.hint))
			}
		} else {
			b.WriteString(s.Item.Render(line))
		}
		b.WriteString("\n")
	}
	return b.String()
}
