/* test_emu_batch.c: the Batch API without HTTP. A batch's work (result
 * lines in input order with their keys, inline items with their metadata,
 * bad lines as errors in place, the batch_line draws deterministic per seed
 * and fresh per batch, a stop between lines); the store (PENDING at create,
 * then SUCCEEDED, the Operation envelope with batchStats as strings, inline
 * results twice in the streamed body, list pages that end without a token,
 * cancel, delete then 404, expiry, the refusals); JSONL uploads kept in the
 * spool with their lines counted; bodies read across their pieces; the
 * spool's quota and its folder removed at the end. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "emu_int.h"

/* ---- helpers ------------------------------------------------------------------ */

static int tmp_fd(const char *text)
{
    char path[] = "/tmp/gb-test-batch-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unlink(path);
    size_t n = strlen(text);
    cr_assert_eq(write(fd, text, n), (ssize_t)n);
    lseek(fd, 0, SEEK_SET);
    return fd;
}

static char *read_all_fd(int fd)
{
    off_t n = lseek(fd, 0, SEEK_END);
    char *s = malloc((size_t)n + 1);
    cr_assert_eq(pread(fd, s, (size_t)n, 0), n);
    s[n] = '\0';
    return s;
}

static struct emu_env env = {7, NULL, NULL, NULL, NULL};

/* Run a batch over input; returns the output text (new). */
static char *run(const char *input, int inline_out, uint64_t seq, double line_rate,
                 uint64_t *ok, uint64_t *failed, int *rc)
{
    int in = tmp_fd(input), out = tmp_fd("");
    int stop = 0;
    *ok = *failed = 0;
    struct emu_batch_job j = {0};
    j.in_fd = in;
    j.out_fd = out;
    j.inline_out = inline_out;
    j.model = "models/gemini-2.5-flash";
    j.seq = seq;
    j.seed = 7;
    j.line_error_rate = line_rate;
    j.max_line_bytes = 4096;
    j.env = &env;
    j.stop = &stop;
    j.ok = ok;
    j.failed = failed;
    struct emu_batch_out o;
    *rc = emu_batch_run(&j, &o);
    char *s = read_all_fd(out);
    cr_expect_eq(o.bytes, strlen(s));
    close(in);
    close(out);
    return s;
}

static json_t *lines_of(const char *text)
{
    json_t *a = json_array();
    const char *p = text;
    while (*p) {
        const char *nl = strchr(p, '\n');
        cr_assert_not_null(nl, "every result line ends with a newline");
        json_t *v = json_loadb(p, (size_t)(nl - p), 0, NULL);
        cr_assert_not_null(v, "%.*s", (int)(nl - p), p);
        json_array_append_new(a, v);
        p = nl + 1;
    }
    return a;
}

#define REQ(t) "{\"contents\":[{\"parts\":[{\"text\":\"" t "\"}]}]}"

/* ---- the work of one batch --------------------------------------------------------- */

Test(emu_batch_run, file_lines_in_order_with_keys_and_errors_in_place)
{
    const char *in = "{\"key\":\"a\",\"request\":" REQ("one") "}\n"
                     "\n"
                     "   \n"
                     "{\"key\":7,\"request\":" REQ("two") "}\n"
                     "not json\n"
                     "{\"key\":\"c\",\"request\":{\"contents\":[],\"bogus\":1}}\n"
                     REQ("bare") "\n"
                     "{\"key\":\"long\",\"request\":" REQ(
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"
                         "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx") "}"
                     "\n{\"key\":\"last\",\"request\":" REQ("no newline at the end") "}";
    uint64_t ok, failed;
    int rc;
    char *out = run(in, 0, 1, 0, &ok, &failed, &rc);
    cr_assert_eq(rc, 0);
    json_t *a = lines_of(out);
    cr_assert_eq(json_array_size(a), 7, "blank lines are not requests: %s", out);
    cr_expect_eq(ok, 5);
    cr_expect_eq(failed, 2);
    const json_t *l0 = json_array_get(a, 0);
    cr_expect_str_eq(json_string_value(json_object_get(l0, "key")), "a");
    cr_expect_not_null(json_object_get(json_object_get(l0, "response"), "candidates"));
    cr_expect_eq(json_integer_value(json_object_get(json_array_get(a, 1), "key")), 7,
                 "a key is copied as it is");
    const json_t *bad = json_object_get(json_array_get(a, 2), "error");
    cr_expect_eq(json_integer_value(json_object_get(bad, "code")), 3);
    cr_expect_null(json_object_get(json_array_get(a, 2), "key"));
    bad = json_object_get(json_array_get(a, 3), "error");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 3), "key")), "c");
    cr_expect_eq(json_integer_value(json_object_get(bad, "code")), 3);
    cr_expect_not_null(strstr(json_string_value(json_object_get(bad, "message")), "bogus"));
    /* a bare request (the guide's REST sample) is answered, without a key */
    cr_expect_null(json_object_get(json_array_get(a, 4), "key"));
    cr_expect_not_null(json_object_get(json_array_get(a, 4), "response"));
    cr_expect_not_null(json_object_get(json_array_get(a, 5), "response"), "under the line limit");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 6), "key")), "last");
    json_decref(a);
    free(out);
}

