/* emu_model.c: the deterministic synthetic model. From a parsed request and
 * its answer hash it writes the outputs (text that says what was received,
 * schema instances, PNG images, WAV audio, tool calls and results) and the
 * usage at Gemini's published rates. Same hash, same answer: nothing here
 * reads a clock, a counter or the server's state. */
#include "emu_int.h"
#include "b64.h"
#include "png.h"
#include "schema.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- usage ------------------------------------------------------------------ */

/* A generated image bills 1290 output tokens (the published figure for
 * Gemini 2.5 Flash Image: 0.039 USD an image at 30 USD per 1M), not the 258
 * an input image counts. */
#define EMU_IMAGE_OUT_TOKENS 1290

uint64_t emu_text_tokens(uint64_t chars)
{
    return (chars + 3) / 4;
}

static uint64_t ceil_u(double x)
{
    return x <= 0 ? 0 : (uint64_t)ceil(x);
}

/* Rates from DESIGN.md: 258 an image, 32 a second of audio, 263 a second of
 * video, 258 a PDF page. Durations we cannot read are estimated from the size
 * (audio at 128 kbit/s, video at 2 Mbit/s); remote media counts as 10 s or one
 * page, since the emulator never fetches it. */
uint64_t emu_part_tokens(const struct emu_part *p)
{
    switch (p->kind) {
    case EMU_IMAGE:
        return 258;
    case EMU_AUDIO:
        if (p->remote)
            return 320;
        if (p->f.seconds >= 0)
            return ceil_u(p->f.seconds * 32);
        return ceil_u((double)p->f.bytes / 16000.0 * 32);
    case EMU_VIDEO: {
        if (p->remote)
            return 2630;
        double s = p->f.seconds >= 0 ? p->f.seconds : (double)p->f.bytes / 250000.0;
        return ceil_u((s < 1 ? 1 : s) * 263);
    }
    case EMU_DOCUMENT:
        if (p->remote)
            return 258;
        if (p->f.pages > 0)
            return (uint64_t)p->f.pages * 258;
        if (!strcmp(p->mime, "application/pdf"))
            return 258;
        return emu_text_tokens(p->f.bytes);
    }
    return 0;
}

static const char *modality_of(int kind)
{
    return kind == EMU_DOCUMENT ? "document" : emu_media_name(kind);
}

static json_t *by_modality(const uint64_t tok[5])
{
    static const char *const names[5] = {"text", "image", "audio", "video", "document"};
    json_t *a = json_array();
    for (int i = 0; a && i < 5; i++)
        if (tok[i]) { /* json_pack parses its format each time: too slow here */
            json_t *o = json_object();
            json_object_set_new(o, "modality", json_string(names[i]));
            json_object_set_new(o, "tokens", json_integer((json_int_t)tok[i]));
            json_array_append_new(a, o);
        }
    return a;
}

static int modality_index(const char *m)
{
    static const char *const names[5] = {"text", "image", "audio", "video", "document"};
    for (int i = 0; i < 5; i++)
        if (!strcmp(m, names[i]))
            return i;
    return 0;
}

static uint64_t thinking_tokens(const char *level)
{
    if (!level)
        return 0;
    if (!strcmp(level, "minimal"))
        return 16;
    if (!strcmp(level, "low"))
        return 64;
    if (!strcmp(level, "medium"))
        return 128;
    if (!strcmp(level, "high"))
        return 256;
    if (!strcmp(level, "xhigh"))
        return 512;
    return 0;
}

#define WAV_OUT_MS 500 /* generated audio: 0.5 s */

