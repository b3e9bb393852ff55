/*  The journal's SQL on a real PostgreSQL: gap-free numbering of committed
    events, audit seals and their verification. */
#include "testsupport.h"
#include "sn_array.h"
#include "sn_journal.h"
#include <criterion/criterion.h>
#include <string.h>

static char *dbname;
static PGconn *a, *b;
static void *b_prepared;            //  b's prepared statements

static PGconn *
s_connect (void)
{
    char *conninfo = ts_conninfo (dbname, NULL);
    char err [256];
    PGconn *db = sn_store_connect (conninfo, "svc", err, sizeof err);
    cr_assert (db, "%s", err);
    zstr_free (&conninfo);
    return db;
}

static void
setup (void)
{
    dbname = ts_db_create ("journal");
    a = s_connect ();
    char err [256];
    cr_assert_eq (sn_store_migrate (a, "svc", NULL, err, sizeof err), 0, "%s", err);
    //  migrating twice changes nothing
    cr_assert_eq (sn_store_migrate (a, "svc", NULL, err, sizeof err), 0, "%s", err);
    b = s_connect ();
    b_prepared = sn_store_cache_new ();
}

static void
teardown (void)
{
    PQfinish (a);
    PQfinish (b);
    zhashx_destroy ((zhashx_t **) &b_prepared);
    ts_db_drop (dbname);
    zstr_free (&dbname);
}

TestSuite (journal, .init = setup, .fini = teardown, .timeout = 60);

//  Numbers what is committed; *first..*last the new range (*first > *last:
//  none), and the events numbered in *numbered (the caller frees them).
static int
s_number (PGconn *db, uint64_t *first, uint64_t *last, Snodo__ReplayReply *numbered)
{
    char err [256];
    *first = 1;
    *last = 0;
    cr_assert (db == b, "the numbering's statements are prepared on b");
    int rc = sn_journal_number_events (db, b_prepared, "svc", numbered, err, sizeof err);
    cr_assert_eq (rc, 0, "%s", err);
    if (numbered->n_events) {
        *first = numbered->events [0]->seq;
        *last = numbered->last_seq;
    }
    return rc;
}

//  The numbering's plan is made once, when the outbox may be nearly empty,
//  and kept: it must read the unnumbered rows by their partial index, never
//  the whole table, and join each by key, whatever the table grows to.
Test (journal, the_numbering_keeps_one_plan_by_the_index_of_unnumbered_rows)
{
    uint64_t first, last;
    Snodo__ReplayReply numbered = SNODO__REPLAY_REPLY__INIT;
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);     //  planned on an empty outbox
    sn_journal_replay_free (&numbered);
    free (ts_sql (a, "INSERT INTO outbox (seq, type, subject, body) SELECT g, 't', 's' || g, '\\x00' "
                     "FROM generate_series (1, 20000) g; "
                     "INSERT INTO outbox (type, subject, body) SELECT 't', 'new' || g, '\\x00' "
                     "FROM generate_series (1, 5) g"));
    char *plan = sn_journal_number_plan (b, b_prepared);
    cr_assert (plan, "no plan");
    cr_expect (strstr (plan, "outbox_unnumbered"), "not by the index of unnumbered rows:\n%s", plan);
    cr_expect (!strstr (plan, "Seq Scan") && !strstr (plan, "Bitmap"), "reads the table:\n%s", plan);
    free (plan);
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
    cr_expect_eq (numbered.n_events, 5);
    cr_expect_eq (first, 20001);
    cr_expect_eq (last, 20005);
    sn_journal_replay_free (&numbered);
}

