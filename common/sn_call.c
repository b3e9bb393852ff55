/*  sn_call: the call, as handlers see it. Its status, the violations of its
    fields, the events it emits and the persons it touches (written by the
    worker's transaction), its statements (sn_tx.c), and the reply it
    becomes. See sn_server.h for the contract, sn_server_internal.h for the
    runtime's side. */
#include "sn_server_internal.h"
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
        free (call->audits [i]);
    free (call->audits);
    zlistx_destroy (&call->events);
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
        if (streq (call->audits [i], subject))
            return;
    if (call->n_audits == call->max_audits) {
        call->max_audits = call->max_audits ? call->max_audits * 2 : 8;
        call->audits = (char **) realloc (call->audits, call->max_audits * sizeof (char *));
    }
    call->audits [call->n_audits++] = strdup (subject);
}

PGresult *
sn_call_exec (sn_call_t *call, const char *sql, int n, const char *const *params,
              const int *lengths, const int *formats, int result_format)
{
    call->ran = true;
    return sn_tx_exec (call->worker, sql, n, params, lengths, formats, result_format);
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
    for (size_t i = 0; i < call->n_audits; i++)
        sn_journal_rows_audit (rows, call->member.id, call->full_method, sn_call_purpose (call),
                               call->audits [i], call->code, call->request_id);
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
}
