/*  sn_app: one start for every service. See sn_app.h. */
#include "sn_app.h"
#include "sn_log.h"
#include "sn_actor.h"
#include "sn_client.h"
#include "sn_directory.h"
#include "sn_metrics.h"
#include "directory.pb-c.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <systemd/sd-daemon.h>
#include <time.h>
#include <unistd.h>

#define MAX_FOLLOWERS 8

struct _sn_app_t {
    const sn_app_def_t *def;        //  the service's definition
    sigset_t signals;               //  SIGINT and SIGTERM, blocked in every thread
    bool stopping;                  //  a signal came
    zconfig_t *config;              //  the config, loaded
    const char *path;               //  its path
    sn_server_config_t settings;    //  the server's, from the service's section
    uint8_t audit_key [32];         //  settings.audit_key points here
    zcert_t *cert;                  //  the service's certificate
    sn_auth_t *auth;                //  the members the ZAP handler admits
    zactor_t *zap;                  //  the ZAP handler
    void *state;                    //  the service's own
    sn_directory_t *directory;      //  the registry's members, followed (not in the registry)
    zactor_t *server;               //  the server
    char *request;                  //  the endpoints as bound
    char *events;
    zactor_t *announcer;            //  tells the registry where the service listens
    zactor_t *followers [MAX_FOLLOWERS];    //  subscribers to other services' events
    size_t n_followers;
    sn_metrics_t *metrics;          //  counted by the server and the subscribers; served if configured
};

zconfig_t *sn_app_config (sn_app_t *app) { return app->config; }
const char *sn_app_config_path (sn_app_t *app) { return app->path; }
zcert_t *sn_app_cert (sn_app_t *app) { return app->cert; }
sn_auth_t *sn_app_auth (sn_app_t *app) { return app->auth; }
sn_metrics_t *sn_app_metrics (sn_app_t *app) { return app->metrics; }
const char *sn_app_conninfo (sn_app_t *app) { return app->settings.conninfo; }
const char *sn_app_request_endpoint (sn_app_t *app) { return app->request; }
const char *sn_app_events_endpoint (sn_app_t *app) { return app->events; }

//  --- systemd ------------------------------------------------------------------

//  Tells systemd how the service is ("READY=1", "STOPPING=1",
//  "STATUS=..."; sd_notify(3)) when it started the service as Type=notify,
//  which sets NOTIFY_SOCKET. Without NOTIFY_SOCKET (deploy/snodo up, the
//  tests) it does nothing. A lost message is not an error: systemd times
//  the start out and says so.
static void s_notify (const char *format, ...) __attribute__ ((format (printf, 1, 2)));

static void
s_notify (const char *format, ...)
{
    if (!getenv ("NOTIFY_SOCKET"))
        return;
    char state [512];
    va_list args;
    va_start (args, format);
    vsnprintf (state, sizeof state, format, args);
    va_end (args);
    sd_notify (0, state);
}

const char *
sn_app_setting (sn_app_t *app, const char *key, const char *def)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", app->def->name, key);
    return zconfig_get (app->config, path, def);
}

int
sn_app_setting_int (sn_app_t *app, const char *key, long def, long min, long max, long *value,
                    char *err, size_t errlen)
{
    char path [128];
    snprintf (path, sizeof path, "%s/%s", app->def->name, key);
    int bad = 0;
    *value = sn_config_int (app->config, path, def, min, max, &bad);
    if (bad) {
        snprintf (err, errlen, "%s must be a whole number from %ld to %ld", path, min, max);
        return -1;
    }
    return 0;
}

//  True when the config says where service is (its section has request).
static bool
s_config_knows (sn_app_t *app, const char *service)
{
    char path [128];
    snprintf (path, sizeof path, "%s/request", service);
    return zconfig_get (app->config, path, NULL) != NULL;
}

