/* gencontent.c: Interactions requests as GenerateContentRequests and
 * GenerateContentResponses as Interactions, for Batch Mode. Pure: no I/O;
 * what cannot be expressed is said, never dropped silently. */
#include "gencontent.h"
#include "jsonx.h"

#include <stdio.h>
#include <string.h>

/* ---- requests ------------------------------------------------------------------------ */

static int is_media(const char *t)
{
    return t && (!strcmp(t, "image") || !strcmp(t, "audio") || !strcmp(t, "video") ||
                 !strcmp(t, "document"));
}

/* One content item as a Part; NULL with *why for what a Part cannot hold. */
static json_t *part_of(const json_t *item, const char **why)
{
    if (json_is_string(item))
        return json_pack("{s:O}", "text", item);
    const char *t = jx_str(item, "type");
    if (t && !strcmp(t, "text"))
        return json_pack("{s:s}", "text", jx_str(item, "text") ? jx_str(item, "text") : "");
    if (is_media(t)) {
        const char *mime = jx_str(item, "mime_type");
        json_t *data = json_object_get(item, "data");
        const char *uri = jx_str(item, "uri");
        if (json_is_string(data))
            return json_pack("{s:{s:s,s:O}}", "inlineData", "mimeType", mime ? mime : "", "data",
                             data);
        if (uri)
            return json_pack("{s:{s:s,s:s}}", "fileData", "mimeType", mime ? mime : "",
                             "fileUri", uri);
        *why = "a media part with neither data nor uri";
        return NULL;
    }
    if (t && (!strcmp(t, "thought") || !strcmp(t, "thought_summary")))
        return json_pack("{s:b,s:s}", "thought", 1, "text", "");
    *why = "an input item that is not content (a tool call or its result)";
    return NULL;
}

/* Parts of a content value: a string, one item, or a list of items. */
static json_t *parts_of(const json_t *c, const char **why)
{
    json_t *parts = json_array();
    if (json_is_array(c)) {
        size_t i;
        json_t *it;
        json_array_foreach (c, i, it) {
            json_t *p = part_of(it, why);
            if (!p) {
                json_decref(parts);
                return NULL;
            }
            if (json_object_get(p, "thought")) { /* our own thoughts do not go back */
                json_decref(p);
                continue;
            }
            json_array_append_new(parts, p);
        }
        return parts;
    }
    json_t *p = part_of(c, why);
    if (!p) {
        json_decref(parts);
        return NULL;
    }
    json_array_append_new(parts, p);
    return parts;
}

/* The conversation: a string or content list is one user turn; role/content
 * turns and G3 steps (user_input, model_output) keep their turns. */
static json_t *contents_of(const json_t *input, const char **why)
{
    json_t *first = json_is_array(input) ? json_array_get(input, 0) : NULL;
    const char *ft = first ? jx_str(first, "type") : NULL;
    int turns = first && (json_object_get(first, "role") ||
                          (ft && (!strcmp(ft, "user_input") || !strcmp(ft, "model_output"))));
    json_t *contents = json_array();
    if (!turns) {
        json_t *parts = parts_of(input, why);
        if (!parts) {
            json_decref(contents);
            return NULL;
        }
        json_array_append_new(contents, json_pack("{s:s,s:o}", "role", "user", "parts", parts));
        return contents;
    }
    size_t i;
    json_t *turn;
    json_array_foreach (input, i, turn) {
        const char *role = jx_str(turn, "role"), *ty = jx_str(turn, "type");
        if (!role && ty)
            role = !strcmp(ty, "model_output") ? "model" : !strcmp(ty, "user_input") ? "user" : NULL;
        if (!role) {
            *why = "an input step that is not a user or model turn (a tool call or its result)";
            json_decref(contents);
            return NULL;
        }
        json_t *parts = parts_of(json_object_get(turn, "content"), why);
        if (!parts) {
            json_decref(contents);
            return NULL;
        }
        json_array_append_new(contents,
                              json_pack("{s:s,s:o}", "role", strcmp(role, "model") ? "user" : "model",
                                        "parts", parts));
    }
    return contents;
}

/* The reason naming a field or a tool type (what *why points to then):
 * one per thread, overwritten by the next refusal. */
static __thread char why_named[160];

