-- Push subscriptions tied to the session that made them, and reminder
-- emails a person turned off.
-- Keep in step with ../postgres/0012_push_sessions_and_reminder_opt_out.sql.

-- The session a push subscription was made in (the SHA-256 of its token,
-- as sessions are keyed): signing out of that session drops it, so a
-- signed-out browser is told nothing more. No foreign key: ended sessions
-- are purged, and their subscriptions stay until the browser signs out.
ALTER TABLE push_subscriptions ADD COLUMN session_hash BLOB;
CREATE INDEX push_subscriptions_session ON push_subscriptions (session_hash);

-- When the person turned off reminder emails (the one-click unsubscribe in
-- a reminder, or their settings); NULL while reminders are emailed.
ALTER TABLE contact_preferences ADD COLUMN reminder_emails_off_at BIGINT;
