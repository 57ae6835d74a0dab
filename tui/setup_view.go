package tui

import (
	"cmp"
	"fmt"
	"net/url"
	"slices"
	"strings"

	"charm.land/lipgloss/v2"

	"github.com/latchkeyhq/latchkey/auth"
)

// contentWidth is the width inside the screen's left margin.
func (m setupModel) contentWidth() int { return max(m.width, 40) - 2 }

// regionHeight is the room for the step's content: the body minus the
// title lines and, while it is asked, the cancel question.
func (m setupModel) regionHeight() int {
	if m.height == 0 {
		return 1 << 16 // size not known yet: no scrolling
	}
	h := m.height - chromeLines - 3
	if m.confirmCancel {
		h -= 2
	}
	return max(h, 3)
}

func (m setupModel) maxScroll() int {
	if m.step < stepReview {
		return 0
	}
	lines := strings.Count(m.stepContent(newStyles(m.dark), m.contentWidth()), "\n") + 1
	if lines <= m.regionHeight() {
		return 0
	}
	return lines - (m.regionHeight() - 1) // a line goes to the scroll note
}

func (m setupModel) View(s styles, width int) string {
	m.width = width
	w := m.contentWidth()
	var b strings.Builder
	b.WriteString("\n")
	title := s.Title.Render("Set up Keycloak")
	if m.step < stepDone {
		title += s.Muted.Render(fmt.Sprintf(" · %d/%d ", int(m.step)+1, numberedSteps)) + s.Label.Render(stepTitles[m.step])
	} else {
		title += s.Muted.Render(" · done")
	}
	b.WriteString(title + "\n\n")
	content := m.stepContent(s, w)
	if m.step >= stepReview {
		content = scrollWindow(s, content, m.scroll, m.regionHeight())
	}
	b.WriteString(content)
	if m.confirmCancel {
		b.WriteString("\n\n" + s.Warn.Render("Cancel setup? Nothing is saved.") + " " + s.Label.Render("(y/n)"))
	}
	return indent(b.String(), 2)
}

// stepContent is what the step shows between the title and the prompt.
func (m setupModel) stepContent(s styles, w int) string {
	var lines []string
	if m.step == stepServer {
		lines = append(lines, s.Label.Render("Server URL ")+m.deps.Session.Server)
	}
	if m.busy != "" && m.step != stepSave {
		lines = append(lines, m.progress(s, w)...)
		return strings.Join(append(lines, s.Title.Render(m.spin.View())+" "+m.busy), "\n")
	}
	switch m.step {
	case stepServer:
		switch {
		case m.healthOK:
			lines = append(lines, s.OK.Render("✓")+" a latchkey server answers GET /healthz")
		case m.healthErr != nil:
			lines = append(lines, hang(s.Fail.Render("✗")+" ", healthProblem(m.healthErr), w),
				hang("  ", "Is latchkey serve running there? For another server: latchkey setup --server URL (or LATCHKEY_SERVER).", w, s.Muted))
		}
	case stepToken, stepURL, stepRealm, stepClientID, stepSecret:
		lines = append(lines, m.progress(s, w)...)
		if m.step == stepToken && m.tokenErr != "" {
			lines = append(lines, hang(s.Fail.Render("✗")+" ", m.tokenErr, w), "")
		}
		if m.form != nil {
			lines = append(lines, m.form.View())
		}
	case stepReview:
		return m.review(s, w)
	case stepSave:
		return m.results(s, w)
	case stepDone:
		return m.done(s, w)
	}
	return strings.Join(lines, "\n")
}

// progress sums up the steps behind.
func (m setupModel) progress(s styles, w int) []string {
	var fields []string
	if m.healthOK {
		fields = append(fields, s.OK.Render("✓")+" server answers")
	}
	if m.token.IsSet() && m.step > stepToken {
		note := "admin token accepted"
		if m.tokenNote != "" {
			note += s.Muted.Render(" (" + m.tokenNote + ")")
		}
		fields = append(fields, s.OK.Render("✓")+" "+note)
	} else if m.tokenNote != "" && m.step == stepToken {
		fields = append(fields, s.Warn.Render("!")+" "+m.tokenNote)
	}
	if len(fields) == 0 {
		return nil
	}
	return []string{wrap(wrapFields(fields, w), w), ""}
}

