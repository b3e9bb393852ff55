/*  The runtime by itself: a service that exists only for these tests (the
    Store of runtime_test.proto, over a schema of its own), served by the
    real sn_server over CURVE on loopback, against the test cluster. No
    registry: the members are put in the ZAP table by hand. */
#include "testsupport.h"
#include "sn_log.h"
#include "runtime_test.pb-c.h"
#include "sn_check.h"
#include "sn_journal.h"
#include "sn_server_internal.h"
#include <criterion/criterion.h>
#include <iconv.h>
#include <pthread.h>
#include <sodium.h>
#include <string.h>

#define OK TS_CODE (OK)

//  --- the service -------------------------------------------------------------

static const sn_migration_t s_migrations [] = {
    {"001_store.sql", "CREATE TABLE item (key text PRIMARY KEY, value text NOT NULL)"},
    {NULL, NULL}
};

//  Put: a new item (a key used twice is ALREADY_EXISTS), its event, the key audited.
static int
s_put (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Rt__PutRequest *req = (Snodo__Rt__PutRequest *) input;
    if (!req->item)
        sn_call_violation (call, "item", "is required");
    else
        sn_check_text (call, "item.key", req->item->key, 64, true);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    sn_call_audit (call, req->item->key);
    const char *params [2] = {req->item->key, req->item->value};
    PGresult *res = sn_call_query (call, "putting the item", "INSERT INTO item (key, value) VALUES ($1, $2)",
                                   2, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    if (sn_call_event (call, "rt.item.put", req->item->key, NULL, &req->item->base))
        return sn_call_code (call);
    *output = &req->item->base;
    req->item = NULL;           //  moved into the output
    return OK;
}

//  Get: an item by key, the key audited.
static int
s_get (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Rt__GetRequest *req = (const Snodo__Rt__GetRequest *) input;
    sn_call_audit (call, req->key);
    const char *params [1] = {req->key};
    PGresult *res = sn_call_query (call, "reading the item", "SELECT value FROM item WHERE key = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return sn_call_fail (call, TS_CODE (NOT_FOUND), "no item \"%s\"", req->key);
    }
    Snodo__Rt__Item *item = (Snodo__Rt__Item *) sn_message_new (&snodo__rt__item__descriptor);
    item->key = strdup (req->key);
    item->value = strdup (PQgetvalue (res, 0, 0));
    PQclear (res);
    *output = &item->base;
    return OK;
}

//  Hold: waits until the test lets go of its advisory lock 42.
static int
s_hold (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    PGresult *res = sn_call_query (call, "holding", "SELECT pg_advisory_xact_lock (42)", 0, NULL);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    *output = sn_message_new (&snodo__rt__hold_reply__descriptor);
    return OK;
}

#define ANY SN_ANY_KIND
static const sn_method_t s_methods [] = {
    SN_METHOD (Put, s_put, ANY, SN_WRITE | SN_PERSONAL),
    SN_METHOD (Get, s_get, ANY, SN_PERSONAL),
    SN_METHOD (Hold, s_hold, ANY, SN_WRITE),
    SN_METHODS_END
};

static sn_service_t
s_service (const sn_method_t *methods)
{
    sn_service_t service = {
        .name = "store",
        .descriptor = &snodo__rt__store__descriptor,
        .methods = methods,
        .migrations = s_migrations,
    };
    return service;
}

//  --- the server under test ------------------------------------------------

static char *dbname, *conninfo, *request, *events;
static sn_auth_t *auth;
static zactor_t *zap, *server;
static zcert_t *server_cert, *member_cert, *service_cert;
static uint8_t audit_key [32] = {1, 2, 3};

static size_t max_message = 4096;      //  small, for the broker's refusals

static sn_server_config_t
s_config (int workers)
{
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*",
        .events_endpoint = "tcp://127.0.0.1:*",
        .conninfo = conninfo,
        .cert = server_cert,
        .auth = auth,
        .workers = workers,
        .max_message = max_message,
        .audit_key = audit_key,
        .audit_key_len = sizeof audit_key,
        .relay_interval_ms = 200,
    };
    return config;
}

//  Starts the store with workers; a member of kind SIL and one of kind
//  SERVICE may call it.
static void
s_start (int workers)
{
    sn_server_config_t config = s_config (workers);
    sn_service_t service = s_service (s_methods);
    server = sn_server_new (&config, &service);
    cr_assert (server, "the store did not start");
    cr_assert_eq (sn_server_endpoints (server, &request, &events), 0);
}

static void
setup (void)
{
    dbname = ts_db_create ("runtime");
    conninfo = ts_conninfo (dbname, NULL);
    auth = sn_auth_new ();
    zap = zactor_new (sn_auth_zap_actor, auth);
    server_cert = zcert_new ();
    member_cert = zcert_new ();
    service_cert = zcert_new ();
    sn_auth_put (auth, "a-sil", TS_KIND (SIL), NULL, zcert_public_txt (member_cert), false);
    sn_auth_put (auth, "a-service", TS_KIND (SERVICE), NULL, zcert_public_txt (service_cert), false);
}

static void
teardown (void)
{
    zactor_destroy (&server);
    zactor_destroy (&zap);
    sn_auth_destroy (&auth);
    zcert_destroy (&server_cert);
    zcert_destroy (&member_cert);
    zcert_destroy (&service_cert);
    zstr_free (&request);
    zstr_free (&events);
    zstr_free (&conninfo);
    ts_db_drop (dbname);
    zstr_free (&dbname);
}

