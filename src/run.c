/* run.c: the batch engine's loop. Owns the run: inputs are read a job at a
 * time (a window bounded by concurrency, never the whole manifest), each job
 * walks its operations through xfer.c, and every job ends exactly once in the
 * sink: results.jsonl, errors.jsonl, or "interrupted" in the journal (it runs
 * again on resume). The loop fits on a screen: feed, start, poll, drain. What
 * an answer leads to is run_answer.c's; media uploads run_media.c's. */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

volatile int run_signals;

uint64_t run_rnd(struct run *r)
{
    /* splitmix64: jitter only, never security */
    uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- job lists and the timer heap ----------------------------------------------- */

static void all_add(struct run *r, struct job *j)
{
    j->all_prev = NULL;
    j->all_next = r->all;
    if (r->all)
        r->all->all_prev = j;
    r->all = j;
    r->active++;
}

static void all_del(struct run *r, struct job *j)
{
    if (j->all_prev)
        j->all_prev->all_next = j->all_next;
    else
        r->all = j->all_next;
    if (j->all_next)
        j->all_next->all_prev = j->all_prev;
    r->active--;
}

void run_ready_push(struct run *r, struct job *j)
{
    j->next = NULL;
    if (r->ready_tail)
        r->ready_tail->next = j;
    else
        r->ready_head = j;
    r->ready_tail = j;
}

static struct job *ready_pop(struct run *r)
{
    struct job *j = r->ready_head;
    if (j) {
        r->ready_head = j->next;
        if (!r->ready_head)
            r->ready_tail = NULL;
        j->next = NULL;
    }
    return j;
}

static void heap_swap(struct run *r, size_t a, size_t b)
{
    struct job *t = r->heap[a];
    r->heap[a] = r->heap[b];
    r->heap[b] = t;
    r->heap[a]->heap_i = a;
    r->heap[b]->heap_i = b;
}

static void heap_up(struct run *r, size_t i)
{
    while (i && r->heap[(i - 1) / 2]->due_ms > r->heap[i]->due_ms) {
        heap_swap(r, i, (i - 1) / 2);
        i = (i - 1) / 2;
    }
}

static void heap_down(struct run *r, size_t i)
{
    for (;;) {
        size_t l = 2 * i + 1, m = i;
        if (l < r->nheap && r->heap[l]->due_ms < r->heap[m]->due_ms)
            m = l;
        if (l + 1 < r->nheap && r->heap[l + 1]->due_ms < r->heap[m]->due_ms)
            m = l + 1;
        if (m == i)
            return;
        heap_swap(r, i, m);
        i = m;
    }
}

static int heap_push(struct run *r, struct job *j, uint64_t due)
{
    if (r->nheap == r->capheap) {
        size_t ncap = r->capheap ? r->capheap * 2 : 256;
        struct job **nh = realloc(r->heap, ncap * sizeof *nh);
        if (!nh)
            return GB_ENOMEM;
        r->heap = nh;
        r->capheap = ncap;
    }
    j->due_ms = due;
    j->heap_i = r->nheap;
    r->heap[r->nheap++] = j;
    heap_up(r, j->heap_i);
    return 0;
}

static struct job *heap_pop_due(struct run *r, uint64_t now)
{
    if (!r->nheap || r->heap[0]->due_ms > now)
        return NULL;
    struct job *j = r->heap[0];
    r->nheap--;
    if (r->nheap) {
        r->heap[0] = r->heap[r->nheap];
        r->heap[0]->heap_i = 0;
        heap_down(r, 0);
    }
    j->heap_i = (size_t)-1;
    return j;
}

/* ---- recording outcomes -------------------------------------------------------- */

static void add_source(json_t *o, const struct job *j)
{
    json_object_set_new(o, "input", json_string(j->source));
    if (j->entry)
        json_object_set_new(o, "entry", json_string(j->entry));
    else if (j->line)
        json_object_set_new(o, "line", json_integer(j->line));
}

/* The job leaves the run: stop its tool programs, free it. */
static void release(struct run *r, struct job *j)
{
    if (j->tools_pending)
        toolbox_cancel(&r->tb, j);
    run_free_tcalls(j);
    all_del(r, j);
    job_free(j);
}

void run_finish_job(struct run *r, struct job *j)
{
    j->phase = PH_DONE;
    /* done now matters only to errors.jsonl's compaction at the end, so only
     * ids with an error line of an earlier run are added: a fresh run of a
     * million jobs keeps one digest set (seen), not two */
    if (dset_has(&r->res.failed, j->digest))
        dset_add(&r->res.done, j->digest);
    release(r, j);
}

/* A failure that is the job's own: one errors.jsonl line, the run goes on. */
void run_record_error(struct run *r, struct job *j, long code, const char *status, const char *msg,
                      json_t *extra)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "status", json_string("failed"));
    /* lossy: an error page or a cut message may not be UTF-8, and json_pack
     * would then drop the whole "error" object */
    json_object_set_new(o, "error",
                        json_pack("{s:I,s:o,s:o}", "code", (json_int_t)code, "status",
                                  jx_string_lossy(status), "message", jx_string_lossy(msg)));
    json_object_set_new(o, "attempts", json_integer(j->attempts));
    json_object_set_new(o, "requests", json_integer(j->total_attempts));
    if (j->iid)
        json_object_set_new(o, "interaction_id", json_string(j->iid));
    if (extra)
        json_object_update(o, extra);
    /* what was answered (and billed) but not accepted keeps its text */
    char *t = j->cont_outputs ? resp_text(j->cont_outputs) : NULL;
    if (t && *t)
        json_object_set_new(o, "partial",
                            json_pack("{s:o,s:i,s:s?}", "text", jx_string_lossy(t),
                                      "continuations", j->continuations, "continuation_token",
                                      j->cont_token));
    free(t);
    add_source(o, j);
    sink_line(&r->sink, SINK_ERRORS, o);
    json_decref(o);
    r->c.failed++;
    j->phase = PH_DONE;
    if (j->iid && j->background && j->id_json)
        jrn_iid_done(&r->sink, j->id_json); /* a resumed run creates it anew */
    /* failed ids are not "done": they run again on resume */
    release(r, j);
}

