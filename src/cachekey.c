/* cachekey.c: what makes two jobs the same question. The cache key is a
 * SHA-256 over a canonical JSON of the wire request with each local media
 * part replaced by the digest of its bytes, plus what the pipeline adds past
 * the first request (steps, tool programs); and the policy of which answers
 * may be cached at all. Reads media files, never writes; knows nothing of
 * the database (cache.c). */
#include "cache.h"
#include "jsonx.h"
#include "pipeline.h"
#include "sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Bumped whenever what goes into the canonical form changes, so keys of an
 * older gembatch never match a different question. */
#define KEY_FORMAT 1

enum { MEDIA_CHUNK = 64 * 1024 };

/* Request fields that change how an answer travels, not what it is. */
static const char *const transport_fields[] = {"stream", "store", "service_tier", NULL};

struct canon {
    const struct job *j;
    const uint8_t (*sha)[32];
    size_t found;
};

/* A deep copy of v in which each of the job's media parts names its bytes
 * by digest instead of by placeholder, upload uri or path. */
static json_t *canon_copy(struct canon *k, json_t *v)
{
    if (json_is_array(v)) {
        json_t *a = json_array();
        size_t i;
        json_t *e;
        json_array_foreach (v, i, e)
            if (json_array_append_new(a, canon_copy(k, e))) {
                json_decref(a);
                return NULL;
            }
        return a;
    }
    if (!json_is_object(v))
        return json_deep_copy(v);
    for (size_t m = 0; m < k->j->nmedia; m++) {
        if (k->j->media[m].part != v)
            continue;
        json_t *p = json_deep_copy(v);
        char hex[65];
        sha256_hex(k->sha[m], hex);
        json_object_del(p, "data");
        json_object_del(p, "uri");
        json_object_del(p, "path");
        json_object_set_new(p, "sha256", json_string(hex));
        k->found++;
        return p;
    }
    json_t *o = json_object();
    const char *key;
    json_t *e;
    json_object_foreach (v, key, e)
        if (json_object_set_new(o, key, canon_copy(k, e))) {
            json_decref(o);
            return NULL;
        }
    return o;
}

/* The tool programs' command lines: a changed program is a changed answer. */
static json_t *tool_programs(const struct pipeline *p)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < p->ntools; i++) {
        json_t *argv = json_array();
        for (char **s = p->tools[i].argv; s && *s; s++)
            json_array_append_new(argv, json_string(*s));
        json_array_append_new(a, json_pack("{s:s,s:o,s:I}", "name", p->tools[i].name, "argv", argv,
                                           "timeout_ms", (json_int_t)p->tools[i].timeout_ms));
    }
    return a;
}

int cache_job_key_digests(const struct job *j, const struct pipeline *p, enum dialect d,
                          const uint8_t (*media_sha)[32], char hex[65], struct gb_err *err)
{
    struct canon k = {j, media_sha, 0};
    json_t *req = j->req ? canon_copy(&k, j->req) : NULL;
    json_t *doc = NULL;
    char *text = NULL;
    int rc = GB_ENOMEM;
    if (!req) {
        GB_FAIL(err, j->req ? GB_ENOMEM : GB_EINVAL, "%s",
                j->req ? "out of memory" : "the job has no request");
        rc = j->req ? GB_ENOMEM : GB_EINVAL;
        goto out;
    }
    if (k.found != j->nmedia) {
        /* a placeholder left in would carry the run's nonce: every key would
         * differ and the cache would silently never hit */
        rc = GB_FAIL(err, GB_ESTATE, "job '%s': %zu of its %zu media parts are not in its request",
                     j->id, j->nmedia - k.found, j->nmedia);
        goto out;
    }
    for (int i = 0; transport_fields[i]; i++)
        json_object_del(req, transport_fields[i]);
    doc = json_pack("{s:i,s:s,s:O}", "gembatch_cache_key", KEY_FORMAT, "dialect",
                    d == DIALECT_V1 ? "v1" : "v1beta", "request", req);
    if (!doc) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    /* later steps are rendered from the pipeline's steps and the line's vars */
    if (p && p->steps) {
        json_object_set(doc, "steps", p->steps);
        json_object_set_new(doc, "vars", j->vars ? json_incref(j->vars) : json_null());
    }
    if (p && p->ntools)
        json_object_set_new(doc, "tool_programs", tool_programs(p));
    text = jx_canonical(doc);
    uint8_t sum[32];
    if (!text || sha256_buf(text, strlen(text), sum)) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    sha256_hex(sum, hex);
    rc = 0;
out:
    free(text);
    json_decref(doc);
    json_decref(req);
    return rc;
}

