/*  Persons: identity, categories, commission outcome, referring service,
    consents, ability profile, constraints. Person data is seen only by the
    referring service, the person's team members, or member kinds the person
    consented to for the request's purpose; every access is audited. */
#include "registry.h"
#include <string.h>

//  The person-data rule of DESIGN.md, for a person row p: the caller ($2) is
//  the referring service, the member that referred the person for it (the
//  bridge), a network service (kind 11), in one of the person's teams, or the
//  person consented for this purpose ($3) to the caller's kind ($4).
#define MAY_SEE \
    "(p.referring_member_id = $2 OR p.referred_via = $2 OR $4 = 11 " \
    " OR EXISTS (SELECT 1 FROM team t WHERE t.person_id = p.id AND t.member_id = $2) " \
    " OR EXISTS (SELECT 1 FROM consent c WHERE c.person_id = p.id AND c.purpose = $3 " \
    "            AND c.member_kind = $4 AND c.revoked_at IS NULL))"

//  A person row: its stored JSON, and beside it the fields the columns and the
//  consent table keep, spliced in by s_person_json. (Joining them into one
//  jsonb in the database, data || jsonb_build_object (...), made PostgreSQL
//  take the stored document apart and write it again for every read: the
//  query cost twice a plain read of the row.)
#define PERSON_COLUMNS \
    "p.data::text, " MAY_SEE ", p.id, p.version, ms (p.created_at), ms (p.updated_at), " \
    "(SELECT jsonb_agg (jsonb_build_object ('purpose', c.purpose, " \
    "   'memberKind', c.member_kind, 'grantedAt', ms (c.granted_at), " \
    "   'revokedAt', coalesce (ms (c.revoked_at), 0), 'recordedBy', c.recorded_by) " \
    "   ORDER BY c.purpose, c.member_kind)::text FROM consent c WHERE c.person_id = p.id)"

#define PERSON_SELECT "SELECT " PERSON_COLUMNS " FROM person p "

//  Keys the columns keep (or the consent table).
static const char *const s_person_drop [] = {"id", "version", "createdAt", "updatedAt",
                                             "consents", NULL};

//  The bridge creates, reads and updates persons and records consents, only
//  for the persons it referred (docs/bridge.md).
#define BRIDGE_KINDS    (REGISTRY_REFERRING_KINDS | SN_KIND (BRIDGE))

static bool
s_may_refer_for_others (sn_call_t *call)
{
    int kind = sn_call_member_kind (call);
    return kind == SNODO__MEMBER_KIND__MEMBER_KIND_PROVINCIA
        || kind == SNODO__MEMBER_KIND__MEMBER_KIND_CPI;
}

//  Validates a person's constraints; prefix is their path ("constraints.").
static void
s_check_constraints (sn_call_t *call, const char *prefix, const Snodo__Registry__Constraints *c)
{
    char field [96];
#define FIELD(name) (snprintf (field, sizeof field, "%s" name, prefix), field)
    if (c->max_weekly_hours > 48)
        sn_call_violation (call, FIELD ("max_weekly_hours"), "%u is above 48", c->max_weekly_hours);
    if (c->min_weekly_hours > 48)
        sn_call_violation (call, FIELD ("min_weekly_hours"), "%u is above 48", c->min_weekly_hours);
    else
    if (c->max_weekly_hours && c->min_weekly_hours > c->max_weekly_hours)
        sn_call_violation (call, FIELD ("min_weekly_hours"), "is above max_weekly_hours");
    if (c->max_commute_km > 500)
        sn_call_violation (call, FIELD ("max_commute_km"), "%u is above 500", c->max_commute_km);
    for (size_t i = 0; i < c->n_preferred_sectors; i++)
        reg_check_ateco (call, FIELD ("preferred_sectors"), c->preferred_sectors [i], true);
    for (size_t i = 0; i < c->n_excluded_sectors; i++)
        reg_check_ateco (call, FIELD ("excluded_sectors"), c->excluded_sectors [i], true);
#undef FIELD
}

//  The sets of a person's constraints, each sector once.
static void
s_constraint_sets (Snodo__Registry__Constraints *c)
{
    sn_set_texts (c->preferred_sectors, &c->n_preferred_sectors);
    sn_set_texts (c->excluded_sectors, &c->n_excluded_sectors);
}

