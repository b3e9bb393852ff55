/*  Failed events (docs/operations.md, "Failed events"): an event a
    subscriber cannot apply is tried again with back-off, then parked with
    its error (journal.ListFailed); where its type is not safe to pass the
    subscriber stops at it until an operator retries it (journal.RetryFailed)
    or skips it (journal.SkipFailed); a safe type is parked and passed at
    once; a database lost during the apply parks nothing.

    The source is a real registry; the subscriber keeps its cursor and its
    failed events in the registry's own schema, so that the registry answers
    the operator's calls about them. Its apply records each event it applies
    in a table of its own, in the subscriber's transaction: what was applied
    in effect, once or twice, and in which order; and in memory, aside until
    the transaction commits (begun and committed): what an index in memory
    would hold, which must be what was stored. */
#include "testsupport.h"
#include "sn_subscriber.h"
#include <criterion/criterion.h>
#include <pthread.h>
#include <string.h>

#define ATTEMPTS 4
#define BACKOFF_MS 200
//  the longest any wait here may take: the four tries of a round take
//  0.2 + 0.4 + 0.8 s, an operator's decision is seen within a second
#define WAIT_MS 20000

static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("failed", 2);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (failed, .init = setup, .fini = teardown, .timeout = 120);

//  What the test's apply does and saw, shared with the subscriber's thread.
typedef struct {
    pthread_mutex_t lock;
    uint64_t armed_after;       //  the first person created after this seq is poisoned (0: none yet)
    uint64_t poison_seq;        //  its event, found when it first comes
    bool fixed;                 //  the cause is fixed: it applies (once no outage is left)
    int outages;                //  tries on which the poisoned event loses the connection
    int64_t calls [64];         //  when the poisoned event was tried (ms)
    int n_calls;
    //  what the apply keeps in memory: the seqs of the open transaction,
    //  aside until it commits, then kept (as an index in memory would be)
    uint64_t aside [256], kept [1024];
    int n_aside, n_kept;
} s_test_t;

static s_test_t s_test = {.lock = PTHREAD_MUTEX_INITIALIZER};

static const sn_migration_t s_migrations [] = {
    {"900_test_applied.sql", "CREATE TABLE test_applied (n bigserial PRIMARY KEY, seq bigint NOT NULL)"},
    {NULL, NULL}
};

//  Is this the poisoned event? Records the try when it is.
static bool
s_poisoned (const Snodo__Event *event, bool *outage)
{
    pthread_mutex_lock (&s_test.lock);
    if (s_test.armed_after && !s_test.poison_seq && event->seq > s_test.armed_after
    &&  streq (event->type, "registry.person.created"))
        s_test.poison_seq = event->seq;
    bool poisoned = s_test.poison_seq && event->seq == s_test.poison_seq && (!s_test.fixed || s_test.outages > 0);
    *outage = poisoned && s_test.outages > 0;
    if (*outage)
        s_test.outages--;
    if (poisoned && s_test.n_calls < 64)
        s_test.calls [s_test.n_calls++] = zclock_mono ();
    pthread_mutex_unlock (&s_test.lock);
    return poisoned;
}

static int
s_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    //  its change in memory first, kept aside: a try that fails after it
    //  (the poisoned event's) must leave nothing of it once rolled back
    pthread_mutex_lock (&s_test.lock);
    if (s_test.n_aside < 256)
        s_test.aside [s_test.n_aside++] = event->seq;
    pthread_mutex_unlock (&s_test.lock);
    bool outage;
    if (s_poisoned (event, &outage)) {
        //  the database's own error, as an apply's statement would meet it
        PGresult *res = PQexec (db, outage ? "SELECT pg_terminate_backend (pg_backend_pid ())" : "SELECT 1 / 0");
        PQclear (res);
        return SN_APPLY_FAILED;
    }
    char seq [32];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) event->seq);
    const char *params [1] = {seq};
    PGresult *res = PQexecParams (db, "INSERT INTO test_applied (seq) VALUES ($1)", 1, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : SN_APPLY_FAILED;
    PQclear (res);
    return rc;
}

