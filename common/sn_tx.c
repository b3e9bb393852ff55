/*  sn_tx: a worker's transaction.

    A transaction's first statements (BEGIN, its settings, a savepoint) are
    not sent on their own: they wait in the worker's pending list and leave
    with the first statement a handler runs, or with the journal, in one
    pipeline (libpq pipeline mode). A write costs two round trips: its
    statement and the journal with COMMIT. The writes whose result their
    handler does not read (sn_call_write) wait too, when the run defers
    them, so a batch of them costs two round trips in all. The rerun of a
    batch after a failed write (sn_worker.c) runs in a new transaction with
    savepoints, and defers nothing. */
#include "sn_server_internal.h"
#include "sn_log.h"
#include "sn_store.h"
#include "sn_metrics.h"
#include <string.h>

//  The rest of a pipeline after an error or its end: every result up to the
//  sync, so that the connection leaves pipeline mode clean. Returns true
//  when the sync came back. A statement outside a transaction commits at
//  the sync, after its own result was sent: only the sync says it did.
static bool
s_pipeline_drain (PGconn *db, bool sent)
{
    //  two NULLs in a row: nothing more will come (a lost connection)
    bool synced = false;
    for (int nulls = 0; sent && nulls < 2 && !synced && !sn_store_is_down (db);) {
        PGresult *res = PQgetResult (db);
        if (!res) {
            nulls++;        //  one ends each query's results
            continue;
        }
        nulls = 0;
        synced = PQresultStatus (res) == PGRES_PIPELINE_SYNC;
        PQclear (res);
    }
    PQexitPipelineMode (db);
    return synced;
}

//  The first result of the next query in a pipeline (and the NULL that ends
//  it). Caller PQclear's.
static PGresult *
s_pipeline_result (PGconn *db)
{
    PGresult *res = PQgetResult (db);
    if (res) {
        PGresult *end = PQgetResult (db);
        PQclear (end);
    }
    return res;
}

//  Frees the deferred writes' copies of their parameters.
static void
s_deferred_clear (sn_worker_t *self)
{
    for (int i = 0; i < self->n_deferred; i++)
        for (int k = 0; k < self->deferred [i].n; k++)
            free (self->deferred [i].params [k]);
    self->n_deferred = 0;
}

void
sn_tx_reset (sn_worker_t *self)
{
    s_deferred_clear (self);
    self->n_pending = 0;
    self->in_tx = false;
    self->defer = false;
    self->now_ms = -1;
    self->savepoint = SN_SP_NONE;
}

static const char s_begin [] = "BEGIN";

static void
s_tx_queue (sn_worker_t *self, const char *sql)
{
    assert (self->n_pending < SN_MAX_PENDING);
    self->pending [self->n_pending++] = sql;
}

//  Queues BEGIN and the settings of a transaction that writes (durable
//  before acknowledged: the session commits synchronously): within what is
//  left of the deadline, and generic plans. A write's statements look rows
//  up by key and take arrays whose length the planner cannot use; left to
//  choose, PostgreSQL planned the batched attendance statement again on
//  every call, a fifth of its time. (Two SETs cost less than one SELECT of
//  set_config: no planning.)
void
sn_tx_begin (sn_worker_t *self, int64_t remaining_ms, bool defer)
{
    sn_tx_reset (self);
    self->defer = defer;
    self->deferred_failed = false;
    s_tx_queue (self, s_begin);
    s_tx_queue (self, "SET LOCAL plan_cache_mode = force_generic_plan");
    snprintf (self->timeout_sql, sizeof self->timeout_sql, "SET LOCAL statement_timeout = %lld",
              (long long) (remaining_ms < 1 ? 1 : remaining_ms > 3600000 ? 3600000 : remaining_ms));
    s_tx_queue (self, self->timeout_sql);
    self->in_tx = true;
}

//  Queues a savepoint before the next call of a batch (releasing the last).
void
sn_tx_savepoint (sn_worker_t *self)
{
    if (self->savepoint == SN_SP_QUEUED)
        return;
    if (self->savepoint == SN_SP_OPEN)
        s_tx_queue (self, "RELEASE SAVEPOINT sn_call");
    s_tx_queue (self, "SAVEPOINT sn_call");
    self->savepoint = SN_SP_QUEUED;
}

