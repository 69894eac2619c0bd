/* cmd_run.c: `gembatch run PIPELINE INPUT...`: parse flags, load the pipeline
 * and the key, check inputs, start the embedded emulator when asked, and hand
 * over to run.c. Nothing is sent before every check here has passed. */
#include "cli.h"
#include "cmd.h"
#include "jsonx.h"
#include "gencontent.h"
#include "tiers.h"
#include "prices.h"
#include "budget.h"
#include "config.h"
#include "emu.h"
#include "fsx.h"
#include "log.h"
#include "outdir.h"
#include "pipeline.h"
#include "probe.h"
#include "report.h"
#include "retry.h"
#include "run.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static const char details[] =
    "INPUT is a JSONL manifest ('-' for stdin; gzip, bzip2, xz, zstd or lz4\n"
    "compressed too), an archive (tar, tar.gz/bz2/xz/zst, zip, 7z, cpio: one job\n"
    "per media entry, the entry's path as id), a folder (walked in sorted order,\n"
    "links never followed: one job per media file, its path in the folder as id)\n"
    "or media files themselves (one job each, the path as given as id), told from\n"
    "their content; several inputs run in order. Archive and folder entries that\n"
    "are not images, audio, video or PDFs are skipped unless the pipeline's\n"
    "\"accept\" lists their type. Each manifest line is an Interactions\n"
    "request applied over the pipeline as a JSON Merge Patch, plus \"id\", \"files\"\n"
    "(local media appended as parts) and \"vars\" (for {{name}} in the pipeline's\n"
    "prompt). Paths are relative to the manifest's folder; media types come from the\n"
    "files' bytes.\n"
    "\n"
    "PIPELINE is a JSON request body plus gembatch's keys: name, prompt, limits\n"
    "(concurrency, rpm, tpm, max_attempts, timeout_s: defaults for the flags),\n"
    "validate.reask, steps, tools[].run, max_tool_turns; {\"$file\": \"x.json\"} anywhere\n"
    "is replaced by that file (see man gembatch, docs/pipelines.md).\n"
    "\n"
    "Outputs in OUTDIR: results.jsonl (one line per completed job), errors.jsonl\n"
    "(one line per job that failed for good), images/, run.json (counts, tokens,\n"
    "latency percentiles). Running again into the same OUTDIR resumes: finished ids\n"
    "are skipped, failed ones are tried again; a changed pipeline is refused.\n"
    "\n"
    "Retried, with exponential backoff and full jitter, honouring RetryInfo and\n"
    "Retry-After: " RETRY_HELP_RETRIED ".\n"
    "Not retried: " RETRY_HELP_NOT_RETRIED ".\n"
    "An answer cut at the service's output limit (/v1/ status requires_continuation)\n"
    "is continued with its continuation_token (up to 64 times) and joined before it is\n"
    "validated; the result counts the continuations.\n"
    "\n"
    "The API key comes from GEMINI_API_KEY (or GOOGLE_API_KEY) or --api-key-file;\n"
    "never from the command line, and it is never printed or logged.\n"
    "GEMBATCH_DEBUG=1 logs each retry (reason and wait) and each failure on stderr.\n"
    "\n"
    "Sharding: --shard K/N runs the jobs whose id hashes to K (1..N); --shard auto takes\n"
    "K from SLURM_ARRAY_TASK_ID (with SLURM_ARRAY_TASK_MIN/MAX/COUNT/STEP) or from a\n"
    "Kubernetes Indexed Job's JOB_COMPLETION_INDEX (0-based), N from GEMBATCH_SHARDS or\n"
    "the Slurm array. Shard K takes GEMINI_API_KEY_<K> and GEMINI_BASE_URL_<K> over\n"
    "GEMINI_API_KEY and GEMINI_BASE_URL. --rpm and --tpm (or the pipeline's limits) are\n"
    "the whole quota of a shared key: each shard uses 1/N of it (shown in run.json's\n"
    "options), unless it has its own GEMINI_API_KEY_<K>. Combine the shards' output\n"
    "folders with gembatch merge.\n"
    "\n"
    "Exit status: 0 all jobs completed, 1 some failed (see errors.jsonl), 2 usage,\n"
    "pipeline or input error before anything was sent, 3 run aborted (authentication\n"
    "refused, endpoint unreachable, too many failures in a row), 4 stopped at the\n"
    "--max-cost budget, 5 Batch Mode batches still running (run again, or --wait),\n"
    "75 OUTDIR is in use\n"
    "by another run (nothing was done; try again later), 130 interrupted (Ctrl-C\n"
    "once drains in-flight requests; twice stops them; both flush files).\n"
    "\n"
    "Nightly runs: -o takes strftime patterns (-o out/%Y-%m-%d, local time, filled\n"
    "once at start) and --link-latest points out/latest at the folder when the run\n"
    "ends. --cache PATH (or GEMBATCH_CACHE) serves a job asked before from an SQLite\n"
    "answer cache instead of sending it: the key is the model, the whole request and\n"
    "each media file's SHA-256 (not its path); a cached answer is validated against\n"
    "the current schema. Sampling without a seed (temperature above 0), agents,\n"
    "background work, tool programs and search tools are not cached unless\n"
    "--cache-nondeterministic: their answers depend on more than the request. See\n"
    "gembatch cache --help. --metrics FILE writes Prometheus text for node_exporter.\n"
    "\n"
    "Examples:\n"
    "  gembatch run pipelines/classify-images.json samples/images.jsonl --emulator\n"
    "  GEMINI_API_KEY=... gembatch run extract.json jobs.jsonl -o out/nightly -j 64 --rpm 1000\n";