Test(emu_batch_run, a_line_past_the_limit_is_an_error)
{
    char *in = malloc(10000);
    int n = snprintf(in, 10000, "{\"key\":\"big\",\"request\":{\"contents\":[{\"parts\":[{\"text\":\"");
    memset(in + n, 'y', 6000);
    snprintf(in + n + 6000, 10000 - (size_t)n - 6000, "\"}]}]}}\n{\"key\":\"next\",\"request\":" REQ("x") "}\n");
    uint64_t ok, failed;
    int rc;
    char *out = run(in, 0, 1, 0, &ok, &failed, &rc);
    json_t *a = lines_of(out);
    cr_assert_eq(json_array_size(a), 2);
    const json_t *e = json_object_get(json_array_get(a, 0), "error");
    cr_expect_eq(json_integer_value(json_object_get(e, "code")), 3);
    cr_expect_not_null(json_object_get(json_array_get(a, 1), "response"), "the next line is read");
    json_decref(a);
    free(out);
    free(in);
}

Test(emu_batch_run, inline_items_comma_joined_with_metadata)
{
    const char *in = "{\"request\":" REQ("one") ",\"metadata\":{\"key\":\"m1\"}}\n"
                     "{\"request\":" REQ("two") "}\n"
                     "{\"metadata\":{\"key\":\"m3\"}}\n";
    uint64_t ok, failed;
    int rc;
    char *out = run(in, 1, 1, 0, &ok, &failed, &rc);
    char *arr = malloc(strlen(out) + 3);
    sprintf(arr, "[%s]", out);
    json_t *a = json_loads(arr, 0, NULL);
    cr_assert(json_is_array(a), "%s", out);
    cr_assert_eq(json_array_size(a), 3);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(a, 0), "metadata"), "key")),
                     "m1");
    cr_expect_null(json_object_get(json_array_get(a, 1), "metadata"));
    cr_expect_null(json_object_get(json_array_get(a, 0), "key"), "inline items have no key");
    cr_expect_not_null(json_object_get(json_array_get(a, 2), "error"));
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(a, 2), "metadata"), "key")),
                     "m3", "an error item keeps its metadata");
    cr_expect_eq(ok, 2);
    cr_expect_eq(failed, 1);
    json_decref(a);
    free(arr);
    free(out);
}

static char *fault_pattern(uint64_t seq, double rate)
{
    char in[4096] = "";
    for (int i = 0; i < 40; i++)
        snprintf(in + strlen(in), sizeof in - strlen(in),
                 "{\"key\":\"k%d\",\"request\":" REQ("same") "}\n", i);
    uint64_t ok, failed;
    int rc;
    char *out = run(in, 0, seq, rate, &ok, &failed, &rc);
    json_t *a = lines_of(out);
    char *pat = calloc(41, 1);
    for (size_t i = 0; i < 40; i++) {
        const json_t *e = json_object_get(json_array_get(a, i), "error");
        pat[i] = e ? 'E' : '.';
        if (e)
            cr_expect_eq(json_integer_value(json_object_get(e, "code")), 13);
    }
    json_decref(a);
    free(out);
    return pat;
}

