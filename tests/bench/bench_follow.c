/*  bench_follow: a member's own stream (journal.Follow) against the
    services' own subscriber (sn_subscriber: PUB/SUB with Replay, its cursor
    in its database), in the same run, over the real registry and CURVE.

    Ten SIL members each create persons they refer; each follows its stream
    from its cursor (max 1000 a page, waiting in the service), so each sees
    its own persons' events and none of the others' (the filter runs on every
    event). A subscriber as a SERVICE member hears every event.

    - live, quiet then loaded: one member writes every 20 ms, then the ten
      write as fast as they can, for a step's seconds each; each person's
      creation is timed from its writer's reply (the commit is just before
      it) to the event in its member's stream, and to the event in the
      subscriber's apply; an event heard before the reply counts as 0. p50
      and p99.
    - catch-up: a backlog written with nobody listening, then ten streams
      from their cursors at once, and a new subscriber from 0: events/s.

    Several rounds; the median of each figure, [lowest - highest]. Run with
    deploy/snodo bench follow [seconds per step] [rounds]. */
#include "testsupport.h"
#include "sn_subscriber.h"
#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#define STREAMS     10
#define MAX_ROUNDS  9
#define MAX_TIMED   200000

//  One person's creation: when its writer had the reply, when its stream
//  and the subscriber had the event (microseconds, monotonic; 0 = not yet).
typedef struct {
    char id [37];
    int64_t reply, stream, sub;
} timed_t;

typedef struct {
    ts_registry_t *reg;
    zcert_t *certs [STREAMS];
    char ids [STREAMS][16];
    pthread_mutex_t lock;
    zhashx_t *timed;            //  person id -> timed_t
    timed_t *slab;
    size_t used;
    atomic_int next_person;
    atomic_bool writing;
    atomic_bool listening;
    int pace_ms;                //  a writer's pause between writes (0: none)
    uint64_t cursors [STREAMS]; //  each stream's
    atomic_long delivered;      //  person events the streams had
} bench_t;

//  Sets the time of what (reply, stream or sub) for person id, now.
static void
s_mark (bench_t *b, const char *id, size_t what)
{
    int64_t now = ts_usec ();
    pthread_mutex_lock (&b->lock);
    timed_t *t = (timed_t *) zhashx_lookup (b->timed, id);
    if (!t && b->used < MAX_TIMED) {
        t = &b->slab [b->used++];
        memset (t, 0, sizeof *t);
        snprintf (t->id, sizeof t->id, "%s", id);
        zhashx_insert (b->timed, t->id, t);
    }
    if (t)
        *(int64_t *) ((char *) t + what) = now;
    pthread_mutex_unlock (&b->lock);
}

typedef struct {
    bench_t *b;
    int member;
    long count;
} job_t;

static void *
s_writer (void *arg)
{
    job_t *job = (job_t *) arg;
    bench_t *b = job->b;
    sn_client_t *client = ts_client_as (b->reg->request, b->certs [job->member], b->reg->cert);
    while (atomic_load (&b->writing)) {
        Snodo__Registry__Person person;
        char cf [17];
        ts_person_init (&person, atomic_fetch_add (&b->next_person, 1), cf);
        person.referring_member_id = b->ids [job->member];
        Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
        req.person = &person;
        Snodo__Registry__Person *out = NULL;
        sn_result_t result;
        if (sn_client_call (client, "registry.CreatePerson", "placement", &req.base,
                            &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result)
            == SNODO__CODE__OK) {
            if (atomic_load (&b->listening))
                s_mark (b, out->id, offsetof (timed_t, reply));
            job->count++;
            snodo__registry__person__free_unpacked (out, NULL);
        }
        if (b->pace_ms)
            zclock_sleep (b->pace_ms);
    }
    sn_client_destroy (&client);
    return NULL;
}

//  A member's stream: pages from its cursor until told to stop (live) or
//  until it has caught up with until (catch-up, until > 0).
static void *
s_stream (void *arg)
{
    job_t *job = (job_t *) arg;
    bench_t *b = job->b;
    sn_client_t *client = ts_client_as (b->reg->request, b->certs [job->member], b->reg->cert);
    uint64_t until = (uint64_t) job->count;
    job->count = 0;
    while (until ? b->cursors [job->member] < until : atomic_load (&b->listening)) {
        Snodo__FollowRequest req = SNODO__FOLLOW_REQUEST__INIT;
        req.after_seq = b->cursors [job->member];
        req.max = 1000;
        req.wait_ms = 500;
        Snodo__FollowReply *reply = NULL;
        sn_result_t result;
        if (sn_client_call (client, "journal.Follow", "placement", &req.base, &snodo__follow_reply__descriptor,
                            (ProtobufCMessage **) &reply, &result) != SNODO__CODE__OK) {
            fprintf (stderr, "bench_follow: Follow: %s\n", result.message);
            break;
        }
        for (size_t i = 0; i < reply->n_events; i++)
            if (streq (reply->events [i]->type, "registry.person.created")) {
                if (!until)
                    s_mark (b, reply->events [i]->subject, offsetof (timed_t, stream));
                job->count++;
            }
        b->cursors [job->member] = reply->next_after;
        snodo__follow_reply__free_unpacked (reply, NULL);
    }
    atomic_fetch_add (&b->delivered, job->count);
    sn_client_destroy (&client);
    return NULL;
}

