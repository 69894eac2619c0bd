/* run_int.h: the batch engine's own header: the types its files share
 * (struct run, struct task and a task's phase) and each file's verbs. The
 * files are layered and a file calls only those below it (checked by
 * `scripts/callgraph --top run run`; docs/architecture.md has the map):
 *   run.c           the loop: feed, admit, start, poll, drain; setup, teardown
 *   run_answer.c    one finished attempt: read it, decide once, accept, poll
 *   run_followup.c  what an accepted answer asks for next: re-asks, tool
 *                   turns, next steps, the conversation they continue
 *   run_media.c     media through the Files API: digest, dedup, upload
 *   run_report.c    progress, run.json, the summary
 *   run_dry.c       --dry-run
 *   run_jobs.c      where a task enters and its one exit; queues, timers
 * Not for use outside them.
 * Ownership: struct run owns every task; a task owns its job, its op in
 * flight and everything under it. */
#ifndef GB_RUN_INT_H
#define GB_RUN_INT_H

#include "b64.h"
#include "cache.h"
#include "budget.h"
#include "cmd.h"
#include "config.h"
#include "fsx.h"
#include "imgstream.h"
#include "hash64.h"
#include "hist.h"
#include "input.h"
#include "job.h"
#include "journal.h"
#include "jsonx.h"
#include "log.h"
#include "manifest.h"
#include "metrics.h"
#include "pipeline.h"
#include "prices.h"
#include "ratelimit.h"
#include "request.h"
#include "response.h"
#include "retry.h"
#include "run.h"
#include "schema.h"
#include "sha256.h"
#include "sink.h"
#include "skip.h"
#include "sniff.h"
#include "sse.h"
#include "tiers.h"
#include "tools.h"
#include "upload.h"
#include "xfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Where a task is in its life. Only task_phase() changes it (run_jobs.c),
 * with a trace of old -> new and the caller's line under GEMBATCH_DEBUG. */
enum phase {
    PH_NEW = 0,     /* admitted, nothing started yet */
    PH_HASH,        /* a media file being digested for upload dedup */
    PH_UPLOAD,      /* a media file going up through the Files API */
    PH_UPLOAD_WAIT, /* waiting on another task's upload of the same bytes */
    PH_CREATE,      /* a create is due or in flight (first answer, re-ask,
                     * continuation hop, tool turn, next step) */
    PH_POLL,        /* background work polled until it ends */
    PH_TOOLS,       /* local programs answering the model's function calls */
    PH_CANCEL,      /* background work past its deadline being cancelled */
    PH_DONE,        /* ended (result, error or interrupted); being released */
    PH_NPHASES
};

/* What a create asks for, for the ledger's "by kind". */
enum req_kind { KIND_FIRST, KIND_REASK, KIND_CONTINUATION, KIND_TOOL_TURN, KIND_STEP, KIND_N };

/* What an op in flight is for (xfer's op->kind; uploads use OPK_UPLOAD). */
enum op_kind { OPK_CREATE = 1, OPK_POLL, OPK_CANCEL };

/* why the online pass of a Batch Mode run took a job (counts.sent_online) */
enum { ONLINE_INEXPRESSIBLE, ONLINE_LOST, ONLINE_CANCELLED, ONLINE_REASK, ONLINE_LINE_ERROR, ONLINE_KINDS };

struct counts {
    long long lines, jobs, completed, failed, skipped_done, duplicates, shard_skipped;
    long long ended_sent;  /* completed or failed after at least one request (the bar's rate) */
    long long attempts, retries, in_doubt, interrupted;
    long long unwritten; /* ended, but their line could not be written (disk full) */
    long long reasks, reask_ok, schema_failed, continuations;
    long long tok_in, tok_out, tok_total, tok_thought;
    long long net_errors, timeouts, bad_bodies, polls, tool_calls, tool_failures;
    long long shed;      /* flex requests the service shed (503/429), retried */
    long long cached;    /* served from the answer cache */
    long long in_batches; /* Batch Mode: handed to a part, their lines come when it is joined */
    long long in_batches_before; /* Batch Mode: in a part an earlier run wrote */
    long long online_sent[ONLINE_KINDS]; /* Batch Mode: jobs the online pass took, by ONLINE_* */
    long long cancel_unconfirmed; /* batches cancelled near the deadline that never said so */
    long long not_cacheable; /* --cache on, but the policy keeps them out */
    long long http[600];
};

