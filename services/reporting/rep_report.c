/*  rep_report: checking a request, loading the aggregates, the tables'
    helpers, and suppression applied to a whole report. See rep_report.h. */
#include "rep_ctx.h"
#include "sn_array.h"
#include <stdarg.h>
#include <string.h>
#include <time.h>

#define CODE(x) SNODO__CODE__##x
#define FIRST_YEAR 2000
#define MAX_YEARS 20

static const char *const s_ambiti [] = {"est", "sud", "ovest", "nord", "urbano", NULL};

bool
rep_kind_may_report (int kind)
{
    switch (kind) {
        case SNODO__MEMBER_KIND__MEMBER_KIND_PROVINCIA: case SNODO__MEMBER_KIND__MEMBER_KIND_CPI:
        case SNODO__MEMBER_KIND__MEMBER_KIND_ASS: case SNODO__MEMBER_KIND__MEMBER_KIND_SIL:
        case SNODO__MEMBER_KIND__MEMBER_KIND_DSM: case SNODO__MEMBER_KIND__MEMBER_KIND_SERT:
        case SNODO__MEMBER_KIND__MEMBER_KIND_SSC: case SNODO__MEMBER_KIND__MEMBER_KIND_REGIONE:
        case SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN:
            return true;
        default:
            return false;
    }
}

static const char *const s_kinds [] = {"indicators", "outcomes", "standards", "network", "pathways", NULL};

int
rep_kind_parse (const char *name, rep_kind_t *kind)
{
    for (int i = 0; s_kinds [i]; i++)
        if (name && strcmp (name, s_kinds [i]) == 0) {
            *kind = (rep_kind_t) i;
            return 0;
        }
    return -1;
}

const char *
rep_kind_name (rep_kind_t kind)
{
    return s_kinds [kind];
}

