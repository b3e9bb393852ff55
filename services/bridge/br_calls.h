/*  br_calls: one record of the social record, as requests to the registry
    and monitoring made as the bridge's member, so that every rule and
    permission applies to it.

    A referral: registry.CreatePerson for the SSC of the person's ambito (or,
    when the bridge referred the person before, the person it finds),
    registry.GrantConsent for each consent given, monitoring.Refer. An
    update: registry.UpdatePerson (contact data), registry.RevokeConsent, or
    monitoring.Close as INTERRUPTED (the referral withdrawn).

    Each request's request_id is derived from the record's key, its
    content and the step: the same record sent again (after a crash, or in
    another file) makes the same requests, and the services apply each
    once. What may pass later (a service unreachable, a person the
    monitoring service has not heard of yet) is tried again; what a service
    refuses is the record's rejection, with the service's reason.
*/
#ifndef BR_CALLS_H_INCLUDED
#define BR_CALLS_H_INCLUDED

#include "br_reader.h"
#include "sn_client.h"
#include "sn_config.h"
#include <stdatomic.h>

typedef enum {
    BR_PENDING = 0,
    BR_ACCEPTED,                //  applied
    BR_REJECTED,                //  refused: by the reader, the bridge or a service
    BR_SKIPPED                  //  applied before (another file, or this one before a restart)
} br_outcome_t;

//  A record with what the bridge knows for it, and its outcome.
typedef struct {
    br_record_t record;
    char ssc [64];              //  a referral's: the SSC member of its ambito
    char person_id [40];        //  an update's referral's (or the referral's own, once applied)
    char pathway_id [40];
    bool registered;            //  a referral's phase 1 is done (its person and consents)
    br_outcome_t outcome;       //  BR_PENDING until known
    char reason [800];          //  why rejected or skipped
} br_item_t;

typedef struct _br_caller_t br_caller_t;

//  A caller as the bridge's member (cert borrowed; self_id its member id)
//  to the registry and monitoring. Returns NULL on bad input.
br_caller_t *br_caller_new (const char *self_id, zcert_t *cert, const sn_peer_t *registry,
                            const sn_peer_t *monitoring);
void br_caller_destroy (br_caller_t **self_p);

//  Applies a pending item's record in two phases: 1, its requests to the
//  registry (a referral's person and consents, an update's contact data or
//  consents); 2, its requests to monitoring (a referral's Refer, a
//  withdrawal's Close). Between them the monitoring service hears of the
//  persons just created: a batch runs phase 1 for all its items, then phase
//  2. Sets the outcome when the record is done (and person_id, pathway_id);
//  it stays BR_PENDING after phase 1 when phase 2 has work. Tries again what
//  may pass later until it passes or *stop is set. Returns 0, or -1 when
//  stopped before the phase ended (nothing recorded: the same requests
//  come again after a restart).
int br_caller_apply (br_caller_t *self, br_item_t *item, int phase, const atomic_bool *stop);

//  Phase 1 of n referrals (pending, their ssc known) with one
//  registry.CreatePersons: each item the record's person with its consents,
//  under the request_id CreatePerson would have (br_request_id "person").
//  An item the registry refused is the record's rejection; a person the
//  bridge referred before (ALREADY_EXISTS) is found and its consents
//  granted alone, as br_caller_apply does. A batch refused whole is applied
//  record by record (br_caller_apply). The batch's own request_id is
//  derived from the file's digest and the items' request_ids: the same
//  batch after a restart gets its stored reply, and any other batch holding
//  an item gets the item's. Returns 0, or -1 when stopped.
int br_caller_create_persons (br_caller_t *self, br_item_t **items, size_t n, const uint8_t digest [32],
                              const atomic_bool *stop);

//  Phase 2 of n registered referrals with monitoring.ReferBatch, items
//  under Refer's request_ids ("refer"); the items whose person monitoring
//  has not heard of yet go again, in a batch of their own (its next
//  round), for as long as br_caller_apply waits. Returns 0, or -1 when
//  stopped.
int br_caller_refer (br_caller_t *self, br_item_t **items, size_t n, const uint8_t digest [32],
                     const atomic_bool *stop);

//  The request_id of a record's step ("person", "consent.2", "refer", ...).
void br_request_id (const br_record_t *record, const char *step, uint8_t id [16]);

//  The request_id of a batch: of the file's digest, the method, the round
//  (0, then 1... for the items sent again) and the items' request_ids.
void br_batch_id (const uint8_t digest [32], const char *method, int attempt, const ProtobufCBinaryData *ids,
                  size_t n, uint8_t id [16]);

#endif
