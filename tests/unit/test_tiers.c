/* test_tiers.c: tier names, --finish-by parsing against a fake clock (and a
 * fixed time zone), the deadline routing rule and the latency estimate. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "tiers.h"

/* 2026-12-06 10:00:00 UTC, a Sunday */
#define NOW ((time_t)1796551200)

static void zone(const char *tz)
{
    setenv("TZ", tz, 1);
    tzset();
}

Test(tiers, names_both_ways)
{
    enum tier t;
    const char *const ok[][2] = {{"standard", "standard"}, {"flex", "flex"},
                                 {"priority", "priority"}, {"batch", "batch"},
                                 {"FLEX", "flex"},         {"SERVICE_TIER_PRIORITY", "priority"},
                                 {"Standard", "standard"}};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        cr_assert_eq(tier_parse(ok[i][0], &t), 0, "%s", ok[i][0]);
        cr_expect_str_eq(tier_name(t), ok[i][1]);
    }
    const char *const bad[] = {"", "deferred", "flexible", "SERVICE_TIER_", "unspecified"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(tier_parse(bad[i], &t), GB_EINVAL, "%s", bad[i]);
    cr_expect_eq(tier_parse(NULL, &t), GB_EINVAL);
}

Test(tiers, a_request_asks_for_standard_flex_or_priority_only)
{
    enum tier t;
    cr_assert_eq(tier_asked("FLEX", &t), 0);
    cr_expect_eq(t, TIER_FLEX);
    cr_assert_eq(tier_asked("SERVICE_TIER_PRIORITY", &t), 0);
    cr_expect_eq(t, TIER_PRIORITY);
    const char *const bad[] = {"batch", "turbo", "deferred", "", NULL};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_eq(tier_asked(bad[i], &t), GB_EINVAL, "%s", bad[i] ? bad[i] : "(null)");
    char msg[200];
    tier_asked_error("turbo", msg, sizeof msg);
    cr_expect_str_eq(msg, "'turbo' is not a service tier; give standard, flex or priority");
    tier_asked_error("\x1b[2Jbatch", msg, sizeof msg);
    cr_expect_str_eq(msg, "'\\x1b[2Jbatch' is not a service tier; give standard, flex or priority");
}

Test(tiers, served_tier_field_then_header_then_asked)
{
    cr_expect_eq(tier_served("standard", "priority", TIER_PRIORITY), TIER_STANDARD);
    cr_expect_eq(tier_served(NULL, "standard", TIER_PRIORITY), TIER_STANDARD);
    cr_expect_eq(tier_served("bogus", "flex", TIER_STANDARD), TIER_FLEX);
    cr_expect_eq(tier_served(NULL, NULL, TIER_FLEX), TIER_FLEX);
    cr_expect_eq(tier_served("", "", TIER_PRIORITY), TIER_PRIORITY);
}

