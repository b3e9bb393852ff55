/*  sn_server: broker, workers, relay. See sn_server.h. */
#include "sn_server.h"
#include "sn_journal.h"
#include "sn_check.h"
#include "sn_array.h"
#include <stdarg.h>
#include <stdatomic.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

//  --- shared state ---------------------------------------------------------

typedef struct {
    sn_server_config_t config;      //  copied; strings below own the copies
    char *request_endpoint;         //  copy
    char *events_endpoint;          //  copy
    char *conninfo;                 //  copy
    sn_service_t service;           //  copied
    char backend [64];              //  inproc endpoint of the workers
    char kick [64];                 //  inproc endpoint of the relay's kick socket
    int64_t started_at;             //  ms since the epoch
    atomic_uint_fast64_t published; //  the highest seq the relay published (or found numbered)
} s_server_t;

typedef struct {
    char field [96];                //  path of the bad field
    char description [160];         //  why
} s_violation_t;

#define MAX_VIOLATIONS 32

//  BEGIN, three settings and a savepoint; or RELEASE and SAVEPOINT
#define MAX_PENDING 6
#define MAX_BATCH 64                //  most requests in a worker's batch

typedef struct {
    s_server_t *server;             //  shared, read only
    PGconn *db;                     //  own connection, NULL while down
    int64_t retry_at;               //  when to try connecting again
    int backoff_ms;                 //  grows while the database is down
    zsock_t *kick;                  //  PUSH to the relay
    zhashx_t *prepared;             //  SQL text -> name of its prepared statement on db
    const char *pending [MAX_PENDING];  //  statements that leave with the next one
    int n_pending;
    char timeout_sql [64];          //  the pending statement_timeout
    bool in_tx;                     //  a transaction is open (or its BEGIN pending)
    enum {SP_NONE, SP_QUEUED, SP_OPEN} savepoint;   //  the batch's savepoint
} s_worker_t;

struct _sn_call_t {
    s_worker_t *worker;             //  the worker serving it
    s_server_t *server;             //  the server
    PGconn *db;                     //  the worker's connection
    const char *method;             //  "CreatePerson"
    const char *full_method;        //  "registry.CreatePerson"
    sn_member_info_t member;        //  the caller
    const char *purpose;            //  as sent
    int purpose_code;               //  snodo.registry.Purpose
    const uint8_t *request_id;      //  16 bytes
    bool write;                     //  in a transaction
    bool ran;                       //  sent a statement
    int code;                       //  status code
    char message [512];             //  status message
    s_violation_t violations [MAX_VIOLATIONS];
    size_t n_violations;
    char **audits;                  //  subjects to audit (owned)
    size_t n_audits;
    size_t max_audits;              //  allocated
    zlistx_t *events;               //  s_event_t: written to the outbox at commit
};

typedef struct {
    char *type;                     //  "registry.person.created"
    char *subject;                  //  the id of what changed
    uint8_t *body;                  //  the entity, packed
    size_t size;
} s_event_t;

static void
s_event_destroy (void **item)
{
    s_event_t *event = (s_event_t *) *item;
    free (event->type);
    free (event->subject);
    free (event->body);
    free (event);
    *item = NULL;
}

typedef struct {
    const ProtobufCServiceDescriptor *descriptor;
    const sn_method_t *methods;
} s_table_t;

static void
s_free_item (void **item)
{
    free (*item);
    *item = NULL;
}

static int64_t
s_now_ms (void)
{
    return zclock_time ();
}

const char *
sn_code_name (int code)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&snodo__code__descriptor, code);
    return v ? v->name : "UNKNOWN";
}

ProtobufCMessage *
sn_message_new (const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *msg = (ProtobufCMessage *) calloc (1, desc->sizeof_message);
    assert (msg);
    protobuf_c_message_init (desc, msg);
    return msg;
}

//  --- the call, for handlers -----------------------------------------------

void *sn_call_state (sn_call_t *call) { return call->server->service.state; }
const char *sn_call_method (sn_call_t *call) { return call->method; }
const char *sn_call_member_id (sn_call_t *call) { return call->member.id; }
int sn_call_member_kind (sn_call_t *call) { return call->member.kind; }
const char *sn_call_member_ambito (sn_call_t *call) { return call->member.ambito; }
const char *sn_call_purpose (sn_call_t *call) { return call->purpose ? call->purpose : ""; }
int sn_call_purpose_code (sn_call_t *call) { return call->purpose_code; }
bool sn_call_is_write (sn_call_t *call) { return call->write; }
int sn_call_code (sn_call_t *call) { return call->code; }

//  The code a handler's return leaves: the status it set wins.
static int
s_handler_code (sn_call_t *call, int returned)
{
    if (returned == SNODO__CODE__OK)
        return call->code == SNODO__CODE__OK ? SNODO__CODE__OK : call->code;
    if (call->code != SNODO__CODE__OK)
        return call->code;
    if (!call->message [0])
        snprintf (call->message, sizeof call->message, "%s", sn_code_name (returned));
    return returned;
}


int
sn_call_fail (sn_call_t *call, int code, const char *fmt, ...)
{
    va_list args;
    va_start (args, fmt);
    vsnprintf (call->message, sizeof call->message, fmt, args);
    va_end (args);
    call->code = code;
    return code;
}

void
sn_call_violation (sn_call_t *call, const char *field, const char *fmt, ...)
{
    if (call->n_violations >= MAX_VIOLATIONS)
        return;
    s_violation_t *v = &call->violations [call->n_violations++];
    snprintf (v->field, sizeof v->field, "%s", field);
    va_list args;
    va_start (args, fmt);
    vsnprintf (v->description, sizeof v->description, fmt, args);
    va_end (args);
}

size_t
sn_call_violations (sn_call_t *call)
{
    return call->n_violations;
}

int
sn_call_invalid (sn_call_t *call)
{
    if (call->n_violations == 1)
        return sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT, "%s: %s",
                             call->violations [0].field, call->violations [0].description);
    return sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT, "%zu fields are invalid",
                         call->n_violations);
}

