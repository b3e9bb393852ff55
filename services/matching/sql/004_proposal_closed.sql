-- An accepted proposal holds a place on its post until the pathway it led
-- to is closed (monitoring's event): then it is CLOSED (4) and holds none.
-- A hire at that post fills a place in the registry instead (places_filled),
-- so the place is no longer counted twice; a pathway closed without a hire
-- gives the place back. pathway_id names the pathway that closed when the
-- proposal was made for none.
ALTER TABLE proposal DROP CONSTRAINT proposal_status_check;
ALTER TABLE proposal ADD CONSTRAINT proposal_status_check CHECK (status BETWEEN 1 AND 4);   -- 4 CLOSED
ALTER TABLE proposal ADD COLUMN closed_at timestamptz;
CREATE INDEX proposal_accepted ON proposal (person_id) WHERE status = 2;   -- ACCEPTED
