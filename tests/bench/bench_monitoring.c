/*  bench_monitoring: attendance recording through the real monitoring
    service over CURVE (one record per request, and batches of 100 and of 500
    records), against the same inserts made straight with libpq (one row per
    insert, and 100- and 500-row inserts) into a table of the same shape, in
    one run, at 16 concurrent clients, every commit durable. Each comparison
    runs in rounds (SNODO_BENCH_ROUNDS, default 5), each step from empty
    tables; prints every step's rates and the median of the ratios. A step
    lasts its seconds, or less when a client has recorded every day from
    1900 to today (a day is recorded once); it prints how long it lasted.
    Then the database's side alone: the CPU a backend spends on the service's
    statement and on the direct insert, 100 records each, on one connection.

    Run with deploy/snodo bench monitoring (it starts a throwaway cluster), or
    with SNODO_TEST_PGHOST/PGPORT set: bench_monitoring [seconds per step]
    ["statement" | the first words of a step's name, to run that alone] */
#include "testsupport.h"
#include "monitoring.h"
#include "sn_directory.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define CLIENTS 16
#define BATCH 100
#define MAX_BATCH 500
#define MAX_ROUNDS 15
//  as the service writes: a day recorded again is corrected
#define UPSERT "ON CONFLICT (pathway_id, day) DO UPDATE SET presence = excluded.presence, " \
               "hours = excluded.hours, note = excluded.note, recorded_by = excluded.recorded_by, " \
               "recorded_at = now ()"

//  The direct batch insert: the same five arrays the service sends its statement.
#define DIRECT_BATCH_SQL \
    "INSERT INTO bench.attendance (pathway_id, day, presence, hours, note, recorded_by) " \
    "SELECT p, d, s, h, t, $6 FROM unnest ($1::uuid [], $2::date [], $3::smallint [], $4::numeric [], " \
    "$5::text []) AS u (p, d, s, h, t) " UPSERT

//  Those arrays, for n days of one pathway, each day present with 6 hours.
typedef struct {
    char pathways [MAX_BATCH * 38 + 3], days [MAX_BATCH * 11 + 3], presences [MAX_BATCH * 2 + 3],
         hours [MAX_BATCH * 6 + 3], notes [MAX_BATCH * 3 + 3];
} arrays_t;

static void
s_arrays (arrays_t *a, const char *pathway, char days [][11], int n)
{
    char *pp = a->pathways, *dp = a->days, *sp = a->presences, *hp = a->hours, *np = a->notes;
    *pp++ = *dp++ = *sp++ = *hp++ = *np++ = '{';
    for (int i = 0; i < n; i++) {
        pp += sprintf (pp, "%s%s", i ? "," : "", pathway);
        dp += sprintf (dp, "%s%s", i ? "," : "", days [i]);
        sp += sprintf (sp, "%s1", i ? "," : "");
        hp += sprintf (hp, "%s6.00", i ? "," : "");
        np += sprintf (np, "%s\"\"", i ? "," : "");
    }
    strcpy (pp, "}");
    strcpy (dp, "}");
    strcpy (sp, "}");
    strcpy (hp, "}");
    strcpy (np, "}");
}

typedef enum { SNODO_SINGLE, DIRECT_SINGLE, SNODO_BATCH, DIRECT_BATCH } mode_t_;
static const char *s_mode_names [] = {"single via snodo", "single direct", "batch via snodo", "batch direct"};

typedef struct {
    char *request;              //  the monitoring service's endpoint
    zcert_t *server_cert;       //  its certificate
    zcert_t *cert;              //  the SIL member's
    char *direct_conninfo;      //  for libpq
    double seconds;             //  per step
    char pathways [CLIENTS][37];        //  each client's active pathway
    PGconn *db;                         //  the bench's own, to empty the tables
    //  one step: the clients start together once all are connected, and stop
    //  together at the deadline or when the first runs out of days
    pthread_barrier_t ready;
    int64_t start, stop;
    atomic_bool stopped;
} bench_t;

typedef struct {
    bench_t *bench;
    mode_t_ mode;
    int client;
    int batch;                  //  records per batch request
    long rows, requests, errors;
    char first_error [sizeof ((sn_result_t *) 0)->message];    //  the first error's message
} worker_t;

//  The pathways start on FIRST_DAY (the oldest date the service takes), and a
//  day is recorded once: a client has the days from there to today.
#define FIRST_DAY "1900-01-02"

