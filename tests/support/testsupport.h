/*  Test support: a database of one's own in the throwaway cluster, a real
    registry on loopback with CURVE, and members to call it as. */
#ifndef TESTSUPPORT_H_INCLUDED
#define TESTSUPPORT_H_INCLUDED

#include "registry.h"
#include <stdbool.h>
#include "sn_client.h"
#include "sn_server.h"
#include <czmq.h>
#include <libpq-fe.h>

//  The test cluster's superuser conninfo for a database ("postgres" if NULL).
//  Caller frees. NULL if SNODO_TEST_PGHOST is not set.
char *ts_conninfo (const char *dbname, const char *user);

//  Creates a database of its own (and the role "registry" if missing) and
//  returns its name. Caller frees.
char *ts_db_create (const char *prefix);
void ts_db_drop (const char *dbname);

//  A superuser connection to a test database, for checks. Caller PQfinish'es.
PGconn *ts_db_connect (const char *dbname);

//  One SQL statement that must succeed; returns the first value of the first
//  row (caller frees) or "" for none.
char *ts_sql (PGconn *db, const char *sql);

typedef struct {
    char *dbname;               //  its database
    char *conninfo;             //  as role registry
    sn_auth_t *auth;            //  the members' keys
    zactor_t *zap;              //  the ZAP handler
    registry_t *registry;       //  the service state
    zactor_t *server;           //  the running server
    zcert_t *cert;              //  the server's certificate
    zcert_t *admin;             //  the operator's certificate
    char *request;              //  bound endpoint
    char *events;               //  bound endpoint
    uint8_t audit_key [32];
} ts_registry_t;

//  Starts a registry on tcp://127.0.0.1:* over a new database.
ts_registry_t *ts_registry_start (const char *prefix, int workers);
//  Stops the server (the database stays until ts_registry_destroy).
void ts_registry_stop_server (ts_registry_t *self);
//  Starts the server again over the same database, on new ports.
void ts_registry_restart_server (ts_registry_t *self, const char *conninfo);
void ts_registry_destroy (ts_registry_t **self_p);

//  A client as the operator.
sn_client_t *ts_admin_client (ts_registry_t *self);
//  Registers a member of kind (ambito may be NULL) and returns a client as it.
//  If cert_out is given, the member's certificate is returned too (caller destroys).
sn_client_t *ts_member_client (ts_registry_t *self, const char *id, int kind, const char *ambito,
                               zcert_t **cert_out);

//  Registers a member of kind SERVICE (a Snodo service: monitoring, matching)
//  and returns its certificate, which it serves with and calls others with.
//  Caller destroys.
zcert_t *ts_service_cert (ts_registry_t *self, const char *id);

//  The test database's conninfo as a service's role ("monitoring",
//  "matching"). Caller frees.
char *ts_service_conninfo (ts_registry_t *self, const char *role);

//  Starts another service's server on tcp://127.0.0.1:* with the registry's
//  auth table (one ZAP handler per process), 4 workers. Sets *request and
//  *events (caller frees). cert is borrowed and must outlive the server.
zactor_t *ts_server_start (ts_registry_t *self, const sn_service_t *service, const char *conninfo,
                           zcert_t *cert, char **request, char **events);

//  A client of endpoint as cert, to a server serving with server_cert.
sn_client_t *ts_client_as (const char *endpoint, zcert_t *cert, zcert_t *server_cert);

//  Polls done (every 20 ms) until it holds or timeout_ms passes. Returns
//  whether it held. For what another service applies from events.
bool ts_wait (bool (*done) (void *arg), void *arg, int timeout_ms);

//  Runs the snodoctl binary with dir/snodo.cfg and these arguments (printf
//  style); its stdout goes to dir/out.txt, its stderr to dir/err.txt.
//  Returns its exit code (-1 if it did not exit).
int ts_snodoctl (const char *dir, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

//  The text of dir/name (at most 64 KiB). Caller frees.
char *ts_read (const char *dir, const char *name);

//  A valid codice fiscale for the n-th synthetic person (distinct for each n).
void ts_codice_fiscale (int n, char *out);

//  A valid person to create (strings point into statics and out): free nothing.
void ts_person_init (Snodo__Registry__Person *person, int n, char *cf_out);

#endif