static json_t *usage_json(const struct emu_call *c, const json_t *outputs, uint64_t *total)
{
    uint64_t in[5] = {0}, out[5] = {0}, tool = 0;
    in[0] = emu_text_tokens(c->text_chars) + c->history_tokens;
    for (size_t i = 0; i < c->nparts; i++)
        in[modality_index(modality_of(c->parts[i].kind))] += emu_part_tokens(&c->parts[i]);
    size_t i;
    const json_t *o;
    json_array_foreach(outputs, i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        if (!strcmp(t, "text")) {
            out[0] += emu_text_tokens(json_string_length(json_object_get(o, "text")));
        } else if (!strcmp(t, "image")) {
            out[1] += EMU_IMAGE_OUT_TOKENS;
        } else if (!strcmp(t, "audio")) {
            out[2] += ceil_u(WAV_OUT_MS / 1000.0 * 32);
        } else if (!strcmp(t, "thought")) {
            /* billed as thinking tokens (thinking_level), not as output */
        } else if (!strcmp(t, "function_call")) {
            char *s = jf_dump(json_object_get(o, "arguments"), NULL);
            out[0] += 4 + emu_text_tokens(s ? strlen(s) : 0);
            free(s);
        } else if (strstr(t, "_result")) {
            char *s = jf_dump(o, NULL);
            tool += emu_text_tokens(s ? strlen(s) : 0);
            free(s);
        } else {
            out[0] += 8; /* a tool call is a few tokens of model output */
        }
    }
    uint64_t tin = 0, tout = 0;
    for (int k = 0; k < 5; k++) {
        tin += in[k];
        tout += out[k];
    }
    uint64_t think = thinking_tokens(c->thinking_level);
    /* max_output_tokens bounds thinking and the answer together, as the
     * service's does: thinking gets what the answer left */
    if (c->max_output_tokens > 0) {
        uint64_t cap = (uint64_t)c->max_output_tokens, room = tout < cap ? cap - tout : 0;
        if (think > room)
            think = room;
    }
    *total = tin + tout + think + tool;
    json_t *u = json_object();
    if (!u)
        return NULL;
    json_object_set_new(u, "total_input_tokens", json_integer((json_int_t)tin));
    json_object_set_new(u, "total_output_tokens", json_integer((json_int_t)tout));
    json_object_set_new(u, "total_tokens", json_integer((json_int_t)*total));
    json_object_set_new(u, "total_cached_tokens", json_integer(0));
    json_object_set_new(u, "total_tool_use_tokens", json_integer((json_int_t)tool));
    /* G1 names it reasoning, G3 thought: send both */
    json_object_set_new(u, "total_reasoning_tokens", json_integer((json_int_t)think));
    json_object_set_new(u, "total_thought_tokens", json_integer((json_int_t)think));
    json_object_set_new(u, "input_tokens_by_modality", by_modality(in));
    json_object_set_new(u, "output_tokens_by_modality", by_modality(out));
    return u;
}

/* ---- text ------------------------------------------------------------------------- */

static const char *const filler[] = {
    "This answer was written by the gembatch emulator, not by a language model.",
    "The emulator is deterministic: the same request and seed give the same text.",
    "Every media part above is listed with its decoded size and SHA-256 digest.",
    "Use the real Gemini API for answers that depend on what the input means.",
    "Token counts follow the published per-modality rates.",
    "Nothing in this reply was fetched from the network.",
    "The conversation so far has been counted, including earlier stored turns.",
    "Structured output, images and tool calls are synthesised the same way.",
};
#define NFILLER (sizeof filler / sizeof filler[0])

static uint64_t hash_u64(const uint8_t h[32], int k)
{
    uint64_t v = 0;
    for (int i = 0; i < 8; i++)
        v |= (uint64_t)h[(k * 8 + i) & 31] << (8 * i);
    return v;
}

static void one_line(struct buf *b, const char *s, size_t max)
{
    size_t n = 0;
    for (; s[n] && n < max; n++)
        buf_putc(b, s[n] == '\n' || s[n] == '\r' ? ' ' : s[n]);
    if (s[n])
        buf_puts(b, "...");
}

/* The text answer: the header lines tests grep, then filler sized by
 * max_output_tokens (never cutting the header). */
