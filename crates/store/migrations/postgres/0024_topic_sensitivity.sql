-- Topics a practice marks sensitive: a conversation on such a topic starts
-- with that category as its mark. Keep in step with
-- ../sqlite/0024_topic_sensitivity.sql.
CREATE TABLE topic_sensitivity (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    topic TEXT NOT NULL,
    category TEXT NOT NULL CHECK (category IN ('behavioural_health', 'reproductive_health', 'substance_use')),
    PRIMARY KEY (practice_id, topic)
);