int
sn_call_db_error (sn_call_t *call, PGresult *res, const char *what)
{
    int code = sn_store_error_code (call->db, res);
    const char *detail = res ? PQresultErrorField (res, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    if (code == SNODO__CODE__UNAVAILABLE)
        sn_call_fail (call, code, "the database is not available");
    else
    if (code == SNODO__CODE__INTERNAL) {
        zsys_error ("%s: %s: %s", call->full_method, what,
                    detail ? detail : PQerrorMessage (call->db));
        sn_call_fail (call, code, "%s failed", what);
    }
    else
        sn_call_fail (call, code, "%s: %s", what, detail ? detail : "rejected by the database");
    PQclear (res);
    return code;
}

int
sn_call_event (sn_call_t *call, const char *type, const char *subject, const ProtobufCMessage *body)
{
    assert (call->write);
    s_event_t *event = (s_event_t *) zmalloc (sizeof (s_event_t));
    event->type = strdup (type);
    event->subject = strdup (subject);
    event->size = protobuf_c_message_get_packed_size (body);
    event->body = (uint8_t *) malloc (event->size ? event->size : 1);
    size_t written = protobuf_c_message_pack (body, event->body);
    assert (written == event->size);
    if (!call->events) {
        call->events = zlistx_new ();
        zlistx_set_destructor (call->events, s_event_destroy);
    }
    zlistx_add_end (call->events, event);
    return 0;
}

void
sn_call_audit (sn_call_t *call, const char *subject)
{
    if (!subject || !*subject)
        return;
    for (size_t i = 0; i < call->n_audits && i < 8; i++)
        if (streq (call->audits [i], subject))
            return;
    if (call->n_audits == call->max_audits) {
        call->max_audits = call->max_audits ? call->max_audits * 2 : 8;
        call->audits = (char **) realloc (call->audits, call->max_audits * sizeof (char *));
    }
    call->audits [call->n_audits++] = strdup (subject);
}

//  --- the worker -------------------------------------------------------------

//  The rest of a pipeline after an error or its end: every result up to the
//  sync, so that the connection leaves pipeline mode clean.
static void
s_pipeline_drain (PGconn *db, bool synced)
{
    //  two NULLs in a row: nothing more will come (a lost connection)
    for (int nulls = 0; synced && nulls < 2 && !sn_store_is_down (db);) {
        PGresult *res = PQgetResult (db);
        if (!res) {
            nulls++;        //  one ends each query's results
            continue;
        }
        nulls = 0;
        bool sync = PQresultStatus (res) == PGRES_PIPELINE_SYNC;
        PQclear (res);
        if (sync)
            break;
    }
    PQexitPipelineMode (db);
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

static void s_tx_reset (s_worker_t *self);

//  Connects (or reconnects) if due. Returns the connection or NULL.
static PGconn *
s_worker_db (s_worker_t *self)
{
    if (self->db && !sn_store_is_down (self->db))
        return self->db;
    if (self->db) {
        zsys_warning ("%s: lost the database connection", self->server->service.name);
        PQfinish (self->db);
        self->db = NULL;
        self->retry_at = 0;
        zhashx_purge (self->prepared);     //  statements die with their connection
    }
    s_tx_reset (self);
    if (s_now_ms () < self->retry_at)
        return NULL;
    char err [512];
    const sn_service_t *service = &self->server->service;
    PGconn *db = sn_store_connect (self->server->conninfo, service->name, err, sizeof err);
    if (db && sn_store_migrate (db, service->name, service->migrations, err, sizeof err) == 0
    &&  (!service->on_connect || service->on_connect (service->state, db) == 0)) {
        self->db = db;
        self->backoff_ms = 100;
        return db;
    }
    zsys_warning ("%s: %s (next try in %d ms)", service->name, err, self->backoff_ms);
    PQfinish (db);
    self->retry_at = s_now_ms () + self->backoff_ms;
    self->backoff_ms = self->backoff_ms < 5000 ? self->backoff_ms * 2 : 5000;
    return NULL;
}

static const sn_method_t *
s_find_method (const s_table_t *table, const char *name, const ProtobufCMethodDescriptor **desc)
{
    *desc = protobuf_c_service_descriptor_get_method_by_name (table->descriptor, name);
    if (!*desc)
        return NULL;
    for (const sn_method_t *m = table->methods; m->name; m++)
        if (streq (m->name, name))
            return m;
    return NULL;
}

//  Packs a Reply for the call's status (and body when OK). Caller owns the frame.
static zframe_t *
s_reply_frame (const uint8_t *request_id, size_t id_len, int code, const char *message,
               const s_violation_t *violations, size_t n_violations,
               const uint8_t *body, size_t body_len)
{
    Snodo__Reply reply = SNODO__REPLY__INIT;
    Snodo__Status status = SNODO__STATUS__INIT;
    Snodo__FieldViolation fv [MAX_VIOLATIONS];
    Snodo__FieldViolation *fvp [MAX_VIOLATIONS];
    reply.request_id.data = (uint8_t *) request_id;
    reply.request_id.len = request_id ? id_len : 0;
    reply.status = &status;
    status.code = (Snodo__Code) code;
    status.message = (char *) (message ? message : "");
    for (size_t i = 0; i < n_violations && i < MAX_VIOLATIONS; i++) {
        snodo__field_violation__init (&fv [i]);
        fv [i].field = (char *) violations [i].field;
        fv [i].description = (char *) violations [i].description;
        fvp [i] = &fv [i];
    }
    status.n_violations = n_violations;
    status.violations = n_violations ? fvp : NULL;
    reply.body.data = (uint8_t *) body;
    reply.body.len = body ? body_len : 0;
    size_t size = snodo__reply__get_packed_size (&reply);
    zframe_t *frame = zframe_new (NULL, size);
    size_t written = snodo__reply__pack (&reply, zframe_data (frame));
    assert (written == size);
    return frame;
}

static zframe_t *
s_call_reply (sn_call_t *call, const uint8_t *body, size_t body_len)
{
    return s_reply_frame (call->request_id, 16, call->code, call->message,
                          call->violations, call->n_violations, body, body_len);
}

//  What one transaction writes to the journal: events, audit entries and
//  idempotency records, as the 13 arrays of the journal statement.
typedef struct {
    sn_array_t types, subjects, bodies;                                  //  outbox
    sn_array_t members, methods, purposes, audited, outcomes, audit_ids; //  audit
    sn_array_t request_ids, callers, called, replies;                    //  idempotency
    bool events;                    //  any event: kick the relay
} s_journal_t;

static void
s_journal_free (s_journal_t *self)
{
    sn_array_t *arrays [] = {&self->types, &self->subjects, &self->bodies, &self->members,
                            &self->methods, &self->purposes, &self->audited, &self->outcomes,
                            &self->audit_ids, &self->request_ids, &self->callers, &self->called,
                            &self->replies};
    for (size_t i = 0; i < sizeof arrays / sizeof arrays [0]; i++)
        sn_array_free (arrays [i]);
    memset (self, 0, sizeof *self);
}

//  A call's audit entries, with its outcome.
static void
s_journal_audits (s_journal_t *self, sn_call_t *call)
{
    for (size_t i = 0; i < call->n_audits; i++) {
        sn_array_text (&self->members, call->member.id);
        sn_array_text (&self->methods, call->full_method);
        sn_array_text (&self->purposes, sn_call_purpose (call));
        sn_array_text (&self->audited, call->audits [i]);
        sn_array_int (&self->outcomes, call->code);
        sn_array_bytea (&self->audit_ids, call->request_id, 16);
    }
}

//  A committed write's events, audit entries and stored reply.
static void
s_journal_write (s_journal_t *self, sn_call_t *call, zframe_t *reply)
{
    for (s_event_t *e = call->events ? (s_event_t *) zlistx_first (call->events) : NULL; e;
         e = (s_event_t *) zlistx_next (call->events)) {
        sn_array_text (&self->types, e->type);
        sn_array_text (&self->subjects, e->subject);
        sn_array_bytea (&self->bodies, e->body, e->size);
        self->events = true;
    }
    s_journal_audits (self, call);
    sn_array_bytea (&self->request_ids, call->request_id, 16);
    sn_array_text (&self->callers, call->member.id);
    sn_array_text (&self->called, call->full_method);
    sn_array_bytea (&self->replies, zframe_data (reply), zframe_size (reply));
}

//  --- the worker's transaction ------------------------------------------------
//
//  A transaction's first statements (BEGIN, its settings, a savepoint) are not
//  sent on their own: they wait in the worker's pending list and leave with
//  the first statement a handler runs, or with the journal, in one pipeline.
//  A write costs two round trips: its statement and the journal with COMMIT.

static void
s_tx_reset (s_worker_t *self)
{
    self->n_pending = 0;
    self->in_tx = false;
    self->savepoint = SP_NONE;
}

static const char s_begin [] = "BEGIN";

static void
s_tx_queue (s_worker_t *self, const char *sql)
{
    assert (self->n_pending < MAX_PENDING);
    self->pending [self->n_pending++] = sql;
}

//  Queues BEGIN and the settings of a transaction that writes: durable
//  before acknowledged, within what is left of the deadline, and generic
//  plans. A write's statements look rows up by key and take arrays whose
//  length the planner cannot use; left to choose, PostgreSQL planned the
//  batched attendance statement again on every call, a fifth of its time.
//  (Three SETs cost less than one SELECT of set_config: no planning.)
static void
s_tx_begin (s_worker_t *self, int64_t remaining_ms)
{
    s_tx_reset (self);
    s_tx_queue (self, s_begin);
    s_tx_queue (self, "SET LOCAL synchronous_commit = on");
    s_tx_queue (self, "SET LOCAL plan_cache_mode = force_generic_plan");
    snprintf (self->timeout_sql, sizeof self->timeout_sql, "SET LOCAL statement_timeout = %lld",
              (long long) (remaining_ms < 1 ? 1 : remaining_ms > 3600000 ? 3600000 : remaining_ms));
    s_tx_queue (self, self->timeout_sql);
    self->in_tx = true;
}

//  Queues a savepoint before the next call of a batch (releasing the last).
static void
s_tx_savepoint (s_worker_t *self)
{
    if (self->savepoint == SP_QUEUED)
        return;
    if (self->savepoint == SP_OPEN)
        s_tx_queue (self, "RELEASE SAVEPOINT sn_call");
    s_tx_queue (self, "SAVEPOINT sn_call");
    self->savepoint = SP_QUEUED;
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
s_tx_pipeline (s_worker_t *self, const s_stmt_t *stmts, int n, PGresult **results)
{
    PGconn *db = self->db;
    bool sent = PQenterPipelineMode (db) != 0;
    for (int i = 0; sent && i < self->n_pending; i++)
        sent = PQsendQueryParams (db, self->pending [i], 0, NULL, NULL, NULL, NULL, 0) != 0;
    for (int i = 0; sent && i < n; i++)
        sent = stmts [i].name
             ? PQsendQueryPrepared (db, stmts [i].name, stmts [i].n, stmts [i].params,
                                    stmts [i].lengths, stmts [i].formats, stmts [i].result_format) != 0
             : PQsendQueryParams (db, stmts [i].sql, 0, NULL, NULL, NULL, NULL, 0) != 0;
    sent = sent && PQpipelineSync (db);
    PGresult *failed = NULL;
    for (int i = 0; sent && i < self->n_pending; i++) {
        PGresult *res = s_pipeline_result (db);
        if (!failed && PQresultStatus (res) != PGRES_COMMAND_OK)
            failed = res;
        else
            PQclear (res);
    }
    for (int i = 0; i < n; i++)
        results [i] = sent ? s_pipeline_result (db) : NULL;
    s_pipeline_drain (db, sent);
    self->n_pending = 0;
    if (self->savepoint == SP_QUEUED)
        self->savepoint = SP_OPEN;
    return failed;
}

PGresult *
sn_call_exec (sn_call_t *call, const char *sql, int n, const char *const *params,
              const int *lengths, const int *formats, int result_format)
{
    s_worker_t *self = call->worker;
    call->ran = true;
    if (self->n_pending == 0)
        return sn_store_query (call->db, self->prepared, sql, n, params, lengths, formats, result_format);
    PGresult *error;
    const char *name = sn_store_prepare (call->db, self->prepared, sql, n, &error);
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

PGconn *
sn_call_db (sn_call_t *call)
{
    //  whoever takes the connection itself runs inside the call's
    //  transaction; if it could not begin, the call fails with that
    if (call->db && call->worker->n_pending) {
        PGresult *failed = s_tx_pipeline (call->worker, NULL, 0, NULL);
        if (failed)
            sn_call_db_error (call, failed, "starting the transaction");
    }
    call->ran = true;
    return call->db;
}

//  Ends the transaction without its work.
static void
s_tx_rollback (s_worker_t *self)
{
    bool begun = self->in_tx && !(self->n_pending && self->pending [0] == s_begin);
    s_tx_reset (self);
    if (begun)
        sn_store_exec (self->db, "ROLLBACK", NULL, 0);
}

//  Undoes a failed call of a batch. Returns 0, or -1 when the batch's
//  transaction cannot go on.
static int
s_tx_undo_call (s_worker_t *self, sn_call_t *call)
{
    if (!call->ran || self->savepoint != SP_OPEN)
        return 0;
    return sn_store_exec (self->db, "ROLLBACK TO SAVEPOINT sn_call", NULL, 0);
}

//  The journal and COMMIT, with whatever is still pending, in one pipeline;
//  then the relay is kicked if events were committed. Without a transaction
//  (reads only) the statement commits by itself, and is not sent at all when
//  it has nothing to write. Returns 0 when committed; 1 when a request_id is stored already (an
//  earlier or concurrent duplicate committed first: its insert fails on the
//  key and COMMIT never runs); -1 on error. On 1 and -1 the transaction is
//  rolled back.
static int
s_tx_commit (s_worker_t *self, s_journal_t *journal, const char *what)
{
    if (!self->in_tx && sn_array_size (&journal->audited) == 0)
        return 0;
    static const char *sql =
        "WITH e AS (INSERT INTO outbox (type, subject, body) "
        "           SELECT * FROM unnest ($1::text [], $2::text [], $3::bytea [])), "
        "a AS (INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "      SELECT * FROM unnest ($4::text [], $5::text [], $6::text [], $7::text [], "
        "                            $8::integer [], $9::bytea [])) "
        "INSERT INTO idempotency (request_id, member_id, method, reply) "
        "SELECT * FROM unnest ($10::bytea [], $11::text [], $12::text [], $13::bytea [])";
    //  without a transaction there are only audit entries (reads, a failed
    //  write's): the outbox and the stored replies are left out, which halves
    //  the statement's cost; its arrays are the journal's 4th to 9th
    static const char *audit_sql =
        "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "SELECT * FROM unnest ($1::text [], $2::text [], $3::text [], $4::text [], "
        "                      $5::integer [], $6::bytea [])";
    bool audits_only = !self->in_tx;
    PGresult *error;
    const char *name = sn_store_prepare (self->db, self->prepared, audits_only ? audit_sql : sql,
                                         audits_only ? 6 : 13, &error);
    if (!name) {
        zsys_error ("%s: could not prepare the journal: %s", what, PQerrorMessage (self->db));
        PQclear (error);
        s_tx_rollback (self);
        return -1;
    }
    const char *params [13] = {
        sn_array_end (&journal->types), sn_array_end (&journal->subjects), sn_array_end (&journal->bodies),
        sn_array_end (&journal->members), sn_array_end (&journal->methods), sn_array_end (&journal->purposes),
        sn_array_end (&journal->audited), sn_array_end (&journal->outcomes), sn_array_end (&journal->audit_ids),
        sn_array_end (&journal->request_ids), sn_array_end (&journal->callers), sn_array_end (&journal->called),
        sn_array_end (&journal->replies)};
    s_stmt_t stmts [2] = {{name, NULL, audits_only ? 6 : 13, audits_only ? params + 3 : params, NULL, NULL, 0},
                          {NULL, "COMMIT", 0, NULL, NULL, NULL, 0}};
    PGresult *results [2] = {NULL, NULL};
    int n = self->in_tx ? 2 : 1;
    PGresult *failed = s_tx_pipeline (self, stmts, n, results);
    int rc = -1;
    const char *constraint = PQresultErrorField (results [0], PG_DIAG_CONSTRAINT_NAME);
    if (!failed && PQresultStatus (results [0]) == PGRES_COMMAND_OK
    &&  (n == 1 || PQresultStatus (results [1]) == PGRES_COMMAND_OK))
        rc = 0;
    else
    if (constraint && streq (constraint, "idempotency_pkey"))
        rc = 1;
    else
        zsys_error ("%s: could not write the journal or commit: %s", what, PQerrorMessage (self->db));
    PQclear (failed);
    PQclear (results [0]);
    PQclear (results [1]);
    if (rc == 0)
        s_tx_reset (self);
    else
        s_tx_rollback (self);
    if (rc == 0 && journal->events)
        zmq_send (zsock_resolve (self->kick), "", 0, ZMQ_DONTWAIT);
    return rc;
}

//  Packs the handler's output. Caller frees *body.
static void
s_pack_output (ProtobufCMessage *output, uint8_t **body, size_t *len)
{
    *len = protobuf_c_message_get_packed_size (output);
    *body = (uint8_t *) malloc (*len ? *len : 1);
    size_t written = protobuf_c_message_pack (output, *body);
    assert (written == *len);
}

//  Runs the handler; leaves the status in call->code and the output, packed
//  into the reply, in *output (for after_commit). Returns the reply.
static zframe_t *
s_call_handler (sn_call_t *call, const sn_method_t *method, ProtobufCMessage *input,
                ProtobufCMessage **output)
{
    *output = NULL;
    call->code = s_handler_code (call, method->handler (call, input, output));
    uint8_t *body = NULL;
    size_t len = 0;
    if (call->code == SNODO__CODE__OK && *output)
        s_pack_output (*output, &body, &len);
    zframe_t *frame = s_call_reply (call, body, len);
    free (body);
    return frame;
}

//  Writes a call's audit entries on their own (a read served alone, a write
//  that failed), with the journal's audit-only statement. Returns 0 or -1.
static int
s_write_audits (sn_call_t *call)
{
    if (call->n_audits == 0 || !call->db)
        return 0;
    s_journal_t journal;
    memset (&journal, 0, sizeof journal);
    s_journal_audits (&journal, call);
    int rc = s_tx_commit (call->worker, &journal, call->full_method);
    s_journal_free (&journal);
    return rc ? -1 : 0;
}

//  No access without its audit entry: a reply whose audit could not be
//  written says so instead.
static zframe_t *
s_unaudited (sn_call_t *call, zframe_t *reply)
{
    zframe_destroy (&reply);
    sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the audit trail could not be written");
    return s_call_reply (call, NULL, 0);
}

//  Runs a read alone: handler, then its audit entries. Returns the reply.
static zframe_t *
s_run_read (sn_call_t *call, const sn_method_t *method, ProtobufCMessage *input)
{
    ProtobufCMessage *output;
    zframe_t *frame = s_call_handler (call, method, input, &output);
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    if (s_write_audits (call) && call->code == SNODO__CODE__OK)
        frame = s_unaudited (call, frame);
    return frame;
}

//  A stored reply for this request_id, as a frame; NULL if none.
static zframe_t *
s_stored_reply (sn_call_t *call, int *rc)
{
    uint8_t *stored = NULL;
    size_t len = 0;
    *rc = sn_journal_stored_reply (call->db, call->worker->prepared, call->request_id, call->member.id,
                                   call->full_method, &stored, &len);
    if (*rc != 1)
        return NULL;
    zframe_t *frame = zframe_new (stored, len);
    free (stored);
    return frame;
}

//  After a write failed: a duplicate that committed meanwhile wins with its
//  stored reply; otherwise the failure is the answer, its audit entries
//  written on their own.
static zframe_t *
s_failed_write (sn_call_t *call, zframe_t *frame)
{
    if (sn_store_is_down (call->db))
        return frame;
    int rc;
    zframe_t *again = s_stored_reply (call, &rc);
    if (again) {
        zframe_destroy (&frame);
        return again;
    }
    if (rc == -2) {
        zframe_destroy (&frame);
        sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT, "request_id was already used for another request");
        frame = s_call_reply (call, NULL, 0);
    }
    s_write_audits (call);          //  denials and failures on personal data too
    return frame;
}

//  After a commit: the service's hook.
static void
s_committed (s_worker_t *self, sn_call_t *call, const ProtobufCMessage *output)
{
    if (self->server->service.after_commit)
        self->server->service.after_commit (self->server->service.state, call->method, output);
}

//  Runs a write alone: one transaction with the idempotency record, the
//  events and the audit entries; the reply is returned only after COMMIT.
//  No look-up of the request_id first: a duplicate of a committed request
//  fails on the idempotency key at commit (or on a key of its own in the
//  handler), its work rolls back, and the stored reply is returned.
static zframe_t *
s_run_write (s_worker_t *self, sn_call_t *call, const sn_method_t *method,
             ProtobufCMessage *input, int64_t remaining_ms)
{
    s_tx_begin (self, remaining_ms);
    ProtobufCMessage *output;
    zframe_t *frame = s_call_handler (call, method, input, &output);
    if (call->code == SNODO__CODE__OK) {
        s_journal_t journal;
        memset (&journal, 0, sizeof journal);
        s_journal_write (&journal, call, frame);
        int rc = s_tx_commit (self, &journal, call->full_method);
        if (rc == 0)
            s_committed (self, call, output);
        else {
            zframe_destroy (&frame);
            if (sn_store_is_down (call->db))
                sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the database is not available");
            else
                sn_call_fail (call, SNODO__CODE__ABORTED, "the change could not be committed");
            frame = s_call_reply (call, NULL, 0);
        }
        s_journal_free (&journal);
    }
    else
        s_tx_rollback (self);
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    if (call->code != SNODO__CODE__OK)
        frame = s_failed_write (call, frame);
    return frame;
}

extern const sn_method_t sn_journal_methods [];

static const char *s_purposes [] = {"", "placement", "monitoring", "care", "reporting",
                                    "administration", NULL};

//  One request as the broker handed it: [client][user_id][received_ms][request].
typedef struct {
    zframe_t *client;
    char *user_id;
    int64_t received_ms;
    zframe_t *frame;
    zframe_t *reply;                //  the answer, once there is one
    //  while it is served
    Snodo__Request *request;
    sn_call_t *call;
    const sn_method_t *method;
    ProtobufCMessage *input;
    ProtobufCMessage *output;
    int64_t deadline;
    bool alone;                     //  to be served again, alone, after the batch
} s_item_t;

//  Refuses a call whose deadline passed before it was served. True if so.
static bool
s_call_late (sn_call_t *call, int64_t deadline)
{
    if (s_now_ms () < deadline)
        return false;
    sn_call_fail (call, SNODO__CODE__DEADLINE_EXCEEDED, "the deadline passed before the request was served");
    return true;
}

//  Reads the request and checks all that needs no database: the envelope,
//  the method, the caller, the purpose, the member kinds, the body. Returns
//  true when the call may run; otherwise item->reply holds the refusal.
static bool
s_call_open (s_worker_t *self, s_item_t *item)
{
    s_server_t *server = self->server;
    Snodo__Request *request = item->request =
        snodo__request__unpack (NULL, zframe_size (item->frame), zframe_data (item->frame));
    if (!request) {
        item->reply = s_reply_frame (NULL, 0, SNODO__CODE__INVALID_ARGUMENT,
                                     "malformed request: not a snodo.Request", NULL, 0, NULL, 0);
        return false;
    }
    sn_call_t *call = item->call = (sn_call_t *) zmalloc (sizeof (sn_call_t));
    call->server = server;
    call->worker = self;
    call->request_id = request->request_id.data;
    call->full_method = request->method;
    call->purpose = request->purpose;
    if (request->request_id.len != 16) {
        item->reply = s_reply_frame (request->request_id.data, request->request_id.len,
                                     SNODO__CODE__INVALID_ARGUMENT, "request_id must be 16 bytes",
                                     NULL, 0, NULL, 0);
        return false;
    }
    item->deadline = item->received_ms + (request->deadline_ms ? request->deadline_ms
                                                               : (uint32_t) server->config.default_deadline_ms);
    const ProtobufCMethodDescriptor *mdesc = NULL;
    const char *dot = strchr (request->method, '.');
    s_table_t table = {NULL, NULL};
    if (dot && (size_t) (dot - request->method) == strlen (server->service.name)
    &&  strncmp (request->method, server->service.name, (size_t) (dot - request->method)) == 0)
        table = (s_table_t) {server->service.descriptor, server->service.methods};
    else
    if (dot && strncmp (request->method, "journal.", 8) == 0)
        table = (s_table_t) {&snodo__journal__descriptor, sn_journal_methods};
    const sn_method_t *method = table.descriptor ? s_find_method (&table, dot + 1, &mdesc) : NULL;
    if (s_call_late (call, item->deadline))
        ;                   //  refused: the status is set
    else
    if (!method)
        sn_call_fail (call, SNODO__CODE__UNIMPLEMENTED, "unknown method \"%.64s\"", request->method);
    else
    if (!sn_auth_lookup (server->config.auth, item->user_id, &call->member) || call->member.revoked) {
        snprintf (call->member.id, sizeof call->member.id, "%s", item->user_id);
        sn_call_fail (call, SNODO__CODE__UNAUTHENTICATED, "the caller is not a member of the network");
    }
    if (call->code != SNODO__CODE__OK) {
        item->reply = s_call_reply (call, NULL, 0);
        return false;
    }
    call->method = method->name;
    call->purpose_code = -1;
    for (int i = 0; s_purposes [i]; i++)
        if (streq (s_purposes [i], call->purpose))
            call->purpose_code = i;
    if (call->purpose_code < 0) {
        sn_call_violation (call, "purpose", "unknown purpose \"%.32s\": one of placement, monitoring, "
                           "care, reporting, administration", call->purpose);
        sn_call_invalid (call);
    }
    else
    if ((method->flags & SN_PERSONAL) && call->purpose_code == 0) {
        sn_call_violation (call, "purpose", "personal data needs a purpose");
        sn_call_invalid (call);
    }
    else
    if (!(method->kinds & (1u << call->member.kind)))
        sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED, "%s is not allowed to members of kind %s",
                      request->method, sn_member_kind_name (call->member.kind));
    else {
        item->input = protobuf_c_message_unpack (mdesc->input, NULL, request->body.len, request->body.data);
        if (!item->input)
            sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT, "body is not a valid %s", mdesc->input->name);
    }
    if (call->code != SNODO__CODE__OK) {
        item->reply = s_call_reply (call, NULL, 0);
        return false;
    }
    item->method = method;
    call->write = (method->flags & SN_WRITE) != 0;
    return true;
}

//  Frees what serving the item took; keeps the request and its reply.
static void
s_call_close (s_item_t *item)
{
    sn_call_t *call = item->call;
    if (call) {
        for (size_t i = 0; i < call->n_audits; i++)
            free (call->audits [i]);
        free (call->audits);
        zlistx_destroy (&call->events);
        free (call);
        item->call = NULL;
    }
    if (item->output)
        protobuf_c_message_free_unpacked (item->output, NULL);
    item->output = NULL;
    if (item->input)
        protobuf_c_message_free_unpacked (item->input, NULL);
    item->input = NULL;
    if (item->request)
        snodo__request__free_unpacked (item->request, NULL);
    item->request = NULL;
}

//  Runs an opened request on its own (its reply in item->reply).
static void
s_serve_opened (s_worker_t *self, s_item_t *item)
{
    sn_call_t *call = item->call;
    call->code = SNODO__CODE__OK;
    if (item->method->flags & SN_NO_DB) {
        //  an idle connection learns of a server gone away by reading (no
        //  statement); then a reconnection when the back-off allows, as for
        //  any request
        for (int i = 0; i < 2 && self->db && !sn_store_is_down (self->db); i++)
            PQconsumeInput (self->db);
        s_worker_db (self);
        item->reply = s_run_read (call, item->method, item->input);
        return;
    }
    call->db = s_worker_db (self);
    if (!call->db) {
        sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the database is not available");
        item->reply = s_call_reply (call, NULL, 0);
        return;
    }
    call->code = SNODO__CODE__OK;
    if (call->write)
        item->reply = s_run_write (self, call, item->method, item->input, item->deadline - s_now_ms ());
    else
        item->reply = s_run_read (call, item->method, item->input);
    if (sn_store_is_down (call->db))
        s_worker_db (self);     //  drop it now: the next request retries at once
}

//  Serves one request on its own from its frame, as if nothing had been done
//  with it before (after a batch that could not commit, too).
static void
s_serve_alone (s_worker_t *self, s_item_t *item)
{
    zframe_destroy (&item->reply);
    s_call_close (item);
    if (s_call_open (self, item))
        s_serve_opened (self, item);
    s_call_close (item);
}

//  Runs the opened calls of a batch in order, in the worker's transaction
//  (when it writes). Guarded, each write runs after a savepoint, and one
//  that fails rolls back to it while the others go on. Unguarded, there are
//  no savepoints (two statements less per call), and the first write that
//  fails after it ran a statement stops the run: returns 1 with its index in
//  *failed, for the batch to run again guarded. Returns -1 when the
//  transaction cannot go on, 0 when every call ran.
static int
s_batch_run (s_worker_t *self, s_item_t *items, size_t n, bool guarded, s_journal_t *journal, size_t *failed)
{
    for (size_t i = 0; i < n; i++) {
        s_item_t *item = &items [i];
        if (item->reply)
            continue;
        sn_call_t *call = item->call;
        call->db = self->db;
        call->code = SNODO__CODE__OK;
        if (s_call_late (call, item->deadline)) {
            item->reply = s_call_reply (call, NULL, 0);
            item->method = NULL;        //  refused before it ran, as at opening
            continue;
        }
        if (call->write && guarded)
            s_tx_savepoint (self);  //  a read that fails at the database breaks the batch instead
        item->reply = s_call_handler (call, item->method, item->input, &item->output);
        if (call->code == SNODO__CODE__OK) {
            if (call->write)
                s_journal_write (journal, call, item->reply);
            else
                s_journal_audits (journal, call);
            continue;
        }
        zlistx_destroy (&call->events);
        if (call->code == SNODO__CODE__ABORTED || call->code == SNODO__CODE__UNAVAILABLE)
            item->alone = true;         //  a deadlock between batches, say: again alone
        if (sn_store_is_down (self->db))
            return -1;
        if (call->write && call->ran && !guarded) {
            *failed = i;
            return 1;
        }
        if ((call->write ? s_tx_undo_call (self, call) : 0) || PQtransactionStatus (self->db) == PQTRANS_INERROR)
            return -1;
        if (!item->alone && !call->write)
            s_journal_audits (journal, call);
    }
    return 0;
}

//  Serves several requests in one transaction, then one journal statement
//  for them all and one COMMIT. Replies leave only after it. The calls run
//  first without savepoints; if one fails after it wrote, the transaction is
//  rolled back and the batch runs again, each call after a savepoint (a
//  failed one rolls back to it, the others go on). If the batch cannot
//  commit (a duplicate request_id, a lost connection...), each request is
//  served again alone, as if it had come alone.
static void
s_serve_batch (s_worker_t *self, s_item_t *items, size_t n)
{
    size_t runnable = 0;
    bool writes = false;
    int64_t last_deadline = 0;
    for (size_t i = 0; i < n; i++)
        if (s_call_open (self, &items [i])) {
            runnable++;
            writes |= items [i].call->write;
            if (items [i].deadline > last_deadline)
                last_deadline = items [i].deadline;
        }
    if (runnable < 2 || !s_worker_db (self)) {
        for (size_t i = 0; i < n; i++)
            if (!items [i].reply)
                s_serve_opened (self, &items [i]);
        for (size_t i = 0; i < n; i++)
            s_call_close (&items [i]);
        return;
    }
    //  Reads alone need no transaction: they run as they come and their audit
    //  entries go in one statement at the end, as a read's alone would (not
    //  waiting for the disk). With writes, all run in one transaction.
    //  (statement_timeout is each statement's: the run again after a failure
    //  keeps the same, or its journal could be cut short by what the first
    //  run took)
    int64_t timeout_ms = last_deadline - s_now_ms ();
    if (writes)
        s_tx_begin (self, timeout_ms);
    s_journal_t journal;
    memset (&journal, 0, sizeof journal);
    size_t failed = 0;
    int run = s_batch_run (self, items, n, false, &journal, &failed);
    if (run == 1) {
        //  The failed call keeps its outcome (and its audit entries, written
        //  as a failed write's); the calls before it are undone and open
        //  again from their frames; those after it have not run yet.
        s_tx_rollback (self);
        s_journal_free (&journal);
        for (size_t i = 0; i < failed; i++) {
            s_item_t *item = &items [i];
            if (!item->method)
                continue;       //  refused before it ran: its reply stands
            zframe_destroy (&item->reply);
            s_call_close (item);
            item->method = NULL;
            item->alone = false;
            s_call_open (self, item);
        }
        s_tx_begin (self, timeout_ms);
        run = s_batch_run (self, items, n, true, &journal, &failed);
    }
    bool broken = run != 0;
    int rc = broken ? -1 : s_tx_commit (self, &journal, "a batch");
    if (broken)
        s_tx_rollback (self);
    for (size_t i = 0; i < n; i++) {
        s_item_t *item = &items [i];
        sn_call_t *call = item->call;
        if (!item->method)
            continue;       //  refused before it ran
        if (rc != 0 || item->alone)
            s_serve_alone (self, item);
        else
        if (call->code == SNODO__CODE__OK && call->write)
            s_committed (self, call, item->output);
        else
        if (call->code != SNODO__CODE__OK && call->write)
            item->reply = s_failed_write (call, item->reply);
    }
    s_journal_free (&journal);
    if (sn_store_is_down (self->db))
        s_worker_db (self);
    for (size_t i = 0; i < n; i++)
        s_call_close (&items [i]);
}

static void
s_worker_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-worker");      //  as top -H and perf show it
    s_worker_t self;
    memset (&self, 0, sizeof self);
    self.server = (s_server_t *) args;
    self.backoff_ms = 100;
    self.prepared = zhashx_new ();
    zhashx_set_destructor (self.prepared, s_free_item);
    zsock_t *dealer = zsock_new_dealer (self.server->backend);
    self.kick = zsock_new_push (self.server->kick);
    zsock_set_sndhwm (self.kick, 10);
    zsock_signal (pipe, 0);
    s_worker_db (&self);
    zstr_send (dealer, "");     //  ready
    zpoller_t *poller = zpoller_new (pipe, dealer, NULL);
    s_item_t items [MAX_BATCH];
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == dealer) {
            //  [client][user_id][received_ms][request] for each request
            zmsg_t *msg = zmsg_recv (dealer);
            if (!msg)
                break;
            size_t n = 0;
            memset (items, 0, sizeof items);
            while (zmsg_size (msg) >= 4 && n < MAX_BATCH) {
                s_item_t *item = &items [n++];
                item->client = zmsg_pop (msg);
                item->user_id = zmsg_popstr (msg);
                zframe_t *received = zmsg_pop (msg);
                if (zframe_size (received) == sizeof item->received_ms)
                    memcpy (&item->received_ms, zframe_data (received), sizeof item->received_ms);
                zframe_destroy (&received);
                item->frame = zmsg_pop (msg);
            }
            zmsg_destroy (&msg);
            if (n == 1)
                s_serve_alone (&self, &items [0]);
            else
                s_serve_batch (&self, items, n);
            zmsg_t *out = zmsg_new ();
            for (size_t i = 0; i < n; i++) {
                zmsg_append (out, &items [i].client);
                if (items [i].reply)
                    zmsg_append (out, &items [i].reply);
                else
                    zmsg_addmem (out, NULL, 0);
                zstr_free (&items [i].user_id);
                zframe_destroy (&items [i].frame);
            }
            if (n == 0)
                zmsg_addstr (out, "");
            zmsg_send (&out, dealer);
        }
        else
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            zstr_free (&command);
            if (term)
                break;
        }
        else
            break;      //  interrupted
    }
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    zsock_destroy (&self.kick);
    zhashx_destroy (&self.prepared);
    PQfinish (self.db);
}


