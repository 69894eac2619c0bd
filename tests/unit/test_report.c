/* test_report.c: the report's escaping (HTML, JSON in <script>, relative
 * links), relative prefixes, finish times, the per-field distributions
 * (space-saving past the cap, exact recount, bins), number formatting, and
 * whole pages built from small output folders (hostile content, sampling,
 * unreadable lines, links from a page elsewhere). */
#include <criterion/criterion.h>
#include <criterion/redirect.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fsx.h"
#include "report.h"
#include "report_int.h"

static char *esc_html(const char *s, size_t max)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    html_esc(&b, s, strlen(s), max);
    size_t n;
    char *d = buf_detach(&b, &n);
    return d ? d : strdup("");
}

static char *esc_json(const char *s, size_t n, size_t max)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    json_esc(&b, s, n, max);
    size_t len;
    return buf_detach(&b, &len);
}

Test(report, html_escapes_markup_controls_and_bad_utf8)
{
    char *s = esc_html("<img src=x onerror=\"a('b')\">&", 0);
    cr_expect_str_eq(s, "&lt;img src=x onerror=&quot;a(&#39;b&#39;)&quot;&gt;&amp;");
    free(s);
    s = esc_html("a\x01" "b\xff" "c\xc3\xa9\n", 0); /* control, invalid byte, é kept */
    cr_expect_str_eq(s, "a\xef\xbf\xbd" "b\xef\xbf\xbd" "c\xc3\xa9\n");
    free(s);
    s = esc_html("\xed\xa0\x80", 0); /* a UTF-16 surrogate is not UTF-8 */
    cr_expect_str_eq(s, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd");
    free(s);
    s = esc_html("ab\xc3\xa9" "cd", 3); /* never cuts a character */
    cr_expect_str_eq(s, "ab\xe2\x80\xa6");
    free(s);
}

Test(report, json_in_script_cannot_close_the_block)
{
    const char in[] = "</script><!--\"\\\n\xe2\x80\xa8&";
    char *s = esc_json(in, sizeof in - 1, 0);
    cr_expect_str_eq(s, "\"\\u003c/script\\u003e\\u003c!--\\\"\\\\\\u000a\\u2028\\u0026\"");
    cr_expect_null(strchr(s, '<'));
    free(s);
    s = esc_json("a\0b", 3, 0); /* a NUL inside a JSON string */
    cr_expect_str_eq(s, "\"a\\u0000b\"");
    free(s);
    s = esc_json("x\xc0y", 3, 0);
    cr_expect_str_eq(s, "\"x\\ufffdy\"");
    free(s);
}

Test(report, links_only_to_plain_relative_paths)
{
    char *u = url_rel("", "images/a b/0.png");
    cr_expect_str_eq(u, "images/a%20b/0.png");
    free(u);
    u = url_rel("../out/", "images/x\"y/0.png");
    cr_expect_str_eq(u, "../out/images/x%22y/0.png");
    free(u);
    static const char *const bad[] = {"javascript:alert(1)", "/etc/passwd", "../x.png",
                                      "images/../../x", "a\\b", "data:image/png;base64,x",
                                      "", "im\nages"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        cr_expect_null(url_rel("", bad[i]), "accepted '%s'", bad[i]);
}

Test(report, relative_prefix_between_folders)
{
    static const char *const c[][3] = {
        {"/a/b", "/a/b", ""},        {"/a/b", "/a/b/out", "out/"}, {"/a/x", "/a/b/out", "../b/out/"},
        {"/", "/tmp/o", "tmp/o/"},   {"/tmp/o", "/", "../../"},    {"/a/bc", "/a/b", "../b/"},
    };
    for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
        char *p = rpt_rel_prefix(c[i][0], c[i][1]);
        cr_expect_str_eq(p, c[i][2], "from %s to %s", c[i][0], c[i][1]);
        free(p);
    }
}

Test(report, finish_times)
{
    json_t *v = json_string("2026-11-25T13:17:56.250Z");
    cr_expect_float_eq(rpt_time_of(v), 1795612676.25, 1e-6);
    json_decref(v);
    v = json_string("2026-11-25T14:17:56+01:00");
    cr_expect_float_eq(rpt_time_of(v), 1795612676.0, 1e-6);
    json_decref(v);
    v = json_real(1795612676.5);
    cr_expect_float_eq(rpt_time_of(v), 1795612676.5, 1e-6);
    json_decref(v);
    v = json_string("yesterday");
    cr_expect_lt(rpt_time_of(v), 0);
    json_decref(v);
    cr_expect_lt(rpt_time_of(NULL), 0);
}

static struct rpt_field *field(struct rpt_fields *fs, const char *path)
{
    for (size_t i = 0; i < fs->n; i++)
        if (!strcmp(fs->f[i].path, path))
            return &fs->f[i];
    return NULL;
}

/* Both passes over the same outputs, as report.c does. */
static void two_passes(struct rpt_fields *fs, json_t **outs, size_t n)
{
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rf_add(fs, outs[i]), 0);
    rf_start_pass2(fs);
    for (size_t i = 0; i < n; i++)
        cr_assert_eq(rf_add(fs, outs[i]), 0);
}

