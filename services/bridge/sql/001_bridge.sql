-- The bridge's schema: the files it took and the outcome of each record
-- (exactly once in effect: a record applied is never applied again), what
-- the hub and the social record each say of the persons and pathways the
-- bridge referred, and the outbound events with their cursor.

-- A file taken from inbox/: it moves to work/<id>-<name> before it is read,
-- so that a restart knows what was in hand.
CREATE TABLE inbound_file (
    id              bigserial PRIMARY KEY,
    name            text NOT NULL,          -- as dropped in inbox/
    state           text NOT NULL CHECK (state IN ('taken', 'reading', 'applying', 'processed',
                                                   'rejected', 'duplicate', 'abandoned')),
    digest          bytea,                  -- SHA-256 of its bytes, once read
    bytes           bigint NOT NULL DEFAULT 0,
    bytes_read      bigint NOT NULL DEFAULT 0,
    records         bigint NOT NULL DEFAULT 0,
    next_ordinal    bigint NOT NULL DEFAULT 0,  -- every record before it has its outcome
    accepted        bigint NOT NULL DEFAULT 0,
    rejected        bigint NOT NULL DEFAULT 0,
    skipped         bigint NOT NULL DEFAULT 0,
    reason          text NOT NULL DEFAULT '',   -- why the whole file was rejected
    attempts        integer NOT NULL DEFAULT 0, -- times the bridge started on it (a crash loop ends at 3)
    duplicate_of    bigint REFERENCES inbound_file,
    path            text NOT NULL DEFAULT '',   -- where it ended: processed/... or rejected/...
    report          text NOT NULL DEFAULT '',
    taken_at        timestamptz NOT NULL DEFAULT now (),
    finished_at     timestamptz
);
-- the same bytes are applied by one file only; another is a duplicate
CREATE UNIQUE INDEX inbound_file_digest ON inbound_file (digest) WHERE state IN ('applying', 'processed');
CREATE INDEX inbound_file_taken ON inbound_file (taken_at);

-- The outcome of each record of a file, in the file's order (its report).
CREATE TABLE record_outcome (
    file_id     bigint NOT NULL REFERENCES inbound_file,
    ordinal     bigint NOT NULL,
    line        bigint NOT NULL,
    kind        text NOT NULL,                  -- referral, update, or the element found
    record_id   text NOT NULL DEFAULT '',
    outcome     text NOT NULL CHECK (outcome IN ('accepted', 'rejected', 'skipped')),
    reason      text NOT NULL DEFAULT '',
    PRIMARY KEY (file_id, ordinal)
);

-- Every record applied, by its key ("referral:ID", "update:ID"): the same
-- record in another file, or again after a restart, is skipped.
CREATE TABLE applied_record (
    key         text PRIMARY KEY,
    content     bytea NOT NULL,                 -- SHA-256 of what it said
    file_id     bigint NOT NULL REFERENCES inbound_file,
    line        bigint NOT NULL
);

-- The referrals the hub accepted: the social record's key to the hub's ids.
CREATE TABLE referral (
    id              text PRIMARY KEY,
    codice_fiscale  text NOT NULL,
    person_id       uuid NOT NULL,
    pathway_id      uuid,
    ambito          text NOT NULL DEFAULT '',
    objective       integer NOT NULL DEFAULT 0,
    withdrawn       boolean NOT NULL DEFAULT false,
    accepted_at     timestamptz NOT NULL DEFAULT now ()
);
CREATE INDEX referral_pathway ON referral (pathway_id);
CREATE INDEX referral_person ON referral (person_id);

-- What the social record's last records said of each referral, accepted
-- or not: one side of bridge reconcile.
CREATE TABLE region_view (
    referral_id     text PRIMARY KEY,
    codice_fiscale  text NOT NULL DEFAULT '',
    status          text NOT NULL DEFAULT 'referred' CHECK (status IN ('referred', 'withdrawn')),
    municipality    text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    last_record     text NOT NULL DEFAULT '',   -- referral, contact, consentRevoked, withdrawn
    last_outcome    text NOT NULL DEFAULT '',
    last_reason     text NOT NULL DEFAULT '',
    file_id         bigint,
    line            bigint,
    updated_at      timestamptz NOT NULL DEFAULT now ()
);

-- The other side: what the hub's events say of the persons and pathways
-- the bridge referred (registry.person.*, monitoring.pathway.*).
CREATE TABLE hub_person (
    id              uuid PRIMARY KEY,
    codice_fiscale  text NOT NULL,
    municipality    text NOT NULL DEFAULT '',
    address         text NOT NULL DEFAULT '',
    phone           text NOT NULL DEFAULT '',
    email           text NOT NULL DEFAULT '',
    updated_at      timestamptz NOT NULL DEFAULT now ()
);
CREATE TABLE hub_pathway (
    id          uuid PRIMARY KEY,
    person_id   uuid NOT NULL,
    state       integer NOT NULL,
    outcome     integer NOT NULL DEFAULT 0,
    updated_at  timestamptz NOT NULL DEFAULT now ()
);

-- Events for the social record, numbered gap-free in the order monitoring
-- published them (only the subscriber's transaction inserts: one at a time).
CREATE TABLE outbound_event (
    seq         bigint PRIMARY KEY,
    source_seq  bigint NOT NULL UNIQUE,         -- monitoring's seq
    type        text NOT NULL,                  -- the outbound file's event type
    kind        text NOT NULL CHECK (kind IN ('pathway', 'meeting')),
    pathway_id  uuid NOT NULL,
    person_id   uuid NOT NULL,
    state       integer NOT NULL,               -- the pathway's, when the event came
    at          timestamptz NOT NULL,
    body        bytea NOT NULL                  -- the monitoring event's body (Pathway, Meeting)
);

-- The cursor of the outbound files: every event up to last_seq is in a file
-- of outbox/. A file is written to a temporary name, flushed, recorded here
-- as 'writing', renamed, and only then the cursor moves (with 'written').
CREATE TABLE outbound_file (
    id          bigserial PRIMARY KEY,
    name        text NOT NULL UNIQUE,
    first_seq   bigint NOT NULL,
    last_seq    bigint NOT NULL,
    state       text NOT NULL CHECK (state IN ('writing', 'written')),
    written_at  timestamptz NOT NULL DEFAULT now ()
);
CREATE TABLE outbound_cursor (
    id          integer PRIMARY KEY CHECK (id = 1),
    last_seq    bigint NOT NULL
);
INSERT INTO outbound_cursor VALUES (1, 0);

-- Services delivered (seed 003) to the persons the bridge referred, per
-- year and code: the yearly summary.
CREATE TABLE service_total (
    year        integer NOT NULL,
    person_id   uuid NOT NULL,
    code        text NOT NULL,
    deliveries  integer NOT NULL DEFAULT 0,
    hours       numeric (10, 2) NOT NULL DEFAULT 0,
    PRIMARY KEY (year, person_id, code)
);
CREATE TABLE summary_file (
    year        integer NOT NULL,
    revision    integer NOT NULL,
    name        text NOT NULL,
    persons     integer NOT NULL,
    written_at  timestamptz NOT NULL DEFAULT now (),
    PRIMARY KEY (year, revision)
);
