/* sse.c: Server-Sent Events, parsed a byte at a time with bounded buffers,
 * and reassembled into the Interaction a non-streamed call would return:
 * text deltas appended, function-call argument deltas joined, the terminal
 * event's own outputs/steps preferred when it carries them. */
#include "sse.h"
#include "err.h"
#include "fsx.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void sse_init(struct sse *p, size_t max_event, sse_event_fn fn, void *ctx)
{
    memset(p, 0, sizeof *p);
    buf_init(&p->line, max_event);
    buf_init(&p->data, max_event);
    p->fn = fn;
    p->ctx = ctx;
}

void sse_free(struct sse *p)
{
    buf_free(&p->line);
    buf_free(&p->data);
}

static int dispatch(struct sse *p)
{
    int rc = 0;
    if (p->has_data) {
        size_t n = p->data.len;
        if (n && p->data.data[n - 1] == '\n') /* the spec drops the last newline */
            n--;
        rc = p->fn(p->ctx, p->event[0] ? p->event : "message", p->data.data ? p->data.data : "",
                   n);
    }
    buf_reset(&p->data);
    p->event[0] = '\0';
    p->has_data = 0;
    return rc;
}

static int end_line(struct sse *p)
{
    const char *l = p->line.data ? p->line.data : "";
    size_t n = p->line.len;
    int rc = 0;
    if (n == 0) {
        rc = dispatch(p);
    } else if (l[0] != ':') {
        const char *colon = memchr(l, ':', n);
        size_t fl = colon ? (size_t)(colon - l) : n;
        const char *v = colon ? colon + 1 : l + n;
        size_t vl = colon ? n - fl - 1 : 0;
        if (vl && *v == ' ') {
            v++;
            vl--;
        }
        if (fl == 4 && !memcmp(l, "data", 4)) {
            if (buf_append(&p->data, v, vl) || buf_putc(&p->data, '\n'))
                rc = GB_ELIMIT;
            p->has_data = 1;
        } else if (fl == 5 && !memcmp(l, "event", 5)) {
            snprintf(p->event, sizeof p->event, "%.*s", (int)vl, v);
        }
        /* id and retry are not needed: the Interaction events carry event_id */
    }
    buf_reset(&p->line);
    return rc;
}

int sse_feed(struct sse *p, const char *b, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = b[i];
        if (p->saw_cr) {
            p->saw_cr = 0;
            if (c == '\n') {
                i++;
                continue;
            }
        }
        if (c == '\n' || c == '\r') {
            p->saw_cr = c == '\r';
            i++;
            int rc = end_line(p);
            if (rc)
                return rc;
            continue;
        }
        /* copy a run of ordinary bytes at once */
        size_t j = i;
        while (j < n && b[j] != '\n' && b[j] != '\r')
            j++;
        if (buf_append(&p->line, b + i, j - i))
            return GB_ELIMIT;
        i = j;
    }
    return 0;
}

int sse_finish(struct sse *p)
{
    int rc = 0;
    if (p->line.len)
        rc = end_line(p);
    if (!rc && p->has_data)
        rc = dispatch(p);
    return rc;
}

/* ---- assembling an Interaction ------------------------------------------------- */

void sse_asm_init(struct sse_asm *a)
{
    memset(a, 0, sizeof *a);
    a->items = json_array();
}

/* What an index gathers from its deltas before it is applied: G3
 * arguments_delta text (parsed at step.stop), and text deltas, written into
 * their item (obj, held) when the index moves on to another item, or at the
 * end. Appending to a JSON string copies it whole, which made a stream of
 * many small deltas quadratic (a hostile server could spin the transfer loop). */
struct sse_slot {
    struct buf args;
    json_t *obj;          /* the text item the gathered text belongs to, or NULL */
    struct buf text;
};

/* The state of index idx (0..4096, checked by slot()), grown as needed. */
static struct sse_slot *per_index(struct sse_asm *a, long idx)
{
    if ((size_t)idx >= a->nper) {
        size_t n = (size_t)idx + 1;
        struct sse_slot *np = realloc(a->per, n * sizeof *np);
        if (!np)
            return NULL;
        for (size_t i = a->nper; i < n; i++) {
            buf_init(&np[i].args, 64u << 20);
            np[i].obj = NULL;
            buf_init(&np[i].text, (size_t)SSE_ASM_MAX);
        }
        a->per = np;
        a->nper = n;
    }
    return &a->per[idx];
}

