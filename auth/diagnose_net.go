package auth

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/http/httptrace"
	"net/url"
	"strings"
	"sync"
	"time"
)

// probe is one GET and what it showed about the network and the answer.
type probe struct {
	url      string
	err      error
	status   int
	header   http.Header
	body     []byte // the first maxBody bytes
	elapsed  time.Duration
	resolved []string // addresses the host name resolved to
	remote   string   // the address connected to
	tls      *tls.ConnectionState
}

const maxBody = 1 << 20

// get fetches rawURL with hc, following redirects as hc does.
func get(ctx context.Context, hc *http.Client, rawURL string) *probe {
	p := &probe{url: rawURL}
	var mu sync.Mutex // the trace's callbacks may run on the transport's goroutines
	trace := &httptrace.ClientTrace{
		DNSDone: func(info httptrace.DNSDoneInfo) {
			mu.Lock()
			defer mu.Unlock()
			for _, a := range info.Addrs {
				p.resolved = append(p.resolved, a.String())
			}
		},
		GotConn: func(info httptrace.GotConnInfo) {
			mu.Lock()
			defer mu.Unlock()
			p.remote = info.Conn.RemoteAddr().String()
		},
	}
	req, err := http.NewRequestWithContext(httptrace.WithClientTrace(ctx, trace), http.MethodGet, rawURL, nil)
	if err != nil {
		p.err = err
		return p
	}
	req.Header.Set("Accept", "application/json")
	start := time.Now()
	resp, err := hc.Do(req)
	p.elapsed = time.Since(start)
	mu.Lock()
	defer mu.Unlock()
	if err != nil {
		p.err = err
		return p
	}
	defer resp.Body.Close()
	p.status, p.header, p.tls = resp.StatusCode, resp.Header, resp.TLS
	p.body, p.err = io.ReadAll(io.LimitReader(resp.Body, maxBody))
	return p
}

// discoveryDoc is the part of a realm's OpenID discovery document that the
// checks read.
type discoveryDoc struct {
	Issuer                string `json:"issuer"`
	AuthorizationEndpoint string `json:"authorization_endpoint"`
	TokenEndpoint         string `json:"token_endpoint"`
}

// doc returns the discovery document the probe fetched, if it did.
func (p *probe) doc() (discoveryDoc, bool) {
	var doc discoveryDoc
	if p.err != nil || p.status != http.StatusOK || json.Unmarshal(p.body, &doc) != nil {
		return discoveryDoc{}, false
	}
	return doc, doc.Issuer != "" && doc.AuthorizationEndpoint != "" && doc.TokenEndpoint != ""
}

// realmMissing reports Keycloak's own answer for a realm it does not have.
func (p *probe) realmMissing() bool {
	return p.err == nil && p.status == http.StatusNotFound && jsonError(p.body) == "Realm does not exist"
}

// summary is the probe's answer in one line: status, content type, and
// Keycloak's error message when there is one.
func (p *probe) summary() string {
	if p.err != nil {
		return p.err.Error()
	}
	s := fmt.Sprintf("%d %s", p.status, http.StatusText(p.status))
	if ct, _, err := mime.ParseMediaType(p.header.Get("Content-Type")); err == nil {
		s += ", " + ct
	}
	if msg := jsonError(p.body); msg != "" {
		s += ": " + msg
	}
	return s
}

// jsonError is the "error" (or "errorMessage") of a JSON error body.
func jsonError(body []byte) string {
	var e struct {
		Error        string `json:"error"`
		ErrorMessage string `json:"errorMessage"`
	}
	if json.Unmarshal(body, &e) != nil {
		return ""
	}
	if e.Error != "" {
		return e.Error
	}
	return e.ErrorMessage
}

func discoveryURL(base, realm string) string {
	return base + "/realms/" + url.PathEscape(realm) + "/.well-known/openid-configuration"
}

