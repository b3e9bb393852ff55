/*  The monitoring service against a real PostgreSQL and a real registry over
    CURVE on loopback: the lifecycle (every allowed and forbidden transition),
    the schedule's dates, overdue meetings, attendance, observations,
    services delivered, the team as a relationship in the registry, the
    matching service's accepted proposals, and snodoctl end to end. */
#include "testsupport.h"
#include "monitoring.h"
#include "sn_directory.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <ctype.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define ST(x) SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_##x
#define OK SNODO__CODE__OK

//  --- the schedule's dates: pure ----------------------------------------------------------

typedef struct {
    const char *date;
    int amount;
    const char *expected;
} date_case_t;

Test (dates, twenty_days_across_month_ends_and_leap_years)
{
    static const date_case_t cases [] = {
        {"2024-02-10", 20, "2024-03-01"}, {"2023-02-10", 20, "2023-03-02"}, {"2024-12-20", 20, "2025-01-09"},
        {"2024-02-09", 20, "2024-02-29"}, {"2100-02-09", 20, "2100-03-01"}, {"2000-02-09", 20, "2000-02-29"},
        {"2026-01-31", 20, "2026-02-20"}, {"2025-12-31", -365, "2024-12-31"}, {NULL, 0, NULL}};
    for (const date_case_t *c = cases; c->date; c++) {
        char out [11];
        cr_assert_eq (mon_date_add_days (c->date, c->amount, out), 0);
        cr_assert_str_eq (out, c->expected, "%s + %d days", c->date, c->amount);
    }
}

Test (dates, two_months_clamp_to_the_month_end)
{
    static const date_case_t cases [] = {
        {"2025-12-31", 2, "2026-02-28"}, {"2023-12-31", 2, "2024-02-29"}, {"2024-01-31", 1, "2024-02-29"},
        {"2099-12-31", 2, "2100-02-28"}, {"1999-12-31", 2, "2000-02-29"}, {"2024-08-31", 2, "2024-10-31"},
        {"2024-07-31", 2, "2024-09-30"}, {"2024-11-30", 2, "2025-01-30"}, {"2024-03-15", 12, "2025-03-15"},
        {"2024-02-29", 12, "2025-02-28"}, {NULL, 0, NULL}};
    for (const date_case_t *c = cases; c->date; c++) {
        char out [11];
        cr_assert_eq (mon_date_add_months (c->date, c->amount, out), 0);
        cr_assert_str_eq (out, c->expected, "%s + %d months", c->date, c->amount);
    }
}

Test (dates, easter_and_the_national_holidays)
{
    static const char *easters [] = {"2011-04-24", "2019-04-21", "2024-03-31", "2025-04-20", "2026-04-05",
                                     "2027-03-28", "2028-04-16", "2029-04-01", "2030-04-21", "2038-04-25",
                                     "2285-03-22", NULL};
    for (const char **e = easters; *e; e++) {
        char out [11];
        mon_date_easter (atoi (*e), out);
        cr_assert_str_eq (out, *e);
    }
    sn_array_t days = SN_ARRAY_INIT;
    mon_holidays (2026, 2026, &days);
    cr_assert_str_eq (sn_array_end (&days), "{2026-04-06,2026-01-01,2026-01-06,2026-04-25,2026-05-01,2026-06-02,"
                                            "2026-08-15,2026-11-01,2026-12-08,2026-12-25,2026-12-26}");
    sn_array_free (&days);
}

Test (dates, meetings_every_two_months_from_the_joint_meeting)
{
    //  start 2025-12-11: joint 2025-12-31; every two months from it, clamped,
    //  never drifting (April has 30 days, June too: the 31st comes back in August)
    static const char *expected [] = {"2025-12-31", "2026-02-28", "2026-04-30", "2026-06-30",
                                      "2026-08-31", "2026-10-31", "2026-12-31", NULL};
    for (unsigned n = 1; expected [n - 1]; n++) {
        char out [11];
        cr_assert_eq (mon_meeting_due ("2025-12-11", n, out), 0);
        cr_assert_str_eq (out, expected [n - 1], "meeting %u", n);
    }
    char out [11];
    cr_assert_eq (mon_meeting_due ("2023-12-11", 2, out), 0);
    cr_assert_str_eq (out, "2024-02-29");
    cr_assert_eq (mon_meeting_due ("2024-02-10", 1, out), 0);
    cr_assert_str_eq (out, "2024-03-01");
    cr_assert_eq (mon_meeting_due ("2024-02-10", 0, out), -1);
    cr_assert_eq (mon_meeting_due ("2024-02-30", 1, out), -1);
    cr_assert (sn_date_valid ("2024-02-29"));
    cr_assert_not (sn_date_valid ("2023-02-29"));
    cr_assert_not (sn_date_valid ("2024-13-01"));
    cr_assert_not (sn_date_valid ("2024-1-01"));
    cr_assert_not (sn_date_valid (""));
    cr_assert_not (sn_date_valid ("2024-02-2x"));
}

//  --- the service on a real registry ---------------------------------------------------

static ts_registry_t *reg;
static monitoring_t *mon;
static zcert_t *mon_cert;
static char *mon_conninfo, *mon_request, *mon_events;
static zactor_t *mon_server;
static sn_auth_t *dir_auth;
static sn_directory_t *directory;
static mon_forwarder_t *forwarder;

static void
setup (void)
{
    reg = ts_registry_start ("mon", 2);
    mon_cert = ts_service_cert (reg, "monitoring");
    mon_conninfo = ts_service_conninfo (reg, "monitoring");
    mon = monitoring_new (reg->auth);
    sn_service_t service = monitoring_service (mon);
    mon_server = ts_server_start (reg, &service, mon_conninfo, mon_cert, &mon_request, &mon_events);
    //  the persons come from the registry's events (members too, into a table of its own)
    dir_auth = sn_auth_new ();
    sn_directory_config_t follow = {
        .registry_request = reg->request, .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert), .cert = mon_cert, .conninfo = mon_conninfo,
        .schema = "monitoring", .migrations = monitoring_migrations, .auth = dir_auth,
        .apply = monitoring_registry_apply, .apply_page = monitoring_registry_apply_page, .arg = mon,
    };
    directory = sn_directory_new (&follow);
    forwarder = mon_forwarder_new (mon_request, mon_events, mon_cert, mon_conninfo, reg->request,
                                   zcert_public_txt (reg->cert), NULL);
}

static void
teardown (void)
{
    mon_forwarder_destroy (&forwarder);
    sn_directory_destroy (&directory);
    sn_auth_destroy (&dir_auth);
    zactor_destroy (&mon_server);
    monitoring_destroy (&mon);
    zstr_free (&mon_request);
    zstr_free (&mon_events);
    zstr_free (&mon_conninfo);
    zcert_destroy (&mon_cert);
    ts_registry_destroy (&reg);
}

TestSuite (monitoring, .init = setup, .fini = teardown, .timeout = 120);

typedef struct {
    sn_client_t *reg;           //  to the registry
    sn_client_t *mon;           //  to monitoring
    zcert_t *cert;
} member_t;

static member_t
s_member (const char *id, int kind)
{
    member_t m;
    m.reg = ts_member_client (reg, id, kind, NULL, &m.cert);
    m.mon = ts_client_as (mon_request, m.cert, mon_cert);
    return m;
}

static void
s_member_destroy (member_t *m)
{
    sn_client_destroy (&m->reg);
    sn_client_destroy (&m->mon);
    zcert_destroy (&m->cert);
}

static char s_wait_sql [512];

//  True once s_wait_sql counts something; an error (the schema not
//  migrated yet) is "not yet".
static bool
s_sql_holds (void *arg)
{
    PGconn *db = ts_db_connect (reg->dbname);
    PGresult *res = PQexec (db, s_wait_sql);
    bool holds = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0 && atol (PQgetvalue (res, 0, 0)) > 0;
    PQclear (res);
    PQfinish (db);
    return holds;
}

//  Creates a person (as the member, which refers it) and waits until the
//  monitoring service has heard of it. Returns its id (caller frees).
static char *
s_person (member_t *m, int n)
{
    int code;
    char *id = ts_create_person (m->reg, n, &code);
    cr_assert_eq (code, OK, "create person: %s", sn_code_name (code));
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.person WHERE id = '%s'", id);
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the person never reached monitoring");
    return id;
}

static int
s_call (sn_client_t *client, const char *method, const ProtobufCMessage *input,
        const ProtobufCMessageDescriptor *desc, ProtobufCMessage **output, sn_result_t *result)
{
    sn_result_t local;
    return sn_client_call (client, method, "placement", input, desc, output, result ? result : &local);
}

static char *
s_refer (member_t *m, const char *person, const char *on)
{
    Snodo__Monitoring__ReferRequest req = SNODO__MONITORING__REFER_REQUEST__INIT;
    Snodo__Monitoring__PresentationForm form = SNODO__MONITORING__PRESENTATION_FORM__INIT;
    form.referral_reason = "percorso di inserimento";
    form.health_notes = "idoneita fisica da verificare";
    req.person_id = (char *) person;
    req.kind = SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_INTERNSHIP;
    req.referred_on = (char *) on;
    req.presentation = &form;
    Snodo__Monitoring__Pathway *p = NULL;
    sn_result_t result;
    int code = s_call (m->mon, "monitoring.Refer", &req.base, &snodo__monitoring__pathway__descriptor,
                       (ProtobufCMessage **) &p, &result);
    cr_assert_eq (code, OK, "refer: %s %s", sn_code_name (code), result.message);
    cr_assert_eq (p->state, ST (REFERRED));
    cr_assert_str_eq (p->person_id, person);
    cr_assert_str_eq (p->presentation->health_notes, "idoneita fisica da verificare");
    char *id = strdup (p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return id;
}

//  A transition; returns the code and the state after it (or -1).
static int
s_step (member_t *m, const char *method, Snodo__Monitoring__TransitionRequest *req, int *state,
        sn_result_t *result)
{
    Snodo__Monitoring__Pathway *p = NULL;
    int code = s_call (m->mon, method, &req->base, &snodo__monitoring__pathway__descriptor,
                       (ProtobufCMessage **) &p, result);
    if (state)
        *state = p ? (int) p->state : -1;
    if (p)
        protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

static void
s_set_agreement (member_t *m, const char *id, const char *start, const char *end, bool scuola_pass, int *code_out)
{
    Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
    a.host_id = "company-1";
    a.post_id = "post-1";
    a.objectives = "autonomia nelle mansioni";
    a.start_date = (char *) start;
    a.end_date = (char *) end;
    a.weekly_hours = 20;
    a.transport = true;
    a.scuola_pass = scuola_pass;
    Snodo__Monitoring__SetAgreementRequest req = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.agreement = &a;
    sn_result_t result;
    int code = s_call (m->mon, "monitoring.SetAgreement", &req.base, NULL, NULL, &result);
    if (code_out)
        *code_out = code;
    else
        cr_assert_eq (code, OK, "agreement: %s %s", sn_code_name (code), result.message);
}

static void s_company_post (const char *piva, uint32_t employees, uint32_t places, char post_id [37],
                            char company_id [37]);

//  A post of a company, with places enough for every test, once the
//  monitoring service knows them: a project is placed only on a post it
//  knows. Made once per test (each runs in a process of its own).
static char s_any_post [37], s_any_company [37];

static const char *
s_post_id (void)
{
    if (!*s_any_post) {
        s_company_post ("12345670934", 60, 100, s_any_post, s_any_company);
        snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.post p JOIN monitoring.employer e "
                  "ON e.id = p.employer_id WHERE p.id = '%s'", s_any_post);
        cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the post never reached monitoring");
    }
    return s_any_post;
}

static const char *
s_company_id (void)
{
    s_post_id ();
    return s_any_company;
}

//  Carries a referred pathway to ACTIVE (start as given) on post of
//  employer, every step dated the start (or today, when the start is
//  later): the dates in order.
static void
s_to_active_on (member_t *m, const char *id, const char *start, const char *end, const char *post,
                const char *employer)
{
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    char today [11];
    monitoring_today (mon, today);
    req.date = strcmp (start, today) < 0 ? (char *) start : today;
    static const char *methods [] = {"monitoring.StartIntake", "monitoring.StartAssessment",
                                     "monitoring.StartMatching", "monitoring.PresentProject", NULL};
    req.post_id = (char *) post;
    req.employer_id = (char *) employer;
    for (int i = 0; methods [i]; i++) {
        sn_result_t result;
        int code = s_step (m, methods [i], &req, NULL, &result);
        cr_assert_eq (code, OK, "%s: %s %s", methods [i], sn_code_name (code), result.message);
    }
    s_set_agreement (m, id, start, end, false, NULL);
    int state;
    sn_result_t result;
    cr_assert_eq (s_step (m, "monitoring.SignAgreement", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (s_step (m, "monitoring.Activate", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (state, ST (ACTIVE));
}

static void
s_to_active (member_t *m, const char *id, const char *start, const char *end)
{
    s_to_active_on (m, id, start, end, s_post_id (), s_company_id ());
}

//  Forces a pathway into a state (column and record), for the transition table.
static void
s_force_state (const char *id, int state)
{
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [512];
    snprintf (sql, sizeof sql,
              "UPDATE monitoring.pathway SET state = %d, data = data || jsonb_build_object ('state', %d, "
              "'suspendedFrom', %d) WHERE id = '%s'", state, state, state == ST (SUSPENDED) ? ST (ACTIVE) : 0, id);
    free (ts_sql (db, sql));
    PQfinish (db);
}

static int
s_state (const char *id)
{
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT state FROM monitoring.pathway WHERE id = '%s'", id);
    return (int) ts_count (reg->dbname, "%s", sql);
}

//  The SSC of ambito urbano (the synthetic persons'), once monitoring knows
//  it: a return to the social services hands the person to it.
static void
s_ssc_urbano (void)
{
    sn_client_t *client = ts_member_client (reg, "ssc-urbano", TS_KIND (SSC), "urbano", NULL);
    sn_client_destroy (&client);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.directory WHERE id = 'ssc-urbano'");
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the SSC never reached monitoring");
}

#define VERDICT(x) SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_##x

//  RecordEvaluation of pathway id on date (NULL: today) with verdict, as m;
//  the evaluation recorded into *out when given (caller frees). Returns the code.
static int
s_evaluate (member_t *m, const char *id, const char *date, int verdict, sn_result_t *result,
            Snodo__Monitoring__Evaluation **out)
{
    Snodo__Monitoring__RecordEvaluationRequest req = SNODO__MONITORING__RECORD_EVALUATION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.evaluated_on = (char *) (date ? date : "");
    req.verdict = (Snodo__Monitoring__EvaluationVerdict) verdict;
    req.note = "valutazione d'equipe";
    return s_call (m->mon, "monitoring.RecordEvaluation", &req.base, out ? &snodo__monitoring__evaluation__descriptor
                   : NULL, (ProtobufCMessage **) out, result);
}

//  An evaluation of today straight into the table, for a pathway forced into a state.
static void
s_force_evaluation (const char *id, int verdict)
{
    char today [11], sql [512];
    monitoring_today (mon, today);
    snprintf (sql, sizeof sql, "INSERT INTO monitoring.evaluation (pathway_id, evaluated_on, verdict, basis, "
              "recorded_by) VALUES ('%s', '%s', %d, '{}', 'test')", id, today, verdict);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, sql));
    PQfinish (db);
}

Test (monitoring, every_transition_allowed_and_forbidden)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 1);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active (&sil, id, "2025-02-03", "2025-12-31");

    //  the methods, with an outcome for each kind of close
    typedef struct {
        const char *method;
        int outcome;                //  for Close
        uint32_t from;              //  the states it is allowed from
        int to;                     //  the state after (0: back to where it was suspended from)
    } rule_t;
    #define B(s) (1u << ST (s))
    uint32_t open = B (REFERRED) | B (INTAKE) | B (ASSESSMENT) | B (MATCHING) | B (PROJECT) | B (AGREEMENT)
                  | B (ACTIVE) | B (SUSPENDED);
    const rule_t rules [] = {
        {"StartIntake", 0, B (REFERRED), ST (INTAKE)},
        {"StartAssessment", 0, B (INTAKE), ST (ASSESSMENT)},
        {"StartMatching", 0, B (ASSESSMENT), ST (MATCHING)},
        {"PresentProject", 0, B (MATCHING), ST (PROJECT)},
        {"SignAgreement", 0, B (PROJECT), ST (AGREEMENT)},
        {"Activate", 0, B (AGREEMENT), ST (ACTIVE)},
        {"Suspend", 0, open & ~B (SUSPENDED) & ~B (REFERRED), ST (SUSPENDED)},
        {"Resume", 0, B (SUSPENDED), 0},
        {"Close", 1, B (ACTIVE), ST (CLOSED)},
        {"Close", 2, open & ~B (REFERRED), ST (CLOSED)},
        {"Close", 3, open, ST (CLOSED)},
        {NULL, 0, 0, 0}
    };
    int allowed = 0, forbidden = 0;
    s_ssc_urbano ();
    for (const rule_t *r = rules; r->method; r++)
        for (int from = ST (REFERRED); from <= ST (CLOSED); from++) {
            s_force_state (id, from);
            if (r->outcome == 1 || r->outcome == 2)     //  the evaluation a hiring or a return needs
                s_force_evaluation (id, r->outcome == 1 ? VERDICT (READY_TO_HIRE) : VERDICT (NOT_PLACEABLE_NOW));
            Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
            Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
            req.pathway_id = id;
            req.post_id = (char *) s_post_id ();
            req.employer_id = (char *) s_company_id ();
            req.reason = "ricovero";
            //  every step today, the placement's start too: the dates in order
            char today [11];
            monitoring_today (mon, today);
            req.start_date = today;
            outcome.kind = (Snodo__Monitoring__OutcomeKind) r->outcome;
            outcome.contract_type = SNODO__MONITORING__CONTRACT_TYPE__CONTRACT_TYPE_PERMANENT;
            outcome.weekly_hours = 30;
            outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_POTENZIALE;
            outcome.recommended_measure = "centro diurno";
            outcome.reason = "trasferimento";
            if (r->outcome)
                req.outcome = &outcome;
            char method [64];
            snprintf (method, sizeof method, "monitoring.%s", r->method);
            sn_result_t result;
            int state;
            int code = s_step (&sil, method, &req, &state, &result);
            if (r->from & (1u << from)) {
                cr_assert_eq (code, OK, "%s (outcome %d) from %s: %s %s", r->method, r->outcome,
                              mon_state_name (from), sn_code_name (code), result.message);
                int to = r->to ? r->to : ST (ACTIVE);
                cr_assert_eq (state, to, "%s from %s gave %s", r->method, mon_state_name (from), mon_state_name (state));
                cr_assert_eq (s_state (id), to);
                allowed++;
            }
            else {
                cr_assert_eq (code, SNODO__CODE__FAILED_PRECONDITION, "%s (outcome %d) from %s: %s",
                              r->method, r->outcome, mon_state_name (from), sn_code_name (code));
                //  the message names both states
                cr_assert (strstr (result.message, mon_state_name (from)), "%s", result.message);
                int to = r->to ? r->to : ST (ACTIVE);
                uint32_t needed = r->from;
                bool named = false;
                for (int s = 1; s <= 9 && !named; s++)
                    named = (needed & (1u << s)) && strstr (result.message, mon_state_name (s));
                cr_assert (named, "the message does not name the needed state: %s", result.message);
                (void) to;
                cr_assert_eq (s_state (id), from, "a refused %s changed the state", r->method);
                forbidden++;
            }
        }
    cr_assert_eq (allowed + forbidden, 11 * 9);
    cr_assert_eq (allowed, 1 + 1 + 1 + 1 + 1 + 1 + 6 + 1 + 1 + 7 + 8);
    //  every change an event with the pathway after it
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type LIKE 'monitoring.pathway.%%'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1 + 4 + 1 + 2 + allowed, "referred, 4 steps, agreement_set, sign+activate, then each allowed");
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, close_needs_its_outcome_and_resume_goes_back)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 2);
    char *id = s_refer (&sil, person, "2025-01-10");
    //  the referral's event carries the pathway, not its presentation form
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT body FROM monitoring.outbox WHERE type = 'monitoring.pathway.referred' "
              "AND subject = '%s'", id);
    PGresult *res = PQexecParams (db, sql, 0, NULL, NULL, NULL, NULL, 1);
    cr_assert_eq (PQntuples (res), 1);
    Snodo__Monitoring__Pathway *event = snodo__monitoring__pathway__unpack (
        NULL, (size_t) PQgetlength (res, 0, 0), (const uint8_t *) PQgetvalue (res, 0, 0));
    cr_assert_not_null (event);
    cr_assert_str_eq (event->id, id);
    cr_assert_str_eq (event->person_id, person);
    cr_assert_eq (event->state, ST (REFERRED));
    cr_assert_null (event->presentation, "health notes must not travel in events");
    snodo__monitoring__pathway__free_unpacked (event, NULL);
    PQclear (res);
    PQfinish (db);
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.date = "2025-02-01";            //  the steps in order, before the close
    sn_result_t result;
    int state;
    cr_assert_eq (s_step (&sil, "monitoring.StartIntake", &req, &state, &result), OK);
    //  suspended from INTAKE, resumed to INTAKE
    cr_assert_eq (s_step (&sil, "monitoring.Suspend", &req, &state, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "reason");
    req.reason = "ricovero";
    cr_assert_eq (s_step (&sil, "monitoring.Suspend", &req, &state, &result), OK);
    cr_assert_eq (state, ST (SUSPENDED));
    cr_assert_eq (s_step (&sil, "monitoring.Resume", &req, &state, &result), OK);
    cr_assert_eq (state, ST (INTAKE));
    //  returned to social services needs the commission's outcome
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED;
    outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_PRESENTE;
    req.outcome = &outcome;
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 2, "%s", result.message);
    cr_assert_str_eq (result.fields [0], "outcome.work_capacity");
    cr_assert_str_eq (result.fields [1], "outcome.recommended_measure");
    //  a date in the future, a date before the referral
    outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE;
    outcome.recommended_measure = "centro diurno";
    req.date = "2099-01-01";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "date");
    req.date = "2025-01-09";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (result.message, "before the referral") || strstr (result.descriptions [0], "before the referral"));
    //  a return needs the team's evaluation, and one that finds the person not placeable now
    req.date = "2025-03-01";
    s_ssc_urbano ();
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "no evaluation of the acquired capacity"), "%s", result.message);
    cr_assert_eq (s_evaluate (&sil, id, "2025-02-15", VERDICT (CONTINUE), &result, NULL), OK, "%s", result.message);
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "says CONTINUE") && strstr (result.message, "NOT_PLACEABLE_NOW"), "%s",
               result.message);
    //  one dated after the close does not count
    cr_assert_eq (s_evaluate (&sil, id, "2025-03-05", VERDICT (NOT_PLACEABLE_NOW), &result, NULL), OK);
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__FAILED_PRECONDITION);
    req.date = "2025-03-05";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (state, ST (CLOSED));
    //  once closed, the person may be referred again
    free (s_refer (&sil, person, "2025-04-01"));
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  The schedule at activation, overdue meetings, and the scheduler's events.
Test (monitoring, schedule_and_overdue_meetings)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 3);
    char *id = s_refer (&sil, person, "2024-01-02");
    s_to_active (&sil, id, "2024-01-10", "2024-12-31");
    Snodo__Monitoring__ListMeetingsRequest list = SNODO__MONITORING__LIST_MEETINGS_REQUEST__INIT;
    list.pathway_id = id;
    list.as_of = "2024-04-01";
    Snodo__Monitoring__ListMeetingsReply *meetings = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ListMeetings", &list.base,
                          &snodo__monitoring__list_meetings_reply__descriptor, (ProtobufCMessage **) &meetings, NULL), OK);
    static const char *due [] = {"2024-01-30", "2024-03-30", "2024-05-30", "2024-07-30", "2024-09-30", "2024-11-30"};
    cr_assert_eq (meetings->n_meetings, 6, "until the agreement's end: %zu", meetings->n_meetings);
    for (size_t i = 0; i < 6; i++) {
        cr_assert_str_eq (meetings->meetings [i]->due_on, due [i]);
        cr_assert_eq (meetings->meetings [i]->number, i + 1);
        cr_assert_eq (meetings->meetings [i]->overdue, i < 2, "meeting %zu overdue as of 2024-04-01", i + 1);
    }
    cr_assert_eq (meetings->meetings [0]->kind, SNODO__MONITORING__MEETING_KIND__MEETING_KIND_JOINT);
    protobuf_c_message_free_unpacked (&meetings->base, NULL);

    //  the joint meeting recorded: only the first verification is overdue
    Snodo__Monitoring__RecordMeetingRequest record = SNODO__MONITORING__RECORD_MEETING_REQUEST__INIT;
    char *participants [2] = {"ass6-sil", "persona"};
    record.pathway_id = id;
    record.number = 1;
    record.held_on = "2024-01-31";
    record.participants = participants;
    record.n_participants = 2;
    record.notes = "buon avvio";
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordMeeting", &record.base, NULL, NULL, &result), OK, "%s", result.message);
    //  a meeting before the start is refused
    record.held_on = "2024-01-09";
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordMeeting", &record.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "held_on");
    Snodo__Monitoring__ListOverdueRequest overdue = SNODO__MONITORING__LIST_OVERDUE_REQUEST__INIT;
    overdue.as_of = "2024-04-01";
    Snodo__Monitoring__ListMeetingsReply *late = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ListOverdue", &overdue.base,
                          &snodo__monitoring__list_meetings_reply__descriptor, (ProtobufCMessage **) &late, NULL), OK);
    cr_assert_eq (late->n_meetings, 1);
    cr_assert_eq (late->meetings [0]->number, 2);
    cr_assert_str_eq (late->meetings [0]->due_on, "2024-03-30");
    protobuf_c_message_free_unpacked (&late->base, NULL);
    //  a member outside the team sees none of them
    member_t coop = s_member ("coop-fuori", TS_KIND (COOPERATIVA));
    cr_assert_eq (s_call (coop.mon, "monitoring.ListOverdue", &overdue.base,
                          &snodo__monitoring__list_meetings_reply__descriptor, (ProtobufCMessage **) &late, NULL), OK);
    cr_assert_eq (late->n_meetings, 0);
    protobuf_c_message_free_unpacked (&late->base, NULL);

    //  the scheduler raises each overdue meeting once; the relay publishes it
    char err [256];
    PGconn *db = sn_store_connect (mon_conninfo, "monitoring", err, sizeof err);
    cr_assert_not_null (db, "%s", err);
    cr_assert_eq (mon_scheduler_pass (db, "2024-04-01"), 1);
    cr_assert_eq (mon_scheduler_pass (db, "2024-04-01"), 0, "raised once only");
    cr_assert_eq (mon_scheduler_pass (db, "2024-06-01"), 1, "the next one when its day passed");
    PQfinish (db);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.outbox WHERE "
              "type = 'monitoring.meeting.overdue' AND seq IS NOT NULL HAVING count (*) = 2");
    cr_assert (ts_wait (s_sql_holds, NULL, 5000), "the overdue events were not numbered by the relay");

    //  the agreement ends sooner: the meetings after its end are cancelled;
    //  later: they come back, and the new ones after them
    s_set_agreement (&sil, id, "2024-01-10", "2024-06-30", false, NULL);
    list.as_of = "2024-01-11";
    cr_assert_eq (s_call (sil.mon, "monitoring.ListMeetings", &list.base,
                          &snodo__monitoring__list_meetings_reply__descriptor, (ProtobufCMessage **) &meetings, NULL), OK);
    int scheduled = 0, cancelled = 0;
    for (size_t i = 0; i < meetings->n_meetings; i++) {
        int status = meetings->meetings [i]->status;
        scheduled += status == SNODO__MONITORING__MEETING_STATUS__MEETING_STATUS_SCHEDULED;
        cancelled += status == SNODO__MONITORING__MEETING_STATUS__MEETING_STATUS_CANCELLED;
        if (status == SNODO__MONITORING__MEETING_STATUS__MEETING_STATUS_CANCELLED)
            cr_assert_gt (strcmp (meetings->meetings [i]->due_on, "2024-06-30"), 0, "%s cancelled",
                          meetings->meetings [i]->due_on);
    }
    cr_assert_eq (scheduled, 2, "2024-03-30 and 2024-05-30 still to hold: %d", scheduled);
    cr_assert_eq (cancelled, 3, "2024-07-30, 09-30, 11-30 cancelled: %d", cancelled);
    protobuf_c_message_free_unpacked (&meetings->base, NULL);
    s_set_agreement (&sil, id, "2024-01-10", "2025-03-31", false, NULL);
    cr_assert_eq (s_call (sil.mon, "monitoring.ListMeetings", &list.base,
                          &snodo__monitoring__list_meetings_reply__descriptor, (ProtobufCMessage **) &meetings, NULL), OK);
    scheduled = 0;
    for (size_t i = 0; i < meetings->n_meetings; i++)
        scheduled += meetings->meetings [i]->status == SNODO__MONITORING__MEETING_STATUS__MEETING_STATUS_SCHEDULED;
    cr_assert_eq (meetings->n_meetings, 8, "until 2025-03-30: %zu", meetings->n_meetings);
    cr_assert_eq (scheduled, 7, "all but the joint meeting held: %d", scheduled);
    cr_assert_str_eq (meetings->meetings [7]->due_on, "2025-03-30");
    protobuf_c_message_free_unpacked (&meetings->base, NULL);
    free (id);
    free (person);
    s_member_destroy (&coop);
    s_member_destroy (&sil);
}

