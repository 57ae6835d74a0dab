package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

func TestDoctor(t *testing.T) {
	s := newStack(t)
	kc := keycloaktest.FromEnv(t)
	secretFile := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secretFile, []byte(s.realm.ClientSecret+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	wrongSecret := filepath.Join(t.TempDir(), "wrong")
	if err := os.WriteFile(wrongSecret, []byte("not-the-secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	standAlone := []string{"doctor", "--keycloak-url", kc.URL, "--realm", s.realm.Name, "--client-id", s.realm.ClientID}
	tests := []struct {
		name   string
		env    []string
		args   []string
		code   int
		output []string
	}{
		{"at the server", []string{"LATCHKEY_ADMIN_TOKEN=e2e-admin-token-0123456789"}, []string{"doctor"},
			0, []string{"✓ Client secret is correct", "✓ Service account can view users", "checks: 19 passed."}},
		{"stand-alone", nil, append(standAlone, "--client-secret-file", secretFile),
			0, []string{"✓ Realm exists", "checks: 19 passed."}},
		{"stand-alone, secret from the environment", []string{"LATCHKEY_KEYCLOAK_CLIENT_SECRET=" + s.realm.ClientSecret}, standAlone,
			0, []string{"checks: 19 passed."}},
		{"stand-alone, wrong secret", nil, append(standAlone, "--client-secret-file", wrongSecret),
			exitDoctorFailed, []string{"✗ Client secret is correct", "    Fix: ", "Credentials", "– Service account can view users (not run"}},
		{"server unreachable", []string{"LATCHKEY_ADMIN_TOKEN=e2e-admin-token-0123456789"}, []string{"doctor", "--server", "http://" + freeAddr(t)},
			exitServerUnreachable, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := s.env
			s.env = append(append([]string(nil), env...), tt.env...)
			defer func() { s.env = env }()
			out, code := s.run(t, "", tt.args...)
			if code != tt.code {
				t.Errorf("exit %d, want %d; output:\n%s", code, tt.code, out)
			}
			for _, want := range tt.output {
				if !strings.Contains(out, want) {
					t.Errorf("output lacks %q:\n%s", want, out)
				}
			}
			if strings.Contains(out, s.realm.ClientSecret) {
				t.Error("doctor printed the client secret")
			}
		})
	}

	s.env = append(s.env, "LATCHKEY_ADMIN_TOKEN=e2e-admin-token-0123456789")
	out, code := s.run(t, "", "doctor", "--json")
	var report struct {
		Status   auth.Status    `json:"status"`
		Findings []auth.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(out), &report); err != nil || code != 0 || report.Status != auth.StatusOK || len(report.Findings) != len(auth.Checks) {
		t.Errorf("doctor --json: exit %d, %v, %+v", code, err, report)
	}
}
