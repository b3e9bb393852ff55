-- The seals of other services' audit trails that this service witnessed:
-- every "journal.audit.sealed" event of a source it follows, kept in this
-- service's own schema, in the same transaction as its cursor. A batch seen
-- sealed again with another hash keeps the first hash and records the
-- second in conflict: the source's trail was cut and written anew.
CREATE TABLE witness (
    source      text NOT NULL,
    batch       bigint NOT NULL,
    entries     bigint NOT NULL,
    hash        bytea NOT NULL,
    conflict    bytea,
    sealed_at   timestamptz NOT NULL,
    seen_at     timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (source, batch)
);
