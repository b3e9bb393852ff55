/*  sn_journal: idempotency, outbox numbering, replay, audit seals. */
#include "sn_journal.h"
#include "sn_store.h"
#include <czmq.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void
s_err (char *err, size_t errlen, const char *what, PGconn *db)
{
    if (!err || !errlen)
        return;
    snprintf (err, errlen, "%s: %s", what, db ? PQerrorMessage (db) : "no connection");
    size_t n = strlen (err);
    while (n > 0 && err [n - 1] == '\n')
        err [--n] = 0;
}

int
sn_journal_stored_reply (PGconn *db, void *cache, const uint8_t *request_id, const char *member_id,
                         const char *method, const uint8_t *body_digest, uint8_t **reply, size_t *len)
{
    const char *params [1] = {(const char *) request_id};
    int lengths [1] = {16};
    int formats [1] = {1};
    PGresult *res = sn_store_query (db, cache,
        "SELECT member_id, method, reply, body_digest FROM idempotency WHERE request_id = $1",
        1, params, lengths, formats, 1);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    int rc = 0;
    if (PQntuples (res) == 1) {
        if (PQgetlength (res, 0, 0) != (int) strlen (member_id)
        ||  memcmp (PQgetvalue (res, 0, 0), member_id, strlen (member_id)) != 0
        ||  PQgetlength (res, 0, 1) != (int) strlen (method)
        ||  memcmp (PQgetvalue (res, 0, 1), method, strlen (method)) != 0
        ||  (body_digest && !PQgetisnull (res, 0, 3)
             && (PQgetlength (res, 0, 3) != SN_BODY_DIGEST
                 || memcmp (PQgetvalue (res, 0, 3), body_digest, SN_BODY_DIGEST) != 0)))
            rc = -2;
        else {
            *len = (size_t) PQgetlength (res, 0, 2);
            *reply = (uint8_t *) malloc (*len ? *len : 1);
            memcpy (*reply, PQgetvalue (res, 0, 2), *len);
            rc = 1;
        }
    }
    PQclear (res);
    return rc;
}

//  Orders events by seq, for qsort.
static int
s_by_seq (const void *a, const void *b)
{
    uint64_t x = (*(Snodo__Event *const *) a)->seq, y = (*(Snodo__Event *const *) b)->seq;
    return x < y ? -1 : x > y;
}

//  The numbering statement, prepared once per connection. Its plan is
//  generic (it has no parameters) and made at its first execution under
//  the pass's settings, which leave the planner one path whatever the
//  statistics say: the partial index of unnumbered rows in id order, each
//  row joined by key, max (seq) from its index.
#define S_NUMBER_SQL \
    "WITH top AS (SELECT coalesce (max (seq), 0) AS s FROM outbox), " \
    "todo AS (SELECT id, r FROM (SELECT id, row_number () OVER (ORDER BY id) AS r, " \
    "                                   sum (octet_length (body)) OVER (ORDER BY id) AS bytes " \
    "                            FROM outbox WHERE seq IS NULL ORDER BY id LIMIT " SN_SQL (SN_JOURNAL_NUMBER_MAX) ") u " \
    "         WHERE r = 1 OR bytes <= " SN_SQL (SN_REPLAY_MAX_BYTES) ") " \
    "UPDATE outbox o SET seq = top.s + todo.r FROM todo, top WHERE o.id = todo.id " \
    "RETURNING o.seq, o.event_id::text, o.type, o.subject, (extract (epoch FROM o.at) * 1000)::bigint, o.body"
#define S_NUMBER_SETTINGS \
    "SET LOCAL enable_seqscan = off; SET LOCAL enable_bitmapscan = off; SET LOCAL enable_hashjoin = off; " \
    "SET LOCAL enable_mergejoin = off; "

char *
sn_journal_number_plan (PGconn *db, void *cache)
{
    PGresult *error;
    const char *name = sn_store_prepare (db, cache, S_NUMBER_SQL, 0, &error);
    if (!name) {
        PQclear (error);
        return NULL;
    }
    char sql [256];
    snprintf (sql, sizeof sql, "BEGIN; " S_NUMBER_SETTINGS "EXPLAIN (COSTS off) EXECUTE %s", name);
    PGresult *res = PQexec (db, sql);
    char *plan = NULL;
    size_t len = 0;
    FILE *out = PQresultStatus (res) == PGRES_TUPLES_OK ? open_memstream (&plan, &len) : NULL;
    for (int i = 0; out && i < PQntuples (res); i++)
        fprintf (out, "%s\n", PQgetvalue (res, i, 0));
    if (out)
        fclose (out);
    PQclear (res);
    PQclear (PQexec (db, "ROLLBACK"));
    return plan;
}