Test(report, fields_paths_kinds_and_exact_counts)
{
    json_t *outs[3] = {
        json_pack("{s:s,s:b,s:i,s:{s:s},s:[ss]}", "label", "cat", "ok", 1, "n", 3, "a", "b", "x",
                  "tags", "p", "q"),
        json_pack("{s:s,s:b,s:i,s:{s:s},s:[s]}", "label", "dog", "ok", 0, "n", 5, "a", "b", "y",
                  "tags", "p"),
        json_pack("{s:s,s:n,s:i}", "label", "cat", "ok", "n", 4),
    };
    struct rpt_fields fs;
    rf_init(&fs);
    two_passes(&fs, outs, 3);
    struct rpt_field *f = field(&fs, "label");
    cr_assert_not_null(f);
    cr_expect_eq(rf_kind(f), RPT_K_STR);
    uint64_t other = 9;
    size_t k = rf_top(f, 10, &other);
    cr_expect_eq(k, 2);
    cr_expect_str_eq(f->vals[0].label, "cat");
    cr_expect_eq(f->vals[0].n, 2); /* not counted again in pass 2 */
    cr_expect_eq(other, 0);
    f = field(&fs, "ok");
    cr_expect_eq(rf_kind(f), RPT_K_BOOL);
    cr_expect_eq(f->n_true, 1);
    cr_expect_eq(f->n_false, 1);
    cr_expect_eq(f->n_null, 1);
    f = field(&fs, "n");
    cr_expect_eq(rf_kind(f), RPT_K_NUM);
    cr_expect_eq(f->nbins, 3); /* whole numbers of a small range: one bin each */
    cr_expect_eq(f->bins[0] + f->bins[1] + f->bins[2], 3);
    cr_expect_not_null(field(&fs, "a.b"));
    f = field(&fs, "tags[]");
    cr_assert_not_null(f);
    cr_expect_eq(f->n_str, 3);
    cr_expect_eq(fs.answers, 3);
    rf_free(&fs);
    for (int i = 0; i < 3; i++)
        json_decref(outs[i]);
}

/* A score with five values gets a bar each (in order, counted exactly); a
 * number with more distinct values than RPT_ENUM_MAX gets a histogram. */
Test(report, fields_few_distinct_numbers_are_pinned_many_are_binned)
{
    enum { N = 100 };
    static const double score[] = {0.75, 0, 1, 0.25, 0.5};
    json_t *outs[N];
    for (int i = 0; i < N; i++)
        outs[i] = json_pack("{s:f,s:f}", "confidence", score[i % 5], "price", 0.1 * i);
    struct rpt_fields fs;
    rf_init(&fs);
    two_passes(&fs, outs, N);
    struct rpt_field *f = field(&fs, "confidence");
    cr_assert_not_null(f);
    cr_expect(f->pinned);
    cr_assert_eq(f->nbins, 5, "one bar per value, not a 20-bin histogram");
    for (int i = 0; i < 5; i++) {
        cr_expect_eq(f->few[i], 0.25 * i, "sorted: %g at %d", f->few[i], i);
        cr_expect_eq(f->bins[i], N / 5);
    }
    f = field(&fs, "price");
    cr_assert_not_null(f);
    cr_expect(!f->pinned, "%d distinct prices: binned", N);
    cr_expect_gt(f->nbins, 5);
    uint64_t total = 0;
    for (int i = 0; i < f->nbins; i++)
        total += f->bins[i];
    cr_expect_eq(total, N);
    rf_free(&fs);
    for (int i = 0; i < N; i++)
        json_decref(outs[i]);
}