static void flush(struct sse_asm *a, size_t idx)
{
    struct sse_slot *p = idx < a->nper ? &a->per[idx] : NULL;
    if (!p || !p->obj)
        return;
    if (p->text.len) {
        const char *old = jx_str(p->obj, "text");
        struct buf all;
        buf_init(&all, BUF_UNLIMITED);
        if (!(old && buf_puts(&all, old)) && !buf_append(&all, p->text.data, p->text.len))
            json_object_set_new(p->obj, "text", json_stringn(all.data, all.len));
        buf_free(&all);
    }
    json_decref(p->obj);
    p->obj = NULL;
    buf_reset(&p->text);
}

static void flush_all(struct sse_asm *a)
{
    for (size_t i = 0; i < a->nper; i++)
        flush(a, i);
}

/* Queue text s for the "text" of obj, the item at index idx. */
static int pend_text(struct sse_asm *a, long idx, json_t *obj, const char *s)
{
    struct sse_slot *p = per_index(a, idx);
    if (!p)
        return GB_ENOMEM;
    if (p->obj != obj) {
        flush(a, (size_t)idx);
        p->obj = json_incref(obj);
    }
    return buf_puts(&p->text, s);
}

void sse_asm_free(struct sse_asm *a)
{
    json_decref(a->interaction);
    json_decref(a->items);
    for (size_t i = 0; i < a->nper; i++) {
        buf_free(&a->per[i].args);
        json_decref(a->per[i].obj);
        buf_free(&a->per[i].text);
    }
    free(a->per);
    memset(a, 0, sizeof *a);
}

static json_t *slot(struct sse_asm *a, long idx)
{
    if (idx < 0 || idx > 4096)
        return NULL;
    while ((long)json_array_size(a->items) <= idx)
        json_array_append_new(a->items, json_object());
    return json_array_get(a->items, (size_t)idx);
}

/* A thought's pieces: summary parts and its signature, kept so that a
 * conversation sent back whole carries them (G1 and G3 alike). Text pieces
 * of the summary are joined through the slot's pending text, so a flood of
 * tiny deltas costs linear time and memory. */
static void thought_delta(struct sse_asm *a, json_t *target, long idx, const char *t,
                          json_t *delta)
{
    json_object_set_new(target, "type", json_string("thought"));
    if (!strcmp(t, "thought_signature")) {
        json_t *sig = json_object_get(delta, "signature");
        if (json_is_string(sig))
            json_object_set(target, "signature", sig);
        return;
    }
    json_t *part = jx_obj(delta, "content");
    if (!part)
        return;
    json_t *summary = jx_arr(target, "summary");
    if (!summary) {
        summary = json_array();
        json_object_set_new(target, "summary", summary);
    }
    json_t *last = json_array_get(summary, json_array_size(summary) - 1);
    const char *pt = jx_str(part, "type"), *lt = last ? jx_str(last, "type") : NULL;
    const char *more = jx_str(part, "text");
    if (pt && lt && !strcmp(pt, "text") && !strcmp(lt, "text") && more) {
        pend_text(a, idx, last, more);
        return;
    }
    flush(a, (size_t)idx);
    json_array_append_new(summary, json_deep_copy(part));
}

/* Apply a delta to a G1 content item (or the content list of a G3 step). */
static void apply_delta(struct sse_asm *a, json_t *target, long idx, json_t *delta)
{
    const char *t = jx_str(delta, "type");
    if (!t)
        return;
    if (!strcmp(t, "thought_summary") || !strcmp(t, "thought_signature")) {
        thought_delta(a, target, idx, t, delta);
        return;
    }
    if (a->g3) {
        if (!strcmp(t, "arguments_delta")) {
            struct sse_slot *p = per_index(a, idx);
            const char *s = jx_str(delta, "arguments");
            if (p && s)
                buf_puts(&p->args, s);
            return;
        }
        const char *st = jx_str(target, "type");
        if (st && !strcmp(st, "model_output")) {
            json_t *content = jx_arr(target, "content");
            if (!content) {
                content = json_array();
                json_object_set_new(target, "content", content);
            }
            json_t *last = json_array_get(content, json_array_size(content) - 1);
            if (!strcmp(t, "text") && last && jx_str(last, "type") &&
                !strcmp(jx_str(last, "type"), "text")) {
                const char *s = jx_str(delta, "text");
                if (s)
                    pend_text(a, idx, last, s);
            } else if (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
                       !strcmp(t, "video") || !strcmp(t, "document")) {
                json_array_append_new(content, json_deep_copy(delta));
            }
            return;
        }
        /* tool steps: fields arrive in the delta */
        const char *k;
        json_t *v;
        json_object_foreach(delta, k, v) if (strcmp(k, "type")) json_object_set(target, k, v);
        return;
    }
    if (!strcmp(t, "text")) {
        const char *s = jx_str(delta, "text");
        if (!jx_str(target, "type"))
            json_object_set_new(target, "type", json_string("text"));
        if (s)
            pend_text(a, idx, target, s);
        return;
    }
    flush(a, (size_t)idx); /* the fields below may include "text" */
    if (!strcmp(t, "thought"))
        return; /* the guide's unconfirmed {"type":"thought","thought":"..."} */
    const char *k;
    json_t *v;
    if (!jx_str(target, "type"))
        json_object_set_new(target, "type", json_string(t));
    json_object_foreach(delta, k, v) if (strcmp(k, "type")) json_object_set(target, k, v);
}

