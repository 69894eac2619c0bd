/* response.c: parse Interaction resources and error envelopes in both
 * dialects. Pure: no I/O, no retries (retry.c decides what an outcome means). */
#include "response.h"
#include "jfast.h"
#include "jsonx.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const statuses[] = {
    "completed", "in_progress", "requires_action", "failed", "cancelled", "incomplete",
    "budget_exceeded", "queued", "requires_continuation", "idle", NULL};

int resp_status_terminal(const char *s)
{
    return s && (!strcmp(s, "completed") || !strcmp(s, "failed") || !strcmp(s, "cancelled") ||
                 !strcmp(s, "incomplete") || !strcmp(s, "budget_exceeded"));
}

static long long usage_get(const json_t *u, const char *a, const char *b)
{
    long long v = 0;
    if (!jx_int(u, a, &v))
        return v;
    if (b && !jx_int(u, b, &v))
        return v;
    return 0;
}

static const char *const modality_names[USAGE_NMOD] = {"text", "image", "audio", "video",
                                                       "document"};

const char *usage_modality_name(enum usage_modality m)
{
    return (unsigned)m < USAGE_NMOD ? modality_names[m] : "?";
}

int usage_modality_of(const char *name)
{
    for (int i = 0; name && i < USAGE_NMOD; i++)
        if (!strcasecmp(name, modality_names[i]))
            return i;
    return -1;
}

void usage_add(struct usage *acc, const struct usage *u)
{
    acc->input += u->input;
    acc->output += u->output;
    acc->total += u->total;
    acc->thought += u->thought;
    acc->cached += u->cached;
    acc->tool += u->tool;
    acc->initial_input += u->initial_input;
    for (int m = 0; m < USAGE_NMOD; m++) {
        acc->input_by[m] += u->input_by[m];
        acc->output_by[m] += u->output_by[m];
        acc->cached_by[m] += u->cached_by[m];
        acc->tool_by[m] += u->tool_by[m];
    }
}

/* [{modality, tokens}] into by[] (both dialects; G1 names fewer modalities).
 * An entry with an unknown modality, or no count, counts nowhere: prices.c
 * bills what the breakdown does not cover at the text rate. A count that is
 * not a non-negative integer is dropped rather than trusted. */
static void by_modality(const json_t *u, const char *key, long long by[USAGE_NMOD])
{
    json_t *a = jx_arr(u, key);
    size_t i;
    json_t *e;
    json_array_foreach(a, i, e) {
        int m = usage_modality_of(jx_str(e, "modality"));
        long long n;
        if (m >= 0 && !jx_int(e, "tokens", &n) && n >= 0)
            by[m] += n;
    }
}

void resp_usage_from_json(const json_t *u, struct usage *out)
{
    memset(out, 0, sizeof *out);
    out->input = usage_get(u, "total_input_tokens", NULL);
    out->output = usage_get(u, "total_output_tokens", NULL);
    out->total = usage_get(u, "total_tokens", NULL);
    out->thought = usage_get(u, "total_thought_tokens", "total_reasoning_tokens");
    out->cached = usage_get(u, "total_cached_tokens", NULL);
    out->tool = usage_get(u, "total_tool_use_tokens", NULL);
    out->initial_input = usage_get(u, "initial_input_tokens", NULL);
    by_modality(u, "input_tokens_by_modality", out->input_by);
    by_modality(u, "output_tokens_by_modality", out->output_by);
    by_modality(u, "cached_tokens_by_modality", out->cached_by);
    by_modality(u, "tool_use_tokens_by_modality", out->tool_by);
    if (!out->total)
        out->total = out->input + out->output + out->thought + out->tool;
}

/* G3 steps -> G1-style content list: model_output/user_input contents are
 * spliced in; tool and thought steps are items of their own. user_input
 * steps (an echo of the request) are skipped. */
static json_t *flatten_steps(json_t *steps)
{
    json_t *out = json_array();
    size_t i;
    json_t *st;
    json_array_foreach(steps, i, st) {
        const char *t = jx_str(st, "type");
        if (!t)
            continue;
        if (!strcmp(t, "user_input"))
            continue;
        if (!strcmp(t, "model_output")) {
            json_t *c = jx_arr(st, "content");
            size_t k;
            json_t *item;
            json_array_foreach(c, k, item) json_array_append(out, item);
            continue;
        }
        json_array_append(out, st);
    }
    return out;
}

int resp_from_json(json_t *doc, struct interaction *it, struct gb_err *err)
{
    memset(it, 0, sizeof *it);
    if (!json_is_object(doc))
        return GB_FAIL(err, GB_EINVAL, "response is not a JSON object");
    it->doc = json_incref(doc);
    it->status = jx_str(doc, "status");
    it->id = jx_str(doc, "id");
    int known = 0;
    for (int i = 0; it->status && statuses[i]; i++)
        known |= !strcmp(it->status, statuses[i]);
    if (!it->status || !known) {
        interaction_free(it);
        return GB_FAIL(err, GB_EINVAL, "response has no valid Interaction \"status\"");
    }
    it->model = jx_str(doc, "model");
    it->service_tier = jx_str(doc, "service_tier");
    if (!it->model)
        it->model = jx_str(doc, "agent");
    json_t *outputs = json_object_get(doc, "outputs");
    json_t *steps = json_object_get(doc, "steps");
    if ((outputs && !json_is_array(outputs) && !json_is_null(outputs)) ||
        (steps && !json_is_array(steps) && !json_is_null(steps))) {
        interaction_free(it);
        return GB_FAIL(err, GB_EINVAL, "response \"outputs\"/\"steps\" is not an array");
    }
    if (json_is_array(outputs) && (json_array_size(outputs) || !json_is_array(steps)))
        it->outputs = json_incref(outputs);
    else if (json_is_array(steps))
        it->outputs = flatten_steps(steps);
    else
        it->outputs = json_array();
    json_t *u = jx_obj(doc, "usage");
    if (u) {
        it->has_usage = 1;
        resp_usage_from_json(u, &it->usage);
    }
    return 0;
}

