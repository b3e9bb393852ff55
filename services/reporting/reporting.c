/*  The reporting service: its method table, handlers and state. Every
    report request, allowed or refused, writes an audit entry ("report:KIND",
    and each person a member's own pathways list). The runtime's kind check
    audits nothing, so the table admits any kind and each handler checks
    rep_kind_may_report itself, after naming its audit subject. */
#include "reporting.h"
#include "sn_log.h"
#include "sn_check.h"
#include "sn_client.h"
#include <sodium.h>
#include <string.h>

#define CODE(x) SNODO__CODE__##x
#define LINK_SECONDS 300

struct _reporting_t {
    sn_auth_t *auth;                //  the members (borrowed)
    uint32_t threshold;             //  counts 1..threshold hidden
    char *dashboard_url;            //  where the links point
    zcert_t *cert;                  //  ours, to replay the sources (borrowed)
    char *sources [2][2];           //  registry, monitoring: request endpoint, public key
};

reporting_t *
reporting_new (sn_auth_t *auth, uint32_t threshold, const char *dashboard_url)
{
    reporting_t *self = (reporting_t *) zmalloc (sizeof (reporting_t));
    self->auth = auth;
    self->threshold = threshold ? threshold : REPORTING_THRESHOLD;
    self->dashboard_url = strdup (dashboard_url ? dashboard_url : "");
    return self;
}

void
reporting_destroy (reporting_t **self_p)
{
    reporting_t *self = *self_p;
    if (!self)
        return;
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            free (self->sources [i][k]);
    free (self->dashboard_url);
    free (self);
    *self_p = NULL;
}

void
reporting_set_sources (reporting_t *self, zcert_t *cert, const char *registry_request, const char *registry_key,
                       const char *monitoring_request, const char *monitoring_key)
{
    self->cert = cert;
    const char *values [2][2] = {{registry_request, registry_key}, {monitoring_request, monitoring_key}};
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++) {
            free (self->sources [i][k]);
            self->sources [i][k] = values [i][k] ? strdup (values [i][k]) : NULL;
        }
}

uint32_t reporting_threshold (reporting_t *self) { return self->threshold; }
sn_auth_t *reporting_members (reporting_t *self) { return self->auth; }

//  Audits the call under subject and refuses the kinds that may not report.
//  Returns OK or PERMISSION_DENIED (set).
static int
s_admit (sn_call_t *call, const char *subject)
{
    sn_call_audit (call, subject);
    if (rep_kind_may_report (sn_call_member_kind (call)))
        return CODE (OK);
    return sn_call_fail (call, CODE (PERMISSION_DENIED), "reporting.%s is not allowed to members of kind %s",
                         sn_call_method (call), sn_member_kind_name (sn_call_member_kind (call)));
}

static int
s_report (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output, rep_kind_t kind)
{
    reporting_t *self = (reporting_t *) sn_call_state (call);
    char subject [64];
    snprintf (subject, sizeof subject, "report:%s", rep_kind_name (kind));
    if (s_admit (call, subject) != CODE (OK))
        return sn_call_code (call);
    rep_viewer_t viewer = {sn_call_member_id (call), sn_call_member_kind (call), self->threshold, self->auth};
    rep_error_t err;
    zlistx_t *persons = NULL;
    Snodo__Reporting__Report *report = rep_report_build (
        sn_call_db (call), kind, (const Snodo__Reporting__ReportRequest *) input, &viewer, &persons, &err);
    for (const char *p = persons ? zlistx_first (persons) : NULL; p; p = zlistx_next (persons))
        sn_call_audit (call, p);
    zlistx_destroy (&persons);
    if (!report && *err.field) {
        sn_call_violation (call, err.field, "%s", err.message);
        return sn_call_invalid (call);
    }
    if (!report)
        return sn_call_fail (call, err.code, "%s", err.message);
    *output = &report->base;
    return CODE (OK);
}

static int
s_get_indicators (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_report (call, input, output, REP_INDICATORS);
}

static int
s_get_outcomes (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_report (call, input, output, REP_OUTCOMES);
}