int
sn_journal_number_events (PGconn *db, void *cache, const char *schema, Snodo__ReplayReply *numbered,
                          char *err, size_t errlen)
{
    numbered->n_events = 0;
    numbered->events = NULL;
    numbered->last_seq = 0;
    //  One round trip: the lock is taken before the numbering statement's
    //  snapshot, so every row numbered by an earlier holder is visible and
    //  max (seq) is current. The statement is prepared once and its plan
    //  kept (planning it at every pass was 40 % of the pass under load);
    //  the settings leave it one plan, so a plan made when the outbox was
    //  nearly empty cannot read the whole table (a sequential scan once
    //  did), and it goes by the partial index in id order, each row joined
    //  by key: a bitmap scan would never mark the index entries of rows
    //  numbered since the last vacuum as dead, and read them all again at
    //  every pass (6,000 entries for 30 rows, 4 ms, after a few seconds of
    //  writes). The numbered rows come back whole, to be published without
    //  reading them again: as many as
    //  Replay gives in one reply (their bodies within SN_REPLAY_MAX_BYTES,
    //  the first whatever its size), so that a pass of large events holds
    //  no more than that in memory.
    PGresult *error;
    const char *name = sn_store_prepare (db, cache, S_NUMBER_SQL, 0, &error);
    if (!name) {
        s_err (err, errlen, "could not prepare the numbering", db);
        PQclear (error);
        return -1;
    }
    char *lock = PQescapeLiteral (db, schema, strlen (schema));
    if (!lock) {
        s_err (err, errlen, "could not number events", db);
        return -1;
    }
    char sql [512];
    snprintf (sql, sizeof sql,
        "BEGIN; " S_NUMBER_SETTINGS "SELECT pg_advisory_xact_lock (hashtext ('snodo.relay.' || %s)); "
        "EXECUTE %s; COMMIT", lock, name);
    PQfreemem (lock);
    bool ok = PQsendQuery (db, sql) != 0, committed = false;
    PGresult *res, *rows = NULL;
    while (ok && (res = PQgetResult (db))) {
        ExecStatusType status = PQresultStatus (res);
        if (status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            s_err (err, errlen, "could not number events", db);
            ok = false;
        }
        committed = status == PGRES_COMMAND_OK && streq (PQcmdStatus (res), "COMMIT");
        if (status == PGRES_TUPLES_OK && PQnfields (res) == 6) {
            PQclear (rows);
            rows = res;
        }
        else
            PQclear (res);
    }
    while (!ok && (res = PQgetResult (db)))
        PQclear (res);
    if (!ok || !committed) {
        if (ok)
            s_err (err, errlen, "could not commit numbering", db);
        PQclear (PQexec (db, "ROLLBACK"));      //  a failed statement leaves the block open
        PQclear (rows);
        return -1;
    }
    int n = rows ? PQntuples (rows) : 0;
    numbered->events = n ? (Snodo__Event **) calloc ((size_t) n, sizeof (Snodo__Event *)) : NULL;
    for (int i = 0; i < n; i++)
        numbered->events [numbered->n_events++] = sn_journal_event_row (rows, i, schema);
    PQclear (rows);
    if (n) {
        qsort (numbered->events, numbered->n_events, sizeof (Snodo__Event *), s_by_seq);
        numbered->last_seq = numbered->events [n - 1]->seq;
    }
    return 0;
}

