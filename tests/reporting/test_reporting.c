/*  The reporting service among real services: a registry and monitoring on
    loopback with CURVE, reporting following both by events into its own
    schema, its dashboard on a real HTTP socket, and headless Chromium
    signed in through a one-time link. */
#include "testsupport.h"
#include "monitoring.h"
#include "rep_web.h"
#include "reporting.h"
#include "sn_directory.h"
#include "sn_json.h"
#include <arpa/inet.h>
#include <criterion/criterion.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define KIND(x) SNODO__MEMBER_KIND__MEMBER_KIND_##x
#define CODE(x) SNODO__CODE__##x

static ts_registry_t *reg;
static zcert_t *mon_cert, *rep_cert, *sil_cert, *coop_cert;
static char *mon_conninfo, *rep_conninfo, *mon_request, *mon_events, *rep_request, *rep_events;
static monitoring_t *mon;
static reporting_t *rep;
static zactor_t *mon_server, *rep_server, *rep_follower;
static sn_auth_t *mon_dir_auth, *rep_dir_auth;
static sn_directory_t *mon_directory, *rep_directory;
static rep_web_t *web;
static sn_client_t *sil_reg, *sil_mon, *sil_rep, *coop_rep, *admin_rep;

static void
s_start_monitoring (void)
{
    mon_cert = ts_service_cert (reg, "monitoring");
    mon_conninfo = ts_service_conninfo (reg, "monitoring");
    mon = monitoring_new (reg->auth);
    sn_service_t service = monitoring_service (mon);
    mon_server = ts_server_start (reg, &service, mon_conninfo, mon_cert, &mon_request, &mon_events);
    mon_dir_auth = sn_auth_new ();
    sn_directory_config_t follow = {
        .registry_request = reg->request, .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert), .cert = mon_cert, .conninfo = mon_conninfo,
        .schema = "monitoring", .migrations = monitoring_migrations, .auth = mon_dir_auth,
        .apply = monitoring_registry_apply, .arg = mon,
    };
    mon_directory = sn_directory_new (&follow);
}

static void
s_start_reporting (void)
{
    rep_cert = ts_service_cert (reg, "reporting");
    rep_conninfo = ts_service_conninfo (reg, "reporting");
    rep = reporting_new (reg->auth, 5, "http://127.0.0.1:0");
    reporting_set_sources (rep, rep_cert, reg->request, zcert_public_txt (reg->cert), NULL, NULL);
    sn_service_t service = reporting_service (rep);
    rep_server = ts_server_start (reg, &service, rep_conninfo, rep_cert, &rep_request, &rep_events);
    reporting_set_sources (rep, rep_cert, reg->request, zcert_public_txt (reg->cert), mon_request,
                           zcert_public_txt (mon_cert));
    rep_dir_auth = sn_auth_new ();
    sn_directory_config_t follow = {
        .registry_request = reg->request, .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert), .cert = rep_cert, .conninfo = rep_conninfo,
        .schema = "reporting", .migrations = reporting_migrations, .auth = rep_dir_auth,
        .apply = reporting_apply,
    };
    rep_directory = sn_directory_new (&follow);
    sn_subscriber_config_t sub = {
        .source = "monitoring", .events_endpoint = mon_events, .request_endpoint = mon_request,
        .server_key = zcert_public_txt (mon_cert), .cert = rep_cert, .conninfo = rep_conninfo,
        .schema = "reporting", .apply = reporting_apply, .migrations = reporting_migrations,
    };
    rep_follower = sn_subscriber_new (&sub);
    sn_http_config_t http = {.address = "127.0.0.1", .port = 0, .timeout_s = 1, .per_address = 8};
    char err [256];
    web = rep_web_new (rep, rep_conninfo, &http, 3600, err, sizeof err);
    cr_assert_not_null (web, "%s", err);
}

