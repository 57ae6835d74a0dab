package server

import (
	"net/http"

	"github.com/latchkeyhq/latchkey/assets"
)

// Handler returns the server's whole HTTP interface.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	s.routes(mux)
	csrf := http.NewCrossOriginProtection()
	return s.instrument(s.recoverPanics(securityHeaders(csrf.Handler(mux))))
}

// routes is the one place where URLs meet handlers.
func (s *Server) routes(mux *http.ServeMux) {
	mux.HandleFunc("GET /healthz", s.healthz)
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", staticFiles(assets.Static())))

	// People signing in through Keycloak.
	mux.HandleFunc("GET /{$}", s.home)
	mux.HandleFunc("GET /login/keycloak", s.loginStart)
	mux.HandleFunc("GET /login/keycloak/callback", s.loginCallback)
	mux.HandleFunc("POST /logout", s.logout)
	mux.HandleFunc("POST /profile/team", s.profileTeam)
	mux.HandleFunc("POST /profile/plugin-key", s.profileRotateKey)

	// The terminal client's sign-in.
	mux.HandleFunc("GET /oauth/authorize", s.oauthAuthorize)
	mux.HandleFunc("POST /oauth/token", s.oauthToken)
	mux.HandleFunc("POST /oauth/revoke", s.oauthRevoke)

	// Administrator pages.
	mux.HandleFunc("GET /admin/login", s.adminLoginPage)
	mux.HandleFunc("POST /admin/login", s.adminLogin)
	mux.HandleFunc("POST /admin/logout", s.adminLogout)
	mux.Handle("GET /admin/{$}", s.adminPage(s.adminHome))
	mux.Handle("GET /admin/settings/auth", s.adminPage(s.authSettingsPage))
	mux.Handle("POST /admin/settings/auth", s.adminPage(s.authSettingsSave))
	mux.Handle("GET /admin/users", s.adminPage(s.usersPage))
	mux.Handle("POST /admin/users/{id}/team", s.adminPage(s.userTeamForm))
	mux.Handle("POST /admin/users/{id}/plugin-key/rotate", s.adminPage(s.userRotateForm))
	mux.Handle("POST /admin/users/{id}/plugin-key/revoke", s.adminPage(s.userRevokeForm))

	// JSON API.
	mux.Handle("GET /api/v1/me", s.userAPI(s.apiMe))
	mux.Handle("PUT /api/v1/me/team", s.userAPI(s.apiSetMyTeam))
	mux.Handle("POST /api/v1/me/plugin-key", s.userAPI(s.apiRotateMyKey))
	mux.Handle("GET /api/v1/admin/settings/auth", s.adminAPI(s.apiAuthSettings))
	mux.Handle("PUT /api/v1/admin/settings/auth", s.adminAPI(s.apiSaveAuthSettings))
	mux.Handle("POST /api/v1/admin/settings/auth/check", s.adminAPI(s.apiCheckAuthSettings))
	mux.Handle("GET /api/v1/admin/users", s.adminAPI(s.apiUsers))
	mux.Handle("PUT /api/v1/admin/users/{id}/team", s.adminAPI(s.apiSetUserTeam))
	mux.Handle("POST /api/v1/admin/users/{id}/plugin-key", s.adminAPI(s.apiRotateUserKey))
	mux.Handle("DELETE /api/v1/admin/users/{id}/plugin-key", s.adminAPI(s.apiRevokeUserKey))

	// Forward-auth for a proxy in front of the inference server.
	mux.HandleFunc("GET /api/v1/auth/verify", s.verify)

	// IDE plugins.
	mux.Handle("GET /v1/login", s.keyAPI(s.pluginLogin))
	mux.HandleFunc("/v1/login", methodNotAllowed("GET")) // never proxied
	// The gateway: a plugin key, then the upstream (503 without one).
	for _, p := range s.gatewayPaths {
		mux.HandleFunc(p, s.proxy)
	}
}

func methodNotAllowed(allow string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Allow", allow)
		writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "method not allowed"})
	}
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	if err := s.store.Ping(r.Context()); err != nil {
		s.log.Error("health check: database", "err", err)
		writeJSON(w, http.StatusServiceUnavailable, map[string]string{"status": "database unavailable"})
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}
