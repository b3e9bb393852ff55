/*  Pathways: the referral, the lifecycle's transitions, the team (équipe)
    and the individual agreement (convenzione). */
#include "monitoring.h"
#include "sn_log.h"
#include <string.h>

#define BIT(s) (1u << MON_STATE (s))
#define OPEN_STATES (BIT (REFERRED) | BIT (INTAKE) | BIT (ASSESSMENT) | BIT (MATCHING) | BIT (PROJECT) \
                     | BIT (AGREEMENT) | BIT (ACTIVE) | BIT (SUSPENDED))
#define OUTCOME(x) SNODO__MONITORING__OUTCOME_KIND__OUTCOME_KIND_##x
#define REFERRING_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ASS) | SN_KIND (SIL) \
                         | SN_KIND (DSM) | SN_KIND (SERT) | SN_KIND (SSC) | SN_KIND (ADMIN) \
                         | SN_KIND (BRIDGE))

//  How many months of meetings an open-ended agreement gets scheduled.
#define OPEN_ENDED_MONTHS 24

//  True for the members that may act for any referring service.
static bool
s_is_province (sn_call_t *call)
{
    int kind = sn_call_member_kind (call);
    return kind == MON_KIND (PROVINCIA) || kind == MON_KIND (CPI) || kind == MON_KIND (ADMIN);
}

//  --- referral ---------------------------------------------------------------------

//  Checks the presentation form's fields (all optional, bounded).
static void
s_check_presentation (sn_call_t *call, const Snodo__Monitoring__PresentationForm *f)
{
    if (!f)
        return;
    sn_check_text (call, "presentation.referral_reason", f->referral_reason, 4000, false);
    sn_check_text (call, "presentation.work_history", f->work_history, 4000, false);
    sn_check_text (call, "presentation.education", f->education, 2000, false);
    sn_check_text (call, "presentation.strengths", f->strengths, 4000, false);
    sn_check_text (call, "presentation.difficulties", f->difficulties, 4000, false);
    sn_check_text (call, "presentation.health_notes", f->health_notes, 4000, false);
    sn_check_text (call, "presentation.family_situation", f->family_situation, 4000, false);
    sn_check_text (call, "presentation.expectations", f->expectations, 4000, false);
    sn_check_text (call, "presentation.contact_person", f->contact_person, 200, false);
    sn_check_date (call, "presentation.presentation_meeting", f->presentation_meeting, false);
}

//  Who refers, once the person is read: the caller, the member it names
//  (Province, CPI), or, for the bridge, the person's referring service (an
//  SSC) when the bridge referred the person in the registry. Returns OK and
//  sets *referrer, or a failure.
static int
s_referrer (sn_call_t *call, const Snodo__Monitoring__ReferRequest *req, const char *person_referrer,
            const char *person_via, const char **referrer)
{
    const char *caller = sn_call_member_id (call);
    if (sn_call_member_kind (call) == MON_KIND (BRIDGE)) {
        if (!streq (person_via, caller))
            return sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                                 "member %s did not refer this person: the bridge refers only the "
                                 "persons it referred in the registry", caller);
        if (*req->referring_member_id && !streq (req->referring_member_id, person_referrer)) {
            sn_call_violation (call, "referring_member_id", "the person's referring service is %.64s",
                               person_referrer);
            return sn_call_invalid (call);
        }
        *referrer = person_referrer;
        return SNODO__CODE__OK;
    }
    if (!streq (person_referrer, caller) && !s_is_province (call))
        return sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                             "member %s is not the referring service of this person", caller);
    *referrer = *req->referring_member_id ? req->referring_member_id : caller;
    return SNODO__CODE__OK;
}

void
mon_check_refer (sn_call_t *call, const Snodo__Monitoring__ReferRequest *req, const char *today)
{
    if (!sn_is_uuid (req->person_id))
        sn_call_violation (call, "person_id", "\"%.40s\" is not a UUID", req->person_id);
    sn_check_enum (call, "kind", &snodo__monitoring__pathway_kind__descriptor, req->kind, false);
    mon_check_past (call, "referred_on", req->referred_on, false, today);
    s_check_presentation (call, req->presentation);
    bool bridge = sn_call_member_kind (call) == MON_KIND (BRIDGE);
    const char *named = *req->referring_member_id ? req->referring_member_id : sn_call_member_id (call);
    if (!bridge && !streq (named, sn_call_member_id (call)) && !s_is_province (call))
        sn_call_violation (call, "referring_member_id",
                           "only the Province or a CPI may refer a person for another member");
}

void
mon_referred_person (const PGresult *res, int row, mon_referred_person_t *out)
{
    snprintf (out->referrer, sizeof out->referrer, "%s", PQgetvalue (res, row, 0));
    snprintf (out->ambito, sizeof out->ambito, "%s", PQgetvalue (res, row, 1));
    out->invalidity = (uint32_t) atoi (PQgetvalue (res, row, 2));
    snprintf (out->open, sizeof out->open, "%s", PQgetvalue (res, row, 3));
    snprintf (out->via, sizeof out->via, "%s", PQgetvalue (res, row, 4));
}

int
mon_refer_allowed (sn_call_t *call, const Snodo__Monitoring__ReferRequest *req,
                   const mon_referred_person_t *person, const char **referrer)
{
    int code = s_referrer (call, req, person->referrer, person->via, referrer);
    if (code != SNODO__CODE__OK)
        return code;
    if (*person->open) {
        char open [64];
        snprintf (open, sizeof open, "%s", person->open);
        char *space = strchr (open, ' ');
        if (space)
            *space = 0;
        return sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS, "the person has an open pathway %s (%s)",
                             open, mon_state_name (space ? atoi (space + 1) : 0));
    }
    return SNODO__CODE__OK;
}

