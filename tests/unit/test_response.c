/* test_response.c: error envelopes and Interactions as hostile servers send
 * them (regressions from tests/fuzz and tests/bad-inputs): absurd durations,
 * envelopes without a message, U+0000 in an answer. */
#include <criterion/criterion.h>
#include <string.h>

#include "response.h"

Test(response, duration_forms)
{
    cr_expect_eq(resp_duration_ms("1.5s"), 1500);
    cr_expect_eq(resp_duration_ms("30"), 30000);
    cr_expect_eq(resp_duration_ms("100ms"), 100);
    cr_expect_eq(resp_duration_ms("-1s"), -1);
    cr_expect_eq(resp_duration_ms("soon"), -1);
    cr_expect_eq(resp_duration_ms(NULL), -1);
}

/* fuzz_response crash-c80e556c: "8888...8" (96 digits) overflowed the
 * conversion to long (UBSan float-cast-overflow) */
Test(response, duration_huge_or_nan_is_defined)
{
    cr_expect_eq(resp_duration_ms("99999999999999999999s"), 1000000000L * 1000);
    char digits[100];
    memset(digits, '8', 96);
    digits[96] = '\0';
    cr_expect_eq(resp_duration_ms(digits), 1000000000L * 1000);
    cr_expect_eq(resp_duration_ms("1e308s"), 1000000000L * 1000);
    cr_expect_eq(resp_duration_ms("nans"), -1);
    cr_expect_eq(resp_duration_ms("infs"), 1000000000L * 1000);
}

/* bad-inputs response-error-no-fields: {"error":{}} used to give an empty message */
Test(response, envelope_without_message_shows_the_body)
{
    struct api_error e;
    const char body[] = "{\"error\":{}}";
    resp_parse_error(body, sizeof body - 1, 400, &e);
    cr_expect_eq(e.code, 400);
    cr_expect_str_eq(e.status, "INVALID_ARGUMENT");
    cr_expect_str_eq(e.message, "HTTP 400: {\"error\":{}}");
    const char typed[] = "{\"error\":{\"code\":\"x\",\"message\":7,\"status\":[1]}}";
    resp_parse_error(typed, sizeof typed - 1, 503, &e);
    cr_expect_eq(e.code, 503);
    cr_expect_str_eq(e.status, "UNAVAILABLE");
    cr_expect(strncmp(e.message, "HTTP 503: {", 11) == 0, "%s", e.message);
    const char ok[] = "{\"error\":{\"code\":429,\"message\":\"slow\",\"status\":\"RESOURCE_EXHAUSTED\"}}";
    resp_parse_error(ok, sizeof ok - 1, 429, &e);
    cr_expect_str_eq(e.message, "slow");
}

/* bad-inputs response-nul-in-text: valid JSON with U+0000 is an answer, not a
 * bad body to pay for again */
Test(response, nul_in_text_is_accepted)
{
    const char body[] = "{\"id\":\"ix\",\"status\":\"completed\",\"outputs\":[{\"type\":\"text\","
                        "\"text\":\"a\\u0000b\"}]}";
    struct interaction it;
    struct gb_err err = {0};
    cr_assert_eq(resp_parse_interaction(body, sizeof body - 1, &it, &err), 0, "%s", err.msg);
    cr_expect_str_eq(it.status, "completed");
    interaction_free(&it);
}
