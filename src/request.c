/* request.c: request bodies as segment lists read by libcurl, with media
 * base64-encoded straight from the file into curl's buffer (curl's
 * tool_cb_rea.c pattern): no allocation per chunk, any rewind position. */
#include "request.h"
#include "jfast.h"
#include "b64.h"
#include "fsx.h"
#include "job.h"
#include "jsonx.h"
#include "mediainfo.h"

#include <curl/curl.h>
#include <errno.h>
#include <math.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void body_init(struct body *b, unsigned char *scratch, size_t scratch_sz)
{
    memset(b, 0, sizeof *b);
    b->fd = -1;
    b->scratch = scratch;
    b->scratch_sz = scratch_sz;
}

static void close_fd(struct body *b)
{
    if (b->fd >= 0)
        close(b->fd);
    b->fd = -1;
}

void body_free(struct body *b)
{
    if (!b)
        return;
    close_fd(b);
    free(b->text);
    free(b->segs);
    b->text = NULL;
    b->segs = NULL;
    b->nseg = 0;
    b->total = 0;
}

static void reset_content(struct body *b)
{
    unsigned char *s = b->scratch;
    size_t sz = b->scratch_sz;
    body_free(b);
    body_init(b, s, sz);
}

static int push_seg(struct body *b, struct body_seg seg)
{
    struct body_seg *ns = realloc(b->segs, (b->nseg + 1) * sizeof *ns);
    if (!ns)
        return GB_ENOMEM;
    b->segs = ns;
    b->segs[b->nseg++] = seg;
    b->total += seg.len;
    return 0;
}

int body_from_text(struct body *b, const char *text, size_t len)
{
    reset_content(b);
    b->text = malloc(len + 1);
    if (!b->text)
        return GB_ENOMEM;
    memcpy(b->text, text, len);
    b->text[len] = '\0';
    b->text_len = len;
    if (len == 0)
        return 0;
    return push_seg(b, (struct body_seg){SEG_TEXT, b->text, NULL, 0, 0, len});
}

int body_from_file_range(struct body *b, const char *path, uint64_t off, uint64_t len)
{
    reset_content(b);
    if (len == 0)
        return 0;
    return push_seg(b, (struct body_seg){SEG_RAWFILE, NULL, path, off, len, len});
}

int body_from_request(struct body *b, const struct job_ctx *ctx, const json_t *req,
                      const struct job *job, struct gb_err *err)
{
    reset_content(b);
    /* the shortest digits that keep each value: a temperature of 0.1 goes out
     * as 0.1, and a 17-digit number is not rounded */
    b->text = jf_dump_short(req, NULL);
    if (!b->text)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    b->text_len = strlen(b->text);
    /* split at each media placeholder: `\u0000gbm<k>:<nonce>` */
    const char *s = b->text, *end = b->text + b->text_len;
    const char tag[] = "\\u0000gbm";
    size_t nonce_len = strlen(ctx->nonce);
    while (s < end) {
        const char *hit = memmem(s, (size_t)(end - s), tag, sizeof tag - 1);
        size_t k = 0;
        const char *after = NULL;
        if (hit) {
            const char *p = hit + sizeof tag - 1;
            if (p < end && *p >= '0' && *p <= '9') {
                while (p < end && *p >= '0' && *p <= '9')
                    k = k * 10 + (size_t)(*p++ - '0');
                if (p < end && *p == ':' && (size_t)(end - p - 1) >= nonce_len &&
                    !memcmp(p + 1, ctx->nonce, nonce_len) && k < job->nmedia)
                    after = p + 1 + nonce_len;
            }
            if (!after) { /* user text that merely looks like a marker */
                size_t lit = (size_t)(hit + sizeof tag - 1 - s);
                if (push_seg(b, (struct body_seg){SEG_TEXT, s, NULL, 0, 0, lit}))
                    return GB_FAIL(err, GB_ENOMEM, "out of memory");
                s += lit;
                continue;
            }
        }
        size_t lit = (size_t)((hit ? hit : end) - s);
        if (lit && push_seg(b, (struct body_seg){SEG_TEXT, s, NULL, 0, 0, lit}))
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        if (!hit)
            break;
        const struct media *m = &job->media[k];
        if (m->size && push_seg(b, (struct body_seg){SEG_B64FILE, NULL, m->path, 0, m->size,
                                                      b64_enc_len(m->size)}))
            return GB_FAIL(err, GB_ENOMEM, "out of memory");
        s = after;
    }
    return 0;
}

