/* test_ratelimit.c: token buckets pace requests and tokens; 429s halve the
 * in-flight limit and successes grow it back. */
#include <criterion/criterion.h>

#include "ratelimit.h"

Test(ratelimit, rpm_paces_requests)
{
    struct rl r;
    rl_init(&r, 10, 60, 0, 1000); /* one a second, burst 1 */
    uint64_t w;
    cr_expect_eq(rl_acquire(&r, 1000, 1, &w), 1);
    cr_expect_eq(rl_acquire(&r, 1000, 1, &w), 0);
    cr_expect_geq(w, 999);
    cr_expect_leq(w, 1001);
    cr_expect_eq(rl_acquire(&r, 2001, 1, &w), 1);
}

Test(ratelimit, tpm_allows_an_oversized_request_once_full)
{
    struct rl r;
    rl_init(&r, 10, 0, 6000, 0); /* 100 tokens a second, burst 100 */
    uint64_t w;
    cr_expect_eq(rl_acquire(&r, 0, 500, &w), 1); /* larger than the burst: allowed when full */
    cr_expect_eq(rl_acquire(&r, 0, 10, &w), 0);
    cr_expect_gt(w, 0);
}

Test(ratelimit, aimd)
{
    struct rl r;
    rl_init(&r, 64, 0, 0, 0);
    rl_on_429(&r, 5000);
    cr_expect_eq(r.limit, 32);
    rl_on_429(&r, 5500); /* same burst: counted once */
    cr_expect_eq(r.limit, 32);
    rl_on_429(&r, 7000);
    cr_expect_eq(r.limit, 16);
    for (int i = 0; i < 16; i++)
        rl_on_success(&r);
    cr_expect_eq(r.limit, 17);
    for (int i = 0; i < 100000; i++)
        rl_on_success(&r);
    cr_expect_eq(r.limit, 64);
}

Test(ratelimit, tpm_corrected_by_reported_usage)
{
    struct rl a, b;
    rl_init(&a, 10, 0, 6000, 0); /* 100 tokens a second, burst 100 */
    rl_init(&b, 10, 0, 6000, 0);
    uint64_t wa, wb;
    cr_assert_eq(rl_acquire(&a, 0, 20, &wa), 1);
    cr_assert_eq(rl_acquire(&b, 0, 20, &wb), 1);
    rl_correct(&a, 20, 20); /* the estimate was right: 80 left */
    rl_correct(&b, 20, 90); /* the answer says 90 were used: 10 left */
    cr_expect_eq(rl_acquire(&a, 0, 50, &wa), 1);
    cr_expect_eq(rl_acquire(&b, 0, 50, &wb), 0);
    cr_expect_geq(wb, 400); /* 40 tokens short at 0.1 a millisecond */
    cr_expect_leq(wb, 402);
    cr_assert_eq(rl_acquire(&b, 402, 50, &wb), 1);
    cr_expect_eq(rl_acquire(&b, 402, 45, &wb), 0);
    rl_correct(&b, 50, 5); /* an over-estimate gives its 45 tokens back */
    cr_expect_eq(rl_acquire(&b, 402, 45, &wb), 1);
}

/* Flex sheds: one request in five shed is flex's normal state and leaves
 * the in-flight limit where it is (each shed request waits its own
 * backoff), even at the start of a run, when the sheds come back at once and
 * the answers only after seconds; when most requests are shed the limit is
 * cut as by a 429, and it grows back once answers come again. */
Test(ratelimit, sheds_cut_only_when_most_requests_are_shed)
{
    struct rl r;
    rl_init(&r, 400, 0, 0, 0);
    uint64_t now = 0, wait = 0;
    for (int i = 0; i < 400; i++) /* the first 400 requests leave */
        cr_assert(rl_acquire(&r, now, 10, &wait));
    for (int i = 0; i < 80; i++) { /* 80 of them shed within the first second */
        now += 10;
        rl_on_shed(&r, now);
        cr_assert(rl_acquire(&r, now, 10, &wait)); /* a freed slot: another request */
    }
    cr_expect_eq(r.limit, 400, "the first sheds of a run cut the limit to %d", r.limit);
    for (int i = 0; i < 2000; i++) { /* then 100 answers a second, one in five shed */
        now += 10;
        if (i % 5 == 0)
            rl_on_shed(&r, now);
        else
            rl_on_success(&r);
        cr_assert(rl_acquire(&r, now, 10, &wait));
    }
    cr_expect_eq(r.limit, 400, "20 %% sheds cut the limit to %d", r.limit);
    for (int i = 0; i < 1000; i++) { /* then 4 in 5 shed, for 10 s */
        now += 10;
        if (i % 5 == 0)
            rl_on_success(&r);
        else
            rl_on_shed(&r, now);
        cr_assert(rl_acquire(&r, now, 10, &wait));
    }
    cr_expect(r.limit <= 100, "80 %% sheds left the limit at %d", r.limit);
    int cut = r.limit;
    for (int i = 0; i < 5000; i++)
        rl_on_success(&r);
    cr_expect_gt(r.limit, cut, "the limit did not grow back");
}
