/*  bench_matching: the best 10 persons for one job post over 10^3 .. 10^6
    persons held in the index (synthetic profiles, no database), against the
    time to read the same bytes once (the memory limit). Prints the median of
    several runs, the ratio to the limit and the cost per person.

    Usage: bench_matching [max persons, default 1000000] [runs, default 7] */
#include "match_index.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t s_state = 88172645463325252ULL;

static uint32_t
s_rand (uint32_t n)
{
    s_state ^= s_state << 13;
    s_state ^= s_state >> 7;
    s_state ^= s_state << 17;
    return (uint32_t) (s_state % n);
}

static double
s_now_ms (void)
{
    struct timespec ts;
    clock_gettime (CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int
s_cmp_double (const void *a, const void *b)
{
    double x = *(const double *) a, y = *(const double *) b;
    return x < y ? -1 : x > y;
}

static const char *s_ambiti [] = {"est", "sud", "ovest", "nord", "urbano"};
static const char *s_members [] = {"ass6-sil", "ass6-dsm", "ass6-sert", "ssc-est", "ssc-sud", "ssc-ovest",
                                   "ssc-nord", "ssc-urbano", "cpi-pordenone", "provincia-pn"};

//  Adds persons up to n: profiles around a level, a few not assessed,
//  constraints and consents as in the demo.
static void
s_fill (mi_index_t *index, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++) {
        mi_person_t p;
        memset (&p, 0, sizeof p);
        uint64_t serial = i + 1;
        memcpy (p.id, &serial, 8);
        uint64_t random = s_state;
        memcpy (p.id + 8, &random, 8);
        s_rand (2);
        int level = 2 + (int) s_rand (3);
        for (int t = 0; t < MI_TRAITS; t++) {
            int v = level + (int) s_rand (3) - 1;
            p.scores [t] = (uint8_t) (s_rand (20) == 0 ? 0 : v < 1 ? 1 : v > 5 ? 5 : v);
        }
        p.min_hours = 10;
        p.max_hours = (uint8_t) (20 + 4 * s_rand (5));
        p.max_commute_km = (uint16_t) (5 + 5 * s_rand (7));
        p.own_transport = s_rand (3) == 0;
        p.transport_support = !p.own_transport && s_rand (2);
        p.has_coords = true;
        p.latitude = 45.85 + s_rand (3000) / 10000.0;
        p.longitude = 12.45 + s_rand (4500) / 10000.0;
        p.ambito = s_ambiti [s_rand (5)];
        p.referring_member_id = s_members [s_rand (10)];
        p.categories = (uint16_t) (1u << (1 + s_rand (11)));
        if (s_rand (3) == 0)
            p.consents [1] = 1u << 8;       //  placement, to cooperatives
        p.engaged = s_rand (50) == 0;
        if (mi_index_put_person (index, &p)) {
            fprintf (stderr, "bench_matching: out of memory at %zu persons\n", i);
            exit (1);
        }
    }
}

typedef struct {
    double best, limit;
    size_t hits;
    uint64_t sum;
} s_result_t;

static s_result_t
s_measure (mi_index_t *index, const mi_query_t *q, int runs)
{
    double best [32], limit [32];
    s_result_t r = {0, 0, 0, 0};
    mi_hit_t hits [10];
    mi_index_lock_read (index);
    for (int i = 0; i < runs; i++) {
        double t0 = s_now_ms ();
        r.sum += mi_index_read_once (index, q->purpose);
        double t1 = s_now_ms ();
        mi_stats_t stats;
        mi_best_persons (index, 0, q, hits, &r.hits, &stats);
        double t2 = s_now_ms ();
        limit [i] = t1 - t0;
        best [i] = t2 - t1;
    }
    mi_index_unlock (index);
    qsort (best, (size_t) runs, sizeof (double), s_cmp_double);
    qsort (limit, (size_t) runs, sizeof (double), s_cmp_double);
    r.best = best [runs / 2];
    r.limit = limit [runs / 2];
    return r;
}

int
main (int argc, char *argv [])
{
    size_t max = argc > 1 ? strtoul (argv [1], NULL, 10) : 1000000;
    int runs = argc > 2 ? atoi (argv [2]) : 7;
    if (runs < 1 || runs > 31 || max < 1000) {
        fprintf (stderr, "usage: bench_matching [max persons >= 1000] [runs 1-31]\n");
        return 2;
    }
    mi_index_t *index = mi_index_new ();
    mi_post_t post;
    memset (&post, 0, sizeof post);
    post.id [0] = 1;
    for (int t = 0; t < MI_TRAITS; t++)
        post.requirements [t] = (uint8_t) (2 + s_rand (3));
    post.weekly_hours = 20;
    post.places = 2;
    post.open = true;
    post.has_coords = true;
    post.latitude = 45.956;
    post.longitude = 12.660;
    post.ateco = "56.29";
    post.title = "Aiuto cuoco";
    mi_index_put_post (index, &post);
    mi_query_t service = {.member_id = "matching", .member_kind = 11, .purpose = 1, .limit = 10};
    mi_query_t coop = {.member_id = "coop-il-ponte", .member_kind = 8, .purpose = 1, .limit = 10};
    printf ("best 10 persons for one post; median of %d runs; read once = every byte the pass reads\n"
            "(scores 32 B, constraints 24 B, consents of the purpose 2 B per person)\n\n", runs);
    printf ("%10s  %-22s %10s %10s %7s %10s %6s\n", "persons", "caller", "best 10", "read once", "ratio",
            "per person", "hits");
    size_t filled = 0;
    for (size_t n = 1000; n <= max; n *= 10) {
        s_fill (index, filled, n);
        filled = n;
        s_result_t all = s_measure (index, &service, runs);
        s_result_t some = s_measure (index, &coop, runs);
        printf ("%10zu  %-22s %8.3f ms %7.3f ms %6.2fx %7.1f ns %6zu\n", n, "service (sees all)", all.best,
                all.limit, all.best / all.limit, all.best * 1e6 / (double) n, all.hits);
        printf ("%10zu  %-22s %8.3f ms %7.3f ms %6.2fx %7.1f ns %6zu\n", n, "cooperative (consent)", some.best,
                some.limit, some.best / some.limit, some.best * 1e6 / (double) n, some.hits);
        if (all.sum == 42)
            printf ("\n");      //  keeps the read-once pass from being optimised away
    }
    mi_index_destroy (&index);
    return 0;
}
