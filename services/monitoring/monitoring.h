/*  The monitoring service: work-placement pathways (percorsi di inserimento)
    from the referral to the outcome, with their team, agreement, schedule of
    meetings, company visits, attendance, S.O.M.I. observations and the
    standard services delivered. See docs/monitoring.md. */
#ifndef MONITORING_H_INCLUDED
#define MONITORING_H_INCLUDED

#include "monitoring.pb-c.h"
#include "matching.pb-c.h"
#include "sn_client.h"
#include "sn_json.h"
#include "sn_check.h"
#include "sn_server.h"
#include "sn_subscriber.h"
#include <json-c/json.h>

typedef struct _monitoring_t monitoring_t;

#define MON_STATE(x) SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_##x
#define MON_KIND(x)  SNODO__MEMBER_KIND__MEMBER_KIND_##x
#define MON_MEETING(x) SNODO__MONITORING__MEETING_KIND__MEETING_KIND_##x
#define MON_MEETING_STATUS(x) SNODO__MONITORING__MEETING_STATUS__MEETING_STATUS_##x
//  A S.O.M.I. observation scores the 29 characteristics of a profile, 0-5.
#define MON_SCORE_MAX 5

//  Creates the service's state. auth is borrowed: the member table the
//  service's ZAP handler reads (sn_directory keeps it), used to check that a
//  team member is a member of the network.
monitoring_t *monitoring_new (sn_auth_t *auth);
void monitoring_destroy (monitoring_t **self_p);

//  The service description for sn_server_new; state points to self.
sn_service_t monitoring_service (monitoring_t *self);

//  Fixes "today" (YYYY-MM-DD) for the service and its scheduler: for tests.
//  NULL or "" goes back to the clock (in the time zone, see mon_date_today).
void monitoring_set_today (monitoring_t *self, const char *today);
//  Today as the service sees it (the fixed one, or the clock's). out: 11 bytes.
void monitoring_today (monitoring_t *self, char *out);

extern const sn_migration_t monitoring_migrations [];

//  --- events in -----------------------------------------------------------------

//  Applies a registry event (sn_directory's apply: registry.person.* whose
//  body is a Person) to the copy of the persons the service keeps, and the
//  posts and employers (mon_registry_org_apply). Returns 0, or -1 to roll
//  back and retry.
int monitoring_registry_apply (PGconn *db, const Snodo__Event *event, void *arg);

//  The same for a page of registry events (sn_apply_page_fn): the persons
//  they hold, each as the last of its events says, in one statement.
//  Returns 0, or -1 to roll back (the page is then applied event by event).
int monitoring_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg);

//  Applies a matching event: "matching.proposal.accepted" moves the
//  proposal's pathway (pathway_id, or else the person's one pathway in
//  MATCHING) from MATCHING to PROJECT, recording post and employer, and
//  writes monitoring.pathway.project into the outbox; with no such pathway it
//  is a no-op with a log line. The transition is dated the proposal's
//  answered_on (today if none), raised to the pathway's last date if before
//  it. arg: the monitoring_t (its today), or NULL (the clock's). Returns 0,
//  or -1 to retry.
int monitoring_matching_apply (PGconn *db, const Snodo__Event *event, void *arg);

//  The forwarder: follows the service's own events and calls the
//  registry's AddTeamMember/RemoveTeamMember (team changes) and
//  RecordOutcome (a pathway closed as HIRED or RETURNED) with the event's id
//  as request_id, so the registry applies each exactly once. Its lag behind
//  the service's own events shows in metrics (borrowed; may be NULL).
typedef struct _mon_forwarder_t mon_forwarder_t;
mon_forwarder_t *mon_forwarder_new (const char *own_request, const char *own_events, zcert_t *cert,
                                    const char *conninfo, const char *registry_request,
                                    const char *registry_key, sn_metrics_t *metrics);
void mon_forwarder_destroy (mon_forwarder_t **self_p);

//  The scheduler: every interval_ms, writes one "monitoring.meeting.overdue"
//  outbox row per scheduled meeting whose date passed without being recorded
//  (once per meeting), for the relay to publish.
zactor_t *mon_scheduler_new (monitoring_t *self, const char *conninfo, int interval_ms);

