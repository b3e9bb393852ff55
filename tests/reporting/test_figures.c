/*  The reporting service's figures on a fixed data set, against answers
    worked out by hand below; suppression (primary, complementary in rows,
    columns and linked tables); and an attacker that tries to recover every
    hidden count from what a report publishes and must fail. Events go
    straight into reporting_apply on a real PostgreSQL, in the order the
    test chooses (persons after their pathways too). */
#include "testsupport.h"
#include "reporting.h"
#include "rep_release.h"
#include "monitoring.pb-c.h"
#include <criterion/criterion.h>
#include <math.h>
#include <string.h>

#define CAT(x) SNODO__REGISTRY__CATEGORY__CATEGORY_##x
#define KIND(x) SNODO__MONITORING__PATHWAY_KIND__PATHWAY_KIND_##x
#define ST(x) SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_##x
#define OUT(x) SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_##x

static char *dbname;
static PGconn *db;
static uint64_t seq;

static void
setup (void)
{
    dbname = ts_db_create ("repfig");
    char *conninfo = ts_conninfo (dbname, "reporting");
    char err [256];
    db = sn_store_connect (conninfo, "reporting", err, sizeof err);
    cr_assert_not_null (db, "%s", err);
    cr_assert_eq (sn_store_migrate (db, "reporting", reporting_migrations, err, sizeof err), 0, "%s", err);
    free (conninfo);
    seq = 0;
}

static void
teardown (void)
{
    PQfinish (db);
    ts_db_drop (dbname);
    free (dbname);
}

TestSuite (figures, .init = setup, .fini = teardown, .timeout = 120);

//  Applies one event, in its own transaction, as the subscriber does.
static void
s_apply (const char *type, const ProtobufCMessage *body)
{
    size_t size = protobuf_c_message_get_packed_size (body);
    uint8_t *data = (uint8_t *) malloc (size + 1);
    protobuf_c_message_pack (body, data);
    Snodo__Event event = SNODO__EVENT__INIT;
    event.source = strncmp (type, "registry", 8) == 0 ? "registry" : "monitoring";
    event.seq = ++seq;
    event.type = (char *) type;
    event.body.data = data;
    event.body.len = size;
    free (ts_sql (db, "BEGIN"));
    cr_assert_eq (reporting_apply (db, &event, NULL), 0, "%s", type);
    free (ts_sql (db, "COMMIT"));
    free (data);
}

static void
s_person (const char *id, Snodo__Registry__Category a, Snodo__Registry__Category b)
{
    Snodo__Registry__Person p = SNODO__REGISTRY__PERSON__INIT;
    Snodo__Registry__Category categories [2] = {a, b};
    p.id = (char *) id;
    p.categories = categories;
    p.n_categories = b ? 2 : 1;
    s_apply ("registry.person.created", &p.base);
}

typedef struct {
    const char *id, *person, *referring, *ambito, *referred, *start;
    int kind, state, outcome;
    const char *closed;
    uint32_t hours;
} s_pathway_t;

static void
s_pathway (const s_pathway_t *w)
{
    Snodo__Monitoring__Pathway p = SNODO__MONITORING__PATHWAY__INIT;
    Snodo__Monitoring__Outcome o = SNODO__MONITORING__OUTCOME__INIT;
    p.id = (char *) w->id;
    p.person_id = (char *) w->person;
    p.state = w->state;
    p.kind = w->kind;
    p.referring_member_id = (char *) w->referring;
    p.ambito = (char *) w->ambito;
    p.referred_on = (char *) w->referred;
    p.start_date = (char *) (w->start ? w->start : "");
    if (w->outcome) {
        o.kind = w->outcome;
        o.date = (char *) w->closed;
        o.weekly_hours = w->hours;
        p.outcome = &o;
    }
    //  the pathway goes through its states as monitoring would tell of them
    p.state = ST (REFERRED);
    s_apply ("monitoring.pathway.referred", &p.base);
    p.state = w->state;
    s_apply (w->state == ST (CLOSED) ? "monitoring.pathway.closed" : "monitoring.pathway.active", &p.base);
}

static void
s_delivery (const char *pathway, const char *code, double hours)
{
    Snodo__Monitoring__ServiceDelivery d = SNODO__MONITORING__SERVICE_DELIVERY__INIT;
    d.pathway_id = (char *) pathway;
    d.code = (char *) code;
    d.hours = hours;
    d.delivered_on = "2023-01-01";
    s_apply ("monitoring.service.delivered", &d.base);
}

