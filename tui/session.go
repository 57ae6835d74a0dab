package tui

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store/credentials"
)

// Secrets is where the client keeps secrets: the OS keyring, or its
// fallback file.
type Secrets interface {
	Get(ctx context.Context, server, item string) (auth.Secret, error)
	Set(ctx context.Context, server, item string, v auth.Secret) error
	Delete(ctx context.Context, server, item string) (bool, error)
	Backend() string
	Reason() string
}

// OAuth is the client side of the terminal sign-in (auth.CLI).
type OAuth interface {
	AuthCodeURL(redirectURI, state, verifier string) string
	Exchange(ctx context.Context, code, redirectURI, verifier string) (auth.CLITokens, error)
	Password(ctx context.Context, username string, password auth.Secret) (auth.CLITokens, error)
	Refresh(ctx context.Context, refresh auth.Secret) (auth.CLITokens, error)
	Revoke(ctx context.Context, token auth.Secret) error
}

// ErrSignedOut means there is no sign-in for the server (or it ended): run
// `latchkey login`.
var ErrSignedOut = errors.New("not signed in: run latchkey login")

// refreshMargin is how long before expiry an access token is renewed.
const refreshMargin = time.Minute

// Session is the person's sign-in at one server: tokens in Secrets, their
// expiry and the account in Config.
type Session struct {
	Server  string
	Secrets Secrets
	OAuth   OAuth
	API     *api.Client
	Config  *Config
	// LockFile serialises refreshes across processes: refresh tokens work
	// once, and a second use revokes the sign-in.
	LockFile string
	// EnvAdminToken is LATCHKEY_ADMIN_TOKEN from the environment; when set
	// it is used instead of the one remembered in Secrets.
	EnvAdminToken auth.Secret
	Now           func() time.Time
}

// Save stores the tokens of a fresh sign-in.
func (s *Session) Save(ctx context.Context, t auth.CLITokens) error {
	if err := s.Secrets.Set(ctx, s.Server, credentials.ItemRefreshToken, t.Refresh); err != nil {
		return fmt.Errorf("store refresh token: %w", err)
	}
	if err := s.Secrets.Set(ctx, s.Server, credentials.ItemAccessToken, t.Access); err != nil {
		return fmt.Errorf("store access token: %w", err)
	}
	st := s.Config.Server(s.Server)
	st.AccessExpires = t.Expiry
	return s.Config.SetServer(s.Server, st)
}

// AccessToken returns a valid access token, refreshing it first when it
// expires within a minute. ErrSignedOut when there is no sign-in or the
// server refused the refresh.
func (s *Session) AccessToken(ctx context.Context) (auth.Secret, error) {
	if !s.Config.Server(s.Server).AccessExpires.After(s.Now().Add(refreshMargin)) {
		return s.refresh(ctx)
	}
	tok, err := s.Secrets.Get(ctx, s.Server, credentials.ItemAccessToken)
	if errors.Is(err, credentials.ErrNotFound) {
		return s.refresh(ctx)
	}
	return tok, err
}

// refresh renews the tokens under the lock file, re-reading them first in
// case another latchkey process has just done so.
func (s *Session) refresh(ctx context.Context) (auth.Secret, error) {
	unlock, err := lockFile(s.LockFile)
	if err != nil {
		return "", err
	}
	defer unlock()
	if err := s.reloadConfig(); err != nil {
		return "", err
	}
	if s.Config.Server(s.Server).AccessExpires.After(s.Now().Add(refreshMargin)) {
		if tok, err := s.Secrets.Get(ctx, s.Server, credentials.ItemAccessToken); err == nil {
			return tok, nil
		}
	}
	refresh, err := s.Secrets.Get(ctx, s.Server, credentials.ItemRefreshToken)
	if errors.Is(err, credentials.ErrNotFound) {
		return "", ErrSignedOut
	}
	if err != nil {
		return "", fmt.Errorf("read refresh token: %w", err)
	}
	tokens, err := s.OAuth.Refresh(ctx, refresh)
	if errors.Is(err, auth.ErrLoginRequired) {
		s.forgetTokens(ctx)
		return "", fmt.Errorf("%w (%v)", ErrSignedOut, err)
	}
	if err != nil {
		return "", err
	}
	if err := s.Save(ctx, tokens); err != nil {
		return "", err
	}
	return tokens.Access, nil
}

