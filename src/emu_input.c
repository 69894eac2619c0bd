/* emu_input.c: the input of a create body, walked like the service does:
 * every form (a string, a content block, a content list, role/content turns,
 * G3 steps), each block's keys checked (emu_fields.c), media parts hashed in
 * place and never copied, function results and tool searches collected for
 * the model, turns counted. Reaches files only through struct emu_env. */
#include "emu_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum role { ROLE_NONE = 0, ROLE_USER, ROLE_MODEL };

struct walk {
    const struct emu_env *env;
    struct emu_call *c;
    struct emu_err *e;
    size_t capparts;
    int turns;
    int run_role;
};

static int bad_field(struct emu_err *e, const char *where, const char *what)
{
    return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s': %s", where, what);
}

static int add_part(struct walk *w, struct emu_part *p)
{
    struct emu_call *c = w->c;
    if (c->nparts == w->capparts) {
        size_t ncap = w->capparts ? w->capparts * 2 : 4;
        struct emu_part *np = realloc(c->parts, ncap * sizeof *np);
        if (!np) {
            free(p->uri);
            return emu_fail(w->e, 500, "INTERNAL", "out of memory");
        }
        c->parts = np;
        w->capparts = ncap;
    }
    c->parts[c->nparts++] = *p;
    return 0;
}

static const char *mime_from_ext(const char *uri)
{
    static const struct { const char *ext, *mime; } t[] = {
        {".png", "image/png"}, {".jpg", "image/jpeg"}, {".jpeg", "image/jpeg"},
        {".webp", "image/webp"}, {".gif", "image/gif"}, {".heic", "image/heic"},
        {".pdf", "application/pdf"}, {".txt", "text/plain"}, {".wav", "audio/wav"},
        {".mp3", "audio/mp3"}, {".flac", "audio/flac"}, {".ogg", "audio/ogg"},
        {".mp4", "video/mp4"}, {".mov", "video/mov"}, {".webm", "video/webm"},
    };
    const char *q = strpbrk(uri, "?#");
    size_t n = q ? (size_t)(q - uri) : strlen(uri);
    for (size_t i = 0; i < sizeof t / sizeof t[0]; i++) {
        size_t k = strlen(t[i].ext);
        if (n > k && !strncasecmp(uri + n - k, t[i].ext, k))
            return t[i].mime;
    }
    return NULL;
}

static int media_item(struct walk *w, const json_t *it, int kind, const char *where)
{
    struct emu_part p;
    char path[96];
    memset(&p, 0, sizeof p);
    p.kind = kind;
    p.f.seconds = -1;
    const json_t *data = json_object_get(it, "data");
    const json_t *uri = json_object_get(it, "uri");
    const json_t *mime = json_object_get(it, "mime_type");
    if (mime && !json_is_string(mime)) {
        snprintf(path, sizeof path, "%s.mime_type", where);
        return bad_field(w->e, path, "expected a string");
    }
    if (mime)
        snprintf(p.mime, sizeof p.mime, "%s", json_string_value(mime));
    if (data) {
        snprintf(path, sizeof path, "%s.data", where);
        if (!json_is_string(data))
            return bad_field(w->e, path, "expected a base64 string");
        const char *s = json_string_value(data);
        size_t n = json_string_length(data);
        if (emu_b64_facts(s, n, &p.f))
            return emu_fail(w->e, 400, "INVALID_ARGUMENT",
                            "Invalid value at '%s' (TYPE_BYTES), Base64 decoding failed for "
                            "\"%.24s%s\"",
                            path, s, n > 24 ? "..." : "");
        if (!p.mime[0]) {
            if (!p.f.sniffed[0]) {
                snprintf(path, sizeof path, "%s.mime_type", where);
                return bad_field(w->e, path, "mime_type is required for inline data");
            }
            snprintf(p.mime, sizeof p.mime, "%s", p.f.sniffed);
        }
        return add_part(w, &p);
    }
    if (!uri)
        return bad_field(w->e, where, "a media item needs 'data' or 'uri'");
    snprintf(path, sizeof path, "%s.uri", where);
    if (!json_is_string(uri))
        return bad_field(w->e, path, "expected a string");
    const char *u = json_string_value(uri);
    char fmime[96] = "", fname[64] = "";
    int st = w->env->file ? w->env->file(w->env->ctx, u, &p.f, fmime, sizeof fmime, fname,
                                         sizeof fname)
                          : EMU_FILE_NOT_OURS;
    if (st == EMU_FILE_UNKNOWN)
        return emu_fail(w->e, 404, "NOT_FOUND", "File %s not found.", fname[0] ? fname : u);
    if (st == EMU_FILE_PROCESSING || st == EMU_FILE_FAILED)
        return emu_fail(w->e, 400, "FAILED_PRECONDITION",
                        "The File %s is not in an ACTIVE state and usage is not allowed.", fname);
    p.uri = strdup(u);
    if (!p.uri)
        return emu_fail(w->e, 500, "INTERNAL", "out of memory");
    if (st == EMU_FILE_ACTIVE) {
        snprintf(p.file, sizeof p.file, "%s", fname);
        if (!p.mime[0])
            snprintf(p.mime, sizeof p.mime, "%s", fmime);
        return add_part(w, &p);
    }
    if (strncmp(u, "https://", 8) && strncmp(u, "http://", 7) && strncmp(u, "gs://", 5)) {
        free(p.uri);
        return bad_field(w->e, path, "unsupported URI scheme (use https://, gs:// or a file uri)");
    }
    p.remote = 1;
    if (!p.mime[0]) {
        const char *m = mime_from_ext(u);
        snprintf(p.mime, sizeof p.mime, "%s", m ? m : "application/octet-stream");
    }
    return add_part(w, &p);
}

