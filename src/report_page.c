/* report_page.c: the page writer's helpers (buffered writes, figures, run.json
 * values) and the report's chart sections: answers (per-field
 * distributions), the contact sheet of images, timing (latency, time to
 * first token, throughput), retries, errors by code and cost. Each chart
 * comes with its numbers as a table under a <details>, its text
 * alternative. */
#include "report_page.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define MAX_BARS 40

/* ---- writing ------------------------------------------------------------------------ */

int page_flush(struct page *p)
{
    if (p->b.len && fwrite(p->b.data, 1, p->b.len, p->f) != p->b.len)
        p->failed = errno ? errno : EIO;
    buf_reset(&p->b);
    return p->failed ? GB_EIO : 0;
}

void page_text(struct page *p, const char *s)
{
    html_esc(&p->b, s, strlen(s), 0);
}

/* ---- values from run.json ------------------------------------------------------------ */

const json_t *run_get(const struct rpt *r, const char *path)
{
    const json_t *v = r->run;
    char key[64];
    while (v && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof key)
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        v = json_is_object(v) ? json_object_get(v, key) : NULL;
        path += n + (path[n] == '.');
    }
    return v;
}

int run_num(const struct rpt *r, const char *path, double *out)
{
    const json_t *v = run_get(r, path);
    if (!json_is_number(v))
        return -1;
    *out = json_number_value(v);
    return 0;
}

/* One figure: the value shown for people, and the exact number in
 * data-value with its run.json path in data-key (tests compare the two). */
void page_fig(struct page *p, const char *label, const char *key, double v, const char *shown,
              const char *sub)
{
    buf_puts(&p->b, "<div class=\"fig\"><dt>");
    page_text(p, label);
    buf_puts(&p->b, "</dt><dd><span class=\"v\"");
    if (key) {
        buf_printf(&p->b, " data-key=\"%s\"", key);
        if (v == floor(v) && fabs(v) < 9e15)
            buf_printf(&p->b, " data-value=\"%.0f\"", v);
        else
            buf_printf(&p->b, " data-value=\"%.17g\"", v);
    }
    buf_putc(&p->b, '>');
    page_text(p, shown);
    buf_puts(&p->b, "</span>");
    if (sub) {
        buf_puts(&p->b, "<span class=\"sub\">");
        buf_puts(&p->b, sub); /* built by the caller from escaped parts */
        buf_puts(&p->b, "</span>");
    }
    buf_puts(&p->b, "</dd></div>");
}

/* The numbers behind a bar chart, as a table for screen readers and for
 * copying. */
static void bars_table(struct page *p, const struct svg_bar *bars, size_t n, const char *head)
{
    buf_puts(&p->b, "<details><summary>Numbers</summary><table class=\"nums\"><thead><tr><th>");
    page_text(p, head);
    buf_puts(&p->b, "</th><th>count</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        char v[48];
        fmt_num(bars[i].value, v, sizeof v);
        buf_puts(&p->b, "<tr><td>");
        page_text(p, bars[i].label);
        buf_printf(&p->b, "</td><td>%s</td></tr>", v);
    }
    buf_puts(&p->b, "</tbody></table></details>");
}

static void bins_table(struct page *p, const struct svg_hist *h)
{
    buf_puts(&p->b, "<details><summary>Numbers</summary><table class=\"nums\"><thead><tr>"
                    "<th>from</th><th>to</th>");
    for (int s = 0; s < 2 && h->series[s]; s++)
        buf_printf(&p->b, "<th>%s</th>", h->series[s]);
    if (!h->series[0])
        buf_printf(&p->b, "<th>%s</th>", h->y_unit);
    buf_puts(&p->b, "</tr></thead><tbody>");
    for (size_t i = 0; i < h->nbins; i++) {
        char lo[48], hi[48], v[48];
        h->fmt_x(h->bins[i].lo, lo, sizeof lo);
        h->fmt_x(h->bins[i].hi, hi, sizeof hi);
        buf_printf(&p->b, "<tr><td>%s</td><td>%s</td>", lo, hi);
        for (int s = 0; s < (h->series[1] ? 2 : 1); s++) {
            fmt_num(h->bins[i].v[s], v, sizeof v);
            buf_printf(&p->b, "<td>%s</td>", v);
        }
        buf_puts(&p->b, "</tr>");
    }
    buf_puts(&p->b, "</tbody></table></details>");
}

