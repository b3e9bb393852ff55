/*  sn_array: PostgreSQL array literals. See sn_array.h. */
#include "sn_array.h"
#include <assert.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

//  Room for more bytes and the closing "}" with its NUL; starts the literal.
static void
s_room (sn_array_t *self, size_t more)
{
    if (self->len + more + 3 > self->cap) {
        self->cap = (self->len + more + 3) * 2;
        self->data = (char *) realloc (self->data, self->cap);
        assert (self->data);
    }
    if (self->len == 0)
        self->data [self->len++] = '{';
}

//  Room for an element of at most more bytes, after its comma.
static char *
s_element (sn_array_t *self, size_t more)
{
    s_room (self, more + 1);
    if (self->n++ > 0)
        self->data [self->len++] = ',';
    return self->data + self->len;
}

void
sn_array_reserve (sn_array_t *self, size_t bytes)
{
    s_room (self, bytes);
}

void
sn_array_text (sn_array_t *self, const char *text)
{
    if (!text) {
        sn_array_raw (self, "NULL", 4);
        return;
    }
    char *out = s_element (self, strlen (text) * 2 + 2);
    *out++ = '"';
    for (const char *c = text; *c; c++) {
        if (*c == '"' || *c == '\\')
            *out++ = '\\';
        *out++ = *c;
    }
    *out++ = '"';
    self->len = (size_t) (out - self->data);
}

//  Writes value's digits at out, with "-" first when negative; at least
//  min_digits digits (zeros in front). Returns the end. (By hand: a batch of
//  attendance writes hundreds of numbers a request, and snprintf costs ten
//  times as much.)
static char *
s_digits (char *out, long long value, int min_digits)
{
    unsigned long long magnitude = value < 0 ? 0ULL - (unsigned long long) value : (unsigned long long) value;
    char reversed [24];
    int n = 0;
    do {
        reversed [n++] = (char) ('0' + magnitude % 10);
        magnitude /= 10;
    } while (magnitude || n < min_digits);
    if (value < 0)
        *out++ = '-';
    while (n)
        *out++ = reversed [--n];
    return out;
}

void
sn_array_int (sn_array_t *self, long long value)
{
    char *out = s_element (self, 24);
    self->len = (size_t) (s_digits (out, value, 1) - self->data);
}

void
sn_array_cents (sn_array_t *self, double value)
{
    assert (isfinite (value) && fabs (value) <= 1e15);
    long long cents = llround (value * 100);
    char *out = s_element (self, 24);
    out = s_digits (out, cents, 3);         //  "750" for 7.50, "005" for 0.05, "-005" for -0.05
    out [0] = out [-1];
    out [-1] = out [-2];
    out [-2] = '.';
    self->len = (size_t) (out + 1 - self->data);
}

void
sn_array_bytea (sn_array_t *self, const uint8_t *bytes, size_t size)
{
    static const char hex [] = "0123456789abcdef";
    char *out = s_element (self, size * 2 + 6);
    memcpy (out, "\"\\\\x", 4);
    out += 4;
    for (size_t k = 0; k < size; k++) {
        *out++ = hex [bytes [k] >> 4];
        *out++ = hex [bytes [k] & 15];
    }
    *out++ = '"';
    self->len = (size_t) (out - self->data);
}

void
sn_array_raw (sn_array_t *self, const char *text, size_t len)
{
    assert (len > 0);
    for (size_t i = 0; i < len; i++)
        assert (!strchr ("\"\\,{} \t\n", text [i]) && text [i]);
    char *out = s_element (self, len);
    memcpy (out, text, len);
    self->len += len;
}

void
sn_array_texts (sn_array_t *self, char *const *items, size_t n)
{
    for (size_t i = 0; i < n; i++)
        sn_array_text (self, items [i]);
}

const char *
sn_array_end (sn_array_t *self)
{
    s_room (self, 0);
    self->data [self->len] = '}';
    self->data [self->len + 1] = 0;
    return self->data;
}

size_t
sn_array_size (const sn_array_t *self)
{
    return self->n;
}

void
sn_array_reset (sn_array_t *self)
{
    self->len = 0;
    self->n = 0;
}

void
sn_array_free (sn_array_t *self)
{
    free (self->data);
    memset (self, 0, sizeof *self);
}

char *
sn_text_array (char *const *items, size_t n)
{
    sn_array_t array = SN_ARRAY_INIT;
    sn_array_texts (&array, items, n);
    sn_array_end (&array);
    return array.data;
}
