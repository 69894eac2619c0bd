/* emu_request.c: a create body, parsed and validated like the service does:
 * model or agent, the transport flags, previous_interaction_id, tools, both
 * response_format shapes, generation_config, service_tier, the answer hash;
 * the input is emu_input.c's. It owns no server state: stored interactions
 * and files are reached through struct emu_env, so tests can run it with
 * fakes. */
#include "emu_int.h"
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- known names ------------------------------------------------------------ */

static const char *const known_models[] = {
    "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
    "gemini-3-flash-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image",
    "gemini-2.5-flash-image-preview", "gemini-2.0-flash", "gemini-2.0-flash-001",
    "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001", "gemini-2.5-flash-preview-09-2025",
    "gemini-2.5-flash-lite-preview-09-2025", "gemini-flash-latest", "gemini-flash-lite-latest",
    "gemini-pro-latest", "gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts",
};

static const char *const known_agents[] = {
    "deep-research-pro-preview-12-2025",
    "deep-research-preview-04-2026",
};

static const char *strip_models(const char *name)
{
    return strncmp(name, "models/", 7) ? name : name + 7;
}

int emu_known_model(const char *name)
{
    name = strip_models(name);
    for (size_t i = 0; i < sizeof known_models / sizeof known_models[0]; i++)
        if (!strcmp(name, known_models[i]))
            return 1;
    return 0;
}

int emu_known_agent(const char *name)
{
    if (!strncmp(name, "agents/", 7))
        name += 7;
    for (size_t i = 0; i < sizeof known_agents / sizeof known_agents[0]; i++)
        if (!strcmp(name, known_agents[i]))
            return 1;
    return 0;
}

static int bad_field(struct emu_err *e, const char *where, const char *what)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s': %s", where, what);
}

/* ---- top-level fields ------------------------------------------------------------ */

static int opt_bool(struct emu_err *e, const json_t *body, const char *key, int def, int *out)
{
    const json_t *v = json_object_get(body, key);
    if (!v || json_is_null(v)) {
        *out = def;
        return 0;
    }
    if (!json_is_boolean(v))
        return bad_field(e, key, "expected true or false");
    *out = json_is_true(v);
    return 0;
}

static int schema_ref(const struct emu_env *env, const json_t *doc, const char *where,
                      struct emu_schema_ref **out, struct emu_err *e)
{
    struct gb_err ge;
    gb_err_clear(&ge);
    if (emu_schema_get(env->schemas, doc, out, &ge) == 0)
        return 0;
    if (ge.code == GB_ENOMEM)
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid JSON Schema at '%s': %s", where,
                    ge.msg);
}

static int tools(const struct emu_env *env, struct emu_call *c, struct emu_err *e)
{
    const json_t *tl = json_object_get(c->body, "tools");
    char path[64];
    if (!tl || json_is_null(tl))
        return 0;
    if (!json_is_array(tl))
        return bad_field(e, "tools", "expected a list of tools");
    size_t n = json_array_size(tl);
    c->tool_schemas = calloc(n ? n : 1, sizeof *c->tool_schemas);
    if (!c->tool_schemas)
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    c->ntools = n;
    for (size_t i = 0; i < n; i++) {
        const json_t *t = json_array_get(tl, i);
        snprintf(path, sizeof path, "tools[%zu].type", i);
        const char *type = json_string_value(json_object_get(t, "type"));
        if (!json_is_object(t) || !type)
            return bad_field(e, path, "a tool needs a string 'type'");
        if (!emu_tool_type_known(type))
            return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s' (\"%s\")", path,
                            type);
        snprintf(path, sizeof path, "tools[%zu]", i);
        if (emu_check_tool(t, type, c->dialect, path, e))
            return -1;
        if (strcmp(type, "function"))
            continue;
        snprintf(path, sizeof path, "tools[%zu].name", i);
        if (!json_is_string(json_object_get(t, "name")))
            return bad_field(e, path, "a function tool needs a 'name'");
        const json_t *params = json_object_get(t, "parameters");
        if (params && !json_is_null(params)) {
            snprintf(path, sizeof path, "tools[%zu].parameters", i);
            if (!json_is_object(params))
                return bad_field(e, path, "expected a JSON Schema object");
            if (schema_ref(env, params, path, &c->tool_schemas[i], e))
                return -1;
        }
    }
    return 0;
}