static void chart_bars(struct page *p, const char *id, const char *title, const char *desc,
                       const struct svg_bar *bars, size_t n, const char *unit, const char *head)
{
    svg_hbars(&p->b, id, title, desc, bars, n, unit);
    bars_table(p, bars, n, head);
}

/* ---- answers -------------------------------------------------------------------------- */

static void fmt_plain(double x, char *out, size_t n)
{
    fmt_num(x, out, n);
}

static void field_number(struct page *p, struct rpt_field *f, const char *id, const char *title)
{
    char mn[48], mx[48], mean[48], desc[400];
    fmt_num(f->min, mn, sizeof mn);
    fmt_num(f->max, mx, sizeof mx);
    fmt_num(f->sum / (double)f->n_num, mean, sizeof mean);
    snprintf(desc, sizeof desc, "%llu numbers: min %s, mean %s, max %s.",
             (unsigned long long)f->n_num, mn, mean, mx);
    buf_printf(&p->b, "<p class=\"sub\">min %s · mean %s · max %s</p>", mn, mean, mx);
    if (f->pinned) { /* few distinct numbers: a bar each */
        struct svg_bar bars[RPT_ENUM_MAX];
        char labels[RPT_ENUM_MAX][48];
        size_t n = 0;
        for (int i = 0; i < f->nbins && i < RPT_ENUM_MAX; i++) {
            if (!f->bins[i])
                continue;
            fmt_num(f->few[i], labels[n], sizeof labels[n]);
            bars[n] = (struct svg_bar){labels[n], (double)f->bins[i], "b0"};
            n++;
        }
        chart_bars(p, id, title, desc, bars, n, NULL, "value");
        return;
    }
    struct svg_bin bins[RPT_NUM_BINS + 1];
    int nb = f->nbins < 1 ? 1 : f->nbins;
    for (int i = 0; i < nb; i++) {
        double lo = f->w > 0 ? f->lo + i * f->w : f->min - 0.5;
        double hi = f->w > 0 ? lo + f->w : f->min + 0.5;
        bins[i] = (struct svg_bin){lo, hi, {(double)f->bins[i], 0}};
    }
    struct svg_hist h = {id, title, desc, bins, (size_t)nb, 0, NULL, 0, {NULL, NULL},
                         fmt_plain, "answers"};
    svg_histogram(&p->b, &h);
    bins_table(p, &h);
}

static void field_strings(struct page *p, struct rpt_field *f, const char *id, const char *title)
{
    int enum_like = !f->overflow && f->nvals <= RPT_ENUM_MAX;
    uint64_t other = 0;
    size_t k = rf_top(f, enum_like ? RPT_ENUM_MAX : RPT_TOP_SHOWN, &other);
    char d[48], nv[48], desc[400];
    fmt_count((double)f->nvals, d, sizeof d);
    fmt_count((double)f->n_str, nv, sizeof nv);
    if (k && f->vals[0].n <= 1 && f->n_str > 1) {
        buf_printf(&p->b,
                   "<p class=\"sub\">%s values, %s%s distinct: free text, %s (see the "
                   "table).</p>",
                   nv, f->overflow ? "more than " : "", d,
                   /* past the cap a value seen twice can hide: only "not frequent" is sure */
                   f->overflow ? "no value is frequent" : "no value repeats");
        return;
    }
    buf_printf(&p->b, "<p class=\"sub\">%s values, %s%s distinct%s</p>", nv,
               f->overflow ? "more than " : "", d, enum_like ? "" : "; the most frequent shown");
    struct svg_bar bars[RPT_ENUM_MAX + 1];
    char olabel[64];
    for (size_t i = 0; i < k; i++)
        bars[i] = (struct svg_bar){f->vals[i].label, (double)f->vals[i].n, "b0"};
    if (other) {
        snprintf(olabel, sizeof olabel, "(all other values)");
        bars[k++] = (struct svg_bar){olabel, (double)other, "b2"};
    }
    snprintf(desc, sizeof desc, "Counts of the %zu most frequent values among %llu.", k,
             (unsigned long long)f->n_str);
    chart_bars(p, id, title, desc, bars, k, NULL, "value");
}

