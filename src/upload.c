/* upload.c: Files API resumable uploads as a small state machine driven by
 * run.c: start -> chunk ... -> finalize -> get until ACTIVE. A chunk that
 * fails is followed by a query, and the upload goes on from the offset the
 * server reports, never from zero. Bodies stream from the file (request.c). */
#include "upload.h"
#include "err.h"
#include "jsonx.h"
#include "log.h"
#include "response.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int uploads_init(struct uploads *u, const char *endpoint, const char *version)
{
    memset(u, 0, sizeof *u);
    u->endpoint = strdup(endpoint);
    if (!u->endpoint)
        return GB_ENOMEM;
    size_t n = strlen(u->endpoint);
    while (n && u->endpoint[n - 1] == '/')
        u->endpoint[--n] = '\0';
    u->version = version;
    u->chunk_bytes = 8u << 20;
    return 0;
}

void uploads_free(struct uploads *u)
{
    for (size_t i = 0; i < u->n; i++) {
        struct upl *r = u->v[i];
        free(r->path);
        free(r->upload_url);
        free(r->name);
        free(r->uri);
        free(r);
    }
    free(u->v);
    free(u->endpoint);
    memset(u, 0, sizeof *u);
}

struct upl *uploads_find(struct uploads *u, const uint8_t sha[32])
{
    for (size_t i = 0; i < u->n; i++)
        if (!memcmp(u->v[i]->sha, sha, 32))
            return u->v[i];
    return NULL;
}

struct upl *uploads_add(struct uploads *u, const uint8_t sha[32], uint64_t size,
                        const char *mime, const char *path)
{
    if (u->n == u->cap) {
        size_t ncap = u->cap ? u->cap * 2 : 16;
        struct upl **nv = realloc(u->v, ncap * sizeof *nv);
        if (!nv)
            return NULL;
        u->v = nv;
        u->cap = ncap;
    }
    struct upl *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    memcpy(r->sha, sha, 32);
    r->size = size;
    snprintf(r->mime, sizeof r->mime, "%s", mime);
    r->path = strdup(path);
    r->state = UPL_RUNNING;
    r->step = UPL_START;
    r->poll_s = 0.5;
    if (!r->path) {
        free(r);
        return NULL;
    }
    u->v[u->n++] = r;
    return r;
}

/* A private copy of the common headers plus extras (xfer adds the key when
 * the op's URL is on the endpoint's origin). */
static struct curl_slist *headers(struct xfer *x, const char *const *extra)
{
    struct curl_slist *l = NULL;
    for (struct curl_slist *c = x->common; c; c = c->next)
        if (strncasecmp(c->data, "Content-Type:", 13))
            l = curl_slist_append(l, c->data);
    for (int i = 0; extra[i]; i++)
        l = curl_slist_append(l, extra[i]);
    return l;
}

struct op *upl_op(struct uploads *u, struct xfer *x, struct upl *rec, void *user)
{
    char h1[128], h2[128], h3[128], *url = NULL;
    struct op *op = NULL;
    switch (rec->step) {
    case UPL_START: {
        size_t n = strlen(u->endpoint) + 32;
        url = malloc(n);
        if (!url)
            return NULL;
        snprintf(url, n, "%s/upload/%s/files", u->endpoint, u->version);
        op = op_new(x, OPK_UPLOAD, user, "POST", url);
        if (!op)
            return NULL;
        snprintf(h1, sizeof h1, "X-Goog-Upload-Header-Content-Length: %llu",
                 (unsigned long long)rec->size);
        snprintf(h2, sizeof h2, "X-Goog-Upload-Header-Content-Type: %s", rec->mime);
        const char *extra[] = {"Content-Type: application/json", "X-Goog-Upload-Protocol: resumable",
                               "X-Goog-Upload-Command: start", h1, h2, NULL};
        op->headers = headers(x, extra);
        json_t *b = json_pack("{s:{s:s,s:s}}", "file", "mimeType", rec->mime, "displayName",
                              strrchr(rec->path, '/') ? strrchr(rec->path, '/') + 1 : rec->path);
        char *text = json_dumps(b, JSON_COMPACT);
        json_decref(b);
        if (!text || body_from_text(&op->body, text, strlen(text))) {
            free(text);
            op_free(op);
            return NULL;
        }
        free(text);
        op->has_body = 1;
        op->timeout_ms = 60000;
        break;
    }
    case UPL_CHUNK: {
        url = strdup(rec->upload_url);
        op = url ? op_new(x, OPK_UPLOAD, user, "POST", url) : NULL;
        if (!op)
            return NULL;
        uint64_t left = rec->size - rec->offset;
        rec->chunk_len = left < u->chunk_bytes ? left : u->chunk_bytes;
        int last = rec->offset + rec->chunk_len == rec->size;
        snprintf(h1, sizeof h1, "X-Goog-Upload-Command: %s", last ? "upload, finalize" : "upload");
        snprintf(h2, sizeof h2, "X-Goog-Upload-Offset: %llu", (unsigned long long)rec->offset);
        snprintf(h3, sizeof h3, "Content-Type: application/octet-stream");
        const char *extra[] = {h1, h2, h3, NULL};
        op->headers = headers(x, extra);
        if (body_from_file_range(&op->body, rec->path, rec->offset, rec->chunk_len)) {
            op_free(op);
            return NULL;
        }
        op->has_body = 1;
        /* a chunk may take long on a slow link; stalls are caught by low speed */
        op->timeout_ms = 0;
        op->low_speed_time_s = 60;
        break;
    }
    case UPL_QUERY: {
        url = strdup(rec->upload_url);
        op = url ? op_new(x, OPK_UPLOAD, user, "POST", url) : NULL;
        if (!op)
            return NULL;
        const char *extra[] = {"X-Goog-Upload-Command: query", NULL};
        op->headers = headers(x, extra);
        body_from_text(&op->body, "", 0);
        op->has_body = 1;
        op->timeout_ms = 60000;
        break;
    }
    case UPL_GET: {
        size_t n = strlen(u->endpoint) + strlen(rec->name) + 32;
        url = malloc(n);
        if (!url)
            return NULL;
        snprintf(url, n, "%s/%s/%s", u->endpoint, u->version, rec->name);
        op = op_new(x, OPK_UPLOAD, user, "GET", url);
        if (!op)
            return NULL;
        op->timeout_ms = 60000;
        break;
    }
    }
    return op;
}

