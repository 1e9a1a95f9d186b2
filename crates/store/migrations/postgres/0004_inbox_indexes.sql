-- The inbox asks two narrow questions of conversations: which are waiting in
-- an owner's pool (oldest first), and which are escalated to a provider.
-- Partial indexes answer both and stay small; the update every message makes
-- to its conversation no longer has to maintain an index over all of them.
DROP INDEX conversations_owner;
DROP INDEX conversations_escalated;
CREATE INDEX conversations_waiting ON conversations (owner_id, created_at) WHERE assignee_id IS NULL AND status <> 'closed';
CREATE INDEX conversations_escalated ON conversations (escalated_to) WHERE escalated_to IS NOT NULL;
