/* test_merge.c: ids of results lines and manifest lines, count sums, the
 * merged run.json (exact histogram merge, earliest start, latest end, worst
 * status, lines counted once for a --shard split), and the id index with the
 * --manifest check (merge_index.c). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "hist.h"
#include "merge.h"
#include "merge_index.h"

static char *line_id(const char *line)
{
    char *id = NULL;
    return merge_line_id(line, strlen(line), &id) ? NULL : id;
}

Test(merge, line_id_fast_path_escapes_and_fallback)
{
    char *id = line_id("{\"id\":\"a-1\",\"status\":\"completed\"}");
    cr_expect_str_eq(id, "a-1");
    free(id);
    id = line_id("{\"id\":\"q\\\"uo\\u00e9/\",\"x\":1}"); /* escapes: decoded */
    cr_expect_str_eq(id, "q\"uo\xc3\xa9/");
    free(id);
    id = line_id("{\"status\":\"failed\",\"id\":\"late\"}"); /* not first: parsed whole */
    cr_expect_str_eq(id, "late");
    free(id);
    cr_expect_null(line_id("{\"status\":\"failed\"}"));
    cr_expect_null(line_id("{\"id\":7}"));
    cr_expect_null(line_id("{\"id\":\"torn"));
    cr_expect_null(line_id("not json"));
}

static void expect_manifest_id(const char *line, long no, const char *want)
{
    char *id = merge_manifest_id(line, strlen(line), no);
    cr_expect_str_eq(id, want, "line %s", line);
    free(id);
}

Test(merge, manifest_ids_follow_the_run)
{
    expect_manifest_id("{\"id\":\"img-1\",\"input\":\"x\"}", 3, "img-1");
    expect_manifest_id("{\"id\":42}", 3, "42");
    expect_manifest_id("{\"input\":\"no id\"}", 7, "line-7");
    expect_manifest_id("{\"id\":\"\"}", 8, "line-8");         /* invalid id: the job's default */
    expect_manifest_id("{\"id\":\"a\",\"id\":\"b\"}", 9, "line-9"); /* duplicate keys: invalid */
    expect_manifest_id("{broken", 10, "line-10");
    expect_manifest_id("[1,2]", 11, "line-11");
}

Test(merge, sum_into_adds_integers_and_objects)
{
    json_t *a = json_pack("{s:i,s:{s:i},s:s}", "jobs", 3, "http", "200", 3, "name", "x");
    json_t *b = json_pack("{s:i,s:{s:i,s:i},s:i,s:f}", "jobs", 4, "http", "200", 2, "429", 1,
                          "new", 5, "r", 1.5);
    merge_sum_into(a, b);
    cr_expect_eq(json_integer_value(json_object_get(a, "jobs")), 7);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(a, "http"), "200")), 5);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(a, "http"), "429")), 1);
    cr_expect_eq(json_integer_value(json_object_get(a, "new")), 5);
    cr_expect_float_eq(json_real_value(json_object_get(a, "r")), 1.5, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(a, "name")), "x");
    json_decref(a);
    json_decref(b);
}

static void row(void *ctx, uint64_t v, uint64_t n)
{
    json_array_append_new(ctx, json_pack("[I,I]", (json_int_t)v, (json_int_t)n));
}

/* a run.json as run.c writes it, from a histogram */
static json_t *fake_run(const struct hist *h, int k, const char *started, const char *ended,
                        const char *status, long long lines, long long jobs)
{
    json_t *rows = json_array();
    hist_each(h, row, rows);
    return json_pack("{s:{s:s,s:s,s:s},s:[s],s:{s:I,s:I,s:{s:i,s:i}},s:s,s:s,s:s,"
                     "s:{s:I,s:I,s:I},s:{s:I,s:I,s:I,s:I},s:{s:f,s:I,s:o}}",
                     "pipeline", "name", "p", "path", "p.json", "digest", "abc", "inputs",
                     "m.jsonl", "options", "rpm", (json_int_t)250, "tpm", (json_int_t)0, "shard",
                     "k", k, "n", 2, "started", started, "ended", ended, "status", status,
                     "counts", "lines", (json_int_t)lines, "jobs", (json_int_t)jobs, "completed",
                     (json_int_t)jobs, "tokens", "input", (json_int_t)10, "output",
                     (json_int_t)20, "thought", (json_int_t)0, "total", (json_int_t)30,
                     "latency_ms", "max", (double)h->max_us / 1000.0, "samples",
                     (json_int_t)h->n, "histogram_us", rows);
}

