-- The blind search index: for each text people write (a message's body,
-- a conversation's subject, an internal note, a correction), every term
-- it contains (a word whole, or its start) as a keyed hash made outside
-- the database (docs/search.md). item_id is the message, note or
-- correction; message_id the message it belongs to (none for a note);
-- at, when it was written, for date filters and the newest-first order.
-- Keep in step with ../postgres/0025_search_index.sql.
CREATE TABLE search_index (
    practice_id BLOB NOT NULL REFERENCES practices (id),
    term BLOB NOT NULL,
    source TEXT NOT NULL CHECK (source IN ('body', 'subject', 'note', 'amendment')),
    item_id BLOB NOT NULL,
    message_id BLOB REFERENCES messages (id),
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    at BIGINT NOT NULL,
    PRIMARY KEY (practice_id, term, item_id, source)
);

-- How far the walk that indexes texts written before the index existed
-- has come (texts in (at, item_id, source) order); done once it reached
-- the end. New texts are indexed as they are written.
CREATE TABLE search_backfill (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    after_at BIGINT NOT NULL,
    after_item BLOB NOT NULL,
    after_source TEXT NOT NULL,
    done BIGINT NOT NULL
);
