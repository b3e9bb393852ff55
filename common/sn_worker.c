/*  sn_worker: a worker of the server. A thread with its own PGconn that
    takes requests from the broker, alone or several at once: it opens each
    (the envelope, the deadline, the method, the caller, the purpose, the
    member kinds, the body), runs its handler, and answers only once what it
    wrote is committed. Several requests handed over together run in one
    transaction (docs/architecture.md, "Batches"). */
#include "sn_server_internal.h"
#include "sn_log.h"
#include "sn_actor.h"
#include "sn_store.h"
#include "sn_wire.h"
#include "sn_metrics.h"
#include <sodium.h>
#include <pthread.h>
#include <ctype.h>
#include <time.h>
#include <string.h>

//  Connects (or reconnects) if due. Returns the connection or NULL.
PGconn *
sn_worker_db (sn_worker_t *self)
{
    //  an idle connection learns of a server gone away (restarted, say) only
    //  by reading: without a look, the first request on it would fail in
    //  the middle, and answer INTERNAL where UNAVAILABLE is true
    for (int i = 0; i < 2 && self->db && !self->in_tx && !sn_store_is_down (self->db); i++)
        PQconsumeInput (self->db);
    if (self->db && !sn_store_is_down (self->db))
        return self->db;
    if (self->db) {
        sn_warning ("%s: lost the database connection", self->server->service.name);
        PQfinish (self->db);
        self->db = NULL;
        self->retry_at = 0;
        zhashx_purge (self->prepared);     //  statements die with their connection
    }
    sn_tx_reset (self);
    if (zclock_time () < self->retry_at)
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
    sn_warning ("%s: %s (next try in %d ms)", service->name, err, self->backoff_ms);
    PQfinish (db);
    self->retry_at = zclock_time () + self->backoff_ms;
    self->backoff_ms = sn_backoff_next (self->backoff_ms);
    return NULL;
}

typedef struct {
    const ProtobufCServiceDescriptor *descriptor;
    const sn_method_t *methods;
} s_table_t;

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
    call->code = sn_call_handler_code (call, method->handler (call, input, output));
    uint8_t *body = NULL;
    size_t len = 0;
    if (call->code == SNODO__CODE__OK && *output)
        s_pack_output (*output, &body, &len);
    zframe_t *frame = sn_call_reply (call, body, len);
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
    sn_journal_rows_t journal;
    memset (&journal, 0, sizeof journal);
    sn_call_journal_audits (call, &journal);
    int rc = sn_tx_commit (call->worker, &journal, call->full_method);
    sn_journal_rows_free (&journal);
    return rc ? -1 : 0;
}

//  No access without its audit entry: a reply whose audit could not be
//  written says so instead.
static zframe_t *
s_unaudited (sn_call_t *call, zframe_t *reply)
{
    zframe_destroy (&reply);
    sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the audit trail could not be written");
    return sn_call_reply (call, NULL, 0);
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
                                   call->full_method, call->body_digest, &stored, &len);
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
        frame = sn_call_reply (call, NULL, 0);
    }
    s_write_audits (call);          //  denials and failures on personal data too
    return frame;
}

//  After a commit: the service's hook.
static void
s_committed (sn_worker_t *self, sn_call_t *call, const ProtobufCMessage *output)
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
s_run_write (sn_worker_t *self, sn_call_t *call, const sn_method_t *method,
             ProtobufCMessage *input, int64_t remaining_ms, bool defer)
{
    sn_tx_begin (self, remaining_ms, defer);
    ProtobufCMessage *output;
    zframe_t *frame = s_call_handler (call, method, input, &output);
    if (call->code == SNODO__CODE__OK) {
        sn_journal_rows_t journal;
        memset (&journal, 0, sizeof journal);
        sn_call_journal_write (call, &journal, frame);
        int rc = sn_tx_commit (self, &journal, call->full_method);
        if (rc == 0)
            s_committed (self, call, output);
        else {
            zframe_destroy (&frame);
            if (sn_store_is_down (call->db))
                sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the database is not available");
            else
                sn_call_fail (call, SNODO__CODE__ABORTED, "the change could not be committed");
            frame = sn_call_reply (call, NULL, 0);
        }
        sn_journal_rows_free (&journal);
    }
    else
        sn_tx_rollback (self);
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    if (call->code != SNODO__CODE__OK && !self->deferred_failed)
        frame = s_failed_write (call, frame);
    return frame;
}

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
    int64_t park_until;             //  the call asked to wait in the broker (sn_call_park)
    uint64_t park_seen;
    const sn_method_t *named;       //  the method it names, if known (for the metrics)
    int code;                       //  its outcome, as last served (for the metrics)
} s_item_t;