Snodo__Monitoring__Pathway *
mon_referral_new (sn_call_t *call, Snodo__Monitoring__ReferRequest *req, const char *referrer,
                  const mon_referred_person_t *person, const char *today)
{
    bool bridge = sn_call_member_kind (call) == MON_KIND (BRIDGE);
    Snodo__Monitoring__Pathway *p =
        (Snodo__Monitoring__Pathway *) sn_message_new (&snodo__monitoring__pathway__descriptor);
    char id [37];
    sn_new_uuid (id);
    sn_set_string (&p->id, id);
    sn_set_string (&p->person_id, req->person_id);
    p->state = MON_STATE (REFERRED);
    p->kind = req->kind;
    sn_set_string (&p->referring_member_id, referrer);
    sn_set_string (&p->referred_via, bridge ? sn_call_member_id (call) : "");
    sn_set_string (&p->ambito, person->ambito);
    sn_set_string (&p->referred_on, *req->referred_on ? req->referred_on : today);
    p->invalidity_percent = person->invalidity;
    p->presentation = req->presentation;
    req->presentation = NULL;       //  moved into p
    return p;
}

char *
mon_referral_data (const Snodo__Monitoring__Pathway *p)
{
    struct json_object *obj = sn_json_obj_from_message (&p->base, 0);
    char *data = strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN));
    json_object_put (obj);
    return data;
}

//  Refer: a new pathway in REFERRED for a person the service knows, by its
//  referring member (or the Province/CPI, or the bridge that referred the
//  person), when the person has no open one.
static int
s_refer (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__ReferRequest *req = (Snodo__Monitoring__ReferRequest *) input;
    char today [11];
    mon_today (call, today);
    mon_check_refer (call, req, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    const char *params [1] = {req->person_id};
    PGresult *res = sn_call_query (call, "reading the person", MON_REFERRED_PERSON_SQL "WHERE id = $1", 1,
                                   params);
    if (!res)
        return sn_call_code (call);
    if (PQntuples (res) == 0) {
        PQclear (res);
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, MON_NOT_KNOWN, req->person_id);
    }
    sn_call_audit (call, req->person_id);
    mon_referred_person_t person;
    mon_referred_person (res, 0, &person);
    PQclear (res);
    const char *referrer = NULL;
    int code = mon_refer_allowed (call, req, &person, &referrer);
    if (code != SNODO__CODE__OK)
        return code;
    Snodo__Monitoring__Pathway *p = mon_referral_new (call, req, referrer, &person, today);
    char *data = mon_referral_data (p);
    char kind [8];
    snprintf (kind, sizeof kind, "%d", p->kind);
    const char *insert [7] = {p->id, p->person_id, kind, p->referring_member_id, p->ambito, data,
                              p->referred_via};
    res = sn_call_query (call, "creating the pathway",
        "INSERT INTO pathway (id, person_id, state, kind, referring_member_id, ambito, data, referred_via) "
        "VALUES ($1, $2, 1, $3, $4, $5, $6, $7) RETURNING version, ms (created_at)", 7, insert);
    free (data);
    if (!res) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    p->version = (uint32_t) atoi (PQgetvalue (res, 0, 0));
    p->created_at = p->updated_at = atoll (PQgetvalue (res, 0, 1));
    PQclear (res);
    if (mon_pathway_event (call, "monitoring.pathway.referred", p)) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    *output = &p->base;
    return SNODO__CODE__OK;
}

//  GetPathway: the whole pathway, presentation form and team included.
static int
s_get_pathway (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__GetPathwayRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "id", req->id, false);
    if (!p)
        return sn_call_code (call);
    *output = &p->base;
    return SNODO__CODE__OK;
}

//  Pathways the caller may see, by person, state, ambito, referring service,
//  host. The presentation form stays out of lists (GetPathway has it).
static int
s_list_pathways (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListPathwaysRequest *req = (const void *) input;
    if (*req->person_id && !sn_is_uuid (req->person_id))
        sn_call_violation (call, "person_id", "is not a UUID");
    sn_check_enum (call, "state", &snodo__monitoring__pathway_state__descriptor, req->state, false);
    uint32_t limit = req->page && req->page->limit ? req->page->limit : 50;
    if (limit > 1000)
        sn_call_violation (call, "page.limit", "%u is above 1000", limit);
    const char *after = req->page ? req->page->after : "";
    if (*after && !sn_is_uuid (after))
        sn_call_violation (call, "page.after", "is not a UUID");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char kind [8], state [8], limit_text [16];
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    snprintf (state, sizeof state, "%d", req->state);
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [9] = {limit_text, sn_call_member_id (call), kind, req->person_id, state,
                              req->ambito, req->referring_member_id, req->host_id, *after ? after : NULL};
    PGresult *res = sn_call_query (call, "listing pathways",
        "SELECT " MON_PATHWAY_JSON ", p.person_id FROM pathway p WHERE " MON_MAY_ACCESS
        " AND ($4 = '' OR p.person_id::text = $4) AND ($5::int = 0 OR p.state = $5::int) "
        " AND ($6 = '' OR p.ambito = $6) AND ($7 = '' OR p.referring_member_id = $7) "
        " AND ($8 = '' OR p.host_id = $8 OR p.employer_id = $8) AND ($9::uuid IS NULL OR p.id > $9::uuid) "
        "ORDER BY p.id LIMIT $1::int", 9, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Monitoring__ListPathwaysReply *reply = (Snodo__Monitoring__ListPathwaysReply *)
        sn_message_new (&snodo__monitoring__list_pathways_reply__descriptor);
    int rows = PQntuples (res);
    reply->pathways = (Snodo__Monitoring__Pathway **) calloc ((size_t) rows + 1, sizeof (void *));
    int code = SNODO__CODE__OK;
    for (int i = 0; i < rows; i++) {
        char err [256];
        Snodo__Monitoring__Pathway *p = (Snodo__Monitoring__Pathway *) sn_json_to_message (
            &snodo__monitoring__pathway__descriptor, PQgetvalue (res, i, 0), err, sizeof err);
        if (!p) {
            sn_error ("monitoring: a stored pathway could not be read: %s", err);
            code = sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
            break;
        }
        if (p->presentation) {
            protobuf_c_message_free_unpacked (&p->presentation->base, NULL);
            p->presentation = NULL;
        }
        sn_call_audit (call, PQgetvalue (res, i, 1));
        reply->pathways [reply->n_pathways++] = p;
    }
    if (code == SNODO__CODE__OK && rows == (int) limit && rows > 0)
        reply->next = strdup (reply->pathways [rows - 1]->id);
    PQclear (res);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&reply->base, NULL);
        return code;
    }
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  --- transitions --------------------------------------------------------------------

