/*  The bridge as deployed: the snodo-bridge binary as a process of its own,
    with a real registry and a real monitoring service over CURVE on
    loopback and a real PostgreSQL. Files dropped in its spool; reports
    checked line by line; the readiness rules with slow writers; kill -9 at
    random points of a large file, counted in the services' databases; the
    outbound files across a restart and a crash between the rename and the
    cursor; a poison file. And the rule that lets a BRIDGE member refer for
    the SSC of a person's ambito, and only that. */
#include "harness.h"
#include "bridge.h"
#include "bridge.pb-c.h"
#include <criterion/criterion.h>
#include <dirent.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define KIND(x) SNODO__MEMBER_KIND__MEMBER_KIND_##x
#define CODE(x) SNODO__CODE__##x

static bh_t *h;                     //  the services, the bridge's folder and process

static void
setup (void)
{
    h = bh_new ("bridge", 2);
}

static void
teardown (void)
{
    bh_destroy (&h);
}

TestSuite (bridge, .init = setup, .fini = teardown, .timeout = 240);

static void
s_bridge_start (const char *settings, const char *fault)
{
    cr_assert_eq (bh_start (h, settings, fault), 0, "the bridge did not answer (%s/bridge.log)", h->dir);
}

static bool
s_bridge_died (void *arg)
{
    return bh_died (h);
}

#define s_path(sub, name) ((char *) bh_path (h, sub, name))
#define s_count(sql) bh_count (h, sql)

//  Drops text into the inbox as name: written elsewhere, renamed in.
static void
s_drop (const char *name, const char *text, size_t size)
{
    char tmp [512];
    snprintf (tmp, sizeof tmp, "%s/.%s.part", s_path ("inbox", NULL), name);
    mkdir (s_path ("", NULL), 0750);
    mkdir (s_path ("inbox", NULL), 0750);
    FILE *f = fopen (tmp, "w");
    cr_assert_not_null (f);
    cr_assert_eq (fwrite (text, 1, size, f), size);
    fclose (f);
    cr_assert_eq (rename (tmp, s_path ("inbox", name)), 0);
}

static char *
s_slurp (const char *path, size_t *size)
{
    FILE *f = fopen (path, "rb");
    if (!f)
        return NULL;
    fseek (f, 0, SEEK_END);
    long n = ftell (f);
    fseek (f, 0, SEEK_SET);
    char *text = (char *) malloc ((size_t) n + 1);
    size_t got = fread (text, 1, (size_t) n, f);
    text [got] = 0;
    fclose (f);
    if (size)
        *size = got;
    return text;
}

static void
s_drop_file (const char *name, const char *source)
{
    size_t size;
    char *text = s_slurp (source, &size);
    cr_assert_not_null (text, "cannot read %s", source);
    s_drop (name, text, size);
    free (text);
}

static bool
s_exists (void *path)
{
    return access ((const char *) path, F_OK) == 0;
}

static void
s_wait_exists (const char *path, int timeout_ms)
{
    if (!ts_wait (s_exists, (void *) path, timeout_ms)) {
        char cmd [300];
        snprintf (cmd, sizeof cmd, "tail -n 40 %s/bridge.log >&2", h->dir);
        if (system (cmd) != 0)
            fprintf (stderr, "no log\n");
        cr_assert_fail ("%s did not appear in %d ms", path, timeout_ms);
    }
}

//  Waits for name's report in processed/, then for the file itself, which
//  follows it there (the report is written before the file leaves work/).
static void
s_wait_processed (const char *name, int timeout_ms)
{
    char report [256];
    snprintf (report, sizeof report, "%s.report", name);
    s_wait_exists (s_path ("processed", report), timeout_ms);
    s_wait_exists (s_path ("processed", name), 10000);
}

//  A report with its UUIDs masked (pathway ids are the hub's, new each run).
static char *
s_report (const char *path)
{
    char *text = s_slurp (path, NULL);
    cr_assert_not_null (text, "no report %s", path);
    regex_t uuid;
    cr_assert_eq (regcomp (&uuid, "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", REG_EXTENDED), 0);
    regmatch_t m;
    char *p = text;
    while (regexec (&uuid, p, 1, &m, 0) == 0) {
        memcpy (p + m.rm_so, "<uuid>", 6);
        memmove (p + m.rm_so + 6, p + m.rm_eo, strlen (p + m.rm_eo) + 1);
        p += m.rm_so + 6;
    }
    regfree (&uuid);
    return text;
}

//  The SHA-256 of a file, in hex (65 bytes).
static void
s_sha256 (const char *path, char *hex)
{
    size_t size;
    char *text = s_slurp (path, &size);
    uint8_t digest [32];
    crypto_hash_sha256 (digest, (const uint8_t *) text, size);
    for (int i = 0; i < 32; i++)
        sprintf (hex + 2 * i, "%02x", digest [i]);
    free (text);
}

//  Checks a report line by line against the expected text (its UUIDs masked).
static void
s_report_is (const char *path, const char *expected)
{
    char *got = s_report (path);
    const char *g = got, *e = expected;
    for (int line = 1; *g || *e; line++) {
        size_t gl = strcspn (g, "\n"), el = strcspn (e, "\n");
        cr_assert (gl == el && strncmp (g, e, gl) == 0, "report line %d:\n  got      %.*s\n  expected %.*s", line,
                   (int) gl, g, (int) el, e);
        g += gl + (g [gl] ? 1 : 0);
        e += el + (e [el] ? 1 : 0);
    }
    free (got);
}


//  --- reports --------------------------------------------------------------------------------

#define HEAD "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n" \
             "<inbound xmlns=\"urn:snodo:cartella-sociale:1\" sender=\"test\" created=\"2026-11-20T09:30:00Z\">\n"
#define TAIL "</inbound>\n"

//  The first referral of mixed.xml again, and a new one.
static const char *s_again = HEAD
        "  <referral id=\"T-URB-0001\" date=\"2026-11-18\">\n"
        "    <person><codiceFiscale>RSSMRA80A01H501U</codiceFiscale><surname>Rossi</surname><name>Mario</name>\n"
        "      <municipality>Pordenone</municipality><category>POVERTY_RISK</category></person>\n"
        "    <ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>sostegno al reddito</reason>\n"
        "    <objective>9</objective>\n"
        "    <consent date=\"2026-11-15\"><grant purpose=\"placement\" to=\"cpi\"/><grant purpose=\"monitoring\" "
        "to=\"cooperativa\"/></consent>\n"
        "  </referral>\n"
        "  <referral id=\"T-NOR-0001\" date=\"2026-11-19\">\n"
        "    <person><codiceFiscale>VRDGPP70C15G888Q</codiceFiscale><surname>Verdi</surname><name>Giuseppe</name></person>\n"
        "    <ambito>nord</ambito><socialWorker>Paolo Zanette</socialWorker><reason>laboratorio</reason>\n"
        "    <objective>8</objective><pathwayKind>WORKSHOP_OBSERVATIONAL</pathwayKind>\n"
        "    <consent date=\"2026-11-19\"><grant purpose=\"placement\" to=\"sil\"/></consent>\n"
        "  </referral>\n" TAIL;

