/* config.c: defaults, pipeline limits and flags folded into one struct
 * config, plus the API key (read from the environment or a file, kept in
 * memory only, never printed) and shard selection. */
#include "config.h"
#include "log.h"
#include "pipeline.h"
#include "sink.h"
#include "url.h"
#include "xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->concurrency = 32;
    c->max_attempts = 6;
    c->timeout_s = 300;
    c->bg_deadline_s = 3600;
    c->endpoint = CONFIG_DEFAULT_ENDPOINT;
    c->dialect = DIALECT_V1BETA;
    c->max_entry_bytes = 2ull << 30;
    /* the documented inline limit is 100 MB since 2026; older deployments
     * take 20 MB, so requests stay under that and larger media go through
     * the Files API (reference section 8) */
    c->max_request_bytes = 20000000;
    c->progress = PROGRESS_AUTO;
    c->poll_initial_s = 2;
    c->poll_max_s = 60;
    c->max_failures = 200;
    c->reask = 2;
    c->max_tool_turns = 8;
    c->tool_concurrency = 4;
    c->max_images_per_answer = SINK_MAX_IMAGES_PER_ANSWER;
    c->max_images = SINK_MAX_IMAGES_PER_RUN;
    c->max_buffered_bytes = XFER_BUDGET_DEFAULT;
}

void config_apply_pipeline(struct config *c, const struct pipeline *p, const int *seen)
{
    if (!seen[SEEN_CONC] && p->limits.concurrency)
        c->concurrency = p->limits.concurrency;
    if (!seen[SEEN_RPM] && p->limits.rpm)
        c->rpm = p->limits.rpm;
    if (!seen[SEEN_TPM] && p->limits.tpm)
        c->tpm = p->limits.tpm;
    if (!seen[SEEN_ATTEMPTS] && p->limits.max_attempts)
        c->max_attempts = p->limits.max_attempts;
    if (!seen[SEEN_TIMEOUT] && p->limits.timeout_s > 0)
        c->timeout_s = p->limits.timeout_s;
    if (c->deadline_s <= 0 && p->limits.deadline_s > 0)
        c->deadline_s = p->limits.deadline_s;
    if (!seen[SEEN_IMG_ANSWER] && p->limits.max_images_per_answer)
        c->max_images_per_answer = p->limits.max_images_per_answer;
    if (!seen[SEEN_IMG_RUN] && p->limits.max_images)
        c->max_images = p->limits.max_images;
    c->reask = p->reask;
    c->max_tool_turns = p->max_tool_turns;
}

void config_free(struct config *c)
{
    if (c->api_key) {
        memset(c->api_key, 0, strlen(c->api_key));
        free(c->api_key);
    }
    free(c->out_dir);
    free(c->endpoint_owned);
    cache_close(c->cache);
    c->api_key = NULL;
    c->out_dir = NULL;
    c->endpoint_owned = NULL;
    c->cache = NULL;
}

static int parse_kn(const char *s, int *k, int *n)
{
    char *end;
    errno = 0;
    long a = strtol(s, &end, 10);
    if (end == s || *end != '/' || errno)
        return -1;
    const char *t = end + 1;
    long b = strtol(t, &end, 10);
    if (end == t || *end || errno || b < 1 || b > 100000 || a < 1 || a > b)
        return -1;
    *k = (int)a;
    *n = (int)b;
    return 0;
}

static long env_long(const char *name)
{
    const char *v = getenv(name);
    if (!v || !*v)
        return -1;
    char *end;
    long x = strtol(v, &end, 10);
    return *end ? -1 : x;
}

