package auth

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/oauth2"
)

// CLIClientID is the terminal client's OAuth client ID at a latchkey server,
// which is the authorization server for it (and brokers the sign-in to
// Keycloak, so the Keycloak client secret never leaves the server).
const CLIClientID = "latchkey-cli"

// CheckLoopbackRedirect accepts only RFC 8252 loopback redirect URIs:
// http://127.0.0.1:<port>/… or http://[::1]:<port>/…, with an explicit port.
func CheckLoopbackRedirect(raw string) error {
	u, err := url.Parse(raw)
	if err != nil {
		return fmt.Errorf("redirect_uri: %w", err)
	}
	host, port, err := net.SplitHostPort(u.Host)
	ip := net.ParseIP(host)
	switch {
	case u.Scheme != "http" || err != nil || port == "" || ip == nil || !ip.IsLoopback() || (ip.To4() != nil && host != "127.0.0.1"):
		return errors.New("redirect_uri must be http://127.0.0.1:<port>/… or http://[::1]:<port>/…")
	case u.User != nil || u.Fragment != "":
		return errors.New("redirect_uri must not hold user info or a fragment")
	}
	return nil
}

// CLITokens are what the terminal client keeps after signing in.
type CLITokens struct {
	Access  Secret
	Refresh Secret
	Expiry  time.Time
}

// ErrLoginRequired means the server refused the refresh token: the person
// must sign in again.
var ErrLoginRequired = errors.New("login required")

// CLI is the terminal client's OAuth client for one latchkey server.
type CLI struct {
	server string
	hc     *http.Client
}

// NewCLI returns the OAuth client for the latchkey server at base.
func NewCLI(base string, hc *http.Client) *CLI {
	return &CLI{server: strings.TrimRight(base, "/"), hc: hc}
}

func (c *CLI) config(redirectURI string) oauth2.Config {
	return oauth2.Config{
		ClientID:    CLIClientID,
		RedirectURL: redirectURI,
		Endpoint: oauth2.Endpoint{
			AuthURL: c.server + "/oauth/authorize", TokenURL: c.server + "/oauth/token", AuthStyle: oauth2.AuthStyleInParams,
		},
	}
}

// AuthCodeURL is where the browser starts the sign-in: PKCE S256 with
// verifier, and state.
func (c *CLI) AuthCodeURL(redirectURI, state, verifier string) string {
	cfg := c.config(redirectURI)
	return cfg.AuthCodeURL(state, oauth2.S256ChallengeOption(verifier))
}

// Exchange redeems the authorization code with the PKCE verifier.
func (c *CLI) Exchange(ctx context.Context, code, redirectURI, verifier string) (CLITokens, error) {
	cfg := c.config(redirectURI)
	tok, err := cfg.Exchange(c.ctx(ctx), code, oauth2.VerifierOption(verifier))
	if err != nil {
		return CLITokens{}, fmt.Errorf("redeem sign-in code: %w", err)
	}
	return cliTokens(tok), nil
}

// Password signs in with a username and password, which the server turns
// into a Keycloak Direct Access Grant.
func (c *CLI) Password(ctx context.Context, username string, password Secret) (CLITokens, error) {
	cfg := c.config("")
	tok, err := cfg.PasswordCredentialsToken(c.ctx(ctx), username, password.Reveal())
	if err != nil {
		return CLITokens{}, fmt.Errorf("password sign-in: %w", err)
	}
	return cliTokens(tok), nil
}

// Refresh trades a refresh token for new tokens (the old one stops working).
// A refusal is ErrLoginRequired.
func (c *CLI) Refresh(ctx context.Context, refresh Secret) (CLITokens, error) {
	cfg := c.config("")
	tok, err := cfg.TokenSource(c.ctx(ctx), &oauth2.Token{RefreshToken: refresh.Reveal()}).Token()
	var re *oauth2.RetrieveError
	if errors.As(err, &re) && (re.ErrorCode == "invalid_grant" || re.ErrorCode == "invalid_client") {
		return CLITokens{}, fmt.Errorf("%w: %s", ErrLoginRequired, re.ErrorDescription)
	}
	if err != nil {
		return CLITokens{}, fmt.Errorf("refresh sign-in: %w", err)
	}
	return cliTokens(tok), nil
}

// Revoke ends the sign-in that token (access or refresh) belongs to.
func (c *CLI) Revoke(ctx context.Context, token Secret) error {
	form := url.Values{"token": {token.Reveal()}, "client_id": {CLIClientID}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, c.server+"/oauth/revoke", strings.NewReader(form.Encode()))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := c.hc.Do(req)
	if err != nil {
		return fmt.Errorf("revoke sign-in: %w", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("revoke sign-in: server answered %s", resp.Status)
	}
	return nil
}

func (c *CLI) ctx(ctx context.Context) context.Context {
	return context.WithValue(ctx, oauth2.HTTPClient, c.hc)
}

func cliTokens(tok *oauth2.Token) CLITokens {
	return CLITokens{Access: Secret(tok.AccessToken), Refresh: Secret(tok.RefreshToken), Expiry: tok.Expiry}
}
