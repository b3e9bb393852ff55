/*  sn_json: JSON <-> protobuf through descriptors. */
#include "sn_json.h"
#include "sn_wire.h"
#include <ctype.h>
#include <errno.h>
#include <json-c/json.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MEMBER(msg, offset, type) ((type *) ((char *) (msg) + (offset)))

//  --- names ---------------------------------------------------------------------

//  lowerCamelCase of a field name: codice_fiscale -> codiceFiscale.
static void
s_camel (const char *name, char *out, size_t size)
{
    size_t n = 0;
    bool upper = false;
    for (const char *p = name; *p && n + 1 < size; p++) {
        if (*p == '_') {
            upper = true;
            continue;
        }
        out [n++] = upper ? (char) toupper ((unsigned char) *p) : *p;
        upper = false;
    }
    out [n] = 0;
}

static const ProtobufCFieldDescriptor *
s_field_by_json_name (const ProtobufCMessageDescriptor *desc, const char *key)
{
    const ProtobufCFieldDescriptor *field = protobuf_c_message_descriptor_get_field_by_name (desc, key);
    if (field)
        return field;
    char camel [128];
    for (unsigned i = 0; i < desc->n_fields; i++) {
        s_camel (desc->fields [i].name, camel, sizeof camel);
        if (strcmp (camel, key) == 0)
            return &desc->fields [i];
    }
    return NULL;
}

//  Length of the prefix ending in '_' that all of an enum's names share.
static size_t
s_enum_prefix (const ProtobufCEnumDescriptor *desc)
{
    if (desc->n_values == 0)
        return 0;
    const char *first = desc->values [0].name;
    size_t len = 0;
    for (size_t i = 0; first [i]; i++) {
        if (first [i] != '_')
            continue;
        bool shared = true;
        for (unsigned v = 1; v < desc->n_values && shared; v++)
            shared = strncmp (desc->values [v].name, first, i + 1) == 0;
        if (!shared)
            break;
        len = i + 1;
    }
    return len;
}

//  --- base64 ----------------------------------------------------------------------

static const char s_b64 [] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static char *
s_base64_encode (const uint8_t *data, size_t len)
{
    char *out = (char *) malloc ((len + 2) / 3 * 4 + 1);
    size_t o = 0;
    for (size_t i = 0; i < len; i += 3) {
        uint32_t v = (uint32_t) data [i] << 16;
        if (i + 1 < len)
            v |= (uint32_t) data [i + 1] << 8;
        if (i + 2 < len)
            v |= data [i + 2];
        out [o++] = s_b64 [(v >> 18) & 63];
        out [o++] = s_b64 [(v >> 12) & 63];
        out [o++] = i + 1 < len ? s_b64 [(v >> 6) & 63] : '=';
        out [o++] = i + 2 < len ? s_b64 [v & 63] : '=';
    }
    out [o] = 0;
    return out;
}

static int
s_b64_value (char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;
    if (c == '/' || c == '_') return 63;
    return -1;
}

//  Decodes base64 (standard or URL alphabet, padding optional). Returns 0 or -1.
static int
s_base64_decode (const char *text, ProtobufCBinaryData *out)
{
    size_t len = strlen (text);
    while (len > 0 && text [len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    out->data = (uint8_t *) malloc (len * 3 / 4 + 1);
    out->len = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < len; i++) {
        int v = s_b64_value (text [i]);
        if (v < 0) {
            free (out->data);
            out->data = NULL;
            return -1;
        }
        acc = (acc << 6) | (uint32_t) v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out->data [out->len++] = (uint8_t) (acc >> bits);
        }
    }
    return 0;
}

//  --- message -> JSON ---------------------------------------------------------------

size_t
sn_json_element_size (const ProtobufCFieldDescriptor *field)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return 8;
        case PROTOBUF_C_TYPE_DOUBLE:
            return sizeof (double);
        case PROTOBUF_C_TYPE_FLOAT:
            return sizeof (float);
        case PROTOBUF_C_TYPE_BOOL:
            return sizeof (protobuf_c_boolean);
        case PROTOBUF_C_TYPE_STRING:
            return sizeof (char *);
        case PROTOBUF_C_TYPE_BYTES:
            return sizeof (ProtobufCBinaryData);
        case PROTOBUF_C_TYPE_MESSAGE:
            return sizeof (ProtobufCMessage *);
        default:
            return 4;
    }
}

static struct json_object *s_from_message (const ProtobufCMessage *msg, int flags);

