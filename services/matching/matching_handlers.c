/*  The matching service's methods: rankings, explanations, companies to
    contact, proposals. A ranking shows only the persons the caller may see
    (the registry's rule) and audits each one it shows. */
#include "sn_check.h"
#include "sn_log.h"
#include "matching.h"
#include <string.h>

#define K(x) SN_KIND (x)
//  Who ranks and proposes: the services that take persons in charge and the cooperatives.
#define MATCH_KINDS (K (PROVINCIA) | K (CPI) | K (ASS) | K (SIL) | K (DSM) | K (SERT) | K (SSC) \
                     | K (COOPERATIVA) | K (SERVICE))

#define CODE(x) SNODO__CODE__##x

static mi_index_t *
s_index (sn_call_t *call)
{
    return matching_index ((matching_t *) sn_call_state (call));
}

//  The caller as a query's viewer.
static mi_query_t
s_query (sn_call_t *call)
{
    mi_query_t q = {
        .member_id = sn_call_member_id (call),
        .member_kind = sn_call_member_kind (call),
        .purpose = sn_call_purpose_code (call),
    };
    return q;
}

static void
s_check_limit (sn_call_t *call, uint32_t limit)
{
    if (limit == 0)
        sn_call_violation (call, "limit", "is required (1-%d)", MI_MAX_LIMIT);
    else
    if (limit > MI_MAX_LIMIT)
        sn_call_violation (call, "limit", "%u is above %d", limit, MI_MAX_LIMIT);
}

static void
s_check_uuid (sn_call_t *call, const char *field, const char *text, uint8_t id [16])
{
    if (!text || !*text)
        sn_call_violation (call, field, "is required");
    else
    if (mi_uuid_parse (text, id))
        sn_call_violation (call, field, "\"%.40s\" is not a UUID", text);
}

//  --- building replies ------------------------------------------------------------

static Snodo__Matching__Gap *
s_gap (int trait, unsigned ability, unsigned requirement)
{
    Snodo__Matching__Gap *gap = (Snodo__Matching__Gap *) sn_message_new (&snodo__matching__gap__descriptor);
    gap->characteristic = strdup (mi_trait_name (trait));
    gap->ability = ability;
    gap->requirement = requirement;
    gap->gap = (int32_t) requirement - (int32_t) ability;
    return gap;
}

//  A comparison as a message; every characteristic too if all.
static Snodo__Matching__Comparison *
s_comparison (mi_index_t *index, uint32_t person, uint32_t post, bool all)
{
    mi_comparison_t cmp;
    mi_index_compare (index, person, post, &cmp);
    Snodo__Matching__Comparison *c = (Snodo__Matching__Comparison *)
        sn_message_new (&snodo__matching__comparison__descriptor);
    c->fit = cmp.fit;
    c->penalty = cmp.penalty;
    c->over_demand = cmp.over_demand;
    c->over_count = cmp.n_over;
    c->unknown_count = cmp.unknown;
    c->under_demand = cmp.under_demand;
    c->preferred_sector = mi_preferred (index, person, post);
    c->over_demands = (Snodo__Matching__Gap **) calloc (cmp.n_over_list + 1, sizeof (void *));
    for (size_t i = 0; i < cmp.n_over_list; i++)
        c->over_demands [c->n_over_demands++] = s_gap (cmp.over [i].trait, cmp.over [i].ability,
                                                       cmp.over [i].requirement);
    c->not_assessed = (char **) calloc (cmp.n_not_assessed + 1, sizeof (char *));
    for (size_t i = 0; i < cmp.n_not_assessed; i++)
        c->not_assessed [c->n_not_assessed++] = strdup (mi_trait_name (cmp.not_assessed [i]));
    if (all) {
        const uint8_t *ability = mi_person_scores (index, person);
        const mi_post_t *p = mi_post (index, post);
        c->characteristics = (Snodo__Matching__Gap **) calloc (MI_TRAITS, sizeof (void *));
        for (int t = 0; t < MI_TRAITS; t++)
            c->characteristics [c->n_characteristics++] = s_gap (t, ability [t], p->requirements [t]);
    }
    return c;
}

