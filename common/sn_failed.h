/*  sn_failed: the events a subscriber could not apply, in its service's
    failed_event table (common/sql/010_failed_event.sql; docs/operations.md,
    "Failed events"). The subscriber's side: park an event, mark it applied,
    read what operators decided. (The operators' side is journal.ListFailed,
    RetryFailed and SkipFailed, in sn_journal_methods.c.) Each function runs
    its statements on db, in the caller's transaction if one is open, and
    does not log: on error it returns -1 with err filled. */
#ifndef SN_FAILED_H_INCLUDED
#define SN_FAILED_H_INCLUDED

#include "envelope.pb-c.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

//  Writes event (of source) as parked after attempts failed tries, the
//  first at first_failed_ms (ms since the epoch), the last saying error.
//  passed: its type is safe to pass, and the caller moves the cursor past it
//  in the same transaction (decided by "subscriber"). An event parked before
//  (a new round after a restart or an operator's retry) keeps its first
//  failure and earlier decision, and adds attempts; one an operator skipped
//  meanwhile stays skipped (the subscriber sees it when it looks for
//  decisions). Returns 0 or -1.
int sn_failed_park (PGconn *db, const char *source, const Snodo__Event *event, const char *error, int attempts,
                    int64_t first_failed_ms, bool passed, char *err, size_t errlen);

//  Marks a parked or retried event applied (in the transaction that applied
//  it). Returns 0 (also when it had no row), or -1.
int sn_failed_applied (PGconn *db, const char *source, uint64_t seq, char *err, size_t errlen);

//  A passed event retried that failed again: parked once more, with error
//  and one more attempt. Returns 0 or -1.
int sn_failed_again (PGconn *db, const char *source, uint64_t seq, const char *error, char *err, size_t errlen);

//  The first event of source after cursor that waits in the table, not
//  passed (parked or retrying): into *seq, 0 when none. Returns 0 or -1.
int sn_failed_first_open (PGconn *db, const char *source, uint64_t cursor, uint64_t *seq, char *err,
                          size_t errlen);

//  What operators decided for source: the rows being retried, and the row
//  of parked_seq (0: none) whatever its state. Columns: seq, event_id::text,
//  type, subject, at (ms), body, state, passed ("t"/"f"), in seq order (at
//  most 100). NULL on error (err filled); else the caller PQclear's.
PGresult *sn_failed_decisions (PGconn *db, const char *source, uint64_t parked_seq, char *err, size_t errlen);

#endif
