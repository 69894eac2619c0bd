/* report_fields.c: per-field distributions of structured outputs for the
 * report, in bounded memory: at most RPT_MAX_FIELDS fields (by path, in the
 * order first seen), RPT_TOP_K distinct strings each. Past RPT_TOP_K a field
 * keeps the space-saving estimate of its most frequent values (any value more
 * frequent than 1/RPT_TOP_K of the answers is kept); the second pass counts
 * those values exactly and lays out the numbers' histogram bins. */
#include "report_int.h"

#include "hash64.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define IDX_SLOTS (2 * RPT_TOP_K)

uint64_t rf_hash(const char *s, size_t n)
{
    return hash64(s, n, 0x7265706f7274ULL);
}

void rf_init(struct rpt_fields *fs)
{
    memset(fs, 0, sizeof *fs);
    fs->pass = 1;
}

static void field_free(struct rpt_field *f)
{
    for (size_t i = 0; i < f->nvals; i++)
        free(f->vals[i].label);
    free(f->vals);
    free(f->idx);
    free(f->path);
}

void rf_free(struct rpt_fields *fs)
{
    for (size_t i = 0; i < fs->n; i++)
        field_free(&fs->f[i]);
    fs->n = 0;
}

static struct rpt_field *field_get(struct rpt_fields *fs, const char *path)
{
    for (size_t i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].path, path))
            return &fs->f[i];
    if (fs->pass != 1 || fs->n == RPT_MAX_FIELDS)
        return NULL;
    struct rpt_field *f = &fs->f[fs->n];
    memset(f, 0, sizeof *f);
    f->path = strdup(path);
    f->vals = calloc(RPT_TOP_K, sizeof *f->vals);
    f->idx = malloc(IDX_SLOTS * sizeof *f->idx);
    if (!f->path || !f->vals || !f->idx) {
        field_free(f);
        return NULL;
    }
    for (size_t i = 0; i < IDX_SLOTS; i++)
        f->idx[i] = -1;
    f->all_int = 1;
    fs->n++;
    return f;
}

/* ---- the hash index over vals (linear probing, backward-shift delete) ---------- */

static size_t slot_of(const struct rpt_field *f, uint64_t h)
{
    size_t s = (size_t)(h % IDX_SLOTS);
    while (f->idx[s] >= 0 && f->vals[f->idx[s]].h != h)
        s = (s + 1) % IDX_SLOTS;
    return s;
}

static void idx_del(struct rpt_field *f, uint64_t h)
{
    size_t s = slot_of(f, h);
    if (f->idx[s] < 0)
        return;
    f->idx[s] = -1;
    for (size_t j = (s + 1) % IDX_SLOTS; f->idx[j] >= 0; j = (j + 1) % IDX_SLOTS) {
        size_t home = (size_t)(f->vals[f->idx[j]].h % IDX_SLOTS);
        /* move j back into the hole when its home is not in (s, j] */
        int between = s <= j ? (home > s && home <= j) : (home > s || home <= j);
        if (!between) {
            f->idx[s] = f->idx[j];
            f->idx[j] = -1;
            s = j;
        }
    }
}

/* A value slot with the smallest count: counts only grow, so the slot after
 * the cursor usually still holds min_n; a full sweep finds the new minimum. */
static size_t smallest(struct rpt_field *f)
{
    for (int sweep = 0; sweep < 2; sweep++) {
        for (size_t k = 0; k < f->nvals; k++) {
            size_t i = (f->cursor + k) % f->nvals;
            if (f->vals[i].n == f->min_n) {
                f->cursor = (i + 1) % f->nvals;
                return i;
            }
        }
        f->min_n = f->vals[0].n;
        for (size_t i = 1; i < f->nvals; i++)
            if (f->vals[i].n < f->min_n)
                f->min_n = f->vals[i].n;
    }
    return 0;
}

static char *cut_label(const char *s, size_t n)
{
    size_t m = n;
    if (m > RPT_CELL_MAX) {
        m = RPT_CELL_MAX;
        while (m && ((unsigned char)s[m] & 0xC0) == 0x80) /* not inside a character */
            m--;
    }
    char *l = malloc(m + 1);
    if (l) {
        memcpy(l, s, m);
        l[m] = '\0';
    }
    return l;
}

