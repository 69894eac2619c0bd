/* run_bmode.c: Batch Mode (--mode batch, and auto). Jobs become
 * GenerateContentRequest lines in part files (OUTDIR/batch/part-NNNN.jsonl,
 * streamed, media base64 from their files), each part is uploaded through
 * the Files API and made one batch (Batch API, half price), the batches are
 * polled, and their results joined back (run_bjoin.c). A crash never makes a
 * second batch for a part: a create whose answer was lost is found again by
 * its displayName. A run whose batches are still running says so and exits
 * 5; the next run (even days later) polls them. --mode auto sends online
 * what a batch cannot express, and near --finish-by cancels the batches
 * still running and sends their jobs online. Called by run.c; calls
 * run_bjoin.c, run_bpart.c, run_cost.c and run_jobs.c. */
#include "run_bm.h"

#include "gencontent.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* A job read from the inputs: its first request into a part of round 0. */
static void build_one(struct bm *b, struct job *j)
{
    struct run *r = b->r;
    json_t *gc = NULL;
    const char *why = NULL;
    if (!j->failed_build) {
        for (size_t i = 0; i < j->nmedia && !why; i++)
            if (j->media[i].upload)
                why = "a media file too large to go inline (Batch Mode sends media inline)";
        if (!why && gc_request(j->req, j->schema_doc, &gc, &why))
            gc = NULL;
        if (why && r->cfg->mode == MODE_AUTO) {
            /* sent by the online pass, which counts it */
            json_t *o = json_pack("{s:s,s:s,s:s}", "id", j->id, "why", "inexpressible", "what",
                                  why);
            bm_online_add(b, o);
            job_free(j);
            return;
        }
    }
    struct task *t = task_enter(r, j);
    if (!t) {
        json_decref(gc);
        return;
    }
    if (j->failed_build) {
        task_fail(r, t, 0, j->build_err.code == GB_ENOENT ? "NOT_FOUND" : "INVALID_INPUT",
                  j->build_err.msg, NULL);
        return;
    }
    if (why) {
        char msg[300];
        snprintf(msg, sizeof msg, "the Batch API cannot express %s; run it with --mode online "
                 "or auto", why);
        task_fail(r, t, 0, "UNSUPPORTED_IN_BATCH", msg, NULL);
        return;
    }
    j->est_tokens = req_estimate_tokens(j->req, j);
    const char *unbounded = NULL;
    enum budget_verdict v = cost_reserve(r, t, TIER_BATCH, &unbounded);
    if (v == BUDGET_UNPRICED) { /* this job's, not the budget's: the others go on */
        char msg[600];
        snprintf(msg, sizeof msg, "under --max-cost its cost must be bounded before it is "
                 "sent, and it was not: %s", unbounded ? unbounded : "no price is known for its "
                 "model in Batch Mode (give the rates with --prices FILE)");
        json_decref(gc);
        task_fail(r, t, 0, "UNPRICED", msg, NULL);
        return;
    }
    if (v != BUDGET_OK) {
        json_decref(gc);
        r->budget_stop = 1;
        task_interrupt(r, t);
        return;
    }
    /* the worst case stays reserved: what the part will cost is known only
     * when it is joined, maybe in a later run */
    json_t *line = json_pack("{s:s,s:o}", "key", j->id, "request", gc);
    json_t *meta = json_pack("{s:s,s:s}", "id", j->id, "input", j->source);
    if (j->entry)
        json_object_set_new(meta, "entry", json_string(j->entry));
    else
        json_object_set_new(meta, "line", json_integer(j->line));
    if (j->schema_doc && j->schema_doc != r->pipe->schema_doc)
        json_object_set(meta, "rf", j->schema_doc);
    int rc = bm_add_line(b, bm_model_of(j->req, r->cfg), 0, 0, line, j, meta);
    json_decref(line);
    json_decref(meta);
    if (rc) {
        run_abort(r, "cannot write the batch part files in '%s/" BM_DIR "'", r->cfg->out_dir);
        task_interrupt(r, t);
        return;
    }
    task_defer(r, t);
}

