package tui

import (
	"image/color"

	"charm.land/bubbles/v2/spinner"
	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
)

// Bubbles and huh pieces shared by the screens.

// spinWhile advances the spinner while the screen waits; a tick that comes
// when it no longer waits is dropped, which stops the spinner until the next
// wait ticks it again.
func spinWhile(waiting bool, s spinner.Model, msg spinner.TickMsg) (spinner.Model, tea.Cmd) {
	if !waiting {
		return s, nil
	}
	return s.Update(msg)
}

// newFieldForm is a one-field form in the console's look, without huh's own
// help (the root shows the screen's keys) and without its quit key (ctrl+c
// and esc belong to the screen). size is the room it has, once the terminal
// has told it (sized).
func newFieldForm(in *huh.Input, dark bool, size tea.WindowSizeMsg, sized bool) (*huh.Form, tea.Cmd) {
	km := huh.NewDefaultKeyMap()
	km.Quit.SetEnabled(false)
	form := huh.NewForm(huh.NewGroup(in)).WithShowHelp(false).WithKeyMap(km).
		WithTheme(huh.ThemeFunc(func(dark bool) *huh.Styles { return formTheme(newStyles(dark)) }))
	cmds := []tea.Cmd{form.Init()}
	_, cmd := form.Update(backgroundMsg(dark))
	cmds = append(cmds, cmd)
	if sized {
		_, cmd = form.Update(size)
		cmds = append(cmds, cmd)
	}
	return form, tea.Batch(cmds...)
}

// updateField hands msg to a one-field form, keeps what the field holds in
// value, and reports whether the field was submitted.
func updateField(form *huh.Form, value *string, msg tea.Msg) (*huh.Form, bool, tea.Cmd) {
	f, cmd := form.Update(msg)
	form = f.(*huh.Form)
	if v, ok := form.GetFocusedField().GetValue().(string); ok {
		*value = v
	}
	return form, form.State == huh.StateCompleted, cmd
}

func backgroundMsg(dark bool) tea.BackgroundColorMsg {
	if dark {
		return tea.BackgroundColorMsg{Color: color.Black}
	}
	return tea.BackgroundColorMsg{Color: color.White}
}

// formTheme styles huh forms like the rest of the console.
func formTheme(s styles) *huh.Styles {
	t := huh.ThemeBase(s.isDark)
	accent := s.Title.GetForeground()
	t.Focused.Base = t.Focused.Base.BorderForeground(accent)
	t.Focused.Title = s.Label
	t.Focused.Description = s.Muted
	t.Focused.ErrorIndicator = s.Fail.SetString(" *")
	t.Focused.ErrorMessage = s.Fail.SetString("✗")
	t.Focused.TextInput.Cursor = lipgloss.NewStyle().Foreground(accent)
	t.Focused.TextInput.Prompt = lipgloss.NewStyle().Foreground(accent)
	t.Focused.TextInput.Placeholder = s.Muted
	t.Blurred = t.Focused
	t.Blurred.Base = t.Blurred.Base.BorderStyle(lipgloss.HiddenBorder())
	return t
}
