/*  sn_client: calls a Snodo service. A DEALER with CURVE, a deadline per
    call, and retries that resend the same request_id, so that a retried write
    is applied once (the server keeps the reply).

    sn_client_t *client = sn_client_new (endpoint, cert, server_key);
    sn_result_t result;
    Snodo__Registry__Person *person = NULL;          //  a service's message
    sn_client_call (client, "registry.GetPerson", "placement", &request.base,
                    &snodo__registry__person__descriptor, (ProtobufCMessage **) &person, &result);
*/
#ifndef SN_CLIENT_H_INCLUDED
#define SN_CLIENT_H_INCLUDED

#include "envelope.pb-c.h"
#include <czmq.h>

typedef struct _sn_client_t sn_client_t;

//  The outcome of a call: the status the service sent, or one the client made
//  (DEADLINE_EXCEEDED when no reply came in time).
typedef struct {
    int code;                   //  snodo.Code
    char message [512];
    size_t n_violations;
    char fields [16][96];       //  the first 16 violations
    char descriptions [16][160];
    size_t n_events;            //  a write's events, by event_id below (at most 16)
    uint8_t event_ids [16][16];
    uint64_t after_seq;         //  each of them will have a seq above this
} sn_result_t;

//  A status as a result: its code, message and first 16 violations (a NULL
//  status is UNKNOWN). Does nothing when result is NULL.
void sn_result_from_status (sn_result_t *result, const Snodo__Status *status);

//  Creates a client for a service. cert is the caller's certificate (copied);
//  server_key the service's CURVE public key (Z85). Returns NULL on bad input.
sn_client_t *sn_client_new (const char *endpoint, zcert_t *cert, const char *server_key);
void sn_client_destroy (sn_client_t **self_p);

//  Sets the deadline of each call in ms (default 10000) and how many times a
//  call is sent again, with the same request_id, when no reply comes within
//  its share of the deadline (default 2).
void sn_client_set_deadline (sn_client_t *self, int deadline_ms);
void sn_client_set_retries (sn_client_t *self, int retries);

//  Calls method with input; on OK unpacks the reply into *output (free with
//  protobuf_c_message_free_unpacked (*output, NULL)). Returns the status code
//  (also in result, which may be NULL).
int sn_client_call (sn_client_t *self, const char *method, const char *purpose,
                    const ProtobufCMessage *input, const ProtobufCMessageDescriptor *output_desc,
                    ProtobufCMessage **output, sn_result_t *result);

//  The same with a request_id chosen by the caller (16 bytes): for tests and
//  for callers that keep the id across their own restarts.
int sn_client_call_id (sn_client_t *self, const uint8_t *request_id, const char *method,
                       const char *purpose, const ProtobufCMessage *input,
                       const ProtobufCMessageDescriptor *output_desc,
                       ProtobufCMessage **output, sn_result_t *result);

//  Sends raw bytes as one frame and waits for one reply frame (for tests of
//  malformed input). Returns the reply frame or NULL on timeout. Caller owns it.
zframe_t *sn_client_raw (sn_client_t *self, const void *data, size_t size, int timeout_ms);

#endif
