/*  br_store: the actors' database helpers. See br_store.h. */
#include "br_store.h"
#include "sn_log.h"
#include <czmq.h>
#include <signal.h>

PGresult *
br_sql (PGconn *db, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = PQexecParams (db, sql, n, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus (res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
        return res;
    sn_error ("bridge: %s: %s", what, PQerrorMessage (db));
    PQclear (res);
    return NULL;
}

int
br_run (PGconn *db, const char *what, const char *sql, int n, const char *const *params)
{
    PGresult *res = br_sql (db, what, sql, n, params);
    PQclear (res);
    return res ? 0 : -1;
}

void
br_fault (const char *point)
{
    const char *fault = getenv ("SNODO_BRIDGE_FAULT");
    if (fault && streq (fault, point)) {
        sn_warning ("bridge: fault %s: killing myself", point);
        raise (SIGKILL);
    }
}
