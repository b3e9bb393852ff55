/*  sn_client: DEALER, deadline, retries with the same request_id, and a
    socket monitor that tells at once when the service refused the
    handshake. */
#include "sn_client.h"
#include <errno.h>
#include <stdatomic.h>
#include <string.h>

struct _sn_client_t {
    char *endpoint;             //  the service
    zcert_t *cert;              //  our certificate (owned copy)
    char server_key [41];       //  the service's public key
    zsock_t *dealer;            //  current socket; remade after a timeout
    zsock_t *monitor;           //  the dealer's handshake events (PAIR)
    int deadline_ms;            //  per call
    int retries;                //  extra attempts after a timeout
};

//  What the service's ZAP handler or CURVE said of the handshake.
#define HANDSHAKE_EVENTS (ZMQ_EVENT_HANDSHAKE_FAILED_AUTH | ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL \
                          | ZMQ_EVENT_HANDSHAKE_FAILED_NO_DETAIL)

//  A monitor of dealer's handshakes, as a PAIR socket; NULL if none could
//  be made (the client then learns of a refusal at its deadline only).
static zsock_t *
s_monitor (zsock_t *dealer)
{
    static atomic_uint serial;
    char endpoint [64];
    snprintf (endpoint, sizeof endpoint, "inproc://sn-client-monitor-%u", atomic_fetch_add (&serial, 1));
    if (zmq_socket_monitor (zsock_resolve (dealer), endpoint, HANDSHAKE_EVENTS) != 0)
        return NULL;
    return zsock_new_pair (endpoint);     //  ">" by default for PAIR: connects
}

static void
s_disconnect (sn_client_t *self)
{
    if (self->dealer)
        zmq_socket_monitor (zsock_resolve (self->dealer), NULL, 0);
    zsock_destroy (&self->monitor);
    zsock_destroy (&self->dealer);
}

