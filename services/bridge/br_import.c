/*  br_import: the importer actor. See br_import.h. */
#include "br_import.h"
#include "bridge.h"
#include "sn_log.h"
#include "br_store.h"
#include "sn_array.h"
#include "sn_store.h"
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

//  What one caller does at a time: a batch request of referrals, or one
//  record alone.
typedef struct {
    br_item_t **items;              //  into its slot's order
    size_t n;
    bool batch;
} s_unit_t;

typedef struct _s_importer_t s_importer_t;

//  Where a batch is: being read, its registry requests made (phase 1), its
//  monitoring requests under way (phase 2); then recorded, and free again.
typedef enum {S_FREE = 0, S_READY, S_RUNNING} s_state_t;

//  A batch of records and where it is. Three take turns: while a batch's
//  requests to monitoring go (phase 2), the next two are read, decided and
//  sent to the registry (phase 1), so that monitoring has heard of a
//  batch's persons, a batch's time after they were made, when the batch's
//  referrals reach it. Batches are recorded in file order.
#define S_SLOTS 3
typedef struct {
    br_item_t *items;               //  its records
    size_t n_items;
    br_item_t **order;              //  its items in the order of a phase's units
    s_unit_t *units;                //  a phase's work, by caller
    size_t n_units;
    zhashx_t *keys;                 //  the referrals and persons it touches
    s_importer_t *importer;
    br_caller_t **callers;          //  its phase's (the importer's set of that phase)
    int phase;                      //  1 or 2 while its threads run
    pthread_t threads [64];         //  the phase's callers, each a thread
    int n_threads;
    atomic_size_t next;             //  the next unit a thread takes
    atomic_int joined;              //  threads started so far: the next one's caller
    s_state_t state;
    int64_t phase1_us, phase2_at;   //  for the log: phase 1's time; when phase 2 started
} s_slot_t;

struct _s_importer_t {
    br_import_config_t config;      //  strings below own the copies
    char *conninfo, *spool_root, *self_id;
    zsock_t *pipe;                  //  the actor's
    PGconn *db;                     //  the bridge's schema
    int64_t retry_at;               //  no connection before then
    br_spool_t *spool;
    br_caller_t **callers [2];      //  each phase's, one per thread
    s_slot_t slots [S_SLOTS];       //  the batches, taking turns
    size_t head;                    //  the oldest not recorded
    size_t held;                    //  how many are in hand (ready or running), from head on
    uint8_t digest [32];            //  the file's, once read
    zpoller_t *poller;              //  on the pipe
    atomic_bool stop;               //  $TERM came
    bool cleaned;                   //  rows of files never moved to work/ abandoned
};

//  --- small helpers --------------------------------------------------------------------

//  Runs sql on the importer's connection (br_sql).
static PGresult *
s_sql (s_importer_t *self, const char *what, const char *sql, int n, const char *const *params)
{
    return br_sql (self->db, what, sql, n, params);
}

static int
s_run (s_importer_t *self, const char *what, const char *sql, int n, const char *const *params)
{
    return br_run (self->db, what, sql, n, params);
}

static bool
s_db (s_importer_t *self)
{
    if (self->db && !sn_store_is_down (self->db))
        return true;
    if (zclock_mono () < self->retry_at)
        return false;
    PQfinish (self->db);
    char err [512];
    self->db = sn_store_connect (self->conninfo, "bridge", err, sizeof err);
    if (self->db && s_run (self, "session", "SET synchronous_commit = on", 0, NULL) == 0)
        return true;
    sn_warning ("bridge: importer: %s", self->db ? "could not set up the session" : err);
    PQfinish (self->db);
    self->db = NULL;
    self->retry_at = zclock_mono () + 1000;
    return false;
}

//  Reads $TERM (or any command) without waiting; sets stop on $TERM.
static void
s_check_pipe (s_importer_t *self)
{
    while (zsock_events (self->pipe) & ZMQ_POLLIN) {
        char *command = zstr_recv (self->pipe);
        if (!command || streq (command, "$TERM"))
            atomic_store (&self->stop, true);
        zstr_free (&command);
    }
}

static void
s_hex (const uint8_t *bytes, size_t n, char *out)
{
    for (size_t i = 0; i < n; i++)
        sprintf (out + 2 * i, "%02x", bytes [i]);
    out [2 * n] = 0;
}

static void
s_work_name (uint64_t id, const char *name, char *out)
{
    snprintf (out, 256, "%06llu-%.200s", (unsigned long long) id, name);
}

//  --- the report ----------------------------------------------------------------------

//  One line of the report for a row of record_outcome.
static void
s_report_line (FILE *out, PGresult *res, int i)
{
    fprintf (out, "record %s, line %s: %s %s: %s", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1),
             PQgetvalue (res, i, 2), *PQgetvalue (res, i, 3) ? PQgetvalue (res, i, 3) : "(no id)",
             PQgetvalue (res, i, 4));
    if (*PQgetvalue (res, i, 5))
        fprintf (out, ": %s", PQgetvalue (res, i, 5));
    fputc ('\n', out);
}

//  The report's head: the file, its digest and what became of it.
static int
s_report_head (PGconn *db, const char *id, FILE *out)
{
    const char *params [1] = {id};
    PGresult *res = PQexecParams (db,
        "SELECT f.name, coalesce (encode (f.digest, 'hex'), ''), f.state, f.reason, f.records, f.accepted, "
        "       f.rejected, f.skipped, coalesce (d.name, ''), coalesce (d.id::text, '') "
        "FROM inbound_file f LEFT JOIN inbound_file d ON d.id = f.duplicate_of WHERE f.id = $1",
        1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1) {
        PQclear (res);
        return -1;
    }
    const char *state = PQgetvalue (res, 0, 2);
    fprintf (out, "snodo bridge report 1\nfile: %s\nsha256: %s\n", PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1));
    if (streq (state, "rejected"))
        fprintf (out, "outcome: rejected: %s\n", PQgetvalue (res, 0, 3));
    else
    if (streq (state, "duplicate"))
        fprintf (out, "outcome: duplicate: the same bytes were imported as %s (file %s): nothing applied\n",
                 PQgetvalue (res, 0, 8), PQgetvalue (res, 0, 9));
    else
        fprintf (out, "outcome: processed\n");
    fprintf (out, "records: %s (accepted %s, rejected %s, skipped %s)\n", PQgetvalue (res, 0, 4),
             PQgetvalue (res, 0, 5), PQgetvalue (res, 0, 6), PQgetvalue (res, 0, 7));
    PQclear (res);
    return 0;
}