Test (journal, a_numbering_pass_holds_a_bounded_number_of_bytes)
{
    //  three events of 3 MB: one a pass (the first of a pass whatever its size)
    free (ts_sql (b, "INSERT INTO outbox (type, subject, body) SELECT 't', 'big' || g, "
                     "convert_to (repeat ('x', 3 * 1024 * 1024), 'UTF8') FROM generate_series (1, 3) g"));
    uint64_t first, last;
    Snodo__ReplayReply numbered = SNODO__REPLAY_REPLY__INIT;
    for (uint64_t seq = 1; seq <= 3; seq++) {
        cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
        cr_assert_eq (numbered.n_events, 1, "pass %llu: %zu events", (unsigned long long) seq, numbered.n_events);
        cr_assert_eq (first, seq);
        cr_assert_eq (numbered.events [0]->body.len, 3 * 1024 * 1024);
        sn_journal_replay_free (&numbered);
    }
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
    cr_assert_eq (numbered.n_events, 0);
}

Test (journal, numbering_waits_for_commit_and_leaves_no_gap)
{
    free (ts_sql (a, "BEGIN; INSERT INTO outbox (type, subject, body) VALUES ('t', 'early', '')"));
    free (ts_sql (b, "INSERT INTO outbox (type, subject, body) VALUES ('t', 'late1', ''), ('t', 'late2', '')"));
    uint64_t first, last;
    char err [256];
    Snodo__ReplayReply numbered = SNODO__REPLAY_REPLY__INIT;
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
    cr_assert_eq (first, 1);
    cr_assert_eq (last, 2, "only committed rows are numbered");
    cr_assert_eq (numbered.n_events, 2);
    cr_assert_str_eq (numbered.events [1]->subject, "late2", "the numbered rows come back whole, in order");
    sn_journal_replay_free (&numbered);
    free (ts_sql (a, "COMMIT"));
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
    cr_assert_eq (first, 3);
    cr_assert_eq (last, 3);
    cr_assert_str_eq (numbered.events [0]->subject, "early");
    cr_assert_str_eq (numbered.events [0]->source, "svc");
    sn_journal_replay_free (&numbered);
    char *subject = ts_sql (b, "SELECT subject FROM outbox WHERE seq = 3");
    cr_assert_str_eq (subject, "early", "a row committed late gets the next number, not a hole");
    free (subject);
    //  an aborted transaction burns nothing
    free (ts_sql (a, "BEGIN; INSERT INTO outbox (type, subject, body) VALUES ('t', 'aborted', ''); ROLLBACK"));
    free (ts_sql (b, "INSERT INTO outbox (type, subject, body) VALUES ('t', 'next', '')"));
    cr_assert_eq (s_number (b, &first, &last, &numbered), 0);
    cr_assert_eq (first, 4);
    cr_assert_eq (last, 4);
    sn_journal_replay_free (&numbered);
    Snodo__ReplayReply reply = SNODO__REPLAY_REPLY__INIT;
    cr_assert_eq (sn_journal_replay (b, NULL, "svc", 2, 10, &reply, err, sizeof err), 0);
    cr_assert_eq (reply.n_events, 3);
    cr_assert_eq (reply.events [0]->seq, 2);
    cr_assert_eq (reply.events [2]->seq, 4);
    cr_assert_eq (reply.last_seq, 4);
    cr_assert_eq (reply.events [0]->event_id.len, 16);
    sn_journal_replay_free (&reply);
}

static void
s_audit (PGconn *db, int n)
{
    for (int i = 0; i < n; i++) {
        char sql [256];
        snprintf (sql, sizeof sql, "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
                  "VALUES ('m%d', 'registry.GetPerson', 'placement', 's%d', 0, '\\x00112233445566778899aabbccddeeff')",
                  i, i);
        free (ts_sql (db, sql));
    }
}

static Snodo__VerifyAuditReply
s_verify (const uint8_t *key)
{
    Snodo__VerifyAuditReply reply = SNODO__VERIFY_AUDIT_REPLY__INIT;
    char err [256];
    cr_assert_eq (sn_journal_verify (a, key, 32, NULL, &reply, err, sizeof err), 0, "%s", err);
    return reply;
}