Test (bridge, a_file_of_valid_and_invalid_records_gets_its_report_line_by_line)
{
    s_bridge_start (NULL, NULL);
    s_drop_file ("mixed.xml", SNODO_SOURCE_DIR "/tests/bridge/files/mixed.xml");
    s_wait_processed ("mixed.xml", 60000);
    cr_assert_not (s_exists (s_path ("inbox", "mixed.xml")));
    char sha [65], expected [8192];
    s_sha256 (s_path ("processed", "mixed.xml"), sha);
    snprintf (expected, sizeof expected,
        "snodo bridge report 1\nfile: mixed.xml\nsha256: %s\noutcome: processed\n"
        "records: 11 (accepted 2, rejected 8, skipped 1)\n"
        "record 1, line 5: referral T-URB-0001: accepted\n"
        "record 2, line 12: referral T-URB-0002: rejected: Element 'objective': [facet 'enumeration'] "
        "The value '7' is not an element of the set {'8', '9'}.\n"
        "record 3, line 18: referral T-URB-0003: rejected: registry.CreatePerson: INVALID_ARGUMENT: "
        "person.codice_fiscale: check character is 'X', expected 'M'\n"
        "record 4, line 24: update T-URB-9999-U1: rejected: unknown referral T-URB-9999: no referral with this "
        "id was accepted\n"
        "record 5, line 27: referral T-SUD-0001: rejected: no SSC member of ambito \"sud\" in the network to "
        "refer for\n"
        "record 6, line 33: referral T-URB-0004: rejected: registry.CreatePerson: INVALID_ARGUMENT: "
        "person.birth_date: 1990-05-12 does not match the codice fiscale (1992-05-12)\n"
        "record 7, line 40: referral T-URB-0001: skipped: already applied (file mixed.xml, line 5)\n"
        "record 8, line 47: update T-URB-0001-U1: accepted\n"
        "record 9, line 50: referral T-URB-0001: rejected: referral T-URB-0001 was applied from file "
        "mixed.xml, line 5, with other content: a change to it is a new record\n"
        "record 10, line 57: referral T-URB-0005: rejected: monitoring.Refer: ALREADY_EXISTS: the person has "
        "an open pathway <uuid> (REFERRED)\n"
        "record 11, line 63: update T-URB-0001-U2: rejected: registry.RevokeConsent: FAILED_PRECONDITION: "
        "no consent in force for PURPOSE_CARE to SIL\n", sha);
    s_report_is (s_path ("processed", "mixed.xml.report"), expected);
    //  what the services hold: the person for the SSC of urbano, with the contact data changed
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.person WHERE referred_via = 'bridge'"), 1);
    char *referrer = ts_sql (h->db, "SELECT referring_member_id || ' ' || (data->>'phone') || ' ' || (data->>'address') "
                                 "FROM registry.person WHERE codice_fiscale = 'RSSMRA80A01H501U'");
    cr_assert_str_eq (referrer, "ssc-urbano +39 0434 000002 Via Cavour 3");
    free (referrer);
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.consent WHERE recorded_by = 'bridge'"), 2);
    cr_assert_eq (s_count ("SELECT count (*) FROM monitoring.pathway WHERE referred_via = 'bridge' "
                           "AND referring_member_id = 'ssc-urbano'"), 1);

    //  the same record in another file is skipped; a new one is applied
    s_drop ("again.xml", s_again, strlen (s_again));
    s_wait_processed ("again.xml", 60000);
    s_sha256 (s_path ("processed", "again.xml"), sha);
    snprintf (expected, sizeof expected,
        "snodo bridge report 1\nfile: again.xml\nsha256: %s\noutcome: processed\n"
        "records: 2 (accepted 1, rejected 0, skipped 1)\n"
        "record 1, line 3: referral T-URB-0001: skipped: already applied (file mixed.xml, line 5)\n"
        "record 2, line 10: referral T-NOR-0001: accepted\n", sha);
    s_report_is (s_path ("processed", "again.xml.report"), expected);
    cr_assert_eq (s_count ("SELECT count (*) FROM monitoring.pathway WHERE referred_via = 'bridge' "
                           "AND referring_member_id = 'ssc-nord' AND kind = 3"), 1);

    //  the same bytes again, under another name: nothing applied
    s_drop_file ("mixed-copy.xml", SNODO_SOURCE_DIR "/tests/bridge/files/mixed.xml");
    s_wait_exists (s_path ("processed", "mixed-copy.xml.report"), 60000);
    s_sha256 (s_path ("processed", "mixed-copy.xml"), sha);
    char *id = ts_sql (h->db, "SELECT id FROM bridge.inbound_file WHERE name = 'mixed.xml'");
    snprintf (expected, sizeof expected,
        "snodo bridge report 1\nfile: mixed-copy.xml\nsha256: %s\n"
        "outcome: duplicate: the same bytes were imported as mixed.xml (file %s): nothing applied\n"
        "records: 11 (accepted 0, rejected 0, skipped 11)\n", sha, id);
    free (id);
    s_report_is (s_path ("processed", "mixed-copy.xml.report"), expected);
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.person WHERE referred_via = 'bridge'"), 2);
    cr_assert_eq (s_count ("SELECT count (*) FROM monitoring.pathway WHERE referred_via = 'bridge'"), 2);
}

//  --- the inbox's readiness rules -------------------------------------------------------------

//  Writes source into inbox/name under its final name, in pieces, sleeping
//  pause_ms between them; after each piece the file must still be in the
//  inbox, untaken.
static void
s_write_slowly (const char *name, const char *source, int pieces, int pause_ms)
{
    size_t size;
    char *text = s_slurp (source, &size);
    mkdir (s_path ("", NULL), 0750);
    mkdir (s_path ("inbox", NULL), 0750);
    int fd = open (s_path ("inbox", name), O_WRONLY | O_CREAT | O_TRUNC, 0640);
    cr_assert_geq (fd, 0);
    size_t step = size / (size_t) pieces + 1;
    for (size_t done = 0; done < size; done += step) {
        size_t n = size - done < step ? size - done : step;
        cr_assert_eq (write (fd, text + done, n), (ssize_t) n);
        zclock_sleep (pause_ms);
        cr_assert (s_exists (s_path ("inbox", name)), "the file was taken while it was written (at %zu of %zu bytes)",
                   done + n, size);
    }
    close (fd);
    free (text);
}

Test (bridge, with_the_marker_rule_a_file_written_slowly_is_not_taken_until_its_marker)
{
    s_bridge_start ("    ready = marker\n", NULL);
    s_write_slowly ("slow.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml", 8, 150);
    zclock_sleep (600);
    cr_assert (s_exists (s_path ("inbox", "slow.xml")), "taken without its marker");
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.inbound_file"), 0);
    char marker [512];
    snprintf (marker, sizeof marker, "%s.done", s_path ("inbox", "slow.xml"));
    close (open (marker, O_WRONLY | O_CREAT, 0640));
    s_wait_exists (s_path ("processed", "slow.xml.report"), 60000);
    cr_assert_not (s_exists (marker), "the marker stays behind");
    cr_assert_eq (s_count ("SELECT accepted FROM bridge.inbound_file WHERE name = 'slow.xml'"), 6);
}

Test (bridge, with_the_age_rule_a_file_written_slowly_is_not_taken_until_it_stops_growing)
{
    s_bridge_start ("    ready = age\n    settle_ms = 1000\n", NULL);
    //  pieces 300 ms apart: never quiet for the second the rule wants
    s_write_slowly ("growing.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml", 8, 300);
    s_wait_processed ("growing.xml", 60000);
    char *taken = ts_sql (h->db, "SELECT state || ' ' || records || ' ' || accepted FROM bridge.inbound_file");
    cr_assert_str_eq (taken, "processed 6 6", "the file was read whole: %s", taken);
    free (taken);
    //  its last write (the moves keep the time) and its taking, a second apart
    struct stat st;
    cr_assert_eq (stat (s_path ("processed", "growing.xml"), &st), 0);
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT (extract (epoch FROM taken_at) * 1000)::bigint - %lld FROM bridge.inbound_file",
              (long long) st.st_mtim.tv_sec * 1000 + st.st_mtim.tv_nsec / 1000000);
    long quiet = s_count (sql);
    cr_assert_geq (quiet, 900, "taken %ld ms after its last write, before it had been quiet for settle_ms", quiet);
    //  temporary names are left alone
    s_drop ("later.xml.part", "<x/>", 4);
    zclock_sleep (1500);
    cr_assert (s_exists (s_path ("inbox", "later.xml.part")));
}

//  --- a poison file -------------------------------------------------------------------------------

