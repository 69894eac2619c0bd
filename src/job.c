/* job.c: turn a manifest line (or a media file) into a job: merge it over the
 * pipeline (RFC 7386), render the prompt, resolve "files" and "path" parts
 * against the manifest's folder, sniff their types, and shape the request
 * for the chosen dialect. Must not open network connections; media bytes are
 * never read here beyond the sniffing head. */
#include "job.h"
#include "fsx.h"
#include "hash64.h"
#include "jsonx.h"
#include "pipeline.h"
#include "schema.h"
#include "sniff.h"
#include "tiers.h"
#include "b64.h"
#include "sha256.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- schema cache ---------------------------------------------------------- */

enum { SCHEMA_CACHE_MAX = 4096 };

struct schema_cache {
    struct sc_entry {
        uint64_t h;
        char *canon;
        struct schema *s;
    } *v;
    size_t n, cap;
};

struct schema_cache *schema_cache_new(void)
{
    return calloc(1, sizeof(struct schema_cache));
}

void schema_cache_free(struct schema_cache *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        schema_free(c->v[i].s);
        free(c->v[i].canon);
    }
    free(c->v);
    free(c);
}

static int cache_get(struct schema_cache *c, json_t *doc, const struct schema **out,
                     struct gb_err *err)
{
    char *canon = jx_canonical(doc);
    if (!canon)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    uint64_t h = hash64(canon, strlen(canon), 1);
    for (size_t i = 0; i < c->n; i++)
        if (c->v[i].h == h && !strcmp(c->v[i].canon, canon)) {
            free(canon);
            *out = c->v[i].s;
            return 0;
        }
    if (c->n >= SCHEMA_CACHE_MAX) {
        free(canon);
        return GB_FAIL(err, GB_ELIMIT, "more than %d distinct response_format schemas in one run",
                       SCHEMA_CACHE_MAX);
    }
    struct schema *s = NULL;
    struct gb_err se = {0};
    int rc = schema_compile(doc, "response_format", &s, &se);
    if (rc) {
        free(canon);
        return GB_FAIL(err, rc, "response_format: %s", se.msg);
    }
    if (c->n == c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 8;
        struct sc_entry *nv = realloc(c->v, ncap * sizeof *nv);
        if (!nv) {
            schema_free(s);
            free(canon);
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        }
        c->v = nv;
        c->cap = ncap;
    }
    c->v[c->n++] = (struct sc_entry){h, canon, s};
    *out = s;
    return 0;
}

/* ---- building ---------------------------------------------------------------- */

static const char *const line_local_keys[] = {"id", "files", "vars", NULL};

json_t *job_step_base(const struct pipeline *p, size_t k)
{
    json_t *st = p->steps ? json_array_get(p->steps, k) : NULL;
    if (!st)
        return json_deep_copy(p->base);
    json_t *patch = json_deep_copy(st);
    json_object_del(patch, "name");
    json_object_del(patch, "prompt");
    /* a step names its own model or agent: drop the other one */
    json_t *base = json_deep_copy(p->base);
    if (json_object_get(patch, "agent"))
        json_object_del(base, "model"), json_object_del(base, "generation_config");
    if (json_object_get(patch, "model"))
        json_object_del(base, "agent"), json_object_del(base, "agent_config");
    json_t *r = jx_merge_patch(base, patch);
    json_decref(base);
    json_decref(patch);
    return r;
}

const char *job_step_prompt(const struct pipeline *p, size_t k)
{
    json_t *st = p->steps ? json_array_get(p->steps, k) : NULL;
    const char *sp = st ? jx_str(st, "prompt") : NULL;
    return sp ? sp : p->prompt;
}

static struct job *job_alloc(const char *source, long line)
{
    struct job *j = calloc(1, sizeof *j);
    if (!j)
        return NULL;
    j->source = source;
    j->line = line;
    j->store = 1;
    return j;
}

static int set_id(struct job *j, const char *id);

struct job *job_stub(const char *source, const char *id, long line, const char *entry)
{
    struct job *j = job_alloc(source, line);
    if (!j)
        return NULL;
    if (set_id(j, id) || (entry && !(j->entry = strdup(entry)))) {
        job_free(j);
        return NULL;
    }
    j->req = json_object();
    return j;
}

