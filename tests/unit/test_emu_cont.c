/* test_emu_cont.c: cutting an answer into continuation hops: the hops join
 * to the whole text, never split a UTF-8 character, bill the input on every
 * hop and the thinking once, follow --hop-tokens, and leave answers alone
 * that cannot be cut (G1, background, agents, tool calls, short texts). */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

#include "emu_int.h"

static struct emu_env env = {42, NULL, NULL, NULL, NULL};

static void run(const char *path, const char *body, struct emu_call *c, struct emu_answer *a)
{
    struct emu_err e;
    memset(&e, 0, sizeof e);
    cr_assert_eq(emu_call_parse(&env, path, NULL, body, strlen(body), c, &e), 0, "%s", e.msg);
    cr_assert_eq(emu_model_run(c, EMU_ANSWER_NORMAL, a, &e), 0, "%s", e.msg);
}

/* the text of a hop: its last item (a thought may come first) */
static const char *text0(const struct emu_answer *a)
{
    size_t n = json_array_size(a->outputs);
    return json_string_value(json_object_get(json_array_get(a->outputs, n - 1), "text"));
}

static long long use(const struct emu_answer *a, const char *k)
{
    return json_integer_value(json_object_get(a->usage, k));
}

/* Walk every hop of state after the first (already in a): the joined text,
 * the number of hops, and each hop's usage checked against the first's. */
static char *join_hops(struct emu_answer *a, json_t *state, int *hops)
{
    size_t cap = 1 << 16, n = 0;
    char *all = calloc(1, cap);
    long long in = use(a, "total_input_tokens");
    *hops = 1;
    for (;;) {
        const char *t = text0(a);
        cr_assert(t && strlen(t) > 0, "every hop carries text");
        cr_assert(((unsigned char)t[0] & 0xc0) != 0x80, "a hop never starts inside a character");
        cr_assert_lt(n + strlen(t), cap);
        memcpy(all + n, t, strlen(t));
        n += strlen(t);
        cr_assert_eq(use(a, "total_input_tokens"), in, "every hop bills the input again");
        cr_assert_eq(use(a, "total_output_tokens"), (long long)emu_text_tokens(strlen(t)));
        cr_assert_eq(use(a, "total_tokens"),
                     in + use(a, "total_output_tokens") + use(a, "total_thought_tokens"));
        if (!state) {
            cr_assert_str_eq(a->status, "completed", "the last hop completes");
            break;
        }
        cr_assert_str_eq(a->status, "requires_continuation");
        json_t *rest = NULL;
        emu_answer_free(a);
        cr_assert_eq(emu_cont_next(state, a, &rest), 0);
        json_decref(state);
        state = rest;
        ++*hops;
        cr_assert_eq(use(a, "total_thought_tokens"), 0, "thinking is billed on the first hop");
    }
    return all;
}