//  Verifies, expecting batch to be the first broken one, for a reason that
//  names what (if given).
static void
s_expect_broken (const uint8_t *key, uint64_t batch, const char *what)
{
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert_not (v.ok, "the trail must not verify");
    cr_assert_eq (v.first_bad_batch, batch, "%s", v.problem);
    if (what)
        cr_assert (strstr (v.problem, what), "%s", v.problem);
    free (v.problem);
}

//  Seals until n entries are sealed: a transaction running meanwhile in the
//  cluster (another test's) may hold part of them back for a moment.
static void
s_seal (const uint8_t *key, int n)
{
    char err [256];
    int sealed = 0;
    for (int tries = 0; sealed < n && tries < 500; tries++) {
        int got = sn_journal_seal (a, "svc", key, 32, err, sizeof err);
        cr_assert (got >= 0, "%s", err);
        sealed += got;
        if (sealed < n)
            zclock_sleep (10);
    }
    cr_assert_eq (sealed, n);
}

Test (journal, seals_verify_and_show_tampering)
{
    uint8_t key [32] = {1, 2, 3};
    char err [256];
    s_audit (a, 7);
    s_seal (key, 7);
    s_audit (a, 3);
    s_seal (key, 3);
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 0, "nothing left to seal");
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_geq (v.batches, 2);
    cr_assert_eq (v.entries, 10);
    uint64_t last = v.batches;
    free (v.problem);
    //  another key does not verify: seals cannot be remade without it
    uint8_t other [32] = {9};
    v = s_verify (other);
    cr_assert_not (v.ok);
    free (v.problem);
    //  a deleted entry shows
    free (ts_sql (a, "DELETE FROM audit WHERE id = (SELECT max (id) FROM audit)"));
    s_expect_broken (key, last, "entries");
    //  a changed entry in the first batch shows there
    free (ts_sql (a, "UPDATE audit SET outcome = 7 WHERE id = (SELECT min (id) FROM audit)"));
    s_expect_broken (key, 1, NULL);
}

//  Restored into another cluster (pg_dump, pg_restore), the trail carries
//  the transaction ids of the old one, far ahead of the new cluster's
//  counter. Shifted here as a busier cluster's dump would have them: new
//  entries would fall below every sealed range; the clock check a service
//  runs at start moves the trail's clock past them, and sealing goes on.
Test (journal, a_trail_restored_into_another_cluster_verifies_and_seals_on)
{
    uint8_t key [32] = {7, 7, 7};
    s_audit (a, 4);
    s_seal (key, 4);
    free (ts_sql (a, "UPDATE audit SET xid = xid + 1000000000; "
                     "UPDATE audit_batch SET xid_from = CASE WHEN batch = 1 THEN xid_from ELSE xid_from + 1000000000 END, "
                     "xid_to = xid_to + 1000000000"));
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "as restored, the trail verifies: %s", v.problem);
    free (v.problem);
    //  without the check, a new entry is behind the sealed ranges: never sealed
    s_audit (a, 1);
    char err [256];
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 0, "sealed behind the ranges");
    free (ts_sql (a, "DELETE FROM audit WHERE id = (SELECT max (id) FROM audit)"));
    //  the check at start: the offset moves the clock past the trail
    char *offset = ts_sql (a, "SELECT audit_clock_check ()");
    cr_assert_gt (strtoll (offset, NULL, 10), 999000000LL, "offset %s", offset);
    free (offset);
    char *again = ts_sql (a, "SELECT audit_clock_check ()");
    char *kept = ts_sql (a, "SELECT xid_offset FROM audit_clock");
    cr_assert_str_eq (again, kept, "a second check changes nothing");
    free (again);
    free (kept);
    s_audit (a, 3);
    s_seal (key, 3);
    v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.entries, 7);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
}