/* Tokens billed to one task, summed over every answered request. */
struct usage_sum {
    long long in, out, total, thought;
};

/* One function call of the current tool turn, answered by a local program. */
struct tcall {
    struct task *t;
    char *id;
    char *name;
    json_t *args;
};

/* The engine's record of one job in the run (the input layer's struct job
 * holds what the manifest line or entry made; this holds what running it
 * makes). */
struct task {
    struct job *job;                 /* owned */
    struct task *next;               /* ready queue, hashing list or an upload's waiters */
    struct task *all_prev, *all_next; /* every task of the run */
    struct op *op;                   /* the op in flight, or NULL */
    enum phase phase;
    int background;                  /* this step runs in the background (agents) */
    int attempts;                    /* attempts of the current operation */
    int total_attempts;              /* every request of the task */
    size_t heap_i;                   /* position in the timer heap, or (size_t)-1 */
    uint64_t due_ms;
    uint64_t first_send_us;
    uint64_t last_latency_us;
    uint64_t ttft_us;                /* time to first token of the last streamed attempt */
    uint64_t deadline_ms;            /* the task fails past this (0: no deadline) */
    char *id_json;                   /* id as a JSON string literal, for journal lines */
    char *iid;                       /* the interaction being worked on */
    json_t *cur_req;                 /* request of the current step when not job->req */
    struct usage_sum tok;
    int reasks;                      /* re-asks sent */
    double poll_wait_s;
    int synthetic;                   /* an answer came from the emulator */
    /* money (run_cost.c) */
    enum req_kind kind;              /* what the current create asks for */
    enum tier tier_sent;             /* the tier the current attempt went out at */
    enum tier tier_billed;           /* the tier the last answer was billed at */
    double reserved_usd;             /* its worst case, held by the budget */
    struct req_bound asked;          /* the input ceiling of the create in flight */
    long long asked_out;             /* and its output cap (-1: not known) */
    struct req_bound carried;        /* the conversation so far: every token the task was
                                      * billed for or answered with, which a follow-up
                                      * may be billed for again as input (ceiling) */
    double cost_usd;                 /* what the answered requests cost (known part) */
    int cost_known;                  /* 0 once one of them could not be priced */
    int shed;                        /* attempts of the current request the service shed */
    int joined;                      /* Batch Mode: made from a batch's result line */
    json_t *files;                   /* images written so far (relative paths) */
    struct sink_batch *img_batch;    /* its images going to disk; the result line waits */
    int cacheable;                   /* --cache: the answer is stored under cache_key */
    char cache_key[65];
    /* media through the Files API (run_media.c) */
    struct {
        size_t k;                    /* media being uploaded */
        int fd;                      /* media being digested, or -1 */
        uint64_t off;
        struct sha256 *hash;
        struct upl *upl;             /* the upload this task drives */
    } media;
    /* follow-ups (run_followup.c) */
    int step;                        /* multi-step pipelines: the step being run */
    int tool_turns;
    json_t *conv;                    /* the conversation so far, for follow-ups without store */
    json_t *steps_log;               /* per-step records for the result line */
    json_t *tool_log;                /* every tool call: name, arguments, result or error */
    struct {
        struct tcall *calls;
        int ncalls, pending;         /* calls of this turn; whose programs still run */
        json_t *results;             /* function_result items gathered this turn */
        char *error;                 /* the first failure of this turn */
        json_t *outputs;             /* the model's outputs the programs answer */
    } tools;
    /* an answer stopped at requires_continuation: the hops so far (run_answer.c) */
    struct {
        int n;                       /* continuation requests sent */
        char *token;                 /* the token the current hop carries; set while
                                      * cur_req is a continuation hop */
        json_t *base;                /* cur_req from before the first hop (NULL: job->req) */
        json_t *outputs;             /* outputs paid for but not accepted yet: the
                                      * earlier hops', or those of an answer the task
                                      * fails on */
    } cont;
};