//  The report's lines, in the file's order, a chunk at a time (memory stays flat).
static int
s_report_lines (PGconn *db, const char *id, FILE *out)
{
    char after [32] = "-1";
    while (true) {
        const char *params [2] = {id, after};
        PGresult *res = PQexecParams (db,
            "SELECT ordinal + 1, line, kind, record_id, outcome, reason FROM record_outcome "
            "WHERE file_id = $1 AND ordinal > $2 ORDER BY ordinal LIMIT 10000", 2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus (res) != PGRES_TUPLES_OK) {
            PQclear (res);
            return -1;
        }
        int rows = PQntuples (res);
        for (int i = 0; i < rows; i++)
            s_report_line (out, res, i);
        if (rows > 0)
            snprintf (after, sizeof after, "%lld", atoll (PQgetvalue (res, rows - 1, 0)) - 1);
        PQclear (res);
        if (rows < 10000)
            return 0;
    }
}

int
br_report_write (PGconn *db, uint64_t id, const char *path, char *err, size_t errlen)
{
    char tmp [1100], file_id [32];
    snprintf (tmp, sizeof tmp, "%s.tmp", path);
    snprintf (file_id, sizeof file_id, "%llu", (unsigned long long) id);
    FILE *out = fopen (tmp, "w");
    if (!out) {
        snprintf (err, errlen, "could not write \"%s\": %s", tmp, strerror (errno));
        return -1;
    }
    int rc = s_report_head (db, file_id, out) || s_report_lines (db, file_id, out) ? -1 : 0;
    if (fflush (out) || fsync (fileno (out)))
        rc = -1;
    fclose (out);
    if (rc == 0 && rename (tmp, path) == 0)
        return 0;
    snprintf (err, errlen, "could not write the report \"%s\": %s", path,
              rc ? PQerrorMessage (db) : strerror (errno));
    unlink (tmp);
    return -1;
}

//  --- the end of a file ------------------------------------------------------------------

//  Records the file's end (state, reason, where it goes), writes its report
//  and moves it out of work/. Safe to run again after a crash at any point:
//  a file still in work/ with a final state is finished again. Returns 0 or -1.
static int
s_finish (s_importer_t *self, uint64_t id, const char *name, const char *state, const char *reason)
{
    const char *dir = streq (state, "rejected") ? "rejected" : "processed";
    char id_text [32], target [256], work [256], path [1024], report [1100];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    const char *get [1] = {id_text};
    PGresult *res = s_sql (self, "reading the file", "SELECT path FROM inbound_file WHERE id = $1", 1, get);
    if (!res)
        return -1;
    const char *recorded = PQntuples (res) ? PQgetvalue (res, 0, 0) : "";
    const char *slash = strrchr (recorded, '/');
    if (*recorded && slash)
        snprintf (target, sizeof target, "%s", slash + 1);
    else
        br_spool_free_name (self->spool, dir, name, target);
    PQclear (res);
    br_spool_path (self->spool, dir, target, path);
    snprintf (report, sizeof report, "%s.report", path);
    const char *params [5] = {id_text, state, reason, path, report};
    if (s_run (self, "finishing the file",
               "UPDATE inbound_file SET state = $2, reason = $3, path = $4, report = $5, moved = false, "
               "finished_at = coalesce (finished_at, now ()) WHERE id = $1", 5, params))
        return -1;
    char err [600];
    s_work_name (id, name, work);
    br_fault ("finish-before-move");
    if (br_report_write (self->db, id, report, err, sizeof err)
    ||  br_spool_move (self->spool, "work", work, dir, target, err, sizeof err)) {
        sn_error ("bridge: %s", err);
        return -1;
    }
    if (s_run (self, "recording the file's move", "UPDATE inbound_file SET moved = true WHERE id = $1", 1, get))
        return -1;
    sn_info ("bridge: %s %s: %s", name, state, *reason ? reason : path);
    return 0;
}

//  --- the first pass ----------------------------------------------------------------------

//  Reads the whole file: its digest, whether it can be read, its records.
//  Returns 1 (readable), 0 (not: why set), 2 (could not be opened: why set,
//  no digest), or -1 when stopped.
static int
s_first_pass (s_importer_t *self, const char *id, const char *path, uint8_t digest [32],
              uint64_t *records, char *why, size_t whylen)
{
    br_reader_t *reader = br_reader_new (self->config.schema, path, why, whylen);
    if (!reader)
        return 2;
    br_reader_set_validate (reader, false);
    br_record_t *record = (br_record_t *) malloc (sizeof (br_record_t));
    uint64_t n = 0, told = 0;
    int rc;
    while ((rc = br_reader_next (reader, record, why, whylen)) == 1) {
        n++;
        if (br_reader_bytes (reader) - told >= 4 * 1024 * 1024) {
            told = br_reader_bytes (reader);
            char bytes [32];
            snprintf (bytes, sizeof bytes, "%llu", (unsigned long long) told);
            const char *params [2] = {id, bytes};
            s_run (self, "progress", "UPDATE inbound_file SET bytes_read = $2 WHERE id = $1", 2, params);
            s_check_pipe (self);
            if (atomic_load (&self->stop)) {
                rc = -2;
                break;
            }
        }
    }
    br_reader_digest (reader, digest);
    *records = n;
    free (record);
    br_reader_destroy (&reader);
    return rc == -2 ? -1 : rc == 0 ? 1 : 0;
}