static int
s_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    (void) db;
    bench_t *b = (bench_t *) arg;
    if (atomic_load (&b->listening) && streq (event->type, "registry.person.created"))
        s_mark (b, event->subject, offsetof (timed_t, sub));
    return 0;
}

static zactor_t *
s_subscriber (bench_t *b, zcert_t *cert, const char *conninfo, const char *schema)
{
    sn_subscriber_config_t config = {
        .source = "registry", .events_endpoint = b->reg->events, .request_endpoint = b->reg->request,
        .server_key = zcert_public_txt (b->reg->cert), .cert = cert, .conninfo = conninfo,
        .schema = schema, .apply = s_apply, .arg = b
    };
    return sn_subscriber_new (&config);
}

//  The registry's last published seq.
static uint64_t
s_last_seq (bench_t *b)
{
    char *text = ts_value (b->reg->dbname, "SELECT coalesce (max (seq), 0) FROM registry.outbox");
    uint64_t seq = text ? strtoull (text, NULL, 10) : 0;
    free (text);
    return seq;
}

static int
s_compare (const void *a, const void *b)
{
    int64_t x = *(const int64_t *) a, y = *(const int64_t *) b;
    return (x > y) - (x < y);
}

static double
s_percentile (int64_t *v, size_t n, double p)
{
    if (!n)
        return 0;
    qsort (v, n, sizeof *v, s_compare);
    size_t i = (size_t) ((double) n * p);
    return (double) v [i < n ? i : n - 1] / 1000.0;
}

typedef struct {
    double quiet_stream_p50, quiet_stream_p99, quiet_sub_p50, quiet_sub_p99;
    double stream_p50, stream_p99, sub_p50, sub_p99, writes;
    double stream_rate, sub_rate;
    long early_stream, early_sub, lost_stream, lost_sub;
} round_t;

//  The live step: writers (one a member, the first n_writers) and the ten
//  streams and the subscriber together for seconds.
static void
s_live (bench_t *b, zactor_t *sub, int n_writers, double seconds, round_t *r)
{
    pthread_mutex_lock (&b->lock);
    zhashx_purge (b->timed);
    b->used = 0;
    pthread_mutex_unlock (&b->lock);
    uint64_t last = s_last_seq (b);
    for (int i = 0; i < STREAMS; i++)
        b->cursors [i] = last;
    //  the subscriber has everything so far before the step starts
    for (int i = 0; i < 500 && ts_subscriber_cursor (sub) < last; i++)
        zclock_sleep (10);
    atomic_store (&b->listening, true);
    atomic_store (&b->writing, true);
    pthread_t writers [STREAMS], streams [STREAMS];
    job_t wjobs [STREAMS], sjobs [STREAMS];
    for (int i = 0; i < STREAMS; i++) {
        sjobs [i] = (job_t) {b, i, 0};
        wjobs [i] = (job_t) {b, i, 0};
        pthread_create (&streams [i], NULL, s_stream, &sjobs [i]);
        if (i < n_writers)
            pthread_create (&writers [i], NULL, s_writer, &wjobs [i]);
    }
    int64_t start = ts_usec ();
    zclock_sleep ((int) (seconds * 1000));
    atomic_store (&b->writing, false);
    long written = 0;
    for (int i = 0; i < n_writers; i++) {
        pthread_join (writers [i], NULL);
        written += wjobs [i].count;
    }
    r->writes = (double) written / ((double) (ts_usec () - start) / 1e6);
    //  the tail arrives, then everyone stops listening
    last = s_last_seq (b);
    for (int i = 0; i < 500 && ts_subscriber_cursor (sub) < last; i++)
        zclock_sleep (10);
    zclock_sleep (600);
    atomic_store (&b->listening, false);
    for (int i = 0; i < STREAMS; i++)
        pthread_join (streams [i], NULL);
    int64_t *stream = (int64_t *) malloc ((b->used + 1) * sizeof (int64_t));
    int64_t *subs = (int64_t *) malloc ((b->used + 1) * sizeof (int64_t));
    size_t ns = 0, nb = 0;
    r->early_stream = r->early_sub = r->lost_stream = r->lost_sub = 0;
    for (size_t i = 0; i < b->used; i++) {
        timed_t *t = &b->slab [i];
        if (!t->reply)
            continue;           //  a write whose reply came after the step
        if (!t->stream)
            r->lost_stream++;
        else {
            r->early_stream += t->stream < t->reply;
            stream [ns++] = t->stream > t->reply ? t->stream - t->reply : 0;
        }
        if (!t->sub)
            r->lost_sub++;
        else {
            r->early_sub += t->sub < t->reply;
            subs [nb++] = t->sub > t->reply ? t->sub - t->reply : 0;
        }
    }
    r->stream_p50 = s_percentile (stream, ns, 0.50);
    r->stream_p99 = s_percentile (stream, ns, 0.99);
    r->sub_p50 = s_percentile (subs, nb, 0.50);
    r->sub_p99 = s_percentile (subs, nb, 0.99);
    free (stream);
    free (subs);
}

