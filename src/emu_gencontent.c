/* emu_gencontent.c: one GenerateContentRequest (a Batch API line or inline
 * request), in camelCase or snake_case, checked key by key and turned into
 * the interactions model's struct emu_call, so emu_model.c writes the answer
 * (text, schema instances, PNGs, usage at the same rates); then that answer
 * as a GenerateContentResponse. Owns no state: files are reached through
 * struct emu_env, as for interactions. */
#include "emu_int.h"
#include "b64.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---- names in either case ---------------------------------------------------- */

int emu_name_is(const char *key, const char *camel)
{
    const char *k = key;
    for (const char *c = camel; *c; c++) {
        if (isupper((unsigned char)*c)) {
            if (*k == *c) { /* camelCase so far */
                k++;
                continue;
            }
            if (*k != '_' || k[1] != tolower((unsigned char)*c))
                return 0;
            k += 2;
        } else if (*k++ != *c) {
            return 0;
        }
    }
    return !*k;
}

const json_t *emu_field(const json_t *o, const char *camel)
{
    const char *k;
    const json_t *v;
    if (!json_is_object(o))
        return NULL;
    v = json_object_get(o, camel);
    if (v)
        return json_is_null(v) ? NULL : v;
    json_object_foreach((json_t *)o, k, v) {
        if (emu_name_is(k, camel))
            return json_is_null(v) ? NULL : v;
    }
    return NULL;
}

int emu_keys_known(const json_t *o, const char *const *known, const char *where,
                   struct emu_err *e)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)o, k, v) {
        int ok = 0;
        for (size_t i = 0; known[i] && !ok; i++)
            ok = emu_name_is(k, known[i]);
        if (!ok)
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid JSON payload received. Unknown name \"%.60s\" at '%s': "
                            "Cannot find field.",
                            k, where);
    }
    return 0;
}

static int bad(struct emu_err *e, const char *where, const char *what)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s': %s", where, what);
}

int emu_rpc_code(const char *status)
{
    static const char *const codes[] = {
        "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
        "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
        "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
        "UNAUTHENTICATED"};
    for (int i = 0; status && i < (int)(sizeof codes / sizeof codes[0]); i++)
        if (!strcmp(status, codes[i]))
            return i;
    return 2;
}

/* ---- parts -------------------------------------------------------------------- */

static const char *const part_keys[] = {
    "text", "inlineData", "fileData", "thought", "thoughtSignature", "functionCall",
    "functionResponse", "executableCode", "codeExecutionResult", "videoMetadata",
    "mediaResolution", "partMetadata", NULL};

static int add_part(struct emu_call *c, size_t *cap, struct emu_part *p, struct emu_err *e)
{
    if (c->nparts == *cap) {
        size_t ncap = *cap ? *cap * 2 : 4;
        struct emu_part *np = realloc(c->parts, ncap * sizeof *np);
        if (!np) {
            free(p->uri);
            return emu_fail(e, 500, "INTERNAL", "out of memory");
        }
        c->parts = np;
        *cap = ncap;
    }
    c->parts[c->nparts++] = *p;
    return 0;
}

static int inline_data(struct emu_call *c, size_t *cap, const json_t *d, const char *where,
                       struct emu_err *e)
{
    static const char *const keys[] = {"mimeType", "data", NULL};
    struct emu_part p;
    char path[128];
    memset(&p, 0, sizeof p);
    p.f.seconds = -1;
    if (!json_is_object(d))
        return bad(e, where, "expected an object");
    if (emu_keys_known(d, keys, where, e))
        return -1;
    const json_t *mime = emu_field(d, "mimeType"), *data = emu_field(d, "data");
    snprintf(path, sizeof path, "%.100s.data", where);
    if (!json_is_string(data))
        return bad(e, path, "expected a base64 string");
    if (emu_b64_facts(json_string_value(data), json_string_length(data), &p.f))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid value at '%s' (TYPE_BYTES), Base64 decoding failed.", path);
    if (mime && !json_is_string(mime)) {
        snprintf(path, sizeof path, "%.100s.mime_type", where);
        return bad(e, path, "expected a string");
    }
    const char *m = mime ? json_string_value(mime) : p.f.sniffed;
    if (!m || !*m) {
        snprintf(path, sizeof path, "%.100s.mime_type", where);
        return bad(e, path, "mime_type is required for inline data");
    }
    snprintf(p.mime, sizeof p.mime, "%s", m);
    p.kind = emu_media_kind_of_mime(p.mime);
    return add_part(c, cap, &p, e);
}