TestSuite (runtime, .init = setup, .fini = teardown, .timeout = 60);

static sn_client_t *
s_client (zcert_t *cert)
{
    return ts_client_as (request, cert, server_cert);
}

static int
s_call_put (sn_client_t *client, const uint8_t *request_id, const char *key, const char *value,
            Snodo__Rt__Item **out)
{
    Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
    item.key = (char *) key;
    item.value = (char *) value;
    Snodo__Rt__PutRequest req = SNODO__RT__PUT_REQUEST__INIT;
    req.item = &item;
    sn_result_t result;
    return request_id
         ? sn_client_call_id (client, request_id, "store.Put", "care", &req.base, &snodo__rt__item__descriptor,
                              (ProtobufCMessage **) out, &result)
         : sn_client_call (client, "store.Put", "care", &req.base, &snodo__rt__item__descriptor,
                           (ProtobufCMessage **) out, &result);
}

//  --- the method table -----------------------------------------------------

Test (runtime, a_server_whose_table_lacks_an_rpc_refuses_to_start_naming_it)
{
    const sn_method_t short_table [] = {
        SN_METHOD (Put, s_put, ANY, SN_WRITE),
        SN_METHOD (Get, s_get, ANY, 0),
        SN_METHODS_END
    };
    char err [256];
    cr_assert_eq (sn_methods_check (&snodo__rt__store__descriptor, short_table, err, sizeof err), -1);
    cr_expect (strstr (err, "Hold") && strstr (err, "has no handler"), "%s", err);
    sn_server_config_t config = s_config (1);
    sn_service_t service = s_service (short_table);
    zactor_t *refused = sn_server_new (&config, &service);
    cr_expect_null (refused);
    zactor_destroy (&refused);
    cr_assert_eq (sn_methods_check (&snodo__rt__store__descriptor, s_methods, err, sizeof err), 0, "%s", err);
}

Test (runtime, a_server_with_a_handler_for_no_rpc_refuses_to_start_naming_it)
{
    const sn_method_t long_table [] = {
        SN_METHOD (Put, s_put, ANY, SN_WRITE),
        SN_METHOD (Get, s_get, ANY, 0),
        SN_METHOD (Hold, s_hold, ANY, SN_WRITE),
        SN_METHOD (Delete, s_get, ANY, SN_WRITE),
        SN_METHODS_END
    };
    char err [256];
    cr_assert_eq (sn_methods_check (&snodo__rt__store__descriptor, long_table, err, sizeof err), -1);
    cr_expect (strstr (err, "Delete") && strstr (err, "has no rpc"), "%s", err);
    sn_server_config_t config = s_config (1);
    sn_service_t service = s_service (long_table);
    zactor_t *refused = sn_server_new (&config, &service);
    cr_expect_null (refused);
    zactor_destroy (&refused);
    const sn_method_t twice [] = {
        SN_METHOD (Put, s_put, ANY, SN_WRITE),
        SN_METHOD (Put, s_put, ANY, SN_WRITE),
        SN_METHOD (Get, s_get, ANY, 0),
        SN_METHOD (Hold, s_hold, ANY, SN_WRITE),
        SN_METHODS_END
    };
    cr_assert_eq (sn_methods_check (&snodo__rt__store__descriptor, twice, err, sizeof err), -1);
    cr_expect (strstr (err, "Put") && strstr (err, "more than one"), "%s", err);
}

//  --- writes, reads, idempotency -----------------------------------------------

Test (runtime, a_write_retried_with_its_request_id_is_applied_once_and_answered_the_same)
{
    s_start (2);
    sn_client_t *client = s_client (member_cert);
    uint8_t id [16];
    memset (id, 0x5A, sizeof id);
    Snodo__Rt__Item *first = NULL, *again = NULL;
    cr_assert_eq (s_call_put (client, id, "k1", "uno", &first), OK);
    cr_assert_eq (s_call_put (client, id, "k1", "uno", &again), OK, "the retry is answered with the first reply");
    cr_expect_str_eq (again->value, "uno");
    protobuf_c_message_free_unpacked (&first->base, NULL);
    protobuf_c_message_free_unpacked (&again->base, NULL);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item"), 1);
    cr_expect_eq (ts_count (dbname, "%s", "SELECT count (*) FROM store.outbox WHERE type NOT LIKE 'journal.%'"), 1);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.idempotency"), 1);
    //  a new request for the same key is another write, refused on the key
    cr_expect_eq (s_call_put (client, NULL, "k1", "due", NULL), TS_CODE (ALREADY_EXISTS));
    //  the same request_id for another method is refused
    Snodo__Rt__GetRequest get = SNODO__RT__GET_REQUEST__INIT;
    get.key = "k1";
    sn_result_t result;
    cr_expect_eq (sn_client_call_id (client, id, "store.Hold", "", &get.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT), "%s", result.message);
    sn_client_destroy (&client);
}