static void record_build_error(struct run *r, struct job *j)
{
    char msg[1400];
    if (j->line)
        snprintf(msg, sizeof msg, "%s:%ld: %s", j->source, j->line, j->build_err.msg);
    else
        snprintf(msg, sizeof msg, "%s: %s: %s", j->source, j->entry ? j->entry : "",
                 j->build_err.msg);
    if (!r->cfg->quiet)
        log_error("%s", msg);
    const char *status = j->build_err.code == GB_ENOENT         ? "NOT_FOUND"
                         : j->build_err.code == GB_EUNSUPPORTED ? "UNSUPPORTED_MEDIA"
                                                                : "INVALID_INPUT";
    run_record_error(r, j, 0, status, msg, NULL); /* code 0: nothing was sent */
}

static void record_interrupted(struct run *r, struct job *j)
{
    jrn_interrupted(&r->sink, j->id_json);
    r->c.interrupted++;
    release(r, j);
}

/* ---- building and starting operations ------------------------------------------ */

static char *url_for(struct run *r, struct job *j, int kind)
{
    size_t n = strlen(r->base_url) + (j->iid ? strlen(j->iid) * 3 : 0) + 64;
    char *u = malloc(n);
    if (!u)
        return NULL;
    if (kind == OPK_POLL || kind == OPK_CANCEL) {
        char *esc = curl_easy_escape(NULL, j->iid, 0);
        snprintf(u, n, "%s/interactions/%s%s", r->base_url, esc ? esc : j->iid,
                 kind == OPK_CANCEL ? "/cancel" : "");
        curl_free(esc);
    } else {
        snprintf(u, n, "%s/interactions%s", r->base_url, j->stream ? "?alt=sse" : "");
    }
    return u;
}

static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
    struct stream_ctx *sc = ctx;
    (void)event;
    int rc = sse_asm_event(&sc->as, data, len);
    if (rc)
        sc->bad = 1;
    return rc == GB_ELIMIT ? rc : 0; /* past the size limit: stop the transfer */
}

static int on_stream_data(struct op *op, const char *p, size_t n)
{
    long http = 0;
    curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &http);
    if (http < 200 || http >= 300) /* an error envelope: keep it whole */
        return buf_append(&op->resp, p, n) ? 1 : 0;
    struct stream_ctx *sc = op->data_ctx;
    int rc = sse_feed(&sc->parser, p, n);
    if (rc == GB_ELIMIT)
        op->resp_overflow = 1; /* reported as a response over the limit */
    return rc ? 1 : 0;
}

