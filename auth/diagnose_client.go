package auth

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// authAnswer is the authorization endpoint's answer to a sign-in request
// with this server's callback.
type authAnswer struct {
	tried   string
	err     error
	status  int
	message string // the text of Keycloak's error page
	code    string // the error of a redirect back to the callback
	desc    string // its error_description
}

// errorPage finds the message on Keycloak's error page ("We are sorry...").
var errorPage = regexp.MustCompile(`(?s)id="kc-error-message"[^>]*>\s*<p[^>]*>(.*?)</p>`)

// authProbe asks the authorization endpoint to start a sign-in, as a
// browser would, without following the redirect: Keycloak shows its sign-in
// page (200), an error page (400: "Client not found.", "Invalid parameter:
// redirect_uri"), or redirects to the callback with an error
// (unauthorized_client when Standard flow is off).
func (d *diagnosis) authProbe(ctx context.Context) *authAnswer {
	if d.auth != nil {
		return d.auth
	}
	q := url.Values{
		"client_id":             {d.s.ClientID},
		"response_type":         {"code"},
		"scope":                 {"openid"},
		"redirect_uri":          {CallbackURL(d.t.PublicURL)},
		"state":                 {randomString()},
		"code_challenge":        {oauth2.S256ChallengeFromVerifier(oauth2.GenerateVerifier())},
		"code_challenge_method": {"S256"},
		"ui_locales":            {"en"},
	}
	endpoint := d.k.oauth.Endpoint.AuthURL
	a := &authAnswer{tried: fmt.Sprintf("GET %s?client_id=%s&redirect_uri=%s&response_type=code&scope=openid&code_challenge_method=S256 (with state and code_challenge; redirects not followed)",
		endpoint, url.QueryEscape(d.s.ClientID), url.QueryEscape(CallbackURL(d.t.PublicURL)))}
	d.auth = a
	sep := "?"
	if strings.Contains(endpoint, "?") {
		sep = "&"
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, endpoint+sep+q.Encode(), nil)
	if err != nil {
		a.err = err
		return a
	}
	req.Header.Set("Accept-Language", "en")
	noRedirect := *d.hc
	noRedirect.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	resp, err := noRedirect.Do(req)
	if err != nil {
		a.err = err
		return a
	}
	defer resp.Body.Close()
	a.status = resp.StatusCode
	body, _ := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if m := errorPage.FindSubmatch(body); m != nil {
		a.message = strings.TrimSpace(html.UnescapeString(string(m[1])))
	}
	if loc, err := resp.Location(); err == nil {
		a.code, a.desc = loc.Query().Get("error"), loc.Query().Get("error_description")
	}
	return a
}

func (a *authAnswer) summary() string {
	if a.err != nil {
		return a.err.Error()
	}
	s := fmt.Sprintf("%d %s", a.status, http.StatusText(a.status))
	switch {
	case a.message != "":
		s += fmt.Sprintf(", error page %q", a.message)
	case a.code != "":
		s += ", redirect to the callback with error=" + a.code
		if a.desc != "" {
			s += " (" + a.desc + ")"
		}
	case a.status == http.StatusOK:
		s += ", the sign-in page"
	case a.status >= 300 && a.status < 400:
		s += ", redirect without an error"
	}
	return s
}

func (a *authAnswer) clientMissing() bool {
	return a.status == http.StatusBadRequest && (strings.Contains(a.message, "Client not found") || strings.Contains(a.message, "Client disabled"))
}

func (a *authAnswer) redirectRefused() bool {
	return a.status == http.StatusBadRequest && strings.Contains(a.message, "redirect_uri")
}

// tokenAnswer is the token endpoint's answer to a grant.
type tokenAnswer struct {
	err             error
	status          int
	code, desc      string // OAuth error and error_description
	accessToken     Secret
	issued, expires time.Time     // the access token's iat and exp
	sent, received  time.Time     // by this host's clock (Target.Now)
	lifespan        time.Duration // exp - iat
	hasIssued       bool
}

func (t *tokenAnswer) summary() string {
	if t.err != nil {
		return t.err.Error()
	}
	s := fmt.Sprintf("%d %s", t.status, http.StatusText(t.status))
	if t.code != "" {
		s += ": " + t.code
	}
	if t.desc != "" {
		s += " (" + t.desc + ")"
	}
	if t.status == http.StatusOK {
		s += ", access token issued"
		if t.lifespan > 0 {
			s += fmt.Sprintf(" (lifespan %s)", t.lifespan)
		}
	}
	return s
}