static int file_data(const struct emu_env *env, struct emu_call *c, size_t *cap, const json_t *d,
                     const char *where, struct emu_err *e)
{
    static const char *const keys[] = {"mimeType", "fileUri", NULL};
    struct emu_part p;
    char path[128], uri[512], fmime[96] = "", fname[64] = "";
    memset(&p, 0, sizeof p);
    p.f.seconds = -1;
    if (!json_is_object(d))
        return bad(e, where, "expected an object");
    if (emu_keys_known(d, keys, where, e))
        return -1;
    const json_t *mime = emu_field(d, "mimeType"), *u = emu_field(d, "fileUri");
    snprintf(path, sizeof path, "%.100s.file_uri", where);
    if (!json_is_string(u) || !json_string_length(u))
        return bad(e, path, "a file_data part needs a file_uri");
    /* a bare "files/ID" names one of ours, as the service's own uri does */
    if (!strncmp(json_string_value(u), "files/", 6))
        snprintf(uri, sizeof uri, "https://generativelanguage.googleapis.com/v1beta/%s",
                 json_string_value(u));
    else
        snprintf(uri, sizeof uri, "%s", json_string_value(u));
    if (json_is_string(mime))
        snprintf(p.mime, sizeof p.mime, "%s", json_string_value(mime));
    int st = env->file ? env->file(env->ctx, uri, &p.f, fmime, sizeof fmime, fname, sizeof fname)
                       : EMU_FILE_NOT_OURS;
    if (st == EMU_FILE_UNKNOWN)
        return emu_fail(e, 404, "NOT_FOUND", "File %s not found.", fname[0] ? fname : uri);
    if (st == EMU_FILE_PROCESSING || st == EMU_FILE_FAILED)
        return emu_fail(e, 400, "FAILED_PRECONDITION",
                        "The File %s is not in an ACTIVE state and usage is not allowed.", fname);
    if (!(p.uri = strdup(uri)))
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    if (st == EMU_FILE_ACTIVE) {
        snprintf(p.file, sizeof p.file, "%s", fname);
        if (!p.mime[0])
            snprintf(p.mime, sizeof p.mime, "%s", fmime);
    } else {
        if (strncmp(uri, "https://", 8) && strncmp(uri, "http://", 7) && strncmp(uri, "gs://", 5)) {
            free(p.uri);
            return bad(e, path, "unsupported URI scheme (use https://, gs:// or a file uri)");
        }
        p.remote = 1;
        if (!p.mime[0])
            snprintf(p.mime, sizeof p.mime, "application/octet-stream");
    }
    p.kind = emu_media_kind_of_mime(p.mime);
    return add_part(c, cap, &p, e);
}

