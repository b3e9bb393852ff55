/*  sn_wire: messages from outside checked on the wire. See sn_wire.h. */
#include "sn_wire.h"
#include <assert.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_FIELDS 128              //  the most fields a message of ours has

//  The length of the UTF-8 sequence at s (at most len bytes), or 0 when it
//  is not a valid one.
static size_t
s_utf8_sequence (const unsigned char *s, size_t len)
{
    unsigned char c = s [0];
    if (c < 0x80)
        return 1;
    size_t n;
    uint32_t point, least;
    if (c >= 0xC2 && c <= 0xDF) {
        n = 2;
        point = c & 0x1F;
        least = 0x80;
    }
    else
    if ((c & 0xF0) == 0xE0) {
        n = 3;
        point = c & 0x0F;
        least = 0x800;
    }
    else
    if (c >= 0xF0 && c <= 0xF4) {
        n = 4;
        point = c & 0x07;
        least = 0x10000;
    }
    else
        return 0;
    if (len < n)
        return 0;
    for (size_t i = 1; i < n; i++) {
        if ((s [i] & 0xC0) != 0x80)
            return 0;
        point = point << 6 | (s [i] & 0x3F);
    }
    if (point < least || point > 0x10FFFF || (point >= 0xD800 && point <= 0xDFFF))
        return 0;
    return n;
}