static void
setup (void)
{
    reg = ts_registry_start ("rep", 2);
    s_start_monitoring ();
    s_start_reporting ();
    sil_reg = ts_member_client (reg, "ass6-sil", KIND (SIL), NULL, &sil_cert);
    sil_mon = ts_client_as (mon_request, sil_cert, mon_cert);
    sil_rep = ts_client_as (rep_request, sil_cert, rep_cert);
    sn_client_t *coop = ts_member_client (reg, "coop-il-ponte", KIND (COOPERATIVA), NULL, &coop_cert);
    sn_client_destroy (&coop);
    coop_rep = ts_client_as (rep_request, coop_cert, rep_cert);
    admin_rep = ts_client_as (rep_request, reg->admin, rep_cert);
}

static void
teardown (void)
{
    sn_client_destroy (&sil_reg);
    sn_client_destroy (&sil_mon);
    sn_client_destroy (&sil_rep);
    sn_client_destroy (&coop_rep);
    sn_client_destroy (&admin_rep);
    rep_web_destroy (&web);
    zactor_destroy (&rep_follower);
    sn_directory_destroy (&rep_directory);
    sn_directory_destroy (&mon_directory);
    zactor_destroy (&rep_server);
    zactor_destroy (&mon_server);
    reporting_destroy (&rep);
    monitoring_destroy (&mon);
    sn_auth_destroy (&rep_dir_auth);
    sn_auth_destroy (&mon_dir_auth);
    char **strings [] = {&mon_conninfo, &rep_conninfo, &mon_request, &mon_events, &rep_request, &rep_events};
    for (size_t i = 0; i < sizeof strings / sizeof strings [0]; i++)
        zstr_free (strings [i]);
    zcert_t **certs [] = {&mon_cert, &rep_cert, &sil_cert, &coop_cert};
    for (size_t i = 0; i < sizeof certs / sizeof certs [0]; i++)
        zcert_destroy (certs [i]);
    ts_registry_destroy (&reg);
}

TestSuite (reporting, .init = setup, .fini = teardown, .timeout = 300);

//  --- calling the services --------------------------------------------------------------

//  Calls "service.Method" with a JSON input (printf style). Returns the code;
//  *out (if given) the reply, result the status.
static int
s_call (sn_client_t *client, const char *method, void *out, sn_result_t *result, const char *fmt, ...)
{
    static const ProtobufCServiceDescriptor *services [] = {
        &snodo__registry__registry__descriptor, &snodo__monitoring__monitoring__descriptor,
        &snodo__reporting__reporting__descriptor, NULL};
    const ProtobufCMethodDescriptor *m = NULL;
    for (int i = 0; services [i] && !m; i++)
        if (strncmp (method, services [i]->short_name, strlen (services [i]->short_name)) == 0
        ||  strncasecmp (method, services [i]->short_name, strcspn (method, ".")) == 0)
            m = protobuf_c_service_descriptor_get_method_by_name (services [i], strchr (method, '.') + 1);
    cr_assert_not_null (m, "no method %s", method);
    va_list args;
    va_start (args, fmt);
    char *json = zsys_vprintf (fmt, args);
    va_end (args);
    char err [256];
    ProtobufCMessage *input = sn_json_to_message (m->input, json, err, sizeof err);
    cr_assert_not_null (input, "%s: %s", json, err);
    zstr_free (&json);
    int code = sn_client_call (client, method, "reporting", input, out ? m->output : NULL,
                               (ProtobufCMessage **) out, result);
    protobuf_c_message_free_unpacked (input, NULL);
    return code;
}

static void
s_ok (sn_client_t *client, const char *method, void *out, const char *fmt, const char *a, const char *b)
{
    sn_result_t result;
    int code = s_call (client, method, out, &result, fmt, a, b);
    cr_assert_eq (code, CODE (OK), "%s: %s %s", method, sn_code_name (code), result.message);
}

//  A person of the SIL's, known to monitoring. Writes its id.
static void
s_person (int n, char id [37])
{
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, n, cf);
    person.ambito = "est";
    person.referring_member_id = "ass6-sil";
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    Snodo__Registry__Person *made = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (sil_reg, "registry.CreatePerson", "placement", &req.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &made, &result),
                  CODE (OK), "%s", result.message);
    snprintf (id, 37, "%s", made->id);
    protobuf_c_message_free_unpacked (&made->base, NULL);
}

