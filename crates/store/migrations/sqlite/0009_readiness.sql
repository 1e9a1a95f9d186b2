-- The row the readiness probe (/readyz) writes, through the writer like any
-- change, so that readiness fails when writes fail (a full disk, a database
-- that is read-only or gone). It holds a time and nothing else.
-- Keep in step with ../postgres/0009_readiness.sql.

CREATE TABLE readiness_probe (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    checked_at BIGINT NOT NULL
);
INSERT INTO readiness_probe (id, checked_at) VALUES (1, 0);
