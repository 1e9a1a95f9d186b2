-- Retention of the record (issue 17): each practice's periods (a default,
-- ten years after a conversation's last activity unless set, and
-- overrides per topic or sensitive category where the law differs), legal
-- holds on a patient or a conversation (the reason sealed under its own
-- data key), and what the retention job removed. A conversation is
-- removed only after its row in retention_removals is written, in the same
-- transaction; the trigger below lets messages be deleted then and never
-- otherwise. Keep in step with ../sqlite/0027_retention.sql.
CREATE TABLE retention_settings (
    practice_id BYTEA PRIMARY KEY REFERENCES practices (id),
    default_years BIGINT NOT NULL CHECK (default_years BETWEEN 1 AND 100),
    updated_by BYTEA REFERENCES users (id),
    updated_at BIGINT NOT NULL
);

-- category: 'topic:<topic>' or 'sensitive:<category>'.
CREATE TABLE retention_overrides (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    category TEXT NOT NULL,
    years BIGINT NOT NULL CHECK (years BETWEEN 1 AND 100),
    PRIMARY KEY (practice_id, category)
);

-- conversation_id has no foreign key: a hold released long ago must not
-- stop the conversation's removal, and the hold's record stays after it.
CREATE TABLE legal_holds (
    id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    patient_id BYTEA REFERENCES patients (id),
    conversation_id BYTEA,
    dek_id BYTEA NOT NULL REFERENCES data_keys (id),
    reason_ct BYTEA NOT NULL,
    placed_by BYTEA NOT NULL REFERENCES users (id),
    placed_at BIGINT NOT NULL,
    released_by BYTEA REFERENCES users (id),
    released_at BIGINT,
    CHECK ((patient_id IS NULL) <> (conversation_id IS NULL))
);
CREATE INDEX legal_holds_practice ON legal_holds (practice_id, placed_at);

-- What the retention job removed: ids, counts and times, never content.
CREATE TABLE retention_removals (
    conversation_id BYTEA PRIMARY KEY,
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    patient_id BYTEA NOT NULL REFERENCES patients (id),
    topic TEXT NOT NULL,
    last_activity_at BIGINT NOT NULL,
    retention_years BIGINT NOT NULL,
    messages BIGINT NOT NULL,
    attachments BIGINT NOT NULL,
    removed_at BIGINT NOT NULL
);
CREATE INDEX retention_removals_practice ON retention_removals (practice_id, removed_at);

-- Messages are deleted only with their conversation's removal.
CREATE FUNCTION switchboard_keep_until_removed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM retention_removals r WHERE r.conversation_id = OLD.conversation_id) THEN
        RETURN OLD;
    END IF;
    RAISE EXCEPTION '% are kept until retention removes their conversation', TG_TABLE_NAME;
END;
$$;
DROP TRIGGER messages_no_delete ON messages;
CREATE TRIGGER messages_no_delete BEFORE DELETE ON messages
FOR EACH ROW EXECUTE FUNCTION switchboard_keep_until_removed();
