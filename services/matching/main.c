/*  snodo-matching: the matching service.
    Usage: snodo-matching [-c config] [-v]

    Loads what its schema keeps into the index, then follows the registry
    (members into its ZAP table, persons, posts, companies into the index)
    and, when the config has a monitoring section, monitoring's pathways; and
    serves. matching/small_count: fewer hidden candidates than this are
    "a few", not counted. */
#include "matching.h"
#include "sn_log.h"
#include "registry.h"
#include "sn_app.h"

static void *
s_create (sn_app_t *app, char *err, size_t errlen)
{
    long small_count;
    if (sn_app_setting_int (app, "small_count", MATCHING_SMALL_COUNT, 1, 1000, &small_count, err, errlen))
        return NULL;
    matching_t *matching = matching_new ();
    assert (matching);
    matching_set_small_count (matching, (uint32_t) small_count);
    //  the index first: what the followers apply must land on what is stored
    while (matching_start (matching, sn_app_conninfo (app), err, errlen)) {
        sn_warning ("matching: %s; trying again", err);
        if (sn_app_wait (app, 2000)) {
            matching_destroy (&matching);
            snprintf (err, errlen, "stopped while loading the index");
            return NULL;
        }
    }
    sn_info ("matching: %zu persons, %zu posts loaded", mi_index_persons (matching_index (matching)),
               mi_index_posts (matching_index (matching)));
    return matching;
}

static sn_service_t
s_service (void *state)
{
    return matching_service ((matching_t *) state);
}

static int
s_start (sn_app_t *app, void *state)
{
    if (sn_app_follow (app, "monitoring", &(sn_subscriber_config_t) {
            .apply = matching_apply_monitoring, .begun = matching_monitoring_begun,
            .committed = matching_monitoring_committed, .arg = state}))
        sn_warning ("matching: persons engaged in pathways are not known");
    return 0;
}

static void
s_destroy (void **state_p)
{
    matching_destroy ((matching_t **) state_p);
}

int
main (int argc, char *argv [])
{
    static const sn_app_def_t def = {
        .name = "matching",
        .migrations = matching_migrations,
        .follows_registry = true,
        .access_apply = registry_access_apply,
        .registry_apply = matching_apply_registry,
        .create = s_create,
        .service = s_service,
        .start = s_start,
        .destroy = s_destroy,
    };
    return sn_app_run (argc, argv, &def);
}
