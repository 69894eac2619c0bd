/* test_emu_model.c: the synthetic model: same request, same answer; the
 * greppable answer format; usage at the published rates (text, image, WAV
 * audio, video, PDF pages); function calls whose arguments validate; results
 * answered; structured output and its violation; PNG output; G3 steps; the
 * media scanner's PDF page counter across chunk boundaries. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "emu_int.h"
#include "schema.h"

static struct emu_env env = {42, NULL, NULL, NULL, NULL};

static void parse(const char *body, struct emu_call *c)
{
    struct emu_err e;
    memset(&e, 0, sizeof e);
    int rc = emu_call_parse(&env, "/v1beta/interactions", NULL, body, strlen(body), c, &e);
    cr_assert_eq(rc, 0, "%s: %s", body, e.msg);
}

static void run(const char *body, int mode, struct emu_call *c, struct emu_answer *a)
{
    struct emu_err e;
    parse(body, c);
    memset(&e, 0, sizeof e);
    cr_assert_eq(emu_model_run(c, mode, a, &e), 0, "%s", e.msg);
}

static const char *text_of(const struct emu_answer *a)
{
    size_t i;
    const json_t *o;
    json_array_foreach(a->outputs, i, o) if (!strcmp(json_string_value(json_object_get(o, "type")),
                                                     "text")) return json_string_value(
        json_object_get(o, "text"));
    return NULL;
}

static long long usage(const struct emu_answer *a, const char *key)
{
    return json_integer_value(json_object_get(a->usage, key));
}

static long long in_modality(const struct emu_answer *a, const char *m)
{
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(a->usage, "input_tokens_by_modality"), i, o) if (
        !strcmp(json_string_value(json_object_get(o, "modality")), m)) return json_integer_value(
        json_object_get(o, "tokens"));
    return 0;
}

/* base64 of n bytes built by fill(), as a JSON-ready string */
static char *b64_of(const uint8_t *p, size_t n)
{
    char *s = malloc(b64_enc_len(n) + 1);
    s[b64_encode(p, n, s)] = '\0';
    return s;
}

Test(emu_model, deterministic_answers)
{
    const char *body = "{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a joke\"}";
    struct emu_call c1, c2;
    struct emu_answer a1, a2;
    run(body, 0, &c1, &a1);
    run("{\"stream\":true,\"input\":\"Tell me a joke\",\"model\":\"gemini-2.5-flash\"}", 0, &c2, &a2);
    cr_expect(json_equal(a1.outputs, a2.outputs), "streamed or not, same outputs");
    cr_expect(json_equal(a1.usage, a2.usage));
    emu_answer_free(&a2);
    emu_call_free(&c2);
    env.seed = 43;
    run(body, 0, &c2, &a2);
    env.seed = 42;
    cr_expect_str_neq(text_of(&a1), text_of(&a2), "another seed, another filler");
    emu_answer_free(&a1);
    emu_answer_free(&a2);
    emu_call_free(&c1);
    emu_call_free(&c2);
}

