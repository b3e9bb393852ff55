/*  S.O.M.I. observations (the same 29 characteristics as the profiles) with
    their trend, and the standard services delivered (seed 003) with the
    check of the hours against each code's standard range. */
#include "monitoring.h"
#include <math.h>
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))

//  AddObservation: a S.O.M.I. form, while the placement is active or suspended.
static int
s_add_observation (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__AddObservationRequest *req = (Snodo__Monitoring__AddObservationRequest *) input;
    Snodo__Monitoring__Observation *o = req->observation;
    if (!o) {
        sn_call_violation (call, "observation", "is required");
        return sn_call_invalid (call);
    }
    char today [11];
    mon_today (call, today);
    mon_check_past (call, "observation.observed_on", o->observed_on, true, today);
    sn_check_scores (call, "observation.scores", (const ProtobufCMessage *) o->scores, MON_SCORE_MAX, true);
    sn_check_text (call, "observation.observer", o->observer, 200, false);
    sn_check_text (call, "observation.notes", o->notes, 8000, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "observation.pathway_id", o->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (ACTIVE) | BIT (SUSPENDED), "AddObservation");
    if (code == SNODO__CODE__OK) {
        mon_check_since_start (call, p, "observation.observed_on", o->observed_on);
        if (sn_call_violations (call))
            code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    char *scores = sn_json_from_message (&o->scores->base, 0);
    const char *params [6] = {o->pathway_id, o->observed_on, scores, o->observer, o->notes,
                              sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the observation",
        "INSERT INTO observation (pathway_id, observed_on, scores, observer, notes, recorded_by) "
        "VALUES ($1, $2, $3, $4, $5, $6)", 6, params);
    free (scores);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    sn_set_string (&o->recorded_by, sn_call_member_id (call));
    if (sn_call_event (call, "monitoring.observation.recorded", o->pathway_id, person, &o->base))
        return sn_call_code (call);
    *output = &o->base;
    req->observation = NULL;        //  moved into the output
    return SNODO__CODE__OK;
}

//  The score of one characteristic (a field of Profile); 0 without scores.
static uint32_t
s_score (const Snodo__Registry__Profile *scores, const ProtobufCFieldDescriptor *field)
{
    return scores ? *(const uint32_t *) ((const char *) scores + field->offset) : 0;
}

//  The observations in date order, and per characteristic observed at least
//  once its scores, first, last and change.
static int
s_observation_trend (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ObservationTrendRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [1] = {req->pathway_id};
    PGresult *res = sn_call_query (call, "reading the observations",
        "SELECT observed_on::text, scores::text, observer, notes, recorded_by FROM observation "
        "WHERE pathway_id = $1 ORDER BY observed_on, id", 1, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__ObservationTrendReply *reply = (Snodo__Monitoring__ObservationTrendReply *)
        sn_message_new (&snodo__monitoring__observation_trend_reply__descriptor);
    int rows = PQntuples (res);
    reply->observations = (Snodo__Monitoring__Observation **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__Observation *o = (Snodo__Monitoring__Observation *)
            sn_message_new (&snodo__monitoring__observation__descriptor);
        o->pathway_id = strdup (req->pathway_id);
        o->observed_on = strdup (PQgetvalue (res, i, 0));
        char err [256];
        o->scores = (Snodo__Registry__Profile *) sn_json_to_message (&snodo__registry__profile__descriptor,
                                                                     PQgetvalue (res, i, 1), err, sizeof err);
        o->observer = strdup (PQgetvalue (res, i, 2));
        o->notes = strdup (PQgetvalue (res, i, 3));
        o->recorded_by = strdup (PQgetvalue (res, i, 4));
        reply->observations [reply->n_observations++] = o;
    }
    PQclear (res);
    const ProtobufCMessageDescriptor *desc = &snodo__registry__profile__descriptor;
    reply->trend = (Snodo__Monitoring__CharacteristicTrend **) calloc (desc->n_fields, sizeof (void *));
    for (unsigned f = 0; f < desc->n_fields && rows > 0; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [f];
        Snodo__Monitoring__CharacteristicTrend *t = (Snodo__Monitoring__CharacteristicTrend *)
            sn_message_new (&snodo__monitoring__characteristic_trend__descriptor);
        t->characteristic = strdup (field->name);
        t->scores = (uint32_t *) calloc ((size_t) rows, sizeof (uint32_t));
        for (int i = 0; i < rows; i++) {
            uint32_t score = s_score (reply->observations [i]->scores, field);
            t->scores [t->n_scores++] = score;
            if (score && !t->first)
                t->first = score;
            if (score)
                t->last = score;
        }
        if (!t->first) {
            protobuf_c_message_free_unpacked (&t->base, NULL);
            continue;
        }
        t->change = (int32_t) t->last - (int32_t) t->first;
        reply->trend [reply->n_trend++] = t;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  --- standard services delivered --------------------------------------------------

//  AddService: a standard service delivered; an unknown code is refused,
//  hours out of the standard range are not (CheckServices reports them).
static int
s_add_service (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__AddServiceRequest *req = (Snodo__Monitoring__AddServiceRequest *) input;
    Snodo__Monitoring__ServiceDelivery *s = req->service;
    if (!s) {
        sn_call_violation (call, "service", "is required");
        return sn_call_invalid (call);
    }
    char today [11];
    mon_today (call, today);
    sn_check_text (call, "service.code", s->code, 8, true);
    mon_check_past (call, "service.delivered_on", s->delivered_on, true, today);
    if (!isfinite (s->hours) || s->hours <= 0 || s->hours > 300)
        sn_call_violation (call, "service.hours", "%g is out of range (above 0, at most 300)",
                           isfinite (s->hours) ? s->hours : -1.0);
    sn_check_text (call, "service.operator_name", s->operator_name, 200, true);
    sn_check_text (call, "service.notes", s->notes, 4000, false);
    if (*s->code && strlen (s->code) <= 8) {
        const char *params [1] = {s->code};
        PGresult *res = sn_call_query (call, "reading the standard services",
                                   "SELECT 1 FROM standard_service WHERE code = $1", 1, params);
        if (!res)
            return sn_call_code (call);
        if (PQntuples (res) == 0)
            sn_call_violation (call, "service.code",
                               "unknown standard service code \"%s\" (1A, 2A ... 3A, 3Ba-3Be, 4A-4E)", s->code);
        PQclear (res);
    }
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "service.pathway_id", s->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = SNODO__CODE__OK;
    if (strcmp (s->delivered_on, p->referred_on) < 0) {
        sn_call_violation (call, "service.delivered_on", "%s is before the referral (%s)", s->delivered_on,
                           p->referred_on);
        code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    char hours [32];
    snprintf (hours, sizeof hours, "%.2f", s->hours);
    const char *params [7] = {s->pathway_id, s->code, s->delivered_on, hours, s->operator_name, s->notes,
                              sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the service",
        "INSERT INTO service_delivery (pathway_id, code, delivered_on, hours, operator_name, notes, recorded_by) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7)", 7, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    if (sn_call_event (call, "monitoring.service.delivered", s->pathway_id, person, &s->base))
        return sn_call_code (call);
    *output = &s->base;
    req->service = NULL;            //  moved into the output
    return SNODO__CODE__OK;
}

//  Per code delivered: the hours against the standard range. Above the
//  maximum is a finding; below the minimum is one once the pathway closed.
static int
s_check_services (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__CheckServicesRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    bool closed = p->state == MON_STATE (CLOSED);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [1] = {req->pathway_id};
    PGresult *res = sn_call_query (call, "checking the services",
        "SELECT s.code, s.name, sum (d.hours)::float8, s.min_hours::float8, s.max_hours::float8, count (*) "
        "FROM service_delivery d JOIN standard_service s ON s.code = d.code WHERE d.pathway_id = $1 "
        "GROUP BY s.code ORDER BY s.code", 1, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__CheckServicesReply *reply = (Snodo__Monitoring__CheckServicesReply *)
        sn_message_new (&snodo__monitoring__check_services_reply__descriptor);
    int rows = PQntuples (res);
    reply->checks = (Snodo__Monitoring__ServiceCheck **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__ServiceCheck *c = (Snodo__Monitoring__ServiceCheck *)
            sn_message_new (&snodo__monitoring__service_check__descriptor);
        c->code = strdup (PQgetvalue (res, i, 0));
        c->name = strdup (PQgetvalue (res, i, 1));
        c->delivered_hours = atof (PQgetvalue (res, i, 2));
        c->min_hours = atof (PQgetvalue (res, i, 3));
        c->max_hours = atof (PQgetvalue (res, i, 4));
        c->deliveries = (uint32_t) atoi (PQgetvalue (res, i, 5));
        bool above = c->delivered_hours > c->max_hours + 1e-9, below = c->delivered_hours < c->min_hours - 1e-9;
        c->status = strdup (above ? "ABOVE_MAX" : below ? "BELOW_MIN" : "WITHIN");
        c->finding = above || (below && closed);
        reply->checks [reply->n_checks++] = c;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  StandardServices: the codes of seed 003 with their ranges of hours.
static int
s_standard_services (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    PGresult *res = sn_call_query (call, "reading the standard services",
        "SELECT code, name, min_hours::float8, max_hours::float8 FROM standard_service ORDER BY code", 0, NULL);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__StandardServicesReply *reply = (Snodo__Monitoring__StandardServicesReply *)
        sn_message_new (&snodo__monitoring__standard_services_reply__descriptor);
    int rows = PQntuples (res);
    reply->services = (Snodo__Monitoring__StandardService **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__StandardService *s = (Snodo__Monitoring__StandardService *)
            sn_message_new (&snodo__monitoring__standard_service__descriptor);
        s->code = strdup (PQgetvalue (res, i, 0));
        s->name = strdup (PQgetvalue (res, i, 1));
        s->min_hours = atof (PQgetvalue (res, i, 2));
        s->max_hours = atof (PQgetvalue (res, i, 3));
        reply->services [reply->n_services++] = s;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t mon_record_methods [] = {
    SN_METHOD (AddObservation, s_add_observation, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ObservationTrend, s_observation_trend, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (AddService, s_add_service, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (CheckServices, s_check_services, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (StandardServices, s_standard_services, SN_ANY_KIND, 0),
    SN_METHODS_END
};