static int add_string(struct rpt_field *f, const char *s, size_t n, int pass)
{
    uint64_t h = rf_hash(s, n);
    size_t slot = slot_of(f, h);
    if (f->idx[slot] >= 0) {
        f->vals[f->idx[slot]].n++;
        return 0;
    }
    if (pass == 2) /* only the candidates of pass 1 are counted exactly */
        return 0;
    if (f->nvals < RPT_TOP_K) {
        char *l = cut_label(s, n);
        if (!l)
            return GB_ENOMEM;
        f->vals[f->nvals] = (struct rpt_value){h, 1, l};
        f->idx[slot] = (int32_t)f->nvals++;
        if (f->nvals == RPT_TOP_K)
            f->min_n = 1;
        return 0;
    }
    /* space-saving: the new value takes the place of a least counted one and
     * inherits its count (+1), so no frequent value can be pushed out */
    f->overflow = 1;
    char *l = cut_label(s, n);
    if (!l)
        return GB_ENOMEM;
    size_t i = smallest(f);
    idx_del(f, f->vals[i].h);
    free(f->vals[i].label);
    f->vals[i].h = h;
    f->vals[i].label = l;
    f->vals[i].n++;
    f->idx[slot_of(f, h)] = (int32_t)i;
    return 0;
}

/* Where v is in few[] (sorted), or -1. */
static int few_index(const struct rpt_field *f, double v)
{
    int lo = 0, hi = f->nfew - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (f->few[mid] == v)
            return mid;
        if (f->few[mid] < v)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return -1;
}

/* Keep the distinct numbers while they are few (a score of 0, .25, .5, .75,
 * 1 is drawn as five bars, not as a 20-bin histogram with 15 empty bins). */
static void note_few(struct rpt_field *f, double v)
{
    if (f->nfew < 0 || few_index(f, v) >= 0)
        return;
    if (f->nfew == RPT_ENUM_MAX) {
        f->nfew = -1;
        return;
    }
    int i = f->nfew++;
    while (i > 0 && f->few[i - 1] > v) {
        f->few[i] = f->few[i - 1];
        i--;
    }
    f->few[i] = v;
}

static void add_number(struct rpt_field *f, double v, int pass)
{
    if (pass == 1) {
        if (!f->n_num || v < f->min)
            f->min = v;
        if (!f->n_num || v > f->max)
            f->max = v;
        f->sum += v;
        if (v != floor(v) || fabs(v) > 9e15)
            f->all_int = 0;
        f->n_num++;
        note_few(f, v);
        return;
    }
    if (f->pinned) {
        int i = few_index(f, v);
        if (i >= 0)
            f->bins[i]++;
        return;
    }
    if (f->nbins <= 0)
        return;
    long b = f->w > 0 ? (long)floor((v - f->lo) / f->w) : 0;
    if (b < 0)
        b = 0;
    if (b >= f->nbins)
        b = f->nbins - 1;
    f->bins[b]++;
}

static int add_value(struct rpt_fields *fs, const char *path, const json_t *v, int depth);

static int add_children(struct rpt_fields *fs, const char *path, const json_t *v, int depth)
{
    char sub[256];
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach ((json_t *)v, k, c) {
            int n = snprintf(sub, sizeof sub, "%s%s%s", path, *path ? "." : "", k);
            if (n < 0 || (size_t)n >= sizeof sub) {
                fs->dropped++;
                continue;
            }
            if (add_value(fs, sub, c, depth + 1))
                return GB_ENOMEM;
        }
        return 0;
    }
    size_t i;
    json_t *c;
    int n = snprintf(sub, sizeof sub, "%s[]", *path ? path : "(output)");
    if (n < 0 || (size_t)n >= sizeof sub) {
        fs->dropped++;
        return 0;
    }
    json_array_foreach ((json_t *)v, i, c)
        if (add_value(fs, sub, c, depth + 1))
            return GB_ENOMEM;
    return 0;
}