static int part(const struct emu_env *env, struct emu_call *c, size_t *cap, const json_t *pt,
                const char *where, struct emu_err *e)
{
    char path[128];
    if (!json_is_object(pt))
        return bad(e, where, "expected a Part object");
    if (emu_keys_known(pt, part_keys, where, e))
        return -1;
    const json_t *v;
    if ((v = emu_field(pt, "text"))) {
        if (!json_is_string(v)) {
            snprintf(path, sizeof path, "%.100s.text", where);
            return bad(e, path, "expected a string");
        }
        c->text_chars += json_string_length(v);
        c->last_text = json_string_value(v);
    }
    if ((v = emu_field(pt, "thoughtSignature")))
        c->signatures_in++;
    if ((v = emu_field(pt, "inlineData"))) {
        snprintf(path, sizeof path, "%.100s.inline_data", where);
        if (inline_data(c, cap, v, path, e))
            return -1;
    }
    if ((v = emu_field(pt, "fileData"))) {
        snprintf(path, sizeof path, "%.100s.file_data", where);
        if (file_data(env, c, cap, v, path, e))
            return -1;
    }
    static const char *const as_text[] = {"functionCall", "functionResponse", "executableCode",
                                          "codeExecutionResult"};
    for (size_t i = 0; i < sizeof as_text / sizeof as_text[0]; i++)
        if ((v = emu_field(pt, as_text[i]))) {
            char *s = jf_dump(v, NULL);
            if (!s)
                return emu_fail(e, 500, "INTERNAL", "out of memory");
            c->text_chars += strlen(s);
            free(s);
        }
    return 0;
}

/* A Content: {role, parts}. */
static int content(const struct emu_env *env, struct emu_call *c, size_t *cap, const json_t *ct,
                   const char *where, struct emu_err *e)
{
    static const char *const keys[] = {"role", "parts", NULL};
    char path[128];
    if (!json_is_object(ct))
        return bad(e, where, "expected a Content object");
    if (emu_keys_known(ct, keys, where, e))
        return -1;
    const json_t *role = emu_field(ct, "role"), *parts = emu_field(ct, "parts");
    if (role && (!json_is_string(role) || (strcmp(json_string_value(role), "user") &&
                                           strcmp(json_string_value(role), "model") &&
                                           strcmp(json_string_value(role), "function")))) {
        snprintf(path, sizeof path, "%.100s.role", where);
        return bad(e, path, "role must be \"user\" or \"model\"");
    }
    if (parts && !json_is_array(parts)) {
        snprintf(path, sizeof path, "%.100s.parts", where);
        return bad(e, path, "expected a list of parts");
    }
    size_t i;
    const json_t *pt;
    json_array_foreach(parts, i, pt) {
        snprintf(path, sizeof path, "%.90s.parts[%zu]", where, i);
        if (part(env, c, cap, pt, path, e))
            return -1;
    }
    return 0;
}

/* ---- responseSchema: the OpenAPI subset as JSON Schema ---------------------------- */

static json_t *openapi(const json_t *s, int depth, struct emu_err *e)
{
    if (depth > 64) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "responseSchema is nested too deeply.");
        return NULL;
    }
    if (!json_is_object(s)) {
        bad(e, "generation_config.response_schema", "expected a Schema object");
        return NULL;
    }
    json_t *o = json_object();
    const char *k;
    const json_t *v;
    /* k drives json_object_foreach: the output key is ok */
    json_object_foreach((json_t *)s, k, v) {
        json_t *nv = NULL;
        const char *ok = k;
        if (emu_name_is(k, "type") && json_is_string(v)) {
            char t[32];
            snprintf(t, sizeof t, "%s", json_string_value(v));
            for (char *p = t; *p; p++)
                *p = (char)tolower((unsigned char)*p);
            nv = json_string(t);
            ok = "type";
        } else if (emu_name_is(k, "properties") && json_is_object(v)) {
            const char *pk;
            const json_t *pv;
            nv = json_object();
            json_object_foreach((json_t *)v, pk, pv) {
                json_t *sub = openapi(pv, depth + 1, e);
                if (!sub) {
                    json_decref(nv);
                    json_decref(o);
                    return NULL;
                }
                json_object_set_new(nv, pk, sub);
            }
        } else if (emu_name_is(k, "items")) {
            nv = openapi(v, depth + 1, e);
            if (!nv) {
                json_decref(o);
                return NULL;
            }
        } else if (emu_name_is(k, "anyOf") && json_is_array(v)) {
            size_t i;
            const json_t *x;
            nv = json_array();
            json_array_foreach(v, i, x) {
                json_t *sub = openapi(x, depth + 1, e);
                if (!sub) {
                    json_decref(nv);
                    json_decref(o);
                    return NULL;
                }
                json_array_append_new(nv, sub);
            }
            ok = "anyOf";
        } else if (emu_name_is(k, "minItems") || emu_name_is(k, "maxItems") || emu_name_is(k, "minLength") ||
                   emu_name_is(k, "maxLength") || emu_name_is(k, "minProperties") ||
                   emu_name_is(k, "maxProperties")) {
            /* int64 fields: proto JSON may send them as strings */
            long long n = json_is_string(v) ? strtoll(json_string_value(v), NULL, 10)
                                            : (long long)json_integer_value(v);
            static const char *const camel[] = {"minItems", "maxItems", "minLength", "maxLength",
                                                "minProperties", "maxProperties"};
            for (size_t i = 0; i < 6; i++)
                if (emu_name_is(k, camel[i]))
                    ok = camel[i];
            nv = json_integer(n);
        } else if (emu_name_is(k, "nullable") || emu_name_is(k, "propertyOrdering") ||
                   emu_name_is(k, "example") || emu_name_is(k, "default")) {
            continue; /* nullable is applied below; the others do not constrain */
        } else {
            nv = json_deep_copy(v); /* required, enum, format, minimum, pattern, title, ... */
        }
        json_object_set_new(o, ok, nv);
    }
    const json_t *nullable = emu_field(s, "nullable");
    json_t *t = json_object_get(o, "type");
    if (json_is_true(nullable) && json_is_string(t))
        json_object_set_new(o, "type", json_pack("[s, s]", json_string_value(t), "null"));
    return o;
}