static int s_invalid (rep_error_t *err, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

static int
s_invalid (rep_error_t *err, const char *field, const char *fmt, ...)
{
    err->code = CODE (INVALID_ARGUMENT);
    snprintf (err->field, sizeof err->field, "%s", field);
    va_list args;
    va_start (args, fmt);
    vsnprintf (err->message, sizeof err->message, fmt, args);
    va_end (args);
    return -1;
}

static int
s_this_year (void)
{
    time_t now = time (NULL);
    struct tm tm;
    localtime_r (&now, &tm);     //  the operators' year (sn_app set the zone)
    return tm.tm_year + 1900;
}

//  A year of a filter: 0 or FIRST_YEAR..this year.
static int
s_check_year (const char *field, uint32_t year, rep_error_t *err)
{
    int now = s_this_year ();
    if (year != 0 && (year < FIRST_YEAR || (int) year > now))
        return s_invalid (err, field, "%u is not a year of the reports (%d to %d)", year, FIRST_YEAR, now);
    return 0;
}

//  Checks the filter and fills in its defaults. Returns 0 or -1 with err.
static int
s_resolve (const Snodo__Reporting__ReportRequest *req, const rep_viewer_t *viewer,
           Snodo__Reporting__ReportFilter *f, rep_error_t *err)
{
    snodo__reporting__report_filter__init (f);
    const Snodo__Reporting__ReportFilter *in = req->filter;
    if (in)
        *f = *in;
    if (s_check_year ("filter.to_year", f->to_year, err) || s_check_year ("filter.from_year", f->from_year, err)
    ||  s_check_year ("filter.baseline_year", f->baseline_year, err))
        return -1;
    if (!f->to_year)
        f->to_year = (uint32_t) s_this_year ();
    if (!f->from_year)
        f->from_year = f->to_year - 4 < FIRST_YEAR ? FIRST_YEAR : f->to_year - 4;
    if (f->from_year > f->to_year)
        return s_invalid (err, "filter.from_year", "%u is after filter.to_year (%u)", f->from_year, f->to_year);
    if (f->to_year - f->from_year >= MAX_YEARS)
        return s_invalid (err, "filter.from_year", "at most %d years at once (%u asked)", MAX_YEARS,
                          f->to_year - f->from_year + 1);
    if (!f->baseline_year)
        f->baseline_year = f->from_year;
    if (f->baseline_year > f->to_year)
        return s_invalid (err, "filter.baseline_year", "%u is after filter.to_year (%u)", f->baseline_year,
                          f->to_year);
    bool known = !f->ambito || !*f->ambito;
    for (int i = 0; s_ambiti [i] && !known; i++)
        known = strcmp (f->ambito, s_ambiti [i]) == 0;
    if (!known)
        return s_invalid (err, "filter.ambito", "unknown ambito \"%.32s\" (est, sud, ovest, nord, urbano)",
                          f->ambito);
    sn_member_info_t member;
    if (f->referring_member_id && *f->referring_member_id && viewer->members
    &&  !sn_auth_lookup (viewer->members, f->referring_member_id, &member))
        return s_invalid (err, "filter.referring_member_id", "unknown member \"%.64s\"",
                          f->referring_member_id);
    if (f->scope > SNODO__REPORTING__SCOPE__SCOPE_OWN)
        return s_invalid (err, "filter.scope", "%d is not a scope (1 network, 2 own)", (int) f->scope);
    if (req->lang && *req->lang && strcmp (req->lang, "it") && strcmp (req->lang, "en"))
        return s_invalid (err, "lang", "unknown language \"%.16s\" (it, en)", req->lang);
    if (f->scope == SNODO__REPORTING__SCOPE__SCOPE_UNSPECIFIED)
        f->scope = SNODO__REPORTING__SCOPE__SCOPE_NETWORK;
    return 0;
}

int
rep_ctx_db_error (rep_ctx_t *ctx, const char *what)
{
    ctx->err->code = PQstatus (ctx->db) == CONNECTION_OK ? CODE (INTERNAL) : CODE (UNAVAILABLE);
    ctx->err->field [0] = 0;
    snprintf (ctx->err->message, sizeof ctx->err->message, "could not %s: %s", what, PQerrorMessage (ctx->db));
    return -1;
}

static void
s_key (char *out, size_t size, int ind, int year, char dim, const char *value)
{
    snprintf (out, size, "%d|%d|%c|%s", ind, year, dim, value);
}

//  The network's margins, or the viewer's own cube grouped the same way.
static const char s_network_sql [] =
    "SELECT ind, year, dim, value, n, s1, s2, s3 FROM margin "
    "WHERE ind = ANY ($1::smallint []) AND ($2::smallint [] = '{}' OR year = ANY ($2::smallint []))";
static const char s_own_sql [] =
    "WITH c AS (SELECT * FROM cube WHERE referring = $3 AND ind = ANY ($1::smallint []) "
    "  AND ($2::smallint [] = '{}' OR year = ANY ($2::smallint [])) AND ($4 = '' OR ambito = $4)) "
    "SELECT ind, year, 'a', ambito, sum (n), sum (s1), sum (s2), sum (s3) FROM c GROUP BY 1, 2, 4 "
    "UNION ALL SELECT ind, year, 'c', category::text, sum (n), sum (s1), sum (s2), sum (s3) FROM c GROUP BY 1, 2, 4 "
    "UNION ALL SELECT ind, year, 'r', referring, sum (n), sum (s1), sum (s2), sum (s3) FROM c GROUP BY 1, 2, 4 "
    "UNION ALL SELECT ind, year, 's', code, sum (n), sum (s1), sum (s2), sum (s3) FROM c GROUP BY 1, 2, 4 "
    "UNION ALL SELECT ind, year, 't', '', sum (n), sum (s1), sum (s2), sum (s3) FROM c GROUP BY 1, 2";

int
rep_ctx_load (rep_ctx_t *ctx, const int *inds, size_t n, const int *years, size_t n_years)
{
    sn_array_t ind_list = SN_ARRAY_INIT, year_list = SN_ARRAY_INIT;
    for (size_t i = 0; i < n; i++)
        sn_array_int (&ind_list, inds [i]);
    for (size_t i = 0; i < n_years; i++)
        sn_array_int (&year_list, years [i]);
    const char *params [4] = {sn_array_end (&ind_list), sn_array_end (&year_list), ctx->viewer->member_id,
                              ctx->filter.ambito ? ctx->filter.ambito : ""};
    PGresult *res = PQexecParams (ctx->db, ctx->own ? s_own_sql : s_network_sql, ctx->own ? 4 : 2, NULL, params,
                                  NULL, NULL, 0);
    int rc = 0;
    if (PQresultStatus (res) != PGRES_TUPLES_OK)
        rc = rep_ctx_db_error (ctx, "read the aggregates");
    for (int r = 0; rc == 0 && r < PQntuples (res); r++) {
        char key [160];
        const char *value = PQgetvalue (res, r, 3);
        char dim = PQgetvalue (res, r, 2) [0];
        //  a value not given (a pathway without ambito) has a key of its own
        s_key (key, sizeof key, atoi (PQgetvalue (res, r, 0)), n_years ? atoi (PQgetvalue (res, r, 1)) : 0, dim,
               *value || dim == 't' ? value : "-");
        rep_sums_t *sums = (rep_sums_t *) zhashx_lookup (ctx->sums, key);
        if (!sums) {
            sums = (rep_sums_t *) zmalloc (sizeof (rep_sums_t));
            zhashx_insert (ctx->sums, key, sums);
        }
        sums->n += atoll (PQgetvalue (res, r, 4));
        sums->s1 += atoll (PQgetvalue (res, r, 5));
        sums->s2 += atoll (PQgetvalue (res, r, 6));
        sums->s3 += atoll (PQgetvalue (res, r, 7));
    }
    PQclear (res);
    sn_array_free (&ind_list);
    sn_array_free (&year_list);
    return rc;
}

rep_sums_t
rep_ctx_sums (rep_ctx_t *ctx, int ind, int year, char dim, const char *value)
{
    char key [160];
    s_key (key, sizeof key, ind, year, dim, value);
    rep_sums_t *sums = (rep_sums_t *) zhashx_lookup (ctx->sums, key);
    rep_sums_t zero = {0, 0, 0, 0};
    return sums ? *sums : zero;
}

static int
s_compare_values (const void *a, const void *b)
{
    return strcmp ((const char *) a, (const char *) b);
}

zlistx_t *
rep_ctx_values (rep_ctx_t *ctx, char dim, const int *inds, size_t n)
{
    zlistx_t *values = zlistx_new ();
    zlistx_set_destructor (values, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (values, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (values, (zlistx_comparator_fn *) s_compare_values);
    for (int i = 0; dim == 'a' && s_ambiti [i]; i++)
        zlistx_add_end (values, (void *) s_ambiti [i]);
    zlistx_t *keys = zhashx_keys (ctx->sums);
    zlistx_t *others = zlistx_new ();
    zlistx_set_destructor (others, (zlistx_destructor_fn *) zstr_free);
    zlistx_set_duplicator (others, (zlistx_duplicator_fn *) strdup);
    zlistx_set_comparator (others, (zlistx_comparator_fn *) s_compare_values);
    for (const char *key = (const char *) zlistx_first (keys); key; key = (const char *) zlistx_next (keys)) {
        int ind = atoi (key);
        const char *d = strchr (strchr (key, '|') + 1, '|') + 1;
        bool wanted = false;
        for (size_t i = 0; i < n && !wanted; i++)
            wanted = inds [i] == ind;
        if (wanted && *d == dim && !zlistx_find (values, (void *) (d + 2)) && !zlistx_find (others, (void *) (d + 2)))
            zlistx_add_end (others, (void *) (d + 2));
    }
    zlistx_sort (others);
    for (const char *v = (const char *) zlistx_first (others); v; v = (const char *) zlistx_next (others))
        zlistx_add_end (values, (void *) v);
    zlistx_destroy (&others);
    zlistx_destroy (&keys);
    return values;
}

//  --- tables --------------------------------------------------------------------

Snodo__Reporting__Table *
rep_table_add (rep_ctx_t *ctx, const char *id, const char *title, const char *unit)
{
    Snodo__Reporting__Report *r = ctx->report;
    Snodo__Reporting__Table *t = (Snodo__Reporting__Table *) zmalloc (sizeof *t);
    snodo__reporting__table__init (t);
    t->id = strdup (id);
    t->title = strdup (title);
    t->unit = strdup (rep_label (unit, ctx->en));
    t->suppressed = !ctx->own;
    r->tables = (Snodo__Reporting__Table **) realloc (r->tables, (r->n_tables + 1) * sizeof (void *));
    r->tables [r->n_tables++] = t;
    return t;
}

void
rep_table_column (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *key)
{
    t->columns = (char **) realloc (t->columns, (t->n_columns + 1) * sizeof (char *));
    t->column_labels = (char **) realloc (t->column_labels, (t->n_column_labels + 1) * sizeof (char *));
    t->columns [t->n_columns++] = strdup (key);
    t->column_labels [t->n_column_labels++] = strdup (rep_label (key, ctx->en));
}

Snodo__Reporting__Row *
rep_table_row (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *key)
{
    Snodo__Reporting__Row *row = (Snodo__Reporting__Row *) zmalloc (sizeof *row);
    snodo__reporting__row__init (row);
    row->key = strdup (key);
    row->label = strdup (rep_label (key, ctx->en));
    t->rows = (Snodo__Reporting__Row **) realloc (t->rows, (t->n_rows + 1) * sizeof (void *));
    t->rows [t->n_rows++] = row;
    return row;
}

static Snodo__Reporting__Value *
s_append (Snodo__Reporting__Row *row)
{
    Snodo__Reporting__Value *v = (Snodo__Reporting__Value *) zmalloc (sizeof *v);
    snodo__reporting__value__init (v);
    row->values = (Snodo__Reporting__Value **) realloc (row->values, (row->n_values + 1) * sizeof (void *));
    row->values [row->n_values++] = v;
    return v;
}

Snodo__Reporting__Value *
rep_row_value (rep_ctx_t *ctx, Snodo__Reporting__Row *row, double value, int a, int b, int c)
{
    Snodo__Reporting__Value *v = s_append (row);
    v->value = value;
    if (a < 0 && b < 0 && c < 0)
        return v;
    if (ctx->n_bindings == ctx->max_bindings) {
        ctx->max_bindings = ctx->max_bindings ? ctx->max_bindings * 2 : 256;
        ctx->bindings = (rep_binding_t *) realloc (ctx->bindings, ctx->max_bindings * sizeof (rep_binding_t));
    }
    ctx->bindings [ctx->n_bindings++] = (rep_binding_t) {v, {a, b, c}};
    return v;
}

void
rep_row_empty (Snodo__Reporting__Row *row)
{
    s_append (row)->empty = true;
}

//  Decides what is hidden and hides it in the tables (not in one's own view).
static void
s_suppress (rep_ctx_t *ctx)
{
    if (ctx->own)
        return;
    rep_release_protect (ctx->release);
    for (size_t i = 0; i < ctx->n_bindings; i++) {
        rep_binding_t *b = &ctx->bindings [i];
        bool hidden = false;
        for (int k = 0; k < 3; k++)
            hidden |= b->cells [k] >= 0 && rep_release_hidden (ctx->release, b->cells [k]);
        if (hidden && !b->value->hidden) {
            b->value->hidden = true;
            b->value->value = 0;
            b->value->empty = false;
            ctx->report->hidden++;
        }
    }
}

static int
s_build (rep_ctx_t *ctx, rep_kind_t kind, zlistx_t *persons)
{
    switch (kind) {
        case REP_INDICATORS: return rep_build_indicators (ctx);
        case REP_OUTCOMES: return rep_build_outcomes (ctx);
        case REP_STANDARDS: return rep_build_standards (ctx);
        case REP_NETWORK: return rep_build_network (ctx);
        case REP_PATHWAYS: return rep_build_pathways (ctx, persons);
    }
    return -1;
}

Snodo__Reporting__Report *
rep_report_build (PGconn *db, rep_kind_t kind, const Snodo__Reporting__ReportRequest *req,
                  const rep_viewer_t *viewer, zlistx_t **persons, rep_error_t *err)
{
    memset (err, 0, sizeof *err);
    rep_ctx_t ctx = {.db = db, .viewer = viewer, .err = err};
    if (s_resolve (req, viewer, &ctx.filter, err))
        return NULL;
    ctx.own = ctx.filter.scope == SNODO__REPORTING__SCOPE__SCOPE_OWN || kind == REP_PATHWAYS;
    ctx.en = req->lang && strcmp (req->lang, "en") == 0;
    ctx.sums = zhashx_new ();
    zhashx_set_destructor (ctx.sums, (zhashx_destructor_fn *) zstr_free);
    ctx.release = rep_release_new (viewer->threshold ? viewer->threshold : 5);
    Snodo__Reporting__Report *report = ctx.report = (Snodo__Reporting__Report *) zmalloc (sizeof *report);
    snodo__reporting__report__init (report);
    report->kind = strdup (rep_kind_name (kind));
    report->threshold = viewer->threshold;
    report->member_id = strdup (viewer->member_id);
    report->generated_at = zclock_time ();
    report->filter = (Snodo__Reporting__ReportFilter *) zmalloc (sizeof *report->filter);
    *report->filter = ctx.filter;
    report->filter->ambito = strdup (ctx.filter.ambito ? ctx.filter.ambito : "");
    report->filter->referring_member_id = strdup (ctx.filter.referring_member_id ? ctx.filter.referring_member_id : "");
    if (ctx.own)
        report->filter->scope = SNODO__REPORTING__SCOPE__SCOPE_OWN;
    if (persons) {
        *persons = zlistx_new ();
        zlistx_set_destructor (*persons, (zlistx_destructor_fn *) zstr_free);
        zlistx_set_duplicator (*persons, (zlistx_duplicator_fn *) strdup);
    }
    if (s_build (&ctx, kind, persons ? *persons : NULL) == 0)
        s_suppress (&ctx);
    else {
        protobuf_c_message_free_unpacked (&report->base, NULL);
        report = NULL;
    }
    free (ctx.bindings);
    rep_release_destroy (&ctx.release);
    zhashx_destroy (&ctx.sums);
    return report;
}
