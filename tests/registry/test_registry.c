/*  The registry against a real PostgreSQL, over CURVE on loopback. */
#include "testsupport.h"
#include "sn_subscriber.h"
#include <criterion/criterion.h>
#include <string.h>
#include <sys/wait.h>
#include <pthread.h>
#include <stdatomic.h>
#include <unistd.h>


static ts_registry_t *reg;

static void
setup (void)
{
    reg = ts_registry_start ("reg", 4);
}

static void
teardown (void)
{
    ts_registry_destroy (&reg);
}

TestSuite (registry, .init = setup, .fini = teardown, .timeout = 120);

static int
s_get_person (sn_client_t *client, const char *id, const char *purpose, Snodo__Registry__Person **out)
{
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = (char *) id;
    Snodo__Registry__Person *person = NULL;
    int code = sn_client_call (client, "registry.GetPerson", purpose, &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &person, NULL);
    if (out)
        *out = person;
    else
    if (person)
        snodo__registry__person__free_unpacked (person, NULL);
    return code;
}

Test (registry, create_get_list)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    int code;
    char *id = ts_create_person (sil, 1, &code);
    cr_assert_eq (code, SNODO__CODE__OK, "create: %s", sn_code_name (code));
    Snodo__Registry__Person *person = NULL;
    cr_assert_eq (s_get_person (sil, id, "placement", &person), SNODO__CODE__OK);
    cr_assert_str_eq (person->id, id);
    cr_assert_str_eq (person->referring_member_id, "ass6-sil");
    cr_assert_str_eq (person->birth_date, "1951-01-01", "birth date from the codice fiscale, got %s", person->birth_date);
    cr_assert_eq (person->sex, SNODO__REGISTRY__SEX__SEX_M);
    cr_assert_eq (person->version, 1);
    cr_assert_eq (person->n_categories, 1);
    snodo__registry__person__free_unpacked (person, NULL);
    free (ts_create_person (sil, 2, NULL));

    Snodo__Registry__ListPersonsRequest list = SNODO__REGISTRY__LIST_PERSONS_REQUEST__INIT;
    Snodo__Registry__ListPersonsReply *reply = NULL;
    code = sn_client_call (sil, "registry.ListPersons", "placement", &list.base,
                           &snodo__registry__list_persons_reply__descriptor, (ProtobufCMessage **) &reply, NULL);
    cr_assert_eq (code, SNODO__CODE__OK);
    cr_assert_eq (reply->n_persons, 2);
    snodo__registry__list_persons_reply__free_unpacked (reply, NULL);

    //  another member sees none of them in a list
    sn_client_t *coop = ts_member_client (reg, "coop-a", TS_KIND (COOPERATIVA), NULL, NULL);
    code = sn_client_call (coop, "registry.ListPersons", "placement", &list.base,
                           &snodo__registry__list_persons_reply__descriptor, (ProtobufCMessage **) &reply, NULL);
    cr_assert_eq (code, SNODO__CODE__OK);
    cr_assert_eq (reply->n_persons, 0);
    snodo__registry__list_persons_reply__free_unpacked (reply, NULL);
    free (id);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
}

Test (registry, same_request_id_twice_gives_same_reply_and_one_row)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 7, cf);
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    uint8_t request_id [16];
    for (int i = 0; i < 16; i++)
        request_id [i] = (uint8_t) (0xA0 + i);
    Snodo__Registry__Person *first = NULL, *second = NULL;
    int c1 = sn_client_call_id (sil, request_id, "registry.CreatePerson", "placement", &req.base,
                                &snodo__registry__person__descriptor, (ProtobufCMessage **) &first, NULL);
    int c2 = sn_client_call_id (sil, request_id, "registry.CreatePerson", "placement", &req.base,
                                &snodo__registry__person__descriptor, (ProtobufCMessage **) &second, NULL);
    cr_assert_eq (c1, SNODO__CODE__OK);
    cr_assert_eq (c2, SNODO__CODE__OK, "the retry got %s instead of the stored reply", sn_code_name (c2));
    cr_assert_str_eq (first->id, second->id);
    cr_assert_eq (first->created_at, second->created_at);
    char sql [128];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.created'"), 1);
    //  the same request_id for another method is refused
    Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    get.id = first->id;
    sn_result_t result;
    int c3 = sn_client_call_id (sil, request_id, "registry.UpdatePerson", "placement", &get.base, NULL, NULL, &result);
    cr_assert_neq (c3, SNODO__CODE__OK);
    snodo__registry__person__free_unpacked (first, NULL);
    snodo__registry__person__free_unpacked (second, NULL);
    sn_client_destroy (&sil);
}

Test (registry, unknown_key_or_no_key_gets_nothing)
{
    zcert_t *stranger = zcert_new ();
    sn_client_t *client = sn_client_new (reg->request, stranger, zcert_public_txt (reg->cert));
    sn_client_set_deadline (client, 5000);
    sn_client_set_retries (client, 0);
    Snodo__Registry__IdentityRequest who = SNODO__REGISTRY__IDENTITY_REQUEST__INIT;
    //  refused at the handshake, and told so within a second
    int64_t started = zclock_mono ();
    int code = sn_client_call (client, "registry.WhoAmI", "", &who.base, NULL, NULL, NULL);
    cr_assert_eq (code, SNODO__CODE__UNAUTHENTICATED, "an unknown key got %s", sn_code_name (code));
    cr_assert_lt (zclock_mono () - started, 1000, "told after %lld ms", (long long) (zclock_mono () - started));
    //  a socket whose connection ZAP refused has nothing to send to: a raw
    //  send ends at its time, and the next call is refused again at once
    cr_assert_null (sn_client_raw (client, "x", 1, 300));
    started = zclock_mono ();
    code = sn_client_call (client, "registry.WhoAmI", "", &who.base, NULL, NULL, NULL);
    cr_assert_eq (code, SNODO__CODE__UNAUTHENTICATED, "an unknown key got %s", sn_code_name (code));
    cr_assert_lt (zclock_mono () - started, 1000, "told after %lld ms", (long long) (zclock_mono () - started));
    sn_client_destroy (&client);
    zcert_destroy (&stranger);

    //  no CURVE at all: the handshake fails, nothing comes back, and a
    //  socket monitor says so within a second (docs/protocol.md)
    zsock_t *plain = zsock_new (ZMQ_DEALER);
    cr_assert_eq (zmq_socket_monitor (zsock_resolve (plain), "inproc://plain-monitor",
                                      ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL | ZMQ_EVENT_HANDSHAKE_FAILED_AUTH
                                      | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL | ZMQ_EVENT_HANDSHAKE_SUCCEEDED),
                  0);
    zsock_t *events = zsock_new_pair (">inproc://plain-monitor");
    cr_assert_eq (zsock_connect (plain, "%s", reg->request), 0);
    zstr_send (plain, "hello");
    started = zclock_mono ();
    zpoller_t *poller = zpoller_new (plain, events, NULL);
    void *which = zpoller_wait (poller, 1000);
    cr_assert (which == events, "no monitor event within a second (%s)", which ? "a reply came" : "nothing");
    zframe_t *event = zframe_recv (events);
    uint16_t kind = 0;
    memcpy (&kind, zframe_data (event), sizeof kind);
    zframe_destroy (&event);
    zsock_flush (events);
    cr_assert (kind == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL,
               "the monitor said %u", kind);
    cr_assert_null (zpoller_wait (poller, 300), "something came back to a plain socket");
    zpoller_destroy (&poller);
    zmq_socket_monitor (zsock_resolve (plain), NULL, 0);
    zsock_destroy (&events);
    zsock_destroy (&plain);

    //  the admin still works
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Member *me = NULL;
    cr_assert_eq (sn_client_call (admin, "registry.WhoAmI", "", &who.base, &snodo__member__descriptor,
                                  (ProtobufCMessage **) &me, NULL), SNODO__CODE__OK);
    cr_assert_str_eq (me->id, "admin");
    snodo__member__free_unpacked (me, NULL);
    sn_client_destroy (&admin);
}

