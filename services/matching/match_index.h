/*  match_index: the matching service's memory. Every person's ability
    profile and constraints, every job post's requirement profile, and the
    MELBA-style comparison between them. Pure C, no I/O: the service fills it
    from the registry's and monitoring's events, the benchmark from synthetic
    profiles.

    Layout for one flat pass per query: 32 bytes of scores per person (29 used)
    in one array; what the constraints read (coordinates, reach, hours,
    ambito, categories, referring member, flags: 24 bytes a person) in one
    array per field, so that the pass decides sixteen persons at a time; the
    consents of each purpose in an array of their own. What few persons have
    (sector preferences, excluded tasks, team members, names) is in a side
    record read only when a flag says so.

    A reader takes mi_index_lock_read for a query and for everything it reads
    of the answer (slots stay valid while it holds the lock); writers
    (mi_index_put_*, mi_index_set_*) take the write lock themselves.
*/
#ifndef MATCH_INDEX_H_INCLUDED
#define MATCH_INDEX_H_INCLUDED

#include "envelope.pb-c.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MI_TRAITS 29            //  the MELBA characteristics
#define MI_STRIDE 32            //  bytes of scores per person (29 used)
#define MI_LOCAL_KM 10          //  reach without own means, support or the post's transport
#define MI_MAX_LIMIT 500        //  the most hits a query returns

//  One consent mask per purpose (snodo.Purpose, 0 unused); member kinds and
//  categories are bits of 16.
#define MI_PURPOSES (SNODO__PURPOSE__PURPOSE_ADMINISTRATION + 1)
_Static_assert (SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN < 16, "member kinds are bits of a uint16_t");

typedef struct _mi_index_t mi_index_t;

//  A person as the index takes it (strings are copied).
typedef struct {
    uint8_t id [16];                    //  the registry's UUID, as bytes
    uint8_t scores [MI_TRAITS];         //  0 = not assessed, 1-5
    uint8_t min_hours, max_hours;       //  0 = none stated
    uint16_t max_commute_km;            //  0 = none stated
    bool own_transport;                 //  travels by own means
    bool transport_support;             //  has transport support (pass, funding)
    bool lunch_needed;
    bool has_coords;
    double latitude, longitude;
    const char *municipality, *ambito, *referring_member_id;
    const char *surname, *name;
    uint16_t categories;                //  bit c for snodo.registry.Category c
    uint16_t consents [MI_PURPOSES];    //  by purpose: bit k for each member kind k consented to
    int engaged;                        //  1 in a pathway past matching, 0 not, -1 keep as known
    const char *const *preferred_sectors;
    size_t n_preferred_sectors;
    const char *const *excluded_sectors;
    size_t n_excluded_sectors;
    const char *const *excluded_tasks;
    size_t n_excluded_tasks;
} mi_person_t;

//  A job post as the index takes it (strings are copied).
typedef struct {
    uint8_t id [16];
    uint8_t requirements [MI_TRAITS];   //  0 = not required, 1-5
    uint8_t weekly_hours;
    uint16_t places, places_filled;
    bool open;
    bool has_coords;
    double latitude, longitude;
    bool transport_available, lunch_available;
    const char *employer_id, *title, *ateco, *municipality, *ambito;
    const char *const *tasks;
    size_t n_tasks;
} mi_post_t;

//  Why a pairing is excluded (or MI_OK).
typedef enum {
    MI_OK = 0,
    MI_NO_PROFILE,          //  the person's profile is not assessed at all
    MI_ENGAGED,             //  already in a pathway past matching
    MI_HOURS,               //  the post's weekly hours outside the person's range
    MI_COMMUTE,             //  too far for the person's reach
    MI_SECTOR,              //  the post's sector is one the person excluded
    MI_TASK,                //  a task the person excluded
    MI_NOT_PREFERRED,       //  preferred_only, and the person prefers other sectors
    MI_NO_PLACE,            //  the post is closed or has no free place
    MI_REASONS
} mi_reason_t;

//  A query's scope and the caller, for visibility.
typedef struct {
    const char *member_id;          //  the caller
    int member_kind;                //  snodo.registry.MemberKind
    int purpose;                    //  snodo.registry.Purpose, 1-5
    const char *ambito;             //  filter, NULL or "" = any
    int category;                   //  filter, 0 = any
    const char *referring_member_id;    //  filter, NULL or "" = any
    bool include_engaged;           //  do not exclude persons already engaged
    bool preferred_only;            //  exclude persons whose stated preferences miss the sector
    size_t limit;                   //  1..MI_MAX_LIMIT
} mi_query_t;

typedef struct {
    uint32_t slot;                  //  the person's (or post's) slot
    uint32_t key;                   //  its rank key: lower is better
} mi_hit_t;

typedef struct {
    size_t in_scope;                //  persons (posts) within the filters
    size_t excluded [MI_REASONS];   //  visible ones excluded, by reason
    size_t eligible;                //  visible ones that passed every constraint
    size_t hidden;                  //  passed, but the caller may not see them
} mi_stats_t;

//  One characteristic compared.
typedef struct {
    uint8_t trait;                  //  0-28
    uint8_t ability, requirement;
} mi_gap_t;

//  The comparison of an ability profile with a requirement profile.
typedef struct {
    uint32_t key;                   //  the rank key (see mi_compare)
    unsigned penalty;               //  2 * over_demand + unknown
    unsigned over_demand;           //  sum of requirement - ability where above
    unsigned n_over;                //  characteristics over-demanded
    unsigned unknown;               //  required but not assessed
    unsigned under_demand;          //  sum of ability - requirement where below
    unsigned fit;                   //  0-100, 100 = no over-demand, nothing unknown
    mi_gap_t over [MI_TRAITS];      //  the over-demands, largest gap first
    size_t n_over_list;
    uint8_t not_assessed [MI_TRAITS];   //  the unknown characteristics
    size_t n_not_assessed;
} mi_comparison_t;

