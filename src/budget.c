/* budget.c: `--max-cost` parsing and the spent / reserved / in-doubt sums
 * (budget.h says the rule). Pure arithmetic: the engine decides what a
 * request's worst case and actual cost are (prices.c) and when to ask. */
#include "budget.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* A sum of many small doubles drifts by a few ulps: reservations given back
 * in another order can leave -1e-18 behind. Below this it is zero. */
#define EPS_USD 1e-9

int budget_parse(const char *s, struct budget_arg *out, struct gb_err *err)
{
    const char *p = s ? s : "";
    struct budget_arg a = {0, 0};
    if (*p == '+') {
        a.additional = 1;
        p++;
    }
    if (*p == '$')
        p++;
    /* digits and one point only: strtod alone would take "inf", "nan", hex,
     * exponents and leading blanks */
    size_t len = strlen(p), whole = strspn(p, "0123456789");
    int point = p[whole] == '.';
    size_t frac = point ? strspn(p + whole + 1, "0123456789") : 0;
    int shape_ok = whole + frac > 0 && len == whole + (size_t)point + frac;
    errno = 0;
    double v = shape_ok ? strtod(p, NULL) : -1;
    if (v < 0 || errno || !isfinite(v))
        return GB_FAIL(err, GB_EINVAL,
                       "'--max-cost %s': expected an amount in US dollars such as 20 or 12.50, "
                       "or +5 for 5 more than the folder has spent",
                       s ? s : "");
    a.usd = v;
    *out = a;
    return 0;
}

void budget_init(struct budget *b, const struct budget_arg *arg, double spent_before_usd)
{
    memset(b, 0, sizeof *b);
    b->spent_usd = spent_before_usd > 0 && isfinite(spent_before_usd) ? spent_before_usd : 0;
    if (!arg)
        b->limit_usd = INFINITY;
    else
        b->limit_usd = arg->additional ? b->spent_usd + arg->usd : arg->usd;
}

enum budget_verdict budget_reserve(struct budget *b, double worst_usd)
{
    if (isinf(b->limit_usd)) {
        b->reserved_usd += isnan(worst_usd) ? 0 : worst_usd;
        b->in_flight++;
        return BUDGET_OK;
    }
    if (isnan(worst_usd) || worst_usd < 0) {
        b->refused++;
        return BUDGET_UNPRICED;
    }
    if (b->spent_usd + b->reserved_usd + worst_usd > b->limit_usd + EPS_USD) {
        b->refused++;
        return BUDGET_FULL;
    }
    b->reserved_usd += worst_usd;
    b->in_flight++;
    return BUDGET_OK;
}

static void unreserve(struct budget *b, double reserved_usd)
{
    if (!isnan(reserved_usd))
        b->reserved_usd -= reserved_usd;
    if (b->in_flight > 0)
        b->in_flight--;
    if (b->in_flight == 0 || b->reserved_usd < 0) /* nothing in flight: no drift kept */
        b->reserved_usd = 0;
}

void budget_settle(struct budget *b, double reserved_usd, double actual_usd)
{
    unreserve(b, reserved_usd);
    if (isnan(actual_usd)) {
        double kept = isnan(reserved_usd) ? 0 : reserved_usd;
        b->spent_usd += kept;
        b->doubt_usd += kept;
        b->in_doubt++;
        return;
    }
    b->spent_usd += actual_usd;
}

void budget_release(struct budget *b, double reserved_usd)
{
    unreserve(b, reserved_usd);
}

double budget_left(const struct budget *b)
{
    return b->limit_usd - b->spent_usd - b->reserved_usd;
}

int budget_exhausted(const struct budget *b)
{
    return b->in_flight == 0 && b->spent_usd >= b->limit_usd - EPS_USD &&
           !isinf(b->limit_usd);
}