Test(emu_batch_run, batch_line_draws_are_seeded_and_fresh_per_batch)
{
    char *a = fault_pattern(3, 0.5), *b = fault_pattern(3, 0.5), *c = fault_pattern(4, 0.5);
    cr_expect_str_eq(a, b, "the same batch draws the same lines");
    cr_expect_str_neq(a, c, "another batch draws afresh");
    cr_expect_neq(strchr(a, 'E'), NULL);
    cr_expect_neq(strchr(a, '.'), NULL);
    char *all = fault_pattern(3, 1), *none = fault_pattern(3, 0);
    cr_expect_eq(strspn(all, "E"), 40);
    cr_expect_eq(strspn(none, "."), 40);
    free(a);
    free(b);
    free(c);
    free(all);
    free(none);
}

Test(emu_batch_run, stops_between_lines)
{
    int in = tmp_fd("{\"key\":\"a\",\"request\":" REQ("x") "}\n"), out = tmp_fd("");
    int stop = 1;
    uint64_t ok = 0, failed = 0;
    struct emu_batch_job j = {0};
    j.in_fd = in;
    j.out_fd = out;
    j.model = "gemini-2.5-flash";
    j.env = &env;
    j.stop = &stop;
    j.ok = &ok;
    j.failed = &failed;
    struct emu_batch_out o;
    cr_expect_eq(emu_batch_run(&j, &o), 1);
    cr_expect_eq(ok + failed, 0);
    close(in);
    close(out);
}

/* ---- the spool and bodies -------------------------------------------------------------- */

Test(emu_spool, files_quota_and_cleanup)
{
    struct emu_spool *s;
    cr_assert_eq(emu_spool_new(100, &s), 0);
    char dir[4096];
    cr_expect_eq(emu_spool_dir(s, dir, sizeof dir), -1, "no folder before the first file");
    char *path;
    int fd;
    cr_assert_eq(emu_spool_create(s, "t", &path, &fd), 0);
    cr_assert_eq(emu_spool_dir(s, dir, sizeof dir), 0);
    struct stat st;
    cr_assert_eq(stat(dir, &st), 0);
    cr_expect_eq(st.st_mode & 0777, 0700, "a private folder");
    cr_expect_eq(emu_spool_reserve(s, 60), 0);
    cr_expect_eq(emu_spool_reserve(s, 50), -1, "past the quota");
    cr_expect_eq(emu_spool_used(s), 60);
    cr_expect_eq(emu_spool_reserve(s, 40), 0);
    emu_spool_remove(s, path, 60);
    cr_expect_eq(emu_spool_used(s), 40);
    close(fd);
    char *p2;
    cr_assert_eq(emu_spool_create(s, "u", &p2, &fd), 0);
    close(fd);
    emu_spool_free(s);
    cr_expect_neq(stat(dir, &st), 0, "the folder is gone with everything in it");
    free(p2);
}

