package server

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
)

// userError is a failure with the words to show the person who hit it.
type userError struct {
	status         int
	title, message string
	back           string // where to go from here; "" for the home page
	backLabel      string
	err            error // the cause, logged but never shown
}

func (e *userError) Error() string {
	if e.err != nil {
		return e.title + ": " + e.err.Error()
	}
	return e.title
}

func (e *userError) Unwrap() error { return e.err }

// because is e with err as its cause, for the log.
func (e *userError) because(err error) *userError {
	c := *e
	c.err = err
	return &c
}

// classify is the one place that maps errors to an HTTP status and a
// message for people: anything unexpected becomes a 500 with a reference to
// the log line, never a stack trace or a raw error.
func classify(err error) *userError {
	var ue *userError
	var down *keycloakDownError
	switch {
	case errors.As(err, &ue):
		return ue
	case errors.Is(err, errNotConfigured):
		return &userError{status: http.StatusServiceUnavailable, title: "Sign-in is not set up yet",
			message: "An administrator needs to connect latchkey to Keycloak first: Administrator login → Settings → Auth.", err: err}
	case errors.As(err, &down):
		return &userError{status: http.StatusBadGateway, title: "Keycloak cannot be reached",
			message: "latchkey could not reach the sign-in server. Try again in a minute; if it keeps failing, tell your administrator.", err: err}
	}
	return &userError{status: http.StatusInternalServerError, title: "Something went wrong",
		message: "latchkey hit an unexpected error. Try again; if it keeps failing, give your administrator the reference below.", err: err}
}

type errorView struct {
	layout
	Status         int
	Heading        string
	Message        string
	Back, BackText string
	Reference      string
}

// fail answers a browser request with an error page.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	ue, ref := s.logFailure(r, err)
	back, label := ue.back, ue.backLabel
	if back == "" {
		back, label = s.cfg.PublicURL.Path+"/", "Back to the start page"
	}
	s.render(w, ue.status, pageError, errorView{
		layout: s.layoutFor(ue.title), Status: ue.status, Heading: ue.title, Message: ue.message,
		Back: back, BackText: label, Reference: ref,
	})
}

// failJSON answers an API request with an error body.
func (s *Server) failJSON(w http.ResponseWriter, r *http.Request, err error) {
	ue, ref := s.logFailure(r, err)
	detail := ue.message
	if ref != "" {
		detail += " (reference " + ref + ")"
	}
	writeJSON(w, ue.status, map[string]string{"error": ue.title, "detail": detail})
}

// logFailure logs err once and returns its classification, plus a reference
// for server errors that a person can quote to an administrator.
func (s *Server) logFailure(r *http.Request, err error) (*userError, string) {
	ue := classify(err)
	if errors.Is(err, context.Canceled) {
		return ue, "" // the client went away; nothing to report
	}
	attrs := []any{"method", r.Method, "path", r.URL.Path, "status", ue.status, "err", err}
	if ue.status < http.StatusInternalServerError {
		s.log.Info("request refused", attrs...)
		return ue, ""
	}
	ref := newReference()
	s.log.Error("request failed", append(attrs, "ref", ref)...)
	return ue, ref
}

func newReference() string {
	b := make([]byte, 6)
	rand.Read(b)
	return hex.EncodeToString(b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		http.Error(w, `{"error":"internal error"}`, http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(append(body, '\n'))
}
