-- Office hours per department, closures, response-time targets, automatic
-- replies and the response clock of each conversation.
-- Keep in step with ../postgres/0005_response_times.sql.

-- A department with hours of its own; without, the practice's apply.
CREATE TABLE department_hours (
    department_id BLOB NOT NULL REFERENCES departments (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute BIGINT NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute BIGINT NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute),
    PRIMARY KEY (department_id, weekday, opens_minute)
);

-- Whole days closed (holidays), for the practice or one department. Dates
-- are civil dates (YYYY-MM-DD) in the practice's time zone.
CREATE TABLE closures (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    department_id BLOB REFERENCES departments (id),
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    name TEXT NOT NULL,
    created_at BIGINT NOT NULL
);
CREATE INDEX closures_practice ON closures (practice_id, first_day);

-- Response-time targets by priority and/or topic (NULL matches any).
CREATE TABLE response_targets (
    practice_id BLOB NOT NULL REFERENCES practices (id),
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

-- New alert kinds. SQLite cannot change a CHECK, so the table is rebuilt.
CREATE TABLE alerts_new (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    kind TEXT NOT NULL CHECK (kind IN ('urgent_message', 'escalated', 'response_due_soon', 'response_overdue')),
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT
);
INSERT INTO alerts_new (id, practice_id, user_id, conversation_id, kind, created_at, acknowledged_at)
    SELECT id, practice_id, user_id, conversation_id, kind, created_at, acknowledged_at FROM alerts;
DROP TABLE alerts;
ALTER TABLE alerts_new RENAME TO alerts;
CREATE INDEX alerts_user ON alerts (user_id, acknowledged_at);
