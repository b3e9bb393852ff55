/*  sn_journal_methods: the journal's methods, which every service answers
    ("journal.Replay", ...): the events from a seq on, the audit trail and
    its check, Health, and the events its subscribers could not apply. See
    proto/envelope.proto, service Journal. */
#include "sn_server_internal.h"
#include "sn_check.h"
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

//  --- Follow: a member's own stream ------------------------------------------------

//  The most seqs one Follow looks at: a member that may see few of the
//  events is not held up by the many it may not (it asks again from
//  next_after).
#define FOLLOW_SCAN 10000
#define FOLLOW_MAX_WAIT_MS 30000
//  A wait ends this much before the request's deadline, so that the empty
//  reply reaches the client while it still waits for it.
#define FOLLOW_MARGIN_MS 250

//  The LIKE patterns of the types the caller's kind may follow: the
//  journal's, and those of the service's stream rules that allow it; every
//  type for a service.
static void
s_follow_types (sn_call_t *call, sn_array_t *types)
{
    if (call->member.kind == SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE) {
        sn_array_text (types, "%");        //  a service has every event on the PUB socket too
        return;
    }
    sn_array_text (types, "journal.%");
    const sn_stream_t *rules = call->server->service.streams;
    for (size_t i = 0; rules && rules [i].prefix; i++)
        if (rules [i].kinds & (1u << call->member.kind)) {
            char pattern [96];
            snprintf (pattern, sizeof pattern, "%s%%", rules [i].prefix);
            sn_array_text (types, pattern);
        }
}

//  The grantees the caller is among (common/sql/008_follow.sql): itself,
//  and its kind for the request's purpose.
static void
s_follow_grantees (sn_call_t *call, sn_array_t *grantees)
{
    char grantee [96];
    snprintf (grantee, sizeof grantee, "m:%s", call->member.id);
    sn_array_text (grantees, grantee);
    snprintf (grantee, sizeof grantee, "k:%d:%d", call->member.kind, call->purpose_code);
    sn_array_text (grantees, grantee);
}

//  Reads the events after after, up to upto, the caller may have, into
//  reply (each one about a person audited). Returns 0, or the failure's code.
static int
s_follow_read (sn_call_t *call, uint64_t after, uint64_t upto, uint32_t max, Snodo__FollowReply *reply)
{
    sn_array_t types = {0}, grantees = {0};
    s_follow_types (call, &types);
    s_follow_grantees (call, &grantees);
    char from [32], to [32], limit [16];
    snprintf (from, sizeof from, "%llu", (unsigned long long) after);
    snprintf (to, sizeof to, "%llu", (unsigned long long) upto);
    snprintf (limit, sizeof limit, "%u", max);
    bool everything = call->member.kind == SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE;
    const char *params [6] = {from, to, sn_array_end (&types), everything ? "t" : "f",
                              sn_array_end (&grantees), limit};
    PGresult *res = sn_call_query (call, "reading the events",
        "SELECT seq, event_id::text, type, subject, (extract (epoch FROM at) * 1000)::bigint, body, "
        "       coalesce (person::text, '') "
        "FROM outbox WHERE seq > $1 AND seq <= $2 AND type LIKE ANY ($3::text []) "
        "AND ($4::boolean OR person IS NULL OR audience && $5::text []) "
        "ORDER BY seq LIMIT $6", 6, params);
    sn_array_free (&types);
    sn_array_free (&grantees);
    if (!res)
        return sn_call_code (call);
    int rows = PQntuples (res);
    reply->events = rows ? (Snodo__Event **) calloc ((size_t) rows, sizeof (Snodo__Event *)) : NULL;
    size_t bytes = 0;
    for (int i = 0; i < rows && (i == 0 || bytes < SN_REPLAY_MAX_BYTES); i++) {
        Snodo__Event *ev = sn_journal_event_row (res, i, call->server->service.name);
        bytes += ev->body.len;
        reply->events [reply->n_events++] = ev;
        sn_call_audit (call, PQgetvalue (res, i, 6));      //  a delivery of personal data is a read
    }
    //  every seq up to here was looked at: the last event given when the
    //  reply is full, else the end of what was scanned
    reply->next_after = reply->n_events == (size_t) rows && rows < (int) max
                      ? upto : reply->events [reply->n_events - 1]->seq;
    PQclear (res);
    return SNODO__CODE__OK;
}

