/* run_bmode.c: Batch Mode (--mode batch). Jobs become GenerateContentRequest
 * lines in part files (OUTDIR/batch/part-NNNN.jsonl, streamed, media base64
 * from their files), each part is uploaded through the Files API and made
 * one batch (Batch API, half price), the batches are polled, and their
 * results files are downloaded and joined back to their jobs by key:
 * validated, re-asked in a next round of parts, written as result or error
 * lines. Every step is a line of OUTDIR/batch/state.jsonl, fsync'd before
 * the next step leaves, so a crash never makes a second batch for a part:
 * a create whose answer was lost is found again by its displayName. A run
 * whose batches are still running says so and exits 5; the next run (even
 * days later) polls them. Called by run.c; calls run_jobs.c and run_cost.c
 * in the engine. */
#include "run_int.h"

#include "gencontent.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#define BM_DIR "batch"
#define BM_STATE BM_DIR "/state.jsonl"
#define BM_MAX_PARTS 100000
#define BM_POLL_MAX_S 600.0

struct bm_part {
    int n;                /* 1.. */
    int round;            /* 0: the jobs' first requests; r: their r-th re-ask */
    int resubmit_of;      /* 0, or the part whose unfinished jobs this one asks again */
    char model[128];
    long long requests;
    uint64_t bytes;
    char file_name[128];  /* files/... once uploaded */
    int create_sent;      /* a create left (its answer may have been lost) */
    char batch[160];      /* batches/... once made */
    char state[48];       /* BATCH_STATE_..., once ended */
    char responses[160];  /* files/batch-... of a part that succeeded */
    int downloaded, joined;
    int synthetic;        /* its results came from the gembatch emulator */
};

/* A part being written: its requests and, beside them, what each line's job
 * is (meta: id, where it came from, where its request is in the part file,
 * its schema when it is not the pipeline's, the re-asks it had). */
struct bm_writer {
    struct bm_part *p;
    int fd, mfd;
    struct sha256 sha;
    uint64_t off;
};

struct bm {
    struct run *r;
    int state_fd;
    char folder[17];      /* this OUTDIR's own id, in every displayName */
    struct bm_part *parts;
    size_t nparts, cap;
    int built_all;        /* round 0 is wholly written into parts */
    struct bm_writer *open; /* parts being written, one per model */
    size_t nopen;
    long long per_part;   /* requests in a part at most */
    uint64_t max_bytes;   /* bytes of a part file at most */
    double poll_s;
    int running;          /* batches not ended */
    char **sources;       /* interned input names (jobs rebuilt by the join) */
    size_t nsources;
    unsigned char scratch[48 * 1024]; /* base64 of media on their way into a part */
};

/* ---- crash points for the tests -------------------------------------------------------- */

/* GEMBATCH_TEST_CRASH=POINT kills the process with SIGKILL right there, as
 * a power cut would: tests/integration/run-batch.sh proves that a resume from
 * each such point makes no second batch and loses no result. Points: a
 * state event's name (after it is on disk), "create-answered" (the batch
 * was made, its name not yet recorded), "download" (a first piece of the
 * results file written), "join" (some result lines written). */
static void crash_point(const char *point)
{
    const char *want = getenv("GEMBATCH_TEST_CRASH");
    if (want && !strcmp(want, point))
        kill(getpid(), SIGKILL);
}

/* ---- state ----------------------------------------------------------------------- */

static char *bm_path(const struct bm *b, const char *name)
{
    return fsx_join(b->r->cfg->out_dir, name);
}

static void part_file(const struct bm_part *p, const char *what, char *out, size_t n)
{
    snprintf(out, n, BM_DIR "/part-%04d%s", p->n, what);
}

/* One step, on disk before anything else happens. */
static int state_line(struct bm *b, json_t *o)
{
    char ev[32];
    snprintf(ev, sizeof ev, "%s", jx_str(o, "ev") ? jx_str(o, "ev") : "");
    char *t = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    if (!t)
        return GB_ENOMEM;
    size_t n = strlen(t);
    t[n] = '\n';
    int rc = fsx_write_all(b->state_fd, t, n + 1) || fsync(b->state_fd) ? GB_EIO : 0;
    free(t);
    if (rc)
        run_abort(b->r, "cannot write '%s/" BM_STATE "': %s", b->r->cfg->out_dir, strerror(errno));
    else
        crash_point(ev);
    return rc;
}

static struct bm_part *part_get(struct bm *b, int n)
{
    for (size_t i = 0; i < b->nparts; i++)
        if (b->parts[i].n == n)
            return &b->parts[i];
    return NULL;
}

static struct bm_part *part_new(struct bm *b)
{
    if (b->nparts == b->cap) {
        size_t c = b->cap ? b->cap * 2 : 16;
        struct bm_part *np = realloc(b->parts, c * sizeof *np);
        if (!np)
            return NULL;
        b->parts = np;
        b->cap = c;
    }
    struct bm_part *p = &b->parts[b->nparts++];
    memset(p, 0, sizeof *p);
    p->n = (int)b->nparts;
    return p;
}

