/* fuzz_sse.c: an SSE byte stream fed to sse_feed whole and again in pieces of
 * a fuzzed size, each event handed to the Interaction assembler, then the
 * assembled Interaction read back with resp_from_json. Properties: how the
 * stream is split never changes the events seen or the result. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "hash64.h"
#include "response.h"
#include "sse.h"

struct seen {
    uint64_t h;          /* hash over every (event, data) in order */
    size_t n;
    struct sse_asm a;
};

static int on_event(void *ctx, const char *event, const char *data, size_t len)
{
    struct seen *s = ctx;
    FZ_CHECK(event && *event, "event without a name");
    FZ_CHECK(strlen(event) < 64, "event name longer than its buffer");
    s->h = hash64(event, strlen(event), s->h) ^ hash64(data, len, s->h + 1) ^ (s->n << 1);
    s->n++;
    sse_asm_event(&s->a, data, len);
    return 0;
}

static int run(const char *text, size_t n, size_t piece, size_t max_event, struct seen *s,
               json_t **result)
{
    struct sse p;
    memset(s, 0, sizeof *s);
    sse_asm_init(&s->a);
    sse_init(&p, max_event, on_event, s);
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i += piece)
        rc = sse_feed(&p, text + i, n - i < piece ? n - i : piece);
    if (!rc)
        rc = sse_finish(&p);
    sse_free(&p);
    *result = sse_asm_result(&s->a);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t piece = 1 + data[0] % 17;
    size_t max_event = data[0] & 0x80 ? 64 : 1 << 16;
    /* a copy exactly as long as the text, so reads past it are caught */
    char *text = malloc(size - 1 ? size - 1 : 1);
    memcpy(text, data + 1, size - 1);
    struct seen whole, split;
    json_t *rw = NULL, *rs = NULL;
    int rc1 = run(text, size - 1, size, max_event, &whole, &rw);
    int rc2 = run(text, size - 1, piece, max_event, &split, &rs);
    FZ_CHECK(rc1 == rc2, "whole feed returned %d, pieces of %zu returned %d", rc1, piece, rc2);
    if (rc1 == 0) {
        FZ_CHECK(whole.n == split.n && whole.h == split.h,
                 "%zu events whole, %zu in pieces of %zu", whole.n, split.n, piece);
        FZ_CHECK(!rw == !rs, "one split assembled an Interaction, the other did not");
        if (rw && rs)
            FZ_CHECK(json_equal(rw, rs), "the assembled Interactions differ");
    }
    if (rw) {
        struct interaction it;
        struct gb_err err = {0};
        if (resp_from_json(rw, &it, &err) == 0) {
            char *t = resp_text(it.outputs);
            FZ_CHECK(t != NULL, "resp_text returned NULL");
            free(t);
            (void)resp_status_terminal(it.status);
            interaction_free(&it);
        }
    }
    json_decref(rw);
    json_decref(rs);
    sse_asm_free(&whole.a);
    sse_asm_free(&split.a);
    free(text);
    return 0;
}
