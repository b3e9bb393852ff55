/*  rep_tables: the tables of each report (docs/reporting.md says what each
    measure counts). Every count is a cell of the report's release, tied to
    its totals by sums, so that suppression sees the tables as a reader
    would: a year's total is one cell shared by the tables by ambito, by
    category and by referring service of that year. */
#include "rep_ctx.h"
#include "monitoring.pb-c.h"
#include <string.h>
#include <time.h>

static const struct {
    int ind;
    const char *key;
} s_indicators [] = {
    {REP_PERSONS_PLACED, "persons_placed"}, {REP_WORK_PLACEMENTS, "work_placements"},
    {REP_SOCIAL_PLACEMENTS, "social_placements"}, {REP_PROTECTED_WORKSHOPS, "protected_workshops"},
    {REP_POVERTY_INCLUSION, "poverty_inclusion"}, {REP_POVERTY_REINSERTION, "poverty_reinsertion"},
};
#define N_INDICATORS 6

static const char *const s_outcomes [] = {"hired", "returned", "interrupted", "open"};

//  The column key of a dimension's value: a category by its enum name.
static const char *
s_column_key (char dim, const char *value)
{
    if (dim != 'c')
        return value;
    const ProtobufCEnumValue *v = protobuf_c_enum_descriptor_get_value (&snodo__registry__category__descriptor,
                                                                         atoi (value));
    return v ? v->name : value;
}

//  Whether a column of dim is shown: the network's tables show the
//  filter's ambito or referring member alone when one is given.
static bool
s_shown (rep_ctx_t *ctx, char dim, const char *value)
{
    if (ctx->own)
        return true;
    const char *only = dim == 'a' ? ctx->filter.ambito : dim == 'r' ? ctx->filter.referring_member_id : NULL;
    return !only || !*only || strcmp (only, value) == 0;
}

static void
s_year_key (int year, char *out, size_t size)
{
    snprintf (out, size, "%d", year);
}

//  The years of the report: from..to, and the baseline first when before.
static size_t
s_years (rep_ctx_t *ctx, int *years, bool with_baseline)
{
    size_t n = 0;
    if (with_baseline && ctx->filter.baseline_year < ctx->filter.from_year)
        years [n++] = (int) ctx->filter.baseline_year;
    for (uint32_t y = ctx->filter.from_year; y <= ctx->filter.to_year; y++)
        years [n++] = (int) y;
    return n;
}

static const char s_dims_network [] = "acr";
static const char s_dims_own [] = "ac";

//  One indicator's tables by dimension (rows: years) and its year totals.
static void
s_indicator_tables (rep_ctx_t *ctx, int i, const int *years, size_t n_years, int *totals)
{
    int inds [N_INDICATORS];
    for (int k = 0; k < N_INDICATORS; k++)
        inds [k] = s_indicators [k].ind;
    for (size_t y = 0; y < n_years; y++)
        totals [y] = rep_release_cell (ctx->release, rep_ctx_sums (ctx, s_indicators [i].ind, years [y], 't', "").n);
    const char *dims = ctx->own ? s_dims_own : s_dims_network;
    for (const char *dim = dims; *dim; dim++) {
        static const char *const names [] = {"ambito", "category", "referring"};
        const char *name = names [strchr (s_dims_network, *dim) - s_dims_network];
        char id [96];
        snprintf (id, sizeof id, "%s.%s", s_indicators [i].key, name);
        char title [256];
        snprintf (title, sizeof title, "%s: %s", rep_label (s_indicators [i].key, ctx->en), rep_label (name, ctx->en));
        Snodo__Reporting__Table *t = rep_table_add (ctx, id, title, "count");
        zlistx_t *values = rep_ctx_values (ctx, *dim, inds, N_INDICATORS);
        for (const char *v = zlistx_first (values); v; v = zlistx_next (values))
            if (s_shown (ctx, *dim, v))
                rep_table_column (ctx, t, s_column_key (*dim, v));
        rep_table_column (ctx, t, "total");
        size_t n_values = zlistx_size (values);
        int *parts = (int *) malloc ((n_values + 1) * sizeof (int));
        for (size_t y = 0; y < n_years; y++) {
            char key [16];
            s_year_key (years [y], key, sizeof key);
            Snodo__Reporting__Row *row = rep_table_row (ctx, t, key);
            size_t p = 0;
            for (const char *v = zlistx_first (values); v; v = zlistx_next (values)) {
                int64_t n = rep_ctx_sums (ctx, s_indicators [i].ind, years [y], *dim, v).n;
                parts [p] = rep_release_cell (ctx->release, n);
                if (s_shown (ctx, *dim, v))
                    rep_row_value (ctx, row, (double) n, parts [p], -1, -1);
                p++;
            }
            rep_row_value (ctx, row, (double) rep_release_value (ctx->release, totals [y]), totals [y], -1, -1);
            rep_release_sum (ctx->release, totals [y], parts, p);
        }
        free (parts);
        zlistx_destroy (&values);
    }
}

