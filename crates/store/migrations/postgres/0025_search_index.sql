-- The blind search index: for each message body and conversation subject,
-- every term it contains (a word whole, or its start) as a keyed hash made
-- outside the database (docs/search.md). `at` is the message's time, for
-- date filters and the newest-first order. Keep in step with
-- ../sqlite/0025_search_index.sql.
CREATE TABLE search_index (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    term BYTEA NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('body', 'subject')),
    message_id BYTEA NOT NULL REFERENCES messages (id),
    conversation_id BYTEA NOT NULL REFERENCES conversations (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (practice_id, term, message_id, source)
);
CREATE INDEX search_index_message ON search_index (message_id);
