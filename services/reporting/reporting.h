/*  The reporting service: the network's figures from the registry's and
    monitoring's events (docs/reporting.md). Its state: the settings, the
    members (for the filters and the dashboard's sign-in), and where the
    sources are (for Rebuild). */
#ifndef REPORTING_H_INCLUDED
#define REPORTING_H_INCLUDED

#include "rep_report.h"
#include "reporting.pb-c.h"
#include "sn_server.h"
#include "sn_store.h"
#include "sn_subscriber.h"

#define REPORTING_THRESHOLD 5       //  counts 1..5 hidden outside their owner, unless the config says

typedef struct _reporting_t reporting_t;

extern const sn_migration_t reporting_migrations [];

//  A new state. auth (the members, borrowed) must outlive it; dashboard_url
//  is the address the one-time links start with ("http://127.0.0.1:7409").
reporting_t *reporting_new (sn_auth_t *auth, uint32_t threshold, const char *dashboard_url);
void reporting_destroy (reporting_t **self_p);

//  Where Rebuild replays from: the sources' request endpoints and keys, and
//  the service's certificate (borrowed, must outlive the state).
void reporting_set_sources (reporting_t *self, zcert_t *cert, const char *registry_request,
                            const char *registry_key, const char *monitoring_request, const char *monitoring_key);

sn_service_t reporting_service (reporting_t *self);
uint32_t reporting_threshold (reporting_t *self);
sn_auth_t *reporting_members (reporting_t *self);

//  Applies one event of the registry (persons, companies) or of monitoring
//  (pathways, services delivered, meetings) to the aggregates, inside the
//  subscriber's transaction. arg is unused. Returns 0, or -1 to try again.
int reporting_apply (PGconn *db, const Snodo__Event *event, void *arg);

//  The same without the aggregates: only the event's row (person, pathway,
//  ...). For Rebuild, which replays every event so, then recomputes.
int reporting_apply_rows (PGconn *db, const Snodo__Event *event);

//  Every aggregate again from the rows, in the caller's transaction.
//  Returns 0, or -1 (logged).
int reporting_recompute (PGconn *db);

//  Writes a one-time dashboard link for member into the database (inside
//  the caller's transaction) and fills url (the token in it) and
//  *expires_at (ms). Returns 0 or -1 (database error, logged).
int reporting_new_link (reporting_t *self, PGconn *db, const char *member_id, char *url, size_t size,
                        int64_t *expires_at);

#endif