static int
s_attendance (member_t *m, const char *id, const char *day, int presence, double hours, sn_result_t *result)
{
    Snodo__Monitoring__AttendanceRecord r = SNODO__MONITORING__ATTENDANCE_RECORD__INIT;
    r.pathway_id = (char *) id;
    r.day = (char *) day;
    r.presence = (Snodo__Monitoring__Presence) presence;
    r.hours = hours;
    Snodo__Monitoring__RecordAttendanceRequest req = SNODO__MONITORING__RECORD_ATTENDANCE_REQUEST__INIT;
    req.record = &r;
    return s_call (m->mon, "monitoring.RecordAttendance", &req.base, NULL, NULL, result);
}

//  A batch over two pathways, their records mixed and their days out of
//  order, one id in capitals: one event per pathway, with its first and last
//  day, its records, hours and absences.
Test (monitoring, a_batch_over_two_pathways_gives_an_event_each)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *people [2], *ids [2];
    for (int p = 0; p < 2; p++) {
        people [p] = s_person (&sil, 30 + p);
        ids [p] = s_refer (&sil, people [p], "2026-02-02");
        s_to_active (&sil, ids [p], "2026-02-02", NULL);
    }
    char upper [37];
    for (int i = 0; i < 37; i++)
        upper [i] = (char) toupper ((unsigned char) ids [1][i]);
    static const struct {
        int pathway;
        const char *day;
        double hours;
    } rows [] = {{1, "2026-02-10", 6}, {0, "2026-02-05", 4}, {1, "2026-02-03", 0}, {0, "2026-02-03", 4.5},
                 {1, "2026-02-06", 5.25}, {0, "2026-02-04", 0}};
    Snodo__Monitoring__AttendanceRecord records [6], *pointers [6];
    for (int i = 0; i < 6; i++) {
        snodo__monitoring__attendance_record__init (&records [i]);
        records [i].pathway_id = rows [i].pathway ? upper : ids [0];
        records [i].day = (char *) rows [i].day;
        records [i].hours = rows [i].hours;
        records [i].presence = rows [i].hours > 0 ? SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT
                                                  : SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_JUSTIFIED;
        pointers [i] = &records [i];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = 6;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result), OK, "%s",
                  result.message);
    static const struct {
        const char *first, *last;
        uint32_t records, absences;
        double hours;
    } expected [2] = {{"2026-02-03", "2026-02-05", 3, 1, 8.5}, {"2026-02-03", "2026-02-10", 3, 1, 11.25}};
    PGconn *db = ts_db_connect (reg->dbname);
    for (int p = 0; p < 2; p++) {
        char sql [256];
        snprintf (sql, sizeof sql, "SELECT body FROM monitoring.outbox WHERE type = 'monitoring.attendance.recorded' "
                  "AND subject = '%s'", ids [p]);
        PGresult *res = PQexecParams (db, sql, 0, NULL, NULL, NULL, NULL, 1);
        cr_assert_eq (PQntuples (res), 1, "pathway %d: %d events", p, PQntuples (res));
        Snodo__Monitoring__AttendanceRecorded *event = snodo__monitoring__attendance_recorded__unpack (
            NULL, (size_t) PQgetlength (res, 0, 0), (const uint8_t *) PQgetvalue (res, 0, 0));
        cr_assert_not_null (event);
        cr_assert_str_eq (event->pathway_id, ids [p]);
        cr_assert_str_eq (event->person_id, people [p]);
        cr_assert_str_eq (event->first_day, expected [p].first, "pathway %d", p);
        cr_assert_str_eq (event->last_day, expected [p].last, "pathway %d", p);
        cr_assert_eq (event->records, expected [p].records);
        cr_assert_eq (event->absences, expected [p].absences);
        cr_assert_float_eq (event->hours, expected [p].hours, 1e-9);
        snodo__monitoring__attendance_recorded__free_unpacked (event, NULL);
        PQclear (res);
    }
    PQfinish (db);
    for (int p = 0; p < 2; p++) {
        free (ids [p]);
        free (people [p]);
    }
    s_member_destroy (&sil);
}

//  Records are written before they are checked against their pathways: a
//  refused request keeps nothing, for every pathway in it, and leaves the
//  rows already there as they were.
static int
s_attendance_batch (member_t *m, size_t n, const char *const *ids, const char *const *days, double hours,
                    sn_result_t *result)
{
    Snodo__Monitoring__AttendanceRecord records [8], *pointers [8];
    cr_assert (n <= 8);
    for (size_t i = 0; i < n; i++) {
        snodo__monitoring__attendance_record__init (&records [i]);
        records [i].pathway_id = (char *) ids [i];
        records [i].day = (char *) days [i];
        records [i].presence = SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
        records [i].hours = hours;
        pointers [i] = &records [i];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = n;
    return s_call (m->mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, result);
}

Test (monitoring, refused_attendance_keeps_nothing_of_any_record)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t coop = s_member ("coop-fuori", TS_KIND (COOPERATIVA));
    char *people [3], *ids [3];
    for (int p = 0; p < 3; p++) {
        people [p] = s_person (&sil, 40 + p);
        ids [p] = s_refer (&sil, people [p], "2026-03-02");
        if (p < 2)
            s_to_active (&sil, ids [p], "2026-03-02", NULL);     //  the third stays REFERRED
    }
    sn_result_t result;
    cr_assert_eq (s_attendance (&sil, ids [0], "2026-03-02", 1, 6, &result), OK, "%s", result.message);
    long outbox = ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'");
    static const char *unknown = "6a0f3c1e-0d7b-4c55-9b9e-2f1f5d8e0a11";
    const char *days [] = {"2026-03-02", "2026-03-03", "2026-03-04"};

    //  not the caller's: the day already there is not overwritten
    const char *mine [] = {ids [0], ids [0]};
    cr_assert_eq (s_attendance_batch (&coop, 2, mine, days, 2, &result), SNODO__CODE__PERMISSION_DENIED);
    //  a good pathway with an unknown one
    const char *with_unknown [] = {ids [0], unknown, ids [1]};
    cr_assert_eq (s_attendance_batch (&sil, 3, with_unknown, days, 5, &result), SNODO__CODE__NOT_FOUND);
    cr_assert (strstr (result.message, unknown), "%s", result.message);
    //  a good pathway with one not ACTIVE
    const char *with_referred [] = {ids [1], ids [2]};
    cr_assert_eq (s_attendance_batch (&sil, 2, with_referred, days, 5, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is REFERRED"), "%s", result.message);
    //  good days with one before the start
    const char *early_days [] = {"2026-03-03", "2026-03-01", "2026-03-04"};
    const char *both [] = {ids [1], ids [0], ids [0]};
    cr_assert_eq (s_attendance_batch (&sil, 3, both, early_days, 5, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "records[1].day");

    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.attendance WHERE pathway_id <> '%s'", ids [0]);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 0, "rows of refused requests were kept");
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.attendance WHERE pathway_id = '%s' "
              "AND day = '2026-03-02' AND hours = 6 AND recorded_by = 'ass6-sil'", ids [0]);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "the day recorded before was changed");
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.attendance"), 1);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'"), outbox, "no event for a refusal");
    //  and the same records, once right, are written
    const char *good [] = {ids [0], ids [1], ids [0]};
    cr_assert_eq (s_attendance_batch (&sil, 3, good, days + 0, 5, &result), OK, "%s", result.message);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.attendance"), 3);
    for (int p = 0; p < 3; p++) {
        free (ids [p]);
        free (people [p]);
    }
    s_member_destroy (&coop);
    s_member_destroy (&sil);
}

Test (monitoring, attendance_batches_and_totals)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 4);
    char *id = s_refer (&sil, person, "2025-12-01");
    s_to_active (&sil, id, "2025-12-22", NULL);
    //  Mon 2025-12-22 .. Fri 2026-01-09: three ISO weeks, two months
    Snodo__Monitoring__AttendanceRecord records [15], *pointers [15];
    static const char *days [] = {"2025-12-22", "2025-12-23", "2025-12-24", "2025-12-29", "2025-12-30",
                                  "2025-12-31", "2026-01-02", "2026-01-05", "2026-01-06", "2026-01-07",
                                  "2026-01-08", "2026-01-09", NULL};
    size_t n = 0;
    for (; days [n]; n++) {
        snodo__monitoring__attendance_record__init (&records [n]);
        records [n].pathway_id = id;
        records [n].day = (char *) days [n];
        records [n].presence = n == 3 ? SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_JUSTIFIED
                             : n == 8 ? SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_UNJUSTIFIED
                                      : SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
        records [n].hours = (n == 3 || n == 8) ? 0 : 4.5;
        pointers [n] = &records [n];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = n;
    Snodo__Monitoring__RecordAttendanceReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base,
                          &snodo__monitoring__record_attendance_reply__descriptor, (ProtobufCMessage **) &reply,
                          &result), OK, "%s", result.message);
    cr_assert_eq (reply->recorded, 12);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    //  a day recorded again is corrected, not doubled
    cr_assert_eq (s_attendance (&sil, id, "2026-01-09", 1, 6, &result), OK, "%s", result.message);

    Snodo__Monitoring__AttendanceTotalsRequest totals = SNODO__MONITORING__ATTENDANCE_TOTALS_REQUEST__INIT;
    totals.pathway_id = id;
    totals.period = SNODO__MONITORING__PERIOD__PERIOD_WEEK;
    Snodo__Monitoring__AttendanceTotalsReply *weeks = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.AttendanceTotals", &totals.base,
                          &snodo__monitoring__attendance_totals_reply__descriptor, (ProtobufCMessage **) &weeks, NULL), OK);
    cr_assert_eq (weeks->n_totals, 3);
    cr_assert_str_eq (weeks->totals [0]->period, "2025-W52");
    cr_assert_eq (weeks->totals [0]->present_days, 3);
    cr_assert_float_eq (weeks->totals [0]->hours, 13.5, 1e-9);
    cr_assert_str_eq (weeks->totals [1]->period, "2026-W01", "2025-12-29 is in ISO week 1 of 2026");
    cr_assert_eq (weeks->totals [1]->present_days, 3);
    cr_assert_eq (weeks->totals [1]->justified_absences, 1);
    cr_assert_str_eq (weeks->totals [2]->period, "2026-W02");
    cr_assert_eq (weeks->totals [2]->present_days, 4);
    cr_assert_eq (weeks->totals [2]->unjustified_absences, 1);
    cr_assert_float_eq (weeks->totals [2]->hours, 4.5 * 3 + 6, 1e-9);
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    totals.period = SNODO__MONITORING__PERIOD__PERIOD_MONTH;
    Snodo__Monitoring__AttendanceTotalsReply *months = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.AttendanceTotals", &totals.base,
                          &snodo__monitoring__attendance_totals_reply__descriptor, (ProtobufCMessage **) &months, NULL), OK);
    cr_assert_eq (months->n_totals, 2);
    cr_assert_str_eq (months->totals [0]->period, "2025-12");
    cr_assert_eq (months->totals [0]->present_days, 5);
    cr_assert_eq (months->totals [0]->justified_absences, 1);
    cr_assert_str_eq (months->totals [1]->period, "2026-01");
    cr_assert_eq (months->totals [1]->present_days, 5);
    cr_assert_float_eq (months->totals [1]->hours, 4.5 * 4 + 6, 1e-9);
    protobuf_c_message_free_unpacked (&months->base, NULL);
    //  within from..to
    totals.from = "2025-12-29";
    totals.to = "2026-01-05";
    cr_assert_eq (s_call (sil.mon, "monitoring.AttendanceTotals", &totals.base,
                          &snodo__monitoring__attendance_totals_reply__descriptor, (ProtobufCMessage **) &months, NULL), OK);
    cr_assert_eq (months->n_totals, 2);
    cr_assert_eq (months->totals [0]->present_days + months->totals [0]->justified_absences, 3, "12-29..12-31");
    cr_assert_eq (months->totals [1]->present_days, 2, "01-02 and 01-05");
    protobuf_c_message_free_unpacked (&months->base, NULL);
    //  hours kept to the hundredth, from 0.05 to 12
    static const double hours [] = {0.05, 9.99, 11.75, 12};
    for (int i = 0; i < 4; i++) {
        char day [11];
        snprintf (day, sizeof day, "2026-01-%02d", 20 + i);
        cr_assert_eq (s_attendance (&sil, id, day, 1, hours [i], &result), OK, "%s", result.message);
        totals.from = totals.to = day;
        cr_assert_eq (s_call (sil.mon, "monitoring.AttendanceTotals", &totals.base,
                              &snodo__monitoring__attendance_totals_reply__descriptor, (ProtobufCMessage **) &months,
                              NULL), OK);
        cr_assert_eq (months->n_totals, 1);
        cr_assert_float_eq (months->totals [0]->hours, hours [i], 1e-9, "%s: %g hours", day, months->totals [0]->hours);
        protobuf_c_message_free_unpacked (&months->base, NULL);
    }
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, bad_input_is_a_clear_error_and_changes_nothing)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 5);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active (&sil, id, "2025-02-03", NULL);
    sn_result_t result;
    cr_assert_eq (s_attendance (&sil, id, "2025-02-03", 1, 6, &result), OK, "%s", result.message);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.attendance WHERE pathway_id = '%s'", id);
    long outbox = ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'");

    //  hours out of range
    cr_assert_eq (s_attendance (&sil, id, "2025-02-04", 1, 13, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "record.hours");
    cr_assert (strstr (result.descriptions [0], "out of range 0-12"), "%s", result.descriptions [0]);
    cr_assert_eq (s_attendance (&sil, id, "2025-02-04", 2, 3, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (result.descriptions [0], "an absence has 0 hours"), "%s", result.descriptions [0]);
    //  present, with less than the hundredth of an hour the column keeps
    cr_assert_eq (s_attendance (&sil, id, "2025-02-04", 1, 0.004, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "record.hours");
    cr_assert (strstr (result.descriptions [0], "needs its hours"), "%s", result.descriptions [0]);
    //  a day before the start
    cr_assert_eq (s_attendance (&sil, id, "2025-02-02", 1, 4, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "record.day");
    cr_assert (strstr (result.descriptions [0], "before the start of the pathway (2025-02-03)"), "%s",
               result.descriptions [0]);
    //  a batch with one bad record writes none of them
    Snodo__Monitoring__AttendanceRecord records [3], *pointers [3];
    static const char *days [] = {"2025-02-05", "2025-02-06", "2025-02-07"};
    for (int i = 0; i < 3; i++) {
        snodo__monitoring__attendance_record__init (&records [i]);
        records [i].pathway_id = id;
        records [i].day = (char *) days [i];
        records [i].presence = SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
        records [i].hours = i == 2 ? 12.5 : 5;
        pointers [i] = &records [i];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = 3;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 1);
    cr_assert_str_eq (result.fields [0], "records[2].hours");
    records [2].hours = 5;
    //  the same day twice, and again under the pathway's id in capitals:
    //  each repetition names the record it repeats
    char upper [37];
    for (int i = 0; i < 37; i++)
        upper [i] = (char) toupper ((unsigned char) id [i]);
    records [1].day = "2025-02-05";
    records [2].day = "2025-02-05";
    records [2].pathway_id = upper;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 2, "%zu violations", result.n_violations);
    cr_assert_str_eq (result.fields [0], "records[1].day");
    cr_assert_str_eq (result.fields [1], "records[2].day");
    for (int i = 0; i < 2; i++)
        cr_assert (strstr (result.descriptions [i], "2025-02-05 is also in records[0]"), "%s",
                   result.descriptions [i]);
    records [2].day = (char *) days [2];
    records [2].pathway_id = id;
    //  every check on its own record: each violation names its record and field
    Snodo__Monitoring__AttendanceRecord bad [7], *bad_pointers [7];
    static const char *bad_days [] = {"2025-02-11", "2025-02-12", "2199-01-01", "2025-02-13", "2025-02-14",
                                      "2025-+2-15", "2025-02-16"};
    char long_note [502];
    memset (long_note, 'x', 501);
    long_note [501] = 0;
    for (int i = 0; i < 7; i++) {
        snodo__monitoring__attendance_record__init (&bad [i]);
        bad [i].pathway_id = id;
        bad [i].day = (char *) bad_days [i];
        bad [i].presence = SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
        bad [i].hours = 7.25;
        bad_pointers [i] = &bad [i];
    }
    bad [0].pathway_id = "not-a-uuid";
    bad [1].presence = 9;
    batch.records = bad_pointers;
    batch.n_records = 7;
    //  a presence its enum does not have is refused before anything else
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 1);
    cr_assert_str_eq (result.fields [0], "records[1].presence");
    bad [1].presence = 0;       //  then: required
    bad [3].note = long_note;
    bad [6].presence = SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_JUSTIFIED;     //  with hours
    batch.records = bad_pointers;
    batch.n_records = 7;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    static const char *bad_fields [] = {"records[0].pathway_id", "records[1].presence", "records[2].day",
                                        "records[3].note", "records[5].day", "records[6].hours"};
    cr_assert_eq (result.n_violations, 6, "%zu violations", result.n_violations);
    for (int i = 0; i < 6; i++)
        cr_assert_str_eq (result.fields [i], bad_fields [i]);
    cr_assert (strstr (result.descriptions [2], "in the future"), "%s", result.descriptions [2]);
    cr_assert (strstr (result.descriptions [4], "is not a date"), "%s", result.descriptions [4]);
    batch.records = pointers;
    batch.n_records = 3;
    //  an unknown standard code
    Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    service.pathway_id = id;
    service.code = "9Z";
    service.delivered_on = "2025-02-10";
    service.hours = 2;
    service.operator_name = "operatore";
    Snodo__Monitoring__AddServiceRequest add = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
    add.service = &service;
    cr_assert_eq (s_call (sil.mon, "monitoring.AddService", &add.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "service.code");
    cr_assert (strstr (result.descriptions [0], "unknown standard service code \"9Z\""), "%s", result.descriptions [0]);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "nothing written");
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.service_delivery"), 0);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'"), outbox, "no event for a refusal");

    //  attendance on a closed pathway
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = "trasferimento";
    req.pathway_id = id;
    req.outcome = &outcome;
    req.date = "2025-03-01";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, NULL, &result), OK, "%s", result.message);
    outbox = ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'");
    cr_assert_eq (s_attendance (&sil, id, "2025-02-10", 1, 4, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is CLOSED"), "%s", result.message);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "nothing written");
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'"), outbox);
    //  a malformed pathway id names the field
    cr_assert_eq (s_attendance (&sil, "not-a-uuid", "2025-02-10", 1, 4, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "record.pathway_id");
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, observations_trend_and_services_check)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 6);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active (&sil, id, "2025-02-03", NULL);
    for (int k = 0; k < 3; k++) {
        Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
        scores.punctuality = (uint32_t) (2 + k);
        scores.teamwork = 3;
        scores.reading = k == 1 ? 4 : 0;
        Snodo__Monitoring__Observation o = SNODO__MONITORING__OBSERVATION__INIT;
        static const char *on [] = {"2025-04-01", "2025-02-20", "2025-03-10"};
        o.pathway_id = id;
        o.observed_on = (char *) on [k];
        o.scores = &scores;
        o.observer = "lavoratore guida";
        Snodo__Monitoring__AddObservationRequest req = SNODO__MONITORING__ADD_OBSERVATION_REQUEST__INIT;
        req.observation = &o;
        sn_result_t result;
        cr_assert_eq (s_call (sil.mon, "monitoring.AddObservation", &req.base, NULL, NULL, &result), OK, "%s",
                      result.message);
        if (k == 0) {
            scores.care = 6;
            cr_assert_eq (s_call (sil.mon, "monitoring.AddObservation", &req.base, NULL, NULL, &result),
                          SNODO__CODE__INVALID_ARGUMENT);
            cr_assert (strstr (result.descriptions [0], "care is 6"), "%s", result.descriptions [0]);
        }
    }
    Snodo__Monitoring__ObservationTrendRequest trend_req = SNODO__MONITORING__OBSERVATION_TREND_REQUEST__INIT;
    trend_req.pathway_id = id;
    Snodo__Monitoring__ObservationTrendReply *trend = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ObservationTrend", &trend_req.base,
                          &snodo__monitoring__observation_trend_reply__descriptor, (ProtobufCMessage **) &trend, NULL), OK);
    cr_assert_eq (trend->n_observations, 3);
    cr_assert_str_eq (trend->observations [0]->observed_on, "2025-02-20", "in date order");
    cr_assert_eq (trend->n_trend, 3, "punctuality, teamwork, reading");
    bool seen = false;
    for (size_t i = 0; i < trend->n_trend; i++)
        if (streq (trend->trend [i]->characteristic, "punctuality")) {
            //  by date: 3 (02-20), 4 (03-10), 2 (04-01)
            cr_assert_eq (trend->trend [i]->first, 3);
            cr_assert_eq (trend->trend [i]->last, 2);
            cr_assert_eq (trend->trend [i]->change, -1);
            cr_assert_eq (trend->trend [i]->n_scores, 3);
            seen = true;
        }
    cr_assert (seen);
    protobuf_c_message_free_unpacked (&trend->base, NULL);

    //  3Bc internship at most 50 h: 60 delivered is a finding; 3Bd 80-300 h: 10 is not yet
    static const struct { const char *code; double hours; } delivered [] = {
        {"3Bc", 40}, {"3Bc", 20}, {"3Bd", 10}, {"3A", 3}};
    for (int i = 0; i < 4; i++) {
        Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
        service.pathway_id = id;
        service.code = (char *) delivered [i].code;
        service.delivered_on = "2025-03-01";
        service.hours = delivered [i].hours;
        service.operator_name = "operatore SIL";
        Snodo__Monitoring__AddServiceRequest add = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
        add.service = &service;
        sn_result_t result;
        cr_assert_eq (s_call (sil.mon, "monitoring.AddService", &add.base, NULL, NULL, &result), OK, "%s", result.message);
    }
    Snodo__Monitoring__CheckServicesRequest check = SNODO__MONITORING__CHECK_SERVICES_REQUEST__INIT;
    check.pathway_id = id;
    Snodo__Monitoring__CheckServicesReply *checks = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.CheckServices", &check.base,
                          &snodo__monitoring__check_services_reply__descriptor, (ProtobufCMessage **) &checks, NULL), OK);
    cr_assert_eq (checks->n_checks, 3);
    cr_assert_str_eq (checks->checks [0]->code, "3A");
    cr_assert_str_eq (checks->checks [0]->status, "WITHIN");
    cr_assert_str_eq (checks->checks [1]->code, "3Bc");
    cr_assert_float_eq (checks->checks [1]->delivered_hours, 60, 1e-9);
    cr_assert_str_eq (checks->checks [1]->status, "ABOVE_MAX");
    cr_assert (checks->checks [1]->finding);
    cr_assert_str_eq (checks->checks [2]->status, "BELOW_MIN");
    cr_assert_not (checks->checks [2]->finding, "below the minimum only counts once closed");
    protobuf_c_message_free_unpacked (&checks->base, NULL);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  The registry's GetPerson as a member; returns the code.
