/*  Events in: the registry's persons and companies, monitoring's pathways,
    services delivered and meetings. Each event writes its row, then
    refresh_person moves the person's contributions in the aggregates, in the
    subscriber's transaction (sql/001_reporting.sql). */
#include "reporting.h"
#include "sn_log.h"
#include "monitoring.pb-c.h"
#include "sn_check.h"
#include <math.h>
#include <string.h>

static const char *const s_person_events [] = {
    "registry.person.created", "registry.person.updated", "registry.person.profile_set",
    "registry.person.constraints_set", "registry.person.consent_granted",
    "registry.person.consent_revoked", NULL};

//  Runs a statement with text parameters (NULL for "" where asked). Returns
//  0, or -1 after logging.
static int
s_exec (PGconn *db, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams (db, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc)
        sn_error ("reporting: could not %s: %s", what, PQerrorMessage (db));
    PQclear (res);
    return rc;
}

static const char *
s_date (const char *date)
{
    return date && *date ? date : NULL;
}

static int
s_refresh (PGconn *db, const char *person_id, bool refresh)
{
    if (!refresh)
        return 0;
    const char *params [1] = {person_id};
    return s_exec (db, "refresh a person's figures", "SELECT refresh_person ($1)", 1, params);
}

static int
s_person (PGconn *db, const Snodo__Registry__Person *p, bool refresh)
{
    bool poverty = false;
    for (size_t i = 0; i < p->n_categories; i++)
        poverty |= p->categories [i] == SNODO__REGISTRY__CATEGORY__CATEGORY_POVERTY_RISK;
    char category [16];
    snprintf (category, sizeof category, "%d", p->n_categories ? (int) p->categories [0] : 0);
    const char *params [3] = {p->id, category, poverty ? "t" : "f"};
    return s_exec (db, "keep a person",
                   "INSERT INTO person (id, category, poverty) VALUES ($1, $2, $3) "
                   "ON CONFLICT (id) DO UPDATE SET category = $2, poverty = $3", 3, params)
        || s_refresh (db, p->id, refresh);
}

static int
s_company (PGconn *db, const Snodo__Registry__Company *c)
{
    char employees [16], quota [16], uncovered [16];
    snprintf (employees, sizeof employees, "%u", c->employees);
    snprintf (quota, sizeof quota, "%u", c->quota);
    snprintf (uncovered, sizeof uncovered, "%u", c->uncovered);
    const char *params [4] = {c->id, employees, quota, uncovered};
    return s_exec (db, "keep a company",
                   "INSERT INTO company (id, employees, quota, uncovered) VALUES ($1, $2, $3, $4) "
                   "ON CONFLICT (id) DO UPDATE SET employees = $2, quota = $3, uncovered = $4", 4, params);
}

static int
s_pathway (PGconn *db, const Snodo__Monitoring__Pathway *p, bool refresh)
{
    char state [8], kind [8], outcome [8], hours [16];
    const Snodo__Monitoring__Outcome *o = p->outcome;
    snprintf (state, sizeof state, "%d", (int) p->state);
    snprintf (kind, sizeof kind, "%d", (int) p->kind);
    snprintf (outcome, sizeof outcome, "%d", o ? (int) o->kind : 0);
    snprintf (hours, sizeof hours, "%u", o && o->weekly_hours < 1000 ? o->weekly_hours : 0);
    const char *params [11] = {p->id, p->person_id, state, kind, p->referring_member_id, p->ambito,
                               s_date (p->referred_on), s_date (p->start_date), outcome,
                               o ? s_date (o->date) : NULL, hours};
    return s_exec (db, "keep a pathway",
                   "INSERT INTO pathway (id, person_id, state, kind, referring, ambito, referred_on, start_date, "
                   "  outcome, outcome_date, weekly_hours) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) "
                   "ON CONFLICT (id) DO UPDATE SET state = $3, kind = $4, referring = $5, ambito = $6, "
                   "  referred_on = $7, start_date = $8, outcome = $9, outcome_date = $10, weekly_hours = $11",
                   11, params)
        || s_refresh (db, p->person_id, refresh);
}

//  Runs sql (whose $1 is the pathway) then refreshes the pathway's person.
static int
s_pathway_change (PGconn *db, const char *what, const char *sql, int n, const char *const *params, bool refresh)
{
    if (s_exec (db, what, sql, n, params))
        return -1;
    if (!refresh)
        return 0;
    return s_exec (db, "refresh a pathway's person",
                   "SELECT refresh_person (person_id) FROM pathway WHERE id = $1", 1, params);
}

static int
s_delivery (PGconn *db, const Snodo__Monitoring__ServiceDelivery *s, bool refresh)
{
    char centi [32];
    snprintf (centi, sizeof centi, "%lld", (long long) llround (isfinite (s->hours) ? s->hours * 100 : 0));
    const char *params [3] = {s->pathway_id, s->code, centi};
    return s_pathway_change (db, "keep a service delivered",
        "INSERT INTO delivery (pathway_id, code, centihours, deliveries) VALUES ($1, $2, $3, 1) "
        "ON CONFLICT (pathway_id, code) DO UPDATE SET centihours = delivery.centihours + $3, "
        "deliveries = delivery.deliveries + 1", 3, params, refresh);
}