static int set_id(struct job *j, const char *id)
{
    free(j->id);
    j->id = strdup(id);
    if (!j->id)
        return GB_ENOMEM;
    j->digest = hash64(id, strlen(id), 0);
    return 0;
}

static int fail_job(struct job *j, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int fail_job(struct job *j, int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    job_failv(j, code, fmt, ap);
    va_end(ap);
    return code;
}

int job_failv(struct job *j, int code, const char *fmt, va_list ap)
{
    gb_vfail(&j->build_err, code, __FILE__, __LINE__, fmt, ap);
    j->failed_build = 1;
    return code;
}

static int add_media(const struct job_ctx *ctx, struct job *j, json_t *part, const char *path,
                     uint64_t size, const char *type, const char *mime, int spooled)
{
    struct media *nm = realloc(j->media, (j->nmedia + 1) * sizeof *nm);
    if (!nm)
        return GB_ENOMEM;
    j->media = nm;
    struct media *m = &j->media[j->nmedia];
    memset(m, 0, sizeof *m);
    m->path = strdup(path);
    m->size = size;
    m->type = type;
    snprintf(m->mime, sizeof m->mime, "%s", mime);
    m->part = part;
    m->spooled = spooled;
    if (!m->path)
        return GB_ENOMEM;
    char ph[64];
    /* a NUL, a tag, the media index and a per-run nonce: jansson dumps the NUL
     * as \\u0000, so request.c finds the marker and users cannot type it */
    int n = snprintf(ph, sizeof ph, "%cgbm%zu:%s", 0, j->nmedia, ctx->nonce);
    json_object_set_new(part, "data", json_stringn(ph, (size_t)n));
    j->nmedia++;
    return 0;
}

/* Resolve a {"path": ...} content part in place. */
static int resolve_part(const struct job_ctx *ctx, struct job *j, const char *dir, json_t *part)
{
    const char *rel = jx_str(part, "path");
    if (!rel)
        return fail_job(j, GB_EINVAL, "\"path\" must be a string");
    if (json_object_get(part, "data") || json_object_get(part, "uri"))
        return fail_job(j, GB_EINVAL, "a content part has \"path\" and also \"data\" or \"uri\"; "
                                      "give one of them");
    char *path = fsx_join(dir, rel);
    if (!path)
        return GB_ENOMEM;
    struct stat st;
    if (stat(path, &st)) {
        int e = errno;
        fail_job(j, GB_ENOENT, "'%s' %s; paths are relative to the manifest's folder", rel,
                 e == ENOENT ? "not found" : strerror(e));
        free(path);
        return GB_ENOENT;
    }
    if (!S_ISREG(st.st_mode)) {
        fail_job(j, GB_EINVAL, "'%s' is not a regular file", rel);
        free(path);
        return GB_EINVAL;
    }
    struct sniff_result sr;
    if (sniff_file(ctx->sniff, path, &sr)) {
        fail_job(j, GB_EIO, "'%s' cannot be read", rel);
        free(path);
        return GB_EIO;
    }
    const char *given_type = jx_str(part, "type");
    const char *given_mime = jx_str(part, "mime_type");
    if (!sr.type && !(given_type && given_mime)) {
        fail_job(j, GB_EUNSUPPORTED,
                 "'%s': unsupported media type%s%s; give \"type\" and \"mime_type\" to send it "
                 "anyway", rel, sr.mime ? " " : "", sr.mime ? sr.mime : "");
        free(path);
        return GB_EUNSUPPORTED;
    }
    const char *type = given_type ? given_type : sr.type;
    const char *mime = given_mime ? given_mime : sr.mime;
    if (!given_type)
        json_object_set_new(part, "type", json_string(type));
    if (!given_mime)
        json_object_set_new(part, "mime_type", json_string(mime));
    json_object_del(part, "path");
    int rc = add_media(ctx, j, part, path, (uint64_t)st.st_size, type, mime, 0);
    free(path);
    return rc;
}

/* Walk input: a content list, a single content object, turns or steps. */
static int resolve_parts(const struct job_ctx *ctx, struct job *j, const char *dir, json_t *v,
                         int depth)
{
    if (depth > 4)
        return 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            int rc = resolve_parts(ctx, j, dir, e, depth + 1);
            if (rc)
                return rc;
        }
        return 0;
    }
    if (!json_is_object(v))
        return 0;
    if (json_object_get(v, "path"))
        return resolve_part(ctx, j, dir, v);
    json_t *content = json_object_get(v, "content"); /* turn or step */
    if (content)
        return resolve_parts(ctx, j, dir, content, depth + 1);
    return 0;
}

