// Package api is the wire format of latchkey's JSON API and a typed client
// for it. The server encodes these types and the terminal client decodes
// them, so both sides share one definition.
package api

import (
	"time"

	"github.com/latchkeyhq/latchkey/auth"
)

// Me is GET /api/v1/me: the signed-in person.
type Me struct {
	Account  string   `json:"account"`
	Email    string   `json:"email"`
	Username string   `json:"username"`
	Name     string   `json:"name"`
	Team     string   `json:"team"`
	Teams    []string `json:"teams"`
	Endpoint string   `json:"endpoint"`
	// PluginAPIKey is sent only to a CLI token, never to a plugin key.
	PluginAPIKey string `json:"plugin_api_key,omitempty"`
}

// TeamChoice is the body of PUT /api/v1/me/team and of the admin's
// PUT /api/v1/admin/users/{id}/team ("" there clears the override).
type TeamChoice struct {
	Team string `json:"team"`
}

// AuthSettings is GET /api/v1/admin/settings/auth. The client secret is
// write-only: only whether one is set comes back.
type AuthSettings struct {
	Enabled         bool   `json:"enabled"`
	URL             string `json:"url"`
	Realm           string `json:"realm"`
	ClientID        string `json:"client_id"`
	ClientSecretSet bool   `json:"client_secret_set"`
	// PublicURL is this server's public URL: Keycloak's Valid Redirect URIs
	// must cover PublicURL + "/*".
	PublicURL string `json:"public_url"`
}

// AuthSettingsUpdate is the body of PUT /api/v1/admin/settings/auth. An
// omitted client_secret keeps the stored one.
type AuthSettingsUpdate struct {
	Enabled      bool    `json:"enabled"`
	URL          string  `json:"url"`
	Realm        string  `json:"realm"`
	ClientID     string  `json:"client_id"`
	ClientSecret *string `json:"client_secret,omitempty"`
	// SaveAnyway saves even when checks fail (the answer still lists them).
	SaveAnyway bool `json:"save_anyway,omitempty"`
}

// CheckReport answers POST /api/v1/admin/settings/auth/check: every live
// check of the settings, run from the server, and their overall status.
type CheckReport struct {
	Status   auth.Status    `json:"status"` // ok, warn or fail
	Findings []auth.Finding `json:"findings"`
}

// AuthSettingsSaved answers a successful PUT: the settings now in force and
// the checks they passed.
type AuthSettingsSaved struct {
	Settings AuthSettings   `json:"settings"`
	Findings []auth.Finding `json:"findings"`
}

// User is one realm user on the administrator's list, joined with what
// latchkey knows of them.
type User struct {
	ID           string     `json:"id"` // Keycloak user ID (the "sub" claim)
	Account      string     `json:"account"`
	Username     string     `json:"username"`
	Email        string     `json:"email"`
	Name         string     `json:"name"`
	Enabled      bool       `json:"enabled"`
	Team         string     `json:"team"`
	Teams        []string   `json:"teams"`
	TeamOverride string     `json:"team_override"`
	SignedIn     bool       `json:"signed_in"`
	LastLoginAt  *time.Time `json:"last_login_at,omitempty"`
	KeyActive    bool       `json:"key_active"`
	KeyCreatedAt *time.Time `json:"key_created_at,omitempty"`
}

// UserPage is GET /api/v1/admin/users: one page of the realm's users.
type UserPage struct {
	Users []User `json:"users"`
	Total int    `json:"total"`
	First int    `json:"first"`
	Max   int    `json:"max"`
}

// Error is the body of every failed API call.
type Error struct {
	Error    string         `json:"error"`
	Detail   string         `json:"detail,omitempty"`
	Findings []auth.Finding `json:"findings,omitempty"`
}

// PluginLogin is GET /v1/login for a good plugin key, in the shape Refact's
// IDE plugins expect.
type PluginLogin struct {
	Retcode string `json:"retcode"` // "OK"
	Account string `json:"account"`
	Team    string `json:"team"`
}

// PluginFailure is the 401 body for a bad or missing plugin key.
type PluginFailure struct {
	Detail               string `json:"detail"`
	Retcode              string `json:"retcode"` // "FAILED"
	HumanReadableMessage string `json:"human_readable_message"`
}
