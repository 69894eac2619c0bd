/* run_jobs.c: where a job enters the engine and its one exit. A job read
 * from the inputs becomes a task (task_enter) or is skipped (job_skip); a
 * task leaves exactly once, through task_complete (results.jsonl),
 * task_fail (errors.jsonl) or task_interrupt (the journal: it runs again on
 * resume). Also the lists every stage shares: the ready queue, the timer
 * heap, the jitter source, and the one function that changes a phase. The
 * bottom of the engine: it calls no other engine file. */
#include "run_int.h"

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <unistd.h>

/* Set by run.c's signal handler; read by every part of the engine that
 * waits (the loop, Batch Mode's polls). */
volatile sig_atomic_t run_signals;

uint64_t run_rnd(struct run *r)
{
    /* splitmix64: jitter only, never security */
    uint64_t z = (r->rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* ---- phases --------------------------------------------------------------------- */

const char *phase_name(enum phase ph)
{
    static const char *const names[PH_NPHASES] = {
        "new", "hash", "upload", "upload-wait", "create", "poll", "tools", "cancel", "done"};
    return ph >= 0 && ph < PH_NPHASES ? names[ph] : "?";
}

void task_phase_at(struct run *r, struct task *t, enum phase ph, const char *file, int line)
{
    (void)r;
    /* an ended task never comes back: its exit already wrote its line */
    GB_ASSERT(t->phase != PH_DONE);
    if (t->phase != ph && log_debug_enabled())
        log_debug("%s: %s -> %s (%s:%d)", t->job->id, phase_name(t->phase), phase_name(ph), file,
                  line);
    t->phase = ph;
}

/* ---- the lists ------------------------------------------------------------------ */

static void all_add(struct run *r, struct task *t)
{
    t->all_prev = NULL;
    t->all_next = r->all;
    if (r->all)
        r->all->all_prev = t;
    r->all = t;
    r->active++;
}

static void all_del(struct run *r, struct task *t)
{
    if (t->all_prev)
        t->all_prev->all_next = t->all_next;
    else
        r->all = t->all_next;
    if (t->all_next)
        t->all_next->all_prev = t->all_prev;
    r->active--;
}

static void tq_push(struct tqueue *q, struct task *t)
{
    t->next = NULL;
    if (q->tail)
        q->tail->next = t;
    else
        q->head = t;
    q->tail = t;
}

void tq_push_front(struct tqueue *q, struct task *t)
{
    t->next = q->head;
    q->head = t;
    if (!q->tail)
        q->tail = t;
}

struct task *tq_pop(struct tqueue *q)
{
    struct task *t = q->head;
    if (t) {
        q->head = t->next;
        if (!q->head)
            q->tail = NULL;
        t->next = NULL;
    }
    return t;
}

void task_ready(struct run *r, struct task *t)
{
    tq_push(t->phase == PH_CREATE ? &r->creates : &r->others, t);
}

int task_any_ready(const struct run *r)
{
    return r->creates.head || r->others.head;
}

void task_next_request_at(struct run *r, struct task *t, json_t *req, enum req_kind kind,
                          const char *file, int line)
{
    t->kind = kind;
    t->shed = 0;
    if (req) {
        json_decref(t->cur_req);
        t->cur_req = req;
    }
    t->attempts = 0;
    task_phase_at(r, t, PH_CREATE, file, line);
    task_ready(r, t);
}

const json_t *task_request(const struct task *t)
{
    return t->cur_req ? t->cur_req : t->job->req;
}

/* ---- the timer heap (retries, polls) --------------------------------------------- */

static void heap_swap(struct run *r, size_t a, size_t b)
{
    struct task *t = r->heap[a];
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

static int heap_push(struct run *r, struct task *t, uint64_t due)
{
    if (r->nheap == r->capheap) {
        size_t ncap = r->capheap ? r->capheap * 2 : 256;
        struct task **nh = realloc(r->heap, ncap * sizeof *nh);
        if (!nh)
            return GB_ENOMEM;
        r->heap = nh;
        r->capheap = ncap;
    }
    t->due_ms = due;
    t->heap_i = r->nheap;
    r->heap[r->nheap++] = t;
    heap_up(r, t->heap_i);
    return 0;
}

struct task *task_due(struct run *r, uint64_t now)
{
    if (!r->nheap || r->heap[0]->due_ms > now)
        return NULL;
    struct task *t = r->heap[0];
    r->nheap--;
    if (r->nheap) {
        r->heap[0] = r->heap[r->nheap];
        r->heap[0]->heap_i = 0;
        heap_down(r, 0);
    }
    t->heap_i = (size_t)-1;
    return t;
}

long task_next_due_ms(const struct run *r, uint64_t now)
{
    if (!r->nheap)
        return -1;
    return (long)(r->heap[0]->due_ms > now ? r->heap[0]->due_ms - now : 0);
}

void task_schedule(struct run *r, struct task *t, uint64_t delay_ms)
{
    if (heap_push(r, t, now_ms() + delay_ms))
        task_fail(r, t, 500, "INTERNAL", "out of memory", NULL);
}

/* ---- entry ---------------------------------------------------------------------- */

static void task_free(struct task *t)
{
    if (!t)
        return;
    if (t->media.fd >= 0)
        close(t->media.fd);
    sha256_free(t->media.hash);
    free(t->media.hash);
    for (int i = 0; i < t->tools.ncalls; i++) {
        free(t->tools.calls[i].id);
        free(t->tools.calls[i].name);
        json_decref(t->tools.calls[i].args);
    }
    free(t->tools.calls);
    json_decref(t->tools.results);
    json_decref(t->tools.outputs);
    free(t->tools.error);
    json_decref(t->cur_req);
    json_decref(t->conv);
    json_decref(t->steps_log);
    json_decref(t->tool_log);
    json_decref(t->files);
    json_decref(t->cont.base);
    json_decref(t->cont.outputs);
    free(t->cont.token);
    free(t->iid);
    free(t->id_json);
    job_free(t->job);
    free(t);
}

struct task *task_enter(struct run *r, struct job *j)
{
    struct task *t = calloc(1, sizeof *t);
    json_t *q = json_string(j->id);
    if (t)
        t->id_json = q ? json_dumps(q, JSON_ENCODE_ANY) : NULL;
    json_decref(q);
    r->c.jobs++;
    if (!t || !t->id_json) {
        free(t);
        /* the job still ends once: as an error line, with no task behind it */
        json_t *o = json_pack("{s:s,s:s,s:{s:i,s:s,s:s},s:s}", "id", j->id, "status", "failed",
                              "error", "code", 500, "status", "INTERNAL", "message",
                              "out of memory", "input", j->source);
        if (o)
            sink_line(&r->sink, SINK_ERRORS, o);
        json_decref(o);
        r->c.failed++;
        job_free(j);
        return NULL;
    }
    t->job = j;
    t->media.fd = -1;
    t->heap_i = (size_t)-1;
    t->background = j->background;
    t->cost_known = 1;
    all_add(r, t);
    return t;
}

/* ---- the one exit --------------------------------------------------------------- */

/* When the line is written: the report draws throughput over time from it. */
static void add_finished_at(json_t *o)
{
    char ts[32];
    iso8601_ms(wall_s(), ts);
    json_object_set_new(o, "finished_at", json_string(ts));
}

static void add_source(json_t *o, const struct job *j)
{
    json_object_set_new(o, "input", json_string(j->source));
    if (j->entry)
        json_object_set_new(o, "entry", json_string(j->entry));
    else if (j->line)
        json_object_set_new(o, "line", json_integer(j->line));
}

/* Every exit ends here: the task leaves the run, its programs are stopped. */
static void task_end(struct run *r, struct task *t, const char *file, int line)
{
    task_phase_at(r, t, PH_DONE, file, line);
    if (t->img_batch) /* no line: images already queued still land */
        sink_batch_close(&r->sink, t->img_batch, SINK_RESULTS, NULL);
    t->img_batch = NULL;
    if (t->tools.pending)
        toolbox_cancel(&r->tb, t);
    all_del(r, t);
    task_free(t);
}

static json_t *usage_json(const struct usage_sum *u)
{
    json_t *o = json_pack("{s:I,s:I,s:I}", "total_input_tokens", (json_int_t)u->in,
                          "total_output_tokens", (json_int_t)u->out, "total_tokens",
                          (json_int_t)u->total);
    if (u->thought)
        json_object_set_new(o, "total_thought_tokens", json_integer(u->thought));
    return o;
}

void task_add_usage(struct run *r, struct task *t, const struct interaction *it, double usd)
{
    if (!it->has_usage)
        return;
    t->tok.in += it->usage.input;
    t->tok.out += it->usage.output;
    t->tok.total += it->usage.total;
    t->tok.thought += it->usage.thought;
    r->c.tok_in += it->usage.input;
    r->c.tok_out += it->usage.output;
    r->c.tok_total += it->usage.total;
    r->c.tok_thought += it->usage.thought;
    jrn_usage(&r->sink, t->id_json, it->usage.input, it->usage.output, it->usage.total,
              it->usage.thought, usd);
    rl_correct(&r->rl, t->job->est_tokens, (long)it->usage.input);
}

/* Items other than text (tool calls and results, function calls, images by
 * file name) are kept; inline image data is not repeated. Thought summaries,
 * when asked for, come out as text in thoughts. */
static void add_outputs(json_t *o, const json_t *outputs, const json_t *files)
{
    json_t *items = json_array();
    size_t i, k = 0;
    json_t *item;
    struct buf thoughts;
    buf_init(&thoughts, BUF_UNLIMITED);
    json_array_foreach (outputs, i, item) {
        const char *ty = jx_str(item, "type");
        if (ty && !strcmp(ty, "thought")) {
            size_t q;
            json_t *part;
            json_array_foreach (jx_arr(item, "summary"), q, part) {
                const char *pt = jx_str(part, "text");
                if (pt && *pt)
                    buf_printf(&thoughts, "%s%s", thoughts.len ? "\n" : "", pt);
            }
            continue;
        }
        if (!ty || !strcmp(ty, "text"))
            continue;
        json_t *c = json_copy(item);
        if (!strcmp(ty, "image") && json_object_get(c, "data")) {
            json_object_del(c, "data");
            json_t *f = json_array_get(files, k++);
            if (f)
                json_object_set(c, "file", f);
        }
        json_array_append_new(items, c);
    }
    if (json_array_size(items))
        json_object_set_new(o, "outputs", items);
    else
        json_decref(items);
    if (thoughts.len)
        json_object_set_new(o, "thoughts", jx_string_lossy(thoughts.data));
    buf_free(&thoughts);
}

static void cache_store(struct run *r, struct task *t, const json_t *o);

void task_complete_at(struct run *r, struct task *t, const char *file, int line,
                      const struct interaction *it, const char *text, const json_t *output)
{
    const struct job *j = t->job;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(
        o, "status",
        json_string(!strcmp(it->status, "requires_action") || !strcmp(it->status, "idle")
                        ? it->status
                        : "completed"));
    if (it->id)
        json_object_set_new(o, "interaction_id", json_string(it->id));
    const char *model = it->model ? it->model : jx_str(j->req, "model");
    if (!model)
        model = jx_str(j->req, "agent");
    if (model)
        json_object_set_new(o, "model", json_string(model));
    if (output)
        json_object_set(o, "output", (json_t *)output);
    json_object_set_new(o, "text", json_string(text));
    if (t->files && json_array_size(t->files))
        json_object_set(o, "files", t->files);
    add_outputs(o, it->outputs, t->files);
    json_object_set_new(o, "usage", usage_json(&t->tok));
    /* what its answered requests cost; null when one of them cannot be priced */
    json_object_set_new(o, "cost_usd", t->cost_known ? usd_json(t->cost_usd) : json_null());
    json_object_set_new(o, "service_tier", json_string(tier_name(t->tier_billed)));
    json_object_set_new(o, "attempts", json_integer(t->attempts));
    if (t->total_attempts != t->attempts)
        json_object_set_new(o, "requests", json_integer(t->total_attempts));
    if (t->reasks)
        json_object_set_new(o, "reasks", json_integer(t->reasks));
    if (t->tool_turns)
        json_object_set_new(o, "tool_turns", json_integer(t->tool_turns));
    if (t->cont.n)
        json_object_set_new(o, "continuations", json_integer(t->cont.n));
    if (t->tool_log)
        json_object_set(o, "tool_calls", t->tool_log);
    if (t->steps_log)
        json_object_set(o, "steps", t->steps_log);
    json_object_set_new(o, "latency_ms", json_integer((json_int_t)(t->last_latency_us / 1000)));
    if (t->ttft_us)
        json_object_set_new(o, "ttft_ms", json_integer((json_int_t)(t->ttft_us / 1000)));
    if (t->synthetic)
        json_object_set_new(o, "synthetic", json_true());
    add_finished_at(o);
    /* counted only once on disk: after a failed write the next run does it
     * again; a line with images waits for them (sink_batch_close) */
    struct sink_batch *b = t->img_batch;
    t->img_batch = NULL;
    if ((b ? sink_batch_close(&r->sink, b, SINK_RESULTS, o) : sink_line(&r->sink, SINK_RESULTS, o)) ==
        0) {
        if (t->cacheable && r->cfg->cache)
            cache_store(r, t, o);
        r->c.completed++;
        r->c.ended_sent += t->total_attempts > 0;
        if (t->reasks)
            r->c.reask_ok++;
    } else {
        r->c.unwritten++;
    }
    json_decref(o);
    /* done now matters only to errors.jsonl's compaction at the end, so only
     * ids with an error line of an earlier run are added: a fresh run of a
     * million jobs keeps one digest set (seen), not two */
    if (dset_has(&r->res.failed, j->digest))
        dset_add(&r->res.done, j->digest);
    task_end(r, t, file, line);
}

/* A failure that is the job's own: one errors.jsonl line, the run goes on.
 * Failed ids are not "done": they run again on resume. */
void task_fail_at(struct run *r, struct task *t, const char *file, int line, long code,
                  const char *status, const char *msg, json_t *extra)
{
    const struct job *j = t->job;
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "status", json_string("failed"));
    /* lossy: an error page or a cut message may not be UTF-8, and json_pack
     * would then drop the whole "error" object */
    json_object_set_new(o, "error",
                        json_pack("{s:I,s:o,s:o}", "code", (json_int_t)code, "status",
                                  jx_string_lossy(status), "message", jx_string_lossy(msg)));
    json_object_set_new(o, "attempts", json_integer(t->attempts));
    json_object_set_new(o, "requests", json_integer(t->total_attempts));
    if (t->tok.total || t->cost_usd > 0 || !t->cost_known)
        json_object_set_new(o, "cost_usd", t->cost_known ? usd_json(t->cost_usd) : json_null());
    if (t->iid)
        json_object_set_new(o, "interaction_id", json_string(t->iid));
    if (extra)
        json_object_update(o, extra);
    /* what was answered (and billed) but not accepted keeps its text */
    char *text = t->cont.outputs ? resp_text(t->cont.outputs) : NULL;
    if (text && *text)
        json_object_set_new(o, "partial",
                            json_pack("{s:o,s:i,s:s?}", "text", jx_string_lossy(text),
                                      "continuations", t->cont.n, "continuation_token",
                                      t->cont.token));
    free(text);
    add_source(o, j);
    add_finished_at(o);
    if (sink_line(&r->sink, SINK_ERRORS, o) == 0) {
        r->c.failed++;
        r->c.ended_sent += t->total_attempts > 0;
    } else {
        r->c.unwritten++;
    }
    json_decref(o);
    if (t->iid && t->background)
        jrn_iid_done(&r->sink, t->id_json); /* a resumed run creates it anew */
    task_end(r, t, file, line);
}

int task_serve_cached(struct run *r, struct task *t, struct cache_hit *h)
{
    const struct job *j = t->job;
    json_t *out = json_object_get(h->result, "output");
    /* a hit is checked against the schema of today: one that no longer
     * validates is asked again */
    if (j->schema && (!out || schema_validate(j->schema, out, NULL, 1) != 1))
        return 0;
    json_t *files = json_array();
    for (size_t k = 0; k < h->nimages; k++) {
        char *rel = NULL;
        if (sink_image(&r->sink, j->id, (int)k, h->images[k].data, h->images[k].size,
                       h->images[k].ext, &rel) == 0)
            json_array_append_new(files, json_string(rel));
        free(rel);
    }
    json_t *o = cache_hit_result(h, j->id, json_array_size(files) ? files : NULL);
    json_decref(files);
    if (!o)
        return 0;
    json_object_set_new(o, "latency_ms", json_integer(0));
    add_finished_at(o);
    if (sink_line(&r->sink, SINK_RESULTS, o) == 0) {
        r->c.completed++;
        r->c.cached++;
        if (isnan(h->cost_usd))
            r->cache_saved_unknown = 1;
        else
            r->cache_saved_usd += h->cost_usd;
    } else {
        r->c.unwritten++;
    }
    json_decref(o);
    if (dset_has(&r->res.failed, j->digest))
        dset_add(&r->res.done, j->digest);
    task_end(r, t, __FILE__, __LINE__);
    return 1;
}

/* The answer is stored for later runs (--cache): its images must be on disk
 * first, since the cache reads them from OUTDIR. */
static void cache_store(struct run *r, struct task *t, const json_t *o)
{
    struct cache *c = r->cfg->cache;
    size_t n = json_array_size(t->files);
    char **paths = n ? calloc(n, sizeof *paths) : NULL;
    if (n && (!paths || sink_images_drain(&r->sink))) {
        free(paths);
        return;
    }
    for (size_t k = 0; k < n; k++)
        paths[k] = fsx_join(r->cfg->out_dir, json_string_value(json_array_get(t->files, k)));
    struct gb_err e = {0};
    if (cache_put(c, t->cache_key, o, (const char *const *)paths, n,
                  t->cost_known ? t->cost_usd : NAN, &e) < 0 &&
        !r->cfg->quiet)
        log_warn("the answer cache failed, the run goes on without it: %s", e.msg);
    for (size_t k = 0; k < n; k++)
        free(paths[k]);
    free(paths);
}

void task_defer_at(struct run *r, struct task *t, const char *file, int line)
{
    if (!t->joined)
        r->c.in_batches++; /* a re-ask round is the same job again */
    task_end(r, t, file, line);
}

void task_interrupt_at(struct run *r, struct task *t, const char *file, int line)
{
    jrn_interrupted(&r->sink, t->id_json);
    r->c.interrupted++;
    task_end(r, t, file, line);
}

/* Whether an input's job is skipped (it was, with the reason counted) or
 * runs now (0). Every id of this shard is marked seen, done or not, so a
 * repeated line is reported on every run until the manifest is fixed. */
int job_skipped(struct run *r, struct job *j)
{
    if (r->cfg->shard_n &&
        j->digest % (uint64_t)r->cfg->shard_n != (uint64_t)(r->cfg->shard_k - 1))
        job_skip(r, j, SKIP_SHARD);
    else if (dset_add(&r->seen, j->digest) == 0)
        job_skip(r, j, SKIP_DUPLICATE);
    else if (dset_has(&r->res.done, j->digest))
        job_skip(r, j, SKIP_DONE);
    else
        return 0;
    return 1;
}

void job_skip(struct run *r, struct job *j, enum skip_why why)
{
    switch (why) {
    case SKIP_SHARD:
        r->c.shard_skipped++;
        break;
    case SKIP_DONE:
        r->c.skipped_done++;
        break;
    case SKIP_IN_BATCH:
        r->c.in_batches_before++; /* its line comes when its part is joined */
        break;
    case SKIP_DUPLICATE: {
        /* the first line with this id runs; this one is an error line of its
         * own (status DUPLICATE_ID, with its input and line), which resume
         * never retries and compaction keeps (jrn_is_duplicate_line) */
        r->c.duplicates++;
        char msg[1200];
        if (j->entry)
            snprintf(msg, sizeof msg, "%s: %.200s: duplicate id '%.200s': an earlier entry has "
                     "it; ids must be unique within a run, so this entry was not run (--id-prefix "
                     "sets inputs apart)", j->source, j->entry, j->id);
        else
            snprintf(msg, sizeof msg, "%s:%ld: duplicate id '%.200s': an earlier line has it; "
                     "ids must be unique within a run, so this line was not run", j->source,
                     j->line, j->id);
        if (!r->cfg->quiet)
            log_error("%s", msg);
        if (json_array_size(r->dups) < 1000) {
            json_t *d = json_pack("{s:s,s:s}", "id", j->id, "input", j->source);
            add_source(d, j);
            json_array_append_new(r->dups, d);
        }
        json_t *o = json_pack("{s:s,s:s,s:{s:i,s:s,s:o},s:i,s:i}", "id", j->id, "status",
                              "failed", "error", "code", 0, "status", "DUPLICATE_ID", "message",
                              jx_string_lossy(msg), "attempts", 0, "requests", 0);
        if (o) {
            add_source(o, j);
            sink_line(&r->sink, SINK_ERRORS, o);
        }
        json_decref(o);
        break;
    }
    }
    job_free(j);
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

/* ---- the inputs ----------------------------------------------------------------- */

/* --id-prefix for one input: 'auto' is its base name without the
 * extensions of manifests, archives and compressors, then '/'. New string,
 * or NULL for none. */
static char *input_prefix(const char *opt, const char *input)
{
    if (!opt || !strcmp(opt, "none") || !*opt)
        return NULL;
    if (strcmp(opt, "auto"))
        return strdup(opt);
    if (!strcmp(input, "-"))
        return strdup("stdin/");
    size_t n = strlen(input);
    while (n > 1 && input[n - 1] == '/')
        n--;
    const char *b = input + n;
    while (b > input && b[-1] != '/')
        b--;
    static const char *const exts[] = {".gz", ".bz2", ".xz", ".zst", ".lz4", ".tgz", ".tar",
                                       ".zip", ".7z", ".cpio", ".jsonl", ".json", ".ndjson"};
    size_t len = (size_t)(input + n - b);
    for (int again = 1; again;) {
        again = 0;
        for (size_t i = 0; i < sizeof exts / sizeof exts[0]; i++) {
            size_t el = strlen(exts[i]);
            if (len > el && !strncasecmp(b + len - el, exts[i], el)) {
                len -= el;
                again = 1;
            }
        }
    }
    char *p = malloc(len + 2);
    if (p)
        snprintf(p, len + 2, "%.*s/", (int)len, b);
    return p;
}

static uint64_t id_digest(const struct run *r, const char *id)
{
    if (!r->id_prefix)
        return hash64(id, strlen(id), 0);
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    buf_printf(&b, "%s%s", r->id_prefix, id);
    uint64_t d = hash64(b.data ? b.data : "", b.len, 0);
    buf_free(&b);
    return d;
}

/* The job's id with this input's prefix before it. 0, or GB_ENOMEM. */
static int apply_prefix(const struct run *r, struct job *j)
{
    if (!r->id_prefix)
        return 0;
    size_t n = strlen(r->id_prefix) + strlen(j->id) + 1;
    char *id = malloc(n);
    if (!id)
        return GB_ENOMEM;
    snprintf(id, n, "%s%s", r->id_prefix, j->id);
    free(j->id);
    j->id = id;
    j->digest = hash64(id, strlen(id), 0);
    return 0;
}

/* Archive entries not worth spooling: another shard's, or done on resume.
 * Counted here as the loop would count them. */
static int skip_entry(void *ctx, const char *id)
{
    struct run *r = ctx;
    uint64_t d = id_digest(r, id);
    if (r->online_pass) { /* the inputs read again: only what the online list holds */
        uint32_t at = dmap_get(&r->online_at, d);
        return !at || at == RUN_ONLINE_TAKEN;
    }
    if (r->cfg->shard_n && d % (uint64_t)r->cfg->shard_n != (uint64_t)(r->cfg->shard_k - 1)) {
        r->c.lines++;
        r->c.shard_skipped++;
        return 1;
    }
    /* a repeated entry is read, so that the loop reports it as a duplicate */
    if (!r->cfg->dry_run && !dset_has(&r->seen, d) && dset_has(&r->res.done, d)) {
        dset_add(&r->seen, d);
        r->c.lines++;
        r->c.skipped_done++;
        return 1;
    }
    return 0;
}

void run_inputs_stop(struct run *r)
{
    if (r->in)
        input_close(r->in);
    r->in = NULL;
    r->in_idx = r->cfg->ninputs;
    r->inputs_done = 1;
}

void run_inputs_rewind(struct run *r)
{
    run_inputs_stop(r);
    r->in_idx = 0;
    r->inputs_done = 0;
}

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
            free(r->id_prefix);
            r->id_prefix = NULL;
            if (input_open(r->cfg->inputs[r->in_idx], &ao, &r->in, &e)) {
                /* checked before the run started; vanished or unreadable since */
                log_err(&e);
                r->input_errors++;
                r->in_idx++;
                continue;
            }
            /* a media file's id is its path already: 'auto' adds nothing to it */
            const char *opt = r->cfg->id_prefix;
            if (r->in->kind != INPUT_MEDIA || !opt || strcmp(opt, "auto"))
                r->id_prefix = input_prefix(opt, r->cfg->inputs[r->in_idx]);
        }
        struct job *j = input_next(r->in, &r->jctx);
        if (j && apply_prefix(r, j)) {
            job_free(j);
            j = NULL; /* out of memory: the input ends here */
        }
        if (j) {
            r->c.lines += !r->online_pass; /* read again: counted the first time */
            return j;
        }
        json_t *sk = input_skipped(r->in);
        if (sk && !r->online_pass)
            json_array_extend(r->skipped, sk);
        if (!r->online_pass)
            skips_add_counts(&r->skipc, input_skips(r->in));
        input_close(r->in);
        r->in = NULL;
        r->in_idx++;
    }
    return NULL;
}

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
    fsx_random_hex(r->jctx.nonce, 16);
    if (!r->skipped)
        r->skipped = json_array();
    if (!r->spool_dir)
        r->spool_dir = fsx_join(cfg->out_dir ? cfg->out_dir : "out", ".spool");
    return r->jctx.schemas && r->skipped && r->spool_dir ? 0 : GB_ENOMEM;
}
