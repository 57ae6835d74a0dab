package auth_test

import (
	"encoding/json"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/internal/keycloaktest"
)

// Checks that come after the realm was found, grouped as the cases skip them.
var (
	afterIssuer = []string{auth.IDClient, auth.IDClientAuth, auth.IDClientSecret, auth.IDServiceAccount,
		auth.IDViewUsers, auth.IDDirectGrants, auth.IDRedirectURI, auth.IDStandardFlow, auth.IDClock}
	afterTLS = append([]string{auth.IDKeycloak, auth.IDPath, auth.IDRealm, auth.IDIssuer}, afterIssuer...)
)

// TestDiagnose runs every case against the real Keycloak: each must give
// its own finding and no other failure or warning.
func TestDiagnose(t *testing.T) {
	kc := keycloaktest.FromEnv(t)
	realm := loadDiagnoseRealm(t)
	good := realm.settings(t, kc.URL, "latchkey-good")
	withClient := func(id string) auth.Settings { return realm.settings(t, kc.URL, id) }
	with := func(change func(*auth.Settings)) auth.Settings {
		s := good
		change(&s)
		return s
	}
	// A public client has no secret; the administrator typed something anyway.
	publicClient := withClient("latchkey-public")
	publicClient.ClientSecret = "typed-for-a-public-client"
	issuerProxy := reverseProxy(t, kc.URL, "")
	authProxy := reverseProxy(t, kc.URL, "/auth")

	tests := []struct {
		name     string
		settings auth.Settings
		hc       *http.Client     // default: plainClient(10 s)
		now      func() time.Time // default: time.Now
		public   string           // latchkey's public URL; default http://127.0.0.1:8008
		failing  string           // the one check that must not pass ("" for none)
		status   auth.Status      // its status
		skipped  []string         // the checks skipped because of it
		mention  func() []string  // what its problem or fix must name
	}{
		{name: "guide-conform client", settings: good},
		{name: "trailing slash", settings: with(func(s *auth.Settings) { s.URL += "/" })},

		// Client-side cases, one misconfigured client each.
		{name: "public client", settings: publicClient, failing: auth.IDClientAuth, status: auth.StatusFail,
			skipped: []string{auth.IDClientSecret, auth.IDServiceAccount, auth.IDViewUsers, auth.IDDirectGrants, auth.IDClock},
			mention: strs("Clients → latchkey-public → Settings → Capability config → turn on Client authentication")},
		{name: "service accounts off", settings: withClient("latchkey-no-service-account"), failing: auth.IDServiceAccount, status: auth.StatusFail,
			skipped: []string{auth.IDViewUsers, auth.IDClock},
			mention: strs("Clients → latchkey-no-service-account → Settings → Capability config → turn on Service accounts roles")},
		{name: "no view-users", settings: withClient("latchkey-no-view-users"), failing: auth.IDViewUsers, status: auth.StatusFail,
			mention: strs("Clients → latchkey-no-view-users → Service accounts roles → Assign role", "realm-management view-users")},
		{name: "direct access grants off", settings: withClient("latchkey-no-direct-grants"), failing: auth.IDDirectGrants, status: auth.StatusWarn,
			mention: strs("Clients → latchkey-no-direct-grants → Settings → Capability config → Authentication flow → turn on Direct access grants")},
		{name: "standard flow off", settings: withClient("latchkey-no-standard-flow"), failing: auth.IDStandardFlow, status: auth.StatusFail,
			mention: strs("Clients → latchkey-no-standard-flow → Settings → Capability config → Authentication flow → turn on Standard flow")},
		{name: "callback not a valid redirect URI", settings: withClient("latchkey-wrong-redirect"), failing: auth.IDRedirectURI, status: auth.StatusFail,
			skipped: []string{auth.IDStandardFlow},
			mention: strs("Clients → latchkey-wrong-redirect → Settings → Access settings → Valid redirect URIs: add http://127.0.0.1:8008/*", "http://127.0.0.1:8008/login/keycloak/callback")},

		// Cases built from the good client's settings.
		{name: "wrong secret", settings: with(func(s *auth.Settings) { s.ClientSecret = "not-the-secret" }), failing: auth.IDClientSecret, status: auth.StatusFail,
			skipped: []string{auth.IDServiceAccount, auth.IDViewUsers, auth.IDDirectGrants, auth.IDClock},
			mention: strs("Clients → latchkey-good → Credentials")},
		{name: "unknown client", settings: with(func(s *auth.Settings) { s.ClientID = "latchkey-nobody" }), failing: auth.IDClient, status: auth.StatusFail,
			skipped: afterIssuer[1:],
			mention: strs(`"latchkey-nobody"`, "Clients → Create client")},
		{name: "realm names are case-sensitive", settings: with(func(s *auth.Settings) { s.Realm = strings.ToUpper(s.Realm) }), failing: auth.IDRealm, status: auth.StatusFail,
			skipped: append([]string{auth.IDIssuer}, afterIssuer...),
			mention: strs(`"`+strings.ToUpper(good.Realm)+`"`, "case-sensitive")},
		{name: "auth prefix given but not served", settings: with(func(s *auth.Settings) { s.URL += "/auth/" }), failing: auth.IDPath, status: auth.StatusFail,
			skipped: append([]string{auth.IDRealm, auth.IDIssuer}, afterIssuer...),
			mention: func() []string { return []string{"Set Server Url to " + kc.URL + "."} }},
		{name: "auth prefix served but missing", settings: with(func(s *auth.Settings) { s.URL = authProxy.URL }), failing: auth.IDPath, status: auth.StatusFail,
			skipped: append([]string{auth.IDRealm, auth.IDIssuer}, afterIssuer...),
			mention: func() []string { return []string{"Set Server Url to " + authProxy.URL + "/auth."} }},
		// The proxy sends a Date header (Keycloak sends none), so the clocks
		// are still compared without a token.
		{name: "issuer differs from Server Url", settings: with(func(s *auth.Settings) { s.URL = issuerProxy.URL }), failing: auth.IDIssuer, status: auth.StatusFail,
			skipped: afterIssuer[:len(afterIssuer)-1],
			mention: func() []string {
				return []string{"announces itself at " + kc.URL + ",", "KC_HOSTNAME=" + issuerProxy.URL}
			}},
		{name: "clock skew", settings: good, now: func() time.Time { return time.Now().Add(2 * time.Minute) }, failing: auth.IDClock, status: auth.StatusWarn,
			mention: strs("differ by 2m0s (this server is ahead)", "NTP")},

		// Network cases, with real sockets.
		{name: "connection refused", settings: with(func(s *auth.Settings) { s.URL = "http://" + closedPort(t) }), failing: auth.IDConnect, status: auth.StatusFail,
			skipped: append([]string{auth.IDTimeout, auth.IDTLS}, afterTLS...)},
		// Keycloak is not on loopback here, so latchkey's public URL must not be either.
		{name: "host name does not resolve", settings: with(func(s *auth.Settings) { s.URL = "http://keycloak.latchkey.invalid" }), public: "https://ai.example.com",
			failing: auth.IDDNS, status: auth.StatusFail,
			skipped: append([]string{auth.IDConnect, auth.IDTimeout, auth.IDTLS}, afterTLS...),
			mention: strs("keycloak.latchkey.invalid")},
		{name: "no answer in time", settings: with(func(s *auth.Settings) { s.URL = "http://" + silentListener(t) }), hc: plainClient(300 * time.Millisecond),
			failing: auth.IDTimeout, status: auth.StatusFail, skipped: append([]string{auth.IDTLS}, afterTLS...)},
		{name: "self-signed certificate", settings: with(func(s *auth.Settings) { s.URL = selfSignedServer(t) }), failing: auth.IDTLS, status: auth.StatusFail,
			skipped: afterTLS, mention: strs("LATCHKEY_CA_FILE", "--ca-file", "system store")},
		{name: "not Keycloak", settings: with(func(s *auth.Settings) { s.URL = htmlServer(t) }), failing: auth.IDKeycloak, status: auth.StatusFail,
			skipped: afterTLS[1:]},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			public := mustURL(t, "http://127.0.0.1:8008")
			if tt.public != "" {
				public = mustURL(t, tt.public)
			}
			hc := tt.hc
			if hc == nil {
				hc = plainClient(10 * time.Second)
			}
			report, conn := auth.Diagnose(t.Context(), hc, auth.Target{Settings: tt.settings, PublicURL: public, Now: tt.now})
			want := wantStatuses(tt.failing, tt.status, tt.skipped)
			if diff := cmp.Diff(want, statuses(report)); diff != "" {
				t.Errorf("statuses (-want +got):\n%s\nreport:\n%s", diff, dump(report))
			}
			if (conn != nil) != report.OK() {
				t.Errorf("connection %v with report OK %v", conn != nil, report.OK())
			}
			checkFindings(t, report, tt.settings.ClientSecret.Reveal())
			if testing.Verbose() {
				t.Logf("report:\n%s", dump(report))
			}
			if tt.mention != nil {
				f, _ := report.Finding(tt.failing)
				for _, s := range tt.mention() {
					if !strings.Contains(f.Problem+" "+f.Fix, s) {
						t.Errorf("%s: problem %q / fix %q does not mention %q", f.ID, f.Problem, f.Fix, s)
					}
				}
			}
		})
	}
}

