/* run.c: the batch engine. Owns the run: inputs are read a job at a time (a
 * window bounded by concurrency, never the whole manifest), each job walks
 * its operations (create, poll, re-ask) through xfer.c, retry.c decides
 * what an outcome means, and every job ends exactly once in the sink:
 * results.jsonl, errors.jsonl, or "interrupted" in the journal (it runs again
 * on resume). The loop fits on a screen: feed, start, poll, drain. */
#include "run.h"
#include "b64.h"
#include "cmd.h"
#include "config.h"
#include "fsx.h"
#include "hash64.h"
#include "hist.h"
#include "job.h"
#include "journal.h"
#include "jsonx.h"
#include "log.h"
#include "input.h"
#include "manifest.h"
#include "pipeline.h"
#include "ratelimit.h"
#include "request.h"
#include "response.h"
#include "retry.h"
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

volatile int run_signals;

enum phase { PH_CREATE = 1, PH_POLL, PH_HASH, PH_UPLOAD, PH_UPLOAD_WAIT, PH_TOOLS, PH_CANCEL,
             PH_DONE };
enum op_kind { OPK_CREATE = 1, OPK_POLL, OPK_CANCEL };

struct counts {
    long long lines, jobs, completed, failed, skipped_done, duplicates, shard_skipped;
    long long attempts, retries, in_doubt, interrupted;
    long long reasks, reask_ok, schema_failed;
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
    struct uploads up;           /* Files API uploads, one per content digest */
    struct toolbox tb;           /* programs answering function tools */
    struct job *hashing;         /* jobs digesting a media file (linked by next) */
    unsigned char *hash_buf;
    char *base_url;              /* endpoint + "/" + version */
    /* inputs */
    int in_idx;
    struct input *in;            /* the input being read */
    json_t *skipped;             /* archive entries skipped, with reasons */
    int inputs_done;
    long long total_known;       /* -1: unknown (stdin) */
    /* jobs */
    struct job *ready_head, *ready_tail;
    struct job **heap;
    size_t nheap, capheap;
    struct job *all;             /* every active job */
    size_t active, inflight, window;
    /* state */
    struct counts c;
    json_t *dups;                /* duplicate id lines (first 1000) */
    char *spool_dir;             /* OUTDIR/.spool: archive entries being sent */
    long input_errors;
    struct hist lat;
    struct hist ttft;            /* time to first token of streamed jobs */
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

static void abort_run(struct run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static uint64_t rnd(struct run *r)
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

static void ready_push(struct run *r, struct job *j)
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

static json_t *usage_json(const struct job *j)
{
    json_t *u = json_pack("{s:I,s:I,s:I}", "total_input_tokens", (json_int_t)j->tok_in,
                          "total_output_tokens", (json_int_t)j->tok_out, "total_tokens",
                          (json_int_t)j->tok_total);
    if (j->tok_thought)
        json_object_set_new(u, "total_thought_tokens", json_integer(j->tok_thought));
    return u;
}

static void free_tcalls(struct job *j);

/* The job leaves the run: stop its tool programs, free it. */
static void release(struct run *r, struct job *j)
{
    if (j->tools_pending)
        toolbox_cancel(&r->tb, j);
    free_tcalls(j);
    all_del(r, j);
    job_free(j);
}

static void finish_job(struct run *r, struct job *j)
{
    j->phase = PH_DONE;
    dset_add(&r->res.done, j->digest);
    release(r, j);
}

/* A failure that is the job's own: one errors.jsonl line, the run goes on. */
static void record_error(struct run *r, struct job *j, long code, const char *status,
                         const char *msg, json_t *extra)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "status", json_string("failed"));
    /* lossy: an error page or a cut message may not be UTF-8, and json_pack
     * would then drop the whole "error" object */
    json_object_set_new(o, "error", json_pack("{s:I,s:o,s:o}", "code", (json_int_t)code,
                                              "status", jx_string_lossy(status), "message",
                                              jx_string_lossy(msg)));
    json_object_set_new(o, "attempts", json_integer(j->attempts));
    json_object_set_new(o, "requests", json_integer(j->total_attempts));
    if (j->iid)
        json_object_set_new(o, "interaction_id", json_string(j->iid));
    if (extra)
        json_object_update(o, extra);
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
        snprintf(msg, sizeof msg, "%s: %s: %s", j->source, j->entry ? j->entry : "", j->build_err.msg);
    if (!r->cfg->quiet)
        log_error("%s", msg);
    const char *status = j->build_err.code == GB_ENOENT ? "NOT_FOUND"
                         : j->build_err.code == GB_EUNSUPPORTED ? "UNSUPPORTED_MEDIA"
                                                                : "INVALID_INPUT";
    record_error(r, j, 0, status, msg, NULL); /* code 0: nothing was sent */
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

/* A streamed create: SSE events are parsed as they arrive and assembled into
 * the Interaction a plain call returns. */
struct stream_ctx {
    struct sse parser;
    struct sse_asm as;
    int bad;
};

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

static void stream_free(struct op *op)
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
        record_error(r, j, 0, "LOCAL_ERROR", "out of memory while building an upload", NULL);
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
                   : j->background     ? r->cfg->bg_deadline_s
                                       : 0;
        j->deadline_ms = d > 0 ? now + (uint64_t)(d * 1000) : 0;
    }
    if (j->deadline_ms && now >= j->deadline_ms && j->phase != PH_CANCEL) {
        if (j->phase == PH_POLL && j->iid) {
            j->phase = PH_CANCEL; /* stop it spending, then fail the job */
        } else {
            record_error(r, j, 0, "DEADLINE_EXCEEDED", "the job did not finish within its "
                         "deadline (--deadline)", NULL);
            return GB_ESTATE;
        }
    }
    int kind = j->phase == PH_POLL ? OPK_POLL : j->phase == PH_CANCEL ? OPK_CANCEL : OPK_CREATE;
    struct op *op = op_new(&r->xf, kind, j, kind == OPK_POLL ? "GET" : "POST",
                           url_for(r, j, kind));
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
        jrn_send(&r->sink, j->id_json, j->total_attempts, j->reasks ? "reask" : "create");
    if (xfer_add(&r->xf, op))
        goto oom;
    j->op = op;
    r->inflight++;
    return 0;
oom:
    stream_free(op);
    op_free(op);
    record_error(r, j, 500, "INTERNAL", "out of memory while building the request", NULL);
    return GB_ENOMEM;
}

