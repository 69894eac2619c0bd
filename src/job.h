/* job.h: one unit of work: an id, where it came from, and the request to send
 * in the chosen dialect, with local media referenced by placeholder until the
 * body is streamed. Built from a manifest line (job_from_line) or an archive
 * entry. What running it makes is the engine's (struct task, run_int.h).
 * Ownership: job_new/job_from_line return a new job; job_free releases the
 * job and everything it owns (request JSON, media paths). */
#ifndef GB_JOB_H
#define GB_JOB_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>

#include "err.h"

struct pipeline;
struct schema;
struct sniff;

enum dialect { DIALECT_V1BETA, DIALECT_V1 };

struct media {
    char *path;          /* local file, resolved against the manifest's folder */
    uint64_t size;
    const char *type;    /* image | audio | video | document */
    char mime[64];
    json_t *part;        /* borrowed: the content part inside job->req */
    char *uri;           /* Files API uri once uploaded, else NULL */
    int upload;          /* too large to go inline: goes through the Files API */
    int spooled;         /* path is a temporary copy to unlink when done */
};

struct job_ctx {         /* what building a job needs; owned by the run */
    const struct pipeline *pipe;
    enum dialect dialect;
    const char *model_override;   /* --model */
    int force_stream;             /* --stream */
    struct sniff *sniff;
    char nonce[20];               /* placeholder marker, random per run */
    uint64_t inline_limit;        /* request bytes above which media use the Files API */
    struct schema_cache *schemas; /* per-line response_format schemas */
};

struct job {
    char *id;
    uint64_t digest;      /* hash64 of id */
    const char *source;   /* input name, owned by the run */
    long line;            /* manifest line, 0 for archive entries */
    char *entry;          /* archive entry path, or NULL */
    json_t *req;          /* wire request (dialect applied); media data = placeholders */
    json_t *schema_doc;   /* borrowed from req or the pipeline: bare JSON Schema, or NULL */
    const struct schema *schema; /* compiled schema_doc (borrowed from pipeline/cache) */
    struct media *media;
    size_t nmedia;
    int stream;           /* use SSE */
    int store;            /* request has store != false */
    int background;       /* background:true (agents) */
    struct gb_err build_err; /* set when the job could not be built: it fails at once */
    int failed_build;
    long est_tokens;      /* input tokens estimated before sending */
    json_t *vars;         /* the line's "vars" (for later steps' prompts), or NULL */
};

/* Shape req for the dialect (response_format bare or wrapped), drop local
 * tool keys, and point the job's schema at req's response_format (compiled
 * through the cache). 0, or GB_EINVAL/GB_EUNSUPPORTED for a bad schema. */
int job_shape_request(const struct job_ctx *ctx, struct job *j, json_t *req, struct gb_err *err);

/* The request fields step k starts from: the pipeline's fields with the
 * step's on top (local keys removed). New reference. */
json_t *job_step_base(const struct pipeline *p, size_t k);
/* The prompt template of step k (the step's, else the pipeline's), or NULL. */
const char *job_step_prompt(const struct pipeline *p, size_t k);

/* Build a job from one manifest line. Never fails for bad input: a line that
 * cannot become a request gives a job with failed_build set and build_err
 * naming the line, so it is recorded as an error and nothing is dropped.
 * Returns NULL only when out of memory. */
struct job *job_from_line(const struct job_ctx *ctx, const char *source, const char *dir,
                          long line, const char *text, size_t len);

/* Mark j as failed before anything is sent, with a message made from fmt
 * (the job is then recorded as an error with it). Returns code. */
int job_failv(struct job *j, int code, const char *fmt, va_list ap);

/* Build a job for a local media file (archive entry or folder listing): the
 * pipeline's prompt plus the file as a content part. */
/* Decide which media go through the Files API: while the request would pass
 * ctx->inline_limit, the largest remaining media is moved out. Fails the job
 * when a file is over the Files API's 2 GiB limit. */
void job_plan_uploads(const struct job_ctx *ctx, struct job *j);

struct job *job_from_media(const struct job_ctx *ctx, const char *source, const char *entry,
                           const char *path, uint64_t size, const char *type,
                           const char *mime, int spooled);

/* A job that is only an id and where it came from, with an empty request:
 * Batch Mode rebuilds the jobs whose answers it joins this way. */
struct job *job_stub(const char *source, const char *id, long line, const char *entry);

void job_free(struct job *j);

/* A JSON Schema compiled per distinct response_format (lines may override the
 * pipeline's); bounded, compiled once per distinct text. */
struct schema_cache;
struct schema_cache *schema_cache_new(void);
void schema_cache_free(struct schema_cache *c);

#endif
