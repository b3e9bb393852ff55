/*  The periodic review (confronto periodico, seed 000): mediations, work aids
    and adaptations as dated records, and each week's attendance against the
    agreement's weekly hours (UNDER, OVER, OK). */
#include "monitoring.h"
#include <math.h>
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))
#define WEEK(x) SNODO__MONITORING__WEEK_STATUS__WEEK_STATUS_##x
//  The longest range of weeks one call answers: ten years of days.
#define MAX_RANGE_DAYS 3660

//  AddIntervention: a mediation, aid or adaptation during the placement
//  (ACTIVE or SUSPENDED), not before its start nor in the future.
static int
s_add_intervention (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__AddInterventionRequest *req = (Snodo__Monitoring__AddInterventionRequest *) input;
    Snodo__Monitoring__Intervention *iv = req->intervention;
    if (!iv) {
        sn_call_violation (call, "intervention", "is required");
        return sn_call_invalid (call);
    }
    char today [11];
    mon_today (call, today);
    mon_check_past (call, "intervention.done_on", iv->done_on, true, today);
    sn_check_enum (call, "intervention.kind", &snodo__monitoring__intervention_kind__descriptor, iv->kind, true);
    sn_check_text (call, "intervention.by", iv->by, 200, true);
    sn_check_text (call, "intervention.what", iv->what, 4000, true);
    sn_check_text (call, "intervention.notes", iv->notes, 4000, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "intervention.pathway_id", iv->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (ACTIVE) | BIT (SUSPENDED), "AddIntervention");
    if (code == SNODO__CODE__OK) {
        mon_check_since_start (call, p, "intervention.done_on", iv->done_on);
        if (sn_call_violations (call))
            code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    sn_set_string (&iv->pathway_id, p->id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    char kind [8];
    snprintf (kind, sizeof kind, "%d", iv->kind);
    const char *params [7] = {iv->pathway_id, iv->done_on, kind, iv->by, iv->what, iv->notes,
                              sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the intervention",
        "INSERT INTO intervention (pathway_id, done_on, kind, done_by, what, notes, recorded_by) "
        "VALUES ($1, $2, $3::int, $4, $5, $6, $7)", 7, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    sn_set_string (&iv->recorded_by, sn_call_member_id (call));
    if (sn_call_event (call, "monitoring.intervention.recorded", iv->pathway_id, person, &iv->base))
        return sn_call_code (call);
    *output = &iv->base;
    req->intervention = NULL;       //  moved into the output
    return SNODO__CODE__OK;
}

//  ListInterventions: the pathway's interventions (of a kind, or all) in date order.
static int
s_list_interventions (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListInterventionsRequest *req = (const void *) input;
    sn_check_enum (call, "kind", &snodo__monitoring__intervention_kind__descriptor, req->kind, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    char id [40], kind [8];
    snprintf (id, sizeof id, "%s", p->id);
    snprintf (kind, sizeof kind, "%d", req->kind);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [2] = {id, kind};
    PGresult *res = sn_call_query (call, "listing the interventions",
        "SELECT done_on::text, kind, done_by, what, notes, recorded_by FROM intervention WHERE pathway_id = $1 "
        "AND ($2::int = 0 OR kind = $2::int) ORDER BY done_on, id", 2, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__ListInterventionsReply *reply = (Snodo__Monitoring__ListInterventionsReply *)
        sn_message_new (&snodo__monitoring__list_interventions_reply__descriptor);
    int rows = PQntuples (res);
    reply->interventions = (Snodo__Monitoring__Intervention **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__Intervention *iv = (Snodo__Monitoring__Intervention *)
            sn_message_new (&snodo__monitoring__intervention__descriptor);
        iv->pathway_id = strdup (id);
        iv->done_on = strdup (PQgetvalue (res, i, 0));
        iv->kind = (Snodo__Monitoring__InterventionKind) atoi (PQgetvalue (res, i, 1));
        iv->by = strdup (PQgetvalue (res, i, 2));
        iv->what = strdup (PQgetvalue (res, i, 3));
        iv->notes = strdup (PQgetvalue (res, i, 4));
        iv->recorded_by = strdup (PQgetvalue (res, i, 5));
        reply->interventions [reply->n_interventions++] = iv;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  --- attendance against the agreement -----------------------------------------------

//  The range of days weighed for p: from the start (or from, if later) to
//  today (or to, the agreement's end, the close, whichever is first).
//  lo and hi: 11 bytes. Returns a code; lo > hi is an empty range.
static int
s_weeks_range (sn_call_t *call, const Snodo__Monitoring__AttendanceWeeksRequest *req,
               const Snodo__Monitoring__Pathway *p, char *lo, char *hi)
{
    if (!*p->start_date)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                             "pathway %s has not started: its weeks are counted from the start", p->id);
    if (!p->agreement || p->agreement->weekly_hours == 0)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                             "pathway %s has no agreement with weekly hours to weigh the attendance against", p->id);
    mon_today (call, hi);
    snprintf (lo, 11, "%s", *req->from && strcmp (req->from, p->start_date) > 0 ? req->from : p->start_date);
    const char *ends [3] = {req->to, p->agreement->end_date, p->outcome ? p->outcome->date : ""};
    for (int i = 0; i < 3; i++)
        if (sn_date_valid (ends [i]) && strcmp (ends [i], hi) < 0)
            snprintf (hi, 11, "%s", ends [i]);
    char limit [11];
    if (strcmp (lo, hi) <= 0 && mon_date_add_days (lo, MAX_RANGE_DAYS, limit) == 0 && strcmp (hi, limit) > 0) {
        sn_call_violation (call, "to", "%s to %s is more than %d days: ask for a shorter range", lo, hi,
                           MAX_RANGE_DAYS);
        return sn_call_invalid (call);
    }
    return SNODO__CODE__OK;
}

//  One week of the query's row i: the agreed hours for its working days,
//  and its status against them with the tolerance.
static Snodo__Monitoring__AttendanceWeek *
s_week (const PGresult *res, int i, double tolerance)
{
    Snodo__Monitoring__AttendanceWeek *w = (Snodo__Monitoring__AttendanceWeek *)
        sn_message_new (&snodo__monitoring__attendance_week__descriptor);
    w->week = strdup (PQgetvalue (res, i, 0));
    w->monday = strdup (PQgetvalue (res, i, 1));
    w->hours = atof (PQgetvalue (res, i, 2));
    w->agreed_hours = round (atof (PQgetvalue (res, i, 3)) * 100) / 100;
    w->present_days = (uint32_t) atoi (PQgetvalue (res, i, 4));
    w->absences = (uint32_t) atoi (PQgetvalue (res, i, 5));
    w->suspended_days = (uint32_t) atoi (PQgetvalue (res, i, 6));
    w->holidays = (uint32_t) atoi (PQgetvalue (res, i, 7));
    w->weekly_hours = (uint32_t) atoi (PQgetvalue (res, i, 8));
    w->difference = round ((w->hours - w->agreed_hours) * 100) / 100;
    //  to the hundredth, as the hours are kept
    w->status = w->difference < -tolerance - 0.005 ? WEEK (UNDER)
              : w->difference > tolerance + 0.005 ? WEEK (OVER) : WEEK (OK);
    return w;
}

//  The agreement's versions in force, as two arrays: from which day (the
//  original from the first; an amendment from its day, once signed) and
//  with which weekly hours. An amendment not signed yet is not in force.
static void
s_versions (const Snodo__Monitoring__Pathway *p, sn_array_t *from, sn_array_t *hours)
{
    for (size_t i = 0; i <= p->n_agreement_versions; i++) {
        const Snodo__Monitoring__Agreement *a = i < p->n_agreement_versions ? p->agreement_versions [i]
                                                                           : p->agreement;
        bool original = a->version <= 1 || !sn_date_valid (a->amended_on);
        if (!original && !*a->signed_on)
            continue;
        if (original)
            sn_array_raw (from, "-infinity", 9);
        else
            sn_array_raw (from, a->amended_on, 10);
        sn_array_int (hours, a->weekly_hours);
    }
}

//  AttendanceWeeks: every ISO week of the placement (within from..to), the
//  hours attended against the agreement's weekly hours for the week's
//  working days (Monday to Friday) within the range, each day weighed by
//  the version of the agreement in force on it, but the national public
//  holidays and the days the pathway was suspended (its history's
//  SUSPENDED to the next transition): UNDER, OVER or OK.
static int
s_attendance_weeks (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__AttendanceWeeksRequest *req = (const void *) input;
    sn_check_date (call, "from", req->from, false);
    sn_check_date (call, "to", req->to, false);
    if (sn_date_valid (req->from) && sn_date_valid (req->to) && strcmp (req->to, req->from) < 0)
        sn_call_violation (call, "to", "%s is before from (%s)", req->to, req->from);
    if (!isfinite (req->tolerance_hours) || req->tolerance_hours < 0 || req->tolerance_hours > 48)
        sn_call_violation (call, "tolerance_hours", "%g is out of range 0-48",
                           isfinite (req->tolerance_hours) ? req->tolerance_hours : -1.0);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    char lo [11], hi [11];
    int code = s_weeks_range (call, req, p, lo, hi);
    uint32_t weekly = p->agreement ? p->agreement->weekly_hours : 0;
    sn_array_t from = SN_ARRAY_INIT, hours = SN_ARRAY_INIT, holidays = SN_ARRAY_INIT;
    if (code == SNODO__CODE__OK) {
        s_versions (p, &from, &hours);
        mon_holidays (atoi (lo), atoi (hi), &holidays);
    }
    const char *params [6] = {p->id, lo, hi, sn_array_end (&from), sn_array_end (&hours), sn_array_end (&holidays)};
    //  each day: suspended or not, a holiday or not, the weekly hours in force
    PGresult *res = code != SNODO__CODE__OK ? NULL : sn_call_query (call, "weighing the attendance",
        "WITH t AS (SELECT to_state, date, lead (date) OVER (ORDER BY id) AS until FROM pathway_transition "
        "           WHERE pathway_id = $1), "
        "d AS (SELECT day::date, extract (isodow FROM day) <= 5 AS workday, "
        "      EXISTS (SELECT 1 FROM t WHERE t.to_state = " SN_SQL (MON_SQL_SUSPENDED) " "
        "      AND day >= t.date AND (t.until IS NULL OR day < t.until)) AS suspended, "
        "      day::date = ANY ($6::date []) AS holiday, "
        "      (SELECT v.h FROM unnest ($4::date [], $5::int []) AS v (f, h) WHERE v.f <= day "
        "       ORDER BY v.f DESC LIMIT 1) AS weekly "
        "      FROM generate_series ($2::date, $3::date, '1 day') AS day), "
        "w AS (SELECT date_trunc ('week', day)::date AS monday, "
        "      coalesce (sum (weekly) FILTER (WHERE workday AND NOT suspended AND NOT holiday), 0) / 5.0 AS agreed, "
        "      count (*) FILTER (WHERE suspended) AS suspended, "
        "      count (*) FILTER (WHERE workday AND holiday AND NOT suspended) AS holidays, "
        "      (array_agg (weekly ORDER BY day DESC)) [1] AS weekly FROM d GROUP BY 1), "
        "a AS (SELECT date_trunc ('week', day)::date AS monday, sum (hours) AS hours, "
        "      count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_PRESENT) ") AS present, "
        "      count (*) FILTER (WHERE presence <> " SN_SQL (MON_SQL_PRESENT) ") AS absent "
        "      FROM attendance WHERE pathway_id = $1 AND day BETWEEN $2::date AND $3::date GROUP BY 1) "
        "SELECT to_char (w.monday, 'IYYY-\"W\"IW'), w.monday::text, coalesce (a.hours, 0)::float8, "
        "       w.agreed::float8, coalesce (a.present, 0), coalesce (a.absent, 0), w.suspended, w.holidays, "
        "       coalesce (w.weekly, 0) "
        "FROM w LEFT JOIN a USING (monday) ORDER BY w.monday", 6, params);
    sn_array_free (&from);
    sn_array_free (&hours);
    sn_array_free (&holidays);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__AttendanceWeeksReply *reply = (Snodo__Monitoring__AttendanceWeeksReply *)
        sn_message_new (&snodo__monitoring__attendance_weeks_reply__descriptor);
    reply->weekly_hours = weekly;
    int rows = PQntuples (res);
    reply->weeks = (Snodo__Monitoring__AttendanceWeek **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Monitoring__AttendanceWeek *w = s_week (res, i, req->tolerance_hours);
        reply->under += w->status == WEEK (UNDER);
        reply->over += w->status == WEEK (OVER);
        if (req->off_only && w->status == WEEK (OK))
            protobuf_c_message_free_unpacked (&w->base, NULL);
        else
            reply->weeks [reply->n_weeks++] = w;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t mon_review_methods [] = {
    SN_METHOD (AddIntervention, s_add_intervention, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListInterventions, s_list_interventions, SN_ANY_KIND, SN_PERSONAL),
    SN_METHOD (AttendanceWeeks, s_attendance_weeks, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
