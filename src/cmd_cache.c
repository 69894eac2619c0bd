/* cmd_cache.c: `gembatch cache stats|prune|export`: look after the answer
 * cache that run --cache fills. The database work is cache.c's; this file
 * parses flags and prints. */
#include "cache.h"
#include "cli.h"
#include "cmd.h"
#include "fsx.h"
#include "log.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char details[] =
    "Actions:\n"
    "  stats    how many answers and images the cache holds, its size on disk, and\n"
    "           the age of its oldest and newest answers (--json: one JSON object)\n"
    "  prune    delete answers older than --older-than, then the oldest until the\n"
    "           database and its images fit --max-size, then the images no answer\n"
    "           names; the space goes back to the file system. Safe while runs use\n"
    "           the cache: what goes is asked again next time\n"
    "  export   every answer as one JSON line on stdout, oldest first: key,\n"
    "           created_at, model, synthetic, cost_usd, result, images\n"
    "\n"
    "The cache is an SQLite database (WAL) with its images beside it in\n"
    "PATH.blobs/, one file per content hash. A damaged, locked or foreign file is\n"
    "refused with exit 2.\n"
    "\n"
    "Examples:\n"
    "  gembatch cache stats --cache ~/.cache/gembatch/answers.db\n"
    "  GEMBATCH_CACHE=answers.db gembatch cache prune --older-than 30d --max-size 2G\n";

static void human_size(uint64_t b, char out[32])
{
    const char *unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    double v = (double)b;
    int u = 0;
    while (v >= 1024 && u < 4)
        v /= 1024, u++;
    snprintf(out, 32, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

static int print_stats(struct cache *c, const char *path, int as_json, struct gb_err *err)
{
    struct cache_stats st;
    int rc = cache_stats(c, &st, err);
    if (rc)
        return rc;
    char oldest[32] = "", newest[32] = "";
    if (st.rows) {
        iso8601(st.oldest, oldest);
        iso8601(st.newest, newest);
    }
    if (as_json) {
        json_t *o = json_pack("{s:s,s:i,s:I,s:I,s:I,s:I,s:I,s:s?,s:s?}", "cache", path,
                              "schema_version", st.schema_version, "results",
                              (json_int_t)st.rows, "image_refs", (json_int_t)st.image_refs,
                              "blobs", (json_int_t)st.blobs, "blob_bytes",
                              (json_int_t)st.blob_bytes, "db_bytes", (json_int_t)st.db_bytes,
                              "oldest", st.rows ? oldest : NULL, "newest",
                              st.rows ? newest : NULL);
        char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
        json_decref(o);
        if (!s)
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        printf("%s\n", s);
        free(s);
        return 0;
    }
    char dbs[32], bls[32];
    human_size(st.db_bytes, dbs);
    human_size(st.blob_bytes, bls);
    printf("cache      %s (schema %d)\n", path, st.schema_version);
    printf("answers    %lld\n", st.rows);
    printf("images     %lld named, %lld files, %s\n", st.image_refs, st.blobs, bls);
    printf("database   %s\n", dbs);
    if (st.rows)
        printf("oldest     %s\nnewest     %s\n", oldest, newest);
    return 0;
}

int cmd_cache(int argc, char **argv)
{
    const char *path = NULL, *older = NULL;
    uint64_t max_size = 0;
    int as_json = 0, size_seen = 0;
    const struct cli_opt opts[] = {
        {0, "cache", CLI_STR, &path, "PATH", "the cache database (default: env GEMBATCH_CACHE)",
         0, 0, NULL},
        {0, "older-than", CLI_STR, &older, "DUR",
         "prune: delete answers older than this (30m, 12h, 7d, 2w)", 0, 0, NULL},
        {0, "max-size", CLI_SIZE, &max_size, "SIZE",
         "prune: then delete the oldest until database and images fit (500M, 2G)", 0, 0,
         &size_seen},
        {0, "json", CLI_FLAG, &as_json, NULL, "stats: one JSON object", 0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {"cache", "stats|prune|export [--cache PATH] [options]",
                                "Look after the answer cache of run --cache.", details, opts};
    int npos = 0, outcome = GB_USAGE;
    struct cache *c = NULL;
    struct gb_err err = {0};
    char **pos = cli_args(&cmd, argc, argv, &npos, &outcome);
    if (!pos)
        return outcome;
    const char *action = npos ? pos[0] : NULL;
    int is_stats = action && !strcmp(action, "stats"), is_prune = action && !strcmp(action, "prune"),
        is_export = action && !strcmp(action, "export");
    if (npos != 1 || !(is_stats || is_prune || is_export)) {
        cli_usage_error(&cmd, npos > 1 ? "one action: stats, prune or export"
                              : action ? "unknown action '%s'; give stats, prune or export"
                                       : "no action given; give stats, prune or export",
                        action ? action : "");
        goto out;
    }
    if (!path || !*path)
        path = getenv("GEMBATCH_CACHE");
    if (!path || !*path) {
        cli_usage_error(&cmd, "no cache: give --cache PATH or set GEMBATCH_CACHE");
        goto out;
    }
    double older_s = 0;
    if (older && (cli_parse_duration(older, &older_s) || older_s <= 0)) {
        cli_usage_error(&cmd, "--older-than takes a duration such as 30m, 12h or 7d, not '%s'",
                        older);
        goto out;
    }
    if (!is_prune && (older || size_seen)) {
        cli_usage_error(&cmd, "--older-than and --max-size are for prune");
        goto out;
    }
    if (is_prune && !older && !size_seen) {
        cli_usage_error(&cmd, "prune needs --older-than DUR, --max-size SIZE or both");
        goto out;
    }
    /* read mode never creates a file: a mistyped path is an error, not a
     * new empty cache; prune writes, so it opens readwrite once it exists */
    struct cache_opts o = {path, CACHE_READ, 0, 0, -1};
    int rc;
    if ((rc = cache_open(&o, &c, &err)) == 0 && is_prune) {
        cache_close(c);
        c = NULL;
        o.mode = CACHE_READWRITE;
        rc = cache_open(&o, &c, &err);
    }
    if (rc) {
        log_err(&err);
        goto out;
    }
    if (is_stats)
        rc = print_stats(c, path, as_json, &err);
    else if (is_export)
        rc = cache_export(c, stdout, &err);
    else {
        struct cache_prune_opts po = {older_s, max_size, 0, 0};
        struct cache_prune_result pr;
        rc = cache_prune(c, &po, &pr, &err);
        char before[32], after[32];
        human_size(pr.bytes_before, before);
        human_size(pr.bytes_after, after);
        if (!rc)
            printf("pruned %lld answer%s and %lld image file%s: %s -> %s\n", pr.rows,
                   pr.rows == 1 ? "" : "s", pr.blobs, pr.blobs == 1 ? "" : "s", before, after);
    }
    if (rc) {
        log_err(&err);
        goto out;
    }
    if (fflush(stdout)) {
        log_error("cannot write to stdout");
        goto out;
    }
    outcome = GB_DONE;
out:
    cache_close(c);
    free(pos);
    return outcome;
}
