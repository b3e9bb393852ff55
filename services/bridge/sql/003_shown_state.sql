-- A file's state as ImportStatus and Status show it. Its end is recorded
-- before its report is written and it leaves work/ (002_finished.sql): until
-- it has left (moved), it is shown in its last phase still, so that whoever
-- reads PROCESSED, REJECTED or DUPLICATE finds the file and its report in
-- place (snodoctl bridge import, deploy/snodo up's sample, an integrator).
CREATE FUNCTION shown_state (state text, moved boolean) RETURNS text
    LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN moved THEN state
                WHEN state = 'processed' THEN 'applying'
                WHEN state IN ('rejected', 'duplicate') THEN 'reading'
                ELSE state END $$;