//  The n-th day from FIRST_DAY on.
static void
s_day (int n, char *out)
{
    mon_date_add_days (FIRST_DAY, n, out);
}

//  Ends the step for every client (the first to call it sets the time).
static void
s_stop (bench_t *b)
{
    bool was = false;
    if (atomic_compare_exchange_strong (&b->stopped, &was, true))
        b->stop = ts_usec ();
}

static void *
s_worker (void *arg)
{
    worker_t *w = (worker_t *) arg;
    bench_t *b = w->bench;
    bool batch = w->mode == SNODO_BATCH || w->mode == DIRECT_BATCH;
    const char *pathway = b->pathways [w->client];
    sn_client_t *client = NULL;
    PGconn *db = NULL;
    if (w->mode == SNODO_SINGLE || w->mode == SNODO_BATCH)
        client = sn_client_new (b->request, b->cert, zcert_public_txt (b->server_cert));
    else {
        db = PQconnectdb (b->direct_conninfo);
        PQclear (PQexec (db, "SET synchronous_commit = on"));
    }
    static __thread Snodo__Monitoring__AttendanceRecord records [MAX_BATCH];
    static __thread Snodo__Monitoring__AttendanceRecord *pointers [MAX_BATCH];
    static __thread char days [MAX_BATCH][11];
    int next_day = 0;
    char today [11], last [11];
    mon_date_today (today);
    pthread_barrier_wait (&b->ready);       //  all connected
    pthread_barrier_wait (&b->ready);       //  the clock set
    int64_t end = b->start + (int64_t) (b->seconds * 1e6);
    while (!atomic_load (&b->stopped)) {
        if (ts_usec () >= end)
            s_stop (b);
        s_day (next_day + w->batch, last);
        if (strcmp (last, today) >= 0)
            s_stop (b);     //  this client has recorded every day: the step ends (see "seconds")
        if (atomic_load (&b->stopped))
            break;
        int n = batch ? w->batch : 1;
        for (int i = 0; i < n; i++) {
            s_day (next_day++, days [i]);
            snodo__monitoring__attendance_record__init (&records [i]);
            records [i].pathway_id = (char *) pathway;
            records [i].day = days [i];
            records [i].presence = SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT;
            records [i].hours = 6;
            pointers [i] = &records [i];
        }
        bool ok = false;
        sn_result_t result;
        result.message [0] = 0;
        if (w->mode == SNODO_SINGLE) {
            Snodo__Monitoring__RecordAttendanceRequest req = SNODO__MONITORING__RECORD_ATTENDANCE_REQUEST__INIT;
            req.record = &records [0];
            ok = sn_client_call (client, "monitoring.RecordAttendance", "monitoring", &req.base, NULL, NULL,
                                 &result) == 0;
        }
        else
        if (w->mode == SNODO_BATCH) {
            Snodo__Monitoring__RecordAttendanceBatchRequest req = SNODO__MONITORING__RECORD_ATTENDANCE_BATCH_REQUEST__INIT;
            req.records = pointers;
            req.n_records = (size_t) n;
            ok = sn_client_call (client, "monitoring.RecordAttendanceBatch", "monitoring", &req.base, NULL, NULL,
                                 &result) == 0;
        }
        else
        if (w->mode == DIRECT_SINGLE) {
            const char *params [3] = {pathway, days [0], "ass6-sil"};
            PGresult *res = PQexecParams (db,
                "INSERT INTO bench.attendance (pathway_id, day, presence, hours, note, recorded_by) "
                "VALUES ($1, $2, 1, 6, '', $3) " UPSERT, 3, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus (res) == PGRES_COMMAND_OK;
            if (!ok)
                snprintf (result.message, sizeof result.message, "%s", PQerrorMessage (db));
            PQclear (res);
        }
        else {
            static __thread arrays_t arrays;
            s_arrays (&arrays, pathway, days, n);
            const char *params [6] = {arrays.pathways, arrays.days, arrays.presences, arrays.hours, arrays.notes,
                                      "ass6-sil"};
            PGresult *res = PQexecParams (db, DIRECT_BATCH_SQL, 6, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus (res) == PGRES_COMMAND_OK;
            if (!ok)
                snprintf (result.message, sizeof result.message, "%s", PQerrorMessage (db));
            PQclear (res);
        }
        if (atomic_load (&b->stopped))
            break;          //  done after the step's end: not counted
        if (ok) {
            w->rows += n;
            w->requests++;
        }
        else
        if (w->errors++ == 0)
            snprintf (w->first_error, sizeof w->first_error, "%.*s", (int) sizeof w->first_error - 1,
                      result.message);
    }
    sn_client_destroy (&client);
    PQfinish (db);
    return NULL;
}

typedef struct {
    double rows, requests;
    long errors;
} result_t;

static int
s_compare_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

//  The median of n sorted values.
static double
s_median (const double *sorted, int n)
{
    return n % 2 ? sorted [n / 2] : (sorted [n / 2 - 1] + sorted [n / 2]) / 2;
}

//  True once the service has caught up with the steps before: every event
//  numbered, every audit entry sealed.
static bool
s_service_idle (void *arg)
{
    bench_t *b = (bench_t *) arg;
    char *left = ts_sql (b->db,
        "SELECT (SELECT count (*) FROM monitoring.outbox WHERE seq IS NULL) "
        "     + (SELECT count (*) FROM monitoring.audit WHERE xid >= "
        "        coalesce ((SELECT max (xid_to) FROM monitoring.audit_batch), 0))");
    bool idle = atol (left) == 0;
    free (left);
    return idle;
}

//  One step. Every step starts from the same state: both attendance tables
//  empty, the service done with the work the steps before left it (a step
//  pays for its own audit sealing and events, not for another's), and a
//  checkpoint just made (the first change of each page after a checkpoint
//  writes the whole page to the WAL).
static result_t
s_run (bench_t *b, mode_t_ mode, int batch, int round)
{
    if (!ts_wait (s_service_idle, b, 60000))
        fprintf (stderr, "bench_monitoring: the service still had events or audit entries after 60 s\n");
    free (ts_sql (b->db, "TRUNCATE monitoring.attendance, bench.attendance; CHECKPOINT"));
    pthread_t threads [CLIENTS];
    worker_t workers [CLIENTS];
    memset (workers, 0, sizeof workers);
    pthread_barrier_init (&b->ready, NULL, CLIENTS + 1);
    atomic_store (&b->stopped, false);
    for (int i = 0; i < CLIENTS; i++) {
        workers [i].bench = b;
        workers [i].mode = mode;
        workers [i].client = i;
        workers [i].batch = batch;
        pthread_create (&threads [i], NULL, s_worker, &workers [i]);
    }
    //  the clock starts once every client has connected
    pthread_barrier_wait (&b->ready);
    b->start = ts_usec ();
    pthread_barrier_wait (&b->ready);
    result_t r = {0, 0, 0};
    for (int i = 0; i < CLIENTS; i++) {
        pthread_join (threads [i], NULL);
        r.rows += (double) workers [i].rows;
        r.requests += (double) workers [i].requests;
        r.errors += workers [i].errors;
        if (workers [i].errors && i == 0)
            fprintf (stderr, "bench_monitoring: %s: %s\n", s_mode_names [mode], workers [i].first_error);
    }
    pthread_barrier_destroy (&b->ready);
    double elapsed = (double) (b->stop - b->start) / 1e6;
    r.rows /= elapsed;
    r.requests /= elapsed;
    printf ("%-16s %3d %7d %12.0f %12.0f %7ld %8.1f %6d\n", s_mode_names [mode],
            mode == SNODO_BATCH || mode == DIRECT_BATCH ? batch : 1, CLIENTS, r.requests, r.rows, r.errors, elapsed,
            round + 1);
    return r;
}

//  The CPU time of a backend (its /proc schedstat), in microseconds; -1
//  when it cannot be read (the server on another host).
static double
s_backend_usec (int pid)
{
    char path [64];
    snprintf (path, sizeof path, "/proc/%d/schedstat", pid);
    FILE *file = fopen (path, "r");
    unsigned long long ns = 0;
    bool read = file && fscanf (file, "%llu", &ns) == 1;
    if (file)
        fclose (file);
    return read ? (double) ns / 1000 : -1;
}

//  The database's side alone: the CPU one backend spends on a transaction
//  of BATCH records, for the service's statement (MON_ATTENDANCE_SQL, as the
//  service runs it) and for the direct insert, in turn on one connection.
//  Steadier than the rates, which share two cores with everything else.
static void
s_statement_cost (bench_t *b)
{
    enum { ITERATIONS = 300 };
    PGconn *db = PQconnectdb (b->direct_conninfo);
    free (ts_sql (db, "TRUNCATE monitoring.attendance, bench.attendance; SET search_path = monitoring; "
                      "SET plan_cache_mode = force_generic_plan; SET synchronous_commit = off"));
    PGresult *res = PQprepare (db, "service", MON_ATTENDANCE_SQL, 8, NULL);
    PQclear (res);
    res = PQprepare (db, "direct", DIRECT_BATCH_SQL, 6, NULL);
    PQclear (res);
    int pid = PQbackendPID (db);
    static arrays_t arrays;
    char ids [48], days [BATCH][11];
    snprintf (ids, sizeof ids, "{%s}", b->pathways [0]);
    double usec [2] = {0, 0};
    int failed = 0;
    for (int i = 0; i < ITERATIONS && usec [0] >= 0 && usec [1] >= 0; i++) {
        for (int r = 0; r < BATCH; r++)
            s_day (i * BATCH + r, days [r]);
        s_arrays (&arrays, b->pathways [0], days, BATCH);
        for (int k = 0; k < 2; k++) {
            int which = (i + k) % 2;        //  0 the service's, 1 direct; in turn first
            const char *service [8] = {ids, "ass6-sil", "3", arrays.pathways, arrays.days, arrays.presences,
                                       arrays.hours, arrays.notes};
            const char *direct [6] = {arrays.pathways, arrays.days, arrays.presences, arrays.hours, arrays.notes,
                                      "ass6-sil"};
            double before = s_backend_usec (pid);
            PQclear (PQexec (db, "BEGIN"));
            res = which ? PQexecPrepared (db, "direct", 6, direct, NULL, NULL, 0)
                        : PQexecPrepared (db, "service", 8, service, NULL, NULL, 0);
            failed += PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK;
            if (failed == 1 && PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK)
                fprintf (stderr, "bench_monitoring: %s: %s", which ? "direct" : "service", PQerrorMessage (db));
            PQclear (res);
            PQclear (PQexec (db, "COMMIT"));
            double after = s_backend_usec (pid);
            usec [which] = before < 0 || after < 0 ? -1 : usec [which] + after - before;
        }
    }
    PQfinish (db);
    if (usec [0] < 0 || usec [1] < 0 || failed)
        printf ("database CPU per transaction of %d records: not measured (%s)\n", BATCH,
                failed ? "a statement failed" : "the server's /proc is not readable");
    else
        printf ("database CPU per transaction of %d records, one connection, %d each: the service's statement "
                "%.0f us, the direct insert %.0f us: %.2fx\n", BATCH, ITERATIONS, usec [0] / ITERATIONS,
                usec [1] / ITERATIONS, usec [0] / usec [1]);
}

static void
s_require (int code, const char *what, sn_result_t *result)
{
    if (code != SNODO__CODE__OK) {
        fprintf (stderr, "bench_monitoring: %s: %s %s\n", what, sn_code_name (code), result->message);
        exit (1);
    }
}

static char s_wait_sql [256];
static char *s_dbname;

static bool
s_person_known (void *arg)
{
    PGconn *db = ts_db_connect (s_dbname);
    PGresult *res = PQexec (db, s_wait_sql);
    bool known = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) > 0 && atoi (PQgetvalue (res, 0, 0)) > 0;
    PQclear (res);
    PQfinish (db);
    return known;
}

//  The company's post the pathways are placed on (a project is placed
//  only on a post the registry has), made once, known to monitoring.
static char s_post [37], s_company [37];

static void
s_post_of_company (ts_registry_t *reg)
{
    if (*s_post)
        return;
    ts_company_post_t spec = {"00743110157", "Benchmark S.r.l.", 40, 1000, 20, NULL};
    sn_result_t result;
    s_require (ts_company_post (reg, &spec, s_company, s_post, &result), "creating the company and its post", &result);
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.post WHERE id = '%s'", s_post);
    if (!ts_wait (s_person_known, NULL, 20000)) {
        fprintf (stderr, "bench_monitoring: the post never reached monitoring\n");
        exit (1);
    }
}

//  A person, referred and carried to ACTIVE from FIRST_DAY; its pathway's id into out.
static void
s_active_pathway (ts_registry_t *reg, sn_client_t *sil_reg, sn_client_t *sil_mon, int n, char *out)
{
    s_post_of_company (reg);
    int code;
    char *person_id = ts_create_person (sil_reg, n, &code);
    if (!person_id) {
        fprintf (stderr, "bench_monitoring: creating a person: %s\n", sn_code_name (code));
        exit (1);
    }
    snprintf (s_wait_sql, sizeof s_wait_sql, "SELECT count (*) FROM monitoring.person WHERE id = '%s'", person_id);
    if (!ts_wait (s_person_known, NULL, 20000)) {
        fprintf (stderr, "bench_monitoring: the person never reached monitoring\n");
        exit (1);
    }
    Snodo__Monitoring__ReferRequest refer = SNODO__MONITORING__REFER_REQUEST__INIT;
    refer.person_id = person_id;
    refer.kind = SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_INTERNSHIP;
    refer.referred_on = FIRST_DAY;
    Snodo__Monitoring__Pathway *p = NULL;
    sn_result_t result;
    s_require (sn_client_call (sil_mon, "monitoring.Refer", "placement", &refer.base,
                               &snodo__monitoring__pathway__descriptor, (ProtobufCMessage **) &p, &result),
               "referring", &result);
    snprintf (out, 37, "%s", p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    free (person_id);
    Snodo__Monitoring__TransitionRequest step = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    step.pathway_id = out;
    step.post_id = s_post;
    step.employer_id = s_company;
    step.date = FIRST_DAY;
    static const char *methods [] = {"monitoring.StartIntake", "monitoring.StartAssessment", "monitoring.StartMatching",
                                     "monitoring.PresentProject", NULL};
    for (int i = 0; methods [i]; i++)
        s_require (sn_client_call (sil_mon, methods [i], "placement", &step.base, NULL, NULL, &result),
                   methods [i], &result);
    Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
    a.host_id = "company-1";
    a.objectives = "benchmark";
    a.start_date = FIRST_DAY;
    a.end_date = "1900-12-31";      //  few meetings to schedule
    a.weekly_hours = 30;
    Snodo__Monitoring__SetAgreementRequest set = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
    set.pathway_id = out;
    set.agreement = &a;
    s_require (sn_client_call (sil_mon, "monitoring.SetAgreement", "placement", &set.base, NULL, NULL, &result),
               "agreement", &result);
    s_require (sn_client_call (sil_mon, "monitoring.SignAgreement", "placement", &step.base, NULL, NULL, &result),
               "signing", &result);
    s_require (sn_client_call (sil_mon, "monitoring.Activate", "placement", &step.base, NULL, NULL, &result),
               "activating", &result);
    (void) reg;
}

int
main (int argc, char *argv [])
{
    bench_t b;
    memset (&b, 0, sizeof b);
    b.seconds = ts_bench_start ("bench_monitoring", argc, argv);
    //  as the services run unless configured: one worker per core
    int workers = getenv ("SNODO_BENCH_WORKERS") ? atoi (getenv ("SNODO_BENCH_WORKERS"))
                                                 : sn_server_default_workers ();
    ts_registry_t *reg = ts_registry_start ("benchmon", 4);
    s_dbname = reg->dbname;
    zcert_t *mon_cert = ts_service_cert (reg, "monitoring");
    char *conninfo = ts_service_conninfo (reg, "monitoring");
    monitoring_t *mon = monitoring_new (reg->auth);
    sn_service_t service = monitoring_service (mon);
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*",
        .events_endpoint = "tcp://127.0.0.1:*",
        .conninfo = conninfo,
        .cert = mon_cert,
        .auth = reg->auth,
        .workers = workers,
        .max_message = 1024 * 1024,
        .audit_key = reg->audit_key,
        .audit_key_len = sizeof reg->audit_key,
    };
    zactor_t *server = sn_server_new (&config, &service);
    char *events = NULL;
    if (!server || sn_server_endpoints (server, &b.request, &events)) {
        fprintf (stderr, "bench_monitoring: the monitoring service did not start\n");
        return 1;
    }
    b.server_cert = mon_cert;
    sn_auth_t *dir_auth = sn_auth_new ();
    sn_directory_config_t follow = {
        .registry_request = reg->request, .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert), .cert = mon_cert, .conninfo = conninfo,
        .schema = "monitoring", .migrations = monitoring_migrations, .auth = dir_auth,
        .apply = monitoring_registry_apply, .apply_page = monitoring_registry_apply_page, .arg = mon,
    };
    sn_directory_t *directory = sn_directory_new (&follow);
    sn_client_t *sil_reg = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &b.cert);
    sn_client_t *sil_mon = ts_client_as (b.request, b.cert, mon_cert);
    for (int c = 0; c < CLIENTS; c++)
        s_active_pathway (reg, sil_reg, sil_mon, 1 + c, b.pathways [c]);
    b.direct_conninfo = ts_conninfo (reg->dbname, NULL);
    b.db = PQconnectdb (b.direct_conninfo);
    free (ts_sql (b.db, "CREATE SCHEMA bench; CREATE TABLE bench.attendance (LIKE monitoring.attendance INCLUDING ALL)"));
    int rounds = getenv ("SNODO_BENCH_ROUNDS") ? atoi (getenv ("SNODO_BENCH_ROUNDS")) : 5;
    if (rounds < 1 || rounds > MAX_ROUNDS)
        rounds = 5;

    printf ("Snodo monitoring benchmark: attendance, %.1f s per step, %d rounds, %d workers, %d clients, "
            "durable commits\n", b.seconds, rounds, workers, CLIENTS);
    printf ("%-16s %3s %7s %12s %12s %7s %8s %6s\n", "", "per", "clients", "requests/s", "records/s", "errors",
            "seconds", "round");
    //  "batch via" alone, for a profiler: bench_monitoring 5 "batch via"
    if (argc > 2 && streq (argv [2], "statement")) {
        s_statement_cost (&b);
        goto done;
    }
    if (argc > 2) {
        for (int m = 0; m <= DIRECT_BATCH; m++)
            if (strncmp (s_mode_names [m], argv [2], strlen (argv [2])) == 0)
                s_run (&b, (mode_t_) m, m >= SNODO_BATCH ? BATCH : 1, 0);
        goto done;
    }
    //  each comparison in rounds, snodo and direct one after the other (in
    //  turn first), so that what drifts on the host during a run falls on both
    static const struct {
        mode_t_ snodo, direct;
        int batch;
    } pairs [] = {{SNODO_SINGLE, DIRECT_SINGLE, 1}, {SNODO_BATCH, DIRECT_BATCH, BATCH},
                  {SNODO_BATCH, DIRECT_BATCH, MAX_BATCH}};
    double ratios [3][MAX_ROUNDS], snodo_rows [3][MAX_ROUNDS];
    for (int p = 0; p < 3; p++)
        for (int r = 0; r < rounds; r++) {
            result_t first = s_run (&b, r % 2 ? pairs [p].direct : pairs [p].snodo, pairs [p].batch, r);
            result_t second = s_run (&b, r % 2 ? pairs [p].snodo : pairs [p].direct, pairs [p].batch, r);
            result_t snodo = r % 2 ? second : first, direct = r % 2 ? first : second;
            ratios [p][r] = snodo.rows / direct.rows;
            snodo_rows [p][r] = snodo.rows;
        }
    printf ("\nratio snodo/direct (records/s, %d clients), the median of %d rounds [lowest - highest]:\n",
            CLIENTS, rounds);
    char labels [3][40];
    snprintf (labels [0], sizeof labels [0], "single");
    snprintf (labels [1], sizeof labels [1], "batch of %d (aim >= 0.80)", BATCH);
    snprintf (labels [2], sizeof labels [2], "batch of %d", MAX_BATCH);
    for (int p = 0; p < 3; p++) {
        double sorted [MAX_ROUNDS];
        memcpy (sorted, ratios [p], sizeof sorted);
        qsort (sorted, (size_t) rounds, sizeof (double), s_compare_double);
        printf ("  %-28s %.2f  [%.2f - %.2f]\n", labels [p], s_median (sorted, rounds), sorted [0],
                sorted [rounds - 1]);
    }
    qsort (snodo_rows [0], (size_t) rounds, sizeof (double), s_compare_double);
    qsort (snodo_rows [1], (size_t) rounds, sizeof (double), s_compare_double);
    printf ("batching through snodo: %.1fx the records/s of single requests (medians)\n",
            s_median (snodo_rows [1], rounds) / s_median (snodo_rows [0], rounds));
    s_statement_cost (&b);
done:
    PQfinish (b.db);
    zstr_free (&b.direct_conninfo);
    sn_client_destroy (&sil_mon);
    sn_client_destroy (&sil_reg);
    sn_directory_destroy (&directory);
    sn_auth_destroy (&dir_auth);
    zactor_destroy (&server);
    monitoring_destroy (&mon);
    zstr_free (&b.request);
    zstr_free (&events);
    zstr_free (&conninfo);
    zcert_destroy (&b.cert);
    zcert_destroy (&mon_cert);
    ts_registry_destroy (&reg);
    return 0;
}