/* Read a File resource (camelCase) into the record. 0, or -1 if malformed. */
static int take_file(struct upl *rec, json_t *file)
{
    const char *name = jx_str(file, "name"), *uri = jx_str(file, "uri"),
               *state = jx_str(file, "state");
    if (!name || !uri)
        return -1;
    free(rec->name);
    free(rec->uri);
    rec->name = strdup(name);
    rec->uri = strdup(uri);
    if (state && !strcmp(state, "FAILED")) {
        json_t *e = jx_obj(file, "error");
        snprintf(rec->error, sizeof rec->error, "the Files API could not process '%s': %s",
                 rec->path, e && jx_str(e, "message") ? jx_str(e, "message") : "state FAILED");
        rec->state = UPL_FAILED;
        return 0;
    }
    if (state && !strcmp(state, "ACTIVE"))
        rec->state = UPL_ACTIVE;
    return 0;
}

static enum upl_next fail(struct upl *rec, const char *fmt, const char *a, const char *b)
    __attribute__((format(printf, 2, 0)));
static enum upl_next fail(struct upl *rec, const char *fmt, const char *a, const char *b)
{
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
    snprintf(rec->error, sizeof rec->error, fmt, a, b);
#pragma GCC diagnostic pop
    rec->state = UPL_FAILED;
    return UPL_FAIL;
}

