package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
)

// Kinds of CLI tokens.
const (
	TokenCode    = "code"
	TokenAccess  = "access"
	TokenRefresh = "refresh"
)

func grantPurpose(id int64) string { return "cli_grant.keycloak_refresh:" + strconv.FormatInt(id, 10) }

// CreateGrant records a CLI sign-in of userID under a Keycloak session.
func (s *Store) CreateGrant(ctx context.Context, userID int64, keycloakSession string, keycloakRefresh auth.Secret) (int64, error) {
	var id int64
	err := s.inTx(ctx, func(tx *sql.Tx) error {
		err := tx.QueryRowContext(ctx, `INSERT INTO cli_grants (user_id, keycloak_session, created_at) VALUES ($1, $2, $3) RETURNING id`,
			userID, keycloakSession, s.now().Unix()).Scan(&id)
		if err != nil {
			return fmt.Errorf("create cli grant: %w", err)
		}
		_, err = tx.ExecContext(ctx, `UPDATE cli_grants SET keycloak_refresh_sealed = $1 WHERE id = $2`,
			s.sealer.Seal([]byte(keycloakRefresh.Reveal()), grantPurpose(id)), id)
		return err
	})
	return id, err
}

// UpdateGrantRefresh stores the Keycloak refresh token of the grant's last refresh.
func (s *Store) UpdateGrantRefresh(ctx context.Context, grantID int64, keycloakRefresh auth.Secret) error {
	_, err := s.db.ExecContext(ctx, `UPDATE cli_grants SET keycloak_refresh_sealed = $1 WHERE id = $2`,
		s.sealer.Seal([]byte(keycloakRefresh.Reveal()), grantPurpose(grantID)), grantID)
	if err != nil {
		return fmt.Errorf("update cli grant: %w", err)
	}
	return nil
}

// CLIToken is one code or token of a live grant.
type CLIToken struct {
	GrantID, UserID int64
	Kind            string
	ExpiresAt       time.Time
	RedirectURI     string      // codes only
	Challenge       string      // codes only
	KeycloakRefresh auth.Secret // the grant's Keycloak refresh token
}

// IssueToken stores a code or token (by hash) for a grant.
func (s *Store) IssueToken(ctx context.Context, hash []byte, t CLIToken) error {
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO cli_tokens (hash, grant_id, kind, expires_at, redirect_uri, challenge) VALUES ($1, $2, $3, $4, $5, $6)`,
		hash, t.GrantID, t.Kind, t.ExpiresAt.Unix(), t.RedirectURI, t.Challenge)
	if err != nil {
		return fmt.Errorf("issue %s: %w", t.Kind, err)
	}
	return nil
}

// ErrTokenReused means a code or refresh token was presented a second time;
// the store has revoked its grant.
var ErrTokenReused = errors.New("token used twice: its grant is revoked")

// PeekToken returns a live, unused code or token of kind without using it;
// ErrNotFound for unknown, expired, used or revoked ones.
func (s *Store) PeekToken(ctx context.Context, hash []byte, kind string) (CLIToken, error) {
	var (
		t       CLIToken
		expires int64
		used    sql.NullInt64
		sealed  []byte
	)
	err := s.db.QueryRowContext(ctx, `
		SELECT t.grant_id, g.user_id, t.expires_at, t.used_at, t.redirect_uri, t.challenge, g.keycloak_refresh_sealed
		FROM cli_tokens t JOIN cli_grants g ON g.id = t.grant_id
		WHERE t.hash = $1 AND t.kind = $2 AND g.revoked_at IS NULL`, hash, kind).
		Scan(&t.GrantID, &t.UserID, &expires, &used, &t.RedirectURI, &t.Challenge, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return CLIToken{}, ErrNotFound
	}
	if err != nil {
		return CLIToken{}, fmt.Errorf("read %s: %w", kind, err)
	}
	t.Kind, t.ExpiresAt = kind, time.Unix(expires, 0)
	if used.Valid || !s.now().Before(t.ExpiresAt) {
		return CLIToken{}, ErrNotFound
	}
	if sealed != nil {
		rt, err := s.sealer.Open(sealed, grantPurpose(t.GrantID))
		if err != nil {
			return CLIToken{}, fmt.Errorf("read %s: %w", kind, err)
		}
		t.KeycloakRefresh = auth.Secret(rt)
	}
	return t, nil
}

// UseToken marks a single-use code or refresh token used. A second use
// revokes the grant it belongs to and returns ErrTokenReused, so a stolen
// refresh token is worthless once either party has used it.
func (s *Store) UseToken(ctx context.Context, hash []byte, kind string) error {
	now := s.now().Unix()
	res, err := s.db.ExecContext(ctx, `UPDATE cli_tokens SET used_at = $1 WHERE hash = $2 AND kind = $3 AND used_at IS NULL`, now, hash, kind)
	if err != nil {
		return fmt.Errorf("use %s: %w", kind, err)
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return nil
	}
	var grantID int64
	err = s.db.QueryRowContext(ctx, `SELECT grant_id FROM cli_tokens WHERE hash = $1 AND kind = $2`, hash, kind).Scan(&grantID)
	if errors.Is(err, sql.ErrNoRows) {
		return ErrNotFound
	}
	if err != nil {
		return fmt.Errorf("use %s: %w", kind, err)
	}
	if err := s.RevokeGrant(ctx, grantID); err != nil {
		return err
	}
	return ErrTokenReused
}

// TokenGrant returns the grant of any code or token with this hash, used or
// not (revocation by token); ErrNotFound when there is none.
func (s *Store) TokenGrant(ctx context.Context, hash []byte) (int64, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `SELECT grant_id FROM cli_tokens WHERE hash = $1`, hash).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, ErrNotFound
	}
	if err != nil {
		return 0, fmt.Errorf("find grant: %w", err)
	}
	return id, nil
}

// AccessTokenOwner returns the user behind a live CLI access token.
func (s *Store) AccessTokenOwner(ctx context.Context, hash []byte) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+`
		JOIN cli_grants g ON g.user_id = u.id AND g.revoked_at IS NULL
		JOIN cli_tokens t ON t.grant_id = g.id AND t.kind = 'access'
		WHERE t.hash = $1 AND t.expires_at > $2`, hash, s.now().Unix()))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("look up access token: %w", err)
	}
	return u, nil
}

// RevokeGrant ends a CLI grant and so all its tokens.
func (s *Store) RevokeGrant(ctx context.Context, grantID int64) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE cli_grants SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL`, s.now().Unix(), grantID); err != nil {
		return fmt.Errorf("revoke cli grant: %w", err)
	}
	return nil
}

// RevokeGrantsOfSession ends every CLI grant issued under a Keycloak session
// and reports how many there were.
func (s *Store) RevokeGrantsOfSession(ctx context.Context, keycloakSession string) (int64, error) {
	if keycloakSession == "" {
		return 0, nil
	}
	res, err := s.db.ExecContext(ctx, `UPDATE cli_grants SET revoked_at = $1 WHERE keycloak_session = $2 AND revoked_at IS NULL`, s.now().Unix(), keycloakSession)
	if err != nil {
		return 0, fmt.Errorf("revoke cli grants: %w", err)
	}
	return res.RowsAffected()
}