typedef struct {
    const char *name;       //  the method
    const char *event;      //  monitoring.pathway.<event>
    int to;                 //  the state it leads to (0: by the request)
    uint32_t from;          //  the states it may start from
} s_step_t;

enum {STEP_INTAKE, STEP_ASSESSMENT, STEP_MATCHING, STEP_PROJECT, STEP_AGREEMENT, STEP_ACTIVATE,
      STEP_SUSPEND, STEP_RESUME, STEP_CLOSE};

static const s_step_t s_steps [] = {
    {"StartIntake", "intake", MON_STATE (INTAKE), BIT (REFERRED)},
    {"StartAssessment", "assessment", MON_STATE (ASSESSMENT), BIT (INTAKE)},
    {"StartMatching", "matching", MON_STATE (MATCHING), BIT (ASSESSMENT)},
    {"PresentProject", "project", MON_STATE (PROJECT), BIT (MATCHING)},
    {"SignAgreement", "agreement", MON_STATE (AGREEMENT), BIT (PROJECT)},
    {"Activate", "active", MON_STATE (ACTIVE), BIT (AGREEMENT)},
    {"Suspend", "suspended", MON_STATE (SUSPENDED), OPEN_STATES & ~BIT (SUSPENDED) & ~BIT (REFERRED)},
    {"Resume", "resumed", 0, BIT (SUSPENDED)},
    {"Close", "closed", MON_STATE (CLOSED), OPEN_STATES},
    {NULL, NULL, 0, 0}
};

//  The states an outcome may close from: hiring from an active placement;
//  return to social services after intake; interruption from any open state.
static uint32_t
s_close_from (int outcome)
{
    if (outcome == OUTCOME (HIRED))
        return BIT (ACTIVE);
    if (outcome == OUTCOME (RETURNED))
        return OPEN_STATES & ~BIT (REFERRED);
    return OPEN_STATES;
}

//  Checks a closing outcome by its kind, before the pathway is read (a
//  hiring's employer, when not given, is the pathway's: s_step_check).
static void
s_check_outcome (sn_call_t *call, const Snodo__Monitoring__Outcome *o)
{
    if (!o) {
        sn_call_violation (call, "outcome", "is required");
        return;
    }
    sn_check_enum (call, "outcome.kind", &snodo__monitoring__outcome_kind__descriptor, o->kind, true);
    if (o->kind == OUTCOME (HIRED)) {
        sn_check_enum (call, "outcome.contract_type", &snodo__monitoring__contract_type__descriptor,
                        o->contract_type, true);
        if (o->weekly_hours < 1 || o->weekly_hours > 48)
            sn_call_violation (call, "outcome.weekly_hours", "%u is out of range 1-48", o->weekly_hours);
        sn_check_text (call, "outcome.employer_id", o->employer_id, 64, false);
    }
    else
    if (o->kind == OUTCOME (RETURNED)) {
        if (o->work_capacity != SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_POTENZIALE
        &&  o->work_capacity != SNODO__REGISTRY__WORK_CAPACITY__WORK_CAPACITY_NON_PRESENTE)
            sn_call_violation (call, "outcome.work_capacity",
                               "the commission's outcome is required: POTENZIALE or NON_PRESENTE");
        sn_check_text (call, "outcome.recommended_measure", o->recommended_measure, 2000, true);
    }
    else
    if (o->kind == OUTCOME (INTERRUPTED))
        sn_check_text (call, "outcome.reason", o->reason, 2000, true);
}

//  The last day meetings are scheduled for: the agreement's end, or
//  OPEN_ENDED_MONTHS after the start. out: 11 bytes.
static void
s_horizon (const Snodo__Monitoring__Pathway *p, char *out)
{
    if (p->agreement && sn_date_valid (p->agreement->end_date))
        snprintf (out, 11, "%s", p->agreement->end_date);
    else
        mon_date_add_months (p->start_date, OPEN_ENDED_MONTHS, out);
}

//  Schedules the joint meeting (start + 20 days) and the verifications every
//  two months after it, until the horizon. A meeting already there stays as
//  it is, unless it was cancelled (an agreement that ended sooner): it is
//  scheduled again.
static int
s_schedule (sn_call_t *call, const Snodo__Monitoring__Pathway *p)
{
    char horizon [11];
    s_horizon (p, horizon);
    sn_array_t numbers = SN_ARRAY_INIT, kinds = SN_ARRAY_INIT, dues = SN_ARRAY_INIT;
    for (unsigned n = 1; n <= 60; n++) {
        char due [11];
        mon_meeting_due (p->start_date, n, due);
        if (n > 1 && strcmp (due, horizon) > 0)
            break;
        sn_array_int (&numbers, n);
        sn_array_int (&kinds, n == 1 ? MON_MEETING (JOINT) : MON_MEETING (VERIFICATION));
        sn_array_text (&dues, due);
    }
    const char *params [4] = {p->id, sn_array_end (&numbers), sn_array_end (&kinds), sn_array_end (&dues)};
    PGresult *res = sn_call_query (call, "scheduling the meetings",
        "INSERT INTO meeting (pathway_id, number, kind, due_on) "
        "SELECT $1, n, k, d FROM unnest ($2::int [], $3::int [], $4::date []) AS u (n, k, d) "
        "ON CONFLICT (pathway_id, number) WHERE number > 0 DO UPDATE SET status = " SN_SQL (MON_SQL_SCHEDULED) " "
        "WHERE meeting.status = " SN_SQL (MON_SQL_CANCELLED), 4, params);
    sn_array_free (&numbers);
    sn_array_free (&kinds);
    sn_array_free (&dues);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return SNODO__CODE__OK;
}

