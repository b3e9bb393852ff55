/*  snodoctl: the command-line client of Snodo, for a person and for scripts.

    Human tables by default, --json for scripts; creates and updates take JSON
    (a file, or - for standard input). Reads the registry's address and the
    caller's certificate from the config that deploy/snodo up wrote.
    Exit codes: 0 done, 1 the service refused (the reason is printed),
    2 usage, 3 could not reach the service or read the config. */
#include "snodoctl.h"
#include "bridge.pb-c.h"
#include "matching.pb-c.h"
#include "reporting.pb-c.h"
#include "sn_json.h"
#include "sn_law68.h"
#include <errno.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <json-c/json.h>
#include <string.h>

#define EXIT_REFUSED 1
#define EXIT_USAGE 2
#define EXIT_UNREACHABLE 3

//  A subcommand: the method it calls and how arguments become its input.
typedef struct {
    const char *group;          //  "persons"
    const char *verb;           //  "get"
    const char *method;         //  "registry.GetPerson"
    const char *args [4];       //  positional arguments: input field paths; "@field" = a JSON
                                //  file into that field, "@" = a JSON file as the whole input;
                                //  "?" before either: may be left out (the last ones only)
    const char *columns;        //  for lists: the repeated field, then columns: "persons:id,surname"
    const char *help;           //  one line
} ctl_command_t;

