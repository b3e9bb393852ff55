/*  The journal's SQL on a real PostgreSQL: gap-free numbering of committed
    events, audit seals and their verification. */
#include "testsupport.h"
#include "sn_journal.h"
#include <criterion/criterion.h>
#include <string.h>

static char *dbname;
static PGconn *a, *b;

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
}

static void
teardown (void)
{
    PQfinish (a);
    PQfinish (b);
    ts_db_drop (dbname);
    zstr_free (&dbname);
}

TestSuite (journal, .init = setup, .fini = teardown, .timeout = 60);

Test (journal, numbering_waits_for_commit_and_leaves_no_gap)
{
    free (ts_sql (a, "BEGIN; INSERT INTO outbox (type, subject, body) VALUES ('t', 'early', '')"));
    free (ts_sql (b, "INSERT INTO outbox (type, subject, body) VALUES ('t', 'late1', ''), ('t', 'late2', '')"));
    uint64_t first, last;
    char err [256];
    cr_assert_eq (sn_journal_number (b, NULL, "svc", &first, &last, err, sizeof err), 0, "%s", err);
    cr_assert_eq (first, 1);
    cr_assert_eq (last, 2, "only committed rows are numbered");
    free (ts_sql (a, "COMMIT"));
    cr_assert_eq (sn_journal_number (b, NULL, "svc", &first, &last, err, sizeof err), 0);
    cr_assert_eq (first, 3);
    cr_assert_eq (last, 3);
    char *subject = ts_sql (b, "SELECT subject FROM outbox WHERE seq = 3");
    cr_assert_str_eq (subject, "early", "a row committed late gets the next number, not a hole");
    free (subject);
    //  an aborted transaction burns nothing
    free (ts_sql (a, "BEGIN; INSERT INTO outbox (type, subject, body) VALUES ('t', 'aborted', ''); ROLLBACK"));
    free (ts_sql (b, "INSERT INTO outbox (type, subject, body) VALUES ('t', 'next', '')"));
    cr_assert_eq (sn_journal_number (b, NULL, "svc", &first, &last, err, sizeof err), 0);
    cr_assert_eq (first, 4);
    cr_assert_eq (last, 4);
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
    cr_assert_eq (sn_journal_verify (a, key, 32, &reply, err, sizeof err), 0, "%s", err);
    return reply;
}

Test (journal, seals_verify_and_show_tampering)
{
    uint8_t key [32] = {1, 2, 3};
    char err [256];
    s_audit (a, 7);
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 7, "%s", err);
    s_audit (a, 3);
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 3);
    cr_assert_eq (sn_journal_seal (a, "svc", key, 32, err, sizeof err), 0, "nothing left to seal");
    Snodo__VerifyAuditReply v = s_verify (key);
    cr_assert (v.ok, "%s", v.problem);
    cr_assert_eq (v.batches, 2);
    cr_assert_eq (v.entries, 10);
    free (v.problem);
    //  another key does not verify: seals cannot be remade without it
    uint8_t other [32] = {9};
    v = s_verify (other);
    cr_assert_not (v.ok);
    free (v.problem);
    //  a deleted entry shows
    free (ts_sql (a, "DELETE FROM audit WHERE id = (SELECT max (id) FROM audit WHERE batch = 2)"));
    v = s_verify (key);
    cr_assert_not (v.ok);
    cr_assert_eq (v.first_bad_batch, 2);
    cr_assert (strstr (v.problem, "entries"), "%s", v.problem);
    free (v.problem);
    //  a changed entry in the first batch shows there
    free (ts_sql (a, "UPDATE audit SET outcome = 7 WHERE id = (SELECT min (id) FROM audit)"));
    v = s_verify (key);
    cr_assert_not (v.ok);
    cr_assert_eq (v.first_bad_batch, 1);
    free (v.problem);
}

Test (journal, idempotency_record_is_bound_to_member_and_method)
{
    uint8_t id [16] = {7};
    uint8_t reply [3] = {1, 2, 3};
    free (ts_sql (a, "INSERT INTO idempotency (request_id, member_id, method, reply) "
                     "VALUES ('\\x07000000000000000000000000000000', 'm1', 'svc.Do', '\\x010203')"));
    uint8_t *stored = NULL;
    size_t len = 0;
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m1", "svc.Do", &stored, &len), 1);
    cr_assert_eq (len, 3);
    cr_assert_eq (memcmp (stored, reply, 3), 0);
    free (stored);
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m2", "svc.Do", &stored, &len), -2);
    cr_assert_eq (sn_journal_stored_reply (a, NULL, id, "m1", "svc.Other", &stored, &len), -2);
    uint8_t unknown [16] = {8};
    cr_assert_eq (sn_journal_stored_reply (a, NULL, unknown, "m1", "svc.Do", &stored, &len), 0);
}
