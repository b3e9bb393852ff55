/*  match_index: profiles in memory and their comparison (see match_index.h). */
#include "match_index.h"
#include <assert.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#define EARTH_KM 6371.0088
#define MEMBER_KIND_SERVICE 11
//  The squared chord of MI_LOCAL_KM (sin x = x within 1e-6 at that size).
#define LOCAL2 ((float) ((MI_LOCAL_KM / EARTH_KM) * (MI_LOCAL_KM / EARTH_KM)))

//  Bits of a person's flags.
#define F_PROFILE   1       //  some characteristic assessed
#define F_COORDS    2       //  has coordinates
#define F_ENGAGED   4       //  in a pathway past matching
#define F_NO_MEANS  8       //  neither own transport nor transport support
#define F_SIDE      16      //  states sector preferences, exclusions or excluded tasks
#define F_TEAM      32      //  has team members
#define F_LUNCH     64      //  needs the lunch service

//  The rank key's fields (lower is better): penalty, over-demands, not
//  preferred, under-demand. Each fits its bits for 29 characteristics.
#define K_PENALTY   13      //  9 bits: 2 * 4 * 29 = 232 at most
#define K_OVER      8       //  5 bits: 29 at most
#define K_NOPREF    7       //  1 bit
                            //  7 bits of under-demand: 4 * 29 = 116 at most

//  What the flat pass reads of each person besides the scores, as arrays
//  (24 bytes a person), so that it can decide 16 persons at a time.
typedef struct {
    float *x, *y, *z;       //  unit vector of the coordinates
    float *reach2;          //  squared chord of the stated commute limit (INFINITY if none)
    uint16_t *referring;    //  interned referring member, 0 = none
    uint16_t *categories;   //  bit per category
    uint8_t *min_hours, *max_hours;
    uint8_t *ambito;        //  interned, 0 = none
    uint8_t *flags;         //  F_*
} s_cons_t;

//  What few persons have, read only when a flag says so.
typedef struct {
    char *surname, *name, *municipality;
    char **preferred;
    size_t n_preferred;
    char **excluded_sectors;
    size_t n_excluded_sectors;
    char **excluded_tasks;
    size_t n_excluded_tasks;
    uint16_t *team;         //  interned members
    size_t n_team;
} s_side_t;

//  A post, with its own copies.
typedef struct {
    mi_post_t post;         //  strings point to the copies below
    char *strings [5];      //  employer_id, title, ateco, municipality, ambito
    char **tasks;
    float x, y, z;
    uint8_t ambito;         //  interned
    uint8_t requirements [MI_STRIDE];
    uint16_t held;          //  places accepted proposals and monitoring's projects hold
} s_post_t;

//  Interned strings: id 1..n, 0 = none.
typedef struct {
    char **items;
    size_t n, cap, max;
} s_strings_t;

//  Open addressing from a 16-byte id to slot + 1.
typedef struct {
    uint32_t *cells;
    size_t cap;             //  power of two
} s_map_t;

struct _mi_index_t {
    pthread_rwlock_t lock;      //  readers query, writers apply events
    size_t n, cap;              //  persons
    uint8_t (*ids) [16];        //  person ids
    uint8_t *scores;            //  MI_STRIDE per person
    s_cons_t cons;              //  the flat pass's arrays
    uint16_t *consents [MI_PURPOSES];     //  by purpose 1-5: member kinds consented to
    s_side_t **side;            //  NULL for most
    s_map_t person_map;
    size_t n_posts, cap_posts;
    uint8_t (*post_ids) [16];
    s_post_t *posts;
    s_map_t post_map;
    s_strings_t members;        //  referring and team members
    s_strings_t ambiti;
};

static const char *s_traits [MI_TRAITS] = {
    "work_planning", "comprehension", "attention", "concentration", "learning_memory",
    "problem_solving", "adaptability", "imagination", "assertiveness", "leadership", "contact",
    "giving_criticism", "taking_criticism", "teamwork", "endurance", "self_checking",
    "frustration_tolerance", "orderliness", "punctuality", "independence", "care", "responsibility",
    "reaction_speed", "fine_motor_skills", "drive", "reading", "arithmetic", "writing", "speaking"};

static const char *s_reasons [MI_REASONS] = {"ok", "no_profile", "engaged", "hours", "commute",
                                             "sector", "task", "not_preferred", "no_place"};

const char *
mi_trait_name (int trait)
{
    return trait >= 0 && trait < MI_TRAITS ? s_traits [trait] : "?";
}

const char *
mi_reason_name (mi_reason_t reason)
{
    return reason < MI_REASONS ? s_reasons [reason] : "?";
}

//  --- the comparison -----------------------------------------------------------

#ifndef __SSE2__
//  The key contribution of each characteristic at each ability (0-7), for a
//  requirement profile: the rank key of a person is the sum over 29 lookups.
static void
s_table (const uint8_t *requirement, uint32_t table [MI_STRIDE][8])
{
    memset (table, 0, sizeof (uint32_t) * MI_STRIDE * 8);
    for (int t = 0; t < MI_TRAITS; t++) {
        unsigned r = requirement [t] > 5 ? 5 : requirement [t];
        for (unsigned a = 0; a < 8 && r; a++) {
            unsigned ability = a > 5 ? 5 : a;
            if (ability == 0)
                table [t][a] = 1u << K_PENALTY;
            else
            if (r > ability)
                table [t][a] = (2 * (r - ability)) << K_PENALTY | 1u << K_OVER;
            else
                table [t][a] = ability - r;
        }
    }
}
#endif

static int
s_gap_order (const void *a, const void *b)
{
    const mi_gap_t *x = (const mi_gap_t *) a, *y = (const mi_gap_t *) b;
    int gx = x->requirement - x->ability, gy = y->requirement - y->ability;
    if (gx != gy)
        return gy - gx;
    return x->trait - y->trait;
}

void
mi_compare (const uint8_t *ability, const uint8_t *requirement, bool preferred, mi_comparison_t *out)
{
    memset (out, 0, sizeof *out);
    unsigned required = 0;
    for (int t = 0; t < MI_TRAITS; t++) {
        unsigned r = requirement [t] > 5 ? 5 : requirement [t];
        unsigned a = ability [t] > 5 ? 5 : ability [t];
        if (r == 0)
            continue;
        required += r;
        if (a == 0)
            out->not_assessed [out->n_not_assessed++] = (uint8_t) t;
        else
        if (r > a) {
            out->over_demand += r - a;
            out->over [out->n_over_list++] = (mi_gap_t) {(uint8_t) t, (uint8_t) a, (uint8_t) r};
        }
        else
            out->under_demand += a - r;
    }
    out->n_over = (unsigned) out->n_over_list;
    out->unknown = (unsigned) out->n_not_assessed;
    out->penalty = 2 * out->over_demand + out->unknown;
    out->key = out->penalty << K_PENALTY | out->n_over << K_OVER | (preferred ? 0 : 1u << K_NOPREF)
             | out->under_demand;
    out->fit = required ? 100 - (100 * out->penalty + 2 * required - 1) / (2 * required) : 100;
    qsort (out->over, out->n_over_list, sizeof (mi_gap_t), s_gap_order);
}