//  Validates a person; fills birth date and sex from the codice fiscale.
static void
s_check_person (sn_call_t *call, Snodo__Registry__Person *p)
{
    char why [160];
    if (!p->codice_fiscale || !*p->codice_fiscale)
        sn_call_violation (call, "person.codice_fiscale", "is required");
    else
    if (!sn_validate_codice_fiscale (p->codice_fiscale, why, sizeof why))
        sn_call_violation (call, "person.codice_fiscale", "%s", why);
    else
    if (strlen (p->codice_fiscale) == 16) {
        int y, m, d;
        char sex;
        if (sn_codice_fiscale_birth (p->codice_fiscale, 2026, &y, &m, &d, &sex) == 0) {
            char date [16];
            snprintf (date, sizeof date, "%04d-%02d-%02d", y, m, d);
            if (!*p->birth_date)
                sn_set_string (&p->birth_date, date);
            else
            if (strcmp (p->birth_date + 2, date + 2) != 0)  //  the century is not in the code
                sn_call_violation (call, "person.birth_date",
                                   "%.10s does not match the codice fiscale (%s)", p->birth_date, date);
            int code_sex = sex == 'F' ? SNODO__REGISTRY__SEX__SEX_F : SNODO__REGISTRY__SEX__SEX_M;
            if (p->sex == SNODO__REGISTRY__SEX__SEX_UNSPECIFIED)
                p->sex = (Snodo__Registry__Sex) code_sex;
            else
            if ((int) p->sex != code_sex)
                sn_call_violation (call, "person.sex", "does not match the codice fiscale");
        }
    }
    sn_check_text (call, "person.surname", p->surname, 100, true);
    sn_check_text (call, "person.name", p->name, 100, true);
    sn_check_date (call, "person.birth_date", p->birth_date, false);
    sn_check_enum (call, "person.sex", &snodo__registry__sex__descriptor, p->sex, false);
    sn_check_text (call, "person.municipality", p->municipality, 100, false);
    sn_check_text (call, "person.address", p->address, 200, false);
    sn_check_text (call, "person.phone", p->phone, 40, false);
    sn_check_text (call, "person.email", p->email, 200, false);
    if (*p->email && !strchr (p->email, '@'))
        sn_call_violation (call, "person.email", "\"%.60s\" is not an e-mail address", p->email);
    reg_check_ambito (call, "person.ambito", p->ambito, false);
    reg_check_coords (call, "person.", p->latitude, p->longitude);
    //  the categories are a set: each kept once, in the order given
    size_t kept = 0;
    for (size_t i = 0; i < p->n_categories; i++) {
        char field [48];
        snprintf (field, sizeof field, "person.categories[%zu]", i);
        sn_check_enum (call, field, &snodo__registry__category__descriptor, p->categories [i], true);
        size_t k = 0;
        while (k < kept && p->categories [k] != p->categories [i])
            k++;
        if (k == kept)
            p->categories [kept++] = p->categories [i];
    }
    p->n_categories = kept;
    if (p->invalidity_percent > 100)
        sn_call_violation (call, "person.invalidity_percent", "%u is above 100", p->invalidity_percent);
    sn_check_enum (call, "person.work_capacity", &snodo__registry__work_capacity__descriptor,
                    p->work_capacity, false);
    sn_check_date (call, "person.commission_date", p->commission_date, false);
    sn_check_text (call, "person.commission_measure", p->commission_measure, 1000, false);
    if (p->constraints) {
        s_check_constraints (call, "person.constraints.", p->constraints);
        s_constraint_sets (p->constraints);
    }
    if (p->profile) {
        reg_check_profile (call, "person.profile.scores", p->profile->scores, false);
        sn_check_date (call, "person.profile.assessed_on", p->profile->assessed_on, false);
    }
}

//  The JSON of snodo.registry.Person from a row of PERSON_COLUMNS: the stored
//  object with id, version, times and consents added. Caller frees.
static char *
s_person_json (const PGresult *res)
{
    const char *data = PQgetvalue (res, 0, 0);
    const char *consents = PQgetisnull (res, 0, 6) ? "[]" : PQgetvalue (res, 0, 6);
    size_t len = strlen (data);
    while (len > 0 && data [len - 1] != '}')
        len--;                      //  the stored object's closing brace
    bool empty = true;              //  "{}" or "{ }": nothing before the brace
    for (size_t i = 1; empty && len > 0 && i + 1 < len; i++)
        empty = data [i] == ' ';
    if (len == 0 || data [0] != '{')
        return strdup (data);       //  not an object: the decoder says so
    return zsys_sprintf ("%.*s%s\"id\": \"%s\", \"version\": %s, \"createdAt\": %s, "
                         "\"updatedAt\": %s, \"consents\": %s}",
                         (int) (len - 1), data, empty ? "" : ", ", PQgetvalue (res, 0, 2),
                         PQgetvalue (res, 0, 3), PQgetvalue (res, 0, 4), PQgetvalue (res, 0, 5), consents);
}

