/* run_bjoin.c: Batch Mode's results. A part's results file is downloaded
 * streaming (either download path), each line is joined back to its job by
 * key: validated, re-asked (in a part of the next round, or online), written
 * as a result or an error line, a job's rounds adding up on its one line. A
 * batch that ended without results has its jobs asked again or reported.
 * The online list (OUTDIR/batch/online.jsonl) holds the jobs the online
 * pass sends: what a batch cannot express (--mode auto), what a lost or
 * cancelled batch left, re-asks with --reask online. Called by run_bmode.c
 * and run.c; calls run_bpart.c, run_followup.c, run_cost.c, run_jobs.c. */
#include "run_bm.h"

#include "gencontent.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

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
    bm_crash_point("download");
    return 0;
}

/* The results file, streamed to batch/part-NNNN.out.jsonl (a temporary
 * name until it is whole). Both download paths are tried. */
int bm_download(struct bm *b, struct bm_part *p)
{
    char name[64], tmpname[80];
    bm_part_file(p, ".out.jsonl", name, sizeof name);
    snprintf(tmpname, sizeof tmpname, "%s.part", name);
    const char *id = strncmp(p->responses, "files/", 6) ? p->responses : p->responses + 6;
    int rc = GB_ENET;
    for (int way = 0; way < 2 && rc; way++) {
        struct dl_ctx d = {bm_open_at(b, tmpname, O_WRONLY | O_CREAT | O_TRUNC), 0};
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
            op = bm_call(b, op);
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
    /* both names inside OUTDIR/batch's descriptor: a link planted at the
     * results' name is replaced, never written through */
    int bfd = sink_batch_fd(&b->r->sink);
    if (!rc && renameat(bfd, tmpname + sizeof BM_DIR, bfd, name + sizeof BM_DIR))
        rc = GB_EIO;
    if (rc && bfd >= 0)
        unlinkat(bfd, tmpname + sizeof BM_DIR, 0);
    if (rc)
        return rc;
    p->downloaded = 1;
    return bm_state_line(b, json_pack("{s:s,s:i,s:b}", "ev", "downloaded", "part", p->n, "synthetic",
                                   p->synthetic));
}

/* What a job's rounds so far used and cost, for its one line at the end. */
static json_t *rounds_json(const struct task *t)
{
    return json_pack("{s:I,s:I,s:I,s:I,s:f,s:b}", "in", (json_int_t)t->tok.in, "out",
                     (json_int_t)t->tok.out, "total", (json_int_t)t->tok.total, "thought",
                     (json_int_t)t->tok.thought, "usd", t->cost_usd, "known", t->cost_known);
}

static void rounds_restore(struct task *t, const json_t *prev)
{
    if (!prev)
        return;
    jx_int(prev, "in", &t->tok.in);
    jx_int(prev, "out", &t->tok.out);
    jx_int(prev, "total", &t->tok.total);
    jx_int(prev, "thought", &t->tok.thought);
    t->cost_usd = json_real_value(json_object_get(prev, "usd"));
    t->cost_known = json_is_true(json_object_get(prev, "known"));
}

/* The task of a part's meta line: a job rebuilt from what the line says (its
 * id, where it came from, its schema), entered without being counted again:
 * it was counted when it went into a part (as a job of that run, or as one
 * in_batches_before). */
static struct task *task_of_meta(struct bm *b, const json_t *meta, const char *model)
{
    struct run *r = b->r;
    const char *id = jx_str(meta, "id");
    long long line = 0;
    jx_int(meta, "line", &line);
    struct job *j = job_stub(bm_intern_source(b, jx_str(meta, "input")), id, (long)line,
                             jx_str(meta, "entry"));
    if (!j)
        return NULL;
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
    if (model)
        json_object_set_new(j->req, "model", json_string(model));
    struct task *t = task_enter(r, j);
    if (!t)
        return NULL;
    r->c.jobs--;
    t->joined = 1;
    t->tier_sent = TIER_BATCH;
    long long reasks = 0;
    jx_int(meta, "reasks", &reasks);
    t->reasks = (int)reasks;
    t->kind = reasks ? KIND_REASK : KIND_FIRST;
    long long retries = 0;
    jx_int(meta, "retries", &retries);
    t->attempts = 1;
    t->total_attempts = 1 + (int)reasks + (int)retries; /* a request per round */
    rounds_restore(t, json_object_get(meta, "prev"));
    return t;
}

/* A job's request (line; the caller keeps it) into a part again: its meta
 * line goes along, without its place in the old part, with count_key set to
 * count and the rounds so far (t) when count_key is given. */
static int ask_again(struct bm *b, const struct bm_part *p, json_t *line, const json_t *meta,
                     int round, int resubmit_of, const char *count_key, long long count,
                     const struct task *t)
{
    json_t *m = json_deep_copy(meta);
    if (m && count_key) {
        json_object_set_new(m, count_key, json_integer(count));
        json_object_set_new(m, "prev", rounds_json(t));
    }
    json_object_del(m, "off");
    json_object_del(m, "len");
    int rc = line && m ? bm_add_line(b, p->model, round, resubmit_of, line, NULL, m) : GB_EIO;
    json_decref(m);
    return rc;
}

/* A re-ask: the same request with the model's answer and what was wrong
 * with it, in a part of the next round. */
static int reask(struct bm *b, const struct bm_part *p, const json_t *meta, const struct task *t,
                 const char *text, const json_t *errors, const char *parse_error, long long reasks)
{
    json_t *line = bm_request_of(b, p, meta);
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
    int rc = ask_again(b, p, line, meta, p->round + 1, 0, "reasks", reasks + 1, t);
    json_decref(line);
    return rc;
}

/* Whether a result line's error is one a client retries. The line carries a
 * google.rpc.Status, whose code is canonical (13 INTERNAL, 14 UNAVAILABLE,
 * 8 RESOURCE_EXHAUSTED, 4 DEADLINE_EXCEEDED, 10 ABORTED, 2 UNKNOWN); an
 * HTTP status in its place (408, 429, 5xx) and no code at all count too. */
static int line_error_retryable(long long code)
{
    return code == 0 || code == 2 || code == 4 || code == 8 || code == 10 || code == 13 ||
           code == 14 || code == 408 || code == 429 || (code >= 500 && code < 600);
}

/* A line the batch answered with an error it is worth asking again for is
 * asked once more: the same request in a part of the next round, or online
 * with --reask online. 0 when it was (the job waits for that), else the
 * caller writes the error line. Bounded like any retry: once, and not with
 * --max-attempts 1. */
static int line_retry(struct bm *b, const struct bm_part *p, const json_t *meta, struct task *t,
                      const json_t *lerr)
{
    struct run *r = b->r;
    long long code = 0, retries = 0;
    jx_int(lerr, "code", &code);
    jx_int(meta, "retries", &retries);
    if (retries >= 1 || (r->cfg->max_attempts > 0 && r->cfg->max_attempts < 2) ||
        !line_error_retryable(code))
        return 1;
    int rc;
    if (r->cfg->reask_online) {
        rc = bm_online_add(b, json_pack("{s:s,s:s,s:b,s:I,s:I,s:o}", "id", t->job->id, "why",
                                        "line_error", "counted", 1, "requests",
                                        (json_int_t)t->total_attempts, "reasks",
                                        (json_int_t)t->reasks, "prev", rounds_json(t)));
    } else {
        json_t *req = bm_request_of(b, p, meta);
        rc = ask_again(b, p, req, meta, p->round + 1, 0, "retries", retries + 1, t);
        json_decref(req);
    }
    if (rc)
        return 1;
    r->c.retries++;
    task_defer(r, t);
    return 0;
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
    struct task *t = task_of_meta(b, meta, p->model);
    if (!t)
        return;
    struct job *j = t->job;
    long long reasks = t->reasks;
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
    const json_t *lerr = json_object_get(res, "error");
    if ((lerr || !json_object_get(res, "response")) && line_retry(b, p, meta, t, lerr) == 0)
        return;
    json_t *doc = gc_interaction(json_object_get(res, "response"), lerr, p->model, p->batch);
    struct interaction it = {0};
    struct gb_err pe = {0};
    int bad = !doc || resp_from_json(doc, &it, &pe);
    json_decref(doc); /* it holds its own reference */
    if (bad) {
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
            if (reasks < r->cfg->reask && r->cfg->reask_online) {
                /* asked again by the online pass, with this answer */
                json_t *o = json_pack("{s:s,s:s,s:b,s:I,s:I,s:o,s:s,s:O?,s:s?}", "id", j->id,
                                      "why", "reask", "counted", 1, "requests",
                                      (json_int_t)t->total_attempts, "reasks", reasks, "prev",
                                      rounds_json(t), "text", text ? text : "", "errors", errors,
                                      "parse_error", parse_error);
                if (bm_online_add(b, o) == 0)
                    task_defer(r, t);
                else
                    task_interrupt(r, t);
            } else if (reasks < r->cfg->reask &&
                       reask(b, p, meta, t, text, errors, parse_error, reasks) == 0) {
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

int bm_join(struct bm *b, struct bm_part *p, struct dset *answered)
{
    struct run *r = b->r;
    char name[64];
    bm_part_file(p, ".out.jsonl", name, sizeof name);
    FILE *of = bm_fopen(b, name);
    bm_part_file(p, ".meta.jsonl", name, sizeof name);
    FILE *mf = bm_fopen(b, name);
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
        uint64_t d = hash64(key, strlen(key), 0);
        if (meta && dset_add(answered, d) == 1 && !dset_has(&r->res.done, d)) {
            join_line(b, p, meta, res);
            if (++joined == 5) {
                sink_sync(&r->sink, 0, 1);
                bm_crash_point("join");
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
    /* the re-asks this part made: a part of the next round, or the online list */
    if (bm_close_all(b) || bm_online_sync(b))
        return GB_EIO;
    sink_sync(&r->sink, 0, 1);
    return 0;
}

/* A batch that ended without results (expired, failed, cancelled): its jobs
 * are asked once more in a new part, or reported. */
int bm_settle(struct bm *b, struct bm_part *p, const struct dset *answered)
{
    struct run *r = b->r;
    if (answered && (long long)answered->n + answered->has_zero >= p->requests) {
        p->joined = 1; /* every job of it has its line */
        return bm_state_line(b, json_pack("{s:s,s:i}", "ev", "joined", "part", p->n));
    }
    enum { AGAIN, ONLINE, REPORT } how =
        p->cancel_sent                        ? ONLINE /* ours, for the deadline */
        : strstr(p->state, "_CANCELLED")      ? REPORT /* someone else's */
        : !strcmp(p->state, BM_STATE_GONE)    ? REPORT /* deleted: not ours to undo */
        : r->cfg->batch_lost == LOST_ONLINE   ? ONLINE
        : r->cfg->batch_lost == LOST_RESUBMIT && !p->resubmit_of ? AGAIN
                                                                 : REPORT;
    char name[64];
    bm_part_file(p, ".meta.jsonl", name, sizeof name);
    FILE *mf = bm_fopen(b, name);
    if (!mf)
        return GB_EIO;
    char *line = NULL;
    size_t cap = 0;
    int resubmitted = 0, online = 0;
    while (getline(&line, &cap, mf) > 0) {
        json_t *meta = json_loads(line, 0, NULL);
        const char *id = jx_str(meta, "id");
        uint64_t d = id ? hash64(id, strlen(id), 0) : 0;
        if (!id || dset_has(&r->res.done, d) || (answered && dset_has(answered, d))) {
            json_decref(meta);
            continue;
        }
        if (how == ONLINE) {
            long long reasks = 0;
            jx_int(meta, "reasks", &reasks);
            json_t *prev = json_object_get(meta, "prev");
            json_t *o = json_pack("{s:s,s:s,s:b,s:I,s:I,s:O?}", "id", id, "why",
                                  p->cancel_sent ? "cancelled" : "lost", "counted", 1, "requests",
                                  (json_int_t)(1 + reasks), "reasks", (json_int_t)reasks, "prev",
                                  prev);
            if (bm_online_add(b, o) == 0)
                online++;
        } else if (how == AGAIN) {
            json_t *req = bm_request_of(b, p, meta);
            if (ask_again(b, p, req, meta, p->round, p->n, NULL, 0, NULL) == 0)
                resubmitted++;
            json_decref(req);
        } else {
            struct task *t = task_of_meta(b, meta, p->model);
            if (t) {
                char msg[300];
                snprintf(msg, sizeof msg, "its batch (%s) ended %s%s%s", p->batch, p->state,
                         strstr(p->state, "_SUCCEEDED") ? " without an answer for it" : "",
                         p->resubmit_of ? " twice" : "");
                task_fail(r, t, 0, strstr(p->state, "_EXPIRED")     ? "BATCH_EXPIRED"
                                   : strstr(p->state, "_CANCELLED") ? "BATCH_CANCELLED"
                                   : strstr(p->state, "_DELETED")   ? "BATCH_DELETED"
                                   : strstr(p->state, "_SUCCEEDED") ? "BATCH_NO_ANSWER"
                                                                    : "BATCH_FAILED",
                          msg, NULL);
            }
        }
        json_decref(meta);
    }
    free(line);
    fclose(mf);
    if (bm_close_all(b) || bm_online_sync(b))
        return GB_EIO;
    if (resubmitted)
        log_warn("batch: part %d ended %s; its %d unfinished jobs are asked again in a new part",
                 p->n, p->state, resubmitted);
    if (online && !p->cancel_sent)
        log_warn("batch: part %d ended %s; its %d unfinished jobs go online", p->n, p->state,
                 online);
    p->joined = 1;
    return bm_state_line(b, json_pack("{s:s,s:i,s:i,s:i}", "ev", "joined", "part", p->n,
                                      "resubmitted", resubmitted, "online", online));
}


/* ---- the online list ------------------------------------------------------------------ */

/* Read the list an earlier run wrote (a torn last line, a crash, is cut
 * off) and index it: the ids still waiting, newest line first. */
int bm_online_open(struct bm *b, struct gb_err *err)
{
    struct run *r = b->r;
    b->online_fd = bm_open_at(b, BM_ONLINE, O_RDWR | O_CREAT | O_APPEND);
    b->online_rd = b->online_fd >= 0 ? bm_fopen(b, BM_ONLINE) : NULL;
    if (!b->online_rd)
        return bm_open_fail(b, err, BM_ONLINE, errno);
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    uint64_t off = 0;
    while ((n = getline(&line, &cap, b->online_rd)) > 0) {
        if (line[n - 1] != '\n')
            break;
        json_t *o = json_loadb(line, (size_t)n, 0, NULL);
        const char *id = jx_str(o, "id");
        if (id && off + 1 < RUN_ONLINE_TAKEN) {
            uint64_t d = hash64(id, strlen(id), 0);
            if (!dset_has(&r->res.done, d)) {
                r->online_waiting += dmap_get(&r->online_at, d) == 0;
                if (dmap_put(&r->online_at, d, (uint32_t)(off + 1))) {
                    json_decref(o);
                    free(line);
                    return GB_FAIL(err, GB_ENOMEM, "out of memory");
                }
            }
        }
        json_decref(o);
        off += (uint64_t)n;
    }
    free(line);
    if (ftruncate(b->online_fd, (off_t)off)) /* a torn line would join the next one */
        return GB_FAIL(err, GB_EIO, "cannot write '%s/" BM_ONLINE "': %s", r->cfg->out_dir,
                       strerror(errno));
    b->online_off = off;
    if (r->online_waiting)
        b->online_new = 1;
    return 0;
}

int bm_online_add(struct bm *b, json_t *o)
{
    struct run *r = b->r;
    const char *id = jx_str(o, "id");
    char *t = id ? json_dumps(o, JSON_COMPACT) : NULL;
    uint64_t d = id ? hash64(id, strlen(id), 0) : 0;
    json_decref(o);
    if (!t)
        return GB_ENOMEM;
    size_t n = strlen(t);
    t[n] = '\n';
    int rc = 0;
    if (b->online_off + n + 1 >= RUN_ONLINE_TAKEN) {
        run_abort(r, "'%s/" BM_ONLINE "' reached 4 GiB: send fewer jobs online at once",
                  r->cfg->out_dir);
        rc = GB_EIO;
    } else if (fsx_write_all(b->online_fd, t, n + 1)) {
        run_abort(r, "cannot write '%s/" BM_ONLINE "': %s", r->cfg->out_dir, strerror(errno));
        rc = GB_EIO;
    } else {
        uint32_t was = dmap_get(&r->online_at, d);
        r->online_waiting += was == 0 || was == RUN_ONLINE_TAKEN;
        rc = dmap_put(&r->online_at, d, (uint32_t)(b->online_off + 1));
        b->online_off += n + 1;
        b->online_new = 1;
    }
    free(t);
    return rc;
}

int bm_online_sync(struct bm *b)
{
    if (!b->online_new || !fsync(b->online_fd))
        return 0;
    run_abort(b->r, "cannot write '%s/" BM_ONLINE "': %s", b->r->cfg->out_dir, strerror(errno));
    return GB_EIO;
}

long bm_online_waiting(const struct run *r)
{
    return r->online_waiting;
}

int bm_online_news(struct bm *b)
{
    int n = b->online_new;
    b->online_new = 0;
    return n;
}

json_t *bm_online_take(struct bm *b, const struct job *j)
{
    struct run *r = b->r;
    uint32_t at = dmap_get(&r->online_at, j->digest);
    if (!at || at == RUN_ONLINE_TAKEN)
        return NULL;
    /* taken whatever comes next: a second line with this id is a duplicate */
    dmap_put(&r->online_at, j->digest, RUN_ONLINE_TAKEN);
    r->online_waiting--;
    if (++b->online_taken == 100)
        bm_crash_point("online"); /* the online pass well under way */
    if (dset_has(&r->res.done, j->digest))
        return NULL;
    char *line = NULL;
    size_t cap = 0;
    json_t *o = NULL;
    if (fseeko(b->online_rd, (off_t)(at - 1), SEEK_SET) == 0 &&
        getline(&line, &cap, b->online_rd) > 0)
        o = json_loads(line, 0, NULL);
    free(line);
    const char *id = jx_str(o, "id");
    if (!id || strcmp(id, j->id)) { /* another id with the same digest */
        json_decref(o);
        return NULL;
    }
    return o;
}

void bm_online_apply(struct run *r, struct task *t, const json_t *line)
{
    const char *why = jx_str(line, "why");
    int k = !why                          ? ONLINE_INEXPRESSIBLE
            : !strcmp(why, "reask")       ? ONLINE_REASK
            : !strcmp(why, "lost")        ? ONLINE_LOST
            : !strcmp(why, "cancelled")   ? ONLINE_CANCELLED
            : !strcmp(why, "line_error")  ? ONLINE_LINE_ERROR
                                          : ONLINE_INEXPRESSIBLE;
    r->c.online_sent[k]++;
    if (jx_bool(line, "counted", 0))
        r->c.jobs--; /* counted when it went into a part */
    long long n = 0;
    if (!jx_int(line, "requests", &n))
        t->total_attempts = (int)n;
    if (!jx_int(line, "reasks", &n))
        t->reasks = (int)n;
    rounds_restore(t, json_object_get(line, "prev"));
    if (k == ONLINE_REASK)
        followup_reask_batch(r, t, jx_str(line, "text"), json_object_get(line, "errors"),
                             jx_str(line, "parse_error"));
}
