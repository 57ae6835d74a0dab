package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"github.com/latchkeyhq/latchkey/auth"
)

const purposeClientSecret = "keycloak.client_secret"

// KeycloakSettings returns the saved Keycloak settings; ErrNotFound before
// the first save.
func (s *Store) KeycloakSettings(ctx context.Context) (auth.Settings, error) {
	var (
		out    auth.Settings
		sealed []byte
	)
	err := s.db.QueryRowContext(ctx,
		`SELECT enabled, url, realm, client_id, client_secret_sealed FROM keycloak_settings WHERE id = 1`).
		Scan(&out.Enabled, &out.URL, &out.Realm, &out.ClientID, &sealed)
	if errors.Is(err, sql.ErrNoRows) {
		return auth.Settings{}, ErrNotFound
	}
	if err != nil {
		return auth.Settings{}, fmt.Errorf("read keycloak settings: %w", err)
	}
	secret, err := s.sealer.Open(sealed, purposeClientSecret)
	if err != nil {
		return auth.Settings{}, fmt.Errorf("read keycloak settings: %w", err)
	}
	out.ClientSecret = auth.Secret(secret)
	return out, nil
}

// SaveKeycloakSettings replaces the Keycloak settings; the client secret is
// sealed before it reaches the database.
func (s *Store) SaveKeycloakSettings(ctx context.Context, k auth.Settings) error {
	sealed := s.sealer.Seal([]byte(k.ClientSecret.Reveal()), purposeClientSecret)
	_, err := s.db.ExecContext(ctx, `
		INSERT INTO keycloak_settings (id, enabled, url, realm, client_id, client_secret_sealed, updated_at)
		VALUES (1, $1, $2, $3, $4, $5, $6)
		ON CONFLICT (id) DO UPDATE SET enabled = excluded.enabled, url = excluded.url, realm = excluded.realm,
			client_id = excluded.client_id, client_secret_sealed = excluded.client_secret_sealed, updated_at = excluded.updated_at`,
		k.Enabled, k.URL, k.Realm, k.ClientID, sealed, s.now().Unix())
	if err != nil {
		return fmt.Errorf("save keycloak settings: %w", err)
	}
	return nil
}

// AdminTokenHash returns the hash of the generated admin token; ErrNotFound
// before one was generated.
func (s *Store) AdminTokenHash(ctx context.Context) ([]byte, error) {
	var h []byte
	err := s.db.QueryRowContext(ctx, `SELECT hash FROM admin_token WHERE id = 1`).Scan(&h)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("read admin token: %w", err)
	}
	return h, nil
}

// CreateAdminTokenHash stores the hash of a newly generated admin token. It
// fails with ErrExists when one is stored already (another replica won).
func (s *Store) CreateAdminTokenHash(ctx context.Context, hash []byte) error {
	res, err := s.db.ExecContext(ctx, `INSERT INTO admin_token (id, hash, created_at) VALUES (1, $1, $2) ON CONFLICT (id) DO NOTHING`, hash, s.now().Unix())
	if err != nil {
		return fmt.Errorf("store admin token: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrExists
	}
	return nil
}

// ErrExists means a row that may be written only once is there already.
var ErrExists = errors.New("already exists")
