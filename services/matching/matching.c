/*  The matching service: state, the events it follows, loading at start. */
#include "matching.h"
#include "sn_log.h"
#include "sn_store.h"
#include "sn_array.h"
#include "sn_check.h"
#include <string.h>

//  What a monitoring event does to the index, kept aside until the event's
//  transaction commits: the places held on a post, a person engaged or not.
typedef struct {
    uint8_t id [16];            //  the post, or the person
    bool post;                  //  the post's places held; else the person's engagement
    unsigned value;             //  the places held, or 1 when engaged
} s_change_t;

struct _matching_t {
    mi_index_t *index;          //  profiles in memory (its own lock)
    uint32_t small_count;       //  counts of hidden persons below this are not given
    //  the monitoring event's changes to the index, made good when its
    //  transaction commits (the monitoring subscriber's thread alone
    //  touches them)
    s_change_t *changes;
    size_t n_changes, max_changes;
};


//  A pathway engages its person from the project on until it closes.
#define ENGAGED_STATES \
    "(" SN_SQL (MATCH_SQL_PROJECT) ", " SN_SQL (MATCH_SQL_AGREEMENT) ", " SN_SQL (MATCH_SQL_ACTIVE) ", " \
    SN_SQL (MATCH_SQL_SUSPENDED) ")"

matching_t *
matching_new (void)
{
    matching_t *self = (matching_t *) zmalloc (sizeof (matching_t));
    self->index = mi_index_new ();
    self->small_count = MATCHING_SMALL_COUNT;
    if (!self->index) {
        free (self);
        return NULL;
    }
    return self;
}

void
matching_destroy (matching_t **self_p)
{
    matching_t *self = *self_p;
    if (!self)
        return;
    mi_index_destroy (&self->index);
    free (self->changes);
    free (self);
    *self_p = NULL;
}

mi_index_t *
matching_index (matching_t *self)
{
    return self->index;
}

void
matching_set_small_count (matching_t *self, uint32_t threshold)
{
    self->small_count = threshold ? threshold : 1;
}

uint32_t
matching_small_count (matching_t *self)
{
    return self->small_count;
}

//  An accepted proposal holds a place on its post from its commit on: the
//  index counts it, as AcceptProposal does, so that rankings offer no post
//  whose places are all taken. (Monitoring's events then count the post's
//  places held again, from the schema: post_held.)
static void
s_after_commit (void *state, const char *method, const ProtobufCMessage *output)
{
    matching_t *self = (matching_t *) state;
    uint8_t post [16];
    if (streq (method, "AcceptProposal") && output
    &&  mi_uuid_parse (((const Snodo__Matching__Proposal *) output)->post_id, post) == 0)
        mi_index_post_accepted (self->index, post, 1);
}

sn_service_t
matching_service (matching_t *self)
{
    sn_service_t service = {
        .name = "matching",
        .descriptor = &snodo__matching__matching__descriptor,
        .methods = matching_methods,
        .migrations = matching_migrations,
        .state = self,
        .after_commit = s_after_commit,
        .streams = matching_streams,
    };
    return service;
}

bool
matching_state_engages (int state)
{
    return state >= SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_PROJECT
        && state <= SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_SUSPENDED;
}

//  --- registry messages into the index ------------------------------------------

static void
s_scores (const Snodo__Registry__Profile *profile, uint8_t *out)
{
    memset (out, 0, MI_TRAITS);
    if (!profile)
        return;
    const ProtobufCMessageDescriptor *desc = &snodo__registry__profile__descriptor;
    assert (desc->n_fields == MI_TRAITS);
    for (unsigned i = 0; i < desc->n_fields; i++) {
        //  fields in number order are the characteristics in order
        uint32_t v = *(const uint32_t *) ((const char *) profile + desc->fields [i].offset);
        out [desc->fields [i].id - 1] = (uint8_t) (v > 5 ? 5 : v);
    }
}

