package server

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/server/api"
)

const usersPerPage = 20

type usersView struct {
	layout
	Users       []api.User
	Search      string
	Page, Pages int
	Total       int
	Prev, Next  string // links to the neighbouring pages, "" at the ends
	Flash       string
}

func (s *Server) usersPage(w http.ResponseWriter, r *http.Request) {
	search := strings.TrimSpace(r.URL.Query().Get("q"))
	page, _ := strconv.Atoi(r.URL.Query().Get("page"))
	page = max(page, 1)
	list, err := s.listUsers(r.Context(), search, (page-1)*usersPerPage, usersPerPage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := usersView{
		layout: s.layoutFor("Users"), Users: list.Users, Search: search, Page: page, Total: list.Total,
		Pages: max(1, (list.Total+usersPerPage-1)/usersPerPage), Flash: userFlashes[r.URL.Query().Get("done")],
	}
	v.Admin, v.Nav = true, "users"
	if page > 1 {
		v.Prev = s.usersURL(search, page-1, "")
	}
	if page < v.Pages {
		v.Next = s.usersURL(search, page+1, "")
	}
	s.render(w, http.StatusOK, pageUsers, v)
}

var userFlashes = map[string]string{
	"team":    "Team saved.",
	"rotated": "Plugin key rotated: the old key no longer works. The user sees the new key on their profile page.",
	"revoked": "Plugin key revoked: it no longer works. The user can create a new one on their profile page.",
}

func listPosition(search string, page int) url.Values {
	return url.Values{"q": {search}, "page": {strconv.Itoa(page)}}
}

func (s *Server) usersURL(search string, page int, done string) string {
	q := listPosition(search, page)
	if search == "" {
		q.Del("q")
	}
	if done != "" {
		q.Set("done", done)
	}
	return s.cfg.PublicURL.Path + "/admin/users?" + q.Encode()
}

// userForm runs an administrator's action from the Users page and returns
// to the same place in the list.
func (s *Server) userForm(w http.ResponseWriter, r *http.Request, done string, act userAction) {
	if _, err := s.actOnUser(r.Context(), r.PathValue("id"), done, act); err != nil {
		s.fail(w, r, err)
		return
	}
	page, _ := strconv.Atoi(r.PostFormValue("page"))
	http.Redirect(w, r, s.usersURL(r.PostFormValue("q"), max(page, 1), done), http.StatusSeeOther)
}

func (s *Server) userTeamForm(w http.ResponseWriter, r *http.Request) {
	s.userForm(w, r, "team", s.setTeamAction(strings.TrimSpace(r.PostFormValue("team"))))
}

func (s *Server) userRotateForm(w http.ResponseWriter, r *http.Request) {
	s.userForm(w, r, "rotated", s.rotateAction)
}

func (s *Server) userRevokeForm(w http.ResponseWriter, r *http.Request) {
	s.userForm(w, r, "revoked", s.revokeAction)
}