static void schedule(struct run *r, struct job *j, uint64_t delay_ms)
{
    if (heap_push(r, j, now_ms() + delay_ms))
        record_error(r, j, 500, "INTERNAL", "out of memory", NULL);
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

/* ---- media through the Files API --------------------------------------------- */

enum { HASH_CHUNK = 4 << 20, HASH_BUDGET = 16 << 20 };

static void set_uri(struct job *j, size_t k, const char *uri)
{
    struct media *m = &j->media[k];
    json_object_del(m->part, "data");
    json_object_set_new(m->part, "uri", json_string(uri));
    free(m->uri);
    m->uri = strdup(uri);
}

/* Move a job to its next media that must be uploaded, or on to create. */
static void advance_media(struct run *r, struct job *j)
{
    while ((size_t)j->upload_k < j->nmedia &&
           !(j->media[j->upload_k].upload && !j->media[j->upload_k].uri))
        j->upload_k++;
    if ((size_t)j->upload_k >= j->nmedia) {
        j->phase = PH_CREATE;
        j->attempts = 0;
        ready_push(r, j);
        return;
    }
    const struct media *m = &j->media[j->upload_k];
    j->hash_fd = open(m->path, O_RDONLY | O_CLOEXEC);
    struct sha256 *h = calloc(1, sizeof *h);
    if (j->hash_fd < 0 || !h || sha256_init(h)) {
        free(h);
        char msg[600];
        snprintf(msg, sizeof msg, "cannot read '%.500s': %s", m->path, strerror(errno));
        record_error(r, j, 0, "LOCAL_ERROR", msg, NULL);
        return;
    }
    j->hash_ctx = h;
    j->hash_off = 0;
    j->phase = PH_HASH;
    j->next = r->hashing;
    r->hashing = j;
}

static void on_hashed(struct run *r, struct job *j, const uint8_t sha[32])
{
    const struct media *m = &j->media[j->upload_k];
    struct upl *rec = uploads_find(&r->up, sha);
    if (!rec) {
        rec = uploads_add(&r->up, sha, m->size, m->mime, m->path);
        if (!rec) {
            record_error(r, j, 0, "LOCAL_ERROR", "out of memory", NULL);
            return;
        }
        rec->owner = j;
        j->upl = rec;
        j->phase = PH_UPLOAD;
        j->attempts = 0;
        ready_push(r, j);
    } else if (rec->state == UPL_ACTIVE) {
        r->up.reused++;
        set_uri(j, (size_t)j->upload_k, rec->uri);
        j->upload_k++;
        advance_media(r, j);
    } else if (rec->state == UPL_FAILED) {
        record_error(r, j, 0, "UPLOAD_FAILED", rec->error, NULL);
    } else {
        r->up.reused++;
        j->phase = PH_UPLOAD_WAIT;
        j->next = rec->waiters;
        rec->waiters = j;
    }
}

/* Digest media for upload dedup a slice at a time, so a 2 GiB video does
 * not stall the transfer loop. */
static void hash_step(struct run *r)
{
    size_t budget = HASH_BUDGET;
    struct job **pp = &r->hashing;
    while (*pp && budget) {
        struct job *j = *pp;
        ssize_t n = pread(j->hash_fd, r->hash_buf, HASH_CHUNK, (off_t)j->hash_off);
        if (n > 0) {
            sha256_update(j->hash_ctx, r->hash_buf, (size_t)n);
            j->hash_off += (uint64_t)n;
            budget = budget > (size_t)n ? budget - (size_t)n : 0;
            if (j->hash_off < j->media[j->upload_k].size) {
                pp = &j->next;
                continue;
            }
        }
        *pp = j->next;
        j->next = NULL;
        close(j->hash_fd);
        j->hash_fd = -1;
        uint8_t sha[32];
        int rc = sha256_final(j->hash_ctx, sha);
        free(j->hash_ctx);
        j->hash_ctx = NULL;
        if (n < 0 || rc || j->hash_off != j->media[j->upload_k].size) {
            record_error(r, j, 0, "LOCAL_ERROR", "a media file changed or could not be read "
                         "while it was being prepared for upload", NULL);
            continue;
        }
        on_hashed(r, j, sha);
    }
}

static void on_upload_done(struct run *r, struct job *j, struct op *op)
{
    struct upl *rec = j->upl;
    long delay = 0;
    enum upl_next next = upl_done(&r->up, rec, op, &r->policy, rnd(r), &delay);
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    switch (next) {
    case UPL_GO:
        ready_push(r, j);
        break;
    case UPL_LATER:
        schedule(r, j, (uint64_t)delay);
        break;
    case UPL_DONE: {
        struct job *w = rec->waiters;
        rec->waiters = NULL;
        rec->owner = NULL;
        j->upl = NULL;
        set_uri(j, (size_t)j->upload_k, rec->uri);
        j->upload_k++;
        advance_media(r, j);
        while (w) {
            struct job *nx = w->next;
            w->next = NULL;
            set_uri(w, (size_t)w->upload_k, rec->uri);
            w->upload_k++;
            advance_media(r, w);
            w = nx;
        }
        break;
    }
    case UPL_FAIL: {
        struct job *w = rec->waiters;
        rec->waiters = NULL;
        rec->owner = NULL;
        j->upl = NULL;
        record_error(r, j, op->http, "UPLOAD_FAILED", rec->error, NULL);
        while (w) {
            struct job *nx = w->next;
            record_error(r, w, op->http, "UPLOAD_FAILED", rec->error, NULL);
            w = nx;
        }
        break;
    }
    case UPL_ABORT:
        abort_run(r, "the Files API refused the upload: %s", rec->error);
        ready_push(r, j);
        break;
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
        record_error(r, j, 500, "INTERNAL", "out of memory", NULL);
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
        ready_push(r, j);
        return;
    }
    advance_media(r, j);
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
static struct job *next_job(struct run *r)
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
        struct job *j = next_job(r);
        if (!j)
            break;
        if (r->cfg->shard_n && j->digest % (uint64_t)r->cfg->shard_n !=
                                   (uint64_t)(r->cfg->shard_k - 1)) {
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
                          "unique within a run, so this line was not run", j->source, j->line,
                          j->id);
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

/* ---- outcomes ------------------------------------------------------------------ */

static enum outcome_class classify_cc(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return OC_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return OC_TLS;
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_OUT_OF_MEMORY:
        return OC_LOCAL;
    default:
        return OC_NET;
    }
}

static const char *ext_for(const char *mime)
{
    if (!mime)
        return "bin";
    if (!strcmp(mime, "image/png"))
        return "png";
    if (!strcmp(mime, "image/jpeg"))
        return "jpg";
    if (!strcmp(mime, "image/webp"))
        return "webp";
    if (!strcmp(mime, "image/gif"))
        return "gif";
    return "bin";
}

struct decoded {
    unsigned char *data;
    size_t n;
    const char *ext;
};

/* Decode every inline image of outputs; -1 if one is not valid base64. */
static int decode_images(const json_t *outputs, struct decoded **out, size_t *nout)
{
    size_t i, n = 0;
    json_t *item;
    *out = NULL;
    *nout = 0;
    json_array_foreach(outputs, i, item) {
        const char *t = jx_str(item, "type");
        json_t *d = json_object_get(item, "data");
        if (!t || strcmp(t, "image") || !json_is_string(d))
            continue;
        struct decoded *nv = realloc(*out, (n + 1) * sizeof *nv);
        if (!nv)
            return -1;
        *out = nv;
        size_t len = json_string_length(d);
        unsigned char *buf = malloc(b64_dec_max(len));
        long long got = buf ? b64_decode(json_string_value(d), len, buf) : -1;
        if (got <= 0) {
            free(buf);
            *nout = n;
            return -1;
        }
        nv[n].data = buf;
        nv[n].n = (size_t)got;
        nv[n].ext = ext_for(jx_str(item, "mime_type"));
        n++;
    }
    *nout = n;
    return 0;
}

static void free_decoded(struct decoded *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].data);
    free(d);
}

static void add_usage(struct run *r, struct job *j, const struct interaction *it)
{
    if (!it->has_usage)
        return;
    j->tok_in += it->usage.input;
    j->tok_out += it->usage.output;
    j->tok_total += it->usage.total;
    j->tok_thought += it->usage.thought;
    r->c.tok_in += it->usage.input;
    r->c.tok_out += it->usage.output;
    r->c.tok_total += it->usage.total;
    r->c.tok_thought += it->usage.thought;
    rl_correct(&r->rl, j->est_tokens, (long)it->usage.input);
}

