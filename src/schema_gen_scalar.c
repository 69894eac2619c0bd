/* schema_gen_scalar.c: the generator's strings and numbers: lengths,
 * formats and patterns for strings; bounds, exclusive bounds and multipleOf
 * for numbers, with the fewest decimals that satisfy them. Deterministic in
 * the generator's rng; the caller validates what comes back. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

static json_t *gen_words(struct gctx *g, long minl, long maxl)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    json_t *v = NULL;
    if (!fmt_text(g->key, g->keylen, minl, maxl, &g->r, &b))
        v = json_stringn(b.data ? b.data : "", b.len);
    buf_free(&b);
    return v;
}

json_t *sgen_string(struct gctx *g, const struct glist *l)
{
    long minl = 0, maxl = -1;
    const struct snode *pat = NULL, *fmt = NULL;
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        if ((n->flags & SF_MINLEN) && n->min_len > minl)
            minl = n->min_len;
        if ((n->flags & SF_MAXLEN) && (maxl < 0 || n->max_len < maxl))
            maxl = n->max_len;
        if (n->pattern && !pat)
            pat = n;
        if (n->format != FMT_NONE && !fmt)
            fmt = n;
    }
    if ((maxl >= 0 && maxl < minl) || minl > 1000000) /* no megabyte strings from a schema */
        return NULL;
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    json_t *v = NULL;
    for (int attempt = 0; attempt < 12 && !v; attempt++) {
        buf_reset(&b);
        /* A format makes nicer text than a pattern's generator (zod writes
         * both for emails and UUIDs): try it first, then the pattern. */
        if (fmt && (!pat || attempt % 2 == 0)) {
            fmt_generate(fmt->format, &g->r, &b);
        } else if (pat) {
            if (rx_generate(pat->pattern, &g->r, &b))
                continue;
            /* An unanchored pattern may sit inside words to reach minLength. */
            if ((long)schema_utf8_len(b.data ? b.data : "", b.len) < minl && attempt % 2) {
                while ((long)schema_utf8_len(b.data, b.len) < minl)
                    buf_puts(&b, " a");
            }
        } else {
            v = gen_words(g, minl, maxl);
            if (v && !sgen_list_valid(l, v)) {
                json_decref(v);
                v = NULL;
            }
            continue;
        }
        v = json_stringn(b.data ? b.data : "", b.len);
        if (v && !sgen_list_valid(l, v)) {
            json_decref(v);
            v = NULL;
        }
    }
    buf_free(&b);
    return v;
}

/* Decimal places of a number's shortest form (0.0001 -> 4), at most 12. */
static int decimals(double d)
{
    char s[64];
    snprintf(s, sizeof s, "%.15g", fabs(d));
    const char *e = strchr(s, 'e');
    if (e) {
        int ex = atoi(e + 1);
        return ex < 0 ? (-ex > 12 ? 12 : -ex) : 0;
    }
    const char *dot = strchr(s, '.');
    int n = dot ? (int)strlen(dot + 1) : 0;
    return n > 12 ? 12 : n;
}

static double pick_in(struct gctx *g, double lo, double hi)
{
    /* Prefer small, human-looking values: 0..100 when allowed. */
    if (lo <= 0 && hi >= 100 && rng_below(&g->r, 4))
        return (double)rng_below(&g->r, 101);
    if (isinf(lo) && isinf(hi))
        return (double)rng_below(&g->r, 101);
    if (isinf(lo))
        return hi - (double)rng_below(&g->r, 100);
    if (isinf(hi))
        return lo + (double)rng_below(&g->r, 100);
    double span = hi - lo;
    if (span > 1000)
        return lo + (double)rng_below(&g->r, 1000);
    return lo + span * ((double)(rng_next(&g->r) >> 11) / 9007199254740992.0);
}

