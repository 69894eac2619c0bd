/* retry.c: classify an attempt's outcome and choose the wait before the next
 * one: the server's RetryInfo first, then Retry-After, else exponential
 * backoff with full jitter (AWS architecture blog, "Exponential Backoff And
 * Jitter"). Its list of retryable outcomes is RETRY_HELP_RETRIED. */
#include "retry.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "fsx.h"

/* a server hint above this is treated as "much later", not obeyed blindly */
#define HINT_CAP_MS (15L * 60 * 1000)

long retry_after_ms(const char *v, double now_wall)
{
    if (!v || !*v)
        return -1;
    char *end;
    long s = strtol(v, &end, 10);
    if (end != v && *end == '\0')
        return s < 0 ? -1 : s > HINT_CAP_MS / 1000 ? HINT_CAP_MS : s * 1000; /* no overflow */
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *r = strptime(v, "%a, %d %b %Y %H:%M:%S GMT", &tm);
    if (!r)
        return -1;
    double t = (double)timegm(&tm);
    return t > now_wall ? (long)((t - now_wall) * 1000) : 0;
}

long retry_backoff_ms(const struct retry_policy *p, int attempts, uint64_t rnd)
{
    long ceiling = p->base_ms;
    for (int i = 1; i < attempts && ceiling < p->cap_ms; i++)
        ceiling *= 2;
    if (ceiling > p->cap_ms)
        ceiling = p->cap_ms;
    long d = (long)(rnd % (uint64_t)(ceiling + 1));
    return d < 50 ? 50 : d;
}

static int retryable_http(long h)
{
    return h == 408 || h == 429 || h == 500 || h == 502 || h == 503 || h == 504;
}

enum verdict retry_decide(const struct retry_policy *p, const struct outcome *o, int attempts,
                          uint64_t rnd, long *delay_ms)
{
    *delay_ms = 0;
    switch (o->cls) {
    case OC_OK:
        return V_OK;
    case OC_TLS:
        return V_ABORT;
    case OC_LOCAL:
        return V_FAIL;
    case OC_HTTP:
        if (o->http == 401 || o->http == 403)
            return V_ABORT;
        if (!retryable_http(o->http))
            return V_FAIL;
        break;
    case OC_BAD_BODY:
    case OC_NET:
    case OC_TIMEOUT:
        break;
    }
    if (attempts >= p->max_attempts)
        return V_FAIL;
    long hint = o->retry_info_ms >= 0 ? o->retry_info_ms : retry_after_ms(o->retry_after, wall_s());
    if (hint >= 0) {
        if (hint > HINT_CAP_MS)
            hint = HINT_CAP_MS;
        /* up to 10% on top, so clients told the same delay do not return together */
        *delay_ms = hint + (long)(rnd % (uint64_t)(hint / 10 + 1));
    } else {
        *delay_ms = retry_backoff_ms(p, attempts, rnd);
    }
    return V_RETRY;
}