static char *text_of(const json_t *v)
{
    if (json_is_string(v))
        return strdup(json_string_value(v));
    if (!v)
        return strdup("");
    return json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
}

static int fn_result(struct walk *w, const json_t *it, const char *where)
{
    const json_t *res = json_object_get(it, "result");
    const json_t *call_id = json_object_get(it, "call_id");
    char path[96];
    if (call_id && !json_is_string(call_id)) {
        snprintf(path, sizeof path, "%s.call_id", where);
        return bad_field(w->e, path, "expected a string");
    }
    char *txt = text_of(res);
    if (!txt)
        return emu_fail(w->e, 500, "INTERNAL", "out of memory");
    w->c->text_chars += strlen(txt);
    const char *name = json_string_value(json_object_get(it, "name"));
    json_t *o = json_pack("{s:s, s:s, s:s}", "name", name ? name : "", "call_id",
                          call_id ? json_string_value(call_id) : "", "result", txt);
    free(txt);
    if (!o || json_array_append_new(w->c->fn_results, o))
        return emu_fail(w->e, 500, "INTERNAL", "out of memory");
    return 0;
}

static int item(struct walk *w, const json_t *it, const char *where, int in_turn);

/* The functions a tool search (the service's, or the client's own) brought
 * into the model's context: the names of its result's definitions. */
static int loaded_by(struct walk *w, const json_t *it, const char *where)
{
    const json_t *res = json_object_get(it, "result");
    char path[96];
    if (res && !json_is_array(res)) {
        snprintf(path, sizeof path, "%s.result", where);
        return bad_field(w->e, path, "expected a list of function definitions");
    }
    if (!w->c->loaded && !(w->c->loaded = json_array()))
        return emu_fail(w->e, 500, "INTERNAL", "out of memory");
    size_t i;
    const json_t *f;
    json_array_foreach(res, i, f) {
        const json_t *name = json_object_get(f, "name");
        if (!json_is_object(f) || !json_is_string(name)) {
            snprintf(path, sizeof path, "%s.result[%zu]", where, i);
            return bad_field(w->e, path, "a function definition needs a 'name'");
        }
        if (json_array_append(w->c->loaded, (json_t *)name))
            return emu_fail(w->e, 500, "INTERNAL", "out of memory");
    }
    return 0;
}

static int content_list(struct walk *w, const json_t *content, const char *where)
{
    char path[96];
    if (json_is_string(content)) {
        w->c->text_chars += json_string_length(content);
        w->c->last_text = json_string_value(content);
        return 0;
    }
    if (json_is_object(content))
        return item(w, content, where, 1);
    if (!json_is_array(content)) {
        if (!content || json_is_null(content))
            return 0;
        return bad_field(w->e, where, "expected a string or a list of content items");
    }
    size_t i;
    const json_t *x;
    json_array_foreach(content, i, x) {
        snprintf(path, sizeof path, "%s[%zu]", where, i);
        if (item(w, x, path, 1))
            return -1;
    }
    return 0;
}

static int role_of_type(const char *t)
{
    if (!strcmp(t, "function_result") || !strcmp(t, "user_input"))
        return ROLE_USER;
    if (!strcmp(t, "text") || emu_media_kind(t))
        return ROLE_USER;
    return ROLE_MODEL;
}

/* One content item or G3 step. in_turn: inside a role/content turn (its
 * role was already counted). */
