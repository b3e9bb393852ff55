-- Events a subscriber could not apply (docs/operations.md, "Failed events").
-- An event whose apply fails, not because the database is down, is tried
-- again with back-off a few times, then parked here with what the database
-- (or the apply) said. Where its type is not safe to pass, the subscriber
-- stops at it until an operator decides (journal.RetryFailed,
-- journal.SkipFailed); where it is, the row is written and the cursor moves
-- past it in one transaction (passed). The event itself is kept, so that a
-- passed event retried is applied from here, out of order.
CREATE TABLE failed_event (
    source          text NOT NULL,
    seq             bigint NOT NULL,
    event_id        uuid NOT NULL,
    type            text NOT NULL,
    subject         text NOT NULL,
    at              timestamptz NOT NULL,       -- the event's commit time at its source
    body            bytea NOT NULL,
    error           text NOT NULL,              -- the database's error message, or the apply's
    attempts        integer NOT NULL,           -- every failed try, over every round
    first_failed_at timestamptz NOT NULL,
    last_failed_at  timestamptz NOT NULL,
    -- parked: waits for a decision; retrying: an operator asked for another
    -- round of tries; skipped: an operator passed it; applied: a try worked
    state           text NOT NULL CHECK (state IN ('parked', 'retrying', 'skipped', 'applied')),
    passed          boolean NOT NULL,           -- the cursor is past it (safe type, or skipped)
    decided_by      text NOT NULL DEFAULT '',   -- a member's id, or 'subscriber' for a safe type
    decided_at      timestamptz,
    why             text NOT NULL DEFAULT '',
    PRIMARY KEY (source, seq)
);
-- what a subscriber polls while it waits, and what ListFailed shows first
CREATE INDEX failed_event_open ON failed_event (source, seq) WHERE state IN ('parked', 'retrying');
