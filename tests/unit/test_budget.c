/* test_budget.c: --max-cost parsing and the budget's arithmetic with requests
 * in flight: a request is refused when spent + reserved + its worst case would
 * pass the limit, answers settle their reservation into what they cost, and
 * an answer of unknown cost keeps its worst case and counts in doubt. */
#include <criterion/criterion.h>
#include <math.h>

#include "budget.h"

#define EPS 1e-12

Test(budget, parse_amounts)
{
    struct budget_arg a;
    struct gb_err err = {0};
    cr_assert_eq(budget_parse("12.50", &a, &err), 0);
    cr_expect_eq(a.usd, 12.5);
    cr_expect_eq(a.additional, 0);
    cr_assert_eq(budget_parse("+5", &a, &err), 0);
    cr_expect_eq(a.usd, 5);
    cr_expect_eq(a.additional, 1);
    cr_assert_eq(budget_parse("$20", &a, &err), 0);
    cr_expect_eq(a.usd, 20);
    cr_assert_eq(budget_parse("+$0.75", &a, &err), 0);
    cr_expect_eq(a.usd, 0.75);
    cr_expect_eq(a.additional, 1);
    cr_assert_eq(budget_parse("0", &a, &err), 0);
    cr_expect_eq(a.usd, 0);
    cr_assert_eq(budget_parse(".5", &a, &err), 0);
    cr_expect_eq(a.usd, 0.5);
}

Test(budget, parse_refuses_what_is_not_an_amount)
{
    const char *const bad[] = {"", "-5", "+-5", "abc", "5usd", "5 ", " 5", "inf", "nan",
                               "+", "$", "1e400", "0x10", "++5", "5,00"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct budget_arg a = {42, 1};
        struct gb_err err = {0};
        cr_expect_eq(budget_parse(bad[i], &a, &err), GB_EINVAL, "'%s' accepted", bad[i]);
        cr_expect(strstr(err.msg, "--max-cost") != NULL, "%s", err.msg);
        cr_expect_eq(a.usd, 42, "'%s' changed the output", bad[i]);
    }
    struct gb_err err = {0};
    struct budget_arg a;
    cr_expect_eq(budget_parse(NULL, &a, &err), GB_EINVAL);
}

Test(budget, limit_counts_the_folder_unless_additional)
{
    struct budget b;
    struct budget_arg total = {10, 0}, more = {10, 1};
    budget_init(&b, &total, 4);
    cr_expect_eq(b.limit_usd, 10);
    cr_expect_eq(b.spent_usd, 4);
    cr_expect(fabs(budget_left(&b) - 6) < EPS);
    budget_init(&b, &more, 4);
    cr_expect_eq(b.limit_usd, 14);
    cr_expect(fabs(budget_left(&b) - 10) < EPS);
    /* the folder has already spent the budget: nothing may be sent */
    budget_init(&b, &total, 12);
    cr_expect(budget_exhausted(&b));
    cr_expect_eq(budget_reserve(&b, 0.01), BUDGET_FULL);
    budget_init(&b, &more, 12);
    cr_expect(!budget_exhausted(&b));
}

Test(budget, requests_in_flight_count_at_their_worst)
{
    struct budget b;
    struct budget_arg arg = {1.0, 0};
    budget_init(&b, &arg, 0);
    cr_expect_eq(budget_reserve(&b, 0.4), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 0.4), BUDGET_OK);
    /* 0.8 in flight: a third 0.4 would pass 1.0 */
    cr_expect_eq(budget_reserve(&b, 0.4), BUDGET_FULL);
    cr_expect_eq(b.in_flight, 2);
    cr_expect(fabs(b.reserved_usd - 0.8) < EPS);
    /* but a small one fits exactly */
    cr_expect_eq(budget_reserve(&b, 0.2), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 0.000001), BUDGET_FULL);
    cr_expect_eq(b.refused, 2);
    /* the first answer cost far less than its worst case: room again */
    budget_settle(&b, 0.4, 0.05);
    cr_expect(fabs(b.spent_usd - 0.05) < EPS);
    cr_expect(fabs(b.reserved_usd - 0.6) < EPS);
    cr_expect_eq(b.in_flight, 2);
    cr_expect_eq(budget_reserve(&b, 0.3), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 0.1), BUDGET_FULL); /* 0.05 + 0.9 + 0.1 > 1 */
}

