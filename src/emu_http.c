/* emu_http.c: the request and reply plumbing every route and the request
 * log share: header and query lookups, new interaction ids, filling a reply,
 * and turning a reply into an MHD response (where the reset and bad_json
 * faults cut it). A leaf: it calls nothing else of the emulator's HTTP side,
 * so the files above it never call up. */
#include "emu.h"
#include "emu_srv.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *req_header(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *req_query(struct req *r, const char *name)
{
    return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

void emu_new_id(struct emu *e, char out[48])
{
    uint64_t n = __atomic_add_fetch(&e->id_ctr, 1, __ATOMIC_RELAXED);
    snprintf(out, 48, "ix_%08llx%012llx", (unsigned long long)(e->nonce & 0xffffffffu),
             (unsigned long long)n);
}

/* ---- replies -------------------------------------------------------------------- */

void reply_body(struct req *r, unsigned status, const char *ctype, char *body, size_t len)
{
    free(r->rep.body);
    emu_body_free(r->rep.stream);
    r->rep.stream = NULL;
    r->rep.status = status;
    r->rep.ctype = ctype;
    r->rep.body = body;
    r->rep.len = len;
}

void reply_json(struct req *r, char *json, size_t len)
{
    if (!json) {
        struct emu_err err;
        emu_fail(&err, 500, "INTERNAL", "out of memory");
        reply_error(r, &err);
        return;
    }
    reply_body(r, 200, JSON_CTYPE, json, len);
}

void reply_stream(struct req *r, unsigned status, const char *ctype, struct emu_body *body)
{
    reply_body(r, status, ctype, NULL, (size_t)emu_body_size(body));
    r->rep.stream = body;
}

void reply_header(struct req *r, const char *name, const char *fmt, ...)
{
    if (r->rep.nh >= REPLY_MAX_HEADERS)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->rep.hval[r->rep.nh], sizeof r->rep.hval[0], fmt, ap);
    va_end(ap);
    r->rep.hname[r->rep.nh++] = name;
}

void reply_error(struct req *r, const struct emu_err *err)
{
    size_t len = 0;
    char *body = emu_err_body(err, &len);
    r->rep.nh = 0;
    r->rep.sse = 0;
    r->rep.retry_after_s = err->retry_after_s;
    if (!body) {
        body = strdup("{\"error\":{\"code\":500,\"message\":\"out of memory\",\"status\":\"INTERNAL\"}}");
        len = body ? strlen(body) : 0;
    }
    reply_body(r, (unsigned)err->http, JSON_CTYPE, body, len);
}

/* ---- the HTTP response ------------------------------------------------------------ */

struct cut_body {
    char *body;
    size_t cut;
};

static ssize_t cut_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct cut_body *c = cls;
    if (pos >= c->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR; /* drop the connection mid-body */
    size_t n = c->cut - (size_t)pos;
    if (n > max)
        n = max;
    memcpy(buf, c->body + pos, n);
    return (ssize_t)n;
}

static void cut_free(void *cls)
{
    struct cut_body *c = cls;
    free(c->body);
    free(c);
}

/* A streamed body; cut > 0: the reset fault drops the connection there. */
struct streamed {
    struct emu_body *b;
    uint64_t cut;
};

static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct streamed *s = cls;
    if (s->cut && pos >= s->cut)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    if (s->cut && max > s->cut - pos)
        max = (size_t)(s->cut - pos);
    ssize_t n = emu_body_read(s->b, pos, buf, max);
    return n > 0 ? n : MHD_CONTENT_READER_END_WITH_ERROR;
}

static void stream_free(void *cls)
{
    struct streamed *s = cls;
    emu_body_free(s->b);
    free(s);
}

static struct MHD_Response *stream_response(struct req *r)
{
    struct reply *p = &r->rep;
    struct streamed *s = malloc(sizeof *s);
    if (!s)
        return NULL;
    uint64_t size = emu_body_size(p->stream);
    s->b = p->stream;
    s->cut = r->fault == F_RESET ? size / 2 : 0;
    p->stream = NULL;
    if (r->fault == F_BAD_JSON && p->status == 200 && size > 1)
        size /= 2; /* a 200 whose body stops halfway */
    struct MHD_Response *resp =
        MHD_create_response_from_callback(size ? size : 0, 64 * 1024, stream_reader, s,
                                          stream_free);
    if (!resp)
        stream_free(s);
    return resp;
}

struct MHD_Response *emu_response(struct req *r)
{
    struct reply *p = &r->rep;
    struct MHD_Response *resp;
    if (p->stream) {
        if (!(resp = stream_response(r)))
            return NULL;
    } else if (r->fault == F_RESET) {
        struct cut_body *c = malloc(sizeof *c);
        if (!c)
            return NULL;
        c->body = p->body;
        c->cut = p->len / 2;
        p->body = NULL;
        /* announce the whole length, send half, then drop */
        resp = MHD_create_response_from_callback(p->len ? p->len : 1, 4096, cut_reader, c,
                                                 cut_free);
        if (!resp) {
            cut_free(c);
            return NULL;
        }
    } else {
        size_t len = p->len;
        if (r->fault == F_BAD_JSON && p->status == 200 && len > 1)
            len /= 2; /* a 200 whose body stops halfway */
        resp = MHD_create_response_from_buffer(len, p->body ? p->body : (void *)"",
                                               p->body ? MHD_RESPMEM_MUST_FREE
                                                       : MHD_RESPMEM_PERSISTENT);
        if (!resp)
            return NULL;
        p->body = NULL;
    }
    if (p->ctype)
        MHD_add_response_header(resp, "Content-Type", p->ctype);
    if (p->sse) {
        MHD_add_response_header(resp, "Cache-Control", "no-cache");
        /* both SDKs end a stream only when the body ends */
        MHD_add_response_header(resp, "Connection", "close");
    }
    if (p->retry_after_s > 0) {
        char v[32];
        snprintf(v, sizeof v, "%ld", p->retry_after_s);
        MHD_add_response_header(resp, "Retry-After", v);
    }
    for (int i = 0; i < p->nh; i++)
        MHD_add_response_header(resp, p->hname[i], p->hval[i]);
    MHD_add_response_header(resp, EMU_MARK_HEADER, "1"); /* synthetic, wherever it goes */
    return resp;
}