static int answer_text(const struct emu_call *c, const char *extra, struct buf *b, int *cut)
{
    buf_printf(b, "Emulated answer from %s.\nturns: %d\n", c->model ? c->model : c->agent,
               c->turns);
    for (size_t i = 0; i < c->nparts; i++) {
        const struct emu_part *p = &c->parts[i];
        if (p->remote) {
            buf_printf(b, "part %zu: %s %s remote %s\n", i + 1, emu_media_name(p->kind), p->mime,
                       p->uri);
        } else {
            char hex[65];
            sha256_hex(p->f.sha256, hex);
            buf_printf(b, "part %zu: %s %s %llu bytes sha256:%s\n", i + 1,
                       emu_media_name(p->kind), p->mime, (unsigned long long)p->f.bytes, hex);
        }
    }
    size_t i;
    const json_t *r;
    json_array_foreach(c->fn_results, i, r) {
        buf_printf(b, "function_result %s: ", json_string_value(json_object_get(r, "name")));
        one_line(b, json_string_value(json_object_get(r, "result")), 200);
        buf_putc(b, '\n');
    }
    if (extra)
        buf_puts(b, extra);
    int nsent = c->agent ? 6 : 2;
    uint64_t pick = hash_u64(c->hash, 1);
    for (int k = 0; k < nsent; k++) {
        if (k)
            buf_putc(b, ' ');
        buf_puts(b, filler[(pick + (uint64_t)k * 3) % NFILLER]);
    }
    /* distinct requests get distinct texts, so a result filed under the
     * wrong job shows */
    buf_printf(b, " Answer %012llx.", (unsigned long long)(hash_u64(c->hash, 0) >> 16));
    if (c->max_output_tokens > 0) {
        /* a hard bound, as on the service: past it even the header is cut */
        size_t cap = (size_t)c->max_output_tokens * 4;
        if (b->len > cap) {
            size_t keep = cap;
            while (keep > cap / 2 && b->data[keep] != ' ' && b->data[keep] != '\n')
                keep--; /* prefer a word boundary */
            if (keep <= cap / 2)
                keep = cap;
            while (keep > 0 && ((unsigned char)b->data[keep] & 0xc0) == 0x80)
                keep--; /* never inside a UTF-8 sequence */
            b->len = keep;
            b->data[keep] = '\0';
            *cut = 1;
        }
    }
    if (b->data && b->len && b->data[b->len - 1] == '\n') {
        b->data[--b->len] = '\0';
    }
    return b->data ? 0 : GB_ENOMEM;
}

/* ---- media outputs -------------------------------------------------------------- */

int emu_png_for(const uint8_t seed[32], struct buf *out)
{
    enum { W = 64, H = 64 };
    uint8_t px[W * H * 3];
    for (int y = 0; y < H; y++)
        for (int x = 0; x < W; x++) {
            uint8_t *p = px + (y * W + x) * 3;
            int cell = ((x / 8) + (y / 8) * 8) & 31;
            p[0] = (uint8_t)(seed[0] + x * 4);
            p[1] = (uint8_t)(seed[1] + y * 4);
            p[2] = (uint8_t)(seed[cell] ^ ((x ^ y) & 8 ? 0xff : 0));
        }
    return png_write(out, px, W, H, 3);
}

static int wav_for(const uint8_t seed[32], struct buf *out)
{
    enum { RATE = 16000 };
    uint32_t n = (uint32_t)(RATE * WAV_OUT_MS / 1000);
    double freq = 220 + seed[2] * 2;
    uint8_t h[44];
    uint32_t data = n * 2;
    memcpy(h, "RIFF", 4);
    uint32_t v[] = {36 + data};
    h[4] = (uint8_t)v[0]; h[5] = (uint8_t)(v[0] >> 8); h[6] = (uint8_t)(v[0] >> 16);
    h[7] = (uint8_t)(v[0] >> 24);
    memcpy(h + 8, "WAVEfmt ", 8);
    static const uint8_t fmt[] = {16, 0, 0, 0, 1, 0, 1, 0, 0x80, 0x3e, 0, 0, 0, 0x7d, 0, 0,
                                  2, 0, 16, 0}; /* PCM, mono, 16000 Hz, 32000 B/s, 16 bit */
    memcpy(h + 16, fmt, sizeof fmt);
    memcpy(h + 36, "data", 4);
    h[40] = (uint8_t)data; h[41] = (uint8_t)(data >> 8); h[42] = (uint8_t)(data >> 16);
    h[43] = (uint8_t)(data >> 24);
    if (buf_append(out, h, sizeof h))
        return GB_ENOMEM;
    for (uint32_t i = 0; i < n; i++) {
        int16_t s = (int16_t)(8000 * sin(2 * M_PI * freq * i / RATE));
        uint8_t le[2] = {(uint8_t)s, (uint8_t)((uint16_t)s >> 8)};
        if (buf_append(out, le, 2))
            return GB_ENOMEM;
    }
    return 0;
}

