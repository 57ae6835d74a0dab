package auth_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
)

// offline is a transport that fails every request at once: Diagnose stops
// at the network checks, and the checks that need no network still run.
type offline struct{}

func (offline) RoundTrip(*http.Request) (*http.Response, error) {
	return nil, errors.New("offline for this test")
}

// The public URL rule: a loopback public URL warns only when Keycloak is
// not on this machine too.
func TestDiagnosePublicURL(t *testing.T) {
	tests := []struct {
		keycloak, public string
		want             auth.Status
	}{
		{"https://sso.example.com", "http://127.0.0.1:8008", auth.StatusWarn},
		{"https://sso.example.com", "http://localhost:8008", auth.StatusWarn},
		{"https://sso.example.com", "http://[::1]:8008", auth.StatusWarn},
		{"https://sso.example.com/auth", "http://latchkey.localhost", auth.StatusWarn},
		{"https://10.0.0.5:8443", "http://127.0.0.2:8008", auth.StatusWarn},
		{"https://sso.example.com", "https://ai.example.com", auth.StatusOK},
		{"https://sso.example.com", "http://10.0.0.7:8008", auth.StatusOK},
		{"http://127.0.0.1:8080", "http://127.0.0.1:8008", auth.StatusOK},
		{"http://localhost:8080", "http://127.0.0.1:8008", auth.StatusOK},
		{"http://[::1]:8080", "http://localhost:8008", auth.StatusOK},
		{"http://127.0.0.1:8080", "https://ai.example.com", auth.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.keycloak+" "+tt.public, func(t *testing.T) {
			s := auth.Settings{URL: tt.keycloak, Realm: "acme", ClientID: "latchkey", ClientSecret: "s3cret-value"}
			report, conn := auth.Diagnose(t.Context(), &http.Client{Transport: offline{}}, auth.Target{Settings: s, PublicURL: mustURL(t, tt.public)})
			if conn != nil {
				t.Error("a connection although the network checks failed")
			}
			f, _ := report.Finding(auth.IDPublicURL)
			if f.Status != tt.want {
				t.Errorf("public-url is %s, want %s: %+v", f.Status, tt.want, f)
			}
			if tt.want == auth.StatusWarn && !strings.Contains(f.Problem, tt.public) {
				t.Errorf("the problem does not name the public URL: %q", f.Problem)
			}
		})
	}
}

// Without a public URL, or with incomplete settings, only the settings check
// runs and fails.
func TestDiagnoseIncompleteSettings(t *testing.T) {
	good := auth.Settings{URL: "https://sso.example.com", Realm: "acme", ClientID: "latchkey", ClientSecret: "s3cret-value"}
	public := mustURL(t, "https://ai.example.com")
	tests := []struct {
		name   string
		target auth.Target
		answer string
	}{
		{"no public URL", auth.Target{Settings: good}, "latchkey's public URL is not set"},
		{"no realm", auth.Target{Settings: auth.Settings{URL: good.URL, ClientID: "x", ClientSecret: "y"}, PublicURL: public}, "realm: enter the realm name"},
		{"no secret", auth.Target{Settings: auth.Settings{URL: good.URL, Realm: "acme", ClientID: "x"}, PublicURL: public}, "client_secret: enter the client secret"},
		{"bad URL", auth.Target{Settings: auth.Settings{URL: "sso.example.com", Realm: "acme", ClientID: "x", ClientSecret: "y"}, PublicURL: public}, "url: the URL must start with https://"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			report, conn := auth.Diagnose(t.Context(), &http.Client{Transport: offline{}}, tt.target)
			want := map[string]auth.Status{}
			for _, c := range auth.Checks {
				want[c.ID] = auth.StatusSkipped
			}
			want[auth.IDSettings] = auth.StatusFail
			if diff := cmp.Diff(want, statuses(report)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s", diff)
			}
			f, _ := report.Finding(auth.IDSettings)
			if conn != nil || !strings.HasPrefix(f.Answer, tt.answer) || f.Fix == "" {
				t.Errorf("got %+v, want the answer to start with %q", f, tt.answer)
			}
		})
	}
}

