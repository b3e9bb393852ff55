/*  sn_server_internal: what the parts of the server share. Private to the
    runtime: services include sn_server.h.

    The parts, one a file:
      sn_server.c           starting a server, its method tables
      sn_broker.c           the broker: frontend ROUTER, the requests shared among the workers
      sn_worker.c           a worker: opening a request, serving it alone or in a batch
      sn_tx.c               a worker's transaction: begin, pipeline, commit with the journal, rerun
      sn_call.c             the call, as handlers see it (sn_call_*)
      sn_relay.c            the relay: numbering, publishing, heartbeats, sealing
      sn_journal_methods.c  journal.Replay, Health, ListAudit, VerifyAudit
*/
#ifndef SN_SERVER_INTERNAL_H_INCLUDED
#define SN_SERVER_INTERNAL_H_INCLUDED

#include "sn_server.h"
#include "sn_journal.h"
#include <stdatomic.h>

#define SN_MAX_VIOLATIONS 32
//  BEGIN, two settings and a savepoint; or RELEASE and SAVEPOINT
#define SN_MAX_PENDING 6
#define SN_MAX_BATCH 64             //  most requests in a worker's batch
#define SN_MAX_DEFERRED 32          //  writes waiting to leave with the next statement
#define SN_DEFERRED_PARAMS 16       //  most parameters of a deferred write

//  A write whose result its handler does not read (sn_call_write), waiting
//  to leave with the transaction's next statement.
typedef struct {
    const char *name;               //  its prepared statement on the worker's connection
    int n;
    char *params [SN_DEFERRED_PARAMS];  //  copies; NULL for NULL
} sn_deferred_t;

//  The server as its threads share it: read only, but for published.
typedef struct {
    sn_server_config_t config;      //  copied; strings below own the copies
    char *request_endpoint;         //  copy
    char *events_endpoint;          //  copy
    char *conninfo;                 //  copy
    sn_service_t service;           //  copied
    char backend [64];              //  inproc endpoint of the workers
    char kick [64];                 //  inproc endpoint of the relay's kick socket
    char wake [64];                 //  inproc endpoint the relay tells the broker it published on
    int64_t started_at;             //  ms since the epoch
    atomic_uint_fast64_t published; //  the highest seq the relay published (or found numbered)
    atomic_uint parked;             //  requests waiting in the broker (journal.Follow)
} sn_server_core_t;

//  A worker: its connection and the transaction it has open.
typedef struct {
    sn_server_core_t *server;       //  shared, read only
    PGconn *db;                     //  own connection, NULL while down
    int64_t retry_at;               //  when to try connecting again
    int backoff_ms;                 //  grows while the database is down
    zsock_t *kick;                  //  PUSH to the relay
    zhashx_t *prepared;             //  SQL text -> name of its prepared statement on db
    const char *pending [SN_MAX_PENDING];   //  statements that leave with the next one
    int n_pending;
    char timeout_sql [64];          //  the pending statement_timeout
    bool in_tx;                     //  a transaction is open (or its BEGIN pending)
    bool synced;                    //  the last pipeline's sync came back
    enum {SN_SP_NONE, SN_SP_QUEUED, SN_SP_OPEN} savepoint;  //  the batch's savepoint
    bool defer;                     //  this run of the transaction may defer writes
    sn_deferred_t deferred [SN_MAX_DEFERRED];
    int n_deferred;
    bool deferred_failed;           //  a deferred write failed: the run is void, to run again
    int64_t now_ms;                 //  the transaction's now (), once read; -1 before
} sn_worker_t;

typedef struct {
    char field [96];                //  path of the bad field
    char description [160];         //  why
} sn_violation_t;

//  A subject of personal data a call touched, to audit with its outcome.
typedef struct {
    char *subject;                  //  the person's id (owned)
    int outcome;                    //  an item's own code, or -1: the call's
    bool item;                      //  an item of a batch: request_id is the item's
    uint8_t request_id [16];        //  the item's
} sn_audit_t;

//  The reply of an item of a batch, to store for retries of its request_id.
typedef struct {
    uint8_t request_id [16];        //  the item's
    char *method;                   //  the single method's full name (owned)
    uint8_t digest [SN_BODY_DIGEST];    //  of the item's input as the single method takes it
    zframe_t *reply;                //  a packed snodo.Reply
} sn_item_reply_t;

