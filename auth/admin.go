package auth

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
)

// User is a realm user as the Admin REST API lists it.
type User struct {
	ID        string `json:"id"` // equals the "sub" claim of the user's tokens
	Username  string `json:"username"`
	Email     string `json:"email"`
	FirstName string `json:"firstName"`
	LastName  string `json:"lastName"`
	Enabled   bool   `json:"enabled"`
}

// UserQuery selects one page of realm users.
type UserQuery struct {
	Search     string // Keycloak's search over username, email, first and last name
	First, Max int
}

// ErrUserNotFound means the realm has no user with that ID (deleted).
var ErrUserNotFound = errors.New("user not found in keycloak")

// APIError is a non-success answer from Keycloak, with what it said.
type APIError struct {
	Method, URL string
	Status      int
	Code        string // OAuth "error", or Keycloak's "errorMessage"
	Description string // OAuth "error_description"
}

func (e *APIError) Error() string {
	msg := fmt.Sprintf("%s %s: %d %s", e.Method, e.URL, e.Status, http.StatusText(e.Status))
	if e.Code != "" {
		msg += ": " + e.Code
	}
	if e.Description != "" {
		msg += ": " + e.Description
	}
	return msg
}

// Users lists one page of realm users, never the whole realm.
func (k *Keycloak) Users(ctx context.Context, q UserQuery) ([]User, error) {
	v := url.Values{
		"briefRepresentation": {"true"},
		"first":               {strconv.Itoa(q.First)},
		"max":                 {strconv.Itoa(q.Max)},
	}
	if q.Search != "" {
		v.Set("search", q.Search)
	}
	var users []User
	if err := k.admin(ctx, "/users?"+v.Encode(), &users); err != nil {
		return nil, fmt.Errorf("list users: %w", err)
	}
	return users, nil
}

// CountUsers counts the realm users matching search.
func (k *Keycloak) CountUsers(ctx context.Context, search string) (int, error) {
	path := "/users/count"
	if search != "" {
		path += "?" + url.Values{"search": {search}}.Encode()
	}
	var n int
	if err := k.admin(ctx, path, &n); err != nil {
		return 0, fmt.Errorf("count users: %w", err)
	}
	return n, nil
}

// User reads one realm user; ErrUserNotFound when it is gone.
func (k *Keycloak) User(ctx context.Context, id string) (User, error) {
	var u User
	err := k.admin(ctx, "/users/"+url.PathEscape(id), &u)
	var apiErr *APIError
	if errors.As(err, &apiErr) && apiErr.Status == http.StatusNotFound {
		return User{}, ErrUserNotFound
	}
	if err != nil {
		return User{}, fmt.Errorf("read user: %w", err)
	}
	return u, nil
}

// UserGroups returns the team names of the user's Keycloak groups, read with
// the service account so the realm needs no groups token mapper.
func (k *Keycloak) UserGroups(ctx context.Context, id string) ([]string, error) {
	var groups []struct {
		Path string `json:"path"`
	}
	if err := k.admin(ctx, "/users/"+url.PathEscape(id)+"/groups?briefRepresentation=true", &groups); err != nil {
		return nil, fmt.Errorf("read user groups: %w", err)
	}
	paths := make([]string, len(groups))
	for i, g := range groups {
		paths[i] = g.Path
	}
	return GroupNames(paths), nil
}

// admin GETs path under the realm's Admin API with a service-account token.
func (k *Keycloak) admin(ctx context.Context, path string, out any) error {
	tok, err := k.service.Token()
	if err != nil {
		return fmt.Errorf("service account token: %w", err)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, k.settings.AdminBase()+path, nil)
	if err != nil {
		return err
	}
	tok.SetAuthHeader(req)
	req.Header.Set("Accept", "application/json")
	resp, err := k.hc.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return readAPIError(resp)
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s: %w", req.URL.Path, err)
	}
	return nil
}

// readAPIError builds an APIError from a response, keeping only Keycloak's
// error fields (a body can be large or hold HTML).
func readAPIError(resp *http.Response) error {
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var kc struct {
		Error        string `json:"error"`
		Description  string `json:"error_description"`
		ErrorMessage string `json:"errorMessage"`
	}
	_ = json.Unmarshal(body, &kc) // not JSON: the status alone is the answer
	code := kc.Error
	if code == "" {
		code = kc.ErrorMessage
	}
	u := *resp.Request.URL
	u.RawQuery = ""
	return &APIError{Method: resp.Request.Method, URL: u.String(), Status: resp.StatusCode, Code: code, Description: kc.Description}
}
