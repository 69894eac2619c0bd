/* run_bmode.c: Batch Mode (--mode batch, and auto). Jobs become
 * GenerateContentRequest lines in part files (OUTDIR/batch/part-NNNN.jsonl,
 * streamed, media base64 from their files, or by uri once uploaded when too
 * large to go inline), each part is uploaded through
 * the Files API and made one batch (Batch API, half price), the batches are
 * polled, and their results joined back (run_bjoin.c). Neither a crash nor a
 * lost answer makes a second batch for a part: a create whose answer was
 * lost (to a crash, a dropped connection, a 5xx) is found again by its
 * displayName before anything is created again. A run whose batches are
 * still running says so and exits 5; the next run (even days later) polls
 * them. --mode auto sends online what a batch cannot express, and near
 * --finish-by cancels the batches still running and sends their jobs
 * online. Called by run.c; calls run_bjoin.c, run_bpart.c, run_cost.c and
 * run_jobs.c. */
#include "run_bm.h"

#include "gencontent.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

static int fd_digest(int fd, uint8_t sha[32]);

/* Drive one Files API upload to its end, an op at a time (Batch Mode's
 * calls are sequential). 0 when the file is ACTIVE; else the run stops
 * (abort: what) or it failed (rec->error says why). */
static int upload_to_end(struct bm *b, struct upl *rec, const char *what, int abort_on_fail)
{
    struct run *r = b->r;
    for (;;) {
        struct op *op = upl_op(&r->up, &r->xf, rec, NULL);
        if (!op || !(op = bm_call(b, op)))
            return GB_EINTR;
        long delay = 0;
        enum upl_next next = upl_done(&r->up, rec, op, &r->policy, run_rnd(r), &delay);
        r->c.attempts++;
        if (op->http > 0 && op->http < 600)
            r->c.http[op->http]++;
        op_free(op);
        if (next == UPL_DONE)
            return 0;
        if (next == UPL_ABORT || (next == UPL_FAIL && abort_on_fail)) {
            run_abort(r, "the Files API refused %s: %s", what, rec->error);
            return GB_ENET;
        }
        if (next == UPL_FAIL)
            return GB_EIO;
        if (next == UPL_LATER)
            usleep((useconds_t)(delay * 1000));
    }
}

/* The media of j too large to go inline go through the Files API once each
 * (deduplicated by content across the run, as online) and are referenced by
 * uri. NULL, or why the job cannot be sent (*code set). */
static const char *upload_media(struct bm *b, struct job *j, const char **code, char *why,
                                size_t wn)
{
    struct run *r = b->r;
    for (size_t i = 0; i < j->nmedia; i++) {
        struct media *m = &j->media[i];
        if (!m->upload || m->uri)
            continue;
        uint8_t sha[32];
        if (fd_digest(open(m->path, O_RDONLY | O_CLOEXEC), sha)) {
            snprintf(why, wn, "cannot read '%.300s': %s", m->path, strerror(errno));
            return *code = "LOCAL_ERROR", why;
        }
        struct upl *rec = uploads_find(&r->up, sha);
        if (rec && rec->state == UPL_ACTIVE) {
            r->up.reused++;
        } else {
            if (!rec && !(rec = uploads_add(&r->up, sha, m->size, m->mime, m->path)))
                return *code = "LOCAL_ERROR", "out of memory";
            char what[400];
            snprintf(what, sizeof what, "'%.300s'", m->path);
            int rc = upload_to_end(b, rec, what, 0);
            if (rc && rc != GB_EIO)
                return *code = "INTERRUPTED", "the run stopped during an upload";
            if (rc) {
                snprintf(why, wn, "%s", rec->error);
                return *code = "UPLOAD_FAILED", why;
            }
        }
        json_object_del(m->part, "data");
        json_object_set_new(m->part, "uri", json_string(rec->uri));
        free(m->uri);
        m->uri = strdup(rec->uri);
    }
    return NULL;
}

/* A job read from the inputs: its first request into a part of round 0. */
static void build_one(struct bm *b, struct job *j)
{
    struct run *r = b->r;
    json_t *gc = NULL;
    const char *why = NULL, *code = "UNSUPPORTED_IN_BATCH";
    char upl_why[600];
    if (!j->failed_build) {
        why = upload_media(b, j, &code, upl_why, sizeof upl_why);
        if (why && !strcmp(code, "INTERRUPTED")) {
            struct task *t = task_enter(r, j);
            if (t)
                task_interrupt(r, t);
            return;
        }
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
    if (why && strcmp(code, "UNSUPPORTED_IN_BATCH")) {
        task_fail(r, t, 0, code, why, NULL);
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
        FILE *f = bm_fopen(b, name);
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

/* SHA-256 of what fd holds, read a block at a time; fd is closed. -1 for a
 * descriptor < 0 or a read error. */
static int fd_digest(int fd, uint8_t sha[32])
{
    struct sha256 h;
    if (fd < 0)
        return -1;
    if (sha256_init(&h)) {
        close(fd);
        return -1;
    }
    char buf[65536];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) > 0)
        sha256_update(&h, buf, (size_t)n);
    close(fd);
    int rc = n < 0 ? -1 : 0;
    if (sha256_final(&h, sha))
        rc = -1;
    return rc;
}

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
    if (fd_digest(bm_open_at(b, name, O_RDONLY), sha)) { /* no link followed in batch/ */
        free(path);
        return GB_EIO;
    }
    struct upl *rec = uploads_add(&r->up, sha, p->bytes, "jsonl", path);
    free(path);
    if (!rec)
        return GB_ENOMEM;
    char what[64];
    snprintf(what, sizeof what, "part %d of the batch", p->n);
    int rc = upload_to_end(b, rec, what, 1);
    if (rc)
        return rc;
    bm_copy(p->file_name, sizeof p->file_name, rec->name);
    return bm_state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "uploaded", "part", p->n, "file",
                                   p->file_name));
}