static void copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Read the steps an earlier run took; a torn last line (a crash) is left. */
static int state_read(struct bm *b, struct gb_err *err)
{
    char *path = bm_path(b, BM_STATE);
    FILE *f = path ? fopen(path, "r") : NULL;
    free(path);
    if (!f)
        return 0;
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while ((len = getline(&line, &cap, f)) > 0) {
        if (line[len - 1] != '\n')
            break;
        json_t *o = json_loadb(line, (size_t)len, 0, NULL);
        const char *ev = jx_str(o, "ev");
        long long n = 0;
        jx_int(o, "part", &n);
        struct bm_part *p = n ? part_get(b, (int)n) : NULL;
        if (!ev) {
        } else if (!strcmp(ev, "folder")) {
            copy(b->folder, sizeof b->folder, jx_str(o, "id"));
        } else if (!strcmp(ev, "built")) {
            b->built_all = 1;
        } else if (!strcmp(ev, "part") && !p && n == (long long)b->nparts + 1) {
            p = part_new(b);
            if (!p) {
                json_decref(o);
                break;
            }
            long long v = 0;
            jx_int(o, "round", &v), p->round = (int)v;
            v = 0, jx_int(o, "resubmit_of", &v), p->resubmit_of = (int)v;
            jx_int(o, "requests", &p->requests);
            v = 0, jx_int(o, "bytes", &v), p->bytes = (uint64_t)v;
            copy(p->model, sizeof p->model, jx_str(o, "model"));
        } else if (p && !strcmp(ev, "uploaded")) {
            copy(p->file_name, sizeof p->file_name, jx_str(o, "file"));
        } else if (p && !strcmp(ev, "create")) {
            p->create_sent = 1;
        } else if (p && !strcmp(ev, "created")) {
            copy(p->batch, sizeof p->batch, jx_str(o, "batch"));
        } else if (p && !strcmp(ev, "ended")) {
            copy(p->state, sizeof p->state, jx_str(o, "state"));
            copy(p->responses, sizeof p->responses, jx_str(o, "responses"));
        } else if (p && !strcmp(ev, "downloaded")) {
            p->downloaded = 1;
            p->synthetic = jx_bool(o, "synthetic", 0);
        } else if (p && !strcmp(ev, "joined")) {
            p->joined = 1;
        }
        json_decref(o);
    }
    free(line);
    fclose(f);
    (void)err;
    return 0;
}

static int state_open(struct bm *b, struct gb_err *err)
{
    char *dir = bm_path(b, BM_DIR), *path = bm_path(b, BM_STATE);
    int rc = 0;
    if (!dir || !path) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    if (mkdir(dir, 0777) && errno != EEXIST) {
        rc = GB_FAIL(err, GB_EIO, "cannot make '%s': %s", dir, strerror(errno));
        goto out;
    }
    if ((rc = state_read(b, err)))
        goto out;
    b->state_fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (b->state_fd < 0) {
        rc = GB_FAIL(err, GB_EIO, "cannot write '%s': %s", path, strerror(errno));
        goto out;
    }
    if (!b->folder[0]) {
        fsx_random_hex(b->folder, 16);
        rc = state_line(b, json_pack("{s:s,s:s}", "ev", "folder", "id", b->folder));
    }
out:
    free(dir);
    free(path);
    return rc;
}

/* What a part's batch is called: the pipeline, this OUTDIR and the part, so
 * a resumed run finds its own batch again and never another folder's. */
static void display_name(const struct bm *b, const struct bm_part *p, char *out, size_t n)
{
    snprintf(out, n, "gembatch-%.12s-%s-%04d", b->r->pipe->digest, b->folder, p->n);
}

/* ---- HTTP, one call at a time ------------------------------------------------------- */

/* Run op to its end (the loop is not needed: a batch's own calls are few).
 * The op is given back finished; NULL when interrupted. */
static struct op *call(struct bm *b, struct op *op)
{
    struct run *r = b->r;
    if (xfer_add(&r->xf, op)) {
        op_free(op);
        return NULL;
    }
    for (;;) {
        if (run_signals >= 2) {
            xfer_cancel(&r->xf, op);
            op_free(op);
            return NULL;
        }
        xfer_poll(&r->xf, 100, NULL, 0);
        struct op *d = xfer_next_done(&r->xf);
        if (d)
            return d;
    }
}

static struct op *json_op(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                          const json_t *body)
{
    size_t n = strlen(b->r->base_url) + strlen(url_fmt) + (arg ? strlen(arg) : 0) + 8;
    char *url = malloc(n);
    if (!url)
        return NULL;
    snprintf(url, n, "%s/", b->r->base_url);
    size_t l = strlen(url);
    snprintf(url + l, n - l, url_fmt, arg ? arg : "");
    struct op *op = op_new(&b->r->xf, 0, NULL, method, url);
    if (!op)
        return NULL;
    op->timeout_ms = 120000;
    if (body) {
        char *t = json_dumps(body, JSON_COMPACT);
        if (!t || body_from_text(&op->body, t, strlen(t))) {
            free(t);
            op_free(op);
            return NULL;
        }
        free(t);
        op->has_body = 1;
    }
    return op;
}

/* A call whose answer is JSON: 0 with *doc (new), or the HTTP status (or -1
 * without one) with why filled. Retries what retry.c says to retry. */