/* Ids already in a part an earlier run wrote (a build that a crash cut). */
static void ids_in_parts(struct bm *b, struct dset *ids)
{
    for (size_t i = 0; i < b->nparts; i++) {
        if (b->parts[i].joined)
            continue; /* its ids have their lines, or went on (a new part, the online list) */
        char name[64];
        bm_part_file(&b->parts[i], ".meta.jsonl", name, sizeof name);
        char *path = bm_path(b, name);
        FILE *f = path ? fopen(path, "r") : NULL;
        free(path);
        char *line = NULL;
        size_t cap = 0;
        while (f && getline(&line, &cap, f) > 0) {
            json_t *o = json_loads(line, 0, NULL);
            const char *id = jx_str(o, "id");
            if (id)
                dset_add(ids, hash64(id, strlen(id), 0));
            json_decref(o);
        }
        free(line);
        if (f)
            fclose(f);
    }
}

static int all_joined(const struct bm *b)
{
    for (size_t i = 0; i < b->nparts; i++)
        if (!b->parts[i].joined)
            return 0;
    return 1;
}

static void build(struct bm *b)
{
    struct run *r = b->r;
    struct dset inparts;
    dset_init(&inparts);
    ids_in_parts(b, &inparts);
    struct job *j;
    while (!r->stopping && !r->budget_stop && (j = run_next_job(r))) {
        if (job_skipped(r, j))
            continue;
        uint32_t online = dmap_get(&r->online_at, j->digest);
        if (dset_has(&inparts, j->digest) || (online && online != RUN_ONLINE_TAKEN))
            job_skip(r, j, SKIP_IN_BATCH); /* a part has it, or the online list */
        else
            build_one(b, j);
        if (run_signals >= 1)
            r->stopping = r->interrupted = 1;
    }
    dset_free(&inparts);
    if (bm_close_all(b) == 0 && bm_online_sync(b) == 0 && !r->stopping && !r->budget_stop &&
        r->inputs_done)
        if (bm_state_line(b, json_pack("{s:s}", "ev", "built")) == 0)
            b->built_all = 1;
}

/* ---- sending: upload, create, poll ---------------------------------------------- */

static int upload_part(struct bm *b, struct bm_part *p)
{
    struct run *r = b->r;
    char name[64];
    bm_part_file(p, ".jsonl", name, sizeof name);
    char *path = bm_path(b, name);
    if (!path)
        return GB_ENOMEM;
    /* the record is keyed by content: the part's own digest */
    uint8_t sha[32];
    struct sha256 h;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0 || sha256_init(&h)) {
        if (fd >= 0)
            close(fd);
        free(path);
        return GB_EIO;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        sha256_update(&h, buf, (size_t)n);
    close(fd);
    sha256_final(&h, sha);
    struct upl *rec = uploads_add(&r->up, sha, p->bytes, "jsonl", path);
    free(path);
    if (!rec)
        return GB_ENOMEM;
    for (;;) {
        struct op *op = upl_op(&r->up, &r->xf, rec, NULL);
        if (!op || !(op = bm_call(b, op)))
            return GB_EINTR;
        long delay = 0;
        enum upl_next next = upl_done(&r->up, rec, op, &r->policy, run_rnd(r), &delay);
        r->c.attempts++;
        op_free(op);
        if (next == UPL_DONE)
            break;
        if (next == UPL_FAIL || next == UPL_ABORT) {
            run_abort(r, "the Files API refused part %d of the batch: %s", p->n, rec->error);
            return GB_ENET;
        }
        if (next == UPL_LATER)
            usleep((useconds_t)(delay * 1000));
    }
    bm_copy(p->file_name, sizeof p->file_name, rec->name);
    return bm_state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "uploaded", "part", p->n, "file",
                                   p->file_name));
}

/* A create whose answer an earlier run never read: the batch is found by
 * its displayName (the list pages through every batch of the key). */
