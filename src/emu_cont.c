/* emu_cont.c: the continuation fault. G3 can stop a model call at its
 * per-request output limit with status requires_continuation and a
 * continuation_token; the client asks for the rest with that token (SDK 3.x
 * does it by itself). Here a text answer is cut into hops, 2 or 3 by the
 * continuation fault, or as many as --hop-tokens makes: the first is
 * answered at once, the others wait in a state kept under the token.
 * Every hop bills the input again (the service re-reads the prompt) and
 * its own share of the output. Pure: the store and the ids are the caller's. */
#include "emu_int.h"

#include <stdlib.h>
#include <string.h>

/* One hop's usage: the whole answer's input again, this hop's text out,
 * the thinking on the first hop only. */
static json_t *hop_usage(const json_t *whole, size_t chars, int first)
{
    json_t *u = json_deep_copy(whole);
    if (!u)
        return NULL;
    json_int_t in = json_integer_value(json_object_get(u, "total_input_tokens"));
    json_int_t think = first ? json_integer_value(json_object_get(u, "total_thought_tokens")) : 0;
    json_int_t tool = json_integer_value(json_object_get(u, "total_tool_use_tokens"));
    json_int_t out = (json_int_t)emu_text_tokens(chars);
    json_object_set_new(u, "total_output_tokens", json_integer(out));
    json_object_set_new(u, "total_tokens", json_integer(in + out + think + tool));
    json_object_set_new(u, "total_reasoning_tokens", json_integer(think));
    json_object_set_new(u, "total_thought_tokens", json_integer(think));
    json_object_set_new(u, "output_tokens_by_modality",
                        json_pack("[{s:s, s:I}]", "modality", "text", "tokens", out));
    return u;
}

#define MAX_HOPS 32 /* a tiny --hop-tokens makes bigger hops rather than more */

int emu_cont_split(const struct emu_call *c, struct emu_answer *a, long hop_tokens, json_t **state)
{
    *state = NULL;
    /* the answer's text, after the thoughts that may come first */
    size_t nout = json_array_size(a->outputs);
    const json_t *item = nout ? json_array_get(a->outputs, nout - 1) : NULL;
    const char *t = json_string_value(json_object_get(item, "type"));
    const json_t *txt = json_object_get(item, "text");
    if (c->dialect != EMU_G3 || !c->model || c->background || !t || strcmp(t, "text") ||
        !json_is_string(txt) || strcmp(a->status, "completed"))
        return 1;
    for (size_t i = 0; i + 1 < nout; i++) {
        const char *ti = json_string_value(json_object_get(json_array_get(a->outputs, i), "type"));
        if (!ti || strcmp(ti, "thought"))
            return 1; /* images, audio, tool calls: not cut */
    }
    const char *s = json_string_value(txt);
    size_t n = json_string_length(txt);
    /* the fault: 2 or 3 hops, the same for the same request; a limit: hops
     * of hop_tokens (4 bytes a token, as usage counts them) */
    size_t k = hop_tokens > 0 ? (n + (size_t)hop_tokens * 4 - 1) / ((size_t)hop_tokens * 4)
                              : (size_t)(2 + (c->hash[7] & 1));
    if (k > MAX_HOPS)
        k = MAX_HOPS;
    if (k < 2 || n < k * 4)
        return 1;
    size_t cut[MAX_HOPS + 1];
    cut[0] = 0;
    cut[k] = n;
    for (size_t i = 1; i < k; i++) {
        size_t p = n * i / k;
        while (p < n && ((unsigned char)s[p] & 0xc0) == 0x80) /* never inside a character */
            p++;
        cut[i] = p;
    }
    json_t *hops = json_array();
    json_t *first = NULL;
    for (size_t i = 0; hops && i < k; i++) {
        size_t len = cut[i + 1] - cut[i];
        json_t *h = json_pack("{s:[{s:s, s:s%}], s:o}", "outputs", "type", "text", "text",
                              s + cut[i], len, "usage", hop_usage(a->usage, len, i == 0));
        if (!h)
            goto fail;
        if (i == 0)
            first = h;
        else if (json_array_append_new(hops, h))
            goto fail;
    }
    if (!hops || !first)
        goto fail;
    /* the thoughts come with the first hop */
    json_t *out1 = json_object_get(first, "outputs");
    for (size_t i = nout - 1; i-- > 0;)
        json_array_insert(out1, 0, json_array_get(a->outputs, i));
    json_decref(a->outputs);
    json_decref(a->usage);
    a->outputs = json_incref(out1);
    a->usage = json_incref(json_object_get(first, "usage"));
    a->total_tokens = (uint64_t)json_integer_value(json_object_get(a->usage, "total_tokens"));
    a->status = "requires_continuation";
    json_decref(first);
    *state = json_pack("{s:o}", "hops", hops);
    return *state ? 0 : -1;
fail:
    json_decref(first);
    json_decref(hops);
    return -1;
}

int emu_cont_next(const json_t *state, struct emu_answer *a, json_t **rest)
{
    *rest = NULL;
    memset(a, 0, sizeof *a);
    const json_t *hops = json_object_get(state, "hops");
    const json_t *h = json_array_get(hops, 0);
    if (!h)
        return -1;
    a->outputs = json_incref(json_object_get(h, "outputs"));
    a->usage = json_incref(json_object_get(h, "usage"));
    a->total_tokens = (uint64_t)json_integer_value(json_object_get(a->usage, "total_tokens"));
    a->status = "completed";
    if (json_array_size(hops) > 1) {
        json_t *more = json_array();
        for (size_t i = 1; more && i < json_array_size(hops); i++)
            json_array_append(more, json_array_get(hops, i));
        if (!more || !(*rest = json_pack("{s:o}", "hops", more))) {
            emu_answer_free(a);
            return -1;
        }
        a->status = "requires_continuation";
    }
    return a->outputs && a->usage ? 0 : -1;
}