// publicURL is the public URL Keycloak must send people back to: the
// server's own, or else its URL as this client reaches it.
func (m setupModel) publicURL() (*url.URL, error) {
	return auth.ParsePublicURL(cmp.Or(m.current.PublicURL, m.deps.Session.Server))
}

func (m setupModel) review(s styles, w int) string {
	norm, _ := m.settings().Normalize() // the fields passed their checks; this only tidies the URL
	secret := "••••••"
	if m.vals.secret == "" {
		secret = "unchanged"
	}
	client := cmp.Or(norm.ClientID, "latchkey")
	lines := []string{s.Label.Render("Keycloak settings to save")}
	lines = append(lines, kvLines(s, w, [][2]string{
		{"Use Keycloak", "on"}, {"Server Url", norm.URL}, {"Realm Name", norm.Realm},
		{"Client ID", norm.ClientID}, {"Client Secret Key", secret},
	})...)
	lines = append(lines, "", wrap("In Keycloak, Clients → "+client+", set:", w, s.Label))
	redirect, origin := "?", "?"
	pub, perr := m.publicURL()
	if perr == nil {
		redirect, origin = auth.RedirectURIPattern(pub), auth.WebOrigin(pub)
	}
	lines = append(lines, kvLines(s, w, [][2]string{
		{"Client authentication", "On (Authorization Off)"},
		{"Authentication flow", "Standard flow, Direct access grants, Service accounts roles"},
		{"Valid redirect URIs", redirect},
		{"Web origins", origin},
		{"Root URL, Home URL", "empty"},
		{"Service accounts roles", "realm-management → view-users"},
	})...)
	note := "The URLs are for the server's public URL " + m.current.PublicURL + "."
	if m.current.PublicURL == "" {
		note = "The URLs are for " + m.deps.Session.Server + ", this server as the terminal reaches it; if people reach it under another public URL (--public-url), register that one."
	}
	if perr != nil {
		note = "The server URL " + m.deps.Session.Server + " is not usable as a public URL: " + perr.Error()
	}
	lines = append(lines, "", wrap(note, w, s.Muted))
	return strings.Join(lines, "\n")
}

func (m setupModel) results(s styles, w int) string {
	if m.busy != "" {
		return s.Title.Render(m.spin.View()) + " " + m.busy
	}
	var lines []string
	if m.saveErr != "" {
		lines = append(lines, hang(s.Fail.Render("✗")+" ", m.saveErr, w))
		if m.saveDetail != "" {
			lines = append(lines, hang("  ", asSentence(m.saveDetail), w))
		}
	}
	lines = append(lines, findingLines(s, m.findings, w)...)
	if len(m.findings) > 0 {
		lines = append(lines, "", wrap(asSentence(cmp.Or(m.saveDetail, "nothing was saved"))+" Fix it in Keycloak and retry (r), edit the fields (e), or save anyway (!): sign-in fails until Keycloak is fixed.", w, s.Muted))
	}
	return strings.Join(lines, "\n")
}

func (m setupModel) done(s styles, w int) string {
	headline := s.OK.Render("Keycloak is connected.")
	for _, f := range m.findings {
		if f.Status == auth.StatusFail || f.Status == auth.StatusSkipped {
			headline = s.Warn.Render("Saved anyway: sign-in fails until the problems below are fixed in Keycloak.")
			break
		}
	}
	lines := []string{headline, "Developers now run:",
		"  " + s.Value.Render("latchkey login --server "+m.deps.Session.Server), "",
		wrap("Their IDE plugin (Refact.ai, Enterprise account) needs the Endpoint Address "+
			s.Value.Render(m.deps.Session.Server)+" and their plugin API key, which latchkey key prints.", w)}
	if checks := findingLines(s, m.findings, w); len(checks) > 0 {
		lines = append(append(lines, "", s.Label.Render("Checks")), checks...)
	}
	return strings.Join(lines, "\n")
}

