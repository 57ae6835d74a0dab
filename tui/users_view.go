package tui

import (
	"cmp"
	"fmt"
	"strings"

	"charm.land/bubbles/v2/table"
	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/server/api"
)

// account is how a user is named on the screen.
func account(u api.User) string { return cmp.Or(u.Account, u.Username, u.ID) }

func (m usersModel) selected() (api.User, bool) {
	i := m.table.Cursor()
	if !m.loaded || i < 0 || i >= len(m.page.Users) {
		return api.User{}, false
	}
	return m.page.Users[i], true
}

func (m usersModel) rows() []table.Row {
	rows := make([]table.Row, len(m.page.Users))
	for i, u := range m.page.Users {
		signedIn := "never"
		if u.LastLoginAt != nil {
			signedIn = u.LastLoginAt.Local().Format("2006-01-02")
		}
		keyState := "none"
		switch {
		case u.KeyActive:
			keyState = "active"
		case m.revoked[u.ID] || u.SignedIn:
			keyState = "revoked" // everyone who signed in got a key
		}
		rows[i] = table.Row{account(u), u.Team, signedIn, keyState}
	}
	return rows
}

func (m usersModel) contentWidth() int { return max(m.width, 40) - 2 }

// tableHeight is the table's lines, its header included.
func (m usersModel) tableHeight() int {
	if m.height == 0 {
		return maxPerPage + 1
	}
	return max(m.height-chromeLines-usersFixedLines, 3)
}

// fitPerPage is how many users a page has: as many as the table shows, at
// most maxPerPage.
func (m usersModel) fitPerPage() int { return min(max(m.tableHeight()-1, 1), maxPerPage) }

func (m *usersModel) resize() {
	w := m.contentWidth()
	const team, signed, keyw = 12, 10, 7
	acct := max(w-team-signed-keyw-8, 10) // each column is padded by one cell either side
	m.table.SetColumns([]table.Column{
		{Title: "Account", Width: acct}, {Title: "Team", Width: team},
		{Title: "Signed in", Width: signed}, {Title: "Key", Width: keyw},
	})
	m.table.SetWidth(w)
	m.table.SetHeight(min(len(m.page.Users)+1, m.tableHeight()))
	m.filter.SetWidth(w - 4)
	m.teamInput.SetWidth(w - 4)
}

// tableStyles and inputStyles are the looks of the table and the text
// inputs for the terminal's background. View applies them to copies, so
// they follow the styles the root model passes.
func tableStyles(s styles) table.Styles {
	ts := table.DefaultStyles()
	ts.Header = ts.Header.Foreground(s.Muted.GetForeground())
	ts.Selected = lipgloss.NewStyle().Reverse(true)
	return ts
}

func inputStyles(s styles) textinput.Styles {
	st := textinput.DefaultStyles(s.isDark)
	st.Focused.Prompt = s.Title
	st.Focused.Placeholder, st.Blurred.Placeholder = s.Muted, s.Muted
	st.Focused.Suggestion = s.Muted
	st.Cursor.Color = s.Title.GetForeground()
	return st
}

func (m usersModel) View(s styles, width int) string {
	m.width = width
	w := m.contentWidth()
	lines := []string{"", m.title(s, w)}
	switch {
	case m.tokenForm != nil:
		lines = append(lines, "")
		if m.tokenNote != "" {
			lines = append(lines, hang(s.Warn.Render("!")+" ", m.tokenNote, w))
		}
		if m.tokenErr != "" {
			lines = append(lines, hang(s.Fail.Render("✗")+" ", m.tokenErr, w), "")
		}
		if m.busy != "" {
			lines = append(lines, s.Title.Render(m.spin.View())+" "+m.busy)
		} else {
			lines = append(lines, m.tokenForm.View())
		}
	case !m.loaded && m.busy != "":
		lines = append(lines, "", s.Title.Render(m.spin.View())+" "+m.busy)
	case !m.loaded && m.loadErr != "":
		lines = append(lines, "", hang(s.Fail.Render("✗")+" ", m.loadErr, w), "", s.Muted.Render("r retry · esc back"))
	case m.loaded:
		t := m.table
		t.SetStyles(tableStyles(s))
		lines = append(lines, m.filterLine(s, w), t.View(), m.detail(s, w), m.bottom(s, w))
	}
	return indent(strings.Join(lines, "\n"), 2)
}

func (m usersModel) title(s styles, w int) string {
	t := s.Title.Render("Users")
	if m.loaded {
		pages := max((m.page.Total+m.perPage-1)/m.perPage, 1)
		info := fmt.Sprintf("page %d of %d · %d users", m.first/m.perPage+1, pages, m.page.Total)
		if m.page.Total == 1 {
			info = "page 1 of 1 · 1 user"
		}
		if m.search != "" {
			info += fmt.Sprintf(" matching %q", m.search)
		}
		t += s.Muted.Render(" · " + info)
	}
	if m.busy != "" && m.loaded {
		t += " " + s.Title.Render(m.spin.View()) + s.Muted.Render(" "+m.busy)
	}
	return ansi.Truncate(t, w, "…")
}

func (m usersModel) filterLine(s styles, w int) string {
	switch {
	case m.filtering:
		in := m.filter
		in.SetStyles(inputStyles(s))
		return in.View()
	case m.search != "":
		return ansi.Truncate(s.Muted.Render(fmt.Sprintf("filter %q · esc clears · / changes", m.search)), w, "…")
	case m.page.Total == 0:
		return s.Muted.Render("No users in the realm.")
	}
	return ""
}

// detail names the selected user with what the table leaves out.
func (m usersModel) detail(s styles, w int) string {
	u, ok := m.selected()
	if !ok {
		if m.search != "" {
			return s.Muted.Render("No user matches; esc clears the filter.")
		}
		return ""
	}
	parts := []string{s.Label.Render(account(u))}
	if u.Name != "" {
		parts = append(parts, u.Name)
	}
	if len(u.Teams) > 0 {
		parts = append(parts, "groups "+strings.Join(u.Teams, ", "))
	}
	if u.TeamOverride != "" {
		parts = append(parts, "team set by admin")
	}
	if !u.Enabled {
		parts = append(parts, s.Warn.Render("disabled in Keycloak"))
	}
	return ansi.Truncate(strings.Join(parts, s.Muted.Render(" · ")), w, "…")
}

// bottom is the prompt, the team input or the status line.
func (m usersModel) bottom(s styles, w int) string {
	who := account(m.target)
	switch {
	case m.confirm == actionRotate && m.target.KeyActive:
		return hang("", s.Warn.Render("Rotate the plugin key of "+who+"? The old key stops working.")+" "+s.Label.Render("y/n"), w)
	case m.confirm == actionRotate:
		return hang("", s.Warn.Render("Give "+who+" a plugin key?")+" "+s.Label.Render("y/n"), w)
	case m.confirm == actionRevoke:
		return hang("", s.Warn.Render("Revoke the plugin key of "+who+"?")+" "+s.Label.Render("y/n"), w)
	case m.editingTeam:
		team := m.teamInput
		team.SetStyles(inputStyles(s))
		return ansi.Truncate(s.Label.Render("Team for "+who)+s.Muted.Render(" (empty: back to Keycloak groups)"), w, "…") + "\n" + team.View()
	case m.busy != "" && m.status == "":
		return ""
	case m.status != "" && m.kind == statusFail:
		return hang(s.Fail.Render("✗")+" ", m.status, w)
	case m.status != "" && m.kind == statusNote:
		return hang("", m.status, w, s.Muted)
	case m.status != "":
		return hang(s.OK.Render("✓")+" ", m.status, w)
	}
	return ""
}
