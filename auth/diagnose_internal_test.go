package auth

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestAlternateBases(t *testing.T) {
	tests := []struct {
		base string
		want []string
	}{
		{"https://sso.example.com", []string{"https://sso.example.com/auth"}},
		{"https://sso.example.com/auth", []string{"https://sso.example.com"}},
		{"https://sso.example.com/keycloak", []string{"https://sso.example.com/keycloak/auth", "https://sso.example.com", "https://sso.example.com/auth"}},
		{"https://sso.example.com/realms/acme", []string{"https://sso.example.com/realms/acme/auth", "https://sso.example.com", "https://sso.example.com/auth"}},
		{"https://sso.example.com/auth/admin/master/console", []string{"https://sso.example.com/auth/admin/master/console/auth", "https://sso.example.com/auth", "https://sso.example.com"}},
	}
	for _, tt := range tests {
		if diff := cmp.Diff(tt.want, alternateBases(tt.base)); diff != "" {
			t.Errorf("alternateBases(%q) (-want +got):\n%s", tt.base, diff)
		}
	}
}

// The sockets tests cover refused connections, DNS failures, timeouts and
// certificates; these are the errors they cannot produce on loopback.
func TestTransportFailure(t *testing.T) {
	dial := func(err error) error { return &net.OpError{Op: "dial", Net: "tcp", Err: err} }
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{fmt.Errorf("get: %w", &net.DNSError{Err: "no such host", Name: "sso.example.com", IsNotFound: true}), IDDNS},
		{fmt.Errorf("get: %w", &net.DNSError{Err: "i/o timeout", Name: "sso.example.com", IsTimeout: true}), IDDNS},
		{dial(os.NewSyscallError("connect", syscall.ECONNREFUSED)), IDConnect},
		{dial(os.NewSyscallError("connect", syscall.EHOSTUNREACH)), IDConnect},
		{dial(os.NewSyscallError("connect", syscall.ENETUNREACH)), IDConnect},
		{fmt.Errorf("get: %w", context.DeadlineExceeded), IDTimeout},
		{dial(os.ErrDeadlineExceeded), IDTimeout},
		{fmt.Errorf("get: %w", x509.UnknownAuthorityError{}), IDTLS},
		{fmt.Errorf("get: %w", x509.CertificateInvalidError{Reason: x509.Expired}), IDTLS},
		{errors.New("unexpected EOF"), IDConnect},
	}
	for _, tt := range tests {
		if got := transportFailure(tt.err); got != tt.want {
			t.Errorf("transportFailure(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestFormatOffset(t *testing.T) {
	tests := []struct {
		d    time.Duration
		want string
	}{
		{300 * time.Millisecond, "less than a second"},
		{-2*time.Minute - 400*time.Millisecond, "2m0s (this server is ahead)"},
		{45 * time.Second, "45s (Keycloak is ahead)"},
	}
	for _, tt := range tests {
		if got := formatOffset(tt.d); got != tt.want {
			t.Errorf("formatOffset(%s) = %q, want %q", tt.d, got, tt.want)
		}
	}
}