//  Catch-up: a backlog of count persons with nobody listening, then the ten
//  streams from their cursors at once, then a new subscriber from 0.
static void
s_catch_up (bench_t *b, zcert_t *cert, const char *conninfo, int round, double seconds, round_t *r)
{
    uint64_t from = s_last_seq (b);
    for (int i = 0; i < STREAMS; i++)
        b->cursors [i] = from;
    atomic_store (&b->writing, true);
    pthread_t writers [STREAMS];
    job_t wjobs [STREAMS];
    for (int i = 0; i < STREAMS; i++) {
        wjobs [i] = (job_t) {b, i, 0};
        pthread_create (&writers [i], NULL, s_writer, &wjobs [i]);
    }
    zclock_sleep ((int) (seconds * 1000));
    atomic_store (&b->writing, false);
    for (int i = 0; i < STREAMS; i++)
        pthread_join (writers [i], NULL);
    uint64_t last = s_last_seq (b);

    atomic_store (&b->delivered, 0);
    pthread_t streams [STREAMS];
    job_t sjobs [STREAMS];
    int64_t start = ts_usec ();
    for (int i = 0; i < STREAMS; i++) {
        sjobs [i] = (job_t) {b, i, (long) last};
        pthread_create (&streams [i], NULL, s_stream, &sjobs [i]);
    }
    for (int i = 0; i < STREAMS; i++)
        pthread_join (streams [i], NULL);
    double elapsed = (double) (ts_usec () - start) / 1e6;
    //  every event the streams passed over counts: each stream looked at
    //  all of them to find its own
    r->stream_rate = (double) (last - from) / elapsed;

    char schema [32];
    snprintf (schema, sizeof schema, "catch_up_%d", round);
    start = ts_usec ();
    zactor_t *fresh = s_subscriber (b, cert, conninfo, schema);
    while (ts_subscriber_cursor (fresh) < last && ts_usec () - start < 300 * 1000000LL)
        zclock_sleep (5);
    elapsed = (double) (ts_usec () - start) / 1e6;
    r->sub_rate = (double) last / elapsed;
    zactor_destroy (&fresh);
}

static double
s_median (double *v, int n, double *low, double *high)
{
    double sorted [MAX_ROUNDS];
    memcpy (sorted, v, (size_t) n * sizeof *v);
    for (int i = 1; i < n; i++)
        for (int k = i; k > 0 && sorted [k - 1] > sorted [k]; k--) {
            double t = sorted [k];
            sorted [k] = sorted [k - 1];
            sorted [k - 1] = t;
        }
    *low = sorted [0];
    *high = sorted [n - 1];
    return sorted [n / 2];
}

#define FIGURE(label, field, format)                                                   \
    do {                                                                               \
        double v [MAX_ROUNDS], lo, hi;                                                 \
        for (int k = 0; k < rounds; k++)                                               \
            v [k] = results [k].field;                                                 \
        double m = s_median (v, rounds, &lo, &hi);                                     \
        printf ("  %-44s " format "  [" format " - " format "]\n", label, m, lo, hi);  \
    } while (0)

