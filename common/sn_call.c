/*  sn_call: the call, as handlers see it. Its status, the violations of its
    fields, the events it emits and the persons it touches (written by the
    worker's transaction), its statements (sn_tx.c), and the reply it
    becomes. See sn_server.h for the contract, sn_server_internal.h for the
    runtime's side. */
#include "sn_server_internal.h"
#include "sn_check.h"
#include "sn_log.h"
#include "sn_wire.h"
#include <sodium.h>
#include <stdarg.h>
#include <string.h>

static void
s_event_destroy (void **item)
{
    sn_event_t *event = (sn_event_t *) *item;
    free (event->type);
    free (event->subject);
    free (event->person);
    free (event->body);
    free (event);
    *item = NULL;
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

static void
s_item_reply_destroy (void **item)
{
    sn_item_reply_t *stored = (sn_item_reply_t *) *item;
    free (stored->method);
    zframe_destroy (&stored->reply);
    free (stored);
    *item = NULL;
}

sn_call_t *
sn_call_new (sn_server_core_t *server, sn_worker_t *worker)
{
    sn_call_t *call = (sn_call_t *) zmalloc (sizeof (sn_call_t));
    call->server = server;
    call->worker = worker;
    call->purpose_code = -1;
    return call;
}

void
sn_call_free (sn_call_t **call_p)
{
    sn_call_t *call = *call_p;
    if (!call)
        return;
    for (size_t i = 0; i < call->n_audits; i++)
        free (call->audits [i].subject);
    free (call->audits);
    zlistx_destroy (&call->events);
    zlistx_destroy (&call->item_replies);
    free (call);
    *call_p = NULL;
}

int
sn_purpose_code (const char *name)
{
    //  the enum's names are PURPOSE_<NAME>: the purpose is <name> in lower case
    const ProtobufCEnumDescriptor *desc = &snodo__purpose__descriptor;
    for (unsigned i = 0; i < desc->n_values; i++) {
        const char *value = desc->values [i].name + strlen ("PURPOSE_");
        if (desc->values [i].value == SNODO__PURPOSE__PURPOSE_UNSPECIFIED ? *name == 0
                                                                          : strcasecmp (value, name) == 0)
            return desc->values [i].value;
    }
    return -1;
}

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
int
sn_call_handler_code (sn_call_t *call, int returned)
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
    sn_utf8_repair (call->message);     //  an echo of the caller's text, cut at a byte count
    call->code = code;
    return code;
}

void
sn_call_violation (sn_call_t *call, const char *field, const char *fmt, ...)
{
    if (call->n_violations >= SN_MAX_VIOLATIONS)
        return;
    sn_violation_t *v = &call->violations [call->n_violations++];
    snprintf (v->field, sizeof v->field, "%s", field);
    va_list args;
    va_start (args, fmt);
    vsnprintf (v->description, sizeof v->description, fmt, args);
    va_end (args);
    sn_utf8_repair (v->field);
    sn_utf8_repair (v->description);
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
        if (!call->worker->deferred_failed)     //  a void run's: logged when it runs again
            sn_error ("%s: %s: %s", call->full_method, what,
                        detail ? detail : PQerrorMessage (call->db));
        sn_call_fail (call, code, "%s failed", what);
    }
    else
        sn_call_fail (call, code, "%s: %s", what, detail ? detail : "rejected by the database");
    PQclear (res);
    return code;
}