void run_stream_free(struct op *op)
{
    struct stream_ctx *sc = op ? op->data_ctx : NULL;
    if (!sc)
        return;
    sse_free(&sc->parser);
    sse_asm_free(&sc->as);
    free(sc);
    op->data_ctx = NULL;
}

static int start_upload_op(struct run *r, struct job *j)
{
    struct op *op = upl_op(&r->up, &r->xf, j->upl, j);
    if (!op || xfer_add(&r->xf, op)) {
        op_free(op);
        run_record_error(r, j, 0, "LOCAL_ERROR", "out of memory while building an upload", NULL);
        return GB_ENOMEM;
    }
    j->op = op;
    r->inflight++;
    r->c.attempts++;
    j->total_attempts++;
    return 0;
}

static int start_op(struct run *r, struct job *j)
{
    if (j->phase == PH_UPLOAD)
        return start_upload_op(r, j);
    uint64_t now = now_ms();
    if (!j->deadline_ms) {
        double d = r->cfg->deadline_s > 0 ? r->cfg->deadline_s
                   : j->background        ? r->cfg->bg_deadline_s
                                          : 0;
        j->deadline_ms = d > 0 ? now + (uint64_t)(d * 1000) : 0;
    }
    if (j->deadline_ms && now >= j->deadline_ms && j->phase != PH_CANCEL) {
        if (j->phase == PH_POLL && j->iid) {
            j->phase = PH_CANCEL; /* stop it spending, then fail the job */
        } else {
            run_record_error(r, j, 0, "DEADLINE_EXCEEDED",
                             "the job did not finish within its "
                             "deadline (--deadline)",
                             NULL);
            return GB_ESTATE;
        }
    }
    int kind = j->phase == PH_POLL ? OPK_POLL : j->phase == PH_CANCEL ? OPK_CANCEL : OPK_CREATE;
    struct op *op = op_new(&r->xf, kind, j, kind == OPK_POLL ? "GET" : "POST", url_for(r, j, kind));
    if (!op || !op->url)
        goto oom;
    op->timeout_ms = (long)(r->cfg->timeout_s * 1000);
    if (kind == OPK_CANCEL) {
        body_from_text(&op->body, "", 0);
        op->has_body = 1;
        op->timeout_ms = 30000;
    }
    if (kind == OPK_CREATE) {
        struct gb_err e = {0};
        const json_t *req = j->cur_req ? j->cur_req : j->req;
        if (body_from_request(&op->body, &r->jctx, req, j, &e))
            goto oom;
        op->has_body = 1;
        if (j->stream) {
            struct stream_ctx *sc = calloc(1, sizeof *sc);
            if (!sc)
                goto oom;
            sse_init(&sc->parser, 64u << 20, on_sse_event, sc);
            sse_asm_init(&sc->as);
            op->data_ctx = sc;
            op->on_data = on_stream_data;
        }
    }
    j->attempts++;
    j->total_attempts++;
    r->c.attempts++;
    if (kind == OPK_POLL)
        r->c.polls++;
    if (!j->first_send_us)
        j->first_send_us = now_us();
    /* recorded before it leaves: after a crash this attempt counts as in doubt */
    if (kind == OPK_CREATE)
        jrn_send(&r->sink, j->id_json, j->total_attempts,
                 j->cont_token ? "continue" : j->reasks ? "reask" : "create");
    if (xfer_add(&r->xf, op))
        goto oom;
    j->op = op;
    r->inflight++;
    return 0;
oom:
    run_stream_free(op);
    op_free(op);
    run_record_error(r, j, 500, "INTERNAL", "out of memory while building the request", NULL);
    return GB_ENOMEM;
}

void run_schedule(struct run *r, struct job *j, uint64_t delay_ms)
{
    if (heap_push(r, j, now_ms() + delay_ms))
        run_record_error(r, j, 500, "INTERNAL", "out of memory", NULL);
}

