-- Enrollment's practice-wide rules: the messaging terms patients accept
-- (every version kept, since each is the record of what someone agreed
-- to), who accepted which version when and how, and the soft launch (who
-- patient messaging is on for).
-- Keep in step with ../postgres/0011_enrollment.sql.

-- Version 1 of each practice's terms is the standard wording, stored when
-- the practice is made (or, for a practice from before terms were kept,
-- when the server first starts with this migration).
CREATE TABLE messaging_terms (
    practice_id BLOB NOT NULL REFERENCES practices (id),
    version BIGINT NOT NULL CHECK (version >= 1),
    body TEXT NOT NULL,
    published_at BIGINT NOT NULL,
    -- Who published it; none for the standard wording.
    published_by BLOB REFERENCES users (id),
    PRIMARY KEY (practice_id, version)
);

-- Rows are only ever added: an acceptance is a record.
CREATE TABLE terms_acceptances (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL,
    accepted_at BIGINT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('invitation', 'app')),
    FOREIGN KEY (practice_id, version) REFERENCES messaging_terms (practice_id, version)
);
CREATE INDEX terms_acceptances_patient ON terms_acceptances (patient_id, accepted_at);

-- Patient messaging on for everyone (as before), or for the chosen cohorts.
ALTER TABLE practices ADD COLUMN rollout TEXT NOT NULL DEFAULT 'everyone' CHECK (rollout IN ('everyone', 'cohorts'));

CREATE TABLE rollout_cohorts (
    practice_id BLOB NOT NULL REFERENCES practices (id),
    kind TEXT NOT NULL CHECK (kind IN ('department', 'provider', 'patient')),
    member_id BLOB NOT NULL,
    PRIMARY KEY (practice_id, kind, member_id)
);
