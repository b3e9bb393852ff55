/*  bench_registry: durable writes (CreatePerson) and reads (GetPerson) through
    the real registry over CURVE, at 1, 4 and 16 concurrent clients, against
    two baselines made straight with libpq in the same run: the bare work
    (the insert alone, the point select alone), and the same durable work a
    request does, one transaction each (a write: the row, its idempotency
    record, its outbox event and its audit entry; a read: the select and its
    audit entry, committed before the answer). The baselines' person table
    is the registry's, with its indexes, checks and foreign keys. Prints
    rates, p50/p99 latencies and the ratios.

    Run with deploy/snodo bench (it starts a throwaway cluster), or with
    SNODO_TEST_PGHOST/PGPORT set: bench_registry [seconds per step] */
#include "testsupport.h"
#include "sn_json.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_IDS 400000

typedef enum { SNODO_WRITE, DIRECT_WRITE, SNODO_READ, DIRECT_READ, SNODO_HEALTH, SNODO_WHOAMI,
               DURABLE_WRITE, DURABLE_READ } mode_t_;

static const char *s_mode_names [] = {"write via snodo", "write direct", "read via snodo", "read direct",
                                      "health via snodo", "whoami via snodo", "write durable", "read durable"};

//  The same durable work as a request, one transaction each (autocommit,
//  one round trip): what a naive service would do per request.
#define DURABLE_WRITE_SQL \
    "WITH p AS (INSERT INTO bench.person (id, codice_fiscale, ambito, referring_member_id, categories, data) " \
    "           VALUES ($1::uuid, $2, 'urbano', 'ass6-sil', '{1}', $3::jsonb)), " \
    "i AS (INSERT INTO bench.idempotency (request_id, member_id, method, reply) " \
    "      VALUES (decode (md5 ($1::text), 'hex'), 'ass6-sil', 'registry.CreatePerson', convert_to ($3::text, 'UTF8'))), " \
    "o AS (INSERT INTO bench.outbox (type, subject, body) VALUES ('registry.person.created', $1::text, " \
    "      convert_to ($3::text, 'UTF8'))) " \
    "INSERT INTO bench.audit (member_id, method, purpose, subject, outcome, request_id) " \
    "VALUES ('ass6-sil', 'registry.CreatePerson', 'placement', $1::text, 0, decode (md5 ($1::text), 'hex'))"
#define DURABLE_READ_SQL \
    "WITH a AS (INSERT INTO bench.audit (member_id, method, purpose, subject, outcome, request_id) " \
    "           VALUES ('ass6-sil', 'registry.GetPerson', 'placement', $1::text, 0, " \
    "                   decode (md5 ($1::text || $2::text), 'hex'))) " \
    "SELECT data FROM registry.person WHERE id = $1::uuid"

typedef struct {
    ts_registry_t *reg;         //  the service
    zcert_t *cert;              //  the SIL member's
    char *direct_conninfo;      //  for libpq
    double seconds;             //  per step
    atomic_int next_person;     //  unique codici fiscali
    char (*ids) [37];           //  persons to read
    atomic_int n_ids;
    char *person_json;          //  what a direct insert writes
} bench_t;

typedef struct {
    bench_t *bench;
    mode_t_ mode;
    int64_t *latencies;         //  microseconds
    size_t count, cap;
    int errors;
    unsigned seed;
} worker_t;

static void
s_record (worker_t *w, int64_t usec)
{
    if (w->count == w->cap) {
        w->cap = w->cap ? w->cap * 2 : 4096;
        w->latencies = (int64_t *) realloc (w->latencies, w->cap * sizeof (int64_t));
    }
    w->latencies [w->count++] = usec;
}

static void
s_keep_id (bench_t *b, const char *id)
{
    int n = atomic_fetch_add (&b->n_ids, 1);
    if (n < MAX_IDS)
        snprintf (b->ids [n], 37, "%s", id);
}