Test(emu_model, answer_format)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":\"Describe\"},"
        "{\"type\":\"image\",\"data\":\"aGVsbG8=\",\"mime_type\":\"image/png\"},"
        "{\"type\":\"video\",\"uri\":\"https://example.com/v.mp4\"}]}",
        0, &c, &a);
    const char *t = text_of(&a);
    cr_assert_not_null(t);
    const char *want =
        "Emulated answer from gemini-2.5-flash.\nturns: 1\n"
        "part 1: image image/png 5 bytes "
        "sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824\n"
        "part 2: video video/mp4 remote https://example.com/v.mp4\n";
    cr_expect(!strncmp(t, want, strlen(want)), "got:\n%s", t);
    cr_expect_gt(strlen(t), strlen(want) + 20, "filler follows");
    cr_expect_str_eq(a.status, "completed");
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, usage_text_and_image_rates)
{
    struct emu_call c;
    struct emu_answer a;
    /* 40 characters of text (10 tokens) and one image (258) */
    run("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":"
        "\"0123456789012345678901234567890123456789\"},"
        "{\"type\":\"image\",\"data\":\"aGVsbG8=\",\"mime_type\":\"image/png\"}]}",
        0, &c, &a);
    cr_expect_eq(in_modality(&a, "text"), 10);
    cr_expect_eq(in_modality(&a, "image"), 258);
    cr_expect_eq(usage(&a, "total_input_tokens"), 268);
    cr_expect_eq(usage(&a, "total_output_tokens"), (long long)((strlen(text_of(&a)) + 3) / 4));
    cr_expect_eq(usage(&a, "total_tokens"),
                 usage(&a, "total_input_tokens") + usage(&a, "total_output_tokens"));
    cr_expect_eq(usage(&a, "total_reasoning_tokens"), usage(&a, "total_thought_tokens"));
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, usage_wav_seconds_video_estimate_pdf_pages)
{
    /* a 2 s WAV: 16 kHz mono 16-bit, 64000 data bytes -> 64 tokens */
    size_t n = 44 + 64000;
    uint8_t *wav = calloc(1, n);
    memcpy(wav, "RIFF", 4);
    memcpy(wav + 8, "WAVEfmt ", 8);
    wav[16] = 16;
    wav[20] = 1;
    wav[22] = 1;
    wav[24] = 0x80; wav[25] = 0x3e;           /* 16000 Hz */
    wav[28] = 0x00; wav[29] = 0x7d;           /* 32000 bytes/s */
    wav[32] = 2;
    wav[34] = 16;
    memcpy(wav + 36, "data", 4);
    wav[40] = 0x00; wav[41] = 0xfa;           /* 64000 */
    char *wb = b64_of(wav, n);
    /* a PDF with 3 pages and a /Pages tree node */
    const char *pdf = "%PDF-1.4\n1 0 obj <</Type /Pages /Count 3>> endobj\n"
                      "2 0 obj <</Type /Page>> endobj 3 0 obj <</Type/Page /Parent 1 0 R>> endobj\n"
                      "4 0 obj <</Type\n/Page>> endobj\n%%EOF\n";
    char *pb = b64_of((const uint8_t *)pdf, strlen(pdf));
    /* 500000 bytes of video: 2 s at the 2 Mbit/s estimate -> 526 tokens */
    uint8_t *vid = calloc(1, 500000);
    char *vb = b64_of(vid, 500000);
    size_t blen = strlen(wb) + strlen(pb) + strlen(vb) + 512;
    char *body = malloc(blen);
    snprintf(body, blen,
             "{\"model\":\"gemini-2.5-flash\",\"input\":["
             "{\"type\":\"audio\",\"data\":\"%s\",\"mime_type\":\"audio/wav\"},"
             "{\"type\":\"document\",\"data\":\"%s\",\"mime_type\":\"application/pdf\"},"
             "{\"type\":\"video\",\"data\":\"%s\",\"mime_type\":\"video/mp4\"}]}",
             wb, pb, vb);
    struct emu_call c;
    struct emu_answer a;
    run(body, 0, &c, &a);
    cr_assert_eq(c.nparts, 3);
    cr_expect_float_eq(c.parts[0].f.seconds, 2.0, 1e-9);
    cr_expect_eq(c.parts[1].f.pages, 3);
    cr_expect_eq(in_modality(&a, "audio"), 64);
    cr_expect_eq(in_modality(&a, "document"), 3 * 258);
    cr_expect_eq(in_modality(&a, "video"), 2 * 263);
    emu_answer_free(&a);
    emu_call_free(&c);
    free(body);
    free(wb);
    free(pb);
    free(vb);
    free(wav);
    free(vid);
}

Test(emu_model, pdf_pages_counted_across_chunks)
{
    const char *pdf = "%PDF-1.7 /Type /Page x /Type /Pages /Type   /Page\n/Type/Page";
    for (size_t split = 1; split < strlen(pdf); split++) {
        struct emu_scan s;
        struct emu_facts f;
        cr_assert_eq(emu_scan_init(&s), 0);
        emu_scan_update(&s, pdf, split);
        emu_scan_update(&s, pdf + split, strlen(pdf) - split);
        cr_assert_eq(emu_scan_final(&s, &f), 0);
        cr_assert_eq(f.pages, 3, "split at %zu", split);
        cr_assert_eq(f.bytes, strlen(pdf));
    }
}