Test (registry, revoked_member_is_refused)
{
    sn_client_t *dsm = ts_member_client (reg, "ass6-dsm", TS_KIND (DSM), NULL, NULL);
    Snodo__Registry__IdentityRequest who = SNODO__REGISTRY__IDENTITY_REQUEST__INIT;
    cr_assert_eq (sn_client_call (dsm, "registry.WhoAmI", "", &who.base, NULL, NULL, NULL), SNODO__CODE__OK);
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Registry__RevokeMemberRequest revoke = SNODO__REGISTRY__REVOKE_MEMBER_REQUEST__INIT;
    revoke.id = "ass6-dsm";
    cr_assert_eq (sn_client_call (admin, "registry.RevokeMember", "administration", &revoke.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    //  the open connection stays, but every request is refused
    sn_result_t result;
    int code = sn_client_call (dsm, "registry.WhoAmI", "", &who.base, NULL, NULL, &result);
    cr_assert_eq (code, SNODO__CODE__UNAUTHENTICATED, "got %s", sn_code_name (code));
    sn_client_destroy (&admin);
    sn_client_destroy (&dsm);
}

Test (registry, no_relationship_is_denied_and_audited)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *coop = ts_member_client (reg, "coop-b", TS_KIND (COOPERATIVA), NULL, NULL);
    char *id = ts_create_person (sil, 11, NULL);
    cr_assert (id);
    cr_assert_eq (s_get_person (coop, id, "placement", NULL), SNODO__CODE__PERMISSION_DENIED);
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.audit WHERE member_id = 'coop-b' "
              "AND subject = '%s' AND outcome = %d AND method = 'registry.GetPerson'", id, SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1, "the denial was not audited");
    //  the referring service's read is audited as OK
    cr_assert_eq (s_get_person (sil, id, "care", NULL), SNODO__CODE__OK);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.audit WHERE member_id = 'ass6-sil' "
              "AND subject = '%s' AND outcome = 0 AND method = 'registry.GetPerson' AND purpose = 'care'", id);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    //  personal data without a purpose is refused
    sn_result_t result;
    Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    req.id = id;
    cr_assert_eq (sn_client_call (sil, "registry.GetPerson", "", &req.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "purpose");
    free (id);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
}

Test (registry, consent_by_purpose_and_kind)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *coop = ts_member_client (reg, "coop-c", TS_KIND (COOPERATIVA), NULL, NULL);
    char *id = ts_create_person (sil, 12, NULL);
    Snodo__Registry__ConsentRequest consent = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    consent.person_id = id;
    consent.purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    consent.member_kind = TS_KIND (COOPERATIVA);
    //  the cooperative cannot record consent for itself
    cr_assert_eq (sn_client_call (coop, "registry.GrantConsent", "placement", &consent.base, NULL, NULL, NULL),
                  SNODO__CODE__PERMISSION_DENIED);
    cr_assert_eq (sn_client_call (sil, "registry.GrantConsent", "placement", &consent.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    Snodo__Registry__Person *seen = NULL;
    cr_assert_eq (s_get_person (coop, id, "placement", &seen), SNODO__CODE__OK);
    cr_assert_eq (seen->n_consents, 1);
    cr_assert_eq (seen->consents [0]->purpose, SNODO__PURPOSE__PURPOSE_PLACEMENT);
    snodo__registry__person__free_unpacked (seen, NULL);
    cr_assert_eq (s_get_person (coop, id, "monitoring", NULL), SNODO__CODE__PERMISSION_DENIED,
                  "consent for placement must not open monitoring");
    cr_assert_eq (sn_client_call (sil, "registry.RevokeConsent", "placement", &consent.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    cr_assert_eq (s_get_person (coop, id, "placement", NULL), SNODO__CODE__PERMISSION_DENIED);
    //  a team member (written by a service) sees the person
    sn_client_t *service = ts_member_client (reg, "monitoring", TS_KIND (SERVICE), NULL, NULL);
    Snodo__Registry__TeamRequest team = SNODO__REGISTRY__TEAM_REQUEST__INIT;
    team.person_id = id;
    team.member_id = "coop-c";
    team.pathway_id = "p1";
    cr_assert_eq (sn_client_call (service, "registry.AddTeamMember", "monitoring", &team.base, NULL, NULL, NULL),
                  SNODO__CODE__OK);
    cr_assert_eq (s_get_person (coop, id, "monitoring", NULL), SNODO__CODE__OK);
    free (id);
    sn_client_destroy (&service);
    sn_client_destroy (&coop);
    sn_client_destroy (&sil);
}

Test (registry, bad_codice_fiscale_and_enum_are_named_and_nothing_written)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 20, cf);
    cf [15] = cf [15] == 'A' ? 'B' : 'A';     //  wrong check character
    Snodo__Registry__Category bad [1] = {(Snodo__Registry__Category) 99};
    person.categories = bad;
    person.invalidity_percent = 140;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    sn_result_t result;
    //  an enum its enum does not have is refused before anything else
    int code = sn_client_call (sil, "registry.CreatePerson", "placement", &req.base, NULL, NULL, &result);
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 1);
    cr_expect_str_eq (result.fields [0], "person.categories[0]");
    cr_expect_str_eq (result.descriptions [0], "99 is not a value of snodo.registry.Category");
    //  the rest, all named at once
    person.n_categories = 0;
    code = sn_client_call (sil, "registry.CreatePerson", "placement", &req.base, NULL, NULL, &result);
    cr_assert_eq (code, SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_geq (result.n_violations, 2);
    bool cf_named = false, inv_named = false;
    for (size_t i = 0; i < result.n_violations; i++) {
        cf_named |= streq (result.fields [i], "person.codice_fiscale");
        inv_named |= streq (result.fields [i], "person.invalidity_percent");
    }
    cr_assert (cf_named && inv_named, "violations: %s, %s", result.fields [0], result.fields [1]);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.person"), 0);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type LIKE 'registry.person%'"), 0);
    sn_client_destroy (&sil);
}

//  Sends raw bytes and reads the Reply.
static Snodo__Reply *
s_raw (sn_client_t *client, const void *data, size_t size)
{
    zframe_t *frame = sn_client_raw (client, data, size, 5000);
    cr_assert (frame, "no reply to a bad request");
    Snodo__Reply *reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    zframe_destroy (&frame);
    cr_assert (reply && reply->status);
    return reply;
}