static const ctl_command_t s_commands [] = {
    {"members", "list", "registry.ListMembers", {NULL}, "members:name,id,kind,ambito,revoked", "list members [--kind K] [--include-revoked]"},
    {"members", "get", "registry.GetMember", {"id"}, NULL, "show a member"},
    {"members", "register", "registry.RegisterMember", {"@member"}, NULL, "register a member from JSON"},
    {"members", "update", "registry.UpdateMember", {"@member"}, NULL, "update a member from JSON"},
    {"members", "revoke", "registry.RevokeMember", {"id", "?reason"}, NULL, "revoke a member"},
    {"directory", NULL, "registry.Directory", {NULL}, "members:name,id,kind,endpoints", "the network's directory"},
    {"whoami", NULL, "registry.WhoAmI", {NULL}, NULL, "the member this certificate is"},
    {"persons", "create", "registry.CreatePerson", {"@person"}, NULL, "create a person from JSON"},
    {"persons", "get", "registry.GetPerson", {"id"}, NULL, "show a person"},
    {"persons", "find", "registry.FindPerson", {"codice_fiscale"}, NULL, "find a person by codice fiscale"},
    {"persons", "list", "registry.ListPersons", {NULL}, "persons:surname,name,codiceFiscale,ambito,referringMemberId,categories,id",
     "list persons [--ambito A] [--category C] [--referring-member-id M] [--limit N] [--after ID]"},
    {"persons", "update", "registry.UpdatePerson", {"@person"}, NULL, "update a person from JSON (as read, changed)"},
    {"persons", "profile", "registry.SetProfile", {"person_id", "@profile"}, NULL, "set the ability profile: ID FILE"},
    {"persons", "constraints", "registry.SetConstraints", {"person_id", "@constraints"}, NULL, "set constraints: ID FILE"},
    {"persons", "note", "registry.AddPersonNote", {"person_id", "kind", "text"}, NULL,
     "a dated note of the team: PERSON CAPACITY|STRENGTH|PROBLEM|OTHER TEXT [--date D]"},
    {"persons", "notes", "registry.ListPersonNotes", {"person_id"}, "notes:date,kind,text,writtenBy,version,current,id",
     "the team's notes on a person: PERSON [--kind K] [--history]"},
    {"persons", "note-correct", "registry.CorrectPersonNote", {"id", "text"}, NULL,
     "correct a note (a new version; the old stays): NOTE TEXT [--kind K] [--date D]"},
    {"consent", "grant", "registry.GrantConsent", {"person_id", "purpose", "member_kind"}, NULL, "grant consent: PERSON PURPOSE KIND"},
    {"consent", "revoke", "registry.RevokeConsent", {"person_id", "purpose", "member_kind"}, NULL, "revoke consent: PERSON PURPOSE KIND"},
    {"companies", "create", "registry.CreateCompany", {"@company"}, NULL, "create a company from JSON"},
    {"companies", "get", "registry.GetCompany", {"id"}, NULL, "show a company"},
    {"companies", "list", "registry.ListCompanies", {NULL}, "companies:name,partitaIva,employees,quota,uncovered,ambito,id",
     "companies by uncovered law 68 quota [--ambito A] [--uncovered-only]"},
    {"companies", "update", "registry.UpdateCompany", {"@company"}, NULL, "update a company from JSON"},
    {"companies", "contact", "registry.AddCompanyContact", {"company_id", "contacted_on", "how", "outcome"}, NULL,
     "record a contact with a company: COMPANY DATE PHONE|EMAIL|VISIT|MEETING OUTCOME\n"
     "                            [--next-step T] [--next-on D] [--operator NAME]"},
    {"companies", "contacts", "registry.ListCompanyContacts", {NULL},
     "contacts:contactedOn,companyName,how,operator,memberId,outcome,nextStep,nextOn",
     "contacts with companies, newest first [--company ID] [--member M] [--operator NAME]"},
    {"cooperatives", "create", "registry.CreateCooperative", {"@cooperative"}, NULL, "create a cooperative from JSON"},
    {"cooperatives", "get", "registry.GetCooperative", {"id"}, NULL, "show a cooperative"},
    {"cooperatives", "list", "registry.ListCooperatives", {NULL}, "cooperatives:name,partitaIva,ambito,placementManager,id", "list cooperatives"},
    {"cooperatives", "add-guide", "registry.AddGuideWorker", {"cooperative_id", "@guide_worker"}, NULL, "add a guide worker: COOP FILE"},
    {"posts", "create", "registry.CreateJobPost", {"@post"}, NULL, "create a job post from JSON"},
    {"posts", "get", "registry.GetJobPost", {"id"}, NULL, "show a job post"},
    {"posts", "list", "registry.ListJobPosts", {NULL}, "posts:title,employer,weeklyHours,places,placesFilled,ambito,status,id",
     "list job posts [--employer-id ID] [--ambito A] [--status S]"},
    {"posts", "update", "registry.UpdateJobPost", {"@post"}, NULL, "update a job post from JSON"},
    {"pathways", "refer", "monitoring.Refer", {"person_id", "?kind", "?@presentation"}, NULL,
     "refer a person: PERSON [KIND] [PRESENTATION.json] [--referred-on D]"},
    {"pathways", "get", "monitoring.GetPathway", {"id"}, NULL, "show a pathway"},
    {"pathways", "list", "monitoring.ListPathways", {NULL},
     "pathways:person,state,kind,referringMemberId,ambito,startDate,employer,id",
     "list pathways [--state S] [--ambito A] [--person ID|CF] [--referring-member-id M] [--host-id H]"},
    {"pathways", "intake", "monitoring.StartIntake", {"pathway_id", "?date"}, NULL, "REFERRED -> INTAKE: ID [DATE]"},
    {"pathways", "assess", "monitoring.StartAssessment", {"pathway_id", "?date"}, NULL, "INTAKE -> ASSESSMENT: ID [DATE]"},
    {"pathways", "match", "monitoring.StartMatching", {"pathway_id", "?date"}, NULL, "ASSESSMENT -> MATCHING: ID [DATE]"},
    {"pathways", "project", "monitoring.PresentProject", {"pathway_id", "post_id", "employer_id", "?kind"}, NULL,
     "MATCHING -> PROJECT: ID POST EMPLOYER [KIND]"},
    {"pathways", "sign", "monitoring.SignAgreement", {"pathway_id", "?date"}, NULL, "PROJECT -> AGREEMENT: ID [DATE]"},
    {"pathways", "activate", "monitoring.Activate", {"pathway_id", "?start_date"}, NULL,
     "AGREEMENT -> ACTIVE, meetings scheduled: ID [START]"},
    {"pathways", "suspend", "monitoring.Suspend", {"pathway_id", "reason"}, NULL, "suspend: ID REASON"},
    {"pathways", "resume", "monitoring.Resume", {"pathway_id"}, NULL, "resume a suspended pathway: ID"},
    {"pathways", "close", "monitoring.Close", {"pathway_id", "?@outcome"}, NULL,
     "close with an outcome: ID [OUTCOME.json] or --outcome HIRED|RETURNED|INTERRUPTED [--contract-type T --hours N]\n"
     "                            [--work-capacity C --measure M] [--reason R] [--date D]"},
    {"team", "add", "monitoring.AddTeamMember", {"pathway_id", "member_id", "role", "?name"}, NULL,
     "add to the team: PATHWAY MEMBER ROLE [NAME] [--referente] [--phone P] [--email E]\n"
     "                            (the host's tutor: PATHWAY HOST HOST_TUTOR NAME --phone P --email E)"},
    {"team", "remove", "monitoring.RemoveTeamMember", {"pathway_id", "member_id", "?name"}, NULL,
     "remove from the team: PATHWAY MEMBER [NAME]"},
    {"team", "list", "monitoring.ListTeam", {"pathway_id"}, "team:memberId,role,name,referente,phone,email,addedAt",
     "the team of a pathway: PATHWAY"},
    {"agreement", "set", "monitoring.SetAgreement", {"pathway_id", "@agreement"}, NULL,
     "set the individual agreement: PATHWAY FILE"},
    {"meetings", "list", "monitoring.ListMeetings", {"pathway_id"},
     "meetings:number,kind,dueOn,status,heldOn,overdue,participants", "the schedule: PATHWAY [--as-of D]"},
    {"meetings", "record", "monitoring.RecordMeeting", {"pathway_id", "number", "held_on", "participants"}, NULL,
     "record a meeting: PATHWAY NUMBER (0 = extra) DATE PARTICIPANT,... [--notes N]"},
    {"meetings", "overdue", "monitoring.ListOverdue", {NULL}, "meetings:pathwayId,number,kind,dueOn",
     "overdue meetings [--as-of D] [--ambito A]"},
    {"visits", "add", "monitoring.AddVisit", {"visit.pathway_id", "visit.visited_on", "visit.visitor", "?visit.notes"},
     NULL, "record a company visit: PATHWAY DATE VISITOR [NOTES]"},
    {"visits", "list", "monitoring.ListVisits", {"pathway_id"}, "visits:visitedOn,visitor,notes,recordedBy",
     "company visits: PATHWAY"},
    {"attendance", "record", "monitoring.RecordAttendance",
     {"record.pathway_id", "record.day", "record.presence", "record.hours"}, NULL,
     "one day: PATHWAY DAY PRESENT|ABSENT_JUSTIFIED|ABSENT_UNJUSTIFIED HOURS"},
    {"attendance", "batch", "monitoring.RecordAttendanceBatch", {"@"}, NULL, "many days from JSON {\"records\": [...]}"},
    {"attendance", "totals", "monitoring.AttendanceTotals", {"pathway_id", "?period"},
     "totals:period,presentDays,justifiedAbsences,unjustifiedAbsences,hours", "totals: PATHWAY [WEEK|MONTH]"},
    {"observations", "add", "monitoring.AddObservation", {"@observation"}, NULL, "a S.O.M.I. form from JSON"},
    {"observations", "trend", "monitoring.ObservationTrend", {"pathway_id"}, "trend:characteristic,first,last,change,scores",
     "the trend per characteristic: PATHWAY"},
    {"evaluations", "record", "monitoring.RecordEvaluation", {"pathway_id", "verdict", "?evaluated_on"}, NULL,
     "the evaluation of the acquired capacity: PATHWAY READY_TO_HIRE|CONTINUE|CHANGE_PROJECT|NOT_PLACEABLE_NOW "
     "[DATE] [--note N]"},
    {"evaluations", "list", "monitoring.ListEvaluations", {"pathway_id"},
     "evaluations:evaluatedOn,verdict,basis,note,recordedBy", "the evaluations of a pathway: PATHWAY"},
    {"services", "add", "monitoring.AddService",
     {"service.pathway_id", "service.code", "service.delivered_on", "service.hours"}, NULL,
     "a service delivered: PATHWAY CODE DATE HOURS --service.operator-name NAME"},
    {"services", "check", "monitoring.CheckServices", {"pathway_id"},
     "checks:code,name,deliveredHours,minHours,maxHours,status,finding", "hours against the standard ranges: PATHWAY (exit 1 when there are findings)"},
    {"services", "standard", "monitoring.StandardServices", {NULL}, "services:code,name,minHours,maxHours",
     "the standard services of seed 003"},
    {"project", "set", "monitoring.SetProject", {"@project"}, NULL,
     "a new version of the project from JSON: FILE ({\"pathwayId\", \"objectives\", \"tasks\", \"accompaniment\"})"},
    {"project", "get", "monitoring.GetProject", {"pathway_id"}, NULL,
     "the project (objectives, mansionario, accompaniment) and its earlier versions: PATHWAY"},
    {"accessory", "set", "monitoring.SetAccessoryService",
     {"service.pathway_id", "service.kind", "service.provider", "?service.cost"}, NULL,
     "transport or lunch: PATHWAY TRANSPORT|LUNCH PROVIDER [COST] --cost-unit PER_DAY|PER_MONTH|ONE_OFF\n"
     "                            --paid-by PERSON|HOST|REFERRING_SERVICE|PROVINCE|MUNICIPALITY [--since D]"},
    {"accessory", "funding", "monitoring.SetTransportFunding",
     {"funding.pathway_id", "funding.amount", "funding.requested_on", "?funding.decision"}, NULL,
     "extraordinary transport funding: PATHWAY AMOUNT REQUESTED_ON [REQUESTED|GRANTED|REFUSED]\n"
     "                            [--decided-by WHO --decided-on D]"},
    {"accessory", "list", "monitoring.ListAccessoryServices", {"pathway_id"}, NULL,
     "transport, lunch, transport funding and scuola-pass of a pathway: PATHWAY"},
    {"interventions", "add", "monitoring.AddIntervention",
     {"intervention.pathway_id", "intervention.done_on", "intervention.kind", "intervention.what"}, NULL,
     "a mediation, work aid or adaptation: PATHWAY DATE MEDIATION|AID|ADAPTATION WHAT --by WHO"},
    {"interventions", "list", "monitoring.ListInterventions", {"pathway_id"},
     "interventions:doneOn,kind,by,what,recordedBy", "the interventions of a pathway: PATHWAY [--kind K]"},
    {"attendance", "weeks", "monitoring.AttendanceWeeks", {"pathway_id"},
     "weeks:week,monday,hours,agreedHours,difference,status,presentDays,absences,suspendedDays",
     "each week against the agreement's weekly hours (UNDER, OVER, OK): PATHWAY [--from D] [--to D]\n"
     "                            [--tolerance-hours H] [--off-only: only the weeks under or over]"},
    {"match", "persons", "matching.BestPersons", {"post_id"}, NULL,
     "best persons for a post: POST [--limit N] [--ambito A] [--category C] [--referring-member-id M]\n"
     "                            [--include-engaged] [--preferred-only]"},
    {"match", "posts", "matching.BestPosts", {"person_id"}, NULL,
     "best open posts for a person: PERSON [--limit N] [--ambito A] [--include-engaged]"},
    {"match", "explain", "matching.Explain", {"person_id", "post_id"}, NULL,
     "a pairing side by side: PERSON POST (constraints, 29 characteristics)"},
    {"match", "companies", "matching.Companies", {NULL},
     "companies:rank,name,ateco,municipality,ambito,employees,quota,uncovered,openPosts",
     "companies to contact, by uncovered law 68 quota [--ambito A] [--limit N]"},
    {"proposals", "create", "matching.CreateProposal", {"person_id", "post_id", "?pathway_id"}, NULL,
     "propose a pairing: PERSON POST [PATHWAY]"},
    {"proposals", "accept", "matching.AcceptProposal", {"id", "?reason"}, NULL, "accept a proposal: ID [REASON]"},
    {"proposals", "refuse", "matching.RefuseProposal", {"id", "reason"}, NULL, "refuse a proposal: ID REASON"},
    {"proposals", "get", "matching.GetProposal", {"id"}, NULL, "show a proposal"},
    {"proposals", "list", "matching.ListProposals", {NULL},
     "proposals:person,post,status,createdBy,createdAt,reason,id",
     "list proposals [--person-id P] [--post-id P] [--status S] [--limit N] [--after ID]"},
    {"audit", "list", "journal.ListAudit", {NULL}, "entries:id,at,memberId,method,purpose,subject,outcome,batch",
     "audit entries [--subject S] [--member-id M] [--after-id N] [--limit N]"},
    {"audit", "verify", "journal.VerifyAudit", {NULL}, NULL, "check the audit trail's seals"},
    {"service", "health", "journal.Health", {NULL}, NULL,
     "is the service up, and can it reach its database? (--service S; exit 3 if not)"},
    {"events", "replay", "journal.Replay", {"from_seq", "?max"}, "events:seq,type,subject,at", "events from a seq on: FROM [MAX]"},
    {"events", "failed", "journal.ListFailed", {NULL}, "events:source,seq,type,subject,state,attempts,error,lastFailedAt",
     "events this service could not apply, parked (--service S) [--source S] [--all]"},
    {"events", "retry", "journal.RetryFailed", {"source", "seq"}, NULL,
     "try a parked event again, once its cause is fixed: SOURCE SEQ (--service S)"},
    {"events", "skip", "journal.SkipFailed", {"source", "seq", "?why"}, NULL,
     "pass a parked event, for a reason kept with it: SOURCE SEQ --why TEXT (--service S)"},
    {"events", "follow", "journal.Follow", {"after_seq", "?max"}, "events:seq,type,subject,at",
     "one's own stream, after a cursor: AFTER [MAX] [--wait-ms MS] (--service S)"},
    {"bridge", "import", "bridge.ImportStatus", {"name"}, NULL,
     "import a file of the cartella sociale: FILE (on the bridge's machine; a progress bar on a terminal)"},
    {"bridge", "status", "bridge.Status", {NULL}, NULL, "the bridge's spool, last files and outbound cursor [--last N]"},
    {"bridge", "reconcile", "bridge.Reconcile", {NULL}, "items:referralId,codiceFiscale,what,regionSays,hubSays",
     "where the hub and the social record's last files disagree [--limit N]"},
    {"bridge", "retry", "bridge.Retry", {"name"}, NULL, "a rejected file, once fixed, back to the inbox: NAME"},
    {"bridge", "summary", "bridge.WriteSummary", {"year"}, NULL, "write a year's summary of services to the outbox: YEAR"},
    {"report", "indicators", "reporting.GetIndicators", {NULL}, NULL, "seed 004's indicators by year, ambito, category (report --help)"},
    {"report", "outcomes", "reporting.GetOutcomes", {NULL}, NULL, "hired, returned, interrupted, open; days to a job, hours"},
    {"report", "standards", "reporting.GetStandards", {NULL}, NULL, "hours delivered against seed 003's ranges"},
    {"report", "network", "reporting.GetNetwork", {NULL}, NULL, "pathways by state, overdue meetings, law 68 quota"},
    {"report", "pathways", "reporting.ListOwnPathways", {NULL}, NULL, "one's own pathways, in detail"},
    {"report", "link", "reporting.CreateDashboardLink", {NULL}, NULL, "a one-time link to the dashboard [--own]"},
    {"report", "rebuild", "reporting.Rebuild", {NULL}, NULL, "the figures again from the events (operator)"},
    {NULL, NULL, NULL, {NULL}, NULL, NULL}
};

