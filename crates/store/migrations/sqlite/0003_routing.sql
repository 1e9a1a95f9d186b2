-- Routing, pools, assignment, cover, escalation, templates and alerts.
-- Keep in step with ../postgres/0003_routing.sql.

-- How much open work a staff member takes, and whether a provider accepts
-- messages addressed to them directly.
ALTER TABLE users ADD COLUMN capacity BIGINT NOT NULL DEFAULT 20;
ALTER TABLE users ADD COLUMN accepts_direct_messages BIGINT NOT NULL DEFAULT 1;

-- A link patients can use to book visits themselves (for templates).
ALTER TABLE practices ADD COLUMN scheduling_url TEXT;

-- Shared group inboxes. 'auto' assigns new work to the least-loaded available
-- member; 'lead' leaves it for the pool lead to hand out.
CREATE TABLE pools (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    name TEXT NOT NULL,
    lead_id BLOB REFERENCES users (id),
    assignment_mode TEXT NOT NULL CHECK (assignment_mode IN ('auto', 'lead')),
    -- Round-robin position: the member assigned last.
    last_assigned_id BLOB REFERENCES users (id),
    created_at BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

CREATE TABLE pool_members (
    pool_id BLOB NOT NULL REFERENCES pools (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    position BIGINT NOT NULL,
    PRIMARY KEY (pool_id, user_id)
);
CREATE INDEX pool_members_user ON pool_members (user_id);

-- The pool running a patient's remote monitoring program, if enrolled.
ALTER TABLE patients ADD COLUMN program_pool_id BLOB REFERENCES pools (id);

-- A practice's ordered routing rules: first match wins.
CREATE TABLE routing_rules (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    position BIGINT NOT NULL,
    name TEXT NOT NULL,
    topic TEXT,
    department_id BLOB REFERENCES departments (id),
    provider_direct BIGINT NOT NULL DEFAULT 0,
    target_kind TEXT NOT NULL CHECK (target_kind IN ('person', 'pool', 'patient_care_team', 'program_staff', 'addressed_provider')),
    target_id BLOB,
    created_at BIGINT NOT NULL
);
CREATE INDEX routing_rules_practice ON routing_rules (practice_id, position);

-- Who owns a conversation (a person, a pool, a care team or a department),
-- why, and its escalation to a provider.
ALTER TABLE conversations ADD COLUMN owner_kind TEXT CHECK (owner_kind IN ('person', 'pool', 'care_team', 'department'));
ALTER TABLE conversations ADD COLUMN owner_id BLOB;
ALTER TABLE conversations ADD COLUMN routing_rule_id BLOB;
ALTER TABLE conversations ADD COLUMN routing_reason TEXT;
ALTER TABLE conversations ADD COLUMN intended_reader_id BLOB REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN assigned_at BIGINT;
ALTER TABLE conversations ADD COLUMN keep_with_assignee BIGINT NOT NULL DEFAULT 0;
ALTER TABLE conversations ADD COLUMN covered_for BLOB REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN escalated_to BLOB REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN escalated_by BLOB REFERENCES users (id);
ALTER TABLE conversations ADD COLUMN escalated_at BIGINT;
CREATE INDEX conversations_owner ON conversations (owner_id, status);
CREATE INDEX conversations_escalated ON conversations (escalated_to);

-- Every change of owner or assignee, with why. Free-text reasons may hold PHI,
-- so they are encrypted under the conversation's key.
CREATE TABLE assignment_history (
    id BLOB PRIMARY KEY,
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    at BIGINT NOT NULL,
    actor_id BLOB REFERENCES users (id),
    from_assignee_id BLOB REFERENCES users (id),
    to_assignee_id BLOB REFERENCES users (id),
    to_owner_kind TEXT,
    to_owner_id BLOB,
    reason_code TEXT NOT NULL,
    reason_ct BLOB
);
CREATE INDEX assignment_history_conversation ON assignment_history (conversation_id, at);

-- Out-of-office periods and who covers.
CREATE TABLE absences (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    starts_at BIGINT NOT NULL,
    ends_at BIGINT NOT NULL,
    cover_id BLOB REFERENCES users (id),
    created_at BIGINT NOT NULL,
    cancelled_at BIGINT,
    CHECK (starts_at < ends_at)
);
CREATE INDEX absences_user ON absences (user_id, ends_at);

-- The practice's quick replies. Practice content, not PHI.
CREATE TABLE templates (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    name TEXT NOT NULL,
    body TEXT NOT NULL,
    owner_id BLOB NOT NULL REFERENCES users (id),
    review_by TEXT NOT NULL,
    usage_count BIGINT NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    UNIQUE (practice_id, name)
);

-- Alerts for staff (an urgent message, an escalation), until acknowledged.
CREATE TABLE alerts (
    id BLOB PRIMARY KEY,
    practice_id BLOB NOT NULL REFERENCES practices (id),
    user_id BLOB NOT NULL REFERENCES users (id),
    conversation_id BLOB NOT NULL REFERENCES conversations (id),
    kind TEXT NOT NULL CHECK (kind IN ('urgent_message', 'escalated')),
    created_at BIGINT NOT NULL,
    acknowledged_at BIGINT
);
CREATE INDEX alerts_user ON alerts (user_id, acknowledged_at);
