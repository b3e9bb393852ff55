/*  snodoctl: readable output of the matching service's replies. Rankings as
    tables with the over-demands named, explanations with the 29
    characteristics side by side (ability, requirement, gap). */
#include "snodoctl.h"
#include "matching.pb-c.h"
#include <string.h>
#include <time.h>

//  "concentration 2<4, attention 3<4" (at most max, then "+N more").
static void
s_over_demands (const Snodo__Matching__Comparison *c, char *out, size_t size, size_t max)
{
    *out = 0;
    if (!c || (c->n_over_demands == 0 && c->n_not_assessed == 0)) {
        snprintf (out, size, "-");
        return;
    }
    size_t shown = 0;
    for (size_t i = 0; i < c->n_over_demands && shown < max; i++, shown++)
        snprintf (out + strlen (out), size - strlen (out), "%s%s %u<%u", shown ? ", " : "",
                  c->over_demands [i]->characteristic, c->over_demands [i]->ability,
                  c->over_demands [i]->requirement);
    for (size_t i = 0; i < c->n_not_assessed && shown < max; i++, shown++)
        snprintf (out + strlen (out), size - strlen (out), "%s%s ?", shown ? ", " : "", c->not_assessed [i]);
    size_t total = c->n_over_demands + c->n_not_assessed;
    if (total > shown)
        snprintf (out + strlen (out), size - strlen (out), ", +%zu more", total - shown);
}

static void
s_exclusions (const Snodo__Matching__Exclusions *e)
{
    if (!e)
        return;
    const struct { const char *name; uint32_t n; } rows [] = {
        {"no profile", e->no_profile}, {"engaged", e->engaged}, {"hours", e->hours}, {"commute", e->commute},
        {"sector", e->sector}, {"task", e->task}, {"not preferred", e->not_preferred}, {"no place", e->no_place}};
    int shown = 0;
    for (size_t i = 0; i < sizeof rows / sizeof rows [0]; i++)
        if (rows [i].n)
            printf ("%s%s %u", shown++ ? ", " : "excluded: ", rows [i].name, rows [i].n);
    printf ("%s", shown ? "\n" : "excluded: none\n");
}

//  A table of rows x columns cells made with zsys_sprintf, printed and
//  freed.
static void
s_ranking (char **headers, char ***cells, size_t rows, int columns)
{
    ctl_table_print (headers, cells, rows, columns);
    for (size_t r = 0; r < rows; r++) {
        for (int c = 0; c < columns; c++)
            zstr_free (&cells [r][c]);
        free (cells [r]);
    }
    free (cells);
}

static void
s_best_persons (const Snodo__Matching__BestPersonsReply *r)
{
    printf ("best persons for \"%s\" (post %s)\n\n", r->title, r->post_id);
    char *headers [] = {"rank", "fit", "name", "ambito", "referring", "over-demands (ability<requirement), "
                        "not assessed (?)", "person"};
    char ***cells = (char ***) calloc (r->n_candidates + 1, sizeof (char **));
    for (size_t i = 0; i < r->n_candidates; i++) {
        const Snodo__Matching__Candidate *c = r->candidates [i];
        char over [512];
        s_over_demands (c->comparison, over, sizeof over, 4);
        cells [i] = (char **) calloc (7, sizeof (char *));
        cells [i][0] = zsys_sprintf ("%u", c->rank);
        cells [i][1] = zsys_sprintf ("%u", c->comparison ? c->comparison->fit : 0);
        cells [i][2] = zsys_sprintf ("%s %s", c->surname, c->name);
        cells [i][3] = zsys_sprintf ("%s", c->ambito);
        cells [i][4] = zsys_sprintf ("%s", c->referring_member_id);
        cells [i][5] = zsys_sprintf ("%s", over);
        cells [i][6] = zsys_sprintf ("%s", c->person_id);
    }
    s_ranking (headers, cells, r->n_candidates, 7);
    printf ("(%zu)\nin scope %u, eligible %u; ", r->n_candidates, r->in_scope, r->eligible);
    s_exclusions (r->excluded);
    if (r->hidden)
        printf ("%u more eligible persons are not yours to see (no relationship, no consent)\n", r->hidden);
    else
    if (r->hidden_few)
        printf ("a few more eligible persons are not yours to see (fewer than 5)\n");
}

