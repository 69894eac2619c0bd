/* run.c: the batch engine's loop. Owns the run: inputs are read a job at a
 * time (a window bounded by concurrency, never the whole manifest), each
 * task walks its operations through xfer.c, and every task ends exactly
 * once (run_jobs.c). The loop fits on a screen: feed, start, poll, drain.
 * What an answer leads to is run_answer.c's; media uploads run_media.c's;
 * what the run tells people run_report.c's; whether OUTDIR may be resumed
 * run_resume.c's. Nothing below calls back here. */
#include "run_int.h"
#include "url.h"

#include <math.h>
#include <signal.h>
#include <unistd.h>

/* ---- starting operations --------------------------------------------------------- */

static char *url_for(struct run *r, struct task *t, enum op_kind kind)
{
    size_t n = strlen(r->base_url) + (t->iid ? strlen(t->iid) * 3 : 0) + 64;
    char *u = malloc(n);
    if (!u)
        return NULL;
    if (kind == OPK_POLL || kind == OPK_CANCEL) {
        char *esc = curl_easy_escape(NULL, t->iid, 0);
        snprintf(u, n, "%s/interactions/%s%s", r->base_url, esc ? esc : t->iid,
                 kind == OPK_CANCEL ? "/cancel" : "");
        curl_free(esc);
    } else {
        snprintf(u, n, "%s/interactions%s", r->base_url, t->job->stream ? "?alt=sse" : "");
    }
    return u;
}

static void start_upload(struct run *r, struct task *t)
{
    struct op *op = upl_op(&r->up, &r->xf, t->media.upl, t);
    if (!op || xfer_add(&r->xf, op)) {
        op_free(op);
        task_fail(r, t, 0, "LOCAL_ERROR", "out of memory while building an upload", NULL);
        return;
    }
    t->op = op;
    r->inflight++;
    r->c.attempts++;
    t->total_attempts++;
}

/* Past its deadline a task fails; background work still running is
 * cancelled first so it stops spending. 1 when the task was dealt with. */
static int past_deadline(struct run *r, struct task *t, uint64_t now)
{
    if (!t->deadline_ms) {
        double d = r->cfg->deadline_s > 0 ? r->cfg->deadline_s
                   : t->background        ? r->cfg->bg_deadline_s
                                          : 0;
        t->deadline_ms = d > 0 ? now + (uint64_t)(d * 1000) : 0;
    }
    if (!t->deadline_ms || now < t->deadline_ms || t->phase == PH_CANCEL)
        return 0;
    if (t->phase == PH_POLL && t->iid) {
        task_phase(r, t, PH_CANCEL);
        return 0;
    }
    task_fail(r, t, 0, "DEADLINE_EXCEEDED", "the job did not finish within its deadline (--deadline)",
              NULL);
    return 1;
}

/* The tier a create goes out at: as asked, except flex under --finish-by
 * when the time left is short (tiers.c decides from the latencies seen). */
static enum tier route_tier(struct run *r, enum tier asked)
{
    if (asked != TIER_FLEX || r->cfg->finish_by_s <= 0)
        return asked;
    long long left = r->active;
    if (r->total_known > 0 && !r->inputs_done)
        left += r->total_known - (r->c.lines);
    struct tier_route tr = {asked,
                            wall_s(),
                            r->cfg->finish_by_s,
                            lat_est_value(&r->lat_flex),
                            lat_est_value(&r->lat_std),
                            (long)left,
                            (long)r->rl.limit};
    return tier_route(&tr);
}

/* Reserve what a create may cost and choose its tier. 0 to send it; else it
 * was dealt with (the budget is reached: the run stops taking new work; or
 * its cost cannot be bounded under --max-cost: the job fails). */
static int admit_cost(struct run *r, struct task *t)
{
    enum tier send = route_tier(r, cost_tier_asked(r, task_request(t)));
    const char *why = NULL;
    switch (cost_reserve(r, t, send, &why)) {
    case BUDGET_OK:
        t->tier_sent = send;
        return 0;
    case BUDGET_UNPRICED: {
        char msg[600];
        if (why)
            snprintf(msg, sizeof msg, "under --max-cost its cost must be bounded before it is "
                     "sent, and it was not: %s", why);
        else
            snprintf(msg, sizeof msg, "no price is known for its model at tier %s, so under "
                     "--max-cost its cost cannot be bounded and it was not sent (give the rates "
                     "with --prices FILE)", tier_name(send));
        task_fail(r, t, 0, "UNPRICED", msg, NULL);
        return 1;
    }
    case BUDGET_FULL:
        break;
    }
    if (!r->budget_stop && !r->cfg->quiet) {
        if (r->bar_drawn)
            fputc('\n', stderr);
        log_info("the budget is reached (--max-cost): nothing more is sent; letting %zu "
                 "requests in flight finish",
                 r->inflight);
    }
    r->budget_stop = r->stopping = 1;
    tq_push_front(&r->creates, t); /* recorded as interrupted: it runs again on resume */
    return 1;
}

