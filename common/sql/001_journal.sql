-- The journal of a service, in the service's own schema (search_path is set):
-- idempotency records, the outbox of events, the audit trail, subscriber cursors.

-- A request that changed state, and the reply it got: a retry with the same
-- request_id gets this reply and changes nothing twice.
CREATE TABLE idempotency (
    request_id  bytea PRIMARY KEY CHECK (length (request_id) = 16),
    member_id   text NOT NULL,
    method      text NOT NULL,
    reply       bytea NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX idempotency_created ON idempotency (created_at);

-- Events written by handlers inside their transaction, without a number; the
-- relay numbers committed rows (seq) in order, under a lock, then publishes them.
CREATE TABLE outbox (
    id          bigserial PRIMARY KEY,
    seq         bigint UNIQUE,
    event_id    uuid NOT NULL DEFAULT gen_random_uuid (),
    type        text NOT NULL,
    subject     text NOT NULL,
    body        bytea NOT NULL,
    at          timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX outbox_unnumbered ON outbox (id) WHERE seq IS NULL;

-- Every access to personal data, every denial. Sealed in batches: each batch's
-- hash covers its entries and the previous batch's hash.
CREATE TABLE audit (
    id          bigserial PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT date_trunc ('milliseconds', clock_timestamp ()),
    member_id   text NOT NULL,
    method      text NOT NULL,
    purpose     text NOT NULL,
    subject     text NOT NULL,
    outcome     integer NOT NULL,
    request_id  bytea NOT NULL,
    batch       bigint
);
CREATE INDEX audit_unsealed ON audit (id) WHERE batch IS NULL;
CREATE INDEX audit_batch_id ON audit (batch, id);
CREATE INDEX audit_subject ON audit (subject);

CREATE TABLE audit_batch (
    batch       bigint PRIMARY KEY,
    entries     integer NOT NULL,
    prev_hash   bytea NOT NULL,
    hash        bytea NOT NULL,
    sealed_at   timestamptz NOT NULL DEFAULT now ()
);

-- What a subscriber has applied of each source, updated in the same
-- transaction as the event's effects.
CREATE TABLE cursor (
    source      text PRIMARY KEY,
    last_seq    bigint NOT NULL
);
