/*  The registry: service table, state, shared checks. */
#include "registry.h"
#include "sn_log.h"
#include <pthread.h>
#include <string.h>

#define MAX_AMBITI 64

struct _registry_t {
    sn_auth_t *auth;                    //  members' keys, kept in step (borrowed)
    char *admin_id;                     //  the bootstrap operator, may be NULL
    char *admin_key;                    //  its public key
    char *own_key;                      //  the registry's own public key, may be NULL
    pthread_mutex_t lock;               //  guards ambiti
    char ambiti [MAX_AMBITI][32];       //  known ambito codes
    size_t n_ambiti;
    sn_method_t *methods;               //  every method, one table
};

registry_t *
registry_new (sn_auth_t *auth, const char *admin_id, const char *admin_key, const char *own_key)
{
    registry_t *self = (registry_t *) zmalloc (sizeof (registry_t));
    self->auth = auth;
    self->own_key = own_key ? strdup (own_key) : NULL;
    if (admin_id && admin_key) {
        self->admin_id = strdup (admin_id);
        self->admin_key = strdup (admin_key);
        if (sn_auth_put (auth, admin_id, SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN, NULL, admin_key, false))
            sn_error ("registry: the admin key is not a CURVE public key");
    }
    pthread_mutex_init (&self->lock, NULL);
    const sn_method_t *const tables [] = {registry_member_methods, registry_person_methods,
                                          registry_batch_methods, registry_org_methods,
                                          registry_contact_methods, registry_note_methods,
                                          registry_outcome_methods, NULL};
    self->methods = sn_methods_join (tables);
    return self;
}

void
registry_destroy (registry_t **self_p)
{
    registry_t *self = *self_p;
    if (!self)
        return;
    pthread_mutex_destroy (&self->lock);
    free (self->methods);
    free (self->admin_id);
    free (self->admin_key);
    free (self->own_key);
    free (self);
    *self_p = NULL;
}

sn_auth_t *
registry_auth (registry_t *self)
{
    return self->auth;
}

bool
registry_ambito_known (registry_t *self, const char *code)
{
    pthread_mutex_lock (&self->lock);
    bool known = false;
    for (size_t i = 0; i < self->n_ambiti && !known; i++)
        known = streq (self->ambiti [i], code);
    pthread_mutex_unlock (&self->lock);
    return known;
}

//  Records a member the registry's config names (the operator, the registry
//  itself) when it is new or its key changed, with its event, so that every
//  service's directory has it too. Workers connect at once: one at a time
//  (an advisory lock), each seeing what the one before recorded. Returns 0,
//  or -1 (logged).
static int
s_record_own (PGconn *db, const char *id, int kind, const char *name, const char *key)
{
    char kind_text [8];
    snprintf (kind_text, sizeof kind_text, "%d", kind);
    Snodo__Member member = SNODO__MEMBER__INIT;
    member.id = (char *) id;
    member.kind = kind;
    member.name = (char *) name;
    member.public_key = (char *) key;
    size_t size = snodo__member__get_packed_size (&member);
    uint8_t body [512];
    assert (size <= sizeof body);
    snodo__member__pack (&member, body);
    const char *params [5] = {id, kind_text, name, key, (const char *) body};
    int lengths [5] = {0, 0, 0, 0, (int) size};
    int formats [5] = {0, 0, 0, 0, 1};
    PGresult *res = PQexec (db, "BEGIN; SELECT pg_advisory_xact_lock (hashtext ('registry.own'))");
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? 0 : -1;
    PQclear (res);
    if (rc == 0) {
        res = PQexecParams (db,
            "WITH old AS (SELECT public_key FROM member WHERE id = $1), "
            "up AS (INSERT INTO member (id, kind, public_key, data) "
            "       SELECT $1, $2::integer, $4, jsonb_build_object ('id', $1::text, 'kind', $2::integer, "
            "              'name', $3::text, 'publicKey', $4::text) "
            "       WHERE NOT EXISTS (SELECT 1 FROM old WHERE public_key = $4) "
            "       ON CONFLICT (id) DO UPDATE SET public_key = $4, updated_at = now (), "
            "           data = member.data || jsonb_build_object ('publicKey', $4::text) "
            "       RETURNING id) "
            "INSERT INTO outbox (type, subject, body) "
            "SELECT CASE WHEN EXISTS (SELECT 1 FROM old) THEN 'registry.member.updated' "
            "            ELSE 'registry.member.registered' END, id, $5 FROM up",
            5, NULL, params, lengths, formats, 0);
        rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
        PQclear (res);
    }
    if (rc)
        sn_warning ("registry: could not record the member \"%s\": %s", id, PQerrorMessage (db));
    PQclear (PQexec (db, rc ? "ROLLBACK" : "COMMIT"));
    return rc;
}