//  Reads a person the caller may see. On success returns it (audited); NULL
//  with NOT_FOUND or PERMISSION_DENIED (audited too) otherwise.
static Snodo__Registry__Person *
s_load (sn_call_t *call, const char *where, const char *key, bool for_update, bool check)
{
    char purpose [8], kind [8];
    snprintf (purpose, sizeof purpose, "%d", sn_call_purpose_code (call));
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    const char *params [4] = {key, sn_call_member_id (call), purpose, kind};
    char sql [2048];
    snprintf (sql, sizeof sql, PERSON_SELECT "WHERE %s%s", where, for_update ? " FOR UPDATE OF p" : "");
    PGresult *res = sn_call_query (call, "reading the person", sql, 4, params);
    if (!res)
        return NULL;
    Snodo__Registry__Person *person = NULL;
    if (PQntuples (res) == 0)
        sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such person");
    else {
        sn_call_audit (call, PQgetvalue (res, 0, 2));
        if (check && PQgetvalue (res, 0, 1) [0] != 't')
            sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                          "member %s has no relationship with this person and no consent "
                          "for the purpose \"%s\"", sn_call_member_id (call), sn_call_purpose (call));
        else {
            char *json = s_person_json (res);
            person = (Snodo__Registry__Person *) reg_message_from_json (
                call, &snodo__registry__person__descriptor, json);
            free (json);
        }
    }
    PQclear (res);
    return person;
}

static Snodo__Registry__Person *
s_load_id (sn_call_t *call, const char *field, const char *id, bool for_update)
{
    if (!sn_is_uuid (id)) {
        sn_call_violation (call, field, "\"%.40s\" is not a UUID", id);
        sn_call_invalid (call);
        return NULL;
    }
    return s_load (call, "p.id = $1", id, for_update, true);
}

//  A profile is assessed by the member that records it, or by a member of
//  the person's team (équipe): the referring service, or a member in the
//  team of one of its pathways; never any other. person_id NULL: a person
//  not created yet (no team): the caller or the referring service. Records
//  a violation of field otherwise. Returns -1 when the team could not be
//  read (status set), else 0.
static int
s_check_assessor (sn_call_t *call, const char *field, const Snodo__Registry__Person *p,
                  const char *person_id)
{
    const char *by = p->profile ? p->profile->assessed_by : "";
    if (!*by || streq (by, sn_call_member_id (call)) || streq (by, p->referring_member_id))
        return 0;
    bool in_team = false;
    if (person_id) {
        const char *params [2] = {person_id, by};
        PGresult *res = sn_call_query (call, "reading the team",
            "SELECT 1 FROM team WHERE person_id = $1 AND member_id = $2", 2, params);
        if (!res)
            return -1;
        in_team = PQntuples (res) > 0;
        PQclear (res);
    }
    if (!in_team)
        sn_call_violation (call, field, "\"%.64s\" is neither the member recording the profile (%s) nor a "
                           "member of the person's team: a profile is assessed by one of them",
                           by, sn_call_member_id (call));
    return 0;
}

static char *
s_categories_array (const Snodo__Registry__Person *p)
{
    char *text = (char *) malloc (p->n_categories * 12 + 3);
    char *out = text;
    *out++ = '{';
    for (size_t i = 0; i < p->n_categories; i++)
        out += sprintf (out, "%s%d", i ? "," : "", p->categories [i]);
    *out++ = '}';
    *out = 0;
    return text;
}

char *
reg_person_storage_json (const Snodo__Registry__Person *p)
{
    return reg_storage_json (&p->base, s_person_drop);
}

char *
reg_person_categories (const Snodo__Registry__Person *p)
{
    return s_categories_array (p);
}

