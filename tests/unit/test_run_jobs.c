/* test_run_jobs.c: the engine's one exit (run_jobs.c). Every task ends
 * exactly once, whichever way it ends: completed (one results.jsonl line),
 * failed (one errors.jsonl line), interrupted (one journal line); a job that
 * is skipped never becomes a task. A second exit of the same task is a
 * broken invariant and stops the program. */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_int.h"

struct fixture {
    char dir[64];
    struct config cfg;
    struct pipeline pipe;
    struct run r;
};

static void setup_run(struct fixture *f)
{
    memset(f, 0, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/gb-unit-jobs.XXXXXX");
    cr_assert_not_null(mkdtemp(f->dir));
    config_defaults(&f->cfg);
    f->cfg.quiet = 1;
    f->r.cfg = &f->cfg;
    f->r.pipe = &f->pipe;
    f->r.dups = json_array();
    dset_init(&f->r.seen);
    struct gb_err e = {0};
    cr_assert_eq(sink_open(&f->r.sink, f->dir, 0, &e), 0, "%s", e.msg);
    cr_assert_eq(jrn_scan(f->dir, &f->r.res, &e), 0, "%s", e.msg);
    cr_assert_eq(jrn_begin(&f->r.sink, &f->r.res, "unit"), 0);
    cr_assert_eq(toolbox_init(&f->r.tb, 2), 0);
}

static void teardown_run(struct fixture *f)
{
    toolbox_free(&f->r.tb);
    sink_close(&f->r.sink);
    jrn_free(&f->r.res);
    dset_free(&f->r.seen);
    json_decref(f->r.dups);
    free(f->r.heap);
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", f->dir);
    cr_assert_eq(system(cmd), 0);
}

static struct job *mkjob(const char *id, long line)
{
    struct job *j = calloc(1, sizeof *j);
    j->id = strdup(id);
    j->digest = hash64(id, strlen(id), 0);
    j->source = "m.jsonl";
    j->line = line;
    j->store = 1;
    j->req = json_pack("{s:s,s:s}", "model", "gemini-2.5-flash", "input", "hi");
    return j;
}

/* The lines of OUTDIR/name whose "id" is id (and, for the journal, whose
 * event is ev). */
static int count_lines(const struct fixture *f, const char *name, const char *id, const char *ev)
{
    char path[128], line[4096];
    snprintf(path, sizeof path, "%s/%s", f->dir, name);
    FILE *fp = fopen(path, "r");
    if (!fp)
        return 0;
    int n = 0;
    while (fgets(line, sizeof line, fp)) {
        json_t *o = json_loads(line, 0, NULL);
        cr_assert_not_null(o, "%s has a line that is not JSON: %s", name, line);
        const char *lid = jx_str(o, "id");
        const char *lev = jx_str(o, "ev");
        if (lid && !strcmp(lid, id) && (!ev || (lev && !strcmp(lev, ev))))
            n++;
        json_decref(o);
    }
    fclose(fp);
    return n;
}

static void flush(struct fixture *f)
{
    cr_assert_eq(sink_sync(&f->r.sink, 0, 1), 0);
}

Test(run_jobs, every_task_ends_exactly_once_whichever_way)
{
    struct fixture f;
    setup_run(&f);
    struct interaction it = {0};
    it.status = "completed";
    it.outputs = json_array();
    const int n = 90;
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "j%d", i);
        struct task *t = task_enter(&f.r, mkjob(id, i + 1));
        cr_assert_not_null(t);
        cr_assert_eq(t->phase, PH_NEW);
        task_phase(&f.r, t, PH_CREATE);
        switch (i % 3) {
        case 0:
            task_complete(&f.r, t, &it, "answer", NULL);
            break;
        case 1:
            task_fail(&f.r, t, 503, "UNAVAILABLE", "shed", NULL);
            break;
        default:
            task_interrupt(&f.r, t);
            break;
        }
    }
    flush(&f);
    cr_assert_eq(f.r.active, 0, "every task left the run");
    cr_assert_null(f.r.all);
    cr_assert_eq(f.r.c.jobs, n);
    cr_assert_eq(f.r.c.completed, n / 3);
    cr_assert_eq(f.r.c.failed, n / 3);
    cr_assert_eq(f.r.c.interrupted, n / 3);
    for (int i = 0; i < n; i++) {
        char id[16];
        snprintf(id, sizeof id, "j%d", i);
        int res = count_lines(&f, "results.jsonl", id, NULL);
        int err = count_lines(&f, "errors.jsonl", id, NULL);
        int intr = count_lines(&f, "journal.jsonl", id, "intr");
        cr_assert_eq(res + err + intr, 1, "%s ended %d times (%d results, %d errors, %d "
                     "interrupted)", id, res + err + intr, res, err, intr);
        cr_assert_eq(i % 3 == 0 ? res : i % 3 == 1 ? err : intr, 1, "%s ended the wrong way", id);
    }
    json_decref(it.outputs);
    teardown_run(&f);
}

