-- What daily use needed: the practice's after-hours line (told to patients
-- when no one can read an urgent message now), and a staff member's own
-- "mark unread" on a conversation.
-- Keep in step with ../sqlite/0008_daily_use.sql.

ALTER TABLE practices ADD COLUMN after_hours_phone TEXT;

-- A staff member's reminder to come back to a conversation: it counts as
-- unread for them until they open it again. Ids only.
CREATE TABLE unread_marks (
    conversation_id BYTEA NOT NULL REFERENCES conversations (id),
    user_id BYTEA NOT NULL REFERENCES users (id),
    marked_at BIGINT NOT NULL,
    PRIMARY KEY (conversation_id, user_id)
);
CREATE INDEX unread_marks_user ON unread_marks (user_id);