static long call_json(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                      const json_t *body, json_t **doc, char *why, size_t wn)
{
    struct run *r = b->r;
    *doc = NULL;
    for (int attempt = 1;; attempt++) {
        struct op *op = json_op(b, method, url_fmt, arg, body);
        if (!op || !(op = call(b, op))) {
            snprintf(why, wn, "%s", run_signals >= 2 ? "interrupted" : "out of memory");
            return -1;
        }
        struct outcome o = {OC_OK, op->http, -1, op->retry_after[0] ? op->retry_after : NULL};
        struct api_error ae = {0};
        if (op->cc != CURLE_OK) {
            o.cls = OC_NET;
            snprintf(why, wn, "%s", op->errbuf[0] ? op->errbuf : curl_easy_strerror(op->cc));
        } else if (op->http >= 200 && op->http < 300) {
            *doc = json_loadb(op->resp.data ? op->resp.data : "{}", op->resp.len, 0, NULL);
            if (!*doc) {
                o.cls = OC_BAD_BODY;
                snprintf(why, wn, "the answer is not JSON");
            }
        } else {
            o.cls = OC_HTTP;
            resp_parse_error(op->resp.data, op->resp.len, op->http, &ae);
            o.retry_info_ms = ae.retry_delay_ms;
            snprintf(why, wn, "HTTP %ld %s: %.300s", op->http, ae.status, ae.message);
        }
        if (op->http > 0 && op->http < 600)
            r->c.http[op->http]++;
        r->c.attempts++;
        long http = op->http;
        op_free(op);
        if (*doc)
            return 0;
        long delay = 0;
        enum verdict v = retry_decide(&r->policy, &o, attempt, run_rnd(r), &delay);
        if (v != V_RETRY)
            return http ? http : -1;
        r->c.retries++;
        log_debug("batch: %s %s: %s; again in %ld ms", method, url_fmt, why, delay);
        for (long waited = 0; waited < delay && run_signals < 1; waited += 100)
            usleep(100000);
        if (run_signals >= 1)
            return -1;
    }
}

/* ---- building parts ---------------------------------------------------------------- */

static int writer_open(struct bm *b, struct bm_writer *w, struct bm_part *p)
{
    char name[64];
    w->p = p;
    w->off = 0;
    part_file(p, ".jsonl", name, sizeof name);
    char *path = bm_path(b, name);
    part_file(p, ".meta.jsonl", name, sizeof name);
    char *mpath = bm_path(b, name);
    w->fd = path ? open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;
    w->mfd = mpath ? open(mpath, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666) : -1;
    free(path);
    free(mpath);
    if (w->fd < 0 || w->mfd < 0 || sha256_init(&w->sha))
        return GB_EIO;
    return 0;
}

/* A part is whole: on disk, then in the state file (from then on it is sent). */
static int writer_close(struct bm *b, struct bm_writer *w)
{
    struct bm_part *p = w->p;
    uint8_t d[32];
    char hex[65];
    int rc = fsync(w->fd) || fsync(w->mfd) ? GB_EIO : 0;
    close(w->fd);
    close(w->mfd);
    sha256_final(&w->sha, d);
    sha256_hex(d, hex);
    p->bytes = w->off;
    if (!rc)
        rc = state_line(b, json_pack("{s:s,s:i,s:i,s:i,s:s,s:I,s:I,s:s}", "ev", "part", "part", p->n,
                                     "round", p->round, "resubmit_of", p->resubmit_of, "model",
                                     p->model, "requests", (json_int_t)p->requests, "bytes",
                                     (json_int_t)p->bytes, "sha256", hex));
    return rc;
}

/* Copy a request body (segments: JSON text and files base64-encoded on the
 * fly) into the part file. */
static int write_body(struct bm_writer *w, struct body *body)
{
    char buf[65536];
    size_t n;
    while ((n = body_read(buf, 1, sizeof buf, body)) > 0) {
        if (n == CURL_READFUNC_ABORT)
            return GB_EIO;
        if (fsx_write_all(w->fd, buf, n))
            return GB_EIO;
        sha256_update(&w->sha, buf, n);
        w->off += n;
    }
    return 0;
}

static struct bm_writer *writer_for(struct bm *b, const char *model, int round, int resubmit_of)
{
    for (size_t i = 0; i < b->nopen; i++)
        if (!strcmp(b->open[i].p->model, model) && b->open[i].p->round == round &&
            b->open[i].p->resubmit_of == resubmit_of)
            return &b->open[i];
    if (b->nparts >= BM_MAX_PARTS)
        return NULL;
    struct bm_writer *nw = realloc(b->open, (b->nopen + 1) * sizeof *nw);
    if (!nw)
        return NULL;
    b->open = nw;
    /* part_new may move b->parts: the writers' part pointers are refreshed */
    size_t idx[64];
    size_t keep = b->nopen < 64 ? b->nopen : 64;
    for (size_t i = 0; i < keep; i++)
        idx[i] = (size_t)(b->open[i].p - b->parts);
    struct bm_part *p = part_new(b);
    for (size_t i = 0; i < keep; i++)
        b->open[i].p = &b->parts[idx[i]];
    if (!p)
        return NULL;
    copy(p->model, sizeof p->model, model);
    p->round = round;
    p->resubmit_of = resubmit_of;
    struct bm_writer *w = &b->open[b->nopen];
    if (writer_open(b, w, p))
        return NULL;
    b->nopen++;
    return w;
}

static int writer_done(struct bm *b, struct bm_writer *w)
{
    int rc = writer_close(b, w);
    size_t i = (size_t)(w - b->open);
    memmove(&b->open[i], &b->open[i + 1], (b->nopen - i - 1) * sizeof *b->open);
    b->nopen--;
    return rc;
}

static int close_all(struct bm *b)
{
    int rc = 0;
    while (b->nopen && !rc)
        rc = writer_done(b, &b->open[b->nopen - 1]);
    return rc;
}

/* Add one request line (its text already made: key and request, media as
 * placeholders of job) and its meta line. */
