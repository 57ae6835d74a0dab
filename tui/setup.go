package tui

import (
	"charm.land/bubbles/v2/help"
	"charm.land/bubbles/v2/key"
	tea "charm.land/bubbletea/v2"
)

// setupModel is a placeholder until the screen is written.
type setupModel struct{ deps Deps }

func newSetup(deps Deps) setupModel { return setupModel{deps: deps} }

func (m setupModel) Init() tea.Cmd { return nil }

func (m setupModel) Update(msg tea.Msg) (setupModel, tea.Cmd) {
	if k, ok := msg.(tea.KeyPressMsg); ok && k.String() == "esc" {
		return m, navigate(screenHome)
	}
	return m, nil
}

func (m setupModel) View(s styles, width int) string { return "\n  not written yet" }

func (m setupModel) Keys() help.KeyMap { return setupStubKeys{} }

func (m setupModel) Typing() bool { return false }

type setupStubKeys struct{}

func (setupStubKeys) ShortHelp() []key.Binding  { return []key.Binding{globalKeys.Help} }
func (setupStubKeys) FullHelp() [][]key.Binding { return nil }
