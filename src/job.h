/* job.h: one unit of work: an id, where it came from, and the request to send
 * in the chosen dialect, with local media referenced by placeholder until the
 * body is streamed. Built from a manifest line (job_from_line) or an archive
 * entry; consumed by run.c's state machine.
 * Ownership: job_new/job_from_line return a new job; job_free releases the
 * job and everything it owns (request JSON, media paths, result state). */
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
    struct job *next;     /* queue link (run.c) */
    struct job *all_prev, *all_next; /* every active job (run.c) */
    void *op;             /* the op in flight for this job, or NULL */
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

    /* run state, owned by run.c */
    int phase;
    int attempts;         /* attempts of the current operation */
    int total_attempts;   /* all attempts of the job */
    size_t heap_i;        /* position in the timer heap, or (size_t)-1 */
    uint64_t due_ms;
    uint64_t first_send_us;
    uint64_t last_latency_us;
    uint64_t ttft_us;     /* time to first token of the last streamed attempt */
    char *id_json;        /* id as a JSON string literal, for journal lines */
    char *iid;            /* the interaction being worked on */
    json_t *cur_req;      /* request of the current step when not req (re-ask, poll) */
    long long tok_in, tok_out, tok_total, tok_thought;
    int reasks;           /* re-asks sent */
    int polls;
    double poll_wait_s;
    int upload_k;         /* media being uploaded */
    int hash_fd;          /* media being digested for upload dedup, or -1 */
    uint64_t hash_off;
    void *hash_ctx;       /* struct sha256 */
    void *upl;            /* struct upl this job drives */
    int tool_turns;
    int step;             /* multi-step pipelines: the step being run */
    json_t *vars;         /* the line's "vars" (for later steps' prompts), or NULL */
    json_t *conv;         /* the conversation so far, for follow-ups without store */
    json_t *steps_log;    /* per-step records for the result line */
    int tools_pending;    /* function calls whose programs are still running */
    json_t *tool_results; /* function_result items gathered this turn */
    char *tool_error;     /* the first tool failure of this turn */
    json_t *last_outputs; /* the model's outputs that the tools answer */
    void *tcalls;         /* run.c's per-call records of this turn */
    int ntcalls;
    json_t *files;        /* images written so far (relative paths) */
    json_t *tool_log;     /* every tool call: name, arguments, result or error */
    uint64_t deadline_ms; /* the job fails past this (0: no deadline) */
    /* an answer stopped at requires_continuation: the hops so far */
    int continuations;    /* continuation requests sent */
    char *cont_token;     /* the token the current hop was sent with; set while
                           * cur_req is a continuation hop */
    json_t *cont_base;    /* cur_req from before the first hop (NULL: req) */
    json_t *cont_outputs; /* outputs paid for but not accepted yet: the earlier
                           * hops', or those of an answer the job fails on */
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

void job_free(struct job *j);

/* A JSON Schema compiled per distinct response_format (lines may override the
 * pipeline's); bounded, compiled once per distinct text. */
struct schema_cache;
struct schema_cache *schema_cache_new(void);
void schema_cache_free(struct schema_cache *c);

#endif