static int add_line(struct bm *b, const char *model, int round, int resubmit_of, json_t *line,
                    const struct job *j, json_t *meta)
{
    struct bm_writer *w = writer_for(b, model, round, resubmit_of);
    if (!w)
        return GB_ENOMEM;
    static const struct job none; /* a line read back from a part: no placeholders left */
    if (!j)
        j = &none;
    struct body body;
    body_init(&body, b->scratch, sizeof b->scratch);
    struct gb_err e = {0};
    uint64_t start = w->off;
    int rc = body_from_request(&body, &b->r->jctx, line, j, &e);
    if (!rc)
        rc = write_body(w, &body);
    body_free(&body);
    if (!rc && fsx_write_all(w->fd, "\n", 1))
        rc = GB_EIO;
    if (rc)
        return rc;
    sha256_update(&w->sha, "\n", 1);
    w->off++;
    json_object_set_new(meta, "off", json_integer((json_int_t)start));
    json_object_set_new(meta, "len", json_integer((json_int_t)(w->off - start - 1)));
    char *mt = json_dumps(meta, JSON_COMPACT);
    rc = mt && !fsx_write_all(w->mfd, mt, strlen(mt)) && !fsx_write_all(w->mfd, "\n", 1) ? 0 : GB_EIO;
    free(mt);
    w->p->requests++;
    if (!rc && (w->p->requests >= b->per_part || w->off >= b->max_bytes))
        rc = writer_done(b, w);
    return rc;
}

static const char *model_of(const json_t *req, const struct config *cfg)
{
    const char *m = cfg->model ? cfg->model : jx_str(req, "model");
    return m ? m : "";
}

/* A job read from the inputs: its first request into a part of round 0. */
static void build_one(struct bm *b, struct job *j)
{
    struct run *r = b->r;
    struct task *t = task_enter(r, j);
    if (!t)
        return;
    if (j->failed_build) {
        task_fail(r, t, 0, j->build_err.code == GB_ENOENT ? "NOT_FOUND" : "INVALID_INPUT",
                  j->build_err.msg, NULL);
        return;
    }
    for (size_t i = 0; i < j->nmedia; i++)
        if (j->media[i].upload) {
            task_fail(r, t, 0, "UNSUPPORTED_IN_BATCH",
                      "a media file too large to go inline: Batch Mode sends media inline (use "
                      "--mode online for it)",
                      NULL);
            return;
        }
    json_t *gc = NULL;
    const char *why = NULL;
    if (gc_request(j->req, j->schema_doc, &gc, &why)) {
        char msg[300];
        snprintf(msg, sizeof msg, "the Batch API cannot express %s; run it with --mode online",
                 why);
        task_fail(r, t, 0, "UNSUPPORTED_IN_BATCH", msg, NULL);
        return;
    }
    j->est_tokens = req_estimate_tokens(j->req, j);
    if (cost_reserve(r, t, TIER_BATCH) != BUDGET_OK) {
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
    int rc = add_line(b, model_of(j->req, r->cfg), 0, 0, line, j, meta);
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
        char name[64];
        part_file(&b->parts[i], ".meta.jsonl", name, sizeof name);
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

static void build(struct bm *b)
{
    struct run *r = b->r;
    struct dset inparts;
    dset_init(&inparts);
    ids_in_parts(b, &inparts);
    struct job *j;
    while (!r->stopping && !r->budget_stop && (j = run_next_job(r))) {
        if (r->cfg->shard_n &&
            j->digest % (uint64_t)r->cfg->shard_n != (uint64_t)(r->cfg->shard_k - 1))
            job_skip(r, j, SKIP_SHARD);
        else if (dset_add(&r->seen, j->digest) == 0)
            job_skip(r, j, SKIP_DUPLICATE);
        else if (dset_has(&r->res.done, j->digest))
            job_skip(r, j, SKIP_DONE);
        else if (dset_has(&inparts, j->digest))
            job_skip(r, j, SKIP_IN_BATCH);
        else
            build_one(b, j);
        if (run_signals >= 1)
            r->stopping = r->interrupted = 1;
    }
    dset_free(&inparts);
    if (close_all(b) == 0 && !r->stopping && !r->budget_stop && r->inputs_done)
        if (state_line(b, json_pack("{s:s}", "ev", "built")) == 0)
            b->built_all = 1;
}

/* ---- sending: upload, create, poll ---------------------------------------------- */

static int upload_part(struct bm *b, struct bm_part *p)
{
    struct run *r = b->r;
    char name[64];
    part_file(p, ".jsonl", name, sizeof name);
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
        if (!op || !(op = call(b, op)))
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
    copy(p->file_name, sizeof p->file_name, rec->name);
    return state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "uploaded", "part", p->n, "file",
                                   p->file_name));
}

/* A create whose answer an earlier run never read: the batch is found by
 * its displayName (the list pages through every batch of the key). */
static int adopt(struct bm *b, struct bm_part *p)
{
    char want[128], why[400], url[600];
    display_name(b, p, want, sizeof want);
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
        long rc = call_json(b, "GET", "%s", url, NULL, &doc, why, sizeof why);
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
                copy(p->batch, sizeof p->batch, jx_str(op, "name"));
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
    return state_line(b, json_pack("{s:s,s:i,s:s,s:b}", "ev", "created", "part", p->n, "batch",
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
    display_name(b, p, dn, sizeof dn);
    if (state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "create", "part", p->n, "display_name", dn)))
        return GB_EIO;
    p->create_sent = 1;
    json_t *body = json_pack("{s:{s:s,s:{s:s}}}", "batch", "displayName", dn, "inputConfig",
                             "fileName", p->file_name);
    snprintf(path, sizeof path, "%s%s", strncmp(p->model, "models/", 7) ? "models/" : "",
             p->model);
    json_t *doc = NULL;
    long rc = call_json(b, "POST", "%s:batchGenerateContent", path, body, &doc, why, sizeof why);
    json_decref(body);
    const char *name = jx_str(doc, "name");
    if (rc || !name) {
        json_decref(doc);
        run_abort(b->r, "the Batch API did not make part %d's batch: %s", p->n,
                  rc ? why : "no name in its answer");
        return GB_ENET;
    }
    copy(p->batch, sizeof p->batch, name);
    json_decref(doc);
    crash_point("create-answered");
    return state_line(b, json_pack("{s:s,s:i,s:s}", "ev", "created", "part", p->n, "batch",
                                   p->batch));
}