Test(emu_model, function_call_then_result)
{
    const char *tools =
        "\"tools\":[{\"type\":\"function\",\"name\":\"get_weather\",\"description\":\"d\","
        "\"parameters\":{\"type\":\"object\",\"properties\":{\"location\":{\"type\":\"string\"}},"
        "\"required\":[\"location\"]}}]";
    char body[1024];
    snprintf(body, sizeof body,
             "{\"model\":\"gemini-2.5-flash\",\"input\":\"What is the weather in Paris?\",%s}", tools);
    struct emu_call c;
    struct emu_answer a;
    run(body, 0, &c, &a);
    cr_expect_str_eq(a.status, "requires_action");
    const json_t *fc = json_array_get(a.outputs, json_array_size(a.outputs) - 1);
    cr_assert_str_eq(json_string_value(json_object_get(fc, "type")), "function_call");
    cr_expect_str_eq(json_string_value(json_object_get(fc, "name")), "get_weather");
    cr_expect_not_null(json_string_value(json_object_get(fc, "id")));
    /* the arguments validate against the tool's parameters */
    json_t *params = json_loads("{\"type\":\"object\",\"properties\":{\"location\":{\"type\":"
                                "\"string\"}},\"required\":[\"location\"]}", 0, NULL);
    struct schema *s;
    struct gb_err ge;
    cr_assert_eq(schema_compile(params, "t", &s, &ge), 0);
    cr_expect_eq(schema_validate(s, json_object_get(fc, "arguments"), NULL, 0), 1);
    schema_free(s);
    json_decref(params);
    emu_answer_free(&a);
    emu_call_free(&c);
    /* stateless follow-up: history with the call, then the result */
    run("{\"model\":\"gemini-2.5-flash\",\"input\":["
        "{\"role\":\"user\",\"content\":\"What is the weather in Paris?\"},"
        "{\"role\":\"model\",\"content\":[{\"type\":\"function_call\",\"id\":\"fc\",\"name\":"
        "\"get_weather\",\"arguments\":{\"location\":\"Paris\"}}]},"
        "{\"role\":\"user\",\"content\":[{\"type\":\"function_result\",\"name\":\"get_weather\","
        "\"call_id\":\"fc\",\"result\":\"The weather in Paris is sunny.\"}]}]}",
        0, &c, &a);
    cr_expect_str_eq(a.status, "completed");
    cr_expect_not_null(strstr(text_of(&a), "turns: 3\n"));
    cr_expect_not_null(strstr(text_of(&a), "function_result get_weather: The weather in Paris is sunny."));
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, builtin_tools_then_text_last)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"model\":\"gemini-2.5-flash\",\"input\":\"Summarize https://www.wikipedia.org/ please\","
        "\"tools\":[{\"type\":\"url_context\"},{\"type\":\"code_execution\"},{\"type\":\"google_search\"},"
        "{\"type\":\"mcp_server\",\"name\":\"weather_service\",\"url\":\"https://x/mcp\"}]}",
        0, &c, &a);
    static const char *const want[] = {"url_context_call", "url_context_result",
                                       "code_execution_call", "code_execution_result",
                                       "google_search_call", "google_search_result",
                                       "mcp_server_tool_call", "mcp_server_tool_result", "text"};
    cr_assert_eq(json_array_size(a.outputs), 9);
    for (size_t i = 0; i < 9; i++)
        cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a.outputs, i), "type")),
                         want[i]);
    const json_t *uc = json_array_get(a.outputs, 0);
    cr_expect_str_eq(json_string_value(json_array_get(
                         json_object_get(json_object_get(uc, "arguments"), "urls"), 0)),
                     "https://www.wikipedia.org/");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a.outputs, 1), "call_id")),
                     json_string_value(json_object_get(uc, "id")));
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a.outputs, 6), "server_name")),
                     "weather_service");
    cr_expect_gt(usage(&a, "total_tool_use_tokens"), 0);
    /* G3 steps: each tool item a step, the text one model_output */
    json_t *steps = emu_steps_from_outputs(a.outputs);
    cr_assert_eq(json_array_size(steps), 9);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(steps, 8), "type")),
                     "model_output");
    json_decref(steps);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, structured_output_and_violation)
{
    const char *body = "{\"model\":\"gemini-2.5-flash\",\"input\":\"Moderate\",\"response_format\":{"
                       "\"type\":\"object\",\"properties\":{\"decision\":{\"type\":\"string\","
                       "\"enum\":[\"spam\",\"ok\"]},\"score\":{\"type\":\"integer\",\"minimum\":1,"
                       "\"maximum\":5}},\"required\":[\"decision\",\"score\"],"
                       "\"additionalProperties\":false}}";
    struct emu_call c;
    struct emu_answer a;
    run(body, EMU_ANSWER_NORMAL, &c, &a);
    json_t *inst = json_loads(text_of(&a), JSON_DECODE_ANY, NULL);
    cr_assert_not_null(inst, "the text is JSON and nothing else: %s", text_of(&a));
    cr_expect_eq(schema_validate(emu_schema_of(c.schema), inst, NULL, 0), 1);
    json_decref(inst);
    emu_answer_free(&a);
    cr_assert_eq(emu_model_run(&c, EMU_ANSWER_SCHEMA_VIOLATION, &a, &(struct emu_err){0}), 0);
    inst = json_loads(text_of(&a), JSON_DECODE_ANY, NULL);
    cr_expect(!inst || schema_validate(emu_schema_of(c.schema), inst, NULL, 0) == 0,
              "the fault breaks the schema: %s", text_of(&a));
    json_decref(inst);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, image_generation_png)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"model\":\"gemini-3-pro-image-preview\",\"input\":\"A futuristic city\","
        "\"response_modalities\":[\"IMAGE\"]}",
        0, &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 2);
    const json_t *img = json_array_get(a.outputs, 1);
    cr_assert_str_eq(json_string_value(json_object_get(img, "type")), "image");
    cr_expect_str_eq(json_string_value(json_object_get(img, "mime_type")), "image/png");
    const char *d = json_string_value(json_object_get(img, "data"));
    uint8_t *raw = malloc(b64_dec_max(strlen(d)));
    long long n = b64_decode(d, strlen(d), raw);
    cr_assert_gt(n, 33);
    cr_expect(!memcmp(raw, "\x89PNG\r\n\x1a\n", 8));
    cr_expect(!memcmp(raw + 12, "IHDR", 4));
    cr_expect_eq(raw[19], 64, "width 64");
    cr_expect_eq(raw[23], 64, "height 64");
    free(raw);
    cr_expect_eq(usage(&a, "total_output_tokens"),
                 1290 + (long long)((strlen(text_of(&a)) + 3) / 4));
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, max_output_tokens_is_a_hard_bound)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a story\","
        "\"generation_config\":{\"max_output_tokens\":8}}",
        0, &c, &a);
    cr_expect_leq(strlen(text_of(&a)), 32);
    cr_expect_leq(usage(&a, "total_output_tokens"), 8);
    emu_answer_free(&a);
    emu_call_free(&c);
}

