/* report_html.c: writes the report page from what report.c gathered: the
 * head (with a Content-Security-Policy that allows only the page's own style
 * and script, by hash), the figures, and the table's data block. The charts'
 * sections are in report_page.c. Text from the output folder goes through
 * report_esc.c, never straight into the page. */
#include "report_int.h"
#include "report_page.h"

#include "b64.h"
#include "jsonx.h"
#include "sha256.h"

#include <errno.h>
#include <math.h>
#include <string.h>

/* A count from run.json (key) or, without run.json, from the lines. */
static void fig_count(struct page *p, const struct rpt *r, const char *label, const char *key,
                      double from_lines)
{
    double v;
    char s[48];
    if (r->run && !run_num(r, key, &v)) {
        fmt_count(v, s, sizeof s);
        page_fig(p, label, key, v, s, NULL);
    } else if (!r->run) {
        fmt_count(from_lines, s, sizeof s);
        page_fig(p, label, NULL, 0, s, NULL);
    }
}

static void fig_latency(struct page *p, const struct rpt *r, const char *label, const char *key,
                        double q)
{
    double v;
    char s[48];
    if (r->run && !run_num(r, key, &v)) {
        fmt_ms(v, s, sizeof s);
        page_fig(p, label, key, v, s, NULL);
    } else if (!r->run && r->lat_lines.n) {
        fmt_ms((double)hist_quantile(&r->lat_lines, q) / 1000.0, s, sizeof s);
        page_fig(p, label, NULL, 0, s, NULL);
    }
}

static void figures(struct page *p, const struct rpt *r)
{
    double v;
    char s[64], sub[400];
    buf_puts(&p->b, "<section id=\"summary\" aria-label=\"Summary\"><dl class=\"figs\">");
    fig_count(p, r, "jobs", "counts.jobs", (double)(r->n_results + r->n_errors));
    fig_count(p, r, "completed", "counts.completed", (double)r->n_results);
    fig_count(p, r, "failed", "counts.failed", (double)r->n_errors);
    if (r->run)
        fig_count(p, r, "in doubt", "counts.in_doubt", 0);
    if (!run_num(r, "counts.skipped_done", &v) && v > 0)
        fig_count(p, r, "already done", "counts.skipped_done", 0);
    if (!run_num(r, "wall_s", &v)) {
        fmt_secs(v, s, sizeof s);
        page_fig(p, "wall time", "wall_s", v, s, NULL);
    }
    double in = 0, out = 0;
    if (r->run && !run_num(r, "tokens.total", &v)) {
        char a[48], b[48];
        run_num(r, "tokens.input", &in);
        run_num(r, "tokens.output", &out);
        fmt_count(in, a, sizeof a);
        fmt_count(out, b, sizeof b);
        snprintf(sub, sizeof sub,
                 "<span data-key=\"tokens.input\" data-value=\"%.0f\">%s</span> in, "
                 "<span data-key=\"tokens.output\" data-value=\"%.0f\">%s</span> out",
                 in, a, out, b);
        fmt_count(v, s, sizeof s);
        page_fig(p, "tokens", "tokens.total", v, s, sub);
    } else if (!r->run) {
        fmt_count((double)r->tok_total, s, sizeof s);
        page_fig(p, "tokens", NULL, 0, s, NULL);
    }
    fig_latency(p, r, "latency p50", "latency_ms.p50", 0.5);
    fig_latency(p, r, "latency p95", "latency_ms.p95", 0.95);
    fig_latency(p, r, "latency p99", "latency_ms.p99", 0.99);
    if (!run_num(r, "cost.total_usd", &v)) {
        /* total_usd is what was priced: with requests that were not, it is
         * a floor, or nothing at all */
        double unknown = 0, priced = 0;
        run_num(r, "cost.unknown_requests", &unknown);
        run_num(r, "cost.priced_requests", &priced);
        char d[40];
        fmt_usd(v, d, sizeof d);
        snprintf(s, sizeof s, "%s%s", unknown > 0 && priced > 0 ? "at least " : "",
                 unknown > 0 && priced <= 0 ? "unknown" : d);
        page_fig(p, "cost", "cost.total_usd", v, s, NULL);
    } else if (r->n_cost) {
        fmt_usd(r->cost_sum, s, sizeof s);
        page_fig(p, "cost (result lines)", NULL, 0, s, NULL);
    }
    if (!run_num(r, "counts.cache_hits", &v)) {
        fmt_count(v, s, sizeof s);
        page_fig(p, "cache hits", "counts.cache_hits", v, s, NULL);
    } else if (r->n_cached) {
        fmt_count((double)r->n_cached, s, sizeof s);
        page_fig(p, "cached answers", NULL, 0, s, NULL);
    }
    buf_puts(&p->b, "</dl></section>");
}

/* ---- head ------------------------------------------------------------------------------ */