//  --- the relay ------------------------------------------------------------

//  Under load, kicks come with every commit; numbering at most every few ms
//  lets one pass number and publish many events.
#define RELAY_GAP_MS 5

typedef struct {
    s_server_t *server;
    zsock_t *pub;                   //  events out
    PGconn *db;                     //  own connection
    int64_t retry_at;               //  reconnect after
    zhashx_t *prepared;             //  prepared statements of db
} s_relay_t;

static bool
s_relay_db (s_relay_t *self)
{
    if (self->db && !sn_store_is_down (self->db))
        return true;
    PQfinish (self->db);
    self->db = NULL;
    zhashx_purge (self->prepared);
    if (s_now_ms () < self->retry_at)
        return false;
    char err [512];
    const sn_service_t *service = &self->server->service;
    self->db = sn_store_connect (self->server->conninfo, service->name, err, sizeof err);
    if (self->db && sn_store_migrate (self->db, service->name, service->migrations, err, sizeof err)) {
        PQfinish (self->db);
        self->db = NULL;
    }
    if (!self->db) {
        self->retry_at = s_now_ms () + 1000;
        return false;
    }
    //  Its statements look up by seq and id with the same plan every time;
    //  under "auto" the publishing read was planned again on every pass.
    PQclear (PQexec (self->db, "SET plan_cache_mode = force_generic_plan"));
    return true;
}

