/*  sn_journal_methods: the journal's methods, which every service answers
    ("journal.Replay", ...): the events from a seq on, the audit trail and
    its check, and Health. See proto/envelope.proto, service Journal. */
#include "sn_server_internal.h"
#include "sn_store.h"
#include <string.h>

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

//  VerifyAudit: the trail's seals, and the trail held against the seals
//  other services witnessed (the request's).
static int
s_verify_audit (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__VerifyAuditRequest *req = (const Snodo__VerifyAuditRequest *) input;
    Snodo__VerifyAuditReply *reply =
        (Snodo__VerifyAuditReply *) sn_message_new (&snodo__verify_audit_reply__descriptor);
    char err [256];
    if (sn_journal_verify (call->db, call->server->config.audit_key, call->server->config.audit_key_len,
                           req, reply, err, sizeof err)) {
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
        "       subject, outcome, request_id, "
        "       coalesce (batch, (SELECT b.batch FROM audit_batch b "
        "                         WHERE a.xid >= b.xid_from AND a.xid < b.xid_to), 0) "
        "FROM audit a "
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
        e->request_id.data = sn_store_bytea (PQgetvalue (res, i, 7), &e->request_id.len);
        e->batch = strtoull (PQgetvalue (res, i, 8), NULL, 10);
        reply->entries [reply->n_entries++] = e;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Witnessed: the latest seal of another service's trail that this one saw,
//  and the batches it saw sealed twice.
static int
s_witnessed (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__WitnessedRequest *req = (const Snodo__WitnessedRequest *) input;
    if (!*req->source) {
        sn_call_violation (call, "source", "is required: the service whose trail");
        return sn_call_invalid (call);
    }
    Snodo__WitnessedReply *reply = (Snodo__WitnessedReply *) sn_message_new (&snodo__witnessed_reply__descriptor);
    char err [256];
    if (sn_journal_witnessed (call->db, req->source, reply, err, sizeof err)) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return sn_call_db_error (call, NULL, "reading the witnessed seals");
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Health: what the runtime knows, without a statement, so that it answers
//  while the database is down (and says so).
static int
s_health (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    (void) input;
    sn_worker_t *worker = call->worker;
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
    SN_METHOD (Witnessed, s_witnessed, SN_KIND (SERVICE) | SN_KIND (ADMIN), 0),
    SN_METHODS_END
};
