-- Emergency ("break-glass") access: a clinician not related to a patient
-- opens that patient's conversations for a limited time, with a reason,
-- and every use is put at once in front of the compliance officer as an
-- access review. Keep in step with ../sqlite/0021_emergency_access.sql.

-- A new reason for a finding.
ALTER TABLE access_reviews DROP CONSTRAINT access_reviews_reason_check;
ALTER TABLE access_reviews ADD CONSTRAINT access_reviews_reason_check
    CHECK (reason IN ('many_patients', 'outside_teams', 'shared_family_name', 'emergency_access'));

-- One grant: who, which patient, why (sealed under the patient's data key:
-- a reason may describe their condition), for how long. ended_at is set
-- when it ends early (by its holder, or with their sessions when the
-- account is deactivated); otherwise it ends at ends_at. review_id is the
-- finding raised for it.
CREATE TABLE emergency_access (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    user_id BYTEA NOT NULL REFERENCES users (id),
    patient_id BYTEA NOT NULL REFERENCES patients (id),
    category TEXT CHECK (category IN ('immediate_danger', 'covering', 'urgent_request', 'other')),
    reason_ct BYTEA NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes BETWEEN 15 AND 240),
    started_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    ended_at BIGINT,
    ended_why TEXT CHECK (ended_why IN ('ended_by_holder', 'deactivated')),
    review_id BYTEA REFERENCES access_reviews (id)
);
CREATE INDEX emergency_access_user ON emergency_access (user_id, ends_at);
CREATE INDEX emergency_access_review ON emergency_access (review_id);
