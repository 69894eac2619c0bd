/* pipeline.c: load a pipeline file: resolve {"$file": ...} values relative to
 * it, split local keys (name, prompt, limits, validate, steps) from request
 * fields, compile response_format once, and digest the whole for resume.
 * Must not send anything or read manifests. */
#include "pipeline.h"
#include "fsx.h"
#include "jsonx.h"
#include "schema.h"
#include "sha256.h"
#include "sniff.h"
#include "tiers.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

/* keys of a pipeline file that are ours, never sent */
static const char *const local_keys[] = {"name",  "prompt",         "limits", "validate",
                                         "steps", "max_tool_turns", "accept", "mode", NULL};

static int is_local(const char *k)
{
    for (int i = 0; local_keys[i]; i++)
        if (!strcmp(k, local_keys[i]))
            return 1;
    return 0;
}

/* Replace every {"$file": "rel/path.json"} under v (depth-first) by the JSON it
 * names. depth guards against files that include each other. */
static int resolve_files(json_t *v, const char *dir, const char *src, const char *ptr,
                         int depth, json_t **replacement, struct gb_err *err)
{
    *replacement = NULL;
    if (depth > 16)
        return GB_FAIL(err, GB_EINVAL, "%s: $file references nest too deep", ptr);
    if (json_is_object(v)) {
        json_t *f = json_object_get(v, "$file");
        if (f && json_object_size(v) == 1) {
            if (!json_is_string(f))
                return GB_FAIL(err, GB_EINVAL, "%s/$file: expected a path string", ptr);
            char *path = fsx_join(dir, json_string_value(f));
            if (!path)
                return GB_FAIL(err, GB_ENOMEM, "out of memory");
            struct gb_err e2 = {0};
            json_t *loaded = jx_load_file(path, &e2);
            if (!loaded) {
                char why[1400];
                gb_err_str(&e2, why, sizeof why);
                int code = GB_FAIL(err, e2.code,
                                   "%s/$file: %s; $file paths are relative to the pipeline's "
                                   "folder", ptr, why);
                free(path);
                return code;
            }
            char *subdir = fsx_dirname(path);
            json_t *inner = NULL;
            int rc = resolve_files(loaded, subdir, path, "", depth + 1, &inner, err);
            free(subdir);
            free(path);
            if (rc) {
                json_decref(loaded);
                return rc;
            }
            if (inner) {
                json_decref(loaded);
                loaded = inner;
            }
            *replacement = loaded;
            return 0;
        }
        const char *k;
        json_t *child;
        void *tmp;
        json_object_foreach_safe(v, tmp, k, child) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%s", ptr, k);
            json_t *rep = NULL;
            int rc = resolve_files(child, dir, src, sub, depth, &rep, err);
            if (rc)
                return rc;
            if (rep)
                json_object_set_new(v, k, rep);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *child;
        json_array_foreach(v, i, child) {
            char sub[512];
            snprintf(sub, sizeof sub, "%s/%zu", ptr, i);
            json_t *rep = NULL;
            int rc = resolve_files(child, dir, src, sub, depth, &rep, err);
            if (rc)
                return rc;
            if (rep)
                json_array_set_new(v, i, rep);
        }
    }
    return 0;
}

json_t *pipe_response_schema(json_t *rf)
{
    if (json_is_array(rf)) {
        size_t i;
        json_t *w;
        json_array_foreach(rf, i, w) {
            json_t *s = pipe_response_schema(w);
            if (s)
                return s;
        }
        return NULL;
    }
    if (json_is_true(rf) || json_is_false(rf))
        return rf;
    if (!json_is_object(rf))
        return NULL;
    const char *t = jx_str(rf, "type");
    if (t && (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
              !strcmp(t, "video"))) {
        json_t *s = json_object_get(rf, "schema");
        return s && (json_is_object(s) || json_is_boolean(s)) ? s : NULL;
    }
    return rf; /* G1: the schema itself */
}

