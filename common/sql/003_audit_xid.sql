-- Audit seals by transaction range. A batch now covers every entry written by
-- the transactions whose ids lie in [xid_from, xid_to), all of them finished
-- when it was sealed (xid_to is at most the oldest transaction still running),
-- so an entry that commits late falls in a later batch by itself and no entry
-- is ever updated to name its batch: sealing writes one row per batch instead
-- of rewriting every entry (with its indexes) once more.
--
-- Batches sealed before keep their number in audit.batch and no range; their
-- entries have no xid. Entries still unsealed now get xid 1, below every real
-- transaction id, so the first ranged batch (from 0) takes them.
ALTER TABLE audit ADD COLUMN xid xid8;
UPDATE audit SET xid = '1' WHERE batch IS NULL;
ALTER TABLE audit ALTER COLUMN xid SET DEFAULT pg_current_xact_id ();
ALTER TABLE audit ADD CONSTRAINT audit_sealed_or_ranged CHECK ((batch IS NULL) <> (xid IS NULL));
DROP INDEX audit_unsealed;
DROP INDEX audit_batch_id;
CREATE INDEX audit_xid ON audit (xid);
CREATE INDEX audit_legacy_batch ON audit (batch, id) WHERE batch IS NOT NULL;

ALTER TABLE audit_batch ADD COLUMN xid_from xid8, ADD COLUMN xid_to xid8,
    ADD CONSTRAINT audit_batch_range CHECK ((xid_from IS NULL) = (xid_to IS NULL) AND xid_from < xid_to);
