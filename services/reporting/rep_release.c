/*  rep_release: primary and complementary suppression. See rep_release.h. */
#include "rep_release.h"
#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct {
    int total;                  //  the cell the parts add up to
    int *parts;                 //  the parts (owned)
    size_t n_parts;
} s_sum_t;

struct _rep_release_t {
    uint32_t threshold;         //  counts 1..threshold are hidden
    int64_t *values;            //  per cell
    bool *hidden;               //  per cell
    size_t n_cells;
    size_t max_cells;           //  allocated
    s_sum_t *sums;
    size_t n_sums;
    size_t max_sums;            //  allocated
};

rep_release_t *
rep_release_new (uint32_t threshold)
{
    assert (threshold >= 1);
    rep_release_t *self = (rep_release_t *) calloc (1, sizeof (rep_release_t));
    if (self)
        self->threshold = threshold;
    return self;
}

void
rep_release_destroy (rep_release_t **self_p)
{
    rep_release_t *self = *self_p;
    if (!self)
        return;
    for (size_t i = 0; i < self->n_sums; i++)
        free (self->sums [i].parts);
    free (self->sums);
    free (self->values);
    free (self->hidden);
    free (self);
    *self_p = NULL;
}

int
rep_release_cell (rep_release_t *self, int64_t value)
{
    if (self->n_cells == self->max_cells) {
        self->max_cells = self->max_cells ? self->max_cells * 2 : 64;
        self->values = (int64_t *) realloc (self->values, self->max_cells * sizeof (int64_t));
        self->hidden = (bool *) realloc (self->hidden, self->max_cells * sizeof (bool));
        assert (self->values && self->hidden);
    }
    self->values [self->n_cells] = value < 0 ? 0 : value;
    self->hidden [self->n_cells] = false;
    return (int) self->n_cells++;
}

void
rep_release_sum (rep_release_t *self, int total, const int *parts, size_t n)
{
    assert (total >= 0 && (size_t) total < self->n_cells);
    if (self->n_sums == self->max_sums) {
        self->max_sums = self->max_sums ? self->max_sums * 2 : 16;
        self->sums = (s_sum_t *) realloc (self->sums, self->max_sums * sizeof (s_sum_t));
        assert (self->sums);
    }
    s_sum_t *sum = &self->sums [self->n_sums++];
    sum->total = total;
    sum->n_parts = n;
    sum->parts = (int *) malloc ((n ? n : 1) * sizeof (int));
    assert (sum->parts);
    for (size_t i = 0; i < n; i++) {
        assert (parts [i] >= 0 && (size_t) parts [i] < self->n_cells);
        sum->parts [i] = parts [i];
    }
}

void
rep_release_hide (rep_release_t *self, int cell)
{
    assert (cell >= 0 && (size_t) cell < self->n_cells);
    self->hidden [cell] = true;
}

bool rep_release_hidden (const rep_release_t *self, int cell) { return self->hidden [cell]; }
int64_t rep_release_value (const rep_release_t *self, int cell) { return self->values [cell]; }
size_t rep_release_cells (const rep_release_t *self) { return self->n_cells; }

size_t
rep_release_hidden_count (const rep_release_t *self)
{
    size_t n = 0;
    for (size_t i = 0; i < self->n_cells; i++)
        n += self->hidden [i];
    return n;
}

//  The coefficient of cell in a sum: +1 as a part, -1 as the total.
static double
s_coefficient (const s_sum_t *sum, int cell)
{
    double c = sum->total == cell ? -1 : 0;
    for (size_t i = 0; i < sum->n_parts; i++)
        if (sum->parts [i] == cell)
            c += 1;
    return c;
}

//  The hidden cells in components: two are in one when a sum holds both
//  (union-find over the hidden cells' columns). A cell can be fixed only
//  by the sums of its component, so each is eliminated on its own: the
//  same cells found as by one elimination of every sum, at the cost of
//  the components' sizes rather than the whole release's.
static int
s_root (int *parent, int j)
{
    while (parent [j] != j)
        j = parent [j] = parent [parent [j]];
    return j;
}

//  The column of the first hidden cell of a sum, or -1.
static int
s_first_hidden (const s_sum_t *sum, const int *column)
{
    if (column [sum->total] >= 0)
        return column [sum->total];
    for (size_t i = 0; i < sum->n_parts; i++)
        if (column [sum->parts [i]] >= 0)
            return column [sum->parts [i]];
    return -1;
}