/* generation_config (snake_case) into generationConfig (camelCase). */
static int generation_config(const json_t *gc, json_t *out, const char **why)
{
    static const struct {
        const char *from, *to;
    } same[] = {{"temperature", "temperature"},
                {"top_p", "topP"},
                {"top_k", "topK"},
                {"max_output_tokens", "maxOutputTokens"},
                {"stop_sequences", "stopSequences"},
                {"seed", "seed"},
                {"presence_penalty", "presencePenalty"},
                {"frequency_penalty", "frequencyPenalty"},
                {"candidate_count", "candidateCount"}};
    const char *k;
    json_t *v;
    json_t *thinking = NULL;
    json_object_foreach ((json_t *)gc, k, v) {
        size_t i;
        for (i = 0; i < sizeof same / sizeof same[0]; i++)
            if (!strcmp(k, same[i].from)) {
                json_object_set(out, same[i].to, v);
                break;
            }
        if (i < sizeof same / sizeof same[0])
            continue;
        if (!thinking)
            thinking = json_object();
        if (!strcmp(k, "thinking_level") && json_is_string(v)) {
            char up[32];
            size_t n = 0;
            for (const char *s = json_string_value(v); *s && n < sizeof up - 1; s++)
                up[n++] = (char)(*s >= 'a' && *s <= 'z' ? *s - 32 : *s);
            up[n] = '\0';
            json_object_set_new(thinking, "thinkingLevel", json_string(up));
        } else if (!strcmp(k, "thinking_budget")) {
            json_object_set(thinking, "thinkingBudget", v);
        } else if (!strcmp(k, "thinking_summaries")) {
            json_object_set_new(thinking, "includeThoughts",
                                json_boolean(json_is_string(v) &&
                                             !strcmp(json_string_value(v), "auto")));
        } else {
            json_decref(thinking);
            snprintf(why_named, sizeof why_named,
                     "generation_config.%.64s (a field the Batch API has no name for)", k);
            *why = why_named;
            return -1;
        }
    }
    if (thinking && json_object_size(thinking))
        json_object_set(out, "thinkingConfig", thinking);
    json_decref(thinking);
    return 0;
}

static json_t *tools_of(const json_t *tools, const char **why)
{
    json_t *decls = json_array(), *out = json_array();
    size_t i;
    json_t *t;
    json_array_foreach (tools, i, t) {
        const char *ty = jx_str(t, "type");
        if (ty && !strcmp(ty, "function")) {
            json_t *d = json_pack("{s:s?}", "name", jx_str(t, "name"));
            if (jx_str(t, "description"))
                json_object_set(d, "description", json_object_get(t, "description"));
            if (json_object_get(t, "parameters"))
                json_object_set(d, "parameters", json_object_get(t, "parameters"));
            json_array_append_new(decls, d);
        } else if (ty && !strcmp(ty, "google_search")) {
            json_array_append_new(out, json_pack("{s:{}}", "googleSearch"));
        } else if (ty && !strcmp(ty, "code_execution")) {
            json_array_append_new(out, json_pack("{s:{}}", "codeExecution"));
        } else if (ty && !strcmp(ty, "url_context")) {
            json_array_append_new(out, json_pack("{s:{}}", "urlContext"));
        } else {
            json_decref(decls);
            json_decref(out);
            snprintf(why_named, sizeof why_named,
                     "a tool of type '%.64s' (the Batch API has no form for it)", ty ? ty : "?");
            *why = why_named;
            return NULL;
        }
    }
    if (json_array_size(decls))
        json_array_append_new(out, json_pack("{s:o}", "functionDeclarations", decls));
    else
        json_decref(decls);
    return out;
}