int
sn_call_event (sn_call_t *call, const char *type, const char *subject, const char *person,
               const ProtobufCMessage *body)
{
    assert (call->write);
    size_t size = protobuf_c_message_get_packed_size (body);
    if (size > SN_EVENT_MAX_BYTES) {
        sn_call_fail (call, SNODO__CODE__RESOURCE_EXHAUSTED, "the %s event would be %zu bytes, over the limit "
                      "of %d: the change is too large", type, size, SN_EVENT_MAX_BYTES);
        return -1;
    }
    sn_event_t *event = (sn_event_t *) zmalloc (sizeof (sn_event_t));
    randombytes_buf (event->id, sizeof event->id);
    event->id [6] = (uint8_t) ((event->id [6] & 0x0F) | 0x40);     //  a version 4 UUID
    event->id [8] = (uint8_t) ((event->id [8] & 0x3F) | 0x80);
    event->type = strdup (type);
    event->subject = strdup (subject);
    event->person = person && *person ? strdup (person) : NULL;
    event->size = size;
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

//  A new audit entry of the call, for subject. Returns it.
static sn_audit_t *
s_audit_add (sn_call_t *call, const char *subject)
{
    if (call->n_audits == call->max_audits) {
        call->max_audits = call->max_audits ? call->max_audits * 2 : 8;
        call->audits = (sn_audit_t *) realloc (call->audits, call->max_audits * sizeof (sn_audit_t));
        assert (call->audits);
    }
    sn_audit_t *entry = &call->audits [call->n_audits++];
    memset (entry, 0, sizeof *entry);
    entry->subject = strdup (subject);
    entry->outcome = -1;
    return entry;
}

void
sn_call_park (sn_call_t *call, uint64_t seen, int64_t until)
{
    if (atomic_load (&call->server->parked) >= SN_MAX_PARKED)
        return;
    call->park_seen = seen;
    call->park_until = until;
}

void
sn_call_audit (sn_call_t *call, const char *subject)
{
    if (!subject || !*subject)
        return;
    for (size_t i = 0; i < call->n_audits && i < 8; i++)
        if (!call->audits [i].item && streq (call->audits [i].subject, subject))
            return;
    s_audit_add (call, subject);
}

void
sn_call_audit_item (sn_call_t *call, const char *subject, int outcome, const uint8_t *request_id)
{
    assert (request_id);
    if (!subject || !*subject)
        return;
    sn_audit_t *entry = s_audit_add (call, subject);
    entry->outcome = outcome;
    entry->item = true;
    memcpy (entry->request_id, request_id, 16);
}

//  --- batch methods: items with an outcome of their own --------------------------------

int
sn_call_item_status (sn_call_t *call, Snodo__Status **status)
{
    Snodo__Status *out = (Snodo__Status *) sn_message_new (&snodo__status__descriptor);
    out->code = (Snodo__Code) call->code;
    out->message = strdup (call->message);
    if (call->n_violations) {
        out->violations = (Snodo__FieldViolation **) calloc (call->n_violations, sizeof (void *));
        assert (out->violations);
    }
    for (size_t i = 0; i < call->n_violations; i++) {
        Snodo__FieldViolation *v =
            (Snodo__FieldViolation *) sn_message_new (&snodo__field_violation__descriptor);
        v->field = strdup (call->violations [i].field);
        v->description = strdup (call->violations [i].description);
        out->violations [out->n_violations++] = v;
    }
    int code = call->code;
    call->code = SNODO__CODE__OK;
    call->message [0] = 0;
    call->n_violations = 0;
    *status = out;
    return code;
}

void
sn_call_check_item_id (sn_call_t *call, const ProtobufCBinaryData *ids, size_t i)
{
    if (ids [i].len != 16) {
        sn_call_violation (call, "request_id", "must be 16 bytes (it has %zu)", ids [i].len);
        return;
    }
    for (size_t k = 0; k < i; k++)
        if (ids [k].len == 16 && memcmp (ids [k].data, ids [i].data, 16) == 0) {
            sn_call_violation (call, "request_id", "is the request_id of item %zu: each item has its own", k);
            return;
        }
}

_Static_assert (SN_ITEM_DIGEST == SN_BODY_DIGEST, "an item's digest is a body's");

void
sn_call_item_digest (const ProtobufCMessage *input, uint8_t digest [SN_ITEM_DIGEST])
{
    size_t size = protobuf_c_message_get_packed_size (input);
    uint8_t *packed = (uint8_t *) malloc (size ? size : 1);
    assert (packed);
    size_t written = protobuf_c_message_pack (input, packed);
    assert (written == size);
    crypto_generichash (digest, SN_ITEM_DIGEST, packed, size, NULL, 0);
    free (packed);
}

//  A status of its own (caller owns it).
static Snodo__Status *
s_item_status (int code, const char *message)
{
    Snodo__Status *status = (Snodo__Status *) sn_message_new (&snodo__status__descriptor);
    status->code = (Snodo__Code) code;
    status->message = strdup (message);
    assert (status->message);
    return status;
}

//  A stored reply's status and output for take; an id stored by another
//  caller or for another method is refused, as a single call's retry is,
//  and a reply that cannot be read is INTERNAL.
static void
s_item_stored (const PGresult *res, int row, bool reused, size_t i, const ProtobufCMessageDescriptor *output,
               sn_item_reply_fn *take, void *arg)
{
    if (reused) {
        take (arg, i, s_item_status (SNODO__CODE__INVALID_ARGUMENT,
                                     "request_id was already used for another request"), NULL);
        return;
    }
    Snodo__Reply *reply = snodo__reply__unpack (NULL, (size_t) PQgetlength (res, row, 3),
                                                (const uint8_t *) PQgetvalue (res, row, 3));
    Snodo__Status *status = reply ? reply->status : NULL;
    ProtobufCMessage *body = status && status->code == SNODO__CODE__OK
                           ? protobuf_c_message_unpack (output, NULL, reply->body.len, reply->body.data) : NULL;
    if (status && (status->code != SNODO__CODE__OK || body))
        reply->status = NULL;           //  taken
    else
        status = s_item_status (SNODO__CODE__INTERNAL, "the stored reply could not be read");
    if (reply)
        snodo__reply__free_unpacked (reply, NULL);
    take (arg, i, status, body);
}

//  The index of the 16 bytes id among ids, or -1.
static int
s_id_index (const ProtobufCBinaryData *ids, size_t n, const uint8_t *id, size_t len)
{
    for (size_t i = 0; len == 16 && i < n; i++)
        if (ids [i].len == 16 && memcmp (ids [i].data, id, 16) == 0)
            return (int) i;
    return -1;
}

//  True if the text value of res's row and column is text.
static bool
s_value_is (const PGresult *res, int row, int column, const char *text)
{
    return PQgetlength (res, row, column) == (int) strlen (text)
        && memcmp (PQgetvalue (res, row, column), text, strlen (text)) == 0;
}

//  True if the stored digest of res's row (column 4) is not digest; a row
//  stored before digests were kept has none, and matches.
static bool
s_other_digest (const PGresult *res, int row, const uint8_t *digest)
{
    return !PQgetisnull (res, row, 4)
        && (PQgetlength (res, row, 4) != SN_ITEM_DIGEST
            || memcmp (PQgetvalue (res, row, 4), digest, SN_ITEM_DIGEST) != 0);
}

int
sn_call_item_replies (sn_call_t *call, const char *method, const ProtobufCBinaryData *ids,
                      const uint8_t (*digests) [SN_ITEM_DIGEST], size_t n,
                      const ProtobufCMessageDescriptor *output, sn_item_reply_fn *take, void *arg)
{
    sn_array_t wanted = SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++)
        if (ids [i].len == 16)
            sn_array_bytea (&wanted, ids [i].data, 16);
    if (sn_array_size (&wanted) == 0) {
        sn_array_free (&wanted);
        return 0;
    }
    const char *params [1] = {sn_array_end (&wanted)};
    //  unprepared, so planned with the array: a plan kept from when the
    //  table was small would scan it whole (sn_call_query_planned)
    PGconn *db = sn_call_db (call);
    PGresult *res = db && call->code == SNODO__CODE__OK
                  ? PQexecParams (db, "SELECT request_id, member_id, method, reply, body_digest FROM idempotency "
                                  "WHERE request_id = ANY ($1::bytea [])", 1, NULL, params, NULL, NULL, 1)
                  : NULL;
    sn_array_free (&wanted);
    if (call->code != SNODO__CODE__OK)
        return -1;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_call_db_error (call, res, "reading the items' stored replies");
        return -1;
    }
    for (int row = 0; row < PQntuples (res); row++) {
        const uint8_t *id = (const uint8_t *) PQgetvalue (res, row, 0);
        int i = s_id_index (ids, n, id, (size_t) PQgetlength (res, row, 0));
        if (i < 0)
            continue;
        bool reused = !s_value_is (res, row, 1, call->member.id) || !s_value_is (res, row, 2, method)
                   || s_other_digest (res, row, digests [i]);
        s_item_stored (res, row, reused, (size_t) i, output, take, arg);
    }
    PQclear (res);
    return 0;
}

