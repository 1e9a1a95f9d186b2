-- Single sign-on for staff with a practice's OpenID Connect provider: the
-- practice's settings, the state of each sign-in between the redirect to
-- the provider and its return (so any node can finish it), and the
-- binding of staff accounts to their identity at the provider. Keep in
-- step with ../sqlite/0020_single_sign_on.sql.

-- One row per practice that configured a provider. The client secret is
-- sealed under a data key of its own (wrapped by the master key like every
-- data key); NULL until one is given. enabled and trust_provider_mfa are
-- 0 or 1.
CREATE TABLE sso_settings (
    practice_id BYTEA PRIMARY KEY REFERENCES practices (id),
    enabled BIGINT NOT NULL DEFAULT 0,
    issuer TEXT NOT NULL,
    client_id TEXT NOT NULL,
    secret_key_id BYTEA REFERENCES data_keys (id),
    client_secret_ct BYTEA,
    label TEXT NOT NULL,
    trust_provider_mfa BIGINT NOT NULL DEFAULT 0,
    updated_at BIGINT NOT NULL
);

-- A sign-in in flight, keyed by the SHA-256 of the state given to the
-- browser. The nonce and the PKCE verifier are not secrets worth sealing:
-- the code they go with is useless without the client secret, which is
-- sealed. Each is spent once (spent_at) within ten minutes; housekeeping
-- removes old ones.
CREATE TABLE sso_states (
    state_hash BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    nonce TEXT NOT NULL,
    verifier TEXT NOT NULL,
    redirect_uri TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    spent_at BIGINT
);
CREATE INDEX sso_states_created ON sso_states (created_at);

-- Staff accounts and single sign-on: the work email an administrator set
-- (lower-cased; a first sign-in binds the account whose email equals the
-- token's verified email), and the identity it was bound to (issuer and
-- subject, NULL until the first sign-in and after an unlink).
CREATE TABLE sso_accounts (
    user_id BYTEA PRIMARY KEY REFERENCES users (id),
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    email TEXT,
    issuer TEXT,
    subject TEXT,
    linked_at BIGINT,
    updated_at BIGINT NOT NULL
);
CREATE UNIQUE INDEX sso_accounts_email ON sso_accounts (practice_id, email);
CREATE UNIQUE INDEX sso_accounts_subject ON sso_accounts (practice_id, issuer, subject);

-- What the first step of a sign-in was ('password' or 'sso'), so that the
-- second step's audit record says which it completes.
ALTER TABLE mfa_challenges ADD COLUMN first_factor TEXT NOT NULL DEFAULT 'password';
