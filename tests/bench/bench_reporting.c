/*  bench_reporting: the dashboard's main report (the indicators of seed 004,
    network view, suppression included) answered from the aggregates, against
    the same figures computed from the raw rows with one SQL query; at 10^4,
    10^5 and 10^6 pathways (with services delivered and overdue meetings in
    proportion). Then the time to apply 10^5 events to the aggregates.

    Usage: bench_reporting [ROUNDS] [MAX_PATHWAYS]   (default 7 and 1000000)
    Run by deploy/snodo bench reporting, on a throwaway cluster; not part of
    the test suite. */
#include "testsupport.h"
#include "reporting.h"
#include "monitoring.pb-c.h"
#include <math.h>
#include <string.h>

static int
s_compare (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static void
s_exec (PGconn *db, const char *sql)
{
    PGresult *res = PQexec (db, sql);
    if (PQresultStatus (res) != PGRES_COMMAND_OK && PQresultStatus (res) != PGRES_TUPLES_OK) {
        fprintf (stderr, "bench_reporting: %s: %s\n", sql, PQerrorMessage (db));
        exit (1);
    }
    PQclear (res);
}

//  Raw rows for pathways [from, to): persons, pathways over ten years, five
//  ambiti, nine referring services, every category and kind; 1.5 services
//  delivered and 0.1 overdue meetings a pathway. Then their aggregates, in
//  bulk, from the same view the events go through.
static void
s_generate (PGconn *db, long from, long to)
{
    char sql [4096];
    snprintf (sql, sizeof sql,
        "INSERT INTO person (id, category, poverty) "
        "SELECT md5 ('p' || g)::uuid, 1 + g %% 11, g %% 11 = 10 FROM generate_series (%ld, %ld) g", from, to - 1);
    s_exec (db, sql);
    snprintf (sql, sizeof sql,
        "INSERT INTO pathway (id, person_id, state, kind, referring, ambito, referred_on, start_date, outcome, "
        "  outcome_date, weekly_hours) "
        "SELECT md5 ('w' || g)::uuid, md5 ('p' || g)::uuid, CASE WHEN g %% 4 = 0 THEN 7 ELSE 9 END, 1 + g %% 5, "
        "  (ARRAY ['ass6-sil','ass6-dsm','ass6-sert','ssc-est','ssc-sud','ssc-ovest','ssc-nord','ssc-urbano',"
        "          'cpi-pordenone']) [1 + g %% 9], (ARRAY ['est','sud','ovest','nord','urbano']) [1 + (g / 9) %% 5], "
        "  d, d + 30, CASE WHEN g %% 4 = 0 THEN 0 ELSE 1 + g %% 3 END, "
        "  CASE WHEN g %% 4 = 0 THEN NULL ELSE d + 200 END, 10 + g %% 25 "
        "FROM generate_series (%ld, %ld) g, LATERAL (SELECT date '2016-01-01' + (g::bigint * 7919 %% 3650)::int AS d) x",
        from, to - 1);
    s_exec (db, sql);
    snprintf (sql, sizeof sql,
        "INSERT INTO delivery (pathway_id, code, centihours, deliveries) "
        "SELECT md5 ('w' || g)::uuid, c, 1000 + g::bigint * 37 %% 20000, 1 + g %% 3 FROM generate_series (%ld, %ld) g, "
        "  LATERAL (SELECT (ARRAY ['3Bc','3Bd','3Be','3Bb','3A']) [1 + g %% 5] UNION "
        "           SELECT '3A' WHERE g %% 2 = 0) s (c)", from, to - 1);
    s_exec (db, sql);
    snprintf (sql, sizeof sql,
        "INSERT INTO overdue (pathway_id, number) SELECT md5 ('w' || g)::uuid, 1 + g %% 3 "
        "FROM generate_series (%ld, %ld) g WHERE g %% 10 = 0", from, to - 1);
    s_exec (db, sql);
    s_exec (db, "SELECT recompute_all ()");
    s_exec (db, "ANALYZE person, pathway, delivery, overdue, contrib, cube, margin");
}

//  The same figures as the report's tables (indicators by year and
//  ambito, category, referring service, and the totals), from the rows.
static const char s_recompute [] =
    "SELECT ind, year, v.dim, v.value, sum (n) FROM contribution "
    "CROSS JOIN LATERAL (VALUES ('a'::\"char\", ambito), ('c', category::text), ('r', referring), ('t', '')) "
    "  v (dim, value) WHERE ind BETWEEN 1 AND 6 AND year BETWEEN 2021 AND 2025 GROUP BY 1, 2, 3, 4";

typedef struct {
    double median, low, high;
} s_stats_t;

static s_stats_t
s_stats (double *ms, int n)
{
    qsort (ms, (size_t) n, sizeof (double), s_compare);
    s_stats_t s = {n % 2 ? ms [n / 2] : (ms [n / 2 - 1] + ms [n / 2]) / 2, ms [0], ms [n - 1]};
    return s;
}

static void
s_size (PGconn *db, long pathways, int rounds)
{
    Snodo__Reporting__ReportFilter filter = SNODO__REPORTING__REPORT_FILTER__INIT;
    filter.from_year = 2021;
    filter.to_year = 2025;
    filter.baseline_year = 2019;
    Snodo__Reporting__ReportRequest req = SNODO__REPORTING__REPORT_REQUEST__INIT;
    req.filter = &filter;
    rep_viewer_t viewer = {"provincia-pn", SNODO__MEMBER_KIND__MEMBER_KIND_PROVINCIA, 5, NULL};
    double report [64], raw [64];
    uint32_t hidden = 0;
    for (int r = 0; r < rounds; r++) {
        int64_t start = zclock_usecs ();
        rep_error_t err;
        Snodo__Reporting__Report *rep = rep_report_build (db, REP_INDICATORS, &req, &viewer, NULL, &err);
        report [r] = (double) (zclock_usecs () - start) / 1000.0;
        if (!rep) {
            fprintf (stderr, "bench_reporting: %s\n", err.message);
            exit (1);
        }
        hidden = rep->hidden;
        protobuf_c_message_free_unpacked (&rep->base, NULL);
        start = zclock_usecs ();
        PGresult *res = PQexec (db, s_recompute);
        raw [r] = (double) (zclock_usecs () - start) / 1000.0;
        if (PQresultStatus (res) != PGRES_TUPLES_OK) {
            fprintf (stderr, "bench_reporting: %s\n", PQerrorMessage (db));
            exit (1);
        }
        PQclear (res);
    }
    s_stats_t a = s_stats (report, rounds), b = s_stats (raw, rounds);
    printf ("%9ld pathways  report %7.2f ms [%6.2f-%6.2f]  from raw rows %9.1f ms [%8.1f-%8.1f]  %7.0fx  "
            "(%u values hidden)\n", pathways, a.median, a.low, a.high, b.median, b.low, b.high, b.median / a.median,
            hidden);
    fflush (stdout);
}

//  Applies events pathway by pathway (referred, active, a service delivered,
//  a meeting overdue, closed) over five ambiti and nine referring services.
//  rows_only: the rows alone, 1000 events a transaction, then every
//  aggregate recomputed (as Rebuild does); else each event with its
//  aggregates in a transaction of its own (as the subscriber does).
//  Returns events/s.
static double
s_events (PGconn *db, long events, bool rows_only)
{
    static const char *const referrers [] = {"ass6-sil", "ass6-dsm", "ass6-sert", "ssc-est", "ssc-sud",
                                             "ssc-ovest", "ssc-nord", "ssc-urbano", "cpi-pordenone"};
    static const char *const ambiti [] = {"est", "sud", "ovest", "nord", "urbano"};
    static const char *const years [] = {"2021-02-01", "2022-02-01", "2023-02-01", "2024-02-01", "2025-02-01"};
    Snodo__Monitoring__Pathway p = SNODO__MONITORING__PATHWAY__INIT;
    Snodo__Monitoring__Outcome o = SNODO__MONITORING__OUTCOME__INIT;
    Snodo__Monitoring__ServiceDelivery d = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    Snodo__Monitoring__Meeting m = SNODO__MONITORING__MEETING__INIT;
    uint8_t body [4096];
    char id [48], person [48];     //  room for any long: the Debug build checks it
    p.kind = 4;
    o.kind = 1;
    o.date = "2024-11-01";
    o.weekly_hours = 25;
    d.code = "3Be";
    d.hours = 30;
    Snodo__Event event = SNODO__EVENT__INIT;
    event.source = "monitoring";
    event.body.data = body;
    int64_t start = zclock_usecs ();
    for (long e = 0; e < events; e++) {
        if (!rows_only || e % 1000 == 0)
            s_exec (db, "BEGIN");
        long w = e / 5;
        snprintf (id, sizeof id, "77777777-0000-4000-8000-%012ld", w);
        snprintf (person, sizeof person, "88888888-0000-4000-8000-%012ld", w);
        p.id = id;
        p.person_id = person;
        p.referring_member_id = (char *) referrers [w % 9];
        p.ambito = (char *) ambiti [(w / 9) % 5];
        p.referred_on = (char *) years [w % 5];
        d.pathway_id = m.pathway_id = id;
        m.number = 1;
        const ProtobufCMessage *msg = &p.base;
        switch (e % 5) {
            case 0: p.state = 1; p.start_date = ""; p.outcome = NULL; event.type = "monitoring.pathway.referred"; break;
            case 1: p.state = 7; p.start_date = "2025-03-01"; event.type = "monitoring.pathway.active"; break;
            case 2: msg = &d.base; event.type = "monitoring.service.delivered"; break;
            case 3: msg = &m.base; event.type = "monitoring.meeting.overdue"; break;
            default: p.state = 9; p.outcome = &o; event.type = "monitoring.pathway.closed"; break;
        }
        event.body.len = protobuf_c_message_pack (msg, body);
        event.seq = (uint64_t) e + 1;
        if (rows_only ? reporting_apply_rows (db, &event) : reporting_apply (db, &event, NULL)) {
            fprintf (stderr, "bench_reporting: event %ld not applied\n", e);
            exit (1);
        }
        if (!rows_only || (e + 1) % 1000 == 0 || e + 1 == events)
            s_exec (db, "COMMIT");
    }
    if (rows_only && reporting_recompute (db))
        exit (1);
    return (double) events / ((double) (zclock_usecs () - start) / 1e6);
}

int
main (int argc, char *argv [])
{
    int rounds = argc > 1 ? atoi (argv [1]) : 7;
    long max = argc > 2 ? atol (argv [2]) : 1000000;
    if (rounds < 1 || rounds > 64 || max < 10000) {
        fprintf (stderr, "usage: bench_reporting [ROUNDS 1-64] [MAX_PATHWAYS >= 10000]\n");
        return 2;
    }
    char *dbname = ts_db_create ("benchrep");
    char *conninfo = ts_conninfo (dbname, "reporting");
    char err [256];
    PGconn *db = sn_store_connect (conninfo, "reporting", err, sizeof err);
    if (!db || sn_store_migrate (db, "reporting", reporting_migrations, err, sizeof err)) {
        fprintf (stderr, "bench_reporting: %s\n", err);
        return 1;
    }
    printf ("the dashboard's main report (indicators 2021-2025, baseline 2019, network view, suppression) "
            "against the same figures from the raw rows; median of %d rounds [lowest-highest]\n", rounds);
    long done = 0;
    for (long size = 10000; size <= max; size *= 10) {
        s_generate (db, done, size);
        done = size;
        s_size (db, size, rounds);
    }
    s_exec (db, "TRUNCATE person, pathway, delivery, overdue, contrib, cube, margin");
    double rate = s_events (db, 100000, false);
    printf ("100000 events applied to the aggregates, each in a transaction of its own as the subscriber "
            "applies them (commits not waiting for the disk): %.0f events/s\n", rate);
    s_exec (db, "TRUNCATE person, pathway, delivery, overdue, contrib, cube, margin");
    rate = s_events (db, 100000, true);
    printf ("100000 events as Rebuild applies them (the rows, 1000 events a transaction, then every aggregate "
            "recomputed): %.0f events/s\n", rate);
    s_exec (db, "TRUNCATE person, pathway, delivery, overdue, contrib, cube, margin");
    s_exec (db, "SET synchronous_commit = on");
    rate = s_events (db, 2000, false);
    printf ("2000 events, each in a durable transaction (the subscriber's commit waits for the disk): "
            "%.0f events/s\n", rate);
    PQfinish (db);
    ts_db_drop (dbname);
    free (conninfo);
    free (dbname);
    return 0;
}