Test(tiers, finish_by_durations)
{
    time_t d;
    struct gb_err err = {0};
    cr_assert_eq(tier_parse_finish_by("45m", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 45 * 60);
    cr_assert_eq(tier_parse_finish_by("2h", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 7200);
    cr_assert_eq(tier_parse_finish_by("1h30m", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 5400);
    cr_assert_eq(tier_parse_finish_by("90s", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 90);
    cr_assert_eq(tier_parse_finish_by("1.5h", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 5400);
    cr_assert_eq(tier_parse_finish_by("1d", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 86400);
}

Test(tiers, finish_by_clock_time_today_or_tomorrow)
{
    zone("UTC0");
    time_t d;
    struct gb_err err = {0};
    cr_assert_eq(tier_parse_finish_by("10:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 1800);
    cr_assert_eq(tier_parse_finish_by("06:30", NOW, &d, &err), 0); /* passed: tomorrow */
    cr_expect_eq(d, NOW + 86400 - 3.5 * 3600);
    cr_assert_eq(tier_parse_finish_by("10:00", NOW, &d, &err), 0); /* now is not the future */
    cr_expect_eq(d, NOW + 86400);
    cr_assert_eq(tier_parse_finish_by("23:59:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 14 * 3600 - 30);
    /* the local clock: 2 hours east of UTC it is 12:00 now */
    zone("XST-2");
    cr_assert_eq(tier_parse_finish_by("12:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 1800);
    cr_assert_eq(tier_parse_finish_by("10:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 86400 - 5400);
    zone("UTC0");
}

Test(tiers, finish_by_date_and_time)
{
    zone("UTC0");
    time_t d;
    struct gb_err err = {0};
    cr_assert_eq(tier_parse_finish_by("2026-12-07T06:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 20.5 * 3600);
    cr_assert_eq(tier_parse_finish_by("2026-12-07T06:30:15Z", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 20.5 * 3600 + 15);
    cr_assert_eq(tier_parse_finish_by("2026-12-07T06:30+01:00", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 19.5 * 3600);
    cr_assert_eq(tier_parse_finish_by("2026-12-07 06:30-0130", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 22 * 3600);
    zone("XST-2"); /* no zone given: local */
    cr_assert_eq(tier_parse_finish_by("2026-12-07T06:30", NOW, &d, &err), 0);
    cr_expect_eq(d, NOW + 18.5 * 3600);
    zone("UTC0");
}

Test(tiers, finish_by_bad_values_say_why)
{
    zone("UTC0");
    const char *const bad[][2] = {
        {"", "no time given"},
        {"45", "a duration needs a unit"},
        {"45x", "a duration needs a unit"},
        {"-5m", "not a time or a duration"},
        {"0m", "the duration is zero"},
        {"soon", "not a time or a duration"},
        {"25:00", "not a valid clock time"},
        {"6:30", "not a valid clock time"},
        {"06:60", "not a valid clock time"},
        {"2026-12-05T06:30", "that time has passed"},
        {"2026-02-30T06:30", "not a valid date and time"},
        {"2026-12-07T06:30+25:00", "not a valid date and time"},
        {"2026-12-07T06:30 extra", "not a valid date and time"},
        {"2030-01-01T00:00", "more than 400 days ahead"},
        {"500d", "more than 400 days ahead"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        time_t d = 42;
        struct gb_err err = {0};
        cr_expect_eq(tier_parse_finish_by(bad[i][0], NOW, &d, &err), GB_EINVAL, "'%s'",
                     bad[i][0]);
        cr_expect(strstr(err.msg, bad[i][1]) != NULL, "'%s': %s", bad[i][0], err.msg);
        cr_expect(strstr(err.msg, "--finish-by") != NULL, "%s", err.msg);
        cr_expect_eq(d, 42, "'%s' set a deadline", bad[i][0]);
    }
}

/* ---- routing ------------------------------------------------------------------ */

static struct tier_route flex_run(double now, long left)
{
    /* a deadline at t=1000 s; flex answers in 60 s, standard in 10 s;
     * 100 requests in flight at once */
    struct tier_route r = {TIER_FLEX, now, 1000, 60, 10, left, 100};
    return r;
}

Test(tiers, route_keeps_other_tiers_and_flex_without_deadline)
{
    struct tier_route r = flex_run(999, 100000);
    r.requested = TIER_STANDARD;
    cr_expect_eq(tier_route(&r), TIER_STANDARD);
    r.requested = TIER_PRIORITY;
    cr_expect_eq(tier_route(&r), TIER_PRIORITY);
    r.requested = TIER_FLEX;
    r.deadline_s = 0;
    cr_expect_eq(tier_route(&r), TIER_FLEX);
    cr_expect_eq(tier_abandon(&r), 0);
}

Test(tiers, flex_stays_flex_while_there_is_time)
{
    /* 2000 left = 20 waves of 10 s at standard = 200 s; + 60 s flex = 260 s */
    struct tier_route r = flex_run(0, 2000);
    cr_expect_eq(tier_route(&r), TIER_FLEX);
    r.now_s = 740; /* 260 s left: just enough */
    cr_expect_eq(tier_route(&r), TIER_FLEX);
    r.now_s = 741;
    cr_expect_eq(tier_route(&r), TIER_STANDARD);
    /* less work left: flex again at the same time */
    r.left = 1000;
    cr_expect_eq(tier_route(&r), TIER_FLEX);
}

Test(tiers, shed_and_unsent_work_goes_standard_near_the_deadline)
{
    /* a fake clock walks towards the deadline with 150 requests left: flex
     * until 1000 - 60 - 2 waves x 10 = 920, standard after */
    double switched = -1;
    for (double t = 0; t <= 1000; t += 1) {
        struct tier_route r = flex_run(t, 150);
        enum tier got = tier_route(&r);
        if (got == TIER_STANDARD && switched < 0)
            switched = t;
        if (switched >= 0)
            cr_expect_eq(got, TIER_STANDARD, "back to flex at %g", t);
    }
    cr_expect_eq(switched, 921);
    /* after the deadline, everything left goes standard */
    struct tier_route late = flex_run(1500, 1);
    cr_expect_eq(tier_route(&late), TIER_STANDARD);
}

Test(tiers, abandon_flex_in_flight_when_standard_needs_the_time)
{
    struct tier_route r = flex_run(900, 150); /* 2 waves x 10 s = 20 s needed */
    cr_expect_eq(tier_abandon(&r), 0);
    r.now_s = 979;
    cr_expect_eq(tier_abandon(&r), 0);
    r.now_s = 980;
    cr_expect_eq(tier_abandon(&r), 1);
    r.requested = TIER_STANDARD;
    cr_expect_eq(tier_abandon(&r), 0);
}

Test(tiers, slots_and_left_below_one_count_as_one)
{
    struct tier_route r = {TIER_FLEX, 0, 100, 50, 10, 0, 0};
    /* one wave of 10 s + 50 s flex = 60 s <= 100 s */
    cr_expect_eq(tier_route(&r), TIER_FLEX);
    r.now_s = 41;
    cr_expect_eq(tier_route(&r), TIER_STANDARD);
}

Test(tiers, latency_estimate_prior_then_rfc6298)
{
    struct lat_est e;
    lat_est_init(&e, 600);
    cr_expect_eq(lat_est_value(&e), 600);
    lat_est_add(&e, 10);
    /* first sample: srtt 10, rttvar 5: 10 + 4 x 5 */
    cr_expect(fabs(lat_est_value(&e) - 30) < 1e-9);
    for (int i = 0; i < 200; i++)
        lat_est_add(&e, 10);
    /* steady answers: the deviation decays, the estimate comes down to 10 */
    cr_expect(fabs(lat_est_value(&e) - 10) < 1e-6, "%g", lat_est_value(&e));
    lat_est_add(&e, 40);
    cr_expect_gt(lat_est_value(&e), 40, "a slow answer raises it past itself");
    lat_est_add(&e, NAN);
    lat_est_add(&e, -1);
    cr_expect_eq(e.n, 202);
}