//  After the first pass: a duplicate, a file changed in work/, or on to
//  applying. Returns 1 to apply, 0 when finished here, -1 on failure.
static int
s_after_first_pass (s_importer_t *self, uint64_t id, const char *name, const uint8_t digest [32],
                    uint64_t records)
{
    char id_text [32], hex [65], count [32];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    snprintf (count, sizeof count, "%llu", (unsigned long long) records);
    s_hex (digest, 32, hex);
    const char *params [3] = {id_text, hex, count};
    PGresult *res = s_sql (self, "looking for the same file",
        "SELECT (SELECT coalesce (encode (digest, 'hex'), '') FROM inbound_file WHERE id = $1), "
        "       (SELECT id FROM inbound_file WHERE digest = decode ($2, 'hex') "
        "        AND state IN ('applying', 'processed') AND id <> $1 ORDER BY id LIMIT 1)", 2, params);
    if (!res)
        return -1;
    bool changed = *PQgetvalue (res, 0, 0) && !streq (PQgetvalue (res, 0, 0), hex);
    char original [32];
    snprintf (original, sizeof original, "%s", PQgetvalue (res, 0, 1));
    PQclear (res);
    if (changed)
        return s_finish (self, id, name, "rejected",
                         "the file changed while it was in work/ (its bytes are not those first read)") ? -1 : 0;
    if (*original) {
        const char *dup [4] = {id_text, hex, count, original};
        if (s_run (self, "recording a duplicate",
                   "UPDATE inbound_file SET state = 'duplicate', digest = decode ($2, 'hex'), records = $3, "
                   "skipped = $3, next_ordinal = $3, duplicate_of = $4 WHERE id = $1", 4, dup))
            return -1;
        return s_finish (self, id, name, "duplicate", "") ? -1 : 0;
    }
    if (s_run (self, "recording the file",
               "UPDATE inbound_file SET state = 'applying', digest = decode ($2, 'hex'), records = $3, "
               "bytes_read = bytes WHERE id = $1", 3, params))
        return -1;
    return 1;
}

//  --- a batch: what is known without a request ----------------------------------------------

static void
s_decide (br_item_t *item, br_outcome_t outcome, const char *fmt, ...) __attribute__ ((format (printf, 3, 4)));

static void
s_decide (br_item_t *item, br_outcome_t outcome, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (item->reason, sizeof item->reason, fmt, args);
    va_end (args);
    item->outcome = outcome;
}

//  Runs sql with one text array of the slot's values (by what), and gives
//  each row to apply. Returns 0 or -1.
static int
s_lookup (s_importer_t *self, s_slot_t *slot, const char *sql, const char *(*what) (const br_item_t *),
          void (*apply) (s_slot_t *, PGresult *, int))
{
    sn_array_t values = SN_ARRAY_INIT;
    for (size_t i = 0; i < slot->n_items; i++)
        if (slot->items [i].outcome == BR_PENDING && what (&slot->items [i]))
            sn_array_text (&values, what (&slot->items [i]));
    const char *params [1] = {sn_array_end (&values)};
    PGresult *res = sn_array_size (&values) ? s_sql (self, "looking up the batch", sql, 1, params) : NULL;
    bool ok = res || sn_array_size (&values) == 0;
    for (int r = 0; res && r < PQntuples (res); r++)
        apply (slot, res, r);
    PQclear (res);
    sn_array_free (&values);
    return ok ? 0 : -1;
}

static const char *
s_key_of (const br_item_t *item)
{
    static __thread char key [96];
    br_record_key (&item->record, key);
    return key;
}

//  A record applied before: skipped if it says the same, rejected if not.
static void
s_apply_applied (s_slot_t *slot, PGresult *res, int r)
{
    for (size_t i = 0; i < slot->n_items; i++) {
        br_item_t *item = &slot->items [i];
        if (item->outcome != BR_PENDING || !streq (s_key_of (item), PQgetvalue (res, r, 0)))
            continue;
        char hex [65];
        s_hex (item->record.content, 32, hex);
        if (streq (hex, PQgetvalue (res, r, 1)))
            s_decide (item, BR_SKIPPED, "already applied (file %s, line %s)", PQgetvalue (res, r, 2),
                      PQgetvalue (res, r, 3));
        else
            s_decide (item, BR_REJECTED, "%s %s was applied from file %s, line %s, with other content: "
                      "a change to it is a new record", item->record.element, item->record.id,
                      PQgetvalue (res, r, 2), PQgetvalue (res, r, 3));
    }
}

static const char *
s_ambito_of (const br_item_t *item)
{
    return item->record.kind == BR_RECORD_REFERRAL ? item->record.ambito : NULL;
}

//  The SSC members of an ambito (several: a comma between).
static void
s_apply_ssc (s_slot_t *slot, PGresult *res, int r)
{
    for (size_t i = 0; i < slot->n_items; i++)
        if (slot->items [i].outcome == BR_PENDING
        &&  streq (slot->items [i].record.ambito, PQgetvalue (res, r, 0)))
            snprintf (slot->items [i].ssc, sizeof slot->items [i].ssc, "%s", PQgetvalue (res, r, 1));
}

static const char *
s_referral_of (const br_item_t *item)
{
    return item->record.kind == BR_RECORD_UPDATE ? item->record.referral : NULL;
}

static void
s_apply_referral (s_slot_t *slot, PGresult *res, int r)
{
    for (size_t i = 0; i < slot->n_items; i++) {
        br_item_t *item = &slot->items [i];
        if (item->outcome == BR_PENDING && item->record.kind == BR_RECORD_UPDATE
        &&  streq (item->record.referral, PQgetvalue (res, r, 0))) {
            snprintf (item->person_id, sizeof item->person_id, "%s", PQgetvalue (res, r, 1));
            snprintf (item->pathway_id, sizeof item->pathway_id, "%s", PQgetvalue (res, r, 2));
        }
    }
}

//  What each record's outcome is, where no request is needed: invalid, applied
//  before, no SSC for its ambito, an update of an unknown referral. Returns 0 or -1.
static int
s_decide_locally (s_importer_t *self, s_slot_t *slot)
{
    for (size_t i = 0; i < slot->n_items; i++)
        if (*slot->items [i].record.error)
            s_decide (&slot->items [i], BR_REJECTED, "%s", slot->items [i].record.error);
    if (s_lookup (self, slot, "SELECT a.key, encode (a.content, 'hex'), f.name, a.line FROM applied_record a "
                  "JOIN inbound_file f ON f.id = a.file_id WHERE a.key = ANY ($1::text [])", s_key_of, s_apply_applied)
    ||  s_lookup (self, slot, "SELECT ambito, string_agg (id, ',' ORDER BY id) FROM directory WHERE kind = " SN_SQL (BR_SQL_SSC) " "
                  "AND NOT revoked AND ambito = ANY ($1::text []) GROUP BY ambito", s_ambito_of, s_apply_ssc)
    ||  s_lookup (self, slot, "SELECT id, person_id, coalesce (pathway_id::text, '') FROM referral "
                  "WHERE id = ANY ($1::text [])", s_referral_of, s_apply_referral))
        return -1;
    for (size_t i = 0; i < slot->n_items; i++) {
        br_item_t *item = &slot->items [i];
        if (item->outcome != BR_PENDING)
            continue;
        if (item->record.kind == BR_RECORD_REFERRAL && !*item->ssc)
            s_decide (item, BR_REJECTED, "no SSC member of ambito \"%s\" in the network to refer for",
                      item->record.ambito);
        else
        if (item->record.kind == BR_RECORD_REFERRAL && strchr (item->ssc, ','))
            s_decide (item, BR_REJECTED, "several SSC members of ambito \"%s\" (%s): which one refers is "
                      "not known", item->record.ambito, item->ssc);
        else
        if (item->record.kind == BR_RECORD_UPDATE && !*item->person_id)
            s_decide (item, BR_REJECTED, "unknown referral %s: no referral with this id was accepted",
                      item->record.referral);
        else
        if (item->record.update == BR_UPDATE_WITHDRAWN && !*item->pathway_id)
            s_decide (item, BR_REJECTED, "referral %s has no pathway to withdraw", item->record.referral);
    }
    return 0;
}

