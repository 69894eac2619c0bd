/* cache.h: the answer cache (--cache PATH): an SQLite database of final,
 * validated results keyed by a digest of everything that determines the
 * answer (cachekey.c), images stored once by content hash in a blob folder
 * beside it (<db>.blobs/ab/<sha256>.<ext>). Several gembatch processes on one
 * machine may share one database: WAL, a busy timeout, BEGIN IMMEDIATE.
 * Ownership: cache_open returns a new struct cache, cache_close frees it
 * (NULL is fine); cache_get fills a struct cache_hit that cache_hit_free
 * releases; cache_put copies what it is given. */
#ifndef GB_CACHE_H
#define GB_CACHE_H

#include <jansson.h>
#include <stdint.h>
#include <stdio.h>

#include "err.h"
#include "job.h"

struct pipeline;

enum cache_mode {
    CACHE_READWRITE = 0, /* serve hits, store misses' answers (the default) */
    CACHE_READ,          /* serve hits, store nothing; the database must exist */
    CACHE_WRITE,         /* never serve, store every answer */
    CACHE_REFRESH,       /* never serve, store every answer, replacing old rows */
};

/* The schema this gembatch writes and reads; a newer one is refused. */
#define CACHE_SCHEMA_VERSION 1
/* PRAGMA application_id of a gembatch cache ("GBCH"): another
 * application's SQLite file is told apart before anything is read. */
#define CACHE_APPLICATION_ID 0x47424348

struct cache_opts {
    const char *path;     /* the database file; blobs go in "<path>.blobs/" */
    enum cache_mode mode;
    double max_age_s;     /* rows older than this are misses; 0 = no limit */
    long busy_ms;         /* how long to wait on another process's lock (0: 10000) */
    int synthetic;        /* serve only rows made by the emulator (1), only real
                           * ones (0), or either (-1): see cache_put */
};

struct cache_image {
    char *path;           /* the blob: <db>.blobs/ab/<sha256>.<ext> */
    char ext[16];         /* "png" */
    char sha256[65];      /* of the bytes */
    uint64_t size;
    unsigned char *data;  /* the bytes, read and checked against sha256 */
};

struct cache_hit {
    json_t *result;       /* new: the stored result line without its per-run
                           * fields (CACHE_RUN_FIELDS) */
    double created_at;    /* seconds since the epoch */
    double cost_usd;      /* what the answer cost when it was made; NAN unknown */
    struct cache_image *images;
    size_t nimages;
};

/* Result-line fields that describe one run, not the answer: cache_put drops
 * them, cache_hit_result sets the ones a served line has. */
#define CACHE_RUN_FIELDS                                                                           \
    {"id", "attempts", "requests", "latency_ms", "ttft_ms", "finished_at", "files", "cached",   \
     "cost_usd", NULL}

struct cache_stats {
    long long rows;           /* results stored */
    long long image_refs;     /* images those results name */
    long long blobs;          /* files in the blob folder */
    uint64_t blob_bytes;
    uint64_t db_bytes;        /* the database and its WAL */
    double oldest, newest;    /* created_at range; 0 when empty */
    int schema_version;
};

/* Counters of what this process's struct cache did. */
struct cache_counts {
    long long hits, misses, expired, broken, puts, skipped_puts;
};

struct cache;

/* Open (and in the write modes create) the cache. Fails with:
 * GB_ENOENT   CACHE_READ and no file at path;
 * GB_EINVAL   not an SQLite database, or another application's;
 * GB_EUNSUPPORTED  a newer gembatch's schema;
 * GB_EBUSY    locked by another process past busy_ms;
 * GB_EIO      corrupt (truncated, malformed) or unreadable.
 * The message names the path and what to do. */
int cache_open(const struct cache_opts *o, struct cache **out, struct gb_err *err);
void cache_close(struct cache *c);

/* Look key (64 hex) up. 1: hit (hit filled; free with cache_hit_free),
 * 0: miss (also in CACHE_WRITE/REFRESH, for rows older than max_age, rows of
 * the other origin, and rows whose blobs are gone or do not match their
 * digest: those are deleted when the mode writes), < 0: the database failed
 * (corrupt, I/O); err says why and the cache is off from then on: later
 * calls miss and store nothing (cache_failed). */
int cache_get(struct cache *c, const char *key, struct cache_hit *hit, struct gb_err *err);
void cache_hit_free(struct cache_hit *hit);

/* A result line for job id from a hit: the stored fields, "id", "cached":
 * true, "attempts": 0, "cost_usd": 0, and "files" (may be NULL) with each
 * image output's "file" pointing at files[k] in order, as the run writes
 * them. The engine adds latency_ms and finished_at. New reference. */