//  The agreement of a running pathway changed: the schedule follows its end.
//  Meetings still to hold after it are cancelled, those before it scheduled.
static int
s_reschedule (sn_call_t *call, const Snodo__Monitoring__Pathway *p)
{
    char horizon [11];
    s_horizon (p, horizon);
    const char *params [2] = {p->id, horizon};
    PGresult *res = sn_call_query (call, "cancelling the meetings after the agreement's end",
        "UPDATE meeting SET status = " SN_SQL (MON_SQL_CANCELLED) " WHERE pathway_id = $1 "
        "AND status = " SN_SQL (MON_SQL_SCHEDULED) " AND number > 1 "
        "AND due_on > $2::date", 2, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return s_schedule (call, p);
}

//  Checks a transition's request on its own (date is its date, today if it
//  gave none). Records violations on the call.
static void
s_step_request (sn_call_t *call, const Snodo__Monitoring__TransitionRequest *req, const s_step_t *step,
                const char *date, const char *today)
{
    sn_check_date (call, "date", req->date, false);
    if (sn_date_valid (date) && strcmp (date, today) > 0)
        sn_call_violation (call, "date", "%s is in the future", date);
    sn_check_text (call, "note", req->note, 2000, false);
    sn_check_enum (call, "kind", &snodo__monitoring__pathway_kind__descriptor, req->kind, false);
    sn_check_date (call, "start_date", req->start_date, false);
    if (step == &s_steps [STEP_SUSPEND])
        sn_check_text (call, "reason", req->reason, 2000, true);
    if (step == &s_steps [STEP_PROJECT]) {
        sn_check_text (call, "post_id", req->post_id, 64, true);
        sn_check_text (call, "employer_id", req->employer_id, 64, true);
    }
    if (step == &s_steps [STEP_CLOSE]) {
        s_check_outcome (call, req->outcome);
        //  the outcome's date is the close's: given as either, never two
        const char *given = req->outcome ? req->outcome->date : "";
        sn_check_date (call, "outcome.date", given, false);
        if (*given && *req->date && strcmp (given, req->date))
            sn_call_violation (call, "outcome.date", "%s is not the close's date %s: give one of them", given,
                               req->date);
    }
}

//  Checks the pathway for the step (its state, and what the step needs of
//  it), setting what the step records on it. Returns a code.
static int
s_step_check (sn_call_t *call, Snodo__Monitoring__TransitionRequest *req, const s_step_t *step,
              Snodo__Monitoring__Pathway *p, const char *date)
{
    uint32_t from = step->from;
    if (step == &s_steps [STEP_CLOSE] && req->outcome)
        from = s_close_from (req->outcome->kind);
    int code = mon_require_state (call, p, from, step->name);
    if (code != SNODO__CODE__OK)
        return code;
    int to = step->to ? step->to : p->suspended_from ? (int) p->suspended_from : MON_STATE (ACTIVE);
    mon_history_check (call, p, to, "date", date);
    if (step == &s_steps [STEP_PROJECT]) {
        sn_set_string (&p->post_id, req->post_id);
        sn_set_string (&p->employer_id, req->employer_id);
        if (req->kind)
            p->kind = req->kind;
        if (!p->kind)
            sn_call_violation (call, "kind", "is required: the pathway has no kind yet");
        if (!sn_call_violations (call))
            code = mon_check_placement (call, p->id, req->post_id, req->employer_id);
        if (code != SNODO__CODE__OK)
            return code;
    }
    if (step == &s_steps [STEP_AGREEMENT]) {
        if (!p->agreement || !*p->agreement->start_date)
            return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                                 "pathway %s has no agreement: SetAgreement first", p->id);
        sn_set_string (&p->agreement->signed_on, date);
    }
    if (step == &s_steps [STEP_ACTIVATE]) {
        const char *start = *req->start_date ? req->start_date : p->agreement ? p->agreement->start_date : "";
        if (!*start)
            sn_call_violation (call, "start_date", "is required (the agreement has none)");
        else
        if (strcmp (start, p->referred_on) < 0)
            sn_call_violation (call, "start_date", "%s is before the referral on %s", start, p->referred_on);
        else
        if (p->agreement && sn_date_valid (p->agreement->signed_on) && strcmp (start, p->agreement->signed_on) < 0)
            sn_call_violation (call, "start_date", "%s is before the agreement was signed on %s", start,
                               p->agreement->signed_on);
        else
            sn_set_string (&p->start_date, start);
    }
    if (step == &s_steps [STEP_CLOSE]) {
        //  a hiring by the pathway's employer unless it says another
        if (req->outcome->kind == OUTCOME (HIRED) && !*req->outcome->employer_id)
            sn_set_string (&req->outcome->employer_id, p->employer_id);
        if (req->outcome->kind == OUTCOME (HIRED))
            sn_check_text (call, "outcome.employer_id", req->outcome->employer_id, 64, true);
        mon_check_since_start (call, p, "date", date);
        if (!sn_call_violations (call))
            return mon_close_evaluated (call, p, req->outcome->kind, date);
    }
    return sn_call_violations (call) ? sn_call_invalid (call) : SNODO__CODE__OK;
}