//  A company's post with places for every pathway of a test, made once per
//  test (each runs in a process of its own): a project is placed only on a
//  post the registry has. Writes their ids.
static char s_post [37], s_company [37];

static void
s_post_of_company (void)
{
    if (*s_post)
        return;
    ts_company_post_t spec = {"00743110157", "Ristorazione Zanin S.r.l.", 40, 100, 25, NULL};
    sn_result_t result;
    cr_assert_eq (ts_company_post (reg, &spec, s_company, s_post, &result), CODE (OK), "%s", result.message);
}

//  A pathway referred in 2025 and active from 2025-04-01. Writes its id.
static void
s_active_pathway (const char *person, char id [37])
{
    Snodo__Monitoring__Pathway *p = NULL;
    sn_result_t result;
    int code = CODE (FAILED_PRECONDITION);
    for (int i = 0; i < 100 && code == CODE (FAILED_PRECONDITION); i++) {
        code = s_call (sil_mon, "monitoring.Refer", &p, &result,
                       "{\"personId\": \"%s\", \"kind\": \"JOB_PLACEMENT\", \"referredOn\": \"2025-03-01\"}", person);
        if (code == CODE (FAILED_PRECONDITION))
            zclock_sleep (50);      //  monitoring has not heard of the person yet
    }
    cr_assert_eq (code, CODE (OK), "Refer: %s", result.message);
    snprintf (id, 37, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *steps [] = {"monitoring.StartIntake", "monitoring.StartAssessment", "monitoring.StartMatching"};
    for (int i = 0; i < 3; i++)
        s_ok (sil_mon, steps [i], NULL, "{\"pathwayId\": \"%s\", \"date\": \"2025-03-0%s\"}", id, i == 0 ? "2" : "3");
    s_post_of_company ();
    code = CODE (FAILED_PRECONDITION);
    for (int i = 0; i < 100 && code == CODE (FAILED_PRECONDITION); i++) {
        code = s_call (sil_mon, "monitoring.PresentProject", NULL, &result, "{\"pathwayId\": \"%s\", "
                       "\"date\": \"2025-03-10\", \"postId\": \"%s\", \"employerId\": \"%s\"}", id, s_post,
                       s_company);
        if (code == CODE (FAILED_PRECONDITION))
            zclock_sleep (50);      //  monitoring has not heard of the post yet
    }
    cr_assert_eq (code, CODE (OK), "PresentProject: %s", result.message);
    s_ok (sil_mon, "monitoring.SetAgreement", NULL, "{\"pathwayId\": \"%s\", \"agreement\": {\"hostId\": \"%s\", "
          "\"objectives\": \"autonomia nelle mansioni\", \"startDate\": \"2025-04-01\", \"endDate\": \"2026-03-31\", \"weeklyHours\": 25}}", id,
          "9a1b2c3d-0000-4000-8000-000000000002");
    s_ok (sil_mon, "monitoring.SignAgreement", NULL, "{\"pathwayId\": \"%s\", \"date\": \"2025-03-20\"%s}", id, "");
    s_ok (sil_mon, "monitoring.Activate", NULL, "{\"pathwayId\": \"%s\", \"date\": \"2025-04-01\"%s}", id, "");
}

//  The SIL's own figure: a summary value of its indicators, or -1.
static double
s_own (const char *table, const char *row, const char *column)
{
    Snodo__Reporting__Report *r = NULL;
    sn_result_t result;
    if (s_call (sil_rep, "reporting.GetOutcomes", &r, &result,
                "{\"filter\": {\"fromYear\": 2025, \"toYear\": 2025, \"scope\": \"SCOPE_OWN\"}}") != CODE (OK))
        return -1;
    double value = -1;
    for (size_t t = 0; t < r->n_tables; t++)
        for (size_t i = 0; i < r->tables [t]->n_rows && !strcmp (r->tables [t]->id, table); i++)
            for (size_t c = 0; c < r->tables [t]->n_columns; c++)
                if (!strcmp (r->tables [t]->rows [i]->key, row) && !strcmp (r->tables [t]->columns [c], column))
                    value = r->tables [t]->rows [i]->values [c]->value;
    protobuf_c_message_free_unpacked (&r->base, NULL);
    return value;
}

static bool
s_hired_is_one (void *arg)
{
    return s_own ("outcomes.mix", "2025", "hired") == 1;
}

static bool
s_referred_is (void *arg)
{
    return s_own ("outcomes.mix", "2025", "total") == *(double *) arg;
}

Test (reporting, a_pathway_closed_as_hired_changes_the_figures_within_a_second)
{
    char person [37], pathway [37];
    s_person (1, person);
    s_active_pathway (person, pathway);
    double one = 1;
    cr_assert (ts_wait (s_referred_is, &one, 10000), "the referral never reached reporting");
    cr_assert_eq (s_own ("outcomes.mix", "2025", "hired"), 0);
    s_ok (sil_mon, "monitoring.RecordEvaluation", NULL, "{\"pathwayId\": \"%s\", \"verdict\": \"READY_TO_HIRE\"%s}",
          pathway, "");
    int64_t closed = zclock_mono ();
    s_ok (sil_mon, "monitoring.Close", NULL, "{\"pathwayId\": \"%s\", \"outcome\": {\"kind\": \"HIRED\", "
          "\"contractType\": \"PERMANENT\", \"weeklyHours\": 30}%s}", pathway, "");
    bool seen = ts_wait (s_hired_is_one, NULL, 5000);
    int64_t took = zclock_mono () - closed;
    cr_assert (seen, "the hiring never reached the figures");
    cr_assert_lt (took, 1000, "the hiring took %lld ms to reach the figures", (long long) took);
}

//  The aggregates as text, to compare two states of them.
static char *
s_snapshot (void)
{
    PGconn *db = ts_db_connect (reg->dbname);
    char *text = ts_sql (db, "SELECT md5 (coalesce (string_agg (format ('%s|%s|%s|%s|%s|%s|%s|%s|%s|%s', referring, ind, "
                             "year, ambito, category, code, n, s1, s2, s3), ',' ORDER BY referring, ind, year, ambito, "
                             "category, code), '')) FROM reporting.cube WHERE n <> 0 OR s1 <> 0 OR s2 <> 0 OR s3 <> 0");
    PQfinish (db);
    return text;
}

static bool
s_caught_up (void *arg)
{
    zstr_send (rep_follower, "CURSOR");
    char *cursor = zstr_recv (rep_follower);
    PGconn *db = ts_db_connect (reg->dbname);
    //  every event committed, numbered: one committed but not numbered yet
    //  is not behind the cursor, and the figures would lack it
    char *published = ts_sql (db, "SELECT CASE WHEN EXISTS (SELECT 1 FROM monitoring.outbox WHERE seq IS NULL) "
                                  "THEN -1 ELSE coalesce (max (seq), 0) END FROM monitoring.outbox");
    //  the registry's persons and companies too: a pathway's figures are by the person's category
    char *registry = ts_sql (db, "SELECT (SELECT coalesce (max (last_seq), 0) FROM reporting.cursor WHERE source = "
                             "'registry') >= (SELECT coalesce (max (seq), 0) FROM registry.outbox WHERE seq IS NOT NULL "
                             "AND type NOT LIKE 'journal.%') AND NOT EXISTS (SELECT 1 FROM registry.outbox "
                             "WHERE seq IS NULL)");
    PQfinish (db);
    bool done = cursor && strcmp (cursor, published) == 0 && streq (registry, "t");
    free (registry);
    free (cursor);
    free (published);
    return done;
}

Test (reporting, a_rebuild_from_replay_gives_the_same_figures_as_the_events_applied_one_by_one)
{
    char person [37], pathway [37];
    for (int i = 0; i < 3; i++) {
        s_person (10 + i, person);
        s_active_pathway (person, pathway);
    }
    s_ok (sil_mon, "monitoring.Close", NULL, "{\"pathwayId\": \"%s\", \"outcome\": {\"kind\": \"INTERRUPTED\", "
          "\"reason\": \"trasferimento\"}%s}", pathway, "");
    s_ok (sil_mon, "monitoring.AddService", NULL, "{\"service\": {\"pathwayId\": \"%s\", \"code\": \"3Be\", "
          "\"deliveredOn\": \"2025-05-01\", \"hours\": 12.5, \"operatorName\": \"Anna Zanin\"}%s}", pathway, "");
    cr_assert (ts_wait (s_caught_up, NULL, 10000));
    char *before = s_snapshot ();
    Snodo__Reporting__RebuildReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (admin_rep, "reporting.Rebuild", &reply, &result, "{}"), CODE (OK), "%s", result.message);
    cr_assert_geq (reply->events, 10);
    cr_assert_eq (reply->pathways, 3);
    protobuf_c_message_free_unpacked (&reply->base, NULL);
    char *after = s_snapshot ();
    cr_assert_str_eq (before, after, "the rebuild differs from the incremental figures");
    cr_assert_neq (strcmp (before, "d41d8cd98f00b204e9800998ecf8427e"), 0, "there were figures to compare");
    free (before);
    free (after);
    //  and the SIL may not rebuild
    cr_assert_eq (s_call (sil_rep, "reporting.Rebuild", NULL, &result, "{}"), CODE (PERMISSION_DENIED));
}