/* Start what the in-flight limit and the rate limits allow. */
static void start_ready(struct run *r)
{
    uint64_t now = now_ms();
    while (!r->stopping && r->inflight < (size_t)r->rl.limit && r->ready_head) {
        struct job *j = ready_pop(r);
        if (j->phase == PH_CREATE) {
            uint64_t wait;
            if (!rl_acquire(&r->rl, now, j->est_tokens, &wait)) {
                /* put it back at the front and wait for tokens */
                j->next = r->ready_head;
                r->ready_head = j;
                if (!r->ready_tail)
                    r->ready_tail = j;
                return;
            }
        }
        start_op(r, j);
    }
}

/* ---- inputs -------------------------------------------------------------------- */

static void admit(struct run *r, struct job *j)
{
    all_add(r, j);
    r->c.jobs++;
    json_t *q = json_string(j->id);
    j->id_json = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
    json_decref(q);
    if (!j->id_json) {
        run_record_error(r, j, 500, "INTERNAL", "out of memory", NULL);
        return;
    }
    if (j->failed_build) {
        record_build_error(r, j);
        return;
    }
    j->est_tokens = req_estimate_tokens(j->req, j);
    const char *iid = iid_get(&r->res.iids, j->digest);
    if (iid && j->background) {
        /* started by an earlier run: poll it instead of paying again */
        j->iid = strdup(iid);
        j->phase = PH_POLL;
        j->poll_wait_s = r->cfg->poll_initial_s;
        run_ready_push(r, j);
        return;
    }
    run_advance_media(r, j);
}

/* Archive entries not worth spooling: another shard's, or done on resume.
 * Counted here as feed() would count them. */
static int skip_entry(void *ctx, const char *id)
{
    struct run *r = ctx;
    uint64_t d = hash64(id, strlen(id), 0);
    if (r->cfg->shard_n && d % (uint64_t)r->cfg->shard_n != (uint64_t)(r->cfg->shard_k - 1)) {
        r->c.lines++;
        r->c.shard_skipped++;
        return 1;
    }
    if (!r->cfg->dry_run && dset_has(&r->res.done, d)) {
        r->c.lines++;
        r->c.skipped_done++;
        return 1;
    }
    return 0;
}

/* Read the next job from the inputs; NULL at the end. */
struct job *run_next_job(struct run *r)
{
    while (!r->inputs_done) {
        if (!r->in) {
            if (r->in_idx >= r->cfg->ninputs) {
                r->inputs_done = 1;
                break;
            }
            struct gb_err e = {0};
            struct arc_opts ao = {r->cfg->max_entry_bytes, 1000.0, r->spool_dir, skip_entry, r};
            if (input_open(r->cfg->inputs[r->in_idx], &ao, &r->in, &e)) {
                /* checked before the run started; vanished or unreadable since */
                log_err(&e);
                r->input_errors++;
                r->in_idx++;
                continue;
            }
        }
        struct job *j = input_next(r->in, &r->jctx);
        if (j) {
            r->c.lines++;
            return j;
        }
        json_t *sk = input_skipped(r->in);
        if (sk)
            json_array_extend(r->skipped, sk);
        input_close(r->in);
        r->in = NULL;
        r->in_idx++;
    }
    return NULL;
}

/* archives (issue 5): bytes of spooled entries held by unfinished jobs */
static uint64_t spooled_bytes(const struct run *r)
{
    uint64_t n = 0;
    for (const struct job *j = r->all; j && !r->inputs_done; j = j->all_next)
        n += arc_job_spooled(j);
    return n;
}

static void feed(struct run *r)
{
    uint64_t spooled = spooled_bytes(r); /* archives (issue 5): reading pauses past the budget */
    while (!r->stopping && !r->inputs_done && r->active < r->window &&
           spooled < ARC_SPOOL_BUDGET_BYTES) {
        struct job *j = run_next_job(r);
        if (!j)
            break;
        if (r->cfg->shard_n &&
            j->digest % (uint64_t)r->cfg->shard_n != (uint64_t)(r->cfg->shard_k - 1)) {
            r->c.shard_skipped++;
            job_free(j);
            continue;
        }
        if (dset_has(&r->res.done, j->digest)) {
            r->c.skipped_done++;
            job_free(j);
            continue;
        }
        if (dset_add(&r->seen, j->digest) == 0) {
            /* the first line with this id runs; this one is reported in
             * run.json, not run, and not written to errors.jsonl (which holds
             * each id at most once) */
            r->c.duplicates++;
            if (!r->cfg->quiet)
                log_error("%s:%ld: duplicate id '%.200s': an earlier line has it; ids must be "
                          "unique within a run, so this line was not run",
                          j->source, j->line, j->id);
            if (json_array_size(r->dups) < 1000)
                json_array_append_new(r->dups, json_pack("{s:s,s:s,s:I}", "id", j->id, "input",
                                                         j->source, "line", (json_int_t)j->line));
            job_free(j);
            continue;
        }
        spooled += arc_job_spooled(j); /* archives (issue 5) */
        admit(r, j);
    }
}

