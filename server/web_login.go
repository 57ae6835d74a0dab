package server

import (
	"crypto/subtle"
	"errors"
	"net/http"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// loginTTL bounds how long a person may take on Keycloak's sign-in page.
const loginTTL = 10 * time.Minute

type loginView struct {
	layout
	Ready bool // Keycloak is configured
}

// home is the login page for visitors and the profile page for people who
// are signed in.
func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.currentUser(r)
	if errors.Is(err, errSignedOut) {
		_, kcErr := s.store.KeycloakSettings(r.Context())
		s.render(w, http.StatusOK, pageLogin, loginView{layout: s.layoutFor("Sign in"), Ready: kcErr == nil})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.profile(w, r, u)
}

// loginStart sends the browser to Keycloak to sign in to latchkey's pages.
func (s *Server) loginStart(w http.ResponseWriter, r *http.Request) {
	s.beginSignIn(w, r, "")
}

// beginSignIn sends the browser to Keycloak: authorization code flow with
// PKCE S256, a state bound to this browser by a cookie, and a nonce. The
// login state goes to the database, so any replica can finish the sign-in.
// cliRequest is the terminal client's pending request, "" for the web.
func (s *Server) beginSignIn(w http.ResponseWriter, r *http.Request, cliRequest string) {
	kc, err := s.keycloak.get(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	state, nonce, verifier := auth.NewToken(""), auth.NewToken(""), oauth2.GenerateVerifier()
	err = s.store.SaveLoginState(r.Context(), auth.HashToken(state.Reveal()), store.LoginState{
		Nonce: nonce.Reveal(), Verifier: auth.Secret(verifier), CLIRequest: cliRequest, ExpiresAt: s.now().Add(loginTTL),
	})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, cookieLogin, state.Reveal(), loginTTL)
	http.Redirect(w, r, kc.AuthCodeURL(state.Reveal(), nonce.Reveal(), verifier), http.StatusSeeOther)
}

// Sign-in failures, each with a way back.
var (
	errLoginStale = &userError{status: http.StatusBadRequest, title: "This sign-in has expired",
		message: "The sign-in link was already used, is older than 10 minutes, or was started in another browser. Please start again.",
		back:    "/login/keycloak", backLabel: "Sign in again"}
	errLoginCancelled = &userError{status: http.StatusForbidden, title: "Sign-in was cancelled",
		message: "Keycloak did not sign you in. If you did not cancel, ask your administrator whether your account may use this service.",
		back:    "/login/keycloak", backLabel: "Try again"}
	errLoginCode = &userError{status: http.StatusBadRequest, title: "The sign-in code was refused",
		message: "Keycloak refused the sign-in code: it expired or was already used. Please start again.",
		back:    "/login/keycloak", backLabel: "Sign in again"}
)

// loginCallback finishes a sign-in: it checks state against the browser's
// cookie, consumes the stored login state (so a replayed callback fails),
// redeems the code with the PKCE verifier, verifies the ID token and nonce,
// refreshes the user's teams and starts a session.
func (s *Server) loginCallback(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	state := q.Get("state")
	s.clearCookie(w, cookieLogin)
	cookie, err := r.Cookie(s.cookieName(cookieLogin))
	if state == "" || err != nil || subtle.ConstantTimeCompare([]byte(cookie.Value), []byte(state)) != 1 {
		s.fail(w, r, errLoginStale)
		return
	}
	login, err := s.store.TakeLoginState(r.Context(), auth.HashToken(state))
	if errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, errLoginStale)
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if e := q.Get("error"); e != "" {
		s.fail(w, r, keycloakRefusal(e, q.Get("error_description")))
		return
	}
	kc, err := s.keycloak.get(r.Context(), s.store)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	id, err := kc.Exchange(r.Context(), q.Get("code"), login.Verifier.Reveal(), login.Nonce)
	if err != nil {
		s.fail(w, r, exchangeError(err))
		return
	}
	u, err := s.signIn(r, kc, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if err := s.startSession(r.Context(), w, store.Session{Kind: store.SessionUser, UserID: u.ID, IDToken: id.IDToken, KeycloakSession: id.Session}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("signed in", "user_id", u.ID, "issuer", id.Issuer)
	if login.CLIRequest != "" {
		s.finishCLISignIn(w, r, login.CLIRequest, u, id)
		return
	}
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/", http.StatusSeeOther)
}

func keycloakRefusal(code, description string) error {
	if code == "access_denied" {
		return errLoginCancelled
	}
	return &userError{status: http.StatusBadGateway, title: "Keycloak refused the sign-in",
		message: "Keycloak answered “" + code + ": " + description + "”. Your administrator can check the client settings in Keycloak.",
		back:    "/login/keycloak", backLabel: "Try again"}
}

func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && re.ErrorCode == "invalid_grant" {
		return errLoginCode.because(err)
	}
	if errors.As(err, &re) {
		return keycloakRefusal(re.ErrorCode, re.ErrorDescription)
	}
	return &keycloakDownError{err: err}
}

// signIn records the user behind a verified identity, with their teams read
// fresh from Keycloak, and gives a first-time user their plugin key.
func (s *Server) signIn(r *http.Request, kc *auth.Keycloak, id auth.Identity) (store.User, error) {
	teams := id.Groups
	if !id.HasGroupsClaim {
		groups, err := kc.UserGroups(r.Context(), id.Subject)
		if err != nil {
			// Keep the teams from the last sign-in rather than lock the person out.
			s.log.Warn("read user groups; keeping the previous teams", "err", err)
		}
		teams = groups
	}
	u, err := s.store.RecordLogin(r.Context(), store.Login{
		Issuer: id.Issuer, Subject: id.Subject, Username: id.Username, Email: id.Email, Name: id.Name, Teams: teams,
	})
	if err != nil {
		return store.User{}, err
	}
	if _, err := s.store.CreatePluginKeyIfNone(r.Context(), u.ID, auth.NewPluginKey()); err != nil {
		return store.User{}, err
	}
	return u, nil
}

// logout ends the local session, the terminal sign-ins made under the same
// Keycloak session, and Keycloak's session itself, by sending the browser to
// Keycloak's end-session endpoint with the ID token as hint.
func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	home := s.cfg.PublicURL.String() + "/"
	sess, err := s.endSession(w, r, store.SessionUser)
	if err != nil {
		http.Redirect(w, r, home, http.StatusSeeOther)
		return
	}
	if n, err := s.store.RevokeGrantsOfSession(r.Context(), sess.KeycloakSession); err != nil {
		s.log.Error("logout: revoke terminal sign-ins", "err", err)
	} else if n > 0 {
		s.log.Info("logout revoked terminal sign-ins", "user_id", sess.UserID, "count", n)
	}
	kc, err := s.keycloak.get(r.Context(), s.store)
	if err != nil {
		s.log.Warn("logout: keycloak session not ended", "err", err)
		http.Redirect(w, r, home, http.StatusSeeOther)
		return
	}
	http.Redirect(w, r, kc.LogoutURL(sess.IDToken, home), http.StatusSeeOther)
}

// formTarget is the origin a page's forms may be redirected to (the
// profile's logout form ends at Keycloak), for the CSP's form-action.
func formTarget(s auth.Settings) string {
	u, err := url.Parse(s.URL)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}
