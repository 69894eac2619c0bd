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
    double sent_w, shed_w;     /* requests sent and flex requests shed, lately (decaying) */
    uint64_t shed_ms;          /* when they were last decayed */
};

/* Past this share of sheds among recent sends (once a few were sent),
 * shedding cuts the limit. */
#define RL_SHED_CUT 0.5
#define RL_SHED_MIN_SENT 8.0

void rl_init(struct rl *r, int concurrency, long rpm, long tpm, uint64_t now);
/* May a request with est tokens start now? 1 yes (and it is charged), 0 no;
 * *wait_ms says when to ask again. */
int rl_acquire(struct rl *r, uint64_t now, long est, uint64_t *wait_ms);
/* The service reported actual input tokens for a request charged est. */
void rl_correct(struct rl *r, long est, long actual);
void rl_on_429(struct rl *r, uint64_t now);
/* A flex request shed (503 or 429 at tier flex): the service is busy, not
 * the key's quota spent. Some shedding is flex's normal state, and each shed
 * request waits out its own backoff; the limit is cut (as by a 429) only
 * when most requests sent lately were shed. */
void rl_on_shed(struct rl *r, uint64_t now);
void rl_on_success(struct rl *r);

#endif
