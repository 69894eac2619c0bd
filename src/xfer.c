/* xfer.c: the transfer loop's machinery. Owns the curl multi handle, the pool
 * of easy handles, and every op in flight; HTTP/2 multiplexing where the
 * server offers it (PIPEWAIT, https only), keep-alive reuse otherwise; the
 * per-attempt timeout, counted from when curl starts the attempt. Knows
 * nothing about jobs, retries or files: those live in run.c and retry.c.
 * Guards what a hostile server could steer: the protocols curl may use, the
 * origin the key goes to, and the memory all responses take together. */
#include "xfer.h"
#include "err.h"
#include "fsx.h"
#include "log.h"
#include "url.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

enum { SCRATCH = 48 * 1024 };

static const char key_name[] = "x-goog-api-key:";

/* "scheme://authority" of url as written, or NULL when the authority holds
 * something a plain prefix comparison could misjudge. */
static char *authority_prefix(const char *url)
{
    const char *sep = strstr(url, "://");
    if (!sep)
        return NULL;
    size_t n = (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
    if (memchr(url, '@', n) || memchr(url, '\\', n) || memchr(url, '%', n))
        return NULL;
    return strndup(url, n);
}

static int set_origin(struct xfer *x, const char *url)
{
    free(x->origin);
    free(x->origin_prefix);
    x->origin = url_origin(url);
    x->origin_prefix = authority_prefix(url);
    return x->origin ? 0 : GB_EINVAL;
}

/* 1 if url is on the endpoint's origin, the only place the key may go. */
static int key_may_go(const struct xfer *x, const char *url)
{
    if (!x->key_header || !x->origin)
        return 0;
    if (x->origin_prefix) {
        size_t n = strlen(x->origin_prefix);
        if (!strncmp(url, x->origin_prefix, n) && strchr("/?#", url[n]))
            return 1; /* the same authority, character for character */
    }
    char *o = url_origin(url);
    int same = o && !strcmp(o, x->origin);
    free(o);
    return same;
}

static void budget_drop(struct xfer_budget *b)
{
    if (b && --b->refs == 0)
        free(b);
}

static void uncharge(struct op *op)
{
    if (op->budget)
        op->budget->used -= op->held;
    op->held = 0;
}

/* Charge n response bytes to the budget: 0, or -1 when it would pass it. */
static int charge(struct op *op, size_t n)
{
    struct xfer_budget *b = op->budget;
    if (!b)
        return 0;
    if (n > b->max - b->used)
        return -1;
    b->used += n;
    op->held += n;
    return 0;
}

/* curl's own timeout stays as a backstop for an attempt that never leaves
 * the queue: twice the attempt's limit and a minute more */
#define BACKSTOP_MS(t) ((t) * 2 + 60000L)

int xfer_init(struct xfer *x, const struct xfer_opts *o, const char *api_key,
              const char *user_agent)
{
    memset(x, 0, sizeof *x);
    x->opts = *o;
    x->multi = curl_multi_init();
    x->scratch = malloc(SCRATCH);
    x->scratch_sz = SCRATCH;
    x->budget = calloc(1, sizeof *x->budget);
    if (!x->multi || !x->scratch || !x->budget)
        return GB_ENOMEM;
    x->budget->refs = 1;
    x->budget->max = XFER_BUDGET_DEFAULT;
    curl_multi_setopt(x->multi, CURLMOPT_PIPELINING, CURLPIPE_MULTIPLEX);
    if (o->max_host_connections > 0)
        curl_multi_setopt(x->multi, CURLMOPT_MAX_HOST_CONNECTIONS, (long)o->max_host_connections);
    char h[512];
    struct curl_slist *l = NULL;
    l = curl_slist_append(l, "Content-Type: application/json");
    l = curl_slist_append(l, "Accept: application/json, text/event-stream");
    /* no 100-continue round trip before large bodies */
    l = curl_slist_append(l, "Expect:");
    snprintf(h, sizeof h, "User-Agent: %s", user_agent);
    l = curl_slist_append(l, h);
    snprintf(h, sizeof h, "x-goog-api-client: %s", user_agent);
    l = curl_slist_append(l, h);
    if (!l)
        return GB_ENOMEM;
    x->common = l;
    if (api_key && *api_key) {
        /* the key lives only in this header and common_key; never printed or
         * logged, and sent only to the endpoint's origin (key_may_go) */
        size_t n = strlen(api_key) + sizeof key_name + 1;
        x->key_header = malloc(n);
        if (!x->key_header)
            return GB_ENOMEM;
        snprintf(x->key_header, n, "%s %s", key_name, api_key);
        for (struct curl_slist *c = x->common; c; c = c->next)
            if (!(x->common_key = curl_slist_append(x->common_key, c->data)))
                return GB_ENOMEM;
        if (!(x->common_key = curl_slist_append(x->common_key, x->key_header)))
            return GB_ENOMEM;
    }
    return 0;
}

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

static void slist_wipe_free(struct curl_slist *l)
{
    for (struct curl_slist *c = l; c; c = c->next)
        memset(c->data, 0, strlen(c->data));
    curl_slist_free_all(l);
}

void xfer_free(struct xfer *x)
{
    for (int i = 0; i < x->npool; i++)
        curl_easy_cleanup(x->pool[i]);
    free(x->pool);
    if (x->multi)
        curl_multi_cleanup(x->multi);
    curl_slist_free_all(x->common);
    slist_wipe_free(x->common_key);
    wipe_free(x->key_header);
    free(x->origin);
    free(x->origin_prefix);
    budget_drop(x->budget);
    free(x->scratch);
    memset(x, 0, sizeof *x);
}

struct op *op_new(struct xfer *x, int kind, void *user, const char *method, char *url)
{
    struct op *op = calloc(1, sizeof *op);
    if (!op) {
        free(url);
        return NULL;
    }
    op->kind = kind;
    op->user = user;
    op->method = method;
    op->url = url;
    op->resp_max = XFER_RESP_MAX;
    op->size_received = -1;
    op->budget = x->budget;
    if (op->budget)
        op->budget->refs++;
    body_init(&op->body, x->scratch, x->scratch_sz);
    buf_init(&op->resp, op->resp_max);
    return op;
}

void op_free(struct op *op)
{
    if (!op)
        return;
    uncharge(op);
    budget_drop(op->budget);
    body_free(&op->body);
    buf_free(&op->resp);
    slist_wipe_free(op->sent_headers);
    curl_slist_free_all(op->headers);
    free(op->upload_url);
    free(op->url);
    free(op);
}

static size_t on_write(char *p, size_t size, size_t nmemb, void *ud)
{
    struct op *op = ud;
    size_t n = size * nmemb;
    if (!op->t_first_byte_us)
        op->t_first_byte_us = now_us();
    /* past its own ceiling first: that is the message a lone huge body gets */
    if (!op->on_data && op->resp.len + n > op->resp.max) {
        op->resp_overflow = 1;
        return 0; /* abort: CURLE_WRITE_ERROR */
    }
    if (charge(op, n)) {
        op->over_budget = 1;
        return 0; /* abort: CURLE_WRITE_ERROR; xfer_next_done says why */
    }
    if (op->on_data)
        return op->on_data(op, p, n) ? 0 : n;
    if (buf_append(&op->resp, p, n)) {
        op->resp_overflow = 1;
        return 0; /* abort: CURLE_WRITE_ERROR */
    }
    return n;
}

static void copy_value(char *dst, size_t dsz, const char *v, size_t n)
{
    while (n && (*v == ' ' || *v == '\t')) {
        v++;
        n--;
    }
    while (n && (v[n - 1] == '\r' || v[n - 1] == '\n' || v[n - 1] == ' '))
        n--;
    if (n >= dsz)
        n = dsz - 1;
    memcpy(dst, v, n);
    dst[n] = '\0';
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    struct op *op = ud;
    size_t n = size * nmemb;
    const char *colon = memchr(p, ':', n);
    if (!colon) {
        /* a new status line (redirect, 100): forget headers of the last one */
        if (n > 5 && !strncmp(p, "HTTP/", 5)) {
            op->retry_after[0] = op->upload_status[0] = op->content_type[0] = '\0';
            op->service_tier[0] = '\0';
            op->synthetic = 0;
            op->size_received = -1;
        }
        return n;
    }
    size_t kl = (size_t)(colon - p);
    const char *v = colon + 1;
    size_t vl = n - kl - 1;
#define IS(name) (kl == sizeof(name) - 1 && !strncasecmp(p, name, kl))
    if (IS("retry-after")) {
        copy_value(op->retry_after, sizeof op->retry_after, v, vl);
    } else if (IS("x-goog-upload-status")) {
        copy_value(op->upload_status, sizeof op->upload_status, v, vl);
    } else if (IS("content-type")) {
        copy_value(op->content_type, sizeof op->content_type, v, vl);
    } else if (IS("x-gemini-service-tier")) {
        copy_value(op->service_tier, sizeof op->service_tier, v, vl);
    } else if (IS(EMULATOR_HEADER)) {
        op->synthetic = 1;
    } else if (IS("x-goog-upload-size-received")) {
        char tmp[32];
        copy_value(tmp, sizeof tmp, v, vl);
        op->size_received = strtoll(tmp, NULL, 10);
    } else if (IS("x-goog-upload-url")) {
        free(op->upload_url);
        op->upload_url = malloc(vl + 1);
        if (op->upload_url)
            copy_value(op->upload_url, vl + 1, v, vl);
    }
#undef IS
    return n;
}

/* ---- attempt timeouts ------------------------------------------------------------
 * CURLOPT_TIMEOUT_MS counts from curl_multi_add_handle, so time spent waiting
 * for a connection (another transfer's HTTP/2 streams, the host connection
 * cap) counted against --timeout, and a hung first response timed out every
 * request queued behind it before any was sent. The attempt starts when curl
 * opens a socket for it (CURLOPT_SOCKOPTFUNCTION, before connecting) or hands
 * it a connection (CURLOPT_PREREQFUNCTION, before sending); xfer_poll ends the
 * attempts that run past their limit from then. */

static void live_unlink(struct op **head, struct op *op)
{
    if (op->xprev)
        op->xprev->xnext = op->xnext;
    else if (*head == op)
        *head = op->xnext;
    if (op->xnext)
        op->xnext->xprev = op->xprev;
    op->xprev = op->xnext = NULL;
}

static uint64_t deadline_us(const struct op *op)
{
    return op->timeout_ms > 0 && op->t_attempt_us
               ? op->t_attempt_us + (uint64_t)op->timeout_ms * 1000
               : 0;
}

static void attempt_started(struct op *op)
{
    if (op->t_attempt_us)
        return;
    op->t_attempt_us = now_us();
    uint64_t d = deadline_us(op);
    struct xfer *x = op->owner;
    if (d && (!x->next_deadline_us || d < x->next_deadline_us))
        x->next_deadline_us = d;
}

static int on_sockopt(void *ud, curl_socket_t fd, curlsocktype purpose)
{
    (void)fd;
    (void)purpose;
    attempt_started(ud);
    return CURL_SOCKOPT_OK;
}

static int on_prereq(void *ud, char *ip, char *local_ip, int port, int local_port)
{
    (void)ip;
    (void)local_ip;
    (void)port;
    (void)local_port;
    attempt_started(ud);
    return CURL_PREREQFUNC_OK;
}

/* The earliest deadline of the started attempts (0: none). */
static uint64_t next_deadline(const struct xfer *x)
{
    uint64_t next = 0;
    for (const struct op *op = x->live; op; op = op->xnext) {
        uint64_t d = deadline_us(op);
        if (d && (!next || d < next))
            next = d;
    }
    return next;
}

static void release(struct xfer *x, struct op *op);

/* End op as curl ends a transfer past CURLOPT_TIMEOUT_MS, and queue it for
 * xfer_next_done. */
static void expire(struct xfer *x, struct op *op, uint64_t now)
{
    curl_off_t got = 0;
    curl_easy_getinfo(op->easy, CURLINFO_SIZE_DOWNLOAD_T, &got);
    curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &op->http);
    curl_off_t up = 0;
    curl_easy_getinfo(op->easy, CURLINFO_SIZE_UPLOAD_T, &up);
    op->bytes_sent = (int64_t)up;
    op->cc = CURLE_OPERATION_TIMEDOUT;
    snprintf(op->errbuf, sizeof op->errbuf,
             "Operation timed out after %llu milliseconds with %lld bytes received",
             (unsigned long long)((now - op->t_attempt_us) / 1000), (long long)got);
    op->t_end_us = now;
    release(x, op);
    op->xprev = x->expired_tail;
    op->xnext = NULL;
    if (x->expired_tail)
        x->expired_tail->xnext = op;
    else
        x->expired = op;
    x->expired_tail = op;
}

