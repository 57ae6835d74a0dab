package tui

import (
	"errors"
	"net/url"
	"strings"

	"charm.land/bubbles/v2/textinput"
	"charm.land/lipgloss/v2"
	"github.com/charmbracelet/x/ansi"

	"github.com/latchkeyhq/latchkey/auth"
)

// View draws the current step.
func (m loginModel) View(s styles, width int) string {
	w := textWidth(width)
	var b strings.Builder
	line := func(parts ...string) {
		b.WriteString(lipgloss.Wrap(strings.Join(parts, ""), w, " "))
		b.WriteString("\n")
	}
	para := func(style lipgloss.Style, text string) {
		line(style.Render(lipgloss.Wrap(text, w, " ")))
	}
	// gap is a blank line that a short terminal goes without.
	gap := func() {
		if !m.short() {
			line()
		}
	}
	gap()
	switch m.step {
	case loginPassword, loginChecking:
		line(s.Title.Render("Sign in with your Keycloak username and password"))
		para(s.Muted, "The latchkey server at "+m.deps.Session.Server+" checks them with Keycloak.")
		line()
		if m.step == loginChecking {
			line(m.spinner.View(), "Signing in as ", s.Value.Render(m.username), "…")
			break
		}
		if m.pw.onPassword() {
			line(s.Muted.Render("Username ") + s.Value.Render(m.pw.creds.username) + s.Muted.Render("  (shift+tab to change)"))
			line()
		}
		line(m.pw.form.View())
		if m.problem != "" {
			para(s.Fail, "✗ "+m.problem)
		}
	case loginStarting:
		line(s.Title.Render("Sign in through your company's Keycloak"))
		line()
		line(m.spinner.View(), "Starting the sign-in…")
	case loginFailed:
		if m.timedOut {
			line(s.Warn.Render("The sign-in timed out"))
		} else {
			line(s.Fail.Render("✗ The sign-in failed"))
		}
		para(lipgloss.NewStyle(), m.problem)
		line()
		para(s.Muted, "Press enter to try again, or esc to cancel.")
	case loginWaiting:
		line(s.Title.Render("Sign in through your company's Keycloak"))
		para(s.Muted, "Open this URL in your browser and sign in:")
		line(m.url(s, w))
		gap()
		switch {
		case m.opened:
			para(s.OK, "✓ "+capitalized(m.note)+". If no browser appeared, open the URL yourself.")
		case m.note != "":
			para(s.Warn, "The browser was not opened: "+m.note+".")
		}
		line(m.spinner.View(), "Waiting for the browser… ", s.Muted.Render("(5 minutes at most)"))
		if m.notice != "" {
			para(s.Muted, m.notice)
		}
	case loginPasting, loginFinishing:
		line(s.Title.Render("Sign in with a browser elsewhere"))
		para(lipgloss.NewStyle(), "Open this URL on a machine with a browser, sign in, then paste the address the browser ends on (it starts with "+m.redirectPrefix()+"…):")
		line(m.url(s, w))
		gap()
		if m.step == loginFinishing {
			line(m.spinner.View(), "Signing in…")
			break
		}
		in := m.paste
		in.SetStyles(textinput.DefaultStyles(s.isDark))
		line(in.View())
		switch {
		case m.problem != "":
			para(s.Fail, "✗ "+m.problem)
		case m.notice != "":
			para(s.Muted, m.notice)
		}
	}
	return indent(strings.TrimSuffix(b.String(), "\n"), 2)
}

// short: the terminal is so short that blank lines are a luxury.
func (m loginModel) short() bool { return m.height > 0 && m.height < 24 }

// url is the sign-in URL, wrapped to the width; in terminals that support
// hyperlinks every piece of it opens the whole URL.
func (m loginModel) url(s styles, w int) string {
	if m.signIn == nil {
		return ""
	}
	u := m.signIn.URL()
	link := s.Value.Hyperlink(u, "id=latchkey-sign-in")
	lines := strings.Split(ansi.Hardwrap(u, w, false), "\n")
	for i, l := range lines {
		lines[i] = link.Render(l)
	}
	return strings.Join(lines, "\n")
}

// redirectPrefix is how the address the browser ends on starts.
func (m loginModel) redirectPrefix() string {
	if m.signIn == nil {
		return "http://127.0.0.1"
	}
	u, err := url.Parse(m.signIn.RedirectURI())
	if err != nil {
		return "http://127.0.0.1"
	}
	return u.Scheme + "://" + u.Host + "/"
}

// pasteWidth is the paste input's width (it scrolls): the text width less
// the prompt and the cursor.
func pasteWidth(width int) int { return textWidth(width) - 3 }

// pasteMistake explains why a pasted address is not this sign-in's
// redirect, or is "" when err is about something else.
func pasteMistake(err error, prefix string) string {
	switch {
	case errors.Is(err, auth.ErrNotRedirect):
		return "That is not the address of this sign-in: it starts with " + prefix + "callback/…"
	case errors.Is(err, auth.ErrStateMissing), errors.Is(err, auth.ErrStateMismatch):
		return "That address belongs to another sign-in: paste the one from the URL above."
	case errors.Is(err, auth.ErrCodeMissing):
		return "That address carries no code: paste all of it, with everything after the ?."
	}
	return ""
}

// refusalText says why the sign-in was refused, with the OAuth error.
func refusalText(e *auth.OAuthError) string {
	why := "The server refused the sign-in"
	switch e.Code {
	case "access_denied":
		why = "The sign-in was cancelled or refused in the browser"
	case "login_required", "interaction_required", "consent_required":
		why = "The sign-in could not finish without you"
	case "server_error", "temporarily_unavailable":
		why = "The server could not complete the sign-in just now"
	}
	detail := e.Code
	if e.Description != "" {
		detail += ": " + e.Description
	}
	return why + " (" + detail + ")."
}
