-- Member streams (journal.Follow; docs/protocol.md, "Following events").
-- An event about a person names the person, and with it who could see the
-- person when the event was written: its audience, frozen with the event in
-- the writing transaction, so that a stream read again later (after a
-- disconnect) holds exactly what it held the first time.
ALTER TABLE outbox ADD COLUMN person uuid, ADD COLUMN audience text [];

-- Who may see a person under the relationship-or-consent rule (DESIGN.md),
-- as grantees: 'm:<member id>' for the referring service, the member that
-- referred the person for it and the members of the person's teams;
-- 'k:<member kind>:<purpose>' for a kind the person consented to for a
-- purpose. Every service but the registry keeps it from the registry's
-- events (sn_directory); the registry replaces it with a view of its own
-- tables.
CREATE TABLE person_access (
    person_id   uuid NOT NULL,
    grantee     text NOT NULL,
    via         text NOT NULL,          -- 'person' (referring, consent) or 'team:<pathway>'
    PRIMARY KEY (person_id, grantee, via)
);