int sse_asm_event(struct sse_asm *a, const char *data, size_t len)
{
    if (len >= 6 && !memcmp(data, "[DONE]", 6)) {
        a->done = a->done || a->interaction != NULL;
        return 0;
    }
    a->bytes += len;
    if (a->bytes > SSE_ASM_MAX)
        return GB_ELIMIT;
    json_t *ev = json_loadb(data, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(ev)) {
        json_decref(ev);
        return GB_EINVAL;
    }
    const char *type = jx_str(ev, "event_type");
    long long idx = 0;
    jx_int(ev, "index", &idx);
    if (!type) {
        json_decref(ev);
        return GB_EINVAL;
    }
    if (!strncmp(type, "step.", 5) || !strcmp(type, "interaction.created") ||
        !strcmp(type, "interaction.completed"))
        a->g3 = 1;
    if (!strcmp(type, "interaction.start") || !strcmp(type, "interaction.created") ||
        !strcmp(type, "interaction.complete") || !strcmp(type, "interaction.completed")) {
        json_t *it = jx_obj(ev, "interaction");
        if (it) {
            json_decref(a->interaction);
            a->interaction = json_incref(it);
        }
        if (!strcmp(type, "interaction.complete") || !strcmp(type, "interaction.completed"))
            a->done = 1;
    } else if (!strcmp(type, "content.start") || !strcmp(type, "step.start")) {
        json_t *s = slot(a, (long)idx);
        json_t *c = json_object_get(ev, a->g3 ? "step" : "content");
        if (s && json_is_object(c)) {
            flush(a, (size_t)idx);
            json_object_update(s, c);
        }
    } else if (!strcmp(type, "content.delta") || !strcmp(type, "step.delta")) {
        if (!a->first_delta_us)
            a->first_delta_us = now_us();
        json_t *s = slot(a, (long)idx);
        json_t *d = jx_obj(ev, "delta");
        if (s && d)
            apply_delta(a, s, (long)idx, d);
    } else if (!strcmp(type, "step.stop") && a->g3) {
        json_t *s = slot(a, (long)idx);
        if (s && (size_t)idx < a->nper && a->per[idx].args.len) {
            json_t *args = json_loads(a->per[idx].args.data, 0, NULL);
            if (args)
                json_object_set_new(s, "arguments", args);
        }
    } else if (!strcmp(type, "interaction.status_update")) {
        const char *st = jx_str(ev, "status");
        if (st && a->interaction)
            json_object_set_new(a->interaction, "status", json_string(st));
    } else if (!strcmp(type, "error")) {
        json_t *e = jx_obj(ev, "error");
        a->error = 1;
        snprintf(a->error_msg, sizeof a->error_msg, "%s",
                 e && jx_str(e, "message") ? jx_str(e, "message") : "error event in the stream");
        snprintf(a->error_code, sizeof a->error_code, "%s",
                 e && jx_str(e, "code") ? jx_str(e, "code") : "");
    }
    json_decref(ev);
    return 0;
}

json_t *sse_asm_result(struct sse_asm *a)
{
    if (!a->done || !a->interaction)
        return NULL;
    flush_all(a);
    json_t *it = json_deep_copy(a->interaction);
    const char *key = a->g3 ? "steps" : "outputs";
    json_t *have = json_object_get(it, key);
    if (!json_is_array(have) || !json_array_size(have))
        json_object_set(it, key, a->items);
    if (!jx_str(it, "status"))
        json_object_set_new(it, "status", json_string("completed"));
    return it;
}