//  One pass of the scheduler on db, with today as given. Returns the number
//  of meetings notified, or -1.
int mon_scheduler_pass (PGconn *db, const char *today);

//  --- dates (monitoring_dates.c): pure, YYYY-MM-DD ---------------------------------

//  Dates are checked with sn_date_valid and parsed with sn_date_parse (sn_check.h).
//  date + days into out (11 bytes). Returns 0, or -1 on a bad date.
int mon_date_add_days (const char *date, int days, char *out);
//  date + months, clamped to the end of the month. Returns 0 or -1.
int mon_date_add_months (const char *date, int months, char *out);
//  The due date of meeting number n (1 the joint meeting at start + 20 days,
//  n >= 2 a verification 2 (n - 1) months after the joint meeting). 0 or -1.
int mon_meeting_due (const char *start, unsigned n, char *out);
//  Today in the service's time zone (monitoring/time_zone, set as TZ by main).
void mon_date_today (char *out);
//  Easter Sunday of year (Gregorian) into out (11 bytes).
void mon_date_easter (int year, char *out);
//  Appends to days the national public holidays (festività nazionali) of
//  the years from to to: New Year, Epiphany, Easter Monday, Liberation Day,
//  Labour Day, Republic Day, Assumption, All Saints, the Immaculate
//  Conception, Christmas and St Stephen. Years 1-9999.
void mon_holidays (int from, int to, sn_array_t *days);

//  --- inside the service ------------------------------------------------------------

extern const sn_method_t mon_pathway_methods [];
extern const sn_method_t mon_schedule_methods [];
extern const sn_method_t mon_attendance_methods [];
extern const sn_method_t mon_record_methods [];
extern const sn_method_t mon_project_methods [];
extern const sn_method_t mon_accessory_methods [];
extern const sn_method_t mon_review_methods [];

//  Checks a decision on a request (the accompaniment, the transport
//  funding): REQUESTED with no decision day nor who decided; GRANTED or
//  REFUSED with both, the day not in the future nor before requested_on.
//  Violations name prefix + "decision", "decided_by", "decided_on".
void mon_check_decision (sn_call_t *call, const char *prefix, int decision, const char *decided_by,
                         const char *decided_on, const char *requested_on, const char *today);

sn_auth_t *mon_auth (monitoring_t *self);

//  Today for a call (the fixed one, or the clock's). out: 11 bytes.
void mon_today (sn_call_t *call, char *out);

//  The state's name without its prefix ("ACTIVE").
const char *mon_state_name (int state);

//  Loads a pathway the caller may touch (the referring member, the member
//  that referred it for the referring one, a member of its team, PROVINCIA,
//  CPI, SERVICE, ADMIN), with its team; audits its
//  person. NULL with the status set (INVALID_ARGUMENT naming field,
//  NOT_FOUND, PERMISSION_DENIED) otherwise. for_update locks the row.
Snodo__Monitoring__Pathway *mon_pathway_load (sn_call_t *call, const char *field, const char *id,
                                              bool for_update);

//  The pathway's host: the agreement's, else the project's employer ("" for
//  none). Its host_id column, and the member its host tutors are under.
const char *mon_pathway_host (const Snodo__Monitoring__Pathway *p);

//  Saves a loaded pathway's state and data (version + 1), writes the event
//  "monitoring.pathway.<what>" with it, and sets *output to it (taking it).
//  Returns a code; on failure the pathway is freed.
int mon_pathway_save (sn_call_t *call, Snodo__Monitoring__Pathway *p, const char *what,
                      ProtobufCMessage **output);

//  The pathway as its row's data keeps it (JSON): without what other columns
//  and tables keep (version, times, team, history, agreement versions).
//  Caller frees.
char *mon_storage_json (const Snodo__Monitoring__Pathway *p);

//  Writes the event type with the pathway as its body, without the
//  presentation form. Returns 0, or -1 with the call's status set.
int mon_pathway_event (sn_call_t *call, const char *type, Snodo__Monitoring__Pathway *p);

//  --- the dated history (monitoring_history.c) ------------------------------------

//  Records a transition of p (from from to p->state, on date, by member,
//  with note): appends it to p->history; the SQL that stores it is
//  MON_TRANSITION_SQL ($1 pathway, $2 from, $3 to, $4 date, $5 member, $6 note).
void mon_history_append (Snodo__Monitoring__Pathway *p, int from, const char *date, const char *member,
                         const char *note);
