/*  snodoctl demo load, the monitoring part: pathways in every state, with
    their team, agreement, meetings (some overdue), company visits,
    attendance, S.O.M.I. observations and standard services delivered; the
    project, host tutor, accessory services and interventions
    (demo_placement.c).
    Deterministic; a person who has a pathway already is left alone, so
    loading twice adds nothing. */
#include "snodoctl.h"
#include <string.h>

#define ST(x) SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_##x
#define N_PATHWAYS 24

//  The state each demo pathway is carried to, in turn; 9x are the outcomes.
static const int s_targets [] = {ST (REFERRED), ST (INTAKE), ST (ASSESSMENT), ST (MATCHING), ST (PROJECT),
                                 ST (AGREEMENT), ST (ACTIVE), ST (ACTIVE), ST (SUSPENDED), 91, 92, 93};

typedef struct {
    const char *referrer;       //  the referring member
    char person [40];
    char post [40], employer [40];
    int kind;                   //  PathwayKind
    int target;                 //  from s_targets
    int index;
} demo_pathway_t;

//  A call that waits for the monitoring service to know the person (its
//  registry events may be a moment behind). Returns the code.
static int
s_refer (ctl_t *ctl, demo_pathway_t *d, char *id_out)
{
    Snodo__Monitoring__ReferRequest req = SNODO__MONITORING__REFER_REQUEST__INIT;
    Snodo__Monitoring__PresentationForm form = SNODO__MONITORING__PRESENTATION_FORM__INIT;
    req.person_id = d->person;
    req.kind = (Snodo__Monitoring__PathwayKind) d->kind;
    req.referred_on = "2026-03-02";
    form.referral_reason = "proposta di percorso di inserimento lavorativo accompagnato";
    form.strengths = "puntualita, disponibilita al lavoro manuale";
    form.difficulties = "tempi di concentrazione brevi";
    form.contact_person = "educatore di riferimento";
    req.presentation = &form;
    sn_client_t *client = ctl_client (ctl, "monitoring", d->referrer);
    if (!client)
        return SNODO__CODE__UNAVAILABLE;
    int code = SNODO__CODE__FAILED_PRECONDITION;
    for (int attempt = 0; attempt < 100 && code == SNODO__CODE__FAILED_PRECONDITION; attempt++) {
        Snodo__Monitoring__Pathway *p = NULL;
        sn_result_t result;
        code = sn_client_call (client, "monitoring.Refer", "placement", &req.base,
                               &snodo__monitoring__pathway__descriptor, (ProtobufCMessage **) &p, &result);
        if (code == SNODO__CODE__OK)
            snprintf (id_out, 40, "%s", p->id);
        else
        if (code == SNODO__CODE__FAILED_PRECONDITION)
            zclock_sleep (100);
        else
            fprintf (stderr, "snodoctl: demo: monitoring.Refer as %s: %s: %s\n", d->referrer,
                     sn_code_name (code), result.message);
        if (p)
            protobuf_c_message_free_unpacked (&p->base, NULL);
    }
    sn_client_destroy (&client);
    return code;
}

int
ctl_demo_evaluate (ctl_t *ctl, const char *as, const char *id, const char *date, int verdict)
{
    Snodo__Monitoring__RecordEvaluationRequest req = SNODO__MONITORING__RECORD_EVALUATION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.evaluated_on = (char *) date;
    req.verdict = (Snodo__Monitoring__EvaluationVerdict) verdict;
    req.note = verdict == SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_READY_TO_HIRE
             ? "autonomia raggiunta nelle mansioni, presenze regolari: pronta per l'assunzione"
             : "capacità lavorativa non sufficiente ora: passaggio ai servizi sociali";
    return ctl_demo_call (ctl, as, "monitoring.RecordEvaluation", &req.base, NULL, NULL);
}

static int
s_step (ctl_t *ctl, const char *as, const char *method, Snodo__Monitoring__TransitionRequest *req)
{
    return ctl_demo_call (ctl, as, method, &req->base, NULL, NULL);
}