//  Options in the operator's words for fields of a command's input (its
//  help shows them first; the field paths work as ever): "pathways close
//  --contract-type PERMANENT --hours 30" rather than --outcome.contract-type.
typedef struct {
    const char *group;
    const char *verb;
    const char *option;         //  "contract-type"
    const char *path;           //  "outcome.contract_type"
} ctl_alias_t;

static const ctl_alias_t s_aliases [] = {
    {"pathways", "close", "outcome", "outcome.kind"},
    {"pathways", "close", "contract-type", "outcome.contract_type"},
    {"pathways", "close", "hours", "outcome.weekly_hours"},
    {"pathways", "close", "employer", "outcome.employer_id"},
    {"pathways", "close", "work-capacity", "outcome.work_capacity"},
    {"pathways", "close", "measure", "outcome.recommended_measure"},
    {"pathways", "close", "reason", "outcome.reason"},     //  the close's, not a suspension's
    {"pathways", "list", "host", "host_id"},
    {"pathways", "refer", "on", "referred_on"},
    {"posts", "list", "employer", "employer_id"},
    {"services", "add", "operator", "service.operator_name"},
    {"meetings", "record", "notes", "notes"},
    {"accessory", "set", "cost-unit", "service.cost_unit"},
    {"accessory", "set", "paid-by", "service.paid_by"},
    {"accessory", "set", "since", "service.since"},
    {"accessory", "set", "notes", "service.notes"},
    {"accessory", "funding", "decided-by", "funding.decided_by"},
    {"accessory", "funding", "decided-on", "funding.decided_on"},
    {"accessory", "funding", "notes", "funding.notes"},
    {"interventions", "add", "by", "intervention.by"},
    {"interventions", "add", "notes", "intervention.notes"},
    {NULL, NULL, NULL, NULL}
};

//  The field path an option names for cmd: its alias's, else itself.
static const char *
s_option_path (const ctl_command_t *cmd, const char *option)
{
    for (const ctl_alias_t *a = s_aliases; a->group; a++)
        if (streq (a->group, cmd->group) && cmd->verb && streq (a->verb, cmd->verb) && streq (a->option, option))
            return a->path;
    return option;
}

static void
s_usage (FILE *out)
{
    fprintf (out,
        "usage: snodoctl [options] COMMAND [ARGS]\n\n"
        "options:\n"
        "  -c, --config FILE   the config (default $SNODO_CONFIG, else var/snodo.cfg as\n"
        "                      deploy/snodo up writes it, else the packages' /etc/snodo/snodo.cfg)\n"
        "  --as MEMBER         act as this member (its certificate in the config's certs folder)\n"
        "  --connect FILE      join from another host: the connection file the network's\n"
        "                      operator gave (docs/protocol.md, Joining) instead of a config\n"
        "  --cert PATH         this member's certificate (made with keygen; default:\n"
        "                      MEMBER.cert beside the connection file)\n"
        "  --purpose P         why personal data is asked: placement, monitoring, care,\n"
        "                      reporting, administration (default placement)\n"
        "  --json              print JSON (for scripts)\n"
        "  --service S         the service that answers audit, events and service commands\n"
        "                      (registry, monitoring, matching, reporting; default registry)\n"
        "  --timeout MS        deadline of each call (default 10000)\n\n"
        "commands:\n");
    for (const ctl_command_t *c = s_commands; c->group; c++)
        fprintf (out, "  %-12s %-12s %s\n", c->group, c->verb ? c->verb : "", c->help);
    fprintf (out,
        "  %-12s %-12s %s\n  %-12s %-12s %s\n  %-12s %-12s %s\n  %-12s %-12s %s\n",
        "members", "connection-file", "MEMBER [FILE]: what a new member needs to join (operator)",
        "call", "METHOD", "call any method with JSON input: METHOD [JSON|-]",
        "keygen", "PATH", "make a CURVE certificate (PATH and PATH_secret)",
        "demo", "load", "load the demo network");
}

//  --- output ----------------------------------------------------------------------

//  Enum names without their type prefix: MEMBER_KIND_SIL -> SIL.
static const char *
s_short_enum (const char *value)
{
    static const char *prefixes [] = {"MEMBER_KIND_", "CATEGORY_", "PURPOSE_", "SEX_", "WORK_CAPACITY_",
                                      "POST_STATUS_", "PATHWAY_STATE_", "PATHWAY_KIND_", "OUTCOME_KIND_", "CONTRACT_TYPE_",
                                      "TEAM_ROLE_", "MEETING_KIND_", "MEETING_STATUS_", "PRESENCE_", "PERIOD_", "PROPOSAL_STATUS_",
                                      "CONTACT_HOW_", "NOTE_KIND_", "DECISION_", "ACCESSORY_KIND_", "PAYER_",
                                      "COST_UNIT_", "INTERVENTION_KIND_", "WEEK_STATUS_", "EVALUATION_VERDICT_", NULL};
    for (int i = 0; prefixes [i]; i++)
        if (strncmp (value, prefixes [i], strlen (prefixes [i])) == 0)
            return value + strlen (prefixes [i]);
    return value;
}

//  A JSON value as one cell of text; times (keys "at", "...At") in UTC.
//  Caller frees.
static char *
s_cell_named (const char *key, struct json_object *value);

static char *
s_cell (struct json_object *value)
{
    return s_cell_named ("", value);
}

static char *
s_cell_named (const char *key, struct json_object *value)
{
    if (!value)
        return strdup ("");
    size_t klen = strlen (key);
    if ((streq (key, "at") || (klen > 2 && streq (key + klen - 2, "At")))
    &&  (json_object_is_type (value, json_type_string) || json_object_is_type (value, json_type_int))) {
        long long ms = json_object_get_int64 (value);
        if (ms == 0)
            return strdup ("");
        time_t t = (time_t) (ms / 1000);
        struct tm tm;
        gmtime_r (&t, &tm);
        char text [40];
        strftime (text, sizeof text, "%Y-%m-%d %H:%M:%SZ", &tm);
        return strdup (text);
    }
    if (json_object_is_type (value, json_type_string))
        return strdup (s_short_enum (json_object_get_string (value)));
    if (json_object_is_type (value, json_type_array)) {
        size_t n = json_object_array_length (value);
        char *out = strdup ("");
        for (size_t i = 0; i < n; i++) {
            struct json_object *item = json_object_array_get_idx (value, i);
            char *cell = json_object_is_type (item, json_type_object)
                ? strdup (json_object_object_get (item, "service") ? json_object_get_string (json_object_object_get (item, "service")) : "...")
                : s_cell (item);
            char *joined = zsys_sprintf ("%s%s%s", out, i ? "," : "", cell);
            free (out);
            free (cell);
            out = joined;
        }
        return out;
    }
    if (json_object_is_type (value, json_type_double)) {
        //  for people: 12.6284, not 12.628400000000001
        char text [32];
        snprintf (text, sizeof text, "%.6g", json_object_get_double (value));
        return strdup (text);
    }
    return strdup (json_object_to_json_string_ext (value, JSON_C_TO_STRING_PLAIN));
}

static void
s_print_table (struct json_object *rows, const char *columns)
{
    char *spec = strdup (columns);
    char *names [CTL_TABLE_MAX], *headers [CTL_TABLE_MAX];
    int n = 0;
    for (char *tok = strtok (spec, ","); tok && n < CTL_TABLE_MAX; tok = strtok (NULL, ","))
        names [n++] = tok;
    for (int c = 0; c < n; c++)
        headers [c] = ctl_header (names [c]);
    size_t count = rows ? json_object_array_length (rows) : 0;
    char ***cells = (char ***) calloc (count + 1, sizeof (char **));
    for (size_t r = 0; r < count; r++) {
        cells [r] = (char **) calloc ((size_t) n, sizeof (char *));
        struct json_object *row = json_object_array_get_idx (rows, r);
        for (int c = 0; c < n; c++)
            cells [r][c] = s_cell_named (names [c], json_object_object_get (row, names [c]));
    }
    ctl_table_print (headers, cells, count, n);
    for (size_t r = 0; r < count; r++) {
        for (int c = 0; c < n; c++)
            free (cells [r][c]);
        free (cells [r]);
    }
    for (int c = 0; c < n; c++)
        free (headers [c]);
    printf ("(%zu)\n", count);
    free (cells);
    free (spec);
}

