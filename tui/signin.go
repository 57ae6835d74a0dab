package tui

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"fmt"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
)

// SignIn is one browser sign-in in flight (RFC 8252): a loopback receiver,
// a 32-byte state and a PKCE verifier. The TUI's login screen and the
// non-interactive `latchkey login` both drive it.
type SignIn struct {
	session  *Session
	receiver Receiver
	state    string
	verifier string
	url      string
}

// BeginSignIn starts the loopback receiver and builds the URL to open.
func BeginSignIn(deps Deps) (*SignIn, error) {
	b := make([]byte, 32)
	rand.Read(b)
	state := base64.RawURLEncoding.EncodeToString(b)
	receiver, err := deps.Listen(state)
	if err != nil {
		return nil, fmt.Errorf("listen for the browser: %w", err)
	}
	verifier := oauth2.GenerateVerifier()
	return &SignIn{
		session: deps.Session, receiver: receiver, state: state, verifier: verifier,
		url: deps.Session.OAuth.AuthCodeURL(receiver.RedirectURI(), state, verifier),
	}, nil
}

// URL is where the browser must go; it is always shown.
func (s *SignIn) URL() string { return s.url }

// RedirectURI is the loopback address the browser comes back to.
func (s *SignIn) RedirectURI() string { return s.receiver.RedirectURI() }

// Wait blocks until the browser comes back (or ctx ends), then redeems the
// code and returns the account.
func (s *SignIn) Wait(ctx context.Context) (api.Me, error) {
	code, err := s.receiver.Wait(ctx)
	if err != nil {
		return api.Me{}, err
	}
	return s.finish(ctx, code)
}

// Paste finishes the sign-in from the redirect URL the browser ended on,
// for sessions where the browser cannot reach this machine's loopback.
func (s *SignIn) Paste(ctx context.Context, pasted string) (api.Me, error) {
	code, err := auth.CodeFromRedirect(pasted, s.receiver.RedirectURI(), s.state)
	if err != nil {
		return api.Me{}, err
	}
	return s.finish(ctx, code)
}

func (s *SignIn) finish(ctx context.Context, code string) (api.Me, error) {
	tokens, err := s.session.OAuth.Exchange(ctx, code, s.receiver.RedirectURI(), s.verifier)
	if err != nil {
		return api.Me{}, err
	}
	if err := s.session.Save(ctx, tokens); err != nil {
		return api.Me{}, err
	}
	return s.session.Me(ctx)
}

// Close stops the loopback receiver.
func (s *SignIn) Close() error { return s.receiver.Close() }

// PasswordSignIn signs in with a username and password (the server turns
// them into a Keycloak Direct Access Grant) and returns the account.
func PasswordSignIn(ctx context.Context, session *Session, username string, password auth.Secret) (api.Me, error) {
	tokens, err := session.OAuth.Password(ctx, username, password)
	if err != nil {
		return api.Me{}, err
	}
	if err := session.Save(ctx, tokens); err != nil {
		return api.Me{}, err
	}
	return session.Me(ctx)
}