/* 20,000 distinct values with three frequent ones arriving late: the
 * space-saving pass keeps them and the second pass counts them exactly. */
Test(report, fields_past_the_cap_keep_frequent_values_exactly)
{
    enum { N = 20000 };
    json_t **outs = calloc(N, sizeof *outs);
    for (int i = 0; i < N; i++) {
        char v[32];
        if (i >= N / 2 && i % 10 == 0)
            snprintf(v, sizeof v, "hot-%d", (i / 10) % 3);
        else
            snprintf(v, sizeof v, "cold-%d", i);
        outs[i] = json_pack("{s:s,s:f}", "v", v, "x", (double)i / 10.0);
    }
    struct rpt_fields fs;
    rf_init(&fs);
    two_passes(&fs, outs, N);
    struct rpt_field *f = field(&fs, "v");
    cr_expect(f->overflow);
    cr_expect_eq(f->nvals, RPT_TOP_K);
    uint64_t other = 0;
    size_t k = rf_top(f, 3, &other);
    cr_assert_eq(k, 3);
    uint64_t want = (N / 2) / 10 / 3; /* 333 or 334 each */
    for (size_t i = 0; i < 3; i++) {
        cr_expect(!strncmp(f->vals[i].label, "hot-", 4), "top value %s", f->vals[i].label);
        cr_expect(f->vals[i].n == want || f->vals[i].n == want + 1, "count %llu",
                  (unsigned long long)f->vals[i].n);
    }
    cr_expect_eq(other, N - f->vals[0].n - f->vals[1].n - f->vals[2].n);
    f = field(&fs, "x");
    uint64_t sum = 0;
    for (int i = 0; i < f->nbins; i++)
        sum += f->bins[i];
    cr_expect_eq(sum, N);
    cr_expect_leq(f->nbins, RPT_NUM_BINS + 1);
    cr_expect_float_eq(f->w, 100.0, 1e-9); /* 0..1999.9 in round steps */
    rf_free(&fs);
    for (int i = 0; i < N; i++)
        json_decref(outs[i]);
    free(outs);
}

Test(report, fields_cap_the_number_of_paths)
{
    json_t *o = json_object();
    for (int i = 0; i < RPT_MAX_FIELDS + 8; i++) {
        char k[16];
        snprintf(k, sizeof k, "f%02d", i);
        json_object_set_new(o, k, json_integer(i));
    }
    struct rpt_fields fs;
    rf_init(&fs);
    cr_expect_eq(rf_add(&fs, o), 0);
    cr_expect_eq(fs.n, RPT_MAX_FIELDS);
    cr_expect_eq(fs.dropped, 8);
    rf_free(&fs);
    json_decref(o);
}

Test(report, number_formats)
{
    char s[64];
    fmt_count(1234567, s, sizeof s);
    cr_expect_str_eq(s, "1,234,567");
    fmt_count(-1000, s, sizeof s);
    cr_expect_str_eq(s, "-1,000");
    fmt_count(999, s, sizeof s);
    cr_expect_str_eq(s, "999");
    fmt_num(0.75, s, sizeof s);
    cr_expect_str_eq(s, "0.75");
    fmt_ms(412, s, sizeof s);
    cr_expect_str_eq(s, "412 ms");
    fmt_ms(1500, s, sizeof s);
    cr_expect_str_eq(s, "1.50 s");
    fmt_secs(3725, s, sizeof s);
    cr_expect_str_eq(s, "1 h 02 min");
    fmt_usd(1234.5, s, sizeof s);
    cr_expect_str_eq(s, "$1,234.50");
    fmt_usd(0.00123, s, sizeof s);
    cr_expect_str_eq(s, "$0.0012");
}

/* ---- whole pages ------------------------------------------------------------------ */

static char *tmpdir(void)
{
    char t[] = "/tmp/gb-report-unit-XXXXXX";
    cr_assert_not_null(mkdtemp(t));
    return strdup(t);
}

static void put(const char *dir, const char *name, const char *text)
{
    char *p = fsx_join(dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    free(p);
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "%s", path);
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    char chunk[8192];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
        buf_append(&b, chunk, n);
    fclose(f);
    size_t len;
    return buf_detach(&b, &len);
}

/* The page of the output folder d (built into d/report.html), as text;
 * *info (may be NULL) gets the build's figures. */