static void
s_begun (void *arg)
{
    pthread_mutex_lock (&s_test.lock);
    s_test.n_aside = 0;
    pthread_mutex_unlock (&s_test.lock);
}

static void
s_committed (void *arg)
{
    pthread_mutex_lock (&s_test.lock);
    for (int i = 0; i < s_test.n_aside && s_test.n_kept < 1024; i++)
        s_test.kept [s_test.n_kept++] = s_test.aside [i];
    s_test.n_aside = 0;
    pthread_mutex_unlock (&s_test.lock);
}

//  The seqs kept in memory, and those stored, in order: "3,4,5" (callers free).
static void
s_memory_and_stored (char **kept, char **stored)
{
    *stored = ts_value (reg->dbname, "SELECT coalesce (string_agg (seq::text, ',' ORDER BY n), '') "
                                     "FROM registry.test_applied");
    *kept = (char *) zmalloc (1024 * 21);
    size_t len = 0;
    pthread_mutex_lock (&s_test.lock);
    for (int i = 0; i < s_test.n_kept; i++)
        len += (size_t) snprintf (*kept + len, 1024 * 21 - len, "%s%llu", i ? "," : "",
                                  (unsigned long long) s_test.kept [i]);
    pthread_mutex_unlock (&s_test.lock);
}

static bool
s_memory_as_stored (void *arg)
{
    char *kept, *stored;
    s_memory_and_stored (&kept, &stored);
    bool same = streq (kept, stored);
    free (kept);
    free (stored);
    return same;
}

//  What the apply kept in memory is what its committed transactions wrote:
//  the same seqs in the same order, none from a try rolled back. (Memory
//  follows the commit: a moment is given to it.)
static void
s_expect_memory_as_stored (void)
{
    ts_wait (s_memory_as_stored, NULL, 2000);
    char *kept, *stored;
    s_memory_and_stored (&kept, &stored);
    cr_expect_str_eq (kept, stored, "kept in memory: %s; stored: %s", kept, stored);
    free (kept);
    free (stored);
}

//  --- the subscriber and its source ---------------------------------------------------

static const char *const s_pass_persons [] = {"registry.person.created", NULL};

static zactor_t *
s_subscriber_start (zcert_t *cert, const char *const *pass_types)
{
    sn_subscriber_config_t config = {
        .source = "registry",
        .events_endpoint = reg->events,
        .request_endpoint = reg->request,
        .server_key = zcert_public_txt (reg->cert),
        .cert = cert,
        .conninfo = reg->conninfo,
        .schema = "registry",
        .apply = s_apply,
        .begun = s_begun,
        .committed = s_committed,
        .migrations = s_migrations,
        .max_attempts = ATTEMPTS,
        .backoff_ms = BACKOFF_MS,
        .pass_types = pass_types,
    };
    return sn_subscriber_new (&config);
}

static uint64_t
s_published (void)
{
    return (uint64_t) ts_count (reg->dbname, "SELECT coalesce (max (seq), 0) FROM registry.outbox");
}

typedef struct {
    zactor_t *subscriber;
    uint64_t upto;
} s_upto_t;

static bool
s_cursor_reached (void *arg)
{
    s_upto_t *u = (s_upto_t *) arg;
    return ts_subscriber_cursor (u->subscriber) >= u->upto;
}

//  Waits (bounded) until the subscriber has applied or passed every event
//  published so far. Returns the cursor.
static uint64_t
s_wait_caught_up (zactor_t *subscriber)
{
    s_upto_t upto = {subscriber, s_published ()};
    cr_assert (ts_wait (s_cursor_reached, &upto, WAIT_MS), "the cursor stays at %llu, below %llu",
               (unsigned long long) ts_subscriber_cursor (subscriber), (unsigned long long) upto.upto);
    return ts_subscriber_cursor (subscriber);
}

