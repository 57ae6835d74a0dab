package tui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	tea "charm.land/bubbletea/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// The Users screen's calls to the server and what it makes of the answers.

// askToken shows the admin token field, saying why when problem is set.
func (m usersModel) askToken(problem string) (usersModel, tea.Cmd) {
	m.busy, m.tokenErr = "", problem
	in := adminTokenInput("The Users screen needs the server's admin token; it is remembered for next time.", m.tokenVal)
	var cmd tea.Cmd
	m.tokenForm, cmd = newFieldForm(in, m.dark, m.formSize(), m.width > 0)
	return m, cmd
}

func (m usersModel) formSize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: max(m.contentWidth(), 20), Height: 8}
}

func (m usersModel) updateTokenForm(msg tea.Msg) (usersModel, tea.Cmd) {
	if m.tokenForm == nil {
		return m, nil
	}
	var done bool
	var cmd tea.Cmd
	m.tokenForm, done, cmd = updateField(m.tokenForm, &m.tokenVal, msg)
	if !done {
		return m, cmd
	}
	m, load := m.load(auth.Secret(strings.TrimSpace(m.tokenVal)), true, m.search, 0)
	return m, tea.Batch(cmd, load)
}

// load fetches one page.
func (m usersModel) load(token auth.Secret, typed bool, search string, first int) (usersModel, tea.Cmd) {
	if m.loaded {
		m.busy = "loading…"
	} else {
		m.busy = "Loading users…"
	}
	if typed {
		m.busy = "Checking the admin token…"
	}
	m.perPage = m.fitPerPage()
	return m, tea.Batch(m.spin.Tick, loadUsers(m.deps.Session.API, token, typed, search, first, m.perPage))
}

func (m usersModel) loadedPage(msg usersMsg) (usersModel, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		var se *api.StatusError
		refused := errors.As(msg.err, &se) && (se.Status == http.StatusUnauthorized || se.Status == http.StatusTooManyRequests)
		switch {
		case refused && msg.typed:
			return m.askToken(adminTokenProblem(msg.err))
		case refused:
			m.loaded, m.tokenVal = false, ""
			return m.askToken("The admin token remembered for this server does not work: " + adminTokenProblem(msg.err))
		case m.loaded:
			m.status, m.kind = "could not load users: "+usersProblem(msg.err), statusFail
		default:
			m.tokenForm, m.token = nil, msg.token
			m.loadErr = usersProblem(msg.err)
		}
		return m, nil
	}
	var save tea.Cmd
	if msg.typed {
		save = saveAdminToken(m.deps.Session, msg.token)
	}
	m.tokenForm, m.tokenErr, m.loadErr = nil, "", ""
	m.token, m.loaded, m.page, m.search, m.first, m.perPage = msg.token, true, msg.page, msg.search, msg.first, msg.max
	m.filter.SetValue(msg.search)
	m.table.SetRows(m.rows())
	m.table.SetCursor(0)
	m.table.SetHeight(min(len(m.page.Users)+1, m.tableHeight()))
	m.status = ""
	return m, save
}

func (m usersModel) changed(msg userChangedMsg) (usersModel, tea.Cmd) {
	m.busy = ""
	who := account(m.target)
	if msg.err != nil {
		if api.IsStatus(msg.err, http.StatusUnauthorized) {
			m.loaded = false
			return m.askToken(adminTokenProblem(msg.err))
		}
		what := map[userAction]string{actionTeam: "set the team of", actionRotate: "rotate the key of", actionRevoke: "revoke the key of"}[msg.action]
		m.status, m.kind = fmt.Sprintf("could not %s %s: %s", what, who, usersProblem(msg.err)), statusFail
		return m, nil
	}
	u := msg.user
	switch msg.action {
	case actionRevoke:
		m.revoked[u.ID] = true
		m.status = "Revoked the plugin key of " + who + "."
	case actionRotate:
		delete(m.revoked, u.ID)
		m.status = "New plugin key for " + who + "; they see it with latchkey key or on their profile page."
	case actionTeam:
		if u.TeamOverride == "" {
			m.status = fmt.Sprintf("%s follows their Keycloak groups again: team %s.", who, u.Team)
		} else {
			m.status = fmt.Sprintf("%s is now in team %s.", who, u.Team)
		}
	}
	m.kind = statusDone
	for i := range m.page.Users {
		if m.page.Users[i].ID == u.ID {
			m.page.Users[i] = u
		}
	}
	cursor := m.table.Cursor()
	m.table.SetRows(m.rows())
	m.table.SetCursor(cursor)
	return m, nil
}

// act runs an administrator's change on user.
func (m usersModel) act(a userAction, user api.User, team string) (usersModel, tea.Cmd) {
	m.busy = map[userAction]string{actionTeam: "Setting the team…", actionRotate: "Rotating the key…", actionRevoke: "Revoking the key…"}[a]
	m.target, m.status = user, ""
	return m, tea.Batch(m.spin.Tick, changeUser(m.deps.Session.API, m.token, a, user.ID, team))
}

func loadUsers(c *api.Client, token auth.Secret, typed bool, search string, first, max int) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), usersTimeout)
		defer cancel()
		page, err := c.Users(ctx, token, search, first, max)
		return usersMsg{page: page, token: token, typed: typed, search: search, first: first, max: max, err: err}
	}
}

func changeUser(c *api.Client, token auth.Secret, a userAction, id, team string) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), usersTimeout)
		defer cancel()
		var u api.User
		var err error
		switch a {
		case actionTeam:
			u, err = c.SetUserTeam(ctx, token, id, team)
		case actionRotate:
			u, err = c.RotateUserKey(ctx, token, id)
		case actionRevoke:
			u, err = c.RevokeUserKey(ctx, token, id)
		}
		return userChangedMsg{action: a, user: u, err: err}
	}
}

// usersProblem says what went wrong with a call of the Users screen.
func usersProblem(err error) string {
	var se *api.StatusError
	if !errors.As(err, &se) {
		return "the server cannot be reached: " + callProblem(err)
	}
	parts := []string{se.Error()}
	if se.Body.Detail != "" {
		parts = append(parts, strings.TrimSuffix(se.Body.Detail, "."))
	}
	if se.Status == http.StatusServiceUnavailable {
		parts = append(parts, "In this console: Set up Keycloak on the home screen, or latchkey setup")
	}
	return strings.Join(parts, ". ") + "."
}