static void field_card(struct page *p, struct rpt_field *f, size_t i)
{
    char id[32], title[400];
    snprintf(id, sizeof id, "f%zu", i);
    snprintf(title, sizeof title, "Answers: %s", f->path);
    buf_puts(&p->b, "<figure class=\"card\"><figcaption><code>");
    page_text(p, f->path);
    buf_puts(&p->b, "</code></figcaption>");
    enum rpt_kind k = rf_kind(f);
    if (k == RPT_K_BOOL) {
        struct svg_bar bars[3] = {{"true", (double)f->n_true, "b0"},
                                  {"false", (double)f->n_false, "b1"},
                                  {"null", (double)f->n_null, "b2"}};
        char desc[200];
        snprintf(desc, sizeof desc, "true %llu, false %llu, null %llu.",
                 (unsigned long long)f->n_true, (unsigned long long)f->n_false,
                 (unsigned long long)f->n_null);
        chart_bars(p, id, title, desc, bars, f->n_null ? 3 : 2, NULL, "value");
    } else if (k == RPT_K_STR) {
        field_strings(p, f, id, title);
    } else if (k == RPT_K_NUM) {
        field_number(p, f, id, title);
    } else {
        buf_puts(&p->b, "<p class=\"sub\">no value to chart</p>");
    }
    uint64_t total = f->n_str + f->n_num + f->n_true + f->n_false + f->n_null + f->n_other;
    uint64_t charted = k == RPT_K_BOOL  ? f->n_true + f->n_false + f->n_null
                       : k == RPT_K_STR ? f->n_str
                       : k == RPT_K_NUM ? f->n_num
                                        : 0;
    uint64_t odd = total - charted;
    if (odd)
        buf_printf(&p->b, "<p class=\"sub\">also %llu values of other kinds (null, objects, "
                          "mixed types) not charted</p>",
                   (unsigned long long)odd);
    buf_puts(&p->b, "</figure>");
}

static void answers(struct page *p, struct rpt *r)
{
    struct rpt_fields *fs = &r->fields;
    if (!fs->n)
        return;
    char n[48];
    fmt_count((double)fs->answers, n, sizeof n);
    buf_printf(&p->b,
               "<section id=\"answers\"><h2>Answers</h2><p class=\"note\">What the %s "
               "validated answers (\"output\") hold, field by field. Nested fields are "
               "joined with dots; <code>[]</code> counts each element of a list.</p>"
               "<div class=\"grid\">",
               n);
    for (size_t i = 0; i < fs->n; i++)
        field_card(p, &fs->f[i], i);
    buf_puts(&p->b, "</div>");
    if (fs->dropped)
        buf_printf(&p->b,
                   "<p class=\"note\">%llu values of further fields (past the first %d, or "
                   "nested deeper than %d levels) are not charted.</p>",
                   (unsigned long long)fs->dropped, RPT_MAX_FIELDS, RPT_MAX_DEPTH);
    buf_puts(&p->b, "</section>\n");
}

/* ---- images ----------------------------------------------------------------------------- */