json_t *sgen_number(struct gctx *g, const struct glist *l, int integer)
{
    double lo = -INFINITY, hi = INFINITY;
    int lo_ex = 0, hi_ex = 0;
    const struct snum *mult = NULL;
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        if ((n->flags & SF_MINIMUM) && n->minimum.d > lo)
            lo = n->minimum.d, lo_ex = 0;
        if ((n->flags & SF_EXMIN) && n->exmin.d >= lo)
            lo = n->exmin.d, lo_ex = 1;
        if ((n->flags & SF_MAXIMUM) && n->maximum.d < hi)
            hi = n->maximum.d, hi_ex = 0;
        if ((n->flags & SF_EXMAX) && n->exmax.d <= hi)
            hi = n->exmax.d, hi_ex = 1;
        if ((n->flags & SF_MULTIPLE) && !mult)
            mult = &n->multiple_of;
    }
    for (int attempt = 0; attempt < 8; attempt++) {
        json_t *v = NULL;
        if (integer) {
            double ilo = isinf(lo) ? -9e15 : (lo_ex ? floor(lo) + 1 : ceil(lo));
            double ihi = isinf(hi) ? 9e15 : (hi_ex ? ceil(hi) - 1 : floor(hi));
            if (ilo > ihi || ilo > 9e15 || ihi < -9e15)
                return NULL;
            double step = 1;
            if (mult) {
                step = mult->d;
                if (floor(step) != step) { /* smallest whole multiple of a fraction */
                    double s = 0;
                    for (int k = 1; k <= 10000 && !s; k++) {
                        double q = k / mult->d;
                        if (fabs(q - nearbyint(q)) < 1e-9)
                            s = k;
                    }
                    if (!s)
                        return NULL;
                    step = s;
                }
            }
            double kl = ceil(ilo / step), kh = floor(ihi / step);
            if (kl > kh)
                return NULL;
            double k = nearbyint(pick_in(g, isinf(lo) ? -INFINITY : kl, isinf(hi) ? INFINITY : kh));
            if (k < kl)
                k = kl;
            if (k > kh)
                k = kh;
            v = json_integer((json_int_t)(k * step));
        } else if (mult) {
            double m = mult->d;
            double kl = isinf(lo) ? -INFINITY : ceil(lo / m),
                   kh = isinf(hi) ? INFINITY : floor(hi / m);
            if (!isinf(lo) && lo_ex && kl * m <= lo)
                kl += 1;
            if (!isinf(hi) && hi_ex && kh * m >= hi)
                kh -= 1;
            if (kl > kh)
                return NULL;
            double k = nearbyint(pick_in(g, kl, kh));
            /* Prefer multiples of m that are also multiples of 0.25: exact in
             * binary, they print as "19.75", not "19.750000000000004". */
            double j = 0;
            for (int t = 1; t <= 400 && !j; t++)
                if (fabs(t * m * 4 - nearbyint(t * m * 4)) < 1e-9)
                    j = t;
            if (j > 0 && kh - kl >= j)
                k = ceil(k / j) * j;
            if (k < kl)
                k = kl;
            if (k > kh)
                k = kh;
            double p = pow(10, decimals(m));
            double x = nearbyint(k * m * p) / p;
            v = (floor(x) == x && fabs(x) < 9e15) ? json_integer((json_int_t)x) : json_real(x);
        } else {
            double x = pick_in(g, lo, hi);
            /* Quarters are exact in binary, so they print short ("12.25"),
             * not as 17-digit approximations; narrow ranges need finer steps. */
            double steps = 4;
            if (!isinf(lo) && !isinf(hi))
                while (steps < 1e9 && (hi - lo) * steps < 4)
                    steps *= 2;
            x = nearbyint(x * steps) / steps;
            if (attempt % 2 || rng_below(&g->r, 2))
                x += (double)rng_below(&g->r, (uint64_t)steps) / steps;
            if (!isinf(lo) && (x < lo || (lo_ex && x <= lo)))
                x = isinf(hi) ? lo + 1 : (lo + hi) / 2;
            if (!isinf(hi) && (x > hi || (hi_ex && x >= hi)))
                x = isinf(lo) ? hi - 1 : (lo + hi) / 2;
            v = json_real(x);
        }
        if (v && sgen_list_valid(l, v))
            return v;
        json_decref(v);
    }
    return NULL;
}
