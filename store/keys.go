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

func keyPurpose(userID int64) string { return "plugin_key:" + strconv.FormatInt(userID, 10) }

// RotatePluginKey makes key the user's one active plugin key, revoking the
// previous one in the same transaction.
func (s *Store) RotatePluginKey(ctx context.Context, userID int64, key auth.Secret) error {
	now := s.now().Unix()
	return s.inTx(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, `UPDATE plugin_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, now, userID); err != nil {
			return fmt.Errorf("revoke old plugin key: %w", err)
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO plugin_keys (user_id, hash, sealed, created_at) VALUES ($1, $2, $3, $4)`,
			userID, auth.HashToken(key.Reveal()), s.sealer.Seal([]byte(key.Reveal()), keyPurpose(userID)), now)
		if err != nil {
			return fmt.Errorf("store plugin key: %w", err)
		}
		return nil
	})
}

// CreatePluginKeyIfNone gives the user key unless they already have an
// active one; it reports whether key was stored. First sign-in uses it, so
// that two concurrent first sign-ins cannot both create a key.
func (s *Store) CreatePluginKeyIfNone(ctx context.Context, userID int64, key auth.Secret) (bool, error) {
	res, err := s.db.ExecContext(ctx, `
		INSERT INTO plugin_keys (user_id, hash, sealed, created_at) VALUES ($1, $2, $3, $4)
		ON CONFLICT (user_id) WHERE revoked_at IS NULL DO NOTHING`,
		userID, auth.HashToken(key.Reveal()), s.sealer.Seal([]byte(key.Reveal()), keyPurpose(userID)), s.now().Unix())
	if err != nil {
		return false, fmt.Errorf("create plugin key: %w", err)
	}
	n, _ := res.RowsAffected()
	return n == 1, nil
}

// ActivePluginKey returns the user's active key in clear, for its owner's
// eyes only; ErrNotFound when there is none (never created, or revoked).
func (s *Store) ActivePluginKey(ctx context.Context, userID int64) (auth.Secret, error) {
	var sealed []byte
	err := s.db.QueryRowContext(ctx, `SELECT sealed FROM plugin_keys WHERE user_id = $1 AND revoked_at IS NULL`, userID).Scan(&sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return "", ErrNotFound
	}
	if err != nil {
		return "", fmt.Errorf("read plugin key: %w", err)
	}
	key, err := s.sealer.Open(sealed, keyPurpose(userID))
	if err != nil {
		return "", fmt.Errorf("read plugin key: %w", err)
	}
	return auth.Secret(key), nil
}

// RevokePluginKey revokes the user's active key; ErrNotFound when there is none.
func (s *Store) RevokePluginKey(ctx context.Context, userID int64) error {
	res, err := s.db.ExecContext(ctx, `UPDATE plugin_keys SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL`, s.now().Unix(), userID)
	if err != nil {
		return fmt.Errorf("revoke plugin key: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

// PluginKeyOwner returns the owner of the active key with this hash;
// ErrNotFound for unknown and revoked keys.
func (s *Store) PluginKeyOwner(ctx context.Context, hash []byte) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+`WHERE k.hash = $1`, hash))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("look up plugin key: %w", err)
	}
	return u, nil
}

// TouchPluginKey records that the key was used at t.
func (s *Store) TouchPluginKey(ctx context.Context, hash []byte, t time.Time) error {
	if _, err := s.db.ExecContext(ctx, `UPDATE plugin_keys SET last_used_at = $1 WHERE hash = $2`, t.Unix(), hash); err != nil {
		return fmt.Errorf("touch plugin key: %w", err)
	}
	return nil
}
