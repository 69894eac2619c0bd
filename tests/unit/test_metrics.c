/* test_metrics.c: the --metrics file: each family once with HELP and TYPE,
 * the samples' values, label escaping, the latency histogram as cumulative
 * buckets, running versus ended, the last success carried over, the atomic
 * write; and the file read by a real parser (tests/tools/check_metrics.py,
 * python3-prometheus-client). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fsx.h"
#include "metrics.h"

static char dir[64];

static void setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/gb-metrics-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown_dir(void)
{
    fsx_rm_tree(dir);
}

TestSuite(metrics, .init = setup_dir, .fini = teardown_dir);

static long long http[600];
static struct hist lat;
static struct metrics_model models[2];

static struct metrics sample_run(void)
{
    memset(http, 0, sizeof http);
    http[200] = 40;
    http[429] = 3;
    http[503] = 2;
    hist_init(&lat);
    for (int i = 0; i < 3; i++)
        hist_add(&lat, 50000); /* 50 ms */
    hist_add(&lat, 300000);
    hist_add(&lat, 300000);
    hist_add(&lat, 7000000);
    hist_add(&lat, 4000000000ull); /* over an hour: only +Inf */
    models[0] = (struct metrics_model){"gemini-2.5-flash", "standard", 1000, 200, 50, 0.0125};
    models[1] = (struct metrics_model){"my \"odd\"\\model\nx", "flex", 10, 2, 0, NAN};
    struct metrics m = {0};
    m.pipeline = "classify-images";
    m.run_id = "abc123";
    m.start_time = 1764000000;
    m.exit_status = -1;
    m.jobs[MJ_COMPLETED] = 30;
    m.jobs[MJ_CACHED] = 7;
    m.jobs[MJ_FAILED] = 2;
    m.jobs[MJ_RUNNING] = 4;
    m.http = http;
    m.no_answer = 1;
    m.retries = 6;
    m.reasks = 1;
    m.shed = 5;
    m.models = models;
    m.nmodels = 2;
    m.cache_hits = 7;
    m.cache_misses = 36;
    m.cache_saved_usd = 0.004;
    m.latency = &lat;
    m.last_success = NAN;
    return m;
}

static char *format(const struct metrics *m)
{
    size_t n = 0;
    char *t = metrics_format(m, &n);
    cr_assert_not_null(t);
    cr_assert_eq(strlen(t), n);
    return t;
}

static void has_line(const char *text, const char *line)
{
    size_t n = strlen(line) + 3;
    char *want = malloc(n);
    cr_assert_not_null(want);
    snprintf(want, n, "\n%s\n", line);
    cr_assert_not_null(strstr(text, want), "missing line: %s\n---\n%s", line, text);
    free(want);
}

static int count(const char *text, const char *needle)
{
    int n = 0;
    for (const char *p = text; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(metrics, figures_are_written_as_samples)
{
    struct metrics m = sample_run();
    char *t = format(&m);
    has_line(t, "gembatch_jobs{state=\"completed\"} 30");
    has_line(t, "gembatch_jobs{state=\"cached\"} 7");
    has_line(t, "gembatch_jobs{state=\"failed\"} 2");
    has_line(t, "gembatch_jobs{state=\"queued\"} 0");
    has_line(t, "gembatch_requests_total{code=\"200\"} 40");
    has_line(t, "gembatch_requests_total{code=\"429\"} 3");
    has_line(t, "gembatch_requests_total{code=\"none\"} 1");
    cr_assert_null(strstr(t, "code=\"404\""), "statuses never seen are left out");
    has_line(t, "gembatch_retries_total 6");
    has_line(t, "gembatch_reasks_total 1");
    has_line(t, "gembatch_shed_requests_total 5");
    has_line(t, "gembatch_tokens_total{model=\"gemini-2.5-flash\",tier=\"standard\",kind=\"input\"} "
                "1000");
    has_line(t, "gembatch_tokens_total{model=\"gemini-2.5-flash\",tier=\"standard\",kind="
                "\"thought\"} 50");
    has_line(t, "gembatch_cost_usd_total{model=\"gemini-2.5-flash\",tier=\"standard\"} "
                "0.012500000000000001");
    cr_assert_null(strstr(t, "gembatch_cost_usd_total{model=\"my"),
                   "an unknown cost is left out, never written as 0");
    has_line(t, "gembatch_cache_hits_total 7");
    has_line(t, "gembatch_cache_saved_usd_total 0.0040000000000000001");
    has_line(t, "gembatch_run_running 1");
    has_line(t, "gembatch_exit_status -1");
    has_line(t, "gembatch_last_success_timestamp_seconds 0");
    has_line(t, "gembatch_run_start_timestamp_seconds 1764000000");
    has_line(t, "gembatch_run_info{pipeline=\"classify-images\",run_id=\"abc123\",version=\""
                GEMBATCH_VERSION "\"} 1");
    free(t);
}

Test(metrics, label_values_are_escaped)
{
    struct metrics m = sample_run();
    char *t = format(&m);
    has_line(t, "gembatch_tokens_total{model=\"my \\\"odd\\\"\\\\model\\nx\",tier=\"flex\",kind="
                "\"input\"} 10");
    char out[16];
    metrics_escape("a\"b\\c\nd-long-tail", out, sizeof out);
    cr_assert_str_eq(out, "a\\\"b\\\\c\\nd-long", "15 bytes and the NUL");
    free(t);
}

Test(metrics, every_family_has_help_and_type_once)
{
    struct metrics m = sample_run();
    char *t = format(&m);
    const char *fams[] = {"gembatch_run_info", "gembatch_jobs", "gembatch_requests_total",
                          "gembatch_retries_total", "gembatch_tokens_total",
                          "gembatch_cost_usd_total", "gembatch_request_latency_seconds",
                          "gembatch_last_success_timestamp_seconds", "gembatch_exit_status"};
    for (size_t i = 0; i < sizeof fams / sizeof fams[0]; i++) {
        char h[128], ty[128];
        snprintf(h, sizeof h, "# HELP %s ", fams[i]);
        snprintf(ty, sizeof ty, "# TYPE %s ", fams[i]);
        cr_assert_eq(count(t, h), 1, "%s", h);
        cr_assert_eq(count(t, ty), 1, "%s", ty);
    }
    has_line(t, "# TYPE gembatch_requests_total counter");
    has_line(t, "# TYPE gembatch_jobs gauge");
    has_line(t, "# TYPE gembatch_request_latency_seconds histogram");
    free(t);
}

Test(metrics, latency_is_a_cumulative_histogram)
{
    struct metrics m = sample_run();
    char *t = format(&m);
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"0.1\"} 3");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"0.25\"} 3");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"0.5\"} 5");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"5\"} 5");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"10\"} 6");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"1800\"} 6");
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"+Inf\"} 7");
    has_line(t, "gembatch_request_latency_seconds_count 7");
    /* the sum is exact: 3*0.05 + 2*0.3 + 7 + 4000 */
    char *s = strstr(t, "gembatch_request_latency_seconds_sum ");
    cr_assert_not_null(s);
    cr_assert_float_eq(strtod(s + strlen("gembatch_request_latency_seconds_sum "), NULL),
                       4007.75, 1e-9);
    free(t);
    m.latency = NULL;
    t = format(&m);
    has_line(t, "gembatch_request_latency_seconds_bucket{le=\"+Inf\"} 0");
    has_line(t, "gembatch_request_latency_seconds_count 0");
    free(t);
}

