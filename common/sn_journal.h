/*  sn_journal: the journal's SQL, shared by the server's workers and relay:
    idempotency records, numbering the outbox, replay, and the audit seals.
    Every function takes a connection whose search_path is the service schema.
    Low level: no logging; errors go into err.
*/
#ifndef SN_JOURNAL_H_INCLUDED
#define SN_JOURNAL_H_INCLUDED

#include "envelope.pb-c.h"
#include "sn_array.h"
#include <libpq-fe.h>
#include <stdbool.h>
#include <stdint.h>

//  What one transaction writes to the journal: outbox events, audit entries
//  and stored replies, as the arrays of one statement (SN_JOURNAL_WRITE_SQL).
//  Zero it (or SN_JOURNAL_ROWS_INIT) before use; free with
//  sn_journal_rows_free.
typedef struct {
    sn_array_t members, methods, purposes, audited, outcomes, audit_ids;    //  audit
    sn_array_t event_ids, types, subjects, bodies;                          //  outbox
    sn_array_t request_ids, callers, called, digests, replies;              //  idempotency
    sn_array_t persons;                                                     //  outbox, after the rest
} sn_journal_rows_t;

//  The bytes of a request body's digest (BLAKE2b), kept with its reply.
#define SN_BODY_DIGEST 16

//  An event for the outbox: its id (16 bytes), type, subject, the person it
//  is about (a UUID; NULL or "" when none) and packed body. An event about a
//  person gets its audience as it is written: who may see the person then
//  (the schema's person_access).
void sn_journal_rows_event (sn_journal_rows_t *self, const uint8_t *event_id, const char *type,
                            const char *subject, const char *person, const uint8_t *body, size_t size);

//  An audit entry: who (member), what (method, "registry.GetPerson"), why
//  (purpose), about whom (subject), with what outcome (a snodo.Code), and
//  the request (16 bytes).
void sn_journal_rows_audit (sn_journal_rows_t *self, const char *member, const char *method,
                            const char *purpose, const char *subject, int outcome,
                            const uint8_t *request_id);

//  A stored reply for retries of request_id by member for method, with the
//  digest of the request's body (SN_BODY_DIGEST bytes).
void sn_journal_rows_reply (sn_journal_rows_t *self, const uint8_t *request_id, const char *member,
                            const char *method, const uint8_t *body_digest, const uint8_t *reply, size_t size);

//  How many events, audit entries and stored replies the rows hold.
size_t sn_journal_rows_events (const sn_journal_rows_t *self);
size_t sn_journal_rows_audits (const sn_journal_rows_t *self);
size_t sn_journal_rows_replies (const sn_journal_rows_t *self);

void sn_journal_rows_free (sn_journal_rows_t *self);

//  The statement that writes the rows, and its parameters (params must hold
//  SN_JOURNAL_WRITE_PARAMS; they point into the rows, valid until the rows
//  change). audits_only: the audit entries alone, outside a transaction (a
//  read's, a failed write's): half the statement's cost. Returns the SQL
//  and sets *n to the number of parameters it takes.
#define SN_JOURNAL_WRITE_PARAMS 16
const char *sn_journal_write_sql (sn_journal_rows_t *self, bool audits_only, const char **params, int *n);

//  Looks up a stored reply. Returns 1 and sets *reply (caller frees it) and
//  *len, 0 if none, -1 on error.
//  member_id, method and body_digest (when given, and stored) must match
//  the stored ones, else returns -2 (a request_id reused for something
//  else).
//  cache: the connection's prepared statements (see sn_store_query), or NULL.
int sn_journal_stored_reply (PGconn *db, void *cache, const uint8_t *request_id, const char *member_id,
                             const char *method, const uint8_t *body_digest, uint8_t **reply, size_t *len);

#define SN_JOURNAL_NUMBER_MAX 1000     //  the most events a numbering pass takes

//  Numbers committed, unnumbered outbox rows (up to SN_JOURNAL_NUMBER_MAX,
//  their bodies within SN_REPLAY_MAX_BYTES but the first) in one
//  transaction under the relay lock, in one round trip, with a statement
//  prepared once in cache (the connection's: sn_store_cache_new), and gives
//  them back in seq order as numbered->events (last_seq: the highest; none: 0).
//  The events' source is schema. Returns 0 (free with
//  sn_journal_replay_free) or -1.
int sn_journal_number_events (PGconn *db, void *cache, const char *schema, Snodo__ReplayReply *numbered,
                              char *err, size_t errlen);