/* run --report: the page of what the run left in OUTDIR, also after a failed,
 * aborted or interrupted run. A page that cannot be written is reported but
 * leaves the run's exit status alone: the results are what the status is
 * about. */
static void write_report(const struct config *cfg)
{
    struct gb_err err = {0};
    if (report_write(cfg->out_dir, NULL, &err)) {
        log_error("the report was not written: %s", err.msg);
        return;
    }
    char *page = fsx_join(cfg->out_dir, "report.html");
    log_info("report in %s", page ? page : cfg->out_dir);
    free(page);
}

/* --max-cost (or the pipeline's limits.max_cost_usd), --finish-by, --tier
 * and --prices: checked before anything runs (exit 2). */
static int cost_flags(const struct cli_cmd *cmd, struct config *cfg, const struct pipeline *p,
                      const char *max_cost, const char *finish_by, const char *tier)
{
    struct gb_err err = {0};
    if (max_cost) {
        if (budget_parse(max_cost, &cfg->max_cost, &err)) {
            cli_usage_error(cmd, "--max-cost: %s", err.msg);
            return -1;
        }
        cfg->has_max_cost = 1;
    } else if (p->limits.max_cost_usd >= 0) {
        cfg->max_cost = (struct budget_arg){p->limits.max_cost_usd, 0};
        cfg->has_max_cost = 1;
    }
    if (finish_by) {
        time_t now = time(NULL), dl;
        if (tier_parse_finish_by(finish_by, now, &dl, &err)) {
            cli_usage_error(cmd, "%s", err.msg);
            return -1;
        }
        cfg->finish_by_s = (double)dl;
    }
    if (tier) {
        enum tier t;
        if (tier_asked(tier, &t)) {
            cli_usage_error(cmd, "--tier takes standard, flex or priority, not '%s'", tier);
            return -1;
        }
        cfg->tier = tier_name(t);
    }
    if (cfg->prices_path) { /* a broken table stops here, not at the first answer */
        struct prices *pr = NULL;
        int rc = prices_load(cfg->prices_path, &pr, &err);
        prices_free(pr);
        if (rc) {
            log_err(&err);
            return -1;
        }
    }
    return 0;
}

/* --mode (or the pipeline's "mode"): a pipeline the Batch API cannot run is
 * refused before anything is sent, naming what it cannot express. */
