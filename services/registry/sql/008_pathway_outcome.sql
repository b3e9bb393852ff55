-- The outcomes of closed pathways the registry recorded (RecordOutcome,
-- told by the monitoring service from monitoring.pathway.closed), one per
-- pathway: a hire fills a place of its post and counts toward the
-- company's law 68/1999 quota once, however often it is told again; a
-- return records the commission's outcome on the person.
CREATE TABLE pathway_outcome (
    pathway_id  uuid PRIMARY KEY,
    person_id   uuid NOT NULL REFERENCES person,
    kind        integer NOT NULL CHECK (kind BETWEEN 1 AND 2),     -- PathwayOutcome: 1 HIRED, 2 RETURNED
    date        date NOT NULL,
    post_id     uuid,               -- the post a hire filled a place of (NULL: none)
    company_id  uuid,               -- the company whose covered quota it counted toward (NULL: none)
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX pathway_outcome_person ON pathway_outcome (person_id);
