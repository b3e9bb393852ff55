-- The team's notes on a person (approfondimento della conoscenza, seed 000):
-- capacities, strengths, problems, other. A note is its versions: a
-- correction is a new row with the next version, and no row is ever changed,
-- so every version stays readable.
CREATE TABLE person_note (
    id          uuid NOT NULL,
    version     integer NOT NULL CHECK (version >= 1),
    person_id   uuid NOT NULL REFERENCES person ON DELETE CASCADE,
    kind        integer NOT NULL CHECK (kind BETWEEN 1 AND 4),     -- NoteKind
    text        text NOT NULL,
    noted_on    date NOT NULL,
    written_by  text NOT NULL REFERENCES member,
    written_at  timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (id, version)
);
CREATE INDEX person_note_person ON person_note (person_id, noted_on DESC);

CREATE FUNCTION person_note_kept () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a person''s note is corrected by a new version, never changed';
END $$;
CREATE TRIGGER person_note_kept BEFORE UPDATE ON person_note
    FOR EACH ROW EXECUTE FUNCTION person_note_kept ();
