-- The registry's person_access (common/sql/008_follow.sql) is a view of its
-- own tables: an event's audience is read in the transaction that writes
-- the event, so a consent granted or revoked is in force for the very next
-- event about the person.
DROP TABLE person_access;
CREATE VIEW person_access AS
    SELECT id AS person_id, 'm:' || referring_member_id AS grantee, 'person' AS via FROM person
    UNION ALL
    SELECT id, 'm:' || referred_via, 'person' FROM person WHERE referred_via IS NOT NULL
    UNION ALL
    SELECT person_id, 'm:' || member_id, 'team:' || pathway_id FROM team
    UNION ALL
    SELECT person_id, 'k:' || member_kind || ':' || purpose, 'person' FROM consent WHERE revoked_at IS NULL;
