/*  rep_release: which counts of a release may be published (docs/reporting.md).

    A release is a set of counts (cells) and the sums that tie them: "these
    cells add up to that one" (a row of a table and its total, the same
    total shared by the tables of one year). rep_release_protect hides every
    count from 1 to the threshold (primary suppression), then more cells
    (complementary suppression) until no hidden cell can be worked out from
    the published ones: no sum has exactly one hidden cell, no hidden cell
    is fixed by any combination of the sums (checked by elimination over
    the hidden cells, each group joined by shared sums on its own), and
    none is held to one value by the sums and non-negativity (bounds
    tightened as an attacker would). Complementary cells are the smallest
    positive ones available, so a hidden cell is rarely a zero.

    rep_release_t *r = rep_release_new (5);
    int a = rep_release_cell (r, 3), b = rep_release_cell (r, 7), t = rep_release_cell (r, 10);
    int parts [] = {a, b};
    rep_release_sum (r, t, parts, 2);
    rep_release_protect (r);        // a (3) is primary, b its complement
    rep_release_hidden (r, b);      // true

    No I/O, no locks: one release belongs to one thread. */
#ifndef REP_RELEASE_H_INCLUDED
#define REP_RELEASE_H_INCLUDED

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct _rep_release_t rep_release_t;

//  A release whose counts from 1 to threshold are hidden (threshold >= 1).
rep_release_t *rep_release_new (uint32_t threshold);
void rep_release_destroy (rep_release_t **self_p);

//  Adds a count (>= 0). Returns its cell number.
int rep_release_cell (rep_release_t *self, int64_t value);

//  Says that the cells parts [0..n-1] add up to cell total. Cells may be in
//  several sums (a year's total in the tables by ambito, by category, ...).
void rep_release_sum (rep_release_t *self, int total, const int *parts, size_t n);

//  Hides a cell whatever its value (a rate whose group is hidden goes with
//  it): call before rep_release_protect.
void rep_release_hide (rep_release_t *self, int cell);

//  Decides what is hidden: primary, then complementary cells until no
//  hidden cell can be recovered. Idempotent.
void rep_release_protect (rep_release_t *self);

bool rep_release_hidden (const rep_release_t *self, int cell);
int64_t rep_release_value (const rep_release_t *self, int cell);
size_t rep_release_cells (const rep_release_t *self);
size_t rep_release_hidden_count (const rep_release_t *self);

//  True when the hidden cell is fixed by the sums and the published cells
//  (linear elimination); for tests and for protect itself.
bool rep_release_determined (const rep_release_t *self, int cell);

#endif