//  Inserts or updates the row, then reads it back, emits the event and sets
//  the output. Returns a code.
static int
s_save (sn_call_t *call, Snodo__Registry__Person *p, bool insert, const char *event,
        ProtobufCMessage **output)
{
    char *data = reg_storage_json (&p->base, s_person_drop);
    char *categories = s_categories_array (p);
    const char *params [7] = {p->id, p->codice_fiscale, *p->ambito ? p->ambito : NULL,
                              p->referring_member_id, categories, data,
                              *p->referred_via ? p->referred_via : NULL};
    int code = sn_call_write (call, insert ? "creating the person" : "updating the person",
        insert ? "INSERT INTO person (id, codice_fiscale, ambito, referring_member_id, categories, data, "
                 "referred_via) VALUES ($1, $2, $3, $4, $5, $6, $7)"
               : "UPDATE person SET codice_fiscale = $2, ambito = $3, referring_member_id = $4, "
                 "categories = $5, data = $6, referred_via = $7, version = version + 1, "
                 "updated_at = now () WHERE id = $1",
        7, params);
    free (data);
    free (categories);
    if (code != SNODO__CODE__OK)
        return code;
    if (insert) {
        //  a new person is what was given, with what the row's defaults
        //  added (version 1, both stamps the transaction's now ()): no need
        //  to read it back, and the insert may leave with a later statement
        int64_t now = sn_call_now_ms (call);
        if (now < 0)
            return sn_call_code (call);
        p->version = 1;
        p->created_at = now;
        p->updated_at = now;
        sn_call_audit (call, p->id);
        if (sn_call_event (call, event, p->id, p->id, &p->base))
            return sn_call_code (call);
        *output = &p->base;
        return SNODO__CODE__OK;
    }
    Snodo__Registry__Person *stored = s_load (call, "p.id = $1", p->id, false, false);
    if (!stored)
        return sn_call_code (call);
    if (sn_call_event (call, event, stored->id, stored->id, &stored->base)) {
        protobuf_c_message_free_unpacked (&stored->base, NULL);
        return sn_call_code (call);
    }
    *output = &stored->base;
    return SNODO__CODE__OK;
}

//  The bridge refers a person for the SSC of the person's ambito: that SSC
//  is the referring service (it sees the person, and keeps the case), and
//  the bridge is recorded as the member that referred it (referred_via).
static void
s_check_bridge_referral (sn_call_t *call, Snodo__Registry__Person *p)
{
    sn_member_info_t info;
    if (!*p->ambito)
        sn_call_violation (call, "person.ambito", "is required when the bridge refers a person");
    else
    if (!*p->referring_member_id)
        sn_call_violation (call, "person.referring_member_id",
                           "is required: the SSC of ambito \"%.32s\" the bridge refers for", p->ambito);
    else
    if (!sn_auth_lookup (registry_auth ((registry_t *) sn_call_state (call)), p->referring_member_id, &info)
    ||  info.revoked)
        sn_call_violation (call, "person.referring_member_id", "unknown member \"%.64s\"",
                           p->referring_member_id);
    else
    if (info.kind != SNODO__MEMBER_KIND__MEMBER_KIND_SSC || !streq (info.ambito, p->ambito))
        sn_call_violation (call, "person.referring_member_id",
                           "the bridge refers only for the SSC of the person's ambito (\"%.32s\"): "
                           "%.64s is %s of ambito \"%.32s\"", p->ambito, p->referring_member_id,
                           sn_member_kind_name (info.kind), info.ambito);
    sn_set_string (&p->referred_via, sn_call_member_id (call));
}

void
reg_check_new_person (sn_call_t *call, Snodo__Registry__Person *p)
{
    if (*p->id)
        sn_call_violation (call, "person.id", "is given by the registry");
    if (p->n_consents)
        sn_call_violation (call, "person.consents", "are recorded with GrantConsent");
    if (*p->referred_via)
        sn_call_violation (call, "person.referred_via", "is set by the registry");
    if (sn_call_member_kind (call) == SNODO__MEMBER_KIND__MEMBER_KIND_BRIDGE)
        s_check_bridge_referral (call, p);
    else
    if (!*p->referring_member_id)
        sn_set_string (&p->referring_member_id, sn_call_member_id (call));
    else
    if (!streq (p->referring_member_id, sn_call_member_id (call)) && !s_may_refer_for_others (call))
        sn_call_violation (call, "person.referring_member_id",
                           "only the Province or a CPI may refer a person for another member");
    else {
        sn_member_info_t info;
        if (!sn_auth_lookup (registry_auth ((registry_t *) sn_call_state (call)), p->referring_member_id, &info)
        ||  info.revoked)
            sn_call_violation (call, "person.referring_member_id", "unknown member \"%.64s\"",
                               p->referring_member_id);
    }
    s_check_person (call, p);
    s_check_assessor (call, "person.profile.assessed_by", p, NULL);
}

