package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

func activeKey(t *testing.T, st *store.Store, userID int64) auth.Secret {
	t.Helper()
	k, err := st.ActivePluginKey(t.Context(), userID)
	if err != nil {
		t.Fatalf("ActivePluginKey(%d): %v", userID, err)
	}
	return k
}

func TestCreatePluginKeyIfNone(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})

	if k, err := f.st.ActivePluginKey(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ActivePluginKey before create = %v; want ErrNotFound", err)
	} else if k.IsSet() {
		t.Errorf("ActivePluginKey before create returned a key")
	}

	first := auth.NewPluginKey()
	created, err := f.st.CreatePluginKeyIfNone(ctx, u.ID, first)
	if err != nil || !created {
		t.Fatalf("first CreatePluginKeyIfNone = %v, %v; want true, nil", created, err)
	}
	f.clock.Advance(time.Minute)
	second := auth.NewPluginKey()
	created, err = f.st.CreatePluginKeyIfNone(ctx, u.ID, second)
	if err != nil || created {
		t.Fatalf("second CreatePluginKeyIfNone = %v, %v; want false, nil", created, err)
	}
	if got := activeKey(t, f.st, u.ID); got.Reveal() != first.Reveal() {
		t.Errorf("active key is not the first key")
	}
	if n := rawCount(t, f.raw, "plugin_keys"); n != 1 {
		t.Errorf("%d rows in plugin_keys; want 1", n)
	}
	if _, err := f.st.PluginKeyOwner(ctx, auth.HashToken(second.Reveal())); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("owner of the refused second key: %v; want ErrNotFound", err)
	}

	// After a revocation the user may get a key again.
	if err := f.st.RevokePluginKey(ctx, u.ID); err != nil {
		t.Fatalf("RevokePluginKey: %v", err)
	}
	third := auth.NewPluginKey()
	created, err = f.st.CreatePluginKeyIfNone(ctx, u.ID, third)
	if err != nil || !created {
		t.Fatalf("CreatePluginKeyIfNone after revoke = %v, %v; want true, nil", created, err)
	}
	if got := activeKey(t, f.st, u.ID); got.Reveal() != third.Reveal() {
		t.Errorf("active key after revoke and create is not the new key")
	}
}

func TestPluginKeyNotStoredInClear(t *testing.T) {
	f := newFixture(t)
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})
	key := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(t.Context(), u.ID, key); err != nil {
		t.Fatal(err)
	}
	if cols := columnsContaining(t, f.raw, "plugin_keys", []byte(key.Reveal())); len(cols) > 0 {
		t.Errorf("plugin key stored in clear in columns %v", cols)
	}
	// Not even the random part without its prefix and checksum.
	random := key.Reveal()[len(auth.PluginKeyPrefix) : len(key.Reveal())-6]
	if cols := columnsContaining(t, f.raw, "plugin_keys", []byte(random)); len(cols) > 0 {
		t.Errorf("random part of the plugin key stored in clear in columns %v", cols)
	}
	var hash []byte
	if err := f.raw.QueryRowContext(t.Context(), `SELECT hash FROM plugin_keys WHERE user_id = $1`, u.ID).Scan(&hash); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(auth.HashToken(key.Reveal()), hash); diff != "" {
		t.Errorf("stored hash is not SHA-256 of the key (-want +got):\n%s", diff)
	}
}

// A sealed key is bound to its owner: copied into another user's row it does
// not open.
func TestPluginKeySealedPerUser(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	alice := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "alice"})
	bob := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "bob"})
	for _, id := range []int64{alice.ID, bob.ID} {
		if _, err := f.st.CreatePluginKeyIfNone(ctx, id, auth.NewPluginKey()); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := f.raw.ExecContext(ctx,
		`UPDATE plugin_keys SET sealed = (SELECT sealed FROM plugin_keys WHERE user_id = $1) WHERE user_id = $2`, alice.ID, bob.ID); err != nil {
		t.Fatal(err)
	}
	if k, err := f.st.ActivePluginKey(ctx, bob.ID); !errors.Is(err, store.ErrUnseal) {
		t.Errorf("ActivePluginKey with another user's sealed key = set %v, %v; want ErrUnseal", k.IsSet(), err)
	}
}

func TestPluginKeyOwner(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	alice := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "alice", Email: "alice@example.com", Teams: []string{"ml"}})
	recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "bob"})
	if !alice.KeyCreatedAt.IsZero() {
		t.Errorf("KeyCreatedAt before any key = %v; want zero", alice.KeyCreatedAt)
	}

	keyAt := f.clock.Advance(time.Hour)
	key := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(ctx, alice.ID, key); err != nil {
		t.Fatal(err)
	}
	f.clock.Advance(time.Hour)

	got, err := f.st.PluginKeyOwner(ctx, auth.HashToken(key.Reveal()))
	if err != nil {
		t.Fatalf("PluginKeyOwner: %v", err)
	}
	want := alice
	want.KeyCreatedAt = keyAt
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("PluginKeyOwner (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, readUser(t, f.st, alice.ID)); diff != "" {
		t.Errorf("User after key creation (-want +got):\n%s", diff)
	}

	for name, hash := range map[string][]byte{
		"unknown key": auth.HashToken(auth.NewPluginKey().Reveal()),
		"empty hash":  nil,
	} {
		if u, err := f.st.PluginKeyOwner(ctx, hash); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: PluginKeyOwner = user %d, %v; want ErrNotFound", name, u.ID, err)
		}
	}
}

