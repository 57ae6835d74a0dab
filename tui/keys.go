package tui

import (
	"slices"

	"charm.land/bubbles/v2/key"
	"charm.land/lipgloss/v2"
)

// globalKeys work on every screen.
var globalKeys = struct {
	Help, Quit key.Binding
}{
	Help: key.NewBinding(key.WithKeys("?"), key.WithHelp("?", "more help")),
	Quit: key.NewBinding(key.WithKeys("ctrl+c"), key.WithHelp("ctrl+c", "quit")),
}

// Bindings that read the same on every screen that has them; each screen's
// keyMap holds its own copy, to relabel or disable.
var (
	keyUp     = key.NewBinding(key.WithKeys("up", "k"), key.WithHelp("↑/k", "up"))
	keyDown   = key.NewBinding(key.WithKeys("down", "j"), key.WithHelp("↓/j", "down"))
	keyChoose = key.NewBinding(key.WithKeys("enter"), key.WithHelp("enter", "choose"))
	keyRetry  = key.NewBinding(key.WithKeys("r"), key.WithHelp("r", "retry"))
	keyBack   = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "back"))
	keyCancel = key.NewBinding(key.WithKeys("esc"), key.WithHelp("esc", "cancel"))
)

// keyList is a help.KeyMap of the keys a step offers: all of them in a
// line, or in columns of three for the full help.
type keyList []key.Binding

func (k keyList) ShortHelp() []key.Binding { return k }

func (k keyList) FullHelp() [][]key.Binding {
	var cols [][]key.Binding
	for c := range slices.Chunk([]key.Binding(k), 3) {
		cols = append(cols, c)
	}
	return cols
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