//  One statement of a pipeline: a prepared one by name, or plain SQL.
typedef struct {
    const char *name;
    const char *sql;
    int n;
    const char *const *params;
    const int *lengths;
    const int *formats;
    int result_format;
} s_stmt_t;

//  Sends the pending statements, then stmts, in one pipeline; results [i]
//  gets each statement's result (the caller PQclear's them; NULL when
//  nothing could be sent, which the caller reads as a failure). A pending
//  statement that failed is returned (the statements after it are aborted);
//  NULL if all went.
static PGresult *
s_tx_pipeline (sn_worker_t *self, const s_stmt_t *stmts, int n, PGresult **results)
{
    PGconn *db = self->db;
    bool sent = PQenterPipelineMode (db) != 0;
    for (int i = 0; sent && i < self->n_pending; i++)
        sent = PQsendQueryParams (db, self->pending [i], 0, NULL, NULL, NULL, NULL, 0) != 0;
    for (int i = 0; sent && i < self->n_deferred; i++)
        sent = PQsendQueryPrepared (db, self->deferred [i].name, self->deferred [i].n,
                                    (const char *const *) self->deferred [i].params, NULL, NULL, 0) != 0;
    for (int i = 0; sent && i < n; i++)
        sent = stmts [i].name
             ? PQsendQueryPrepared (db, stmts [i].name, stmts [i].n, stmts [i].params,
                                    stmts [i].lengths, stmts [i].formats, stmts [i].result_format) != 0
             : PQsendQueryParams (db, stmts [i].sql, 0, NULL, NULL, NULL, NULL, 0) != 0;
    sent = sent && PQpipelineSync (db);
    if (sent)
        sn_metrics_round_trip (self->server->config.metrics);
    PGresult *failed = NULL;
    for (int i = 0; sent && i < self->n_pending + self->n_deferred; i++) {
        PGresult *res = s_pipeline_result (db);
        ExecStatusType status = PQresultStatus (res);
        if (!failed && status != PGRES_COMMAND_OK && status != PGRES_TUPLES_OK) {
            failed = res;
            //  a deferred write's own failure (the rest is only aborted)
            self->deferred_failed |= i >= self->n_pending && status == PGRES_FATAL_ERROR;
        }
        else
            PQclear (res);
    }
    for (int i = 0; i < n; i++)
        results [i] = sent ? s_pipeline_result (db) : NULL;
    self->synced = s_pipeline_drain (db, sent);
    self->n_pending = 0;
    s_deferred_clear (self);
    if (self->savepoint == SN_SP_QUEUED)
        self->savepoint = SN_SP_OPEN;
    return failed;
}

PGresult *
sn_tx_exec (sn_worker_t *self, const char *sql, int n, const char *const *params,
            const int *lengths, const int *formats, int result_format)
{
    if (self->n_pending == 0 && self->n_deferred == 0) {
        sn_metrics_round_trip (self->server->config.metrics);
        return sn_store_query (self->db, self->prepared, sql, n, params, lengths, formats, result_format);
    }
    PGresult *error;
    const char *name = sn_store_prepare (self->db, self->prepared, sql, n, &error);
    if (!name)
        return error;
    s_stmt_t stmt = {name, NULL, n, params, lengths, formats, result_format};
    PGresult *res = NULL;
    PGresult *failed = s_tx_pipeline (self, &stmt, 1, &res);
    if (failed) {
        PQclear (res);
        return failed;
    }
    return res;
}

PGresult *
sn_tx_flush (sn_worker_t *self)
{
    return self->db && (self->n_pending || self->n_deferred) ? s_tx_pipeline (self, NULL, 0, NULL) : NULL;
}

bool
sn_tx_defer (sn_worker_t *self, const char *sql, int n, const char *const *params, PGresult **error)
{
    *error = NULL;
    if (!self->defer || !self->in_tx || n > SN_DEFERRED_PARAMS)
        return false;
    if (self->n_deferred == SN_MAX_DEFERRED && (*error = sn_tx_flush (self)))
        return true;
    const char *name = sn_store_prepare (self->db, self->prepared, sql, n, error);
    if (!name)
        return true;
    sn_deferred_t *deferred = &self->deferred [self->n_deferred++];
    deferred->name = name;
    deferred->n = n;
    for (int i = 0; i < n; i++)
        deferred->params [i] = params [i] ? strdup (params [i]) : NULL;
    return true;
}