json_t *emu_gc_openapi_schema(const json_t *s, struct emu_err *e)
{
    return openapi(s, 0, e);
}

/* ---- generationConfig ----------------------------------------------------------------- */

static const char *const gen_keys[] = {
    "stopSequences", "responseMimeType", "responseSchema", "responseJsonSchema",
    "responseModalities", "candidateCount", "maxOutputTokens", "temperature", "topP", "topK",
    "seed", "presencePenalty", "frequencyPenalty", "responseLogprobs", "logprobs",
    "enableEnhancedCivicAnswers", "speechConfig", "thinkingConfig", "imageConfig",
    "mediaResolution", "audioTimestamp", "routingConfig", "enableAffectiveDialog",
    "audioTranscriptionConfig", NULL};

/* thinkingBudget as the nearest level not above it (minimal 16, low 64,
 * medium 128, high 256, xhigh 512 thought tokens); -1 (dynamic) is medium. */
static const char *level_of_budget(long long b)
{
    if (b == 0)
        return NULL;
    if (b < 0 || (b >= 128 && b < 256))
        return "medium";
    return b < 64 ? "minimal" : b < 128 ? "low" : b < 512 ? "high" : "xhigh";
}

static int thinking(struct emu_call *c, const json_t *tc, struct emu_err *e)
{
    static const char *const keys[] = {"includeThoughts", "thinkingBudget", "thinkingLevel", NULL};
    static const char *const levels[] = {"minimal", "low", "medium", "high", "xhigh"};
    const char *where = "generation_config.thinking_config";
    if (!json_is_object(tc))
        return bad(e, where, "expected an object");
    if (emu_keys_known(tc, keys, where, e))
        return -1;
    const json_t *budget = emu_field(tc, "thinkingBudget"), *level = emu_field(tc, "thinkingLevel");
    const json_t *inc = emu_field(tc, "includeThoughts");
    if (budget && level)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "thinking_budget and thinking_level cannot be set together.");
    if (budget) {
        if (!json_is_integer(budget) || json_integer_value(budget) < -1)
            return bad(e, "generation_config.thinking_config.thinking_budget",
                       "expected -1, 0 or a positive integer");
        c->thinking_level = level_of_budget(json_integer_value(budget));
    }
    if (level) {
        const char *s = json_string_value(level);
        for (size_t i = 0; s && i < sizeof levels / sizeof levels[0]; i++)
            if (!strcasecmp(s, levels[i]))
                c->thinking_level = levels[i];
        if (!c->thinking_level)
            return bad(e, "generation_config.thinking_config.thinking_level",
                       "expected MINIMAL, LOW, MEDIUM, HIGH or XHIGH");
    }
    if (inc && !json_is_boolean(inc))
        return bad(e, "generation_config.thinking_config.include_thoughts",
                   "expected true or false");
    c->thinking_summaries = json_is_true(inc);
    return 0;
}

