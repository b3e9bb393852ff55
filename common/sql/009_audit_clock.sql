-- Audit seals that survive a restore into another cluster (docs/operations.md,
-- "Backup and restore"). A batch covers the entries of a range of
-- transaction ids, and transaction ids belong to one cluster: restored into a
-- new one (pg_dump, pg_restore), the counter starts again far below the
-- ranges already sealed, so new entries would fall inside sealed batches
-- (verify: BROKEN) and never be sealed. The trail now counts on a clock that
-- the dump carries: the transaction id plus an offset kept here, raised (once,
-- by audit_clock_check at a service's start) whenever the cluster's counter is
-- found behind what the trail has used.
CREATE TABLE audit_clock (
    one         boolean PRIMARY KEY DEFAULT true CHECK (one),
    xid_offset  bigint NOT NULL DEFAULT 0
);
INSERT INTO audit_clock DEFAULT VALUES;

ALTER TABLE audit ALTER COLUMN xid DROP DEFAULT;
ALTER TABLE audit ALTER COLUMN xid TYPE bigint USING xid::text::bigint;
ALTER TABLE audit ALTER COLUMN xid SET DEFAULT pg_current_xact_id ()::text::bigint;
ALTER TABLE audit_batch ALTER COLUMN xid_from TYPE bigint USING xid_from::text::bigint,
                        ALTER COLUMN xid_to TYPE bigint USING xid_to::text::bigint;

-- Raises the offset when the cluster's next transaction id, offset included,
-- is not past every id the trail has used; the column's default follows (a
-- constant in it costs nothing per entry). Returns the offset.
CREATE FUNCTION audit_clock_check () RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
    next_xid bigint := pg_snapshot_xmax (pg_current_snapshot ())::text::bigint;
    used bigint := greatest (coalesce ((SELECT xid_to FROM audit_batch ORDER BY batch DESC LIMIT 1), 0),
                             (SELECT coalesce (max (xid), 0) FROM audit));
    shift bigint := (SELECT xid_offset FROM audit_clock);
BEGIN
    IF next_xid + shift <= used THEN
        shift := used - next_xid + 1;
        UPDATE audit_clock SET xid_offset = shift;
        EXECUTE format ('ALTER TABLE audit ALTER COLUMN xid SET DEFAULT pg_current_xact_id ()::text::bigint + %s',
                        shift);
    END IF;
    RETURN shift;
END $$;