int
rep_build_indicators (rep_ctx_t *ctx)
{
    int inds [N_INDICATORS], years [MAX_REPORT_YEARS];
    for (int k = 0; k < N_INDICATORS; k++)
        inds [k] = s_indicators [k].ind;
    size_t n_years = s_years (ctx, years, true);
    if (rep_ctx_load (ctx, inds, N_INDICATORS, years, n_years))
        return -1;
    Snodo__Reporting__Table *summary = rep_table_add (ctx, "summary", rep_label ("summary", ctx->en), "count");
    for (size_t y = 0; y < n_years; y++) {
        char key [16];
        s_year_key (years [y], key, sizeof key);
        rep_table_column (ctx, summary, key);
    }
    rep_table_column (ctx, summary, "change");
    int totals [N_INDICATORS][MAX_REPORT_YEARS];
    for (int i = 0; i < N_INDICATORS; i++)
        s_indicator_tables (ctx, i, years, n_years, totals [i]);
    size_t base = 0, last = n_years - 1;
    while (years [base] != (int) ctx->filter.baseline_year)
        base++;
    for (int i = 0; i < N_INDICATORS; i++) {
        Snodo__Reporting__Row *row = rep_table_row (ctx, summary, s_indicators [i].key);
        for (size_t y = 0; y < n_years; y++)
            rep_row_value (ctx, row, (double) rep_release_value (ctx->release, totals [i][y]), totals [i][y], -1, -1);
        int64_t b = rep_release_value (ctx->release, totals [i][base]);
        int64_t l = rep_release_value (ctx->release, totals [i][last]);
        if (b == 0)
            rep_row_empty (row);
        else
            rep_row_value (ctx, row, 100.0 * (double) (l - b) / (double) b, totals [i][base], totals [i][last], -1);
    }
    return 0;
}

//  --- outcomes ---------------------------------------------------------------------

typedef struct {
    int grand, by_outcome [4], hired_20, hired_less;
} s_outcome_cells_t;

