/*  Requests served together: a worker that finds several requests waiting
    serves them in one transaction, each after a savepoint, and writes the
    journal once. Each keeps its own outcome; a batch that cannot commit is
    served again one request at a time. The real registry, one worker, over
    CURVE; the worker is held on a table lock while the requests queue up. */
#include "testsupport.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>


static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("batch", 1);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (batch, .init = setup, .fini = teardown, .timeout = 120);

//  The SIL, registered, as a DEALER of our own.
static zsock_t *
s_sil_dealer (zcert_t **cert)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, cert);
    sn_client_destroy (&sil);
    return ts_dealer (reg->request, *cert, zcert_public_txt (reg->cert));
}

static uint32_t s_deadline_ms = 20000;      //  of the requests sent

static void
s_create (zsock_t *dealer, const uint8_t *request_id, int n, const char *cf_override)
{
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, n, cf);
    if (cf_override)
        person.codice_fiscale = (char *) cf_override;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    ts_send (dealer, request_id, "registry.CreatePerson", "placement", s_deadline_ms, &req.base);
}

static void
s_get (zsock_t *dealer, const uint8_t *request_id, const char *id)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) id;
    ts_send (dealer, request_id, "registry.GetPerson", "placement", s_deadline_ms, &req.base);
}

static int
s_code (zframe_t *frame, char **person_id)
{
    Snodo__Reply *reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    int code = reply->status ? (int) reply->status->code : -1;
    if (person_id) {
        *person_id = NULL;
        Snodo__Registry__Person *p = code == SNODO__CODE__OK
            ? snodo__registry__person__unpack (NULL, reply->body.len, reply->body.data) : NULL;
        if (p)
            *person_id = strdup (p->id);
        if (p)
            snodo__registry__person__free_unpacked (p, NULL);
    }
    snodo__reply__free_unpacked (reply, NULL);
    return code;
}

static void *
s_release (void *db)
{
    zclock_sleep (500);         //  the requests are queued in the broker by then
    PQclear (PQexec ((PGconn *) db, "COMMIT"));
    return NULL;
}


//  Holds the only worker on the person table: creates person n (request_id
//  id), which blocks on the lock; the requests sent after it queue up and
//  reach the worker together once the lock is let go.
static PGconn *
s_block_worker (zsock_t *dealer, const uint8_t *id, int n, pthread_t *thread)
{
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "BEGIN; LOCK TABLE registry.person IN EXCLUSIVE MODE"));
    pthread_create (thread, NULL, s_release, db);
    s_create (dealer, id, n, NULL);
    zclock_sleep (100);         //  it reaches the worker and waits there
    return db;
}

static void
s_id (uint8_t *id, int n)
{
    memset (id, 0xB0, 16);
    id [15] = (uint8_t) n;
}

static char *
s_cf (int n)
{
    char *cf = (char *) malloc (17);
    ts_codice_fiscale (n, cf);
    return cf;
}

//  Creates person n (request_id id) and waits for it: its id.
static char *
s_created (zsock_t *dealer, uint8_t id [16], int n)
{
    zframe_t *reply [1];
    s_create (dealer, id, n, NULL);
    cr_assert_eq (ts_replies (dealer, (uint8_t (*) [16]) id, 1, reply, 15000), 1, "no reply came");
    char *person_id = NULL;
    cr_assert_eq (s_code (reply [0], &person_id), SNODO__CODE__OK);
    zframe_destroy (&reply [0]);
    return person_id;
}

//  The n replies of a batch held by s_block_worker, then the lock let go.
static void
s_gather (zsock_t *dealer, uint8_t ids [][16], size_t n, zframe_t **replies, pthread_t thread, PGconn *lock)
{
    cr_assert_eq (ts_replies (dealer, ids, n, replies, 15000), n, "not every reply came");
    pthread_join (thread, NULL);
    PQfinish (lock);
}

static void
s_all_ok (zframe_t **replies, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq (s_code (replies [i], NULL), SNODO__CODE__OK, "request %zu: %s", i,
                      sn_code_name (s_code (replies [i], NULL)));
}