int config_parse_shard(struct config *c, const char *s, struct gb_err *err)
{
    if (strcmp(s, "auto")) {
        if (parse_kn(s, &c->shard_k, &c->shard_n))
            return GB_FAIL(err, GB_EINVAL, "--shard takes K/N with 1 <= K <= N (e.g. 2/8) or "
                                           "'auto', not '%s'", s);
        return 0;
    }
    /* Slurm job arrays: SLURM_ARRAY_TASK_ID (from --array's range, STEP apart
     * for --array=1-7:2) with SLURM_ARRAY_TASK_COUNT, or MIN/MAX to derive
     * the count; Kubernetes Indexed Jobs: JOB_COMPLETION_INDEX (0-based) with
     * the count from GEMBATCH_SHARDS. GEMBATCH_SHARDS overrides any count. */
    long idx = -1, count = env_long("GEMBATCH_SHARDS"), base = 0, step = 1;
    if ((idx = env_long("SLURM_ARRAY_TASK_ID")) >= 0) {
        long min = env_long("SLURM_ARRAY_TASK_MIN"), max = env_long("SLURM_ARRAY_TASK_MAX");
        base = min >= 0 ? min : 0;
        step = env_long("SLURM_ARRAY_TASK_STEP") > 1 ? env_long("SLURM_ARRAY_TASK_STEP") : 1;
        if (count < 1)
            count = env_long("SLURM_ARRAY_TASK_COUNT");
        if (count < 1 && min >= 0 && max >= min)
            count = (max - min) / step + 1;
    } else if ((idx = env_long("JOB_COMPLETION_INDEX")) >= 0) {
        base = 0;
    } else {
        return GB_FAIL(err, GB_EINVAL,
                       "--shard auto found neither SLURM_ARRAY_TASK_ID nor JOB_COMPLETION_INDEX; "
                       "give --shard K/N");
    }
    if (count < 1)
        return GB_FAIL(err, GB_EINVAL, "--shard auto needs the shard count: set GEMBATCH_SHARDS "
                                       "(or SLURM_ARRAY_TASK_COUNT)");
    long k = (idx - base) / step + 1;
    if (idx < base || (idx - base) % step || k > count)
        return GB_FAIL(err, GB_EINVAL, "--shard auto: task index %ld is not one of %ld shards "
                                       "(first index %ld, step %ld); set GEMBATCH_SHARDS or give "
                                       "--shard K/N", idx, count, base, step);
    c->shard_k = (int)k;
    c->shard_n = (int)count;
    return 0;
}

/* A key with a control character would end the header line it is sent in
 * (a CR LF injects headers of its own): refused, and never printed. */
static int check_key(const char *k, const char *from, struct gb_err *err)
{
    for (const unsigned char *c = (const unsigned char *)k; *c; c++)
        if (*c < 0x20 || *c == 0x7f)
            return GB_FAIL(err, GB_EINVAL,
                           "the API key from %s contains a control character (a line break or "
                           "tab?); give the key alone on one line",
                           from);
    return 0;
}

/* A key file others can read is a key others can use: say so, go on. */
static void warn_if_shared(FILE *f, const char *key_file)
{
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRGRP | S_IROTH)))
        log_warn("--api-key-file '%s' is readable by %s (mode %03o); chmod 600 it", key_file,
                 st.st_mode & S_IROTH ? "other users" : "its group",
                 (unsigned)(st.st_mode & 0777));
}