/* Thinking and the answer share max_output_tokens (the service bills both
 * as output and stops at the cap): a client's budget can count on it. */
Test(emu_model, thinking_fits_in_max_output_tokens_with_the_answer)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a story\","
        "\"generation_config\":{\"max_output_tokens\":60,\"thinking_level\":\"high\"}}",
        0, &c, &a);
    long long out = usage(&a, "total_output_tokens"), think = usage(&a, "total_thought_tokens");
    cr_expect_gt(out, 0);
    cr_expect_gt(think, 0, "some thinking still fits");
    cr_expect_leq(out + think, 60, "%lld + %lld", out, think);
    emu_answer_free(&a);
    emu_call_free(&c);
    run("{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a story\","
        "\"generation_config\":{\"thinking_level\":\"high\"}}",
        0, &c, &a);
    cr_expect_eq(usage(&a, "total_thought_tokens"), 256, "no cap: the level's own figure");
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, agent_report)
{
    struct emu_call c;
    struct emu_answer a;
    run("{\"agent\":\"deep-research-pro-preview-12-2025\",\"input\":\"TPUs\",\"background\":true}", 0,
        &c, &a);
    cr_expect(!strncmp(text_of(&a), "Emulated answer from deep-research-pro-preview-12-2025.\n", 56));
    emu_answer_free(&a);
    emu_call_free(&c);
}

/* ---- tool search (SDK 3.6.1) ------------------------------------------------------ */

static void run_g3(const char *body, struct emu_call *c, struct emu_answer *a)
{
    struct emu_err e;
    memset(&e, 0, sizeof e);
    int rc = emu_call_parse(&env, "/v1/interactions", NULL, body, strlen(body), c, &e);
    cr_assert_eq(rc, 0, "%s: %s", body, e.msg);
    cr_assert_eq(emu_model_run(c, EMU_ANSWER_NORMAL, a, &e), 0, "%s", e.msg);
}

static const char *type_at(const struct emu_answer *a, size_t i)
{
    return json_string_value(json_object_get(json_array_get(a->outputs, i), "type"));
}

#define DEFERRED_TOOLS                                                                        \
    "{\"type\":\"function\",\"name\":\"get_weather\",\"defer_loading\":true,"                \
    "\"short_description\":\"weather by city\",\"parameters\":{\"type\":\"object\","         \
    "\"properties\":{\"city\":{\"type\":\"string\"}},\"required\":[\"city\"]}},"               \
    "{\"type\":\"function\",\"name\":\"get_time\",\"defer_loading\":true}"