/* Input as a content list (string -> one text part), so parts can be added. */
static json_t *as_parts(json_t *input)
{
    if (json_is_string(input)) {
        json_t *a = json_array();
        json_array_append_new(a, json_pack("{s:s,s:O}", "type", "text", "text", input));
        return a;
    }
    if (json_is_object(input)) {
        json_t *a = json_array();
        json_array_append(a, input);
        return a;
    }
    return json_incref(input);
}

/* G1 takes the bare schema; G3 wraps it. Applies either way round. */
int job_shape_request(const struct job_ctx *ctx, struct job *j, json_t *req, struct gb_err *err)
{
    /* tool programs are declared in the pipeline; "run" is never sent */
    size_t ti;
    json_t *tool;
    json_array_foreach(jx_arr(req, "tools"), ti, tool) {
        json_object_del(tool, "run");
        json_object_del(tool, "timeout_s");
    }
    j->schema_doc = NULL;
    j->schema = NULL;
    json_t *rf = json_object_get(req, "response_format");
    if (!rf)
        return 0;
    json_t *schema = pipe_response_schema(rf);
    int is_wrapper = json_is_array(rf) || (json_is_object(rf) && schema != rf);
    if (ctx->dialect == DIALECT_V1) {
        if (schema && !is_wrapper) {
            json_t *w = json_pack("{s:s,s:s,s:O}", "type", "text", "mime_type",
                                  "application/json", "schema", schema);
            json_object_set_new(req, "response_format", w);
        }
    } else if (is_wrapper) {
        if (schema) {
            json_object_set(req, "response_format", schema);
        } else {
            /* a G3 image/audio wrapper means an output modality in G1 */
            const char *t = jx_str(json_is_array(rf) ? json_array_get(rf, 0) : rf, "type");
            if (t && !json_object_get(req, "response_modalities")) {
                char up[16];
                size_t n = 0;
                for (; t[n] && n < sizeof up - 1; n++)
                    up[n] = (char)(t[n] >= 'a' && t[n] <= 'z' ? t[n] - 32 : t[n]);
                up[n] = '\0';
                json_object_set_new(req, "response_modalities", json_pack("[s]", up));
            }
            json_object_del(req, "response_format");
        }
    }
    rf = json_object_get(req, "response_format");
    j->schema_doc = rf ? pipe_response_schema(rf) : NULL;
    if (j->schema_doc) {
        struct gb_err e = {0};
        int rc = cache_get(ctx->schemas, j->schema_doc, &j->schema, &e);
        if (rc)
            return GB_FAIL(err, rc, "%s", e.msg);
    }
    return 0;
}

static int shape_response_format(const struct job_ctx *ctx, struct job *j)
{
    struct gb_err e = {0};
    int rc = job_shape_request(ctx, j, j->req, &e);
    return rc ? fail_job(j, rc, "%s", e.msg) : 0;
}

static void finish_flags(const struct job_ctx *ctx, struct job *j)
{
    /* agents only run in the background: create, then poll */
    if (json_object_get(j->req, "agent") && !json_object_get(j->req, "background"))
        json_object_set_new(j->req, "background", json_true());
    j->background = jx_bool(j->req, "background", 0);
    if (ctx->force_stream && !j->background)
        json_object_set_new(j->req, "stream", json_true());
    if (j->background) /* polled, not streamed */
        json_object_del(j->req, "stream");
    j->stream = jx_bool(j->req, "stream", 0);
    j->store = jx_bool(j->req, "store", 1);
    if (ctx->model_override && !json_object_get(j->req, "agent"))
        json_object_set_new(j->req, "model", json_string(ctx->model_override));
}

