-- Office hours per department, closures, response-time targets, automatic
-- replies and the response clock of each conversation.
-- Keep in step with ../sqlite/0005_response_times.sql.

-- A department with hours of its own; without, the practice's apply.
CREATE TABLE department_hours (
    department_id BYTEA NOT NULL REFERENCES departments (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute BIGINT NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute BIGINT NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute),
    PRIMARY KEY (department_id, weekday, opens_minute)
);

-- Whole days closed (holidays), for the practice or one department. Dates
-- are civil dates (YYYY-MM-DD) in the practice's time zone.
CREATE TABLE closures (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    department_id BYTEA REFERENCES departments (id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX closures_practice ON closures (practice_id, first_day);

-- Response-time targets by priority and/or topic (NULL matches any).
CREATE TABLE response_targets (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    position BIGINT NOT NULL,
    priority TEXT CHECK (priority IN ('routine', 'urgent')),
    topic TEXT,
    first_response_minutes BIGINT NOT NULL CHECK (first_response_minutes > 0),
    next_response_minutes BIGINT NOT NULL CHECK (next_response_minutes > 0),
    clock TEXT NOT NULL CHECK (clock IN ('business', 'wall')),
    PRIMARY KEY (practice_id, position)
);

-- NULL texts mean the built-in wording.
ALTER TABLE practices ADD COLUMN due_soon_percent BIGINT NOT NULL DEFAULT 75;
ALTER TABLE practices ADD COLUMN auto_reply_open TEXT;
ALTER TABLE practices ADD COLUMN auto_reply_closed TEXT;

-- The response clock: set while the conversation waits on staff.
ALTER TABLE conversations ADD COLUMN waiting_since BIGINT;
ALTER TABLE conversations ADD COLUMN due_soon_at BIGINT;
ALTER TABLE conversations ADD COLUMN due_at BIGINT;
ALTER TABLE conversations ADD COLUMN first_response_at BIGINT;
-- The first deadline, kept after it stops, to measure answers against.
ALTER TABLE conversations ADD COLUMN first_due_at BIGINT;
-- A staff reply the patient has not read in time: flagged for follow-up.
ALTER TABLE conversations ADD COLUMN unread_reply_id BYTEA REFERENCES messages (id);
ALTER TABLE conversations ADD COLUMN unread_reply_sent_at BIGINT;
ALTER TABLE conversations ADD COLUMN unread_flagged_at BIGINT;

-- When to remind a patient of an unread staff reply, and when to flag it.
ALTER TABLE practices ADD COLUMN unread_reminder_minutes BIGINT NOT NULL DEFAULT 1440;
ALTER TABLE practices ADD COLUMN unread_flag_minutes BIGINT NOT NULL DEFAULT 1440;

-- A patient's rating of a closed conversation, once. The comment may hold
-- PHI, so it is sealed under the conversation's key.
CREATE TABLE ratings (
    conversation_id BYTEA PRIMARY KEY REFERENCES conversations (id),
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    patient_id BYTEA NOT NULL REFERENCES patients (id),
    score BIGINT NOT NULL CHECK (score BETWEEN 1 AND 5),
    comment_ct BYTEA,
    created_at BIGINT NOT NULL
);
CREATE INDEX ratings_practice ON ratings (practice_id, created_at);

-- Notifications to send through the user's channels. They carry a kind
-- and ids, never PHI. Until email, SMS and push exist they stay pending
-- and the app shows them.
CREATE TABLE notifications (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    user_id BYTEA NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL,
    conversation_id BYTEA REFERENCES conversations (id),
    created_at BIGINT NOT NULL,
    seen_at BIGINT
);
CREATE INDEX notifications_user ON notifications (user_id, seen_at);

-- New alert kinds.
ALTER TABLE alerts DROP CONSTRAINT alerts_kind_check;
ALTER TABLE alerts ADD CONSTRAINT alerts_kind_check
    CHECK (kind IN ('urgent_message', 'escalated', 'response_due_soon', 'response_overdue', 'reply_unread'));
