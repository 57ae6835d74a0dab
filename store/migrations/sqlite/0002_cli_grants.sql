-- The terminal client's sign-in: latchkey is the OAuth authorization server of
-- its public client "latchkey-cli".

-- The Keycloak session a browser session belongs to, so that signing out
-- revokes the CLI grants issued under it.
ALTER TABLE sessions ADD COLUMN keycloak_session TEXT NOT NULL DEFAULT '';

-- A pending CLI authorization request (JSON), while the browser is at Keycloak.
ALTER TABLE login_states ADD COLUMN cli_request TEXT NOT NULL DEFAULT '';

-- One CLI sign-in. Its Keycloak refresh token ties it to the Keycloak
-- session: every CLI refresh redeems it, so a sign-out at Keycloak ends it.
CREATE TABLE cli_grants (
    id                      INTEGER PRIMARY KEY,
    user_id                 INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    keycloak_session        TEXT    NOT NULL DEFAULT '',
    keycloak_refresh_sealed BLOB,
    created_at              INTEGER NOT NULL,
    revoked_at              INTEGER
);
CREATE INDEX cli_grants_session ON cli_grants (keycloak_session);

-- Authorization codes, access and refresh tokens of CLI grants, by SHA-256.
-- Codes and refresh tokens work once: used_at is set on first use, and a
-- second use revokes the whole grant.
CREATE TABLE cli_tokens (
    hash         BLOB    PRIMARY KEY,
    grant_id     INTEGER NOT NULL REFERENCES cli_grants (id) ON DELETE CASCADE,
    kind         TEXT    NOT NULL CHECK (kind IN ('code', 'access', 'refresh')),
    expires_at   INTEGER NOT NULL,
    used_at      INTEGER,
    redirect_uri TEXT    NOT NULL DEFAULT '', -- codes: the request's exact redirect URI
    challenge    TEXT    NOT NULL DEFAULT ''  -- codes: the PKCE S256 challenge
);
CREATE INDEX cli_tokens_grant ON cli_tokens (grant_id);
CREATE INDEX cli_tokens_expires ON cli_tokens (expires_at);
