/* emu_fields.c: which keys each object of a create body may carry, per
 * dialect, from the SDK types of that dialect (G1: @google/genai 1.33.0, G3:
 * 3.6.1): the top level, every content block, step and role/content turn,
 * every tools[] entry, and the media processing options 3.6.1 added. Like
 * the service's proto JSON parser, an unknown key is refused with 400
 * naming it and where it is. A type one dialect's SDK does not define is
 * checked with the other's keys. Pure functions over jansson values. */
#include "emu_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every top-level field of either dialect (reference 2.1). Anything else is
 * rejected: it catches local extensions such as a manifest's "vars" leaking
 * into a request. */
static const char *const request_fields[] = {
    "model", "agent", "input", "system_instruction", "tools", "generation_config",
    "agent_config", "response_format", "response_mime_type", "response_modalities", "stream",
    "background", "store", "previous_interaction_id", "continuation_token", "safety_settings",
    "labels", "service_tier", "webhook_config", "environment", "environment_id",
    "cached_content",
};

/* Keys besides "type", space-separated. g1 NULL: G1's types have no such
 * type, so G1 uses G3's keys. */
struct keyset {
    const char *type;
    const char *g1, *g3;
};

static const struct keyset items[] = {
    /* content blocks */
    {"text", "annotations text", "annotations text"},
    {"image", "data mime_type resolution uri", "data mime_type resolution uri"},
    {"audio", "data mime_type uri", "channels data mime_type processing sample_rate uri"},
    {"document", "data mime_type uri", "data mime_type processing resolution uri"},
    {"video", "data mime_type resolution uri", "data mime_type name processing resolution uri"},
    /* steps, and the G1 content items of the same type */
    {"user_input", NULL, "content"},
    {"model_output", NULL, "content error"},
    {"thought", "signature summary", "signature summary"},
    {"function_call", "arguments id name", "arguments id name"},
    {"function_result", "call_id is_error name result", "call_id is_error name result"},
    {"code_execution_call", "arguments id", "arguments id signature"},
    {"code_execution_result", "call_id is_error result signature",
     "call_id is_error result signature"},
    {"url_context_call", "arguments id", "arguments id signature"},
    {"url_context_result", "call_id is_error result signature",
     "call_id is_error result signature"},
    {"google_search_call", "arguments id", "arguments id search_type signature"},
    {"google_search_result", "call_id is_error result signature",
     "call_id is_error result signature"},
    {"mcp_server_tool_call", "arguments id name server_name", "arguments id name server_name"},
    {"mcp_server_tool_result", "call_id name result server_name",
     "call_id name result server_name"},
    {"file_search_call", NULL, "id signature"},
    /* G1's content has no call_id and G3's step no result (its delta has),
     * but answers carry both and a stateless conversation sends them back */
    {"file_search_result", "call_id result", "call_id result signature"},
    {"google_maps_call", NULL, "arguments id signature"},
    {"google_maps_result", NULL, "call_id result signature"},
    {"retrieval_call", NULL, "arguments id retrieval_type signature"},
    {"retrieval_result", NULL, "call_id is_error signature"},
    {"processing_call", NULL, "id signature"},
    {"processing_result", NULL, "call_id signature"},
    {"tool_search_call", NULL, "arguments id signature"},
    {"tool_search_result", NULL, "call_id result signature"},
};

static const struct keyset tools[] = {
    {"function", "description name parameters",
     "defer_loading description name parameters short_description"},
    {"google_search", "", "search_types"},
    {"code_execution", "", ""},
    {"url_context", "", ""},
    {"computer_use", "environment excludedPredefinedFunctions",
     "disabled_safety_policies enable_prompt_injection_detection environment "
     "excluded_predefined_functions"},
    {"mcp_server", "allowed_tools headers name url",
     "allowed_tools defer_loading headers name url"},
    {"file_search", "file_search_store_names metadata_filter top_k",
     "file_search_store_names metadata_filter top_k"},
    {"google_maps", NULL, "enable_widget latitude longitude"},
    {"retrieval", NULL,
     "exa_ai_search_config parallel_ai_search_config rag_store_config retrieval_types "
     "vertex_ai_search_config"},
    {"tool_search", NULL, "description execution name parameters"},
};

/* A G1 role/content turn: the same in G3, which also takes it. */
static const char turn_keys[] = "content role";

/* key is one of the space-separated words of set. Word by word, length
 * first: most checks are a few byte compares (an empty key is no word). */
static int has_word(const char *set, const char *key)
{
    size_t n = strlen(key);
    for (const char *p = set; *p;) {
        size_t w = strcspn(p, " ");
        if (w == n && n && !memcmp(p, key, n))
            return 1;
        p += w + (p[w] == ' ');
    }
    return 0;
}