int
sn_journal_forget (PGconn *db, int days)
{
    char text [16];
    snprintf (text, sizeof text, "%d", days);
    const char *params [1] = {text};
    PGresult *res = PQexecParams (db,
        "DELETE FROM idempotency WHERE created_at < now () - make_interval (days => $1::int)",
        1, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? atoi (PQcmdTuples (res)) : -1;
    PQclear (res);
    return rc;
}

int64_t
sn_journal_last_seq (PGconn *db)
{
    PGresult *res = PQexec (db, "SELECT coalesce (max (seq), 0) FROM outbox");
    int64_t last = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
        last = strtoll (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    return last;
}

static int
s_hex_digit (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

//  event_id comes as uuid text; the wire wants 16 bytes.
static void
s_uuid_bytes (const char *text, uint8_t *out)
{
    int n = 0;
    for (const char *p = text; *p && n < 32; p++) {
        int d = s_hex_digit (*p);
        if (d < 0)
            continue;
        if (n % 2 == 0)
            out [n / 2] = (uint8_t) (d << 4);
        else
            out [n / 2] |= (uint8_t) d;
        n++;
    }
}

Snodo__Event *
sn_journal_event_row (PGresult *res, int i, const char *source)
{
    Snodo__Event *ev = (Snodo__Event *) calloc (1, sizeof (Snodo__Event));
    snodo__event__init (ev);
    ev->source = strdup (source);
    ev->seq = strtoull (PQgetvalue (res, i, 0), NULL, 10);
    ev->event_id.data = (uint8_t *) calloc (1, 16);
    ev->event_id.len = 16;
    s_uuid_bytes (PQgetvalue (res, i, 1), ev->event_id.data);
    ev->type = strdup (PQgetvalue (res, i, 2));
    ev->subject = strdup (PQgetvalue (res, i, 3));
    ev->at = strtoll (PQgetvalue (res, i, 4), NULL, 10);
    ev->body.data = sn_store_bytea (PQgetvalue (res, i, 5), &ev->body.len);
    return ev;
}

int
sn_journal_replay (PGconn *db, void *cache, const char *source, uint64_t from_seq, uint32_t max,
                   Snodo__ReplayReply *reply, char *err, size_t errlen)
{
    char from [32], limit [16];
    //  seq is a bigint: from past its range there is nothing (not an error)
    if (from_seq > (uint64_t) INT64_MAX)
        from_seq = (uint64_t) INT64_MAX;
    snprintf (from, sizeof from, "%llu", (unsigned long long) from_seq);
    snprintf (limit, sizeof limit, "%u", max);
    const char *params [2] = {from, limit};
    PGresult *res = sn_store_query (db, cache,
        "SELECT seq, event_id::text, type, subject, "
        "       (extract (epoch FROM at) * 1000)::bigint, body, "
        "       (SELECT coalesce (max (seq), 0) FROM outbox) "
        "FROM outbox WHERE seq >= $1 ORDER BY seq LIMIT $2",
        2, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_err (err, errlen, "could not read the outbox", db);
        PQclear (res);
        return -1;
    }
    int rows = PQntuples (res);
    reply->n_events = 0;
    reply->events = rows ? (Snodo__Event **) calloc ((size_t) rows, sizeof (Snodo__Event *)) : NULL;
    size_t bytes = 0;
    for (int i = 0; i < rows && (i == 0 || bytes < SN_REPLAY_MAX_BYTES); i++) {
        Snodo__Event *ev = sn_journal_event_row (res, i, source);
        bytes += ev->body.len;
        reply->events [reply->n_events++] = ev;
    }
    if (rows > 0)
        reply->last_seq = strtoull (PQgetvalue (res, 0, 6), NULL, 10);
    else {
        int64_t last = sn_journal_last_seq (db);
        reply->last_seq = last > 0 ? (uint64_t) last : 0;
    }
    PQclear (res);
    return 0;
}

void
sn_journal_replay_free (Snodo__ReplayReply *reply)
{
    for (size_t i = 0; i < reply->n_events; i++) {
        Snodo__Event *ev = reply->events [i];
        free (ev->source);
        free (ev->type);
        free (ev->subject);
        free (ev->event_id.data);
        free (ev->body.data);
        free (ev);
    }
    free (reply->events);
    reply->events = NULL;
    reply->n_events = 0;
}

//  --- audit seals ----------------------------------------------------------

//  The columns of an entry, in the order the seal hashes them.
#define AUDIT_COLUMNS \
    "id, (extract (epoch FROM at) * 1000)::bigint, member_id, method, purpose, " \
    "subject, outcome, request_id"

static void
s_hash_entry (crypto_auth_hmacsha256_state *state, PGresult *res, int row)
{
    Snodo__AuditEntry entry = SNODO__AUDIT_ENTRY__INIT;
    entry.id = strtoull (PQgetvalue (res, row, 0), NULL, 10);
    entry.at = strtoll (PQgetvalue (res, row, 1), NULL, 10);
    entry.member_id = PQgetvalue (res, row, 2);
    entry.method = PQgetvalue (res, row, 3);
    entry.purpose = PQgetvalue (res, row, 4);
    entry.subject = PQgetvalue (res, row, 5);
    entry.outcome = (Snodo__Code) atoi (PQgetvalue (res, row, 6));
    size_t rlen = 0;
    unsigned char *rid = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, row, 7), &rlen);
    entry.request_id.data = rid;
    entry.request_id.len = rid ? rlen : 0;
    size_t size = snodo__audit_entry__get_packed_size (&entry);
    uint8_t *packed = (uint8_t *) malloc (size + 4);
    packed [0] = (uint8_t) (size >> 24);
    packed [1] = (uint8_t) (size >> 16);
    packed [2] = (uint8_t) (size >> 8);
    packed [3] = (uint8_t) size;
    size_t written = snodo__audit_entry__pack (&entry, packed + 4);
    assert (written == size);
    crypto_auth_hmacsha256_update (state, packed, size + 4);
    free (packed);
    PQfreemem (rid);
}

static void
s_hash_begin (crypto_auth_hmacsha256_state *state, const uint8_t *key, size_t keylen,
              const uint8_t *prev, uint64_t batch)
{
    crypto_auth_hmacsha256_init (state, key, keylen);
    crypto_auth_hmacsha256_update (state, prev, 32);
    uint8_t be [8];
    for (int i = 0; i < 8; i++)
        be [i] = (uint8_t) (batch >> (56 - 8 * i));
    crypto_auth_hmacsha256_update (state, be, 8);
}

//  The last batch's number, hash (zeros before the first) and the end of its
//  transaction range ("0" before the first ranged batch). Returns 0 or -1.
static int
s_last_batch (PGconn *db, uint64_t *batch, uint8_t *hash, char *xid_to, size_t xid_len)
{
    PGresult *res = PQexec (db, "SELECT batch, hash, coalesce (xid_to::text, '0') FROM audit_batch "
                                "ORDER BY batch DESC LIMIT 1");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    *batch = 0;
    memset (hash, 0, 32);
    snprintf (xid_to, xid_len, "0");
    if (PQntuples (res) == 1) {
        *batch = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        size_t len = 0;
        unsigned char *h = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, 0, 1), &len);
        if (h && len == 32)
            memcpy (hash, h, 32);
        PQfreemem (h);
        snprintf (xid_to, xid_len, "%s", PQgetvalue (res, 0, 2));
    }
    PQclear (res);
    return 0;
}

