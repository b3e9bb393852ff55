-- A post's free places: its places, less those filled and those of proposals
-- accepted (status 2) and not yet hired. One rule for the companies' list and
-- for accepting a proposal (the in-memory index keeps its own count of the
-- accepted ones, fed by the same events).
CREATE FUNCTION post_free_places (p post) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT p.places - p.places_filled
                 - (SELECT count (*) FROM proposal q WHERE q.post_id = p.id AND q.status = 2) $$;   -- ACCEPTED
