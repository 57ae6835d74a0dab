package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"hash/crc32"
	"strings"
)

// Plugin API keys look like "lk_" + 32 base62 characters of randomness + 6
// base62 characters of CRC32 over the first two parts. The prefix lets secret
// scanners spot a leaked key; the checksum rejects typos and garbage before
// any database lookup.
const (
	PluginKeyPrefix = "lk_"
	keyRandomLen    = 32
	keyChecksumLen  = 6
	pluginKeyLen    = len(PluginKeyPrefix) + keyRandomLen + keyChecksumLen
	base62Alphabet  = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
)

// ErrMalformedKey means a string is not a well-formed plugin key.
var ErrMalformedKey = errors.New("not a latchkey plugin key")

// NewPluginKey returns a fresh random plugin key.
func NewPluginKey() Secret {
	body := PluginKeyPrefix + randomBase62(keyRandomLen)
	return Secret(body + checksum(body))
}

// CheckPluginKey verifies a key's shape and checksum without any lookup.
func CheckPluginKey(key string) error {
	if len(key) != pluginKeyLen || !strings.HasPrefix(key, PluginKeyPrefix) {
		return ErrMalformedKey
	}
	body, sum := key[:pluginKeyLen-keyChecksumLen], key[pluginKeyLen-keyChecksumLen:]
	for _, c := range body[len(PluginKeyPrefix):] {
		if !strings.ContainsRune(base62Alphabet, c) {
			return ErrMalformedKey
		}
	}
	if checksum(body) != sum {
		return ErrMalformedKey
	}
	return nil
}

// checksum encodes CRC32 of s as exactly six base62 digits (62^6 > 2^32).
func checksum(s string) string {
	n := uint64(crc32.ChecksumIEEE([]byte(s)))
	var out [keyChecksumLen]byte
	for i := keyChecksumLen - 1; i >= 0; i-- {
		out[i] = base62Alphabet[n%62]
		n /= 62
	}
	return string(out[:])
}

// randomBase62 draws n uniformly distributed base62 characters, rejecting
// bytes ≥ 248 (4 × 62) so that no character is more likely than another.
func randomBase62(n int) string {
	out := make([]byte, 0, n)
	buf := make([]byte, n+n/4)
	for len(out) < n {
		rand.Read(buf) // never returns an error; crashes the program on failure
		for _, b := range buf {
			if b < 248 && len(out) < n {
				out = append(out, base62Alphabet[b%62])
			}
		}
	}
	return string(out)
}

// HashToken is how every bearer credential is stored and looked up: plugin
// keys, session cookies, admin and CLI tokens. They carry ≥ 128 bits of
// randomness, so a plain SHA-256 is enough; no password hashing is needed.
func HashToken(token string) []byte {
	sum := sha256.Sum256([]byte(token))
	return sum[:]
}

// NewToken returns prefix + 32 random bytes, base64url-encoded.
func NewToken(prefix string) Secret {
	b := make([]byte, 32)
	rand.Read(b)
	return Secret(prefix + base64.RawURLEncoding.EncodeToString(b))
}