static void write_result(struct run *r, struct job *j, const struct interaction *it,
                         const char *text, json_t *output, json_t *files)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(o, "status", json_string(strcmp(it->status, "requires_action")
                                                     ? "completed"
                                                     : "requires_action"));
    if (it->id)
        json_object_set_new(o, "interaction_id", json_string(it->id));
    const char *model = it->model ? it->model : jx_str(j->req, "model");
    if (!model)
        model = jx_str(j->req, "agent");
    if (model)
        json_object_set_new(o, "model", json_string(model));
    if (output)
        json_object_set(o, "output", output);
    json_object_set_new(o, "text", json_string(text));
    if (files && json_array_size(files))
        json_object_set(o, "files", files);
    /* items other than text (tool calls and results, function calls, images
     * by file name) are kept; inline image data is not repeated */
    json_t *items = json_array();
    size_t i, k = 0;
    json_t *item;
    json_array_foreach(it->outputs, i, item) {
        const char *t = jx_str(item, "type");
        if (!t || !strcmp(t, "text") || !strcmp(t, "thought"))
            continue;
        json_t *c = json_copy(item);
        if (!strcmp(t, "image") && json_object_get(c, "data")) {
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
    json_object_set_new(o, "usage", usage_json(j));
    json_object_set_new(o, "attempts", json_integer(j->attempts));
    if (j->total_attempts != j->attempts)
        json_object_set_new(o, "requests", json_integer(j->total_attempts));
    if (j->reasks)
        json_object_set_new(o, "reasks", json_integer(j->reasks));
    if (j->tool_turns)
        json_object_set_new(o, "tool_turns", json_integer(j->tool_turns));
    if (j->tool_log)
        json_object_set(o, "tool_calls", j->tool_log);
    if (j->steps_log)
        json_object_set(o, "steps", j->steps_log);
    json_object_set_new(o, "latency_ms", json_integer((json_int_t)(j->last_latency_us / 1000)));
    if (j->ttft_us)
        json_object_set_new(o, "ttft_ms", json_integer((json_int_t)(j->ttft_us / 1000)));
    sink_line(&r->sink, SINK_RESULTS, o);
    json_decref(o);
    r->c.completed++;
    if (j->reasks)
        r->c.reask_ok++;
    finish_job(r, j);
}

/* ---- follow-ups: re-asks, tool results, next steps ---------------------------- */

static int is_content_type(const char *t)
{
    return t && (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
                 !strcmp(t, "video") || !strcmp(t, "document"));
}

/* Content as a list of parts ("hi" -> [{"type":"text","text":"hi"}]). New. */
static json_t *parts_of(const json_t *v)
{
    if (json_is_array(v))
        return json_deep_copy(v);
    json_t *a = json_array();
    if (json_is_string(v))
        json_array_append_new(a, json_pack("{s:s,s:O}", "type", "text", "text", v));
    else if (json_is_object(v))
        json_array_append_new(a, json_deep_copy(v));
    return a;
}

/* The conversation a request's input starts: turns/steps as given, else one
 * user turn. New. */
static json_t *conv_start(const json_t *input, int g3)
{
    json_t *first = json_is_array(input) ? json_array_get(input, 0) : NULL;
    const char *t = first ? jx_str(first, "type") : NULL;
    if (first && (json_object_get(first, "role") ||
                  (t && (!strcmp(t, "user_input") || !strcmp(t, "model_output")))))
        return json_deep_copy(input);
    if (g3)
        return json_pack("[{s:s,s:o}]", "type", "user_input", "content", parts_of(input));
    return json_pack("[{s:s,s:O}]", "role", "user", "content", input);
}

/* Append the model's answer: G1 one model turn; G3 model_output steps for
 * runs of content and a step per tool item. Thoughts are left out. */
static void conv_add_model(json_t *conv, const json_t *outputs, int g3)
{
    size_t i;
    json_t *it;
    if (!g3) {
        json_t *items = json_array();
        json_array_foreach(outputs, i, it) {
            const char *t = jx_str(it, "type");
            if (t && strcmp(t, "thought"))
                json_array_append(items, it);
        }
        json_array_append_new(conv, json_pack("{s:s,s:o}", "role", "model", "content", items));
        return;
    }
    json_t *run = NULL;
    json_array_foreach(outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (!t || !strcmp(t, "thought"))
            continue;
        if (is_content_type(t)) {
            if (!run) {
                run = json_array();
                json_array_append_new(conv, json_pack("{s:s,s:o}", "type", "model_output",
                                                      "content", run));
            }
            json_array_append(run, it);
        } else {
            run = NULL;
            json_array_append(conv, it);
        }
    }
}

/* Append what the user says next: text, parts, or function_result items (G3
 * takes those as steps of their own). */
static void conv_add_user(json_t *conv, const json_t *content, int g3)
{
    json_t *first = json_is_array(content) ? json_array_get(content, 0) : NULL;
    const char *t = first ? jx_str(first, "type") : NULL;
    if (g3 && t && !strcmp(t, "function_result")) {
        json_array_extend(conv, (json_t *)content);
        return;
    }
    if (g3)
        json_array_append_new(conv, json_pack("{s:s,s:o}", "type", "user_input", "content",
                                              parts_of(content)));
    else
        json_array_append_new(conv, json_pack("{s:s,s:O}", "role", "user", "content", content));
}

/* Set the job's next request: base (new reference, or NULL for the current
 * request) continued from the model's outputs with content from the user:
 * by previous_interaction_id when the interaction is stored, else with the
 * whole conversation. */
static void follow_up(struct run *r, struct job *j, json_t *base, const json_t *outputs,
                      const json_t *content)
{
    int g3 = r->jctx.dialect == DIALECT_V1;
    if (!base)
        base = json_deep_copy(j->cur_req ? j->cur_req : j->req);
    if (j->store && j->iid) {
        json_object_set_new(base, "previous_interaction_id", json_string(j->iid));
        json_object_set(base, "input", (json_t *)content);
    } else {
        if (!j->conv)
            j->conv = conv_start(json_object_get(j->req, "input"), g3);
        conv_add_model(j->conv, outputs, g3);
        conv_add_user(j->conv, content, g3);
        json_object_del(base, "previous_interaction_id");
        json_object_set_new(base, "input", json_deep_copy(j->conv));
    }
    /* a follow-up carries no media of ours: the placeholders stay in j->req */
    json_decref(j->cur_req);
    j->cur_req = base;
    j->attempts = 0;
    j->phase = PH_CREATE;
    ready_push(r, j);
}

static json_t *correction(const json_t *errors, const char *parse_error)
{
    struct buf t;
    buf_init(&t, 64 * 1024);
    if (parse_error) {
        buf_printf(&t, "Your previous answer was not valid JSON (%s). ", parse_error);
    } else {
        buf_puts(&t, "Your previous answer does not match the required JSON schema:\n");
        size_t i;
        json_t *e;
        json_array_foreach(errors, i, e) {
            const char *ip = jx_str(e, "instance_path");
            buf_printf(&t, "- at '%s': %s\n", ip && *ip ? ip : "/", jx_str(e, "message"));
        }
    }
    buf_puts(&t, "Reply again with only the corrected JSON, valid against the schema.");
    json_t *v = json_string(t.data ? t.data : "");
    buf_free(&t);
    return v;
}

/* One step of a multi-step pipeline ended: log it, with its answer. */
static void log_step(struct run *r, struct job *j, const struct interaction *it,
                     const char *text, const json_t *output)
{
    if (!r->pipe->steps)
        return;
    if (!j->steps_log)
        j->steps_log = json_array();
    long long in = j->tok_in, out = j->tok_out, tot = j->tok_total;
    size_t i;
    json_t *e;
    json_array_foreach(j->steps_log, i, e) {
        json_t *u = jx_obj(e, "usage");
        long long v;
        if (!jx_int(u, "total_input_tokens", &v))
            in -= v;
        if (!jx_int(u, "total_output_tokens", &v))
            out -= v;
        if (!jx_int(u, "total_tokens", &v))
            tot -= v;
    }
    json_t *st = json_array_get(r->pipe->steps, (size_t)j->step);
    json_t *rec = json_pack("{s:i,s:s?,s:s?,s:s?,s:{s:I,s:I,s:I},s:I}", "step", j->step, "name",
                            jx_str(st, "name"), "interaction_id", it->id, "model",
                            it->model ? it->model : jx_str(j->cur_req ? j->cur_req : j->req,
                                                           "model"),
                            "usage", "total_input_tokens", (json_int_t)in,
                            "total_output_tokens", (json_int_t)out, "total_tokens",
                            (json_int_t)tot, "latency_ms",
                            (json_int_t)(j->last_latency_us / 1000));
    if (output)
        json_object_set(rec, "output", (json_t *)output);
    json_object_set_new(rec, "text", json_string(text));
    json_array_append_new(j->steps_log, rec);
}

/* Move a multi-step job on: render the next step's prompt from the previous
 * answer and continue the conversation. 1 if a next step was started. */
static int next_step(struct run *r, struct job *j, const struct interaction *it,
                     const char *text, const json_t *output)
{
    if (!r->pipe->steps || (size_t)j->step + 1 >= json_array_size(r->pipe->steps))
        return 0;
    log_step(r, j, it, text, output);
    size_t k = (size_t)j->step + 1;
    json_t *base = job_step_base(r->pipe, k);
    const char *tmpl = job_step_prompt(r->pipe, k);
    json_t *ctx = json_pack("{s:{s:s,s:O?,s:s?}}", "prev", "text", text, "output", output,
                            "interaction_id", it->id);
    char *prompt = NULL;
    struct gb_err e = {0};
    int rc = tmpl ? pipe_render(tmpl, j->vars, j->id, ctx, &prompt, &e) : 0;
    json_decref(ctx);
    if (rc) {
        json_decref(base);
        char msg[1200];
        snprintf(msg, sizeof msg, "step %zu: %s", k, e.msg);
        record_error(r, j, 0, "INVALID_INPUT", msg, NULL);
        return 1;
    }
    json_t *content = json_string(prompt ? prompt : "Continue.");
    free(prompt);
    j->step = (int)k;
    /* the new step runs its own model or agent; agents run in the background */
    j->background = jx_bool(base, "background", json_object_get(base, "agent") != NULL);
    if (j->background)
        json_object_set_new(base, "background", json_true());
    if (r->cfg->model && !json_object_get(base, "agent"))
        json_object_set_new(base, "model", json_string(r->cfg->model));
    if (job_shape_request(&r->jctx, j, base, &e)) {
        json_decref(base);
        json_decref(content);
        char msg[1200];
        snprintf(msg, sizeof msg, "step %zu: %s", k, e.msg);
        record_error(r, j, 0, "INVALID_INPUT", msg, NULL);
        return 1;
    }
    follow_up(r, j, base, it->outputs, content);
    json_decref(content);
    return 1;
}

/* ---- function tools answered by local programs ----------------------------------- */

struct tcall {
    struct run *r;
    struct job *j;
    char *id;
    char *name;
    json_t *args;
};

static void free_tcalls(struct job *j)
{
    struct tcall *tc = j->tcalls;
    for (int i = 0; i < j->ntcalls; i++) {
        free(tc[i].id);
        free(tc[i].name);
        json_decref(tc[i].args);
    }
    free(tc);
    j->tcalls = NULL;
    j->ntcalls = 0;
}

/* Every function call has a program: run them (1), else leave them (0). */
static int start_tools(struct run *r, struct job *j, const json_t *outputs)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach(outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (t && !strcmp(t, "function_call")) {
            if (!pipe_tool(r->pipe, jx_str(it, "name")))
                return 0; /* recorded in the result as it is */
            n++;
        }
    }
    if (!n)
        return 0;
    if (j->tool_turns >= r->cfg->max_tool_turns) {
        char msg[200];
        snprintf(msg, sizeof msg, "the model still asked for tools after %d tool turns "
                 "(max_tool_turns)", j->tool_turns);
        record_error(r, j, 0, "TOOL_TURNS_EXCEEDED", msg, NULL);
        return 1;
    }
    free_tcalls(j);
    struct tcall *tc = calloc(n, sizeof *tc);
    if (!tc) {
        record_error(r, j, 0, "LOCAL_ERROR", "out of memory", NULL);
        return 1;
    }
    j->tcalls = tc;
    j->ntcalls = (int)n;
    json_decref(j->last_outputs);
    j->last_outputs = json_incref((json_t *)outputs);
    json_decref(j->tool_results);
    j->tool_results = json_array();
    free(j->tool_error);
    j->tool_error = NULL;
    j->tools_pending = (int)n;
    j->phase = PH_TOOLS;
    size_t k = 0;
    json_array_foreach(outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (!t || strcmp(t, "function_call"))
            continue;
        const struct pipe_tool *pt = pipe_tool(r->pipe, jx_str(it, "name"));
        json_t *args = json_object_get(it, "arguments");
        tc[k] = (struct tcall){r, j, strdup(jx_str(it, "id") ? jx_str(it, "id") : ""),
                               strdup(jx_str(it, "name")), json_incref(args)};
        char *in = json_dumps(args ? args : json_object(), JSON_COMPACT | JSON_ENCODE_ANY);
        r->c.tool_calls++;
        if (!in || toolbox_call(&r->tb, pt->argv, in, strlen(in), pt->timeout_ms, &tc[k])) {
            /* counted as a failed call so the turn still completes */
            free(in);
            j->tools_pending--;
            if (!j->tool_error)
                j->tool_error = strdup("out of memory starting a tool program");
        } else {
            free(in);
        }
        k++;
    }
    if (j->tools_pending == 0) {
        record_error(r, j, 0, "TOOL_FAILED", j->tool_error ? j->tool_error : "tool failed", NULL);
    }
    return 1;
}

