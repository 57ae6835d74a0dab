package server

import (
	"context"
	"errors"
	"net/http"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/server/api"
	"github.com/latchkeyhq/latchkey/store"
)

// settingsChange is an administrator's edit of the Keycloak settings. A nil
// secret keeps the stored one.
type settingsChange struct {
	Enabled              bool
	URL, Realm, ClientID string
	ClientSecret         *auth.Secret
	// SaveAnyway stores the settings even when checks fail: an explicit
	// choice of an administrator who knows Keycloak will be fixed later.
	SaveAnyway bool
}

// over is the settings the change makes of current: its fields, and
// current's secret unless it brings one.
func (c settingsChange) over(current auth.Settings) auth.Settings {
	next := auth.Settings{Enabled: c.Enabled, URL: c.URL, Realm: c.Realm, ClientID: c.ClientID, ClientSecret: current.ClientSecret}
	if c.ClientSecret != nil && c.ClientSecret.IsSet() {
		next.ClientSecret = *c.ClientSecret
	}
	return next
}

// changeFromAPI is the change an API body asks for.
func changeFromAPI(in api.AuthSettingsUpdate) settingsChange {
	c := settingsChange{Enabled: in.Enabled, URL: in.URL, Realm: in.Realm, ClientID: in.ClientID, SaveAnyway: in.SaveAnyway}
	if in.ClientSecret != nil {
		secret := auth.Secret(*in.ClientSecret)
		c.ClientSecret = &secret
	}
	return c
}

// errChecksFailed means the live checks refused new settings; the report
// says which and how to fix them.
var errChecksFailed = errors.New("keycloak settings failed the live checks")

// saveSettings validates a change live against Keycloak and saves it only
// when no check failed (or the administrator said save anyway), so a
// mistake never silently replaces settings that work.
func (s *Server) saveSettings(ctx context.Context, c settingsChange) (auth.Settings, auth.Report, error) {
	current, err := s.store.KeycloakSettings(ctx)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return auth.Settings{}, auth.Report{}, err
	}
	next, err := c.over(current).Normalize()
	if err != nil {
		return next, auth.Report{}, err
	}
	var (
		report auth.Report
		conn   *auth.Keycloak
	)
	if next.Enabled {
		report, conn = s.diagnose(ctx, next)
		s.logFindings(report)
		if conn == nil && !c.SaveAnyway {
			return next, report, errChecksFailed
		}
	}
	if err := s.store.SaveKeycloakSettings(ctx, next); err != nil {
		return next, report, err
	}
	if conn != nil {
		s.keycloak.put(conn)
	}
	s.log.Info("keycloak settings saved", "enabled", next.Enabled, "url", next.URL, "realm", next.Realm, "client_id", next.ClientID, "checks", report.Status())
	return next, report, nil
}

// ApplyPreset validates Keycloak settings given by flags or environment at
// start-up and saves them when they pass. A failure is logged, finding by
// finding; the server keeps its previous settings and its admin pages work.
func (s *Server) ApplyPreset(ctx context.Context, preset auth.Settings) error {
	secret := preset.ClientSecret
	_, _, err := s.saveSettings(ctx, settingsChange{Enabled: true, URL: preset.URL, Realm: preset.Realm, ClientID: preset.ClientID, ClientSecret: &secret})
	if err != nil {
		s.log.Error("keycloak preset not applied; the previous settings stay in force. Fix it on the Auth page or in the flags", "err", err)
	}
	return err
}

// diagnose runs every live check of settings from this server.
func (s *Server) diagnose(ctx context.Context, settings auth.Settings) (auth.Report, *auth.Keycloak) {
	return auth.Diagnose(ctx, s.cfg.Keycloak, auth.Target{Settings: settings, PublicURL: s.cfg.PublicURL, Now: s.now})
}

