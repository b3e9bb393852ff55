/*  rep_network: the work of the network now (pathways by state, overdue
    meetings, the law 68/1999 quota by company size) and a member's own
    pathways in detail. */
#include "rep_ctx.h"
#include "monitoring.pb-c.h"
#include "sn_server.h"
#include "sn_array.h"
#include <string.h>

#define N_STATES 9

static const char *
s_state_name (int state)
{
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (
        &snodo__monitoring__pathway_state__descriptor, state);
    return v ? v->name : "";
}

//  Pathways by ambito and state, with both margins, tied by sums.
static void
s_states (rep_ctx_t *ctx, zlistx_t *ambiti)
{
    rep_release_t *r = ctx->release;
    Snodo__Reporting__Table *t = rep_table_add (ctx, "network.states", rep_label ("state", ctx->en), "count");
    for (int s = 1; s <= N_STATES; s++)
        rep_table_column (ctx, t, s_state_name (s));
    rep_table_column (ctx, t, "total");
    size_t n = zlistx_size (ambiti), a = 0;
    int *rows = (int *) malloc ((n + 1) * sizeof (int)), *column [N_STATES], totals [N_STATES];
    for (int s = 0; s < N_STATES; s++)
        column [s] = (int *) malloc ((n + 1) * sizeof (int));
    for (const char *v = zlistx_first (ambiti); v; v = zlistx_next (ambiti), a++) {
        int cells [N_STATES];
        int64_t all = 0;
        for (int s = 0; s < N_STATES; s++) {
            int64_t k = rep_ctx_sums (ctx, REP_STATE_BASE + 1 + s, 0, 'a', v).n;
            column [s][a] = cells [s] = rep_release_cell (r, k);
            all += k;
        }
        rows [a] = rep_release_cell (r, all);
        rep_release_sum (r, rows [a], cells, N_STATES);
        if (!ctx->own && ctx->filter.ambito && *ctx->filter.ambito && strcmp (ctx->filter.ambito, v))
            continue;
        Snodo__Reporting__Row *row = rep_table_row (ctx, t, v);
        for (int s = 0; s < N_STATES; s++)
            rep_row_value (ctx, row, (double) rep_release_value (r, cells [s]), cells [s], -1, -1);
        rep_row_value (ctx, row, (double) all, rows [a], -1, -1);
    }
    Snodo__Reporting__Row *row = rep_table_row (ctx, t, "total");
    int64_t grand_n = 0;
    for (int s = 0; s < N_STATES; s++) {
        int64_t k = rep_ctx_sums (ctx, REP_STATE_BASE + 1 + s, 0, 't', "").n;
        grand_n += k;
        totals [s] = rep_release_cell (r, k);
        rep_release_sum (r, totals [s], column [s], n);
        rep_row_value (ctx, row, (double) k, totals [s], -1, -1);
        free (column [s]);
    }
    int grand = rep_release_cell (r, grand_n);
    rep_release_sum (r, grand, totals, N_STATES);
    rep_release_sum (r, grand, rows, n);
    rep_row_value (ctx, row, (double) grand_n, grand, -1, -1);
    free (rows);
}

//  Overdue meetings by one dimension (ambito or referring member), rows
//  with the total; every such table shares the total cell.
static void
s_overdue (rep_ctx_t *ctx, char dim, const char *id, const char *title, int total)
{
    int inds [] = {REP_OVERDUE};
    zlistx_t *values = rep_ctx_values (ctx, dim, inds, 1);
    Snodo__Reporting__Table *t = rep_table_add (ctx, id, title, "count");
    rep_table_column (ctx, t, "overdue");
    int *cells = (int *) malloc ((zlistx_size (values) + 1) * sizeof (int));
    size_t n = 0;
    for (const char *v = zlistx_first (values); v; v = zlistx_next (values)) {
        int64_t k = rep_ctx_sums (ctx, REP_OVERDUE, 0, dim, v).n;
        cells [n] = rep_release_cell (ctx->release, k);
        const char *only = dim == 'a' ? ctx->filter.ambito : ctx->filter.referring_member_id;
        if (ctx->own || !only || !*only || strcmp (only, v) == 0)
            rep_row_value (ctx, rep_table_row (ctx, t, v), (double) k, cells [n], -1, -1);
        n++;
    }
    rep_release_sum (ctx->release, total, cells, n);
    rep_row_value (ctx, rep_table_row (ctx, t, "total"), (double) rep_release_value (ctx->release, total), total,
                   -1, -1);
    free (cells);
    zlistx_destroy (&values);
}