/* the progress rate: a sample every RATE_STEP_MS over the last RATE_WINDOW_MS */
enum { RATE_STEP_MS = 250, RATE_WINDOW_MS = 10000, RATE_SAMPLES = RATE_WINDOW_MS / RATE_STEP_MS + 2 };

struct tqueue {
    struct task *head, *tail;
};

/* The ledger: what this run's answered requests cost, by model, tier and
 * kind ({"usd","requests","unknown"} each), and the budget. */
struct model_row {
    char *model;
    struct price_row row;
};

struct ledger {
    struct prices *prices;
    struct model_row *rows;
    size_t nrows, caprows;
    struct budget budget;
    json_t *by_model, *by_tier, *by_kind;
    json_t *by_model_tier;  /* "model\ttier": {"in","out","thought","usd"} for --metrics */
    json_t *unpriced;       /* why answers could not be priced: {reason: requests} */
    double total_usd;
    long long priced, unknown, downgraded;
    double doubt_worst_usd; /* worst case of requests in doubt (NAN: unknown) */
};

/* Why a Batch Mode job went online (run.json counts.sent_online). */
#define RUN_ONLINE_TAKEN UINT32_MAX

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
    struct uploads up;    /* Files API uploads, one per content digest */
    struct toolbox tb;    /* programs answering function tools */
    struct task *hashing; /* tasks digesting a media file (linked by next) */
    unsigned char *hash_buf;
    char *base_url;       /* endpoint + "/" + version */
    char *shown_url;      /* base_url redacted (url_redact), for messages */
    /* inputs */
    int in_idx;
    struct input *in;     /* the input being read */
    char *id_prefix;      /* put before the ids of this input (--id-prefix), or NULL */
    json_t *skipped;      /* archive entries skipped, with reasons */
    struct skips skipc;   /* entries passed over, counted by reason (only counts used) */
    int inputs_done;
    long long total_known; /* -1: unknown (stdin) */
    /* tasks */
    /* ready to start: creates wait for rate tokens, the rest (polls,
     * cancels, uploads) never wait behind them */
    struct tqueue creates, others;
    struct task **heap;
    size_t nheap, capheap;
    struct task *all;     /* every active task */
    size_t active, inflight, window;
    /* state */
    struct counts c;
    json_t *dups;         /* duplicate id lines (first 1000) */
    char *spool_dir;      /* OUTDIR/.spool: archive entries being sent */
    long input_errors;
    struct hist lat;
    struct hist ttft;     /* time to first token of streamed tasks */
    uint64_t t0_us;
    double t0_wall;
    uint64_t rng;
    int stopping, aborting, interrupted, auth_refused;
    struct gb_err abort_err;
    long consecutive_failures;
    int any_success;
    int path_404s; /* creates answered 404 "Method not found" (or not the API's 404) */
    int folder_real;    /* OUTDIR holds answers of a real endpoint: no synthetic one joins */
    char run_id[24];    /* this run's, in run.json and the journal's first line */
    /* run.json's totals: what every earlier run into OUTDIR did (base), to
     * which this run's counts are added */
    struct totals {
        long long runs, attempts, tok[4];
        double usd;           /* what they cost (the known part) */
        long long unpriced;   /* answered requests whose cost was unknown */
    } base;
    long long failed_after; /* failure lines left after the compaction, -1 before */
    struct ledger ledger;
    int budget_stop;        /* the budget is reached: nothing more is sent (exit 4) */
    int batches_running;    /* Batch Mode: batches still running when the run ends (exit 5) */
    char batch_states[96];  /* Batch Mode: what the last looks found, for the progress line
                             * ("2 pending, 1 running"; "" when no batch is waited for) */
    /* Batch Mode's online pass: the inputs read again for the jobs on the
     * online list (run_bjoin.c) */
    struct bm *online_pass; /* set while the loop runs it */
    struct dmap online_at;  /* id digest -> offset + 1 in the list; RUN_ONLINE_TAKEN once sent */
    long online_waiting;    /* on the list, not yet taken */
    struct lat_est lat_flex, lat_std; /* how long an answer takes at each tier */
    uint64_t last_flex_check_ms;
    long long flex_moved;   /* flex attempts given up near --finish-by, sent at standard */
    double cache_saved_usd; /* what the answers served from the cache cost when made */
    int cache_saved_unknown;
    uint64_t last_metrics_ms;
    double last_success;    /* for --metrics: the last run that exited 0 */
    int synthetic_seen; /* some answer of this run came from the emulator */
    /* progress */
    int tty;
    uint64_t last_progress_ms;
    uint64_t first_send_ms;   /* the first request of the run left then */
    struct rate_win {         /* samples of jobs ended, for the moving rate */
        uint64_t t_ms[RATE_SAMPLES];
        long long ended[RATE_SAMPLES];
        size_t head, n;
    } rate_win;
    int bar_drawn;
};

