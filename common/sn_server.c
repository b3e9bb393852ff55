/*  sn_server: starting a server, and its method tables. The parts of the
    runtime are listed in sn_server_internal.h. */
#include "sn_server_internal.h"
#include "sn_log.h"
#include "sn_metrics.h"
#include <string.h>
#include <unistd.h>

void
sn_server_core_free (sn_server_core_t *server)
{
    free (server->request_endpoint);
    free (server->events_endpoint);
    free (server->conninfo);
    free (server);
}

sn_method_t *
sn_methods_join (const sn_method_t *const *tables)
{
    size_t total = 0;
    for (size_t t = 0; tables [t]; t++)
        for (size_t i = 0; tables [t][i].name; i++)
            total++;
    sn_method_t *methods = (sn_method_t *) calloc (total + 1, sizeof (sn_method_t));
    size_t at = 0;
    for (size_t t = 0; tables [t]; t++)
        for (size_t i = 0; tables [t][i].name; i++)
            methods [at++] = tables [t][i];
    return methods;
}

int
sn_methods_check (const ProtobufCServiceDescriptor *descriptor, const sn_method_t *methods,
                  char *err, size_t errlen)
{
    for (unsigned i = 0; i < descriptor->n_methods; i++) {
        const char *rpc = descriptor->methods [i].name;
        size_t rows = 0;
        for (const sn_method_t *m = methods; m->name; m++)
            rows += streq (m->name, rpc);
        if (rows != 1) {
            snprintf (err, errlen, "rpc %s.%s %s", descriptor->name, rpc,
                      rows ? "has more than one handler" : "has no handler");
            return -1;
        }
    }
    for (const sn_method_t *m = methods; m->name; m++) {
        if (!protobuf_c_service_descriptor_get_method_by_name (descriptor, m->name)) {
            snprintf (err, errlen, "handler of %s: %s has no rpc %s", m->name, descriptor->name, m->name);
            return -1;
        }
        if (!m->handler) {
            snprintf (err, errlen, "rpc %s.%s has no handler", descriptor->name, m->name);
            return -1;
        }
    }
    return 0;
}

int
sn_server_default_workers (void)
{
    long cores = sysconf (_SC_NPROCESSORS_ONLN);
    return cores < 2 ? 2 : cores > 16 ? 16 : (int) cores;
}

zactor_t *
sn_server_new (const sn_server_config_t *config, const sn_service_t *service)
{
    assert (config && service && config->cert && config->auth);
    char err [256];
    if (sn_methods_check (service->descriptor, service->methods, err, sizeof err)
    ||  sn_methods_check (&snodo__journal__descriptor, sn_journal_methods, err, sizeof err)) {
        sn_error ("%s: %s: not starting", service->name, err);
        return NULL;
    }
    sn_server_core_t *server = (sn_server_core_t *) zmalloc (sizeof (sn_server_core_t));
    server->config = *config;
    server->service = *service;
    server->request_endpoint = strdup (config->request_endpoint);
    server->events_endpoint = strdup (config->events_endpoint);
    server->conninfo = strdup (config->conninfo);
    server->started_at = zclock_time ();
    sn_metrics_methods (config->metrics, service->methods, sn_journal_methods);
    if (server->config.workers <= 0)
        server->config.workers = sn_server_default_workers ();
    if (server->config.max_message == 0)
        server->config.max_message = 1024 * 1024;
    if (server->config.hwm <= 0)
        server->config.hwm = 1000;
    if (server->config.default_deadline_ms <= 0)
        server->config.default_deadline_ms = 10000;
    if (server->config.relay_interval_ms <= 0)
        server->config.relay_interval_ms = 1000;
    if (server->config.idempotency_days <= 0)
        server->config.idempotency_days = 7;
    if (server->config.batch <= 0)
        server->config.batch = 16;
    if (server->config.batch > SN_MAX_BATCH)
        server->config.batch = SN_MAX_BATCH;
    //  Unique per server ever started in this process: a restarted server may
    //  get the same address while the old one's sockets are still being
    //  closed, and an inproc name is taken until then.
    static atomic_uint s_servers;
    unsigned serial = atomic_fetch_add (&s_servers, 1);
    snprintf (server->backend, sizeof server->backend, "inproc://sn-workers-%u", serial);
    snprintf (server->kick, sizeof server->kick, "inproc://sn-kick-%u", serial);
    snprintf (server->wake, sizeof server->wake, "inproc://sn-wake-%u", serial);
    zactor_t *actor = zactor_new (sn_broker_actor, server);
    char *status = zstr_recv (actor);
    bool ok = status && streq (status, "OK");
    zstr_free (&status);
    if (!ok)
        zactor_destroy (&actor);
    return actor;
}

int
sn_server_endpoints (zactor_t *server, char **request, char **events)
{
    zstr_send (server, "ENDPOINTS");
    return zstr_recvx (server, request, events, NULL) == 2 ? 0 : -1;
}

