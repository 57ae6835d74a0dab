package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// Target is what Diagnose checks: the Keycloak settings, and this latchkey
// server's public URL, whose callback Keycloak must accept.
type Target struct {
	Settings  Settings
	PublicURL *url.URL         // latchkey's public URL; the callback is CallbackURL(PublicURL)
	Now       func() time.Time // this host's clock; nil means time.Now
}

// Diagnose checks a Keycloak configuration live, every entry of Checks in
// turn, and explains each problem in the terms of the integration guide. It
// returns the connection when no check failed (warnings allowed), and nil
// otherwise. Every request goes through hc (not nil; it carries the trusted
// CAs), whose Timeout bounds each one; ctx bounds the whole diagnosis. Findings
// never hold the client secret or a token.
//
// The probes: the realm's discovery document (and, when it is missing, the
// master realm's and the same under the other usual paths); the
// authorization endpoint with this server's exact callback, redirects not
// followed; a client-credentials grant; the Admin API's user count with that
// token; and a password grant for a made-up user, which Keycloak refuses
// with invalid_grant when direct access grants are allowed and with
// unauthorized_client when they are not.
func Diagnose(ctx context.Context, hc *http.Client, t Target) (Report, *Keycloak) {
	d := &diagnosis{hc: hc, t: t, done: map[string]Status{}}
	if d.t.Now == nil {
		d.t.Now = time.Now
	}
	var r Report
	for _, c := range Checks {
		var f Finding
		if c.Needs != "" && !d.passed(c.Needs) {
			f = Finding{Status: StatusSkipped, Tried: "not run: " + d.firstFailure(c.Needs) + " did not pass"}
		} else {
			f = d.run(ctx, c.ID)
		}
		f.ID, f.Title = c.ID, c.Title
		if f.Status == StatusWarn || f.Status == StatusFail {
			values := d.values()
			f.Problem, f.Fix = fill(c.Problem, values), fill(c.Fix, values)
		}
		d.done[c.ID] = f.Status
		r.Findings = append(r.Findings, d.redact(f))
	}
	if !r.OK() {
		return r, nil
	}
	return r, d.k
}

// diagnosis is the state of one Diagnose run: the probes' answers, kept so
// that the checks reading the same answer share one request.
type diagnosis struct {
	hc   *http.Client
	t    Target
	s    Settings // t.Settings, normalised
	done map[string]Status

	disc      *probe        // the realm's discovery document
	loc       *location     // where Keycloak and the realm were found
	doc       discoveryDoc  // its contents, once the realm was found
	suggested string        // another base URL where Keycloak answers
	k         *Keycloak     // the connection, once the issuer matched
	auth      *authAnswer   // the authorization endpoint's answer
	token     *tokenAnswer  // the client-credentials grant's answer
	offset    time.Duration // Keycloak's clock minus this host's
}

// outcome builds a finding's outcome.
func outcome(status Status, tried, answer string) Finding {
	return Finding{Status: status, Tried: tried, Answer: answer}
}

func (d *diagnosis) passed(id string) bool {
	st := d.done[id]
	return st == StatusOK || st == StatusWarn
}

// firstFailure walks up from id along Needs to the check that failed.
func (d *diagnosis) firstFailure(id string) string {
	for {
		c, ok := CheckByID(id)
		if !ok || d.done[id] == StatusFail || c.Needs == "" {
			return id
		}
		id = c.Needs
	}
}

func (d *diagnosis) run(ctx context.Context, id string) Finding {
	switch id {
	case IDSettings:
		return d.checkSettings()
	case IDDNS, IDConnect, IDTimeout, IDTLS:
		return d.checkTransport(ctx, id)
	case IDKeycloak, IDPath, IDRealm:
		return d.checkLocation(ctx, id)
	case IDIssuer:
		return d.checkIssuer(ctx)
	case IDClient:
		return d.checkClient(ctx)
	case IDClientAuth, IDClientSecret, IDServiceAccount:
		return d.checkToken(ctx, id)
	case IDViewUsers:
		return d.checkViewUsers(ctx)
	case IDDirectGrants:
		return d.checkDirectGrants(ctx)
	case IDRedirectURI, IDStandardFlow:
		return d.checkAuthEndpoint(ctx, id)
	case IDClock:
		return d.checkClock()
	case IDPublicURL:
		return d.checkPublicURL()
	}
	return outcome(StatusFail, "", "unknown check "+id)
}

