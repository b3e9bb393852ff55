/*  sn_directory: a service follows the registry's members into its own auth
    table and database, and hands other registry events to its apply. The
    follower here feeds an auth table of its own (not the one the process's
    ZAP handler reads), so what it holds came only from the registry's events
    or from its stored directory. */
#include "testsupport.h"
#include "sn_directory.h"
#include <criterion/criterion.h>
#include <string.h>


static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("dir", 2);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (directory, .init = setup, .fini = teardown, .timeout = 90);

typedef struct {
    sn_auth_t *auth;
    const char *id;
    bool revoked;
} s_expect_t;

static bool
s_member_is (void *arg)
{
    s_expect_t *e = (s_expect_t *) arg;
    sn_member_info_t info;
    return sn_auth_lookup (e->auth, e->id, &info) && info.revoked == e->revoked;
}

typedef struct {
    int persons;        //  registry.person.created events seen by the service
    int members;        //  member events seen by it (must stay 0)
} s_seen_t;

static int
s_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    s_seen_t *seen = (s_seen_t *) arg;
    if (strncmp (event->type, "registry.member.", 16) == 0)
        seen->members++;
    if (streq (event->type, "registry.person.created"))
        seen->persons++;
    return 0;
}

static bool
s_seen_person (void *arg)
{
    return ((s_seen_t *) arg)->persons > 0;
}

static sn_directory_t *
s_follow (zcert_t *cert, const char *conninfo, sn_auth_t *auth, s_seen_t *seen)
{
    sn_directory_config_t config = {
        .registry_request = reg->request,
        .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert),
        .cert = cert,
        .conninfo = conninfo,
        .schema = "monitoring",
        .auth = auth,
        .admin_id = "admin",
        .admin_key = zcert_public_txt (reg->admin),
        .apply = s_apply,
        .arg = seen,
    };
    sn_directory_t *directory = sn_directory_new (&config);
    cr_assert_not_null (directory);
    return directory;
}

