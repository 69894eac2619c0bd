/* run_bpart.c: Batch Mode's lower half: the state file (every step a line
 * of OUTDIR/batch/state.jsonl, fsync'd before the next step leaves), the
 * part files being written (a request line and, beside it, a meta line
 * saying whose it is), and one HTTP call at a time for the Batch and Files
 * APIs' few calls. Called by run_bmode.c and run_bjoin.c; calls run_jobs.c. */
#include "run_bm.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- crash points for the tests -------------------------------------------------------- */

/* GEMBATCH_TEST_CRASH=POINT kills the process with SIGKILL right there, as
 * a power cut would: tests/integration/run-batch.sh proves that a resume from
 * each such point makes no second batch and loses no result. Points: a
 * state event's name (after it is on disk), "create-answered" (the batch
 * was made, its name not yet recorded), "download" (a first piece of the
 * results file written), "join" (some result lines written), "polling" (a
 * look at a batch found it still running), "online" (the online pass has
 * taken 100 jobs). */
void bm_crash_point(const char *point)
{
    const char *want = getenv("GEMBATCH_TEST_CRASH");
    if (want && !strcmp(want, point))
        kill(getpid(), SIGKILL);
}

/* ---- state ----------------------------------------------------------------------- */

char *bm_path(const struct bm *b, const char *name)
{
    return fsx_join(b->r->cfg->out_dir, name);
}

int bm_open_at(struct bm *b, const char *name, int flags)
{
    GB_ASSERT(!strncmp(name, BM_DIR "/", sizeof BM_DIR));
    int dfd = sink_batch_fd(&b->r->sink);
    return dfd < 0 ? -1 : fsx_open_at(dfd, name + sizeof BM_DIR, flags, 0666);
}

FILE *bm_fopen(struct bm *b, const char *name)
{
    int fd = bm_open_at(b, name, O_RDONLY);
    FILE *f = fd >= 0 ? fdopen(fd, "r") : NULL;
    if (fd >= 0 && !f) {
        int e = errno;
        close(fd);
        errno = e;
    }
    return f;
}

int bm_open_fail(const struct bm *b, struct gb_err *err, const char *name, int e)
{
    const char *dir = b->r->cfg->out_dir;
    if (e == ELOOP)
        return GB_FAIL(err, GB_ESTATE,
                       "'%s/%s' is a symbolic link; gembatch does not follow links in its output "
                       "folder: remove it or use another -o",
                       dir, name);
    if (e == EINVAL || e == ENOTDIR)
        return GB_FAIL(err, GB_ESTATE,
                       "'%s/%s' is not a %s of gembatch's; remove it or use another -o", dir, name,
                       e == ENOTDIR ? "folder" : "file");
    return GB_FAIL(err, GB_EIO, "cannot write '%s/%s': %s", dir, name, strerror(e));
}

void bm_part_file(const struct bm_part *p, const char *what, char *out, size_t n)
{
    snprintf(out, n, BM_DIR "/part-%04d%s", p->n, what);
}

