/*  sn_client: DEALER, deadline, retries with the same request_id. */
#include "sn_client.h"
#include <string.h>

struct _sn_client_t {
    char *endpoint;             //  the service
    zcert_t *cert;              //  our certificate (owned copy)
    char server_key [41];       //  the service's public key
    zsock_t *dealer;            //  current socket; remade after a timeout
    int deadline_ms;            //  per call
    int retries;                //  extra attempts after a timeout
};

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
    if (zsock_connect (dealer, "%s", self->endpoint) != 0) {
        zsock_destroy (&dealer);
        return NULL;
    }
    return dealer;
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
    zsock_destroy (&self->dealer);
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

static void
s_copy_status (sn_result_t *result, const Snodo__Status *status)
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

//  Waits for the reply to request_id until deadline; skips stale replies.
static Snodo__Reply *
s_wait_reply (sn_client_t *self, const uint8_t *request_id, int64_t until)
{
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    Snodo__Reply *reply = NULL;
    while (!reply) {
        int64_t wait = until - zclock_time ();
        if (wait <= 0 || !zpoller_wait (poller, (int) wait))
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
    for (int attempt = 0; attempt < attempts && !reply; attempt++) {
        if (!self->dealer)
            self->dealer = s_connect (self);
        if (!self->dealer)
            break;
        int64_t share = (deadline - zclock_time ()) / (attempts - attempt);
        //  A DEALER whose connection was refused (ZAP) has no pipe left, and
        //  a blocking send would wait for one for ever: the send gets the
        //  attempt's share of the deadline too, then a fresh socket.
        zsock_set_sndtimeo (self->dealer, (int) (share > 0 ? share : 1));
        zframe_t *frame = zframe_new (packed, size);
        if (zframe_send (&frame, self->dealer, 0) != 0) {
            zframe_destroy (&frame);
            zsock_destroy (&self->dealer);
            continue;
        }
        reply = s_wait_reply (self, request_id, zclock_time () + share);
        if (!reply) {
            //  Lazy Pirate: a fresh socket drops whatever the old one queued
            zsock_destroy (&self->dealer);
        }
    }
    free (packed);
    if (!reply)
        return s_result (result, SNODO__CODE__DEADLINE_EXCEEDED, "no reply within the deadline");
    s_copy_status (result, reply->status);
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
    zsock_set_sndtimeo (self->dealer, timeout_ms);
    zframe_t *frame = zframe_new (data, size);
    if (zframe_send (&frame, self->dealer, 0) != 0) {
        zframe_destroy (&frame);
        return NULL;
    }
    zpoller_t *poller = zpoller_new (self->dealer, NULL);
    zframe_t *reply = NULL;
    if (zpoller_wait (poller, timeout_ms))
        reply = zframe_recv (self->dealer);
    zpoller_destroy (&poller);
    return reply;
}