//  Refuses a call whose deadline passed before it was served. True if so.
static bool
s_call_late (sn_call_t *call, int64_t deadline)
{
    if (zclock_time () < deadline)
        return false;
    sn_call_fail (call, SNODO__CODE__DEADLINE_EXCEEDED, "the deadline passed before the request was served");
    return true;
}

//  The method a request names, in the service's table or the journal's;
//  NULL if none. Sets *desc to its descriptor.
static const sn_method_t *
s_call_method (sn_server_core_t *server, const char *name, const ProtobufCMethodDescriptor **desc)
{
    const char *dot = strchr (name, '.');
    s_table_t table = {NULL, NULL};
    size_t prefix = dot ? (size_t) (dot - name) : 0;
    if (dot && prefix == strlen (server->service.name) && strncmp (name, server->service.name, prefix) == 0)
        table = (s_table_t) {server->service.descriptor, server->service.methods};
    else
    if (dot && strncmp (name, "journal.", 8) == 0)
        table = (s_table_t) {&snodo__journal__descriptor, sn_journal_methods};
    return table.descriptor ? s_find_method (&table, dot + 1, desc) : NULL;
}

//  The purposes a request may name, for a message: "placement, monitoring, ...".
static void
s_purpose_names (char *out, size_t size)
{
    const ProtobufCEnumDescriptor *desc = &snodo__purpose__descriptor;
    size_t len = 0;
    out [0] = 0;
    for (unsigned i = 0; i < desc->n_values && len < size; i++) {
        if (desc->values [i].value == SNODO__PURPOSE__PURPOSE_UNSPECIFIED)
            continue;
        const char *name = desc->values [i].name + strlen ("PURPOSE_");
        len += (size_t) snprintf (out + len, size - len, "%s", len ? ", " : "");
        for (const char *c = name; *c && len + 1 < size; c++)
            out [len++] = (char) tolower ((unsigned char) *c);
        out [len < size ? len : size - 1] = 0;
    }
}

//  Checks what the method asks of the caller: a known purpose (and one at
//  all for personal data), a member kind it allows; then unpacks the body.
//  Sets the call's status when it may not run.
static void
s_call_admit (s_item_t *item, const ProtobufCMethodDescriptor *mdesc)
{
    sn_call_t *call = item->call;
    const sn_method_t *method = item->method;
    call->purpose_code = sn_purpose_code (call->purpose);
    if (call->purpose_code < 0) {
        char names [128];
        s_purpose_names (names, sizeof names);
        sn_call_violation (call, "purpose", "unknown purpose \"%.32s\": one of %s", call->purpose, names);
        sn_call_invalid (call);
    }
    else
    if ((method->flags & SN_PERSONAL) && call->purpose_code == SNODO__PURPOSE__PURPOSE_UNSPECIFIED) {
        sn_call_violation (call, "purpose", "personal data needs a purpose");
        sn_call_invalid (call);
    }
    else
    if (!(method->kinds & (1u << call->member.kind)))
        sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED, "%s is not allowed to members of kind %s",
                      call->full_method, sn_member_kind_name (call->member.kind));
    else {
        const Snodo__Request *request = item->request;
        char field [96], why [160];
        if (sn_wire_check (mdesc->input, request->body.data, request->body.len, field, sizeof field,
                           why, sizeof why)) {
            sn_call_violation (call, *field ? field : "body", "%s", why);
            sn_call_invalid (call);
            return;
        }
        item->input = protobuf_c_message_unpack (mdesc->input, NULL, request->body.len, request->body.data);
        if (!item->input)
            sn_call_fail (call, SNODO__CODE__INVALID_ARGUMENT, "body is not a valid %s", mdesc->input->name);
    }
}

