/* run_int.h: what the files of the batch engine share: run.c (the loop,
 * queues, inputs), run_answer.c (what an answer leads to), run_media.c (media
 * through the Files API) and run_report.c (progress, run.json, dry run).
 * Not for use outside them.
 * Ownership: struct run owns every active job and every op in flight. */
#ifndef GB_RUN_INT_H
#define GB_RUN_INT_H

#include "b64.h"
#include "cmd.h"
#include "config.h"
#include "fsx.h"
#include "hash64.h"
#include "hist.h"
#include "input.h"
#include "job.h"
#include "journal.h"
#include "jsonx.h"
#include "log.h"
#include "manifest.h"
#include "pipeline.h"
#include "ratelimit.h"
#include "request.h"
#include "response.h"
#include "retry.h"
#include "run.h"
#include "schema.h"
#include "sha256.h"
#include "sink.h"
#include "sniff.h"
#include "sse.h"
#include "tools.h"
#include "upload.h"
#include "xfer.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum phase {
    PH_CREATE = 1,
    PH_POLL,
    PH_HASH,
    PH_UPLOAD,
    PH_UPLOAD_WAIT,
    PH_TOOLS,
    PH_CANCEL,
    PH_DONE
};
enum op_kind { OPK_CREATE = 1, OPK_POLL, OPK_CANCEL };

struct counts {
    long long lines, jobs, completed, failed, skipped_done, duplicates, shard_skipped;
    long long attempts, retries, in_doubt, interrupted;
    long long reasks, reask_ok, schema_failed, continuations;
    long long tok_in, tok_out, tok_total, tok_thought;
    long long net_errors, timeouts, bad_bodies, polls, tool_calls, tool_failures;
    long long http[600];
};

struct run {
    const struct config *cfg;
    struct pipeline *pipe;
    struct job_ctx jctx;
    struct sniff sniff;
    struct xfer xf;
    struct sink sink;
    struct resume res;
    struct rl rl;
    struct retry_policy policy;
    struct dset seen;
    struct uploads up;   /* Files API uploads, one per content digest */
    struct toolbox tb;   /* programs answering function tools */
    struct job *hashing; /* jobs digesting a media file (linked by next) */
    unsigned char *hash_buf;
    char *base_url; /* endpoint + "/" + version */
    /* inputs */
    int in_idx;
    struct input *in; /* the input being read */
    json_t *skipped;  /* archive entries skipped, with reasons */
    int inputs_done;
    long long total_known; /* -1: unknown (stdin) */
    /* jobs */
    struct job *ready_head, *ready_tail;
    struct job **heap;
    size_t nheap, capheap;
    struct job *all; /* every active job */
    size_t active, inflight, window;
    /* state */
    struct counts c;
    json_t *dups;    /* duplicate id lines (first 1000) */
    char *spool_dir; /* OUTDIR/.spool: archive entries being sent */
    long input_errors;
    struct hist lat;
    struct hist ttft; /* time to first token of streamed jobs */
    uint64_t t0_us;
    double t0_wall;
    uint64_t rng;
    int stopping, aborting, interrupted, auth_refused;
    struct gb_err abort_err;
    long consecutive_failures;
    int any_success;
    /* progress */
    int tty;
    uint64_t last_progress_ms, rate_t_ms;
    long long rate_done;
    double rate;
    int bar_drawn;
};

/* A streamed create: SSE events are parsed as they arrive and assembled into
 * the Interaction a plain call returns. */
struct stream_ctx {
    struct sse parser;
    struct sse_asm as;
    int bad;
};

/* media digests are read this much at a time, at most HASH_BUDGET a loop turn */
enum { HASH_CHUNK = 4 << 20, HASH_BUDGET = 16 << 20 };

/* run.c */
uint64_t run_rnd(struct run *r);
void run_ready_push(struct run *r, struct job *j);
void run_finish_job(struct run *r, struct job *j);
void run_record_error(struct run *r, struct job *j, long code, const char *status, const char *msg,
                      json_t *extra);
void run_stream_free(struct op *op);
void run_schedule(struct run *r, struct job *j, uint64_t delay_ms);
struct job *run_next_job(struct run *r);
void run_abort(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int run_init_jobs(struct run *r);

/* run_answer.c */
void run_free_tcalls(struct job *j);
void run_on_tool_done(void *ctx, void *user, int ok, const char *out, size_t n, const char *why);
void run_start_polling(struct run *r, struct job *j, int first);
void run_on_done(struct run *r, struct op *op);

/* run_media.c */
void run_advance_media(struct run *r, struct job *j);
void run_hash_step(struct run *r);
void run_on_upload_done(struct run *r, struct job *j, struct op *op);

/* run_report.c */
void run_progress(struct run *r, uint64_t now, int final);
json_t *run_json_doc(struct run *r, const char *status);
void run_summary(struct run *r, const char *status);

#endif
