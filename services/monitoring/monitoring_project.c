/*  The project presented to the person and the company (presentazione del
    progetto, seed 000): its objectives, the task list (mansionario) and the
    request for on-site accompaniment (affiancamento), a record of its own
    beside the pathway, kept in versions. */
#include "monitoring.h"
#include "sn_log.h"
#include <math.h>
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))
#define DECISION(x) SNODO__MONITORING__DECISION__DECISION_##x

//  The project is written from the matching (the task list is drawn up with
//  the pairing) for as long as the placement runs.
#define PROJECT_STATES (BIT (MATCHING) | BIT (PROJECT) | BIT (AGREEMENT) | BIT (ACTIVE) | BIT (SUSPENDED))
#define MAX_OBJECTIVES 50
#define MAX_TASKS 100

//  Checks a list of texts: each present and at most max_length, at most
//  max_items of them, at least one when required.
static void
s_check_texts (sn_call_t *call, const char *field, char *const *items, size_t n, size_t max_items,
               size_t max_length, bool required)
{
    if (required && n == 0)
        sn_call_violation (call, field, "at least one is required");
    if (n > max_items)
        sn_call_violation (call, field, "%zu items: at most %zu", n, max_items);
    for (size_t i = 0; i < n && i < max_items; i++) {
        char name [64];
        snprintf (name, sizeof name, "%s[%zu]", field, i);
        sn_check_text (call, name, items [i], max_length, true);
    }
}

//  Checks the accompaniment on its own (its dates against the referral are
//  checked once the pathway is read).
static void
s_check_accompaniment (sn_call_t *call, const Snodo__Monitoring__Accompaniment *a, const char *today)
{
    sn_check_text (call, "project.accompaniment.requested_by", a->requested_by, 200, true);
    mon_check_past (call, "project.accompaniment.requested_on", a->requested_on, true, today);
    if (a->weeks > 104)
        sn_call_violation (call, "project.accompaniment.weeks", "%u is out of range 0-104", a->weeks);
    if (!isfinite (a->hours_per_week) || a->hours_per_week < 0 || a->hours_per_week > 48)
        sn_call_violation (call, "project.accompaniment.hours_per_week", "%g is out of range 0-48",
                           isfinite (a->hours_per_week) ? a->hours_per_week : -1.0);
    else
    if (a->weeks == 0 && a->hours_per_week == 0)
        sn_call_violation (call, "project.accompaniment.weeks",
                           "how long is required: weeks, hours_per_week or both");
    mon_check_decision (call, "project.accompaniment.", a->decision, a->decided_by, a->decided_on,
                        a->requested_on, today);
}

void
mon_check_decision (sn_call_t *call, const char *prefix, int decision, const char *decided_by,
                    const char *decided_on, const char *requested_on, const char *today)
{
    char field [96];
#define FIELD(name) (snprintf (field, sizeof field, "%s" name, prefix), field)
    sn_check_enum (call, FIELD ("decision"), &snodo__monitoring__decision__descriptor, decision, true);
    bool decided = decision == DECISION (GRANTED) || decision == DECISION (REFUSED);
    if (decided) {
        sn_check_text (call, FIELD ("decided_by"), decided_by, 200, true);
        mon_check_past (call, FIELD ("decided_on"), decided_on, true, today);
        if (sn_date_valid (decided_on) && sn_date_valid (requested_on) && strcmp (decided_on, requested_on) < 0)
            sn_call_violation (call, FIELD ("decided_on"), "%s is before the request on %s", decided_on,
                               requested_on);
    }
    else
    if (decision == DECISION (REQUESTED) && (*decided_on || *decided_by))
        sn_call_violation (call, FIELD ("decided_on"),
                           "a request not decided yet has no decision day nor who decided");
#undef FIELD
}

//  Checks a project on its own; date is its day (today when it gave none).
static void
s_check_project (sn_call_t *call, const Snodo__Monitoring__Project *pr, const char *today)
{
    mon_check_past (call, "project.date", pr->date, false, today);
    s_check_texts (call, "project.objectives", pr->objectives, pr->n_objectives, MAX_OBJECTIVES, 2000, true);
    s_check_texts (call, "project.tasks", pr->tasks, pr->n_tasks, MAX_TASKS, 500, false);
    sn_check_text (call, "project.notes", pr->notes, 4000, false);
    if (pr->accompaniment)
        s_check_accompaniment (call, pr->accompaniment, today);
}