json_t *cache_hit_result(const struct cache_hit *hit, const char *id, const json_t *files);

/* Blank key (a copy is kept) out of every answer stored from now on, as the
 * sink does for the output folder: a server may echo the API key. NULL or a
 * key too short to blank: nothing. 0, or GB_ENOMEM. */
int cache_set_secret(struct cache *c, const char *key);

/* Store the final, validated result line of key (the run's own line: its
 * per-run fields are dropped) with its images, read from image_paths (the
 * files the run wrote, in the order of result's "files"), and what the
 * answer cost (NAN unknown). "synthetic": true in result marks an emulator's
 * answer (see cache_opts.synthetic). A no-op in CACHE_READ or after a
 * failure; < 0 on a database or blob failure (then as cache_get). */
int cache_put(struct cache *c, const char *key, const json_t *result,
              const char *const *image_paths, size_t nimages, double cost_usd,
              struct gb_err *err);

/* 1 after a failure turned the cache off; its message in cache_error. */
int cache_failed(const struct cache *c);
const char *cache_error(const struct cache *c);
void cache_counts(const struct cache *c, struct cache_counts *out);

int cache_stats(struct cache *c, struct cache_stats *st, struct gb_err *err);

struct cache_prune_opts {
    double older_than_s;  /* delete rows older than this (0: no age limit) */
    uint64_t max_bytes;   /* then the oldest rows until database + blobs fit (0: none) */
    double now;           /* seconds since the epoch (0: the clock) */
    double blob_grace_s;  /* keep unreferenced blobs younger than this: a
                           * concurrent put may be about to name them (0: 600) */
};

struct cache_prune_result {
    long long rows, blobs;         /* deleted */
    uint64_t bytes_before, bytes_after;
};

/* Delete old rows and the blobs no row names, then give the space back to
 * the file system (incremental vacuum, WAL checkpoint). Safe while other
 * processes use the cache: they see misses for what went. */
int cache_prune(struct cache *c, const struct cache_prune_opts *o, struct cache_prune_result *r,
                struct gb_err *err);

/* Every row as one JSON line on out: {"key", "created_at" (ISO 8601),
 * "model", "synthetic", "cost_usd", "result", "images": [{"sha256", "ext",
 * "size", "path"}]}, oldest first, streamed. */
int cache_export(struct cache *c, FILE *out, struct gb_err *err);

/* "read", "write", "readwrite", "refresh" -> mode; 0, or -1 when unknown. */
int cache_mode_parse(const char *s, enum cache_mode *out);

/* ---- cachekey.c -------------------------------------------------------------- */

/* The cache key of a job: SHA-256 (64 hex + NUL in hex) over a canonical
 * JSON of everything that determines its answer: the key format version,
 * the dialect, the wire request after the pipeline merge (model, input,
 * system instruction, response_format, generation_config, tools, ...; not
 * "stream" or "store", which change how the answer travels, not what it
 * is), each local media part by the SHA-256 of its bytes instead of its
 * placeholder or uri, and, when the pipeline has steps or tool programs,
 * what they add (the steps, the line's vars, the programs' argv). The id,
 * media paths and vars that reach no request do not count.
 * cache_job_key reads each media file (streamed, 64 KiB at a time);
 * cache_job_key_digests takes the media digests already made (media_sha[k]
 * for j->media[k]), e.g. by the engine's sliced hashing. p may be NULL. */
int cache_job_key(const struct job *j, const struct pipeline *p, enum dialect d, char hex[65],
                  struct gb_err *err);
int cache_job_key_digests(const struct job *j, const struct pipeline *p, enum dialect d,
                          const uint8_t (*media_sha)[32], char hex[65], struct gb_err *err);

/* Whether a job's answer may be cached. */
enum { CACHE_NONDETERMINISTIC = 1 }; /* --cache-nondeterministic */

/* 1: cacheable; 0: not, with *reason (a static string) saying why:
 * an explicit temperature above 0 without a seed (the user asked answers to
 * vary), an agent or background work (answers depend on what it finds while
 * it works), tool programs in the pipeline (answers depend on their output),
 * or a tool that reads the outside world (google_search, url_context,
 * mcp_server, file_search, retrieval, google_maps, computer_use).
 * flags & CACHE_NONDETERMINISTIC allows all of them. req is the job's wire
 * request; p may be NULL. */
int cache_policy(const json_t *req, const struct pipeline *p, int flags, const char **reason);

#endif
