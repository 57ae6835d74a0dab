// Package auth holds latchkey's protocol code: Keycloak settings and their URL
// rules, OpenID Connect sign-in, the Keycloak Admin REST API client, the
// plugin-key format and the live checks of a Keycloak configuration. It has no
// HTTP handlers and no UI of its own.
package auth
