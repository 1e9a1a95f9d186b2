-- Retention of the record (issue 17): each practice's periods (a default,
-- ten years after a conversation's last activity unless set, and
-- overrides per topic or sensitive category where the law differs), legal
-- holds on a patient or a conversation (the reason sealed under its own
-- data key), and what the retention job removed. A conversation is
-- removed only after its row in retention_removals is written, in the same
-- transaction; the trigger below lets messages be deleted then and never
-- otherwise. Keep in step with ../postgres/0027_retention.sql.
CREATE TABLE retention_settings (
    practice_id BLOB PRIMARY KEY REFERENCES practices (id),
    default_years BIGINT NOT NULL CHECK (default_years BETWEEN 1 AND 100),
    updated_by BLOB REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- category: 'topic:<topic>' or 'sensitive:<category>'.
CREATE TABLE retention_overrides (
    practice_id BLOB NOT NULL REFERENCES practices (id),
    category TEXT NOT NULL,
    years BIGINT NOT NULL CHECK (years BETWEEN 1 AND 100),
    PRIMARY KEY (practice_id, category)
);

-- conversation_id has no foreign key: a hold released long ago must not
-- stop the conversation's removal, and the hold's record stays after it.
CREATE TABLE legal_holds (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB REFERENCES patients (id),
    conversation_id BLOB,
    dek_id BLOB NOT NULL REFERENCES data_keys (id),
    reason_ct BLOB NOT NULL,
    placed_by BLOB NOT NULL REFERENCES users (id),
    placed_at BIGINT NOT NULL,
    released_by BLOB REFERENCES users (id),
    released_at BIGINT,
    CHECK ((patient_id IS NULL) <> (conversation_id IS NULL))
);
CREATE INDEX legal_holds_practice ON legal_holds (practice_id, placed_at);

-- What the retention job removed: ids, counts and times, never content.
CREATE TABLE retention_removals (
    conversation_id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    topic TEXT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    retention_years BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    attachments BIGINT NOT NULL,
    removed_at BIGINT NOT NULL
);
CREATE INDEX retention_removals_practice ON retention_removals (practice_id, removed_at);

-- Messages are deleted only with their conversation's removal.
DROP TRIGGER messages_no_delete;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
WHEN NOT EXISTS (SELECT 1 FROM retention_removals r WHERE r.conversation_id = OLD.conversation_id)
BEGIN SELECT RAISE(ABORT, 'messages are kept until retention removes their conversation'); END;