//  A create's reply carries what the row holds: version 1, both stamps the
//  transaction's now () to the ms (read once, the inserts left later).
static void
s_stamps_are_the_rows (zframe_t *frame)
{
    Snodo__Reply *reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    Snodo__Registry__Person *p = snodo__registry__person__unpack (NULL, reply->body.len, reply->body.data);
    cr_assert (p, "no person in the reply");
    char *row = ts_value (reg->dbname, "SELECT version || ' ' || registry.ms (created_at) || ' ' "
                          "|| registry.ms (updated_at) FROM registry.person WHERE id = '%s'", p->id);
    char *said = zsys_sprintf ("%u %lld %lld", p->version, (long long) p->created_at, (long long) p->updated_at);
    cr_assert_str_eq (said, row, "the reply says %s, the row %s", said, row);
    zstr_free (&said);
    free (row);
    snodo__registry__person__free_unpacked (p, NULL);
    snodo__reply__free_unpacked (reply, NULL);
}

static void
s_destroy_all (zframe_t **replies, size_t n)
{
    for (size_t i = 0; i < n; i++)
        zframe_destroy (&replies [i]);
}

//  Nine requests reach the one worker together: creates that succeed, one
//  that breaks a unique key, one with a wrong field, reads allowed and not
//  found, and the same request_id twice. Each gets its own answer; what
//  failed left nothing behind; the rest was committed in one transaction.
Test (batch, each_request_keeps_its_outcome_in_one_transaction)
{
    zcert_t *cert = NULL;
    zsock_t *dealer = s_sil_dealer (&cert);
    uint8_t ids [11][16];
    for (int i = 0; i < 11; i++)
        s_id (ids [i], i);
    memcpy (ids [9], ids [8], 16);                  //  one request_id, sent twice
    //  a person to read, created before
    char *known = s_created (dealer, ids [10], 500);

    pthread_t thread;
    PGconn *lock = s_block_worker (dealer, ids [0], 510, &thread);  //  served alone after
    s_create (dealer, ids [1], 501, NULL);          //  the batch from here on
    s_create (dealer, ids [2], 502, NULL);
    s_create (dealer, ids [3], 503, NULL);
    char *cf501 = s_cf (501);
    s_create (dealer, ids [4], 599, cf501);         //  the codice fiscale of 501 again
    s_create (dealer, ids [5], 598, "RSSMRA80A01H501X");    //  a wrong check character
    s_get (dealer, ids [6], known);
    s_get (dealer, ids [7], "00000000-0000-4000-8000-000000000000");
    s_create (dealer, ids [8], 504, NULL);
    s_create (dealer, ids [9], 504, NULL);          //  a retry, in the same batch
    zframe_t *replies [10];
    s_gather (dealer, ids, 10, replies, thread, lock);

    int expected [10] = {SNODO__CODE__OK, SNODO__CODE__OK, SNODO__CODE__OK, SNODO__CODE__OK,
                         SNODO__CODE__ALREADY_EXISTS, SNODO__CODE__INVALID_ARGUMENT, SNODO__CODE__OK,
                         SNODO__CODE__NOT_FOUND, SNODO__CODE__OK, SNODO__CODE__OK};
    for (int i = 0; i < 10; i++)
        cr_assert_eq (s_code (replies [i], NULL), expected [i], "request %d: %s, expected %s", i,
                      sn_code_name (s_code (replies [i], NULL)), sn_code_name (expected [i]));
    //  the retry got the very reply of the first
    cr_assert_eq (zframe_size (replies [8]), zframe_size (replies [9]));
    cr_assert (memcmp (zframe_data (replies [8]), zframe_data (replies [9]), zframe_size (replies [8])) == 0);

    //  one row each; the unique key that broke undid only its own request
    for (int n = 501; n <= 504; n++) {
        char *cf = s_cf (n);
        cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf), 1,
                      "person %d", n);
        free (cf);
    }
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person WHERE %s", "true"), 6);
    //  committed together: one transaction, one now ()
    char *cf502 = s_cf (502), *cf504 = s_cf (504);
    char *same = ts_value (reg->dbname, "SELECT count (DISTINCT created_at) FROM registry.person "
                          "WHERE codice_fiscale IN ('%s', '%s', '%s')", cf501, cf502, cf504);
    cr_assert_str_eq (same, "1", "the batch's creates were not one transaction");
    free (same);
    //  the key that broke made the batch run again, each call after a
    //  savepoint: each create its own subtransaction
    char *xmins = ts_value (reg->dbname, "SELECT count (DISTINCT xmin::text) FROM registry.person "
                           "WHERE codice_fiscale IN ('%s', '%s', '%s')", cf501, cf502, cf504);
    cr_assert_str_eq (xmins, "3");
    free (xmins);
    //  an event and a stored reply per create that succeeded (500, 510, 501-504)
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.outbox WHERE type = '%s'", "registry.person.created"), 6);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.idempotency WHERE method = '%s'",
                           "registry.CreatePerson"), 6);
    //  the read in the batch is audited, with its outcome
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE method = 'registry.GetPerson' "
                           "AND outcome = 0 AND subject = '%s'", known), 1);
    s_destroy_all (replies, 10);
    free (cf502);
    free (cf504);
    free (cf501);
    free (known);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
}