//  A batch covers the transactions finished when it is sealed: an entry
//  written by one still open waits for the next batch, whatever its id.
Test (journal, an_entry_that_commits_late_is_sealed_in_a_later_batch)
{
    uint8_t key [32] = {4, 5, 6};
    char err [256];
    free (ts_sql (b, "BEGIN"));
    s_audit (b, 1);                         //  the lowest id, still open
    s_audit (a, 4);
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 0,
                  "nothing is sealed past a transaction still running");
    free (ts_sql (b, "COMMIT"));
    s_seal (key, 5);
    free (ts_sql (b, "BEGIN"));
    s_audit (b, 2);
    s_audit (a, 3);
    //  the entries of a transaction that began after the open one's wait too
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 0);
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.unsealed, 3, "the committed ones wait; the open ones are not seen yet");
    free (v.problem);
    free (ts_sql (b, "COMMIT"));
    s_seal (key, 5);
    v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_geq (v.batches, 2);
    cr_assert_eq (v.entries, 10);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
    //  an entry slipped into a sealed range, as if written back then, shows
    free (ts_sql (a, "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id, xid) "
                     "SELECT 'm', 'registry.GetPerson', 'placement', 'forged', 0, request_id, xid "
                     "FROM audit WHERE id = (SELECT min (id) FROM audit)"));
    s_expect_broken (key, 1, "entries");
    free (ts_sql (a, "DELETE FROM audit WHERE subject = 'forged'"));
    //  a range moved to leave a gap between two batches shows
    free (ts_sql (a, "UPDATE audit_batch SET xid_from = xid_from + 1 "
                     "WHERE batch = 2"));
    s_expect_broken (key, 2, "ended at");
}

//  A transaction with more entries than a batch takes (5,000) goes whole into
//  one batch, wherever its id falls after the last batch's end: transaction
//  ids are the cluster's, and other databases' transactions take some between
//  two seals.
Test (journal, a_transaction_larger_than_a_batch_is_sealed_whole)
{
    uint8_t key [32] = {7, 8, 9};
    s_audit (a, 2);
    s_seal (key, 2);
    free (ts_sql (b, "SELECT pg_current_xact_id ()"));      //  an id spent elsewhere
    free (ts_sql (a, "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
                     "SELECT 'm', 'registry.ImportPersons', 'placement', 's' || n, 0, "
                     "'\\x00112233445566778899aabbccddeeff' FROM generate_series (1, 5001) AS n"));
    s_audit (a, 3);
    s_seal (key, 5004);
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.entries, 5006);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
}

//  A backlog of more than a batch is worked off batch after batch in one
//  call, up to the batches asked for, until a batch ends at the horizon.
Test (journal, a_backlog_is_sealed_batch_after_batch)
{
    uint8_t key [32] = {10, 11, 12};
    //  eight transactions of 1,500 entries, 12,000 in all: a batch ends at a
    //  transaction's start, with 4,500 entries, less than a batch takes
    for (int t = 0; t < 8; t++)
        free (ts_sql (a, "INSERT INTO audit (member_id, method, purpose, subject, outcome, request_id) "
                         "SELECT 'm', 'registry.GetPerson', 'placement', 's' || n, 0, "
                         "'\\x00112233445566778899aabbccddeeff' FROM generate_series (1, 1500) AS n"));
    //  (other tests' transactions in the cluster may hold sealing back for a
    //  while: the calls go on until all is sealed)
    char err [256];
    int total = 0, most = 0;
    for (int tries = 0; total < 12000 && tries < 500; tries++) {
        int sealed = sn_journal_seal_backlog (a, "svc", key, 32, 2, err, sizeof err);
        cr_assert_geq (sealed, 0, "%s", err);
        cr_assert_leq (sealed, 2 * SN_JOURNAL_SEAL_MOST, "at most the two batches asked for");
        total += sealed;
        most = sealed > most ? sealed : most;
        if (total < 12000)
            zclock_sleep (10);
    }
    cr_assert_eq (total, 12000);
    cr_assert_gt (most, SN_JOURNAL_SEAL_MOST, "one call sealed more than one batch");
    cr_assert_eq (sn_journal_seal_backlog (a, "svc", key, 32, 4, err, sizeof err), 0);
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_geq (v.batches, 3);
    cr_assert_eq (v.entries, 12000);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
}