Test(merge, run_json_totals)
{
    struct hist *a = malloc(sizeof *a), *b = malloc(sizeof *b), *all = malloc(sizeof *all);
    hist_init(a);
    hist_init(b);
    hist_init(all);
    uint64_t x = 12345;
    for (int i = 0; i < 5000; i++) {
        x = x * 6364136223846793005ull + 1442695040888963407ull;
        uint64_t us = 1000 + (x >> 33) % 900000;
        hist_add(i % 3 ? a : b, us);
        hist_add(all, us);
    }
    json_t *runs[2] = {
        fake_run(a, 1, "2026-01-02T00:00:00Z", "2026-01-02T00:10:00Z", "completed", 100, 60),
        fake_run(b, 2, "2026-01-01T23:59:00Z", "2026-01-02T00:05:00Z", "interrupted", 100, 40)};
    json_t *info = json_pack("{s:i}", "results", 100);
    json_t *m = merge_run_json(runs, 2, info);
    json_t *lat = json_object_get(m, "latency_ms");
    /* the same percentiles as one histogram of every sample */
    cr_expect_float_eq(json_real_value(json_object_get(lat, "p50")),
                       (double)hist_quantile(all, 0.50) / 1000.0, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(lat, "p95")),
                       (double)hist_quantile(all, 0.95) / 1000.0, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(lat, "p99")),
                       (double)hist_quantile(all, 0.99) / 1000.0, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(lat, "max")),
                       (double)all->max_us / 1000.0, 1e-9);
    cr_expect_eq(json_integer_value(json_object_get(lat, "samples")), 5000);
    cr_expect_str_eq(json_string_value(json_object_get(m, "started")), "2026-01-01T23:59:00Z");
    cr_expect_str_eq(json_string_value(json_object_get(m, "ended")), "2026-01-02T00:10:00Z");
    cr_expect_float_eq(json_real_value(json_object_get(m, "wall_s")), 660.0, 1e-9);
    cr_expect_str_eq(json_string_value(json_object_get(m, "status")), "interrupted");
    json_t *c = json_object_get(m, "counts");
    cr_expect_eq(json_integer_value(json_object_get(c, "lines")), 100); /* read by both */
    cr_expect_eq(json_integer_value(json_object_get(c, "jobs")), 100);
    cr_expect_eq(json_integer_value(json_object_get(c, "other_shards")), 0);
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(m, "tokens"), "total")), 60);
    json_t *o = json_object_get(m, "options");
    cr_expect_null(json_object_get(o, "shard"));
    cr_expect_eq(json_integer_value(json_object_get(o, "rpm")), 500); /* side by side */
    cr_expect_eq(json_integer_value(json_object_get(json_object_get(o, "split"), "n")), 2);
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(m, "pipeline"), "digest")),
                     "abc");
    cr_expect_eq(json_array_size(json_object_get(m, "inputs")), 1);
    cr_expect(json_object_get(m, "merge") == info);
    json_decref(m);
    json_decref(info);
    json_decref(runs[0]);
    json_decref(runs[1]);
    free(a);
    free(b);
    free(all);
}

/* ttft_ms merges like latency_ms; a shard from before ttft histograms were
 * kept (percentiles only) leaves just the summed sample count */
