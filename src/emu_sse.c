/* emu_sse.c: Server-Sent Events for both SDK generations (reference 5): the
 * G1 family (interaction.start, content.start/delta/stop,
 * interaction.complete) and the G3 family (interaction.created,
 * step.start/delta/stop, interaction.completed). Events are derived from the
 * finished Interaction alone, so a replay after last_event_id yields the very
 * same events and ids as the first stream. Knows nothing of HTTP. */
#include "emu_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TEXT_PIECE 48 /* bytes of text per delta event */

struct ev {
    json_t *list;
    const char *iid;
    int k;
};

static int push(struct ev *v, const char *type, json_t *payload)
{
    char id[96];
    if (!payload)
        return -1;
    snprintf(id, sizeof id, "%s_e%d", v->iid, v->k++);
    json_t *o = json_pack("{s:s, s:s}", "event_type", type, "event_id", id);
    if (!o || json_object_update(o, payload) || json_array_append_new(v->list, o)) {
        json_decref(o);
        json_decref(payload);
        return -1;
    }
    json_decref(payload);
    return 0;
}

/* The interaction as the opening event shows it: running, no outputs yet. */
static json_t *opening(const json_t *in)
{
    json_t *o = json_object();
    static const char *const keys[] = {"id", "object", "model", "agent", "created", "updated",
                                       "role", "previous_interaction_id", "service_tier"};
    for (size_t i = 0; o && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *v = json_object_get(in, keys[i]);
        if (v)
            json_object_set(o, keys[i], v);
    }
    if (o)
        json_object_set_new(o, "status", json_string("in_progress"));
    return o;
}

/* Split text into pieces of about TEXT_PIECE bytes, never inside a UTF-8
 * sequence; calls emit for each piece. */
static int text_deltas(struct ev *v, const char *family_delta, int index, const char *text)
{
    size_t n = strlen(text), off = 0;
    do {
        size_t k = n - off > TEXT_PIECE ? TEXT_PIECE : n - off;
        while (off + k < n && k > 1 && ((unsigned char)text[off + k] & 0xc0) == 0x80)
            k--;
        json_t *d = json_pack("{s:i, s:{s:s, s:s%}}", "index", index, "delta", "type", "text",
                              "text", text + off, k);
        if (push(v, family_delta, d))
            return -1;
        off += k;
    } while (off < n);
    return 0;
}

/* The head of a tool item or step: its type and identifying fields. */
static json_t *head_of(const json_t *o)
{
    json_t *h = json_object();
    static const char *const keys[] = {"type", "id", "call_id", "name", "server_name",
                                       "mime_type"};
    for (size_t i = 0; h && i < sizeof keys / sizeof keys[0]; i++) {
        json_t *x = json_object_get(o, keys[i]);
        if (x)
            json_object_set(h, keys[i], x);
    }
    return h;
}

/* A thought as the service streams it: its summary parts as thought_summary
 * deltas, then its signature as a thought_signature delta. */
static int thought_deltas(struct ev *v, const char *family_delta, int index, const json_t *o)
{
    size_t k;
    const json_t *part;
    json_array_foreach(json_object_get(o, "summary"), k, part) {
        if (push(v, family_delta,
                 json_pack("{s:i, s:{s:s, s:O}}", "index", index, "delta", "type",
                           "thought_summary", "content", part)))
            return -1;
    }
    const json_t *sig = json_object_get(o, "signature");
    if (json_is_string(sig) &&
        push(v, family_delta,
             json_pack("{s:i, s:{s:s, s:O}}", "index", index, "delta", "type",
                       "thought_signature", "signature", sig)))
        return -1;
    return 0;
}

static int error_event(struct ev *v, const json_t *in)
{
    const char *st = json_string_value(json_object_get(in, "status"));
    int cancelled = st && !strcmp(st, "cancelled");
    return push(v, "error",
                json_pack("{s:{s:s, s:s}}", "error", "code", cancelled ? "CANCELLED" : "INTERNAL",
                          "message",
                          cancelled ? "The interaction was cancelled." : "The interaction failed."));
}

