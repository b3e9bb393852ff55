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

#define TS_KIND(x) SNODO__MEMBER_KIND__MEMBER_KIND_##x
#define TS_CODE(x) SNODO__CODE__##x

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

//  The same on a connection of its own to dbname, the SQL made printf style.
char *ts_value (const char *dbname, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

//  ts_value as a number: a count, most of the time.
long ts_count (const char *dbname, const char *fmt, ...) __attribute__ ((format (printf, 2, 3)));

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

//  The start of a benchmark's main: exits with 2 unless run by deploy/snodo
//  bench (which starts a throwaway cluster), starts zsys without logging,
//  and returns the seconds of a step: argv [1], 3 by default.
double ts_bench_start (const char *name, int argc, char *argv []);

//  A subscriber's cursor (sn_subscriber's CURSOR command): its last applied seq.
uint64_t ts_subscriber_cursor (zactor_t *subscriber);

//  Microseconds on the monotonic clock, for benchmarks' latencies.
int64_t ts_usec (void);

//  --- raw requests: a DEALER of one's own, to send without waiting ----------

//  A DEALER as cert to endpoint (a server with server_key). Caller destroys.
zsock_t *ts_dealer (const char *endpoint, zcert_t *cert, const char *server_key);

//  Sends one request: request_id (16 bytes), method, purpose, deadline, body.
void ts_send (zsock_t *dealer, const uint8_t *request_id, const char *method, const char *purpose,
              uint32_t deadline_ms, const ProtobufCMessage *body);

//  Waits up to timeout_ms for n replies and puts them in the order of ids
//  (by request_id; the caller destroys them). Returns how many came.
size_t ts_replies (zsock_t *dealer, uint8_t ids [][16], size_t n, zframe_t **replies, int timeout_ms);

//  A reply frame's status code; with desc, its body unpacked into *body
//  when OK (caller frees; NULL otherwise).
int ts_reply_code (zframe_t *frame, const ProtobufCMessageDescriptor *desc, ProtobufCMessage **body);

//  --- persons and snodoctl ------------------------------------------------------

//  Creates person n as client (ts_person_init). Returns its id (caller
//  frees), or NULL with the code in *code (which may be NULL).
char *ts_create_person (sn_client_t *client, int n, int *code);

//  A company (partita IVA piva, name, employees, ambito) and one job post of
//  it (places, weekly hours), made in reg's registry as the operator; their
//  ids into company_id and post_id. Returns the code of the call that
//  failed, with its result, or OK.
typedef struct {
    const char *piva;
    const char *name;
    uint32_t employees;
    uint32_t places;
    uint32_t weekly_hours;
    const char *ambito;         //  may be NULL
} ts_company_post_t;
int ts_company_post (ts_registry_t *reg, const ts_company_post_t *spec, char company_id [37], char post_id [37],
                     sn_result_t *result);

//  Makes a folder for ts_snodoctl from dir (a mkdtemp template): a config
//  naming reg's registry and, when service is not NULL, that service at
//  request with service_cert's key; the operator's certificate and, when
//  member_cert is not NULL, member's; snodoctl acts as identity ("admin",
//  or member) unless told --as another.
void ts_snodoctl_dir (char *dir, ts_registry_t *reg, const char *identity, const char *member,
                      zcert_t *member_cert, const char *service, const char *request, zcert_t *service_cert);

//  A valid codice fiscale for the n-th synthetic person (distinct for each n).
void ts_codice_fiscale (int n, char *out);

//  A valid person to create (strings point into statics and out): free nothing.
void ts_person_init (Snodo__Registry__Person *person, int n, char *cf_out);

#endif