static int mode_flags(const struct cli_cmd *cmd, struct config *cfg, const struct pipeline *p,
                      const char *mode, const char *reask, const char *lost)
{
    if (!mode)
        mode = jx_str(p->doc, "mode");
    if (!mode || !strcmp(mode, "online"))
        cfg->mode = MODE_ONLINE;
    else if (!strcmp(mode, "batch"))
        cfg->mode = MODE_BATCH;
    else if (!strcmp(mode, "auto"))
        cfg->mode = MODE_AUTO;
    else {
        cli_usage_error(cmd, "--mode takes online, batch or auto, not '%s'", mode);
        return -1;
    }
    if (reask) {
        char *end = NULL;
        long n = strtol(reask, &end, 10);
        if (!strcmp(reask, "online") || !strcmp(reask, "batch")) {
            cfg->reask_online = !strcmp(reask, "online");
        } else if (end != reask && !*end && n >= 0 && n <= 20) {
            cfg->reask = n;
        } else {
            cli_usage_error(cmd, "--reask takes a count (0 to 20), online or batch, not '%s'",
                            reask);
            return -1;
        }
    }
    if (lost) {
        if (!strcmp(lost, "resubmit"))
            cfg->batch_lost = LOST_RESUBMIT;
        else if (!strcmp(lost, "online"))
            cfg->batch_lost = LOST_ONLINE;
        else if (!strcmp(lost, "report"))
            cfg->batch_lost = LOST_REPORT;
        else {
            cli_usage_error(cmd, "--batch-lost takes resubmit, online or report, not '%s'", lost);
            return -1;
        }
    } else if (cfg->mode == MODE_AUTO) {
        cfg->batch_lost = LOST_ONLINE;
    }
    if (cfg->mode == MODE_ONLINE) {
        if (cfg->wait || cfg->batch_requests || cfg->batch_max_bytes || cfg->reask_online || lost) {
            cli_usage_error(cmd, "--wait, --batch-size, --batch-max-bytes, --batch-lost and "
                            "--reask online go with --mode batch or auto");
            return -1;
        }
        return 0;
    }
    const char *why = gc_pipeline_unsupported(p->doc, p->ntools > 0,
                                              p->steps ? (int)json_array_size(p->steps) : 1);
    if (why && cfg->mode == MODE_AUTO) {
        /* nothing of it can go to a batch: auto is online */
        log_info("--mode auto: the Batch API cannot express %s, so every job of '%s' goes "
                 "online", why, p->path);
        cfg->mode = MODE_ONLINE;
        cfg->wait = 0;
        return 0;
    }
    if (why) {
        log_error("'%s' cannot run in Batch Mode: the Batch API cannot express %s; run it with "
                  "--mode online (or auto)",
                  p->path, why);
        return -1;
    }
    if (cfg->has_max_cost) {
        /* what a later batch round sends is priced only when that batch is
         * joined, maybe days later: under a budget it goes online, where each
         * request's worst case is reserved before it leaves */
        if ((reask && !strcmp(reask, "batch")) || (lost && !strcmp(lost, "resubmit"))) {
            cli_usage_error(cmd, "--max-cost cannot bound a later batch round (its cost is known "
                            "only when it is joined): with --max-cost, re-asks and lost jobs go "
                            "online; leave out --reask batch and --batch-lost resubmit");
            return -1;
        }
        cfg->reask_online = 1;
        if (cfg->batch_lost == LOST_RESUBMIT)
            cfg->batch_lost = LOST_ONLINE;
    }
    int online_too = cfg->mode == MODE_AUTO || cfg->reask_online || cfg->batch_lost == LOST_ONLINE;
    if (cfg->stream || ((cfg->tier || cfg->finish_by_s > 0) && !online_too)) {
        cli_usage_error(cmd, "--tier and --finish-by apply to what goes online (--mode auto, "
                        "--reask online, --batch-lost online); --stream does not apply to batches");
        return -1;
    }
    if (cfg->mode == MODE_AUTO) {
        for (int i = 0; i < cfg->ninputs; i++)
            if (!strcmp(cfg->inputs[i], "-")) {
                cli_usage_error(cmd, "--mode auto reads its inputs again for the jobs that go "
                                "online: give a file, not '-' (stdin)");
                return -1;
            }
        if (cfg->finish_by_s > 0)
            cfg->wait = 1; /* the deadline is the run's to keep */
    }
    return 0;
}

