-- Emergency ("break-glass") access: a clinician not related to a patient
-- opens that patient's conversations for a limited time, with a reason,
-- and every use is put at once in front of the compliance officer as an
-- access review. Keep in step with ../postgres/0021_emergency_access.sql.

-- A new reason for a finding: SQLite cannot change a CHECK, so it
-- rebuilds the table.
CREATE TABLE access_reviews_new (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    reason TEXT NOT NULL CHECK (reason IN ('many_patients', 'outside_teams', 'shared_family_name', 'emergency_access')),
    user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB REFERENCES patients (id),
    patients_opened BIGINT NOT NULL DEFAULT 0,
    dedup_key TEXT NOT NULL UNIQUE,
    raised_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by BLOB REFERENCES users (id)
);
INSERT INTO access_reviews_new (id, practice_id, reason, user_id, patient_id, patients_opened, dedup_key, raised_at, reviewed_at, reviewed_by)
    SELECT id, practice_id, reason, user_id, patient_id, patients_opened, dedup_key, raised_at, reviewed_at, reviewed_by FROM access_reviews;
DROP TABLE access_reviews;
ALTER TABLE access_reviews_new RENAME TO access_reviews;
CREATE INDEX access_reviews_practice ON access_reviews (practice_id, raised_at);

-- One grant: who, which patient, why (sealed under the patient's data key:
-- a reason may describe their condition), for how long. ended_at is set
-- when it ends early (by its holder, or with their sessions when the
-- account is deactivated); otherwise it ends at ends_at. review_id is the
-- finding raised for it.
CREATE TABLE emergency_access (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    category TEXT CHECK (category IN ('immediate_danger', 'covering', 'urgent_request', 'other')),
    reason_ct BLOB NOT NULL,
    minutes BIGINT NOT NULL CHECK (minutes BETWEEN 15 AND 240),
    started_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    ended_at BIGINT,
    ended_why TEXT CHECK (ended_why IN ('ended_by_holder', 'deactivated')),
    review_id BLOB REFERENCES access_reviews (id)
);
CREATE INDEX emergency_access_user ON emergency_access (user_id, ends_at);
CREATE INDEX emergency_access_review ON emergency_access (review_id);
