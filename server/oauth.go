package server

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// The terminal client's sign-in. latchkey is the OAuth authorization server
// of its public client latchkey-cli: authorization code with PKCE S256 and a
// loopback redirect (RFC 8252), brokered through the normal Keycloak web
// sign-in, plus the password grant for headless machines.
const (
	codeTTL    = 60 * time.Second
	accessTTL  = 15 * time.Minute
	refreshTTL = 30 * 24 * time.Hour

	prefixCode    = "lkc_"
	prefixAccess  = "lkat_"
	prefixRefresh = "lkrt_"
)

// cliRequest is an authorization request waiting for the Keycloak sign-in.
type cliRequest struct {
	RedirectURI string `json:"redirect_uri"`
	State       string `json:"state"`
	Challenge   string `json:"challenge"`
}

// oauthAuthorize validates the terminal client's request and sends the
// browser through the Keycloak sign-in. A bad client or redirect URI gets an
// error page: never a redirect to an address that was not checked.
func (s *Server) oauthAuthorize(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	redirect := q.Get("redirect_uri")
	if q.Get("client_id") != auth.CLIClientID {
		s.fail(w, r, &userError{status: http.StatusBadRequest, title: "Unknown client", message: "This sign-in link is not from latchkey's terminal client."})
		return
	}
	if err := auth.CheckLoopbackRedirect(redirect); err != nil {
		s.fail(w, r, &userError{status: http.StatusBadRequest, title: "This sign-in link is not valid",
			message: "The terminal client must receive the sign-in on this computer's loopback address (127.0.0.1 or [::1]).", err: err})
		return
	}
	refuse := func(code, description string) {
		http.Redirect(w, r, withQuery(redirect, url.Values{"error": {code}, "error_description": {description}, "state": {q.Get("state")}}), http.StatusSeeOther)
	}
	challenge := q.Get("code_challenge")
	switch {
	case q.Get("response_type") != "code":
		refuse("unsupported_response_type", "only response_type=code is supported")
	case q.Get("code_challenge_method") != "S256" || !validChallenge(challenge):
		refuse("invalid_request", "PKCE with code_challenge_method=S256 is required")
	case q.Get("state") == "":
		refuse("invalid_request", "state is required")
	default:
		req, _ := json.Marshal(cliRequest{RedirectURI: redirect, State: q.Get("state"), Challenge: challenge})
		s.beginSignIn(w, r, string(req))
	}
}

func validChallenge(c string) bool {
	b, err := base64.RawURLEncoding.DecodeString(c)
	return err == nil && len(b) == sha256.Size
}

// finishCLISignIn issues the code for a CLI request once the person signed
// in at Keycloak, and sends the browser back to the terminal client.
func (s *Server) finishCLISignIn(w http.ResponseWriter, r *http.Request, raw string, u store.User, id auth.Identity) {
	var req cliRequest
	if err := json.Unmarshal([]byte(raw), &req); err != nil {
		s.fail(w, r, err)
		return
	}
	grant, err := s.store.CreateGrant(r.Context(), u.ID, id.Session, id.RefreshToken)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	code := auth.NewToken(prefixCode)
	err = s.store.IssueToken(r.Context(), auth.HashToken(code.Reveal()), store.CLIToken{
		GrantID: grant, Kind: store.TokenCode, ExpiresAt: s.now().Add(codeTTL), RedirectURI: req.RedirectURI, Challenge: req.Challenge,
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("terminal client signed in", "user_id", u.ID, "grant", grant)
	http.Redirect(w, r, withQuery(req.RedirectURI, url.Values{"code": {code.Reveal()}, "state": {req.State}}), http.StatusSeeOther)
}

func withQuery(raw string, add url.Values) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	q := u.Query()
	for k, v := range add {
		q[k] = v
	}
	u.RawQuery = q.Encode()
	return u.String()
}

// oauthError is an OAuth error response (RFC 6749 section 5.2).
type oauthError struct {
	status      int
	Code        string `json:"error"`
	Description string `json:"error_description"`
}

func (e *oauthError) Error() string { return e.Code + ": " + e.Description }

func invalidGrant(description string) *oauthError {
	return &oauthError{status: http.StatusBadRequest, Code: "invalid_grant", Description: description}
}

// tokenResponse is a successful token answer.
type tokenResponse struct {
	AccessToken  string `json:"access_token"`
	TokenType    string `json:"token_type"`
	ExpiresIn    int    `json:"expires_in"`
	RefreshToken string `json:"refresh_token"`
}

// oauthToken is the token endpoint for latchkey-cli.
func (s *Server) oauthToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil || r.PostForm.Get("client_id") != auth.CLIClientID {
		s.oauthFail(w, r, &oauthError{status: http.StatusUnauthorized, Code: "invalid_client", Description: "client_id must be " + auth.CLIClientID})
		return
	}
	var (
		grant int64
		err   error
	)
	switch r.PostForm.Get("grant_type") {
	case "authorization_code":
		grant, err = s.grantFromCode(r)
	case "refresh_token":
		grant, err = s.grantFromRefresh(r)
	case "password":
		grant, err = s.grantFromPassword(r)
	default:
		err = &oauthError{status: http.StatusBadRequest, Code: "unsupported_grant_type", Description: "use authorization_code, refresh_token or password"}
	}
	if err != nil {
		s.oauthFail(w, r, err)
		return
	}
	resp, err := s.issueTokens(r, grant)
	if err != nil {
		s.oauthFail(w, r, err)
		return
	}
	w.Header().Set("Pragma", "no-cache")
	writeJSON(w, http.StatusOK, resp)
}