int config_load_key(struct config *c, const char *key_file, struct gb_err *err)
{
    if (key_file) {
        FILE *f = fopen(key_file, "r");
        if (!f)
            return GB_FAIL(err, GB_ENOENT, "cannot read --api-key-file '%s': %s", key_file,
                           strerror(errno));
        warn_if_shared(f, key_file);
        char line[1024];
        char *ok = fgets(line, sizeof line, f);
        fclose(f);
        if (!ok)
            return GB_FAIL(err, GB_EINVAL, "--api-key-file '%s' is empty", key_file);
        size_t n = strlen(line);
        while (n && (line[n - 1] == '\n' || line[n - 1] == '\r' || line[n - 1] == ' '))
            line[--n] = '\0';
        if (!n)
            return GB_FAIL(err, GB_EINVAL, "--api-key-file '%s' is empty", key_file);
        char from[600];
        snprintf(from, sizeof from, "--api-key-file '%.500s'", key_file);
        int rc = check_key(line, from, err);
        c->api_key = rc ? NULL : strdup(line);
        memset(line, 0, sizeof line);
        return rc ? rc : c->api_key ? 0 : GB_ENOMEM;
    }
    int own = 0;
    const char *k = config_shard_env(c, "GEMINI_API_KEY", &own);
    const char *from = own ? "GEMINI_API_KEY_<K>" : "GEMINI_API_KEY";
    if (!k || !*k) {
        k = getenv("GOOGLE_API_KEY");
        from = "GOOGLE_API_KEY";
        own = 0;
    }
    if (k && *k) {
        int rc = check_key(k, from, err);
        if (rc)
            return rc;
        c->api_key = strdup(k);
        c->key_per_shard = own;
        return c->api_key ? 0 : GB_ENOMEM;
    }
    return 0;
}

int config_check_endpoint(const char *endpoint, struct gb_err *err)
{
    int http = url_is_http(endpoint);
    if (http && !strpbrk(endpoint, "?#"))
        return 0;
    char *shown = url_redact(endpoint);
    if (!http)
        GB_FAIL(err, GB_EINVAL, "the endpoint '%s' is not an http:// or https:// URL",
                shown ? shown : "?");
    else /* paths are appended to it: a query would end up mid-path, or carry a key */
        GB_FAIL(err, GB_EINVAL, "the endpoint '%s' has a query or a fragment; give the base URL "
                "alone (gembatch adds the paths, and sends the key from GEMINI_API_KEY in a "
                "header, never in a URL)", shown ? shown : "?");
    free(shown);
    return GB_EINVAL;
}

const char *config_shard_env(const struct config *c, const char *name, int *from_shard)
{
    if (from_shard)
        *from_shard = 0;
    if (c->shard_n) {
        char var[96];
        snprintf(var, sizeof var, "%.64s_%d", name, c->shard_k);
        const char *v = getenv(var);
        if (v && *v) {
            if (from_shard)
                *from_shard = 1;
            return v;
        }
    }
    return getenv(name);
}

void config_split_limits(struct config *c)
{
    if (c->shard_n < 2 || c->key_per_shard)
        return;
    if (c->rpm > 0)
        c->rpm = c->rpm / c->shard_n > 0 ? c->rpm / c->shard_n : 1;
    if (c->tpm > 0)
        c->tpm = c->tpm / c->shard_n > 0 ? c->tpm / c->shard_n : 1;
}

/* "v1", "v1beta", "v1alpha", "v2beta3": an API version path segment. */
static int version_segment(const char *s, size_t n)
{
    size_t i = 1;
    if (n < 2 || s[0] != 'v' || s[1] < '0' || s[1] > '9')
        return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    if (i == n)
        return 1;
    if (n - i >= 5 && !strncmp(s + i, "alpha", 5))
        i += 5;
    else if (n - i >= 4 && !strncmp(s + i, "beta", 4))
        i += 4;
    else
        return 0;
    while (i < n && s[i] >= '0' && s[i] <= '9')
        i++;
    return i == n;
}