static int check_target(struct job *j)
{
    json_t *model = json_object_get(j->req, "model"), *agent = json_object_get(j->req, "agent");
    if (!model && !agent)
        return fail_job(j, GB_EINVAL, "no \"model\" or \"agent\": set one in the pipeline, the "
                                      "line, or with --model");
    if (model && !json_is_string(model))
        return fail_job(j, GB_EINVAL, "\"model\" must be a string");
    if (agent && !json_is_string(agent))
        return fail_job(j, GB_EINVAL, "\"agent\" must be a string");
    if (!json_object_get(j->req, "input"))
        return fail_job(j, GB_EINVAL, "no \"input\": give one on the line, or a \"prompt\" or "
                                      "\"input\" in the pipeline, or \"files\"");
    /* a wrong tier is the line's error, never sent or billed as another */
    json_t *tier = json_object_get(j->req, "service_tier");
    enum tier t;
    if (tier && !json_is_string(tier))
        return fail_job(j, GB_EINVAL, "\"service_tier\" must be a string: standard, flex or "
                                      "priority");
    if (tier && tier_asked(json_string_value(tier), &t)) {
        char msg[200];
        tier_asked_error(json_string_value(tier), msg, sizeof msg);
        return fail_job(j, GB_EINVAL, "\"service_tier\": %s, or leave it out for the "
                                      "pipeline's", msg);
    }
    return 0;
}

struct job *job_from_line(const struct job_ctx *ctx, const char *source, const char *dir,
                          long line, const char *text, size_t len)
{
    struct job *j = job_alloc(source, line);
    if (!j)
        return NULL;
    char defid[32];
    snprintf(defid, sizeof defid, "line-%ld", line);
    if (set_id(j, defid)) {
        job_free(j);
        return NULL;
    }
    json_error_t je;
    json_t *obj = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    json_t *patch = NULL, *input = NULL;
    char *prompt = NULL;
    if (!obj) {
        if (strstr(je.text, "unable to decode byte"))
            fail_job(j, GB_EINVAL, "invalid UTF-8 at column %d (%s)", je.column, je.text);
        else
            fail_job(j, GB_EINVAL, "invalid JSON at column %d: %s", je.column, je.text);
        goto out;
    }
    if (!json_is_object(obj)) {
        fail_job(j, GB_EINVAL, "a manifest line must be a JSON object");
        goto out;
    }
    json_t *idv = json_object_get(obj, "id");
    if (idv) {
        char num[32];
        const char *id = NULL;
        if (json_is_string(idv))
            id = json_string_value(idv);
        else if (json_is_integer(idv))
            snprintf(num, sizeof num, "%lld", (long long)json_integer_value(idv)), id = num;
        if (!id || !*id || strlen(id) > 1024 ||
            (json_is_string(idv) && strlen(id) != json_string_length(idv))) {
            fail_job(j, GB_EINVAL, "\"id\" must be a non-empty string of at most 1024 bytes "
                                   "without NUL");
            goto out;
        }
        if (set_id(j, id))
            goto fail;
    }
    json_t *vars = json_object_get(obj, "vars");
    if (vars && !json_is_object(vars)) {
        fail_job(j, GB_EINVAL, "\"vars\" must be an object");
        goto out;
    }
    json_t *files = json_object_get(obj, "files");
    if (files && !json_is_array(files)) {
        fail_job(j, GB_EINVAL, "\"files\" must be an array of paths");
        goto out;
    }
    patch = json_deep_copy(obj);
    for (int i = 0; line_local_keys[i]; i++)
        json_object_del(patch, line_local_keys[i]);
    json_t *base = job_step_base(ctx->pipe, 0);
    j->req = base ? jx_merge_patch(base, patch) : NULL;
    json_decref(base);
    if (!j->req)
        goto fail;
    if (vars)
        j->vars = json_deep_copy(vars);
    input = json_object_get(j->req, "input");
    const char *tmpl = job_step_prompt(ctx->pipe, 0);
    if (!json_object_get(patch, "input") && tmpl) {
        struct gb_err e = {0};
        if (pipe_render(tmpl, vars, j->id, NULL, &prompt, &e)) {
            fail_job(j, e.code, "%s", e.msg);
            goto out;
        }
        json_object_set_new(j->req, "input", json_string(prompt));
        input = json_object_get(j->req, "input");
    }
    if (files && json_array_size(files)) {
        json_t *parts = input ? as_parts(input) : json_array();
        size_t i;
        json_t *f;
        json_array_foreach(files, i, f) {
            if (!json_is_string(f)) {
                json_decref(parts);
                fail_job(j, GB_EINVAL, "\"files\"[%zu] must be a path string", i);
                goto out;
            }
            json_array_append_new(parts, json_pack("{s:O}", "path", f));
        }
        json_object_set_new(j->req, "input", parts);
        input = parts;
    }
    finish_flags(ctx, j);
    if (check_target(j))
        goto out;
    if (resolve_parts(ctx, j, dir, json_object_get(j->req, "input"), 0))
        goto out;
    shape_response_format(ctx, j);
    job_plan_uploads(ctx, j);
    goto out;
fail:
    job_free(j);
    j = NULL;
out:
    free(prompt);
    json_decref(patch);
    json_decref(obj);
    return j;
}

