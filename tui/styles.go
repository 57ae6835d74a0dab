package tui

import (
	"charm.land/lipgloss/v2"
)

// styles are built for the terminal's background, light or dark, once the
// terminal has told us which it is (dark until then).
type styles struct {
	isDark  bool
	Title   lipgloss.Style
	Header  lipgloss.Style
	Label   lipgloss.Style
	Value   lipgloss.Style
	Muted   lipgloss.Style
	Item    lipgloss.Style
	Current lipgloss.Style // the highlighted menu entry
	OK      lipgloss.Style
	Warn    lipgloss.Style
	Fail    lipgloss.Style
	Secret  lipgloss.Style
}

func newStyles(isDark bool) styles {
	ld := lipgloss.LightDark(isDark)
	accent := ld(lipgloss.Color("#1b63d8"), lipgloss.Color("#7aa7ff"))
	muted := ld(lipgloss.Color("#5b6475"), lipgloss.Color("#9aa4b5"))
	line := ld(lipgloss.Color("#c5ccd8"), lipgloss.Color("#3a4452"))
	return styles{
		isDark:  isDark,
		Title:   lipgloss.NewStyle().Bold(true).Foreground(accent),
		Header:  lipgloss.NewStyle().BorderStyle(lipgloss.NormalBorder()).BorderBottom(true).BorderForeground(line).PaddingBottom(0),
		Label:   lipgloss.NewStyle().Bold(true),
		Value:   lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#b3176a"), lipgloss.Color("#ff7ab8"))),
		Muted:   lipgloss.NewStyle().Foreground(muted),
		Item:    lipgloss.NewStyle().PaddingLeft(2),
		Current: lipgloss.NewStyle().PaddingLeft(1).Bold(true).Foreground(accent).BorderStyle(lipgloss.ThickBorder()).BorderLeft(true).BorderForeground(accent),
		OK:      lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#1a7f37"), lipgloss.Color("#3fb950"))),
		Warn:    lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#9a6700"), lipgloss.Color("#d29922"))),
		Fail:    lipgloss.NewStyle().Foreground(ld(lipgloss.Color("#cf222e"), lipgloss.Color("#f85149"))),
		Secret:  lipgloss.NewStyle().Foreground(muted),
	}
}
