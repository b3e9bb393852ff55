/*  rep_ctx: what building one report holds (private to rep_report.c and
    rep_tables.c). A report's tables are built with every count a cell of
    one release; once they are all there, the release decides what is
    hidden, and each value bound to cells is hidden with them. */
#ifndef REP_CTX_H_INCLUDED
#define REP_CTX_H_INCLUDED

#include "rep_release.h"
#include "rep_report.h"

#define MAX_REPORT_YEARS 22         //  20 years and a baseline before them

typedef struct {
    int64_t n, s1, s2, s3;          //  a count and its sums (see the schema)
} rep_sums_t;

typedef struct {
    Snodo__Reporting__Value *value; //  in the report
    int cells [3];                  //  hidden if any of these is (-1: none)
} rep_binding_t;

typedef struct {
    PGconn *db;
    const rep_viewer_t *viewer;
    Snodo__Reporting__ReportFilter filter;  //  resolved: defaults filled in
    bool own;                       //  the viewer's own pathways: nothing hidden
    bool en;                        //  English labels
    zhashx_t *sums;                 //  "ind|year|dim|value" -> rep_sums_t, as loaded
    rep_release_t *release;         //  the report's counts
    rep_binding_t *bindings;
    size_t n_bindings, max_bindings;
    Snodo__Reporting__Report *report;
    rep_error_t *err;
} rep_ctx_t;

//  Loads the sums of the measures inds [n] for the years (n_years 0: every
//  year, added up as year 0) into ctx->sums: the network's margins, or the viewer's own cube.
//  Returns 0, or -1 with ctx->err filled.
int rep_ctx_load (rep_ctx_t *ctx, const int *inds, size_t n, const int *years, size_t n_years);

//  The sums loaded for (ind, year, dim, value); zeros when none.
rep_sums_t rep_ctx_sums (rep_ctx_t *ctx, int ind, int year, char dim, const char *value);

//  The distinct values of dim loaded for any of inds, sorted (the five
//  ambiti always first for 'a'). Caller destroys.
zlistx_t *rep_ctx_values (rep_ctx_t *ctx, char dim, const int *inds, size_t n);

//  A new table in the report, with the label of its title key.
Snodo__Reporting__Table *rep_table_add (rep_ctx_t *ctx, const char *id, const char *title, const char *unit);
void rep_table_column (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *key);
Snodo__Reporting__Row *rep_table_row (rep_ctx_t *ctx, Snodo__Reporting__Table *t, const char *key);

//  Appends a value to a row, hidden when any of the cells a, b, c is (-1
//  for none). Returns it.
Snodo__Reporting__Value *rep_row_value (rep_ctx_t *ctx, Snodo__Reporting__Row *row, double value,
                                        int a, int b, int c);
//  Appends a value with nothing to measure (a mean over no one).
void rep_row_empty (Snodo__Reporting__Row *row);

//  The builders of each kind (rep_tables.c). Return 0, or -1 with ctx->err.
int rep_build_indicators (rep_ctx_t *ctx);
int rep_build_outcomes (rep_ctx_t *ctx);
int rep_build_standards (rep_ctx_t *ctx);
int rep_build_network (rep_ctx_t *ctx);
int rep_build_pathways (rep_ctx_t *ctx, zlistx_t *persons);

//  Sets ctx->err to a database failure. Returns -1.
int rep_ctx_db_error (rep_ctx_t *ctx, const char *what);

#endif
