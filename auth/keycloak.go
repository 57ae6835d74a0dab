package auth

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
)

// Settings is one Keycloak configuration, as entered on the Auth page.
type Settings struct {
	Enabled      bool
	URL          string // base URL of Keycloak, normalised by NormalizeURL
	Realm        string
	ClientID     string
	ClientSecret Secret
}

// FieldError names the settings field a problem belongs to, so a form can
// show it next to that field.
type FieldError struct {
	Field   string // "url", "realm", "client_id" or "client_secret"
	Message string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Message }

// Normalize checks the fields' syntax and returns the settings with the URL
// in canonical form. It does not contact Keycloak.
func (s Settings) Normalize() (Settings, error) {
	u, err := NormalizeURL(s.URL)
	if err != nil {
		return s, &FieldError{Field: "url", Message: err.Error()}
	}
	s.URL = u
	s.Realm = strings.TrimSpace(s.Realm)
	s.ClientID = strings.TrimSpace(s.ClientID)
	switch {
	case s.Realm == "":
		return s, &FieldError{Field: "realm", Message: "enter the realm name, exactly as Keycloak shows it (names are case-sensitive)"}
	case strings.ContainsAny(s.Realm, "/?#"):
		return s, &FieldError{Field: "realm", Message: "a realm name cannot contain / ? or #"}
	case s.ClientID == "":
		return s, &FieldError{Field: "client_id", Message: "enter the Client ID of the client created for latchkey"}
	case !s.ClientSecret.IsSet():
		return s, &FieldError{Field: "client_secret", Message: "enter the client secret (Clients → client → Credentials)"}
	}
	return s, nil
}

// NormalizeURL turns a Keycloak base URL as typed by a person into canonical
// form: http or https, a host, no query or fragment, no trailing slash. A path
// prefix such as the legacy "/auth" is kept.
func NormalizeURL(raw string) (string, error) {
	raw = strings.TrimSpace(raw)
	if raw == "" {
		return "", errors.New("enter the Keycloak server URL, e.g. https://sso.example.com")
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", fmt.Errorf("not a valid URL: %w", err)
	}
	switch {
	case u.Scheme != "http" && u.Scheme != "https":
		return "", errors.New("the URL must start with https:// (or http:// for a local test server)")
	case u.Host == "" || u.Hostname() == "":
		return "", errors.New("the URL has no host name")
	case u.User != nil:
		return "", errors.New("the URL must not contain a user name or password")
	case u.RawQuery != "" || u.Fragment != "":
		return "", errors.New("the URL must not contain ? or #")
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u.String(), nil
}

// Issuer is the realm's issuer URL, the base of its discovery document.
func (s Settings) Issuer() string {
	return s.URL + "/realms/" + url.PathEscape(s.Realm)
}

// AdminBase is the realm's Admin REST API base URL.
func (s Settings) AdminBase() string {
	return s.URL + "/admin/realms/" + url.PathEscape(s.Realm)
}

// ParsePublicURL checks the URL under which people reach latchkey and returns
// it without a trailing slash.
func ParsePublicURL(raw string) (*url.URL, error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return nil, fmt.Errorf("parse public URL: %w", err)
	}
	if (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("public URL %q: want http(s)://host[:port][/path]", raw)
	}
	if u.RawQuery != "" || u.Fragment != "" || u.User != nil {
		return nil, fmt.Errorf("public URL %q: no user info, query or fragment allowed", raw)
	}
	u.Path = strings.TrimRight(u.Path, "/")
	u.RawPath = ""
	return u, nil
}

// DefaultPublicURL derives the public URL from a listen address. An
// unspecified host (":8008", "0.0.0.0:8008") becomes 127.0.0.1, which only
// works on this machine; production deploys set --public-url.
func DefaultPublicURL(listen string) (*url.URL, error) {
	host, port, err := net.SplitHostPort(listen)
	if err != nil {
		return nil, fmt.Errorf("listen address %q: %w", listen, err)
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "127.0.0.1"
	}
	return &url.URL{Scheme: "http", Host: net.JoinHostPort(host, port)}, nil
}

// CallbackURL is where Keycloak sends the browser back after sign-in.
func CallbackURL(public *url.URL) string { return public.String() + "/login/keycloak/callback" }

// RedirectURIPattern is the Valid Redirect URIs entry to register in Keycloak.
func RedirectURIPattern(public *url.URL) string { return public.String() + "/*" }

// WebOrigin is the Web Origins entry to register in Keycloak.
func WebOrigin(public *url.URL) string { return public.Scheme + "://" + public.Host + "/" }
