/*  br_outbound: events in, files out. See br_outbound.h. */
#include "br_outbound.h"
#include "sn_log.h"
#include "monitoring.pb-c.h"
#include "registry.pb-c.h"
#include "br_store.h"
#include "sn_array.h"
#include "sn_store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libxml/xmlwriter.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define W(x) BAD_CAST (x)

//  --- events in ----------------------------------------------------------------------------

//  A registry event's person, when it is one the bridge referred (caller
//  frees), or NULL.
static Snodo__Registry__Person *
s_own_person (const Snodo__Event *event, const char *self_id)
{
    if (strncmp (event->type, "registry.person.", 16) != 0
    ||  streq (event->type, "registry.person.team_added") || streq (event->type, "registry.person.team_removed"))
        return NULL;
    Snodo__Registry__Person *p = snodo__registry__person__unpack (NULL, event->body.len, event->body.data);
    if (p && (!*p->id || !streq (p->referred_via, self_id))) {
        snodo__registry__person__free_unpacked (p, NULL);
        p = NULL;
    }
    return p;
}

int
br_registry_apply (PGconn *db, const Snodo__Event *event, void *self_id)
{
    Snodo__Registry__Person *p = s_own_person (event, (const char *) self_id);
    if (!p)
        return 0;
    const char *params [6] = {p->id, p->codice_fiscale, p->municipality, p->address, p->phone, p->email};
    int rc = br_run (db, "keeping a person",
        "INSERT INTO hub_person (id, codice_fiscale, municipality, address, phone, email) "
        "VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (id) DO UPDATE SET codice_fiscale = $2, "
        "municipality = $3, address = $4, phone = $5, email = $6, updated_at = now ()", 6, params);
    snodo__registry__person__free_unpacked (p, NULL);
    return rc;
}

int
br_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *self_id)
{
    //  each person once, as its last event says
    Snodo__Registry__Person **persons = (Snodo__Registry__Person **) calloc (n ? n : 1, sizeof (void *));
    zhashx_t *places = zhashx_new ();       //  id -> 1 + its place in persons
    size_t kept = 0;
    for (size_t i = 0; i < n; i++) {
        Snodo__Registry__Person *p = s_own_person (events [i], (const char *) self_id);
        if (!p)
            continue;
        size_t k = (size_t) zhashx_lookup (places, p->id);
        if (k)
            snodo__registry__person__free_unpacked (persons [k - 1], NULL);
        else
            zhashx_insert (places, p->id, (void *) (k = ++kept));
        persons [k - 1] = p;
    }
    zhashx_destroy (&places);
    sn_array_t a [6];
    for (int k = 0; k < 6; k++)
        a [k] = (sn_array_t) SN_ARRAY_INIT;
    for (size_t i = 0; i < kept; i++) {
        const char *values [6] = {persons [i]->id, persons [i]->codice_fiscale, persons [i]->municipality,
                                  persons [i]->address, persons [i]->phone, persons [i]->email};
        for (int k = 0; k < 6; k++)
            sn_array_text (&a [k], values [k]);
        snodo__registry__person__free_unpacked (persons [i], NULL);
    }
    free (persons);
    const char *params [6];
    for (int k = 0; k < 6; k++)
        params [k] = sn_array_end (&a [k]);
    int rc = kept == 0 ? 0 : br_run (db, "keeping the persons",
        "INSERT INTO hub_person (id, codice_fiscale, municipality, address, phone, email) "
        "SELECT i::uuid, c, m, a, p, e FROM unnest ($1::text [], $2::text [], $3::text [], $4::text [], "
        "$5::text [], $6::text []) AS u (i, c, m, a, p, e) ON CONFLICT (id) DO UPDATE SET "
        "codice_fiscale = excluded.codice_fiscale, municipality = excluded.municipality, "
        "address = excluded.address, phone = excluded.phone, email = excluded.email, updated_at = now ()",
        6, params);
    for (int k = 0; k < 6; k++)
        sn_array_free (&a [k]);
    return rc;
}

//  monitoring.pathway.<what> -> the outbound file's event type; NULL: not sent.
static const char *
s_outbound_type (const char *what)
{
    static const char *const map [][2] = {
        {"referred", "referred"}, {"intake", "taken_in_charge"}, {"assessment", "assessment"},
        {"matching", "matching"}, {"project", "project"}, {"agreement", "agreement"},
        {"active", "started"}, {"suspended", "suspended"}, {"resumed", "resumed"},
        {"closed", "closed"}, {NULL, NULL}};
    for (int i = 0; map [i][0]; i++)
        if (streq (map [i][0], what))
            return map [i][1];
    return NULL;
}