static void *
s_worker (void *arg)
{
    worker_t *w = (worker_t *) arg;
    bench_t *b = w->bench;
    sn_client_t *client = NULL;
    PGconn *db = NULL;
    if (w->mode == SNODO_WRITE || w->mode == SNODO_READ || w->mode == SNODO_HEALTH || w->mode == SNODO_WHOAMI)
        client = sn_client_new (b->reg->request, b->cert, zcert_public_txt (b->reg->cert));
    else {
        db = PQconnectdb (b->direct_conninfo);
        PQclear (PQexec (db, "SET synchronous_commit = on"));
    }
    int64_t end = ts_usec () + (int64_t) (b->seconds * 1e6);
    while (ts_usec () < end) {
        int64_t t0 = ts_usec ();
        bool ok = false;
        if (w->mode == SNODO_WRITE) {
            Snodo__Registry__Person person;
            char cf [17];
            ts_person_init (&person, atomic_fetch_add (&b->next_person, 1), cf);
            Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
            req.person = &person;
            Snodo__Registry__Person *out = NULL;
            ok = sn_client_call (client, "registry.CreatePerson", "placement", &req.base,
                                 &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, NULL) == 0;
            if (out) {
                s_keep_id (b, out->id);
                snodo__registry__person__free_unpacked (out, NULL);
            }
        }
        else
        if (w->mode == SNODO_HEALTH) {
            Snodo__HealthRequest req = SNODO__HEALTH_REQUEST__INIT;
            ok = sn_client_call (client, "journal.Health", "", &req.base, NULL, NULL, NULL) == 0;
        }
        else
        if (w->mode == SNODO_WHOAMI) {
            Snodo__Registry__IdentityRequest req = SNODO__REGISTRY__IDENTITY_REQUEST__INIT;
            ok = sn_client_call (client, "registry.WhoAmI", "", &req.base, NULL, NULL, NULL) == 0;
        }
        else
        if (w->mode == DURABLE_WRITE) {
            char cf [17], id [37];
            ts_codice_fiscale (atomic_fetch_add (&b->next_person, 1), cf);
            sn_new_uuid (id);
            const char *params [3] = {id, cf, b->person_json};
            PGresult *res = PQexecParams (db, DURABLE_WRITE_SQL, 3, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus (res) == PGRES_COMMAND_OK;
            if (!ok && w->errors == 0)
                fprintf (stderr, "bench_registry: %s", PQerrorMessage (db));
            PQclear (res);
        }
        else
        if (w->mode == DIRECT_WRITE) {
            char cf [17], id [37];
            ts_codice_fiscale (atomic_fetch_add (&b->next_person, 1), cf);
            sn_new_uuid (id);
            const char *params [3] = {id, cf, b->person_json};
            PGresult *res = PQexecParams (db,
                "INSERT INTO bench.person (id, codice_fiscale, ambito, referring_member_id, categories, data) "
                "VALUES ($1, $2, 'urbano', 'ass6-sil', '{1}', $3)", 3, NULL, params, NULL, NULL, 0);
            ok = PQresultStatus (res) == PGRES_COMMAND_OK;
            PQclear (res);
        }
        else {
            int n = atomic_load (&b->n_ids);
            n = n < MAX_IDS ? n : MAX_IDS;
            const char *id = b->ids [rand_r (&w->seed) % (unsigned) n];
            if (w->mode == SNODO_READ) {
                Snodo__Registry__GetPersonRequest req = SNODO__REGISTRY__GET_PERSON_REQUEST__INIT;
                req.id = (char *) id;
                Snodo__Registry__Person *out = NULL;
                ok = sn_client_call (client, "registry.GetPerson", "placement", &req.base,
                                     &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, NULL) == 0;
                if (out)
                    snodo__registry__person__free_unpacked (out, NULL);
            }
            else {
                char nonce [16];
                snprintf (nonce, sizeof nonce, "%u", rand_r (&w->seed));
                const char *params [2] = {id, nonce};
                bool durable = w->mode == DURABLE_READ;
                PGresult *res = PQexecParams (db, durable ? DURABLE_READ_SQL
                                                          : "SELECT data FROM registry.person WHERE id = $1",
                                              durable ? 2 : 1, NULL, params, NULL, NULL, 0);
                ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;
                PQclear (res);
            }
        }
        if (ok)
            s_record (w, ts_usec () - t0);
        else
            w->errors++;
    }
    sn_client_destroy (&client);
    PQfinish (db);
    return NULL;
}

static int
s_cmp (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return x < y ? -1 : x > y;
}

typedef struct {
    double rate, p50_ms, p99_ms;
    int errors;
} result_t;

static result_t
s_run (bench_t *b, mode_t_ mode, int clients)
{
    pthread_t threads [64];
    worker_t workers [64];
    memset (workers, 0, sizeof workers);
    int64_t t0 = ts_usec ();
    for (int i = 0; i < clients; i++) {
        workers [i].bench = b;
        workers [i].mode = mode;
        workers [i].seed = (unsigned) (i * 7919 + 1);
        pthread_create (&threads [i], NULL, s_worker, &workers [i]);
    }
    size_t total = 0;
    result_t r = {0, 0, 0, 0};
    for (int i = 0; i < clients; i++) {
        pthread_join (threads [i], NULL);
        total += workers [i].count;
        r.errors += workers [i].errors;
    }
    double elapsed = (double) (ts_usec () - t0) / 1e6;
    int64_t *all = (int64_t *) malloc ((total + 1) * sizeof (int64_t));
    size_t k = 0;
    for (int i = 0; i < clients; i++) {
        memcpy (all + k, workers [i].latencies, workers [i].count * sizeof (int64_t));
        k += workers [i].count;
        free (workers [i].latencies);
    }
    qsort (all, total, sizeof (int64_t), s_cmp);
    r.rate = (double) total / elapsed;
    r.p50_ms = total ? (double) all [total / 2] / 1000.0 : 0;
    r.p99_ms = total ? (double) all [(size_t) ((double) total * 0.99)] / 1000.0 : 0;
    free (all);
    return r;
}

static void
s_print (mode_t_ mode, int clients, result_t r)
{
    printf ("%-16s %7d %11.0f %9.2f %9.2f %7d\n", s_mode_names [mode], clients, r.rate, r.p50_ms, r.p99_ms, r.errors);
}

int
main (int argc, char *argv [])
{
    bench_t b;
    memset (&b, 0, sizeof b);
    b.seconds = ts_bench_start ("bench_registry", argc, argv);
    b.ids = calloc (MAX_IDS, 37);
    //  as the services run unless configured: one worker per core
    int workers = getenv ("SNODO_BENCH_WORKERS") ? atoi (getenv ("SNODO_BENCH_WORKERS"))
                                                 : sn_server_default_workers ();
    b.reg = ts_registry_start ("bench", workers);
    sn_client_t *sil = ts_member_client (b.reg, "ass6-sil", TS_KIND (SIL), NULL, &b.cert);
    sn_client_destroy (&sil);
    b.direct_conninfo = ts_conninfo (b.reg->dbname, NULL);
    PGconn *db = PQconnectdb (b.direct_conninfo);
    //  the row as the registry's table holds it: LIKE copies the indexes and
    //  checks but not the foreign keys, which every insert into the real
    //  table checks (its member and ambito, locked FOR KEY SHARE)
    free (ts_sql (db, "CREATE SCHEMA bench; CREATE TABLE bench.person (LIKE registry.person INCLUDING ALL); "
                      "ALTER TABLE bench.person ADD FOREIGN KEY (ambito) REFERENCES registry.ambito, "
                      "ADD FOREIGN KEY (referring_member_id) REFERENCES registry.member, "
                      "ADD FOREIGN KEY (referred_via) REFERENCES registry.member; "
                      "CREATE TABLE bench.idempotency (LIKE registry.idempotency INCLUDING ALL); "
                      "CREATE TABLE bench.outbox (LIKE registry.outbox INCLUDING ALL); "
                      "CREATE TABLE bench.audit (LIKE registry.audit INCLUDING ALL)"));
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 0, cf);
    b.person_json = sn_json_from_message (&person.base, 0);
    atomic_store (&b.next_person, 1);

    printf ("Snodo registry benchmark: %.1f s per step, %d workers, PostgreSQL durable commits\n",
            b.seconds, workers);
    printf ("%-16s %7s %11s %9s %9s %7s\n", "", "clients", "ops/s", "p50 ms", "p99 ms", "errors");
    static const int levels [] = {1, 4, 16};
    result_t results [DURABLE_READ + 1][3];
    //  a mode and a number of clients run that step alone, for a profiler:
    //  bench_registry 5 "read via" 16
    if (argc > 3) {
        for (int m = 0; m <= DURABLE_READ; m++)
            if (strncmp (s_mode_names [m], argv [2], strlen (argv [2])) == 0) {
                if (m == SNODO_READ || m == DIRECT_READ || m == DURABLE_READ)
                    s_run (&b, SNODO_WRITE, 4);
                s_print ((mode_t_) m, atoi (argv [3]), s_run (&b, (mode_t_) m, atoi (argv [3])));
            }
        goto done;
    }
    //  each level: snodo, the bare work, the same durable work, in turn
    static const mode_t_ writes [3] = {SNODO_WRITE, DIRECT_WRITE, DURABLE_WRITE};
    static const mode_t_ reads [3] = {SNODO_READ, DIRECT_READ, DURABLE_READ};
    for (int l = 0; l < 3; l++)
        for (int m = 0; m < 3; m++) {
            results [writes [m]][l] = s_run (&b, writes [m], levels [l]);
            s_print (writes [m], levels [l], results [writes [m]][l]);
        }
    for (int l = 0; l < 3; l++)
        for (int m = 0; m < 3; m++) {
            results [reads [m]][l] = s_run (&b, reads [m], levels [l]);
            s_print (reads [m], levels [l], results [reads [m]][l]);
        }
    //  What bounds the ratios: the runtime alone, a call that touches no
    //  database (CURVE, the broker, a worker, the envelopes); and the least a
    //  read can be, the runtime and one point select (no audit, no rule)
    result_t health = s_run (&b, SNODO_HEALTH, 16);
    s_print (SNODO_HEALTH, 16, health);
    result_t whoami = s_run (&b, SNODO_WHOAMI, 16);
    s_print (SNODO_WHOAMI, 16, whoami);
    printf ("\nratio snodo/the same durable work, one transaction each   clients=1   clients=4   clients=16"
            "   (aim at 16: >= 1.0)\n");
    printf ("writes (row, idempotency, event, audit)                %9.2f   %9.2f   %10.2f\n",
            results [SNODO_WRITE][0].rate / results [DURABLE_WRITE][0].rate,
            results [SNODO_WRITE][1].rate / results [DURABLE_WRITE][1].rate,
            results [SNODO_WRITE][2].rate / results [DURABLE_WRITE][2].rate);
    printf ("reads (select, audit entry on disk)                    %9.2f   %9.2f   %10.2f\n",
            results [SNODO_READ][0].rate / results [DURABLE_READ][0].rate,
            results [SNODO_READ][1].rate / results [DURABLE_READ][1].rate,
            results [SNODO_READ][2].rate / results [DURABLE_READ][2].rate);
    printf ("\nratio snodo/the bare work   clients=1   clients=4   clients=16   (aim at 16: writes >= 0.70, reads >= 0.60)\n");
    printf ("writes (the insert alone)  %9.2f   %9.2f   %10.2f\n",
            results [0][0].rate / results [1][0].rate, results [0][1].rate / results [1][1].rate,
            results [0][2].rate / results [1][2].rate);
    printf ("reads (the select alone)   %9.2f   %9.2f   %10.2f\n",
            results [2][0].rate / results [3][0].rate, results [2][1].rate / results [3][1].rate,
            results [2][2].rate / results [3][2].rate);
    printf ("against direct reads at 16: the runtime alone (health) %.2f, runtime and one point select "
            "(whoami) %.2f\n", health.rate / results [3][2].rate, whoami.rate / results [3][2].rate);
    //  CPU-bound on these cores, costs add: the runtime plus the direct
    //  insert alone, with nothing journalled, would reach this share of it
    printf ("ceiling for writes at 16 (the runtime plus the bare direct insert): %.2f\n",
            1.0 / (1.0 + results [1][2].rate / health.rate));
done:
    free (b.person_json);
    PQfinish (db);
    zstr_free (&b.direct_conninfo);
    zcert_destroy (&b.cert);
    ts_registry_destroy (&b.reg);
    free (b.ids);
    return 0;
}