/* Large media of an answer are decoded into OUTDIR/.spool as they stream
 * in, unless a stateless follow-up (store false with re-asks, tools or
 * steps) may have to send them back as they came. -1: keep them inline. */
static int spool_for(struct run *r, struct task *t)
{
    int followups = r->pipe->steps || r->pipe->ntools || t->job->schema;
    return t->job->store || !followups ? sink_spool_fd(&r->sink) : -1;
}

static size_t max_images(const struct run *r, const struct task *t)
{
    long cap = r->cfg->max_images_per_answer > 0 ? r->cfg->max_images_per_answer
                                                 : SINK_MAX_IMAGES_PER_ANSWER;
    return (size_t)cap + t->job->nmedia; /* a server may echo our own media back */
}

static void start_op(struct run *r, struct task *t)
{
    if (t->phase == PH_UPLOAD) {
        start_upload(r, t);
        return;
    }
    if (past_deadline(r, t, now_ms()))
        return;
    enum op_kind kind = t->phase == PH_POLL ? OPK_POLL : t->phase == PH_CANCEL ? OPK_CANCEL : OPK_CREATE;
    if (kind == OPK_CREATE && admit_cost(r, t))
        return;
    struct op *op = op_new(&r->xf, kind, t, kind == OPK_POLL ? "GET" : "POST", url_for(r, t, kind));
    if (!op || !op->url)
        goto fail;
    op->timeout_ms = (long)(r->cfg->timeout_s * 1000);
    /* flex answers may take minutes: at least 10 unless a timeout was given */
    if (kind != OPK_CANCEL && t->tier_sent == TIER_FLEX && !r->cfg->timeout_set &&
        op->timeout_ms < FLEX_TIMEOUT_MS)
        op->timeout_ms = FLEX_TIMEOUT_MS;
    if (kind == OPK_CANCEL) {
        body_from_text(&op->body, "", 0);
        op->has_body = 1;
        op->timeout_ms = 30000;
    }
    if (kind == OPK_CREATE) {
        struct gb_err e = {0};
        const json_t *req = task_request(t);
        json_t *routed = NULL; /* the same request at the tier it goes out at */
        const char *named = jx_str(req, "service_tier");
        if (t->tier_sent != TIER_STANDARD ? !named || strcmp(named, tier_name(t->tier_sent))
                                          : named && strcmp(named, "standard")) {
            routed = json_copy((json_t *)req);
            if (!routed)
                goto fail;
            json_object_set_new(routed, "service_tier", json_string(tier_name(t->tier_sent)));
            req = routed;
        }
        int rc = body_from_request(&op->body, &r->jctx, req, t->job, &e);
        json_decref(routed);
        if (rc)
            goto fail;
        op->has_body = 1;
    }
    if (kind != OPK_CANCEL && answer_watch(op, kind == OPK_CREATE && t->job->stream,
                                           spool_for(r, t), max_images(r, t)))
        goto fail;
    if (t->attempts > 0) /* counted when it leaves, not when it is scheduled */
        r->c.retries++;
    t->attempts++;
    t->total_attempts++;
    r->c.attempts++;
    if (kind == OPK_POLL)
        r->c.polls++;
    if (!t->first_send_us)
        t->first_send_us = now_us();
    if (!r->first_send_ms)
        r->first_send_ms = now_ms();
    /* recorded before it leaves: after a crash this attempt counts as in doubt */
    if (kind == OPK_CREATE)
        jrn_send(&r->sink, t->id_json, t->total_attempts,
                 t->cont.token ? "continue" : t->reasks ? "reask" : "create");
    if (xfer_add(&r->xf, op))
        goto fail;
    t->op = op;
    r->inflight++;
    return;
fail:
    answer_stream_free(op);
    op_free(op);
    if (kind == OPK_CREATE)
        cost_unanswered(r, t, 0);
    task_fail(r, t, 500, "INTERNAL", "out of memory while building the request", NULL);
}