//  A registry person as the index takes it (borrowing p's strings).
static void
s_person (const Snodo__Registry__Person *p, mi_person_t *out)
{
    memset (out, 0, sizeof *out);
    mi_uuid_parse (p->id, out->id);
    s_scores (p->profile ? p->profile->scores : NULL, out->scores);
    const Snodo__Registry__Constraints *c = p->constraints;
    if (c) {
        out->min_hours = (uint8_t) (c->min_weekly_hours > 255 ? 255 : c->min_weekly_hours);
        out->max_hours = (uint8_t) (c->max_weekly_hours > 255 ? 255 : c->max_weekly_hours);
        out->max_commute_km = (uint16_t) (c->max_commute_km > 65535 ? 65535 : c->max_commute_km);
        out->own_transport = c->own_transport;
        out->transport_support = c->transport_support;
        out->lunch_needed = c->lunch_needed;
        out->preferred_sectors = (const char *const *) c->preferred_sectors;
        out->n_preferred_sectors = c->n_preferred_sectors;
        out->excluded_sectors = (const char *const *) c->excluded_sectors;
        out->n_excluded_sectors = c->n_excluded_sectors;
        out->excluded_tasks = (const char *const *) c->excluded_tasks;
        out->n_excluded_tasks = c->n_excluded_tasks;
    }
    out->has_coords = p->latitude != 0 || p->longitude != 0;
    out->latitude = p->latitude;
    out->longitude = p->longitude;
    out->municipality = p->municipality;
    out->ambito = p->ambito;
    out->referring_member_id = p->referring_member_id;
    out->surname = p->surname;
    out->name = p->name;
    for (size_t i = 0; i < p->n_categories; i++)
        if (p->categories [i] > 0 && p->categories [i] < 16)       //  bits of categories
            out->categories |= (uint16_t) (1u << p->categories [i]);
    for (size_t i = 0; i < p->n_consents; i++) {
        const Snodo__Registry__Consent *k = p->consents [i];
        if (k->revoked_at == 0 && k->purpose > 0 && k->purpose < MI_PURPOSES
        &&  k->member_kind > 0 && k->member_kind <= SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN)
            out->consents [k->purpose] |= (uint16_t) (1u << k->member_kind);
    }
    out->engaged = -1;
}

static void
s_post (const Snodo__Registry__JobPost *p, mi_post_t *out)
{
    memset (out, 0, sizeof *out);
    mi_uuid_parse (p->id, out->id);
    s_scores (p->requirements, out->requirements);
    out->weekly_hours = (uint8_t) (p->weekly_hours > 255 ? 255 : p->weekly_hours);
    out->places = (uint16_t) (p->places > 65535 ? 65535 : p->places);
    out->places_filled = (uint16_t) (p->places_filled > 65535 ? 65535 : p->places_filled);
    out->open = p->status == SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN;
    out->has_coords = p->latitude != 0 || p->longitude != 0;
    out->latitude = p->latitude;
    out->longitude = p->longitude;
    out->transport_available = p->transport_available;
    out->lunch_available = p->lunch_available;
    out->employer_id = p->employer_id;
    out->title = p->title;
    out->ateco = p->ateco;
    out->municipality = p->municipality;
    out->ambito = p->ambito;
    out->tasks = (const char *const *) p->tasks;
    out->n_tasks = p->n_tasks;
}

//  Runs a statement with text parameters and one binary (the last). Returns
//  0, or -1 after logging.
static int
s_exec (PGconn *db, const char *what, const char *sql, int n, const char *const *params,
        const uint8_t *bytes, size_t size)
{
    const char *values [8];
    int lengths [8] = {0}, formats [8] = {0};
    assert (n < 8);
    for (int i = 0; i < n; i++)
        values [i] = params [i];
    int total = n;
    if (bytes) {
        values [total] = (const char *) bytes;
        lengths [total] = (int) size;
        formats [total] = 1;
        total++;
    }
    PGresult *res = PQexecParams (db, sql, total, NULL, values, lengths, formats, 0);
    ExecStatusType st = PQresultStatus (res);
    int rc = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ? 0 : -1;
    if (rc)
        sn_error ("matching: could not %s: %s", what, PQerrorMessage (db));
    PQclear (res);
    return rc;
}