// transportFailure names the check that a failed request's error belongs
// to: the name did not resolve, nothing accepted the connection, no answer
// came in time, or the TLS handshake failed.
func transportFailure(err error) string {
	var (
		dnsErr   *net.DNSError
		verify   *tls.CertificateVerificationError
		record   tls.RecordHeaderError
		alert    tls.AlertError
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	switch {
	case err == nil:
		return ""
	case errors.As(err, &dnsErr):
		return IDDNS
	case errors.As(err, &verify), errors.As(err, &record), errors.As(err, &alert),
		errors.As(err, &unknown), errors.As(err, &hostname), errors.As(err, &invalid):
		return IDTLS
	case isTimeout(err):
		return IDTimeout
	}
	return IDConnect
}

func hostPort(u *url.URL) string {
	if u.Port() != "" {
		return u.Host
	}
	port := "80"
	if u.Scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(u.Hostname(), port)
}

// checkTransport reads the first request, for the realm's discovery
// document, as far as the network goes.
func (d *diagnosis) checkTransport(ctx context.Context, id string) Finding {
	if d.disc == nil {
		d.disc = get(ctx, d.hc, discoveryURL(d.s.URL, d.s.Realm))
	}
	p := d.disc
	u, _ := url.Parse(d.s.URL) // Normalize parsed it already
	failed := transportFailure(p.err)
	if failed == id {
		return d.transportFinding(id, u, StatusFail, p.err.Error())
	}
	var answer string
	switch id {
	case IDDNS:
		switch {
		case net.ParseIP(u.Hostname()) != nil:
			answer = "an IP address: nothing to look up"
		case len(p.resolved) > 0:
			answer = "resolved to " + strings.Join(p.resolved, ", ")
		default:
			answer = "resolved"
		}
	case IDConnect:
		answer = "connected"
		if p.remote != "" {
			answer += " to " + p.remote
		}
	case IDTimeout:
		answer = "answered in " + p.elapsed.Round(time.Millisecond).String()
	case IDTLS:
		answer = tlsSummary(u, p.tls)
	}
	return d.transportFinding(id, u, StatusOK, answer)
}

func (d *diagnosis) transportFinding(id string, u *url.URL, st Status, answer string) Finding {
	tried := map[string]string{
		IDDNS:     "look up " + u.Hostname(),
		IDConnect: "connect to " + hostPort(u),
		IDTimeout: "GET " + d.disc.url,
		IDTLS:     "TLS handshake with " + hostPort(u),
	}[id]
	return outcome(st, tried, answer)
}

func tlsSummary(u *url.URL, cs *tls.ConnectionState) string {
	if u.Scheme != "https" {
		return "plain http: no TLS to check"
	}
	if cs == nil || len(cs.PeerCertificates) == 0 {
		return "trusted"
	}
	leaf := cs.PeerCertificates[0]
	return fmt.Sprintf("trusted: certificate for %s issued by %q, valid until %s",
		u.Hostname(), leaf.Issuer.String(), leaf.NotAfter.UTC().Format(time.DateOnly))
}

// location is where Keycloak was found for the settings' URL and realm.
type location struct {
	kind   locationKind
	tried  []string // the URLs fetched
	answer string
}

type locationKind int

const (
	notKeycloak  locationKind = iota // no discovery document anywhere
	elsewhere                        // Keycloak answers under another base URL
	realmMissing                     // Keycloak is here, the realm is not
	found                            // the realm's discovery document
)

// checkLocation tells a server that is not Keycloak from Keycloak under
// another path and from a missing realm.
func (d *diagnosis) checkLocation(ctx context.Context, id string) Finding {
	if d.loc == nil {
		loc := d.locate(ctx)
		d.loc = &loc
	}
	loc := *d.loc
	tried := "GET " + strings.Join(loc.tried, ", GET ")
	switch {
	case id == IDKeycloak && loc.kind == notKeycloak,
		id == IDPath && loc.kind == elsewhere,
		id == IDRealm && loc.kind == realmMissing:
		return outcome(StatusFail, tried, loc.answer)
	case id == IDKeycloak:
		return outcome(StatusOK, tried, "Keycloak answers")
	case id == IDPath:
		return outcome(StatusOK, tried, "Keycloak is served at "+d.s.URL)
	}
	return outcome(StatusOK, tried, loc.answer)
}

func (d *diagnosis) locate(ctx context.Context) location {
	p := d.disc
	loc := location{tried: []string{p.url}}
	if doc, ok := p.doc(); ok {
		d.doc = doc
		loc.kind, loc.answer = found, "200 OK, the realm's discovery document"
		return loc
	}
	first := p.summary()
	if p.realmMissing() {
		loc.kind, loc.answer = realmMissing, first
		return loc
	}
	master := get(ctx, d.hc, discoveryURL(d.s.URL, "master"))
	loc.tried = append(loc.tried, master.url)
	if _, ok := master.doc(); ok {
		loc.kind, loc.answer = realmMissing, first+"; the master realm answers 200 OK"
		return loc
	}
	for _, alt := range alternateBases(d.s.URL) {
		for _, realm := range []string{d.s.Realm, "master"} {
			q := get(ctx, d.hc, discoveryURL(alt, realm))
			loc.tried = append(loc.tried, q.url)
			if _, ok := q.doc(); ok || q.realmMissing() {
				d.suggested = alt
				loc.kind, loc.answer = elsewhere, first+"; Keycloak answers at "+alt
				return loc
			}
			if realm == "master" || q.err != nil {
				break
			}
		}
	}
	loc.kind, loc.answer = notKeycloak, first
	return loc
}

// alternateBases are the base URLs where Keycloak is often found when it is
// not at base: with or without the legacy /auth prefix, and without a path
// copied from the browser (…/realms/…, …/admin/…).
func alternateBases(base string) []string {
	u, err := url.Parse(base)
	if err != nil {
		return nil
	}
	root := u.Scheme + "://" + u.Host
	path := u.Path
	var paths []string
	if rest, ok := strings.CutSuffix(path, "/auth"); ok {
		paths = append(paths, rest)
	} else {
		paths = append(paths, path+"/auth")
	}
	for _, marker := range []string{"/realms/", "/admin/", "/admin"} {
		if i := strings.Index(path, marker); i >= 0 {
			paths = append(paths, path[:i])
		}
	}
	paths = append(paths, "", "/auth")
	var out []string
	seen := map[string]bool{path: true}
	for _, p := range paths {
		if !seen[p] {
			seen[p] = true
			out = append(out, root+p)
		}
	}
	return out
}

// checkIssuer compares the issuer Keycloak announces with the one latchkey
// expects, then connects.
func (d *diagnosis) checkIssuer(ctx context.Context) Finding {
	want := d.s.Issuer()
	tried := "compare the issuer in " + d.disc.url + " with " + want
	if d.doc.Issuer != want {
		return outcome(StatusFail, tried, "the issuer is "+d.doc.Issuer)
	}
	k, err := Connect(ctx, d.hc, d.s, CallbackURL(d.t.PublicURL))
	if err != nil {
		return outcome(StatusFail, tried, err.Error())
	}
	d.k = k
	return outcome(StatusOK, tried, "the issuer is "+d.doc.Issuer)
}
