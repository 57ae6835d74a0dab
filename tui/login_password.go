package tui

import (
	"errors"
	"strings"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"
	"charm.land/lipgloss/v2"
	"golang.org/x/oauth2"
)

// passwordForm asks for the username, then the password, one page each.
// The fields write into creds.
type passwordForm struct {
	form  *huh.Form
	creds *loginCreds
}

type loginCreds struct{ username, password string }

func newPasswordForm(username string, width int) passwordForm {
	required := func(what string) func(string) error {
		return func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New(what + " is required")
			}
			return nil
		}
	}
	c := &loginCreds{username: username}
	f := huh.NewForm(
		huh.NewGroup(huh.NewInput().Key("username").Title("Username").Value(&c.username).Validate(required("the username"))),
		huh.NewGroup(huh.NewInput().Key("password").Title("Password").EchoMode(huh.EchoModePassword).Value(&c.password).Validate(required("the password"))),
	).WithShowHelp(false).WithTheme(huh.ThemeFunc(loginFormTheme)).WithWidth(width)
	return passwordForm{form: f, creds: c}
}

// init starts the form, on the password page when the username is known.
func (p passwordForm) init() tea.Cmd {
	cmd := p.form.Init()
	if p.creds.username != "" {
		cmd = tea.Batch(cmd, p.form.NextGroup())
	}
	// The form's colours follow the terminal's background.
	return tea.Batch(cmd, tea.RequestBackgroundColor)
}

// onPassword: the password page has the keys.
func (p passwordForm) onPassword() bool {
	return p.form.GetFocusedField().GetKey() == "password"
}

// loginFormTheme is huh's base theme in this program's colours.
func loginFormTheme(isDark bool) *huh.Styles {
	s := newStyles(isDark)
	t := huh.ThemeBase(isDark)
	t.Focused.Base = t.Focused.Base.BorderForeground(s.Current.GetBorderLeftForeground())
	t.Focused.Title = s.Label.Foreground(s.Title.GetForeground())
	t.Focused.ErrorIndicator = s.Fail.SetString(" *")
	t.Focused.ErrorMessage = s.Fail
	t.Focused.TextInput.Prompt = s.Title
	t.Focused.TextInput.Placeholder = s.Muted
	t.Blurred = t.Focused
	t.Blurred.Base = t.Focused.Base.BorderStyle(lipgloss.HiddenBorder())
	t.Blurred.Title = s.Label
	return t
}

// passwordProblem is what the server said about a refused password sign-in.
func passwordProblem(err error) string {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorDescription != "" {
		return re.ErrorDescription
	}
	return err.Error()
}