void
sn_call_item_reply (sn_call_t *call, const char *method, const uint8_t *request_id,
                    const uint8_t digest [SN_ITEM_DIGEST], const ProtobufCMessage *output)
{
    assert (call->write && request_id && digest && output);
    size_t size = protobuf_c_message_get_packed_size (output);
    uint8_t *body = (uint8_t *) malloc (size ? size : 1);
    assert (body);
    size_t written = protobuf_c_message_pack (output, body);
    assert (written == size);
    sn_item_reply_t *stored = (sn_item_reply_t *) zmalloc (sizeof (sn_item_reply_t));
    memcpy (stored->request_id, request_id, 16);
    memcpy (stored->digest, digest, SN_ITEM_DIGEST);
    stored->method = strdup (method);
    //  the item's events: those emitted since the item before it
    size_t total = call->events ? zlistx_size (call->events) : 0;
    size_t n = total - call->item_events, k = 0;
    uint8_t (*ids) [16] = n ? (uint8_t (*) [16]) malloc (n * 16) : NULL;
    size_t at = 0;
    for (sn_event_t *e = n ? (sn_event_t *) zlistx_first (call->events) : NULL; e;
         e = (sn_event_t *) zlistx_next (call->events), at++)
        if (at >= call->item_events)
            memcpy (ids [k++], e->id, 16);
    call->item_events = total;
    //  numbered after the commit, as sn_call_reply says
    uint64_t after = n ? atomic_load (&call->server->published) : 0;
    stored->reply = sn_reply_frame_events (request_id, 16, SNODO__CODE__OK, "", NULL, 0, body, size,
                                           (const uint8_t (*) [16]) ids, n, after);
    free (ids);
    free (body);
    if (!call->item_replies) {
        call->item_replies = zlistx_new ();
        zlistx_set_destructor (call->item_replies, s_item_reply_destroy);
    }
    zlistx_add_end (call->item_replies, stored);
}