Test(emu_model, tool_search_on_the_server_loads_then_calls)
{
    struct emu_call c;
    struct emu_answer a;
    run_g3("{\"model\":\"gemini-2.5-flash\",\"input\":\"Weather in Oslo?\",\"tools\":["
           "{\"type\":\"tool_search\"}," DEFERRED_TOOLS "]}",
           &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 3, "%s", json_dumps(a.outputs, 0));
    cr_expect_str_eq(type_at(&a, 0), "tool_search_call");
    cr_expect_str_eq(type_at(&a, 1), "tool_search_result");
    cr_expect_str_eq(type_at(&a, 2), "function_call");
    const json_t *call = json_array_get(a.outputs, 0), *res = json_array_get(a.outputs, 1);
    const json_t *names = json_object_get(json_object_get(call, "arguments"), "function_names");
    cr_assert_eq(json_array_size(names), 2);
    cr_expect_str_eq(json_string_value(json_array_get(names, 0)), "get_weather");
    cr_expect_str_eq(json_string_value(json_object_get(res, "call_id")),
                     json_string_value(json_object_get(call, "id")));
    /* the result hands back the whole definitions it loaded */
    const json_t *def = json_array_get(json_object_get(res, "result"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(def, "short_description")), "weather by city");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a.outputs, 2), "name")),
                     "get_weather");
    cr_expect_str_eq(a.status, "requires_action");
    /* G3 steps: one step each */
    json_t *steps = emu_steps_from_outputs(a.outputs);
    cr_expect_eq(json_array_size(steps), 3);
    json_decref(steps);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, tool_search_on_the_client_waits_then_calls_what_it_loaded)
{
    struct emu_call c;
    struct emu_answer a;
    run_g3("{\"model\":\"gemini-2.5-flash\",\"input\":\"What time is it?\",\"tools\":["
           "{\"type\":\"tool_search\",\"execution\":\"client\",\"name\":\"find_tools\"},"
           DEFERRED_TOOLS "]}",
           &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 1);
    cr_expect_str_eq(type_at(&a, 0), "tool_search_call");
    cr_expect_str_eq(a.status, "requires_action", "the client runs the search");
    emu_answer_free(&a);
    emu_call_free(&c);
    /* the client loaded get_time only: the model calls it, no new search */
    run_g3("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"user_input\",\"content\":"
           "\"What time is it?\"},{\"type\":\"tool_search_call\",\"id\":\"ts\",\"arguments\":"
           "{\"function_names\":[\"get_time\"]}},{\"type\":\"tool_search_result\",\"call_id\":"
           "\"ts\",\"result\":[{\"type\":\"function\",\"name\":\"get_time\"}]}],\"tools\":["
           "{\"type\":\"tool_search\",\"execution\":\"client\"}," DEFERRED_TOOLS "]}",
           &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 1, "%s", json_dumps(a.outputs, 0));
    cr_expect_str_eq(type_at(&a, 0), "function_call");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a.outputs, 0), "name")),
                     "get_time");
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_model, defer_loading_without_tool_search_and_answers_after_results)
{
    struct emu_call c;
    struct emu_answer a;
    /* no tool_search tool: nothing to wait for, the function is called */
    run_g3("{\"model\":\"gemini-2.5-flash\",\"input\":\"Weather?\",\"tools\":[" DEFERRED_TOOLS "]}",
           &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 1);
    cr_expect_str_eq(type_at(&a, 0), "function_call");
    emu_answer_free(&a);
    emu_call_free(&c);
    /* results in: the model answers, it searches no more */
    run_g3("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"user_input\",\"content\":\"W?\"},"
           "{\"type\":\"function_call\",\"id\":\"fc\",\"name\":\"get_weather\",\"arguments\":{}},"
           "{\"type\":\"function_result\",\"call_id\":\"fc\",\"name\":\"get_weather\",\"result\":"
           "\"sunny\"}],\"tools\":[{\"type\":\"tool_search\"}," DEFERRED_TOOLS "]}",
           &c, &a);
    cr_expect_str_eq(a.status, "completed");
    cr_expect_str_eq(type_at(&a, json_array_size(a.outputs) - 1), "text");
    cr_expect_eq(json_array_size(a.outputs), 1);
    emu_answer_free(&a);
    emu_call_free(&c);
}