//  --- ids, strings, maps -------------------------------------------------------------

static int
s_hex (char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

int
mi_uuid_parse (const char *text, uint8_t id [16])
{
    if (!text || strlen (text) != 36)
        return -1;
    int n = 0;
    for (int i = 0; i < 36; i++) {
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (text [i] != '-')
                return -1;
            continue;
        }
        int hi = s_hex (text [i]), lo = s_hex (text [i + 1]);
        if (hi < 0 || lo < 0)
            return -1;
        id [n++] = (uint8_t) (hi << 4 | lo);
        i++;
    }
    return 0;
}

void
mi_uuid_format (const uint8_t id [16], char out [37])
{
    static const char *hex = "0123456789abcdef";
    int o = 0;
    for (int i = 0; i < 16; i++) {
        if (i == 4 || i == 6 || i == 8 || i == 10)
            out [o++] = '-';
        out [o++] = hex [id [i] >> 4];
        out [o++] = hex [id [i] & 15];
    }
    out [o] = 0;
}

//  The id of s, 0 if s is empty or unknown.
static int
s_strings_find (const s_strings_t *t, const char *s)
{
    if (!s || !*s)
        return 0;
    for (size_t i = 0; i < t->n; i++)
        if (strcmp (t->items [i], s) == 0)
            return (int) i + 1;
    return 0;
}

//  The id of s, added if new; 0 if s is empty or the table is full.
static int
s_strings_intern (s_strings_t *t, const char *s)
{
    int id = s_strings_find (t, s);
    if (id || !s || !*s || t->n >= t->max)
        return id;
    if (t->n == t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 16;
        char **items = (char **) realloc (t->items, cap * sizeof (char *));
        if (!items)
            return 0;
        t->items = items;
        t->cap = cap;
    }
    t->items [t->n++] = strdup (s);
    return (int) t->n;
}

static const char *
s_strings_get (const s_strings_t *t, int id)
{
    return id > 0 && (size_t) id <= t->n ? t->items [id - 1] : "";
}

static size_t
s_map_cell (const s_map_t *map, const uint8_t (*ids) [16], const uint8_t id [16])
{
    uint64_t h;
    memcpy (&h, id + 8, 8);     //  random bits of a UUID v4
    h ^= h >> 29;
    h *= 0xbf58476d1ce4e5b9ULL;
    size_t mask = map->cap - 1, cell = (size_t) (h ^ (h >> 31)) & mask;
    while (map->cells [cell] && memcmp (ids [map->cells [cell] - 1], id, 16) != 0)
        cell = (cell + 1) & mask;
    return cell;
}

static long
s_map_get (const s_map_t *map, const uint8_t (*ids) [16], const uint8_t id [16])
{
    if (!map->cap)
        return -1;
    size_t cell = s_map_cell (map, ids, id);
    return map->cells [cell] ? (long) map->cells [cell] - 1 : -1;
}

//  Makes room for n entries. Returns 0 or -1.
static int
s_map_reserve (s_map_t *map, const uint8_t (*ids) [16], size_t n)
{
    if (map->cap >= 2 * n + 16)
        return 0;
    size_t cap = map->cap ? map->cap : 64;
    while (cap < 2 * n + 16)
        cap *= 2;
    s_map_t bigger = {(uint32_t *) calloc (cap, sizeof (uint32_t)), cap};
    if (!bigger.cells)
        return -1;
    for (size_t i = 0; i < map->cap; i++)
        if (map->cells [i])
            bigger.cells [s_map_cell (&bigger, ids, ids [map->cells [i] - 1])] = map->cells [i];
    free (map->cells);
    *map = bigger;
    return 0;
}

//  --- the index ----------------------------------------------------------------------

mi_index_t *
mi_index_new (void)
{
    mi_index_t *self = (mi_index_t *) calloc (1, sizeof (mi_index_t));
    if (!self)
        return NULL;
    pthread_rwlock_init (&self->lock, NULL);
    self->members.max = 65535;
    self->ambiti.max = 255;
    return self;
}

static void
s_free_list (char **list, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free (list [i]);
    free (list);
}

static void
s_side_free (s_side_t *side)
{
    if (!side)
        return;
    free (side->surname);
    free (side->name);
    free (side->municipality);
    s_free_list (side->preferred, side->n_preferred);
    s_free_list (side->excluded_sectors, side->n_excluded_sectors);
    s_free_list (side->excluded_tasks, side->n_excluded_tasks);
    free (side->team);
    free (side);
}

static void
s_post_free (s_post_t *post)
{
    for (int i = 0; i < 5; i++)
        free (post->strings [i]);
    s_free_list (post->tasks, post->post.n_tasks);
}

void
mi_index_destroy (mi_index_t **self_p)
{
    mi_index_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n; i++)
        s_side_free (self->side [i]);
    for (size_t i = 0; i < self->n_posts; i++)
        s_post_free (&self->posts [i]);
    free (self->ids);
    free (self->scores);
    free (self->cons.x);
    free (self->cons.y);
    free (self->cons.z);
    free (self->cons.reach2);
    free (self->cons.referring);
    free (self->cons.categories);
    free (self->cons.min_hours);
    free (self->cons.max_hours);
    free (self->cons.ambito);
    free (self->cons.flags);
    for (int p = 0; p < MI_PURPOSES; p++)
        free (self->consents [p]);
    free (self->side);
    free (self->person_map.cells);
    free (self->post_ids);
    free (self->posts);
    free (self->post_map.cells);
    s_free_list (self->members.items, self->members.n);
    s_free_list (self->ambiti.items, self->ambiti.n);
    pthread_rwlock_destroy (&self->lock);
    free (self);
    *self_p = NULL;
}

void
mi_index_lock_read (mi_index_t *self)
{
    pthread_rwlock_rdlock (&self->lock);
}

void
mi_index_unlock (mi_index_t *self)
{
    pthread_rwlock_unlock (&self->lock);
}

static int
s_grow (void **array, size_t size, size_t cap)
{
    void *bigger = realloc (*array, size * cap);
    if (!bigger)
        return -1;
    *array = bigger;
    return 0;
}

