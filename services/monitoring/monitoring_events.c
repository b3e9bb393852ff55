/*  Events in: the registry's persons (a copy of what the service needs), the
    matching service's accepted proposals, and the forwarder that tells the
    registry who is in a person's team and what a closed pathway changes. */
#include "monitoring.h"
#include "sn_log.h"
#include <string.h>

//  The registry's person events whose body is a Person.
static const char *const s_person_events [] = {
    "registry.person.created", "registry.person.updated", "registry.person.profile_set",
    "registry.person.constraints_set", "registry.person.consent_granted",
    "registry.person.consent_revoked", NULL};

static bool
s_person_event (const Snodo__Event *event)
{
    bool wanted = false;
    for (int i = 0; s_person_events [i] && !wanted; i++)
        wanted = streq (event->type, s_person_events [i]);
    return wanted;
}

int
monitoring_registry_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    if (!s_person_event (event))
        return mon_registry_org_apply (db, event);
    Snodo__Registry__Person *person = snodo__registry__person__unpack (NULL, event->body.len, event->body.data);
    if (!person || !*person->id) {
        sn_error ("monitoring: registry event %llu (%s) does not hold a person; skipped",
                    (unsigned long long) event->seq, event->type);
        if (person)
            snodo__registry__person__free_unpacked (person, NULL);
        return 0;       //  retrying would not make it readable
    }
    char invalidity [16];
    snprintf (invalidity, sizeof invalidity, "%u", person->invalidity_percent);
    const char *params [5] = {person->id, person->referring_member_id, person->ambito, invalidity,
                              person->referred_via};
    PGresult *res = PQexecParams (db,
        "INSERT INTO person (id, referring_member_id, ambito, invalidity_percent, referred_via) "
        "VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET referring_member_id = $2, ambito = $3, invalidity_percent = $4, "
        "referred_via = $5, updated_at = now ()", 5, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        sn_error ("monitoring: could not keep person %s: %s", person->id, PQerrorMessage (db));
    PQclear (res);
    snodo__registry__person__free_unpacked (person, NULL);
    return rc;
}

//  The persons of a page's person events, each once as its last event says
//  (a later event of a person replaces what an earlier one said).
static size_t
s_page_persons (Snodo__Event *const *events, size_t n, Snodo__Registry__Person **persons)
{
    size_t kept = 0;
    zhashx_t *places = zhashx_new ();       //  a person's id -> 1 + its place in persons
    for (size_t i = 0; i < n; i++) {
        if (!s_person_event (events [i]))
            continue;
        Snodo__Registry__Person *p =
            snodo__registry__person__unpack (NULL, events [i]->body.len, events [i]->body.data);
        if (!p || !*p->id) {
            sn_error ("monitoring: registry event %llu (%s) does not hold a person; skipped",
                        (unsigned long long) events [i]->seq, events [i]->type);
            if (p)
                snodo__registry__person__free_unpacked (p, NULL);
            continue;
        }
        size_t k = (size_t) zhashx_lookup (places, p->id);
        if (k)
            snodo__registry__person__free_unpacked (persons [k - 1], NULL);
        else {
            k = ++kept;
            zhashx_insert (places, p->id, (void *) k);
        }
        persons [k - 1] = p;
    }
    zhashx_destroy (&places);
    return kept;
}

int
monitoring_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    for (size_t i = 0; i < n; i++)
        if (!s_person_event (events [i]) && mon_registry_org_apply (db, events [i]))
            return -1;
    Snodo__Registry__Person **persons = (Snodo__Registry__Person **) calloc (n ? n : 1, sizeof (void *));
    assert (persons);
    size_t kept = s_page_persons (events, n, persons);
    sn_array_t a [5];
    for (int k = 0; k < 5; k++)
        a [k] = (sn_array_t) SN_ARRAY_INIT;
    for (size_t i = 0; i < kept; i++) {
        sn_array_text (&a [0], persons [i]->id);
        sn_array_text (&a [1], persons [i]->referring_member_id);
        sn_array_text (&a [2], persons [i]->ambito);
        sn_array_int (&a [3], persons [i]->invalidity_percent);
        sn_array_text (&a [4], persons [i]->referred_via);
        snodo__registry__person__free_unpacked (persons [i], NULL);
    }
    free (persons);
    const char *params [5];
    for (int k = 0; k < 5; k++)
        params [k] = sn_array_end (&a [k]);
    PGresult *res = kept == 0 ? NULL : PQexecParams (db,
        "INSERT INTO person (id, referring_member_id, ambito, invalidity_percent, referred_via) "
        "SELECT i::uuid, r, a, v, w FROM unnest ($1::text [], $2::text [], $3::text [], $4::integer [], "
        "$5::text []) AS u (i, r, a, v, w) ON CONFLICT (id) DO UPDATE SET "
        "referring_member_id = excluded.referring_member_id, ambito = excluded.ambito, "
        "invalidity_percent = excluded.invalidity_percent, referred_via = excluded.referred_via, "
        "updated_at = now ()", 5, NULL, params, NULL, NULL, 0);
    int rc = kept == 0 || PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        sn_error ("monitoring: could not keep %zu persons: %s", kept, PQerrorMessage (db));
    PQclear (res);
    for (int k = 0; k < 5; k++)
        sn_array_free (&a [k]);
    return rc;
}