static int adopt(struct bm *b, struct bm_part *p)
{
    char want[128], why[400], url[600];
    bm_display_name(b, p, want, sizeof want);
    char *token = NULL;
    int found = 0;
    do {
        json_t *doc = NULL;
        if (token)
            snprintf(url, sizeof url, "batches?pageSize=100&pageToken=%s", token);
        else
            snprintf(url, sizeof url, "batches?pageSize=100");
        free(token);
        token = NULL;
        long rc = bm_call_json(b, "GET", "%s", url, NULL, &doc, why, sizeof why);
        if (rc) {
            json_decref(doc);
            run_abort(b->r, "cannot list the batches to find part %d's: %s", p->n, why);
            return GB_ENET;
        }
        size_t i;
        json_t *op;
        json_array_foreach (jx_arr(doc, "operations"), i, op) {
            const char *dn = jx_str(jx_obj(op, "metadata"), "displayName");
            if (dn && !strcmp(dn, want) && jx_str(op, "name")) {
                bm_copy(p->batch, sizeof p->batch, jx_str(op, "name"));
                found = 1;
                break;
            }
        }
        const char *next = jx_str(doc, "nextPageToken");
        token = !found && next && *next ? strdup(next) : NULL;
        json_decref(doc);
    } while (token);
    if (!found)
        return 1;
    log_info("batch: part %d was made by an earlier run (%s): polled, not made again", p->n,
             p->batch);
    return bm_state_line(b, json_pack("{s:s,s:i,s:s,s:b}", "ev", "created", "part", p->n, "batch",
                                   p->batch, "adopted", 1));
}

static int create_part(struct bm *b, struct bm_part *p)
{
    if (p->create_sent) {
        int rc = adopt(b, p);
        if (rc <= 0)
            return rc;
    }
    char dn[128], why[400], path[200];
    bm_display_name(b, p, dn, sizeof dn);
    if (bm_state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "create", "part", p->n, "display_name", dn)))
        return GB_EIO;
    p->create_sent = 1;
    json_t *body = json_pack("{s:{s:s,s:{s:s}}}", "batch", "displayName", dn, "inputConfig",
                             "fileName", p->file_name);
    snprintf(path, sizeof path, "%s%s", strncmp(p->model, "models/", 7) ? "models/" : "",
             p->model);
    json_t *doc = NULL;
    long rc = bm_call_json(b, "POST", "%s:batchGenerateContent", path, body, &doc, why, sizeof why);
    json_decref(body);
    const char *name = jx_str(doc, "name");
    if (rc || !name) {
        json_decref(doc);
        run_abort(b->r, "the Batch API did not make part %d's batch: %s", p->n,
                  rc ? why : "no name in its answer");
        return GB_ENET;
    }
    bm_copy(p->batch, sizeof p->batch, name);
    json_decref(doc);
    bm_crash_point("create-answered");
    return bm_state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "created", "part", p->n, "batch",
                                   p->batch));
}

static int terminal(const char *state)
{
    return !strcmp(state, "BATCH_STATE_SUCCEEDED") || !strcmp(state, "BATCH_STATE_FAILED") ||
           !strcmp(state, "BATCH_STATE_CANCELLED") || !strcmp(state, "BATCH_STATE_EXPIRED") ||
           !strcmp(state, "JOB_STATE_SUCCEEDED") || !strcmp(state, "JOB_STATE_FAILED") ||
           !strcmp(state, "JOB_STATE_CANCELLED") || !strcmp(state, "JOB_STATE_EXPIRED");
}

/* One look at a batch. 1 when it ended (its state recorded), 0 when it
 * still runs, < 0 when it could not be read. */
static int poll_part(struct bm *b, struct bm_part *p, char *shown, size_t sn)
{
    char why[400];
    json_t *doc = NULL;
    if (bm_call_json(b, "GET", "%s", p->batch, NULL, &doc, why, sizeof why)) {
        snprintf(shown, sn, "unknown (%.150s)", why);
        return -1;
    }
    b->r->c.polls++;
    json_t *md = jx_obj(doc, "metadata");
    const char *st = jx_str(md, "state");
    if (!st)
        st = jx_str(doc, "state");
    snprintf(shown, sn, "%s", st ? st : "BATCH_STATE_UNSPECIFIED");
    int ended = st && terminal(st);
    if (!ended)
        bm_crash_point("polling");
    if (ended) {
        json_t *out = jx_obj(md, "output");
        if (!out)
            out = jx_obj(doc, "response");
        bm_copy(p->state, sizeof p->state, st);
        bm_copy(p->responses, sizeof p->responses, jx_str(out, "responsesFile"));
        bm_state_line(b, json_pack("{s:s,s:i,s:s,s:s}", "ev", "ended", "part", p->n, "state", st,
                                "responses", p->responses));
    }
    json_decref(doc);
    return ended;
}

