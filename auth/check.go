package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// Status is the outcome of one check.
type Status string

const (
	StatusOK      Status = "ok"
	StatusWarn    Status = "warn"
	StatusFail    Status = "fail"
	StatusSkipped Status = "skipped" // an earlier check failed
)

// Finding is one check of a Keycloak configuration: what was tried, what
// Keycloak answered, and how to fix it in the Keycloak admin console. It never
// holds a secret.
type Finding struct {
	ID     string `json:"id"`
	Title  string `json:"title"`
	Status Status `json:"status"`
	Tried  string `json:"tried"`
	Answer string `json:"answer,omitempty"`
	Fix    string `json:"fix,omitempty"`
}

// Report is the result of checking one configuration, in check order.
type Report struct {
	Findings []Finding `json:"findings"`
}

// OK reports whether no check failed.
func (r Report) OK() bool {
	for _, f := range r.Findings {
		if f.Status == StatusFail || f.Status == StatusSkipped {
			return false
		}
	}
	return true
}

// Check IDs, stable for scripts and tests.
const (
	CheckDiscovery         = "discovery"
	CheckClientCredentials = "client-credentials"
	CheckViewUsers         = "view-users"
)

// Check tests settings live against Keycloak, in the order a sign-in depends
// on them, and returns the connection when every check passed.
func Check(ctx context.Context, hc *http.Client, s Settings, redirectURL string) (Report, *Keycloak) {
	var r Report
	add := func(f Finding) bool {
		r.Findings = append(r.Findings, f)
		return f.Status != StatusFail
	}
	k, f := checkDiscovery(ctx, hc, s, redirectURL)
	if !add(f) {
		return r.skipRest(CheckClientCredentials, CheckViewUsers), nil
	}
	if !add(checkClientCredentials(k)) {
		return r.skipRest(CheckViewUsers), nil
	}
	if !add(checkViewUsers(ctx, k)) {
		return r, nil
	}
	return r, k
}

func (r Report) skipRest(ids ...string) Report {
	for _, id := range ids {
		r.Findings = append(r.Findings, Finding{ID: id, Title: checkTitles[id], Status: StatusSkipped, Tried: "not run: an earlier check failed"})
	}
	return r
}

var checkTitles = map[string]string{
	CheckDiscovery:         "Realm discovery",
	CheckClientCredentials: "Client ID and secret",
	CheckViewUsers:         "Service account can view users",
}

func checkDiscovery(ctx context.Context, hc *http.Client, s Settings, redirectURL string) (*Keycloak, Finding) {
	wellKnown := s.Issuer() + "/.well-known/openid-configuration"
	f := Finding{ID: CheckDiscovery, Title: checkTitles[CheckDiscovery], Tried: "GET " + wellKnown}
	fail := func(answer, fix string) (*Keycloak, Finding) {
		f.Status, f.Answer, f.Fix = StatusFail, answer, fix
		return nil, f
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, wellKnown, nil)
	if err != nil {
		return fail(err.Error(), "Check Server Url.")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fail(err.Error(), "Check Server Url, and that this server can reach Keycloak (DNS, firewall, proxy).")
	}
	var doc struct {
		Issuer string `json:"issuer"`
	}
	decodeErr := json.NewDecoder(resp.Body).Decode(&doc)
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusNotFound:
		return fail(resp.Status, fmt.Sprintf("Keycloak has no realm %q here. Realm Name must match the realm exactly (names are case-sensitive); check Server Url too.", s.Realm))
	case resp.StatusCode != http.StatusOK || decodeErr != nil || doc.Issuer == "":
		return fail(resp.Status+", not a Keycloak discovery document", "Check Server Url: it must be the base URL of Keycloak, e.g. https://sso.example.com.")
	}
	k, err := Connect(ctx, hc, s, redirectURL)
	var mismatch *oidc.IssuerMismatchError
	if errors.As(err, &mismatch) {
		return fail("issuer is "+mismatch.Discovered, "Keycloak announces a different URL than Server Url: enter that URL, or fix Keycloak's hostname/proxy settings (KC_HOSTNAME).")
	}
	if err != nil {
		return fail(err.Error(), "Check Server Url.")
	}
	f.Status, f.Answer = StatusOK, "200 OK, issuer "+doc.Issuer
	return k, f
}

func checkClientCredentials(k *Keycloak) Finding {
	f := Finding{ID: CheckClientCredentials, Title: checkTitles[CheckClientCredentials],
		Tried: "client-credentials grant at " + k.oauth.Endpoint.TokenURL + " as client " + k.settings.ClientID}
	_, err := k.service.Token()
	if err == nil {
		f.Status, f.Answer = StatusOK, "token issued"
		return f
	}
	f.Status = StatusFail
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) {
		f.Answer, f.Fix = err.Error(), "Check that this server can reach Keycloak's token endpoint."
		return f
	}
	f.Answer = oauthAnswer(re)
	// Keycloak answers a wrong ID or secret with 401 (invalid_client or
	// unauthorized_client) and a client without service accounts with 400.
	switch {
	case re.ErrorCode == "unauthorized_client" && (re.Response == nil || re.Response.StatusCode != http.StatusUnauthorized):
		f.Fix = "Clients → " + k.settings.ClientID + " → Settings → Capability config: turn on Client authentication and Service accounts roles, then Save."
	default:
		f.Fix = "Check Client ID, and copy Client Secret Key from Clients → " + k.settings.ClientID + " → Credentials (Client Authentication must be on)."
	}
	return f
}

func checkViewUsers(ctx context.Context, k *Keycloak) Finding {
	f := Finding{ID: CheckViewUsers, Title: checkTitles[CheckViewUsers], Tried: "GET " + k.settings.AdminBase() + "/users/count with the service account"}
	n, err := k.CountUsers(ctx, "")
	if err == nil {
		f.Status, f.Answer = StatusOK, fmt.Sprintf("%d users in the realm", n)
		return f
	}
	f.Status, f.Answer = StatusFail, err.Error()
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusForbidden {
		f.Answer = "403 Forbidden"
		f.Fix = "Clients → " + k.settings.ClientID + " → Service accounts roles → Assign role → Filter by clients → realm-management: view-users."
	}
	return f
}

func oauthAnswer(re *oauth2.RetrieveError) string {
	answer := ""
	if re.Response != nil {
		answer = re.Response.Status
	}
	if re.ErrorCode != "" {
		answer += ": " + re.ErrorCode
	}
	if re.ErrorDescription != "" {
		answer += " (" + re.ErrorDescription + ")"
	}
	return answer
}
