/*  Companies (with their law 68/1999 quota), type-B cooperatives with their
    guide workers, and job posts with their analysis and requirement profile. */
#include "registry.h"
#include "sn_law68.h"
#include <string.h>

#define ORG_JSON(t) \
    "(" t ".data || jsonb_build_object ('id', " t ".id, 'createdAt', ms (" t ".created_at), " \
    "'updatedAt', ms (" t ".updated_at)))::text"

static const char *const s_drop [] = {"id", "createdAt", "updatedAt", NULL};

#define ORG_KINDS (SN_KIND (PROVINCIA) | SN_KIND (CPI) | SN_KIND (ADMIN))

//  Law 68/1999 art. 3: 15-35 employees one worker, 36-50 two, over 50 seven
//  per cent (a fraction above one half counts as one more worker): the rule
//  is sn_law68's, which snodoctl uses to say how a quota was computed.
uint32_t
registry_law68_quota (uint32_t employees)
{
    return sn_law68_quota (employees);
}

//  Reads one row of table by id into a message. NULL with status set if none.
static ProtobufCMessage *
s_load (sn_call_t *call, const char *table, const ProtobufCMessageDescriptor *desc,
        const char *id, bool for_update)
{
    if (!sn_is_uuid (id)) {
        sn_call_violation (call, "id", "\"%.40s\" is not a UUID", id);
        sn_call_invalid (call);
        return NULL;
    }
    char sql [256];
    snprintf (sql, sizeof sql, "SELECT " ORG_JSON ("t") " FROM %s t WHERE id = $1%s", table,
              for_update ? " FOR UPDATE" : "");
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the record", sql, 1, params);
    if (!res)
        return NULL;
    ProtobufCMessage *msg = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no %s %.40s", table, id);
    else
        msg = reg_message_from_json (call, desc, PQgetvalue (res, 0, 0));
    PQclear (res);
    return msg;
}

//  After a write: reads the row back, emits the event, sets the output.
static int
s_finish (sn_call_t *call, const char *table, const ProtobufCMessageDescriptor *desc,
          const char *id, const char *event, ProtobufCMessage **output)
{
    ProtobufCMessage *stored = s_load (call, table, desc, id, false);
    if (!stored)
        return sn_call_code (call);
    if (sn_call_event (call, event, id, NULL, stored)) {
        protobuf_c_message_free_unpacked (stored, NULL);
        return sn_call_code (call);
    }
    *output = stored;
    return SNODO__CODE__OK;
}

static ProtobufCMessage *
s_list_reply (sn_call_t *call, PGresult *res, const ProtobufCMessageDescriptor *reply_desc,
              const ProtobufCMessageDescriptor *item_desc, uint32_t limit)
{
    //  Every list reply here is {repeated items = 1; string next = 2}.
    ProtobufCMessage *reply = sn_message_new (reply_desc);
    const ProtobufCFieldDescriptor *items = &reply_desc->fields [0];
    const ProtobufCFieldDescriptor *next = &reply_desc->fields [1];
    size_t *count = (size_t *) ((char *) reply + items->quantifier_offset);
    ProtobufCMessage ***array = (ProtobufCMessage ***) ((char *) reply + items->offset);
    int rows = PQntuples (res);
    *array = (ProtobufCMessage **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        ProtobufCMessage *item = reg_message_from_json (call, item_desc, PQgetvalue (res, i, 0));
        if (!item) {
            protobuf_c_message_free_unpacked (reply, NULL);
            return NULL;
        }
        (*array) [(*count)++] = item;
    }
    if (rows == (int) limit && rows > 0)
        sn_set_string ((char **) ((char *) reply + next->offset), PQgetvalue (res, rows - 1, 1));
    return reply;
}

static uint32_t
s_limit (sn_call_t *call, const Snodo__Registry__Page *page, const char **after)
{
    uint32_t limit = page && page->limit ? page->limit : 50;
    if (limit > 1000)
        sn_call_violation (call, "page.limit", "%u is above 1000", limit);
    *after = page && *page->after ? page->after : NULL;
    if (*after && !sn_is_uuid (*after))
        sn_call_violation (call, "page.after", "is not a UUID");
    return limit;
}

//  --- companies --------------------------------------------------------------

