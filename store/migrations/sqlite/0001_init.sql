-- Times are Unix seconds (UTC). Secrets are never stored in clear: bearer
-- credentials as SHA-256, recoverable secrets sealed with AES-GCM.

CREATE TABLE keycloak_settings (
    id                   INTEGER PRIMARY KEY CHECK (id = 1),
    enabled              INTEGER NOT NULL,
    url                  TEXT    NOT NULL,
    realm                TEXT    NOT NULL,
    client_id            TEXT    NOT NULL,
    client_secret_sealed BLOB    NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE admin_token (
    id         INTEGER PRIMARY KEY CHECK (id = 1),
    hash       BLOB    NOT NULL,
    created_at INTEGER NOT NULL
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    issuer        TEXT    NOT NULL,
    subject       TEXT    NOT NULL,
    username      TEXT    NOT NULL DEFAULT '',
    email         TEXT    NOT NULL DEFAULT '',
    name          TEXT    NOT NULL DEFAULT '',
    teams         TEXT    NOT NULL DEFAULT '[]', -- JSON list: Keycloak groups at last sign-in
    chosen_team   TEXT    NOT NULL DEFAULT '',   -- the user's pick among teams
    team_override TEXT    NOT NULL DEFAULT '',   -- set by an administrator
    created_at    INTEGER NOT NULL,
    last_login_at INTEGER,                       -- NULL until the first sign-in
    UNIQUE (issuer, subject)
);

CREATE TABLE plugin_keys (
    id           INTEGER PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    hash         BLOB    NOT NULL UNIQUE,
    sealed       BLOB    NOT NULL,
    created_at   INTEGER NOT NULL,
    revoked_at   INTEGER,
    last_used_at INTEGER
);
-- One active key per user.
CREATE UNIQUE INDEX plugin_keys_active ON plugin_keys (user_id) WHERE revoked_at IS NULL;

CREATE TABLE sessions (
    hash            BLOB    PRIMARY KEY,
    kind            TEXT    NOT NULL CHECK (kind IN ('user', 'admin')),
    user_id         INTEGER REFERENCES users (id) ON DELETE CASCADE,
    id_token_sealed BLOB,
    created_at      INTEGER NOT NULL,
    last_seen_at    INTEGER NOT NULL,
    expires_at      INTEGER NOT NULL
);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- A sign-in in flight, so that any replica can finish it. Rows are consumed
-- once and expire after a few minutes.
CREATE TABLE login_states (
    state_hash      BLOB    PRIMARY KEY,
    nonce           TEXT    NOT NULL,
    verifier_sealed BLOB    NOT NULL,
    return_to       TEXT    NOT NULL DEFAULT '',
    expires_at      INTEGER NOT NULL
);
