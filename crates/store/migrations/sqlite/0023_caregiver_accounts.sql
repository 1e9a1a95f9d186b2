-- Caregivers who are not patients of the practice: a patient-app account
-- with no patient record, made by redeeming a caregiver invitation code,
-- and the practice's own codes for a minor's caregivers. Keep in step with
-- ../postgres/0023_caregiver_accounts.sql.

-- The name of an account that has no patient record, sealed under its own
-- data key (a caregiver's name says whom they care for).
CREATE TABLE caregiver_profiles (
    user_id BLOB PRIMARY KEY REFERENCES users (id),
    practice_id BLOB NOT NULL REFERENCES practices (id),
    dek_id BLOB NOT NULL REFERENCES data_keys (id),
    given_name_ct BLOB NOT NULL,
    family_name_ct BLOB NOT NULL,
    created_at BIGINT NOT NULL
);

-- Who issued an invitation: the patient, or the practice for a minor (then
-- the grant it makes ends at grant_ends_at, the 18th birthday at the latest).
ALTER TABLE caregiver_invitations ADD COLUMN granted_by_kind TEXT NOT NULL DEFAULT 'patient' CHECK (granted_by_kind IN ('patient', 'practice'));
ALTER TABLE caregiver_invitations ADD COLUMN grant_ends_at BIGINT;

-- An account without a patient record accepts the terms for itself:
-- patient_id becomes optional. SQLite cannot drop a NOT NULL, so it
-- rebuilds the table (nothing refers to it).
CREATE TABLE terms_acceptances_new (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB REFERENCES patients (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    version BIGINT NOT NULL,
    accepted_at BIGINT NOT NULL,
    method TEXT NOT NULL CHECK (method IN ('invitation', 'app')),
    FOREIGN KEY (practice_id, version) REFERENCES messaging_terms (practice_id, version)
);
INSERT INTO terms_acceptances_new (id, practice_id, patient_id, user_id, version, accepted_at, method)
    SELECT id, practice_id, patient_id, user_id, version, accepted_at, method FROM terms_acceptances;
DROP TABLE terms_acceptances;
ALTER TABLE terms_acceptances_new RENAME TO terms_acceptances;
CREATE INDEX terms_acceptances_patient ON terms_acceptances (patient_id, accepted_at);
CREATE INDEX terms_acceptances_user ON terms_acceptances (user_id, accepted_at);