static int get_limit_long(json_t *limits, const char *key, long max, long *out,
                          struct gb_err *err)
{
    json_t *v = json_object_get(limits, key);
    if (!v)
        return 0;
    long long n;
    if (jx_int(limits, key, &n) || n < 1 || n > max)
        return GB_FAIL(err, GB_EINVAL, "/limits/%s: expected a whole number from 1 to %ld", key,
                       max);
    *out = (long)n;
    return 0;
}

static int read_limits(struct pipeline *p, struct gb_err *err)
{
    json_t *l = json_object_get(p->doc, "limits");
    p->limits.max_cost_usd = -1;
    if (!l)
        return 0;
    if (!json_is_object(l))
        return GB_FAIL(err, GB_EINVAL, "/limits: expected an object");
    int rc;
    if ((rc = get_limit_long(l, "concurrency", 4096, &p->limits.concurrency, err)) ||
        (rc = get_limit_long(l, "rpm", 100000000, &p->limits.rpm, err)) ||
        (rc = get_limit_long(l, "tpm", 2000000000, &p->limits.tpm, err)) ||
        (rc = get_limit_long(l, "max_attempts", 100, &p->limits.max_attempts, err)) ||
        (rc = get_limit_long(l, "max_images_per_answer", 1000000,
                             &p->limits.max_images_per_answer, err)) ||
        (rc = get_limit_long(l, "max_images", 1000000000, &p->limits.max_images, err)))
        return rc;
    double t;
    if (json_object_get(l, "timeout_s")) {
        if (jx_num(l, "timeout_s", &t) || t <= 0 || t > 86400)
            return GB_FAIL(err, GB_EINVAL, "/limits/timeout_s: expected seconds from 0 to 86400");
        p->limits.timeout_s = t;
    }
    if (json_object_get(l, "deadline_s")) {
        if (jx_num(l, "deadline_s", &t) || t <= 0 || t > 7 * 86400)
            return GB_FAIL(err, GB_EINVAL, "/limits/deadline_s: expected seconds from 0 to 604800");
        p->limits.deadline_s = t;
    }
    if (json_object_get(l, "max_cost_usd")) {
        if (jx_num(l, "max_cost_usd", &t) || !(t >= 0) || t > 1e12)
            return GB_FAIL(err, GB_EINVAL, "/limits/max_cost_usd: expected US dollars, 0 or more");
        p->limits.max_cost_usd = t;
    }
    const char *k;
    json_t *v;
    json_object_foreach(l, k, v) {
        if (strcmp(k, "concurrency") && strcmp(k, "rpm") && strcmp(k, "tpm") &&
            strcmp(k, "max_attempts") && strcmp(k, "timeout_s") && strcmp(k, "deadline_s") &&
            strcmp(k, "max_images_per_answer") && strcmp(k, "max_images") &&
            strcmp(k, "max_cost_usd"))
            return GB_FAIL(err, GB_EINVAL,
                           "/limits/%s: unknown limit; known: concurrency, rpm, tpm, "
                           "max_attempts, timeout_s, deadline_s, max_images_per_answer, "
                           "max_images, max_cost_usd", k);
    }
    return 0;
}

/* A mime token (RFC 6838 restricted-name characters). */
static int mime_token(const char *s, size_t n)
{
    if (!n || n > 127)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              strchr("!#$&^_.+-", c)))
            return 0;
    }
    return 1;
}

/* "accept": a list of mime types ("text/csv", "text/" and a star): which archive and
 * folder entries run. */
