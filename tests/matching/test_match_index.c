/*  match_index: the comparison tables, the hard constraints, visibility and
    filters, ties. Pure: no database, no sockets. */
#include "match_index.h"
#include <criterion/criterion.h>
#include <string.h>

#define T_ATTENTION 2
#define T_CONCENTRATION 3
#define T_TEAMWORK 13
#define T_ENDURANCE 14
#define T_PUNCTUALITY 18

//  --- the comparison --------------------------------------------------------------

static void
s_fill (uint8_t *p, uint8_t v)
{
    memset (p, v, MI_TRAITS);
}

Test (compare, exact_fit)
{
    uint8_t a [MI_TRAITS], r [MI_TRAITS];
    s_fill (a, 3);
    s_fill (r, 3);
    mi_comparison_t c;
    mi_compare (a, r, false, &c);
    cr_assert_eq (c.penalty, 0);
    cr_assert_eq (c.n_over, 0);
    cr_assert_eq (c.unknown, 0);
    cr_assert_eq (c.under_demand, 0);
    cr_assert_eq (c.fit, 100);
    cr_assert_eq (c.key, 1u << 7, "only the not-preferred bit: %u", c.key);
    mi_compare (a, r, true, &c);
    cr_assert_eq (c.key, 0);
}

Test (compare, single_over_demand)
{
    uint8_t a [MI_TRAITS], r [MI_TRAITS];
    s_fill (a, 3);
    s_fill (r, 3);
    r [T_CONCENTRATION] = 5;
    mi_comparison_t c;
    mi_compare (a, r, true, &c);
    cr_assert_eq (c.over_demand, 2);
    cr_assert_eq (c.n_over, 1);
    cr_assert_eq (c.penalty, 4);
    cr_assert_eq (c.n_over_list, 1);
    cr_assert_eq (c.over [0].trait, T_CONCENTRATION);
    cr_assert_eq (c.over [0].ability, 3);
    cr_assert_eq (c.over [0].requirement, 5);
    cr_assert_str_eq (mi_trait_name (c.over [0].trait), "concentration");
    //  R = 28 * 3 + 5 = 89; fit = 100 - ceil (100 * 4 / 178) = 97
    cr_assert_eq (c.fit, 97, "fit %u", c.fit);
    cr_assert_eq (c.key, (4u << 13) | (1u << 8));
}

Test (compare, multiple_over_demands_largest_first)
{
    uint8_t a [MI_TRAITS], r [MI_TRAITS];
    s_fill (a, 2);
    s_fill (r, 0);
    r [T_ATTENTION] = 3;        //  gap 1
    r [T_TEAMWORK] = 5;         //  gap 3
    r [T_ENDURANCE] = 4;        //  gap 2
    r [T_PUNCTUALITY] = 4;      //  gap 2, after endurance (by characteristic)
    r [0] = 1;                  //  under-demand 1
    mi_comparison_t c;
    mi_compare (a, r, false, &c);
    cr_assert_eq (c.over_demand, 8);
    cr_assert_eq (c.n_over, 4);
    cr_assert_eq (c.under_demand, 1);
    cr_assert_eq (c.penalty, 16);
    static const uint8_t order [4] = {T_TEAMWORK, T_ENDURANCE, T_PUNCTUALITY, T_ATTENTION};
    for (int i = 0; i < 4; i++)
        cr_assert_eq (c.over [i].trait, order [i], "over-demand %d is %s", i, mi_trait_name (c.over [i].trait));
    cr_assert_eq (c.key, (16u << 13) | (4u << 8) | (1u << 7) | 1u);
}

Test (compare, not_assessed_and_not_required)
{
    uint8_t a [MI_TRAITS], r [MI_TRAITS];
    s_fill (a, 4);
    s_fill (r, 0);
    a [5] = 0;
    r [5] = 3;          //  required, not assessed: unknown
    a [6] = 0;          //  not assessed, not required: nothing
    r [7] = 4;          //  equal
    mi_comparison_t c;
    mi_compare (a, r, true, &c);
    cr_assert_eq (c.unknown, 1);
    cr_assert_eq (c.n_not_assessed, 1);
    cr_assert_eq (c.not_assessed [0], 5);
    cr_assert_eq (c.n_over, 0);
    cr_assert_eq (c.penalty, 1, "an unknown weighs half a point of over-demand");
    cr_assert_eq (c.under_demand, 0, "abilities where nothing is required are no under-demand");
    cr_assert_eq (c.key, 1u << 13);
}