//  The active placement's life: team, meetings, a visit, attendance for four
//  weeks from the start, two S.O.M.I. forms, services delivered.
static int
s_active_life (ctl_t *ctl, demo_pathway_t *d, const char *id, bool meetings_kept)
{
    const char *coop = d->index % 2 ? "coop-il-ponte" : "coop-arcobaleno";
    Snodo__Monitoring__TeamRequest team = SNODO__MONITORING__TEAM_REQUEST__INIT;
    team.pathway_id = (char *) id;
    team.member_id = (char *) coop;
    team.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_PLACEMENT_MANAGER;
    team.name = "responsabile degli inserimenti";
    if (ctl_demo_call (ctl, d->referrer, "monitoring.AddTeamMember", &team.base, NULL, NULL))
        return -1;
    team.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_GUIDE_WORKER;
    team.name = "lavoratore guida";
    team.referente = true;
    if (ctl_demo_call (ctl, d->referrer, "monitoring.AddTeamMember", &team.base, NULL, NULL))
        return -1;
    //  the joint meeting (2026-06-21), and the first verification when kept
    Snodo__Monitoring__RecordMeetingRequest meeting = SNODO__MONITORING__RECORD_MEETING_REQUEST__INIT;
    char *participants [3] = {(char *) d->referrer, (char *) coop, "persona"};
    meeting.pathway_id = (char *) id;
    meeting.participants = participants;
    meeting.n_participants = 3;
    for (unsigned n = 1; n <= (meetings_kept ? 3u : 1u); n++) {
        meeting.number = n;
        meeting.held_on = n == 1 ? "2026-06-22" : n == 2 ? "2026-08-21" : "2026-10-20";
        meeting.notes = n == 1 ? "incontro congiunto di monitoraggio: buon inserimento"
                               : "verifica: obiettivi in linea";
        if (ctl_demo_call (ctl, d->referrer, "monitoring.RecordMeeting", &meeting.base, NULL, NULL))
            return -1;
    }
    Snodo__Monitoring__Visit visit = SNODO__MONITORING__VISIT__INIT;
    visit.pathway_id = (char *) id;
    visit.visited_on = "2026-07-08";
    visit.visitor = "tutor SIL";
    visit.notes = "visita in azienda: mansioni svolte con autonomia crescente";
    Snodo__Monitoring__AddVisitRequest add_visit = SNODO__MONITORING__ADD_VISIT_REQUEST__INIT;
    add_visit.visit = &visit;
    if (ctl_demo_call (ctl, d->referrer, "monitoring.AddVisit", &add_visit.base, NULL, NULL))
        return -1;
    //  attendance: 20 working days from Monday 2026-06-01, recorded by the cooperative
    Snodo__Monitoring__AttendanceRecord records [20], *pointers [20];
    char days [20][11];
    for (int i = 0; i < 20; i++) {
        int day = 1 + (i / 5) * 7 + i % 5;
        snprintf (days [i], sizeof days [i], "2026-06-%02d", day);
        snodo__monitoring__attendance_record__init (&records [i]);
        records [i].pathway_id = (char *) id;
        records [i].day = days [i];
        bool absent = (i + d->index) % 9 == 0;
        records [i].presence = absent ? ((i % 2) ? SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_JUSTIFIED
                                                 : SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_UNJUSTIFIED)
                                      : SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
        records [i].hours = absent ? 0 : 4 + (d->index % 3);
        pointers [i] = &records [i];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = 20;
    if (ctl_demo_call (ctl, coop, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL))
        return -1;
    //  two S.O.M.I. forms: the person grows in punctuality and independence
    for (int k = 0; k < 2; k++) {
        Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
        uint32_t *s = (uint32_t *) ((char *) &scores + snodo__registry__profile__descriptor.fields [0].offset);
        for (int c = 0; c < 29; c++)
            s [c] = (uint32_t) (2 + (c + d->index) % 3);
        scores.punctuality = (uint32_t) (2 + 2 * k);
        scores.independence = (uint32_t) (2 + k);
        Snodo__Monitoring__Observation o = SNODO__MONITORING__OBSERVATION__INIT;
        o.pathway_id = (char *) id;
        o.observed_on = k ? "2026-07-31" : "2026-06-12";
        o.scores = &scores;
        o.observer = "lavoratore guida referente";
        o.notes = k ? "piu autonomo nelle mansioni" : "prime settimane: affiancamento costante";
        Snodo__Monitoring__AddObservationRequest req = SNODO__MONITORING__ADD_OBSERVATION_REQUEST__INIT;
        req.observation = &o;
        if (ctl_demo_call (ctl, coop, "monitoring.AddObservation", &req.base, NULL, NULL))
            return -1;
    }
    Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    service.pathway_id = (char *) id;
    service.code = d->kind == SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_INTERNSHIP ? "3Bc" : "3Be";
    service.delivered_on = "2026-06-30";
    service.hours = 12 + d->index % 5 * 10;
    service.operator_name = "operatore SIL";
    Snodo__Monitoring__AddServiceRequest add = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
    add.service = &service;
    return ctl_demo_call (ctl, d->referrer, "monitoring.AddService", &add.base, NULL, NULL) ? -1 : 0;
}

//  Carries one pathway from the referral to its target.
static int
s_carry (ctl_t *ctl, demo_pathway_t *d)
{
    char id [40];
    if (s_refer (ctl, d, id))
        return -1;
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    int target = d->target > 90 ? ST (CLOSED) : d->target;
    const char *as = d->referrer;
    if (target >= ST (INTAKE)) {
        req.date = "2026-03-09";
        if (s_step (ctl, as, "monitoring.StartIntake", &req))
            return -1;
        Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
        service.pathway_id = id;
        service.code = "3A";
        service.delivered_on = "2026-03-16";
        service.hours = 3;
        service.operator_name = "orientatore CPI";
        Snodo__Monitoring__AddServiceRequest add = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
        add.service = &service;
        if (ctl_demo_call (ctl, as, "monitoring.AddService", &add.base, NULL, NULL))
            return -1;
    }
    if (d->target == 92) {          //  returned to social services after the assessment
        req.date = "2026-04-20";
        if (s_step (ctl, as, "monitoring.StartAssessment", &req))
            return -1;
        Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
        outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED;
        outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE;
        outcome.recommended_measure = "inserimento in centro diurno socio-occupazionale";
        req.outcome = &outcome;
        req.date = "2026-05-15";
        if (ctl_demo_evaluate (ctl, as, id, "2026-05-12",
                               SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_NOT_PLACEABLE_NOW))
            return -1;
        return s_step (ctl, as, "monitoring.Close", &req) ? -1 : 0;
    }
    if (target >= ST (ASSESSMENT)) {
        req.date = "2026-03-23";
        if (s_step (ctl, as, "monitoring.StartAssessment", &req))
            return -1;
    }
    if (target >= ST (MATCHING)) {
        req.date = "2026-04-13";
        if (s_step (ctl, as, "monitoring.StartMatching", &req))
            return -1;
    }
    if (target >= ST (PROJECT)) {
        req.date = "2026-04-27";
        req.post_id = d->post;
        req.employer_id = d->employer;
        if (s_step (ctl, as, "monitoring.PresentProject", &req) || ctl_demo_project (ctl, as, id, d->index))
            return -1;
        req.post_id = req.employer_id = "";
    }
    if (target >= ST (AGREEMENT)) {
        Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
        char *parties [4] = {"persona", d->employer, (char *) d->referrer, "provincia-pn"};
        a.host_id = d->employer;
        a.post_id = d->post;
        a.objectives = "autonomia nelle mansioni del mansionario; rispetto degli orari";
        a.start_date = "2026-06-01";
        a.end_date = "2027-05-31";
        a.weekly_hours = 20 + (uint32_t) (d->index % 3) * 5;
        a.transport = d->index % 2;
        a.lunch = d->index % 3 == 0;
        a.parties = parties;
        a.n_parties = 4;
        a.onsite_assistant = "assistente sul posto di lavoro";
        Snodo__Monitoring__SetAgreementRequest set = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
        set.pathway_id = id;
        set.agreement = &a;
        if (ctl_demo_call (ctl, as, "monitoring.SetAgreement", &set.base, NULL, NULL))
            return -1;
        req.date = "2026-05-20";
        if (ctl_demo_accessories (ctl, as, id, d->index, a.transport, a.lunch))
            return -1;
        if (s_step (ctl, as, "monitoring.SignAgreement", &req))
            return -1;
    }
    if (target >= ST (ACTIVE)) {
        req.date = "2026-06-01";
        if (s_step (ctl, as, "monitoring.Activate", &req) || s_active_life (ctl, d, id, d->index % 12 != 6)
        ||  ctl_demo_interventions (ctl, as, id, d->index))
            return -1;
    }
    if (d->target == ST (SUSPENDED)) {
        req.date = "2026-09-14";
        req.reason = "ricovero ospedaliero";
        return s_step (ctl, as, "monitoring.Suspend", &req) ? -1 : 0;
    }
    if (d->target == 91 || d->target == 93) {
        Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
        if (d->target == 91) {
            outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
            outcome.contract_type = SNODO__MONITORING__CONTRACT_TYPE__CONTRACT_TYPE_FIXED_TERM;
            outcome.weekly_hours = 25;
        }
        else {
            outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
            outcome.reason = "trasferimento in altra provincia";
        }
        req.outcome = &outcome;
        req.date = "2026-11-02";
        if (d->target == 91 && ctl_demo_evaluate (ctl, as, id, "2026-10-26",
                               SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_READY_TO_HIRE))
            return -1;
        return s_step (ctl, as, "monitoring.Close", &req) ? -1 : 0;
    }
    return 0;
}

int
ctl_demo_monitoring (ctl_t *ctl)
{
    static const char *referrers [] = {"ass6-sil", "ass6-dsm", "ass6-sert", "ssc-urbano", NULL};
    //  the job posts to pair persons with
    Snodo__Registry__ListJobPostsReply *posts = ctl_demo_posts (ctl);
    if (!posts)
        return -1;
    int created = 0, had = 0, index = 0, rc = 0;
    for (int r = 0; referrers [r] && index < N_PATHWAYS && rc == 0; r++) {
        Snodo__Registry__ListPersonsRequest list = SNODO__REGISTRY__LIST_PERSONS_REQUEST__INIT;
        Snodo__Registry__Page persons_page = SNODO__REGISTRY__PAGE__INIT;
        persons_page.limit = N_PATHWAYS / 4;
        list.page = &persons_page;
        list.referring_member_id = (char *) referrers [r];
        Snodo__Registry__ListPersonsReply *persons = NULL;
        if (ctl_demo_call (ctl, referrers [r], "registry.ListPersons", &list.base,
                           &snodo__registry__list_persons_reply__descriptor, (ProtobufCMessage **) &persons)) {
            rc = -1;
            break;
        }
        for (size_t i = 0; i < persons->n_persons && index < N_PATHWAYS && rc == 0; i++, index++) {
            demo_pathway_t d;
            memset (&d, 0, sizeof d);
            d.referrer = referrers [r];
            d.index = index;
            d.target = s_targets [index % (int) (sizeof s_targets / sizeof s_targets [0])];
            d.kind = 1 + index % 5;
            snprintf (d.person, sizeof d.person, "%s", persons->persons [i]->id);
            const Snodo__Registry__JobPost *post = posts->posts [(size_t) index % posts->n_posts];
            snprintf (d.post, sizeof d.post, "%s", post->id);
            snprintf (d.employer, sizeof d.employer, "%s", post->employer_id);
            //  a person with a pathway already: loaded before
            Snodo__Monitoring__ListPathwaysRequest mine = SNODO__MONITORING__LIST_PATHWAYS_REQUEST__INIT;
            mine.person_id = d.person;
            Snodo__Monitoring__ListPathwaysReply *existing = NULL;
            if (ctl_demo_call (ctl, d.referrer, "monitoring.ListPathways", &mine.base,
                               &snodo__monitoring__list_pathways_reply__descriptor,
                               (ProtobufCMessage **) &existing)) {
                rc = -1;
                break;
            }
            bool exists = existing->n_pathways > 0;
            protobuf_c_message_free_unpacked (&existing->base, NULL);
            if (exists) {
                had++;
                continue;
            }
            if (s_carry (ctl, &d))
                rc = -1;
            else
                created++;
        }
        protobuf_c_message_free_unpacked (&persons->base, NULL);
    }
    protobuf_c_message_free_unpacked (&posts->base, NULL);
    if (rc == 0)
        printf ("demo: %d pathways in every state (%d were there already)\n", created, had);
    return rc;
}
