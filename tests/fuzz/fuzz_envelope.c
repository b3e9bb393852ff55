/*  fuzz_envelope: what a worker makes of a request frame before it touches
    the database, for every rpc of every service. It runs the worker's own
    code (sn_worker_open: the envelope unpacked and checked on the wire, the
    request_id, the deadline, the method looked up by name in the service's
    descriptor or the journal's, the caller, the purpose, the member kinds,
    the body checked on the wire and unpacked with the method's input) over
    servers with the real registry, monitoring and matching tables, and no
    database and no socket. A body that would run is then served
    (sn_worker_serve_on) as by a worker whose database connection went
    down: the handler's own checks of its input run, and its first statement
    fails.

    The first byte says how the rest is read:
      even  a request frame as a client sends it; the second byte picks the
            service that opens it and the caller (a member of each kind, a
            revoked one, a stranger);
      odd   the second and third bytes pick one rpc among every rpc of every
            service; the rest is its body, sent in a well-formed envelope by
            a member of a kind the method admits, with a purpose: so every
            method's input is decoded and checked.

    What must hold:
      - every refusal is a Reply a strict client reads: it passes
        sn_wire_check (UTF-8 without NUL) and unpacks, its code is not OK,
        it says why, has no body, and carries the request's request_id when
        that was 16 bytes;
      - a well-formed envelope that names no rpc of its service or the
        journal's is refused UNIMPLEMENTED, and one that names an rpc is not
        (protobuf-c's search by name agrees with a search of every rpc);
      - a call that would run names that rpc, comes from a known, unrevoked
        member of a kind the method admits, and its body was unpacked with
        the rpc's input and has the properties of every decoded message
        (fuzz_check_decoded);
      - a body sent by an admitted member is run or refused INVALID_ARGUMENT,
        naming the field;
      - served with the database down, every reply is a Reply a strict client
        reads, with the request's id, and an OK one has a body that is the
        rpc's output and passes the wire check. */
#include "fuzz_support.h"
#include "matching.h"
#include "monitoring.h"
#include "registry.h"
#include "sn_server_internal.h"
#include "sn_wire.h"
#include <string.h>

#define N_CORES 3                   //  registry, monitoring, matching

static const uint8_t s_request_id [16] = {'f', 'u', 'z', 'z', '-', 'r', 'e', 'q',
                                          'u', 'e', 's', 't', '-', 'i', 'd', '!'};

//  The servers the requests are opened by, and what they stand on.
static struct {
    sn_auth_t *auth;                //  a member of each kind, and a revoked one
    registry_t *registry;
    monitoring_t *monitoring;
    matching_t *matching;
    sn_server_core_t cores [N_CORES];
    PGconn *down;                   //  a connection to no database: what a worker has once it went down
} s_world;

//  The member id of a caller (fuzz_support.h: FUZZ_CALLERS).
static void
s_caller_id (int caller, char *id, size_t size)
{
    if (caller < FUZZ_KINDS)
        snprintf (id, size, "member-of-kind-%d", caller + 1);
    else
        snprintf (id, size, "%s", caller == FUZZ_KINDS ? "revoked-member" : "stranger");
}

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    //  handlers log what fails (zsys, on standard output); libFuzzer speaks
    //  on standard error, and handles the signals itself
    zsys_handler_set (NULL);
    FUZZ_CHECK (freopen ("/dev/null", "w", stdout), "could not silence standard output");
    s_world.down = PQconnectdb ("host=/nonexistent/snodo-fuzz port=1 connect_timeout=1");
    FUZZ_CHECK (PQstatus (s_world.down) == CONNECTION_BAD, "a connection to no database did not fail");
    s_world.auth = sn_auth_new ();
    for (int caller = 0; caller <= FUZZ_KINDS; caller++) {
        char id [32];
        s_caller_id (caller, id, sizeof id);
        zcert_t *cert = zcert_new ();
        bool revoked = caller == FUZZ_KINDS;
        int kind = revoked ? SNODO__MEMBER_KIND__MEMBER_KIND_ADMIN : caller + 1;
        FUZZ_CHECK (sn_auth_put (s_world.auth, id, kind, "pordenone", zcert_public_txt (cert), revoked) == 0,
                    "could not add member %s", id);
        zcert_destroy (&cert);
    }
    s_world.registry = registry_new (s_world.auth, NULL, NULL, NULL);
    s_world.monitoring = monitoring_new (s_world.auth);
    s_world.matching = matching_new ();
    sn_service_t services [N_CORES] = {registry_service (s_world.registry),
                                       monitoring_service (s_world.monitoring),
                                       matching_service (s_world.matching)};
    for (int i = 0; i < N_CORES; i++) {
        sn_server_core_t *core = &s_world.cores [i];
        core->config.auth = s_world.auth;
        core->config.default_deadline_ms = 10000;
        core->service = services [i];
        char err [256];
        FUZZ_CHECK (sn_methods_check (core->service.descriptor, core->service.methods, err, sizeof err) == 0,
                    "%s", err);
    }
    return 0;
}

