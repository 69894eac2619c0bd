/* test_xfer.c: the transfer layer against the in-process emulator and a tiny
 * local HTTP server started here: bodies come back whole; the API key goes
 * only to the endpoint's origin; curl speaks http and https only (file:// is
 * never read, gopher:// never used); redirects are not followed; the byte
 * budget bounds what all responses hold together, and a callback's released
 * bytes come back to it (issue 14 points 1 and 5, issue 12 point 6). */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "emu.h"
#include "fsx.h"
#include "xfer.h"

/* ---- a tiny HTTP/1.1 server: one connection at a time, Connection: close ---- */

struct tiny {
    int lfd, port;
    pthread_t th;
    pthread_mutex_t mu;
    char last_head[8192];   /* the last request's line and headers */
    int requests;           /* requests served */
    int connections;        /* connections accepted (a gopher or file URL would add one) */
    size_t body_bytes;      /* size of each response body */
    const char *status;     /* "200 OK" */
    const char *extra;      /* extra response header lines, "\r\n"-terminated, or "" */
};

static void *tiny_serve(void *arg)
{
    struct tiny *t = arg;
    for (;;) {
        int c = accept(t->lfd, NULL, NULL);
        if (c < 0)
            return NULL; /* listener shut down */
        pthread_mutex_lock(&t->mu);
        t->connections++;
        pthread_mutex_unlock(&t->mu);
        char head[8192];
        size_t n = 0;
        while (n < sizeof head - 1) {
            ssize_t r = recv(c, head + n, sizeof head - 1 - n, 0);
            if (r <= 0)
                break;
            n += (size_t)r;
            head[n] = '\0';
            if (strstr(head, "\r\n\r\n"))
                break;
        }
        head[n] = '\0';
        char *end = strstr(head, "\r\n\r\n");
        if (!end) {
            close(c);
            continue;
        }
        /* drain a request body */
        const char *cl = strcasestr(head, "content-length:");
        long want = cl ? atol(cl + 15) : 0, have = (long)(n - (size_t)(end + 4 - head));
        char sink[4096];
        while (have < want) {
            ssize_t r = recv(c, sink, sizeof sink, 0);
            if (r <= 0)
                break;
            have += r;
        }
        pthread_mutex_lock(&t->mu);
        end[2] = '\0';
        snprintf(t->last_head, sizeof t->last_head, "%s", head);
        t->requests++;
        pthread_mutex_unlock(&t->mu);
        char hdr[512];
        int hl = snprintf(hdr, sizeof hdr,
                          "HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
                          "%sConnection: close\r\n\r\n",
                          t->status, t->body_bytes, t->extra);
        send(c, hdr, (size_t)hl, MSG_NOSIGNAL);
        char block[16384];
        memset(block, 'a', sizeof block);
        for (size_t left = t->body_bytes; left;) {
            size_t k = left < sizeof block ? left : sizeof block;
            if (send(c, block, k, MSG_NOSIGNAL) <= 0)
                break;
            left -= k;
        }
        close(c);
    }
}

static void tiny_start(struct tiny *t, size_t body_bytes)
{
    memset(t, 0, sizeof *t);
    t->status = "200 OK";
    t->extra = "";
    t->body_bytes = body_bytes;
    pthread_mutex_init(&t->mu, NULL);
    t->lfd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t al = sizeof a;
    cr_assert_eq(bind(t->lfd, (struct sockaddr *)&a, sizeof a), 0);
    cr_assert_eq(listen(t->lfd, 16), 0);
    getsockname(t->lfd, (struct sockaddr *)&a, &al);
    t->port = ntohs(a.sin_port);
    pthread_create(&t->th, NULL, tiny_serve, t);
}

static void tiny_stop(struct tiny *t)
{
    shutdown(t->lfd, SHUT_RDWR);
    close(t->lfd);
    pthread_join(t->th, NULL);
    pthread_mutex_destroy(&t->mu);
}

static char *tiny_url(const struct tiny *t, const char *path)
{
    char *u = malloc(128);
    snprintf(u, 128, "http://127.0.0.1:%d%s", t->port, path);
    return u;
}

/* ---- helpers ------------------------------------------------------------------ */

