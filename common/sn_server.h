/*  sn_server: the runtime every Snodo service stands on.

    A frontend ROUTER (CURVE, ZAP domain "snodo") takes requests; a broker hands
    each to the least recently used of a pool of worker threads, each with its
    own PGconn. A worker checks the envelope, the caller (from the ZAP User-Id),
    the member kinds the method allows, unpacks the body through the service's
    protobuf-c descriptor and calls the handler. A method that changes state
    runs in one transaction that also writes the idempotency record, the outbox
    events and the audit entries; the reply leaves only after COMMIT. A relay
    thread numbers committed events, publishes them on the PUB socket (ZAP
    domain "snodo.events"), sends heartbeats and seals the audit trail.

    zactor_t *server = sn_server_new (&config, &service);   // NULL on failure
    zstr_sendx (server, "ENDPOINTS", NULL);                // -> request, events
    zactor_destroy (&server);                               // clean stop
*/
#ifndef SN_SERVER_H_INCLUDED
#define SN_SERVER_H_INCLUDED

#include "envelope.pb-c.h"
#include "sn_auth.h"
#include "sn_store.h"
#include <czmq.h>
#include <libpq-fe.h>
#include <stdbool.h>

typedef struct _sn_call_t sn_call_t;
typedef struct _sn_metrics_t sn_metrics_t;

//  A handler: serves one call of its method. input is the request's body,
//  unpacked with the method's input descriptor: the runtime owns it and
//  frees it after the call, and the handler may take parts of it (a
//  sub-message moved into its output), leaving NULL (or the default) in
//  their place; a handler that only reads it says so with a const pointer of
//  its own type. It writes *output, a message the runtime frees with
//  protobuf_c_message_free_unpacked (output, NULL) (build it with
//  sn_message_new or sn_json_to_message). Returns OK, or any other code after
//  sn_call_fail (whose code and message win), and *output is left NULL.
typedef int (sn_handler_fn) (sn_call_t *call, ProtobufCMessage *input, ProtobufCMessage **output);

#define SN_WRITE     1  //  changes state: transaction, idempotency, events
#define SN_PERSONAL  2  //  touches personal data: needs a purpose, is audited
#define SN_NO_DB     4  //  answered without the database, even while it is down

#define SN_KIND(k)   (1u << (SNODO__MEMBER_KIND__MEMBER_KIND_##k))
_Static_assert (SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN < 32, "a method's kinds are bits of a uint32_t");
#define SN_ANY_KIND  0xFFFFFFFEu

//  SN_SQL and SN_SQL_CHECK (a proto enum's number in SQL text): sn_store.h.

//  The member kinds as SQL text writes them.
#define SN_SQL_PROVINCIA 1
#define SN_SQL_CPI 2
#define SN_SQL_SERVICE 11
#define SN_SQL_ADMIN 12
SN_SQL_CHECK (SN_SQL_PROVINCIA, SNODO__MEMBER_KIND__MEMBER_KIND_PROVINCIA);
SN_SQL_CHECK (SN_SQL_CPI, SNODO__MEMBER_KIND__MEMBER_KIND_CPI);
SN_SQL_CHECK (SN_SQL_SERVICE, SNODO__MEMBER_KIND__MEMBER_KIND_SERVICE);
SN_SQL_CHECK (SN_SQL_ADMIN, SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN);

typedef struct {
    const char *name;           //  the rpc as in the service descriptor: "CreatePerson"; NULL ends
    sn_handler_fn *handler;     //  its handler, named after it: s_create_person
    uint32_t kinds;             //  SN_KIND (SIL) | ...: the member kinds allowed
    int flags;                  //  SN_WRITE, SN_PERSONAL, SN_NO_DB
} sn_method_t;

//  A row of a method table, so that a search for the rpc's name lands on its
//  handler: SN_METHOD (CreatePerson, s_create_person, kinds, flags). A table
//  ends with SN_METHODS_END.
#define SN_METHOD(rpc, handler, kinds, flags) {#rpc, handler, kinds, flags}
#define SN_METHODS_END {NULL, NULL, 0, 0}

//  Which member kinds may follow which of a service's events in their own
//  streams (journal.Follow): the types that start with prefix, for kinds.
//  The journal's own events ("journal.") are for every member; a type no
//  rule names is for services only. Of the events about a person, a member
//  gets only those of persons it could see when the event was written.
typedef struct {
    const char *prefix;         //  "registry.person."; NULL ends the table
    uint32_t kinds;             //  SN_KIND (SIL) | ...
} sn_stream_t;

typedef struct {
    const char *name;                               //  "registry": schema, method prefix, event source
    const ProtobufCServiceDescriptor *descriptor;   //  the service's methods and messages
    const sn_method_t *methods;                     //  the handlers, ending with {NULL}
    const sn_migration_t *migrations;               //  the service's sql/, ending with {NULL}
    void *state;                                    //  the service's own, for handlers
    //  Called by a worker on every (re)connection, after migrations. Optional.
    int (*on_connect) (void *state, PGconn *db);
    //  Called after a write committed, before the reply leaves. Optional.
    void (*after_commit) (void *state, const char *method, const ProtobufCMessage *output);
    //  Who may follow which events (journal.Follow), ending with {NULL}.
    //  NULL: the journal's events only, and everything for services.
    const sn_stream_t *streams;
} sn_service_t;