//  When the broker took the request: a minute ahead, so that no deadline
//  passes while it is opened and the same input always takes the same path.
static int64_t
s_received_ms (void)
{
    return zclock_time () + 60000;
}

//  The rpc that full_name ("registry.CreatePerson") names for a request
//  opened by service, found by a search of every rpc; NULL if none.
static const ProtobufCMethodDescriptor *
s_named_rpc (const char *service, const char *full_name)
{
    const fuzz_rpc_t *rpcs;
    size_t n = fuzz_rpcs (&rpcs);
    for (size_t i = 0; i < n; i++) {
        const char *name = rpcs [i].service->name;
        size_t len = strlen (name);
        if ((streq (name, service) || streq (name, "journal")) && strncmp (full_name, name, len) == 0
        &&  full_name [len] == '.' && streq (full_name + len + 1, rpcs [i].method->name))
            return rpcs [i].method;
    }
    return NULL;
}

//  A refusal, read as a strict client reads it. Returns its code.
static int
s_check_refusal (zframe_t *reply, const Snodo__Request *request)
{
    char field [96], why [160];
    FUZZ_CHECK (sn_wire_check (&snodo__reply__descriptor, zframe_data (reply), zframe_size (reply), field,
                               sizeof field, why, sizeof why) == 0,
                "a refusal fails the wire check: %s %s", field, why);
    Snodo__Reply *r = snodo__reply__unpack (NULL, zframe_size (reply), zframe_data (reply));
    FUZZ_CHECK (r && r->status, "a refusal does not unpack as a Reply with a status");
    int code = r->status->code;
    FUZZ_CHECK (code != SNODO__CODE__OK, "a refusal says OK");
    FUZZ_CHECK (*r->status->message, "a refusal (%s) does not say why", sn_code_name (code));
    FUZZ_CHECK (r->body.len == 0, "a refusal has a body of %zu bytes", r->body.len);
    if (request && request->request_id.len == 16)
        FUZZ_CHECK (r->request_id.len == 16 && memcmp (r->request_id.data, request->request_id.data, 16) == 0,
                    "a refusal does not carry the request's id (%s: %s)", sn_code_name (code),
                    r->status->message);
    snodo__reply__free_unpacked (r, NULL);
    return code;
}

//  True if a request's envelope is one a worker goes on with: it unpacks,
//  passes the wire check, and its request_id has 16 bytes.
static bool
s_envelope_good (const Snodo__Request *request, const uint8_t *data, size_t size)
{
    char field [96], why [160];
    return request && request->request_id.len == 16
        && sn_wire_check (&snodo__request__descriptor, data, size, field, sizeof field, why, sizeof why) == 0;
}

//  A call that would run: its rpc, caller and body.
static void
s_check_runs (const char *full_name, const ProtobufCMethodDescriptor *named, const sn_method_t *method,
              ProtobufCMessage *input, int caller)
{
    FUZZ_CHECK (named, "a call would run for \"%s\", which names no rpc", full_name);
    FUZZ_CHECK (method && streq (method->name, named->name), "\"%s\" would run as %s", full_name,
                method ? method->name : "nothing");
    FUZZ_CHECK (caller < FUZZ_KINDS && (method->kinds & (1u << (caller + 1))),
                "%s would run for caller %d, not a member of a kind it admits", full_name, caller);
    FUZZ_CHECK (input && input->descriptor == named->input, "%s would run with a body that is not a %s",
                full_name, named->input->name);
    fuzz_check_decoded (input);
}

//  The rest is a request frame: opened by the service and from the caller
//  the next byte picks.
static void
s_open_frame (fuzz_bytes_t *in)
{
    uint8_t pick = fuzz_take_byte (in);
    int caller = pick % FUZZ_CALLERS;
    sn_server_core_t *core = &s_world.cores [pick / FUZZ_CALLERS % N_CORES];
    char caller_id [32];
    s_caller_id (caller, caller_id, sizeof caller_id);
    Snodo__Request *request = snodo__request__unpack (NULL, in->size, in->data);
    const ProtobufCMethodDescriptor *named =
        request ? s_named_rpc (core->service.name, request->method) : NULL;
    zframe_t *frame = zframe_new (in->data, in->size);
    ProtobufCMessage *input;
    const sn_method_t *method;
    zframe_t *reply = sn_worker_open (core, caller_id, s_received_ms (), frame, &input, &method);
    if (reply) {
        int code = s_check_refusal (reply, request);
        if (s_envelope_good (request, in->data, in->size))
            FUZZ_CHECK ((code == SNODO__CODE__UNIMPLEMENTED) == !named,
                        "\"%s\" (an rpc: %s) was refused %s", request->method, named ? "yes" : "no",
                        sn_code_name (code));
    }
    else
        s_check_runs (request ? request->method : "(no request)", named, method, input, caller);
    if (input)
        protobuf_c_message_free_unpacked (input, NULL);
    zframe_destroy (&reply);
    zframe_destroy (&frame);
    if (request)
        snodo__request__free_unpacked (request, NULL);
}

