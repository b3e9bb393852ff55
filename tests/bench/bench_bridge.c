/*  bench_bridge: files of referrals imported end to end by the bridge (the
    snodo-bridge process: the file read and validated record by record, each
    referral an item of a registry.CreatePersons (its person with its
    consent) and of a monitoring.ReferBatch as the bridge's member, with
    every check of the single methods, its outcome recorded and its report
    written), against the same rows loaded straight
    with libpq COPY into a plain table, in the same run. Prints records/s,
    the ratio and the bridge's peak resident memory (VmHWM) at each size.

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
    snprintf (name, sizeof name, "bench-%d.xml", n);
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
            "member, every check, its outcome and report line) vs the same rows with libpq COPY into a plain table\n\n");
    printf ("%10s %14s %10s %14s %8s %18s\n", "records", "bridge rec/s", "seconds", "COPY rec/s", "ratio",
            "bridge peak RSS");
    int first = 1, rc = 0;
    for (int i = 0; i < n_sizes && rc == 0; i++) {
        long peak = 0;
        double bridge = s_import (h, first, sizes [i], &peak);
        if (bridge < 0) {
            rc = 1;
            break;
        }
        double copy = s_copy (h, first, sizes [i]);
        printf ("%10d %14.0f %10.1f %14.0f %8.3f %15.1f MB\n", sizes [i], sizes [i] / bridge, bridge,
                sizes [i] / copy, copy / bridge, peak / 1024.0);
        fflush (stdout);
        first += sizes [i];
    }
    bh_destroy (&h);
    return rc;
}