static int number_in(const json_t *g, const char *camel, double lo, double hi, const char *where,
                     struct emu_err *e)
{
    const json_t *v = emu_field(g, camel);
    if (v && (!json_is_number(v) || json_number_value(v) < lo || json_number_value(v) > hi)) {
        char what[64];
        snprintf(what, sizeof what, "expected a number in [%g, %g]", lo, hi);
        return bad(e, where, what);
    }
    return 0;
}

/* The output schema, compiled: responseJsonSchema as it is, responseSchema
 * translated, or (JSON mode without a schema) any object. */
static int output_schema(const struct emu_env *env, struct emu_call *c, const json_t *g,
                         int *enum_mode, struct emu_err *e)
{
    const json_t *mt = emu_field(g, "responseMimeType");
    const json_t *js = emu_field(g, "responseJsonSchema"), *os = emu_field(g, "responseSchema");
    const char *mime = json_string_value(mt);
    if (mt && !mime)
        return bad(e, "generation_config.response_mime_type", "expected a string");
    if (mime && strcmp(mime, "text/plain") && strcmp(mime, "application/json") &&
        strcmp(mime, "text/x.enum"))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Unsupported response_mime_type '%.60s': use text/plain, "
                        "application/json or text/x.enum.",
                        mime);
    if (js && os)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "response_schema and response_json_schema cannot be set together.");
    int json_out = mime && !strcmp(mime, "application/json");
    *enum_mode = mime && !strcmp(mime, "text/x.enum");
    if ((js || os) && !json_out && !*enum_mode)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "A response schema needs response_mime_type application/json (or "
                        "text/x.enum for an enum).");
    if (!json_out && !*enum_mode)
        return 0;
    json_t *doc = NULL;
    if (js)
        doc = json_incref((json_t *)js);
    else if (os && !(doc = emu_gc_openapi_schema(os, e)))
        return -1;
    else if (!os && !(doc = json_pack("{s:s}", "type", *enum_mode ? "string" : "object")))
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    struct gb_err ge;
    gb_err_clear(&ge);
    int rc = emu_schema_get(env->schemas, doc, &c->schema, &ge);
    json_decref(doc);
    if (rc == GB_ENOMEM)
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    if (rc)
        return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid schema at "
                        "'generation_config.response_%sschema': %s", js ? "json_" : "", ge.msg);
    return 0;
}

static int generation_config(const struct emu_env *env, struct emu_call *c, const json_t *g,
                             int *enum_mode, struct emu_err *e)
{
    const char *where = "generation_config";
    if (!json_is_object(g))
        return bad(e, where, "expected an object");
    if (emu_keys_known(g, gen_keys, where, e))
        return -1;
    const json_t *v = emu_field(g, "maxOutputTokens");
    if (v) {
        if (!json_is_integer(v) || json_integer_value(v) < 1)
            return bad(e, "generation_config.max_output_tokens", "expected a positive integer");
        c->max_output_tokens = (long)json_integer_value(v);
    }
    if (number_in(g, "temperature", 0, 2, "generation_config.temperature", e) ||
        number_in(g, "topP", 0, 1, "generation_config.top_p", e))
        return -1;
    const json_t *m = emu_field(g, "responseModalities");
    if (m && !json_is_array(m))
        return bad(e, "generation_config.response_modalities", "expected a list of strings");
    size_t i;
    json_array_foreach(m, i, v) {
        const char *s = json_string_value(v);
        if (s && !strcasecmp(s, "image"))
            c->want_image = 1;
        else if (s && !strcasecmp(s, "audio"))
            c->want_audio = 1;
        else if (!s || strcasecmp(s, "text"))
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid value at 'generation_config.response_modalities[%zu]': "
                            "expected TEXT, IMAGE or AUDIO",
                            i);
    }
    if ((v = emu_field(g, "thinkingConfig")) && thinking(c, v, e))
        return -1;
    return output_schema(env, c, g, enum_mode, e);
}