Test(budget, settle_with_unknown_cost_keeps_the_worst_case)
{
    struct budget b;
    struct budget_arg arg = {1.0, 0};
    budget_init(&b, &arg, 0);
    cr_assert_eq(budget_reserve(&b, 0.3), BUDGET_OK);
    cr_assert_eq(budget_reserve(&b, 0.3), BUDGET_OK);
    budget_settle(&b, 0.3, NAN); /* timed out after it was sent: in doubt */
    cr_expect_eq(b.in_doubt, 1);
    cr_expect(fabs(b.spent_usd - 0.3) < EPS);
    cr_expect(fabs(b.doubt_usd - 0.3) < EPS);
    cr_expect(fabs(b.reserved_usd - 0.3) < EPS);
    budget_settle(&b, 0.3, 0.1);
    cr_expect(fabs(b.spent_usd - 0.4) < EPS);
    cr_expect_eq(b.in_flight, 0);
    cr_expect_eq(b.reserved_usd, 0);
    cr_expect(fabs(budget_left(&b) - 0.6) < EPS);
}

Test(budget, release_gives_the_reservation_back)
{
    struct budget b;
    struct budget_arg arg = {1.0, 0};
    budget_init(&b, &arg, 0);
    cr_assert_eq(budget_reserve(&b, 0.9), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 0.2), BUDGET_FULL);
    budget_release(&b, 0.9); /* shed with 503: not billed */
    cr_expect_eq(b.spent_usd, 0);
    cr_expect_eq(b.in_flight, 0);
    cr_expect_eq(budget_reserve(&b, 0.2), BUDGET_OK);
}

Test(budget, unknown_worst_case_under_a_limit_is_not_sent)
{
    struct budget b;
    struct budget_arg arg = {1.0, 0};
    budget_init(&b, &arg, 0);
    cr_expect_eq(budget_reserve(&b, NAN), BUDGET_UNPRICED);
    cr_expect_eq(b.in_flight, 0);
    /* without a limit everything goes, and the sums still count */
    budget_init(&b, NULL, 2);
    cr_expect(isinf(b.limit_usd));
    cr_expect_eq(budget_reserve(&b, NAN), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 1e9), BUDGET_OK);
    budget_settle(&b, 1e9, 0.5);
    budget_settle(&b, NAN, NAN);
    cr_expect(fabs(b.spent_usd - 2.5) < EPS);
    cr_expect_eq(b.in_doubt, 1);
    cr_expect(!budget_exhausted(&b));
}

Test(budget, many_small_reservations_leave_no_drift)
{
    struct budget b;
    struct budget_arg arg = {1.0, 0};
    budget_init(&b, &arg, 0);
    int sent = 0;
    while (budget_reserve(&b, 0.001) == BUDGET_OK)
        sent++;
    cr_expect_eq(sent, 1000); /* exactly the limit, not 999 by rounding */
    for (int i = 0; i < sent; i++)
        budget_release(&b, 0.001);
    cr_expect_eq(b.reserved_usd, 0);
    cr_expect_eq(b.in_flight, 0);
}

Test(budget, additional_after_a_stop)
{
    /* a run stopped at 5.00 of a 5.00 budget; "+2" allows 2 more */
    struct budget b;
    struct budget_arg more = {2, 1};
    budget_init(&b, &more, 5.0);
    cr_expect_eq(budget_reserve(&b, 1.5), BUDGET_OK);
    cr_expect_eq(budget_reserve(&b, 0.6), BUDGET_FULL);
    budget_settle(&b, 1.5, 1.5);
    cr_expect(fabs(b.spent_usd - 6.5) < EPS);
}
