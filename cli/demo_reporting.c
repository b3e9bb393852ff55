/*  snodoctl demo load, the history the reports need: five years of closed
    pathways (2021-2025) across the referring services, ambiti, categories
    and kinds, with their outcomes and standard services, so that every
    chart of the dashboard and the comparison with a baseline year mean
    something. Dates are in the past and in order (monitoring refuses a
    date in the future or before the referral). Deterministic; persons with
    a pathway already are left alone, and once the history is finished (its
    posts closed) a load adds nothing to it. */
#include "snodoctl.h"
#include <string.h>

#define FIRST_YEAR 2021
#define YEARS 5
#define PER_REFERRER 24         //  pathways of history per referring service
#define SKIP 6                  //  the first persons of each service are the live demo's
#define HISTORY_POSTS 6         //  the history's own posts (a hire fills a place)
#define HISTORY_PLACES 100      //  places of each: more than the hires of the history
#define HISTORY_TITLE " (storico)"

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

//  PresentProject on post, once monitoring knows the post (a new one's event
//  may be a moment behind: FAILED_PRECONDITION until then).
static int
s_present (ctl_t *ctl, const char *as, const char *id, const char *date, const Snodo__Registry__JobPost *post)
{
    int code = SNODO__CODE__FAILED_PRECONDITION;
    for (int attempt = 0; attempt < 50 && code == SNODO__CODE__FAILED_PRECONDITION; attempt++) {
        if (attempt)
            zclock_sleep (100);
        code = s_move (ctl, as, "monitoring.PresentProject", id, date, NULL, post->id, post->employer_id);
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
    if (s_present (ctl, as, id, date, post))
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
s_history (ctl_t *ctl, const char *as, const char *person, int n, const Snodo__Registry__JobPost *post,
           int *hires)
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
    if (s_move (ctl, as, "monitoring.Close", id, date, &outcome, NULL, NULL))
        return -1;
    *hires += outcome.kind == SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
    return 0;
}

//  The persons of a referring service, past the live demo's, with no pathway yet.
static int
s_referrer_history (ctl_t *ctl, const char *as, int *n, Snodo__Registry__JobPost **posts, int *hires,
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
            rc = s_history (ctl, as, persons->persons [i]->id, *n, posts [*n % HISTORY_POSTS],
                            &hires [*n % HISTORY_POSTS]);
            *created += rc == 0;
        }
    }
    protobuf_c_message_free_unpacked (&persons->base, NULL);
    return rc;
}

static Snodo__Registry__JobPost *
s_copy (const Snodo__Registry__JobPost *p)
{
    size_t size = snodo__registry__job_post__get_packed_size (p);
    uint8_t *bytes = (uint8_t *) malloc (size ? size : 1);
    snodo__registry__job_post__pack (p, bytes);
    Snodo__Registry__JobPost *copy = snodo__registry__job_post__unpack (NULL, size, bytes);
    free (bytes);
    return copy;
}

//  The history's posts: a copy of each of the first live posts, titled
//  "(storico)", with places for every hire of the five years (a hire fills
//  a place of its post): the live posts keep theirs free. Made once: a
//  second load finds them. Fills out (caller frees each). Returns 0 or -1.
static int
s_history_posts (ctl_t *ctl, const Snodo__Registry__ListJobPostsReply *live, Snodo__Registry__JobPost **out)
{
    Snodo__Registry__ListJobPostsRequest list = SNODO__REGISTRY__LIST_JOB_POSTS_REQUEST__INIT;
    Snodo__Registry__Page page = SNODO__REGISTRY__PAGE__INIT;
    page.limit = 1000;
    list.page = &page;
    Snodo__Registry__ListJobPostsReply *all = NULL;
    if (ctl_demo_call (ctl, "provincia-pn", "registry.ListJobPosts", &list.base,
                       &snodo__registry__list_job_posts_reply__descriptor, (ProtobufCMessage **) &all))
        return -1;
    size_t found = 0;
    for (size_t i = 0; i < all->n_posts && found < HISTORY_POSTS; i++)
        if (strstr (all->posts [i]->title, HISTORY_TITLE))
            out [found++] = s_copy (all->posts [i]);
    protobuf_c_message_free_unpacked (&all->base, NULL);
    for (size_t k = 0; found < HISTORY_POSTS; k++) {
        if (k >= live->n_posts)
            return -1;
        Snodo__Registry__JobPost copy = *live->posts [k];
        char title [256];
        snprintf (title, sizeof title, "%.200s" HISTORY_TITLE, copy.title);
        copy.id = "";
        copy.title = title;
        copy.places = HISTORY_PLACES;
        copy.places_filled = 0;
        copy.status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN;
        Snodo__Registry__CreateJobPostRequest req = SNODO__REGISTRY__CREATE_JOB_POST_REQUEST__INIT;
        req.post = &copy;
        if (ctl_demo_call (ctl, "provincia-pn", "registry.CreateJobPost", &req.base,
                           &snodo__registry__job_post__descriptor, (ProtobufCMessage **) &out [found]))
            return -1;
        found++;
    }
    return 0;
}