//  Numbers an event for the outbound files, once per monitoring seq.
static int
s_outbound_event (PGconn *db, const Snodo__Event *event, const char *type, const char *kind,
                  const char *pathway_id, const char *person_id, int state)
{
    char seq [32], at [32], state_text [16];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) event->seq);
    snprintf (at, sizeof at, "%lld", (long long) event->at);
    snprintf (state_text, sizeof state_text, "%d", state);
    const char *params [8] = {seq, type, kind, pathway_id, person_id, state_text, at, NULL};
    const Oid *types = NULL;
    int lengths [8] = {0, 0, 0, 0, 0, 0, 0, (int) event->body.len};
    int formats [8] = {0, 0, 0, 0, 0, 0, 0, 1};
    params [7] = (const char *) event->body.data;
    PGresult *res = PQexecParams (db,
        "INSERT INTO outbound_event (seq, source_seq, type, kind, pathway_id, person_id, state, at, body) "
        "SELECT coalesce ((SELECT max (seq) FROM outbound_event), 0) + 1, $1, $2, $3, $4, $5, $6, "
        "       to_timestamp ($7::bigint / 1000.0), $8 "
        "ON CONFLICT (source_seq) DO NOTHING", 8, types, params, lengths, formats, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    if (rc)
        sn_error ("bridge: numbering an outbound event: %s", PQerrorMessage (db));
    PQclear (res);
    return rc;
}

static int
s_apply_pathway (PGconn *db, const Snodo__Event *event, const char *self_id)
{
    Snodo__Monitoring__Pathway *p = snodo__monitoring__pathway__unpack (NULL, event->body.len, event->body.data);
    if (!p || !streq (p->referred_via, self_id)) {
        if (p)
            snodo__monitoring__pathway__free_unpacked (p, NULL);
        return 0;
    }
    char state [16], outcome [16];
    snprintf (state, sizeof state, "%d", p->state);
    snprintf (outcome, sizeof outcome, "%d", p->outcome ? (int) p->outcome->kind : 0);
    const char *params [4] = {p->id, p->person_id, state, outcome};
    int rc = br_run (db, "keeping a pathway",
        "INSERT INTO hub_pathway (id, person_id, state, outcome) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET state = $3, outcome = $4, updated_at = now ()", 4, params);
    const char *type = s_outbound_type (event->type + strlen ("monitoring.pathway."));
    if (rc == 0 && type)
        rc = s_outbound_event (db, event, type, "pathway", p->id, p->person_id, p->state);
    snodo__monitoring__pathway__free_unpacked (p, NULL);
    return rc;
}

//  A meeting or a service delivered, of a pathway the bridge referred.
static int
s_apply_record (PGconn *db, const Snodo__Event *event)
{
    bool meeting = streq (event->type, "monitoring.meeting.recorded");
    char pathway [40] = "", hours [32] = "", code [16] = "", day [16] = "";
    if (meeting) {
        Snodo__Monitoring__Meeting *m = snodo__monitoring__meeting__unpack (NULL, event->body.len, event->body.data);
        if (m)
            snprintf (pathway, sizeof pathway, "%s", m->pathway_id);
        if (m)
            snodo__monitoring__meeting__free_unpacked (m, NULL);
    }
    else {
        Snodo__Monitoring__ServiceDelivery *s =
            snodo__monitoring__service_delivery__unpack (NULL, event->body.len, event->body.data);
        if (s) {
            snprintf (pathway, sizeof pathway, "%s", s->pathway_id);
            snprintf (hours, sizeof hours, "%.2f", s->hours);
            snprintf (code, sizeof code, "%s", s->code);
            snprintf (day, sizeof day, "%s", s->delivered_on);
            snodo__monitoring__service_delivery__free_unpacked (s, NULL);
        }
    }
    const char *params [4] = {pathway, day, code, hours};
    PGresult *res = br_sql (db, "reading the pathway",
        "SELECT person_id, state FROM hub_pathway WHERE id::text = $1", 1, params);
    if (!res)
        return -1;
    int rc = 0;
    if (PQntuples (res) == 1 && meeting)
        rc = s_outbound_event (db, event, "meeting_held", "meeting", pathway, PQgetvalue (res, 0, 0),
                               atoi (PQgetvalue (res, 0, 1)));
    else
    if (PQntuples (res) == 1 && *day)
        rc = br_run (db, "totalling a service",
            "INSERT INTO service_total AS t (year, person_id, code, deliveries, hours) "
            "SELECT extract (year FROM $2::date), person_id, $3, 1, $4::numeric FROM hub_pathway WHERE id = $1 "
            "ON CONFLICT (year, person_id, code) DO UPDATE SET deliveries = t.deliveries + 1, "
            "hours = t.hours + excluded.hours", 4, params);
    PQclear (res);
    return rc;
}

int
br_monitoring_apply (PGconn *db, const Snodo__Event *event, void *self_id)
{
    if (strncmp (event->type, "monitoring.pathway.", 19) == 0)
        return s_apply_pathway (db, event, (const char *) self_id);
    if (streq (event->type, "monitoring.meeting.recorded") || streq (event->type, "monitoring.service.delivered"))
        return s_apply_record (db, event);
    return 0;
}

