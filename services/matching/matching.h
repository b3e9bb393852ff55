/*  The matching service: which person fits which job post, and why (MELBA).

    It keeps what it needs of the registry's persons, teams, posts and
    companies (from the registry's events, through sn_directory) and of
    monitoring's pathways (through an sn_subscriber), in its schema and in an
    in-memory index (match_index) that every query scans. Proposals are its
    own: recorded, answered, and announced by event. See docs/matching.md. */
#ifndef MATCHING_H_INCLUDED
#define MATCHING_H_INCLUDED

#include "match_index.h"
#include "matching.pb-c.h"
#include "monitoring.pb-c.h"
#include "sn_server.h"
#include "sn_subscriber.h"

//  The numbers of the proto's enums as SQL text writes them (SN_SQL),
//  checked against the enums when this compiles.
#define MATCH_SQL_PROJECT 5         //  PathwayState
#define MATCH_SQL_AGREEMENT 6
#define MATCH_SQL_ACTIVE 7
#define MATCH_SQL_SUSPENDED 8
#define MATCH_SQL_CLOSED_PATHWAY 9
#define MATCH_SQL_ACCEPTED 2        //  ProposalStatus
#define MATCH_SQL_CLOSED 4
SN_SQL_CHECK (MATCH_SQL_PROJECT, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_PROJECT);
SN_SQL_CHECK (MATCH_SQL_AGREEMENT, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_AGREEMENT);
SN_SQL_CHECK (MATCH_SQL_ACTIVE, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_ACTIVE);
SN_SQL_CHECK (MATCH_SQL_SUSPENDED, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_SUSPENDED);
SN_SQL_CHECK (MATCH_SQL_CLOSED_PATHWAY, SNODO__MONITORING__PATHWAY_STATE__PATHWAY_STATE_CLOSED);
SN_SQL_CHECK (MATCH_SQL_ACCEPTED, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_ACCEPTED);
SN_SQL_CHECK (MATCH_SQL_CLOSED, SNODO__MATCHING__PROPOSAL_STATUS__PROPOSAL_STATUS_CLOSED);

typedef struct _matching_t matching_t;

//  Creates the service's state with an empty index. NULL when out of memory.
matching_t *matching_new (void);
void matching_destroy (matching_t **self_p);

//  The service description for sn_server_new; state points to self.
sn_service_t matching_service (matching_t *self);

extern const sn_migration_t matching_migrations [];
extern const sn_method_t matching_methods [];
//  Who may follow the proposals in their own streams (journal.Follow): the
//  kinds that may read them, each only about the persons it may see.
extern const sn_stream_t matching_streams [];

mi_index_t *matching_index (matching_t *self);

//  A ranking says how many eligible persons the caller may not see only when
//  they are at least this many (DESIGN.md: small counts are suppressed);
//  fewer are "a few". Config matching/small_count; at least 1.
#define MATCHING_SMALL_COUNT 5
void matching_set_small_count (matching_t *self, uint32_t threshold);
uint32_t matching_small_count (matching_t *self);

//  Connects to conninfo, applies the migrations and loads the stored persons,
//  teams, posts and pathways into the index. Call it before the followers
//  start (so that nothing they apply is overwritten). Returns 0, or -1 with
//  err filled.
int matching_start (matching_t *self, const char *conninfo, char *err, size_t errlen);

//  Applies a registry event (persons, teams, posts, companies; others are
//  ignored) to the schema, in the caller's transaction, and to the index.
//  For sn_directory's apply; arg is the matching_t. Returns 0 or -1.
int matching_apply_registry (PGconn *db, const Snodo__Event *event, void *arg);

//  Applies a monitoring event (monitoring.pathway.*: the pathway after the
//  change): records the pathway with its post (a project holds a place of
//  it), closes the proposals accepted for it when it closed, counts the
//  places held on the posts concerned, and marks its person engaged or not.
//  For an sn_subscriber on source "monitoring"; arg is the matching_t.
//  Returns 0 or -1. What it changes in the index waits for the
//  transaction's commit: the subscriber's begun and committed are the two
//  below.
int matching_apply_monitoring (PGconn *db, const Snodo__Event *event, void *arg);

//  A transaction applying monitoring events begins: what a try rolled back
//  kept aside for the index is dropped.
void matching_monitoring_begun (void *arg);

//  It committed: the index takes the places held it counted and marks its
//  persons engaged or not.
void matching_monitoring_committed (void *arg);

//  True for the pathway states that engage a person (PROJECT to SUSPENDED).
bool matching_state_engages (int state);

#endif