static char *
s_audit (const char *member, const char *subject)
{
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [512];
    snprintf (sql, sizeof sql, "SELECT string_agg (outcome::text, ',' ORDER BY id) FROM reporting.audit "
                               "WHERE member_id = '%s' AND subject = '%s'", member, subject);
    char *outcomes = ts_sql (db, sql);
    PQfinish (db);
    return outcomes;
}

Test (reporting, a_member_without_rights_is_refused_and_the_refusal_is_audited)
{
    sn_result_t result;
    cr_assert_eq (s_call (coop_rep, "reporting.GetIndicators", NULL, &result, "{}"), CODE (PERMISSION_DENIED));
    cr_assert (strstr (result.message, "COOPERATIVA"), "%s", result.message);
    cr_assert_eq (s_call (coop_rep, "reporting.CreateDashboardLink", NULL, &result, "{}"), CODE (PERMISSION_DENIED));
    char *outcomes = s_audit ("coop-il-ponte", "report:indicators");
    cr_assert_str_eq (outcomes, "7");
    free (outcomes);
    outcomes = s_audit ("coop-il-ponte", "dashboard:link");
    cr_assert_str_eq (outcomes, "7");
    free (outcomes);
    //  the SIL's request is audited too
    cr_assert_eq (s_call (sil_rep, "reporting.GetIndicators", NULL, &result, "{}"), CODE (OK), "%s", result.message);
    outcomes = s_audit ("ass6-sil", "report:indicators");
    cr_assert_str_eq (outcomes, "0");
    free (outcomes);
}