//  The law 68/1999 quota of the companies by size band (employees 15-35,
//  36-50, over 50): a band of few companies is hidden whole.
static int
s_quota (rep_ctx_t *ctx)
{
    PGresult *res = PQexec (ctx->db,
        "SELECT b.band, count (c.id), coalesce (sum (c.quota), 0), coalesce (sum (c.quota - c.uncovered), 0), "
        "       coalesce (sum (c.uncovered), 0) "
        "FROM (VALUES (1, 15, 35), (2, 36, 50), (3, 51, 2147483647)) b (band, low, high) "
        "LEFT JOIN company c ON c.employees BETWEEN b.low AND b.high GROUP BY b.band ORDER BY b.band");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return rep_ctx_db_error (ctx, "read the companies");
    }
    static const char *const bands [] = {"band_15_35", "band_36_50", "band_51"};
    static const char *const columns [] = {"companies", "quota", "covered", "uncovered"};
    Snodo__Reporting__Table *t = rep_table_add (ctx, "network.quota", rep_label ("band", ctx->en), "count");
    for (int k = 0; k < 4; k++)
        rep_table_column (ctx, t, columns [k]);
    int cells [3];
    int64_t sums [4] = {0, 0, 0, 0};
    for (int b = 0; b < PQntuples (res) && b < 3; b++) {
        Snodo__Reporting__Row *row = rep_table_row (ctx, t, bands [b]);
        cells [b] = rep_release_cell (ctx->release, atoll (PQgetvalue (res, b, 1)));
        for (int k = 0; k < 4; k++) {
            int64_t v = atoll (PQgetvalue (res, b, 1 + k));
            sums [k] += v;
            rep_row_value (ctx, row, (double) v, cells [b], -1, -1);
        }
    }
    int total = rep_release_cell (ctx->release, sums [0]);
    rep_release_sum (ctx->release, total, cells, (size_t) (PQntuples (res) < 3 ? PQntuples (res) : 3));
    Snodo__Reporting__Row *row = rep_table_row (ctx, t, "total");
    for (int k = 0; k < 4; k++)
        rep_row_value (ctx, row, (double) sums [k], total, -1, -1);
    PQclear (res);
    return 0;
}

int
rep_build_network (rep_ctx_t *ctx)
{
    int inds [N_STATES + 1], years [] = {0};
    for (int s = 0; s < N_STATES; s++)
        inds [s] = REP_STATE_BASE + 1 + s;
    inds [N_STATES] = REP_OVERDUE;
    if (rep_ctx_load (ctx, inds, N_STATES + 1, years, 1))
        return -1;
    zlistx_t *ambiti = rep_ctx_values (ctx, 'a', inds, N_STATES + 1);
    s_states (ctx, ambiti);
    zlistx_destroy (&ambiti);
    int total = rep_release_cell (ctx->release, rep_ctx_sums (ctx, REP_OVERDUE, 0, 't', "").n);
    char title [160];
    snprintf (title, sizeof title, "%s: %s", rep_label ("overdue", ctx->en), rep_label ("ambito", ctx->en));
    s_overdue (ctx, 'a', "network.overdue.ambito", title, total);
    snprintf (title, sizeof title, "%s: %s", rep_label ("overdue", ctx->en), rep_label ("referring", ctx->en));
    s_overdue (ctx, 'r', "network.overdue.referring", title, total);
    //  companies are no one's own pathways: only the network's view has them
    return ctx->own ? 0 : s_quota (ctx);
}

//  --- one's own pathways -------------------------------------------------------------

//  The pathway states the SQL below names (monitoring's PathwayState).
#define REP_SQL_ACTIVE 7
#define REP_SQL_CLOSED 9
SN_SQL_CHECK (REP_SQL_ACTIVE, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_ACTIVE);
SN_SQL_CHECK (REP_SQL_CLOSED, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED);