static void
s_check_company (sn_call_t *call, Snodo__Registry__Company *c)
{
    char why [160];
    if (!sn_validate_partita_iva (c->partita_iva, why, sizeof why))
        sn_call_violation (call, "company.partita_iva", "%s", why);
    sn_check_text (call, "company.name", c->name, 200, true);
    reg_check_ateco (call, "company.ateco", c->ateco, true);
    sn_check_text (call, "company.municipality", c->municipality, 100, false);
    reg_check_ambito (call, "company.ambito", c->ambito, false);
    reg_check_coords (call, "company.", c->latitude, c->longitude);
    if (c->employees > 1000000)
        sn_call_violation (call, "company.employees", "%u is not plausible", c->employees);
    if (c->disabled_employed > c->employees)
        sn_call_violation (call, "company.disabled_employed", "is above employees");
    c->quota = registry_law68_quota (c->employees);
    c->uncovered = c->disabled_employed >= c->quota ? 0 : c->quota - c->disabled_employed;
}

static int
s_company_write (sn_call_t *call, Snodo__Registry__Company *c, bool insert, ProtobufCMessage **output)
{
    if (!c) {
        sn_call_violation (call, "company", "is required");
        return sn_call_invalid (call);
    }
    if (insert) {
        char id [37];
        sn_new_uuid (id);
        sn_set_string (&c->id, id);
    }
    else
    if (!sn_is_uuid (c->id))
        sn_call_violation (call, "company.id", "is not a UUID");
    s_check_company (call, c);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char *data = reg_storage_json (&c->base, s_drop);
    char uncovered [16];
    snprintf (uncovered, sizeof uncovered, "%u", c->uncovered);
    const char *params [5] = {c->id, c->partita_iva, *c->ambito ? c->ambito : NULL, uncovered, data};
    PGresult *res = sn_call_query (call, insert ? "creating the company" : "updating the company", insert
        ? "INSERT INTO company (id, partita_iva, ambito, uncovered, data) VALUES ($1, $2, $3, $4, $5)"
        : "UPDATE company SET partita_iva = $2, ambito = $3, uncovered = $4, data = $5, "
          "updated_at = now () WHERE id = $1", 5, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    bool found = atoi (PQcmdTuples (res)) == 1;
    PQclear (res);
    if (!found)
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no company %s", c->id);
    return s_finish (call, "company", &snodo__registry__company__descriptor, c->id,
                     insert ? "registry.company.created" : "registry.company.updated", output);
}

static int
s_create_company (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_company_write (call, ((Snodo__Registry__CreateCompanyRequest *) input)->company, true, output);
}

static int
s_update_company (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_company_write (call, ((Snodo__Registry__UpdateCompanyRequest *) input)->company, false, output);
}

static int
s_get_company (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    *output = s_load (call, "company", &snodo__registry__company__descriptor,
                      ((const Snodo__Registry__GetRequest *) input)->id, false);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

//  Companies by uncovered quota first: whom to contact for placements.
static int
s_list_companies (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListCompaniesRequest *req = (const void *) input;
    const char *after;
    uint32_t limit = s_limit (call, req->page, &after);
    reg_check_ambito (call, "ambito", req->ambito, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [4] = {req->ambito, req->uncovered_only ? "t" : "f", after, limit_text};
    PGresult *res = sn_call_query (call, "listing companies",
        "SELECT " ORG_JSON ("t") ", t.id FROM company t WHERE ($1 = '' OR ambito = $1) "
        "AND (NOT $2 OR uncovered > 0) AND ($3::uuid IS NULL OR (uncovered, id) < "
        "((SELECT uncovered FROM company WHERE id = $3::uuid), $3::uuid)) "
        "ORDER BY uncovered DESC, id DESC LIMIT $4", 4, params);
    if (!res)
        return sn_call_code (call);
    *output = s_list_reply (call, res, &snodo__registry__list_companies_reply__descriptor,
                            &snodo__registry__company__descriptor, limit);
    PQclear (res);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

//  --- cooperatives ---------------------------------------------------------------

static int
s_create_cooperative (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__Cooperative *c = ((Snodo__Registry__CreateCooperativeRequest *) input)->cooperative;
    if (!c) {
        sn_call_violation (call, "cooperative", "is required");
        return sn_call_invalid (call);
    }
    char why [160];
    if (!sn_validate_partita_iva (c->partita_iva, why, sizeof why))
        sn_call_violation (call, "cooperative.partita_iva", "%s", why);
    sn_check_text (call, "cooperative.name", c->name, 200, true);
    reg_check_ateco (call, "cooperative.ateco", c->ateco, false);
    reg_check_ambito (call, "cooperative.ambito", c->ambito, false);
    reg_check_coords (call, "cooperative.", c->latitude, c->longitude);
    sn_check_text (call, "cooperative.placement_manager", c->placement_manager, 200, false);
    sn_member_info_t info;
    if (*c->member_id
    &&  (!sn_auth_lookup (registry_auth ((registry_t *) sn_call_state (call)), c->member_id, &info)
         || info.kind != SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA))
        sn_call_violation (call, "cooperative.member_id", "is not a member of kind COOPERATIVA");
    for (size_t i = 0; i < c->n_guide_workers; i++) {
        sn_check_text (call, "cooperative.guide_workers.surname", c->guide_workers [i]->surname, 100, true);
        char id [37];
        sn_new_uuid (id);
        sn_set_string (&c->guide_workers [i]->id, id);
    }
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char id [37];
    sn_new_uuid (id);
    sn_set_string (&c->id, id);
    char *data = reg_storage_json (&c->base, s_drop);
    const char *params [5] = {c->id, c->partita_iva, *c->ambito ? c->ambito : NULL,
                              *c->member_id ? c->member_id : NULL, data};
    PGresult *res = sn_call_query (call, "creating the cooperative",
        "INSERT INTO cooperative (id, partita_iva, ambito, member_id, data) VALUES ($1, $2, $3, $4, $5)",
        5, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    return s_finish (call, "cooperative", &snodo__registry__cooperative__descriptor, c->id,
                     "registry.cooperative.created", output);
}

static int
s_get_cooperative (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    *output = s_load (call, "cooperative", &snodo__registry__cooperative__descriptor,
                      ((const Snodo__Registry__GetRequest *) input)->id, false);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

static int
s_list_cooperatives (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListCooperativesRequest *req = (const void *) input;
    const char *after;
    uint32_t limit = s_limit (call, req->page, &after);
    reg_check_ambito (call, "ambito", req->ambito, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char limit_text [16];
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [3] = {req->ambito, after, limit_text};
    PGresult *res = sn_call_query (call, "listing cooperatives",
        "SELECT " ORG_JSON ("t") ", t.id FROM cooperative t WHERE ($1 = '' OR ambito = $1) "
        "AND ($2::uuid IS NULL OR id > $2::uuid) ORDER BY id LIMIT $3", 3, params);
    if (!res)
        return sn_call_code (call);
    *output = s_list_reply (call, res, &snodo__registry__list_cooperatives_reply__descriptor,
                            &snodo__registry__cooperative__descriptor, limit);
    PQclear (res);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

//  The cooperative itself, or the Province, names its guide workers.
static int
s_add_guide_worker (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__AddGuideWorkerRequest *req = (Snodo__Registry__AddGuideWorkerRequest *) input;
    if (!req->guide_worker)
        sn_call_violation (call, "guide_worker", "is required");
    else {
        sn_check_text (call, "guide_worker.surname", req->guide_worker->surname, 100, true);
        sn_check_text (call, "guide_worker.name", req->guide_worker->name, 100, true);
    }
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Registry__Cooperative *c = (Snodo__Registry__Cooperative *) s_load (
        call, "cooperative", &snodo__registry__cooperative__descriptor, req->cooperative_id, true);
    if (!c)
        return sn_call_code (call);
    int code;
    if (sn_call_member_kind (call) == SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA
    &&  !streq (c->member_id, sn_call_member_id (call)))
        code = sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                             "a cooperative names only its own guide workers");
    else {
        char id [37];
        sn_new_uuid (id);
        sn_set_string (&req->guide_worker->id, id);
        req->guide_worker->active = true;
        c->guide_workers = (Snodo__Registry__GuideWorker **) realloc (
            c->guide_workers, (c->n_guide_workers + 1) * sizeof (void *));
        c->guide_workers [c->n_guide_workers++] = req->guide_worker;
        req->guide_worker = NULL;       //  moved into c
        char *data = reg_storage_json (&c->base, s_drop);
        const char *params [2] = {c->id, data};
        PGresult *res = sn_call_query (call, "updating the cooperative",
            "UPDATE cooperative SET data = $2, updated_at = now () WHERE id = $1", 2, params);
        free (data);
        if (res) {
            PQclear (res);
            code = s_finish (call, "cooperative", &snodo__registry__cooperative__descriptor, c->id,
                             "registry.cooperative.updated", output);
        }
        else
            code = sn_call_code (call);
    }
    protobuf_c_message_free_unpacked (&c->base, NULL);
    return code;
}

//  --- job posts ----------------------------------------------------------------------

//  The employer: a company or a cooperative. Sets *member_id to the member
//  that acts for it, if any ("" when none). Returns 0, or -1 if unknown.
static int
s_employer (sn_call_t *call, const char *id, char *member_id, size_t size)
{
    const char *params [1] = {id};
    PGresult *res = sn_call_query (call, "reading the employer",
        "SELECT coalesce (data->>'memberId', '') FROM company WHERE id = $1::uuid "
        "UNION ALL SELECT coalesce (member_id, '') FROM cooperative WHERE id = $1::uuid", 1, params);
    if (!res)
        return -1;
    int rc = PQntuples (res) > 0 ? 0 : -1;
    if (rc == 0)
        snprintf (member_id, size, "%s", PQgetvalue (res, 0, 0));
    PQclear (res);
    return rc;
}

//  An update keeps the places filled as the hires counted them (RecordOutcome),
//  whatever the post read before a hire says: the row is locked, its count
//  kept; places below it are refused. Returns 0, or -1 with the call failed.
static int
s_keep_places_filled (sn_call_t *call, Snodo__Registry__JobPost *p)
{
    const char *params [1] = {p->id};
    PGresult *res = sn_call_query (call, "reading the places filled",
        "SELECT coalesce ((data->>'placesFilled')::int, 0) FROM job_post WHERE id = $1 FOR UPDATE", 1, params);
    if (!res)
        return -1;
    if (PQntuples (res) == 1) {
        uint32_t filled = (uint32_t) atoi (PQgetvalue (res, 0, 0));
        p->places_filled = filled;
        if (p->places < filled) {
            PQclear (res);
            sn_call_violation (call, "post.places", "%u is below the places already filled (%u)", p->places, filled);
            sn_call_invalid (call);
            return -1;
        }
    }
    PQclear (res);
    return 0;
}

static int
s_post_write (sn_call_t *call, Snodo__Registry__JobPost *p, bool insert, ProtobufCMessage **output)
{
    if (!p) {
        sn_call_violation (call, "post", "is required");
        return sn_call_invalid (call);
    }
    if (!insert && !sn_is_uuid (p->id))
        sn_call_violation (call, "post.id", "is not a UUID");
    char employer_member [64] = "";
    if (!sn_is_uuid (p->employer_id))
        sn_call_violation (call, "post.employer_id", "is not a UUID");
    else
    if (s_employer (call, p->employer_id, employer_member, sizeof employer_member)) {
        if (sn_call_code (call) != SNODO__CODE__OK)
            return sn_call_code (call);
        sn_call_violation (call, "post.employer_id", "no company or cooperative %s", p->employer_id);
    }
    sn_check_text (call, "post.title", p->title, 200, true);
    if (p->weekly_hours == 0 || p->weekly_hours > 48)
        sn_call_violation (call, "post.weekly_hours", "must be 1-48, got %u", p->weekly_hours);
    if (p->places == 0 || p->places > 1000)
        sn_call_violation (call, "post.places", "must be 1-1000, got %u", p->places);
    if (p->places_filled > p->places)
        sn_call_violation (call, "post.places_filled", "is above places");
    reg_check_profile (call, "post.requirements", p->requirements, false);
    reg_check_ateco (call, "post.ateco", p->ateco, false);
    reg_check_ambito (call, "post.ambito", p->ambito, false);
    reg_check_coords (call, "post.", p->latitude, p->longitude);
    sn_check_enum (call, "post.status", &snodo__registry__post_status__descriptor, p->status, false);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    int kind = sn_call_member_kind (call);
    if ((kind == SNODO__MEMBER_KIND__MEMBER_KIND_AZIENDA
         || kind == SNODO__MEMBER_KIND__MEMBER_KIND_COOPERATIVA)
    &&  !streq (employer_member, sn_call_member_id (call)))
        return sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED, "an employer posts only its own jobs");
    if (p->status == SNODO__REGISTRY__POST_STATUS__POST_STATUS_UNSPECIFIED)
        p->status = SNODO__REGISTRY__POST_STATUS__POST_STATUS_OPEN;
    if (!insert && s_keep_places_filled (call, p))
        return sn_call_code (call);
    if (insert) {
        char id [37];
        sn_new_uuid (id);
        sn_set_string (&p->id, id);
    }
    char *data = reg_storage_json (&p->base, s_drop);
    char status [8];
    snprintf (status, sizeof status, "%d", p->status);
    const char *params [5] = {p->id, p->employer_id, *p->ambito ? p->ambito : NULL, status, data};
    PGresult *res = sn_call_query (call, insert ? "creating the job post" : "updating the job post", insert
        ? "INSERT INTO job_post (id, employer_id, ambito, status, data) VALUES ($1, $2, $3, $4, $5)"
        : "UPDATE job_post SET employer_id = $2, ambito = $3, status = $4, data = $5, "
          "updated_at = now () WHERE id = $1", 5, params);
    free (data);
    if (!res)
        return sn_call_code (call);
    bool found = atoi (PQcmdTuples (res)) == 1;
    PQclear (res);
    if (!found)
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no job post %s", p->id);
    return s_finish (call, "job_post", &snodo__registry__job_post__descriptor, p->id,
                     insert ? "registry.post.created" : "registry.post.updated", output);
}

static int
s_create_job_post (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_post_write (call, ((Snodo__Registry__CreateJobPostRequest *) input)->post, true, output);
}

static int
s_update_job_post (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_post_write (call, ((Snodo__Registry__UpdateJobPostRequest *) input)->post, false, output);
}

static int
s_get_job_post (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    *output = s_load (call, "job_post", &snodo__registry__job_post__descriptor,
                      ((const Snodo__Registry__GetRequest *) input)->id, false);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

static int
s_list_job_posts (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListJobPostsRequest *req = (const void *) input;
    const char *after;
    uint32_t limit = s_limit (call, req->page, &after);
    reg_check_ambito (call, "ambito", req->ambito, false);
    sn_check_enum (call, "status", &snodo__registry__post_status__descriptor, req->status, false);
    if (*req->employer_id && !sn_is_uuid (req->employer_id))
        sn_call_violation (call, "employer_id", "is not a UUID");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char limit_text [16], status [8];
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    snprintf (status, sizeof status, "%d", req->status);
    const char *params [5] = {*req->employer_id ? req->employer_id : NULL, req->ambito, status, after,
                              limit_text};
    PGresult *res = sn_call_query (call, "listing job posts",
        "SELECT " ORG_JSON ("t") ", t.id FROM job_post t WHERE ($1::uuid IS NULL OR employer_id = $1::uuid) "
        "AND ($2 = '' OR ambito = $2) AND ($3 = 0 OR status = $3) "
        "AND ($4::uuid IS NULL OR id > $4::uuid) ORDER BY id LIMIT $5", 5, params);
    if (!res)
        return sn_call_code (call);
    *output = s_list_reply (call, res, &snodo__registry__list_job_posts_reply__descriptor,
                            &snodo__registry__job_post__descriptor, limit);
    PQclear (res);
    return *output ? SNODO__CODE__OK : sn_call_code (call);
}

#define POST_KINDS (ORG_KINDS | SN_KIND (AZIENDA) | SN_KIND (COOPERATIVA))

const sn_method_t registry_org_methods [] = {
    SN_METHOD (CreateCompany, s_create_company, ORG_KINDS, SN_WRITE),
    SN_METHOD (GetCompany, s_get_company, SN_ANY_KIND, 0),
    SN_METHOD (ListCompanies, s_list_companies, SN_ANY_KIND, 0),
    SN_METHOD (UpdateCompany, s_update_company, ORG_KINDS, SN_WRITE),
    SN_METHOD (CreateCooperative, s_create_cooperative, ORG_KINDS, SN_WRITE),
    SN_METHOD (GetCooperative, s_get_cooperative, SN_ANY_KIND, 0),
    SN_METHOD (ListCooperatives, s_list_cooperatives, SN_ANY_KIND, 0),
    SN_METHOD (AddGuideWorker, s_add_guide_worker, ORG_KINDS | SN_KIND (COOPERATIVA), SN_WRITE),
    SN_METHOD (CreateJobPost, s_create_job_post, POST_KINDS, SN_WRITE),
    SN_METHOD (GetJobPost, s_get_job_post, SN_ANY_KIND, 0),
    SN_METHOD (ListJobPosts, s_list_job_posts, SN_ANY_KIND, 0),
    SN_METHOD (UpdateJobPost, s_update_job_post, POST_KINDS, SN_WRITE),
    SN_METHODS_END
};

//  --- shared with the other record kinds (registry.h) ------------------------

ProtobufCMessage *
reg_list_reply (sn_call_t *call, PGresult *res, const ProtobufCMessageDescriptor *reply_desc,
                const ProtobufCMessageDescriptor *item_desc, uint32_t limit)
{
    return s_list_reply (call, res, reply_desc, item_desc, limit);
}

uint32_t
reg_page_limit (sn_call_t *call, const Snodo__Registry__Page *page, const char **after)
{
    return s_limit (call, page, after);
}