static struct json_object *
s_double (double v)
{
    if (isnan (v))
        return json_object_new_string ("NaN");
    if (isinf (v))
        return json_object_new_string (v > 0 ? "Infinity" : "-Infinity");
    //  shortest text that reads back the same double
    char text [32];
    for (int digits = 15; digits <= 17; digits++) {
        snprintf (text, sizeof text, "%.*g", digits, v);
        if (strtod (text, NULL) == v)
            break;
    }
    return json_object_new_double_s (v, text);
}

//  One value at ptr (an element of the field's type) as JSON.
static struct json_object *
s_value (const ProtobufCFieldDescriptor *field, const void *ptr, int flags)
{
    char text [32];
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            return json_object_new_int (*(const int32_t *) ptr);
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            return json_object_new_int64 (*(const uint32_t *) ptr);
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            snprintf (text, sizeof text, "%lld", (long long) *(const int64_t *) ptr);
            return json_object_new_string (text);
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            snprintf (text, sizeof text, "%llu", (unsigned long long) *(const uint64_t *) ptr);
            return json_object_new_string (text);
        case PROTOBUF_C_TYPE_FLOAT:
            return s_double (*(const float *) ptr);
        case PROTOBUF_C_TYPE_DOUBLE:
            return s_double (*(const double *) ptr);
        case PROTOBUF_C_TYPE_BOOL:
            return json_object_new_boolean (*(const protobuf_c_boolean *) ptr);
        case PROTOBUF_C_TYPE_ENUM: {
            int v = *(const int *) ptr;
            const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value (
                (const ProtobufCEnumDescriptor *) field->descriptor, v);
            return ev ? json_object_new_string (ev->name) : json_object_new_int (v);
        }
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(char *const *) ptr;
            return json_object_new_string (s ? s : "");
        }
        case PROTOBUF_C_TYPE_BYTES: {
            const ProtobufCBinaryData *b = (const ProtobufCBinaryData *) ptr;
            char *enc = s_base64_encode (b->data, b->len);
            struct json_object *obj = json_object_new_string (enc);
            free (enc);
            return obj;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            //  one not set is null (with SN_JSON_EMIT_DEFAULTS): {} would read
            //  back as a message that is set
            const ProtobufCMessage *sub = *(ProtobufCMessage *const *) ptr;
            return sub ? s_from_message (sub, flags) : NULL;
        }
    }
    return NULL;
}

//  True if a proto3 singular field holds its default.
static bool
s_is_default (const ProtobufCFieldDescriptor *field, const void *ptr)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_STRING: {
            const char *s = *(char *const *) ptr;
            return !s || !*s;
        }
        case PROTOBUF_C_TYPE_BYTES:
            return ((const ProtobufCBinaryData *) ptr)->len == 0;
        case PROTOBUF_C_TYPE_MESSAGE:
            return *(ProtobufCMessage *const *) ptr == NULL;
        case PROTOBUF_C_TYPE_DOUBLE:
            return *(const double *) ptr == 0;
        case PROTOBUF_C_TYPE_FLOAT:
            return *(const float *) ptr == 0;
        default: {
            size_t size = sn_json_element_size (field);
            static const uint8_t zeros [8] = {0};
            return memcmp (ptr, zeros, size) == 0;
        }
    }
}

static struct json_object *
s_from_message (const ProtobufCMessage *msg, int flags)
{
    const ProtobufCMessageDescriptor *desc = msg->descriptor;
    struct json_object *obj = json_object_new_object ();
    for (unsigned i = 0; i < desc->n_fields; i++) {
        const ProtobufCFieldDescriptor *field = &desc->fields [i];
        const void *ptr = (const char *) msg + field->offset;
        char key [128];
        s_camel (field->name, key, sizeof key);
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            size_t n = *MEMBER (msg, field->quantifier_offset, const size_t);
            if (n == 0 && !(flags & SN_JSON_EMIT_DEFAULTS))
                continue;
            const char *array = *(char *const *) ptr;
            struct json_object *list = json_object_new_array ();
            size_t size = sn_json_element_size (field);
            for (size_t k = 0; k < n; k++)
                json_object_array_add (list, s_value (field, array + k * size, flags));
            json_object_object_add (obj, key, list);
            continue;
        }
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            if (*MEMBER (msg, field->quantifier_offset, const uint32_t) != field->id)
                continue;
        }
        else
        if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset
        &&  field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE) {
            if (!*MEMBER (msg, field->quantifier_offset, const protobuf_c_boolean))
                continue;
        }
        else
        if (!(flags & SN_JSON_EMIT_DEFAULTS) && s_is_default (field, ptr))
            continue;
        json_object_object_add (obj, key, s_value (field, ptr, flags));
    }
    return obj;
}