static int read_accept(struct pipeline *p, struct gb_err *err)
{
    json_t *a = json_object_get(p->doc, "accept");
    if (!a)
        return 0;
    if (!json_is_array(a) || !json_array_size(a))
        return GB_FAIL(err, GB_EINVAL, "/accept: expected a non-empty array of mime types, "
                                       "e.g. [\"image/*\", \"text/csv\"]");
    p->accept = calloc(json_array_size(a), sizeof *p->accept);
    if (!p->accept)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        const char *m = json_string_value(v);
        const char *slash = m ? strchr(m, '/') : NULL;
        if (slash && slash == m + 1 && m[0] == '*')
            return GB_FAIL(err, GB_EINVAL, "/accept/%zu: \"%s\" would send any file, binary "
                           "junk included; list the types (\"text/*\", \"application/json\")",
                           i, m);
        if (!slash || !mime_token(m, (size_t)(slash - m)) ||
            (strcmp(slash + 1, "*") && !mime_token(slash + 1, strlen(slash + 1))))
            return GB_FAIL(err, GB_EINVAL, "/accept/%zu: expected a mime type such as "
                           "\"text/csv\" or \"text/*\"", i);
        if (!(p->accept[p->naccept++] = strdup(m)))
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    return 0;
}

int pipe_accepts(const struct pipeline *p, const char *mime)
{
    for (size_t i = 0; mime && i < p->naccept; i++) {
        const char *pat = p->accept[i];
        size_t n = strlen(pat);
        if (n >= 2 && !strcmp(pat + n - 2, "/*")) {
            if (!strncasecmp(mime, pat, n - 1)) /* "text/" */
                return 1;
        } else if (!strcasecmp(mime, pat)) {
            return 1;
        }
    }
    return 0;
}

const char *pipe_entry_type(const struct pipeline *p, const struct sniff_result *sr)
{
    if (!p || !p->naccept)
        return sniff_is_media(sr) ? sr->type : NULL;
    if (!pipe_accepts(p, sr->mime))
        return NULL;
    return sr->type ? sr->type : "document";
}

void pipe_skip_reason(const struct pipeline *p, const struct sniff_result *sr, char *out,
                      size_t outsz)
{
    const char *m = sr->mime ? sr->mime : "unknown type";
    if (p && p->naccept)
        snprintf(out, outsz, "%.150s is not in the pipeline's \"accept\" list", m);
    else
        snprintf(out, outsz, "not media (%.150s); list its type in the pipeline's \"accept\" "
                 "to send it", m);
}

int pipe_step_local(const char *key)
{
    return !strcmp(key, "name") || !strcmp(key, "prompt");
}

/* 0 when path is a regular file this process may execute, else an errno. */
static int runnable(const char *path)
{
    struct stat st;
    if (stat(path, &st))
        return errno;
    if (!S_ISREG(st.st_mode))
        return S_ISDIR(st.st_mode) ? EISDIR : EACCES;
    return access(path, X_OK) ? errno : 0;
}

/* Look name up the way posix_spawnp does: each folder of PATH in order (an
 * empty entry is the current folder); without PATH, the system's default. */
static int on_path(const char *name, int *why)
{
    char defpath[256] = "/bin:/usr/bin";
    const char *path = getenv("PATH");
    if (!path) {
        size_t n = confstr(_CS_PATH, defpath, sizeof defpath);
        if (!n || n > sizeof defpath)
            snprintf(defpath, sizeof defpath, "/bin:/usr/bin");
        path = defpath;
    }
    *why = ENOENT;
    for (const char *s = path;;) {
        const char *e = strchr(s, ':');
        size_t n = e ? (size_t)(e - s) : strlen(s);
        char *dir = n ? strndup(s, n) : strdup(".");
        char *full = dir ? fsx_join(dir, name) : NULL;
        int rc = full ? runnable(full) : ENOMEM;
        free(full);
        free(dir);
        if (!rc)
            return 1;
        if (rc != ENOENT && rc != ENOTDIR)
            *why = rc; /* found, but not runnable: say that, unless a later one is */
        if (!e)
            return 0;
        s = e + 1;
    }
}