//  A year's outcome cells: ambito by outcome with its margins, tied by sums.
static void
s_outcome_year (rep_ctx_t *ctx, int year, zlistx_t *ambiti, s_outcome_cells_t *c, int *referred, int *hired)
{
    rep_release_t *r = ctx->release;
    c->grand = rep_release_cell (r, rep_ctx_sums (ctx, REP_REFERRED, year, 't', "").n);
    for (int o = 0; o < 4; o++)
        c->by_outcome [o] = rep_release_cell (r, rep_ctx_sums (ctx, REP_HIRED + o, year, 't', "").n);
    rep_release_sum (r, c->grand, c->by_outcome, 4);
    int64_t h20 = rep_ctx_sums (ctx, REP_HIRED_20H, year, 't', "").n;
    c->hired_20 = rep_release_cell (r, h20);
    c->hired_less = rep_release_cell (r, rep_release_value (r, c->by_outcome [0]) - h20);
    int split [2] = {c->hired_20, c->hired_less};
    rep_release_sum (r, c->by_outcome [0], split, 2);
    size_t n = zlistx_size (ambiti), a = 0;
    int *column [4];
    for (int o = 0; o < 4; o++)
        column [o] = (int *) malloc ((n + 1) * sizeof (int));
    for (const char *v = zlistx_first (ambiti); v; v = zlistx_next (ambiti), a++) {
        int row [4];
        referred [a] = rep_release_cell (r, rep_ctx_sums (ctx, REP_REFERRED, year, 'a', v).n);
        for (int o = 0; o < 4; o++)
            column [o][a] = row [o] = rep_release_cell (r, rep_ctx_sums (ctx, REP_HIRED + o, year, 'a', v).n);
        hired [a] = row [0];
        rep_release_sum (r, referred [a], row, 4);
    }
    for (int o = 0; o < 4; o++) {
        rep_release_sum (r, c->by_outcome [o], column [o], n);
        free (column [o]);
    }
    rep_release_sum (r, c->grand, referred, n);
}

//  A row of a table by ambito: the ambiti shown, then the total.
static void
s_ambito_row (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *key, zlistx_t *ambiti, const int *cells,
              int total)
{
    Snodo__Reporting__Row *row = rep_table_row (ctx, t, key);
    size_t a = 0;
    for (const char *v = zlistx_first (ambiti); v; v = zlistx_next (ambiti), a++)
        if (s_shown (ctx, 'a', v))
            rep_row_value (ctx, row, (double) rep_release_value (ctx->release, cells [a]), cells [a], -1, -1);
    rep_row_value (ctx, row, (double) rep_release_value (ctx->release, total), total, -1, -1);
}

static Snodo__Reporting__Table *
s_ambito_table (rep_ctx_t *ctx, const char *id, const char *title, zlistx_t *ambiti)
{
    char text [256];
    snprintf (text, sizeof text, "%s: %s", rep_label (title, ctx->en), rep_label ("ambito", ctx->en));
    Snodo__Reporting__Table *t = rep_table_add (ctx, id, text, "count");
    for (const char *v = zlistx_first (ambiti); v; v = zlistx_next (ambiti))
        if (s_shown (ctx, 'a', v))
            rep_table_column (ctx, t, v);
    rep_table_column (ctx, t, "total");
    return t;
}

//  The means and shares of a year's hired, hidden with the counts they rest on.
static void
s_measures_row (rep_ctx_t *ctx, Snodo__Reporting__Table *t, int year, const s_outcome_cells_t *c)
{
    char key [16];
    s_year_key (year, key, sizeof key);
    Snodo__Reporting__Row *row = rep_table_row (ctx, t, key);
    rep_sums_t hired = rep_ctx_sums (ctx, REP_HIRED, year, 't', "");
    int64_t referred = rep_release_value (ctx->release, c->grand);
    if (referred)
        rep_row_value (ctx, row, 100.0 * (double) hired.n / (double) referred, c->by_outcome [0], c->grand, -1);
    else
        rep_row_empty (row);
    if (hired.n == 0) {
        for (int k = 0; k < 4; k++)
            rep_row_empty (row);
        return;
    }
    double n = (double) hired.n;
    //  today's day number in the operators' time zone (sn_app set it)
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);
    int64_t today = ((int64_t) now + tm.tm_gmtoff) / 86400;
    rep_row_value (ctx, row, (double) hired.s1 / n, c->by_outcome [0], -1, -1);
    rep_row_value (ctx, row, (double) today - (double) hired.s3 / n, c->by_outcome [0], -1, -1);
    rep_row_value (ctx, row, (double) hired.s2 / n, c->by_outcome [0], -1, -1);
    rep_row_value (ctx, row, 100.0 * (double) rep_release_value (ctx->release, c->hired_20) / n, c->hired_20,
                   c->hired_less, c->by_outcome [0]);
}