static Snodo__Matching__Exclusions *
s_exclusions (const mi_stats_t *stats)
{
    Snodo__Matching__Exclusions *e = (Snodo__Matching__Exclusions *)
        sn_message_new (&snodo__matching__exclusions__descriptor);
    e->no_profile = (uint32_t) stats->excluded [MI_NO_PROFILE];
    e->engaged = (uint32_t) stats->excluded [MI_ENGAGED];
    e->hours = (uint32_t) stats->excluded [MI_HOURS];
    e->commute = (uint32_t) stats->excluded [MI_COMMUTE];
    e->sector = (uint32_t) stats->excluded [MI_SECTOR];
    e->task = (uint32_t) stats->excluded [MI_TASK];
    e->not_preferred = (uint32_t) stats->excluded [MI_NOT_PREFERRED];
    e->no_place = (uint32_t) stats->excluded [MI_NO_PLACE];
    return e;
}

static void
s_add_check (Snodo__Matching__Explanation *e, const char *name, bool passed, const char *fmt, ...)
    __attribute__ ((format (printf, 4, 5)));

static void
s_add_check (Snodo__Matching__Explanation *e, const char *name, bool passed, const char *fmt, ...)
{
    Snodo__Matching__ConstraintCheck *c = (Snodo__Matching__ConstraintCheck *)
        sn_message_new (&snodo__matching__constraint_check__descriptor);
    c->name = strdup (name);
    c->passed = passed;
    va_list args;
    va_start (args, fmt);
    char detail [256];
    vsnprintf (detail, sizeof detail, fmt, args);
    va_end (args);
    c->detail = strdup (detail);
    e->constraints [e->n_constraints++] = c;
}

//  The whole explanation of a pairing, under the read lock. Caller owns it.
static Snodo__Matching__Explanation *
s_explanation (mi_index_t *index, uint32_t person, uint32_t post, const mi_query_t *q)
{
    Snodo__Matching__Explanation *e = (Snodo__Matching__Explanation *)
        sn_message_new (&snodo__matching__explanation__descriptor);
    char id [37];
    mi_uuid_format (mi_person_id (index, person), id);
    e->person_id = strdup (id);
    const mi_post_t *p = mi_post (index, post);
    mi_uuid_format (p->id, id);
    e->post_id = strdup (id);
    bool failed [MI_REASONS] = {false};
    double km;
    e->eligible = mi_check (index, person, post, q, &km, failed) == MI_OK;
    e->distance_km = km < 0 ? -1 : (double) ((long) (km * 10 + 0.5)) / 10;
    e->comparison = s_comparison (index, person, post, true);
    e->constraints = (Snodo__Matching__ConstraintCheck **) calloc (10, sizeof (void *));
    s_add_check (e, "profile", !failed [MI_NO_PROFILE], "%s",
                 failed [MI_NO_PROFILE] ? "the ability profile is not assessed" : "assessed");
    s_add_check (e, "engaged", !failed [MI_ENGAGED], "%s", mi_person_engaged (index, person)
                 ? "already in a pathway past matching" : "not in a pathway past matching");
    s_add_check (e, "hours", !failed [MI_HOURS], "the post has %u hours a week", p->weekly_hours);
    if (km < 0)
        s_add_check (e, "commute", true, "distance unknown (%s, %s)", mi_person_municipality (index, person),
                     p->municipality);
    else
        s_add_check (e, "commute", !failed [MI_COMMUTE], "%.1f km%s%s", km,
                     p->transport_available ? ", the post offers transport" : "",
                     failed [MI_COMMUTE] ? ": beyond the person's reach" : "");
    s_add_check (e, "sector", !failed [MI_SECTOR] && !failed [MI_NOT_PREFERRED], "sector %s%s%s", p->ateco,
                 failed [MI_SECTOR] ? ": excluded by the person" : "",
                 mi_preferred (index, person, post) ? ": preferred by the person" : "");
    s_add_check (e, "task", !failed [MI_TASK], "%s",
                 failed [MI_TASK] ? "a task the person excluded" : "no excluded task");
    s_add_check (e, "places", !failed [MI_NO_PLACE], "%u free of %u%s", mi_post_free_places (index, post),
                 p->places, p->open ? "" : ", the post is closed");
    bool lunch = !mi_person_lunch_needed (index, person) || p->lunch_available;
    s_add_check (e, "lunch", true, "%s", lunch ? "no need, or the post has it"
                                               : "needs lunch and the post has none: to organise");
    return e;
}

//  --- rankings ------------------------------------------------------------------------