void body_rewind(struct body *b)
{
    close_fd(b);
    b->si = 0;
    b->seg_pos = 0;
    b->pend_len = b->pend_pos = 0;
    b->error[0] = '\0';
}

int body_seek(void *userdata, int64_t offset, int origin)
{
    struct body *b = userdata;
    if (origin != SEEK_SET || offset < 0 || (uint64_t)offset > b->total)
        return CURL_SEEKFUNC_CANTSEEK;
    body_rewind(b);
    uint64_t left = (uint64_t)offset;
    while (b->si < b->nseg && left >= b->segs[b->si].len) {
        left -= b->segs[b->si].len;
        b->si++;
    }
    b->seg_pos = left;
    return CURL_SEEKFUNC_OK;
}

static int open_seg(struct body *b)
{
    if (b->fd >= 0 && b->fd_seg == b->si)
        return 0;
    close_fd(b);
    b->fd = open(b->segs[b->si].path, O_RDONLY | O_CLOEXEC);
    if (b->fd < 0) {
        snprintf(b->error, sizeof b->error, "cannot open '%s': %s", b->segs[b->si].path,
                 strerror(errno));
        return -1;
    }
    b->fd_seg = b->si;
    return 0;
}

/* Read file bytes [off, off+n) exactly; a short read means the file changed. */
static int read_exact(struct body *b, void *dst, size_t n, uint64_t off)
{
    ssize_t r = fsx_pread_full(b->fd, dst, n, (off_t)off);
    if (r != (ssize_t)n) {
        snprintf(b->error, sizeof b->error, "'%s' %s while it was being sent",
                 b->segs[b->si].path, r < 0 ? "could not be read" : "shrank");
        return -1;
    }
    return 0;
}

/* Fill dst (room bytes) from a base64 file segment; returns bytes or -1. */
static long read_b64(struct body *b, char *dst, size_t room)
{
    const struct body_seg *sg = &b->segs[b->si];
    uint64_t pos = b->seg_pos;
    uint64_t group = pos / 4;
    size_t within = (size_t)(pos % 4);
    if (within || room < 4) {
        /* one group through pend */
        uint64_t boff = group * 3;
        size_t nb = sg->bytes - boff < 3 ? (size_t)(sg->bytes - boff) : 3;
        unsigned char g[3];
        if (read_exact(b, g, nb, boff))
            return -1;
        b64_encode(g, nb, b->pend);
        size_t take = 4 - within < room ? 4 - within : room;
        memcpy(dst, b->pend + within, take);
        return (long)take;
    }
    uint64_t groups_left = (sg->len - pos) / 4;
    uint64_t groups = room / 4;
    if (groups > b->scratch_sz / 3)
        groups = b->scratch_sz / 3;
    if (groups > groups_left)
        groups = groups_left;
    uint64_t boff = group * 3;
    size_t nb = (size_t)(groups * 3);
    if (boff + nb > sg->bytes)
        nb = (size_t)(sg->bytes - boff);
    if (read_exact(b, b->scratch, nb, boff))
        return -1;
    return (long)b64_encode(b->scratch, nb, dst);
}