static int terminal(const char *state)
{
    return !strcmp(state, "BATCH_STATE_SUCCEEDED") || !strcmp(state, "BATCH_STATE_FAILED") ||
           !strcmp(state, "BATCH_STATE_CANCELLED") || !strcmp(state, "BATCH_STATE_EXPIRED") ||
           !strcmp(state, "JOB_STATE_SUCCEEDED") || !strcmp(state, "JOB_STATE_FAILED") ||
           !strcmp(state, "JOB_STATE_CANCELLED") || !strcmp(state, "JOB_STATE_EXPIRED");
}

static int succeeded(const char *state)
{
    return strstr(state, "_SUCCEEDED") != NULL;
}

/* One look at a batch. 1 when it ended (its state recorded), 0 when it
 * still runs, < 0 when it could not be read. */
static int poll_part(struct bm *b, struct bm_part *p, char *shown, size_t sn)
{
    char why[400];
    json_t *doc = NULL;
    if (call_json(b, "GET", "%s", p->batch, NULL, &doc, why, sizeof why)) {
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
    if (ended) {
        json_t *out = jx_obj(md, "output");
        if (!out)
            out = jx_obj(doc, "response");
        copy(p->state, sizeof p->state, st);
        copy(p->responses, sizeof p->responses, jx_str(out, "responsesFile"));
        state_line(b, json_pack("{s:s,s:i,s:s,s:s}", "ev", "ended", "part", p->n, "state", st,
                                "responses", p->responses));
    }
    json_decref(doc);
    return ended;
}

/* ---- results ------------------------------------------------------------------------- */

struct dl_ctx {
    int fd;
    int failed;
};

static int on_download(struct op *op, const char *p, size_t n)
{
    struct dl_ctx *d = op->data_ctx;
    long http = 0;
    curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &http);
    if (http < 200 || http >= 300)
        return buf_append(&op->resp, p, n) ? 1 : 0;
    xfer_op_release(op, n); /* straight to the file: nothing is held */
    if (fsx_write_all(d->fd, p, n)) {
        d->failed = 1;
        return 1;
    }
    crash_point("download");
    return 0;
}

/* The results file, streamed to batch/part-NNNN.out.jsonl (a temporary
 * name until it is whole). Both download paths are tried. */
static int download_part(struct bm *b, struct bm_part *p)
{
    char name[64], tmpname[80];
    part_file(p, ".out.jsonl", name, sizeof name);
    snprintf(tmpname, sizeof tmpname, "%s.part", name);
    char *path = bm_path(b, name), *tmp = bm_path(b, tmpname);
    const char *id = strncmp(p->responses, "files/", 6) ? p->responses : p->responses + 6;
    int rc = GB_ENET;
    for (int way = 0; way < 2 && rc; way++) {
        struct dl_ctx d = {open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0666), 0};
        if (d.fd < 0) {
            rc = GB_EIO;
            break;
        }
        size_t n = strlen(b->r->base_url) + strlen(id) + 64;
        char *url = malloc(n);
        if (url && way) { /* the /download/ path hangs off the endpoint, not the version */
            snprintf(url, n, "%s", b->r->base_url);
            char *v = strrchr(url, '/');
            if (v)
                *v = '\0';
            size_t l = strlen(url);
            snprintf(url + l, n - l, "/download/%s/files/%s:download?alt=media",
                     b->r->cfg->dialect == DIALECT_V1 ? "v1" : "v1beta", id);
        } else if (url) {
            snprintf(url, n, "%s/files/%s:download?alt=media", b->r->base_url, id);
        }
        struct op *op = url ? op_new(&b->r->xf, 0, NULL, "GET", url) : NULL;
        if (op) {
            op->on_data = on_download;
            op->data_ctx = &d;
            op->timeout_ms = 0;
            op->low_speed_time_s = 120;
            op = call(b, op);
        }
        if (op && op->cc == CURLE_OK && op->http >= 200 && op->http < 300 && !d.failed &&
            !fsync(d.fd))
            rc = 0;
        if (op) {
            b->r->c.attempts++;
            p->synthetic |= op->synthetic;
            if (op->http > 0 && op->http < 600)
                b->r->c.http[op->http]++;
        }
        op_free(op);
        close(d.fd);
    }
    if (!rc && rename(tmp, path))
        rc = GB_EIO;
    if (rc)
        unlink(tmp);
    free(path);
    free(tmp);
    if (rc)
        return rc;
    p->downloaded = 1;
    return state_line(b, json_pack("{s:s,s:i,s:b}", "ev", "downloaded", "part", p->n, "synthetic",
                                   p->synthetic));
}

static const char *intern_source(struct bm *b, const char *s)
{
    if (!s)
        s = "";
    for (size_t i = 0; i < b->nsources; i++)
        if (!strcmp(b->sources[i], s))
            return b->sources[i];
    char **ns = realloc(b->sources, (b->nsources + 1) * sizeof *ns);
    if (!ns)
        return "";
    b->sources = ns;
    ns[b->nsources] = strdup(s);
    return ns[b->nsources] ? ns[b->nsources++] : "";
}