struct json_object *
sn_json_obj_from_message (const ProtobufCMessage *msg, int flags)
{
    return msg ? s_from_message (msg, flags) : NULL;
}

char *
sn_json_from_message (const ProtobufCMessage *msg, int flags)
{
    struct json_object *obj = sn_json_obj_from_message (msg, flags);
    if (!obj)
        return NULL;
    const char *text = json_object_to_json_string_ext (
        obj, (flags & SN_JSON_PRETTY) ? JSON_C_TO_STRING_PRETTY | JSON_C_TO_STRING_SPACED
                                      : JSON_C_TO_STRING_PLAIN);
    char *copy = text ? strdup (text) : NULL;
    json_object_put (obj);
    return copy;
}

//  --- JSON -> message ----------------------------------------------------------------

typedef struct {
    char *err;
    size_t errlen;
    char path [256];
} s_ctx_t;

static int
s_fail (s_ctx_t *ctx, const char *fmt, ...)
{
    char why [256];
    va_list args;
    va_start (args, fmt);
    vsnprintf (why, sizeof why, fmt, args);
    va_end (args);
    if (ctx->err && ctx->errlen)
        snprintf (ctx->err, ctx->errlen, "%s%s%s", ctx->path, ctx->path [0] ? ": " : "", why);
    return -1;
}

static const char *
s_type_name (struct json_object *v)
{
    switch (json_object_get_type (v)) {
        case json_type_null: return "null";
        case json_type_boolean: return "boolean";
        case json_type_double: return "number";
        case json_type_int: return "integer";
        case json_type_object: return "object";
        case json_type_array: return "array";
        case json_type_string: return "string";
    }
    return "value";
}

//  The text of a JSON string as a message may hold it: UTF-8 without NUL
//  (json-c takes "\u0000" and bytes that are not UTF-8; a C string would
//  end at the NUL, silently). Returns it, borrowed from v, or NULL.
static const char *
s_text (s_ctx_t *ctx, struct json_object *v)
{
    const char *text = json_object_get_string (v);
    size_t len = (size_t) json_object_get_string_len (v);
    if (strlen (text) != len) {
        s_fail (ctx, "holds a NUL character");
        return NULL;
    }
    if (!sn_utf8_valid (text, len)) {
        s_fail (ctx, "is not UTF-8 text");
        return NULL;
    }
    return text;
}

//  An integer from a JSON integer, or a string of decimal digits (after a
//  '-' if signed: no space, no '+'). Returns 0 or -1.
static int
s_integer (s_ctx_t *ctx, struct json_object *v, bool is_unsigned, long long *s_out,
           unsigned long long *u_out)
{
    errno = 0;
    if (json_object_is_type (v, json_type_int)) {
        if (is_unsigned) {
            int64_t i = json_object_get_int64 (v);
            if (i < 0)
                return s_fail (ctx, "%lld is negative", (long long) i);
            *u_out = json_object_get_uint64 (v);
        }
        else {
            //  json-c keeps large positive numbers as uint64
            uint64_t u = json_object_get_uint64 (v);
            int64_t i = json_object_get_int64 (v);
            if (i >= 0 && u > (uint64_t) LLONG_MAX)
                return s_fail (ctx, "%llu is out of range", (unsigned long long) u);
            *s_out = i;
        }
        return 0;
    }
    if (json_object_is_type (v, json_type_double)) {
        double d = json_object_get_double (v);
        if (d != floor (d) || fabs (d) > 9.007199254740992e15)
            return s_fail (ctx, "expected an integer, got %g", d);
        if (is_unsigned && d < 0)
            return s_fail (ctx, "%g is negative", d);
        *s_out = (long long) d;
        *u_out = (unsigned long long) (d < 0 ? 0 : d);
        return 0;
    }
    if (json_object_is_type (v, json_type_string)) {
        const char *text = s_text (ctx, v);
        char *end = NULL;
        if (!text)
            return -1;
        if (!*text)
            return s_fail (ctx, "expected an integer, got an empty string");
        if (is_unsigned && text [0] == '-')
            return s_fail (ctx, "\"%.32s\" is negative", text);
        if (!isdigit ((unsigned char) text [text [0] == '-']))
            return s_fail (ctx, "\"%.32s\" is not an integer", text);
        if (is_unsigned)
            *u_out = strtoull (text, &end, 10);
        else
            *s_out = strtoll (text, &end, 10);
        if (*end || errno)
            return s_fail (ctx, "\"%.32s\" is not an integer in range", text);
        return 0;
    }
    return s_fail (ctx, "expected integer, got %s", s_type_name (v));
}