#define MON_TRANSITION_SQL \
    "INSERT INTO pathway_transition (pathway_id, from_state, to_state, date, member_id, note) " \
    "VALUES ($1, $2::int, $3::int, $4::date, $5, $6)"
//  Stores the last entry of p->history in the call's transaction. Returns a code.
int mon_history_store (sn_call_t *call, const Snodo__Monitoring__Pathway *p);
//  The date of p's last transition (its referral's when it has no history).
const char *mon_history_last (const Snodo__Monitoring__Pathway *p);
//  The date p last entered state, or NULL.
const char *mon_history_date (const Snodo__Monitoring__Pathway *p, int state);
//  Checks date against p's history for a move to state to: not before the
//  last transition, a signature not before the project's presentation.
//  Records a violation of field on the call ("2026-11-03 is before the
//  project was presented on 2026-11-10").
void mon_history_check (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int to, const char *field,
                        const char *date);
//  A record's day: a date (required or not), not after today. Records a
//  violation of field on the call ("2026-12-03 is in the future").
void mon_check_past (sn_call_t *call, const char *field, const char *date, bool required, const char *today);

//  A record a statement wrote, read back from the JSON of its first row
//  (res, cleared here) as desc, published as event type about subject,
//  then the call's output. Returns the call's code.
int mon_recorded (sn_call_t *call, PGresult *res, const ProtobufCMessageDescriptor *desc, const char *type,
                  const char *subject, const char *person, ProtobufCMessage **output);
//  A record's day not before p's referral: "... is before the referral on
//  2026-01-10". Nothing for a date that is not valid (checked before).
void mon_check_since_referral (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const char *field,
                               const char *date);
//  A record's day not before p's start, when it has one: "... is before the
//  start (2026-02-01)". Nothing for a date that is not valid.
void mon_check_since_start (sn_call_t *call, const Snodo__Monitoring__Pathway *p, const char *field,
                            const char *date);

//  Fails with FAILED_PRECONDITION unless the pathway is in one of the states
//  of mask (1 << state): "pathway ... is CLOSED: <action> needs ACTIVE".
int mon_require_state (sn_call_t *call, const Snodo__Monitoring__Pathway *p, uint32_t mask,
                       const char *action);

//  --- a referral (Refer, and ReferBatch's items) ----------------------------------

//  A person as Refer reads it: the row of MON_REFERRED_PERSON_SQL.
typedef struct {
    char referrer [128];            //  its referring service
    char ambito [64];
    uint32_t invalidity;
    char open [64];                 //  "<id> <state>" of its open pathway, or ""
    char via [128];                 //  the member that referred it (the bridge), or ""
} mon_referred_person_t;

//  The columns of mon_referred_person_t from the person table, a WHERE to follow.
#define MON_REFERRED_PERSON_SQL \
    "SELECT referring_member_id, ambito, invalidity_percent, " \
    "       (SELECT id::text || ' ' || state FROM pathway WHERE person_id = person.id " \
    "        AND state <> " SN_SQL (MON_SQL_CLOSED) " LIMIT 1), referred_via, id::text FROM person "

//  Refer's answer for a person the service has not heard of (%s: its id).
#define MON_NOT_KNOWN "person %s is not known here: no such person in the registry, or its " \
                      "event has not arrived yet (try again in a moment)"

//  What Refer checks of its request before it reads anything (violations on the call).
void mon_check_refer (sn_call_t *call, const Snodo__Monitoring__ReferRequest *req, const char *today);
//  Row row of a MON_REFERRED_PERSON_SQL result into out.
void mon_referred_person (const PGresult *res, int row, mon_referred_person_t *out);
//  Whether the caller may refer the person read (who refers, no open
//  pathway). Returns OK with *referrer set (borrowed from req, the call or
//  person), or the failure, set on the call.
int mon_refer_allowed (sn_call_t *call, const Snodo__Monitoring__ReferRequest *req,
                       const mon_referred_person_t *person, const char **referrer);
//  The new pathway, REFERRED, with a new id; takes req's presentation form.
Snodo__Monitoring__Pathway *mon_referral_new (sn_call_t *call, Snodo__Monitoring__ReferRequest *req,
                                              const char *referrer, const mon_referred_person_t *person,
                                              const char *today);
