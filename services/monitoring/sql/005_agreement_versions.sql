-- The agreement keeps its history: changing a signed agreement makes an
-- amendment (version + 1, its own day and signature); the versions it
-- replaces are kept here, each as it was (data: the Agreement's JSON, with
-- its signedOn), never changed after. The current version stays in the
-- pathway's data. Agreements already stored are version 1.
CREATE TABLE agreement_version (
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,
    number      integer NOT NULL CHECK (number >= 1),
    date        date,                   -- the version's own day: NULL for the original
    signed_on   date,
    data        jsonb NOT NULL,
    replaced_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (pathway_id, number)
);
UPDATE pathway SET data = jsonb_set (data, '{agreement,version}', '1')
WHERE jsonb_typeof (data -> 'agreement') = 'object';