static void
s_relay_publish (s_relay_t *self, uint64_t from, uint64_t to)
{
    while (from <= to) {
        Snodo__ReplayReply batch = SNODO__REPLAY_REPLY__INIT;
        char err [256];
        uint32_t max = to - from + 1 > 1000 ? 1000 : (uint32_t) (to - from + 1);
        if (sn_journal_replay (self->db, self->prepared, self->server->service.name, from, max, &batch,
                               err, sizeof err))
            return;     //  subscribers catch up through Replay
        if (batch.n_events == 0)
            return;
        for (size_t i = 0; i < batch.n_events; i++) {
            Snodo__Event *ev = batch.events [i];
            size_t size = snodo__event__get_packed_size (ev);
            zmsg_t *msg = zmsg_new ();
            zmsg_addstr (msg, ev->type);
            zframe_t *frame = zframe_new (NULL, size);
            snodo__event__pack (ev, zframe_data (frame));
            zmsg_append (msg, &frame);
            zmsg_send (&msg, self->pub);
            atomic_store (&self->server->published, ev->seq);     //  for Health
            from = ev->seq + 1;
        }
        sn_journal_replay_free (&batch);
    }
}

static void
s_relay_heartbeat (s_relay_t *self)
{
    int64_t last = sn_journal_last_seq (self->db);
    if (last < 0)
        return;
    if ((uint64_t) last > atomic_load (&self->server->published))
        atomic_store (&self->server->published, (uint64_t) last);     //  numbered before this start
    Snodo__Heartbeat hb = SNODO__HEARTBEAT__INIT;
    hb.source = (char *) self->server->service.name;
    hb.last_seq = (uint64_t) last;
    size_t size = snodo__heartbeat__get_packed_size (&hb);
    zmsg_t *msg = zmsg_new ();
    zmsg_addstr (msg, "$heartbeat");
    zframe_t *frame = zframe_new (NULL, size);
    snodo__heartbeat__pack (&hb, zframe_data (frame));
    zmsg_append (msg, &frame);
    zmsg_send (&msg, self->pub);
}