Test(emu_spool, stale_folders_go_and_a_vanished_one_is_made_again)
{
    char tmp[] = "/tmp/gb-test-spool-XXXXXX", p[4200];
    cr_assert_not_null(mkdtemp(tmp));
    pid_t dead = fork();
    if (dead == 0)
        _exit(0);
    waitpid(dead, NULL, 0);
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-AAAAAA", tmp, (long)dead);
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-AAAAAA/results-1", tmp, (long)dead);
    close(open(p, O_CREAT | O_WRONLY, 0600));
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-BBBBBB", tmp, (long)getppid());
    cr_assert_eq(mkdir(p, 0700), 0);
    snprintf(p, sizeof p, "%s/gembatch-emu-CCCCCC", tmp);
    cr_assert_eq(mkdir(p, 0700), 0);
    setenv("TMPDIR", tmp, 1);
    struct emu_spool *s;
    cr_assert_eq(emu_spool_new(0, &s), 0);
    char *path;
    int fd;
    cr_assert_eq(emu_spool_create(s, "t", &path, &fd), 0);
    struct stat st;
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-AAAAAA", tmp, (long)dead);
    cr_expect_neq(stat(p, &st), 0, "the folder of a dead emulator is removed");
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-BBBBBB", tmp, (long)getppid());
    cr_expect_eq(stat(p, &st), 0, "a live process's folder stays");
    snprintf(p, sizeof p, "%s/gembatch-emu-CCCCCC", tmp);
    cr_expect_eq(stat(p, &st), 0, "a folder not named for a process stays");
    rmdir(p);
    snprintf(p, sizeof p, "%s/gembatch-emu-%ld-BBBBBB", tmp, (long)getppid());
    rmdir(p);
    /* a tmp cleaner takes the folder: the next file makes another */
    char dir[4096];
    cr_assert_eq(emu_spool_dir(s, dir, sizeof dir), 0);
    unlink(path);
    free(path);
    close(fd);
    cr_assert_eq(rmdir(dir), 0);
    cr_assert_eq(emu_spool_create(s, "t", &path, &fd), 0, "a new folder after the old one went");
    close(fd);
    emu_spool_free(s);
    free(path);
    unsetenv("TMPDIR");
    cr_expect_eq(rmdir(tmp), 0, "nothing left behind");
}

Test(emu_spool, body_pieces_read_across_boundaries)
{
    struct emu_body *b;
    cr_assert_eq(emu_body_new(&b), 0);
    int fd = tmp_fd("0123456789");
    cr_assert_eq(emu_body_text(b, "<a>"), 0);
    cr_assert_eq(emu_body_file(b, fd, 2, 5), 0); /* "23456" */
    cr_assert_eq(emu_body_text(b, ""), 0);
    cr_assert_eq(emu_body_file(b, dup(fd), 0, 3), 0); /* "012" */
    cr_assert_eq(emu_body_text(b, "</a>"), 0);
    const char *want = "<a>23456012</a>";
    cr_assert_eq(emu_body_size(b), strlen(want));
    for (size_t step = 1; step <= 16; step++) {
        char got[64] = "";
        uint64_t pos = 0;
        ssize_t n;
        while ((n = emu_body_read(b, pos, got + pos, step)) > 0)
            pos += (uint64_t)n;
        cr_expect_str_eq(got, want, "read %zu at a time", step);
    }
    emu_body_free(b);
}

/* ---- the store -------------------------------------------------------------------------------- */

struct fixture {
    struct emu_spool *spool;
    struct emu_files *files;
    struct emu_batches *b;
};

static void setup(struct fixture *fx, long batch_time_ms, double expire, double line)
{
    cr_assert_eq(emu_spool_new(0, &fx->spool), 0);
    struct emu_files_opts fo = {1 << 20, 0, 100, 8080, fx->spool};
    cr_assert_eq(emu_files_new(&fo, &fx->files), 0);
    struct emu_batch_opts o = {0};
    o.batch_time_ms = batch_time_ms;
    o.expire_rate = expire;
    o.line_error_rate = line;
    o.seed = 5;
    o.max_active = 3;
    o.max_line_bytes = 1 << 20;
    o.base_url = "http://127.0.0.1:8080";
    o.spool = fx->spool;
    o.files = fx->files;
    cr_assert_eq(emu_batches_new(&o, &fx->b), 0);
}

static void teardown(struct fixture *fx)
{
    emu_batches_free(fx->b);
    emu_files_free(fx->files);
    emu_spool_free(fx->spool);
}

static json_t *create(struct fixture *fx, const char *body, char name[64])
{
    char *json = NULL;
    size_t len;
    struct emu_err e = {0};
    struct emu_batch_info info = {0};
    int rc = emu_batch_create(fx->b, "gemini-2.5-flash", body, strlen(body), &json, &len, &info, &e);
    cr_assert_eq(rc, 0, "%s: %s", body, e.msg);
    json_t *op = json_loads(json, 0, NULL);
    cr_assert_not_null(op, "%s", json);
    free(json);
    snprintf(name, 64, "%s", info.name);
    cr_expect_str_eq(json_string_value(json_object_get(op, "name")), name);
    return op;
}

