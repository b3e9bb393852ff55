/*  Accessory services (prestazioni accessorie, seed 000): transport and
    lunch with their provider, cost and who pays, and the extraordinary
    transport funding (contributo per trasporto straordinario) with its
    decision. The scuola-pass stays the agreement's (SetAgreement checks the
    invalidity under 75 %). */
#include "monitoring.h"
#include "sn_log.h"
#include <math.h>
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))
//  Organised with the agreement, for as long as the placement runs.
#define ACCESSORY_STATES (BIT (PROJECT) | BIT (AGREEMENT) | BIT (ACTIVE) | BIT (SUSPENDED))

//  An amount in euro: finite, to the cent, above 0 (or from 0 when
//  zero_allowed), at most max.
static void
s_check_euro (sn_call_t *call, const char *field, double value, bool zero_allowed, double max)
{
    if (!isfinite (value) || value < 0 || value > max || (!zero_allowed && value == 0))
        sn_call_violation (call, field, "%.2f euro is out of range (%s, at most %.0f)",
                           isfinite (value) ? value : -1.0, zero_allowed ? "0 or more" : "above 0", max);
    else
    if (fabs (value * 100 - round (value * 100)) > 1e-6)
        sn_call_violation (call, field, "%g euro is not to the cent", value);
}

//  Checks an accessory service on its own.
static void
s_check_service (sn_call_t *call, const Snodo__Monitoring__AccessoryService *s, const char *today)
{
    sn_check_enum (call, "service.kind", &snodo__monitoring__accessory_kind__descriptor, s->kind, true);
    sn_check_text (call, "service.provider", s->provider, 200, true);
    s_check_euro (call, "service.cost", s->cost, true, 10000);
    bool costs = isfinite (s->cost) && s->cost > 0;
    sn_check_enum (call, "service.cost_unit", &snodo__monitoring__cost_unit__descriptor, s->cost_unit, costs);
    sn_check_enum (call, "service.paid_by", &snodo__monitoring__payer__descriptor, s->paid_by, costs);
    mon_check_past (call, "service.since", s->since, false, today);
    sn_check_text (call, "service.notes", s->notes, 2000, false);
}

//  Checks a transport funding on its own.
static void
s_check_funding (sn_call_t *call, const Snodo__Monitoring__TransportFunding *f, const char *today)
{
    s_check_euro (call, "funding.amount", f->amount, false, 50000);
    mon_check_past (call, "funding.requested_on", f->requested_on, true, today);
    mon_check_decision (call, "funding.", f->decision, f->decided_by, f->decided_on, f->requested_on, today);
    sn_check_text (call, "funding.notes", f->notes, 2000, false);
}