Test(metrics, an_ended_run_and_the_last_success_across_runs)
{
    char *path = fsx_join(dir, "gembatch.prom");
    struct metrics m = sample_run();
    m.end_time = 1764000600;
    m.exit_status = 0;
    m.last_success = m.end_time;
    struct gb_err err = {0};
    cr_assert_eq(metrics_write(path, &m, &err), 0, "%s", err.msg);
    cr_assert_float_eq(metrics_last_success(path), 1764000600, 1e-6);
    /* the next night fails: the last good night is kept */
    struct metrics n = sample_run();
    n.start_time = 1764086400;
    n.end_time = 1764087000;
    n.exit_status = 1;
    n.last_success = metrics_last_success(path);
    cr_assert_eq(metrics_write(path, &n, &err), 0);
    FILE *f = fopen(path, "r");
    char text[16384];
    size_t len = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[len] = '\0';
    has_line(text, "gembatch_exit_status 1");
    has_line(text, "gembatch_run_running 0");
    has_line(text, "gembatch_last_success_timestamp_seconds 1764000600");
    cr_assert(isnan(metrics_last_success("/nonexistent/x.prom")));
    /* the rename left nothing else in the folder */
    DIR *d = opendir(dir);
    struct dirent *e;
    int files = 0;
    while ((e = readdir(d)))
        files += e->d_name[0] != '.';
    closedir(d);
    cr_assert_eq(files, 1);
    free(path);
}

Test(metrics, a_real_parser_reads_the_file)
{
    char *path = fsx_join(dir, "gembatch.prom");
    struct metrics m = sample_run();
    struct gb_err err = {0};
    cr_assert_eq(metrics_write(path, &m, &err), 0);
    char cmd[1024];
    snprintf(cmd, sizeof cmd,
             "for p in python3 /usr/bin/python3; do "
             "$p -c 'import prometheus_client' 2>/dev/null && "
             "exec $p tests/tools/check_metrics.py '%s' >'%s.parsed'; done; exit 3",
             path, path);
    int rc = system(cmd);
    cr_assert(WIFEXITED(rc) && WEXITSTATUS(rc) == 0,
              "check_metrics.py failed (status %d; 3: python3-prometheus-client missing, "
              "scripts/install-deps installs it)",
              WEXITSTATUS(rc));
    char parsed[160];
    snprintf(parsed, sizeof parsed, "%s.parsed", path);
    FILE *f = fopen(parsed, "r");
    cr_assert_not_null(f);
    char line[1024];
    int found = 0;
    while (fgets(line, sizeof line, f))
        found += strstr(line, "\"model\": \"my \\\"odd\\\"\\\\model\\nx\"") != NULL &&
                 strstr(line, "\"kind\": \"input\"") != NULL;
    fclose(f);
    cr_assert_eq(found, 1, "the parser reads the escaped model name back whole");
    free(path);
}