//  Packs msg into a new buffer. Caller frees.
static uint8_t *
s_pack (const ProtobufCMessage *msg, size_t *size)
{
    *size = protobuf_c_message_get_packed_size (msg);
    uint8_t *buffer = (uint8_t *) malloc (*size ? *size : 1);
    size_t packed = protobuf_c_message_pack (msg, buffer);
    assert (packed == *size);
    return buffer;
}

//  Whether the stored pathways engage the person. -1 on error.
static int
s_engaged (PGconn *db, const char *person_id)
{
    const char *params [1] = {person_id};
    PGresult *res = PQexecParams (db, "SELECT EXISTS (SELECT 1 FROM pathway WHERE person_id = $1 "
                                  "AND state IN " ENGAGED_STATES ")", 1, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? PQgetvalue (res, 0, 0) [0] == 't' : -1;
    if (rc < 0)
        sn_error ("matching: could not read the pathways: %s", PQerrorMessage (db));
    PQclear (res);
    return rc;
}

static int
s_apply_person (matching_t *self, PGconn *db, const Snodo__Event *event)
{
    Snodo__Registry__Person *p = snodo__registry__person__unpack (NULL, event->body.len, event->body.data);
    uint8_t id [16];
    if (!p || mi_uuid_parse (p->id, id)) {
        sn_error ("matching: registry event %llu (%s) does not hold a person; skipped",
                    (unsigned long long) event->seq, event->type);
        if (p)
            snodo__registry__person__free_unpacked (p, NULL);
        return 0;       //  a malformed event must not stop the feed
    }
    //  what matching keeps: no codice fiscale, birth, invalidity, commission, notes
    Snodo__Registry__Person trimmed = *p;
    trimmed.codice_fiscale = (char *) "";
    trimmed.birth_date = (char *) "";
    trimmed.sex = SNODO__REGISTRY__SEX__SEX_UNSPECIFIED;
    trimmed.invalidity_percent = 0;
    trimmed.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_UNSPECIFIED;
    trimmed.commission_date = (char *) "";
    trimmed.commission_measure = (char *) "";
    Snodo__Registry__Constraints constraints;
    if (p->constraints) {
        constraints = *p->constraints;
        constraints.notes = (char *) "";
        trimmed.constraints = &constraints;
    }
    size_t size;
    uint8_t *data = s_pack (&trimmed.base, &size);
    const char *params [1] = {p->id};
    int rc = s_exec (db, "store the person",
        "INSERT INTO person (id, data) VALUES ($1, $2) "
        "ON CONFLICT (id) DO UPDATE SET data = $2, updated_at = now ()", 1, params, data, size);
    free (data);
    mi_person_t person;
    s_person (p, &person);
    mi_index_lock_read (self->index);
    bool known = mi_index_person_slot (self->index, id) >= 0;
    mi_index_unlock (self->index);
    if (rc == 0 && !known) {
        //  monitoring may have told of the person first
        person.engaged = s_engaged (db, p->id);
        rc = person.engaged < 0 ? -1 : 0;
    }
    //  ahead of the commit: if it fails, the same event comes again
    if (rc == 0 && mi_index_put_person (self->index, &person)) {
        sn_error ("matching: out of memory for person %s", p->id);
        rc = -1;
    }
    snodo__registry__person__free_unpacked (p, NULL);
    return rc;
}

static int
s_apply_team (matching_t *self, PGconn *db, const Snodo__Event *event, bool add)
{
    Snodo__Registry__TeamRequest *t = snodo__registry__team_request__unpack (NULL, event->body.len, event->body.data);
    uint8_t id [16];
    if (!t || mi_uuid_parse (t->person_id, id) || !*t->member_id) {
        sn_error ("matching: registry event %llu (%s) does not hold a team change; skipped",
                    (unsigned long long) event->seq, event->type);
        if (t)
            snodo__registry__team_request__free_unpacked (t, NULL);
        return 0;
    }
    const char *params [3] = {t->person_id, t->member_id, t->pathway_id};
    int rc = s_exec (db, "store the team", add
        ? "INSERT INTO team (person_id, member_id, pathway_id) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        : "DELETE FROM team WHERE person_id = $1 AND member_id = $2 AND pathway_id = $3", 3, params, NULL, 0);
    if (rc == 0 && !add) {
        //  the member may still be in the person's team for another pathway
        PGresult *res = PQexecParams (db, "SELECT count(*) FROM team WHERE person_id = $1 AND member_id = $2",
                                      2, NULL, params, NULL, NULL, 0);
        if (PQresultStatus (res) == PGRES_TUPLES_OK)
            add = atoi (PQgetvalue (res, 0, 0)) > 0;
        else
            rc = -1;
        PQclear (res);
    }
    if (rc == 0)
        mi_index_set_team (self->index, id, t->member_id, add);
    snodo__registry__team_request__free_unpacked (t, NULL);
    return rc;
}

//  Keeps a change to the index aside until the event's transaction commits.
static void
s_change (matching_t *self, const uint8_t id [16], bool post, unsigned value)
{
    if (self->n_changes == self->max_changes) {
        self->max_changes = self->max_changes ? self->max_changes * 2 : 8;
        self->changes = (s_change_t *) realloc (self->changes, self->max_changes * sizeof (s_change_t));
        assert (self->changes);
    }
    s_change_t *change = &self->changes [self->n_changes++];
    memcpy (change->id, id, 16);
    change->post = post;
    change->value = value;
}

//  Counts the places held on each of posts (an array literal of ids) as
//  the schema does now, for the index: at once (now), or once the
//  transaction commits. Returns 0 or -1.
static int
s_count_held (matching_t *self, PGconn *db, const char *posts, bool now)
{
    const char *params [1] = {posts};
    PGresult *res = PQexecParams (db, "SELECT DISTINCT p::text, post_held (p) FROM unnest ($1::uuid []) p",
                                  1, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_error ("matching: could not count the places held on %s: %s", posts, PQerrorMessage (db));
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < PQntuples (res); i++) {
        uint8_t post [16];
        unsigned held = (unsigned) atoi (PQgetvalue (res, i, 1));
        if (mi_uuid_parse (PQgetvalue (res, i, 0), post))
            continue;
        if (now)
            mi_index_post_set_held (self->index, post, held);
        else
            s_change (self, post, true, held);
    }
    PQclear (res);
    return 0;
}

static int
s_apply_post (matching_t *self, PGconn *db, const Snodo__Event *event)
{
    Snodo__Registry__JobPost *p = snodo__registry__job_post__unpack (NULL, event->body.len, event->body.data);
    uint8_t id [16], employer [16];
    if (!p || mi_uuid_parse (p->id, id) || mi_uuid_parse (p->employer_id, employer)) {
        sn_error ("matching: registry event %llu (%s) does not hold a job post; skipped",
                    (unsigned long long) event->seq, event->type);
        if (p)
            snodo__registry__job_post__free_unpacked (p, NULL);
        return 0;
    }
    size_t size;
    uint8_t *data = s_pack (&p->base, &size);
    char places [16], filled [16];
    snprintf (places, sizeof places, "%u", p->places);
    snprintf (filled, sizeof filled, "%u", p->places_filled);
    const char *params [5] = {p->id, p->employer_id,
                              p->status == SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN ? "t" : "f",
                              places, filled};
    int rc = s_exec (db, "store the job post",
        "INSERT INTO post (id, employer_id, open, places, places_filled, data) VALUES ($1, $2, $3, $4, $5, $6) "
        "ON CONFLICT (id) DO UPDATE SET employer_id = $2, open = $3, places = $4, places_filled = $5, "
        "data = $6, updated_at = now ()", 5, params, data, size);
    free (data);
    mi_post_t post;
    s_post (p, &post);
    if (rc == 0 && mi_index_put_post (self->index, &post)) {
        sn_error ("matching: out of memory for post %s", p->id);
        rc = -1;
    }
    //  a project monitoring presented may have held a place before the
    //  post reached matching (the registry's events change the index as
    //  they apply)
    if (rc == 0) {
        char one [48];
        snprintf (one, sizeof one, "{%s}", p->id);
        rc = s_count_held (self, db, one, true);
    }
    snodo__registry__job_post__free_unpacked (p, NULL);
    return rc;
}

static int
s_apply_company (PGconn *db, const Snodo__Event *event)
{
    Snodo__Registry__Company *c = snodo__registry__company__unpack (NULL, event->body.len, event->body.data);
    uint8_t id [16];
    if (!c || mi_uuid_parse (c->id, id)) {
        sn_error ("matching: registry event %llu (%s) does not hold a company; skipped",
                    (unsigned long long) event->seq, event->type);
        if (c)
            snodo__registry__company__free_unpacked (c, NULL);
        return 0;
    }
    size_t size;
    uint8_t *data = s_pack (&c->base, &size);
    char uncovered [16], employees [16];
    snprintf (uncovered, sizeof uncovered, "%u", c->uncovered);
    snprintf (employees, sizeof employees, "%u", c->employees);
    const char *params [4] = {c->id, c->ambito, uncovered, employees};
    int rc = s_exec (db, "store the company",
        "INSERT INTO company (id, ambito, uncovered, employees, data) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET ambito = $2, uncovered = $3, employees = $4, data = $5, "
        "updated_at = now ()", 4, params, data, size);
    free (data);
    snodo__registry__company__free_unpacked (c, NULL);
    return rc;
}

int
matching_apply_registry (PGconn *db, const Snodo__Event *event, void *arg)
{
    matching_t *self = (matching_t *) arg;
    const char *type = event->type;
    if (streq (type, "registry.person.team_added"))
        return s_apply_team (self, db, event, true);
    if (streq (type, "registry.person.team_removed"))
        return s_apply_team (self, db, event, false);
    if (strncmp (type, "registry.person.", 16) == 0)
        return s_apply_person (self, db, event);
    if (strncmp (type, "registry.post.", 14) == 0)
        return s_apply_post (self, db, event);
    if (strncmp (type, "registry.company.", 17) == 0)
        return s_apply_company (db, event);
    return 0;
}

void
matching_monitoring_begun (void *arg)
{
    ((matching_t *) arg)->n_changes = 0;        //  a try rolled back: what it kept aside is void
}

void
matching_monitoring_committed (void *arg)
{
    matching_t *self = (matching_t *) arg;
    for (size_t i = 0; i < self->n_changes; i++) {
        const s_change_t *change = &self->changes [i];
        if (change->post)
            mi_index_post_set_held (self->index, change->id, change->value);
        else
            mi_index_set_engaged (self->index, change->id, change->value);  //  unknown persons: set when they come
    }
    self->n_changes = 0;
}

//  A pathway closed: the proposals accepted for it (or, made for no pathway,
//  accepted for its person, whose one pathway it moved) hold their places no
//  more. A hire at the post fills one in the registry instead; a pathway
//  closed without one gives the place back. Their posts are added to posts
//  (their places held are counted again below).
static int
s_close_proposals (PGconn *db, const char *pathway, const char *person, sn_array_t *posts)
{
    const char *params [2] = {pathway, person};
    PGresult *res = PQexecParams (db,
        "UPDATE proposal SET status = " SN_SQL (MATCH_SQL_CLOSED) ", closed_at = now (), "
        "pathway_id = CASE WHEN pathway_id = '' THEN $1 ELSE pathway_id END "
        "WHERE status = " SN_SQL (MATCH_SQL_ACCEPTED) " AND person_id = $2::uuid "
        "AND (pathway_id = $1 OR pathway_id = '') RETURNING id, post_id::text", 2, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_error ("matching: closing the proposals of pathway %s: %s", pathway, PQerrorMessage (db));
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < PQntuples (res); i++) {
        sn_array_text (posts, PQgetvalue (res, i, 1));
        sn_info ("matching: proposal %s closed with pathway %s: its place on post %s is held no more",
                 PQgetvalue (res, i, 0), pathway, PQgetvalue (res, i, 1));
    }
    PQclear (res);
    return 0;
}

//  Stores the pathway with its post (a project's). When its post or
//  whether it holds a place there changed, adds to posts the post it had
//  and the one it has. Returns 0 or -1.
static int
s_store_pathway (PGconn *db, const Snodo__Monitoring__Pathway *p, sn_array_t *posts)
{
    char state [16];
    snprintf (state, sizeof state, "%d", p->state);
    const char *params [4] = {p->id, p->person_id, state, sn_is_uuid (p->post_id) ? p->post_id : NULL};
    PGresult *res = PQexecParams (db,
        "WITH before AS (SELECT post_id, state FROM pathway WHERE id = $1) "
        "INSERT INTO pathway (id, person_id, state, post_id) VALUES ($1, $2, $3, $4) "
        "ON CONFLICT (id) DO UPDATE SET person_id = $2, state = $3, post_id = $4, updated_at = now () "
        "RETURNING (SELECT post_id::text FROM before), post_id::text, (SELECT state FROM before)",
        4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_error ("matching: could not store the pathway %s: %s", p->id, PQerrorMessage (db));
        PQclear (res);
        return -1;
    }
    //  most events of a pathway (a meeting, its agreement) change neither
    bool same_post = streq (PQgetvalue (res, 0, 0), PQgetvalue (res, 0, 1));
    bool held_before = !PQgetisnull (res, 0, 2) && matching_state_engages (atoi (PQgetvalue (res, 0, 2)));
    if (!same_post || held_before != matching_state_engages (p->state))
        for (int column = 0; column < 2; column++)
            if (!PQgetisnull (res, 0, column))
                sn_array_text (posts, PQgetvalue (res, 0, column));
    PQclear (res);
    return 0;
}

int
matching_apply_monitoring (PGconn *db, const Snodo__Event *event, void *arg)
{
    matching_t *self = (matching_t *) arg;
    if (strncmp (event->type, "monitoring.pathway.", 19) != 0)
        return 0;
    Snodo__Monitoring__Pathway *p = snodo__monitoring__pathway__unpack (NULL, event->body.len, event->body.data);
    uint8_t id [16];
    if (!p || !*p->id || strlen (p->id) > 64 || mi_uuid_parse (p->person_id, id)) {
        sn_error ("matching: monitoring event %llu (%s) does not hold a pathway; skipped",
                    (unsigned long long) event->seq, event->type);
        if (p)
            snodo__monitoring__pathway__free_unpacked (p, NULL);
        return 0;
    }
    //  the posts whose places held may change: the pathway's post before and
    //  now (a project holds one), those of the proposals it closes
    sn_array_t posts = SN_ARRAY_INIT;
    int rc = s_store_pathway (db, p, &posts);
    if (rc == 0 && p->state == SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED)
        rc = s_close_proposals (db, p->id, p->person_id, &posts);
    if (rc == 0 && sn_array_size (&posts) > 0)
        rc = s_count_held (self, db, sn_array_end (&posts), false);
    sn_array_free (&posts);
    int engaged = rc == 0 ? s_engaged (db, p->person_id) : -1;
    if (engaged >= 0)
        s_change (self, id, false, engaged == 1);
    snodo__monitoring__pathway__free_unpacked (p, NULL);
    return engaged >= 0 ? 0 : -1;
}

//  --- loading at start ---------------------------------------------------------------

//  Runs a query and hands each row's first column, unescaped from bytea, to
//  fn, one row at a time (single-row mode: a million persons are not held in
//  one result). Returns 0, or -1 with err filled.
//  Loads the rows of sql (data, id) one at a time through fn. A row fn
//  cannot read (1) is logged by its id and left out, as an unreadable event
//  is: one bad row must not keep the service from starting. Returns 0, or -1
//  with err filled (a failed query, or fn's -1: out of memory).
static int
s_load_rows (matching_t *self, PGconn *db, const char *sql, int (*fn) (matching_t *, const uint8_t *, size_t),
             char *err, size_t errlen)
{
    if (!PQsendQuery (db, sql) || !PQsetSingleRowMode (db)) {
        snprintf (err, errlen, "could not load: %s", PQerrorMessage (db));
        return -1;
    }
    int rc = 0;
    PGresult *res;
    while ((res = PQgetResult (db))) {
        ExecStatusType st = PQresultStatus (res);
        if (st == PGRES_SINGLE_TUPLE && rc == 0) {
            size_t size;
            unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, 0, 0), &size);
            int read = bytes ? fn (self, bytes, size) : 1;
            PQfreemem (bytes);
            if (read == 1)
                sn_error ("matching: stored row %s could not be read (%s); left out",
                            PQgetvalue (res, 0, 1), sql);
            else
            if (read) {
                snprintf (err, errlen, "out of memory loading (%s)", sql);
                rc = -1;
            }
        }
        else
        if (st != PGRES_TUPLES_OK && st != PGRES_SINGLE_TUPLE && rc == 0) {
            snprintf (err, errlen, "could not load: %s", PQerrorMessage (db));
            rc = -1;
        }
        PQclear (res);      //  every result, to the end, so the connection is free again
    }
    return rc;
}