//  journal.Follow. With nothing for the caller yet and wait_ms asked, the
//  request waits in the broker (sn_call_park) until an event is published
//  or the wait ends, and is then served again.
static int
s_follow (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__FollowRequest *req = (const Snodo__FollowRequest *) input;
    if (req->max > 1000)
        sn_call_violation (call, "max", "%u is above 1000", req->max);
    if (req->wait_ms > FOLLOW_MAX_WAIT_MS)
        sn_call_violation (call, "wait_ms", "%u is above %d", req->wait_ms, FOLLOW_MAX_WAIT_MS);
    if (req->after_seq > (uint64_t) INT64_MAX)
        sn_call_violation (call, "after_seq", "is beyond any seq");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    uint32_t max = req->max ? req->max : 100;
    uint64_t published = atomic_load (&call->server->published);
    uint64_t upto = req->after_seq >= published ? req->after_seq
                  : published - req->after_seq > FOLLOW_SCAN ? req->after_seq + FOLLOW_SCAN : published;
    Snodo__FollowReply *reply = (Snodo__FollowReply *) sn_message_new (&snodo__follow_reply__descriptor);
    reply->last_seq = published;
    reply->next_after = upto;
    int code = upto > req->after_seq ? s_follow_read (call, req->after_seq, upto, max, reply) : SNODO__CODE__OK;
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    int64_t until = call->received_ms + req->wait_ms;
    if (call->deadline - FOLLOW_MARGIN_MS < until)
        until = call->deadline - FOLLOW_MARGIN_MS;
    if (reply->n_events == 0 && upto >= published && zclock_time () < until)
        sn_call_park (call, upto, until);
    *output = &reply->base;
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

//  --- failed events: what this service's subscribers could not apply ----------------
//  (common/sql/010_failed_event.sql; the subscriber's side is sn_subscriber.c)

#define FAILED_COLUMNS \
    "source, seq, uuid_send (event_id), type, subject, error, attempts, " \
    "(extract (epoch FROM first_failed_at) * 1000)::bigint, (extract (epoch FROM last_failed_at) * 1000)::bigint, " \
    "state, passed, decided_by, coalesce ((extract (epoch FROM decided_at) * 1000)::bigint, 0), why"

//  A FailedEvent from row i of FAILED_COLUMNS, its subject audited: the
//  operator sees what the event was about, and why it failed.
static Snodo__FailedEvent *
s_failed_row (sn_call_t *call, PGresult *res, int i)
{
    Snodo__FailedEvent *f = (Snodo__FailedEvent *) sn_message_new (&snodo__failed_event__descriptor);
    f->source = strdup (PQgetvalue (res, i, 0));
    f->seq = strtoull (PQgetvalue (res, i, 1), NULL, 10);
    f->event_id.data = sn_store_bytea (PQgetvalue (res, i, 2), &f->event_id.len);
    f->type = strdup (PQgetvalue (res, i, 3));
    f->subject = strdup (PQgetvalue (res, i, 4));
    f->error = strdup (PQgetvalue (res, i, 5));
    f->attempts = (uint32_t) strtoul (PQgetvalue (res, i, 6), NULL, 10);
    f->first_failed_at = strtoll (PQgetvalue (res, i, 7), NULL, 10);
    f->last_failed_at = strtoll (PQgetvalue (res, i, 8), NULL, 10);
    f->state = strdup (PQgetvalue (res, i, 9));
    f->passed = streq (PQgetvalue (res, i, 10), "t");
    f->decided_by = strdup (PQgetvalue (res, i, 11));
    f->decided_at = strtoll (PQgetvalue (res, i, 12), NULL, 10);
    f->why = strdup (PQgetvalue (res, i, 13));
    sn_call_audit (call, f->subject);
    return f;
}

static int
s_list_failed (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__ListFailedRequest *req = (const Snodo__ListFailedRequest *) input;
    const char *params [2] = {req->source, req->all ? "t" : "f"};
    PGresult *res = sn_call_query (call, "reading the failed events",
        "SELECT " FAILED_COLUMNS " FROM failed_event "
        "WHERE ($1 = '' OR source = $1) AND ($2::boolean OR state IN ('parked', 'retrying')) "
        "ORDER BY source, seq LIMIT 1000", 2, params);
    if (!res)
        return sn_call_code (call);
    Snodo__ListFailedReply *reply = (Snodo__ListFailedReply *) sn_message_new (&snodo__list_failed_reply__descriptor);
    int rows = PQntuples (res);
    reply->events = rows ? (Snodo__FailedEvent **) calloc ((size_t) rows, sizeof (void *)) : NULL;
    for (int i = 0; i < rows; i++)
        reply->events [reply->n_events++] = s_failed_row (call, res, i);
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  Checks the event an operator names (source, seq): the violations are
//  recorded on the call.
static void
s_check_failed_key (sn_call_t *call, const char *source, uint64_t seq)
{
    if (!*source)
        sn_call_violation (call, "source", "is required: the service whose event");
    if (seq == 0)
        sn_call_violation (call, "seq", "is required");
    if (seq > (uint64_t) INT64_MAX)
        sn_call_violation (call, "seq", "is beyond any seq");
}

//  The reply to a decision on a failed event: the row the statement
//  changed (res), or why there was none. Takes res.
static int
s_decision_reply (sn_call_t *call, PGresult *res, const char *source, const char *seq, const char *allowed,
                  ProtobufCMessage **output)
{
    if (PQntuples (res) == 1) {
        *output = &s_failed_row (call, res, 0)->base;
        PQclear (res);
        return SNODO__CODE__OK;
    }
    PQclear (res);
    const char *params [2] = {source, seq};
    res = sn_call_query (call, "reading the failed event", "SELECT state FROM failed_event "
                         "WHERE source = $1 AND seq = $2", 2, params);
    if (!res)
        return sn_call_code (call);
    int code = PQntuples (res) == 0
        ? sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no failed event %s of %s", seq, source)
        : sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "event %s of %s is %s, not %s", seq, source,
                        PQgetvalue (res, 0, 0), allowed);
    PQclear (res);
    return code;
}

//  RetryFailed: the subscriber tries the parked event again, with a new
//  round of tries (it looks for decisions every second).
static int
s_retry_failed (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__RetryFailedRequest *req = (const Snodo__RetryFailedRequest *) input;
    s_check_failed_key (call, req->source, req->seq);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char seq [32];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) req->seq);
    const char *params [3] = {req->source, seq, sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "retrying the failed event",
        "UPDATE failed_event SET state = 'retrying', decided_by = $3, decided_at = now (), why = 'retried' "
        "WHERE source = $1 AND seq = $2 AND state = 'parked' RETURNING " FAILED_COLUMNS, 3, params);
    return res ? s_decision_reply (call, res, req->source, seq, "parked", output) : sn_call_code (call);
}

