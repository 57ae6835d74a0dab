package auth

import (
	"encoding/json"
	"log/slog"
)

// Secret holds a credential (client secret, token, plugin key). Every way of
// printing it — fmt, slog, JSON — shows a placeholder, so a secret cannot leak
// into a log line or an API response by accident; Reveal is the only way out.
type Secret string

const redacted = "[redacted]"

// Reveal returns the secret's value, for the one place that must send it.
func (s Secret) Reveal() string { return string(s) }

// IsSet reports whether the secret holds a value.
func (s Secret) IsSet() bool { return s != "" }

func (s Secret) String() string   { return redacted }
func (s Secret) GoString() string { return redacted }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redacted) }

// MarshalJSON redacts the secret in any JSON output.
func (s Secret) MarshalJSON() ([]byte, error) { return json.Marshal(redacted) }