// logFindings records each live check, so the log shows why settings were
// or were not saved.
func (s *Server) logFindings(r auth.Report) {
	for _, f := range r.Findings {
		attrs := []any{"check", f.ID, "status", f.Status, "tried", f.Tried}
		if f.Answer != "" {
			attrs = append(attrs, "answer", f.Answer)
		}
		switch f.Status {
		case auth.StatusOK:
			s.log.Info("keycloak check", attrs...)
		case auth.StatusWarn:
			s.log.Warn("keycloak check", append(attrs, "problem", f.Problem, "fix", f.Fix)...)
		case auth.StatusSkipped:
			s.log.Info("keycloak check", attrs...)
		default:
			s.log.Error("keycloak check", append(attrs, "problem", f.Problem, "fix", f.Fix)...)
		}
	}
}

type authSettingsView struct {
	layout
	Enabled              bool
	URL, Realm, ClientID string
	SecretSet            bool
	SecretTyped          bool // a secret was typed but not saved
	FieldErrors          map[string]string
	Problems             []auth.Finding // failed and warned checks, shown first
	Passed               []auth.Finding // the other checks, folded away
	CanForce             bool           // checks failed: offer "Save anyway"
	Saved                bool
	Problem              string
	RedirectURI          string // what to register in Keycloak for this server
	WebOrigin            string
}

func (s *Server) authView() authSettingsView {
	v := authSettingsView{
		layout:      s.layoutFor("Auth settings"),
		RedirectURI: auth.RedirectURIPattern(s.cfg.PublicURL),
		WebOrigin:   auth.WebOrigin(s.cfg.PublicURL),
		FieldErrors: map[string]string{},
	}
	v.Admin, v.Nav = true, "settings"
	return v
}

func (s *Server) authSettingsPage(w http.ResponseWriter, r *http.Request) {
	current, err := s.store.KeycloakSettings(r.Context())
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		s.fail(w, r, err)
		return
	}
	v := s.authView()
	v.Enabled = current.Enabled || errors.Is(err, store.ErrNotFound)
	v.URL, v.Realm, v.ClientID, v.SecretSet = current.URL, current.Realm, current.ClientID, current.ClientSecret.IsSet()
	v.Saved = r.URL.Query().Get("saved") == "1"
	s.render(w, http.StatusOK, pageAuthSettings, v)
}

func (s *Server) authSettingsSave(w http.ResponseWriter, r *http.Request) {
	secret := auth.Secret(r.PostFormValue("client_secret"))
	change := settingsChange{
		Enabled: r.PostFormValue("enabled") == "on", URL: r.PostFormValue("url"),
		Realm: r.PostFormValue("realm"), ClientID: r.PostFormValue("client_id"), ClientSecret: &secret,
		SaveAnyway: r.PostFormValue("save_anyway") == "1",
	}
	_, report, err := s.saveSettings(r.Context(), change)
	if err == nil && report.Status() == auth.StatusOK {
		http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/settings/auth?saved=1", http.StatusSeeOther)
		return
	}
	v := s.authView()
	v.Enabled, v.URL, v.Realm, v.ClientID = change.Enabled, change.URL, change.Realm, change.ClientID
	v.setFindings(report)
	current, _ := s.store.KeycloakSettings(r.Context())
	v.SecretSet = current.ClientSecret.IsSet()
	var fe *auth.FieldError
	status := http.StatusUnprocessableEntity
	switch {
	case err == nil: // saved, with warnings or (save anyway) failures to show
		status, v.Saved = http.StatusOK, true
	case errors.As(err, &fe):
		v.FieldErrors[fe.Field] = fe.Message
		v.Problem = "Nothing was saved: " + fe.Message + "."
	case errors.Is(err, errChecksFailed):
		v.Problem = "Nothing was saved: Keycloak did not accept these settings. The previous settings stay in force."
		v.SecretTyped, v.CanForce = secret.IsSet(), true
	default:
		s.fail(w, r, err)
		return
	}
	s.render(w, status, pageAuthSettings, v)
}

// setFindings splits a report into the problems, shown first, and the rest.
func (v *authSettingsView) setFindings(r auth.Report) {
	for _, f := range r.Findings {
		if f.Status == auth.StatusFail || f.Status == auth.StatusWarn {
			v.Problems = append(v.Problems, f)
		} else {
			v.Passed = append(v.Passed, f)
		}
	}
}