int config_endpoint_strip(const char *url, enum dialect d, const char *what, char **stripped,
                          struct gb_err *err)
{
    *stripped = NULL;
    const char *host = strstr(url, "://");
    if (!host || strpbrk(url, "?#"))
        return 0; /* not a base URL gembatch can reason about: left as given */
    const char *path = strchr(host + 3, '/');
    if (!path)
        return 0;
    size_t end = strlen(url);
    while (end > (size_t)(path - url) && url[end - 1] == '/')
        end--;
    size_t start = end;
    while (start > (size_t)(path - url) && url[start - 1] != '/')
        start--;
    if (start == end || !version_segment(url + start, end - start))
        return 0;
    const char *want = d == DIALECT_V1 ? "v1" : "v1beta";
    int seglen = (int)(end - start);
    if ((size_t)seglen != strlen(want) || strncmp(url + start, want, (size_t)seglen)) {
        if (strcmp(want, "v1") && seglen == 2 && !strncmp(url + start, "v1", 2))
            return GB_FAIL(err, GB_EINVAL, "%s '%s' ends in /v1, but requests use --api-version "
                           "%s; gembatch adds the version to the URL itself: drop '/v1' from "
                           "it, or give --api-version v1", what, url, want);
        if (seglen == 6 && !strncmp(url + start, "v1beta", 6))
            return GB_FAIL(err, GB_EINVAL, "%s '%s' ends in /v1beta, but requests use "
                           "--api-version %s; gembatch adds the version to the URL itself: drop "
                           "'/v1beta' from it, or leave --api-version out", what, url, want);
        return GB_FAIL(err, GB_EINVAL, "%s '%s' ends in /%.*s, a version gembatch does not "
                       "speak (it speaks v1beta and v1, chosen with --api-version, and adds it "
                       "to the URL itself); drop '/%.*s' from the URL", what, url, seglen,
                       url + start, seglen, url + start);
    }
    /* the URL without "/<version>" and the slashes around it */
    size_t keep = start;
    while (keep > (size_t)(path - url) && url[keep - 1] == '/')
        keep--;
    *stripped = strndup(url, keep);
    return *stripped ? 0 : GB_FAIL(err, GB_ENOMEM, "out of memory");
}

int config_fix_endpoint(struct config *c, const char *what, struct gb_err *err)
{
    char *s = NULL;
    int rc = config_endpoint_strip(c->endpoint, c->dialect, what, &s, err);
    if (rc || !s)
        return rc;
    if (!c->quiet)
        log_info("%s '%s' ends in /%s, which gembatch adds itself: using '%s'", what,
                 c->endpoint, c->dialect == DIALECT_V1 ? "v1" : "v1beta", s);
    free(c->endpoint_owned);
    c->endpoint_owned = s;
    c->endpoint = s;
    return 0;
}

int config_check_cacert(const char *path, struct gb_err *err)
{
    static const char pem[] = "-----BEGIN CERTIFICATE-----",
                      trusted[] = "-----BEGIN TRUSTED CERTIFICATE-----";
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    struct stat st;
    if (fd < 0)
        return GB_FAIL(err, GB_ENOENT, "--cacert '%s': %s; give a CA bundle in PEM form", path,
                       strerror(errno));
    int rc = 0;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        rc = GB_FAIL(err, GB_EINVAL, "--cacert '%s' is not a regular file; give a CA bundle in "
                     "PEM form", path);
        goto out;
    }
    /* a PEM bundle is text: a certificate's marker sits at the start of a
     * line; reading stops at the first one (bundles are a few hundred KiB) */
    char buf[65536 + sizeof trusted];
    size_t keep = 0;
    off_t off = 0;
    for (;;) {
        ssize_t n = pread(fd, buf + keep, sizeof buf - keep - 1, off);
        if (n < 0) {
            rc = GB_FAIL(err, GB_EIO, "--cacert '%s': %s", path, strerror(errno));
            goto out;
        }
        if (n == 0)
            break;
        off += n;
        size_t len = keep + (size_t)n;
        buf[len] = '\0';
        if (memmem(buf, len, pem, sizeof pem - 1) || memmem(buf, len, trusted, sizeof trusted - 1))
            goto out;
        keep = len < sizeof trusted ? len : sizeof trusted; /* a marker across two reads */
        memmove(buf, buf + len - keep, keep);
        if (off > (off_t)64 << 20)
            break;
    }
    rc = GB_FAIL(err, GB_EINVAL, "--cacert '%s' holds no PEM certificate (no \"%s\" line); "
                 "give a CA bundle in PEM form", path, pem);
out:
    close(fd);
    return rc;
}