/* SHA-256 of a file, read a chunk at a time. */
static int digest_file(const char *path, uint8_t out[32], unsigned char *buf, struct gb_err *err)
{
    struct sha256 h = {0};
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return GB_FAIL(err, GB_EIO, "cannot read '%s': %s", path, strerror(errno));
    int rc = sha256_init(&h) ? GB_ENOMEM : 0;
    for (;;) {
        ssize_t n = rc ? 0 : read(fd, buf, MEDIA_CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            rc = GB_FAIL(err, GB_EIO, "cannot read '%s': %s", path, strerror(errno));
        if (n <= 0)
            break;
        sha256_update(&h, buf, (size_t)n);
    }
    close(fd);
    if (!rc && sha256_final(&h, out))
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
    sha256_free(&h);
    return rc;
}

int cache_job_key(const struct job *j, const struct pipeline *p, enum dialect d, char hex[65],
                  struct gb_err *err)
{
    uint8_t(*sha)[32] = calloc(j->nmedia + 1, sizeof *sha);
    unsigned char *buf = j->nmedia ? malloc(MEDIA_CHUNK) : NULL;
    int rc = GB_ENOMEM;
    if (!sha || (j->nmedia && !buf)) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < j->nmedia; i++)
        if ((rc = digest_file(j->media[i].path, sha[i], buf, err)))
            goto out;
    rc = cache_job_key_digests(j, p, d, (const uint8_t(*)[32])sha, hex, err);
out:
    free(buf);
    free(sha);
    return rc;
}

/* ---- policy ----------------------------------------------------------------------- */

/* Tools whose answers depend on the world outside the request. */
static const char *const outside_tools[] = {"google_search", "url_context", "mcp_server",
                                            "file_search",   "retrieval",   "google_maps",
                                            "computer_use",  NULL};

/* Why one set of request fields (the request, or a step over it) may not be
 * cached, or NULL. */
static const char *why_not(const json_t *req)
{
    if (json_object_get(req, "agent"))
        return "an agent's answer depends on what it finds while it works";
    if (jx_bool(req, "background", 0))
        return "background work depends on more than the request";
    size_t i;
    json_t *t;
    json_array_foreach (jx_arr(req, "tools"), i, t) {
        const char *ty = jx_str(t, "type");
        for (int k = 0; ty && outside_tools[k]; k++)
            if (!strcmp(ty, outside_tools[k]))
                return "a tool that reads the outside world (search, URLs, MCP, stores, maps, "
                       "a computer) makes answers that change with it";
    }
    json_t *gc = jx_obj(req, "generation_config");
    double temp = 0;
    if (gc && jx_num(gc, "temperature", &temp) == 0 && temp > 0 && !json_object_get(gc, "seed"))
        return "temperature above 0 without a seed asks for answers that vary";
    return NULL;
}

int cache_policy(const json_t *req, const struct pipeline *p, int flags, const char **reason)
{
    *reason = NULL;
    if (flags & CACHE_NONDETERMINISTIC)
        return 1;
    if (p && p->ntools) {
        *reason = "tool programs answer the model's function calls: the answer depends on "
                  "what they return";
        return 0;
    }
    *reason = why_not(req);
    size_t i;
    json_t *st;
    json_array_foreach (p ? p->steps : NULL, i, st) {
        if (*reason)
            break;
        *reason = why_not(st);
    }
    return *reason == NULL;
}