//  A batch in which no write fails runs without savepoints: its rows share
//  one transaction id. A write that fails after it wrote makes the batch
//  run again behind savepoints: the read before it is audited once and the
//  create before it written once.
Test (batch, savepoints_only_when_a_write_fails_after_it_wrote)
{
    zcert_t *cert = NULL;
    zsock_t *dealer = s_sil_dealer (&cert);
    uint8_t ids [9][16];
    for (int i = 0; i < 9; i++)
        s_id (ids [i], 60 + i);
    char *known = s_created (dealer, ids [8], 530);

    pthread_t thread;
    PGconn *lock = s_block_worker (dealer, ids [0], 531, &thread);
    s_create (dealer, ids [1], 532, NULL);
    s_create (dealer, ids [2], 533, NULL);
    s_create (dealer, ids [3], 534, NULL);
    zframe_t *replies [8];
    s_gather (dealer, ids, 4, replies, thread, lock);
    for (int i = 0; i < 4; i++) {
        cr_assert_eq (s_code (replies [i], NULL), SNODO__CODE__OK, "request %d", i);
        s_stamps_are_the_rows (replies [i]);
    }
    char *cf532 = s_cf (532), *cf533 = s_cf (533), *cf534 = s_cf (534);
    char *xmins = ts_value (reg->dbname, "SELECT count (DISTINCT xmin::text) FROM registry.person "
                           "WHERE codice_fiscale IN ('%s', '%s', '%s')", cf532, cf533, cf534);
    cr_assert_str_eq (xmins, "1", "savepoints in a batch where nothing failed");
    free (xmins);
    s_destroy_all (replies, 4);

    lock = s_block_worker (dealer, ids [4], 535, &thread);
    s_get (dealer, ids [5], known);
    s_create (dealer, ids [6], 536, NULL);
    s_create (dealer, ids [7], 599, cf532);         //  the codice fiscale of 532 again
    uint8_t last [4][16];
    memcpy (last, ids [4], sizeof last);
    s_gather (dealer, last, 4, replies, thread, lock);
    cr_assert_eq (s_code (replies [0], NULL), SNODO__CODE__OK);
    cr_assert_eq (s_code (replies [1], NULL), SNODO__CODE__OK);
    cr_assert_eq (s_code (replies [2], NULL), SNODO__CODE__OK);
    cr_assert_eq (s_code (replies [3], NULL), SNODO__CODE__ALREADY_EXISTS);
    char *cf536 = s_cf (536);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf536), 1);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf532), 1);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE method = 'registry.GetPerson' "
                           "AND outcome = 0 AND subject = '%s'", known), 1);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.outbox WHERE type = '%s'", "registry.person.created"), 7);
    s_destroy_all (replies, 4);
    free (cf532);
    free (cf533);
    free (cf534);
    free (cf536);
    free (known);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
}

//  Two different requests under one request_id in one batch: the journal
//  cannot store both replies, so the batch is rolled back and each request
//  served alone: the first wins, the second gets the first's reply and
//  writes nothing, the others in the batch are served all the same.
Test (batch, a_batch_that_cannot_commit_is_served_one_by_one)
{
    zcert_t *cert = NULL;
    zsock_t *dealer = s_sil_dealer (&cert);
    uint8_t ids [4][16];
    for (int i = 0; i < 4; i++)
        s_id (ids [i], 40 + i);
    memcpy (ids [2], ids [1], 16);
    pthread_t thread;
    PGconn *lock = s_block_worker (dealer, ids [0], 520, &thread);
    s_create (dealer, ids [1], 521, NULL);
    s_create (dealer, ids [2], 522, NULL);          //  another person, the same request_id
    s_create (dealer, ids [3], 523, NULL);
    zframe_t *replies [4];
    s_gather (dealer, ids, 4, replies, thread, lock);
    //  the request_id used again for another body is refused, never
    //  answered with the first request's reply
    int want [4] = {SNODO__CODE__OK, SNODO__CODE__OK, SNODO__CODE__INVALID_ARGUMENT, SNODO__CODE__OK};
    for (int i = 0; i < 4; i++)
        cr_assert_eq (s_code (replies [i], NULL), want [i], "request %d", i);
    for (int n = 520; n <= 523; n++) {
        char *cf = s_cf (n);
        cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf),
                      n == 522 ? 0 : 1, "person %d", n);
        free (cf);
    }
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.outbox WHERE type = '%s'", "registry.person.created"), 3);
    s_destroy_all (replies, 4);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
}

