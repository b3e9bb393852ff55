/*  sn_directory: the registry's members, followed by a service. */
#include "sn_directory.h"
#include "sn_log.h"
#include "directory.pb-c.h"
#include "sn_array.h"
#include <string.h>

struct _sn_directory_t {
    sn_auth_t *auth;                //  fed (borrowed)
    sn_apply_fn *access_apply;      //  who may see each person, may be NULL
    sn_apply_fn *apply;             //  the service's own, may be NULL
    sn_apply_page_fn *apply_page;   //  the same for a page, may be NULL
    void *arg;                      //  for apply and apply_page
    char *admin_id;                 //  the bootstrap operator, may be NULL
    char *admin_key;
    char *self_id;                  //  the service itself, may be NULL
    char *self_key;
    zactor_t *subscriber;           //  follows the registry
};

//  The members the service knows before the registry tells: the operator
//  and the service itself. What the directory table holds is loaded after
//  these, and wins.
static void
s_bootstrap (sn_directory_t *self)
{
    if (self->admin_id && self->admin_key
    &&  sn_auth_put (self->auth, self->admin_id, SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN, NULL,
                     self->admin_key, false))
        sn_error ("directory: the admin key is not a CURVE public key");
    if (self->self_id
    &&  sn_auth_put (self->auth, self->self_id, SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE, NULL,
                     self->self_key, false))
        sn_error ("directory: the service's own key is not a CURVE public key");
}

int
sn_directory_load (PGconn *db, sn_auth_t *auth)
{
    PGresult *res = PQexec (db, "SELECT id, kind, ambito, public_key, revoked FROM directory");
    if (PQresultStatus (res) != PGRES_TUPLES_OK) {
        PQclear (res);
        return -1;
    }
    int rows = PQntuples (res);
    for (int i = 0; i < rows; i++)
        if (sn_auth_put (auth, PQgetvalue (res, i, 0), atoi (PQgetvalue (res, i, 1)), PQgetvalue (res, i, 2),
                         PQgetvalue (res, i, 3), PQgetvalue (res, i, 4) [0] == 't'))
            sn_warning ("directory: member %s has a malformed key; left out", PQgetvalue (res, i, 0));
    PQclear (res);
    return rows;
}