static json_t *media_item(const char *type, const char *mime, const struct buf *raw)
{
    char *b = malloc(b64_enc_len(raw->len) + 1);
    if (!b)
        return NULL;
    size_t n = b64_encode(raw->data, raw->len, b);
    b[n] = '\0';
    json_t *o = json_pack("{s:s, s:s%, s:s}", "type", type, "data", b, n, "mime_type", mime);
    free(b);
    return o;
}

/* ---- tools ------------------------------------------------------------------------ */

static void call_id(const struct emu_call *c, const char *prefix, int k, char out[48])
{
    snprintf(out, 48, "%s_%016llx", prefix, (unsigned long long)emu_mix64(hash_u64(c->hash, 2) + (uint64_t)k));
}

static json_t *urls_in(const char *text)
{
    json_t *a = json_array();
    for (const char *p = text; p && a && (p = strstr(p, "http")); ) {
        if (strncmp(p, "http://", 7) && strncmp(p, "https://", 8)) {
            p += 4;
            continue;
        }
        size_t n = strcspn(p, " \t\r\n\"'<>),");
        while (n > 0 && (p[n - 1] == '.' || p[n - 1] == '?' || p[n - 1] == '!'))
            n--;
        json_array_append_new(a, json_stringn(p, n));
        p += n;
    }
    if (a && json_array_size(a) == 0)
        json_array_append_new(a, json_string("https://www.example.com/"));
    return a;
}

/* With thinking_summaries "auto": the model's thought comes first, with a
 * summary and an opaque signature (base64 of bytes derived from the answer
 * seed), as a thinking model returns it. */
static json_t *thought_item(const struct emu_call *c)
{
    uint8_t sig[24];
    for (int i = 0; i < 3; i++) {
        uint64_t v = emu_mix64(hash_u64(c->hash, 3) + (uint64_t)i);
        memcpy(sig + 8 * i, &v, 8);
    }
    char b[b64_enc_len(sizeof sig) + 1];
    b[b64_encode(sig, sizeof sig, b)] = '\0';
    char summary[160];
    snprintf(summary, sizeof summary,
             "Thinking (%s) about a request of %d turn%s before answering.",
             c->thinking_level ? c->thinking_level : "default", c->turns, c->turns == 1 ? "" : "s");
    return json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "type", "thought", "signature", b, "summary",
                     "type", "text", "text", summary);
}

