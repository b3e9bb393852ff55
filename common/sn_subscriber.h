/*  sn_subscriber: applies a source's events exactly once in effect.

    Subscribes to every event of a source's PUB socket and keeps a cursor
    (source, last applied seq) in the subscriber's schema, updated in the same
    transaction as the event's effects. On start, on a gap in seq, and when a
    heartbeat shows events it has not seen, it asks the source for
    journal.Replay from the cursor on; events at or below the cursor are
    skipped. (The Clone pattern of the ZeroMQ guide.) A subscriber that hears
    nothing from the source for 5 s, not even a heartbeat, connects again
    with a new socket: a source restarted elsewhere, or one whose ZAP handler
    refused it before it knew its key (ZeroMQ does not retry a refusal).

    An event whose apply fails (not because the database is down) is tried
    again after a back-off that doubles, a few times, then parked in the
    service's failed_event table with the error (sn_failed.h). Where its type
    is safe to pass (pass_types), the cursor moves past it in the parking
    transaction; otherwise the subscriber stops at it, applying nothing more
    of the source, until an operator retries or skips it
    (journal.RetryFailed, SkipFailed), which it sees within a second.
    docs/operations.md, "Failed events".
*/
#ifndef SN_SUBSCRIBER_H_INCLUDED
#define SN_SUBSCRIBER_H_INCLUDED

#include "envelope.pb-c.h"
#include "sn_config.h"
#include "sn_store.h"
#include <czmq.h>
#include <libpq-fe.h>

typedef struct _sn_metrics_t sn_metrics_t;

//  What an apply function returns besides 0 (applied): the event cannot be
//  applied (rolled back; counted: tried again with back-off, then parked),
//  or not now, for a reason outside the event (a peer service that does not
//  answer: rolled back and tried again later, never parked). A lost
//  database connection is never counted, whatever was returned.
#define SN_APPLY_FAILED (-1)
#define SN_APPLY_AGAIN (-2)

//  Applies one event inside the subscriber's transaction. Returns 0,
//  SN_APPLY_FAILED or SN_APPLY_AGAIN.
typedef int (sn_apply_fn) (PGconn *db, const Snodo__Event *event, void *arg);

//  Applies a page of events (n of them, in order, their seqs following each
//  other) inside the subscriber's transaction: what apply would do with each,
//  in fewer statements (the rows of all of them in one). Returns 0, or -1 to
//  roll back the page, which is then applied one event at a time with apply.
typedef int (sn_apply_page_fn) (PGconn *db, Snodo__Event *const *events, size_t n, void *arg);

typedef struct {
    const char *source;             //  "registry"
    const char *events_endpoint;    //  the source's PUB (NULL: ask resolve)
    const char *request_endpoint;   //  the source's ROUTER, for Replay (NULL: ask resolve)
    const char *server_key;         //  the source's public key, Z85 (NULL: ask resolve)
    zcert_t *cert;                  //  ours (borrowed; a SERVICE or ADMIN member)
    const char *conninfo;           //  our database
    const char *schema;             //  our schema (journal tables, cursor)
    sn_apply_fn *apply;             //  what an event does here
    //  What a page of them does (a backlog, a Replay's reply), in one go.
    //  Optional: without it, apply takes each.
    sn_apply_page_fn *apply_page;
    void *arg;                      //  for apply, apply_page, begun, committed and on_connect
    //  What apply keeps outside the database (an index in memory) must
    //  follow its transaction: begun is called as each transaction that
    //  applies events begins, committed once it has committed. apply keeps
    //  its changes in memory aside until committed makes them good; begun
    //  drops what a try rolled back left there. Optional (both or neither);
    //  called on the subscriber's thread.
    void (*begun) (void *arg);
    void (*committed) (void *arg);
    //  The subscriber's own migrations (after the journal's), so that the
    //  tables apply writes exist before the first event. May be NULL.
    const sn_migration_t *migrations;
    //  Called after every (re)connection, once the cursor is read. Optional;
    //  -1 drops the connection and tries again later.
    int (*on_connect) (PGconn *db, void *arg);
    //  Where the source is now: asked at start when the endpoints above are
    //  NULL (until it answers), and again whenever the source has gone
    //  quiet, for it may have moved. Returns 1 with peer filled, 0 when not
    //  known (yet), -1 on error. Optional (sn_directory_peer is one).
    int (*resolve) (PGconn *db, const char *source, sn_peer_t *peer);
    //  Tries an event gets before it is parked (0: 5), and the wait after
    //  the first failed one, doubled after each (0: 500 ms).
    int max_attempts;
    int backoff_ms;
    //  Prefixes of the event types that are safe to pass once parked (no
    //  later event builds on them), ending with NULL; borrowed, must
    //  outlive the subscriber. NULL: none is, and the subscriber stops at a
    //  parked event until an operator decides.
    const char *const *pass_types;
    //  Where its lag behind the source is shown (borrowed, must outlive
    //  the subscriber); NULL: nowhere.
    sn_metrics_t *metrics;
} sn_subscriber_config_t;

//  The pass_types of Snodo's own subscribers: the audit seals, which are
//  witnesses only (a missed one leaves the trail's chain and the later
//  seals to check it by).
extern const char *const sn_subscriber_pass_seals [];

//  Says why the apply (or apply_page) running on this thread fails, for the
//  failed event's row; without it the row keeps the database's last error
//  on the subscriber's connection. Call it from an apply function only.
void sn_subscriber_error (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

//  Starts a subscriber. Strings are copied; cert is borrowed.
//  zstr_send (sub, "CURSOR") answers with the last applied seq as text.
zactor_t *sn_subscriber_new (const sn_subscriber_config_t *config);

#endif
