package tui

import (
	"context"
	"errors"
	"net/url"
	"strings"

	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"
)

// Wording and layout of text, shared by the screens.

// textWidth is the width of the text of a screen drawn width cells wide: two
// columns of margin left, one right.
func textWidth(width int) int { return max(width-3, 20) }

// wrap breaks text into lines of at most w cells at spaces (a word longer
// than a line is cut), and renders each line with style when one is given.
// Unlike ansi.Wrap it never breaks at hyphens: realm and client names have
// them.
func wrap(text string, w int, style ...lipgloss.Style) string {
	w = max(w, 1)
	var lines []string
	for _, para := range strings.Split(text, "\n") {
		if ansi.StringWidth(para) <= w {
			lines = append(lines, para)
			continue
		}
		line := ""
		for _, word := range strings.Fields(para) {
			switch {
			case line == "" && ansi.StringWidth(word) <= w:
				line = word
			case line != "" && ansi.StringWidth(line)+1+ansi.StringWidth(word) <= w:
				line += " " + word
			default:
				if line != "" {
					lines = append(lines, line)
				}
				pieces := strings.Split(ansi.Hardwrap(word, w, false), "\n")
				lines = append(lines, pieces[:len(pieces)-1]...)
				line = pieces[len(pieces)-1]
			}
		}
		lines = append(lines, line)
	}
	if len(style) > 0 {
		for i, l := range lines {
			lines[i] = style[0].Render(l)
		}
	}
	return strings.Join(lines, "\n")
}

// hang puts prefix before text wrapped into the rest of the width, the
// lines after the first indented under the text.
func hang(prefix, text string, w int, style ...lipgloss.Style) string {
	pw := lipgloss.Width(prefix)
	return prefix + strings.ReplaceAll(wrap(text, w-pw, style...), "\n", "\n"+strings.Repeat(" ", pw))
}

// indent puts n spaces before every non-empty line.
func indent(s string, n int) string {
	pad := strings.Repeat(" ", n)
	lines := strings.Split(s, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = pad + l
		}
	}
	return strings.Join(lines, "\n")
}

// wrapFields joins fields with gaps, starting a new line when one would not fit.
func wrapFields(fields []string, width int) string {
	var lines []string
	line := ""
	for _, f := range fields {
		switch {
		case line == "":
			line = f
		case lipgloss.Width(line)+3+lipgloss.Width(f) <= width:
			line += "   " + f
		default:
			lines, line = append(lines, line), f
		}
	}
	return strings.Join(append(lines, line), "\n")
}

// capitalized is s with a capital first letter.
func capitalized(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// asSentence is msg with a capital first letter and a full stop.
func asSentence(msg string) string {
	msg = capitalized(msg)
	if msg != "" && !strings.HasSuffix(msg, ".") {
		msg += "."
	}
	return msg
}

// callProblem is a transport error without the request line repeated.
func callProblem(err error) string {
	var ue *url.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "no answer in time"
	case errors.As(err, &ue):
		return ue.Err.Error()
	}
	return err.Error()
}