Test(run_jobs, an_error_line_names_the_job_and_where_it_came_from)
{
    struct fixture f;
    setup_run(&f);
    struct task *t = task_enter(&f.r, mkjob("inv-7", 17));
    t->attempts = 3;
    t->total_attempts = 4;
    task_fail(&f.r, t, 404, "NOT_FOUND", "no such model", NULL);
    flush(&f);
    char path[128];
    snprintf(path, sizeof path, "%s/errors.jsonl", f.dir);
    json_error_t je;
    json_t *o = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je);
    cr_assert_not_null(o, "%s", je.text);
    cr_assert_str_eq(jx_str(o, "id"), "inv-7");
    cr_assert_str_eq(jx_str(o, "status"), "failed");
    cr_assert_str_eq(jx_str(jx_obj(o, "error"), "status"), "NOT_FOUND");
    long long v;
    cr_assert_eq(jx_int(jx_obj(o, "error"), "code", &v), 0);
    cr_assert_eq(v, 404);
    cr_assert_eq(jx_int(o, "line", &v), 0);
    cr_assert_eq(v, 17);
    cr_assert_eq(jx_int(o, "attempts", &v), 0);
    cr_assert_eq(v, 3);
    cr_assert_eq(jx_int(o, "requests", &v), 0);
    cr_assert_eq(v, 4);
    cr_assert_str_eq(jx_str(o, "input"), "m.jsonl");
    json_decref(o);
    teardown_run(&f);
}

Test(run_jobs, skipped_jobs_never_become_tasks)
{
    struct fixture f;
    setup_run(&f);
    job_skip(&f.r, mkjob("a", 1), SKIP_SHARD);
    job_skip(&f.r, mkjob("b", 2), SKIP_DONE);
    job_skip(&f.r, mkjob("c", 3), SKIP_DUPLICATE);
    flush(&f);
    cr_assert_eq(f.r.c.jobs, 0);
    cr_assert_eq(f.r.active, 0);
    cr_assert_eq(f.r.c.shard_skipped, 1);
    cr_assert_eq(f.r.c.skipped_done, 1);
    cr_assert_eq(f.r.c.duplicates, 1);
    cr_assert_eq(json_array_size(f.r.dups), 1);
    cr_assert_str_eq(jx_str(json_array_get(f.r.dups, 0), "id"), "c");
    cr_assert_eq(count_lines(&f, "results.jsonl", "a", NULL) + count_lines(&f, "errors.jsonl", "b", NULL), 0);
    teardown_run(&f);
}

Test(run_jobs, the_phase_changes_in_one_place_and_never_leaves_done, .signal = SIGABRT,
     .init = cr_redirect_stderr) /* the expected "internal error" line stays out of the log */
{
    struct fixture f;
    setup_run(&f);
    struct task *t = task_enter(&f.r, mkjob("x", 1));
    task_phase(&f.r, t, PH_POLL);
    cr_assert_eq(t->phase, PH_POLL);
    task_phase(&f.r, t, PH_DONE);
    /* an ended task that is ended again (a second result or error line for
     * one job) is a broken invariant: the program stops here */
    task_fail(&f.r, t, 500, "INTERNAL", "twice", NULL);
}

Test(run_jobs, timers_come_due_in_order)
{
    struct fixture f;
    setup_run(&f);
    struct task *a = task_enter(&f.r, mkjob("a", 1));
    struct task *b = task_enter(&f.r, mkjob("b", 2));
    struct task *c = task_enter(&f.r, mkjob("c", 3));
    task_schedule(&f.r, a, 3000);
    task_schedule(&f.r, b, 1000);
    task_schedule(&f.r, c, 2000);
    uint64_t now = now_ms();
    cr_assert_null(task_due(&f.r, now));
    long next = task_next_due_ms(&f.r, now);
    cr_assert(next > 500 && next <= 1000, "next timer in %ld ms", next);
    cr_assert_eq(task_due(&f.r, now + 5000), b);
    cr_assert_eq(task_due(&f.r, now + 5000), c);
    cr_assert_eq(task_due(&f.r, now + 5000), a);
    cr_assert_null(task_due(&f.r, now + 5000));
    cr_assert_eq(task_next_due_ms(&f.r, now), -1);
    task_interrupt(&f.r, a);
    task_interrupt(&f.r, b);
    task_interrupt(&f.r, c);
    teardown_run(&f);
}

