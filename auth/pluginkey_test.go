package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPluginKeyFormat(t *testing.T) {
	seen := map[string]bool{}
	for range 1000 {
		k := NewPluginKey().Reveal()
		if err := CheckPluginKey(k); err != nil {
			t.Fatalf("fresh key %q rejected: %v", k, err)
		}
		if len(k) != 41 || !strings.HasPrefix(k, "lk_") {
			t.Fatalf("key %q: want lk_ + 38 characters", k)
		}
		if seen[k] {
			t.Fatalf("key %q generated twice", k)
		}
		seen[k] = true
	}
}

func TestCheckPluginKeyRejects(t *testing.T) {
	good := NewPluginKey().Reveal()
	flip := func(i int) string {
		b := []byte(good)
		if b[i] == 'a' {
			b[i] = 'b'
		} else {
			b[i] = 'a'
		}
		return string(b)
	}
	tests := map[string]string{
		"empty":           "",
		"wrong prefix":    "xx_" + good[3:],
		"too short":       good[:40],
		"too long":        good + "0",
		"typo in body":    flip(10),
		"typo in sum":     flip(len(good) - 1),
		"non-base62":      good[:10] + "-" + good[11:],
		"uuid-style key":  "9538eee7-0b68-430c-9324-12cdad8eb3fc",
		"bearer prefixed": "Bearer " + good,
	}
	for name, key := range tests {
		if err := CheckPluginKey(key); !errors.Is(err, ErrMalformedKey) {
			t.Errorf("%s: CheckPluginKey(%q) = %v, want ErrMalformedKey", name, key, err)
		}
	}
}

func TestChecksumIsSixBase62Digits(t *testing.T) {
	for _, s := range []string{"", "lk_", "lk_zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz"} {
		if c := checksum(s); len(c) != 6 || strings.Trim(c, base62Alphabet) != "" {
			t.Errorf("checksum(%q) = %q", s, c)
		}
	}
}

func TestNewTokenIsRandom(t *testing.T) {
	a, b := NewToken("lka_").Reveal(), NewToken("lka_").Reveal()
	if a == b || !strings.HasPrefix(a, "lka_") || len(a) != 4+43 {
		t.Errorf("tokens %q and %q", a, b)
	}
	if string(HashToken(a)) == string(HashToken(b)) || len(HashToken(a)) != 32 {
		t.Error("HashToken does not tell tokens apart")
	}
}
