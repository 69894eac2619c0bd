/* fuzz_emu_request.c: a create body as the emulator receives it
 * (emu_call_parse, with fake stored-interaction and Files API lookups, under
 * either path and a fuzzed set of SDK headers), and when it is accepted, the
 * synthetic model's answer to it in both fault modes, cut into continuation
 * hops when it can be. Properties: a rejected request has an HTTP status and
 * status name and leaves nothing allocated; an accepted one gets an answer or
 * a clean error; hops join to the whole text, the last one completed. */
#include <jansson.h>
#include <stdint.h>

#include "emu_int.h"
#include "fuzz_util.h"

static int fake_prev(void *ctx, const char *id, struct emu_prev *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(id, "ix_prev"))
        return -1;
    out->turns_total = 2;
    out->tokens = 100;
    out->tools = json_loads("[{\"type\":\"function\",\"name\":\"get_weather\",\"parameters\":"
                            "{\"type\":\"object\",\"properties\":{\"city\":{\"type\":\"string\"}}}}]",
                            0, NULL);
    return 0;
}

static int fake_file(void *ctx, const char *uri, struct emu_facts *f, char *mime, size_t mimesz,
                     char *name, size_t namesz)
{
    const char *id = strrchr(uri, '/');
    if (!id || strncmp(uri, "http://127.0.0.1:1/v1beta/files/", 32))
        return EMU_FILE_NOT_OURS;
    snprintf(name, namesz, "files%s", id);
    if (!strcmp(id, "/active")) {
        memset(f, 0, sizeof *f);
        f->bytes = 1234;
        f->seconds = 2.5;
        f->pages = 3;
        memset(f->sha256, 0xab, 32);
        snprintf(mime, mimesz, "video/mp4");
        return EMU_FILE_ACTIVE;
    }
    if (!strcmp(id, "/busy"))
        return EMU_FILE_PROCESSING;
    return EMU_FILE_UNKNOWN;
}

/* Cut a's text into hops (of hop_tokens, or 2-3 for 0) and join them back. */
static void check_hops(const struct emu_call *c, const struct emu_answer *whole, long hop_tokens)
{
    struct emu_answer a = {json_deep_copy(whole->outputs), whole->status,
                           json_deep_copy(whole->usage), whole->total_tokens};
    json_t *state = NULL;
    int rc = emu_cont_split(c, &a, hop_tokens, &state);
    FZ_CHECK(rc == 0 || rc == 1, "emu_cont_split returned %d", rc);
    if (rc) {
        FZ_CHECK(json_equal(a.outputs, whole->outputs), "an answer not cut was changed");
        emu_answer_free(&a);
        return;
    }
    size_t nw = json_array_size(whole->outputs);
    const char *t = json_string_value(json_object_get(json_array_get(whole->outputs, nw - 1), "text"));
    size_t n = strlen(t), got = 0;
    int hops = 1;
    for (;;) {
        size_t na = json_array_size(a.outputs);
        const char *p = json_string_value(json_object_get(json_array_get(a.outputs, na - 1), "text"));
        FZ_CHECK(na == (hops == 1 ? nw : 1), "hop %d has %zu items", hops, na);
        FZ_CHECK(p && got + strlen(p) <= n && !memcmp(t + got, p, strlen(p)),
                 "hop %d is not the next part of the answer", hops);
        got += strlen(p);
        if (!state)
            break;
        FZ_CHECK(!strcmp(a.status, "requires_continuation"), "a hop before the last completed");
        json_t *rest = NULL;
        emu_answer_free(&a);
        FZ_CHECK(emu_cont_next(state, &a, &rest) == 0, "emu_cont_next failed");
        json_decref(state);
        state = rest;
        hops++;
    }
    FZ_CHECK(got == n && !strcmp(a.status, "completed"), "hops join to %zu of %zu bytes", got, n);
    FZ_CHECK(hops >= 2 && hops <= 32, "%d hops", hops);
    emu_answer_free(&a);
}

static struct emu_schemas *schemas_;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    if (emu_schemas_new(64, &schemas_))
        abort();
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    static const char *const paths[] = {"/v1beta/interactions", "/v1/interactions",
                                        "/v1beta/models/x:interact", NULL};
    static const struct emu_hdrs hdrs[] = {
        {NULL, NULL, 0},
        {"google-genai-sdk/1.33.0 gl-node/v20", "application/json", 0},
        {"google-genai-sdk/3.3.0 gl-node/v22", "text/event-stream", 0},
        {"Stainless/1.0", "*/*", 1},
    };
    uint8_t sel = data[0];
    const char *path = paths[sel & 3];
    const struct emu_hdrs *h = sel & 4 ? NULL : &hdrs[(sel >> 3) & 3];
    struct emu_env env = {7, NULL, fake_prev, fake_file, sel & 0x20 ? schemas_ : NULL};
    size_t n = size - 1;
    char *body = malloc(n ? n : 1); /* not NUL-terminated: reads past it are caught */
    memcpy(body, data + 1, n);
    struct emu_call c;
    struct emu_err e;
    memset(&e, 0, sizeof e);
    if (emu_call_parse(&env, path, h, body, n, &c, &e)) {
        FZ_CHECK(e.http >= 400 && e.http < 600 && e.status && *e.status,
                 "rejected with http %d", e.http);
        FZ_CHECK(c.body == NULL, "a rejected call still holds its body");
        free(body);
        return 0;
    }
    FZ_CHECK(c.body && (c.model || c.agent), "accepted call without model or agent");
    FZ_CHECK(c.dialect == EMU_G1 || c.dialect == EMU_G3, "dialect %d", c.dialect);
    for (int mode = 0; mode < 2; mode++) {
        struct emu_answer a;
        struct emu_err me;
        memset(&a, 0, sizeof a);
        memset(&me, 0, sizeof me);
        if (emu_model_run(&c, mode, &a, &me) == 0) {
            FZ_CHECK(a.outputs && json_is_array(a.outputs) && a.status && a.usage,
                     "an answer without outputs, status or usage");
            json_t *steps = emu_steps_from_outputs(a.outputs);
            FZ_CHECK(steps != NULL, "emu_steps_from_outputs returned NULL");
            json_decref(steps);
            check_hops(&c, &a, 0);
            check_hops(&c, &a, 1 + (sel >> 6));
        } else {
            FZ_CHECK(me.http >= 400 && me.status, "model failed with http %d", me.http);
        }
        emu_answer_free(&a);
    }
    emu_call_free(&c);
    free(body);
    return 0;
}
