/*  fault_driver: the load of the fault suite (tests/faults/faults.sh), from
    outside, as an institution's system would: real clients over CURVE with
    the config that deploy/snodo up wrote, retrying each request with its
    own request_id until it is answered. Then it counts, in the services'
    databases, what the answers promised.

    fault_driver CONFIG writes SERVICE SECONDS CLIENTS
        writes with retries (the registry: CreatePerson; monitoring:
        AddObservation on an ACTIVE pathway) while the script kills the
        service; prints acknowledged, rows found, lost, applied twice, and
        the longest time without an acknowledgement
    fault_driver CONFIG reads SECONDS CLIENTS
        CreatePerson and GetPerson on the registry while the script stops
        PostgreSQL at once; prints writes acknowledged and lost, reads that
        carried a person's data and those without their audit entry, and
        the answers by status
    fault_driver CONFIG broker SECONDS CLIENTS
        good requests among requests the broker refuses itself; prints the
        good ones answered, the slowest, and those held past 2 s

    Exit 0 when every count is as it must be (0 lost, 0 twice, 0
    unaudited, 0 held), 1 otherwise, 2 on a usage or set-up error. */
#include "sn_log.h"
#include "sn_client.h"
#include "sn_check.h"
#include "sn_config.h"
#include "sn_validate.h"
#include "registry.pb-c.h"
#include "monitoring.pb-c.h"
#include <libpq-fe.h>
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

#define MAX_ITEMS 200000
#define RETRY_FOR_MS 90000          //  an item is retried this long at most
#define HELD_MS 2000                //  a good reply later than this was held

typedef enum {W_PERSON, W_OBSERVATION, R_READ} s_kind_t;

typedef struct {
    zconfig_t *config;
    const char *service;            //  whose requests
    s_kind_t kind;
    double seconds;
    zcert_t *cert;                  //  the SIL's
    char server_key [41];
    char endpoint [SN_ENDPOINT_MAX];
    char pathway [40];              //  for observations
    char run [16];                  //  marks this run's rows
    char surname [32];              //  of this run's persons
    atomic_int next;                //  items numbered across clients
    atomic_int acked;               //  writes acknowledged
    uint8_t (*acked_ids) [16];      //  their request_ids (writes) ...
    char (*acked_keys) [40];        //  ... and keys (codice fiscale, notes)
    atomic_int reads_ok;            //  reads that carried a person
    uint8_t (*read_ids) [16];
    atomic_int codes [17];          //  every answer by status
    atomic_llong last_ack_ms;       //  for the longest gap
    atomic_llong longest_gap_ms;
    pthread_mutex_t lock;           //  guards persons
    char (*persons) [37];           //  persons to read
    int n_persons;
    atomic_int threads;             //  clients started, to number them
} s_load_t;

static int64_t
s_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
s_acked (s_load_t *self)
{
    int64_t now = s_ms ();
    int64_t last = atomic_exchange (&self->last_ack_ms, now);
    if (last && now - last > atomic_load (&self->longest_gap_ms))
        atomic_store (&self->longest_gap_ms, now - last);
}

//  A codice fiscale of item n of this run (distinct across runs).
static void
s_codice_fiscale (s_load_t *self, int n, char *out)
{
    static const char *months = "ABCDEHLMPRST";
    char first [16];
    unsigned v = (unsigned) n + (unsigned) atoi (self->run) * 100000u;
    for (int i = 5; i >= 0; i--) {
        first [i] = (char) ('A' + v % 26);
        v /= 26;
    }
    first [6] = '7';
    first [7] = (char) ('0' + n % 10);
    first [8] = months [(n / 10) % 12];
    first [9] = '1';
    first [10] = (char) ('0' + 1 + (n / 120) % 9);
    memcpy (first + 11, "G888", 5);
    memcpy (out, first, 15);
    out [15] = sn_codice_fiscale_check_char (first);
    out [16] = 0;
}