Test (runtime, every_access_to_personal_data_is_audited_with_its_outcome)
{
    s_start (2);
    sn_client_t *client = s_client (member_cert);
    cr_assert_eq (s_call_put (client, NULL, "k2", "due", NULL), OK);
    Snodo__Rt__GetRequest get = SNODO__RT__GET_REQUEST__INIT;
    get.key = "k2";
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "store.Get", "care", &get.base, NULL, NULL, &result), OK);
    get.key = "nobody";
    cr_assert_eq (sn_client_call (client, "store.Get", "care", &get.base, NULL, NULL, &result), TS_CODE (NOT_FOUND));
    //  personal data needs a purpose: refused before the handler, nothing to audit
    cr_assert_eq (sn_client_call (client, "store.Get", "", &get.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    char *trail = ts_value (dbname, "SELECT string_agg (method || ' ' || subject || ' ' || outcome, ',' ORDER BY id) "
                                    "FROM store.audit");
    cr_expect_str_eq (trail, "store.Put k2 0,store.Get k2 0,store.Get nobody 5");
    free (trail);
    sn_client_destroy (&client);
}

//  --- batches ---------------------------------------------------------------------

typedef struct {
    PGconn *db;
    int delay_ms;
} s_lock_t;

static void *
s_let_go (void *arg)
{
    s_lock_t *lock = (s_lock_t *) arg;
    zclock_sleep (lock->delay_ms);
    PQclear (PQexec (lock->db, "SELECT pg_advisory_unlock (42)"));
    return NULL;
}

Test (runtime, requests_that_wait_for_a_busy_worker_commit_together_each_with_its_own_outcome)
{
    s_start (1);
    zsock_t *dealer = ts_dealer (request, member_cert, zcert_public_txt (server_cert));
    //  the only worker waits on the test's lock while the others queue up
    s_lock_t lock = {ts_db_connect (dbname), 500};
    free (ts_sql (lock.db, "SELECT pg_advisory_lock (42)"));
    uint8_t ids [6][16];
    for (int i = 0; i < 6; i++) {
        memset (ids [i], 0xC0 + i, 16);
    }
    Snodo__Rt__HoldRequest hold = SNODO__RT__HOLD_REQUEST__INIT;
    ts_send (dealer, ids [0], "store.Hold", "", 20000, &hold.base);
    zclock_sleep (200);
    const char *keys [5] = {"b1", "b2", "b1", "b3", ""};       //  a duplicate key and a bad one among good ones
    for (int i = 1; i < 6; i++) {
        Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
        item.key = (char *) keys [i - 1];
        item.value = (char *) "v";
        Snodo__Rt__PutRequest put = SNODO__RT__PUT_REQUEST__INIT;
        put.item = &item;
        ts_send (dealer, ids [i], "store.Put", "care", 20000, &put.base);
    }
    pthread_t thread;
    pthread_create (&thread, NULL, s_let_go, &lock);
    zframe_t *replies [6];
    cr_assert_eq (ts_replies (dealer, ids, 6, replies, 15000), 6);
    pthread_join (thread, NULL);
    PQfinish (lock.db);
    int want [6] = {OK, OK, OK, TS_CODE (ALREADY_EXISTS), OK, TS_CODE (INVALID_ARGUMENT)};
    for (int i = 0; i < 6; i++) {
        cr_expect_eq (ts_reply_code (replies [i], NULL, NULL), want [i], "request %d", i);
        zframe_destroy (&replies [i]);
    }
    //  the three new items: one transaction (after the failed write, the
    //  batch ran again behind savepoints, one subtransaction each)
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item"), 3);
    cr_expect_eq (ts_count (dbname, "%s", "SELECT count (*) FROM store.outbox WHERE type NOT LIKE 'journal.%'"), 3);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.idempotency WHERE method = 'store.Put'"), 3);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.audit WHERE outcome = %d", TS_CODE (ALREADY_EXISTS)),
                  1, "the failed write is audited");
    zsock_destroy (&dealer);
}

//  --- the relay --------------------------------------------------------------------

Test (runtime, committed_events_are_published_in_order_with_no_gap)
{
    s_start (2);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_apply (service_cert, sub);
    zsock_set_curve_serverkey (sub, zcert_public_txt (server_cert));
    zsock_set_subscribe (sub, "");
    cr_assert_eq (zsock_connect (sub, "%s", events), 0);
    zclock_sleep (300);         //  the subscription reaches the PUB
    sn_client_t *client = s_client (member_cert);
    for (int i = 0; i < 20; i++) {
        char key [16];
        snprintf (key, sizeof key, "e%02d", i);
        cr_assert_eq (s_call_put (client, NULL, key, "v", NULL), OK);
    }
    //  every seq once, in order, from 1; the items in the order put (the
    //  relay's seals of the audit trail come between them)
    zpoller_t *poller = zpoller_new (sub, NULL);
    uint64_t seq = 0;
    for (int item = 0; item < 20;) {
        cr_assert (zpoller_wait (poller, 5000), "item %d never came", item);
        zmsg_t *msg = zmsg_recv (sub);
        char *topic = zmsg_popstr (msg);
        zframe_t *body = zmsg_last (msg);
        if (streq (topic, "$heartbeat")) {
            zstr_free (&topic);
            zmsg_destroy (&msg);
            continue;
        }
        Snodo__Event *event = snodo__event__unpack (NULL, zframe_size (body), zframe_data (body));
        cr_assert (event);
        cr_expect_eq (event->seq, ++seq, "no gap");
        cr_expect_str_eq (event->source, "store");
        cr_expect_str_eq (event->type, topic);
        if (streq (event->type, "rt.item.put")) {
            char key [16];
            snprintf (key, sizeof key, "e%02d", item++);
            cr_expect_str_eq (event->subject, key);
        }
        else
            cr_expect_str_eq (event->type, SN_JOURNAL_SEALED);
        snodo__event__free_unpacked (event, NULL);
        zstr_free (&topic);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    //  and Replay gives the same, to a service
    sn_client_t *follower = s_client (service_cert);
    Snodo__ReplayRequest replay = SNODO__REPLAY_REQUEST__INIT;
    replay.from_seq = 5;
    Snodo__ReplayReply *got = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (follower, "journal.Replay", "", &replay.base, &snodo__replay_reply__descriptor,
                                  (ProtobufCMessage **) &got, &result), OK, "%s", result.message);
    cr_expect_eq (got->n_events, got->last_seq - 4, "every event from 5 on");
    cr_expect_eq (got->events [0]->seq, 5);
    cr_expect_geq (got->last_seq, seq);
    snodo__replay_reply__free_unpacked (got, NULL);
    //  a member that is not a service may not replay
    cr_expect_eq (sn_client_call (client, "journal.Replay", "", &replay.base, NULL, NULL, &result),
                  TS_CODE (PERMISSION_DENIED));
    sn_client_destroy (&follower);
    sn_client_destroy (&client);
    zsock_destroy (&sub);
}

