package server

import (
	"errors"
	"net/http"
	"slices"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

type profileView struct {
	layout
	Account    string
	Name       string
	Team       string
	Teams      []string // the choices; empty when there is nothing to pick
	TeamLocked bool     // an administrator set the team
	Key        string   // "" when the key was revoked
	Endpoint   string
	Flash      string
}

// profile is the signed-in person's page, laid out like the integration
// guide's: account, plugin key, team, and how to set up the IDE plugin.
func (s *Server) profile(w http.ResponseWriter, r *http.Request, u store.User) {
	key, err := s.store.ActivePluginKey(r.Context(), u.ID)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	view := profileView{
		layout:     s.layoutFor("Your account"),
		Account:    u.Account(),
		Name:       u.Name,
		Team:       u.Team(s.cfg.DefaultTeam),
		TeamLocked: u.TeamOverride != "",
		Key:        key.Reveal(),
		Endpoint:   s.cfg.PublicURL.String(),
		Flash:      flashMessages[r.URL.Query().Get("done")],
	}
	if len(u.Teams) > 1 && !view.TeamLocked {
		view.Teams = u.Teams
	}
	// The logout form ends at Keycloak's end-session endpoint, which the
	// CSP's form-action must allow.
	if settings, err := s.store.KeycloakSettings(r.Context()); err == nil {
		w.Header().Set("Content-Security-Policy", cspAllowingForms(formTarget(settings)))
	}
	s.render(w, http.StatusOK, pageProfile, view)
}

// flashMessages are the confirmations a redirect after a form can ask for.
var flashMessages = map[string]string{
	"team":    "Your team was saved.",
	"rotated": "You have a new plugin key. Update it in your IDE: the old one no longer works.",
}

// profileTeam saves the person's pick among their teams.
func (s *Server) profileTeam(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.currentUser(r)
	if err != nil {
		s.failSignedOut(w, r, err)
		return
	}
	team := r.PostFormValue("team")
	if !slices.Contains(u.Teams, team) {
		s.fail(w, r, &userError{status: http.StatusBadRequest, title: "Not one of your teams",
			message: "Pick one of the teams offered: they are your groups in Keycloak."})
		return
	}
	if err := s.store.SetChosenTeam(r.Context(), u.ID, team); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/?done=team", http.StatusSeeOther)
}

// profileRotateKey replaces the person's plugin key.
func (s *Server) profileRotateKey(w http.ResponseWriter, r *http.Request) {
	u, _, err := s.currentUser(r)
	if err != nil {
		s.failSignedOut(w, r, err)
		return
	}
	if err := s.store.RotatePluginKey(r.Context(), u.ID, auth.NewPluginKey()); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("plugin key rotated by its owner", "user_id", u.ID)
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/?done=rotated", http.StatusSeeOther)
}

// failSignedOut answers a form posted without a live session.
func (s *Server) failSignedOut(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errSignedOut) {
		err = &userError{status: http.StatusUnauthorized, title: "You are signed out",
			message: "Your session ended. Sign in again, then repeat what you were doing.",
			back:    "/login/keycloak", backLabel: "Sign in"}
	}
	s.fail(w, r, err)
}
