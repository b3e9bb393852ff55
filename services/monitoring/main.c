/*  snodo-monitoring: the monitoring service.
    Usage: snodo-monitoring [-c config] [-v]

    Follows the registry's members (its ZAP table) and persons with
    sn_directory, serves the Monitoring methods, forwards team changes to the
    registry, follows the matching service's accepted proposals when the
    config has a matching section, and raises overdue meetings. */
#include "monitoring.h"
#include "sn_config.h"
#include "sn_directory.h"
#include <string.h>

int
main (int argc, char *argv [])
{
    const char *path;
    int rc = 1;
    zconfig_t *config = sn_config_main (argc, argv, "monitoring", &path, &rc);
    if (!config)
        return rc;
    char err [512];
    sn_server_config_t settings;
    uint8_t audit_key [32];
    zcert_t *cert = NULL;
    sn_peer_t registry;
    if (sn_config_service (config, "monitoring", &settings, &cert, audit_key, err, sizeof err)
    ||  sn_config_peer (config, "registry", &registry, err, sizeof err)) {
        fprintf (stderr, "snodo-monitoring: %s: %s\n", path, err);
        zcert_destroy (&cert);
        zconfig_destroy (&config);
        return 1;
    }
    int bad = 0;
    long overdue_ms = sn_config_int (config, "monitoring/overdue_interval_ms", 60000, 100, 86400000, &bad);
    if (bad) {
        fprintf (stderr, "snodo-monitoring: %s: monitoring/overdue_interval_ms is out of range\n", path);
        zcert_destroy (&cert);
        zconfig_destroy (&config);
        return 1;
    }
    sn_auth_t *auth = sn_auth_new ();
    zactor_t *zap = zactor_new (sn_auth_zap_actor, auth);
    monitoring_t *monitoring = monitoring_new (auth);
    sn_directory_config_t follow = {
        .registry_request = registry.request,
        .registry_events = registry.events,
        .registry_key = registry.public_key,
        .cert = cert,
        .conninfo = settings.conninfo,
        .schema = "monitoring",
        .migrations = monitoring_migrations,
        .auth = auth,
        .self_id = "monitoring",
        .admin_id = zconfig_get (config, "registry/admin/id", NULL),
        .admin_key = zconfig_get (config, "registry/admin/key", NULL),
        .apply = monitoring_registry_apply,
        .arg = monitoring,
    };
    sn_directory_t *directory = sn_directory_new (&follow);
    settings.auth = auth;
    sn_service_t service = monitoring_service (monitoring);
    zactor_t *server = directory ? sn_server_new (&settings, &service) : NULL;
    if (server) {
        char *request = NULL, *events = NULL;
        sn_server_endpoints (server, &request, &events);
        //  our own events, seen through a local endpoint
        char *local_request = strdup (request), *local_events = strdup (events);
        mon_forwarder_t *forwarder = mon_forwarder_new (local_request, local_events, cert, settings.conninfo,
                                                        registry.request, registry.public_key);
        zactor_t *matching = NULL;
        sn_peer_t peer;
        bool follow_matching = zconfig_locate (config, "matching") != NULL;
        if (follow_matching && sn_config_peer (config, "matching", &peer, err, sizeof err)) {
            zsys_warning ("monitoring: the matching section is incomplete (%s): accepted proposals are not "
                          "followed", err);
            follow_matching = false;
        }
        if (follow_matching) {
            sn_subscriber_config_t sub = {
                .source = "matching",
                .events_endpoint = peer.events,
                .request_endpoint = peer.request,
                .server_key = peer.public_key,
                .cert = cert,
                .conninfo = settings.conninfo,
                .schema = "monitoring",
                .apply = monitoring_matching_apply,
                .arg = monitoring,
                .migrations = monitoring_migrations,
            };
            matching = sn_subscriber_new (&sub);
        }
        else
            zsys_info ("monitoring: no matching service followed");
        zactor_t *scheduler = mon_scheduler_new (monitoring, settings.conninfo, (int) overdue_ms);
        zsys_info ("monitoring: ready on %s (config %s)", request, path);
        while (!zsys_interrupted)
            zclock_sleep (200);
        zactor_destroy (&scheduler);
        zactor_destroy (&matching);
        mon_forwarder_destroy (&forwarder);
        zactor_destroy (&server);
        free (local_request);
        free (local_events);
        zstr_free (&request);
        zstr_free (&events);
        rc = 0;
    }
    sn_directory_destroy (&directory);
    zactor_destroy (&zap);
    monitoring_destroy (&monitoring);
    sn_auth_destroy (&auth);
    zcert_destroy (&cert);
    zconfig_destroy (&config);
    return rc;
}