//  Reduces m (rows x cols) to echelon form; pivot_of_row [r] is the column
//  leading row r. Returns the rank.
static size_t
s_eliminate (double *m, size_t rows, size_t cols, int *pivot_of_row)
{
    size_t rank = 0;
    for (size_t j = 0; j < cols && rank < rows; j++) {
        size_t best = rank;
        for (size_t r = rank; r < rows; r++)
            if (fabs (m [r * cols + j]) > fabs (m [best * cols + j]))
                best = r;
        if (fabs (m [best * cols + j]) < 1e-9)
            continue;
        for (size_t k = 0; k < cols; k++) {
            double t = m [rank * cols + k];
            m [rank * cols + k] = m [best * cols + k];
            m [best * cols + k] = t;
        }
        double p = m [rank * cols + j];
        for (size_t k = 0; k < cols; k++)
            m [rank * cols + k] /= p;
        for (size_t r = 0; r < rows; r++)
            if (r != rank && fabs (m [r * cols + j]) > 1e-12) {
                double f = m [r * cols + j];
                for (size_t k = 0; k < cols; k++)
                    m [r * cols + k] -= f * m [rank * cols + k];
            }
        pivot_of_row [rank++] = (int) j;
    }
    return rank;
}

//  The hidden cells and sums of a release grouped by component: the
//  columns of component c are cols_of [col_at [c] .. col_at [c + 1]), its
//  sums sums_of [sum_at [c] .. sum_at [c + 1]); local [j] is column j's
//  place in its component.
typedef struct {
    int *column, *var, *local, *cols_of, *col_at, *sums_of, *sum_at;
    size_t cols;
} s_parts_t;

static void
s_parts_free (s_parts_t *p)
{
    free (p->column);
    free (p->var);
    free (p->local);
    free (p->cols_of);
    free (p->col_at);
    free (p->sums_of);
    free (p->sum_at);
}

//  Counting sort of n items by their key (0..keys-1, or -1: left out).
static void
s_group (const int *key, size_t n, size_t keys, int *at, int *order, int *place)
{
    memset (at, 0, (keys + 1) * sizeof (int));
    for (size_t i = 0; i < n; i++)
        if (key [i] >= 0)
            at [key [i] + 1]++;
    for (size_t k = 0; k < keys; k++)
        at [k + 1] += at [k];
    int *next = (int *) malloc ((keys ? keys : 1) * sizeof (int));
    assert (next);
    memcpy (next, at, keys * sizeof (int));
    for (size_t i = 0; i < n; i++)
        if (key [i] >= 0) {
            if (place)
                place [i] = next [key [i]] - at [key [i]];
            order [next [key [i]]++] = (int) i;
        }
    free (next);
}

static void
s_parts (const rep_release_t *self, s_parts_t *p)
{
    size_t cells = self->n_cells ? self->n_cells : 1, sums = self->n_sums ? self->n_sums : 1;
    p->column = (int *) malloc (cells * sizeof (int));
    p->var = (int *) malloc (cells * sizeof (int));
    p->cols = 0;
    for (size_t i = 0; i < self->n_cells; i++) {
        p->column [i] = self->hidden [i] ? (int) p->cols : -1;
        if (self->hidden [i])
            p->var [p->cols++] = (int) i;
    }
    int *parent = (int *) malloc (cells * sizeof (int)), *root = (int *) malloc (sums * sizeof (int));
    assert (p->column && p->var && parent && root);
    for (size_t j = 0; j < p->cols; j++)
        parent [j] = (int) j;
    for (size_t s = 0; s < self->n_sums; s++) {
        const s_sum_t *sum = &self->sums [s];
        int first = s_first_hidden (sum, p->column);
        for (size_t i = 0; first >= 0 && i <= sum->n_parts; i++) {
            int c = p->column [i < sum->n_parts ? sum->parts [i] : sum->total];
            if (c >= 0)
                parent [s_root (parent, c)] = s_root (parent, first);
        }
    }
    for (size_t j = 0; j < p->cols; j++)
        parent [j] = s_root (parent, (int) j);
    for (size_t s = 0; s < self->n_sums; s++) {
        int first = s_first_hidden (&self->sums [s], p->column);
        root [s] = first >= 0 ? parent [first] : -1;
    }
    p->local = (int *) malloc (cells * sizeof (int));
    p->cols_of = (int *) malloc (cells * sizeof (int));
    p->col_at = (int *) malloc ((cells + 1) * sizeof (int));
    p->sums_of = (int *) malloc (sums * sizeof (int));
    p->sum_at = (int *) malloc ((cells + 1) * sizeof (int));
    assert (p->local && p->cols_of && p->col_at && p->sums_of && p->sum_at);
    s_group (parent, p->cols, p->cols, p->col_at, p->cols_of, p->local);
    s_group (root, self->n_sums, p->cols, p->sum_at, p->sums_of, NULL);
    free (parent);
    free (root);
}