//  Sends one write (item n) with request_id id until an answer other than
//  "not now" comes, or RETRY_FOR_MS passes. Returns the last code; *key
//  says what the row is known by.
static int
s_write (s_load_t *self, sn_client_t *client, int n, const uint8_t *id, char *key, char *person_id)
{
    Snodo__Registry__Person person = SNODO__REGISTRY__PERSON__INIT;
    Snodo__Registry__CreatePersonRequest create = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    Snodo__Monitoring__Observation obs = SNODO__MONITORING__OBSERVATION__INIT;
    Snodo__Registry__Profile scores = SNODO__REGISTRY__PROFILE__INIT;
    Snodo__Monitoring__AddObservationRequest add = SNODO__MONITORING__ADD_OBSERVATION_REQUEST__INIT;
    char today [11];
    time_t now = time (NULL);
    strftime (today, sizeof today, "%Y-%m-%d", gmtime (&now));
    const ProtobufCMessage *input;
    const char *method;
    if (self->kind != W_OBSERVATION) {
        s_codice_fiscale (self, n, key);
        person.codice_fiscale = key;
        person.surname = self->surname;
        person.name = "Guasto";
        person.municipality = "Pordenone";
        person.ambito = "urbano";
        create.person = &person;
        input = &create.base;
        method = "registry.CreatePerson";
    }
    else {
        snprintf (key, 40, "fault-%s-%d", self->run, n);
        obs.pathway_id = self->pathway;
        obs.observed_on = today;
        scores.work_planning = 3;
        obs.scores = &scores;
        obs.observer = "fault suite";
        obs.notes = key;
        add.observation = &obs;
        input = &add.base;
        method = "monitoring.AddObservation";
    }
    int64_t until = s_ms () + RETRY_FOR_MS;
    int code;
    do {
        sn_result_t result;
        Snodo__Registry__Person *out = NULL;
        code = sn_client_call_id (client, id, method, "monitoring", input,
                                  self->kind == W_OBSERVATION ? NULL : &snodo__registry__person__descriptor,
                                  (ProtobufCMessage **) &out, &result);
        if (out) {
            snprintf (person_id, 37, "%s", out->id);
            snodo__registry__person__free_unpacked (out, NULL);
        }
        atomic_fetch_add (&self->codes [code >= 0 && code <= 16 ? code : 2], 1);
        if (code != SNODO__CODE__DEADLINE_EXCEEDED && code != SNODO__CODE__UNAVAILABLE
        &&  code != SNODO__CODE__ABORTED)
            break;
        zclock_sleep (100);
    } while (s_ms () < until);
    return code;
}

//  A read of a person created in this run: its request_id when it carried
//  the person.
static void
s_read (s_load_t *self, sn_client_t *client, unsigned *seed)
{
    char person [37] = "";
    pthread_mutex_lock (&self->lock);
    if (self->n_persons)
        memcpy (person, self->persons [rand_r (seed) % (unsigned) self->n_persons], sizeof person);
    pthread_mutex_unlock (&self->lock);
    if (!*person) {
        zclock_sleep (10);
        return;
    }
    Snodo__Registry__GetPersonRequest get = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
    get.id = person;
    uint8_t id [16];
    for (int i = 0; i < 16; i++)
        id [i] = (uint8_t) rand_r (seed);
    Snodo__Registry__Person *out = NULL;
    sn_result_t result;
    int code = sn_client_call_id (client, id, "registry.GetPerson", "placement", &get.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result);
    atomic_fetch_add (&self->codes [code >= 0 && code <= 16 ? code : 2], 1);
    if (code == SNODO__CODE__OK && out && *out->codice_fiscale) {
        int k = atomic_fetch_add (&self->reads_ok, 1);
        if (k < MAX_ITEMS)
            memcpy (self->read_ids [k], id, 16);
    }
    if (out)
        snodo__registry__person__free_unpacked (out, NULL);
}

