/*  snodo-registry: the registry service.
    Usage: snodo-registry [-c config] [-v]  */
#include "registry.h"
#include "sn_config.h"
#include <string.h>

int
main (int argc, char *argv [])
{
    const char *path;
    int rc = 1;
    zconfig_t *config = sn_config_main (argc, argv, "registry", &path, &rc);
    if (!config)
        return rc;
    char err [512];
    sn_server_config_t settings;
    uint8_t audit_key [32];
    zcert_t *cert = NULL;
    if (sn_config_service (config, "registry", &settings, &cert, audit_key, err, sizeof err)) {
        fprintf (stderr, "snodo-registry: %s: %s\n", path, err);
        zconfig_destroy (&config);
        return 1;
    }

    sn_auth_t *auth = sn_auth_new ();
    zactor_t *zap = zactor_new (sn_auth_zap_actor, auth);
    registry_t *registry = registry_new (auth, zconfig_get (config, "registry/admin/id", NULL),
                                         zconfig_get (config, "registry/admin/key", NULL));
    settings.auth = auth;
    sn_service_t service = registry_service (registry);
    zactor_t *server = sn_server_new (&settings, &service);
    if (server) {
        zsys_info ("registry: ready (config %s)", path);
        while (!zsys_interrupted)
            zclock_sleep (200);
        zactor_destroy (&server);
        rc = 0;
    }
    zactor_destroy (&zap);
    registry_destroy (&registry);
    sn_auth_destroy (&auth);
    zcert_destroy (&cert);
    zconfig_destroy (&config);
    return rc;
}