Test(merge, ttft_histograms_merge_and_old_shards_fall_back_to_samples)
{
    struct hist *a = calloc(1, sizeof *a), *b = calloc(1, sizeof *b), *all = calloc(1, sizeof *all);
    for (uint64_t us = 500; us < 400000; us += 997) {
        hist_add(us % 2 ? a : b, us);
        hist_add(all, us);
    }
    json_t *runs[2] = {
        fake_run(a, 1, "2026-01-02T00:00:00Z", "2026-01-02T00:10:00Z", "completed", 10, 5),
        fake_run(b, 2, "2026-01-02T00:00:00Z", "2026-01-02T00:10:00Z", "completed", 10, 5)};
    json_object_set_new(runs[0], "ttft_ms", hist_to_json(a));
    json_object_set_new(runs[1], "ttft_ms", hist_to_json(b));
    json_t *info = json_object();
    json_t *m = merge_run_json(runs, 2, info);
    json_t *t = json_object_get(m, "ttft_ms");
    cr_assert_not_null(t);
    cr_expect_eq(json_integer_value(json_object_get(t, "samples")), (json_int_t)all->n);
    cr_expect_float_eq(json_real_value(json_object_get(t, "p50")),
                       (double)hist_quantile(all, 0.50) / 1000.0, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(t, "p99")),
                       (double)hist_quantile(all, 0.99) / 1000.0, 1e-9);
    cr_expect_float_eq(json_real_value(json_object_get(t, "max")), (double)all->max_us / 1000.0,
                       1e-9);
    json_decref(m);
    /* the second shard as an older gembatch wrote it */
    json_object_del(json_object_get(runs[1], "ttft_ms"), "histogram_us");
    m = merge_run_json(runs, 2, info);
    t = json_object_get(m, "ttft_ms");
    cr_expect_eq(json_integer_value(json_object_get(t, "samples")), (json_int_t)all->n);
    cr_expect_null(json_object_get(t, "p50"), "percentiles of half the samples are not shown");
    json_decref(m);
    json_decref(info);
    json_decref(runs[0]);
    json_decref(runs[1]);
    free(a);
    free(b);
    free(all);
}

Test(merge, index_keeps_folder_and_file)
{
    struct merge_index x = {0};
    char id[32];
    /* enough ids to make the table grow several times */
    for (int i = 0; i < 5000; i++) {
        snprintf(id, sizeof id, "id-%d", i);
        cr_assert_eq(midx_keep(&x, midx_digest(id), i % 700, i % 3 ? MIDX_RESULTS : MIDX_ERRORS),
                     0);
    }
    for (int i = 0; i < 5000; i++) {
        int folder = -1;
        enum midx_file file = MIDX_ERRORS;
        snprintf(id, sizeof id, "id-%d", i);
        cr_assert_eq(midx_find(&x, midx_digest(id), &folder, &file), 1, "%s", id);
        cr_expect_eq(folder, i % 700, "%s", id);
        cr_expect_eq(file, i % 3 ? MIDX_RESULTS : MIDX_ERRORS, "%s", id);
    }
    int folder = 42;
    enum midx_file file = MIDX_ERRORS;
    cr_expect_eq(midx_find(&x, midx_digest("id-5000"), &folder, &file), 0);
    cr_expect_eq(folder, 42, "a miss leaves the outputs alone");
    midx_free(&x);
}

Test(merge, manifest_check_counts_missing_and_outside)
{
    char dir[] = "/tmp/gb-midx-XXXXXX", path[64];
    cr_assert_not_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/m.jsonl", dir);
    FILE *f = fopen(path, "w");
    cr_assert_not_null(f);
    /* a kept, b failed, c nowhere, line 4 nowhere under its default id, a again */
    fputs("{\"id\":\"a\"}\n{\"id\":\"b\"}\n{\"id\":\"c\"}\n{\"input\":\"x\"}\n{\"id\":\"a\"}\n", f);
    fclose(f);
    struct merge_index x = {0};
    cr_assert_eq(midx_keep(&x, midx_digest("a"), 0, MIDX_RESULTS), 0);
    cr_assert_eq(midx_keep(&x, midx_digest("b"), 1, MIDX_ERRORS), 0);
    cr_assert_eq(midx_keep(&x, midx_digest("z"), 1, MIDX_RESULTS), 0);
    struct midx_check c = {0, json_array(), 0, 0};
    const char *paths[] = {path};
    struct gb_err err = {0};
    cr_assert_eq(midx_precheck_manifests(paths, 1, &err), 0, "%s", err.msg);
    cr_assert_eq(midx_check_manifests(&x, paths, 1, &c, &err), 0, "%s", err.msg);
    cr_expect_eq(c.missing, 2);
    cr_expect_eq(c.outside, 1, "z is in a folder but in no manifest");
    cr_expect_eq(json_array_size(c.list), 2);
    cr_expect_str_eq(json_string_value(json_array_get(c.list, 0)), "c");
    cr_expect_str_eq(json_string_value(json_array_get(c.list, 1)), "line-4");
    const char *folder[] = {dir};
    cr_expect_eq(midx_precheck_manifests(folder, 1, &err), GB_EINVAL, "a folder is refused");
    json_decref(c.list);
    midx_free(&x);
    unlink(path);
    rmdir(dir);
}