int
rep_build_outcomes (rep_ctx_t *ctx)
{
    int inds [] = {REP_REFERRED, REP_HIRED, REP_RETURNED, REP_INTERRUPTED, REP_OPEN, REP_HIRED_20H};
    int years [MAX_REPORT_YEARS];
    size_t n_years = s_years (ctx, years, false);
    if (rep_ctx_load (ctx, inds, 6, years, n_years))
        return -1;
    zlistx_t *ambiti = rep_ctx_values (ctx, 'a', inds, 6);
    size_t n = zlistx_size (ambiti);
    Snodo__Reporting__Table *mix = rep_table_add (ctx, "outcomes.mix", rep_label ("mix", ctx->en), "count");
    for (int o = 0; o < 4; o++)
        rep_table_column (ctx, mix, s_outcomes [o]);
    rep_table_column (ctx, mix, "total");
    Snodo__Reporting__Table *referred_t = s_ambito_table (ctx, "outcomes.referred.ambito", "referred", ambiti);
    Snodo__Reporting__Table *hired_t = s_ambito_table (ctx, "outcomes.hired.ambito", "hired", ambiti);
    Snodo__Reporting__Table *measures = rep_table_add (ctx, "outcomes.measures", rep_label ("measures", ctx->en),
                                                       "mixed");
    const char *columns [] = {"share_hired", "days_to_job", "tenure_days", "weekly_hours", "share_20h"};
    for (int k = 0; k < 5; k++)
        rep_table_column (ctx, measures, columns [k]);
    int *referred = (int *) malloc ((n + 1) * sizeof (int)), *hired = (int *) malloc ((n + 1) * sizeof (int));
    for (size_t y = 0; y < n_years; y++) {
        s_outcome_cells_t c;
        s_outcome_year (ctx, years [y], ambiti, &c, referred, hired);
        char key [16];
        s_year_key (years [y], key, sizeof key);
        Snodo__Reporting__Row *row = rep_table_row (ctx, mix, key);
        for (int o = 0; o < 4; o++)
            rep_row_value (ctx, row, (double) rep_release_value (ctx->release, c.by_outcome [o]), c.by_outcome [o],
                           -1, -1);
        rep_row_value (ctx, row, (double) rep_release_value (ctx->release, c.grand), c.grand, -1, -1);
        s_ambito_row (ctx, referred_t, key, ambiti, referred, c.grand);
        s_ambito_row (ctx, hired_t, key, ambiti, hired, c.by_outcome [0]);
        s_measures_row (ctx, measures, years [y], &c);
    }
    free (referred);
    free (hired);
    zlistx_destroy (&ambiti);
    return 0;
}

//  --- standards ------------------------------------------------------------------------

//  Seed 003's ranges, for the codes delivered.
static int
s_standard_ranges (rep_ctx_t *ctx, zhashx_t *ranges)
{
    PGresult *res = PQexec (ctx->db, "SELECT code, min_hours::float8, max_hours::float8 FROM standard");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return rep_ctx_db_error (ctx, "read the standard services");
    }
    for (int r = 0; r < PQntuples (res); r++) {
        double *range = (double *) zmalloc (2 * sizeof (double));
        range [0] = atof (PQgetvalue (res, r, 1));
        range [1] = atof (PQgetvalue (res, r, 2));
        zhashx_update (ranges, PQgetvalue (res, r, 0), range);
    }
    PQclear (res);
    return 0;
}

//  Hours per code: the range, and the mean and total delivered.
static void
s_hours_row (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *code, zhashx_t *ranges, int pathways)
{
    Snodo__Reporting__Row *row = rep_table_row (ctx, t, code);
    double *range = (double *) zhashx_lookup (ranges, code);
    rep_row_value (ctx, row, range ? range [0] : 0, -1, -1, -1);
    rep_row_value (ctx, row, range ? range [1] : 0, -1, -1, -1);
    int64_t centi = 0;
    for (int s = REP_STD_WITHIN; s <= REP_STD_ABOVE; s++)
        centi += rep_ctx_sums (ctx, s, 0, 's', code).s1;
    int64_t n = rep_release_value (ctx->release, pathways);
    if (n)
        rep_row_value (ctx, row, (double) centi / 100.0 / (double) n, pathways, -1, -1);
    else
        rep_row_empty (row);
    rep_row_value (ctx, row, (double) centi / 100.0, pathways, -1, -1);
}