static int
s_load_person (matching_t *self, const uint8_t *bytes, size_t size)
{
    Snodo__Registry__Person *p = snodo__registry__person__unpack (NULL, size, bytes);
    if (!p)
        return 1;
    mi_person_t person;
    s_person (p, &person);
    person.engaged = 0;
    int rc = mi_index_put_person (self->index, &person);
    snodo__registry__person__free_unpacked (p, NULL);
    return rc;
}

static int
s_load_post (matching_t *self, const uint8_t *bytes, size_t size)
{
    Snodo__Registry__JobPost *p = snodo__registry__job_post__unpack (NULL, size, bytes);
    if (!p)
        return 1;
    mi_post_t post;
    s_post (p, &post);
    int rc = mi_index_put_post (self->index, &post);
    snodo__registry__job_post__free_unpacked (p, NULL);
    return rc;
}

//  Rows of (uuid, value): fn for each one whose uuid parses.
static int
s_load_keyed (matching_t *self, PGconn *db, const char *sql, const char *what,
              void (*fn) (matching_t *, const uint8_t *, const char *), char *err, size_t errlen)
{
    PGresult *res = PQexec (db, sql);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        snprintf (err, errlen, "could not load %s: %s", what, PQerrorMessage (db));
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < PQntuples (res); i++) {
        uint8_t id [16];
        if (mi_uuid_parse (PQgetvalue (res, i, 0), id) == 0)
            fn (self, id, PQgetvalue (res, i, 1));
    }
    PQclear (res);
    return 0;
}

