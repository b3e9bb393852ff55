/*  sn_failed: the subscriber's side of the failed_event table. */
#include "sn_failed.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Runs a statement that returns no rows. Returns 0 or -1 (err filled).
static int
s_command (PGconn *db, const char *sql, int n, const char *const *params, const int *lengths,
           const int *formats, char *err, size_t errlen)
{
    PGresult *res = PQexecParams (db, sql, n, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        snprintf (err, errlen, "%s", PQerrorMessage (db));
    PQclear (res);
    return rc;
}

//  16 bytes as uuid text; anything else as the nil uuid (the column is
//  not null, and a malformed id must not keep an event from being parked).
static void
s_uuid_text (const ProtobufCBinaryData *id, char out [37])
{
    static const uint8_t nil [16] = {0};
    const uint8_t *b = id->len == 16 ? id->data : nil;
    snprintf (out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b [0], b [1], b [2],
              b [3], b [4], b [5], b [6], b [7], b [8], b [9], b [10], b [11], b [12], b [13], b [14], b [15]);
}

int
sn_failed_park (PGconn *db, const char *source, const Snodo__Event *event, const char *error, int attempts,
                int64_t first_failed_ms, bool passed, char *err, size_t errlen)
{
    char seq [32], id [37], at [32], tries [16], first [32];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) event->seq);
    s_uuid_text (&event->event_id, id);
    snprintf (at, sizeof at, "%lld", (long long) event->at);
    snprintf (tries, sizeof tries, "%d", attempts);
    snprintf (first, sizeof first, "%lld", (long long) first_failed_ms);
    //  the body as bytea's binary form, its bytes (none is still a value)
    const char *params [11] = {source, seq, id, event->type, event->subject, at,
                               event->body.data ? (const char *) event->body.data : "", error, tries, first,
                               passed ? "t" : "f"};
    int lengths [11] = {0, 0, 0, 0, 0, 0, (int) event->body.len};
    int formats [11] = {0, 0, 0, 0, 0, 0, 1};
    return s_command (db,
        "INSERT INTO failed_event (source, seq, event_id, type, subject, at, body, error, attempts, "
        "                          first_failed_at, last_failed_at, state, passed, decided_by, decided_at, why) "
        "VALUES ($1, $2, $3::uuid, $4, $5, to_timestamp ($6::bigint / 1000.0), $7, $8, $9, "
        "        to_timestamp ($10::bigint / 1000.0), now (), 'parked', $11, "
        "        CASE WHEN $11 THEN 'subscriber' ELSE '' END, CASE WHEN $11 THEN now () END, "
        "        CASE WHEN $11 THEN 'its type is safe to pass' ELSE '' END) "
        "ON CONFLICT (source, seq) DO UPDATE SET error = EXCLUDED.error, "
        "    attempts = failed_event.attempts + EXCLUDED.attempts, last_failed_at = now (), state = 'parked', "
        "    passed = EXCLUDED.passed OR failed_event.passed "
        "WHERE failed_event.state <> 'skipped'",
        11, params, lengths, formats, err, errlen);
}

int
sn_failed_applied (PGconn *db, const char *source, uint64_t seq, char *err, size_t errlen)
{
    char text [32];
    snprintf (text, sizeof text, "%llu", (unsigned long long) seq);
    const char *params [2] = {source, text};
    return s_command (db,
        "UPDATE failed_event SET state = 'applied' "
        "WHERE source = $1 AND seq = $2 AND state IN ('parked', 'retrying')", 2, params, NULL, NULL, err, errlen);
}

int
sn_failed_again (PGconn *db, const char *source, uint64_t seq, const char *error, char *err, size_t errlen)
{
    char text [32];
    snprintf (text, sizeof text, "%llu", (unsigned long long) seq);
    const char *params [3] = {source, text, error};
    return s_command (db,
        "UPDATE failed_event SET state = 'parked', error = $3, attempts = attempts + 1, last_failed_at = now () "
        "WHERE source = $1 AND seq = $2 AND state = 'retrying'", 3, params, NULL, NULL, err, errlen);
}

//  A query of a source's failed events after (or at) a seq: its rows, or
//  NULL with err filled.
static PGresult *
s_rows (PGconn *db, const char *sql, const char *source, uint64_t seq, char *err, size_t errlen)
{
    char text [32];
    snprintf (text, sizeof text, "%llu", (unsigned long long) seq);
    const char *params [2] = {source, text};
    PGresult *res = PQexecParams (db, sql, 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) == PGRES_TUPLES_OK)
        return res;
    snprintf (err, errlen, "%s", PQerrorMessage (db));
    PQclear (res);
    return NULL;
}

int
sn_failed_first_open (PGconn *db, const char *source, uint64_t cursor, uint64_t *seq, char *err, size_t errlen)
{
    PGresult *res = s_rows (db, "SELECT coalesce (min (seq), 0) FROM failed_event "
                                "WHERE source = $1 AND seq > $2 AND state IN ('parked', 'retrying') AND NOT passed",
                            source, cursor, err, errlen);
    if (!res)
        return -1;
    *seq = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return 0;
}

PGresult *
sn_failed_decisions (PGconn *db, const char *source, uint64_t parked_seq, char *err, size_t errlen)
{
    return s_rows (db, "SELECT seq, event_id::text, type, subject, (extract (epoch FROM at) * 1000)::bigint, body, "
                       "state, passed FROM failed_event WHERE source = $1 AND (state = 'retrying' OR seq = $2) "
                       "ORDER BY seq LIMIT 100", source, parked_seq, err, errlen);
}