int resp_parse_interaction(const char *body, size_t len, struct interaction *out,
                           struct gb_err *err)
{
    json_error_t je;
    memset(out, 0, sizeof *out);
    /* the fast parser takes the common case; jansson the rest (and explains
     * errors). A model may answer U+0000 (valid JSON): not a reason to pay for
     * a retry. */
    json_t *doc = jf_parse(body, len);
    if (!doc)
        doc = json_loadb(body, len, JSON_ALLOW_NUL, &je);
    if (!doc)
        return GB_FAIL(err, GB_EINVAL, "response is not valid JSON (%s at byte %d)", je.text,
                       je.position);
    int rc = resp_from_json(doc, out, err);
    json_decref(doc);
    return rc;
}

void interaction_free(struct interaction *it)
{
    if (!it)
        return;
    json_decref(it->outputs);
    json_decref(it->doc);
    memset(it, 0, sizeof *it);
}

char *resp_text(const json_t *outputs)
{
    size_t total = 0, i;
    json_t *item;
    json_array_foreach(outputs, i, item) {
        const char *t = jx_str(item, "type");
        json_t *txt = json_object_get(item, "text");
        if (t && !strcmp(t, "text") && json_is_string(txt))
            total += json_string_length(txt);
    }
    char *r = malloc(total + 1), *p = r;
    if (!r)
        return NULL;
    json_array_foreach(outputs, i, item) {
        const char *t = jx_str(item, "type");
        json_t *txt = json_object_get(item, "text");
        if (t && !strcmp(t, "text") && json_is_string(txt)) {
            memcpy(p, json_string_value(txt), json_string_length(txt));
            p += json_string_length(txt);
        }
    }
    *p = '\0';
    return r;
}

long resp_duration_ms(const char *s)
{
    if (!s)
        return -1;
    char *end;
    double v = strtod(s, &end);
    if (end == s || !(v >= 0)) /* NaN too */
        return -1;
    if (v > 1e9) /* a server's "1e30s": cap it so the conversion to long stays defined */
        v = 1e9;
    if (!strcmp(end, "s") || !*end)
        return (long)(v * 1000.0 + 0.5);
    if (!strcmp(end, "ms"))
        return (long)(v + 0.5);
    return -1;
}

const char *resp_status_name(long http)
{
    switch (http) {
    case 400: return "INVALID_ARGUMENT";
    case 401: return "UNAUTHENTICATED";
    case 403: return "PERMISSION_DENIED";
    case 404: return "NOT_FOUND";
    case 408: return "DEADLINE_EXCEEDED";
    case 409: return "ABORTED";
    case 413: return "INVALID_ARGUMENT";
    case 429: return "RESOURCE_EXHAUSTED";
    case 499: return "CANCELLED";
    case 500: return "INTERNAL";
    case 501: return "UNIMPLEMENTED";
    case 503: return "UNAVAILABLE";
    case 504: return "DEADLINE_EXCEEDED";
    }
    return http >= 500 ? "UNKNOWN" : "FAILED_PRECONDITION";
}

/* "HTTP 502: <the start of the body>", when the body says nothing better. */
static void body_start(struct api_error *e, const char *body, size_t len, long http)
{
    size_t n = len < 200 ? len : 200;
    int printable = 1;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)body[i] < 0x20 && body[i] != '\n' && body[i] != '\t')
            printable = 0;
    if (n && printable)
        snprintf(e->message, sizeof e->message, "HTTP %ld: %.*s", http, (int)n, body);
    else
        snprintf(e->message, sizeof e->message, "HTTP %ld", http);
}

void resp_parse_error(const char *body, size_t len, long http, struct api_error *e)
{
    memset(e, 0, sizeof *e);
    e->code = http;
    e->retry_delay_ms = -1;
    json_t *doc = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    json_t *er = doc ? jx_obj(doc, "error") : NULL;
    if (er) {
        long long c;
        if (!jx_int(er, "code", &c))
            e->code = (long)c;
        const char *st = jx_str(er, "status");
        const char *msg = jx_str(er, "message");
        snprintf(e->status, sizeof e->status, "%s", st ? st : resp_status_name(http));
        if (msg && *msg)
            snprintf(e->message, sizeof e->message, "%s", msg);
        else /* an envelope without a message: show what came */
            body_start(e, body, len, http);
        json_t *details = jx_arr(er, "details");
        size_t i;
        json_t *d;
        json_array_foreach(details, i, d) {
            const char *ty = jx_str(d, "@type");
            if (ty && strstr(ty, "google.rpc.RetryInfo"))
                e->retry_delay_ms = resp_duration_ms(jx_str(d, "retryDelay"));
            if (ty && strstr(ty, "google.rpc.ErrorInfo") && jx_str(d, "reason"))
                snprintf(e->reason, sizeof e->reason, "%s", jx_str(d, "reason"));
        }
    } else {
        snprintf(e->status, sizeof e->status, "%s", resp_status_name(http));
        body_start(e, body, len, http);
    }
    json_decref(doc);
}

int resp_auth_refused(const struct api_error *e, long http)
{
    return http == 401 || http == 403 || !strcmp(e->reason, "API_KEY_INVALID") ||
           !strcmp(e->status, "UNAUTHENTICATED");
}
