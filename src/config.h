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
#include "job.h"

struct pipeline;

enum progress_mode { PROGRESS_AUTO, PROGRESS_BAR, PROGRESS_PLAIN, PROGRESS_NONE };

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
    double poll_max_s;
    long max_failures;           /* consecutive failed attempts before abort */
    long reask;                  /* validate.reask */
    uint64_t seed;               /* jitter and emulator seed */
    long max_tool_turns;
    long tool_concurrency;       /* tool programs running at once */
    const char *id_prefix;       /* --id-prefix: NULL or "none", "auto", or a literal prefix */
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

/* Read the API key: GEMINI_API_KEY, GOOGLE_API_KEY, or --api-key-file. */
int config_load_key(struct config *c, const char *key_file, struct gb_err *err);

/* For shard K of a sharded run, the variable NAME_<K> (GEMINI_API_KEY_2) when
 * set, else NAME: shards can spend different keys' quotas or use other
 * endpoints. *from_shard (may be NULL) says which one it was. Borrowed. */
const char *config_shard_env(const struct config *c, const char *name, int *from_shard);

/* A sharded run's rpm and tpm (flags or the pipeline's limits) are one key's
 * whole quota: each of the N shards takes 1/N of it (at least 1), unless this
 * shard has its own key (GEMINI_API_KEY_<K>), whose quota it uses whole. */
void config_split_limits(struct config *c);

#endif