static int
s_registry_get (member_t *m, const char *person)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) person;
    return sn_client_call (m->reg, "registry.GetPerson", "placement", &req.base, NULL, NULL, NULL);
}

typedef struct {
    member_t *member;
    const char *person;
    int code;
} s_sees_t;

static bool
s_registry_says (void *arg)
{
    s_sees_t *s = (s_sees_t *) arg;
    return s_registry_get (s->member, s->person) == s->code;
}

Test (monitoring, team_member_sees_the_person_and_an_outsider_does_not)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t coop = s_member ("coop-il-ponte", TS_KIND (COOPERATIVA));
    member_t other = s_member ("coop-arcobaleno", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 7);
    char *id = s_refer (&sil, person, "2025-01-10");
    cr_assert_eq (s_registry_get (&coop, person), SNODO__CODE__PERMISSION_DENIED);
    //  neither sees the pathway
    Snodo__Monitoring__GetPathwayRequest get = SNODO__MONITORING__GET_PATHWAY_REQUEST__INIT;
    get.id = id;
    sn_result_t result;
    cr_assert_eq (s_call (coop.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.audit WHERE member_id = 'coop-il-ponte' "
              "AND subject = '%s' AND outcome = %d", person, SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "the denial is audited");

    Snodo__Monitoring__TeamRequest team = SNODO__MONITORING__TEAM_REQUEST__INIT;
    team.pathway_id = id;
    team.member_id = "coop-il-ponte";
    team.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_GUIDE_WORKER;
    team.name = "Luca Bortolin";
    team.referente = true;
    cr_assert_eq (s_call (sil.mon, "monitoring.AddTeamMember", &team.base, NULL, NULL, &result), OK, "%s",
                  result.message);
    //  a member the network does not know is refused
    team.member_id = "nobody";
    cr_assert_eq (s_call (sil.mon, "monitoring.AddTeamMember", &team.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "member_id");
    //  monitoring lets the team member in at once; the registry once the forwarder told it
    cr_assert_eq (s_call (coop.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result), OK, "%s", result.message);
    s_sees_t sees = {&coop, person, OK};
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the team member never got to see the person");
    cr_assert_eq (s_registry_get (&other, person), SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_call (other.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    //  the registry applied it once: one team row for that pathway
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.team WHERE person_id = '%s' AND member_id = "
              "'coop-il-ponte' AND pathway_id = '%s'", person, id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);

    //  removed from the team: the registry follows
    team.member_id = "coop-il-ponte";
    cr_assert_eq (s_call (sil.mon, "monitoring.RemoveTeamMember", &team.base, NULL, NULL, &result), OK, "%s",
                  result.message);
    sees.code = SNODO__CODE__PERMISSION_DENIED;
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the removed member still sees the person");
    cr_assert_eq (s_call (coop.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    free (id);
    free (person);
    s_member_destroy (&other);
    s_member_destroy (&coop);
    s_member_destroy (&sil);
}

Test (monitoring, scuola_pass_only_under_75_percent)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 8);      //  60 %
    char *id = s_refer (&sil, person, "2025-01-10");
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.post_id = (char *) s_post_id ();
    req.employer_id = (char *) s_company_id ();
    int code;
    s_set_agreement (&sil, id, "2025-02-03", NULL, false, &code);
    cr_assert_eq (code, SNODO__CODE__FAILED_PRECONDITION, "no agreement before the project");
    static const char *steps [] = {"monitoring.StartIntake", "monitoring.StartAssessment",
                                   "monitoring.StartMatching", "monitoring.PresentProject", NULL};
    for (int i = 0; steps [i]; i++)
        cr_assert_eq (s_step (&sil, steps [i], &req, NULL, NULL), OK);
    sn_result_t result;
    cr_assert_eq (s_step (&sil, "monitoring.SignAgreement", &req, NULL, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "SetAgreement first"), "%s", result.message);
    s_set_agreement (&sil, id, "2025-02-03", NULL, true, &code);
    cr_assert_eq (code, OK, "60 %% may have the scuola-pass");
    //  at 80 %
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "UPDATE monitoring.person SET invalidity_percent = 80"));
    PQfinish (db);
    s_set_agreement (&sil, id, "2025-02-03", NULL, true, &code);
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT);
    s_set_agreement (&sil, id, "2025-02-03", "2025-01-01", false, &code);
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT, "an end before the start");
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  An accepted proposal moves the pathway, applied straight on the database
//  as the matching subscriber would (no matching server here).
Test (monitoring, accepted_proposal_moves_matching_to_project)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 9);
    char *id = s_refer (&sil, person, "2025-01-10");
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.date = "2025-01-20";
    static const char *steps [] = {"monitoring.StartIntake", "monitoring.StartAssessment", NULL};
    for (int i = 0; steps [i]; i++)
        cr_assert_eq (s_step (&sil, steps [i], &req, NULL, NULL), OK);

    Snodo__Matching__Proposal proposal = SNODO__MATCHING__PROPOSAL__INIT;
    proposal.id = "7d0c1f2e-0000-4000-8000-000000000001";
    proposal.person_id = person;
    proposal.post_id = "post-42";
    proposal.employer_id = "company-42";
    proposal.status = SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_ACCEPTED;
    proposal.answered_by = "ass6-sil";
    proposal.answered_on = "2025-02-14";     //  the pathway's PROJECT date, not today
    uint8_t body [512];
    Snodo__Event event = SNODO__EVENT__INIT;
    event.source = "matching";
    event.seq = 1;
    event.type = "matching.proposal.accepted";
    event.body.data = body;
    event.body.len = snodo__matching__proposal__pack (&proposal, body);
    char err [256];
    PGconn *db = sn_store_connect (mon_conninfo, "monitoring", err, sizeof err);
    cr_assert_not_null (db, "%s", err);
    //  ASSESSMENT: not yet matching, nothing done
    cr_assert_eq (monitoring_matching_apply (db, &event, NULL), 0);
    cr_assert_eq (s_state (id), ST (ASSESSMENT));
    cr_assert_eq (s_step (&sil, "monitoring.StartMatching", &req, NULL, NULL), OK);
    free (ts_sql (db, "BEGIN"));
    cr_assert_eq (monitoring_matching_apply (db, &event, NULL), 0);
    free (ts_sql (db, "COMMIT"));
    cr_assert_eq (s_state (id), ST (PROJECT));
    Snodo__Monitoring__GetPathwayRequest get = SNODO__MONITORING__GET_PATHWAY_REQUEST__INIT;
    get.id = id;
    Snodo__Monitoring__Pathway *p = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.GetPathway", &get.base, &snodo__monitoring__pathway__descriptor,
                          (ProtobufCMessage **) &p, NULL), OK);
    cr_assert_str_eq (p->post_id, "post-42");
    cr_assert_str_eq (p->employer_id, "company-42");
    cr_assert_eq (p->n_history, 5, "referral, intake, assessment, matching, project");
    const Snodo__Monitoring__StateChange *last = p->history [4];
    cr_assert_eq (last->from, ST (MATCHING));
    cr_assert_eq (last->to, ST (PROJECT));
    cr_assert_str_eq (last->date, "2025-02-14");
    cr_assert_str_eq (last->member_id, "ass6-sil");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE type = 'monitoring.pathway.project' "
              "AND subject = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    //  the same event again (or one naming another pathway): a no-op
    cr_assert_eq (monitoring_matching_apply (db, &event, NULL), 0);
    proposal.pathway_id = "7d0c1f2e-0000-4000-8000-0000000000ff";
    event.body.len = snodo__matching__proposal__pack (&proposal, body);
    cr_assert_eq (monitoring_matching_apply (db, &event, NULL), 0);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    PQfinish (db);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  --- dates -------------------------------------------------------------------------------

//  A transition dated date: its code; on INVALID_ARGUMENT, the first field
//  and its description must be field and why.
static int
s_dated (member_t *m, const char *method, Snodo__Monitoring__TransitionRequest *req, const char *date,
         const char *field, const char *why)
{
    sn_result_t result;
    req->date = (char *) date;
    int code = s_step (m, method, req, NULL, &result);
    if (field) {
        cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT, "%s on %s: %s", method, date, sn_code_name (code));
        cr_assert_str_eq (result.fields [0], field);
        cr_assert_str_eq (result.descriptions [0], why);
    }
    else
        cr_assert_eq (code, OK, "%s on %s: %s %s", method, date, sn_code_name (code), result.message);
    return code;
}

//  The pathway as GetPathway returns it (caller frees).
static Snodo__Monitoring__Pathway *
s_get (member_t *m, const char *id)
{
    Snodo__Monitoring__GetPathwayRequest get = SNODO__MONITORING__GET_PATHWAY_REQUEST__INIT;
    get.id = (char *) id;
    Snodo__Monitoring__Pathway *p = NULL;
    cr_assert_eq (s_call (m->mon, "monitoring.GetPathway", &get.base, &snodo__monitoring__pathway__descriptor,
                          (ProtobufCMessage **) &p, NULL), OK);
    return p;
}

//  The close's date given once: as date, or as outcome.date; two that
//  differ are refused naming outcome.date (it was once silently replaced).
Test (monitoring, the_outcome_date_is_the_close_date_given_once_never_replaced)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 13);
    char *id = s_refer (&sil, person, "2025-01-10");
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    s_dated (&sil, "monitoring.StartIntake", &req, "2025-02-01", NULL, NULL);
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = "trasferimento";
    outcome.date = "2025-03-02";
    req.outcome = &outcome;
    s_dated (&sil, "monitoring.Close", &req, "2025-03-01", "outcome.date",
             "2025-03-02 is not the close's date 2025-03-01: give one of them");
    Snodo__Monitoring__Pathway *p = s_get (&sil, id);
    cr_assert_eq (p->state, ST (INTAKE), "a refused close changes nothing");
    snodo__monitoring__pathway__free_unpacked (p, NULL);
    //  outcome.date alone is the close's date, kept as both
    s_dated (&sil, "monitoring.Close", &req, "", NULL, NULL);
    p = s_get (&sil, id);
    cr_assert_eq (p->state, ST (CLOSED));
    cr_assert_str_eq (p->outcome->date, "2025-03-02");
    cr_assert_str_eq (p->history [p->n_history - 1]->date, "2025-03-02");
    snodo__monitoring__pathway__free_unpacked (p, NULL);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, every_date_order_rule_takes_its_boundary_day_and_refuses_the_day_before)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 12);
    char *id = s_refer (&sil, person, "2025-01-10");
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.post_id = (char *) s_post_id ();
    req.employer_id = (char *) s_company_id ();
    s_dated (&sil, "monitoring.StartIntake", &req, "2025-01-09", "date", "2025-01-09 is before the referral on 2025-01-10");
    s_dated (&sil, "monitoring.StartIntake", &req, "2025-01-10", NULL, NULL);
    s_dated (&sil, "monitoring.StartAssessment", &req, "2025-01-09", "date",
             "2025-01-09 is before the referral on 2025-01-10");
    s_dated (&sil, "monitoring.StartAssessment", &req, "2025-01-20", NULL, NULL);
    s_dated (&sil, "monitoring.StartMatching", &req, "2025-01-19", "date",
             "2025-01-19 is before the assessment started on 2025-01-20");
    s_dated (&sil, "monitoring.StartMatching", &req, "2025-01-20", NULL, NULL);
    s_dated (&sil, "monitoring.PresentProject", &req, "2025-02-10", NULL, NULL);
    s_set_agreement (&sil, id, "2025-03-03", "2025-12-31", false, NULL);
    s_dated (&sil, "monitoring.SignAgreement", &req, "2025-02-09", "date",
             "2025-02-09 is before the project was presented on 2025-02-10");
    s_dated (&sil, "monitoring.SignAgreement", &req, "2025-02-10", NULL, NULL);
    req.start_date = "2025-02-09";
    s_dated (&sil, "monitoring.Activate", &req, "2025-02-10", "start_date",
             "2025-02-09 is before the agreement was signed on 2025-02-10");
    req.start_date = "2025-02-10";
    s_dated (&sil, "monitoring.Activate", &req, "2025-02-09", "date",
             "2025-02-09 is before the agreement was signed on 2025-02-10");
    s_dated (&sil, "monitoring.Activate", &req, "2025-02-10", NULL, NULL);
    req.reason = "ricovero";
    s_dated (&sil, "monitoring.Suspend", &req, "2025-02-09", "date",
             "2025-02-09 is before the placement started on 2025-02-10");
    s_dated (&sil, "monitoring.Suspend", &req, "2025-05-05", NULL, NULL);
    s_dated (&sil, "monitoring.Resume", &req, "2025-05-04", "date",
             "2025-05-04 is before the pathway was suspended on 2025-05-05");
    //  today is the last day a transition may have
    char today [11], tomorrow [11], why [96];
    monitoring_today (mon, today);
    mon_date_add_days (today, 1, tomorrow);
    snprintf (why, sizeof why, "%s is in the future", tomorrow);
    s_dated (&sil, "monitoring.Resume", &req, tomorrow, "date", why);
    s_dated (&sil, "monitoring.Resume", &req, today, NULL, NULL);

    //  the dates are kept, and GetPathway returns them in order
    Snodo__Monitoring__Pathway *p = s_get (&sil, id);
    const struct { int from, to; const char *date; } want [] = {
        {0, ST (REFERRED), "2025-01-10"}, {ST (REFERRED), ST (INTAKE), "2025-01-10"},
        {ST (INTAKE), ST (ASSESSMENT), "2025-01-20"}, {ST (ASSESSMENT), ST (MATCHING), "2025-01-20"},
        {ST (MATCHING), ST (PROJECT), "2025-02-10"}, {ST (PROJECT), ST (AGREEMENT), "2025-02-10"},
        {ST (AGREEMENT), ST (ACTIVE), "2025-02-10"}, {ST (ACTIVE), ST (SUSPENDED), "2025-05-05"},
        {ST (SUSPENDED), ST (ACTIVE), NULL}};
    cr_assert_eq (p->n_history, 9);
    for (size_t i = 0; i < 9; i++) {
        cr_assert_eq ((int) p->history [i]->from, want [i].from, "transition %zu", i);
        cr_assert_eq ((int) p->history [i]->to, want [i].to, "transition %zu", i);
        cr_assert_str_eq (p->history [i]->date, want [i].date ? want [i].date : today, "transition %zu", i);
        cr_assert_str_eq (p->history [i]->member_id, "ass6-sil");
    }
    cr_assert_str_eq (p->agreement->signed_on, "2025-02-10");
    cr_assert_str_eq (p->start_date, "2025-02-10");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    //  in their table, and in the events other services read
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.pathway_transition WHERE pathway_id = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 9);
    PGconn *db = ts_db_connect (reg->dbname);
    snprintf (sql, sizeof sql, "SELECT body FROM monitoring.outbox WHERE type = 'monitoring.pathway.agreement' "
              "AND subject = '%s'", id);
    PGresult *res = PQexecParams (db, sql, 0, NULL, NULL, NULL, NULL, 1);
    cr_assert_eq (PQntuples (res), 1);
    Snodo__Monitoring__Pathway *event = snodo__monitoring__pathway__unpack (
        NULL, (size_t) PQgetlength (res, 0, 0), (const uint8_t *) PQgetvalue (res, 0, 0));
    cr_assert_not_null (event);
    cr_assert_eq (event->n_history, 6);
    cr_assert_str_eq (event->history [5]->date, "2025-02-10");
    cr_assert_str_eq (event->agreement->signed_on, "2025-02-10");
    snodo__monitoring__pathway__free_unpacked (event, NULL);
    PQclear (res);
    PQfinish (db);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  SetAgreement on date (or today: "") with host, start, end and weekly