//  --- the broker ----------------------------------------------------------------

Test (runtime, the_broker_answers_requests_it_refuses_itself)
{
    s_start (1);
    zsock_t *dealer = ts_dealer (request, member_cert, zcert_public_txt (server_cert));
    zsock_set_rcvtimeo (dealer, 5000);
    //  two frames
    zstr_sendm (dealer, "one");
    zstr_send (dealer, "two");
    zframe_t *reply = zframe_recv (dealer);
    cr_assert (reply, "no answer to a request of two frames");
    cr_expect_eq (ts_reply_code (reply, NULL, NULL), TS_CODE (INVALID_ARGUMENT));
    zframe_destroy (&reply);
    //  over the limit (4 KiB here)
    uint8_t id [16];
    memset (id, 7, 16);
    Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
    char big [8192];
    memset (big, 'x', sizeof big - 1);
    big [sizeof big - 1] = 0;
    item.key = "big";
    item.value = big;
    Snodo__Rt__PutRequest put = SNODO__RT__PUT_REQUEST__INIT;
    put.item = &item;
    ts_send (dealer, id, "store.Put", "care", 5000, &put.base);
    reply = zframe_recv (dealer);
    cr_assert (reply, "no answer to an oversized request");
    cr_expect_eq (ts_reply_code (reply, NULL, NULL), TS_CODE (RESOURCE_EXHAUSTED));
    zframe_destroy (&reply);
    //  not a Request at all
    zstr_send (dealer, "\xff\xff\xff");
    reply = zframe_recv (dealer);
    cr_assert (reply);
    cr_expect_eq (ts_reply_code (reply, NULL, NULL), TS_CODE (INVALID_ARGUMENT));
    zframe_destroy (&reply);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item"), 0);
    zsock_destroy (&dealer);
}

//  --- limits on events ------------------------------------------------------------

Test (runtime, a_write_whose_event_is_over_the_limit_fails_and_keeps_nothing)
{
    max_message = 1024 * 1024;
    s_start (1);
    sn_client_t *client = s_client (member_cert);
    char *value = (char *) malloc (SN_EVENT_MAX_BYTES + 1);
    memset (value, 'x', SN_EVENT_MAX_BYTES);
    value [SN_EVENT_MAX_BYTES] = 0;
    cr_expect_eq (s_call_put (client, NULL, "huge", value, NULL), TS_CODE (RESOURCE_EXHAUSTED));
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item"), 0);
    cr_expect_eq (ts_count (dbname, "%s", "SELECT count (*) FROM store.outbox WHERE type NOT LIKE 'journal.%'"), 0);
    value [SN_EVENT_MAX_BYTES - 100] = 0;
    cr_expect_eq (s_call_put (client, NULL, "large", value, NULL), OK, "just under the limit");
    free (value);
    sn_client_destroy (&client);
}

Test (runtime, a_replay_far_behind_comes_in_replies_of_bounded_size)
{
    max_message = 1024 * 1024;
    s_start (2);
    sn_client_t *client = s_client (member_cert);
    size_t size = 200 * 1024;
    char *value = (char *) malloc (size + 1);
    memset (value, 'y', size);
    value [size] = 0;
    int n = SN_REPLAY_MAX_BYTES / (int) size + 5;
    for (int i = 0; i < n; i++) {
        char key [16];
        snprintf (key, sizeof key, "r%03d", i);
        cr_assert_eq (s_call_put (client, NULL, key, value, NULL), OK);
    }
    free (value);
    sn_client_t *follower = s_client (service_cert);
    Snodo__ReplayRequest replay = SNODO__REPLAY_REQUEST__INIT;
    replay.from_seq = 1;
    int replies = 0, replayed = 0, items = 0;
    uint64_t last_seq = 1;
    while (replay.from_seq <= last_seq && replies < 2 * n) {
        Snodo__ReplayReply *got = NULL;
        sn_result_t result;
        cr_assert_eq (sn_client_call (follower, "journal.Replay", "", &replay.base, &snodo__replay_reply__descriptor,
                                      (ProtobufCMessage **) &got, &result), OK, "%s", result.message);
        cr_assert_gt (got->n_events, 0);
        size_t bytes = 0;
        for (size_t i = 0; i < got->n_events; i++) {
            cr_expect_eq (got->events [i]->seq, replay.from_seq + i, "in order, no gap");
            bytes += got->events [i]->body.len;
            items += streq (got->events [i]->type, "rt.item.put");
        }
        last_seq = got->last_seq;
        cr_expect_leq (bytes, SN_REPLAY_MAX_BYTES + size + 64, "a reply of %zu bytes", bytes);
        replayed += (int) got->n_events;
        replay.from_seq += got->n_events;
        replies++;
        snodo__replay_reply__free_unpacked (got, NULL);
    }
    cr_expect_eq (items, n);
    cr_expect_geq ((uint64_t) replayed, last_seq, "every event");
    cr_expect_geq (replies, 2, "more than one reply");
    sn_client_destroy (&follower);
    sn_client_destroy (&client);
}

