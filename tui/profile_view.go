package tui

import (
	"strings"

	"charm.land/lipgloss/v2"
)

// maskKey shows the prefix and the last four characters of a plugin key:
// enough to tell keys apart, not enough to use one.
func maskKey(k string) string {
	prefix, _, found := strings.Cut(k, "_")
	if !found || len(k) < 12 {
		return strings.Repeat("•", 12)
	}
	return prefix + "_" + strings.Repeat("•", 12) + k[len(k)-4:]
}

func (m profileModel) View(s styles, width int) string {
	w := textWidth(width)
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(strings.Join(parts, ""))
		b.WriteString("\n")
	}
	para := func(style lipgloss.Style, text string) {
		line(style.Render(lipgloss.Wrap(text, w, " ")))
	}
	short := m.height > 0 && m.height < 24 // no room for luxuries
	if !short {
		line()
	}
	switch m.step {
	case profileLoading:
		line(m.spinner.View(), "Loading your profile…")
		return indent(b.String(), 2)
	case profileSignedOut:
		line(s.Warn.Render("Not signed in."), " Press l to log in.")
		return indent(b.String(), 2)
	case profileError:
		line(s.Fail.Render("✗ Your profile could not be loaded"))
		para(lipgloss.NewStyle(), m.problem)
		line()
		para(s.Muted, "Press r to try again.")
		return indent(b.String(), 2)
	}

	line(s.Title.Render("Welcome back!"))
	const labelWidth = len("Endpoint Address") + 2
	field := func(label string, value string) {
		l := s.Label.Width(labelWidth).Render(label)
		if lipgloss.Width(value) <= w-labelWidth && !strings.Contains(value, "\n") {
			line(l, value)
			return
		}
		// Too wide beside the label: below it, indented.
		line(s.Label.Render(label))
		line(indent(lipgloss.Wrap(value, w-2, " /&?"), 2))
	}
	field("Account Login", s.Value.Render(m.me.Account))
	pluginKey := s.Muted.Render("none (revoked); press r to create one")
	switch {
	case m.me.PluginAPIKey != "" && m.revealed:
		pluginKey = s.Value.Render(m.me.PluginAPIKey)
	case m.me.PluginAPIKey != "":
		pluginKey = s.Secret.Render(maskKey(m.me.PluginAPIKey))
	}
	field("Plugin API Key", pluginKey)
	m.teamField(s, w, labelWidth, field, line)
	field("Endpoint Address", s.Value.Render(m.me.Endpoint))
	answer := m.busy != "" || m.confirm || m.notice != ""
	if !m.picking && !(answer && short) && !m.confirm { // room for the list, the question, the answer
		line()
		line(lipgloss.Wrap(s.Label.Render("How to start:")+" "+
			s.Muted.Render("in your IDE plugin choose Enterprise and paste the endpoint and key."), w, " "))
	}
	switch {
	case m.busy != "":
		line()
		line(m.spinner.View(), m.busy)
	case m.confirm:
		line()
		para(s.Warn, "Create a new plugin key? The current one stops working at once. y/n")
	case m.notice != "" && m.ok:
		line()
		para(s.OK, "✓ "+m.notice)
	case m.notice != "":
		line()
		para(s.Fail, "✗ "+m.notice)
	}
	return indent(strings.TrimSuffix(b.String(), "\n"), 2)
}

// teamField is "Your team": the team, or while picking, the list of the
// person's teams.
func (m profileModel) teamField(s styles, w, labelWidth int, field func(string, string), line func(...string)) {
	if !m.picking {
		team := s.Value.Render(m.me.Team)
		if n := len(m.me.Teams); n > 1 {
			hint := s.Muted.Render("  t to change")
			if lipgloss.Width(team+hint) <= w-labelWidth {
				team += hint
			}
		}
		field("Your team", team)
		return
	}
	line(s.Label.Width(labelWidth).Render("Your team"), s.Muted.Render("pick one:"))
	for i, t := range m.me.Teams {
		pad := strings.Repeat(" ", labelWidth)
		if i == m.cursor {
			line(pad, s.Current.Render(t))
		} else {
			line(pad, s.Item.Render(t))
		}
	}
}
