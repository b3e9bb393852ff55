/*  The registry's job posts and employers as the service keeps them (from
    the registry's events), and the checks that placing a project on a post
    (PresentProject) makes of them (docs/monitoring.md, "Placing a project
    on a post"). */
#include "monitoring.h"
#include "sn_log.h"
#include <string.h>

#define POST_STATUS(x) SNODO__REGISTRY__POST_STATUS__POST_STATUS_##x
#define MON_SQL_OPEN 1              //  PostStatus
SN_SQL_CHECK (MON_SQL_OPEN, POST_STATUS (OPEN));

static int
s_keep_post (PGconn *db, const Snodo__Event *event)
{
    Snodo__Registry__JobPost *p = snodo__registry__job_post__unpack (NULL, event->body.len, event->body.data);
    if (!p || !sn_is_uuid (p->id) || !sn_is_uuid (p->employer_id)) {
        sn_error ("monitoring: registry event %llu (%s) does not hold a job post; skipped",
                  (unsigned long long) event->seq, event->type);
        if (p)
            snodo__registry__job_post__free_unpacked (p, NULL);
        return 0;
    }
    char status [8], places [16], filled [16];
    snprintf (status, sizeof status, "%d", p->status);
    snprintf (places, sizeof places, "%u", p->places);
    snprintf (filled, sizeof filled, "%u", p->places_filled);
    const char *params [5] = {p->id, p->employer_id, status, places, filled};
    PGresult *res = PQexecParams (db,
        "INSERT INTO post (id, employer_id, status, places, places_filled) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET employer_id = $2, status = $3, places = $4, places_filled = $5, "
        "updated_at = now ()", 5, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        sn_error ("monitoring: could not keep post %s: %s", p->id, PQerrorMessage (db));
    PQclear (res);
    snodo__registry__job_post__free_unpacked (p, NULL);
    return rc;
}

//  A company or cooperative event: its id and name (the first two fields of both).
static int
s_keep_employer (PGconn *db, const Snodo__Event *event, bool company)
{
    const ProtobufCMessageDescriptor *desc = company ? &snodo__registry__company__descriptor
                                                     : &snodo__registry__cooperative__descriptor;
    ProtobufCMessage *msg = protobuf_c_message_unpack (desc, NULL, event->body.len, event->body.data);
    const char *id = msg ? (company ? ((Snodo__Registry__Company *) msg)->id
                                    : ((Snodo__Registry__Cooperative *) msg)->id) : "";
    const char *name = msg ? (company ? ((Snodo__Registry__Company *) msg)->name
                                      : ((Snodo__Registry__Cooperative *) msg)->name) : "";
    int rc = 0;
    if (!sn_is_uuid (id))
        sn_error ("monitoring: registry event %llu (%s) does not hold an employer; skipped",
                  (unsigned long long) event->seq, event->type);
    else {
        const char *params [3] = {id, company ? "company" : "cooperative", name};
        PGresult *res = PQexecParams (db,
            "INSERT INTO employer (id, kind, name) VALUES ($1, $2, $3) "
            "ON CONFLICT (id) DO UPDATE SET kind = $2, name = $3, updated_at = now ()", 3, NULL, params, NULL, NULL, 0);
        rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
        if (rc)
            sn_error ("monitoring: could not keep employer %s: %s", id, PQerrorMessage (db));
        PQclear (res);
    }
    if (msg)
        protobuf_c_message_free_unpacked (msg, NULL);
    return rc;
}

int
mon_registry_org_apply (PGconn *db, const Snodo__Event *event)
{
    if (strncmp (event->type, "registry.post.", 14) == 0)
        return s_keep_post (db, event);
    if (strncmp (event->type, "registry.company.", 17) == 0)
        return s_keep_employer (db, event, true);
    if (strncmp (event->type, "registry.cooperative.", 21) == 0)
        return s_keep_employer (db, event, false);
    return 0;
}

//  The post as the service knows it, with the places other open projects
//  (PROJECT ... SUSPENDED) hold, and the employer; "" columns when unknown.
#define PLACEMENT_SQL \
    "SELECT (SELECT count (*) FROM employer WHERE id = $2::uuid), " \
    "       coalesce (p.employer_id::text, ''), coalesce (p.status, 0), coalesce (p.places, 0), " \
    "       coalesce (p.places_filled, 0), (SELECT count (*) FROM pathway w WHERE w.data->>'postId' = $1::text " \
    "         AND w.state BETWEEN " SN_SQL (MON_SQL_PROJECT) " AND " SN_SQL (MON_SQL_SUSPENDED) " " \
    "         AND w.id <> $3::uuid), p.id IS NOT NULL " \
    "FROM (SELECT 1) AS one LEFT JOIN post p ON p.id = $1::uuid"

static const char *
s_status_name (int status)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&snodo__registry__post_status__descriptor, status);
    return v ? v->name + strlen ("POST_STATUS_") : "UNKNOWN";
}

int
mon_check_placement (sn_call_t *call, const char *pathway_id, const char *post_id, const char *employer_id)
{
    if (!sn_is_uuid (post_id))
        sn_call_violation (call, "post_id", "\"%.40s\" is not a UUID (a job post of the registry)", post_id);
    if (!sn_is_uuid (employer_id))
        sn_call_violation (call, "employer_id", "\"%.40s\" is not a UUID (a company or cooperative of the registry)",
                           employer_id);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    const char *params [3] = {post_id, employer_id, pathway_id};
    PGresult *res = sn_call_query (call, "reading the post", PLACEMENT_SQL, 3, params);
    if (!res)
        return sn_call_code (call);
    bool employer_known = atoi (PQgetvalue (res, 0, 0)) > 0, post_known = PQgetvalue (res, 0, 6) [0] == 't';
    char owner [40];
    snprintf (owner, sizeof owner, "%s", PQgetvalue (res, 0, 1));
    int status = atoi (PQgetvalue (res, 0, 2)), places = atoi (PQgetvalue (res, 0, 3));
    int filled = atoi (PQgetvalue (res, 0, 4)), held = atoi (PQgetvalue (res, 0, 5));
    PQclear (res);
    if (!employer_known)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "employer_id: no company or cooperative %s is "
                             "known here: none in the registry, or its event has not arrived yet (try again in a "
                             "moment)", employer_id);
    if (!post_known)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "post_id: no job post %s is known here: none "
                             "in the registry, or its event has not arrived yet (try again in a moment)", post_id);
    if (!streq (owner, employer_id)) {
        sn_call_violation (call, "post_id", "post %s is employer %s's, not %s's", post_id, owner, employer_id);
        return sn_call_invalid (call);
    }
    if (status != MON_SQL_OPEN)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "post_id: post %s is %s, not OPEN", post_id,
                             s_status_name (status));
    if (places - filled - held <= 0)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "post_id: post %s has no free place: %d "
                             "places, %d filled, %d held by other projects", post_id, places, filled, held);
    return SNODO__CODE__OK;
}
