package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// usersModel is a placeholder until the screen is written.
type usersModel struct{ deps Deps }

func newUsers(deps Deps) usersModel { return usersModel{deps: deps} }

func (m usersModel) Init() tea.Cmd { return nil }

func (m usersModel) Update(msg tea.Msg) (usersModel, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m usersModel) View(s styles, width int) string { return "\n  not written yet" }

func (m usersModel) Keys() help.KeyMap { return usersStubKeys{} }

func (m usersModel) Typing() bool { return false }

type usersStubKeys struct{}

func (usersStubKeys) ShortHelp() []key.Binding  { return []key.Binding{globalKeys.Help} }
func (usersStubKeys) FullHelp() [][]key.Binding { return nil }
