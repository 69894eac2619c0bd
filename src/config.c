/* config.c: defaults, pipeline limits and flags folded into one struct
 * config, plus the API key (read from the environment or a file, kept in
 * memory only, never printed) and shard selection. */
#include "config.h"
#include "pipeline.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void config_defaults(struct config *c)
{
    memset(c, 0, sizeof *c);
    c->concurrency = 32;
    c->max_attempts = 6;
    c->timeout_s = 300;
    c->bg_deadline_s = 3600;
    c->endpoint = "https://generativelanguage.googleapis.com";
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
}

enum { SEEN_CONC, SEEN_RPM, SEEN_TPM, SEEN_ATTEMPTS, SEEN_TIMEOUT };

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
    cache_close(c->cache);
    c->api_key = NULL;
    c->out_dir = NULL;
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

int config_load_key(struct config *c, const char *key_file, struct gb_err *err)
{
    if (key_file) {
        FILE *f = fopen(key_file, "r");
        if (!f)
            return GB_FAIL(err, GB_ENOENT, "cannot read --api-key-file '%s': %s", key_file,
                           strerror(errno));
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
        c->api_key = strdup(line);
        memset(line, 0, sizeof line);
        return c->api_key ? 0 : GB_ENOMEM;
    }
    int own = 0;
    const char *k = config_shard_env(c, "GEMINI_API_KEY", &own);
    if (!k || !*k) {
        k = getenv("GOOGLE_API_KEY");
        own = 0;
    }
    if (k && *k) {
        c->api_key = strdup(k);
        c->key_per_shard = own;
        return c->api_key ? 0 : GB_ENOMEM;
    }
    return 0;
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
