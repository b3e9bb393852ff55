/*  Who may see a person, as the other services keep it (person_access,
    common/sql/008_follow.sql) from the registry's events: each service's
    members' streams (journal.Follow) give an event about a person only to
    those. The registry's own person_access is a view of its tables
    (sql/004_person_access.sql); this file says the same from its events. */
#include "registry.h"
#include "sn_log.h"
#include <string.h>

//  The grantees a person's own record gives: its referring service, the
//  member that referred it for that service, the kinds it consented to for
//  a purpose (in force), into grantees.
static void
s_person_grantees (const Snodo__Registry__Person *p, sn_array_t *grantees)
{
    char grantee [96];
    snprintf (grantee, sizeof grantee, "m:%s", p->referring_member_id);
    sn_array_text (grantees, grantee);
    if (*p->referred_via) {
        snprintf (grantee, sizeof grantee, "m:%s", p->referred_via);
        sn_array_text (grantees, grantee);
    }
    for (size_t i = 0; i < p->n_consents; i++)
        if (p->consents [i]->revoked_at == 0) {
            snprintf (grantee, sizeof grantee, "k:%d:%d", p->consents [i]->member_kind, p->consents [i]->purpose);
            sn_array_text (grantees, grantee);
        }
}

//  A registry.person.* event whose body is the person: its own grantees,
//  replaced. Returns 0 or -1.
static int
s_apply_person (PGconn *db, const Snodo__Event *event)
{
    Snodo__Registry__Person *p = snodo__registry__person__unpack (NULL, event->body.len, event->body.data);
    if (!p || !sn_is_uuid (p->id)) {
        sn_error ("person access: event %llu (%s) does not hold a person", (unsigned long long) event->seq,
                    event->type);
        snodo__registry__person__free_unpacked (p, NULL);
        return -1;
    }
    sn_array_t grantees = {0};
    s_person_grantees (p, &grantees);
    const char *params [2] = {p->id, sn_array_end (&grantees)};
    PGresult *res = PQexecParams (db,
        "WITH gone AS (DELETE FROM person_access WHERE person_id = $1 AND via = 'person' "
        "              AND grantee <> ALL ($2::text [])) "
        "INSERT INTO person_access (person_id, grantee, via) "
        "SELECT DISTINCT $1::uuid, g, 'person' FROM unnest ($2::text []) AS g ON CONFLICT DO NOTHING",
        2, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    sn_array_free (&grantees);
    snodo__registry__person__free_unpacked (p, NULL);
    return rc;
}

//  registry.person.team_added or _removed: one member in or out of one of
//  the person's teams. Returns 0 or -1.
static int
s_apply_team (PGconn *db, const Snodo__Event *event, bool added)
{
    Snodo__Registry__TeamRequest *t = snodo__registry__team_request__unpack (NULL, event->body.len,
                                                                            event->body.data);
    if (!t || !sn_is_uuid (t->person_id)) {
        sn_error ("person access: event %llu (%s) does not hold a team change",
                    (unsigned long long) event->seq, event->type);
        snodo__registry__team_request__free_unpacked (t, NULL);
        return -1;
    }
    char grantee [96], via [96];
    snprintf (grantee, sizeof grantee, "m:%s", t->member_id);
    snprintf (via, sizeof via, "team:%s", t->pathway_id);
    const char *params [3] = {t->person_id, grantee, via};
    PGresult *res = PQexecParams (db, added
        ? "INSERT INTO person_access (person_id, grantee, via) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING"
        : "DELETE FROM person_access WHERE person_id = $1 AND grantee = $2 AND via = $3",
        3, NULL, params, NULL, NULL, 0);
    int rc = PQresultStatus (res) == PGRES_COMMAND_OK ? 0 : -1;
    PQclear (res);
    snodo__registry__team_request__free_unpacked (t, NULL);
    return rc;
}

int
registry_access_apply (PGconn *db, const Snodo__Event *event, void *arg)
{
    (void) arg;
    if (strncmp (event->type, "registry.person.", 16) != 0)
        return 0;
    int rc = streq (event->type, "registry.person.team_added") ? s_apply_team (db, event, true)
           : streq (event->type, "registry.person.team_removed") ? s_apply_team (db, event, false)
           : s_apply_person (db, event);
    if (rc)
        sn_error ("person access: event %llu (%s): %s", (unsigned long long) event->seq, event->type,
                    PQerrorMessage (db));
    return rc;
}