/* One step, on disk before anything else happens. */
int bm_state_line(struct bm *b, json_t *o)
{
    char ev[32];
    snprintf(ev, sizeof ev, "%s", jx_str(o, "ev") ? jx_str(o, "ev") : "");
    json_object_set_new(o, "at", json_real(floor(wall_s() * 1000) / 1000)); /* when, for people */
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
        bm_crash_point(ev);
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

void bm_copy(char *dst, size_t n, const char *src)
{
    snprintf(dst, n, "%s", src ? src : "");
}

/* Read the steps an earlier run took; a torn last line (a crash) is left. */
static int state_read(struct bm *b, struct gb_err *err)
{
    FILE *f = bm_fopen(b, BM_STATE);
    if (!f)
        return errno == ENOENT ? 0 : bm_open_fail(b, err, BM_STATE, errno);
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
            bm_copy(b->folder, sizeof b->folder, jx_str(o, "id"));
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
            bm_copy(p->model, sizeof p->model, jx_str(o, "model"));
        } else if (p && !strcmp(ev, "uploaded")) {
            bm_copy(p->file_name, sizeof p->file_name, jx_str(o, "file"));
        } else if (p && !strcmp(ev, "create")) {
            p->create_sent = 1;
        } else if (p && !strcmp(ev, "cancel")) {
            p->cancel_sent = 1;
        } else if (p && !strcmp(ev, "created")) {
            bm_copy(p->batch, sizeof p->batch, jx_str(o, "batch"));
        } else if (p && !strcmp(ev, "ended")) {
            bm_copy(p->state, sizeof p->state, jx_str(o, "state"));
            bm_copy(p->responses, sizeof p->responses, jx_str(o, "responses"));
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
    return 0;
}

int bm_state_open(struct bm *b, struct gb_err *err)
{
    /* OUTDIR/batch is made, or opened, relative to OUTDIR and never through
     * a link: everything below goes through its descriptor */
    if (sink_batch_fd(&b->r->sink) < 0)
        return bm_open_fail(b, err, BM_DIR, errno);
    int rc = state_read(b, err);
    if (rc)
        return rc;
    b->state_fd = bm_open_at(b, BM_STATE, O_WRONLY | O_CREAT | O_APPEND);
    if (b->state_fd < 0)
        return bm_open_fail(b, err, BM_STATE, errno);
    if (!b->folder[0]) {
        fsx_random_hex(b->folder, 16);
        rc = bm_state_line(b, json_pack("{s:s,s:s}", "ev", "folder", "id", b->folder));
    }
    return rc;
}

/* What a part's batch is called: the pipeline, this OUTDIR and the part, so
 * a resumed run finds its own batch again and never another folder's. */
void bm_display_name(const struct bm *b, const struct bm_part *p, char *out, size_t n)
{
    snprintf(out, n, "gembatch-%.12s-%s-%04d", b->r->pipe->digest, b->folder, p->n);
}

/* ---- HTTP, one call at a time ------------------------------------------------------- */

/* Run op to its end (the loop is not needed: a batch's own calls are few).
 * The op is given back finished; NULL when interrupted. */
struct op *bm_call(struct bm *b, struct op *op)
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

long bm_call_json_once(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                       const json_t *body, int attempt, json_t **doc, long *again_ms, char *why,
                       size_t wn)
{
    struct run *r = b->r;
    *doc = NULL;
    *again_ms = -1;
    struct op *op = json_op(b, method, url_fmt, arg, body);
    if (!op || !(op = bm_call(b, op))) {
        snprintf(why, wn, "%s", run_signals >= 2 ? "interrupted" : "out of memory");
        return -1;
    }
    struct outcome o = {OC_OK, op->http, -1, op->retry_after[0] ? op->retry_after : NULL};
    struct api_error ae = {0};
    if (op->cc != CURLE_OK) {
        o.cls = OC_NET;
        snprintf(why, wn, "%s", xfer_why(op->cc, op->errbuf));
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
    if (retry_decide(&r->policy, &o, attempt, run_rnd(r), &delay) == V_RETRY) {
        *again_ms = delay;
        r->c.retries++;
        log_debug("batch: %s %s: %s; again in %ld ms", method, url_fmt, why, delay);
    }
    return http ? http : -1;
}

int bm_sleep_ms(long ms)
{
    for (long waited = 0; waited < ms && run_signals < 1; waited += 100)
        usleep(100000);
    return run_signals >= 1 ? -1 : 0;
}

/* A call whose answer is JSON: 0 with *doc (new), or the HTTP status (or -1
 * without one) with why filled. Retries what retry.c says to retry. */
long bm_call_json(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                      const json_t *body, json_t **doc, char *why, size_t wn)
{
    for (int attempt = 1;; attempt++) {
        long again_ms;
        long rc = bm_call_json_once(b, method, url_fmt, arg, body, attempt, doc, &again_ms, why,
                                    wn);
        if (!rc || again_ms < 0)
            return rc;
        if (bm_sleep_ms(again_ms))
            return -1;
    }
}

/* ---- building parts ---------------------------------------------------------------- */

static int writer_open(struct bm *b, struct bm_writer *w, struct bm_part *p)
{
    char name[64], mname[64];
    w->p = p;
    w->off = 0;
    bm_part_file(p, ".jsonl", name, sizeof name);
    bm_part_file(p, ".meta.jsonl", mname, sizeof mname);
    w->fd = bm_open_at(b, name, O_WRONLY | O_CREAT | O_TRUNC);
    w->mfd = w->fd >= 0 ? bm_open_at(b, mname, O_WRONLY | O_CREAT | O_TRUNC) : -1;
    if (w->fd < 0 || w->mfd < 0) {
        struct gb_err e = {0}; /* the first words win: a link is named */
        bm_open_fail(b, &e, w->fd < 0 ? name : mname, errno);
        run_abort(b->r, "%s", e.msg);
    }
    if (w->fd < 0 || w->mfd < 0 || sha256_init(&w->sha)) {
        if (w->fd >= 0)
            close(w->fd);
        if (w->mfd >= 0)
            close(w->mfd);
        return GB_EIO;
    }
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
        rc = bm_state_line(b, json_pack("{s:s,s:i,s:i,s:i,s:s,s:I,s:I,s:s}", "ev", "part", "part", p->n,
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
    bm_copy(p->model, sizeof p->model, model);
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

int bm_close_all(struct bm *b)
{
    int rc = 0;
    while (b->nopen && !rc)
        rc = writer_done(b, &b->open[b->nopen - 1]);
    return rc;
}

/* Add one request line (its text already made: key and request, media as
 * placeholders of job) and its meta line. The line's size is known before
 * it is written: a part is closed before the line that would take it past
 * --batch-max-bytes, so no part file crosses it (the service refuses the
 * whole batch, not the line); a line larger than the bound goes alone. */
int bm_add_line(struct bm *b, const char *model, int round, int resubmit_of, json_t *line,
                    const struct job *j, json_t *meta)
{
    static const struct job none; /* a line read back from a part: no placeholders left */
    if (!j)
        j = &none;
    struct body body;
    body_init(&body, b->scratch, sizeof b->scratch);
    struct gb_err e = {0};
    int rc = body_from_request(&body, &b->r->jctx, line, j, &e);
    uint64_t need = body.total + 1; /* and its newline */
    struct bm_writer *w = rc ? NULL : writer_for(b, model, round, resubmit_of);
    if (w && w->p->requests > 0 && w->off + need > b->max_bytes) {
        rc = writer_done(b, w);
        w = rc ? NULL : writer_for(b, model, round, resubmit_of);
    }
    if (!rc && !w)
        rc = GB_ENOMEM;
    if (!rc && need > b->max_bytes)
        log_warn("batch: the request of '%s' is %llu bytes, more than --batch-max-bytes (%llu): "
                 "it goes alone in part %d, which the Batch API may refuse",
                 jx_str(meta, "id") ? jx_str(meta, "id") : "?", (unsigned long long)need,
                 (unsigned long long)b->max_bytes, w->p->n);
    uint64_t start = w ? w->off : 0;
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

const char *bm_model_of(const json_t *req, const struct config *cfg)
{
    const char *m = cfg->model ? cfg->model : jx_str(req, "model");
    return m ? m : "";
}


const char *bm_intern_source(struct bm *b, const char *s)
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
json_t *bm_request_of(struct bm *b, const struct bm_part *p, const json_t *meta)
{
    long long off = 0, len = 0;
    jx_int(meta, "off", &off);
    jx_int(meta, "len", &len);
    char name[64];
    bm_part_file(p, ".jsonl", name, sizeof name);
    int fd = bm_open_at(b, name, O_RDONLY);
    char *buf = fd >= 0 && len > 0 ? malloc((size_t)len) : NULL;
    json_t *o = NULL;
    if (buf && fsx_pread_full(fd, buf, (size_t)len, (off_t)off) == (ssize_t)len)
        o = json_loadb(buf, (size_t)len, 0, NULL);
    free(buf);
    if (fd >= 0)
        close(fd);
    return o;
}

