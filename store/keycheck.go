package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"
)

// KeyCheck is what checking a plugin key learns in one query: the key's
// owner and when the key was last used (zero: never).
type KeyCheck struct {
	User       User
	LastUsedAt time.Time
}

// PluginKeyCheck returns the owner of the active key with this hash and the
// key's last use; ErrNotFound for unknown and revoked keys. It is
// PluginKeyOwner plus last_used_at, so that the server can write the last
// use at most once per interval even across restarts.
func (s *Store) PluginKeyCheck(ctx context.Context, hash []byte) (KeyCheck, error) {
	var (
		c        KeyCheck
		lastUsed sql.NullInt64
	)
	row := s.db.QueryRowContext(ctx, `SELECT `+userColumns+`, k.last_used_at`+userFrom+`WHERE k.hash = $1`, hash)
	u, err := scanUser(extraColumn{row: row, dest: &lastUsed})
	if errors.Is(err, sql.ErrNoRows) {
		return KeyCheck{}, ErrNotFound
	}
	if err != nil {
		return KeyCheck{}, fmt.Errorf("check plugin key: %w", err)
	}
	c.User, c.LastUsedAt = u, unix(lastUsed)
	return c, nil
}

// extraColumn scans one more column after the ones scanUser reads.
type extraColumn struct {
	row  scanner
	dest any
}

func (e extraColumn) Scan(dest ...any) error { return e.row.Scan(append(dest, e.dest)...) }