//  A new pathway's data column. Caller frees.
char *mon_referral_data (const Snodo__Monitoring__Pathway *p);

extern const sn_method_t mon_batch_methods [];

//  --- taking in charge and handing back (monitoring_charge.c) ---------------------

//  What a transition of p (from from to p->state, done by the call's
//  member) gives beside the state: an intake by the Province or a CPI
//  (presa in carico) puts that member in the team (PROVINCE_OFFICE); a close
//  with outcome RETURNED puts the SSC of the person's ambito in it
//  (SOCIAL_SERVICES), and is FAILED_PRECONDITION when there is none. Each
//  joining writes monitoring.team.member_added, before the pathway's own
//  event. Returns a code.
int mon_pathway_acts (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int from);
//  --- posts and employers (monitoring_posts.c) ------------------------------------

//  Keeps a registry.post.*, registry.company.* or registry.cooperative.*
//  event's post or employer (other events are left alone). Returns 0, or -1
//  to roll back and retry.
int mon_registry_org_apply (PGconn *db, const Snodo__Event *event);
//  Whether pathway_id's project may be placed on post_id of employer_id:
//  both UUIDs (INVALID_ARGUMENT naming the field), both known here
//  (FAILED_PRECONDITION "try again in a moment"), the post the employer's
//  (INVALID_ARGUMENT, post_id), OPEN and with a place not filled nor held by
//  another open project (FAILED_PRECONDITION naming post_id). Returns a code.
int mon_check_placement (sn_call_t *call, const char *pathway_id, const char *post_id, const char *employer_id);

//  --- the evaluation of the acquired capacity (monitoring_evaluation.c) -----------

extern const sn_method_t mon_evaluation_methods [];
//  Whether p may be closed with outcome on date: HIRED needs its last
//  evaluation on or before date to say READY_TO_HIRE, RETURNED
//  NOT_PLACEABLE_NOW (FAILED_PRECONDITION naming the missing evaluation or
//  the verdict otherwise); other outcomes need none. Returns a code.
int mon_close_evaluated (sn_call_t *call, const Snodo__Monitoring__Pathway *p, int outcome, const char *date);

//  True for the team roles only the service gives (AddTeamMember refuses them).
bool mon_team_role_given (int role);

//  The SQL of a pathway's JSON for a row p, with the access rule:
//  $2 = caller id, $3 = caller kind. The member that referred the pathway
//  for its referring service (the bridge) has the referring service's access;
//  a host tutor's row (under the host's id) gives none.
//  The numbers of the proto's enums as SQL text writes them (SN_SQL),
//  checked against the enums when this compiles.
#define MON_SQL_MATCHING 4          //  PathwayState
#define MON_SQL_PROJECT 5
#define MON_SQL_ACTIVE 7
#define MON_SQL_SUSPENDED 8
#define MON_SQL_CLOSED 9
#define MON_SQL_SCHEDULED 1         //  MeetingStatus
#define MON_SQL_HELD 2
#define MON_SQL_CANCELLED 3
#define MON_SQL_PRESENT 1           //  Presence
#define MON_SQL_ABSENT_JUSTIFIED 2
#define MON_SQL_ABSENT_UNJUSTIFIED 3
#define MON_SQL_HOST_TUTOR 4        //  TeamRole: a row that gives no access
#define MON_SQL_SSC 7               //  MemberKind
SN_SQL_CHECK (MON_SQL_SSC, MON_KIND (SSC));
SN_SQL_CHECK (MON_SQL_MATCHING, MON_STATE (MATCHING));
SN_SQL_CHECK (MON_SQL_PROJECT, MON_STATE (PROJECT));
SN_SQL_CHECK (MON_SQL_ACTIVE, MON_STATE (ACTIVE));
SN_SQL_CHECK (MON_SQL_SUSPENDED, MON_STATE (SUSPENDED));
SN_SQL_CHECK (MON_SQL_CLOSED, MON_STATE (CLOSED));
SN_SQL_CHECK (MON_SQL_SCHEDULED, MON_MEETING_STATUS (SCHEDULED));
SN_SQL_CHECK (MON_SQL_HELD, MON_MEETING_STATUS (HELD));
SN_SQL_CHECK (MON_SQL_CANCELLED, MON_MEETING_STATUS (CANCELLED));
SN_SQL_CHECK (MON_SQL_PRESENT, SNODO__MONITORING__PRESENCE__PRESENCE_PRESENT);
SN_SQL_CHECK (MON_SQL_ABSENT_JUSTIFIED, SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_JUSTIFIED);
SN_SQL_CHECK (MON_SQL_ABSENT_UNJUSTIFIED, SNODO__MONITORING__PRESENCE__PRESENCE_ABSENT_UNJUSTIFIED);
SN_SQL_CHECK (MON_SQL_HOST_TUTOR, SNODO__MONITORING__TEAM_ROLE__TEAM_ROLE_HOST_TUTOR);

