package server

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"

	"github.com/latchkeyhq/latchkey/assets"
)

// page names, one template file each.
const (
	pageLogin        = "login.html"
	pageProfile      = "profile.html"
	pageError        = "error.html"
	pageAdminLogin   = "admin_login.html"
	pageAuthSettings = "admin_auth.html"
	pageUsers        = "admin_users.html"
)

// parsePages parses every page together with the layout, once at start-up.
func parsePages() (map[string]*template.Template, error) {
	files, err := fs.Glob(assets.Templates(), "templates/*.html")
	if err != nil {
		return nil, fmt.Errorf("list templates: %w", err)
	}
	pages := map[string]*template.Template{}
	for _, f := range files {
		name := strings.TrimPrefix(f, "templates/")
		if name == "layout.html" {
			continue
		}
		t, err := template.New(name).Funcs(templateFuncs).ParseFS(assets.Templates(), "templates/layout.html", f)
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", name, err)
		}
		pages[name] = t
	}
	return pages, nil
}

var templateFuncs = template.FuncMap{
	"statusClass": func(s any) string { return fmt.Sprintf("status-%v", s) },
}

// layout is what every page's frame needs.
type layout struct {
	Title string
	Base  string // path prefix of the public URL, "" at the root
	Admin bool   // show the administrator navigation
	Nav   string // the administrator menu entry to highlight
}

// render writes a page with status; a template error becomes a plain 500
// rather than half a page.
func (s *Server) render(w http.ResponseWriter, status int, name string, view any) {
	t, ok := s.pages[name]
	if !ok {
		s.log.Error("render: no such page", "page", name)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, "layout", view); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes())
}

// layoutFor fills the frame of a page.
func (s *Server) layoutFor(title string) layout {
	return layout{Title: title, Base: s.cfg.PublicURL.Path}
}