static size_t
s_pack_request (const char *method, const uint8_t *body, size_t body_len, uint8_t *out)
{
    Snodo__Request request = SNODO__REQUEST__INIT;
    uint8_t id [16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
    request.request_id.data = id;
    request.request_id.len = 16;
    request.method = (char *) method;
    request.purpose = "placement";
    request.body.data = (uint8_t *) body;
    request.body.len = body_len;
    return snodo__request__pack (&request, out);
}

Test (registry, bad_input_gets_clear_errors_and_service_goes_on)
{
    zcert_t *sil_cert = NULL;
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &sil_cert);
    //  a malformed frame
    Snodo__Reply *reply = s_raw (sil, "\xff\xff\xff garbage", 12);
    cr_assert_eq (reply->status->code, SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (reply->status->message, "malformed"), "%s", reply->status->message);
    snodo__reply__free_unpacked (reply, NULL);
    //  an oversized message (the test server's limit is 64 KiB)
    size_t big = 100 * 1024;
    uint8_t *body = (uint8_t *) calloc (1, big);
    uint8_t *packed = (uint8_t *) malloc (big + 256);
    size_t len = s_pack_request ("registry.CreatePerson", body, big, packed);
    reply = s_raw (sil, packed, len);
    cr_assert_eq (reply->status->code, SNODO__CODE__RESOURCE_EXHAUSTED, "got %s", sn_code_name (reply->status->code));
    cr_assert_eq (reply->request_id.len, 16, "the refusal names the request");
    snodo__reply__free_unpacked (reply, NULL);
    //  an unknown method
    len = s_pack_request ("registry.DeleteEverything", NULL, 0, packed);
    reply = s_raw (sil, packed, len);
    cr_assert_eq (reply->status->code, SNODO__CODE__UNIMPLEMENTED);
    cr_assert (strstr (reply->status->message, "registry.DeleteEverything"));
    snodo__reply__free_unpacked (reply, NULL);
    //  a wrong field type: field 1 (a message) sent as a varint
    uint8_t wrong [] = {0x08, 0x96, 0x01};
    len = s_pack_request ("registry.CreatePerson", wrong, sizeof wrong, packed);
    reply = s_raw (sil, packed, len);
    cr_assert_eq (reply->status->code, SNODO__CODE__INVALID_ARGUMENT, "got %s", sn_code_name (reply->status->code));
    cr_assert (strstr (reply->status->message, "CreatePersonRequest"), "%s", reply->status->message);
    snodo__reply__free_unpacked (reply, NULL);
    //  an empty frame: no request_id
    reply = s_raw (sil, "", 0);
    cr_assert_eq (reply->status->code, SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (reply->status->message, "request_id"), "%s", reply->status->message);
    snodo__reply__free_unpacked (reply, NULL);
    //  two frames
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zcert_apply (sil_cert, dealer);
    zsock_set_curve_serverkey (dealer, zcert_public_txt (reg->cert));
    zsock_connect (dealer, "%s", reg->request);
    len = s_pack_request ("registry.WhoAmI", NULL, 0, packed);
    zmsg_t *msg = zmsg_new ();
    zmsg_addmem (msg, packed, len);
    zmsg_addmem (msg, packed, len);
    zmsg_send (&msg, dealer);
    zpoller_t *poller = zpoller_new (dealer, NULL);
    cr_assert (zpoller_wait (poller, 5000), "no reply to a request of two frames");
    zframe_t *frame = zframe_recv (dealer);
    reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    cr_assert (reply && reply->status);
    cr_assert_eq (reply->status->code, SNODO__CODE__INVALID_ARGUMENT);
    cr_assert (strstr (reply->status->message, "one frame"), "%s", reply->status->message);
    snodo__reply__free_unpacked (reply, NULL);
    zframe_destroy (&frame);
    zpoller_destroy (&poller);
    zsock_destroy (&dealer);
    zcert_destroy (&sil_cert);
    free (body);
    free (packed);
    //  and the service still serves
    int code;
    char *id = ts_create_person (sil, 30, &code);
    cr_assert_eq (code, SNODO__CODE__OK);
    free (id);
    sn_client_destroy (&sil);
}

//  Waits until the relay has sealed every audit entry.
static Snodo__VerifyAuditReply *
s_verify (sn_client_t *admin)
{
    Snodo__VerifyAuditRequest req = SNODO__VERIFY_AUDIT_REQUEST__INIT;
    Snodo__VerifyAuditReply *reply = NULL;
    int code = sn_client_call (admin, "journal.VerifyAudit", "administration", &req.base,
                               &snodo__verify_audit_reply__descriptor, (ProtobufCMessage **) &reply, NULL);
    cr_assert_eq (code, SNODO__CODE__OK);
    return reply;
}

static void
s_rmdir (const char *dir)
{
    char cmd [600];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    cr_assert_eq (system (cmd), 0);
}

Test (registry, snodoctl_creates_reads_and_says_why_not)
{
    zcert_t *sil_cert = NULL;
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &sil_cert);
    char dir [] = "/tmp/snodoctl-test-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", "ass6-sil", sil_cert, NULL, NULL, NULL);
    char path [600], args [1024];
    snprintf (path, sizeof path, "%s/person.json", dir);
    FILE *file = fopen (path, "w");
    fprintf (file, "{\"codiceFiscale\": \"RSSMRA80A01H501U\", \"surname\": \"Rossi\", \"name\": \"Mario\","
                   " \"ambito\": \"urbano\", \"categories\": [\"PHYSICAL_DISABILITY\"], \"invalidityPercent\": 60}");
    fclose (file);
    snprintf (args, sizeof args, "--as ass6-sil --json persons create %s", path);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 0);
    char *out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "\"codiceFiscale\": \"RSSMRA80A01H501U\""), "%s", out);
    cr_assert (strstr (out, "\"birthDate\": \"1980-01-01\""), "%s", out);
    free (out);
    //  the table of persons the SIL refers
    cr_assert_eq (ts_snodoctl (dir, "--as ass6-sil persons list"), 0);
    out = ts_read (dir, "out.txt");
    cr_assert (strstr (out, "RSSMRA80A01H501U") && strstr (out, "PHYSICAL_DISABILITY") && strstr (out, "(1)"), "%s", out);
    free (out);
    //  the same codice fiscale again: refused, exit 1, the reason printed
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 1);
    char *err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "ALREADY_EXISTS"), "%s", err);
    free (err);
    //  a wrong check character: the field and why
    file = fopen (path, "w");
    fprintf (file, "{\"codiceFiscale\": \"RSSMRA80A01H501X\", \"surname\": \"Rossi\", \"name\": \"Mario\"}");
    fclose (file);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 1);
    err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "person.codice_fiscale: check character is 'X', expected 'U'"), "%s", err);
    free (err);
    //  bad JSON and an unknown enum are refused before anything is sent: exit 2
    file = fopen (path, "w");
    fprintf (file, "{\"codiceFiscale\": \"RSSMRA80A01H501U\", \"sex\": \"X\"}");
    fclose (file);
    cr_assert_eq (ts_snodoctl (dir, "%s", args), 2);
    err = ts_read (dir, "err.txt");
    cr_assert (strstr (err, "sex: unknown enum value \"X\""), "%s", err);
    free (err);
    cr_assert_eq (ts_snodoctl (dir, "persons frobnicate"), 2);
    //  the operator has no relationship with persons
    cr_assert_eq (ts_snodoctl (dir, "persons find RSSMRA80A01H501U"), 1);
    //  a service that is not there: exit 3
    snprintf (path, sizeof path, "%s/snodo.cfg", dir);
    file = fopen (path, "w");
    fprintf (file, "snodoctl\n    certs = \"%s\"\nregistry\n    request = \"tcp://127.0.0.1:1\"\n"
                   "    public_key = \"%s\"\n", dir, zcert_public_txt (reg->cert));
    fclose (file);
    cr_assert_eq (ts_snodoctl (dir, "--timeout 300 whoami"), 3);
    s_rmdir (dir);
    zcert_destroy (&sil_cert);
    sn_client_destroy (&sil);
}

