package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// profileModel is a placeholder until the screen is written.
type profileModel struct{ deps Deps }

func newProfile(deps Deps) profileModel { return profileModel{deps: deps} }

func (m profileModel) Init() tea.Cmd { return nil }

func (m profileModel) Update(msg tea.Msg) (profileModel, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m profileModel) View(s styles, width int) string { return "\n  not written yet" }

func (m profileModel) Keys() help.KeyMap { return profileStubKeys{} }

func (m profileModel) Typing() bool { return false }

type profileStubKeys struct{}

func (profileStubKeys) ShortHelp() []key.Binding  { return []key.Binding{globalKeys.Help} }
func (profileStubKeys) FullHelp() [][]key.Binding { return nil }