static int response_format(const struct emu_env *env, struct emu_call *c, struct emu_err *e)
{
    const json_t *rf = json_object_get(c->body, "response_format");
    if (!rf || json_is_null(rf))
        return 0;
    const json_t *schema = NULL;
    const char *t = json_string_value(json_object_get(rf, "type"));
    int wrapper = json_is_array(rf) ||
                  (t && (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
                         !strcmp(t, "video")));
    if (!json_is_object(rf) && !json_is_array(rf))
        return bad_field(e, "response_format", "expected a JSON Schema or a response format");
    if (!wrapper) {
        schema = rf; /* G1: the bare JSON Schema */
    } else {
        size_t n = json_is_array(rf) ? json_array_size(rf) : 1;
        for (size_t i = 0; i < n; i++) {
            const json_t *w = json_is_array(rf) ? json_array_get(rf, i) : rf;
            char path[64];
            snprintf(path, sizeof path, json_is_array(rf) ? "response_format[%zu]" : "response_format",
                     i);
            const char *wt = json_string_value(json_object_get(w, "type"));
            if (!json_is_object(w) || !wt)
                return bad_field(e, path, "a response format needs a string 'type'");
            if (!strcmp(wt, "text")) {
                const json_t *s = json_object_get(w, "schema");
                if (s && !json_is_null(s))
                    schema = s;
            } else if (!strcmp(wt, "image")) {
                c->want_image = 1;
            } else if (!strcmp(wt, "audio")) {
                c->want_audio = 1;
            } else if (!strcmp(wt, "video")) {
                return emu_fail(e, 400, "INVALID_ARGUMENT",
                                "Video output is not supported by model %s.",
                                c->model ? c->model : c->agent);
            } else {
                return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s.type' (\"%s\")",
                                path, wt);
            }
        }
    }
    if (!schema)
        return 0;
    if (!json_is_object(schema) && !json_is_boolean(schema))
        return bad_field(e, "response_format.schema", "expected a JSON Schema");
    return schema_ref(env, schema, "response_format", &c->schema, e);
}

static int modalities(struct emu_call *c, struct emu_err *e)
{
    const json_t *m = json_object_get(c->body, "response_modalities");
    if (!m || json_is_null(m))
        return 0;
    if (!json_is_array(m))
        return bad_field(e, "response_modalities", "expected a list of strings");
    size_t i;
    const json_t *x;
    json_array_foreach(m, i, x) {
        const char *s = json_string_value(x);
        char path[64];
        snprintf(path, sizeof path, "response_modalities[%zu]", i);
        if (!s)
            return bad_field(e, path, "expected a string");
        /* the guide sends ["IMAGE"], the G1 types say 'image': any case */
        if (!strcasecmp(s, "image"))
            c->want_image = 1;
        else if (!strcasecmp(s, "audio"))
            c->want_audio = 1;
        else if (strcasecmp(s, "text") && strcasecmp(s, "video") && strcasecmp(s, "document"))
            return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s' (\"%s\")", path, s);
    }
    return 0;
}

static int generation_config(struct emu_call *c, struct emu_err *e)
{
    const json_t *g = json_object_get(c->body, "generation_config");
    if (!g || json_is_null(g))
        return 0;
    if (!json_is_object(g))
        return bad_field(e, "generation_config", "expected an object");
    const json_t *v = json_object_get(g, "max_output_tokens");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return bad_field(e, "generation_config.max_output_tokens",
                             "expected a positive integer");
        c->max_output_tokens = (long)json_integer_value(v);
    }
    v = json_object_get(g, "temperature");
    if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 2))
        return bad_field(e, "generation_config.temperature", "expected a number in [0, 2]");
    v = json_object_get(g, "top_p");
    if (v && (!json_is_number(v) || json_number_value(v) < 0 || json_number_value(v) > 1))
        return bad_field(e, "generation_config.top_p", "expected a number in [0, 1]");
    v = json_object_get(g, "thinking_level");
    if (v && !json_is_string(v))
        return bad_field(e, "generation_config.thinking_level", "expected a string");
    c->thinking_level = json_string_value(v);
    v = json_object_get(g, "thinking_summaries");
    if (v && (!json_is_string(v) || (strcmp(json_string_value(v), "auto") &&
                                     strcmp(json_string_value(v), "none"))))
        return bad_field(e, "generation_config.thinking_summaries", "expected \"auto\" or \"none\"");
    c->thinking_summaries = v && !strcmp(json_string_value(v), "auto");
    v = json_object_get(g, "tool_choice");
    if (json_is_string(v) && !strcmp(json_string_value(v), "none"))
        c->tool_choice_none = 1;
    const json_t *mode = json_object_get(json_object_get(v, "allowed_tools"), "mode");
    if ((json_is_string(v) && !strcmp(json_string_value(v), "any")) ||
        (json_is_string(mode) && !strcmp(json_string_value(mode), "any")))
        c->tool_choice_any = 1;
    return 0;
}

