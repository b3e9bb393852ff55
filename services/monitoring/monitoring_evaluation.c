/*  The evaluation of the work capacity acquired (valutazione delle capacità
    acquisite), in view of hiring: a dated verdict of the team, on a basis
    the service summarises when it is recorded (the attendance and the
    S.O.M.I. trend up to that day), and the check a close as HIRED or
    RETURNED makes of it (docs/monitoring.md, "Evaluation"). */
#include "monitoring.h"
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))
#define VERDICT(x) SNODO__MONITORING__EVALUATION_VERDICT__EVALUATION_VERDICT_##x
#define OUTCOME(x) SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_##x

//  The basis of an evaluation of pathway $1 on day $2, as the JSON of
//  EvaluationBasis: attendance up to the day, and per characteristic
//  observed on the S.O.M.I. forms up to it, its last score against its first.
#define BASIS_SQL \
    "WITH a AS (SELECT count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_PRESENT) ") AS present, " \
    "             count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_ABSENT_JUSTIFIED) ") AS justified, " \
    "             count (*) FILTER (WHERE presence = " SN_SQL (MON_SQL_ABSENT_UNJUSTIFIED) ") AS unjustified, " \
    "             coalesce (sum (hours), 0) AS hours, min (day) AS first, max (day) AS last " \
    "           FROM attendance WHERE pathway_id = $1 AND day <= $2::date), " \
    "o AS (SELECT id, observed_on, scores FROM observation WHERE pathway_id = $1 AND observed_on <= $2::date), " \
    "s AS (SELECT o.id, o.observed_on, kv.key, kv.value::int AS score FROM o, jsonb_each_text (o.scores) kv " \
    "      WHERE kv.value ~ '^[0-9]+$' AND kv.value::int > 0), " \
    "c AS (SELECT (array_agg (score ORDER BY observed_on DESC, id DESC)) [1] " \
    "           - (array_agg (score ORDER BY observed_on, id)) [1] AS change FROM s GROUP BY key) " \
    "SELECT jsonb_strip_nulls (jsonb_build_object ('presentDays', a.present, 'justifiedAbsences', a.justified, " \
    "  'unjustifiedAbsences', a.unjustified, 'hours', a.hours::float8, 'attendanceFrom', a.first::text, " \
    "  'attendanceTo', a.last::text, 'observations', (SELECT count (*) FROM o), " \
    "  'firstObservedOn', (SELECT min (observed_on)::text FROM o), " \
    "  'lastObservedOn', (SELECT max (observed_on)::text FROM o), " \
    "  'improved', (SELECT count (*) FROM c WHERE change > 0), " \
    "  'worsened', (SELECT count (*) FROM c WHERE change < 0), " \
    "  'unchanged', (SELECT count (*) FROM c WHERE change = 0), " \
    "  'meanChange', (SELECT coalesce (round (avg (change), 2), 0)::float8 FROM c))) AS basis FROM a"

//  An evaluation row's JSON (EvaluationBasis spliced in as basis).
#define EVALUATION_JSON \
    "jsonb_build_object ('pathwayId', e.pathway_id, 'personId', p.person_id, 'evaluatedOn', " \
    "  e.evaluated_on::text, 'verdict', e.verdict, 'basis', e.basis, 'note', e.note, " \
    "  'recordedBy', e.recorded_by, 'recordedAt', ms (e.recorded_at))::text"

static const char *
s_verdict_name (int verdict)
{
    const ProtobufCEnumValue *v =
        protobuf_c_enum_descriptor_get_value (&snodo__monitoring__evaluation_verdict__descriptor, verdict);
    return v ? v->name + strlen ("EVALUATION_VERDICT_") : "UNKNOWN";
}