//  Batches sealed before ranges (entries naming their batch) still verify,
//  and sealing goes on after them.
Test (journal, batches_sealed_before_ranges_still_verify)
{
    uint8_t key [32] = {7, 8, 9};
    s_audit (a, 4);
    s_seal (key, 4);
    //  as migration 003 leaves batches sealed the old way
    free (ts_sql (a, "UPDATE audit e SET batch = b.batch, xid = NULL FROM audit_batch b "
                     "WHERE e.xid >= b.xid_from AND e.xid < b.xid_to; "
                     "UPDATE audit_batch SET xid_from = NULL, xid_to = NULL"));
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.entries, 4);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
    s_audit (a, 2);
    s_seal (key, 2);
    v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.entries, 6);
    cr_assert_eq (v.unsealed, 0);
    free (v.problem);
    //  an old entry changed shows in its old batch
    free (ts_sql (a, "UPDATE audit SET subject = 'changed' WHERE id = (SELECT min (id) FROM audit)"));
    s_expect_broken (key, 1, NULL);
}

//  Stored replies are kept for the configured days, then forgotten.
Test (journal, old_replies_are_forgotten)
{
    free (ts_sql (a, "INSERT INTO idempotency (request_id, member_id, method, reply, created_at) VALUES "
                     "('\\x01000000000000000000000000000000', 'm1', 'svc.Do', '\\x01', now () - interval '8 days'), "
                     "('\\x02000000000000000000000000000000', 'm1', 'svc.Do', '\\x02', now () - interval '6 days'), "
                     "('\\x03000000000000000000000000000000', 'm1', 'svc.Do', '\\x03', now ())"));
    cr_assert_eq (sn_journal_forget (a, 7), 1);
    char *left = ts_sql (a, "SELECT string_agg (encode (reply, 'hex'), ',' ORDER BY reply) FROM idempotency");
    cr_assert_str_eq (left, "02,03");
    free (left);
    cr_assert_eq (sn_journal_forget (a, 7), 0, "nothing more to forget");
    cr_assert_eq (sn_journal_forget (a, 1), 1);
}

Test (journal, idempotency_record_is_bound_to_member_and_method)
{
    uint8_t id [16] = {7};
    uint8_t reply [3] = {1, 2, 3};
    free (ts_sql (a, "INSERT INTO idempotency (request_id, member_id, method, reply) "
                     "VALUES ('\\x07000000000000000000000000000000', 'm1', 'svc.Do', '\\x010203')"));
    uint8_t *stored = NULL;
    size_t len = 0;
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m1", "svc.Do", NULL, &stored, &len), 1);
    cr_assert_eq (len, 3);
    cr_assert_eq (memcmp (stored, reply, 3), 0);
    free (stored);
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m2", "svc.Do", NULL, &stored, &len), -2);
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m1", "svc.Other", NULL, &stored, &len), -2);
    uint8_t unknown [16] = {8};
    cr_assert_eq (sn_journal_stored_reply (a, NULL, unknown, "m1", "svc.Do", NULL, &stored, &len), 0);
}