static void init(struct xfer *x, const char *key)
{
    struct xfer_opts o = {NULL, 5000, 0};
    cr_assert_eq(xfer_init(x, &o, key, "gembatch-test"), 0);
}

/* Run ops to completion (in any order); they come back in done[]. */
static void run_all(struct xfer *x, struct op **ops, int n)
{
    for (int i = 0; i < n; i++)
        cr_assert_eq(xfer_add(x, ops[i]), 0);
    int got = 0;
    uint64_t t0 = now_ms();
    while (got < n) {
        cr_assert(now_ms() - t0 < 20000, "ops did not finish");
        xfer_poll(x, 50, NULL, 0);
        while (xfer_next_done(x))
            got++;
    }
}

static struct op *get_op(struct xfer *x, char *url)
{
    struct op *op = op_new(x, 1, NULL, "GET", url);
    cr_assert_not_null(op);
    op->timeout_ms = 10000;
    return op;
}

/* ---- tests ---------------------------------------------------------------------- */

Test(xfer, create_against_the_emulator)
{
    struct emu_opts eo;
    struct emu *emu = NULL;
    struct gb_err err = {0};
    emu_opts_default(&eo);
    eo.listen = "127.0.0.1:0";
    eo.quiet = 1;
    eo.api_key = "k-0123456789";
    cr_assert_eq(emu_start(&eo, &emu, &err), 0, "%s", err.msg);
    struct xfer x;
    init(&x, "k-0123456789");
    cr_assert_eq(xfer_set_origin(&x, emu_base_url(emu)), 0);
    char *url = malloc(256);
    snprintf(url, 256, "%s/v1beta/interactions", emu_base_url(emu));
    struct op *op = op_new(&x, 1, NULL, "POST", url);
    const char *body = "{\"model\":\"gemini-2.5-flash\",\"input\":\"Say hi\"}";
    cr_assert_eq(body_from_text(&op->body, body, strlen(body)), 0);
    op->has_body = 1;
    op->timeout_ms = 10000;
    run_all(&x, &op, 1);
    cr_assert_eq(op->cc, CURLE_OK, "%s", op->errbuf);
    cr_assert_eq(op->http, 200, "%.*s", (int)op->resp.len, op->resp.data);
    cr_assert(op->resp.len > 0 && memmem(op->resp.data, op->resp.len, "\"outputs\"", 9));
    cr_assert_eq(op->key_withheld, 0);
    cr_assert_eq(xfer_buffered(&x), op->resp.len, "a finished body stays charged until freed");
    op_free(op);
    cr_assert_eq(xfer_buffered(&x), 0);
    xfer_free(&x);
    emu_stop(emu);
}

Test(xfer, key_goes_only_to_the_endpoint_origin)
{
    struct tiny a, b;
    tiny_start(&a, 2);
    tiny_start(&b, 2);
    struct xfer x;
    init(&x, "AIza-secret-key-000");
    char *ep = tiny_url(&a, "/");
    cr_assert_eq(xfer_set_origin(&x, ep), 0);
    free(ep);
    struct op *ops[3] = {get_op(&x, tiny_url(&a, "/v1beta/interactions/x")),
                         get_op(&x, tiny_url(&b, "/upload/v1beta/files?upload_id=1")), NULL};
    /* an op with its own headers (as uploads build them) carrying the key */
    ops[2] = get_op(&x, tiny_url(&b, "/other"));
    ops[2]->headers = curl_slist_append(NULL, "X-Goog-Upload-Command: upload");
    ops[2]->headers = curl_slist_append(ops[2]->headers, "x-goog-api-key: AIza-secret-key-000");
    run_all(&x, ops, 1);
    cr_assert(strstr(a.last_head, "x-goog-api-key: AIza-secret-key-000"), "%s", a.last_head);
    run_all(&x, ops + 1, 1);
    cr_assert_eq(b.requests, 1);
    cr_assert_null(strcasestr(b.last_head, "x-goog-api-key"), "another port got the key:\n%s",
                   b.last_head);
    cr_assert_eq(ops[1]->key_withheld, 1);
    run_all(&x, ops + 2, 1);
    cr_assert_eq(b.requests, 2);
    cr_assert(strstr(b.last_head, "X-Goog-Upload-Command: upload"));
    cr_assert_null(strcasestr(b.last_head, "x-goog-api-key"), "%s", b.last_head);
    for (int i = 0; i < 3; i++)
        op_free(ops[i]);
    xfer_free(&x);
    tiny_stop(&a);
    tiny_stop(&b);
}

