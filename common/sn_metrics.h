/*  sn_metrics: a service's figures in the Prometheus text format (0.0.4),
    over HTTP (sn_http: its own polling thread, connection limits), on
    loopback unless the config says otherwise.

    The server's threads count into fixed tables of C11 atomics made once,
    before the first request: a request costs a few relaxed atomic adds and
    no allocation, and no lock. The values that live in the database (the
    audit entries awaiting a seal, the failed events parked) are read at
    scrape time on the HTTP thread's own connection, with a short connect
    and statement timeout; that read also says whether the database is
    reachable. docs/operations.md, "Metrics", lists every metric.

    sn_metrics_t *metrics = sn_metrics_new ("registry", conninfo);
    config.metrics = metrics;                       //  server, subscribers
    sn_metrics_serve (metrics, "127.0.0.1:9100", err, sizeof err);
    ...
    sn_metrics_destroy (&metrics);                  //  after what counts into it
*/
#ifndef SN_METRICS_H_INCLUDED
#define SN_METRICS_H_INCLUDED

#include "sn_server.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _sn_metrics_t sn_metrics_t;

//  The most sources one service's subscribers follow (beyond, not shown).
#define SN_METRICS_SOURCES 16

//  Makes the tables of service (its schema, for the database's figures);
//  conninfo is copied and may be NULL (no database figures). Never NULL.
sn_metrics_t *sn_metrics_new (const char *service, const char *conninfo);

//  Stops the endpoint and frees. Whatever counts into it (server,
//  subscribers) must have ended. Nulls the pointer; NULL does nothing.
void sn_metrics_destroy (sn_metrics_t **self_p);

//  Starts the endpoint on listen: "address:port", or "port" alone for
//  127.0.0.1; port 0 takes a free one. Returns 0, or -1 with err filled.
int sn_metrics_serve (sn_metrics_t *self, const char *listen, char *err, size_t errlen);

//  The port the endpoint listens on, or 0 when it does not.
int sn_metrics_port (sn_metrics_t *self);

//  The exposition text as a scrape gets it. Caller frees. The endpoint's
//  handler; elsewhere only while the endpoint is off (the database
//  connection is the HTTP thread's).
char *sn_metrics_render (sn_metrics_t *self);

//  --- for the runtime --------------------------------------------------------

//  The method tables, once, before the first request: the service's
//  (named "<service>.<rpc>") and the journal's ("journal.<rpc>"); the
//  pointers are kept to find a row's index. A second call does nothing
//  (a server of the tests started again). Not thread-safe: before the
//  workers start.
void sn_metrics_methods (sn_metrics_t *self, const sn_method_t *methods, const sn_method_t *journal);

//  One request answered: its method's row (NULL: none was named, or an
//  unknown one), its code (snodo.Code), how long since the broker took it.
//  Lock-free, no allocation; any thread. self may be NULL (nothing kept).
void sn_metrics_request (sn_metrics_t *self, const sn_method_t *method, int code, int64_t duration_us);

//  One hand-over to a worker of n requests (served in one transaction).
//  self may be NULL, as for the calls below.
void sn_metrics_batch (sn_metrics_t *self, size_t n);

//  One round trip of a worker's transaction to the database (a pipeline of
//  several statements counts once).
void sn_metrics_round_trip (sn_metrics_t *self);

//  The highest seq the relay published.
void sn_metrics_published (sn_metrics_t *self, uint64_t seq);

//  A subscriber's slot for source, or -1 when the table is full. Takes a
//  lock: once per subscriber.
int sn_metrics_source (sn_metrics_t *self, const char *source);

//  A subscriber's position: the highest seq heard of (an event, a
//  heartbeat, a Replay's last_seq) and its cursor. Lock-free.
void sn_metrics_lag (sn_metrics_t *self, int slot, uint64_t heard, uint64_t cursor);

#endif
