-- A pathway's referral transition is written once for every pathway a
-- statement inserted (ReferBatch inserts a batch in one statement): a
-- trigger for each row ran its PL/pgSQL and its INSERT once a pathway: some
-- 40 % of the time of the statement that inserted them.
DROP TRIGGER pathway_referred ON pathway;
CREATE OR REPLACE FUNCTION pathway_referred () RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO pathway_transition (pathway_id, from_state, to_state, date, member_id)
    SELECT id, 0, state, (data ->> 'referredOn')::date, coalesce (nullif (referred_via, ''), referring_member_id)
    FROM referred;
    RETURN NULL;
END $$;
CREATE TRIGGER pathway_referred AFTER INSERT ON pathway REFERENCING NEW TABLE AS referred
    FOR EACH STATEMENT EXECUTE FUNCTION pathway_referred ();