static char *page_of(const char *d, struct report_info *info)
{
    struct report_opts o = {d, NULL, 0};
    struct report_info local = {0};
    struct gb_err err = {0};
    cr_assert_eq(report_build(&o, info ? info : &local, &err), 0, "%s", err.msg);
    char *p = fsx_join(d, "report.html");
    char *html = slurp(p);
    free(p);
    return html;
}

static int count(const char *hay, const char *needle)
{
    int n = 0;
    for (const char *p = hay; (p = strstr(p, needle)); p++)
        n++;
    return n;
}

Test(report, page_of_hostile_content_has_only_its_own_markup)
{
    char *d = tmpdir();
    put(d, "results.jsonl",
        "{\"id\":\"</script><script>alert(1)</script>\",\"status\":\"completed\","
        "\"output\":{\"label\":\"<img src=x onerror=alert(2)>\"},\"files\":["
        "\"javascript:alert(3)\",\"images/ok/0.png\"],\"latency_ms\":5,\"attempts\":1}\n"
        "{\"id\":\"b\",\"status\":\"completed\",\"text\":\"<!-- \\u2028 </SCRIPT >\","
        "\"latency_ms\":7,\"attempts\":2}\n");
    put(d, "errors.jsonl",
        "{\"id\":\"e\\\"1\",\"status\":\"failed\",\"error\":{\"code\":500,\"status\":"
        "\"<b>INTERNAL</b>\",\"message\":\"<script>x</script>\"},\"attempts\":3,"
        "\"input\":\"m<.jsonl\",\"line\":4}\n");
    struct report_info info = {0};
    char *html = page_of(d, &info);
    cr_expect_eq(info.results, 2);
    cr_expect_eq(info.errors, 1);
    cr_expect_eq(info.rows, 3);
    cr_expect_eq(count(html, "<script"), 2, "only the data block and the page's script");
    cr_expect_eq(count(html, "</script>"), 2);
    cr_expect_eq(count(html, "<SCRIPT"), 0);
    cr_expect_eq(count(html, "<img src=x"), 0);
    cr_expect_eq(count(html, "<b>"), 0);
    cr_expect_eq(count(html, "javascript:"), 0);
    cr_expect_eq(count(html, "<!-- "), 0);
    cr_expect_geq(count(html, "&lt;img src=x onerror=alert(2)&gt;"), 1);
    cr_expect_geq(count(html, "m&lt;.jsonl:4"), 1, "the error's manifest line");
    cr_expect_eq(count(html, "src=\"images/ok/0.png\""), 1);
    cr_expect_eq(count(html, "default-src 'none'"), 1);
    free(html);
    fsx_rm_tree(d);
    free(d);
}

Test(report, page_elsewhere_links_back_and_samples_and_counts_bad_lines, .init = cr_redirect_stderr)
{
    char *d = tmpdir(), *elsewhere = tmpdir();
    char *out = fsx_join(d, "out");
    cr_assert_eq(mkdir(out, 0755), 0);
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    for (int i = 0; i < 1000; i++)
        buf_printf(&b,
                   "{\"id\":\"j%d\",\"status\":\"completed\",\"files\":[\"images/j%d/0.png\"],"
                   "\"latency_ms\":%d,\"attempts\":1}\n",
                   i, i, i % 50);
    buf_puts(&b, "{\"id\":\"torn\",\"sta\n");
    put(out, "results.jsonl", b.data);
    buf_free(&b);
    char *page = fsx_join(elsewhere, "r.html");
    struct report_opts o = {out, page, 100};
    struct report_info info = {0};
    struct gb_err err = {0};
    cr_assert_eq(report_build(&o, &info, &err), 0, "%s", err.msg);
    cr_expect_eq(info.results, 1000);
    cr_expect_eq(info.rows, 100);
    cr_expect_eq(info.bad_lines, 1);
    char *html = slurp(page);
    /* links from the page's folder back into OUTDIR */
    char want[256];
    snprintf(want, sizeof want, "src=\"../%s/out/images/j7/0.png\"", fsx_basename(d));
    cr_expect_eq(count(html, want), 1, "%s", want);
    cr_expect_eq(count(html, "\n[\"j"), 100); /* one row a line */
    cr_expect_geq(count(html, "an even sample of 100 of the 1,000 jobs"), 1);
    cr_expect_geq(count(html, "results.jsonl:1001: not JSON"), 1);
    /* and the warning on stderr names the file and line too */
    fflush(stderr);
    char said[512] = "";
    size_t n = fread(said, 1, sizeof said - 1, cr_get_redirected_stderr());
    said[n] = '\0';
    cr_expect(strstr(said, "out/results.jsonl:1001: not JSON") != NULL, "%s", said);
    cr_expect_eq(count(html, "data-key="), 0, "no run.json: no figure claims to be from it");
    free(html);
    /* no scratch file left in either folder */
    char *spool = fsx_join(elsewhere, ".report-spool-");
    cr_expect_eq(access(spool, F_OK), -1);
    free(spool);
    unlink(page);
    free(page);
    free(out);
    fsx_rm_tree(d);
    fsx_rm_tree(elsewhere);
    free(d);
    free(elsewhere);
}