static const char *keys_of(const struct keyset *t, size_t n, const char *type, int dialect)
{
    for (size_t i = 0; i < n; i++)
        if (t[i].type[0] == type[0] && !strcmp(t[i].type, type))
            return dialect == EMU_G1 && t[i].g1 ? t[i].g1 : t[i].g3;
    return NULL;
}

static int unknown(struct emu_err *e, const char *key, const char *where)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT",
                    "Invalid JSON payload received. Unknown name \"%s\" at '%s': Cannot find "
                    "field.",
                    key, where);
}

static int bad_value(struct emu_err *e, const char *where, const char *key, const char *what)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s.%s': %s", where, key, what);
}

static int bad_enum(struct emu_err *e, const char *where, const char *key, const char *v)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s.%s' (\"%.80s\")", where,
                    key, v);
}

/* obj has only "type" (when with_type) and the keys of set. */
static int only_keys(const json_t *obj, const char *set, int with_type, const char *where,
                     struct emu_err *e)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (with_type && !strcmp(k, "type"))
            continue;
        if (!has_word(set, k))
            return unknown(e, k, where);
    }
    return 0;
}

int emu_check_request_fields(const json_t *body, struct emu_err *e)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)body, k, v) {
        size_t i, n = sizeof request_fields / sizeof request_fields[0];
        for (i = 0; i < n; i++)
            if (!strcmp(k, request_fields[i]))
                break;
        if (i == n)
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid JSON payload received. Unknown name \"%s\": Cannot find field.",
                            k);
    }
    return 0;
}

/* ---- media processing options (SDK 3.6.1) ------------------------------------------ */

/* An enum value of a proto field: a string among the words of allowed. */
static int enum_value(const json_t *v, const char *allowed, const char *where, const char *key,
                      struct emu_err *e)
{
    if (!json_is_string(v))
        return bad_value(e, where, key, "expected a string");
    const char *s = json_string_value(v);
    if (!*s || strchr(s, ' ') || !has_word(allowed, s))
        return bad_enum(e, where, key, s);
    return 0;
}

static int enum_list(const json_t *v, const char *allowed, const char *where, const char *key,
                     struct emu_err *e)
{
    if (!json_is_array(v))
        return bad_value(e, where, key, "expected a list of strings");
    size_t i;
    const json_t *x;
    json_array_foreach(v, i, x) {
        char k[64];
        snprintf(k, sizeof k, "%s[%zu]", key, i);
        if (enum_value(x, allowed, where, k, e))
            return -1;
    }
    return 0;
}

/* "10.5s": a non-negative decimal number of seconds; -1 if not one. */
static double seconds_of(const json_t *v)
{
    const char *s = json_string_value(v);
    if (!s || !*s || *s == '-' || *s == '+')
        return -1;
    char *end;
    double d = strtod(s, &end);
    if (end == s || strcmp(end, "s") || !isfinite(d) || d < 0)
        return -1;
    return d;
}

static int offsets(const json_t *p, const char *where, struct emu_err *e)
{
    const json_t *st = json_object_get(p, "start_offset"), *en = json_object_get(p, "end_offset");
    double a = 0, b = 0;
    if (st && (a = seconds_of(st)) < 0)
        return bad_value(e, where, "start_offset", "expected seconds such as \"10.5s\"");
    if (en && (b = seconds_of(en)) < 0)
        return bad_value(e, where, "end_offset", "expected seconds such as \"30s\"");
    if (en && !(b > a))
        return bad_value(e, where, "end_offset", "must be greater than start_offset");
    return 0;
}

static int int_at_least(const json_t *o, const char *key, long min, const char *where,
                        struct emu_err *e)
{
    const json_t *v = json_object_get(o, key);
    if (v && (!json_is_integer(v) || json_integer_value(v) < min)) {
        char what[48];
        snprintf(what, sizeof what, "expected an integer of at least %ld", min);
        return bad_value(e, where, key, what);
    }
    return 0;
}