//  Moves the checked pathway to the step's state, with what goes with it:
//  a suspension's reason, the outcome of a close (taken out of req) and the
//  meetings it cancels, the schedule of an activation. Returns a code.
static int
s_step_apply (sn_call_t *call, Snodo__Monitoring__TransitionRequest *req, const s_step_t *step,
              Snodo__Monitoring__Pathway *p, const char *date)
{
    if (step == &s_steps [STEP_SUSPEND]) {
        p->suspended_from = p->state;
        sn_set_string (&p->suspension_reason, req->reason);
    }
    if (step == &s_steps [STEP_RESUME]) {
        p->state = p->suspended_from ? p->suspended_from : MON_STATE (ACTIVE);
        p->suspended_from = 0;
        sn_set_string (&p->suspension_reason, "");
    }
    else
        p->state = (Snodo__Monitoring__PathwayState) step->to;
    sn_set_string (&p->note, req->note);
    if (step == &s_steps [STEP_ACTIVATE])
        return s_schedule (call, p);
    if (step != &s_steps [STEP_CLOSE])
        return SNODO__CODE__OK;
    if (p->outcome)
        protobuf_c_message_free_unpacked (&p->outcome->base, NULL);
    p->outcome = req->outcome;
    req->outcome = NULL;        //  moved into p
    sn_set_string (&p->outcome->date, date);
    p->suspended_from = 0;
    //  the meetings after the close are not due any more
    const char *params [2] = {p->id, date};
    PGresult *res = sn_call_query (call, "cancelling the meetings",
        "UPDATE meeting SET status = " SN_SQL (MON_SQL_CANCELLED) " WHERE pathway_id = $1 "
        "AND status = " SN_SQL (MON_SQL_SCHEDULED) " AND due_on > $2::date", 2, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return SNODO__CODE__OK;
}

//  True when p's agreement is an amendment waiting for its signature, once
//  signed (AGREEMENT) or in a running placement (ACTIVE or SUSPENDED).
static bool
s_is_amendment (const Snodo__Monitoring__Pathway *p)
{
    return (p->state == MON_STATE (AGREEMENT) || p->state == MON_STATE (ACTIVE)
            || p->state == MON_STATE (SUSPENDED)) && p->agreement
        && p->agreement->version > 1 && !*p->agreement->signed_on;
}

//  SignAgreement of an amendment: its signature on date, not before the
//  day it was made; the state does not change. Takes p.
static int
s_sign_amendment (sn_call_t *call, Snodo__Monitoring__Pathway *p, const char *date, ProtobufCMessage **output)
{
    if (strcmp (date, p->agreement->amended_on) < 0) {
        sn_call_violation (call, "date", "%s is before the amendment was made on %s", date,
                           p->agreement->amended_on);
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_invalid (call);
    }
    sn_set_string (&p->agreement->signed_on, date);
    return mon_pathway_save (call, p, "amendment_signed", output);      //  takes p
}

//  One step of the lifecycle: checks the request, the pathway's state and
//  what the step needs, then saves and emits monitoring.pathway.<event>.
//  It takes the outcome out of req (Close).
static int
s_step (sn_call_t *call, Snodo__Monitoring__TransitionRequest *req, ProtobufCMessage **output,
        const s_step_t *step)
{
    assert (streq (step->name, sn_call_method (call)));
    char today [11];
    mon_today (call, today);
    //  a copy: the outcome (and its date) moves into the pathway at Close
    char date [64];
    snprintf (date, sizeof date, "%s", *req->date ? req->date
              : step == &s_steps [STEP_CLOSE] && req->outcome && *req->outcome->date ? req->outcome->date
              : today);
    s_step_request (call, req, step, date, today);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    if (step == &s_steps [STEP_AGREEMENT] && s_is_amendment (p))
        return s_sign_amendment (call, p, date, output);
    int from = p->state;
    int code = s_step_check (call, req, step, p, date);
    if (code == SNODO__CODE__OK)
        code = s_step_apply (call, req, step, p, date);
    if (code == SNODO__CODE__OK) {
        mon_history_append (p, from, date, sn_call_member_id (call), req->note);
        code = mon_history_store (call, p);
    }
    if (code == SNODO__CODE__OK)
        code = mon_pathway_acts (call, p, from);
    if (code == SNODO__CODE__OK)
        return mon_pathway_save (call, p, step->event, output);     //  takes p
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

//  --- the agreement (convenzione individuale) -------------------------------------------

//  Checks an agreement's fields on their own (violations on the call).
static void
s_check_agreement (sn_call_t *call, const Snodo__Monitoring__Agreement *a)
{
    sn_check_text (call, "agreement.host_id", a->host_id, 64, true);
    sn_check_text (call, "agreement.post_id", a->post_id, 64, false);
    sn_check_text (call, "agreement.objectives", a->objectives, 4000, true);
    sn_check_text (call, "agreement.onsite_assistant", a->onsite_assistant, 200, false);
    sn_check_date (call, "agreement.start_date", a->start_date, true);
    sn_check_date (call, "agreement.end_date", a->end_date, false);
    sn_check_date (call, "agreement.signed_on", a->signed_on, false);
    if (sn_date_valid (a->start_date) && sn_date_valid (a->end_date) && strcmp (a->end_date, a->start_date) < 0)
        sn_call_violation (call, "agreement.end_date", "%s is before the start (%s)", a->end_date, a->start_date);
    if (a->weekly_hours < 1 || a->weekly_hours > 48)
        sn_call_violation (call, "agreement.weekly_hours", "%u is out of range 1-48", a->weekly_hours);
    for (size_t i = 0; i < a->n_parties; i++) {
        char field [48];
        snprintf (field, sizeof field, "agreement.parties[%zu]", i);
        sn_check_text (call, field, a->parties [i], 200, true);
    }
}

//  The scuola-pass only under 75 % invalidity: reads the person. Returns a code.
static int
s_check_scuola_pass (sn_call_t *call, const Snodo__Monitoring__Pathway *p)
{
    const char *params [1] = {p->person_id};
    PGresult *res = sn_call_query (call, "reading the person",
                                   "SELECT invalidity_percent FROM person WHERE id = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    int invalidity = PQntuples (res) ? atoi (PQgetvalue (res, 0, 0)) : 0;
    PQclear (res);
    if (invalidity <= 0 || invalidity >= 75)
        sn_call_violation (call, "agreement.scuola_pass",
                           "is only for a certified invalidity under 75 %% (the person's: %d %%)", invalidity);
    return sn_call_violations (call) ? sn_call_invalid (call) : SNODO__CODE__OK;
}

//  Numbers the new agreement a of p. A change of a signed agreement is an
//  amendment (version + 1, dated date, to be signed): the signed version is
//  kept in agreement_version and in p->agreement_versions, never erased.
//  Unsigned, it is changed in place. Takes p's old agreement. Returns a code.
static int
s_agreement_version (sn_call_t *call, Snodo__Monitoring__Pathway *p, Snodo__Monitoring__Agreement *a,
                     const char *date)
{
    Snodo__Monitoring__Agreement *old = p->agreement;
    p->agreement = a;
    a->version = old && old->version ? old->version : 1;
    if (!old || !*old->signed_on) {
        if (old) {
            sn_set_string (&a->amended_on, old->amended_on);
            protobuf_c_message_free_unpacked (&old->base, NULL);
        }
        return SNODO__CODE__OK;
    }
    if (strcmp (date, old->signed_on) < 0) {
        sn_call_violation (call, "date", "%s is before the agreement was signed on %s", date, old->signed_on);
        protobuf_c_message_free_unpacked (&old->base, NULL);
        return sn_call_invalid (call);
    }
    a->version = old->version + 1;
    sn_set_string (&a->amended_on, date);
    sn_set_string (&a->signed_on, "");          //  an amendment has its own signature
    struct json_object *obj = sn_json_obj_from_message (&old->base, 0);
    char number [16];
    snprintf (number, sizeof number, "%u", old->version);
    const char *params [5] = {p->id, number, *old->amended_on ? old->amended_on : NULL, old->signed_on,
                              json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN)};
    PGresult *res = sn_call_query (call, "keeping the signed agreement",
        "INSERT INTO agreement_version (pathway_id, number, date, signed_on, data) "
        "VALUES ($1, $2::int, $3::date, $4::date, $5::jsonb)", 5, params);
    json_object_put (obj);
    PQclear (res);
    p->agreement_versions = (Snodo__Monitoring__Agreement **)
        realloc (p->agreement_versions, (p->n_agreement_versions + 1) * sizeof (void *));
    assert (p->agreement_versions);
    p->agreement_versions [p->n_agreement_versions++] = old;     //  moved into p
    return res ? SNODO__CODE__OK : sn_call_code (call);
}

//  The host's tutors leave the team when the agreement names another host:
//  they are the old host's staff. Each removal is its event
//  (monitoring.team.host_tutor_removed), and p's team is left without them.
//  Returns a code.
static int
s_tutors_follow_host (sn_call_t *call, Snodo__Monitoring__Pathway *p)
{
    const char *host = mon_pathway_host (p);
    bool stale = false;         //  the team as loaded with the pathway (locked) tells
    for (size_t i = 0; i < p->n_team && !stale; i++)
        stale = p->team [i]->role == SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR
             && !streq (p->team [i]->member_id, host);
    if (!stale)
        return SNODO__CODE__OK;
    const char *params [2] = {p->id, host};
    PGresult *res = sn_call_query (call, "removing the old host's tutors",
        "UPDATE team_member SET removed_at = now () WHERE pathway_id = $1 AND role = " SN_SQL (MON_SQL_HOST_TUTOR) " "
        "AND member_id <> $2 AND removed_at IS NULL RETURNING member_id, name, phone, email", 2, params);
    if (!res)
        return sn_call_code (call);
    int code = SNODO__CODE__OK;
    for (int i = 0; i < PQntuples (res) && code == SNODO__CODE__OK; i++) {
        Snodo__Monitoring__TeamMember *m =
            (Snodo__Monitoring__TeamMember *) sn_message_new (&snodo__monitoring__team_member__descriptor);
        sn_set_string (&m->pathway_id, p->id);
        sn_set_string (&m->person_id, p->person_id);
        sn_set_string (&m->member_id, PQgetvalue (res, i, 0));
        sn_set_string (&m->name, PQgetvalue (res, i, 1));
        sn_set_string (&m->phone, PQgetvalue (res, i, 2));
        sn_set_string (&m->email, PQgetvalue (res, i, 3));
        m->role = SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR;
        if (sn_call_event (call, "monitoring.team.host_tutor_removed", p->id, p->person_id, &m->base))
            code = sn_call_code (call);
        protobuf_c_message_free_unpacked (&m->base, NULL);
    }
    PQclear (res);
    size_t kept = 0;
    for (size_t i = 0; i < p->n_team; i++)
        if (p->team [i]->role == SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR
        &&  !streq (p->team [i]->member_id, host))
            protobuf_c_message_free_unpacked (&p->team [i]->base, NULL);
        else
            p->team [kept++] = p->team [i];
    p->n_team = kept;
    return code;
}

//  SetAgreement: the convenzione individuale, from the project on; the
//  scuola-pass only under 75 % invalidity; after a signature, an amendment.
//  The old host's tutors leave the team when the host changes.
static int
s_set_agreement (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Monitoring__SetAgreementRequest *req = (Snodo__Monitoring__SetAgreementRequest *) input;
    Snodo__Monitoring__Agreement *a = req->agreement;
    char today [11];
    mon_today (call, today);
    const char *date = *req->date ? req->date : today;
    mon_check_past (call, "date", req->date, false, today);
    if (!a)
        sn_call_violation (call, "agreement", "is required");
    else
        s_check_agreement (call, a);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, BIT (PROJECT) | BIT (AGREEMENT) | BIT (ACTIVE) | BIT (SUSPENDED),
                                  "SetAgreement");
    if (code == SNODO__CODE__OK && a->scuola_pass)
        code = s_check_scuola_pass (call, p);
    if (code == SNODO__CODE__OK) {
        req->agreement = NULL;          //  moved into p
        code = s_agreement_version (call, p, a, date);
    }
    if (code == SNODO__CODE__OK) {
        if (!*p->employer_id)
            sn_set_string (&p->employer_id, a->host_id);
        if (!*p->post_id)
            sn_set_string (&p->post_id, a->post_id);
        code = s_tutors_follow_host (call, p);
    }
    if (code == SNODO__CODE__OK && *p->start_date)
        code = s_reschedule (call, p);
    if (code != SNODO__CODE__OK) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return code;
    }
    return mon_pathway_save (call, p, "agreement_set", output);
}