//  The rows a page of pathway events makes: each pathway once, as its last
//  event says (hub_pathway), and the events to send, in order (outbound_event).
typedef struct {
    sn_array_t ids, persons, states, outcomes;                     //  hub_pathway
    sn_array_t seqs, types, pathways, owners, at_states, ats, bodies;  //  outbound_event
    size_t n_hub, n_out;
} s_page_rows_t;

//  Adds a pathway event to rows (last is the pathway's last event in the page).
static void
s_page_add (s_page_rows_t *rows, const Snodo__Event *event, const Snodo__Monitoring__Pathway *p, bool last)
{
    if (last) {
        sn_array_text (&rows->ids, p->id);
        sn_array_text (&rows->persons, p->person_id);
        sn_array_int (&rows->states, p->state);
        sn_array_int (&rows->outcomes, p->outcome ? (int) p->outcome->kind : 0);
        rows->n_hub++;
    }
    const char *type = s_outbound_type (event->type + strlen ("monitoring.pathway."));
    if (!type)
        return;
    sn_array_int (&rows->seqs, (long long) event->seq);
    sn_array_text (&rows->types, type);
    sn_array_text (&rows->pathways, p->id);
    sn_array_text (&rows->owners, p->person_id);
    sn_array_int (&rows->at_states, p->state);
    sn_array_int (&rows->ats, event->at);
    sn_array_bytea (&rows->bodies, event->body.data, event->body.len);
    rows->n_out++;
}

//  Writes a page's rows: the pathways, then the events numbered after the
//  last one, gap-free, those already there (by monitoring's seq) left out.
static int
s_page_write (PGconn *db, s_page_rows_t *rows)
{
    const char *hub [4] = {sn_array_end (&rows->ids), sn_array_end (&rows->persons), sn_array_end (&rows->states),
                           sn_array_end (&rows->outcomes)};
    const char *out [7] = {sn_array_end (&rows->seqs), sn_array_end (&rows->types), sn_array_end (&rows->pathways),
                           sn_array_end (&rows->owners), sn_array_end (&rows->at_states), sn_array_end (&rows->ats),
                           sn_array_end (&rows->bodies)};
    int rc = rows->n_hub == 0 ? 0 : br_run (db, "keeping the pathways",
        "INSERT INTO hub_pathway (id, person_id, state, outcome) SELECT i::uuid, p::uuid, s, o "
        "FROM unnest ($1::text [], $2::text [], $3::integer [], $4::integer []) AS u (i, p, s, o) "
        "ON CONFLICT (id) DO UPDATE SET state = excluded.state, outcome = excluded.outcome, updated_at = now ()",
        4, hub);
    if (rc == 0 && rows->n_out)
        rc = br_run (db, "numbering outbound events",
            "INSERT INTO outbound_event (seq, source_seq, type, kind, pathway_id, person_id, state, at, body) "
            "SELECT coalesce ((SELECT max (seq) FROM outbound_event), 0) + row_number () OVER (ORDER BY u.s), "
            "       u.s, u.t, 'pathway', u.w::uuid, u.p::uuid, u.st, to_timestamp (u.a / 1000.0), u.b "
            "FROM unnest ($1::bigint [], $2::text [], $3::text [], $4::text [], $5::integer [], $6::bigint [], "
            "$7::bytea []) AS u (s, t, w, p, st, a, b) "
            "WHERE NOT EXISTS (SELECT 1 FROM outbound_event e WHERE e.source_seq = u.s)", 7, out);
    sn_array_t *arrays [11] = {&rows->ids, &rows->persons, &rows->states, &rows->outcomes, &rows->seqs,
                               &rows->types, &rows->pathways, &rows->owners, &rows->at_states, &rows->ats,
                               &rows->bodies};
    for (int k = 0; k < 11; k++)
        sn_array_free (arrays [k]);
    return rc;
}

int
br_monitoring_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *self_id)
{
    //  a meeting or a service delivered reads what the events before it wrote: such a page goes one by one
    for (size_t i = 0; i < n; i++)
        if (streq (events [i]->type, "monitoring.meeting.recorded")
        ||  streq (events [i]->type, "monitoring.service.delivered")) {
            int rc = 0;
            for (size_t k = 0; k < n && rc == 0; k++)
                rc = br_monitoring_apply (db, events [k], self_id);
            return rc;
        }
    Snodo__Monitoring__Pathway **pathways = (Snodo__Monitoring__Pathway **) calloc (n ? n : 1, sizeof (void *));
    zhashx_t *last = zhashx_new ();         //  a pathway's id -> 1 + the place of its last event
    for (size_t i = 0; i < n; i++) {
        if (strncmp (events [i]->type, "monitoring.pathway.", 19) != 0)
            continue;
        Snodo__Monitoring__Pathway *p =
            snodo__monitoring__pathway__unpack (NULL, events [i]->body.len, events [i]->body.data);
        if (p && *p->id && streq (p->referred_via, (const char *) self_id)) {
            pathways [i] = p;
            zhashx_update (last, p->id, (void *) (i + 1));
        }
        else
        if (p)
            snodo__monitoring__pathway__free_unpacked (p, NULL);
    }
    s_page_rows_t rows;
    memset (&rows, 0, sizeof rows);
    for (size_t i = 0; i < n; i++)
        if (pathways [i]) {
            s_page_add (&rows, events [i], pathways [i], (size_t) zhashx_lookup (last, pathways [i]->id) == i + 1);
            snodo__monitoring__pathway__free_unpacked (pathways [i], NULL);
        }
    zhashx_destroy (&last);
    free (pathways);
    return s_page_write (db, &rows);
}

