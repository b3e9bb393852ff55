/*  Test support: databases, a registry on loopback, members. */
#include "sn_log.h"
#include "testsupport.h"
#include "sn_validate.h"
#include "sn_store.h"
#include <stdarg.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

//  Test set-up that cannot go on: say why and stop the process (a test
//  reports it as a crash with this message; the benchmark exits).
static void
s_require (bool ok, const char *fmt, ...)
{
    if (ok)
        return;
    va_list args;
    va_start (args, fmt);
    fprintf (stderr, "test support: ");
    vfprintf (stderr, fmt, args);
    fprintf (stderr, "\n");
    va_end (args);
    abort ();
}

char *
ts_conninfo (const char *dbname, const char *user)
{
    const char *host = getenv ("SNODO_TEST_PGHOST");
    const char *port = getenv ("SNODO_TEST_PGPORT");
    if (!host || !port)
        return NULL;
    return zsys_sprintf ("host=%s port=%s dbname=%s user=%s", host, port, dbname ? dbname : "postgres",
                         user ? user : (getenv ("SNODO_TEST_PGUSER") ? getenv ("SNODO_TEST_PGUSER") : "snodo"));
}

char *
ts_sql (PGconn *db, const char *sql)
{
    PGresult *res = PQexec (db, sql);
    ExecStatusType st = PQresultStatus (res);
    s_require (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK, "sql failed: %s: %s", sql, PQerrorMessage (db));
    char *value = strdup (st == PGRES_TUPLES_OK && PQntuples (res) > 0 ? PQgetvalue (res, 0, 0) : "");
    PQclear (res);
    return value;
}

static PGconn *
s_connect (const char *dbname)
{
    char *conninfo = ts_conninfo (dbname, NULL);
    s_require (conninfo != NULL, "SNODO_TEST_PGHOST and SNODO_TEST_PGPORT are not set: run the tests with deploy/snodo test");
    PGconn *db = PQconnectdb (conninfo);
    s_require (PQstatus (db) == CONNECTION_OK, "cannot connect to the test cluster: %s", PQerrorMessage (db));
    zstr_free (&conninfo);
    return db;
}

PGconn *
ts_db_connect (const char *dbname)
{
    return s_connect (dbname);
}

static const char *const s_roles [] = {"registry", "monitoring", "matching", "bridge", "reporting", NULL};

char *
ts_db_create (const char *prefix)
{
    PGconn *db = s_connect (NULL);
    zuuid_t *uuid = zuuid_new ();
    char *name = zsys_sprintf ("%s_%d_%.8s", prefix, getpid (), zuuid_str (uuid));
    for (char *p = name; *p; p++)
        *p = (char) tolower (*p);
    zuuid_destroy (&uuid);
    char sql [512];
    snprintf (sql, sizeof sql, "CREATE DATABASE %s", name);
    free (ts_sql (db, sql));
    //  each service connects as its own role; roles are cluster-wide, and
    //  concurrent tests may race to create them
    for (const char *const *role = s_roles; *role; role++) {
        snprintf (sql, sizeof sql, "DO $$ BEGIN CREATE ROLE %s LOGIN; "
                  "EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$", *role);
        PGresult *res = PQexec (db, sql);
        PQclear (res);
        snprintf (sql, sizeof sql, "GRANT CREATE ON DATABASE %s TO %s", name, *role);
        free (ts_sql (db, sql));
    }
    PQfinish (db);
    return name;
}

void
ts_db_drop (const char *dbname)
{
    PGconn *db = s_connect (NULL);
    char sql [512];
    snprintf (sql, sizeof sql, "DROP DATABASE IF EXISTS %s WITH (FORCE)", dbname);
    PGresult *res = PQexec (db, sql);
    PQclear (res);
    PQfinish (db);
}