static int item(struct walk *w, const json_t *it, const char *where, int in_turn)
{
    char path[96];
    if (!json_is_object(it))
        return bad_field(w->e, where, "expected an object");
    const json_t *tv = json_object_get(it, "type");
    if (!json_is_string(tv)) {
        snprintf(path, sizeof path, "%s.type", where);
        return bad_field(w->e, path, "a content item needs a string 'type'");
    }
    const char *t = json_string_value(tv);
    if (emu_check_item(it, t, w->c->dialect, where, w->e))
        return -1;
    if (!in_turn) {
        int r = role_of_type(t);
        if (r != w->run_role) {
            w->turns++;
            w->run_role = r;
        }
    }
    int kind = emu_media_kind(t);
    if (kind)
        return media_item(w, it, kind, where);
    if (!strcmp(t, "text")) {
        const json_t *tx = json_object_get(it, "text");
        if (tx && !json_is_string(tx)) {
            snprintf(path, sizeof path, "%s.text", where);
            return bad_field(w->e, path, "expected a string");
        }
        w->c->text_chars += json_string_length(tx);
        if (tx)
            w->c->last_text = json_string_value(tx);
        return 0;
    }
    if (!strcmp(t, "function_result"))
        return fn_result(w, it, where);
    if (!strcmp(t, "user_input") || !strcmp(t, "model_output")) {
        if (!strcmp(t, "model_output")) {
            json_array_clear(w->c->fn_results);
        }
        snprintf(path, sizeof path, "%s.content", where);
        return content_list(w, json_object_get(it, "content"), path);
    }
    if (!strcmp(t, "thought")) { /* a thought sent back, as the model gave it */
        const json_t *sig = json_object_get(it, "signature"), *sum = json_object_get(it, "summary");
        if (sig && (!json_is_string(sig) || !json_string_length(sig))) {
            snprintf(path, sizeof path, "%s.signature", where);
            return bad_field(w->e, path, "expected a non-empty string");
        }
        if (sum && !json_is_array(sum)) {
            snprintf(path, sizeof path, "%s.summary", where);
            return bad_field(w->e, path, "expected a list");
        }
        if (sig)
            w->c->signatures_in++;
    }
    static const char *const model_items[] = {
        "function_call", "thought", "code_execution_call", "code_execution_result",
        "url_context_call", "url_context_result", "google_search_call", "google_search_result",
        "mcp_server_tool_call", "mcp_server_tool_result", "file_search_call",
        "file_search_result", "google_maps_call", "google_maps_result", "retrieval_call",
        "retrieval_result", "processing_call", "processing_result", "tool_search_call",
        "tool_search_result",
    };
    if (!strcmp(t, "tool_search_result") && loaded_by(w, it, where))
        return -1;
    for (size_t i = 0; i < sizeof model_items / sizeof model_items[0]; i++)
        if (!strcmp(t, model_items[i])) {
            /* the model spoke after the last results: they were answered */
            json_array_clear(w->c->fn_results);
            return 0;
        }
    snprintf(path, sizeof path, "%s.type", where);
    return emu_fail(w->e, 400, "INVALID_ARGUMENT", "Invalid value at '%s' (\"%s\")", path, t);
}

static int input(struct walk *w, const json_t *in)
{
    char path[96];
    if (json_is_string(in)) {
        w->turns = 1;
        w->c->text_chars += json_string_length(in);
        w->c->last_text = json_string_value(in);
        return 0;
    }
    if (json_is_object(in))
        return item(w, in, "input", 0);
    if (!json_is_array(in))
        return bad_field(w->e, "input", "expected a string, a content item or a list");
    size_t i;
    const json_t *el;
    json_array_foreach(in, i, el) {
        snprintf(path, sizeof path, "input[%zu]", i);
        if (json_is_object(el) && json_object_get(el, "role")) {
            if (emu_check_item(el, NULL, w->c->dialect, path, w->e))
                return -1;
            const char *role = json_string_value(json_object_get(el, "role"));
            if (!role || (strcmp(role, "user") && strcmp(role, "model"))) {
                snprintf(path, sizeof path, "input[%zu].role", i);
                return bad_field(w->e, path, "role must be \"user\" or \"model\"");
            }
            w->turns++;
            w->run_role = ROLE_NONE;
            if (!strcmp(role, "model"))
                json_array_clear(w->c->fn_results);
            snprintf(path, sizeof path, "input[%zu].content", i);
            if (content_list(w, json_object_get(el, "content"), path))
                return -1;
            continue;
        }
        if (item(w, el, path, 0))
            return -1;
    }
    return 0;
}

int emu_input_walk(const struct emu_env *env, const json_t *in, struct emu_call *c,
                   struct emu_err *e)
{
    struct walk w = {env, c, e, 0, 0, ROLE_NONE};
    if (input(&w, in))
        return -1;
    c->turns = w.turns;
    return 0;
}
