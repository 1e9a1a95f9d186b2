-- Bringing a practice's people in: one-time links (account set-up,
-- invitations, password resets), patients' contact details, matching
-- patients by medical record number, and last sign-in.
-- Keep in step with ../sqlite/0006_onboarding.sql.

ALTER TABLE users ADD COLUMN last_login_at BIGINT;
ALTER TABLE users ADD COLUMN deactivated_at BIGINT;

-- Contact details are PHI: sealed under the patient's key.
ALTER TABLE patients ADD COLUMN email_ct BYTEA;
ALTER TABLE patients ADD COLUMN phone_ct BYTEA;
-- A keyed hash of the normalised MRN (key outside the database), so an
-- import can find a patient by MRN without the MRN in plaintext.
ALTER TABLE patients ADD COLUMN mrn_index BYTEA;
CREATE UNIQUE INDEX patients_mrn ON patients (practice_id, mrn_index) WHERE mrn_index IS NOT NULL;

-- Single-use, expiring links. Only the token's SHA-256 is stored.
CREATE TABLE access_links (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    token_hash BYTEA NOT NULL UNIQUE,
    purpose TEXT NOT NULL CHECK (purpose IN ('setup', 'invitation', 'reset')),
    -- The account it sets up or resets; for an invitation, the patient.
    user_id BYTEA REFERENCES users (id),
    patient_id BYTEA REFERENCES patients (id),
    channel TEXT NOT NULL CHECK (channel IN ('email', 'sms', 'desk', 'none')),
    created_by BYTEA REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    opened_at BIGINT,
    used_at BIGINT,
    revoked_at BIGINT,
    CHECK (user_id IS NOT NULL OR patient_id IS NOT NULL)
);
CREATE INDEX access_links_patient ON access_links (patient_id, created_at);
CREATE INDEX access_links_user ON access_links (user_id, created_at);