enum upl_next upl_done(struct uploads *u, struct upl *rec, struct op *op,
                       const struct retry_policy *p, uint64_t rnd, long *delay_ms)
{
    *delay_ms = 0;
    rec->attempts++;
    struct outcome o = {OC_OK, op->http, -1, NULL};
    struct api_error ae = {0};
    int ok2xx = op->cc == CURLE_OK && op->http >= 200 && op->http < 300;
    if (op->cc != CURLE_OK) {
        o.cls = op->cc == CURLE_OPERATION_TIMEDOUT ? OC_TIMEOUT
                : (op->cc == CURLE_PEER_FAILED_VERIFICATION || op->cc == CURLE_SSL_CONNECT_ERROR ||
                   op->cc == CURLE_SSL_CACERT_BADFILE)
                    ? OC_TLS
                : op->cc == CURLE_READ_ERROR ? OC_LOCAL
                                             : OC_NET;
    } else if (!ok2xx) {
        o.cls = OC_HTTP;
        resp_parse_error(op->resp.data, op->resp.len, op->http, &ae);
        o.retry_info_ms = ae.retry_delay_ms;
        o.retry_after = op->retry_after[0] ? op->retry_after : NULL;
        if (resp_auth_refused(&ae, op->http))
            o.http = 401;
    }
    char why[700];
    if (o.cls == OC_HTTP)
        snprintf(why, sizeof why, "HTTP %ld %s: %.500s", op->http, ae.status, ae.message);
    else if (o.cls != OC_OK)
        snprintf(why, sizeof why, "%s", xfer_why(op->cc, op->errbuf));
    if (o.cls == OC_OK) {
        json_t *doc = op->resp.len ? json_loadb(op->resp.data, op->resp.len, 0, NULL) : NULL;
        enum upl_next next = UPL_GO;
        switch (rec->step) {
        case UPL_START:
            if (!op->upload_url) {
                json_decref(doc);
                return fail(rec, "the Files API gave no upload URL for '%s'%s", rec->path, "");
            }
            /* The bytes and the key go to the endpoint and nowhere else: the
             * server's URL keeps its path and query but takes the endpoint's
             * scheme, host and port, as SDK 3.x does; a URL that is not http(s)
             * (file://, gopher://) is refused, never followed. */
            free(rec->upload_url);
            rec->upload_url = NULL;
            if (url_rebase(op->upload_url, u->endpoint, &rec->upload_url)) {
                json_decref(doc);
                return fail(rec, "the Files API gave an upload URL for '%s' that is not http or "
                                 "https%s; it was not followed",
                            rec->path, "");
            }
            if (strcmp(rec->upload_url, op->upload_url))
                log_debug("the upload URL for '%s' named another origin; sent to the endpoint's",
                          rec->path);
            rec->offset = 0;
            rec->step = rec->size ? UPL_CHUNK : UPL_QUERY;
            u->files++;
            break;
        case UPL_CHUNK:
        case UPL_QUERY:
            if (rec->step == UPL_CHUNK)
                u->bytes_sent += (long long)rec->chunk_len;
            if (!strcasecmp(op->upload_status, "final")) {
                json_t *file = doc ? jx_obj(doc, "file") : NULL;
                if (!file || take_file(rec, file)) {
                    /* the upload is complete but its answer was cut or
                     * garbled: a query asks for the File again, as a retry (no
                     * byte is sent again, and no second file is made) */
                    json_decref(doc);
                    rec->step = UPL_QUERY;
                    o.cls = OC_BAD_BODY;
                    snprintf(why, sizeof why, "the Files API's final answer for '%.200s' has no "
                             "readable file", rec->path);
                    goto again;
                }
                rec->step = UPL_GET;
                rec->offset = rec->size;
                if (rec->state == UPL_FAILED)
                    next = UPL_FAIL;
                else if (rec->state == UPL_ACTIVE)
                    next = UPL_DONE;
            } else if (!strcasecmp(op->upload_status, "active")) {
                if (rec->step == UPL_QUERY) {
                    if (op->size_received < 0 || (uint64_t)op->size_received > rec->size) {
                        json_decref(doc);
                        return fail(rec, "the Files API's query for '%s' reported no offset%s",
                                    rec->path, "");
                    }
                    rec->offset = (uint64_t)op->size_received;
                    rec->resumes++;
                    u->resumes++;
                } else {
                    rec->offset += rec->chunk_len;
                }
                rec->step = UPL_CHUNK;
            } else {
                json_decref(doc);
                return fail(rec, "the Files API ended the upload of '%s' (status '%s')",
                            rec->path, op->upload_status[0] ? op->upload_status : "none");
            }
            break;
        case UPL_GET:
            if (!doc || take_file(rec, doc)) { /* a GET is safe to repeat: a retry */
                json_decref(doc);
                o.cls = OC_BAD_BODY;
                snprintf(why, sizeof why, "the Files API returned an unreadable File for '%.200s'",
                         rec->path);
                goto again;
            }
            if (rec->state == UPL_ACTIVE)
                next = UPL_DONE;
            else if (rec->state == UPL_FAILED)
                next = UPL_FAIL;
            else {
                /* still PROCESSING: poll with a growing wait */
                *delay_ms = (long)(rec->poll_s * 1000);
                rec->poll_s = rec->poll_s * 1.5 > 10 ? 10 : rec->poll_s * 1.5;
                next = UPL_LATER;
            }
            break;
        }
        json_decref(doc);
        rec->attempts = 0;
        if (rec->step == UPL_CHUNK && next == UPL_GO && op->upload_status[0] &&
            !strcasecmp(op->upload_status, "active"))
            rec->requeried = 0; /* progress was made: a later refusal may query again */
        return next;
    }
again:
    /* A chunk refused for its offset (400) usually means libcurl re-sent it by
     * itself on a fresh connection after the first one died with part of the
     * chunk delivered: ask the server what it has, once, and go on from there. */
    if (rec->step == UPL_CHUNK && o.cls == OC_HTTP && op->http == 400 && !rec->requeried) {
        rec->requeried = 1;
        rec->step = UPL_QUERY;
        return UPL_GO;
    }
    enum verdict v = retry_decide(p, &o, rec->attempts, rnd, delay_ms);
    if (v == V_ABORT) {
        snprintf(rec->error, sizeof rec->error, "%.500s", why);
        return UPL_ABORT;
    }
    if (v != V_RETRY)
        return fail(rec, "uploading '%.200s' failed: %.280s", rec->path, why);
    /* a chunk broke: ask the server what it has, and go on from there */
    if (rec->step == UPL_CHUNK)
        rec->step = UPL_QUERY;
    return UPL_LATER;
}
