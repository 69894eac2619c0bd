/* ratelimit.c: token buckets refilled continuously (rpm/60000 per ms) with a
 * burst of one second's worth (at least one request), and AIMD on the
 * in-flight limit: halve on a 429 (at most once per second, so one burst of
 * 429s counts once), +1 per `limit` successes. */
#include "ratelimit.h"

void rl_init(struct rl *r, int concurrency, long rpm, long tpm, uint64_t now)
{
    r->rpm = rpm > 0 ? (double)rpm : 0;
    r->tpm = tpm > 0 ? (double)tpm : 0;
    r->req_tokens = r->rpm ? (r->rpm / 60.0 < 1 ? 1 : r->rpm / 60.0) : 0;
    r->tok_tokens = r->tpm ? r->tpm / 60.0 : 0;
    r->last_ms = now;
    r->max = concurrency < 1 ? 1 : concurrency;
    r->limit = r->max;
    r->grow = 0;
    r->last_cut_ms = 0;
}

static void refill(struct rl *r, uint64_t now)
{
    if (now <= r->last_ms)
        return;
    double dt = (double)(now - r->last_ms);
    r->last_ms = now;
    if (r->rpm) {
        double burst = r->rpm / 60.0 < 1 ? 1 : r->rpm / 60.0;
        r->req_tokens += dt * r->rpm / 60000.0;
        if (r->req_tokens > burst)
            r->req_tokens = burst;
    }
    if (r->tpm) {
        double burst = r->tpm / 60.0;
        r->tok_tokens += dt * r->tpm / 60000.0;
        if (r->tok_tokens > burst)
            r->tok_tokens = burst;
    }
}

int rl_acquire(struct rl *r, uint64_t now, long est, uint64_t *wait_ms)
{
    refill(r, now);
    double wait = 0;
    if (r->rpm && r->req_tokens < 1) {
        double w = (1 - r->req_tokens) * 60000.0 / r->rpm;
        if (w > wait)
            wait = w;
    }
    if (r->tpm) {
        /* a request larger than the burst may go once the bucket is full */
        double burst = r->tpm / 60.0;
        double need = (double)est < burst ? (double)est : burst;
        if (r->tok_tokens < need) {
            double w = (need - r->tok_tokens) * 60000.0 / r->tpm;
            if (w > wait)
                wait = w;
        }
    }
    if (wait > 0) {
        *wait_ms = (uint64_t)wait + 1;
        return 0;
    }
    if (r->rpm)
        r->req_tokens -= 1;
    if (r->tpm)
        r->tok_tokens -= (double)est;
    *wait_ms = 0;
    return 1;
}

void rl_correct(struct rl *r, long est, long actual)
{
    if (r->tpm)
        r->tok_tokens -= (double)(actual - est);
}

void rl_on_429(struct rl *r, uint64_t now)
{
    if (r->last_cut_ms && now - r->last_cut_ms < 1000)
        return;
    r->last_cut_ms = now;
    r->limit = r->limit / 2 < 1 ? 1 : r->limit / 2;
    r->grow = 0;
}

void rl_on_success(struct rl *r)
{
    if (r->limit >= r->max)
        return;
    r->grow += 1.0 / r->limit;
    if (r->grow >= 1) {
        r->grow -= 1;
        r->limit++;
    }
}