static void on_tool_done(void *ctx, void *user, int ok, const char *out, size_t n,
                         const char *why)
{
    struct run *r = ctx;
    struct tcall *tc = user;
    struct job *j = tc->j;
    j->tools_pending--;
    if (!j->tool_log)
        j->tool_log = json_array();
    json_t *entry = json_pack("{s:s,s:O?,s:i}", "name", tc->name, "arguments", tc->args, "turn",
                              j->tool_turns + 1);
    json_array_append_new(j->tool_log, entry);
    if (!ok) {
        json_object_set_new(entry, "error", json_string(why));
        r->c.tool_failures++;
        if (!j->tool_error) {
            char msg[1024];
            snprintf(msg, sizeof msg, "function tool '%.100s': %.800s", tc->name, why);
            j->tool_error = strdup(msg);
        }
    } else {
        /* JSON from the program is passed as JSON; anything else as text */
        json_t *v = json_loadb(out, n, JSON_DECODE_ANY, NULL);
        if (!v || !(json_is_object(v) || json_is_array(v))) {
            json_decref(v);
            size_t m = n;
            while (m && (out[m - 1] == '\n' || out[m - 1] == '\r'))
                m--;
            v = json_stringn_nocheck(out, m);
            if (!json_string_value(v) || !json_stringn(out, m)) {
                json_decref(v);
                v = json_string("(the tool printed bytes that are not UTF-8)");
            }
        }
        json_object_set(entry, "result", v);
        json_array_append_new(j->tool_results,
                              json_pack("{s:s,s:s,s:s,s:o}", "type", "function_result", "call_id",
                                        tc->id, "name", tc->name, "result", v));
    }
    if (j->tools_pending > 0)
        return;
    if (j->tool_error) {
        record_error(r, j, 0, "TOOL_FAILED", j->tool_error, NULL);
        return;
    }
    j->tool_turns++;
    json_t *outputs = json_incref(j->last_outputs);
    json_t *results = json_incref(j->tool_results);
    follow_up(r, j, NULL, outputs, results);
    json_decref(outputs);
    json_decref(results);
}