//  Once the registry counted its hires (places_filled, kept from
//  monitoring's events a moment later), the history's post is closed: it
//  is offered to no one. Returns 0 or -1.
static int
s_close_history_post (ctl_t *ctl, const char *id, int hires)
{
    Snodo__Registry__GetRequest get = SNODO__REGISTRY__GET_REQUEST__INIT;
    get.id = (char *) id;
    Snodo__Registry__JobPost *post = NULL;
    for (int attempt = 0; attempt < 100; attempt++) {
        if (post)
            protobuf_c_message_free_unpacked (&post->base, NULL);
        post = NULL;
        if (ctl_demo_call (ctl, "provincia-pn", "registry.GetJobPost", &get.base,
                           &snodo__registry__job_post__descriptor, (ProtobufCMessage **) &post))
            return -1;
        if ((int) post->places_filled >= hires)
            break;
        zclock_sleep (100);
    }
    int rc = 0;
    if (post->status == SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN) {
        post->status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_CLOSED;
        Snodo__Registry__UpdateJobPostRequest update = SNODO__REGISTRY__UPDATE_JOB_POST_REQUEST__INIT;
        update.post = post;
        rc = ctl_demo_call (ctl, "provincia-pn", "registry.UpdateJobPost", &update.base, NULL, NULL) ? -1 : 0;
    }
    protobuf_c_message_free_unpacked (&post->base, NULL);
    return rc;
}

int
ctl_demo_reporting (ctl_t *ctl)
{
    Snodo__Registry__ListJobPostsReply *live = ctl_demo_posts (ctl);
    if (!live)
        return -1;
    Snodo__Registry__JobPost *posts [HISTORY_POSTS] = {NULL};
    int hires [HISTORY_POSTS] = {0};
    int n = 0, created = 0, rc = s_history_posts (ctl, live, posts);
    protobuf_c_message_free_unpacked (&live->base, NULL);
    //  its posts closed: a load before finished the history. Persons met
    //  since (the bridge's, an operator's) are not given one now.
    bool finished = rc == 0;
    for (int k = 0; k < HISTORY_POSTS && finished; k++)
        finished = posts [k]->status == SNODO__REGISTRY__POST_STATUS__POST_STATUS_CLOSED;
    for (int r = 0; s_referrers [r] && rc == 0 && !finished; r++)
        rc = s_referrer_history (ctl, s_referrers [r], &n, posts, hires, &created);
    for (int k = 0; k < HISTORY_POSTS && rc == 0 && created > 0; k++)
        rc = s_close_history_post (ctl, posts [k]->id, hires [k]);
    for (int k = 0; k < HISTORY_POSTS; k++)
        if (posts [k])
            protobuf_c_message_free_unpacked (&posts [k]->base, NULL);
    if (rc == 0 && finished)
        printf ("demo: the closed pathways of %d-%d for the reports were there already\n", FIRST_YEAR,
                FIRST_YEAR + YEARS - 1);
    else
    if (rc == 0)
        printf ("demo: %d closed pathways of %d-%d for the reports\n", created, FIRST_YEAR, FIRST_YEAR + YEARS - 1);
    return rc;
}