static void
s_best_posts (const Snodo__Matching__BestPostsReply *r)
{
    printf ("best posts for person %s\n\n", r->person_id);
    char *headers [] = {"rank", "fit", "title", "municipality", "hours", "free", "km", "over-demands", "post"};
    char ***cells = (char ***) calloc (r->n_posts + 1, sizeof (char **));
    for (size_t i = 0; i < r->n_posts; i++) {
        const Snodo__Matching__PostMatch *p = r->posts [i];
        char over [512];
        s_over_demands (p->comparison, over, sizeof over, 4);
        cells [i] = (char **) calloc (9, sizeof (char *));
        cells [i][0] = zsys_sprintf ("%u", p->rank);
        cells [i][1] = zsys_sprintf ("%u", p->comparison ? p->comparison->fit : 0);
        cells [i][2] = zsys_sprintf ("%s", p->title);
        cells [i][3] = zsys_sprintf ("%s", p->municipality);
        cells [i][4] = zsys_sprintf ("%u", p->weekly_hours);
        cells [i][5] = zsys_sprintf ("%u", p->free_places);
        cells [i][6] = p->distance_km < 0 ? zsys_sprintf ("?") : zsys_sprintf ("%.1f", p->distance_km);
        cells [i][7] = zsys_sprintf ("%s", over);
        cells [i][8] = zsys_sprintf ("%s", p->post_id);
    }
    s_ranking (headers, cells, r->n_posts, 9);
    printf ("(%zu)\nin scope %u, eligible %u; ", r->n_posts, r->in_scope, r->eligible);
    s_exclusions (r->excluded);
}

static void
s_explanation (const Snodo__Matching__Explanation *e)
{
    const Snodo__Matching__Comparison *c = e->comparison;
    printf ("person %s and post %s: %s\n", e->person_id, e->post_id,
            e->eligible ? "eligible" : "NOT eligible (a hard constraint fails)");
    if (c)
        printf ("fit %u: penalty %u = 2 x over-demand %u (on %u characteristics) + %u not assessed; "
                "under-demand %u%s\n", c->fit, c->penalty, c->over_demand, c->over_count, c->unknown_count,
                c->under_demand, c->preferred_sector ? "; a sector the person prefers" : "");
    printf ("\nconstraints\n");
    for (size_t i = 0; i < e->n_constraints; i++)
        printf ("  %-4s %-8s %s\n", e->constraints [i]->passed ? "ok" : "FAIL", e->constraints [i]->name,
                e->constraints [i]->detail);
    if (!c)
        return;
    printf ("\n  %-22s %7s %11s %4s\n", "characteristic", "ability", "requirement", "gap");
    for (size_t i = 0; i < c->n_characteristics; i++) {
        const Snodo__Matching__Gap *g = c->characteristics [i];
        const char *note = "";
        if (g->requirement && !g->ability)
            note = "not assessed";
        else
        if (g->requirement && g->gap > 0)
            note = "OVER-DEMAND";
        else
        if (g->requirement && g->gap < 0)
            note = "under-demand";
        char ability [8], requirement [8];
        snprintf (ability, sizeof ability, "%u", g->ability);
        snprintf (requirement, sizeof requirement, "%u", g->requirement);
        printf ("  %-22s %7s %11s %+4d %s\n", g->characteristic, g->ability ? ability : "-",
                g->requirement ? requirement : "-", g->requirement && g->ability ? g->gap : 0, note);
    }
}

static const char *
s_status (int status)
{
    static const char *names [] = {"?", "OPEN", "ACCEPTED", "REFUSED", "CLOSED"};
    return status >= 0 && status <= 4 ? names [status] : "?";
}

static void
s_time (int64_t ms, char *out, size_t size)
{
    if (!ms) {
        snprintf (out, size, "-");
        return;
    }
    time_t t = (time_t) (ms / 1000);
    struct tm tm;
    gmtime_r (&t, &tm);
    strftime (out, size, "%Y-%m-%d %H:%M:%SZ", &tm);
}

static void
s_proposal (const Snodo__Matching__Proposal *p)
{
    char created [32], answered [32], closed [32];
    s_time (p->created_at, created, sizeof created);
    s_time (p->answered_at, answered, sizeof answered);
    s_time (p->closed_at, closed, sizeof closed);
    printf ("proposal %s: %s\n  person    %s\n  post      %s\n  employer  %s\n", p->id, s_status (p->status),
            p->person_id, p->post_id, p->employer_id);
    if (*p->pathway_id)
        printf ("  pathway   %s\n", p->pathway_id);
    printf ("  proposed  %s by %s\n", created, p->created_by);
    if (p->answered_at)
        printf ("  answered  %s by %s%s%s\n", answered, p->answered_by, *p->reason ? ": " : "", p->reason);
    if (p->closed_at)
        printf ("  closed    %s with its pathway: it holds no place on the post\n", closed);
    if (p->explanation && p->explanation->comparison) {
        char over [1024];
        s_over_demands (p->explanation->comparison, over, sizeof over, 29);
        printf ("  fit       %u when proposed; over-demands: %s\n", p->explanation->comparison->fit, over);
    }
}

bool
ctl_print_matching (const ProtobufCMessage *msg)
{
    if (msg->descriptor == &snodo__matching__best_persons_reply__descriptor)
        s_best_persons ((const Snodo__Matching__BestPersonsReply *) msg);
    else
    if (msg->descriptor == &snodo__matching__best_posts_reply__descriptor)
        s_best_posts ((const Snodo__Matching__BestPostsReply *) msg);
    else
    if (msg->descriptor == &snodo__matching__explanation__descriptor)
        s_explanation ((const Snodo__Matching__Explanation *) msg);
    else
    if (msg->descriptor == &snodo__matching__proposal__descriptor)
        s_proposal ((const Snodo__Matching__Proposal *) msg);
    else
        return false;
    return true;
}