bool
sn_utf8_valid (const char *text, size_t len)
{
    const unsigned char *s = (const unsigned char *) text;
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_sequence (s + i, len - i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

void
sn_utf8_repair (char *text)
{
    unsigned char *s = (unsigned char *) text;
    size_t len = strlen (text);
    for (size_t i = 0; i < len;) {
        size_t n = s_utf8_sequence (s + i, len - i);
        if (n) {
            i += n;
            continue;
        }
        //  a lead byte whose continuation bytes run to the end: cut short
        size_t k = i + 1;
        while (k < len && (s [k] & 0xC0) == 0x80)
            k++;
        if (k == len && s [i] >= 0xC2 && s [i] <= 0xF4 && len - i < 4) {
            s [i] = 0;
            return;
        }
        s [i++] = '?';
    }
}

//  --- the wire format -------------------------------------------------------

//  The path to the field being read, for messages: "person.consents[2].purpose".
typedef struct {
    char *text;
    size_t size;
    size_t len;
} s_path_t;

//  Appends to the path; returns the length before, to go back to.
static size_t
s_path_push (s_path_t *self, const char *fmt, ...)
{
    size_t before = self->len;
    if (self->len + 1 < self->size) {
        va_list args;
        va_start (args, fmt);
        int n = vsnprintf (self->text + self->len, self->size - self->len, fmt, args);
        va_end (args);
        self->len += n > 0 ? (size_t) n : 0;
        if (self->len >= self->size)
            self->len = self->size - 1;
    }
    return before;
}

static void
s_path_pop (s_path_t *self, size_t to)
{
    self->len = to;
    if (self->size)
        self->text [to] = 0;
}

//  Reads a varint. Returns 0, or -1 when it runs off the end or past 10 bytes.
static int
s_varint (const uint8_t **p, const uint8_t *end, uint64_t *value)
{
    *value = 0;
    for (int shift = 0; shift < 70 && *p < end; shift += 7) {
        uint8_t byte = *(*p)++;
        *value |= (uint64_t) (byte & 0x7F) << shift;
        if (!(byte & 0x80))
            return 0;
    }
    return -1;
}

typedef struct {
    s_path_t path;
    char *why;
    size_t why_len;
} s_check_t;

static int
s_fail (s_check_t *self, const char *fmt, ...)
{
    if (self->why_len) {
        va_list args;
        va_start (args, fmt);
        vsnprintf (self->why, self->why_len, fmt, args);
        va_end (args);
    }
    return -1;
}

//  An enum's value: one of its enum's.
static int
s_check_enum (s_check_t *self, const ProtobufCFieldDescriptor *f, uint64_t value)
{
    const ProtobufCEnumDescriptor *desc = (const ProtobufCEnumDescriptor *) f->descriptor;
    if (!protobuf_c_enum_descriptor_get_value (desc, (int) (int32_t) value))
        return s_fail (self, "%lld is not a value of %s", (long long) (int32_t) value, desc->name);
    return 0;
}

//  A string's bytes: UTF-8, no NUL.
static int
s_check_string (s_check_t *self, const uint8_t *p, size_t len)
{
    if (memchr (p, 0, len))
        return s_fail (self, "holds a NUL byte");
    if (!sn_utf8_valid ((const char *) p, len))
        return s_fail (self, "is not UTF-8 text");
    return 0;
}

//  The elements of a packed repeated field (len bytes at p). Returns how
//  many, or -1.
static long
s_check_packed (s_check_t *self, const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len)
{
    switch (f->type) {
        case PROTOBUF_C_TYPE_FIXED32: case PROTOBUF_C_TYPE_SFIXED32: case PROTOBUF_C_TYPE_FLOAT:
            return len % 4 ? s_fail (self, "is not a packed array of 32-bit values") : (long) (len / 4);
        case PROTOBUF_C_TYPE_FIXED64: case PROTOBUF_C_TYPE_SFIXED64: case PROTOBUF_C_TYPE_DOUBLE:
            return len % 8 ? s_fail (self, "is not a packed array of 64-bit values") : (long) (len / 8);
        case PROTOBUF_C_TYPE_STRING: case PROTOBUF_C_TYPE_BYTES: case PROTOBUF_C_TYPE_MESSAGE:
            return s_fail (self, "is length-delimited where a packed array cannot be");
        default: {
            const uint8_t *end = p + len;
            long n = 0;
            while (p < end) {
                uint64_t value;
                if (s_varint (&p, end, &value))
                    return s_fail (self, "is not a packed array of varints");
                if (f->type == PROTOBUF_C_TYPE_ENUM && s_check_enum (self, f, value))
                    return -1;
                n++;
            }
            return n;
        }
    }
}

static int s_check_message (s_check_t *self, const ProtobufCMessageDescriptor *desc, const uint8_t *p,
                            const uint8_t *end, int depth);

//  One length-delimited value of field f (len bytes at p). Returns the
//  elements it holds (1, or a packed array's count), or -1.
static long
s_check_delimited (s_check_t *self, const ProtobufCFieldDescriptor *f, const uint8_t *p, size_t len,
                   int depth)
{
    if (f->type == PROTOBUF_C_TYPE_STRING)
        return s_check_string (self, p, len) ? -1 : 1;
    if (f->type == PROTOBUF_C_TYPE_BYTES)
        return 1;
    if (f->type == PROTOBUF_C_TYPE_MESSAGE)
        return s_check_message (self, (const ProtobufCMessageDescriptor *) f->descriptor, p, p + len,
                                depth + 1) ? -1 : 1;
    if (f->label != PROTOBUF_C_LABEL_REPEATED)
        return s_fail (self, "is length-delimited where a single value is expected");
    return s_check_packed (self, f, p, len);
}

//  One field's value at *p (its key read: wire type wt). Moves *p past it.
//  Returns the elements it holds, or -1.
static long
s_check_value (s_check_t *self, const ProtobufCFieldDescriptor *f, int wt, const uint8_t **p,
               const uint8_t *end, int depth)
{
    uint64_t value;
    switch (wt) {
        case 0:
            if (s_varint (p, end, &value))
                return s_fail (self, "is a malformed varint");
            return f && f->type == PROTOBUF_C_TYPE_ENUM && s_check_enum (self, f, value) ? -1 : 1;
        case 1: case 5: {
            size_t size = wt == 1 ? 8 : 4;
            if ((size_t) (end - *p) < size)
                return s_fail (self, "runs past the end of the message");
            *p += size;
            return 1;
        }
        case 2: {
            if (s_varint (p, end, &value) || value > (uint64_t) (end - *p))
                return s_fail (self, "has a length that runs past the end of the message");
            const uint8_t *at = *p;
            *p += value;
            return f ? s_check_delimited (self, f, at, (size_t) value, depth) : 1;
        }
        default:
            return s_fail (self, "has wire type %d, which proto3 does not use", wt);
    }
}

static int
s_check_message (s_check_t *self, const ProtobufCMessageDescriptor *desc, const uint8_t *p, const uint8_t *end,
                 int depth)
{
    if (depth > SN_WIRE_MAX_DEPTH)
        return s_fail (self, "nests messages deeper than %d", SN_WIRE_MAX_DEPTH);
    assert (desc->n_fields <= MAX_FIELDS);
    uint32_t counts [MAX_FIELDS] = {0};
    while (p < end) {
        uint64_t key;
        if (s_varint (&p, end, &key) || (key >> 3) == 0 || (key >> 3) > 536870911)
            return s_fail (self, "is not a protobuf message (a malformed field key)");
        const ProtobufCFieldDescriptor *f = protobuf_c_message_descriptor_get_field (desc, (unsigned) (key >> 3));
        size_t at = 0;
        if (f) {
            size_t index = (size_t) (f - desc->fields);
            at = s_path_push (&self->path, "%s%s", self->path.len ? "." : "", f->name);
            if (f->label == PROTOBUF_C_LABEL_REPEATED)
                s_path_push (&self->path, "[%u]", counts [index]);
            else
            if (f->type == PROTOBUF_C_TYPE_MESSAGE && counts [index])
                return s_fail (self, "is given more than once");
        }
        long n = s_check_value (self, f, (int) (key & 7), &p, end, depth);
        if (n < 0)
            return -1;
        if (f) {
            size_t index = (size_t) (f - desc->fields);
            counts [index] += (uint32_t) n;
            if (f->label == PROTOBUF_C_LABEL_REPEATED && counts [index] > SN_WIRE_MAX_REPEATED) {
                s_path_pop (&self->path, at);
                s_path_push (&self->path, "%s%s", at ? "." : "", f->name);
                return s_fail (self, "has more than %d elements", SN_WIRE_MAX_REPEATED);
            }
            s_path_pop (&self->path, at);
        }
    }
    return 0;
}

int
sn_wire_check (const ProtobufCMessageDescriptor *desc, const uint8_t *data, size_t len,
               char *field, size_t field_len, char *why, size_t why_len)
{
    s_check_t self = {{field, field_len, 0}, why, why_len};
    if (field_len)
        field [0] = 0;
    if (why_len)
        why [0] = 0;
    if (!data || len == 0)
        return 0;
    return s_check_message (&self, desc, data, data + len, 0);
}
