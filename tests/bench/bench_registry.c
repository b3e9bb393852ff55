/*  bench_registry: durable writes (CreatePerson) and reads (GetPerson) through
    the real registry over CURVE, at 1, 4 and 16 concurrent clients, against
    the same inserts and a point select made straight with libpq in the same
    run. Prints rates, p50/p99 latencies and the ratios.

    Run with deploy/snodo bench (it starts a throwaway cluster), or with
    SNODO_TEST_PGHOST/PGPORT set: bench_registry [seconds per step] */
#include "testsupport.h"
#include "sn_json.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define MAX_IDS 400000

typedef enum { SNODO_WRITE, DIRECT_WRITE, SNODO_READ, DIRECT_READ, SNODO_HEALTH, SNODO_WHOAMI } mode_t_;

static const char *s_mode_names [] = {"write via snodo", "write direct", "read via snodo", "read direct",
                                      "health via snodo", "whoami via snodo"};

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

static int64_t
s_usec (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return (int64_t) ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

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
    int64_t end = s_usec () + (int64_t) (b->seconds * 1e6);
    while (s_usec () < end) {
        int64_t t0 = s_usec ();
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
                const char *params [1] = {id};
                PGresult *res = PQexecParams (db, "SELECT data FROM registry.person WHERE id = $1",
                                              1, NULL, params, NULL, NULL, 0);
                ok = PQresultStatus (res) == PGRES_TUPLES_OK && PQntuples (res) == 1;
                PQclear (res);
            }
        }
        if (ok)
            s_record (w, s_usec () - t0);
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
    int64_t t0 = s_usec ();
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
    double elapsed = (double) (s_usec () - t0) / 1e6;
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
    free (ts_sql (db, "CREATE SCHEMA bench; CREATE TABLE bench.person (LIKE registry.person INCLUDING ALL)"));
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 0, cf);
    b.person_json = sn_json_from_message (&person.base, 0);
    atomic_store (&b.next_person, 1);

    printf ("Snodo registry benchmark: %.1f s per step, %d workers, PostgreSQL durable commits\n",
            b.seconds, workers);
    printf ("%-16s %7s %11s %9s %9s %7s\n", "", "clients", "ops/s", "p50 ms", "p99 ms", "errors");
    static const int levels [] = {1, 4, 16};
    result_t results [4][3];
    //  a mode and a number of clients run that step alone, for a profiler:
    //  bench_registry 5 "read via" 16
    if (argc > 3) {
        for (int m = 0; m <= SNODO_WHOAMI; m++)
            if (strncmp (s_mode_names [m], argv [2], strlen (argv [2])) == 0) {
                if (m == SNODO_READ || m == DIRECT_READ)
                    s_run (&b, SNODO_WRITE, 4);
                s_print ((mode_t_) m, atoi (argv [3]), s_run (&b, (mode_t_) m, atoi (argv [3])));
            }
        goto done;
    }
    for (int l = 0; l < 3; l++) {
        results [SNODO_WRITE][l] = s_run (&b, SNODO_WRITE, levels [l]);
        s_print (SNODO_WRITE, levels [l], results [SNODO_WRITE][l]);
        results [DIRECT_WRITE][l] = s_run (&b, DIRECT_WRITE, levels [l]);
        s_print (DIRECT_WRITE, levels [l], results [DIRECT_WRITE][l]);
    }
    for (int l = 0; l < 3; l++) {
        results [SNODO_READ][l] = s_run (&b, SNODO_READ, levels [l]);
        s_print (SNODO_READ, levels [l], results [SNODO_READ][l]);
        results [DIRECT_READ][l] = s_run (&b, DIRECT_READ, levels [l]);
        s_print (DIRECT_READ, levels [l], results [DIRECT_READ][l]);
    }
    //  What bounds the ratios: the runtime alone, a call that touches no
    //  database (CURVE, the broker, a worker, the envelopes); and the least a
    //  read can be, the runtime and one point select (no audit, no rule)
    result_t health = s_run (&b, SNODO_HEALTH, 16);
    s_print (SNODO_HEALTH, 16, health);
    result_t whoami = s_run (&b, SNODO_WHOAMI, 16);
    s_print (SNODO_WHOAMI, 16, whoami);
    printf ("\nratio snodo/direct   clients=1   clients=4   clients=16   (aim at 16: writes >= 0.70, reads >= 0.60)\n");
    printf ("writes             %9.2f   %9.2f   %10.2f\n",
            results [0][0].rate / results [1][0].rate, results [0][1].rate / results [1][1].rate,
            results [0][2].rate / results [1][2].rate);
    printf ("reads              %9.2f   %9.2f   %10.2f\n",
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
