package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/latchkeyhq/latchkey/auth"
)

// Client calls a latchkey server's JSON API.
type Client struct {
	base string
	hc   *http.Client
}

// NewClient returns a client for the server at base (e.g. http://127.0.0.1:8008).
func NewClient(base string, hc *http.Client) *Client {
	return &Client{base: strings.TrimRight(base, "/"), hc: hc}
}

// StatusError is a non-success answer from the server.
type StatusError struct {
	Status int
	Body   Error
}

func (e *StatusError) Error() string {
	msg := fmt.Sprintf("server answered %d %s", e.Status, http.StatusText(e.Status))
	if e.Body.Error != "" {
		msg += ": " + e.Body.Error
	}
	return msg
}

// IsStatus reports whether err is a StatusError with that HTTP status.
func IsStatus(err error, status int) bool {
	var se *StatusError
	return errors.As(err, &se) && se.Status == status
}

// Health checks GET /healthz.
func (c *Client) Health(ctx context.Context) error {
	return c.do(ctx, http.MethodGet, "/healthz", "", nil, nil)
}

// Me returns the person behind token (a CLI token or a plugin key).
func (c *Client) Me(ctx context.Context, token auth.Secret) (Me, error) {
	var me Me
	err := c.do(ctx, http.MethodGet, "/api/v1/me", token, nil, &me)
	return me, err
}

// SetMyTeam picks the caller's team among their teams.
func (c *Client) SetMyTeam(ctx context.Context, token auth.Secret, team string) (Me, error) {
	var me Me
	err := c.do(ctx, http.MethodPut, "/api/v1/me/team", token, TeamChoice{Team: team}, &me)
	return me, err
}

// RotateMyKey replaces the caller's plugin key (CLI token only) and returns
// the account with the new key.
func (c *Client) RotateMyKey(ctx context.Context, token auth.Secret) (Me, error) {
	var me Me
	err := c.do(ctx, http.MethodPost, "/api/v1/me/plugin-key", token, nil, &me)
	return me, err
}

// AuthSettings reads the Keycloak settings (admin token).
func (c *Client) AuthSettings(ctx context.Context, admin auth.Secret) (AuthSettings, error) {
	var s AuthSettings
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/settings/auth", admin, nil, &s)
	return s, err
}

// UpdateAuthSettings validates and saves Keycloak settings (admin token). A
// failed check is a *StatusError with status 422 and the findings.
func (c *Client) UpdateAuthSettings(ctx context.Context, admin auth.Secret, u AuthSettingsUpdate) (AuthSettingsSaved, error) {
	var saved AuthSettingsSaved
	err := c.do(ctx, http.MethodPut, "/api/v1/admin/settings/auth", admin, u, &saved)
	return saved, err
}

// CheckAuthSettings runs the live checks at the server without saving
// anything: of the stored settings when u is nil, else of u (an omitted
// secret means the stored one).
func (c *Client) CheckAuthSettings(ctx context.Context, admin auth.Secret, u *AuthSettingsUpdate) (CheckReport, error) {
	var report CheckReport
	var body any
	if u != nil {
		body = u
	}
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/settings/auth/check", admin, body, &report)
	return report, err
}

// Users lists one page of realm users (admin token).
func (c *Client) Users(ctx context.Context, admin auth.Secret, search string, first, max int) (UserPage, error) {
	q := url.Values{"first": {strconv.Itoa(first)}, "max": {strconv.Itoa(max)}}
	if search != "" {
		q.Set("search", search)
	}
	var page UserPage
	err := c.do(ctx, http.MethodGet, "/api/v1/admin/users?"+q.Encode(), admin, nil, &page)
	return page, err
}

// SetUserTeam sets an administrator's team for a user; "" clears it.
func (c *Client) SetUserTeam(ctx context.Context, admin auth.Secret, userID, team string) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPut, "/api/v1/admin/users/"+url.PathEscape(userID)+"/team", admin, TeamChoice{Team: team}, &u)
	return u, err
}

// RotateUserKey replaces a user's plugin key; the new key is not returned.
func (c *Client) RotateUserKey(ctx context.Context, admin auth.Secret, userID string) (User, error) {
	var u User
	err := c.do(ctx, http.MethodPost, "/api/v1/admin/users/"+url.PathEscape(userID)+"/plugin-key", admin, nil, &u)
	return u, err
}

// RevokeUserKey revokes a user's plugin key.
func (c *Client) RevokeUserKey(ctx context.Context, admin auth.Secret, userID string) (User, error) {
	var u User
	err := c.do(ctx, http.MethodDelete, "/api/v1/admin/users/"+url.PathEscape(userID)+"/plugin-key", admin, nil, &u)
	return u, err
}

func (c *Client) do(ctx context.Context, method, path string, token auth.Secret, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return fmt.Errorf("encode request: %w", err)
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, body)
	if err != nil {
		return fmt.Errorf("build request: %w", err)
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if token.IsSet() {
		req.Header.Set("Authorization", "Bearer "+token.Reveal())
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("%s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode >= 300 {
		se := &StatusError{Status: resp.StatusCode}
		_ = json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&se.Body) // the status alone is enough
		return se
	}
	if out == nil {
		return nil
	}
	if err := json.NewDecoder(resp.Body).Decode(out); err != nil {
		return fmt.Errorf("decode %s answer: %w", path, err)
	}
	return nil
}