func (s *Server) oauthFail(w http.ResponseWriter, r *http.Request, err error) {
	var oe *oauthError
	if !errors.As(err, &oe) {
		ue, _ := s.logFailure(r, err)
		oe = &oauthError{status: ue.status, Code: "server_error", Description: ue.message}
		if ue.status == http.StatusBadGateway || ue.status == http.StatusServiceUnavailable {
			oe.status, oe.Code = http.StatusServiceUnavailable, "temporarily_unavailable"
		}
	} else {
		s.log.Info("token request refused", "error", oe.Code, "description", oe.Description, "client", clientAddr(r))
	}
	writeJSON(w, oe.status, oe)
}

// grantFromCode redeems an authorization code: once, within 60 s, with the
// exact redirect URI of the request and the PKCE verifier of its challenge.
func (s *Server) grantFromCode(r *http.Request) (int64, error) {
	hash := auth.HashToken(r.PostForm.Get("code"))
	t, err := s.takeToken(r, hash, store.TokenCode)
	if err != nil {
		return 0, err
	}
	if r.PostForm.Get("redirect_uri") != t.RedirectURI {
		return 0, invalidGrant("redirect_uri does not match the authorization request")
	}
	sum := sha256.Sum256([]byte(r.PostForm.Get("code_verifier")))
	if subtle.ConstantTimeCompare([]byte(base64.RawURLEncoding.EncodeToString(sum[:])), []byte(t.Challenge)) != 1 {
		return 0, invalidGrant("code_verifier does not match the code_challenge")
	}
	return t.GrantID, nil
}

// takeToken consumes a live single-use code or refresh token. The token is
// burnt before anything else is checked, so a guess at a verifier gets one
// try; a second use revokes the grant.
func (s *Server) takeToken(r *http.Request, hash []byte, kind string) (store.CLIToken, error) {
	t, err := s.liveToken(r, hash, kind)
	if err != nil {
		return store.CLIToken{}, err
	}
	return t, s.useToken(r, hash, kind)
}

// liveToken returns a live, unused code or token of kind without using it.
// Anything else is invalid_grant; a token presented again after its use
// revokes its grant.
func (s *Server) liveToken(r *http.Request, hash []byte, kind string) (store.CLIToken, error) {
	t, err := s.store.PeekToken(r.Context(), hash, kind)
	if errors.Is(err, store.ErrNotFound) {
		if err := s.store.UseToken(r.Context(), hash, kind); errors.Is(err, store.ErrTokenReused) {
			s.log.Warn("a used "+kind+" was presented again; its grant is revoked", "client", clientAddr(r))
		}
		return store.CLIToken{}, invalidGrant("the " + kind + " is unknown, expired, revoked or already used")
	}
	return t, err
}

// useToken marks a single-use token used; losing a race to another use is
// invalid_grant (and the store has revoked the grant).
func (s *Server) useToken(r *http.Request, hash []byte, kind string) error {
	if err := s.store.UseToken(r.Context(), hash, kind); err != nil {
		return invalidGrant("the " + kind + " was already used")
	}
	return nil
}

