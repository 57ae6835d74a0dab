package tui

// The wizard's steps: what each call answers, and the fields it shows.

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

func (m setupModel) healthChecked(msg healthMsg) (setupModel, tea.Cmd) {
	m.busy, m.healthErr, m.healthOK = "", msg.err, msg.err == nil
	if msg.err != nil {
		return m, nil
	}
	return m.enterToken()
}

// enterToken tries the admin token remembered for this server first.
func (m setupModel) enterToken() (setupModel, tea.Cmd) {
	m.step = stepToken
	if m.token.IsSet() {
		return m.enterTokenForm()
	}
	m.busy = "Looking for a remembered admin token…"
	return m, tea.Batch(m.spin.Tick, readAdminToken(m.deps.Session))
}

func (m setupModel) enterTokenForm() (setupModel, tea.Cmd) {
	m.step, m.busy = stepToken, ""
	return m.showForm(adminTokenInput("Printed by latchkey serve on its first start, or the one set with LATCHKEY_ADMIN_TOKEN or --admin-token-file.", m.vals.token))
}

func (m setupModel) storedToken(msg storedTokenMsg) (setupModel, tea.Cmd) {
	if msg.err == nil && msg.token.IsSet() {
		m.busy = "Checking the remembered admin token…"
		return m, tea.Batch(m.spin.Tick, checkAdmin(m.deps.Session.API, msg.token, true))
	}
	if note := tokenReadNote(m.deps.Session.Secrets, msg.err); note != "" {
		m.tokenNote = note
	}
	return m.enterTokenForm()
}

func (m setupModel) adminChecked(msg adminCheckedMsg) (setupModel, tea.Cmd) {
	m.busy = ""
	if msg.err != nil {
		m.tokenErr = adminTokenProblem(msg.err)
		if msg.remembered {
			m.tokenErr = "The admin token remembered for this server does not work any more: " + m.tokenErr
			m.vals.token = ""
		}
		return m.enterTokenForm()
	}
	m.token, m.tokenErr, m.current = msg.token, "", msg.settings
	m.vals.token = msg.token.Reveal()
	if !m.prefilled {
		m.prefilled = true
		m.vals.url, m.vals.realm, m.vals.clientID = msg.settings.URL, msg.settings.Realm, msg.settings.ClientID
	}
	var save tea.Cmd
	if msg.remembered {
		m.tokenNote = "remembered in the " + storeName(m.deps.Session.Secrets)
	} else {
		m.tokenNote = "remembering it…"
		save = saveAdminToken(m.deps.Session, msg.token)
	}
	m, cmd := m.goTo(stepURL)
	return m, tea.Batch(save, cmd)
}

// fieldInput is the form field of a Keycloak setting, pre-filled with what
// was typed or what the server has.
func (m setupModel) fieldInput(step setupStep) *huh.Input {
	in := huh.NewInput().Key(stepTitles[step]).Title(stepTitles[step])
	switch step {
	case stepURL:
		in.Description("The base URL of Keycloak, without /realms/….").Placeholder("e.g. https://sso.example.com")
	case stepRealm:
		in.Description("Exactly as Keycloak shows it; names are case-sensitive.").Placeholder("e.g. acme")
	case stepClientID:
		in.Description("The client created for latchkey (Clients → Create client).").Placeholder("e.g. latchkey")
	case stepSecret:
		client := cmp.Or(strings.TrimSpace(m.vals.clientID), "your client")
		in.Description("Clients → " + client + " → Credentials → Client Secret.").EchoMode(huh.EchoModePassword)
		if m.current.ClientSecretSet {
			in.Placeholder("set, leave empty to keep")
		} else {
			in.Placeholder("paste the client secret")
		}
	}
	secretSet := m.current.ClientSecretSet
	return in.Value(new(*m.vals.field(step))).Validate(func(v string) error { return checkField(step, v, secretSet) })
}

// checkField validates the value of one Keycloak field with
// auth.Settings.Normalize, the other fields standing in with valid values.
func checkField(step setupStep, v string, secretSet bool) error {
	name := map[setupStep]string{stepURL: "url", stepRealm: "realm", stepClientID: "client_id", stepSecret: "client_secret"}[step]
	s := auth.Settings{URL: "https://keycloak.invalid", Realm: "r", ClientID: "c", ClientSecret: "s"}
	switch step {
	case stepURL:
		s.URL = v
	case stepRealm:
		s.Realm = v
	case stepClientID:
		s.ClientID = v
	case stepSecret:
		if v == "" && secretSet {
			return nil // keep the stored one
		}
		s.ClientSecret = auth.Secret(v)
	}
	_, err := s.Normalize()
	var fe *auth.FieldError
	if errors.As(err, &fe) && fe.Field == name {
		return errors.New(fe.Message)
	}
	return nil
}