//  hours: its code (result set; *out the pathway, if out).
static int
s_agreement_call (member_t *m, const char *id, const char *host, const char *start, const char *end,
                  const char *date, uint32_t hours, Snodo__Monitoring__Pathway **out, sn_result_t *result)
{
    Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
    a.host_id = (char *) host;
    a.post_id = "post-1";
    a.objectives = "autonomia nelle mansioni";
    a.start_date = (char *) start;
    a.end_date = (char *) end;
    a.weekly_hours = hours;
    Snodo__Monitoring__SetAgreementRequest req = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.agreement = &a;
    req.date = (char *) date;
    return s_call (m->mon, "monitoring.SetAgreement", &req.base, out ? &snodo__monitoring__pathway__descriptor : NULL,
                   (ProtobufCMessage **) out, result);
}

//  SetAgreement on date with weekly hours: its code (result set).
static int
s_amend (member_t *m, const char *id, const char *date, uint32_t hours, sn_result_t *result)
{
    return s_agreement_call (m, id, "company-1", "2025-02-03", "2025-12-31", date, hours, NULL, result);
}

Test (monitoring, an_agreement_amended_after_signing_keeps_both_signatures_and_its_versions)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 13);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active (&sil, id, "2025-02-03", "2025-12-31");         //  signed on 2025-02-03
    sn_result_t result;
    cr_assert_eq (s_amend (&sil, id, "2025-02-02", 25, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "date");
    cr_assert_str_eq (result.descriptions [0], "2025-02-02 is before the agreement was signed on 2025-02-03");
    cr_assert_eq (s_amend (&sil, id, "2025-06-01", 25, &result), OK, "%s", result.message);
    Snodo__Monitoring__Pathway *p = s_get (&sil, id);
    cr_assert_eq (p->state, ST (ACTIVE));
    cr_assert_eq (p->agreement->version, 2);
    cr_assert_eq (p->agreement->weekly_hours, 25);
    cr_assert_str_eq (p->agreement->amended_on, "2025-06-01");
    cr_assert_str_eq (p->agreement->signed_on, "", "an amendment waits for its own signature");
    cr_assert_eq (p->n_agreement_versions, 1);
    cr_assert_eq (p->agreement_versions [0]->version, 1);
    cr_assert_eq (p->agreement_versions [0]->weekly_hours, 20);
    cr_assert_str_eq (p->agreement_versions [0]->signed_on, "2025-02-03");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    //  its signature: not before it was made, the state unchanged
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    s_dated (&sil, "monitoring.SignAgreement", &req, "2025-05-31", "date",
             "2025-05-31 is before the amendment was made on 2025-06-01");
    s_dated (&sil, "monitoring.SignAgreement", &req, "2025-06-01", NULL, NULL);
    cr_assert_eq (s_step (&sil, "monitoring.SignAgreement", &req, NULL, &result), SNODO__CODE__FAILED_PRECONDITION,
                  "signed already: nothing to sign");
    //  changed again: version 3, both signatures kept
    cr_assert_eq (s_amend (&sil, id, "2025-07-01", 30, &result), OK, "%s", result.message);
    p = s_get (&sil, id);
    cr_assert_eq (p->state, ST (ACTIVE));
    cr_assert_eq (p->n_history, 7, "an amendment is no transition");
    cr_assert_eq (p->agreement->version, 3);
    cr_assert_eq (p->n_agreement_versions, 2);
    cr_assert_str_eq (p->agreement_versions [0]->signed_on, "2025-02-03");
    cr_assert_str_eq (p->agreement_versions [1]->signed_on, "2025-06-01");
    cr_assert_str_eq (p->agreement_versions [1]->amended_on, "2025-06-01");
    cr_assert_eq (p->agreement_versions [1]->weekly_hours, 25);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.agreement_version WHERE pathway_id = '%s' "
              "AND signed_on IS NOT NULL", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 2);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  --- snodoctl end to end ---------------------------------------------------------------

//  The value of "key": "..." in snodoctl's JSON output (caller frees).
static char *
s_json_value (const char *dir, const char *key)
{
    char *out = ts_read (dir, "out.txt");
    char pattern [64];
    snprintf (pattern, sizeof pattern, "\"%s\": \"", key);
    char *at = strstr (out, pattern);
    cr_assert (at, "no %s in %s", key, out);
    at += strlen (pattern);
    char *value = strndup (at, strcspn (at, "\""));
    free (out);
    return value;
}

static void
s_expect_state (const char *dir, const char *id, const char *state)
{
    cr_assert_eq (ts_snodoctl (dir, "--json pathways get %s", id), 0);
    char *value = s_json_value (dir, "state");
    cr_assert_str_eq (value, state);
    free (value);
}

Test (monitoring, snodoctl_to_hired_and_to_social_services)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *hired_person = s_person (&sil, 10);
    char *returned_person = s_person (&sil, 11);
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    char path [512];
    snprintf (path, sizeof path, "%s/agreement.json", dir);
    FILE *file = fopen (path, "w");
    fprintf (file, "{\"hostId\": \"company-1\", \"postId\": \"post-1\", \"objectives\": \"autonomia\", "
                   "\"startDate\": \"2025-03-03\", \"endDate\": \"2025-12-31\", \"weeklyHours\": 20, "
                   "\"transport\": true, \"parties\": [\"persona\", \"company-1\", \"ass6-sil\", \"provincia\"]}");
    fclose (file);

    //  one pathway from referral to hiring
    cr_assert_eq (ts_snodoctl (dir, "--json pathways refer %s internship --referred-on 2025-01-13", hired_person), 0);
    char *id = s_json_value (dir, "id");
    cr_assert_eq (ts_snodoctl (dir, "pathways intake %s 2025-01-20", id), 0);
    //  an id by its start, where it is the only one that starts so
    cr_assert_eq (ts_snodoctl (dir, "pathways assess %.8s 2025-01-27", id), 0);
    s_expect_state (dir, id, "PATHWAY_STATE_ASSESSMENT");
    cr_assert_eq (ts_snodoctl (dir, "pathways get ffffffff-ffff"), 1);
    char *none = ts_read (dir, "err.txt");
    cr_assert (strstr (none, "no pathway you may see has an id starting ffffffff-ffff"), "%s", none);
    free (none);
    cr_assert_eq (ts_snodoctl (dir, "pathways match %s 2025-02-03", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "pathways project %s %s %s --date 2025-02-10", id, s_post_id (), s_company_id ()), 0);
    cr_assert_eq (ts_snodoctl (dir, "agreement set %s %s", id, path), 0);
    cr_assert_eq (ts_snodoctl (dir, "pathways sign %s 2025-02-24", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "pathways activate %s --date 2025-03-03", id), 0);
    s_expect_state (dir, id, "PATHWAY_STATE_ACTIVE");
    //  the list names the person (name and codice fiscale) before any id
    char cf [17];
    ts_codice_fiscale (10, cf);
    cr_assert_eq (ts_snodoctl (dir, "pathways list --person %s", cf), 0);
    char *listed = ts_read (dir, "out.txt");
    char *named = strstr (listed, "Rossi Maria");
    cr_assert (named && strstr (named, cf) && strstr (listed, id) > named && strstr (listed, "ACTIVE"), "%s", listed);
    free (listed);
    cr_assert_eq (ts_snodoctl (dir, "meetings list %s --as-of 2025-04-01", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "2025-03-23") && strstr (out, "2025-05-23") && strstr (out, "JOINT"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "meetings record %s 1 2025-03-24 ass6-sil,company-1,persona --notes avvio", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "attendance record %s 2025-03-03 PRESENT 6", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "attendance record %s 2025-03-04 PRESENT 14", id), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "record.hours: 14 is out of range 0-12"), "%s", err);
    free (err);
    cr_assert_eq (ts_snodoctl (dir, "attendance totals %s MONTH", id), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "2025-03") && strstr (out, "(1)"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "visits add %s 2025-03-12 tutor", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "services add %s 3Bc 2025-03-12 4 --service.operator-name tutor", id), 0);
    //  the team's evaluation first: its basis summarised by the service
    cr_assert_eq (ts_snodoctl (dir, "pathways close %s --outcome.kind HIRED --outcome.contract-type PERMANENT "
                                   "--outcome.weekly-hours 30 --date 2025-10-01", id), 1);
    err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "no evaluation of the acquired capacity") && strstr (err, "READY_TO_HIRE"), "%s", err);
    free (err);
    cr_assert_eq (ts_snodoctl (dir, "--json evaluations record %s READY_TO_HIRE 2025-09-30 --note pronta", id), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "\"presentDays\": 1,") && strstr (out, "\"hours\": 6"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "evaluations list %s", id), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "2025-09-30") && strstr (out, "READY_TO_HIRE") && strstr (out, "pronta"), "%s", out);
    free (out);
    //  in the operator's words (the field paths below work as well); a
    //  number that is none is refused before any request
    cr_assert_eq (ts_snodoctl (dir, "pathways close %s --outcome HIRED --contract-type PERMANENT "
                                   "--hours trenta --date 2025-10-01", id), 2);
    cr_assert_eq (ts_snodoctl (dir, "pathways close %s --outcome HIRED --contract-type PERMANENT "
                                   "--hours 30 --date 2025-10-01", id), 0);
    s_expect_state (dir, id, "PATHWAY_STATE_CLOSED");
    char *kind = s_json_value (dir, "contractType");
    cr_assert_str_eq (kind, "CONTRACT_TYPE_PERMANENT");
    free (kind);
    char *shown = ts_read (dir, "out.txt");
    cr_assert (strstr (shown, "\"weeklyHours\": 30,") || strstr (shown, "\"weeklyHours\": 30\n"), "%s", shown);
    free (shown);
    free (id);

    //  another from referral back to the social services
    cr_assert_eq (ts_snodoctl (dir, "--json pathways refer %s", returned_person), 0);
    id = s_json_value (dir, "id");
    cr_assert_eq (ts_snodoctl (dir, "pathways intake %s", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "pathways assess %s", id), 0);
    //  hiring from ASSESSMENT is refused, naming both states
    cr_assert_eq (ts_snodoctl (dir, "pathways close %s --outcome.kind HIRED --outcome.contract-type PERMANENT "
                                   "--outcome.weekly-hours 30", id), 1);
    err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "FAILED_PRECONDITION") && strstr (err, "is ASSESSMENT") && strstr (err, "needs ACTIVE"),
               "%s", err);
    free (err);
    s_ssc_urbano ();
    cr_assert_eq (ts_snodoctl (dir, "evaluations record %s NOT_PLACEABLE_NOW", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "pathways close %s --outcome.kind RETURNED --outcome.work-capacity NON_PRESENTE "
                                   "--outcome.recommended-measure centro-diurno", id), 0);
    s_expect_state (dir, id, "PATHWAY_STATE_CLOSED");
    char *capacity = s_json_value (dir, "workCapacity");
    cr_assert_str_eq (capacity, "WORK_CAPACITY_NON_PRESENTE");
    free (capacity);
    //  the list by state
    cr_assert_eq (ts_snodoctl (dir, "pathways list --state CLOSED"), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "(2)") && strstr (out, id), "%s", out);
    free (out);
    free (id);
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
    free (hired_person);
    free (returned_person);
    s_member_destroy (&sil);
}

//  The scheduler as the binary runs it: an actor with its own connection.
Test (monitoring, scheduler_actor_publishes_overdue_meetings_once)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 12);
    char *id = s_refer (&sil, person, "2024-01-02");
    s_to_active (&sil, id, "2024-01-10", "2024-03-31");     //  meetings on 2024-01-30 and 2024-03-30
    monitoring_set_today (mon, "2024-02-15");
    zactor_t *scheduler = mon_scheduler_new (mon, mon_conninfo, 100);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.outbox WHERE "
              "type = 'monitoring.meeting.overdue' AND subject = '%s' AND seq IS NOT NULL", id);
    cr_assert (ts_wait (s_sql_holds, NULL, 5000), "no overdue event published");
    zclock_sleep (300);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE type = 'monitoring.meeting.overdue' "
              "AND subject = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "as of 2024-02-15 only the joint meeting is overdue, once");
    monitoring_set_today (mon, "2024-04-02");
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.outbox WHERE "
              "type = 'monitoring.meeting.overdue' AND subject = '%s' HAVING count (*) = 2", id);
    cr_assert (ts_wait (s_sql_holds, NULL, 5000), "the second meeting was not raised");
    zactor_destroy (&scheduler);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  Team changes reach the registry exactly once: written while no forwarder
//  runs, they go when it starts; replayed from the start again (a lost
//  cursor), the registry answers from its idempotency records and changes
//  nothing twice.
Test (monitoring, team_changes_reach_the_registry_once_across_restarts)
{
    mon_forwarder_destroy (&forwarder);
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t coop = s_member ("coop-il-ponte", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 13);
    char *id = s_refer (&sil, person, "2025-01-10");
    Snodo__Monitoring__TeamRequest team = SNODO__MONITORING__TEAM_REQUEST__INIT;
    team.pathway_id = id;
    team.member_id = "coop-il-ponte";
    team.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_PLACEMENT_MANAGER;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.AddTeamMember", &team.base, NULL, NULL, &result), OK, "%s",
                  result.message);
    zclock_sleep (500);
    cr_assert_eq (s_registry_get (&coop, person), SNODO__CODE__PERMISSION_DENIED, "no forwarder ran yet");

    forwarder = mon_forwarder_new (mon_request, mon_events, mon_cert, mon_conninfo, reg->request,
                                   zcert_public_txt (reg->cert), NULL);
    s_sees_t sees = {&coop, person, OK};
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the change written meanwhile never reached the registry");

    //  the cursor lost: every event again, with the same request ids
    mon_forwarder_destroy (&forwarder);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "DELETE FROM monitoring.cursor WHERE source = 'monitoring'"));
    PQfinish (db);
    forwarder = mon_forwarder_new (mon_request, mon_events, mon_cert, mon_conninfo, reg->request,
                                   zcert_public_txt (reg->cert), NULL);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.cursor WHERE source = 'monitoring' "
              "AND last_seq >= (SELECT max (seq) FROM monitoring.outbox)");
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the forwarder did not catch up again");
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.team_added' "
              "AND subject = '%s'", person);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "the registry applied the team change more than once");
    free (id);
    free (person);
    s_member_destroy (&coop);
    s_member_destroy (&sil);
}

static size_t
s_list_count (member_t *m, Snodo__Monitoring__ListPathwaysRequest *req, int *code_out)
{
    Snodo__Monitoring__ListPathwaysReply *reply = NULL;
    sn_result_t result;
    int code = s_call (m->mon, "monitoring.ListPathways", &req->base,
                       &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &reply, &result);
    if (code_out)
        *code_out = code;
    size_t n = reply ? reply->n_pathways : 0;
    for (size_t i = 0; reply && i < reply->n_pathways; i++)
        cr_assert_null (reply->pathways [i]->presentation, "lists leave the presentation form out");
    if (reply)
        protobuf_c_message_free_unpacked (&reply->base, NULL);
    return n;
}

Test (monitoring, queries_by_person_state_ambito_referrer_host)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t dsm = s_member ("ass6-dsm", TS_KIND (DSM));
    member_t province = s_member ("provincia-pn", TS_KIND (PROVINCIA));
    member_t ssc = s_member ("ass6-sert", TS_KIND (SERT));
    char *p1 = s_person (&sil, 14), *p2 = s_person (&sil, 15), *p3 = s_person (&dsm, 16);
    char *a = s_refer (&sil, p1, "2025-01-10");
    char *b = s_refer (&sil, p2, "2025-01-10");
    char *c = s_refer (&dsm, p3, "2025-01-10");
    s_to_active (&sil, b, "2025-02-03", NULL);      //  host company-1
    //  the SIL refers a DSM person: not its own
    Snodo__Monitoring__ReferRequest refer = SNODO__MONITORING__REFER_REQUEST__INIT;
    refer.person_id = p3;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.Refer", &refer.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    //  a second open pathway of the same person
    cr_assert_eq (s_call (dsm.mon, "monitoring.Refer", &refer.base, NULL, NULL, &result),
                  SNODO__CODE__ALREADY_EXISTS);
    cr_assert (strstr (result.message, c), "%s", result.message);

    Snodo__Monitoring__ListPathwaysRequest list = SNODO__MONITORING__LIST_PATHWAYS_REQUEST__INIT;
    cr_assert_eq (s_list_count (&sil, &list, NULL), 2, "the SIL's own");
    cr_assert_eq (s_list_count (&dsm, &list, NULL), 1);
    cr_assert_eq (s_list_count (&province, &list, NULL), 3, "the Province sees every pathway");
    cr_assert_eq (s_list_count (&ssc, &list, NULL), 0, "an unrelated service none");
    list.state = ST (ACTIVE);
    cr_assert_eq (s_list_count (&province, &list, NULL), 1);
    list.state = 0;
    list.referring_member_id = "ass6-dsm";
    cr_assert_eq (s_list_count (&province, &list, NULL), 1);
    list.referring_member_id = "";
    list.host_id = "company-1";
    cr_assert_eq (s_list_count (&province, &list, NULL), 1);
    list.host_id = "";
    list.ambito = "urbano";                         //  ts_person_init's
    cr_assert_eq (s_list_count (&province, &list, NULL), 3);
    list.ambito = "nord";
    cr_assert_eq (s_list_count (&province, &list, NULL), 0);
    list.ambito = "";
    list.person_id = p1;
    cr_assert_eq (s_list_count (&province, &list, NULL), 1);
    list.person_id = "";
    Snodo__Monitoring__Page mpage = SNODO__MONITORING__PAGE__INIT;
    mpage.limit = 2;
    list.page = &mpage;
    Snodo__Monitoring__ListPathwaysReply *reply = NULL;
    cr_assert_eq (s_call (province.mon, "monitoring.ListPathways", &list.base,
                          &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &reply, NULL), OK);
    cr_assert_eq (reply->n_pathways, 2);
    cr_assert_str_eq (reply->next, reply->pathways [1]->id);
    mpage.after = reply->next;
    Snodo__Monitoring__ListPathwaysReply *rest = NULL;
    cr_assert_eq (s_call (province.mon, "monitoring.ListPathways", &list.base,
                          &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &rest, NULL), OK);
    cr_assert_eq (rest->n_pathways, 1);
    protobuf_c_message_free_unpacked (&rest->base, NULL);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    //  every person listed is audited for the Province
    cr_assert_geq (ts_count (reg->dbname, "%s", "SELECT count (DISTINCT subject) FROM monitoring.audit WHERE member_id = 'provincia-pn' "
                            "AND method = 'monitoring.ListPathways'"), 3);
    //  a malformed id names the field; an unknown one is NOT_FOUND
    Snodo__Monitoring__GetPathwayRequest get = SNODO__MONITORING__GET_PATHWAY_REQUEST__INIT;
    get.id = "42";
    cr_assert_eq (s_call (sil.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "id");
    get.id = "00000000-0000-4000-8000-000000000000";
    cr_assert_eq (s_call (sil.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result), SNODO__CODE__NOT_FOUND);
    //  without a purpose, no personal data
    get.id = a;
    cr_assert_eq (sn_client_call (sil.mon, "monitoring.GetPathway", "", &get.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "purpose");
    free (a);
    free (b);
    free (c);
    free (p1);
    free (p2);
    free (p3);
    s_member_destroy (&ssc);
    s_member_destroy (&province);
    s_member_destroy (&dsm);
    s_member_destroy (&sil);
}

//  --- ReferBatch: each item checked and made as Refer checks and makes it ----------------------

#define REFER_CASES 10

//  The persons of the cases: known, and (5) referred before.
typedef struct {
    char *mine [3];                 //  the SIL's: cases 0 (and 6), 5, 9
    char *theirs;                   //  the DSM's: case 3
    char long_name [260];
} s_refer_world_t;

//  Case i's Refer (strings borrowed from w and form).
static void
s_refer_case (int i, const s_refer_world_t *w, Snodo__Monitoring__ReferRequest *req,
              Snodo__Monitoring__PresentationForm *form)
{
    snodo__monitoring__refer_request__init (req);
    snodo__monitoring__presentation_form__init (form);
    form->referral_reason = "percorso di inserimento";
    req->presentation = form;
    req->kind = SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_INTERNSHIP;
    req->referred_on = "2026-11-02";
    req->person_id = w->mine [0];
    switch (i) {
    case 1: req->person_id = "not-a-uuid"; break;
    case 2: req->person_id = "0b8f5a8e-1c4a-4f7a-9d51-0c3e2d1f4b6a"; break;     //  nobody
    case 3: req->person_id = w->theirs; break;
    case 4: req->referred_on = "2199-01-01"; break;
    case 5: req->person_id = w->mine [1]; break;                                //  referred before
    case 7: form->contact_person = (char *) w->long_name; break;
    case 8: req->referring_member_id = "ass6-dsm"; break;
    case 9:
        req->person_id = w->mine [2];
        req->kind = SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_JOB_PLACEMENT;
        req->presentation = NULL;
        break;
    }
}

//  A status as text with every UUID as <id>: the plain run's pathways are not the batch's.
static void
s_refer_text (int code, const char *message, size_t n, char fields [][96], char whys [][160], char *out, size_t size)
{
    int len = snprintf (out, size, "%s: %s", sn_code_name (code), message);
    for (size_t v = 0; v < n && v < 16 && len > 0 && (size_t) len < size; v++)
        len += snprintf (out + len, size - (size_t) len, " [%s: %s]", fields [v], whys [v]);
    for (char *at = out; *at; at++)
        if (strlen (at) >= 36 && at [8] == '-' && at [13] == '-' && at [18] == '-' && at [23] == '-') {
            memcpy (at, "<id>", 4);
            memmove (at + 4, at + 36, strlen (at + 36) + 1);
        }
}

//  What Refer answers for case i; the pathway it made, if it did, into made (37 bytes).
static void
s_refer_plain (member_t *m, int i, const s_refer_world_t *w, char *out, size_t size, char *made)
{
    Snodo__Monitoring__ReferRequest req;
    Snodo__Monitoring__PresentationForm form;
    s_refer_case (i, w, &req, &form);
    Snodo__Monitoring__Pathway *p = NULL;
    sn_result_t result;
    int code = s_call (m->mon, "monitoring.Refer", &req.base, &snodo__monitoring__pathway__descriptor,
                       (ProtobufCMessage **) &p, &result);
    s_refer_text (code, code == OK ? "" : result.message, code == OK ? 0 : result.n_violations, result.fields,
                  result.descriptions, out, size);
    *made = 0;
    if (p) {
        snprintf (made, 37, "%s", p->id);
        protobuf_c_message_free_unpacked (&p->base, NULL);
    }
}

//  The cases as one ReferBatch, the items' request_ids made of round and
//  their place. Returns the reply (caller frees).
static Snodo__Monitoring__ReferBatchReply *
s_refer_batch (member_t *m, const s_refer_world_t *w, uint8_t round)
{
    Snodo__Monitoring__ReferRequest reqs [REFER_CASES];
    Snodo__Monitoring__PresentationForm forms [REFER_CASES];
    Snodo__Monitoring__ReferBatchItem items [REFER_CASES], *ptrs [REFER_CASES];
    uint8_t ids [REFER_CASES][16];
    for (int i = 0; i < REFER_CASES; i++) {
        s_refer_case (i, w, &reqs [i], &forms [i]);
        snodo__monitoring__refer_batch_item__init (&items [i]);
        memset (ids [i], round, 16);
        ids [i][15] = (uint8_t) i;
        items [i].request_id.data = ids [i];
        items [i].request_id.len = 16;
        items [i].refer = &reqs [i];
        ptrs [i] = &items [i];
    }
    Snodo__Monitoring__ReferBatchRequest req = SNODO__MONITORING__REFER_BATCH_REQUEST__INIT;
    req.items = ptrs;
    req.n_items = REFER_CASES;
    Snodo__Monitoring__ReferBatchReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (m->mon, "monitoring.ReferBatch", &req.base, &snodo__monitoring__refer_batch_reply__descriptor,
                          (ProtobufCMessage **) &reply, &result), OK, "%s", result.message);
    cr_assert_eq (reply->n_items, REFER_CASES);
    return reply;
}