Test (reporting, bad_input_over_the_bus_is_refused_naming_the_field)
{
    sn_result_t result;
    struct { const char *json, *field, *words; } cases [] = {
        {"{\"filter\": {\"fromYear\": 1800}}", "filter.from_year", "not a year"},
        {"{\"filter\": {\"toYear\": 2999}}", "filter.to_year", "not a year"},
        {"{\"filter\": {\"ambito\": \"marte\"}}", "filter.ambito", "unknown ambito"},
        {"{\"filter\": {\"referringMemberId\": \"nessuno\"}}", "filter.referring_member_id", "unknown member"},
        {"{\"filter\": {\"fromYear\": 2024, \"toYear\": 2022}}", "filter.from_year", "after"},
        {"{\"lang\": \"fr\"}", "lang", "unknown language"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases [0]; i++) {
        cr_assert_eq (s_call (sil_rep, "reporting.GetIndicators", NULL, &result, "%s", cases [i].json),
                      CODE (INVALID_ARGUMENT), "%s", cases [i].json);
        cr_assert_eq (result.n_violations, 1, "%s", cases [i].json);
        cr_assert_str_eq (result.fields [0], cases [i].field);
        cr_assert (strstr (result.message, cases [i].words), "%s: %s", cases [i].json, result.message);
    }
}

//  --- HTTP --------------------------------------------------------------------------------

//  Sends request (as is) to the dashboard and reads the answer until the
//  server closes (at most size - 1 bytes). Returns the bytes read.
static size_t
s_http (const char *request, size_t length, char *out, size_t size)
{
    int fd = socket (AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons ((uint16_t) rep_web_port (web))};
    inet_pton (AF_INET, "127.0.0.1", &addr.sin_addr);
    cr_assert_eq (connect (fd, (struct sockaddr *) &addr, sizeof addr), 0);
    struct timeval tv = {5, 0};
    setsockopt (fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    if (length)
        cr_assert_eq (send (fd, request, length, MSG_NOSIGNAL), (ssize_t) length);
    size_t got = 0;
    ssize_t n;
    while (got + 1 < size && (n = recv (fd, out + got, size - 1 - got, 0)) > 0)
        got += (size_t) n;
    out [got] = 0;
    close (fd);
    return got;
}

static void
s_get (const char *path, const char *cookie, char *out, size_t size)
{
    char request [1024];
    snprintf (request, sizeof request, "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n%s%s%s\r\n", path,
              cookie ? "Cookie: " : "", cookie ? cookie : "", cookie ? "\r\n" : "");
    s_http (request, strlen (request), out, size);
}

//  A one-time link as the SIL, as its path ("/auth?t=...").
static void
s_link (char *path, size_t size)
{
    Snodo__Reporting__DashboardLink *link = NULL;
    sn_result_t result;
    cr_assert_eq (s_call (sil_rep, "reporting.CreateDashboardLink", &link, &result, "{}"), CODE (OK), "%s",
                  result.message);
    snprintf (path, size, "%s", strstr (link->url, "/auth?t="));
    protobuf_c_message_free_unpacked (&link->base, NULL);
}

static char s_page [1 << 20];

Test (reporting, the_dashboard_signs_in_by_one_time_link_and_serves_figures_behind_a_cookie)
{
    s_get ("/", NULL, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 401", 12) == 0, "%.80s", s_page);
    cr_assert (strstr (s_page, "report link"), "the sign-in page says how to get in");
    char *outcomes = s_audit ("-", "report:dashboard");
    cr_assert_str_eq (outcomes, "16");
    free (outcomes);

    char path [256];
    s_link (path, sizeof path);
    s_get (path, NULL, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 303", 12) == 0, "%.200s", s_page);
    char *set = strstr (s_page, "Set-Cookie: snodo_session=");
    cr_assert_not_null (set);
    cr_assert (strstr (set, "HttpOnly") && strstr (set, "SameSite=Strict") && strstr (set, "Max-Age="));
    char cookie [128];
    snprintf (cookie, sizeof cookie, "snodo_session=%.64s", set + strlen ("Set-Cookie: snodo_session="));
    //  the link opens once
    s_get (path, NULL, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 401", 12) == 0, "%.80s", s_page);

    s_get ("/?lang=en", cookie, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 200", 12) == 0, "%.200s", s_page);
    cr_assert (strstr (s_page, "data-chart=\"indicators.persons_placed\""));
    cr_assert (strstr (s_page, "Disadvantaged persons placed in work settings"));
    s_get ("/export?report=indicators&format=csv-semicolon", cookie, s_page, sizeof s_page);
    cr_assert (strstr (s_page, "text/csv"), "%.300s", s_page);
    cr_assert (strstr (s_page, "table;title;row;row_label;column;column_label;value;status;unit\r\n"));
    s_get ("/export?report=network&format=json", cookie, s_page, sizeof s_page);
    cr_assert (strstr (s_page, "\"network.states\""), "%.300s", s_page);
    //  bad input: a clear 400 naming what is wrong
    s_get ("/export?report=indicators&format=xls", cookie, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 400", 12) == 0 && strstr (s_page, "format: unknown format"));
    s_get ("/?from=1800", cookie, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 400", 12) == 0 && strstr (s_page, "filter.from_year"), "%.300s", s_page);
    s_get ("/?ambito=marte", cookie, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 400", 12) == 0 && strstr (s_page, "unknown ambito"));
    //  signing out ends the session
    char request [512];
    snprintf (request, sizeof request, "POST /logout HTTP/1.1\r\nHost: x\r\nConnection: close\r\nCookie: %s\r\n"
                                       "Content-Length: 0\r\n\r\n", cookie);
    s_http (request, strlen (request), s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 303", 12) == 0 && strstr (s_page, "Max-Age=0"), "%.200s", s_page);
    s_get ("/", cookie, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 401", 12) == 0);
}

Test (reporting, malformed_oversized_and_silent_connections_do_not_stop_the_dashboard)
{
    s_http ("NONSENSE\r\n\r\n", 12, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 400", 12) == 0 || s_page [0] == 0, "%.80s", s_page);
    //  headers far over the limit
    size_t big = 64 * 1024;
    char *huge = (char *) malloc (big + 256);
    int n = snprintf (huge, 256, "GET / HTTP/1.1\r\nHost: x\r\nX-Filler: ");
    memset (huge + n, 'a', big);
    memcpy (huge + n + big, "\r\n\r\n", 4);
    s_http (huge, n + big + 4, s_page, sizeof s_page);
    free (huge);
    cr_assert (s_page [0] == 0 || strstr (s_page, " 431 ") || strstr (s_page, " 413 ") || strstr (s_page, " 400 "),
               "%.80s", s_page);
    //  a body announced over the limit is refused before it is sent (the
    //  client sends none: without an answer it would wait for the timeout)
    static const char announced [] = "POST /logout HTTP/1.1\r\nHost: x\r\nContent-Length: 100000000\r\n\r\n";
    s_http (announced, strlen (announced), s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 413", 12) == 0, "%.80s", s_page);
    //  one sent in chunks, with no length announced, is counted as it comes
    //  and refused at its end
    char chunked [8192];
    n = snprintf (chunked, sizeof chunked, "POST /logout HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                                          "Transfer-Encoding: chunked\r\n\r\n");
    for (int i = 0; i < 3; i++) {
        n += snprintf (chunked + n, sizeof chunked - (size_t) n, "800\r\n");          //  2 KiB a chunk
        memset (chunked + n, 'a', 2048);
        n += 2048;
        n += snprintf (chunked + n, sizeof chunked - (size_t) n, "\r\n");
    }
    n += snprintf (chunked + n, sizeof chunked - (size_t) n, "0\r\n\r\n");
    s_http (chunked, (size_t) n, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 413", 12) == 0, "%.80s", s_page);
    //  a connection that sends nothing is closed at the timeout (1 s here)
    int64_t start = zclock_mono ();
    size_t got = s_http ("", 0, s_page, sizeof s_page);
    int64_t took = zclock_mono () - start;
    cr_assert_eq (got, 0);
    cr_assert (took >= 900 && took < 4900, "closed after %lld ms", (long long) took);
    //  and the dashboard still serves
    s_get ("/signin", NULL, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 200", 12) == 0, "%.80s", s_page);
    s_get ("/nowhere", NULL, s_page, sizeof s_page);
    cr_assert (strncmp (s_page, "HTTP/1.1 404", 12) == 0);
}

//  --- a real browser ------------------------------------------------------------------------

static int
s_chromium (const char *args, const char *url, const char *out)
{
    char profile [] = "/tmp/snodo-chromium-XXXXXX";
    cr_assert_not_null (mkdtemp (profile));
    char cmd [2048];
    snprintf (cmd, sizeof cmd, "timeout 120 chromium --headless --no-sandbox --disable-gpu --disable-quic "
                               "--no-first-run --disable-background-networking --disable-component-update --disable-sync "
                               "--disable-dev-shm-usage --accept-lang=it-IT,it --user-data-dir=%s %s '%s' > %s 2>/dev/null; rc=$?; rm -rf %s; "
                               "exit $rc", profile, args, url, out, profile);
    return system (cmd);
}

Test (reporting, headless_chromium_signs_in_and_sees_the_charts_with_their_numbers)
{
    if (system ("command -v chromium >/dev/null 2>&1") != 0)
        cr_skip_test ("chromium is not installed (deploy/snodo test installs it): the browser test did not run");
    char person [37], pathway [37];
    s_person (30, person);
    s_active_pathway (person, pathway);
    double one = 1;
    cr_assert (ts_wait (s_referred_is, &one, 10000));
    char path [256], url [512];
    s_link (path, sizeof path);
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s", rep_web_port (web), path);
    char dom [] = "/tmp/snodo-dom-XXXXXX";
    int fd = mkstemp (dom);
    close (fd);
    int rc = s_chromium ("--dump-dom", url, dom);
    cr_assert_eq (rc, 0, "chromium failed (%d)", rc);
    char *text = ts_read ("/tmp", dom + 5);
    unlink (dom);
    cr_assert (strstr (text, "Accesso come <strong>ass6-sil</strong>"), "not signed in: %.400s", text);
    const char *charts [] = {"indicators.persons_placed", "indicators.work_placements", "outcomes.mix",
                             "network.states", "network.overdue.ambito", "standards.hours"};
    for (int i = 0; i < 6; i++) {
        char want [128];
        snprintf (want, sizeof want, "data-chart=\"%s\"", charts [i]);
        cr_assert (strstr (text, want), "no chart %s", charts [i]);
    }
    //  the active pathway: one ACTIVE in the SIL's... the network's states (hidden: 1 <= 5)
    cr_assert (strstr (text, "data-table=\"network.states\""));
    cr_assert (strstr (text, "<td class=\"hidden\">*</td>"), "the single active pathway is hidden");
    free (text);
    //  its own view, in detail: the active pathway counted, not hidden (a
    //  fresh link each try: a loaded machine can make the browser's first
    //  load of a one-time link miss its session)
    text = NULL;
    for (int attempt = 0; attempt < 3 && !(text && strstr (text, "Accesso come")); attempt++) {
        free (text);
        s_link (path, sizeof path);
        snprintf (url, sizeof url, "http://127.0.0.1:%d%s&scope=own", rep_web_port (web), path);
        fd = mkstemp (dom);
        close (fd);
        cr_assert_eq (s_chromium ("--dump-dom", url, dom), 0);
        text = ts_read ("/tmp", dom + 5);
        unlink (dom);
    }
    cr_assert (strstr (text, "Accesso come <strong>ass6-sil</strong>"), "not signed in: %.400s", text);
    //  referred in 2025, open: hired, returned, interrupted, open, total
    cr_assert (strstr (text, "<tr data-row=\"2025\"><th scope=\"row\">2025</th><td>0</td><td>0</td><td>0</td>"
                             "<td>1</td><td>1</td></tr>"), "the outcome mix of 2025 is not 0 0 0 1 1");
    cr_assert (strstr (text, "data-value=\"1\"><title>2025 Ancora aperti: 1</title>"), "the chart's bar is not 1");
    cr_assert (strstr (text, "<title>2025: 1</title>"), "persons placed in 2025 is not 1 in the chart");
    cr_assert (strstr (text, "I miei percorsi (1)"), "its pathway is not listed");
    free (text);
    s_link (path, sizeof path);
    snprintf (url, sizeof url, "http://127.0.0.1:%d%s&scope=own", rep_web_port (web), path);
    mkdir (SNODO_ARTEFACTS, 0755);
    rc = s_chromium ("--screenshot=" SNODO_ARTEFACTS "/dashboard.png --window-size=1280,2400", url, "/dev/null");
    cr_assert_eq (rc, 0, "chromium could not take the screenshot (%d)", rc);
    struct stat st;
    cr_assert (stat (SNODO_ARTEFACTS "/dashboard.png", &st) == 0 && st.st_size > 10000, "no screenshot");
}