/* The request line a meta line points at (for a re-ask). New, or NULL. */
static json_t *request_of(struct bm *b, const struct bm_part *p, const json_t *meta)
{
    long long off = 0, len = 0;
    jx_int(meta, "off", &off);
    jx_int(meta, "len", &len);
    char name[64];
    part_file(p, ".jsonl", name, sizeof name);
    char *path = bm_path(b, name);
    int fd = path ? open(path, O_RDONLY | O_CLOEXEC) : -1;
    free(path);
    char *buf = fd >= 0 && len > 0 ? malloc((size_t)len) : NULL;
    json_t *o = NULL;
    if (buf && fsx_pread_full(fd, buf, (size_t)len, (off_t)off) == (ssize_t)len)
        o = json_loadb(buf, (size_t)len, 0, NULL);
    free(buf);
    if (fd >= 0)
        close(fd);
    return o;
}

/* A re-ask: the same request with the model's answer and what was wrong
 * with it, in a part of the next round. */
static int reask(struct bm *b, const struct bm_part *p, const json_t *meta, const struct task *t,
                 const char *text, const json_t *errors, const char *parse_error, long long reasks)
{
    json_t *line = request_of(b, p, meta);
    json_t *contents = jx_arr(jx_obj(line, "request"), "contents");
    if (!contents) {
        json_decref(line);
        return GB_EIO;
    }
    json_t *fix = followup_correction(errors, parse_error);
    json_array_append_new(contents, json_pack("{s:s,s:[{s:s}]}", "role", "model", "parts", "text",
                                              text ? text : ""));
    json_array_append_new(contents, json_pack("{s:s,s:[{s:O}]}", "role", "user", "parts", "text", fix));
    json_decref(fix);
    json_t *m = json_deep_copy(meta);
    json_object_set_new(m, "reasks", json_integer(reasks + 1));
    /* what the rounds so far used and cost, for the job's one line at the end */
    json_object_set_new(m, "prev",
                        json_pack("{s:I,s:I,s:I,s:I,s:f,s:b}", "in", (json_int_t)t->tok.in, "out",
                                  (json_int_t)t->tok.out, "total", (json_int_t)t->tok.total, "thought",
                                  (json_int_t)t->tok.thought, "usd", t->cost_usd, "known",
                                  t->cost_known));
    json_object_del(m, "off");
    json_object_del(m, "len");
    int rc = add_line(b, p->model, p->round + 1, 0, line, NULL, m);
    json_decref(line);
    json_decref(m);
    return rc;
}

/* Images of an answer, written now (a join is not the transfer loop). */
static int write_images(struct run *r, struct task *t, const json_t *outputs)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach (outputs, i, it)
        if (jx_str(it, "type") && !strcmp(jx_str(it, "type"), "image") && jx_str(it, "data"))
            n++;
    if (!n)
        return 0;
    const char *status = NULL;
    char msg[300];
    if (sink_images_admit(&r->sink, n, &status, msg, sizeof msg)) {
        task_fail(r, t, 0, status, msg, NULL);
        return -1;
    }
    t->files = json_array();
    json_array_foreach (outputs, i, it) {
        const char *d = jx_str(it, "data"), *ty = jx_str(it, "type"), *mime = jx_str(it, "mime_type");
        if (!ty || strcmp(ty, "image") || !d)
            continue;
        size_t len = strlen(d);
        unsigned char *buf = malloc(b64_dec_max(len));
        long long got = buf ? b64_decode(d, len, buf) : -1;
        char *rel = NULL;
        const char *ext = mime && !strcmp(mime, "image/jpeg") ? "jpg"
                          : mime && !strcmp(mime, "image/webp") ? "webp"
                                                                : "png";
        if (got > 0 && sink_image(&r->sink, t->job->id, (int)json_array_size(t->files), buf,
                                  (size_t)got, ext, &rel) == 0)
            json_array_append_new(t->files, json_string(rel));
        free(buf);
        free(rel);
        if (got <= 0) {
            task_fail(r, t, 502, "BAD_RESPONSE", "the answer carried an image that is not valid base64",
                      NULL);
            return -1;
        }
    }
    return 0;
}

