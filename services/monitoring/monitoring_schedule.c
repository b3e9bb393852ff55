/*  The schedule: the joint monitoring meeting 20 days after the start, then a
    verification meeting every two months (scheduled at activation, see
    monitoring_pathways.c); meetings recorded with participants and notes;
    overdue meetings listed and, once each, raised as events by the
    scheduler. Company visits. */
#include "monitoring.h"
#include "sn_log.h"
#include <pthread.h>
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))

//  A meeting row as JSON of Meeting, with its overdue flag against $as_of.
#define MEETING_JSON(as_of) \
    "jsonb_build_object ('pathwayId', m.pathway_id, 'personId', p.person_id, 'number', m.number, " \
    " 'kind', m.kind, 'dueOn', coalesce (m.due_on::text, ''), 'status', m.status, " \
    " 'heldOn', coalesce (m.held_on::text, ''), 'participants', to_jsonb (m.participants), " \
    " 'notes', m.notes, 'overdue', m.status = " SN_SQL (MON_SQL_SCHEDULED) " AND p.state = " SN_SQL (MON_SQL_ACTIVE) " " \
    " AND m.due_on < " as_of ")::text"

//  Reads rows of (meeting JSON, person id) into a reply. Returns a code.
static int
s_meetings_reply (sn_call_t *call, PGresult *res, ProtobufCMessage **output)
{
    Snodo__Monitoring__ListMeetingsReply *reply = (Snodo__Monitoring__ListMeetingsReply *)
        sn_message_new (&snodo__monitoring__list_meetings_reply__descriptor);
    int rows = PQntuples (res);
    reply->meetings = (Snodo__Monitoring__Meeting **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        char err [256];
        Snodo__Monitoring__Meeting *m = (Snodo__Monitoring__Meeting *) sn_json_to_message (
            &snodo__monitoring__meeting__descriptor, PQgetvalue (res, i, 0), err, sizeof err);
        if (!m) {
            sn_error ("monitoring: a meeting could not be read: %s", err);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
        }
        sn_call_audit (call, PQgetvalue (res, i, 1));
        reply->meetings [reply->n_meetings++] = m;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  ListMeetings: the pathway's meetings, overdue flagged as of as_of (default today).
static int
s_list_meetings (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListMeetingsRequest *req = (const void *) input;
    sn_check_date (call, "as_of", req->as_of, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    char today [11];
    mon_today (call, today);
    const char *params [2] = {req->pathway_id, *req->as_of ? req->as_of : today};
    PGresult *res = sn_call_query (call, "listing the meetings",
        "SELECT " MEETING_JSON ("$2::date") ", p.person_id FROM meeting m JOIN pathway p ON p.id = m.pathway_id "
        "WHERE m.pathway_id = $1 ORDER BY coalesce (m.due_on, m.held_on), m.id", 2, params);
    if (!res)
        return sn_call_code (call);
    int code = s_meetings_reply (call, res, output);
    PQclear (res);
    return code;
}

//  RecordMeeting: a scheduled meeting held (number), or an extra one (0).
static int
s_record_meeting (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__RecordMeetingRequest *req = (const void *) input;
    char today [11];
    mon_today (call, today);
    mon_check_past (call, "held_on", req->held_on, true, today);
    sn_check_text (call, "notes", req->notes, 8000, false);
    if (req->n_participants == 0)
        sn_call_violation (call, "participants", "at least one is required");
    for (size_t i = 0; i < req->n_participants; i++) {
        char field [40];
        snprintf (field, sizeof field, "participants[%zu]", i);
        sn_check_text (call, field, req->participants [i], 200, true);
    }
    if (req->number > 60)
        sn_call_violation (call, "number", "%u is not a meeting of the schedule (1-60, 0 = extra)", req->number);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (ACTIVE) | BIT (SUSPENDED), "RecordMeeting");
    if (code == SNODO__CODE__OK) {
        mon_check_since_start (call, p, "held_on", req->held_on);
        if (sn_call_violations (call))
            code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    char number [16];
    snprintf (number, sizeof number, "%u", req->number);
    char *participants = sn_text_array (req->participants, req->n_participants);
    const char *params [6] = {req->pathway_id, number, req->held_on, participants, req->notes,
                              sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the meeting", req->number
        ? "UPDATE meeting m SET status = " SN_SQL (MON_SQL_HELD) ", held_on = $3, participants = $4, notes = $5, recorded_by = $6 "
          "FROM pathway p WHERE p.id = m.pathway_id AND m.pathway_id = $1 AND m.number = $2::int "
          "AND m.status <> " SN_SQL (MON_SQL_CANCELLED) " RETURNING " MEETING_JSON ("$3::date")
        : "WITH m AS (INSERT INTO meeting (pathway_id, number, kind, status, held_on, participants, notes, "
          "           recorded_by) VALUES ($1, $2::int, 3, 2, $3, $4, $5, $6) RETURNING *) "
          "SELECT " MEETING_JSON ("$3::date") " FROM m JOIN pathway p ON p.id = m.pathway_id", 6, params);
    free (participants);
    if (!res)
        return sn_call_code (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "pathway %s has no scheduled meeting %u",
                             req->pathway_id, req->number);
    }
    return mon_recorded (call, res, &snodo__monitoring__meeting__descriptor, "monitoring.meeting.recorded",
                         req->pathway_id, person, output);
}

//  Scheduled meetings whose date passed (against as_of, default today) in
//  active pathways the caller may see.
static int
s_list_overdue (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListOverdueRequest *req = (const void *) input;
    sn_check_date (call, "as_of", req->as_of, false);
    if (req->limit > 1000)
        sn_call_violation (call, "limit", "%u is above 1000", req->limit);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char today [11], kind [8], limit [16];
    mon_today (call, today);
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    snprintf (limit, sizeof limit, "%u", req->limit ? req->limit : 200);
    const char *params [5] = {*req->as_of ? req->as_of : today, sn_call_member_id (call), kind, req->ambito, limit};
    PGresult *res = sn_call_query (call, "listing overdue meetings",
        "SELECT " MEETING_JSON ("$1::date") ", p.person_id FROM meeting m JOIN pathway p ON p.id = m.pathway_id "
        "WHERE m.status = " SN_SQL (MON_SQL_SCHEDULED) " AND p.state = " SN_SQL (MON_SQL_ACTIVE) " "
        "AND m.due_on < $1::date AND " MON_MAY_ACCESS
        " AND ($4 = '' OR p.ambito = $4) ORDER BY m.due_on, m.pathway_id LIMIT $5::int", 5, params);
    if (!res)
        return sn_call_code (call);
    int code = s_meetings_reply (call, res, output);
    PQclear (res);
    return code;
}

//  --- company visits ----------------------------------------------------------------

//  AddVisit: a company visit during the placement.
static int
s_add_visit (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__AddVisitRequest *req = (Snodo__Monitoring__AddVisitRequest *) input;
    Snodo__Monitoring__Visit *v = req->visit;
    if (!v) {
        sn_call_violation (call, "visit", "is required");
        return sn_call_invalid (call);
    }
    char today [11];
    mon_today (call, today);
    mon_check_past (call, "visit.visited_on", v->visited_on, true, today);
    sn_check_text (call, "visit.visitor", v->visitor, 200, true);
    sn_check_text (call, "visit.notes", v->notes, 8000, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "visit.pathway_id", v->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (ACTIVE) | BIT (SUSPENDED), "AddVisit");
    if (code == SNODO__CODE__OK) {
        mon_check_since_start (call, p, "visit.visited_on", v->visited_on);
        if (sn_call_violations (call))
            code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    const char *params [5] = {v->pathway_id, v->visited_on, v->visitor, v->notes, sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the visit",
        "INSERT INTO visit (pathway_id, visited_on, visitor, notes, recorded_by) VALUES ($1, $2, $3, $4, $5)",
        5, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    sn_set_string (&v->recorded_by, sn_call_member_id (call));
    if (sn_call_event (call, "monitoring.visit.recorded", v->pathway_id, person, &v->base))
        return sn_call_code (call);
    *output = &v->base;
    req->visit = NULL;              //  moved into the output
    return SNODO__CODE__OK;
}

//  ListVisits: the pathway's company visits in date order.
static int
s_list_visits (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListVisitsRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [1] = {req->pathway_id};
    PGresult *res = sn_call_query (call, "listing the visits",
        "SELECT visited_on::text, visitor, notes, recorded_by FROM visit WHERE pathway_id = $1 "
        "ORDER BY visited_on, id", 1, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__ListVisitsReply *reply = (Snodo__Monitoring__ListVisitsReply *)
        sn_message_new (&snodo__monitoring__list_visits_reply__descriptor);
    int rows = PQntuples (res);
    reply->visits = (Snodo__Monitoring__Visit **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__Visit *v =
            (Snodo__Monitoring__Visit *) sn_message_new (&snodo__monitoring__visit__descriptor);
        v->pathway_id = strdup (req->pathway_id);
        v->visited_on = strdup (PQgetvalue (res, i, 0));
        v->visitor = strdup (PQgetvalue (res, i, 1));
        v->notes = strdup (PQgetvalue (res, i, 2));
        v->recorded_by = strdup (PQgetvalue (res, i, 3));
        reply->visits [reply->n_visits++] = v;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  --- the scheduler: overdue meetings as events -------------------------------------------

int
mon_scheduler_pass (PGconn *db, const char *today)
{
    PGresult *res = PQexec (db, "BEGIN");
    bool ok = PQresultStatus (res) == PGRES_COMMAND_OK;
    PQclear (res);
    if (!ok)
        return -1;
    const char *params [1] = {today};
    res = PQexecParams (db,
        "SELECT m.id, " MEETING_JSON ("$1::date") " FROM meeting m JOIN pathway p ON p.id = m.pathway_id "
        "WHERE m.status = " SN_SQL (MON_SQL_SCHEDULED) " AND p.state = " SN_SQL (MON_SQL_ACTIVE) " "
        "AND m.due_on < $1::date AND m.overdue_notified_at IS NULL "
        "ORDER BY m.due_on LIMIT 500 FOR UPDATE OF m SKIP LOCKED", 1, NULL, params, NULL, NULL, 0);
    int notified = 0;
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_warning ("monitoring: scheduler: could not read the meetings: %s", PQerrorMessage (db));
        notified = -1;
    }
    for (int i = 0; notified >= 0 && i < PQntuples (res); i++) {
        char err [256];
        Snodo__Monitoring__Meeting *m = (Snodo__Monitoring__Meeting *) sn_json_to_message (
            &snodo__monitoring__meeting__descriptor, PQgetvalue (res, i, 1), err, sizeof err);
        if (!m) {
            notified = -1;
            break;
        }
        size_t size = protobuf_c_message_get_packed_size (&m->base);
        uint8_t *body = (uint8_t *) malloc (size ? size : 1);
        protobuf_c_message_pack (&m->base, body);
        const char *row [3] = {m->pathway_id, (const char *) body, PQgetvalue (res, i, 0)};
        int lengths [3] = {0, (int) size, 0};
        int formats [3] = {0, 1, 0};
        PGresult *ins = PQexecParams (db,
            "WITH n AS (UPDATE meeting SET overdue_notified_at = now () WHERE id = $3::bigint) "
            "INSERT INTO outbox (type, subject, body) VALUES ('monitoring.meeting.overdue', $1, $2)",
            3, NULL, row, lengths, formats, 0);
        if (PQresultStatus (ins) != PGRES_COMMAND_OK) {
            sn_warning ("monitoring: scheduler: could not write the event: %s", PQerrorMessage (db));
            notified = -1;
        }
        else
            notified++;
        PQclear (ins);
        free (body);
        protobuf_c_message_free_unpacked (&m->base, NULL);
    }
    PQclear (res);
    res = PQexec (db, notified >= 0 ? "COMMIT" : "ROLLBACK");
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
        notified = -1;
    PQclear (res);
    return notified;
}

typedef struct {
    monitoring_t *service;
    char *conninfo;
    int interval_ms;
} s_scheduler_t;

//  The scheduler's actor: a pass every interval, its own connection,
//  reconnecting when it drops; ends on $TERM.
static void
s_scheduler_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "mon-scheduler");
    s_scheduler_t *self = (s_scheduler_t *) args;
    zsock_signal (pipe, 0);
    PGconn *db = NULL;
    while (!zsys_interrupted) {
        char *command = NULL;
        zpoller_t *poller = zpoller_new (pipe, NULL);
        if (zpoller_wait (poller, self->interval_ms) == pipe)
            command = zstr_recv (pipe);
        bool term = zpoller_terminated (poller) || (command && streq (command, "$TERM"));
        zpoller_destroy (&poller);
        zstr_free (&command);
        if (term)
            break;
        if (!db || PQstatus (db) != CONNECTION_OK) {
            PQfinish (db);
            char err [256];
            db = sn_store_connect (self->conninfo, "monitoring", err, sizeof err);
            if (db && sn_store_migrate (db, "monitoring", monitoring_migrations, err, sizeof err)) {
                PQfinish (db);
                db = NULL;
            }
            if (!db)
                continue;
        }
        char today [11];
        monitoring_today (self->service, today);
        int n = mon_scheduler_pass (db, today);
        if (n > 0)
            sn_info ("monitoring: %d meetings overdue as of %s", n, today);
    }
    PQfinish (db);
    free (self->conninfo);
    free (self);
}

zactor_t *
mon_scheduler_new (monitoring_t *service, const char *conninfo, int interval_ms)
{
    s_scheduler_t *self = (s_scheduler_t *) zmalloc (sizeof (s_scheduler_t));
    self->service = service;
    self->conninfo = strdup (conninfo);
    self->interval_ms = interval_ms > 0 ? interval_ms : 60000;
    return zactor_new (s_scheduler_actor, self);
}

const sn_method_t mon_schedule_methods [] = {
    SN_METHOD (ListMeetings, s_list_meetings, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (RecordMeeting, s_record_meeting, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListOverdue, s_list_overdue, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (AddVisit, s_add_visit, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListVisits, s_list_visits, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