static void csp_hash(const char *s, char out[64])
{
    uint8_t d[32];
    sha256_buf(s, strlen(s), d);
    size_t n = b64_encode(d, sizeof d, out);
    out[n] = '\0';
}

static void head(struct page *p, const struct rpt *r, const char *name)
{
    char hc[64], hj[64];
    csp_hash(rpt_css, hc);
    csp_hash(rpt_js, hj);
    buf_printf(&p->b,
               "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n"
               "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
               /* nothing may be fetched but the run's own images; no script or
                * style but the page's own (a hostile answer that escaped its
                * escaping still could not run) */
               "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
               "img-src 'self' file: data:; style-src 'sha256-%s'; script-src 'sha256-%s'; "
               "base-uri 'none'; form-action 'none'\">\n"
               "<meta name=\"referrer\" content=\"no-referrer\">\n"
               "<meta name=\"generator\" content=\"gembatch " GEMBATCH_VERSION "\">\n<title>",
               hc, hj);
    buf_puts(&p->b, "gembatch report: ");
    page_text(p, name);
    buf_printf(&p->b, "</title>\n<style>%s</style>\n</head>\n<body>\n", rpt_css);
    (void)r;
}

static void header(struct page *p, const struct rpt *r, const char *name)
{
    buf_puts(&p->b, "<header><h1>gembatch report: <span class=\"name\">");
    page_text(p, name);
    buf_puts(&p->b, "</span></h1><p class=\"meta\">");
    page_text(p, r->outdir);
    const char *st = json_string_value(run_get(r, "status"));
    const char *t0 = json_string_value(run_get(r, "started"));
    const char *t1 = json_string_value(run_get(r, "ended"));
    if (st) {
        buf_puts(&p->b, " · run ");
        page_text(p, st);
    }
    if (t0 && t1) {
        buf_puts(&p->b, " · ");
        page_text(p, t0);
        buf_puts(&p->b, " to ");
        page_text(p, t1);
    }
    const json_t *mi = run_get(r, "merge.shards");
    if (json_is_array(mi))
        buf_printf(&p->b, " · merged from %zu folders", json_array_size(mi));
    buf_puts(&p->b, "</p>");
    if (json_is_true(run_get(r, "synthetic")))
        buf_puts(&p->b, "<p class=\"badge\">Synthetic answers: this run used the gembatch "
                        "emulator, not the Gemini API.</p>");
    buf_puts(&p->b, "<nav aria-label=\"Sections\"><a href=\"#summary\">Summary</a>");
    if (r->fields.n)
        buf_puts(&p->b, "<a href=\"#answers\">Answers</a>");
    if (r->nimg_total)
        buf_puts(&p->b, "<a href=\"#images\">Images</a>");
    buf_puts(&p->b, "<a href=\"#timing\">Timing</a><a href=\"#retries\">Retries</a>");
    if (r->n_errors)
        buf_puts(&p->b, "<a href=\"#errors\">Errors</a>");
    if (run_get(r, "cost") || r->n_cost)
        buf_puts(&p->b, "<a href=\"#cost\">Cost</a>");
    buf_puts(&p->b, "<a href=\"#table\">Table</a></nav></header>\n<main>\n");
}

static void notes(struct page *p, const struct rpt *r)
{
    if (!r->run_problem[0] && !r->n_bad && !r->nimg_refused)
        return;
    buf_puts(&p->b, "<section class=\"notes\" aria-label=\"Notes\"><ul>");
    if (r->run_problem[0]) {
        buf_puts(&p->b, "<li>");
        page_text(p, r->run_problem);
        buf_puts(&p->b, ".</li>");
    }
    for (uint64_t i = 0; i < r->n_bad && i < RPT_BAD_LISTED; i++) {
        buf_puts(&p->b, "<li>");
        page_text(p, r->bad[i].file);
        buf_printf(&p->b, ":%ld: ", r->bad[i].line);
        page_text(p, r->bad[i].why);
        buf_puts(&p->b, "; left out.</li>");
    }
    if (r->n_bad > RPT_BAD_LISTED)
        buf_printf(&p->b, "<li>%llu more unreadable lines left out.</li>",
                   (unsigned long long)(r->n_bad - RPT_BAD_LISTED));
    if (r->nimg_refused)
        buf_printf(&p->b,
                   "<li>%llu image paths were not plain relative paths inside the output "
                   "folder and are not linked.</li>",
                   (unsigned long long)r->nimg_refused);
    buf_puts(&p->b, "</ul></section>\n");
}

/* ---- the table ------------------------------------------------------------------------- */

static void col(struct page *p, int *first, const char *name, int num)
{
    buf_puts(&p->b, *first ? "" : ",");
    *first = 0;
    buf_puts(&p->b, "{\"name\":");
    json_esc(&p->b, name, strlen(name), 0);
    buf_printf(&p->b, ",\"num\":%d}", num);
}

