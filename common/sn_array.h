/*  sn_array: PostgreSQL array literals, built element by element, for the
    statements that take many rows at once as arrays ("unnest ($1::text [],
    $2::int [])"): the journal's outbox, audit and idempotency rows, a
    batch of attendance, a pathway's meetings. The one builder of the
    project: every element is quoted or checked here, nowhere else.

    sn_array_t days = SN_ARRAY_INIT;
    sn_array_text (&days, "2026-11-24");
    sn_array_int (&days, 3);
    const char *literal = sn_array_end (&days);     //  {"2026-11-24",3}
    sn_array_free (&days);

    A value type: its fields are the builder's own (read none of them).
    Memory grows as needed; out of memory aborts, as CZMQ's allocations do. */
#ifndef SN_ARRAY_H_INCLUDED
#define SN_ARRAY_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *data;             //  the literal so far: "{" and the elements
    size_t len;             //  bytes in data
    size_t cap;             //  bytes allocated
    size_t n;               //  elements
} sn_array_t;

#define SN_ARRAY_INIT {NULL, 0, 0, 0}

//  Makes room for about bytes more of elements (an optimisation: the
//  builder grows by itself).
void sn_array_reserve (sn_array_t *self, size_t bytes);

//  Appends text as one element, quoted and escaped; NULL appends NULL.
void sn_array_text (sn_array_t *self, const char *text);

//  Appends an integer.
void sn_array_int (sn_array_t *self, long long value);

//  Appends a number with two decimals ("7.50"), as a numeric(.., 2) column
//  keeps it. value must be finite and within +-1e15.
void sn_array_cents (sn_array_t *self, double value);

//  Appends bytes as one bytea element (hex form).
void sn_array_bytea (sn_array_t *self, const uint8_t *bytes, size_t size);

//  Appends len bytes as one element, as they are: for text the caller has
//  checked holds no character the literal gives a meaning (a date, digits).
//  Asserts that it holds no quote, backslash, comma, brace or space.
void sn_array_raw (sn_array_t *self, const char *text, size_t len);

//  Appends every string of items, as sn_array_text does.
void sn_array_texts (sn_array_t *self, char *const *items, size_t n);

//  The literal, closed ("{}" when empty). Owned by the array; valid until
//  the next append, reset or free. Appending after it goes on as before.
const char *sn_array_end (sn_array_t *self);

//  The number of elements.
size_t sn_array_size (const sn_array_t *self);

//  Empties the array, keeping its memory.
void sn_array_reset (sn_array_t *self);

//  Frees its memory; the array is empty again.
void sn_array_free (sn_array_t *self);

//  The literal of n texts, in one call. Caller frees.
char *sn_text_array (char *const *items, size_t n);

#endif
