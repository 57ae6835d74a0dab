package tui

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"time"

	tea "charm.land/bubbletea/v2"
	"charm.land/huh/v2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// The admin token of the wizard and the Users screen: both read the one
// remembered for the server first, ask for it in a masked field when there
// is none or the server refuses it, and remember one the server took.

const (
	keyringReadTime  = 5 * time.Second
	keyringWriteTime = 60 * time.Second // an interactive unlock prompt may be up
)

type (
	storedTokenMsg struct {
		token auth.Secret
		err   error
	}
	adminTokenSavedMsg struct{ err error }
)

func readAdminToken(s *Session) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), keyringReadTime)
		defer cancel()
		tok, err := s.AdminToken(ctx)
		return storedTokenMsg{token: tok, err: err}
	}
}

func saveAdminToken(s *Session, token auth.Secret) tea.Cmd {
	return func() tea.Msg {
		ctx, cancel := context.WithTimeout(context.Background(), keyringWriteTime)
		defer cancel()
		return adminTokenSavedMsg{err: s.SaveAdminToken(ctx, token)}
	}
}

// adminTokenInput is the masked admin token field, starting with value;
// description says where the token comes from or what it is for.
func adminTokenInput(description, value string) *huh.Input {
	return huh.NewInput().Key("token").Title("Admin token").Description(description).
		EchoMode(huh.EchoModePassword).Placeholder("lka_…").
		Validate(func(v string) error {
			if strings.TrimSpace(v) == "" {
				return errors.New("enter the admin token")
			}
			return nil
		}).Value(&value)
}

// tokenReadNote says why the remembered token could not be read; "" when
// it was read or none is remembered.
func tokenReadNote(s Secrets, err error) string {
	if err == nil || errors.Is(err, credentials.ErrNotFound) {
		return ""
	}
	return "could not read the " + storeName(s) + ": " + err.Error()
}

// storeName is where secrets are kept, for a sentence.
func storeName(s Secrets) string {
	if b := s.Backend(); b != "keyring" {
		return "secrets " + b
	}
	return "keyring"
}

// adminTokenProblem says why the server did not take the admin token.
func adminTokenProblem(err error) string {
	var se *api.StatusError
	switch {
	case errors.As(err, &se) && se.Status == http.StatusUnauthorized:
		return "not the admin token of this server (401)."
	case errors.As(err, &se) && se.Status == http.StatusTooManyRequests:
		return "too many failed attempts (429): the server refuses admin tokens for a minute; wait, then try again."
	case errors.As(err, &se) && se.Status == http.StatusNotFound:
		return "this server has no latchkey admin API (404): is --server the latchkey server?"
	}
	return "could not check the token: " + callProblem(err)
}