static void
s_start_server (ts_registry_t *self, int workers)
{
    sn_service_t service = registry_service (self->registry);
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*",
        .events_endpoint = "tcp://127.0.0.1:*",
        .conninfo = self->conninfo,
        .cert = self->cert,
        .auth = self->auth,
        .workers = workers,
        .max_message = 64 * 1024,
        .audit_key = self->audit_key,
        .audit_key_len = sizeof self->audit_key,
        .relay_interval_ms = 200,
    };
    self->server = sn_server_new (&config, &service);
    s_require (self->server != NULL, "the registry did not start");
    zstr_free (&self->request);
    zstr_free (&self->events);
    s_require (sn_server_endpoints (self->server, &self->request, &self->events) == 0, "no endpoints");
}

ts_registry_t *
ts_registry_start (const char *prefix, int workers)
{
    ts_registry_t *self = (ts_registry_t *) zmalloc (sizeof (ts_registry_t));
    self->dbname = ts_db_create (prefix);
    self->conninfo = ts_conninfo (self->dbname, "registry");
    self->auth = sn_auth_new ();
    self->zap = zactor_new (sn_auth_zap_actor, self->auth);
    self->cert = zcert_new ();
    self->admin = zcert_new ();
    for (int i = 0; i < 32; i++)
        self->audit_key [i] = (uint8_t) (i * 7 + 1);
    self->registry = registry_new (self->auth, "admin", zcert_public_txt (self->admin), zcert_public_txt (self->cert));
    s_start_server (self, workers);
    return self;
}

void
ts_registry_stop_server (ts_registry_t *self)
{
    zactor_destroy (&self->server);
}

void
ts_registry_restart_server (ts_registry_t *self, const char *conninfo)
{
    if (conninfo) {
        zstr_free (&self->conninfo);
        self->conninfo = strdup (conninfo);
    }
    s_start_server (self, 4);
}

void
ts_registry_destroy (ts_registry_t **self_p)
{
    ts_registry_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->server);
    zactor_destroy (&self->zap);
    registry_destroy (&self->registry);
    sn_auth_destroy (&self->auth);
    zcert_destroy (&self->cert);
    zcert_destroy (&self->admin);
    ts_db_drop (self->dbname);
    zstr_free (&self->dbname);
    zstr_free (&self->conninfo);
    zstr_free (&self->request);
    zstr_free (&self->events);
    free (self);
    *self_p = NULL;
}

sn_client_t *
ts_admin_client (ts_registry_t *self)
{
    sn_client_t *client = sn_client_new (self->request, self->admin, zcert_public_txt (self->cert));
    s_require (client != NULL, "could not make a client");
    sn_client_set_deadline (client, 15000);
    return client;
}

sn_client_t *
ts_member_client (ts_registry_t *self, const char *id, int kind, const char *ambito, zcert_t **cert_out)
{
    zcert_t *cert = zcert_new ();
    Snodo__Member member = SNODO__MEMBER__INIT;
    member.id = (char *) id;
    member.kind = (Snodo__MemberKind) kind;
    member.name = (char *) id;
    member.ambito = (char *) (ambito ? ambito : "");
    member.public_key = (char *) zcert_public_txt (cert);
    Snodo__Registry__RegisterMemberRequest req = SNODO__REGISTRY__REGISTER_MEMBER_REQUEST__INIT;
    req.member = &member;
    sn_client_t *admin = ts_admin_client (self);
    sn_result_t result;
    int code = sn_client_call (admin, "registry.RegisterMember", "administration", &req.base, NULL, NULL, &result);
    s_require (code == SNODO__CODE__OK, "registering %s: %s %s", id, sn_code_name (code), result.message);
    sn_client_destroy (&admin);
    sn_client_t *client = sn_client_new (self->request, cert, zcert_public_txt (self->cert));
    sn_client_set_deadline (client, 15000);
    if (cert_out)
        *cert_out = cert;
    else
        zcert_destroy (&cert);
    return client;
}

void
ts_codice_fiscale (int n, char *out)
{
    static const char *months = "ABCDEHLMPRST";
    char first [16];
    unsigned v = (unsigned) n;
    for (int i = 5; i >= 0; i--) {
        first [i] = (char) ('A' + v % 26);
        v /= 26;
    }
    unsigned year = 50 + (unsigned) n % 50, day = 1 + ((unsigned) n / 600) % 28;
    first [6] = (char) ('0' + year / 10);
    first [7] = (char) ('0' + year % 10);
    first [8] = months [((unsigned) n / 50) % 12];
    first [9] = (char) ('0' + day / 10);
    first [10] = (char) ('0' + day % 10);
    memcpy (first + 11, "G888", 5);
    memcpy (out, first, 15);
    out [15] = sn_codice_fiscale_check_char (first);
    out [16] = 0;
}

