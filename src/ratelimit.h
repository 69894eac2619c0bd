/* ratelimit.h: client-side flow control: token buckets for requests per
 * minute and tokens per minute (input tokens estimated before sending,
 * corrected by the usage that comes back), and an adaptive in-flight limit
 * that 429s shrink and successes grow back (AIMD).
 * Ownership: plain struct, no heap. */
#ifndef GB_RATELIMIT_H
#define GB_RATELIMIT_H

#include <stdint.h>

struct rl {
    double rpm, tpm;           /* 0 = unlimited */
    double req_tokens, tok_tokens;
    uint64_t last_ms;
    int limit;                 /* current in-flight limit */
    int max;                   /* --concurrency */
    double grow;               /* fractional additive increase */
    uint64_t last_cut_ms;
};

void rl_init(struct rl *r, int concurrency, long rpm, long tpm, uint64_t now);
/* May a request with est tokens start now? 1 yes (and it is charged), 0 no;
 * *wait_ms says when to ask again. */
int rl_acquire(struct rl *r, uint64_t now, long est, uint64_t *wait_ms);
/* The service reported actual input tokens for a request charged est. */
void rl_correct(struct rl *r, long est, long actual);
void rl_on_429(struct rl *r, uint64_t now);
void rl_on_success(struct rl *r);

#endif