int gc_request(const json_t *ireq, const json_t *schema, json_t **out, const char **why)
{
    *out = NULL;
    *why = NULL;
    if (json_object_get(ireq, "agent"))
        return *why = "an agent (agents run as background interactions)", -1;
    if (jx_bool(ireq, "background", 0))
        return *why = "background work", -1;
    if (json_object_get(ireq, "previous_interaction_id"))
        return *why = "a previous interaction (the Batch API stores none)", -1;
    json_t *req = json_object(), *gen = json_object();
    json_t *contents = contents_of(json_object_get(ireq, "input"), why);
    if (!contents)
        goto fail;
    json_object_set_new(req, "contents", contents);
    json_t *si = json_object_get(ireq, "system_instruction");
    if (si) {
        json_t *parts = parts_of(si, why);
        if (!parts)
            goto fail;
        json_object_set_new(req, "systemInstruction", json_pack("{s:o}", "parts", parts));
    }
    json_t *gc = json_object_get(ireq, "generation_config");
    if (gc && generation_config(gc, gen, why))
        goto fail;
    if (schema) {
        json_object_set_new(gen, "responseMimeType", json_string("application/json"));
        json_object_set(gen, "responseJsonSchema", (json_t *)schema);
    }
    json_t *mod = json_object_get(ireq, "response_modalities");
    if (json_is_array(mod))
        json_object_set(gen, "responseModalities", mod);
    if (json_object_size(gen))
        json_object_set(req, "generationConfig", gen);
    json_t *tools = json_object_get(ireq, "tools");
    if (json_array_size(tools)) {
        json_t *t = tools_of(tools, why);
        if (!t)
            goto fail;
        json_object_set_new(req, "tools", t);
    }
    json_decref(gen);
    *out = req;
    return 0;
fail:
    json_decref(gen);
    json_decref(req);
    return -1;
}

const char *gc_pipeline_unsupported(const json_t *doc, int has_tool_programs, int nsteps)
{
    if (json_object_get(doc, "agent"))
        return "an agent (agents run as background interactions, which the Batch API does not "
               "take)";
    if (jx_bool(doc, "background", 0))
        return "background work";
    if (nsteps > 1)
        return "steps after the first (each depends on the answer before it)";
    if (has_tool_programs)
        return "function tools answered by local programs (tool turns)";
    /* what every job inherits is checked once, here, so the run is refused
     * at the start instead of failing each job */
    const char *why = NULL;
    const json_t *gc = json_object_get(doc, "generation_config");
    if (json_is_object(gc)) {
        json_t *tmp = json_object();
        int bad = !tmp || generation_config(gc, tmp, &why);
        json_decref(tmp);
        if (bad)
            return why ? why : "generation_config (out of memory)";
    }
    const json_t *tools = json_object_get(doc, "tools");
    if (json_array_size(tools)) {
        json_t *t = tools_of(tools, &why);
        if (!t)
            return why ? why : "tools (out of memory)";
        json_decref(t);
    }
    return NULL;
}

/* ---- responses ------------------------------------------------------------------------ */

static const char *modality_lower(const char *m)
{
    static const struct {
        const char *up, *low;
    } map[] = {{"TEXT", "text"}, {"IMAGE", "image"}, {"AUDIO", "audio"},
               {"VIDEO", "video"}, {"DOCUMENT", "document"}};
    for (size_t i = 0; m && i < sizeof map / sizeof map[0]; i++)
        if (!strcmp(m, map[i].up))
            return map[i].low;
    return NULL;
}

static void add_details(json_t *u, const char *key, const json_t *details)
{
    json_t *out = json_array();
    size_t i;
    json_t *d;
    json_array_foreach (details, i, d) {
        const char *m = modality_lower(jx_str(d, "modality"));
        long long n;
        if (m && !jx_int(d, "tokenCount", &n))
            json_array_append_new(out, json_pack("{s:s,s:I}", "modality", m, "tokens", (json_int_t)n));
    }
    if (json_array_size(out))
        json_object_set_new(u, key, out);
    else
        json_decref(out);
}

/* usageMetadata as an Interactions usage object. */
static json_t *usage_of(const json_t *um)
{
    long long in = 0, out = 0, total = 0, thought = 0, cached = 0, tool = 0;
    jx_int(um, "promptTokenCount", &in);
    jx_int(um, "candidatesTokenCount", &out);
    jx_int(um, "totalTokenCount", &total);
    jx_int(um, "thoughtsTokenCount", &thought);
    jx_int(um, "cachedContentTokenCount", &cached);
    jx_int(um, "toolUsePromptTokenCount", &tool);
    json_t *u = json_pack("{s:I,s:I,s:I}", "total_input_tokens", (json_int_t)in,
                          "total_output_tokens", (json_int_t)out, "total_tokens",
                          (json_int_t)(total ? total : in + out + thought + tool));
    if (thought)
        json_object_set_new(u, "total_thought_tokens", json_integer(thought));
    if (cached)
        json_object_set_new(u, "total_cached_tokens", json_integer(cached));
    if (tool)
        json_object_set_new(u, "total_tool_use_tokens", json_integer(tool));
    add_details(u, "input_tokens_by_modality", jx_arr(um, "promptTokensDetails"));
    add_details(u, "output_tokens_by_modality", jx_arr(um, "candidatesTokensDetails"));
    add_details(u, "cached_tokens_by_modality", jx_arr(um, "cacheTokensDetails"));
    return u;
}

