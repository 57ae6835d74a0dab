package auth

import "strings"

// CheckInfo describes one check of Diagnose. Checks is the single source for
// everything that lists the checks (doctor's help, the README's
// troubleshooting table): a Finding's Title equals its CheckInfo's, and its
// Problem and Fix are the CheckInfo's with the <placeholders> filled in.
type CheckInfo struct {
	ID    string `json:"id"`
	Title string `json:"title"` // what holds when the check passes
	// Severity is the status when the problem is found: fail blocks saving
	// the settings, warn does not.
	Severity Status `json:"severity"`
	// Needs is the check this one builds on: when that one did not pass,
	// this one is skipped. Empty for the first.
	Needs   string `json:"needs,omitempty"`
	Problem string `json:"problem"` // the message when the check does not pass
	Fix     string `json:"fix"`     // what to do, in the guide's terms
}

// Check IDs, stable for scripts, the API and the README.
const (
	IDSettings       = "settings"
	IDDNS            = "dns"
	IDConnect        = "connect"
	IDTimeout        = "timeout"
	IDTLS            = "tls"
	IDKeycloak       = "keycloak"
	IDPath           = "path"
	IDRealm          = "realm"
	IDIssuer         = "issuer"
	IDClient         = "client"
	IDClientAuth     = "client-auth"
	IDClientSecret   = "client-secret"
	IDServiceAccount = "service-account"
	IDViewUsers      = "view-users"
	IDDirectGrants   = "direct-grants"
	IDRedirectURI    = "redirect-uri"
	IDStandardFlow   = "standard-flow"
	IDClock          = "clock"
	IDPublicURL      = "public-url"
)

// Placeholders in Problem and Fix, filled in for each finding.
const (
	phServerURL  = "<Server Url>"       // Server Url as entered, normalised
	phHost       = "<host>"             // host name of Server Url
	phAddress    = "<host:port>"        // host and port of Server Url
	phRealm      = "<realm>"            // Realm Name
	phClient     = "<client id>"        // Client ID
	phSuggested  = "<suggested URL>"    // where Keycloak was found instead
	phAnnounced  = "<announced URL>"    // the base URL in Keycloak's issuer
	phCallback   = "<callback>"         // CallbackURL(public URL)
	phPattern    = "<redirect pattern>" // RedirectURIPattern(public URL)
	phWebOrigin  = "<web origin>"       // WebOrigin(public URL)
	phPublicURL  = "<public URL>"       // latchkey's public URL
	phClockDelta = "<offset>"           // how far the clocks differ
)