static void
s_relay_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-relay");
    s_relay_t self = {(s_server_t *) args, NULL, NULL, 0, zhashx_new ()};
    zhashx_set_destructor (self.prepared, s_free_item);
    s_server_t *server = self.server;
    zsock_t *kick = zsock_new_pull (server->kick);
    self.pub = zsock_new (ZMQ_PUB);
    zsock_set_sndhwm (self.pub, server->config.hwm * 10);
    zsock_set_zap_domain (self.pub, SN_ZAP_DOMAIN_EVENTS);
    zcert_apply (server->config.cert, self.pub);
    zsock_set_curve_server (self.pub, 1);
    if (!kick || zsock_bind (self.pub, "%s", server->events_endpoint) < 0) {
        zsys_error ("%s: could not bind events to %s", server->service.name, server->events_endpoint);
        zsock_signal (pipe, 0);
        zstr_send (pipe, "ERROR");
        zsock_destroy (&kick);
        zsock_destroy (&self.pub);
        zhashx_destroy (&self.prepared);
        return;
    }
    zsock_signal (pipe, 0);
    zstr_send (pipe, "OK");
    zpoller_t *poller = zpoller_new (pipe, kick, NULL);
    int interval = server->config.relay_interval_ms;
    int64_t next_tick = s_now_ms ();
    int64_t next_cleanup = s_now_ms () + 60000;
    int64_t next_number = 0;        //  numbering passes are at least RELAY_GAP_MS apart
    bool pending = false;           //  a kick came: committed events wait
    while (true) {
        int64_t wake = pending && next_number < next_tick ? next_number : next_tick;
        int64_t wait = wake - s_now_ms ();
        void *which = zpoller_wait (poller, wait > 0 ? (int) wait : 0);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "ENDPOINT"))
                zstr_send (pipe, zsock_endpoint (self.pub));
            zstr_free (&command);
            if (term)
                break;
            continue;
        }
        if (which == kick) {
            //  drain every kick that came meanwhile: one numbering serves them all
            zframe_t *frame;
            while ((frame = zframe_recv_nowait (kick)))
                zframe_destroy (&frame);
            pending = true;
        }
        else
        if (zpoller_terminated (poller))
            break;
        int64_t now = s_now_ms ();
        bool tick = now >= next_tick;
        if (!(pending && now >= next_number) && !tick)
            continue;
        if (!s_relay_db (&self))
            continue;
        uint64_t first, last;
        char err [512];
        if (sn_journal_number (self.db, self.prepared, server->service.name, &first, &last, err, sizeof err) == 0) {
            if (first <= last)
                s_relay_publish (&self, first, last);
        }
        else
            zsys_warning ("%s: relay: %s", server->service.name, err);
        pending = false;
        next_number = s_now_ms () + RELAY_GAP_MS;
        if (tick) {
            s_relay_heartbeat (&self);
            //  a backlog (a burst of more than a batch a tick) is worked
            //  off at up to four batches a tick
            int sealed = sn_journal_seal_backlog (self.db, server->service.name, server->config.audit_key,
                                                  server->config.audit_key_len, 4, err, sizeof err);
            if (sealed < 0)
                zsys_warning ("%s: audit: %s", server->service.name, err);
            next_tick = s_now_ms () + interval;
        }
        if (s_now_ms () >= next_cleanup) {
            if (sn_journal_forget (self.db, server->config.idempotency_days) < 0)
                zsys_warning ("%s: relay: could not forget old replies: %s", server->service.name,
                              PQerrorMessage (self.db));
            next_cleanup = s_now_ms () + 3600 * 1000;
        }
    }
    zpoller_destroy (&poller);
    zsock_destroy (&kick);
    zsock_destroy (&self.pub);
    zhashx_destroy (&self.prepared);
    PQfinish (self.db);
}

