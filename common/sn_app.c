/*  sn_app: one start for every service. See sn_app.h. */
#include "sn_app.h"
#include "sn_directory.h"
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <time.h>

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
    zactor_t *followers [MAX_FOLLOWERS];    //  subscribers to other services' events
    size_t n_followers;
};

zconfig_t *sn_app_config (sn_app_t *app) { return app->config; }
const char *sn_app_config_path (sn_app_t *app) { return app->path; }
zcert_t *sn_app_cert (sn_app_t *app) { return app->cert; }
sn_auth_t *sn_app_auth (sn_app_t *app) { return app->auth; }
const char *sn_app_conninfo (sn_app_t *app) { return app->settings.conninfo; }
const char *sn_app_request_endpoint (sn_app_t *app) { return app->request; }
const char *sn_app_events_endpoint (sn_app_t *app) { return app->events; }

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

int
sn_app_peer (sn_app_t *app, const char *service, sn_peer_t *peer, char *err, size_t errlen)
{
    if (!zconfig_locate (app->config, service)) {
        snprintf (err, errlen, "the config has no %s section", service);
        return -1;
    }
    return sn_config_peer (app->config, service, peer, err, errlen);
}

int
sn_app_follow (sn_app_t *app, const char *source, sn_apply_fn *apply, sn_apply_page_fn *apply_page, void *arg)
{
    assert (app->n_followers < MAX_FOLLOWERS);
    sn_peer_t peer;
    char err [256];
    if (sn_app_peer (app, source, &peer, err, sizeof err)) {
        zsys_warning ("%s: not following %s: %s", app->def->name, source, err);
        return -1;
    }
    sn_subscriber_config_t sub = {
        .source = source,
        .events_endpoint = peer.events,
        .request_endpoint = peer.request,
        .server_key = peer.public_key,
        .cert = app->cert,
        .conninfo = app->settings.conninfo,
        .schema = app->def->name,
        .apply = apply,
        .apply_page = apply_page,
        .arg = arg,
        .migrations = app->def->migrations,
    };
    zactor_t *follower = sn_subscriber_new (&sub);
    if (!follower) {
        zsys_warning ("%s: could not follow %s", app->def->name, source);
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
        .apply = app->def->registry_apply,
        .apply_page = app->def->registry_apply_page,
        .arg = app->state,
    };
    app->directory = sn_directory_new (&follow);
    if (!app->directory) {
        snprintf (err, errlen, "could not follow the registry (see its section)");
        return -1;
    }
    return 0;
}

//  Everything up to a serving server. Returns 0, or -1 with err filled.
static int
s_app_start (sn_app_t *app, char *err, size_t errlen)
{
    const sn_app_def_t *def = app->def;
    if (sn_config_service (app->config, def->name, &app->settings, &app->cert, app->audit_key, err, errlen))
        return -1;
    app->auth = sn_auth_new ();
    app->zap = zactor_new (sn_auth_zap_actor, app->auth);
    app->settings.auth = app->auth;
    app->state = def->create (app, err, errlen);
    if (!app->state)
        return -1;
    if (def->follows_registry && s_follow_registry (app, err, errlen))
        return -1;
    sn_service_t service = def->service (app->state);
    app->server = sn_server_new (&app->settings, &service);
    if (!app->server) {
        snprintf (err, errlen, "the server did not start (see the log)");
        return -1;
    }
    sn_server_endpoints (app->server, &app->request, &app->events);
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
        zsys_error ("%s: %s: %s", def->name, app.path, err);
        fprintf (stderr, "snodo-%s: %s: %s\n", def->name, app.path, err);
        rc = app.stopping ? 0 : 1;
    }
    else {
        zsys_info ("%s: ready on %s (config %s)", def->name, app.request, app.path);
        sn_app_wait (&app, -1);
        zsys_info ("%s: stopping", def->name);
        rc = 0;
    }
    s_app_stop (&app);
    return rc;
}