static int
s_create_person (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__CreatePersonRequest *req = (Snodo__Registry__CreatePersonRequest *) input;
    Snodo__Registry__Person *p = req->person;
    if (!p) {
        sn_call_violation (call, "person", "is required");
        return sn_call_invalid (call);
    }
    reg_check_new_person (call, p);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char id [37];
    sn_new_uuid (id);
    sn_set_string (&p->id, id);
    int code = s_save (call, p, true, "registry.person.created", output);
    if (code == SNODO__CODE__OK)
        req->person = NULL;         //  moved into the output
    if (code == SNODO__CODE__ALREADY_EXISTS)
        sn_call_fail (call, code, "a person with codice fiscale %s is already registered",
                      p->codice_fiscale);
    return code;
}

static int
s_get_person (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__GetPersonRequest *req = (const void *) input;
    Snodo__Registry__Person *p = s_load_id (call, "id", req->id, false);
    if (!p)
        return sn_call_code (call);
    *output = &p->base;
    return SNODO__CODE__OK;
}

static int
s_find_person (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__FindPersonRequest *req = (const void *) input;
    char why [160];
    if (!sn_validate_codice_fiscale (req->codice_fiscale, why, sizeof why)) {
        sn_call_violation (call, "codice_fiscale", "%s", why);
        return sn_call_invalid (call);
    }
    Snodo__Registry__Person *p = s_load (call, "p.codice_fiscale = $1", req->codice_fiscale, false, true);
    if (!p)
        return sn_call_code (call);
    *output = &p->base;
    return SNODO__CODE__OK;
}

static int
s_list_persons (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    const Snodo__Registry__ListPersonsRequest *req = (const void *) input;
    reg_check_ambito (call, "ambito", req->ambito, false);
    sn_check_enum (call, "category", &snodo__registry__category__descriptor, req->category, false);
    uint32_t limit = req->page && req->page->limit ? req->page->limit : 50;
    if (limit > 1000)
        sn_call_violation (call, "page.limit", "%u is above 1000", limit);
    const char *after = req->page ? req->page->after : "";
    if (*after && !sn_is_uuid (after))
        sn_call_violation (call, "page.after", "is not a UUID");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char purpose [8], kind [8], category [8], limit_text [16];
    snprintf (purpose, sizeof purpose, "%d", sn_call_purpose_code (call));
    snprintf (kind, sizeof kind, "%d", sn_call_member_kind (call));
    snprintf (category, sizeof category, "%d", req->category);
    snprintf (limit_text, sizeof limit_text, "%u", limit);
    const char *params [8] = {sn_call_member_id (call), purpose, kind, req->ambito, category,
                              req->referring_member_id, *after ? after : NULL, limit_text};
    PGresult *res = sn_call_query (call, "listing persons",
        "SELECT p.id, p.codice_fiscale, p.data->>'surname', p.data->>'name', coalesce (p.ambito, ''), "
        "       p.referring_member_id, array_to_string (p.categories, ',') "
        "FROM person p WHERE (p.referring_member_id = $1 OR p.referred_via = $1 OR $3 = 11 "
        " OR EXISTS (SELECT 1 FROM team t WHERE t.person_id = p.id AND t.member_id = $1) "
        " OR EXISTS (SELECT 1 FROM consent c WHERE c.person_id = p.id AND c.purpose = $2 "
        "            AND c.member_kind = $3 AND c.revoked_at IS NULL)) "
        "AND ($4 = '' OR p.ambito = $4) AND ($5 = 0 OR $5 = ANY (p.categories)) "
        "AND ($6 = '' OR p.referring_member_id = $6) AND ($7::uuid IS NULL OR p.id > $7::uuid) "
        "ORDER BY p.id LIMIT $8", 8, params);
    if (!res)
        return sn_call_code (call);
    Snodo__Registry__ListPersonsReply *reply = (Snodo__Registry__ListPersonsReply *)
        sn_message_new (&snodo__registry__list_persons_reply__descriptor);
    int rows = PQntuples (res);
    reply->persons = (Snodo__Registry__PersonSummary **) calloc ((size_t) rows + 1, sizeof (void *));
    for (int i = 0; i < rows; i++) {
        Snodo__Registry__PersonSummary *s = (Snodo__Registry__PersonSummary *)
            sn_message_new (&snodo__registry__person_summary__descriptor);
        s->id = strdup (PQgetvalue (res, i, 0));
        s->codice_fiscale = strdup (PQgetvalue (res, i, 1));
        s->surname = strdup (PQgetvalue (res, i, 2));
        s->name = strdup (PQgetvalue (res, i, 3));
        s->ambito = strdup (PQgetvalue (res, i, 4));
        s->referring_member_id = strdup (PQgetvalue (res, i, 5));
        const char *cats = PQgetvalue (res, i, 6);
        size_t n = *cats ? 1 : 0;
        for (const char *c = cats; *c; c++)
            n += *c == ',';
        s->categories = n ? (Snodo__Registry__Category *) calloc (n, sizeof (int)) : NULL;
        for (const char *c = cats; *c && s->n_categories < n;) {
            s->categories [s->n_categories++] = (Snodo__Registry__Category) strtol (c, (char **) &c, 10);
            if (*c == ',')
                c++;
        }
        sn_call_audit (call, s->id);
        reply->persons [reply->n_persons++] = s;
    }
    if (rows == (int) limit && rows > 0)
        reply->next = strdup (PQgetvalue (res, rows - 1, 0));
    PQclear (res);
    *output = &reply->base;
    return SNODO__CODE__OK;
}

