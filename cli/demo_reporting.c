/*  snodoctl demo load, the history the reports need: five years of closed
    pathways (2021-2025) across the referring services, ambiti, categories
    and kinds, with their outcomes and standard services, so that every
    chart of the dashboard and the comparison with a baseline year mean
    something. Dates are in the past and in order (monitoring refuses a
    date in the future or before the referral). Deterministic; persons with
    a pathway already are left alone, so loading twice adds nothing. */
#include "snodoctl.h"
#include <string.h>

#define FIRST_YEAR 2021
#define YEARS 5
#define PER_REFERRER 24         //  pathways of history per referring service
#define SKIP 6                  //  the first persons of each service are the live demo's

static const char *const s_referrers [] = {"ass6-sil", "ass6-dsm", "ass6-sert", "ssc-urbano", "ssc-sud",
                                           "ssc-nord", "ssc-est", "ssc-ovest", "cpi-pordenone", NULL};

//  A transition on the pathway (date YYYY-MM-DD, outcome may be NULL).
static int
s_move (ctl_t *ctl, const char *as, const char *method, const char *id, const char *date,
        Snodo__Monitoring__Outcome *outcome, const char *post, const char *employer)
{
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.date = (char *) date;
    req.outcome = outcome;
    req.post_id = (char *) (post ? post : "");
    req.employer_id = (char *) (employer ? employer : "");
    return ctl_demo_call (ctl, as, method, &req.base, NULL, NULL);
}

//  Refers the person in year (waiting for monitoring to know the person).
static int
s_refer (ctl_t *ctl, const char *as, const char *person, int kind, const char *date, char *id)
{
    Snodo__Monitoring__ReferRequest req = SNODO__MONITORING__REFER_REQUEST__INIT;
    req.person_id = (char *) person;
    req.kind = (Snodo__Monitoring__PathwayKind) kind;
    req.referred_on = (char *) date;
    int code = SNODO__CODE__FAILED_PRECONDITION;
    for (int attempt = 0; attempt < 50 && code == SNODO__CODE__FAILED_PRECONDITION; attempt++) {
        Snodo__Monitoring__Pathway *p = NULL;
        code = ctl_demo_call (ctl, as, "monitoring.Refer", &req.base, &snodo__monitoring__pathway__descriptor,
                              (ProtobufCMessage **) &p);
        if (code == SNODO__CODE__OK)
            snprintf (id, 40, "%s", p->id);
        if (p)
            protobuf_c_message_free_unpacked (&p->base, NULL);
        if (code == SNODO__CODE__FAILED_PRECONDITION)
            zclock_sleep (100);
    }
    return code;
}

//  Up to ACTIVE from the referral of year y, with an agreement and hours.
static int
s_activate (ctl_t *ctl, const char *as, const char *id, int y, int n, const Snodo__Registry__JobPost *post)
{
    char date [32], start [32], end [32];
    const char *steps [] = {"monitoring.StartIntake", "monitoring.StartAssessment", "monitoring.StartMatching"};
    for (int s = 0; s < 3; s++) {
        snprintf (date, sizeof date, "%d-03-%02d", y, 2 + s * 7);
        if (s_move (ctl, as, steps [s], id, date, NULL, NULL, NULL))
            return -1;
    }
    snprintf (date, sizeof date, "%d-03-25", y);
    if (s_move (ctl, as, "monitoring.PresentProject", id, date, NULL, post->id, post->employer_id))
        return -1;
    Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
    snprintf (start, sizeof start, "%d-04-%02d", y, 1 + n % 20);
    snprintf (end, sizeof end, "%d-03-31", y + 1);
    a.host_id = post->employer_id;
    a.post_id = post->id;
    a.objectives = "autonomia nelle mansioni; rispetto degli orari";
    a.start_date = start;
    a.end_date = end;
    a.weekly_hours = 15 + (uint32_t) (n % 4) * 5;
    Snodo__Monitoring__SetAgreementRequest set = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
    set.pathway_id = (char *) id;
    set.agreement = &a;
    snprintf (date, sizeof date, "%d-03-28", y);
    if (ctl_demo_call (ctl, as, "monitoring.SetAgreement", &set.base, NULL, NULL)
    ||  s_move (ctl, as, "monitoring.SignAgreement", id, date, NULL, NULL, NULL)
    ||  s_move (ctl, as, "monitoring.Activate", id, start, NULL, NULL, NULL))
        return -1;
    static const char *const codes [] = {"3Bc", "3Bd", "3Bd", "3Be", "3Bb"};
    Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    service.pathway_id = (char *) id;
    service.code = (char *) codes [n % 5];
    snprintf (date, sizeof date, "%d-09-30", y);
    service.delivered_on = date;
    service.hours = 20 + (n * 37) % 120;        //  some out of their range
    service.operator_name = "operatore SIL";
    Snodo__Monitoring__AddServiceRequest add = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
    add.service = &service;
    return ctl_demo_call (ctl, as, "monitoring.AddService", &add.base, NULL, NULL) ? -1 : 0;
}

