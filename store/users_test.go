package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/latchkeyhq/latchkey/store"
)

const (
	issuerA = "https://sso.example.com/realms/corp"
	issuerB = "https://other.example.com/realms/corp"
)

func recordLogin(t *testing.T, st *store.Store, l store.Login) store.User {
	t.Helper()
	u, err := st.RecordLogin(t.Context(), l)
	if err != nil {
		t.Fatalf("RecordLogin(%s, %s): %v", l.Issuer, l.Subject, err)
	}
	return u
}

func readUser(t *testing.T, st *store.Store, id int64) store.User {
	t.Helper()
	u, err := st.User(t.Context(), id)
	if err != nil {
		t.Fatalf("User(%d): %v", id, err)
	}
	return u
}

func TestRecordLogin(t *testing.T) {
	f := newFixture(t)

	first := recordLogin(t, f.st, store.Login{
		Issuer: issuerA, Subject: "sub-1", Username: "alice", Email: "alice@example.com", Name: "Alice", Teams: []string{"ml"},
	})
	want := store.User{
		ID: first.ID, Issuer: issuerA, Subject: "sub-1", Username: "alice", Email: "alice@example.com", Name: "Alice",
		Teams: []string{"ml"}, CreatedAt: t0, LastLoginAt: t0,
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("first login (-want +got):\n%s", diff)
	}

	t1 := f.clock.Advance(time.Hour)
	second := recordLogin(t, f.st, store.Login{
		Issuer: issuerA, Subject: "sub-1", Username: "alice.b", Email: "alice@new.example.com", Name: "Alice B", Teams: []string{"infra", "ml"},
	})
	want = store.User{
		ID: first.ID, Issuer: issuerA, Subject: "sub-1", Username: "alice.b", Email: "alice@new.example.com", Name: "Alice B",
		Teams: []string{"infra", "ml"}, CreatedAt: t0, LastLoginAt: t1,
	}
	if diff := cmp.Diff(want, second); diff != "" {
		t.Errorf("second login (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, readUser(t, f.st, first.ID)); diff != "" {
		t.Errorf("stored after second login (-want +got):\n%s", diff)
	}

	// Groups unknown this time (nil): the stored teams stay.
	third := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "sub-1", Username: "alice.c"})
	if diff := cmp.Diff([]string{"infra", "ml"}, third.Teams); diff != "" || third.Username != "alice.c" {
		t.Errorf("login with unknown groups: username %q, teams (-want +got):\n%s", third.Username, diff)
	}
	// No groups any more (empty list): the stored list empties.
	fourth := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "sub-1", Username: "alice.c", Teams: []string{}})
	if len(fourth.Teams) != 0 {
		t.Errorf("teams after a login without groups = %q; want none", fourth.Teams)
	}
	if raw := rawInt(t, f.raw, `SELECT count(*) FROM users WHERE id = $1 AND teams = '[]'`, first.ID).Int64; raw != 1 {
		t.Errorf("stored teams after a login without groups are not []")
	}
	if n := rawCount(t, f.raw, "users"); n != 1 {
		t.Errorf("%d rows in users; want 1", n)
	}
}

func TestRecordLoginIssuerScoped(t *testing.T) {
	f := newFixture(t)
	a := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "same-sub", Email: "a@example.com"})
	b := recordLogin(t, f.st, store.Login{Issuer: issuerB, Subject: "same-sub", Email: "b@example.com"})
	if a.ID == b.ID {
		t.Fatalf("same subject under two issuers got one ID %d", a.ID)
	}
	for _, want := range []store.User{a, b} {
		if diff := cmp.Diff(want, readUser(t, f.st, want.ID)); diff != "" {
			t.Errorf("user %d (-want +got):\n%s", want.ID, diff)
		}
	}
}

