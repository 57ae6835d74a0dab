package store_test

import (
	"bytes"
	"encoding/base64"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/latchkeyhq/latchkey/store"
)

func TestSealerRoundTrip(t *testing.T) {
	tests := []struct {
		name      string
		plaintext []byte
	}{
		{"empty", []byte{}},
		{"client secret", []byte("s3cr3t-client-secret")},
		{"binary", []byte{0, 1, 2, 0xff, 0xfe}},
		{"long", bytes.Repeat([]byte("id-token."), 1000)},
	}
	s := newSealer(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sealed := s.Seal(tt.plaintext, "purpose")
			if len(tt.plaintext) > 0 && bytes.Contains(sealed, tt.plaintext) {
				t.Errorf("sealed value contains the plaintext")
			}
			got, err := s.Open(sealed, "purpose")
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			if diff := cmp.Diff(tt.plaintext, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("Open (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSealUsesFreshNonce(t *testing.T) {
	s := newSealer(t)
	a, b := s.Seal([]byte("same"), "p"), s.Seal([]byte("same"), "p")
	if bytes.Equal(a, b) {
		t.Errorf("two seals of the same plaintext are identical: %x", a)
	}
}

func TestSealerOpenFails(t *testing.T) {
	s := newSealer(t)
	other := newSealer(t)
	sealed := s.Seal([]byte("the secret"), "keycloak.client_secret")
	flip := func(i int) []byte {
		b := bytes.Clone(sealed)
		b[i] ^= 0x01
		return b
	}
	tests := []struct {
		name    string
		sealer  *store.Sealer
		sealed  []byte
		purpose string
	}{
		{"different purpose", s, sealed, "session.id_token"},
		{"flipped nonce byte", s, flip(0), "keycloak.client_secret"},
		{"flipped ciphertext byte", s, flip(len(sealed) / 2), "keycloak.client_secret"},
		{"flipped tag byte", s, flip(len(sealed) - 1), "keycloak.client_secret"},
		{"truncated", s, sealed[:len(sealed)-1], "keycloak.client_secret"},
		{"too short", s, sealed[:10], "keycloak.client_secret"},
		{"empty", s, nil, "keycloak.client_secret"},
		{"different key", other, sealed, "keycloak.client_secret"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.sealer.Open(tt.sealed, tt.purpose)
			if !errors.Is(err, store.ErrUnseal) {
				t.Errorf("Open = %q, %v; want ErrUnseal", got, err)
			}
		})
	}
}

func TestNewSealerKeySize(t *testing.T) {
	tests := []struct {
		size    int
		wantErr bool
	}{
		{0, true},
		{16, true}, // valid AES-128, still not our master key
		{24, true},
		{31, true},
		{32, false},
		{33, true},
		{64, true},
	}
	for _, tt := range tests {
		s, err := store.NewSealer(make([]byte, tt.size))
		if (err != nil) != tt.wantErr {
			t.Errorf("NewSealer(%d bytes) error = %v; want error: %v", tt.size, err, tt.wantErr)
		}
		if (s == nil) != tt.wantErr {
			t.Errorf("NewSealer(%d bytes) sealer = %v; want nil: %v", tt.size, s, tt.wantErr)
		}
	}
}

func TestMasterKeyFromEnv(t *testing.T) {
	// 0xfb 0xff encode to '+' and '/' in std base64 and '-' and '_' in URL
	// base64, so the encodings really differ.
	key := bytes.Repeat([]byte{0xfb, 0xff}, store.KeySize/2)
	tests := []struct {
		name    string
		env     string
		want    []byte
		wantErr bool
	}{
		{"std", base64.StdEncoding.EncodeToString(key), key, false},
		{"raw std", base64.RawStdEncoding.EncodeToString(key), key, false},
		{"url", base64.URLEncoding.EncodeToString(key), key, false},
		{"raw url", base64.RawURLEncoding.EncodeToString(key), key, false},
		{"trailing newline", base64.StdEncoding.EncodeToString(key) + "\n", key, false},
		{"garbage", "not a key at all!", nil, true},
		{"16 bytes", base64.StdEncoding.EncodeToString(key[:16]), nil, true},
		{"33 bytes", base64.StdEncoding.EncodeToString(append(bytes.Clone(key), 1)), nil, true},
		{"hex", strings.Repeat("ab", 32), nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			got, err := store.MasterKey(tt.env, dir)
			if (err != nil) != tt.wantErr {
				t.Fatalf("MasterKey error = %v; want error: %v", err, tt.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), "LATCHKEY_SECRET_KEY") {
				t.Errorf("error %q does not name LATCHKEY_SECRET_KEY", err)
			}
			if err != nil && strings.Contains(err.Error(), strings.TrimSpace(tt.env)) {
				t.Errorf("error %q echoes the key value", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MasterKey (-want +got):\n%s", diff)
			}
			if _, err := os.Stat(filepath.Join(dir, "secret.key")); err == nil {
				t.Errorf("MasterKey wrote a key file although the env value was given")
			}
		})
	}
}

func TestMasterKeyFile(t *testing.T) {
	dir := t.TempDir()
	first, err := store.MasterKey("", dir)
	if err != nil {
		t.Fatalf("first MasterKey: %v", err)
	}
	if len(first) != store.KeySize {
		t.Fatalf("key length = %d; want %d", len(first), store.KeySize)
	}
	path := filepath.Join(dir, "secret.key")
	info, err := os.Stat(path)
	if err != nil {
		t.Fatalf("key file: %v", err)
	}
	if perm := info.Mode().Perm(); perm != 0o600 {
		t.Errorf("key file mode = %v; want 0600", perm)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	stored, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(data)))
	if err != nil {
		t.Fatalf("key file is not base64: %v", err)
	}
	if diff := cmp.Diff(first, stored); diff != "" {
		t.Errorf("key file content (-returned +stored):\n%s", diff)
	}

	second, err := store.MasterKey("", dir)
	if err != nil {
		t.Fatalf("second MasterKey: %v", err)
	}
	if diff := cmp.Diff(first, second); diff != "" {
		t.Errorf("second MasterKey (-first +second):\n%s", diff)
	}

	elsewhere, err := store.MasterKey("", t.TempDir())
	if err != nil {
		t.Fatalf("MasterKey in another dir: %v", err)
	}
	if bytes.Equal(first, elsewhere) {
		t.Errorf("two data dirs got the same random key")
	}
}

func TestMasterKeyFileRefused(t *testing.T) {
	good := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{7}, store.KeySize)) + "\n"
	tests := []struct {
		name     string
		content  string
		mode     os.FileMode
		wantText string
	}{
		{"world readable", good, 0o644, "chmod 600"},
		{"group readable", good, 0o640, "chmod 600"},
		{"others writable", good, 0o602, "chmod 600"},
		{"garbage", "garbage\n", 0o600, "base64"},
		{"empty", "", 0o600, "base64"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "secret.key")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, tt.mode); err != nil {
				t.Fatal(err)
			}
			got, err := store.MasterKey("", dir)
			if err == nil || !strings.Contains(err.Error(), tt.wantText) {
				t.Errorf("MasterKey = %x, %v; want an error saying %q", got, err, tt.wantText)
			}
			if got != nil {
				t.Errorf("MasterKey returned a key with its error: %x", got)
			}
			data, err := os.ReadFile(path)
			if err != nil || string(data) != tt.content {
				t.Errorf("key file changed to %q, %v; want it left alone", data, err)
			}
		})
	}
}