static int create_fails(struct fixture *fx, const char *model, const char *body,
                        struct emu_err *e)
{
    char *json = NULL;
    size_t len;
    struct emu_batch_info info = {0};
    memset(e, 0, sizeof *e);
    int rc = emu_batch_create(fx->b, model, body, strlen(body), &json, &len, &info, e);
    free(json);
    return rc ? e->http : 0;
}

static json_t *get(struct fixture *fx, const char *name, int *http)
{
    struct emu_body *body = NULL;
    struct emu_err e = {0};
    struct emu_batch_info info = {0};
    *http = 200;
    if (emu_batch_get(fx->b, name + 8, &body, &info, &e)) {
        *http = e.http;
        return NULL;
    }
    size_t n = (size_t)emu_body_size(body);
    char *s = malloc(n + 1);
    cr_assert_eq(emu_body_read(body, 0, s, n), (ssize_t)n);
    s[n] = '\0';
    emu_body_free(body);
    json_t *op = json_loads(s, 0, NULL);
    cr_assert_not_null(op, "%s", s);
    free(s);
    return op;
}

static const char *state(const json_t *op)
{
    return json_string_value(json_object_get(json_object_get(op, "metadata"), "state"));
}

static json_t *wait_done(struct fixture *fx, const char *name)
{
    for (int i = 0; i < 400; i++) {
        int http;
        json_t *op = get(fx, name, &http);
        cr_assert_eq(http, 200);
        if (json_is_true(json_object_get(op, "done")))
            return op;
        json_decref(op);
        usleep(5000);
    }
    cr_assert_fail("%s never finished", name);
    return NULL;
}

#define INLINE2                                                                                    \
    "{\"batch\":{\"displayName\":\"two\",\"inputConfig\":{\"requests\":{\"requests\":["          \
    "{\"request\":" REQ("a") ",\"metadata\":{\"key\":\"x\"}},"                                    \
    "{\"request\":" REQ("b") ",\"metadata\":{\"key\":\"y\"}}]}}}}"

Test(emu_batches, inline_batch_pending_then_succeeded_with_results_twice)
{
    struct fixture fx;
    setup(&fx, 0, 0, 0);
    char name[64];
    json_t *op = create(&fx, INLINE2, name);
    const json_t *m = json_object_get(op, "metadata");
    cr_expect_str_eq(state(op), "BATCH_STATE_PENDING", "a create is always PENDING");
    cr_expect_null(json_object_get(op, "done"));
    cr_expect_str_eq(json_string_value(json_object_get(m, "@type")),
                     "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch");
    cr_expect_str_eq(json_string_value(json_object_get(m, "model")), "models/gemini-2.5-flash");
    cr_expect_str_eq(json_string_value(json_object_get(m, "displayName")), "two");
    cr_expect_null(json_object_get(m, "inputConfig"), "an inline create echoes no inputConfig");
    const json_t *bs = json_object_get(m, "batchStats");
    cr_expect_str_eq(json_string_value(json_object_get(bs, "requestCount")), "2");
    cr_expect_str_eq(json_string_value(json_object_get(bs, "pendingRequestCount")), "2");
    cr_expect_null(json_object_get(bs, "successfulRequestCount"), "zeros left out");
    cr_expect_eq(strlen(json_string_value(json_object_get(m, "createTime"))), 30,
                 "nine fractional digits");
    cr_expect_eq(strlen(name), 8 + 36);
    json_decref(op);

    op = wait_done(&fx, name);
    m = json_object_get(op, "metadata");
    cr_expect_str_eq(state(op), "BATCH_STATE_SUCCEEDED");
    cr_expect_not_null(json_object_get(m, "endTime"));
    bs = json_object_get(m, "batchStats");
    cr_expect_str_eq(json_string_value(json_object_get(bs, "successfulRequestCount")), "2");
    cr_expect_null(json_object_get(bs, "pendingRequestCount"));
    const json_t *items = json_object_get(json_object_get(json_object_get(m, "output"),
                                                          "inlinedResponses"),
                                          "inlinedResponses");
    cr_assert_eq(json_array_size(items), 2);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(json_array_get(items, 1), "metadata"), "key")),
                     "y");
    const json_t *resp = json_object_get(op, "response");
    cr_expect_str_eq(json_string_value(json_object_get(resp, "@type")),
                     "type.googleapis.com/google.ai.generativelanguage.v1main."
                     "GenerateContentBatchOutput");
    cr_expect(json_equal(json_object_get(resp, "inlinedResponses"),
                         json_object_get(json_object_get(m, "output"), "inlinedResponses")),
              "response repeats metadata.output");
    json_decref(op);
    teardown(&fx);
}