static void images(struct page *p, const struct rpt *r)
{
    if (!r->nimg_total)
        return;
    char a[48], b[48];
    fmt_count((double)r->nimg, a, sizeof a);
    fmt_count((double)r->nimg_total, b, sizeof b);
    buf_puts(&p->b, "<section id=\"images\"><h2>Images</h2><p class=\"note\">");
    if (r->nimg < r->nimg_total)
        buf_printf(&p->b, "The first %s of %s generated files", a, b);
    else
        buf_printf(&p->b, "All %s generated files", b);
    buf_puts(&p->b, ", linked from the output folder (the page must stay beside it). Click one "
                    "for the full size.</p><ul class=\"sheet\">");
    for (size_t i = 0; i < r->nimg; i++)
        /* url is percent-encoded and id escaped when they were stored */
        buf_printf(&p->b,
                   "<li><a href=\"%s\"><img src=\"%s\" alt=\"image of job %s\" "
                   "loading=\"lazy\" width=\"128\" height=\"128\"></a><span>%s</span></li>",
                   r->img[i].url, r->img[i].url, r->img[i].id, r->img[i].id);
    buf_puts(&p->b, "</ul></section>\n");
}

/* ---- timing ------------------------------------------------------------------------------ */

struct lat_bins {
    struct svg_bin b[32];
    int n, log;
    double lo, hi; /* ms */
    double min;
};

static void find_min(void *ctx, uint64_t us, uint64_t n)
{
    struct lat_bins *lb = ctx;
    double ms = (double)us / 1000.0;
    if (n && (lb->min < 0 || ms < lb->min))
        lb->min = ms;
}

static void fill_bin(void *ctx, uint64_t us, uint64_t n)
{
    struct lat_bins *lb = ctx;
    double ms = (double)us / 1000.0, pos;
    if (lb->log)
        pos = (log(ms > lb->lo ? ms : lb->lo) - log(lb->lo)) / (log(lb->hi) - log(lb->lo));
    else
        pos = lb->hi > lb->lo ? (ms - lb->lo) / (lb->hi - lb->lo) : 0;
    int i = (int)(pos * lb->n);
    lb->b[i < 0 ? 0 : i >= lb->n ? lb->n - 1 : i].v[0] += (double)n;
}

static void ms_label(double x, char *out, size_t n)
{
    fmt_ms(x, out, n);
}

static void latency_chart(struct page *p, const struct rpt *r, const char *key, const char *id,
                          const char *what)
{
    struct hist *h = malloc(sizeof *h);
    if (!h)
        return;
    hist_init(h);
    int from_run = r->run && hist_add_json(h, run_get(r, key));
    if (!from_run && !strcmp(key, "latency_ms"))
        *h = r->lat_lines;
    if (!h->n) {
        free(h);
        return;
    }
    struct lat_bins lb = {.n = 30, .min = -1};
    hist_each(h, find_min, &lb);
    lb.lo = lb.min > 0 ? lb.min : 0;
    lb.hi = (double)h->max_us / 1000.0;
    if (lb.hi <= lb.lo)
        lb.hi = lb.lo + 1;
    lb.log = lb.lo > 0 && lb.hi / lb.lo >= 20;
    for (int i = 0; i < lb.n; i++) {
        double a = (double)i / lb.n, b = (double)(i + 1) / lb.n;
        lb.b[i].lo = lb.log ? lb.lo * pow(lb.hi / lb.lo, a) : lb.lo + a * (lb.hi - lb.lo);
        lb.b[i].hi = lb.log ? lb.lo * pow(lb.hi / lb.lo, b) : lb.lo + b * (lb.hi - lb.lo);
    }
    hist_each(h, fill_bin, &lb);
    static const char *const qk[3] = {"p50", "p95", "p99"}, *const qc[3] = {"m50", "m95", "m99"};
    static const double qv[3] = {0.5, 0.95, 0.99};
    char lbl[3][64], key2[64], desc[600], t[48];
    struct svg_mark marks[3];
    size_t o = 0;
    for (int i = 0; i < 3; i++) {
        double v = (double)hist_quantile(h, qv[i]) / 1000.0;
        snprintf(key2, sizeof key2, "%s.%s", key, qk[i]);
        if (from_run)
            run_num(r, key2, &v);
        fmt_ms(v, t, sizeof t);
        snprintf(lbl[i], sizeof lbl[i], "%s %s", qk[i], t);
        marks[i] = (struct svg_mark){v, lbl[i], qc[i]};
        o += (size_t)snprintf(desc + o, o < sizeof desc ? sizeof desc - o : 0, "%s%s",
                              i ? ", " : "", lbl[i]);
    }
    fmt_ms((double)h->max_us / 1000.0, t, sizeof t);
    char title[128], n[48];
    fmt_count((double)h->n, n, sizeof n);
    snprintf(title, sizeof title, "%s of %s %s%s", what, n,
             from_run ? "requests" : "jobs (their last attempt)",
             lb.log ? " (log scale)" : "");
    if (o < sizeof desc)
        snprintf(desc + o, sizeof desc - o, ", max %s.", t);
    struct svg_hist sh = {id, title, desc, lb.b, (size_t)lb.n, lb.log, marks, 3,
                          {NULL, NULL}, ms_label, from_run ? "requests" : "jobs"};
    buf_puts(&p->b, "<figure class=\"wide\"><figcaption>");
    page_text(p, title);
    buf_puts(&p->b, "</figcaption>");
    svg_histogram(&p->b, &sh);
    bins_table(p, &sh);
    buf_puts(&p->b, "</figure>");
    free(h);
}

