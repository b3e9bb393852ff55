/*  sn_broker: the server's broker, the actor sn_server_new starts. It binds
    the frontend ROUTER (CURVE server, ZAP domain "snodo"), starts the relay
    and the workers, and shares the requests waiting among the idle workers,
    the least recently used first and as evenly as they go, at most `batch`
    to a worker. It stops reading the frontend while every worker is busy
    (the rest waits in the socket, bounded by the high-water mark), and
    refuses itself, with a reply, a request that is not one frame or is over
    the size limit. */
#include "sn_server_internal.h"
#include "sn_log.h"
#include "sn_actor.h"
#include <pthread.h>
#include <string.h>

//  Answers a request the broker refuses itself (too big, many frames).
static void
s_broker_refuse (zsock_t *frontend, zframe_t **client, zframe_t *frame, int code, const char *why)
{
    Snodo__Request *request = frame && zframe_size (frame) < 64 * 1024 * 1024
        ? snodo__request__unpack (NULL, zframe_size (frame), zframe_data (frame)) : NULL;
    zframe_t *reply = sn_reply_frame (request ? request->request_id.data : NULL,
                                     request ? request->request_id.len : 0, code, why, NULL, 0, NULL, 0);
    if (request)
        snodo__request__free_unpacked (request, NULL);
    zmsg_t *out = zmsg_new ();
    zmsg_append (out, client);
    zmsg_append (out, &reply);
    zmsg_send (&out, frontend);
}

typedef struct {
    sn_server_core_t *server;
    zsock_t *pipe;
    zsock_t *frontend;
    zsock_t *backend;
    zlist_t *ready;                 //  worker identities (zframe_t *), least recently used first
    zactor_t **workers;
    zactor_t *relay;
    zsock_t *wake;                  //  the relay says it published
    zlistx_t *parked;               //  s_parked_t: requests that wait (journal.Follow)
    zlist_t *due;                   //  zmsg_t: waited enough, to the workers first
} s_broker_t;

//  A request that waits for an event (sn_call_park), as it came.
typedef struct {
    zmsg_t *item;                   //  [client][user_id][received_ms][request]
    int64_t until;                  //  then it is served again, events or not
    uint64_t seen;                  //  ... or once the relay published above this
} s_parked_t;

static void
s_parked_destroy (void **item)
{
    s_parked_t *parked = (s_parked_t *) *item;
    zmsg_destroy (&parked->item);
    free (parked);
    *item = NULL;
}

//  Moves the waiting requests whose wait is over (an event published above
//  what they saw, or their time come) to the due list.
static void
s_broker_wake (s_broker_t *self)
{
    uint64_t published = atomic_load (&self->server->published);
    int64_t now = zclock_time ();
    for (s_parked_t *parked = (s_parked_t *) zlistx_first (self->parked); parked;
         parked = (s_parked_t *) zlistx_next (self->parked))
        if (published > parked->seen || now >= parked->until) {
            //  detached, the cursor steps back: the loop goes on from there
            zlistx_detach_cur (self->parked);
            zlist_append (self->due, parked->item);
            parked->item = NULL;
            s_parked_destroy ((void **) &parked);
        }
}

//  The poll's timeout: until the first waiting request's time, or forever.
static int
s_broker_timeout (s_broker_t *self)
{
    int64_t first = INT64_MAX;
    for (s_parked_t *p = (s_parked_t *) zlistx_first (self->parked); p; p = (s_parked_t *) zlistx_next (self->parked))
        if (p->until < first)
            first = p->until;
    if (first == INT64_MAX)
        return -1;
    int64_t wait = first - zclock_time ();
    return wait < 0 ? 0 : wait > 60000 ? 60000 : (int) wait;
}

//  A worker's answer that the request waits: [until, seen][user_id]
//  [received_ms][request] follow in msg.
static void
s_broker_park (s_broker_t *self, zframe_t **client, zmsg_t *msg)
{
    zframe_t *park = zmsg_pop (msg);
    s_parked_t *parked = (s_parked_t *) zmalloc (sizeof (s_parked_t));
    int64_t values [2] = {0, 0};
    if (park && zframe_size (park) == sizeof values)
        memcpy (values, zframe_data (park), sizeof values);
    zframe_destroy (&park);
    parked->until = values [0];
    parked->seen = (uint64_t) values [1];
    parked->item = zmsg_new ();
    zmsg_append (parked->item, client);
    for (int i = 0; i < 3; i++) {
        zframe_t *part = zmsg_pop (msg);
        if (part)
            zmsg_append (parked->item, &part);
    }
    atomic_fetch_add (&self->server->parked, 1);
    zlistx_add_end (self->parked, parked);
}

//  The most requests the broker refuses itself in one pass, beyond those it
//  hands to the workers.
#define REFUSALS_A_PASS 64