/* Attempts started more than their timeout ago end now. The scan runs only
 * once the earliest deadline has come: about once per timeout period when
 * answers come in time, not once per poll. */
static void expire_due(struct xfer *x)
{
    uint64_t now = now_us();
    if (!x->next_deadline_us || now < x->next_deadline_us)
        return;
    struct op *next;
    for (struct op *op = x->live; op; op = next) {
        next = op->xnext;
        uint64_t d = deadline_us(op);
        if (d && d <= now)
            expire(x, op, now);
    }
    x->next_deadline_us = next_deadline(x);
}

static size_t body_read_cb(char *dst, size_t size, size_t nmemb, void *ud)
{
    return body_read(dst, size, nmemb, ud);
}

static int body_seek_cb(void *ud, curl_off_t off, int origin)
{
    return body_seek(ud, (int64_t)off, origin);
}

/* The headers of this attempt: the key only for the endpoint's origin. Ops
 * with their own list (uploads) get a copy with the key added or removed. */
static int pick_headers(struct xfer *x, struct op *op, struct curl_slist **out)
{
    int key = key_may_go(x, op->url);
    op->key_withheld = x->key_header && !key;
    if (op->key_withheld)
        log_debug("not sending the API key with a request outside the endpoint's origin");
    slist_wipe_free(op->sent_headers);
    op->sent_headers = NULL;
    if (!op->headers) {
        *out = key ? x->common_key : x->common;
        return 0;
    }
    for (struct curl_slist *c = op->headers; c; c = c->next)
        if (strncasecmp(c->data, key_name, sizeof key_name - 1) &&
            !(op->sent_headers = curl_slist_append(op->sent_headers, c->data)))
            return GB_ENOMEM;
    if (key && !(op->sent_headers = curl_slist_append(op->sent_headers, x->key_header)))
        return GB_ENOMEM;
    *out = op->sent_headers;
    return 0;
}

