/* tiers.h: service tiers by name, `--finish-by` parsing, and the pure
 * decisions the engine makes per request when a flex run has a deadline: send
 * at flex or at standard, and give up waiting on a flex attempt in flight.
 * Nothing here reads a clock: callers pass "now", so tests use a fake one.
 * Ownership: plain values only; nothing is allocated. */
#ifndef GB_TIERS_H
#define GB_TIERS_H

#include <stddef.h>
#include <time.h>

#include "err.h"

/* The order is the price table's (prices.c indexes by it). Batch is not a
 * service_tier of the Interactions API but the Batch API's price. */
enum tier { TIER_STANDARD, TIER_FLEX, TIER_PRIORITY, TIER_BATCH, TIER_N };

/* "standard", "flex", "priority", "batch". */
const char *tier_name(enum tier t);

/* A tier from the command line, a pipeline, an Interaction's service_tier or
 * the x-gemini-service-tier header: case-insensitive, with or without the
 * generateContent enum's "SERVICE_TIER_" prefix. 0, or GB_EINVAL for anything
 * else (NULL and "" included). */
int tier_parse(const char *s, enum tier *out);

/* What a request may ask for, in its service_tier or with --tier: standard,
 * flex or priority, in tier_parse's spellings (batch is the Batch API's
 * price, not a tier a request names). 0, or GB_EINVAL for anything else. */
int tier_asked(const char *s, enum tier *out);

/* The message for a service_tier value that tier_asked refuses: the value
 * (escaped and cut to fit) and what is accepted, into out. */
void tier_asked_error(const char *s, char *out, size_t n);

/* The tier an answer is billed at: the Interaction's service_tier, else the
 * x-gemini-service-tier header, else the tier asked for (either may be NULL
 * or unreadable; priority over its limit comes back as standard). */
enum tier tier_served(const char *field, const char *header, enum tier asked);

/* `--finish-by TIME`, relative to now (Unix seconds):
 *   HH:MM[:SS]                 the next time the local clock shows it (today, or
 *                              tomorrow when it has passed)
 *   YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]  a date and time, local unless a zone is given
 *   a duration                 45m, 2h, 90s, 1d, or a sum such as 1h30m
 * 0 with *deadline set, or GB_EINVAL with a message naming the value and the
 * accepted forms (a time in the past, or a zero duration, is an error too). */
int tier_parse_finish_by(const char *s, time_t now, time_t *deadline, struct gb_err *err);

/* What the routing decision is made from. Times in seconds on one clock
 * (monotonic or wall: the caller's, the same for now_s and deadline_s). */
struct tier_route {
    enum tier requested; /* the tier the run (or the manifest line) asks for */
    double now_s;
    double deadline_s;   /* <= 0: no deadline */
    double flex_s;       /* expected duration of one flex attempt (lat_est_value) */
    double standard_s;   /* expected duration of one standard attempt (lat_est_value) */
    long left;           /* requests still to be answered, this one included:
                          * queued, waiting to retry after shedding, in flight */
    long slots;          /* how many may be in flight at once (concurrency, or
                          * fewer when a rate limit is what binds); < 1 counts as 1 */
};

/* The tier to send one request at. Anything but flex, or flex without a
 * deadline, goes out as asked. Flex stays flex while this attempt can take
 * flex_s and everything left could still be sent at standard afterwards:
 *   deadline - now >= flex_s + ceil(left / slots) * standard_s
 * otherwise (the time left has got short) it goes out at standard. A shed
 * request (503/429 on flex) is asked again the same way when it is retried. */
enum tier tier_route(const struct tier_route *r);

/* A flex attempt in flight: 1 when waiting for it any longer would leave too
 * little time to send what is left at standard, i.e. when
 *   deadline - now <= ceil(left / slots) * standard_s
 * (the engine then cancels it and sends it again at standard); 0 otherwise,
 * and always 0 without a deadline or when the request is not at flex. */
int tier_abandon(const struct tier_route *r);

/* A latency estimate for tier_route: the prior until the first answer, then
 * the TCP retransmit-timer estimate (RFC 6298: smoothed mean plus four times
 * the smoothed mean deviation), which runs high on purpose: a deadline missed
 * costs more than a request paid at standard. Feed it answered attempts only
 * (a shed attempt says nothing about how long an answer takes). */
struct lat_est {
    double prior_s, srtt_s, rttvar_s;
    long n;
};

void lat_est_init(struct lat_est *e, double prior_s);
void lat_est_add(struct lat_est *e, double seconds);
double lat_est_value(const struct lat_est *e);

#endif