static void
s_meeting (const char *type, const char *pathway, uint32_t number)
{
    Snodo__Monitoring__Meeting m = SNODO__MONITORING__MEETING__INIT;
    m.pathway_id = (char *) pathway;
    m.number = number;
    s_apply (type, &m.base);
}

#define P1 "11111111-0000-4000-8000-000000000001"
#define P2 "11111111-0000-4000-8000-000000000002"
#define P3 "11111111-0000-4000-8000-000000000003"
#define P4 "11111111-0000-4000-8000-000000000004"
#define P5 "11111111-0000-4000-8000-000000000005"
#define WA "22222222-0000-4000-8000-00000000000a"
#define WB "22222222-0000-4000-8000-00000000000b"
#define WC "22222222-0000-4000-8000-00000000000c"
#define WD "22222222-0000-4000-8000-00000000000d"
#define WE "22222222-0000-4000-8000-00000000000e"
#define WF "22222222-0000-4000-8000-00000000000f"
#define WG "22222222-0000-4000-8000-000000000010"

//  The fixed data set. P4's person event comes after its pathways: the
//  figures must not depend on which source spoke first.
static void
s_data_set (void)
{
    s_person (P1, CAT (PHYSICAL_DISABILITY), 0);
    s_person (P2, CAT (DRUG_ADDICTION), 0);
    s_person (P3, CAT (POVERTY_RISK), 0);
    s_person (P5, CAT (PHYSICAL_DISABILITY), 0);
    static const s_pathway_t pathways [] = {
        {WA, P1, "ass6-sil", "est", "2022-01-10", "2022-03-01", KIND (JOB_PLACEMENT), ST (CLOSED), OUT (HIRED), "2022-09-01", 25},
        {WB, P1, "ass6-sil", "est", "2022-10-01", "2022-11-15", KIND (INTERNSHIP), ST (ACTIVE), 0, NULL, 0},
        {WC, P2, "ass6-sil", "sud", "2023-02-01", "2023-04-01", KIND (WORKSHOP_PROTECTED), ST (CLOSED), OUT (RETURNED), "2023-12-01", 0},
        {WD, P3, "ass6-sil", "est", "2023-05-05", "2023-06-01", KIND (TUTORING), ST (CLOSED), OUT (HIRED), "2024-01-15", 15},
        {WE, P4, "ass6-sil", "sud", "2023-07-01", NULL, KIND (INTERNSHIP), ST (MATCHING), 0, NULL, 0},
        {WF, P4, "ass6-sil", "sud", "2022-03-01", NULL, KIND (WORKSHOP_OBSERVATIONAL), ST (CLOSED), OUT (INTERRUPTED), "2022-06-01", 0},
        {WG, P5, "ssc-est", "est", "2024-02-01", NULL, KIND (JOB_PLACEMENT), ST (REFERRED), 0, NULL, 0},
    };
    for (size_t i = 0; i < sizeof pathways / sizeof pathways [0]; i++)
        s_pathway (&pathways [i]);
    s_person (P4, CAT (MENTAL_DISABILITY), CAT (POVERTY_RISK));
    s_delivery (WB, "3Bc", 30);
    s_delivery (WB, "3Bc", 25);
    s_delivery (WC, "3Bd", 60);
    s_delivery (WD, "3Bb", 40);
    s_delivery (WE, "3Bc", 10);
    s_meeting ("monitoring.meeting.overdue", WB, 1);
    s_meeting ("monitoring.meeting.overdue", WB, 2);
    s_meeting ("monitoring.meeting.overdue", WD, 3);       //  closed: not counted
    s_meeting ("monitoring.meeting.recorded", WB, 1);
}

static Snodo__Reporting__Report *
s_report (rep_kind_t kind, const char *member, int scope, uint32_t from, uint32_t to, uint32_t threshold)
{
    Snodo__Reporting__ReportFilter f = SNODO__REPORTING__REPORT_FILTER__INIT;
    f.from_year = from;
    f.to_year = to;
    f.scope = scope;
    Snodo__Reporting__ReportRequest req = SNODO__REPORTING__REPORT_REQUEST__INIT;
    req.filter = &f;
    rep_viewer_t viewer = {member, SNODO__MEMBER_KIND__MEMBER_KIND_SIL, threshold, NULL};
    rep_error_t err;
    Snodo__Reporting__Report *r = rep_report_build (db, kind, &req, &viewer, NULL, &err);
    cr_assert_not_null (r, "%s: %s", err.field, err.message);
    return r;
}