static void
s_load_team (matching_t *self, const uint8_t *person, const char *member_id)
{
    mi_index_set_team (self->index, person, member_id, true);
}

static void
s_load_held (matching_t *self, const uint8_t *post, const char *count)
{
    mi_index_post_set_held (self->index, post, (unsigned) atoi (count));
}

static void
s_load_engaged (matching_t *self, const uint8_t *person, const char *unused)
{
    (void) unused;
    mi_index_set_engaged (self->index, person, true);
}

static int
s_load (matching_t *self, PGconn *db, char *err, size_t errlen)
{
    if (s_load_rows (self, db, "SELECT data, id FROM person", s_load_person, err, errlen)
    ||  s_load_rows (self, db, "SELECT data, id FROM post", s_load_post, err, errlen))
        return -1;
    if (s_load_keyed (self, db, "SELECT person_id, member_id FROM team", "the teams", s_load_team, err, errlen)
    ||  s_load_keyed (self, db, "SELECT post_id, post_held (post_id) FROM (SELECT post_id FROM proposal WHERE "
                      "status = " SN_SQL (MATCH_SQL_ACCEPTED) " UNION SELECT post_id FROM pathway WHERE state IN "
                      ENGAGED_STATES " AND post_id IS NOT NULL) held",
                      "the places held", s_load_held, err, errlen)
    ||  s_load_keyed (self, db, "SELECT DISTINCT person_id, '' FROM pathway WHERE state IN " ENGAGED_STATES,
                      "the pathways", s_load_engaged, err, errlen))
        return -1;
    return 0;
}

int
matching_start (matching_t *self, const char *conninfo, char *err, size_t errlen)
{
    PGconn *db = sn_store_connect (conninfo, "matching", err, errlen);
    if (!db)
        return -1;
    int rc = sn_store_migrate (db, "matching", matching_migrations, err, errlen);
    if (rc == 0)
        rc = s_load (self, db, err, errlen);
    PQfinish (db);
    return rc;
}