Test (bridge, a_poison_file_is_rejected_once_and_read_again_only_when_retried)
{
    s_bridge_start (NULL, NULL);
    const char *poison = "codice fiscale;cognome\nRSSMRA80A01H501U;Rossi\n";
    s_drop ("poison.xml", poison, strlen (poison));
    s_wait_exists (s_path ("rejected", "poison.xml.report"), 30000);
    char *report = s_report (s_path ("rejected", "poison.xml.report"));
    cr_assert (strstr (report, "outcome: rejected: line 1: the file is not XML (it does not start with '<')"), "%s", report);
    free (report);
    struct stat before, after;
    cr_assert_eq (stat (s_path ("rejected", "poison.xml.report"), &before), 0);
    zclock_sleep (2000);            //  twenty polls of the inbox
    cr_assert_eq (stat (s_path ("rejected", "poison.xml.report"), &after), 0);
    cr_assert_eq (before.st_mtim.tv_nsec, after.st_mtim.tv_nsec, "the report was written again");
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.inbound_file WHERE name = 'poison.xml'"), 1);
    cr_assert (s_exists (s_path ("rejected", "poison.xml")));
    //  fixed in place, then retried by the operator: read once more, and applied
    size_t size;
    char *fixed = s_slurp (SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml", &size);
    FILE *f = fopen (s_path ("rejected", "poison.xml"), "w");
    fwrite (fixed, 1, size, f);
    fclose (f);
    free (fixed);
    cr_assert_eq (ts_snodoctl (h->dir, "bridge retry poison.xml"), 0, "%s", ts_read (h->dir, "err.txt"));
    s_wait_exists (s_path ("processed", "poison.xml.report"), 30000);
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.inbound_file WHERE name = 'poison.xml'"), 2);
    cr_assert_not (s_exists (s_path ("rejected", "poison.xml")));
    cr_assert_eq (s_count ("SELECT accepted FROM bridge.inbound_file WHERE name = 'poison.xml' "
                           "AND state = 'processed'"), 6);
}

Test (bridge, a_hostile_file_is_rejected_with_its_reason)
{
    s_bridge_start (NULL, NULL);
    const char *laughs = "<?xml version=\"1.0\"?>\n<!DOCTYPE lolz [<!ENTITY lol \"lol\">"
                         "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>\n"
                         HEAD "<referral id=\"&lol2;\"/>" TAIL;
    s_drop ("laughs.xml", laughs, strlen (laughs));
    s_wait_exists (s_path ("rejected", "laughs.xml.report"), 30000);
    char *report = s_report (s_path ("rejected", "laughs.xml.report"));
    cr_assert (strstr (report, "outcome: rejected: line 2: a DOCTYPE is not allowed"), "%s", report);
    free (report);
}

//  --- kill -9 at random points of a large file --------------------------------------------------

//  A file of n referrals of the persons first.. (ambito urbano, one consent each).
static char *
s_big_file (int first, int n, size_t *size)
{
    char *text = NULL;
    FILE *out = open_memstream (&text, size);
    cr_assert_eq (bh_referrals (out, first, n), 0);
    fclose (out);
    return text;
}

typedef struct {
    long beyond;                    //  progress wanted
} s_progress_t;

static bool
s_progressed (void *arg)
{
    s_progress_t *p = (s_progress_t *) arg;
    return s_count ("SELECT coalesce (max (next_ordinal), 0) FROM bridge.inbound_file WHERE name = 'big.xml'") > p->beyond
        || s_exists (s_path ("processed", "big.xml.report"));
}

//  The registry.person.created events whose person has one consent in force.
static long
s_created_with_consent (void)
{
    PGresult *res = PQexecParams (h->db, "SELECT body FROM registry.outbox WHERE type = 'registry.person.created'",
                                  0, NULL, NULL, NULL, NULL, 1);
    cr_assert_eq (PQresultStatus (res), PGRES_TUPLES_OK, "%s", PQerrorMessage (h->db));
    long with = 0;
    for (int i = 0; i < PQntuples (res); i++) {
        Snodo__Registry__Person *p = snodo__registry__person__unpack (
            NULL, (size_t) PQgetlength (res, i, 0), (const uint8_t *) PQgetvalue (res, i, 0));
        cr_assert_not_null (p);
        with += p->n_consents == 1 && p->consents [0]->revoked_at == 0;
        snodo__registry__person__free_unpacked (p, NULL);
    }
    PQclear (res);
    return with;
}

Test (bridge, kill_9_at_random_points_of_a_large_file_applies_every_record_exactly_once)
{
    const char *settings = "    import_batch = 50\n    callers = 8\n";
    s_bridge_start (settings, NULL);
    int n = 1200, kills = 0;
    size_t size;
    char *text = s_big_file (5000, n, &size);
    s_drop ("big.xml", text, size);
    free (text);
    srand ((unsigned) getpid ());
    long done = 0;
    for (int k = 0; k < 3; k++) {
        //  the next kill lands somewhere after some more progress: a batch in
        //  flight, its requests done and not recorded, or between batches
        s_progress_t want = {done + 50};
        cr_assert (ts_wait (s_progressed, &want, 60000), "no progress in a minute");
        if (s_exists (s_path ("processed", "big.xml.report")))
            break;
        zclock_sleep (rand () % 300);
        bh_stop (h, SIGKILL);
        kills++;
        done = s_count ("SELECT next_ordinal FROM bridge.inbound_file WHERE name = 'big.xml'");
        s_bridge_start (settings, NULL);
    }
    s_wait_exists (s_path ("processed", "big.xml.report"), 180000);
    cr_assert_geq (kills, 1, "no kill landed while the file was in hand");
    char *outcome = ts_sql (h->db, "SELECT records || ' ' || accepted || ' ' || rejected || ' ' || skipped "
                                "FROM bridge.inbound_file WHERE name = 'big.xml'");
    char expected [64];
    snprintf (expected, sizeof expected, "%d %d 0 0", n, n);
    cr_assert_str_eq (outcome, expected, "records, accepted, rejected, skipped");
    free (outcome);
    //  counted where it matters: once each in the services' databases
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.person WHERE referred_via = 'bridge'"), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.created'"), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.consent WHERE recorded_by = 'bridge'"), n);
    //  a person comes with its consent (registry.CreatePersons): one event, its body the person with it
    cr_assert_eq (s_count ("SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.consent_granted'"), 0);
    cr_assert_eq (s_created_with_consent (), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM monitoring.pathway WHERE referred_via = 'bridge'"), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM monitoring.outbox WHERE type = 'monitoring.pathway.referred'"), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.record_outcome o JOIN bridge.inbound_file f "
                           "ON f.id = o.file_id WHERE f.name = 'big.xml'"), n);
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.referral WHERE pathway_id IS NOT NULL"), n);
}

//  --- outbound --------------------------------------------------------------------------------------

//  Every seq in the outbox's event files, counted: seen [seq] (up to most).
static void
s_outbox_seqs (int *seen, int most, int *files)
{
    memset (seen, 0, sizeof (int) * (size_t) most);
    *files = 0;
    DIR *d = opendir (s_path ("outbox", NULL));
    cr_assert_not_null (d);
    struct dirent *e;
    regex_t seq;
    cr_assert_eq (regcomp (&seq, "<event seq=\"([0-9]+)\"", REG_EXTENDED), 0);
    while ((e = readdir (d))) {
        if (strncmp (e->d_name, "snodo-events-", 13) != 0)
            continue;
        (*files)++;
        char *text = s_slurp (s_path ("outbox", e->d_name), NULL);
        regmatch_t m [2];
        for (char *p = text; regexec (&seq, p, 2, m, 0) == 0; p += m [0].rm_eo) {
            int s = atoi (p + m [1].rm_so);
            cr_assert (s > 0 && s < most);
            seen [s]++;
        }
        free (text);
    }
    regfree (&seq);
    closedir (d);
}

typedef struct {
    long seq;
} s_cursor_t;

static bool
s_cursor_at (void *arg)
{
    return s_count ("SELECT last_seq FROM bridge.outbound_cursor") >= ((s_cursor_t *) arg)->seq;
}

//  Moves a pathway on, as the member cert.
static void
s_step (zcert_t *cert, const char *method, const char *pathway)
{
    sn_client_t *client = ts_client_as (h->mon_request, cert, h->mon_cert);
    Snodo__Monitoring__TransitionRequest req = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    req.pathway_id = (char *) pathway;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, method, "monitoring", &req.base, NULL, NULL, &result), CODE (OK),
                  "%s: %s", method, result.message);
    sn_client_destroy (&client);
}

