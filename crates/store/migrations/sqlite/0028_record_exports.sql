-- Legal exports of the record (issue 17): asked for by an administrator or
-- the compliance officer, made by a job (done of total conversations, for
-- the page's progress), kept as a sealed blob (its data key's id is the
-- export's), downloaded once, then gone; a ready export not downloaded in
-- time expires. The archive's SHA-256 is kept with the row.
-- Keep in step with ../postgres/0028_record_exports.sql.
CREATE TABLE record_exports (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    patient_id BLOB NOT NULL REFERENCES patients (id),
    conversation_id BLOB,
    include_notes BIGINT NOT NULL CHECK (include_notes IN (0, 1)),
    requested_by BLOB NOT NULL REFERENCES users (id),
    requested_at BIGINT NOT NULL,
    state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'ready', 'downloaded', 'expired', 'failed')),
    done BIGINT NOT NULL,
    total BIGINT NOT NULL,
    size BIGINT,
    sha256 BLOB,
    ready_at BIGINT,
    expires_at BIGINT,
    downloaded_at BIGINT,
    -- When its blob and data key were removed (after the download, or on
    -- expiry).
    purged_at BIGINT
);
CREATE INDEX record_exports_practice ON record_exports (practice_id, requested_at);