static void
s_print_object (struct json_object *obj, int indent)
{
    json_object_object_foreach (obj, key, value) {
        if (json_object_is_type (value, json_type_object)) {
            printf ("%*s%s:\n", indent, "", key);
            s_print_object (value, indent + 2);
        }
        else
        if (json_object_is_type (value, json_type_array) && json_object_array_length (value) > 0
        &&  json_object_is_type (json_object_array_get_idx (value, 0), json_type_object)) {
            printf ("%*s%s:\n", indent, "", key);
            for (size_t i = 0; i < json_object_array_length (value); i++) {
                printf ("%*s- \n", indent + 2, "");
                s_print_object (json_object_array_get_idx (value, i), indent + 4);
            }
        }
        else {
            char *cell = s_cell_named (key, value);
            printf ("%*s%s: %s\n", indent, "", key, cell);
            free (cell);
        }
    }
}

//  Times for scripts: every "at" or "...At" field (milliseconds since the
//  epoch on the wire) as RFC 3339 in UTC, null when unset.
static void
s_json_times (struct json_object *obj)
{
    if (json_object_is_type (obj, json_type_array)) {
        for (size_t i = 0; i < json_object_array_length (obj); i++)
            s_json_times (json_object_array_get_idx (obj, i));
        return;
    }
    if (!json_object_is_type (obj, json_type_object))
        return;
    json_object_object_foreach (obj, key, value) {
        size_t n = strlen (key);
        bool time_field = streq (key, "at") || (n > 2 && streq (key + n - 2, "At"));
        if (time_field && (json_object_is_type (value, json_type_string) || json_object_is_type (value, json_type_int))) {
            long long ms = json_object_get_int64 (value);
            if (ms <= 0) {
                json_object_object_add (obj, key, NULL);
                continue;
            }
            time_t t = (time_t) (ms / 1000);
            struct tm tm;
            gmtime_r (&t, &tm);
            char text [40], stamp [48];
            strftime (text, sizeof text, "%Y-%m-%dT%H:%M:%S", &tm);
            snprintf (stamp, sizeof stamp, "%s.%03lldZ", text, ms % 1000);
            json_object_object_add (obj, key, json_object_new_string (stamp));
        }
        else
            s_json_times (value);
    }
}

static void
s_print (ctl_t *ctl, const ProtobufCMessage *msg, const char *columns)
{
    if (ctl->json) {
        //  for scripts: every field, its default when unset; times in RFC 3339
        struct json_object *obj = sn_json_obj_from_message (msg, SN_JSON_EMIT_DEFAULTS);
        s_json_times (obj);
        printf ("%s\n", obj ? json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PRETTY
                                                                  | JSON_C_TO_STRING_SPACED
                                                                  | JSON_C_TO_STRING_NOSLASHESCAPE) : "{}");
        json_object_put (obj);
        return;
    }
    //  a table shows every column, defaults too (an OK outcome, 0 places filled)
    struct json_object *obj = sn_json_obj_from_message (msg, columns ? SN_JSON_EMIT_DEFAULTS : 0);
    if (msg->descriptor == &snodo__registry__company__descriptor && !columns) {
        //  the law 68/1999 quota with how it was computed
        char quota [200];
        sn_law68_explain (((const Snodo__Registry__Company *) msg)->employees, quota, sizeof quota);
        json_object_object_add (obj, "quota", json_object_new_string (quota));
    }
    if (columns) {
        char *field = strdup (columns);
        char *colon = strchr (field, ':');
        *colon = 0;
        ctl_label_rows (ctl, json_object_object_get (obj, field), colon + 1);
        s_print_table (json_object_object_get (obj, field), colon + 1);
        free (field);
        struct json_object *next = json_object_object_get (obj, "next");
        if (next && *json_object_get_string (next))
            printf ("more: --after %s\n", json_object_get_string (next));
    }
    else
        s_print_object (obj, 0);
    json_object_put (obj);
}

//  --- input --------------------------------------------------------------------

static char *
s_read_file (const char *path)
{
    FILE *file = streq (path, "-") ? stdin : fopen (path, "r");
    if (!file) {
        fprintf (stderr, "snodoctl: could not open \"%s\": %s\n", path, strerror (errno));
        return NULL;
    }
    size_t size = 0, cap = 4096;
    char *text = (char *) malloc (cap);
    size_t got;
    while ((got = fread (text + size, 1, cap - size - 1, file)) > 0) {
        size += got;
        if (cap - size < 2)
            text = (char *) realloc (text, cap *= 2);
    }
    text [size] = 0;
    if (file != stdin)
        fclose (file);
    return text;
}

//  Sets a (dotted) field path of the input, typed by the descriptor.
//  Returns 0, or -1 with a message printed.
static int
s_set_path (struct json_object *root, const ProtobufCMessageDescriptor *desc, const char *path,
            const char *value)
{
    char name [64];
    const char *dot = strchr (path, '.');
    snprintf (name, sizeof name, "%.*s", dot ? (int) (dot - path) : (int) strlen (path), path);
    for (char *p = name; *p; p++)
        if (*p == '-')
            *p = '_';
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (desc, name);
    if (!field) {
        fprintf (stderr, "snodoctl: %s has no field \"%s\"\n", desc->name, name);
        return -1;
    }
    if (dot) {
        if (field->type != PROTOBUF_C_TYPE_MESSAGE) {
            fprintf (stderr, "snodoctl: \"%s\" is not a message\n", name);
            return -1;
        }
        struct json_object *child = json_object_object_get (root, name);
        if (!child) {
            child = json_object_new_object ();
            json_object_object_add (root, name, child);
        }
        return s_set_path (child, (const ProtobufCMessageDescriptor *) field->descriptor, dot + 1, value);
    }
    if (field->label == PROTOBUF_C_LABEL_REPEATED && field->type == PROTOBUF_C_TYPE_STRING) {
        //  a repeated text field: comma-separated values, added to what is there
        struct json_object *array = json_object_object_get (root, name);
        if (!array) {
            array = json_object_new_array ();
            json_object_object_add (root, name, array);
        }
        char *copy = strdup (value ? value : "");
        for (char *item = strtok (copy, ","); item; item = strtok (NULL, ","))
            json_object_array_add (array, json_object_new_string (item));
        free (copy);
        return 0;
    }
    struct json_object *jv;
    switch (field->type) {
        case PROTOBUF_C_TYPE_BOOL:
            jv = json_object_new_boolean (!value || streq (value, "true") || streq (value, "1"));
            break;
        case PROTOBUF_C_TYPE_STRING:
        case PROTOBUF_C_TYPE_ENUM:
        case PROTOBUF_C_TYPE_BYTES:
            jv = json_object_new_string (value ? value : "");
            break;
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE: {
            char *end;
            double number = value ? strtod (value, &end) : 0;
            if (!value || end == value || *end) {
                fprintf (stderr, "snodoctl: \"%s\" takes a number, got \"%s\"\n", name, value ? value : "");
                return -1;
            }
            jv = json_object_new_double (number);
            break;
        }
        case PROTOBUF_C_TYPE_MESSAGE:
            fprintf (stderr, "snodoctl: \"%s\" takes JSON: give it as a file\n", name);
            return -1;
        default: {
            char *end;
            errno = 0;
            long long number = value ? strtoll (value, &end, 10) : 0;
            if (!value || *end || errno) {
                fprintf (stderr, "snodoctl: \"%s\" takes a number, got \"%s\"\n", name, value ? value : "");
                return -1;
            }
            jv = json_object_new_int64 (number);
        }
    }
    json_object_object_add (root, name, jv);
    return 0;
}

//  --- arguments and help -------------------------------------------------------

//  A positional argument's spec without its "?" (may be left out).
static const char *
s_spec (const char *raw, bool *optional)
{
    *optional = raw [0] == '?';
    return raw + (*optional ? 1 : 0);
}