/* ---- the request ------------------------------------------------------------------------- */

static const char *const req_keys[] = {
    "model", "contents", "systemInstruction", "tools", "toolConfig", "safetySettings",
    "cachedContent", "generationConfig", "labels", "serviceTier", "store", NULL};

/* The answer hash of a line (emu_answer_hash, salted with the route and the
 * model): the same line gets the same answer in any batch, as an interaction
 * does. */
static int answer_hash(uint64_t seed, const char *model, const json_t *req,
                       const struct emu_call *c, uint8_t out[32])
{
    char salt[16 + 128];
    int n = snprintf(salt, sizeof salt, "generateContent%c%s", 0, model);
    if (n < 0 || (size_t)n >= sizeof salt)
        return -1;
    return emu_answer_hash(seed, salt, (size_t)n + 1, NULL, req, c, out);
}

/* req as a call for the interactions model (*enum_mode: text/x.enum). */
static int to_call(const struct emu_env *env, const char *model, const json_t *req,
                   struct emu_call *c, int *enum_mode, struct emu_err *e)
{
    char path[64];
    size_t cap = 0;
    memset(c, 0, sizeof *c);
    const char *name = strncmp(model, "models/", 7) ? model : model + 7;
    c->body = json_pack("{s:s}", "model", name); /* owns the model name c->model points to */
    c->fn_results = json_array();
    if (!c->body || !c->fn_results)
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    c->model = json_string_value(json_object_get(c->body, "model"));
    c->dialect = EMU_G1;
    c->store = 1;
    if (!json_is_object(req))
        return bad(e, "request", "expected a GenerateContentRequest object");
    if (emu_keys_known(req, req_keys, "request", e))
        return -1;
    if (!emu_known_model(name))
        return emu_fail(e, 404, "NOT_FOUND",
                        "models/%s is not found for API version v1beta, or is not supported for "
                        "batchGenerateContent.",
                        name);
    const json_t *contents = emu_field(req, "contents");
    if (!json_is_array(contents) || !json_array_size(contents))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "* GenerateContentRequest.contents: contents is not specified");
    size_t i;
    const json_t *ct;
    json_array_foreach(contents, i, ct) {
        snprintf(path, sizeof path, "contents[%zu]", i);
        if (content(env, c, &cap, ct, path, e))
            return -1;
    }
    c->turns = (int)json_array_size(contents);
    const json_t *si = emu_field(req, "systemInstruction");
    if (si) {
        const char *last = c->last_text;
        if (content(env, c, &cap, si, "system_instruction", e))
            return -1;
        c->last_text = last; /* the prompt, not the instruction, is what tools would read */
    }
    const json_t *g = emu_field(req, "generationConfig");
    if (g && generation_config(env, c, g, enum_mode, e))
        return -1;
    if (strstr(name, "image"))
        c->want_image = 1;
    if (answer_hash(env->seed, name, req, c, c->hash))
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    return 0;
}

/* ---- the response -------------------------------------------------------------------------- */

static json_t *details(const json_t *by_modality)
{
    json_t *a = json_array();
    size_t i;
    const json_t *o;
    json_array_foreach(by_modality, i, o) {
        char m[16];
        snprintf(m, sizeof m, "%s", json_string_value(json_object_get(o, "modality")));
        for (char *p = m; *p; p++)
            *p = (char)toupper((unsigned char)*p);
        json_array_append_new(a, json_pack("{s:s, s:O}", "modality", m, "tokenCount",
                                           json_object_get(o, "tokens")));
    }
    return a;
}

