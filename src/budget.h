/* budget.h: `--max-cost` arithmetic. A budget knows what the output folder has
 * spent (earlier runs included), what the requests in flight may cost at
 * worst, and says whether one more may be sent: no request goes out when
 * spent + reserved + its worst case would pass the limit.
 * Ownership: plain values; nothing is allocated. */
#ifndef GB_BUDGET_H
#define GB_BUDGET_H

#include "err.h"

/* `--max-cost USD` (a cap on what the folder spends in all, earlier runs
 * included) or `--max-cost +USD` (this much more than it has spent). */
struct budget_arg {
    double usd;     /* >= 0, finite */
    int additional; /* 1 for "+USD" */
};

/* "12.50", "$12.50", "+5", "+$5", "0". 0, or GB_EINVAL with a message naming
 * the value (negative, not a number, inf/nan, trailing junk); the caller
 * reports it as a usage error (exit 2). */
int budget_parse(const char *s, struct budget_arg *out, struct gb_err *err);

struct budget {
    double limit_usd;    /* INFINITY without --max-cost */
    double spent_usd;    /* settled: answered requests, the folder's earlier runs,
                          * and the worst cases of requests in doubt */
    double reserved_usd; /* worst cases of the requests in flight */
    double doubt_usd;    /* the part of spent_usd kept as worst cases (cost unknown) */
    long in_flight;      /* reservations not yet settled or released */
    long in_doubt;       /* settled with an unknown cost */
    long refused;        /* budget_reserve answers other than BUDGET_OK */
};

/* arg NULL: no limit (the budget still counts). spent_before_usd: what the
 * folder's earlier runs cost (run.json's cumulative cost; 0 for a new folder).
 * With "+USD" the limit is spent_before_usd + USD; otherwise USD itself. */
void budget_init(struct budget *b, const struct budget_arg *arg, double spent_before_usd);

enum budget_verdict {
    BUDGET_OK,       /* reserved: send it */
    BUDGET_FULL,     /* spent + reserved + worst would pass the limit: do not send */
    BUDGET_UNPRICED, /* worst is NAN (unknown model, tier or cap) under a limit: do not send */
};

/* Reserve worst_usd for one request about to be sent. Without a limit it is
 * always BUDGET_OK (an unknown worst case reserves nothing). Nothing is
 * reserved unless the answer is BUDGET_OK. */
enum budget_verdict budget_reserve(struct budget *b, double worst_usd);

/* The answer to a reserved request came: its reservation turns into what it
 * cost. actual_usd NAN (the answer could not be priced, or the request's fate
 * is unknown: a timeout or a reset after it was sent) keeps the reservation as
 * spent and counts the request in doubt. */
void budget_settle(struct budget *b, double reserved_usd, double actual_usd);

/* A reserved request that was never billed (refused before the model ran: a
 * 4xx/5xx error answer, a shed 503/429, never sent): give the reservation back. */
void budget_release(struct budget *b, double reserved_usd);

/* limit - spent - reserved (INFINITY without a limit; may be < 0 when answers
 * cost more than their worst case). */
double budget_left(const struct budget *b);

/* 1 when the limit is already spent, with nothing in flight: a run with this
 * budget can send nothing more (exit 4 at start, with nothing sent). */
int budget_exhausted(const struct budget *b);

#endif