//  The day an accepted proposal moves its pathway to PROJECT: the day it was
//  answered (today when matching gave none), never before the pathway's last
//  transition (an acceptance cannot be refused here: it is logged and
//  raised to that day). Records the transition on p and in db. 0 or -1.
static int
s_accepted_on (PGconn *db, Snodo__Monitoring__Pathway *p, const Snodo__Matching__Proposal *proposal,
               monitoring_t *self, const char *note)
{
    char date [11];
    if (self)
        monitoring_today (self, date);
    else
        mon_date_today (date);
    if (sn_date_valid (proposal->answered_on))
        memcpy (date, proposal->answered_on, sizeof date);
    const char *last = mon_history_last (p);
    if (strcmp (date, last) < 0) {
        sn_info ("monitoring: proposal %s accepted on %s, before pathway %s's last transition on %s: "
                 "dated %s", proposal->id, date, p->id, last, last);
        snprintf (date, sizeof date, "%s", last);
    }
    mon_history_append (p, MON_STATE (MATCHING), date, proposal->answered_by, note);
    char from [8], to [8];
    snprintf (from, sizeof from, "%d", MON_STATE (MATCHING));
    snprintf (to, sizeof to, "%d", MON_STATE (PROJECT));
    const char *params [6] = {p->id, from, to, date, proposal->answered_by, note};
    PGresult *res = PQexecParams (db, MON_TRANSITION_SQL, 6, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        sn_error ("monitoring: could not record pathway %s's transition: %s", p->id, PQerrorMessage (db));
    PQclear (res);
    return rc;
}

//  Moves a MATCHING pathway to PROJECT for an accepted proposal, in the
//  subscriber's transaction, with the monitoring.pathway.project event,
//  dated the day the proposal was answered.
int
monitoring_matching_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    if (!streq (event->type, "matching.proposal.accepted"))
        return 0;
    Snodo__Matching__Proposal *proposal =
        snodo__matching__proposal__unpack (NULL, event->body.len, event->body.data);
    if (!proposal || !sn_is_uuid (proposal->person_id)
    ||  (*proposal->pathway_id && !sn_is_uuid (proposal->pathway_id))) {
        sn_error ("monitoring: matching event %llu does not hold a proposal; skipped",
                    (unsigned long long) event->seq);
        if (proposal)
            snodo__matching__proposal__free_unpacked (proposal, NULL);
        return 0;
    }
    const char *params [2] = {proposal->person_id, *proposal->pathway_id ? proposal->pathway_id : NULL};
    PGresult *res = PQexecParams (db,
        "SELECT " MON_PATHWAY_JSON " FROM pathway p WHERE p.person_id = $1 AND p.state = " SN_SQL (MON_SQL_MATCHING) " "
        "AND ($2::uuid IS NULL OR p.id = $2::uuid) FOR UPDATE", 2, NULL, params, NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_error ("monitoring: could not read the pathway of proposal %s: %s", proposal->id,
                    PQerrorMessage (db));
        rc = -1;
    }
    else
    if (PQntuples (res) != 1)
        sn_info ("monitoring: accepted proposal %s: %s pathway in MATCHING for person %s; nothing done",
                   proposal->id, PQntuples (res) ? "more than one" : "no", proposal->person_id);
    else {
        char err [256];
        Snodo__Monitoring__Pathway *p = (Snodo__Monitoring__Pathway *) sn_json_to_message (
            &snodo__monitoring__pathway__descriptor, PQgetvalue (res, 0, 0), err, sizeof err);
        if (!p)
            rc = -1;
        else {
            p->state = MON_STATE (PROJECT);
            sn_set_string (&p->post_id, proposal->post_id);
            sn_set_string (&p->employer_id, proposal->employer_id);
            char note [128];
            snprintf (note, sizeof note, "matching proposal %.40s accepted", proposal->id);
            sn_set_string (&p->note, note);
            char *data = mon_storage_json (p);
            const char *update [3] = {p->id, p->employer_id, data};
            PGresult *up = PQexecParams (db,
                "UPDATE pathway SET state = " SN_SQL (MON_SQL_PROJECT) ", employer_id = $2, data = $3, version = version + 1, "
                "updated_at = now () WHERE id = $1 RETURNING version, ms (updated_at)",
                3, NULL, update, NULL, NULL, 0);
            if (PQresultStatus (up) == PGRES_TUPLES_OK && PQntuples (up) == 1
            &&  s_accepted_on (db, p, proposal, (monitoring_t *) arg, note) == 0) {
                p->version = (uint32_t) atoi (PQgetvalue (up, 0, 0));
                p->updated_at = atoll (PQgetvalue (up, 0, 1));
                if (p->presentation) {
                    //  events do not carry the presentation form (see mon_pathway_event)
                    protobuf_c_message_free_unpacked (&p->presentation->base, NULL);
                    p->presentation = NULL;
                }
                size_t size = protobuf_c_message_get_packed_size (&p->base);
                uint8_t *body = (uint8_t *) malloc (size ? size : 1);
                protobuf_c_message_pack (&p->base, body);
                const char *row [2] = {p->id, (const char *) body};
                int lengths [2] = {0, (int) size};
                int formats [2] = {0, 1};
                PGresult *out = PQexecParams (db,
                    "INSERT INTO outbox (type, subject, body) VALUES ('monitoring.pathway.project', $1, $2)",
                    2, NULL, row, lengths, formats, 0);
                rc = PQresultStatus (out) == PGRES_COMMAND_OK ? 0 : -1;
                PQclear (out);
                free (body);
                if (rc == 0)
                    sn_info ("monitoring: pathway %s to PROJECT (proposal %s accepted)", p->id, proposal->id);
            }
            else
                rc = -1;
            if (rc)
                sn_error ("monitoring: could not move pathway %s to PROJECT: %s", p->id, PQerrorMessage (db));
            PQclear (up);
            free (data);
            protobuf_c_message_free_unpacked (&p->base, NULL);
        }
    }
    PQclear (res);
    snodo__matching__proposal__free_unpacked (proposal, NULL);
    return rc;
}