static json_t *usage_metadata(const json_t *u)
{
    json_t *m = json_object();
    json_object_set(m, "promptTokenCount", json_object_get(u, "total_input_tokens"));
    json_object_set(m, "candidatesTokenCount", json_object_get(u, "total_output_tokens"));
    json_object_set(m, "totalTokenCount", json_object_get(u, "total_tokens"));
    const json_t *th = json_object_get(u, "total_thought_tokens");
    if (json_integer_value(th) > 0)
        json_object_set(m, "thoughtsTokenCount", (json_t *)th);
    json_object_set_new(m, "promptTokensDetails",
                        details(json_object_get(u, "input_tokens_by_modality")));
    const json_t *out = json_object_get(u, "output_tokens_by_modality");
    if (json_array_size(out))
        json_object_set_new(m, "candidatesTokensDetails", details(out));
    return m;
}

/* The model's items as Parts: a thought summary first (thought: true), text,
 * media as inlineData, and the thought's signature as a part of its own (as
 * the service returns it beside a structured answer). */
static json_t *parts_of(const json_t *outputs, int enum_mode)
{
    json_t *parts = json_array();
    const char *sig = NULL;
    size_t i;
    const json_t *o;
    json_array_foreach(outputs, i, o) {
        const char *t = json_string_value(json_object_get(o, "type"));
        if (!strcmp(t, "thought")) {
            sig = json_string_value(json_object_get(o, "signature"));
            const json_t *s0 = json_array_get(json_object_get(o, "summary"), 0);
            json_array_append_new(parts, json_pack("{s:O, s:b}", "text",
                                                   json_object_get(s0, "text"), "thought", 1));
        } else if (!strcmp(t, "text")) {
            const json_t *tx = json_object_get(o, "text");
            json_t *inst = enum_mode ? json_loads(json_string_value(tx), JSON_DECODE_ANY, NULL)
                                     : NULL;
            if (json_is_string(inst)) /* text/x.enum: the bare value */
                json_array_append_new(parts, json_pack("{s:O}", "text", inst));
            else
                json_array_append_new(parts, json_pack("{s:O}", "text", tx));
            json_decref(inst);
        } else if (emu_media_kind(t)) {
            json_array_append_new(parts,
                                  json_pack("{s:{s:O, s:O}}", "inlineData", "mimeType",
                                            json_object_get(o, "mime_type"), "data",
                                            json_object_get(o, "data")));
        }
    }
    if (sig)
        json_array_append_new(parts, json_pack("{s:s}", "thoughtSignature", sig));
    return parts;
}

/* 22 characters of [A-Za-z0-9_-] from the answer hash, like the service's ids. */
static void response_id(const uint8_t h[32], char out[24])
{
    static const char al[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    for (int i = 0; i < 22; i++)
        out[i] = al[h[(i + 8) & 31] & 63];
    out[22] = '\0';
}

int emu_gc_answer(const struct emu_env *env, const char *model, const json_t *req, int mode,
                  json_t **out, struct emu_err *e)
{
    struct emu_call c;
    struct emu_answer a = {0};
    int enum_mode = 0, rc = -1;
    *out = NULL;
    e->http = 0;
    if (to_call(env, model, req, &c, &enum_mode, e))
        goto done;
    if (mode == EMU_ANSWER_SCHEMA_VIOLATION && !c.schema)
        mode = EMU_ANSWER_NORMAL;
    if (emu_model_run(&c, mode, &a, e))
        goto done;
    char rid[24];
    response_id(c.hash, rid);
    json_t *cand = json_pack("{s:{s:o, s:s}, s:s, s:i}", "content", "parts",
                             parts_of(a.outputs, enum_mode), "role", "model", "finishReason",
                             a.truncated ? "MAX_TOKENS" : "STOP", "index", 0);
    *out = json_pack("{s:[o], s:o, s:s, s:s}", "candidates", cand, "usageMetadata",
                     usage_metadata(a.usage), "modelVersion", c.model, "responseId", rid);
    if (!*out) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        goto done;
    }
    rc = 0;
done:
    emu_answer_free(&a);
    emu_call_free(&c);
    return rc;
}