//  What sn_array builds, PostgreSQL reads back as it was given: texts with
//  every character a literal gives a meaning, NULL, numbers, cents, bytes.
Test (journal, array_literals_read_back_as_they_were_built)
{
    const char *texts [] = {"a", "say \"ciao\"", "back\\slash", "", "{,}", " lead", "NULL", "Zanè Niccolò",
                            "tab\tand\nnewline"};
    size_t n = sizeof texts / sizeof texts [0];
    sn_array_t t = SN_ARRAY_INIT, i = SN_ARRAY_INIT, c = SN_ARRAY_INIT, y = SN_ARRAY_INIT;
    for (size_t k = 0; k < n; k++) {
        sn_array_text (&t, texts [k]);
        sn_array_int (&i, (long long) k * -1000000007LL);
        sn_array_cents (&c, (double) k * 1.25 - 3);
        uint8_t bytes [2] = {(uint8_t) k, (uint8_t) (255 - k)};
        sn_array_bytea (&y, bytes, 2);
    }
    sn_array_text (&t, NULL);
    const char *params [4] = {sn_array_end (&t), sn_array_end (&i), sn_array_end (&c), sn_array_end (&y)};
    PGresult *res = PQexecParams (a,
        "SELECT t, (SELECT array_agg (x) FROM unnest ($2::bigint []) x)::text, "
        "       (SELECT array_agg (x) FROM unnest ($3::numeric (6, 2) []) x)::text, "
        "       (SELECT string_agg (encode (x, 'hex'), ',') FROM unnest ($4::bytea []) x) "
        "FROM unnest ($1::text []) WITH ORDINALITY AS u (t, o) ORDER BY o", 4, NULL, params, NULL, NULL, 0);
    cr_assert_eq (PQresultStatus (res), PGRES_TUPLES_OK, "%s", PQerrorMessage (a));
    cr_assert_eq ((size_t) PQntuples (res), n + 1);
    for (size_t k = 0; k < n; k++)
        cr_expect_str_eq (PQgetvalue (res, (int) k, 0), texts [k]);
    cr_expect (PQgetisnull (res, (int) n, 0), "NULL is a NULL element");
    cr_expect_str_eq (PQgetvalue (res, 0, 1), "{0,-1000000007,-2000000014,-3000000021,-4000000028,-5000000035,"
                      "-6000000042,-7000000049,-8000000056}");
    cr_expect_str_eq (PQgetvalue (res, 0, 2), "{-3.00,-1.75,-0.50,0.75,2.00,3.25,4.50,5.75,7.00}");
    cr_expect_str_eq (PQgetvalue (res, 0, 3), "00ff,01fe,02fd,03fc,04fb,05fa,06f9,07f8,08f7");
    PQclear (res);
    sn_array_free (&t);
    sn_array_free (&i);
    sn_array_free (&c);
    sn_array_free (&y);
}

//  Each seal's event, as the relay would publish it, witnessed in another
//  schema (another service's, "wit") as its subscriber would keep it.
static void
s_witness_seals (PGconn *witness)
{
    PGresult *res = PQexec (a, "SELECT id, type, subject, body FROM outbox WHERE type = 'journal.audit.sealed' "
                               "ORDER BY id");
    cr_assert_eq (PQresultStatus (res), PGRES_TUPLES_OK, "%s", PQerrorMessage (a));
    for (int i = 0; i < PQntuples (res); i++) {
        Snodo__Event event = SNODO__EVENT__INIT;
        event.source = "svc";
        event.seq = strtoull (PQgetvalue (res, i, 0), NULL, 10);
        event.type = PQgetvalue (res, i, 1);
        event.subject = PQgetvalue (res, i, 2);
        event.body.data = sn_store_bytea (PQgetvalue (res, i, 3), &event.body.len);
        char err [256];
        cr_assert_eq (sn_journal_witness (witness, "svc", &event, err, sizeof err), 1, "%s", err);
        free (event.body.data);
    }
    PQclear (res);
}