//  --- the team (équipe di progetto) ----------------------------------------------------

#define HOST_TUTOR SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR

//  A phone number as people write it: digits, spaces and + - / . ( ), with
//  6 to 15 digits.
static bool
s_is_phone (const char *text)
{
    int digits = 0;
    for (const char *c = text; *c; c++)
        if (*c >= '0' && *c <= '9')
            digits++;
        else
        if (!strchr (" +-/.()", *c))
            return false;
    return digits >= 6 && digits <= 15;
}

//  An e-mail address: one @, something before it, a domain with a dot after
//  it, no spaces.
static bool
s_is_email (const char *text)
{
    const char *at = strchr (text, '@');
    if (!at || at == text || strchr (at + 1, '@') || strpbrk (text, " \t\r\n,;<>"))
        return false;
    const char *dot = strrchr (at + 1, '.');
    return dot && dot > at + 1 && dot [1];
}

//  Checks a team request on its own. A host tutor's member is the
//  pathway's host, checked once the pathway is read (s_team_member_id);
//  any other is a member of the network.
static void
s_check_team_request (sn_call_t *call, const Snodo__Monitoring__TeamRequest *req)
{
    bool tutor = req->role == HOST_TUTOR;
    sn_member_info_t info;
    if (tutor)
        sn_check_text (call, "member_id", req->member_id, 64, false);
    else
    if (!*req->member_id)
        sn_call_violation (call, "member_id", "is required");
    else
    if (!sn_auth_lookup (mon_auth ((monitoring_t *) sn_call_state (call)), req->member_id, &info)
    ||  info.revoked)
        sn_call_violation (call, "member_id", "unknown member \"%.64s\"", req->member_id);
    sn_check_enum (call, "role", &snodo__monitoring__team_role__descriptor, req->role, true);
    sn_check_text (call, "name", req->name, 200, tutor);
    sn_check_text (call, "phone", req->phone, 40, false);
    if (*req->phone && strlen (req->phone) <= 40 && !s_is_phone (req->phone))
        sn_call_violation (call, "phone", "\"%.40s\" is not a phone number (6-15 digits, + - / . ( ) and spaces)",
                           req->phone);
    sn_check_text (call, "email", req->email, 200, false);
    if (*req->email && strlen (req->email) <= 200 && !s_is_email (req->email))
        sn_call_violation (call, "email", "\"%.60s\" is not an e-mail address", req->email);
    if (tutor && !*req->phone && !*req->email)
        sn_call_violation (call, "phone", "a host tutor needs a phone or an e-mail address");
    if (mon_team_role_given (req->role))
        sn_call_violation (call, "role", "is given by the service (taking in charge, return to the social "
                           "services), not added");
    if (req->referente && req->role != SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_GUIDE_WORKER)
        sn_call_violation (call, "referente", "only a guide worker is the referente di progetto");
}