Test(xfer, without_an_origin_the_first_op_pins_it)
{
    struct tiny a, b;
    tiny_start(&a, 2);
    tiny_start(&b, 2);
    struct xfer x;
    init(&x, "AIza-secret-key-000");
    struct op *ops[2] = {get_op(&x, tiny_url(&a, "/first")), get_op(&x, tiny_url(&b, "/x"))};
    run_all(&x, ops, 1);
    run_all(&x, ops + 1, 1);
    cr_assert(strstr(a.last_head, "x-goog-api-key:"));
    cr_assert_null(strcasestr(b.last_head, "x-goog-api-key"));
    /* user info does not fool the origin check */
    char *tricky = malloc(160);
    snprintf(tricky, 160, "http://127.0.0.1:%d@127.0.0.1:%d/x", a.port, b.port);
    struct op *op = get_op(&x, tricky);
    run_all(&x, &op, 1);
    cr_assert_eq(b.requests, 2);
    cr_assert_null(strcasestr(b.last_head, "x-goog-api-key"), "%s", b.last_head);
    op_free(op);
    op_free(ops[0]);
    op_free(ops[1]);
    xfer_free(&x);
    tiny_stop(&a);
    tiny_stop(&b);
}

Test(xfer, only_http_and_https)
{
    struct tiny t;
    tiny_start(&t, 2);
    char path[] = "/tmp/gb-xfer-secret-XXXXXX";
    int fd = mkstemp(path);
    cr_assert(fd >= 0);
    cr_assert_eq(write(fd, "TOPSECRET\n", 10), 10);
    close(fd);
    struct xfer x;
    init(&x, "AIza-secret-key-000");
    char *file_url = malloc(128), *gopher = malloc(128), *dict = malloc(128);
    snprintf(file_url, 128, "file://%s", path);
    snprintf(gopher, 128, "gopher://127.0.0.1:%d/_PING", t.port);
    snprintf(dict, 128, "dict://127.0.0.1:%d/stats", t.port);
    struct op *ops[3] = {get_op(&x, file_url), get_op(&x, gopher), get_op(&x, dict)};
    run_all(&x, ops, 3);
    for (int i = 0; i < 3; i++) {
        cr_assert_eq(ops[i]->cc, CURLE_UNSUPPORTED_PROTOCOL, "%s: %s", ops[i]->url,
                     curl_easy_strerror(ops[i]->cc));
        cr_assert_eq(ops[i]->resp.len, 0, "%s read something", ops[i]->url);
        op_free(ops[i]);
    }
    cr_assert_eq(t.connections, 0, "a gopher or dict request reached the server");
    unlink(path);
    xfer_free(&x);
    tiny_stop(&t);
}

Test(xfer, redirects_are_not_followed)
{
    struct tiny t, other;
    tiny_start(&other, 2);
    tiny_start(&t, 0);
    char loc[128];
    snprintf(loc, sizeof loc, "Location: http://127.0.0.1:%d/steal\r\n", other.port);
    t.status = "302 Found";
    t.extra = loc;
    struct xfer x;
    init(&x, "AIza-secret-key-000");
    struct op *op = get_op(&x, tiny_url(&t, "/v1beta/interactions"));
    run_all(&x, &op, 1);
    cr_assert_eq(op->http, 302);
    cr_assert_eq(other.connections, 0);
    op_free(op);
    xfer_free(&x);
    tiny_stop(&t);
    tiny_stop(&other);
}