// reloadConfig picks up what another process wrote (a refresh) while this
// one waited for the lock.
func (s *Session) reloadConfig() error {
	fresh, err := LoadConfig(s.Config.path)
	if err != nil {
		return err
	}
	s.Config.Servers = fresh.Servers
	return nil
}

// Me fetches the signed-in account, and keeps the plugin key in Secrets and
// the account and team in Config.
func (s *Session) Me(ctx context.Context) (api.Me, error) {
	return s.call(ctx, func(tok auth.Secret) (api.Me, error) { return s.API.Me(ctx, tok) })
}

// SetTeam picks the person's team among their teams.
func (s *Session) SetTeam(ctx context.Context, team string) (api.Me, error) {
	return s.call(ctx, func(tok auth.Secret) (api.Me, error) { return s.API.SetMyTeam(ctx, tok, team) })
}

// RotateKey replaces the person's plugin key.
func (s *Session) RotateKey(ctx context.Context) (api.Me, error) {
	return s.call(ctx, func(tok auth.Secret) (api.Me, error) { return s.API.RotateMyKey(ctx, tok) })
}

// call runs an account call with a fresh access token and records its answer.
func (s *Session) call(ctx context.Context, do func(auth.Secret) (api.Me, error)) (api.Me, error) {
	tok, err := s.AccessToken(ctx)
	if err != nil {
		return api.Me{}, err
	}
	me, err := do(tok)
	if api.IsStatus(err, http.StatusUnauthorized) {
		s.forgetTokens(ctx)
		return api.Me{}, ErrSignedOut
	}
	if err != nil {
		return api.Me{}, err
	}
	if me.PluginAPIKey != "" {
		if err := s.Secrets.Set(ctx, s.Server, credentials.ItemPluginKey, auth.Secret(me.PluginAPIKey)); err != nil {
			return api.Me{}, fmt.Errorf("store plugin key: %w", err)
		}
	}
	st := s.Config.Server(s.Server)
	st.Account, st.Team = me.Account, me.Team
	return me, s.Config.SetServer(s.Server, st)
}

// CachedKey is the plugin key kept from the last successful call.
func (s *Session) CachedKey(ctx context.Context) (auth.Secret, error) {
	return s.Secrets.Get(ctx, s.Server, credentials.ItemPluginKey)
}

// Logout revokes the sign-in at the server and deletes what is stored for
// it. It returns the names of the items it removed; a server that cannot be
// reached is reported in err after the local items are gone.
func (s *Session) Logout(ctx context.Context) ([]string, error) {
	var revokeErr error
	if refresh, err := s.Secrets.Get(ctx, s.Server, credentials.ItemRefreshToken); err == nil {
		if err := s.OAuth.Revoke(ctx, refresh); err != nil {
			revokeErr = fmt.Errorf("the server could not be told (the sign-in ends at its next refresh at the latest): %w", err)
		}
	}
	var removed []string
	for _, item := range []string{credentials.ItemAccessToken, credentials.ItemRefreshToken, credentials.ItemPluginKey} {
		existed, err := s.Secrets.Delete(ctx, s.Server, item)
		if err != nil {
			return removed, fmt.Errorf("delete %s: %w", item, err)
		}
		if existed {
			removed = append(removed, item)
		}
	}
	if err := s.Config.ForgetServer(s.Server); err != nil {
		return removed, err
	}
	return removed, revokeErr
}

// forgetTokens drops tokens the server no longer accepts.
func (s *Session) forgetTokens(ctx context.Context) {
	for _, item := range []string{credentials.ItemAccessToken, credentials.ItemRefreshToken} {
		s.Secrets.Delete(ctx, s.Server, item) // best effort: they are useless anyway
	}
}

// AdminToken is the admin token for this server: from the environment, or
// the one remembered in Secrets.
func (s *Session) AdminToken(ctx context.Context) (auth.Secret, error) {
	if s.EnvAdminToken.IsSet() {
		return s.EnvAdminToken, nil
	}
	return s.Secrets.Get(ctx, s.Server, credentials.ItemAdminToken)
}

// SaveAdminToken remembers a verified admin token for this server.
func (s *Session) SaveAdminToken(ctx context.Context, token auth.Secret) error {
	return s.Secrets.Set(ctx, s.Server, credentials.ItemAdminToken, token)
}

// lockFile takes an exclusive lock on path, creating it, and returns the
// function that releases it.
func lockFile(path string) (func(), error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create lock directory: %w", err)
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX); err != nil {
		f.Close()
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}