static void
s_refer_item_text (const Snodo__Status *status, char *out, size_t size)
{
    char fields [16][96], whys [16][160];
    for (size_t v = 0; v < status->n_violations && v < 16; v++) {
        snprintf (fields [v], sizeof fields [v], "%s", status->violations [v]->field);
        snprintf (whys [v], sizeof whys [v], "%s", status->violations [v]->description);
    }
    s_refer_text ((int) status->code, status->message, status->n_violations, fields, whys, out, size);
}

Test (monitoring, each_item_of_refer_batch_is_answered_as_refer_answers_it)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL)), dsm = s_member ("ass6-dsm", TS_KIND (DSM));
    s_refer_world_t w;
    memset (w.long_name, 'x', 250);
    w.long_name [250] = 0;
    for (int k = 0; k < 3; k++)
        w.mine [k] = s_person (&sil, 700 + k);
    w.theirs = s_person (&dsm, 710);
    free (s_refer (&sil, w.mine [1], "2026-11-01"));
    char plain [REFER_CASES][800], made [REFER_CASES][37];
    for (int i = 0; i < REFER_CASES; i++)
        s_refer_plain (&sil, i, &w, plain [i], sizeof plain [i], made [i]);
    //  what Refer made goes: the batch meets the service Refer met
    PGconn *db = ts_db_connect (reg->dbname);
    for (int i = 0; i < REFER_CASES; i++)
        if (*made [i]) {
            char sql [200];
            snprintf (sql, sizeof sql, "DELETE FROM monitoring.pathway WHERE id = '%.36s'", made [i]);
            free (ts_sql (db, sql));
        }
    Snodo__Monitoring__ReferBatchReply *reply = s_refer_batch (&sil, &w, 1);
    for (int i = 0; i < REFER_CASES; i++) {
        char text [800];
        s_refer_item_text (reply->items [i]->status, text, sizeof text);
        cr_expect_str_eq (text, plain [i], "case %d", i);
        cr_expect_eq (reply->items [i]->pathway != NULL, reply->items [i]->status->code == OK, "case %d", i);
    }
    cr_assert_not_null (reply->items [0]->pathway);
    cr_expect_str_eq (reply->items [0]->pathway->presentation->referral_reason, "percorso di inserimento");
    cr_expect_str_eq (reply->items [0]->pathway->referring_member_id, "ass6-sil");
    //  the refused item that read a person is audited with its refusal and its own request_id
    char *audited = ts_sql (db, "SELECT count (*) FROM monitoring.audit WHERE method = 'monitoring.ReferBatch' "
                                "AND outcome = 7 AND request_id = '\\x01010101010101010101010101010103'");
    cr_expect_str_eq (audited, "1");
    free (audited);
    snodo__monitoring__refer_batch_reply__free_unpacked (reply, NULL);
    //  sent again, alone or in a batch: the stored replies, nothing made twice
    reply = s_refer_batch (&sil, &w, 1);
    cr_expect_eq (reply->items [0]->status->code, OK);
    cr_expect_eq (reply->items [9]->status->code, OK);
    char *count = ts_sql (db, "SELECT count (*) FROM monitoring.pathway WHERE referring_member_id = 'ass6-sil'");
    cr_expect_str_eq (count, "3", "cases 0, 9 and the one before, once each");
    free (count);
    snodo__monitoring__refer_batch_reply__free_unpacked (reply, NULL);
    PQfinish (db);
    for (int k = 0; k < 3; k++)
        free (w.mine [k]);
    free (w.theirs);
    s_member_destroy (&dsm);
    s_member_destroy (&sil);
}

Test (monitoring, a_refer_batch_item_with_the_request_id_of_an_item_before_it_is_refused_and_the_first_made)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    s_refer_world_t w;
    w.mine [0] = s_person (&sil, 720);
    w.mine [1] = s_person (&sil, 721);
    Snodo__Monitoring__ReferRequest reqs [2];
    Snodo__Monitoring__PresentationForm forms [2];
    Snodo__Monitoring__ReferBatchItem items [2], *ptrs [2];
    uint8_t id [16];
    memset (id, 0x72, sizeof id);
    for (int i = 0; i < 2; i++) {
        s_refer_case (0, &w, &reqs [i], &forms [i]);
        reqs [i].person_id = w.mine [i];
        snodo__monitoring__refer_batch_item__init (&items [i]);
        items [i].request_id.data = id;                     //  one id for both
        items [i].request_id.len = 16;
        items [i].refer = &reqs [i];
        ptrs [i] = &items [i];
    }
    Snodo__Monitoring__ReferBatchRequest req = SNODO__MONITORING__REFER_BATCH_REQUEST__INIT;
    req.items = ptrs;
    req.n_items = 2;
    Snodo__Monitoring__ReferBatchReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.ReferBatch", &req.base, &snodo__monitoring__refer_batch_reply__descriptor,
                          (ProtobufCMessage **) &reply, &result), OK, "%s", result.message);
    cr_assert_eq (reply->n_items, 2);
    cr_expect_eq (reply->items [0]->status->code, OK);
    char text [800];
    s_refer_item_text (reply->items [1]->status, text, sizeof text);
    cr_expect_str_eq (text, "INVALID_ARGUMENT: request_id: is the request_id of item 0: each item has its own "
                            "[request_id: is the request_id of item 0: each item has its own]");
    snodo__monitoring__refer_batch_reply__free_unpacked (reply, NULL);
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [200];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.pathway WHERE person_id = '%.36s'", w.mine [1]);
    char *count = ts_sql (db, sql);
    cr_expect_str_eq (count, "0", "the refused item made nothing");
    free (count);
    PQfinish (db);
    free (w.mine [0]);
    free (w.mine [1]);
    s_member_destroy (&sil);
}

//  --- the registry's persons, a page at a time against one by one -----------------------------

//  A schema of monitoring's own, over the test's database, as superuser.
static PGconn *
s_schema (const char *name)
{
    char *conninfo = ts_conninfo (reg->dbname, NULL), err [256];
    PGconn *db = sn_store_connect (conninfo, name, err, sizeof err);
    cr_assert (db, "%s", err);
    cr_assert_eq (sn_store_migrate (db, name, monitoring_migrations, err, sizeof err), 0, "%s", err);
    zstr_free (&conninfo);
    return db;
}

Test (monitoring, a_page_of_registry_events_keeps_what_its_events_one_by_one_keep)
{
    PGconn *alone = s_schema ("mon_alone"), *paged = s_schema ("mon_paged");
    Snodo__Registry__Person a, b;
    char cfs [2][17];
    ts_person_init (&a, 9101, cfs [0]);
    ts_person_init (&b, 9102, cfs [1]);
    a.id = "00000000-0000-4000-8000-00000000000a";
    b.id = "00000000-0000-4000-8000-00000000000b";
    a.referring_member_id = b.referring_member_id = "ass6-sil";
    b.referred_via = "bridge";
    static const char *types [6] = {"registry.person.created", "registry.person.created",
                                     "registry.person.profile_set", "registry.person.team_added",
                                     "registry.person.updated", "registry.post.created"};
    Snodo__Event events [6], *page [6];
    uint8_t *bodies [6];
    for (int i = 0; i < 6; i++) {
        Snodo__Registry__Person *p = i == 1 ? &b : &a;
        if (i == 4) {
            a.ambito = "nord";
            a.invalidity_percent = 75;
        }
        snodo__event__init (&events [i]);
        events [i].seq = (uint64_t) i + 1;
        events [i].type = (char *) types [i];
        size_t size = protobuf_c_message_get_packed_size (&p->base);
        bodies [i] = (uint8_t *) malloc (size);
        events [i].body.len = protobuf_c_message_pack (&p->base, bodies [i]);
        events [i].body.data = bodies [i];
        page [i] = &events [i];
    }
    free (ts_sql (alone, "BEGIN; SELECT 1"));
    for (int i = 0; i < 6; i++)
        cr_assert_eq (monitoring_registry_apply (alone, page [i], mon), 0);
    free (ts_sql (alone, "COMMIT; SELECT 1"));
    free (ts_sql (paged, "BEGIN; SELECT 1"));
    cr_assert_eq (monitoring_registry_apply_page (paged, page, 6, mon), 0);
    free (ts_sql (paged, "COMMIT; SELECT 1"));
    const char *sql = "SELECT string_agg (concat_ws (',', id, referring_member_id, ambito, invalidity_percent, "
                      "referred_via), ';' ORDER BY id) FROM person";
    char *one = ts_sql (alone, sql), *other = ts_sql (paged, sql);
    cr_expect_str_eq (other, one);
    cr_expect_str_eq (one, "00000000-0000-4000-8000-00000000000a,ass6-sil,nord,75,;"
                           "00000000-0000-4000-8000-00000000000b,ass6-sil,urbano,60,bridge");
    free (one);
    free (other);
    for (int i = 0; i < 6; i++)
        free (bodies [i]);
    PQfinish (alone);
    PQfinish (paged);
}

//  --- taking in charge and handing back (monitoring_charge.c) ---------------------------

//  The ListTeam rows of a pathway with role, as "member member ..." ("" if none).
static void
s_team_with_role (member_t *m, const char *id, int role, char *out, size_t size)
{
    Snodo__Monitoring__ListTeamRequest req = SNODO__MONITORING__LIST_TEAM_REQUEST__INIT;
    req.pathway_id = (char *) id;
    Snodo__Monitoring__ListTeamReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (m->mon, "monitoring.ListTeam", &req.base, &snodo__monitoring__list_team_reply__descriptor,
                          (ProtobufCMessage **) &reply, &result), OK, "%s", result.message);
    out [0] = 0;
    for (size_t i = 0; i < reply->n_team; i++)
        if ((int) reply->team [i]->role == role)
            snprintf (out + strlen (out), size - strlen (out), "%s%s", *out ? " " : "", reply->team [i]->member_id);
    snodo__monitoring__list_team_reply__free_unpacked (reply, NULL);
}

Test (monitoring, the_province_office_that_takes_a_person_in_charge_sees_the_person_and_another_does_not)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t cpi = s_member ("cpi-pordenone", TS_KIND (CPI));
    member_t other = s_member ("cpi-sacile", TS_KIND (CPI));
    char *person = s_person (&sil, 31);
    char *id = s_refer (&sil, person, "2025-01-10");
    //  referred, not taken in charge: the Province's office may not see the person
    cr_assert_eq (s_registry_get (&cpi, person), SNODO__CODE__PERMISSION_DENIED);
    //  the role is the service's to give, not anyone's to add
    Snodo__Monitoring__TeamRequest team = SNODO__MONITORING__TEAM_REQUEST__INIT;
    team.pathway_id = id;
    team.member_id = "cpi-sacile";
    team.role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_PROVINCE_OFFICE;
    sn_result_t result;
    cr_assert_eq (s_call (sil.mon, "monitoring.AddTeamMember", &team.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "role");

    //  the CPI takes the person in charge: the intake, dated, by it
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.date = "2025-01-20";
    req.note = "presa in carico";
    int state;
    cr_assert_eq (s_step (&cpi, "monitoring.StartIntake", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (state, ST (INTAKE));
    char members [256];
    s_team_with_role (&sil, id, SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_PROVINCE_OFFICE, members, sizeof members);
    cr_assert_str_eq (members, "cpi-pordenone");
    s_sees_t sees = {&cpi, person, OK};
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the office that took the person in charge never saw it");
    cr_assert_eq (s_registry_get (&other, person), SNODO__CODE__PERMISSION_DENIED);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.team WHERE person_id = '%s' AND member_id = "
              "'cpi-pordenone' AND pathway_id = '%s'", person, id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    snprintf (sql, sizeof sql, "SELECT member_id || ' ' || date FROM monitoring.pathway_transition "
              "WHERE pathway_id = '%s' AND to_state = %d", id, ST (INTAKE));
    char *taken = ts_value (reg->dbname, "%s", sql);
    cr_assert_str_eq (taken, "cpi-pordenone 2025-01-20");
    free (taken);

    //  an intake by the referring service itself gives no one else anything
    char *person2 = s_person (&sil, 32);
    char *id2 = s_refer (&sil, person2, "2025-01-10");
    req.pathway_id = id2;
    cr_assert_eq (s_step (&sil, "monitoring.StartIntake", &req, &state, &result), OK, "%s", result.message);
    s_team_with_role (&sil, id2, SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_PROVINCE_OFFICE, members, sizeof members);
    cr_assert_str_eq (members, "");
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.team.member_added'", id2);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 0);
    cr_assert_eq (s_registry_get (&cpi, person2), SNODO__CODE__PERMISSION_DENIED);
    free (id2);
    free (person2);
    free (id);
    free (person);
    s_member_destroy (&other);
    s_member_destroy (&cpi);
    s_member_destroy (&sil);
}

//  --- the evaluation of the acquired capacity (monitoring_evaluation.c) ---------------

//  A S.O.M.I. form on day with punctuality, teamwork and reading as given (0: not observed).
static void
s_observe (member_t *m, const char *id, const char *day, uint32_t punctuality, uint32_t teamwork, uint32_t reading)
{
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    scores.punctuality = punctuality;
    scores.teamwork = teamwork;
    scores.reading = reading;
    Snodo__Monitoring__Observation o = SNODO__MONITORING__OBSERVATION__INIT;
    o.pathway_id = (char *) id;
    o.observed_on = (char *) day;
    o.scores = &scores;
    Snodo__Monitoring__AddObservationRequest req = SNODO__MONITORING__ADD_OBSERVATION_REQUEST__INIT;
    req.observation = &o;
    sn_result_t result;
    cr_assert_eq (s_call (m->mon, "monitoring.AddObservation", &req.base, NULL, NULL, &result), OK, "%s",
                  result.message);
}

Test (monitoring, an_evaluation_sums_up_attendance_and_the_somi_trend_up_to_its_day_and_a_hiring_needs_it)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t outsider = s_member ("coop-arcobaleno", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 33);
    char *id = s_refer (&sil, person, "2025-01-10");
    sn_result_t result;
    //  referred, not yet taken in charge: nothing to evaluate
    cr_assert_eq (s_evaluate (&sil, id, "2025-01-10", VERDICT (CONTINUE), &result, NULL),
                  SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is REFERRED: RecordEvaluation needs INTAKE"), "%s", result.message);
    s_to_active (&sil, id, "2025-02-03", NULL);
    //  three days of attendance, one after the evaluation's day (left out)
    cr_assert_eq (s_attendance (&sil, id, "2025-02-03", SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT, 6, &result), OK);
    cr_assert_eq (s_attendance (&sil, id, "2025-02-04", SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_UNJUSTIFIED, 0,
                                &result), OK);
    cr_assert_eq (s_attendance (&sil, id, "2025-02-05", SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT, 5.5, &result), OK);
    cr_assert_eq (s_attendance (&sil, id, "2025-03-20", SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT, 8, &result), OK);
    //  punctuality 2 -> 4 (better), teamwork 3 -> 2 (worse), reading 3 -> 3; the last form is after the day
    s_observe (&sil, id, "2025-02-10", 2, 3, 0);
    s_observe (&sil, id, "2025-02-24", 3, 0, 3);
    s_observe (&sil, id, "2025-03-03", 4, 2, 3);
    s_observe (&sil, id, "2025-03-25", 1, 1, 1);

    //  bad input: every field named
    cr_assert_eq (s_evaluate (&sil, id, "2099-01-01", 0, &result, NULL), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 2, "%s", result.message);
    cr_assert_str_eq (result.fields [0], "evaluated_on");
    cr_assert (strstr (result.descriptions [0], "2099-01-01 is in the future"), "%s", result.descriptions [0]);
    cr_assert_str_eq (result.fields [1], "verdict");
    cr_assert_eq (s_evaluate (&sil, id, "2025-02-01", VERDICT (CONTINUE), &result, NULL), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (result.descriptions [0], "before the pathway's last transition"), "%s", result.descriptions [0]);
    //  a member outside the pathway may not
    cr_assert_eq (s_evaluate (&outsider, id, "2025-03-10", VERDICT (CONTINUE), &result, NULL),
                  SNODO__CODE__PERMISSION_DENIED);

    Snodo__Monitoring__Evaluation *e = NULL;
    cr_assert_eq (s_evaluate (&sil, id, "2025-03-10", VERDICT (CONTINUE), &result, &e), OK, "%s", result.message);
    cr_assert_str_eq (e->evaluated_on, "2025-03-10");
    cr_assert_eq (e->verdict, VERDICT (CONTINUE));
    cr_assert_str_eq (e->recorded_by, "ass6-sil");
    cr_assert_str_eq (e->person_id, person);
    cr_assert_str_eq (e->note, "valutazione d'equipe");
    const Snodo__Monitoring__EvaluationBasis *b = e->basis;
    cr_assert_not_null (b);
    cr_assert_eq (b->present_days, 2);
    cr_assert_eq (b->unjustified_absences, 1);
    cr_assert_eq (b->justified_absences, 0);
    cr_assert_float_eq (b->hours, 11.5, 1e-9);
    cr_assert_str_eq (b->attendance_from, "2025-02-03");
    cr_assert_str_eq (b->attendance_to, "2025-02-05");
    cr_assert_eq (b->observations, 3);
    cr_assert_str_eq (b->first_observed_on, "2025-02-10");
    cr_assert_str_eq (b->last_observed_on, "2025-03-03");
    cr_assert_eq (b->improved, 1);
    cr_assert_eq (b->worsened, 1);
    cr_assert_eq (b->unchanged, 1);
    cr_assert_float_eq (b->mean_change, 0.33, 1e-9);      //  (2 - 1 + 0) / 3
    protobuf_c_message_free_unpacked (&e->base, NULL);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.evaluation.recorded' AND person = '%s'", id, person);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);

    //  a hiring with the last evaluation saying CONTINUE is refused, naming it; READY_TO_HIRE lets it through
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
    outcome.contract_type = SNODO__MONITORING__CONTRACT_TYPE__CONTRACT_TYPE_PERMANENT;
    outcome.weekly_hours = 25;
    outcome.employer_id = "company-1";
    req.pathway_id = id;
    req.date = "2025-04-01";
    req.outcome = &outcome;
    int state;
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "(2025-03-10) says CONTINUE") && strstr (result.message, "READY_TO_HIRE"),
               "%s", result.message);
    cr_assert_eq (s_evaluate (&sil, id, "2025-03-31", VERDICT (READY_TO_HIRE), &result, NULL), OK, "%s", result.message);
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (state, ST (CLOSED));
    //  both kept, oldest first; closed, no more evaluations
    Snodo__Monitoring__ListEvaluationsRequest list = SNODO__MONITORING__LIST_EVALUATIONS_REQUEST__INIT;
    list.pathway_id = id;
    Snodo__Monitoring__ListEvaluationsReply *reply = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ListEvaluations", &list.base,
                          &snodo__monitoring__list_evaluations_reply__descriptor, (ProtobufCMessage **) &reply,
                          &result), OK, "%s", result.message);
    cr_assert_eq (reply->n_evaluations, 2);
    cr_assert_eq (reply->evaluations [0]->verdict, VERDICT (CONTINUE));
    cr_assert_eq (reply->evaluations [1]->verdict, VERDICT (READY_TO_HIRE));
    cr_assert_eq (reply->evaluations [1]->basis->observations, 4);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    cr_assert_eq (s_evaluate (&sil, id, "2025-04-01", VERDICT (CONTINUE), &result, NULL),
                  SNODO__CODE__FAILED_PRECONDITION);
    cr_assert_eq (s_call (outsider.mon, "monitoring.ListEvaluations", &list.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    free (id);
    free (person);
    s_member_destroy (&outsider);
    s_member_destroy (&sil);
}

//  --- outcomes that reach the registry (registry_outcomes.c, the forwarder) --------------

//  A company of employees (law 68/1999 quota from them) and a post of it with
//  places, made as the operator. Writes their ids.
static void
s_company_post (const char *piva, uint32_t employees, uint32_t places, char post_id [37], char company_id [37])
{
    ts_company_post_t spec = {piva, "Ristorazione Zanin S.r.l.", employees, places, 20, "urbano"};
    sn_result_t result;
    cr_assert_eq (ts_company_post (reg, &spec, company_id, post_id, &result), OK, "%s", result.message);
}

//  A registry record by id (GetJobPost, GetCompany) as the operator. Caller frees.
static ProtobufCMessage *
s_registry_record (const char *method, const ProtobufCMessageDescriptor *desc, const char *id)
{
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Registry__GetRequest req = SNODO__REGISTRY__GET_REQUEST__INIT;
    req.id = (char *) id;
    ProtobufCMessage *out = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (admin, method, "administration", &req.base, desc, &out, &result), OK, "%s",
                  result.message);
    sn_client_destroy (&admin);
    return out;
}

//  RecordOutcome as the monitoring service with request_id (16 bytes). Returns the code.
static int
s_record_outcome (const uint8_t *request_id, Snodo__Registry__RecordOutcomeRequest *req,
                  Snodo__Registry__RecordOutcomeReply **reply, sn_result_t *result)
{
    sn_client_t *service = ts_client_as (reg->request, mon_cert, reg->cert);
    int code = sn_client_call_id (service, request_id, "registry.RecordOutcome", "placement", &req->base,
                                  &snodo__registry__record_outcome_reply__descriptor, (ProtobufCMessage **) reply,
                                  result);
    sn_client_destroy (&service);
    return code;
}

