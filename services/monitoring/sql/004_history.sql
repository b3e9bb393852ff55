-- The dated history of a pathway: one row per transition (the referral
-- first, from state 0), with the day it happened as the operator gave it.
-- The dates of a pathway follow each other (docs/monitoring.md, "Dates"):
-- the service checks it on every transition.
CREATE TABLE pathway_transition (
    id          bigserial PRIMARY KEY,
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,   -- the history is the pathway's
    from_state  integer NOT NULL,       -- PathwayState; 0 for the referral
    to_state    integer NOT NULL CHECK (to_state BETWEEN 1 AND 9),
    date        date NOT NULL,
    member_id   text NOT NULL DEFAULT '',
    note        text NOT NULL DEFAULT '',
    recorded_at timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX pathway_transition_pathway ON pathway_transition (pathway_id, id);

-- A new pathway's referral is its first transition, whoever inserts it
-- (Refer, ReferBatch): dated referredOn, by the referring member (or the
-- member that referred it for the referring service).
CREATE FUNCTION pathway_referred () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pathway_transition (pathway_id, from_state, to_state, date, member_id)
    VALUES (NEW.id, 0, NEW.state, (NEW.data ->> 'referredOn')::date,
            coalesce (nullif (NEW.referred_via, ''), NEW.referring_member_id));
    RETURN NULL;
END $$;
CREATE TRIGGER pathway_referred AFTER INSERT ON pathway FOR EACH ROW EXECUTE FUNCTION pathway_referred ();

-- The pathways already here get a history from what they kept, as best we
-- can: the referral on referredOn; the agreement's signature on its signedOn;
-- the activation on start_date; the close on the outcome's date; a state
-- none of these dates (INTAKE to PROJECT, SUSPENDED) on the day of
-- updated_at. The steps in between are not known and get no row; every
-- date is raised to the one before it, so that the history is in order.
-- Their member is the referring one, their note 'migrated'.
WITH known AS (
    SELECT p.id, 0 AS from_state, 1 AS to_state, nullif (p.data ->> 'referredOn', '')::date AS date, 1 AS step
    FROM pathway p
    UNION ALL
    SELECT p.id, 5, 6, (p.data #>> '{agreement,signedOn}')::date, 2 FROM pathway p
    WHERE p.state >= 6 AND coalesce (p.data #>> '{agreement,signedOn}', '') <> ''
    UNION ALL
    SELECT p.id, 6, 7, p.start_date, 3 FROM pathway p WHERE p.state >= 7 AND p.start_date IS NOT NULL
    UNION ALL
    -- the record holds the state to resume by its enum name (the JSON the
    -- service stores), a number only if written by hand
    SELECT p.id, CASE WHEN p.state = 8 THEN coalesce (CASE WHEN p.data ->> 'suspendedFrom' ~ '^[0-9]+$'
                          THEN (p.data ->> 'suspendedFrom')::int
                          ELSE array_position (ARRAY ['PATHWAY_STATE_REFERRED', 'PATHWAY_STATE_INTAKE',
                               'PATHWAY_STATE_ASSESSMENT', 'PATHWAY_STATE_MATCHING', 'PATHWAY_STATE_PROJECT',
                               'PATHWAY_STATE_AGREEMENT', 'PATHWAY_STATE_ACTIVE'], p.data ->> 'suspendedFrom') END, 7)
                      ELSE p.state - 1 END,
           p.state, (p.updated_at AT TIME ZONE 'Europe/Rome')::date, 4
    FROM pathway p WHERE p.state IN (2, 3, 4, 5, 8)
    UNION ALL
    SELECT p.id, CASE WHEN p.start_date IS NOT NULL THEN 7 ELSE 1 END, 9,
           coalesce (nullif (p.data #>> '{outcome,date}', '')::date, (p.updated_at AT TIME ZONE 'Europe/Rome')::date), 5
    FROM pathway p WHERE p.state = 9
)
INSERT INTO pathway_transition (pathway_id, from_state, to_state, date, member_id, note, recorded_at)
SELECT k.id, k.from_state, k.to_state,
       max (k.date) OVER (PARTITION BY k.id ORDER BY k.step), p.referring_member_id, 'migrated', p.updated_at
FROM known k JOIN pathway p ON p.id = k.id
WHERE k.date IS NOT NULL
ORDER BY k.id, k.step;
