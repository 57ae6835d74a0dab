package server

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/latchkeyhq/latchkey/auth"
	"github.com/latchkeyhq/latchkey/store"
)

// Cookie base names; on an https public URL they get the __Host- prefix,
// which browsers accept only with Secure, Path=/ and no Domain.
const (
	cookieUser  = "latchkey_session"
	cookieAdmin = "latchkey_admin"
	cookieLogin = "latchkey_login" // binds a sign-in in flight to this browser
)

var errSignedOut = errors.New("no live session")

func (s *Server) cookieName(base string) string {
	if s.secure {
		return "__Host-" + base
	}
	return base
}

func (s *Server) setCookie(w http.ResponseWriter, base, value string, maxAge time.Duration) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(base), Value: value, Path: "/",
		MaxAge: int(maxAge / time.Second), HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) clearCookie(w http.ResponseWriter, base string) {
	http.SetCookie(w, &http.Cookie{
		Name: s.cookieName(base), Value: "", Path: "/",
		MaxAge: -1, HttpOnly: true, Secure: s.secure, SameSite: http.SameSiteLaxMode,
	})
}

func (s *Server) policy(kind string) (SessionPolicy, string) {
	if kind == store.SessionAdmin {
		return s.cfg.AdminSession, cookieAdmin
	}
	return s.cfg.UserSession, cookieUser
}

// startSession creates a session of kind and sets its cookie. The cookie
// value is fresh randomness, so a session can never be fixed in advance.
func (s *Server) startSession(ctx context.Context, w http.ResponseWriter, sess store.Session) error {
	policy, cookie := s.policy(sess.Kind)
	token := auth.NewToken("")
	sess.ExpiresAt = s.now().Add(policy.Max)
	if err := s.store.CreateSession(ctx, auth.HashToken(token.Reveal()), sess); err != nil {
		return err
	}
	s.setCookie(w, cookie, token.Reveal(), policy.Max)
	return nil
}

// session returns the live session of kind behind the request's cookie.
func (s *Server) session(r *http.Request, kind string) (store.Session, error) {
	policy, cookie := s.policy(kind)
	c, err := r.Cookie(s.cookieName(cookie))
	if err != nil || c.Value == "" {
		return store.Session{}, errSignedOut
	}
	sess, err := s.store.Session(r.Context(), auth.HashToken(c.Value), policy.Idle)
	if errors.Is(err, store.ErrNotFound) || (err == nil && sess.Kind != kind) {
		return store.Session{}, errSignedOut
	}
	return sess, err
}

// endSession deletes the session of kind behind the request, clears its
// cookie and returns what it held.
func (s *Server) endSession(w http.ResponseWriter, r *http.Request, kind string) (store.Session, error) {
	_, cookie := s.policy(kind)
	s.clearCookie(w, cookie)
	c, err := r.Cookie(s.cookieName(cookie))
	if err != nil {
		return store.Session{}, errSignedOut
	}
	sess, err := s.store.DeleteSession(r.Context(), auth.HashToken(c.Value))
	if errors.Is(err, store.ErrNotFound) {
		return store.Session{}, errSignedOut
	}
	return sess, err
}

// currentUser is the signed-in person behind a browser request.
func (s *Server) currentUser(r *http.Request) (store.User, store.Session, error) {
	sess, err := s.session(r, store.SessionUser)
	if err != nil {
		return store.User{}, store.Session{}, err
	}
	u, err := s.store.User(r.Context(), sess.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return store.User{}, store.Session{}, errSignedOut
	}
	return u, sess, err
}