/* A finished interaction (completed or requires_action). Returns -1 when its
 * body turns out to be unusable (bad image data): the caller retries. */
static int on_finished(struct run *r, struct job *j, struct interaction *it)
{
    struct decoded *imgs = NULL;
    size_t nimg = 0;
    if (decode_images(it->outputs, &imgs, &nimg)) {
        free_decoded(imgs, nimg);
        return -1;
    }
    add_usage(r, j, it);
    if (!j->files)
        j->files = json_array();
    for (size_t i = 0; i < nimg; i++) {
        char *rel = NULL;
        int k = (int)json_array_size(j->files);
        if (sink_image(&r->sink, j->id, k, imgs[i].data, imgs[i].n, imgs[i].ext, &rel) == 0)
            json_array_append_new(j->files, json_string(rel));
        free(rel);
    }
    free_decoded(imgs, nimg);
    if (start_tools(r, j, it->outputs))
        return 0;
    char *text = resp_text(it->outputs);
    json_t *output = NULL, *errors = NULL;
    const char *parse_error = NULL;
    json_error_t je;
    if (j->schema && !strcmp(it->status, "completed")) {
        output = json_loads(text ? text : "", JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!output) {
            parse_error = je.text;
            errors = json_pack("[{s:s,s:s,s:s+}]", "instance_path", "", "schema_path", "",
                               "message", "not JSON: ", je.text);
        } else if (schema_validate(j->schema, output, &errors, 20) != 1) {
            json_decref(output);
            output = NULL;
            if (!errors)
                errors = json_pack("[{s:s,s:s,s:s}]", "instance_path", "", "schema_path", "",
                                   "message", "does not match the schema");
        }
        if (!output) {
            if (j->reasks < r->cfg->reask) {
                json_t *fix = correction(errors, parse_error);
                j->reasks++;
                r->c.reasks++;
                follow_up(r, j, NULL, it->outputs, fix);
                json_decref(fix);
            } else {
                r->c.schema_failed++;
                char msg[512];
                snprintf(msg, sizeof msg, "the answer does not match the response_format schema "
                         "after %d re-ask%s", j->reasks, j->reasks == 1 ? "" : "s");
                json_t *extra = json_pack("{s:O,s:s}", "errors", errors, "text", text ? text : "");
                record_error(r, j, 422, "SCHEMA_VIOLATION", msg, extra);
                json_decref(extra);
            }
            json_decref(errors);
            free(text);
            return 0;
        }
    }
    if (!next_step(r, j, it, text ? text : "", output)) {
        log_step(r, j, it, text ? text : "", output);
        write_result(r, j, it, text ? text : "", output, j->files);
    }
    json_decref(output);
    free(text);
    return 0;
}

static void start_polling(struct run *r, struct job *j, int first)
{
    if (first) {
        jrn_iid(&r->sink, j->id_json, j->iid);
        j->poll_wait_s = r->cfg->poll_initial_s;
    }
    j->phase = PH_POLL;
    j->attempts = 0;
    double w = j->poll_wait_s;
    /* +-20% jitter so many agents do not poll in lockstep */
    double jit = w * (0.8 + 0.4 * (double)(rnd(r) % 1000) / 1000.0);
    j->poll_wait_s = w * 1.5 > r->cfg->poll_max_s ? r->cfg->poll_max_s : w * 1.5;
    uint64_t delay = (uint64_t)(jit * 1000), now = now_ms();
    if (j->deadline_ms && now + delay > j->deadline_ms) /* look again at the deadline */
        delay = j->deadline_ms > now ? j->deadline_ms - now : 0;
    schedule(r, j, delay);
}

static void on_interaction(struct run *r, struct job *j, struct interaction *it, int kind)
{
    if (it->id && (!j->iid || strcmp(j->iid, it->id))) {
        free(j->iid);
        j->iid = strdup(it->id);
    }
    const char *st = it->status;
    if (!strcmp(st, "in_progress") || !strcmp(st, "queued")) {
        if (!j->iid) {
            record_error(r, j, 500, "INTERNAL", "an in-progress interaction came back without an "
                         "id, so it cannot be polled", NULL);
            return;
        }
        start_polling(r, j, kind == OPK_CREATE);
        return;
    }
    if (!strcmp(st, "completed") || !strcmp(st, "requires_action")) {
        if (on_finished(r, j, it)) {
            /* unusable body: handled by the caller as a bad body */
            r->c.bad_bodies++;
        }
        return;
    }
    char msg[600];
    json_t *errs = jx_arr(it->doc, "errors");
    const char *detail = errs ? jx_str(json_array_get(errs, 0), "message") : NULL;
    snprintf(msg, sizeof msg, "the interaction ended with status '%s'%s%s", st,
             detail ? ": " : "", detail ? detail : "");
    char up[64];
    size_t n = 0;
    for (; st[n] && n < sizeof up - 1; n++)
        up[n] = (char)(st[n] >= 'a' && st[n] <= 'z' ? st[n] - 32 : st[n]);
    up[n] = '\0';
    add_usage(r, j, it);
    record_error(r, j, 500, up, msg, NULL);
}

static void abort_run(struct run *r, const char *fmt, ...)
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

