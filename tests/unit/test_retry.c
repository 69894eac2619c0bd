/* test_retry.c: which outcomes are retried, and how long to wait. */
#include <criterion/criterion.h>

#include "retry.h"

static const struct retry_policy pol = {6, 1000, 60000};

Test(retry, retryable_http_statuses)
{
    long codes[] = {408, 429, 500, 502, 503, 504};
    for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
        struct outcome o = {OC_HTTP, codes[i], -1, NULL};
        long d;
        cr_expect_eq(retry_decide(&pol, &o, 1, 12345, &d), V_RETRY, "%ld", codes[i]);
        cr_expect_geq(d, 50);
        cr_expect_leq(d, 1000);
    }
}

Test(retry, client_errors_fail_and_auth_aborts)
{
    long d;
    struct outcome o = {OC_HTTP, 400, -1, NULL};
    cr_expect_eq(retry_decide(&pol, &o, 1, 1, &d), V_FAIL);
    o.http = 404;
    cr_expect_eq(retry_decide(&pol, &o, 1, 1, &d), V_FAIL);
    o.http = 401;
    cr_expect_eq(retry_decide(&pol, &o, 1, 1, &d), V_ABORT);
    o.http = 403;
    cr_expect_eq(retry_decide(&pol, &o, 1, 1, &d), V_ABORT);
    struct outcome tls = {OC_TLS, 0, -1, NULL};
    cr_expect_eq(retry_decide(&pol, &tls, 1, 1, &d), V_ABORT);
}

Test(retry, network_timeouts_and_bad_bodies_retry_until_max)
{
    long d;
    enum outcome_class cls[] = {OC_NET, OC_TIMEOUT, OC_BAD_BODY};
    for (int i = 0; i < 3; i++) {
        struct outcome o = {cls[i], 0, -1, NULL};
        cr_expect_eq(retry_decide(&pol, &o, 5, 7, &d), V_RETRY);
        cr_expect_eq(retry_decide(&pol, &o, 6, 7, &d), V_FAIL);
    }
}

Test(retry, server_hints_win)
{
    long d;
    struct outcome o = {OC_HTTP, 429, 3000, "1"};
    cr_expect_eq(retry_decide(&pol, &o, 1, 0, &d), V_RETRY);
    cr_expect_geq(d, 3000);
    cr_expect_leq(d, 3300);
    struct outcome o2 = {OC_HTTP, 503, -1, "2"};
    cr_expect_eq(retry_decide(&pol, &o2, 1, 0, &d), V_RETRY);
    cr_expect_geq(d, 2000);
    cr_expect_leq(d, 2200);
}

Test(retry, backoff_grows_and_is_capped)
{
    for (uint64_t r = 0; r < 2000; r += 97) {
        cr_expect_leq(retry_backoff_ms(&pol, 1, r), 1000);
        cr_expect_leq(retry_backoff_ms(&pol, 3, r), 4000);
        cr_expect_leq(retry_backoff_ms(&pol, 30, r), 60000);
    }
    long max = 0;
    for (uint64_t r = 0; r < 100000; r += 7) {
        long v = retry_backoff_ms(&pol, 30, r * 2654435761u);
        if (v > max)
            max = v;
    }
    cr_expect_gt(max, 30000, "full jitter reaches high values");
}

Test(retry, retry_after_forms)
{
    cr_expect_eq(retry_after_ms("7", 0), 7000);
    cr_expect_eq(retry_after_ms("", 0), -1);
    cr_expect_eq(retry_after_ms(NULL, 0), -1);
    /* Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
    cr_expect_eq(retry_after_ms("Sun, 06 Nov 1994 08:49:37 GMT", 784111770.0), 7000);
}

/* bad-inputs corpus: a hostile Retry-After must not overflow (UBSan) */
Test(retry, retry_after_huge_is_capped)
{
    cr_expect_eq(retry_after_ms("9223372036854775807", 0), 15L * 60 * 1000);
    cr_expect_eq(retry_after_ms("99999999999999999999", 0), 15L * 60 * 1000);
    cr_expect_eq(retry_after_ms("-5", 0), -1);
}
