package server

import (
	"errors"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

var errBadKey = errors.New("invalid plugin key")

// keyOwner returns the owner of the plugin key a request carries. A
// malformed key is refused by its checksum before any database lookup.
func (s *Server) keyOwner(r *http.Request) (store.User, error) {
	key := bearer(r)
	if err := auth.CheckPluginKey(key); err != nil {
		return store.User{}, errBadKey
	}
	u, err := s.store.PluginKeyOwner(r.Context(), auth.HashToken(key))
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, errBadKey
	}
	return u, err
}

// pluginLogin is what Refact's IDE plugins call to check their key.
func (s *Server) pluginLogin(w http.ResponseWriter, r *http.Request, u store.User) {
	writeJSON(w, http.StatusOK, api.PluginLogin{Retcode: "OK", Account: u.Account(), Team: u.Team(s.cfg.DefaultTeam)})
}

func pluginRefused(w http.ResponseWriter) {
	w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey"`)
	writeJSON(w, http.StatusUnauthorized, api.PluginFailure{
		Detail: "invalid or missing plugin API key", Retcode: "FAILED",
		HumanReadableMessage: "The API key was not accepted. Copy your Plugin API Key from your latchkey profile page into the plugin settings.",
	})
}

// keyAPI authenticates a request by its plugin key; a bad or missing key
// gets the 401 that Refact's plugins understand.
func (s *Server) keyAPI(next func(http.ResponseWriter, *http.Request, store.User)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u, err := s.keyOwner(r)
		switch {
		case errors.Is(err, errBadKey):
			pluginRefused(w)
		case err != nil:
			s.failJSON(w, r, err)
		default:
			next(w, r, u)
		}
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
		switch {
		case errors.Is(err, store.ErrNotFound) || errors.Is(err, errBadKey):
			w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey", error="invalid_token"`)
			writeJSON(w, http.StatusUnauthorized, api.Error{Error: "invalid_token", Detail: "send a CLI access token or a plugin API key as Authorization: Bearer …"})
		case err != nil:
			s.failJSON(w, r, err)
		default:
			next(w, r, c)
		}
	})
}
