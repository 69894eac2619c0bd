/* emu_server.c: the emulator's HTTP server on libmicrohttpd (epoll, a small
 * thread pool). Owns the request life cycle: the route lookup, the API key,
 * --rpm, where the fault draws apply, request bodies (uploads stream straight
 * into a digest), suspend for latency (emu_timer.c resumes), start and stop.
 * The route table and what each route answers are emu_routes.c's, the draws
 * emu_faults.c's, the log emu_log.c's. Silent on stdout: `run --emulator`
 * embeds it. */
#include "emu_srv.h"
#include "log.h"

#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define SMALL_BODY_MAX (1024 * 1024) /* bodies of routes other than create */

void emu_opts_default(struct emu_opts *o)
{
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1:0";
    o->max_request_bytes = 20ull * 1024 * 1024; /* Google's "payload size exceeds the limit: 20971520 bytes" */
    o->max_file_bytes = 2ull * 1024 * 1024 * 1024;
    o->max_stored = 10000;
    o->background_polls = 2;
    o->file_processing_ms = 200;
    o->slow_ms = 60000;
    o->batch_time_ms = 200;
    o->max_spool_bytes = 20ull * 1024 * 1024 * 1024; /* the Files API's 20 GB a project */
}

const char *emu_base_url(const struct emu *e)
{
    return e->base_url;
}

unsigned long long emu_request_count(const struct emu *e)
{
    return __atomic_load_n(&e->nreq, __ATOMIC_RELAXED);
}

/* ---- the request life cycle ------------------------------------------------------------ */

static enum MHD_Result scan_hdr(void *cls, enum MHD_ValueKind kind, const char *key,
                                const char *value)
{
    struct req *r = cls;
    if (key && !strncasecmp(key, "x-stainless-", 12))
        r->hdrs.stainless = 1;
    return MHD_YES;
}

static struct req *req_new(struct emu *e, struct MHD_Connection *conn, const char *url,
                           const char *method)
{
    struct req *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    __atomic_add_fetch(&e->nreq, 1, __ATOMIC_RELAXED);
    r->e = e;
    r->conn = conn;
    r->method = method;
    snprintf(r->url, sizeof r->url, "%s", url);
    r->rt = emu_route_find(r, method, url);
    buf_init(&r->body, r->rt && (r->rt->flags & RT_BIG_BODY) ? e->o.max_request_bytes
                                                               : SMALL_BODY_MAX);
    r->hdrs.user_agent = req_header(r, "User-Agent");
    r->hdrs.accept = req_header(r, "Accept");
    MHD_get_connection_values(conn, MHD_HEADER_KIND, scan_hdr, r);
    r->dialect = emu_dialect(url, &r->hdrs, NULL);
    return r;
}

static void req_free(struct req *r)
{
    buf_free(&r->body);
    free(r->rep.body);
    emu_body_free(r->rep.stream);
    if (r->resp)
        MHD_destroy_response(r->resp);
    json_decref(r->log_parts);
    free(r);
}

static void pre_fail(struct req *r, int http, const char *status, long retry_s,
                     const char *reason, const char *fmt, const char *arg)
{
    r->pre = 1;
    emu_fail(&r->err, http, status, fmt, arg);
    r->err.retry_after_s = retry_s;
    r->err.reason = reason;
}

static int64_t content_length(struct req *r)
{
    const char *cl = req_header(r, "Content-Length");
    if (!cl)
        return -1;
    char *end;
    long long v = strtoll(cl, &end, 10);
    return (*end || v < 0) ? -1 : v;
}

/* Which drawn faults can touch a route: the failed fault ends a background
 * interaction or an upload, the model faults shape a model's answer. */
static int fault_applies(int fault, const struct emu_route *rt)
{
    if (fault == F_FAILED)
        return rt && (rt->flags & RT_FAULT_FAILED);
    if (fault == F_CONT || fault == F_IDLE || fault == F_SHED)
        return rt && (rt->flags & RT_FAULT_MODEL);
    return 1;
}

