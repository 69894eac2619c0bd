/* test_xfer.c: the transfer layer against the in-process emulator: ops come
 * back with their answers; the per-attempt timeout counts from when the
 * attempt leaves curl's queue, not from xfer_add; an attempt past it ends
 * with CURLE_OPERATION_TIMEDOUT; a cancelled op never comes back. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emu.h"
#include "fsx.h"
#include "xfer.h"

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
