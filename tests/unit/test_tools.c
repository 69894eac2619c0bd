/* test_tools.c: function-tool programs run as children (tools.c). Finished
 * calls come back through toolbox_next_done, once each, in the order they
 * finished; a failing, a silent-but-slow and a cancelled program each end
 * the way the engine expects. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fsx.h"
#include "tools.h"

/* Drive the toolbox until n calls came back (or 10 s passed). */
static int collect(struct toolbox *tb, struct tool_done *out, char outs[][256], int n)
{
    int got = 0;
    uint64_t end = now_ms() + 10000;
    while (got < n && now_ms() < end) {
        struct curl_waitfd fds[16];
        unsigned nfds = toolbox_fds(tb, fds, 16);
        (void)nfds;
        usleep(2000);
        toolbox_step(tb);
        struct tool_done *d;
        while ((d = toolbox_next_done(tb))) {
            cr_assert(got < n, "more calls came back than were made");
            out[got] = *d;
            snprintf(outs[got], 256, "%.*s", (int)d->n, d->out);
            got++;
        }
    }
    return got;
}

Test(tools, finished_calls_come_back_once_each_with_their_output)
{
    struct toolbox tb;
    cr_assert_eq(toolbox_init(&tb, 4), 0);
    char *cat[] = {"/bin/cat", NULL};
    char *fail[] = {"/bin/sh", "-c", "echo broken >&2; exit 3", NULL};
    int u1 = 1, u2 = 2;
    cr_assert_eq(toolbox_call(&tb, cat, "{\"a\":1}", 7, 5000, &u1), 0);
    cr_assert_eq(toolbox_call(&tb, fail, "", 0, 5000, &u2), 0);
    struct tool_done d[4];
    char outs[4][256];
    cr_assert_eq(collect(&tb, d, outs, 2), 2);
    for (int i = 0; i < 2; i++) {
        if (d[i].user == &u1) {
            cr_assert(d[i].ok);
            cr_assert_str_eq(outs[i], "{\"a\":1}");
        } else {
            cr_assert_eq(d[i].user, &u2);
            cr_assert_not(d[i].ok);
            cr_assert(strstr(d[i].why, "exited with status 3") && strstr(d[i].why, "broken"),
                      "why: %s", d[i].why);
        }
    }
    cr_assert_null(toolbox_next_done(&tb), "each call comes back once");
    cr_assert_not(toolbox_busy(&tb));
    toolbox_free(&tb);
}

Test(tools, a_program_past_its_timeout_is_killed_and_says_so)
{
    struct toolbox tb;
    cr_assert_eq(toolbox_init(&tb, 4), 0);
    char *sleeper[] = {"/bin/sleep", "30", NULL};
    int u = 7;
    cr_assert_eq(toolbox_call(&tb, sleeper, "", 0, 200, &u), 0);
    struct tool_done d[1];
    char outs[1][256];
    cr_assert_eq(collect(&tb, d, outs, 1), 1);
    cr_assert_not(d[0].ok);
    cr_assert(strstr(d[0].why, "timed out"), "why: %s", d[0].why);
    toolbox_free(&tb);
}

Test(tools, a_cancelled_user_gets_nothing_back)
{
    signal(SIGPIPE, SIG_IGN); /* as run does: a killed program's stdin is a broken pipe */
    struct toolbox tb;
    cr_assert_eq(toolbox_init(&tb, 1), 0); /* one at a time: the second is queued */
    char *cat[] = {"/bin/cat", NULL};
    int gone = 1, kept = 2;
    cr_assert_eq(toolbox_call(&tb, cat, "x", 1, 5000, &gone), 0);
    cr_assert_eq(toolbox_call(&tb, cat, "y", 1, 5000, &gone), 0);
    cr_assert_eq(toolbox_call(&tb, cat, "z", 1, 5000, &kept), 0);
    toolbox_cancel(&tb, &gone);
    struct tool_done d[3];
    char outs[3][256];
    cr_assert_eq(collect(&tb, d, outs, 1), 1);
    cr_assert_eq(d[0].user, &kept);
    cr_assert_str_eq(outs[0], "z");
    /* nothing more comes back, not even later */
    for (int i = 0; i < 50; i++) {
        toolbox_step(&tb);
        cr_assert_null(toolbox_next_done(&tb));
        usleep(2000);
    }
    toolbox_free(&tb);
}

Test(tools, the_api_key_never_reaches_a_program)
{
    setenv("GEMINI_API_KEY", "secret-key-value", 1);
    setenv("GOOGLE_API_KEY", "other-secret", 1);
    setenv("GEMBATCH_TEST_KEPT", "kept", 1);
    struct toolbox tb;
    cr_assert_eq(toolbox_init(&tb, 2), 0);
    /* the program prints what it sees; collect() copies the output, since a
     * done call's own buffer is gone at the next toolbox_next_done */
    char *env[] = {"/bin/sh", "-c",
                   "printf '%s,%s,%s' \"${GEMINI_API_KEY-unset}\" \"${GOOGLE_API_KEY-unset}\" "
                   "\"${GEMBATCH_TEST_KEPT-unset}\"",
                   NULL};
    int u = 1;
    cr_assert_eq(toolbox_call(&tb, env, "", 0, 5000, &u), 0);
    struct tool_done d[1];
    char outs[1][256];
    cr_assert_eq(collect(&tb, d, outs, 1), 1);
    cr_assert(d[0].ok);
    cr_assert_str_eq(outs[0], "unset,unset,kept", "the program saw: %s", outs[0]);
    toolbox_free(&tb);
    unsetenv("GEMINI_API_KEY");
    unsetenv("GOOGLE_API_KEY");
    unsetenv("GEMBATCH_TEST_KEPT");
}