int xfer_add(struct xfer *x, struct op *op)
{
    struct curl_slist *hdrs = NULL;
    if (!x->origin && op->url && set_origin(x, op->url))
        log_debug("the first request's URL has no http(s) origin: the key goes nowhere");
    if (pick_headers(x, op, &hdrs))
        return GB_ENOMEM;
    CURL *e = x->npool ? x->pool[--x->npool] : curl_easy_init();
    if (!e)
        return GB_ENOMEM;
    op->easy = e;
    op->cc = CURLE_OK;
    op->http = 0;
    op->errbuf[0] = '\0';
    op->resp_overflow = 0;
    op->over_budget = 0;
    op->t_first_byte_us = 0;
    uncharge(op);
    buf_reset(&op->resp);
    op->resp.max = op->resp_max;
    curl_easy_setopt(e, CURLOPT_URL, op->url);
    curl_easy_setopt(e, CURLOPT_PRIVATE, op);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, op->errbuf);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_write);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, op);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, op);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, hdrs);
    /* whatever URL a server hands us (an upload URL, a redirect if one were
     * ever followed), curl speaks http or https only: never file://, gopher:// */
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTP_VERSION, (long)CURL_HTTP_VERSION_2TLS);
    /* PIPEWAIT holds a transfer back until curl knows whether a connection
     * being made can multiplex: over TLS that is the ALPN answer, but over
     * cleartext HTTP/1.1 it is the first response, so every request waited
     * for the first one's answer. Cleartext never multiplexes here (2TLS
     * asks for HTTP/2 over TLS only): it opens connections in parallel. */
    if (!strncasecmp(op->url, "https://", 8))
        curl_easy_setopt(e, CURLOPT_PIPEWAIT, 1L);
    curl_easy_setopt(e, CURLOPT_SOCKOPTFUNCTION, on_sockopt);
    curl_easy_setopt(e, CURLOPT_SOCKOPTDATA, op);
    curl_easy_setopt(e, CURLOPT_PREREQFUNCTION, on_prereq);
    curl_easy_setopt(e, CURLOPT_PREREQDATA, op);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS,
                     x->opts.connect_timeout_ms > 0 ? x->opts.connect_timeout_ms : 30000L);
    if (op->timeout_ms > 0)
        curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, BACKSTOP_MS(op->timeout_ms));
    if (op->low_speed_time_s > 0) {
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1024L);
        curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, op->low_speed_time_s);
    }
    if (x->opts.cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, x->opts.cacert);
    /* verification stays on: no option here ever turns it off */
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
    curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
    if (!strcmp(op->method, "POST")) {
        curl_easy_setopt(e, CURLOPT_POST, 1L);
        body_rewind(&op->body);
        /* a body that is one piece of text goes out with the headers in one
         * send (POSTFIELDS wins over the read callback; release() resets
         * it); bodies with files stream through the read callback */
        const struct body *b = &op->body;
        if (b->nseg == 1 && b->segs[0].kind == SEG_TEXT && b->segs[0].len == b->total)
            curl_easy_setopt(e, CURLOPT_POSTFIELDS, b->segs[0].text);
        curl_easy_setopt(e, CURLOPT_READFUNCTION, body_read_cb);
        curl_easy_setopt(e, CURLOPT_READDATA, &op->body);
        curl_easy_setopt(e, CURLOPT_SEEKFUNCTION, body_seek_cb);
        curl_easy_setopt(e, CURLOPT_SEEKDATA, &op->body);
        curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)op->body.total);
    } else if (!strcmp(op->method, "DELETE")) {
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    } else {
        curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    }
    op->t_start_us = now_us();
    op->t_attempt_us = 0;
    op->owner = x;
    if (curl_multi_add_handle(x->multi, e) != CURLM_OK) {
        curl_easy_cleanup(e);
        op->easy = NULL;
        return GB_EINVAL;
    }
    op->xprev = NULL;
    op->xnext = x->live;
    if (x->live)
        x->live->xprev = op;
    x->live = op;
    x->running++;
    return 0;
}