static void elapsed_label(double x, char *out, size_t n)
{
    if (x <= 0)
        snprintf(out, n, "0 s");
    else
        fmt_secs(x, out, n);
}

static void throughput(struct page *p, const struct rpt *r)
{
    double wall = 0, done = (double)(r->n_results + r->n_errors);
    char avg[48] = "";
    if (!run_num(r, "wall_s", &wall) && wall > 0) {
        double c = 0;
        if (!run_num(r, "counts.completed", &c) && !run_num(r, "counts.failed", &done))
            done += c;
        fmt_num(done / wall, avg, sizeof avg);
    }
    if (!r->ntbins) {
        buf_puts(&p->b, "<p class=\"note\">Throughput over time needs each job's finish time "
                        "(\"finished_at\" in results.jsonl and errors.jsonl), which these lines "
                        "do not carry.");
        if (avg[0])
            buf_printf(&p->b, " On average: %s jobs a second over the wall time.", avg);
        buf_puts(&p->b, "</p>");
        return;
    }
    struct svg_bin bins[RPT_TIME_BINS];
    int failed = 0;
    double peak = 0;
    for (int i = 0; i < r->ntbins; i++) {
        bins[i] = (struct svg_bin){i * r->tw, (i + 1) * r->tw,
                                   {(double)r->tb_ok[i] / r->tw, (double)r->tb_fail[i] / r->tw}};
        failed |= r->tb_fail[i] != 0;
        if (bins[i].v[0] + bins[i].v[1] > peak)
            peak = bins[i].v[0] + bins[i].v[1];
    }
    char step[48], pk[48], desc[300];
    fmt_secs(r->tw, step, sizeof step);
    fmt_num(peak, pk, sizeof pk);
    snprintf(desc, sizeof desc, "Jobs finished per second, in steps of %s from the first: peak %s "
             "jobs a second%s%s.", step, pk, avg[0] ? ", average " : "", avg);
    struct svg_hist h = {"tput", "Throughput over time", desc, bins, (size_t)r->ntbins, 0, NULL,
                         0, {failed ? "completed" : NULL, failed ? "failed" : NULL},
                         elapsed_label, "jobs/s"};
    buf_puts(&p->b, "<figure class=\"wide\"><figcaption>Throughput: jobs finished per second "
                    "(time since the first)</figcaption>");
    svg_histogram(&p->b, &h);
    bins_table(p, &h);
    buf_puts(&p->b, "</figure>");
}