//  Makes room for one more person. Returns 0 or -1.
static int
s_person_room (mi_index_t *self)
{
    if (self->n < self->cap)
        return 0;
    size_t cap = self->cap ? self->cap * 2 : 1024;
    if (s_grow ((void **) &self->ids, 16, cap) || s_grow ((void **) &self->scores, MI_STRIDE, cap)
    ||  s_grow ((void **) &self->cons.x, sizeof (float), cap) || s_grow ((void **) &self->cons.y, sizeof (float), cap)
    ||  s_grow ((void **) &self->cons.z, sizeof (float), cap)
    ||  s_grow ((void **) &self->cons.reach2, sizeof (float), cap)
    ||  s_grow ((void **) &self->cons.referring, sizeof (uint16_t), cap)
    ||  s_grow ((void **) &self->cons.categories, sizeof (uint16_t), cap)
    ||  s_grow ((void **) &self->cons.min_hours, 1, cap) || s_grow ((void **) &self->cons.max_hours, 1, cap)
    ||  s_grow ((void **) &self->cons.ambito, 1, cap) || s_grow ((void **) &self->cons.flags, 1, cap)
    ||  s_grow ((void **) &self->side, sizeof (s_side_t *), cap))
        return -1;
    for (int p = 0; p < MI_PURPOSES; p++)
        if (s_grow ((void **) &self->consents [p], sizeof (uint16_t), cap))
            return -1;
    self->cap = cap;
    return 0;
}

static char **
s_copy_list (const char *const *list, size_t n)
{
    if (!n)
        return NULL;
    char **copy = (char **) calloc (n, sizeof (char *));
    for (size_t i = 0; copy && i < n; i++)
        copy [i] = strdup (list [i] ? list [i] : "");
    return copy;
}

static void
s_unit (double latitude, double longitude, float *x, float *y, float *z)
{
    double la = latitude * M_PI / 180, lo = longitude * M_PI / 180;
    *x = (float) (cos (la) * cos (lo));
    *y = (float) (cos (la) * sin (lo));
    *z = (float) sin (la);
}

//  The squared chord of a great-circle distance.
static float
s_chord2 (double km)
{
    double c = 2 * sin (km / (2 * EARTH_KM));
    return (float) (c * c);
}