Test (bridge, events_made_while_the_bridge_is_down_are_all_written_once_after_it_returns)
{
    s_bridge_start (NULL, NULL);
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    //  three referred, one closed (the withdrawal)
    s_cursor_t want = {4};
    cr_assert (ts_wait (s_cursor_at, &want, 30000), "the first events were not written");
    bh_stop (h, SIGKILL);
    char *urbano = ts_sql (h->db, "SELECT pathway_id FROM bridge.referral WHERE id = 'SSC-URB-2026-0001'");
    s_step (h->ssc_cert, "monitoring.StartIntake", urbano);
    s_step (h->ssc_cert, "monitoring.StartAssessment", urbano);
    s_step (h->ssc_cert, "monitoring.StartMatching", urbano);
    free (urbano);
    s_bridge_start (NULL, NULL);
    want.seq = 7;
    cr_assert (ts_wait (s_cursor_at, &want, 30000), "the events made meanwhile were not written");
    zclock_sleep (500);
    int seen [16], files;
    s_outbox_seqs (seen, 16, &files);
    for (int s = 1; s < 16; s++)
        cr_assert_eq (seen [s], s <= 7 ? 1 : 0, "event %d is in %d files", s, seen [s]);
    cr_assert_geq (files, 2);
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.outbound_event WHERE type = 'taken_in_charge'"), 1);
}

Test (bridge, a_crash_between_the_rename_and_the_cursor_repeats_nothing)
{
    s_bridge_start (NULL, "outbound-after-rename");
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    cr_assert (ts_wait (s_bridge_died, NULL, 60000), "the fault did not strike");
    int seen [16], files;
    s_outbox_seqs (seen, 16, &files);
    cr_assert_eq (files, 1, "the first file is out");
    cr_assert_eq (s_count ("SELECT last_seq FROM bridge.outbound_cursor"), 0, "the cursor moved before the crash");
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.outbound_file WHERE state = 'writing'"), 1);
    s_bridge_start (NULL, NULL);
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    s_cursor_t want = {4};
    cr_assert (ts_wait (s_cursor_at, &want, 30000), "the events were not all written");
    zclock_sleep (500);
    s_outbox_seqs (seen, 16, &files);
    long events = s_count ("SELECT count (*) FROM bridge.outbound_event");
    cr_assert_eq (events, 4);
    for (int s = 1; s < 16; s++)
        cr_assert_eq (seen [s], s <= events ? 1 : 0, "event %d is in %d files", s, seen [s]);
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.outbound_file WHERE state = 'writing'"), 0);
}

static bool
s_all_moved (void *arg)
{
    (void) arg;
    return s_count ("SELECT count (*) FROM bridge.inbound_file WHERE NOT moved") == 0;
}

//  A crash after a file's end is recorded and before it leaves work/ with its
//  report: at the next start it is finished at the same place, once.
Test (bridge, a_crash_between_the_end_recorded_and_the_move_finishes_the_file_after)
{
    s_bridge_start (NULL, "finish-before-move");
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    cr_assert (ts_wait (s_bridge_died, NULL, 60000), "the fault did not strike");
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.inbound_file WHERE NOT moved AND path <> ''"), 1,
                  "its end was recorded before the crash");
    //  shown as still applying: nobody reads PROCESSED and finds no report
    char *shown = ts_sql (h->db, "SELECT bridge.shown_state (state, moved) FROM bridge.inbound_file");
    cr_assert_str_eq (shown, "applying");
    free (shown);
    s_bridge_start (NULL, NULL);
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    //  the report is written before the file leaves work/
    s_wait_exists (s_path ("processed", "example.xml"), 10000);
    cr_assert (ts_wait (s_all_moved, NULL, 10000), "a file is still recorded as in work/");
    cr_assert_eq (s_count ("SELECT count (*) FROM bridge.inbound_file WHERE state = 'processed'"), 1);
    shown = ts_sql (h->db, "SELECT bridge.shown_state (state, moved) FROM bridge.inbound_file");
    cr_assert_str_eq (shown, "processed");
    free (shown);
    cr_assert_neq (access (s_path ("processed", "example.xml.2"), F_OK), 0, "finished twice");
}

//  --- the rule: a BRIDGE member refers for the SSC of the ambito, and only that -------------------

//  Creates a person as client; returns the code, the id into id (37).
static int
s_create (sn_client_t *client, int n, const char *ambito, const char *referrer, char *id, sn_result_t *result)
{
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, n, cf);
    person.ambito = (char *) ambito;
    person.referring_member_id = (char *) referrer;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    Snodo__Registry__Person *made = NULL;
    int code = sn_client_call (client, "registry.CreatePerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &made, result);
    if (made) {
        snprintf (id, 37, "%s", made->id);
        protobuf_c_message_free_unpacked (&made->base, NULL);
    }
    return code;
}