//  A value of a report's table by row and column key; fails if absent.
static const Snodo__Reporting__Value *
s_value (const Snodo__Reporting__Report *r, const char *table, const char *row, const char *column)
{
    for (size_t t = 0; t < r->n_tables; t++) {
        const Snodo__Reporting__Table *tab = r->tables [t];
        if (strcmp (tab->id, table))
            continue;
        for (size_t c = 0; c < tab->n_columns; c++)
            for (size_t i = 0; i < tab->n_rows && !strcmp (tab->columns [c], column); i++)
                if (strcmp (tab->rows [i]->key, row) == 0)
                    return tab->rows [i]->values [c];
    }
    cr_assert_fail ("no %s [%s][%s]", table, row, column);
    return NULL;
}

static void
s_expect (const Snodo__Reporting__Report *r, const char *table, const char *row, const char *column, double want)
{
    const Snodo__Reporting__Value *v = s_value (r, table, row, column);
    cr_expect (!v->hidden && fabs (v->value - want) < 0.05, "%s [%s][%s] = %g%s, expected %g", table, row, column,
               v->value, v->hidden ? " (hidden)" : "", want);
}

#define OWN SNODO__REPORTING__SCOPE__SCOPE_OWN
#define NETWORK SNODO__REPORTING__SCOPE__SCOPE_NETWORK

Test (figures, every_indicator_matches_the_answers_worked_out_by_hand)
{
    s_data_set ();
    Snodo__Reporting__Report *r = s_report (REP_INDICATORS, "ass6-sil", OWN, 2022, 2024, 5);
    //  persons placed: 2022 P1 once (A and B both started, A first, est);
    //  2023 P2 (sud, drug addiction) and P3 (est, poverty)
    s_expect (r, "summary", "persons_placed", "2022", 1);
    s_expect (r, "summary", "persons_placed", "2023", 2);
    s_expect (r, "summary", "persons_placed", "2024", 0);
    s_expect (r, "persons_placed.ambito", "2023", "est", 1);
    s_expect (r, "persons_placed.ambito", "2023", "sud", 1);
    s_expect (r, "persons_placed.category", "2023", "CATEGORY_DRUG_ADDICTION", 1);
    s_expect (r, "persons_placed.category", "2023", "CATEGORY_POVERTY_RISK", 1);
    //  work placements (internship, job placement started): A and B in 2022
    s_expect (r, "summary", "work_placements", "2022", 2);
    s_expect (r, "work_placements.ambito", "2022", "est", 2);
    s_expect (r, "summary", "work_placements", "2023", 0);
    //  social integration (observational workshop, tutoring started): D in 2023
    s_expect (r, "summary", "social_placements", "2023", 1);
    //  protected workshops: C in 2023, in sud
    s_expect (r, "summary", "protected_workshops", "2023", 1);
    s_expect (r, "protected_workshops.ambito", "2023", "sud", 1);
    //  poverty: P4 (its person event came last) inclusion by F in 2022,
    //  re-insertion by E in 2023, under its first category; P3 inclusion 2023
    s_expect (r, "summary", "poverty_inclusion", "2022", 1);
    s_expect (r, "poverty_inclusion.category", "2022", "CATEGORY_MENTAL_DISABILITY", 1);
    s_expect (r, "summary", "poverty_inclusion", "2023", 1);
    s_expect (r, "summary", "poverty_reinsertion", "2023", 1);
    s_expect (r, "poverty_reinsertion.ambito", "2023", "sud", 1);
    //  change on the baseline (2022): persons placed 0 in 2024: -100 %
    s_expect (r, "summary", "persons_placed", "change", -100);
    protobuf_c_message_free_unpacked (&r->base, NULL);
}

