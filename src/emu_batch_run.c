/* emu_batch_run.c: one batch's work: its JSONL input read line by line from
 * a descriptor, each request answered by emu_gencontent.c (or failed by the
 * batch_line fault), and each result written out as it is made, in input
 * order: result lines for a file input, comma-joined InlinedResponses for an
 * inline one. Memory holds one line at a time, never the input or the
 * results. Knows nothing of batches' states or of HTTP. */
#include "emu_int.h"
#include "fsx.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define READ_CHUNK (256 * 1024)
#define WRITE_FLUSH (256 * 1024)

/* ---- the fault draws of a line ---------------------------------------------------- */

static double unit(uint64_t x)
{
    return (double)(x >> 11) * (1.0 / 9007199254740992.0);
}

/* A draw for line idx of batch seq, from the seed only: the same batches
 * created in the same order fail the same lines; a line sent again in a
 * later batch gets a fresh draw (a content hash would fail it forever). */
double emu_batch_draw(uint64_t seed, uint64_t salt, uint64_t seq, uint64_t idx)
{
    return unit(emu_mix64(emu_mix64(seed ^ salt) ^ emu_mix64(seq * 0x9e3779b97f4a7c15ull + idx)));
}

/* ---- reading lines -------------------------------------------------------------------- */

struct reader {
    int fd;
    char *chunk;
    size_t pos, len;
    int eof;
    struct buf line;        /* ceiling: the longest line taken whole */
    int too_long;           /* the line went past the ceiling: the rest was skipped */
};

/* The next line (without its newline) in r->line; 0, 1 at the end, -1 on a
 * read error. A line longer than the ceiling is skipped to its end and
 * comes back empty with too_long set. */
static int next_line(struct reader *r)
{
    buf_reset(&r->line);
    r->too_long = 0;
    int any = 0;
    for (;;) {
        if (r->pos == r->len) {
            if (r->eof)
                return any ? 0 : 1;
            ssize_t n;
            do
                n = read(r->fd, r->chunk, READ_CHUNK);
            while (n < 0 && errno == EINTR);
            if (n < 0)
                return -1;
            if (n == 0) {
                r->eof = 1;
                continue;
            }
            r->pos = 0;
            r->len = (size_t)n;
        }
        any = 1;
        char *s = r->chunk + r->pos;
        char *nl = memchr(s, '\n', r->len - r->pos);
        size_t n = nl ? (size_t)(nl - s) : r->len - r->pos;
        if (!r->too_long && buf_append(&r->line, s, n)) {
            r->too_long = 1;
            buf_reset(&r->line);
        }
        r->pos += n + (nl ? 1 : 0);
        if (nl)
            return 0;
    }
}

static int blank(const struct buf *b)
{
    for (size_t i = 0; i < b->len; i++)
        if (b->data[i] != ' ' && b->data[i] != '\t' && b->data[i] != '\r')
            return 0;
    return 1;
}

/* ---- writing results -------------------------------------------------------------------- */

struct writer {
    struct emu_batch_job *j;
    struct buf out;
    struct sha256 h;
    uint64_t bytes;
    int quota;              /* the spool is full */
};

static int flush(struct writer *w)
{
    if (!w->out.len)
        return 0;
    if (w->j->spool && emu_spool_reserve(w->j->spool, w->out.len)) {
        w->quota = 1;
        return -1;
    }
    w->j->reserved += w->out.len;
    if (fsx_write_all(w->j->out_fd, w->out.data, w->out.len) ||
        sha256_update(&w->h, w->out.data, w->out.len))
        return -1;
    w->bytes += w->out.len;
    buf_reset(&w->out);
    return 0;
}

/* One result: {"key", "response"|"error"} for a file, {"response"|"error",
 * "metadata"} for an inline item; n counts the results written before. */
static int put_result(struct writer *w, uint64_t n, const json_t *key, const json_t *meta,
                      json_t *response, json_t *error)
{
    json_t *o = json_object();
    int rc = -1;
    if (!o)
        goto out;
    if (!w->j->inline_out && key)
        json_object_set(o, "key", (json_t *)key);
    if (response)
        json_object_set(o, "response", response);
    else
        json_object_set(o, "error", error);
    if (w->j->inline_out && meta)
        json_object_set(o, "metadata", (json_t *)meta);
    if (w->j->inline_out && n && buf_putc(&w->out, ','))
        goto out;
    if (jf_append(&w->out, o) || (!w->j->inline_out && buf_putc(&w->out, '\n')))
        goto out;
    rc = w->out.len >= WRITE_FLUSH ? flush(w) : 0;
out:
    json_decref(o);
    return rc;
}