//  matching.BestPersons: the best limit persons the caller may see for an
//  open post with a free place, each with its over-demands; the counts of
//  those excluded (by reason) and of those hidden. Audits each person shown.
static int
s_best_persons (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__BestPersonsRequest *req = (const void *) input;
    uint8_t post_id [16];
    s_check_uuid (call, "post_id", req->post_id, post_id);
    s_check_limit (call, req->limit);
    sn_check_text (call, "ambito", req->ambito, 32, false);
    sn_check_text (call, "referring_member_id", req->referring_member_id, 64, false);
    if (req->category && !protobuf_c_enum_descriptor_get_value (&snodo__registry__category__descriptor,
                                                                req->category))
        sn_call_violation (call, "category", "%d is not a category", req->category);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    mi_query_t q = s_query (call);
    q.ambito = req->ambito;
    q.category = req->category;
    q.referring_member_id = req->referring_member_id;
    q.include_engaged = req->include_engaged;
    q.preferred_only = req->preferred_only;
    q.limit = req->limit;
    mi_index_t *index = s_index (call);
    mi_hit_t *hits = (mi_hit_t *) malloc (q.limit * sizeof (mi_hit_t));
    mi_index_lock_read (index);
    long post = mi_index_post_slot (index, post_id);
    int code = CODE (OK);
    if (post < 0)
        code = sn_call_fail (call, CODE (NOT_FOUND), "no job post %s", req->post_id);
    else
    if (!mi_post_free_places (index, (uint32_t) post))
        code = sn_call_fail (call, CODE (FAILED_PRECONDITION), "job post %s is %s", req->post_id,
                             mi_post (index, (uint32_t) post)->open ? "filled" : "closed");
    if (code != CODE (OK)) {
        mi_index_unlock (index);
        free (hits);
        return code;
    }
    size_t n;
    mi_stats_t stats;
    mi_best_persons (index, (uint32_t) post, &q, hits, &n, &stats);
    Snodo__Matching__BestPersonsReply *reply = (Snodo__Matching__BestPersonsReply *)
        sn_message_new (&snodo__matching__best_persons_reply__descriptor);
    reply->post_id = strdup (req->post_id);
    reply->title = strdup (mi_post (index, (uint32_t) post)->title);
    reply->candidates = (Snodo__Matching__Candidate **) calloc (n + 1, sizeof (void *));
    for (size_t i = 0; i < n; i++) {
        Snodo__Matching__Candidate *c = (Snodo__Matching__Candidate *)
            sn_message_new (&snodo__matching__candidate__descriptor);
        char id [37];
        mi_uuid_format (mi_person_id (index, hits [i].slot), id);
        c->rank = (uint32_t) i + 1;
        c->person_id = strdup (id);
        c->surname = strdup (mi_person_surname (index, hits [i].slot));
        c->name = strdup (mi_person_name (index, hits [i].slot));
        c->ambito = strdup (mi_person_ambito (index, hits [i].slot));
        c->referring_member_id = strdup (mi_person_referring (index, hits [i].slot));
        c->comparison = s_comparison (index, hits [i].slot, (uint32_t) post, false);
        reply->candidates [reply->n_candidates++] = c;
        sn_call_audit (call, id);
    }
    mi_index_unlock (index);
    free (hits);
    reply->in_scope = (uint32_t) stats.in_scope;
    reply->eligible = (uint32_t) stats.eligible;
    reply->excluded = s_exclusions (&stats);
    reply->hidden_few = stats.hidden > 0
                     && stats.hidden < matching_small_count ((matching_t *) sn_call_state (call));
    reply->hidden = reply->hidden_few ? 0 : (uint32_t) stats.hidden;
    *output = &reply->base;
    return CODE (OK);
}

//  Finds a person the caller may see, under the read lock (held on success).
//  Returns the slot, or -1 with the status set and the lock released.
static long
s_person_seen (sn_call_t *call, mi_index_t *index, const uint8_t id [16], const char *text, const mi_query_t *q)
{
    mi_index_lock_read (index);
    long person = mi_index_person_slot (index, id);
    if (person < 0) {
        mi_index_unlock (index);
        sn_call_fail (call, CODE (NOT_FOUND), "no person %s", text);
        return -1;
    }
    sn_call_audit (call, text);
    if (!mi_person_visible (index, (uint32_t) person, q)) {
        mi_index_unlock (index);
        sn_call_fail (call, CODE (PERMISSION_DENIED), "member %s has no relationship with this person and "
                      "no consent for the purpose \"%s\"", sn_call_member_id (call), sn_call_purpose (call));
        return -1;
    }
    return person;
}

