package store_test

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

func TestPluginKeyCheck(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()
	u := recordLogin(t, f.st, store.Login{Issuer: issuerA, Subject: "s1", Email: "a@example.com", Teams: []string{"backend"}})
	key := auth.NewPluginKey()
	if _, err := f.st.CreatePluginKeyIfNone(ctx, u.ID, key); err != nil {
		t.Fatal(err)
	}
	hash := auth.HashToken(key.Reveal())

	check, err := f.st.PluginKeyCheck(ctx, hash)
	if err != nil {
		t.Fatalf("PluginKeyCheck: %v", err)
	}
	owner, err := f.st.PluginKeyOwner(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.KeyCheck{User: owner}, check); diff != "" {
		t.Errorf("check of an unused key (-want +got):\n%s", diff)
	}

	used := f.clock.Advance(time.Hour)
	if err := f.st.TouchPluginKey(ctx, hash, used); err != nil {
		t.Fatal(err)
	}
	check, err = f.st.PluginKeyCheck(ctx, hash)
	if err != nil {
		t.Fatal(err)
	}
	if !check.LastUsedAt.Equal(used) {
		t.Errorf("LastUsedAt = %v; want %v", check.LastUsedAt, used)
	}

	tests := []struct {
		name string
		hash []byte
		prep func()
	}{
		{"unknown key", auth.HashToken(auth.NewPluginKey().Reveal()), func() {}},
		{"revoked key", hash, func() {
			if err := f.st.RevokePluginKey(ctx, u.ID); err != nil {
				t.Fatal(err)
			}
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.prep()
			if _, err := f.st.PluginKeyCheck(ctx, tt.hash); !errors.Is(err, store.ErrNotFound) {
				t.Errorf("PluginKeyCheck = %v; want ErrNotFound", err)
			}
		})
	}
}