//  A request the broker refuses itself, read first in a pass, left the
//  broker waiting for the next message, and every worker's reply waited
//  with it.
Test (runtime, a_request_the_broker_refuses_holds_no_other_reply)
{
    s_start (2);
    PGconn *lock = ts_db_connect (dbname);
    free (ts_sql (lock, "SELECT pg_advisory_lock (42)"));
    zsock_t *a = ts_dealer (request, member_cert, zcert_public_txt (server_cert));
    zsock_t *b = ts_dealer (request, member_cert, zcert_public_txt (server_cert));
    zsock_set_rcvtimeo (b, 5000);
    uint8_t id [1][16];
    memset (id [0], 0xAB, 16);
    Snodo__Rt__HoldRequest hold = SNODO__RT__HOLD_REQUEST__INIT;
    ts_send (a, id [0], "store.Hold", "", 20000, &hold.base);
    zclock_sleep (300);         //  a worker holds it
    zstr_sendm (b, "one");
    zstr_send (b, "two");
    zframe_t *refusal = zframe_recv (b);
    cr_assert (refusal, "the refusal came");
    zframe_destroy (&refusal);
    zclock_sleep (200);
    PQclear (PQexec (lock, "SELECT pg_advisory_unlock (42)"));
    zframe_t *reply [1];
    cr_expect_eq (ts_replies (a, id, 1, reply, 3000), 1, "the held request's reply came without another request");
    if (reply [0])
        cr_expect_eq (ts_reply_code (reply [0], NULL, NULL), OK);
    zframe_destroy (&reply [0]);
    PQfinish (lock);
    zsock_destroy (&a);
    zsock_destroy (&b);
}

Test (runtime, a_replay_from_past_the_last_sequence_is_empty_whatever_the_number)
{
    s_start (1);
    sn_client_t *client = s_client (member_cert);
    cr_assert_eq (s_call_put (client, NULL, "only", "v", NULL), OK);
    sn_client_t *follower = s_client (service_cert);
    uint64_t froms [] = {2, 1000, (uint64_t) INT64_MAX, (uint64_t) INT64_MAX + 1, UINT64_MAX};
    for (size_t i = 0; i < sizeof froms / sizeof froms [0]; i++) {
        Snodo__ReplayRequest replay = SNODO__REPLAY_REQUEST__INIT;
        replay.from_seq = froms [i];
        Snodo__ReplayReply *got = NULL;
        sn_result_t result;
        cr_assert_eq (sn_client_call (follower, "journal.Replay", "", &replay.base, &snodo__replay_reply__descriptor,
                                      (ProtobufCMessage **) &got, &result), OK, "from %llu: %s",
                      (unsigned long long) froms [i], result.message);
        cr_expect_eq (got->n_events, 0);
        snodo__replay_reply__free_unpacked (got, NULL);
    }
    sn_client_destroy (&follower);
    sn_client_destroy (&client);
}

//  True if text is UTF-8, by glibc's iconv (not the runtime's own check).
static bool
s_is_utf8 (const char *text)
{
    iconv_t cd = iconv_open ("UTF-32LE", "UTF-8");
    char *in = (char *) text;
    size_t in_left = strlen (text), out_size = in_left * 4 + 4, out_left = out_size;
    char *out = (char *) malloc (out_size), *at = out;
    size_t rc = iconv (cd, &in, &in_left, &at, &out_left);
    iconv_close (cd);
    free (out);
    return rc != (size_t) -1 && in_left == 0;
}

