package server

import (
	"crypto/subtle"
	"errors"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// checkAdminToken compares a presented admin token with the configured one
// in constant time, counting failures per client. It returns a non-zero
// wait when the client is locked out.
func (s *Server) checkAdminToken(r *http.Request, token string) (ok bool, wait time.Duration) {
	client := clientAddr(r)
	if wait := s.adminFail.retryAfter(client, s.now()); wait > 0 {
		return false, wait
	}
	if subtle.ConstantTimeCompare(auth.HashToken(token), s.cfg.AdminTokenHash) == 1 {
		return true, 0
	}
	s.adminFail.fail(client, s.now())
	s.log.Warn("admin token refused", "client", client)
	return false, 0
}

func setRetryAfter(w http.ResponseWriter, wait time.Duration) {
	w.Header().Set("Retry-After", strconv.Itoa(int(math.Ceil(wait.Seconds()))))
}

type adminLoginView struct {
	layout
	Error string
}

func (s *Server) adminLoginPage(w http.ResponseWriter, r *http.Request) {
	if _, err := s.session(r, store.SessionAdmin); err == nil {
		http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/", http.StatusSeeOther)
		return
	}
	s.render(w, http.StatusOK, pageAdminLogin, adminLoginView{layout: s.layoutFor("Administrator login")})
}

func (s *Server) adminLogin(w http.ResponseWriter, r *http.Request) {
	ok, wait := s.checkAdminToken(r, strings.TrimSpace(r.PostFormValue("token")))
	view := adminLoginView{layout: s.layoutFor("Administrator login")}
	switch {
	case wait > 0:
		setRetryAfter(w, wait)
		view.Error = "Too many wrong tokens. Wait " + wait.Round(time.Second).String() + ", then try again."
		s.render(w, http.StatusTooManyRequests, pageAdminLogin, view)
		return
	case !ok:
		view.Error = "That is not the admin token. It was printed when the server first started, or set with LATCHKEY_ADMIN_TOKEN or --admin-token-file."
		s.render(w, http.StatusUnauthorized, pageAdminLogin, view)
		return
	}
	if err := s.startSession(r.Context(), w, store.Session{Kind: store.SessionAdmin}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.log.Info("administrator signed in", "client", clientAddr(r))
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/", http.StatusSeeOther)
}

func (s *Server) adminLogout(w http.ResponseWriter, r *http.Request) {
	s.endSession(w, r, store.SessionAdmin)
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/login", http.StatusSeeOther)
}

// adminPage lets a request through only with a live administrator session;
// others are sent to the login page.
func (s *Server) adminPage(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, err := s.session(r, store.SessionAdmin)
		if errors.Is(err, errSignedOut) {
			http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/login", http.StatusSeeOther)
			return
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
		next(w, r)
	})
}

func (s *Server) adminHome(w http.ResponseWriter, r *http.Request) {
	http.Redirect(w, r, s.cfg.PublicURL.Path+"/admin/settings/auth", http.StatusSeeOther)
}

// adminAPI lets a request through only with the admin token as bearer.
func (s *Server) adminAPI(next http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, wait := s.checkAdminToken(r, bearer(r))
		switch {
		case wait > 0:
			setRetryAfter(w, wait)
			writeJSON(w, http.StatusTooManyRequests, map[string]string{"error": "too many failed attempts", "detail": "wait before trying again"})
		case !ok:
			w.Header().Set("WWW-Authenticate", `Bearer realm="latchkey admin"`)
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "admin token required", "detail": "send Authorization: Bearer <admin token>"})
		default:
			next(w, r)
		}
	})
}

// bearer is the token of an "Authorization: Bearer …" header, or "".
func bearer(r *http.Request) string {
	h := r.Header.Get("Authorization")
	if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
		return strings.TrimSpace(h[7:])
	}
	return ""
}
