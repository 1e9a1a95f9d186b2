-- Practice contact details and office hours, shown to patients with the
-- expected response time. Keep in step with ../sqlite/0002_practice_hours.sql.

ALTER TABLE practices ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'America/New_York';
ALTER TABLE practices ADD COLUMN phone TEXT;

-- Weekly opening hours in the practice's time zone: ISO weekday (1 = Monday),
-- minutes after midnight. A day may have several periods.
CREATE TABLE office_hours (
    practice_id BYTEA NOT NULL REFERENCES practices (id),
    weekday BIGINT NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens_minute BIGINT NOT NULL CHECK (opens_minute BETWEEN 0 AND 1439),
    closes_minute BIGINT NOT NULL CHECK (closes_minute BETWEEN 1 AND 1440),
    CHECK (opens_minute < closes_minute),
    PRIMARY KEY (practice_id, weekday, opens_minute)
);
