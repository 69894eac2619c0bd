/* test_sse.c: SSE framing (every line ending, split at every byte) and the
 * reassembly of both event families into one Interaction. */
#include <criterion/criterion.h>
#include <string.h>

#include "jsonx.h"
#include "response.h"
#include "sse.h"

struct seen {
    char events[16][256];
    int n;
};

static int on_ev(void *ctx, const char *ev, const char *data, size_t len)
{
    struct seen *s = ctx;
    snprintf(s->events[s->n++], 256, "%s|%.*s", ev, (int)len, data);
    return 0;
}

static void parse_split(const char *text, size_t step, struct seen *s)
{
    struct sse p;
    memset(s, 0, sizeof *s);
    sse_init(&p, 1 << 20, on_ev, s);
    for (size_t i = 0; i < strlen(text); i += step) {
        size_t n = strlen(text) - i < step ? strlen(text) - i : step;
        cr_assert_eq(sse_feed(&p, text + i, n), 0);
    }
    sse_finish(&p);
    sse_free(&p);
}

Test(sse, framing_all_line_endings_and_splits)
{
    const char *forms[] = {
        ": comment\ndata: a\ndata: b\n\nevent: x\ndata:c\n\ndata: last",
        ": comment\r\ndata: a\r\ndata: b\r\n\r\nevent: x\r\ndata:c\r\n\r\ndata: last",
        ": comment\rdata: a\rdata: b\r\revent: x\rdata:c\r\rdata: last",
    };
    for (int f = 0; f < 3; f++)
        for (size_t step = 1; step < 8; step++) {
            struct seen s;
            parse_split(forms[f], step, &s);
            cr_assert_eq(s.n, 3, "form %d step %zu", f, step);
            cr_expect_str_eq(s.events[0], "message|a\nb");
            cr_expect_str_eq(s.events[1], "x|c");
            cr_expect_str_eq(s.events[2], "message|last");
        }
}

static json_t *assemble(const char *const *events, int n)
{
    struct sse_asm a;
    sse_asm_init(&a);
    for (int i = 0; i < n; i++)
        cr_assert_eq(sse_asm_event(&a, events[i], strlen(events[i])), 0, "%s", events[i]);
    json_t *r = sse_asm_result(&a);
    sse_asm_free(&a);
    return r;
}

Test(sse, g1_text_stream)
{
    const char *ev[] = {
        "{\"event_type\":\"interaction.start\",\"event_id\":\"1\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"content.start\",\"event_id\":\"2\",\"index\":0,\"content\":{\"type\":\"text\"}}",
        "{\"event_type\":\"content.delta\",\"event_id\":\"3\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"Hel\"}}",
        "{\"event_type\":\"content.delta\",\"event_id\":\"4\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"lo\"}}",
        "{\"event_type\":\"content.stop\",\"event_id\":\"5\",\"index\":0}",
        "{\"event_type\":\"interaction.complete\",\"event_id\":\"6\",\"interaction\":{\"id\":\"I\",\"status\":\"completed\",\"usage\":{\"total_tokens\":5}}}",
    };
    json_t *r = assemble(ev, 6);
    cr_assert_not_null(r);
    struct interaction it;
    cr_assert_eq(resp_from_json(r, &it, NULL), 0);
    char *t = resp_text(it.outputs);
    cr_expect_str_eq(t, "Hello");
    cr_expect_eq(it.usage.total, 5);
    free(t);
    interaction_free(&it);
    json_decref(r);
}

Test(sse, g3_steps_with_function_arguments)
{
    const char *ev[] = {
        "{\"event_type\":\"interaction.created\",\"event_id\":\"1\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"step.start\",\"event_id\":\"2\",\"index\":0,\"step\":{\"type\":\"model_output\"}}",
        "{\"event_type\":\"step.delta\",\"event_id\":\"3\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"a\"}}",
        "{\"event_type\":\"step.delta\",\"event_id\":\"4\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"b\"}}",
        "{\"event_type\":\"step.stop\",\"event_id\":\"5\",\"index\":0}",
        "{\"event_type\":\"step.start\",\"event_id\":\"6\",\"index\":1,\"step\":{\"type\":\"function_call\",\"id\":\"c1\",\"name\":\"f\"}}",
        "{\"event_type\":\"step.delta\",\"event_id\":\"7\",\"index\":1,\"delta\":{\"type\":\"arguments_delta\",\"arguments\":\"{\\\"x\\\":\"}}",
        "{\"event_type\":\"step.delta\",\"event_id\":\"8\",\"index\":1,\"delta\":{\"type\":\"arguments_delta\",\"arguments\":\"1}\"}}",
        "{\"event_type\":\"step.stop\",\"event_id\":\"9\",\"index\":1}",
        "{\"event_type\":\"interaction.completed\",\"event_id\":\"10\",\"interaction\":{\"id\":\"I\",\"status\":\"requires_action\"}}",
    };
    json_t *r = assemble(ev, 10);
    cr_assert_not_null(r);
    struct interaction it;
    cr_assert_eq(resp_from_json(r, &it, NULL), 0);
    char *t = resp_text(it.outputs);
    cr_expect_str_eq(t, "ab");
    free(t);
    json_t *fc = json_array_get(it.outputs, 1);
    cr_expect_str_eq(jx_str(fc, "type"), "function_call");
    long long x = 0;
    cr_expect_eq(jx_int(jx_obj(fc, "arguments"), "x", &x), 0);
    cr_expect_eq(x, 1);
    interaction_free(&it);
    json_decref(r);
}