static int s_to_message (s_ctx_t *ctx, const ProtobufCMessageDescriptor *desc,
                         struct json_object *obj, ProtobufCMessage **out);

static int
s_enum (s_ctx_t *ctx, const ProtobufCEnumDescriptor *desc, struct json_object *v, int *out)
{
    if (json_object_is_type (v, json_type_int)) {
        int64_t i = json_object_get_int64 (v);
        if (i < INT32_MIN || i > INT32_MAX)
            return s_fail (ctx, "%lld is out of range for %s", (long long) i, desc->name);
        //  a number its enum does not have: the wire refuses it too
        if (!protobuf_c_enum_descriptor_get_value (desc, (int) i))
            return s_fail (ctx, "%lld is not a value of %s", (long long) i, desc->name);
        *out = (int) i;
        return 0;
    }
    if (!json_object_is_type (v, json_type_string))
        return s_fail (ctx, "expected an enum name, got %s", s_type_name (v));
    const char *name = s_text (ctx, v);
    if (!name)
        return -1;
    const ProtobufCEnumValue *ev = protobuf_c_enum_descriptor_get_value_by_name (desc, name);
    if (!ev) {
        size_t prefix = s_enum_prefix (desc);
        for (unsigned i = 0; i < desc->n_values && !ev; i++)
            if (strcasecmp (desc->values [i].name, name) == 0
            ||  strcasecmp (desc->values [i].name + prefix, name) == 0)
                ev = &desc->values [i];
    }
    if (!ev)
        return s_fail (ctx, "unknown enum value \"%.40s\" for %s", name, desc->name);
    *out = ev->value;
    return 0;
}

//  Parses an integer of field's type into ptr. Returns 0 or -1.
static int
s_parse_integer (s_ctx_t *ctx, const ProtobufCFieldDescriptor *field, struct json_object *v, void *ptr)
{
    long long s = 0;
    unsigned long long u = 0;
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
            if (s_integer (ctx, v, false, &s, &u))
                return -1;
            if (s < INT32_MIN || s > INT32_MAX)
                return s_fail (ctx, "%lld is out of range for int32", s);
            *(int32_t *) ptr = (int32_t) s;
            return 0;
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
            if (s_integer (ctx, v, true, &s, &u))
                return -1;
            if (u > UINT32_MAX)
                return s_fail (ctx, "%llu is out of range for uint32", u);
            *(uint32_t *) ptr = (uint32_t) u;
            return 0;
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
            if (s_integer (ctx, v, false, &s, &u))
                return -1;
            *(int64_t *) ptr = s;
            return 0;
        default:
            assert (field->type == PROTOBUF_C_TYPE_UINT64 || field->type == PROTOBUF_C_TYPE_FIXED64);
            if (s_integer (ctx, v, true, &s, &u))
                return -1;
            *(uint64_t *) ptr = u;
            return 0;
    }
}

//  Parses a float or double (a number, or "NaN", "Infinity", "-Infinity",
//  or a number in a string) into ptr. Returns 0 or -1.
static int
s_parse_real (s_ctx_t *ctx, const ProtobufCFieldDescriptor *field, struct json_object *v, void *ptr)
{
    double d;
    if (json_object_is_type (v, json_type_double) || json_object_is_type (v, json_type_int))
        d = json_object_get_double (v);
    else
    if (json_object_is_type (v, json_type_string)) {
        const char *t = s_text (ctx, v);
        if (!t)
            return -1;
        if (strcmp (t, "NaN") == 0)
            d = NAN;
        else
        if (strcmp (t, "Infinity") == 0)
            d = INFINITY;
        else
        if (strcmp (t, "-Infinity") == 0)
            d = -INFINITY;
        else {
            char *end;
            d = strtod (t, &end);
            if (!*t || *end)
                return s_fail (ctx, "\"%.32s\" is not a number", t);
        }
    }
    else
        return s_fail (ctx, "expected number, got %s", s_type_name (v));
    if (field->type == PROTOBUF_C_TYPE_FLOAT)
        *(float *) ptr = (float) d;
    else
        *(double *) ptr = d;
    return 0;
}

