package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
)

// Session kinds.
const (
	SessionUser  = "user"
	SessionAdmin = "admin"
)

const purposeIDToken = "session.id_token"

// Session is a signed-in browser. Its cookie value is never stored, only the
// value's hash.
type Session struct {
	Kind    string
	UserID  int64       // 0 for admin sessions
	IDToken auth.Secret // Keycloak's ID token, the hint for RP-initiated logout
	// KeycloakSession is Keycloak's session ID: signing out revokes the CLI
	// grants issued under it.
	KeycloakSession string
	LastSeenAt      time.Time
	ExpiresAt       time.Time // absolute expiry
}

// CreateSession stores a new session under the hash of its cookie value.
func (s *Store) CreateSession(ctx context.Context, hash []byte, sess Session) error {
	var userID sql.NullInt64
	if sess.UserID != 0 {
		userID = sql.NullInt64{Int64: sess.UserID, Valid: true}
	}
	var sealed []byte
	if sess.IDToken.IsSet() {
		sealed = s.sealer.Seal([]byte(sess.IDToken.Reveal()), purposeIDToken)
	}
	now := s.now().Unix()
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO sessions (hash, kind, user_id, id_token_sealed, keycloak_session, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $6, $7)`,
		hash, sess.Kind, userID, sealed, sess.KeycloakSession, now, sess.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("create session: %w", err)
	}
	return nil
}

// touchEvery limits last-seen writes to one a minute per session.
const touchEvery = time.Minute

// Session returns the live session with this hash and marks it seen. A
// session past its absolute expiry, or unseen for longer than idle, is
// deleted and reported as ErrNotFound.
func (s *Store) Session(ctx context.Context, hash []byte, idle time.Duration) (Session, error) {
	var (
		sess          Session
		userID        sql.NullInt64
		sealed        []byte
		seen, expires int64
	)
	err := s.db.QueryRowContext(ctx, `SELECT kind, user_id, id_token_sealed, last_seen_at, expires_at FROM sessions WHERE hash = $1`, hash).
		Scan(&sess.Kind, &userID, &sealed, &seen, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("read session: %w", err)
	}
	now := s.now()
	sess.UserID, sess.LastSeenAt, sess.ExpiresAt = userID.Int64, time.Unix(seen, 0), time.Unix(expires, 0)
	if !now.Before(sess.ExpiresAt) || now.Sub(sess.LastSeenAt) > idle {
		_, _ = s.DeleteSession(ctx, hash)
		return Session{}, ErrNotFound
	}
	if sealed != nil {
		tok, err := s.sealer.Open(sealed, purposeIDToken)
		if err != nil {
			return Session{}, fmt.Errorf("read session: %w", err)
		}
		sess.IDToken = auth.Secret(tok)
	}
	if now.Sub(sess.LastSeenAt) >= touchEvery {
		if _, err := s.db.ExecContext(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE hash = $2`, now.Unix(), hash); err != nil {
			return Session{}, fmt.Errorf("touch session: %w", err)
		}
		sess.LastSeenAt = now
	}
	return sess, nil
}

// DeleteSession ends a session and returns it (for the logout hint);
// ErrNotFound when there was none.
func (s *Store) DeleteSession(ctx context.Context, hash []byte) (Session, error) {
	var (
		sess   Session
		userID sql.NullInt64
		sealed []byte
	)
	err := s.db.QueryRowContext(ctx, `DELETE FROM sessions WHERE hash = $1 RETURNING kind, user_id, id_token_sealed, keycloak_session`, hash).
		Scan(&sess.Kind, &userID, &sealed, &sess.KeycloakSession)
	if errors.Is(err, sql.ErrNoRows) {
		return Session{}, ErrNotFound
	}
	if err != nil {
		return Session{}, fmt.Errorf("delete session: %w", err)
	}
	sess.UserID = userID.Int64
	if tok, err := s.sealer.Open(sealed, purposeIDToken); err == nil {
		sess.IDToken = auth.Secret(tok)
	}
	return sess, nil
}

// LoginState is a browser sign-in in flight.
type LoginState struct {
	Nonce      string
	Verifier   auth.Secret // PKCE code verifier
	ReturnTo   string
	CLIRequest string // the terminal client's pending authorization request, if this sign-in is for it
	ExpiresAt  time.Time
}

const purposeVerifier = "login_state.verifier"

// SaveLoginState stores a sign-in in flight under the hash of its state value.
func (s *Store) SaveLoginState(ctx context.Context, stateHash []byte, l LoginState) error {
	_, err := s.db.ExecContext(ctx, `INSERT INTO login_states (state_hash, nonce, verifier_sealed, return_to, cli_request, expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
		stateHash, l.Nonce, s.sealer.Seal([]byte(l.Verifier.Reveal()), purposeVerifier), l.ReturnTo, l.CLIRequest, l.ExpiresAt.Unix())
	if err != nil {
		return fmt.Errorf("save login state: %w", err)
	}
	return nil
}

// TakeLoginState consumes a sign-in in flight: a state works once, and not
// after it expired (ErrNotFound either way).
func (s *Store) TakeLoginState(ctx context.Context, stateHash []byte) (LoginState, error) {
	var (
		l       LoginState
		sealed  []byte
		expires int64
	)
	err := s.db.QueryRowContext(ctx, `DELETE FROM login_states WHERE state_hash = $1 RETURNING nonce, verifier_sealed, return_to, cli_request, expires_at`, stateHash).
		Scan(&l.Nonce, &sealed, &l.ReturnTo, &l.CLIRequest, &expires)
	if errors.Is(err, sql.ErrNoRows) {
		return LoginState{}, ErrNotFound
	}
	if err != nil {
		return LoginState{}, fmt.Errorf("take login state: %w", err)
	}
	l.ExpiresAt = time.Unix(expires, 0)
	if !s.now().Before(l.ExpiresAt) {
		return LoginState{}, ErrNotFound
	}
	v, err := s.sealer.Open(sealed, purposeVerifier)
	if err != nil {
		return LoginState{}, fmt.Errorf("take login state: %w", err)
	}
	l.Verifier = auth.Secret(v)
	return l, nil
}

// DeleteExpired removes expired sessions, login states and CLI tokens.
func (s *Store) DeleteExpired(ctx context.Context) error {
	now := s.now().Unix()
	for _, q := range []string{
		`DELETE FROM sessions WHERE expires_at <= $1`,
		`DELETE FROM login_states WHERE expires_at <= $1`,
		`DELETE FROM cli_tokens WHERE expires_at <= $1`,
	} {
		if _, err := s.db.ExecContext(ctx, q, now); err != nil {
			return fmt.Errorf("delete expired rows: %w", err)
		}
	}
	return nil
}
