/* retry.h: what an attempt's outcome means (done, retry after a delay, fail
 * the job, abort the run) and how long to wait. The only place that decides.
 * Ownership: plain values only. */
#ifndef GB_RETRY_H
#define GB_RETRY_H

#include <stdint.h>

/* Shown in `gembatch run --help`; keep it equal to what retry_decide does. */
#define RETRY_HELP_RETRIED                                                                        \
    "HTTP 408, 429, 500, 502, 503 and 504; connection failures, resets and timeouts; a 200 "      \
    "whose body is not a valid Interaction"
#define RETRY_HELP_NOT_RETRIED                                                                    \
    "400, 404 and other 4xx fail the job; 401 and 403 (authentication refused) and TLS "          \
    "certificate errors abort the run"

enum verdict { V_OK, V_RETRY, V_FAIL, V_ABORT };

enum outcome_class {
    OC_OK,          /* 2xx and a valid body */
    OC_BAD_BODY,    /* 2xx but not a valid Interaction */
    OC_HTTP,        /* an HTTP error status */
    OC_NET,         /* connection refused/reset, DNS, send/recv errors */
    OC_TIMEOUT,     /* the attempt's timeout or the low-speed limit */
    OC_TLS,         /* certificate verification and TLS setup */
    OC_LOCAL,       /* our side: a media file vanished, out of memory */
};

struct outcome {
    enum outcome_class cls;
    long http;
    long retry_info_ms;     /* RetryInfo.retryDelay, -1 if absent */
    const char *retry_after;/* Retry-After header value or NULL */
};

struct retry_policy {
    int max_attempts;       /* attempts in all, >= 1 */
    long base_ms;           /* first backoff ceiling */
    long cap_ms;            /* largest backoff ceiling */
};

/* attempts = attempts made so far (>= 1). rnd = a uniform random 64-bit. */
enum verdict retry_decide(const struct retry_policy *p, const struct outcome *o, int attempts,
                          uint64_t rnd, long *delay_ms);

/* Retry-After: delta-seconds or an HTTP-date; -1 if absent or unreadable. */
long retry_after_ms(const char *v, double now_wall_s);

/* Backoff with full jitter: uniform in [0, min(cap, base * 2^(attempts-1))]. */
long retry_backoff_ms(const struct retry_policy *p, int attempts, uint64_t rnd);

#endif