int
main (int argc, char *argv [])
{
    bench_t b;
    memset (&b, 0, sizeof b);
    double seconds = ts_bench_start ("bench_follow", argc, argv);
    int rounds = argc > 2 ? atoi (argv [2]) : 3;
    rounds = rounds < 1 ? 1 : rounds > MAX_ROUNDS ? MAX_ROUNDS : rounds;
    int workers = getenv ("SNODO_BENCH_WORKERS") ? atoi (getenv ("SNODO_BENCH_WORKERS"))
                                                 : sn_server_default_workers ();
    b.reg = ts_registry_start ("bfollow", workers);
    pthread_mutex_init (&b.lock, NULL);
    b.timed = zhashx_new ();
    b.slab = (timed_t *) calloc (MAX_TIMED, sizeof (timed_t));
    atomic_store (&b.next_person, 1);
    for (int i = 0; i < STREAMS; i++) {
        snprintf (b.ids [i], sizeof b.ids [i], "sil-%02d", i + 1);
        sn_client_t *client = ts_member_client (b.reg, b.ids [i], TS_KIND (SIL), NULL, &b.certs [i]);
        sn_client_destroy (&client);
    }
    zcert_t *service = ts_service_cert (b.reg, "bench-subscriber");
    char *conninfo = ts_conninfo (b.reg->dbname, NULL);
    zactor_t *sub = s_subscriber (&b, service, conninfo, "live_subscriber");

    printf ("Snodo member streams: %d members following journal.Follow against the services' subscriber, "
            "%.1f s steps, %d rounds, %d workers\n", STREAMS, seconds, rounds, workers);
    round_t results [MAX_ROUNDS];
    for (int k = 0; k < rounds; k++) {
        round_t *r = &results [k];
        //  quiet: one member writes every 20 ms; the latency of one event
        b.pace_ms = 20;
        s_live (&b, sub, 1, seconds, r);
        r->quiet_stream_p50 = r->stream_p50;
        r->quiet_stream_p99 = r->stream_p99;
        r->quiet_sub_p50 = r->sub_p50;
        r->quiet_sub_p99 = r->sub_p99;
        //  loaded: the ten write as fast as they can
        b.pace_ms = 0;
        s_live (&b, sub, STREAMS, seconds, r);
        s_catch_up (&b, service, conninfo, k, seconds, r);
        printf ("round %d: quiet p50 stream %.2f subscriber %.2f ms; loaded %.0f writes/s; stream p50 %.2f p99 %.2f ms, subscriber p50 %.2f p99 %.2f ms "
                "(before the reply: %ld, %ld; missed: %ld, %ld); catch-up: streams %.0f events/s, "
                "subscriber %.0f\n", k + 1, r->quiet_stream_p50, r->quiet_sub_p50, r->writes, r->stream_p50, r->stream_p99, r->sub_p50, r->sub_p99,
                r->early_stream, r->early_sub, r->lost_stream, r->lost_sub, r->stream_rate, r->sub_rate);
    }
    printf ("\nthe median of %d rounds [lowest - highest]:\n", rounds);
    FIGURE ("quiet (a write every 20 ms): to the stream, p50 ms", quiet_stream_p50, "%9.2f");
    FIGURE ("quiet: to the stream, p99 ms", quiet_stream_p99, "%9.2f");
    FIGURE ("quiet: to the subscriber, p50 ms", quiet_sub_p50, "%9.2f");
    FIGURE ("quiet: to the subscriber, p99 ms", quiet_sub_p99, "%9.2f");
    FIGURE ("loaded: writes/s (10 members writing)", writes, "%9.0f");
    FIGURE ("loaded: to the member's stream, p50 ms", stream_p50, "%9.2f");
    FIGURE ("loaded: to the member's stream, p99 ms", stream_p99, "%9.2f");
    FIGURE ("loaded: to the services' subscriber, p50 ms", sub_p50, "%9.2f");
    FIGURE ("loaded: to the services' subscriber, p99 ms", sub_p99, "%9.2f");
    FIGURE ("catch-up, 10 streams at once, events/s", stream_rate, "%9.0f");
    FIGURE ("catch-up, the subscriber, events/s", sub_rate, "%9.0f");
    double ratio [MAX_ROUNDS], p50 [MAX_ROUNDS], quiet [MAX_ROUNDS], lo, hi;
    for (int k = 0; k < rounds; k++) {
        ratio [k] = results [k].stream_rate / results [k].sub_rate;
        p50 [k] = results [k].sub_p50 > 0 ? results [k].stream_p50 / results [k].sub_p50 : 0;
        quiet [k] = results [k].quiet_sub_p50 > 0 ? results [k].quiet_stream_p50 / results [k].quiet_sub_p50 : 0;
    }
    double m = s_median (ratio, rounds, &lo, &hi);
    printf ("ratio streams/subscriber, catch-up events/s  %9.2f  [%9.2f - %9.2f]\n", m, lo, hi);
    m = s_median (quiet, rounds, &lo, &hi);
    printf ("ratio streams/subscriber, quiet p50 latency  %9.2f  [%9.2f - %9.2f]\n", m, lo, hi);
    m = s_median (p50, rounds, &lo, &hi);
    printf ("ratio streams/subscriber, loaded p50 latency %9.2f  [%9.2f - %9.2f]\n", m, lo, hi);

    zactor_destroy (&sub);
    zstr_free (&conninfo);
    zcert_destroy (&service);
    for (int i = 0; i < STREAMS; i++)
        zcert_destroy (&b.certs [i]);
    zhashx_destroy (&b.timed);
    free (b.slab);
    pthread_mutex_destroy (&b.lock);
    ts_registry_destroy (&b.reg);
    return 0;
}