//  --- a batch: the requests, several at once ------------------------------------------------

//  A phase's work as units: the referrals that go in batch requests (in
//  phase 1 every pending one, in phase 2 those registered), call_batch of
//  them to a unit; every other pending record alone (br_caller_apply does
//  what it has in the phase, if anything).
static void
s_units (s_slot_t *slot, int phase, size_t batch)
{
    size_t ordered = 0, units = 0;
    for (size_t i = 0; i < slot->n_items; i++) {
        br_item_t *item = &slot->items [i];
        if (item->outcome == BR_PENDING && item->record.kind == BR_RECORD_REFERRAL
        &&  (phase == 1 || item->registered))
            slot->order [ordered++] = item;
    }
    for (size_t first = 0; first < ordered; first += batch) {
        size_t n = ordered - first < batch ? ordered - first : batch;
        slot->units [units++] = (s_unit_t) {&slot->order [first], n, true};
    }
    for (size_t i = 0; i < slot->n_items; i++) {
        br_item_t *item = &slot->items [i];
        if (item->outcome == BR_PENDING && item->record.kind != BR_RECORD_REFERRAL) {
            slot->order [ordered] = item;
            slot->units [units++] = (s_unit_t) {&slot->order [ordered++], 1, false};
        }
    }
    slot->n_units = units;
}

//  One caller's thread: takes the slot's units until none is left.
static void *
s_caller_thread (void *arg)
{
    s_slot_t *slot = (s_slot_t *) arg;
    s_importer_t *self = slot->importer;
    int me = atomic_fetch_add (&slot->joined, 1);
    br_caller_t *caller = slot->callers [me];
    size_t i;
    while ((i = atomic_fetch_add (&slot->next, 1)) < slot->n_units && !atomic_load (&self->stop)) {
        s_unit_t *unit = &slot->units [i];
        if (!unit->batch)
            br_caller_apply (caller, unit->items [0], slot->phase, &self->stop);
        else
        if (slot->phase == 1)
            br_caller_create_persons (caller, unit->items, unit->n, self->digest, &self->stop);
        else
            br_caller_refer (caller, unit->items, unit->n, self->digest, &self->stop);
    }
    return NULL;
}

//  Starts a phase of the slot's pending items: its units, each caller of
//  the phase in a thread of its own. s_phase_wait waits for it.
static void
s_phase_start (s_importer_t *self, s_slot_t *slot, int phase)
{
    s_units (slot, phase, (size_t) self->config.call_batch);
    slot->phase = phase;
    slot->callers = self->callers [phase - 1];
    slot->n_threads = self->config.callers < (int) slot->n_units ? self->config.callers : (int) slot->n_units;
    atomic_store (&slot->next, 0);
    atomic_store (&slot->joined, 0);
    for (int i = 0; i < slot->n_threads; i++)
        pthread_create (&slot->threads [i], NULL, s_caller_thread, slot);
}

//  Waits for the slot's phase to end, watching the pipe meanwhile.
static void
s_phase_wait (s_importer_t *self, s_slot_t *slot)
{
    for (int i = 0; i < slot->n_threads; i++) {
        while (pthread_tryjoin_np (slot->threads [i], NULL) != 0) {
            zsock_t *which = (zsock_t *) zpoller_wait (self->poller, 5);
            if (which == self->pipe)
                s_check_pipe (self);
        }
    }
    slot->n_threads = 0;
    slot->phase = 0;
}

//  --- a batch: its outcomes recorded, in one transaction --------------------------------

static const char *const s_outcomes [] = {"pending", "accepted", "rejected", "skipped"};

typedef struct {
    sn_array_t ordinals, lines, kinds, ids, outcomes, reasons;         //  record_outcome
    sn_array_t keys, contents, applied_lines;                           //  applied_record
    sn_array_t refs, cfs, persons, pathways, ambiti, objectives;       //  referral
    sn_array_t withdrawn;                                               //  referral withdrawn
    sn_array_t views, view_cfs, view_records, towns, addresses, phones, emails, view_outcomes,
               view_reasons, view_lines;                                //  region_view
    long accepted, rejected, skipped;
} s_rows_t;

