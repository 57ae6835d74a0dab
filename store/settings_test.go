package store_test

import (
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

func TestKeycloakSettings(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	if got, err := f.st.KeycloakSettings(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("KeycloakSettings before save = %+v, %v; want ErrNotFound", got, err)
	}

	saves := []auth.Settings{
		{Enabled: true, URL: "https://sso.example.com", Realm: "corp", ClientID: "latchkey", ClientSecret: "first-secret-Qx7Lm2"},
		{Enabled: false, URL: "https://sso2.example.com/auth", Realm: "other", ClientID: "lk", ClientSecret: "second-secret-Vb9Zt4"},
	}
	for i, want := range saves {
		if err := f.st.SaveKeycloakSettings(ctx, want); err != nil {
			t.Fatalf("save %d: %v", i, err)
		}
		got, err := f.st.KeycloakSettings(ctx)
		if err != nil {
			t.Fatalf("read after save %d: %v", i, err)
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("after save %d (-want +got):\n%s", i, diff)
		}
		if n := rawCount(t, f.raw, "keycloak_settings"); n != 1 {
			t.Errorf("after save %d: %d rows in keycloak_settings; want 1", i, n)
		}
		for _, s := range saves[:i+1] {
			if cols := columnsContaining(t, f.raw, "keycloak_settings", []byte(s.ClientSecret.Reveal())); len(cols) > 0 {
				t.Errorf("client secret stored in clear in columns %v", cols)
			}
		}
	}

	// The same file under another master key: an error, never garbage.
	other := openStore(t, f.path, newSealer(t), f.clock)
	got, err := other.KeycloakSettings(ctx)
	if !errors.Is(err, store.ErrUnseal) {
		t.Errorf("KeycloakSettings with another master key error = %v; want ErrUnseal", err)
	}
	if diff := cmp.Diff(auth.Settings{}, got); diff != "" {
		t.Errorf("KeycloakSettings with another master key returned data (-want +got):\n%s", diff)
	}
}

func TestAdminTokenHash(t *testing.T) {
	f := newFixture(t)
	ctx := t.Context()

	if h, err := f.st.AdminTokenHash(ctx); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AdminTokenHash before create = %x, %v; want ErrNotFound", h, err)
	}
	first := auth.HashToken("admin-token-one")
	if err := f.st.CreateAdminTokenHash(ctx, first); err != nil {
		t.Fatalf("CreateAdminTokenHash: %v", err)
	}
	if err := f.st.CreateAdminTokenHash(ctx, auth.HashToken("admin-token-two")); !errors.Is(err, store.ErrExists) {
		t.Errorf("second CreateAdminTokenHash error = %v; want ErrExists", err)
	}
	got, err := f.st.AdminTokenHash(ctx)
	if err != nil {
		t.Fatalf("AdminTokenHash: %v", err)
	}
	if diff := cmp.Diff(first, got); diff != "" {
		t.Errorf("AdminTokenHash (-want +got):\n%s", diff)
	}
	if n := rawCount(t, f.raw, "admin_token"); n != 1 {
		t.Errorf("%d rows in admin_token; want 1", n)
	}
}