static int
s_update_person (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__UpdatePersonRequest *req = (Snodo__Registry__UpdatePersonRequest *) input;
    Snodo__Registry__Person *p = req->person;
    if (!p) {
        sn_call_violation (call, "person", "is required");
        return sn_call_invalid (call);
    }
    //  the request on its own first: bad input is refused without a look at
    //  the person
    s_check_person (call, p);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Registry__Person *old = s_load_id (call, "person.id", p->id, true);
    if (!old)
        return sn_call_code (call);
    uint32_t version = old->version;
    bool referrer_changes = !streq (old->referring_member_id, p->referring_member_id);
    bool assessor_changes = p->profile && !streq (p->profile->assessed_by,
                                                  old->profile ? old->profile->assessed_by : "");
    if (*p->referred_via && !streq (p->referred_via, old->referred_via))
        sn_call_violation (call, "person.referred_via", "is set by the registry");
    sn_set_string (&p->referred_via, old->referred_via);
    protobuf_c_message_free_unpacked (&old->base, NULL);
    if (req->expected_version && req->expected_version != version)
        return sn_call_fail (call, SNODO__CODE__ABORTED,
                             "the person changed meanwhile (version %u, expected %u): read it again",
                             version, req->expected_version);
    if (referrer_changes && !s_may_refer_for_others (call))
        sn_call_violation (call, "person.referring_member_id",
                           "only the Province or a CPI may move a person to another referring service");
    if (assessor_changes && s_check_assessor (call, "person.profile.assessed_by", p, p->id))
        return sn_call_code (call);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    return s_save (call, p, false, "registry.person.updated", output);
}

