-- Switchboard schema, SQLite dialect. Keep in step with ../postgres/0001_initial.sql:
-- the schema-parity test compares the two.
--
-- Conventions: ids are 16-byte UUIDs (BLOB); times are BIGINT microseconds since
-- the Unix epoch, UTC; columns ending in _ct hold AES-256-GCM ciphertext under the
-- data key named by the row's dek_id; enums are TEXT codes checked here.

CREATE TABLE practices (
    id BLOB PRIMARY KEY,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);

CREATE TABLE departments (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

CREATE TABLE users (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    username TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('patient', 'staff')),
    role TEXT CHECK (role IN ('practice_admin', 'provider', 'nurse', 'medical_assistant', 'front_desk', 'billing', 'compliance_officer')),
    display_name TEXT,
    password_hash TEXT NOT NULL,
    active BIGINT NOT NULL DEFAULT 1,
    created_at BIGINT NOT NULL,
    CHECK ((kind = 'staff' AND role IS NOT NULL AND display_name IS NOT NULL) OR (kind = 'patient' AND role IS NULL))
);
CREATE INDEX users_practice ON users (practice_id);

CREATE TABLE staff_departments (
    user_id BLOB NOT NULL REFERENCES users (id),
    department_id BLOB NOT NULL REFERENCES departments (id),
    PRIMARY KEY (user_id, department_id)
);

CREATE TABLE care_teams (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    department_id BLOB REFERENCES departments (id),
    name TEXT NOT NULL,
    primary_provider_id BLOB REFERENCES users (id),
    created_at BIGINT NOT NULL
);