static int builtin_tools(const struct emu_call *c, json_t *outputs)
{
    size_t i;
    const json_t *t;
    const char *q = c->last_text ? c->last_text : "";
    json_array_foreach(c->tools, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        char id[48];
        json_t *call = NULL, *res = NULL;
        if (!type)
            continue;
        call_id(c, "call", (int)i + 100, id);
        if (!strcmp(type, "google_search")) {
            call = json_pack("{s:s, s:s, s:{s:[s]}}", "type", "google_search_call", "id", id,
                             "arguments", "queries", q);
            res = json_pack("{s:s, s:s, s:[{s:s, s:s, s:s}], s:b}", "type",
                            "google_search_result", "call_id", id, "result", "url",
                            "https://www.example.com/search-result", "title",
                            "Emulated search result", "rendered_content",
                            "<div>emulated search suggestions</div>", "is_error", 0);
        } else if (!strcmp(type, "code_execution")) {
            call = json_pack("{s:s, s:s, s:{s:s, s:s}}", "type", "code_execution_call", "id", id,
                             "arguments", "code", "print('emulated')", "language", "python");
            res = json_pack("{s:s, s:s, s:s, s:b}", "type", "code_execution_result", "call_id", id,
                            "result", "emulated\n", "is_error", 0);
        } else if (!strcmp(type, "url_context")) {
            json_t *urls = urls_in(q);
            json_t *rl = json_array();
            size_t k;
            json_t *u;
            json_array_foreach(urls, k, u)
                json_array_append_new(rl, json_pack("{s:O, s:s}", "url", u, "status", "success"));
            call = json_pack("{s:s, s:s, s:{s:o}}", "type", "url_context_call", "id", id,
                             "arguments", "urls", urls);
            res = json_pack("{s:s, s:s, s:o, s:b}", "type", "url_context_result", "call_id", id,
                            "result", rl, "is_error", 0);
        } else if (!strcmp(type, "mcp_server")) {
            const char *server = json_string_value(json_object_get(t, "name"));
            const json_t *allowed = json_object_get(t, "allowed_tools");
            const char *tool = json_string_value(
                json_array_get(json_object_get(json_array_get(allowed, 0), "tools"), 0));
            server = server ? server : "mcp_server";
            tool = tool ? tool : "query";
            call = json_pack("{s:s, s:s, s:s, s:s, s:{s:s}}", "type", "mcp_server_tool_call", "id",
                             id, "name", tool, "server_name", server, "arguments", "query", q);
            res = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "mcp_server_tool_result",
                            "call_id", id, "name", tool, "server_name", server, "result",
                            "emulated MCP tool result");
        } else if (!strcmp(type, "file_search")) {
            call = json_pack("{s:s, s:s}", "type", "file_search_call", "id", id);
            res = json_pack("{s:s, s:s, s:[{s:s, s:s}]}", "type", "file_search_result", "call_id",
                            id, "result", "title", "Emulated document", "text",
                            "emulated file search result");
        } else {
            continue;
        }
        if (!call || !res || json_array_append_new(outputs, call) ||
            json_array_append_new(outputs, res)) {
            return GB_ENOMEM;
        }
    }
    return 0;
}

/* ---- tool search (SDK 3.6.1) ------------------------------------------------------ */

static int deferred(const json_t *t)
{
    const char *type = json_string_value(json_object_get(t, "type"));
    return type && !strcmp(type, "function") && json_is_true(json_object_get(t, "defer_loading"));
}

/* The tool_search tool of the request, or NULL. */
static const json_t *search_tool(const struct emu_call *c)
{
    size_t i;
    const json_t *t;
    json_array_foreach(c->tools, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        if (type && !strcmp(type, "tool_search"))
            return t;
    }
    return NULL;
}

/* A function with defer_loading is in the model's context only once a tool
 * search loaded it: the search of this turn (loaded_now), or a
 * tool_search_result in the input. Without a tool_search tool the flag has
 * nothing to wait for. */
static int in_context(const struct emu_call *c, const json_t *t, int loaded_now)
{
    if (!deferred(t) || loaded_now || !search_tool(c))
        return 1;
    const char *name = json_string_value(json_object_get(t, "name"));
    size_t i;
    const json_t *n;
    json_array_foreach(c->loaded, i, n) {
        if (name && !strcmp(json_string_value(n), name))
            return 1;
    }
    return 0;
}

/* The model is about to call a function, some it may need are deferred, and
 * the conversation has not searched yet: it searches for them. A server search loads them all at once (call and
 * result); a client search (execution "client") is a call the client
 * answers with a tool_search_result, so the turn stops there. Returns 1
 * when this turn's search loaded the deferred functions, 2 when it waits
 * for the client, 0 when there was nothing to search, -1 out of memory. */
static int tool_search(const struct emu_call *c, json_t *outputs)
{
    const json_t *ts = search_tool(c);
    if (!ts || c->loaded || c->tool_choice_none ||
        (json_array_size(c->fn_results) && !c->tool_choice_any))
        return 0; /* c->loaded: the conversation searched already */
    json_t *names = json_array(), *defs = json_array();
    size_t i;
    const json_t *t;
    json_array_foreach(c->tools, i, t) {
        if (deferred(t) && !in_context(c, t, 0)) {
            json_array_append(names, json_object_get(t, "name"));
            json_array_append(defs, (json_t *)t);
        }
    }
    int rc = 0;
    if (json_array_size(names)) {
        char id[48];
        call_id(c, "ts", 0, id);
        const char *exec = json_string_value(json_object_get(ts, "execution"));
        int client = exec && !strcmp(exec, "client");
        json_t *call = json_pack("{s:s, s:s, s:{s:O}}", "type", "tool_search_call", "id", id,
                                 "arguments", "function_names", names);
        rc = client ? 2 : 1;
        if (!call || json_array_append_new(outputs, call))
            rc = -1;
        else if (!client &&
                 json_array_append_new(outputs, json_pack("{s:s, s:s, s:O}", "type",
                                                          "tool_search_result", "call_id", id,
                                                          "result", defs)))
            rc = -1;
    }
    json_decref(names);
    json_decref(defs);
    return rc;
}