Test(run_jobs, a_cached_answer_is_checked_against_the_schema_of_today)
{
    struct fixture f;
    setup_run(&f);
    json_t *sdoc = json_pack("{s:s,s:{s:{s:s}},s:[s]}", "type", "object", "properties", "label",
                             "type", "string", "required", "label");
    struct schema *sc = NULL;
    struct gb_err e = {0};
    cr_assert_eq(schema_compile(sdoc, "test", &sc, &e), 0, "%s", e.msg);
    /* a hit whose output lacks what the schema now requires is not served */
    struct task *t = task_enter(&f.r, mkjob("a", 1));
    t->job->schema = sc;
    struct cache_hit h = {0};
    h.result = json_pack("{s:s,s:{s:i},s:s}", "status", "completed", "output", "n", 3, "text",
                         "{\"n\":3}");
    h.cost_usd = 0.001;
    cr_assert_eq(task_serve_cached(&f.r, t, &h), 0);
    cr_assert_eq(f.r.c.cached, 0);
    cr_assert_eq(f.r.active, 1, "the task is still there, to be asked again");
    json_decref(h.result);
    /* one that matches is served: a result line, cached, nothing billed */
    h.result = json_pack("{s:s,s:{s:s},s:s}", "status", "completed", "output", "label", "cat",
                         "text", "{\"label\":\"cat\"}");
    cr_assert_eq(task_serve_cached(&f.r, t, &h), 1);
    cr_assert_eq(f.r.c.cached, 1);
    cr_assert_eq(f.r.active, 0);
    json_decref(h.result);
    flush(&f);
    char path[128];
    snprintf(path, sizeof path, "%s/results.jsonl", f.dir);
    json_error_t je;
    json_t *o = json_load_file(path, JSON_DISABLE_EOF_CHECK, &je);
    cr_assert_not_null(o, "%s", je.text);
    cr_assert(json_is_true(json_object_get(o, "cached")));
    cr_assert_eq(json_real_value(json_object_get(o, "cost_usd")) + json_integer_value(json_object_get(o, "cost_usd")), 0);
    json_decref(o);
    schema_free(sc);
    json_decref(sdoc);
    teardown_run(&f);
}

/* The progress rate follows the run: a steady 92 jobs a second shows as
 * about 92 from its first second on (not a figure dragged down by the time
 * before the first answer), keeps following when the pace halves, and the
 * last frame shows the run's average, never 0 for a short run. */
Test(run_jobs, the_progress_rate_follows_the_run)
{
    struct run r;
    memset(&r, 0, sizeof r);
    r.t0_us = 0;
    r.first_send_ms = 3000; /* three seconds of setup before the first request */
    uint64_t now = 3000;
    double seen = 0;
    for (int k = 1; k <= 100; k++) { /* 10 s at 92/s, 100 ms a step */
        now += 100;
        r.c.completed = r.c.ended_sent = (long long)(9.2 * k);
        r.c.failed = 3 * k; /* lines that failed before sending: not a rate */
        seen = run_rate_now(&r, now, 0);
        if (k >= 10)
            cr_expect(seen > 80 && seen < 104, "at %d ms: %.1f jobs/s shown for 92", k * 100, seen);
    }
    long long at = r.c.completed;
    for (int k = 1; k <= 150; k++) { /* then 46/s for 15 s */
        now += 100;
        r.c.completed = r.c.ended_sent = at + (long long)(4.6 * k);
        seen = run_rate_now(&r, now, 0);
    }
    cr_expect(seen > 40 && seen < 52, "%.1f jobs/s shown for 46 after the pace halved", seen);
    double last = run_rate_now(&r, now, 1);
    double avg = (double)r.c.completed / ((double)(now - 3000) / 1000.0);
    cr_expect(last > avg * 0.99 && last < avg * 1.01, "final %.1f, average %.1f", last, avg);
    /* a run of 5 jobs that ended within a second still shows a rate */
    struct run s;
    memset(&s, 0, sizeof s);
    s.first_send_ms = 1000;
    s.c.completed = s.c.ended_sent = 5;
    cr_expect(run_rate_now(&s, 1400, 1) > 10, "a short run ends at 0 req/s");
    /* bad lines alone, nothing sent: no rate */
    struct run z;
    memset(&z, 0, sizeof z);
    z.first_send_ms = 1000;
    z.c.failed = 3;
    cr_expect_eq(run_rate_now(&z, 1010, 1), 0, "3 bad lines shown as a rate");
}