Test(emu_cont, fault_cuts_into_two_or_three_hops_that_join_to_the_whole)
{
    const char *body = "{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a story.\","
                       "\"generation_config\":{\"thinking_level\":\"low\"}}";
    struct emu_call c;
    struct emu_answer a = {0};
    run("/v1/interactions", body, &c, &a);
    char *whole = strdup(text0(&a));
    long long think = use(&a, "total_thought_tokens");
    cr_assert_gt(think, 0);
    json_t *state = NULL;
    cr_assert_eq(emu_cont_split(&c, &a, 0, &state), 0);
    cr_assert_not_null(state);
    cr_assert_eq(use(&a, "total_thought_tokens"), think, "thinking stays on the first hop");
    int hops = 0;
    char *joined = join_hops(&a, state, &hops);
    cr_assert_str_eq(joined, whole);
    cr_assert(hops == 2 || hops == 3, "%d hops", hops);
    free(joined);
    free(whole);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_cont, a_thought_comes_with_the_first_hop_only)
{
    const char *body = "{\"model\":\"gemini-3-pro-preview\",\"input\":\"Tell me a story.\","
                       "\"generation_config\":{\"thinking_summaries\":\"auto\"}}";
    struct emu_call c;
    struct emu_answer a = {0};
    run("/v1/interactions", body, &c, &a);
    cr_assert_eq(json_array_size(a.outputs), 2);
    json_t *thought = json_deep_copy(json_array_get(a.outputs, 0));
    char *whole = strdup(text0(&a));
    json_t *state = NULL;
    cr_assert_eq(emu_cont_split(&c, &a, 0, &state), 0);
    cr_assert_eq(json_array_size(a.outputs), 2, "hop 1: the thought and a part of the text");
    cr_assert(json_equal(json_array_get(a.outputs, 0), thought));
    json_t *rest = NULL;
    struct emu_answer b = {0};
    cr_assert_eq(emu_cont_next(state, &b, &rest), 0);
    cr_assert_eq(json_array_size(b.outputs), 1, "later hops: text only");
    json_decref(rest);
    emu_answer_free(&b);
    int hops = 0;
    char *joined = join_hops(&a, state, &hops);
    cr_assert_str_eq(joined, whole);
    free(joined);
    free(whole);
    json_decref(thought);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_cont, hop_tokens_bounds_every_hop)
{
    /* a JSON answer of multi-byte characters: 3-byte euro signs and a 4-byte
     * emoji, so 20-byte hops must move their cuts off the middle of one */
    const char *body =
        "{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":{\"type\":"
        "\"text\",\"mime_type\":\"application/json\",\"schema\":{\"type\":\"string\","
        "\"enum\":["
        "\"\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xf0\x9f\x99\x82\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac"
        "\xe2\x82\xac"
        "\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x99\x82\"]}}}";
    struct emu_call c;
    struct emu_answer a = {0};
    run("/v1/interactions", body, &c, &a);
    char *whole = strdup(text0(&a));
    cr_assert(strstr(whole, "\xf0\x9f\x99\x82"), "the answer is the enum value: %s", whole);
    json_t *state = NULL;
    cr_assert_eq(emu_cont_split(&c, &a, 5, &state), 0);
    int hops = 0;
    char *joined = join_hops(&a, state, &hops);
    cr_assert_str_eq(joined, whole);
    size_t n = strlen(whole);
    cr_assert_eq((size_t)hops, (n + 19) / 20, "ceil(%zu / 20 bytes) hops, got %d", n, hops);
    free(joined);
    free(whole);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_cont, a_huge_answer_and_a_tiny_limit_make_at_most_32_hops)
{
    struct emu_call c;
    struct emu_answer a = {0};
    run("/v1/interactions", "{\"model\":\"gemini-2.5-flash\",\"input\":\"x\"}", &c, &a);
    json_t *state = NULL;
    cr_assert_eq(emu_cont_split(&c, &a, 1, &state), 0);
    int hops = 0;
    free(join_hops(&a, state, &hops));
    cr_assert_leq(hops, 32);
    cr_assert_geq(hops, 2);
    emu_answer_free(&a);
    emu_call_free(&c);
}

Test(emu_cont, answers_that_are_not_cut)
{
    static const struct {
        const char *path, *body;
        long hop_tokens;
    } cases[] = {
        /* the guide's dialect has no requires_continuation */
        {"/v1beta/interactions", "{\"model\":\"gemini-2.5-flash\",\"input\":\"hi\"}", 0},
        /* background work is continued by the service itself */
        {"/v1/interactions",
         "{\"model\":\"gemini-2.5-flash\",\"input\":\"hi\",\"background\":true}", 0},
        /* a limit above the answer's size */
        {"/v1/interactions", "{\"model\":\"gemini-2.5-flash\",\"input\":\"hi\"}", 100000},
        /* a function call is not text */
        {"/v1/interactions",
         "{\"model\":\"gemini-2.5-flash\",\"input\":\"weather in Paris\",\"tools\":[{\"type\":"
         "\"function\",\"name\":\"get_weather\",\"parameters\":{\"type\":\"object\","
         "\"properties\":{\"city\":{\"type\":\"string\"}}}}]}",
         0},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct emu_call c;
        struct emu_answer a = {0};
        run(cases[i].path, cases[i].body, &c, &a);
        json_t *before = json_deep_copy(a.outputs);
        json_t *state = NULL;
        cr_assert_eq(emu_cont_split(&c, &a, cases[i].hop_tokens, &state), 1, "case %zu", i);
        cr_assert_null(state);
        cr_assert(json_equal(before, a.outputs), "case %zu: the answer is unchanged", i);
        json_decref(before);
        emu_answer_free(&a);
        emu_call_free(&c);
    }
}