//  One pathway of history: referred in year y, closed with an outcome
//  (more hired in the later years: the network gets better at it).
static int
s_history (ctl_t *ctl, const char *as, const char *person, int n, const Snodo__Registry__JobPost *post)
{
    //  more pathways in the later years, kinds and outcomes spread over them
    static const int weights [] = {0, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 4};
    int y = FIRST_YEAR + weights [(n * 7 + n / 13) % 13];
    int kind = 1 + (n * 11 + n / 3) % 5;
    char id [40], date [32];
    snprintf (date, sizeof date, "%d-02-%02d", y, 1 + n % 27);
    if (s_refer (ctl, as, person, kind, date, id) != SNODO__CODE__OK || s_activate (ctl, as, id, y, n, post))
        return -1;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    int roll = (n * 37 + n / 3) % 10;
    if (roll < 3 + (y - FIRST_YEAR)) {
        outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
        outcome.contract_type = (Snodo__Monitoring__ContractType) (1 + n % 4);
        outcome.weekly_hours = 15 + (uint32_t) (n % 4) * 5;
    }
    else
    if (roll < 8) {
        outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
        outcome.reason = "interruzione concordata con il servizio inviante";
    }
    else {
        outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED;
        outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_POTENZIALE;
        outcome.recommended_measure = "percorso socio-occupazionale";
    }
    snprintf (date, sizeof date, "%d-%02d-15", y + 1, 1 + n % 10);     //  by October of the year after
    int verdict = outcome.kind == SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED
                ? SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_READY_TO_HIRE
                : SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_NOT_PLACEABLE_NOW;
    if (outcome.kind != SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED
    &&  ctl_demo_evaluate (ctl, as, id, date, verdict))
        return -1;
    return s_move (ctl, as, "monitoring.Close", id, date, &outcome, NULL, NULL);
}

//  The persons of a referring service, past the live demo's, with no pathway yet.
static int
s_referrer_history (ctl_t *ctl, const char *as, int *n, const Snodo__Registry__ListJobPostsReply *posts,
                    int *created)
{
    Snodo__Registry__ListPersonsRequest list = SNODO__REGISTRY__LIST_PERSONS_REQUEST__INIT;
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = SKIP + PER_REFERRER;
    list.page = &page;
    list.referring_member_id = (char *) as;
    Snodo__Registry__ListPersonsReply *persons = NULL;
    if (ctl_demo_call (ctl, as, "registry.ListPersons", &list.base, &snodo__registry__list_persons_reply__descriptor,
                       (ProtobufCMessage **) &persons))
        return -1;
    int rc = 0;
    for (size_t i = SKIP; i < persons->n_persons && rc == 0; i++, (*n)++) {
        Snodo__Monitoring__ListPathwaysRequest mine = SNODO__MONITORING__LIST_PATHWAYS_REQUEST__INIT;
        mine.person_id = persons->persons [i]->id;
        Snodo__Monitoring__ListPathwaysReply *existing = NULL;
        rc = ctl_demo_call (ctl, as, "monitoring.ListPathways", &mine.base,
                            &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &existing);
        bool exists = rc == 0 && existing->n_pathways > 0;
        if (existing)
            protobuf_c_message_free_unpacked (&existing->base, NULL);
        if (rc == 0 && !exists) {
            rc = s_history (ctl, as, persons->persons [i]->id, *n, posts->posts [(size_t) *n % posts->n_posts]);
            *created += rc == 0;
        }
    }
    protobuf_c_message_free_unpacked (&persons->base, NULL);
    return rc;
}

int
ctl_demo_reporting (ctl_t *ctl)
{
    Snodo__Registry__ListJobPostsReply *posts = ctl_demo_posts (ctl);
    if (!posts)
        return -1;
    int n = 0, created = 0, rc = 0;
    for (int r = 0; s_referrers [r] && rc == 0; r++)
        rc = s_referrer_history (ctl, s_referrers [r], &n, posts, &created);
    protobuf_c_message_free_unpacked (&posts->base, NULL);
    if (rc == 0)
        printf ("demo: %d closed pathways of %d-%d for the reports\n", created, FIRST_YEAR, FIRST_YEAR + YEARS - 1);
    return rc;
}