int
mi_index_put_person (mi_index_t *self, const mi_person_t *p)
{
    pthread_rwlock_wrlock (&self->lock);
    int rc = -1;
    long slot = s_map_get (&self->person_map, (const uint8_t (*) [16]) self->ids, p->id);
    bool was_engaged = false;
    s_side_t *old_side = NULL;
    uint16_t *team = NULL;
    size_t n_team = 0;
    if (slot < 0) {
        if (s_person_room (self)
        ||  s_map_reserve (&self->person_map, (const uint8_t (*) [16]) self->ids, self->n + 1))
            goto out;
        slot = (long) self->n++;
        memcpy (self->ids [slot], p->id, 16);
        self->person_map.cells [s_map_cell (&self->person_map, (const uint8_t (*) [16]) self->ids, p->id)] =
            (uint32_t) slot + 1;
        self->side [slot] = NULL;
    }
    else {
        was_engaged = self->cons.flags [slot] & F_ENGAGED;
        old_side = self->side [slot];
        if (old_side) {
            team = old_side->team;          //  the team comes from its own events
            n_team = old_side->n_team;
            old_side->team = NULL;
        }
    }
    uint8_t *scores = self->scores + (size_t) slot * MI_STRIDE;
    memset (scores, 0, MI_STRIDE);
    bool assessed = false;
    for (int t = 0; t < MI_TRAITS; t++) {
        scores [t] = p->scores [t] > 5 ? 5 : p->scores [t];
        assessed |= scores [t] > 0;
    }
    s_cons_t *c = &self->cons;
    c->reach2 [slot] = p->max_commute_km ? s_chord2 (p->max_commute_km) : INFINITY;
    c->x [slot] = c->y [slot] = c->z [slot] = 0;
    if (p->has_coords)
        s_unit (p->latitude, p->longitude, &c->x [slot], &c->y [slot], &c->z [slot]);
    c->referring [slot] = (uint16_t) s_strings_intern (&self->members, p->referring_member_id);
    c->categories [slot] = p->categories;
    c->min_hours [slot] = p->min_hours;
    c->max_hours [slot] = p->max_hours;
    c->ambito [slot] = (uint8_t) s_strings_intern (&self->ambiti, p->ambito);
    bool engaged = p->engaged < 0 ? was_engaged : p->engaged > 0;
    uint8_t flags = (assessed ? F_PROFILE : 0) | (p->has_coords ? F_COORDS : 0) | (engaged ? F_ENGAGED : 0)
             | (!p->own_transport && !p->transport_support ? F_NO_MEANS : 0)
             | (p->lunch_needed ? F_LUNCH : 0)
             | (p->n_preferred_sectors || p->n_excluded_sectors || p->n_excluded_tasks ? F_SIDE : 0)
             | (n_team ? F_TEAM : 0);
    c->flags [slot] = flags;
    self->consents [0][slot] = 0;      //  no purpose, no consent
    for (int k = 1; k < MI_PURPOSES; k++)
        self->consents [k][slot] = p->consents [k];
    s_side_free (old_side);
    self->side [slot] = NULL;
    bool named = (p->surname && *p->surname) || (p->name && *p->name) || (p->municipality && *p->municipality);
    if (named || (flags & (F_SIDE | F_TEAM))) {
        s_side_t *side = (s_side_t *) calloc (1, sizeof (s_side_t));
        if (!side) {
            free (team);
            goto out;
        }
        side->surname = strdup (p->surname ? p->surname : "");
        side->name = strdup (p->name ? p->name : "");
        side->municipality = strdup (p->municipality ? p->municipality : "");
        side->preferred = s_copy_list (p->preferred_sectors, p->n_preferred_sectors);
        side->n_preferred = p->n_preferred_sectors;
        side->excluded_sectors = s_copy_list (p->excluded_sectors, p->n_excluded_sectors);
        side->n_excluded_sectors = p->n_excluded_sectors;
        side->excluded_tasks = s_copy_list (p->excluded_tasks, p->n_excluded_tasks);
        side->n_excluded_tasks = p->n_excluded_tasks;
        side->team = team;
        side->n_team = n_team;
        self->side [slot] = side;
    }
    else
        free (team);
    rc = 0;
out:
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

int
mi_index_put_post (mi_index_t *self, const mi_post_t *p)
{
    pthread_rwlock_wrlock (&self->lock);
    int rc = -1;
    uint16_t held = 0;
    long slot = s_map_get (&self->post_map, (const uint8_t (*) [16]) self->post_ids, p->id);
    if (slot < 0) {
        if (self->n_posts == self->cap_posts) {
            size_t cap = self->cap_posts ? self->cap_posts * 2 : 64;
            if (s_grow ((void **) &self->post_ids, 16, cap) || s_grow ((void **) &self->posts, sizeof (s_post_t), cap))
                goto out;
            self->cap_posts = cap;
        }
        if (s_map_reserve (&self->post_map, (const uint8_t (*) [16]) self->post_ids, self->n_posts + 1))
            goto out;
        slot = (long) self->n_posts++;
        memcpy (self->post_ids [slot], p->id, 16);
        self->post_map.cells [s_map_cell (&self->post_map, (const uint8_t (*) [16]) self->post_ids, p->id)] =
            (uint32_t) slot + 1;
    }
    else {
        held = self->posts [slot].held;     //  the registry does not know them
        s_post_free (&self->posts [slot]);
    }
    s_post_t *post = &self->posts [slot];
    memset (post, 0, sizeof *post);
    post->held = held;
    post->post = *p;
    const char *strings [5] = {p->employer_id, p->title, p->ateco, p->municipality, p->ambito};
    for (int i = 0; i < 5; i++)
        post->strings [i] = strdup (strings [i] ? strings [i] : "");
    post->post.employer_id = post->strings [0];
    post->post.title = post->strings [1];
    post->post.ateco = post->strings [2];
    post->post.municipality = post->strings [3];
    post->post.ambito = post->strings [4];
    post->tasks = s_copy_list (p->tasks, p->n_tasks);
    post->post.tasks = (const char *const *) post->tasks;
    post->post.n_tasks = post->tasks ? p->n_tasks : 0;
    for (int t = 0; t < MI_TRAITS; t++)
        post->requirements [t] = p->requirements [t] > 5 ? 5 : p->requirements [t];
    if (p->has_coords)
        s_unit (p->latitude, p->longitude, &post->x, &post->y, &post->z);
    post->ambito = (uint8_t) s_strings_intern (&self->ambiti, p->ambito);
    rc = 0;
out:
    pthread_rwlock_unlock (&self->lock);
    return rc;
}

int
mi_index_set_team (mi_index_t *self, const uint8_t person [16], const char *member_id, bool add)
{
    pthread_rwlock_wrlock (&self->lock);
    long slot = s_map_get (&self->person_map, (const uint8_t (*) [16]) self->ids, person);
    int member = s_strings_intern (&self->members, member_id);
    if (slot >= 0 && member) {
        s_side_t *side = self->side [slot];
        if (!side && add) {
            side = (s_side_t *) calloc (1, sizeof (s_side_t));
            self->side [slot] = side;
        }
        size_t at = 0;
        while (side && at < side->n_team && side->team [at] != member)
            at++;
        if (side && add && at == side->n_team) {
            uint16_t *team = (uint16_t *) realloc (side->team, (side->n_team + 1) * sizeof (uint16_t));
            if (team) {
                team [side->n_team++] = (uint16_t) member;
                side->team = team;
            }
        }
        else
        if (side && !add && at < side->n_team)
            side->team [at] = side->team [--side->n_team];
        if (side && side->n_team)
            self->cons.flags [slot] |= F_TEAM;
        else
            self->cons.flags [slot] &= (uint8_t) ~F_TEAM;
    }
    pthread_rwlock_unlock (&self->lock);
    return 0;
}

int
mi_index_post_accepted (mi_index_t *self, const uint8_t post [16], int delta)
{
    pthread_rwlock_wrlock (&self->lock);
    long slot = s_map_get (&self->post_map, (const uint8_t (*) [16]) self->post_ids, post);
    if (slot >= 0) {
        int held = self->posts [slot].held + delta;
        self->posts [slot].held = (uint16_t) (held < 0 ? 0 : held > 65535 ? 65535 : held);
    }
    pthread_rwlock_unlock (&self->lock);
    return slot >= 0 ? 0 : -1;
}

int
mi_index_post_set_held (mi_index_t *self, const uint8_t post [16], unsigned held)
{
    pthread_rwlock_wrlock (&self->lock);
    long slot = s_map_get (&self->post_map, (const uint8_t (*) [16]) self->post_ids, post);
    if (slot >= 0)
        self->posts [slot].held = (uint16_t) (held > 65535 ? 65535 : held);
    pthread_rwlock_unlock (&self->lock);
    return slot >= 0 ? 0 : -1;
}

int
mi_index_set_engaged (mi_index_t *self, const uint8_t person [16], bool engaged)
{
    pthread_rwlock_wrlock (&self->lock);
    long slot = s_map_get (&self->person_map, (const uint8_t (*) [16]) self->ids, person);
    if (slot >= 0) {
        if (engaged)
            self->cons.flags [slot] |= F_ENGAGED;
        else
            self->cons.flags [slot] &= (uint8_t) ~F_ENGAGED;
    }
    pthread_rwlock_unlock (&self->lock);
    return slot >= 0 ? 0 : -1;
}

//  --- reading ---------------------------------------------------------------------------

size_t mi_index_persons (mi_index_t *self) { return self->n; }
size_t mi_index_posts (mi_index_t *self) { return self->n_posts; }

long
mi_index_person_slot (mi_index_t *self, const uint8_t id [16])
{
    return s_map_get (&self->person_map, (const uint8_t (*) [16]) self->ids, id);
}

long
mi_index_post_slot (mi_index_t *self, const uint8_t id [16])
{
    return s_map_get (&self->post_map, (const uint8_t (*) [16]) self->post_ids, id);
}

const uint8_t *mi_person_id (mi_index_t *self, uint32_t slot) { return self->ids [slot]; }
const uint8_t *mi_person_scores (mi_index_t *self, uint32_t slot) { return self->scores + (size_t) slot * MI_STRIDE; }

const char *
mi_person_surname (mi_index_t *self, uint32_t slot)
{
    return self->side [slot] && self->side [slot]->surname ? self->side [slot]->surname : "";
}

const char *
mi_person_name (mi_index_t *self, uint32_t slot)
{
    return self->side [slot] && self->side [slot]->name ? self->side [slot]->name : "";
}

const char *
mi_person_municipality (mi_index_t *self, uint32_t slot)
{
    return self->side [slot] && self->side [slot]->municipality ? self->side [slot]->municipality : "";
}

const char *
mi_person_ambito (mi_index_t *self, uint32_t slot)
{
    return s_strings_get (&self->ambiti, self->cons.ambito [slot]);
}

const char *
mi_person_referring (mi_index_t *self, uint32_t slot)
{
    return s_strings_get (&self->members, self->cons.referring [slot]);
}

bool mi_person_engaged (mi_index_t *self, uint32_t slot) { return self->cons.flags [slot] & F_ENGAGED; }
bool mi_person_lunch_needed (mi_index_t *self, uint32_t slot) { return self->cons.flags [slot] & F_LUNCH; }

const mi_post_t *mi_post (mi_index_t *self, uint32_t slot) { return &self->posts [slot].post; }

unsigned
mi_post_free_places (mi_index_t *self, uint32_t slot)
{
    //  the registry's filled places, and those held here (accepted
    //  proposals, monitoring's projects)
    const mi_post_t *p = &self->posts [slot].post;
    unsigned taken = (unsigned) p->places_filled + self->posts [slot].held;
    return p->open && p->places > taken ? p->places - taken : 0;
}

//  The caller, resolved once per query.
typedef struct {
    int member;             //  interned, 0 = unknown (sees only by consent)
    uint16_t kind_bit;
    bool all;               //  a network service
    const uint16_t *consents;
} s_caller_t;

static void
s_caller (mi_index_t *self, const mi_query_t *q, s_caller_t *caller)
{
    caller->member = s_strings_find (&self->members, q->member_id);
    caller->kind_bit = q->member_kind > 0 && q->member_kind <= SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN
                     ? (uint16_t) (1u << q->member_kind) : 0;
    caller->all = q->member_kind == MEMBER_KIND_SERVICE;
    caller->consents = self->consents [q->purpose >= 1 && q->purpose < MI_PURPOSES ? q->purpose : 0];
}

static inline bool
s_visible (mi_index_t *self, size_t i, const s_caller_t *caller)
{
    const s_cons_t *c = &self->cons;
    if (caller->all || (caller->member && c->referring [i] == caller->member)
    ||  (caller->consents [i] & caller->kind_bit))
        return true;
    if ((c->flags [i] & F_TEAM) && caller->member) {
        const s_side_t *side = self->side [i];
        for (size_t t = 0; t < side->n_team; t++)
            if (side->team [t] == caller->member)
                return true;
    }
    return false;
}

bool
mi_person_visible (mi_index_t *self, uint32_t slot, const mi_query_t *q)
{
    s_caller_t caller;
    s_caller (self, q, &caller);
    return s_visible (self, slot, &caller);
}

static bool
s_has_prefix (const char *code, char *const *prefixes, size_t n)
{
    for (size_t i = 0; code && *code && i < n; i++)
        if (*prefixes [i] && strncmp (code, prefixes [i], strlen (prefixes [i])) == 0)
            return true;
    return false;
}

static bool
s_task_excluded (const s_side_t *side, const mi_post_t *post)
{
    for (size_t i = 0; i < side->n_excluded_tasks; i++)
        for (size_t t = 0; *side->excluded_tasks [i] && t < post->n_tasks; t++)
            if (strcasestr (post->tasks [t], side->excluded_tasks [i]))
                return true;
    return false;
}

//  The hard constraints of one pairing. With failed NULL, returns at the first
//  that fails; else marks every one that fails. The post's places are not
//  looked at here (see mi_check).
static inline mi_reason_t
s_constraints (mi_index_t *self, size_t i, const s_post_t *post, const mi_query_t *q, bool *failed)
{
    const s_cons_t *c = &self->cons;
    uint8_t flags = c->flags [i];
    mi_reason_t first = MI_OK;
#define FAIL(r) do { if (!failed) return r; failed [r] = true; if (!first) first = r; } while (0)
    if (!(flags & F_PROFILE))
        FAIL (MI_NO_PROFILE);
    if ((flags & F_ENGAGED) && !q->include_engaged)
        FAIL (MI_ENGAGED);
    unsigned hours = post->post.weekly_hours;
    if ((c->min_hours [i] && hours < c->min_hours [i]) || (c->max_hours [i] && hours > c->max_hours [i]))
        FAIL (MI_HOURS);
    if ((flags & F_COORDS) && post->post.has_coords) {
        float reach2 = c->reach2 [i];
        if ((flags & F_NO_MEANS) && !post->post.transport_available && reach2 > LOCAL2)
            reach2 = LOCAL2;
        float dx = c->x [i] - post->x, dy = c->y [i] - post->y, dz = c->z [i] - post->z;
        if (dx * dx + dy * dy + dz * dz > reach2)
            FAIL (MI_COMMUTE);
    }
    if (flags & F_SIDE) {
        const s_side_t *side = self->side [i];
        if (s_has_prefix (post->post.ateco, side->excluded_sectors, side->n_excluded_sectors))
            FAIL (MI_SECTOR);
        if (s_task_excluded (side, &post->post))
            FAIL (MI_TASK);
        if (q->preferred_only && side->n_preferred
        &&  !s_has_prefix (post->post.ateco, side->preferred, side->n_preferred))
            FAIL (MI_NOT_PREFERRED);
    }
#undef FAIL
    return first;
}

bool
mi_preferred (mi_index_t *self, uint32_t person, uint32_t post)
{
    const s_side_t *side = (self->cons.flags [person] & F_SIDE) ? self->side [person] : NULL;
    return side && s_has_prefix (self->posts [post].post.ateco, side->preferred, side->n_preferred);
}

mi_reason_t
mi_check (mi_index_t *self, uint32_t person, uint32_t post, const mi_query_t *q, double *distance_km,
          bool *failed)
{
    const s_cons_t *c = &self->cons;
    const s_post_t *p = &self->posts [post];
    *distance_km = -1;
    if ((c->flags [person] & F_COORDS) && p->post.has_coords) {
        double dx = c->x [person] - p->x, dy = c->y [person] - p->y, dz = c->z [person] - p->z;
        double chord = sqrt (dx * dx + dy * dy + dz * dz);
        *distance_km = 2 * EARTH_KM * asin (chord / 2 > 1 ? 1 : chord / 2);
    }
    bool own [MI_REASONS] = {false};
    bool *marks = failed ? failed : own;
    mi_reason_t first = s_constraints (self, person, p, q, marks);
    if (!mi_post_free_places (self, post)) {
        marks [MI_NO_PLACE] = true;
        if (!first)
            first = MI_NO_PLACE;
    }
    return first;
}

void
mi_index_compare (mi_index_t *self, uint32_t person, uint32_t post, mi_comparison_t *out)
{
    mi_compare (self->scores + (size_t) person * MI_STRIDE, self->posts [post].requirements,
                mi_preferred (self, person, post), out);
}

//  --- ranking --------------------------------------------------------------------------------

//  A bounded heap with the worst hit on top.
typedef struct {
    mi_hit_t *hits;
    size_t n, cap;
    const uint8_t (*ids) [16];
} s_heap_t;

static inline bool
s_worse (const s_heap_t *h, mi_hit_t a, mi_hit_t b)
{
    return a.key > b.key || (a.key == b.key && memcmp (h->ids [a.slot], h->ids [b.slot], 16) > 0);
}

static void
s_sift_down (s_heap_t *h, size_t i, size_t n)
{
    while (true) {
        size_t l = 2 * i + 1, r = l + 1, top = i;
        if (l < n && s_worse (h, h->hits [l], h->hits [top]))
            top = l;
        if (r < n && s_worse (h, h->hits [r], h->hits [top]))
            top = r;
        if (top == i)
            return;
        mi_hit_t tmp = h->hits [i];
        h->hits [i] = h->hits [top];
        h->hits [top] = tmp;
        i = top;
    }
}

static inline void
s_push (s_heap_t *h, mi_hit_t hit)
{
    if (h->n < h->cap) {
        size_t i = h->n++;
        h->hits [i] = hit;
        while (i && s_worse (h, h->hits [i], h->hits [(i - 1) / 2])) {
            mi_hit_t tmp = h->hits [i];
            h->hits [i] = h->hits [(i - 1) / 2];
            h->hits [(i - 1) / 2] = tmp;
            i = (i - 1) / 2;
        }
    }
    else
    if (s_worse (h, h->hits [0], hit)) {
        h->hits [0] = hit;
        s_sift_down (h, 0, h->n);
    }
}

//  Sorts the heap best first.
static void
s_heap_sort (s_heap_t *h)
{
    for (size_t k = h->n; k > 1; k--) {
        mi_hit_t tmp = h->hits [0];
        h->hits [0] = h->hits [k - 1];
        h->hits [k - 1] = tmp;
        s_sift_down (h, 0, k - 1);
    }
}

#ifdef __SSE2__
//  A requirement profile in two halves of 16 lanes, for the vector key.
typedef struct {
    __m128i r [2];          //  requirements
    __m128i required [2];   //  0xFF where required
} s_vreq_t;

static void
s_vreq (const uint8_t *requirements, s_vreq_t *v)
{
    for (int h = 0; h < 2; h++) {
        v->r [h] = _mm_loadu_si128 ((const __m128i *) (requirements + 16 * h));
        v->required [h] = _mm_xor_si128 (_mm_cmpeq_epi8 (v->r [h], _mm_setzero_si128 ()), _mm_set1_epi8 (-1));
    }
}

static inline uint32_t
s_hsum (__m128i bytes)
{
    __m128i sums = _mm_sad_epu8 (bytes, _mm_setzero_si128 ());
    return (uint32_t) (_mm_cvtsi128_si32 (sums) + _mm_cvtsi128_si32 (_mm_srli_si128 (sums, 8)));
}

//  The rank key of scores s (the same as the table's sum), or UINT32_MAX as
//  soon as its penalty is above bound.
static inline uint32_t
s_vkey (const s_vreq_t *v, const uint8_t *s, uint32_t bound)
{
    const __m128i zero = _mm_setzero_si128 (), one = _mm_set1_epi8 (1);
    __m128i a [2], over [2], penalty = zero;
    for (int h = 0; h < 2; h++) {
        a [h] = _mm_loadu_si128 ((const __m128i *) (s + 16 * h));
        __m128i unassessed = _mm_cmpeq_epi8 (a [h], zero);
        over [h] = _mm_andnot_si128 (unassessed, _mm_subs_epu8 (v->r [h], a [h]));
        __m128i unknown = _mm_and_si128 (_mm_and_si128 (unassessed, v->required [h]), one);
        penalty = _mm_add_epi8 (penalty, _mm_add_epi8 (_mm_add_epi8 (over [h], over [h]), unknown));
    }
    uint32_t p = s_hsum (penalty);
    if (p > bound)
        return UINT32_MAX;
    __m128i n_over = _mm_add_epi8 (_mm_min_epu8 (over [0], one), _mm_min_epu8 (over [1], one));
    __m128i under = _mm_add_epi8 (_mm_and_si128 (_mm_subs_epu8 (a [0], v->r [0]), v->required [0]),
                                  _mm_and_si128 (_mm_subs_epu8 (a [1], v->r [1]), v->required [1]));
    return p << K_PENALTY | s_hsum (n_over) << K_OVER | s_hsum (under);
}
#endif

//  A pass of mi_best_persons: the query, resolved, and what it has counted.
typedef struct {
    const s_post_t *post;
    const mi_query_t *q;
    s_caller_t caller;
    int ambito, referring;          //  filters: -1 = any
    uint16_t category;              //  filter bit, 0 = any
#ifdef __SSE2__
    s_vreq_t vreq;
#else
    uint32_t table [MI_STRIDE][8];
#endif
    s_heap_t heap;
    uint32_t bound;                 //  the penalty above which no one enters the full heap
    size_t counts [MI_REASONS];     //  visible persons by first failing reason (MI_OK: eligible)
    size_t in_scope, hidden;
} s_pass_t;

//  A person who passed every constraint and is visible: into the heap if
//  good enough.
static inline void
s_offer (mi_index_t *self, s_pass_t *pass, size_t i)
{
    const uint8_t *s = self->scores + i * MI_STRIDE;
#ifdef __SSE2__
    uint32_t key = s_vkey (&pass->vreq, s, pass->bound);
    if (key == UINT32_MAX)
        return;
#else
    uint32_t key = 0;
    for (int t = 0; t < MI_TRAITS; t++)
        key += pass->table [t][s [t]];
#endif
    const s_post_t *post = pass->post;
    if (!((self->cons.flags [i] & F_SIDE)
          && s_has_prefix (post->post.ateco, self->side [i]->preferred, self->side [i]->n_preferred)))
        key |= 1u << K_NOPREF;
    s_push (&pass->heap, (mi_hit_t) {(uint32_t) i, key});
    if (pass->heap.n == pass->heap.cap)
        pass->bound = pass->heap.hits [0].key >> K_PENALTY;
}

//  One person, by the rules one at a time: for the last few persons and for
//  those with stated sectors or tasks or a team.
static void
s_one (mi_index_t *self, s_pass_t *pass, size_t i)
{
    const s_cons_t *c = &self->cons;
    if ((pass->ambito >= 0 && c->ambito [i] != pass->ambito)
    ||  (pass->referring >= 0 && c->referring [i] != pass->referring)
    ||  (pass->category && !(c->categories [i] & pass->category)))
        return;
    pass->in_scope++;
    bool visible = s_visible (self, i, &pass->caller);
    mi_reason_t reason = s_constraints (self, i, pass->post, pass->q, NULL);
    if (reason || !visible) {
        if (visible)
            pass->counts [reason]++;
        else
            pass->hidden += reason == MI_OK;
        return;
    }
    pass->counts [MI_OK]++;
    s_offer (self, pass, i);
}

#ifdef __SSE2__
static inline __m128i
s_bits (__m128i bytes, uint8_t bit)
{
    __m128i b = _mm_set1_epi8 ((char) bit);
    return _mm_cmpeq_epi8 (_mm_and_si128 (bytes, b), b);
}

//  The lanes set in a byte mask (psadbw: no popcnt in baseline x86-64).
static inline int
s_count (__m128i mask)
{
    return (int) s_hsum (_mm_and_si128 (mask, _mm_set1_epi8 (1)));
}

//  Persons i to i + 15, decided together: filters, visibility and the hard
//  constraints as byte masks, then the scores of those who passed. Persons
//  with stated sectors or tasks, or a team, go one at a time.
static void
s_sixteen (mi_index_t *self, s_pass_t *pass, size_t i)
{
    const s_cons_t *c = &self->cons;
    //  the scores are read only for persons who pass, which leaves the
    //  hardware's prefetcher no stride to follow: ask for them ahead
    const char *ahead = (const char *) (self->scores + (i + 64) * MI_STRIDE);
    if (i + 80 <= self->n)
        for (int line = 0; line < 16 * MI_STRIDE; line += 64)
            _mm_prefetch (ahead + line, _MM_HINT_T0);
    const __m128i ones = _mm_set1_epi8 (-1), zero = _mm_setzero_si128 ();
    const s_post_t *post = pass->post;
    __m128i flags = _mm_loadu_si128 ((const __m128i *) (c->flags + i));
    __m128i ref_lo = _mm_loadu_si128 ((const __m128i *) (c->referring + i));
    __m128i ref_hi = _mm_loadu_si128 ((const __m128i *) (c->referring + i + 8));
    //  scope
    __m128i scope = ones;
    if (pass->ambito >= 0)
        scope = _mm_cmpeq_epi8 (_mm_loadu_si128 ((const __m128i *) (c->ambito + i)),
                                _mm_set1_epi8 ((char) pass->ambito));
    if (pass->referring >= 0) {
        __m128i r = _mm_set1_epi16 ((short) pass->referring);
        scope = _mm_and_si128 (scope, _mm_packs_epi16 (_mm_cmpeq_epi16 (ref_lo, r), _mm_cmpeq_epi16 (ref_hi, r)));
    }
    if (pass->category) {
        __m128i bit = _mm_set1_epi16 ((short) pass->category);
        __m128i lo = _mm_cmpeq_epi16 (_mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (c->categories + i)), bit), zero);
        __m128i hi = _mm_cmpeq_epi16 (_mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (c->categories + i + 8)), bit),
                                      zero);
        scope = _mm_andnot_si128 (_mm_packs_epi16 (lo, hi), scope);
    }
    //  visibility
    __m128i visible = pass->caller.all ? ones : zero;
    if (pass->caller.member) {
        __m128i m = _mm_set1_epi16 ((short) pass->caller.member);
        visible = _mm_or_si128 (visible, _mm_packs_epi16 (_mm_cmpeq_epi16 (ref_lo, m), _mm_cmpeq_epi16 (ref_hi, m)));
    }
    __m128i kind = _mm_set1_epi16 ((short) pass->caller.kind_bit);
    __m128i no_lo = _mm_cmpeq_epi16 (_mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (pass->caller.consents + i)), kind),
                                     zero);
    __m128i no_hi = _mm_cmpeq_epi16 (_mm_and_si128 (_mm_loadu_si128 ((const __m128i *) (pass->caller.consents + i + 8)),
                                                    kind), zero);
    visible = _mm_or_si128 (visible, _mm_xor_si128 (_mm_packs_epi16 (no_lo, no_hi), ones));
    //  one at a time: stated sectors or tasks, or a team that may make them visible
    __m128i special = _mm_or_si128 (s_bits (flags, F_SIDE), _mm_andnot_si128 (visible, s_bits (flags, F_TEAM)));
    unsigned specials = (unsigned) _mm_movemask_epi8 (special);
    __m128i base = _mm_andnot_si128 (special, scope);
    //  the constraints
    __m128i no_profile = _mm_xor_si128 (s_bits (flags, F_PROFILE), ones);
    __m128i engaged = pass->q->include_engaged ? zero : s_bits (flags, F_ENGAGED);
    __m128i hours = _mm_set1_epi8 ((char) post->post.weekly_hours);
    __m128i min_hours = _mm_loadu_si128 ((const __m128i *) (c->min_hours + i));
    __m128i max_hours = _mm_loadu_si128 ((const __m128i *) (c->max_hours + i));
    __m128i below = _mm_xor_si128 (_mm_cmpeq_epi8 (_mm_max_epu8 (hours, min_hours), hours), ones);
    __m128i above = _mm_andnot_si128 (_mm_or_si128 (_mm_cmpeq_epi8 (_mm_min_epu8 (hours, max_hours), hours),
                                                    _mm_cmpeq_epi8 (max_hours, zero)), ones);
    __m128i outside = _mm_or_si128 (below, above);
    __m128i far = zero;
    if (post->post.has_coords) {
        __m128i no_means = post->post.transport_available ? zero : s_bits (flags, F_NO_MEANS);
        __m128i nm16 [2] = {_mm_unpacklo_epi8 (no_means, no_means), _mm_unpackhi_epi8 (no_means, no_means)};
        __m128 px = _mm_set1_ps (post->x), py = _mm_set1_ps (post->y), pz = _mm_set1_ps (post->z);
        __m128 local = _mm_set1_ps (LOCAL2);
        __m128i far32 [4];
        for (int g = 0; g < 4; g++) {
            size_t at = i + 4 * (size_t) g;
            __m128 dx = _mm_sub_ps (_mm_loadu_ps (c->x + at), px);
            __m128 dy = _mm_sub_ps (_mm_loadu_ps (c->y + at), py);
            __m128 dz = _mm_sub_ps (_mm_loadu_ps (c->z + at), pz);
            __m128 d2 = _mm_add_ps (_mm_add_ps (_mm_mul_ps (dx, dx), _mm_mul_ps (dy, dy)), _mm_mul_ps (dz, dz));
            __m128 reach = _mm_loadu_ps (c->reach2 + at);
            __m128i nm = g % 2 ? _mm_unpackhi_epi16 (nm16 [g / 2], nm16 [g / 2])
                               : _mm_unpacklo_epi16 (nm16 [g / 2], nm16 [g / 2]);
            __m128 m = _mm_castsi128_ps (nm);
            reach = _mm_or_ps (_mm_and_ps (m, _mm_min_ps (reach, local)), _mm_andnot_ps (m, reach));
            far32 [g] = _mm_castps_si128 (_mm_cmpgt_ps (d2, reach));
        }
        far = _mm_packs_epi16 (_mm_packs_epi32 (far32 [0], far32 [1]), _mm_packs_epi32 (far32 [2], far32 [3]));
        far = _mm_and_si128 (far, s_bits (flags, F_COORDS));
    }
    //  counts by the first failing rule, as s_constraints orders them
    __m128i seen = _mm_and_si128 (base, visible);
    __m128i failed = no_profile;
    pass->counts [MI_NO_PROFILE] += (size_t) s_count (_mm_and_si128 (seen, no_profile));
    pass->counts [MI_ENGAGED] += (size_t) s_count (_mm_and_si128 (seen, _mm_andnot_si128 (failed, engaged)));
    failed = _mm_or_si128 (failed, engaged);
    pass->counts [MI_HOURS] += (size_t) s_count (_mm_and_si128 (seen, _mm_andnot_si128 (failed, outside)));
    failed = _mm_or_si128 (failed, outside);
    pass->counts [MI_COMMUTE] += (size_t) s_count (_mm_and_si128 (seen, _mm_andnot_si128 (failed, far)));
    failed = _mm_or_si128 (failed, far);
    pass->in_scope += (size_t) s_count (base);
    pass->hidden += (size_t) s_count (_mm_andnot_si128 (_mm_or_si128 (failed, visible), base));
    __m128i ok = _mm_andnot_si128 (failed, seen);
    pass->counts [MI_OK] += (size_t) s_count (ok);
    unsigned passed = (unsigned) _mm_movemask_epi8 (ok);
    while (passed) {
        s_offer (self, pass, i + (size_t) __builtin_ctz (passed));
        passed &= passed - 1;
    }
    while (specials) {
        s_one (self, pass, i + (size_t) __builtin_ctz (specials));
        specials &= specials - 1;
    }
}
#endif