Test(emu_batches, snake_case_bare_batch_and_priority)
{
    struct fixture fx;
    setup(&fx, 0, 0, 0);
    char name[64];
    json_t *op = create(&fx,
                        "{\"display_name\":\"snake\",\"priority\":\"-5\",\"input_config\":{"
                        "\"requests\":{\"requests\":[{\"request\":" REQ("a") "}]}}}",
                        name);
    const json_t *m = json_object_get(op, "metadata");
    cr_expect_str_eq(json_string_value(json_object_get(m, "displayName")), "snake");
    cr_expect_str_eq(json_string_value(json_object_get(m, "priority")), "-5");
    json_decref(op);
    json_decref(wait_done(&fx, name));
    teardown(&fx);
}

Test(emu_batches, state_follows_the_batch_time)
{
    struct fixture fx;
    setup(&fx, 400, 0, 0);
    char name[64];
    int http;
    json_decref(create(&fx, INLINE2, name));
    json_t *op = get(&fx, name, &http);
    cr_expect_str_eq(state(op), "BATCH_STATE_PENDING");
    json_decref(op);
    usleep(250 * 1000);
    op = get(&fx, name, &http);
    cr_expect_str_eq(state(op), "BATCH_STATE_RUNNING");
    json_decref(op);
    op = wait_done(&fx, name);
    cr_expect_str_eq(state(op), "BATCH_STATE_SUCCEEDED");
    json_decref(op);
    teardown(&fx);
}

Test(emu_batches, list_pages_end_without_a_token)
{
    struct fixture fx;
    setup(&fx, 0, 0, 0);
    char names[5][64];
    for (int i = 0; i < 5; i++) {
        json_decref(create(&fx, INLINE2, names[i]));
        json_decref(wait_done(&fx, names[i])); /* at most 3 active */
    }
    char tok[64] = "";
    int pages = 0, seen = 0;
    for (;;) {
        char *json;
        size_t len;
        struct emu_err e;
        cr_assert_eq(emu_batch_list(fx.b, 2, tok, &json, &len, &e), 0, "%s", e.msg);
        json_t *pg = json_loads(json, 0, NULL);
        free(json);
        const json_t *ops = json_object_get(pg, "operations");
        cr_expect_leq(json_array_size(ops), 2);
        size_t i;
        const json_t *o;
        json_array_foreach(ops, i, o) {
            /* newest first */
            cr_expect_str_eq(json_string_value(json_object_get(o, "name")), names[4 - seen]);
            cr_expect_null(json_object_get(json_object_get(o, "metadata"), "output"),
                           "list leaves inline results out");
            seen++;
        }
        pages++;
        const json_t *next = json_object_get(pg, "nextPageToken");
        if (!next) {
            json_decref(pg);
            break;
        }
        cr_assert(json_string_length(next) > 0, "never an empty token");
        snprintf(tok, sizeof tok, "%s", json_string_value(next));
        json_decref(pg);
        cr_assert_lt(pages, 10);
    }
    cr_expect_eq(seen, 5);
    cr_expect_eq(pages, 3);
    char *json;
    size_t len;
    struct emu_err e;
    cr_expect_eq(emu_batch_list(fx.b, 2, "zz", &json, &len, &e), -1);
    cr_expect_eq(e.http, 400);
    teardown(&fx);
}