/* ---- the steps, in order ---------------------------------------------------------- */

static void say_running(struct bm *b)
{
    if (b->r->cfg->quiet)
        return;
    for (size_t i = 0; i < b->nparts; i++) {
        struct bm_part *p = &b->parts[i];
        if (p->batch[0] && !p->state[0])
            log_info("batch: part %d (%lld requests, %s) is %s", p->n, p->requests, p->batch,
                     p->state[0] ? p->state : "still running");
    }
}

/* Move every part as far as it goes. 1 when something moved. */
static int advance(struct bm *b)
{
    int moved = 0;
    b->running = 0;
    for (size_t i = 0; i < b->nparts && !b->r->aborting && run_signals < 1; i++) {
        struct bm_part *p = &b->parts[i];
        if (p->joined)
            continue;
        if (p->cancel_sent && !p->batch[0]) /* cancelled before it was made */
            bm_copy(p->state, sizeof p->state, "BATCH_STATE_CANCELLED");
        if (!p->file_name[0] && !p->state[0]) {
            if (upload_part(b, p))
                return moved;
            moved = 1;
            p = &b->parts[i];
        }
        if (!p->batch[0] && !p->state[0]) {
            if (create_part(b, p))
                return moved;
            moved = 1;
            p = &b->parts[i];
        }
        if (!p->state[0]) {
            char shown[200];
            int rc = poll_part(b, p, shown, sizeof shown);
            if (rc <= 0) {
                b->running++;
                continue;
            }
            moved = 1;
        }
        /* a batch that ended otherwise may still have answered some (the
         * reference leaves partial results of a cancel open): they are
         * joined, and only the rest asked again */
        struct dset answered;
        dset_init(&answered);
        int rc = p->responses[0] && !p->downloaded ? bm_download(b, p) : 0;
        if (!rc && p->responses[0])
            rc = bm_join(b, p, &answered);
        if (!rc)
            rc = bm_settle(b, p, p->responses[0] ? &answered : NULL);
        dset_free(&answered);
        if (rc)
            return moved;
        moved = 1;
    }
    return moved;
}

struct bm *bm_open(struct run *r)
{
    const struct config *cfg = r->cfg;
    struct bm *b = calloc(1, sizeof *b);
    if (!b) {
        run_abort(r, "out of memory");
        return NULL;
    }
    b->r = r;
    b->state_fd = b->online_fd = -1;
    b->per_part = cfg->batch_requests > 0 ? cfg->batch_requests : 100000;
    b->max_bytes = cfg->batch_max_bytes ? cfg->batch_max_bytes : (2000ull << 20);
    b->poll_s = cfg->poll_initial_s > 0 ? cfg->poll_initial_s : 60;
    struct gb_err err = {0};
    if (bm_state_open(b, &err) || bm_online_open(b, &err)) {
        run_abort(r, "%s", err.msg);
        bm_close(b);
        return NULL;
    }
    /* every part answered and joined: what still has no result line (it
     * failed, or the manifest grew since) goes into new parts, as an online
     * resume asks again what failed. A crash while they are written is safe:
     * a part counts once its "part" line is on disk, and the next run with
     * every part joined looks again. */
    if (b->built_all && all_joined(b))
        b->built_all = 0;
    if (!b->built_all)
        build(b);
    return b;
}

int bm_advance(struct bm *b, int wait, double until_s)
{
    struct run *r = b->r;
    while (!r->aborting && run_signals < 1) {
        int moved = advance(b);
        if (!b->running || r->aborting || !wait || b->online_new)
            break;
        if (moved)
            b->poll_s = r->cfg->poll_initial_s > 0 ? r->cfg->poll_initial_s : 60;
        double now = wall_s(), look = b->poll_s; /* until_s is wall-clock */
        if (until_s > 0 && now + look > until_s)
            look = until_s - now;
        if (look <= 0)
            break;
        log_debug("batch: %d batches running; next look in %.0f s", b->running, look);
        for (double waited = 0; waited < look && run_signals < 1; waited += 0.1) {
            usleep(100000);
            run_progress(r, now_ms(), 0);
        }
        b->poll_s = b->poll_s * 1.5 > BM_POLL_MAX_S ? BM_POLL_MAX_S : b->poll_s * 1.5;
    }
    if (b->running && !r->cfg->wait)
        say_running(b); /* left running for the next run */
    return b->running;
}

