-- Unusual access for the compliance officer to review (many patients in a
-- day against the person's own norm, a patient outside their departments
-- and care teams, a patient sharing their family name), found by a job
-- that reads the audit log. Keep in step with ../postgres/0019_access_reviews.sql.

-- dedup_key makes each finding once: per person and day for many patients,
-- per person, patient and 30 days for the others.
CREATE TABLE access_reviews (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    reason TEXT NOT NULL CHECK (reason IN ('many_patients', 'outside_teams', 'shared_family_name')),
    user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB REFERENCES patients (id),
    patients_opened BIGINT NOT NULL DEFAULT 0,
    dedup_key TEXT NOT NULL UNIQUE,
    raised_at BIGINT NOT NULL,
    reviewed_at BIGINT,
    reviewed_by BLOB REFERENCES users (id)
);
CREATE INDEX access_reviews_practice ON access_reviews (practice_id, raised_at);

-- How far the job has read the audit log (the last record's seq).
CREATE TABLE access_review_progress (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    last_seq BIGINT NOT NULL
);