/* --cache*, --metrics, --link-latest: checked before anything runs. */
static int nightly_flags(const struct cli_cmd *cmd, struct config *cfg, const char *mode,
                         const char *max_age)
{
    const char *env = getenv("GEMBATCH_CACHE");
    if (!cfg->cache_path && env && *env)
        cfg->cache_path = env;
    if (!cfg->cache_path && (mode || max_age || cfg->cache_optional ||
                             cfg->cache_nondeterministic)) {
        cli_usage_error(cmd, "--cache-mode, --cache-max-age, --cache-optional and "
                             "--cache-nondeterministic need --cache PATH (or GEMBATCH_CACHE)");
        return -1;
    }
    if (mode && cache_mode_parse(mode, &cfg->cache_mode)) {
        cli_usage_error(cmd, "--cache-mode takes readwrite, read, write or refresh, not '%s'",
                        mode);
        return -1;
    }
    if (max_age && (cli_parse_duration(max_age, &cfg->cache_max_age_s) ||
                    cfg->cache_max_age_s <= 0)) {
        cli_usage_error(cmd, "--cache-max-age takes a duration such as 30m, 12h or 7d, not '%s'",
                        max_age);
        return -1;
    }
    char *ldir = NULL, *target = NULL;
    struct gb_err err = {0};
    if (cfg->link_latest && outdir_latest_place(cfg->out_pattern ? cfg->out_pattern
                                                                 : cfg->out_dir,
                                                cfg->out_dir, &ldir, &target, &err)) {
        cli_usage_error(cmd, "%s", err.msg);
        return -1;
    }
    char *link = ldir ? fsx_join(ldir, "latest") : NULL;
    struct stat st;
    int blocked = link && lstat(link, &st) == 0 && !S_ISLNK(st.st_mode);
    if (blocked)
        cli_usage_error(cmd, "--link-latest: '%s' exists and is not a symlink; move it away",
                        link);
    free(link);
    free(ldir);
    free(target);
    return blocked ? -1 : 0;
}

/* Open --cache before anything is sent. Answers of the emulator are served
 * only to runs against an emulator and real ones only to real runs: an
 * endpoint given by URL is asked which it is (one free GET). */
static int open_cache(struct config *cfg, int endpoint_given)
{
    struct cache_opts o = {cfg->cache_path, cfg->cache_mode, cfg->cache_max_age_s, 0, 0};
    struct gb_err err = {0};
    o.synthetic = cfg->emulator != 0;
    if (!cfg->emulator && endpoint_given) {
        char url[2048];
        snprintf(url, sizeof url, "%s", cfg->endpoint);
        size_t n = strlen(url);
        while (n && url[n - 1] == '/')
            url[--n] = '\0';
        snprintf(url + n, sizeof url - n, "/%s", cfg->dialect == DIALECT_V1 ? "v1" : "v1beta");
        o.synthetic = probe_is_emulator(url, cfg->api_key, cfg->cacert, &err) == 1;
    }
    if (cache_open(&o, &cfg->cache, &err) == 0)
        return 0;
    if (cfg->cache_optional) {
        log_warn("%s; going on without the cache (--cache-optional)", err.msg);
        return 0;
    }
    log_err(&err);
    return -1;
}

