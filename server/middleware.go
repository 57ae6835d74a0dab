package server

import (
	"fmt"
	"io/fs"
	"net/http"
	"runtime/debug"
)

// csp forbids inline script and style and any third-party origin: every
// script, style and image comes from /assets.
var csp = cspAllowingForms("")

// cspAllowingForms is the CSP with form submissions (and the redirects they
// lead to) also allowed to go to origin.
func cspAllowingForms(origin string) string {
	forms := "'self'"
	if origin != "" {
		forms += " " + origin
	}
	return "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
		"font-src 'self'; form-action " + forms + "; frame-ancestors 'none'; base-uri 'none'"
}

// securityHeaders sets the headers every response carries. Referrer-Policy
// no-referrer keeps codes and states in URLs away from other sites.
func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// recoverPanics turns a handler panic into a logged 500 instead of a dropped
// connection with a stack trace on stderr.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				s.log.Error("handler panic", "path", r.URL.Path, "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				s.fail(w, r, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// staticFiles serves the embedded assets; they change only with the binary,
// so browsers may cache them for a day.
func staticFiles(fsys fs.FS) http.Handler {
	files := http.FileServerFS(fsys)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=86400")
		files.ServeHTTP(w, r)
	})
}