//  Reads the request and checks all that needs no database: the envelope,
//  the method, the caller, the purpose, the member kinds, the body. Returns
//  true when the call may run; otherwise item->reply holds the refusal.
static bool
s_call_open (sn_worker_t *self, s_item_t *item)
{
    sn_server_core_t *server = self->server;
    item->named = NULL;
    item->code = SNODO__CODE__INVALID_ARGUMENT;     //  until a call holds the outcome
    Snodo__Request *request = item->request =
        snodo__request__unpack (NULL, zframe_size (item->frame), zframe_data (item->frame));
    if (!request) {
        item->reply = sn_reply_frame (NULL, 0, SNODO__CODE__INVALID_ARGUMENT,
                                      "malformed request: not a snodo.Request", NULL, 0, NULL, 0);
        return false;
    }
    char field [96], why [160];
    if (sn_wire_check (&snodo__request__descriptor, zframe_data (item->frame), zframe_size (item->frame),
                       field, sizeof field, why, sizeof why)) {
        char message [300];
        snprintf (message, sizeof message, "malformed request: %s %s", field, why);
        item->reply = sn_reply_frame (request->request_id.len == 16 ? request->request_id.data : NULL,
                                      request->request_id.len == 16 ? 16 : 0,
                                      SNODO__CODE__INVALID_ARGUMENT, message, NULL, 0, NULL, 0);
        return false;
    }
    sn_call_t *call = item->call = sn_call_new (server, self);
    call->request_id = request->request_id.data;
    call->received_ms = item->received_ms;
    crypto_generichash (call->body_digest, sizeof call->body_digest, request->body.data, request->body.len, NULL, 0);
    call->full_method = request->method;
    call->purpose = request->purpose;
    if (request->request_id.len != 16) {
        item->reply = sn_reply_frame (request->request_id.data, request->request_id.len,
                                      SNODO__CODE__INVALID_ARGUMENT, "request_id must be 16 bytes",
                                      NULL, 0, NULL, 0);
        return false;
    }
    item->deadline = item->received_ms + (request->deadline_ms ? request->deadline_ms
                                                               : (uint32_t) server->config.default_deadline_ms);
    call->deadline = item->deadline;
    const ProtobufCMethodDescriptor *mdesc = NULL;
    item->method = item->named = s_call_method (server, request->method, &mdesc);
    if (s_call_late (call, item->deadline))
        ;                   //  refused: the status is set
    else
    if (!item->method)
        sn_call_fail (call, SNODO__CODE__UNIMPLEMENTED, "unknown method \"%.64s\"", request->method);
    else
    if (!sn_auth_lookup (server->config.auth, item->user_id, &call->member) || call->member.revoked) {
        snprintf (call->member.id, sizeof call->member.id, "%s", item->user_id);
        sn_call_fail (call, SNODO__CODE__UNAUTHENTICATED, "the caller is not a member of the network");
    }
    else {
        call->method = item->method->name;
        s_call_admit (item, mdesc);
    }
    if (call->code != SNODO__CODE__OK) {
        item->method = NULL;        //  refused before it ran
        item->reply = sn_call_reply (call, NULL, 0);
        return false;
    }
    call->write = (item->method->flags & SN_WRITE) != 0;
    return true;
}