void
ts_person_init (Snodo__Registry__Person *person, int n, char *cf_out)
{
    static Snodo__Registry__Category category = SNODO__REGISTRY__CATEGORY__CATEGORY_PHYSICAL_DISABILITY;
    snodo__registry__person__init (person);
    ts_codice_fiscale (n, cf_out);
    person->codice_fiscale = cf_out;
    person->surname = "Rossi";
    person->name = "Maria";
    person->municipality = "Pordenone";
    person->ambito = "urbano";
    person->categories = &category;
    person->n_categories = 1;
    person->invalidity_percent = 60;
}

zcert_t *
ts_service_cert (ts_registry_t *self, const char *id)
{
    zcert_t *cert = NULL;
    sn_client_t *client = ts_member_client (self, id, SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE,
                                            NULL, &cert);
    sn_client_destroy (&client);
    return cert;
}

char *
ts_service_conninfo (ts_registry_t *self, const char *role)
{
    return ts_conninfo (self->dbname, role);
}

zactor_t *
ts_server_start (ts_registry_t *self, const sn_service_t *service, const char *conninfo, zcert_t *cert,
                 char **request, char **events)
{
    sn_server_config_t config = {
        .request_endpoint = "tcp://127.0.0.1:*",
        .events_endpoint = "tcp://127.0.0.1:*",
        .conninfo = conninfo,
        .cert = cert,
        .auth = self->auth,
        .workers = 4,
        .max_message = 256 * 1024,
        .audit_key = self->audit_key,
        .audit_key_len = sizeof self->audit_key,
        .relay_interval_ms = 200,
    };
    zactor_t *server = sn_server_new (&config, service);
    s_require (server != NULL, "the %s service did not start", service->name);
    s_require (sn_server_endpoints (server, request, events) == 0, "no endpoints");
    //  its workers migrate as they connect, after it serves: a test that reads
    //  the service's tables before its first request waits here for them (the
    //  migration's advisory lock holds this until theirs is done)
    char err [512];
    PGconn *db = sn_store_connect (conninfo, service->name, err, sizeof err);
    s_require (db && sn_store_migrate (db, service->name, service->migrations, err, sizeof err) == 0,
               "the %s schema: %s", service->name, err);
    PQfinish (db);
    return server;
}

sn_client_t *
ts_client_as (const char *endpoint, zcert_t *cert, zcert_t *server_cert)
{
    sn_client_t *client = sn_client_new (endpoint, cert, zcert_public_txt (server_cert));
    s_require (client != NULL, "could not make a client");
    sn_client_set_deadline (client, 15000);
    return client;
}

bool
ts_wait (bool (*done) (void *arg), void *arg, int timeout_ms)
{
    int64_t until = zclock_mono () + timeout_ms;
    while (!done (arg)) {
        if (zclock_mono () >= until)
            return false;
        zclock_sleep (20);
    }
    return true;
}

int
ts_snodoctl (const char *dir, const char *fmt, ...)
{
    char args [2048], cmd [4096];
    va_list ap;
    va_start (ap, fmt);
    vsnprintf (args, sizeof args, fmt, ap);
    va_end (ap);
    snprintf (cmd, sizeof cmd, "%s -c %s/snodo.cfg %s >%s/out.txt 2>%s/err.txt", SNODOCTL_PATH, dir, args, dir, dir);
    int status = system (cmd);
    return WIFEXITED (status) ? WEXITSTATUS (status) : -1;
}

char *
ts_read (const char *dir, const char *name)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s", dir, name);
    FILE *file = fopen (path, "r");
    s_require (file != NULL, "cannot read %s", path);
    char *text = (char *) calloc (1, 65536);
    size_t n = fread (text, 1, 65535, file);
    text [n] = 0;
    fclose (file);
    return text;
}

