-- Caregivers who are not patients of the practice: a patient-app account
-- with no patient record, made by redeeming a caregiver invitation code,
-- and the practice's own codes for a minor's caregivers. Keep in step with
-- ../sqlite/0023_caregiver_accounts.sql.

-- The name of an account that has no patient record, sealed under its own
-- data key (a caregiver's name says whom they care for).
CREATE TABLE caregiver_profiles (
    user_id BYTEA PRIMARY KEY REFERENCES users (id),
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    dek_id BYTEA NOT NULL REFERENCES data_keys (id),
    given_name_ct BYTEA NOT NULL,
    family_name_ct BYTEA NOT NULL,
    created_at BIGINT NOT NULL
);

-- Who issued an invitation: the patient, or the practice for a minor (then
-- the grant it makes ends at grant_ends_at, the 18th birthday at the latest).
ALTER TABLE caregiver_invitations ADD COLUMN granted_by_kind TEXT NOT NULL DEFAULT 'patient' CHECK (granted_by_kind IN ('patient', 'practice'));
ALTER TABLE caregiver_invitations ADD COLUMN grant_ends_at BIGINT;

-- An account without a patient record accepts the terms for itself.
ALTER TABLE terms_acceptances ALTER COLUMN patient_id DROP NOT NULL;
CREATE INDEX terms_acceptances_user ON terms_acceptances (user_id, accepted_at);
