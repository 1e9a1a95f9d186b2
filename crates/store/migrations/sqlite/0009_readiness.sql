-- The rows the readiness probe (/readyz) writes, through the writer like any
-- change, so that readiness fails when writes fail (a full disk, a database
-- that is read-only or gone). One row per running node (a random id made at
-- start), so that nodes never wait on each other's probes; rows of nodes
-- gone for a week are removed at start. A time and nothing else.
-- Keep in step with ../postgres/0009_readiness.sql.

CREATE TABLE readiness_probe (
    node_id BLOB PRIMARY KEY,
    checked_at BIGINT NOT NULL
);