char *
ts_value (const char *dbname, const char *fmt, ...)
{
    char sql [2048];
    va_list args;
    va_start (args, fmt);
    vsnprintf (sql, sizeof sql, fmt, args);
    va_end (args);
    PGconn *db = ts_db_connect (dbname);
    char *value = ts_sql (db, sql);
    PQfinish (db);
    return value;
}

long
ts_count (const char *dbname, const char *fmt, ...)
{
    char sql [2048];
    va_list args;
    va_start (args, fmt);
    vsnprintf (sql, sizeof sql, fmt, args);
    va_end (args);
    char *value = ts_value (dbname, "%s", sql);
    long n = atol (value);
    free (value);
    return n;
}

zsock_t *
ts_dealer (const char *endpoint, zcert_t *cert, const char *server_key)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    s_require (dealer != NULL, "no socket");
    zcert_apply (cert, dealer);
    zsock_set_curve_serverkey (dealer, server_key);
    s_require (zsock_connect (dealer, "%s", endpoint) == 0, "cannot connect to %s", endpoint);
    return dealer;
}

void
ts_send (zsock_t *dealer, const uint8_t *request_id, const char *method, const char *purpose,
         uint32_t deadline_ms, const ProtobufCMessage *body)
{
    Snodo__Request request = SNODO__REQUEST__INIT;
    request.request_id.data = (uint8_t *) request_id;
    request.request_id.len = 16;
    request.method = (char *) method;
    request.purpose = (char *) purpose;
    request.deadline_ms = deadline_ms;
    request.body.len = body ? protobuf_c_message_get_packed_size (body) : 0;
    request.body.data = (uint8_t *) malloc (request.body.len + 1);
    if (body)
        protobuf_c_message_pack (body, request.body.data);
    zframe_t *frame = zframe_new (NULL, snodo__request__get_packed_size (&request));
    snodo__request__pack (&request, zframe_data (frame));
    free (request.body.data);
    s_require (zframe_send (&frame, dealer, 0) == 0, "could not send %s", method);
}

size_t
ts_replies (zsock_t *dealer, uint8_t ids [][16], size_t n, zframe_t **replies, int timeout_ms)
{
    zpoller_t *poller = zpoller_new (dealer, NULL);
    memset (replies, 0, n * sizeof (zframe_t *));
    int64_t until = zclock_mono () + timeout_ms;
    size_t got = 0;
    while (got < n && zclock_mono () < until && zpoller_wait (poller, (int) (until - zclock_mono ()))) {
        zframe_t *frame = zframe_recv (dealer);
        Snodo__Reply *reply = frame ? snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
        s_require (reply && reply->request_id.len == 16, "a reply without a request_id");
        size_t i = 0;
        while (i < n && (replies [i] || memcmp (ids [i], reply->request_id.data, 16) != 0))
            i++;
        s_require (i < n, "a reply to a request not sent");
        replies [i] = frame;
        got++;
        snodo__reply__free_unpacked (reply, NULL);
    }
    zpoller_destroy (&poller);
    return got;
}

int
ts_reply_code (zframe_t *frame, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **body)
{
    Snodo__Reply *reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
    s_require (reply != NULL, "a reply that is not a snodo.Reply");
    int code = reply->status ? (int) reply->status->code : -1;
    if (body)
        *body = desc && code == SNODO__CODE__OK
              ? protobuf_c_message_unpack (desc, NULL, reply->body.len, reply->body.data) : NULL;
    snodo__reply__free_unpacked (reply, NULL);
    return code;
}

char *
ts_create_person (sn_client_t *client, int n, int *code_out)
{
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, n, cf);
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    Snodo__Registry__Person *out = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "registry.CreatePerson", "placement", &req.base,
                               &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result);
    if (code_out)
        *code_out = code;
    if (code != SNODO__CODE__OK)
        return NULL;
    char *id = strdup (out->id);
    snodo__registry__person__free_unpacked (out, NULL);
    return id;
}