/* The function the model calls: the first function tool in its context
 * that tool_choice allows, unless the input ends with function results
 * (then it answers), or tool_choice is "any" (then it calls again, as a
 * forced model does). Its index in c->tools, or -1. */
static int pick_function(const struct emu_call *c, int loaded_now)
{
    if (c->tool_choice_none || (json_array_size(c->fn_results) && !c->tool_choice_any))
        return -1;
    const json_t *gc = json_object_get(c->body, "generation_config");
    const json_t *allowed =
        json_object_get(json_object_get(json_object_get(gc, "tool_choice"), "allowed_tools"),
                        "tools");
    size_t i;
    const json_t *t;
    json_array_foreach(c->tools, i, t) {
        const char *type = json_string_value(json_object_get(t, "type"));
        const char *name = json_string_value(json_object_get(t, "name"));
        if (!type || strcmp(type, "function") || !name || !in_context(c, t, loaded_now))
            continue;
        if (json_is_array(allowed)) {
            size_t k;
            const json_t *a;
            int ok = 0;
            json_array_foreach(allowed, k, a) ok |= json_is_string(a) &&
                                                    !strcmp(json_string_value(a), name);
            if (!ok)
                continue;
        }
        return (int)i;
    }
    return -1;
}

static int function_call(const struct emu_call *c, int idx, json_t *outputs, struct emu_err *e)
{
    const json_t *t = json_array_get(c->tools, (size_t)idx);
    json_t *args = NULL;
    struct emu_schema_ref *ref = NULL;
    int own_ref = 0;
    struct gb_err ge;
    gb_err_clear(&ge);
    if (c->tool_schemas && (size_t)idx < c->ntools && json_object_get(c->body, "tools") == c->tools)
        ref = c->tool_schemas[idx];
    const json_t *params = json_object_get(t, "parameters");
    if (!ref && json_is_object(params)) {
        /* tools inherited from the previous turn were not compiled at parse */
        if (emu_schema_get(NULL, params, &ref, &ge))
            return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid JSON Schema at "
                            "'tools[%d].parameters': %s", idx, ge.msg);
        own_ref = 1;
    }
    if (ref) {
        if (schema_generate(emu_schema_of(ref), hash_u64(c->hash, 3), &args, &ge)) {
            if (own_ref)
                emu_schema_put(ref);
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Cannot produce arguments for function '%s': %s",
                            json_string_value(json_object_get(t, "name")), ge.msg);
        }
    } else {
        args = json_object();
    }
    if (own_ref)
        emu_schema_put(ref);
    char id[48];
    call_id(c, "fc", idx, id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o}", "type", "function_call", "id", id, "name",
                          json_string_value(json_object_get(t, "name")), "arguments", args);
    if (!o || json_array_append_new(outputs, o))
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    return 0;
}

/* The text of a structured answer: a generated instance, or for the
 * schema_violation fault an invalid one (truncated JSON when the schema
 * accepts everything). */
static char *structured_text(const struct emu_call *c, int mode, struct emu_err *e)
{
    json_t *inst = NULL;
    struct gb_err ge;
    gb_err_clear(&ge);
    const struct schema *s = emu_schema_of(c->schema);
    uint64_t seed = hash_u64(c->hash, 0);
    int truncate = 0;
    if (mode == EMU_ANSWER_SCHEMA_VIOLATION) {
        if (schema_generate_invalid(s, seed, &inst, &ge)) {
            truncate = 1;
            gb_err_clear(&ge);
        }
    }
    if (!inst && schema_generate(s, seed, &inst, &ge)) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "Cannot produce an instance of the response_format "
                 "schema: %s", ge.msg);
        return NULL;
    }
    char *txt = json_dumps(inst, JSON_COMPACT | JSON_ENCODE_ANY);
    json_decref(inst);
    if (!txt) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        return NULL;
    }
    if (truncate) {
        size_t n = strlen(txt);
        txt[n > 1 ? n / 2 : 0] = '\0';
        if (!txt[0]) {
            free(txt);
            txt = strdup("{\"");
        }
    }
    return txt;
}

