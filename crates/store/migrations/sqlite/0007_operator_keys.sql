-- API keys for the deployment's operator (a health system's IT, a hosting
-- vendor), who creates practices through the API. Only the token's SHA-256
-- is stored; a key is revoked, never deleted, so the audit log's actor ids
-- keep their meaning.
-- Keep in step with ../postgres/0007_operator_keys.sql.

CREATE TABLE operator_keys (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    token_hash BLOB NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT
);
