/*  snodo-matching: the matching service.
    Usage: snodo-matching [-c config] [-v]

    Loads what its schema keeps into the index, then follows the registry
    (members into its ZAP table, persons, posts, companies into the index)
    and, when the config has a monitoring section, monitoring's pathways; and
    serves. */
#include "matching.h"
#include "sn_config.h"
#include "sn_directory.h"
#include <string.h>

int
main (int argc, char *argv [])
{
    const char *path;
    int rc = 1;
    zconfig_t *config = sn_config_main (argc, argv, "matching", &path, &rc);
    if (!config)
        return rc;
    char err [512];
    sn_server_config_t settings;
    uint8_t audit_key [32];
    zcert_t *cert = NULL;
    sn_peer_t registry;
    if (sn_config_service (config, "matching", &settings, &cert, audit_key, err, sizeof err)
    ||  sn_config_peer (config, "registry", &registry, err, sizeof err)) {
        fprintf (stderr, "snodo-matching: %s: %s\n", path, err);
        zcert_destroy (&cert);
        zconfig_destroy (&config);
        return 1;
    }
    matching_t *matching = matching_new ();
    assert (matching);
    int bad = 0;
    matching_set_small_count (matching, (uint32_t) sn_config_int (config, "matching/small_count",
                                                                  MATCHING_SMALL_COUNT, 1, 1000, &bad));
    if (bad)
        zsys_warning ("matching: matching/small_count must be 1-1000; %d is used", MATCHING_SMALL_COUNT);
    //  the index first: what the followers apply must land on what is stored
    while (matching_start (matching, settings.conninfo, err, sizeof err)) {
        zsys_warning ("matching: %s; trying again", err);
        for (int i = 0; i < 10 && !zsys_interrupted; i++)
            zclock_sleep (200);
        if (zsys_interrupted)
            goto out;
    }
    zsys_info ("matching: %zu persons, %zu posts loaded", mi_index_persons (matching_index (matching)),
               mi_index_posts (matching_index (matching)));

    sn_auth_t *auth = sn_auth_new ();
    zactor_t *zap = zactor_new (sn_auth_zap_actor, auth);
    sn_directory_config_t follow = {
        .registry_request = registry.request,
        .registry_events = registry.events,
        .registry_key = registry.public_key,
        .cert = cert,
        .conninfo = settings.conninfo,
        .schema = "matching",
        .migrations = matching_migrations,
        .auth = auth,
        .self_id = "matching",
        .admin_id = zconfig_get (config, "registry/admin/id", NULL),
        .admin_key = zconfig_get (config, "registry/admin/key", NULL),
        .apply = matching_apply_registry,
        .arg = matching,
    };
    sn_directory_t *directory = sn_directory_new (&follow);
    if (!directory)
        zsys_error ("matching: could not follow the registry (check the registry section of %s)", path);
    zactor_t *pathways = NULL;
    sn_peer_t monitoring;
    if (zconfig_locate (config, "monitoring")
    &&  sn_config_peer (config, "monitoring", &monitoring, err, sizeof err) == 0) {
        sn_subscriber_config_t sub = {
            .source = "monitoring",
            .events_endpoint = monitoring.events,
            .request_endpoint = monitoring.request,
            .server_key = monitoring.public_key,
            .cert = cert,
            .conninfo = settings.conninfo,
            .schema = "matching",
            .apply = matching_apply_monitoring,
            .arg = matching,
            .migrations = matching_migrations,
        };
        pathways = sn_subscriber_new (&sub);
    }
    else
        zsys_warning ("matching: not following monitoring (%s): persons engaged in pathways are not known",
                      zconfig_locate (config, "monitoring") ? err : "no monitoring section in the config");
    settings.auth = auth;
    sn_service_t service = matching_service (matching);
    zactor_t *server = directory ? sn_server_new (&settings, &service) : NULL;
    if (server) {
        zsys_info ("matching: ready (config %s)", path);
        while (!zsys_interrupted)
            zclock_sleep (200);
        zactor_destroy (&server);
        rc = 0;
    }
    zactor_destroy (&pathways);
    sn_directory_destroy (&directory);
    zactor_destroy (&zap);
    sn_auth_destroy (&auth);
out:
    matching_destroy (&matching);
    zcert_destroy (&cert);
    zconfig_destroy (&config);
    return rc;
}