static void
s_rows_add (s_rows_t *rows, const br_item_t *item)
{
    const br_record_t *r = &item->record;
    sn_array_int (&rows->ordinals, (long long) r->ordinal);
    sn_array_int (&rows->lines, r->line);
    sn_array_text (&rows->kinds, r->element);
    sn_array_text (&rows->ids, r->id);
    sn_array_text (&rows->outcomes, s_outcomes [item->outcome]);
    sn_array_text (&rows->reasons, item->reason);
    rows->accepted += item->outcome == BR_ACCEPTED;
    rows->rejected += item->outcome == BR_REJECTED;
    rows->skipped += item->outcome == BR_SKIPPED;
    if (item->outcome == BR_ACCEPTED) {
        sn_array_text (&rows->keys, s_key_of (item));
        sn_array_bytea (&rows->contents, r->content, 32);
        sn_array_int (&rows->applied_lines, r->line);
        if (r->kind == BR_RECORD_REFERRAL) {
            sn_array_text (&rows->refs, r->id);
            sn_array_text (&rows->cfs, r->codice_fiscale);
            sn_array_text (&rows->persons, item->person_id);
            sn_array_text (&rows->pathways, item->pathway_id);
            sn_array_text (&rows->ambiti, r->ambito);
            sn_array_int (&rows->objectives, r->objective);
        }
        if (r->update == BR_UPDATE_WITHDRAWN)
            sn_array_text (&rows->withdrawn, r->referral);
    }
    const char *view = r->kind == BR_RECORD_REFERRAL ? r->id : r->referral;
    if (item->outcome != BR_SKIPPED && r->kind != BR_RECORD_OTHER && *view) {
        sn_array_text (&rows->views, view);
        sn_array_text (&rows->view_cfs, r->codice_fiscale);
        sn_array_text (&rows->view_records, r->kind == BR_RECORD_REFERRAL ? "referral"
                                            : r->update == BR_UPDATE_CONTACT ? "contact"
                                            : r->update == BR_UPDATE_CONSENT_REVOKED ? "consentRevoked"
                                            : r->update == BR_UPDATE_WITHDRAWN ? "withdrawn" : "update");
        sn_array_text (&rows->towns, r->municipality);
        sn_array_text (&rows->addresses, r->address);
        sn_array_text (&rows->phones, r->phone);
        sn_array_text (&rows->emails, r->email);
        sn_array_text (&rows->view_outcomes, s_outcomes [item->outcome]);
        sn_array_text (&rows->view_reasons, item->reason);
        sn_array_int (&rows->view_lines, r->line);
    }
}

//  Frees every array of rows (the arrays are its fields before the counts).
static void
s_rows_free (s_rows_t *rows)
{
    sn_array_t *arrays = (sn_array_t *) rows;
    for (size_t i = 0; i < offsetof (s_rows_t, accepted) / sizeof (sn_array_t); i++)
        sn_array_free (&arrays [i]);
}

//  The statements of a batch's transaction, each with its arrays.
static int
s_record_rows (s_importer_t *self, const char *id, s_rows_t *rows)
{
    const char *outcome [7] = {id, sn_array_end (&rows->ordinals), sn_array_end (&rows->lines),
                               sn_array_end (&rows->kinds), sn_array_end (&rows->ids),
                               sn_array_end (&rows->outcomes), sn_array_end (&rows->reasons)};
    const char *applied [4] = {id, sn_array_end (&rows->keys), sn_array_end (&rows->contents),
                               sn_array_end (&rows->applied_lines)};
    const char *referral [6] = {sn_array_end (&rows->refs), sn_array_end (&rows->cfs),
                                sn_array_end (&rows->persons), sn_array_end (&rows->pathways),
                                sn_array_end (&rows->ambiti), sn_array_end (&rows->objectives)};
    const char *withdrawn [1] = {sn_array_end (&rows->withdrawn)};
    const char *view [11] = {id, sn_array_end (&rows->views), sn_array_end (&rows->view_cfs),
                             sn_array_end (&rows->view_records), sn_array_end (&rows->towns),
                             sn_array_end (&rows->addresses), sn_array_end (&rows->phones),
                             sn_array_end (&rows->emails), sn_array_end (&rows->view_outcomes),
                             sn_array_end (&rows->view_reasons), sn_array_end (&rows->view_lines)};
    return s_run (self, "recording the outcomes",
        "INSERT INTO record_outcome (file_id, ordinal, line, kind, record_id, outcome, reason) "
        "SELECT $1, * FROM unnest ($2::bigint [], $3::bigint [], $4::text [], $5::text [], $6::text [], "
        "$7::text [])", 7, outcome)
        || s_run (self, "recording the records applied",
        "INSERT INTO applied_record (key, content, file_id, line) SELECT k, c, $1, l "
        "FROM unnest ($2::text [], $3::bytea [], $4::bigint []) AS u (k, c, l) ON CONFLICT (key) DO NOTHING",
        4, applied)
        || s_run (self, "recording the referrals",
        "INSERT INTO referral (id, codice_fiscale, person_id, pathway_id, ambito, objective) "
        "SELECT i, c, p::uuid, nullif (w, '')::uuid, a, o FROM unnest ($1::text [], $2::text [], $3::text [], "
        "$4::text [], $5::text [], $6::int []) AS u (i, c, p, w, a, o) ON CONFLICT (id) DO UPDATE SET "
        "person_id = excluded.person_id, pathway_id = excluded.pathway_id", 6, referral)
        || s_run (self, "recording the withdrawals",
        "UPDATE referral SET withdrawn = true WHERE id = ANY ($1::text [])", 1, withdrawn)
        || s_run (self, "recording what the social record said",
        "INSERT INTO region_view AS v (referral_id, codice_fiscale, status, last_record, municipality, "
        "address, phone, email, last_outcome, last_reason, file_id, line) "
        "SELECT i, c, CASE r WHEN 'withdrawn' THEN 'withdrawn' ELSE 'referred' END, r, t, a, p, e, o, why, "
        "$1, l FROM unnest ($2::text [], $3::text [], $4::text [], $5::text [], $6::text [], $7::text [], "
        "$8::text [], $9::text [], $10::text [], $11::bigint []) AS u (i, c, r, t, a, p, e, o, why, l) "
        "ON CONFLICT (referral_id) DO UPDATE SET "
        "codice_fiscale = coalesce (nullif (excluded.codice_fiscale, ''), v.codice_fiscale), "
        "status = CASE excluded.last_record WHEN 'referral' THEN 'referred' WHEN 'withdrawn' THEN 'withdrawn' "
        "         ELSE v.status END, last_record = excluded.last_record, "
        "municipality = coalesce (nullif (excluded.municipality, ''), v.municipality), "
        "address = coalesce (nullif (excluded.address, ''), v.address), "
        "phone = coalesce (nullif (excluded.phone, ''), v.phone), "
        "email = coalesce (nullif (excluded.email, ''), v.email), "
        "last_outcome = excluded.last_outcome, last_reason = excluded.last_reason, "
        "file_id = excluded.file_id, line = excluded.line, updated_at = now ()", 11, view) ? -1 : 0;
}