//  One value of a single-row query with params, copied into out. Returns 0 if
//  there was a row, 1 if none, -1 on error.
static int
s_value (PGconn *db, const char *sql, int n, const char *const *params, char *out, size_t len)
{
    PGresult *res = PQexecParams (db, sql, n, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) != PGRES_TUPLES_OK ? -1 : PQntuples (res) == 0 ? 1 : 0;
    if (rc == 0)
        snprintf (out, len, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return rc;
}

#define SEAL_MOST SN_SQL (SN_JOURNAL_SEAL_MOST)

//  Begins a sealing transaction under the service's seal lock, and reads
//  the last batch: its number, hash and where its range ended. Returns 0, or
//  -1 with err filled and the transaction rolled back.
static int
s_seal_begin (PGconn *db, const char *schema, uint64_t *batch, uint8_t *prev, char *from, size_t from_len,
              char *err, size_t errlen)
{
    if (sn_store_exec (db, "BEGIN", NULL, 0)) {
        s_err (err, errlen, "could not begin sealing", db);
        return -1;
    }
    const char *params [1] = {schema};
    PGresult *res = PQexecParams (db, "SELECT pg_advisory_xact_lock (hashtext ('snodo.seal.' || $1))",
                                  1, NULL, params, NULL, NULL, 0);
    bool ok = PQresultStatus (res) == PGRES_TUPLES_OK;
    PQclear (res);
    if (!ok || s_last_batch (db, batch, prev, from, from_len)) {
        s_err (err, errlen, "could not read the last audit batch", db);
        sn_store_exec (db, "ROLLBACK", NULL, 0);
        return -1;
    }
    return 0;
}

//  Where the next batch ends (into to). Every transaction below the horizon
//  has finished: the entries it wrote are all visible now, or never will
//  be. The batch ends there, or sooner at a transaction boundary when there
//  are more than SEAL_MOST entries (*more: more finished entries wait).
//  Returns 0, or -1 when there is no horizon (nothing can be sealed safely)
//  or on error.
static int
s_seal_end (PGconn *db, const char *from, char *to, size_t to_len, bool *more)
{
    char horizon [32];
    //  on the trail's clock: the transaction id and the offset a restore
    //  into another cluster added (common/sql/009_audit_clock.sql)
    if (s_value (db, "SELECT (pg_snapshot_xmin (pg_current_snapshot ())::text::bigint "
                     "        + (SELECT xid_offset FROM audit_clock))::text", 0, NULL, horizon, sizeof horizon))
        return -1;
    snprintf (to, to_len, "%s", horizon);
    //  the entry past SEAL_MOST, and the range's first: when they are of one
    //  transaction, it has more entries than SEAL_MOST and goes whole (ending
    //  the batch at the first would leave it empty)
    const char *range [2] = {from, horizon};
    PGresult *cut = PQexecParams (db,
        "SELECT l.xid::text, (SELECT min (xid) FROM audit WHERE xid >= $1 AND xid < $2) = l.xid "
        "FROM (SELECT xid FROM audit WHERE xid >= $1 AND xid < $2 ORDER BY xid OFFSET " SEAL_MOST
        " LIMIT 1) AS l", 2, NULL, range, NULL, NULL, 0);
    int rc = PQresultStatus (cut) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc == 0 && PQntuples (cut) == 1) {
        snprintf (to, to_len, "%llu", strtoull (PQgetvalue (cut, 0, 0), NULL, 10)
                                      + (PQgetvalue (cut, 0, 1) [0] == 't'));
        *more = true;
    }
    PQclear (cut);
    return rc;
}