//  matching.BestPosts: the best open posts with a free place for a person the
//  caller may see (audited), with distances and over-demands.
static int
s_best_posts (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__BestPostsRequest *req = (const void *) input;
    uint8_t person_id [16];
    s_check_uuid (call, "person_id", req->person_id, person_id);
    s_check_limit (call, req->limit);
    sn_check_text (call, "ambito", req->ambito, 32, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    mi_query_t q = s_query (call);
    q.ambito = req->ambito;
    q.include_engaged = req->include_engaged;
    q.preferred_only = req->preferred_only;
    q.limit = req->limit;
    mi_index_t *index = s_index (call);
    long person = s_person_seen (call, index, person_id, req->person_id, &q);
    if (person < 0)
        return sn_call_code (call);
    if (mi_person_engaged (index, (uint32_t) person) && !q.include_engaged) {
        mi_index_unlock (index);
        return sn_call_fail (call, CODE (FAILED_PRECONDITION), "person %s is already in a pathway past "
                             "matching (ask with include_engaged)", req->person_id);
    }
    mi_hit_t *hits = (mi_hit_t *) malloc (q.limit * sizeof (mi_hit_t));
    size_t n;
    mi_stats_t stats;
    mi_best_posts (index, (uint32_t) person, &q, hits, &n, &stats);
    Snodo__Matching__BestPostsReply *reply = (Snodo__Matching__BestPostsReply *)
        sn_message_new (&snodo__matching__best_posts_reply__descriptor);
    reply->person_id = strdup (req->person_id);
    reply->posts = (Snodo__Matching__PostMatch **) calloc (n + 1, sizeof (void *));
    for (size_t i = 0; i < n; i++) {
        const mi_post_t *p = mi_post (index, hits [i].slot);
        Snodo__Matching__PostMatch *m = (Snodo__Matching__PostMatch *)
            sn_message_new (&snodo__matching__post_match__descriptor);
        char id [37];
        mi_uuid_format (p->id, id);
        m->rank = (uint32_t) i + 1;
        m->post_id = strdup (id);
        m->employer_id = strdup (p->employer_id);
        m->title = strdup (p->title);
        m->municipality = strdup (p->municipality);
        m->ambito = strdup (p->ambito);
        m->weekly_hours = p->weekly_hours;
        m->free_places = mi_post_free_places (index, hits [i].slot);
        double km;
        mi_check (index, (uint32_t) person, hits [i].slot, &q, &km, NULL);
        m->distance_km = km < 0 ? -1 : (double) ((long) (km * 10 + 0.5)) / 10;
        m->comparison = s_comparison (index, (uint32_t) person, hits [i].slot, false);
        reply->posts [reply->n_posts++] = m;
    }
    mi_index_unlock (index);
    free (hits);
    reply->in_scope = (uint32_t) stats.in_scope;
    reply->eligible = (uint32_t) stats.eligible;
    reply->excluded = s_exclusions (&stats);
    *output = &reply->base;
    return CODE (OK);
}

//  Finds a pairing the caller may see: person (under the lock) and post.
//  Returns 0 with the lock held, or -1 with the status set, unlocked.
static int
s_pairing (sn_call_t *call, const char *person_text, const char *post_text, const mi_query_t *q,
           uint32_t *person, uint32_t *post)
{
    uint8_t person_id [16], post_id [16];
    s_check_uuid (call, "person_id", person_text, person_id);
    s_check_uuid (call, "post_id", post_text, post_id);
    if (sn_call_violations (call)) {
        sn_call_invalid (call);
        return -1;
    }
    mi_index_t *index = s_index (call);
    long p = s_person_seen (call, index, person_id, person_text, q);
    if (p < 0)
        return -1;
    long j = mi_index_post_slot (index, post_id);
    if (j < 0) {
        mi_index_unlock (index);
        sn_call_fail (call, CODE (NOT_FOUND), "no job post %s", post_text);
        return -1;
    }
    *person = (uint32_t) p;
    *post = (uint32_t) j;
    return 0;
}

//  matching.Explain: a pairing compared on all 29 characteristics, and each
//  hard constraint checked.
static int
s_explain (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__ExplainRequest *req = (const void *) input;
    mi_query_t q = s_query (call);
    uint32_t person, post;
    if (s_pairing (call, req->person_id, req->post_id, &q, &person, &post))
        return sn_call_code (call);
    *output = &s_explanation (s_index (call), person, post, &q)->base;
    mi_index_unlock (s_index (call));
    return CODE (OK);
}

//  matching.Companies: companies with an uncovered law 68/1999 quota, most
//  uncovered first, with their open posts. No personal data.
static int
s_companies (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__CompaniesRequest *req = (const void *) input;
    s_check_limit (call, req->limit);
    sn_check_text (call, "ambito", req->ambito, 32, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char limit [16];
    snprintf (limit, sizeof limit, "%u", req->limit);
    const char *params [2] = {req->ambito, limit};
    PGresult *res = sn_call_exec (call,
        "SELECT c.data, (SELECT count (*) FROM post p WHERE p.employer_id = c.id AND p.open "
        "                AND post_free_places (p) > 0) "
        "FROM company c WHERE c.uncovered > 0 AND ($1 = '' OR c.ambito = $1) "
        "ORDER BY c.uncovered DESC, c.employees DESC, c.id LIMIT $2", 2, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        return sn_call_db_error (call, res, "reading the companies");
    Snodo__Matching__CompaniesReply *reply = (Snodo__Matching__CompaniesReply *)
        sn_message_new (&snodo__matching__companies_reply__descriptor);
    int rows = PQntuples (res);
    reply->companies = (Snodo__Matching__CompanyContact **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        size_t size;
        unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, i, 0), &size);
        Snodo__Registry__Company *c = bytes ? snodo__registry__company__unpack (NULL, size, bytes) : NULL;
        PQfreemem (bytes);
        if (!c) {
            sn_error ("matching: a stored company could not be read");
            continue;
        }
        Snodo__Matching__CompanyContact *k = (Snodo__Matching__CompanyContact *)
            sn_message_new (&snodo__matching__company_contact__descriptor);
        k->rank = reply->n_companies + 1;
        k->company_id = strdup (c->id);
        k->name = strdup (c->name);
        k->ateco = strdup (c->ateco);
        k->municipality = strdup (c->municipality);
        k->ambito = strdup (c->ambito);
        k->employees = c->employees;
        k->quota = c->quota;
        k->uncovered = c->uncovered;
        k->open_posts = (uint32_t) atoi (PQgetvalue (res, i, 1));
        reply->companies [reply->n_companies++] = k;
        snodo__registry__company__free_unpacked (c, NULL);
    }
    PQclear (res);
    *output = &reply->base;
    return CODE (OK);
}

//  --- proposals -----------------------------------------------------------------------

#define PROPOSAL_COLUMNS \
    "id, person_id, post_id, employer_id, pathway_id, status, reason, explanation, created_by, " \
    "(extract (epoch FROM created_at) * 1000)::bigint, answered_by, " \
    "coalesce ((extract (epoch FROM answered_at) * 1000)::bigint, 0), coalesce (answered_on::text, ''), " \
    "coalesce ((extract (epoch FROM closed_at) * 1000)::bigint, 0)"

//  A proposal row as a message. NULL if its explanation cannot be read.
static Snodo__Matching__Proposal *
s_proposal (PGresult *res, int row)
{
    Snodo__Matching__Proposal *p = (Snodo__Matching__Proposal *)
        sn_message_new (&snodo__matching__proposal__descriptor);
    p->id = strdup (PQgetvalue (res, row, 0));
    p->person_id = strdup (PQgetvalue (res, row, 1));
    p->post_id = strdup (PQgetvalue (res, row, 2));
    p->employer_id = strdup (PQgetvalue (res, row, 3));
    p->pathway_id = strdup (PQgetvalue (res, row, 4));
    p->status = (Snodo__Matching__ProposalStatus) atoi (PQgetvalue (res, row, 5));
    p->reason = strdup (PQgetvalue (res, row, 6));
    size_t size;
    unsigned char *bytes = PQunescapeBytea ((const unsigned char *) PQgetvalue (res, row, 7), &size);
    p->explanation = bytes ? snodo__matching__explanation__unpack (NULL, size, bytes) : NULL;
    PQfreemem (bytes);
    p->created_by = strdup (PQgetvalue (res, row, 8));
    p->created_at = atoll (PQgetvalue (res, row, 9));
    p->answered_by = strdup (PQgetvalue (res, row, 10));
    p->answered_at = atoll (PQgetvalue (res, row, 11));
    p->answered_on = strdup (PQgetvalue (res, row, 12));
    p->closed_at = atoll (PQgetvalue (res, row, 13));
    if (!p->explanation) {
        sn_error ("matching: the explanation of proposal %s could not be read", p->id);
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return NULL;
    }
    return p;
}

//  matching.CreateProposal: records an eligible pairing with its explanation
//  as it is now, and announces it (matching.proposal.created).
static int
s_create_proposal (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__CreateProposalRequest *req = (const void *) input;
    sn_check_text (call, "pathway_id", req->pathway_id, 64, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    mi_query_t q = s_query (call);
    uint32_t person, post;
    if (s_pairing (call, req->person_id, req->post_id, &q, &person, &post))
        return sn_call_code (call);
    mi_index_t *index = s_index (call);
    Snodo__Matching__Explanation *e = s_explanation (index, person, post, &q);
    char employer [64];
    snprintf (employer, sizeof employer, "%s", mi_post (index, post)->employer_id);
    mi_index_unlock (index);
    if (!e->eligible) {
        char failed [256] = "";
        for (size_t i = 0; i < e->n_constraints; i++)
            if (!e->constraints [i]->passed)
                snprintf (failed + strlen (failed), sizeof failed - strlen (failed), "%s%s (%s)",
                          *failed ? ", " : "", e->constraints [i]->name, e->constraints [i]->detail);
        protobuf_c_message_free_unpacked (&e->base, NULL);
        return sn_call_fail (call, CODE (FAILED_PRECONDITION), "the pairing fails: %s", failed);
    }
    char id [37];
    zuuid_t *uuid = zuuid_new ();
    snprintf (id, sizeof id, "%s", zuuid_str_canonical (uuid));
    zuuid_destroy (&uuid);
    size_t size = protobuf_c_message_get_packed_size (&e->base);
    uint8_t *bytes = (uint8_t *) malloc (size + 1);
    protobuf_c_message_pack (&e->base, bytes);
    protobuf_c_message_free_unpacked (&e->base, NULL);
    const char *params [7] = {id, req->person_id, req->post_id, employer, req->pathway_id,
                              sn_call_member_id (call), (const char *) bytes};
    int lengths [7] = {0, 0, 0, 0, 0, 0, (int) size}, formats [7] = {0, 0, 0, 0, 0, 0, 1};
    PGresult *res = sn_call_exec (call,
        "INSERT INTO proposal (id, person_id, post_id, employer_id, pathway_id, created_by, explanation) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING " PROPOSAL_COLUMNS, 7, params, lengths, formats, 0);
    free (bytes);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        int code = sn_call_db_error (call, res, "recording the proposal");
        if (code == CODE (ALREADY_EXISTS))
            sn_call_fail (call, code, "an open proposal pairs person %s with post %s already",
                          req->person_id, req->post_id);
        return sn_call_code (call);
    }
    Snodo__Matching__Proposal *p = s_proposal (res, 0);
    PQclear (res);
    if (!p)
        return sn_call_fail (call, CODE (INTERNAL), "the proposal could not be read back");
    if (sn_call_event (call, "matching.proposal.created", p->id, p->person_id, &p->base)) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    *output = &p->base;
    return CODE (OK);
}

//  Reads a proposal the caller may see (FOR UPDATE when answering). NULL
//  with the status set otherwise.
static Snodo__Matching__Proposal *
s_load_proposal (sn_call_t *call, const char *id, bool for_update, bool *engaged)
{
    uint8_t bytes [16];
    s_check_uuid (call, "id", id, bytes);
    if (sn_call_violations (call)) {
        sn_call_invalid (call);
        return NULL;
    }
    const char *params [1] = {id};
    PGresult *res = sn_call_exec (call, for_update
        ? "SELECT " PROPOSAL_COLUMNS " FROM proposal WHERE id = $1 FOR UPDATE"
        : "SELECT " PROPOSAL_COLUMNS " FROM proposal WHERE id = $1", 1, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        sn_call_db_error (call, res, "reading the proposal");
        return NULL;
    }
    Snodo__Matching__Proposal *p = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, CODE (NOT_FOUND), "no proposal %s", id);
    else
    if (!(p = s_proposal (res, 0)))
        sn_call_fail (call, CODE (INTERNAL), "a stored proposal could not be read");
    PQclear (res);
    if (!p)
        return NULL;
    mi_query_t q = s_query (call);
    uint8_t person_id [16];
    mi_uuid_parse (p->person_id, person_id);
    long slot = s_person_seen (call, s_index (call), person_id, p->person_id, &q);
    if (slot < 0) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return NULL;
    }
    if (engaged)
        *engaged = mi_person_engaged (s_index (call), (uint32_t) slot);
    mi_index_unlock (s_index (call));
    return p;
}