func TestEnsureUser(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	fresh, err := f.st.EnsureUser(ctx, store.Login{Issuer: issuerA, Subject: "new", Username: "bob", Email: "bob@example.com", Name: "Bob"})
	if err != nil {
		t.Fatalf("EnsureUser (new): %v", err)
	}
	want := store.User{ID: fresh.ID, Issuer: issuerA, Subject: "new", Username: "bob", Email: "bob@example.com", Name: "Bob", CreatedAt: t0}
	if diff := cmp.Diff(want, fresh, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("EnsureUser (new) (-want +got):\n%s", diff)
	}
	if !fresh.LastLoginAt.IsZero() {
		t.Errorf("never-signed-in user has LastLoginAt %v", fresh.LastLoginAt)
	}
	if v := rawInt(t, f.raw, `SELECT last_login_at FROM users WHERE id = $1`, fresh.ID); v.Valid {
		t.Errorf("raw last_login_at = %d; want NULL", v.Int64)
	}

	// Ensuring again is idempotent.
	f.clock.Advance(time.Minute)
	again, err := f.st.EnsureUser(ctx, store.Login{Issuer: issuerA, Subject: "new", Username: "bobby"})
	if err != nil {
		t.Fatalf("EnsureUser (again): %v", err)
	}
	if diff := cmp.Diff(fresh, again, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("EnsureUser (again) changed the user (-want +got):\n%s", diff)
	}

	// A signed-in user keeps their data.
	t1 := f.clock.Advance(time.Minute)
	signed := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "alice", Username: "alice", Email: "alice@example.com", Teams: []string{"ml"}})
	if !signed.LastLoginAt.Equal(t1) {
		t.Fatalf("LastLoginAt = %v; want %v", signed.LastLoginAt, t1)
	}
	f.clock.Advance(time.Hour)
	ensured, err := f.st.EnsureUser(ctx, store.Login{Issuer: issuerA, Subject: "alice", Username: "stale", Email: "stale@example.com", Name: "Stale"})
	if err != nil {
		t.Fatalf("EnsureUser (signed in): %v", err)
	}
	if diff := cmp.Diff(signed, ensured); diff != "" {
		t.Errorf("EnsureUser (signed in) returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(signed, readUser(t, f.st, signed.ID)); diff != "" {
		t.Errorf("EnsureUser (signed in) overwrote (-want +got):\n%s", diff)
	}

	// The first sign-in of an ensured user fills in the same row.
	t2 := f.clock.Advance(time.Minute)
	login := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "new", Username: "bob", Email: "bob@corp.example.com", Teams: []string{"web"}})
	want = store.User{ID: fresh.ID, Issuer: issuerA, Subject: "new", Username: "bob", Email: "bob@corp.example.com",
		Teams: []string{"web"}, CreatedAt: t0, LastLoginAt: t2}
	if diff := cmp.Diff(want, login); diff != "" {
		t.Errorf("first login of ensured user (-want +got):\n%s", diff)
	}
	if n := rawCount(t, f.raw, "users"); n != 2 {
		t.Errorf("%d rows in users; want 2", n)
	}
}