//  Where service is, as the stored directory says. Returns 1, 0 (not
//  known), or -1.
static int
s_directory_peer (sn_app_t *app, const char *service, sn_peer_t *peer)
{
    char err [256];
    PGconn *db = sn_store_connect (app->settings.conninfo, app->def->name, err, sizeof err);
    int rc = db ? sn_directory_peer (db, service, peer) : -1;
    PQfinish (db);
    return rc;
}

int
sn_app_peer (sn_app_t *app, const char *service, sn_peer_t *peer, char *err, size_t errlen)
{
    if (s_config_knows (app, service) || streq (service, "registry") || !app->def->follows_registry)
        return sn_config_peer (app->config, service, peer, err, errlen);
    //  the directory, once the registry has told (a signal ends the wait)
    for (int waited_s = 0; ; waited_s++) {
        int rc = s_directory_peer (app, service, peer);
        if (rc == 1)
            return 0;
        if (waited_s % 30 == 0) {
            sn_info ("%s: waiting for the directory to say where %s is%s", app->def->name, service,
                       rc < 0 ? " (the database did not answer)" : "");
            s_notify ("STATUS=waiting for the directory to say where %s is", service);
        }
        if (sn_app_wait (app, 1000)) {
            snprintf (err, errlen, "stopped while waiting for the directory to list %s", service);
            return -1;
        }
    }
}

int
sn_app_follow (sn_app_t *app, const char *source, const sn_subscriber_config_t *what)
{
    assert (app->n_followers < MAX_FOLLOWERS);
    sn_peer_t peer;
    char err [256];
    //  where the config does not say, the directory does, and says it again
    //  when the source moves
    bool from_config = s_config_knows (app, source) || !app->def->follows_registry;
    if (from_config && sn_config_peer (app->config, source, &peer, err, sizeof err)) {
        sn_warning ("%s: not following %s: %s", app->def->name, source, err);
        return -1;
    }
    sn_subscriber_config_t sub = {
        .source = source,
        .events_endpoint = from_config ? peer.events : NULL,
        .request_endpoint = from_config ? peer.request : NULL,
        .server_key = from_config ? peer.public_key : NULL,
        .resolve = from_config ? NULL : sn_directory_peer,
        .cert = app->cert,
        .conninfo = app->settings.conninfo,
        .schema = app->def->name,
        .apply = what->apply,
        .apply_page = what->apply_page,
        .begun = what->begun,
        .committed = what->committed,
        .arg = what->arg,
        .migrations = app->def->migrations,
        //  pathways, proposals and their figures build on each other: only
        //  the seals may be passed (docs/operations.md, "Failed events")
        .pass_types = sn_subscriber_pass_seals,
        .metrics = app->metrics,
    };
    zactor_t *follower = sn_subscriber_new (&sub);
    if (!follower) {
        sn_warning ("%s: could not follow %s", app->def->name, source);
        return -1;
    }
    app->followers [app->n_followers++] = follower;
    return 0;
}

bool
sn_app_wait (sn_app_t *app, int timeout_ms)
{
    while (!app->stopping) {
        int sig = -1;
        if (timeout_ms < 0) {
            int taken;
            if (sigwait (&app->signals, &taken) == 0)
                sig = taken;
        }
        else {
            struct timespec ts = {timeout_ms / 1000, (long) (timeout_ms % 1000) * 1000000L};
            sig = sigtimedwait (&app->signals, NULL, &ts);
            if (sig < 0 && errno == EAGAIN)
                return false;       //  the time is up
        }
        if (sig > 0)
            app->stopping = true;
    }
    return true;
}

//  --- the announcer -------------------------------------------------------------

//  What the announcer tells the registry, and how it reaches it.
typedef struct {
    const char *name;               //  the service
    sn_peer_t registry;
    zcert_t *cert;                  //  the service's (borrowed)
    char request [SN_ENDPOINT_MAX]; //  where clients reach the service
    char events [SN_ENDPOINT_MAX];
} s_announce_t;