int
mi_best_persons (mi_index_t *self, uint32_t post_slot, const mi_query_t *q, mi_hit_t *hits, size_t *n_hits,
                 mi_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    *n_hits = 0;
    if (post_slot >= self->n_posts || q->limit == 0)
        return -1;
    s_pass_t *pass = (s_pass_t *) calloc (1, sizeof (s_pass_t));
    if (!pass)
        return -1;
    pass->post = &self->posts [post_slot];
    pass->q = q;
    s_caller (self, q, &pass->caller);
#ifdef __SSE2__
    s_vreq (pass->post->requirements, &pass->vreq);
#else
    s_table (pass->post->requirements, pass->table);
#endif
    pass->heap = (s_heap_t) {hits, 0, q->limit, (const uint8_t (*) [16]) self->ids};
    pass->bound = UINT32_MAX;
    //  filters: an ambito or a referring member the index does not know matches nobody
    pass->ambito = pass->referring = -1;
    bool nobody = false;
    if (q->ambito && *q->ambito) {
        pass->ambito = s_strings_find (&self->ambiti, q->ambito);
        nobody |= pass->ambito == 0;
    }
    if (q->referring_member_id && *q->referring_member_id) {
        pass->referring = s_strings_find (&self->members, q->referring_member_id);
        nobody |= pass->referring == 0;
    }
    pass->category = q->category > 0 && q->category < 16 ? (uint16_t) (1u << q->category) : 0;
    size_t i = 0;
#ifdef __SSE2__
    for (; !nobody && i + 16 <= self->n; i += 16)
        s_sixteen (self, pass, i);
#endif
    for (; !nobody && i < self->n; i++)
        s_one (self, pass, i);
    s_heap_sort (&pass->heap);
    *n_hits = pass->heap.n;
    stats->in_scope = pass->in_scope;
    stats->eligible = pass->counts [MI_OK];
    stats->hidden = pass->hidden;
    for (int r = 1; r < MI_REASONS; r++)
        stats->excluded [r] = pass->counts [r];
    free (pass);
    return 0;
}