static void timing(struct page *p, const struct rpt *r)
{
    buf_puts(&p->b, "<section id=\"timing\"><h2>Timing</h2><div class=\"grid2\">");
    latency_chart(p, r, "latency_ms", "lat", "Latency");
    if (run_get(r, "ttft_ms.histogram_us"))
        latency_chart(p, r, "ttft_ms", "ttft", "Time to first token");
    buf_puts(&p->b, "</div>");
    throughput(p, r);
    buf_puts(&p->b, "</section>\n");
}

/* ---- retries ------------------------------------------------------------------------------ */

static const struct {
    const char *key, *label;
} count_rows[] = {
    {"counts.attempts", "requests sent (attempts)"},
    {"counts.retries", "retries"},
    {"counts.reasks", "re-asks (answer failed its schema)"},
    {"counts.reasks_fixed", "jobs a re-ask fixed"},
    {"counts.schema_violations", "jobs failed on their schema"},
    {"counts.timeouts", "timeouts"},
    {"counts.network_errors", "network errors"},
    {"counts.bad_responses", "unusable responses"},
    {"counts.continuations", "continuation requests"},
    {"counts.polls", "polls of background jobs"},
    {"counts.tool_calls", "tool calls"},
    {"counts.tool_failures", "tool failures"},
    {"counts.duplicates", "duplicate ids not run"},
    {"counts.interrupted", "interrupted"},
};

static void attempts_chart(struct page *p, const struct rpt *r)
{
    struct svg_bar bars[2 * RPT_ATTEMPT_BARS];
    char labels[2 * RPT_ATTEMPT_BARS][48];
    size_t n = 0;
    for (int a = 1; a <= RPT_ATTEMPT_BARS; a++)
        for (int f = 0; f < 2; f++) {
            uint64_t c = f ? r->attempts_fail[a] : r->attempts_ok[a];
            if (!c)
                continue;
            snprintf(labels[n], sizeof labels[n], "%d%s attempt%s, %s", a,
                     a == RPT_ATTEMPT_BARS ? "+" : "", a > 1 ? "s" : "",
                     f ? "failed" : "completed");
            bars[n] = (struct svg_bar){labels[n], (double)c, f ? "bf" : "b0"};
            n++;
        }
    if (!n)
        return;
    buf_puts(&p->b, "<figure class=\"card\"><figcaption>Jobs by attempts (requests of their last "
                    "turn, retries included)</figcaption>");
    chart_bars(p, "att", "Jobs by attempts", "How many attempts each job took, by outcome.",
               bars, n, "jobs", "attempts");
    buf_puts(&p->b, "</figure>");
    uint64_t any = r->reasks[1] + r->reasks[2] + r->reasks[3];
    if (!any)
        return;
    static const char *const rl[4] = {"no re-ask", "1 re-ask", "2 re-asks", "3+ re-asks"};
    struct svg_bar rb[4];
    for (int i = 0; i < 4; i++)
        rb[i] = (struct svg_bar){rl[i], (double)r->reasks[i], i ? "b1" : "b0"};
    buf_puts(&p->b, "<figure class=\"card\"><figcaption>Completed jobs by re-asks</figcaption>");
    chart_bars(p, "reask", "Completed jobs by re-asks",
               "How many times an answer was asked again before it matched its schema.", rb, 4,
               "jobs", "re-asks");
    buf_puts(&p->b, "</figure>");
}

static void http_chart(struct page *p, const struct rpt *r)
{
    const json_t *http = run_get(r, "counts.http");
    if (!json_is_object(http) || !json_object_size(http))
        return;
    struct svg_bar bars[MAX_BARS];
    char labels[MAX_BARS][24];
    size_t n = 0;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)http, k, v) {
        if (n == MAX_BARS || !json_is_number(v))
            continue;
        snprintf(labels[n], sizeof labels[n], "HTTP %.12s", k);
        bars[n] = (struct svg_bar){labels[n], json_number_value(v), k[0] == '2' ? "b0" : "bf"};
        n++;
    }
    buf_puts(&p->b, "<figure class=\"card\"><figcaption>Responses by HTTP status</figcaption>");
    chart_bars(p, "http", "Responses by HTTP status", "Every response received, by status code.",
               bars, n, "responses", "status");
    buf_puts(&p->b, "</figure>");
}