//  Takes the requests waiting and shares them among the free workers, the
//  least recently used first, at most the batch size each: [worker] then
//  [client][user_id][received_ms][request] for each request. A worker serves
//  several in one transaction; a request that came alone goes alone.
static void
s_broker_from_client (s_broker_t *self)
{
    size_t free_workers = zlist_size (self->ready);
    size_t most = free_workers * (size_t) self->server->config.batch;
    zmsg_t **taken = (zmsg_t **) calloc (most, sizeof (zmsg_t *));
    //  Every message waiting, up to what the free workers take. Each read
    //  follows a look at the socket, refused messages too: a read that
    //  found nothing would wait for the next request, and hold the workers'
    //  replies meanwhile. Refused ones count against a bound of their own,
    //  so that a flood of them cannot hold the replies either.
    size_t n = 0, reads = 0;
    //  those that waited first: they came before any request still in the socket
    zmsg_t *due;
    while (n < most && (due = (zmsg_t *) zlist_pop (self->due))) {
        taken [n++] = due;
        atomic_fetch_sub (&self->server->parked, 1);
    }
    while (n < most && reads < most + REFUSALS_A_PASS) {
        if (!(zsock_events (self->frontend) & ZMQ_POLLIN))
            break;
        zmsg_t *msg = zmsg_recv (self->frontend);
        reads++;
        if (!msg)
            break;
        zframe_t *client = zmsg_pop (msg);
        zframe_t *frame = zmsg_pop (msg);
        char why [128];
        if (!frame || zmsg_size (msg) > 0)
            s_broker_refuse (self->frontend, &client, frame, SNODO__CODE__INVALID_ARGUMENT,
                             "a request is exactly one frame holding a snodo.Request");
        else
        if (zframe_size (frame) > self->server->config.max_message) {
            snprintf (why, sizeof why, "request of %zu bytes exceeds the limit of %zu bytes",
                      zframe_size (frame), self->server->config.max_message);
            s_broker_refuse (self->frontend, &client, frame, SNODO__CODE__RESOURCE_EXHAUSTED, why);
        }
        else {
            const char *user_id = zframe_meta (frame, "User-Id");
            int64_t now = zclock_time ();
            zmsg_t *item = taken [n++] = zmsg_new ();
            zmsg_append (item, &client);
            zmsg_addstr (item, user_id ? user_id : "");
            zmsg_addmem (item, &now, sizeof now);
            zmsg_append (item, &frame);
        }
        zframe_destroy (&client);
        zframe_destroy (&frame);
        zmsg_destroy (&msg);
    }
    //  as evenly as they go: 5 requests for 2 free workers make 3 and 2
    size_t given = 0;
    for (size_t w = 0; given < n; w++) {
        size_t share = (n - given + (free_workers - w) - 1) / (free_workers - w);
        zframe_t *worker = (zframe_t *) zlist_pop (self->ready);
        assert (worker);
        zmsg_t *out = zmsg_new ();
        zmsg_append (out, &worker);
        for (size_t i = 0; i < share; i++, given++) {
            zframe_t *part;
            while ((part = zmsg_pop (taken [given])))
                zmsg_append (out, &part);
            zmsg_destroy (&taken [given]);
        }
        zmsg_send (&out, self->backend);
    }
    free (taken);
}

//  A worker's answers, [worker] then [client][reply] each; the worker is
//  free again.
static void
s_broker_from_worker (s_broker_t *self)
{
    zmsg_t *msg = zmsg_recv (self->backend);
    if (!msg)
        return;
    zframe_t *worker = zmsg_pop (msg);
    zlist_append (self->ready, worker);
    bool parked = false;
    while (zmsg_size (msg) >= 2) {
        zframe_t *client = zmsg_pop (msg);
        zframe_t *reply = zmsg_pop (msg);
        if (zframe_size (reply) == 1 && zframe_data (reply) [0] == SN_PARKED_MARK) {
            zframe_destroy (&reply);
            s_broker_park (self, &client, msg);
            parked = true;
            continue;
        }
        zmsg_t *out = zmsg_new ();
        zmsg_append (out, &client);
        zmsg_append (out, &reply);
        zmsg_send (&out, self->frontend);
    }
    zmsg_destroy (&msg);
    if (parked)
        s_broker_wake (self);       //  an event may have come while the worker looked
}

static void
s_broker_stop (s_broker_t *self)
{
    for (int i = 0; self->workers && i < self->server->config.workers; i++)
        zactor_destroy (&self->workers [i]);
    free (self->workers);
    zactor_destroy (&self->relay);
    zframe_t *frame;
    while (self->ready && (frame = (zframe_t *) zlist_pop (self->ready)))
        zframe_destroy (&frame);
    zlist_destroy (&self->ready);
    zmsg_t *due;
    while (self->due && (due = (zmsg_t *) zlist_pop (self->due)))
        zmsg_destroy (&due);
    zlist_destroy (&self->due);
    zlistx_destroy (&self->parked);
    zsock_destroy (&self->wake);
    zsock_destroy (&self->frontend);
    zsock_destroy (&self->backend);
}

