package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// keyOwner returns the owner of the plugin key a request carries, through
// the hot path of authenticateKey: checksum, cache, rate limits, database,
// the owner's standing in Keycloak.
func (s *Server) keyOwner(r *http.Request) (store.User, error) {
	e, err := s.authenticateKey(r)
	if err != nil {
		return store.User{}, err
	}
	return e.user, nil
}

// pluginLogin is what Refact's IDE plugins call to check their key.
func (s *Server) pluginLogin(w http.ResponseWriter, r *http.Request, u store.User) {
	writeJSON(w, http.StatusOK, api.PluginLogin{Retcode: "OK", Account: u.Account(), Team: u.Team(s.cfg.DefaultTeam)})
}

// keyAPI authenticates a request by its plugin key; a bad or missing key
// gets the 401 that Refact's plugins understand.
func (s *Server) keyAPI(next func(http.ResponseWriter, *http.Request, store.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.keyOwner(r)
		if err != nil {
			s.refuseKey(w, r, err)
			return
		}
		next(w, r, u)
	})
}

// caller is who an /api/v1/me request comes from.
type caller struct {
	user store.User
	cli  bool // signed in with the terminal client (not a plugin key)
}

// userAPI authenticates a JSON API request by a CLI access token or a
// plugin key.
func (s *Server) userAPI(next func(http.ResponseWriter, *http.Request, caller)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		token := bearer(r)
		var (
			c   caller
			err error
		)
		if strings.HasPrefix(token, prefixAccess) {
			c.cli = true
			c.user, err = s.store.AccessTokenOwner(r.Context(), auth.HashToken(token))
		} else {
			c.user, err = s.keyOwner(r)
		}
		var ref *keyRefusal
		switch {
		case errors.As(err, &ref) && ref.status == http.StatusTooManyRequests:
			setRetryAfter(w, ref.retryAfter)
			writeJSON(w, http.StatusTooManyRequests, api.Error{Error: "too_many_attempts", Detail: ref.detail})
		case errors.Is(err, store.ErrNotFound) || ref != nil:
			w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, api.Error{Error: "invalid_token", Detail: "send a CLI access token or a plugin API key as Authorization: Bearer …"})
		case err != nil:
			s.failJSON(w, r, err)
		default:
			next(w, r, c)
		}
	})
}