static void retries(struct page *p, const struct rpt *r)
{
    buf_puts(&p->b, "<section id=\"retries\"><h2>Retries and re-asks</h2><div class=\"grid\">");
    attempts_chart(p, r);
    http_chart(p, r);
    if (!r->run) {
        buf_puts(&p->b, "</div></section>\n");
        return;
    }
    buf_puts(&p->b, "<figure class=\"card\"><figcaption>Counts of the run</figcaption>"
                    "<table class=\"nums counts\"><tbody>");
    for (size_t i = 0; i < sizeof count_rows / sizeof count_rows[0]; i++) {
        double v;
        char s[48];
        if (run_num(r, count_rows[i].key, &v))
            continue;
        fmt_count(v, s, sizeof s);
        buf_printf(&p->b, "<tr><th scope=\"row\">%s</th><td data-key=\"%s\" data-value=\"%.0f\">%s"
                          "</td></tr>",
                   count_rows[i].label, count_rows[i].key, v, s);
    }
    buf_puts(&p->b, "</tbody></table></figure></div></section>\n");
}

/* ---- errors ------------------------------------------------------------------------------ */

static void errors(struct page *p, const struct rpt *r)
{
    if (!r->n_errors)
        return;
    struct svg_bar bars[RPT_MAX_GROUPS + 1];
    char labels[RPT_MAX_GROUPS + 1][112];
    size_t n = 0;
    for (int i = 0; i < r->ngroups; i++) {
        const struct rpt_group *g = &r->groups[i];
        if (g->code)
            snprintf(labels[n], sizeof labels[n], "%ld %s", g->code, g->status);
        else
            snprintf(labels[n], sizeof labels[n], "%s", g->status[0] ? g->status : "(no code)");
        bars[n] = (struct svg_bar){labels[n], (double)g->n, "bf"};
        n++;
    }
    if (r->groups_other) {
        snprintf(labels[n], sizeof labels[n], "(other codes)");
        bars[n] = (struct svg_bar){labels[n], (double)r->groups_other, "b2"};
        n++;
    }
    char c[48];
    fmt_count((double)r->n_errors, c, sizeof c);
    buf_printf(&p->b, "<section id=\"errors\"><h2>Errors</h2><p class=\"note\">%s jobs failed "
                      "for good (errors.jsonl), by error code:</p><figure class=\"wide\">",
               c);
    chart_bars(p, "errs", "Failed jobs by error code", "Jobs that failed, by code and status.",
               bars, n, "jobs", "code");
    buf_puts(&p->b, "</figure>");
    for (int i = 0; i < r->ngroups; i++) {
        const struct rpt_group *g = &r->groups[i];
        buf_puts(&p->b, "<h3>");
        page_text(p, labels[i]);
        fmt_count((double)g->n, c, sizeof c);
        buf_printf(&p->b, " <span class=\"sub\">%s job%s</span></h3><ul class=\"examples\">", c,
                   g->n == 1 ? "" : "s");
        for (int k = 0; k < g->nex; k++) /* stored escaped */
            buf_printf(&p->b, "<li><code>%s</code> <span class=\"where\">%s</span><br>%s</li>",
                       g->ex[k].id, g->ex[k].where, g->ex[k].msg);
        buf_puts(&p->b, "</ul>");
    }
    buf_puts(&p->b, "</section>\n");
}

/* ---- cost ---------------------------------------------------------------------------------- */

