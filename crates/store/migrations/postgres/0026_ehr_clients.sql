-- EHR systems a practice registers as SMART Backend Services clients
-- (issue 17). The client presents its id as client_id and proves itself
-- with a JWT assertion signed by a key in jwks (public keys only, RS384 or
-- ES384); scopes are the SMART system scopes it was granted. Revoking
-- keeps the row: the audit log names clients by id.
-- Keep in step with ../sqlite/0026_ehr_clients.sql.
CREATE TABLE ehr_clients (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    jwks TEXT NOT NULL,
    created_by BYTEA NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    revoked_at BIGINT,
    revoked_by BYTEA REFERENCES users (id),
    last_used_at BIGINT
);
CREATE INDEX ehr_clients_practice ON ehr_clients (practice_id, created_at);

-- Access tokens, by the SHA-256 of the token (never the token), with the
-- scopes granted for them; purged by housekeeping after they expire.
CREATE TABLE ehr_tokens (
    token_hash BYTEA PRIMARY KEY,
    client_id BYTEA NOT NULL REFERENCES ehr_clients (id),
    scopes TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX ehr_tokens_client ON ehr_tokens (client_id);
CREATE INDEX ehr_tokens_expiry ON ehr_tokens (expires_at);

-- Each assertion's jti, spent once (a replayed assertion is refused),
-- kept until the assertion itself would have expired.
CREATE TABLE ehr_assertions (
    client_id BYTEA NOT NULL REFERENCES ehr_clients (id),
    jti TEXT NOT NULL,
    expires_at BIGINT NOT NULL,
    PRIMARY KEY (client_id, jti)
);
CREATE INDEX ehr_assertions_expiry ON ehr_assertions (expires_at);