void run_abort(struct run *r, const char *fmt, ...)
{
    if (r->aborting)
        return;
    va_list ap;
    va_start(ap, fmt);
    gb_vfail(&r->abort_err, GB_ENET, __FILE__, __LINE__, fmt, ap);
    va_end(ap);
    r->aborting = 1;
    r->stopping = 1;
}

/* ---- signals ------------------------------------------------------------------- */

static void on_signal(int sig)
{
    (void)sig;
    run_signals++;
}

static void install_signals(struct sigaction *old_int, struct sigaction *old_term)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGINT, &sa, old_int);
    sigaction(SIGTERM, &sa, old_term);
    signal(SIGPIPE, SIG_IGN);
}

/* ---- the loop ------------------------------------------------------------------ */

static void cancel_all(struct run *r)
{
    for (struct job *j = r->all; j; j = j->all_next) {
        struct op *op = j->op;
        if (!op)
            continue;
        curl_off_t sent = 0;
        curl_easy_getinfo(op->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
        xfer_cancel(&r->xf, op);
        /* a request that left whole may have been billed; not when the key
         * was refused (nothing is billed then) */
        if (op->kind == OPK_CREATE && !r->auth_refused && (uint64_t)sent >= op->body.total)
            r->c.in_doubt++;
        run_stream_free(op);
        op_free(op);
        j->op = NULL;
        r->inflight--;
        run_ready_push(r, j);
    }
}

/* Jobs still waiting (ready, retry timers, polls, uploads) when the run
 * stops: they run again on resume. */
static void drain_waiting(struct run *r)
{
    r->ready_head = r->ready_tail = NULL;
    r->hashing = NULL;
    for (size_t i = 0; i < r->nheap; i++)
        r->heap[i]->heap_i = (size_t)-1;
    r->nheap = 0;
    while (r->all)
        record_interrupted(r, r->all);
}

static void loop(struct run *r)
{
    int told = 0;
    for (;;) {
        uint64_t now = now_ms();
        if (run_signals >= 1 && !r->stopping) {
            r->stopping = r->interrupted = 1;
        }
        if (r->interrupted && !told && !r->cfg->quiet) {
            told = 1;
            if (r->bar_drawn)
                fputc('\n', stderr);
            log_info("interrupted: letting %zu requests in flight finish; interrupt again to stop "
                     "them now (they run again on resume)",
                     r->inflight);
        }
        if ((run_signals >= 2 || r->aborting) && r->inflight)
            cancel_all(r);
        /* before-poll hook: durability, progress */
        sink_sync(&r->sink, now, 0);
        if (r->sink.write_failed)
            run_abort(r, "%s", r->sink.write_error);
        run_progress(r, now, 0);
        if (!r->stopping) {
            feed(r);
            struct job *j;
            while ((j = heap_pop_due(r, now)))
                run_ready_push(r, j);
            run_hash_step(r);
            start_ready(r);
        }
        if (r->inflight == 0 && (r->stopping || (r->inputs_done && !r->ready_head && !r->nheap &&
                                                 !r->hashing && r->active == 0)))
            break;
        long timeout = 100;
        if (r->nheap) {
            long d = (long)(r->heap[0]->due_ms > now ? r->heap[0]->due_ms - now : 0);
            if (d < timeout)
                timeout = d;
        }
        if ((r->ready_head && r->inflight < (size_t)r->rl.limit) || r->hashing)
            timeout = timeout > 5 ? 5 : timeout; /* waiting for tokens, or digesting */
        long tt = toolbox_next_timeout_ms(&r->tb);
        if (tt >= 0 && tt < timeout)
            timeout = tt;
        struct curl_waitfd fds[96];
        unsigned nfds = toolbox_fds(&r->tb, fds, sizeof fds / sizeof fds[0]);
        sink_flush(&r->sink); /* the "send" lines of what is about to leave */
        xfer_poll(&r->xf, (int)timeout, fds, nfds);
        toolbox_step(&r->tb);
        struct op *op;
        while ((op = xfer_next_done(&r->xf)))
            run_on_done(r, op);
    }
    drain_waiting(r);
}

static void random_nonce(char *out, size_t n)
{
    uint64_t v = 0;
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, &v, sizeof v) != (ssize_t)sizeof v)
        v = now_us() ^ ((uint64_t)getpid() << 32);
    if (fd >= 0)
        close(fd);
    snprintf(out, n, "%016llx", (unsigned long long)v);
}