// findingLines draws the server's checks, one line each: ✗ failure and !
// warning first, with what is wrong, Keycloak's answer, the fix and what
// was tried under them; then – not run, then ✓ passed.
func findingLines(s styles, fs []auth.Finding, w int) []string {
	rank := map[auth.Status]int{auth.StatusFail: 0, auth.StatusWarn: 1, auth.StatusSkipped: 2, auth.StatusOK: 3}
	ordered := slices.Clone(fs)
	slices.SortStableFunc(ordered, func(a, b auth.Finding) int { return rank[a.Status] - rank[b.Status] })
	var lines []string
	for _, f := range ordered {
		switch f.Status {
		case auth.StatusOK:
			line := s.OK.Render("✓") + " " + f.Title
			if f.Answer != "" && lipgloss.Width(line)+3+lipgloss.Width(f.Answer) <= w {
				line += s.Muted.Render(" · " + f.Answer)
			}
			lines = append(lines, line)
		case auth.StatusSkipped:
			lines = append(lines, s.Muted.Render("– "+f.Title+" (not run)"))
		default:
			mark := s.Fail.Render("✗")
			if f.Status == auth.StatusWarn {
				mark = s.Warn.Render("!")
			}
			lines = append(lines, mark+" "+s.Label.Render(f.Title))
			if f.Problem != "" {
				lines = append(lines, hang("    ", f.Problem, w))
			}
			if f.Answer != "" {
				lines = append(lines, hang("    ", "answer: "+f.Answer, w, s.Muted))
			}
			if f.Fix != "" {
				lines = append(lines, hang("    ", s.Label.Render("fix:")+" "+f.Fix, w))
			}
			if f.Tried != "" {
				lines = append(lines, hang("    ", "tried: "+f.Tried, w, s.Muted))
			}
		}
	}
	return lines
}

// kvLines lays out label/value rows with the values aligned and wrapped
// under themselves.
func kvLines(s styles, w int, rows [][2]string) []string {
	lines := make([]string, 0, len(rows))
	labelWidth := 0
	for _, r := range rows {
		labelWidth = max(labelWidth, lipgloss.Width(r[0])+4)
	}
	if w-labelWidth < 16 { // too narrow for two columns: values under labels
		for _, r := range rows {
			lines = append(lines, "  "+s.Muted.Render(r[0]), hang("    ", r[1], w))
		}
		return lines
	}
	for _, r := range rows {
		label := s.Muted.Render(r[0] + strings.Repeat(" ", max(labelWidth-2-lipgloss.Width(r[0]), 1)))
		lines = append(lines, hang("  "+label, r[1], w))
	}
	return lines
}

// scrollWindow shows height lines of content from offset, the last of
// them a note when there is more below or above.
func scrollWindow(s styles, content string, offset, height int) string {
	lines := strings.Split(content, "\n")
	if len(lines) <= height {
		return content
	}
	height = max(height-1, 1)
	offset = min(max(offset, 0), len(lines)-height)
	window := lines[offset : offset+height]
	more := []string{}
	if offset > 0 {
		more = append(more, "↑ more above")
	}
	if offset+height < len(lines) {
		more = append(more, "↓ more below")
	}
	return strings.Join(window, "\n") + "\n" + s.Muted.Render(strings.Join(more, " · ")+" (↑/↓)")
}

// scrollBy moves a scroll offset for an arrow or page key.
func scrollBy(offset int, k string, page, maxOffset int) int {
	switch k {
	case "up":
		offset--
	case "down":
		offset++
	case "pgup":
		offset -= page
	case "pgdown":
		offset += page
	}
	return min(max(offset, 0), maxOffset)
}