//  The members who see every pathway: the Province, a CPI, a service, an operator.
#define MON_SQL_SEE_ALL_KINDS \
    "(" SN_SQL (SN_SQL_PROVINCIA) ", " SN_SQL (SN_SQL_CPI) ", " SN_SQL (SN_SQL_SERVICE) ", " SN_SQL (SN_SQL_ADMIN) ")"

#define MON_MAY_ACCESS \
    "(p.referring_member_id = $2 OR p.referred_via = $2 OR $3::int IN " MON_SQL_SEE_ALL_KINDS " " \
    " OR EXISTS (SELECT 1 FROM team_member t WHERE t.pathway_id = p.id AND t.member_id = $2 " \
    "            AND t.removed_at IS NULL AND t.role <> " SN_SQL (MON_SQL_HOST_TUTOR) "))"

//  Records attendance (monitoring_attendance.c): writes every record and
//  returns the rows of their pathways, locked, for the checks after. $1 the
//  pathways' ids, $2 the caller's, $3 its kind, $4-$8 the records' pathways,
//  days, presences, hours and notes. The benchmark measures it too.
#define MON_ATTENDANCE_SQL \
    "WITH p AS (SELECT p.id, p.person_id, p.state, p.start_date, " MON_MAY_ACCESS " AS ok " \
    "           FROM pathway p WHERE p.id = ANY ($1::uuid []) FOR SHARE), " \
    "w AS (INSERT INTO attendance (pathway_id, day, presence, hours, note, recorded_by) " \
    "      SELECT u.pid, u.d, u.s, u.h, u.t, $2 " \
    "      FROM unnest ($4::uuid [], $5::date [], $6::smallint [], $7::numeric [], $8::text []) " \
    "           AS u (pid, d, s, h, t) " \
    "      ON CONFLICT (pathway_id, day) DO UPDATE SET presence = excluded.presence, " \
    "      hours = excluded.hours, note = excluded.note, recorded_by = excluded.recorded_by, " \
    "      recorded_at = now ()) " \
    "SELECT p.id::text, p.person_id, p.state, coalesce (p.start_date::text, ''), p.ok " \
    "FROM p ORDER BY p.id"

#define MON_PATHWAY_JSON \
    "(p.data || jsonb_build_object ('version', p.version, 'createdAt', ms (p.created_at), " \
    " 'updatedAt', ms (p.updated_at), 'team', coalesce ((SELECT jsonb_agg (jsonb_build_object (" \
    "   'pathwayId', t.pathway_id, 'personId', p.person_id, 'memberId', t.member_id, 'role', t.role, " \
    "   'name', t.name, 'referente', t.referente, 'addedAt', ms (t.added_at), 'phone', t.phone, " \
    "   'email', t.email) ORDER BY t.added_at, t.member_id) " \
    "   FROM team_member t WHERE t.pathway_id = p.id AND t.removed_at IS NULL), '[]'::jsonb), " \
    " 'history', coalesce ((SELECT jsonb_agg (jsonb_build_object ('from', h.from_state, 'to', h.to_state, " \
    "   'date', h.date::text, 'memberId', h.member_id, 'note', h.note) ORDER BY h.id) " \
    "   FROM pathway_transition h WHERE h.pathway_id = p.id), '[]'::jsonb), " \
    " 'agreementVersions', coalesce ((SELECT jsonb_agg (v.data ORDER BY v.number) " \
    "   FROM agreement_version v WHERE v.pathway_id = p.id), '[]'::jsonb)))::text"

#endif