static int
s_get (sn_client_t *client, const char *id, Snodo__Registry__Person **out)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) id;
    Snodo__Registry__Person *p = NULL;
    int code = sn_client_call (client, "registry.GetPerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &p, NULL);
    if (out)
        *out = p;
    else
    if (p)
        protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

static bool
s_monitoring_knows (void *arg)
{
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM monitoring.person WHERE id = '%s'", (const char *) arg);
    return s_count (sql) == 1;
}

static int
s_refer (sn_client_t *client, const char *person, char *pathway, sn_result_t *result)
{
    Snodo__Monitoring__ReferRequest req = SNODO__MONITORING__REFER_REQUEST__INIT;
    req.person_id = (char *) person;
    Snodo__Monitoring__Pathway *p = NULL;
    int code = sn_client_call (client, "monitoring.Refer", "placement", &req.base,
                               &snodo__monitoring__pathway__descriptor, (ProtobufCMessage **) &p, result);
    if (p) {
        snprintf (pathway, 37, "%s", p->id);
        cr_assert_str_eq (p->referring_member_id, "ssc-urbano");
        protobuf_c_message_free_unpacked (&p->base, NULL);
    }
    return code;
}

Test (bridge, a_bridge_member_refers_for_the_ssc_of_the_ambito_and_sees_only_what_it_referred)
{
    sn_client_t *bridge = ts_client_as (h->reg->request, h->bridge_cert, h->reg->cert);
    sn_client_t *ssc = ts_client_as (h->reg->request, h->ssc_cert, h->reg->cert);
    zcert_t *sil_cert = NULL;
    sn_client_t *sil = ts_member_client (h->reg, "ass6-sil", KIND (SIL), NULL, &sil_cert);
    zcert_t *service_cert = ts_service_cert (h->reg, "matching");
    sn_client_t *service = ts_client_as (h->reg->request, service_cert, h->reg->cert);
    sn_result_t result;
    char own [37], other [37], ignored [37];
    //  for the SSC of the person's ambito: the SSC is the referring service
    cr_assert_eq (s_create (bridge, 1, "urbano", "ssc-urbano", own, &result), CODE (OK), "%s", result.message);
    Snodo__Registry__Person *p = NULL;
    cr_assert_eq (s_get (ssc, own, &p), CODE (OK));
    cr_assert_str_eq (p->referring_member_id, "ssc-urbano");
    cr_assert_str_eq (p->referred_via, "bridge");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    cr_assert_eq (s_get (bridge, own, NULL), CODE (OK));
    //  not for another ambito's SSC, nor for a SIL, nor without a referring service
    cr_assert_eq (s_create (bridge, 2, "urbano", "ssc-nord", ignored, &result), CODE (INVALID_ARGUMENT));
    cr_assert (strstr (result.message, "only for the SSC of the person's ambito"), "%s", result.message);
    cr_assert_eq (s_create (bridge, 3, "urbano", "ass6-sil", ignored, &result), CODE (INVALID_ARGUMENT));
    cr_assert_eq (s_create (bridge, 4, "urbano", "", ignored, &result), CODE (INVALID_ARGUMENT));
    cr_assert_eq (s_create (bridge, 5, "", "ssc-urbano", ignored, &result), CODE (INVALID_ARGUMENT));
    //  a person another service referred stays out of the bridge's sight
    cr_assert_eq (s_create (sil, 6, "urbano", "", other, &result), CODE (OK), "%s", result.message);
    cr_assert_eq (s_get (bridge, other, NULL), CODE (PERMISSION_DENIED));
    //  a SERVICE member still creates no person; nobody names referred_via
    cr_assert_eq (s_create (service, 7, "urbano", "ssc-urbano", ignored, &result), CODE (PERMISSION_DENIED));
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 8, cf);
    person.referred_via = "bridge";
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    cr_assert_eq (sn_client_call (ssc, "registry.CreatePerson", "placement", &req.base, NULL, NULL, &result),
                  CODE (INVALID_ARGUMENT));
    cr_assert (strstr (result.message, "referred_via: is set by the registry"), "%s", result.message);

    //  monitoring: the bridge refers its own person for the SSC, not another's
    sn_client_t *bridge_mon = ts_client_as (h->mon_request, h->bridge_cert, h->mon_cert);
    cr_assert (ts_wait (s_monitoring_knows, own, 10000));
    cr_assert (ts_wait (s_monitoring_knows, other, 10000));
    char pathway [37], sil_pathway [37];
    cr_assert_eq (s_refer (bridge_mon, own, pathway, &result), CODE (OK), "%s", result.message);
    cr_assert_eq (s_refer (bridge_mon, other, ignored, &result), CODE (PERMISSION_DENIED));
    cr_assert (strstr (result.message, "did not refer this person"), "%s", result.message);
    sn_client_t *sil_mon = ts_client_as (h->mon_request, sil_cert, h->mon_cert);
    Snodo__Monitoring__ReferRequest refer = SNODO__MONITORING__REFER_REQUEST__INIT;
    refer.person_id = other;
    Snodo__Monitoring__Pathway *w = NULL;
    cr_assert_eq (sn_client_call (sil_mon, "monitoring.Refer", "placement", &refer.base,
                                  &snodo__monitoring__pathway__descriptor, (ProtobufCMessage **) &w, &result), CODE (OK));
    snprintf (sil_pathway, sizeof sil_pathway, "%s", w->id);
    protobuf_c_message_free_unpacked (&w->base, NULL);
    //  it may change only what it referred
    Snodo__Monitoring__TransitionRequest step = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    step.pathway_id = sil_pathway;
    cr_assert_eq (sn_client_call (bridge_mon, "monitoring.StartIntake", "placement", &step.base, NULL, NULL, &result),
                  CODE (PERMISSION_DENIED));
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = "ritirata";
    step.pathway_id = pathway;
    step.outcome = &outcome;
    cr_assert_eq (sn_client_call (bridge_mon, "monitoring.Close", "placement", &step.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    sn_client_destroy (&bridge_mon);
    sn_client_destroy (&sil_mon);
    sn_client_destroy (&bridge);
    sn_client_destroy (&ssc);
    sn_client_destroy (&sil);
    sn_client_destroy (&service);
    zcert_destroy (&sil_cert);
    zcert_destroy (&service_cert);
}

//  --- the yearly summary ------------------------------------------------------------------------

static void
s_service (const char *pathway, const char *code, const char *day, double hours)
{
    sn_client_t *client = ts_client_as (h->mon_request, h->ssc_cert, h->mon_cert);
    Snodo__Monitoring__ServiceDelivery service = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    service.pathway_id = (char *) pathway;
    service.code = (char *) code;
    service.delivered_on = (char *) day;
    service.hours = hours;
    service.operator_name = "Anna Bianchi";
    Snodo__Monitoring__AddServiceRequest req = SNODO__MONITORING__ADD_SERVICE_REQUEST__INIT;
    req.service = &service;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "monitoring.AddService", "monitoring", &req.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    sn_client_destroy (&client);
}

static bool
s_services_totalled (void *arg)
{
    return s_count ("SELECT coalesce (sum (deliveries), 0) FROM bridge.service_total") >= *(int *) arg;
}

Test (bridge, the_summary_of_a_year_totals_the_services_of_the_persons_the_bridge_referred)
{
    s_bridge_start (NULL, NULL);
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    char *pathway = ts_sql (h->db, "SELECT pathway_id FROM bridge.referral WHERE id = 'SSC-URB-2026-0001'");
    s_service (pathway, "3A", "2026-11-19", 1.0);
    s_service (pathway, "3A", "2026-11-20", 0.75);
    s_service (pathway, "3Bc", "2026-11-21", 3.5);
    free (pathway);
    int want = 3;
    cr_assert (ts_wait (s_services_totalled, &want, 20000), "the deliveries did not reach the bridge");
    //  every detail of a refusal: it failed once under load with nothing on standard error
    int rc = ts_snodoctl (h->dir, "bridge summary 2026");
    cr_assert_eq (rc, 0, "exit %d; out: %s; err: %s", rc, ts_read (h->dir, "out.txt"), ts_read (h->dir, "err.txt"));
    const char *path = s_path ("outbox", "snodo-summary-2026-r1.xml");
    cr_assert (s_exists ((void *) path));
    char *text = s_slurp (path, NULL);
    cr_assert (strstr (text, "<person codiceFiscale=\"QGLTTV77H30Z133U\" referral=\"SSC-URB-2026-0001\">"), "%s", text);
    cr_assert (strstr (text, "<service code=\"3A\" deliveries=\"2\" hours=\"1.75\"/>"), "%s", text);
    cr_assert (strstr (text, "<service code=\"3Bc\" deliveries=\"1\" hours=\"3.50\"/>"), "%s", text);
    cr_assert (strstr (text, "year=\"2026\" revision=\"1\""), "%s", text);
    free (text);
    //  asked again: the next revision
    rc = ts_snodoctl (h->dir, "bridge summary 2026");
    cr_assert_eq (rc, 0, "exit %d; out: %s; err: %s", rc, ts_read (h->dir, "out.txt"), ts_read (h->dir, "err.txt"));
    cr_assert (s_exists ((void *) s_path ("outbox", "snodo-summary-2026-r2.xml")));
    cr_assert_eq (ts_snodoctl (h->dir, "bridge summary 1999"), 1, "a year out of range is refused");
    //  a summary that cannot be written says which step failed, and why
    char outbox [512], away [520];
    snprintf (outbox, sizeof outbox, "%s", s_path ("outbox", NULL));
    snprintf (away, sizeof away, "%s.away", outbox);
    cr_assert_eq (rename (outbox, away), 0);
    rc = ts_snodoctl (h->dir, "bridge summary 2026");
    cr_assert_eq (rename (away, outbox), 0);
    cr_assert_eq (rc, 1);
    char *said = ts_read (h->dir, "err.txt");
    cr_expect (strstr (said, "could not write snodo-summary-2026-r3.xml (writing it): No such file or directory"),
               "%s", said);
    free (said);
    cr_expect_eq (s_count ("SELECT count (*) FROM bridge.summary_file WHERE year = 2026"), 2,
                  "a summary that was not written is not recorded");
}

//  --- reconcile ------------------------------------------------------------------------------

static bool
s_hub_phone_is (void *arg)
{
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM bridge.hub_person WHERE phone = '%s'", (const char *) arg);
    return s_count (sql) == 1;
}

Test (bridge, reconcile_names_the_referrals_on_which_the_hub_and_the_social_record_disagree)
{
    s_bridge_start (NULL, NULL);
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    //  a withdrawal the hub refuses (dated before the referral), a referral it refuses
    const char *later = HEAD
        "  <update id=\"SSC-NOR-2026-0001-U1\" referral=\"SSC-NOR-2026-0001\" date=\"2026-11-01\">\n"
        "    <withdrawn><reason>errore</reason></withdrawn>\n"
        "  </update>\n"
        "  <referral id=\"SSC-URB-2026-0009\" date=\"2026-11-18\">\n"
        "    <person><codiceFiscale>BNCLRA85M41Z112X</codiceFiscale><surname>Bianco</surname><name>Laura</name></person>\n"
        "    <ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>prova</reason>\n"
        "    <objective>9</objective>\n"
        "    <consent date=\"2026-11-15\"><grant purpose=\"placement\" to=\"cpi\"/></consent>\n"
        "  </referral>\n" TAIL;
    s_drop ("later.xml", later, strlen (later));
    s_wait_exists (s_path ("processed", "later.xml.report"), 60000);
    //  the SSC changes the phone in the hub itself
    sn_client_t *ssc = ts_client_as (h->reg->request, h->ssc_cert, h->reg->cert);
    char *id = ts_sql (h->db, "SELECT person_id FROM bridge.referral WHERE id = 'SSC-URB-2026-0001'");
    Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    get.id = id;
    Snodo__Registry__Person *p = NULL;
    cr_assert_eq (sn_client_call (ssc, "registry.GetPerson", "placement", &get.base, &snodo__registry__person__descriptor,
                                  (ProtobufCMessage **) &p, NULL), CODE (OK));
    sn_set_string (&p->phone, "+39 0434 999999");
    Snodo__Registry__UpdatePersonRequest update = SNODO__REGISTRY__UPDATE_PERSON_REQUEST__INIT;
    update.person = p;
    cr_assert_eq (sn_client_call (ssc, "registry.UpdatePerson", "placement", &update.base, NULL, NULL, NULL), CODE (OK));
    protobuf_c_message_free_unpacked (&p->base, NULL);
    free (id);
    sn_client_destroy (&ssc);
    cr_assert (ts_wait (s_hub_phone_is, "+39 0434 999999", 20000), "the bridge did not hear of the change");
    cr_assert_eq (ts_snodoctl (h->dir, "bridge reconcile"), 0, "%s", ts_read (h->dir, "err.txt"));
    char *out = ts_read (h->dir, "out.txt");
    cr_assert (strstr (out, "SSC-NOR-2026-0001  VRDGPP70C15Z404H  WITHDRAWN_BUT_OPEN  withdrawn"), "%s", out);
    cr_assert (strstr (out, "SSC-URB-2026-0001  QGLTTV77H30Z133U  CONTACT_DIFFERS"), "%s", out);
    cr_assert (strstr (out, "+39 0434 999999"), "%s", out);
    cr_assert (strstr (out, "SSC-URB-2026-0009  BNCLRA85M41Z112X  NOT_ACCEPTED"), "%s", out);
    cr_assert (strstr (out, "(3)"), "only the three disagree: %s", out);
    free (out);
}

//  --- the year's summary by itself, meetings held, a close not sent yet, the progress bar ------------

//  A file with one referral of person n, dated date (caller frees).
static char *
s_referral_file (const char *id, int n, const char *date)
{
    char cf [17];
    ts_codice_fiscale (n, cf);
    return zsys_sprintf (HEAD
        "  <referral id=\"%s\" date=\"%s\">\n"
        "    <person><codiceFiscale>%s</codiceFiscale><surname>Verdi</surname><name>Gino</name></person>\n"
        "    <ambito>urbano</ambito><socialWorker>Anna Bianchi</socialWorker><reason>prova</reason>\n"
        "    <objective>9</objective>\n"
        "    <consent date=\"%s\"><grant purpose=\"placement\" to=\"cpi\"/></consent>\n"
        "  </referral>\n" TAIL, id, date, cf, date);
}

Test (bridge, the_year_before_s_summary_is_written_by_itself_once_from_summary_day_on)
{
    char *last_year = ts_sql (h->db, "SELECT extract (year FROM now ())::int - 1");
    char *tomorrow = ts_sql (h->db, "SELECT to_char (now () + interval '1 day', 'MM-DD')");
    int year = atoi (last_year);
    bool can_wait = !streq (tomorrow, "01-01");     //  on 31 December every day of the year has come
    char settings [64], date [16], name [64], cf [17];
    snprintf (settings, sizeof settings, "    summary_day = \"%s\"\n", can_wait ? tomorrow : "01-01");
    s_bridge_start (settings, NULL);
    snprintf (date, sizeof date, "%d-12-01", year);
    char *text = s_referral_file ("SSC-URB-SUM-0001", 4100, date);
    s_drop ("sum.xml", text, strlen (text));
    zstr_free (&text);
    s_wait_exists (s_path ("processed", "sum.xml.report"), 60000);
    char *pathway = ts_sql (h->db, "SELECT pathway_id FROM bridge.referral WHERE id = 'SSC-URB-SUM-0001'");
    snprintf (date, sizeof date, "%d-12-15", year);
    s_service (pathway, "3A", date, 2.0);
    snprintf (date, sizeof date, "%d-12-16", year);
    s_service (pathway, "3A", date, 1.5);
    int want = 2;
    cr_assert (ts_wait (s_services_totalled, &want, 20000), "the deliveries did not reach the bridge");
    snprintf (name, sizeof name, "snodo-summary-%d-r1.xml", year);
    if (can_wait) {
        zclock_sleep (1000);                        //  five of the writer's passes
        cr_assert_not (s_exists (s_path ("outbox", name)), "written before its day");
        bh_stop (h, SIGTERM);
        s_bridge_start ("    summary_day = \"01-01\"\n", NULL);
    }
    s_wait_exists (s_path ("outbox", name), 20000);
    char *summary = s_slurp (s_path ("outbox", name), NULL), expected [160];
    ts_codice_fiscale (4100, cf);
    snprintf (expected, sizeof expected, "<person codiceFiscale=\"%s\" referral=\"SSC-URB-SUM-0001\">", cf);
    cr_expect (strstr (summary, expected), "%s", summary);
    cr_expect (strstr (summary, "<service code=\"3A\" deliveries=\"2\" hours=\"3.50\"/>"), "%s", summary);
    snprintf (expected, sizeof expected, "year=\"%d\" revision=\"1\"", year);
    cr_expect (strstr (summary, expected), "%s", summary);
    zclock_sleep (1000);
    snprintf (name, sizeof name, "snodo-summary-%d-r2.xml", year);
    cr_expect_not (s_exists (s_path ("outbox", name)), "written again by itself");
    cr_expect_eq (s_count ("SELECT count (*) FROM bridge.summary_file"), 1);
    free (summary);
    free (pathway);
    free (tomorrow);
    free (last_year);
}

//  A company's post with places for a test's pathways, made once per test
//  (each runs in a process of its own): a project is placed only on a post
//  the registry has.
static char s_post [37], s_company [37];

static void
s_post_of_company (void)
{
    if (*s_post)
        return;
    ts_company_post_t spec = {"00743110157", "Ristorazione Zanin S.r.l.", 40, 100, 20, NULL};
    sn_result_t result;
    cr_assert_eq (ts_company_post (h->reg, &spec, s_company, s_post, &result), CODE (OK), "%s", result.message);
}

//  A pathway the bridge referred (2026-11-18), carried to ACTIVE by the SSC on 2026-11-19, its start.
static void
s_to_active (const char *pathway)
{
    sn_client_t *ssc = ts_client_as (h->mon_request, h->ssc_cert, h->mon_cert);
    s_post_of_company ();
    Snodo__Monitoring__TransitionRequest step = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    step.pathway_id = (char *) pathway;
    step.post_id = s_post;
    step.employer_id = s_company;
    step.date = "2026-11-19";       //  every step on the start's day: the dates in order
    static const char *methods [] = {"monitoring.StartIntake", "monitoring.StartAssessment", "monitoring.StartMatching",
                                     "monitoring.PresentProject", NULL};
    sn_result_t result;
    for (int i = 0; methods [i]; i++) {
        int code = CODE (FAILED_PRECONDITION);
        for (int attempt = 0; attempt < 100 && code == CODE (FAILED_PRECONDITION); attempt++) {
            if (attempt)
                zclock_sleep (50);      //  monitoring has not heard of the post yet
            code = sn_client_call (ssc, methods [i], "monitoring", &step.base, NULL, NULL, &result);
        }
        cr_assert_eq (code, CODE (OK), "%s: %s", methods [i], result.message);
    }
    Snodo__Monitoring__Agreement a = SNODO__MONITORING__AGREEMENT__INIT;
    a.host_id = "company-1";
    a.post_id = "post-1";
    a.objectives = "autonomia nelle mansioni";
    a.start_date = "2026-11-19";
    a.end_date = "2027-05-19";
    a.weekly_hours = 20;
    Snodo__Monitoring__SetAgreementRequest agreement = SNODO__MONITORING__SET_AGREEMENT_REQUEST__INIT;
    agreement.pathway_id = (char *) pathway;
    agreement.agreement = &a;
    cr_assert_eq (sn_client_call (ssc, "monitoring.SetAgreement", "monitoring", &agreement.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (sn_client_call (ssc, "monitoring.SignAgreement", "monitoring", &step.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    cr_assert_eq (sn_client_call (ssc, "monitoring.Activate", "monitoring", &step.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    sn_client_destroy (&ssc);
}

static bool
s_outbox_has (void *needle)
{
    bool found = false;
    DIR *d = opendir (s_path ("outbox", NULL));
    for (struct dirent *e = d ? readdir (d) : NULL; e && !found; e = readdir (d))
        if (strncmp (e->d_name, "snodo-events-", 13) == 0) {
            char *text = s_slurp (s_path ("outbox", e->d_name), NULL);
            found = text && strstr (text, (const char *) needle);
            free (text);
        }
    if (d)
        closedir (d);
    return found;
}

Test (bridge, a_meeting_held_goes_out_as_a_meeting_held_event_of_its_pathway)
{
    s_bridge_start (NULL, NULL);
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    char *pathway = ts_sql (h->db, "SELECT pathway_id FROM bridge.referral WHERE id = 'SSC-URB-2026-0001'");
    s_to_active (pathway);
    sn_client_t *ssc = ts_client_as (h->mon_request, h->ssc_cert, h->mon_cert);
    Snodo__Monitoring__RecordMeetingRequest record = SNODO__MONITORING__RECORD_MEETING_REQUEST__INIT;
    char *participants [2] = {"ssc-urbano", "persona"};
    record.pathway_id = pathway;
    record.number = 1;
    record.held_on = "2026-11-27";
    record.participants = participants;
    record.n_participants = 2;
    sn_result_t result;
    cr_assert_eq (sn_client_call (ssc, "monitoring.RecordMeeting", "monitoring", &record.base, NULL, NULL, &result),
                  CODE (OK), "%s", result.message);
    sn_client_destroy (&ssc);
    cr_assert (ts_wait (s_outbox_has, "type=\"meeting_held\"", 30000), "no meeting_held event went out");
    cr_expect (s_outbox_has ("<meeting number=\"1\" kind=\"JOINT\" held=\"2026-11-27\"/>"), "the meeting's element");
    char sql [300];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM bridge.outbound_event WHERE type = 'meeting_held' "
              "AND kind = 'meeting' AND pathway_id = '%s' AND state = 7", pathway);
    cr_expect_eq (s_count (sql), 1, "one event, of the pathway, while ACTIVE");
    free (pathway);
}

//  True once the bridge holds the pathway of arg closed.
static bool
s_closed_here (void *arg)
{
    char sql [200];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM bridge.hub_pathway WHERE id = '%s' AND state = 9",
              (const char *) arg);
    return s_count (sql) == 1;
}

//  The pathway's close is behind the outbound cursor: its file is out and
//  the cursor moved (the file is renamed into outbox/ just before).
static bool
s_close_sent (void *arg)
{
    char sql [400];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM bridge.outbound_event WHERE pathway_id = '%s' "
              "AND type = 'closed' AND seq <= (SELECT last_seq FROM bridge.outbound_cursor)", (const char *) arg);
    return s_count (sql) == 1;
}

Test (bridge, reconcile_names_a_closed_pathway_whose_event_is_not_in_a_file_yet)
{
    s_bridge_start ("    outbound_interval_ms = 3600000\n", NULL);      //  nothing written for an hour
    s_drop_file ("example.xml", SNODO_SOURCE_DIR "/docs/examples/inbound-referrals.xml");
    s_wait_exists (s_path ("processed", "example.xml.report"), 60000);
    char *pathway = ts_sql (h->db, "SELECT pathway_id FROM bridge.referral WHERE id = 'SSC-URB-2026-0001'");
    sn_client_t *ssc = ts_client_as (h->mon_request, h->ssc_cert, h->mon_cert);
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    outcome.reason = "trasferita in altra regione";
    Snodo__Monitoring__TransitionRequest close = SNODO__MONITORING__TRANSITION_REQUEST__INIT;
    close.pathway_id = pathway;
    close.outcome = &outcome;
    sn_result_t result;
    cr_assert_eq (sn_client_call (ssc, "monitoring.Close", "monitoring", &close.base, NULL, NULL, &result), CODE (OK),
                  "%s", result.message);
    sn_client_destroy (&ssc);
    cr_assert (ts_wait (s_closed_here, pathway, 20000), "the bridge did not hear of the close");
    cr_assert_eq (ts_snodoctl (h->dir, "bridge reconcile"), 0, "%s", ts_read (h->dir, "err.txt"));
    char *out = ts_read (h->dir, "out.txt");
    cr_expect (strstr (out, "SSC-URB-2026-0001  QGLTTV77H30Z133U  CLOSED_NOT_SENT  referred"), "%s", out);
    free (out);
    //  once its file is out, nothing to say
    bh_stop (h, SIGTERM);
    s_bridge_start (NULL, NULL);
    cr_assert (ts_wait (s_outbox_has, "type=\"closed\"", 20000), "the close did not go out");
    cr_assert (ts_wait (s_close_sent, pathway, 20000), "the outbound cursor did not pass the close");
    cr_assert_eq (ts_snodoctl (h->dir, "bridge reconcile"), 0, "%s", ts_read (h->dir, "err.txt"));
    out = ts_read (h->dir, "out.txt");
    cr_expect_null (strstr (out, "CLOSED_NOT_SENT"), "%s", out);
    free (out);
    free (pathway);
}

//  The bars of a terminal's output (each after a '\r'): how many, whether their
//  percentages never went down, and the last one.
static int
s_bars (const char *output, bool *rising, const char **last)
{
    int bars = 0, before = -1;
    *rising = true;
    *last = NULL;
    for (const char *at = strchr (output, '\r'); at; at = strchr (at + 1, '\r')) {
        if (at [1] != '[')
            continue;
        const char *close = strchr (at, ']');
        int percent = close ? atoi (close + 1) : -1;
        *rising = *rising && percent >= before;
        before = percent;
        *last = at + 1;
        bars++;
    }
    return bars;
}

Test (bridge, import_draws_a_progress_bar_on_a_terminal_and_prints_one_line_elsewhere)
{
    s_bridge_start (NULL, NULL);
    char path [600], cmd [2400];
    snprintf (path, sizeof path, "%s/bar.xml", h->dir);
    FILE *file = fopen (path, "w");
    cr_assert (file && bh_referrals (file, 7000, 1500) == 0);
    fclose (file);
    snprintf (cmd, sizeof cmd, "script -qec '%s -c %s/snodo.cfg bridge import %s' /dev/null >%s/tty.txt 2>&1",
              SNODOCTL_PATH, h->dir, path, h->dir);
    int status = system (cmd);
    cr_assert (WIFEXITED (status) && WEXITSTATUS (status) == 0, "%s", ts_read (h->dir, "tty.txt"));
    char *tty = ts_read (h->dir, "tty.txt");
    bool rising;
    const char *last;
    int bars = s_bars (tty, &rising, &last);
    cr_expect_geq (bars, 2, "a bar that moves: %s", tty);
    cr_expect (rising, "a bar that never goes back: %s", tty);
    cr_expect (last && strncmp (last, "[##############################] 100%  PROCESSED 1500/1500 records  "
                                "accepted 1500  rejected 0  skipped 0", 104) == 0, "%s", tty);
    cr_expect (strstr (tty, "bar.xml: processed: 1500 records, 1500 accepted, 0 rejected, 0 skipped (report: "),
               "and the line of the end: %s", tty);
    free (tty);
    //  not a terminal: that line alone
    snprintf (path, sizeof path, "%s/plain.xml", h->dir);
    file = fopen (path, "w");
    cr_assert (file && bh_referrals (file, 8500, 20) == 0);
    fclose (file);
    cr_assert_eq (ts_snodoctl (h->dir, "bridge import %s", path), 0, "%s", ts_read (h->dir, "err.txt"));
    char *out = ts_read (h->dir, "out.txt");
    cr_expect_null (strchr (out, '\r'), "%s", out);
    cr_expect (strncmp (out, "plain.xml: processed: 20 records, 20 accepted, 0 rejected, 0 skipped (report: ", 78) == 0,
               "%s", out);
    cr_expect_eq (strchr (out, '\n') - out + 1, (long) strlen (out), "one line: %s", out);
    free (out);
}

//  --- the followers' pages against their events one by one -----------------------------------

//  An event of type and seq with body packed (kept in bodies, freed by the caller).
static Snodo__Event *
s_event (Snodo__Event *e, uint64_t seq, const char *type, const ProtobufCMessage *body, uint8_t **kept)
{
    snodo__event__init (e);
    e->seq = seq;
    e->type = (char *) type;
    e->at = 1795000000000LL + (int64_t) seq * 1000;
    size_t size = protobuf_c_message_get_packed_size (body);
    *kept = (uint8_t *) malloc (size ? size : 1);
    e->body.len = protobuf_c_message_pack (body, *kept);
    e->body.data = *kept;
    return e;
}

//  A schema of the bridge's own, over the harness's database, as superuser.
static PGconn *
s_schema (const char *name)
{
    char *conninfo = ts_conninfo (h->reg->dbname, NULL), err [256];
    PGconn *db = sn_store_connect (conninfo, name, err, sizeof err);
    cr_assert (db, "%s", err);
    cr_assert_eq (sn_store_migrate (db, name, bridge_migrations, err, sizeof err), 0, "%s", err);
    zstr_free (&conninfo);
    return db;
}

//  The rows the appliers keep, as text, to compare.
static char *
s_kept (PGconn *db)
{
    return ts_sql (db, "SELECT concat_ws (' | ', "
        "(SELECT string_agg (concat_ws (',', id, codice_fiscale, municipality, address, phone, email), ';' ORDER BY id) "
        " FROM hub_person), "
        "(SELECT string_agg (concat_ws (',', id, person_id, state, outcome), ';' ORDER BY id) FROM hub_pathway), "
        "(SELECT string_agg (concat_ws (',', seq, source_seq, type, kind, pathway_id, person_id, state, "
        " (extract (epoch FROM at) * 1000)::bigint, md5 (body)), ';' ORDER BY seq) FROM outbound_event))");
}

//  Applies events one by one (alone) or as a page, in one transaction.
static void
s_apply_events (PGconn *db, Snodo__Event **events, size_t n, bool alone, bool registry)
{
    free (ts_sql (db, "BEGIN; SELECT 1"));
    int rc = 0;
    if (!alone)
        rc = registry ? br_registry_apply_page (db, events, n, (void *) "bridge")
                      : br_monitoring_apply_page (db, events, n, (void *) "bridge");
    for (size_t i = 0; alone && i < n && rc == 0; i++)
        rc = registry ? br_registry_apply (db, events [i], (void *) "bridge")
                      : br_monitoring_apply (db, events [i], (void *) "bridge");
    cr_assert_eq (rc, 0);
    free (ts_sql (db, "COMMIT; SELECT 1"));
}

Test (bridge, a_page_of_events_keeps_what_its_events_one_by_one_keep)
{
    PGconn *alone = s_schema ("bridge_alone"), *paged = s_schema ("bridge_paged");
    //  the registry's: persons of the bridge and another's, changed within the page, a team event
    Snodo__Registry__Person a, b, c;
    char cfs [3][17];
    ts_person_init (&a, 9001, cfs [0]);
    ts_person_init (&b, 9002, cfs [1]);
    ts_person_init (&c, 9003, cfs [2]);
    a.id = "00000000-0000-4000-8000-00000000000a";
    b.id = "00000000-0000-4000-8000-00000000000b";
    c.id = "00000000-0000-4000-8000-00000000000c";
    a.referred_via = c.referred_via = "bridge";
    b.referred_via = "someone-else";
    Snodo__Event events [8], *page [8];
    uint8_t *bodies [8];
    page [0] = s_event (&events [0], 1, "registry.person.created", &a.base, &bodies [0]);
    page [1] = s_event (&events [1], 2, "registry.person.created", &b.base, &bodies [1]);
    a.phone = "+39 0434 111111";
    page [2] = s_event (&events [2], 3, "registry.person.consent_granted", &a.base, &bodies [2]);
    page [3] = s_event (&events [3], 4, "registry.person.team_added", &c.base, &bodies [3]);
    a.municipality = "Sacile";
    page [4] = s_event (&events [4], 5, "registry.person.updated", &a.base, &bodies [4]);
    page [5] = s_event (&events [5], 6, "registry.person.created", &c.base, &bodies [5]);
    s_apply_events (alone, page, 6, true, true);
    s_apply_events (paged, page, 6, false, true);
    for (int i = 0; i < 6; i++)
        free (bodies [i]);
    //  monitoring's: pathways of the bridge and another's, steps, a close with its outcome
    Snodo__Monitoring__Pathway p1 = SNODO__MONITORING__PATHWAY__INIT, p2, p3;
    p1.id = "00000000-0000-4000-8000-0000000000a1";
    p1.person_id = a.id;
    p1.referred_via = "bridge";
    p1.state = SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_REFERRED;
    p2 = p3 = p1;
    p2.id = "00000000-0000-4000-8000-0000000000b2";
    p2.referred_via = "";
    p3.id = "00000000-0000-4000-8000-0000000000c3";
    p3.person_id = c.id;
    page [0] = s_event (&events [0], 11, "monitoring.pathway.referred", &p1.base, &bodies [0]);
    page [1] = s_event (&events [1], 12, "monitoring.pathway.referred", &p2.base, &bodies [1]);
    page [2] = s_event (&events [2], 13, "monitoring.pathway.referred", &p3.base, &bodies [2]);
    p1.state = SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_INTAKE;
    page [3] = s_event (&events [3], 14, "monitoring.pathway.intake", &p1.base, &bodies [3]);
    page [4] = s_event (&events [4], 15, "monitoring.pathway.team_changed", &p1.base, &bodies [4]);
    Snodo__Monitoring__Outcome outcome = SNODO__MONITORING__OUTCOME__INIT;
    outcome.kind = SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_INTERRUPTED;
    p3.state = SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED;
    p3.outcome = &outcome;
    page [5] = s_event (&events [5], 16, "monitoring.pathway.closed", &p3.base, &bodies [5]);
    s_apply_events (alone, page, 6, true, false);
    s_apply_events (paged, page, 6, false, false);
    //  and the same page again: nothing twice
    s_apply_events (paged, page, 6, false, false);
    for (int i = 0; i < 6; i++)
        free (bodies [i]);
    char *one = s_kept (alone), *other = s_kept (paged);
    cr_expect_str_eq (other, one);
    cr_expect (strstr (one, "Sacile,,+39 0434 111111"), "the last of a person's events: %s", one);
    cr_expect (strstr (one, "0000000000c3,00000000-0000-4000-8000-00000000000c,9,3"), "the close: %s", one);
    free (one);
    free (other);
    PQfinish (alone);
    PQfinish (paged);
}

//  The writer's pass sweeps the temporaries a crash left in the outbox, but
//  not a summary's that a call (snodoctl bridge summary, in a worker) is
//  writing under the summary's lock: that failed the call with "No such
//  file or directory" when a pass came in the middle.
Test (bridge, the_writer_sweeps_no_summary_a_call_is_writing)
{
    PGconn *db = s_schema ("bridge_sweep");
    char outbox [] = "/tmp/snodo-sweep-XXXXXX";
    cr_assert_not_null (mkdtemp (outbox));
    char summary [128], events [128];
    snprintf (summary, sizeof summary, "%s/.snodo-summary-2026-r1.xml.tmp", outbox);
    snprintf (events, sizeof events, "%s/.snodo-events-0000000001-0000000002.xml.tmp", outbox);
    close (open (summary, O_WRONLY | O_CREAT, 0640));
    close (open (events, O_WRONLY | O_CREAT, 0640));
    //  a call writing the summary holds its lock, as br_summary_write does
    PGconn *call = ts_db_connect (h->reg->dbname);
    free (ts_sql (call, "BEGIN; SELECT pg_advisory_xact_lock (hashtext ('bridge.summary'))"));
    br_outbound_config_t config = {.outbox = outbox, .wait_ms = 0, .max_events = 100, .summary_day = "12-31"};
    cr_assert_eq (br_writer_pass (db, &config), 0);
    cr_assert (s_exists (summary), "the pass swept a summary being written");
    cr_assert_not (s_exists (events), "a temporary never recorded was left");
    //  the call gone (a crash, say): its temporary is swept at the next pass
    free (ts_sql (call, "COMMIT; SELECT 1"));
    cr_assert_eq (br_writer_pass (db, &config), 0);
    cr_assert_not (s_exists (summary), "a summary's temporary left behind was not swept");
    //  the pass gave the lock back: a summary may begin
    free (ts_sql (call, "BEGIN; SELECT 1"));
    char *got = ts_sql (call, "SELECT pg_try_advisory_xact_lock (hashtext ('bridge.summary'))");
    cr_assert_str_eq (got, "t", "the pass kept the summary's lock");
    free (got);
    free (ts_sql (call, "COMMIT; SELECT 1"));
    PQfinish (call);
    PQfinish (db);
    rmdir (outbox);
}