struct _sn_call_t {
    sn_worker_t *worker;            //  the worker serving it
    sn_server_core_t *server;       //  the server
    PGconn *db;                     //  the worker's connection
    const char *method;             //  "CreatePerson"
    const char *full_method;        //  "registry.CreatePerson"
    sn_member_info_t member;        //  the caller
    const char *purpose;            //  as sent
    int purpose_code;               //  snodo.Purpose
    const uint8_t *request_id;      //  16 bytes
    uint8_t body_digest [SN_BODY_DIGEST];   //  of the request's body: a retry must match it
    bool write;                     //  in a transaction
    bool ran;                       //  sent a statement
    int code;                       //  status code
    char message [512];             //  status message
    sn_violation_t violations [SN_MAX_VIOLATIONS];
    size_t n_violations;
    sn_audit_t *audits;             //  subjects to audit
    size_t n_audits;
    size_t max_audits;              //  allocated
    zlistx_t *events;               //  sn_event_t: written to the outbox at commit
    zlistx_t *item_replies;         //  sn_item_reply_t: a batch's items' stored replies, at commit
    size_t item_events;             //  the events named by items' replies so far
    int64_t received_ms;            //  when the broker took the request
    int64_t deadline;               //  when its client stops waiting
    int64_t park_until;             //  sn_call_park: wait in the broker until then (0: answer now)
    uint64_t park_seen;             //  ... or until an event above this seq is published
};

//  The most requests waiting in a server's broker at once: beyond, a
//  Follow answers at once with what there is (nothing), and its client
//  asks again.
#define SN_MAX_PARKED 4096

//  A reply frame of one byte, this, from a worker to the broker: the
//  request waits (sn_call_park). No Reply packs into one byte.
#define SN_PARKED_MARK 'P'

//  Asks for the call's request to wait in the broker, instead of its reply,
//  until an event above seen is published or until (ms since the epoch)
//  comes; then it is served again, as it came. Ignored when SN_MAX_PARKED
//  requests wait already.
void sn_call_park (sn_call_t *call, uint64_t seen, int64_t until);

//  An event a call emitted, until its transaction writes it.
typedef struct {
    uint8_t id [16];                //  its event_id, chosen here so the reply can name it
    char *type;                     //  "registry.person.created"
    char *subject;                  //  the id of what changed
    char *person;                   //  the person it is about (a UUID), or NULL
    uint8_t *body;                  //  the entity, packed
    size_t size;
} sn_event_t;

extern const sn_method_t sn_journal_methods [];

//  --- sn_call.c ---------------------------------------------------------------

//  A new call of server, on worker (zeroed; the caller fills the request's
//  parts). Free with sn_call_free.
sn_call_t *sn_call_new (sn_server_core_t *server, sn_worker_t *worker);
void sn_call_free (sn_call_t **call_p);

//  The purpose's number in snodo.Purpose, from its name in lower case
//  ("placement"; "" is PURPOSE_UNSPECIFIED, 0), or -1 when it is none.
int sn_purpose_code (const char *name);

//  The code a handler's return leaves on the call: the status it set wins.
int sn_call_handler_code (sn_call_t *call, int returned);

//  Packs a Reply. Caller owns the frame.
zframe_t *sn_reply_frame (const uint8_t *request_id, size_t id_len, int code, const char *message,
                          const sn_violation_t *violations, size_t n_violations,
                          const uint8_t *body, size_t body_len);

//  The same with a write's events: event_ids (n of 16 bytes) and after_seq.
zframe_t *sn_reply_frame_events (const uint8_t *request_id, size_t id_len, int code, const char *message,
                                 const sn_violation_t *violations, size_t n_violations,
                                 const uint8_t *body, size_t body_len,
                                 const uint8_t (*event_ids) [16], size_t n_events, uint64_t after_seq);

//  The call's reply: its status, and body when OK. Caller owns the frame.
zframe_t *sn_call_reply (sn_call_t *call, const uint8_t *body, size_t body_len);

//  Adds the call's audit entries, with its outcome, to rows.
void sn_call_journal_audits (sn_call_t *call, sn_journal_rows_t *rows);

//  Adds a committed write's events, audit entries and stored reply to rows.
void sn_call_journal_write (sn_call_t *call, sn_journal_rows_t *rows, zframe_t *reply);

//  --- sn_tx.c -----------------------------------------------------------------

//  Forgets the worker's transaction (after its connection was lost, say).
void sn_tx_reset (sn_worker_t *self);

