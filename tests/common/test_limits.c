/*  Every number a caller can send, range-checked: a table of each input
    message's numeric fields (the registry's, monitoring's, matching's, the
    bridge's and the journal's), with a value out of its range and what the
    service must do with it, sent to the real services. A test walks the
    services' descriptors and fails when an input's numeric field has no
    row: a new field comes with its limit. A batch method's item (CreatePersons)
    is refused on its own, in its outcome, naming the field as its single
    method does. (Strings, enums and repeated fields are bounded for every
    message on the wire: tests/common/test_validate.c, "wire".) */
#include "testsupport.h"
#include "bridge.h"
#include "matching.h"
#include "monitoring.h"
#include "sn_json.h"
#include <criterion/criterion.h>
#include <fnmatch.h>
#include <string.h>

//  What a service must do with a value out of the field's range.
typedef enum {
    REFUSED,        //  INVALID_ARGUMENT, with a violation naming the field
    BOUNDED,        //  taken to its bound (a page's size, the events of a Replay)
    IGNORED,        //  the server's own (created_at, version): the caller's is not taken
    ITEM_REFUSED,   //  a batch's item refused in its own outcome, INVALID_ARGUMENT naming the field
    ITEM_IGNORED    //  a batch's item: the server's own, not refused for it
} s_expect_t;

typedef struct {
    const char *method;     //  "registry.CreatePerson"
    const char *field;      //  its path in the input; a pattern for a family ("person.profile.scores.*")
    const char *input;      //  the input as JSON, with the value out of range in it
    s_expect_t expect;
    const char *named;      //  for REFUSED: the violation's field, if not field
} s_limit_t;

#define SCORES(prefix) prefix "{\"workPlanning\": 6, \"speaking\": 6}"

