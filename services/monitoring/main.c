/*  snodo-monitoring: the monitoring service.
    Usage: snodo-monitoring [-c config] [-v]

    Follows the registry's members (its ZAP table) and persons, serves the
    Monitoring methods, forwards team changes to the registry, follows the
    matching service's accepted proposals when the config has a matching
    section, and raises overdue meetings every monitoring/overdue_interval_ms. Today is the
    day in monitoring/time_zone (default Europe/Rome; sn_app sets it). */
#include "monitoring.h"
#include "sn_log.h"
#include "registry.h"
#include "sn_app.h"
#include <string.h>

typedef struct {
    monitoring_t *monitoring;       //  the service's state
    long overdue_ms;                //  the scheduler's period
    mon_forwarder_t *forwarder;     //  team changes to the registry
    zactor_t *scheduler;            //  overdue meetings
} s_main_t;

static void *
s_create (sn_app_t *app, char *err, size_t errlen)
{
    long overdue_ms;
    if (sn_app_setting_int (app, "overdue_interval_ms", 60000, 100, 86400000, &overdue_ms, err, errlen))
        return NULL;
    //  "today" is the operators' day: sn_app set the process's time zone
    //  from monitoring/time_zone before any thread started
    s_main_t *self = (s_main_t *) zmalloc (sizeof (s_main_t));
    self->monitoring = monitoring_new (sn_app_auth (app));
    self->overdue_ms = overdue_ms;
    return self;
}

static sn_service_t
s_service (void *state)
{
    return monitoring_service (((s_main_t *) state)->monitoring);
}

static int
s_registry_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    return monitoring_registry_apply (db, event, ((s_main_t *) arg)->monitoring);
}

static int
s_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    return monitoring_registry_apply_page (db, events, n, ((s_main_t *) arg)->monitoring);
}

static int
s_matching_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    return monitoring_matching_apply (db, event, ((s_main_t *) arg)->monitoring);
}

static int
s_start (sn_app_t *app, void *state)
{
    s_main_t *self = (s_main_t *) state;
    sn_peer_t registry;
    char err [256];
    if (sn_app_peer (app, "registry", &registry, err, sizeof err))
        return -1;
    //  our own events, seen through the endpoints we bound
    self->forwarder = mon_forwarder_new (sn_app_request_endpoint (app), sn_app_events_endpoint (app),
                                         sn_app_cert (app), sn_app_conninfo (app), registry.request,
                                         registry.public_key, sn_app_metrics (app));
    if (sn_app_follow (app, "matching", &(sn_subscriber_config_t) {.apply = s_matching_apply, .arg = self}))
        sn_info ("monitoring: accepted proposals are not followed");
    self->scheduler = mon_scheduler_new (self->monitoring, sn_app_conninfo (app), (int) self->overdue_ms);
    return self->forwarder && self->scheduler ? 0 : -1;
}

static void
s_stop (sn_app_t *app, void *state)
{
    s_main_t *self = (s_main_t *) state;
    zactor_destroy (&self->scheduler);
    mon_forwarder_destroy (&self->forwarder);
}

static void
s_destroy (void **state_p)
{
    s_main_t *self = (s_main_t *) *state_p;
    monitoring_destroy (&self->monitoring);
    free (self);
    *state_p = NULL;
}

int
main (int argc, char *argv [])
{
    static const sn_app_def_t def = {
        .name = "monitoring",
        .migrations = monitoring_migrations,
        .follows_registry = true,
        .access_apply = registry_access_apply,
        .registry_apply = s_registry_apply,
        .registry_apply_page = s_registry_apply_page,
        .create = s_create,
        .service = s_service,
        .start = s_start,
        .stop = s_stop,
        .destroy = s_destroy,
    };
    return sn_app_run (argc, argv, &def);
}
