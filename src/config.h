/* config.h: struct config, the run's settings: defaults < pipeline limits <
 * flags. Built once in cmd_run and then read-only (the one allowed global-ish
 * state, passed down as const struct config *).
 * Ownership: config_free releases api_key (wiped), the strings it owns and
 * the open cache; strings from argv are borrowed. */
#ifndef GB_CONFIG_H
#define GB_CONFIG_H

#include <stdint.h>

#include "cache.h"
#include "err.h"
#include "budget.h"
#include "job.h"

struct pipeline;

enum progress_mode { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_PLAIN, PROGRESS_NONE };

/* A Batch API input file is at most 2 GB (reference batch-api.md section
 * 2.4), read as decimal: the default of --batch-max-bytes and its ceiling. */
#define CFG_BATCH_MAX_BYTES 2000000000ull

/* Flags whose presence overrides the pipeline's limits: cmd_run's option
 * table marks them in seen[SEEN_N], config_apply_pipeline reads them. */
enum seen_flag {
    SEEN_CONC, SEEN_RPM, SEEN_TPM, SEEN_ATTEMPTS, SEEN_TIMEOUT, SEEN_IMG_ANSWER, SEEN_IMG_RUN,
    SEEN_POLL,
    SEEN_N
};

struct config {
    const char *pipeline_path;
    char **inputs;
    int ninputs;
    char *out_dir;               /* owned */
    long concurrency, rpm, tpm, max_attempts;
    double timeout_s;
    double deadline_s;           /* per job, from its first request; 0 = see below */
    double bg_deadline_s;        /* background jobs (agents) when deadline_s is 0 */
    const char *endpoint;        /* base URL without version */
    char *endpoint_owned;        /* owned: endpoint when config_endpoint_strip changed it */
    enum dialect dialect;
    const char *cacert;
    int emulator;
    int restart;
    int shard_k, shard_n;        /* shard_n == 0: no sharding */
    uint64_t max_entry_bytes;
    uint64_t max_request_bytes;  /* inline limit */
    int dry_run;
    int stream;
    const char *model;
    enum progress_mode progress;
    int quiet;
    char *api_key;               /* owned; never printed */
    int key_per_shard;           /* api_key came from GEMINI_API_KEY_<shard_k> */
    double poll_initial_s;       /* background polling: first wait */
    double batch_poll_s;         /* Batch Mode's first wait: --poll-interval when given, else 0
                                  * (a minute, the engine's own default) */
    double poll_max_s;
    long max_failures;           /* consecutive failed attempts before abort */
    long reask;                  /* validate.reask */
    uint64_t seed;               /* jitter and emulator seed */
    long max_tool_turns;
    long tool_concurrency;       /* tool programs running at once */
    const char *id_prefix;       /* --id-prefix: NULL or "none", "auto", or a literal prefix */
    /* money and tiers (issue 15) */
    const char *prices_path;     /* --prices FILE, or NULL for the built-in table */
    int has_max_cost;            /* --max-cost (or limits.max_cost_usd) was given */
    struct budget_arg max_cost;
    const char *tier;            /* --tier: the tier of requests that name none */
    double finish_by_s;          /* --finish-by as wall-clock seconds, 0 = none */
    int timeout_set;             /* --timeout was given (a flex attempt then keeps it) */
    enum run_mode { MODE_ONLINE, MODE_BATCH, MODE_AUTO } mode; /* --mode */
    int wait;                    /* --wait: Batch Mode polls until every batch ended */
    int reask_online;            /* --reask online: Batch Mode re-asks go online */
    enum batch_lost { LOST_RESUBMIT, LOST_ONLINE, LOST_REPORT } batch_lost; /* --batch-lost */
    long batch_requests;         /* requests in a batch part at most */
    uint64_t batch_max_bytes;    /* bytes of a batch part file at most (0: CFG_BATCH_MAX_BYTES) */
    long max_images_per_answer;  /* images one answer may bring (sink.h's default) */
    long max_images;             /* images one run may write */
    uint64_t max_buffered_bytes; /* response bytes held at once by all transfers */
    int max_connections;         /* --connections: to the endpoint at most (0: gembatch chooses) */
    /* nightly use (issue 17) */
    const char *out_pattern;     /* -o as given (strftime pattern); out_dir is its expansion */
    int link_latest;             /* --link-latest: point <dated parent>/latest at out_dir */
    const char *metrics_path;    /* --metrics FILE, or NULL */
    const char *cache_path;      /* --cache PATH or GEMBATCH_CACHE, or NULL: no cache */
    enum cache_mode cache_mode;  /* --cache-mode */
    double cache_max_age_s;      /* --cache-max-age; 0 = no limit */
    int cache_optional;          /* --cache-optional: a cache that cannot open is a warning */
    int cache_nondeterministic;  /* --cache-nondeterministic: see cache_policy */
    struct cache *cache;         /* opened by cmd_run (NULL: off); closed by config_free */
};