Test(emu_batches, cancel_delete_expire_and_the_active_limit)
{
    struct fixture fx;
    setup(&fx, 60000, 0, 0);
    char a[64], b[64], c[64];
    struct emu_batch_info info;
    struct emu_err e;
    int http;
    json_decref(create(&fx, INLINE2, a));
    json_decref(create(&fx, INLINE2, b));
    json_decref(create(&fx, INLINE2, c));
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash", INLINE2, &e), 429, "3 active at most");
    cr_expect_str_eq(e.status, "RESOURCE_EXHAUSTED");
    cr_assert_eq(emu_batch_cancel(fx.b, a + 8, &info, &e), 0);
    cr_expect_str_eq(info.state, "BATCH_STATE_CANCELLED");
    json_t *op = get(&fx, a, &http);
    cr_expect_str_eq(state(op), "BATCH_STATE_CANCELLED");
    cr_expect(json_is_true(json_object_get(op, "done")));
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(op, "error"), "code")), 1);
    cr_expect_null(json_object_get(op, "response"));
    json_decref(op);
    cr_expect_eq(emu_batch_cancel(fx.b, a + 8, &info, &e), 0, "cancel again: nothing changes");
    cr_expect_str_eq(info.state, "BATCH_STATE_CANCELLED");
    cr_assert_eq(emu_batch_delete(fx.b, b + 8, &info, &e), 0);
    cr_expect_null(get(&fx, b, &http));
    cr_expect_eq(http, 404);
    cr_expect_eq(emu_batch_delete(fx.b, b + 8, &info, &e), -1);
    cr_expect_eq(e.http, 404);
    cr_expect_eq(emu_batch_cancel(fx.b, "nope", &info, &e), -1);
    cr_expect_eq(e.http, 404);
    char d[64];
    json_decref(create(&fx, INLINE2, d)); /* room again */
    teardown(&fx);

    setup(&fx, 20, 1, 0);
    json_decref(create(&fx, INLINE2, a));
    op = wait_done(&fx, a);
    cr_expect_str_eq(state(op), "BATCH_STATE_EXPIRED");
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(op, "error"), "code")), 4);
    cr_expect_null(json_object_get(json_object_get(op, "metadata"), "output"));
    json_decref(op);
    teardown(&fx);
}

Test(emu_batches, refusals)
{
    struct fixture fx;
    setup(&fx, 0, 0, 0);
    struct emu_err e;
    cr_expect_eq(create_fails(&fx, "gemini-9", INLINE2, &e), 404);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash", "{", &e), 400);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash", "{\"batch\":{}}", &e), 400);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"inputConfig\":{\"requests\":{\"requests\":[]}}}}", &e),
                 400);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"inputConfig\":{\"fileName\":\"files/x\",\"requests\":"
                              "{\"requests\":[{\"request\":{}}]}}}}",
                              &e),
                 400);
    cr_expect_not_null(strstr(e.msg, "exactly one"), "%s", e.msg);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"colour\":1,\"inputConfig\":{\"fileName\":\"files/x\"}}}",
                              &e),
                 400);
    cr_expect_not_null(strstr(e.msg, "Unknown name \"colour\" at 'batch'"), "%s", e.msg);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"inputConfig\":{\"fileName\":\"files/missing\"}}}", &e),
                 404);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"priority\":\"high\",\"inputConfig\":{\"requests\":{"
                              "\"requests\":[{\"request\":{}}]}}}}",
                              &e),
                 400);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash",
                              "{\"batch\":{\"inputConfig\":{\"requests\":{\"requests\":["
                              "{\"request\":{},\"extra\":1}]}}}}",
                              &e),
                 400);
    teardown(&fx);
}

/* ---- file input: a JSONL upload kept in the spool ---------------------------------------------- */