Test (monitoring, a_hire_fills_a_place_of_the_post_and_counts_toward_the_quota_once)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char post [37], company [37];
    s_company_post ("00743110157", 40, 1, post, company);        //  quota 2, none covered: uncovered 2
    char *person = s_person (&sil, 34);                        //  invalidity 60 %: under law 68/1999
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active_on (&sil, id, "2025-02-03", NULL, post, company);
    sn_result_t result;
    cr_assert_eq (s_evaluate (&sil, id, "2025-06-30", VERDICT (READY_TO_HIRE), &result, NULL), OK, "%s",
                  result.message);
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
    outcome.contract_type = SNODO__MONITORING__CONTRACT_TYPE__CONTRACT_TYPE_PERMANENT;
    outcome.weekly_hours = 25;
    req.pathway_id = id;
    req.date = "2025-07-01";
    req.outcome = &outcome;
    int state;
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), OK, "%s", result.message);
    //  the forwarder tells the registry: the post's one place filled, the company's quota covered by one
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM registry.pathway_outcome WHERE pathway_id = '%s'", id);
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the hire never reached the registry");
    Snodo__Registry__JobPost *p = (Snodo__Registry__JobPost *) s_registry_record (
        "registry.GetJobPost", &snodo__registry__job_post__descriptor, post);
    cr_assert_eq (p->places_filled, 1);
    cr_assert_eq (p->status, SNODO__REGISTRY__POST_STATUS__POST_STATUS_FILLED);
    //  an operator's update from a copy read before the hire keeps the place filled
    p->places_filled = 0;
    char *title = p->title;
    p->title = "Aiuto cuoco (turno serale)";
    Snodo__Registry__UpdateJobPostRequest update = SNODO__REGISTRY__UPDATE_JOB_POST_REQUEST__INIT;
    update.post = p;
    sn_client_t *admin = ts_admin_client (reg);
    cr_assert_eq (sn_client_call (admin, "registry.UpdateJobPost", "administration", &update.base, NULL, NULL,
                                  &result), OK, "%s", result.message);
    sn_client_destroy (&admin);
    p->title = title;               //  the message's own, to free with it
    protobuf_c_message_free_unpacked (&p->base, NULL);
    p = (Snodo__Registry__JobPost *) s_registry_record ("registry.GetJobPost", &snodo__registry__job_post__descriptor,
                                                       post);
    cr_assert_eq (p->places_filled, 1, "a stale update undid the hire's place");
    cr_assert_str_eq (p->title, "Aiuto cuoco (turno serale)");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    Snodo__Registry__Company *c = (Snodo__Registry__Company *) s_registry_record (
        "registry.GetCompany", &snodo__registry__company__descriptor, company);
    cr_assert_eq (c->quota, 2);
    cr_assert_eq (c->disabled_employed, 1);
    cr_assert_eq (c->uncovered, 1);
    protobuf_c_message_free_unpacked (&c->base, NULL);

    //  the same outcome told again, under another request id: nothing twice
    Snodo__Registry__RecordOutcomeRequest again = SNODO__REGISTRY__RECORD_OUTCOME_REQUEST__INIT;
    again.pathway_id = id;
    again.person_id = person;
    again.kind = SNODO__REGISTRY__PATHWAY_OUTCOME__PATHWAY_OUTCOME_HIRED;
    again.date = "2025-07-01";
    again.post_id = post;
    again.employer_id = company;
    uint8_t rid [16];
    for (int i = 0; i < 16; i++)
        rid [i] = (uint8_t) (0xa0 + i);
    Snodo__Registry__RecordOutcomeReply *reply = NULL;
    cr_assert_eq (s_record_outcome (rid, &again, &reply, &result), OK, "%s", result.message);
    cr_assert_not (reply->applied, "a replayed outcome was applied again");
    cr_assert (reply->law68);
    cr_assert_null (reply->post);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.outbox WHERE subject = '%s' "
              "AND type = 'registry.post.updated'", post);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 2, "the hire's and the operator's update, not the replay's");
    snprintf (sql, sizeof sql, "SELECT (data->>'disabledEmployed')::int FROM registry.company WHERE id = '%s'", company);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    snprintf (sql, sizeof sql, "SELECT post_id::text || ' ' || company_id::text FROM registry.pathway_outcome "
              "WHERE pathway_id = '%s'", id);
    char *changed = ts_value (reg->dbname, "%s", sql);
    char expected [80];
    snprintf (expected, sizeof expected, "%s %s", post, company);
    cr_assert_str_eq (changed, expected);
    free (changed);

    //  only a service tells it, and every field is checked
    Snodo__Registry__RecordOutcomeRequest bad = SNODO__REGISTRY__RECORD_OUTCOME_REQUEST__INIT;
    bad.pathway_id = "x";
    bad.person_id = person;
    bad.kind = SNODO__REGISTRY__PATHWAY_OUTCOME__PATHWAY_OUTCOME_RETURNED;
    bad.date = "2025-02-30";
    rid [0] = 1;
    cr_assert_eq (s_record_outcome (rid, &bad, NULL, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 4, "%s", result.message);
    cr_assert_str_eq (result.fields [0], "pathway_id");
    cr_assert_str_eq (result.fields [1], "date");
    cr_assert_str_eq (result.fields [2], "work_capacity");
    cr_assert_str_eq (result.fields [3], "recommended_measure");
    cr_assert_eq (sn_client_call (sil.reg, "registry.RecordOutcome", "placement", &again.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, a_hire_by_a_person_outside_law_68_fills_the_place_and_leaves_the_quota)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char post [37], company [37];
    s_company_post ("01114601006", 40, 2, post, company);
    char *person = s_person (&sil, 35);
    char sql [256];
    snprintf (sql, sizeof sql, "UPDATE registry.person SET data = data || '{\"invalidityPercent\": 30}' "
              "WHERE id = '%s'", person);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, sql));
    PQfinish (db);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_active_on (&sil, id, "2025-02-03", NULL, post, company);
    sn_result_t result;
    cr_assert_eq (s_evaluate (&sil, id, "2025-06-30", VERDICT (READY_TO_HIRE), &result, NULL), OK);
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_HIRED;
    outcome.contract_type = SNODO__MONITORING__CONTRACT_TYPE__CONTRACT_TYPE_FIXED_TERM;
    outcome.weekly_hours = 20;
    req.pathway_id = id;
    req.date = "2025-07-01";
    req.outcome = &outcome;
    int state;
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), OK, "%s", result.message);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM registry.pathway_outcome WHERE pathway_id = '%s'", id);
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the hire never reached the registry");
    Snodo__Registry__JobPost *p = (Snodo__Registry__JobPost *) s_registry_record (
        "registry.GetJobPost", &snodo__registry__job_post__descriptor, post);
    cr_assert_eq (p->places_filled, 1);
    cr_assert_eq (p->status, SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN, "one place of two is still free");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    Snodo__Registry__Company *c = (Snodo__Registry__Company *) s_registry_record (
        "registry.GetCompany", &snodo__registry__company__descriptor, company);
    cr_assert_eq (c->disabled_employed, 0);
    cr_assert_eq (c->uncovered, 2);
    protobuf_c_message_free_unpacked (&c->base, NULL);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  The types of the events about subject a member's registry stream holds, joined by spaces.
static void
s_stream_types (sn_client_t *client, const char *subject, char *out, size_t size)
{
    Snodo__FollowRequest req = SNODO__FOLLOW_REQUEST__INIT;
    req.max = 1000;
    Snodo__FollowReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "journal.Follow", "placement", &req.base, &snodo__follow_reply__descriptor,
                                  (ProtobufCMessage **) &reply, &result), OK, "%s", result.message);
    out [0] = 0;
    for (size_t i = 0; i < reply->n_events; i++)
        if (streq (reply->events [i]->subject, subject))
            snprintf (out + strlen (out), size - strlen (out), "%s%s", *out ? " " : "", reply->events [i]->type);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
}

Test (monitoring, a_return_hands_the_person_to_the_ssc_of_its_ambito_with_the_commission_outcome)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t ssc, nord;
    ssc.reg = ts_member_client (reg, "ssc-urbano", TS_KIND (SSC), "urbano", &ssc.cert);
    ssc.mon = ts_client_as (mon_request, ssc.cert, mon_cert);
    nord.reg = ts_member_client (reg, "ssc-nord", TS_KIND (SSC), "nord", &nord.cert);
    nord.mon = ts_client_as (mon_request, nord.cert, mon_cert);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.directory WHERE id = 'ssc-nord'");
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the SSC never reached monitoring");
    char *person = s_person (&sil, 36);          //  of ambito urbano
    char *id = s_refer (&sil, person, "2025-01-10");
    cr_assert_eq (s_registry_get (&ssc, person), SNODO__CODE__PERMISSION_DENIED);
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = id;
    req.date = "2025-01-20";
    sn_result_t result;
    int state;
    cr_assert_eq (s_step (&sil, "monitoring.StartIntake", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (s_evaluate (&sil, id, "2025-02-25", VERDICT (NOT_PLACEABLE_NOW), &result, NULL), OK);
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_RETURNED;
    outcome.work_capacity = SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE;
    outcome.recommended_measure = "centro diurno socio-occupazionale";
    req.outcome = &outcome;
    req.date = "2025-03-01";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), OK, "%s", result.message);
    char members [256];
    s_team_with_role (&sil, id, SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_SOCIAL_SERVICES, members, sizeof members);
    cr_assert_str_eq (members, "ssc-urbano");
    //  the SSC of the person's ambito sees the person, with the commission's outcome; the other SSC does not
    s_sees_t sees = {&ssc, person, OK};
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the SSC never got the person back");
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM registry.person WHERE id = '%s' "
              "AND data->>'commissionMeasure' = 'centro diurno socio-occupazionale'", person);
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the commission's outcome never reached the registry");
    Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    get.id = person;
    Snodo__Registry__Person *p = NULL;
    cr_assert_eq (sn_client_call (ssc.reg, "registry.GetPerson", "placement", &get.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &p, &result), OK);
    cr_assert_eq (p->work_capacity, SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE);
    cr_assert_str_eq (p->commission_date, "2025-03-01");
    cr_assert_str_eq (p->commission_measure, "centro diurno socio-occupazionale");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    cr_assert_eq (s_registry_get (&nord, person), SNODO__CODE__PERMISSION_DENIED);
    //  and the SSC's own stream carries the handing over and the person with the outcome
    char types [512];
    s_stream_types (ssc.reg, person, types, sizeof types);
    cr_assert (strstr (types, "registry.person.team_added registry.person.updated"), "%s", types);
    s_stream_types (nord.reg, person, types, sizeof types);
    cr_assert_str_eq (types, "");

    //  a return in an ambito with no SSC is refused, naming it
    char *person2 = s_person (&sil, 37);
    char sql [256];
    snprintf (sql, sizeof sql, "UPDATE monitoring.person SET ambito = 'sud' WHERE id = '%s'", person2);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, sql));
    PQfinish (db);
    char *id2 = s_refer (&sil, person2, "2025-01-10");
    req.pathway_id = id2;
    req.outcome = NULL;
    req.date = "2025-01-20";
    cr_assert_eq (s_step (&sil, "monitoring.StartIntake", &req, &state, &result), OK, "%s", result.message);
    cr_assert_eq (s_evaluate (&sil, id2, "2025-02-25", VERDICT (NOT_PLACEABLE_NOW), &result, NULL), OK);
    req.outcome = &outcome;
    req.date = "2025-03-01";
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, &state, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "no social services (SSC member) of ambito \"sud\""), "%s", result.message);
    cr_assert_eq (s_state (id2), ST (INTAKE));
    free (id2);
    free (person2);
    free (id);
    free (person);
    s_member_destroy (&nord);
    s_member_destroy (&ssc);
    s_member_destroy (&sil);
}

//  --- the project, the host's tutor, accessory services, periodic review (issue 19) ---------

//  Carries a referred pathway to MATCHING, every step dated date.
static void
s_to_matching (member_t *m, const char *id, const char *date)
{
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.date = (char *) date;
    static const char *methods [] = {"monitoring.StartIntake", "monitoring.StartAssessment",
                                     "monitoring.StartMatching", NULL};
    for (int i = 0; methods [i]; i++) {
        sn_result_t result;
        int code = s_step (m, methods [i], &req, NULL, &result);
        cr_assert_eq (code, OK, "%s: %s %s", methods [i], sn_code_name (code), result.message);
    }
}

//  A project with two objectives and two tasks, dated date; accompaniment
//  as given (may be NULL). Returns the code; the version in *version.
static int
s_set_project (member_t *m, const char *id, const char *date, Snodo__Monitoring__Accompaniment *a,
               uint32_t *version, sn_result_t *result)
{
    char *objectives [] = {"autonomia nel reparto", "rispetto degli orari"};
    char *tasks [] = {"riordino degli scaffali", "etichettatura dei prodotti"};
    Snodo__Monitoring__Project pr = SNODO__MONITORING__PROJECT__INIT;
    pr.pathway_id = (char *) id;
    pr.date = (char *) date;
    pr.objectives = objectives;
    pr.n_objectives = 2;
    pr.tasks = tasks;
    pr.n_tasks = 2;
    pr.accompaniment = a;
    Snodo__Monitoring__SetProjectRequest req = SNODO__MONITORING__SET_PROJECT_REQUEST__INIT;
    req.project = &pr;
    Snodo__Monitoring__Project *out = NULL;
    int code = s_call (m->mon, "monitoring.SetProject", &req.base, &snodo__monitoring__project__descriptor,
                       (ProtobufCMessage **) &out, result);
    if (out && version)
        *version = out->version;
    if (out)
        protobuf_c_message_free_unpacked (&out->base, NULL);
    return code;
}

//  Expects a refusal INVALID_ARGUMENT naming field, with what in its reason.
static void
s_expect_violation (int code, const sn_result_t *result, const char *field, const char *what)
{
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT, "%s: %s %s", field, sn_code_name (code), result->message);
    cr_assert_geq (result->n_violations, 1);
    cr_assert_str_eq (result->fields [0], field);
    cr_assert (strstr (result->descriptions [0], what), "%s: %s", field, result->descriptions [0]);
}

Test (monitoring, a_project_keeps_its_versions_and_the_accompaniment_decision)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t other = s_member ("coop-arcobaleno", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 30);
    char *id = s_refer (&sil, person, "2025-01-10");
    sn_result_t result;
    Snodo__Monitoring__Accompaniment a = SNODO__MONITORING__ACCOMPANIMENT__INIT;
    a.requested_by = "operatrice del SIL";
    a.requested_on = "2025-01-25";
    a.weeks = 8;
    a.hours_per_week = 10;
    a.decision = SNODO__MONITORING__DECISION__DECISION_REQUESTED;
    //  not before the matching
    cr_assert_eq (s_set_project (&sil, id, "2025-01-25", &a, NULL, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is REFERRED") && strstr (result.message, "MATCHING"), "%s", result.message);
    s_to_matching (&sil, id, "2025-01-20");
    uint32_t version = 0;
    cr_assert_eq (s_set_project (&sil, id, "2025-01-25", &a, &version, &result), OK, "%s", result.message);
    cr_assert_eq (version, 1);
    //  granted: a new version, the request kept in the first
    a.decision = SNODO__MONITORING__DECISION__DECISION_GRANTED;
    a.decided_by = "commissione provinciale";
    a.decided_on = "2025-02-05";
    cr_assert_eq (s_set_project (&sil, id, "2025-02-05", &a, &version, &result), OK, "%s", result.message);
    cr_assert_eq (version, 2);

    Snodo__Monitoring__GetProjectRequest get = SNODO__MONITORING__GET_PROJECT_REQUEST__INIT;
    get.pathway_id = id;
    Snodo__Monitoring__GetProjectReply *reply = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.GetProject", &get.base, &snodo__monitoring__get_project_reply__descriptor,
                          (ProtobufCMessage **) &reply, &result), OK, "%s", result.message);
    cr_assert_not_null (reply->project);
    cr_assert_eq (reply->project->version, 2);
    cr_assert_str_eq (reply->project->date, "2025-02-05");
    cr_assert_str_eq (reply->project->person_id, person);
    cr_assert_str_eq (reply->project->recorded_by, "ass6-sil");
    cr_assert_eq (reply->project->n_tasks, 2);
    cr_assert_str_eq (reply->project->tasks [1], "etichettatura dei prodotti");
    cr_assert_eq (reply->project->n_objectives, 2);
    cr_assert_eq (reply->project->accompaniment->decision, SNODO__MONITORING__DECISION__DECISION_GRANTED);
    cr_assert_str_eq (reply->project->accompaniment->decided_by, "commissione provinciale");
    cr_assert_str_eq (reply->project->accompaniment->decided_on, "2025-02-05");
    cr_assert_eq (reply->project->accompaniment->weeks, 8);
    cr_assert_float_eq (reply->project->accompaniment->hours_per_week, 10, 1e-9);
    cr_assert_eq (reply->n_earlier, 1);
    cr_assert_eq (reply->earlier [0]->version, 1);
    cr_assert_eq (reply->earlier [0]->accompaniment->decision, SNODO__MONITORING__DECISION__DECISION_REQUESTED);
    cr_assert_str_eq (reply->earlier [0]->accompaniment->decided_on, "");
    protobuf_c_message_free_unpacked (&reply->base, NULL);

    //  each rule both ways: the right values were accepted above; now wrong ones
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.project WHERE pathway_id = '%s'", id);
    long outbox = ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'");
    s_expect_violation (s_set_project (&sil, id, "2199-01-01", &a, NULL, &result), &result, "project.date",
                        "is in the future");
    s_expect_violation (s_set_project (&sil, id, "2025-01-09", &a, NULL, &result), &result, "project.date",
                        "is before the referral on 2025-01-10");
    s_expect_violation (s_set_project (&sil, id, "2025-02-04", &a, NULL, &result), &result, "project.date",
                        "is before version 2 of the project, of 2025-02-05");
    a.decided_on = "2025-01-24";
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.decided_on", "is before the request on 2025-01-25");
    a.decided_on = "2025-02-05";
    a.decided_by = "";
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.decided_by", "is required");
    a.decided_by = "commissione provinciale";
    a.requested_on = "2025-01-05";
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.requested_on", "is before the referral on 2025-01-10");
    a.requested_on = "2025-01-25";
    a.weeks = 0;
    a.hours_per_week = 0;
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.weeks", "how long is required");
    a.hours_per_week = 60;
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.hours_per_week", "out of range 0-48");
    a.hours_per_week = 10;
    a.decision = (Snodo__Monitoring__Decision) 9;
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.decision", "9 is not a value");
    a.decision = SNODO__MONITORING__DECISION__DECISION_REQUESTED;
    s_expect_violation (s_set_project (&sil, id, "2025-02-05", &a, NULL, &result), &result,
                        "project.accompaniment.decided_on", "not decided yet");
    Snodo__Monitoring__Project empty = SNODO__MONITORING__PROJECT__INIT;
    empty.pathway_id = id;
    Snodo__Monitoring__SetProjectRequest bare = SNODO__MONITORING__SET_PROJECT_REQUEST__INIT;
    bare.project = &empty;
    s_expect_violation (s_call (sil.mon, "monitoring.SetProject", &bare.base, NULL, NULL, &result), &result,
                        "project.objectives", "at least one is required");
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 2, "a refused project was kept");
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'"),
                  outbox, "an event for a refusal");
    //  the day of the last version itself is allowed
    a.weeks = 6;
    cr_assert_eq (s_set_project (&sil, id, "2025-02-05", NULL, &version, &result), OK, "%s", result.message);
    cr_assert_eq (version, 3);

    //  who may read it: as for visits, the referring service, not another cooperative
    cr_assert_eq (s_call (other.mon, "monitoring.GetProject", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_set_project (&other, id, "2025-02-05", NULL, NULL, &result), SNODO__CODE__PERMISSION_DENIED);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.audit WHERE member_id = 'coop-arcobaleno' "
              "AND subject = '%s' AND outcome = %d AND method = 'monitoring.GetProject'", person,
              SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "the denial is audited");
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.audit WHERE member_id = 'ass6-sil' "
              "AND subject = '%s' AND outcome = 0 AND method = 'monitoring.SetProject'", person);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3, "each version is audited");
    //  an event per version, with the project
    PGconn *db = ts_db_connect (reg->dbname);
    snprintf (sql, sizeof sql, "SELECT body FROM monitoring.outbox WHERE type = 'monitoring.project.set' "
              "AND subject = '%s' ORDER BY id", id);
    PGresult *res = PQexecParams (db, sql, 0, NULL, NULL, NULL, NULL, 1);
    cr_assert_eq (PQntuples (res), 3);
    Snodo__Monitoring__Project *event = snodo__monitoring__project__unpack (
        NULL, (size_t) PQgetlength (res, 1, 0), (const uint8_t *) PQgetvalue (res, 1, 0));
    cr_assert_not_null (event);
    cr_assert_eq (event->version, 2);
    cr_assert_eq (event->accompaniment->decision, SNODO__MONITORING__DECISION__DECISION_GRANTED);
    snodo__monitoring__project__free_unpacked (event, NULL);
    PQclear (res);
    PQfinish (db);
    free (id);
    free (person);
    s_member_destroy (&other);
    s_member_destroy (&sil);
}

//  Writes text into dir/name; returns the path (static).
static const char *
s_write (const char *dir, const char *name, const char *text)
{
    static char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "w");
    cr_assert_not_null (file);
    fputs (text, file);
    fclose (file);
    return path;
}

static void
s_remove_dir (const char *dir)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}

Test (monitoring, snodoctl_sets_and_shows_the_project)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 31);
    char *id = s_refer (&sil, person, "2025-01-10");
    s_to_matching (&sil, id, "2025-01-20");
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    char json [1024];
    snprintf (json, sizeof json, "{\"pathwayId\": \"%s\", \"date\": \"2025-01-27\", "
              "\"objectives\": [\"autonomia\"], \"tasks\": [\"riordino\", \"inventario\"], "
              "\"accompaniment\": {\"requestedBy\": \"la persona\", \"requestedOn\": \"2025-01-27\", "
              "\"weeks\": 4, \"decision\": \"REQUESTED\"}}", id);
    const char *path = s_write (dir, "project.json", json);
    cr_assert_eq (ts_snodoctl (dir, "project set %s", path), 0);
    cr_assert_eq (ts_snodoctl (dir, "--json project get %s", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "\"inventario\"") && strstr (out, "DECISION_REQUESTED") && strstr (out, "\"version\": 1"),
               "%s", out);
    free (out);
    //  a bad one: the service's reason, exit 1
    snprintf (json, sizeof json, "{\"pathwayId\": \"%s\", \"date\": \"2025-01-02\", \"objectives\": [\"autonomia\"]}", id);
    path = s_write (dir, "project.json", json);
    cr_assert_eq (ts_snodoctl (dir, "project set %s", path), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "project.date: 2025-01-02 is before the referral on 2025-01-10"), "%s", err);
    free (err);
    s_remove_dir (dir);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