/* One result line of a part, back to its job. */
static void join_line(struct bm *b, struct bm_part *p, const json_t *meta, const json_t *res)
{
    struct run *r = b->r;
    const char *id = jx_str(meta, "id");
    long long line = 0, reasks = 0;
    jx_int(meta, "line", &line);
    jx_int(meta, "reasks", &reasks);
    struct job *j = job_stub(intern_source(b, jx_str(meta, "input")), id, (long)line,
                             jx_str(meta, "entry"));
    if (!j)
        return;
    j->digest = hash64(id, strlen(id), 0);
    struct gb_err e = {0};
    json_t *rf = json_object_get(meta, "rf");
    if (rf) {
        json_object_set(j->req, "response_format", rf);
        job_shape_request(&r->jctx, j, j->req, &e);
    } else {
        j->schema_doc = r->pipe->schema_doc;
        j->schema = r->pipe->schema;
    }
    json_object_set_new(j->req, "model", json_string(p->model));
    struct task *t = task_enter(r, j);
    if (!t)
        return;
    t->reasks = (int)reasks;
    t->kind = reasks ? KIND_REASK : KIND_FIRST;
    t->tier_sent = TIER_BATCH;
    t->joined = 1;
    if (p->synthetic || r->cfg->emulator) {
        if (r->folder_real) {
            run_abort(r, "the batches of this run were answered by the gembatch emulator, but "
                      "'%s' holds answers of a real endpoint: synthetic answers must not join "
                      "them; use another -o", r->cfg->out_dir);
            task_interrupt(r, t); /* not written: joined again on resume */
            return;
        }
        t->synthetic = r->synthetic_seen = 1;
    }
    t->attempts = 1;
    t->total_attempts = 1 + (int)reasks; /* a request per round */
    /* the job was counted when it went into a part (as a job of that run,
     * or as one in_batches_before) */
    r->c.jobs--;
    json_t *prev = json_object_get(meta, "prev");
    if (prev) {
        jx_int(prev, "in", &t->tok.in);
        jx_int(prev, "out", &t->tok.out);
        jx_int(prev, "total", &t->tok.total);
        jx_int(prev, "thought", &t->tok.thought);
        t->cost_usd = json_real_value(json_object_get(prev, "usd"));
        t->cost_known = json_is_true(json_object_get(prev, "known"));
    }
    json_t *doc = gc_interaction(json_object_get(res, "response"), json_object_get(res, "error"),
                                 p->model, p->batch);
    struct interaction it = {0};
    struct gb_err pe = {0};
    if (!doc || resp_from_json(doc, &it, &pe)) {
        task_fail(r, t, 502, "BAD_RESPONSE", "the batch's result line is not a response", NULL);
        interaction_free(&it);
        return;
    }
    double usd = cost_answered(r, t, &it, NULL);
    task_add_usage(r, t, &it, usd);
    if (strcmp(it.status, "completed") && strcmp(it.status, "requires_action")) {
        json_t *errs = jx_arr(it.doc, "errors");
        const char *msg = jx_str(json_array_get(errs, 0), "message");
        json_decref(t->cont.outputs);
        t->cont.outputs = json_incref(it.outputs);
        task_fail(r, t, json_object_get(res, "error") ? 500 : 0,
                  !strcmp(it.status, "incomplete") ? "INCOMPLETE" : "FAILED",
                  msg ? msg : "the batch could not answer this request", NULL);
        interaction_free(&it);
        return;
    }
    if (write_images(r, t, it.outputs)) {
        interaction_free(&it);
        return;
    }
    char *text = resp_text(it.outputs);
    json_t *output = NULL, *errors = NULL;
    json_error_t je;
    const char *parse_error = NULL;
    if (j->schema && !strcmp(it.status, "completed")) {
        output = json_loads(text ? text : "", JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!output) {
            parse_error = je.text;
            errors = json_pack("[{s:s,s:s,s:s+}]", "instance_path", "", "schema_path", "",
                               "message", "not JSON: ", je.text);
        } else if (schema_validate(j->schema, output, &errors, 20) != 1) {
            json_decref(output);
            output = NULL;
        }
        if (!output) {
            if (reasks < r->cfg->reask && reask(b, p, meta, t, text, errors, parse_error, reasks) == 0) {
                r->c.reasks++;
                task_defer(r, t);
            } else {
                r->c.schema_failed++;
                char msg[300];
                snprintf(msg, sizeof msg, "the answer does not match the response_format schema "
                         "after %lld re-ask%s", reasks, reasks == 1 ? "" : "s");
                json_t *extra = json_pack("{s:O?,s:s}", "errors", errors, "text", text ? text : "");
                task_fail(r, t, 422, "SCHEMA_VIOLATION", msg, extra);
                json_decref(extra);
            }
            json_decref(errors);
            free(text);
            interaction_free(&it);
            return;
        }
    }
    if (reasks)
        t->reasks = (int)reasks;
    task_complete(r, t, &it, text ? text : "", output);
    json_decref(output);
    free(text);
    interaction_free(&it);
}

/* Meta lines of a part by key, for results that do not come in input order
 * (the reference says they do; nothing depends on it). */
struct meta_index {
    struct dmap at; /* id digest -> offset + 1 in the meta file (a part's meta file
                     * stays far below 4 GiB: a line per request, a part a few
                     * hundred thousand requests at most) */
    int built;
};

static json_t *meta_lookup(FILE *mf, struct meta_index *mi, const char *key)
{
    if (!mi->built) {
        rewind(mf);
        char *line = NULL;
        size_t cap = 0;
        long off = 0;
        ssize_t n;
        while ((n = getline(&line, &cap, mf)) > 0) {
            json_t *o = json_loadb(line, (size_t)n, 0, NULL);
            const char *id = jx_str(o, "id");
            if (id)
                dmap_put(&mi->at, hash64(id, strlen(id), 0), (uint32_t)off + 1);
            json_decref(o);
            off += (long)n;
        }
        free(line);
        mi->built = 1;
    }
    long long at = (long long)dmap_get(&mi->at, hash64(key, strlen(key), 0));
    if (!at || fseek(mf, (long)(at - 1), SEEK_SET))
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    json_t *o = getline(&line, &cap, mf) > 0 ? json_loads(line, 0, NULL) : NULL;
    free(line);
    return o;
}

static int join_part(struct bm *b, struct bm_part *p)
{
    struct run *r = b->r;
    char name[64];
    part_file(p, ".out.jsonl", name, sizeof name);
    char *opath = bm_path(b, name);
    part_file(p, ".meta.jsonl", name, sizeof name);
    char *mpath = bm_path(b, name);
    FILE *of = opath ? fopen(opath, "r") : NULL, *mf = mpath ? fopen(mpath, "r") : NULL;
    free(opath);
    free(mpath);
    if (!of || !mf) {
        if (of)
            fclose(of);
        if (mf)
            fclose(mf);
        return GB_EIO;
    }
    struct meta_index mi = {0};
    long joined = 0;
    char *line = NULL, *mline = NULL;
    size_t cap = 0, mcap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, of)) > 0 && !r->aborting) {
        json_t *res = json_loadb(line, (size_t)n, 0, NULL);
        const char *key = jx_str(res, "key");
        if (!key) {
            json_decref(res);
            continue;
        }
        json_t *meta = NULL;
        if (!mi.built && getline(&mline, &mcap, mf) > 0) { /* in input order, as documented */
            meta = json_loads(mline, 0, NULL);
            if (!jx_str(meta, "id") || strcmp(jx_str(meta, "id"), key)) {
                json_decref(meta);
                meta = NULL;
            }
        }
        if (!meta)
            meta = meta_lookup(mf, &mi, key);
        if (meta && !dset_has(&r->res.done, hash64(key, strlen(key), 0))) {
            join_line(b, p, meta, res);
            if (++joined == 5) {
                sink_sync(&r->sink, 0, 1);
                crash_point("join");
            }
        }
        json_decref(meta);
        json_decref(res);
        sink_sync(&r->sink, now_ms(), 0);
    }
    free(line);
    free(mline);
    if (mi.built)
        dmap_free(&mi.at);
    fclose(of);
    fclose(mf);
    if (r->aborting)
        return GB_EIO;
    if (close_all(b)) /* the re-asks this part made: a part of the next round */
        return GB_EIO;
    sink_sync(&r->sink, 0, 1);
    p->joined = 1;
    return state_line(b, json_pack("{s:s,s:i}", "ev", "joined", "part", p->n));
}