// grantFromRefresh rotates a refresh token after checking, by redeeming the
// grant's Keycloak refresh token, that the Keycloak session is still alive:
// a sign-out at Keycloak ends the terminal client's sign-in too.
func (s *Server) grantFromRefresh(r *http.Request) (int64, error) {
	hash := auth.HashToken(r.PostForm.Get("refresh_token"))
	peek, err := s.liveToken(r, hash, store.TokenRefresh)
	if err != nil {
		return 0, err
	}
	kc, err := s.keycloak.get(r.Context(), s.store)
	if err != nil {
		return 0, err
	}
	kcRefresh, err := kc.Refresh(r.Context(), peek.KeycloakRefresh)
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if err := s.store.RevokeGrant(r.Context(), peek.GrantID); err != nil {
			return 0, err
		}
		return 0, invalidGrant("your Keycloak session has ended: sign in again")
	}
	if err != nil {
		return 0, &keycloakDownError{err: err}
	}
	if err := s.useToken(r, hash, store.TokenRefresh); err != nil {
		return 0, err
	}
	return peek.GrantID, s.store.UpdateGrantRefresh(r.Context(), peek.GrantID, kcRefresh)
}

// grantFromPassword signs in with a Keycloak Direct Access Grant, done here
// with the client secret that never leaves the server.
func (s *Server) grantFromPassword(r *http.Request) (int64, error) {
	client := clientAddr(r)
	if wait := s.passwordFail.retryAfter(client, s.now()); wait > 0 {
		return 0, &oauthError{status: http.StatusTooManyRequests, Code: "slow_down", Description: "too many failed sign-ins; wait " + wait.Round(time.Second).String()}
	}
	kc, err := s.keycloak.get(r.Context(), s.store)
	if err != nil {
		return 0, err
	}
	id, err := kc.PasswordLogin(r.Context(), r.PostForm.Get("username"), auth.Secret(r.PostForm.Get("password")))
	var re *oauth2.RetrieveError
	switch {
	case errors.As(err, &re) && re.ErrorCode == "invalid_grant":
		s.passwordFail.fail(client, s.now())
		return 0, invalidGrant("wrong username or password, or the account is disabled")
	case errors.As(err, &re):
		return 0, &oauthError{status: http.StatusBadRequest, Code: "unauthorized_client",
			Description: "Keycloak refused the password sign-in (" + re.ErrorCode + "): an administrator must turn on Direct access grants for the client"}
	case err != nil:
		return 0, &keycloakDownError{err: err}
	}
	u, err := s.signIn(r, kc, id)
	if err != nil {
		return 0, err
	}
	return s.store.CreateGrant(r.Context(), u.ID, id.Session, id.RefreshToken)
}

// issueTokens mints a short-lived access token and a single-use refresh token.
func (s *Server) issueTokens(r *http.Request, grant int64) (tokenResponse, error) {
	access, refresh := auth.NewToken(prefixAccess), auth.NewToken(prefixRefresh)
	now := s.now()
	for _, t := range []struct {
		token auth.Secret
		kind  string
		ttl   time.Duration
	}{{access, store.TokenAccess, accessTTL}, {refresh, store.TokenRefresh, refreshTTL}} {
		err := s.store.IssueToken(r.Context(), auth.HashToken(t.token.Reveal()), store.CLIToken{GrantID: grant, Kind: t.kind, ExpiresAt: now.Add(t.ttl)})
		if err != nil {
			return tokenResponse{}, err
		}
	}
	return tokenResponse{AccessToken: access.Reveal(), TokenType: "Bearer", ExpiresIn: int(accessTTL / time.Second), RefreshToken: refresh.Reveal()}, nil
}

// oauthRevoke ends the grant of an access or refresh token (RFC 7009): it
// answers 200 whether or not the token was known.
func (s *Server) oauthRevoke(w http.ResponseWriter, r *http.Request) {
	grant, err := s.store.TokenGrant(r.Context(), auth.HashToken(r.PostFormValue("token")))
	if err == nil {
		err = s.store.RevokeGrant(r.Context(), grant)
		s.log.Info("terminal client signed out", "grant", grant)
	}
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.oauthFail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, struct{}{})
}
