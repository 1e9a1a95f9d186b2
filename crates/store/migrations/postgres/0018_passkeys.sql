-- Passkeys (WebAuthn): registered credentials, and the state of a
-- ceremony between its two requests (the options given, the browser's
-- answer awaited), kept here so that any node can finish what another
-- began. Keep in step with ../sqlite/0018_passkeys.sql.

-- A passkey: the authenticator's credential id (unique across accounts,
-- for passwordless sign-in to find it), and webauthn-rs's record of it
-- (public key, algorithm, signature counter: no secret) sealed under a data
-- key of its own like every data key. name is what its holder calls it.
CREATE TABLE passkeys (
    id BYTEA PRIMARY KEY,
    user_id BYTEA NOT NULL REFERENCES users (id),
    credential_id BYTEA NOT NULL UNIQUE,
    key_id BYTEA NOT NULL REFERENCES data_keys (id),
    credential_ct BYTEA NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT
);
CREATE INDEX passkeys_user ON passkeys (user_id, created_at);

-- A ceremony's state, keyed by the SHA-256 of the token given to the
-- client; user_id is NULL for a passwordless sign-in (nobody is named
-- yet). Each is used once (spent_at) within five minutes; housekeeping
-- removes old ones.
CREATE TABLE webauthn_states (
    token_hash BYTEA PRIMARY KEY,
    user_id BYTEA REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('registration', 'second_factor', 'passwordless')),
    state TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    spent_at BIGINT
);
CREATE INDEX webauthn_states_created ON webauthn_states (created_at);