int
ts_company_post (ts_registry_t *reg, const ts_company_post_t *spec, char company_id [37], char post_id [37],
                 sn_result_t *result)
{
    sn_client_t *admin = ts_admin_client (reg);
    Snodo__Registry__Company company = SNODO__REGISTRY__COMPANY__INIT;
    company.partita_iva = (char *) spec->piva;
    company.name = (char *) spec->name;
    company.ateco = "56.29";
    company.employees = spec->employees;
    company.ambito = (char *) (spec->ambito ? spec->ambito : "");
    Snodo__Registry__CreateCompanyRequest creq = SNODO__REGISTRY__CREATE_COMPANY_REQUEST__INIT;
    creq.company = &company;
    Snodo__Registry__Company *made = NULL;
    int code = sn_client_call (admin, "registry.CreateCompany", "administration", &creq.base,
                               &snodo__registry__company__descriptor, (ProtobufCMessage **) &made, result);
    if (code == SNODO__CODE__OK) {
        snprintf (company_id, 37, "%s", made->id);
        protobuf_c_message_free_unpacked (&made->base, NULL);
        Snodo__Registry__JobPost post = SNODO__REGISTRY__JOB_POST__INIT;
        post.employer_id = company_id;
        post.title = "Aiuto cuoco";
        post.weekly_hours = spec->weekly_hours;
        post.places = spec->places;
        post.ambito = company.ambito;
        Snodo__Registry__CreateJobPostRequest preq = SNODO__REGISTRY__CREATE_JOB_POST_REQUEST__INIT;
        preq.post = &post;
        Snodo__Registry__JobPost *posted = NULL;
        code = sn_client_call (admin, "registry.CreateJobPost", "administration", &preq.base,
                               &snodo__registry__job_post__descriptor, (ProtobufCMessage **) &posted, result);
        if (code == SNODO__CODE__OK) {
            snprintf (post_id, 37, "%s", posted->id);
            protobuf_c_message_free_unpacked (&posted->base, NULL);
        }
    }
    sn_client_destroy (&admin);
    return code;
}

//  Saves cert as dir/id.cert (and its secret).
static void
s_save_cert (const char *dir, const char *id, zcert_t *cert)
{
    char path [512];
    snprintf (path, sizeof path, "%s/%s.cert", dir, id);
    s_require (zcert_save (cert, path) == 0, "could not save %s", path);
}

void
ts_snodoctl_dir (char *dir, ts_registry_t *reg, const char *identity, const char *member,
                 zcert_t *member_cert, const char *service, const char *request, zcert_t *service_cert)
{
    s_require (mkdtemp (dir) != NULL, "could not make %s", dir);
    s_save_cert (dir, "admin", reg->admin);
    if (member_cert)
        s_save_cert (dir, member, member_cert);
    char path [512];
    snprintf (path, sizeof path, "%s/snodo.cfg", dir);
    FILE *cfg = fopen (path, "w");
    s_require (cfg != NULL, "could not write %s", path);
    fprintf (cfg, "snodoctl\n    identity = %s\n    certs = \"%s\"\nregistry\n    request = \"%s\"\n"
                  "    public_key = \"%s\"\n", identity, dir, reg->request, zcert_public_txt (reg->cert));
    if (service)
        fprintf (cfg, "%s\n    request = \"%s\"\n    public_key = \"%s\"\n", service, request,
                 zcert_public_txt (service_cert));
    fclose (cfg);
}

double
ts_bench_start (const char *name, int argc, char *argv [])
{
    if (!getenv ("SNODO_TEST_PGHOST")) {
        fprintf (stderr, "%s: run it with deploy/snodo bench (it starts a throwaway cluster)\n", name);
        exit (2);
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    sn_log_setup (0, false);       //  nothing logged: the figures alone
    return argc > 1 ? atof (argv [1]) : 3.0;
}

uint64_t
ts_subscriber_cursor (zactor_t *subscriber)
{
    zstr_send (subscriber, "CURSOR");
    char *text = zstr_recv (subscriber);
    uint64_t cursor = text ? strtoull (text, NULL, 10) : 0;
    zstr_free (&text);
    return cursor;
}

int64_t
ts_usec (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}
