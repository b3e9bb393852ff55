/*  sn_app: one start for every service.

    A service's main.c is its config section, its method tables and its own
    start-up; sn_app_run does the rest: the arguments, the config, the
    certificate and audit key, the ZAP handler with its member table, the
    directory (every service but the registry follows the registry's
    members), the server, the subscribers the service asks for, the wait for
    SIGINT or SIGTERM (blocked in every thread and taken with sigwait: no
    sleep loop) and a clean stop in the reverse order. Started by systemd
    as Type=notify (NOTIFY_SOCKET set), it says READY=1 once it serves and
    STOPPING=1 when a signal stops it, with a STATUS line while it waits
    for its database; otherwise it tells no one.

    static const sn_app_def_t def = {
        .name = "monitoring",
        .migrations = monitoring_migrations,
        .follows_registry = true,
        .registry_apply = monitoring_registry_apply,
        .create = s_create, .service = s_service, .start = s_start,
        .stop = s_stop, .destroy = s_destroy,
    };
    int main (int argc, char *argv []) { return sn_app_run (argc, argv, &def); }

    Usage of every service: snodo-<name> [-c config] [-v]
*/
#ifndef SN_APP_H_INCLUDED
#define SN_APP_H_INCLUDED

#include "sn_config.h"
#include "sn_server.h"
#include "sn_subscriber.h"

typedef struct _sn_app_t sn_app_t;

typedef struct {
    const char *name;                   //  "monitoring": config section, schema, program snodo-<name>
    const sn_migration_t *migrations;   //  the service's own, ending with {NULL}
    bool follows_registry;              //  keep the registry's members (every service but the registry)
    sn_apply_fn *registry_apply;        //  the registry's other events (arg: the state); may be NULL
    sn_apply_page_fn *registry_apply_page;  //  a page of them in one go (arg: the state); optional
    //  Who may see each person, from the registry's events (registry_access_apply,
    //  in the registry_access library): a service whose events are about
    //  persons needs it for its members' streams. May be NULL.
    sn_apply_fn *access_apply;
    //  Makes the service's state from the config. Returns NULL with err
    //  filled when the service cannot start (the process exits with 1).
    void *(*create) (sn_app_t *app, char *err, size_t errlen);
    //  The service the server runs (its state set to the created state).
    sn_service_t (*service) (void *state);
    //  Once the server serves: the service's own threads (followers through
    //  sn_app_follow, schedulers). Optional. Returns 0, or -1 to stop.
    int (*start) (sn_app_t *app, void *state);
    //  Before the server stops: ends what start began, but for followers
    //  (the app ends those). Optional.
    void (*stop) (sn_app_t *app, void *state);
    //  Destroys the state and nulls the pointer. Optional.
    void (*destroy) (void **state_p);
} sn_app_def_t;

//  Runs a service until SIGINT or SIGTERM. Returns the process's exit code:
//  0 after a clean stop, 1 when it could not start (said in the log or on
//  stderr), 2 on a usage error.
int sn_app_run (int argc, char *argv [], const sn_app_def_t *def);

//  --- for the service's create, start and stop -------------------------------

//  The config (borrowed) and its path.
zconfig_t *sn_app_config (sn_app_t *app);
const char *sn_app_config_path (sn_app_t *app);

//  A setting of the service's section ("<name>/<key>"), or def.
const char *sn_app_setting (sn_app_t *app, const char *key, const char *def);

//  An integer setting of the service's section, with its default and
//  bounds. Returns 0 and sets *value, or -1 with err naming the setting and
//  its range when it is malformed or out of range.
int sn_app_setting_int (sn_app_t *app, const char *key, long def, long min, long max, long *value,
                        char *err, size_t errlen);

//  Where the service's figures are counted (borrowed; lives until the app
//  ends): for a subscriber the service starts itself (sn_subscriber's
//  metrics), so that its lag shows too.
sn_metrics_t *sn_app_metrics (sn_app_t *app);

//  The service's certificate, member table and database (borrowed).
zcert_t *sn_app_cert (sn_app_t *app);
sn_auth_t *sn_app_auth (sn_app_t *app);
const char *sn_app_conninfo (sn_app_t *app);

//  Where the server listens, as bound (after the server started, so in
//  start and stop; NULL before). Borrowed.
const char *sn_app_request_endpoint (sn_app_t *app);
const char *sn_app_events_endpoint (sn_app_t *app);

//  Where another service is: its request and events endpoints and public
//  key. Returns 0, or -1 with err filled when the config does not say.
int sn_app_peer (sn_app_t *app, const char *service, sn_peer_t *peer, char *err, size_t errlen);

//  Follows another service's events into the service's schema with an
//  sn_subscriber (cursor, Replay, exactly once in effect); the app ends it
//  before stop. what says what they do here: its apply and arg, and the
//  optional apply_page, begun and committed (sn_subscriber.h); the app
//  fills in the rest. Returns 0, or -1 (logged) when the peer is not known.
int sn_app_follow (sn_app_t *app, const char *source, const sn_subscriber_config_t *what);

//  Waits up to timeout_ms for a stop signal. Returns true if one came (the
//  app then stops): for start-up loops that try again.
bool sn_app_wait (sn_app_t *app, int timeout_ms);

#endif
