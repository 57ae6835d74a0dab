package server

import (
	"context"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// invalidatingStore is the server's Store with every change that affects
// a plugin key or what the key cache holds about its owner wired to the
// cache: whichever handler rotates, revokes or changes a team (the owner,
// the profile page, the terminal client, an administrator), the cache
// forgets the user as soon as the database has the change.
type invalidatingStore struct {
	Store
	keys  *keyCache
	users *userStatuses
}

func (s invalidatingStore) RotatePluginKey(ctx context.Context, userID int64, key auth.Secret) error {
	defer s.keys.invalidateUser(userID)
	return s.Store.RotatePluginKey(ctx, userID, key)
}

func (s invalidatingStore) RevokePluginKey(ctx context.Context, userID int64) error {
	defer s.keys.invalidateUser(userID)
	return s.Store.RevokePluginKey(ctx, userID)
}

func (s invalidatingStore) SetChosenTeam(ctx context.Context, id int64, team string) error {
	defer s.keys.invalidateUser(id)
	return s.Store.SetChosenTeam(ctx, id, team)
}

func (s invalidatingStore) SetTeamOverride(ctx context.Context, id int64, team string) error {
	defer s.keys.invalidateUser(id)
	return s.Store.SetTeamOverride(ctx, id, team)
}

// RecordLogin may change the account name and teams; a sign-in through
// Keycloak also shows that the user is enabled there.
func (s invalidatingStore) RecordLogin(ctx context.Context, l store.Login) (store.User, error) {
	u, err := s.Store.RecordLogin(ctx, l)
	if err == nil {
		s.keys.invalidateUser(u.ID)
		s.users.observe(u.Subject, true)
	}
	return u, err
}