//  --- the forwarder: team changes and outcomes to the registry ------------------------

struct _mon_forwarder_t {
    sn_client_t *registry;          //  as the service
    zactor_t *subscriber;           //  on our own events
};

//  What the registry answered to a change told with an event's id: 0 when
//  done or refused (logged: trying again would not help), SN_APPLY_AGAIN
//  when it is away or busy (never parked), SN_APPLY_FAILED when it failed.
static int
s_told (int code, const sn_result_t *result, const char *what, const char *subject)
{
    if (code == SNODO__CODE__OK) {
        sn_debug ("monitoring: registry told: %s of %s", what, subject);
        return 0;
    }
    if (code == SNODO__CODE__DEADLINE_EXCEEDED || code == SNODO__CODE__UNAVAILABLE
    ||  code == SNODO__CODE__ABORTED) {
        sn_warning ("monitoring: the registry did not take the %s (%s): will try again", what, sn_code_name (code));
        return SN_APPLY_AGAIN;
    }
    if (code == SNODO__CODE__INTERNAL) {
        sn_subscriber_error ("the registry failed on the %s: %s", what, result->message);
        return SN_APPLY_FAILED;
    }
    sn_error ("monitoring: the registry refused the %s of %s: %s %s", what, subject, sn_code_name (code),
              result->message);
    return 0;
}

//  Tells the registry of a team change, with the event's id as request_id:
//  a retry (after a crash, or the registry down) is applied once there.
static int
s_forward_team (mon_forwarder_t *self, const Snodo__Event *event, bool added)
{
    Snodo__Monitoring__TeamMember *m =
        snodo__monitoring__team_member__unpack (NULL, event->body.len, event->body.data);
    if (!m) {
        sn_error ("monitoring: team event %llu is malformed; skipped", (unsigned long long) event->seq);
        return 0;
    }
    Snodo__Registry__TeamRequest req = SNODO__REGISTRY__TEAM_REQUEST__INIT;
    req.person_id = m->person_id;
    req.member_id = m->member_id;
    req.pathway_id = m->pathway_id;
    sn_result_t result;
    int code = sn_client_call_id (self->registry, event->event_id.data,
                                  added ? "registry.AddTeamMember" : "registry.RemoveTeamMember",
                                  "placement", &req.base, NULL, NULL, &result);
    int rc = s_told (code, &result, added ? "team member added" : "team member removed", m->person_id);
    snodo__monitoring__team_member__free_unpacked (m, NULL);
    return rc;
}