/* Start what the in-flight limit and the rate limits allow. Creates come
 * first, so polls never starve them of slots; polls, cancels and uploads
 * take no rate tokens (--rpm and --tpm count creates) and never wait behind
 * a create that is waiting for tokens. */
static void start_ready(struct run *r)
{
    uint64_t now = now_ms();
    while (!r->stopping && r->inflight < (size_t)r->rl.limit && r->creates.head) {
        struct task *t = tq_pop(&r->creates);
        uint64_t wait;
        if (!rl_acquire(&r->rl, now, t->job->est_tokens, &wait)) {
            tq_push_front(&r->creates, t); /* wait for tokens */
            break;
        }
        start_op(r, t);
    }
    while (!r->stopping && r->inflight < (size_t)r->rl.limit && r->others.head)
        start_op(r, tq_pop(&r->others));
}

/* A finished op goes to the stage that started it. */
static void on_done(struct run *r, struct op *op)
{
    struct task *t = op->user;
    t->op = NULL;
    r->inflight--;
    if (op->kind == OPK_UPLOAD) {
        media_upload_done(r, t, op);
    } else {
        answer_on_done(r, t, op);
        answer_stream_free(op);
    }
    op_free(op);
}

/* ---- inputs -------------------------------------------------------------------- */

/* --cache: serve the job from the answer cache when its answer may be
 * cached and a valid one is there. 1 when it was served (the task ended). */
static int from_cache(struct run *r, struct task *t)
{
    struct cache *c = r->cfg->cache;
    if (!c || cache_failed(c))
        return 0;
    const char *why = NULL;
    int flags = r->cfg->cache_nondeterministic ? CACHE_NONDETERMINISTIC : 0;
    if (!cache_policy(t->job->req, r->pipe, flags, &why)) {
        r->c.not_cacheable++;
        return 0;
    }
    struct gb_err e = {0};
    if (cache_job_key(t->job, r->pipe, r->cfg->dialect, t->cache_key, &e))
        return 0; /* a media file unreadable now fails later with its own error */
    t->cacheable = 1;
    struct cache_hit h = {0};
    int rc = cache_get(c, t->cache_key, &h, &e);
    if (rc < 0 && !r->cfg->quiet)
        log_warn("the answer cache failed, the run goes on without it: %s", e.msg);
    int served = rc == 1 && task_serve_cached(r, t, &h);
    cache_hit_free(&h);
    return served;
}

/* A job read from the inputs becomes a task; online (from Batch Mode's
 * online list) says what its batches did before (NULL: nothing). */
static void admit(struct run *r, struct job *j, const json_t *online)
{
    struct task *t = task_enter(r, j);
    if (!t)
        return;
    if (j->failed_build) {
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
        task_fail(r, t, 0, status, msg, NULL); /* code 0: nothing was sent */
        return;
    }
    if (online)
        bm_online_apply(r, t, online);
    j->est_tokens = req_estimate_tokens(j->req, j);
    /* --tier for requests whose tier is the pipeline's (a line may name its own) */
    const char *line_tier = jx_str(j->req, "service_tier");
    const char *pipe_tier = jx_str(r->pipe->base, "service_tier");
    if (r->cfg->tier && (!line_tier || (pipe_tier && !strcmp(line_tier, pipe_tier))))
        json_object_set_new(j->req, "service_tier", json_string(r->cfg->tier));
    const char *iid = iid_get(&r->res.iids, j->digest);
    if (iid && t->background) {
        /* started by an earlier run: poll it instead of paying again */
        t->iid = strdup(iid);
        t->poll_wait_s = r->cfg->poll_initial_s;
        task_phase(r, t, PH_POLL);
        task_ready(r, t);
        return;
    }
    if (from_cache(r, t))
        return;
    media_advance(r, t);
}

/* archives (issue 5): bytes of spooled entries held by unfinished tasks */
static uint64_t spooled_bytes(const struct run *r)
{
    uint64_t n = 0;
    for (const struct task *t = r->all; t && !r->inputs_done; t = t->all_next)
        n += arc_job_spooled(t->job);
    return n;
}