static json_t *failed(const char *id, const char *model, const char *msg, json_t *usage)
{
    json_t *o = json_pack("{s:s,s:s,s:s?,s:[],s:[{s:s}]}", "id", id ? id : "", "status", "failed",
                          "model", model, "outputs", "errors", "message", msg);
    if (usage)
        json_object_set_new(o, "usage", usage);
    return o;
}

json_t *gc_interaction(const json_t *resp, const json_t *line_error, const char *model,
                       const char *id)
{
    if (line_error || !json_is_object(resp)) {
        char msg[600];
        long long code = 0;
        jx_int(line_error, "code", &code);
        snprintf(msg, sizeof msg, "the batch answered this request with an error (code %lld): %.500s",
                 code, jx_str(line_error, "message") ? jx_str(line_error, "message") : "no message");
        return failed(id, model, msg, NULL);
    }
    json_t *usage = usage_of(jx_obj(resp, "usageMetadata"));
    const char *mv = jx_str(resp, "modelVersion");
    if (mv)
        model = mv;
    const char *blocked = jx_str(jx_obj(resp, "promptFeedback"), "blockReason");
    json_t *cand = json_array_get(jx_arr(resp, "candidates"), 0);
    if (blocked || !cand) {
        char msg[200];
        snprintf(msg, sizeof msg, blocked ? "the prompt was blocked (%s)"
                                          : "the answer has no candidate%s",
                 blocked ? blocked : "");
        return failed(id, model, msg, usage);
    }
    const char *finish = jx_str(cand, "finishReason");
    json_t *outputs = json_array();
    size_t i;
    json_t *p;
    json_array_foreach (jx_arr(jx_obj(cand, "content"), "parts"), i, p) {
        if (jx_bool(p, "thought", 0))
            continue;
        json_t *inl = jx_obj(p, "inlineData"), *fc = jx_obj(p, "functionCall");
        if (jx_str(p, "text")) {
            json_array_append_new(outputs,
                                  json_pack("{s:s,s:O}", "type", "text", "text",
                                            json_object_get(p, "text")));
        } else if (inl && jx_str(inl, "data")) {
            const char *mime = jx_str(inl, "mimeType");
            const char *kind = mime && !strncmp(mime, "image/", 6)   ? "image"
                               : mime && !strncmp(mime, "audio/", 6) ? "audio"
                                                                     : "document";
            json_array_append_new(outputs, json_pack("{s:s,s:s?,s:O}", "type", kind, "mime_type",
                                                     mime, "data", json_object_get(inl, "data")));
        } else if (fc) {
            json_t *f = json_pack("{s:s,s:s?}", "type", "function_call", "name",
                                  jx_str(fc, "name"));
            if (json_object_get(fc, "args"))
                json_object_set(f, "arguments", json_object_get(fc, "args"));
            if (jx_str(fc, "id"))
                json_object_set(f, "id", json_object_get(fc, "id"));
            json_array_append_new(outputs, f);
        }
    }
    const char *status = "completed";
    if (finish && strcmp(finish, "STOP") && strcmp(finish, "MAX_TOKENS") &&
        strcmp(finish, "FINISH_REASON_UNSPECIFIED")) {
        char msg[200];
        snprintf(msg, sizeof msg, "the answer stopped: %s", finish);
        json_decref(outputs);
        return failed(id, model, msg, usage);
    }
    if (finish && !strcmp(finish, "MAX_TOKENS"))
        status = "incomplete";
    return json_pack("{s:s,s:s,s:s?,s:o,s:o}", "id", id ? id : "", "status", status, "model",
                     model, "outputs", outputs, "usage", usage);
}
