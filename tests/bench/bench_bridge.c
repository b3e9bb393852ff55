/*  bench_bridge: files of referrals imported end to end by the bridge (the
    snodo-bridge process: the file read and validated record by record, each
    referral an item of a registry.CreatePersons (its person with its
    consent) and of a monitoring.ReferBatch as the bridge's member, with
    every check of the single methods, its outcome recorded and its report
    written), against the same rows loaded straight
    with libpq COPY into a plain table, in the same run. Prints records/s,
    the ratio and the bridge's peak resident memory (VmHWM) at each size,
    and the floor: the rows the import left in the services' tables (rows
    per referral), loaded with COPY into plain copies of those tables and
    into copies with their indexes, as referrals/s and as a ratio to the
    one-row COPY. No bridge that keeps those rows can go faster than the
    bare floor. BENCH_TABLES=1 lists on stderr the rows each table gained.

    Run with deploy/snodo bench bridge [SIZE...] (a throwaway cluster), or
    with SNODO_TEST_PGHOST/PGPORT set. Sizes default to 10000 100000;
    1000000 works too (it takes long on a small machine). */
#include "sn_log.h"
#include "harness.h"
#include <signal.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static double
s_now (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

//  The bridge's peak resident memory (kB), from /proc.
static long
s_peak_kb (pid_t pid)
{
    char path [64], line [256];
    snprintf (path, sizeof path, "/proc/%d/status", (int) pid);
    FILE *f = fopen (path, "r");
    long kb = -1;
    while (f && fgets (line, sizeof line, f))
        if (strncmp (line, "VmHWM:", 6) == 0)
            kb = atol (line + 6);
    if (f)
        fclose (f);
    return kb;
}

//  Imports n referrals of the persons first..: the file written aside,
//  renamed into the inbox, waited for. Returns the seconds, or -1.
static double
s_import (bh_t *h, int first, int n, long *peak_kb)
{
    char aside [300], name [64];
    snprintf (name, sizeof name, "bench-%d-%d.xml", first, n);     //  a name of its own each round
    snprintf (aside, sizeof aside, "%s/%s", h->dir, name);
    FILE *out = fopen (aside, "w");
    if (!out || bh_referrals (out, first, n)) {
        fprintf (stderr, "bench_bridge: cannot write %s\n", aside);
        return -1;
    }
    fclose (out);
    if (bh_start (h, "    callers = 16\n    import_batch = 512\n    poll_ms = 50\n", NULL)) {
        fprintf (stderr, "bench_bridge: the bridge did not start (%s/bridge.log)\n", h->dir);
        return -1;
    }
    char report [600];
    snprintf (report, sizeof report, "%s.report", bh_path (h, "processed", name));
    double start = s_now ();
    if (rename (aside, bh_path (h, "inbox", name))) {
        fprintf (stderr, "bench_bridge: cannot drop %s\n", name);
        return -1;
    }
    while (access (report, F_OK) != 0) {
        if (bh_died (h)) {
            fprintf (stderr, "bench_bridge: the bridge stopped (%s/bridge.log)\n", h->dir);
            return -1;
        }
        zclock_sleep (50);
    }
    double seconds = s_now () - start;
    *peak_kb = s_peak_kb (h->pid);
    bh_stop (h, SIGTERM);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT accepted FROM bridge.inbound_file WHERE name = '%s'", name);
    long accepted = bh_count (h, sql);
    if (accepted != n) {
        fprintf (stderr, "bench_bridge: %ld of %d referrals accepted (%s)\n", accepted, n, report);
        return -1;
    }
    return seconds;
}

//  The same rows, straight into a plain table with COPY. Returns the seconds.
static double
s_copy (bh_t *h, int first, int n)
{
    PGconn *db = ts_db_connect (h->reg->dbname);
    free (ts_sql (db, "SET client_min_messages = warning"));
    free (ts_sql (db, "CREATE TABLE IF NOT EXISTS bench_copy (referral_id text, date date, "
                      "codice_fiscale text, surname text, name text, ambito text, social_worker text, "
                      "reason text, objective integer, consent_date date, purpose text, kind text)"));
    free (ts_sql (db, "TRUNCATE bench_copy"));
    free (ts_sql (db, "SET synchronous_commit = on"));
    double start = s_now ();
    PGresult *res = PQexec (db, "COPY bench_copy FROM STDIN");
    PQclear (res);
    char buffer [65536];
    size_t used = 0;
    for (int i = 0; i < n; i++) {
        char cf [17];
        ts_codice_fiscale (first + i, cf);
        used += (size_t) snprintf (buffer + used, sizeof buffer - used,
                                   "K-%07d\t2026-11-18\t%s\tRossi\tMaria\turbano\tAnna Bianchi\tprova %d\t9\t"
                                   "2026-11-15\tplacement\tcpi\n", first + i, cf, i);
        if (sizeof buffer - used < 512 || i == n - 1) {
            PQputCopyData (db, buffer, (int) used);
            used = 0;
        }
    }
    PQputCopyEnd (db, NULL);
    res = PQgetResult (db);
    if (PQresultStatus (res) != PGRES_COMMAND_OK)
        fprintf (stderr, "bench_bridge: COPY failed: %s\n", PQerrorMessage (db));
    PQclear (res);
    double seconds = s_now () - start;
    PQfinish (db);
    return seconds;
}

//  --- the floor: the rows a referral leaves, loaded bare --------------------------------------

//  What the import leaves behind is the least any implementation of the
//  issue's guarantees must write: the person, consent and pathway, each
//  service's audit entry, event and stored reply, the bridge's progress,
//  outcome and view rows. The floor loads as many rows of each of the
//  services' tables as the import added, straight with COPY, into plain
//  copies of the tables (no index, no constraint, no trigger), or into
//  copies with the tables' indexes. Its rate bounds what any bridge that
//  keeps those rows can reach.

#define MAX_TABLES 96

typedef struct {
    char name [MAX_TABLES][128];    //  schema.table
    long rows [MAX_TABLES];         //  rows before the import
    int n;
} tables_t;

//  The services' tables and their rows.
static void
s_tables (PGconn *db, tables_t *t)
{
    PGresult *res = PQexec (db,
        "SELECT n.nspname || '.' || c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE c.relkind = 'r' AND n.nspname IN ('registry', 'monitoring', 'bridge') ORDER BY 1");
    t->n = 0;
    for (int i = 0; i < PQntuples (res) && t->n < MAX_TABLES; i++, t->n++) {
        snprintf (t->name [t->n], sizeof t->name [0], "%s", PQgetvalue (res, i, 0));
        char sql [200];
        snprintf (sql, sizeof sql, "SELECT count (*) FROM %s", t->name [t->n]);
        char *count = ts_sql (db, sql);
        t->rows [t->n] = atol (count);
        free (count);
    }
    PQclear (res);
}

//  COPY's text of rows rows of table into path (untimed). Returns 0 or -1.
static int
s_copy_out (PGconn *db, const char *table, long rows, const char *path)
{
    char sql [300];
    snprintf (sql, sizeof sql, "COPY (SELECT * FROM %s LIMIT %ld) TO STDOUT", table, rows);
    FILE *out = fopen (path, "w");
    PGresult *res = PQexec (db, sql);
    int rc = out && PQresultStatus (res) == PGRES_COPY_OUT ? 0 : -1;
    PQclear (res);
    char *line = NULL;
    int len;
    while ((len = PQgetCopyData (db, &line, 0)) > 0) {
        if (rc == 0 && fwrite (line, 1, (size_t) len, out) != (size_t) len)
            rc = -1;
        PQfreemem (line);
    }
    PQclear (PQgetResult (db));
    if (out && fclose (out))
        rc = -1;
    return rc;
}

//  Loads path into table with COPY FROM STDIN. Returns 0 or -1.
static int
s_copy_in (PGconn *db, const char *table, const char *path)
{
    char sql [300], buffer [65536];
    snprintf (sql, sizeof sql, "COPY %.200s FROM STDIN", table);
    FILE *in = fopen (path, "r");
    PGresult *res = PQexec (db, sql);
    int rc = in && PQresultStatus (res) == PGRES_COPY_IN ? 0 : -1;
    PQclear (res);
    size_t got;
    while (rc == 0 && (got = fread (buffer, 1, sizeof buffer, in)) > 0)
        if (PQputCopyData (db, buffer, (int) got) != 1)
            rc = -1;
    PQputCopyEnd (db, rc ? "the file could not be read" : NULL);
    res = PQgetResult (db);
    if (PQresultStatus (res) != PGRES_COMMAND_OK) {
        fprintf (stderr, "bench_bridge: COPY %s failed: %s\n", table, PQerrorMessage (db));
        rc = -1;
    }
    PQclear (res);
    if (in)
        fclose (in);
    return rc;
}

//  The rows the import added, written aside once for both loads.
typedef struct {
    char table [MAX_TABLES][128];   //  the service's table
    char path [MAX_TABLES][400];    //  its rows, as COPY's text
    int n;
    long rows;                      //  in all
} floor_t;

//  The rows the import added (the tables as they are now against before)
//  into files of h's folder. Returns 0 or -1.
static int
s_floor_prepare (bh_t *h, const tables_t *before, floor_t *floor)
{
    PGconn *db = ts_db_connect (h->reg->dbname);
    tables_t after;
    s_tables (db, &after);
    floor->n = 0;
    floor->rows = 0;
    int rc = 0;
    for (int i = 0; i < after.n && rc == 0; i++) {
        long added = after.rows [i];
        for (int j = 0; j < before->n; j++)
            if (strcmp (before->name [j], after.name [i]) == 0)
                added -= before->rows [j];
        if (added <= 0)
            continue;
        int k = floor->n++;
        snprintf (floor->table [k], sizeof floor->table [0], "%s", after.name [i]);
        snprintf (floor->path [k], sizeof floor->path [0], "%s/floor-%d.copy", h->dir, k);
        rc = s_copy_out (db, after.name [i], added, floor->path [k]);
        if (getenv ("BENCH_TABLES"))
            fprintf (stderr, "%s: %ld rows\n", after.name [i], added);
        floor->rows += added;
    }
    PQfinish (db);
    return rc;
}

//  Loads the floor's rows in one transaction into copies of their tables
//  made like (like: "" for plain tables, "INCLUDING INDEXES" for indexed
//  ones). Returns the seconds of the load, or -1.
static double
s_floor_load (bh_t *h, const floor_t *floor, const char *like)
{
    PGconn *db = ts_db_connect (h->reg->dbname);
    free (ts_sql (db, "SET client_min_messages = warning"));
    free (ts_sql (db, "DROP SCHEMA IF EXISTS bench_floor CASCADE"));
    free (ts_sql (db, "CREATE SCHEMA bench_floor"));
    char copies [MAX_TABLES][32];
    for (int i = 0; i < floor->n; i++) {
        char sql [400];
        snprintf (copies [i], sizeof copies [0], "bench_floor.t%d", i);
        snprintf (sql, sizeof sql, "CREATE TABLE %.31s (LIKE %.127s %.40s)", copies [i], floor->table [i], like);
        free (ts_sql (db, sql));
    }
    free (ts_sql (db, "CHECKPOINT"));
    free (ts_sql (db, "SET synchronous_commit = on"));
    double start = s_now ();
    free (ts_sql (db, "BEGIN"));
    int rc = 0;
    for (int i = 0; i < floor->n && rc == 0; i++)
        rc = s_copy_in (db, copies [i], floor->path [i]);
    free (ts_sql (db, rc ? "ROLLBACK" : "COMMIT"));
    double seconds = s_now () - start;
    free (ts_sql (db, "DROP SCHEMA bench_floor CASCADE"));
    PQfinish (db);
    return rc ? -1 : seconds;
}

static void
s_floor_remove (floor_t *floor)
{
    for (int i = 0; i < floor->n; i++)
        unlink (floor->path [i]);
    floor->n = 0;
}

int
main (int argc, char *argv [])
{
    int sizes [8] = {10000, 100000}, n_sizes = 2;
    if (argc > 1)
        for (n_sizes = 0; n_sizes < argc - 1 && n_sizes < 8; n_sizes++)
            sizes [n_sizes] = atoi (argv [n_sizes + 1]);
    zsys_init ();
    zsys_set_logstream (NULL);
    sn_log_setup (0, false);       //  nothing logged: the figures alone
    bh_t *h = bh_new ("benchbr", sn_server_default_workers ());
    printf ("bridge import end to end (per referral: an item of CreatePersons and of ReferBatch as the bridge's\n"
            "member, every check, its outcome and report line) vs the same rows with libpq COPY into a plain table;\n"
            "the floor: the rows the import left in the services' tables, loaded with COPY in one transaction\n"
            "into plain copies (bare) and into copies with the tables' indexes (indexed)\n\n");
    printf ("%10s %10s %8s %12s %7s %10s %11s %7s %12s %7s %10s %10s\n", "records", "bridge/s", "seconds",
            "COPY/s", "ratio", "rows/ref", "bare/s", "ratio", "indexed/s", "ratio", "of floor", "peak RSS");
    int first = 1, rc = 0;
    for (int i = 0; i < n_sizes && rc == 0; i++) {
        long peak = 0;
        tables_t before;
        PGconn *db = ts_db_connect (h->reg->dbname);
        s_tables (db, &before);
        PQfinish (db);
        double bridge = s_import (h, first, sizes [i], &peak);
        double copy = bridge < 0 ? -1 : s_copy (h, first, sizes [i]);
        static floor_t floor;      //  some 40 KB
        double bare = copy < 0 || s_floor_prepare (h, &before, &floor) ? -1 : s_floor_load (h, &floor, "");
        double indexed = bare < 0 ? -1 : s_floor_load (h, &floor, "INCLUDING INDEXES");
        s_floor_remove (&floor);
        long rows = floor.rows;
        if (indexed < 0) {
            rc = 1;
            break;
        }
        double n = sizes [i];
        printf ("%10d %10.0f %8.1f %12.0f %7.3f %10.1f %11.0f %7.3f %12.0f %7.3f %10.3f %7.1f MB\n",
                sizes [i], n / bridge, bridge, n / copy, copy / bridge, rows / n, n / bare, copy / bare,
                n / indexed, copy / indexed, indexed / bridge, peak / 1024.0);
        fflush (stdout);
        first += sizes [i];
    }
    bh_destroy (&h);
    return rc;
}