// grant posts form to the token endpoint, the client authenticating with
// its secret in the Authorization header as latchkey does.
func (d *diagnosis) grant(ctx context.Context, form url.Values) *tokenAnswer {
	t := &tokenAnswer{}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, d.k.oauth.Endpoint.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		t.err = err
		return t
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	// RFC 6749 section 2.3.1, as golang.org/x/oauth2 sends it.
	req.SetBasicAuth(url.QueryEscape(d.s.ClientID), url.QueryEscape(d.s.ClientSecret.Reveal()))
	t.sent = d.t.Now()
	resp, err := d.hc.Do(req)
	t.received = d.t.Now()
	if err != nil {
		t.err = err
		return t
	}
	defer resp.Body.Close()
	t.status = resp.StatusCode
	var body struct {
		Error       string `json:"error"`
		Description string `json:"error_description"`
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&body); err != nil && t.status == http.StatusOK {
		t.err = fmt.Errorf("decode token response: %w", err)
		return t
	}
	t.code, t.desc, t.accessToken = body.Error, body.Description, Secret(body.AccessToken)
	if iat, exp, ok := tokenTimes(body.AccessToken); ok {
		t.issued, t.expires, t.hasIssued = iat, exp, true
		t.lifespan = exp.Sub(iat)
	}
	return t
}

// tokenTimes reads iat and exp from a JWT's payload, without verifying it:
// only Keycloak's clock is of interest.
func tokenTimes(jwt string) (iat, exp time.Time, ok bool) {
	parts := strings.Split(jwt, ".")
	if len(parts) != 3 {
		return time.Time{}, time.Time{}, false
	}
	payload, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		return time.Time{}, time.Time{}, false
	}
	var claims struct {
		IssuedAt  json.Number `json:"iat"`
		ExpiresAt json.Number `json:"exp"`
	}
	if json.Unmarshal(payload, &claims) != nil {
		return time.Time{}, time.Time{}, false
	}
	i, err1 := strconv.ParseInt(claims.IssuedAt.String(), 10, 64)
	e, err2 := strconv.ParseInt(claims.ExpiresAt.String(), 10, 64)
	if err1 != nil || err2 != nil {
		return time.Time{}, time.Time{}, false
	}
	return time.Unix(i, 0), time.Unix(e, 0), true
}

// clientCredentials is the client-credentials grant, made once per run.
func (d *diagnosis) clientCredentials(ctx context.Context) *tokenAnswer {
	if d.token == nil {
		d.token = d.grant(ctx, url.Values{"grant_type": {"client_credentials"}})
	}
	return d.token
}

func (d *diagnosis) clientCredentialsTried() string {
	return fmt.Sprintf("POST %s grant_type=client_credentials as client %s (secret in the Authorization header)", d.k.oauth.Endpoint.TokenURL, d.s.ClientID)
}

// checkClient asks both endpoints about the client: the authorization
// endpoint says "Client not found." (or "Client disabled."), the token
// endpoint invalid_client, where a wrong secret gets unauthorized_client.
func (d *diagnosis) checkClient(ctx context.Context) Finding {
	a := d.authProbe(ctx)
	t := d.clientCredentials(ctx)
	tried := a.tried + "; " + d.clientCredentialsTried()
	answer := "authorization endpoint: " + a.summary() + "; token endpoint: " + t.summary()
	if a.clientMissing() || t.code == "invalid_client" {
		return outcome(StatusFail, tried, answer)
	}
	return outcome(StatusOK, tried, answer)
}

// checkToken reads the client-credentials grant. Keycloak 26 answers 401
// unauthorized_client for all three problems and tells them apart only in
// error_description: "Public client not allowed to retrieve service
// account", "Invalid client or Invalid client credentials", "Client not
// enabled to retrieve service account" (the secret is checked first).
func (d *diagnosis) checkToken(ctx context.Context, id string) Finding {
	t := d.clientCredentials(ctx)
	var failed string
	switch {
	case t.err == nil && t.status == http.StatusOK && t.accessToken.IsSet():
	case strings.Contains(t.desc, "Public client"):
		failed = IDClientAuth
	case strings.Contains(t.desc, "not enabled to retrieve service account"):
		failed = IDServiceAccount
	default:
		failed = IDClientSecret
	}
	if failed == id {
		return outcome(StatusFail, d.clientCredentialsTried(), t.summary())
	}
	return outcome(StatusOK, d.clientCredentialsTried(), t.summary())
}

