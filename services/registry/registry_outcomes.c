/*  What a closed pathway changes in the registry (RecordOutcome), told by
    the monitoring service from its monitoring.pathway.closed event: a hire
    fills a place of the post (FILLED when none is left) and, for a person
    under law 68/1999, counts toward the company's covered quota; a return
    to the social services records the commission's outcome and the
    recommended measure on the person. Each pathway's outcome is applied
    once: the table pathway_outcome is claimed first, so an event told
    again (under any request_id) changes nothing twice. */
#include "registry.h"
#include "sn_log.h"
#include <string.h>

#define OUTCOME(x) SNODO__REGISTRY__PATHWAY_OUTCOME__PATHWAY_OUTCOME_##x
#define ROW_JSON \
    "(t.data || jsonb_build_object ('id', t.id, 'createdAt', ms (t.created_at), " \
    "'updatedAt', ms (t.updated_at)))::text"

static const char *const s_drop [] = {"id", "createdAt", "updatedAt", NULL};

static void
s_check (sn_call_t *call, const Snodo__Registry__RecordOutcomeRequest *req)
{
    if (!sn_is_uuid (req->pathway_id))
        sn_call_violation (call, "pathway_id", "\"%.40s\" is not a UUID", req->pathway_id);
    if (!sn_is_uuid (req->person_id))
        sn_call_violation (call, "person_id", "\"%.40s\" is not a UUID", req->person_id);
    sn_check_enum (call, "kind", &snodo__registry__pathway_outcome__descriptor, req->kind, true);
    sn_check_date (call, "date", req->date, true);
    if (req->kind == OUTCOME (HIRED)) {
        if (*req->post_id && !sn_is_uuid (req->post_id))
            sn_call_violation (call, "post_id", "\"%.40s\" is not a UUID", req->post_id);
        if (!sn_is_uuid (req->employer_id))
            sn_call_violation (call, "employer_id", "\"%.40s\" is not a UUID", req->employer_id);
    }
    if (req->kind == OUTCOME (RETURNED)) {
        if (req->work_capacity != SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_POTENZIALE
        &&  req->work_capacity != SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE)
            sn_call_violation (call, "work_capacity", "the commission's outcome is required: POTENZIALE or NON_PRESENTE");
        sn_check_text (call, "recommended_measure", req->recommended_measure, 2000, true);
    }
}

//  Reads one row of table by id, locked, into a message of desc; NULL when
//  there is none (no status set) or on failure (status set).
static ProtobufCMessage *
s_row (sn_call_t *call, const char *table, const ProtobufCMessageDescriptor *desc, const char *id)
{
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT " ROW_JSON " FROM %s t WHERE id = $1::uuid FOR UPDATE", table);
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the record", sql, 1, params);
    if (!res)
        return NULL;
    ProtobufCMessage *msg = PQntuples (res) ? reg_message_from_json (call, desc, PQgetvalue (res, 0, 0)) : NULL;
    PQclear (res);
    return msg;
}

