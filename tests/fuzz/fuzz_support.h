/*  fuzz_support: what the libFuzzer harnesses of tests/fuzz share: taking
    the fuzzer's bytes apart, the rpcs and messages of every service, and the
    properties every message decoded from outside must have.

    A harness states what must hold with FUZZ_CHECK: when it does not, the
    property and the values are printed and the harness aborts, and libFuzzer
    keeps the input as a crash to reproduce. */
#ifndef FUZZ_SUPPORT_H_INCLUDED
#define FUZZ_SUPPORT_H_INCLUDED

#include <protobuf-c/protobuf-c.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define FUZZ_CHECK(cond, ...) \
    do { \
        if (!(cond)) { \
            fprintf (stderr, "\nfuzz: %s:%d: property broken: %s\nfuzz: ", __FILE__, __LINE__, #cond); \
            fprintf (stderr, __VA_ARGS__); \
            fprintf (stderr, "\n"); \
            abort (); \
        } \
    } while (0)

//  The fuzzer's bytes, taken from the front.
typedef struct {
    const uint8_t *data;
    size_t size;
} fuzz_bytes_t;

//  The next byte, or 0 when none is left.
uint8_t fuzz_take_byte (fuzz_bytes_t *in);

//  The bytes up to sep (not included; sep is passed over), or all that is
//  left, as a NUL-terminated copy: a NUL inside ends the text there.
//  *len, if not NULL, is how many bytes were taken (NULs included).
//  Caller frees.
char *fuzz_take_until (fuzz_bytes_t *in, uint8_t sep, size_t *len);

//  A service a request can name: its name as a request's method starts
//  ("registry") and its descriptor.
typedef struct {
    const char *name;
    const ProtobufCServiceDescriptor *descriptor;
} fuzz_service_t;

//  Every service: registry, monitoring, matching, and the journal every
//  service answers. Ends with {NULL}.
extern const fuzz_service_t fuzz_services [];

//  One rpc: its service and its descriptor.
typedef struct {
    const fuzz_service_t *service;
    const ProtobufCMethodDescriptor *method;
} fuzz_rpc_t;

//  Every rpc of every service, service by service in descriptor order.
//  Returns how many; *rpcs is static.
size_t fuzz_rpcs (const fuzz_rpc_t **rpcs);

//  Every message: first the JSON codec's test messages (snodo.test.Everything
//  holds every field type and a oneof, snodo.test.Node nests itself), then
//  every message the envelope and the services' rpcs reach (inputs, outputs,
//  the messages of their fields), each once, in a fixed order. Returns how
//  many; *messages is static.
size_t fuzz_messages (const ProtobufCMessageDescriptor *const **messages);

//  fuzz_envelope's callers: a member of each kind (caller k is of kind
//  k + 1, 1 PROVINCIA to 12 ADMIN), a revoked member, a stranger. A request
//  frame's second byte picks caller + FUZZ_CALLERS * service (registry,
//  monitoring, matching).
#define FUZZ_KINDS 12
#define FUZZ_CALLERS (FUZZ_KINDS + 2)

//  msg packed; *len its length, checked against its packed size. Caller frees.
uint8_t *fuzz_pack (const ProtobufCMessage *msg, size_t *len);

//  True if a and b pack to the same bytes.
bool fuzz_same_packed (const ProtobufCMessage *a, const ProtobufCMessage *b);

//  True if msg, or a message in it, keeps fields its descriptor does not
//  know (protobuf-c keeps them and packs them again; JSON cannot).
bool fuzz_has_unknown_fields (const ProtobufCMessage *msg);

//  Makes every NaN in msg's double and float fields the one NaN that JSON's
//  "NaN" reads back as (JSON cannot carry a NaN's sign or payload).
void fuzz_canonical_nans (ProtobufCMessage *msg);

//  True if msg is within the wire's bounds: no repeated field over
//  SN_WIRE_MAX_REPEATED, no nesting over SN_WIRE_MAX_DEPTH.
bool fuzz_within_wire_bounds (const ProtobufCMessage *msg);

//  The values msg holds, as a service may take them: every string UTF-8,
//  every enum a value of its enum. Aborts when one is not.
void fuzz_check_values (const ProtobufCMessage *msg);

//  The properties of a message that passed sn_wire_check and unpacked, as
//  every message from outside: within the wire's bounds, its values as
//  fuzz_check_values; packed again it passes sn_wire_check, and unpacks
//  and packs to the same bytes. Aborts when one fails.
void fuzz_check_decoded (const ProtobufCMessage *msg);

#endif