static int
s_get_standards (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_report (call, input, output, REP_STANDARDS);
}

static int
s_get_network (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_report (call, input, output, REP_NETWORK);
}

static int
s_list_own_pathways (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_report (call, input, output, REP_PATHWAYS);
}

int
reporting_new_link (reporting_t *self, PGconn *db, const char *member_id, char *url, size_t size,
                    int64_t *expires_at)
{
    uint8_t token [32], hash [crypto_hash_sha256_BYTES];
    char hex [65];
    randombytes_buf (token, sizeof token);
    sodium_bin2hex (hex, sizeof hex, token, sizeof token);
    crypto_hash_sha256 (hash, (const uint8_t *) hex, 64);
    char seconds [16];
    snprintf (seconds, sizeof seconds, "%d", LINK_SECONDS);
    const char *params [3] = {(const char *) hash, member_id, seconds};
    int lengths [3] = {sizeof hash, 0, 0}, formats [3] = {1, 0, 0};
    PGresult *res = PQexecParams (db,
        "INSERT INTO dashboard_link (token_hash, member_id, expires_at) "
        "VALUES ($1, $2, now () + make_interval (secs => $3::int)) "
        "RETURNING (extract (epoch FROM expires_at) * 1000)::bigint", 3, NULL, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1 ? 0 : -1;
    if (rc == 0) {
        *expires_at = atoll (PQgetvalue (res, 0, 0));
        snprintf (url, size, "%s/auth?t=%s", self->dashboard_url, hex);
    }
    else
        sn_error ("reporting: could not write a dashboard link: %s", PQerrorMessage (db));
    PQclear (res);
    sodium_memzero (hex, sizeof hex);
    return rc;
}

static int
s_create_dashboard_link (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    reporting_t *self = (reporting_t *) sn_call_state (call);
    if (s_admit (call, "dashboard:link") != CODE (OK))
        return sn_call_code (call);
    Snodo__Reporting__DashboardLink *link =
        (Snodo__Reporting__DashboardLink *) sn_message_new (&snodo__reporting__dashboard_link__descriptor);
    char url [512];
    if (reporting_new_link (self, sn_call_db (call), sn_call_member_id (call), url, sizeof url, &link->expires_at)) {
        protobuf_c_message_free_unpacked (&link->base, NULL);
        return sn_call_fail (call, CODE (UNAVAILABLE), "could not write the link; try again");
    }
    link->url = strdup (url);
    *output = &link->base;
    return CODE (OK);
}

//  --- Rebuild: the aggregates again from the sources' Replay -----------------------

//  Replays source i from seq 1 to upto into db. Returns events applied, or -1.
static int64_t
s_replay (reporting_t *self, sn_call_t *call, int i, uint64_t upto)
{
    sn_client_t *client = sn_client_new (self->sources [i][0], self->cert, self->sources [i][1]);
    if (!client)
        return -1;
    sn_client_set_deadline (client, 10000);
    int64_t applied = 0;
    uint64_t next = 1;
    while (next <= upto && applied >= 0) {
        Snodo__ReplayRequest req = SNODO__REPLAY_REQUEST__INIT;
        req.from_seq = next;
        req.max = 1000;
        Snodo__ReplayReply *reply = NULL;
        sn_result_t result;
        int code = sn_client_call (client, "journal.Replay", "", &req.base, &snodo__replay_reply__descriptor,
                                   (ProtobufCMessage **) &reply, &result);
        if (code != CODE (OK) || !reply || reply->n_events == 0) {
            sn_call_fail (call, CODE (UNAVAILABLE), "%s did not replay from %llu: %s", i ? "monitoring" : "registry",
                          (unsigned long long) next, code != CODE (OK) ? result.message : "no events");
            applied = -1;
        }
        for (size_t k = 0; applied >= 0 && k < reply->n_events && reply->events [k]->seq <= upto; k++) {
            if (reporting_apply_rows (sn_call_db (call), reply->events [k])) {
                sn_call_fail (call, CODE (INTERNAL), "could not apply event %llu again",
                              (unsigned long long) reply->events [k]->seq);
                applied = -1;
            }
            else {
                applied++;
                next = reply->events [k]->seq + 1;
            }
        }
        if (applied >= 0 && reply->events [reply->n_events - 1]->seq >= upto)
            next = upto + 1;
        if (reply)
            protobuf_c_message_free_unpacked (&reply->base, NULL);
    }
    sn_client_destroy (&client);
    return applied;
}

static int
s_rebuild (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    reporting_t *self = (reporting_t *) sn_call_state (call);
    sn_call_audit (call, "report:rebuild");
    if (!self->sources [0][0] || !self->sources [1][0])
        return sn_call_fail (call, CODE (FAILED_PRECONDITION), "the config names no registry or monitoring to replay");
    //  the followers wait on these locks until the rebuild commits, then go
    //  on from their cursors, which the rebuild leaves where they were
    PGresult *res = sn_call_query (call, "locking the aggregates",
        "LOCK TABLE person, pathway, delivery, overdue, company, contrib, cube, margin IN ACCESS EXCLUSIVE MODE", 0, NULL);
    PQclear (res);
    if (!res)
        return sn_call_code (call);
    res = sn_call_query (call, "reading the cursors",
        "SELECT coalesce ((SELECT last_seq FROM cursor WHERE source = 'registry' FOR UPDATE), 0), "
        "       coalesce ((SELECT last_seq FROM cursor WHERE source = 'monitoring' FOR UPDATE), 0)", 0, NULL);
    if (!res)
        return sn_call_code (call);
    uint64_t upto [2] = {strtoull (PQgetvalue (res, 0, 0), NULL, 10), strtoull (PQgetvalue (res, 0, 1), NULL, 10)};
    PQclear (res);
    res = sn_call_query (call, "emptying the aggregates",
                         "TRUNCATE person, pathway, delivery, overdue, company, contrib, cube, margin", 0, NULL);
    PQclear (res);
    if (!res)
        return sn_call_code (call);
    Snodo__Reporting__RebuildReply *reply =
        (Snodo__Reporting__RebuildReply *) sn_message_new (&snodo__reporting__rebuild_reply__descriptor);
    for (int i = 0; i < 2; i++) {
        int64_t n = upto [i] ? s_replay (self, call, i, upto [i]) : 0;
        if (n < 0) {
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return sn_call_code (call);
        }
        reply->events += (uint64_t) n;
    }
    if (reporting_recompute (sn_call_db (call))) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return sn_call_fail (call, CODE (INTERNAL), "could not recompute the aggregates");
    }
    res = sn_call_query (call, "counting", "SELECT (SELECT count (*) FROM pathway), (SELECT count (*) FROM person)",
                         0, NULL);
    if (res) {
        reply->pathways = strtoull (PQgetvalue (res, 0, 0), NULL, 10);
        reply->persons = strtoull (PQgetvalue (res, 0, 1), NULL, 10);
        PQclear (res);
    }
    *output = &reply->base;
    return CODE (OK);
}

static const sn_method_t s_methods [] = {
    //  any kind: the handlers audit, then refuse those rep_kind_may_report refuses
    SN_METHOD (GetIndicators, s_get_indicators, SN_ANY_KIND, 0),
    SN_METHOD (GetOutcomes, s_get_outcomes, SN_ANY_KIND, 0),
    SN_METHOD (GetStandards, s_get_standards, SN_ANY_KIND, 0),
    SN_METHOD (GetNetwork, s_get_network, SN_ANY_KIND, 0),
    SN_METHOD (ListOwnPathways, s_list_own_pathways, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (CreateDashboardLink, s_create_dashboard_link, SN_ANY_KIND, SN_WRITE),
    SN_METHOD (Rebuild, s_rebuild, SN_KIND (ADMIN), SN_WRITE),
    SN_METHODS_END
};

sn_service_t
reporting_service (reporting_t *self)
{
    sn_service_t service = {
        .name = "reporting",
        .descriptor = &snodo__reporting__reporting__descriptor,
        .methods = s_methods,
        .migrations = reporting_migrations,
        .state = self,
    };
    return service;
}