//  Writes a changed row's data (and status or uncovered, the column
//  column) back and emits event with the message. Returns a code.
static int
s_write (sn_call_t *call, const char *sql, const char *id, unsigned column, const ProtobufCMessage *msg,
         const char *event)
{
    char *data = reg_storage_json (msg, s_drop);
    char value [16];
    snprintf (value, sizeof value, "%u", column);
    const char *params [3] = {id, value, data};
    PGresult *res = sn_call_query (call, "saving the record", sql, 3, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return sn_call_event (call, event, id, NULL, msg) ? sn_call_code (call) : SNODO__CODE__OK;
}

//  A hire fills a place of the pathway's post, when the post is the hiring
//  employer's and has one free: places_filled + 1, FILLED when none is left.
static int
s_fill_place (sn_call_t *call, const Snodo__Registry__RecordOutcomeRequest *req,
              Snodo__Registry__RecordOutcomeReply *reply)
{
    if (!*req->post_id)
        return SNODO__CODE__OK;
    Snodo__Registry__JobPost *post = (Snodo__Registry__JobPost *) s_row (call, "job_post",
        &snodo__registry__job_post__descriptor, req->post_id);
    if (!post)
        return sn_call_code (call);
    int code = SNODO__CODE__OK;
    if (!streq (post->employer_id, req->employer_id))
        sn_info ("registry: pathway %s hired by %s, not by post %s's employer: no place filled",
                 req->pathway_id, req->employer_id, post->id);
    else
    if (post->places_filled >= post->places)
        sn_warning ("registry: pathway %s hired on post %s, whose %u places were filled already",
                    req->pathway_id, post->id, post->places);
    else {
        post->places_filled++;
        if (post->places_filled == post->places)
            post->status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_FILLED;
        code = s_write (call, "UPDATE job_post SET status = $2::int, data = $3, updated_at = now () WHERE id = $1",
                        post->id, post->status, &post->base, "registry.post.updated");
        if (code == SNODO__CODE__OK) {
            reply->post = post;
            return code;
        }
    }
    protobuf_c_message_free_unpacked (&post->base, NULL);
    return code;
}

//  A hire of a person under law 68/1999 by a company counts toward its
//  quota: one more disabled worker employed, the uncovered part follows.
static int
s_count_quota (sn_call_t *call, const Snodo__Registry__RecordOutcomeRequest *req,
               Snodo__Registry__RecordOutcomeReply *reply)
{
    Snodo__Registry__Company *c = (Snodo__Registry__Company *) s_row (call, "company",
        &snodo__registry__company__descriptor, req->employer_id);
    if (!c)
        return sn_call_code (call);     //  OK when a cooperative hired: no quota
    int code = SNODO__CODE__OK;
    if (c->disabled_employed >= c->employees)
        sn_warning ("registry: company %s counts %u disabled workers of %u employees already: the hire of "
                    "pathway %s is not counted", c->id, c->disabled_employed, c->employees, req->pathway_id);
    else {
        c->disabled_employed++;
        c->quota = registry_law68_quota (c->employees);
        c->uncovered = c->disabled_employed >= c->quota ? 0 : c->quota - c->disabled_employed;
        code = s_write (call, "UPDATE company SET uncovered = $2::int, data = $3, updated_at = now () WHERE id = $1",
                        c->id, c->uncovered, &c->base, "registry.company.updated");
        if (code == SNODO__CODE__OK) {
            reply->company = c;
            return code;
        }
    }
    protobuf_c_message_free_unpacked (&c->base, NULL);
    return code;
}

//  A return: the commission's outcome, its date and the recommended measure on the person.
static int
s_return (sn_call_t *call, const Snodo__Registry__RecordOutcomeRequest *req, Snodo__Registry__Person *p,
          Snodo__Registry__RecordOutcomeReply *reply)
{
    p->work_capacity = req->work_capacity;
    sn_set_string (&p->commission_date, req->date);
    sn_set_string (&p->commission_measure, req->recommended_measure);
    ProtobufCMessage *stored = NULL;
    int code = reg_person_update (call, p, "registry.person.updated", &stored);
    if (code == SNODO__CODE__OK)
        reply->person = (Snodo__Registry__Person *) stored;
    return code;
}

//  Claims the pathway's outcome. Returns 1 when it is new, 0 when it was
//  recorded already, -1 on failure (status set).
static int
s_claim (sn_call_t *call, const Snodo__Registry__RecordOutcomeRequest *req)
{
    char kind [8];
    snprintf (kind, sizeof kind, "%d", req->kind);
    const char *params [5] = {req->pathway_id, req->person_id, kind, req->date, sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the pathway's outcome",
        "INSERT INTO pathway_outcome (pathway_id, person_id, kind, date, recorded_by) "
        "VALUES ($1, $2, $3::int, $4::date, $5) ON CONFLICT (pathway_id) DO NOTHING", 5, params);
    if (!res)
        return -1;
    int claimed = atoi (PQcmdTuples (res)) == 1;
    PQclear (res);
    return claimed;
}

static int
s_record_outcome (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__RecordOutcomeRequest *req = (const void *) input;
    s_check (call, req);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Registry__Person *p = reg_person_load (call, req->person_id, true);
    if (!p)
        return sn_call_code (call);
    Snodo__Registry__RecordOutcomeReply *reply = (Snodo__Registry__RecordOutcomeReply *)
        sn_message_new (&snodo__registry__record_outcome_reply__descriptor);
    reply->law68 = p->invalidity_percent > REGISTRY_LAW68_INVALIDITY;
    int claimed = s_claim (call, req);
    int code = claimed < 0 ? sn_call_code (call) : SNODO__CODE__OK;
    reply->applied = claimed == 1;
    if (claimed == 1 && req->kind == OUTCOME (HIRED)) {
        code = s_fill_place (call, req, reply);
        if (code == SNODO__CODE__OK && reply->law68)
            code = s_count_quota (call, req, reply);
    }
    if (claimed == 1 && req->kind == OUTCOME (RETURNED))
        code = s_return (call, req, p, reply);
    if (claimed == 1 && code == SNODO__CODE__OK) {
        const char *params [3] = {req->pathway_id, reply->post ? reply->post->id : NULL,
                                  reply->company ? reply->company->id : NULL};
        PGresult *res = sn_call_query (call, "recording what the outcome changed",
            "UPDATE pathway_outcome SET post_id = $2::uuid, company_id = $3::uuid WHERE pathway_id = $1", 3, params);
        code = res ? SNODO__CODE__OK : sn_call_code (call);
        PQclear (res);
    }
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t registry_outcome_methods [] = {
    SN_METHOD (RecordOutcome, s_record_outcome, SN_KIND (SERVICE) | SN_KIND (ADMIN), SN_WRITE | SN_PERSONAL),
    SN_METHODS_END
};