//  Marks the determined cells of component c. Returns how many.
static size_t
s_component (const rep_release_t *self, const s_parts_t *p, size_t c, bool *determined)
{
    size_t cols = (size_t) (p->col_at [c + 1] - p->col_at [c]);
    size_t rows = (size_t) (p->sum_at [c + 1] - p->sum_at [c]);
    if (cols == 0 || rows == 0)
        return 0;
    double *m = (double *) calloc (rows * cols, sizeof (double));
    int *pivot_of_row = (int *) malloc (rows * sizeof (int));
    assert (m && pivot_of_row);
    for (size_t r = 0; r < rows; r++) {
        const s_sum_t *sum = &self->sums [p->sums_of [p->sum_at [c] + (int) r]];
        for (size_t i = 0; i <= sum->n_parts; i++) {
            int cell = i < sum->n_parts ? sum->parts [i] : sum->total;
            if (p->column [cell] >= 0)
                m [r * cols + (size_t) p->local [p->column [cell]]] += i < sum->n_parts ? 1 : -1;
        }
    }
    size_t rank = s_eliminate (m, rows, cols, pivot_of_row), found = 0;
    for (size_t r = 0; r < rank; r++) {
        bool alone = true;
        for (size_t k = 0; k < cols && alone; k++)
            alone = (int) k == pivot_of_row [r] || fabs (m [r * cols + k]) < 1e-9;
        if (alone) {
            determined [p->var [p->cols_of [p->col_at [c] + pivot_of_row [r]]]] = true;
            found++;
        }
    }
    free (pivot_of_row);
    free (m);
    return found;
}

//  Marks in determined [] every hidden cell fixed by the sums: the sums
//  restricted to the hidden cells, reduced to echelon form; a hidden cell is
//  fixed when it leads a row whose other entries on free cells are all 0.
//  Returns how many.
static size_t
s_determined (const rep_release_t *self, bool *determined)
{
    memset (determined, 0, self->n_cells * sizeof (bool));
    s_parts_t p;
    s_parts (self, &p);
    size_t found = 0;
    for (size_t c = 0; c < p.cols; c++)
        found += s_component (self, &p, c, determined);
    s_parts_free (&p);
    return found;
}

bool
rep_release_determined (const rep_release_t *self, int cell)
{
    bool *determined = (bool *) malloc ((self->n_cells ? self->n_cells : 1) * sizeof (bool));
    assert (determined);
    s_determined (self, determined);
    bool fixed = self->hidden [cell] && determined [cell];
    free (determined);
    return fixed;
}

//  The published cell of a sum to hide next: the smallest positive part,
//  else the total if positive, else any published cell; -1 if none.
static int
s_complement_in (const rep_release_t *self, const s_sum_t *sum)
{
    int best = -1;
    for (size_t i = 0; i < sum->n_parts; i++) {
        int c = sum->parts [i];
        if (!self->hidden [c] && self->values [c] > 0 && (best < 0 || self->values [c] < self->values [best]))
            best = c;
    }
    if (best < 0 && !self->hidden [sum->total] && self->values [sum->total] > 0)
        best = sum->total;
    for (size_t i = 0; i < sum->n_parts && best < 0; i++)
        if (!self->hidden [sum->parts [i]])
            best = sum->parts [i];
    if (best < 0 && !self->hidden [sum->total])
        best = sum->total;
    return best;
}

//  Hides one more cell to protect the determined cell: in the sum holding
//  it with the fewest hidden cells that still has one to give. Returns
//  whether a cell was hidden.
static bool
s_protect_cell (rep_release_t *self, int cell)
{
    int pick = -1;
    size_t fewest = (size_t) -1;
    for (size_t s = 0; s < self->n_sums; s++) {
        const s_sum_t *sum = &self->sums [s];
        if (s_coefficient (sum, cell) == 0)
            continue;
        size_t hidden = self->hidden [sum->total];
        for (size_t i = 0; i < sum->n_parts; i++)
            hidden += self->hidden [sum->parts [i]];
        int c = s_complement_in (self, sum);
        if (c >= 0 && hidden < fewest) {
            fewest = hidden;
            pick = c;
        }
    }
    for (size_t s = 0; s < self->n_sums && pick < 0; s++)
        pick = s_complement_in (self, &self->sums [s]);
    if (pick < 0)
        return false;
    self->hidden [pick] = true;
    return true;
}

