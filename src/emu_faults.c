/* emu_faults.c: what makes the emulator's answers fail or wait: --fault
 * parsed into rates, the seeded per-request fault and latency draws, the
 * errors the header-time faults answer with, and the token bucket behind
 * --rpm. Knows nothing of HTTP or routes: emu_server.c decides where a draw
 * applies. */
#include "emu_srv.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const fault_names[F_NKINDS] = {"", "429", "500", "503", "reset", "slow",
                                                  "bad_json", "schema_violation", "failed",
                                                  "continuation", "idle", "shed"};

const char *fault_name(int kind)
{
    return kind > F_NONE && kind < F_NKINDS ? fault_names[kind] : NULL;
}

int emu_faults_parse(struct emu_faults *f, const char *text, uint64_t seed, struct gb_err *err)
{
    double sum = 0;
    const char *p = text;
    memset(f, 0, sizeof *f);
    f->seed = seed;
    while (p && *p) {
        size_t n = strcspn(p, ",");
        char item[64];
        if (n == 0 || n >= sizeof item) {
            p += n + (p[n] == ',');
            if (n == 0)
                continue;
            return GB_FAIL(err, GB_EINVAL, "--fault: bad item '%.*s'", (int)n, p - n - 1);
        }
        memcpy(item, p, n);
        item[n] = '\0';
        p += n + (p[n] == ',');
        char *eq = strchr(item, '=');
        if (!eq)
            return GB_FAIL(err, GB_EINVAL, "--fault: '%s' needs KIND=RATE, e.g. 503=0.1", item);
        *eq = '\0';
        double *batch = !strcmp(item, "batch_line")     ? &f->batch_line
                        : !strcmp(item, "batch_drop")   ? &f->batch_drop
                        : !strcmp(item, "batch_expire") ? &f->batch_expire
                        : !strcmp(item, "batch_create_lost") ? &f->batch_create_lost
                                                        : NULL;
        if (batch) { /* drawn per batch line or per batch, beside the per-request band */
            char *end;
            *batch = strtod(eq + 1, &end);
            if (end == eq + 1 || *end || !(*batch >= 0 && *batch <= 1))
                return GB_FAIL(err, GB_EINVAL,
                               "--fault: rate of '%s' must be between 0 and 1, not '%s'", item,
                               eq + 1);
            continue;
        }
        int kind = F_NONE;
        for (int k = 1; k < F_NKINDS; k++)
            if (!strcmp(item, fault_names[k]))
                kind = k;
        if (!kind)
            return GB_FAIL(err, GB_EINVAL,
                           "--fault: unknown kind '%s'; kinds: 429, 500, 503, reset, slow, "
                           "bad_json, schema_violation, failed, continuation, idle, shed, "
                           "batch_line, batch_drop, batch_expire, batch_create_lost",
                           item);
        char *end;
        double rate = strtod(eq + 1, &end);
        if (end == eq + 1 || *end || !(rate >= 0 && rate <= 1))
            return GB_FAIL(err, GB_EINVAL, "--fault: rate of '%s' must be between 0 and 1, not '%s'",
                           item, eq + 1);
        if (f->n == F_NKINDS)
            return GB_FAIL(err, GB_EINVAL, "--fault: too many items");
        f->spec[f->n].kind = kind;
        f->spec[f->n].rate = rate;
        f->n++;
        sum += rate;
    }
    if (sum > 1.000001)
        return GB_FAIL(err, GB_EINVAL, "--fault: the rates add up to %g, more than 1", sum);
    return 0;
}

double emu_fault_rate(const struct emu_faults *f, int kind)
{
    for (int i = 0; i < f->n; i++)
        if (f->spec[i].kind == kind)
            return f->spec[i].rate;
    return 0;
}

static double unit(uint64_t x)
{
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* One draw per request, from a counter: a retried request gets a fresh draw
 * (drawing from the request hash would fail the same request forever). */
int emu_fault_draw(struct emu_faults *f, double *pos)
{
    if (pos)
        *pos = 0;
    if (!f->n)
        return F_NONE;
    uint64_t n = __atomic_fetch_add(&f->fault_ctr, 1, __ATOMIC_RELAXED);
    double u = unit(emu_mix64(f->seed ^ 0xfa0175eedull) ^ emu_mix64(n));
    double acc = 0;
    for (int i = 0; i < f->n; i++) {
        acc += f->spec[i].rate;
        if (u < acc) {
            if (pos)
                *pos = (u - (acc - f->spec[i].rate)) / f->spec[i].rate;
            return f->spec[i].kind;
        }
    }
    return F_NONE;
}

void emu_fault_shed(double pos, struct emu_err *err)
{
    if (pos < 0.5)
        emu_fail(err, 503, "UNAVAILABLE",
                 "This model is currently experiencing high demand. Spikes in demand are usually "
                 "temporary. Please try again later.");
    else
        emu_fail(err, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
}

int emu_fault_error(int kind, struct emu_err *err)
{
    switch (kind) {
    case F_429:
        emu_fail(err, 429, "RESOURCE_EXHAUSTED", "Resource has been exhausted (e.g. check quota).");
        err->retry_after_s = 1;
        return 1;
    case F_500:
        emu_fail(err, 500, "INTERNAL",
                 "An internal error has occurred. Please retry or report in "
                 "https://developers.generativeai.google/guide/troubleshooting");
        return 1;
    case F_503:
        emu_fail(err, 503, "UNAVAILABLE", "The model is overloaded. Please try again later.");
        err->retry_after_s = 1;
        return 1;
    }
    return 0;
}

long emu_delay_draw(struct emu_faults *f, long latency_ms, long jitter_ms)
{
    long d = latency_ms;
    if (jitter_ms > 0) {
        uint64_t n = __atomic_fetch_add(&f->jitter_ctr, 1, __ATOMIC_RELAXED);
        d += (long)(unit(emu_mix64(f->seed ^ 0x717e7ull) ^ emu_mix64(n)) * (double)(jitter_ms + 1));
    }
    return d;
}

/* ---- token bucket --------------------------------------------------------------- */

void emu_bucket_init(struct emu_bucket *b, long per_min)
{
    pthread_mutex_init(&b->mu, NULL);
    b->per_min = per_min;
    b->tokens = (double)per_min;
    b->last_ms = emu_mono_ms();
}

void emu_bucket_free(struct emu_bucket *b)
{
    pthread_mutex_destroy(&b->mu);
}

long emu_bucket_take(struct emu_bucket *b)
{
    if (b->per_min <= 0)
        return 0;
    long wait_s = 0;
    pthread_mutex_lock(&b->mu);
    int64_t now = emu_mono_ms();
    double per_ms = (double)b->per_min / 60000.0;
    b->tokens += (double)(now - b->last_ms) * per_ms;
    if (b->tokens > (double)b->per_min)
        b->tokens = (double)b->per_min;
    b->last_ms = now;
    if (b->tokens >= 1)
        b->tokens -= 1;
    else
        wait_s = (long)ceil((1 - b->tokens) / per_ms / 1000.0);
    pthread_mutex_unlock(&b->mu);
    return wait_s > 0 ? wait_s : 0;
}