//  --- the broker ------------------------------------------------------------

//  Answers a request the broker refuses itself (too big, many frames).
static void
s_broker_refuse (zsock_t *frontend, zframe_t **client, zframe_t *frame, int code, const char *why)
{
    Snodo__Request *request = frame && zframe_size (frame) < 64 * 1024 * 1024
        ? snodo__request__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
    zframe_t *reply = s_reply_frame (request ? request->request_id.data : NULL,
                                     request ? request->request_id.len : 0, code, why, NULL, 0, NULL, 0);
    if (request)
        snodo__request__free_unpacked (request, NULL);
    zmsg_t *out = zmsg_new ();
    zmsg_append (out, client);
    zmsg_append (out, &reply);
    zmsg_send (&out, frontend);
}

typedef struct {
    s_server_t *server;
    zsock_t *pipe;
    zsock_t *frontend;
    zsock_t *backend;
    zlist_t *ready;                 //  worker identities (zframe_t *), least recently used first
    zactor_t **workers;
    zactor_t *relay;
} s_broker_t;

//  Takes the requests waiting and shares them among the free workers, the
//  least recently used first, at most the batch size each: [worker] then
//  [client][user_id][received_ms][request] for each request. A worker serves
//  several in one transaction; a request that came alone goes alone.
static void
s_broker_from_client (s_broker_t *self)
{
    size_t free_workers = zlist_size (self->ready);
    size_t most = free_workers * (size_t) self->server->config.batch;
    zmsg_t **taken = (zmsg_t **) calloc (most, sizeof (zmsg_t *));
    size_t n = 0;
    while (n < most) {
        if (n > 0 && !(zsock_events (self->frontend) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (self->frontend);
        if (!msg)
            break;
        zframe_t *client = zmsg_pop (msg);
        zframe_t *frame = zmsg_pop (msg);
        char why [128];
        if (!frame || zmsg_size (msg) > 0)
            s_broker_refuse (self->frontend, &client, frame, SNODO__CODE__INVALID_ARGUMENT,
                             "a request is exactly one frame holding a snodo.Request");
        else
        if (zframe_size (frame) > self->server->config.max_message) {
            snprintf (why, sizeof why, "request of %zu bytes exceeds the limit of %zu bytes",
                      zframe_size (frame), self->server->config.max_message);
            s_broker_refuse (self->frontend, &client, frame, SNODO__CODE__RESOURCE_EXHAUSTED, why);
        }
        else {
            const char *user_id = zframe_meta (frame, "User-Id");
            int64_t now = s_now_ms ();
            zmsg_t *item = taken [n++] = zmsg_new ();
            zmsg_append (item, &client);
            zmsg_addstr (item, user_id ? user_id : "");
            zmsg_addmem (item, &now, sizeof now);
            zmsg_append (item, &frame);
        }
        zframe_destroy (&client);
        zframe_destroy (&frame);
        zmsg_destroy (&msg);
    }
    //  as evenly as they go: 5 requests for 2 free workers make 3 and 2
    size_t given = 0;
    for (size_t w = 0; given < n; w++) {
        size_t share = (n - given + (free_workers - w) - 1) / (free_workers - w);
        zframe_t *worker = (zframe_t *) zlist_pop (self->ready);
        assert (worker);
        zmsg_t *out = zmsg_new ();
        zmsg_append (out, &worker);
        for (size_t i = 0; i < share; i++, given++) {
            zframe_t *part;
            while ((part = zmsg_pop (taken [given])))
                zmsg_append (out, &part);
            zmsg_destroy (&taken [given]);
        }
        zmsg_send (&out, self->backend);
    }
    free (taken);
}

//  A worker's answers, [worker] then [client][reply] each; the worker is
//  free again.
static void
s_broker_from_worker (s_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->backend);
    if (!msg)
        return;
    zframe_t *worker = zmsg_pop (msg);
    zlist_append (self->ready, worker);
    while (zmsg_size (msg) >= 2) {
        zmsg_t *out = zmsg_new ();
        zframe_t *client = zmsg_pop (msg);
        zframe_t *reply = zmsg_pop (msg);
        zmsg_append (out, &client);
        zmsg_append (out, &reply);
        zmsg_send (&out, self->frontend);
    }
    zmsg_destroy (&msg);
}

static void
s_broker_stop (s_broker_t *self)
{
    for (int i = 0; self->workers && i < self->server->config.workers; i++)
        zactor_destroy (&self->workers [i]);
    free (self->workers);
    zactor_destroy (&self->relay);
    zframe_t *frame;
    while (self->ready && (frame = (zframe_t *) zlist_pop (self->ready)))
        zframe_destroy (&frame);
    zlist_destroy (&self->ready);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->backend);
}

