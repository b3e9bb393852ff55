/*  sn_server: broker, workers, relay. See sn_server.h. */
#include "sn_server.h"
#include "sn_journal.h"
#include "sn_check.h"
#include <stdarg.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

//  --- shared state ---------------------------------------------------------

typedef struct {
    sn_server_config_t config;      //  copied; strings below own the copies
    char *request_endpoint;         //  copy
    char *events_endpoint;          //  copy
    char *conninfo;                 //  copy
    sn_service_t service;           //  copied
    char backend [64];              //  inproc endpoint of the workers
    char kick [64];                 //  inproc endpoint of the relay's kick socket
} s_server_t;

typedef struct {
    char field [96];                //  path of the bad field
    char description [160];         //  why
} s_violation_t;

#define MAX_VIOLATIONS 32

typedef struct {
    s_server_t *server;             //  shared, read only
    PGconn *db;                     //  own connection, NULL while down
    int64_t retry_at;               //  when to try connecting again
    int backoff_ms;                 //  grows while the database is down
    zsock_t *kick;                  //  PUSH to the relay
    zhashx_t *prepared;             //  SQL text -> name of its prepared statement on db
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

PGconn *sn_call_db (sn_call_t *call) { return call->db; }
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

PGresult *
sn_call_exec (sn_call_t *call, const char *sql, int n, const char *const *params,
              const int *lengths, const int *formats, int result_format)
{
    return sn_store_query (call->db, call->worker->prepared, sql, n, params, lengths, formats, result_format);
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

//  The call's events as three array literals: types, subjects, bodies (hex bytea).
static void
s_event_arrays (sn_call_t *call, char **types, char **subjects, char **bodies)
{
    size_t n = call->events ? zlistx_size (call->events) : 0;
    char **t = (char **) calloc (n + 1, sizeof (char *));
    char **s = (char **) calloc (n + 1, sizeof (char *));
    size_t cap = 4, i = 0;
    for (s_event_t *e = n ? (s_event_t *) zlistx_first (call->events) : NULL; e;
         e = (s_event_t *) zlistx_next (call->events), i++) {
        t [i] = e->type;
        s [i] = e->subject;
        cap += e->size * 2 + 8;
    }
    *types = sn_text_array (t, n);
    *subjects = sn_text_array (s, n);
    char *b = *bodies = (char *) malloc (cap);
    static const char hex [] = "0123456789abcdef";
    *b++ = '{';
    i = 0;
    for (s_event_t *e = n ? (s_event_t *) zlistx_first (call->events) : NULL; e;
         e = (s_event_t *) zlistx_next (call->events), i++) {
        if (i)
            *b++ = ',';
        memcpy (b, "\"\\\\x", 4);
        b += 4;
        for (size_t k = 0; k < e->size; k++) {
            *b++ = hex [e->body [k] >> 4];
            *b++ = hex [e->body [k] & 15];
        }
        *b++ = '"';
    }
    *b++ = '}';
    *b = 0;
    free (t);
    free (s);
}

//  Writes the audit entries of a call alone (a read, or after a rollback).
//  Returns 0 or -1.
static int
s_write_audits (sn_call_t *call)
{
    if (call->n_audits == 0 || !call->db)
        return 0;
    char *array = sn_text_array (call->audits, call->n_audits);
    char outcome [8];
    snprintf (outcome, sizeof outcome, "%d", call->code);
    const char *params [6] = {call->member.id, call->full_method, sn_call_purpose (call),
                              array, outcome, (const char *) call->request_id};
    int lengths [6] = {0, 0, 0, 0, 0, 16};
    int formats [6] = {0, 0, 0, 0, 0, 1};
    PGresult *res = sn_call_exec (call,
        "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "SELECT $1, $2, $3, s, $5, $6 FROM unnest ($4::text []) AS s",
        6, params, lengths, formats, 0);
    free (array);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        zsys_error ("%s: could not write the audit entry: %s", call->full_method,
                    PQerrorMessage (call->db));
    PQclear (res);
    return rc;
}

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

//  At commit: the outbox events, the audit entries and the idempotency record
//  in one statement, and COMMIT, sent together (one round trip, libpq
//  pipeline mode). Returns 0 when committed; 1 when the request_id is stored
//  already (a concurrent or earlier duplicate committed first: its insert
//  fails on the key, so COMMIT never runs); -1 on error. On 1 and -1 the
//  transaction is left aborted for the caller to roll back.
static int
s_write_journal_commit (sn_call_t *call, zframe_t *reply)
{
    static const char *sql =
        "WITH e AS (INSERT INTO outbox (type, subject, body) "
        "           SELECT * FROM unnest ($6::text [], $7::text [], $8::bytea [])), "
        "a AS (INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
        "      SELECT $1, $2, $3, s, 0, $4 FROM unnest ($9::text []) AS s) "
        "INSERT INTO idempotency (request_id, member_id, method, reply) VALUES ($4, $1, $2, $5)";
    PGresult *error;
    const char *name = sn_store_prepare (call->db, call->worker->prepared, sql, 9, &error);
    if (!name) {
        zsys_error ("%s: could not prepare the journal: %s", call->full_method, PQerrorMessage (call->db));
        PQclear (error);
        return -1;
    }
    char *types, *subjects, *bodies;
    s_event_arrays (call, &types, &subjects, &bodies);
    char *audits = sn_text_array (call->audits, call->n_audits);
    const char *params [9] = {call->member.id, call->full_method, sn_call_purpose (call),
                              (const char *) call->request_id, (const char *) zframe_data (reply),
                              types, subjects, bodies, audits};
    int lengths [9] = {0, 0, 0, 16, (int) zframe_size (reply), 0, 0, 0, 0};
    int formats [9] = {0, 0, 0, 1, 1, 0, 0, 0, 0};
    bool sent = PQenterPipelineMode (call->db)
             && PQsendQueryPrepared (call->db, name, 9, params, lengths, formats, 0)
             && PQsendQueryParams (call->db, "COMMIT", 0, NULL, NULL, NULL, NULL, 0)
             && PQpipelineSync (call->db);
    free (types);
    free (subjects);
    free (bodies);
    free (audits);
    int rc = -1;
    if (sent) {
        PGresult *journal = s_pipeline_result (call->db);
        PGresult *commit = s_pipeline_result (call->db);
        const char *constraint = PQresultErrorField (journal, PG_DIAG_CONSTRAINT_NAME);
        if (PQresultStatus (journal) == PGRES_COMMAND_OK && PQresultStatus (commit) == PGRES_COMMAND_OK)
            rc = 0;
        else
        if (constraint && streq (constraint, "idempotency_pkey"))
            rc = 1;
        else
            zsys_error ("%s: could not write the journal or commit: %s", call->full_method,
                        PQerrorMessage (call->db));
        PQclear (journal);
        PQclear (commit);
    }
    else
        zsys_error ("%s: could not send the journal: %s", call->full_method, PQerrorMessage (call->db));
    s_pipeline_drain (call->db, sent);
    return rc;
}

static int
s_exec_simple (PGconn *db, const char *sql)
{
    PGresult *res = PQexec (db, sql);
    ExecStatusType st = PQresultStatus (res);
    PQclear (res);
    return st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
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

//  Runs a read: handler, then its audit entries. Returns the reply.
static zframe_t *
s_run_read (sn_call_t *call, const sn_method_t *method, const ProtobufCMessage *input)
{
    ProtobufCMessage *output = NULL;
    int code = s_handler_code (call, method->handler (call, input, &output));
    call->code = code;
    uint8_t *body = NULL;
    size_t len = 0;
    if (code == SNODO__CODE__OK && output)
        s_pack_output (output, &body, &len);
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    if (s_write_audits (call) && call->code == SNODO__CODE__OK) {
        //  no access without its audit entry
        free (body);
        body = NULL;
        len = 0;
        sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the audit trail could not be written");
    }
    zframe_t *frame = s_call_reply (call, body, len);
    free (body);
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

//  Runs a write: one transaction with the idempotency record, the events and
//  the audit entries; the reply is returned only after COMMIT.
static zframe_t *
s_run_write (s_worker_t *self, sn_call_t *call, const sn_method_t *method,
             const ProtobufCMessage *input, int64_t remaining_ms)
{
    char begin [160];
    snprintf (begin, sizeof begin,
              "BEGIN; SET LOCAL synchronous_commit = on; SET LOCAL statement_timeout = %lld",
              (long long) (remaining_ms < 1 ? 1 : remaining_ms > 3600000 ? 3600000 : remaining_ms));
    PGresult *res = PQexec (call->db, begin);
    if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        sn_call_db_error (call, res, "starting the transaction");
        return s_call_reply (call, NULL, 0);
    }
    PQclear (res);
    //  No look-up of the request_id first: a duplicate of a committed request
    //  fails on the idempotency key at commit (or on a key of its own in the
    //  handler), its work rolls back, and the stored reply is returned below.
    int rc = 0;
    ProtobufCMessage *output = NULL;
    call->code = s_handler_code (call, method->handler (call, input, &output));
    uint8_t *body = NULL;
    size_t len = 0;
    if (call->code == SNODO__CODE__OK && output)
        s_pack_output (output, &body, &len);
    zframe_t *frame = s_call_reply (call, body, len);
    free (body);
    if (call->code == SNODO__CODE__OK) {
        rc = s_write_journal_commit (call, frame);
        if (rc != 0) {
            zframe_destroy (&frame);
            s_exec_simple (call->db, "ROLLBACK");
            if (sn_store_is_down (call->db))
                sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the database is not available");
            else
                sn_call_fail (call, SNODO__CODE__ABORTED, "the change could not be committed");
        }
        else {
            if (self->server->service.after_commit)
                self->server->service.after_commit (self->server->service.state, call->method, output);
            if (call->events && zlistx_size (call->events))
                zmq_send (zsock_resolve (self->kick), "", 0, ZMQ_DONTWAIT);
        }
    }
    else
        s_exec_simple (call->db, "ROLLBACK");
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    if (call->code != SNODO__CODE__OK) {
        //  A concurrent duplicate may have committed meanwhile: its reply wins.
        if (!sn_store_is_down (call->db)) {
            zframe_t *again = s_stored_reply (call, &rc);
            if (again) {
                zframe_destroy (&frame);
                return again;
            }
            if (rc == -2) {
                zframe_destroy (&frame);
                sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT,
                              "request_id was already used for another request");
            }
            //  denials and failures on personal data are audited on their own
            s_write_audits (call);
        }
        if (!frame)
            frame = s_call_reply (call, NULL, 0);
    }
    return frame;
}

extern const sn_method_t sn_journal_methods [];

static const char *s_purposes [] = {"", "placement", "monitoring", "care", "reporting",
                                    "administration", NULL};

//  Handles one request: [user_id][received_ms][request]. Returns the reply frame.
static zframe_t *
s_worker_handle (s_worker_t *self, const char *user_id, int64_t received_ms, zframe_t *frame)
{
    s_server_t *server = self->server;
    Snodo__Request *request = snodo__request__unpack (NULL, zframe_size (frame), zframe_data (frame));
    if (!request)
        return s_reply_frame (NULL, 0, SNODO__CODE__INVALID_ARGUMENT,
                              "malformed request: not a snodo.Request", NULL, 0, NULL, 0);
    sn_call_t call;
    memset (&call, 0, sizeof call);
    call.server = server;
    call.worker = self;
    call.request_id = request->request_id.data;
    call.full_method = request->method;
    call.purpose = request->purpose;
    zframe_t *reply = NULL;
    const sn_method_t *method = NULL;
    const ProtobufCMethodDescriptor *mdesc = NULL;
    ProtobufCMessage *input = NULL;

    if (request->request_id.len != 16) {
        reply = s_reply_frame (request->request_id.data, request->request_id.len,
                               SNODO__CODE__INVALID_ARGUMENT, "request_id must be 16 bytes",
                               NULL, 0, NULL, 0);
        goto out;
    }
    int64_t deadline = received_ms + (request->deadline_ms ? request->deadline_ms
                                                           : (uint32_t) server->config.default_deadline_ms);
    if (s_now_ms () >= deadline) {
        sn_call_fail (&call, SNODO__CODE__DEADLINE_EXCEEDED, "the deadline passed before the request was served");
        goto reply;
    }
    const char *dot = strchr (request->method, '.');
    s_table_t table = {NULL, NULL};
    if (dot && (size_t) (dot - request->method) == strlen (server->service.name)
    &&  strncmp (request->method, server->service.name, (size_t) (dot - request->method)) == 0)
        table = (s_table_t) {server->service.descriptor, server->service.methods};
    else
    if (dot && strncmp (request->method, "journal.", 8) == 0)
        table = (s_table_t) {&snodo__journal__descriptor, sn_journal_methods};
    if (table.descriptor)
        method = s_find_method (&table, dot + 1, &mdesc);
    if (!method) {
        sn_call_fail (&call, SNODO__CODE__UNIMPLEMENTED, "unknown method \"%.64s\"", request->method);
        goto reply;
    }
    call.method = method->name;
    if (!sn_auth_lookup (server->config.auth, user_id, &call.member) || call.member.revoked) {
        snprintf (call.member.id, sizeof call.member.id, "%s", user_id);
        sn_call_fail (&call, SNODO__CODE__UNAUTHENTICATED, "the caller is not a member of the network");
        goto reply;
    }
    call.purpose_code = -1;
    for (int i = 0; s_purposes [i]; i++)
        if (streq (s_purposes [i], call.purpose))
            call.purpose_code = i;
    if (call.purpose_code < 0) {
        sn_call_violation (&call, "purpose", "unknown purpose \"%.32s\": one of placement, monitoring, "
                           "care, reporting, administration", call.purpose);
        sn_call_invalid (&call);
        goto reply;
    }
    if ((method->flags & SN_PERSONAL) && call.purpose_code == 0) {
        sn_call_violation (&call, "purpose", "personal data needs a purpose");
        sn_call_invalid (&call);
        goto reply;
    }
    if (!(method->kinds & (1u << call.member.kind))) {
        sn_call_fail (&call, SNODO__CODE__PERMISSION_DENIED, "%s is not allowed to members of kind %s",
                      request->method, sn_member_kind_name (call.member.kind));
        goto reply;
    }
    input = protobuf_c_message_unpack (mdesc->input, NULL, request->body.len, request->body.data);
    if (!input) {
        sn_call_fail (&call, SNODO__CODE__INVALID_ARGUMENT, "body is not a valid %s", mdesc->input->name);
        goto reply;
    }
    call.db = s_worker_db (self);
    if (!call.db) {
        sn_call_fail (&call, SNODO__CODE__UNAVAILABLE, "the database is not available");
        goto reply;
    }
    call.write = (method->flags & SN_WRITE) != 0;
    call.code = SNODO__CODE__OK;
    if (call.write)
        reply = s_run_write (self, &call, method, input, deadline - s_now_ms ());
    else
        reply = s_run_read (&call, method, input);
    if (sn_store_is_down (call.db))
        s_worker_db (self);     //  drop it now: the next request retries at once
    goto out;
reply:
    reply = s_call_reply (&call, NULL, 0);
out:
    for (size_t i = 0; i < call.n_audits; i++)
        free (call.audits [i]);
    free (call.audits);
    zlistx_destroy (&call.events);
    if (input)
        protobuf_c_message_free_unpacked (input, NULL);
    snodo__request__free_unpacked (request, NULL);
    return reply;
}

static void
s_worker_actor (zsock_t *pipe, void *args)
{
    s_worker_t self = {(s_server_t *) args, NULL, 0, 100, NULL, zhashx_new ()};
    zhashx_set_destructor (self.prepared, s_free_item);
    zsock_t *dealer = zsock_new_dealer (self.server->backend);
    self.kick = zsock_new_push (self.server->kick);
    zsock_set_sndhwm (self.kick, 10);
    zsock_signal (pipe, 0);
    s_worker_db (&self);
    zstr_send (dealer, "");     //  ready
    zpoller_t *poller = zpoller_new (pipe, dealer, NULL);
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == dealer) {
            zmsg_t *msg = zmsg_recv (dealer);
            if (!msg)
                break;
            zframe_t *client = zmsg_pop (msg);
            char *user_id = zmsg_popstr (msg);
            zframe_t *received = zmsg_pop (msg);
            zframe_t *frame = zmsg_pop (msg);
            int64_t received_ms = 0;
            if (received && zframe_size (received) == sizeof received_ms)
                memcpy (&received_ms, zframe_data (received), sizeof received_ms);
            zframe_t *reply = frame ? s_worker_handle (&self, user_id ? user_id : "", received_ms, frame) : NULL;
            zmsg_t *out = zmsg_new ();
            zmsg_append (out, &client);
            if (reply)
                zmsg_append (out, &reply);
            else
                zmsg_addmem (out, NULL, 0);
            zmsg_send (&out, dealer);
            zstr_free (&user_id);
            zframe_destroy (&received);
            zframe_destroy (&frame);
            zmsg_destroy (&msg);
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
    uint64_t published;             //  highest seq published
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
            self->published = ev->seq;
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
    s_relay_t self = {(s_server_t *) args, NULL, NULL, 0, 0, zhashx_new ()};
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
            int sealed = sn_journal_seal (self.db, server->service.name, server->config.audit_key,
                                          server->config.audit_key_len, err, sizeof err);
            if (sealed < 0)
                zsys_warning ("%s: audit: %s", server->service.name, err);
            next_tick = s_now_ms () + interval;
        }
        if (s_now_ms () >= next_cleanup) {
            char sql [160];
            snprintf (sql, sizeof sql, "DELETE FROM idempotency WHERE created_at < now () - interval '%d days'",
                      server->config.idempotency_days);
            s_exec_simple (self.db, sql);
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

static void
s_broker_from_client (s_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->frontend);
    if (!msg)
        return;
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
        zframe_t *worker = (zframe_t *) zlist_pop (self->ready);
        assert (worker);
        zmsg_t *out = zmsg_new ();
        zmsg_append (out, &worker);
        zmsg_append (out, &client);
        zmsg_addstr (out, user_id ? user_id : "");
        zmsg_addmem (out, &now, sizeof now);
        zmsg_append (out, &frame);
        zmsg_send (&out, self->backend);
    }
    zframe_destroy (&client);
    zframe_destroy (&frame);
    zmsg_destroy (&msg);
}

static void
s_broker_from_worker (s_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->backend);
    if (!msg)
        return;
    zframe_t *worker = zmsg_pop (msg);
    zlist_append (self->ready, worker);
    if (zmsg_size (msg) == 2) {
        //  [client][reply]
        zmsg_send (&msg, self->frontend);
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

zactor_t *
sn_server_new (const sn_server_config_t *config, const sn_service_t *service)
{
    assert (config && service && config->cert && config->auth);
    s_server_t *server = (s_server_t *) zmalloc (sizeof (s_server_t));
    server->config = *config;
    server->service = *service;
    server->request_endpoint = strdup (config->request_endpoint);
    server->events_endpoint = strdup (config->events_endpoint);
    server->conninfo = strdup (config->conninfo);
    if (server->config.workers <= 0)
        server->config.workers = 8;
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
s_journal_replay (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output)
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
s_journal_verify (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output)
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
s_journal_list_audit (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output)
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

const sn_method_t sn_journal_methods [] = {
    {"Replay", s_journal_replay, SN_KIND (SERVICE) | SN_KIND (ADMIN), 0},
    {"ListAudit", s_journal_list_audit, SN_KIND (ADMIN), 0},
    {"VerifyAudit", s_journal_verify, SN_KIND (ADMIN), 0},
    {NULL, NULL, 0, 0}
};