Test (figures, outcomes_standards_and_the_network_match_the_answers_worked_out_by_hand)
{
    s_data_set ();
    Snodo__Reporting__Report *r = s_report (REP_OUTCOMES, "ass6-sil", OWN, 2022, 2024, 5);
    //  referred 2022: A hired, B open, F interrupted; 2023: C returned, D hired, E open
    s_expect (r, "outcomes.mix", "2022", "hired", 1);
    s_expect (r, "outcomes.mix", "2022", "interrupted", 1);
    s_expect (r, "outcomes.mix", "2022", "open", 1);
    s_expect (r, "outcomes.mix", "2022", "total", 3);
    s_expect (r, "outcomes.mix", "2023", "returned", 1);
    s_expect (r, "outcomes.mix", "2024", "total", 0);      //  G is ssc-est's
    s_expect (r, "outcomes.measures", "2022", "share_hired", 100.0 / 3);
    s_expect (r, "outcomes.measures", "2022", "days_to_job", 234);     //  2022-01-10 to 2022-09-01
    s_expect (r, "outcomes.measures", "2023", "days_to_job", 255);     //  2023-05-05 to 2024-01-15
    s_expect (r, "outcomes.measures", "2022", "weekly_hours", 25);
    s_expect (r, "outcomes.measures", "2022", "share_20h", 100);
    s_expect (r, "outcomes.measures", "2023", "share_20h", 0);
    s_expect (r, "outcomes.hired.ambito", "2023", "est", 1);
    protobuf_c_message_free_unpacked (&r->base, NULL);

    r = s_report (REP_STANDARDS, "ass6-sil", OWN, 2022, 2024, 5);

    //  3Bc: B 55 h above 50, E 10 h within; 3Bd: C 60 h, closed, below 80; 3Bb: D within
    s_expect (r, "standards.pathways", "3Bc", "above", 1);
    s_expect (r, "standards.pathways", "3Bc", "within", 1);
    s_expect (r, "standards.pathways", "3Bd", "below", 1);
    s_expect (r, "standards.pathways", "3Bb", "within", 1);
    s_expect (r, "standards.hours", "3Bc", "mean_hours", 32.5);
    s_expect (r, "standards.hours", "3Bc", "total_hours", 65);
    protobuf_c_message_free_unpacked (&r->base, NULL);

    r = s_report (REP_NETWORK, "ass6-sil", OWN, 0, 0, 5);
    s_expect (r, "network.states", "total", "PATHWAY_STATE_CLOSED", 4);
    s_expect (r, "network.states", "est", "PATHWAY_STATE_ACTIVE", 1);
    s_expect (r, "network.states", "sud", "PATHWAY_STATE_MATCHING", 1);
    //  B's meeting 2 is still overdue; 1 was recorded; D's is closed
    s_expect (r, "network.overdue.ambito", "est", "overdue", 1);
    s_expect (r, "network.overdue.ambito", "total", "overdue", 1);
    protobuf_c_message_free_unpacked (&r->base, NULL);

    r = s_report (REP_PATHWAYS, "ass6-sil", OWN, 2022, 2024, 5);
    cr_assert_eq (r->n_pathways, 6);
    bool finding = false;
    for (size_t i = 0; i < r->n_pathways; i++)
        if (strcmp (r->pathways [i]->pathway_id, WB) == 0) {
            cr_assert_eq (r->pathways [i]->n_findings, 1);
            cr_assert_str_eq (r->pathways [i]->findings [0], "3Bc: 55.00 h, ABOVE_MAX (0.00-50.00)");
            cr_assert_eq (r->pathways [i]->overdue_meetings, 1);
            finding = true;
        }
    cr_assert (finding);
    protobuf_c_message_free_unpacked (&r->base, NULL);
}

Test (figures, a_person_changing_category_moves_its_pathways_between_cells)
{
    s_data_set ();
    s_person (P1, CAT (SENSORY_DISABILITY), 0);
    Snodo__Reporting__Report *r = s_report (REP_INDICATORS, "ass6-sil", OWN, 2022, 2022, 5);
    s_expect (r, "work_placements.category", "2022", "CATEGORY_SENSORY_DISABILITY", 2);
    s_expect (r, "work_placements.category", "2022", "CATEGORY_PHYSICAL_DISABILITY", 0);
    protobuf_c_message_free_unpacked (&r->base, NULL);
    //  and the aggregates equal a recomputation from the rows, whatever happened
    char *diff = ts_sql (db,
        "SELECT count (*) FROM ((SELECT ind, year, ambito, referring, category, code, sum (n), sum (s1), sum (s2), "
        "sum (s3) FROM contribution GROUP BY 1, 2, 3, 4, 5, 6) EXCEPT (SELECT ind, year, ambito, referring, "
        "category, code, n, s1, s2, s3 FROM cube WHERE n <> 0 OR s1 <> 0 OR s2 <> 0 OR s3 <> 0)) d");
    cr_assert_str_eq (diff, "0");
    free (diff);
}

//  --- suppression ------------------------------------------------------------------------

Test (suppression, primary_cells_and_their_complements_in_a_row)
{
    rep_release_t *r = rep_release_new (5);
    int a = rep_release_cell (r, 3), b = rep_release_cell (r, 12), c = rep_release_cell (r, 40),
        zero = rep_release_cell (r, 0), t = rep_release_cell (r, 55);
    int parts [] = {a, b, c, zero};
    rep_release_sum (r, t, parts, 4);
    rep_release_protect (r);
    cr_assert (rep_release_hidden (r, a), "3 is a primary cell");
    cr_assert (rep_release_hidden (r, b), "the smallest positive cell beside it is its complement");
    cr_assert_not (rep_release_hidden (r, c));
    cr_assert_not (rep_release_hidden (r, zero));
    cr_assert_not (rep_release_hidden (r, t));
    cr_assert_not (rep_release_determined (r, a));
    rep_release_destroy (&r);
}