Test(sse, unfinished_stream_has_no_result)
{
    const char *ev[] = {
        "{\"event_type\":\"interaction.start\",\"event_id\":\"1\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"content.delta\",\"event_id\":\"3\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"Hel\"}}",
    };
    cr_expect_null(assemble(ev, 2));
}

/* bad-inputs response-flood-sse: text deltas were appended by copying the
 * whole text each time (quadratic: 6 MB took 20 s of CPU). 200,000 one-byte
 * deltas must assemble in order within the timeout (0.5 s here, 2.5 s with ASan). */
Test(sse, many_small_deltas_assemble_in_linear_time, .timeout = 10)
{
    struct sse_asm a;
    sse_asm_init(&a);
    const char *start = "{\"event_type\":\"interaction.start\",\"interaction\":{\"id\":\"I\","
                        "\"status\":\"in_progress\"}}";
    cr_assert_eq(sse_asm_event(&a, start, strlen(start)), 0);
    char ev[160];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(ev, sizeof ev, "{\"event_type\":\"content.delta\",\"index\":0,"
                                        "\"delta\":{\"type\":\"text\",\"text\":\"%c\"}}",
                         'a' + i % 26);
        cr_assert_eq(sse_asm_event(&a, ev, (size_t)n), 0);
    }
    const char *end = "{\"event_type\":\"interaction.complete\",\"interaction\":{\"id\":\"I\","
                      "\"status\":\"completed\"}}";
    cr_assert_eq(sse_asm_event(&a, end, strlen(end)), 0);
    json_t *r = sse_asm_result(&a);
    cr_assert_not_null(r);
    const char *t = jx_str(json_array_get(json_object_get(r, "outputs"), 0), "text");
    cr_assert_not_null(t);
    cr_expect_eq(strlen(t), 200000);
    cr_expect(!strncmp(t, "abcdefghijklmnopqrstuvwxyzab", 28));
    json_decref(r);
    sse_asm_free(&a);
}

/* Gathered text keeps its place among other items and across a restart of
 * the same index. */
Test(sse, buffered_text_keeps_item_order)
{
    const char *ev[] = {
        "{\"event_type\":\"interaction.created\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"step.start\",\"index\":0,\"step\":{\"type\":\"model_output\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"a\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"b\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"image\",\"mime_type\":\"image/png\",\"data\":\"AAAA\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"c\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"d\"}}",
        "{\"event_type\":\"step.stop\",\"index\":0}",
        "{\"event_type\":\"interaction.completed\",\"interaction\":{\"id\":\"I\",\"status\":\"completed\"}}",
    };
    json_t *r = assemble(ev, 9);
    cr_assert_not_null(r);
    json_t *c = json_object_get(json_array_get(json_object_get(r, "steps"), 0), "content");
    cr_assert_eq(json_array_size(c), 3);
    cr_expect_str_eq(jx_str(json_array_get(c, 0), "text"), "ab");
    cr_expect_str_eq(jx_str(json_array_get(c, 1), "type"), "image");
    cr_expect_str_eq(jx_str(json_array_get(c, 2), "text"), "cd");
    json_decref(r);
    const char *g1[] = {
        "{\"event_type\":\"interaction.start\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"content.start\",\"index\":0,\"content\":{\"type\":\"text\",\"text\":\"x\"}}",
        "{\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"y\"}}",
        "{\"event_type\":\"content.start\",\"index\":0,\"content\":{\"type\":\"text\"}}",
        "{\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":\"text\",\"text\":\"z\"}}",
        "{\"event_type\":\"interaction.complete\",\"interaction\":{\"id\":\"I\",\"status\":\"completed\"}}",
    };
    r = assemble(g1, 6);
    cr_assert_not_null(r);
    cr_expect_str_eq(jx_str(json_array_get(json_object_get(r, "outputs"), 0), "text"), "xyz");
    json_decref(r);
}

/* Thoughts in both families: summary pieces joined, the signature kept, the
 * thought item before the answer and not part of its text. */
