/*  snodo-reporting: the reporting service.
    Usage: snodo-reporting [-c config] [-v]

    Follows the registry (members, persons, companies) and monitoring
    (pathways, services delivered, meetings) into its aggregates, serves the
    Reporting methods, and the dashboard over HTTP. Settings of its section:
    threshold (counts 1..threshold hidden, default 5), http (the dashboard's
    address, default 127.0.0.1:7409 style "127.0.0.1:PORT"), http_url (how
    links name it), http_timeout_s, http_per_address, session_s. */
#include "rep_web.h"
#include "sn_log.h"
#include "reporting.h"
#include "sn_app.h"
#include <string.h>

typedef struct {
    reporting_t *reporting;         //  the service's state
    rep_web_t *web;                 //  the dashboard
    char address [64];              //  the dashboard's, to listen on
    long port, timeout_s, per_address, session_s;
} s_main_t;

static int
s_settings (sn_app_t *app, s_main_t *self, long *threshold, char *err, size_t errlen)
{
    const char *http = sn_app_setting (app, "http", "127.0.0.1:0");
    const char *colon = strrchr (http, ':');
    if (!colon || colon == http || (size_t) (colon - http) >= sizeof self->address) {
        snprintf (err, errlen, "reporting/http must be ADDRESS:PORT, not \"%s\"", http);
        return -1;
    }
    snprintf (self->address, sizeof self->address, "%.*s", (int) (colon - http), http);
    char *end;
    self->port = strtol (colon + 1, &end, 10);
    if (*end || self->port < 0 || self->port > 65535) {
        snprintf (err, errlen, "reporting/http: \"%s\" is not a port", colon + 1);
        return -1;
    }
    return sn_app_setting_int (app, "threshold", REPORTING_THRESHOLD, 1, 100, threshold, err, errlen)
        || sn_app_setting_int (app, "http_timeout_s", 10, 1, 600, &self->timeout_s, err, errlen)
        || sn_app_setting_int (app, "http_per_address", 16, 1, 1000, &self->per_address, err, errlen)
        || sn_app_setting_int (app, "session_s", 28800, 60, 604800, &self->session_s, err, errlen);
}

static void *
s_create (sn_app_t *app, char *err, size_t errlen)
{
    s_main_t *self = (s_main_t *) zmalloc (sizeof (s_main_t));
    long threshold;
    if (s_settings (app, self, &threshold, err, errlen)) {
        free (self);
        return NULL;
    }
    char url [128];
    snprintf (url, sizeof url, "http://%s:%ld", self->address, self->port);
    self->reporting = reporting_new (sn_app_auth (app), (uint32_t) threshold, sn_app_setting (app, "http_url", url));
    return self;
}

static sn_service_t
s_service (void *state)
{
    return reporting_service (((s_main_t *) state)->reporting);
}

static int
s_start (sn_app_t *app, void *state)
{
    s_main_t *self = (s_main_t *) state;
    sn_peer_t registry, monitoring;
    char err [256];
    if (sn_app_peer (app, "registry", &registry, err, sizeof err)
    ||  sn_app_peer (app, "monitoring", &monitoring, err, sizeof err)) {
        sn_error ("reporting: %s", err);
        return -1;
    }
    reporting_set_sources (self->reporting, sn_app_cert (app), registry.request, registry.public_key,
                           monitoring.request, monitoring.public_key);
    if (sn_app_follow (app, "monitoring", &(sn_subscriber_config_t) {.apply = reporting_apply}))
        return -1;
    sn_http_config_t http = {.address = self->address, .port = (int) self->port,
                             .timeout_s = (unsigned) self->timeout_s, .per_address = (unsigned) self->per_address};
    self->web = rep_web_new (self->reporting, sn_app_conninfo (app), &http, (int) self->session_s, err, sizeof err);
    if (!self->web) {
        sn_error ("reporting: dashboard: %s", err);
        return -1;
    }
    sn_info ("reporting: dashboard on http://%s:%d/", self->address, rep_web_port (self->web));
    return 0;
}

static void
s_stop (sn_app_t *app, void *state)
{
    rep_web_destroy (&((s_main_t *) state)->web);
}

static void
s_destroy (void **state_p)
{
    s_main_t *self = (s_main_t *) *state_p;
    rep_web_destroy (&self->web);
    reporting_destroy (&self->reporting);
    free (self);
    *state_p = NULL;
}

int
main (int argc, char *argv [])
{
    static const sn_app_def_t def = {
        .name = "reporting",
        .migrations = reporting_migrations,
        .follows_registry = true,
        .registry_apply = reporting_apply,
        .create = s_create,
        .service = s_service,
        .start = s_start,
        .stop = s_stop,
        .destroy = s_destroy,
    };
    return sn_app_run (argc, argv, &def);
}