static void
s_server_free (s_server_t *server)
{
    free (server->request_endpoint);
    free (server->events_endpoint);
    free (server->conninfo);
    free (server);
}

static void
s_server_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-broker");
    s_broker_t self = {(s_server_t *) args, pipe, NULL, NULL, zlist_new (), NULL, NULL};
    s_server_t *server = self.server;
    self.frontend = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvhwm (self.frontend, server->config.hwm);
    zsock_set_sndhwm (self.frontend, server->config.hwm);
    zsock_set_maxmsgsize (self.frontend, (int) (server->config.max_message * 4 + 4096));
    zsock_set_zap_domain (self.frontend, SN_ZAP_DOMAIN);
    zcert_apply (server->config.cert, self.frontend);
    zsock_set_curve_server (self.frontend, 1);
    self.backend = zsock_new (ZMQ_ROUTER);
    if (zsock_bind (self.frontend, "%s", server->request_endpoint) < 0
    ||  zsock_bind (self.backend, "%s", server->backend) < 0) {
        zsys_error ("%s: could not bind %s: %s", server->service.name, server->request_endpoint,
                    zmq_strerror (zmq_errno ()));
        zsock_signal (pipe, 0);
        zstr_send (pipe, "ERROR");
        s_broker_stop (&self);
        s_server_free (server);
        return;
    }
    self.relay = zactor_new (s_relay_actor, server);
    char *relay_status = zstr_recv (self.relay);
    bool relay_ok = relay_status && streq (relay_status, "OK");
    zstr_free (&relay_status);
    if (!relay_ok) {
        zsock_signal (pipe, 0);
        zstr_send (pipe, "ERROR");
        s_broker_stop (&self);
        s_server_free (server);
        return;
    }
    self.workers = (zactor_t **) calloc ((size_t) server->config.workers, sizeof (zactor_t *));
    for (int i = 0; i < server->config.workers; i++)
        self.workers [i] = zactor_new (s_worker_actor, server);
    zsock_signal (pipe, 0);
    zstr_send (pipe, "OK");
    zsys_info ("%s: serving on %s, events on %s, %d workers", server->service.name,
               zsock_endpoint (self.frontend), server->events_endpoint, server->config.workers);

    zmq_pollitem_t items [] = {
        {zsock_resolve (pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self.backend), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self.frontend), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        //  poll the frontend only while a worker is free: the rest waits in
        //  the socket's queue, bounded by the high-water mark
        int n = zlist_size (self.ready) > 0 ? 3 : 2;
        if (zmq_poll (items, n, -1) < 0)
            break;
        if (items [0].revents & ZMQ_POLLIN) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "ENDPOINTS")) {
                zstr_sendm (pipe, zsock_endpoint (self.frontend));
                zstr_sendx (self.relay, "ENDPOINT", NULL);
                char *events = zstr_recv (self.relay);
                zstr_send (pipe, events ? events : "");
                zstr_free (&events);
            }
            zstr_free (&command);
            if (term)
                break;
        }
        if (items [1].revents & ZMQ_POLLIN)
            s_broker_from_worker (&self);
        if (n == 3 && (items [2].revents & ZMQ_POLLIN))
            s_broker_from_client (&self);
    }
    zsys_info ("%s: stopping", server->service.name);
    s_broker_stop (&self);
    s_server_free (server);
}

sn_method_t *
sn_methods_join (const sn_method_t *const *tables)
{
    size_t total = 0;
    for (size_t t = 0; tables [t]; t++)
        for (size_t i = 0; tables [t][i].name; i++)
            total++;
    sn_method_t *methods = (sn_method_t *) calloc (total + 1, sizeof (sn_method_t));
    size_t at = 0;
    for (size_t t = 0; tables [t]; t++)
        for (size_t i = 0; tables [t][i].name; i++)
            methods [at++] = tables [t][i];
    return methods;
}

