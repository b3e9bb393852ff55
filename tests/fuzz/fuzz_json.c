/*  fuzz_json: the JSON codec (sn_json) both ways, for every message of the
    services and the envelope, and the codec's test messages (every field
    type, a oneof, a message that nests itself).

    The first byte says the way, the second picks the message:
      even  the rest is JSON text, read by sn_json_to_message;
      odd   the rest is the message's bytes as they come from outside:
            checked on the wire and unpacked, then written as JSON.

    What must hold:
      - a message read from JSON holds only values a service may take
        (strings UTF-8 without NUL, enums known) and, within the wire's
        bounds, packs to bytes the wire check accepts;
      - written as JSON (plain, pretty, with defaults) it reads back to a
        message that packs to the same bytes (NaNs made one: JSON cannot
        tell them apart), and the plain JSON of that is the same text: the
        writer's output is a fixed point;
      - a refusal says why;
      - a message from outside written as JSON reads back, and packs to the
        same bytes when protobuf-c kept no field it does not know. */
#include "fuzz_support.h"
#include "sn_json.h"
#include "sn_wire.h"
#include <string.h>

static const ProtobufCMessageDescriptor *const *s_messages;
static size_t s_n_messages;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
    s_n_messages = fuzz_messages (&s_messages);
    return 0;
}

//  msg written as JSON with flags and read back: the same bytes, NaNs made
//  one. Returns the JSON written (caller frees).
static char *
s_round_trip (ProtobufCMessage *msg, int flags)
{
    const char *name = msg->descriptor->name;
    char *json = sn_json_from_message (msg, flags);
    FUZZ_CHECK (json, "%s could not be written as JSON", name);
    char err [256] = "";
    ProtobufCMessage *again = sn_json_to_message (msg->descriptor, json, err, sizeof err);
    FUZZ_CHECK (again, "%s written as JSON does not read back: %s\n%s", name, err, json);
    fuzz_canonical_nans (msg);
    FUZZ_CHECK (fuzz_same_packed (msg, again), "%s written as JSON reads back as another message:\n%s", name,
                json);
    if (flags == 0) {
        char *twice = sn_json_from_message (again, 0);
        FUZZ_CHECK (twice && strcmp (twice, json) == 0, "%s written again is another text:\n%s\n%s", name,
                    json, twice);
        free (twice);
    }
    protobuf_c_message_free_unpacked (again, NULL);
    return json;
}

//  The rest is JSON text for desc.
static void
s_from_json (const ProtobufCMessageDescriptor *desc, fuzz_bytes_t *in)
{
    char *text = fuzz_take_until (in, 0, NULL);
    char err [256] = "";
    ProtobufCMessage *msg = sn_json_to_message (desc, text, err, sizeof err);
    if (!msg) {
        FUZZ_CHECK (*err, "%s: a refusal that does not say why", desc->name);
        free (text);
        return;
    }
    fuzz_check_values (msg);
    if (fuzz_within_wire_bounds (msg)) {
        size_t len;
        uint8_t *data = fuzz_pack (msg, &len);
        char field [96], why [160];
        FUZZ_CHECK (sn_wire_check (desc, data, len, field, sizeof field, why, sizeof why) == 0,
                    "%s read from JSON fails the wire check: %s %s", desc->name, field, why);
        free (data);
    }
    free (s_round_trip (msg, 0));
    free (s_round_trip (msg, SN_JSON_PRETTY));
    free (s_round_trip (msg, SN_JSON_EMIT_DEFAULTS));
    protobuf_c_message_free_unpacked (msg, NULL);
    free (text);
}

//  The rest is desc's bytes from outside.
static void
s_from_bytes (const ProtobufCMessageDescriptor *desc, fuzz_bytes_t *in)
{
    char field [96], why [160];
    if (sn_wire_check (desc, in->data, in->size, field, sizeof field, why, sizeof why))
        return;
    ProtobufCMessage *msg = protobuf_c_message_unpack (desc, NULL, in->size, in->data);
    if (!msg)
        return;
    char *json = sn_json_from_message (msg, 0);
    FUZZ_CHECK (json, "%s could not be written as JSON", desc->name);
    char err [256] = "";
    ProtobufCMessage *again = sn_json_to_message (desc, json, err, sizeof err);
    FUZZ_CHECK (again, "%s from outside, written as JSON, does not read back: %s\n%s", desc->name, err, json);
    if (!fuzz_has_unknown_fields (msg)) {
        fuzz_canonical_nans (msg);
        FUZZ_CHECK (fuzz_same_packed (msg, again), "%s from outside, written as JSON, reads back as another "
                    "message:\n%s", desc->name, json);
    }
    free (s_round_trip (again, 0));
    free (s_round_trip (again, SN_JSON_EMIT_DEFAULTS));
    protobuf_c_message_free_unpacked (again, NULL);
    protobuf_c_message_free_unpacked (msg, NULL);
    free (json);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
    fuzz_bytes_t in = {data, size};
    uint8_t way = fuzz_take_byte (&in);
    const ProtobufCMessageDescriptor *desc = s_messages [fuzz_take_byte (&in) % s_n_messages];
    if (way % 2 == 0)
        s_from_json (desc, &in);
    else
        s_from_bytes (desc, &in);
    return 0;
}