//  The registry's PathwayOutcome numbers monitoring's OutcomeKind's.
SN_SQL_CHECK ((int) SNODO__REGISTRY__PATHWAY_OUTCOME__PATHWAY_OUTCOME_HIRED,
              (int) SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED);
SN_SQL_CHECK ((int) SNODO__REGISTRY__PATHWAY_OUTCOME__PATHWAY_OUTCOME_RETURNED,
              (int) SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED);

//  Tells the registry of a hire or a return (RecordOutcome), with the
//  event's id as request_id; an interruption changes nothing there.
static int
s_forward_outcome (mon_forwarder_t *self, const Snodo__Event *event)
{
    Snodo__Monitoring__Pathway *p = snodo__monitoring__pathway__unpack (NULL, event->body.len, event->body.data);
    if (!p || !p->outcome) {
        sn_error ("monitoring: closed event %llu is malformed; skipped", (unsigned long long) event->seq);
        if (p)
            snodo__monitoring__pathway__free_unpacked (p, NULL);
        return 0;
    }
    const Snodo__Monitoring__Outcome *o = p->outcome;
    int rc = 0;
    if (o->kind == SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED
    ||  o->kind == SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED) {
        Snodo__Registry__RecordOutcomeRequest req = SNODO__REGISTRY__RECORD_OUTCOME_REQUEST__INIT;
        req.pathway_id = p->id;
        req.person_id = p->person_id;
        req.kind = (Snodo__Registry__PathwayOutcome) o->kind;
        req.date = o->date;
        req.post_id = p->post_id;
        req.employer_id = o->employer_id;
        req.work_capacity = o->work_capacity;
        req.recommended_measure = o->recommended_measure;
        sn_result_t result;
        int code = sn_client_call_id (self->registry, event->event_id.data, "registry.RecordOutcome", "placement",
                                      &req.base, NULL, NULL, &result);
        rc = s_told (code, &result, "pathway's outcome", p->id);
    }
    snodo__monitoring__pathway__free_unpacked (p, NULL);
    return rc;
}

//  The forwarder's apply: team changes and closes go to the registry.
static int
s_forward (PGconn *db, const Snodo__Event *event, void *arg)
{
    (void) db;
    mon_forwarder_t *self = (mon_forwarder_t *) arg;
    if (event->event_id.len != 16) {
        sn_error ("monitoring: event %llu has no id; skipped", (unsigned long long) event->seq);
        return 0;
    }
    if (streq (event->type, "monitoring.team.member_added"))
        return s_forward_team (self, event, true);
    if (streq (event->type, "monitoring.team.member_removed"))
        return s_forward_team (self, event, false);
    if (streq (event->type, "monitoring.pathway.closed"))
        return s_forward_outcome (self, event);
    return 0;
}

mon_forwarder_t *
mon_forwarder_new (const char *own_request, const char *own_events, zcert_t *cert, const char *conninfo,
                   const char *registry_request, const char *registry_key, sn_metrics_t *metrics)
{
    mon_forwarder_t *self = (mon_forwarder_t *) zmalloc (sizeof (mon_forwarder_t));
    self->registry = sn_client_new (registry_request, cert, registry_key);
    if (!self->registry) {
        free (self);
        return NULL;
    }
    sn_client_set_deadline (self->registry, 5000);
    sn_client_set_retries (self->registry, 1);
    sn_subscriber_config_t config = {
        .source = "monitoring",
        .events_endpoint = own_events,
        .request_endpoint = own_request,
        .server_key = zcert_public_txt (cert),
        .cert = cert,
        .conninfo = conninfo,
        .schema = "monitoring",
        .apply = s_forward,
        .arg = self,
        .migrations = monitoring_migrations,
        //  a removal undoes an addition: none may be passed
        .metrics = metrics,
    };
    self->subscriber = sn_subscriber_new (&config);
    return self;
}

void
mon_forwarder_destroy (mon_forwarder_t **self_p)
{
    mon_forwarder_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->subscriber);
    sn_client_destroy (&self->registry);
    free (self);
    *self_p = NULL;
}