// Checks lists every check in the order Diagnose runs and reports them.
var Checks = []CheckInfo{
	{ID: IDSettings, Title: "Settings are complete", Severity: StatusFail,
		Problem: "The settings are incomplete or not valid.",
		Fix:     "Fill in Server Url, Realm Name, Client ID and Client Secret Key as the answer says. latchkey's own public URL must be set too: serve --public-url or LATCHKEY_PUBLIC_URL."},
	{ID: IDDNS, Title: "Keycloak's host name resolves", Severity: StatusFail, Needs: IDSettings,
		Problem: "The host name " + phHost + " in Server Url does not resolve on this server.",
		Fix:     "Check " + phHost + " in Server Url for typos. The machine latchkey runs on must resolve it: check its DNS configuration (/etc/resolv.conf, a VPN or split-horizon DNS)."},
	{ID: IDConnect, Title: "Keycloak accepts connections", Severity: StatusFail, Needs: IDDNS,
		Problem: "Nothing accepts connections at " + phAddress + ".",
		Fix:     "Check the scheme and port in Server Url and that Keycloak is running there; a firewall between this server and Keycloak must let the connection through."},
	{ID: IDTimeout, Title: "Keycloak answers in time", Severity: StatusFail, Needs: IDConnect,
		Problem: "Keycloak at " + phAddress + " did not answer in time.",
		Fix:     "Check that Keycloak is up and not overloaded or still starting, and that no firewall silently drops this server's packets. If this server needs a proxy to reach Keycloak, set HTTPS_PROXY (and NO_PROXY) for latchkey."},
	{ID: IDTLS, Title: "Keycloak's TLS certificate is trusted", Severity: StatusFail, Needs: IDTimeout,
		Problem: "This server does not trust the TLS certificate of " + phAddress + ".",
		Fix:     "If Keycloak's certificate comes from a private CA, give latchkey the CA certificate (PEM) with serve --ca-file or LATCHKEY_CA_FILE, or add it to this machine's system store (Debian: copy it to /usr/local/share/ca-certificates/ and run update-ca-certificates). If the certificate has expired or names another host, renew it for " + phHost + ". If Keycloak speaks plain HTTP on that port, use http:// in Server Url."},
	{ID: IDKeycloak, Title: "Server Url points to Keycloak", Severity: StatusFail, Needs: IDTLS,
		Problem: phServerURL + " answers, but not as Keycloak: it serves no OpenID discovery document.",
		Fix:     "Set Server Url to Keycloak's base address, the part before /realms/ or /admin/ in the address of its admin console, e.g. https://sso.example.com."},
	{ID: IDPath, Title: "Server Url has the right path", Severity: StatusFail, Needs: IDKeycloak,
		Problem: "Keycloak is not served under the path of " + phServerURL + "; it answers at " + phSuggested + ".",
		Fix:     "Set Server Url to " + phSuggested + ". Keycloak 17 and later serve at the root, without /auth, unless started with --http-relative-path=/auth."},
	{ID: IDRealm, Title: "Realm exists", Severity: StatusFail, Needs: IDPath,
		Problem: "Keycloak at " + phServerURL + " has no realm named \"" + phRealm + "\".",
		Fix:     "Set Realm Name to the realm's name exactly as Realm settings → General → Realm name shows it in the Keycloak admin console; realm names are case-sensitive."},
	{ID: IDIssuer, Title: "Keycloak announces Server Url", Severity: StatusFail, Needs: IDRealm,
		Problem: "Keycloak announces itself at " + phAnnounced + ", not at " + phServerURL + ": its tokens would not verify.",
		Fix:     "If this server and people's browsers reach Keycloak at " + phAnnounced + ", set Server Url to that. Otherwise make Keycloak announce " + phServerURL + ": set its hostname (KC_HOSTNAME=" + phServerURL + " or --hostname) and, behind a reverse proxy, let it trust the proxy's headers (KC_PROXY_HEADERS=xforwarded or forwarded) and have the proxy send them."},
	{ID: IDClient, Title: "Client exists", Severity: StatusFail, Needs: IDIssuer,
		Problem: "Realm " + phRealm + " has no enabled client with Client ID \"" + phClient + "\".",
		Fix:     "Set Client ID to the client's ID as Clients in realm " + phRealm + " lists it (client IDs are case-sensitive), or create the client as the guide says (Clients → Create client). If the client is disabled: Clients → " + phClient + " → turn on Enabled."},
	{ID: IDClientAuth, Title: "Client authentication is on", Severity: StatusFail, Needs: IDClient,
		Problem: phClient + " is a public client: Client authentication is off, so it has no secret.",
		Fix:     "Clients → " + phClient + " → Settings → Capability config → turn on Client authentication, then Save; copy the new secret from Clients → " + phClient + " → Credentials into Client Secret Key."},
	{ID: IDClientSecret, Title: "Client secret is correct", Severity: StatusFail, Needs: IDClientAuth,
		Problem: "Keycloak refuses the client secret of " + phClient + ".",
		Fix:     "Copy Client Secret from Clients → " + phClient + " → Credentials into Client Secret Key (Client Authenticator must be Client Id and Secret)."},
	{ID: IDServiceAccount, Title: "Service accounts roles is on", Severity: StatusFail, Needs: IDClientSecret,
		Problem: phClient + " may not use a service account: Service accounts roles is off.",
		Fix:     "Clients → " + phClient + " → Settings → Capability config → turn on Service accounts roles, then Save; then give the service account view-users (next check)."},
	{ID: IDViewUsers, Title: "Service account can view users", Severity: StatusFail, Needs: IDServiceAccount,
		Problem: "The service account of " + phClient + " may not read the realm's users: the Admin API answers 403.",
		Fix:     "Clients → " + phClient + " → Service accounts roles → Assign role → Client roles → realm-management view-users → Assign."},
	// Only `latchkey login --password` (headless machines) uses direct
	// access grants; browser sign-in, the Users page and teams work without
	// them, so a client without them is usable and saving it is allowed.
	{ID: IDDirectGrants, Title: "Direct access grants is on", Severity: StatusWarn, Needs: IDClientSecret,
		Problem: phClient + " may not use direct access grants: latchkey login --password will fail (browser sign-in works).",
		Fix:     "Clients → " + phClient + " → Settings → Capability config → Authentication flow → turn on Direct access grants, then Save."},
	{ID: IDRedirectURI, Title: "latchkey's callback is a valid redirect URI", Severity: StatusFail, Needs: IDClient,
		Problem: "Keycloak does not accept latchkey's callback " + phCallback + " as a redirect URI of " + phClient + ".",
		Fix:     "Clients → " + phClient + " → Settings → Access settings → Valid redirect URIs: add " + phPattern + " (and under Web origins " + phWebOrigin + "), then Save."},
	{ID: IDStandardFlow, Title: "Standard flow is on", Severity: StatusFail, Needs: IDRedirectURI,
		Problem: phClient + " may not start a browser sign-in: Standard flow is off.",
		Fix:     "Clients → " + phClient + " → Settings → Capability config → Authentication flow → turn on Standard flow, then Save."},
	// A skew over 30 s warns; it fails when this server's clock is so far
	// ahead that tokens have expired on arrival (go-oidc allows no leeway on
	// exp), i.e. by at least the token lifespan.
	{ID: IDClock, Title: "Clocks agree", Severity: StatusWarn, Needs: IDRealm,
		Problem: "This server's clock and Keycloak's differ by " + phClockDelta + "; over 30 s makes tokens look expired early or not yet valid, and once it reaches the token lifespan every sign-in fails.",
		Fix:     "Synchronise the clocks of this server and Keycloak's host with NTP (systemd-timesyncd, chrony)."},
	{ID: IDPublicURL, Title: "latchkey's public URL is reachable from other machines", Severity: StatusWarn, Needs: IDSettings,
		Problem: "latchkey's public URL " + phPublicURL + " is a loopback address, but Keycloak at " + phServerURL + " is not on this machine: browsers elsewhere cannot come back to latchkey after signing in.",
		Fix:     "Start latchkey serve with --public-url (or LATCHKEY_PUBLIC_URL) set to the address people use to reach it, e.g. https://ai.example.com, and add that address followed by /* under Clients → " + phClient + " → Settings → Access settings → Valid redirect URIs."},
}

// CheckByID returns the check with the given ID.
func CheckByID(id string) (CheckInfo, bool) {
	for _, c := range Checks {
		if c.ID == id {
			return c, true
		}
	}
	return CheckInfo{}, false
}

// fill replaces the placeholders in text with values (placeholder → value);
// a placeholder without a value stays as it is.
func fill(text string, values map[string]string) string {
	pairs := make([]string, 0, 2*len(values))
	for ph, v := range values {
		if v != "" {
			pairs = append(pairs, ph, v)
		}
	}
	return strings.NewReplacer(pairs...).Replace(text)
}