Test (runtime, a_nul_inside_a_string_is_refused_and_an_echo_stays_utf8)
{
    s_start (1);
    zsock_t *dealer = ts_dealer (request, member_cert, zcert_public_txt (server_cert));
    //  Put {item {key: "NA\0EXX", value: "v"}}, packed by hand: C strings
    //  cannot hold it
    uint8_t body [] = {0x0a, 0x0b, 0x0a, 0x06, 'N', 'A', 0, 'E', 'X', 'X', 0x12, 0x01, 'v'};
    Snodo__Request req = SNODO__REQUEST__INIT;
    uint8_t id [1][16];
    memset (id [0], 0x11, 16);
    req.request_id.data = id [0];
    req.request_id.len = 16;
    req.method = "store.Put";
    req.purpose = "care";
    req.body.data = body;
    req.body.len = sizeof body;
    zframe_t *frame = zframe_new (NULL, snodo__request__get_packed_size (&req));
    snodo__request__pack (&req, zframe_data (frame));
    zframe_send (&frame, dealer, 0);
    zframe_t *reply [1];
    cr_assert_eq (ts_replies (dealer, id, 1, reply, 5000), 1);
    Snodo__Reply *r = snodo__reply__unpack (NULL, zframe_size (reply [0]), zframe_data (reply [0]));
    cr_assert (r && r->status);
    cr_expect_eq (r->status->code, TS_CODE (INVALID_ARGUMENT));
    cr_assert_eq (r->status->n_violations, 1);
    cr_expect_str_eq (r->status->violations [0]->field, "item.key");
    cr_expect_str_eq (r->status->violations [0]->description, "holds a NUL byte");
    snodo__reply__free_unpacked (r, NULL);
    zframe_destroy (&reply [0]);
    cr_expect_eq (ts_count (dbname, "SELECT count (*) FROM store.item"), 0);
    //  an unknown method named in accented letters: its echo is cut at a
    //  byte count, and stays UTF-8 (a strict client reads it)
    sn_client_t *client = s_client (member_cert);
    char method [200] = "store.";
    for (int i = 0; i < 40; i++)
        strcat (method, "è");
    for (int shift = 0; shift < 3; shift++) {
        Snodo__Rt__GetRequest get = SNODO__RT__GET_REQUEST__INIT;
        sn_result_t result;
        cr_expect_eq (sn_client_call (client, method, "care", &get.base, NULL, NULL, &result),
                      TS_CODE (UNIMPLEMENTED));
        cr_expect (s_is_utf8 (result.message), "not UTF-8: %s", result.message);
        strcat (method, "x");
        memmove (method + 7, method + 6, strlen (method + 6) + 1);
        method [6] = 'a';
    }
    sn_client_destroy (&client);
    zsock_destroy (&dealer);
}

//  The wait before a worker connects again doubles from 100 ms and stops at
//  5 s: 3.2 s doubled was 6.4 s.
Test (runtime, the_reconnection_back_off_never_passes_its_cap)
{
    int ms = 100, waits [10];
    for (int i = 0; i < 10; i++)
        ms = waits [i] = sn_backoff_next (ms);
    int want [10] = {200, 400, 800, 1600, 3200, 5000, 5000, 5000, 5000, 5000};
    for (int i = 0; i < 10; i++)
        cr_expect_eq (waits [i], want [i], "wait %d: %d ms", i, waits [i]);
}

static uint64_t s_refused_want;

static bool
s_refused_enough (void *arg)
{
    return sn_auth_refused ((sn_auth_t *) arg) >= s_refused_want;
}

//  500 refused handshakes wrote 500 log lines (50 KB in 1.6 s): now the
//  first of a window is logged, and a count of the rest after it.
Test (runtime, refused_handshakes_are_counted_and_logged_a_line_a_window)
{
    s_start (1);
    char path [] = "/tmp/snodo-zaplog-XXXXXX";
    int fd = mkstemp (path);
    FILE *log = fdopen (fd, "w+");
    sn_log_stream (log);
    for (int i = 0; i < 100; i++) {
        zcert_t *stranger = zcert_new ();
        zsock_t *dealer = ts_dealer (request, stranger, zcert_public_txt (server_cert));
        zstr_send (dealer, "hello");
        s_refused_want = (uint64_t) i + 1;
        cr_assert (ts_wait (s_refused_enough, auth, 5000), "handshake %d was not refused", i);
        zsock_destroy (&dealer);
        zcert_destroy (&stranger);
    }
    fflush (log);
    rewind (log);
    char line [512];
    int lines = 0;
    while (fgets (line, sizeof line, log))
        lines += strstr (line, "refused") != NULL;
    sn_log_stream (NULL);
    fclose (log);
    unlink (path);
    cr_expect_leq (lines, 3, "%d log lines for 100 refusals", lines);
    cr_expect_geq (lines, 1, "the first refusal is logged");
}

//  A key the network does not know, or a member revoked, is told so within
//  a second (the handshake's refusal, seen by the client's socket monitor),
//  not at its deadline; a revoked member's live connection serves no more.
Test (runtime, a_refused_client_is_told_so_within_a_second)
{
    s_start (1);
    zcert_t *stranger = zcert_new ();
    sn_client_t *client = s_client (stranger);
    sn_client_set_deadline (client, 10000);
    Snodo__Rt__GetRequest get = SNODO__RT__GET_REQUEST__INIT;
    get.key = "k";
    sn_result_t result;
    int64_t t0 = zclock_mono ();
    cr_expect_eq (sn_client_call (client, "store.Get", "care", &get.base, NULL, NULL, &result),
                  TS_CODE (UNAUTHENTICATED), "%s", result.message);
    cr_expect_lt (zclock_mono () - t0, 1000, "told after %lld ms", (long long) (zclock_mono () - t0));
    cr_expect (strstr (result.message, "refused this certificate"), "%s", result.message);
    sn_client_destroy (&client);
    zcert_destroy (&stranger);
    //  a member, served, then revoked: its open connection is refused at once
    client = s_client (member_cert);
    cr_assert_eq (s_call_put (client, NULL, "before", "v", NULL), OK);
    sn_auth_put (auth, "a-sil", TS_KIND (SIL), NULL, zcert_public_txt (member_cert), true);
    t0 = zclock_mono ();
    cr_expect_eq (sn_client_call (client, "store.Get", "care", &get.base, NULL, NULL, &result),
                  TS_CODE (UNAUTHENTICATED), "%s", result.message);
    cr_expect_lt (zclock_mono () - t0, 1000);
    sn_client_destroy (&client);
    //  and a new connection of the revoked member: refused at the handshake
    client = s_client (member_cert);
    t0 = zclock_mono ();
    cr_expect_eq (sn_client_call (client, "store.Get", "care", &get.base, NULL, NULL, &result),
                  TS_CODE (UNAUTHENTICATED), "%s", result.message);
    cr_expect_lt (zclock_mono () - t0, 1000);
    cr_expect (strstr (result.message, "refused this certificate"), "%s", result.message);
    sn_client_destroy (&client);
}

