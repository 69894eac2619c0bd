/* tiers.c: tier names, `--finish-by` parsing and the deadline routing rule
 * (tiers.h says the rule). Pure: the clock is always the caller's, and the
 * only library state touched is the C library's time zone for local times. */
#include "tiers.h"

#include "esc.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const tier_names[TIER_N] = {"standard", "flex", "priority", "batch"};

const char *tier_name(enum tier t)
{
    return (unsigned)t < TIER_N ? tier_names[t] : "?";
}

int tier_parse(const char *s, enum tier *out)
{
    if (!s)
        return GB_EINVAL;
    if (!strncasecmp(s, "SERVICE_TIER_", 13))
        s += 13;
    for (int t = 0; t < TIER_N; t++)
        if (!strcasecmp(s, tier_names[t])) {
            *out = (enum tier)t;
            return 0;
        }
    return GB_EINVAL;
}

int tier_asked(const char *s, enum tier *out)
{
    enum tier t;
    if (tier_parse(s, &t) || t == TIER_BATCH)
        return GB_EINVAL;
    *out = t;
    return 0;
}

void tier_asked_error(const char *s, char *out, size_t n)
{
    char shown[80];
    esc_text(s ? s : "", s ? strlen(s) : 0, shown, sizeof shown);
    snprintf(out, n, "'%s' is not a service tier%s; give standard, flex or priority", shown,
             s && !tier_parse(s, &(enum tier){TIER_STANDARD}) ? " a request can ask for (Batch "
             "Mode is --mode batch)" : "");
}

enum tier tier_served(const char *field, const char *header, enum tier asked)
{
    enum tier t;
    if (!tier_parse(field, &t) || !tier_parse(header, &t))
        return t;
    return asked;
}

/* ---- --finish-by ------------------------------------------------------------- */

#define MAX_AHEAD_S (400.0 * 86400) /* a deadline over a year away is a typo */

static int finish_by_usage(struct gb_err *err, const char *s, const char *why)
{
    return GB_FAIL(err, GB_EINVAL,
                   "'--finish-by %s': %s; give a clock time (06:30), a date and time "
                   "(2026-12-07T06:30) or a duration (45m, 2h, 1h30m)",
                   s, why);
}

/* "45m", "1h30m", "90s", "1.5h", "2d": seconds, or -1 when it is not one. */
static double parse_duration(const char *s)
{
    double total = 0;
    const char *p = s;
    if (!*p)
        return -1;
    while (*p) {
        if (!isdigit((unsigned char)*p) && *p != '.')
            return -1;
        char *end;
        double v = strtod(p, &end);
        if (end == p || !isfinite(v) || v < 0)
            return -1;
        double unit;
        switch (*end) {
        case 's': unit = 1; break;
        case 'm': unit = 60; break;
        case 'h': unit = 3600; break;
        case 'd': unit = 86400; break;
        default: return -1; /* a bare number: seconds or minutes? say so */
        }
        total += v * unit;
        p = end + 1;
    }
    return total;
}

/* n digits exactly at *p, advanced past them; -1 when they are not there. */
static int digits(const char **p, int n)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (!isdigit((unsigned char)(*p)[i]))
            return -1;
        v = v * 10 + ((*p)[i] - '0');
    }
    *p += n;
    return v;
}

/* "HH:MM[:SS]" at *p into tm (hour, min, sec); 0, or -1 when malformed. */
static int parse_clock(const char **p, struct tm *tm)
{
    int h = digits(p, 2);
    if (h < 0 || h > 23 || **p != ':')
        return -1;
    (*p)++;
    int m = digits(p, 2);
    if (m < 0 || m > 59)
        return -1;
    int sec = 0;
    if (**p == ':') {
        (*p)++;
        sec = digits(p, 2);
        if (sec < 0 || sec > 59)
            return -1;
    }
    tm->tm_hour = h;
    tm->tm_min = m;
    tm->tm_sec = sec;
    return 0;
}

/* "Z", "+HH:MM", "+HHMM", "-HH:MM": the offset east of UTC in seconds into
 * *off; 1 when a zone was there, 0 when none, -1 when malformed. */
static int parse_zone(const char **p, long *off)
{
    if (**p == 'Z' || **p == 'z') {
        (*p)++;
        *off = 0;
        return 1;
    }
    if (**p != '+' && **p != '-')
        return 0;
    int sign = **p == '-' ? -1 : 1;
    (*p)++;
    int h = digits(p, 2);
    if (**p == ':')
        (*p)++;
    int m = digits(p, 2);
    if (h < 0 || h > 23 || m < 0 || m > 59)
        return -1;
    *off = sign * (h * 3600L + m * 60L);
    return 1;
}