static void feed(struct run *r)
{
    uint64_t spooled = spooled_bytes(r); /* archives (issue 5): reading pauses past the budget */
    while (!r->stopping && !r->inputs_done && r->active < r->window &&
           spooled < ARC_SPOOL_BUDGET_BYTES) {
        if (r->online_pass && !r->online_waiting) {
            run_inputs_stop(r); /* nothing more to find in them */
            break;
        }
        struct job *j = run_next_job(r);
        if (!j)
            break;
        if (r->online_pass) { /* the inputs read again: only the online list's jobs */
            json_t *line = bm_online_take(r->online_pass, j);
            if (line) {
                spooled += arc_job_spooled(j);
                admit(r, j, line);
            } else {
                job_free(j);
            }
            json_decref(line);
            continue;
        }
        if (!job_skipped(r, j)) {
            spooled += arc_job_spooled(j); /* archives (issue 5) */
            admit(r, j, NULL);
        }
    }
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

/* Near --finish-by a flex attempt still in flight is given up when waiting
 * for it would leave too little time to send what is left at standard; it
 * goes again at standard (it may have been billed: counted in doubt). */
static void check_flex(struct run *r, uint64_t now)
{
    if (r->cfg->finish_by_s <= 0 || now - r->last_flex_check_ms < 500)
        return;
    r->last_flex_check_ms = now;
    for (struct task *t = r->all; t; t = t->all_next) {
        struct op *op = t->op;
        if (!op || op->kind != OPK_CREATE || t->tier_sent != TIER_FLEX)
            continue;
        struct tier_route tr = {TIER_FLEX,      wall_s(),           r->cfg->finish_by_s,
                                lat_est_value(&r->lat_flex), lat_est_value(&r->lat_std),
                                (long)r->active, (long)r->rl.limit};
        if (!tier_abandon(&tr))
            continue;
        xfer_cancel(&r->xf, op);
        answer_stream_free(op);
        op_free(op);
        t->op = NULL;
        r->inflight--;
        r->flex_moved++;
        cost_unanswered(r, t, 1);
        t->attempts--; /* not the request's fault */
        task_ready(r, t);
    }
}

static void cancel_all(struct run *r)
{
    for (struct task *t = r->all; t; t = t->all_next) {
        struct op *op = t->op;
        if (!op)
            continue;
        curl_off_t sent = 0;
        curl_easy_getinfo(op->easy, CURLINFO_SIZE_UPLOAD_T, &sent);
        xfer_cancel(&r->xf, op);
        /* a request that left whole may have been billed; not when the key
         * was refused (nothing is billed then) */
        int doubt = op->kind == OPK_CREATE && !r->auth_refused && (uint64_t)sent >= op->body.total;
        if (doubt)
            r->c.in_doubt++;
        if (op->kind == OPK_CREATE)
            cost_unanswered(r, t, doubt);
        answer_stream_free(op);
        op_free(op);
        t->op = NULL;
        r->inflight--;
        task_ready(r, t);
    }
}

/* Tasks still waiting (ready, retry timers, polls, uploads, tools) when the
 * run stops: they run again on resume. */
static void drain_waiting(struct run *r)
{
    r->creates = r->others = (struct tqueue){NULL, NULL};
    r->hashing = NULL;
    for (size_t i = 0; i < r->nheap; i++)
        r->heap[i]->heap_i = (size_t)-1;
    r->nheap = 0;
    while (r->all)
        task_interrupt(r, r->all);
}

static void loop(struct run *r)
{
    int told = 0;
    for (;;) {
        uint64_t now = now_ms();
        if (run_signals >= 1 && !r->stopping)
            r->stopping = r->interrupted = 1;
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
        run_metrics(r, now, -1);
        check_flex(r, now);
        if (!r->stopping) {
            feed(r);
            struct task *t;
            while ((t = task_due(r, now)))
                task_ready(r, t);
            media_hash_step(r);
            start_ready(r);
        }
        if (r->inflight == 0 && (r->stopping || (r->inputs_done && !task_any_ready(r) && !r->nheap &&
                                                 !r->hashing && r->active == 0)))
            break;
        long timeout = 100, due = task_next_due_ms(r, now);
        if (due >= 0 && due < timeout)
            timeout = due;
        if ((task_any_ready(r) && r->inflight < (size_t)r->rl.limit) || r->hashing)
            timeout = timeout > 5 ? 5 : timeout; /* waiting for tokens, or digesting */
        long tt = toolbox_next_timeout_ms(&r->tb);
        if (tt >= 0 && tt < timeout)
            timeout = tt;
        struct curl_waitfd fds[96];
        unsigned nfds = toolbox_fds(&r->tb, fds, sizeof fds / sizeof fds[0] - 1);
        int imgfd = sink_image_fd(&r->sink); /* the image writer finished a round */
        if (imgfd >= 0)
            fds[nfds++] = (struct curl_waitfd){imgfd, CURL_WAIT_POLLIN, 0};
        sink_flush(&r->sink); /* the "send" lines of what is about to leave */
        xfer_poll(&r->xf, (int)timeout, fds, nfds);
        toolbox_step(&r->tb);
        struct tool_done *td;
        while ((td = toolbox_next_done(&r->tb)))
            followup_tool_done(r, td);
        struct op *op;
        while ((op = xfer_next_done(&r->xf)))
            on_done(r, op);
    }
    drain_waiting(r);
}

/* ---- Batch Mode ------------------------------------------------------------------ */

/* The loop over the inputs read again, for the jobs on the online list. */
static void online_pass(struct run *r, struct bm *b)
{
    if (!bm_online_news(b) || !r->online_waiting || r->aborting || r->budget_stop ||
        run_signals >= 1)
        return;
    log_info("batch: %ld job%s go%s online", r->online_waiting, r->online_waiting == 1 ? "" : "s",
             r->online_waiting == 1 ? "es" : "");
    r->online_pass = b;
    run_inputs_rewind(r);
    r->stopping = 0;
    loop(r);
    r->online_pass = NULL;
    run_inputs_stop(r);
}

/* When --mode auto gives the batches up before --finish-by: the time the
 * online pass needs for what they hold (the rate seen online, else the
 * concurrency at a few seconds an answer), half again, and a minute. */
static double giveup_at(const struct run *r, const struct bm *b)
{
    double rate = r->window / 5.0;
    if (r->cfg->rpm > 0 && r->cfg->rpm / 60.0 < rate)
        rate = r->cfg->rpm / 60.0;
    double need = (double)bm_running_requests(b) / (rate > 0 ? rate : 1);
    return r->cfg->finish_by_s - 1.5 * need - 60.0;
}

/* Batch Mode (and auto): round 0's parts, then the batches moved along with
 * online passes between, until they end, the deadline nears or (without
 * --wait) they are left running for the next run. */
static void batch_modes(struct run *r)
{
    const struct config *cfg = r->cfg;
    struct bm *b = bm_open(r);
    if (!b)
        return;
    int deadline = cfg->mode == MODE_AUTO && cfg->finish_by_s > 0;
    int running = bm_advance(b, 0, 0);
    for (;;) {
        online_pass(r, b);
        if (!running || !cfg->wait || r->aborting || run_signals >= 1)
            break;
        double until = deadline ? giveup_at(r, b) : 0;
        if (deadline && wall_s() >= until) {
            bm_cancel_running(b);
            online_pass(r, b);
            running = 0;
            break;
        }
        running = bm_advance(b, 1, until);
    }
    r->batches_running = r->aborting || run_signals >= 1 ? 0 : running;
    if (run_signals >= 1)
        r->interrupted = 1;
    bm_close(b);
}

static int setup(struct run *r, const struct config *cfg, struct pipeline *pipe, struct gb_err *err)
{
    r->cfg = cfg;
    r->pipe = pipe;
    r->t0_us = now_us();
    r->t0_wall = wall_s();
    r->rng = cfg->seed ? cfg->seed : (now_us() ^ ((uint64_t)getpid() << 20));
    r->failed_after = -1;
    fsx_random_hex(r->run_id, 16);
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
    r->shown_url = url_redact(r->base_url); /* what messages show: no user:password, no ?key= */
    if (!r->shown_url)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    if (run_init_jobs(r))
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    int rc;
    if ((rc = sink_open(&r->sink, cfg->out_dir, cfg->restart, err)))
        return rc;
    /* a key a server echoes back never reaches the disk: not the output
     * folder, not the answer cache (the embedded emulator's stand-in key is
     * no secret, and too short to blank) */
    const char *secret =
        cfg->emulator && cfg->api_key && !strcmp(cfg->api_key, "emulator") ? NULL : cfg->api_key;
    sink_set_secret(&r->sink, secret);
    if (cfg->cache && cache_set_secret(cfg->cache, secret))
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    sink_set_image_limits(&r->sink, cfg->max_images_per_answer, cfg->max_images);
    if ((rc = jrn_scan(cfg->out_dir, &r->res, err)) || (rc = resume_check(r, err)))
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
    resume_totals(r);
    r->last_success = cfg->metrics_path ? metrics_last_success(cfg->metrics_path) : NAN;
    /* until answers say otherwise, an attempt may take as long as it is
     * allowed to: flex 10 minutes (or --timeout), standard 30 s */
    double cap = cfg->timeout_set ? cfg->timeout_s : FLEX_TIMEOUT_MS / 1000.0;
    lat_est_init(&r->lat_flex, cap);
    lat_est_init(&r->lat_std, cap < 30 ? cap : 30);
    if ((rc = cost_init(r, r->base.usd, err)))
        return rc;
    /* run.json first, with the totals that now include a run the journal
     * told of; then the journal is emptied. A crash in between leaves a
     * journal whose run id run.json no longer names: not counted twice. */
    json_t *rj = run_json_doc(r, "running");
    rc = sink_run_json(&r->sink, rj);
    json_decref(rj);
    if (rc)
        return GB_FAIL(err, GB_EIO, "%s", r->sink.write_error);
    if ((rc = jrn_begin(&r->sink, &r->res, r->run_id)))
        return GB_FAIL(err, rc, "cannot start the journal in '%s'", cfg->out_dir);
    struct xfer_opts xo = {cfg->cacert, 30000, cfg->max_connections};
    char ua[64];
    snprintf(ua, sizeof ua, "gembatch/%s", GEMBATCH_VERSION);
    if (xfer_init(&r->xf, &xo, cfg->api_key, ua) || xfer_set_origin(&r->xf, cfg->endpoint))
        return GB_FAIL(err, GB_ENOMEM, "cannot start libcurl");
    if (cfg->max_buffered_bytes)
        xfer_set_budget(&r->xf, (size_t)cfg->max_buffered_bytes);
    rl_init(&r->rl, (int)cfg->concurrency, cfg->rpm, cfg->tpm, now_ms());
    r->policy = (struct retry_policy){(int)cfg->max_attempts, 1000, 60000};
    for (int i = 0; i < cfg->ninputs && r->total_known >= 0; i++) {
        long long c = input_count(cfg->inputs[i]);
        r->total_known = c < 0 ? -1 : r->total_known + c;
    }
    if (uploads_init(&r->up, cfg->endpoint, version) ||
        toolbox_init(&r->tb, (int)cfg->tool_concurrency))
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
    free(r->id_prefix);
    GB_ASSERT(!r->all); /* every task ended in the loop, or none was admitted */
    free(r->heap);
    free(r->hash_buf);
    uploads_free(&r->up);
    toolbox_free(&r->tb);
    xfer_free(&r->xf);
    sink_close(&r->sink);
    jrn_free(&r->res);
    dset_free(&r->seen);
    dmap_free(&r->online_at);
    schema_cache_free(r->jctx.schemas);
    sniff_free(&r->sniff);
    json_decref(r->dups);
    free(r->base_url);
    free(r->shown_url);
    cost_free(r);
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
    if (cfg->mode == MODE_ONLINE)
        loop(r);
    else
        batch_modes(r);
    sigaction(SIGINT, &old_int, NULL);
    sigaction(SIGTERM, &old_term, NULL);
    run_progress(r, now_ms(), 1);
    long long kept = 0, kept_dups = 0;
    struct gb_err ce = {0};
    sink_sync(&r->sink, 0, 1);
    if (jrn_compact_errors(cfg->out_dir, &r->res.done, &kept, &kept_dups, &ce))
        log_err(&ce);
    else
        r->failed_after = kept - kept_dups;
    const char *status = r->aborting          ? "aborted"
                         : r->interrupted     ? "interrupted"
                         : r->budget_stop     ? "stopped_at_budget"
                         : r->batches_running ? "batches_running"
                                              : "completed";
    json_t *rj = run_json_doc(r, status);
    sink_run_json(&r->sink, rj);
    json_decref(rj);
    run_summary(r, status);
    /* the outcome is the exit status (cmd.h), for the metrics file */
    if (r->aborting) {
        *err = r->abort_err;
        outcome = GB_ABORTED;
    } else if (r->interrupted) {
        outcome = GB_INTERRUPTED;
    } else if (r->budget_stop) {
        outcome = GB_BUDGET;
    } else if (r->batches_running) {
        outcome = GB_BATCH_RUNNING;
    } else {
        outcome = r->c.failed || r->c.duplicates || r->input_errors ? GB_SOME_FAILED : GB_DONE;
    }
    run_metrics(r, now_ms(), outcome);
out:
    teardown(r);
    free(r);
    return outcome;
}