Test (suppression, complements_in_columns_and_linked_tables)
{
    //  one year: by ambito (x1 3, x2 20) and by category (y1 2, y2 21), both
    //  adding up to the year's total (23), shared
    rep_release_t *r = rep_release_new (5);
    int t = rep_release_cell (r, 23);
    int x [] = {rep_release_cell (r, 3), rep_release_cell (r, 20)};
    int y [] = {rep_release_cell (r, 2), rep_release_cell (r, 21)};
    rep_release_sum (r, t, x, 2);
    rep_release_sum (r, t, y, 2);
    rep_release_protect (r);
    cr_assert (rep_release_hidden (r, x [0]) && rep_release_hidden (r, x [1]));
    cr_assert (rep_release_hidden (r, y [0]) && rep_release_hidden (r, y [1]));
    cr_assert_not (rep_release_hidden (r, t));
    //  a 2-by-2 table with its margins: a column's complement hides a row's cell too
    rep_release_t *m = rep_release_new (5);
    int c [2][2] = {{rep_release_cell (m, 2), rep_release_cell (m, 30)}, {rep_release_cell (m, 40), rep_release_cell (m, 50)}};
    int rows [2] = {rep_release_cell (m, 32), rep_release_cell (m, 90)};
    int cols [2] = {rep_release_cell (m, 42), rep_release_cell (m, 80)};
    int g = rep_release_cell (m, 122);
    for (int i = 0; i < 2; i++) {
        int row [2] = {c [i][0], c [i][1]}, col [2] = {c [0][i], c [1][i]};
        rep_release_sum (m, rows [i], row, 2);
        rep_release_sum (m, cols [i], col, 2);
    }
    rep_release_sum (m, g, rows, 2);
    rep_release_sum (m, g, cols, 2);
    rep_release_protect (m);
    for (int i = 0; i < 2; i++)
        for (int k = 0; k < 2; k++)
            cr_assert (rep_release_hidden (m, c [i][k]), "cell %d,%d must hide with the 2", i, k);
    for (size_t i = 0; i < rep_release_cells (m); i++)
        cr_assert_not (rep_release_determined (m, (int) i));
    rep_release_destroy (&m);
    rep_release_destroy (&r);
}

//  --- the attacker: every hidden count from what is published ------------------------------

#define MAX_VARS 512
#define MAX_EQS 512

typedef struct {
    char keys [MAX_VARS][96];       //  hidden cells, by a key that links tables
    size_t n;
    double a [MAX_EQS][MAX_VARS];   //  equations over them: a x = b
    double b [MAX_EQS];
    size_t rows;
} s_attack_t;

static int
s_var (s_attack_t *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++)
        if (strcmp (k->keys [i], key) == 0)
            return (int) i;
    cr_assert_lt (k->n, MAX_VARS);
    snprintf (k->keys [k->n], sizeof k->keys [0], "%s", key);
    return (int) k->n++;
}

//  One published sum: parts (key, value, hidden) add up to the total.
static void
s_equation (s_attack_t *k, const char **keys, const Snodo__Reporting__Value **values, size_t n, size_t total)
{
    cr_assert_lt (k->rows, MAX_EQS);
    memset (k->a [k->rows], 0, sizeof k->a [0]);
    k->b [k->rows] = 0;
    for (size_t i = 0; i < n; i++) {
        double sign = i == total ? -1 : 1;
        if (values [i]->hidden)
            k->a [k->rows][s_var (k, keys [i])] += sign;
        else
            k->b [k->rows] -= sign * values [i]->value;
    }
    k->rows++;
}