//  RecordEvaluation: while the pathway is taken in charge and open (INTAKE
//  to SUSPENDED), dated from the referral (and the last transition) to today.
static int
s_record_evaluation (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__RecordEvaluationRequest *req = (const void *) input;
    char today [11];
    mon_today (call, today);
    const char *day = *req->evaluated_on ? req->evaluated_on : today;
    mon_check_past (call, "evaluated_on", req->evaluated_on, false, today);
    sn_check_enum (call, "verdict", &snodo__monitoring__evaluation_verdict__descriptor, req->verdict, true);
    sn_check_text (call, "note", req->note, 8000, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (INTAKE) | BIT (ASSESSMENT) | BIT (MATCHING) | BIT (PROJECT)
                                  | BIT (AGREEMENT) | BIT (ACTIVE) | BIT (SUSPENDED), "RecordEvaluation");
    if (code == SNODO__CODE__OK && strcmp (day, mon_history_last (p)) < 0) {
        sn_call_violation (call, "evaluated_on", "%s is before the pathway's last transition on %s", day,
                           mon_history_last (p));
        code = sn_call_invalid (call);
    }
    char person [40];
    snprintf (person, sizeof person, "%s", p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    char verdict [8];
    snprintf (verdict, sizeof verdict, "%d", req->verdict);
    const char *params [5] = {req->pathway_id, day, verdict, req->note, sn_call_member_id (call)};
    PGresult *res = sn_call_query (call, "recording the evaluation",
        "WITH b AS (" BASIS_SQL "), "
        "e AS (INSERT INTO evaluation (pathway_id, evaluated_on, verdict, basis, note, recorded_by) "
        "      SELECT $1, $2::date, $3::int, b.basis, $4, $5 FROM b RETURNING *) "
        "SELECT " EVALUATION_JSON " FROM e JOIN pathway p ON p.id = e.pathway_id", 5, params);
    if (!res)
        return sn_call_code (call);
    return mon_recorded (call, res, &snodo__monitoring__evaluation__descriptor, "monitoring.evaluation.recorded",
                         req->pathway_id, person, output);
}

//  ListEvaluations: a pathway's evaluations, oldest first.
static int
s_list_evaluations (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListEvaluationsRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *params [1] = {req->pathway_id};
    PGresult *res = sn_call_query (call, "reading the evaluations",
        "SELECT " EVALUATION_JSON " FROM evaluation e JOIN pathway p ON p.id = e.pathway_id "
        "WHERE e.pathway_id = $1 ORDER BY e.evaluated_on, e.id", 1, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__ListEvaluationsReply *reply = (Snodo__Monitoring__ListEvaluationsReply *)
        sn_message_new (&snodo__monitoring__list_evaluations_reply__descriptor);
    int rows = PQntuples (res);
    reply->evaluations = (Snodo__Monitoring__Evaluation **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        char err [256];
        Snodo__Monitoring__Evaluation *e = (Snodo__Monitoring__Evaluation *) sn_json_to_message (
            &snodo__monitoring__evaluation__descriptor, PQgetvalue (res, i, 0), err, sizeof err);
        if (!e) {
            PQclear (res);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored evaluation could not be read: %s", err);
        }
        reply->evaluations [reply->n_evaluations++] = e;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

int
mon_close_evaluated (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int outcome, const char *date)
{
    int needed = outcome == OUTCOME (HIRED) ? VERDICT (READY_TO_HIRE)
               : outcome == OUTCOME (RETURNED) ? VERDICT (NOT_PLACEABLE_NOW) : 0;
    if (!needed)
        return SNODO__CODE__OK;
    const char *params [2] = {p->id, date};
    PGresult *res = sn_call_query (call, "reading the last evaluation",
        "SELECT verdict, evaluated_on::text FROM evaluation WHERE pathway_id = $1 AND evaluated_on <= $2::date "
        "ORDER BY evaluated_on DESC, id DESC LIMIT 1", 2, params);
    if (!res)
        return sn_call_code (call);
    int verdict = PQntuples (res) ? atoi (PQgetvalue (res, 0, 0)) : 0;
    char on [11];
    snprintf (on, sizeof on, "%s", PQntuples (res) ? PQgetvalue (res, 0, 1) : "");
    PQclear (res);
    const char *as = outcome == OUTCOME (HIRED) ? "HIRED" : "RETURNED";
    if (!verdict)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                             "pathway %s has no evaluation of the acquired capacity (valutazione delle capacità "
                             "acquisite) on or before %s: a close as %s needs one with verdict %s "
                             "(RecordEvaluation)", p->id, date, as, s_verdict_name (needed));
    if (verdict != needed)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                             "pathway %s's last evaluation of the acquired capacity (%s) says %s: a close as "
                             "%s needs one that says %s (RecordEvaluation)", p->id, on,
                             s_verdict_name (verdict), as, s_verdict_name (needed));
    return SNODO__CODE__OK;
}

const sn_method_t mon_evaluation_methods [] = {
    SN_METHOD (RecordEvaluation, s_record_evaluation, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (ListEvaluations, s_list_evaluations, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