/* Headers are in: decide what can be decided before the body. */
static void begin(struct req *r)
{
    struct emu *e = r->e;
    const struct emu_route *rt = r->rt;
    r->fault = emu_fault_draw(&e->faults, &r->fault_pos);
    if (!fault_applies(r->fault, rt))
        r->fault = F_NONE;
    if (!rt) {
        pre_fail(r, 404, "NOT_FOUND", 0, NULL, "Method not found: %s.", r->url);
        r->fault = F_NONE;
        return;
    }
    const char *key = req_header(r, "x-goog-api-key");
    if (!key)
        key = req_query(r, "key");
    if (!key && !(rt->flags & RT_KEYLESS)) {
        pre_fail(r, 401, "UNAUTHENTICATED", 0, NULL, "%s",
                 "Method doesn't allow unregistered callers (callers without established "
                 "identity). Please use API Key or other form of API consumer identity to call "
                 "this API.");
        r->fault = F_NONE;
        return;
    }
    if (key && e->api_key && strcmp(key, e->api_key)) {
        /* the real Gemini API answers a wrong key with 400 INVALID_ARGUMENT,
         * reason API_KEY_INVALID, not with 401 */
        pre_fail(r, 400, "INVALID_ARGUMENT", 0, "API_KEY_INVALID", "%s",
                 "API key not valid. Please pass a valid API key.");
        r->fault = F_NONE;
        return;
    }
    if (rt->flags & RT_RPM) {
        long wait = emu_bucket_take(&e->rpm);
        if (wait) {
            char msg[160];
            snprintf(msg, sizeof msg,
                     "Resource has been exhausted (e.g. check quota): more than %ld requests "
                     "per minute.",
                     e->o.rpm);
            pre_fail(r, 429, "RESOURCE_EXHAUSTED", wait, NULL, "%s", msg);
            r->fault = F_NONE;
            return;
        }
    }
    if (emu_fault_error(r->fault, &r->err)) {
        r->pre = 1;
        return;
    }
    r->content_length = content_length(r);
    if ((rt->flags & RT_BIG_BODY) && r->content_length >= 0 &&
        (uint64_t)r->content_length > e->o.max_request_bytes)
        r->too_big = 1;
    if (rt->headers)
        rt->headers(r);
}

/* A piece of the body. Returns -1 to drop the connection. */
static int consume(struct req *r, const char *data, size_t n)
{
    r->body_bytes += n;
    if (r->up) {
        if (r->fault == F_RESET && r->up_got + n >= r->up_cut) {
            size_t k = (size_t)(r->up_cut - r->up_got);
            if (!r->up_failed && emu_upload_data(r->e->files, r->up, data, k))
                r->up_failed = 1;
            r->up_got += k;
            emu_log_request(r, 0);
            emu_upload_abort(r->e->files, r->up);
            r->up = NULL;
            return -1;
        }
        if (!r->up_failed && emu_upload_data(r->e->files, r->up, data, n))
            r->up_failed = 1;
        r->up_got += n;
        return 0;
    }
    /* read and dropped when the answer is already known (a 500 fault still
     * needs the body: a streamed create gets its error as an event) */
    if (r->too_big || (r->pre && r->fault != F_500))
        return 0;
    if (buf_append(&r->body, data, n)) {
        r->too_big = 1;
        buf_free(&r->body);
    }
    return 0;
}