//  A proposal made for a pathway that has closed since would hold its
//  place for nothing (its close has been applied already): accepting it is
//  FAILED_PRECONDITION. A pathway matching has not heard of passes.
static int
s_pathway_not_closed (sn_call_t *call, const char *pathway)
{
    const char *params [1] = {pathway};
    PGresult *res = sn_call_query (call, "reading the pathway",
        "SELECT state = " SN_SQL (MATCH_SQL_CLOSED_PATHWAY) " FROM pathway WHERE id = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    bool closed = PQntuples (res) && PQgetvalue (res, 0, 0) [0] == 't';
    PQclear (res);
    return closed ? sn_call_fail (call, CODE (FAILED_PRECONDITION), "pathway %s is closed: make a new proposal "
                                  "for the person's pathway", pathway)
                  : CODE (OK);
}

//  Accepts or refuses an open proposal, in the call's transaction, and
//  announces the answer. Accepting needs a free place on the post (locked)
//  and a person not engaged already; refusing needs a reason.
static int
s_answer (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output, bool accept)
{
    const Snodo__Matching__AnswerProposalRequest *req = (const void *) input;
    if (!accept && (!req->reason || !*req->reason))
        sn_call_violation (call, "reason", "is required to refuse");
    sn_check_text (call, "reason", req->reason, 1000, false);
    char today [11];
    sn_date_today (today);
    sn_check_date (call, "date", req->date, false);
    if (sn_date_valid (req->date) && strcmp (req->date, today) > 0)
        sn_call_violation (call, "date", "%s is in the future", req->date);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    bool engaged = false;
    Snodo__Matching__Proposal *p = s_load_proposal (call, req->id, true, &engaged);
    if (!p)
        return sn_call_code (call);
    int code = CODE (OK);
    if (p->status != SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_OPEN)
        code = sn_call_fail (call, CODE (FAILED_PRECONDITION), "proposal %s was %s already", p->id,
                             p->status == SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_REFUSED
                             ? "refused" : "accepted");
    else
    if (accept && engaged)
        code = sn_call_fail (call, CODE (FAILED_PRECONDITION), "person %s is already in a pathway past "
                             "matching: refuse this proposal, or close that pathway first", p->person_id);
    else
    if (accept && *p->pathway_id)
        code = s_pathway_not_closed (call, p->pathway_id);
    if (code == CODE (OK) && accept) {
        //  the post's row, locked: two acceptances for its last place wait for each other
        const char *params [1] = {p->post_id};
        PGresult *res = sn_call_exec (call,
            "SELECT post_free_places (post), open FROM post WHERE id = $1 FOR UPDATE", 1, params, NULL, NULL, 0);
        if (PQresultStatus (res) != PGRES_TUPLES_OK)
            code = sn_call_db_error (call, res, "reading the post");
        else {
            if (PQntuples (res) == 0 || PQgetvalue (res, 0, 1) [0] != 't' || atoi (PQgetvalue (res, 0, 0)) <= 0)
                code = sn_call_fail (call, CODE (FAILED_PRECONDITION), "job post %s has no free place left",
                                     p->post_id);
            PQclear (res);
        }
    }
    if (code == CODE (OK)) {
        char status [8];
        snprintf (status, sizeof status, "%d", accept ? SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_ACCEPTED
                                                      : SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_REFUSED);
        const char *params [5] = {p->id, status, req->reason, sn_call_member_id (call),
                                  *req->date ? req->date : today};
        PGresult *res = sn_call_exec (call,
            "UPDATE proposal SET status = $2, reason = $3, answered_by = $4, answered_at = now (), "
            "answered_on = $5::date WHERE id = $1 RETURNING " PROPOSAL_COLUMNS, 5, params, NULL, NULL, 0);
        if (PQresultStatus (res) != PGRES_TUPLES_OK || PQntuples (res) != 1)
            code = sn_call_db_error (call, res, "answering the proposal");
        else {
            Snodo__Matching__Proposal *answered = s_proposal (res, 0);
            PQclear (res);
            protobuf_c_message_free_unpacked (&p->base, NULL);
            p = answered;
            if (!p)
                return sn_call_fail (call, CODE (INTERNAL), "the proposal could not be read back");
            if (sn_call_event (call, accept ? "matching.proposal.accepted" : "matching.proposal.refused",
                               p->id, p->person_id, &p->base))
                code = sn_call_code (call);
        }
    }
    if (code != CODE (OK)) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return code;
    }
    *output = &p->base;
    return CODE (OK);
}

