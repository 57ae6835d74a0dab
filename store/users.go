package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
)

// User is a person who signed in (or whom an administrator configured),
// identified by (Issuer, Subject); username and email may change.
type User struct {
	ID                       int64
	Issuer, Subject          string
	Username, Email, Name    string
	Teams                    []string // the user's Keycloak groups at last sign-in
	ChosenTeam, TeamOverride string
	CreatedAt, LastLoginAt   time.Time // LastLoginAt is zero until the first sign-in
	KeyCreatedAt             time.Time // zero when the user has no active plugin key
}

// Account is the name shown to people: the email, else the username.
func (u User) Account() string {
	if u.Email != "" {
		return u.Email
	}
	return u.Username
}

// Team is the user's effective team: an administrator's override, else the
// user's pick when it is still one of their groups, else their first group,
// else defaultTeam.
func (u User) Team(defaultTeam string) string {
	switch {
	case u.TeamOverride != "":
		return u.TeamOverride
	case u.ChosenTeam != "" && slices.Contains(u.Teams, u.ChosenTeam):
		return u.ChosenTeam
	case len(u.Teams) > 0:
		return u.Teams[0]
	}
	return defaultTeam
}

// Login is what a verified sign-in tells about a user.
type Login struct {
	Issuer, Subject       string
	Username, Email, Name string
	Teams                 []string // nil: unknown this time, keep the stored teams
}

const userColumns = `u.id, u.issuer, u.subject, u.username, u.email, u.name, u.teams, u.chosen_team, u.team_override,
	u.created_at, u.last_login_at, k.created_at`

const userFrom = ` FROM users u LEFT JOIN plugin_keys k ON k.user_id = u.id AND k.revoked_at IS NULL `

// RecordLogin creates or updates the user behind a sign-in.
func (s *Store) RecordLogin(ctx context.Context, l Login) (User, error) {
	teams, err := json.Marshal(nonNil(l.Teams))
	if err != nil {
		return User{}, fmt.Errorf("encode teams: %w", err)
	}
	now := s.now().Unix()
	var id int64
	err = s.db.QueryRowContext(ctx, `
		INSERT INTO users (issuer, subject, username, email, name, teams, created_at, last_login_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $7)
		ON CONFLICT (issuer, subject) DO UPDATE SET username = excluded.username, email = excluded.email,
			name = excluded.name, last_login_at = excluded.last_login_at,
			teams = CASE WHEN $8 THEN excluded.teams ELSE users.teams END
		RETURNING id`,
		l.Issuer, l.Subject, l.Username, l.Email, l.Name, string(teams), now, l.Teams != nil).Scan(&id)
	if err != nil {
		return User{}, fmt.Errorf("record login: %w", err)
	}
	return s.User(ctx, id)
}

// EnsureUser returns the user (issuer, subject), creating a row for someone
// who has not signed in yet so that an administrator can set their team.
func (s *Store) EnsureUser(ctx context.Context, l Login) (User, error) {
	var id int64
	err := s.db.QueryRowContext(ctx, `
		INSERT INTO users (issuer, subject, username, email, name, created_at) VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT (issuer, subject) DO UPDATE SET issuer = excluded.issuer
		RETURNING id`,
		l.Issuer, l.Subject, l.Username, l.Email, l.Name, s.now().Unix()).Scan(&id)
	if err != nil {
		return User{}, fmt.Errorf("ensure user: %w", err)
	}
	return s.User(ctx, id)
}

// User reads one user by ID.
func (s *Store) User(ctx context.Context, id int64) (User, error) {
	u, err := scanUser(s.db.QueryRowContext(ctx, `SELECT `+userColumns+userFrom+`WHERE u.id = $1`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return User{}, ErrNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user %d: %w", id, err)
	}
	return u, nil
}

// UsersBySubject returns the known users among subjects of issuer, keyed by
// subject. One page of the admin user list is one call.
func (s *Store) UsersBySubject(ctx context.Context, issuer string, subjects []string) (map[string]User, error) {
	out := make(map[string]User, len(subjects))
	if len(subjects) == 0 {
		return out, nil
	}
	args := []any{issuer}
	marks := make([]string, len(subjects))
	for i, sub := range subjects {
		args = append(args, sub)
		marks[i] = fmt.Sprintf("$%d", i+2)
	}
	rows, err := s.db.QueryContext(ctx, `SELECT `+userColumns+userFrom+
		`WHERE u.issuer = $1 AND u.subject IN (`+strings.Join(marks, ", ")+`)`, args...)
	if err != nil {
		return nil, fmt.Errorf("read users: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		u, err := scanUser(rows)
		if err != nil {
			return nil, fmt.Errorf("read users: %w", err)
		}
		out[u.Subject] = u
	}
	return out, rows.Err()
}

// SetChosenTeam records the user's pick among their teams.
func (s *Store) SetChosenTeam(ctx context.Context, id int64, team string) error {
	return s.updateUser(ctx, `UPDATE users SET chosen_team = $1 WHERE id = $2`, team, id)
}

// SetTeamOverride sets (or, with "", clears) an administrator's team choice.
func (s *Store) SetTeamOverride(ctx context.Context, id int64, team string) error {
	return s.updateUser(ctx, `UPDATE users SET team_override = $1 WHERE id = $2`, team, id)
}

func (s *Store) updateUser(ctx context.Context, query string, args ...any) error {
	res, err := s.db.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update user: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return ErrNotFound
	}
	return nil
}

type scanner interface{ Scan(dest ...any) error }

func scanUser(row scanner) (User, error) {
	var (
		u                User
		teams            string
		created          int64
		lastLogin, keyAt sql.NullInt64
	)
	err := row.Scan(&u.ID, &u.Issuer, &u.Subject, &u.Username, &u.Email, &u.Name, &teams, &u.ChosenTeam, &u.TeamOverride,
		&created, &lastLogin, &keyAt)
	if err != nil {
		return User{}, err
	}
	if err := json.Unmarshal([]byte(teams), &u.Teams); err != nil {
		return User{}, fmt.Errorf("decode teams of user %d: %w", u.ID, err)
	}
	u.CreatedAt, u.LastLoginAt, u.KeyCreatedAt = time.Unix(created, 0), unix(lastLogin), unix(keyAt)
	return u, nil
}

func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