//  What the witness saw, as a VerifyAudit request would carry it.
static Snodo__WitnessedReply *
s_witnessed (PGconn *witness, Snodo__VerifyAuditRequest *req)
{
    Snodo__WitnessedReply *seen = (Snodo__WitnessedReply *) calloc (1, sizeof (Snodo__WitnessedReply));
    snodo__witnessed_reply__init (seen);
    char err [256];
    cr_assert_eq (sn_journal_witnessed (witness, "svc", seen, err, sizeof err), 0, "%s", err);
    req->n_witnessed = 0;
    req->witnessed = (Snodo__AuditSeal **) calloc (1 + seen->n_conflicts, sizeof (void *));
    if (seen->latest)
        req->witnessed [req->n_witnessed++] = seen->latest;
    for (size_t i = 0; i < seen->n_conflicts; i++)
        req->witnessed [req->n_witnessed++] = seen->conflicts [i];
    return seen;
}

static Snodo__VerifyAuditReply
s_verify_against (const uint8_t *key, PGconn *witness, Snodo__WitnessedReply **seen)
{
    Snodo__VerifyAuditRequest req = SNODO__VERIFY_AUDIT_REQUEST__INIT;
    *seen = s_witnessed (witness, &req);
    Snodo__VerifyAuditReply reply = SNODO__VERIFY_AUDIT_REPLY__INIT;
    char err [256];
    cr_assert_eq (sn_journal_verify (a, key, 32, &req, &reply, err, sizeof err), 0, "%s", err);
    free (req.witnessed);
    return reply;
}

//  Deleting the last sealed batch with its entries left the trail intact to
//  its own check: the seal another service witnessed shows the cut, and a
//  batch sealed again with that number shows as sealed twice.
Test (journal, a_cut_tail_shows_against_the_seals_another_service_witnessed)
{
    uint8_t key [32] = {4, 5, 6};
    char err [256];
    char *conninfo = ts_conninfo (dbname, NULL);
    PGconn *witness = sn_store_connect (conninfo, "wit", err, sizeof err);
    zstr_free (&conninfo);
    cr_assert (witness, "%s", err);
    cr_assert_eq (sn_store_migrate (witness, "wit", NULL, err, sizeof err), 0, "%s", err);
    for (int round = 0; round < 3; round++) {
        s_audit (a, 4);
        s_seal (key, 4);
    }
    s_witness_seals (witness);
    Snodo__WitnessedReply *seen;
    Snodo__VerifyAuditReply v = s_verify_against (key, witness, &seen);
    cr_assert (v.ok, "%s", v.problem);
    cr_expect_eq (v.witnessed, 1);
    cr_expect_eq (seen->latest->batch, v.last_batch);
    uint64_t last = v.last_batch;
    free (v.problem);
    snodo__witnessed_reply__free_unpacked (seen, NULL);
    //  the attack: the last batch and its entries deleted
    free (ts_sql (a, "WITH last AS (SELECT xid_from, xid_to FROM audit_batch ORDER BY batch DESC LIMIT 1) "
                     "DELETE FROM audit USING last WHERE audit.xid >= last.xid_from AND audit.xid < last.xid_to"));
    free (ts_sql (a, "DELETE FROM audit_batch WHERE batch = (SELECT max (batch) FROM audit_batch)"));
    v = s_verify (key);
    cr_expect (v.ok, "alone, the trail still looks intact: %s", v.problem);
    free (v.problem);
    v = s_verify_against (key, witness, &seen);
    cr_expect_not (v.ok, "the cut must show");
    cr_expect_eq (v.first_bad_batch, last);
    cr_expect (strstr (v.problem, "is missing"), "%s", v.problem);
    free (v.problem);
    snodo__witnessed_reply__free_unpacked (seen, NULL);
    //  new entries sealed with the number of the deleted batch
    s_audit (a, 2);
    s_seal (key, 2);
    s_witness_seals (witness);
    v = s_verify_against (key, witness, &seen);
    cr_expect_not (v.ok, "a batch sealed twice must show");
    cr_expect (strstr (v.problem, "written again"), "%s", v.problem);
    cr_expect_eq (seen->n_conflicts, 1, "the witness saw batch %llu sealed twice", (unsigned long long) last);
    free (v.problem);
    snodo__witnessed_reply__free_unpacked (seen, NULL);
    PQfinish (witness);
}