//  The project's dates against the pathway: none before the referral, the
//  version not before the one it replaces. Returns a code.
static int
s_check_project_dates (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const Snodo__Monitoring__Project *pr)
{
    mon_check_since_referral (call, p, "project.date", pr->date);
    if (pr->accompaniment) {
        mon_check_since_referral (call, p, "project.accompaniment.requested_on", pr->accompaniment->requested_on);
        mon_check_since_referral (call, p, "project.accompaniment.decided_on", pr->accompaniment->decided_on);
    }
    const char *params [1] = {p->id};
    PGresult *res = sn_call_query (call, "reading the project",
        "SELECT date::text, version FROM project WHERE pathway_id = $1 ORDER BY version DESC LIMIT 1", 1, params);
    if (!res)
        return sn_call_code (call);
    if (PQntuples (res) && strcmp (pr->date, PQgetvalue (res, 0, 0)) < 0)
        sn_call_violation (call, "project.date", "%s is before version %s of the project, of %s", pr->date,
                           PQgetvalue (res, 0, 1), PQgetvalue (res, 0, 0));
    PQclear (res);
    return sn_call_violations (call) ? sn_call_invalid (call) : SNODO__CODE__OK;
}

//  Stores pr as the pathway's next version, setting its version. Returns a code.
static int
s_store_project (sn_call_t *call, Snodo__Monitoring__Project *pr)
{
    const char *params [1] = {pr->pathway_id};
    PGresult *res = sn_call_query (call, "numbering the project",
        "SELECT coalesce (max (version), 0) + 1 FROM project WHERE pathway_id = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    pr->version = (uint32_t) atoi (PQgetvalue (res, 0, 0));
    PQclear (res);
    char *data = sn_json_from_message (&pr->base, 0);
    char version [16];
    snprintf (version, sizeof version, "%u", pr->version);
    const char *insert [5] = {pr->pathway_id, version, pr->date, data, pr->recorded_by};
    res = sn_call_query (call, "recording the project",
        "INSERT INTO project (pathway_id, version, date, data, recorded_by) VALUES ($1, $2::int, $3, $4, $5)",
        5, insert);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return SNODO__CODE__OK;
}

//  SetProject: a new version of the project, from the matching to the end
//  of the placement; the versions before it stay.
static int
s_set_project (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__SetProjectRequest *req = (Snodo__Monitoring__SetProjectRequest *) input;
    Snodo__Monitoring__Project *pr = req->project;
    if (!pr) {
        sn_call_violation (call, "project", "is required");
        return sn_call_invalid (call);
    }
    char today [11];
    mon_today (call, today);
    s_check_project (call, pr, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    if (!*pr->date)
        sn_set_string (&pr->date, today);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "project.pathway_id", pr->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, PROJECT_STATES, "SetProject");
    if (code == SNODO__CODE__OK)
        code = s_check_project_dates (call, p, pr);
    sn_set_string (&pr->pathway_id, p->id);
    sn_set_string (&pr->person_id, p->person_id);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (code != SNODO__CODE__OK)
        return code;
    sn_set_string (&pr->recorded_by, sn_call_member_id (call));
    code = s_store_project (call, pr);
    if (code != SNODO__CODE__OK)
        return code;
    if (sn_call_event (call, "monitoring.project.set", pr->pathway_id, pr->person_id, &pr->base))
        return sn_call_code (call);
    *output = &pr->base;
    req->project = NULL;            //  moved into the output
    return SNODO__CODE__OK;
}

//  GetProject: the current version and the ones before it.
static int
s_get_project (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__GetProjectRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    const char *params [1] = {p->id};
    PGresult *res = sn_call_query (call, "reading the project",
        "SELECT data::text FROM project WHERE pathway_id = $1 ORDER BY version", 1, params);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__GetProjectReply *reply = (Snodo__Monitoring__GetProjectReply *)
        sn_message_new (&snodo__monitoring__get_project_reply__descriptor);
    int rows = PQntuples (res);
    reply->earlier = (Snodo__Monitoring__Project **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        char err [256];
        Snodo__Monitoring__Project *pr = (Snodo__Monitoring__Project *) sn_json_to_message (
            &snodo__monitoring__project__descriptor, PQgetvalue (res, i, 0), err, sizeof err);
        if (!pr) {
            sn_error ("monitoring: a stored project could not be read: %s", err);
            PQclear (res);
            protobuf_c_message_free_unpacked (&reply->base, NULL);
            return sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
        }
        if (i == rows - 1)
            reply->project = pr;
        else
            reply->earlier [reply->n_earlier++] = pr;
    }
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

const sn_method_t mon_project_methods [] = {
    SN_METHOD (SetProject, s_set_project, SN_ANY_KIND, SN_WRITE | SN_PERSONAL),
    SN_METHOD (GetProject, s_get_project, SN_ANY_KIND, SN_PERSONAL),
    SN_METHODS_END
};