int xfer_poll(struct xfer *x, int timeout_ms, struct curl_waitfd *extra, unsigned nextra)
{
    int still = 0;
    curl_multi_perform(x->multi, &still);
    expire_due(x);
    if (x->expired)
        timeout_ms = 0; /* timed out already: handed back without waiting */
    else if (x->next_deadline_us) {
        uint64_t now = now_us();
        long left = x->next_deadline_us > now
                        ? (long)((x->next_deadline_us - now + 999) / 1000) : 0;
        if (left < timeout_ms)
            timeout_ms = (int)left;
    }
    /* no early return when nothing runs: curl_multi_poll still waits out
     * timeout_ms, so a run whose jobs all wait for a retry sleeps instead of
     * spinning a core (it did, for the whole of a RetryInfo delay) */
    int numfds = 0;
    curl_multi_poll(x->multi, extra, nextra, timeout_ms, &numfds);
    curl_multi_perform(x->multi, &still);
    expire_due(x);
    return 0;
}

static void release(struct xfer *x, struct op *op)
{
    CURL *e = op->easy;
    live_unlink(&x->live, op);
    curl_multi_remove_handle(x->multi, e);
    curl_easy_reset(e);
    if (x->npool == x->cappool) {
        int ncap = x->cappool ? x->cappool * 2 : 64;
        CURL **np = realloc(x->pool, (size_t)ncap * sizeof *np);
        if (!np) {
            curl_easy_cleanup(e);
            op->easy = NULL;
            x->running--;
            return;
        }
        x->pool = np;
        x->cappool = ncap;
    }
    x->pool[x->npool++] = e;
    op->easy = NULL;
    x->running--;
}