//  Records the slot's outcomes and the file's progress in one
//  transaction. Returns 0 or -1 (rolled back).
static int
s_record (s_importer_t *self, s_slot_t *slot, uint64_t id, uint64_t next_ordinal)
{
    s_rows_t rows;
    memset (&rows, 0, sizeof rows);
    for (size_t i = 0; i < slot->n_items; i++)
        s_rows_add (&rows, &slot->items [i]);
    char id_text [32], next [32], accepted [32], rejected [32], skipped [32];
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    snprintf (next, sizeof next, "%llu", (unsigned long long) next_ordinal);
    snprintf (accepted, sizeof accepted, "%ld", rows.accepted);
    snprintf (rejected, sizeof rejected, "%ld", rows.rejected);
    snprintf (skipped, sizeof skipped, "%ld", rows.skipped);
    const char *progress [5] = {id_text, next, accepted, rejected, skipped};
    int rc = s_run (self, "a batch", "BEGIN", 0, NULL);
    if (rc == 0)
        rc = s_record_rows (self, id_text, &rows);
    if (rc == 0)
        rc = s_run (self, "recording the progress",
                    "UPDATE inbound_file SET next_ordinal = $2, accepted = accepted + $3, attempts = 0, "
                    "rejected = rejected + $4, skipped = skipped + $5 WHERE id = $1", 5, progress);
    if (rc == 0)
        rc = s_run (self, "a batch", "COMMIT", 0, NULL);
    if (rc)
        PQclear (PQexec (self->db, "ROLLBACK"));
    s_rows_free (&rows);
    return rc;
}

//  Runs fn until it succeeds: while the database is away, a pass of the
//  pipe and a pause. Returns 0, or -1 when stopped.
static int
s_until_done (s_importer_t *self, s_slot_t *slot, uint64_t id,
              int (*fn) (s_importer_t *, s_slot_t *, uint64_t))
{
    while (fn (self, slot, id)) {
        s_check_pipe (self);
        if (atomic_load (&self->stop))
            return -1;
        zclock_sleep (500);
        s_db (self);
    }
    return 0;
}

static int
s_decide_step (s_importer_t *self, s_slot_t *slot, uint64_t id)
{
    return s_decide_locally (self, slot);
}

static int
s_record_step (s_importer_t *self, s_slot_t *slot, uint64_t id)
{
    return s_record (self, slot, id, slot->items [slot->n_items - 1].record.ordinal + 1);
}

//  The slot once its phase 2 ended: every item has its outcome, recorded
//  with the file's progress. Returns 0, or -1 when stopped (nothing of it
//  recorded: it comes again after a restart).
static int
s_settle (s_importer_t *self, s_slot_t *slot, uint64_t id)
{
    for (size_t i = 0; i < slot->n_items; i++)
        if (slot->items [i].outcome == BR_PENDING)
            return -1;
    br_fault ("import-before-record");
    int64_t start = zclock_usecs ();
    if (s_until_done (self, slot, id, s_record_step))
        return -1;
    sn_debug ("bridge: a batch of %zu records: the registry's requests %lld ms, monitoring's (from their "
                "start to the batch's turn) %lld ms, recorded in %lld ms", slot->n_items,
                (long long) slot->phase1_us / 1000, (long long) (start - slot->phase2_at) / 1000,
                (long long) (zclock_usecs () - start) / 1000);
    slot->state = S_FREE;
    slot->n_items = 0;
    zhashx_purge (slot->keys);
    return 0;
}

//  The slot k places after the oldest in hand.
static s_slot_t *
s_slot (s_importer_t *self, size_t k)
{
    return &self->slots [(self->head + k) % S_SLOTS];
}

//  The slot being read into: the one after those in hand.
static s_slot_t *
s_filling (s_importer_t *self)
{
    return s_slot (self, self->held);
}

//  Starts a ready slot's monitoring requests in the background.
static void
s_phase2 (s_importer_t *self, s_slot_t *slot)
{
    slot->phase2_at = zclock_usecs ();
    s_phase_start (self, slot, 2);
    slot->state = S_RUNNING;
}

//  The oldest slot in hand, settled: its phase 2 started if it waited,
//  ended, and the slot recorded. Returns 0, or -1 when stopped.
static int
s_settle_oldest (s_importer_t *self, uint64_t id)
{
    s_slot_t *slot = s_slot (self, 0);
    if (slot->state == S_READY)
        s_phase2 (self, slot);
    s_phase_wait (self, slot);
    if (s_settle (self, slot, id))
        return -1;
    self->head = (self->head + 1) % S_SLOTS;
    self->held--;
    return 0;
}

//  Settles the slots in hand, oldest first, until (and with) the one
//  last places after the oldest (held - 1: every one). Returns 0, or -1
//  when stopped.
static int
s_flush (s_importer_t *self, size_t last, uint64_t id)
{
    for (size_t k = 0; k <= last && self->held > 0; k++)
        if (s_settle_oldest (self, id))
            return -1;
    return 0;
}

//  Takes the slot read into on: decided, its registry requests made; it
//  waits, ready, while the slot before it has its monitoring requests
//  made, once the one before that is recorded. Returns 0, or -1 when
//  stopped.
static int
s_take_on (s_importer_t *self, uint64_t id)
{
    s_slot_t *slot = s_filling (self);
    if (slot->n_items == 0)
        return 0;
    if (s_until_done (self, slot, id, s_decide_step))
        return -1;
    int64_t start = zclock_usecs ();
    s_phase_start (self, slot, 1);
    s_phase_wait (self, slot);
    slot->phase1_us = zclock_usecs () - start;
    if (atomic_load (&self->stop))
        return -1;
    slot->state = S_READY;
    self->held++;
    if (self->held == S_SLOTS && s_settle_oldest (self, id))
        return -1;
    if (self->held == S_SLOTS - 1 && s_slot (self, 0)->state == S_READY)
        s_phase2 (self, s_slot (self, 0));
    return 0;
}

//  --- the second pass ------------------------------------------------------------------------

//  True if the record touches a referral or a person an item of the slot
//  touches: it must wait for the slot's outcome (an update after its
//  referral, a record repeated).
static bool
s_conflicts (s_slot_t *slot, const br_record_t *r)
{
    char key [128];
    snprintf (key, sizeof key, "r:%s", r->kind == BR_RECORD_UPDATE ? r->referral : r->id);
    if (zhashx_lookup (slot->keys, key))
        return true;
    snprintf (key, sizeof key, "p:%s", r->codice_fiscale);
    return *r->codice_fiscale && zhashx_lookup (slot->keys, key);
}