//  The name of characteristic t (0-28), as in the proto ("work_planning").
const char *mi_trait_name (int trait);
//  The name of a reason ("hours").
const char *mi_reason_name (mi_reason_t reason);

//  Compares ability with requirement, characteristic by characteristic.
//  Over-demand: requirement above an assessed ability. Unknown: required but
//  not assessed (ability 0). Under-demand: ability above a requirement. The
//  rank key orders by penalty (2 per point of over-demand, 1 per unknown),
//  then the number of over-demands, then not in a preferred sector, then
//  under-demand; ties are broken by id by the caller. Scores above 5 count as 5.
void mi_compare (const uint8_t *ability, const uint8_t *requirement, bool preferred,
                 mi_comparison_t *out);

//  UUID text <-> bytes. mi_uuid_parse returns 0, or -1 if text is not a UUID.
int mi_uuid_parse (const char *text, uint8_t id [16]);
void mi_uuid_format (const uint8_t id [16], char out [37]);

mi_index_t *mi_index_new (void);
void mi_index_destroy (mi_index_t **self_p);

//  Adds or replaces a person (keyed by id). Returns 0, or -1 when out of memory.
int mi_index_put_person (mi_index_t *self, const mi_person_t *person);
//  Adds or replaces a job post. Returns 0, or -1 when out of memory.
int mi_index_put_post (mi_index_t *self, const mi_post_t *post);
//  The places held on a post: by proposals accepted for it and by
//  monitoring's projects on it (post_held in the schema). They count as
//  taken, as matching.AcceptProposal counts them; kept when the post is put
//  again. post_accepted adds delta (+1 on an acceptance committed);
//  post_set_held sets them as the schema counts them (at start, and on the
//  events that change them).
//  Return 0, or -1 if the post is unknown.
int mi_index_post_accepted (mi_index_t *self, const uint8_t post [16], int delta);
int mi_index_post_set_held (mi_index_t *self, const uint8_t post [16], unsigned held);
//  A member joins (add) or leaves a person's team. Unknown persons are ignored
//  (the team is loaded with them). Returns 0.
int mi_index_set_team (mi_index_t *self, const uint8_t person [16], const char *member_id, bool add);
//  Marks a person engaged in a pathway past matching, or not. Returns 0, or
//  -1 if the person is unknown.
int mi_index_set_engaged (mi_index_t *self, const uint8_t person [16], bool engaged);

void mi_index_lock_read (mi_index_t *self);
void mi_index_unlock (mi_index_t *self);

//  --- under the read lock ----------------------------------------------------

size_t mi_index_persons (mi_index_t *self);
size_t mi_index_posts (mi_index_t *self);
//  A slot by id, or -1.
long mi_index_person_slot (mi_index_t *self, const uint8_t id [16]);
long mi_index_post_slot (mi_index_t *self, const uint8_t id [16]);

//  What a person's slot holds, for replies. Strings are borrowed ("" if none).
const uint8_t *mi_person_id (mi_index_t *self, uint32_t slot);
const uint8_t *mi_person_scores (mi_index_t *self, uint32_t slot);
const char *mi_person_surname (mi_index_t *self, uint32_t slot);
const char *mi_person_name (mi_index_t *self, uint32_t slot);
const char *mi_person_ambito (mi_index_t *self, uint32_t slot);
const char *mi_person_referring (mi_index_t *self, uint32_t slot);
const char *mi_person_municipality (mi_index_t *self, uint32_t slot);
bool mi_person_engaged (mi_index_t *self, uint32_t slot);
bool mi_person_lunch_needed (mi_index_t *self, uint32_t slot);
//  Whether the caller of q may see the person: the referring member, a team
//  member, a network service, or the person consented for q's purpose to the
//  caller's kind (the registry's rule).
bool mi_person_visible (mi_index_t *self, uint32_t slot, const mi_query_t *q);

//  What a post's slot holds. Strings borrowed.
const mi_post_t *mi_post (mi_index_t *self, uint32_t slot);
unsigned mi_post_free_places (mi_index_t *self, uint32_t slot);

//  Checks one pairing against every hard constraint. Returns the first
//  reason it fails (MI_OK if none); fills distance_km (-1 when unknown) and,
//  if failed is given, sets failed [r] for every reason r that applies.
mi_reason_t mi_check (mi_index_t *self, uint32_t person, uint32_t post, const mi_query_t *q,
                      double *distance_km, bool *failed);
//  Whether the post's sector is one the person prefers.
bool mi_preferred (mi_index_t *self, uint32_t person, uint32_t post);
//  The comparison of a pairing.
void mi_index_compare (mi_index_t *self, uint32_t person, uint32_t post, mi_comparison_t *out);

//  The best q->limit persons for a post, best first, into hits (room for
//  q->limit); *n_hits their number. Returns 0, or -1 if the post is unknown.
int mi_best_persons (mi_index_t *self, uint32_t post, const mi_query_t *q, mi_hit_t *hits,
                     size_t *n_hits, mi_stats_t *stats);
//  The best q->limit open posts with a free place for a person (q's ambito
//  filters the posts'). Returns 0.
int mi_best_posts (mi_index_t *self, uint32_t person, const mi_query_t *q, mi_hit_t *hits,
                   size_t *n_hits, mi_stats_t *stats);

//  The benchmark's memory limit: reads once every byte a query for purpose
//  reads (scores, constraint records, consents) and returns their sum.
uint64_t mi_index_read_once (mi_index_t *self, int purpose);

#endif