PGresult *
sn_call_exec (sn_call_t *call, const char *sql, int n, const char *const *params,
              const int *lengths, const int *formats, int result_format)
{
    call->ran = true;
    return sn_tx_exec (call->worker, sql, n, params, lengths, formats, result_format);
}

int
sn_call_write (sn_call_t *call, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res;
    if (sn_tx_defer (call->worker, sql, n, params, &res)) {
        call->ran = true;
        //  queued; or the statement would not prepare, or a full queue's flush failed
        return res ? sn_call_db_error (call, res, what) : SNODO__CODE__OK;
    }
    res = sn_call_query (call, what, sql, n, params);      //  not deferred: at once
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return SNODO__CODE__OK;
}

int64_t
sn_call_now_ms (sn_call_t *call)
{
    call->ran = true;
    PGresult *error;
    int64_t now = sn_tx_now_ms (call->worker, &error);
    if (now < 0)
        sn_call_db_error (call, error, "reading the time");
    return now;
}

PGconn *
sn_call_db (sn_call_t *call)
{
    //  whoever takes the connection itself runs inside the call's
    //  transaction; if it could not begin, the call fails with that
    if (call->db) {
        PGresult *failed = sn_tx_flush (call->worker);
        if (failed)
            sn_call_db_error (call, failed, "starting the transaction");
    }
    call->ran = true;
    return call->db;
}

//  Packs a Reply for the call's status (and body when OK). Caller owns the frame.
zframe_t *
sn_reply_frame (const uint8_t *request_id, size_t id_len, int code, const char *message,
               const sn_violation_t *violations, size_t n_violations,
               const uint8_t *body, size_t body_len)
{
    return sn_reply_frame_events (request_id, id_len, code, message, violations, n_violations, body, body_len,
                                  NULL, 0, 0);
}