int pipe_check_tools(const struct pipeline *p, struct gb_err *err)
{
    for (size_t i = 0; i < p->ntools; i++) {
        const struct pipe_tool *t = &p->tools[i];
        const char *prog = t->argv[0];
        int rc;
        if (strchr(prog, '/')) {
            if (!(rc = runnable(prog)))
                continue;
            char shown[600] = "";
            if (strcmp(prog, t->program))
                snprintf(shown, sizeof shown, " ('%.500s')", prog);
            GB_FAIL(err, rc == ENOENT ? GB_ENOENT : GB_EINVAL,
                    "%s: tool '%s': program '%s'%s %s; a program path with a '/' is relative "
                    "to the pipeline's folder", t->where, t->name, t->program, shown,
                    rc == ENOENT ? "not found"
                    : rc == EACCES ? "is not an executable file (chmod +x?)"
                    : strerror(rc));
        } else {
            if (on_path(prog, &rc))
                continue;
            GB_FAIL(err, rc == ENOENT ? GB_ENOENT : GB_EINVAL,
                    "%s: tool '%s': program '%s' %s; a name without a '/' is looked up on "
                    "PATH", t->where, t->name, prog,
                    rc == ENOENT ? "was not found on PATH"
                    : rc == EACCES ? "is on PATH but not executable"
                    : strerror(rc));
        }
        gb_err_at(err, p->path, 0, 0);
        return err ? err->code : GB_ENOENT;
    }
    return 0;
}

const struct pipe_tool *pipe_tool(const struct pipeline *p, const char *name)
{
    for (size_t i = 0; name && i < p->ntools; i++)
        if (!strcmp(p->tools[i].name, name))
            return &p->tools[i];
    return NULL;
}

/* Record function tools that name a program, and strip "run"/"timeout_s"
 * from them: those are ours, never sent. */
static int take_tools(struct pipeline *p, json_t *tools, const char *ptr, struct gb_err *err)
{
    if (!tools)
        return 0;
    if (!json_is_array(tools))
        return GB_FAIL(err, GB_EINVAL, "%s: expected an array of tools", ptr);
    size_t i;
    json_t *t;
    json_array_foreach(tools, i, t) {
        json_t *run = json_object_get(t, "run");
        json_t *tmo = json_object_get(t, "timeout_s");
        if (!run && !tmo)
            continue;
        const char *name = jx_str(t, "name");
        if (!run || !json_is_array(run) || !json_array_size(run) || !name)
            return GB_FAIL(err, GB_EINVAL, "%s/%zu/run: a function tool with a \"name\" and "
                           "\"run\": [\"program\", \"arg\", ...] is expected", ptr, i);
        double secs = 60;
        if (tmo && (jx_num(t, "timeout_s", &secs) || secs <= 0 || secs > 86400))
            return GB_FAIL(err, GB_EINVAL, "%s/%zu/timeout_s: expected seconds from 0 to 86400",
                           ptr, i);
        if (pipe_tool(p, name)) {
            json_object_del(t, "run");
            json_object_del(t, "timeout_s");
            continue; /* the first definition of a name wins */
        }
        struct pipe_tool *nt = realloc(p->tools, (p->ntools + 1) * sizeof *nt);
        if (!nt)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        p->tools = nt;
        struct pipe_tool *pt = &p->tools[p->ntools++];
        memset(pt, 0, sizeof *pt);
        pt->name = strdup(name);
        pt->timeout_ms = (long)(secs * 1000);
        snprintf(pt->where, sizeof pt->where, "%s/%zu/run/0", ptr, i);
        pt->argv = calloc(json_array_size(run) + 1, sizeof *pt->argv);
        if (!pt->name || !pt->argv)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        size_t k;
        json_t *a;
        json_array_foreach(run, k, a) {
            if (!json_is_string(a) || !*json_string_value(a))
                return GB_FAIL(err, GB_EINVAL, "%s/%zu/run/%zu: expected a non-empty string", ptr,
                               i, k);
            const char *arg = json_string_value(a);
            /* a program path with a '/' is relative to the pipeline's folder;
             * a bare name is looked up on PATH; never through a shell */
            pt->argv[k] = k == 0 && strchr(arg, '/') ? fsx_join(p->dir, arg) : strdup(arg);
            if (k == 0)
                pt->program = strdup(arg);
            if (!pt->argv[k] || (k == 0 && !pt->program))
                return GB_FAIL(err, GB_ENOMEM, "out of memory");
        }
        json_object_del(t, "run");
        json_object_del(t, "timeout_s");
    }
    return 0;
}