int emu_model_run(const struct emu_call *c, int mode, struct emu_answer *a, struct emu_err *e)
{
    struct buf text, raw;
    buf_init(&text, BUF_UNLIMITED);
    buf_init(&raw, BUF_UNLIMITED);
    memset(a, 0, sizeof *a);
    e->http = 0; /* a failure that says nothing else is out of memory */
    a->outputs = json_array();
    a->status = "completed";
    if (!a->outputs)
        goto fail;
    if (c->thinking_summaries && c->model && json_array_append_new(a->outputs, thought_item(c)))
        goto fail;
    if (builtin_tools(c, a->outputs))
        goto fail;
    int searched = tool_search(c, a->outputs);
    if (searched < 0)
        goto fail;
    int fn = searched == 2 ? -1 : pick_function(c, searched == 1);
    if (searched == 2) {
        a->status = "requires_action"; /* the client runs the search */
    } else if (fn >= 0) {
        if (function_call(c, fn, a->outputs, e))
            goto fail;
        a->status = "requires_action";
    } else {
        char *txt = NULL;
        if (c->schema) {
            if (!(txt = structured_text(c, mode, e)))
                goto fail;
        } else {
            const char *extra = c->want_image ? "Generated image: 64x64 image/png.\n"
                                : c->want_audio ? "Generated audio: 0.5 s audio/wav.\n"
                                : NULL;
            if (answer_text(c, extra, &text, &a->truncated))
                goto fail;
            txt = buf_detach(&text, NULL);
        }
        json_t *item = json_object();
        json_object_set_new(item, "type", json_string("text"));
        json_object_set_new(item, "text", json_string(txt));
        int rc = json_array_append_new(a->outputs, item);
        free(txt);
        if (rc)
            goto fail;
        if (c->want_image) {
            if (emu_png_for(c->hash, &raw) ||
                json_array_append_new(a->outputs, media_item("image", "image/png", &raw)))
                goto fail;
            buf_reset(&raw);
        }
        if (c->want_audio) {
            if (wav_for(c->hash, &raw) ||
                json_array_append_new(a->outputs, media_item("audio", "audio/wav", &raw)))
                goto fail;
        }
    }
    if (!(a->usage = usage_json(c, a->outputs, &a->total_tokens)))
        goto fail;
    buf_free(&text);
    buf_free(&raw);
    return 0;
fail:
    if (!e->http)
        emu_fail(e, 500, "INTERNAL", "out of memory");
    buf_free(&text);
    buf_free(&raw);
    emu_answer_free(a);
    return -1;
}

void emu_answer_free(struct emu_answer *a)
{
    if (!a)
        return;
    json_decref(a->outputs);
    json_decref(a->usage);
    memset(a, 0, sizeof *a);
}

/* ---- G1 outputs to G3 steps -------------------------------------------------- */

static int is_content(const char *t)
{
    return !strcmp(t, "text") || emu_media_kind(t);
}

json_t *emu_steps_from_outputs(const json_t *outputs)
{
    json_t *steps = json_array();
    json_t *run = NULL; /* content list of the open model_output step */
    size_t i;
    const json_t *o;
    if (!steps)
        return NULL;
    json_array_foreach(outputs, i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        if (t && is_content(t)) {
            if (!run) {
                json_t *step = json_object();
                run = json_array();
                json_object_set_new(step, "type", json_string("model_output"));
                json_object_set_new(step, "content", run);
                json_array_append_new(steps, step);
            }
            json_array_append(run, (json_t *)o);
        } else {
            run = NULL;
            json_array_append_new(steps, json_deep_copy(o));
        }
    }
    return steps;
}
