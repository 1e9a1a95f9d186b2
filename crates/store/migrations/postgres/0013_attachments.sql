-- Files sent in conversations: photos, documents, audio and video.
-- Keep in step with ../sqlite/0013_attachments.sql.

-- The bytes live outside the database (the data directory, or an object
-- store), sealed in chunks under the file's own data key (data_keys.id is
-- the attachment's id), under the names '<id>' and '<id>.preview'. Rows
-- are never deleted once sent: they are part of the record.
CREATE TABLE attachments (
    id BYTEA PRIMARY KEY,
    conversation_id BYTEA NOT NULL REFERENCES conversations (id),
    uploaded_by BYTEA NOT NULL REFERENCES users (id),
    -- NULL while the upload waits to be sent; set once, with the message.
    message_id BYTEA REFERENCES messages (id),
    filename_ct BYTEA NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('jpeg', 'png', 'heic', 'pdf', 'text', 'mp4', 'mov', 'm4a', 'aac', 'mp3', 'webm', 'ogg')),
    -- Bytes as stored (after metadata was removed), and their SHA-256.
    size BIGINT NOT NULL,
    sha256 BYTEA NOT NULL,
    preview_kind TEXT CHECK (preview_kind IN ('jpeg', 'png')),
    location_removed BIGINT NOT NULL CHECK (location_removed IN (0, 1)),
    metadata_removed BIGINT NOT NULL CHECK (metadata_removed IN (0, 1)),
    uploaded_at BIGINT NOT NULL,
    -- Filed to the chart by staff.
    filed_at BIGINT,
    filed_by BYTEA REFERENCES users (id)
);
CREATE INDEX attachments_conversation ON attachments (conversation_id, uploaded_at);
CREATE INDEX attachments_message ON attachments (message_id);