/* a flex attempt's timeout unless one was given: the published advice is
 * at least 10 minutes (tiers-and-pricing.md, FLEX-I) */
enum { FLEX_TIMEOUT_MS = 600000 };

/* media digests are read this much at a time, at most HASH_BUDGET a loop turn */
enum { HASH_CHUNK = 4 << 20, HASH_BUDGET = 16 << 20 };

/* ---- run_jobs.c: entry, the one exit, queues and timers ------------------------ */

/* Wrap a job the inputs made into a task of the run (admitted: counted,
 * listed, given its journal id). NULL when out of memory (the job is then
 * recorded as failed and freed). */
struct task *task_enter(struct run *r, struct job *j);
/* The only place a phase changes. */
#define task_phase(r, t, ph) task_phase_at((r), (t), (ph), __FILE__, __LINE__)
void task_phase_at(struct run *r, struct task *t, enum phase ph, const char *file, int line);
const char *phase_name(enum phase ph);
/* The task's next create starts from req (new reference, or NULL for the
 * current one): attempts start again, it goes on the ready queue. */
#define task_next_request(r, t, req, kind)                                                  \
    task_next_request_at((r), (t), (req), (kind), __FILE__, __LINE__)
void task_next_request_at(struct run *r, struct task *t, json_t *req, enum req_kind kind,
                          const char *file, int line);
/* Ready to start: a create goes on r->creates, anything else on r->others. */
void task_ready(struct run *r, struct task *t);
struct task *tq_pop(struct tqueue *q);
void tq_push_front(struct tqueue *q, struct task *t);
int task_any_ready(const struct run *r);
void task_schedule(struct run *r, struct task *t, uint64_t delay_ms);
struct task *task_due(struct run *r, uint64_t now); /* a timer that has expired */
long task_next_due_ms(const struct run *r, uint64_t now); /* -1: no timer */
/* The exits. Each ends the task exactly once (asserted) and frees it; the
 * phase trace names the caller's line. */
#define task_complete(r, t, ...) task_complete_at((r), (t), __FILE__, __LINE__, __VA_ARGS__)
#define task_fail(r, t, ...) task_fail_at((r), (t), __FILE__, __LINE__, __VA_ARGS__)
#define task_interrupt(r, t) task_interrupt_at((r), (t), __FILE__, __LINE__)
void task_complete_at(struct run *r, struct task *t, const char *file, int line,
                      const struct interaction *it, const char *text, const json_t *output);
void task_fail_at(struct run *r, struct task *t, const char *file, int line, long code,
                  const char *status, const char *msg, json_t *extra);
void task_interrupt_at(struct run *r, struct task *t, const char *file, int line);
/* Batch Mode: the job goes on in a part of a batch; its line comes when the
 * part is joined (this run or a later one). */
