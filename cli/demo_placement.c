/*  snodoctl demo load, the rows of seed 000 around a placement: the project
    presented (objectives, mansionario, accompaniment), the host's tutor,
    transport, lunch and the extraordinary transport funding, mediations,
    aids and adaptations. Called by demo_monitoring.c as it carries each
    pathway; deterministic by the pathway's index. */
#include "snodoctl.h"
#include <string.h>

#define DECISION(x) SNODO__MONITORING__DECISION__DECISION_##x

int
ctl_demo_project (ctl_t *ctl, const char *as, const char *id, int index)
{
    char *objectives [] = {"autonomia nelle mansioni del mansionario", "rispetto degli orari e delle pause"};
    char *tasks [] = {"riordino e rifornimento degli scaffali", "etichettatura dei prodotti",
                      "pulizia della postazione a fine turno"};
    Snodo__Monitoring__Accompaniment a = SNODO__MONITORING__ACCOMPANIMENT__INIT;
    a.requested_by = "operatore del servizio inviante";
    a.requested_on = "2026-04-27";
    a.weeks = 8;
    a.hours_per_week = 10;
    a.decision = index % 2 ? DECISION (REQUESTED) : DECISION (GRANTED);
    a.decided_by = index % 2 ? "" : "Provincia di Pordenone, Ufficio Servizio lavoro";
    a.decided_on = index % 2 ? "" : "2026-05-11";
    Snodo__Monitoring__Project pr = SNODO__MONITORING__PROJECT__INIT;
    pr.pathway_id = (char *) id;
    pr.date = "2026-04-27";
    pr.objectives = objectives;
    pr.n_objectives = 2;
    pr.tasks = tasks;
    pr.n_tasks = 3;
    pr.accompaniment = &a;
    Snodo__Monitoring__SetProjectRequest set = SNODO__MONITORING__SET_PROJECT_REQUEST__INIT;
    set.project = &pr;
    if (ctl_demo_call (ctl, as, "monitoring.SetProject", &set.base, NULL, NULL))
        return -1;
    //  the host's tutor, under the host's id (the pathway's employer)
    char phone [32];
    snprintf (phone, sizeof phone, "0434 5510%02d", index % 100);
    Snodo__Monitoring__TeamRequest tutor = SNODO__MONITORING__TEAM_REQUEST__INIT;
    tutor.pathway_id = (char *) id;
    tutor.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR;
    tutor.name = index % 2 ? "Giulia Zanin" : "Marco Del Col";
    tutor.phone = phone;
    return ctl_demo_call (ctl, as, "monitoring.AddTeamMember", &tutor.base, NULL, NULL) ? -1 : 0;
}

int
ctl_demo_accessories (ctl_t *ctl, const char *as, const char *id, int index, bool transport, bool lunch)
{
    Snodo__Monitoring__AccessoryService s = SNODO__MONITORING__ACCESSORY_SERVICE__INIT;
    Snodo__Monitoring__SetAccessoryServiceRequest set = SNODO__MONITORING__SET_ACCESSORY_SERVICE_REQUEST__INIT;
    set.service = &s;
    s.pathway_id = (char *) id;
    s.since = "2026-05-20";
    if (transport) {
        s.kind = SNODO__MONITORING__ACCESSORY_KIND__ACCESSORY_KIND_TRANSPORT;
        s.provider = "ATAP Pordenone";
        s.cost = 35.5;
        s.cost_unit = SNODO__MONITORING__COST_UNIT__COST_UNIT_PER_MONTH;
        s.paid_by = SNODO__MONITORING__PAYER__PAYER_PROVINCE;
        if (ctl_demo_call (ctl, as, "monitoring.SetAccessoryService", &set.base, NULL, NULL))
            return -1;
    }
    if (lunch) {
        s.kind = SNODO__MONITORING__ACCESSORY_KIND__ACCESSORY_KIND_LUNCH;
        s.provider = "mensa aziendale";
        s.cost = 5.2;
        s.cost_unit = SNODO__MONITORING__COST_UNIT__COST_UNIT_PER_DAY;
        s.paid_by = SNODO__MONITORING__PAYER__PAYER_HOST;
        if (ctl_demo_call (ctl, as, "monitoring.SetAccessoryService", &set.base, NULL, NULL))
            return -1;
    }
    if (index % 4 != 1)
        return 0;
    Snodo__Monitoring__TransportFunding f = SNODO__MONITORING__TRANSPORT_FUNDING__INIT;
    f.pathway_id = (char *) id;
    f.amount = 480;
    f.requested_on = "2026-05-20";
    f.decision = DECISION (GRANTED);
    f.decided_by = "Provincia di Pordenone";
    f.decided_on = "2026-05-27";
    f.notes = "turni serali senza corse di linea";
    Snodo__Monitoring__SetTransportFundingRequest funding = SNODO__MONITORING__SET_TRANSPORT_FUNDING_REQUEST__INIT;
    funding.funding = &f;
    return ctl_demo_call (ctl, as, "monitoring.SetTransportFunding", &funding.base, NULL, NULL) ? -1 : 0;
}

int
ctl_demo_interventions (ctl_t *ctl, const char *as, const char *id, int index)
{
    static const struct { const char *on; int kind; const char *by, *what; } rows [] = {
        {"2026-06-10", SNODO__MONITORING__INTERVENTION_KIND__INTERVENTION_KIND_MEDIATION, "lavoratore guida referente",
         "colloquio con il capo reparto sui turni e le pause"},
        {"2026-06-17", SNODO__MONITORING__INTERVENTION_KIND__INTERVENTION_KIND_ADAPTATION, "tutor aziendale",
         "istruzioni scritte per ogni fase del compito"},
        {"2026-06-24", SNODO__MONITORING__INTERVENTION_KIND__INTERVENTION_KIND_AID, "azienda", "sgabello ergonomico"},
    };
    for (int i = 0; i < (index % 2 ? 3 : 1); i++) {
        Snodo__Monitoring__Intervention iv = SNODO__MONITORING__INTERVENTION__INIT;
        iv.pathway_id = (char *) id;
        iv.done_on = (char *) rows [i].on;
        iv.kind = (Snodo__Monitoring__InterventionKind) rows [i].kind;
        iv.by = (char *) rows [i].by;
        iv.what = (char *) rows [i].what;
        Snodo__Monitoring__AddInterventionRequest add = SNODO__MONITORING__ADD_INTERVENTION_REQUEST__INIT;
        add.intervention = &iv;
        if (ctl_demo_call (ctl, as, "monitoring.AddIntervention", &add.base, NULL, NULL))
            return -1;
    }
    return 0;
}
