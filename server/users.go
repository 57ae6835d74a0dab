package server

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// listUsers returns one page of realm users from Keycloak's Admin API (never
// the whole realm), joined with what latchkey stores about them.
func (s *Server) listUsers(ctx context.Context, search string, first, max int) (api.UserPage, error) {
	kc, err := s.keycloak.get(ctx, s.store)
	if err != nil {
		return api.UserPage{}, err
	}
	total, err := kc.CountUsers(ctx, search)
	if err != nil {
		return api.UserPage{}, &keycloakDownError{err: err}
	}
	users, err := kc.Users(ctx, auth.UserQuery{Search: search, First: first, Max: max})
	if err != nil {
		return api.UserPage{}, &keycloakDownError{err: err}
	}
	ids := make([]string, len(users))
	for i, u := range users {
		ids[i] = u.ID
	}
	known, err := s.store.UsersBySubject(ctx, kc.Settings().Issuer(), ids)
	if err != nil {
		return api.UserPage{}, err
	}
	groups := s.groupsOfNewcomers(ctx, kc, users, known)
	page := api.UserPage{Users: make([]api.User, len(users)), Total: total, First: first, Max: max}
	for i, ku := range users {
		local, ok := known[ku.ID]
		page.Users[i] = s.userView(ku, local, ok, groups[ku.ID])
	}
	return page, nil
}

// groupsOfNewcomers reads the Keycloak groups of users who have not signed
// in yet (latchkey has no teams stored for them), a few at a time.
func (s *Server) groupsOfNewcomers(ctx context.Context, kc *auth.Keycloak, users []auth.User, known map[string]store.User) map[string][]string {
	var (
		mu   sync.Mutex
		wg   sync.WaitGroup
		out  = map[string][]string{}
		sema = make(chan struct{}, 8)
	)
	for _, u := range users {
		if k, ok := known[u.ID]; ok && !k.LastLoginAt.IsZero() {
			continue
		}
		wg.Go(func() {
			sema <- struct{}{}
			defer func() { <-sema }()
			groups, err := kc.UserGroups(ctx, u.ID)
			if err != nil {
				s.log.Warn("read groups of user", "user", u.ID, "err", err)
				return
			}
			mu.Lock()
			out[u.ID] = groups
			mu.Unlock()
		})
	}
	wg.Wait()
	return out
}

// userView joins a Keycloak user with latchkey's record of them (known
// reports whether there is one) and, for someone who never signed in, the
// groups just read from Keycloak.
func (s *Server) userView(ku auth.User, local store.User, known bool, groups []string) api.User {
	v := api.User{
		ID: ku.ID, Username: ku.Username, Email: ku.Email, Name: joinName(ku.FirstName, ku.LastName), Enabled: ku.Enabled,
		Account: store.User{Username: ku.Username, Email: ku.Email}.Account(),
	}
	if !known || local.LastLoginAt.IsZero() {
		local.Teams = groups
	}
	v.Teams = nonNilStrings(local.Teams)
	v.Team, v.TeamOverride = local.Team(s.cfg.DefaultTeam), local.TeamOverride
	v.SignedIn, v.LastLoginAt = !local.LastLoginAt.IsZero(), timePtr(local.LastLoginAt)
	v.KeyActive, v.KeyCreatedAt = !local.KeyCreatedAt.IsZero(), timePtr(local.KeyCreatedAt)
	return v
}

var errNoSuchUser = &userError{status: http.StatusNotFound, title: "No such user",
	message: "Keycloak has no user with that ID in this realm: they may have been deleted.", back: "/admin/users", backLabel: "Back to Users"}

// adminTarget is the user an administrator acts on, by Keycloak ID. It
// creates latchkey's record for someone who has not signed in yet.
func (s *Server) adminTarget(ctx context.Context, id string) (auth.User, store.User, *auth.Keycloak, error) {
	kc, err := s.keycloak.get(ctx, s.store)
	if err != nil {
		return auth.User{}, store.User{}, nil, err
	}
	ku, err := kc.User(ctx, id)
	if errors.Is(err, auth.ErrUserNotFound) {
		return auth.User{}, store.User{}, nil, errNoSuchUser
	}
	if err != nil {
		return auth.User{}, store.User{}, nil, &keycloakDownError{err: err}
	}
	u, err := s.store.EnsureUser(ctx, store.Login{
		Issuer: kc.Settings().Issuer(), Subject: ku.ID, Username: ku.Username, Email: ku.Email, Name: joinName(ku.FirstName, ku.LastName),
	})
	return ku, u, kc, err
}

// userAction is an administrator's change to one user.
type userAction func(ctx context.Context, u store.User) error

func (s *Server) setTeamAction(team string) userAction {
	return func(ctx context.Context, u store.User) error { return s.store.SetTeamOverride(ctx, u.ID, team) }
}

func (s *Server) rotateAction(ctx context.Context, u store.User) error {
	return s.store.RotatePluginKey(ctx, u.ID, auth.NewPluginKey())
}

func (s *Server) revokeAction(ctx context.Context, u store.User) error {
	if err := s.store.RevokePluginKey(ctx, u.ID); err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	return nil
}

// actOnUser applies an administrator's action and returns the user as the
// list shows them afterwards.
func (s *Server) actOnUser(ctx context.Context, id, what string, act userAction) (api.User, error) {
	ku, u, kc, err := s.adminTarget(ctx, id)
	if err != nil {
		return api.User{}, err
	}
	if err := act(ctx, u); err != nil {
		return api.User{}, err
	}
	s.log.Info("administrator changed a user", "action", what, "user_id", u.ID)
	if u, err = s.store.User(ctx, u.ID); err != nil {
		return api.User{}, err
	}
	var groups []string
	if u.LastLoginAt.IsZero() {
		if groups, err = kc.UserGroups(ctx, ku.ID); err != nil {
			return api.User{}, &keycloakDownError{err: err}
		}
	}
	return s.userView(ku, u, true, groups), nil
}

func joinName(first, last string) string {
	switch {
	case first == "":
		return last
	case last == "":
		return first
	}
	return first + " " + last
}

func timePtr(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	t = t.UTC()
	return &t
}

func nonNilStrings(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