static const char s_pathways_sql [] =
    "SELECT p.id, p.person_id, p.state, p.kind, p.ambito, coalesce (p.referred_on::text, ''), "
    "       coalesce (p.start_date::text, ''), p.outcome, coalesce (p.outcome_date::text, ''), p.weekly_hours, "
    "       (SELECT count (*) FROM overdue o WHERE o.pathway_id = p.id AND p.state = " SN_SQL (REP_SQL_ACTIVE) "), "
    "       (SELECT coalesce (string_agg (d.code || ': ' || to_char (d.centihours / 100.0, 'FM999990.00') || ' h, ' "
    "               || CASE WHEN d.centihours > s.max_hours * 100 THEN 'ABOVE_MAX' ELSE 'BELOW_MIN' END "
    "               || ' (' || s.min_hours || '-' || s.max_hours || ')', E'\\n' ORDER BY d.code), '') "
    "        FROM delivery d JOIN standard s ON s.code = d.code WHERE d.pathway_id = p.id "
    "          AND (d.centihours > s.max_hours * 100 OR (d.centihours < s.min_hours * 100 "
    "               AND p.state = " SN_SQL (REP_SQL_CLOSED) "))) "
    "FROM pathway p WHERE p.referring = $1 AND ($2 = '' OR p.ambito = $2) "
    "  AND (p.state <> " SN_SQL (REP_SQL_CLOSED) " OR p.outcome_date >= make_date ($3::int, 1, 1)) "
    "  AND (p.referred_on IS NULL OR p.referred_on <= make_date ($4::int, 12, 31)) "
    "ORDER BY p.referred_on DESC NULLS LAST, p.id LIMIT 1000";

//  The findings, one a line.
static void
s_findings (Snodo__Reporting__OwnPathway *p, const char *lines)
{
    char *copy = strdup (lines);
    for (char *item = strtok (copy, "\n"); item; item = strtok (NULL, "\n")) {
        p->findings = (char **) realloc (p->findings, (p->n_findings + 1) * sizeof (char *));
        p->findings [p->n_findings++] = strdup (item);
    }
    free (copy);
}

static Snodo__Reporting__OwnPathway *
s_own_pathway (PGresult *res, int r)
{
    Snodo__Reporting__OwnPathway *p = (Snodo__Reporting__OwnPathway *) zmalloc (sizeof *p);
    snodo__reporting__own_pathway__init (p);
    p->pathway_id = strdup (PQgetvalue (res, r, 0));
    p->person_id = strdup (PQgetvalue (res, r, 1));
    p->state = strdup (s_state_name (atoi (PQgetvalue (res, r, 2))));
    const ProtobufCEnumValue *kind = protobuf_c_enum_descriptor_get_value (
        &snodo__monitoring__pathway_kind__descriptor, atoi (PQgetvalue (res, r, 3)));
    p->kind = strdup (kind ? kind->name : "");
    p->ambito = strdup (PQgetvalue (res, r, 4));
    p->referred_on = strdup (PQgetvalue (res, r, 5));
    p->start_date = strdup (PQgetvalue (res, r, 6));
    const ProtobufCEnumValue *outcome = protobuf_c_enum_descriptor_get_value (
        &snodo__monitoring__outcome_kind__descriptor, atoi (PQgetvalue (res, r, 7)));
    p->outcome = strdup (outcome && outcome->value ? outcome->name : "");
    p->outcome_date = strdup (PQgetvalue (res, r, 8));
    p->weekly_hours = (uint32_t) atoi (PQgetvalue (res, r, 9));
    p->overdue_meetings = (uint32_t) atoi (PQgetvalue (res, r, 10));
    s_findings (p, PQgetvalue (res, r, 11));
    return p;
}

int
rep_build_pathways (rep_ctx_t *ctx, zlistx_t *persons)
{
    char from [16], to [16];
    snprintf (from, sizeof from, "%u", ctx->filter.from_year);
    snprintf (to, sizeof to, "%u", ctx->filter.to_year);
    const char *params [4] = {ctx->viewer->member_id, ctx->filter.ambito ? ctx->filter.ambito : "", from, to};
    PGresult *res = PQexecParams (ctx->db, s_pathways_sql, 4, NULL, params, NULL, NULL, 0);
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return rep_ctx_db_error (ctx, "read the pathways");
    }
    Snodo__Reporting__Report *report = ctx->report;
    report->n_pathways = (size_t) PQntuples (res);
    report->pathways = (Snodo__Reporting__OwnPathway **) calloc (report->n_pathways + 1, sizeof (void *));
    for (int r = 0; r < PQntuples (res); r++) {
        report->pathways [r] = s_own_pathway (res, r);
        if (persons)
            zlistx_add_end (persons, report->pathways [r]->person_id);
    }
    PQclear (res);
    return 0;
}
