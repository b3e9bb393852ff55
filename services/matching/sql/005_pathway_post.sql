-- The projects monitoring runs hold places too. A pathway presented to a
-- post (PresentProject: PROJECT, AGREEMENT, ACTIVE, SUSPENDED) holds one of
-- its places, as an accepted proposal does, though no proposal led to it:
-- matching keeps each pathway's post, and a post's places held are its
-- accepted proposals and the projects on it of persons with no accepted
-- proposal there (a proposal's own project is counted once, as the
-- proposal). Before, matching offered and accepted a place that a project
-- presented in monitoring already held.
ALTER TABLE pathway ADD COLUMN post_id uuid;
CREATE INDEX pathway_post ON pathway (post_id) WHERE post_id IS NOT NULL;

CREATE FUNCTION post_held (post uuid) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT (SELECT count (*) FROM proposal q WHERE q.post_id = $1 AND q.status = 2)     -- ACCEPTED
               + (SELECT count (*) FROM pathway w
                  WHERE w.post_id = $1 AND w.state BETWEEN 5 AND 8                         -- PROJECT .. SUSPENDED
                  AND NOT EXISTS (SELECT 1 FROM proposal q WHERE q.post_id = $1 AND q.status = 2
                                  AND q.person_id = w.person_id)) $$;

-- A post's free places: its places, less those filled and those held.
CREATE OR REPLACE FUNCTION post_free_places (p post) RETURNS bigint
    LANGUAGE sql STABLE
    AS $$ SELECT p.places - p.places_filled - post_held (p.id) $$;