//  Bounds of each hidden cell from the equations and x >= 0, tightened until
//  they hold still; then elimination: a cell fixed by a combination of the
//  equations. Returns the first recovered cell's key, or NULL.
static const char *
s_recover (s_attack_t *k)
{
    static double lo [MAX_VARS], hi [MAX_VARS];
    for (size_t v = 0; v < k->n; v++) {
        lo [v] = 0;
        hi [v] = INFINITY;
    }
    for (int round = 0; round < 50; round++)
        for (size_t e = 0; e < k->rows; e++)
            for (size_t v = 0; v < k->n; v++) {
                if (k->a [e][v] == 0)
                    continue;
                //  a_v x_v = b - sum of the others: bound it by theirs
                double min = k->b [e], max = k->b [e];
                for (size_t w = 0; w < k->n; w++)
                    if (w != v && k->a [e][w] != 0) {
                        min -= k->a [e][w] > 0 ? k->a [e][w] * hi [w] : k->a [e][w] * lo [w];
                        max -= k->a [e][w] > 0 ? k->a [e][w] * lo [w] : k->a [e][w] * hi [w];
                    }
                double l = k->a [e][v] > 0 ? min / k->a [e][v] : max / k->a [e][v];
                double h = k->a [e][v] > 0 ? max / k->a [e][v] : min / k->a [e][v];
                if (l == l && l > lo [v])
                    lo [v] = l;
                if (h == h && h < hi [v])
                    hi [v] = h;
            }
    for (size_t v = 0; v < k->n; v++)
        if (hi [v] - lo [v] < 0.5)
            return k->keys [v];
    //  elimination
    static double m [MAX_EQS][MAX_VARS];
    memcpy (m, k->a, sizeof m);
    size_t rank = 0;
    int pivot [MAX_EQS];
    for (size_t c = 0; c < k->n && rank < k->rows; c++) {
        size_t best = rank;
        for (size_t r = rank; r < k->rows; r++)
            if (fabs (m [r][c]) > fabs (m [best][c]))
                best = r;
        if (fabs (m [best][c]) < 1e-9)
            continue;
        for (size_t w = 0; w < k->n; w++) {
            double t = m [rank][w];
            m [rank][w] = m [best][w] / 1.0;
            m [best][w] = t;
        }
        double p = m [rank][c];
        for (size_t w = 0; w < k->n; w++)
            m [rank][w] /= p;
        for (size_t r = 0; r < k->rows; r++)
            if (r != rank && fabs (m [r][c]) > 1e-12) {
                double f = m [r][c];
                for (size_t w = 0; w < k->n; w++)
                    m [r][w] -= f * m [rank][w];
            }
        pivot [rank++] = (int) c;
    }
    for (size_t r = 0; r < rank; r++) {
        bool alone = true;
        for (size_t w = 0; w < k->n && alone; w++)
            alone = (int) w == pivot [r] || fabs (m [r][w]) < 1e-9;
        if (alone)
            return k->keys [pivot [r]];
    }
    return NULL;
}

static const Snodo__Reporting__Table *
s_table (const Snodo__Reporting__Report *r, const char *id)
{
    for (size_t t = 0; t < r->n_tables; t++)
        if (strcmp (r->tables [t]->id, id) == 0)
            return r->tables [t];
    return NULL;
}

//  Every row of a table: its cells add up to its last column (the total),
//  keyed prefix|row|suffix, so that linked tables share it.
static void
s_table_equations (s_attack_t *k, const Snodo__Reporting__Table *t, const char *total_prefix, const char *suffix)
{
    for (size_t i = 0; i < t->n_rows; i++) {
        const Snodo__Reporting__Row *row = t->rows [i];
        if (strcmp (row->key, "total") == 0)
            continue;
        static char keys [64][96];
        const char *key_p [64];
        const Snodo__Reporting__Value *values [64];
        size_t n = row->n_values;
        cr_assert_lt (n, 64);
        for (size_t c = 0; c < n; c++) {
            if (c + 1 == n)
                snprintf (keys [c], sizeof keys [c], "%s|%s%s%s", total_prefix, row->key, suffix ? "|" : "",
                          suffix ? suffix : "");
            else
                snprintf (keys [c], sizeof keys [c], "%s|%s|%s", t->id, row->key, t->columns [c]);
            key_p [c] = keys [c];
            values [c] = row->values [c];
        }
        s_equation (k, key_p, values, n, n - 1);
    }
}

//  A network of many small counts: persons over four years, ambiti and
//  categories, several referring members.
static void
s_small_counts (void)
{
    const char *ambiti [] = {"est", "sud", "ovest", "nord", "urbano"};
    const char *referrers [] = {"ass6-sil", "ass6-dsm", "ass6-sert", "ssc-est"};
    int n = 0;
    for (int year = 2021; year <= 2024; year++)
        for (int i = 0; i < 40 + (year - 2021) * 7; i++, n++) {
            char person [37], pathway [37], referred [11], start [11], closed [11];
            snprintf (person, sizeof person, "33333333-0000-4000-8000-%012d", n);
            snprintf (pathway, sizeof pathway, "44444444-0000-4000-8000-%012d", n);
            //  skewed so that some cells are small: ambito by i^2, category by i/3
            s_person (person, (Snodo__Registry__Category) (1 + (i / 3) % 6), 0);
            snprintf (referred, sizeof referred, "%d-02-%02d", year, 1 + i % 27);
            snprintf (start, sizeof start, "%d-05-%02d", year, 1 + i % 27);
            snprintf (closed, sizeof closed, "%d-11-%02d", year, 1 + i % 27);
            int outcome = i % 4 == 0 ? OUT (HIRED) : i % 7 == 0 ? OUT (RETURNED) : i % 5 == 0 ? OUT (INTERRUPTED) : 0;
            s_pathway_t w = {pathway, person, referrers [(i * 7) % 4], ambiti [(i * i + year) % 5], referred, start,
                             1 + i % 5, outcome ? ST (CLOSED) : ST (ACTIVE), outcome, closed, (uint32_t) (10 + i % 20)};
            s_pathway (&w);
        }
}