//  Frees what serving the item took; keeps the request and its reply.
static void
s_call_close (s_item_t *item)
{
    if (item->call) {
        item->park_until = item->call->code == SNODO__CODE__OK ? item->call->park_until : 0;
        item->park_seen = item->call->park_seen;
        item->code = item->call->code;
    }
    sn_call_free (&item->call);
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
s_serve_opened (sn_worker_t *self, s_item_t *item)
{
    sn_call_t *call = item->call;
    call->code = SNODO__CODE__OK;
    if (item->method->flags & SN_NO_DB) {
        sn_worker_db (self);        //  a reconnection when the back-off allows, as for any request
        item->reply = s_run_read (call, item->method, item->input);
        return;
    }
    call->db = sn_worker_db (self);
    if (!call->db) {
        sn_call_fail (call, SNODO__CODE__UNAVAILABLE, "the database is not available");
        item->reply = sn_call_reply (call, NULL, 0);
        return;
    }
    call->code = SNODO__CODE__OK;
    if (call->write) {
        item->reply = s_run_write (self, call, item->method, item->input, item->deadline - zclock_time (), true);
        bool void_run = self->deferred_failed;
        self->deferred_failed = false;      //  seen: it must not outlive this request
        if (void_run && !sn_store_is_down (self->db)) {
            //  a write it deferred failed: the run is void; again, each
            //  statement at once, so that the handler meets its own error
            zframe_destroy (&item->reply);
            s_call_close (item);
            if (!s_call_open (self, item))
                return;
            call = item->call;
            call->db = self->db;
            item->reply = s_run_write (self, call, item->method, item->input, item->deadline - zclock_time (),
                                       false);
        }
    }
    else
        item->reply = s_run_read (call, item->method, item->input);
    if (sn_store_is_down (call->db))
        sn_worker_db (self);     //  drop it now: the next request retries at once
}

//  Serves one request on its own from its frame, as if nothing had been done
//  with it before (after a batch that could not commit, too).
static void
s_serve_alone (sn_worker_t *self, s_item_t *item)
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
s_batch_run (sn_worker_t *self, s_item_t *items, size_t n, bool guarded, sn_journal_rows_t *journal, size_t *failed)
{
    for (size_t i = 0; i < n; i++) {
        s_item_t *item = &items [i];
        if (item->reply)
            continue;
        sn_call_t *call = item->call;
        call->db = self->db;
        call->code = SNODO__CODE__OK;
        if (s_call_late (call, item->deadline)) {
            item->reply = sn_call_reply (call, NULL, 0);
            item->method = NULL;        //  refused before it ran, as at opening
            continue;
        }
        if (call->write && guarded)
            sn_tx_savepoint (self);  //  a read that fails at the database breaks the batch instead
        item->reply = s_call_handler (call, item->method, item->input, &item->output);
        if (call->code == SNODO__CODE__OK) {
            if (call->write)
                sn_call_journal_write (call, journal, item->reply);
            else
                sn_call_journal_audits (call, journal);
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
        if ((call->write ? sn_tx_undo_call (self, call) : 0) || PQtransactionStatus (self->db) == PQTRANS_INERROR)
            return -1;
        if (!item->alone && !call->write)
            sn_call_journal_audits (call, journal);
    }
    return 0;
}

//  Runs a batch again behind savepoints after its first run failed: the
//  calls before again (all of them, n, when a deferred write failed) are
//  undone and open again from their frames; the failed call keeps its
//  outcome (and its audit entries, written as a failed write's); those
//  after it have not run yet. When a deferred write failed the run is void,
//  whoever met the failure, and every call opens again. Returns what
//  s_batch_run returns.
static int
s_batch_again (sn_worker_t *self, s_item_t *items, size_t n, size_t again, int64_t timeout_ms,
               sn_journal_rows_t *journal)
{
    sn_tx_rollback (self);
    sn_journal_rows_free (journal);
    for (size_t i = 0; i < again; i++) {
        s_item_t *item = &items [i];
        if (!item->method)
            continue;       //  refused before it ran: its reply stands
        zframe_destroy (&item->reply);
        s_call_close (item);
        item->method = NULL;
        item->alone = false;
        s_call_open (self, item);
    }
    sn_tx_begin (self, timeout_ms, false);
    size_t failed = 0;
    return s_batch_run (self, items, n, true, journal, &failed);
}

//  Serves several requests in one transaction, then one journal statement
//  for them all and one COMMIT. Replies leave only after it. The calls run
//  first without savepoints; if one fails after it wrote, the transaction is
//  rolled back and the batch runs again, each call after a savepoint (a
//  failed one rolls back to it, the others go on). If the batch cannot
//  commit (a duplicate request_id, a lost connection...), each request is
//  served again alone, as if it had come alone.
static void
s_serve_batch (sn_worker_t *self, s_item_t *items, size_t n)
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
    if (runnable < 2 || !sn_worker_db (self)) {
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
    int64_t timeout_ms = last_deadline - zclock_time ();
    if (writes)
        sn_tx_begin (self, timeout_ms, true);
    sn_journal_rows_t journal;
    memset (&journal, 0, sizeof journal);
    size_t failed = 0;
    int run = s_batch_run (self, items, n, false, &journal, &failed);
    //  a deferred write that failed in the run made a call fail (run is
    //  not 0); one that failed at the commit made the commit fail
    int rc = run == 0 ? sn_tx_commit (self, &journal, "a batch") : -1;
    bool void_run = writes && self->deferred_failed;
    if (run == 1 || void_run) {
        run = s_batch_again (self, items, n, void_run ? n : failed, timeout_ms, &journal);
        rc = run == 0 ? sn_tx_commit (self, &journal, "a batch") : -1;
    }
    if (run != 0)
        sn_tx_rollback (self);
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
    sn_journal_rows_free (&journal);
    if (sn_store_is_down (self->db))
        sn_worker_db (self);
    for (size_t i = 0; i < n; i++)
        s_call_close (&items [i]);
}

//  A worker of server on connection db (NULL: none) and an item of one
//  request frame, outside the worker's actor: for the fuzzers. user_id and
//  frame are borrowed (s_call_close leaves them).
static void
s_detached (sn_worker_t *worker, s_item_t *item, sn_server_core_t *server, PGconn *db, const char *user_id,
            int64_t received_ms, zframe_t *frame)
{
    memset (worker, 0, sizeof *worker);
    worker->server = server;
    worker->db = db;
    worker->prepared = (zhashx_t *) sn_store_cache_new ();
    memset (item, 0, sizeof *item);
    item->user_id = (char *) user_id;
    item->received_ms = received_ms;
    item->frame = frame;
}

zframe_t *
sn_worker_open (sn_server_core_t *server, const char *user_id, int64_t received_ms, zframe_t *frame,
                ProtobufCMessage **input, const sn_method_t **method)
{
    sn_worker_t worker;
    s_item_t item;
    s_detached (&worker, &item, server, NULL, user_id, received_ms, frame);
    *input = NULL;
    *method = NULL;
    if (s_call_open (&worker, &item)) {
        *input = item.input;
        *method = item.method;
        item.input = NULL;
    }
    s_call_close (&item);
    zhashx_destroy (&worker.prepared);
    return item.reply;
}

zframe_t *
sn_worker_serve_on (sn_server_core_t *server, PGconn *db, const char *user_id, int64_t received_ms,
                    zframe_t *frame)
{
    sn_worker_t worker;
    s_item_t item;
    s_detached (&worker, &item, server, db, user_id, received_ms, frame);
    if (s_call_open (&worker, &item)) {
        sn_call_t *call = item.call;
        call->db = db;
        call->code = SNODO__CODE__OK;
        int64_t remaining_ms = item.deadline - zclock_time ();
        item.reply = call->write ? s_run_write (&worker, call, item.method, item.input, remaining_ms, false)
                                 : s_run_read (call, item.method, item.input);
    }
    s_call_close (&item);
    zhashx_destroy (&worker.prepared);
    return item.reply;
}

//  Counts what a hand-over of n items answered: each item's method and
//  code and its time since the broker took it (received_ms, ms since the
//  epoch, as zclock_time), and the hand-over's size. A request sent back to
//  wait in the broker is counted when it is answered.
static void
s_count (sn_metrics_t *metrics, const s_item_t *items, size_t n)
{
    if (!metrics)
        return;
    struct timespec now;
    clock_gettime (CLOCK_REALTIME, &now);
    int64_t now_us = (int64_t) now.tv_sec * 1000000 + now.tv_nsec / 1000;
    for (size_t i = 0; i < n; i++)
        if (!items [i].park_until)
            sn_metrics_request (metrics, items [i].named, items [i].code, now_us - items [i].received_ms * 1000);
    sn_metrics_batch (metrics, n);
}

//  Adds an item's answer to the worker's message to the broker, and frees
//  the item: [client][reply], or for a request that waits (sn_call_park)
//  [client][SN_PARKED_MARK][until, seen][user_id][received_ms][request].
static void
s_item_out (s_item_t *item, zmsg_t *out)
{
    zmsg_append (out, &item->client);
    if (item->park_until) {
        char mark = SN_PARKED_MARK;
        zmsg_addmem (out, &mark, 1);
        int64_t park [2] = {item->park_until, (int64_t) item->park_seen};
        zmsg_addmem (out, park, sizeof park);
        zmsg_addstr (out, item->user_id);
        zmsg_addmem (out, &item->received_ms, sizeof item->received_ms);
        zmsg_append (out, &item->frame);
        zframe_destroy (&item->reply);
    }
    else
    if (item->reply)
        zmsg_append (out, &item->reply);
    else
        zmsg_addmem (out, NULL, 0);
    zstr_free (&item->user_id);
    zframe_destroy (&item->frame);
}

void
sn_worker_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-worker");      //  as top -H and perf show it
    sn_worker_t self;
    memset (&self, 0, sizeof self);
    self.server = (sn_server_core_t *) args;
    self.backoff_ms = 100;
    self.prepared = (zhashx_t *) sn_store_cache_new ();
    zsock_t *dealer = zsock_new_dealer (self.server->backend);
    self.kick = zsock_new_push (self.server->kick);
    zsock_set_sndhwm (self.kick, 10);
    zsock_signal (pipe, 0);
    sn_worker_db (&self);
    zstr_send (dealer, "");     //  ready
    zpoller_t *poller = zpoller_new (pipe, dealer, NULL);
    s_item_t items [SN_MAX_BATCH];
    while (true) {
        void *which = zpoller_wait (poller, -1);
        if (which == dealer) {
            //  [client][user_id][received_ms][request] for each request
            zmsg_t *msg = zmsg_recv (dealer);
            if (!msg)
                break;
            size_t n = 0;
            memset (items, 0, sizeof items);
            while (zmsg_size (msg) >= 4 && n < SN_MAX_BATCH) {
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
            s_count (self.server->config.metrics, items, n);
            zmsg_t *out = zmsg_new ();
            for (size_t i = 0; i < n; i++)
                s_item_out (&items [i], out);
            if (n == 0)
                zmsg_addstr (out, "");
            zmsg_send (&out, dealer);
        }
        else
        if (which == pipe) {
            if (sn_actor_ended (pipe))
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

