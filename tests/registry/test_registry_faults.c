/*  PostgreSQL stopped and started under a running registry: UNAVAILABLE at
    once meanwhile, then normal service, and nothing acknowledged is lost.
    The test runs its own cluster (deploy/pgcluster), since it stops it. */
#include "testsupport.h"
#include <criterion/criterion.h>
#include <string.h>
#include <unistd.h>


static char dir [256];
static int port;

static int
s_pgcluster (const char *command)
{
    char cmd [1024];
    snprintf (cmd, sizeof cmd, "%s %s %s %d >/dev/null 2>&1", getenv ("SNODO_PGCLUSTER"), command, dir, port);
    return system (cmd);
}

//  Creates person n; its code, and its id into id_out when OK.
static int
s_create (sn_client_t *client, int n, char *id_out)
{
    int code;
    char *id = ts_create_person (client, n, &code);
    if (id)
        snprintf (id_out, 37, "%s", id);
    free (id);
    return code;
}

//  journal.Health: its code; *reply filled when OK.
static int
s_health (sn_client_t *client, Snodo__HealthReply **reply)
{
    Snodo__HealthRequest req = SNODO__HEALTH_REQUEST__INIT;
    *reply = NULL;
    return sn_client_call (client, "journal.Health", "", &req.base, &snodo__health_reply__descriptor,
                           (ProtobufCMessage **) reply, NULL);
}

Test (faults, database_down_then_back, .timeout = 180)
{
    cr_assert (getenv ("SNODO_PGCLUSTER") && getenv ("SNODO_TEST_TMP"), "run with deploy/snodo test");
    snprintf (dir, sizeof dir, "%s/fault-%d", getenv ("SNODO_TEST_TMP"), getpid ());
    port = 30000 + getpid () % 20000;
    cr_assert_eq (s_pgcluster ("init"), 0, "initdb failed");
    cr_assert_eq (s_pgcluster ("start"), 0, "the private cluster did not start");
    //  the registry over the private cluster, as its superuser
    char *conninfo = zsys_sprintf ("host=%s/run port=%d dbname=postgres user=snodo connect_timeout=2", dir, port);
    ts_registry_t *reg = ts_registry_start ("faults", 4);   //  a database in the shared cluster...
    ts_registry_stop_server (reg);
    ts_registry_restart_server (reg, conninfo);              //  ...then moved to the private one
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Member member = SNODO__MEMBER__INIT;
    zcert_t *cert = zcert_new ();
    member.id = "ass6-sil";
    member.kind = TS_KIND (SIL);
    member.name = "SIL";
    member.public_key = (char *) zcert_public_txt (cert);
    Snodo__Registry__RegisterMemberRequest reg_req = SNODO__REGISTRY__REGISTER_MEMBER_REQUEST__INIT;
    reg_req.member = &member;
    int code = SNODO__CODE__UNAVAILABLE;
    for (int i = 0; i < 50 && code == SNODO__CODE__UNAVAILABLE; i++) {
        code = sn_client_call (admin, "registry.RegisterMember", "", &reg_req.base, NULL, NULL, NULL);
        if (code == SNODO__CODE__UNAVAILABLE)
            zclock_sleep (100);
    }
    cr_assert_eq (code, SNODO__CODE__OK, "register: %s", sn_code_name (code));
    sn_client_t *sil = sn_client_new (reg->request, cert, zcert_public_txt (reg->cert));
    sn_client_set_retries (sil, 0);
    sn_client_set_deadline (sil, 5000);
    char acked [5][37];
    for (int i = 0; i < 5; i++)
        cr_assert_eq (s_create (sil, 500 + i, acked [i]), SNODO__CODE__OK);
    Snodo__HealthReply *health;
    cr_assert_eq (s_health (sil, &health), SNODO__CODE__OK);
    cr_assert_str_eq (health->service, "registry");
    cr_assert (health->database, "health: the database is up");
    cr_assert_eq (health->workers, 4);
    cr_assert (health->started_at > 0 && health->started_at <= zclock_time ());
    snodo__health_reply__free_unpacked (health, NULL);

    cr_assert_eq (s_pgcluster ("stop"), 0);
    //  Health still answers, at once, and says the database is down, from
    //  every worker, though none has sent a statement since (each still holds
    //  the connection the server closed)
    for (int i = 0; i < 8; i++) {
        int64_t start = zclock_time ();
        cr_assert_eq (s_health (sil, &health), SNODO__CODE__OK, "health with the database down");
        cr_assert_lt (zclock_time () - start, 3000);
        cr_assert_not (health->database, "health %d: the database is down", i);
        snodo__health_reply__free_unpacked (health, NULL);
    }
    char id [37];
    int64_t start = zclock_time ();
    code = s_create (sil, 600, id);
    int64_t took = zclock_time () - start;
    cr_assert_eq (code, SNODO__CODE__UNAVAILABLE, "with the database down: %s", sn_code_name (code));
    cr_assert_lt (took, 3000, "UNAVAILABLE must come at once, took %lld ms", (long long) took);
    for (int i = 0; i < 3; i++)
        cr_assert_eq (s_create (sil, 601 + i, id), SNODO__CODE__UNAVAILABLE);

    cr_assert_eq (s_pgcluster ("start"), 0);
    code = SNODO__CODE__UNAVAILABLE;
    for (int i = 0; i < 100 && code == SNODO__CODE__UNAVAILABLE; i++) {
        code = s_create (sil, 700, id);
        if (code == SNODO__CODE__UNAVAILABLE)
            zclock_sleep (100);
    }
    cr_assert_eq (code, SNODO__CODE__OK, "after the database came back: %s", sn_code_name (code));
    //  and Health says so, once the answering worker's back-off allows a try;
    //  its relay has published the events of the creates acknowledged
    bool up = false;
    for (int i = 0; i < 100 && !up; i++) {
        cr_assert_eq (s_health (sil, &health), SNODO__CODE__OK);
        up = health->database && health->published_seq >= 7;     //  the member, 6 persons
        snodo__health_reply__free_unpacked (health, NULL);
        if (!up)
            zclock_sleep (100);
    }
    cr_assert (up, "health: the database is back and the events published");
    for (int i = 0; i < 5; i++) {
        Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
        get.id = acked [i];
        cr_assert_eq (sn_client_call (sil, "registry.GetPerson", "placement", &get.base, NULL, NULL, NULL),
                      SNODO__CODE__OK, "acknowledged person %d lost", i);
    }
    sn_client_destroy (&sil);
    sn_client_destroy (&admin);
    zcert_destroy (&cert);
    ts_registry_destroy (&reg);
    zstr_free (&conninfo);
    s_pgcluster ("stop");
    char cmd [512];
    snprintf (cmd, sizeof cmd, "rm -rf %s", dir);
    (void) !system (cmd);
}