Test (figures, no_hidden_count_is_recovered_from_what_a_report_publishes)
{
    s_small_counts ();
    Snodo__Reporting__Report *r = s_report (REP_INDICATORS, "admin", NETWORK, 2021, 2024, 5);
    cr_assert_gt (r->hidden, 10, "the data set has small counts: some must be hidden (%u)", r->hidden);
    static s_attack_t attack;
    memset (&attack, 0, sizeof attack);
    const char *indicators [] = {"persons_placed", "work_placements", "social_placements", "protected_workshops",
                                 "poverty_inclusion", "poverty_reinsertion"};
    const char *dims [] = {"ambito", "category", "referring"};
    for (int i = 0; i < 6; i++)
        for (int d = 0; d < 3; d++) {
            char id [96];
            snprintf (id, sizeof id, "%s.%s", indicators [i], dims [d]);
            const Snodo__Reporting__Table *t = s_table (r, id);
            cr_assert_not_null (t, "%s", id);
            s_table_equations (&attack, t, indicators [i], NULL);
        }
    //  (the summary's cells are those year totals: it publishes nothing more)
    const char *recovered = s_recover (&attack);
    cr_assert_null (recovered, "the hidden cell %s can be worked out from the published ones", recovered);
    protobuf_c_message_free_unpacked (&r->base, NULL);

    //  the outcomes: by outcome, referred by ambito and hired by ambito, linked
    r = s_report (REP_OUTCOMES, "admin", NETWORK, 2021, 2024, 5);
    cr_assert_gt (r->hidden, 0);
    memset (&attack, 0, sizeof attack);
    //  each row by outcome totals the referred; hired by ambito totals the mix's hired cell
    s_table_equations (&attack, s_table (r, "outcomes.mix"), "referred", NULL);
    s_table_equations (&attack, s_table (r, "outcomes.referred.ambito"), "referred", NULL);
    s_table_equations (&attack, s_table (r, "outcomes.hired.ambito"), "outcomes.mix", "hired");
    recovered = s_recover (&attack);
    cr_assert_null (recovered, "the hidden cell %s can be worked out from the published ones", recovered);
    protobuf_c_message_free_unpacked (&r->base, NULL);
}

Test (suppression, the_attacker_does_recover_a_cell_left_alone_in_its_row)
{
    //  the attacker must be able to win: a row with one hidden cell is open
    static s_attack_t attack;
    memset (&attack, 0, sizeof attack);
    Snodo__Reporting__Value a = SNODO__REPORTING__VALUE__INIT, b = a, t = a;
    a.hidden = true;
    b.value = 12;
    t.value = 15;
    const char *keys [] = {"a", "b", "t"};
    const Snodo__Reporting__Value *values [] = {&a, &b, &t};
    s_equation (&attack, keys, values, 3, 2);
    const char *recovered = s_recover (&attack);
    cr_assert_not_null (recovered);
    cr_assert_str_eq (recovered, "a");
}

//  --- many releases at once: each group of hidden cells protected on its own ---------------

typedef struct {
    rep_release_t *r;
    int totals [64], parts [64][16];        //  the sums added, for the attacker
    size_t n_parts [64], n_sums;
} s_release_t;

static void
s_release_sum (s_release_t *s, int total, const int *parts, size_t n)
{
    cr_assert (s->n_sums < 64 && n <= 16, "the test's release has room for its sums");
    rep_release_sum (s->r, total, parts, n);
    s->totals [s->n_sums] = total;
    memcpy (s->parts [s->n_sums], parts, n * sizeof (int));
    s->n_parts [s->n_sums++] = n;
}

//  A count: small (1-5) about one time in three, now and then 0.
static int64_t
s_count_at (unsigned *seed)
{
    int roll = rand_r (seed) % 10;
    return roll < 3 ? 1 + rand_r (seed) % 5 : roll == 3 ? 0 : 6 + rand_r (seed) % 60;
}