//  Reads the pathway (locked) for a record of it: in a state that has
//  accessory services, its dates (fields and dates, n of them) not before
//  the referral. Sets person (40 bytes). Returns a code.
static int
s_pathway_for (sn_call_t *call, const char *field, const char *id, const char *const *fields,
               const char *const *dates, int n, char *person)
{
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, field, id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, ACCESSORY_STATES, sn_call_method (call));
    if (code == SNODO__CODE__OK) {
        for (int i = 0; i < n; i++)
            mon_check_since_referral (call, p, fields [i], dates [i]);
        if (sn_call_violations (call))
            code = sn_call_invalid (call);
    }
    snprintf (person, 40, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

//  Stores a record's JSON with sql ($1 pathway, $2 data, $3 recorded_by,
//  $4 kind unless NULL) and writes the event type. Returns a code.
static int
s_store (sn_call_t *call, const char *sql, const char *kind, const char *what, const char *type,
         const char *pathway, const char *person, const ProtobufCMessage *record)
{
    char *data = sn_json_from_message (record, 0);
    const char *params [4] = {pathway, data, sn_call_member_id (call), kind};
    PGresult *res = sn_call_query (call, what, sql, kind ? 4 : 3, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    if (sn_call_event (call, type, pathway, person, record))
        return sn_call_code (call);
    return SNODO__CODE__OK;
}

//  SetAccessoryService: the pathway's transport or lunch, from the project
//  on; it replaces the last of its kind (kept).
static int
s_set_accessory_service (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__SetAccessoryServiceRequest *req = (Snodo__Monitoring__SetAccessoryServiceRequest *) input;
    Snodo__Monitoring__AccessoryService *s = req->service;
    if (!s) {
        sn_call_violation (call, "service", "is required");
        return sn_call_invalid (call);
    }
    char today [11], person [40];
    mon_today (call, today);
    s_check_service (call, s, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    if (!*s->since)
        sn_set_string (&s->since, today);
    const char *fields [1] = {"service.since"}, *dates [1] = {s->since};
    int code = s_pathway_for (call, "service.pathway_id", s->pathway_id, fields, dates, 1, person);
    if (code != SNODO__CODE__OK)
        return code;
    s->cost = round (s->cost * 100) / 100;
    sn_set_string (&s->recorded_by, sn_call_member_id (call));
    char kind [8];
    snprintf (kind, sizeof kind, "%d", s->kind);
    code = s_store (call, "INSERT INTO accessory_service (pathway_id, data, recorded_by, kind) "
                          "VALUES ($1, $2, $3, $4::int)", kind,
                    "recording the accessory service", "monitoring.accessory.set", s->pathway_id, person, &s->base);
    if (code != SNODO__CODE__OK)
        return code;
    *output = &s->base;
    req->service = NULL;            //  moved into the output
    return SNODO__CODE__OK;
}

//  SetTransportFunding: the extraordinary transport funding, asked for or
//  decided; it replaces the last one (kept).
static int
s_set_transport_funding (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__SetTransportFundingRequest *req = (Snodo__Monitoring__SetTransportFundingRequest *) input;
    Snodo__Monitoring__TransportFunding *f = req->funding;
    if (!f) {
        sn_call_violation (call, "funding", "is required");
        return sn_call_invalid (call);
    }
    char today [11], person [40];
    mon_today (call, today);
    s_check_funding (call, f, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    const char *fields [2] = {"funding.requested_on", "funding.decided_on"}, *dates [2] = {f->requested_on,
                                                                                          f->decided_on};
    int code = s_pathway_for (call, "funding.pathway_id", f->pathway_id, fields, dates, 2, person);
    if (code != SNODO__CODE__OK)
        return code;
    f->amount = round (f->amount * 100) / 100;
    sn_set_string (&f->recorded_by, sn_call_member_id (call));
    code = s_store (call, "INSERT INTO transport_funding (pathway_id, data, recorded_by) VALUES ($1, $2, $3)", NULL,
                    "recording the transport funding", "monitoring.transport_funding.set", f->pathway_id, person,
                    &f->base);
    if (code != SNODO__CODE__OK)
        return code;
    *output = &f->base;
    req->funding = NULL;            //  moved into the output
    return SNODO__CODE__OK;
}

//  ListAccessoryServices: the current transport and lunch, the current
//  funding and the agreement's scuola-pass.
static int
s_list_accessory_services (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListAccessoryServicesRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    Snodo__Monitoring__ListAccessoryServicesReply *reply = (Snodo__Monitoring__ListAccessoryServicesReply *)
        sn_message_new (&snodo__monitoring__list_accessory_services_reply__descriptor);
    reply->scuola_pass = p->agreement && p->agreement->scuola_pass;
    char id [40];
    snprintf (id, sizeof id, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the accessory services",
        "SELECT 's', kind, data::text FROM (SELECT DISTINCT ON (kind) kind, data FROM accessory_service "
        "  WHERE pathway_id = $1 ORDER BY kind, id DESC) s "
        "UNION ALL (SELECT 'f', 0, data::text FROM transport_funding WHERE pathway_id = $1 ORDER BY id DESC LIMIT 1) "
        "ORDER BY 1 DESC, 2", 1, params);
    if (!res) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return sn_call_code (call);
    }
    int rows = PQntuples (res), code = SNODO__CODE__OK;
    reply->services = (Snodo__Monitoring__AccessoryService **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows && code == SNODO__CODE__OK; i++) {
        bool service = PQgetvalue (res, i, 0) [0] == 's';
        char err [256];
        ProtobufCMessage *m = sn_json_to_message (service ? &snodo__monitoring__accessory_service__descriptor
                                                          : &snodo__monitoring__transport_funding__descriptor,
                                                  PQgetvalue (res, i, 2), err, sizeof err);
        if (!m) {
            sn_error ("monitoring: a stored accessory service could not be read: %s", err);
            code = sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
        }
        else
        if (service)
            reply->services [reply->n_services++] = (Snodo__Monitoring__AccessoryService *) m;
        else
            reply->funding = (Snodo__Monitoring__TransportFunding *) m;
    }
    PQclear (res);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t mon_accessory_methods [] = {
    SN_METHOD (SetAccessoryService, s_set_accessory_service, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (SetTransportFunding, s_set_transport_funding, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListAccessoryServices, s_list_accessory_services, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