//  Reads that reach the worker together run without a transaction; their
//  audit entries are written in one statement, and a read with none to
//  write (WhoAmI) costs no statement of the journal at all.
Test (batch, reads_together_are_answered_and_audited)
{
    zcert_t *cert = NULL;
    zsock_t *dealer = s_sil_dealer (&cert);
    uint8_t ids [5][16];
    for (int i = 0; i < 5; i++)
        s_id (ids [i], 60 + i);
    char *known = s_created (dealer, ids [4], 530);
    pthread_t thread;
    PGconn *lock = s_block_worker (dealer, ids [0], 531, &thread);
    s_get (dealer, ids [1], known);
    s_get (dealer, ids [2], known);
    Snodo__Registry__IdentityRequest who = SNODO__REGISTRY__IDENTITY_REQUEST__INIT;
    ts_send (dealer, ids [3], "registry.WhoAmI", "placement", s_deadline_ms, &who.base);
    zframe_t *replies [4];
    s_gather (dealer, ids, 4, replies, thread, lock);
    s_all_ok (replies, 4);
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.audit WHERE method = 'registry.GetPerson' "
                           "AND outcome = 0 AND subject = '%s'", known), 2);
    s_destroy_all (replies, 4);
    free (known);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
}

//  A write of a batch whose statement runs out of time is answered like any
//  failed write: the audit entries it made are written all the same. (The
//  batch's requests all have a short deadline, so the transaction's
//  statement_timeout, set by the latest, cuts the consent's insert.)
Test (batch, a_write_out_of_time_in_a_batch_keeps_its_audit_entries)
{
    zcert_t *cert = NULL;
    zsock_t *dealer = s_sil_dealer (&cert);
    uint8_t ids [4][16];
    for (int i = 0; i < 4; i++)
        s_id (ids [i], 40 + i);
    char *person = s_created (dealer, ids [3], 520);
    PGconn *consents = ts_db_connect (reg->dbname);
    free (ts_sql (consents, "BEGIN; LOCK TABLE registry.consent IN EXCLUSIVE MODE"));
    s_deadline_ms = 1500;
    pthread_t thread;
    PGconn *lock = s_block_worker (dealer, ids [0], 521, &thread);
    Snodo__Registry__ConsentRequest grant = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    grant.person_id = person;
    grant.purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    grant.member_kind = TS_KIND (COOPERATIVA);
    ts_send (dealer, ids [1], "registry.GrantConsent", "placement", s_deadline_ms, &grant.base);
    s_create (dealer, ids [2], 522, NULL);
    s_deadline_ms = 20000;
    zframe_t *replies [3];
    s_gather (dealer, ids, 3, replies, thread, lock);
    free (ts_sql (consents, "COMMIT"));
    PQfinish (consents);
    cr_assert_eq (s_code (replies [0], NULL), SNODO__CODE__OK);
    cr_assert_eq (s_code (replies [1], NULL), SNODO__CODE__DEADLINE_EXCEEDED, "%s",
                  sn_code_name (s_code (replies [1], NULL)));
    cr_assert_eq (s_code (replies [2], NULL), SNODO__CODE__DEADLINE_EXCEEDED, "%s",
                  sn_code_name (s_code (replies [2], NULL)));
    cr_assert_eq (ts_count (reg->dbname, "SELECT count (*) FROM registry.consent WHERE person_id = '%s'", person), 0);
    char *outcome = ts_value (reg->dbname, "SELECT string_agg (outcome::text, ',') FROM registry.audit "
                             "WHERE method = 'registry.GrantConsent' AND subject = '%s'", person);
    cr_assert_eq (atoi (outcome), SNODO__CODE__DEADLINE_EXCEEDED, "the grant's audit entry: \"%s\"", outcome);
    free (outcome);
    s_destroy_all (replies, 3);
    free (person);
    zsock_destroy (&dealer);
    zcert_destroy (&cert);
}