/* The body is complete: build the answer. */
static void finish(struct req *r)
{
    struct emu *e = r->e;
    if (!r->pre && r->too_big) {
        char lim[32];
        snprintf(lim, sizeof lim, "%llu", (unsigned long long)e->o.max_request_bytes);
        pre_fail(r, 400, "INVALID_ARGUMENT", 0, NULL,
                 "Request payload size exceeds the limit: %s bytes.", lim);
    }
    if (!r->rt || (r->pre && !(r->rt->flags & RT_OWN_ERRORS)))
        reply_error(r, &r->err);
    else
        r->rt->answer(r);
    r->delay_ms = emu_delay_draw(&e->faults, e->o.latency_ms, e->o.jitter_ms);
    if (r->tier_served == EMU_TIER_FLEX) /* flex waits for spare capacity */
        r->delay_ms += emu_delay_draw(&e->faults, e->o.flex_latency_ms, e->o.flex_jitter_ms);
    if (r->fault == F_SLOW)
        r->delay_ms += e->o.slow_ms;
    emu_log_request(r, r->rep.status);
    if (r->fault == F_RESET && r->rep.len < 2)
        return; /* nothing to cut in half: drop before the headers (no resp) */
    r->resp = emu_response(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version,
                                  const char *upload_data, size_t *upload_data_size,
                                  void **con_cls)
{
    struct emu *e = cls;
    struct req *r = *con_cls;
    if (!r) {
        if (!(r = req_new(e, conn, url, method)))
            return MHD_NO;
        *con_cls = r;
        begin(r);
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        return consume(r, upload_data, n) ? MHD_NO : MHD_YES;
    }
    if (r->suspended) { /* resumed by the timer */
        r->suspended = 0;
        __atomic_sub_fetch(&e->nsuspended, 1, __ATOMIC_SEQ_CST);
    } else if (!r->resp) {
        finish(r);
        if (!r->resp)
            return MHD_NO;
        if (r->delay_ms > 0) {
            /* count first, then look at stopping: emu_stop does the reverse */
            __atomic_add_fetch(&e->nsuspended, 1, __ATOMIC_SEQ_CST);
            if (!__atomic_load_n(&e->stopping, __ATOMIC_SEQ_CST)) {
                r->suspended = 1;
                MHD_suspend_connection(conn);
                if (emu_timer_add(e, r, emu_mono_ms() + r->delay_ms) == 0)
                    return MHD_YES;
                r->suspended = 0;
                MHD_resume_connection(conn);
                /* resumed at once; this call still answers */
            }
            __atomic_sub_fetch(&e->nsuspended, 1, __ATOMIC_SEQ_CST);
        }
    }
    if (!r->resp)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(conn, r->rep.status ? r->rep.status : 500, r->resp);
    MHD_destroy_response(r->resp);
    r->resp = NULL;
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct emu *e = cls;
    struct req *r = *con_cls;
    if (!r)
        return;
    *con_cls = NULL;
    if (r->up) { /* the client went away mid-chunk: keep what arrived */
        emu_log_request(r, 0);
        emu_upload_abort(e->files, r->up);
        r->up = NULL;
    }
    if (r->in_heap) {
        pthread_mutex_lock(&e->tmu);
        if (r->in_heap)
            emu_heap_remove(e, r->heap_idx);
        pthread_mutex_unlock(&e->tmu);
    }
    if (r->suspended)
        __atomic_sub_fetch(&e->nsuspended, 1, __ATOMIC_SEQ_CST);
    emu_log_request(r, 0);
    req_free(r);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    if (!log_debug_enabled())
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && msg[n - 1] == '\n')
        msg[--n] = '\0';
    log_debug("emulator: %s", msg);
}

/* ---- start / stop ----------------------------------------------------------------------- */

static char *dup_or_null(const char *s)
{
    return s ? strdup(s) : NULL;
}

/* "HOST:PORT" (HOST may be [v6]) -> a bound address for MHD and the URL host. */
static int resolve(const char *listen, struct sockaddr_storage *ss, int *v6, char *urlhost,
                   size_t urlsz, struct gb_err *err)
{
    char host[100], port[16];
    const char *colon = strrchr(listen, ':');
    if (!colon || colon == listen || !colon[1])
        return GB_FAIL(err, GB_EINVAL, "--listen '%s' is not HOST:PORT (e.g. 127.0.0.1:0)",
                       listen);
    size_t hl = (size_t)(colon - listen);
    if (listen[0] == '[' && hl >= 2 && listen[hl - 1] == ']') {
        listen++;
        hl -= 2;
    }
    if (hl >= sizeof host || strlen(colon + 1) >= sizeof port)
        return GB_FAIL(err, GB_EINVAL, "--listen '%s' is too long", listen);
    memcpy(host, listen, hl);
    host[hl] = '\0';
    snprintf(port, sizeof port, "%s", colon + 1);
    struct addrinfo hints = {0}, *ai = NULL;
    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
    int rc = getaddrinfo(host, port, &hints, &ai);
    if (rc || !ai)
        return GB_FAIL(err, GB_EINVAL, "--listen '%s': %s", listen, gai_strerror(rc));
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *v6 = ai->ai_family == AF_INET6;
    freeaddrinfo(ai);
    if (!strcmp(host, "0.0.0.0") || !*host)
        snprintf(urlhost, urlsz, "127.0.0.1");
    else if (!strcmp(host, "::"))
        snprintf(urlhost, urlsz, "[::1]");
    else if (strchr(host, ':'))
        snprintf(urlhost, urlsz, "[%s]", host);
    else
        snprintf(urlhost, urlsz, "%s", host);
    return 0;
}

