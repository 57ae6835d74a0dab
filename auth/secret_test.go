package auth

import (
	"bytes"
	"encoding/json"
	"fmt"
	"log/slog"
	"strings"
	"testing"
)

func TestSecretNeverPrints(t *testing.T) {
	const value = "s3cr3t-value"
	s := Secret(value)
	var logged bytes.Buffer
	slog.New(slog.NewJSONHandler(&logged, nil)).Info("saving", "secret", s)
	asJSON, err := json.Marshal(struct{ S Secret }{s})
	if err != nil {
		t.Fatal(err)
	}
	outputs := map[string]string{
		"%s":   fmt.Sprintf("%s", s), //lint:ignore S1025 the format verb is what is tested
		"%v":   fmt.Sprintf("%v", s),
		"%#v":  fmt.Sprintf("%#v", s),
		"%+v":  fmt.Sprintf("%+v", struct{ S Secret }{s}),
		"slog": logged.String(),
		"json": string(asJSON),
	}
	for name, out := range outputs {
		if strings.Contains(out, value) {
			t.Errorf("%s output reveals the secret: %q", name, out)
		}
	}
	if s.Reveal() != value {
		t.Errorf("Reveal() = %q, want %q", s.Reveal(), value)
	}
}