// showForm makes in the field of the current step.
func (m setupModel) showForm(in *huh.Input) (setupModel, tea.Cmd) {
	var cmd tea.Cmd
	m.form, cmd = newFieldForm(in, m.dark, m.formSize(), m.width > 0)
	return m, cmd
}

// formSize is the room the form has inside the screen.
func (m setupModel) formSize() tea.WindowSizeMsg {
	return tea.WindowSizeMsg{Width: max(m.contentWidth(), 20), Height: max(m.regionHeight(), 4)}
}

func (m setupModel) settings() auth.Settings {
	return auth.Settings{Enabled: true, URL: strings.TrimSpace(m.vals.url), Realm: strings.TrimSpace(m.vals.realm),
		ClientID: strings.TrimSpace(m.vals.clientID), ClientSecret: auth.Secret(m.vals.secret)}
}

// save sends the settings; anyway saves them although checks fail, which
// only an explicit key press asks for.
func (m setupModel) save(anyway bool) (setupModel, tea.Cmd) {
	s, err := m.settings().Normalize()
	var fe *auth.FieldError
	if errors.As(err, &fe) && fe.Field == "url" {
		s = m.settings() // the server says what is wrong with it
	}
	u := api.AuthSettingsUpdate{Enabled: true, URL: s.URL, Realm: s.Realm, ClientID: s.ClientID, SaveAnyway: anyway}
	if m.vals.secret != "" {
		secret := m.vals.secret
		u.ClientSecret = &secret
	}
	m.step, m.scroll, m.busy = stepSave, 0, "Checking with Keycloak…"
	m.findings, m.saveErr, m.saveDetail, m.lastFailure = nil, "", "", ""
	return m, tea.Batch(m.spin.Tick, saveSettings(m.deps.Session.API, m.token, u))
}

func (m setupModel) saved(msg savedMsg) (setupModel, tea.Cmd) {
	m.busy, m.findings, m.saveErr, m.saveDetail, m.lastFailure = "", nil, "", "", ""
	if msg.err == nil {
		m.findings, m.current = msg.saved.Findings, msg.saved.Settings
		m.step, m.scroll = stepDone, 0
		return m, nil
	}
	var se *api.StatusError
	switch {
	case errors.As(msg.err, &se) && se.Status == http.StatusUnprocessableEntity && len(se.Body.Findings) > 0:
		m.findings, m.saveDetail = se.Body.Findings, se.Body.Detail
		for _, f := range m.findings {
			if f.Status == auth.StatusFail {
				m.lastFailure = f.ID
				break
			}
		}
	case errors.As(msg.err, &se) && se.Status == http.StatusUnprocessableEntity:
		m.lastFailure = strings.TrimPrefix(se.Body.Error, "invalid ")
		m.saveErr = se.Body.Error + ": " + se.Body.Detail
		if step := fieldOfCheck(m.lastFailure); m.lastFailure != "" && se.Body.Detail != "" {
			m.saveErr = stepTitles[step] + ": " + se.Body.Detail
		}
	case errors.As(msg.err, &se) && se.Status == http.StatusUnauthorized:
		m.saveErr = "the server no longer takes the admin token (401); go back to step 2"
	default:
		m.saveErr = "could not save: " + callProblem(msg.err)
	}
	return m, nil
}

// The wizard's calls. Each runs with its own deadline and reports in a message.

func checkHealth(c *api.Client) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), healthTimeout)
		defer cancel()
		return healthMsg{err: c.Health(ctx)}
	}
}

func checkAdmin(c *api.Client, token auth.Secret, remembered bool) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), adminCheckTimeout)
		defer cancel()
		s, err := c.AuthSettings(ctx, token)
		return adminCheckedMsg{token: token, remembered: remembered, settings: s, err: err}
	}
}

func saveSettings(c *api.Client, token auth.Secret, u api.AuthSettingsUpdate) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), saveTimeout)
		defer cancel()
		saved, err := c.UpdateAuthSettings(ctx, token, u)
		return savedMsg{saved: saved, err: err}
	}
}

// healthProblem says what failed when the server did not answer /healthz.
func healthProblem(err error) string {
	var se *api.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusServiceUnavailable:
		return "the server answers, but its database is unavailable (503)"
	case errors.As(err, &se):
		return fmt.Sprintf("not a latchkey server: GET /healthz answered %d %s", se.Status, http.StatusText(se.Status))
	}
	return "unreachable: " + callProblem(err)
}