static int add_value(struct rpt_fields *fs, const char *path, const json_t *v, int depth)
{
    if (json_is_object(v) || json_is_array(v)) {
        if (depth < RPT_MAX_DEPTH)
            return add_children(fs, path, v, depth);
        struct rpt_field *f = field_get(fs, path);
        if (fs->pass == 1 && f)
            f->n_other++;
        else if (fs->pass == 1)
            fs->dropped++;
        return 0;
    }
    struct rpt_field *f = field_get(fs, *path ? path : "(output)");
    if (!f) {
        if (fs->pass == 1)
            fs->dropped++;
        return 0;
    }
    int p1 = fs->pass == 1;
    if (json_is_string(v)) {
        if (p1)
            f->n_str++;
        /* pass 2 recounts only the estimates of a field that overflowed */
        if (p1 || f->overflow)
            return add_string(f, json_string_value(v), json_string_length(v), fs->pass);
        return 0;
    }
    if (json_is_number(v))
        add_number(f, json_number_value(v), fs->pass);
    else if (p1 && json_is_true(v))
        f->n_true++;
    else if (p1 && json_is_false(v))
        f->n_false++;
    else if (p1 && json_is_null(v))
        f->n_null++;
    return 0;
}

int rf_add(struct rpt_fields *fs, const json_t *output)
{
    if (fs->pass == 1)
        fs->answers++;
    return add_value(fs, "", output, 0);
}

enum rpt_kind rf_kind(const struct rpt_field *f)
{
    uint64_t b = f->n_true + f->n_false;
    if (!b && !f->n_str && !f->n_num)
        return RPT_K_NONE;
    if (b >= f->n_str && b >= f->n_num)
        return RPT_K_BOOL;
    return f->n_str >= f->n_num ? RPT_K_STR : RPT_K_NUM;
}

/* Bins on round numbers: integers of a small range get one bin each. */
static void layout_bins(struct rpt_field *f)
{
    if (!f->n_num)
        return;
    if (f->nfew > 0) {
        f->pinned = 1;
        f->nbins = f->nfew;
        return;
    }
    double span = f->max - f->min;
    if (f->all_int && span < RPT_NUM_BINS) {
        f->nbins = (int)span + 1;
        f->lo = f->min;
        f->w = 1;
        return;
    }
    if (span <= 0) {
        f->nbins = 1;
        f->lo = f->min;
        f->w = 0;
        return;
    }
    double raw = span / RPT_NUM_BINS, mag = pow(10, floor(log10(raw))), w = mag;
    static const double steps[] = {1, 2, 2.5, 5, 10};
    for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++)
        if (mag * steps[i] >= raw) {
            w = mag * steps[i];
            break;
        }
    if (f->all_int && w < 1)
        w = 1;
    f->w = w;
    f->lo = floor(f->min / w) * w;
    f->nbins = (int)ceil((f->max - f->lo) / w);
    if (f->lo + f->nbins * w <= f->max)
        f->nbins++;
    if (f->nbins > RPT_NUM_BINS + 1)
        f->nbins = RPT_NUM_BINS + 1;
    if (f->nbins < 1)
        f->nbins = 1;
}

void rf_start_pass2(struct rpt_fields *fs)
{
    fs->pass = 2;
    for (size_t i = 0; i < fs->n; i++) {
        struct rpt_field *f = &fs->f[i];
        layout_bins(f);
        if (f->overflow) /* estimates: count again, exactly */
            for (size_t k = 0; k < f->nvals; k++)
                f->vals[k].n = 0;
    }
}

static int by_count(const void *a, const void *b)
{
    const struct rpt_value *x = a, *y = b;
    if (x->n != y->n)
        return x->n < y->n ? 1 : -1;
    return strcmp(x->label, y->label);
}

size_t rf_top(struct rpt_field *f, size_t max, uint64_t *other)
{
    qsort(f->vals, f->nvals, sizeof *f->vals, by_count);
    for (size_t i = 0; i < IDX_SLOTS; i++) /* the index is stale after sorting */
        f->idx[i] = -1;
    for (size_t i = 0; i < f->nvals; i++)
        f->idx[slot_of(f, f->vals[i].h)] = (int32_t)i;
    size_t k = f->nvals < max ? f->nvals : max;
    while (k && f->vals[k - 1].n == 0)
        k--;
    uint64_t shown = 0;
    for (size_t i = 0; i < k; i++)
        shown += f->vals[i].n;
    *other = f->n_str > shown ? f->n_str - shown : 0;
    return k;
}