static void cost_table(struct page *p, const json_t *o, const char *head, const char *id)
{
    if (!json_is_object(o) || !json_object_size(o))
        return;
    struct svg_bar bars[MAX_BARS];
    size_t n = 0;
    const char *k;
    json_t *v;
    buf_puts(&p->b, "<figure class=\"card\"><figcaption>Cost by ");
    page_text(p, head);
    buf_printf(&p->b, "</figcaption>");
    json_object_foreach ((json_t *)o, k, v) {
        /* {"usd": ..., "requests": ...} per key; a bare number from older runs */
        const json_t *usd = json_is_object(v) ? json_object_get(v, "usd") : v;
        if (n < MAX_BARS && json_is_number(usd))
            bars[n++] = (struct svg_bar){k, json_number_value(usd), "b3"};
    }
    char title[64];
    snprintf(title, sizeof title, "Cost by %s in USD", head);
    svg_hbars(&p->b, id, title, "Cost in US dollars.", bars, n, "USD");
    buf_puts(&p->b, "<table class=\"nums\"><thead><tr><th>");
    page_text(p, head);
    buf_puts(&p->b, "</th><th>USD</th></tr></thead><tbody>");
    for (size_t i = 0; i < n; i++) {
        char u[48];
        fmt_usd(bars[i].value, u, sizeof u);
        buf_puts(&p->b, "<tr><td>");
        page_text(p, bars[i].label);
        buf_printf(&p->b, "</td><td data-value=\"%.17g\">%s</td></tr>", bars[i].value, u);
    }
    buf_puts(&p->b, "</tbody></table></figure>");
}

static void cost(struct page *p, const struct rpt *r)
{
    const json_t *c = run_get(r, "cost");
    if (!json_is_object(c) && !r->n_cost)
        return;
    buf_puts(&p->b, "<section id=\"cost\"><h2>Cost</h2>");
    double v;
    char s[48];
    if (!run_num(r, "cost.total_usd", &v)) {
        double unknown = 0, priced = 0;
        run_num(r, "cost.unknown_requests", &unknown);
        run_num(r, "cost.priced_requests", &priced);
        fmt_usd(v, s, sizeof s);
        if (unknown > 0 && priced <= 0)
            buf_puts(&p->b, "<p class=\"note\">Total unknown: no request of the run could be "
                            "priced from the price table in force for it.");
        else
            buf_printf(&p->b, "<p class=\"note\">Total %s%s, from the price table in force "
                              "for the run.", unknown > 0 ? "at least " : "", s);
        if (unknown > 0) {
            fmt_count(unknown, s, sizeof s);
            buf_printf(&p->b, " <strong><span data-key=\"cost.unknown_requests\" data-value="
                              "\"%.0f\">%s</span> requests had no price</strong> and are not "
                              "counted",
                       unknown, s);
            /* why, as the run said it (older run.json files do not) */
            const json_t *why = run_get(r, "cost.unpriced");
            const char *k;
            json_t *n;
            int first = 1;
            json_object_foreach ((json_t *)why, k, n) {
                buf_puts(&p->b, first ? ": " : "; ");
                page_text(p, k);
                if (json_object_size((json_t *)why) > 1)
                    buf_printf(&p->b, " (%lld)", (long long)json_integer_value(n));
                first = 0;
            }
            buf_puts(&p->b, ".");
        }
        buf_puts(&p->b, "</p>");
    }
    if (r->n_cost) {
        char n[48];
        fmt_usd(r->cost_sum, s, sizeof s);
        fmt_count((double)r->n_cost, n, sizeof n);
        buf_printf(&p->b, "<p class=\"note\">The result and error lines that carry a cost "
                          "(%s of them) add up to %s.</p>", n, s);
    }
    buf_puts(&p->b, "<div class=\"grid\">");
    cost_table(p, run_get(r, "cost.by_tier"), "tier", "ctier");
    cost_table(p, run_get(r, "cost.by_model"), "model", "cmodel");
    cost_table(p, run_get(r, "cost.by_kind"), "kind", "ckind");
    buf_puts(&p->b, "</div></section>\n");
}

int page_sections(struct page *p, struct rpt *r)
{
    answers(p, r);
    if (page_flush(p))
        return GB_EIO;
    images(p, r);
    timing(p, r);
    retries(p, r);
    errors(p, r);
    cost(p, r);
    return page_flush(p);
}
