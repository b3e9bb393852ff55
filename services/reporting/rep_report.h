/*  rep_report: the reports, built from the reporting schema's aggregates.

    One function per report kind answers a ReportRequest for a viewer: the
    network's figures with small counts suppressed (rep_release), or the
    viewer's own pathways in detail. The bus handlers (reporting.c) and the
    dashboard (rep_web.c) call the same functions, so both give the same
    figures. See docs/reporting.md for every measure. */
#ifndef REP_REPORT_H_INCLUDED
#define REP_REPORT_H_INCLUDED

#include "reporting.pb-c.h"
#include "envelope.pb-c.h"
#include "sn_auth.h"
#include <czmq.h>
#include <libpq-fe.h>
#include <stdbool.h>

//  The measures of the schema (sql/001_reporting.sql names them too).
enum {
    REP_PERSONS_PLACED = 1, REP_WORK_PLACEMENTS = 2, REP_SOCIAL_PLACEMENTS = 3,
    REP_PROTECTED_WORKSHOPS = 4, REP_POVERTY_INCLUSION = 5, REP_POVERTY_REINSERTION = 6,
    REP_REFERRED = 10, REP_HIRED = 11, REP_RETURNED = 12, REP_INTERRUPTED = 13, REP_OPEN = 14,
    REP_HIRED_20H = 15,
    REP_STD_WITHIN = 20, REP_STD_BELOW = 21, REP_STD_ABOVE = 22,
    REP_STATE_BASE = 30,            //  + the pathway state, 1-9
    REP_OVERDUE = 40,
};

typedef enum {
    REP_INDICATORS, REP_OUTCOMES, REP_STANDARDS, REP_NETWORK, REP_PATHWAYS
} rep_kind_t;

//  Who asks: the member (its id and kind), and the settings of the service.
typedef struct {
    const char *member_id;
    int member_kind;                //  snodo.MemberKind
    uint32_t threshold;             //  counts 1..threshold hidden outside their owner
    sn_auth_t *members;             //  to check a referring member named in a filter (may be NULL)
} rep_viewer_t;

//  Why a report could not be made: a bad field (code INVALID_ARGUMENT, field
//  set) or the database (INTERNAL/UNAVAILABLE, field empty).
typedef struct {
    int code;                       //  snodo.Code
    char field [64];
    char message [256];
} rep_error_t;

//  The member kinds that may see reports: the public bodies and the region,
//  and the operators. Cooperatives, companies and services may not.
bool rep_kind_may_report (int member_kind);

//  Builds a report of kind for the viewer. Checks the request first (years,
//  ambito, referring member, scope, language). Returns the report (caller
//  frees with protobuf_c_message_free_unpacked), or NULL with err filled.
//  For REP_PATHWAYS every person listed is added to *persons (caller
//  destroys the list; may be NULL), for the audit trail.
Snodo__Reporting__Report *rep_report_build (PGconn *db, rep_kind_t kind,
                                            const Snodo__Reporting__ReportRequest *req,
                                            const rep_viewer_t *viewer, zlistx_t **persons,
                                            rep_error_t *err);

//  The kind named ("indicators", "outcomes", "standards", "network",
//  "pathways"). Returns 0, or -1 when it is none of them.
int rep_kind_parse (const char *name, rep_kind_t *kind);
const char *rep_kind_name (rep_kind_t kind);

//  A label in the language (en true: English, else Italian) for a key of
//  the reports ("persons_placed", "CATEGORY_DRUG_ADDICTION", "est", ...);
//  the key itself when there is none. Never NULL.
const char *rep_label (const char *key, bool en);

#endif