//  The member a team row is recorded under: the request's, or for a host
//  tutor the pathway's host (the agreement's, else the employer), which the
//  request may name but not change. NULL with the status set when it cannot.
static const char *
s_team_member_id (sn_call_t *call, const Snodo__Monitoring__TeamRequest *req, const Snodo__Monitoring__Pathway *p)
{
    if (req->role != HOST_TUTOR)
        return req->member_id;
    const char *host = mon_pathway_host (p);
    if (!*host) {
        sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION,
                      "pathway %s has no host yet: its tutor is added once the project names the employer", p->id);
        return NULL;
    }
    if (*req->member_id && !streq (req->member_id, host)) {
        sn_call_violation (call, "member_id", "a host tutor is recorded under the pathway's host %.64s", host);
        sn_call_invalid (call);
        return NULL;
    }
    return host;
}

//  Writes the team row (a new referente takes the flag from the last one).
//  A row of the same member and name with another kind of role (one that
//  gives access, or a host tutor's) is not changed: ALREADY_EXISTS. Returns
//  the row's added_at (ms), or -1 with the status set.
static long long
s_team_row (sn_call_t *call, const Snodo__Monitoring__TeamRequest *req, const char *pathway, const char *member)
{
    char role [8];
    snprintf (role, sizeof role, "%d", req->role);
    const char *params [7] = {pathway, member, role, req->name, req->referente ? "t" : "f", req->phone, req->email};
    PGresult *res;
    if (req->referente) {
        res = sn_call_query (call, "updating the team",
            "UPDATE team_member SET referente = false WHERE pathway_id = $1 AND referente "
            "AND removed_at IS NULL", 1, params);
        if (!res)
            return -1;
        PQclear (res);
    }
    res = sn_call_query (call, "adding the team member",
        "INSERT INTO team_member (pathway_id, member_id, role, name, referente, phone, email) "
        "VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (pathway_id, member_id, name) WHERE removed_at IS NULL "
        "DO UPDATE SET role = $3, referente = $5, phone = $6, email = $7 "
        "WHERE (team_member.role = " SN_SQL (MON_SQL_HOST_TUTOR) ") = ($3::int = " SN_SQL (MON_SQL_HOST_TUTOR) ") "
        "RETURNING ms (added_at)", 7, params);
    if (!res)
        return -1;
    long long added = PQntuples (res) ? atoll (PQgetvalue (res, 0, 0)) : -1;
    PQclear (res);
    if (added < 0)
        sn_call_fail (call, SNODO__CODE__ALREADY_EXISTS,
                      "%s / %s is in the team of pathway %s with another role: remove it first", member,
                      req->name, pathway);
    return added;
}

//  AddTeamMember: a member of the network into the team, the registry
//  hearing of it through monitoring.team.member_added and the forwarder; or
//  the host's tutor, under the host's id, which the registry is not told of
//  (monitoring.team.host_tutor_added): it gives the host no access.
static int
s_add_team_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__TeamRequest *req = (const void *) input;
    s_check_team_request (call, req);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    int code = mon_require_state (call, p, OPEN_STATES, "AddTeamMember");
    const char *member = code == SNODO__CODE__OK ? s_team_member_id (call, req, p) : NULL;
    long long added = member ? s_team_row (call, req, p->id, member) : -1;
    if (added < 0) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    Snodo__Monitoring__TeamMember *m =
        (Snodo__Monitoring__TeamMember *) sn_message_new (&snodo__monitoring__team_member__descriptor);
    sn_set_string (&m->pathway_id, p->id);
    sn_set_string (&m->person_id, p->person_id);
    sn_set_string (&m->member_id, member);
    sn_set_string (&m->name, req->name);
    sn_set_string (&m->phone, req->phone);
    sn_set_string (&m->email, req->email);
    m->role = req->role;
    m->referente = req->referente;
    m->added_at = added;
    protobuf_c_message_free_unpacked (&p->base, NULL);
    const char *type = m->role == HOST_TUTOR ? "monitoring.team.host_tutor_added" : "monitoring.team.member_added";
    if (sn_call_event (call, type, m->pathway_id, m->person_id, &m->base)) {
        protobuf_c_message_free_unpacked (&m->base, NULL);
        return sn_call_code (call);
    }
    *output = &m->base;
    return SNODO__CODE__OK;
}