static void *
s_client_thread (void *arg)
{
    s_load_t *self = (s_load_t *) arg;
    sn_client_t *client = sn_client_new (self->endpoint, self->cert, self->server_key);
    sn_client_set_deadline (client, 3000);
    sn_client_set_retries (client, 1);
    unsigned seed = (unsigned) (uintptr_t) &client ^ (unsigned) s_ms ();
    int64_t end = s_ms () + (int64_t) (self->seconds * 1000);
    bool reader = self->kind == R_READ && atomic_fetch_add (&self->threads, 1) % 2 == 1;
    while (s_ms () < end) {
        if (reader) {
            s_read (self, client, &seed);
            continue;
        }
        int n = atomic_fetch_add (&self->next, 1);
        if (n >= MAX_ITEMS)
            break;
        uint8_t id [16];
        for (int i = 0; i < 16; i++)
            id [i] = (uint8_t) rand_r (&seed);
        char key [40], person_id [37] = "";
        if (s_write (self, client, n, id, key, person_id) == SNODO__CODE__OK) {
            int k = atomic_fetch_add (&self->acked, 1);
            memcpy (self->acked_ids [k], id, 16);
            snprintf (self->acked_keys [k], 40, "%s", key);
            s_acked (self);
            pthread_mutex_lock (&self->lock);
            if (*person_id && self->n_persons < MAX_ITEMS)
                snprintf (self->persons [self->n_persons++], 37, "%s", person_id);
            pthread_mutex_unlock (&self->lock);
        }
    }
    sn_client_destroy (&client);
    return NULL;
}

//  --- counting what the answers promised --------------------------------------

//  The first value of sql with one array parameter, as a number.
static long
s_count (PGconn *db, const char *sql, const char *array)
{
    const char *params [2] = {array, NULL};
    PGresult *res = PQexecParams (db, sql, array ? 1 : 0, NULL, params, NULL, NULL, 0);
    long n = -1;
    if (PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1)
        n = atol (PQgetvalue (res, 0, 0));
    else
        fprintf (stderr, "fault_driver: %s: %s", sql, PQerrorMessage (db));
    PQclear (res);
    return n;
}

//  A connection to service's schema, from the config. Exits on failure.
static PGconn *
s_db (s_load_t *self, const char *service)
{
    char path [128];
    snprintf (path, sizeof path, "%s/db", service);
    PGconn *db = PQconnectdb (zconfig_get (self->config, path, ""));
    //  after a crash, PostgreSQL recovers before it takes connections
    for (int i = 0; i < 300 && PQstatus (db) != CONNECTION_OK; i++) {
        PQfinish (db);
        zclock_sleep (100);
        db = PQconnectdb (zconfig_get (self->config, path, ""));
    }
    if (PQstatus (db) != CONNECTION_OK) {
        fprintf (stderr, "fault_driver: cannot reach the %s database: %s", service, PQerrorMessage (db));
        exit (2);
    }
    return db;
}