/* What turning inputs into jobs needs (shared by a run and a dry run). */
int run_init_jobs(struct run *r)
{
    const struct config *cfg = r->cfg;
    r->jctx.pipe = r->pipe;
    r->jctx.dialect = cfg->dialect;
    r->jctx.model_override = cfg->model;
    r->jctx.force_stream = cfg->stream;
    r->jctx.sniff = &r->sniff;
    r->jctx.inline_limit = cfg->max_request_bytes;
    r->jctx.schemas = schema_cache_new();
    random_nonce(r->jctx.nonce, sizeof r->jctx.nonce);
    if (!r->skipped)
        r->skipped = json_array();
    if (!r->spool_dir)
        r->spool_dir = fsx_join(cfg->out_dir ? cfg->out_dir : "out", ".spool");
    return r->jctx.schemas && r->skipped && r->spool_dir ? 0 : GB_ENOMEM;
}

static int check_resume(struct run *r, struct gb_err *err)
{
    const char *dir = r->cfg->out_dir;
    if (r->res.prev_run) {
        json_t *pp = jx_obj(r->res.prev_run, "pipeline");
        const char *d = pp ? jx_str(pp, "digest") : NULL;
        if (d && strcmp(d, r->pipe->digest))
            return GB_FAIL(err, GB_ESTATE,
                           "'%s' holds the results of a different pipeline (it changed since the "
                           "last run); use --restart to discard them, or another -o",
                           dir);
        if (!d && r->res.had_outputs)
            return GB_FAIL(err, GB_ESTATE,
                           "'%s/run.json' has no pipeline digest; use --restart "
                           "or another -o",
                           dir);
    } else if (r->res.had_outputs) {
        return GB_FAIL(err, GB_ESTATE,
                       "'%s' has results but no run.json, so the pipeline that "
                       "made them is unknown; use --restart or another -o",
                       dir);
    }
    return 0;
}