//  How an argument is named in usage: "pathway_id" -> "PATHWAY_ID",
//  "visit.visitor" -> "VISITOR", "@outcome" -> "OUTCOME.json", "@" -> "FILE.json".
static void
s_arg_name (const char *spec, char *out, size_t size)
{
    bool json = spec [0] == '@';
    const char *name = json ? spec + 1 : spec;
    const char *dot = strrchr (name, '.');
    name = dot ? dot + 1 : name;
    snprintf (out, size, "%s%s", *name ? name : "file", json ? ".json" : "");
    for (char *p = out; *p && !(json && *p == '.'); p++)
        *p = (char) (*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
}

//  The number of positional arguments among argv (an --option takes the
//  next argument as its value unless that is an option too).
static int
s_positional_count (int argc, char **argv)
{
    int count = 0;
    for (int i = 0; i < argc; i++)
        if (strncmp (argv [i], "--", 2) == 0 && argv [i][2]) {
            if (i + 1 < argc && strncmp (argv [i + 1], "--", 2) != 0)
                i++;
        }
        else
            count++;
    return count;
}

static void
s_command_usage (FILE *out, const ctl_command_t *cmd)
{
    fprintf (out, "usage: snodoctl %s%s%s", cmd->group, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
    for (int a = 0; a < 4 && cmd->args [a]; a++) {
        bool optional;
        char name [64];
        s_arg_name (s_spec (cmd->args [a], &optional), name, sizeof name);
        fprintf (out, optional ? " [%s]" : " %s", name);
    }
    fprintf (out, " [options]\n");
}

//  A sample value of an argument for the example: by its name, else its type.
static const char *
s_sample (const char *spec, const ProtobufCFieldDescriptor *field)
{
    static const struct { const char *suffix, *sample; } samples [] = {
        {"member_id", "ass6-sil"}, {"codice_fiscale", "RSSMRA80A01H501U"}, {"date", "2026-12-01"},
        {"_on", "2026-12-01"}, {"day", "2026-12-01"}, {"purpose", "placement"}, {"member_kind", "COOPERATIVA"},
        {"participants", "ass6-sil,coop-il-ponte"}, {"reason", "\"colloquio positivo\""}, {"seq", "0"},
        {"name", "\"Luca Zanin\""}, {"visitor", "\"Luca Zanin\""}, {"year", "2025"}, {"hours", "6"},
        {"id", "5b1f3c2e-8d4a-4c61-9e2b-7a0d6f1c2b3e"}, {NULL, NULL}};
    if (spec [0] == '@')
        return NULL;
    size_t n = strlen (spec);
    for (int i = 0; samples [i].suffix; i++) {
        size_t k = strlen (samples [i].suffix);
        if (n >= k && streq (spec + n - k, samples [i].suffix))
            return samples [i].sample;
    }
    if (field && field->type == PROTOBUF_C_TYPE_ENUM) {
        const ProtobufCEnumDescriptor *e = (const ProtobufCEnumDescriptor *) field->descriptor;
        return s_short_enum (e->values [e->n_values > 1 ? 1 : 0].name);
    }
    if (field && field->type != PROTOBUF_C_TYPE_STRING)
        return "1";
    return "\"...\"";
}

//  The field a (dotted) path names in desc, or NULL.
static const ProtobufCFieldDescriptor *
s_field_at (const ProtobufCMessageDescriptor *desc, const char *path)
{
    char name [64];
    const char *dot = strchr (path, '.');
    snprintf (name, sizeof name, "%.*s", dot ? (int) (dot - path) : (int) strlen (path), path);
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (desc, name);
    if (field && dot && field->type == PROTOBUF_C_TYPE_MESSAGE)
        return s_field_at ((const ProtobufCMessageDescriptor *) field->descriptor, dot + 1);
    return dot ? NULL : field;
}

//  What an option takes, for its help line: TEXT, N, YYYY-MM-DD, a flag,
//  or an enum's values.
static void
s_value_of (const ProtobufCFieldDescriptor *field, char *value, size_t size)
{
    snprintf (value, size, "TEXT");
    if (field->type == PROTOBUF_C_TYPE_BOOL)
        snprintf (value, size, "(a flag)");
    else
    if (field->type == PROTOBUF_C_TYPE_ENUM) {
        const ProtobufCEnumDescriptor *e = (const ProtobufCEnumDescriptor *) field->descriptor;
        size_t used = 0;
        for (unsigned v = 1; v < e->n_values && used < size - 40; v++)
            used += (size_t) snprintf (value + used, size - used, "%s%s", v > 1 ? "|" : "",
                                       s_short_enum (e->values [v].name));
    }
    else
    if (field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_BYTES)
        snprintf (value, size, "N");
    else {
        size_t n = strlen (field->name);
        if ((n >= 4 && streq (field->name + n - 4, "date")) || (n >= 3 && streq (field->name + n - 3, "_on"))
        ||  (n >= 3 && streq (field->name + n - 3, "day")))
            snprintf (value, size, "YYYY-MM-DD");
    }
    if (field->label == PROTOBUF_C_LABEL_REPEATED && field->type != PROTOBUF_C_TYPE_BOOL)
        strncat (value, ",...", size - strlen (value) - 1);
}

//  One option line per field of desc (prefix: the path so far), nested
//  messages one level down.
static void
s_options_of (const ProtobufCMessageDescriptor *desc, const char *prefix, int depth)
{
    for (unsigned f = 0; f < desc->n_fields; f++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [f];
        char option [128];
        snprintf (option, sizeof option, "%s%s", prefix, field->name);
        for (char *p = option; *p; p++)
            if (*p == '_')
                *p = '-';
        if (field->type == PROTOBUF_C_TYPE_MESSAGE) {
            if (depth < 1 && field->label != PROTOBUF_C_LABEL_REPEATED) {
                char nested [sizeof option + 2];
                snprintf (nested, sizeof nested, "%s.", option);
                s_options_of ((const ProtobufCMessageDescriptor *) field->descriptor, nested, depth + 1);
            }
            continue;
        }
        char value [160];
        s_value_of (field, value, sizeof value);
        printf ("  --%-30s %s\n", option, value);
    }
}

//  snodoctl GROUP VERB --help
static void
s_command_help (const ctl_command_t *cmd, const ProtobufCMessageDescriptor *input)
{
    s_command_usage (stdout, cmd);
    printf ("\n%s (%s)\n", cmd->help, cmd->method);
    if (cmd->args [0]) {
        printf ("\narguments:\n");
        for (int a = 0; a < 4 && cmd->args [a]; a++) {
            bool optional;
            const char *spec = s_spec (cmd->args [a], &optional);
            char name [64];
            s_arg_name (spec, name, sizeof name);
            if (spec [0] == '@')
                printf ("  %-20s %s JSON, from a file or - for standard input%s\n", name,
                        spec [1] ? spec + 1 : "the whole input as", optional ? " (may be left out)" : "");
            else
                printf ("  %-20s the %s%s\n", name, spec, optional ? " (may be left out)" : "");
        }
    }
    bool worded = false;
    for (const ctl_alias_t *a = s_aliases; input && a->group; a++) {
        if (!streq (a->group, cmd->group) || !cmd->verb || !streq (a->verb, cmd->verb))
            continue;
        if (!worded)
            printf ("\noptions:\n");
        worded = true;
        const ProtobufCFieldDescriptor *field = s_field_at (input, a->path);
        char value [160] = "TEXT";
        if (field)
            s_value_of (field, value, sizeof value);
        printf ("  --%-30s %s\n", a->option, value);
    }
    if (input && input->n_fields) {
        printf ("\n%s (the fields of %s; - or _ alike):\n", worded ? "every field as an option" : "options",
                input->name);
        s_options_of (input, "", 0);
        if (protobuf_c_message_descriptor_get_field_by_name (input, "page"))
            printf ("  --%-30s %s\n  --%-30s %s\n", "limit", "N (page.limit)", "after", "TEXT (page.after)");
    }
    printf ("\nexample:\n  snodoctl %s%s%s", cmd->group, cmd->verb ? " " : "", cmd->verb ? cmd->verb : "");
    for (int a = 0; a < 4 && cmd->args [a]; a++) {
        bool optional;
        const char *spec = s_spec (cmd->args [a], &optional);
        if (optional)
            break;
        char name [64];
        s_arg_name (spec, name, sizeof name);
        const char *sample = input ? s_sample (spec, s_field_at (input, spec)) : NULL;
        if (streq (cmd->group, "bridge") && (streq (spec, "name")))
            sample = "referrals.xml";
        printf (" %s", sample ? sample : spec [0] == '@' ? (spec [1] ? name : "input.json") : name);
    }
    printf ("\n\nglobal options (before or after the command): -c FILE, --as MEMBER, --connect FILE,\n"
            "  --cert PATH, --purpose P, --json, --service S, --timeout MS; snodoctl --help lists them\n");
}

//  Builds the input from positional arguments and --flags. Returns NULL on error.
static ProtobufCMessage *
s_build_input (const ctl_command_t *cmd, const ProtobufCMessageDescriptor *desc, int argc, char **argv)
{
    struct json_object *root = json_object_new_object ();
    int positional = 0;
    int rc = 0;
    for (int i = 0; i < argc && rc == 0; i++) {
        if (strncmp (argv [i], "--", 2) == 0 && argv [i][2]) {
            const char *path = s_option_path (cmd, argv [i] + 2);
            //  short names for paging
            bool paged = protobuf_c_message_descriptor_get_field_by_name (desc, "page") != NULL;
            if (streq (path, "limit") && paged)
                path = "page.limit";
            else
            if (streq (path, "after") && paged)
                path = "page.after";
            const char *value = NULL;
            if (i + 1 < argc && strncmp (argv [i + 1], "--", 2) != 0)
                value = argv [++i];
            rc = s_set_path (root, desc, path, value);
            continue;
        }
        bool optional = false;
        const char *spec = positional < 4 && cmd->args [positional] ? s_spec (cmd->args [positional], &optional)
                                                                      : NULL;
        positional++;
        if (!spec) {
            fprintf (stderr, "snodoctl: %s %s: unexpected argument \"%s\"\n", cmd->group,
                     cmd->verb ? cmd->verb : "", argv [i]);
            rc = -1;
        }
        else
        if (spec [0] == '@') {
            char *text = s_read_file (argv [i]);
            struct json_object *parsed = text ? json_tokener_parse (text) : NULL;
            if (!parsed) {
                if (text)
                    fprintf (stderr, "snodoctl: \"%s\" is not valid JSON\n", argv [i]);
                rc = -1;
            }
            else
            if (spec [1] == 0) {
                json_object_put (root);
                root = parsed;
            }
            else
                json_object_object_add (root, spec + 1, parsed);
            free (text);
        }
        else
            rc = s_set_path (root, desc, spec, argv [i]);
    }
    ProtobufCMessage *input = NULL;
    if (rc == 0) {
        char err [512];
        input = sn_json_obj_to_message (desc, root, err, sizeof err);
        if (!input)
            fprintf (stderr, "snodoctl: bad input: %s\n", err);
    }
    json_object_put (root);
    return input;
}

//  --- calls ------------------------------------------------------------------------

//  The certificate identity calls with: --cert (for the config's own
//  identity), snodoctl/cert (likewise), else <snodoctl/certs>/<identity>.cert.
static void
s_cert_path (ctl_t *ctl, const char *identity, char *path, size_t size)
{
    const char *own = zconfig_get (ctl->config, "snodoctl/identity", "admin");
    const char *cert = ctl->cert_path ? ctl->cert_path : zconfig_get (ctl->config, "snodoctl/cert", NULL);
    if (cert && streq (identity, own))
        snprintf (path, size, "%s", cert);
    else
        snprintf (path, size, "%s/%s.cert", zconfig_get (ctl->config, "snodoctl/certs", "var/certs/members"),
                  identity);
}

//  A service's section of the config, as a client needs it: request, and
//  public_key (or the public part of cert). Returns 0, 1 when the config
//  has no section for it, -1 when the section is incomplete (said).
static int
s_config_service (ctl_t *ctl, const char *service, sn_peer_t *peer)
{
    char path [512];
    snprintf (path, sizeof path, "%s/request", service);
    const char *request = zconfig_get (ctl->config, path, NULL);
    if (!request)
        return 1;
    memset (peer, 0, sizeof *peer);
    snprintf (peer->request, sizeof peer->request, "%s", request);
    snprintf (path, sizeof path, "%s/public_key", service);
    const char *key = zconfig_get (ctl->config, path, NULL);
    zcert_t *cert = NULL;
    if (!key) {
        snprintf (path, sizeof path, "%s/cert", service);
        const char *cert_path = zconfig_get (ctl->config, path, NULL);
        cert = cert_path ? zcert_load (cert_path) : NULL;
        key = cert ? zcert_public_txt (cert) : NULL;
    }
    if (key)
        snprintf (peer->public_key, sizeof peer->public_key, "%s", key);
    zcert_destroy (&cert);
    if (strlen (peer->public_key) != 40) {
        fprintf (stderr, "snodoctl: %s: no key of the %s (%s/public_key, or a readable %s/cert)\n",
                 ctl->config_path, service, service, service);
        return -1;
    }
    return 0;
}

sn_client_t *
ctl_client (ctl_t *ctl, const char *service, const char *identity)
{
    //  the config's section of the service, or (but for the registry) the directory
    char path [512];
    sn_peer_t peer;
    int rc = s_config_service (ctl, service, &peer);
    if (rc < 0)
        return NULL;
    bool configured = rc == 0;
    if (!configured && streq (service, "registry")) {
        fprintf (stderr, "snodoctl: %s: no registry/request: the config (or connection file) must say "
                 "where the registry is\n", ctl->config_path);
        return NULL;
    }
    if (!configured && ctl_locate (ctl, service, identity, &peer))
        return NULL;
    s_cert_path (ctl, identity, path, sizeof path);
    zcert_t *cert = zcert_load (path);
    if (!cert) {
        fprintf (stderr, "snodoctl: no certificate for \"%s\" (%s; make one with snodoctl keygen)\n",
                 identity, path);
        return NULL;
    }
    sn_client_t *client = sn_client_new (peer.request, cert, peer.public_key);
    if (client) {
        sn_client_set_deadline (client, ctl->timeout_ms);
        sn_client_set_retries (client, 1);
    }
    zcert_destroy (&cert);
    return client;
}

static void
s_client_free (void *item)
{
    sn_client_t *client = (sn_client_t *) item;
    sn_client_destroy (&client);
}

sn_client_t *
ctl_kept_client (ctl_t *ctl, const char *service, const char *identity)
{
    if (!ctl->lookups)
        ctl->lookups = zhash_new ();
    char key [256];
    snprintf (key, sizeof key, "%s %s", service, identity);
    //  one that could not be made is remembered as the hash itself, and not tried again
    void *known = zhash_lookup (ctl->lookups, key);
    if (known)
        return known == (void *) ctl->lookups ? NULL : (sn_client_t *) known;
    sn_client_t *client = ctl_client (ctl, service, identity);
    zhash_insert (ctl->lookups, key, client ? (void *) client : (void *) ctl->lookups);
    if (client)
        zhash_freefn (ctl->lookups, key, s_client_free);
    return client;
}

int
ctl_call (ctl_t *ctl, sn_client_t *client, const char *method, const ProtobufCMessage *input,
          const ProtobufCMessageDescriptor *out_desc, ProtobufCMessage **output)
{
    sn_result_t result;
    int code = sn_client_call (client, method, ctl->purpose, input, out_desc, output, &result);
    if (code != SNODO__CODE__OK) {
        fprintf (stderr, "snodoctl: %s: %s: %s\n", method, sn_code_name (code), result.message);
        for (size_t i = 0; result.n_violations > 1 && i < result.n_violations; i++)
            fprintf (stderr, "  %s: %s\n", result.fields [i], result.descriptions [i]);
        if (code == SNODO__CODE__DEADLINE_EXCEEDED)
            fprintf (stderr, "  (is the service running? is this certificate a member of the network?)\n");
    }
    return code;
}

static int
s_exit_code (int code)
{
    if (code == SNODO__CODE__OK)
        return 0;
    if (code == SNODO__CODE__DEADLINE_EXCEEDED || code == SNODO__CODE__UNAVAILABLE)
        return EXIT_UNREACHABLE;
    return EXIT_REFUSED;
}

//  The services snodoctl knows: the prefix of their methods, their descriptor.
//  journal.* is answered by every service: --service says which.
static const struct {
    const char *name;
    const ProtobufCServiceDescriptor *descriptor;
} s_services [] = {
    {"registry", &snodo__registry__registry__descriptor},
    {"monitoring", &snodo__monitoring__monitoring__descriptor},
    {"matching", &snodo__matching__matching__descriptor},
    {"reporting", &snodo__reporting__reporting__descriptor},
    {"journal", &snodo__journal__descriptor},
    {"bridge", &snodo__bridge__bridge__descriptor},
    {NULL, NULL}
};

//  Finds a method's descriptor by "service.Method".
static const ProtobufCMethodDescriptor *
s_method (const char *name)
{
    const char *dot = strchr (name, '.');
    for (int i = 0; dot && s_services [i].name; i++)
        if (strlen (s_services [i].name) == (size_t) (dot - name)
        &&  strncmp (name, s_services [i].name, (size_t) (dot - name)) == 0)
            return protobuf_c_service_descriptor_get_method_by_name (s_services [i].descriptor, dot + 1);
    return NULL;
}

//  The service that answers a method: its prefix, or --service for journal.*.
static const char *
s_service_of (ctl_t *ctl, const char *method, char *out, size_t size)
{
    if (strncmp (method, "journal.", 8) == 0)
        return ctl->service;
    snprintf (out, size, "%.*s", (int) strcspn (method, "."), method);
    return out;
}

//  Moves seal into req's witnessed seals, as witness saw it.
static void
s_add_witnessed (Snodo__VerifyAuditRequest *req, Snodo__AuditSeal *seal, const char *witness)
{
    if (seal->witness != protobuf_c_empty_string)
        free (seal->witness);
    seal->witness = strdup (witness);
    req->witnessed = (Snodo__AuditSeal **) realloc (req->witnessed, (req->n_witnessed + 1) * sizeof (void *));
    req->witnessed [req->n_witnessed++] = seal;
}

//  The seals of source's trail that the other services of the config
//  witnessed, into req; on a terminal, who could not be asked. Returns how
//  many services answered.
static int
s_gather_witnesses (ctl_t *ctl, const char *source, Snodo__VerifyAuditRequest *req)
{
    int answered = 0;
    for (zconfig_t *section = zconfig_child (ctl->config); section; section = zconfig_next (section)) {
        const char *name = zconfig_name (section);
        if (streq (name, source) || !zconfig_get (section, "request", NULL))
            continue;
        sn_client_t *client = ctl_client (ctl, name, ctl->identity);
        if (!client)
            continue;
        sn_client_set_deadline (client, 3000);
        Snodo__WitnessedRequest ask = SNODO__WITNESSED_REQUEST__INIT;
        ask.source = (char *) source;
        Snodo__WitnessedReply *seen = NULL;
        sn_result_t result;
        int code = sn_client_call (client, "journal.Witnessed", "", &ask.base, &snodo__witnessed_reply__descriptor,
                                   (ProtobufCMessage **) &seen, &result);
        if (code == SNODO__CODE__OK) {
            answered++;
            if (seen->latest)
                s_add_witnessed (req, seen->latest, name);
            seen->latest = NULL;
            for (size_t i = 0; i < seen->n_conflicts; i++)
                s_add_witnessed (req, seen->conflicts [i], name);
            seen->n_conflicts = 0;
            snodo__witnessed_reply__free_unpacked (seen, NULL);
        }
        else
        if (!ctl->json)
            fprintf (stderr, "snodoctl: %s could not tell what it witnessed of %s: %s\n", name, source,
                     result.message);
        sn_client_destroy (&client);
    }
    return answered;
}

//  Where the command takes a person (an argument or option person_id, the
//  id of persons get), a codice fiscale names it too, and
//  where it takes a pathway (pathway_id, the id of pathways get), a codice
//  fiscale names the person's open pathway: argv's entry is replaced by the
//  id (added to owned, which the caller frees). "--person" is "--person-id".
//  Returns 0, or -1 (said).
static int
s_resolve_persons (ctl_t *ctl, const ctl_command_t *cmd, int argc, char **argv, zlist_t *owned)
{
    int positional = 0;
    for (int i = 0; i < argc; i++) {
        const char *name = NULL;        //  what the value names: the field's last part
        int at = -1;
        if (strncmp (argv [i], "--", 2) == 0 && argv [i][2]) {
            if (streq (argv [i], "--person"))
                argv [i] = "--person-id";
            if (i + 1 < argc && strncmp (argv [i + 1], "--", 2) != 0) {
                name = argv [i] + 2;
                at = ++i;
            }
        }
        else {
            bool optional;
            name = positional < 4 && cmd->args [positional] ? s_spec (cmd->args [positional], &optional) : "";
            if (streq (name, "id"))
                name = streq (cmd->group, "persons") ? "person_id" : streq (cmd->group, "pathways") ? "pathway_id"
                     : streq (cmd->group, "posts") ? "post_id" : streq (cmd->group, "cooperatives") ? "cooperative_id"
                     : streq (cmd->group, "proposals") ? "proposal_id" : "id";
            at = i;
            positional++;
        }
        if (!name || !(ctl_is_codice_fiscale (argv [at]) || ctl_is_id_prefix (argv [at])))
            continue;
        const char *dot = strrchr (name, '.');
        name = dot ? dot + 1 : name;
        //  what the id is of: "post" for post_id or post-id
        char noun [32];
        size_t len = strlen (name);
        if (len < 4 || len > sizeof noun || !(streq (name + len - 3, "_id") || streq (name + len - 3, "-id")))
            continue;
        snprintf (noun, sizeof noun, "%.*s", (int) (len - 3), name);
        bool person = streq (noun, "person"), pathway = streq (noun, "pathway");
        if (ctl_is_codice_fiscale (argv [at]) && !person && !pathway)
            continue;
        char *id = ctl_is_id_prefix (argv [at]) ? ctl_id_of_prefix (ctl, noun, argv [at])
                 : person ? ctl_person_id (ctl, argv [at]) : ctl_pathway_id (ctl, argv [at]);
        if (!id)
            return -1;
        zlist_append (owned, id);
        argv [at] = id;
    }
    return 0;
}

//  True for the pathway's transitions (their reply is the Pathway after it).
static bool
s_transition (const ctl_command_t *cmd)
{
    static const char *verbs [] = {"intake", "assess", "match", "project", "sign", "activate", "suspend",
                                   "resume", "close", NULL};
    if (!cmd || !cmd->verb || !streq (cmd->group, "pathways"))
        return false;
    for (int i = 0; verbs [i]; i++)
        if (streq (cmd->verb, verbs [i]))
            return true;
    return false;
}

//  The input of method from the command's arguments (cmd), or from JSON
//  (call METHOD [JSON|-]). NULL on a usage error (said); *refused set when a
//  person named by codice fiscale could not be found.
static ProtobufCMessage *
s_input (ctl_t *ctl, const ctl_command_t *cmd, const ProtobufCMethodDescriptor *method, int argc, char **argv,
         bool *refused)
{
    ProtobufCMessage *input = NULL;
    *refused = false;
    if (cmd) {
        zlist_t *owned = zlist_new ();
        zlist_autofree (owned);
        if (s_resolve_persons (ctl, cmd, argc, argv, owned))
            *refused = true;
        else
            input = s_build_input (cmd, method->input, argc, argv);
        zlist_destroy (&owned);
        return input;
    }
    char *text = argc > 0 ? (streq (argv [0], "-") ? s_read_file ("-") : strdup (argv [0])) : strdup ("{}");
    char err [512];
    input = text ? sn_json_to_message (method->input, text, err, sizeof err) : NULL;
    if (!input && text)
        fprintf (stderr, "snodoctl: bad input: %s\n", err);
    free (text);
    return input;
}

//  Prints an output for people (or JSON); a transition (transition) in one
//  line.
static void
s_show (ctl_t *ctl, const ctl_command_t *cmd, const ProtobufCMessage *output, bool transition)
{
    if (!ctl->json && (ctl_print_matching (output) || ctl_print_bridge (output)))
        return;
    if (transition && output->descriptor == &snodo__monitoring__pathway__descriptor) {
        ctl_print_transition (ctl, (const Snodo__Monitoring__Pathway *) output);
        return;
    }
    if (output->descriptor == &snodo__verify_audit_reply__descriptor && !ctl->json) {
        const Snodo__VerifyAuditReply *v = (const Snodo__VerifyAuditReply *) output;
        if (v->ok)
            printf ("audit trail intact: %llu batches, %llu entries sealed, %llu awaiting the next seal; "
                    "%u seals witnessed by other services match\n",
                    (unsigned long long) v->batches, (unsigned long long) v->entries,
                    (unsigned long long) v->unsealed, v->witnessed);
        else
            printf ("audit trail BROKEN: %s (first bad batch %llu; %llu batches before it are intact)\n",
                    v->problem, (unsigned long long) v->first_bad_batch, (unsigned long long) v->batches);
        return;
    }
    if (output->descriptor == &snodo__health_reply__descriptor && !ctl->json) {
        const Snodo__HealthReply *h = (const Snodo__HealthReply *) output;
        time_t since = (time_t) (h->started_at / 1000);
        char when [32];
        strftime (when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", gmtime (&since));
        printf ("%s: up since %s, %u workers, database %s, events published up to %llu\n", h->service,
                when, h->workers, h->database ? "reachable" : "NOT REACHABLE",
                (unsigned long long) h->published_seq);
        return;
    }
    s_print (ctl, output, cmd ? cmd->columns : NULL);
}

//  The exit code an OK output still calls for: a health without its
//  database, a broken audit trail, a check with findings (for scripts and
//  monitors).
static int
s_output_code (const ProtobufCMessage *output, int rc)
{
    if (output->descriptor == &snodo__health_reply__descriptor && !((Snodo__HealthReply *) output)->database)
        return EXIT_UNREACHABLE;
    if (output->descriptor == &snodo__verify_audit_reply__descriptor && !((Snodo__VerifyAuditReply *) output)->ok)
        return EXIT_REFUSED;
    if (output->descriptor == &snodo__monitoring__check_services_reply__descriptor) {
        const Snodo__Monitoring__CheckServicesReply *checks = (const Snodo__Monitoring__CheckServicesReply *) output;
        for (size_t k = 0; k < checks->n_checks; k++)
            if (checks->checks [k]->finding)
                return EXIT_REFUSED;
    }
    return rc;
}

static int
s_run (ctl_t *ctl, const ctl_command_t *cmd, const char *method_name, int argc, char **argv)
{
    const ProtobufCMethodDescriptor *method = s_method (method_name);
    if (!method) {
        fprintf (stderr, "snodoctl: unknown method \"%s\"\n", method_name);
        return EXIT_USAGE;
    }
    bool refused;
    ProtobufCMessage *input = s_input (ctl, cmd, method, argc, argv, &refused);
    if (!input)
        return refused ? EXIT_REFUSED : EXIT_USAGE;
    //  rankings: ten unless told (the service refuses 0)
    const ProtobufCFieldDescriptor *limit = protobuf_c_message_descriptor_get_field_by_name (input->descriptor,
                                                                                             "limit");
    if (cmd && limit && limit->type == PROTOBUF_C_TYPE_UINT32 && strncmp (method_name, "matching.", 9) == 0
    &&  *(uint32_t *) ((char *) input + limit->offset) == 0)
        *(uint32_t *) ((char *) input + limit->offset) = 10;
    char service [32];
    //  a trail is held against what the other services witnessed of it
    if (streq (method_name, "journal.VerifyAudit")
    &&  ((Snodo__VerifyAuditRequest *) input)->n_witnessed == 0)
        s_gather_witnesses (ctl, ctl->service, (Snodo__VerifyAuditRequest *) input);
    sn_client_t *client = ctl_client (ctl, s_service_of (ctl, method_name, service, sizeof service),
                                      ctl->identity);
    if (!client) {
        protobuf_c_message_free_unpacked (input, NULL);
        return EXIT_UNREACHABLE;
    }
    ProtobufCMessage *output = NULL;
    int rc = s_exit_code (ctl_call (ctl, client, method_name, input, method->output, &output));
    if (output) {
        s_show (ctl, cmd, output, !ctl->json && s_transition (cmd));
        rc = s_output_code (output, rc);
        protobuf_c_message_free_unpacked (output, NULL);
    }
    protobuf_c_message_free_unpacked (input, NULL);
    sn_client_destroy (&client);
    return rc;
}

static int
s_keygen (int argc, char **argv)
{
    if (argc != 1) {
        fprintf (stderr, "usage: snodoctl keygen PATH\n");
        return EXIT_USAGE;
    }
    zcert_t *cert = zcert_new ();
    zcert_set_meta (cert, "created-by", "snodoctl keygen");
    int rc = zcert_save (cert, argv [0]);
    if (rc == 0) {
        char secret [1024];
        snprintf (secret, sizeof secret, "%s_secret", argv [0]);
        chmod (secret, 0600);
        printf ("%s\n", zcert_public_txt (cert));
    }
    else
        fprintf (stderr, "snodoctl: could not write \"%s\": %s\n", argv [0], strerror (errno));
    zcert_destroy (&cert);
    return rc == 0 ? 0 : EXIT_UNREACHABLE;
}

//  True (said, with the usage) when argv holds fewer positional arguments
//  than cmd requires.
static bool
s_missing (const ctl_command_t *cmd, int argc, char **argv)
{
    int required = 0;
    while (required < 4 && cmd->args [required] && cmd->args [required][0] != '?')
        required++;
    int given = s_positional_count (argc, argv);
    if (given >= required)
        return false;
    char name [64];
    s_arg_name (cmd->args [given], name, sizeof name);
    fprintf (stderr, "snodoctl: %s%s%s: missing %s\n", cmd->group, cmd->verb ? " " : "",
             cmd->verb ? cmd->verb : "", name);
    s_command_usage (stderr, cmd);
    return true;
}

//  The command group verb of the table.
static const ctl_command_t *
s_command (const char *group, const char *verb)
{
    const ctl_command_t *c = s_commands;
    while (c->group && !(streq (c->group, group) && c->verb && streq (c->verb, verb)))
        c++;
    assert (c->group);
    return c;
}

//  Runs the command group (cmd when the table has it) with the arguments
//  after the group's name. Returns the exit code.
static int
s_dispatch (ctl_t *ctl, const ctl_command_t *cmd, const char *group, int argc, char **argv)
{
    if (streq (group, "call") && argc > 0)
        return s_run (ctl, NULL, argv [0], argc - 1, argv + 1);
    if (streq (group, "demo"))
        return ctl_demo (ctl, argc, argv);
    if (streq (group, "report"))
        return ctl_report (ctl, argc, argv);
    if (streq (group, "members") && argc > 0 && streq (argv [0], "connection-file"))
        return ctl_connection_file (ctl, argc - 1, argv + 1);
    if (!cmd) {
        fprintf (stderr, "snodoctl: unknown command \"%s%s%s\"\n", group, argc > 0 ? " " : "",
                 argc > 0 ? argv [0] : "");
        s_usage (stderr);
        return EXIT_USAGE;
    }
    int first = cmd->verb ? 1 : 0;
    if (streq (cmd->group, "bridge") && ctl_bridge_handles (cmd->verb))
        return ctl_bridge (ctl, cmd->verb, argc - first, argv + first);
    //  a person shown by codice fiscale is found, not found and then read:
    //  one read of the person, and one entry in the registry's audit trail
    if (streq (cmd->method, "registry.GetPerson") && argc - first == 1 && ctl_is_codice_fiscale (argv [first]))
        cmd = s_command ("persons", "find");
    return s_run (ctl, cmd, cmd->method, argc - first, argv + first);
}

//  A global option at argv [0] (with its value), for ctl: returns how many
//  arguments it took, 0 when argv [0] is not one, -1 when its value is
//  missing. After the command (input given), --purpose and --service are the
//  input's own fields when it has them.
static int
s_global_option (ctl_t *ctl, const char **connect, int argc, char **argv, const ProtobufCMessageDescriptor *input)
{
    const char *o = argv [0];
    if (streq (o, "--json")) {
        ctl->json = true;
        return 1;
    }
    bool valued = streq (o, "-c") || streq (o, "--config") || streq (o, "--as") || streq (o, "--timeout")
               || streq (o, "--connect") || streq (o, "--cert") || streq (o, "--purpose") || streq (o, "--service");
    if (!valued)
        return 0;
    if (input && (streq (o, "--purpose") || streq (o, "--service"))
    &&  protobuf_c_message_descriptor_get_field_by_name (input, o + 2))
        return 0;
    if (argc < 2)
        return -1;
    const char *value = argv [1];
    if (streq (o, "-c") || streq (o, "--config"))
        ctl->config_path = value;
    else
    if (streq (o, "--as"))
        ctl->identity = value;
    else
    if (streq (o, "--timeout"))
        ctl->timeout_ms = atoi (value);
    else
    if (streq (o, "--connect"))
        *connect = value;
    else
    if (streq (o, "--cert"))
        ctl->cert_path = value;
    else
    if (streq (o, "--purpose"))
        ctl->purpose = value;
    else
        ctl->service = value;
    return 2;
}

//  The options before the command (--help and --version end here). Returns
//  the command's index, or -(exit code + 1) when snodoctl is done.
static int
s_leading_options (ctl_t *ctl, const char **connect, int argc, char **argv)
{
    int i = 1;
    for (; i < argc && argv [i][0] == '-' && argv [i][1]; i++) {
        if (streq (argv [i], "-h") || streq (argv [i], "--help")) {
            s_usage (stdout);
            return -1;
        }
        if (streq (argv [i], "--version")) {
            printf ("snodoctl %s\n", SNODO_VERSION);
            return -1;
        }
        int taken = s_global_option (ctl, connect, argc - i, argv + i, NULL);
        if (taken <= 0) {
            fprintf (stderr, "snodoctl: %s \"%s\"\n", taken < 0 ? "a value is missing after" : "unknown option",
                     argv [i]);
            s_usage (stderr);
            return -EXIT_USAGE - 1;
        }
        i += taken - 1;
    }
    if (i >= argc) {
        s_usage (stderr);
        return -EXIT_USAGE - 1;
    }
    return i;
}

//  Takes the global options (and --help) out of the command's arguments,
//  from argv [from] on. Returns the arguments left (argv compacted), or -1
//  on a usage error (said).
static int
s_trailing_options (ctl_t *ctl, const char **connect, const ProtobufCMessageDescriptor *input, int argc,
                    char **argv, int from, bool *help)
{
    int kept = from;
    for (int j = from; j < argc; j++) {
        if (streq (argv [j], "-h") || streq (argv [j], "--help")) {
            *help = true;
            continue;
        }
        int taken = s_global_option (ctl, connect, argc - j, argv + j, input);
        if (taken < 0) {
            fprintf (stderr, "snodoctl: a value is missing after \"%s\"\n", argv [j]);
            return -1;
        }
        if (taken > 0)
            j += taken - 1;
        else
            argv [kept++] = argv [j];
    }
    return kept;
}

//  The config when -c names none: $SNODO_CONFIG, else deploy/snodo up's
//  (var/snodo.cfg, run from the checkout), else the packages'
//  (/etc/snodo/snodo.cfg) when it is there.
static const char *
s_default_config (void)
{
    if (getenv ("SNODO_CONFIG"))
        return getenv ("SNODO_CONFIG");
    if (access ("var/snodo.cfg", F_OK) != 0 && access ("/etc/snodo/snodo.cfg", F_OK) == 0)
        return "/etc/snodo/snodo.cfg";
    return "var/snodo.cfg";
}

int
main (int argc, char *argv [])
{
    ctl_t ctl = {NULL, s_default_config (), NULL,
                 "placement", false, 10000, "registry", NULL, NULL, NULL};
    const char *connect = NULL;     //  --connect FILE
    ctl_text_init ();
    int i = s_leading_options (&ctl, &connect, argc, argv);
    if (i < 0)
        return -i - 1;
    //  the command, then its arguments; global options may come among them
    const ctl_command_t *cmd = NULL;
    for (const ctl_command_t *c = s_commands; c->group && !cmd; c++)
        if (streq (c->group, argv [i]) && (!c->verb || (i + 1 < argc && streq (c->verb, argv [i + 1]))))
            cmd = c;
    const ProtobufCMethodDescriptor *method = cmd ? s_method (cmd->method) : NULL;
    bool help = false;
    argc = s_trailing_options (&ctl, &connect, method ? method->input : NULL, argc, argv, i + 1, &help);
    if (argc < 0)
        return EXIT_USAGE;
    if (help) {
        if (streq (argv [i], "report"))
            ctl_report_usage (stdout);
        else
        if (cmd)
            s_command_help (cmd, method ? method->input : NULL);
        else
            s_usage (stdout);
        return 0;
    }
    //  a missing argument never reaches the service
    if (cmd && s_missing (cmd, argc - (cmd->verb ? i + 2 : i + 1), argv + (cmd->verb ? i + 2 : i + 1)))
        return EXIT_USAGE;
    zsys_init ();
    zsys_set_logstream (stderr);
    const char *group = argv [i++];
    if (streq (group, "keygen"))
        return s_keygen (argc - i, argv + i);
    if (connect) {
        if (ctl_connect_load (&ctl, connect, ctl.cert_path))
            return EXIT_UNREACHABLE;
    }
    else
        ctl.config = zconfig_load (ctl.config_path);
    if (!ctl.config) {
        fprintf (stderr, "snodoctl: could not read the config \"%s\" (run deploy/snodo up, or give -c)\n",
                 ctl.config_path);
        return EXIT_UNREACHABLE;
    }
    if (!ctl.identity)
        ctl.identity = zconfig_get (ctl.config, "snodoctl/identity", "admin");
    int rc = s_dispatch (&ctl, cmd, group, argc - i, argv + i);
    zhash_destroy (&ctl.lookups);
    zconfig_destroy (&ctl.config);
    protobuf_c_message_free_unpacked (ctl.directory, NULL);
    return rc;
}