Test(xfer, budget_bounds_all_responses_together)
{
    struct tiny t;
    tiny_start(&t, 1 << 20); /* 1 MiB bodies */
    struct xfer x;
    init(&x, NULL);
    xfer_set_budget(&x, (3u << 20) / 2); /* room for one and a half */
    struct op *a = get_op(&x, tiny_url(&t, "/a")), *b = get_op(&x, tiny_url(&t, "/b"));
    run_all(&x, &a, 1);
    cr_assert_eq(a->cc, CURLE_OK);
    cr_assert_eq(a->resp.len, 1u << 20);
    /* a is still held: b cannot have its megabyte */
    run_all(&x, &b, 1);
    cr_assert_neq(b->cc, CURLE_OK);
    cr_assert_eq(b->over_budget, 1);
    cr_assert(strstr(b->errbuf, "memory budget"), "%s", b->errbuf);
    cr_assert_leq(xfer_buffered(&x), (3u << 20) / 2);
    /* once a is freed, b's retry fits, and what b held before is not counted twice */
    op_free(a);
    run_all(&x, &b, 1);
    cr_assert_eq(b->cc, CURLE_OK, "%s", b->errbuf);
    cr_assert_eq(b->over_budget, 0);
    cr_assert_eq(xfer_buffered(&x), 1u << 20);
    /* an op freed after its xfer does not touch freed memory */
    xfer_free(&x);
    op_free(b);
    tiny_stop(&t);
}

struct sink_ctx {
    size_t seen, kept;
};

/* keeps one byte in 16, as an image decoder leaving a placeholder would */
static int on_data(struct op *op, const char *p, size_t n)
{
    struct sink_ctx *c = op->data_ctx;
    (void)p;
    c->seen += n;
    c->kept += n / 16;
    xfer_op_release(op, n - n / 16);
    return 0;
}

Test(xfer, on_data_release_keeps_the_budget_for_what_is_kept)
{
    struct tiny t;
    tiny_start(&t, 4 << 20);
    struct xfer x;
    init(&x, NULL);
    xfer_set_budget(&x, 1 << 20); /* less than the body: only releasing lets it through */
    struct sink_ctx c = {0, 0};
    struct op *op = get_op(&x, tiny_url(&t, "/big"));
    op->on_data = on_data;
    op->data_ctx = &c;
    run_all(&x, &op, 1);
    cr_assert_eq(op->cc, CURLE_OK, "%s", op->errbuf);
    cr_assert_eq(c.seen, 4u << 20);
    cr_assert_eq(xfer_buffered(&x), c.kept);
    op_free(op);
    cr_assert_eq(xfer_buffered(&x), 0);
    xfer_free(&x);
    tiny_stop(&t);
}

static struct emu *start_emu(long latency_ms)
{
    struct emu_opts o;
    emu_opts_default(&o);
    o.listen = "127.0.0.1:0";
    o.latency_ms = latency_ms;
    o.quiet = 1;
    struct emu *e = NULL;
    struct gb_err err = {0};
    cr_assert_eq(emu_start(&o, &e, &err), 0, "%s", err.msg);
    return e;
}

static struct op *create_op(struct xfer *x, struct emu *e, int tag, long timeout_ms)
{
    char *url = malloc(256);
    snprintf(url, 256, "%s/v1beta/interactions", emu_base_url(e));
    struct op *op = op_new(x, 0, (void *)(intptr_t)tag, "POST", url);
    cr_assert_not_null(op);
    static const char body[] = "{\"model\":\"gemini-2.5-flash\",\"input\":\"hello\"}";
    cr_assert_eq(body_from_text(&op->body, body, sizeof body - 1), 0);
    op->has_body = 1;
    op->timeout_ms = timeout_ms;
    return op;
}

/* Run until n ops are back (or 20 s pass); they land in done[] in order. */
static int drain(struct xfer *x, struct op **done, int n)
{
    int got = 0;
    uint64_t t0 = now_ms();
    while (got < n && now_ms() - t0 < 20000) {
        xfer_poll(x, 100, NULL, 0);
        struct op *op;
        while ((op = xfer_next_done(x)))
            done[got++] = op;
    }
    return got;
}

/* With one connection to the host, five 600 ms answers queue behind each
 * other: the last is answered 3 s after it was added. A 2 s limit on each
 * attempt must not count the 2.4 s it waited for the connection. */
