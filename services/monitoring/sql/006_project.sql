-- The project presented to the person and the company (presentazione del
-- progetto, seed 000): its objectives, the task list (mansionario) and the
-- request for on-site accompaniment (affiancamento), as the JSON of
-- snodo.monitoring.Project. Each SetProject adds a version; a version is
-- never changed after, so what was presented stays as it was.
CREATE TABLE project (
    pathway_id  uuid NOT NULL REFERENCES pathway ON DELETE CASCADE,
    version     integer NOT NULL CHECK (version >= 1),
    date        date NOT NULL,          -- the version's own day
    data        jsonb NOT NULL,
    recorded_by text NOT NULL,
    recorded_at timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (pathway_id, version)
);