typedef struct {
    const char *request_endpoint;   //  to bind, "tcp://127.0.0.1:7401" or "tcp://127.0.0.1:*"
    const char *events_endpoint;    //  to bind
    const char *conninfo;           //  libpq connection string
    zcert_t *cert;                  //  the server's certificate (borrowed, must outlive)
    sn_auth_t *auth;                //  the members' keys (borrowed, must outlive)
    int workers;                    //  0 = sn_server_default_workers ()
    size_t max_message;             //  0 = 1 MiB; larger requests get RESOURCE_EXHAUSTED
    int hwm;                        //  0 = 1000 messages per socket
    int default_deadline_ms;        //  0 = 10000
    const uint8_t *audit_key;       //  key of the audit seals (HMAC-SHA256); may be NULL
    size_t audit_key_len;
    int relay_interval_ms;          //  heartbeat and sealing period, 0 = 1000
    int idempotency_days;           //  how long replies are kept for retries, 0 = 7
    int batch;                      //  most requests a worker serves in one transaction, 0 = 16 (<= 64)
    sn_metrics_t *metrics;          //  counted into (borrowed, must outlive); NULL = not counted
} sn_server_config_t;

//  One method table from several, in order, for sn_service_t.methods: a
//  service keeps a table per file. tables ends with NULL, each table with
//  {NULL}. Caller frees.
sn_method_t *sn_methods_join (const sn_method_t *const *tables);

//  Checks a method table against its service descriptor, both ways: every
//  rpc has exactly one row, every row names an rpc, and every row has a
//  handler. Returns 0, or -1 with err naming the first method at fault
//  ("rpc registry.Registry.GetPerson has no handler").
int sn_methods_check (const ProtobufCServiceDescriptor *descriptor, const sn_method_t *methods,
                      char *err, size_t errlen);

//  Starts a server. Returns NULL (and logs why) when its method table does
//  not match its descriptor (sn_methods_check) or it cannot bind.
//  The config's strings are copied; cert, auth and audit_key are borrowed.
zactor_t *sn_server_new (const sn_server_config_t *config, const sn_service_t *service);

//  The workers a server runs when its config says 0: one per core, at least
//  2 and at most 16. The services share the cores with PostgreSQL: more
//  workers than cores run more transactions side by side, each with fewer
//  of the requests waiting (docs/operations.md has the measurements).
int sn_server_default_workers (void);

//  Asks a running server for its bound endpoints. Caller owns both strings.
int sn_server_endpoints (zactor_t *server, char **request, char **events);

//  --- for handlers -------------------------------------------------------

PGconn *sn_call_db (sn_call_t *call);
void *sn_call_state (sn_call_t *call);
const char *sn_call_method (sn_call_t *call);        //  "CreatePerson"
const char *sn_call_member_id (sn_call_t *call);
int sn_call_member_kind (sn_call_t *call);
const char *sn_call_member_ambito (sn_call_t *call);
const char *sn_call_purpose (sn_call_t *call);       //  "placement", ... may be ""
int sn_call_purpose_code (sn_call_t *call);          //  snodo.registry.Purpose
bool sn_call_is_write (sn_call_t *call);
int sn_call_code (sn_call_t *call);                  //  the status set so far (OK if none)

//  Runs a statement on the call's connection, as a statement prepared once per
//  connection (keyed by the SQL text). Like PQexecParams; the caller PQclear's.
PGresult *sn_call_exec (sn_call_t *call, const char *sql, int n, const char *const *params,
                        const int *lengths, const int *formats, int result_format);

//  A write whose result the handler does not read (no rows, no count): an
//  INSERT or UPDATE whose failure fails the call. When the worker's run
//  defers writes, it leaves with the transaction's next statement, so a
//  batch of such calls costs two round trips instead of one a call; if it
//  fails there, the run is void, and the worker runs it again without
//  deferring, where the error comes back here. Returns 0, or the code with
//  the call's status set (saying what failed), as sn_call_query does.
int sn_call_write (sn_call_t *call, const char *what, const char *sql, int n, const char *const *params);

//  The transaction's now () in ms since the epoch (what a DEFAULT now ()
//  stores, to the ms), read once a transaction; -1 with the call's status
//  set on failure.
int64_t sn_call_now_ms (sn_call_t *call);

//  Sets the call's status. Returns code, for "return sn_call_fail (...)".
int sn_call_fail (sn_call_t *call, int code, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));

//  Records a bad field; a handler that recorded any returns
//  sn_call_invalid (call) (INVALID_ARGUMENT with every violation).
void sn_call_violation (sn_call_t *call, const char *field, const char *fmt, ...)
    __attribute__ ((format (printf, 3, 4)));
size_t sn_call_violations (sn_call_t *call);
int sn_call_invalid (sn_call_t *call);