//  SkipFailed: the subscriber passes the event. The cursor moves past it in
//  this transaction when it is the next to apply (a passed event's is past
//  it already); a subscriber trying it again meanwhile finds the cursor
//  moved and rolls back (sn_subscriber.c, CURSOR_MOVED).
static int
s_skip_failed (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__SkipFailedRequest *req = (const Snodo__SkipFailedRequest *) input;
    s_check_failed_key (call, req->source, req->seq);
    if (!*req->why)
        sn_call_violation (call, "why", "is required: it is recorded with the decision");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char seq [32];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) req->seq);
    const char *params [4] = {req->source, seq, sn_call_member_id (call), req->why};
    PGresult *res = sn_call_query (call, "skipping the failed event",
        "UPDATE failed_event SET state = 'skipped', passed = true, decided_by = $3, decided_at = now (), why = $4 "
        "WHERE source = $1 AND seq = $2 AND state IN ('parked', 'retrying') RETURNING " FAILED_COLUMNS, 4, params);
    if (!res)
        return sn_call_code (call);
    //  a subscriber's cursor row exists once it applied anything: seq 1 may
    //  be the first (the cursor's insert)
    PGresult *moved = PQntuples (res) != 1 ? NULL : sn_call_query (call, "moving the cursor",
        "INSERT INTO cursor (source, last_seq) VALUES ($1, $2) ON CONFLICT (source) "
        "DO UPDATE SET last_seq = EXCLUDED.last_seq WHERE cursor.last_seq = EXCLUDED.last_seq - 1", 2, params);
    if (PQntuples (res) == 1 && !moved) {
        PQclear (res);
        return sn_call_code (call);
    }
    PQclear (moved);
    return s_decision_reply (call, res, req->source, seq, "parked or retrying", output);
}

const sn_method_t sn_journal_methods [] = {
    SN_METHOD (Replay, s_replay, SN_KIND (SERVICE) | SN_KIND (ADMIN) | SN_KIND (BRIDGE), 0),
    SN_METHOD (Health, s_health, SN_ANY_KIND, SN_NO_DB),
    SN_METHOD (ListAudit, s_list_audit, SN_KIND (ADMIN), 0),
    SN_METHOD (VerifyAudit, s_verify_audit, SN_KIND (ADMIN), 0),
    SN_METHOD (Witnessed, s_witnessed, SN_KIND (SERVICE) | SN_KIND (ADMIN), 0),
    SN_METHOD (Follow, s_follow, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (ListFailed, s_list_failed, SN_KIND (ADMIN), 0),
    SN_METHOD (RetryFailed, s_retry_failed, SN_KIND (ADMIN), SN_WRITE),
    SN_METHOD (SkipFailed, s_skip_failed, SN_KIND (ADMIN), SN_WRITE),
    SN_METHODS_END
};
