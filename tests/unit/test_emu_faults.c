/* test_emu_faults.c: --fault parsed into rates, the seeded draws (the same
 * for a seed, at the rates asked), the shed fault's split between 503 and
 * 429, and the token bucket behind --rpm and --priority-rpm. */
#include <criterion/criterion.h>
#include <string.h>

#include "emu_srv.h"

Test(emu_faults, parse_kinds_and_refusals)
{
    struct emu_faults f;
    struct gb_err err;
    gb_err_clear(&err);
    cr_assert_eq(emu_faults_parse(&f, "shed=0.3,idle=0.2,503=0.1", 9, &err), 0, "%s", err.msg);
    cr_expect_eq(f.n, 3);
    cr_expect_eq(f.spec[0].kind, F_SHED);
    cr_expect_eq(f.spec[1].kind, F_IDLE);
    cr_expect_str_eq(fault_name(F_SHED), "shed");
    cr_expect_str_eq(fault_name(F_IDLE), "idle");
    cr_expect_null(fault_name(F_NONE));
    cr_expect_eq(emu_faults_parse(&f, "shed=1.5", 9, &err), GB_EINVAL);
    cr_expect_eq(emu_faults_parse(&f, "shed=0.6,503=0.6", 9, &err), GB_EINVAL);
    cr_expect_eq(emu_faults_parse(&f, "drop=0.1", 9, &err), GB_EINVAL);
    cr_expect_not_null(strstr(err.msg, "shed"), "the kinds are listed: %s", err.msg);
    cr_expect_eq(emu_faults_parse(&f, NULL, 9, &err), 0);
    cr_expect_eq(emu_fault_draw(&f, NULL), F_NONE);
}

/* the shed fault: half 503 UNAVAILABLE, half 429 RESOURCE_EXHAUSTED, from
 * the draw itself, so a seed gives the same answers in the same order */
Test(emu_faults, shed_splits_503_and_429_by_seed)
{
    struct emu_faults a, b;
    struct gb_err err;
    cr_assert_eq(emu_faults_parse(&a, "shed=0.5", 77, &err), 0);
    cr_assert_eq(emu_faults_parse(&b, "shed=0.5", 77, &err), 0);
    int n503 = 0, n429 = 0, none = 0;
    for (int i = 0; i < 4000; i++) {
        double pa, pb;
        int ka = emu_fault_draw(&a, &pa), kb = emu_fault_draw(&b, &pb);
        cr_assert_eq(ka, kb, "draw %d differs for one seed", i);
        if (ka == F_NONE) {
            none++;
            continue;
        }
        cr_assert_eq(ka, F_SHED);
        cr_assert(pa >= 0 && pa < 1, "position %g", pa);
        struct emu_err e;
        emu_fault_shed(pa, &e);
        if (e.http == 503) {
            cr_expect_str_eq(e.status, "UNAVAILABLE");
            n503++;
        } else {
            cr_assert_eq(e.http, 429);
            cr_expect_str_eq(e.status, "RESOURCE_EXHAUSTED");
            n429++;
        }
        cr_expect_eq(e.retry_after_s, 0, "no Retry-After is documented for shedding");
    }
    cr_expect(none > 1800 && none < 2200, "rate 0.5: %d of 4000 not shed", none);
    cr_expect(n503 > 800 && n429 > 800, "503 %d, 429 %d", n503, n429);
}

Test(emu_faults, bucket_allows_a_burst_then_says_how_long)
{
    struct emu_bucket b;
    emu_bucket_init(&b, 2);
    cr_expect_eq(emu_bucket_take(&b), 0);
    cr_expect_eq(emu_bucket_take(&b), 0);
    long wait = emu_bucket_take(&b);
    cr_expect(wait >= 1 && wait <= 30, "third of 2 a minute waits %ld s", wait);
    emu_bucket_free(&b);
    emu_bucket_init(&b, 0);
    for (int i = 0; i < 100; i++)
        cr_expect_eq(emu_bucket_take(&b), 0, "0: no limit");
    emu_bucket_free(&b);
}