static bool
s_parked (void *arg)
{
    return ts_count (reg->dbname, "SELECT count(*) FROM registry.failed_event WHERE state = 'parked'") > 0;
}

//  A scene: the subscriber caught up, then two persons created, the first
//  one's event poisoned: by the database's error, or by as many lost
//  connections as outages, after which it applies. Returns the id of the
//  second person (caller frees).
static char *
s_poison_next_person (zactor_t *subscriber, sn_client_t *sil, int outages)
{
    uint64_t cursor = s_wait_caught_up (subscriber);
    pthread_mutex_lock (&s_test.lock);
    s_test.armed_after = cursor;
    s_test.outages = outages;
    s_test.fixed = outages > 0;
    pthread_mutex_unlock (&s_test.lock);
    int code;
    char *first = ts_create_person (sil, 1, &code);
    cr_assert_eq (code, TS_CODE (OK));
    free (first);
    char *later = ts_create_person (sil, 2, &code);
    cr_assert_eq (code, TS_CODE (OK));
    return later;
}

static uint64_t
s_poison_seq (void)
{
    pthread_mutex_lock (&s_test.lock);
    uint64_t seq = s_test.poison_seq;
    pthread_mutex_unlock (&s_test.lock);
    return seq;
}

//  The event's tries, as rounds: calls more than 100 ms apart (a page that
//  failed, tried again one event at a time, is one try).
static int
s_tries (int64_t *at, int max)
{
    pthread_mutex_lock (&s_test.lock);
    int n = 0;
    for (int i = 0; i < s_test.n_calls; i++)
        if ((i == 0 || s_test.calls [i] - s_test.calls [i - 1] > 100) && n < max)
            at [n++] = s_test.calls [i];
    pthread_mutex_unlock (&s_test.lock);
    return n;
}

static long
s_applied (uint64_t seq)
{
    return ts_count (reg->dbname, "SELECT count(*) FROM registry.test_applied WHERE seq = %llu",
                     (unsigned long long) seq);
}

static bool
s_applied_poison (void *arg)
{
    uint64_t seq = s_poison_seq ();
    return seq && s_applied (seq) > 0;
}

//  Every event applied once, in seq order, up to upto (bar the one skipped).
static void
s_expect_once_in_order (uint64_t upto, uint64_t skipped)
{
    long disorder = ts_count (reg->dbname,
        "SELECT count(*) FROM (SELECT seq, lag (seq) OVER (ORDER BY n) AS before FROM registry.test_applied) x "
        "WHERE before IS NOT NULL AND seq <> before + 1 AND NOT (seq = before + 2 AND before + 1 = %llu)",
        (unsigned long long) skipped);
    cr_expect_eq (disorder, 0, "the events were not applied in order");
    long rows = ts_count (reg->dbname, "SELECT count(*) FROM registry.test_applied WHERE seq <= %llu",
                          (unsigned long long) upto);
    long distinct = ts_count (reg->dbname, "SELECT count(DISTINCT seq) FROM registry.test_applied WHERE seq <= %llu",
                              (unsigned long long) upto);
    cr_expect_eq (rows, distinct, "an event was applied twice");
    cr_expect_eq ((uint64_t) rows, upto - (skipped ? 1 : 0), "%ld events applied of %llu", rows,
                  (unsigned long long) upto);
}

//  Calls a journal method of the registry as the operator.
static int
s_operator (const char *method, const ProtobufCMessage *input, const ProtobufCMessageDescriptor *output_desc,
            ProtobufCMessage **output, sn_result_t *result)
{
    sn_client_t *admin = ts_admin_client (reg);
    int code = sn_client_call (admin, method, "administration", input, output_desc, output, result);
    sn_client_destroy (&admin);
    return code;
}