static int sha_hex_of(const json_t *v, char hex[65])
{
    char *canon = jx_canonical(v);
    if (!canon)
        return GB_ENOMEM;
    uint8_t d[32];
    sha256_buf(canon, strlen(canon), d);
    sha256_hex(d, hex);
    free(canon);
    return 0;
}

/* What resume compares: the digest of the pipeline without its limits
 * (limits change how fast, never what is asked), a digest per top-level
 * field to name what changed, and the digest of the whole file as earlier
 * versions made it (a folder they wrote still resumes). */
static int digest_pipeline(struct pipeline *p)
{
    json_t *ident = json_copy(p->doc);
    p->fields = json_object();
    if (!ident || !p->fields || sha_hex_of(p->doc, p->digest_whole)) {
        json_decref(ident);
        return GB_ENOMEM;
    }
    json_object_del(ident, "limits");
    int rc = sha_hex_of(ident, p->digest);
    const char *k;
    json_t *v;
    json_object_foreach (ident, k, v) {
        char hex[65];
        if (rc || (rc = sha_hex_of(v, hex)))
            break;
        hex[16] = '\0';
        json_object_set_new(p->fields, k, json_string(hex));
    }
    json_decref(ident);
    return rc;
}

/* A service_tier in the pipeline (at ptr) is one a request can ask for: a
 * wrong one would otherwise be sent as it is, or billed as standard. */
static int check_tier(const json_t *obj, const char *ptr, struct gb_err *err)
{
    const json_t *v = json_object_get(obj, "service_tier");
    enum tier t;
    if (!v)
        return 0;
    if (!json_is_string(v))
        return GB_FAIL(err, GB_EINVAL, "%s/service_tier: expected a string: standard, flex or "
                       "priority", ptr);
    if (!tier_asked(json_string_value(v), &t))
        return 0;
    char msg[200];
    tier_asked_error(json_string_value(v), msg, sizeof msg);
    return GB_FAIL(err, GB_EINVAL, "%s/service_tier: %s (or leave it out for standard)", ptr,
                   msg);
}