// Each way a certificate can be untrusted fails the TLS check, with
// Go's reason in the answer; a trusted one passes it.
func TestDiagnoseTLS(t *testing.T) {
	ca := newCA(t)
	tests := []struct {
		name   string
		cert   tls.Certificate
		trust  bool
		want   auth.Status
		answer string
	}{
		{"unknown authority", ca.issue(t, "127.0.0.1", time.Now().Add(time.Hour)), false, auth.StatusFail, "x509: certificate signed by unknown authority"},
		{"other host name", ca.issue(t, "127.0.0.2", time.Now().Add(time.Hour)), true, auth.StatusFail, "x509: certificate is valid for 127.0.0.2, not 127.0.0.1"},
		{"expired", ca.issue(t, "127.0.0.1", time.Now().Add(-time.Hour)), true, auth.StatusFail, "x509: certificate has expired"},
		{"trusted", ca.issue(t, "127.0.0.1", time.Now().Add(time.Hour)), true, auth.StatusOK, "trusted: certificate for 127.0.0.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewUnstartedServer(http.NotFoundHandler())
			srv.TLS = &tls.Config{Certificates: []tls.Certificate{tt.cert}}
			srv.Config.ErrorLog = discardLog()
			srv.StartTLS()
			t.Cleanup(srv.Close)
			hc := plainClient(10 * time.Second)
			if tt.trust {
				hc.Transport.(*http.Transport).TLSClientConfig = &tls.Config{RootCAs: ca.pool}
			}
			s := auth.Settings{URL: srv.URL, Realm: "acme", ClientID: "latchkey", ClientSecret: "s3cret-value"}
			report, _ := auth.Diagnose(t.Context(), hc, auth.Target{Settings: s, PublicURL: mustURL(t, "http://127.0.0.1:8008")})
			f, _ := report.Finding(auth.IDTLS)
			if f.Status != tt.want || !strings.Contains(f.Answer, tt.answer) {
				t.Errorf("tls: %s %q, want %s with %q", f.Status, f.Answer, tt.want, tt.answer)
			}
			if tt.want == auth.StatusFail && !strings.Contains(f.Fix, "LATCHKEY_CA_FILE") {
				t.Errorf("the fix does not say how to add a CA: %q", f.Fix)
			}
			if tt.want == auth.StatusOK {
				// A server that answers 404 to everything is no Keycloak.
				if k, _ := report.Finding(auth.IDKeycloak); k.Status != auth.StatusFail {
					t.Errorf("keycloak check: %+v", k)
				}
			}
		})
	}
}

// placeholder matches a <placeholder> in a check's problem or fix.
var placeholder = regexp.MustCompile(`<[^<>]+>`)

// TestChecksTable keeps the table that the README is checked against
// consistent.
func TestChecksTable(t *testing.T) {
	known := map[string]bool{"<Server Url>": true, "<host>": true, "<host:port>": true, "<realm>": true, "<client id>": true,
		"<suggested URL>": true, "<announced URL>": true, "<callback>": true, "<redirect pattern>": true, "<web origin>": true,
		"<public URL>": true, "<offset>": true}
	seen := map[string]bool{}
	for i, c := range auth.Checks {
		if seen[c.ID] || c.ID == "" || c.Title == "" || c.Problem == "" || c.Fix == "" {
			t.Errorf("check %d %q: duplicate or incomplete: %+v", i, c.ID, c)
		}
		if (i == 0) != (c.Needs == "") || (c.Needs != "" && !seen[c.Needs]) {
			t.Errorf("%s needs %q, which is not an earlier check", c.ID, c.Needs)
		}
		if c.Severity != auth.StatusFail && c.Severity != auth.StatusWarn {
			t.Errorf("%s: severity %q", c.ID, c.Severity)
		}
		for _, ph := range placeholder.FindAllString(c.Problem+" "+c.Fix, -1) {
			if !known[ph] {
				t.Errorf("%s: unknown placeholder %s", c.ID, ph)
			}
		}
		if got, ok := auth.CheckByID(c.ID); !ok || got.ID != c.ID {
			t.Errorf("CheckByID(%q) = %+v, %v", c.ID, got, ok)
		}
		seen[c.ID] = true
	}
	warns := []string{}
	for _, c := range auth.Checks {
		if c.Severity == auth.StatusWarn {
			warns = append(warns, c.ID)
		}
	}
	if diff := cmp.Diff([]string{auth.IDDirectGrants, auth.IDClock, auth.IDPublicURL}, warns); diff != "" {
		t.Errorf("warning checks (-want +got):\n%s", diff)
	}
}

func TestReportStatus(t *testing.T) {
	tests := []struct {
		statuses []auth.Status
		want     auth.Status
		ok       bool
	}{
		{[]auth.Status{auth.StatusOK, auth.StatusOK}, auth.StatusOK, true},
		{[]auth.Status{auth.StatusOK, auth.StatusWarn}, auth.StatusWarn, true},
		{[]auth.Status{auth.StatusWarn, auth.StatusFail, auth.StatusSkipped}, auth.StatusFail, false},
		{nil, auth.StatusOK, true},
	}
	for _, tt := range tests {
		var r auth.Report
		for i, st := range tt.statuses {
			r.Findings = append(r.Findings, auth.Finding{ID: string(rune('a' + i)), Status: st})
		}
		if got := r.Status(); got != tt.want || r.OK() != tt.ok {
			t.Errorf("%v: Status %s OK %v, want %s %v", tt.statuses, got, r.OK(), tt.want, tt.ok)
		}
	}
}

// testCA issues server certificates for the TLS cases.
type testCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
	pool *x509.CertPool
}

func newCA(t *testing.T) testCA {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "latchkey test CA"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(48 * time.Hour),
		IsCA: true, BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(cert)
	return testCA{cert: cert, key: key, pool: pool}
}

// issue makes a certificate for host (an IP address or a DNS name) that
// expires at notAfter.
func (ca testCA) issue(t *testing.T, host string, notAfter time.Time) tls.Certificate {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()), Subject: pkix.Name{CommonName: host},
		NotBefore: notAfter.Add(-24 * time.Hour), NotAfter: notAfter,
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca.cert, &key.PublicKey, ca.key)
	if err != nil {
		t.Fatal(err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}
}