Test(report, refuses_what_is_not_an_output_folder)
{
    char *d = tmpdir();
    struct gb_err err = {0};
    cr_expect_eq(report_write(d, NULL, &err), GB_ENOENT);
    cr_expect(strstr(err.msg, "holds no results.jsonl") != NULL, "%s", err.msg);
    cr_expect_eq(report_write("/nonexistent/x", NULL, &err), GB_ENOENT);
    fsx_rm_tree(d);
    free(d);
}

/* A total of which nothing was priced is "unknown", never $0.00; one of
 * which part was priced is a floor; the reasons the run gave are shown. */
Test(report, an_unpriced_cost_is_unknown_or_a_floor)
{
    const char *const docs[] = {
        "{\"counts\":{\"completed\":1},\"cost\":{\"total_usd\":0.0,\"priced_requests\":0,"
        "\"unknown_requests\":2,\"complete\":false,\"unpriced\":{\"'m' is not in the price "
        "table\":2}}}\n",
        "{\"counts\":{\"completed\":1},\"cost\":{\"total_usd\":0.5,\"priced_requests\":1,"
        "\"unknown_requests\":1,\"complete\":false,\"unpriced\":{\"'m' is not offered at "
        "flex\":1}}}\n"};
    const char *const shown[] = {"data-value=\"0\">unknown<", "data-value=\"0.5\">at least $0.5000<"};
    const char *const why[] = {"&#39;m&#39; is not in the price table", "&#39;m&#39; is not offered at flex"};
    for (int i = 0; i < 2; i++) {
        char *d = tmpdir();
        put(d, "results.jsonl", "{\"id\":\"a\",\"status\":\"completed\",\"latency_ms\":5}\n");
        put(d, "run.json", docs[i]);
        char *html = page_of(d, NULL);
        cr_expect(strstr(html, shown[i]) != NULL, "the cost figure: %s", shown[i]);
        cr_expect(strstr(html, why[i]) != NULL, "the reason: %s", why[i]);
        cr_expect(strstr(html, ">$0.00<") == NULL, "no $0.00 for an unknown cost");
        free(html);
        fsx_rm_tree(d);
        free(d);
    }
}

/* run.json's ledger gives {"usd", "requests", "unknown"} per tier, model and
 * kind; each becomes a bar and a table row with its dollars (the browser
 * test found the charts empty when only bare numbers were read). */
Test(report, cost_charts_read_the_ledger_objects)
{
    char *d = tmpdir();
    put(d, "results.jsonl", "{\"id\":\"a\",\"status\":\"completed\",\"latency_ms\":5,\"attempts\":1}\n");
    put(d, "run.json",
        "{\"counts\":{\"completed\":1},\"cost\":{\"total_usd\":0.75,\"by_tier\":{\"flex\":"
        "{\"requests\":2,\"unknown\":0,\"usd\":0.25},\"standard\":{\"requests\":1,\"unknown\":0,"
        "\"usd\":0.5}},\"by_model\":{\"m\":{\"requests\":3,\"unknown\":0,\"usd\":0.75}},"
        "\"by_kind\":{\"first\":0.75}}}\n");
    char *html = page_of(d, NULL);
    cr_expect_eq(count(html, "<td data-value=\"0.25\">"), 1, "the flex row");
    cr_expect_eq(count(html, "<td data-value=\"0.5\">"), 1, "the standard row");
    cr_expect_eq(count(html, "<td data-value=\"0.75\">"), 2, "the model row and the bare-number kind");
    free(html);
    fsx_rm_tree(d);
    free(d);
}
