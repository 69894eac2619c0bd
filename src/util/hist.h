/* hist.h: a latency histogram with bounded memory (log-linear buckets, ~1.5%
 * relative precision from 1 microsecond to 1 hour) for p50/p95/p99.
 * Ownership: plain struct, no heap. */
#ifndef GB_HIST_H
#define GB_HIST_H

#include <jansson.h>
#include <stdint.h>

#define HIST_SUB 64
#define HIST_EXP 32

struct hist {
    uint64_t count[HIST_EXP][HIST_SUB];
    uint64_t n;
    uint64_t max_us;
    double sum_us;
};

void hist_init(struct hist *h);
void hist_add(struct hist *h, uint64_t us);
/* q in [0,1]; microseconds (0 when empty). */
uint64_t hist_quantile(const struct hist *h, double q);
/* Visit the non-empty buckets: a representative value and its count. Adding
 * every (value, count) to another histogram reproduces this one's buckets, so
 * shards' histograms merge exactly (gembatch merge). */
void hist_each(const struct hist *h, void (*fn)(void *ctx, uint64_t value_us, uint64_t n),
               void *ctx);
/* Add n samples of value. */
void hist_add_n(struct hist *h, uint64_t us, uint64_t n);

/* As run.json writes it: {"p50","p95","p99","max" (ms), "samples",
 * "histogram_us": [[value, count], ...]}. New reference, NULL on no memory. */
json_t *hist_to_json(const struct hist *h);
/* Add what hist_to_json wrote (its rows and max) to h. Malformed rows are
 * skipped. 1 if o had rows to add, else 0 (an old run.json with only
 * percentiles cannot be merged). */
int hist_add_json(struct hist *h, const json_t *o);

#endif