int cmd_run(int argc, char **argv)
{
    struct config cfg;
    config_defaults(&cfg);
    int seen[SEEN_N] = {0};
    int endpoint_seen = 0;
    const char *out = NULL, *api_version = "v1beta", *key_file = NULL, *shard = NULL,
               *progress = "auto";
    long seed = 0;
    int report = 0;
    const char *cache_mode = NULL, *cache_max_age = NULL;
    const char *max_cost = NULL, *finish_by = NULL, *tier = NULL, *mode = NULL;
    const char *reask = NULL, *lost = NULL;
    double timeout = cfg.timeout_s;
    const struct cli_opt opts[] = {
        {'o', "out", CLI_STR, &out, "DIR",
         "output folder (default out/<pipeline name>); strftime patterns such as "
         "out/%Y-%m-%d are filled in local time when the run starts",
         0, 0, NULL},
        {'j', "concurrency", CLI_INT, &cfg.concurrency, "N",
         "requests in flight (default: the pipeline's limits, else 32)", 1, 4096,
         &seen[SEEN_CONC]},
        {0, "rpm", CLI_INT, &cfg.rpm, "N", "requests per minute; 0 = unlimited (the default)", 0,
         100000000, &seen[SEEN_RPM]},
        {0, "tpm", CLI_INT, &cfg.tpm, "N", "input tokens per minute; 0 = unlimited (the default)", 0,
         2000000000, &seen[SEEN_TPM]},
        {0, "max-attempts", CLI_INT, &cfg.max_attempts, "N", "attempts per request (default 6)",
         1, 100, &seen[SEEN_ATTEMPTS]},
        {0, "timeout", CLI_DOUBLE, &timeout, "SEC", "limit for one attempt (default 300)", 0.05,
         86400, &seen[SEEN_TIMEOUT]},
        {0, "endpoint", CLI_STR, &cfg.endpoint, "URL",
         "API base URL (env GEMINI_BASE_URL; default https://generativelanguage.googleapis.com)",
         0, 0, &endpoint_seen},
        {0, "api-version", CLI_STR, &api_version, "V",
         "v1beta (default: the guide's dialect) or v1 (the current one)", 0, 0, NULL},
        {0, "api-key-file", CLI_STR, &key_file, "FILE",
         "read the API key from FILE (default: GEMINI_API_KEY or GOOGLE_API_KEY)", 0, 0, NULL},
        {0, "cacert", CLI_STR, &cfg.cacert, "FILE",
         "extra CA bundle for a proxy or test endpoint (verification is never off)", 0, 0, NULL},
        {0, "emulator", CLI_FLAG, &cfg.emulator, NULL,
         "run the embedded emulator on a free loopback port and use it (synthetic results)", 0,
         0, NULL},
        {0, "restart", CLI_FLAG, &cfg.restart, NULL, "discard OUTDIR's previous results first",
         0, 0, NULL},
        {0, "shard", CLI_STR, &shard, "K/N",
         "run only the jobs of shard K of N (a stable hash of the id), or 'auto' from "
         "SLURM_ARRAY_TASK_ID / JOB_COMPLETION_INDEX",
         0, 0, NULL},
        {0, "max-entry-bytes", CLI_SIZE, &cfg.max_entry_bytes, "SIZE",
         "largest archive entry (K/M/G; default 2G)", 0, 0, NULL},
        {0, "max-request-bytes", CLI_SIZE, &cfg.max_request_bytes, "SIZE",
         "largest inline request; bigger media go through the Files API (default 20M)", 0, 0,
         NULL},
        {0, "dry-run", CLI_FLAG, &cfg.dry_run, NULL,
         "print the request bodies and token estimates; send nothing", 0, 0, NULL},
        {0, "stream", CLI_FLAG, &cfg.stream, NULL, "use streaming (SSE) requests", 0, 0, NULL},
        {0, "model", CLI_STR, &cfg.model, "ID", "use this model for every job", 0, 0, NULL},
        {0, "progress", CLI_STR, &progress, "MODE",
         "auto (bar on a terminal, a line every 5 s otherwise), bar, plain or none", 0, 0, NULL},
        {'q', "quiet", CLI_FLAG, &cfg.quiet, NULL, "no progress and no summary", 0, 0, NULL},
        {0, "deadline", CLI_DOUBLE, &cfg.deadline_s, "SEC",
         "a job not finished this long after its first request fails with DEADLINE_EXCEEDED; "
         "a background interaction is cancelled (default: 3600 for agents and background "
         "jobs, none for others)",
         1, 7 * 86400, NULL},
        {0, "poll-interval", CLI_DOUBLE, &cfg.poll_initial_s, "SEC",
         "first wait between polls of background jobs (default 2, growing to 60) and of Batch "
         "Mode's batches (default 60, growing to 600)", 0.01, 3600, &seen[SEEN_POLL]},
        {0, "max-failures", CLI_INT, &cfg.max_failures, "N",
         "failed attempts in a row before the run aborts (default 200)", 1, 1000000, NULL},
        {0, "tool-concurrency", CLI_INT, &cfg.tool_concurrency, "N",
         "function-tool programs running at once (default 4)", 1, 256, NULL},
        {0, "seed", CLI_INT, &seed, "N", "seed for jitter and for the embedded emulator", 0, 0,
         NULL},
        {0, "id-prefix", CLI_STR, &cfg.id_prefix, "P",
         "put P before every job id: 'auto' the input's base name and '/' (two archives or "
         "folders with the same layout run together), 'none' (the default), or P itself",
         0, 0, NULL},
        {0, "mode", CLI_STR, &mode, "MODE",
         "online (the default: each request answered as it is sent), batch (the Batch API: "
         "half price, answers within a day) or auto (batch, and online for what a batch "
         "cannot express or, with --finish-by, what the batches have not answered when the "
         "deadline gets close); the pipeline's \"mode\" by default",
         0, 0, NULL},
        {0, "wait", CLI_FLAG, &cfg.wait, NULL,
         "--mode batch: poll until every batch has ended (the first look after "
         "--poll-interval, by default a minute, growing to ten minutes between looks) instead "
         "of exiting 5 while they run (implied by --mode auto --finish-by)",
         0, 0, NULL},
        {0, "reask", CLI_STR, &reask, "N|online|batch",
         "re-asks of an answer that breaks the schema: how many (default validate.reask, 2), "
         "or, in Batch Mode, where: in a batch of the next round (the default) or online",
         0, 0, NULL},
        {0, "batch-lost", CLI_STR, &lost, "HOW",
         "the unanswered jobs of a batch that expired or failed: resubmit (once, in a new "
         "batch; the default), online (sent online at --tier; the default of --mode auto) or "
         "report (error lines)",
         0, 0, NULL},
        {0, "batch-size", CLI_INT, &cfg.batch_requests, "N",
         "--mode batch: requests in one batch at most (default 100000)", 1, 10000000, NULL},
        {0, "batch-max-bytes", CLI_SIZE, &cfg.batch_max_bytes, "SIZE",
         "--mode batch: size of one batch's input file at most (K/M/G, powers of 1024; default "
         "and ceiling 2000000000, the Batch API's 2 GB; a request larger than it goes alone)",
         1, (double)CFG_BATCH_MAX_BYTES, NULL},
        {0, "report", CLI_FLAG, &report, NULL,
         "when the run ends, write OUTDIR/report.html (see gembatch report --help)", 0, 0, NULL},
        {0, "max-images-per-answer", CLI_INT, &cfg.max_images_per_answer, "N",
         "images one answer may bring; more fail the job with TOO_MANY_IMAGES (default 64)", 1,
         1000000, &seen[SEEN_IMG_ANSWER]},
        {0, "max-images", CLI_INT, &cfg.max_images, "N",
         "images one run may write; past it jobs fail with IMAGE_LIMIT_REACHED (default "
         "100000)",
         1, 1000000000, &seen[SEEN_IMG_RUN]},
        {0, "max-buffered", CLI_SIZE, &cfg.max_buffered_bytes, "SIZE",
         "response bytes all transfers may hold at once; one past it is stopped and retried "
         "(K/M/G; default 320M; one response is at most 256M)",
         0, 0, NULL},
        {0, "connections", CLI_INT, &cfg.max_connections, "N",
         "connections to the endpoint at most; -j sets the requests in flight (default: one "
         "a request over HTTP/1.1, 4 once the server speaks HTTP/2, whose streams carry many "
         "requests a connection)",
         1, 1024, NULL},
        {0, "tier", CLI_STR, &tier, "TIER",
         "standard (the default), flex (half price, slower, may be shed: retried) or priority "
         "(about 1.8x); the pipeline's service_tier by default, a line may name its own",
         0, 0, NULL},
        {0, "max-cost", CLI_STR, &max_cost, "USD",
         "spend at most USD in this folder (its earlier runs count; +USD: this much more); "
         "at the limit the run drains and exits 4 (pipeline limits.max_cost_usd)",
         0, 0, NULL},
        {0, "finish-by", CLI_STR, &finish_by, "TIME",
         "end by TIME (06:30, 2026-12-07T06:30, or a duration: 45m, 2h): flex work that would "
         "not finish goes out at standard",
         0, 0, NULL},
        {0, "prices", CLI_STR, &cfg.prices_path, "FILE",
         "price table to use instead of the built-in one (see gembatch prices)", 0, 0, NULL},
        {0, "cache", CLI_STR, &cfg.cache_path, "PATH",
         "answer cache, an SQLite file shared across runs (env GEMBATCH_CACHE; default off): "
         "a job asked before is served from it, not sent",
         0, 0, NULL},
        {0, "cache-mode", CLI_STR, &cache_mode, "MODE",
         "readwrite (the default), read (serve, store nothing), write (store, never serve) or "
         "refresh (ask again and replace)",
         0, 0, NULL},
        {0, "cache-max-age", CLI_STR, &cache_max_age, "DUR",
         "cached answers older than this are asked again (30m, 12h, 7d; default no limit)", 0, 0,
         NULL},
        {0, "cache-optional", CLI_FLAG, &cfg.cache_optional, NULL,
         "a cache that cannot be used (damaged, locked, another program's) is a warning and the "
         "run goes on without it (default: exit 2)",
         0, 0, NULL},
        {0, "cache-nondeterministic", CLI_FLAG, &cfg.cache_nondeterministic, NULL,
         "cache answers that may vary too: temperature above 0 without a seed, agents, "
         "background work, tool programs, search tools",
         0, 0, NULL},
        {0, "metrics", CLI_STR, &cfg.metrics_path, "FILE",
         "write Prometheus text metrics to FILE (replaced every few seconds and at the end; for "
         "node_exporter's textfile collector)",
         0, 0, NULL},
        {0, "link-latest", CLI_FLAG, &cfg.link_latest, NULL,
         "when the run ends (exit 0 or 1), point a 'latest' symlink beside the dated output "
         "folders at this one",
         0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {"run", "PIPELINE INPUT... [-o OUTDIR] [options]",
                                "Run a batch: every manifest line or archive entry becomes a "
                                "request; results, errors and images land in OUTDIR.",
                                details, opts};
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    int npos = 0, outcome = GB_USAGE;
    struct pipeline *pipe = NULL;
    struct emu *emu = NULL;
    struct gb_err err = {0};
    if (!pos)
        return GB_USAGE;
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc) {
        outcome = rc == CLI_HELP_SHOWN ? GB_DONE : GB_USAGE;
        goto out;
    }
    if (npos < 2) {
        cli_usage_error(&cmd, npos ? "no INPUT given" : "no PIPELINE or INPUT given");
        goto out;
    }
    if (cfg.max_buffered_bytes < (1u << 20)) {
        cli_usage_error(&cmd, "--max-buffered takes at least 1M");
        goto out;
    }
    cfg.timeout_s = timeout;
    cfg.seed = (uint64_t)seed;
    cfg.pipeline_path = pos[0];
    cfg.inputs = pos + 1;
    cfg.ninputs = npos - 1;
    log_set_quiet(cfg.quiet);
    if (!strcmp(api_version, "v1"))
        cfg.dialect = DIALECT_V1;
    else if (strcmp(api_version, "v1beta")) {
        cli_usage_error(&cmd, "--api-version takes v1beta or v1, not '%s'", api_version);
        goto out;
    }
    if (!strcmp(progress, "auto"))
        cfg.progress = PROGRESS_AUTO;
    else if (!strcmp(progress, "bar"))
        cfg.progress = PROGRESS_BAR;
    else if (!strcmp(progress, "plain"))
        cfg.progress = PROGRESS_PLAIN;
    else if (!strcmp(progress, "none"))
        cfg.progress = PROGRESS_NONE;
    else {
        cli_usage_error(&cmd, "--progress takes auto, bar, plain or none, not '%s'", progress);
        goto out;
    }
    if (shard && config_parse_shard(&cfg, shard, &err)) {
        cli_usage_error(&cmd, "%s", err.msg);
        goto out;
    }
    if (cfg.emulator && endpoint_seen) {
        cli_usage_error(&cmd, "--emulator runs its own endpoint, so --endpoint '%s' would be "
                        "ignored; give one of them", cfg.endpoint);
        goto out;
    }
    if (cfg.cacert && config_check_cacert(cfg.cacert, &err)) {
        log_err(&err);
        goto out;
    }
    int stdin_count = 0;
    for (int i = 0; i < cfg.ninputs; i++) {
        const char *in = cfg.inputs[i];
        if (!strcmp(in, "-")) {
            if (++stdin_count > 1) {
                cli_usage_error(&cmd, "'-' (stdin) can be given only once");
                goto out;
            }
            continue;
        }
        struct stat st;
        if (stat(in, &st) || access(in, S_ISDIR(st.st_mode) ? R_OK | X_OK : R_OK)) {
            log_error("'%s': %s; give a JSONL manifest, an archive, a folder or media files, "
                      "or '-' for stdin", in, strerror(errno));
            goto out;
        }
    }
    if (pipe_load(cfg.pipeline_path, &pipe, &err) || pipe_check_tools(pipe, &err)) {
        log_err(&err);
        goto out;
    }
    config_apply_pipeline(&cfg, pipe, seen);
    /* a flex attempt gets 10 minutes unless --timeout says otherwise: a
     * pipeline's timeout_s is for standard attempts (run.c lengthens flex) */
    cfg.timeout_set = seen[SEEN_TIMEOUT];
    /* a batch takes minutes to hours: its looks start at a minute unless asked */
    cfg.batch_poll_s = seen[SEEN_POLL] ? cfg.poll_initial_s : 0;
    if (cost_flags(&cmd, &cfg, pipe, max_cost, finish_by, tier) ||
        mode_flags(&cmd, &cfg, pipe, mode, reask, lost))
        goto out;
    if (!out) {
        char *safe = fsx_safe_name(pipe->name, strlen(pipe->name));
        cfg.out_dir = safe ? fsx_join("out", safe) : NULL;
        free(safe);
    } else {
        cfg.out_pattern = out;
        if (outdir_expand(out, time(NULL), &cfg.out_dir, &err)) {
            cli_usage_error(&cmd, "%s", err.msg);
            goto out;
        }
    }
    if (!cfg.out_dir || nightly_flags(&cmd, &cfg, cache_mode, cache_max_age))
        goto out;
    const char *endpoint_from = "--endpoint";
    if (!endpoint_seen) {
        int own = 0;
        const char *env = config_shard_env(&cfg, "GEMINI_BASE_URL", &own);
        if (env && *env) {
            cfg.endpoint = env;
            endpoint_seen = 1;
            endpoint_from = own ? "GEMINI_BASE_URL_<K>" : "GEMINI_BASE_URL";
        }
    }
    if (!cfg.emulator && config_fix_endpoint(&cfg, endpoint_from, &err)) {
        log_err(&err);
        goto out;
    }
    if (config_load_key(&cfg, key_file, &err)) {
        log_err(&err);
        goto out;
    }
    log_set_secret(cfg.api_key); /* a key echoed by a server is blanked on stderr */
    if (!cfg.emulator && config_check_endpoint(cfg.endpoint, &err)) {
        cli_usage_error(&cmd, "%s", err.msg);
        goto out;
    }
    config_split_limits(&cfg);
    if (cfg.dry_run) {
        outcome = run_dry(&cfg, pipe);
        goto out;
    }
    if (cfg.emulator) {
        struct emu_opts eo;
        emu_opts_default(&eo);
        eo.listen = "127.0.0.1:0";
        eo.seed = cfg.seed;
        eo.quiet = 1;
        if (emu_start(&eo, &emu, &err)) {
            log_error("cannot start the embedded emulator: %s", err.msg);
            outcome = GB_ABORTED;
            goto out;
        }
        cfg.endpoint = emu_base_url(emu);
        if (!cfg.api_key)
            cfg.api_key = strdup("emulator"); /* any key: the emulator only wants one */
        log_info("using the embedded emulator at %s: results are synthetic, nothing leaves "
                 "this machine", cfg.endpoint);
    } else if (!cfg.api_key && !endpoint_seen) {
        log_error("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or give --api-key-file "
                  "FILE; or try it with no key and no network: add --emulator");
        goto out;
    }
    if (cfg.cache_path && open_cache(&cfg, endpoint_seen))
        goto out;
    outcome = run_batch(&cfg, pipe, &err);
    if (outcome == GB_USAGE || outcome == GB_ABORTED)
        log_err(&err);
    if (outcome == GB_USAGE && err.code == GB_EBUSY)
        outcome = GB_BUSY;
    if (cfg.link_latest && (outcome == GB_DONE || outcome == GB_SOME_FAILED) &&
        outdir_link_latest(cfg.out_pattern ? cfg.out_pattern : cfg.out_dir, cfg.out_dir, &err))
        log_err(&err); /* the results are there; only the link is not */
    if (report && outcome != GB_USAGE)
        write_report(&cfg);
out:
    log_set_secret(NULL);
    if (emu)
        emu_stop(emu);
    pipe_free(pipe);
    config_free(&cfg);
    free(pos);
    return outcome;
}

