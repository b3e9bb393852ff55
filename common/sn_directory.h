/*  sn_directory: the members of the network, for a service other than the
    registry.

    It follows the registry's events with an sn_subscriber: member events
    (registry.member.*) go into the service's directory table and its sn_auth
    table, so that the service's ZAP handler admits exactly the registry's
    unrevoked members; every other registry event goes to the service's own
    apply function, in the same transaction and under the same cursor. At
    every (re)connection the stored directory is loaded into sn_auth first,
    so a restarted service knows the network before it has caught up.

    A service admits itself (self_id, its own key) from the start: its own
    followers of its own events connect at once, and a connection that ZAP
    refused is not tried again by ZeroMQ.

    sn_directory_t *directory = sn_directory_new (&config);
    ...
    sn_directory_destroy (&directory);
*/
#ifndef SN_DIRECTORY_H_INCLUDED
#define SN_DIRECTORY_H_INCLUDED

#include "sn_auth.h"
#include "sn_config.h"
#include "sn_store.h"
#include "sn_subscriber.h"

typedef struct {
    const char *registry_request;   //  the registry's ROUTER, for Replay
    const char *registry_events;    //  the registry's PUB
    const char *registry_key;       //  the registry's public key (Z85)
    zcert_t *cert;                  //  the service's own (borrowed): a SERVICE member
    const char *conninfo;           //  the service's database
    const char *schema;             //  the service's schema
    const sn_migration_t *migrations;   //  the service's, applied before any event; may be NULL
    sn_auth_t *auth;                //  fed with the members (borrowed)
    const char *self_id;            //  the service's own member id ("monitoring"): admitted with
                                    //  cert's key from the start, until the registry says otherwise;
                                    //  may be NULL
    const char *admin_id;           //  the bootstrap operator (the registry's config); may be NULL
    const char *admin_key;          //  its public key (Z85)
    //  The registry's person events, for who may see each person (the
    //  schema's person_access: members' streams need it). NULL: nobody but
    //  services gets this service's events about persons.
    sn_apply_fn *access_apply;
    sn_apply_fn *apply;             //  other registry events; NULL: only members are kept
    sn_apply_page_fn *apply_page;   //  a page of other registry events, in one go; optional
    void *arg;                      //  for apply and apply_page
    sn_metrics_t *metrics;          //  where its lag behind the registry shows (borrowed); may be NULL
} sn_directory_config_t;

typedef struct _sn_directory_t sn_directory_t;

//  Starts following the registry. Strings are copied; cert and auth are
//  borrowed and must outlive the directory. Returns NULL on bad input.
sn_directory_t *sn_directory_new (const sn_directory_config_t *config);
void sn_directory_destroy (sn_directory_t **self_p);

//  The last registry event applied (the subscriber's cursor).
uint64_t sn_directory_cursor (sn_directory_t *self);

//  Applies a registry.member.* event to the directory table (in the caller's
//  transaction) and to auth; other events are left alone. Returns 1 if the
//  event was a member event, 0 if not, -1 on error (a malformed body or a
//  failed statement).
int sn_directory_apply (PGconn *db, const Snodo__Event *event, sn_auth_t *auth);

//  Where a service listens, as the stored directory says: the endpoints an
//  unrevoked member announced for it (the latest, if several did) and that
//  member's key. Returns 1 and fills peer; 0 when none is known; -1 on error.
int sn_directory_peer (PGconn *db, const char *service, sn_peer_t *peer);

//  Loads the stored directory into auth. Returns the number of members, or -1.
int sn_directory_load (PGconn *db, sn_auth_t *auth);

#endif