static json_t *status(int code, const char *msg)
{
    return json_pack("{s:i, s:s}", "code", code, "message", msg);
}

/* ---- one line ------------------------------------------------------------------------------ */

/* The request of a parsed line and what identifies it: a file line is
 * {"key", "request"} (or, as the guide's REST sample writes it, a bare
 * GenerateContentRequest: no key); an inline item {"request", "metadata"}. */
static const json_t *request_of(const json_t *line, int inline_in, const json_t **key,
                                const json_t **meta)
{
    const json_t *req = json_object_get(line, "request");
    *key = json_object_get(line, "key");
    *meta = json_object_get(line, "metadata");
    if (!req && !inline_in && (json_object_get(line, "contents")))
        return line;
    return json_is_object(req) ? req : NULL;
}

static int one_line(struct writer *w, const struct buf *text, int too_long, uint64_t idx)
{
    struct emu_batch_job *j = w->j;
    json_t *line = NULL, *resp = NULL, *err = NULL;
    const json_t *key = NULL, *meta = NULL, *req = NULL;
    struct emu_err e = {0};
    if (too_long) {
        err = status(3, "The request is larger than the emulator takes in one line "
                        "(--max-request-bytes).");
    } else if (!(line = jf_parse(text->data, text->len)) &&
               !(line = json_loadb(text->data, text->len, 0, NULL))) {
        err = status(3, "Invalid JSON payload received: the line is not a JSON object.");
    } else if (!json_is_object(line) || !(req = request_of(line, j->inline_out, &key, &meta))) {
        err = status(3, j->inline_out ? "Each request needs a 'request' object."
                                      : "Each line must be {\"key\": ..., \"request\": {...}}.");
    } else if (emu_batch_draw(j->seed, 0xba7c411eull, j->seq, idx) < j->line_error_rate) {
        err = status(13, "An internal error has occurred while processing this request "
                         "(emulated batch_line fault).");
    } else {
        int mode = emu_batch_draw(j->seed, 0x5c4e3a11ull, j->seq, idx) < j->violation_rate
                       ? EMU_ANSWER_SCHEMA_VIOLATION
                       : EMU_ANSWER_NORMAL;
        if (emu_gc_answer(j->env, j->model, req, mode, &resp, &e))
            err = status(emu_rpc_code(e.status), e.msg); /* the request's own error */
    }
    int rc = (resp || err) ? 0 : -1;
    /* the batch_drop fault: the results file has no line for this request
     * (what a driver must notice, not wait for) */
    int drop = !rc && !j->inline_out &&
               emu_batch_draw(j->seed, 0xd209b11eull, j->seq, idx) < j->drop_rate;
    if (!rc && !drop)
        rc = put_result(w, idx, key, meta, resp, err);
    if (rc == 0)
        __atomic_add_fetch(resp && !drop ? j->ok : j->failed, 1, __ATOMIC_RELAXED);
    json_decref(resp);
    json_decref(err);
    json_decref(line);
    return rc;
}

int emu_batch_run(struct emu_batch_job *j, struct emu_batch_out *out)
{
    struct reader r = {j->in_fd, NULL, 0, 0, 0, {0}, 0};
    struct writer w = {j, {0}, {0}, 0, 0};
    int rc = -1, got;
    uint64_t idx = 0;
    memset(out, 0, sizeof *out);
    buf_init(&r.line, j->max_line_bytes ? j->max_line_bytes : BUF_UNLIMITED);
    buf_init(&w.out, BUF_UNLIMITED);
    if (!(r.chunk = malloc(READ_CHUNK)) || sha256_init(&w.h))
        goto done;
    while ((got = next_line(&r)) == 0) {
        if (__atomic_load_n(j->stop, __ATOMIC_RELAXED)) {
            rc = 1;
            goto done;
        }
        if (!r.too_long && blank(&r.line))
            continue; /* blank lines are not requests (the upload counted the same way) */
        if (one_line(&w, &r.line, r.too_long, idx++))
            goto done;
    }
    if (got < 0 || flush(&w))
        goto done;
    if (sha256_final(&w.h, out->sha256))
        goto done;
    out->bytes = w.bytes;
    rc = 0;
done:
    out->quota = w.quota;
    sha256_free(&w.h);
    buf_free(&w.out);
    buf_free(&r.line);
    free(r.chunk);
    return rc;
}
