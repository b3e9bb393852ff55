/*  fuzz_support: see fuzz_support.h. */
#include "fuzz_support.h"
#include "codec_test.pb-c.h"
#include "envelope.pb-c.h"
#include "matching.pb-c.h"
#include "monitoring.pb-c.h"
#include "registry.pb-c.h"
#include "sn_json.h"
#include "sn_wire.h"
#include <math.h>
#include <string.h>

#define MAX_RPCS 256
#define MAX_MESSAGES 512

uint8_t
fuzz_take_byte (fuzz_bytes_t *in)
{
    if (in->size == 0)
        return 0;
    in->size--;
    return *in->data++;
}

char *
fuzz_take_until (fuzz_bytes_t *in, uint8_t sep, size_t *len)
{
    const uint8_t *at = (const uint8_t *) memchr (in->data, sep, in->size);
    size_t n = at ? (size_t) (at - in->data) : in->size;
    char *text = (char *) malloc (n + 1);
    memcpy (text, in->data, n);
    text [n] = 0;
    if (len)
        *len = n;
    size_t taken = at ? n + 1 : n;
    in->data += taken;
    in->size -= taken;
    return text;
}

const fuzz_service_t fuzz_services [] = {
    {"registry", &snodo__registry__registry__descriptor},
    {"monitoring", &snodo__monitoring__monitoring__descriptor},
    {"matching", &snodo__matching__matching__descriptor},
    {"journal", &snodo__journal__descriptor},
    {NULL, NULL},
};

size_t
fuzz_rpcs (const fuzz_rpc_t **rpcs)
{
    static fuzz_rpc_t list [MAX_RPCS];
    static size_t n = 0;
    if (n == 0)
        for (const fuzz_service_t *s = fuzz_services; s->name; s++)
            for (unsigned i = 0; i < s->descriptor->n_methods; i++) {
                FUZZ_CHECK (n < MAX_RPCS, "more than %d rpcs: raise MAX_RPCS", MAX_RPCS);
                list [n++] = (fuzz_rpc_t) {s, &s->descriptor->methods [i]};
            }
    *rpcs = list;
    return n;
}

//  Adds desc and the messages of its fields, depth first, to list (n of them).
static void
s_collect (const ProtobufCMessageDescriptor *desc, const ProtobufCMessageDescriptor **list, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        if (list [i] == desc)
            return;
    FUZZ_CHECK (*n < MAX_MESSAGES, "more than %d messages: raise MAX_MESSAGES", MAX_MESSAGES);
    list [(*n)++] = desc;
    for (unsigned i = 0; i < desc->n_fields; i++)
        if (desc->fields [i].type == PROTOBUF_C_TYPE_MESSAGE)
            s_collect ((const ProtobufCMessageDescriptor *) desc->fields [i].descriptor, list, n);
}

size_t
fuzz_messages (const ProtobufCMessageDescriptor *const **messages)
{
    static const ProtobufCMessageDescriptor *list [MAX_MESSAGES];
    static size_t n = 0;
    if (n == 0) {
        s_collect (&snodo__test__everything__descriptor, list, &n);
        s_collect (&snodo__test__node__descriptor, list, &n);
        s_collect (&snodo__request__descriptor, list, &n);
        s_collect (&snodo__reply__descriptor, list, &n);
        s_collect (&snodo__event__descriptor, list, &n);
        s_collect (&snodo__heartbeat__descriptor, list, &n);
        const fuzz_rpc_t *rpcs;
        size_t n_rpcs = fuzz_rpcs (&rpcs);
        for (size_t i = 0; i < n_rpcs; i++) {
            s_collect (rpcs [i].method->input, list, &n);
            s_collect (rpcs [i].method->output, list, &n);
        }
    }
    *messages = list;
    return n;
}

uint8_t *
fuzz_pack (const ProtobufCMessage *msg, size_t *len)
{
    *len = protobuf_c_message_get_packed_size (msg);
    uint8_t *data = (uint8_t *) malloc (*len ? *len : 1);
    size_t written = protobuf_c_message_pack (msg, data);
    FUZZ_CHECK (written == *len, "%s packed into %zu bytes, its packed size said %zu", msg->descriptor->name,
                written, *len);
    return data;
}

bool
fuzz_same_packed (const ProtobufCMessage *a, const ProtobufCMessage *b)
{
    size_t len_a, len_b;
    uint8_t *data_a = fuzz_pack (a, &len_a);
    uint8_t *data_b = fuzz_pack (b, &len_b);
    bool same = len_a == len_b && memcmp (data_a, data_b, len_a) == 0;
    free (data_a);
    free (data_b);
    return same;
}

//  --- walking a message's values --------------------------------------------

//  Called for each value a field holds: value points to it (an element of
//  a repeated field), n is how many the field holds.
typedef void (s_value_fn) (const ProtobufCFieldDescriptor *f, void *value, size_t n, void *arg);

