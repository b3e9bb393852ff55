/*  snodo-bridge: the bridge to the regional cartella sociale.
    Usage: snodo-bridge [-c config] [-v]

    A member of kind BRIDGE: follows the registry (members, and the persons
    it referred) and monitoring (the pathways it referred), takes the
    social record's files from bridge/spool/inbox and writes the outbound
    files to bridge/spool/outbox. docs/bridge.md. */
#include "bridge.h"
#include "sn_log.h"
#include "sn_app.h"
#include <malloc.h>
#include <string.h>

//  The bridge's member id: its service's name, as for every service.
#define SELF_ID "bridge"

typedef struct {
    br_schema_t *schema;            //  the exchange's XSD, compiled
    bridge_t *bridge;               //  the service's state
    char *spool;                    //  the spool's root
    br_import_config_t import;      //  the importer's settings (peers set in start)
    br_outbound_config_t outbound;  //  the writer's
    char outbox [1024];
    zactor_t *importer;
    zactor_t *writer;
} s_main_t;

//  The integer settings, with their defaults and bounds.
static int
s_settings (sn_app_t *app, s_main_t *self, char *err, size_t errlen)
{
    long settle, poll, callers, batch, call_batch, interval, wait, most;
    if (sn_app_setting_int (app, "settle_ms", 2000, 0, 3600000, &settle, err, errlen)
    ||  sn_app_setting_int (app, "poll_ms", 500, 10, 60000, &poll, err, errlen)
    ||  sn_app_setting_int (app, "callers", 8, 1, 64, &callers, err, errlen)
    ||  sn_app_setting_int (app, "import_batch", 256, 1, 4096, &batch, err, errlen)
    ||  sn_app_setting_int (app, "call_batch", 128, 1, 1000, &call_batch, err, errlen)
    ||  sn_app_setting_int (app, "outbound_interval_ms", 5000, 10, 86400000, &interval, err, errlen)
    ||  sn_app_setting_int (app, "outbound_wait_ms", 30000, 0, 86400000, &wait, err, errlen)
    ||  sn_app_setting_int (app, "outbound_max_events", 10000, 1, 1000000, &most, err, errlen))
        return -1;
    const char *ready = sn_app_setting (app, "ready", "age");
    if (!streq (ready, "age") && !streq (ready, "marker")) {
        snprintf (err, errlen, "bridge/ready must be \"age\" or \"marker\", not \"%s\"", ready);
        return -1;
    }
    const char *day = sn_app_setting (app, "summary_day", "01-31");
    if (strlen (day) != 5 || day [2] != '-') {
        snprintf (err, errlen, "bridge/summary_day must be MM-DD, not \"%s\"", day);
        return -1;
    }
    self->import = (br_import_config_t) {
        .conninfo = sn_app_conninfo (app), .spool = self->spool,
        .ready = streq (ready, "marker") ? BR_READY_MARKER : BR_READY_AGE, .settle_ms = (int) settle,
        .poll_ms = (int) poll, .callers = (int) callers, .batch = (int) batch,
        .call_batch = (int) call_batch, .cert = sn_app_cert (app),
        .self_id = SELF_ID, .schema = self->schema};
    self->outbound = (br_outbound_config_t) {
        .conninfo = sn_app_conninfo (app), .outbox = self->outbox, .interval_ms = (int) interval,
        .wait_ms = (int) wait, .max_events = (int) most, .summary_day = day, .schema = self->schema};
    return 0;
}

static void
s_destroy (void **state_p)
{
    s_main_t *self = (s_main_t *) *state_p;
    bridge_destroy (&self->bridge);
    br_schema_destroy (&self->schema);
    free (self->spool);
    free (self);
    *state_p = NULL;
}

static void *
s_create (sn_app_t *app, char *err, size_t errlen)
{
    const char *spool = sn_app_setting (app, "spool", NULL);
    if (!spool || !*spool) {
        snprintf (err, errlen, "bridge/spool is not set (the spool directory)");
        return NULL;
    }
    s_main_t *self = (s_main_t *) zmalloc (sizeof (s_main_t));
    self->spool = strdup (spool);
    snprintf (self->outbox, sizeof self->outbox, "%s/outbox", spool);
    self->schema = br_schema_new (err, errlen);
    if (self->schema)
        self->bridge = bridge_new (spool, self->schema, err, errlen);
    if (!self->bridge || s_settings (app, self, err, errlen)) {
        void *state = self;
        s_destroy (&state);
        return NULL;
    }
    return self;
}

static sn_service_t
s_service (void *state)
{
    return bridge_service (((s_main_t *) state)->bridge);
}

static int
s_registry_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    return br_registry_apply (db, event, (void *) SELF_ID);
}

static int
s_monitoring_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    return br_monitoring_apply (db, event, (void *) SELF_ID);
}

static int
s_registry_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    return br_registry_apply_page (db, events, n, (void *) SELF_ID);
}

static int
s_monitoring_apply_page (PGconn *db, Snodo__Event *const *events, size_t n, void *arg)
{
    return br_monitoring_apply_page (db, events, n, (void *) SELF_ID);
}

static int
s_start (sn_app_t *app, void *state)
{
    s_main_t *self = (s_main_t *) state;
    char err [256];
    if (sn_app_peer (app, "registry", &self->import.registry, err, sizeof err)
    ||  sn_app_peer (app, "monitoring", &self->import.monitoring, err, sizeof err)) {
        sn_error ("bridge: %s", err);
        return -1;
    }
    if (sn_app_follow (app, "monitoring", &(sn_subscriber_config_t) {
            .apply = s_monitoring_apply, .apply_page = s_monitoring_apply_page, .arg = self}))
        return -1;
    self->importer = br_importer_new (&self->import);
    self->writer = br_writer_new (&self->outbound);
    return self->importer && self->writer ? 0 : -1;
}

static void
s_stop (sn_app_t *app, void *state)
{
    s_main_t *self = (s_main_t *) state;
    zactor_destroy (&self->importer);
    zactor_destroy (&self->writer);
}

int
main (int argc, char *argv [])
{
    static const sn_app_def_t def = {
        .name = "bridge",
        .migrations = bridge_migrations,
        .follows_registry = true,
        .registry_apply = s_registry_apply,
        .registry_apply_page = s_registry_apply_page,
        .create = s_create,
        .service = s_service,
        .start = s_start,
        .stop = s_stop,
        .destroy = s_destroy,
    };
    //  Two malloc arenas, not one for each thread that allocates: with
    //  glibc's default (eight per core) the importer's, the subscribers'
    //  and the workers' arenas each kept their own free memory, and the
    //  bridge's peak grew with the file (40.1 MB at 10^4 referrals, 44.5
    //  at 10^6; 32.9 and 33.7 MB at 10^4 and 10^5 with one arena, at the
    //  same rate). docs/bridge.md, "Performance".
    mallopt (M_ARENA_MAX, 2);
    return sn_app_run (argc, argv, &def);
}
