/*  The monitoring service: state, service table, shared checks, and the
    pathway's load and save with the person-data rule. */
#include "monitoring.h"
#include "sn_log.h"
#include <pthread.h>
#include <string.h>

struct _monitoring_t {
    sn_auth_t *auth;                //  the network's members (borrowed)
    pthread_mutex_t lock;           //  guards today
    char today [11];                //  a fixed today (tests), "" = the clock
    sn_method_t *methods;           //  every method, one table
};

monitoring_t *
monitoring_new (sn_auth_t *auth)
{
    monitoring_t *self = (monitoring_t *) zmalloc (sizeof (monitoring_t));
    self->auth = auth;
    pthread_mutex_init (&self->lock, NULL);
    const sn_method_t *const tables [] = {mon_pathway_methods, mon_batch_methods, mon_schedule_methods,
                                          mon_attendance_methods, mon_record_methods, mon_project_methods,
                                          mon_accessory_methods, mon_review_methods, mon_evaluation_methods, NULL};
    self->methods = sn_methods_join (tables);
    return self;
}

void
monitoring_destroy (monitoring_t **self_p)
{
    monitoring_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self->methods);
    free (self);
    *self_p = NULL;
}

//  Who may follow the events in their own streams (journal.Follow): every
//  kind, as every kind may read a pathway it is in the team of; of each
//  pathway's events, only the members that may see its person.
static const sn_stream_t s_streams [] = {
    {"monitoring.", SN_ANY_KIND},
    {NULL, 0}
};

sn_service_t
monitoring_service (monitoring_t *self)
{
    sn_service_t service = {
        .name = "monitoring",
        .descriptor = &snodo__monitoring__monitoring__descriptor,
        .methods = self->methods,
        .migrations = monitoring_migrations,
        .state = self,
        .streams = s_streams,
    };
    return service;
}

void
monitoring_set_today (monitoring_t *self, const char *today)
{
    pthread_mutex_lock (&self->lock);
    snprintf (self->today, sizeof self->today, "%s", today && sn_date_valid (today) ? today : "");
    pthread_mutex_unlock (&self->lock);
}

sn_auth_t *
mon_auth (monitoring_t *self)
{
    return self->auth;
}

void
mon_today (sn_call_t *call, char *out)
{
    monitoring_today ((monitoring_t *) sn_call_state (call), out);
}

void
monitoring_today (monitoring_t *self, char *out)
{
    pthread_mutex_lock (&self->lock);
    if (*self->today)
        memcpy (out, self->today, 11);
    else
        mon_date_today (out);
    pthread_mutex_unlock (&self->lock);
}

//  --- shared checks -------------------------------------------------------------

const char *
mon_state_name (int state)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&snodo__monitoring__pathway_state__descriptor, state);
    return v ? v->name + strlen ("PATHWAY_STATE_") : "UNKNOWN";
}

//  --- the pathway ---------------------------------------------------------------

Snodo__Monitoring__Pathway *
mon_pathway_load (sn_call_t *call, const char *field, const char *id, bool for_update)
{
    if (!sn_is_uuid (id)) {
        sn_call_violation (call, field, "\"%.40s\" is not a UUID", id);
        sn_call_invalid (call);
        return NULL;
    }
    char kind [8];
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    const char *params [3] = {id, sn_call_member_id (call), kind};
    PGresult *res = sn_call_query (call, "reading the pathway", for_update
        ? "SELECT " MON_PATHWAY_JSON ", " MON_MAY_ACCESS ", p.person_id FROM pathway p WHERE p.id = $1 FOR UPDATE"
        : "SELECT " MON_PATHWAY_JSON ", " MON_MAY_ACCESS ", p.person_id FROM pathway p WHERE p.id = $1",
        3, params);
    if (!res)
        return NULL;
    Snodo__Monitoring__Pathway *p = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such pathway");
    else {
        sn_call_audit (call, PQgetvalue (res, 0, 2));
        if (PQgetvalue (res, 0, 1) [0] != 't')
            sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                          "member %s is not the referring service of this pathway nor in its team",
                          sn_call_member_id (call));
        else {
            char err [256];
            p = (Snodo__Monitoring__Pathway *) sn_json_to_message (&snodo__monitoring__pathway__descriptor,
                                                                   PQgetvalue (res, 0, 0), err, sizeof err);
            if (!p) {
                sn_error ("monitoring: stored pathway %s could not be read: %s", id, err);
                sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
            }
        }
    }
    PQclear (res);
    return p;
}

//  The JSON kept in data: the whole pathway but what columns and tables keep.
char *
mon_storage_json (const Snodo__Monitoring__Pathway *p)
{
    struct json_object *obj = sn_json_obj_from_message (&p->base, 0);
    if (!obj)
        return NULL;
    static const char *const drop [] = {"version", "createdAt", "updatedAt", "team", "history", "agreementVersions", NULL};
    for (const char *const *key = drop; *key; key++)
        json_object_object_del (obj, *key);
    char *text = strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN));
    json_object_put (obj);
    return text;
}

int
mon_pathway_event (sn_call_t *call, const char *type, Snodo__Monitoring__Pathway *p)
{
    //  the presentation form (health notes among it) stays out of events:
    //  it is read with GetPathway, by those who may, and audited
    Snodo__Monitoring__PresentationForm *form = p->presentation;
    p->presentation = NULL;
    int rc = sn_call_event (call, type, p->id, p->person_id, &p->base);
    p->presentation = form;
    return rc;
}

const char *
mon_pathway_host (const Snodo__Monitoring__Pathway *p)
{
    return p->agreement && *p->agreement->host_id ? p->agreement->host_id : p->employer_id;
}

int
mon_pathway_save (sn_call_t *call, Snodo__Monitoring__Pathway *p, const char *what,
                  ProtobufCMessage **output)
{
    char *data = mon_storage_json (p);
    char state [8], kind [8], outcome [8];
    snprintf (state, sizeof state, "%d", p->state);
    snprintf (kind, sizeof kind, "%d", p->kind);
    snprintf (outcome, sizeof outcome, "%d", p->outcome ? (int) p->outcome->kind : 0);
    const char *params [8] = {p->id, state, kind, p->employer_id, mon_pathway_host (p),
                              *p->start_date ? p->start_date : NULL, outcome, data};
    PGresult *res = sn_call_query (call, "saving the pathway",
        "UPDATE pathway SET state = $2, kind = $3, employer_id = $4, host_id = $5, start_date = $6, "
        "outcome = $7, data = $8, version = version + 1, updated_at = now () WHERE id = $1 "
        "RETURNING version, ms (updated_at)", 8, params);
    free (data);
    if (!res) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    p->version = (uint32_t) atoi (PQgetvalue (res, 0, 0));
    p->updated_at = atoll (PQgetvalue (res, 0, 1));
    PQclear (res);
    char type [96];
    snprintf (type, sizeof type, "monitoring.pathway.%s", what);
    if (mon_pathway_event (call, type, p)) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    *output = &p->base;
    return SNODO__CODE__OK;
}

int
mon_require_state (sn_call_t *call, const Snodo__Monitoring__Pathway *p, uint32_t mask, const char *action)
{
    if (mask & (1u << p->state))
        return SNODO__CODE__OK;
    char wanted [160] = "";
    for (int s = 1; s <= 9; s++)
        if (mask & (1u << s))
            snprintf (wanted + strlen (wanted), sizeof wanted - strlen (wanted), "%s%s",
                      *wanted ? " or " : "", mon_state_name (s));
    return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "pathway %s is %s: %s needs %s",
                         p->id, mon_state_name (p->state), action, wanted);
}