//  Parses one value of field into ptr (an element). Returns 0 or -1.
static int
s_parse_value (s_ctx_t *ctx, const ProtobufCFieldDescriptor *field, struct json_object *v, void *ptr)
{
    switch (field->type) {
        case PROTOBUF_C_TYPE_INT32: case PROTOBUF_C_TYPE_SINT32: case PROTOBUF_C_TYPE_SFIXED32:
        case PROTOBUF_C_TYPE_UINT32: case PROTOBUF_C_TYPE_FIXED32:
        case PROTOBUF_C_TYPE_INT64: case PROTOBUF_C_TYPE_SINT64: case PROTOBUF_C_TYPE_SFIXED64:
        case PROTOBUF_C_TYPE_UINT64: case PROTOBUF_C_TYPE_FIXED64:
            return s_parse_integer (ctx, field, v, ptr);
        case PROTOBUF_C_TYPE_FLOAT:
        case PROTOBUF_C_TYPE_DOUBLE:
            return s_parse_real (ctx, field, v, ptr);
        case PROTOBUF_C_TYPE_BOOL:
            if (!json_object_is_type (v, json_type_boolean))
                return s_fail (ctx, "expected boolean, got %s", s_type_name (v));
            *(protobuf_c_boolean *) ptr = json_object_get_boolean (v) ? 1 : 0;
            return 0;
        case PROTOBUF_C_TYPE_ENUM:
            return s_enum (ctx, (const ProtobufCEnumDescriptor *) field->descriptor, v, (int *) ptr);
        case PROTOBUF_C_TYPE_STRING: {
            if (!json_object_is_type (v, json_type_string))
                return s_fail (ctx, "expected string, got %s", s_type_name (v));
            const char *text = s_text (ctx, v);
            if (!text)
                return -1;
            char **slot = (char **) ptr;
            if (*slot && *slot != protobuf_c_empty_string && *slot != field->default_value)
                free (*slot);
            *slot = strdup (text);
            return 0;
        }
        case PROTOBUF_C_TYPE_BYTES: {
            if (!json_object_is_type (v, json_type_string))
                return s_fail (ctx, "expected base64 string, got %s", s_type_name (v));
            const char *text = s_text (ctx, v);
            if (!text)
                return -1;
            ProtobufCBinaryData *b = (ProtobufCBinaryData *) ptr;
            free (b->data);
            b->data = NULL;
            b->len = 0;
            if (s_base64_decode (text, b))
                return s_fail (ctx, "invalid base64");
            return 0;
        }
        case PROTOBUF_C_TYPE_MESSAGE: {
            if (!json_object_is_type (v, json_type_object))
                return s_fail (ctx, "expected object, got %s", s_type_name (v));
            ProtobufCMessage **slot = (ProtobufCMessage **) ptr;
            if (*slot) {
                protobuf_c_message_free_unpacked (*slot, NULL);
                *slot = NULL;
            }
            return s_to_message (ctx, (const ProtobufCMessageDescriptor *) field->descriptor, v, slot);
        }
    }
    return s_fail (ctx, "unsupported field type");
}

static int
s_parse_repeated (s_ctx_t *ctx, ProtobufCMessage *msg, const ProtobufCFieldDescriptor *field,
                  struct json_object *v)
{
    if (!json_object_is_type (v, json_type_array))
        return s_fail (ctx, "expected array, got %s", s_type_name (v));
    size_t n = json_object_array_length (v);
    size_t size = sn_json_element_size (field);
    size_t *count = MEMBER (msg, field->quantifier_offset, size_t);
    char **array = MEMBER (msg, field->offset, char *);
    if (*count > 0)
        return s_fail (ctx, "given twice");
    *array = n ? (char *) calloc (n, size) : NULL;
    size_t path_len = strlen (ctx->path);
    for (size_t i = 0; i < n; i++) {
        snprintf (ctx->path + path_len, sizeof ctx->path - path_len, "[%zu]", i);
        struct json_object *item = json_object_array_get_idx (v, i);
        if (json_object_is_type (item, json_type_null))
            return s_fail (ctx, "null is not allowed in a list");
        char *slot = *array + i * size;
        if (s_parse_value (ctx, field, item, slot) == 0)
            *count = i + 1;
        else {
            //  a message half made in the slot is freed with the message; a
            //  string or bytes that failed left nothing there (protobuf-c
            //  would free whatever pointer a counted slot holds)
            if (field->type == PROTOBUF_C_TYPE_MESSAGE && *(ProtobufCMessage **) slot)
                *count = i + 1;
            return -1;
        }
    }
    ctx->path [path_len] = 0;
    return 0;
}