int pipe_load(const char *path, struct pipeline **out, struct gb_err *err)
{
    struct pipeline *p = calloc(1, sizeof *p);
    json_t *rep = NULL;
    int rc = 0;
    *out = NULL;
    if (!p)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    p->reask = 2;
    p->path = strdup(path);
    p->dir = fsx_dirname(path);
    p->doc = jx_load_file(path, err);
    if (!p->doc) {
        rc = err ? err->code : GB_EINVAL;
        goto fail;
    }
    if (!json_is_object(p->doc)) {
        rc = GB_FAIL(err, GB_EINVAL, "a pipeline is a JSON object");
        goto fail_at;
    }
    if ((rc = resolve_files(p->doc, p->dir, path, "", 0, &rep, err)))
        goto fail_at;
    if (rep) { /* the whole pipeline was a $file reference */
        json_decref(p->doc);
        p->doc = rep;
    }
    const char *name = jx_str(p->doc, "name");
    if (json_object_get(p->doc, "name") && !name) {
        rc = GB_FAIL(err, GB_EINVAL, "/name: expected a string");
        goto fail_at;
    }
    if (name) {
        p->name = strdup(name);
    } else {
        const char *b = fsx_basename(path);
        size_t n = strlen(b);
        if (n > 5 && !strcmp(b + n - 5, ".json"))
            n -= 5;
        p->name = strndup(b, n);
    }
    json_t *pr = json_object_get(p->doc, "prompt");
    if (pr && !json_is_string(pr)) {
        rc = GB_FAIL(err, GB_EINVAL, "/prompt: expected a string template");
        goto fail_at;
    }
    if (pr)
        p->prompt = strdup(json_string_value(pr));
    if ((rc = read_limits(p, err)) || (rc = read_accept(p, err)))
        goto fail_at;
    json_t *val = json_object_get(p->doc, "validate");
    if (val) {
        long long n;
        if (!json_is_object(val) || (json_object_get(val, "reask") &&
                                     (jx_int(val, "reask", &n) || n < 0 || n > 10))) {
            rc = GB_FAIL(err, GB_EINVAL, "/validate/reask: expected a whole number from 0 to 10");
            goto fail_at;
        }
        if (json_object_get(val, "reask"))
            p->reask = (long)n;
    }
    p->max_tool_turns = 8;
    if (json_object_get(p->doc, "max_tool_turns")) {
        long long n;
        if (jx_int(p->doc, "max_tool_turns", &n) || n < 1 || n > 100) {
            rc = GB_FAIL(err, GB_EINVAL, "/max_tool_turns: expected a whole number from 1 to 100");
            goto fail_at;
        }
        p->max_tool_turns = (long)n;
    }
    json_t *steps = json_object_get(p->doc, "steps");
    if (steps && (!json_is_array(steps) || json_array_size(steps) == 0)) {
        rc = GB_FAIL(err, GB_EINVAL, "/steps: expected a non-empty array of step objects");
        goto fail_at;
    }
    const char *k;
    json_t *v;
    p->base = json_object();
    json_object_foreach(p->doc, k, v) {
        if (!is_local(k))
            json_object_set_new(p->base, k, json_deep_copy(v));
    }
    if ((rc = check_tier(p->base, "", err)))
        goto fail_at;
    if (steps) {
        p->steps = json_deep_copy(steps);
        size_t i;
        json_t *st;
        json_array_foreach(p->steps, i, st) {
            if (!json_is_object(st)) {
                rc = GB_FAIL(err, GB_EINVAL, "/steps/%zu: expected an object (request fields, "
                                             "\"prompt\", \"name\")", i);
                goto fail_at;
            }
            json_t *sp = json_object_get(st, "prompt");
            if (sp && !json_is_string(sp)) {
                rc = GB_FAIL(err, GB_EINVAL, "/steps/%zu/prompt: expected a string template", i);
                goto fail_at;
            }
            char ptr[64];
            snprintf(ptr, sizeof ptr, "/steps/%zu", i);
            if ((rc = check_tier(st, ptr, err)))
                goto fail_at;
            snprintf(ptr, sizeof ptr, "/steps/%zu/tools", i);
            if ((rc = take_tools(p, json_object_get(st, "tools"), ptr, err)))
                goto fail_at;
            json_t *srf = json_object_get(st, "response_format");
            json_t *ss = srf ? pipe_response_schema(srf) : NULL;
            if (ss) {
                struct schema *tmp = NULL;
                struct gb_err se = {0};
                if ((rc = schema_compile(ss, path, &tmp, &se))) {
                    GB_FAIL(err, rc, "/steps/%zu/response_format: %s", i, se.msg);
                    goto fail_at;
                }
                schema_free(tmp);
            }
        }
    }
    if ((rc = take_tools(p, json_object_get(p->base, "tools"), "/tools", err)))
        goto fail_at;
    json_t *rf = json_object_get(p->base, "response_format");
    if (rf && !json_is_null(rf)) {
        p->schema_doc = pipe_response_schema(rf);
        if (p->schema_doc) {
            struct gb_err se = {0};
            if ((rc = schema_compile(p->schema_doc, path, &p->schema, &se))) {
                GB_FAIL(err, rc, "/response_format: %s", se.msg);
                goto fail_at;
            }
        }
    }
    if ((rc = digest_pipeline(p))) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    *out = p;
    return 0;
fail_at:
    gb_err_at(err, path, 0, 0);
fail:
    pipe_free(p);
    return rc ? rc : GB_EINVAL;
}

