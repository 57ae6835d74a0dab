package server

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// decodeJSON reads a small JSON body into v, refusing unknown fields so a
// typo in a script fails loudly instead of being ignored.
func decodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return &userError{status: http.StatusBadRequest, title: "bad request body", message: "send JSON: " + err.Error(), err: err}
	}
	return nil
}

func (s *Server) meView(u store.User) api.Me {
	return api.Me{
		Account: u.Account(), Email: u.Email, Username: u.Username, Name: u.Name,
		Team: u.Team(s.cfg.DefaultTeam), Teams: nonNilStrings(u.Teams), Endpoint: s.cfg.PublicURL.String(),
	}
}

func (s *Server) apiMe(w http.ResponseWriter, r *http.Request, c caller) {
	s.writeMe(w, r, c)
}

// writeMe answers with the caller's account; the plugin key goes only to
// the terminal client, never back to a plugin key.
func (s *Server) writeMe(w http.ResponseWriter, r *http.Request, c caller) {
	me := s.meView(c.user)
	if c.cli {
		key, err := s.store.ActivePluginKey(r.Context(), c.user.ID)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			s.failJSON(w, r, err)
			return
		}
		me.PluginAPIKey = key.Reveal()
	}
	writeJSON(w, http.StatusOK, me)
}

func (s *Server) apiSetMyTeam(w http.ResponseWriter, r *http.Request, c caller) {
	var choice api.TeamChoice
	if err := decodeJSON(r, &choice); err != nil {
		s.failJSON(w, r, err)
		return
	}
	if !slices.Contains(c.user.Teams, choice.Team) {
		s.failJSON(w, r, &userError{status: http.StatusUnprocessableEntity, title: "not one of your teams",
			message: "pick one of: " + strings.Join(c.user.Teams, ", ")})
		return
	}
	if err := s.store.SetChosenTeam(r.Context(), c.user.ID, choice.Team); err != nil {
		s.failJSON(w, r, err)
		return
	}
	c.user.ChosenTeam = choice.Team
	s.writeMe(w, r, c)
}

// apiRotateMyKey gives the caller a new plugin key. Only the terminal
// client may: a plugin key must not be able to replace itself and so lock
// its owner out.
func (s *Server) apiRotateMyKey(w http.ResponseWriter, r *http.Request, c caller) {
	if !c.cli {
		s.failJSON(w, r, &userError{status: http.StatusForbidden, title: "sign in with latchkey login",
			message: "a plugin key cannot rotate itself; use the terminal client or the profile page"})
		return
	}
	if err := s.store.RotatePluginKey(r.Context(), c.user.ID, auth.NewPluginKey()); err != nil {
		s.failJSON(w, r, err)
		return
	}
	s.log.Info("plugin key rotated by its owner", "user_id", c.user.ID)
	s.writeMe(w, r, c)
}

func (s *Server) settingsView(k auth.Settings) api.AuthSettings {
	return api.AuthSettings{Enabled: k.Enabled, URL: k.URL, Realm: k.Realm, ClientID: k.ClientID, ClientSecretSet: k.ClientSecret.IsSet(),
		PublicURL: s.cfg.PublicURL.String()}
}

func (s *Server) apiAuthSettings(w http.ResponseWriter, r *http.Request) {
	k, err := s.store.KeycloakSettings(r.Context())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, s.settingsView(k))
}

func (s *Server) apiSaveAuthSettings(w http.ResponseWriter, r *http.Request) {
	var in api.AuthSettingsUpdate
	if err := decodeJSON(r, &in); err != nil {
		s.failJSON(w, r, err)
		return
	}
	saved, report, err := s.saveSettings(r.Context(), changeFromAPI(in))
	var fe *auth.FieldError
	switch {
	case errors.As(err, &fe):
		writeJSON(w, http.StatusUnprocessableEntity, api.Error{Error: "invalid " + fe.Field, Detail: fe.Message})
	case errors.Is(err, errChecksFailed):
		writeJSON(w, http.StatusUnprocessableEntity, api.Error{Error: "keycloak check failed",
			Detail: "nothing was saved; the previous settings stay in force", Findings: report.Findings})
	case err != nil:
		s.failJSON(w, r, err)
	default:
		writeJSON(w, http.StatusOK, api.AuthSettingsSaved{Settings: s.settingsView(saved), Findings: nonNilFindings(report.Findings)})
	}
}

// apiCheckAuthSettings runs the live checks from this server without saving:
// of the stored settings, or of the settings in the body (an omitted secret
// means the stored one).
func (s *Server) apiCheckAuthSettings(w http.ResponseWriter, r *http.Request) {
	settings, err := s.store.KeycloakSettings(r.Context())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.failJSON(w, r, err)
		return
	}
	if r.ContentLength != 0 {
		var in api.AuthSettingsUpdate
		if err := decodeJSON(r, &in); err != nil {
			s.failJSON(w, r, err)
			return
		}
		in.Enabled = true // what is checked is a sign-in through these settings
		settings = changeFromAPI(in).over(settings)
	}
	report, _ := s.diagnose(r.Context(), settings)
	writeJSON(w, http.StatusOK, api.CheckReport{Status: report.Status(), Findings: nonNilFindings(report.Findings)})
}

func nonNilFindings(f []auth.Finding) []auth.Finding {
	if f == nil {
		return []auth.Finding{}
	}
	return f
}

func (s *Server) apiUsers(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	first, _ := strconv.Atoi(q.Get("first"))
	limit, err := strconv.Atoi(q.Get("max"))
	if err != nil || limit <= 0 {
		limit = usersPerPage
	}
	page, err := s.listUsers(r.Context(), strings.TrimSpace(q.Get("search")), max(first, 0), min(limit, 100))
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, page)
}

func (s *Server) apiUserAction(w http.ResponseWriter, r *http.Request, what string, act userAction) {
	u, err := s.actOnUser(r.Context(), r.PathValue("id"), what, act)
	if err != nil {
		s.failJSON(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, u)
}

func (s *Server) apiSetUserTeam(w http.ResponseWriter, r *http.Request) {
	var choice api.TeamChoice
	if err := decodeJSON(r, &choice); err != nil {
		s.failJSON(w, r, err)
		return
	}
	s.apiUserAction(w, r, "team", s.setTeamAction(strings.TrimSpace(choice.Team)))
}

func (s *Server) apiRotateUserKey(w http.ResponseWriter, r *http.Request) {
	s.apiUserAction(w, r, "rotated", s.rotateAction)
}

func (s *Server) apiRevokeUserKey(w http.ResponseWriter, r *http.Request) {
	s.apiUserAction(w, r, "revoked", s.revokeAction)
}
