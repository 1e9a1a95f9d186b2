-- Routing documents: the pool whose members file to the chart what
-- patients send. Keep in step with ../sqlite/0014_documents_pool.sql.

-- NULL: no pool is named; the queue is then for administrators alone.
ALTER TABLE practices ADD COLUMN documents_pool_id BYTEA REFERENCES pools (id);

-- The queue of what is still to file, oldest first.
CREATE INDEX attachments_to_file ON attachments (uploaded_at) WHERE filed_at IS NULL AND message_id IS NOT NULL;