Test(xfer, the_timeout_measures_the_attempt_not_the_queue, .timeout = 60)
{
    struct emu *e = start_emu(600);
    struct xfer x;
    struct xfer_opts xo = {NULL, 30000, 1};
    cr_assert_eq(xfer_init(&x, &xo, "k", "gembatch-test"), 0);
    struct op *done[5];
    for (int i = 0; i < 5; i++)
        cr_assert_eq(xfer_add(&x, create_op(&x, e, i, 2000)), 0);
    cr_assert_eq(drain(&x, done, 5), 5);
    uint64_t last = 0;
    for (int i = 0; i < 5; i++) {
        struct op *op = done[i];
        cr_expect_eq(op->cc, CURLE_OK, "op %d: %s", (int)(intptr_t)op->user, op->errbuf);
        cr_expect_eq(op->http, 200);
        cr_expect_neq(op->t_attempt_us, 0, "the attempt's start was seen");
        if (op->t_end_us > last)
            last = op->t_end_us;
    }
    /* the queue was real: the last answer came well after its 2 s from xfer_add */
    uint64_t first_add = done[0]->t_start_us;
    for (int i = 1; i < 5; i++)
        if (done[i]->t_start_us < first_add)
            first_add = done[i]->t_start_us;
    cr_expect_gt(last - first_add, 2500000, "the five answers were not serialised (%llu us)",
                 (unsigned long long)(last - first_add));
    for (int i = 0; i < 5; i++)
        op_free(done[i]);
    xfer_free(&x);
    emu_stop(e);
}

Test(xfer, an_attempt_past_its_timeout_ends_timed_out, .timeout = 60)
{
    struct emu *e = start_emu(3000);
    struct xfer x;
    struct xfer_opts xo = {NULL, 30000, 0};
    cr_assert_eq(xfer_init(&x, &xo, "k", "gembatch-test"), 0);
    cr_assert_eq(xfer_add(&x, create_op(&x, e, 1, 300)), 0);
    struct op *done[1];
    uint64_t t0 = now_us();
    cr_assert_eq(drain(&x, done, 1), 1);
    uint64_t took = now_us() - t0;
    cr_expect_eq(done[0]->cc, CURLE_OPERATION_TIMEDOUT);
    cr_expect(strstr(done[0]->errbuf, "timed out after") != NULL, "%s", done[0]->errbuf);
    cr_expect_lt(took, 2900000, "ended by the 300 ms limit, not by the 3 s answer (%llu us)",
                 (unsigned long long)took);
    op_free(done[0]);
    /* the handle went back to the pool and serves the next op */
    cr_assert_eq(xfer_add(&x, create_op(&x, e, 2, 10000)), 0);
    cr_assert_eq(drain(&x, done, 1), 1);
    cr_expect_eq(done[0]->cc, CURLE_OK, "%s", done[0]->errbuf);
    op_free(done[0]);
    xfer_free(&x);
    emu_stop(e);
}

Test(xfer, a_cancelled_op_never_comes_back, .timeout = 60)
{
    struct emu *e = start_emu(1000);
    struct xfer x;
    struct xfer_opts xo = {NULL, 30000, 0};
    cr_assert_eq(xfer_init(&x, &xo, "k", "gembatch-test"), 0);
    struct op *a = create_op(&x, e, 1, 200), *b = create_op(&x, e, 2, 200),
              *c = create_op(&x, e, 3, 200);
    cr_assert_eq(xfer_add(&x, a), 0);
    cr_assert_eq(xfer_add(&x, b), 0);
    cr_assert_eq(xfer_add(&x, c), 0);
    /* all three time out; b is cancelled after that, before it is handed back */
    uint64_t t0 = now_ms();
    while (now_ms() - t0 < 800)
        xfer_poll(&x, 50, NULL, 0);
    xfer_cancel(&x, b);
    op_free(b);
    struct op *done[3] = {0};
    int got = drain(&x, done, 2);
    cr_expect_eq(got, 2);
    for (int i = 0; i < got; i++) {
        cr_expect(done[i] == a || done[i] == c, "an op that was cancelled came back");
        cr_expect_eq(done[i]->cc, CURLE_OPERATION_TIMEDOUT);
        op_free(done[i]);
    }
    xfer_poll(&x, 10, NULL, 0);
    cr_expect_null(xfer_next_done(&x));
    xfer_free(&x);
    emu_stop(e);
}