// unfilled matches a placeholder left in a finding's problem or fix.
var unfilled = regexp.MustCompile(`<(Server Url|host|host:port|realm|client id|suggested URL|announced URL|callback|redirect pattern|web origin|public URL|offset)>`)

// checkFindings checks what every report must hold: one finding per check in
// the order of auth.Checks with its title, a problem and a fix for each
// warning and failure, no placeholder left, and never the client secret.
func checkFindings(t *testing.T, r auth.Report, secret string) {
	t.Helper()
	var gotIDs, wantIDs []string
	for _, c := range auth.Checks {
		wantIDs = append(wantIDs, c.ID)
	}
	for _, f := range r.Findings {
		gotIDs = append(gotIDs, f.ID)
		c, _ := auth.CheckByID(f.ID)
		if f.Title != c.Title || f.Tried == "" {
			t.Errorf("%s: title %q (want %q), tried %q", f.ID, f.Title, c.Title, f.Tried)
		}
		bad := f.Status == auth.StatusFail || f.Status == auth.StatusWarn
		if bad && (f.Problem == "" || f.Fix == "" || f.Answer == "") {
			t.Errorf("%s is %s without an answer, problem or fix: %+v", f.ID, f.Status, f)
		}
		if bad && c.Severity == auth.StatusWarn && f.Status != auth.StatusWarn && f.ID != auth.IDClock {
			t.Errorf("%s: a warning check %s", f.ID, f.Status)
		}
		if m := unfilled.FindString(f.Problem + f.Fix); m != "" {
			t.Errorf("%s: placeholder %s left in %q / %q", f.ID, m, f.Problem, f.Fix)
		}
	}
	if diff := cmp.Diff(wantIDs, gotIDs); diff != "" {
		t.Errorf("finding IDs (-want +got):\n%s", diff)
	}
	js, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	if secret != "" && strings.Contains(string(js), secret) {
		t.Errorf("the report holds the client secret:\n%s", js)
	}
	if strings.Contains(string(js), "eyJ") {
		t.Errorf("the report seems to hold a token:\n%s", js)
	}
}