zframe_t *
sn_reply_frame_events (const uint8_t *request_id, size_t id_len, int code, const char *message,
                       const sn_violation_t *violations, size_t n_violations,
                       const uint8_t *body, size_t body_len,
                       const uint8_t (*event_ids) [16], size_t n_events, uint64_t after_seq)
{
    Snodo__Reply reply = SNODO__REPLY__INIT;
    Snodo__Status status = SNODO__STATUS__INIT;
    Snodo__FieldViolation fv [SN_MAX_VIOLATIONS];
    Snodo__FieldViolation *fvp [SN_MAX_VIOLATIONS];
    reply.request_id.data = (uint8_t *) request_id;
    reply.request_id.len = request_id ? id_len : 0;
    reply.status = &status;
    status.code = (Snodo__Code) code;
    status.message = (char *) (message ? message : "");
    for (size_t i = 0; i < n_violations && i < SN_MAX_VIOLATIONS; i++) {
        snodo__field_violation__init (&fv [i]);
        fv [i].field = (char *) violations [i].field;
        fv [i].description = (char *) violations [i].description;
        fvp [i] = &fv [i];
    }
    status.n_violations = n_violations;
    status.violations = n_violations ? fvp : NULL;
    reply.body.data = (uint8_t *) body;
    reply.body.len = body ? body_len : 0;
    ProtobufCBinaryData *ids = n_events ? (ProtobufCBinaryData *) malloc (n_events * sizeof *ids) : NULL;
    for (size_t i = 0; i < n_events; i++)
        ids [i] = (ProtobufCBinaryData) {16, (uint8_t *) event_ids [i]};
    reply.event_ids = ids;
    reply.n_event_ids = n_events;
    reply.after_seq = after_seq;
    size_t size = snodo__reply__get_packed_size (&reply);
    zframe_t *frame = zframe_new (NULL, size);
    size_t written = snodo__reply__pack (&reply, zframe_data (frame));
    assert (written == size);
    free (ids);
    return frame;
}

zframe_t *
sn_call_reply (sn_call_t *call, const uint8_t *body, size_t body_len)
{
    size_t n = call->code == SNODO__CODE__OK && call->events ? zlistx_size (call->events) : 0;
    uint8_t (*ids) [16] = n ? (uint8_t (*) [16]) malloc (n * 16) : NULL;
    size_t i = 0;
    for (sn_event_t *e = n ? (sn_event_t *) zlistx_first (call->events) : NULL; e;
         e = (sn_event_t *) zlistx_next (call->events))
        memcpy (ids [i++], e->id, 16);
    //  numbered after the commit: above whatever the relay published by now
    uint64_t after = n ? atomic_load (&call->server->published) : 0;
    zframe_t *frame = sn_reply_frame_events (call->request_id, 16, call->code, call->message, call->violations,
                                             call->n_violations, body, body_len, (const uint8_t (*) [16]) ids,
                                             n, after);
    free (ids);
    return frame;
}

void
sn_call_journal_audits (sn_call_t *call, sn_journal_rows_t *rows)
{
    for (size_t i = 0; i < call->n_audits; i++) {
        const sn_audit_t *entry = &call->audits [i];
        //  an item keeps its own failure; one that was OK shares the call's fate
        int outcome = entry->outcome > 0 ? entry->outcome : call->code;
        sn_journal_rows_audit (rows, call->member.id, call->full_method, sn_call_purpose (call),
                               entry->subject, outcome, entry->item ? entry->request_id : call->request_id);
    }
}

void
sn_call_journal_write (sn_call_t *call, sn_journal_rows_t *rows, zframe_t *reply)
{
    for (sn_event_t *e = call->events ? (sn_event_t *) zlistx_first (call->events) : NULL; e;
         e = (sn_event_t *) zlistx_next (call->events))
        sn_journal_rows_event (rows, e->id, e->type, e->subject, e->person, e->body, e->size);
    sn_call_journal_audits (call, rows);
    sn_journal_rows_reply (rows, call->request_id, call->member.id, call->full_method, call->body_digest,
                           zframe_data (reply), zframe_size (reply));
    for (sn_item_reply_t *stored = call->item_replies ? (sn_item_reply_t *) zlistx_first (call->item_replies)
                                                      : NULL;
         stored; stored = (sn_item_reply_t *) zlistx_next (call->item_replies))
        sn_journal_rows_reply (rows, stored->request_id, call->member.id, stored->method, stored->digest,
                               zframe_data (stored->reply), zframe_size (stored->reply));
}