void pipe_free(struct pipeline *p)
{
    if (!p)
        return;
    json_decref(p->fields);
    schema_free(p->schema);
    for (size_t i = 0; i < p->ntools; i++) {
        free(p->tools[i].name);
        for (char **a = p->tools[i].argv; a && *a; a++)
            free(*a);
        free(p->tools[i].argv);
        free(p->tools[i].program);
    }
    free(p->tools);
    for (size_t i = 0; i < p->naccept; i++)
        free(p->accept[i]);
    free(p->accept);
    json_decref(p->steps);
    json_decref(p->base);
    json_decref(p->doc);
    free(p->prompt);
    free(p->name);
    free(p->dir);
    free(p->path);
    free(p);
}


/* Look a dotted name up in ctx: "prev.output.total" -> ctx.prev.output.total. */
static json_t *lookup(const json_t *ctx, const char *name)
{
    const json_t *cur = ctx;
    char part[128];
    while (cur && *name) {
        const char *dot = strchr(name, '.');
        size_t n = dot ? (size_t)(dot - name) : strlen(name);
        if (n >= sizeof part)
            return NULL;
        memcpy(part, name, n);
        part[n] = '\0';
        if (json_is_object(cur)) {
            cur = json_object_get(cur, part);
        } else if (json_is_array(cur)) {
            char *end;
            long ix = strtol(part, &end, 10);
            cur = *end || ix < 0 ? NULL : json_array_get(cur, (size_t)ix);
        } else {
            return NULL;
        }
        name += n + (dot ? 1 : 0);
    }
    return (json_t *)cur;
}

int pipe_render(const char *tmpl, const json_t *vars, const char *id, const json_t *ctx,
                char **out, struct gb_err *err)
{
    size_t cap = strlen(tmpl) + 64, len = 0;
    char *r = malloc(cap);
    if (!r)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    const char *s = tmpl;
    while (*s) {
        const char *open = strstr(s, "{{");
        const char *close = open ? strstr(open + 2, "}}") : NULL;
        size_t lit = open && close ? (size_t)(open - s) : strlen(s);
        const char *val = NULL;
        char *owned = NULL;
        size_t vlen = 0;
        if (open && close) {
            const char *a = open + 2, *b = close;
            while (a < b && (*a == ' ' || *a == '\t'))
                a++;
            while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
                b--;
            char name[128];
            size_t nl = (size_t)(b - a);
            if (nl == 0 || nl >= sizeof name) {
                free(r);
                return GB_FAIL(err, GB_EINVAL, "prompt template has an empty or overlong {{...}}");
            }
            memcpy(name, a, nl);
            name[nl] = '\0';
            json_t *v = json_is_object(vars) ? json_object_get(vars, name) : NULL;
            if (!v && ctx && strchr(name, '.'))
                v = lookup(ctx, name);
            if (v && json_is_string(v)) {
                val = json_string_value(v);
                vlen = json_string_length(v);
            } else if (v) {
                owned = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
                val = owned;
                vlen = owned ? strlen(owned) : 0;
            } else if (!strcmp(name, "id") && id) {
                val = id;
                vlen = strlen(id);
            } else {
                free(r);
                if (strchr(name, '.'))
                    return GB_FAIL(err, GB_EINVAL, "prompt uses {{%s}}, which the previous step's "
                                   "answer does not have", name);
                return GB_FAIL(err, GB_EINVAL,
                               "prompt uses {{%s}} but the line's \"vars\" has no '%s'", name,
                               name);
            }
        }
        if (len + lit + vlen + 1 > cap) {
            cap = (len + lit + vlen + 1) * 2;
            char *nr = realloc(r, cap);
            if (!nr) {
                free(r);
                free(owned);
                return GB_FAIL(err, GB_ENOMEM, "out of memory");
            }
            r = nr;
        }
        memcpy(r + len, s, lit);
        len += lit;
        if (val) {
            memcpy(r + len, val, vlen);
            len += vlen;
        }
        free(owned);
        if (!(open && close))
            break;
        s = close + 2;
    }
    r[len] = '\0';
    *out = r;
    return 0;
}