/* A bound, listening, non-blocking socket for MHD_OPTION_LISTEN_SOCKET;
 * sets e->listen_fd and e->port. */
static int listen_on(struct emu *e, const struct sockaddr_storage *ss, int v6, struct gb_err *err)
{
    int fd = socket(v6 ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return GB_FAIL(err, GB_EIO, "cannot listen on %s: %s", e->listen, strerror(errno));
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    socklen_t len = v6 ? sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in);
    struct sockaddr_storage got;
    socklen_t glen = sizeof got;
    if (bind(fd, (const struct sockaddr *)ss, len) || listen(fd, 1024) ||
        getsockname(fd, (struct sockaddr *)&got, &glen)) {
        int rc = GB_FAIL(err, GB_EIO, "cannot listen on %s: %s", e->listen, strerror(errno));
        close(fd);
        return rc;
    }
    e->listen_fd = fd;
    e->port = ntohs(v6 ? ((struct sockaddr_in6 *)&got)->sin6_port
                       : ((struct sockaddr_in *)&got)->sin_port);
    return 0;
}

int emu_start(const struct emu_opts *o, struct emu **out, struct gb_err *err)
{
    struct emu *e = calloc(1, sizeof *e);
    int rc = GB_ENOMEM;
    *out = NULL;
    if (!e)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    e->o = *o;
    e->log_fd = -1;
    e->listen_fd = -1;
    emu_bucket_init(&e->rpm, o->rpm);
    emu_bucket_init(&e->priority, o->priority_rpm);
    pthread_mutex_init(&e->tmu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&e->tcv, &ca);
    pthread_condattr_destroy(&ca);
    e->listen = strdup(o->listen ? o->listen : "127.0.0.1:0");
    e->api_key = dup_or_null(o->api_key);
    e->faults_text = dup_or_null(o->faults);
    e->log_path = dup_or_null(o->log_path);
    if (!e->listen || (o->api_key && !e->api_key) || (o->faults && !e->faults_text) ||
        (o->log_path && !e->log_path)) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    e->o.listen = e->listen;
    e->o.api_key = e->api_key;
    e->o.faults = e->faults_text;
    e->o.log_path = e->log_path;
    if (e->o.background_polls < 0)
        e->o.background_polls = 0;
    if (e->o.slow_ms <= 0)
        e->o.slow_ms = 60000;
    if (!e->o.max_request_bytes)
        e->o.max_request_bytes = 20ull * 1024 * 1024;
    if (!e->o.max_file_bytes)
        e->o.max_file_bytes = 2ull * 1024 * 1024 * 1024;
    e->nonce = emu_mix64((uint64_t)emu_now_ms() ^ ((uint64_t)getpid() << 32) ^ (uintptr_t)e);
    if ((rc = emu_faults_parse(&e->faults, e->faults_text, e->o.seed, err)))
        goto fail;
    if (e->log_path) {
        e->log_fd = open(e->log_path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (e->log_fd < 0) {
            rc = GB_FAIL(err, GB_EIO, "cannot open log '%s': %s", e->log_path, strerror(errno));
            goto fail;
        }
    }
    rc = GB_ENOMEM;
    if (emu_store_new(e->o.max_stored > 0 ? e->o.max_stored : 10000, &e->store) ||
        emu_schemas_new(256, &e->schemas)) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    struct sockaddr_storage ss;
    int v6 = 0;
    char urlhost[128];
    if ((rc = resolve(e->listen, &ss, &v6, urlhost, sizeof urlhost, err)))
        goto fail;
    /* bind before the daemon starts, so the port, the base URL and every
     * part of struct emu exist before the first request can arrive */
    if ((rc = listen_on(e, &ss, v6, err)))
        goto fail;
    snprintf(e->base_url, sizeof e->base_url, "http://%s:%d", urlhost, e->port);
    if (emu_spool_new(e->o.max_spool_bytes, &e->spool)) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    struct emu_files_opts fo = {e->o.max_file_bytes, e->o.file_processing_ms, 10000, e->port,
                                e->spool};
    if (emu_files_new(&fo, &e->files)) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    struct emu_batch_opts bo = {
        .batch_time_ms = e->o.batch_time_ms,
        .line_error_rate = e->faults.batch_line,
        .drop_rate = e->faults.batch_drop,
        .expire_rate = e->faults.batch_expire,
        .create_lost_rate = e->faults.batch_create_lost,
        .violation_rate = emu_fault_rate(&e->faults, F_SCHEMA),
        .seed = e->o.seed,
        .max_batches = e->o.max_stored > 0 ? e->o.max_stored : 10000,
        .max_active = 100, /* the documented concurrent batch limit */
        .max_line_bytes = e->o.max_request_bytes,
        .base_url = e->base_url,
        .spool = e->spool,
        .files = e->files,
        .schemas = e->schemas,
    };
    if (emu_batches_new(&bo, &e->batches)) {
        rc = GB_FAIL(err, GB_ENOMEM, "cannot start the batch worker");
        goto fail;
    }
    if (pthread_create(&e->timer, NULL, emu_timer_main, e)) {
        rc = GB_FAIL(err, GB_ENOMEM, "cannot start the timer thread");
        goto fail;
    }
    e->timer_started = 1;
    long threads = e->o.threads > 0 ? e->o.threads : sysconf(_SC_NPROCESSORS_ONLN);
    if (threads < 1)
        threads = 1;
    if (threads > 16)
        threads = 16;
    unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_ERROR_LOG | MHD_USE_TURBO | (v6 ? MHD_USE_IPv6 : 0);
    e->d = MHD_start_daemon(
        flags, 0, NULL, NULL, on_request, e, MHD_OPTION_LISTEN_SOCKET, (MHD_socket)e->listen_fd,
        MHD_OPTION_NOTIFY_COMPLETED, on_completed, e, MHD_OPTION_THREAD_POOL_SIZE,
        (unsigned)threads, MHD_OPTION_CONNECTION_LIMIT, (unsigned)4000,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(16 * 1024), MHD_OPTION_EXTERNAL_LOGGER,
        mhd_log, e, MHD_OPTION_END);
    if (!e->d) {
        rc = GB_FAIL(err, GB_EIO, "cannot serve on %s: %s", e->listen,
                     errno ? strerror(errno) : "libmicrohttpd refused to start");
        goto fail;
    }
    e->listen_fd = -1; /* the daemon's now */
    *out = e;
    return 0;
fail:
    emu_stop(e);
    return rc;
}

void emu_stop(struct emu *e)
{
    if (!e)
        return;
    if (e->d) {
        MHD_socket lfd = MHD_quiesce_daemon(e->d);
        __atomic_store_n(&e->stopping, 1, __ATOMIC_SEQ_CST);
        pthread_mutex_lock(&e->tmu);
        pthread_cond_broadcast(&e->tcv);
        pthread_mutex_unlock(&e->tmu);
        /* every suspended connection must be resumed and re-entered before
         * MHD_stop_daemon (an API rule): wait for the count to drain */
        for (int i = 0; i < 3000 && __atomic_load_n(&e->nsuspended, __ATOMIC_SEQ_CST) > 0; i++) {
            if (!e->timer_started)
                break;
            usleep(1000);
        }
        MHD_stop_daemon(e->d);
        if (lfd != MHD_INVALID_SOCKET)
            close(lfd);
        e->d = NULL;
    }
    if (e->listen_fd >= 0) /* bound, but the daemon never started */
        close(e->listen_fd);
    if (e->timer_started) {
        pthread_mutex_lock(&e->tmu);
        e->quit = 1;
        pthread_cond_broadcast(&e->tcv);
        pthread_mutex_unlock(&e->tmu);
        pthread_join(e->timer, NULL);
    }
    emu_batches_free(e->batches); /* its worker uses the files, schemas and spool */
    emu_store_free(e->store);
    emu_files_free(e->files);
    emu_schemas_free(e->schemas);
    emu_spool_free(e->spool); /* last: the files above live in it */
    if (e->log_fd >= 0)
        close(e->log_fd);
    free(e->heap);
    free(e->listen);
    free(e->api_key);
    free(e->faults_text);
    free(e->log_path);
    emu_bucket_free(&e->rpm);
    emu_bucket_free(&e->priority);
    pthread_mutex_destroy(&e->tmu);
    pthread_cond_destroy(&e->tcv);
    free(e);
}