size_t body_read(char *dst, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t room = size * nmemb, out = 0;
    while (out < room && b->si < b->nseg) {
        struct body_seg *sg = &b->segs[b->si];
        uint64_t left = sg->len - b->seg_pos;
        size_t want = room - out < left ? room - out : (size_t)left;
        long got;
        switch (sg->kind) {
        case SEG_TEXT:
            memcpy(dst + out, sg->text + b->seg_pos, want);
            got = (long)want;
            break;
        case SEG_RAWFILE:
            if (open_seg(b) || read_exact(b, dst + out, want, sg->off + b->seg_pos))
                return CURL_READFUNC_ABORT;
            got = (long)want;
            break;
        default:
            if (open_seg(b))
                return CURL_READFUNC_ABORT;
            got = read_b64(b, dst + out, want);
            if (got < 0)
                return CURL_READFUNC_ABORT;
            break;
        }
        out += (size_t)got;
        b->seg_pos += (uint64_t)got;
        if (b->seg_pos >= sg->len) {
            close_fd(b);
            b->si++;
            b->seg_pos = 0;
        }
    }
    return out;
}

/* ---- token estimate -------------------------------------------------------- */

static long text_tokens(const json_t *v, int depth)
{
    if (depth > 6)
        return 0;
    if (json_is_string(v))
        return (long)(json_string_length(v) + 3) / 4;
    long t = 0;
    if (json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) t += text_tokens(e, depth + 1);
    } else if (json_is_object(v)) {
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e) {
            if (!strcmp(k, "data") || !strcmp(k, "uri") || !strcmp(k, "mime_type") ||
                !strcmp(k, "type"))
                continue;
            t += text_tokens(e, depth + 1);
        }
    }
    return t;
}

long req_media_tokens(const struct media *m, struct media_info *mi)
{
    struct media_info local;
    struct media_info *p = mi ? mi : &local;
    mi_probe(m->path, m->mime, m->size, p); /* a file gone since: a guess, flagged */
    return mi_tokens(p, m->type, m->mime, m->size);
}

long req_estimate(const json_t *req, const struct job *job, struct req_estimate *out)
{
    struct req_estimate e = {0, 0, 0};
    e.text_tokens = text_tokens(json_object_get(req, "input"), 0) +
                    text_tokens(json_object_get(req, "system_instruction"), 0);
    for (size_t i = 0; job && i < job->nmedia; i++) {
        struct media_info mi;
        e.media_tokens += req_media_tokens(&job->media[i], &mi);
        e.guessed |= mi.guessed;
    }
    if (out)
        *out = e;
    long t = e.text_tokens + e.media_tokens;
    return t < 1 ? 1 : t;
}

long req_estimate_tokens(const json_t *req, const struct job *job)
{
    return req_estimate(req, job, NULL);
}

/* ---- the most a request's input can be billed for ------------------------------- */

static int is_media_type(const char *t)
{
    return t && (!strcmp(t, "image") || !strcmp(t, "audio") || !strcmp(t, "video") ||
                 !strcmp(t, "document"));
}

/* A content part whose bytes are media: a media type, or a mime_type, with
 * data or a uri. */
static int media_part(const json_t *o)
{
    if (!json_object_get(o, "data") && !json_object_get(o, "uri"))
        return 0;
    return is_media_type(jx_str(o, "type")) || json_object_get(o, "mime_type");
}

/* The job's media index of a placeholder (job.c: NUL, "gbm", the index, ':',
 * the run's nonce), or -1 when v is not one of this run's. */
static long placeholder_of(const json_t *v, const struct job_ctx *ctx, const struct job *job)
{
    if (!json_is_string(v) || !ctx || !job)
        return -1;
    const char *s = json_string_value(v), *end = s + json_string_length(v);
    if (end - s < 6 || s[0] != '\0' || memcmp(s + 1, "gbm", 3))
        return -1;
    const char *p = s + 4;
    size_t k = 0;
    if (p == end || *p < '0' || *p > '9')
        return -1;
    while (p < end && *p >= '0' && *p <= '9' && k < job->nmedia)
        k = k * 10 + (size_t)(*p++ - '0');
    size_t nl = strlen(ctx->nonce);
    if (k >= job->nmedia || p == end || *p != ':' || (size_t)(end - p - 1) != nl ||
        memcmp(p + 1, ctx->nonce, nl))
        return -1;
    return (long)k;
}