int64_t
sn_tx_now_ms (sn_worker_t *self, PGresult **error)
{
    *error = NULL;
    if (self->in_tx && self->now_ms >= 0)
        return self->now_ms;
    PGresult *res = sn_tx_exec (self, "SELECT (extract (epoch FROM now ()) * 1000)::bigint", 0, NULL,
                                NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1) {
        *error = res;
        return -1;
    }
    int64_t now = atoll (PQgetvalue (res, 0, 0));
    PQclear (res);
    if (self->in_tx)
        self->now_ms = now;
    return now;
}

//  Ends the transaction without its work.
void
sn_tx_rollback (sn_worker_t *self)
{
    bool begun = self->in_tx && !(self->n_pending && self->pending [0] == s_begin);
    sn_tx_reset (self);
    if (begun) {
        sn_metrics_round_trip (self->server->config.metrics);
        sn_store_exec (self->db, "ROLLBACK", NULL, 0);
    }
}

//  Undoes a failed call of a batch. Returns 0, or -1 when the batch's
//  transaction cannot go on.
int
sn_tx_undo_call (sn_worker_t *self, sn_call_t *call)
{
    if (!call->ran || self->savepoint != SN_SP_OPEN)
        return 0;
    sn_metrics_round_trip (self->server->config.metrics);
    return sn_store_exec (self->db, "ROLLBACK TO SAVEPOINT sn_call", NULL, 0);
}

//  The journal and COMMIT, with whatever is still pending, in one pipeline;
//  then the relay is kicked if events were committed. Without a transaction
//  (reads only) the statement commits by itself, and is not sent at all when
//  it has nothing to write. Returns 0 when committed; 1 when a request_id is
//  stored already (an earlier or concurrent duplicate committed first: its
//  insert fails on the key and COMMIT never runs); -1 on error. On 1 and -1
//  the transaction is rolled back.
int
sn_tx_commit (sn_worker_t *self, sn_journal_rows_t *rows, const char *what)
{
    if (!self->in_tx && sn_journal_rows_audits (rows) == 0)
        return 0;
    bool audits_only = !self->in_tx;
    const char *params [SN_JOURNAL_WRITE_PARAMS];
    int n_params;
    const char *sql = sn_journal_write_sql (rows, audits_only, params, &n_params);
    PGresult *error;
    const char *name = sn_store_prepare (self->db, self->prepared, sql, n_params, &error);
    if (!name) {
        sn_error ("%s: could not prepare the journal: %s", what, PQerrorMessage (self->db));
        PQclear (error);
        sn_tx_rollback (self);
        return -1;
    }
    s_stmt_t stmts [2] = {{name, NULL, n_params, params, NULL, NULL, 0},
                          {NULL, "COMMIT", 0, NULL, NULL, NULL, 0}};
    PGresult *results [2] = {NULL, NULL};
    int n = self->in_tx ? 2 : 1;
    PGresult *failed = s_tx_pipeline (self, stmts, n, results);
    int rc = -1;
    const char *constraint = PQresultErrorField (results [0], PG_DIAG_CONSTRAINT_NAME);
    //  alone, the statement commits at the pipeline's sync: its own result
    //  comes before, and a connection lost between the two leaves it
    //  unknown (an OK answered on it once left a read unaudited)
    if (!failed && PQresultStatus (results [0]) == PGRES_COMMAND_OK
    &&  (n == 1 ? self->synced : PQresultStatus (results [1]) == PGRES_COMMAND_OK))
        rc = 0;
    else
    if (constraint && streq (constraint, "idempotency_pkey"))
        rc = 1;
    else
    if (!self->deferred_failed)     //  a deferred write's failure is the run's to mend, not an error
        sn_error ("%s: could not write the journal or commit: %s", what, PQerrorMessage (self->db));
    PQclear (failed);
    PQclear (results [0]);
    PQclear (results [1]);
    if (rc == 0)
        sn_tx_reset (self);
    else
        sn_tx_rollback (self);
    if (rc == 0 && sn_journal_rows_events (rows))
        zmq_send (zsock_resolve (self->kick), "", 0, ZMQ_DONTWAIT);
    return rc;
}