int
rep_build_standards (rep_ctx_t *ctx)
{
    int inds [] = {REP_STD_WITHIN, REP_STD_BELOW, REP_STD_ABOVE};
    zhashx_t *ranges = zhashx_new ();
    zhashx_set_destructor (ranges, (zhashx_destructor_fn *) zstr_free);
    if (rep_ctx_load (ctx, inds, 3, NULL, 0) || s_standard_ranges (ctx, ranges)) {
        zhashx_destroy (&ranges);
        return -1;
    }
    zlistx_t *codes = rep_ctx_values (ctx, 's', inds, 3);
    void *none = zlistx_find (codes, "-");
    if (none)               //  (a NULL handle would delete the first)
        zlistx_delete (codes, none);
    size_t n = zlistx_size (codes), i = 0;
    Snodo__Reporting__Table *counts = rep_table_add (ctx, "standards.pathways", rep_label ("code", ctx->en), "count");
    const char *status [] = {"within", "below", "above", "total"};
    for (int k = 0; k < 4; k++)
        rep_table_column (ctx, counts, status [k]);
    Snodo__Reporting__Table *hours = rep_table_add (ctx, "standards.hours", rep_label ("hours", ctx->en), "hours");
    const char *columns [] = {"min_hours", "max_hours", "mean_hours", "total_hours"};
    for (int k = 0; k < 4; k++)
        rep_table_column (ctx, hours, columns [k]);
    int *by_status [3], *pathways = (int *) malloc ((n + 1) * sizeof (int)), totals [3];
    for (int s = 0; s < 3; s++)
        by_status [s] = (int *) malloc ((n + 1) * sizeof (int));
    for (const char *code = zlistx_first (codes); code; code = zlistx_next (codes), i++) {
        Snodo__Reporting__Row *row = rep_table_row (ctx, counts, code);
        int cells [3];
        int64_t all = 0;
        for (int s = 0; s < 3; s++) {
            int64_t v = rep_ctx_sums (ctx, REP_STD_WITHIN + s, 0, 's', code).n;
            by_status [s][i] = cells [s] = rep_release_cell (ctx->release, v);
            all += v;
            rep_row_value (ctx, row, (double) v, cells [s], -1, -1);
        }
        pathways [i] = rep_release_cell (ctx->release, all);
        rep_release_sum (ctx->release, pathways [i], cells, 3);
        rep_row_value (ctx, row, (double) all, pathways [i], -1, -1);
        s_hours_row (ctx, hours, code, ranges, pathways [i]);
    }
    Snodo__Reporting__Row *total = rep_table_row (ctx, counts, "total");
    int64_t grand_n = 0;
    for (int s = 0; s < 3; s++) {
        int64_t v = rep_ctx_sums (ctx, REP_STD_WITHIN + s, 0, 't', "").n;
        grand_n += v;
        totals [s] = rep_release_cell (ctx->release, v);
        rep_release_sum (ctx->release, totals [s], by_status [s], n);
        rep_row_value (ctx, total, (double) v, totals [s], -1, -1);
        free (by_status [s]);
    }
    int grand = rep_release_cell (ctx->release, grand_n);
    rep_release_sum (ctx->release, grand, totals, 3);
    rep_release_sum (ctx->release, grand, pathways, n);
    rep_row_value (ctx, total, (double) grand_n, grand, -1, -1);
    free (pathways);
    zlistx_destroy (&codes);
    zhashx_destroy (&ranges);
    return 0;
}