struct op *xfer_next_done(struct xfer *x)
{
    if (x->expired) {
        struct op *op = x->expired;
        live_unlink(&x->expired, op);
        if (!x->expired)
            x->expired_tail = NULL;
        return op;
    }
    int left;
    CURLMsg *m;
    while ((m = curl_multi_info_read(x->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        struct op *op = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, (char **)&op);
        op->cc = m->data.result;
        curl_easy_getinfo(m->easy_handle, CURLINFO_RESPONSE_CODE, &op->http);
        op->t_end_us = now_us();
        curl_off_t up = 0;
        curl_easy_getinfo(m->easy_handle, CURLINFO_SIZE_UPLOAD_T, &up);
        op->bytes_sent = (int64_t)up;
        long ver = 0;
        curl_easy_getinfo(m->easy_handle, CURLINFO_HTTP_VERSION, &ver);
        if (ver >= CURL_HTTP_VERSION_2_0 && !x->multiplexing &&
            x->opts.max_host_connections <= 0) {
            /* The server multiplexes: a few connections carry everything.
             * Without a cap, every transfer waiting when the server sends
             * GOAWAY (nginx does after 1000 requests) opens its own. HTTP/1.1
             * servers keep the cap off: they need one connection a request.
             * A cap the user gave (--connections) stays as given. */
            x->multiplexing = 1;
            curl_multi_setopt(x->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 4L);
        }
        if (op->cc == CURLE_ABORTED_BY_CALLBACK || op->cc == CURLE_READ_ERROR) {
            if (op->body.error[0])
                snprintf(op->errbuf, sizeof op->errbuf, "%s", op->body.error);
        }
        if (op->over_budget)
            snprintf(op->errbuf, sizeof op->errbuf,
                     "the responses in flight together passed the memory budget for response "
                     "bodies (%zu MiB, --max-buffered); this one was stopped to stay under it",
                     x->budget->max >> 20);
        release(x, op);
        return op;
    }
    return NULL;
}

const char *xfer_why(CURLcode cc, const char *errbuf)
{
    if (errbuf && errbuf[0])
        return errbuf;
    if (cc == CURLE_OUT_OF_MEMORY) /* a failed malloc is the rarer cause here */
        return "the response was refused: a header line over 100 KiB (or memory ran out)";
    return curl_easy_strerror(cc);
}

int xfer_tls_error(CURLcode cc)
{
    switch (cc) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return 1;
    default:
        return 0;
    }
}

void xfer_cancel(struct xfer *x, struct op *op)
{
    if (op && op->easy) {
        release(x, op);
        return;
    }
    for (struct op *q = x->expired; op && q; q = q->xnext)
        if (q == op) { /* timed out, not handed back yet: never will be */
            if (x->expired_tail == op)
                x->expired_tail = op->xprev;
            live_unlink(&x->expired, op);
            return;
        }
}

int xfer_set_origin(struct xfer *x, const char *endpoint)
{
    return set_origin(x, endpoint);
}

void xfer_set_budget(struct xfer *x, size_t bytes)
{
    x->budget->max = bytes ? bytes : XFER_BUDGET_DEFAULT;
}

void xfer_op_release(struct op *op, size_t n)
{
    if (n > op->held)
        n = op->held;
    op->held -= n;
    if (op->budget)
        op->budget->used -= n;
}

size_t xfer_buffered(const struct xfer *x)
{
    return x->budget ? x->budget->used : 0;
}