func TestUsersBySubject(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	a1 := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1", Email: "a1@example.com"})
	recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s2", Email: "a2@example.com"})
	a3, err := f.st.EnsureUser(ctx, store.Login{Issuer: issuerA, Subject: "s3", Username: "a3"})
	if err != nil {
		t.Fatal(err)
	}
	recordLogin(t, f.st, store.Login{Issuer: issuerB, Subject: "s1", Email: "b1@example.com"})
	recordLogin(t, f.st, store.Login{Issuer: issuerB, Subject: "s4", Email: "b4@example.com"})

	tests := []struct {
		name     string
		issuer   string
		subjects []string
		want     map[string]store.User
	}{
		{"some of issuer A", issuerA, []string{"s1", "s3", "unknown", "s4"}, map[string]store.User{"s1": a1, "s3": a3}},
		{"none asked", issuerA, nil, map[string]store.User{}},
		{"unknown issuer", "https://nobody.example.com", []string{"s1"}, map[string]store.User{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := f.st.UsersBySubject(t.Context(), tt.issuer, tt.subjects)
			if err != nil {
				t.Fatalf("UsersBySubject: %v", err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("UsersBySubject (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetTeams(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1", Teams: []string{"ml", "web"}})

	steps := []struct {
		name                     string
		set                      func(id int64) error
		wantChosen, wantOverride string
		wantTeam                 string
	}{
		{"initial", func(int64) error { return nil }, "", "", "ml"},
		{"choose web", func(id int64) error { return f.st.SetChosenTeam(ctx, id, "web") }, "web", "", "web"},
		{"override", func(id int64) error { return f.st.SetTeamOverride(ctx, id, "platform") }, "web", "platform", "platform"},
		{"clear override", func(id int64) error { return f.st.SetTeamOverride(ctx, id, "") }, "web", "", "web"},
	}
	for _, s := range steps {
		if err := s.set(u.ID); err != nil {
			t.Fatalf("%s: %v", s.name, err)
		}
		got := readUser(t, f.st, u.ID)
		if got.ChosenTeam != s.wantChosen || got.TeamOverride != s.wantOverride || got.Team("default") != s.wantTeam {
			t.Errorf("%s: chosen %q, override %q, team %q; want %q, %q, %q", s.name,
				got.ChosenTeam, got.TeamOverride, got.Team("default"), s.wantChosen, s.wantOverride, s.wantTeam)
		}
	}

	// A later sign-in keeps the user's pick and the override.
	if err := f.st.SetTeamOverride(ctx, u.ID, "platform"); err != nil {
		t.Fatal(err)
	}
	again := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1", Teams: []string{"ml", "web"}})
	if again.ChosenTeam != "web" || again.TeamOverride != "platform" {
		t.Errorf("after sign-in: chosen %q, override %q; want web, platform", again.ChosenTeam, again.TeamOverride)
	}

	const unknown = 999_999
	if err := f.st.SetChosenTeam(ctx, unknown, "web"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetChosenTeam(unknown) = %v; want ErrNotFound", err)
	}
	if err := f.st.SetTeamOverride(ctx, unknown, "web"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SetTeamOverride(unknown) = %v; want ErrNotFound", err)
	}
	if got, err := f.st.User(ctx, unknown); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("User(unknown) = %+v, %v; want ErrNotFound", got, err)
	}
}

func TestUserAccount(t *testing.T) {
	tests := []struct {
		name string
		user store.User
		want string
	}{
		{"email", store.User{Email: "alice@example.com", Username: "alice"}, "alice@example.com"},
		{"no email", store.User{Username: "alice"}, "alice"},
		{"neither", store.User{}, ""},
	}
	for _, tt := range tests {
		if got := tt.user.Account(); got != tt.want {
			t.Errorf("%s: Account() = %q; want %q", tt.name, got, tt.want)
		}
	}
}

func TestUserTeam(t *testing.T) {
	tests := []struct {
		name string
		user store.User
		want string
	}{
		{"override wins", store.User{Teams: []string{"ml", "web"}, ChosenTeam: "web", TeamOverride: "platform"}, "platform"},
		{"override without groups", store.User{TeamOverride: "platform"}, "platform"},
		{"chosen team still a group", store.User{Teams: []string{"ml", "web"}, ChosenTeam: "web"}, "web"},
		{"chosen team no longer a group", store.User{Teams: []string{"ml", "web"}, ChosenTeam: "old"}, "ml"},
		{"chosen team, groups gone", store.User{ChosenTeam: "web"}, "default"},
		{"first group", store.User{Teams: []string{"ml", "web"}}, "ml"},
		{"one group", store.User{Teams: []string{"web"}}, "web"},
		{"no groups", store.User{}, "default"},
		{"no groups, empty list", store.User{Teams: []string{}}, "default"},
	}
	for _, tt := range tests {
		if got := tt.user.Team("default"); got != tt.want {
			t.Errorf("%s: Team(default) = %q; want %q", tt.name, got, tt.want)
		}
	}
}