CREATE TABLE care_team_members (
    care_team_id BLOB NOT NULL REFERENCES care_teams (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    PRIMARY KEY (care_team_id, user_id)
);
CREATE INDEX care_team_members_user ON care_team_members (user_id);

-- Data-encryption keys, stored only wrapped by a master key (kek_id) that lives
-- outside the database.
CREATE TABLE data_keys (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    kek_id BIGINT NOT NULL,
    wrapped BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX data_keys_kek ON data_keys (kek_id);

CREATE TABLE patients (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    user_id BLOB UNIQUE REFERENCES users (id),
    department_id BLOB REFERENCES departments (id),
    care_team_id BLOB REFERENCES care_teams (id),
    dek_id BLOB NOT NULL REFERENCES data_keys (id),
    given_name_ct BLOB NOT NULL,
    family_name_ct BLOB NOT NULL,
    birth_date_ct BLOB NOT NULL,
    mrn_ct BLOB,
    created_at BIGINT NOT NULL
);
CREATE INDEX patients_practice ON patients (practice_id);
CREATE INDEX patients_care_team ON patients (care_team_id);
CREATE INDEX patients_department ON patients (department_id);

CREATE TABLE conversations (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    dek_id BLOB NOT NULL REFERENCES data_keys (id),
    subject_ct BLOB NOT NULL,
    topic TEXT NOT NULL CHECK (topic IN ('care_question', 'prescription_refill', 'scheduling', 'billing', 'test_results', 'telehealth', 'monitoring_program')),
    status TEXT NOT NULL CHECK (status IN ('needs_staff_response', 'awaiting_patient', 'closed')),
    priority TEXT NOT NULL CHECK (priority IN ('routine', 'urgent')),
    assignee_id BLOB REFERENCES users (id),
    created_by BLOB NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    closed_at BIGINT
);
CREATE INDEX conversations_practice_activity ON conversations (practice_id, last_activity_at, id);
CREATE INDEX conversations_patient_activity ON conversations (patient_id, last_activity_at, id);
CREATE INDEX conversations_assignee ON conversations (assignee_id, last_activity_at);

-- Messages are immutable: no UPDATE or DELETE, ever (enforced below).
CREATE TABLE messages (
    id BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    -- NULL for automatic replies from the practice (sender_kind 'system').
    sender_id BLOB REFERENCES users (id),
    sender_kind TEXT NOT NULL CHECK (sender_kind IN ('patient', 'staff', 'system')),
    body_ct BLOB NOT NULL,
    sent_at BIGINT NOT NULL
);
CREATE INDEX messages_conversation ON messages (conversation_id, sent_at, id);

-- A correction appended to a message; the original stays as it was.
CREATE TABLE amendments (
    id BLOB PRIMARY KEY,
    message_id BLOB NOT NULL REFERENCES messages (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    body_ct BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX amendments_message ON amendments (message_id, created_at);

CREATE TABLE notes (
    id BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    author_id BLOB NOT NULL REFERENCES users (id),
    body_ct BLOB NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX notes_conversation ON notes (conversation_id, created_at);

CREATE TABLE message_reads (
    message_id BLOB NOT NULL REFERENCES messages (id),
    reader_id BLOB NOT NULL REFERENCES users (id),
    reader_kind TEXT NOT NULL CHECK (reader_kind IN ('patient', 'staff')),
    read_at BIGINT NOT NULL,
    PRIMARY KEY (message_id, reader_id)
);
CREATE INDEX message_reads_kind ON message_reads (message_id, reader_kind);

CREATE TABLE idempotency_keys (
    actor_id BLOB NOT NULL REFERENCES users (id),
    idem_key TEXT NOT NULL,
    fingerprint BLOB NOT NULL,
    message_id BLOB NOT NULL,
    created_at BIGINT NOT NULL,
    PRIMARY KEY (actor_id, idem_key)
);

CREATE TABLE sessions (
    token_hash BLOB PRIMARY KEY,
    user_id BLOB NOT NULL REFERENCES users (id),
    created_at BIGINT NOT NULL,
    last_seen_at BIGINT NOT NULL,
    revoked_at BIGINT
);
CREATE INDEX sessions_user ON sessions (user_id);
CREATE INDEX sessions_last_seen ON sessions (last_seen_at);

CREATE TABLE login_throttles (
    throttle_key TEXT PRIMARY KEY,
    failures BIGINT NOT NULL,
    last_failure_at BIGINT NOT NULL
);

-- The audit log: append-only, each row's mac chains it to the row before.
CREATE TABLE audit_log (
    seq BIGINT PRIMARY KEY,
    at BIGINT NOT NULL,
    practice_id BLOB,
    actor_kind TEXT NOT NULL,
    actor_id BLOB,
    action TEXT NOT NULL,
    outcome TEXT NOT NULL,
    patient_id BLOB,
    resource_kind TEXT,
    resource_id BLOB,
    client_addr TEXT,
    detail TEXT,
    mac BLOB NOT NULL
);
CREATE INDEX audit_log_practice_at ON audit_log (practice_id, at);
CREATE INDEX audit_log_patient ON audit_log (patient_id, at);
CREATE INDEX audit_log_actor ON audit_log (actor_id, at);

CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;
CREATE TRIGGER messages_no_update BEFORE UPDATE ON messages
BEGIN SELECT RAISE(ABORT, 'messages are immutable'); END;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
BEGIN SELECT RAISE(ABORT, 'messages are immutable'); END;

-- The head of the audit chain: the one row writers lock to append.
CREATE TABLE audit_head (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    seq BIGINT NOT NULL,
    mac BLOB NOT NULL
);
INSERT INTO audit_head (id, seq, mac) VALUES (1, 0, X'0000000000000000000000000000000000000000000000000000000000000000');

-- The durable event stream (ids only) that live views and other nodes follow.
CREATE TABLE events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    at BIGINT NOT NULL,
    practice_id BLOB NOT NULL,
    patient_id BLOB NOT NULL,
    conversation_id BLOB NOT NULL,
    -- NULL when the system acted (automatic replies, jobs).
    actor_id BLOB,
    kind TEXT NOT NULL,
    ref_id BLOB,
    detail TEXT
);

-- Durable background jobs. Payloads hold ids and codes only, never PHI.
CREATE TABLE jobs (
    id BLOB PRIMARY KEY,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('pending', 'running', 'done', 'dead')),
    run_at BIGINT NOT NULL,
    attempts BIGINT NOT NULL DEFAULT 0,
    max_attempts BIGINT NOT NULL,
    locked_by TEXT,
    locked_until BIGINT,
    last_error TEXT,
    dedupe_key TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX jobs_due ON jobs (state, run_at);
-- At most one pending job per dedupe key (a recurring job can schedule its next
-- run while the current one is still running).
CREATE UNIQUE INDEX jobs_dedupe_pending ON jobs (dedupe_key) WHERE state = 'pending';