//  Writes: every acknowledged one found once. Returns 0 when so.
static int
s_check_writes (s_load_t *self)
{
    int acked = atomic_load (&self->acked);
    sn_array_t keys = SN_ARRAY_INIT;
    for (int k = 0; k < acked; k++)
        sn_array_text (&keys, self->acked_keys [k]);
    PGconn *db = s_db (self, self->service);
    long found, twice, committed;
    if (self->kind != W_OBSERVATION) {
        found = s_count (db, "SELECT count (*) FROM registry.person WHERE codice_fiscale = ANY ($1::text [])",
                         sn_array_end (&keys));
        twice = s_count (db, "SELECT count (*) FROM (SELECT o.subject FROM registry.outbox o "
                             "JOIN registry.person p ON o.subject = p.id::text "
                             "WHERE o.type = 'registry.person.created' AND p.codice_fiscale = ANY ($1::text []) "
                             "GROUP BY o.subject HAVING count (*) > 1) AS t", sn_array_end (&keys));
        committed = s_count (db, "SELECT count (*) FROM registry.person WHERE data->>'surname' = $1",
                             self->surname);
    }
    else {
        found = s_count (db, "SELECT count (DISTINCT notes) FROM monitoring.observation WHERE notes = ANY ($1::text [])",
                         sn_array_end (&keys));
        twice = s_count (db, "SELECT coalesce (sum (n - 1), 0) FROM (SELECT count (*) AS n FROM monitoring.observation "
                             "WHERE notes = ANY ($1::text []) GROUP BY notes) AS t", sn_array_end (&keys));
        char like [64];
        snprintf (like, sizeof like, "fault-%s-%%", self->run);
        const char *params [1] = {like};
        PGresult *res = PQexecParams (db, "SELECT count (*) FROM monitoring.observation WHERE notes LIKE $1",
                                      1, NULL, params, NULL, NULL, 0);
        committed = PQresultStatus (res) == PGRES_TUPLES_OK ? atol (PQgetvalue (res, 0, 0)) : -1;
        PQclear (res);
    }
    PQfinish (db);
    sn_array_free (&keys);
    printf ("%s writes: %d acknowledged, %ld found, %ld lost, %ld applied twice; %ld committed in all "
            "(beyond the acknowledged: answered to no one); longest without an acknowledgement %.1f s\n", self->service, acked, found, acked - found, twice, committed,
            (double) atomic_load (&self->longest_gap_ms) / 1000.0);
    return found == acked && twice == 0 ? 0 : 1;
}

//  Reads: every one that carried a person has its audit entry.
static int
s_check_reads (s_load_t *self)
{
    int reads = atomic_load (&self->reads_ok);
    reads = reads < MAX_ITEMS ? reads : MAX_ITEMS;
    sn_array_t ids = SN_ARRAY_INIT;
    for (int k = 0; k < reads; k++)
        sn_array_bytea (&ids, self->read_ids [k], 16);
    PGconn *db = s_db (self, "registry");
    long audited = s_count (db, "SELECT count (DISTINCT request_id) FROM registry.audit "
                                "WHERE request_id = ANY ($1::bytea []) AND outcome = 0", sn_array_end (&ids));
    if (audited != reads) {
        //  what the trail has of them, to tell which
        PGresult *res = PQexecParams (db, "SELECT encode (r, 'hex'), coalesce ((SELECT string_agg (outcome::text || "
            "' ' || method || ' ' || at::text, ', ') FROM registry.audit WHERE request_id = r), 'nothing') "
            "FROM unnest ($1::bytea []) AS r", 1, NULL, (const char *const []) {sn_array_end (&ids)}, NULL, NULL, 0);
        for (int i = 0; PQresultStatus (res) == PGRES_TUPLES_OK && i < PQntuples (res); i++)
            if (strstr (PQgetvalue (res, i, 1), "nothing") || !strstr (PQgetvalue (res, i, 1), "0 "))
                printf ("  read %s: the trail has %s\n", PQgetvalue (res, i, 0), PQgetvalue (res, i, 1));
        PQclear (res);
    }
    PQfinish (db);
    sn_array_free (&ids);
    printf ("registry reads: %d carried a person's data, %ld with their audit entry, %ld unaudited\n",
            reads, audited, reads - audited);
    return audited == reads ? 0 : 1;
}

static void
s_print_codes (s_load_t *self)
{
    printf ("answers:");
    for (int c = 0; c <= 16; c++)
        if (atomic_load (&self->codes [c]))
            printf (" %s %d", sn_code_name (c), atomic_load (&self->codes [c]));
    printf ("\n");
}

//  --- the broker fed refused requests between good ones ---------------------------

typedef struct {
    s_load_t *load;
    int good, answered, held;
    int64_t slowest_ms;
} s_broker_client_t;