func wantStatuses(failing string, status auth.Status, skipped []string) map[string]auth.Status {
	want := map[string]auth.Status{}
	for _, c := range auth.Checks {
		want[c.ID] = auth.StatusOK
	}
	for _, id := range skipped {
		want[id] = auth.StatusSkipped
	}
	if failing != "" {
		want[failing] = status
	}
	return want
}

func statuses(r auth.Report) map[string]auth.Status {
	out := map[string]auth.Status{}
	for _, f := range r.Findings {
		out[f.ID] = f.Status
	}
	return out
}

func dump(r auth.Report) string {
	var b strings.Builder
	for _, f := range r.Findings {
		b.WriteString(string(f.Status) + "\t" + f.ID + "\n\ttried: " + f.Tried + "\n\tanswer: " + f.Answer + "\n")
		if f.Fix != "" {
			b.WriteString("\tproblem: " + f.Problem + "\n\tfix: " + f.Fix + "\n")
		}
	}
	return b.String()
}

func strs(s ...string) func() []string { return func() []string { return s } }

// diagnoseRealmFile is the part of the realm file the tests read: names and
// secrets stay in the file.
type diagnoseRealmFile struct {
	Realm   string `json:"realm"`
	Clients []struct {
		ClientID string `json:"clientId"`
		Secret   string `json:"secret"`
	} `json:"clients"`
}