//  A member's endpoints, replacing those it had. Returns 1, or -1.
static int
s_store_endpoints (PGconn *db, const Snodo__Member *member)
{
    sn_array_t services = {0}, requests = {0}, events = {0};
    for (size_t i = 0; i < member->n_endpoints; i++) {
        sn_array_text (&services, member->endpoints [i]->service);
        sn_array_text (&requests, member->endpoints [i]->request);
        sn_array_text (&events, member->endpoints [i]->events);
    }
    const char *params [4] = {member->id, sn_array_end (&services), sn_array_end (&requests),
                              sn_array_end (&events)};
    PGresult *res = PQexecParams (db,
        "WITH gone AS (DELETE FROM directory_endpoint WHERE member_id = $1 AND service <> ALL ($2::text [])) "
        "INSERT INTO directory_endpoint (member_id, service, request, events) "
        "SELECT DISTINCT ON (s) $1, s, r, e FROM unnest ($2::text [], $3::text [], $4::text []) AS u (s, r, e) "
        "ON CONFLICT (member_id, service) DO UPDATE SET request = excluded.request, events = excluded.events",
        4, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 1 : -1;
    PQclear (res);
    sn_array_free (&services);
    sn_array_free (&requests);
    sn_array_free (&events);
    return rc;
}

int
sn_directory_peer (PGconn *db, const char *service, sn_peer_t *peer)
{
    const char *params [1] = {service};
    PGresult *res = PQexecParams (db,
        "SELECT e.request, e.events, d.public_key FROM directory_endpoint e "
        "JOIN directory d ON d.id = e.member_id "
        "WHERE e.service = $1 AND NOT d.revoked ORDER BY d.updated_at DESC LIMIT 1",
        1, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_TUPLES_OK ? PQntuples (res) : -1;
    if (rc == 1) {
        memset (peer, 0, sizeof *peer);
        snprintf (peer->request, sizeof peer->request, "%s", PQgetvalue (res, 0, 0));
        snprintf (peer->events, sizeof peer->events, "%s", PQgetvalue (res, 0, 1));
        snprintf (peer->public_key, sizeof peer->public_key, "%s", PQgetvalue (res, 0, 2));
    }
    PQclear (res);
    return rc;
}

int
sn_directory_apply (PGconn *db, const Snodo__Event *event, sn_auth_t *auth)
{
    if (strncmp (event->type, "registry.member.", 16) != 0)
        return 0;
    Snodo__Member *member =
        snodo__member__unpack (NULL, event->body.len, event->body.data);
    if (!member || !*member->id) {
        sn_error ("directory: event %llu (%s) does not hold a member",
                    (unsigned long long) event->seq, event->type);
        if (member)
            snodo__member__free_unpacked (member, NULL);
        return -1;
    }
    char kind [16];
    snprintf (kind, sizeof kind, "%d", member->kind);
    const char *params [5] = {member->id, kind, member->ambito, member->public_key,
                              member->revoked ? "t" : "f"};
    PGresult *res = PQexecParams (db,
        "INSERT INTO directory (id, kind, ambito, public_key, revoked) VALUES ($1, $2, $3, $4, $5) "
        "ON CONFLICT (id) DO UPDATE SET kind = $2, ambito = $3, public_key = $4, revoked = $5, "
        "updated_at = now ()", 5, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 1 : -1;
    PQclear (res);
    if (rc == 1)
        rc = s_store_endpoints (db, member);
    if (rc < 0)
        sn_error ("directory: could not store member %s: %s", member->id, PQerrorMessage (db));
    //  ahead of the commit: if it fails, the same event comes again
    if (rc == 1
    &&  sn_auth_put (auth, member->id, member->kind, member->ambito, member->public_key, member->revoked))
        sn_warning ("directory: member %s has a malformed key; left out", member->id);
    snodo__member__free_unpacked (member, NULL);
    return rc;
}

static int
s_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    sn_directory_t *self = (sn_directory_t *) arg;
    int rc = sn_directory_apply (db, event, self->auth);
    if (rc < 0)
        return -1;
    if (rc == 0 && self->access_apply && self->access_apply (db, event, NULL))
        return -1;
    if (rc == 0 && self->apply)
        return self->apply (db, event, self->arg);
    return 0;
}

//  A page: the member events one by one, who may see each person from
//  each of the others (access_apply), and the others to the service's
//  apply_page (or apply, each) together.
static int
s_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    sn_directory_t *self = (sn_directory_t *) arg;
    Snodo__Event **others = (Snodo__Event **) calloc (n ? n : 1, sizeof (Snodo__Event *));
    assert (others);
    size_t kept = 0;
    int rc = 0;
    for (size_t i = 0; i < n && rc >= 0; i++) {
        rc = sn_directory_apply (db, events [i], self->auth);
        if (rc == 0 && self->access_apply && self->access_apply (db, events [i], NULL))
            rc = -1;
        if (rc == 0)
            others [kept++] = events [i];
    }
    if (rc >= 0 && self->apply_page && kept)
        rc = self->apply_page (db, others, kept, self->arg);
    for (size_t i = 0; rc >= 0 && !self->apply_page && self->apply && i < kept; i++)
        rc = self->apply (db, others [i], self->arg);
    free (others);
    return rc < 0 ? -1 : 0;
}

static int
s_on_connect (PGconn *db, void *arg)
{
    sn_directory_t *self = (sn_directory_t *) arg;
    s_bootstrap (self);
    return sn_directory_load (db, self->auth) < 0 ? -1 : 0;
}

sn_directory_t *
sn_directory_new (const sn_directory_config_t *config)
{
    if (!config || !config->registry_request || !config->registry_events || !config->registry_key
    ||  !config->cert || !config->conninfo || !config->schema || !config->auth)
        return NULL;
    sn_directory_t *self = (sn_directory_t *) zmalloc (sizeof (sn_directory_t));
    self->auth = config->auth;
    self->access_apply = config->access_apply;
    self->apply = config->apply;
    self->apply_page = config->apply_page;
    self->arg = config->arg;
    if (config->admin_id && config->admin_key) {
        self->admin_id = strdup (config->admin_id);
        self->admin_key = strdup (config->admin_key);
    }
    if (config->self_id) {
        self->self_id = strdup (config->self_id);
        self->self_key = strdup (zcert_public_txt (config->cert));
    }
    s_bootstrap (self);
    sn_subscriber_config_t sub = {
        .source = "registry",
        .events_endpoint = config->registry_events,
        .request_endpoint = config->registry_request,
        .server_key = config->registry_key,
        .cert = config->cert,
        .conninfo = config->conninfo,
        .schema = config->schema,
        .apply = s_apply,
        .apply_page = s_apply_page,
        .arg = self,
        .migrations = config->migrations,
        .on_connect = s_on_connect,
        //  the registry's members, persons and posts build on each other:
        //  only its seals may be passed (docs/operations.md, "Failed events")
        .pass_types = sn_subscriber_pass_seals,
        .metrics = config->metrics,
    };
    self->subscriber = sn_subscriber_new (&sub);
    if (!self->subscriber)
        sn_directory_destroy (&self);
    return self;
}

void
sn_directory_destroy (sn_directory_t **self_p)
{
    sn_directory_t *self = *self_p;
    if (!self)
        return;
    zactor_destroy (&self->subscriber);
    free (self->admin_id);
    free (self->admin_key);
    free (self->self_id);
    free (self->self_key);
    free (self);
    *self_p = NULL;
}

uint64_t
sn_directory_cursor (sn_directory_t *self)
{
    zstr_send (self->subscriber, "CURSOR");
    char *text = zstr_recv (self->subscriber);
    uint64_t cursor = text ? strtoull (text, NULL, 10) : 0;
    zstr_free (&text);
    return cursor;
}