static const s_limit_t s_limits [] = {
    //  --- registry ---
    {"registry.RegisterMember", "member.created_at", "{\"member\": {\"id\": \"x1\", \"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.RegisterMember", "member.updated_at", "{\"member\": {\"id\": \"x1\", \"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdateMember", "member.created_at", "{\"member\": {\"id\": \"x1\", \"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdateMember", "member.updated_at", "{\"member\": {\"id\": \"x1\", \"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreatePerson", "person.latitude", "{\"person\": {\"latitude\": 91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.longitude", "{\"person\": {\"latitude\": 46, \"longitude\": -181}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.invalidity_percent", "{\"person\": {\"invalidityPercent\": 101}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.constraints.min_weekly_hours",
     "{\"person\": {\"constraints\": {\"minWeeklyHours\": 49}}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.constraints.max_weekly_hours",
     "{\"person\": {\"constraints\": {\"maxWeeklyHours\": 49}}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.constraints.max_commute_km",
     "{\"person\": {\"constraints\": {\"maxCommuteKm\": 501}}}", REFUSED, NULL},
    {"registry.CreatePerson", "person.profile.scores.*", SCORES ("{\"person\": {\"profile\": {\"scores\": ") "}}}",
     REFUSED, "person.profile.scores"},
    {"registry.CreatePerson", "person.consents[].*", "{\"person\": {\"consents\": [{\"grantedAt\": \"-5\"}]}}",
     REFUSED, "person.consents"},
    {"registry.CreatePerson", "person.version", "{\"person\": {\"version\": 4000000000}}", IGNORED, NULL},
    {"registry.CreatePerson", "person.created_at", "{\"person\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreatePerson", "person.updated_at", "{\"person\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    //  a batch's items, each refused (or not) as CreatePerson refuses its person
#define ITEM(person) "{\"items\": [{\"requestId\": \"AAECAwQFBgcICQoLDA0ODw==\", \"person\": " person "}]}"
    {"registry.CreatePersons", "items[].person.latitude", ITEM ("{\"latitude\": 91, \"longitude\": 12}"), ITEM_REFUSED,
     "person.latitude"},
    {"registry.CreatePersons", "items[].person.longitude", ITEM ("{\"latitude\": 46, \"longitude\": -181}"),
     ITEM_REFUSED, "person.longitude"},
    {"registry.CreatePersons", "items[].person.invalidity_percent", ITEM ("{\"invalidityPercent\": 101}"), ITEM_REFUSED,
     "person.invalidity_percent"},
    {"registry.CreatePersons", "items[].person.constraints.min_weekly_hours",
     ITEM ("{\"constraints\": {\"minWeeklyHours\": 49}}"), ITEM_REFUSED, "person.constraints.min_weekly_hours"},
    {"registry.CreatePersons", "items[].person.constraints.max_weekly_hours",
     ITEM ("{\"constraints\": {\"maxWeeklyHours\": 49}}"), ITEM_REFUSED, "person.constraints.max_weekly_hours"},
    {"registry.CreatePersons", "items[].person.constraints.max_commute_km",
     ITEM ("{\"constraints\": {\"maxCommuteKm\": 501}}"), ITEM_REFUSED, "person.constraints.max_commute_km"},
    {"registry.CreatePersons", "items[].person.profile.scores.*", ITEM (SCORES ("{\"profile\": {\"scores\": ") "}}"),
     ITEM_REFUSED, "person.profile.scores"},
    {"registry.CreatePersons", "items[].person.consents[].*", ITEM ("{\"consents\": [{\"grantedAt\": \"-5\"}]}"),
     ITEM_REFUSED, "person.consents"},
    {"registry.CreatePersons", "items[].person.version", ITEM ("{\"version\": 4000000000}"), ITEM_IGNORED,
     "person.version"},
    {"registry.CreatePersons", "items[].person.created_at", ITEM ("{\"createdAt\": \"-1\"}"), ITEM_IGNORED,
     "person.created_at"},
    {"registry.CreatePersons", "items[].person.updated_at", ITEM ("{\"updatedAt\": \"-1\"}"), ITEM_IGNORED,
     "person.updated_at"},
    {"registry.ListPersons", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.latitude", "{\"person\": {\"latitude\": 91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.longitude", "{\"person\": {\"latitude\": 46, \"longitude\": -181}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.invalidity_percent", "{\"person\": {\"invalidityPercent\": 101}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.constraints.min_weekly_hours",
     "{\"person\": {\"constraints\": {\"minWeeklyHours\": 49}}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.constraints.max_weekly_hours",
     "{\"person\": {\"constraints\": {\"maxWeeklyHours\": 49}}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.constraints.max_commute_km",
     "{\"person\": {\"constraints\": {\"maxCommuteKm\": 501}}}", REFUSED, NULL},
    {"registry.UpdatePerson", "person.profile.scores.*", SCORES ("{\"person\": {\"profile\": {\"scores\": ") "}}}",
     REFUSED, "person.profile.scores"},
    //  a person as read, changed: its consents are recorded with GrantConsent, not here
    {"registry.UpdatePerson", "person.consents[].*", "{\"person\": {\"consents\": [{\"grantedAt\": \"-5\"}]}}",
     IGNORED, NULL},
    {"registry.UpdatePerson", "person.version", "{\"person\": {\"version\": 4000000000}}", IGNORED, NULL},
    {"registry.UpdatePerson", "person.created_at", "{\"person\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdatePerson", "person.updated_at", "{\"person\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdatePerson", "expected_version", "{\"expectedVersion\": 4000000000}", IGNORED, NULL},
    {"registry.SetProfile", "profile.scores.*", SCORES ("{\"profile\": {\"scores\": ") "}}", REFUSED, "profile.scores"},
    {"registry.SetConstraints", "constraints.min_weekly_hours", "{\"constraints\": {\"minWeeklyHours\": 49}}",
     REFUSED, NULL},
    {"registry.SetConstraints", "constraints.max_weekly_hours", "{\"constraints\": {\"maxWeeklyHours\": 49}}",
     REFUSED, NULL},
    {"registry.SetConstraints", "constraints.max_commute_km", "{\"constraints\": {\"maxCommuteKm\": 501}}",
     REFUSED, NULL},
    {"registry.CreateCompany", "company.employees", "{\"company\": {\"employees\": 4000000000}}", REFUSED, NULL},
    {"registry.CreateCompany", "company.disabled_employed", "{\"company\": {\"employees\": 10, \"disabledEmployed\": 11}}",
     REFUSED, NULL},
    {"registry.CreateCompany", "company.quota", "{\"company\": {\"quota\": 4000000000}}", IGNORED, NULL},
    {"registry.CreateCompany", "company.uncovered", "{\"company\": {\"uncovered\": 4000000000}}", IGNORED, NULL},
    {"registry.CreateCompany", "company.latitude", "{\"company\": {\"latitude\": -91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.CreateCompany", "company.longitude", "{\"company\": {\"latitude\": 46, \"longitude\": 181}}", REFUSED, NULL},
    {"registry.CreateCompany", "company.created_at", "{\"company\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreateCompany", "company.updated_at", "{\"company\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.ListCompanies", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"registry.UpdateCompany", "company.employees", "{\"company\": {\"employees\": 4000000000}}", REFUSED, NULL},
    {"registry.UpdateCompany", "company.disabled_employed", "{\"company\": {\"employees\": 10, \"disabledEmployed\": 11}}",
     REFUSED, NULL},
    {"registry.UpdateCompany", "company.quota", "{\"company\": {\"quota\": 4000000000}}", IGNORED, NULL},
    {"registry.UpdateCompany", "company.uncovered", "{\"company\": {\"uncovered\": 4000000000}}", IGNORED, NULL},
    {"registry.UpdateCompany", "company.latitude", "{\"company\": {\"latitude\": -91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.UpdateCompany", "company.longitude", "{\"company\": {\"latitude\": 46, \"longitude\": 181}}", REFUSED, NULL},
    {"registry.UpdateCompany", "company.created_at", "{\"company\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdateCompany", "company.updated_at", "{\"company\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreateCooperative", "cooperative.latitude", "{\"cooperative\": {\"latitude\": 91, \"longitude\": 12}}",
     REFUSED, NULL},
    {"registry.CreateCooperative", "cooperative.longitude", "{\"cooperative\": {\"latitude\": 46, \"longitude\": 181}}",
     REFUSED, NULL},
    {"registry.CreateCooperative", "cooperative.created_at", "{\"cooperative\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreateCooperative", "cooperative.updated_at", "{\"cooperative\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.ListCooperatives", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.weekly_hours", "{\"post\": {\"weeklyHours\": 49}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.requirements.*", SCORES ("{\"post\": {\"requirements\": ") "}}",
     REFUSED, "post.requirements"},
    {"registry.CreateJobPost", "post.places", "{\"post\": {\"places\": 100001}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.places_filled", "{\"post\": {\"places\": 2, \"placesFilled\": 3}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.latitude", "{\"post\": {\"latitude\": 91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.longitude", "{\"post\": {\"latitude\": 46, \"longitude\": 181}}", REFUSED, NULL},
    {"registry.CreateJobPost", "post.created_at", "{\"post\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.CreateJobPost", "post.updated_at", "{\"post\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.ListJobPosts", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"registry.ListCompanyContacts", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"registry.CorrectPersonNote", "expected_version", "{\"expectedVersion\": 4000000000}", IGNORED, NULL},
    {"registry.UpdateJobPost", "post.weekly_hours", "{\"post\": {\"weeklyHours\": 49}}", REFUSED, NULL},
    {"registry.UpdateJobPost", "post.requirements.*", SCORES ("{\"post\": {\"requirements\": ") "}}",
     REFUSED, "post.requirements"},
    {"registry.UpdateJobPost", "post.places", "{\"post\": {\"places\": 100001}}", REFUSED, NULL},
    {"registry.UpdateJobPost", "post.places_filled", "{\"post\": {\"places\": 2, \"placesFilled\": 3}}", REFUSED, NULL},
    {"registry.UpdateJobPost", "post.latitude", "{\"post\": {\"latitude\": 91, \"longitude\": 12}}", REFUSED, NULL},
    {"registry.UpdateJobPost", "post.longitude", "{\"post\": {\"latitude\": 46, \"longitude\": 181}}", REFUSED, NULL},
    {"registry.UpdateJobPost", "post.created_at", "{\"post\": {\"createdAt\": \"-1\"}}", IGNORED, NULL},
    {"registry.UpdateJobPost", "post.updated_at", "{\"post\": {\"updatedAt\": \"-1\"}}", IGNORED, NULL},
    //  --- monitoring ---
    {"monitoring.ListPathways", "page.limit", "{\"page\": {\"limit\": 1001}}", REFUSED, NULL},
    {"monitoring.StartIntake", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.StartAssessment", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.StartMatching", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.PresentProject", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.SignAgreement", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.Activate", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.Suspend", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.Resume", "outcome.weekly_hours", "{\"outcome\": {\"weeklyHours\": 4000000000}}", IGNORED, NULL},
    {"monitoring.Close", "outcome.weekly_hours",
     "{\"pathwayId\": \"00000000-0000-4000-8000-000000000001\", \"outcome\": {\"kind\": \"HIRED\", \"weeklyHours\": 49}}",
     REFUSED, NULL},
    {"monitoring.SetAgreement", "agreement.weekly_hours", "{\"agreement\": {\"weeklyHours\": 49}}", REFUSED, NULL},
    {"monitoring.SetAgreement", "agreement.version", "{\"agreement\": {\"version\": 4000000000}}", IGNORED, NULL},
    {"monitoring.RecordMeeting", "number", "{\"number\": 4000000000}", REFUSED, NULL},
    {"monitoring.ListOverdue", "limit", "{\"limit\": 1001}", REFUSED, NULL},
    {"monitoring.RecordAttendance", "record.hours", "{\"record\": {\"hours\": 12.5}}", REFUSED, NULL},
    {"monitoring.RecordAttendanceBatch", "records[].hours", "{\"records\": [{\"hours\": -1}]}", REFUSED,
     "records[0].hours"},
    {"monitoring.AddObservation", "observation.scores.*", SCORES ("{\"observation\": {\"scores\": ") "}}",
     REFUSED, "observation.scores"},
    {"monitoring.AddService", "service.hours", "{\"service\": {\"hours\": 1e9}}", REFUSED, NULL},
    //  --- matching ---
    {"matching.BestPersons", "limit", "{\"limit\": 4000000000}", REFUSED, NULL},
    {"matching.BestPosts", "limit", "{\"limit\": 4000000000}", REFUSED, NULL},
    {"matching.Companies", "limit", "{\"limit\": 4000000000}", REFUSED, NULL},
    {"matching.ListProposals", "limit", "{\"limit\": 4000000000}", REFUSED, NULL},
    //  --- the bridge (its operator's methods) ---
    {"bridge.ImportStatus", "since", "{\"name\": \"a.xml\", \"since\": \"9223372036854775807\"}", REFUSED, NULL},
    {"bridge.Status", "last", "{\"last\": 1001}", REFUSED, NULL},
    {"bridge.Reconcile", "limit", "{\"limit\": 10001}", REFUSED, NULL},
    {"bridge.WriteSummary", "year", "{\"year\": 4000000000}", REFUSED, NULL},
    //  --- the journal, which every service answers ---
    {"journal.Replay", "from_seq", "{\"fromSeq\": \"18446744073709551615\"}", BOUNDED, NULL},
    {"journal.Replay", "max", "{\"max\": 4000000000}", BOUNDED, NULL},
    {"journal.Follow", "after_seq", "{\"afterSeq\": \"18446744073709551615\"}", REFUSED, NULL},
    {"journal.Follow", "max", "{\"max\": 1001}", REFUSED, NULL},
    {"journal.Follow", "wait_ms", "{\"waitMs\": 30001}", REFUSED, NULL},
    {"journal.ListAudit", "after_id", "{\"afterId\": \"18446744073709551615\"}", BOUNDED, NULL},
    {"journal.ListAudit", "limit", "{\"limit\": 4000000000}", BOUNDED, NULL},
    {"journal.RetryFailed", "seq", "{\"source\": \"monitoring\", \"seq\": \"18446744073709551615\"}", REFUSED, NULL},
    {"journal.SkipFailed", "seq", "{\"source\": \"monitoring\", \"seq\": \"18446744073709551615\", "
     "\"why\": \"a test\"}", REFUSED, NULL},
    {"journal.VerifyAudit", "witnessed[].*", "{\"witnessed\": [{\"batch\": \"18446744073709551615\", "
     "\"entries\": \"18446744073709551615\", \"at\": \"-1\"}]}", IGNORED, NULL},
    {NULL, NULL, NULL, 0, NULL}
};

//  --- the services ---------------------------------------------------------------------

static ts_registry_t *reg;
static monitoring_t *mon;
static matching_t *matching;
static zcert_t *mon_cert, *match_cert;
static char *mon_conninfo, *mon_request, *mon_events, *match_conninfo, *match_request, *match_events;
static zactor_t *mon_server, *match_server;
//  the bridge's service (its operator's methods), without its importer and writer
static br_schema_t *bridge_schema;
static bridge_t *bridge;
static zcert_t *bridge_cert;
static char *bridge_conninfo, *bridge_request, *bridge_events, bridge_spool [64];
static zactor_t *bridge_server;

static void
s_bridge_start (void)
{
    char err [256];
    bridge_schema = br_schema_new (err, sizeof err);
    cr_assert (bridge_schema, "%s", err);
    strcpy (bridge_spool, "/tmp/snodo-limits-XXXXXX");
    cr_assert (mkdtemp (bridge_spool));
    bridge = bridge_new (bridge_spool, bridge_schema, err, sizeof err);
    cr_assert (bridge, "%s", err);
    bridge_cert = ts_service_cert (reg, "bridge");
    bridge_conninfo = ts_service_conninfo (reg, "bridge");
    sn_service_t service = bridge_service (bridge);
    bridge_server = ts_server_start (reg, &service, bridge_conninfo, bridge_cert, &bridge_request, &bridge_events);
}

static void
s_bridge_stop (void)
{
    zactor_destroy (&bridge_server);
    bridge_destroy (&bridge);
    br_schema_destroy (&bridge_schema);
    zstr_free (&bridge_request);
    zstr_free (&bridge_events);
    zstr_free (&bridge_conninfo);
    zcert_destroy (&bridge_cert);
    char cmd [128];
    snprintf (cmd, sizeof cmd, "rm -rf %s", bridge_spool);
    cr_expect_eq (system (cmd), 0);
}

static void
setup (void)
{
    reg = ts_registry_start ("limits", 2);
    mon_cert = ts_service_cert (reg, "monitoring");
    mon_conninfo = ts_service_conninfo (reg, "monitoring");
    mon = monitoring_new (reg->auth);
    sn_service_t service = monitoring_service (mon);
    mon_server = ts_server_start (reg, &service, mon_conninfo, mon_cert, &mon_request, &mon_events);
    match_cert = ts_service_cert (reg, "matching");
    match_conninfo = ts_service_conninfo (reg, "matching");
    matching = matching_new ();
    char err [256];
    cr_assert_eq (matching_start (matching, match_conninfo, err, sizeof err), 0, "%s", err);
    service = matching_service (matching);
    match_server = ts_server_start (reg, &service, match_conninfo, match_cert, &match_request, &match_events);
    s_bridge_start ();
}

static void
teardown (void)
{
    s_bridge_stop ();
    zactor_destroy (&match_server);
    zactor_destroy (&mon_server);
    matching_destroy (&matching);
    monitoring_destroy (&mon);
    zstr_free (&mon_request);
    zstr_free (&mon_events);
    zstr_free (&mon_conninfo);
    zstr_free (&match_request);
    zstr_free (&match_events);
    zstr_free (&match_conninfo);
    zcert_destroy (&mon_cert);
    zcert_destroy (&match_cert);
    ts_registry_destroy (&reg);
}

TestSuite (limits, .init = setup, .fini = teardown, .timeout = 120);

//  The input descriptor of "service.Method" (the journal's through any service).
static const ProtobufCMethodDescriptor *
s_method (const char *name)
{
    static const ProtobufCServiceDescriptor *services [] = {
        &snodo__registry__registry__descriptor, &snodo__monitoring__monitoring__descriptor,
        &snodo__matching__matching__descriptor, &snodo__bridge__bridge__descriptor, &snodo__journal__descriptor, NULL};
    static const char *prefixes [] = {"registry.", "monitoring.", "matching.", "bridge.", "journal.", NULL};
    for (int i = 0; services [i]; i++)
        if (strncmp (name, prefixes [i], strlen (prefixes [i])) == 0)
            return protobuf_c_service_descriptor_get_method_by_name (services [i], name + strlen (prefixes [i]));
    return NULL;
}

//  The row of method and field path, or NULL. A row's field is a pattern
//  whose "*" stands for any rest; its brackets ("items[]") are themselves.
static const s_limit_t *
s_row (const char *method, const char *path)
{
    for (const s_limit_t *l = s_limits; l->method; l++) {
        char pattern [256];
        size_t n = 0;
        for (const char *c = l->field; *c && n + 2 < sizeof pattern; c++) {
            if (*c == '[' || *c == ']')
                pattern [n++] = '\\';
            pattern [n++] = *c;
        }
        pattern [n] = 0;
        if (streq (l->method, method) && fnmatch (pattern, path, 0) == 0)
            return l;
    }
    return NULL;
}

//  Every numeric field under desc (booleans need no range), its path from
//  prefix: the rows missing for method are named in missing.
static void
s_walk (const char *method, const ProtobufCMessageDescriptor *desc, const char *prefix, int depth,
        char *missing, size_t size, int *count)
{
    for (unsigned i = 0; i < desc->n_fields && depth < 6; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        char path [256];
        snprintf (path, sizeof path, "%s%s%s", prefix, f->name, f->label == PROTOBUF_C_LABEL_REPEATED ? "[]" : "");
        if (f->type == PROTOBUF_C_TYPE_MESSAGE) {
            char nested [260];
            snprintf (nested, sizeof nested, "%s.", path);
            s_walk (method, (const ProtobufCMessageDescriptor *) f->descriptor, nested, depth + 1, missing, size,
                    count);
            continue;
        }
        if (f->type == PROTOBUF_C_TYPE_BOOL || f->type == PROTOBUF_C_TYPE_STRING || f->type == PROTOBUF_C_TYPE_BYTES
        ||  f->type == PROTOBUF_C_TYPE_ENUM)
            continue;
        (*count)++;
        if (!s_row (method, path) && strlen (missing) + strlen (path) + 40 < size)
            snprintf (missing + strlen (missing), size - strlen (missing), "\n  %s %s", method, path);
    }
}

Test (limits, every_numeric_field_of_every_input_has_its_row)
{
    static const struct {
        const char *prefix;
        const ProtobufCServiceDescriptor *service;
    } services [] = {
        {"registry", &snodo__registry__registry__descriptor}, {"monitoring", &snodo__monitoring__monitoring__descriptor},
        {"matching", &snodo__matching__matching__descriptor}, {"bridge", &snodo__bridge__bridge__descriptor},
        {"journal", &snodo__journal__descriptor}, {NULL, NULL}};
    char missing [8192] = "";
    int count = 0;
    for (int s = 0; services [s].prefix; s++)
        for (unsigned m = 0; m < services [s].service->n_methods; m++) {
            char method [128];
            snprintf (method, sizeof method, "%s.%s", services [s].prefix, services [s].service->methods [m].name);
            s_walk (method, services [s].service->methods [m].input, "", 0, missing, sizeof missing, &count);
        }
    cr_expect_gt (count, 100, "only %d numeric fields found", count);
    cr_expect_str_empty (missing, "numeric fields without a row:%s", missing);
}

static zcert_t *s_sil;          //  the SIL's certificate, once registered

//  The status of a batch reply's first item, into result (its code, message
//  and violations, as a call's are). Returns the item's code.
static int
s_item_result (const ProtobufCMethodDescriptor *m, ProtobufCMessage *output, sn_result_t *result)
{
    memset (result, 0, sizeof *result);
    cr_assert (output, "no reply");
    const Snodo__Status *status = NULL;
    if (m->output == &snodo__registry__create_persons_reply__descriptor) {
        const Snodo__Registry__CreatePersonsReply *reply = (const void *) output;
        cr_assert_eq (reply->n_items, 1);
        status = reply->items [0]->status;
    }
    else
    if (m->output == &snodo__monitoring__refer_batch_reply__descriptor) {
        const Snodo__Monitoring__ReferBatchReply *reply = (const void *) output;
        cr_assert_eq (reply->n_items, 1);
        status = reply->items [0]->status;
    }
    cr_assert (status, "%s: no item's status", m->name);
    result->code = (int) status->code;
    snprintf (result->message, sizeof result->message, "%s", status->message);
    for (size_t i = 0; i < status->n_violations && i < 16; i++) {
        snprintf (result->fields [i], sizeof result->fields [i], "%s", status->violations [i]->field);
        snprintf (result->descriptions [i], sizeof result->descriptions [i], "%s",
                  status->violations [i]->description);
    }
    result->n_violations = status->n_violations;
    return result->code;
}

//  Calls a row's method as the SIL, a referring service, or as the
//  operator where the SIL may not call it. Returns the code (a batch's: its
//  item's); result filled.
static int
s_call (const s_limit_t *l, sn_result_t *result)
{
    if (!s_sil) {
        sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, &s_sil);
        sn_client_destroy (&sil);
    }
    const ProtobufCMethodDescriptor *m = s_method (l->method);
    cr_assert (m, "no method %s", l->method);
    char err [256];
    ProtobufCMessage *input = sn_json_to_message (m->input, l->input, err, sizeof err);
    cr_assert (input, "%s: %s", l->method, err);
    const char *endpoint = reg->request;
    zcert_t *server = reg->cert;
    if (strncmp (l->method, "monitoring.", 11) == 0) {
        endpoint = mon_request;
        server = mon_cert;
    }
    if (strncmp (l->method, "matching.", 9) == 0) {
        endpoint = match_request;
        server = match_cert;
    }
    if (strncmp (l->method, "bridge.", 7) == 0) {
        endpoint = bridge_request;
        server = bridge_cert;
    }
    bool item = l->expect == ITEM_REFUSED || l->expect == ITEM_IGNORED;
    ProtobufCMessage *output = NULL;
    sn_client_t *client = ts_client_as (endpoint, s_sil, server);
    int code = sn_client_call (client, l->method, "placement", input, item ? m->output : NULL,
                               item ? &output : NULL, result);
    sn_client_destroy (&client);
    if (code == TS_CODE (PERMISSION_DENIED) && strstr (result->message, "is not allowed to members of kind")) {
        client = ts_client_as (endpoint, reg->admin, server);
        code = sn_client_call (client, l->method, "administration", input, item ? m->output : NULL,
                               item ? &output : NULL, result);
        sn_client_destroy (&client);
    }
    protobuf_c_message_free_unpacked (input, NULL);
    if (item) {
        cr_expect_eq (code, TS_CODE (OK), "%s: the batch itself was refused: %s", l->method, result->message);
        code = code == TS_CODE (OK) ? s_item_result (m, output, result) : code;
    }
    if (output)
        protobuf_c_message_free_unpacked (output, NULL);
    return code;
}

//  The field a refusal must name (its violations, or its message).
static bool
s_names (const sn_result_t *result, const char *field)
{
    for (size_t i = 0; i < result->n_violations && i < 16; i++)
        if (strncmp (result->fields [i], field, strlen (field)) == 0)
            return true;
    return strstr (result->message, field) != NULL;
}

Test (limits, a_number_out_of_its_range_is_refused_naming_its_field_or_bounded)
{
    int rows = 0;
    for (const s_limit_t *l = s_limits; l->method; l++, rows++) {
        sn_result_t result;
        int code = s_call (l, &result);
        //  the field, as a violation names it: without a family's pattern
        char field [128];
        snprintf (field, sizeof field, "%s", l->named ? l->named : l->field);
        cr_expect_neq (code, TS_CODE (INTERNAL), "%s %s: INTERNAL: %s", l->method, l->field, result.message);
        if (l->expect == REFUSED || l->expect == ITEM_REFUSED) {
            cr_expect_eq (code, TS_CODE (INVALID_ARGUMENT), "%s %s: %s, not refused: %s", l->method, l->field,
                          sn_code_name (code), result.message);
            cr_expect (code != TS_CODE (INVALID_ARGUMENT) || s_names (&result, field),
                       "%s: the refusal does not name %s: %s (%s...)", l->method, field, result.message,
                       result.n_violations ? result.fields [0] : "");
        }
        else
            cr_expect (code != TS_CODE (INVALID_ARGUMENT) || !s_names (&result, field),
                       "%s: %s refused: %s", l->method, field, result.message);
    }
    cr_expect_gt (rows, 100);
    zcert_destroy (&s_sil);
}

//  A repeated field that is a set keeps each value once; one past its bound
//  is refused whole (1,040,000 categories were once stored as a 26 MB row).
Test (limits, a_set_keeps_each_value_once_and_a_list_past_its_bound_is_refused)
{
    sn_client_t *sil = ts_member_client (reg, "ass6-sil", TS_KIND (SIL), NULL, NULL);
    Snodo__Registry__Person person;
    char cf [17];
    ts_person_init (&person, 77, cf);
    Snodo__Registry__Category twice [5] = {1, 2, 1, 2, 1};
    person.categories = twice;
    person.n_categories = 5;
    char *sectors [3] = {"56.29", "56.29", "10.11"};
    Snodo__Registry__Constraints constraints = SNODO__REGISTRY__CONSTRAINTS__INIT;
    constraints.preferred_sectors = sectors;
    constraints.n_preferred_sectors = 3;
    person.constraints = &constraints;
    Snodo__Registry__CreatePersonRequest req = SNODO__REGISTRY__CREATE_PERSON_REQUEST__INIT;
    req.person = &person;
    Snodo__Registry__Person *out = NULL;
    sn_result_t result;
    cr_assert_eq (sn_client_call (sil, "registry.CreatePerson", "placement", &req.base,
                                  &snodo__registry__person__descriptor, (ProtobufCMessage **) &out, &result),
                  TS_CODE (OK), "%s", result.message);
    cr_expect_eq (out->n_categories, 2);
    cr_expect_eq (out->constraints->n_preferred_sectors, 2);
    char *stored = ts_value (reg->dbname, "SELECT categories::text FROM registry.person WHERE id = '%s'", out->id);
    cr_expect_str_eq (stored, "{1,2}");
    free (stored);
    snodo__registry__person__free_unpacked (out, NULL);
    //  one more than SN_WIRE_MAX_REPEATED: refused before anything is read
    size_t many = 1001;
    Snodo__Registry__Category *lots = (Snodo__Registry__Category *) calloc (many, sizeof *lots);
    for (size_t i = 0; i < many; i++)
        lots [i] = 1;
    ts_person_init (&person, 78, cf);
    person.categories = lots;
    person.n_categories = many;
    cr_expect_eq (sn_client_call (sil, "registry.CreatePerson", "placement", &req.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT));
    cr_expect_str_eq (result.fields [0], "person.categories");
    free (lots);
    sn_client_destroy (&sil);
}

//  A batch's items are a number a caller sends too: more than the wire's
//  bound of a repeated field is refused whole, naming the field, before
//  anything is read.
Test (limits, a_batch_of_more_than_1000_items_is_refused_whole_naming_items)
{
    zcert_t *cert = NULL;
    sn_client_t *sil = ts_member_client (reg, "ass6-sil-many", TS_KIND (SIL), NULL, &cert);
    size_t many = 1001;
    Snodo__Registry__CreatePersonsItem person_item = SNODO__REGISTRY__CREATE_PERSONS_ITEM__INIT;
    Snodo__Registry__CreatePersonsItem **people = (Snodo__Registry__CreatePersonsItem **) calloc (many, sizeof (void *));
    Snodo__Monitoring__ReferBatchItem refer_item = SNODO__MONITORING__REFER_BATCH_ITEM__INIT;
    Snodo__Monitoring__ReferBatchItem **refers = (Snodo__Monitoring__ReferBatchItem **) calloc (many, sizeof (void *));
    for (size_t i = 0; i < many; i++) {
        people [i] = &person_item;
        refers [i] = &refer_item;
    }
    Snodo__Registry__CreatePersonsRequest persons = SNODO__REGISTRY__CREATE_PERSONS_REQUEST__INIT;
    persons.items = people;
    persons.n_items = many;
    sn_result_t result;
    cr_expect_eq (sn_client_call (sil, "registry.CreatePersons", "placement", &persons.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT), "%s", result.message);
    cr_expect_str_eq (result.fields [0], "items");
    sn_client_destroy (&sil);
    Snodo__Monitoring__ReferBatchRequest referrals = SNODO__MONITORING__REFER_BATCH_REQUEST__INIT;
    referrals.items = refers;
    referrals.n_items = many;
    sn_client_t *to_mon = ts_client_as (mon_request, cert, mon_cert);
    cr_expect_eq (sn_client_call (to_mon, "monitoring.ReferBatch", "placement", &referrals.base, NULL, NULL, &result),
                  TS_CODE (INVALID_ARGUMENT), "%s", result.message);
    cr_expect_str_eq (result.fields [0], "items");
    sn_client_destroy (&to_mon);
    zcert_destroy (&cert);
    free (people);
    free (refers);
}