func TestRotatePluginKey(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})

	old := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(ctx, u.ID, old); err != nil {
		t.Fatal(err)
	}
	rotatedAt := f.clock.Advance(time.Hour)
	fresh := auth.NewPluginKey()
	if err := f.st.RotatePluginKey(ctx, u.ID, fresh); err != nil {
		t.Fatalf("RotatePluginKey: %v", err)
	}

	if _, err := f.st.PluginKeyOwner(ctx, auth.HashToken(old.Reveal())); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("owner of the rotated-out key: %v; want ErrNotFound", err)
	}
	owner, err := f.st.PluginKeyOwner(ctx, auth.HashToken(fresh.Reveal()))
	if err != nil || owner.ID != u.ID {
		t.Fatalf("owner of the new key = user %d, %v; want user %d", owner.ID, err, u.ID)
	}
	if !owner.KeyCreatedAt.Equal(rotatedAt) {
		t.Errorf("KeyCreatedAt = %v; want %v", owner.KeyCreatedAt, rotatedAt)
	}
	if got := activeKey(t, f.st, u.ID); got.Reveal() != fresh.Reveal() {
		t.Errorf("active key after rotation is not the new key")
	}
	revoked := rawInt(t, f.raw, `SELECT revoked_at FROM plugin_keys WHERE hash = $1`, auth.HashToken(old.Reveal()))
	if !revoked.Valid || revoked.Int64 != rotatedAt.Unix() {
		t.Errorf("old key revoked_at = %+v; want %d", revoked, rotatedAt.Unix())
	}
	if n := rawInt(t, f.raw, `SELECT count(*) FROM plugin_keys WHERE user_id = $1 AND revoked_at IS NULL`, u.ID).Int64; n != 1 {
		t.Errorf("%d active keys; want 1", n)
	}

	// Rotating for a user without any key just creates one.
	other := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s2"})
	first := auth.NewPluginKey()
	if err := f.st.RotatePluginKey(ctx, other.ID, first); err != nil {
		t.Fatalf("RotatePluginKey without a key: %v", err)
	}
	if got := activeKey(t, f.st, other.ID); got.Reveal() != first.Reveal() {
		t.Errorf("active key after first rotation is not the new key")
	}
	// The first user's key is untouched.
	if got := activeKey(t, f.st, u.ID); got.Reveal() != fresh.Reveal() {
		t.Errorf("rotating one user's key changed another's")
	}
}

func TestRevokePluginKey(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})
	key := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(ctx, u.ID, key); err != nil {
		t.Fatal(err)
	}
	revokedAt := f.clock.Advance(time.Hour)
	if err := f.st.RevokePluginKey(ctx, u.ID); err != nil {
		t.Fatalf("RevokePluginKey: %v", err)
	}
	if k, err := f.st.ActivePluginKey(ctx, u.ID); !errors.Is(err, store.ErrNotFound) || k.IsSet() {
		t.Errorf("ActivePluginKey after revoke: set %v, %v; want ErrNotFound", k.IsSet(), err)
	}
	if _, err := f.st.PluginKeyOwner(ctx, auth.HashToken(key.Reveal())); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("PluginKeyOwner after revoke: %v; want ErrNotFound", err)
	}
	if err := f.st.RevokePluginKey(ctx, u.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("second RevokePluginKey: %v; want ErrNotFound", err)
	}
	if got := readUser(t, f.st, u.ID); !got.KeyCreatedAt.IsZero() {
		t.Errorf("KeyCreatedAt after revoke = %v; want zero", got.KeyCreatedAt)
	}
	if v := rawInt(t, f.raw, `SELECT revoked_at FROM plugin_keys WHERE user_id = $1`, u.ID); !v.Valid || v.Int64 != revokedAt.Unix() {
		t.Errorf("revoked_at = %+v; want %d", v, revokedAt.Unix())
	}
	if err := f.st.RevokePluginKey(ctx, 999_999); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("RevokePluginKey(unknown user): %v; want ErrNotFound", err)
	}
}

func TestTouchPluginKey(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1"})
	key := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(ctx, u.ID, key); err != nil {
		t.Fatal(err)
	}
	hash := auth.HashToken(key.Reveal())
	const query = `SELECT last_used_at FROM plugin_keys WHERE hash = $1`
	if v := rawInt(t, f.raw, query, hash); v.Valid {
		t.Errorf("last_used_at before any use = %d; want NULL", v.Int64)
	}
	for _, at := range []time.Time{t0.Add(time.Minute), t0.Add(time.Hour)} {
		if err := f.st.TouchPluginKey(ctx, hash, at); err != nil {
			t.Fatalf("TouchPluginKey: %v", err)
		}
		if v := rawInt(t, f.raw, query, hash); !v.Valid || v.Int64 != at.Unix() {
			t.Errorf("last_used_at = %+v; want %d", v, at.Unix())
		}
	}
}
