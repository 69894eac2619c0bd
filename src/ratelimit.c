/* ratelimit.c: token buckets refilled continuously (rpm/60000 per ms) with a
 * burst of one second's worth (at least one request), and AIMD on the
 * in-flight limit: halve on a 429 (at most once per second, so one burst of
 * 429s counts once), +1 per `limit` successes. Flex sheds cut it only
 * when they are most of what was sent lately. */
#include "ratelimit.h"

#include <math.h>

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
    r->sent_w = r->shed_w = 0;
    r->shed_ms = now;
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

/* Requests sent and shed, each counted with a weight that halves every
 * 7 s or so (e^-t/10s): their ratio is the share of what was sent lately
 * that the service shed. Against sends, not answers: a shed comes back at
 * once and an answer after seconds, so the first sheds of a run would
 * otherwise look like all of them. */
static void shed_decay(struct rl *r, uint64_t now)
{
    if (now > r->shed_ms) {
        double k = exp(-(double)(now - r->shed_ms) / 10000.0);
        r->sent_w *= k;
        r->shed_w *= k;
    }
    r->shed_ms = now;
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
    shed_decay(r, now);
    r->sent_w += 1;
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

void rl_on_shed(struct rl *r, uint64_t now)
{
    shed_decay(r, now);
    r->shed_w += 1;
    if (r->sent_w >= RL_SHED_MIN_SENT && r->shed_w > RL_SHED_CUT * r->sent_w)
        rl_on_429(r, now);
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