//  Waits up to ms for the pipe. Returns true when the actor must end.
static bool
s_pipe_wait (zsock_t *pipe, int ms)
{
    zpoller_t *poller = zpoller_new (pipe, NULL);
    bool ended = zpoller_wait (poller, ms) == pipe ? sn_actor_ended (pipe) : zpoller_terminated (poller);
    zpoller_destroy (&poller);
    return ended;
}

//  A thread that tells the registry where the service listens
//  (registry.Announce), trying again every 2 s until the registry has
//  taken it or refused it for good.
static void
s_announcer_actor (zsock_t *pipe, void *args)
{
    s_announce_t *self = (s_announce_t *) args;
    zsock_signal (pipe, 0);
    sn_client_t *client = sn_client_new (self->registry.request, self->cert, self->registry.public_key);
    Snodo__Endpoint endpoint = SNODO__ENDPOINT__INIT;
    endpoint.service = (char *) self->name;
    endpoint.request = self->request;
    endpoint.events = self->events;
    Snodo__Endpoint *endpoints [1] = {&endpoint};
    Snodo__AnnounceRequest req = SNODO__ANNOUNCE_REQUEST__INIT;
    req.endpoints = endpoints;
    req.n_endpoints = 1;
    bool said = false, ended = false;
    for (bool done = !client; !done; ) {
        sn_client_set_deadline (client, 3000);
        sn_result_t result;
        ProtobufCMessage *member = NULL;
        int code = sn_client_call (client, "registry.Announce", "", &req.base, &snodo__member__descriptor,
                                   &member, &result);
        protobuf_c_message_free_unpacked (member, NULL);
        done = code == SNODO__CODE__OK || code == SNODO__CODE__INVALID_ARGUMENT
            || code == SNODO__CODE__PERMISSION_DENIED;
        if (code == SNODO__CODE__OK)
            sn_info ("%s: the directory lists it at %s (events %s)", self->name, self->request, self->events);
        else
        if (done)
            sn_error ("%s: the registry refused its endpoints: %s %s", self->name, sn_code_name (code),
                        result.message);
        else
        if (!said) {
            sn_info ("%s: the registry did not take its endpoints yet (%s); trying again every 2 s",
                       self->name, sn_code_name (code));
            said = true;
        }
        if (!done && (ended = s_pipe_wait (pipe, 2000)))
            break;
    }
    sn_client_destroy (&client);
    while (!ended)
        ended = sn_actor_ended (pipe);      //  until told to end
    free (self);
}

//  An endpoint as clients elsewhere reach it: the setting, or else the one
//  bound unless it is a wildcard. Returns 0, or -1 with err filled.
static int
s_public_endpoint (sn_app_t *app, const char *key, const char *bound, char *out, size_t size,
                   char *err, size_t errlen)
{
    const char *endpoint = sn_app_setting (app, key, NULL);
    if (!endpoint && bound && !strstr (bound, "://*") && !strstr (bound, "://0.0.0.0"))
        endpoint = bound;
    if (!endpoint || strlen (endpoint) >= size) {
        snprintf (err, errlen, "%s/%s is needed: the service listens on %s, which no client can "
                  "connect to", app->def->name, key, bound ? bound : "nothing");
        return -1;
    }
    snprintf (out, size, "%s", endpoint);
    return 0;
}

//  Starts telling the registry where the service listens. Returns 0, or -1
//  with err filled.
static int
s_announce (sn_app_t *app, char *err, size_t errlen)
{
    s_announce_t *announce = (s_announce_t *) zmalloc (sizeof (s_announce_t));
    announce->name = app->def->name;
    announce->cert = app->cert;
    if (s_public_endpoint (app, "public_request", app->request, announce->request, sizeof announce->request,
                           err, errlen)
    ||  s_public_endpoint (app, "public_events", app->events, announce->events, sizeof announce->events,
                           err, errlen)
    ||  sn_config_peer (app->config, "registry", &announce->registry, err, errlen)) {
        free (announce);
        return -1;
    }
    app->announcer = zactor_new (s_announcer_actor, announce);
    return 0;
}