//  A table of rows x cols with its margins and grand total.
static void
s_release_table (s_release_t *s, int rows, int cols, unsigned *seed)
{
    int cell [3][3], row [3], col [3], grand = 0;
    int64_t value [3][3], row_sum [3] = {0}, col_sum [3] = {0}, all = 0;
    for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++) {
            value [i][j] = s_count_at (seed);
            row_sum [i] += value [i][j];
            col_sum [j] += value [i][j];
            all += value [i][j];
            cell [i][j] = rep_release_cell (s->r, value [i][j]);
        }
    for (int i = 0; i < rows; i++)
        row [i] = rep_release_cell (s->r, row_sum [i]);
    for (int j = 0; j < cols; j++)
        col [j] = rep_release_cell (s->r, col_sum [j]);
    grand = rep_release_cell (s->r, all);
    for (int i = 0; i < rows; i++)
        s_release_sum (s, row [i], cell [i], (size_t) cols);
    for (int j = 0; j < cols; j++) {
        int column [3];
        for (int i = 0; i < rows; i++)
            column [i] = cell [i][j];
        s_release_sum (s, col [j], column, (size_t) rows);
    }
    s_release_sum (s, grand, row, (size_t) rows);
    s_release_sum (s, grand, col, (size_t) cols);
}

//  One total broken down two ways (by ambito and by category, say): two
//  sums that share it.
static void
s_release_linked (s_release_t *s, unsigned *seed)
{
    int64_t a [4], b [4], total = 0;
    for (int i = 0; i < 4; i++)
        total += a [i] = s_count_at (seed);
    int64_t left = total;
    for (int i = 0; i < 3; i++) {
        b [i] = left ? rand_r (seed) % (left + 1) : 0;
        left -= b [i];
    }
    b [3] = left;
    int t = rep_release_cell (s->r, total), pa [4], pb [4];
    for (int i = 0; i < 4; i++) {
        pa [i] = rep_release_cell (s->r, a [i]);
        pb [i] = rep_release_cell (s->r, b [i]);
    }
    s_release_sum (s, t, pa, 4);
    s_release_sum (s, t, pb, 4);
}

Test (suppression, releases_of_many_tables_keep_every_hidden_cell_from_the_attacker)
{
    static s_attack_t attack;
    unsigned seed = 20261202;
    size_t hidden = 0;
    for (int round = 0; round < 60; round++) {
        s_release_t s;
        memset (&s, 0, sizeof s);
        s.r = rep_release_new (5);
        int tables = 2 + rand_r (&seed) % 4;
        for (int t = 0; t < tables; t++) {
            s_release_table (&s, 2 + rand_r (&seed) % 2, 2 + rand_r (&seed) % 2, &seed);
            if (rand_r (&seed) % 2)
                s_release_linked (&s, &seed);
        }
        rep_release_protect (s.r);
        for (size_t c = 0; c < rep_release_cells (s.r); c++) {
            int64_t v = rep_release_value (s.r, (int) c);
            cr_assert (v < 1 || v > 5 || rep_release_hidden (s.r, (int) c), "round %d: cell %zu (%lld) is published",
                       round, c, (long long) v);
        }
        hidden += rep_release_hidden_count (s.r);
        memset (&attack, 0, sizeof attack);
        for (size_t e = 0; e < s.n_sums; e++) {
            char keys [17][16];
            const char *key_p [17];
            Snodo__Reporting__Value values [17];
            const Snodo__Reporting__Value *value_p [17];
            size_t n = s.n_parts [e];
            for (size_t i = 0; i <= n; i++) {
                int cell = i < n ? s.parts [e][i] : s.totals [e];
                snprintf (keys [i], sizeof keys [i], "c%d", cell);
                snodo__reporting__value__init (&values [i]);
                values [i].hidden = rep_release_hidden (s.r, cell);
                values [i].value = values [i].hidden ? 0 : (double) rep_release_value (s.r, cell);
                key_p [i] = keys [i];
                value_p [i] = &values [i];
            }
            s_equation (&attack, key_p, value_p, n + 1, n);
        }
        const char *recovered = s_recover (&attack);
        cr_assert_null (recovered, "round %d: the hidden cell %s (%lld) can be worked out", round, recovered,
                        recovered ? (long long) rep_release_value (s.r, atoi (recovered + 1)) : 0LL);
        rep_release_destroy (&s.r);
    }
    cr_assert_gt (hidden, 200, "the releases have small counts to hide (%zu hidden)", hidden);
}