/* A create whose answer was never read (an earlier run's, or lost in this
 * one: lost says which): the batch is found by its displayName (the list
 * pages through every batch of the key). 0 adopted, 1 not found, < 0 the
 * list failed (the run is aborted: nothing may be created blindly). */
static int adopt(struct bm *b, struct bm_part *p, int lost)
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
    if (lost)
        log_warn("batch: the answer to part %d's create was lost, but the batch was made (%s): "
                 "adopted, not made again", p->n, p->batch);
    else
        log_info("batch: part %d was made by an earlier run (%s): polled, not made again", p->n,
                 p->batch);
    return bm_state_line(b, json_pack("{s:s,s:i,s:s,s:b}", "ev", "created", "part", p->n, "batch",
                                   p->batch, "adopted", 1));
}

/* Whether a create that got no batch back may still have made one: only an
 * answer refusing it (4xx, 429 included) says it did not. A dropped
 * connection, a timeout, a 5xx or a body that cannot be read leave it open. */
static int maybe_made(long http)
{
    return !(http >= 400 && http < 500);
}

/* Whether the part's uploaded input file is gone (404 on its GET). */
static int input_gone(struct bm *b, const struct bm_part *p)
{
    char why[300];
    json_t *doc = NULL;
    long rc = bm_call_json(b, "GET", "%s", p->file_name, NULL, &doc, why, sizeof why);
    json_decref(doc);
    return rc == 404;
}

/* Make a part's batch. Each batch is billed: a create whose outcome is
 * unknown is never simply sent again; the batches are listed first and the
 * part's own adopted when the lost create made it. */