static void on_done(struct run *r, struct op *op)
{
    struct job *j = op->user;
    j->op = NULL;
    r->inflight--;
    if (op->kind == OPK_UPLOAD) {
        on_upload_done(r, j, op);
        op_free(op);
        return;
    }
    if (op->kind == OPK_CANCEL) {
        char msg[300];
        snprintf(msg, sizeof msg, "the background interaction did not finish within its "
                 "deadline; it was %s", op->cc == CURLE_OK && op->http >= 200 && op->http < 300
                                            ? "cancelled"
                                            : "asked to cancel (the cancel failed)");
        op_free(op);
        record_error(r, j, 0, "DEADLINE_EXCEEDED", msg, NULL);
        return;
    }
    j->last_latency_us = op->t_end_us - op->t_start_us;
    struct outcome o = {OC_OK, op->http, -1, NULL};
    struct interaction it = {0};
    struct api_error ae = {0};
    struct gb_err pe = {0};
    if (op->cc != CURLE_OK) {
        o.cls = op->resp_overflow ? OC_BAD_BODY : classify_cc(op->cc);
        if (o.cls == OC_TIMEOUT)
            r->c.timeouts++;
        else if (o.cls == OC_NET)
            r->c.net_errors++;
        /* the request left whole and no answer came: it may have been billed */
        if (op->kind == OPK_CREATE && (o.cls == OC_TIMEOUT || o.cls == OC_NET) &&
            (uint64_t)op->bytes_sent >= op->body.total)
            r->c.in_doubt++;
    } else if (op->http >= 200 && op->http < 300 && op->data_ctx) {
        struct stream_ctx *sc = op->data_ctx;
        sse_finish(&sc->parser);
        json_t *doc = sc->bad ? NULL : sse_asm_result(&sc->as);
        if (sc->as.first_delta_us) {
            hist_add(&r->ttft, sc->as.first_delta_us - op->t_start_us);
            j->ttft_us = sc->as.first_delta_us - op->t_start_us;
        }
        if (!doc || resp_from_json(doc, &it, &pe)) {
            o.cls = OC_BAD_BODY;
            r->c.bad_bodies++;
            if (!pe.msg[0])
                snprintf(pe.msg, sizeof pe.msg, "%s",
                         sc->as.error ? sc->as.error_msg
                                      : sc->bad ? "the stream carried malformed events"
                                                : "the stream ended before its last event");
        }
        json_decref(doc);
    } else if (op->http >= 200 && op->http < 300) {
        if (resp_parse_interaction(op->resp.data ? op->resp.data : "", op->resp.len, &it, &pe)) {
            o.cls = OC_BAD_BODY;
            r->c.bad_bodies++;
        }
    } else {
        o.cls = OC_HTTP;
        resp_parse_error(op->resp.data, op->resp.len, op->http, &ae);
        o.retry_info_ms = ae.retry_delay_ms;
        o.retry_after = op->retry_after[0] ? op->retry_after : NULL;
        if (resp_auth_refused(&ae, op->http))
            o.http = 401; /* decided as authentication, whatever the status */
    }
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    if (op->kind == OPK_CREATE)
        jrn_answer(&r->sink, j->id_json, op->cc == CURLE_OK ? op->http : -1);
    long delay = 0;
    enum verdict v = retry_decide(&r->policy, &o, j->attempts, rnd(r), &delay);
    if (v == V_OK) {
        r->consecutive_failures = 0;
        r->any_success = 1;
        rl_on_success(&r->rl);
        if (op->kind == OPK_CREATE)
            hist_add(&r->lat, j->last_latency_us);
        int before = (int)r->c.bad_bodies;
        on_interaction(r, j, &it, op->kind);
        if ((int)r->c.bad_bodies != before) {
            /* on_interaction found the body unusable: treat as a bad body */
            o.cls = OC_BAD_BODY;
            v = retry_decide(&r->policy, &o, j->attempts, rnd(r), &delay);
            if (v == V_RETRY) {
                r->c.retries++;
                schedule(r, j, (uint64_t)delay);
            } else {
                record_error(r, j, 502, "BAD_RESPONSE", "the response carried an image that is "
                             "not valid base64", NULL);
            }
        }
        interaction_free(&it);
        stream_free(op);
        op_free(op);
        return;
    }
    if (o.cls != OC_HTTP || op->http != 429)
        if (o.cls == OC_NET || o.cls == OC_TIMEOUT || o.cls == OC_BAD_BODY || op->http >= 500)
            r->consecutive_failures++;
    if (op->http == 429)
        rl_on_429(&r->rl, now_ms());
    char why[1400];
    if (o.cls == OC_HTTP)
        snprintf(why, sizeof why, "HTTP %ld %s: %s", op->http, ae.status, ae.message);
    else if (o.cls == OC_BAD_BODY)
        snprintf(why, sizeof why, "%s", op->resp_overflow ? "the response is larger than the "
                 "response limit" : pe.msg);
    else
        snprintf(why, sizeof why, "%s", op->errbuf[0] ? op->errbuf : curl_easy_strerror(op->cc));
    if (v == V_RETRY) {
        r->c.retries++;
        log_debug("%s: attempt %d: %s; retrying in %ld ms", j->id, j->attempts, why, delay);
        if (!r->any_success && o.cls == OC_NET && r->consecutive_failures >= 3 &&
            (op->cc == CURLE_COULDNT_CONNECT || op->cc == CURLE_COULDNT_RESOLVE_HOST ||
             op->cc == CURLE_COULDNT_RESOLVE_PROXY)) {
            abort_run(r, "endpoint %s is unreachable: %s", r->base_url, why);
            ready_push(r, j); /* recorded as interrupted when the run drains */
        } else if (r->consecutive_failures >= r->cfg->max_failures) {
            abort_run(r, "%ld attempts in a row failed (last: %s); stopping so nothing more is "
                      "spent; run again to resume", r->consecutive_failures, why);
            ready_push(r, j);
        } else {
            schedule(r, j, (uint64_t)delay);
        }
    } else if (v == V_ABORT) {
        if (o.cls == OC_TLS)
            abort_run(r, "TLS failure talking to %s: %s; check --cacert (verification is never "
                      "switched off)", r->base_url, why);
        else {
            r->auth_refused = 1;
            abort_run(r, "authentication refused (%s); check GEMINI_API_KEY%s or --api-key-file",
                      why, r->cfg->shard_n ? " (or GEMINI_API_KEY_<K> for this shard)" : "");
        }
        ready_push(r, j);
    } else {
        long code = o.cls == OC_HTTP ? (ae.code ? ae.code : op->http) : 0;
        const char *status = o.cls == OC_HTTP ? ae.status
                             : o.cls == OC_TIMEOUT ? "DEADLINE_EXCEEDED"
                             : o.cls == OC_BAD_BODY ? "BAD_RESPONSE"
                             : o.cls == OC_LOCAL ? "LOCAL_ERROR"
                                                 : "UNAVAILABLE";
        if (!r->cfg->quiet && o.cls != OC_HTTP)
            log_debug("%s failed: %s", j->id, why);
        record_error(r, j, code, status, why, NULL);
    }
    interaction_free(&it);
    stream_free(op);
    op_free(op);
}

/* ---- progress, run.json, summary ---------------------------------------------- */