//  Removes one team row (member and name). The registry hears of it only
//  when the member has no other row in the team that gives it access (a
//  host tutor's gives none, and its removal is not told).
static int
s_remove_team_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__TeamRequest *req = (const void *) input;
    if (!*req->member_id) {
        sn_call_violation (call, "member_id", "is required");
        return sn_call_invalid (call);
    }
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, true);
    if (!p)
        return sn_call_code (call);
    const char *params [3] = {p->id, req->member_id, req->name};
    PGresult *res = sn_call_query (call, "removing the team member",
        "WITH r AS (UPDATE team_member SET removed_at = now () WHERE pathway_id = $1 AND member_id = $2 "
        "           AND name = $3 AND removed_at IS NULL RETURNING role, referente, phone, email) "
        "SELECT role, referente, (SELECT count (*) FROM team_member WHERE pathway_id = $1 "
        "       AND member_id = $2 AND name <> $3 AND removed_at IS NULL "
        "       AND role <> " SN_SQL (MON_SQL_HOST_TUTOR) "), phone, email FROM r", 3, params);
    if (!res) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    if (PQntuples (res) == 0) {
        PQclear (res);
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "%s%s%s is not in the team of pathway %s",
                             req->member_id, *req->name ? " / " : "", req->name, req->pathway_id);
    }
    Snodo__Monitoring__TeamMember *m =
        (Snodo__Monitoring__TeamMember *) sn_message_new (&snodo__monitoring__team_member__descriptor);
    sn_set_string (&m->pathway_id, p->id);
    sn_set_string (&m->person_id, p->person_id);
    sn_set_string (&m->member_id, req->member_id);
    sn_set_string (&m->name, req->name);
    m->role = (Snodo__Monitoring__TeamRole) atoi (PQgetvalue (res, 0, 0));
    m->referente = PQgetvalue (res, 0, 1) [0] == 't';
    bool last = atoi (PQgetvalue (res, 0, 2)) == 0;
    sn_set_string (&m->phone, PQgetvalue (res, 0, 3));
    sn_set_string (&m->email, PQgetvalue (res, 0, 4));
    PQclear (res);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    //  the registry hears only of the last row that gave the member access
    const char *type = m->role == HOST_TUTOR ? "monitoring.team.host_tutor_removed"
                     : last ? "monitoring.team.member_removed" : "monitoring.team.staff_removed";
    if (sn_call_event (call, type, m->pathway_id, m->person_id, &m->base)) {
        protobuf_c_message_free_unpacked (&m->base, NULL);
        return sn_call_code (call);
    }
    *output = &m->base;
    return SNODO__CODE__OK;
}

//  ListTeam: the team and the last day of the referente's two weeks.
static int
s_list_team (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Monitoring__ListTeamRequest *req = (const void *) input;
    Snodo__Monitoring__Pathway *p = mon_pathway_load (call, "pathway_id", req->pathway_id, false);
    if (!p)
        return sn_call_code (call);
    Snodo__Monitoring__ListTeamReply *reply =
        (Snodo__Monitoring__ListTeamReply *) sn_message_new (&snodo__monitoring__list_team_reply__descriptor);
    reply->team = p->team;
    reply->n_team = p->n_team;
    p->team = NULL;
    p->n_team = 0;
    //  the referente accompanies the person for the first two weeks
    char until [11];
    reply->referente_until = strdup (mon_date_add_days (p->start_date, 13, until) == 0 ? until : "");
    protobuf_c_message_free_unpacked (&p->base, NULL);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

//  The transitions' handlers, one per rpc: s_step with the rpc's row of s_steps.
#define STEP_HANDLER(handler, row) \
    static int handler (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output) \
    { \
        return s_step (call, (Snodo__Monitoring__TransitionRequest *) input, output, &s_steps [row]); \
    }
STEP_HANDLER (s_start_intake, STEP_INTAKE)              //  StartIntake
STEP_HANDLER (s_start_assessment, STEP_ASSESSMENT)      //  StartAssessment
STEP_HANDLER (s_start_matching, STEP_MATCHING)          //  StartMatching
STEP_HANDLER (s_present_project, STEP_PROJECT)          //  PresentProject
STEP_HANDLER (s_sign_agreement, STEP_AGREEMENT)         //  SignAgreement
STEP_HANDLER (s_activate, STEP_ACTIVATE)                //  Activate
STEP_HANDLER (s_suspend, STEP_SUSPEND)                  //  Suspend
STEP_HANDLER (s_resume, STEP_RESUME)                    //  Resume
STEP_HANDLER (s_close, STEP_CLOSE)                      //  Close

#define ANY SN_ANY_KIND
#define W (SN_WRITE | SN_PERSONAL)

const sn_method_t mon_pathway_methods [] = {
    SN_METHOD (Refer, s_refer, REFERRING_KINDS, W),
    SN_METHOD (GetPathway, s_get_pathway, ANY, SN_PERSONAL),
    SN_METHOD (ListPathways, s_list_pathways, ANY, SN_PERSONAL),
    SN_METHOD (StartIntake, s_start_intake, ANY, W),
    SN_METHOD (StartAssessment, s_start_assessment, ANY, W),
    SN_METHOD (StartMatching, s_start_matching, ANY, W),
    SN_METHOD (PresentProject, s_present_project, ANY, W),
    SN_METHOD (SignAgreement, s_sign_agreement, ANY, W),
    SN_METHOD (Activate, s_activate, ANY, W),
    SN_METHOD (Suspend, s_suspend, ANY, W),
    SN_METHOD (Resume, s_resume, ANY, W),
    SN_METHOD (Close, s_close, ANY, W),
    SN_METHOD (SetAgreement, s_set_agreement, ANY, W),
    SN_METHOD (AddTeamMember, s_add_team_member, ANY, W),
    SN_METHOD (RemoveTeamMember, s_remove_team_member, ANY, W),
    SN_METHOD (ListTeam, s_list_team, ANY, SN_PERSONAL),
    SN_METHODS_END
};