// values are the placeholders' values for this run.
func (d *diagnosis) values() map[string]string {
	v := map[string]string{
		phServerURL: d.s.URL,
		phRealm:     d.s.Realm,
		phClient:    d.s.ClientID,
		phSuggested: d.suggested,
	}
	if u, err := url.Parse(d.s.URL); err == nil && u.Host != "" {
		v[phHost], v[phAddress] = u.Hostname(), hostPort(u)
	}
	if d.doc.Issuer != "" {
		v[phAnnounced] = strings.TrimSuffix(d.doc.Issuer, "/realms/"+url.PathEscape(d.s.Realm))
	}
	if d.t.PublicURL != nil {
		v[phCallback] = CallbackURL(d.t.PublicURL)
		v[phPattern] = RedirectURIPattern(d.t.PublicURL)
		v[phWebOrigin] = WebOrigin(d.t.PublicURL)
		v[phPublicURL] = d.t.PublicURL.String()
	}
	if d.offset != 0 {
		v[phClockDelta] = formatOffset(d.offset)
	}
	return v
}

// redact removes the client secret from a finding, should any answer ever
// echo it.
func (d *diagnosis) redact(f Finding) Finding {
	secret := d.t.Settings.ClientSecret.Reveal()
	if len(secret) < 4 {
		return f
	}
	for _, s := range []*string{&f.Tried, &f.Answer, &f.Problem, &f.Fix} {
		*s = strings.ReplaceAll(*s, secret, "[redacted]")
	}
	return f
}

func (d *diagnosis) checkSettings() Finding {
	tried := "check Server Url, Realm Name, Client ID, Client Secret Key and the public URL"
	s, err := d.t.Settings.Normalize()
	if err != nil {
		return outcome(StatusFail, tried, err.Error())
	}
	d.s = s
	if d.t.PublicURL == nil || d.t.PublicURL.Host == "" {
		return outcome(StatusFail, tried, "latchkey's public URL is not set")
	}
	return outcome(StatusOK, tried, "complete")
}

// checkPublicURL warns when latchkey's callback is on loopback although
// Keycloak is elsewhere: Keycloak then sends people's browsers back to their
// own machine, where no latchkey runs. With Keycloak on loopback too (a
// single-machine test) the loopback public URL is fine.
func (d *diagnosis) checkPublicURL() Finding {
	tried := fmt.Sprintf("compare the public URL %s with Server Url %s", d.t.PublicURL, d.s.URL)
	kc, err := url.Parse(d.s.URL)
	if err != nil {
		return outcome(StatusFail, tried, err.Error())
	}
	switch {
	case !isLoopbackHost(d.t.PublicURL.Hostname()):
		return outcome(StatusOK, tried, "the public URL is not a loopback address")
	case isLoopbackHost(kc.Hostname()):
		return outcome(StatusOK, tried, "both are on this machine (loopback)")
	}
	return outcome(StatusWarn, tried, d.t.PublicURL.Hostname()+" is loopback, "+kc.Hostname()+" is not")
}

// isLoopbackHost reports whether host names this machine only: localhost,
// a name under .localhost, or a loopback IP address.
func isLoopbackHost(host string) bool {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if host == "localhost" || strings.HasSuffix(host, ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

func formatOffset(d time.Duration) string {
	if d.Abs() < time.Second {
		return "less than a second"
	}
	dir := "Keycloak is ahead"
	if d < 0 {
		d, dir = -d, "this server is ahead"
	}
	return fmt.Sprintf("%s (%s)", d.Round(time.Second), dir)
}

// isTimeout reports whether err means a request ran out of time.
func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}