//  The bound a sum's other entries put on its entry i: entry i is
//  sign * x, and sign * x = - (the others), each other entry in [min, max].
typedef struct {
    double fin;                 //  the finite terms' sum
    size_t inf;                 //  how many terms are infinite
} s_side_t;

static double
s_others (s_side_t side, double own, bool own_inf, double infinity)
{
    return side.inf > (size_t) own_inf ? infinity : side.fin - (own_inf ? 0 : own);
}

//  Entry i of a sum (its parts, then its total) as the equation counts
//  it: + the part, - the total; its cell and the entry's [min, max].
static int
s_entry (const s_sum_t *sum, size_t i, const double *lo, const double *hi, double *min, double *max)
{
    bool part = i < sum->n_parts;
    int c = part ? sum->parts [i] : sum->total;
    *min = part ? lo [c] : -hi [c];
    *max = part ? hi [c] : -lo [c];
    return c;
}

//  Tightens the bounds [lo, hi] of the hidden cells of one sum, each entry
//  from the others. Returns whether any moved.
static bool
s_tighten (const rep_release_t *self, const s_sum_t *sum, double *lo, double *hi)
{
    s_side_t low = {0, 0}, high = {0, 0};       //  sums of the entries' min and max
    double min, max;
    for (size_t i = 0; i <= sum->n_parts; i++) {
        s_entry (sum, i, lo, hi, &min, &max);
        if (isinf (min)) low.inf++; else low.fin += min;
        if (isinf (max)) high.inf++; else high.fin += max;
    }
    bool moved = false;
    for (size_t i = 0; i <= sum->n_parts; i++) {
        int c = s_entry (sum, i, lo, hi, &min, &max);
        if (!self->hidden [c])
            continue;
        bool part = i < sum->n_parts;
        double others_min = s_others (low, min, isinf (min), -INFINITY);
        double others_max = s_others (high, max, isinf (max), INFINITY);
        //  a part: x = - others; the total: x = others
        double l = part ? -others_max : others_min, h = part ? -others_min : others_max;
        if (l > lo [c] + 1e-9) {
            lo [c] = l;
            moved = true;
        }
        if (h < hi [c] - 1e-9) {
            hi [c] = h;
            moved = true;
        }
    }
    return moved;
}

//  Marks in pinned [] every hidden cell that the sums and the published
//  cells hold to less than a unit's width once counts are known not to be
//  negative (a hidden 0 whose sum leaves nothing for its hidden cells, say):
//  bounds tightened until they hold still, as an attacker would. Returns how
//  many.
static size_t
s_pinned (const rep_release_t *self, bool *pinned)
{
    size_t n = self->n_cells ? self->n_cells : 1, found = 0;
    double *lo = (double *) malloc (n * sizeof (double)), *hi = (double *) malloc (n * sizeof (double));
    assert (lo && hi);
    for (size_t i = 0; i < self->n_cells; i++) {
        lo [i] = self->hidden [i] ? 0 : (double) self->values [i];
        hi [i] = self->hidden [i] ? INFINITY : (double) self->values [i];
    }
    bool moved = true;
    for (int pass = 0; pass < 50 && moved; pass++) {
        moved = false;
        for (size_t s = 0; s < self->n_sums; s++)
            moved |= s_tighten (self, &self->sums [s], lo, hi);
    }
    for (size_t i = 0; i < self->n_cells; i++) {
        pinned [i] = self->hidden [i] && hi [i] - lo [i] < 1 - 1e-9;
        found += pinned [i];
    }
    free (lo);
    free (hi);
    return found;
}

void
rep_release_protect (rep_release_t *self)
{
    for (size_t i = 0; i < self->n_cells; i++)
        if (self->values [i] >= 1 && self->values [i] <= (int64_t) self->threshold)
            self->hidden [i] = true;
    bool *fixed = (bool *) malloc ((self->n_cells ? self->n_cells : 1) * sizeof (bool));
    assert (fixed);
    while (s_determined (self, fixed) || s_pinned (self, fixed)) {
        int first = -1;
        for (size_t i = 0; i < self->n_cells && first < 0; i++)
            if (fixed [i])
                first = (int) i;
        if (!s_protect_cell (self, first))
            break;
    }
    free (fixed);
}