//  PresentProject on post with employer as the host, dated date.
static void
s_present (member_t *m, const char *id, const char *post, const char *employer, const char *date)
{
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.date = (char *) date;
    req.post_id = (char *) post;
    req.employer_id = (char *) employer;
    sn_result_t result;
    cr_assert_eq (s_step (m, "monitoring.PresentProject", &req, NULL, &result), OK, "%s", result.message);
}

//  AddTeamMember; returns the code, the member recorded in member_out (may be NULL).
static int
s_team_add (member_t *m, const char *id, const char *member, int role, const char *name, const char *phone,
            const char *email, char *member_out, sn_result_t *result)
{
    Snodo__Monitoring__TeamRequest req = SNODO__MONITORING__TEAM_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.member_id = (char *) member;
    req.role = (Snodo__Monitoring__TeamRole) role;
    req.name = (char *) name;
    req.phone = (char *) phone;
    req.email = (char *) email;
    Snodo__Monitoring__TeamMember *out = NULL;
    int code = s_call (m->mon, "monitoring.AddTeamMember", &req.base, &snodo__monitoring__team_member__descriptor,
                       (ProtobufCMessage **) &out, result);
    if (out && member_out)
        snprintf (member_out, 64, "%s", out->member_id);
    if (out)
        protobuf_c_message_free_unpacked (&out->base, NULL);
    return code;
}

#define ROLE(x) SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_##x

//  SetAgreement on pathway id with host as its host: the pathway it answers.
static Snodo__Monitoring__Pathway *
s_agreement_host (member_t *m, const char *id, const char *host)
{
    Snodo__Monitoring__Pathway *p = NULL;
    sn_result_t result;
    cr_assert_eq (s_agreement_call (m, id, host, "2025-02-03", "", "", 20, &p, &result), OK, "%s", result.message);
    return p;
}

Test (monitoring, the_hosts_tutor_is_in_the_team_with_contacts_and_gives_the_host_no_access)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    //  a host company that is a member of the network (its member id its
    //  company's), and one that is not
    char post [37], company [37], post2 [37], company2 [37];
    s_company_post ("23456780503", 40, 2, post, company);
    s_company_post ("34567890511", 30, 1, post2, company2);
    member_t host = s_member (company, TS_KIND (AZIENDA));
    member_t coop = s_member ("coop-il-ponte", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 32);
    char *id = s_refer (&sil, person, "2025-01-10");
    sn_result_t result;
    char member [64] = "";
    //  no host yet: no tutor
    cr_assert_eq (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Mario Rossi", "0434 123456", "", NULL, &result),
                  SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "has no host yet"), "%s", result.message);
    s_to_matching (&sil, id, "2025-01-20");
    s_present (&sil, id, post, company, "2025-01-27");
    //  under the host's id, given or not
    cr_assert_eq (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Mario Rossi", "+39 0434 123456",
                              "mario.rossi@azienda-rossi.it", member, &result), OK, "%s", result.message);
    cr_assert_str_eq (member, company);
    cr_assert_eq (s_team_add (&sil, id, company, ROLE (HOST_TUTOR), "Giulia Verdi", "", "giulia@rossi.it",
                              member, &result), OK, "%s", result.message);
    //  a guide worker of the cooperative as today, with a phone too
    cr_assert_eq (s_team_add (&sil, id, "coop-il-ponte", ROLE (GUIDE_WORKER), "Luca Bortolin", "0434-55 66 77", "",
                              NULL, &result), OK, "%s", result.message);

    //  the team shows them with their contacts
    Snodo__Monitoring__ListTeamRequest list = SNODO__MONITORING__LIST_TEAM_REQUEST__INIT;
    list.pathway_id = id;
    Snodo__Monitoring__ListTeamReply *team = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ListTeam", &list.base, &snodo__monitoring__list_team_reply__descriptor,
                          (ProtobufCMessage **) &team, &result), OK, "%s", result.message);
    cr_assert_eq (team->n_team, 3);
    int tutors = 0;
    for (size_t i = 0; i < team->n_team; i++)
        if (team->team [i]->role == ROLE (HOST_TUTOR) && streq (team->team [i]->name, "Mario Rossi")) {
            cr_assert_str_eq (team->team [i]->member_id, company);
            cr_assert_str_eq (team->team [i]->phone, "+39 0434 123456");
            cr_assert_str_eq (team->team [i]->email, "mario.rossi@azienda-rossi.it");
            tutors++;
        }
        else
        if (team->team [i]->role == ROLE (GUIDE_WORKER))
            cr_assert_str_eq (team->team [i]->phone, "0434-55 66 77");
    cr_assert_eq (tutors, 1);
    protobuf_c_message_free_unpacked (&team->base, NULL);

    //  the host, a member of the network, sees nothing through its tutors; the guide worker's cooperative does
    Snodo__Monitoring__GetPathwayRequest get = SNODO__MONITORING__GET_PATHWAY_REQUEST__INIT;
    get.id = id;
    cr_assert_eq (s_call (host.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_call (host.mon, "monitoring.ListTeam", &list.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_call (coop.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result), OK, "%s", result.message);
    s_sees_t sees = {&coop, person, OK};
    cr_assert (ts_wait (s_registry_says, &sees, 10000), "the guide worker's cooperative never got to see the person");
    //  the forwarder passed the tutors' events by: the registry has the cooperative only
    cr_assert_eq (s_registry_get (&host, person), SNODO__CODE__PERMISSION_DENIED);
    char sql [300];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.team WHERE person_id = '%s'", person);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.team.host_tutor_added'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 2);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.team.member_added'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);

    //  wrong ones, each named
    s_expect_violation (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Anna Neri", "abc", "", NULL, &result), &result,
                        "phone", "is not a phone number");
    s_expect_violation (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Anna Neri", "", "anna@", NULL, &result), &result,
                        "email", "is not an e-mail address");
    s_expect_violation (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Anna Neri", "", "", NULL, &result), &result,
                        "phone", "needs a phone or an e-mail address");
    s_expect_violation (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "", "0434 123456", "", NULL, &result), &result,
                        "name", "is required");
    s_expect_violation (s_team_add (&sil, id, "coop-il-ponte", ROLE (HOST_TUTOR), "Anna Neri", "0434 123456", "", NULL,
                                    &result), &result, "member_id", "under the pathway's host");
    //  the same person of the host, as a member with access: refused, not turned into one
    cr_assert_eq (s_team_add (&sil, id, company, ROLE (PLACEMENT_MANAGER), "Mario Rossi", "", "", NULL, &result),
                  SNODO__CODE__ALREADY_EXISTS, "%s", result.message);
    cr_assert_eq (s_call (host.mon, "monitoring.GetPathway", &get.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.team_member WHERE pathway_id = '%s' "
              "AND removed_at IS NULL", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3, "a refused team row was kept");

    //  a host that is not a member of the network has its tutor all the same
    char *person2 = s_person (&sil, 33);
    char *id2 = s_refer (&sil, person2, "2025-01-10");
    s_to_matching (&sil, id2, "2025-01-20");
    s_present (&sil, id2, post2, company2, "2025-01-27");
    cr_assert_eq (s_team_add (&sil, id2, "", ROLE (HOST_TUTOR), "Paolo Bortolin", "0434 777888", "", member, &result),
                  OK, "%s", result.message);
    cr_assert_str_eq (member, company2);
    //  while as a guide worker's member it is unknown, as today
    s_expect_violation (s_team_add (&sil, id2, company2, ROLE (GUIDE_WORKER), "Paolo Bortolin", "", "",
                                    NULL, &result), &result, "member_id", "unknown member");

    //  removing a tutor is not told to the registry either
    Snodo__Monitoring__TeamRequest remove = SNODO__MONITORING__TEAM_REQUEST__INIT;
    remove.pathway_id = id;
    remove.member_id = company;
    remove.name = "Mario Rossi";
    cr_assert_eq (s_call (sil.mon, "monitoring.RemoveTeamMember", &remove.base, NULL, NULL, &result), OK, "%s",
                  result.message);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type IN ('monitoring.team.member_removed', 'monitoring.team.staff_removed')", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 0);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.team.host_tutor_removed'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);

    //  snodoctl: team add as it works now, with the contacts; team list shows them
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    cr_assert_eq (ts_snodoctl (dir, "team add %s %s HOST_TUTOR \"Anna Bianchi\" --phone \"0434 999888\" "
                                   "--email anna.bianchi@azienda-rossi.it", id, company), 0);
    cr_assert_eq (ts_snodoctl (dir, "team list %s", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "HOST_TUTOR") && strstr (out, "Anna Bianchi") && strstr (out, "0434 999888")
               && strstr (out, "anna.bianchi@azienda-rossi.it"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "team add %s %s HOST_TUTOR \"Anna Bianchi\" --email nope", id, company), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "email: \"nope\" is not an e-mail address"), "%s", err);
    free (err);
    s_remove_dir (dir);

    //  the agreement names the same host: the tutors stay; another: they leave
    //  the team with their events, and the guide worker stays
    Snodo__Monitoring__Pathway *same = s_agreement_host (&sil, id, company);
    cr_assert_eq (same->n_team, 3);
    protobuf_c_message_free_unpacked (&same->base, NULL);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    Snodo__Monitoring__Pathway *moved = s_agreement_host (&sil, id, company2);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3, "Giulia Verdi and Anna Bianchi");
    cr_assert_eq (moved->n_team, 1, "the reply's team");
    cr_assert_eq (moved->team [0]->role, ROLE (GUIDE_WORKER));
    protobuf_c_message_free_unpacked (&moved->base, NULL);
    snprintf (sql, sizeof sql, "SELECT string_agg (name, ',' ORDER BY name) FROM monitoring.team_member "
              "WHERE pathway_id = '%s' AND removed_at IS NULL", id);
    char *left = ts_value (reg->dbname, "%s", sql);
    cr_assert_str_eq (left, "Luca Bortolin");
    free (left);
    //  the new host's tutor comes under the new host
    cr_assert_eq (s_team_add (&sil, id, "", ROLE (HOST_TUTOR), "Paola Zanin", "0434 111222", "", member, &result),
                  OK, "%s", result.message);
    cr_assert_str_eq (member, company2);
    free (id2);
    free (person2);
    free (id);
    free (person);
    s_member_destroy (&coop);
    s_member_destroy (&host);
    s_member_destroy (&sil);
}

#define PAYER(x) SNODO__MONITORING__PAYER__PAYER_##x
#define DECISION(x) SNODO__MONITORING__DECISION__DECISION_##x

static int
s_accessory (member_t *m, const char *id, int kind, const char *provider, double cost, int unit, int payer,
             const char *since, sn_result_t *result)
{
    Snodo__Monitoring__AccessoryService s = SNODO__MONITORING__ACCESSORY_SERVICE__INIT;
    s.pathway_id = (char *) id;
    s.kind = (Snodo__Monitoring__AccessoryKind) kind;
    s.provider = (char *) provider;
    s.cost = cost;
    s.cost_unit = (Snodo__Monitoring__CostUnit) unit;
    s.paid_by = (Snodo__Monitoring__Payer) payer;
    s.since = (char *) since;
    Snodo__Monitoring__SetAccessoryServiceRequest req = SNODO__MONITORING__SET_ACCESSORY_SERVICE_REQUEST__INIT;
    req.service = &s;
    return s_call (m->mon, "monitoring.SetAccessoryService", &req.base, NULL, NULL, result);
}

static int
s_funding (member_t *m, const char *id, double amount, const char *requested_on, int decision, const char *by,
           const char *on, sn_result_t *result)
{
    Snodo__Monitoring__TransportFunding f = SNODO__MONITORING__TRANSPORT_FUNDING__INIT;
    f.pathway_id = (char *) id;
    f.amount = amount;
    f.requested_on = (char *) requested_on;
    f.decision = (Snodo__Monitoring__Decision) decision;
    f.decided_by = (char *) by;
    f.decided_on = (char *) on;
    Snodo__Monitoring__SetTransportFundingRequest req = SNODO__MONITORING__SET_TRANSPORT_FUNDING_REQUEST__INIT;
    req.funding = &f;
    return s_call (m->mon, "monitoring.SetTransportFunding", &req.base, NULL, NULL, result);
}

static Snodo__Monitoring__ListAccessoryServicesReply *
s_accessories (member_t *m, const char *id)
{
    Snodo__Monitoring__ListAccessoryServicesRequest req = SNODO__MONITORING__LIST_ACCESSORY_SERVICES_REQUEST__INIT;
    req.pathway_id = (char *) id;
    Snodo__Monitoring__ListAccessoryServicesReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (m->mon, "monitoring.ListAccessoryServices", &req.base,
                          &snodo__monitoring__list_accessory_services_reply__descriptor, (ProtobufCMessage **) &reply,
                          &result), OK, "%s", result.message);
    return reply;
}

#define TRANSPORT SNODO__MONITORING__ACCESSORY_KIND__ACCESSORY_KIND_TRANSPORT
#define LUNCH SNODO__MONITORING__ACCESSORY_KIND__ACCESSORY_KIND_LUNCH
#define PER_MONTH SNODO__MONITORING__COST_UNIT__COST_UNIT_PER_MONTH
#define PER_DAY SNODO__MONITORING__COST_UNIT__COST_UNIT_PER_DAY

Test (monitoring, transport_lunch_and_transport_funding_with_who_pays_and_the_decision)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t other = s_member ("coop-arcobaleno", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 34);        //  60 %
    char *id = s_refer (&sil, person, "2025-01-10");
    sn_result_t result;
    //  not before the project
    cr_assert_eq (s_accessory (&sil, id, TRANSPORT, "ATAP", 35.5, PER_MONTH, PAYER (PROVINCE), "2025-02-01", &result),
                  SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is REFERRED"), "%s", result.message);
    s_to_matching (&sil, id, "2025-01-20");
    s_present (&sil, id, s_post_id (), s_company_id (), "2025-01-27");
    cr_assert_eq (s_accessory (&sil, id, TRANSPORT, "ATAP", 35.5, PER_MONTH, PAYER (PROVINCE), "2025-02-01", &result),
                  OK, "%s", result.message);
    //  a free lunch needs no payer; then it costs, paid by the host
    cr_assert_eq (s_accessory (&sil, id, LUNCH, "mensa aziendale", 0, 0, 0, "2025-02-01", &result), OK, "%s",
                  result.message);
    cr_assert_eq (s_accessory (&sil, id, LUNCH, "mensa aziendale", 4.5, PER_DAY, PAYER (HOST), "2025-02-10", &result),
                  OK, "%s", result.message);
    cr_assert_eq (s_funding (&sil, id, 600, "2025-02-01", DECISION (REQUESTED), "", "", &result), OK, "%s",
                  result.message);
    cr_assert_eq (s_funding (&sil, id, 600, "2025-02-01", DECISION (GRANTED), "Provincia, Ufficio Servizio lavoro",
                             "2025-02-15", &result), OK, "%s", result.message);
    Snodo__Monitoring__ListAccessoryServicesReply *list = s_accessories (&sil, id);
    cr_assert_eq (list->n_services, 2);
    cr_assert_eq (list->services [0]->kind, TRANSPORT);
    cr_assert_str_eq (list->services [0]->provider, "ATAP");
    cr_assert_float_eq (list->services [0]->cost, 35.5, 1e-9);
    cr_assert_eq (list->services [0]->cost_unit, PER_MONTH);
    cr_assert_eq (list->services [0]->paid_by, PAYER (PROVINCE));
    cr_assert_str_eq (list->services [0]->recorded_by, "ass6-sil");
    cr_assert_eq (list->services [1]->kind, LUNCH);
    cr_assert_float_eq (list->services [1]->cost, 4.5, 1e-9, "the last lunch replaces the first");
    cr_assert_eq (list->services [1]->paid_by, PAYER (HOST));
    cr_assert_str_eq (list->services [1]->since, "2025-02-10");
    cr_assert_not_null (list->funding);
    cr_assert_float_eq (list->funding->amount, 600, 1e-9);
    cr_assert_eq (list->funding->decision, DECISION (GRANTED));
    cr_assert_str_eq (list->funding->decided_on, "2025-02-15");
    cr_assert_not (list->scuola_pass);
    protobuf_c_message_free_unpacked (&list->base, NULL);

    //  wrong ones, each named, none kept
    long outbox = ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", -1, PER_MONTH, PAYER (PROVINCE), "", &result),
                        &result, "service.cost", "out of range");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 10000.01, PER_MONTH, PAYER (PROVINCE), "", &result),
                        &result, "service.cost", "out of range");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12.345, PER_MONTH, PAYER (PROVINCE), "", &result),
                        &result, "service.cost", "not to the cent");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12, PER_MONTH, 42, "", &result), &result,
                        "service.paid_by", "42 is not a value");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12, PER_MONTH, 0, "", &result), &result,
                        "service.paid_by", "is required");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12, 0, PAYER (PERSON), "", &result), &result,
                        "service.cost_unit", "is required");
    s_expect_violation (s_accessory (&sil, id, 0, "ATAP", 12, PER_MONTH, PAYER (PERSON), "", &result), &result,
                        "service.kind", "is required");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "", 12, PER_MONTH, PAYER (PERSON), "", &result), &result,
                        "service.provider", "is required");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12, PER_MONTH, PAYER (PERSON), "2199-01-01", &result),
                        &result, "service.since", "is in the future");
    s_expect_violation (s_accessory (&sil, id, TRANSPORT, "ATAP", 12, PER_MONTH, PAYER (PERSON), "2025-01-09", &result),
                        &result, "service.since", "is before the referral on 2025-01-10");
    s_expect_violation (s_funding (&sil, id, 0, "2025-02-01", DECISION (REQUESTED), "", "", &result), &result,
                        "funding.amount", "above 0");
    s_expect_violation (s_funding (&sil, id, 50000.01, "2025-02-01", DECISION (REQUESTED), "", "", &result), &result,
                        "funding.amount", "out of range");
    s_expect_violation (s_funding (&sil, id, 600, "", DECISION (REQUESTED), "", "", &result), &result,
                        "funding.requested_on", "is required");
    s_expect_violation (s_funding (&sil, id, 600, "2025-01-02", DECISION (REQUESTED), "", "", &result), &result,
                        "funding.requested_on", "is before the referral on 2025-01-10");
    s_expect_violation (s_funding (&sil, id, 600, "2025-02-01", DECISION (REFUSED), "Provincia", "2025-01-31", &result),
                        &result, "funding.decided_on", "is before the request on 2025-02-01");
    s_expect_violation (s_funding (&sil, id, 600, "2025-02-01", DECISION (REFUSED), "", "2025-02-03", &result),
                        &result, "funding.decided_by", "is required");
    s_expect_violation (s_funding (&sil, id, 600, "2025-02-01", 7, "", "", &result), &result, "funding.decision",
                        "7 is not a value");
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.accessory_service WHERE pathway_id = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.transport_funding WHERE pathway_id = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 2);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM monitoring.outbox WHERE type NOT LIKE 'journal.%'"),
                  outbox, "an event for a refusal");
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' AND type IN "
              "('monitoring.accessory.set', 'monitoring.transport_funding.set')", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 5);
    //  a refusal on the referral's day itself is recorded
    cr_assert_eq (s_funding (&sil, id, 600, "2025-02-01", DECISION (REFUSED), "Provincia", "2025-02-01", &result), OK,
                  "%s", result.message);

    //  the scuola-pass as today: at 60 % in the agreement, shown here; at 80 % refused
    int code;
    s_set_agreement (&sil, id, "2025-03-03", NULL, true, &code);
    cr_assert_eq (code, OK);
    list = s_accessories (&sil, id);
    cr_assert (list->scuola_pass);
    cr_assert_eq (list->funding->decision, DECISION (REFUSED));
    protobuf_c_message_free_unpacked (&list->base, NULL);
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "UPDATE monitoring.person SET invalidity_percent = 80"));
    PQfinish (db);
    s_set_agreement (&sil, id, "2025-03-03", NULL, true, &code);
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT);

    //  who may read them: as for visits
    Snodo__Monitoring__ListAccessoryServicesRequest req = SNODO__MONITORING__LIST_ACCESSORY_SERVICES_REQUEST__INIT;
    req.pathway_id = id;
    cr_assert_eq (s_call (other.mon, "monitoring.ListAccessoryServices", &req.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_funding (&other, id, 600, "2025-02-01", DECISION (REQUESTED), "", "", &result),
                  SNODO__CODE__PERMISSION_DENIED);

    //  snodoctl
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    //  in the operator's words (the field paths, --service.paid-by and the rest, work too)
    cr_assert_eq (ts_snodoctl (dir, "accessory set %s TRANSPORT \"Autoservizi Bortolin\" 40 --cost-unit PER_MONTH "
                                   "--paid-by MUNICIPALITY --since 2025-02-20", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "accessory funding %s 300.50 2025-02-20", id), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "funding.decision: is required"), "%s", err);
    free (err);
    cr_assert_eq (ts_snodoctl (dir, "accessory funding %s 300.50 2025-02-20 REQUESTED", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "accessory funding %s 300.50 2025-02-20 GRANTED --decided-by Provincia "
                                   "--funding.decided-on 2025-02-25", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "--json accessory list %s", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "Autoservizi Bortolin") && strstr (out, "PAYER_MUNICIPALITY") && strstr (out, "300.5")
               && strstr (out, "\"scuolaPass\": true") && strstr (out, "DECISION_GRANTED"), "%s", out);
    free (out);
    //  a payer snodoctl does not know never reaches the service
    cr_assert_eq (ts_snodoctl (dir, "accessory set %s LUNCH mensa 3 --cost-unit PER_DAY --paid-by NOBODY", id), 2);
    err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "NOBODY"), "%s", err);
    free (err);
    s_remove_dir (dir);
    free (id);
    free (person);
    s_member_destroy (&other);
    s_member_destroy (&sil);
}

#define WEEK(x) SNODO__MONITORING__WEEK_STATUS__WEEK_STATUS_##x
#define KIND_OF(x) SNODO__MONITORING__INTERVENTION_KIND__INTERVENTION_KIND_##x

