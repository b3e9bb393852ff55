-- Stored replies are found by request_id and cleaned up by age. Rows arrive
-- in created_at order, so a BRIN index serves the hourly clean-up as well as
-- the B-tree did, and a write no longer descends and updates a second
-- B-tree for it (the B-tree took one WAL record of every write).
DROP INDEX idempotency_created;
CREATE INDEX idempotency_created ON idempotency USING brin (created_at) WITH (autosummarize = on);