//  matching.AcceptProposal and matching.RefuseProposal.
static int
s_accept_proposal (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_answer (call, input, output, true);
}

static int
s_refuse_proposal (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_answer (call, input, output, false);
}

//  matching.GetProposal: one proposal of a person the caller may see.
static int
s_get_proposal (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Matching__Proposal *p = s_load_proposal (call, ((const Snodo__Matching__GetProposalRequest *) input)->id,
                                                    false, NULL);
    if (!p)
        return sn_call_code (call);
    *output = &p->base;
    return CODE (OK);
}

//  matching.ListProposals: proposals by person, post or status, in id order,
//  of the persons the caller may see (each audited).
static int
s_list_proposals (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Matching__ListProposalsRequest *req = (const void *) input;
    uint8_t id [16];
    if (*req->person_id)
        s_check_uuid (call, "person_id", req->person_id, id);
    if (*req->post_id)
        s_check_uuid (call, "post_id", req->post_id, id);
    if (*req->after)
        s_check_uuid (call, "after", req->after, id);
    uint32_t limit = req->limit ? req->limit : 50;
    if (limit > MI_MAX_LIMIT)
        sn_call_violation (call, "limit", "%u is above %d", limit, MI_MAX_LIMIT);
    if (req->status && !protobuf_c_enum_descriptor_get_value (&snodo__matching__proposal_status__descriptor,
                                                              req->status))
        sn_call_violation (call, "status", "%d is not a proposal status", req->status);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char status [8], limit_text [16];
    snprintf (status, sizeof status, "%d", req->status);
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [5] = {*req->person_id ? req->person_id : NULL, *req->post_id ? req->post_id : NULL,
                              status, *req->after ? req->after : NULL, limit_text};
    PGresult *res = sn_call_exec (call,
        "SELECT " PROPOSAL_COLUMNS " FROM proposal WHERE ($1::uuid IS NULL OR person_id = $1::uuid) "
        "AND ($2::uuid IS NULL OR post_id = $2::uuid) AND ($3 = 0 OR status = $3) "
        "AND ($4::uuid IS NULL OR id > $4::uuid) ORDER BY id LIMIT $5", 5, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        return sn_call_db_error (call, res, "listing proposals");
    Snodo__Matching__ListProposalsReply *reply = (Snodo__Matching__ListProposalsReply *)
        sn_message_new (&snodo__matching__list_proposals_reply__descriptor);
    int rows = PQntuples (res);
    reply->proposals = (Snodo__Matching__Proposal **) calloc ((size_t) rows + 1, sizeof (void *));
    mi_query_t q = s_query (call);
    mi_index_t *index = s_index (call);
    mi_index_lock_read (index);
    for (int i = 0; i < rows; i++) {
        //  only the proposals of persons the caller may see
        uint8_t person [16];
        long slot = mi_uuid_parse (PQgetvalue (res, i, 1), person) == 0 ? mi_index_person_slot (index, person) : -1;
        if (slot < 0 || !mi_person_visible (index, (uint32_t) slot, &q))
            continue;
        Snodo__Matching__Proposal *p = s_proposal (res, i);
        if (!p)
            continue;
        sn_call_audit (call, p->person_id);
        reply->proposals [reply->n_proposals++] = p;
    }
    mi_index_unlock (index);
    if (rows == (int) limit && rows > 0)
        reply->next = strdup (PQgetvalue (res, rows - 1, 0));
    PQclear (res);
    *output = &reply->base;
    return CODE (OK);
}

const sn_stream_t matching_streams [] = {
    {"matching.proposal.", MATCH_KINDS},
    {NULL, 0}
};

const sn_method_t matching_methods [] = {
    SN_METHOD (BestPersons, s_best_persons, MATCH_KINDS, SN_PERSONAL),
    SN_METHOD (BestPosts, s_best_posts, MATCH_KINDS, SN_PERSONAL),
    SN_METHOD (Explain, s_explain, MATCH_KINDS, SN_PERSONAL),
    SN_METHOD (Companies, s_companies, MATCH_KINDS | K (ADMIN), 0),
    SN_METHOD (CreateProposal, s_create_proposal, MATCH_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (AcceptProposal, s_accept_proposal, MATCH_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (RefuseProposal, s_refuse_proposal, MATCH_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (GetProposal, s_get_proposal, MATCH_KINDS, SN_PERSONAL),
    SN_METHOD (ListProposals, s_list_proposals, MATCH_KINDS, SN_PERSONAL),
    SN_METHODS_END
};
