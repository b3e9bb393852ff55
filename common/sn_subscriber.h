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
*/
#ifndef SN_SUBSCRIBER_H_INCLUDED
#define SN_SUBSCRIBER_H_INCLUDED

#include "envelope.pb-c.h"
#include "sn_config.h"
#include "sn_store.h"
#include <czmq.h>
#include <libpq-fe.h>

//  Applies one event inside the subscriber's transaction. Returns 0, or -1 to
//  roll back and try the same event again later.
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
    void *arg;                      //  for apply, apply_page and on_connect
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
} sn_subscriber_config_t;

//  Starts a subscriber. Strings are copied; cert is borrowed.
//  zstr_send (sub, "CURSOR") answers with the last applied seq as text.
zactor_t *sn_subscriber_new (const sn_subscriber_config_t *config);

#endif