//  Binds the frontend (CURVE, ZAP, the limits) and the backend, starts the
//  relay and the workers. Returns 0, or -1 (said).
static int
s_broker_start (s_broker_t *self)
{
    sn_server_core_t *server = self->server;
    self->wake = zsock_new_pull (server->wake);
    self->frontend = zsock_new (ZMQ_ROUTER);
    zsock_set_rcvhwm (self->frontend, server->config.hwm);
    zsock_set_sndhwm (self->frontend, server->config.hwm);
    zsock_set_maxmsgsize (self->frontend, (int) (server->config.max_message * 4 + 4096));
    zsock_set_zap_domain (self->frontend, SN_ZAP_DOMAIN);
    zcert_apply (server->config.cert, self->frontend);
    zsock_set_curve_server (self->frontend, 1);
    self->backend = zsock_new (ZMQ_ROUTER);
    if (zsock_bind (self->frontend, "%s", server->request_endpoint) < 0
    ||  zsock_bind (self->backend, "%s", server->backend) < 0) {
        sn_error ("%s: could not bind %s: %s", server->service.name, server->request_endpoint,
                  zmq_strerror (zmq_errno ()));
        return -1;
    }
    self->relay = zactor_new (sn_relay_actor, server);
    char *relay_status = zstr_recv (self->relay);
    bool relay_ok = relay_status && streq (relay_status, "OK");
    zstr_free (&relay_status);
    if (!relay_ok)
        return -1;
    self->workers = (zactor_t **) calloc ((size_t) server->config.workers, sizeof (zactor_t *));
    for (int i = 0; i < server->config.workers; i++)
        self->workers [i] = zactor_new (sn_worker_actor, server);
    return 0;
}

//  A command on the actor's pipe: ENDPOINTS (the frontend's, the relay's).
//  Returns false at $TERM.
static bool
s_broker_command (s_broker_t *self)
{
    char *command = sn_actor_command (self->pipe);
    if (!command)
        return false;
    if (streq (command, "ENDPOINTS")) {
        zstr_sendm (self->pipe, zsock_endpoint (self->frontend));
        zstr_sendx (self->relay, "ENDPOINT", NULL);
        char *events = zstr_recv (self->relay);
        zstr_send (self->pipe, events ? events : "");
        zstr_free (&events);
    }
    zstr_free (&command);
    return true;
}

//  Serves until $TERM: replies from the workers, requests to free workers,
//  parked requests woken by what the relay published.
static void
s_broker_loop (s_broker_t *self)
{
    zmq_pollitem_t items [] = {
        {zsock_resolve (self->pipe), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->backend), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->wake), 0, ZMQ_POLLIN, 0},
        {zsock_resolve (self->frontend), 0, ZMQ_POLLIN, 0},
    };
    while (true) {
        //  poll the frontend only while a worker is free: the rest waits in
        //  the socket's queue, bounded by the high-water mark
        int n = zlist_size (self->ready) > 0 ? 4 : 3;
        items [3].revents = 0;
        if (zmq_poll (items, n, s_broker_timeout (self)) < 0)
            break;
        if (items [2].revents & ZMQ_POLLIN) {
            zframe_t *frame;
            while ((frame = zframe_recv_nowait (self->wake)))
                zframe_destroy (&frame);
        }
        if (zlistx_size (self->parked))
            s_broker_wake (self);
        if ((items [0].revents & ZMQ_POLLIN) && !s_broker_command (self))
            break;
        if (items [1].revents & ZMQ_POLLIN)
            s_broker_from_worker (self);
        if (zlist_size (self->ready) > 0 && (zlist_size (self->due) > 0 || (items [3].revents & ZMQ_POLLIN)))
            s_broker_from_client (self);
    }
}

void
sn_broker_actor (zsock_t *pipe, void *args)
{
    pthread_setname_np (pthread_self (), "sn-broker");
    s_broker_t self = {.server = (sn_server_core_t *) args, .pipe = pipe, .ready = zlist_new (),
                       .parked = zlistx_new (), .due = zlist_new ()};
    zlistx_set_destructor (self.parked, s_parked_destroy);
    sn_server_core_t *server = self.server;
    if (s_broker_start (&self)) {
        zsock_signal (pipe, 0);
        zstr_send (pipe, "ERROR");
        s_broker_stop (&self);
        sn_server_core_free (server);
        return;
    }
    zsock_signal (pipe, 0);
    zstr_send (pipe, "OK");
    sn_info ("%s: serving on %s, events on %s, %d workers", server->service.name,
             zsock_endpoint (self.frontend), server->events_endpoint, server->config.workers);
    s_broker_loop (&self);
    sn_info ("%s: stopping", server->service.name);
    s_broker_stop (&self);
    sn_server_core_free (server);
}
