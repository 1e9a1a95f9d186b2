-- Sessions their holders can see and end, and the devices accounts sign in
-- from. Keep in step with ../postgres/0016_sessions_seen.sql.

-- A session's public id (random, never derived from the token or its
-- hash), the device it was opened on as shown to its holder ("Chrome on
-- Android"), and the client address at sign-in and at last use (stored
-- plainly, as the audit log stores addresses).
ALTER TABLE sessions ADD COLUMN public_id BLOB;
ALTER TABLE sessions ADD COLUMN device TEXT;
ALTER TABLE sessions ADD COLUMN client_addr TEXT;
ALTER TABLE sessions ADD COLUMN last_client_addr TEXT;

-- Sessions opened before this migration get a random public id.
UPDATE sessions SET public_id = randomblob(16) WHERE public_id IS NULL;

CREATE UNIQUE INDEX sessions_public_id ON sessions (public_id);

-- Each device description and address an account signed in from, and when
-- last: a sign-in from a pair not seen for 90 days is told to the account
-- holder. Kept apart from sessions, which are purged a day after they end.
-- The address is '' when it was not known.
CREATE TABLE sign_in_devices (
    user_id BLOB NOT NULL REFERENCES users (id),
    device TEXT NOT NULL,
    client_addr TEXT NOT NULL,
    last_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, device, client_addr)
);
CREATE INDEX sign_in_devices_last ON sign_in_devices (last_at);