//  Hashes the entries (res) into batch, after prev, and records the batch
//  for the range from..to; commits. Returns 0 or -1 (rolled back).
//  Writes the event that publishes a seal (in the seal's transaction), so
//  that the services following schema witness it. Returns 0 or -1.
static int
s_seal_event (PGconn *db, const char *schema, uint64_t batch, int entries, const uint8_t *hash)
{
    Snodo__AuditSeal seal = SNODO__AUDIT_SEAL__INIT;
    seal.source = (char *) schema;
    seal.batch = batch;
    seal.entries = (uint64_t) entries;
    seal.hash.data = (uint8_t *) hash;
    seal.hash.len = 32;
    seal.at = zclock_time ();
    uint8_t body [256];
    size_t size = snodo__audit_seal__get_packed_size (&seal);
    assert (size <= sizeof body);
    snodo__audit_seal__pack (&seal, body);
    const char *params [3] = {SN_JOURNAL_SEALED, schema, (const char *) body};
    int lengths [3] = {0, 0, (int) size};
    int formats [3] = {0, 0, 1};
    PGresult *res = PQexecParams (db, "INSERT INTO outbox (type, subject, body) VALUES ($1, $2, $3)",
                                  3, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

static int
s_seal_write (PGconn *db, const char *schema, const uint8_t *key, size_t keylen, uint64_t batch,
              const uint8_t *prev, const char *from, const char *to, PGresult *res, char *err, size_t errlen)
{
    int rows = PQntuples (res);
    crypto_auth_hmacsha256_state state;
    s_hash_begin (&state, key, keylen, prev, batch);
    for (int i = 0; i < rows; i++)
        s_hash_entry (&state, res, i);
    uint8_t hash [32];
    crypto_auth_hmacsha256_final (&state, hash);
    char bno [32], count [16];
    snprintf (bno, sizeof bno, "%llu", (unsigned long long) batch);
    snprintf (count, sizeof count, "%d", rows);
    const char *params [6] = {bno, count, (const char *) prev, (const char *) hash, from, to};
    int lengths [6] = {0, 0, 32, 32, 0, 0};
    int formats [6] = {0, 0, 1, 1, 0, 0};
    PGresult *ins = PQexecParams (db,
        "INSERT INTO audit_batch (batch, entries, prev_hash, hash, xid_from, xid_to) "
        "VALUES ($1, $2, $3, $4, $5, $6)",
        6, NULL, params, lengths, formats, 0);
    bool ok = PQresultStatus (ins) == PGRES_COMMAND_OK;
    PQclear (ins);
    if (!ok || s_seal_event (db, schema, batch, rows, hash) || sn_store_exec (db, "COMMIT", NULL, 0)) {
        s_err (err, errlen, "could not seal an audit batch", db);
        sn_store_exec (db, "ROLLBACK", NULL, 0);
        return -1;
    }
    return 0;
}

//  Seals the next batch; *more says it was cut at SEAL_MOST entries (more
//  finished entries wait) rather than at the horizon. Returns the entries
//  sealed, or -1.
static int
s_seal (PGconn *db, const char *schema, const uint8_t *key, size_t keylen, bool *more,
        char *err, size_t errlen)
{
    *more = false;
    uint64_t batch = 0;
    uint8_t prev [32];
    char from [32], to [32];
    if (s_seal_begin (db, schema, &batch, prev, from, sizeof from, err, errlen))
        return -1;
    const char *span [2] = {from, to};
    PGresult *res = s_seal_end (db, from, to, sizeof to, more) ? NULL
        : PQexecParams (db, "SELECT " AUDIT_COLUMNS " FROM audit WHERE xid >= $1 AND xid < $2 ORDER BY id",
                        2, NULL, span, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_err (err, errlen, "could not read unsealed audit entries", db);
        PQclear (res);
        sn_store_exec (db, "ROLLBACK", NULL, 0);
        return -1;
    }
    int rows = PQntuples (res), rc = 0;
    if (rows == 0)
        sn_store_exec (db, "ROLLBACK", NULL, 0);        //  nothing to seal
    else
        rc = s_seal_write (db, schema, key, keylen, batch + 1, prev, from, to, res, err, errlen);
    PQclear (res);
    return rc < 0 ? -1 : rows;
}

int
sn_journal_seal (PGconn *db, const char *schema, const uint8_t *key, size_t keylen,
                 char *err, size_t errlen)
{
    bool more;
    return s_seal (db, schema, key, keylen, &more, err, errlen);
}

int
sn_journal_seal_backlog (PGconn *db, const char *schema, const uint8_t *key, size_t keylen,
                         int batches, char *err, size_t errlen)
{
    int total = 0;
    bool more = true;
    for (int i = 0; i < batches && more; i++) {
        //  a batch cut at its size (not at the horizon) leaves more behind,
        //  whatever its count: the cut falls at a transaction's start
        int sealed = s_seal (db, schema, key, keylen, &more, err, errlen);
        if (sealed < 0)
            return -1;
        total += sealed;
    }
    return total;
}

//  Where a check of the trail stands: the hash and range end of the last
//  good batch, and what it found.
typedef struct {
    uint8_t prev [32];              //  the hash the next batch must follow
    char prev_to [32];              //  where the last ranged batch ended
    char problem [256];             //  the first thing broken, "" if none
} s_verify_t;

//  Checks batch row b of batches (its entries read again and hashed).
//  Returns 0 (a problem, if any, in self->problem), or -1 on error.
static int
s_verify_batch (PGconn *db, const uint8_t *key, size_t keylen, PGresult *batches, int b, s_verify_t *self,
                Snodo__VerifyAuditReply *reply)
{
    uint64_t batch = strtoull (PQgetvalue (batches, b, 0), NULL, 10);
    int entries = atoi (PQgetvalue (batches, b, 1));
    size_t plen = 0, hlen = 0;
    unsigned char *stored_prev = PQunescapeBytea ((const unsigned char *) PQgetvalue (batches, b, 2), &plen);
    unsigned char *stored_hash = PQunescapeBytea ((const unsigned char *) PQgetvalue (batches, b, 3), &hlen);
    //  a batch sealed before ranges is named by its entries; a ranged one
    //  starts where the one before it ended
    bool ranged = !PQgetisnull (batches, b, 4);
    const char *number [1] = {PQgetvalue (batches, b, 0)};
    const char *span [2] = {PQgetvalue (batches, b, 4), PQgetvalue (batches, b, 5)};
    PGresult *res = ranged
        ? PQexecParams (db, "SELECT " AUDIT_COLUMNS " FROM audit WHERE xid >= $1 AND xid < $2 ORDER BY id",
                        2, NULL, span, NULL, NULL, 0)
        : PQexecParams (db, "SELECT " AUDIT_COLUMNS " FROM audit WHERE batch = $1 ORDER BY id",
                        1, NULL, number, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? 0 : -1;
    uint8_t hash [32];
    if (rc == 0) {
        crypto_auth_hmacsha256_state state;
        s_hash_begin (&state, key, keylen, self->prev, batch);
        for (int i = 0; i < PQntuples (res); i++)
            s_hash_entry (&state, res, i);
        crypto_auth_hmacsha256_final (&state, hash);
    }
    unsigned long long no = (unsigned long long) batch;
    char *problem = self->problem;
    size_t size = sizeof self->problem;
    if (rc)
        ;
    else
    if (batch != (uint64_t) b + 1)
        snprintf (problem, size, "batch %llu is missing", (unsigned long long) b + 1);
    else
    if (ranged && strcmp (span [0], self->prev_to) != 0)
        snprintf (problem, size, "batch %llu covers transactions from %s, the batch before ended at %s",
                  no, span [0], self->prev_to);
    else
    if (plen != 32 || memcmp (stored_prev, self->prev, 32) != 0)
        snprintf (problem, size, "batch %llu does not follow the previous batch's hash", no);
    else
    if (PQntuples (res) != entries)
        snprintf (problem, size, "batch %llu holds %d entries, sealed with %d", no, PQntuples (res), entries);
    else
    if (hlen != 32 || sodium_memcmp (stored_hash, hash, 32) != 0)
        snprintf (problem, size, "batch %llu: an entry was changed after sealing", no);
    if (rc == 0 && problem [0]) {
        reply->ok = false;
        reply->first_bad_batch = batch;
    }
    else
    if (rc == 0) {
        reply->batches++;
        reply->entries += (uint64_t) entries;
        memcpy (self->prev, stored_hash, 32);
        if (ranged)
            snprintf (self->prev_to, sizeof self->prev_to, "%s", span [1]);
    }
    PQclear (res);
    PQfreemem (stored_prev);
    PQfreemem (stored_hash);
    return rc;
}

//  After the batches: the entries not sealed yet, and entries that name a
//  batch that does not exist. Returns 0 or -1.
static int
s_verify_rest (PGconn *db, s_verify_t *self, Snodo__VerifyAuditReply *reply)
{
    const char *after [1] = {self->prev_to};
    PGresult *res = PQexecParams (db,
        "SELECT count (*) FILTER (WHERE xid >= $1), "
        "       count (*) FILTER (WHERE batch IS NOT NULL AND batch NOT IN "
        "                         (SELECT batch FROM audit_batch WHERE xid_from IS NULL)) FROM audit",
        1, NULL, after, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? 0 : -1;
    if (rc == 0) {
        reply->unsealed = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        if (reply->ok && atoll (PQgetvalue (res, 0, 1)) > 0) {
            reply->ok = false;
            snprintf (self->problem, sizeof self->problem, "%s entries name a batch that does not exist",
                      PQgetvalue (res, 0, 1));
        }
    }
    PQclear (res);
    return rc;
}

//  Holds the witnessed seals against the batches (a chain found intact:
//  batch n is row n - 1). A seal past the last batch means a cut tail; one
//  whose hash differs, or one its witness saw twice, a rewritten trail.
static void
s_verify_witnessed (PGresult *batches, const Snodo__VerifyAuditRequest *req, s_verify_t *self,
                    Snodo__VerifyAuditReply *reply)
{
    uint64_t last = (uint64_t) PQntuples (batches);
    reply->last_batch = last;
    for (size_t i = 0; req && i < req->n_witnessed && reply->ok; i++) {
        const Snodo__AuditSeal *seal = req->witnessed [i];
        unsigned long long no = (unsigned long long) seal->batch;
        const char *who = *seal->witness ? seal->witness : "another service";
        size_t hlen = 0;
        unsigned char *hash = seal->batch >= 1 && seal->batch <= last
            ? PQunescapeBytea ((const unsigned char *) PQgetvalue (batches, (int) seal->batch - 1, 3), &hlen) : NULL;
        if (seal->conflict)
            snprintf (self->problem, sizeof self->problem, "%s saw batch %llu sealed twice, with two hashes: "
                      "the trail was cut and written again", who, no);
        else
        if (seal->batch > last)
            snprintf (self->problem, sizeof self->problem, "batch %llu, witnessed by %s, is missing: the trail "
                      "ends at batch %llu (its tail was cut)", no, who, (unsigned long long) last);
        else
        if (!hash || seal->hash.len != 32 || hlen != 32 || sodium_memcmp (hash, seal->hash.data, 32) != 0)
            snprintf (self->problem, sizeof self->problem, "batch %llu is not the batch %s witnessed: the "
                      "trail was written again", no, who);
        else
            reply->witnessed++;
        PQfreemem (hash);
        if (self->problem [0]) {
            reply->ok = false;
            reply->first_bad_batch = seal->batch;
        }
    }
}

int
sn_journal_verify (PGconn *db, const uint8_t *key, size_t keylen, const Snodo__VerifyAuditRequest *req,
                   Snodo__VerifyAuditReply *reply, char *err, size_t errlen)
{
    reply->ok = true;
    PGresult *batches = PQexec (db,
        "SELECT batch, entries, prev_hash, hash, xid_from::text, xid_to::text FROM audit_batch ORDER BY batch");
    if (PQresultStatus (batches) != PGRES_TUPLES_OK) {
        s_err (err, errlen, "could not read audit batches", db);
        PQclear (batches);
        return -1;
    }
    s_verify_t self = {{0}, "0", ""};
    int rc = 0;
    for (int b = 0; b < PQntuples (batches) && reply->ok && rc == 0; b++)
        rc = s_verify_batch (db, key, keylen, batches, b, &self, reply);
    if (rc == 0 && reply->ok)
        s_verify_witnessed (batches, req, &self, reply);
    PQclear (batches);
    if (rc == 0)
        rc = s_verify_rest (db, &self, reply);
    if (rc)
        s_err (err, errlen, "could not read audit entries", db);
    reply->problem = strdup (self.problem);
    return rc;
}

//  --- the rows one transaction writes ------------------------------------------

void
sn_journal_rows_event (sn_journal_rows_t *self, const uint8_t *event_id, const char *type, const char *subject,
                       const char *person, const uint8_t *body, size_t size)
{
    sn_array_bytea (&self->event_ids, event_id, 16);
    sn_array_text (&self->types, type);
    sn_array_text (&self->subjects, subject);
    sn_array_bytea (&self->bodies, body, size);
    sn_array_text (&self->persons, person ? person : "");
}

void
sn_journal_rows_audit (sn_journal_rows_t *self, const char *member, const char *method, const char *purpose,
                       const char *subject, int outcome, const uint8_t *request_id)
{
    sn_array_text (&self->members, member);
    sn_array_text (&self->methods, method);
    sn_array_text (&self->purposes, purpose);
    sn_array_text (&self->audited, subject);
    sn_array_int (&self->outcomes, outcome);
    sn_array_bytea (&self->audit_ids, request_id, 16);
}

void
sn_journal_rows_reply (sn_journal_rows_t *self, const uint8_t *request_id, const char *member,
                       const char *method, const uint8_t *body_digest, const uint8_t *reply, size_t size)
{
    sn_array_bytea (&self->request_ids, request_id, 16);
    sn_array_text (&self->callers, member);
    sn_array_text (&self->called, method);
    sn_array_bytea (&self->digests, body_digest, SN_BODY_DIGEST);
    sn_array_bytea (&self->replies, reply, size);
}

size_t sn_journal_rows_events (const sn_journal_rows_t *self) { return sn_array_size (&self->types); }
size_t sn_journal_rows_audits (const sn_journal_rows_t *self) { return sn_array_size (&self->audited); }
size_t sn_journal_rows_replies (const sn_journal_rows_t *self) { return sn_array_size (&self->request_ids); }

//  The rows' arrays, in the order of the journal statement's parameters.
#define S_ROWS_ARRAYS(self) \
    {&(self)->members, &(self)->methods, &(self)->purposes, &(self)->audited, &(self)->outcomes, \
     &(self)->audit_ids, &(self)->event_ids, &(self)->types, &(self)->subjects, &(self)->bodies, \
     &(self)->request_ids, &(self)->callers, &(self)->called, &(self)->digests, &(self)->replies, \
     &(self)->persons}

void
sn_journal_rows_free (sn_journal_rows_t *self)
{
    sn_array_t *arrays [SN_JOURNAL_WRITE_PARAMS] = S_ROWS_ARRAYS (self);
    for (size_t i = 0; i < SN_JOURNAL_WRITE_PARAMS; i++)
        sn_array_free (arrays [i]);
}

const char *
sn_journal_write_sql (sn_journal_rows_t *self, bool audits_only, const char **params, int *n)
{
    static const char *sql =
        "WITH a AS (INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "           SELECT * FROM unnest ($1::text [], $2::text [], $3::text [], $4::text [], "
        "                                 $5::integer [], $6::bytea [])), "
        "e AS (INSERT INTO outbox (event_id, type, subject, body, person, audience) "
        "      SELECT encode (i, 'hex')::uuid, t, s, b, nullif (p, '')::uuid, "
        "             CASE WHEN p <> '' THEN ARRAY (SELECT DISTINCT grantee FROM person_access "
        "                                           WHERE person_id = p::uuid) END "
        "      FROM unnest ($7::bytea [], $8::text [], $9::text [], $10::bytea [], $16::text []) "
        "           AS u (i, t, s, b, p)) "
        "INSERT INTO idempotency (request_id, member_id, method, body_digest, reply) "
        "SELECT * FROM unnest ($11::bytea [], $12::text [], $13::text [], $14::bytea [], $15::bytea [])";
    //  the audit entries alone are the first 6 arrays
    static const char *audit_sql =
        "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "SELECT * FROM unnest ($1::text [], $2::text [], $3::text [], $4::text [], "
        "                      $5::integer [], $6::bytea [])";
    sn_array_t *arrays [SN_JOURNAL_WRITE_PARAMS] = S_ROWS_ARRAYS (self);
    int first = 0;
    *n = audits_only ? 6 : SN_JOURNAL_WRITE_PARAMS;
    for (int i = 0; i < *n; i++)
        params [i] = sn_array_end (arrays [first + i]);
    return audits_only ? audit_sql : sql;
}

//  --- witnessed seals ----------------------------------------------------------

int
sn_journal_witness (PGconn *db, const char *source, const Snodo__Event *event, char *err, size_t errlen)
{
    if (!streq (event->type, SN_JOURNAL_SEALED))
        return 0;
    //  a seal of the trail of the service followed, and of no other: what a
    //  source says of itself is all it can vouch for
    Snodo__AuditSeal *seal = snodo__audit_seal__unpack (NULL, event->body.len, event->body.data);
    if (!seal || seal->hash.len != 32 || !streq (seal->source, event->source) || !streq (seal->source, source)) {
        snodo__audit_seal__free_unpacked (seal, NULL);
        snprintf (err, errlen, "event %llu of %s is not a seal of its trail", (unsigned long long) event->seq,
                  event->source);
        return -1;
    }
    char batch [32], entries [32], at [32];
    snprintf (batch, sizeof batch, "%llu", (unsigned long long) seal->batch);
    snprintf (entries, sizeof entries, "%llu", (unsigned long long) seal->entries);
    snprintf (at, sizeof at, "%lld", (long long) seal->at);
    const char *params [5] = {seal->source, batch, entries, (const char *) seal->hash.data, at};
    int lengths [5] = {0, 0, 0, 32, 0};
    int formats [5] = {0, 0, 0, 1, 0};
    PGresult *res = PQexecParams (db,
        "INSERT INTO witness (source, batch, entries, hash, sealed_at) "
        "VALUES ($1, $2, $3, $4, to_timestamp ($5::bigint / 1000.0)) "
        "ON CONFLICT (source, batch) DO UPDATE SET conflict = excluded.hash "
        "WHERE witness.hash <> excluded.hash", 5, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 1 : -1;
    if (rc < 0)
        s_err (err, errlen, "could not keep a witnessed seal", db);
    PQclear (res);
    snodo__audit_seal__free_unpacked (seal, NULL);
    return rc;
}

//  A witnessed seal from a row (source, batch, entries, hash, ms, conflict).
static Snodo__AuditSeal *
s_witnessed_seal (PGresult *res, int row)
{
    Snodo__AuditSeal *seal = (Snodo__AuditSeal *) calloc (1, sizeof (Snodo__AuditSeal));
    snodo__audit_seal__init (seal);
    seal->source = strdup (PQgetvalue (res, row, 0));
    seal->batch = strtoull (PQgetvalue (res, row, 1), NULL, 10);
    seal->entries = strtoull (PQgetvalue (res, row, 2), NULL, 10);
    seal->hash.data = sn_store_bytea (PQgetvalue (res, row, 3), &seal->hash.len);
    seal->at = strtoll (PQgetvalue (res, row, 4), NULL, 10);
    seal->conflict = PQgetvalue (res, row, 5) [0] == 't';
    seal->witness = strdup ("");
    return seal;
}

int
sn_journal_witnessed (PGconn *db, const char *source, Snodo__WitnessedReply *reply, char *err, size_t errlen)
{
    //  the latest seal seen, then the batches seen sealed twice
    static const char sql [] =
        "(SELECT source, batch, entries, hash, (extract (epoch FROM sealed_at) * 1000)::bigint, false "
        " FROM witness WHERE source = $1 ORDER BY batch DESC LIMIT 1) "
        "UNION ALL (SELECT source, batch, entries, hash, (extract (epoch FROM sealed_at) * 1000)::bigint, true "
        "           FROM witness WHERE source = $1 AND conflict IS NOT NULL ORDER BY batch LIMIT 100)";
    const char *params [1] = {source};
    PGresult *res = sn_store_query (db, NULL, sql, 1, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        s_err (err, errlen, "could not read the witnessed seals", db);
        PQclear (res);
        return -1;
    }
    int rows = PQntuples (res);
    reply->conflicts = rows > 1 ? (Snodo__AuditSeal **) calloc ((size_t) rows - 1, sizeof (void *)) : NULL;
    //  the latest first, then the batches seen sealed twice
    for (int i = 0; i < rows; i++) {
        Snodo__AuditSeal *seal = s_witnessed_seal (res, i);
        if (i == 0)
            reply->latest = seal;
        else
            reply->conflicts [reply->n_conflicts++] = seal;
    }
    PQclear (res);
    return 0;
}