//  Serves a request that would run, with the database down: its reply.
static void
s_serve_down (sn_server_core_t *core, const char *caller_id, zframe_t *frame, const Snodo__Request *request,
              const ProtobufCMethodDescriptor *rpc)
{
    zframe_t *reply = sn_worker_serve_on (core, s_world.down, caller_id, s_received_ms (), frame);
    FUZZ_CHECK (reply, "%s served without a reply", request->method);
    char field [96], why [160];
    FUZZ_CHECK (sn_wire_check (&snodo__reply__descriptor, zframe_data (reply), zframe_size (reply), field,
                               sizeof field, why, sizeof why) == 0,
                "%s's reply fails the wire check: %s %s", request->method, field, why);
    Snodo__Reply *r = snodo__reply__unpack (NULL, zframe_size (reply), zframe_data (reply));
    FUZZ_CHECK (r && r->status, "%s's reply does not unpack with a status", request->method);
    FUZZ_CHECK (r->request_id.len == 16 && memcmp (r->request_id.data, request->request_id.data, 16) == 0,
                "%s's reply does not carry the request's id", request->method);
    if (r->status->code == SNODO__CODE__OK) {
        FUZZ_CHECK (sn_wire_check (rpc->output, r->body.data, r->body.len, field, sizeof field, why,
                                   sizeof why) == 0,
                    "%s's output fails the wire check: %s %s", request->method, field, why);
        ProtobufCMessage *output = protobuf_c_message_unpack (rpc->output, NULL, r->body.len, r->body.data);
        FUZZ_CHECK (output, "%s's output is not a %s", request->method, rpc->output->name);
        protobuf_c_message_free_unpacked (output, NULL);
    }
    else
        FUZZ_CHECK (*r->status->message, "%s refused (%s) without saying why", request->method,
                    sn_code_name (r->status->code));
    snodo__reply__free_unpacked (r, NULL);
    zframe_destroy (&reply);
}

//  The server that opens a request for rpc (the journal's: the registry's),
//  and rpc's row in its table.
static sn_server_core_t *
s_core_of (const fuzz_rpc_t *rpc, const sn_method_t **row)
{
    sn_server_core_t *core = &s_world.cores [0];
    for (int i = 0; i < N_CORES; i++)
        if (streq (s_world.cores [i].service.name, rpc->service->name))
            core = &s_world.cores [i];
    const sn_method_t *table =
        streq (rpc->service->name, "journal") ? sn_journal_methods : core->service.methods;
    *row = NULL;
    for (const sn_method_t *m = table; m->name && !*row; m++)
        if (streq (m->name, rpc->method->name))
            *row = m;
    FUZZ_CHECK (*row, "%s.%s has no row in its table", rpc->service->name, rpc->method->name);
    return core;
}

//  The rest is the body of the rpc the next two bytes pick, sent in a good
//  envelope by a member the method admits.
static void
s_open_body (fuzz_bytes_t *in)
{
    const fuzz_rpc_t *rpcs;
    size_t n = fuzz_rpcs (&rpcs);
    unsigned pick = (unsigned) fuzz_take_byte (in) << 8;
    pick |= fuzz_take_byte (in);
    const fuzz_rpc_t *rpc = &rpcs [pick % n];
    const sn_method_t *row;
    sn_server_core_t *core = s_core_of (rpc, &row);
    int caller = 0;
    while (caller < FUZZ_KINDS && !(row->kinds & (1u << (caller + 1))))
        caller++;
    FUZZ_CHECK (caller < FUZZ_KINDS, "%s admits no member kind", rpc->method->name);
    char caller_id [32], full_name [128];
    s_caller_id (caller, caller_id, sizeof caller_id);
    snprintf (full_name, sizeof full_name, "%s.%s", rpc->service->name, rpc->method->name);
    Snodo__Request request = SNODO__REQUEST__INIT;
    request.request_id = (ProtobufCBinaryData) {16, (uint8_t *) s_request_id};
    request.method = full_name;
    request.purpose = "care";
    request.body = (ProtobufCBinaryData) {in->size, (uint8_t *) in->data};
    size_t len;
    uint8_t *data = fuzz_pack (&request.base, &len);
    zframe_t *frame = zframe_new (data, len);
    ProtobufCMessage *input;
    const sn_method_t *method;
    zframe_t *reply = sn_worker_open (core, caller_id, s_received_ms (), frame, &input, &method);
    if (reply) {
        int code = s_check_refusal (reply, &request);
        FUZZ_CHECK (code == SNODO__CODE__INVALID_ARGUMENT, "a body of %s was refused %s", full_name,
                    sn_code_name (code));
    }
    else {
        s_check_runs (full_name, rpc->method, method, input, caller);
        s_serve_down (core, caller_id, frame, &request, rpc->method);
    }
    if (input)
        protobuf_c_message_free_unpacked (input, NULL);
    zframe_destroy (&reply);
    zframe_destroy (&frame);
    free (data);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_bytes_t in = {data, size};
    if (fuzz_take_byte (&in) % 2 == 0)
        s_open_frame (&in);
    else
        s_open_body (&in);
    return 0;
}