//  A subscriber to the events: its SUB socket, connected as cert.
static zsock_t *
s_subscriber (zcert_t *cert)
{
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_apply (cert, sub);
    zsock_set_curve_serverkey (sub, zcert_public_txt (server_cert));
    zsock_set_subscribe (sub, "");
    cr_assert_eq (zsock_connect (sub, "%s", events), 0);
    return sub;
}

//  True if sub hears anything (a heartbeat at least: every 200 ms here)
//  within ms.
static bool
s_hears (zsock_t *sub, int ms)
{
    zpoller_t *poller = zpoller_new (sub, NULL);
    bool heard = zpoller_wait (poller, ms) != NULL;
    if (heard) {
        zmsg_t *msg = zmsg_recv (sub);
        zmsg_destroy (&msg);
    }
    zpoller_destroy (&poller);
    return heard;
}

//  A member that may follow the events, revoked while subscribed, hears
//  nothing more: the PUB socket binds again and ZAP refuses it; another
//  subscriber connects again and hears on.
Test (runtime, a_revoked_subscriber_hears_no_more)
{
    s_start (1);
    zcert_t *other_cert = zcert_new ();
    sn_auth_put (auth, "b-service", TS_KIND (SERVICE), NULL, zcert_public_txt (other_cert), false);
    zsock_t *revoked = s_subscriber (service_cert);
    zsock_t *other = s_subscriber (other_cert);
    cr_assert (s_hears (revoked, 2000), "the subscriber hears the heartbeats");
    cr_assert (s_hears (other, 2000), "the other subscriber hears the heartbeats");
    sn_auth_put (auth, "a-service", TS_KIND (SERVICE), NULL, zcert_public_txt (service_cert), true);
    //  the relay sees the revocation within its loop (a heartbeat interval)
    zclock_sleep (600);
    while (s_hears (revoked, 0))
        ;       //  what was queued before the cut
    cr_expect_not (s_hears (revoked, 1500), "the revoked member still hears the events");
    cr_expect (s_hears (other, 3000), "the other subscriber does not hear the events again");
    zsock_destroy (&revoked);
    zsock_destroy (&other);
    zcert_destroy (&other_cert);
}

//  --- members' streams (journal.Follow) ------------------------------------------------

//  Follows as client from after: the reply (caller frees), or NULL.
static Snodo__FollowReply *
s_follow (sn_client_t *client, uint64_t after, uint32_t wait_ms)
{
    Snodo__FollowRequest req = SNODO__FOLLOW_REQUEST__INIT;
    req.after_seq = after;
    req.wait_ms = wait_ms;
    Snodo__FollowReply *reply = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "journal.Follow", "care", &req.base, &snodo__follow_reply__descriptor,
                               (ProtobufCMessage **) &reply, &result);
    cr_assert_eq (code, OK, "%s", result.message);
    return reply;
}

//  How many of a reply's events are of a type that starts with prefix.
static size_t
s_of_type (const Snodo__FollowReply *reply, const char *prefix)
{
    size_t n = 0;
    for (size_t i = 0; i < reply->n_events; i++)
        n += strncmp (reply->events [i]->type, prefix, strlen (prefix)) == 0;
    return n;
}