static int table(struct page *p, const struct rpt *r)
{
    char a[48], b[48];
    buf_puts(&p->b, "<section id=\"table\"><h2>Results</h2><p class=\"note\">");
    fmt_count((double)r->rows_kept, a, sizeof a);
    fmt_count((double)r->rows_total, b, sizeof b);
    if (r->rows_kept < r->rows_total)
        buf_printf(&p->b,
                   "The table holds an even sample of %s of the %s jobs (at most %ld rows keep "
                   "this file small): search and sorting see only those. Every figure and "
                   "chart above counts all the jobs.",
                   a, b, r->max_rows);
    else
        buf_printf(&p->b, "All %s jobs: results first, then failures. Search matches the id "
                          "and every cell; click a column to sort.", a);
    buf_puts(&p->b,
             "</p><div class=\"controls\"><label>Search <input id=\"q\" type=\"search\" "
             "autocomplete=\"off\" placeholder=\"id or text\"></label><label>Status <select "
             "id=\"st\"><option value=\"\">all</option>");
    for (int i = 0; i < r->nstatus; i++) {
        buf_printf(&p->b, "<option value=\"%d\">", i);
        page_text(p, r->statuses[i]);
        buf_puts(&p->b, "</option>");
    }
    buf_puts(&p->b,
             "</select></label><span id=\"count\" aria-live=\"polite\"></span></div>"
             "<div class=\"tw\"><table id=\"rows\"><thead></thead><tbody></tbody></table></div>"
             "<div class=\"pager\"><button id=\"prev\" type=\"button\">Previous</button>"
             "<span id=\"page\"></span><button id=\"next\" type=\"button\">Next</button></div>"
             "<noscript><p>The table needs JavaScript; the figures and charts above do "
             "not.</p></noscript>\n<script type=\"application/json\" id=\"gb-data\">{\"cols\":[");
    int first = 1;
    col(p, &first, "id", 0);
    col(p, &first, "status", 0);
    for (int i = 0; i < r->ncols; i++)
        col(p, &first, r->cols[i], 0);
    if (rpt_has_text(r))
        col(p, &first, "text", 0);
    if (r->n_errors)
        col(p, &first, "error", 0);
    col(p, &first, "latency ms", 1);
    col(p, &first, "attempts", 1);
    if (r->n_cost)
        col(p, &first, "cost USD", 1);
    if (r->n_cached)
        col(p, &first, "cached", 0);
    buf_puts(&p->b, "],\"statuses\":[");
    for (int i = 0; i < r->nstatus; i++) {
        if (i)
            buf_putc(&p->b, ',');
        json_esc(&p->b, r->statuses[i], strlen(r->statuses[i]), 0);
    }
    buf_puts(&p->b, "],\"rows\":[\n");
    if (page_flush(p))
        return GB_EIO;
    char chunk[65536];
    size_t n;
    while ((n = fread(chunk, 1, sizeof chunk, r->spool)) > 0)
        if (fwrite(chunk, 1, n, p->f) != n)
            return GB_EIO;
    if (ferror(r->spool))
        return GB_EIO;
    buf_puts(&p->b, "]}</script>\n</section>\n");
    return 0;
}

static void footer(struct page *p, const struct rpt *r)
{
    buf_printf(&p->b,
               "</main>\n<footer><p>Made by gembatch " GEMBATCH_VERSION
               " from results.jsonl, errors.jsonl and run.json. It makes no network request; "
               "images are linked by paths relative to this file. Limits that keep the page "
               "small: the table holds at most %ld rows (an even sample past that), cells are "
               "cut at %d characters, answers are charted for at most %d fields with %d distinct "
               "values tracked each (past that, the most frequent values are found with the "
               "space-saving algorithm and counted exactly), the contact sheet shows the first "
               "%d images and errors are grouped into at most %d codes.</p></footer>\n",
               r->max_rows, RPT_CELL_MAX, RPT_MAX_FIELDS, RPT_TOP_K, RPT_MAX_IMAGES,
               RPT_MAX_GROUPS);
    buf_printf(&p->b, "<script>%s</script>\n</body></html>\n", rpt_js);
}

int rpt_write_page(struct rpt *r, FILE *f, struct gb_err *err)
{
    struct page p = {.f = f};
    buf_init(&p.b, BUF_UNLIMITED);
    const char *name = json_string_value(run_get(r, "pipeline.name"));
    if (!name) {
        const char *s = strrchr(r->outdir, '/');
        name = s && s[1] ? s + 1 : r->outdir;
    }
    head(&p, r, name);
    header(&p, r, name);
    figures(&p, r);
    notes(&p, r);
    int rc = page_flush(&p);
    if (!rc)
        rc = page_sections(&p, r);
    if (!rc)
        rc = page_flush(&p);
    if (!rc)
        rc = table(&p, r);
    if (!rc) {
        footer(&p, r);
        rc = page_flush(&p);
    }
    buf_free(&p.b);
    if (rc)
        return GB_FAIL(err, GB_EIO, "write failed: %s", strerror(p.failed ? p.failed : errno));
    return 0;
}
