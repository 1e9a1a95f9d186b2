-- Sensitive records and clinical content: a conversation's sensitive
-- category, and which roles of a practice read what. Keep in step with
-- ../sqlite/0017_sensitivity.sql.

-- NULL: not marked sensitive.
ALTER TABLE conversations ADD COLUMN sensitivity TEXT CHECK (sensitivity IN ('behavioural_health', 'reproductive_health', 'substance_use'));

-- A practice that has chosen who reads what. Without a row, the defaults
-- (switchboard_domain::sensitivity::SensitivityGrants::defaults) apply.
CREATE TABLE sensitivity_settings (
    practice_id BYTEA PRIMARY KEY REFERENCES practices (id),
    updated_at BIGINT NOT NULL,
    updated_by BYTEA NOT NULL REFERENCES users (id)
);

-- What the practice grants: a sensitive category to a role, or the content
-- of a topic to the front desk or billing (the roles limited to topics).
CREATE TABLE sensitivity_grants (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    grant_kind TEXT NOT NULL CHECK (grant_kind IN ('category', 'topic')),
    code TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('provider', 'nurse', 'medical_assistant', 'front_desk', 'billing')),
    PRIMARY KEY (practice_id, grant_kind, code, role),
    CHECK ((grant_kind = 'category' AND code IN ('behavioural_health', 'reproductive_health', 'substance_use'))
        OR (grant_kind = 'topic' AND role IN ('front_desk', 'billing')))
);