/* The job's media that content part o carries: by its placeholder, or by
 * the Files API uri it was given once uploaded (run_media.c, Batch Mode).
 * -1 when o's bytes are not one of the job's files. */
static long job_media_of(const json_t *o, const struct job_ctx *ctx, const struct job *job)
{
    long at = placeholder_of(json_object_get(o, "data"), ctx, job);
    const char *uri = jx_str(o, "uri");
    for (size_t k = 0; at < 0 && uri && job && k < job->nmedia; k++)
        if (job->media[k].uri && !strcmp(job->media[k].uri, uri))
            at = (long)k;
    return at;
}

static void media_bound(const struct media *m, struct req_bound *b)
{
    struct media_info mi;
    mi_probe(m->path, m->mime, m->size, &mi);
    int mod = usage_modality_of(m->type);
    int pdf = !strcmp(m->mime, "application/pdf");
    if (mod == USAGE_DOCUMENT && !pdf) { /* text: a token a byte at most */
        b->by[USAGE_TEXT] += (long long)m->size;
        return;
    }
    long long *into = mi.guessed || mod < 0 ? &b->any : &b->by[mod];
    if (mod == USAGE_VIDEO) {
        /* at least a second of frames (a shorter clip still bills them), and
         * a soundtrack, which may be billed as audio */
        double s = mi.seconds < 1 ? 1 : mi.seconds;
        *into += (long long)ceil(s * MI_TOKENS_PER_VIDEO_SECOND);
        *(mi.guessed ? &b->any : &b->by[USAGE_AUDIO]) +=
            (long long)ceil(s * MI_TOKENS_PER_AUDIO_SECOND);
        return;
    }
    /* a type the modalities do not name: a token a byte, the text ceiling */
    *into += mod < 0 ? (long long)m->size : mi_tokens(&mi, m->type, m->mime, m->size);
}

struct bound_walk {
    const struct job_ctx *ctx;
    const struct job *job;
    int followup;
    struct req_bound *b;
};

static void unmeasured(struct req_bound *b, const char *why)
{
    if (!b->unmeasured++)
        b->why = why;
}

static void bound_walk(struct bound_walk *w, const json_t *v)
{
    size_t i;
    const char *k;
    json_t *e;
    switch (json_typeof(v)) {
    case JSON_STRING:
        w->b->by[USAGE_TEXT] += (long long)json_string_length(v);
        break;
    case JSON_ARRAY:
        json_array_foreach ((json_t *)v, i, e)
            bound_walk(w, e);
        break;
    case JSON_OBJECT: {
        int media = media_part(v);
        if (media) {
            long at = job_media_of(v, w->ctx, w->job);
            if (at >= 0)
                media_bound(&w->job->media[at], w->b);
            else if (!w->followup)
                unmeasured(w->b, "a media part given as \"data\" or \"uri\" (not a "
                                 "\"path\"), whose tokens cannot be measured here");
        }
        json_object_foreach ((json_t *)v, k, e) {
            if (media && (!strcmp(k, "data") || !strcmp(k, "uri")))
                continue;
            w->b->by[USAGE_TEXT] += (long long)strlen(k);
            bound_walk(w, e);
        }
        break;
    }
    default: /* a number or a literal: at most this many bytes written out */
        w->b->by[USAGE_TEXT] += 24;
        break;
    }
}

void req_input_bound(const json_t *req, const struct job_ctx *ctx, const struct job *job,
                     int followup, struct req_bound *out)
{
    memset(out, 0, sizeof *out);
    struct bound_walk w = {ctx, job, followup, out};
    bound_walk(&w, req);
    if (!followup && json_is_string(json_object_get(req, "previous_interaction_id")))
        unmeasured(out, "it continues a stored interaction (previous_interaction_id), whose "
                        "conversation is billed again as input and cannot be measured here");
}