static void human(double v, char *out, size_t n)
{
    if (v >= 1e9)
        snprintf(out, n, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, n, "%.1fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, n, "%.0fk", v / 1e3);
    else
        snprintf(out, n, "%.0f", v);
}

static long long done_count(const struct run *r)
{
    return r->c.completed + r->c.failed + r->c.skipped_done + r->c.duplicates +
           r->c.shard_skipped;
}

static void progress(struct run *r, uint64_t now, int final)
{
    const struct config *cfg = r->cfg;
    if (cfg->quiet || cfg->progress == PROGRESS_NONE)
        return;
    int bar = cfg->progress == PROGRESS_BAR || (cfg->progress == PROGRESS_AUTO && r->tty);
    uint64_t every = bar ? 200 : 5000;
    if (!final && now - r->last_progress_ms < every)
        return;
    r->last_progress_ms = now;
    long long done = done_count(r);
    if (now - r->rate_t_ms >= 1000) {
        double inst = (double)(r->c.completed + r->c.failed - r->rate_done) * 1000.0 /
                      (double)(now - r->rate_t_ms + 1);
        r->rate = r->rate_t_ms ? 0.7 * r->rate + 0.3 * inst : inst;
        r->rate_t_ms = now;
        r->rate_done = r->c.completed + r->c.failed;
    }
    char total[32] = "?", eta[32] = "", tok[16];
    if (r->total_known >= 0) {
        snprintf(total, sizeof total, "%lld", r->total_known);
        if (r->rate > 0.01 && r->total_known > done) {
            long s = (long)((double)(r->total_known - done) / r->rate);
            snprintf(eta, sizeof eta, " ETA %ld:%02ld", s / 60, s % 60);
        }
    }
    human((double)r->c.tok_total, tok, sizeof tok);
    size_t retrying = r->nheap;
    char line[512];
    snprintf(line, sizeof line,
             "%lld/%s done, %lld ok, %lld failed, %zu in flight, %zu waiting, %.0f req/s, %s "
             "tokens%s",
             done, total, r->c.completed, r->c.failed, r->inflight, retrying, r->rate, tok, eta);
    if (bar) {
        int width = 20, fill = 0;
        if (r->total_known > 0)
            fill = (int)((double)done * width / (double)r->total_known);
        if (fill > width)
            fill = width;
        char b[32];
        for (int i = 0; i < width; i++)
            b[i] = i < fill ? '#' : '.';
        b[width] = '\0';
        fprintf(stderr, "\r[%s] %s\033[K%s", b, line, final ? "\n" : "");
        r->bar_drawn = !final;
    } else {
        fprintf(stderr, "gembatch: %s\n", line);
    }
}

static json_t *counts_json(const struct run *r)
{
    json_t *http = json_object();
    for (int i = 100; i < 600; i++)
        if (r->c.http[i]) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(http, k, json_integer(r->c.http[i]));
        }
    json_t *c = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}",
        "lines", (json_int_t)r->c.lines, "jobs", (json_int_t)r->c.jobs, "completed",
        (json_int_t)r->c.completed, "failed", (json_int_t)r->c.failed, "skipped_done",
        (json_int_t)r->c.skipped_done, "duplicates", (json_int_t)r->c.duplicates,
        "other_shards", (json_int_t)r->c.shard_skipped, "attempts", (json_int_t)r->c.attempts,
        "retries", (json_int_t)r->c.retries, "polls", (json_int_t)r->c.polls, "in_doubt",
        (json_int_t)(r->c.in_doubt + r->res.in_doubt_prev), "interrupted",
        (json_int_t)r->c.interrupted, "reasks", (json_int_t)r->c.reasks, "reasks_fixed",
        (json_int_t)r->c.reask_ok, "schema_violations", (json_int_t)r->c.schema_failed,
        "timeouts", (json_int_t)r->c.timeouts, "network_errors", (json_int_t)r->c.net_errors,
        "bad_responses", (json_int_t)r->c.bad_bodies);
    json_object_set_new(c, "http", http);
    json_object_set_new(c, "in_doubt_from_previous_run", json_integer(r->res.in_doubt_prev));
    json_object_set_new(c, "torn_lines_dropped", json_integer(r->res.torn));
    json_object_set_new(c, "unreadable_inputs", json_integer(r->input_errors));
    json_object_set_new(c, "tool_calls", json_integer(r->c.tool_calls));
    json_object_set_new(c, "tool_failures", json_integer(r->c.tool_failures));
    return c;
}

static void hist_row(void *ctx, uint64_t v, uint64_t n)
{
    json_array_append_new(ctx, json_pack("[I,I]", (json_int_t)v, (json_int_t)n));
}

static json_t *run_json(struct run *r, const char *status)
{
    const struct config *cfg = r->cfg;
    char started[32], ended[32];
    iso8601(r->t0_wall, started);
    iso8601(wall_s(), ended);
    json_t *inputs = json_array();
    for (int i = 0; i < cfg->ninputs; i++)
        json_array_append_new(inputs, json_string(cfg->inputs[i]));
    json_t *opts = json_pack("{s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:b,s:b,s:I}", "concurrency",
                             (json_int_t)cfg->concurrency, "rpm", (json_int_t)cfg->rpm, "tpm",
                             (json_int_t)cfg->tpm, "max_attempts", (json_int_t)cfg->max_attempts,
                             "timeout_s", cfg->timeout_s, "endpoint",
                             cfg->emulator ? "embedded emulator" : cfg->endpoint, "api_version",
                             cfg->dialect == DIALECT_V1 ? "v1" : "v1beta", "stream",
                             cfg->stream, "emulator", cfg->emulator, "reask",
                             (json_int_t)cfg->reask);
    if (cfg->shard_n)
        json_object_set_new(opts, "shard", json_pack("{s:i,s:i}", "k", cfg->shard_k, "n",
                                                     cfg->shard_n));
    if (cfg->model)
        json_object_set_new(opts, "model", json_string(cfg->model));
    double wall = (double)(now_us() - r->t0_us) / 1e6;
    json_t *buckets = json_array();
    hist_each(&r->lat, hist_row, buckets);
    json_t *lat = json_pack("{s:f,s:f,s:f,s:f,s:I,s:o}", "p50",
                            (double)hist_quantile(&r->lat, 0.50) / 1000.0, "p95",
                            (double)hist_quantile(&r->lat, 0.95) / 1000.0, "p99",
                            (double)hist_quantile(&r->lat, 0.99) / 1000.0, "max",
                            (double)r->lat.max_us / 1000.0, "samples", (json_int_t)r->lat.n,
                            "histogram_us", buckets);
    json_t *tok = json_pack("{s:I,s:I,s:I,s:I}", "input", (json_int_t)r->c.tok_in, "output",
                            (json_int_t)r->c.tok_out, "thought", (json_int_t)r->c.tok_thought,
                            "total", (json_int_t)r->c.tok_total);
    json_t *o = json_pack("{s:{s:s,s:s,s:s},s:o,s:o,s:s,s:s,s:f,s:s,s:o,s:o,s:o,s:s}",
                          "pipeline", "name", r->pipe->name, "path", r->pipe->path, "digest",
                          r->pipe->digest, "inputs", inputs, "options", opts, "started", started,
                          "ended", ended, "wall_s", wall, "status", status, "counts",
                          counts_json(r), "tokens", tok, "latency_ms", lat, "version",
                          GEMBATCH_VERSION);
    if (r->ttft.n)
        json_object_set_new(o, "ttft_ms",
                            json_pack("{s:f,s:f,s:f,s:I}", "p50",
                                      (double)hist_quantile(&r->ttft, 0.50) / 1000.0, "p95",
                                      (double)hist_quantile(&r->ttft, 0.95) / 1000.0, "p99",
                                      (double)hist_quantile(&r->ttft, 0.99) / 1000.0, "samples",
                                      (json_int_t)r->ttft.n));
    if (json_array_size(r->dups))
        json_object_set(o, "duplicates", r->dups);
    if (json_array_size(r->skipped))
        json_object_set(o, "skipped_entries", r->skipped);
    if (cfg->emulator)
        json_object_set_new(o, "synthetic", json_true());
    return o;
}