//  Follows the registry's members (and its other events, for the service's
//  registry_apply). Returns 0 or -1.
static int
s_follow_registry (sn_app_t *app, char *err, size_t errlen)
{
    sn_peer_t registry;
    if (sn_app_peer (app, "registry", &registry, err, errlen))
        return -1;
    sn_directory_config_t follow = {
        .registry_request = registry.request,
        .registry_events = registry.events,
        .registry_key = registry.public_key,
        .cert = app->cert,
        .conninfo = app->settings.conninfo,
        .schema = app->def->name,
        .migrations = app->def->migrations,
        .auth = app->auth,
        .self_id = app->def->name,
        .admin_id = zconfig_get (app->config, "registry/admin/id", NULL),
        .admin_key = zconfig_get (app->config, "registry/admin/key", NULL),
        .access_apply = app->def->access_apply,
        .apply = app->def->registry_apply,
        .apply_page = app->def->registry_apply_page,
        .arg = app->state,
        .metrics = app->metrics,
    };
    app->directory = sn_directory_new (&follow);
    if (!app->directory) {
        snprintf (err, errlen, "could not follow the registry (see its section)");
        return -1;
    }
    return 0;
}

//  The members the service admits, into its ZAP table before it binds a
//  socket: a client connecting to a service that has just started would
//  otherwise be refused as a stranger. The registry reads its own member
//  table (its on_connect), every other service the directory it keeps.
//  Waits for the database (a signal ends the wait). Returns 0, or -1.
static int
s_load_members (sn_app_t *app, const sn_service_t *service, char *err, size_t errlen)
{
    const sn_app_def_t *def = app->def;
    while (true) {
        PGconn *db = sn_store_connect (app->settings.conninfo, def->name, err, errlen);
        int rc = db ? sn_store_migrate (db, def->name, def->migrations, err, errlen) : -1;
        if (rc == 0 && def->follows_registry)
            rc = sn_directory_load (db, app->auth) < 0 ? -1 : 0;
        else
        if (rc == 0 && service->on_connect)
            rc = service->on_connect (service->state, db);
        if (rc && db)
            snprintf (err, errlen, "could not read the members: %s", PQerrorMessage (db));
        PQfinish (db);
        if (rc == 0)
            return 0;
        sn_warning ("%s: %s; trying again", def->name, err);
        s_notify ("STATUS=waiting for the database: %s", err);
        if (sn_app_wait (app, 2000)) {
            snprintf (err, errlen, "stopped while waiting for the database");
            return -1;
        }
    }
}

//  The metrics endpoint, where "<name>/metrics" says ("127.0.0.1:9100";
//  absent: none). Returns 0, or -1 with err filled.
static int
s_serve_metrics (sn_app_t *app, char *err, size_t errlen)
{
    const char *listen = sn_app_setting (app, "metrics", NULL);
    if (!listen || !*listen)
        return 0;
    if (sn_metrics_serve (app->metrics, listen, err, errlen))
        return -1;
    sn_info ("%s: metrics on http://%s/metrics", app->def->name, listen);
    return 0;
}

//  "Today" is the operators' day: the default date of what a service
//  records, the future's limit, the day an overdue check runs for, the log's
//  times, all in "<name>/time_zone" (default Europe/Rome), set for the
//  process before its first thread (setenv is not safe beside others).
//  Returns 0, or -1 with err filled when the zone is not one of this host's.
static int
s_time_zone (sn_app_t *app, char *err, size_t errlen)
{
    const char *zone = sn_app_setting (app, "time_zone", "Europe/Rome");
    char path [300];
    snprintf (path, sizeof path, "/usr/share/zoneinfo/%s", zone);
    if (!*zone || *zone == '/' || strstr (zone, "..") || access (path, R_OK)) {
        snprintf (err, errlen, "%s/time_zone: \"%.64s\" is not a known time zone (as in /usr/share/zoneinfo: "
                  "Europe/Rome)", app->def->name, zone);
        return -1;
    }
    setenv ("TZ", zone, 1);
    tzset ();
    return 0;
}