static Snodo__Monitoring__AttendanceWeeksReply *
s_weeks (member_t *m, const char *id, const char *from, const char *to, double tolerance, bool off_only,
         int *code, sn_result_t *result)
{
    Snodo__Monitoring__AttendanceWeeksRequest req = SNODO__MONITORING__ATTENDANCE_WEEKS_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.from = (char *) from;
    req.to = (char *) to;
    req.tolerance_hours = tolerance;
    req.off_only = off_only;
    Snodo__Monitoring__AttendanceWeeksReply *reply = NULL;
    *code = s_call (m->mon, "monitoring.AttendanceWeeks", &req.base,
                    &snodo__monitoring__attendance_weeks_reply__descriptor, (ProtobufCMessage **) &reply, result);
    return reply;
}

//  Amends the agreement of s_to_active's pathway (2025-12-22 to 2026-01-18)
//  on date to weekly hours.
static void
s_attendance_amend (member_t *m, const char *id, const char *date, uint32_t hours)
{
    sn_result_t result;
    cr_assert_eq (s_agreement_call (m, id, "company-1", "2025-12-22", "2026-01-18", date, hours, NULL, &result), OK,
                  "%s", result.message);
}

//  The agreed hours of 2026-W02 (the Epiphany a holiday) and of Monday and
//  Tuesday 2026-01-12/13 in W03, and the weekly hours in force in W03.
static void
s_expect_agreed (member_t *m, const char *id, double w03, double w02, uint32_t weekly)
{
    int code;
    sn_result_t result;
    Snodo__Monitoring__AttendanceWeeksReply *weeks = s_weeks (m, id, "2026-01-05", "2026-01-13", 0, false,
                                                              &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 2);
    cr_assert_float_eq (weeks->weeks [0]->agreed_hours, w02, 1e-9, "W02: %g", weeks->weeks [0]->agreed_hours);
    cr_assert_eq (weeks->weeks [0]->weekly_hours, 20, "the weeks before the amendment as they were");
    cr_assert_float_eq (weeks->weeks [1]->agreed_hours, w03, 1e-9, "W03: %g", weeks->weeks [1]->agreed_hours);
    cr_assert_eq (weeks->weeks [1]->weekly_hours, weekly);
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
}

Test (monitoring, attendance_weeks_under_and_over_the_agreed_hours)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 35);
    char *id = s_refer (&sil, person, "2025-12-01");
    sn_result_t result;
    int code;
    //  not started: nothing to weigh
    cr_assert_null (s_weeks (&sil, id, "", "", 0, false, &code, &result));
    cr_assert_eq (code, SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "has not started"), "%s", result.message);
    //  20 hours a week, Mon 2025-12-22 to Sun 2026-01-18: four ISO weeks
    s_to_active (&sil, id, "2025-12-22", "2026-01-18");
    static const struct { const char *day; int presence; double hours; } days [] = {
        //  2025-W52: Christmas and St Stephen are holidays: 3 x 4 = 12, as agreed
        {"2025-12-22", 1, 4}, {"2025-12-23", 1, 4}, {"2025-12-24", 1, 4},
        //  2026-W01: New Year's day a holiday, the Friday absent, 12 hours of 16: under by 4
        {"2025-12-29", 1, 4}, {"2025-12-30", 1, 4}, {"2025-12-31", 1, 4}, {"2026-01-02", 2, 0},
        //  2026-W02: the Epiphany a holiday, 4 x 5 = 20 of 16: over by 4
        {"2026-01-05", 1, 5}, {"2026-01-07", 1, 5}, {"2026-01-08", 1, 5}, {"2026-01-09", 1, 5},
        //  2026-W03: 19.5: under by half an hour
        {"2026-01-12", 1, 4}, {"2026-01-13", 1, 4}, {"2026-01-14", 1, 3.5}, {"2026-01-15", 1, 4}, {"2026-01-16", 1, 4},
    };
    enum { DAYS = sizeof days / sizeof days [0] };
    Snodo__Monitoring__AttendanceRecord records [DAYS], *pointers [DAYS];
    for (size_t i = 0; i < DAYS; i++) {
        snodo__monitoring__attendance_record__init (&records [i]);
        records [i].pathway_id = id;
        records [i].day = (char *) days [i].day;
        records [i].presence = (Snodo__Monitoring__Presence) days [i].presence;
        records [i].hours = days [i].hours;
        pointers [i] = &records [i];
    }
    Snodo__Monitoring__RecordAttendanceBatchRequest batch = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
    batch.records = pointers;
    batch.n_records = DAYS;
    cr_assert_eq (s_call (sil.mon, "monitoring.RecordAttendanceBatch", &batch.base, NULL, NULL, &result), OK, "%s",
                  result.message);

    Snodo__Monitoring__AttendanceWeeksReply *weeks = s_weeks (&sil, id, "", "", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->weekly_hours, 20);
    cr_assert_eq (weeks->n_weeks, 4, "until the agreement's end");
    static const struct { const char *week, *monday; double hours, agreed, difference; int status, holidays; }
    expected [] = {
        {"2025-W52", "2025-12-22", 12, 12, 0, WEEK (OK), 2}, {"2026-W01", "2025-12-29", 12, 16, -4, WEEK (UNDER), 1},
        {"2026-W02", "2026-01-05", 20, 16, 4, WEEK (OVER), 1}, {"2026-W03", "2026-01-12", 19.5, 20, -0.5, WEEK (UNDER), 0}};
    for (size_t i = 0; i < 4; i++) {
        const Snodo__Monitoring__AttendanceWeek *w = weeks->weeks [i];
        cr_assert_str_eq (w->week, expected [i].week);
        cr_assert_str_eq (w->monday, expected [i].monday);
        cr_assert_float_eq (w->hours, expected [i].hours, 1e-9, "%s", w->week);
        cr_assert_float_eq (w->agreed_hours, expected [i].agreed, 1e-9, "%s: %g", w->week, w->agreed_hours);
        cr_assert_float_eq (w->difference, expected [i].difference, 1e-9, "%s", w->week);
        cr_assert_eq (w->status, expected [i].status, "%s: %d", w->week, w->status);
        cr_assert_eq (w->holidays, expected [i].holidays, "%s: %u holidays", w->week, w->holidays);
        cr_assert_eq (w->weekly_hours, 20);
    }
    cr_assert_eq (weeks->weeks [1]->present_days, 3);
    cr_assert_eq (weeks->weeks [1]->absences, 1);
    cr_assert_eq (weeks->under, 2);
    cr_assert_eq (weeks->over, 1);
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  only the weeks off, with a tolerance of an hour: the half hour is OK
    weeks = s_weeks (&sil, id, "", "", 1, true, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 2);
    cr_assert_str_eq (weeks->weeks [0]->week, "2026-W01");
    cr_assert_str_eq (weeks->weeks [1]->week, "2026-W02");
    cr_assert_eq (weeks->under, 1);
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  a range from a Wednesday: three working days agreed, 12 hours, 15 attended
    weeks = s_weeks (&sil, id, "2026-01-07", "2026-01-09", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 1);
    cr_assert_float_eq (weeks->weeks [0]->agreed_hours, 12, 1e-9);
    cr_assert_float_eq (weeks->weeks [0]->hours, 15, 1e-9);
    cr_assert_eq (weeks->weeks [0]->status, WEEK (OVER));
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  a range of a weekend: nothing agreed, nothing attended
    weeks = s_weeks (&sil, id, "2026-01-17", "2026-01-18", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 1);
    cr_assert_float_eq (weeks->weeks [0]->agreed_hours, 0, 1e-9, "a weekend has no agreed hours");
    cr_assert_eq (weeks->weeks [0]->status, WEEK (OK));
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  bad ranges, each named
    cr_assert_null (s_weeks (&sil, id, "", "", -1, false, &code, &result));
    s_expect_violation (code, &result, "tolerance_hours", "out of range 0-48");
    cr_assert_null (s_weeks (&sil, id, "2026-01-09", "2026-01-07", 0, false, &code, &result));
    s_expect_violation (code, &result, "to", "is before from (2026-01-09)");
    cr_assert_null (s_weeks (&sil, id, "2026-13-01", "", 0, false, &code, &result));
    s_expect_violation (code, &result, "from", "is not a date");

    //  snodoctl shows the weeks under or over
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    cr_assert_eq (ts_snodoctl (dir, "attendance weeks %s --off-only", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "2026-W01") && strstr (out, "UNDER") && strstr (out, "2026-W02") && strstr (out, "OVER")
               && !strstr (out, "2025-W52"), "%s", out);
    free (out);
    s_remove_dir (dir);
    //  a week with no day recorded at all is under by the whole week, not left out
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [256];
    snprintf (sql, sizeof sql, "DELETE FROM monitoring.attendance WHERE pathway_id = '%s' AND day >= '2026-01-12'", id);
    free (ts_sql (db, sql));
    PQfinish (db);
    weeks = s_weeks (&sil, id, "", "", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 4);
    cr_assert_str_eq (weeks->weeks [3]->week, "2026-W03");
    cr_assert_float_eq (weeks->weeks [3]->hours, 0, 1e-9);
    cr_assert_float_eq (weeks->weeks [3]->difference, -20, 1e-9);
    cr_assert_eq (weeks->weeks [3]->status, WEEK (UNDER));
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  suspended from Wednesday 2026-01-14 to Monday 2026-01-19: Monday and Tuesday agreed, the rest not
    Snodo__Monitoring__TransitionRequest step = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    step.pathway_id = id;
    step.date = "2026-01-14";
    step.reason = "ricovero";
    cr_assert_eq (s_step (&sil, "monitoring.Suspend", &step, NULL, &result), OK, "%s", result.message);
    step.date = "2026-01-19";
    cr_assert_eq (s_step (&sil, "monitoring.Resume", &step, NULL, &result), OK, "%s", result.message);
    weeks = s_weeks (&sil, id, "", "", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 4);
    cr_assert_eq (weeks->weeks [3]->suspended_days, 5);
    cr_assert_float_eq (weeks->weeks [3]->agreed_hours, 8, 1e-9, "two working days of five");
    cr_assert_float_eq (weeks->weeks [3]->difference, -8, 1e-9);
    cr_assert_eq (weeks->weeks [3]->status, WEEK (UNDER));
    cr_assert_eq (weeks->weeks [2]->suspended_days, 0);
    cr_assert_float_eq (weeks->weeks [2]->agreed_hours, 16, 1e-9, "the Epiphany a holiday");
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    //  suspended the whole week: nothing agreed, nothing missing
    weeks = s_weeks (&sil, id, "2026-01-15", "2026-01-18", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 1);
    cr_assert_float_eq (weeks->weeks [0]->agreed_hours, 0, 1e-9);
    cr_assert_eq (weeks->weeks [0]->status, WEEK (OK));
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

Test (monitoring, attendance_weeks_weigh_each_day_by_the_agreement_in_force_and_skip_the_holidays)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char *person = s_person (&sil, 35);
    char *id = s_refer (&sil, person, "2025-12-01");
    s_to_active (&sil, id, "2025-12-22", "2026-01-18");
    s_expect_agreed (&sil, id, 8, 16, 20);
    //  amended to 30 hours from Monday 2026-01-12: not in force until signed,
    //  then from its day on, the weeks before it weighed as they were
    s_attendance_amend (&sil, id, "2026-01-12", 30);
    s_expect_agreed (&sil, id, 8, 16, 20);
    Snodo__Monitoring__TransitionRequest sign = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    sign.pathway_id = id;
    sign.date = "2026-01-13";
    sn_result_t result;
    cr_assert_eq (s_step (&sil, "monitoring.SignAgreement", &sign, NULL, &result), OK, "%s", result.message);
    s_expect_agreed (&sil, id, 12, 16, 30);
    //  Easter Monday moves: 2026-04-06
    char *spring_person = s_person (&sil, 41);
    char *spring = s_refer (&sil, spring_person, "2026-03-02");
    s_to_active (&sil, spring, "2026-03-30", "2026-04-12");
    int code;
    Snodo__Monitoring__AttendanceWeeksReply *weeks = s_weeks (&sil, spring, "", "", 0, false, &code, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    cr_assert_eq (weeks->n_weeks, 2);
    cr_assert_eq (weeks->weeks [0]->holidays, 0, "2026-W14");
    cr_assert_float_eq (weeks->weeks [0]->agreed_hours, 20, 1e-9);
    cr_assert_str_eq (weeks->weeks [1]->monday, "2026-04-06");
    cr_assert_eq (weeks->weeks [1]->holidays, 1, "Easter Monday");
    cr_assert_float_eq (weeks->weeks [1]->agreed_hours, 16, 1e-9);
    protobuf_c_message_free_unpacked (&weeks->base, NULL);
    free (spring);
    free (spring_person);
    free (id);
    free (person);
    s_member_destroy (&sil);
}

static int
s_intervention (member_t *m, const char *id, const char *on, int kind, const char *by, const char *what,
                sn_result_t *result)
{
    Snodo__Monitoring__Intervention iv = SNODO__MONITORING__INTERVENTION__INIT;
    iv.pathway_id = (char *) id;
    iv.done_on = (char *) on;
    iv.kind = (Snodo__Monitoring__InterventionKind) kind;
    iv.by = (char *) by;
    iv.what = (char *) what;
    Snodo__Monitoring__AddInterventionRequest req = SNODO__MONITORING__ADD_INTERVENTION_REQUEST__INIT;
    req.intervention = &iv;
    return s_call (m->mon, "monitoring.AddIntervention", &req.base, NULL, NULL, result);
}

Test (monitoring, mediations_aids_and_adaptations_are_dated_records_of_the_placement)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    member_t other = s_member ("coop-arcobaleno", TS_KIND (COOPERATIVA));
    char *person = s_person (&sil, 36);
    char *id = s_refer (&sil, person, "2025-12-01");
    sn_result_t result;
    cr_assert_eq (s_intervention (&sil, id, "2025-12-10", KIND_OF (MEDIATION), "Luca", "colloquio", &result),
                  SNODO__CODE__FAILED_PRECONDITION, "not before the placement");
    s_to_active (&sil, id, "2025-12-22", NULL);
    cr_assert_eq (s_intervention (&sil, id, "2026-01-13", KIND_OF (ADAPTATION), "capo reparto",
                                  "istruzioni scritte per ogni fase", &result), OK, "%s", result.message);
    cr_assert_eq (s_intervention (&sil, id, "2025-12-22", KIND_OF (MEDIATION), "Luca Bortolin, lavoratore guida",
                                  "colloquio con il capo reparto sui turni", &result), OK, "%s", result.message);
    cr_assert_eq (s_intervention (&sil, id, "2026-01-12", KIND_OF (AID), "azienda", "sgabello ergonomico", &result), OK,
                  "%s", result.message);
    Snodo__Monitoring__ListInterventionsRequest list = SNODO__MONITORING__LIST_INTERVENTIONS_REQUEST__INIT;
    list.pathway_id = id;
    Snodo__Monitoring__ListInterventionsReply *reply = NULL;
    cr_assert_eq (s_call (sil.mon, "monitoring.ListInterventions", &list.base,
                          &snodo__monitoring__list_interventions_reply__descriptor, (ProtobufCMessage **) &reply,
                          &result), OK, "%s", result.message);
    cr_assert_eq (reply->n_interventions, 3);
    cr_assert_str_eq (reply->interventions [0]->done_on, "2025-12-22", "in date order");
    cr_assert_eq (reply->interventions [0]->kind, KIND_OF (MEDIATION));
    cr_assert_str_eq (reply->interventions [0]->by, "Luca Bortolin, lavoratore guida");
    cr_assert_str_eq (reply->interventions [0]->what, "colloquio con il capo reparto sui turni");
    cr_assert_str_eq (reply->interventions [0]->recorded_by, "ass6-sil");
    cr_assert_eq (reply->interventions [1]->kind, KIND_OF (AID));
    cr_assert_eq (reply->interventions [2]->kind, KIND_OF (ADAPTATION));
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    list.kind = KIND_OF (AID);
    cr_assert_eq (s_call (sil.mon, "monitoring.ListInterventions", &list.base,
                          &snodo__monitoring__list_interventions_reply__descriptor, (ProtobufCMessage **) &reply,
                          &result), OK, "%s", result.message);
    cr_assert_eq (reply->n_interventions, 1);
    cr_assert_str_eq (reply->interventions [0]->what, "sgabello ergonomico");
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    //  wrong ones, each named, none kept
    s_expect_violation (s_intervention (&sil, id, "2026-01-12", 9, "azienda", "x", &result), &result,
                        "intervention.kind", "9 is not a value");
    s_expect_violation (s_intervention (&sil, id, "2026-01-12", 0, "azienda", "x", &result), &result,
                        "intervention.kind", "is required");
    s_expect_violation (s_intervention (&sil, id, "2199-01-12", KIND_OF (AID), "azienda", "x", &result), &result,
                        "intervention.done_on", "is in the future");
    s_expect_violation (s_intervention (&sil, id, "2025-12-21", KIND_OF (AID), "azienda", "x", &result), &result,
                        "intervention.done_on", "is before the start (2025-12-22)");
    s_expect_violation (s_intervention (&sil, id, "2026-01-12", KIND_OF (AID), "azienda", "", &result), &result,
                        "intervention.what", "is required");
    s_expect_violation (s_intervention (&sil, id, "2026-01-12", KIND_OF (AID), "", "x", &result), &result,
                        "intervention.by", "is required");
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.intervention WHERE pathway_id = '%s'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.outbox WHERE subject = '%s' "
              "AND type = 'monitoring.intervention.recorded'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 3);
    //  who may: as for visits
    list.kind = 0;
    cr_assert_eq (s_call (other.mon, "monitoring.ListInterventions", &list.base, NULL, NULL, &result),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (s_intervention (&other, id, "2026-01-12", KIND_OF (AID), "azienda", "x", &result),
                  SNODO__CODE__PERMISSION_DENIED);
    //  snodoctl
    char dir [] = "/tmp/snodoctl-mon-XXXXXX";
    ts_snodoctl_dir (dir, reg, "ass6-sil", "ass6-sil", sil.cert, "monitoring", mon_request, mon_cert);
    cr_assert_eq (ts_snodoctl (dir, "interventions add %s 2026-01-14 MEDIATION \"incontro con la famiglia\" "
                                   "--by \"Anna Neri\"", id), 0);
    cr_assert_eq (ts_snodoctl (dir, "interventions list %s", id), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "MEDIATION") && strstr (out, "incontro con la famiglia") && strstr (out, "Anna Neri")
               && strstr (out, "(4)"), "%s", out);
    free (out);
    cr_assert_eq (ts_snodoctl (dir, "interventions add %s 2026-01-14 MEDIATION colloquio", id), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "intervention.by: is required"), "%s", err);
    free (err);
    s_remove_dir (dir);
    free (id);
    free (person);
    s_member_destroy (&other);
    s_member_destroy (&sil);
}

//  --- placing a project on a post (monitoring_posts.c) -------------------------------------

//  PresentProject of pathway id on post of employer; returns the code.
static int
s_place (member_t *m, const char *id, const char *post, const char *employer, sn_result_t *result)
{
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) id;
    req.date = "2025-01-27";
    req.post_id = (char *) post;
    req.employer_id = (char *) employer;
    return s_step (m, "monitoring.PresentProject", &req, NULL, result);
}

Test (monitoring, a_project_is_placed_only_on_a_known_open_post_of_its_employer_with_a_free_place)
{
    member_t sil = s_member ("ass6-sil", TS_KIND (SIL));
    char post [37], company [37];
    s_company_post ("00743110157", 40, 1, post, company);       //  one place
    const char *other_post = s_post_id (), *other_company = s_company_id ();
    char *p1 = s_person (&sil, 38), *p2 = s_person (&sil, 39);
    char *a = s_refer (&sil, p1, "2025-01-10"), *b = s_refer (&sil, p2, "2025-01-10");
    s_to_matching (&sil, a, "2025-01-20");
    s_to_matching (&sil, b, "2025-01-20");
    sn_result_t result;
    //  not ids: both fields named
    cr_assert_eq (s_place (&sil, a, "post-1", "company-1", &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 2, "%s", result.message);
    cr_assert_str_eq (result.fields [0], "post_id");
    cr_assert_str_eq (result.fields [1], "employer_id");
    //  an employer or a post the registry does not have
    const char *nowhere = "0b5e3c1a-0000-4000-8000-00000000beef";
    cr_assert_eq (s_place (&sil, a, post, nowhere, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "employer_id: no company or cooperative"), "%s", result.message);
    cr_assert_eq (s_place (&sil, a, nowhere, company, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "post_id: no job post"), "%s", result.message);
    //  another employer's post
    cr_assert_eq (s_place (&sil, a, other_post, company, &result), SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "post_id");
    cr_assert (strstr (result.descriptions [0], other_company), "%s", result.descriptions [0]);
    cr_assert_eq (s_state (a), ST (MATCHING), "a refused placing moved the pathway");
    //  the post's one place: the first project takes it, the second finds none
    cr_assert_eq (s_place (&sil, a, post, company, &result), OK, "%s", result.message);
    cr_assert_eq (s_state (a), ST (PROJECT));
    cr_assert_eq (s_place (&sil, b, post, company, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "post_id: post") && strstr (result.message, "has no free place: 1 places, "
               "0 filled, 1 held by other projects"), "%s", result.message);
    //  the first project interrupted: the place is free again
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = "rinuncia";
    req.pathway_id = a;
    req.date = "2025-01-27";
    req.outcome = &outcome;
    cr_assert_eq (s_step (&sil, "monitoring.Close", &req, NULL, &result), OK, "%s", result.message);
    cr_assert_eq (s_place (&sil, b, post, company, &result), OK, "%s", result.message);

    //  a post the registry closed is not placed on
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Registry__JobPost *closed = (Snodo__Registry__JobPost *) s_registry_record (
        "registry.GetJobPost", &snodo__registry__job_post__descriptor, other_post);
    closed->status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_CLOSED;
    Snodo__Registry__UpdateJobPostRequest update = SNODO__REGISTRY__UPDATE_JOB_POST_REQUEST__INIT;
    update.post = closed;
    cr_assert_eq (sn_client_call (admin, "registry.UpdateJobPost", "administration", &update.base, NULL, NULL,
                                  &result), OK, "%s", result.message);
    protobuf_c_message_free_unpacked (&closed->base, NULL);
    sn_client_destroy (&admin);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.post WHERE id = '%s' AND status = 2",
              other_post);
    cr_assert (ts_wait (s_sql_holds, NULL, 10000), "the post's closing never reached monitoring");
    char *p3 = s_person (&sil, 40);
    char *c = s_refer (&sil, p3, "2025-01-10");
    s_to_matching (&sil, c, "2025-01-20");
    cr_assert_eq (s_place (&sil, c, other_post, other_company, &result), SNODO__CODE__FAILED_PRECONDITION);
    cr_assert (strstr (result.message, "is CLOSED, not OPEN"), "%s", result.message);
    free (c);
    free (p3);
    free (a);
    free (b);
    free (p1);
    free (p2);
    s_member_destroy (&sil);
}