//  A member follows the types its kind may (the store names no stream
//  rules: the journal's events only, and everything for a service); a
//  Follow with nothing to give waits in the broker for the next event, and
//  no longer than it asked.
Test (runtime, a_member_follows_what_its_kind_may_and_a_follow_waits_for_the_next_event)
{
    s_start (2);
    sn_client_t *writer = s_client (member_cert);
    cr_assert_eq (s_call_put (writer, NULL, "f1", "v", NULL), OK);
    sn_client_t *service = s_client (service_cert);
    Snodo__FollowReply *all = NULL;
    for (int64_t until = zclock_mono () + 5000; zclock_mono () < until && (!all || !s_of_type (all, "rt."));) {
        protobuf_c_message_free_unpacked ((ProtobufCMessage *) all, NULL);
        all = s_follow (service, 0, 100);
        if (!s_of_type (all, "rt."))
            zclock_sleep (20);      //  not numbered yet
    }
    cr_assert_eq (s_of_type (all, "rt.item.put"), 1, "a service follows every type");
    Snodo__FollowReply *sil = s_follow (writer, 0, 0);
    cr_expect_eq (s_of_type (sil, "rt."), 0, "a SIL got the store's own events");
    cr_expect_geq (sil->next_after, all->events [0]->seq, "the SIL's cursor passed what it may not have");
    protobuf_c_message_free_unpacked (&sil->base, NULL);

    //  from the end, waiting: the next event ends the wait (the relay's
    //  seals of the audit trail may end one first: then again from there)
    uint64_t cursor = all->next_after;
    protobuf_c_message_free_unpacked (&all->base, NULL);
    zsock_t *dealer = ts_dealer (request, service_cert, zcert_public_txt (server_cert));
    int64_t put_at = 0, got_at = 0;
    for (int round = 0; round < 20 && !got_at; round++) {
        Snodo__FollowRequest req = SNODO__FOLLOW_REQUEST__INIT;
        req.after_seq = cursor;
        req.wait_ms = 8000;
        uint8_t ids [1][16];
        randombytes_buf (ids [0], 16);
        int64_t sent_at = zclock_mono ();
        ts_send (dealer, ids [0], "journal.Follow", "care", 10000, &req.base);
        if (!put_at) {
            zclock_sleep (300);
            put_at = zclock_mono ();
            cr_assert_eq (s_call_put (writer, NULL, "f2", "v", NULL), OK);
        }
        zframe_t *replies [1] = {NULL};
        cr_assert_eq (ts_replies (dealer, ids, 1, replies, 9000), 1, "the waiting Follow never answered");
        Snodo__FollowReply *next = NULL;
        cr_assert_eq (ts_reply_code (replies [0], &snodo__follow_reply__descriptor, (ProtobufCMessage **) &next), OK);
        cr_expect (next->n_events > 0 || zclock_mono () - sent_at >= 7500, "a Follow answered empty before its wait");
        if (s_of_type (next, "rt.item.put"))
            got_at = zclock_mono ();
        cursor = next->next_after;
        protobuf_c_message_free_unpacked (&next->base, NULL);
        zframe_destroy (&replies [0]);
    }
    cr_assert (got_at, "the event never came to the waiting Follow");
    cr_expect_lt (got_at - put_at, 5000, "the wait did not end with the event (%lld ms)",
                  (long long) (got_at - put_at));
    zsock_destroy (&dealer);

    //  nothing comes (but the relay's seals of the audit trail, now and
    //  then): the reply after the wait asked, empty, the cursor where it was
    bool empty = false;
    for (int i = 0; i < 5 && !empty; i++) {
        int64_t t0 = zclock_mono ();
        Snodo__FollowReply *none = s_follow (service, cursor, 700);
        int64_t waited = zclock_mono () - t0;
        cr_expect_eq (s_of_type (none, "rt."), 0);
        empty = none->n_events == 0;
        if (empty) {
            cr_expect_geq (waited, 600, "an empty Follow did not wait (%lld ms)", (long long) waited);
            cr_expect_eq (none->next_after, cursor);
        }
        cursor = none->next_after;
        protobuf_c_message_free_unpacked (&none->base, NULL);
    }
    cr_expect (empty, "every Follow had events");
    sn_client_destroy (&service);
    sn_client_destroy (&writer);
}

//  A request_id already used with another body is refused, never answered
//  with the first request's reply; and a write's reply names its events,
//  which Replay then has above after_seq.
Test (runtime, a_request_id_reused_with_another_body_is_refused_and_a_write_names_its_events)
{
    s_start (1);
    sn_client_t *client = s_client (member_cert);
    uint8_t id [16];
    memset (id, 0x6B, sizeof id);
    Snodo__Rt__Item item = SNODO__RT__ITEM__INIT;
    item.key = "named";
    item.value = "first";
    Snodo__Rt__PutRequest put = SNODO__RT__PUT_REQUEST__INIT;
    put.item = &item;
    sn_result_t first;
    cr_assert_eq (sn_client_call_id (client, id, "store.Put", "care", &put.base, NULL, NULL, &first), OK);
    cr_assert_eq (first.n_events, 1, "the reply names the write's one event");
    //  the same id and method, another body
    item.value = "second";
    sn_result_t again;
    cr_expect_eq (sn_client_call_id (client, id, "store.Put", "care", &put.base, NULL, NULL, &again),
                  TS_CODE (INVALID_ARGUMENT), "%s", again.message);
    cr_expect (strstr (again.message, "already used"), "%s", again.message);
    //  the same body again: the first reply, with the same event
    item.value = "first";
    cr_assert_eq (sn_client_call_id (client, id, "store.Put", "care", &put.base, NULL, NULL, &again), OK);
    cr_expect_eq (again.n_events, 1);
    cr_expect_eq (memcmp (again.event_ids [0], first.event_ids [0], 16), 0, "the stored reply names the same event");
    cr_expect_eq (ts_count (dbname, "%s", "SELECT count (*) FROM store.item"), 1);
    //  the event, in Replay above after_seq, by its event_id
    sn_client_t *follower = s_client (service_cert);
    bool found = false;
    for (int tries = 0; tries < 100 && !found; tries++) {
        Snodo__ReplayRequest replay = SNODO__REPLAY_REQUEST__INIT;
        replay.from_seq = first.after_seq + 1;
        Snodo__ReplayReply *got = NULL;
        sn_result_t result;
        cr_assert_eq (sn_client_call (follower, "journal.Replay", "", &replay.base, &snodo__replay_reply__descriptor,
                                      (ProtobufCMessage **) &got, &result), OK);
        for (size_t i = 0; i < got->n_events; i++)
            if (got->events [i]->event_id.len == 16
            &&  memcmp (got->events [i]->event_id.data, first.event_ids [0], 16) == 0) {
                found = true;
                cr_expect_gt (got->events [i]->seq, first.after_seq);
                cr_expect_str_eq (got->events [i]->type, "rt.item.put");
            }
        snodo__replay_reply__free_unpacked (got, NULL);
        if (!found)
            zclock_sleep (20);
    }
    cr_expect (found, "the write's event was never published above after_seq");
    sn_client_destroy (&follower);
    sn_client_destroy (&client);
}