long long bm_running_requests(const struct bm *b)
{
    long long n = 0;
    for (size_t i = 0; i < b->nparts; i++)
        if (!b->parts[i].joined && !b->parts[i].state[0])
            n += b->parts[i].requests;
    return n;
}

/* How long a cancel may take to show before the jobs go online anyway. */
#define BM_CANCEL_WAIT_S 30.0

void bm_cancel_running(struct bm *b)
{
    struct run *r = b->r;
    for (size_t i = 0; i < b->nparts && !r->aborting; i++) {
        struct bm_part *p = &b->parts[i];
        if (p->joined || p->state[0] || p->cancel_sent)
            continue;
        if (!p->batch[0] && p->create_sent && adopt(b, p) < 0)
            return; /* a create whose answer was lost: its batch is cancelled too */
        if (!p->batch[0]) {
            /* never made: nothing to cancel, its jobs simply go online */
            p->cancel_sent = 1;
            bm_copy(p->state, sizeof p->state, "BATCH_STATE_CANCELLED");
            bm_state_line(b, json_pack("{s:s,s:i}", "ev", "cancel", "part", p->n));
            continue;
        }
        char why[400];
        json_t *doc = NULL;
        /* recorded first: after a crash the resume knows its jobs go online */
        if (bm_state_line(b, json_pack("{s:s,s:i}", "ev", "cancel", "part", p->n)))
            return;
        p->cancel_sent = 1;
        json_t *empty = json_object(); /* borrowed by the call */
        if (bm_call_json(b, "POST", "%s:cancel", p->batch, empty, &doc, why, sizeof why))
            log_warn("batch: cancelling part %d (%s) failed: %s", p->n, p->batch, why);
        json_decref(empty);
        json_decref(doc);
        log_info("batch: part %d (%lld requests) cancelled for --finish-by; what it has not "
                 "answered goes online", p->n, p->requests);
    }
    /* a cancel is asynchronous: wait for each to end, briefly */
    double stop = (double)now_ms() / 1000.0 + BM_CANCEL_WAIT_S;
    for (;;) {
        int open = 0;
        for (size_t i = 0; i < b->nparts && !r->aborting; i++) {
            struct bm_part *p = &b->parts[i];
            char shown[200];
            if (p->cancel_sent && !p->joined && !p->state[0] &&
                poll_part(b, p, shown, sizeof shown) <= 0)
                open++;
        }
        if (!open || r->aborting || run_signals >= 1 || (double)now_ms() / 1000.0 >= stop)
            break;
        usleep(500000);
    }
    for (size_t i = 0; i < b->nparts && !r->aborting; i++) {
        struct bm_part *p = &b->parts[i];
        if (!p->cancel_sent || p->joined || p->state[0])
            continue;
        /* its batch may still answer (and bill) them: said, and counted */
        log_warn("batch: part %d (%s) did not confirm its cancel in %.0f s; its %lld requests go "
                 "online anyway, and may be billed twice if the batch answers them",
                 p->n, p->batch, BM_CANCEL_WAIT_S, p->requests);
        r->c.cancel_unconfirmed++;
        bm_copy(p->state, sizeof p->state, "BATCH_STATE_CANCELLED");
    }
    advance(b); /* join what finished first; settle the rest onto the online list */
}

void bm_close(struct bm *b)
{
    if (!b)
        return;
    bm_close_all(b);
    if (b->state_fd >= 0)
        close(b->state_fd);
    if (b->online_fd >= 0)
        close(b->online_fd);
    if (b->online_rd)
        fclose(b->online_rd);
    for (size_t i = 0; i < b->nsources; i++)
        free(b->sources[i]);
    free(b->sources);
    free(b->open);
    free(b->parts);
    free(b);
}