// checkViewUsers counts the realm's users with the service-account token:
// 403 without realm-management's view-users.
func (d *diagnosis) checkViewUsers(ctx context.Context) Finding {
	countURL := d.s.AdminBase() + "/users/count"
	tried := "GET " + countURL + " with the service account's token"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, countURL, nil)
	if err != nil {
		return outcome(StatusFail, tried, err.Error())
	}
	req.Header.Set("Authorization", "Bearer "+d.token.accessToken.Reveal())
	req.Header.Set("Accept", "application/json")
	resp, err := d.hc.Do(req)
	if err != nil {
		return outcome(StatusFail, tried, err.Error())
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		var apiErr *APIError
		if err := readAPIError(resp); errors.As(err, &apiErr) {
			return outcome(StatusFail, tried, apiErr.answer())
		}
		return outcome(StatusFail, tried, resp.Status)
	}
	var n int
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxBody)).Decode(&n); err != nil {
		return outcome(StatusFail, tried, "200 OK, but not a count: "+err.Error())
	}
	return outcome(StatusOK, tried, fmt.Sprintf("200 OK: %d users", n))
}

// answer is the error without the request line, which Tried already shows.
func (e *APIError) answer() string {
	s := fmt.Sprintf("%d %s", e.Status, http.StatusText(e.Status))
	if e.Code != "" && e.Code != "HTTP "+s { // Keycloak's 403 says {"error":"HTTP 403 Forbidden"}
		s += ": " + e.Code
	}
	if e.Description != "" {
		s += " (" + e.Description + ")"
	}
	return s
}

// checkDirectGrants tries a password grant for a user that does not exist:
// Keycloak answers 400 invalid_grant ("Invalid user credentials") when the
// client may use direct access grants and 400 unauthorized_client ("Client
// not allowed for direct access grants") when it may not.
func (d *diagnosis) checkDirectGrants(ctx context.Context) Finding {
	user := "latchkey-probe-" + randomString()[:12]
	tried := fmt.Sprintf("POST %s grant_type=password as client %s for the made-up user %s", d.k.oauth.Endpoint.TokenURL, d.s.ClientID, user)
	t := d.grant(ctx, url.Values{"grant_type": {"password"}, "username": {user}, "password": {randomString()}, "scope": {"openid"}})
	if t.err == nil && t.code == "invalid_grant" {
		return outcome(StatusOK, tried, t.summary())
	}
	return outcome(StatusWarn, tried, t.summary())
}

// checkAuthEndpoint reads the authorization endpoint's answer. Keycloak
// checks the redirect URI before the flow: a client with Standard flow off
// and a foreign redirect URI gets "Invalid parameter: redirect_uri".
func (d *diagnosis) checkAuthEndpoint(ctx context.Context, id string) Finding {
	a := d.authProbe(ctx)
	var failed string
	switch {
	case a.err != nil || a.redirectRefused():
		failed = IDRedirectURI
	case a.status == http.StatusOK:
	case a.status >= 300 && a.status < 400 && a.code == "":
	default:
		failed = IDStandardFlow
	}
	if failed == id {
		return outcome(StatusFail, a.tried, a.summary())
	}
	return outcome(StatusOK, a.tried, a.summary())
}

// Clock skew: Keycloak 26 sends no Date header, so its clock is read from
// the iat of the service-account token, with the Date header (a reverse
// proxy's) only as a fallback.
const clockTolerance = 30 * time.Second

func (d *diagnosis) checkClock() Finding {
	var (
		offset time.Duration
		tried  string
	)
	t := d.token
	switch {
	case t != nil && t.hasIssued:
		// iat has whole seconds and lies between sending and receiving.
		mid := t.sent.Add(t.received.Sub(t.sent) / 2)
		offset = t.issued.Add(500 * time.Millisecond).Sub(mid)
		tried = "compare the issue time (iat) of the service account's token with this server's clock"
	case d.disc != nil && d.disc.header.Get("Date") != "":
		date, err := http.ParseTime(d.disc.header.Get("Date"))
		if err != nil {
			return outcome(StatusWarn, "read the Date header of "+d.disc.url, err.Error())
		}
		offset = date.Add(500 * time.Millisecond).Sub(d.t.Now())
		tried = "compare the Date header of " + d.disc.url + " with this server's clock"
	default:
		return outcome(StatusSkipped, "not run: needs the service account's token ("+d.firstFailure(IDServiceAccount)+" did not pass); Keycloak sends no Date header", "")
	}
	answer := "the clocks differ by " + formatOffset(offset)
	if offset.Abs() <= clockTolerance {
		return outcome(StatusOK, tried, answer+fmt.Sprintf(", within %s", clockTolerance))
	}
	d.offset = offset
	if t != nil && t.lifespan > 0 && -offset >= t.lifespan {
		return outcome(StatusFail, tried, answer+fmt.Sprintf("; tokens live %s, so they have expired when they arrive", t.lifespan))
	}
	return outcome(StatusWarn, tried, answer)
}

func randomString() string {
	return rand.Text()
}