static void
s_hold (s_slot_t *slot, br_item_t *item)
{
    const br_record_t *r = &item->record;
    char key [128];
    snprintf (key, sizeof key, "r:%s", r->kind == BR_RECORD_UPDATE ? r->referral : r->id);
    zhashx_update (slot->keys, key, (void *) "");
    if (*r->codice_fiscale) {
        snprintf (key, sizeof key, "p:%s", r->codice_fiscale);
        zhashx_update (slot->keys, key, (void *) "");
    }
    item->outcome = BR_PENDING;
    item->registered = false;
    *item->reason = *item->ssc = *item->person_id = *item->pathway_id = 0;
}

//  Puts the record just read (in the filling slot's next item) in that
//  slot, after whatever it must wait for: the slots in hand up to the
//  last one it touches what of, or, when it touches what the filling slot
//  does, that slot taken on and every slot settled. Returns 0, or -1 when
//  stopped.
static int
s_place (s_importer_t *self, uint64_t id)
{
    s_slot_t *cur = s_filling (self);
    br_item_t *item = &cur->items [cur->n_items];
    for (size_t k = self->held; k-- > 0;)
        if (s_conflicts (s_slot (self, k), &item->record)) {
            if (s_flush (self, k, id))
                return -1;
            break;
        }
    if (cur->n_items > 0 && s_conflicts (cur, &item->record)) {
        br_item_t *held = (br_item_t *) malloc (sizeof (br_item_t));
        memcpy (held, item, sizeof (br_item_t));
        //  the record waits for the slot's outcome, and so for every one before it
        int rc = s_take_on (self, id) || s_flush (self, self->held - 1, id) ? -1 : 0;
        cur = s_filling (self);
        memcpy (&cur->items [0], held, sizeof (br_item_t));
        free (held);
        if (rc)
            return -1;
    }
    s_hold (cur, &cur->items [cur->n_items++]);
    return 0;
}

//  Reads the file again, validating each record, and applies the records
//  from the first without an outcome on, in batches. Returns 0, 1 when the
//  file could not be read again (why set), -1 when stopped.
static int
s_second_pass (s_importer_t *self, uint64_t id, const char *path, uint64_t from, char *why, size_t whylen)
{
    br_reader_t *reader = br_reader_new (self->config.schema, path, why, whylen);
    if (!reader)
        return 1;
    for (int i = 0; i < S_SLOTS; i++) {
        self->slots [i].n_items = 0;
        self->slots [i].state = S_FREE;
        zhashx_purge (self->slots [i].keys);
    }
    self->head = self->held = 0;
    int read = 1;
    bool stopped = false;
    s_slot_t *slot = s_filling (self);
    while (!stopped
        && (read = br_reader_next (reader, &slot->items [slot->n_items].record, why, whylen)) == 1) {
        if (slot->items [slot->n_items].record.ordinal >= from) {
            stopped = s_place (self, id) != 0;
            if (!stopped && s_filling (self)->n_items == (size_t) self->config.batch)
                stopped = s_take_on (self, id) != 0;
        }
        slot = s_filling (self);
    }
    if (!stopped && read == 0)
        stopped = s_take_on (self, id) || s_flush (self, self->held - 1, id);
    for (int i = 0; i < S_SLOTS; i++)
        s_phase_wait (self, &self->slots [i]);      //  none runs on once stopped
    br_reader_destroy (&reader);
    return stopped ? -1 : read < 0 ? 1 : 0;
}

//  --- a file, from wherever it was ---------------------------------------------------------

//  The bridge started on this file this many times without finishing: a
//  file that crashes it is rejected rather than read in a loop.
#define MOST_ATTEMPTS 5

//  Takes a file in work/ on from its state. Returns 0 when done with it,
//  -1 when stopped or the database failed (it stays in work/ for later).
static int
s_process (s_importer_t *self, uint64_t id, const char *name, const char *state, int attempts)
{
    char id_text [32], work [256], path [1024], why [600] = "";
    snprintf (id_text, sizeof id_text, "%llu", (unsigned long long) id);
    if (streq (state, "processed") || streq (state, "rejected") || streq (state, "duplicate")) {
        const char *params [1] = {id_text};
        PGresult *res = s_sql (self, "reading the file", "SELECT reason FROM inbound_file WHERE id = $1", 1, params);
        if (res && PQntuples (res))
            snprintf (why, sizeof why, "%s", PQgetvalue (res, 0, 0));
        PQclear (res);
        return res ? s_finish (self, id, name, state, why) : -1;
    }
    if (attempts >= MOST_ATTEMPTS)
        return s_finish (self, id, name, "rejected", "the bridge stopped 5 times on this file without recording a record: "
                         "it is not read again until an operator retries it (snodoctl bridge retry)");
    const char *params [1] = {id_text};
    if (s_run (self, "starting on the file", "UPDATE inbound_file SET attempts = attempts + 1, "
               "state = CASE state WHEN 'taken' THEN 'reading' ELSE state END WHERE id = $1", 1, params))
        return -1;
    s_work_name (id, name, work);
    br_spool_path (self->spool, "work", work, path);
    uint8_t digest [32];
    uint64_t records = 0;
    int rc = s_first_pass (self, id_text, path, digest, &records, why, sizeof why);
    if (rc == 2)
        //  no digest: ImportStatus finds the file by its name
        return s_finish (self, id, name, "rejected", why);
    if (rc == 0) {
        char hex [65];
        s_hex (digest, 32, hex);
        const char *reject [2] = {id_text, hex};
        if (s_run (self, "recording the file", "UPDATE inbound_file SET digest = decode ($2, 'hex') "
                   "WHERE id = $1", 2, reject))
            return -1;
        return s_finish (self, id, name, "rejected", why);
    }
    if (rc < 0)
        return -1;
    rc = s_after_first_pass (self, id, name, digest, records);
    memcpy (self->digest, digest, sizeof self->digest);
    if (rc <= 0)
        return rc;
    PGresult *res = s_sql (self, "reading the progress", "SELECT next_ordinal FROM inbound_file WHERE id = $1",
                           1, params);
    if (!res)
        return -1;
    uint64_t from = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    rc = s_second_pass (self, id, path, from, why, sizeof why);
    if (rc < 0)
        return -1;
    return s_finish (self, id, name, rc ? "rejected" : "processed", rc ? why : "");
}