Test (registry, audit_verify_fails_on_a_tampered_entry)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    for (int i = 0; i < 5; i++) {
        char *id = ts_create_person (sil, 40 + i, NULL);
        s_get_person (sil, id, "placement", NULL);
        free (id);
    }
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__VerifyAuditReply *v = NULL;
    for (int tries = 0; tries < 100; tries++) {
        v = s_verify (admin);
        if (v->unsealed == 0 && v->entries >= 10)
            break;
        snodo__verify_audit_reply__free_unpacked (v, NULL);
        v = NULL;
        zclock_sleep (100);
    }
    cr_assert (v, "the audit entries were not sealed");
    cr_assert (v->ok, "an untouched trail must verify: %s", v->problem);
    snodo__verify_audit_reply__free_unpacked (v, NULL);

    //  snodoctl audit verify, with a config of its own
    char dir [] = "/tmp/snodoctl-test-XXXXXX";
    ts_snodoctl_dir (dir, reg, "admin", NULL, NULL, NULL, NULL, NULL);
    cr_assert_eq (ts_snodoctl (dir, "audit verify"), 0, "snodoctl audit verify on an intact trail");

    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "UPDATE registry.audit SET member_id = 'someone-else' "
                      "WHERE id = (SELECT min (id) FROM registry.audit "
                      "            WHERE xid < (SELECT xid_to FROM registry.audit_batch ORDER BY batch DESC LIMIT 1))"));
    PQfinish (db);
    v = s_verify (admin);
    cr_assert_not (v->ok, "a changed entry must break the seal");
    cr_assert (strstr (v->problem, "changed"), "%s", v->problem);
    snodo__verify_audit_reply__free_unpacked (v, NULL);
    cr_assert_eq (ts_snodoctl (dir, "audit verify"), 1, "snodoctl audit verify must fail on a tampered trail");
    s_rmdir (dir);
    sn_client_destroy (&admin);
    sn_client_destroy (&sil);
}

//  --- events ----------------------------------------------------------------

