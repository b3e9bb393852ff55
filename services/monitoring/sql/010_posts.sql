-- What the service knows of the registry's job posts and employers, kept
-- from the registry's events (registry.post.*, registry.company.*,
-- registry.cooperative.*), so that placing a project on a post
-- (PresentProject) can check that the post and its employer exist, that the
-- post is that employer's, and that it has a free place.
CREATE TABLE post (
    id              uuid PRIMARY KEY,
    employer_id     uuid NOT NULL,
    status          integer NOT NULL,       -- PostStatus: 1 OPEN, 2 CLOSED, 3 FILLED
    places          integer NOT NULL,
    places_filled   integer NOT NULL,
    updated_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE TABLE employer (
    id              uuid PRIMARY KEY,
    kind            text NOT NULL CHECK (kind IN ('company', 'cooperative')),
    name            text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now ()
);
-- The projects that hold a place of a post (PROJECT ... SUSPENDED).
CREATE INDEX pathway_post ON pathway ((data->>'postId')) WHERE state BETWEEN 5 AND 8;
-- The posts and employers made before this migration are in the registry's
-- events already applied: they are read again from the first (every apply
-- of the registry's events is an upsert, and witnessed seals are kept once).
UPDATE cursor SET last_seq = 0 WHERE source = 'registry';