static int
s_to_message (s_ctx_t *ctx, const ProtobufCMessageDescriptor *desc, struct json_object *obj,
              ProtobufCMessage **out)
{
    ProtobufCMessage *msg = (ProtobufCMessage *) calloc (1, desc->sizeof_message);
    protobuf_c_message_init (desc, msg);
    *out = msg;         //  the caller frees it, whole or half made
    size_t path_len = strlen (ctx->path);
    json_object_object_foreach (obj, key, value) {
        snprintf (ctx->path + path_len, sizeof ctx->path - path_len, "%s%s", path_len ? "." : "", key);
        const ProtobufCFieldDescriptor *field = s_field_by_json_name (desc, key);
        if (!field) {
            ctx->path [path_len] = 0;
            return s_fail (ctx, "unknown field \"%.64s\" in %s", key, desc->name);
        }
        //  the path names the field as in the .proto
        snprintf (ctx->path + path_len, sizeof ctx->path - path_len, "%s%s", path_len ? "." : "", field->name);
        if (json_object_is_type (value, json_type_null))
            continue;
        if (field->label == PROTOBUF_C_LABEL_REPEATED) {
            if (s_parse_repeated (ctx, msg, field, value))
                return -1;
            continue;
        }
        if (field->flags & PROTOBUF_C_FIELD_FLAG_ONEOF) {
            uint32_t *which = MEMBER (msg, field->quantifier_offset, uint32_t);
            if (*which != 0 && *which != field->id)
                return s_fail (ctx, "another member of its oneof is already set");
            *which = field->id;
        }
        else
        if (field->label == PROTOBUF_C_LABEL_OPTIONAL && field->quantifier_offset
        &&  field->type != PROTOBUF_C_TYPE_STRING && field->type != PROTOBUF_C_TYPE_MESSAGE)
            *MEMBER (msg, field->quantifier_offset, protobuf_c_boolean) = 1;
        if (s_parse_value (ctx, field, value, (char *) msg + field->offset))
            return -1;
    }
    ctx->path [path_len] = 0;
    return 0;
}

ProtobufCMessage *
sn_json_obj_to_message (const ProtobufCMessageDescriptor *desc, struct json_object *obj,
                        char *err, size_t errlen)
{
    s_ctx_t ctx = {err, errlen, ""};
    if (!obj || !json_object_is_type (obj, json_type_object)) {
        s_fail (&ctx, "expected a JSON object for %s, got %s", desc->name, obj ? s_type_name (obj) : "nothing");
        return NULL;
    }
    ProtobufCMessage *msg = NULL;
    if (s_to_message (&ctx, desc, obj, &msg)) {
        protobuf_c_message_free_unpacked (msg, NULL);
        return NULL;
    }
    return msg;
}

ProtobufCMessage *
sn_json_to_message (const ProtobufCMessageDescriptor *desc, const char *json, char *err, size_t errlen)
{
    if (!json) {
        if (err && errlen)
            snprintf (err, errlen, "no JSON");
        return NULL;
    }
    struct json_tokener *tok = json_tokener_new ();
    size_t len = strlen (json);
    struct json_object *obj = json_tokener_parse_ex (tok, json, (int) len);
    enum json_tokener_error jerr = json_tokener_get_error (tok);
    size_t offset = json_tokener_get_parse_end (tok);
    //  trailing garbage after the value is an error too
    bool trailing = false;
    if (obj && jerr == json_tokener_success)
        for (size_t i = offset; i < len && !trailing; i++)
            trailing = !isspace ((unsigned char) json [i]);
    json_tokener_free (tok);
    if (!obj || jerr != json_tokener_success || trailing) {
        if (err && errlen) {
            int line = 1;
            for (size_t i = 0; i < offset && i < len; i++)
                line += json [i] == '\n';
            snprintf (err, errlen, "invalid JSON at line %d (offset %zu): %s", line, offset,
                      trailing ? "unexpected text after the value"
                               : jerr == json_tokener_continue ? "unexpected end"
                                                                : json_tokener_error_desc (jerr));
        }
        json_object_put (obj);
        return NULL;
    }
    ProtobufCMessage *msg = sn_json_obj_to_message (desc, obj, err, errlen);
    json_object_put (obj);
    return msg;
}