//  Files in work/ first: each is finished from where it was. Rows of files
//  that never reached work/ are abandoned. Returns 1 if a file was worked
//  on, 0 if none was there, -1 on failure.
static int
s_resume (s_importer_t *self)
{
    PGresult *res = s_sql (self, "files in hand",
        "SELECT id, name, state, attempts, path FROM inbound_file WHERE (path = '' OR NOT moved) "
        "AND state <> 'abandoned' ORDER BY id",
        0, NULL);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples (res) && rc == 0; i++) {
        uint64_t id = strtoull (PQgetvalue (res, i, 0), NULL, 10);
        char work [256], path [1024];
        s_work_name (id, PQgetvalue (res, i, 1), work);
        const char *params [1] = {PQgetvalue (res, i, 0)};
        if (access (br_spool_path (self->spool, "work", work, path), F_OK) == 0) {
            rc = s_process (self, id, PQgetvalue (res, i, 1), PQgetvalue (res, i, 2), atoi (PQgetvalue (res, i, 3)));
            rc = rc == 0 ? 1 : -1;
        }
        else
        if (*PQgetvalue (res, i, 4))
            //  its end was recorded and it left work/ before a crash: done
            s_run (self, "recording the file's move", "UPDATE inbound_file SET moved = true WHERE id = $1",
                   1, params);
        else {
            sn_warning ("bridge: file %s (%s) is not in work/: abandoned", PQgetvalue (res, i, 0),
                        PQgetvalue (res, i, 1));
            s_run (self, "abandoning", "UPDATE inbound_file SET state = 'abandoned', finished_at = now () "
                   "WHERE id = $1", 1, params);
        }
    }
    PQclear (res);
    return rc;
}

//  The next ready file of the inbox: recorded, moved to work/, processed.
//  Returns 1 if one was taken, 0 if none is ready, -1 on failure.
static int
s_take (s_importer_t *self)
{
    char name [256], path [1024], bytes [32], err [600];
    if (!br_spool_ready (self->spool, name))
        return 0;
    struct stat st;
    if (stat (br_spool_path (self->spool, "inbox", name, path), &st))
        return 0;
    snprintf (bytes, sizeof bytes, "%lld", (long long) st.st_size);
    const char *params [2] = {name, bytes};
    PGresult *res = s_sql (self, "taking a file",
        "INSERT INTO inbound_file (name, state, bytes) VALUES ($1, 'taken', $2) RETURNING id", 2, params);
    if (!res)
        return -1;
    uint64_t id = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
    PQclear (res);
    char work [256];
    s_work_name (id, name, work);
    if (br_spool_move (self->spool, "inbox", name, "work", work, err, sizeof err)) {
        sn_warning ("bridge: %s", err);
        return 0;           //  gone meanwhile: the row is abandoned by the next look at work/
    }
    br_spool_drop_marker (self->spool, name);
    sn_info ("bridge: took %s (%lld bytes) as file %llu", name, (long long) st.st_size, (unsigned long long) id);
    return s_process (self, id, name, "taken", 0) == 0 ? 1 : -1;
}

//  --- the actor ---------------------------------------------------------------------------------

static void
s_importer_free (s_importer_t *self)
{
    for (int phase = 0; phase < 2; phase++) {
        for (int i = 0; self->callers [phase] && i < self->config.callers; i++)
            br_caller_destroy (&self->callers [phase][i]);
        free (self->callers [phase]);
    }
    for (int i = 0; i < S_SLOTS; i++) {
        free (self->slots [i].items);
        free (self->slots [i].order);
        free (self->slots [i].units);
        zhashx_destroy (&self->slots [i].keys);
    }
    zpoller_destroy (&self->poller);
    br_spool_destroy (&self->spool);
    PQfinish (self->db);
    free (self->conninfo);
    free (self->spool_root);
    free (self->self_id);
    free (self);
}

static void
s_importer_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "br-importer");
    s_importer_t *self = (s_importer_t *) args;
    self->pipe = pipe;
    self->poller = zpoller_new (pipe, NULL);
    zsock_signal (pipe, 0);
    while (!atomic_load (&self->stop)) {
        int worked = 0;
        if (s_db (self)) {
            worked = s_resume (self);
            if (worked == 0 && !atomic_load (&self->stop))
                worked = s_take (self);
        }
        if (worked > 0 && !atomic_load (&self->stop))
            continue;       //  another may be ready
        if (zpoller_wait (self->poller, self->config.poll_ms) == pipe)
            s_check_pipe (self);
        else
        if (zpoller_terminated (self->poller))
            break;
    }
    s_importer_free (self);
}

zactor_t *
br_importer_new (const br_import_config_t *config)
{
    assert (config && config->cert && config->schema);
    if (config->callers < 1 || config->callers > 64 || config->batch < 1 || config->batch > 4096
    ||  config->call_batch < 1 || config->call_batch > 1000)
        return NULL;
    char err [512];
    br_spool_t *spool = br_spool_new (config->spool, config->ready, config->settle_ms, err, sizeof err);
    if (!spool) {
        sn_error ("bridge: %s", err);
        return NULL;
    }
    s_importer_t *self = (s_importer_t *) zmalloc (sizeof (s_importer_t));
    self->config = *config;
    self->conninfo = strdup (config->conninfo);
    self->spool_root = strdup (config->spool);
    self->self_id = strdup (config->self_id);
    self->config.conninfo = self->conninfo;
    self->config.spool = self->spool_root;
    self->config.self_id = self->self_id;
    self->spool = spool;
    for (int i = 0; i < S_SLOTS; i++) {
        s_slot_t *slot = &self->slots [i];
        slot->items = (br_item_t *) calloc ((size_t) config->batch + 1, sizeof (br_item_t));
        slot->order = (br_item_t **) calloc ((size_t) config->batch + 1, sizeof (br_item_t *));
        slot->units = (s_unit_t *) calloc ((size_t) config->batch + 1, sizeof (s_unit_t));
        slot->keys = zhashx_new ();
        slot->importer = self;
    }
    for (int phase = 0; phase < 2; phase++) {
        self->callers [phase] = (br_caller_t **) calloc ((size_t) config->callers, sizeof (br_caller_t *));
        for (int i = 0; i < config->callers; i++) {
            self->callers [phase][i] = br_caller_new (config->self_id, config->cert, &config->registry,
                                                      &config->monitoring);
            if (!self->callers [phase][i]) {
                s_importer_free (self);
                return NULL;
            }
        }
    }
    return zactor_new (s_importer_actor, self);
}