static int
s_apply_record (PGconn *db, const Snodo__Event *event, void *arg)
{
    char seq [32];
    snprintf (seq, sizeof seq, "%llu", (unsigned long long) event->seq);
    const char *params [3] = {seq, event->type, event->subject};
    PGresult *res = PQexecParams (db, "INSERT INTO applied (seq, type, subject) VALUES ($1, $2, $3)",
                                  3, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    return rc;
}

static zactor_t *
s_subscriber (const char *conninfo, zcert_t *cert)
{
    sn_subscriber_config_t config = {
        .source = "registry", .events_endpoint = reg->events, .request_endpoint = reg->request,
        .server_key = zcert_public_txt (reg->cert), .cert = cert, .conninfo = conninfo,
        .schema = "subtest", .apply = s_apply_record, .arg = NULL,
    };
    return sn_subscriber_new (&config);
}

Test (registry, subscriber_restarted_gets_every_event_once_in_order)
{
    zcert_t *service_cert = NULL;
    sn_client_t *service = ts_member_client (reg, "matching", TS_KIND (SERVICE), NULL, &service_cert);
    sn_client_destroy (&service);
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    char *subdb = ts_db_create ("sub");
    char *conninfo = ts_conninfo (subdb, NULL);
    PGconn *db = ts_db_connect (subdb);
    free (ts_sql (db, "CREATE SCHEMA subtest; CREATE TABLE subtest.applied (n serial PRIMARY KEY, "
                      "seq bigint NOT NULL, type text NOT NULL, subject text NOT NULL)"));

    zactor_t *sub = s_subscriber (conninfo, service_cert);
    for (int i = 0; i < 10; i++)
        free (ts_create_person (sil, 100 + i, NULL));
    //  stopped mid-stream: events go on without it
    zactor_destroy (&sub);
    for (int i = 10; i < 30; i++) {
        free (ts_create_person (sil, 100 + i, NULL));
        if (i == 20)
            sub = s_subscriber (conninfo, service_cert);
        if (i == 25)
            zactor_destroy (&sub);
    }
    sub = s_subscriber (conninfo, service_cert);
    //  the registry's own changes (the relay's seals come and go with time)
    long published = ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type NOT LIKE 'journal.%'");
    long last = ts_count (reg->dbname, "%s", "SELECT max (seq) FROM registry.outbox WHERE type NOT LIKE 'journal.%'");
    cr_assert_geq (published, 32, "every change makes an event");
    for (int tries = 0; tries < 200 && ts_subscriber_cursor (sub) < (uint64_t) last; tries++)
        zclock_sleep (50);
    cr_assert_geq (ts_subscriber_cursor (sub), (uint64_t) last);
    zactor_destroy (&sub);
    char *count = ts_sql (db, "SELECT count (*) FROM subtest.applied WHERE type NOT LIKE 'journal.%'");
    char *distinct = ts_sql (db, "SELECT count (DISTINCT seq) FROM subtest.applied WHERE type NOT LIKE 'journal.%'");
    char *ordered = ts_sql (db, "SELECT bool_and (seq = n) FROM subtest.applied");
    char *persons = ts_sql (db, "SELECT count (*) FROM subtest.applied WHERE type = 'registry.person.created'");
    cr_assert_eq (atol (count), published, "applied %s of %ld events", count, published);
    cr_assert_eq (atol (distinct), published, "an event was applied twice");
    cr_assert_str_eq (ordered, "t", "events applied out of order");
    cr_assert_eq (atol (persons), 30);
    free (count);
    free (distinct);
    free (ordered);
    free (persons);
    PQfinish (db);
    ts_db_drop (subdb);
    zstr_free (&subdb);
    zstr_free (&conninfo);
    zcert_destroy (&service_cert);
    sn_client_destroy (&sil);
}

//  An apply that takes its time over the first event it sees, so that the
//  next ones wait on the subscriber's socket.
static int
s_apply_slowly (PGconn *db, const Snodo__Event *event, void *arg)
{
    static bool slept;
    if (!slept && !strncmp (event->type, "registry.person.", 16)) {
        slept = true;
        zclock_sleep (1500);
    }
    return s_apply_record (db, event, arg);
}

//  A slow subscriber of the registry (apply_page, if given, for its pages),
//  over a database of its own, and the SIL that makes its events.
typedef struct {
    zcert_t *cert;                  //  a SERVICE member's
    sn_client_t *sil;
    char *subdb, *conninfo;
    PGconn *db;                     //  superuser, to count what was applied
    zactor_t *sub;
} s_slow_t;

static void
s_slow_start (s_slow_t *w, sn_apply_page_fn *apply_page)
{
    sn_client_t *service = ts_member_client (reg, "matching", TS_KIND (SERVICE), NULL, &w->cert);
    sn_client_destroy (&service);
    w->sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    w->subdb = ts_db_create ("sub");
    w->conninfo = ts_conninfo (w->subdb, NULL);
    w->db = ts_db_connect (w->subdb);
    free (ts_sql (w->db, "CREATE SCHEMA subtest; CREATE TABLE subtest.applied (n serial PRIMARY KEY, "
                         "seq bigint NOT NULL, type text NOT NULL, subject text NOT NULL)"));
    sn_subscriber_config_t config = {
        .source = "registry", .events_endpoint = reg->events, .request_endpoint = reg->request,
        .server_key = zcert_public_txt (reg->cert), .cert = w->cert, .conninfo = w->conninfo,
        .schema = "subtest", .apply = s_apply_slowly, .apply_page = apply_page, .arg = NULL,
    };
    w->sub = sn_subscriber_new (&config);
    //  connected and caught up (its schema made, a Replay answered): a fixed
    //  pause was too short on a loaded machine, and the test's lock then
    //  held up that first Replay
    long known = 0;
    for (int tries = 0; tries < 200; tries++) {
        known = ts_count (reg->dbname, "%s", "SELECT coalesce (max (seq), 0) FROM registry.outbox");
        if (known > 0 && ts_subscriber_cursor (w->sub) >= (uint64_t) known)
            break;
        zclock_sleep (50);
    }
    cr_assert_geq (ts_subscriber_cursor (w->sub), (uint64_t) known, "the subscriber caught up before the test");
    zclock_sleep (300);                             //  its socket connected, a heartbeat heard
    for (int i = 0; i < 20; i++)                    //  the first holds it up, the others wait on its socket
        free (ts_create_person (w->sil, 300 + i, NULL));
    //  every event numbered (the relay's work, after the commit) before the
    //  test reads the last seq and may lock the outbox
    for (int tries = 0; tries < 200; tries++) {
        if (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE seq IS NULL") == 0)
            break;
        zclock_sleep (50);
    }
}

static void
s_slow_destroy (s_slow_t *w)
{
    zactor_destroy (&w->sub);
    PQfinish (w->db);
    ts_db_drop (w->subdb);
    zstr_free (&w->subdb);
    zstr_free (&w->conninfo);
    zcert_destroy (&w->cert);
    sn_client_destroy (&w->sil);
}

Test (registry, a_subscriber_behind_applies_what_waits_on_its_socket_while_the_source_cannot_replay)
{
    s_slow_t w;
    s_slow_start (&w, NULL);
    long last = ts_count (reg->dbname, "%s", "SELECT max (seq) FROM registry.outbox");
    //  the source cannot answer a Replay now: its outbox is locked
    PGconn *locker = ts_db_connect (reg->dbname);
    free (ts_sql (locker, "BEGIN; SET lock_timeout = 0; LOCK TABLE registry.outbox IN ACCESS EXCLUSIVE MODE; SELECT 1"));
    for (int tries = 0; tries < 60 && ts_subscriber_cursor (w.sub) < (uint64_t) last; tries++)
        zclock_sleep (50);
    uint64_t reached = ts_subscriber_cursor (w.sub);
    free (ts_sql (locker, "ROLLBACK; SELECT 1"));
    PQfinish (locker);
    cr_expect_geq (reached, (uint64_t) last, "caught up to %llu of %ld without the source",
                   (unsigned long long) reached, last);
    char *persons = ts_sql (w.db, "SELECT count (DISTINCT seq) || ' ' || count (DISTINCT xmin::text) "
                                  "FROM subtest.applied WHERE type = 'registry.person.created'");
    cr_expect (persons [0] == '2' && persons [1] == '0' && persons [2] == ' ' && atoi (persons + 3) <= 3,
               "20 events, in a transaction or a few: %s", persons);
    free (persons);
    s_slow_destroy (&w);
}

static atomic_int s_refused_pages;

static int
s_refuse_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    atomic_fetch_add (&s_refused_pages, 1);
    return -1;
}

Test (registry, a_page_its_applier_refuses_is_applied_one_event_at_a_time_each_once)
{
    s_slow_t w;
    s_slow_start (&w, s_refuse_page);
    long last = ts_count (reg->dbname, "%s", "SELECT max (seq) FROM registry.outbox");
    for (int tries = 0; tries < 200 && ts_subscriber_cursor (w.sub) < (uint64_t) last; tries++)
        zclock_sleep (50);
    cr_assert_geq (ts_subscriber_cursor (w.sub), (uint64_t) last);
    cr_expect_gt (atomic_load (&s_refused_pages), 0, "a page was offered");
    char *counts = ts_sql (w.db, "SELECT count (*) = count (DISTINCT seq) AND bool_and (seq = n) "
                                 "AND count (*) FILTER (WHERE type = 'registry.person.created') = 20 "
                                 "FROM subtest.applied");
    cr_expect_str_eq (counts, "t", "every event once, in order");
    free (counts);
    s_slow_destroy (&w);
}

Test (registry, events_are_only_for_services)
{
    zcert_t *coop_cert = NULL;
    sn_client_t *coop = ts_member_client (reg, "coop-d", TS_KIND (COOPERATIVA), NULL, &coop_cert);
    zsock_t *sub = zsock_new (ZMQ_SUB);
    zcert_apply (coop_cert, sub);
    zsock_set_curve_serverkey (sub, zcert_public_txt (reg->cert));
    zsock_set_subscribe (sub, "");
    zsock_connect (sub, "%s", reg->events);
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    free (ts_create_person (sil, 200, NULL));
    zpoller_t *poller = zpoller_new (sub, NULL);
    cr_assert_null (zpoller_wait (poller, 1500), "a cooperative must not receive the event stream");
    zpoller_destroy (&poller);
    zsock_destroy (&sub);
    zcert_destroy (&coop_cert);
    sn_client_destroy (&sil);
    sn_client_destroy (&coop);
}

Test (registry, companies_quota_and_posts)
{
    sn_client_t *prov = ts_member_client (reg, "provincia-pn", TS_KIND (PROVINCIA), NULL, NULL);
    Snodo__Registry__Company company = SNODO__REGISTRY__COMPANY__INIT;
    company.partita_iva = "00743110157";
    company.name = "Officina Test";
    company.ateco = "25.62";
    company.employees = 120;
    company.disabled_employed = 3;
    Snodo__Registry__CreateCompanyRequest req = SNODO__REGISTRY__CREATE_COMPANY_REQUEST__INIT;
    req.company = &company;
    Snodo__Registry__Company *out = NULL;
    cr_assert_eq (sn_client_call (prov, "registry.CreateCompany", "", &req.base,
                                  &snodo__registry__company__descriptor, (ProtobufCMessage **) &out, NULL),
                  SNODO__CODE__OK);
    cr_assert_eq (out->quota, 8, "7%% of 120 is 8.4: 8 workers");
    cr_assert_eq (out->uncovered, 5);
    Snodo__Registry__JobPost post = SNODO__REGISTRY__JOB_POST__INIT;
    Snodo__Registry__Profile req_profile = SNODO__REGISTRY__PROFILE__INIT;
    req_profile.endurance = 4;
    post.employer_id = out->id;
    post.title = "Operaio";
    post.weekly_hours = 20;
    post.places = 1;
    post.requirements = &req_profile;
    Snodo__Registry__CreateJobPostRequest preq = SNODO__REGISTRY__CREATE_JOB_POST_REQUEST__INIT;
    preq.post = &post;
    cr_assert_eq (sn_client_call (prov, "registry.CreateJobPost", "", &preq.base, NULL, NULL, NULL), SNODO__CODE__OK);
    req_profile.endurance = 9;
    sn_result_t result;
    cr_assert_eq (sn_client_call (prov, "registry.CreateJobPost", "", &preq.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "post.requirements");
    cr_assert (strstr (result.descriptions [0], "endurance"), "%s", result.descriptions [0]);
    //  a bad partita IVA
    company.partita_iva = "00743110158";
    cr_assert_eq (sn_client_call (prov, "registry.CreateCompany", "", &req.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_str_eq (result.fields [0], "company.partita_iva");
    snodo__registry__company__free_unpacked (out, NULL);
    sn_client_destroy (&prov);
}

Test (registry, profile_scores_are_checked_and_a_valid_profile_is_an_event)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    char *id = ts_create_person (sil, 300, NULL);
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    scores.attention = 6;
    scores.speaking = 9;
    scores.teamwork = 5;
    Snodo__Registry__AbilityProfile profile = SNODO__REGISTRY__ABILITY_PROFILE__INIT;
    profile.scores = &scores;
    profile.assessed_on = "2026-02-30";
    Snodo__Registry__SetProfileRequest req = SNODO__REGISTRY__SET_PROFILE_REQUEST__INIT;
    req.person_id = id;
    req.profile = &profile;
    sn_result_t result;
    cr_assert_eq (sn_client_call (sil, "registry.SetProfile", "placement", &req.base, NULL, NULL, &result),
                  SNODO__CODE__INVALID_ARGUMENT);
    cr_assert_eq (result.n_violations, 3, "attention, speaking and the date: got %zu", result.n_violations);
    cr_assert (strstr (result.descriptions [0], "attention is 6"), "%s", result.descriptions [0]);
    cr_assert (strstr (result.descriptions [1], "speaking is 9"), "%s", result.descriptions [1]);
    cr_assert_str_eq (result.fields [2], "profile.assessed_on");
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.profile_set'"), 0);

    scores.attention = 4;
    scores.speaking = 2;
    profile.assessed_on = "2026-02-28";
    Snodo__Registry__Person *person = NULL;
    cr_assert_eq (sn_client_call (sil, "registry.SetProfile", "placement", &req.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &person, &result),
                  SNODO__CODE__OK, "%s", result.message);
    cr_assert_eq (person->version, 2);
    cr_assert_eq (person->profile->scores->attention, 4);
    cr_assert_eq (person->profile->scores->teamwork, 5);
    cr_assert_str_eq (person->profile->assessed_by, "ass6-sil");
    snodo__registry__person__free_unpacked (person, NULL);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.profile_set'"), 1);
    free (id);
    sn_client_destroy (&sil);
}

Test (registry, a_server_that_cannot_bind_does_not_start)
{
    registry_t *second = registry_new (reg->auth, NULL, NULL, NULL);
    sn_service_t service = registry_service (second);
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*", .events_endpoint = reg->events,
        .conninfo = reg->conninfo, .cert = reg->cert, .auth = reg->auth, .workers = 1,
    };
    zactor_t *server = sn_server_new (&config, &service);
    cr_assert_null (server, "the events endpoint is taken: the server must refuse to start");
    config.events_endpoint = "tcp://127.0.0.1:*";
    config.request_endpoint = reg->request;
    server = sn_server_new (&config, &service);
    cr_assert_null (server, "the request endpoint is taken: the server must refuse to start");
    registry_destroy (&second);
}

static void *
s_release (void *p)
{
    PGconn *db = *(PGconn **) p;
    zclock_sleep (2500);
    PGresult *res = PQexec (db, "COMMIT");
    PQclear (res);
    return NULL;
}

//  The client's retry resends the same request_id while the first attempt is
//  still held up in the service: the person is created once and the client
//  gets the reply of the one that committed.
Test (registry, a_retry_while_the_first_attempt_is_stuck_creates_once)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_set_deadline (sil, 6000);
    sn_client_set_retries (sil, 2);     //  attempts at 0, 2 and 4 s
    PGconn *db = ts_db_connect (reg->dbname);
    free (ts_sql (db, "BEGIN; LOCK TABLE registry.person IN EXCLUSIVE MODE"));
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 400, cf);
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    int64_t start = zclock_time ();
    //  the call runs here; a thread releases the lock after the first retry went out
    pthread_t thread;
    pthread_create (&thread, NULL, s_release, &db);
    Snodo__Registry__Person *out = NULL;
    sn_result_t result;
    int code = sn_client_call (sil, "registry.CreatePerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result);
    pthread_join (thread, NULL);
    cr_assert_eq (code, SNODO__CODE__OK, "got %s: %s", sn_code_name (code), result.message);
    cr_assert_geq (zclock_time () - start, 2000, "the first attempt must have been retried");
    char sql [160];
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.person WHERE codice_fiscale = '%s'", cf);
    cr_assert_eq (ts_count (reg->dbname, "%s", sql), 1);
    cr_assert_eq (ts_count (reg->dbname, "%s", "SELECT count (*) FROM registry.outbox WHERE type = 'registry.person.created'"), 1);
    snodo__registry__person__free_unpacked (out, NULL);
    PQfinish (db);
    sn_client_destroy (&sil);
}


//  --- CreatePersons: a batch whose every item is checked as CreatePerson (and
//  GrantConsent) checks it: the plain methods against the batch, item by item --------

#define CASES 14

//  The case's person (n from 900 on) and consents; false for the case that
//  has no person. grants: 2 of room, the person's own consent one of room.
static bool
s_case (int i, Snodo__Registry__Person *p, char *cf, Snodo__Registry__ConsentRequest *grants, size_t *n_grants,
        Snodo__Registry__Consent **own)
{
    ts_person_init (p, 900 + i, cf);
    *n_grants = 0;
    for (int g = 0; g < 2; g++)
        snodo__registry__consent_request__init (&grants [g]);
    switch (i) {
    case 0:
        grants [0].purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
        grants [0].member_kind = TS_KIND (CPI);
        grants [1].purpose = SNODO__PURPOSE__PURPOSE_MONITORING;
        grants [1].member_kind = TS_KIND (COOPERATIVA);
        *n_grants = 2;
        break;
    case 1: cf [15] = cf [15] == 'A' ? 'B' : 'A'; break;            //  the check character
    case 2: p->birth_date = "1990-05-05"; break;                    //  not the code's
    case 3: p->sex = SNODO__REGISTRY__SEX__SEX_F; break;            //  the code says M
    case 4: p->ambito = "lunare"; break;
    case 5: p->email = "no-at-sign"; break;
    case 6: p->id = "00000000-0000-4000-8000-000000000001"; break;
    case 7: p->consents = own; p->n_consents = 1; break;
    case 8: ts_person_init (p, 900, cf); break;                     //  case 0's codice fiscale
    case 9: ts_person_init (p, 899, cf); break;                     //  registered before
    case 10: p->referring_member_id = "ass6-dsm"; break;            //  the SIL refers for another
    case 11: break;                                                 //  well, without consents
    case 12: return false;
    case 13: p->surname = ""; p->invalidity_percent = 101; break;   //  two fields at once
    }
    return true;
}

//  A status as text, to compare: "CODE: message [field: why] ...".
static void
s_status_text (int code, const char *message, size_t n, const char *const *fields, const char *const *whys,
               char *out, size_t size)
{
    int len = snprintf (out, size, "%s: %s", sn_code_name (code), message);
    for (size_t i = 0; i < n && len > 0 && (size_t) len < size; i++)
        len += snprintf (out + len, size - (size_t) len, " [%s: %s]", fields [i], whys [i]);
}

//  What CreatePerson, then GrantConsent for each consent, answer for case i
//  (its person created, if it is, into *cf_made).
static void
s_plain (sn_client_t *sil, int i, char *out, size_t size, char *cf_made)
{
    Snodo__Registry__Person p;
    Snodo__Registry__ConsentRequest grants [2];
    Snodo__Registry__Consent own = SNODO__REGISTRY__CONSENT__INIT;
    Snodo__Registry__Consent *owns [1] = {&own};
    char cf [17];
    size_t n_grants;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = s_case (i, &p, cf, grants, &n_grants, owns) ? &p : NULL;
    Snodo__Registry__Person *made = NULL;
    sn_result_t result;
    int code = sn_client_call (sil, "registry.CreatePerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &made, &result);
    for (size_t g = 0; code == TS_CODE (OK) && g < n_grants; g++) {
        grants [g].person_id = made->id;
        code = sn_client_call (sil, "registry.GrantConsent", "placement", &grants [g].base, NULL, NULL, &result);
    }
    const char *fields [16], *whys [16];
    for (size_t v = 0; v < result.n_violations && v < 16; v++) {
        fields [v] = result.fields [v];
        whys [v] = result.descriptions [v];
    }
    s_status_text (code, code == TS_CODE (OK) ? "" : result.message, code == TS_CODE (OK) ? 0 : result.n_violations,
                   fields, whys, out, size);
    *cf_made = 0;
    if (made) {
        snprintf (cf_made, 17, "%s", made->codice_fiscale);
        snodo__registry__person__free_unpacked (made, NULL);
    }
}

//  An item's status as text (s_status_text).
static void
s_item_text (const Snodo__Status *status, char *out, size_t size)
{
    const char *fields [32], *whys [32];
    for (size_t v = 0; v < status->n_violations && v < 32; v++) {
        fields [v] = status->violations [v]->field;
        whys [v] = status->violations [v]->description;
    }
    s_status_text ((int) status->code, status->message, status->n_violations, fields, whys, out, size);
}

//  The cases as one CreatePersons, the items' request_ids made of round and
//  their place. Returns the reply (caller frees), its items in order.
static Snodo__Registry__CreatePersonsReply *
s_batch (sn_client_t *client, uint8_t round)
{
    Snodo__Registry__Person persons [CASES];
    Snodo__Registry__ConsentRequest grants [CASES][2], *grant_ptrs [CASES][2];
    Snodo__Registry__Consent own = SNODO__REGISTRY__CONSENT__INIT;
    Snodo__Registry__Consent *owns [1] = {&own};
    Snodo__Registry__CreatePersonsItem items [CASES], *item_ptrs [CASES];
    char cfs [CASES][17];
    uint8_t ids [CASES][16];
    for (int i = 0; i < CASES; i++) {
        snodo__registry__create_persons_item__init (&items [i]);
        memset (ids [i], round, 16);
        ids [i][15] = (uint8_t) i;
        items [i].request_id.data = ids [i];
        items [i].request_id.len = 16;
        size_t n_grants;
        items [i].person = s_case (i, &persons [i], cfs [i], grants [i], &n_grants, owns) ? &persons [i] : NULL;
        for (size_t g = 0; g < n_grants; g++)
            grant_ptrs [i][g] = &grants [i][g];
        items [i].consents = grant_ptrs [i];
        items [i].n_consents = n_grants;
        item_ptrs [i] = &items [i];
    }
    Snodo__Registry__CreatePersonsRequest req = SNODO__REGISTRY__CREATE_PERSONS_REQUEST__INIT;
    req.items = item_ptrs;
    req.n_items = CASES;
    Snodo__Registry__CreatePersonsReply *reply = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (client, "registry.CreatePersons", "placement", &req.base,
                                  &snodo__registry__create_persons_reply__descriptor, (ProtobufCMessage **) &reply,
                                  &result), TS_CODE (OK), "%s", result.message);
    cr_assert_eq (reply->n_items, CASES);
    return reply;
}

Test (registry, each_item_of_create_persons_is_answered_as_create_person_and_grant_consent_answer_it)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *dsm = ts_member_client (reg, "ass6-dsm", TS_KIND (DSM), NULL, NULL);
    free (ts_create_person (sil, 899, NULL));           //  case 9's, before both
    char plain [CASES][800], made [CASES][17];
    for (int i = 0; i < CASES; i++)
        s_plain (sil, i, plain [i], sizeof plain [i], made [i]);
    //  what the plain methods made goes: the batch meets the registry they met
    PGconn *db = ts_db_connect (reg->dbname);
    for (int i = 0; i < CASES; i++)
        if (*made [i]) {
            char sql [320];
            snprintf (sql, sizeof sql, "DELETE FROM registry.person WHERE codice_fiscale = '%.16s'", made [i]);
            free (ts_sql (db, sql));
        }
    Snodo__Registry__CreatePersonsReply *reply = s_batch (sil, 1);
    for (int i = 0; i < CASES; i++) {
        char text [800];
        s_item_text (reply->items [i]->status, text, sizeof text);
        cr_expect_str_eq (text, plain [i], "case %d", i);
        cr_expect_eq (reply->items [i]->person != NULL, reply->items [i]->status->code == TS_CODE (OK), "case %d", i);
    }
    //  what the plain ones made, the batch made: the person with its consents, in one change
    Snodo__Registry__Person *p = reply->items [0]->person;
    cr_assert_not_null (p);
    cr_expect_eq (p->n_consents, 2);
    cr_expect_eq (p->consents [0]->purpose, SNODO__PURPOSE__PURPOSE_PLACEMENT);
    cr_expect_eq (p->consents [1]->member_kind, TS_KIND (COOPERATIVA));
    cr_expect_str_eq (p->consents [1]->recorded_by, "ass6-sil");
    cr_expect_eq (p->version, 1);
    cr_expect_str_eq (p->birth_date, "1950-07-02", "from the codice fiscale");
    char sql [300];
    snprintf (sql, sizeof sql, "SELECT count (*) || ' ' || (SELECT count (*) FROM registry.consent WHERE person_id = '%s') "
              "|| ' ' || (SELECT count (*) FROM registry.outbox WHERE subject = '%s') FROM registry.person "
              "WHERE referring_member_id = 'ass6-sil'", p->id, p->id);
    char *counts = ts_sql (db, sql);
    cr_expect_str_eq (counts, "3 2 1", "persons of the SIL, consents of case 0, its events");
    free (counts);
    snodo__registry__create_persons_reply__free_unpacked (reply, NULL);
    PQfinish (db);
    sn_client_destroy (&dsm);
    sn_client_destroy (&sil);
}

