/* run_dry.c: --dry-run: every job built as a run would build it and printed
 * as the request it would send (media as type, size and digest), with its
 * token estimate; nothing is sent and nothing is written to OUTDIR. Calls
 * only run_jobs.c in the engine. */
#include "run_int.h"

#include <fcntl.h>
#include <unistd.h>

static void media_digest(const char *path, char hex[65])
{
    strcpy(hex, "unreadable");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct sha256 h;
    unsigned char b[65536];
    ssize_t n;
    if (sha256_init(&h)) {
        close(fd);
        return;
    }
    while ((n = read(fd, b, sizeof b)) > 0)
        sha256_update(&h, b, (size_t)n);
    uint8_t d[32];
    if (n == 0 && sha256_final(&h, d) == 0)
        sha256_hex(d, hex);
    else
        sha256_free(&h);
    close(fd);
}

/* Print each request as it would be sent (media as type, size and digest)
 * with its token estimate; send nothing. */
int run_dry(const struct config *cfg, struct pipeline *pipe)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return GB_USAGE;
    r->cfg = cfg;
    r->pipe = pipe;
    sniff_init(&r->sniff);
    /* archive entries are spooled outside OUTDIR: a dry run writes nothing there */
    char tmpl[] = "/tmp/gembatch-dry-XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    r->spool_dir = tmpdir && *tmpdir ? fsx_join(tmpdir, "gembatch-dry-XXXXXX") : strdup(tmpl);
    if (!r->spool_dir || !mkdtemp(r->spool_dir) || run_init_jobs(r)) {
        free(r->spool_dir);
        free(r);
        return GB_USAGE;
    }
    long long jobs = 0, bad = 0, tokens = 0;
    const char *path = cfg->dialect == DIALECT_V1 ? "/v1/interactions" : "/v1beta/interactions";
    struct job *j;
    while ((j = run_next_job(r))) {
        if (cfg->shard_n && j->digest % (uint64_t)cfg->shard_n != (uint64_t)(cfg->shard_k - 1)) {
            job_free(j);
            continue;
        }
        jobs++;
        json_t *o = json_pack("{s:s}", "id", j->id);
        if (j->failed_build) {
            bad++;
            json_object_set_new(o, "error", json_string(j->build_err.msg));
            json_object_set_new(o, "line", json_integer(j->line));
        } else {
            for (size_t i = 0; i < j->nmedia; i++) {
                char hex[65], s[160];
                media_digest(j->media[i].path, hex);
                snprintf(s, sizeof s, "<%s %llu bytes sha256:%s>", j->media[i].mime,
                         (unsigned long long)j->media[i].size, hex);
                json_object_set_new(j->media[i].part, "data", json_string(s));
            }
            long est = req_estimate_tokens(j->req, j);
            tokens += est;
            json_object_set_new(
                o, "request",
                json_pack("{s:s,s:s,s:O}", "method", "POST", "path", path, "body", j->req));
            json_object_set_new(o, "estimated_input_tokens", json_integer(est));
        }
        char *line = json_dumps(o, JSON_COMPACT);
        if (line)
            puts(line);
        free(line);
        json_decref(o);
        job_free(j);
    }
    fflush(stdout);
    if (!cfg->quiet)
        fprintf(stderr,
                "gembatch: dry run: %lld jobs, %lld with errors, about %lld input tokens; "
                "nothing was sent\n",
                jobs, bad, tokens);
    schema_cache_free(r->jctx.schemas);
    sniff_free(&r->sniff);
    json_decref(r->skipped);
    rmdir(r->spool_dir); /* archives (issue 5): the spool dir, when empty */
    free(r->spool_dir);
    free(r->id_prefix);
    free(r);
    return bad ? GB_USAGE : GB_DONE;
}