/* A batch that ended without results (expired, failed, cancelled): its jobs
 * are asked once more in a new part, or reported. */
static int settle_lost(struct bm *b, struct bm_part *p)
{
    struct run *r = b->r;
    int again = !p->resubmit_of && strstr(p->state, "_CANCELLED") == NULL;
    char name[64];
    part_file(p, ".meta.jsonl", name, sizeof name);
    char *mpath = bm_path(b, name);
    FILE *mf = mpath ? fopen(mpath, "r") : NULL;
    free(mpath);
    if (!mf)
        return GB_EIO;
    char *line = NULL;
    size_t cap = 0;
    int resubmitted = 0;
    while (getline(&line, &cap, mf) > 0) {
        json_t *meta = json_loads(line, 0, NULL);
        const char *id = jx_str(meta, "id");
        if (!id || dset_has(&r->res.done, hash64(id, strlen(id), 0))) {
            json_decref(meta);
            continue;
        }
        if (again) {
            json_t *req = request_of(b, p, meta);
            json_t *m = json_deep_copy(meta);
            json_object_del(m, "off");
            json_object_del(m, "len");
            if (req && add_line(b, p->model, p->round, p->n, req, NULL, m) == 0)
                resubmitted++;
            json_decref(req);
            json_decref(m);
        } else {
            long long ln = 0;
            jx_int(meta, "line", &ln);
            struct job *j = job_stub(intern_source(b, jx_str(meta, "input")), id, (long)ln,
                                     jx_str(meta, "entry"));
            struct task *t = j ? task_enter(r, j) : NULL;
            if (t) {
                char msg[300];
                snprintf(msg, sizeof msg, "its batch (%s) ended %s%s", p->batch, p->state,
                         p->resubmit_of ? " twice" : "");
                task_fail(r, t, 0, strstr(p->state, "_EXPIRED")     ? "BATCH_EXPIRED"
                                   : strstr(p->state, "_CANCELLED") ? "BATCH_CANCELLED"
                                                                    : "BATCH_FAILED",
                          msg, NULL);
            }
        }
        json_decref(meta);
    }
    free(line);
    fclose(mf);
    if (close_all(b))
        return GB_EIO;
    if (resubmitted)
        log_warn("batch: part %d ended %s; its %d unfinished jobs are asked again in a new part",
                 p->n, p->state, resubmitted);
    p->joined = 1;
    return state_line(b, json_pack("{s:s,s:i,s:i}", "ev", "joined", "part", p->n, "resubmitted",
                                   resubmitted));
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
        if (!p->file_name[0]) {
            if (upload_part(b, p))
                return moved;
            moved = 1;
            p = &b->parts[i];
        }
        if (!p->batch[0]) {
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
        if (succeeded(p->state) && p->responses[0]) {
            if (!p->downloaded && download_part(b, p))
                return moved;
            if (join_part(b, p))
                return moved;
        } else if (settle_lost(b, p)) {
            return moved;
        }
        moved = 1;
    }
    return moved;
}

int run_bmode(struct run *r)
{
    const struct config *cfg = r->cfg;
    struct bm b = {0};
    b.r = r;
    b.state_fd = -1;
    b.per_part = cfg->batch_requests > 0 ? cfg->batch_requests : 100000;
    b.max_bytes = cfg->batch_max_bytes ? cfg->batch_max_bytes : (2000ull << 20);
    b.poll_s = cfg->poll_initial_s > 0 ? cfg->poll_initial_s : 60;
    struct gb_err err = {0};
    if (state_open(&b, &err)) {
        run_abort(r, "%s", err.msg);
        goto out;
    }
    if (!b.built_all)
        build(&b);
    while (!r->aborting && run_signals < 1) {
        int moved = advance(&b);
        if (!b.running || r->aborting)
            break;
        if (!cfg->wait) {
            say_running(&b);
            r->batches_running = b.running;
            break;
        }
        if (moved)
            b.poll_s = cfg->poll_initial_s > 0 ? cfg->poll_initial_s : 60;
        log_debug("batch: %d batches running; next look in %.0f s", b.running, b.poll_s);
        for (double waited = 0; waited < b.poll_s && run_signals < 1; waited += 0.1) {
            usleep(100000);
            run_progress(r, now_ms(), 0);
        }
        b.poll_s = b.poll_s * 1.5 > BM_POLL_MAX_S ? BM_POLL_MAX_S : b.poll_s * 1.5;
    }
    if (run_signals >= 1)
        r->interrupted = 1;
out:
    close_all(&b);
    if (b.state_fd >= 0)
        close(b.state_fd);
    for (size_t i = 0; i < b.nsources; i++)
        free(b.sources[i]);
    free(b.sources);
    free(b.open);
    free(b.parts);
    return 0;
}