int
mi_best_posts (mi_index_t *self, uint32_t person, const mi_query_t *q, mi_hit_t *hits, size_t *n_hits,
               mi_stats_t *stats)
{
    memset (stats, 0, sizeof *stats);
    *n_hits = 0;
    if (person >= self->n || q->limit == 0)
        return -1;
    int ambito = q->ambito && *q->ambito ? s_strings_find (&self->ambiti, q->ambito) : -1;
    if (ambito == 0)
        return 0;       //  an ambito no post is in
    s_heap_t heap = {hits, 0, q->limit, (const uint8_t (*) [16]) self->post_ids};
    for (size_t p = 0; p < self->n_posts; p++) {
        const s_post_t *post = &self->posts [p];
        if (ambito >= 0 && post->ambito != ambito)
            continue;
        stats->in_scope++;
        mi_reason_t reason = s_constraints (self, person, post, q, NULL);
        if (!reason && !mi_post_free_places (self, (uint32_t) p))
            reason = MI_NO_PLACE;
        if (reason) {
            stats->excluded [reason]++;
            continue;
        }
        stats->eligible++;
        mi_comparison_t cmp;
        mi_index_compare (self, person, (uint32_t) p, &cmp);
        s_push (&heap, (mi_hit_t) {(uint32_t) p, cmp.key});
    }
    s_heap_sort (&heap);
    *n_hits = heap.n;
    return 0;
}

static uint64_t
s_sum (const void *data, size_t bytes)
{
    const uint64_t *words = (const uint64_t *) data;
    uint64_t sum = 0;
    for (size_t i = 0; i < bytes / 8; i++)
        sum += words [i];
    return sum;
}

uint64_t
mi_index_read_once (mi_index_t *self, int purpose)
{
    const s_cons_t *c = &self->cons;
    size_t n = self->n;
    uint64_t sum = s_sum (self->scores, n * MI_STRIDE) + s_sum (c->x, n * 4) + s_sum (c->y, n * 4)
                 + s_sum (c->z, n * 4) + s_sum (c->reach2, n * 4) + s_sum (c->referring, n * 2)
                 + s_sum (c->categories, n * 2) + s_sum (c->min_hours, n) + s_sum (c->max_hours, n)
                 + s_sum (c->ambito, n) + s_sum (c->flags, n);
    if (purpose >= 1 && purpose < MI_PURPOSES)
        sum += s_sum (self->consents [purpose], self->n * sizeof (uint16_t));
    return sum;
}