//  A good request (registry.WhoAmI) on dealer: the time its reply took, or
//  -1 if none came in 10 s.
static int64_t
s_good_request (zsock_t *dealer, unsigned *seed)
{
    Snodo__Request request = SNODO__REQUEST__INIT;
    uint8_t id [16];
    for (int i = 0; i < 16; i++)
        id [i] = (uint8_t) rand_r (seed);
    request.request_id.data = id;
    request.request_id.len = 16;
    request.method = "registry.WhoAmI";
    request.purpose = "";
    zframe_t *frame = zframe_new (NULL, snodo__request__get_packed_size (&request));
    snodo__request__pack (&request, zframe_data (frame));
    int64_t t0 = s_ms ();
    zframe_send (&frame, dealer, 0);
    zframe_t *reply = zframe_recv (dealer);
    int64_t took = reply ? s_ms () - t0 : -1;
    zframe_destroy (&reply);
    return took;
}

static void *
s_broker_thread (void *arg)
{
    s_broker_client_t *self = (s_broker_client_t *) arg;
    s_load_t *load = self->load;
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    zcert_apply (load->cert, dealer);
    zsock_set_curve_serverkey (dealer, load->server_key);
    zsock_set_rcvtimeo (dealer, 10000);
    zsock_connect (dealer, "%s", load->endpoint);
    unsigned seed = (unsigned) (uintptr_t) self;
    size_t big = 2 * 1024 * 1024;
    char *oversized = (char *) calloc (1, big);
    int64_t end = s_ms () + (int64_t) (load->seconds * 1000);
    for (int i = 0; s_ms () < end; i++) {
        //  refused by the broker itself: two frames, or over the size limit
        if (i % 2) {
            zstr_sendm (dealer, "one");
            zstr_send (dealer, "two");
        }
        else {
            zframe_t *frame = zframe_new (oversized, big);
            zframe_send (&frame, dealer, 0);
        }
        zframe_t *refusal = zframe_recv (dealer);
        zframe_destroy (&refusal);
        int64_t took = s_good_request (dealer, &seed);
        self->good++;
        if (took >= 0)
            self->answered++;
        if (took < 0 || took > HELD_MS)
            self->held++;
        if (took > self->slowest_ms)
            self->slowest_ms = took;
    }
    free (oversized);
    zsock_destroy (&dealer);
    return NULL;
}

static int
s_broker (s_load_t *self, int clients)
{
    pthread_t threads [64];
    s_broker_client_t each [64];
    memset (each, 0, sizeof each);
    for (int i = 0; i < clients; i++) {
        each [i].load = self;
        pthread_create (&threads [i], NULL, s_broker_thread, &each [i]);
    }
    int good = 0, answered = 0, held = 0;
    int64_t slowest = 0;
    for (int i = 0; i < clients; i++) {
        pthread_join (threads [i], NULL);
        good += each [i].good;
        answered += each [i].answered;
        held += each [i].held;
        slowest = each [i].slowest_ms > slowest ? each [i].slowest_ms : slowest;
    }
    printf ("broker: %d good requests among as many refused ones, %d answered, slowest %.3f s, %d held "
            "past %d s\n", good, answered, (double) slowest / 1000.0, held, HELD_MS / 1000);
    return answered == good && held == 0 && good > 0 ? 0 : 1;
}

//  --- set-up ------------------------------------------------------------------------

//  The SIL's certificate and where service listens, from the config. Returns 0 or -1.
static int
s_setup (s_load_t *self, const char *config_path, const char *service)
{
    self->config = zconfig_load (config_path);
    if (!self->config)
        return -1;
    self->service = service;
    char err [256], path [512];
    sn_peer_t peer;
    if (sn_config_peer (self->config, service, &peer, err, sizeof err)) {
        fprintf (stderr, "fault_driver: %s\n", err);
        return -1;
    }
    snprintf (self->endpoint, sizeof self->endpoint, "%s", peer.request);
    snprintf (self->server_key, sizeof self->server_key, "%s", peer.public_key);
    //  the SIL refers persons; observations are recorded as the operator,
    //  who may record on any pathway
    snprintf (path, sizeof path, "%s/%s.cert", zconfig_get (self->config, "snodoctl/certs", "."),
              streq (service, "monitoring") ? "admin" : "ass6-sil");
    self->cert = zcert_load (path);
    snprintf (self->run, sizeof self->run, "%d", (int) (time (NULL) % 100000));
    //  letters only: a surname is a name
    snprintf (self->surname, sizeof self->surname, "Prova%c%c%c", 'A' + (int) (time (NULL) % 26),
              'A' + (int) (time (NULL) / 26 % 26), 'A' + (int) (time (NULL) / 676 % 26));
    self->acked_ids = calloc (MAX_ITEMS, 16);
    self->acked_keys = calloc (MAX_ITEMS, 40);
    self->read_ids = calloc (MAX_ITEMS, 16);
    self->persons = calloc (MAX_ITEMS, 37);
    pthread_mutex_init (&self->lock, NULL);
    return self->cert ? 0 : -1;
}