static zsock_t *
s_connect (sn_client_t *self)
{
    zsock_t *dealer = zsock_new (ZMQ_DEALER);
    if (!dealer)
        return NULL;
    zcert_apply (self->cert, dealer);
    zsock_set_curve_serverkey (dealer, self->server_key);
    zsock_set_linger (dealer, 0);
    zsock_set_sndhwm (dealer, 1000);
    self->monitor = s_monitor (dealer);
    if (zsock_connect (dealer, "%s", self->endpoint) != 0) {
        zmq_socket_monitor (zsock_resolve (dealer), NULL, 0);
        zsock_destroy (&self->monitor);
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
}

//  A handshake event from the monitor, if one is waiting: true when the
//  service refused us (why in why).
static bool
s_refused (sn_client_t *self, char *why, size_t size)
{
    if (!self->monitor)
        return false;
    zmsg_t *msg = NULL;
    while (!msg && (zsock_events (self->monitor) & ZMQ_POLLIN))
        msg = zmsg_recv (self->monitor);
    if (!msg)
        return false;
    zframe_t *head = zmsg_first (msg);
    uint16_t event = 0;
    uint32_t value = 0;
    if (head && zframe_size (head) >= 6) {
        memcpy (&event, zframe_data (head), 2);
        memcpy (&value, zframe_data (head) + 2, 4);
    }
    zmsg_destroy (&msg);
    if (event == ZMQ_EVENT_HANDSHAKE_FAILED_AUTH)
        snprintf (why, size, "the service refused this certificate (ZAP status %u): the key is not a member "
                  "of the network, or the member is revoked", value);
    else
        snprintf (why, size, "the handshake with the service failed (%s): is this the service's public key?",
                  event == ZMQ_EVENT_HANDSHAKE_FAILED_PROTOCOL ? "protocol" : "no detail");
    return true;
}

sn_client_t *
sn_client_new (const char *endpoint, zcert_t *cert, const char *server_key)
{
    if (!endpoint || !cert || !server_key || strlen (server_key) != 40)
        return NULL;
    sn_client_t *self = (sn_client_t *) zmalloc (sizeof (sn_client_t));
    self->endpoint = strdup (endpoint);
    self->cert = zcert_dup (cert);
    memcpy (self->server_key, server_key, 41);
    self->deadline_ms = 10000;
    self->retries = 2;
    self->dealer = s_connect (self);
    if (!self->dealer)
        sn_client_destroy (&self);
    return self;
}

void
sn_client_destroy (sn_client_t **self_p)
{
    assert (self_p);
    sn_client_t *self = *self_p;
    if (!self)
        return;
    s_disconnect (self);
    zcert_destroy (&self->cert);
    free (self->endpoint);
    free (self);
    *self_p = NULL;
}

void
sn_client_set_deadline (sn_client_t *self, int deadline_ms)
{
    self->deadline_ms = deadline_ms > 0 ? deadline_ms : 10000;
}

void
sn_client_set_retries (sn_client_t *self, int retries)
{
    self->retries = retries >= 0 ? retries : 0;
}

static int
s_result (sn_result_t *result, int code, const char *message)
{
    if (result) {
        memset (result, 0, sizeof *result);
        result->code = code;
        snprintf (result->message, sizeof result->message, "%s", message);
    }
    return code;
}

void
sn_result_from_status (sn_result_t *result, const Snodo__Status *status)
{
    if (!result)
        return;
    memset (result, 0, sizeof *result);
    result->code = status ? (int) status->code : SNODO__CODE__UNKNOWN;
    snprintf (result->message, sizeof result->message, "%s", status && status->message ? status->message : "");
    for (size_t i = 0; status && i < status->n_violations && i < 16; i++) {
        snprintf (result->fields [i], sizeof result->fields [i], "%s", status->violations [i]->field);
        snprintf (result->descriptions [i], sizeof result->descriptions [i], "%s",
                  status->violations [i]->description);
        result->n_violations++;
    }
}

//  Sends the request without blocking: a DEALER has no pipe to send on until
//  its connection is made, and never has one when the service refused the
//  handshake, which the monitor says. Returns 0 when sent, -1 when not by
//  until or refused (why in refused).
static int
s_send (sn_client_t *self, const uint8_t *packed, size_t size, int64_t until, char *refused, size_t why_size)
{
    zpoller_t *poller = self->monitor ? zpoller_new (self->monitor, NULL) : NULL;
    int rc = -1;
    while (true) {
        if (zmq_send (zsock_resolve (self->dealer), packed, size, ZMQ_DONTWAIT) >= 0) {
            rc = 0;
            break;
        }
        int64_t wait = until - zclock_time ();
        if (zmq_errno () != EAGAIN || wait <= 0)
            break;
        if (poller && zpoller_wait (poller, (int) (wait < 20 ? wait : 20)) && s_refused (self, refused, why_size))
            break;
        if (!poller)
            zclock_sleep (5);
    }
    zpoller_destroy (&poller);
    return rc;
}

//  Waits for the reply to request_id until deadline; skips stale replies.
//  A refused handshake ends the wait at once, with *refused set.
static Snodo__Reply *
s_wait_reply (sn_client_t *self, const uint8_t *request_id, int64_t until, char *refused, size_t size)
{
    zpoller_t *poller = zpoller_new (self->dealer, self->monitor, NULL);
    Snodo__Reply *reply = NULL;
    while (!reply) {
        int64_t wait = until - zclock_time ();
        void *which = wait > 0 ? zpoller_wait (poller, (int) wait) : NULL;
        if (which && which == self->monitor) {
            if (s_refused (self, refused, size))
                break;
            continue;
        }
        if (!which)
            break;
        zframe_t *frame = zframe_recv (self->dealer);
        if (!frame)
            break;
        reply = snodo__reply__unpack (NULL, zframe_size (frame), zframe_data (frame));
        zframe_destroy (&frame);
        if (reply && (reply->request_id.len != 16 || memcmp (reply->request_id.data, request_id, 16) != 0)
        &&  reply->request_id.len != 0) {
            snodo__reply__free_unpacked (reply, NULL);     //  a late answer to another call
            reply = NULL;
        }
    }
    zpoller_destroy (&poller);
    return reply;
}

int
sn_client_call_id (sn_client_t *self, const uint8_t *request_id, const char *method,
                   const char *purpose, const ProtobufCMessage *input,
                   const ProtobufCMessageDescriptor *output_desc,
                   ProtobufCMessage **output, sn_result_t *result)
{
    assert (self && method && input);
    if (output)
        *output = NULL;
    Snodo__Request request = SNODO__REQUEST__INIT;
    request.request_id.data = (uint8_t *) request_id;
    request.request_id.len = 16;
    request.method = (char *) method;
    request.purpose = (char *) (purpose ? purpose : "");
    request.deadline_ms = (uint32_t) self->deadline_ms;
    size_t body_size = protobuf_c_message_get_packed_size (input);
    request.body.data = (uint8_t *) malloc (body_size ? body_size : 1);
    request.body.len = protobuf_c_message_pack (input, request.body.data);
    size_t size = snodo__request__get_packed_size (&request);
    uint8_t *packed = (uint8_t *) malloc (size);
    snodo__request__pack (&request, packed);
    free (request.body.data);

    int64_t deadline = zclock_time () + self->deadline_ms;
    int attempts = self->retries + 1;
    Snodo__Reply *reply = NULL;
    char refused [256] = "";
    bool interrupted = false;
    for (int attempt = 0; attempt < attempts && !reply && !*refused; attempt++) {
        //  a signal ends the call: retrying would only churn sockets
        if ((interrupted = zsys_interrupted))
            break;
        if (!self->dealer)
            self->dealer = s_connect (self);
        if (!self->dealer)
            break;
        int64_t share = (deadline - zclock_time ()) / (attempts - attempt);
        //  the send gets the attempt's share of the deadline too, then a
        //  fresh socket
        if (s_send (self, packed, size, zclock_time () + share, refused, sizeof refused)) {
            s_disconnect (self);
            continue;
        }
        reply = s_wait_reply (self, request_id, zclock_time () + share, refused, sizeof refused);
        if (!reply) {
            //  Lazy Pirate: a fresh socket drops whatever the old one queued
            s_disconnect (self);
        }
    }
    free (packed);
    if (*refused)
        return s_result (result, SNODO__CODE__UNAUTHENTICATED, refused);
    if (!reply && (interrupted || zsys_interrupted))
        return s_result (result, SNODO__CODE__CANCELLED, "interrupted by a signal");
    if (!reply)
        return s_result (result, SNODO__CODE__DEADLINE_EXCEEDED, "no reply within the deadline");
    sn_result_from_status (result, reply->status);
    if (result) {
        result->after_seq = reply->after_seq;
        //  what the reply says, bounded by what the result holds: only ids
        //  of 16 bytes, at most 16 of them
        result->n_events = 0;
        for (size_t i = 0; i < reply->n_event_ids && result->n_events < 16; i++)
            if (reply->event_ids [i].len == 16)
                memcpy (result->event_ids [result->n_events++], reply->event_ids [i].data, 16);
    }
    int code = reply->status ? (int) reply->status->code : SNODO__CODE__UNKNOWN;
    if (code == SNODO__CODE__OK && output && output_desc) {
        *output = protobuf_c_message_unpack (output_desc, NULL, reply->body.len, reply->body.data);
        if (!*output)
            code = s_result (result, SNODO__CODE__INTERNAL, "the reply's body could not be read");
    }
    snodo__reply__free_unpacked (reply, NULL);
    return code;
}

int
sn_client_call (sn_client_t *self, const char *method, const char *purpose,
                const ProtobufCMessage *input, const ProtobufCMessageDescriptor *output_desc,
                ProtobufCMessage **output, sn_result_t *result)
{
    zuuid_t *uuid = zuuid_new ();
    int code = sn_client_call_id (self, zuuid_data (uuid), method, purpose, input, output_desc,
                                  output, result);
    zuuid_destroy (&uuid);
    return code;
}

zframe_t *
sn_client_raw (sn_client_t *self, const void *data, size_t size, int timeout_ms)
{
    if (!self->dealer)
        self->dealer = s_connect (self);
    if (!self->dealer)
        return NULL;
    char refused [256] = "";
    if (s_send (self, (const uint8_t *) data, size, zclock_time () + timeout_ms, refused, sizeof refused))
        return NULL;
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    zframe_t *reply = NULL;
    if (zpoller_wait (poller, timeout_ms))
        reply = zframe_recv (self->dealer);
    zpoller_destroy (&poller);
    return reply;
}
