/* hist.c: log-linear histogram: bucket e holds values in [2^e, 2^(e+1)) split
 * into 64 equal sub-buckets; values below 64 are exact. */
#include "hist.h"

#include <string.h>

void hist_init(struct hist *h)
{
    memset(h, 0, sizeof *h);
}

static void locate(uint64_t v, int *e, int *s)
{
    if (v < HIST_SUB) {
        *e = 0;
        *s = (int)v;
        return;
    }
    int b = 63 - __builtin_clzll(v); /* 2^b <= v */
    if (b >= HIST_EXP + 5)
        b = HIST_EXP + 5;
    *e = b - 5;
    if (*e >= HIST_EXP) {
        *e = HIST_EXP - 1;
        *s = HIST_SUB - 1;
        return;
    }
    *s = (int)((v >> (b - 6)) & (HIST_SUB - 1));
}

void hist_add_n(struct hist *h, uint64_t us, uint64_t n)
{
    int e, s;
    locate(us, &e, &s);
    h->count[e][s] += n;
    h->n += n;
    h->sum_us += (double)us * (double)n;
    if (us > h->max_us)
        h->max_us = us;
}

void hist_add(struct hist *h, uint64_t us)
{
    hist_add_n(h, us, 1);
}

static uint64_t value_of(int e, int s)
{
    if (e == 0)
        return (uint64_t)s;
    int b = e + 5;
    /* the middle of the sub-bucket: [2^b + s*2^(b-6), +2^(b-6)) */
    uint64_t lo = ((uint64_t)1 << b) | ((uint64_t)(s & (HIST_SUB - 1)) << (b - 6));
    return lo + ((uint64_t)1 << (b - 6)) / 2;
}

uint64_t hist_quantile(const struct hist *h, double q)
{
    if (!h->n)
        return 0;
    uint64_t rank = (uint64_t)(q * (double)(h->n - 1)) + 1, seen = 0;
    for (int e = 0; e < HIST_EXP; e++)
        for (int s = 0; s < HIST_SUB; s++) {
            seen += h->count[e][s];
            if (seen >= rank) {
                uint64_t v = value_of(e, s);
                return v > h->max_us ? h->max_us : v;
            }
        }
    return h->max_us;
}

void hist_each(const struct hist *h, void (*fn)(void *ctx, uint64_t value_us, uint64_t n),
               void *ctx)
{
    for (int e = 0; e < HIST_EXP; e++)
        for (int s = 0; s < HIST_SUB; s++)
            if (h->count[e][s]) {
                uint64_t v = value_of(e, s);
                fn(ctx, v > h->max_us ? h->max_us : v, h->count[e][s]);
            }
}

static void add_row(void *ctx, uint64_t v, uint64_t n)
{
    json_t *row = json_array();
    json_array_append_new(row, json_integer((json_int_t)v));
    json_array_append_new(row, json_integer((json_int_t)n));
    json_array_append_new(ctx, row);
}

json_t *hist_to_json(const struct hist *h)
{
    json_t *rows = json_array();
    if (!rows)
        return NULL;
    hist_each(h, add_row, rows);
    return json_pack("{s:f,s:f,s:f,s:f,s:I,s:o}", "p50", (double)hist_quantile(h, 0.50) / 1000.0,
                     "p95", (double)hist_quantile(h, 0.95) / 1000.0, "p99",
                     (double)hist_quantile(h, 0.99) / 1000.0, "max", (double)h->max_us / 1000.0,
                     "samples", (json_int_t)h->n, "histogram_us", rows);
}

int hist_add_json(struct hist *h, const json_t *o)
{
    const json_t *rows = json_object_get(o, "histogram_us");
    if (!json_is_array(rows))
        return 0;
    size_t k;
    const json_t *row;
    json_array_foreach(rows, k, row) {
        const json_t *v = json_array_get(row, 0), *c = json_array_get(row, 1);
        if (json_is_integer(v) && json_is_integer(c) && json_integer_value(v) >= 0 &&
            json_integer_value(c) > 0)
            hist_add_n(h, (uint64_t)json_integer_value(v), (uint64_t)json_integer_value(c));
    }
    /* a bucket's value is not its largest sample: keep the recorded max */
    const json_t *mx = json_object_get(o, "max");
    if (json_is_number(mx) && json_number_value(mx) * 1000.0 > (double)h->max_us &&
        json_number_value(mx) < 1e15)
        h->max_us = (uint64_t)(json_number_value(mx) * 1000.0 + 0.5);
    return 1;
}