//  An ACTIVE pathway, for observations. Returns 0 or -1.
static int
s_find_pathway (s_load_t *self)
{
    sn_client_t *client = sn_client_new (self->endpoint, self->cert, self->server_key);
    Snodo__Monitoring__ListPathwaysRequest list = SNODO__MONITORING__LIST_PATHWAYS_REQUEST__INIT;
    list.state = SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_ACTIVE;
    Snodo__Monitoring__ListPathwaysReply *found = NULL;
    sn_result_t result;
    int code = sn_client_call (client, "monitoring.ListPathways", "monitoring", &list.base,
                               &snodo__monitoring__list_pathways_reply__descriptor, (ProtobufCMessage **) &found,
                               &result);
    if (code == SNODO__CODE__OK && found->n_pathways)
        snprintf (self->pathway, sizeof self->pathway, "%s", found->pathways [0]->id);
    else
        fprintf (stderr, "fault_driver: no ACTIVE pathway: %s %s\n", sn_code_name (code), result.message);
    if (found)
        protobuf_c_message_free_unpacked (&found->base, NULL);
    sn_client_destroy (&client);
    return *self->pathway ? 0 : -1;
}

static void
s_load (s_load_t *self, int clients)
{
    pthread_t threads [64];
    for (int i = 0; i < clients; i++)
        pthread_create (&threads [i], NULL, s_client_thread, self);
    for (int i = 0; i < clients; i++)
        pthread_join (threads [i], NULL);
}

int
main (int argc, char *argv [])
{
    if (argc < 5) {
        fprintf (stderr, "usage: fault_driver CONFIG writes SERVICE SECONDS CLIENTS | reads SECONDS CLIENTS | "
                         "broker SECONDS CLIENTS\n");
        return 2;
    }
    zsys_init ();
    zsys_set_logstream (NULL);
    sn_log_setup (0, false);       //  nothing logged: the figures alone
    static s_load_t load;
    const char *scenario = argv [2];
    bool writes = streq (scenario, "writes");
    if (writes && argc < 6)
        return 2;
    const char *service = writes ? argv [3] : "registry";
    int at = writes ? 4 : 3;
    load.seconds = atof (argv [at]);
    int clients = atoi (argv [at + 1]);
    if (clients < 1 || clients > 64 || s_setup (&load, argv [1], service)) {
        fprintf (stderr, "fault_driver: cannot set up (config %s, service %s)\n", argv [1], service);
        return 2;
    }
    int rc;
    if (streq (scenario, "broker"))
        rc = s_broker (&load, clients);
    else
    if (writes) {
        load.kind = streq (service, "monitoring") ? W_OBSERVATION : W_PERSON;
        if (load.kind == W_OBSERVATION && s_find_pathway (&load))
            return 2;
        s_load (&load, clients);
        s_print_codes (&load);
        rc = s_check_writes (&load);
    }
    else {
        load.kind = R_READ;
        s_load (&load, clients);
        s_print_codes (&load);
        rc = s_check_writes (&load) | s_check_reads (&load);
        //  a database gone away is UNAVAILABLE, never INTERNAL
        if (atomic_load (&load.codes [SNODO__CODE__INTERNAL])) {
            printf ("INTERNAL answers while the database was away: %d\n",
                    atomic_load (&load.codes [SNODO__CODE__INTERNAL]));
            rc = 1;
        }
    }
    return rc;
}