//  Queues BEGIN and the settings of a transaction that writes, to leave with
//  the first statement. With defer, the handlers' writes that need no
//  result (sn_call_write) wait to leave with the next statement: a batch of
//  CreatePerson then costs two round trips instead of one a call. If one of
//  them fails, deferred_failed is set and the run is void: the caller runs
//  it again without (where each write's error comes back to its own call).
void sn_tx_begin (sn_worker_t *self, int64_t remaining_ms, bool defer);

//  Queues a savepoint before the next call of a batch (releasing the last).
void sn_tx_savepoint (sn_worker_t *self);

//  Ends the transaction without its work.
void sn_tx_rollback (sn_worker_t *self);

//  Undoes a failed call of a batch to its savepoint. Returns 0, or -1 when
//  the transaction cannot go on.
int sn_tx_undo_call (sn_worker_t *self, sn_call_t *call);

//  Sends whatever is pending. Returns the failed result of a pending
//  statement (caller PQclear's), or NULL when all went.
PGresult *sn_tx_flush (sn_worker_t *self);

//  Queues a write whose result is not read, when the transaction defers
//  (true); otherwise returns false and runs nothing.
bool sn_tx_defer (sn_worker_t *self, const char *sql, int n, const char *const *params, PGresult **error);

//  The transaction's now () in ms since the epoch, read once (with whatever
//  is pending); -1 on failure, with the failed result in *error.
int64_t sn_tx_now_ms (sn_worker_t *self, PGresult **error);

//  Runs a statement of a call in the worker's transaction (with whatever is
//  pending, in one pipeline). Like PQexecParams; caller PQclear's.
PGresult *sn_tx_exec (sn_worker_t *self, const char *sql, int n, const char *const *params,
                      const int *lengths, const int *formats, int result_format);

//  The journal and COMMIT, in one pipeline; the relay is kicked if events
//  were committed. Returns 0 when committed; 1 when a request_id is stored
//  already; -1 on error. On 1 and -1 the transaction is rolled back.
int sn_tx_commit (sn_worker_t *self, sn_journal_rows_t *rows, const char *what);

//  --- sn_worker.c -------------------------------------------------------------

//  The worker's actor: args is the sn_server_core_t.
void sn_worker_actor (zsock_t *pipe, void *args);

//  Opens a request frame as a worker does before it touches the database
//  (the envelope, the deadline from received_ms, the method, the caller
//  user_id, the purpose, the member kinds, the body) and serves nothing: for
//  the fuzzers. Returns the refusal a worker would send (caller destroys),
//  or NULL when the call would run; then *input is its unpacked body
//  (caller frees it with protobuf_c_message_free_unpacked) and *method its
//  row in the table. frame and user_id are borrowed.
zframe_t *sn_worker_open (sn_server_core_t *server, const char *user_id, int64_t received_ms, zframe_t *frame,
                          ProtobufCMessage **input, const sn_method_t **method);

//  Opens a request frame as sn_worker_open does and, when it would run,
//  serves it as a worker whose connection is db: for the fuzzers, with a
//  connection that is down, so that each handler's own checks run and its
//  first statement fails. Returns the reply (caller destroys). db, frame
//  and user_id are borrowed.
zframe_t *sn_worker_serve_on (sn_server_core_t *server, PGconn *db, const char *user_id, int64_t received_ms,
                              zframe_t *frame);

//  The worker's connection, (re)connecting when due. NULL while down.
PGconn *sn_worker_db (sn_worker_t *self);

//  The next wait before connecting again: twice the last, at most
//  SN_BACKOFF_MAX_MS.
#define SN_BACKOFF_MAX_MS 5000
static inline int
sn_backoff_next (int ms)
{
    return ms >= SN_BACKOFF_MAX_MS / 2 ? SN_BACKOFF_MAX_MS : ms * 2;
}

//  --- sn_relay.c, sn_broker.c --------------------------------------------------

//  The relay's actor: args is the sn_server_core_t. Sends "OK" or "ERROR"
//  on its pipe once it has bound (or not).
void sn_relay_actor (zsock_t *pipe, void *args);

//  The broker's actor (the server itself): args is the sn_server_core_t,
//  which it frees when it ends. Sends "OK" or "ERROR" once it serves.
void sn_broker_actor (zsock_t *pipe, void *args);

//  Frees what sn_server_new made.
void sn_server_core_free (sn_server_core_t *server);

#endif