func loadDiagnoseRealm(t *testing.T) diagnoseRealmFile {
	t.Helper()
	b, err := os.ReadFile(keycloaktest.RepoFile(t, diagnoseRealm))
	if err != nil {
		t.Fatal(err)
	}
	var f diagnoseRealmFile
	if err := json.Unmarshal(b, &f); err != nil {
		t.Fatalf("parse %s: %v", diagnoseRealm, err)
	}
	return f
}

// settings are the Auth page's fields for one of the realm's clients.
func (f diagnoseRealmFile) settings(t *testing.T, kcURL, clientID string) auth.Settings {
	t.Helper()
	for _, c := range f.Clients {
		if c.ClientID == clientID {
			return auth.Settings{Enabled: true, URL: kcURL, Realm: f.Realm, ClientID: c.ClientID, ClientSecret: auth.Secret(c.Secret)}
		}
	}
	t.Fatalf("%s has no client %s", diagnoseRealm, clientID)
	return auth.Settings{}
}

// plainClient is an HTTP client that trusts only the system's CAs and uses
// no proxy, so a test reaches exactly the sockets it set up.
func plainClient(timeout time.Duration) *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	return &http.Client{Transport: tr, Timeout: timeout}
}

// reverseProxy forwards to target, under prefix when it is not empty (other
// paths get 404), and sends target's host: Keycloak then announces target,
// not the proxy, as its issuer.
func reverseProxy(t *testing.T, target, prefix string) *httptest.Server {
	u := mustURL(t, target)
	proxy := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) { r.SetURL(u) }}
	var h http.Handler = proxy
	if prefix != "" {
		mux := http.NewServeMux()
		mux.Handle(prefix+"/", http.StripPrefix(prefix, proxy))
		h = mux
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv
}

// closedPort is a loopback address where nothing listens.
func closedPort(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// silentListener accepts connections and never answers.
func silentListener(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var (
		mu    sync.Mutex
		conns []net.Conn
		wg    sync.WaitGroup
	)
	wg.Go(func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			mu.Lock()
			conns = append(conns, c)
			mu.Unlock()
		}
	})
	t.Cleanup(func() {
		l.Close()
		wg.Wait()
		for _, c := range conns {
			c.Close()
		}
	})
	return l.Addr().String()
}

// selfSignedServer is an HTTPS server whose certificate no CA vouches for.
func selfSignedServer(t *testing.T) string {
	srv := httptest.NewUnstartedServer(http.NotFoundHandler())
	srv.Config.ErrorLog = discardLog() // the refused handshake is expected
	srv.StartTLS()
	t.Cleanup(srv.Close)
	return srv.URL
}

func discardLog() *log.Logger { return log.New(io.Discard, "", 0) }

// htmlServer answers every request with a web page, as a server that is not
// Keycloak does.
func htmlServer(t *testing.T) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte("<!doctype html><title>Intranet</title><h1>Welcome</h1>"))
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustURL(t *testing.T, raw string) *url.URL {
	t.Helper()
	u, err := url.Parse(raw)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