//  The plan the numbering keeps on db (EXPLAIN, without costs), prepared in
//  cache (sn_store_cache_new) if it was not; NULL on failure. Caller frees.
char *sn_journal_number_plan (PGconn *db, void *cache);

//  An event from a row of res whose first columns are seq, event_id::text,
//  type, subject, at (ms since the epoch) and body. Malloc'ed throughout
//  (protobuf_c_message_free_unpacked frees it).
Snodo__Event *sn_journal_event_row (PGresult *res, int row, const char *source);

//  The most bytes of event bodies one Replay reply carries (beyond its
//  first event): a subscriber far behind catches up in several replies.
#define SN_REPLAY_MAX_BYTES (4 * 1024 * 1024)

//  Reads numbered events from from_seq on, at most max (and bodies of at
//  most SN_REPLAY_MAX_BYTES, but always the first), into a reply.
//  Also sets last_seq. Returns 0 or -1. The reply's events are owned by it:
//  free with sn_journal_replay_free.
int sn_journal_replay (PGconn *db, void *cache, const char *source, uint64_t from_seq, uint32_t max,
                       Snodo__ReplayReply *reply, char *err, size_t errlen);
void sn_journal_replay_free (Snodo__ReplayReply *reply);

//  Deletes the replies stored more than days ago: a retry after that is a
//  new request. Returns how many, or -1.
int sn_journal_forget (PGconn *db, int days);

//  The highest published seq, 0 if none; -1 on error.
int64_t sn_journal_last_seq (PGconn *db);

//  The most entries one batch takes, unless one transaction wrote more.
#define SN_JOURNAL_SEAL_MOST 5000

//  Seals the entries of the transactions finished since the last batch into
//  the next one (at most SN_JOURNAL_SEAL_MOST, unless one transaction wrote
//  more). Returns the number sealed (0 if none), or -1.
int sn_journal_seal (PGconn *db, const char *schema, const uint8_t *key, size_t keylen,
                     char *err, size_t errlen);

//  Seals batch after batch while each is cut at its size (more entries of
//  finished transactions wait), at most batches of them: a
//  backlog is worked off at up to batches times SN_JOURNAL_SEAL_MOST entries
//  a call. Returns the number sealed, or -1 (the batches sealed before the
//  error stay sealed).
int sn_journal_seal_backlog (PGconn *db, const char *schema, const uint8_t *key, size_t keylen,
                             int batches, char *err, size_t errlen);

//  The type of the event that publishes a seal (subject: the service).
#define SN_JOURNAL_SEALED "journal.audit.sealed"

//  Checks every sealed batch, then holds the seals other services witnessed
//  (req->witnessed, may be NULL) against them: a witnessed batch missing, or
//  different, or seen sealed twice, is a broken trail. Fills reply (ok,
//  counts, the last batch, the first bad batch and what; reply->problem is
//  malloc'ed, the caller frees it). Sealing publishes each batch as an
//  SN_JOURNAL_SEALED event, in the seal's transaction.
//  Returns 0 when the check could run (whatever it found), -1 on error.
int sn_journal_verify (PGconn *db, const uint8_t *key, size_t keylen, const Snodo__VerifyAuditRequest *req,
                       Snodo__VerifyAuditReply *reply, char *err, size_t errlen);

//  Keeps a seal that source, the service followed, published (an
//  SN_JOURNAL_SEALED event; a seal naming another source is refused) in the
//  witness table, in the caller's transaction; a batch seen
//  again with another hash is recorded as a conflict. Returns 1 when the
//  event was a seal, 0 when it was another event, -1 on error (a malformed
//  seal, or the statement failed; err filled).
int sn_journal_witness (PGconn *db, const char *source, const Snodo__Event *event, char *err, size_t errlen);

//  What this service witnessed of source: its latest seal, and the batches
//  seen sealed twice (at most 100). Fills reply (its seals malloc'ed: free
//  with snodo__witnessed_reply__free_unpacked). Returns 0 or -1.
int sn_journal_witnessed (PGconn *db, const char *source, Snodo__WitnessedReply *reply, char *err, size_t errlen);

#endif