static int
s_meeting (PGconn *db, const Snodo__Monitoring__Meeting *m, bool overdue, bool refresh)
{
    char number [16];
    snprintf (number, sizeof number, "%u", m->number);
    const char *params [2] = {m->pathway_id, number};
    return s_pathway_change (db, overdue ? "keep an overdue meeting" : "forget a meeting held",
                             overdue ? "INSERT INTO overdue (pathway_id, number) VALUES ($1, $2) ON CONFLICT DO NOTHING"
                                     : "DELETE FROM overdue WHERE pathway_id = $1 AND number = $2",
                             2, params, refresh);
}

//  The body of an event as a message of desc, or NULL (logged: skipped).
static ProtobufCMessage *
s_body (const Snodo__Event *event, const ProtobufCMessageDescriptor *desc)
{
    ProtobufCMessage *body = protobuf_c_message_unpack (desc, NULL, event->body.len, event->body.data);
    if (!body)
        sn_error ("reporting: event %s %llu (%s) does not hold a %s; skipped", event->source,
                    (unsigned long long) event->seq, event->type, desc->name);
    return body;
}

static bool
s_is_uuid_field (const ProtobufCMessage *body, const char *field)
{
    const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field_by_name (body->descriptor, field);
    const char *value = *(const char *const *) ((const char *) body + f->offset);
    return sn_is_uuid (value);
}

static int
s_apply_body (PGconn *db, const Snodo__Event *event, const ProtobufCMessage *body, bool refresh)
{
    const char *type = event->type;
    if (body->descriptor == &snodo__registry__person__descriptor)
        return s_person (db, (const Snodo__Registry__Person *) body, refresh);
    if (body->descriptor == &snodo__registry__company__descriptor)
        return s_company (db, (const Snodo__Registry__Company *) body);
    if (body->descriptor == &snodo__monitoring__pathway__descriptor)
        return s_pathway (db, (const Snodo__Monitoring__Pathway *) body, refresh);
    if (body->descriptor == &snodo__monitoring__service_delivery__descriptor)
        return s_delivery (db, (const Snodo__Monitoring__ServiceDelivery *) body, refresh);
    return s_meeting (db, (const Snodo__Monitoring__Meeting *) body, strcmp (type, "monitoring.meeting.overdue") == 0,
                      refresh);
}

//  The message an event type carries, if reporting uses it; and the field
//  that must be a UUID for the body to be usable.
static const ProtobufCMessageDescriptor *
s_wanted (const char *type, const char **key)
{
    *key = "id";
    for (int i = 0; s_person_events [i]; i++)
        if (strcmp (type, s_person_events [i]) == 0)
            return &snodo__registry__person__descriptor;
    if (strcmp (type, "registry.company.created") == 0 || strcmp (type, "registry.company.updated") == 0)
        return &snodo__registry__company__descriptor;
    if (strncmp (type, "monitoring.pathway.", 19) == 0)
        return &snodo__monitoring__pathway__descriptor;
    *key = "pathway_id";
    if (strcmp (type, "monitoring.service.delivered") == 0)
        return &snodo__monitoring__service_delivery__descriptor;
    if (strcmp (type, "monitoring.meeting.overdue") == 0 || strcmp (type, "monitoring.meeting.recorded") == 0)
        return &snodo__monitoring__meeting__descriptor;
    return NULL;
}

//  The event's row, and the aggregates when refresh.
static int
s_apply (PGconn *db, const Snodo__Event *event, bool refresh)
{
    const char *key;
    const ProtobufCMessageDescriptor *desc = s_wanted (event->type, &key);
    if (!desc)
        return 0;
    ProtobufCMessage *body = s_body (event, desc);
    if (!body)
        return 0;           //  retrying would not make it readable
    int rc = 0;
    if (!s_is_uuid_field (body, key)
    ||  (desc == &snodo__monitoring__pathway__descriptor
         && !sn_is_uuid (((Snodo__Monitoring__Pathway *) body)->person_id)))
        sn_error ("reporting: event %s %llu (%s) names no valid id; skipped", event->source,
                    (unsigned long long) event->seq, event->type);
    else
        rc = s_apply_body (db, event, body, refresh);
    protobuf_c_message_free_unpacked (body, NULL);
    return rc;
}

int
reporting_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    return s_apply (db, event, true);
}

int
reporting_apply_rows (PGconn *db, const Snodo__Event *event)
{
    return s_apply (db, event, false);
}

int
reporting_recompute (PGconn *db)
{
    return s_exec (db, "recompute the aggregates", "SELECT recompute_all ()", 0, NULL);
}