/* service_tier: the three documented lowercase names (uppercase "FLEX" is
 * refused by the service, reported by a client library); "deferred" is
 * documented for Vertex only. */
static int service_tier(struct emu_call *c, struct emu_err *e)
{
    const json_t *v = json_object_get(c->body, "service_tier");
    if (!v || json_is_null(v))
        return 0;
    if (!json_is_string(v))
        return bad_field(e, "service_tier", "expected \"standard\", \"flex\" or \"priority\"");
    const char *s = json_string_value(v);
    for (int t = EMU_TIER_STANDARD; t <= EMU_TIER_PRIORITY; t++)
        if (!strcmp(s, emu_tier_name(t))) {
            c->tier = t;
            return 0;
        }
    if (!strcmp(s, "deferred"))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid value at 'service_tier' (\"deferred\"): the deferred tier is not "
                        "available on this API; use \"standard\", \"flex\" or \"priority\".");
    return emu_fail(e, 400, "INVALID_ARGUMENT",
                    "Invalid value at 'service_tier' (\"%.40s\"): expected \"standard\", \"flex\" or "
                    "\"priority\".",
                    s);
}

/* The answer depends on the seed and the body minus the transport fields, so
 * a streamed, a background and a plain request get the same outputs; and
 * minus service_tier, so every tier gets the same answer and usage (a
 * client's pricing per tier can be checked exactly). A turn that continues a
 * conversation hashes the previous answer's hash (prev), not its id: ids are
 * random, and the same conversation must get the same answer in every run. */
static int answer_hash(uint64_t seed, const struct emu_call *c, const uint8_t *prev,
                       uint8_t out[32])
{
    json_t *copy = json_copy(c->body); /* shallow: shares the children */
    int rc = -1;
    if (copy) {
        json_object_del(copy, "stream");
        json_object_del(copy, "background");
        json_object_del(copy, "store");
        json_object_del(copy, "service_tier");
        json_object_del(copy, "previous_interaction_id");
        rc = emu_answer_hash(seed, NULL, 0, prev, copy, c, out);
    }
    json_decref(copy);
    return rc;
}