static int create_part(struct bm *b, struct bm_part *p)
{
    if (p->create_sent) {
        int rc = adopt(b, p, 0);
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
    long rc = 0;
    int unknown = 0; /* an attempt may have made the batch */
    const char *name = NULL;
    for (int attempt = 1;; attempt++) {
        long again_ms = -1;
        rc = bm_call_json_once(b, "POST", "%s:batchGenerateContent", path, body, attempt, &doc,
                               &again_ms, why, sizeof why);
        if (!rc && (name = jx_str(doc, "name")))
            break;
        if (!rc) { /* made, maybe, but not said: the next run adopts it */
            snprintf(why, sizeof why, "no name in its answer");
            break;
        }
        unknown |= maybe_made(rc);
        if (again_ms < 0 || bm_sleep_ms(again_ms))
            break;
        if (unknown) {
            int found = adopt(b, p, 1);
            if (found <= 0) {
                json_decref(body);
                return found;
            }
        }
    }
    json_decref(body);
    if (!name && !unknown && (rc == 400 || rc == 404) && !p->reuploaded && input_gone(b, p)) {
        /* an uploaded file is kept 48 hours: a run resumed later than that
         * after a stop between upload and create uploads the part again */
        json_decref(doc);
        log_warn("batch: part %d's uploaded input %s is gone (the Files API keeps a file 48 "
                 "hours); uploading the part again", p->n, p->file_name);
        p->reuploaded = 1;
        p->file_name[0] = '\0';
        int up = upload_part(b, p);
        return up ? up : create_part(b, p);
    }
    if (!name) {
        json_decref(doc);
        run_abort(b->r, "the Batch API did not make part %d's batch: %s", p->n, why);
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

/* A part's batch ended in state st (its results in responses, or NULL):
 * recorded, for this run and the next. */
static void part_ended(struct bm *b, struct bm_part *p, const char *st, const char *responses)
{
    bm_copy(p->state, sizeof p->state, st);
    bm_copy(p->responses, sizeof p->responses, responses);
    bm_state_line(b, json_pack("{s:s,s:i,s:s,s:s}", "ev", "ended", "part", p->n, "state", st,
                               "responses", p->responses));
}

/* One look at a batch. 1 when it ended (its state recorded), 0 when it
 * still runs, < 0 when it could not be read. */
static int poll_part(struct bm *b, struct bm_part *p, char *shown, size_t sn)
{
    char why[400];
    json_t *doc = NULL;
    long http = bm_call_json(b, "GET", "%s", p->batch, NULL, &doc, why, sizeof why);
    if (http == 404) {
        /* deleted (gembatch batches delete, or by hand): it will never
         * answer, so its jobs go by --batch-lost like those of a cancelled
         * batch, instead of being waited for on every run */
        log_warn("batch: part %d's %s is gone (%.200s); its jobs go by --batch-lost", p->n,
                 p->batch, why);
        snprintf(shown, sn, "%s", BM_STATE_GONE);
        part_ended(b, p, BM_STATE_GONE, NULL);
        return 1;
    }
    if (http) {
        snprintf(shown, sn, "unknown (%.150s)", why);
        return -1;
    }
    b->r->c.polls++;
    json_t *md = jx_obj(doc, "metadata");
    const char *st = jx_str(md, "state");
    if (!st)
        st = jx_str(doc, "state");
    snprintf(shown, sn, "%s", st ? st : "BATCH_STATE_UNSPECIFIED");
    bm_copy(p->seen, sizeof p->seen, shown);
    int ended = st && terminal(st);
    if (!ended)
        bm_crash_point("polling");
    if (ended) {
        json_t *out = jx_obj(md, "output");
        if (!out)
            out = jx_obj(doc, "response");
        part_ended(b, p, st, jx_str(out, "responsesFile"));
    }
    json_decref(doc);
    return ended;
}

/* ---- the steps, in order ---------------------------------------------------------- */

/* A state as people read it: BATCH_STATE_PENDING (or the SDKs'
 * JOB_STATE_PENDING) is "pending"; another name passes lower-cased. */
static const char *state_word(const char *st, char *out, size_t n)
{
    if (!st || !*st)
        st = "not looked at yet";
    else if (!strncmp(st, "BATCH_STATE_", 12))
        st += 12;
    else if (!strncmp(st, "JOB_STATE_", 10))
        st += 10;
    size_t i = 0;
    for (; st[i] && i + 1 < n; i++)
        out[i] = (char)(st[i] >= 'A' && st[i] <= 'Z' ? st[i] - 'A' + 'a' : st[i]);
    out[i] = '\0';
    return out;
}

/* What the last looks found, as "2 pending, 1 running" (into the run's
 * progress line too). The batches not ended are counted by state, in the
 * order first seen (a handful of distinct states at most). */
static void sum_states(struct bm *b, char *out, size_t n)
{
    char words[8][48];
    int count[8], nw = 0;
    for (size_t i = 0; i < b->nparts; i++) {
        struct bm_part *p = &b->parts[i];
        if (!p->batch[0] || p->state[0] || p->joined)
            continue;
        char w[48];
        state_word(p->seen, w, sizeof w);
        int k = 0;
        while (k < nw && strcmp(words[k], w))
            k++;
        if (k == nw && nw < 8) {
            memcpy(words[nw], w, sizeof w);
            count[nw++] = 0;
        }
        if (k < nw)
            count[k]++;
    }
    size_t len = 0;
    out[0] = '\0';
    for (int k = 0; k < nw && len < n; k++)
        len += (size_t)snprintf(out + len, n - len, "%s%d %s", k ? ", " : "", count[k], words[k]);
    bm_copy(b->r->batch_states, sizeof b->r->batch_states, out);
}

static void say_running(struct bm *b)
{
    if (b->r->cfg->quiet)
        return;
    for (size_t i = 0; i < b->nparts; i++) {
        struct bm_part *p = &b->parts[i];
        char w[48];
        if (p->batch[0] && !p->state[0])
            log_info("batch: part %d (%lld requests, %s) is %s", p->n, p->requests, p->batch,
                     state_word(p->seen, w, sizeof w));
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
    b->max_bytes = cfg->batch_max_bytes ? cfg->batch_max_bytes : CFG_BATCH_MAX_BYTES;
    b->poll_s = cfg->batch_poll_s > 0 ? cfg->batch_poll_s : BM_POLL_FIRST_S;
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
            b->poll_s = r->cfg->batch_poll_s > 0 ? r->cfg->batch_poll_s : BM_POLL_FIRST_S;
        double now = wall_s(), look = b->poll_s; /* until_s is wall-clock */
        if (until_s > 0 && now + look > until_s)
            look = until_s - now;
        if (look <= 0)
            break;
        char states[96];
        sum_states(b, states, sizeof states);
        log_info("batch: %d batch%s not ended (%s); next look in %.*f s", b->running,
                 b->running == 1 ? "" : "es", states, look < 10 ? 1 : 0, look);
        for (double waited = 0; waited < look && run_signals < 1; waited += 0.1) {
            usleep(100000);
            run_progress(r, now_ms(), 0);
        }
        b->poll_s = b->poll_s * 1.5 > BM_POLL_MAX_S ? BM_POLL_MAX_S : b->poll_s * 1.5;
    }
    if (b->running && !r->cfg->wait)
        say_running(b); /* left running for the next run */
    r->batch_states[0] = '\0';
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
        if (!p->batch[0] && p->create_sent && adopt(b, p, 0) < 0)
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
