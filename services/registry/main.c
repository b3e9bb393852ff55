/*  snodo-registry: the registry service, the directory every other service
    authenticates members from.
    Usage: snodo-registry [-c config] [-v]

    Its own section: registry/admin/id and registry/admin/key, the operator
    recorded at start (the network's first member). */
#include "registry.h"
#include "sn_app.h"

static void *
s_create (sn_app_t *app, char *err, size_t errlen)
{
    return registry_new (sn_app_auth (app), sn_app_setting (app, "admin/id", NULL),
                         sn_app_setting (app, "admin/key", NULL), zcert_public_txt (sn_app_cert (app)));
}

static sn_service_t
s_service (void *state)
{
    return registry_service ((registry_t *) state);
}

static void
s_destroy (void **state_p)
{
    registry_destroy ((registry_t **) state_p);
}

int
main (int argc, char *argv [])
{
    static const sn_app_def_t def = {
        .name = "registry",
        .migrations = registry_migrations,
        .create = s_create,
        .service = s_service,
        .destroy = s_destroy,
    };
    return sn_app_run (argc, argv, &def);
}