Test (directory, follows_members_and_loads_them_back)
{
    zcert_t *cert = ts_service_cert (reg, "monitoring");
    char *conninfo = ts_service_conninfo (reg, "monitoring");
    sn_auth_t *auth = sn_auth_new ();
    s_seen_t seen = {0};
    sn_directory_t *directory = s_follow (cert, conninfo, auth, &seen);

    //  the operator comes from the config, at once
    sn_member_info_t info;
    cr_assert (sn_auth_lookup (auth, "admin", &info));
    cr_assert_eq (info.kind, TS_KIND (ADMIN));

    //  a member registered in the registry arrives, and its revocation
    sn_client_t *coop = ts_member_client (reg, "coop-il-ponte", TS_KIND (COOPERATIVA), "urbano", NULL);
    s_expect_t expect = {auth, "coop-il-ponte", false};
    cr_assert (ts_wait (s_member_is, &expect, 10000), "the new member never reached the directory");
    cr_assert (sn_auth_lookup (auth, "coop-il-ponte", &info));
    cr_assert_eq (info.kind, TS_KIND (COOPERATIVA));
    cr_assert_str_eq (info.ambito, "urbano");
    s_expect_t self = {auth, "monitoring", false};
    cr_assert (ts_wait (s_member_is, &self, 10000), "the service does not know itself");

    //  a person event goes to the service's own apply, not to the directory
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 7, cf);
    Snodo__Registry__CreatePersonRequest create = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    create.person = &person;
    cr_assert_eq (sn_client_call (sil, "registry.CreatePerson", "placement", &create.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    cr_assert (ts_wait (s_seen_person, &seen, 10000), "the person event never reached apply");
    cr_assert_eq (seen.members, 0, "member events stay in the directory");
    cr_assert_eq (sn_auth_size (auth), 5, "admin, registry, monitoring, coop-il-ponte, ass6-sil: %zu",
                  sn_auth_size (auth));

    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Registry__RevokeMemberRequest revoke = SNODO__REGISTRY__REVOKE_MEMBER_REQUEST__INIT;
    revoke.id = "coop-il-ponte";
    revoke.reason = "test";
    cr_assert_eq (sn_client_call (admin, "registry.RevokeMember", "administration", &revoke.base, NULL, NULL,
                                  NULL),
                  SNODO__CODE__OK);
    expect.revoked = true;
    cr_assert (ts_wait (s_member_is, &expect, 10000), "the revocation never reached the directory");
    uint64_t cursor = sn_directory_cursor (directory);
    cr_assert_geq (cursor, 5, "registered 3, a person, revoked: cursor %llu", (unsigned long long) cursor);
    sn_directory_destroy (&directory);
    sn_auth_destroy (&auth);

    //  with the registry gone, a restarted service knows the network from its table
    ts_registry_stop_server (reg);
    auth = sn_auth_new ();
    directory = s_follow (cert, conninfo, auth, &seen);
    s_expect_t stored = {auth, "coop-il-ponte", true};
    cr_assert (ts_wait (s_member_is, &stored, 10000), "the stored directory was not loaded");
    s_expect_t stored_sil = {auth, "ass6-sil", false};
    cr_assert (s_member_is (&stored_sil));
    cr_assert_eq (sn_directory_cursor (directory), cursor, "the cursor survives the restart");

    sn_directory_destroy (&directory);
    sn_auth_destroy (&auth);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
    sn_client_destroy (&admin);
    zcert_destroy (&cert);
    zstr_free (&conninfo);
}

Test (directory, refuses_incomplete_config)
{
    sn_directory_config_t config = {.registry_request = "tcp://127.0.0.1:1"};
    cr_assert_null (sn_directory_new (&config));
    cr_assert_null (sn_directory_new (NULL));
}

//  Registers cert's key as a member of kind SERVICE.
static void
s_register_service (const char *id, zcert_t *cert)
{
    Snodo__Member member = SNODO__MEMBER__INIT;
    member.id = (char *) id;
    member.kind = TS_KIND (SERVICE);
    member.name = (char *) id;
    member.public_key = (char *) zcert_public_txt (cert);
    Snodo__Registry__RegisterMemberRequest req = SNODO__REGISTRY__REGISTER_MEMBER_REQUEST__INIT;
    req.member = &member;
    sn_client_t *admin = ts_admin_client (reg);
    cr_assert_eq (sn_client_call (admin, "registry.RegisterMember", "administration", &req.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    sn_client_destroy (&admin);
}

static bool
s_caught_up (void *arg)
{
    return sn_directory_cursor ((sn_directory_t *) arg) > 0;
}

Test (directory, recovers_from_being_refused_before_it_was_known)
{
    //  the service starts before the registry knows its key: ZAP refuses
    //  both its SUB and its Replay client, and ZeroMQ does not retry a refusal
    zcert_t *cert = zcert_new ();
    char *conninfo = ts_service_conninfo (reg, "matching");
    sn_auth_t *auth = sn_auth_new ();
    s_seen_t seen = {0};
    sn_directory_config_t config = {
        .registry_request = reg->request,
        .registry_events = reg->events,
        .registry_key = zcert_public_txt (reg->cert),
        .cert = cert,
        .conninfo = conninfo,
        .schema = "matching",
        .auth = auth,
        .self_id = "matching",
        .apply = s_apply,
        .arg = &seen,
    };
    sn_directory_t *directory = sn_directory_new (&config);
    cr_assert_not_null (directory);
    //  it admits itself at once, before the registry says anything
    sn_member_info_t info;
    cr_assert (sn_auth_lookup (auth, "matching", &info));
    cr_assert_eq (info.kind, TS_KIND (SERVICE));
    zclock_sleep (500);
    cr_assert_eq (sn_directory_cursor (directory), 0, "nothing can have come yet");

    s_register_service ("matching", cert);
    cr_assert (ts_wait (s_caught_up, directory, 15000), "the Replay client never got in");
    //  what comes now comes on the SUB socket, which was refused at first
    sn_client_t *coop = ts_member_client (reg, "coop-la-quercia", TS_KIND (COOPERATIVA), "nord", NULL);
    s_expect_t expect = {auth, "coop-la-quercia", false};
    cr_assert (ts_wait (s_member_is, &expect, 15000), "the refused SUB socket never connected again");

    sn_client_destroy (&coop);
    sn_directory_destroy (&directory);
    sn_auth_destroy (&auth);
    zcert_destroy (&cert);
    zstr_free (&conninfo);
}

//  A source that answers every Replay with an event past the one asked for
//  (a hole it should not have), and counts the requests.
typedef struct {
    zcert_t *cert;
    char endpoint [64];
    int requests;
} s_fake_t;

static void
s_fake_source (zsock_t *pipe, void *args)
{
    s_fake_t *fake = (s_fake_t *) args;
    zsock_t *router = zsock_new (ZMQ_ROUTER);
    zcert_apply (fake->cert, router);
    zsock_set_curve_server (router, 1);
    zsock_set_zap_domain (router, SN_ZAP_DOMAIN);   //  this process's ZAP handler: the registry's
    int port = zsock_bind (router, "tcp://127.0.0.1:*");
    snprintf (fake->endpoint, sizeof fake->endpoint, "tcp://127.0.0.1:%d", port);
    zsock_signal (pipe, 0);
    zpoller_t *poller = zpoller_new (pipe, router, NULL);
    while (zpoller_wait (poller, -1) == router) {
        zframe_t *identity = zframe_recv (router);
        zframe_t *frame = zframe_recv (router);
        Snodo__Request *request = snodo__request__unpack (NULL, zframe_size (frame), zframe_data (frame));
        fake->requests++;
        Snodo__Event event = SNODO__EVENT__INIT;
        event.source = "fake";
        event.seq = 5;
        event.type = "fake.thing.happened";
        Snodo__Event *events [1] = {&event};
        Snodo__ReplayReply body = SNODO__REPLAY_REPLY__INIT;
        body.events = events;
        body.n_events = 1;
        body.last_seq = 10;
        uint8_t packed_body [256];
        Snodo__Status status = SNODO__STATUS__INIT;
        Snodo__Reply reply = SNODO__REPLY__INIT;
        reply.request_id = request->request_id;
        reply.status = &status;
        reply.body.data = packed_body;
        reply.body.len = snodo__replay_reply__pack (&body, packed_body);
        uint8_t packed [512];
        size_t size = snodo__reply__pack (&reply, packed);
        zframe_send (&identity, router, ZFRAME_MORE);
        zmq_send (zsock_resolve (router), packed, size, 0);
        snodo__request__free_unpacked (request, NULL);
        zframe_destroy (&frame);
    }
    zpoller_destroy (&poller);
    zsock_destroy (&router);
}

static int
s_apply_nothing (PGconn *db, const Snodo__Event *event, void *arg)
{
    return 0;
}

Test (directory, a_replay_that_does_not_start_at_the_cursor_is_not_asked_again_at_once)
{
    s_fake_t fake = {.cert = zcert_new ()};
    zactor_t *source = zactor_new (s_fake_source, &fake);
    zcert_t *cert = ts_service_cert (reg, "matching");
    char *conninfo = ts_service_conninfo (reg, "matching");
    sn_subscriber_config_t config = {
        .source = "fake",
        .events_endpoint = "tcp://127.0.0.1:1",    //  nothing published
        .request_endpoint = fake.endpoint,
        .server_key = zcert_public_txt (fake.cert),
        .cert = cert,
        .conninfo = conninfo,
        .schema = "matching",
        .apply = s_apply_nothing,
    };
    zactor_t *subscriber = sn_subscriber_new (&config);
    zclock_sleep (3000);
    zstr_send (subscriber, "CURSOR");
    char *cursor = zstr_recv (subscriber);
    cr_assert_str_eq (cursor, "0", "nothing can be applied from a hole");
    zstr_free (&cursor);
    zactor_destroy (&subscriber);
    int requests = fake.requests;
    cr_assert_gt (requests, 0, "the subscriber never asked");
    cr_assert_leq (requests, 5, "%d Replay requests in 3 s: it asks again without waiting", requests);
    zactor_destroy (&source);
    zcert_destroy (&fake.cert);
    zcert_destroy (&cert);
    zstr_free (&conninfo);
}