#define task_defer(r, t) task_defer_at((r), (t), __FILE__, __LINE__)
void task_defer_at(struct run *r, struct task *t, const char *file, int line);
/* A job that never becomes a task: another shard's, done by an earlier run,
 * or a duplicate id. Counted, recorded where it must be, freed. */
enum skip_why { SKIP_SHARD, SKIP_DONE, SKIP_DUPLICATE, SKIP_IN_BATCH };
void job_skip(struct run *r, struct job *j, enum skip_why why);
int job_skipped(struct run *r, struct job *j); /* 1: skipped (shard, duplicate, done) */
/* Serve t from the answer cache: 1 when its line was written (the task
 * ended), 0 when the hit cannot stand (its output no longer matches the
 * schema: the job is asked again). */
int task_serve_cached(struct run *r, struct task *t, struct cache_hit *h);
/* Tokens of one answered request (and its cost, NAN unknown) to the task,
 * the run and the journal. */
void task_add_usage(struct run *r, struct task *t, const struct interaction *it, double usd);
/* The request a create of t sends. Borrowed. */
const json_t *task_request(const struct task *t);

uint64_t run_rnd(struct run *r);
void run_abort(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
int run_init_jobs(struct run *r);
struct job *run_next_job(struct run *r);
/* Read the inputs again from the first (Batch Mode's online pass), or stop
 * reading them. */
void run_inputs_rewind(struct run *r);
void run_inputs_stop(struct run *r);

/* ---- run_cost.c: prices, the ledger, the budget --------------------------------- */
const char *kind_name(enum req_kind k);
/* Load the prices, start the budget (spent_before_usd: what the folder's
 * earlier runs spent), and warn about the pipeline's unknown models. */
int cost_init(struct run *r, double spent_before_usd, struct gb_err *err);
void cost_free(struct run *r);
/* The tier a request asks for (its service_tier; standard when absent). */
enum tier cost_tier_asked(const struct run *r, const json_t *req);
/* Before a create leaves at tier: reserve its worst case (--max-cost).
 * BUDGET_UNPRICED: *why (may be NULL) says what cannot be bounded. */
enum budget_verdict cost_reserve(struct run *r, struct task *t, enum tier tier,
                                 const char **why);
/* An answer came: price it at the tier it was billed, settle, add it up.
 * The cost in USD, NAN when unknown. */
double cost_answered(struct run *r, struct task *t, const struct interaction *it,
                     const char *header_tier);
/* No answer came: give the reservation back, or keep it as spent when the
 * request may have been billed (in doubt). */
void cost_unanswered(struct run *r, struct task *t, int in_doubt);
json_t *cost_json(const struct run *r);
/* "2 requests not priced: 'm' is not in the price table" (the reasons with
 * their counts when there are several) into out; "" when every answer was
 * priced. */
void cost_unpriced_words(const struct run *r, char *out, size_t n);

/* ---- run_bmode.c, run_bjoin.c: Batch Mode ---------------------------------------- */
/* run.c drives it: bm_open writes round 0's parts from the inputs (unless an
 * earlier run did), bm_advance moves the batches along, and between its
 * calls the online pass (the loop, over the inputs read again) sends what
 * the online list holds. */
struct bm;
/* NULL when the run aborted (the reason is in r). */
struct bm *bm_open(struct run *r);
/* Move every batch as far as it goes: upload, create, poll, download, join.
 * With wait, poll until none runs, until wall-clock until_s (0: no limit),
 * or until jobs wait for the online pass. The number still running. */
int bm_advance(struct bm *b, int wait, double until_s);
/* --mode auto near --finish-by: cancel the batches still running; what
 * they had not answered goes on the online list. */
void bm_cancel_running(struct bm *b);
/* Requests in batches still running (for the time the online pass needs). */
long long bm_running_requests(const struct bm *b);
/* Jobs on the online list not yet taken; and whether any were added since
 * the last call (cleared by it). */
long bm_online_waiting(const struct run *r);
int bm_online_news(struct bm *b);
/* During the online pass: the online list's line for j (new), or NULL when
 * j is not on it (or already taken, or done). */
json_t *bm_online_take(struct bm *b, const struct job *j);
/* Give a task entered from the online list what its line says: the rounds
 * it had in batches (requests, usage, cost) and, for a re-ask, its first
 * request here: the conversation with the answer and the correction. */
void bm_online_apply(struct run *r, struct task *t, const json_t *line);
void bm_close(struct bm *b);

/* ---- run_resume.c --------------------------------------------------------------- */

/* Refuse (GB_ESTATE, err says what changed) a resume that would mix runs:
 * another pipeline, model, API version, shard or id prefix, or synthetic
 * and real answers; sets r->folder_real. */
int resume_check(struct run *r, struct gb_err *err);
/* r->base: what the folder's earlier runs spent (run.json's totals, plus a
 * crashed run's journal). */
void resume_totals(struct run *r);

/* ---- run_report.c -------------------------------------------------------------- */
/* Jobs ended a second: over the last few seconds while the run goes (since
 * the first request while that is shorter), over the whole run at the end. */
double run_rate_now(struct run *r, uint64_t now, int final);
void run_progress(struct run *r, uint64_t now, int final);
json_t *run_json_doc(struct run *r, const char *status);
void run_summary(struct run *r, const char *status);
/* --metrics: the Prometheus file, every few seconds (exit_status -1) and
 * once at the end with the run's exit status. */
void run_metrics(struct run *r, uint64_t now, int exit_status);

/* ---- run_media.c --------------------------------------------------------------- */
/* Move t on to its next media to upload, or to its first create. */
void media_advance(struct run *r, struct task *t);
/* Digest a slice of the media being prepared (bounded work a loop turn). */
void media_hash_step(struct run *r);
/* An upload op of t finished. */
void media_upload_done(struct run *r, struct task *t, struct op *op);

/* ---- run_followup.c ------------------------------------------------------------ */
/* Start the programs answering outputs' function calls. FU_NONE when there
 * are none with a program (the answer stands as it is). */
enum followup { FU_NONE, FU_STARTED, FU_FAILED };
enum followup followup_tools(struct run *r, struct task *t, const json_t *outputs);
/* A program answering one of t's calls finished. */
void followup_tool_done(struct run *r, struct tool_done *d);
/* Ask again for an answer that is not valid against the schema; FU_NONE
 * when the re-asks are used up. */
enum followup followup_reask(struct run *r, struct task *t, const json_t *outputs,
                             const json_t *errors, const char *parse_error);
/* What a re-ask says: the schema's complaints or the parse error, and a
 * request for corrected JSON. A new string value. */
json_t *followup_correction(const json_t *errors, const char *parse_error);
/* A batch's answer that broke the schema, asked again online (--reask
 * online): the task's request becomes the job's input, the answer text and
 * the correction, sent through the media stages like a first request. */
void followup_reask_batch(struct run *r, struct task *t, const char *text, const json_t *errors,
                          const char *parse_error);
/* Move a multi-step pipeline to its next step; FU_NONE after the last. */
enum followup followup_next_step(struct run *r, struct task *t, const struct interaction *it,
                                 const char *text, const json_t *output);
/* Record the step that just ended (multi-step pipelines only). */
void followup_log_step(struct run *r, struct task *t, const struct interaction *it,
                       const char *text, const json_t *output);

/* ---- run_answer.c -------------------------------------------------------------- */
/* Watch a create's or poll's body as it arrives (op->on_data): the events
 * of a stream (sse), and large media decoded into the spool (spool_fd >= 0;
 * at most max_images files). Nothing to watch: nothing is set. */
int answer_watch(struct op *op, int sse, int spool_fd, size_t max_images);
void answer_stream_free(struct op *op);
/* What one finished attempt came to. */
enum attempt_end {
    AE_ACCEPTED, /* the answer was taken: the task moved on or ended */
    AE_RETRY,    /* scheduled again */
    AE_FAILED,   /* the task failed for good */
    AE_ABORT,    /* the run stops; the task runs again on resume */
};
enum attempt_end answer_on_done(struct run *r, struct task *t, struct op *op);

#endif