static void check_thought(json_t *r, const char *key)
{
    json_t *items = json_object_get(r, key);
    json_t *th = json_array_get(items, 0);
    cr_assert_str_eq(jx_str(th, "type"), "thought");
    cr_expect_str_eq(jx_str(th, "signature"), "c2ln");
    json_t *sum = json_object_get(th, "summary");
    cr_assert_eq(json_array_size(sum), 1, "text pieces join into one part");
    cr_expect_str_eq(jx_str(json_array_get(sum, 0), "text"), "Thinking hard");
    struct interaction it;
    cr_assert_eq(resp_from_json(r, &it, NULL), 0);
    char *t = resp_text(it.outputs);
    cr_expect_str_eq(t, "ok", "the thought is not in the answer's text");
    free(t);
    interaction_free(&it);
}

Test(sse, thoughts_keep_summary_and_signature)
{
    const char *g1[] = {
        "{\"event_type\":\"interaction.start\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"content.start\",\"index\":0,\"content\":{\"type\":\"thought\"}}",
        "{\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":\"thought_summary\",\"content\":{\"type\":\"text\",\"text\":\"Thinking\"}}}",
        "{\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":\"thought_summary\",\"content\":{\"type\":\"text\",\"text\":\" hard\"}}}",
        "{\"event_type\":\"content.delta\",\"index\":0,\"delta\":{\"type\":\"thought_signature\",\"signature\":\"c2ln\"}}",
        "{\"event_type\":\"content.stop\",\"index\":0}",
        "{\"event_type\":\"content.start\",\"index\":1,\"content\":{\"type\":\"text\"}}",
        "{\"event_type\":\"content.delta\",\"index\":1,\"delta\":{\"type\":\"text\",\"text\":\"ok\"}}",
        "{\"event_type\":\"interaction.complete\",\"interaction\":{\"id\":\"I\",\"status\":\"completed\"}}",
    };
    json_t *r = assemble(g1, 9);
    cr_assert_not_null(r);
    check_thought(r, "outputs");
    json_decref(r);
    const char *g3[] = {
        "{\"event_type\":\"interaction.created\",\"interaction\":{\"id\":\"I\",\"status\":\"in_progress\"}}",
        "{\"event_type\":\"step.start\",\"index\":0,\"step\":{\"type\":\"thought\"}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"thought_summary\",\"content\":{\"type\":\"text\",\"text\":\"Thinking\"}}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"thought_summary\",\"content\":{\"type\":\"text\",\"text\":\" hard\"}}}",
        "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":\"thought_signature\",\"signature\":\"c2ln\"}}",
        "{\"event_type\":\"step.stop\",\"index\":0}",
        "{\"event_type\":\"step.start\",\"index\":1,\"step\":{\"type\":\"model_output\"}}",
        "{\"event_type\":\"step.delta\",\"index\":1,\"delta\":{\"type\":\"text\",\"text\":\"ok\"}}",
        "{\"event_type\":\"interaction.completed\",\"interaction\":{\"id\":\"I\",\"status\":\"completed\"}}",
    };
    r = assemble(g3, 9);
    cr_assert_not_null(r);
    check_thought(r, "steps");
    json_decref(r);
}

/* A flood of one-byte summary pieces joins in linear time, like text. */
Test(sse, many_thought_pieces_assemble_in_linear_time, .timeout = 10)
{
    struct sse_asm a;
    sse_asm_init(&a);
    const char *start = "{\"event_type\":\"interaction.created\",\"interaction\":{\"id\":\"I\","
                        "\"status\":\"in_progress\"}}";
    cr_assert_eq(sse_asm_event(&a, start, strlen(start)), 0);
    const char *st = "{\"event_type\":\"step.start\",\"index\":0,\"step\":{\"type\":\"thought\"}}";
    cr_assert_eq(sse_asm_event(&a, st, strlen(st)), 0);
    char ev[200];
    for (int i = 0; i < 200000; i++) {
        int n = snprintf(ev, sizeof ev,
                         "{\"event_type\":\"step.delta\",\"index\":0,\"delta\":{\"type\":"
                         "\"thought_summary\",\"content\":{\"type\":\"text\",\"text\":\"%c\"}}}",
                         'a' + i % 26);
        cr_assert_eq(sse_asm_event(&a, ev, (size_t)n), 0);
    }
    const char *end = "{\"event_type\":\"interaction.completed\",\"interaction\":{\"id\":\"I\","
                      "\"status\":\"completed\"}}";
    cr_assert_eq(sse_asm_event(&a, end, strlen(end)), 0);
    json_t *r = sse_asm_result(&a);
    cr_assert_not_null(r);
    json_t *sum = json_object_get(json_array_get(json_object_get(r, "steps"), 0), "summary");
    cr_assert_eq(json_array_size(sum), 1);
    cr_expect_eq(strlen(jx_str(json_array_get(sum, 0), "text")), 200000);
    json_decref(r);
    sse_asm_free(&a);
}