int
sn_methods_check (const ProtobufCServiceDescriptor *descriptor, const sn_method_t *methods,
                  char *err, size_t errlen)
{
    for (unsigned i = 0; i < descriptor->n_methods; i++) {
        const char *rpc = descriptor->methods [i].name;
        size_t rows = 0;
        for (const sn_method_t *m = methods; m->name; m++)
            rows += streq (m->name, rpc);
        if (rows != 1) {
            snprintf (err, errlen, "rpc %s.%s %s", descriptor->name, rpc,
                      rows ? "has more than one handler" : "has no handler");
            return -1;
        }
    }
    for (const sn_method_t *m = methods; m->name; m++) {
        if (!protobuf_c_service_descriptor_get_method_by_name (descriptor, m->name)) {
            snprintf (err, errlen, "handler of %s: %s has no rpc %s", m->name, descriptor->name, m->name);
            return -1;
        }
        if (!m->handler) {
            snprintf (err, errlen, "rpc %s.%s has no handler", descriptor->name, m->name);
            return -1;
        }
    }
    return 0;
}

int
sn_server_default_workers (void)
{
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    return cores < 2 ? 2 : cores > 16 ? 16 : (int) cores;
}

zactor_t *
sn_server_new (const sn_server_config_t *config, const sn_service_t *service)
{
    assert (config && service && config->cert && config->auth);
    char err [256];
    if (sn_methods_check (service->descriptor, service->methods, err, sizeof err)
    ||  sn_methods_check (&snodo__journal__descriptor, sn_journal_methods, err, sizeof err)) {
        zsys_error ("%s: %s: not starting", service->name, err);
        return NULL;
    }
    s_server_t *server = (s_server_t *) zmalloc (sizeof (s_server_t));
    server->config = *config;
    server->service = *service;
    server->request_endpoint = strdup (config->request_endpoint);
    server->events_endpoint = strdup (config->events_endpoint);
    server->conninfo = strdup (config->conninfo);
    server->started_at = zclock_time ();
    if (server->config.workers <= 0)
        server->config.workers = sn_server_default_workers ();
    if (server->config.max_message == 0)
        server->config.max_message = 1024 * 1024;
    if (server->config.hwm <= 0)
        server->config.hwm = 1000;
    if (server->config.default_deadline_ms <= 0)
        server->config.default_deadline_ms = 10000;
    if (server->config.relay_interval_ms <= 0)
        server->config.relay_interval_ms = 1000;
    if (server->config.idempotency_days <= 0)
        server->config.idempotency_days = 7;
    if (server->config.batch <= 0)
        server->config.batch = 16;
    if (server->config.batch > MAX_BATCH)
        server->config.batch = MAX_BATCH;
    //  Unique per server ever started in this process: a restarted server may
    //  get the same address while the old one's sockets are still being
    //  closed, and an inproc name is taken until then.
    static atomic_uint s_servers;
    unsigned serial = atomic_fetch_add (&s_servers, 1);
    snprintf (server->backend, sizeof server->backend, "inproc://sn-workers-%u", serial);
    snprintf (server->kick, sizeof server->kick, "inproc://sn-kick-%u", serial);
    zactor_t *actor = zactor_new (s_server_actor, server);
    char *status = zstr_recv (actor);
    bool ok = status && streq (status, "OK");
    zstr_free (&status);
    if (!ok)
        zactor_destroy (&actor);
    return actor;
}

int
sn_server_endpoints (zactor_t *server, char **request, char **events)
{
    zstr_send (server, "ENDPOINTS");
    return zstr_recvx (server, request, events, NULL) == 2 ? 0 : -1;
}

//  --- journal methods: every service answers them ---------------------------

static int
s_replay (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__ReplayRequest *req = (const Snodo__ReplayRequest *) input;
    uint32_t max = req->max == 0 || req->max > 1000 ? 1000 : req->max;
    Snodo__ReplayReply *reply = (Snodo__ReplayReply *) sn_message_new (&snodo__replay_reply__descriptor);
    char err [256];
    if (sn_journal_replay (call->db, call->worker->prepared, call->server->service.name, req->from_seq, max, reply,
                           err, sizeof err)) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return sn_call_db_error (call, NULL, "reading the outbox");
    }
    *output = &reply->base;     //  malloc'ed throughout: free_unpacked frees it
    return SNODO__CODE__OK;
}

static int
s_verify_audit (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__VerifyAuditReply *reply =
        (Snodo__VerifyAuditReply *) sn_message_new (&snodo__verify_audit_reply__descriptor);
    char err [256];
    if (sn_journal_verify (call->db, call->server->config.audit_key, call->server->config.audit_key_len,
                           reply, err, sizeof err)) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return sn_call_db_error (call, NULL, "reading the audit trail");
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

static int
s_list_audit (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__ListAuditRequest *req = (const Snodo__ListAuditRequest *) input;
    char after [32], limit [16];
    snprintf (after, sizeof after, "%llu", (unsigned long long) req->after_id);
    snprintf (limit, sizeof limit, "%u", req->limit == 0 || req->limit > 1000 ? 100 : req->limit);
    const char *params [4] = {req->subject, req->member_id, after, limit};
    PGresult *res = PQexecParams (call->db,
        "SELECT id, (extract (epoch FROM at) * 1000)::bigint, member_id, method, purpose, "
        "       subject, outcome, request_id, coalesce (batch, 0) FROM audit "
        "WHERE ($1 = '' OR subject = $1) AND ($2 = '' OR member_id = $2) AND id > $3 "
        "ORDER BY id LIMIT $4",
        4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        return sn_call_db_error (call, res, "reading the audit trail");
    Snodo__ListAuditReply *reply =
        (Snodo__ListAuditReply *) sn_message_new (&snodo__list_audit_reply__descriptor);
    int rows = PQntuples (res);
    reply->entries = rows ? (Snodo__AuditEntry **) calloc ((size_t) rows, sizeof (void *)) : NULL;
    for (int i = 0; i < rows; i++) {
        Snodo__AuditEntry *e = (Snodo__AuditEntry *) sn_message_new (&snodo__audit_entry__descriptor);
        e->id = strtoull (PQgetvalue (res, i, 0), NULL, 10);
        e->at = strtoll (PQgetvalue (res, i, 1), NULL, 10);
        e->member_id = strdup (PQgetvalue (res, i, 2));
        e->method = strdup (PQgetvalue (res, i, 3));
        e->purpose = strdup (PQgetvalue (res, i, 4));
        e->subject = strdup (PQgetvalue (res, i, 5));
        e->outcome = (Snodo__Code) atoi (PQgetvalue (res, i, 6));
        size_t len = 0;
        unsigned char *rid = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, i, 7), &len);
        e->request_id.data = (uint8_t *) malloc (len ? len : 1);
        if (rid)
            memcpy (e->request_id.data, rid, len);
        e->request_id.len = rid ? len : 0;
        PQfreemem (rid);
        e->batch = strtoull (PQgetvalue (res, i, 8), NULL, 10);
        reply->entries [reply->n_entries++] = e;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Health: what the runtime knows, without a statement, so that it answers
//  while the database is down (and says so).
static int
s_health (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    (void) input;
    s_worker_t *worker = call->worker;
    Snodo__HealthReply *reply = (Snodo__HealthReply *) sn_message_new (&snodo__health_reply__descriptor);
    reply->service = strdup (call->server->service.name);
    reply->database = worker->db && !sn_store_is_down (worker->db);
    reply->workers = (uint32_t) call->server->config.workers;
    reply->started_at = call->server->started_at;
    reply->published_seq = atomic_load (&call->server->published);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t sn_journal_methods [] = {
    SN_METHOD (Replay, s_replay, SN_KIND (SERVICE) | SN_KIND (ADMIN) | SN_KIND (BRIDGE), 0),
    SN_METHOD (Health, s_health, SN_ANY_KIND, SN_NO_DB),
    SN_METHOD (ListAudit, s_list_audit, SN_KIND (ADMIN), 0),
    SN_METHOD (VerifyAudit, s_verify_audit, SN_KIND (ADMIN), 0),
    SN_METHODS_END
};