Test (registry, a_create_persons_item_sent_again_gets_its_stored_reply_alone_or_in_any_batch)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *dsm = ts_member_client (reg, "ass6-dsm", TS_KIND (DSM), NULL, NULL);
    free (ts_create_person (sil, 899, NULL));
    Snodo__Registry__CreatePersonsReply *first = s_batch (sil, 2), *again = s_batch (sil, 2);
    for (int i = 0; i < CASES; i++) {
        char one [800], two [800];
        s_item_text (first->items [i]->status, one, sizeof one);
        s_item_text (again->items [i]->status, two, sizeof two);
        cr_expect_str_eq (two, one, "case %d", i);
        if (first->items [i]->person && again->items [i]->person)
            cr_expect_str_eq (again->items [i]->person->id, first->items [i]->person->id, "case %d", i);
    }
    //  case 0's item alone, as CreatePerson with its request_id: the person it made
    Snodo__Registry__Person p;
    char cf [17];
    ts_person_init (&p, 900, cf);
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &p;
    uint8_t id [16];
    memset (id, 2, 16);
    id [15] = 0;
    Snodo__Registry__Person *alone = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call_id (sil, id, "registry.CreatePerson", "placement", &req.base,
                                     &snodo__registry__person__descriptor, (ProtobufCMessage **) &alone, &result),
                  TS_CODE (OK));
    cr_expect_str_eq (alone->id, first->items [0]->person->id);
    cr_expect_eq (alone->n_consents, 2, "the stored reply: the person with its consents");
    PGconn *db = ts_db_connect (reg->dbname);
    char sql [400];
    //  the stored reply names the item's event, as a CreatePerson's would
    cr_assert_eq (result.n_events, 1);
    char hex [33];
    for (int b = 0; b < 16; b++)
        snprintf (hex + 2 * b, 3, "%02x", result.event_ids [0][b]);
    snprintf (sql, sizeof sql, "SELECT count (*) FROM registry.outbox WHERE subject = '%s' "
              "AND type = 'registry.person.created' AND replace (event_id::text, '-', '') = '%s' AND seq > %llu",
              alone->id, hex, (unsigned long long) result.after_seq);
    char *named = NULL;
    for (int tries = 0; tries < 100; tries++) {     //  numbered by the relay after the commit
        free (named);
        named = ts_sql (db, sql);
        if (streq (named, "1"))
            break;
        zclock_sleep (50);
    }
    cr_expect_str_eq (named, "1", "the item's event, above after_seq");
    free (named);
    snodo__registry__person__free_unpacked (alone, NULL);
    alone = NULL;
    //  its request_id with another person, alone or in a batch: refused, as a retry with another body is
    ts_person_init (&p, 950, cf);
    cr_expect_eq (sn_client_call_id (sil, id, "registry.CreatePerson", "placement", &req.base,
                                     &snodo__registry__person__descriptor, (ProtobufCMessage **) &alone, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_expect_str_eq (result.message, "request_id was already used for another request");
    Snodo__Registry__CreatePersonsItem item, *items [1] = {&item};
    snodo__registry__create_persons_item__init (&item);
    item.request_id.data = id;
    item.request_id.len = 16;
    item.person = &p;
    Snodo__Registry__CreatePersonsRequest other = SNODO__REGISTRY__CREATE_PERSONS_REQUEST__INIT;
    other.items = items;
    other.n_items = 1;
    Snodo__Registry__CreatePersonsReply *refused = NULL;
    cr_assert_eq (sn_client_call (sil, "registry.CreatePersons", "placement", &other.base,
                                  &snodo__registry__create_persons_reply__descriptor, (ProtobufCMessage **) &refused,
                                  &result), TS_CODE (OK), "%s", result.message);
    char text [800];
    s_item_text (refused->items [0]->status, text, sizeof text);
    cr_expect_str_eq (text, "INVALID_ARGUMENT: request_id was already used for another request");
    cr_expect_null (refused->items [0]->person);
    snodo__registry__create_persons_reply__free_unpacked (refused, NULL);
    snprintf (sql, sizeof sql, "SELECT (SELECT count (*) FROM registry.person WHERE referring_member_id = 'ass6-sil') "
              "|| ' ' || (SELECT count (*) FROM registry.audit WHERE method = 'registry.CreatePersons' "
              "AND subject = '%s' AND outcome = 0 AND request_id = '\\x02020202020202020202020202020200')",
              first->items [0]->person->id);
    char *counts = ts_sql (db, sql);
    cr_expect_str_eq (counts, "3 1", "each person once; its audit entry names the item's request_id");
    free (counts);
    snodo__registry__create_persons_reply__free_unpacked (first, NULL);
    snodo__registry__create_persons_reply__free_unpacked (again, NULL);
    PQfinish (db);
    sn_client_destroy (&dsm);
    sn_client_destroy (&sil);
}

//  One item of a CreatePersons: a person n (0: none) with grants, under request_id id (len bytes).
static void
s_item (Snodo__Registry__CreatePersonsItem *item, uint8_t *id, size_t len, Snodo__Registry__Person *p, int n,
        char *cf, Snodo__Registry__ConsentRequest **grants, size_t n_grants)
{
    snodo__registry__create_persons_item__init (item);
    item->request_id.data = id;
    item->request_id.len = len;
    if (n)
        ts_person_init (p, n, cf);
    item->person = n ? p : NULL;
    item->consents = grants;
    item->n_consents = n_grants;
}

Test (registry, a_create_persons_item_names_its_bad_consent_and_is_made_whole_or_not_at_all)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    sn_client_t *province = ts_member_client (reg, "provincia", TS_KIND (PROVINCIA), NULL, NULL);
    Snodo__Registry__ConsentRequest bad [3], good = SNODO__REGISTRY__CONSENT_REQUEST__INIT;
    for (int i = 0; i < 3; i++)
        snodo__registry__consent_request__init (&bad [i]);
    bad [0].member_kind = TS_KIND (CPI);                       //  no purpose
    bad [1].purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    bad [1].member_kind = TS_KIND (BRIDGE);
    bad [2].purpose = SNODO__PURPOSE__PURPOSE_PLACEMENT;
    bad [2].member_kind = TS_KIND (CPI);
    bad [2].person_id = "00000000-0000-4000-8000-000000000001";
    good.purpose = SNODO__PURPOSE__PURPOSE_CARE;
    good.member_kind = TS_KIND (DSM);
    Snodo__Registry__ConsentRequest *two_bad [2] = {&bad [0], &bad [1]}, *named [1] = {&bad [2]}, *fine [1] = {&good};
    Snodo__Registry__Person persons [6];
    char cfs [6][17];
    uint8_t ids [6][16];
    memset (ids, 7, sizeof ids);
    for (int i = 0; i < 6; i++)
        ids [i][0] = (uint8_t) i;                                   //  each its own
    Snodo__Registry__CreatePersonsItem items [6], *ptrs [6];
    s_item (&items [0], ids [0], 16, &persons [0], 960, cfs [0], two_bad, 2);
    s_item (&items [1], ids [1], 3, &persons [1], 961, cfs [1], NULL, 0);
    s_item (&items [2], ids [2], 16, &persons [2], 962, cfs [2], named, 1);
    s_item (&items [3], ids [3], 16, &persons [3], 963, cfs [3], fine, 1);       //  for another, with a consent
    s_item (&items [4], ids [4], 16, &persons [4], 964, cfs [4], NULL, 0);       //  for another, without
    s_item (&items [5], ids [4], 16, &persons [5], 965, cfs [5], NULL, 0);       //  item 4's request_id
    persons [3].referring_member_id = persons [4].referring_member_id = "ass6-sil";
    for (int i = 0; i < 6; i++)
        ptrs [i] = &items [i];
    Snodo__Registry__CreatePersonsRequest req = SNODO__REGISTRY__CREATE_PERSONS_REQUEST__INIT;
    req.items = ptrs;
    req.n_items = 6;
    Snodo__Registry__CreatePersonsReply *reply = NULL;
    cr_assert_eq (sn_client_call (province, "registry.CreatePersons", "placement", &req.base,
                                  &snodo__registry__create_persons_reply__descriptor, (ProtobufCMessage **) &reply,
                                  NULL), TS_CODE (OK));
    static const char *expected [6] = {
        "INVALID_ARGUMENT: 2 fields are invalid [consents[0].purpose: is required] [consents[1].member_kind: "
        "a consent is not given to the bridge (it sees only the persons it referred)]",
        "INVALID_ARGUMENT: request_id: must be 16 bytes (it has 3) [request_id: must be 16 bytes (it has 3)]",
        "INVALID_ARGUMENT: consents[0].person_id: is left empty: the consent is this person's "
        "[consents[0].person_id: is left empty: the consent is this person's]",
        "PERMISSION_DENIED: consent is recorded by the referring service (or the member that referred the person "
        "for it) or a team member",
        "OK: ",
        "INVALID_ARGUMENT: request_id: is the request_id of item 4: each item has its own "
        "[request_id: is the request_id of item 4: each item has its own]"};
    for (int i = 0; i < 6; i++) {
        char text [800];
        s_item_text (reply->items [i]->status, text, sizeof text);
        cr_expect_str_eq (text, expected [i], "item %d", i);
    }
    cr_expect_str_eq (reply->items [4]->person->referring_member_id, "ass6-sil");
    PGconn *db = ts_db_connect (reg->dbname);
    char *count = ts_sql (db, "SELECT string_agg (codice_fiscale, ',') FROM registry.person "
                              "WHERE referring_member_id = 'ass6-sil'");
    cr_expect_str_eq (count, cfs [4], "item 4's person alone: a refused item leaves nothing");
    free (count);
    snodo__registry__create_persons_reply__free_unpacked (reply, NULL);
    PQfinish (db);
    sn_client_destroy (&province);
    sn_client_destroy (&sil);
}