//  Everything up to a serving server. Returns 0, or -1 with err filled.
static int
s_app_start (sn_app_t *app, char *err, size_t errlen)
{
    const sn_app_def_t *def = app->def;
    if (s_time_zone (app, err, errlen))
        return -1;
    if (sn_config_service (app->config, def->name, &app->settings, &app->cert, app->audit_key, err, errlen))
        return -1;
    app->auth = sn_auth_new ();
    app->zap = zactor_new (sn_auth_zap_actor, app->auth);
    app->settings.auth = app->auth;
    app->metrics = sn_metrics_new (def->name, app->settings.conninfo);
    app->settings.metrics = app->metrics;
    app->state = def->create (app, err, errlen);
    if (!app->state)
        return -1;
    if (def->follows_registry && s_follow_registry (app, err, errlen))
        return -1;
    sn_service_t service = def->service (app->state);
    if (s_load_members (app, &service, err, errlen))
        return -1;
    app->server = sn_server_new (&app->settings, &service);
    if (!app->server) {
        snprintf (err, errlen, "the server did not start (see the log)");
        return -1;
    }
    sn_server_endpoints (app->server, &app->request, &app->events);
    if (s_serve_metrics (app, err, errlen))
        return -1;
    if (s_announce (app, err, errlen))
        return -1;
    if (def->start && def->start (app, app->state)) {
        snprintf (err, errlen, "the service's start-up failed (see the log)");
        return -1;
    }
    return 0;
}

//  Ends, in the reverse order, whatever started.
static void
s_app_stop (sn_app_t *app)
{
    while (app->n_followers)
        zactor_destroy (&app->followers [--app->n_followers]);
    zactor_destroy (&app->announcer);
    if (app->server && app->def->stop)
        app->def->stop (app, app->state);
    zactor_destroy (&app->server);
    zstr_free (&app->request);
    zstr_free (&app->events);
    sn_directory_destroy (&app->directory);
    zactor_destroy (&app->zap);
    if (app->state && app->def->destroy)
        app->def->destroy (&app->state);
    sn_auth_destroy (&app->auth);
    zcert_destroy (&app->cert);
    sn_metrics_destroy (&app->metrics);     //  last: everything above counted into it
    zconfig_destroy (&app->config);
}

int
sn_app_run (int argc, char *argv [], const sn_app_def_t *def)
{
    assert (def && def->name && def->create && def->service);
    sn_app_t app;
    memset (&app, 0, sizeof app);
    app.def = def;
    //  blocked before any thread starts, so every thread inherits it and
    //  only sn_app_wait takes the signals
    sigemptyset (&app.signals);
    sigaddset (&app.signals, SIGINT);
    sigaddset (&app.signals, SIGTERM);
    pthread_sigmask (SIG_BLOCK, &app.signals, NULL);
    int rc = 1;
    app.config = sn_config_main (argc, argv, def->name, &app.path, &rc);
    if (!app.config)
        return rc;
    char err [512];
    if (s_app_start (&app, err, sizeof err)) {
        sn_error ("%s: %s: %s", def->name, app.path, err);
        fprintf (stderr, "snodo-%s: %s: %s\n", def->name, app.path, err);
        if (app.stopping)
            s_notify ("STOPPING=1\nSTATUS=stopped while starting: %s", err);
        else
            s_notify ("STATUS=could not start: %s", err);
        rc = app.stopping ? 0 : 1;
    }
    else {
        //  ready once it serves: bound, its members loaded, its own start
        //  done. Not held for the registry's answer to the announce, which
        //  the announcer keeps trying: a registry away (or on another host)
        //  must not hold every other service back
        sn_info ("%s: ready on %s (config %s)", def->name, app.request, app.path);
        s_notify ("READY=1\nSTATUS=serving on %s", app.request);
        sn_app_wait (&app, -1);
        sn_info ("%s: stopping", def->name);
        s_notify ("STOPPING=1\nSTATUS=stopping");
        rc = 0;
    }
    s_app_stop (&app);
    return rc;
}
