package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// loginModel is a placeholder until the screen is written.
type loginModel struct{ deps Deps }

func newLogin(deps Deps, start Start) loginModel { return loginModel{deps: deps} }

func (m loginModel) Init() tea.Cmd { return nil }

func (m loginModel) Update(msg tea.Msg) (loginModel, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m loginModel) View(s styles, width int) string { return "\n  not written yet" }

func (m loginModel) Keys() help.KeyMap { return loginStubKeys{} }

func (m loginModel) Typing() bool { return false }

type loginStubKeys struct{}

func (loginStubKeys) ShortHelp() []key.Binding  { return []key.Binding{globalKeys.Help} }
func (loginStubKeys) FullHelp() [][]key.Binding { return nil }