//  Loads every member's key into the auth table, and the ambiti. Runs on every
//  worker (re)connection: cheap, and it heals a table that missed a change.
static int
s_on_connect (void *state, PGconn *db)
{
    registry_t *self = (registry_t *) state;
    if (self->admin_id)
        s_record_own (db, self->admin_id, SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN, "Snodo operator", self->admin_key);
    if (self->own_key && s_record_own (db, REGISTRY_MEMBER_ID, SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE,
                                       "Snodo registry", self->own_key))
        return -1;
    PGresult *res = PQexec (db, "SELECT id, kind, coalesce (ambito, ''), public_key, revoked FROM member");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    for (int i = 0; i < PQntuples (res); i++)
        sn_auth_put (self->auth, PQgetvalue (res, i, 0), atoi (PQgetvalue (res, i, 1)), PQgetvalue (res, i, 2),
                     PQgetvalue (res, i, 3), PQgetvalue (res, i, 4) [0] == 't');
    PQclear (res);
    res = PQexec (db, "SELECT code FROM ambito ORDER BY code");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    pthread_mutex_lock (&self->lock);
    self->n_ambiti = 0;
    for (int i = 0; i < PQntuples (res) && i < MAX_AMBITI; i++)
        snprintf (self->ambiti [self->n_ambiti++], 32, "%s", PQgetvalue (res, i, 0));
    pthread_mutex_unlock (&self->lock);
    PQclear (res);
    return 0;
}

//  A member changed: the auth table follows once the change is committed.
static void
s_after_commit (void *state, const char *method, const ProtobufCMessage *output)
{
    registry_t *self = (registry_t *) state;
    if (!output || output->descriptor != &snodo__member__descriptor)
        return;
    const Snodo__Member *member = (const Snodo__Member *) output;
    sn_auth_put (self->auth, member->id, member->kind, member->ambito, member->public_key, member->revoked);
}

//  Who may follow which events in their own streams (journal.Follow): what
//  they may read with the methods (persons: only those they may see).
static const sn_stream_t s_streams [] = {
    {"registry.person.", REGISTRY_READING_KINDS},
    {"registry.person_note.", REGISTRY_READING_KINDS},
    {"registry.member.", SN_ANY_KIND},
    {"registry.company.", SN_ANY_KIND},
    {"registry.cooperative.", SN_ANY_KIND},
    {"registry.post.", SN_ANY_KIND},
    {NULL, 0}
};

sn_service_t
registry_service (registry_t *self)
{
    sn_service_t service = {
        .name = "registry",
        .descriptor = &snodo__registry__registry__descriptor,
        .methods = self->methods,
        .migrations = registry_migrations,
        .state = self,
        .on_connect = s_on_connect,
        .after_commit = s_after_commit,
        .streams = s_streams,
    };
    return service;
}

//  --- shared checks ------------------------------------------------------------

void
reg_check_ambito (sn_call_t *call, const char *field, const char *ambito, bool required)
{
    if (!ambito || !*ambito) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    if (!registry_ambito_known ((registry_t *) sn_call_state (call), ambito))
        sn_call_violation (call, field, "unknown ambito \"%.32s\"", ambito);
}

void
reg_check_coords (sn_call_t *call, const char *prefix, double latitude, double longitude)
{
    char field [64];
    if (!(latitude >= -90 && latitude <= 90)) {
        snprintf (field, sizeof field, "%slatitude", prefix);
        sn_call_violation (call, field, "must be between -90 and 90");
    }
    if (!(longitude >= -180 && longitude <= 180)) {
        snprintf (field, sizeof field, "%slongitude", prefix);
        sn_call_violation (call, field, "must be between -180 and 180");
    }
}

void
reg_check_ateco (sn_call_t *call, const char *field, const char *code, bool required)
{
    if (!code || !*code) {
        if (required)
            sn_call_violation (call, field, "is required");
        return;
    }
    char why [128];
    if (!sn_validate_ateco (code, why, sizeof why))
        sn_call_violation (call, field, "%s", why);
}

char *
reg_storage_json (const ProtobufCMessage *msg, const char *const *drop)
{
    struct json_object *obj = sn_json_obj_from_message (msg, 0);
    if (!obj)
        return NULL;
    for (const char *const *key = drop; key && *key; key++)
        json_object_object_del (obj, *key);
    char *text = strdup (json_object_to_json_string_ext (obj, JSON_C_TO_STRING_PLAIN));
    json_object_put (obj);
    return text;
}

ProtobufCMessage *
reg_message_from_json (sn_call_t *call, const ProtobufCMessageDescriptor *desc, const char *json)
{
    char err [256];
    ProtobufCMessage *msg = sn_json_to_message (desc, json, err, sizeof err);
    if (!msg) {
        sn_error ("registry: stored %s could not be read: %s", desc->name, err);
        sn_call_fail (call, SNODO__CODE__INTERNAL, "a stored record could not be read");
    }
    return msg;
}