//  A failed statement: maps the error to a code, logs it, sets the status,
//  clears res. Returns the code.
int sn_call_db_error (sn_call_t *call, PGresult *res, const char *what);

//  The largest event body: Replay answers with many events at once, and a
//  subscriber must be able to take the largest alone.
#define SN_EVENT_MAX_BYTES (256 * 1024)

//  Writes an event into the outbox, inside the call's transaction (SN_WRITE
//  methods only). person: the person the event is about (a UUID), or NULL
//  for an event about no one: members' streams (journal.Follow) carry an
//  event about a person only to members that could see the person when it
//  was written. Returns 0, or -1 with the call's status set
//  (RESOURCE_EXHAUSTED) when the body is over SN_EVENT_MAX_BYTES: the call
//  must fail, and nothing it did is kept.
int sn_call_event (sn_call_t *call, const char *type, const char *subject, const char *person,
                   const ProtobufCMessage *body);

//  Names the person (or other subject) of personal data this call touched:
//  the server writes one audit entry per subject with the call's outcome.
void sn_call_audit (sn_call_t *call, const char *subject);

//  --- batch methods: items with an outcome of their own ------------------
//
//  A batch method (registry.CreatePersons, monitoring.ReferBatch) takes
//  items that each carry a request_id of their own, and gives each item its
//  own outcome, in the call's one transaction. It checks each item on the
//  call as the item's single method checks its request (the same checks,
//  hence the same violations and messages), then takes the item's outcome
//  off the call with sn_call_item_status before the next item. What an item
//  changed is stored as the single method's reply under the item's
//  request_id (sn_call_item_reply): a retry of the item, in any batch or
//  alone with the single method, gets that reply (sn_call_item_replies) and
//  changes nothing twice.

//  Moves the call's status (code, message, violations) into a new
//  snodo.Status (caller owns it: free it with the message it is put in)
//  and sets the call back to OK, with no violations. Returns the code.
int sn_call_item_status (sn_call_t *call, Snodo__Status **status);

//  Checks the request_id of item i of a batch (ids: every item's): 16
//  bytes, and not the id of an item before it. Records a violation of
//  "request_id" on the call otherwise.
void sn_call_check_item_id (sn_call_t *call, const ProtobufCBinaryData *ids, size_t i);

//  Names the person an item of a batch touched, with the item's outcome
//  and request_id (16 bytes): its audit entry says what became of that
//  item. An item that was OK in a call that then failed is recorded with
//  the call's code.
void sn_call_audit_item (sn_call_t *call, const char *subject, int outcome, const uint8_t *request_id);

//  The bytes of an item's digest.
#define SN_ITEM_DIGEST 16

//  The digest of an item's input as its single method takes it (input:
//  that method's request, a CreatePersonRequest holding the item's person,
//  say), packed: a request_id is matched by it, as a single call's retry is
//  by its body's. Take it before the checks change the input.
void sn_call_item_digest (const ProtobufCMessage *input, uint8_t digest [SN_ITEM_DIGEST]);

//  What sn_call_item_replies hands over for item i that has a stored reply:
//  its status, and when OK its output unpacked (NULL otherwise). The
//  function takes both (free them with protobuf_c_message_free_unpacked, or
//  put them in the batch's reply).
typedef void (sn_item_reply_fn) (void *arg, size_t i, Snodo__Status *status, ProtobufCMessage *output);

//  The replies stored for the items' request_ids (ids [i], item i's input
//  digests [i]; an id not 16 bytes long is passed over; an id twice in ids
//  goes to its first item only) by method (the single method's full name,
//  "registry.CreatePerson") for this caller: each one found goes to take,
//  its output unpacked as output. An id stored by another caller, for
//  another method or with another digest gets INVALID_ARGUMENT, as a single
//  call's retry would, and one whose stored reply cannot be read INTERNAL.
//  Runs a statement in the call's transaction. Returns 0, or -1 with the
//  call's status set (the database failed).
int sn_call_item_replies (sn_call_t *call, const char *method, const ProtobufCBinaryData *ids,
                          const uint8_t (*digests) [SN_ITEM_DIGEST], size_t n,
                          const ProtobufCMessageDescriptor *output, sn_item_reply_fn *take, void *arg);

//  Stores an item's reply, OK with output (packed now: the caller keeps
//  output), for retries of its request_id (16 bytes) with its digest
//  (sn_call_item_digest) as method (the single method's full name). As a
//  single call's reply names its events, the reply names those the call
//  emitted since the item before stored its reply: emit an item's events,
//  then store its reply. Written with the call's journal, so kept only if
//  the call commits. SN_WRITE methods only.
void sn_call_item_reply (sn_call_t *call, const char *method, const uint8_t *request_id,
                         const uint8_t digest [SN_ITEM_DIGEST], const ProtobufCMessage *output);

//  A zeroed, initialised message of desc; free with protobuf_c_message_free_unpacked.
ProtobufCMessage *sn_message_new (const ProtobufCMessageDescriptor *desc);

//  Name of a status code ("PERMISSION_DENIED"). Never NULL.
const char *sn_code_name (int code);

#endif
