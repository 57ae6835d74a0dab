package auth

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// Keycloak is latchkey's connection to one realm: the OpenID Connect relying
// party for sign-in and the service-account client for the Admin REST API.
type Keycloak struct {
	settings   Settings
	hc         *http.Client
	verifier   *oidc.IDTokenVerifier
	oauth      oauth2.Config
	endSession string
	service    oauth2.TokenSource // client-credentials tokens for the Admin API
}

// Identity is what a verified sign-in tells about a person.
type Identity struct {
	Issuer, Subject       string
	Username, Email, Name string
	Groups                []string // from a "groups" claim, when the realm maps one
	HasGroupsClaim        bool
	IDToken               Secret // kept server-side as id_token_hint for logout
	Session               string // Keycloak's session ID (the "sid" claim)
	RefreshToken          Secret // Keycloak's refresh token, kept server-side
}

// Connect fetches the realm's discovery document and prepares the clients.
// redirectURL is this server's callback.
func Connect(ctx context.Context, hc *http.Client, s Settings, redirectURL string) (*Keycloak, error) {
	provider, err := oidc.NewProvider(oidc.ClientContext(ctx, hc), s.Issuer())
	if err != nil {
		return nil, fmt.Errorf("discover realm %q: %w", s.Realm, err)
	}
	var meta struct {
		EndSession string `json:"end_session_endpoint"`
	}
	if err := provider.Claims(&meta); err != nil {
		return nil, fmt.Errorf("read discovery document: %w", err)
	}
	endpoint := provider.Endpoint()
	endpoint.AuthStyle = oauth2.AuthStyleInHeader
	cc := clientcredentials.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret.Reveal(),
		TokenURL:     endpoint.TokenURL,
		AuthStyle:    oauth2.AuthStyleInHeader,
	}
	// The token source outlives this call, so it gets a context that carries
	// only the HTTP client; each fetch is bounded by the client's timeout.
	tokenCtx := context.WithValue(context.Background(), oauth2.HTTPClient, hc)
	return &Keycloak{
		settings: s,
		hc:       hc,
		verifier: provider.Verifier(&oidc.Config{ClientID: s.ClientID}),
		oauth: oauth2.Config{
			ClientID:     s.ClientID,
			ClientSecret: s.ClientSecret.Reveal(),
			Endpoint:     endpoint,
			RedirectURL:  redirectURL,
			Scopes:       []string{oidc.ScopeOpenID, "profile", "email"},
		},
		endSession: meta.EndSession,
		service:    oauth2.ReuseTokenSource(nil, cc.TokenSource(tokenCtx)),
	}, nil
}

// Settings returns the settings this connection was made with.
func (k *Keycloak) Settings() Settings { return k.settings }

// AuthCodeURL is where the browser goes to sign in: authorization code flow
// with PKCE S256, state and nonce.
func (k *Keycloak) AuthCodeURL(state, nonce, verifier string) string {
	return k.oauth.AuthCodeURL(state, oidc.Nonce(nonce), oauth2.S256ChallengeOption(verifier))
}

// Exchange trades an authorization code for tokens and returns the verified
// identity. Keycloak's access and refresh tokens are not kept.
func (k *Keycloak) Exchange(ctx context.Context, code, verifier, nonce string) (Identity, error) {
	tok, err := k.oauth.Exchange(k.clientCtx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return Identity{}, fmt.Errorf("exchange authorization code: %w", err)
	}
	return k.identity(ctx, tok, nonce)
}

// PasswordLogin signs a person in with a Direct Access Grant.
func (k *Keycloak) PasswordLogin(ctx context.Context, username string, password Secret) (Identity, error) {
	tok, err := k.oauth.PasswordCredentialsToken(k.clientCtx(ctx), username, password.Reveal())
	if err != nil {
		return Identity{}, fmt.Errorf("password grant: %w", err)
	}
	return k.identity(ctx, tok, "")
}

// Refresh checks that the Keycloak session behind refreshToken is still
// alive by redeeming it, and returns the new refresh token. Keycloak refuses
// it (an *oauth2.RetrieveError with invalid_grant) once the person signed
// out, the session expired, or the user was disabled.
func (k *Keycloak) Refresh(ctx context.Context, refreshToken Secret) (Secret, error) {
	tok, err := k.oauth.TokenSource(k.clientCtx(ctx), &oauth2.Token{RefreshToken: refreshToken.Reveal()}).Token()
	if err != nil {
		return "", fmt.Errorf("refresh keycloak session: %w", err)
	}
	return Secret(tok.RefreshToken), nil
}

// ErrNonceMismatch means an ID token was not minted for this login attempt.
var ErrNonceMismatch = errors.New("id token nonce does not match the login attempt")

func (k *Keycloak) identity(ctx context.Context, tok *oauth2.Token, nonce string) (Identity, error) {
	raw, ok := tok.Extra("id_token").(string)
	if !ok || raw == "" {
		return Identity{}, errors.New("token response has no id_token: is the openid scope allowed for this client?")
	}
	idt, err := k.verifier.Verify(oidc.ClientContext(ctx, k.hc), raw)
	if err != nil {
		return Identity{}, fmt.Errorf("verify id token: %w", err)
	}
	if nonce != "" && idt.Nonce != nonce {
		return Identity{}, ErrNonceMismatch
	}
	var claims struct {
		Session  string    `json:"sid"`
		Username string    `json:"preferred_username"`
		Email    string    `json:"email"`
		Name     string    `json:"name"`
		Groups   *[]string `json:"groups"`
	}
	if err := idt.Claims(&claims); err != nil {
		return Identity{}, fmt.Errorf("read id token claims: %w", err)
	}
	id := Identity{
		Issuer: idt.Issuer, Subject: idt.Subject,
		Username: claims.Username, Email: claims.Email, Name: claims.Name,
		IDToken: Secret(raw), Session: claims.Session, RefreshToken: Secret(tok.RefreshToken),
	}
	if claims.Groups != nil {
		id.HasGroupsClaim = true
		id.Groups = GroupNames(*claims.Groups)
	}
	return id, nil
}

// LogoutURL is Keycloak's RP-initiated logout for the session behind
// idTokenHint; Keycloak sends the browser on to postLogout afterwards.
func (k *Keycloak) LogoutURL(idTokenHint Secret, postLogout string) string {
	if k.endSession == "" {
		return postLogout
	}
	q := url.Values{"client_id": {k.settings.ClientID}, "post_logout_redirect_uri": {postLogout}}
	if idTokenHint.IsSet() {
		q.Set("id_token_hint", idTokenHint.Reveal())
	}
	sep := "?"
	if strings.Contains(k.endSession, "?") {
		sep = "&"
	}
	return k.endSession + sep + q.Encode()
}

func (k *Keycloak) clientCtx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, k.hc)
}

// GroupNames turns Keycloak group paths ("/eng/backend") into team names
// ("eng/backend"); top-level groups keep their plain name.
func GroupNames(paths []string) []string {
	out := make([]string, 0, len(paths))
	for _, p := range paths {
		if name := strings.Trim(p, "/"); name != "" {
			out = append(out, name)
		}
	}
	return out
}
