-- Second factors: authenticator apps (TOTP) with recovery codes, the
-- sign-in challenge between the password and the second factor, what a
-- session may do and when its holder last proved who they are, and the
-- practice's requirement that staff use a second factor. Keep in step with
-- ../sqlite/0015_second_factors.sql.

-- One authenticator app per account. The secret is sealed under a data key
-- of its own (wrapped like the others, so key rotation covers it).
-- confirmed_at is NULL while an enrolment waits for its first code;
-- last_step is the time step of the last code accepted (0, 1970, for none), so
-- that a code works once.
CREATE TABLE totp_factors (
    user_id BYTEA PRIMARY KEY REFERENCES users (id),
    key_id BYTEA NOT NULL REFERENCES data_keys (id),
    secret_ct BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    confirmed_at BIGINT,
    last_step BIGINT NOT NULL DEFAULT 0
);

-- One-time recovery codes, kept as keyed hashes (the key is outside the
-- database); used_at is set when one is spent.
CREATE TABLE recovery_codes (
    user_id BYTEA NOT NULL REFERENCES users (id),
    code_hash BYTEA NOT NULL,
    created_at BIGINT NOT NULL,
    used_at BIGINT,
    PRIMARY KEY (user_id, code_hash)
);

-- A password accepted, waiting for the second factor: keyed by the
-- SHA-256 of the challenge token given to the client.
CREATE TABLE mfa_challenges (
    token_hash BYTEA PRIMARY KEY,
    user_id BYTEA NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    tries BIGINT NOT NULL DEFAULT 0,
    spent_at BIGINT
);
CREATE INDEX mfa_challenges_created ON mfa_challenges (created_at);

-- 'enrol_only': staff whose practice requires a second factor and who have
-- none yet may only enrol one. authenticated_at: the last time the holder
-- gave a password or a second factor (sign-in or re-authentication).
ALTER TABLE sessions ADD COLUMN assurance TEXT NOT NULL DEFAULT 'full' CHECK (assurance IN ('full', 'enrol_only'));
ALTER TABLE sessions ADD COLUMN authenticated_at BIGINT;

-- Practices made from now on require a second factor of staff (the code
-- that makes a practice turns it on); practices from before keep working
-- as they did until an administrator turns it on.
ALTER TABLE practices ADD COLUMN staff_mfa_required BIGINT NOT NULL DEFAULT 0;
ALTER TABLE practices ADD COLUMN staff_mfa_required_since BIGINT NOT NULL DEFAULT 0;
ALTER TABLE practices ADD COLUMN staff_mfa_grace_hours BIGINT NOT NULL DEFAULT 168;

-- When an administrator last reset the account's second factors: its grace
-- period to enrol again counts from then.
ALTER TABLE users ADD COLUMN mfa_reset_at BIGINT;