static void summary(struct run *r, const char *status)
{
    if (r->cfg->quiet)
        return;
    if (r->bar_drawn)
        fputc('\n', stderr);
    double wall = (double)(now_us() - r->t0_us) / 1e6;
    char ti[16], to[16], tt[16];
    human((double)r->c.tok_in, ti, sizeof ti);
    human((double)r->c.tok_out, to, sizeof to);
    human((double)r->c.tok_total, tt, sizeof tt);
    fprintf(stderr,
            "gembatch: %s in %.1fs: %lld jobs, %lld completed, %lld failed, %lld already done, "
            "%lld interrupted\n"
            "gembatch:   attempts %lld (%lld retries), re-asks %lld (%lld fixed), in doubt %lld "
            "(sent, never answered: may be billed)\n"
            "gembatch:   tokens %s in, %s out, %s total; latency p50 %.0f ms, p95 %.0f ms, p99 "
            "%.0f ms\n",
            status, wall, r->c.jobs + r->c.skipped_done, r->c.completed, r->c.failed,
            r->c.skipped_done, r->c.interrupted, r->c.attempts, r->c.retries, r->c.reasks,
            r->c.reask_ok, r->c.in_doubt + r->res.in_doubt_prev, ti, to, tt,
            (double)hist_quantile(&r->lat, 0.5) / 1000.0,
            (double)hist_quantile(&r->lat, 0.95) / 1000.0,
            (double)hist_quantile(&r->lat, 0.99) / 1000.0);
    if (r->c.duplicates)
        fprintf(stderr, "gembatch:   %lld duplicate-id lines were not run (listed in run.json)\n",
                r->c.duplicates);
    fprintf(stderr, "gembatch:   results in %s/results.jsonl%s%s%s\n", r->cfg->out_dir,
            r->c.failed ? ", errors in " : "", r->c.failed ? r->cfg->out_dir : "",
            r->c.failed ? "/errors.jsonl" : "");
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
        stream_free(op);
        op_free(op);
        j->op = NULL;
        r->inflight--;
        ready_push(r, j);
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
                     "them now (they run again on resume)", r->inflight);
        }
        if ((run_signals >= 2 || r->aborting) && r->inflight)
            cancel_all(r);
        /* before-poll hook: durability, progress */
        sink_sync(&r->sink, now, 0);
        if (r->sink.write_failed)
            abort_run(r, "%s", r->sink.write_error);
        progress(r, now, 0);
        if (!r->stopping) {
            feed(r);
            struct job *j;
            while ((j = heap_pop_due(r, now)))
                ready_push(r, j);
            hash_step(r);
            start_ready(r);
        }
        if (r->inflight == 0 &&
            (r->stopping || (r->inputs_done && !r->ready_head && !r->nheap && !r->hashing &&
                             r->active == 0)))
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
        xfer_poll(&r->xf, (int)timeout, fds, nfds);
        toolbox_step(&r->tb);
        struct op *op;
        while ((op = xfer_next_done(&r->xf)))
            on_done(r, op);
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
static int init_jobs(struct run *r)
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
                           "last run); use --restart to discard them, or another -o", dir);
        if (!d && r->res.had_outputs)
            return GB_FAIL(err, GB_ESTATE, "'%s/run.json' has no pipeline digest; use --restart "
                                           "or another -o", dir);
    } else if (r->res.had_outputs) {
        return GB_FAIL(err, GB_ESTATE, "'%s' has results but no run.json, so the pipeline that "
                                       "made them is unknown; use --restart or another -o", dir);
    }
    return 0;
}

static int setup(struct run *r, const struct config *cfg, struct pipeline *pipe,
                 struct gb_err *err)
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
    if (init_jobs(r))
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
                 "billed); %s sent again", r->res.in_doubt_prev,
                 r->res.in_doubt_prev == 1 ? "" : "s", r->res.in_doubt_prev == 1 ? "was" : "were",
                 r->res.in_doubt_prev == 1 ? "it is" : "they are");
    if ((rc = jrn_begin(&r->sink, &r->res)))
        return GB_FAIL(err, rc, "cannot start the journal in '%s'", cfg->out_dir);
    json_t *rj = run_json(r, "running");
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
        toolbox_init(&r->tb, (int)cfg->tool_concurrency, on_tool_done, r))
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
    progress(r, now_ms(), 1);
    long long kept = 0;
    struct gb_err ce = {0};
    sink_sync(&r->sink, 0, 1);
    if (jrn_compact_errors(cfg->out_dir, &r->res.done, &kept, &ce))
        log_err(&ce);
    const char *status = r->aborting ? "aborted" : r->interrupted ? "interrupted" : "completed";
    json_t *rj = run_json(r, status);
    sink_run_json(&r->sink, rj);
    json_decref(rj);
    summary(r, status);
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

/* ---- dry run -------------------------------------------------------------------- */

static void media_digest(const char *path, char hex[65])
{
    strcpy(hex, "unreadable");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct sha256 h;
    unsigned char b[65536];
    ssize_t n;
    if (sha256_init(&h)) {
        close(fd);
        return;
    }
    while ((n = read(fd, b, sizeof b)) > 0)
        sha256_update(&h, b, (size_t)n);
    uint8_t d[32];
    if (n == 0 && sha256_final(&h, d) == 0)
        sha256_hex(d, hex);
    else
        sha256_free(&h);
    close(fd);
}

/* Print each request as it would be sent (media as type, size and digest)
 * with its token estimate; send nothing. */
int run_dry(const struct config *cfg, struct pipeline *pipe)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return GB_USAGE;
    r->cfg = cfg;
    r->pipe = pipe;
    sniff_init(&r->sniff);
    /* archive entries are spooled outside OUTDIR: a dry run writes nothing there */
    char tmpl[] = "/tmp/gembatch-dry-XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    r->spool_dir = tmpdir && *tmpdir ? fsx_join(tmpdir, "gembatch-dry-XXXXXX") : strdup(tmpl);
    if (!r->spool_dir || !mkdtemp(r->spool_dir) || init_jobs(r)) {
        free(r->spool_dir);
        free(r);
        return GB_USAGE;
    }
    long long jobs = 0, bad = 0, tokens = 0;
    const char *path = cfg->dialect == DIALECT_V1 ? "/v1/interactions" : "/v1beta/interactions";
    struct job *j;
    while ((j = next_job(r))) {
        if (cfg->shard_n && j->digest % (uint64_t)cfg->shard_n != (uint64_t)(cfg->shard_k - 1)) {
            job_free(j);
            continue;
        }
        jobs++;
        json_t *o = json_pack("{s:s}", "id", j->id);
        if (j->failed_build) {
            bad++;
            json_object_set_new(o, "error", json_string(j->build_err.msg));
            json_object_set_new(o, "line", json_integer(j->line));
        } else {
            for (size_t i = 0; i < j->nmedia; i++) {
                char hex[65], s[160];
                media_digest(j->media[i].path, hex);
                snprintf(s, sizeof s, "<%s %llu bytes sha256:%s>", j->media[i].mime,
                         (unsigned long long)j->media[i].size, hex);
                json_object_set_new(j->media[i].part, "data", json_string(s));
            }
            long est = req_estimate_tokens(j->req, j);
            tokens += est;
            json_object_set_new(o, "request", json_pack("{s:s,s:s,s:O}", "method", "POST", "path",
                                                        path, "body", j->req));
            json_object_set_new(o, "estimated_input_tokens", json_integer(est));
        }
        char *line = json_dumps(o, JSON_COMPACT);
        if (line)
            puts(line);
        free(line);
        json_decref(o);
        job_free(j);
    }
    fflush(stdout);
    if (!cfg->quiet)
        fprintf(stderr, "gembatch: dry run: %lld jobs, %lld with errors, about %lld input tokens; "
                        "nothing was sent\n", jobs, bad, tokens);
    schema_cache_free(r->jctx.schemas);
    sniff_free(&r->sniff);
    json_decref(r->skipped);
    rmdir(r->spool_dir); /* archives (issue 5): the spool dir, when empty */
    free(r->spool_dir);
    free(r);
    return bad ? GB_USAGE : GB_DONE;
}
