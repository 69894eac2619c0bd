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

/* ---- usage: both dialects' names, the per-modality breakdowns, service_tier ---- */

Test(response, usage_g1_names_and_breakdowns)
{
    const char body[] =
        "{\"id\":\"i1\",\"status\":\"completed\",\"model\":\"gemini-2.5-flash\",\"outputs\":[],"
        "\"usage\":{\"total_input_tokens\":1290,\"total_output_tokens\":20,"
        "\"total_reasoning_tokens\":7,\"total_cached_tokens\":300,\"total_tool_use_tokens\":5,"
        "\"input_tokens_by_modality\":[{\"modality\":\"text\",\"tokens\":10},"
        "{\"modality\":\"image\",\"tokens\":1000},{\"modality\":\"audio\",\"tokens\":280}],"
        "\"output_tokens_by_modality\":[{\"modality\":\"text\",\"tokens\":20}],"
        "\"cached_tokens_by_modality\":[{\"modality\":\"image\",\"tokens\":300}],"
        "\"tool_use_tokens_by_modality\":[{\"modality\":\"text\",\"tokens\":5}]}}";
    struct interaction it;
    struct gb_err err = {0};
    cr_assert_eq(resp_parse_interaction(body, sizeof body - 1, &it, &err), 0, "%s", err.msg);
    cr_expect_eq(it.usage.input, 1290);
    cr_expect_eq(it.usage.output, 20);
    cr_expect_eq(it.usage.thought, 7);
    cr_expect_eq(it.usage.cached, 300);
    cr_expect_eq(it.usage.tool, 5);
    cr_expect_eq(it.usage.total, 1290 + 20 + 7 + 5);
    cr_expect_eq(it.usage.input_by[USAGE_TEXT], 10);
    cr_expect_eq(it.usage.input_by[USAGE_IMAGE], 1000);
    cr_expect_eq(it.usage.input_by[USAGE_AUDIO], 280);
    cr_expect_eq(it.usage.input_by[USAGE_VIDEO], 0);
    cr_expect_eq(it.usage.output_by[USAGE_TEXT], 20);
    cr_expect_eq(it.usage.cached_by[USAGE_IMAGE], 300);
    cr_expect_eq(it.usage.tool_by[USAGE_TEXT], 5);
    cr_expect_null(it.service_tier);
    interaction_free(&it);
}

Test(response, usage_g3_names_video_document_and_service_tier)
{
    const char body[] =
        "{\"id\":\"i2\",\"status\":\"completed\",\"model\":\"gemini-3.8-flash\","
        "\"service_tier\":\"flex\",\"steps\":[],"
        "\"usage\":{\"total_input_tokens\":800,\"total_output_tokens\":1290,\"total_tokens\":2100,"
        "\"total_thought_tokens\":10,\"initial_input_tokens\":790,"
        "\"input_tokens_by_modality\":[{\"modality\":\"video\",\"tokens\":526},"
        "{\"modality\":\"document\",\"tokens\":258},{\"modality\":\"hologram\",\"tokens\":9},"
        "{\"modality\":\"text\"},{\"modality\":\"text\",\"tokens\":-4},"
        "{\"modality\":\"text\",\"tokens\":\"16\"},{\"modality\":\"text\",\"tokens\":16}],"
        "\"output_tokens_by_modality\":[{\"modality\":\"image\",\"tokens\":1290}]}}";
    struct interaction it;
    struct gb_err err = {0};
    cr_assert_eq(resp_parse_interaction(body, sizeof body - 1, &it, &err), 0, "%s", err.msg);
    cr_expect_eq(it.usage.thought, 10);
    cr_expect_eq(it.usage.total, 2100);
    cr_expect_eq(it.usage.initial_input, 790);
    cr_expect_eq(it.usage.input_by[USAGE_VIDEO], 526);
    cr_expect_eq(it.usage.input_by[USAGE_DOCUMENT], 258);
    /* unknown modality, missing, negative and string counts count nowhere */
    cr_expect_eq(it.usage.input_by[USAGE_TEXT], 16);
    cr_expect_eq(it.usage.output_by[USAGE_IMAGE], 1290);
    cr_expect_str_eq(it.service_tier, "flex");
    interaction_free(&it);
}

Test(response, usage_add_sums_every_field)
{
    struct usage a = {.input = 1, .output = 2, .total = 3, .thought = 4, .cached = 5, .tool = 6};
    a.input_by[USAGE_AUDIO] = 7;
    a.output_by[USAGE_IMAGE] = 8;
    struct usage b = a;
    b.cached_by[USAGE_TEXT] = 9;
    b.tool_by[USAGE_TEXT] = 10;
    b.initial_input = 11;
    usage_add(&a, &b);
    cr_expect_eq(a.input, 2);
    cr_expect_eq(a.output, 4);
    cr_expect_eq(a.total, 6);
    cr_expect_eq(a.thought, 8);
    cr_expect_eq(a.cached, 10);
    cr_expect_eq(a.tool, 12);
    cr_expect_eq(a.initial_input, 11);
    cr_expect_eq(a.input_by[USAGE_AUDIO], 14);
    cr_expect_eq(a.output_by[USAGE_IMAGE], 16);
    cr_expect_eq(a.cached_by[USAGE_TEXT], 9);
    cr_expect_eq(a.tool_by[USAGE_TEXT], 10);
    cr_expect_str_eq(usage_modality_name(USAGE_DOCUMENT), "document");
    cr_expect_eq(usage_modality_of("AUDIO"), USAGE_AUDIO);
    cr_expect_eq(usage_modality_of("speech"), -1);
    cr_expect_eq(usage_modality_of(NULL), -1);
}
