package store

import (
	"crypto/aes"
	"crypto/cipher"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// KeySize is the length of the master key: AES-256.
const KeySize = 32

// Sealer encrypts secrets at rest with AES-256-GCM. Each ciphertext is bound
// to a purpose string (the AAD), so a sealed value copied into another row or
// column fails to open.
type Sealer struct {
	aead cipher.AEAD
}

// NewSealer builds a sealer from a 32-byte master key.
func NewSealer(key []byte) (*Sealer, error) {
	if len(key) != KeySize {
		return nil, fmt.Errorf("master key: want %d bytes, got %d", KeySize, len(key))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	aead, err := cipher.NewGCM(block)
	if err != nil {
		return nil, fmt.Errorf("master key: %w", err)
	}
	return &Sealer{aead: aead}, nil
}

// Seal encrypts plaintext for purpose; the result is nonce || ciphertext.
func (s *Sealer) Seal(plaintext []byte, purpose string) []byte {
	nonce := make([]byte, s.aead.NonceSize(), s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	rand.Read(nonce)
	return s.aead.Seal(nonce, nonce, plaintext, []byte(purpose))
}

// ErrUnseal means a sealed value was tampered with, belongs to another
// purpose, or was sealed under another master key.
var ErrUnseal = errors.New("cannot decrypt stored secret: wrong master key or corrupted data")

// Open decrypts a value sealed for purpose.
func (s *Sealer) Open(sealed []byte, purpose string) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < n+s.aead.Overhead() {
		return nil, ErrUnseal
	}
	plain, err := s.aead.Open(nil, sealed[:n], sealed[n:], []byte(purpose))
	if err != nil {
		return nil, ErrUnseal
	}
	return plain, nil
}

// MasterKey returns the key from LATCHKEY_SECRET_KEY's value (base64 of 32
// bytes) when it is set, or else from the key file in dataDir, creating the
// file with mode 0600 on first start.
func MasterKey(envValue, dataDir string) ([]byte, error) {
	if envValue != "" {
		key, err := decodeKey(envValue)
		if err != nil {
			return nil, fmt.Errorf("LATCHKEY_SECRET_KEY: %w", err)
		}
		return key, nil
	}
	path := filepath.Join(dataDir, "secret.key")
	key, err := readKeyFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return createKeyFile(path)
	}
	return key, err
}

func decodeKey(s string) ([]byte, error) {
	s = strings.TrimSpace(s)
	for _, enc := range []*base64.Encoding{base64.StdEncoding, base64.RawStdEncoding, base64.URLEncoding, base64.RawURLEncoding} {
		if key, err := enc.DecodeString(s); err == nil && len(key) == KeySize {
			return key, nil
		}
	}
	return nil, fmt.Errorf("want base64 of %d random bytes (e.g. openssl rand -base64 32)", KeySize)
}

func readKeyFile(path string) ([]byte, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if info.Mode().Perm()&0o077 != 0 {
		return nil, fmt.Errorf("key file %s: mode %v lets others read it; run chmod 600 %s", path, info.Mode().Perm(), path)
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read key file: %w", err)
	}
	key, err := decodeKey(string(data))
	if err != nil {
		return nil, fmt.Errorf("key file %s: %w", path, err)
	}
	return key, nil
}

// createKeyFile writes a new key to a temporary file and links it into
// place, so a concurrent start never reads a half-written key: whoever links
// first wins, and the others read the winner's key.
func createKeyFile(path string) ([]byte, error) {
	key := make([]byte, KeySize)
	rand.Read(key)
	tmp, err := os.CreateTemp(filepath.Dir(path), ".secret.key-*")
	if err != nil {
		return nil, fmt.Errorf("create key file: %w", err)
	}
	defer os.Remove(tmp.Name())
	_, err = tmp.WriteString(base64.StdEncoding.EncodeToString(key) + "\n")
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return nil, fmt.Errorf("write key file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); errors.Is(err, fs.ErrExist) {
		return readKeyFile(path)
	} else if err != nil {
		return nil, fmt.Errorf("install key file: %w", err)
	}
	return key, nil
}