//  The scene up to the poisoned event parked, with its checks. Returns
//  the subscriber; *sil and *cert the caller destroys.
static zactor_t *
s_park_one (sn_client_t **sil, zcert_t **cert, const char *const *pass_types, char **later)
{
    *cert = ts_service_cert (reg, "matching");
    *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    zactor_t *subscriber = s_subscriber_start (*cert, pass_types);
    *later = s_poison_next_person (subscriber, *sil, 0);
    cr_assert (ts_wait (s_parked, NULL, WAIT_MS), "the poisoned event was never parked");
    uint64_t seq = s_poison_seq ();
    cr_assert_gt (seq, 0);
    char *row = ts_value (reg->dbname,
        "SELECT attempts || '|' || type || '|' || (error LIKE '%%division by zero%%') || '|' || passed "
        "FROM registry.failed_event WHERE source = 'registry' AND seq = %llu", (unsigned long long) seq);
    char expected [128];
    snprintf (expected, sizeof expected, "%d|registry.person.created|true|%s", ATTEMPTS, pass_types ? "true" : "false");
    cr_expect_str_eq (row, expected, "the parked row: attempts|type|the database's error|passed");
    free (row);
    return subscriber;
}

//  --- the tests ------------------------------------------------------------------------

Test (failed, a_failing_event_is_tried_with_back_off_then_parked_and_the_stream_stops_at_it)
{
    sn_client_t *sil;
    zcert_t *cert;
    char *later;
    zactor_t *subscriber = s_park_one (&sil, &cert, NULL, &later);
    uint64_t seq = s_poison_seq ();
    int64_t at [8];
    int tries = s_tries (at, 8);
    cr_expect_eq (tries, ATTEMPTS, "%d tries, not %d", tries, ATTEMPTS);
    for (int i = 1; i < tries; i++)
        cr_expect_geq (at [i] - at [i - 1], (int64_t) (BACKOFF_MS << (i - 1)) * 9 / 10,
                       "try %d came %lld ms after the one before, without its back-off", i + 1,
                       (long long) (at [i] - at [i - 1]));
    //  stopped: the later person's event is not applied, the cursor stays
    zclock_sleep (1500);
    cr_expect_eq (ts_subscriber_cursor (subscriber), seq - 1, "the subscriber went past a parked event not safe to pass");
    cr_expect_eq (ts_count (reg->dbname, "SELECT count(*) FROM registry.test_applied WHERE seq >= %llu",
                            (unsigned long long) seq), 0, "an event after the parked one was applied");
    cr_expect_eq (s_tries (at, 8), ATTEMPTS, "a parked event was tried again without an operator");
    //  the operator sees it
    Snodo__ListFailedRequest list = SNODO__LIST_FAILED_REQUEST__INIT;
    Snodo__ListFailedReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (s_operator ("journal.ListFailed", &list.base, &snodo__list_failed_reply__descriptor,
                              (ProtobufCMessage **) &reply, &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (reply->n_events, 1);
    Snodo__FailedEvent *f = reply->events [0];
    cr_expect_str_eq (f->source, "registry");
    cr_expect_eq (f->seq, seq);
    cr_expect_str_eq (f->type, "registry.person.created");
    cr_expect_str_eq (f->state, "parked");
    cr_expect_eq (f->attempts, ATTEMPTS);
    cr_expect (strstr (f->error, "division by zero"), "the error: %s", f->error);
    cr_expect (f->first_failed_at > 0 && f->last_failed_at >= f->first_failed_at);
    cr_expect_eq (f->event_id.len, 16);
    cr_expect (!f->passed);
    snodo__list_failed_reply__free_unpacked (reply, NULL);
    //  for operators only
    sn_client_t *other = ts_client_as (reg->request, cert, reg->cert);
    cr_expect_eq (sn_client_call (other, "journal.ListFailed", "administration", &list.base, NULL, NULL, &result),
                  TS_CODE (PERMISSION_DENIED));
    sn_client_destroy (&other);
    zactor_destroy (&subscriber);
    sn_client_destroy (&sil);
    zcert_destroy (&cert);
    free (later);
}

Test (failed, after_the_fix_a_retry_applies_it_once_and_the_later_events_follow_in_order)
{
    sn_client_t *sil;
    zcert_t *cert;
    char *later;
    zactor_t *subscriber = s_park_one (&sil, &cert, NULL, &later);
    uint64_t seq = s_poison_seq ();
    pthread_mutex_lock (&s_test.lock);
    s_test.fixed = true;
    pthread_mutex_unlock (&s_test.lock);
    Snodo__RetryFailedRequest retry = SNODO__RETRY_FAILED_REQUEST__INIT;
    retry.source = "registry";
    retry.seq = seq;
    Snodo__FailedEvent *f = NULL;
    sn_result_t result;
    cr_assert_eq (s_operator ("journal.RetryFailed", &retry.base, &snodo__failed_event__descriptor,
                              (ProtobufCMessage **) &f, &result), TS_CODE (OK), "%s", result.message);
    cr_expect_str_eq (f->state, "retrying");
    cr_expect_str_eq (f->decided_by, "admin");
    snodo__failed_event__free_unpacked (f, NULL);
    //  once more: it is not parked now
    cr_expect_eq (s_operator ("journal.RetryFailed", &retry.base, NULL, NULL, &result),
                  TS_CODE (FAILED_PRECONDITION), "%s", result.message);
    uint64_t upto = s_wait_caught_up (subscriber);
    cr_expect_gt (upto, seq);
    cr_expect_eq (s_applied (seq), 1, "the retried event applied %ld times", s_applied (seq));
    s_expect_once_in_order (upto, 0);
    s_expect_memory_as_stored ();
    char *state = ts_value (reg->dbname, "SELECT state FROM registry.failed_event WHERE seq = %llu",
                            (unsigned long long) seq);
    cr_expect_str_eq (state, "applied");
    free (state);
    cr_expect_geq (ts_count (reg->dbname, "SELECT count(*) FROM registry.audit "
                                          "WHERE method = 'journal.RetryFailed' AND member_id = 'admin'"), 1,
                   "the retry was not audited");
    zactor_destroy (&subscriber);
    sn_client_destroy (&sil);
    zcert_destroy (&cert);
    free (later);
}

Test (failed, a_skip_with_its_why_passes_the_event_and_is_recorded_and_audited)
{
    sn_client_t *sil;
    zcert_t *cert;
    char *later;
    zactor_t *subscriber = s_park_one (&sil, &cert, NULL, &later);
    uint64_t seq = s_poison_seq ();
    Snodo__SkipFailedRequest skip = SNODO__SKIP_FAILED_REQUEST__INIT;
    skip.source = "registry";
    skip.seq = seq;
    sn_result_t result;
    cr_expect_eq (s_operator ("journal.SkipFailed", &skip.base, NULL, NULL, &result), TS_CODE (INVALID_ARGUMENT));
    cr_expect_str_eq (result.fields [0], "why");
    skip.seq = seq + 1000;
    skip.why = "a test's event";
    cr_expect_eq (s_operator ("journal.SkipFailed", &skip.base, NULL, NULL, &result), TS_CODE (NOT_FOUND));
    //  as an operator does it: snodoctl
    char dir [] = "/tmp/snodoctl-failed-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", NULL, NULL, NULL, NULL, NULL);
    cr_expect_eq (ts_snodoctl (dir, "--service registry events failed"), 0);
    char *out = ts_read (dir, "out.txt");
    cr_expect (strstr (out, "registry.person.created") && strstr (out, "parked") && strstr (out, "division by zero"),
               "events failed:\n%s", out);
    free (out);
    cr_expect_eq (ts_snodoctl (dir, "events skip registry %llu --why 'the person was created again by hand "
                                    "(ticket 42)'", (unsigned long long) seq), 0);
    out = ts_read (dir, "out.txt");
    cr_expect (strstr (out, "skipped"), "events skip:\n%s", out);
    free (out);
    char rm [128];
    snprintf (rm, sizeof rm, "rm -rf %s", dir);
    cr_expect_eq (system (rm), 0);
    uint64_t upto = s_wait_caught_up (subscriber);
    cr_expect_gt (upto, seq);
    cr_expect_eq (s_applied (seq), 0, "the skipped event was applied");
    s_expect_once_in_order (upto, seq);
    char *row = ts_value (reg->dbname, "SELECT state || '|' || decided_by || '|' || why || '|' || "
                                       "(decided_at IS NOT NULL) FROM registry.failed_event WHERE seq = %llu",
                          (unsigned long long) seq);
    cr_expect_str_eq (row, "skipped|admin|the person was created again by hand (ticket 42)|true");
    free (row);
    cr_expect_geq (ts_count (reg->dbname, "SELECT count(*) FROM registry.audit "
                                          "WHERE method = 'journal.SkipFailed' AND member_id = 'admin' "
                                          "AND outcome = 0"), 1, "the skip was not audited");
    zactor_destroy (&subscriber);
    sn_client_destroy (&sil);
    zcert_destroy (&cert);
    free (later);
}

Test (failed, a_safe_type_is_parked_and_passed_at_once)
{
    sn_client_t *sil;
    zcert_t *cert;
    char *later;
    zactor_t *subscriber = s_park_one (&sil, &cert, s_pass_persons, &later);
    uint64_t seq = s_poison_seq ();
    uint64_t upto = s_wait_caught_up (subscriber);
    cr_expect_gt (upto, seq, "the stream did not go on past a safe type");
    cr_expect_eq (s_applied (seq), 0);
    s_expect_once_in_order (upto, seq);
    char *row = ts_value (reg->dbname, "SELECT state || '|' || decided_by FROM registry.failed_event "
                                       "WHERE seq = %llu", (unsigned long long) seq);
    cr_expect_str_eq (row, "parked|subscriber");
    free (row);
    //  retried once fixed, it is applied from its row, out of order
    pthread_mutex_lock (&s_test.lock);
    s_test.fixed = true;
    pthread_mutex_unlock (&s_test.lock);
    Snodo__RetryFailedRequest retry = SNODO__RETRY_FAILED_REQUEST__INIT;
    retry.source = "registry";
    retry.seq = seq;
    sn_result_t result;
    cr_assert_eq (s_operator ("journal.RetryFailed", &retry.base, NULL, NULL, &result), TS_CODE (OK), "%s",
                  result.message);
    cr_expect (ts_wait (s_applied_poison, NULL, WAIT_MS), "the passed event retried was not applied");
    s_expect_memory_as_stored ();
    zactor_destroy (&subscriber);
    sn_client_destroy (&sil);
    zcert_destroy (&cert);
    free (later);
}

Test (failed, a_database_lost_during_the_apply_parks_nothing)
{
    zcert_t *cert = ts_service_cert (reg, "matching");
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    zactor_t *subscriber = s_subscriber_start (cert, NULL);
    //  more lost connections than a round has tries: none is counted, and
    //  once the database answers the event applies
    char *later = s_poison_next_person (subscriber, sil, ATTEMPTS + 2);
    cr_assert (ts_wait (s_applied_poison, NULL, WAIT_MS), "the event was not applied once the database answered");
    uint64_t seq = s_poison_seq ();
    uint64_t upto = s_wait_caught_up (subscriber);
    cr_expect_gt (upto, seq);
    pthread_mutex_lock (&s_test.lock);
    cr_expect_eq (s_test.outages, 0, "%d lost connections were left", s_test.outages);
    pthread_mutex_unlock (&s_test.lock);
    cr_expect_eq (ts_count (reg->dbname, "SELECT count(*) FROM registry.failed_event"), 0,
                  "an event was parked for a lost connection");
    cr_expect_eq (s_applied (seq), 1);
    s_expect_once_in_order (upto, 0);
    s_expect_memory_as_stored ();
    free (later);
    sn_client_destroy (&sil);
    zactor_destroy (&subscriber);
    zcert_destroy (&cert);
}