int emu_call_parse(const struct emu_env *env, const char *path, const struct emu_hdrs *h,
                   const char *body, size_t len, struct emu_call *c, struct emu_err *e)
{
    json_error_t je;
    memset(c, 0, sizeof *c);
    c->body = jf_parse(body, len);
    if (!c->body) /* unusual or wrong: jansson decides, and explains */
        c->body = json_loadb(body, len, 0, &je);
    if (!c->body)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid JSON payload received. %s at line %d, column %d.", je.text,
                        je.line, je.column);
    c->fn_results = json_array();
    if (!c->fn_results) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        goto fail;
    }
    if (!json_is_object(c->body)) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "Invalid JSON payload received. Expected an object at the top level.");
        goto fail;
    }
    if (emu_check_request_fields(c->body, e))
        goto fail;
    c->dialect = emu_dialect(path, h, c->body);
    const json_t *model = json_object_get(c->body, "model");
    const json_t *agent = json_object_get(c->body, "agent");
    if (json_is_null(model))
        model = NULL;
    if (json_is_null(agent))
        agent = NULL;
    if ((model && !json_is_string(model)) || (agent && !json_is_string(agent))) {
        bad_field(e, model && !json_is_string(model) ? "model" : "agent", "expected a string");
        goto fail;
    }
    c->model = json_string_value(model);
    c->agent = json_string_value(agent);
    if (!c->model && !c->agent) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "Either 'model' or 'agent' must be specified.");
        goto fail;
    }
    if (c->model && c->agent) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "Only one of 'model' or 'agent' may be specified.");
        goto fail;
    }
    const char *ver = path && !strncmp(path, "/v1/", 4) ? "v1" : "v1beta";
    if (c->model && !emu_known_model(c->model)) {
        emu_fail(e, 404, "NOT_FOUND",
                 "models/%s is not found for API version %s, or is not supported for "
                 "interactions.",
                 strip_models(c->model), ver);
        goto fail;
    }
    if (c->agent && !emu_known_agent(c->agent)) {
        emu_fail(e, 404, "NOT_FOUND", "agents/%s is not found for API version %s.", c->agent,
                 ver);
        goto fail;
    }
    const json_t *gc = json_object_get(c->body, "generation_config");
    const json_t *ac = json_object_get(c->body, "agent_config");
    if (c->agent && gc && !json_is_null(gc)) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "'generation_config' cannot be used with an agent; use 'agent_config'.");
        goto fail;
    }
    if (c->model && ac && !json_is_null(ac)) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "'agent_config' cannot be used with a model; use 'generation_config'.");
        goto fail;
    }
    if (ac && !json_is_null(ac) && !json_is_object(ac)) {
        bad_field(e, "agent_config", "expected an object");
        goto fail;
    }
    if (opt_bool(e, c->body, "stream", 0, &c->stream) ||
        opt_bool(e, c->body, "background", 0, &c->background) ||
        opt_bool(e, c->body, "store", 1, &c->store))
        goto fail;
    if (c->background && !c->store) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "'background' requires 'store' to be true: a background interaction is read "
                 "back with a get.");
        goto fail;
    }
    if (c->agent && !c->background) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "Agent %s only runs in the background; set 'background' to true.", c->agent);
        goto fail;
    }
    const json_t *si = json_object_get(c->body, "system_instruction");
    if (si && !json_is_null(si)) {
        if (!json_is_string(si)) {
            bad_field(e, "system_instruction", "expected a string");
            goto fail;
        }
        c->text_chars += json_string_length(si);
    }
    const json_t *prev = json_object_get(c->body, "previous_interaction_id");
    int prev_turns = 0;
    uint8_t prev_hash[32];
    if (prev && !json_is_null(prev)) {
        if (!json_is_string(prev)) {
            bad_field(e, "previous_interaction_id", "expected a string");
            goto fail;
        }
        c->prev_id = json_string_value(prev);
        struct emu_prev pv = {0};
        if (!env->prev || env->prev(env->ctx, c->prev_id, &pv)) {
            emu_fail(e, 404, "NOT_FOUND", "Interaction '%s' was not found.", c->prev_id);
            goto fail;
        }
        prev_turns = pv.turns_total;
        c->history_tokens = pv.tokens;
        c->tools = pv.tools; /* inherited unless the request sends its own */
        memcpy(prev_hash, pv.hash, sizeof prev_hash);
    }
    const json_t *in = json_object_get(c->body, "input");
    if (!in || json_is_null(in)) {
        if (!c->prev_id && !json_object_get(c->body, "continuation_token")) {
            emu_fail(e, 400, "INVALID_ARGUMENT", "'input' is required.");
            goto fail;
        }
    } else {
        if (emu_input_walk(env, in, c, e))
            goto fail;
    }
    c->turns += prev_turns;
    if (tools(env, c, e))
        goto fail;
    const json_t *tl = json_object_get(c->body, "tools");
    if (json_is_array(tl)) {
        json_decref(c->tools);
        c->tools = json_incref((json_t *)tl);
    }
    if (generation_config(c, e) || modalities(c, e) || response_format(env, c, e) ||
        service_tier(c, e))
        goto fail;
    const char *name = c->model ? c->model : c->agent;
    if (strstr(name, "image"))
        c->want_image = 1;
    if (answer_hash(env->seed, c, c->prev_id ? prev_hash : NULL, c->hash)) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        goto fail;
    }
    return 0;
fail:
    emu_call_free(c);
    return -1;
}

void emu_call_free(struct emu_call *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->nparts; i++)
        free(c->parts[i].uri);
    free(c->parts);
    for (size_t i = 0; i < c->ntools; i++)
        emu_schema_put(c->tool_schemas[i]);
    free(c->tool_schemas);
    emu_schema_put(c->schema);
    json_decref(c->tools);
    json_decref(c->fn_results);
    json_decref(c->loaded);
    json_decref(c->body);
    memset(c, 0, sizeof *c);
}