static int document_options(const json_t *p, const char *where, struct emu_err *e)
{
    char at[128];
    const json_t *po = json_object_get(p, "page_options");
    const json_t *so = json_object_get(p, "spreadsheet_options");
    if (po) {
        snprintf(at, sizeof at, "%.96s.page_options", where);
        if (!json_is_object(po))
            return bad_value(e, where, "page_options", "expected an object");
        if (only_keys(po, "content_layers end_page start_page", 0, at, e) ||
            int_at_least(po, "start_page", 1, at, e) || int_at_least(po, "end_page", 1, at, e))
            return -1;
        const json_t *cl = json_object_get(po, "content_layers");
        if (cl && enum_list(cl, "page_image page_text", at, "content_layers", e))
            return -1;
    }
    if (so) {
        snprintf(at, sizeof at, "%.96s.spreadsheet_options", where);
        if (!json_is_object(so))
            return bad_value(e, where, "spreadsheet_options", "expected an object");
        if (only_keys(so, "content_layers sheet_index visible_cells", 0, at, e) ||
            int_at_least(so, "sheet_index", 0, at, e))
            return -1;
        const json_t *vc = json_object_get(so, "visible_cells");
        if (vc && !json_is_string(vc))
            return bad_value(e, at, "visible_cells", "expected a string");
        const json_t *cl = json_object_get(so, "content_layers");
        if (cl && enum_list(cl, "visual data formulas", at, "content_layers", e))
            return -1;
    }
    return 0;
}

/* processing of an audio, document or video block: "static" (video also
 * "agentic"), or a static processing object of that media's shape. */
static int processing(const json_t *v, const char *type, const char *where, struct emu_err *e)
{
    int video = !strcmp(type, "video"), doc = !strcmp(type, "document");
    if (json_is_string(v))
        return enum_value(v, video ? "static agentic" : "static", where, "processing", e);
    if (!json_is_object(v))
        return bad_value(e, where, "processing", "expected \"static\" or a processing object");
    char at[128];
    snprintf(at, sizeof at, "%.96s.processing", where);
    const json_t *t = json_object_get(v, "type");
    if (!t)
        return bad_value(e, at, "type", "a processing object needs 'type': \"static\"");
    if (enum_value(t, "static", at, "type", e))
        return -1;
    const char *keys = video ? "content_layers end_offset fps start_offset"
                       : doc ? "page_options spreadsheet_options"
                             : "end_offset start_offset";
    if (only_keys(v, keys, 1, at, e))
        return -1;
    if (doc)
        return document_options(v, at, e);
    if (offsets(v, at, e))
        return -1;
    const json_t *fps = json_object_get(v, "fps");
    if (fps && (!json_is_number(fps) || !(json_number_value(fps) > 0)))
        return bad_value(e, at, "fps", "expected a positive number");
    const json_t *cl = json_object_get(v, "content_layers");
    if (cl && enum_list(cl, "frames audio transcript", at, "content_layers", e))
        return -1;
    return 0;
}

/* ---- items and tools ------------------------------------------------------------------ */

int emu_check_item(const json_t *it, const char *type, int dialect, const char *where,
                   struct emu_err *e)
{
    if (!type)
        return only_keys(it, turn_keys, 0, where, e);
    const char *keys = keys_of(items, sizeof items / sizeof items[0], type, dialect);
    if (!keys)
        return 0; /* an unknown type: the caller refuses it */
    if (only_keys(it, keys, 1, where, e))
        return -1;
    const json_t *v = json_object_get(it, "resolution");
    if (v && enum_value(v, dialect == EMU_G1 ? "low medium high" : "low medium high ultra_high",
                        where, "resolution", e))
        return -1;
    if ((v = json_object_get(it, "processing")) && processing(v, type, where, e))
        return -1;
    return 0;
}

int emu_tool_type_known(const char *type)
{
    return keys_of(tools, sizeof tools / sizeof tools[0], type, EMU_G3) != NULL;
}

int emu_check_tool(const json_t *tool, const char *type, int dialect, const char *where,
                   struct emu_err *e)
{
    const char *keys = keys_of(tools, sizeof tools / sizeof tools[0], type, dialect);
    if (!keys)
        return 0;
    if (only_keys(tool, keys, 1, where, e))
        return -1;
    const json_t *v;
    if ((v = json_object_get(tool, "defer_loading")) && !json_is_boolean(v))
        return bad_value(e, where, "defer_loading", "expected true or false");
    if ((v = json_object_get(tool, "short_description")) && !json_is_string(v))
        return bad_value(e, where, "short_description", "expected a string");
    if (!strcmp(type, "tool_search")) {
        if ((v = json_object_get(tool, "execution")) &&
            enum_value(v, "server client", where, "execution", e))
            return -1;
        if ((v = json_object_get(tool, "name")) && !json_is_string(v))
            return bad_value(e, where, "name", "expected a string");
        if ((v = json_object_get(tool, "description")) && !json_is_string(v))
            return bad_value(e, where, "description", "expected a string");
        if ((v = json_object_get(tool, "parameters")) && !json_is_null(v) && !json_is_object(v))
            return bad_value(e, where, "parameters", "expected a JSON Schema object");
    }
    return 0;
}