static int setup(struct run *r, const struct config *cfg, struct pipeline *pipe, struct gb_err *err)
{
    r->cfg = cfg;
    r->pipe = pipe;
    r->t0_us = now_us();
    r->t0_wall = wall_s();
    r->rng = cfg->seed ? cfg->seed : (now_us() ^ ((uint64_t)getpid() << 20));
    r->dups = json_array();
    r->total_known = 0;
    hist_init(&r->lat);
    hist_init(&r->ttft);
    dset_init(&r->seen);
    sniff_init(&r->sniff);
    const char *version = cfg->dialect == DIALECT_V1 ? "v1" : "v1beta";
    size_t n = strlen(cfg->endpoint) + 16;
    r->base_url = malloc(n);
    if (!r->base_url)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    snprintf(r->base_url, n, "%s", cfg->endpoint);
    while (strlen(r->base_url) && r->base_url[strlen(r->base_url) - 1] == '/')
        r->base_url[strlen(r->base_url) - 1] = '\0';
    snprintf(r->base_url + strlen(r->base_url), 16, "/%s", version);
    if (run_init_jobs(r))
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    int rc;
    if ((rc = sink_open(&r->sink, cfg->out_dir, cfg->restart, err)))
        return rc;
    if ((rc = jrn_scan(cfg->out_dir, &r->res, err)) || (rc = check_resume(r, err)))
        return rc;
    if (r->res.torn && !cfg->quiet)
        log_warn("dropped %lld torn last line%s left by an interrupted run", r->res.torn,
                 r->res.torn == 1 ? "" : "s");
    if (r->res.in_doubt_prev && !cfg->quiet)
        log_warn("%lld request%s of the last run %s sent but never answered (it may have been "
                 "billed); %s sent again",
                 r->res.in_doubt_prev, r->res.in_doubt_prev == 1 ? "" : "s",
                 r->res.in_doubt_prev == 1 ? "was" : "were",
                 r->res.in_doubt_prev == 1 ? "it is" : "they are");
    if (r->res.restarted_prev && !cfg->quiet)
        log_warn("%lld job%s of the last run had %lld answered request%s but no result line "
                 "(it stopped before writing them, or during re-asks, tool turns, steps or "
                 "continuations); %s again from the start, so those requests are paid again",
                 r->res.restarted_prev, r->res.restarted_prev == 1 ? "" : "s",
                 r->res.answered_prev, r->res.answered_prev == 1 ? "" : "s",
                 r->res.restarted_prev == 1 ? "it runs" : "they run");
    if ((rc = jrn_begin(&r->sink, &r->res)))
        return GB_FAIL(err, rc, "cannot start the journal in '%s'", cfg->out_dir);
    json_t *rj = run_json_doc(r, "running");
    rc = sink_run_json(&r->sink, rj);
    json_decref(rj);
    if (rc)
        return GB_FAIL(err, GB_EIO, "%s", r->sink.write_error);
    struct xfer_opts xo = {cfg->cacert, 30000, 0};
    char ua[64];
    snprintf(ua, sizeof ua, "gembatch/%s", GEMBATCH_VERSION);
    if (xfer_init(&r->xf, &xo, cfg->api_key, ua))
        return GB_FAIL(err, GB_ENOMEM, "cannot start libcurl");
    rl_init(&r->rl, (int)cfg->concurrency, cfg->rpm, cfg->tpm, now_ms());
    r->policy = (struct retry_policy){(int)cfg->max_attempts, 1000, 60000};
    for (int i = 0; i < cfg->ninputs && r->total_known >= 0; i++) {
        long long c = input_count(cfg->inputs[i]);
        r->total_known = c < 0 ? -1 : r->total_known + c;
    }
    if (uploads_init(&r->up, cfg->endpoint, version) ||
        toolbox_init(&r->tb, (int)cfg->tool_concurrency, run_on_tool_done, r))
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    r->hash_buf = malloc(HASH_CHUNK);
    if (!r->hash_buf)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    r->tty = isatty(2);
    r->window = (size_t)(cfg->concurrency * 4 > 64 ? cfg->concurrency * 4 : 64);
    return 0;
}

static void teardown(struct run *r)
{
    input_close(r->in);
    json_decref(r->skipped);
    rmdir(r->spool_dir); /* archives (issue 5): the spool dir, when empty */
    free(r->spool_dir);
    while (r->all)
        release(r, r->all);
    free(r->heap);
    free(r->hash_buf);
    uploads_free(&r->up);
    toolbox_free(&r->tb);
    xfer_free(&r->xf);
    sink_close(&r->sink);
    jrn_free(&r->res);
    dset_free(&r->seen);
    schema_cache_free(r->jctx.schemas);
    sniff_free(&r->sniff);
    json_decref(r->dups);
    free(r->base_url);
}

int run_batch(const struct config *cfg, struct pipeline *pipe, struct gb_err *err)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return GB_FAIL(err, GB_ENOMEM, "out of memory"), GB_USAGE;
    struct sigaction old_int, old_term;
    int outcome = GB_USAGE;
    if (setup(r, cfg, pipe, err))
        goto out;
    install_signals(&old_int, &old_term);
    loop(r);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    run_progress(r, now_ms(), 1);
    long long kept = 0;
    struct gb_err ce = {0};
    sink_sync(&r->sink, 0, 1);
    if (jrn_compact_errors(cfg->out_dir, &r->res.done, &kept, &ce))
        log_err(&ce);
    const char *status = r->aborting ? "aborted" : r->interrupted ? "interrupted" : "completed";
    json_t *rj = run_json_doc(r, status);
    sink_run_json(&r->sink, rj);
    json_decref(rj);
    run_summary(r, status);
    if (r->aborting) {
        *err = r->abort_err;
        outcome = GB_ABORTED;
    } else if (r->interrupted) {
        outcome = GB_INTERRUPTED;
    } else {
        outcome = r->c.failed || r->c.duplicates || r->input_errors ? GB_SOME_FAILED : GB_DONE;
    }
out:
    teardown(r);
    free(r);
    return outcome;
}