static char *upload(struct fixture *fx, const char *mime, const char *data)
{
    char len[32], name[64], n2[64];
    snprintf(len, sizeof len, "%zu", strlen(data));
    struct emu_upload_hdrs h = {"resumable", "start", len, mime, NULL, NULL};
    struct emu_err e;
    char *url = NULL;
    cr_assert_eq(emu_files_start(fx->files, "v1beta", "http://127.0.0.1:8080", &h, NULL, 0, &url,
                                 name, &e),
                 0, "%s", e.msg);
    const char *id = strstr(url, "upload_id=") + 10;
    char uid[64];
    snprintf(uid, sizeof uid, "%.*s", (int)strcspn(id, "&"), id);
    free(url);
    struct emu_upload *u;
    struct emu_upload_hdrs ch = {0};
    ch.offset = "0";
    int cmd = EMU_UP_UPLOAD | EMU_UP_FINALIZE;
    cr_assert_eq(emu_upload_begin(fx->files, uid, cmd, &ch, (int64_t)strlen(data), &u, n2, &e), 0);
    /* in two pieces, split inside a line */
    size_t half = strlen(data) / 2;
    cr_assert_eq(emu_upload_data(fx->files, u, data, half), 0);
    cr_assert_eq(emu_upload_data(fx->files, u, data + half, strlen(data) - half), 0);
    struct emu_upload_reply r;
    cr_assert_eq(emu_upload_end(fx->files, u, cmd, &r, &e), 0, "%s", e.msg);
    free(r.body);
    return strdup(name);
}

Test(emu_batches, file_batch_results_as_a_generated_file)
{
    struct fixture fx;
    setup(&fx, 0, 0, 0);
    const char *data = "{\"key\":\"a\",\"request\":" REQ("one") "}\n\n"
                       "{\"key\":\"b\",\"request\":" REQ("two") "}\n";
    char *in = upload(&fx, "jsonl", data);
    int fd;
    uint64_t bytes, lines;
    struct emu_err e;
    cr_assert_eq(emu_files_content(fx.files, in, &fd, &bytes, &lines, &e), 0, "%s", e.msg);
    cr_expect_eq(lines, 2, "non-blank lines counted on the way in");
    char *kept = read_all_fd(fd);
    cr_expect_str_eq(kept, data, "the bytes kept whole");
    free(kept);
    close(fd);
    char body[256], name[64];
    snprintf(body, sizeof body, "{\"batch\":{\"input_config\":{\"file_name\":\"%s\"}}}", in);
    json_t *op = create(&fx, body, name);
    const json_t *m = json_object_get(op, "metadata");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(m, "inputConfig"),
                                                       "fileName")),
                     in);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(m, "batchStats"),
                                                       "requestCount")),
                     "2");
    json_decref(op);
    op = wait_done(&fx, name);
    char rf[80];
    snprintf(rf, sizeof rf, "files/batch-%s", name + 8);
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(op, "metadata"), "output"),
                         "responsesFile")),
                     rf);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(op, "response"),
                                                       "responsesFile")),
                     rf);
    json_decref(op);
    char mime[64];
    cr_assert_eq(emu_files_download(fx.files, rf + 6, &fd, &bytes, mime, sizeof mime, &e), 0,
                 "%s", e.msg);
    char *out = read_all_fd(fd);
    close(fd);
    cr_expect_eq(bytes, strlen(out));
    json_t *a = lines_of(out);
    cr_assert_eq(json_array_size(a), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(a, 1), "key")), "b");
    json_decref(a);
    free(out);
    char *fj;
    size_t fl;
    cr_assert_eq(emu_files_get(fx.files, rf + 6, &fj, &fl), 0);
    cr_expect_not_null(strstr(fj, "\"source\":\"GENERATED\""), "%s", fj);
    free(fj);
    /* an uploaded file is not downloadable; a non-JSONL upload feeds no batch */
    cr_expect_eq(emu_files_download(fx.files, in + 6, &fd, &bytes, mime, sizeof mime, &e), -1);
    char *pdf = upload(&fx, "application/pdf", "%PDF-1.4\n");
    snprintf(body, sizeof body, "{\"batch\":{\"inputConfig\":{\"fileName\":\"%s\"}}}", pdf);
    cr_expect_eq(create_fails(&fx, "gemini-2.5-flash", body, &e), 400);
    cr_expect_not_null(strstr(e.msg, "jsonl"), "%s", e.msg);
    free(pdf);
    free(in);
    teardown(&fx);
}
