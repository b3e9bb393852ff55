/*  br_store: the few helpers the bridge's actors share on their own
    database connections (the server's handlers use sn_call_query). Low
    level, but they log: the actors have no caller to tell. */
#ifndef BR_STORE_H_INCLUDED
#define BR_STORE_H_INCLUDED

#include <libpq-fe.h>

//  Runs sql with text parameters. Returns the result when it succeeded
//  (TUPLES_OK or COMMAND_OK; the caller clears it), or NULL after logging
//  "bridge: <what>: <the error>".
PGresult *br_sql (PGconn *db, const char *what, const char *sql, int n, const char *const *params);

//  The same for a statement whose rows are not wanted. Returns 0 or -1.
int br_run (PGconn *db, const char *what, const char *sql, int n, const char *const *params);

//  A test's fault point: when SNODO_BRIDGE_FAULT names point, the process
//  kills itself there, as kill -9 would (tests/bridge: a crash between two
//  steps). Does nothing otherwise.
void br_fault (const char *point);

#endif