//  --- files out -----------------------------------------------------------------------------

//  An enum value's name without its prefix ("PATHWAY_STATE_ACTIVE" -> "ACTIVE").
static const char *
s_enum_name (const ProtobufCEnumDescriptor *desc, int value, const char *prefix)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (desc, value);
    if (!v)
        return "";
    size_t n = strlen (prefix);
    return strncmp (v->name, prefix, n) == 0 ? v->name + n : v->name;
}

static void
s_now_utc (char *out)
{
    time_t now = time (NULL);
    struct tm tm;
    gmtime_r (&now, &tm);
    strftime (out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

//  A document of the exchange being written to path: its root element open,
//  in the namespace, with its creation time. *rc < 0 if a write failed.
//  Returns NULL if path cannot be written.
static xmlTextWriterPtr
s_writer (const char *path, const char *root, int *rc)
{
    xmlTextWriterPtr w = xmlNewTextWriterFilename (path, 0);
    if (!w)
        return NULL;
    char created [32];
    s_now_utc (created);
    xmlTextWriterSetIndent (w, 1);
    xmlTextWriterSetIndentString (w, W ("  "));
    *rc = xmlTextWriterStartDocument (w, NULL, "UTF-8", NULL);
    *rc |= xmlTextWriterStartElement (w, W (root));
    *rc |= xmlTextWriterWriteAttribute (w, W ("xmlns"), W (BR_NAMESPACE));
    *rc |= xmlTextWriterWriteAttribute (w, W ("created"), W (created));
    return w;
}

//  The outcome of a closed pathway.
static int
s_write_outcome (xmlTextWriterPtr w, const Snodo__Monitoring__Outcome *o)
{
    int rc = xmlTextWriterStartElement (w, W ("outcome"));
    rc |= xmlTextWriterWriteAttribute (w, W ("kind"),
                                       W (s_enum_name (&snodo__monitoring__outcome_kind__descriptor, o->kind, "OUTCOME_KIND_")));
    rc |= xmlTextWriterWriteAttribute (w, W ("date"), W (o->date));
    if (o->contract_type)
        rc |= xmlTextWriterWriteElement (w, W ("contractType"),
            W (s_enum_name (&snodo__monitoring__contract_type__descriptor, o->contract_type, "CONTRACT_TYPE_")));
    if (o->weekly_hours)
        rc |= xmlTextWriterWriteFormatElement (w, W ("weeklyHours"), "%u", o->weekly_hours);
    if (o->work_capacity == SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_POTENZIALE
    ||  o->work_capacity == SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE)
        rc |= xmlTextWriterWriteElement (w, W ("workCapacity"),
            W (s_enum_name (&snodo__registry__work_capacity__descriptor, o->work_capacity, "WORK_CAPACITY_")));
    if (*o->recommended_measure)
        rc |= xmlTextWriterWriteElement (w, W ("recommendedMeasure"), W (o->recommended_measure));
    if (*o->reason)
        rc |= xmlTextWriterWriteElement (w, W ("reason"), W (o->reason));
    return rc | xmlTextWriterEndElement (w);
}

//  What the event's body adds: the pathway's kind and outcome, or the meeting.
static int
s_write_body (xmlTextWriterPtr w, const char *kind, const uint8_t *body, size_t size)
{
    int rc = 0;
    if (streq (kind, "pathway")) {
        Snodo__Monitoring__Pathway *p = snodo__monitoring__pathway__unpack (NULL, size, body);
        if (!p)
            return -1;
        if (p->kind)
            rc |= xmlTextWriterWriteElement (w, W ("pathwayKind"),
                W (s_enum_name (&snodo__monitoring__pathway_kind__descriptor, p->kind, "PATHWAY_KIND_")));
        if (p->state == SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED && p->outcome)
            rc |= s_write_outcome (w, p->outcome);
        snodo__monitoring__pathway__free_unpacked (p, NULL);
        return rc;
    }
    Snodo__Monitoring__Meeting *m = snodo__monitoring__meeting__unpack (NULL, size, body);
    if (!m)
        return -1;
    rc |= xmlTextWriterStartElement (w, W ("meeting"));
    rc |= xmlTextWriterWriteFormatAttribute (w, W ("number"), "%u", m->number);
    rc |= xmlTextWriterWriteAttribute (w, W ("kind"),
                                       W (s_enum_name (&snodo__monitoring__meeting_kind__descriptor, m->kind, "MEETING_KIND_")));
    rc |= xmlTextWriterWriteAttribute (w, W ("held"), W (m->held_on));
    rc |= xmlTextWriterEndElement (w);
    snodo__monitoring__meeting__free_unpacked (m, NULL);
    return rc;
}

//  Row i of the events query: seq, type, kind, body (hex), at, state,
//  pathway, codice fiscale, referral.
static int
s_write_event (xmlTextWriterPtr w, PGresult *res, int i)
{
    const char *hex = PQgetvalue (res, i, 3);
    size_t size = strlen (hex) / 2;
    uint8_t *body = (uint8_t *) malloc (size + 1);
    for (size_t b = 0; b < size; b++)
        sscanf (hex + 2 * b, "%2hhx", &body [b]);
    int rc = xmlTextWriterStartElement (w, W ("event"));
    rc |= xmlTextWriterWriteAttribute (w, W ("seq"), W (PQgetvalue (res, i, 0)));
    rc |= xmlTextWriterWriteAttribute (w, W ("type"), W (PQgetvalue (res, i, 1)));
    rc |= xmlTextWriterWriteAttribute (w, W ("at"), W (PQgetvalue (res, i, 4)));
    if (*PQgetvalue (res, i, 8))
        rc |= xmlTextWriterWriteElement (w, W ("referral"), W (PQgetvalue (res, i, 8)));
    rc |= xmlTextWriterWriteElement (w, W ("codiceFiscale"), W (PQgetvalue (res, i, 7)));
    rc |= xmlTextWriterWriteElement (w, W ("pathway"), W (PQgetvalue (res, i, 6)));
    rc |= xmlTextWriterWriteElement (w, W ("state"), W (s_enum_name (&snodo__monitoring__pathway_state__descriptor,
                                                                      atoi (PQgetvalue (res, i, 5)), "PATHWAY_STATE_")));
    rc |= s_write_body (w, PQgetvalue (res, i, 2), body, size);
    rc |= xmlTextWriterEndElement (w);
    free (body);
    return rc;
}

//  Flushes a file to disk. Returns 0 or -1.
static int
s_sync_file (const char *path)
{
    int fd = open (path, O_RDONLY | O_CLOEXEC);
    int rc = fd >= 0 && fsync (fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close (fd);
    return rc;
}

static int
s_sync_dir (const char *dir)
{
    int fd = open (dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int rc = fd >= 0 && fsync (fd) == 0 ? 0 : -1;
    if (fd >= 0)
        close (fd);
    return rc;
}

//  Writes rows 0..n-1 of the events query into path, flushed. Returns 0 or -1.
static int
s_write_events (const char *path, PGresult *res, int n)
{
    int rc;
    xmlTextWriterPtr w = s_writer (path, "outbound", &rc);
    if (!w)
        return -1;
    rc |= xmlTextWriterWriteAttribute (w, W ("from"), W (PQgetvalue (res, 0, 0)));
    rc |= xmlTextWriterWriteAttribute (w, W ("to"), W (PQgetvalue (res, n - 1, 0)));
    for (int i = 0; i < n && rc >= 0; i++)
        rc |= s_write_event (w, res, i);
    rc |= xmlTextWriterEndDocument (w);
    xmlFreeTextWriter (w);
    return rc < 0 ? -1 : s_sync_file (path);
}

//  Finishes what a crash left: a file recorded as being written is out
//  (renamed now if its temporary is still there) and the cursor moves past
//  it; a temporary never recorded is dropped (a summary's, only when no
//  call is writing one). Returns 0 or -1.
static int
s_recover (PGconn *db, const char *outbox)
{
    PGresult *res = br_sql (db, "files being written",
        "SELECT name, last_seq FROM outbound_file WHERE state = 'writing' ORDER BY id", 0, NULL);
    if (!res)
        return -1;
    int rc = 0;
    for (int i = 0; i < PQntuples (res) && rc == 0; i++) {
        char tmp [1100], path [1100];
        snprintf (tmp, sizeof tmp, "%s/.%s.tmp", outbox, PQgetvalue (res, i, 0));
        snprintf (path, sizeof path, "%s/%s", outbox, PQgetvalue (res, i, 0));
        if (access (tmp, F_OK) == 0 && (rename (tmp, path) || s_sync_dir (outbox)))
            rc = -1;
        const char *params [2] = {PQgetvalue (res, i, 0), PQgetvalue (res, i, 1)};
        if (rc == 0)
            rc = br_run (db, "moving the cursor",
                "WITH f AS (UPDATE outbound_file SET state = 'written' WHERE name = $1) "
                "UPDATE outbound_cursor SET last_seq = greatest (last_seq, $2::bigint)", 2, params);
        if (rc == 0)
            sn_info ("bridge: %s was out before the cursor moved; the cursor moved now", PQgetvalue (res, i, 0));
    }
    PQclear (res);
    //  a summary's temporary may be one a call is writing now, in a worker,
    //  under the summary's lock: it is swept only while that lock is ours,
    //  asked for at the first one found (0 not yet, 1 ours, -1 not)
    int summaries = 0;
    DIR *dir = rc == 0 ? opendir (outbox) : NULL;
    struct dirent *entry;
    while (dir && (entry = readdir (dir))) {
        size_t n = strlen (entry->d_name);
        if (entry->d_name [0] != '.' || strncmp (entry->d_name, ".snodo-", 7) != 0 || n <= 4
        ||  !streq (entry->d_name + n - 4, ".tmp"))
            continue;
        if (strncmp (entry->d_name, ".snodo-summary-", 15) == 0 && summaries == 0) {
            res = br_sql (db, "the summary's lock", "SELECT pg_try_advisory_lock (hashtext ('bridge.summary'))",
                          0, NULL);
            summaries = res && streq (PQgetvalue (res, 0, 0), "t") ? 1 : -1;
            PQclear (res);
        }
        if (summaries == 1 || strncmp (entry->d_name, ".snodo-summary-", 15) != 0)
            unlinkat (dirfd (dir), entry->d_name, 0);
    }
    if (dir)
        closedir (dir);
    if (summaries == 1 && br_run (db, "the summary's lock",
                                  "SELECT pg_advisory_unlock (hashtext ('bridge.summary'))", 0, NULL))
        rc = -1;
    return rc;
}

//  The events after the cursor that may go now: each needs its person's
//  codice fiscale, and waits wait_ms for its referral. Sets *n. Returns the
//  rows (caller clears) or NULL.
static PGresult *
s_due_events (PGconn *db, const br_outbound_config_t *config, int *n)
{
    char wait [16], most [16];
    snprintf (wait, sizeof wait, "%d", config->wait_ms);
    snprintf (most, sizeof most, "%d", config->max_events);
    const char *params [2] = {wait, most};
    PGresult *res = br_sql (db, "reading the outbound events",
        "SELECT e.seq, e.type, e.kind, encode (e.body, 'hex'), "
        "       to_char (e.at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"'), e.state, e.pathway_id, "
        "       coalesce (hp.codice_fiscale, ''), coalesce (r.id, ''), "
        "       e.at < now () - $1::int * interval '1 millisecond' "
        "FROM outbound_event e LEFT JOIN hub_person hp ON hp.id = e.person_id "
        "LEFT JOIN referral r ON r.pathway_id = e.pathway_id "
        "WHERE e.seq > (SELECT last_seq FROM outbound_cursor) ORDER BY e.seq LIMIT $2::int", 2, params);
    *n = 0;
    while (res && *n < PQntuples (res) && *PQgetvalue (res, *n, 7)
       &&  (*PQgetvalue (res, *n, 8) || PQgetvalue (res, *n, 9) [0] == 't'))
        (*n)++;
    return res;
}

//  One outbound file of the events due, if any. Returns 1 if written, 0 if
//  nothing was due, -1 on failure.
static int
s_events_file (PGconn *db, const br_outbound_config_t *config)
{
    int n;
    PGresult *res = s_due_events (db, config, &n);
    if (!res)
        return -1;
    if (n == 0) {
        PQclear (res);
        return 0;
    }
    char name [128], tmp [1100], path [1100], err [600];
    snprintf (name, sizeof name, "snodo-events-%010lld-%010lld.xml", atoll (PQgetvalue (res, 0, 0)),
              atoll (PQgetvalue (res, n - 1, 0)));
    snprintf (tmp, sizeof tmp, "%s/.%s.tmp", config->outbox, name);
    snprintf (path, sizeof path, "%s/%s", config->outbox, name);
    const char *params [3] = {name, PQgetvalue (res, 0, 0), PQgetvalue (res, n - 1, 0)};
    int rc = s_write_events (tmp, res, n);
    bool recorded = false;
    if (rc == 0 && br_schema_validate_file (config->schema, tmp, err, sizeof err)) {
        sn_error ("bridge: %s does not follow the exchange's XSD: %s; not sent", name, err);
        rc = -1;
    }
    if (rc == 0)
        rc = br_run (db, "recording the file", "INSERT INTO outbound_file (name, first_seq, last_seq, state) "
                    "VALUES ($1, $2, $3, 'writing')", 3, params);
    recorded = rc == 0;
    if (rc == 0 && (rename (tmp, path) || s_sync_dir (config->outbox))) {
        sn_error ("bridge: could not rename %s: %s", tmp, strerror (errno));
        rc = -1;        //  the record says 'writing': the next pass finishes it
    }
    if (rc == 0)
        br_fault ("outbound-after-rename");
    const char *cursor [2] = {name, PQgetvalue (res, n - 1, 0)};
    if (rc == 0)
        rc = br_run (db, "moving the cursor",
            "WITH f AS (UPDATE outbound_file SET state = 'written' WHERE name = $1) "
            "UPDATE outbound_cursor SET last_seq = $2::bigint", 2, cursor);
    if (rc == 0)
        sn_info ("bridge: wrote %s (%d events)", name, n);
    else
    if (!recorded)
        unlink (tmp);       //  once recorded, the temporary is what recovery renames
    PQclear (res);
    return rc == 0 ? 1 : -1;
}

//  --- the yearly summary ---------------------------------------------------------------------

//  Writes the rows of a summary cursor into w, a chunk at a time. Returns
//  the persons written, or -1.
static int
s_write_summary_rows (PGconn *db, xmlTextWriterPtr w)
{
    int persons = 0, rc = 0;
    char current [20] = "";
    while (rc >= 0) {
        PGresult *res = br_sql (db, "reading the summary", "FETCH 5000 FROM summary", 0, NULL);
        if (!res)
            return -1;
        int rows = PQntuples (res);
        for (int i = 0; i < rows && rc >= 0; i++) {
            if (!streq (current, PQgetvalue (res, i, 0))) {
                if (*current)
                    rc |= xmlTextWriterEndElement (w);
                snprintf (current, sizeof current, "%s", PQgetvalue (res, i, 0));
                rc |= xmlTextWriterStartElement (w, W ("person"));
                rc |= xmlTextWriterWriteAttribute (w, W ("codiceFiscale"), W (current));
                if (*PQgetvalue (res, i, 1))
                    rc |= xmlTextWriterWriteAttribute (w, W ("referral"), W (PQgetvalue (res, i, 1)));
                persons++;
            }
            rc |= xmlTextWriterStartElement (w, W ("service"));
            rc |= xmlTextWriterWriteAttribute (w, W ("code"), W (PQgetvalue (res, i, 2)));
            rc |= xmlTextWriterWriteAttribute (w, W ("deliveries"), W (PQgetvalue (res, i, 3)));
            rc |= xmlTextWriterWriteAttribute (w, W ("hours"), W (PQgetvalue (res, i, 4)));
            rc |= xmlTextWriterEndElement (w);
        }
        PQclear (res);
        if (rows < 5000)
            break;
    }
    if (*current)
        rc |= xmlTextWriterEndElement (w);
    return rc < 0 ? -1 : persons;
}

//  The summary document of year into path (in the caller's transaction,
//  which holds the cursor). Returns the persons, or -1.
static int
s_write_summary (PGconn *db, const char *path, int year, int revision)
{
    char year_text [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    const char *params [1] = {year_text};
    if (br_run (db, "the summary's rows",
        "DECLARE summary NO SCROLL CURSOR FOR "
        "SELECT hp.codice_fiscale, coalesce ((SELECT r.id FROM referral r WHERE r.person_id = t.person_id "
        "       ORDER BY r.accepted_at DESC LIMIT 1), ''), t.code, t.deliveries, t.hours "
        "FROM service_total t JOIN hub_person hp ON hp.id = t.person_id WHERE t.year = $1::int "
        "ORDER BY hp.codice_fiscale, t.code", 1, params))
        return -1;
    int rc;
    xmlTextWriterPtr w = s_writer (path, "summary", &rc);
    if (!w)
        return -1;
    rc |= xmlTextWriterWriteAttribute (w, W ("year"), W (year_text));
    rc |= xmlTextWriterWriteFormatAttribute (w, W ("revision"), "%d", revision);
    int persons = rc < 0 ? -1 : s_write_summary_rows (db, w);
    rc |= xmlTextWriterEndDocument (w);
    xmlFreeTextWriter (w);
    return rc < 0 || persons < 0 || s_sync_file (path) ? -1 : persons;
}

int
br_summary_write (PGconn *db, const char *outbox, br_schema_t *schema, int year, char *name,
                  uint32_t *persons, char *err, size_t errlen)
{
    char year_text [16], tmp [1100], path [1100], revision_text [16], count [16];
    snprintf (year_text, sizeof year_text, "%d", year);
    *err = 0;
    const char *params [4] = {year_text, revision_text, name, count};
    //  a transaction of its own, unless db is in one already (a call's,
    //  batched with other calls: its own COMMIT would end theirs too)
    bool own = PQtransactionStatus (db) == PQTRANS_IDLE;
    if ((own && br_run (db, "a summary", "BEGIN", 0, NULL))
    ||  br_run (db, "a summary", "SELECT pg_advisory_xact_lock (hashtext ('bridge.summary'))", 0, NULL)) {
        if (own)
            PQclear (PQexec (db, "ROLLBACK"));
        snprintf (err, errlen, "could not start the summary: %s", PQerrorMessage (db));
        return -1;
    }
    PGresult *res = br_sql (db, "the next revision",
        "SELECT coalesce (max (revision), 0) + 1 FROM summary_file WHERE year = $1::int", 1, params);
    int revision = res ? atoi (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    snprintf (revision_text, sizeof revision_text, "%d", revision);
    snprintf (name, 256, "snodo-summary-%d-r%d.xml", year, revision);
    snprintf (tmp, sizeof tmp, "%s/.%s.tmp", outbox, name);
    snprintf (path, sizeof path, "%s/%s", outbox, name);
    errno = 0;
    int n = revision > 0 ? s_write_summary (db, tmp, year, revision) : -1;
    snprintf (count, sizeof count, "%d", n);
    //  the step that failed, and why: the database's error, or the file's
    const char *step = NULL;
    if (n < 0)
        step = "writing it";
    else
    if (br_schema_validate_file (schema, tmp, err, errlen))
        step = "checking it against the schema";
    else
    if (br_run (db, "recording the summary", "INSERT INTO summary_file (year, revision, name, persons) "
                "VALUES ($1::int, $2::int, $3, $4::int)", 4, params))
        step = "recording it";
    else
    if (rename (tmp, path))
        step = "moving it into the outbox";
    else
    if (s_sync_dir (outbox))
        step = "flushing the outbox";
    else
    if (own && br_run (db, "the summary", "COMMIT", 0, NULL))
        step = "committing it";
    if (step) {
        int why = errno;
        if (!*err)
            snprintf (err, errlen, "could not write %s (%s): %s", name, step,
                      *PQerrorMessage (db) ? PQerrorMessage (db) : why ? strerror (why) : "unknown error");
        if (own)
            PQclear (PQexec (db, "ROLLBACK"));
        unlink (tmp);
        return -1;
    }
    *persons = (uint32_t) n;
    sn_info ("bridge: wrote %s (%d persons)", name, n);
    return 0;
}

//  The year before's summary, once, from summary_day on. Returns 1 if
//  written, 0 if not due, -1 on failure.
static int
s_summary_due (PGconn *db, const br_outbound_config_t *config)
{
    const char *params [1] = {config->summary_day};
    PGresult *res = br_sql (db, "a summary due",
        "SELECT extract (year FROM now ())::int - 1 FROM (SELECT 1) x "
        "WHERE to_char (now (), 'MM-DD') >= $1 "
        "AND NOT EXISTS (SELECT 1 FROM summary_file WHERE year = extract (year FROM now ())::int - 1) "
        "AND EXISTS (SELECT 1 FROM service_total WHERE year = extract (year FROM now ())::int - 1)", 1, params);
    if (!res)
        return -1;
    int year = PQntuples (res) ? atoi (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    if (!year)
        return 0;
    char name [256], err [600] = "";
    uint32_t persons;
    if (br_summary_write (db, config->outbox, config->schema, year, name, &persons, err, sizeof err)) {
        sn_error ("bridge: the summary of %d: %s", year, err);
        return -1;
    }
    return 1;
}

int
br_writer_pass (PGconn *db, const br_outbound_config_t *config)
{
    if (s_recover (db, config->outbox))
        return -1;
    int files = 0, rc;
    while ((rc = s_events_file (db, config)) == 1)
        files++;
    if (rc < 0)
        return -1;
    rc = s_summary_due (db, config);
    return rc < 0 ? -1 : files + rc;
}

//  --- the actor ----------------------------------------------------------------------------------

typedef struct {
    br_outbound_config_t config;    //  strings below own the copies
    char *conninfo, *outbox, *summary_day;
    PGconn *db;
} s_writer_t;

static void
s_writer_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "br-writer");
    s_writer_t *self = (s_writer_t *) args;
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, NULL);
    int64_t next = zclock_mono ();
    while (true) {
        int64_t wait = next - zclock_mono ();
        void *which = zpoller_wait (poller, wait > 0 ? (int) wait : 0);
        if (which == pipe) {
            char *command = zstr_recv (pipe);
            bool term = !command || streq (command, "$TERM");
            if (command && streq (command, "PASS"))
                next = zclock_mono ();      //  a pass now (tests, snodoctl)
            zstr_free (&command);
            if (term)
                break;
            continue;
        }
        if (zpoller_terminated (poller))
            break;
        if (!self->db || sn_store_is_down (self->db)) {
            char err [512];
            PQfinish (self->db);
            self->db = sn_store_connect (self->conninfo, "bridge", err, sizeof err);
            if (self->db)
                PQclear (PQexec (self->db, "SET synchronous_commit = on"));
            else
                sn_warning ("bridge: writer: %s", err);
        }
        if (self->db)
            br_writer_pass (self->db, &self->config);
        next = zclock_mono () + self->config.interval_ms;
    }
    zpoller_destroy (&poller);
    PQfinish (self->db);
    free (self->conninfo);
    free (self->outbox);
    free (self->summary_day);
    free (self);
}

zactor_t *
br_writer_new (const br_outbound_config_t *config)
{
    assert (config && config->schema && config->interval_ms > 0 && config->max_events > 0);
    s_writer_t *self = (s_writer_t *) zmalloc (sizeof (s_writer_t));
    self->config = *config;
    self->conninfo = strdup (config->conninfo);
    self->outbox = strdup (config->outbox);
    self->summary_day = strdup (config->summary_day);
    self->config.conninfo = self->conninfo;
    self->config.outbox = self->outbox;
    self->config.summary_day = self->summary_day;
    return zactor_new (s_writer_actor, self);
}