static int g1_events(struct ev *v, const json_t *in)
{
    if (push(v, "interaction.start", json_pack("{s:o}", "interaction", opening(in))))
        return -1;
    const char *st = json_string_value(json_object_get(in, "status"));
    if (st && (!strcmp(st, "failed") || !strcmp(st, "cancelled")))
        return error_event(v, in);
    size_t i;
    const json_t *o;
    json_array_foreach(json_object_get(in, "outputs"), i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        int idx = (int)i;
        if (push(v, "content.start",
                 json_pack("{s:i, s:o}", "index", idx, "content", head_of(o))))
            return -1;
        if (t && !strcmp(t, "text")) {
            if (text_deltas(v, "content.delta", idx,
                            json_string_value(json_object_get(o, "text")) ?: ""))
                return -1;
        } else if (t && !strcmp(t, "thought")) {
            if (thought_deltas(v, "content.delta", idx, o))
                return -1;
        } else if (push(v, "content.delta",
                        json_pack("{s:i, s:O}", "index", idx, "delta", o))) {
            return -1;
        }
        if (push(v, "content.stop", json_pack("{s:i}", "index", idx)))
            return -1;
    }
    return push(v, "interaction.complete", json_pack("{s:O}", "interaction", in));
}

static int g3_events(struct ev *v, const json_t *in)
{
    if (push(v, "interaction.created", json_pack("{s:o}", "interaction", opening(in))))
        return -1;
    const char *st = json_string_value(json_object_get(in, "status"));
    if (st && (!strcmp(st, "failed") || !strcmp(st, "cancelled")))
        return error_event(v, in);
    size_t i;
    const json_t *s;
    json_array_foreach(json_object_get(in, "steps"), i, s) {
        const char *t = json_string_value(json_object_get(s, "type"));
        int idx = (int)i;
        if (t && !strcmp(t, "model_output")) {
            if (push(v, "step.start",
                     json_pack("{s:i, s:{s:s}}", "index", idx, "step", "type", "model_output")))
                return -1;
            size_t k;
            const json_t *c;
            json_array_foreach(json_object_get(s, "content"), k, c) {
                const char *ct = json_string_value(json_object_get(c, "type"));
                if (ct && !strcmp(ct, "text")) {
                    if (text_deltas(v, "step.delta", idx,
                                    json_string_value(json_object_get(c, "text")) ?: ""))
                        return -1;
                } else if (push(v, "step.delta",
                                json_pack("{s:i, s:O}", "index", idx, "delta", c))) {
                    return -1;
                }
            }
        } else if (t && !strcmp(t, "function_call")) {
            /* the call comes in step.start, its arguments as JSON text deltas */
            char *args = json_dumps(json_object_get(s, "arguments"), JSON_COMPACT | JSON_ENCODE_ANY);
            int rc = push(v, "step.start", json_pack("{s:i, s:o}", "index", idx, "step", head_of(s)));
            if (!rc)
                rc = push(v, "step.delta",
                          json_pack("{s:i, s:{s:s, s:s}}", "index", idx, "delta", "type",
                                    "arguments_delta", "arguments", args ? args : "{}"));
            free(args);
            if (rc)
                return -1;
        } else if (t && !strcmp(t, "thought")) {
            if (push(v, "step.start", json_pack("{s:i, s:o}", "index", idx, "step", head_of(s))) ||
                thought_deltas(v, "step.delta", idx, s))
                return -1;
        } else {
            if (push(v, "step.start", json_pack("{s:i, s:o}", "index", idx, "step", head_of(s))) ||
                push(v, "step.delta", json_pack("{s:i, s:O}", "index", idx, "delta", s)))
                return -1;
        }
        if (push(v, "step.stop", json_pack("{s:i}", "index", idx)))
            return -1;
    }
    return push(v, "interaction.completed", json_pack("{s:O}", "interaction", in));
}

json_t *emu_sse_events(const json_t *interaction, int dialect)
{
    struct ev v = {json_array(), json_string_value(json_object_get(interaction, "id")), 0};
    if (!v.list || !v.iid)
        goto fail;
    if ((dialect == EMU_G3 ? g3_events : g1_events)(&v, interaction))
        goto fail;
    return v.list;
fail:
    json_decref(v.list);
    return NULL;
}

int emu_sse_frame(struct buf *out, const json_t *event)
{
    const char *t = json_string_value(json_object_get(event, "event_type"));
    int rc = buf_printf(out, "event: %s\ndata: ", t ? t : "message");
    if (!rc)
        rc = jf_append(out, event);
    if (!rc)
        rc = buf_puts(out, "\n\n");
    return rc;
}

int emu_sse_render(const json_t *events, const char *after_id, struct buf *out)
{
    size_t start = 0;
    if (after_id) {
        size_t i;
        const json_t *e;
        int found = 0;
        json_array_foreach(events, i, e) {
            const char *id = json_string_value(json_object_get(e, "event_id"));
            if (id && !strcmp(id, after_id)) {
                start = i + 1;
                found = 1;
                break;
            }
        }
        if (!found)
            return -1;
    }
    for (size_t i = start; i < json_array_size(events); i++)
        if (emu_sse_frame(out, json_array_get(events, i)))
            return GB_ENOMEM;
    return 0;
}