static int
s_set_profile (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__SetProfileRequest *req = (Snodo__Registry__SetProfileRequest *) input;
    if (!req->profile || !req->profile->scores)
        sn_call_violation (call, "profile.scores", "is required");
    else {
        reg_check_profile (call, "profile.scores", req->profile->scores, false);
        sn_check_date (call, "profile.assessed_on", req->profile->assessed_on, false);
    }
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    Snodo__Registry__Person *p = s_load_id (call, "person_id", req->person_id, true);
    if (!p)
        return sn_call_code (call);
    if (p->profile)
        protobuf_c_message_free_unpacked (&p->profile->base, NULL);
    p->profile = req->profile;
    req->profile = NULL;            //  moved: freed with p
    if (!*p->profile->assessed_by)
        sn_set_string (&p->profile->assessed_by, sn_call_member_id (call));
    int code = s_check_assessor (call, "profile.assessed_by", p, p->id) ? sn_call_code (call)
             : sn_call_violations (call) ? sn_call_invalid (call)
             : s_save (call, p, false, "registry.person.profile_set", output);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

static int
s_set_constraints (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    Snodo__Registry__SetConstraintsRequest *req = (Snodo__Registry__SetConstraintsRequest *) input;
    if (!req->constraints) {
        sn_call_violation (call, "constraints", "is required");
        return sn_call_invalid (call);
    }
    s_check_constraints (call, "constraints.", req->constraints);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    s_constraint_sets (req->constraints);
    Snodo__Registry__Person *p = s_load_id (call, "person_id", req->person_id, true);
    if (!p)
        return sn_call_code (call);
    if (p->constraints)
        protobuf_c_message_free_unpacked (&p->constraints->base, NULL);
    p->constraints = req->constraints;
    req->constraints = NULL;
    s_check_person (call, p);
    int code = sn_call_violations (call) ? sn_call_invalid (call)
             : s_save (call, p, false, "registry.person.constraints_set", output);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return code;
}

void
reg_check_consent (sn_call_t *call, const char *prefix, int purpose, int member_kind)
{
    char field [64];
    snprintf (field, sizeof field, "%spurpose", prefix);
    sn_check_enum (call, field, &snodo__purpose__descriptor, purpose, true);
    snprintf (field, sizeof field, "%smember_kind", prefix);
    sn_check_enum (call, field, &snodo__member_kind__descriptor, member_kind, true);
    //  the bridge sees the persons it referred, and no others: no consent widens that
    if (member_kind == SNODO__MEMBER_KIND__MEMBER_KIND_BRIDGE)
        sn_call_violation (call, field,
                           "a consent is not given to the bridge (it sees only the persons it referred)");
}

//  Consent is recorded by the service that has the person in charge (the
//  referring service or a team member), never on the strength of a consent.
static int
s_consent (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output, bool grant)
{
    const Snodo__Registry__ConsentRequest *req = (const void *) input;
    reg_check_consent (call, "", req->purpose, req->member_kind);
    if (!sn_is_uuid (req->person_id))
        sn_call_violation (call, "person_id", "is not a UUID");
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    char purpose [8], kind [8];
    snprintf (purpose, sizeof purpose, "%d", req->purpose);
    snprintf (kind, sizeof kind, "%d", req->member_kind);
    const char *params [4] = {req->person_id, sn_call_member_id (call), purpose, kind};
    PGresult *res = sn_call_query (call, "checking the relationship",
        "SELECT p.referring_member_id = $2 OR p.referred_via IS NOT DISTINCT FROM $2 "
        "OR EXISTS (SELECT 1 FROM team t WHERE t.person_id = p.id "
        "AND t.member_id = $2) FROM person p WHERE p.id = $1 FOR UPDATE", 2, params);
    if (!res)
        return sn_call_code (call);
    bool found = PQntuples (res) == 1, related = found && PQgetvalue (res, 0, 0) [0] == 't';
    PQclear (res);
    if (!found)
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such person");
    sn_call_audit (call, req->person_id);
    if (!related)
        return sn_call_fail (call, SNODO__CODE__PERMISSION_DENIED,
                             "consent is recorded by the referring service (or the member that "
                             "referred the person for it) or a team member");
    //  a consent already in force is left as it is: no new grant, no new
    //  version of the person, no event
    res = sn_call_query (call, "recording the consent", grant
        ? "INSERT INTO consent (person_id, purpose, member_kind, recorded_by) VALUES ($1, $3, $4, $2) "
          "ON CONFLICT (person_id, purpose, member_kind) DO UPDATE SET granted_at = now (), "
          "revoked_at = NULL, recorded_by = $2 WHERE consent.revoked_at IS NOT NULL"
        : "UPDATE consent SET revoked_at = now (), recorded_by = $2 WHERE person_id = $1 "
          "AND purpose = $3 AND member_kind = $4 AND revoked_at IS NULL", 4, params);
    if (!res)
        return sn_call_code (call);
    bool changed = atoi (PQcmdTuples (res)) > 0;
    PQclear (res);
    if (!grant && !changed)
        return sn_call_fail (call, SNODO__CODE__FAILED_PRECONDITION, "no consent in force for %s to %s",
                             protobuf_c_enum_descriptor_get_value (&snodo__purpose__descriptor,
                                                                   req->purpose)->name,
                             sn_member_kind_name (req->member_kind));
    if (!changed) {
        *output = (ProtobufCMessage *) s_load (call, "p.id = $1", req->person_id, false, false);
        return *output ? SNODO__CODE__OK : sn_call_code (call);
    }
    res = sn_call_query (call, "updating the person",
        "UPDATE person SET version = version + 1, updated_at = now () WHERE id = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    Snodo__Registry__Person *p = s_load (call, "p.id = $1", req->person_id, false, false);
    if (!p)
        return sn_call_code (call);
    if (sn_call_event (call, grant ? "registry.person.consent_granted" : "registry.person.consent_revoked",
                       p->id, p->id, &p->base)) {
        protobuf_c_message_free_unpacked (&p->base, NULL);
        return sn_call_code (call);
    }
    *output = &p->base;
    return SNODO__CODE__OK;
}

static int
s_grant_consent (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_consent (call, input, output, true);
}

static int
s_revoke_consent (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_consent (call, input, output, false);
}

//  Team relationships are written by the monitoring service (and operators).
static int
s_team (sn_call_t *call, const ProtobufCMessage *input, ProtobufCMessage **output, bool add)
{
    const Snodo__Registry__TeamRequest *req = (const void *) input;
    if (!sn_is_uuid (req->person_id))
        sn_call_violation (call, "person_id", "is not a UUID");
    sn_member_info_t info;
    if (!sn_auth_lookup (registry_auth ((registry_t *) sn_call_state (call)), req->member_id, &info))
        sn_call_violation (call, "member_id", "unknown member \"%.64s\"", req->member_id);
    if (sn_call_violations (call))
        return sn_call_invalid (call);
    const char *params [3] = {req->person_id, req->member_id, req->pathway_id};
    PGresult *res = sn_call_query (call, add ? "adding the team member" : "removing the team member", add
        ? "INSERT INTO team (person_id, member_id, pathway_id) SELECT $1, $2, $3 "
          "WHERE EXISTS (SELECT 1 FROM person WHERE id = $1) ON CONFLICT DO NOTHING"
        : "DELETE FROM team WHERE person_id = $1 AND member_id = $2 AND pathway_id = $3", 3, params);
    if (!res)
        return sn_call_code (call);
    PQclear (res);
    res = sn_call_query (call, "reading the person", "SELECT 1 FROM person WHERE id = $1", 1, params);
    if (!res)
        return sn_call_code (call);
    bool found = PQntuples (res) == 1;
    PQclear (res);
    if (!found)
        return sn_call_fail (call, SNODO__CODE__NOT_FOUND, "no such person");
    sn_call_audit (call, req->person_id);
    if (sn_call_event (call, add ? "registry.person.team_added" : "registry.person.team_removed",
                       req->person_id, req->person_id, input))
        return sn_call_code (call);
    *output = sn_message_new (&snodo__registry__team_reply__descriptor);
    return SNODO__CODE__OK;
}

static int
s_add_team_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_team (call, input, output, true);
}

static int
s_remove_team_member (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output)
{
    return s_team (call, input, output, false);
}

const sn_method_t registry_person_methods [] = {
    SN_METHOD (CreatePerson, s_create_person, BRIDGE_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (GetPerson, s_get_person, REGISTRY_READING_KINDS, SN_PERSONAL),
    SN_METHOD (FindPerson, s_find_person, REGISTRY_READING_KINDS, SN_PERSONAL),
    SN_METHOD (ListPersons, s_list_persons, REGISTRY_READING_KINDS, SN_PERSONAL),
    SN_METHOD (UpdatePerson, s_update_person, BRIDGE_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (SetProfile, s_set_profile, REGISTRY_REFERRING_KINDS | SN_KIND (COOPERATIVA), SN_WRITE | SN_PERSONAL),
    SN_METHOD (SetConstraints, s_set_constraints, REGISTRY_REFERRING_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (GrantConsent, s_grant_consent, BRIDGE_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (RevokeConsent, s_revoke_consent, BRIDGE_KINDS, SN_WRITE | SN_PERSONAL),
    SN_METHOD (AddTeamMember, s_add_team_member, SN_KIND (SERVICE) | SN_KIND (ADMIN), SN_WRITE | SN_PERSONAL),
    SN_METHOD (RemoveTeamMember, s_remove_team_member, SN_KIND (SERVICE) | SN_KIND (ADMIN), SN_WRITE | SN_PERSONAL),
    SN_METHODS_END
};

int
reg_person_may_see (sn_call_t *call, const char *field, const char *person_id)
{
    Snodo__Registry__Person *p = s_load_id (call, field, person_id, false);
    if (!p)
        return sn_call_code (call);
    protobuf_c_message_free_unpacked (&p->base, NULL);
    return SNODO__CODE__OK;
}

Snodo__Registry__Person *
reg_person_load (sn_call_t *call, const char *id, bool for_update)
{
    return s_load_id (call, "person_id", id, for_update);
}

int
reg_person_update (sn_call_t *call, Snodo__Registry__Person *p, const char *event, ProtobufCMessage **output)
{
    return s_save (call, p, false, event, output);
}
