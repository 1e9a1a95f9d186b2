-- Reaching people outside the app: every email, text and push is a
-- delivery row (one per cause and medium, so nothing is sent twice for one
-- cause), people's choices of media and quiet hours, numbers that texted
-- STOP, and browsers' push subscriptions.
-- Keep in step with ../sqlite/0010_notifications.sql.

-- The recipient's address and the link carried are sealed under the
-- delivery's own data key; the words are made again from the kind, the
-- practice's name and the link when it is sent.
CREATE TABLE deliveries (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    -- What called for it ('reply:<job id>', 'link:<link id>'): unique with
    -- the medium.
    cause TEXT NOT NULL,
    medium TEXT NOT NULL CHECK (medium IN ('email', 'sms', 'push')),
    kind TEXT NOT NULL,
    user_id BYTEA REFERENCES users (id),
    patient_id BYTEA REFERENCES patients (id),
    key_id BYTEA NOT NULL REFERENCES data_keys (id),
    address_ct BYTEA NOT NULL,
    link_ct BYTEA NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'sent', 'delivered', 'failed', 'opted_out')),
    -- A short code for the last failure (never the channel's own words).
    reason TEXT,
    attempts BIGINT NOT NULL DEFAULT 0,
    -- The channel's id for it (an SMS gateway's message id), for status
    -- reports.
    provider_ref TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    sent_at BIGINT,
    UNIQUE (cause, medium)
);
CREATE INDEX deliveries_patient ON deliveries (patient_id, created_at);
CREATE INDEX deliveries_practice ON deliveries (practice_id, created_at);
-- Not unique: a gateway that repeated an id must not make a sent message
-- fail to record (and so go again).
CREATE INDEX deliveries_provider ON deliveries (medium, provider_ref) WHERE provider_ref IS NOT NULL;

-- The media each patient may be reached by ('email,sms,push'), and the
-- practice's quiet hours (minutes after local midnight); a person's own
-- choices override them.
ALTER TABLE practices ADD COLUMN patient_reach TEXT NOT NULL DEFAULT 'email,sms,push';
ALTER TABLE practices ADD COLUMN quiet_from BIGINT;
ALTER TABLE practices ADD COLUMN quiet_to BIGINT;

-- A staff member's mobile number (for SMS alerts they opt into) is sealed
-- under its own data key.
CREATE TABLE contact_preferences (
    user_id BYTEA PRIMARY KEY REFERENCES users (id),
    reach TEXT,
    quiet_from BIGINT,
    quiet_to BIGINT,
    key_id BYTEA REFERENCES data_keys (id),
    mobile_ct BYTEA,
    updated_at BIGINT NOT NULL
);

-- Numbers that texted STOP, by keyed fingerprint (the number is PHI). A
-- START removes the row.
CREATE TABLE sms_opt_outs (
    number_index BYTEA PRIMARY KEY,
    opted_out_at BIGINT NOT NULL
);

-- Web Push subscriptions, one per signed-in browser; the endpoint and keys
-- are sealed, the endpoint's fingerprint finds a repeat.
CREATE TABLE push_subscriptions (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    user_id BYTEA NOT NULL REFERENCES users (id),
    endpoint_index BYTEA NOT NULL UNIQUE,
    key_id BYTEA NOT NULL REFERENCES data_keys (id),
    subscription_ct BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX push_subscriptions_user ON push_subscriptions (user_id);

-- The on-call schedule: who is paged, when, for the practice or one
-- department, in what order (position 0 first).
CREATE TABLE on_call_shifts (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    department_id BYTEA REFERENCES departments (id),
    user_id BYTEA NOT NULL REFERENCES users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    position BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    CHECK (ends_at > starts_at)
);
CREATE INDEX on_call_shifts_practice ON on_call_shifts (practice_id, ends_at);

-- Pages about urgent messages, one per step of the chain (a person, or the
-- practice's fallback number when user_id is NULL). The acknowledgement
-- link's token is stored only as its SHA-256.
CREATE TABLE pages (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    conversation_id BYTEA NOT NULL REFERENCES conversations (id),
    step BIGINT NOT NULL,
    user_id BYTEA REFERENCES users (id),
    token_hash BYTEA UNIQUE,
    paged_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    acknowledged_at BIGINT,
    acknowledged_by BYTEA REFERENCES users (id)
);
CREATE INDEX pages_conversation ON pages (conversation_id, paged_at);

-- How long a page waits for an acknowledgement before the next person is
-- paged, and the number texted when the chain runs out.
ALTER TABLE practices ADD COLUMN page_ack_minutes BIGINT NOT NULL DEFAULT 10;
ALTER TABLE practices ADD COLUMN page_fallback_phone TEXT;

-- Secure links: a conversation sent to a patient by the address on file,
-- opened after they give their date of birth and then a one-time code sent
-- to the same address. The token and the code are kept only as hashes (the
-- code's keyed, as six digits are few); wrong tries are counted in
-- login_throttles under keyed fingerprints.
CREATE TABLE secure_links (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    conversation_id BYTEA NOT NULL REFERENCES conversations (id),
    patient_id BYTEA NOT NULL REFERENCES patients (id),
    -- The account the session it opens runs as: the patient's own, or one
    -- made for the link that can never sign in.
    holder_id BYTEA NOT NULL REFERENCES users (id),
    token_hash BYTEA NOT NULL UNIQUE,
    medium TEXT NOT NULL CHECK (medium IN ('email', 'sms')),
    created_by BYTEA NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    opened_at BIGINT,
    code_hash BYTEA,
    code_sent_at BIGINT,
    codes_sent BIGINT NOT NULL DEFAULT 0,
    -- A code was accepted and a session opened: the link is spent.
    used_at BIGINT,
    revoked_at BIGINT
);
CREATE INDEX secure_links_conversation ON secure_links (conversation_id, created_at);
CREATE INDEX secure_links_patient ON secure_links (patient_id, created_at);

-- A session opened through a secure link reaches this one conversation.
ALTER TABLE sessions ADD COLUMN conversation_id BYTEA REFERENCES conversations (id);