/* "YYYY-MM-DDTHH:MM[:SS][zone]": 0 with *t, -1 when malformed. */
static int parse_datetime(const char *s, time_t *t)
{
    const char *p = s;
    struct tm tm = {0};
    int y = digits(&p, 4);
    if (y < 0 || *p++ != '-')
        return -1;
    int mo = digits(&p, 2);
    if (mo < 1 || mo > 12 || *p++ != '-')
        return -1;
    int d = digits(&p, 2);
    if (d < 1 || d > 31 || (*p != 'T' && *p != 't' && *p != ' '))
        return -1;
    p++;
    if (parse_clock(&p, &tm))
        return -1;
    long off = 0;
    int zoned = parse_zone(&p, &off);
    if (zoned < 0 || *p)
        return -1;
    tm.tm_year = y - 1900;
    tm.tm_mon = mo - 1;
    tm.tm_mday = d;
    struct tm want = tm;
    tm.tm_isdst = -1;
    time_t v = zoned ? timegm(&tm) - off : mktime(&tm);
    /* mktime and timegm normalise 31 February into March: refuse it */
    if (v == (time_t)-1 || tm.tm_mday != want.tm_mday || tm.tm_mon != want.tm_mon)
        return -1;
    *t = v;
    return 0;
}

/* "HH:MM[:SS]": the next time the local clock shows it, after now. */
static int parse_next_clock(const char *s, time_t now, time_t *t)
{
    const char *p = s;
    struct tm want = {0};
    if (parse_clock(&p, &want) || *p)
        return -1;
    struct tm tm;
    if (!localtime_r(&now, &tm))
        return -1;
    for (int day = 0; day < 2; day++) {
        struct tm c = tm;
        c.tm_mday += day;
        c.tm_hour = want.tm_hour;
        c.tm_min = want.tm_min;
        c.tm_sec = want.tm_sec;
        c.tm_isdst = -1;
        time_t v = mktime(&c);
        if (v != (time_t)-1 && v > now) {
            *t = v;
            return 0;
        }
    }
    return -1;
}

int tier_parse_finish_by(const char *s, time_t now, time_t *deadline, struct gb_err *err)
{
    if (!s || !*s)
        return finish_by_usage(err, s ? s : "", "no time given");
    time_t t;
    if (strchr(s, '-') && strchr(s, ':')) {
        if (parse_datetime(s, &t))
            return finish_by_usage(err, s, "not a valid date and time");
        if (t <= now)
            return finish_by_usage(err, s, "that time has passed");
    } else if (strchr(s, ':')) {
        if (parse_next_clock(s, now, &t))
            return finish_by_usage(err, s, "not a valid clock time");
    } else {
        double d = parse_duration(s);
        if (d < 0)
            return finish_by_usage(err, s, "not a time or a duration (a duration needs a unit)");
        if (d < 1)
            return finish_by_usage(err, s, "the duration is zero");
        if (d > MAX_AHEAD_S)
            return finish_by_usage(err, s, "more than 400 days ahead");
        t = now + (time_t)d;
    }
    if (difftime(t, now) > MAX_AHEAD_S)
        return finish_by_usage(err, s, "more than 400 days ahead");
    *deadline = t;
    return 0;
}

/* ---- routing ---------------------------------------------------------------- */

/* How long everything left takes at standard, wave after wave of slots. */
static double standard_drain_s(const struct tier_route *r)
{
    long slots = r->slots < 1 ? 1 : r->slots;
    long left = r->left < 1 ? 1 : r->left;
    long waves = (left + slots - 1) / slots;
    return (double)waves * r->standard_s;
}

enum tier tier_route(const struct tier_route *r)
{
    if (r->requested != TIER_FLEX || r->deadline_s <= 0)
        return r->requested;
    double time_left = r->deadline_s - r->now_s;
    if (time_left >= r->flex_s + standard_drain_s(r))
        return TIER_FLEX;
    return TIER_STANDARD;
}

int tier_abandon(const struct tier_route *r)
{
    if (r->requested != TIER_FLEX || r->deadline_s <= 0)
        return 0;
    return r->deadline_s - r->now_s <= standard_drain_s(r);
}

/* ---- latency estimate ---------------------------------------------------------- */

void lat_est_init(struct lat_est *e, double prior_s)
{
    memset(e, 0, sizeof *e);
    e->prior_s = prior_s;
}

void lat_est_add(struct lat_est *e, double s)
{
    if (!(s >= 0) || !isfinite(s))
        return;
    if (e->n == 0) {
        e->srtt_s = s;
        e->rttvar_s = s / 2;
    } else {
        e->rttvar_s = 0.75 * e->rttvar_s + 0.25 * fabs(e->srtt_s - s);
        e->srtt_s = 0.875 * e->srtt_s + 0.125 * s;
    }
    e->n++;
}

double lat_est_value(const struct lat_est *e)
{
    return e->n ? e->srtt_s + 4 * e->rttvar_s : e->prior_s;
}
