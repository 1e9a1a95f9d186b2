-- Caregivers (proxy access): grants of one account's access to a patient's
-- messages, patients' one-time invitations to caregivers, which messages a
-- caregiver sent for whom, whether a conversation is shared with
-- caregivers, and the practice's confidentiality age for minors. Keep in
-- step with ../postgres/0022_caregivers.sql.

-- From this age until 18 a minor's conversations are confidential from
-- their caregivers unless shared (18: never).
ALTER TABLE practices ADD COLUMN caregiver_confidential_age BIGINT NOT NULL DEFAULT 12 CHECK (caregiver_confidential_age BETWEEN 10 AND 18);

-- Consulted only while the patient is a confidential minor. Conversations
-- written before caregivers existed stay confidential (0) until shared.
ALTER TABLE conversations ADD COLUMN shared_with_caregivers BIGINT NOT NULL DEFAULT 0;

-- A grant is in force from starts_at until ends_at (exclusive, NULL: no
-- end) unless revoked_at; rows are kept for the record.
CREATE TABLE proxy_grants (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    caregiver_user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    relationship TEXT NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian', 'spouse', 'adult_child', 'other')),
    granted_by_kind TEXT NOT NULL CHECK (granted_by_kind IN ('patient', 'practice')),
    granted_by BLOB NOT NULL REFERENCES users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT,
    revoked_at BIGINT,
    revoked_by BLOB REFERENCES users (id),
    created_at BIGINT NOT NULL
);
CREATE INDEX proxy_grants_caregiver ON proxy_grants (caregiver_user_id);
CREATE INDEX proxy_grants_patient ON proxy_grants (patient_id);

-- A patient's invitation: the code only as a keyed hash; used once, within
-- seven days (expires_at), unless revoked.
CREATE TABLE caregiver_invitations (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    relationship TEXT NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian', 'spouse', 'adult_child', 'other')),
    code_hash BLOB NOT NULL UNIQUE,
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    used_at BIGINT,
    used_by BLOB REFERENCES users (id),
    revoked_at BIGINT,
    grant_id BLOB REFERENCES proxy_grants (id)
);
CREATE INDEX caregiver_invitations_patient ON caregiver_invitations (patient_id);

-- Messages a caregiver sent on a patient's behalf (messages.sender_id is
-- the caregiver), with the relationship as it was when sent.
CREATE TABLE proxy_messages (
    message_id BLOB PRIMARY KEY REFERENCES messages (id),
    grant_id BLOB NOT NULL REFERENCES proxy_grants (id),
    caregiver_user_id BLOB NOT NULL REFERENCES users (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    relationship TEXT NOT NULL CHECK (relationship IN ('mother', 'father', 'guardian', 'spouse', 'adult_child', 'other'))
);