void config_defaults(struct config *c);
/* Fill what the flags left unset from the pipeline's limits. */
void config_apply_pipeline(struct config *c, const struct pipeline *p, const int *seen_flags);
void config_free(struct config *c);

/* "K/N" -> shard_k, shard_n; "auto" from SLURM/Kubernetes variables. */
int config_parse_shard(struct config *c, const char *s, struct gb_err *err);

/* Read the API key: GEMINI_API_KEY, GOOGLE_API_KEY, or --api-key-file. A key
 * with a control character is refused (GB_EINVAL: exit 2); a key file that
 * its group or others can read gets a warning. */
int config_load_key(struct config *c, const char *key_file, struct gb_err *err);

/* The endpoint must be an http:// or https:// URL with a host; the error
 * shows it redacted (url_redact). */
int config_check_endpoint(const char *endpoint, struct gb_err *err);

/* For shard K of a sharded run, the variable NAME_<K> (GEMINI_API_KEY_2) when
 * set, else NAME: shards can spend different keys' quotas or use other
 * endpoints. *from_shard (may be NULL) says which one it was. Borrowed. */
const char *config_shard_env(const struct config *c, const char *name, int *from_shard);

/* An endpoint whose path ends in an API version segment ("/v1beta", "/v1",
 * "/v1alpha"): gembatch adds the version itself, so a URL copied with it
 * would send every request to /v1beta/v1beta/interactions. When the segment
 * is the one dialect d speaks, *stripped gets the URL without it (new string,
 * the caller prints a notice) and 0 comes back; any other version is
 * GB_EINVAL naming both (what: "--endpoint", "GEMINI_BASE_URL"). 0 with
 * *stripped NULL when the path has no such segment. */
int config_endpoint_strip(const char *url, enum dialect d, const char *what, char **stripped,
                          struct gb_err *err);
/* Apply config_endpoint_strip to c->endpoint (keeping the copy in
 * endpoint_owned); a notice on stderr unless quiet. */
int config_fix_endpoint(struct config *c, const char *what, struct gb_err *err);

/* --cacert FILE checked before anything starts: a readable regular file with
 * a PEM certificate in it. GB_ENOENT/GB_EINVAL naming the file. */
int config_check_cacert(const char *path, struct gb_err *err);
/* The hint for a TLS failure, the same in run, get and delete. */
#define CONFIG_DEFAULT_ENDPOINT "https://generativelanguage.googleapis.com"
#define CONFIG_TLS_HINT "check --cacert (verification is never switched off)"

/* A sharded run's rpm and tpm (flags or the pipeline's limits) are one key's
 * whole quota: each of the N shards takes 1/N of it (at least 1), unless this
 * shard has its own key (GEMINI_API_KEY_<K>), whose quota it uses whole. */
void config_split_limits(struct config *c);

#endif