Test (compare, over_demand_outweighs_any_under_demand_and_unknowns_weigh_half)
{
    uint8_t r [MI_TRAITS], over [MI_TRAITS], under [MI_TRAITS], unknown [MI_TRAITS];
    s_fill (r, 2);
    s_fill (over, 2);
    over [0] = 1;               //  one point of over-demand
    s_fill (under, 5);          //  3 under everywhere
    s_fill (unknown, 2);
    unknown [0] = 0;            //  one unknown
    mi_comparison_t a, b, c;
    mi_compare (over, r, true, &a);
    mi_compare (under, r, true, &b);
    mi_compare (unknown, r, true, &c);
    cr_assert_gt (a.key, b.key, "an over-demand ranks below any under-demand");
    cr_assert_gt (a.key, c.key, "an over-demand ranks below an unknown");
    cr_assert_gt (c.key, b.key, "an unknown ranks below under-demand");
    cr_assert_lt (a.fit, c.fit);
}

Test (compare, scores_above_five_count_as_five)
{
    uint8_t a [MI_TRAITS], r [MI_TRAITS];
    s_fill (a, 9);
    s_fill (r, 5);
    mi_comparison_t c;
    mi_compare (a, r, true, &c);
    cr_assert_eq (c.key, 0);
}

Test (uuid, round_trip_and_refusals)
{
    uint8_t id [16];
    char text [37];
    cr_assert_eq (mi_uuid_parse ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0", id), 0);
    cr_assert_eq (id [0], 0x0f);
    cr_assert_eq (id [15], 0xf0);
    mi_uuid_format (id, text);
    cr_assert_str_eq (text, "0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f0");
    cr_assert_eq (mi_uuid_parse ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1f", id), -1);
    cr_assert_eq (mi_uuid_parse ("0f1e2d3c+4b5a-6978-8796-a5b4c3d2e1f0", id), -1);
    cr_assert_eq (mi_uuid_parse ("0f1e2d3c-4b5a-6978-8796-a5b4c3d2e1fg", id), -1);
    cr_assert_eq (mi_uuid_parse (NULL, id), -1);
}

//  --- an index ----------------------------------------------------------------------

#define PN_LAT 45.956
#define PN_LON 12.660
//  one degree of latitude is 111.2 km
#define KM_NORTH(km) (PN_LAT + (km) / 111.195)

static mi_index_t *idx;

static void
setup (void)
{
    idx = mi_index_new ();
}

static void
teardown (void)
{
    mi_index_destroy (&idx);
}

static void
s_id (int n, uint8_t id [16])
{
    memset (id, 0, 16);
    id [0] = (uint8_t) (n >> 8);
    id [1] = (uint8_t) n;
    id [8] = (uint8_t) (n * 37);
    id [9] = (uint8_t) (n * 11);
}

//  A person who fits everything about the default post, referred by ass6-sil.
static void
s_person (mi_person_t *p, int n)
{
    memset (p, 0, sizeof *p);
    s_id (n, p->id);
    memset (p->scores, 3, MI_TRAITS);
    p->min_hours = 10;
    p->max_hours = 30;
    p->max_commute_km = 30;
    p->own_transport = true;
    p->has_coords = true;
    p->latitude = PN_LAT;
    p->longitude = PN_LON;
    p->ambito = "urbano";
    p->referring_member_id = "ass6-sil";
    p->categories = 1u << 1;
    p->engaged = 0;
}

static const char *s_tasks [] = {"Lavaggio stoviglie", "preparazione verdure"};

static void
s_post (mi_post_t *p, int n)
{
    memset (p, 0, sizeof *p);
    s_id (1000 + n, p->id);
    memset (p->requirements, 3, MI_TRAITS);
    p->weekly_hours = 20;
    p->places = 2;
    p->open = true;
    p->has_coords = true;
    p->latitude = PN_LAT;
    p->longitude = PN_LON;
    p->employer_id = "e";
    p->title = "Aiuto cuoco";
    p->ateco = "56.29";
    p->ambito = "urbano";
    p->tasks = s_tasks;
    p->n_tasks = 2;
}

static mi_query_t
s_query (const char *member, int kind)
{
    mi_query_t q = {.member_id = member, .member_kind = kind, .purpose = 1, .limit = 50};
    return q;
}

static uint32_t
s_post_slot (int n)
{
    uint8_t id [16];
    s_id (1000 + n, id);
    long slot = mi_index_post_slot (idx, id);
    cr_assert_geq (slot, 0);
    return (uint32_t) slot;
}

//  The numbers of the persons ranked for post 0, best first, into out.
static size_t
s_rank (const mi_query_t *q, int *out, mi_stats_t *stats)
{
    mi_hit_t hits [MI_MAX_LIMIT];
    size_t n = 0;
    mi_stats_t own;
    mi_index_lock_read (idx);
    cr_assert_eq (mi_best_persons (idx, s_post_slot (0), q, hits, &n, stats ? stats : &own), 0);
    for (size_t i = 0; i < n; i++) {
        const uint8_t *id = mi_person_id (idx, hits [i].slot);
        out [i] = id [0] << 8 | id [1];
    }
    mi_index_unlock (idx);
    return n;
}

TestSuite (index, .init = setup, .fini = teardown);

Test (index, ties_are_broken_by_id_stably)
{
    mi_post_t post;
    s_post (&post, 0);
    cr_assert_eq (mi_index_put_post (idx, &post), 0);
    //  equal profiles, inserted out of id order
    static const int order [] = {7, 3, 9, 1, 5, 8, 2, 6, 4};
    for (int i = 0; i < 9; i++) {
        mi_person_t p;
        s_person (&p, order [i]);
        cr_assert_eq (mi_index_put_person (idx, &p), 0);
    }
    mi_query_t q = s_query ("ass6-sil", 4);
    int ranked [16];
    cr_assert_eq (s_rank (&q, ranked, NULL), 9);
    for (int i = 0; i < 9; i++)
        cr_assert_eq (ranked [i], i + 1, "rank %d is person %d", i, ranked [i]);
    q.limit = 4;
    cr_assert_eq (s_rank (&q, ranked, NULL), 4);
    for (int i = 0; i < 4; i++)
        cr_assert_eq (ranked [i], i + 1, "the first four by id, whatever the insertion order");
    //  a better profile jumps ahead; a worse one falls behind
    mi_person_t p;
    s_person (&p, 9);
    memset (p.scores, 4, MI_TRAITS);        //  under-demand only
    p.scores [0] = 3;
    mi_index_put_person (idx, &p);
    s_person (&p, 1);
    p.scores [T_TEAMWORK] = 2;              //  one over-demand
    mi_index_put_person (idx, &p);
    q.limit = 50;
    cr_assert_eq (s_rank (&q, ranked, NULL), 9);
    cr_assert_eq (ranked [0], 2, "exact fits first: %d", ranked [0]);
    cr_assert_eq (ranked [7], 9, "under-demand after exact fits: %d", ranked [7]);
    cr_assert_eq (ranked [8], 1, "the over-demand last: %d", ranked [8]);
}

//  One person per case: number, what to change, the reason expected (MI_OK: kept).
typedef struct {
    int n;
    mi_reason_t expect;
    const char *what;
} s_case_t;

static const char *s_excl_56 [] = {"56"};
static const char *s_excl_10 [] = {"10.71"};
static const char *s_pref_47 [] = {"47"};
static const char *s_task_lav [] = {"LAVAGGIO"};
static const char *s_task_other [] = {"guida carrelli"};

static void
s_apply_case (mi_person_t *p, int n)
{
    switch (n) {
        case 1: break;                                              //  the control
        case 2: p->min_hours = 21; break;                           //  post has 20
        case 3: p->max_hours = 19; break;
        case 4: p->min_hours = 20; p->max_hours = 20; break;        //  bounds included
        case 5: p->max_hours = 0; p->min_hours = 0; break;          //  none stated
        case 6: p->max_commute_km = 10; p->latitude = KM_NORTH (15); break;
        case 7: p->max_commute_km = 10; p->latitude = KM_NORTH (8); break;
        case 8: p->has_coords = false; p->latitude = KM_NORTH (300); break;    //  unknown distance
        case 9: p->own_transport = false; p->latitude = KM_NORTH (12); break;  //  no means: local reach
        case 10: p->own_transport = false; p->transport_support = true; p->latitude = KM_NORTH (12); break;
        case 11: p->own_transport = false; p->latitude = KM_NORTH (9); break;
        case 12: p->max_commute_km = 0; p->latitude = KM_NORTH (200); break;   //  no limit stated
        case 13: p->excluded_sectors = s_excl_56; p->n_excluded_sectors = 1; break;
        case 14: p->excluded_sectors = s_excl_10; p->n_excluded_sectors = 1; break;
        case 15: p->excluded_tasks = s_task_lav; p->n_excluded_tasks = 1; break;
        case 16: p->excluded_tasks = s_task_other; p->n_excluded_tasks = 1; break;
        case 17: p->engaged = 1; break;
        case 18: memset (p->scores, 0, MI_TRAITS); break;           //  no profile
        case 19: p->lunch_needed = true; break;                     //  lunch is organised, not a bar
        case 20: p->preferred_sectors = s_pref_47; p->n_preferred_sectors = 1; break;
        default: break;
    }
}

static const s_case_t s_cases [] = {
    {1, MI_OK, "control"}, {2, MI_HOURS, "min hours above the post's"},
    {3, MI_HOURS, "max hours below the post's"}, {4, MI_OK, "hours at the bounds"},
    {5, MI_OK, "no hours stated"}, {6, MI_COMMUTE, "15 km with a 10 km limit"},
    {7, MI_OK, "8 km with a 10 km limit"}, {8, MI_OK, "no coordinates"},
    {9, MI_COMMUTE, "12 km with no means"}, {10, MI_OK, "12 km with transport support"},
    {11, MI_OK, "9 km with no means"}, {12, MI_OK, "200 km with no limit stated"},
    {13, MI_SECTOR, "sector 56 excluded"}, {14, MI_OK, "another sector excluded"},
    {15, MI_TASK, "task excluded, other case"}, {16, MI_OK, "another task excluded"},
    {17, MI_ENGAGED, "engaged"}, {18, MI_NO_PROFILE, "no profile"}, {19, MI_OK, "needs lunch"},
    {20, MI_OK, "prefers another sector (not asked to filter)"},
};
#define N_CASES (sizeof s_cases / sizeof s_cases [0])

static void
s_load_cases (void)
{
    mi_post_t post;
    s_post (&post, 0);
    cr_assert_eq (mi_index_put_post (idx, &post), 0);
    for (size_t i = 0; i < N_CASES; i++) {
        mi_person_t p;
        s_person (&p, s_cases [i].n);
        s_apply_case (&p, s_cases [i].n);
        cr_assert_eq (mi_index_put_person (idx, &p), 0);
    }
}

Test (index, constraints_exclude_what_they_must_and_only_that)
{
    s_load_cases ();
    mi_query_t q = s_query ("ass6-sil", 4);
    mi_index_lock_read (idx);
    uint32_t post = s_post_slot (0);
    for (size_t i = 0; i < N_CASES; i++) {
        uint8_t id [16];
        s_id (s_cases [i].n, id);
        long slot = mi_index_person_slot (idx, id);
        cr_assert_geq (slot, 0);
        double km;
        mi_reason_t got = mi_check (idx, (uint32_t) slot, post, &q, &km, NULL);
        cr_expect_eq (got, s_cases [i].expect, "case %d (%s): %s, expected %s", s_cases [i].n,
                      s_cases [i].what, mi_reason_name (got), mi_reason_name (s_cases [i].expect));
    }
    mi_index_unlock (idx);
    //  the ranking holds exactly the cases kept, and counts the others by reason
    int ranked [64];
    mi_stats_t stats;
    size_t n = s_rank (&q, ranked, &stats);
    size_t kept = 0;
    for (size_t i = 0; i < N_CASES; i++) {
        bool in = false;
        for (size_t r = 0; r < n; r++)
            in |= ranked [r] == s_cases [i].n;
        cr_expect_eq (in, s_cases [i].expect == MI_OK, "case %d (%s) %s the ranking", s_cases [i].n,
                      s_cases [i].what, in ? "is in" : "is not in");
        kept += s_cases [i].expect == MI_OK;
    }
    cr_assert_eq (n, kept);
    cr_assert_eq (stats.eligible, kept);
    cr_assert_eq (stats.excluded [MI_HOURS], 2);
    cr_assert_eq (stats.excluded [MI_COMMUTE], 2);
    cr_assert_eq (stats.excluded [MI_SECTOR], 1);
    cr_assert_eq (stats.excluded [MI_TASK], 1);
    cr_assert_eq (stats.excluded [MI_ENGAGED], 1);
    cr_assert_eq (stats.excluded [MI_NO_PROFILE], 1);
    cr_assert_eq (stats.in_scope, N_CASES);
    cr_assert_eq (stats.hidden, 0);

    //  asked: the engaged person comes back; preferred_only drops the one who prefers trade
    q.include_engaged = true;
    q.preferred_only = true;
    n = s_rank (&q, ranked, &stats);
    cr_assert_eq (n, kept);
    cr_assert_eq (stats.excluded [MI_NOT_PREFERRED], 1);
    cr_assert_eq (stats.excluded [MI_ENGAGED], 0);
}

Test (index, the_commute_limit_is_the_great_circle_distance)
{
    s_load_cases ();
    mi_query_t q = s_query ("ass6-sil", 4);
    mi_index_lock_read (idx);
    uint8_t id [16];
    s_id (6, id);
    double km;
    mi_check (idx, (uint32_t) mi_index_person_slot (idx, id), s_post_slot (0), &q, &km, NULL);
    cr_assert_float_eq (km, 15.0, 0.05, "distance %f", km);
    s_id (8, id);
    mi_check (idx, (uint32_t) mi_index_person_slot (idx, id), s_post_slot (0), &q, &km, NULL);
    cr_assert_eq (km, -1, "unknown without coordinates");
    mi_index_unlock (idx);
}

Test (index, a_post_with_transport_lifts_the_local_reach)
{
    s_load_cases ();
    mi_post_t post;
    s_post (&post, 0);
    post.transport_available = true;
    mi_index_put_post (idx, &post);
    mi_query_t q = s_query ("ass6-sil", 4);
    mi_index_lock_read (idx);
    uint8_t id [16];
    s_id (9, id);
    double km;
    cr_assert_eq (mi_check (idx, (uint32_t) mi_index_person_slot (idx, id), s_post_slot (0), &q, &km, NULL), MI_OK);
    mi_index_unlock (idx);
}

Test (index, places_and_status)
{
    s_load_cases ();
    mi_post_t post;
    s_post (&post, 1);
    post.places = 1;
    post.places_filled = 1;
    mi_index_put_post (idx, &post);
    s_post (&post, 2);
    post.open = false;
    mi_index_put_post (idx, &post);
    mi_query_t q = s_query ("ass6-sil", 4);
    uint8_t id [16];
    s_id (1, id);
    mi_index_lock_read (idx);
    uint32_t person = (uint32_t) mi_index_person_slot (idx, id);
    double km;
    cr_assert_eq (mi_check (idx, person, s_post_slot (1), &q, &km, NULL), MI_NO_PLACE);
    cr_assert_eq (mi_check (idx, person, s_post_slot (2), &q, &km, NULL), MI_NO_PLACE);
    cr_assert_eq (mi_post_free_places (idx, s_post_slot (0)), 2);
    mi_hit_t hits [10];
    size_t n;
    mi_stats_t stats;
    cr_assert_eq (mi_best_posts (idx, person, &q, hits, &n, &stats), 0);
    cr_assert_eq (n, 1, "only the open post with a place");
    cr_assert_eq (hits [0].slot, s_post_slot (0));
    cr_assert_eq (stats.excluded [MI_NO_PLACE], 2);
    mi_index_unlock (idx);
}

Test (index, a_preferred_sector_raises_the_rank_slightly)
{
    mi_post_t post;
    s_post (&post, 0);
    mi_index_put_post (idx, &post);
    static const char *pref [] = {"56.2"};
    mi_person_t p;
    s_person (&p, 2);
    p.preferred_sectors = pref;
    p.n_preferred_sectors = 1;
    mi_index_put_person (idx, &p);
    s_person (&p, 1);
    mi_index_put_person (idx, &p);
    s_person (&p, 3);
    p.preferred_sectors = pref;
    p.n_preferred_sectors = 1;
    p.scores [0] = 2;           //  one over-demand outweighs the preference
    mi_index_put_person (idx, &p);
    mi_query_t q = s_query ("ass6-sil", 4);
    int ranked [4];
    cr_assert_eq (s_rank (&q, ranked, NULL), 3);
    cr_assert_eq (ranked [0], 2);
    cr_assert_eq (ranked [1], 1);
    cr_assert_eq (ranked [2], 3);
}

Test (index, visibility_follows_the_registry_rule)
{
    mi_post_t post;
    s_post (&post, 0);
    mi_index_put_post (idx, &post);
    mi_person_t p;
    s_person (&p, 1);                           //  referred by ass6-sil
    mi_index_put_person (idx, &p);
    s_person (&p, 2);
    p.referring_member_id = "ass6-dsm";
    p.consents [1] = 1u << 8;                   //  placement, to cooperatives
    mi_index_put_person (idx, &p);
    s_person (&p, 3);
    p.referring_member_id = "ass6-dsm";
    p.consents [2] = 1u << 8;                   //  monitoring only
    mi_index_put_person (idx, &p);
    s_person (&p, 4);
    p.referring_member_id = "ssc-sud";
    mi_index_put_person (idx, &p);
    uint8_t id [16];
    s_id (4, id);
    mi_index_set_team (idx, id, "coop-il-ponte", true);
    int ranked [8];
    mi_stats_t stats;

    mi_query_t q = s_query ("ass6-sil", 4);
    cr_assert_eq (s_rank (&q, ranked, &stats), 1);
    cr_assert_eq (ranked [0], 1);
    cr_assert_eq (stats.hidden, 3);

    q = s_query ("coop-il-ponte", 8);           //  consent for placement, team of person 4
    cr_assert_eq (s_rank (&q, ranked, &stats), 2);
    cr_assert_eq (ranked [0], 2);
    cr_assert_eq (ranked [1], 4);
    cr_assert_eq (stats.hidden, 2);

    q.purpose = 2;                              //  monitoring: person 3's consent
    cr_assert_eq (s_rank (&q, ranked, &stats), 2);
    cr_assert_eq (ranked [0], 3);

    q = s_query ("provincia-pn", 1);            //  the Province: by consent like everyone
    cr_assert_eq (s_rank (&q, ranked, &stats), 0);
    cr_assert_eq (stats.hidden, 4);

    q = s_query ("matching", 11);               //  a network service
    cr_assert_eq (s_rank (&q, ranked, &stats), 4);

    //  the team member leaves; a person update keeps the team (it has its own events)
    s_person (&p, 4);
    p.referring_member_id = "ssc-sud";
    mi_index_put_person (idx, &p);
    q = s_query ("coop-il-ponte", 8);
    cr_assert_eq (s_rank (&q, ranked, &stats), 2);
    mi_index_set_team (idx, id, "coop-il-ponte", false);
    cr_assert_eq (s_rank (&q, ranked, &stats), 1);
}

Test (index, filters_by_ambito_category_and_referring_service)
{
    mi_post_t post;
    s_post (&post, 0);
    mi_index_put_post (idx, &post);
    mi_person_t p;
    s_person (&p, 1);
    mi_index_put_person (idx, &p);
    s_person (&p, 2);
    p.ambito = "sud";
    mi_index_put_person (idx, &p);
    s_person (&p, 3);
    p.categories = 1u << 11;
    mi_index_put_person (idx, &p);
    s_person (&p, 4);
    p.referring_member_id = "ssc-sud";
    mi_index_put_person (idx, &p);
    mi_query_t q = s_query ("matching", 11);
    int ranked [8];
    mi_stats_t stats;
    q.ambito = "sud";
    cr_assert_eq (s_rank (&q, ranked, &stats), 1);
    cr_assert_eq (ranked [0], 2);
    cr_assert_eq (stats.in_scope, 1);
    q.ambito = "nowhere";
    cr_assert_eq (s_rank (&q, ranked, &stats), 0);
    q.ambito = NULL;
    q.category = 11;
    cr_assert_eq (s_rank (&q, ranked, &stats), 1);
    cr_assert_eq (ranked [0], 3);
    q.category = 0;
    q.referring_member_id = "ssc-sud";
    cr_assert_eq (s_rank (&q, ranked, &stats), 1);
    cr_assert_eq (ranked [0], 4);
}

Test (index, updates_replace_and_keep_what_comes_from_elsewhere)
{
    mi_post_t post;
    s_post (&post, 0);
    mi_index_put_post (idx, &post);
    mi_person_t p;
    s_person (&p, 1);
    mi_index_put_person (idx, &p);
    s_person (&p, 2);
    mi_index_put_person (idx, &p);
    uint8_t id [16];
    s_id (1, id);
    cr_assert_eq (mi_index_set_engaged (idx, id, true), 0);
    s_person (&p, 1);
    p.engaged = -1;                             //  a registry update keeps it
    p.scores [4] = 1;
    mi_index_put_person (idx, &p);
    mi_query_t q = s_query ("ass6-sil", 4);
    int ranked [4];
    cr_assert_eq (s_rank (&q, ranked, NULL), 1);
    cr_assert_eq (ranked [0], 2);
    q.include_engaged = true;
    cr_assert_eq (s_rank (&q, ranked, NULL), 2);
    cr_assert_eq (ranked [1], 1, "the updated profile ranks below");
    cr_assert_eq (mi_index_persons (idx), 2, "replaced, not added");
    uint8_t unknown [16];
    s_id (99, unknown);
    cr_assert_eq (mi_index_set_engaged (idx, unknown, true), -1);
}

//  The flat pass (vectorised where the CPU allows) ranks as mi_compare and
//  the ids say, over random profiles with unassessed and unrequired marks.
static uint32_t s_lcg = 12345;

static uint32_t
s_next (uint32_t n)
{
    s_lcg = s_lcg * 1103515245u + 12345u;
    return (s_lcg >> 16) % n;
}

typedef struct {
    uint32_t key;
    uint8_t id [16];
} s_expect_t;

static int
s_expect_order (const void *a, const void *b)
{
    const s_expect_t *x = (const s_expect_t *) a, *y = (const s_expect_t *) b;
    if (x->key != y->key)
        return x->key < y->key ? -1 : 1;
    return memcmp (x->id, y->id, 16);
}

Test (index, the_flat_pass_ranks_as_the_comparison_does)
{
    for (int round = 0; round < 5; round++) {
        mi_index_t *index = mi_index_new ();
        mi_post_t post;
        s_post (&post, 0);
        for (int t = 0; t < MI_TRAITS; t++)
            post.requirements [t] = (uint8_t) s_next (6);
        mi_index_put_post (index, &post);
        enum { N = 3000 };
        static s_expect_t expect [N];
        size_t n_expect = 0;
        for (int i = 0; i < N; i++) {
            mi_person_t p;
            s_person (&p, i + 1);
            p.id [10] = (uint8_t) s_next (256);
            for (int t = 0; t < MI_TRAITS; t++)
                p.scores [t] = (uint8_t) (s_next (4) ? s_next (6) : 0);
            if (i % 100 == 0)
                memset (p.scores, 0, MI_TRAITS);    //  no profile: left out
            mi_index_put_person (index, &p);
            bool assessed = false;
            for (int t = 0; t < MI_TRAITS; t++)
                assessed |= p.scores [t] > 0;
            if (!assessed)
                continue;
            mi_comparison_t c;
            mi_compare (p.scores, post.requirements, false, &c);
            expect [n_expect].key = c.key;
            memcpy (expect [n_expect++].id, p.id, 16);
        }
        qsort (expect, n_expect, sizeof (s_expect_t), s_expect_order);
        mi_query_t q = s_query ("matching", 11);
        q.limit = MI_MAX_LIMIT;
        mi_hit_t hits [MI_MAX_LIMIT];
        size_t n;
        mi_stats_t stats;
        mi_index_lock_read (index);
        cr_assert_eq (mi_best_persons (index, 0, &q, hits, &n, &stats), 0);
        cr_assert_eq (n, MI_MAX_LIMIT);
        cr_assert_eq (stats.eligible, n_expect);
        cr_assert_eq (stats.excluded [MI_NO_PROFILE], N - n_expect);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq (hits [i].key, expect [i].key, "round %d rank %zu: key %u, expected %u", round, i,
                          hits [i].key, expect [i].key);
            cr_assert_eq (memcmp (mi_person_id (index, hits [i].slot), expect [i].id, 16), 0,
                          "round %d rank %zu: another person", round, i);
        }
        mi_index_unlock (index);
        mi_index_destroy (&index);
    }
}

//  The pass decides sixteen persons at a time with byte masks: over random
//  persons, callers, filters and constraints it must agree, person by person
//  and count by count, with the rules applied one at a time (mi_check,
//  mi_person_visible, mi_index_compare).
static const char *s_some_ambiti [] = {"urbano", "sud", "nord"};
static const char *s_some_members [] = {"ass6-sil", "ssc-sud", "ass6-dsm"};
static const char *s_some_excluded [] = {"56"};
static const char *s_some_preferred [] = {"47", "56.2"};

Test (index, sixteen_at_a_time_agrees_with_one_at_a_time)
{
    enum { N = 2003 };
    static uint8_t category [N];
    static uint8_t ambito [N], referring [N];
    for (int round = 0; round < 12; round++) {
        mi_index_t *index = mi_index_new ();
        mi_post_t post;
        s_post (&post, 0);
        for (int t = 0; t < MI_TRAITS; t++)
            post.requirements [t] = (uint8_t) s_next (6);
        post.transport_available = s_next (3) == 0;
        post.has_coords = round != 3;
        mi_index_put_post (index, &post);
        for (int i = 0; i < N; i++) {
            mi_person_t p;
            s_person (&p, i + 1);
            p.id [10] = (uint8_t) s_next (256);
            for (int t = 0; t < MI_TRAITS; t++)
                p.scores [t] = (uint8_t) (s_next (5) ? s_next (6) : 0);
            if (s_next (40) == 0)
                memset (p.scores, 0, MI_TRAITS);
            static const uint8_t mins [] = {0, 10, 25}, maxs [] = {0, 20, 30, 18};
            static const uint16_t kms [] = {0, 5, 15, 40};
            p.min_hours = mins [s_next (3)];
            p.max_hours = maxs [s_next (4)];
            p.max_commute_km = kms [s_next (4)];
            p.own_transport = s_next (3) == 0;
            p.transport_support = s_next (2) == 0;
            p.has_coords = s_next (10) != 0;
            p.latitude = PN_LAT + (s_next (600) - 300.0) / 1000;
            p.longitude = PN_LON + (s_next (600) - 300.0) / 1000;
            ambito [i] = (uint8_t) s_next (3);
            referring [i] = (uint8_t) s_next (3);
            category [i] = (uint8_t) (1 + s_next (11));
            p.ambito = s_some_ambiti [ambito [i]];
            p.referring_member_id = s_some_members [referring [i]];
            p.categories = (uint16_t) (1u << category [i]);
            p.consents [1] = (uint16_t) ((s_next (3) == 0 ? 1u << 8 : 0) | (s_next (4) == 0 ? 1u << 4 : 0));
            p.engaged = s_next (10) == 0;
            if (s_next (10) == 0) {
                p.excluded_sectors = s_some_excluded;
                p.n_excluded_sectors = 1;
            }
            if (s_next (10) == 0) {
                p.preferred_sectors = &s_some_preferred [s_next (2)];
                p.n_preferred_sectors = 1;
            }
            mi_index_put_person (index, &p);
            if (s_next (20) == 0)
                mi_index_set_team (index, p.id, "coop-il-ponte", true);
        }
        static const char *members [] = {"ass6-sil", "coop-il-ponte", "matching", "nobody"};
        static const int kinds [] = {4, 8, 11, 4};
        int who = (int) s_next (4);
        mi_query_t q = s_query (members [who], kinds [who]);
        q.limit = 60;
        q.include_engaged = s_next (2);
        q.preferred_only = s_next (2);
        int filter = (int) s_next (4);
        int f_ambito = (int) s_next (3), f_referring = (int) s_next (3), f_category = 1 + (int) s_next (11);
        if (filter == 1)
            q.ambito = s_some_ambiti [f_ambito];
        if (filter == 2)
            q.referring_member_id = s_some_members [f_referring];
        if (filter == 3)
            q.category = f_category;

        //  one at a time
        static s_expect_t expect [N];
        size_t n_expect = 0, in_scope = 0, hidden = 0, excluded [MI_REASONS] = {0};
        mi_index_lock_read (index);
        for (uint32_t i = 0; i < N; i++) {
            if ((filter == 1 && ambito [i] != f_ambito) || (filter == 2 && referring [i] != f_referring)
            ||  (filter == 3 && category [i] != f_category))
                continue;
            in_scope++;
            double km;
            mi_reason_t reason = mi_check (index, i, 0, &q, &km, NULL);
            bool visible = mi_person_visible (index, i, &q);
            if (!visible) {
                hidden += reason == MI_OK;
                continue;
            }
            if (reason) {
                excluded [reason]++;
                continue;
            }
            mi_comparison_t c;
            mi_index_compare (index, i, 0, &c);
            expect [n_expect].key = c.key;
            memcpy (expect [n_expect++].id, mi_person_id (index, i), 16);
        }
        qsort (expect, n_expect, sizeof (s_expect_t), s_expect_order);
        mi_hit_t hits [60];
        size_t n;
        mi_stats_t stats;
        cr_assert_eq (mi_best_persons (index, 0, &q, hits, &n, &stats), 0);
        cr_assert_eq (stats.in_scope, in_scope, "round %d", round);
        cr_assert_eq (stats.eligible, n_expect, "round %d: eligible %zu, expected %zu", round, stats.eligible,
                      n_expect);
        cr_assert_eq (stats.hidden, hidden, "round %d: hidden %zu, expected %zu", round, stats.hidden, hidden);
        for (int r = 1; r < MI_REASONS; r++)
            cr_assert_eq (stats.excluded [r], excluded [r], "round %d: %s %zu, expected %zu", round,
                          mi_reason_name ((mi_reason_t) r), stats.excluded [r], excluded [r]);
        cr_assert_eq (n, n_expect < 60 ? n_expect : 60);
        for (size_t i = 0; i < n; i++) {
            cr_assert_eq (hits [i].key, expect [i].key, "round %d rank %zu", round, i);
            cr_assert_eq (memcmp (mi_person_id (index, hits [i].slot), expect [i].id, 16), 0, "round %d rank %zu",
                          round, i);
        }
        mi_index_unlock (index);
        mi_index_destroy (&index);
    }
}