//  Calls fn for each value of each field msg holds: every element of a
//  repeated field, the set member of a oneof, every other singular field.
static void
s_each_value (ProtobufCMessage *msg, s_value_fn *fn, void *arg)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *f = &desc->fields [i];
        char *member = (char *) msg + f->offset;
        if (f->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *(size_t *) ((char *) msg + f->quantifier_offset);
            char *array = *(char **) member;
            for (size_t k = 0; k < n; k++)
                fn (f, array + k * sn_json_element_size (f), n, arg);
        }
        else
        if (!(f->flags & PROTOBUF_C_FIELD_FLAG_ONEOF)
        ||  *(uint32_t *) ((char *) msg + f->quantifier_offset) == f->id)
            fn (f, member, 1, arg);
    }
}

static void
s_unknown_value (const ProtobufCFieldDescriptor *f, void *value, size_t n, void *arg)
{
    ProtobufCMessage *sub = f->type == PROTOBUF_C_TYPE_MESSAGE ? *(ProtobufCMessage **) value : NULL;
    if (sub && fuzz_has_unknown_fields (sub))
        *(bool *) arg = true;
}

bool
fuzz_has_unknown_fields (const ProtobufCMessage *msg)
{
    bool unknown = msg->n_unknown_fields > 0;
    if (!unknown)
        s_each_value ((ProtobufCMessage *) msg, s_unknown_value, &unknown);
    return unknown;
}

static void
s_nan_value (const ProtobufCFieldDescriptor *f, void *value, size_t n, void *arg)
{
    if (f->type == PROTOBUF_C_TYPE_DOUBLE && isnan (*(double *) value))
        *(double *) value = NAN;
    else
    if (f->type == PROTOBUF_C_TYPE_FLOAT && isnan (*(float *) value))
        *(float *) value = NAN;
    else
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **) value)
        fuzz_canonical_nans (*(ProtobufCMessage **) value);
}

void
fuzz_canonical_nans (ProtobufCMessage *msg)
{
    s_each_value (msg, s_nan_value, NULL);
}

//  --- a decoded message's properties -----------------------------------------

typedef struct {
    int depth;                  //  of the message the values are in
    bool within;                //  all so far within the wire's bounds
} s_bounds_t;

static void
s_bounds_value (const ProtobufCFieldDescriptor *f, void *value, size_t n, void *arg)
{
    s_bounds_t *bounds = (s_bounds_t *) arg;
    ProtobufCMessage *sub = f->type == PROTOBUF_C_TYPE_MESSAGE ? *(ProtobufCMessage **) value : NULL;
    if (n > SN_WIRE_MAX_REPEATED || (sub && bounds->depth + 1 > SN_WIRE_MAX_DEPTH))
        bounds->within = false;
    else
    if (sub) {
        bounds->depth++;
        s_each_value (sub, s_bounds_value, bounds);
        bounds->depth--;
    }
}

bool
fuzz_within_wire_bounds (const ProtobufCMessage *msg)
{
    s_bounds_t bounds = {0, true};
    s_each_value ((ProtobufCMessage *) msg, s_bounds_value, &bounds);
    return bounds.within;
}

static void
s_check_value (const ProtobufCFieldDescriptor *f, void *value, size_t n, void *arg)
{
    if (f->type == PROTOBUF_C_TYPE_STRING) {
        const char *text = *(const char **) value;
        FUZZ_CHECK (text, "string %s is NULL", f->name);
        FUZZ_CHECK (sn_utf8_valid (text, strlen (text)), "string %s is not UTF-8", f->name);
    }
    else
    if (f->type == PROTOBUF_C_TYPE_ENUM) {
        const ProtobufCEnumDescriptor *desc = (const ProtobufCEnumDescriptor *) f->descriptor;
        FUZZ_CHECK (protobuf_c_enum_descriptor_get_value (desc, *(int *)value),
                    "%s holds %d, not a value of %s", f->name, *(int *)value, desc->name);
    }
    else
    if (f->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **) value)
        fuzz_check_values (*(ProtobufCMessage **) value);
}

void
fuzz_check_values (const ProtobufCMessage *msg)
{
    s_each_value ((ProtobufCMessage *) msg, s_check_value, NULL);
}

void
fuzz_check_decoded (const ProtobufCMessage *msg)
{
    FUZZ_CHECK (fuzz_within_wire_bounds (msg), "%s is past the wire's bounds (%d elements, %d deep)",
                msg->descriptor->name, SN_WIRE_MAX_REPEATED, SN_WIRE_MAX_DEPTH);
    fuzz_check_values (msg);
    size_t len;
    uint8_t *data = fuzz_pack (msg, &len);
    char field [96], why [160];
    FUZZ_CHECK (sn_wire_check (msg->descriptor, data, len, field, sizeof field, why, sizeof why) == 0,
                "%s packed again fails the wire check: %s %s", msg->descriptor->name, field, why);
    ProtobufCMessage *again = protobuf_c_message_unpack (msg->descriptor, NULL, len, data);
    FUZZ_CHECK (again, "%s packed again does not unpack", msg->descriptor->name);
    FUZZ_CHECK (fuzz_same_packed (msg, again), "%s packed, unpacked and packed again differs",
                msg->descriptor->name);
    protobuf_c_message_free_unpacked (again, NULL);
    free (data);
}