struct job *job_from_media(const struct job_ctx *ctx, const char *source, const char *entry,
                           const char *path, uint64_t size, const char *type,
                           const char *mime, int spooled)
{
    struct job *j = job_alloc(source, 0);
    if (!j)
        return NULL;
    j->entry = strdup(entry);
    if (!j->entry || set_id(j, entry)) {
        job_free(j);
        return NULL;
    }
    j->req = job_step_base(ctx->pipe, 0);
    json_t *input = json_object_get(j->req, "input");
    json_t *parts = NULL;
    const char *tmpl = job_step_prompt(ctx->pipe, 0);
    if (tmpl) {
        char *prompt = NULL;
        struct gb_err e = {0};
        if (pipe_render(tmpl, NULL, j->id, NULL, &prompt, &e)) {
            fail_job(j, e.code, "%s", e.msg);
            return j;
        }
        parts = json_array();
        json_array_append_new(parts, json_pack("{s:s,s:s}", "type", "text", "text", prompt));
        free(prompt);
    } else if (input) {
        parts = as_parts(input);
    } else {
        parts = json_array();
    }
    json_t *part = json_pack("{s:s,s:s}", "type", type, "mime_type", mime);
    json_array_append_new(parts, part);
    json_object_set_new(j->req, "input", parts);
    if (add_media(ctx, j, part, path, size, type, mime, spooled)) {
        job_free(j);
        return NULL;
    }
    finish_flags(ctx, j);
    if (check_target(j))
        return j;
    shape_response_format(ctx, j);
    job_plan_uploads(ctx, j);
    return j;
}

/* Files API per-file limit (reference section 8) */
#define FILES_API_MAX ((uint64_t)2 << 30)

void job_plan_uploads(const struct job_ctx *ctx, struct job *j)
{
    if (j->failed_build || !j->nmedia)
        return;
    char *text = json_dumps(j->req, JSON_COMPACT);
    uint64_t total = text ? strlen(text) : 0;
    free(text);
    for (size_t i = 0; i < j->nmedia; i++)
        total += b64_enc_len(j->media[i].size);
    while (total > ctx->inline_limit) {
        struct media *big = NULL;
        for (size_t i = 0; i < j->nmedia; i++)
            if (!j->media[i].upload && (!big || j->media[i].size > big->size))
                big = &j->media[i];
        if (!big)
            break;
        big->upload = 1;
        total -= b64_enc_len(big->size);
        total += 200; /* the uri that replaces it */
    }
    for (size_t i = 0; i < j->nmedia; i++)
        if (j->media[i].upload && j->media[i].size > FILES_API_MAX) {
            fail_job(j, GB_ELIMIT, "'%s' is %llu bytes: over the Files API's 2 GiB limit",
                     fsx_basename(j->media[i].path), (unsigned long long)j->media[i].size);
            return;
        }
}

void job_free(struct job *j)
{
    if (!j)
        return;
    for (size_t i = 0; i < j->nmedia; i++) {
        if (j->media[i].spooled)
            unlink(j->media[i].path);
        free(j->media[i].path);
        free(j->media[i].uri);
    }
    free(j->media);
    json_decref(j->req);
    json_decref(j->vars);
    free(j->entry);
    free(j->id);
    free(j);
}
