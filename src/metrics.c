/* metrics.c: struct metrics to Prometheus text exposition (format 0.0.4):
 * one HELP and TYPE line per family, gembatch_ names, escaped label values,
 * the latency histogram as cumulative buckets. Writes one file atomically;
 * knows nothing of the run that fills the struct. */
#include "metrics.h"
#include "buf.h"
#include "fsx.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const state_names[MJ_NSTATES] = {"completed", "cached",  "failed",
                                                    "skipped",   "running", "queued"};

/* Bucket bounds in seconds: a request takes from a fraction of a second
 * (flash, short text) to many minutes (flex, long video). */
static const double le_s[] = {0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800};
enum { NLE = sizeof le_s / sizeof le_s[0] };

void metrics_escape(const char *s, char *out, size_t outsz)
{
    size_t o = 0;
    for (; s && *s; s++) {
        int esc = *s == '\\' || *s == '"' || *s == '\n';
        if (o + 1 + (size_t)esc >= outsz)
            break; /* never half an escape */
        if (esc)
            out[o++] = '\\';
        out[o++] = *s == '\n' ? 'n' : *s;
    }
    out[o] = '\0';
}

/* The text being made; bad after an allocation failed. */
struct mb {
    struct buf b;
    int bad;
};

static void put(struct mb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct mb *b, const char *fmt, ...)
{
    char small[512];
    va_list ap, again;
    va_start(ap, fmt);
    va_copy(again, ap);
    int n = vsnprintf(small, sizeof small, fmt, ap);
    char *big = n >= (int)sizeof small ? malloc((size_t)n + 1) : NULL;
    if (big)
        vsnprintf(big, (size_t)n + 1, fmt, again);
    va_end(again);
    va_end(ap);
    if (n < 0 || (n >= (int)sizeof small && !big) ||
        buf_append(&b->b, big ? big : small, (size_t)n))
        b->bad = 1;
    free(big);
}

static void family(struct mb *b, const char *name, const char *type, const char *help)
{
    put(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* %.17g keeps every double exact; integers print without exponent. */
static void value(struct mb *b, double v)
{
    if (v == floor(v) && fabs(v) < 1e15)
        put(b, " %.0f\n", v);
    else
        put(b, " %.17g\n", v);
}

static void sample(struct mb *b, const char *name, const char *labels, double v)
{
    put(b, "%s%s%s%s", name, labels ? "{" : "", labels ? labels : "", labels ? "}" : "");
    value(b, v);
}

struct cum {
    uint64_t le_us[NLE];
    uint64_t count[NLE];
};

static void add_bucket(void *ctx, uint64_t v_us, uint64_t n)
{
    struct cum *c = ctx;
    for (int i = 0; i < NLE; i++)
        if (v_us <= c->le_us[i]) {
            c->count[i] += n;
            return;
        }
}

/* struct hist to cumulative le buckets. A sample counts by its bucket's
 * representative value, so one within ~1.5 % of a bound may fall on either
 * side of it; _count and _sum are exact. */
static void histogram(struct mb *b, const struct hist *h)
{
    const char *name = "gembatch_request_latency_seconds";
    family(b, name, "histogram", "Time from sending a request to its whole answer.");
    struct cum c = {{0}, {0}};
    for (int i = 0; i < NLE; i++)
        c.le_us[i] = (uint64_t)(le_s[i] * 1e6 + 0.5);
    if (h)
        hist_each(h, add_bucket, &c);
    uint64_t run = 0;
    for (int i = 0; i < NLE; i++) {
        run += c.count[i];
        put(b, "%s_bucket{le=\"%g\"} %llu\n", name, le_s[i], (unsigned long long)run);
    }
    uint64_t n = h ? h->n : 0;
    put(b, "%s_bucket{le=\"+Inf\"} %llu\n", name, (unsigned long long)n);
    put(b, "%s_sum", name);
    value(b, h ? h->sum_us / 1e6 : 0);
    put(b, "%s_count %llu\n", name, (unsigned long long)n);
}

static void run_info(struct mb *b, const struct metrics *m)
{
    char p[512], id[128], lab[800];
    metrics_escape(m->pipeline ? m->pipeline : "", p, sizeof p);
    metrics_escape(m->run_id ? m->run_id : "", id, sizeof id);
    snprintf(lab, sizeof lab, "pipeline=\"%s\",run_id=\"%s\",version=\"%s\"", p, id,
             GEMBATCH_VERSION);
    family(b, "gembatch_run_info", "gauge", "The run these figures are of (always 1).");
    sample(b, "gembatch_run_info", lab, 1);
    family(b, "gembatch_run_start_timestamp_seconds", "gauge", "When the run started.");
    sample(b, "gembatch_run_start_timestamp_seconds", NULL, m->start_time);
    family(b, "gembatch_run_end_timestamp_seconds", "gauge",
           "When the run ended; 0 while it runs.");
    sample(b, "gembatch_run_end_timestamp_seconds", NULL, m->end_time);
    family(b, "gembatch_run_running", "gauge",
           "1 while the run goes on; a 1 that stops being updated is a run that died.");
    sample(b, "gembatch_run_running", NULL, m->end_time > 0 ? 0 : 1);
    family(b, "gembatch_exit_status", "gauge",
           "The run's exit status (0 all completed, 1 some failed, ...); -1 while it runs.");
    sample(b, "gembatch_exit_status", NULL, m->end_time > 0 ? m->exit_status : -1);
    family(b, "gembatch_last_success_timestamp_seconds", "gauge",
           "End of the last run that exited 0 (kept across runs); 0 if none.");
    sample(b, "gembatch_last_success_timestamp_seconds", NULL,
           isnan(m->last_success) ? 0 : m->last_success);
    family(b, "gembatch_metrics_updated_timestamp_seconds", "gauge",
           "When this file was written.");
    sample(b, "gembatch_metrics_updated_timestamp_seconds", NULL, floor(wall_s() * 1000) / 1000);
}

static void jobs_and_requests(struct mb *b, const struct metrics *m)
{
    char lab[64];
    family(b, "gembatch_jobs", "gauge", "Jobs of this run by state.");
    for (int i = 0; i < MJ_NSTATES; i++) {
        snprintf(lab, sizeof lab, "state=\"%s\"", state_names[i]);
        sample(b, "gembatch_jobs", lab, (double)m->jobs[i]);
    }
    family(b, "gembatch_requests_total", "counter",
           "Requests answered, by HTTP status (code=\"none\": no answer: reset, timeout).");
    for (int s = 100; m->http && s < 600; s++)
        if (m->http[s]) {
            snprintf(lab, sizeof lab, "code=\"%d\"", s);
            sample(b, "gembatch_requests_total", lab, (double)m->http[s]);
        }
    sample(b, "gembatch_requests_total", "code=\"none\"", (double)m->no_answer);
    family(b, "gembatch_retries_total", "counter", "Requests sent again after a failure.");
    sample(b, "gembatch_retries_total", NULL, (double)m->retries);
    family(b, "gembatch_reasks_total", "counter",
           "Re-asks after an answer that did not match the schema.");
    sample(b, "gembatch_reasks_total", NULL, (double)m->reasks);
    family(b, "gembatch_shed_requests_total", "counter",
           "Requests shed by the service under load (flex 429/503), retried.");
    sample(b, "gembatch_shed_requests_total", NULL, (double)m->shed);
}

static void usage_and_cost(struct mb *b, const struct metrics *m)
{
    static const char *const kinds[] = {"input", "output", "thought"};
    char mo[256], ti[64], lab[512];
    family(b, "gembatch_tokens_total", "counter", "Tokens billed, by model, tier and kind.");
    for (size_t i = 0; i < m->nmodels; i++) {
        const struct metrics_model *x = &m->models[i];
        const long long v[3] = {x->input_tokens, x->output_tokens, x->thought_tokens};
        metrics_escape(x->model ? x->model : "", mo, sizeof mo);
        metrics_escape(x->tier ? x->tier : "standard", ti, sizeof ti);
        for (int k = 0; k < 3; k++) {
            snprintf(lab, sizeof lab, "model=\"%s\",tier=\"%s\",kind=\"%s\"", mo, ti, kinds[k]);
            sample(b, "gembatch_tokens_total", lab, (double)v[k]);
        }
    }
    family(b, "gembatch_cost_usd_total", "counter",
           "What the requests cost in US dollars, by model and tier (absent: no price known).");
    for (size_t i = 0; i < m->nmodels; i++) {
        const struct metrics_model *x = &m->models[i];
        if (isnan(x->cost_usd))
            continue;
        metrics_escape(x->model ? x->model : "", mo, sizeof mo);
        metrics_escape(x->tier ? x->tier : "standard", ti, sizeof ti);
        snprintf(lab, sizeof lab, "model=\"%s\",tier=\"%s\"", mo, ti);
        sample(b, "gembatch_cost_usd_total", lab, x->cost_usd);
    }
    family(b, "gembatch_cache_hits_total", "counter", "Jobs served from the answer cache.");
    sample(b, "gembatch_cache_hits_total", NULL, (double)m->cache_hits);
    family(b, "gembatch_cache_misses_total", "counter",
           "Jobs looked up in the answer cache and not found.");
    sample(b, "gembatch_cache_misses_total", NULL, (double)m->cache_misses);
    if (!isnan(m->cache_saved_usd)) {
        family(b, "gembatch_cache_saved_usd_total", "counter",
               "What the cached answers cost when they were made, not paid again.");
        sample(b, "gembatch_cache_saved_usd_total", NULL, m->cache_saved_usd);
    }
}

char *metrics_format(const struct metrics *m, size_t *len)
{
    struct mb b = {{0}, 0};
    buf_init(&b.b, BUF_UNLIMITED);
    run_info(&b, m);
    jobs_and_requests(&b, m);
    usage_and_cost(&b, m);
    histogram(&b, m->latency);
    if (b.bad) {
        buf_free(&b.b);
        return NULL;
    }
    return buf_detach(&b.b, len);
}

int metrics_write(const char *path, const struct metrics *m, struct gb_err *err)
{
    size_t n = 0;
    char *text = metrics_format(m, &n);
    if (!text)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    int rc = fsx_write_atomic(path, text, n);
    free(text);
    if (rc)
        return GB_FAIL(err, GB_EIO, "cannot write the metrics file '%s': %s", path,
                       strerror(errno));
    return 0;
}

double metrics_last_success(const char *path)
{
    static const char name[] = "gembatch_last_success_timestamp_seconds ";
    FILE *f = fopen(path, "r");
    if (!f)
        return NAN;
    char line[512];
    double v = NAN;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, name, sizeof name - 1)) {
            char *end;
            double x = strtod(line + sizeof name - 1, &end);
            if (end != line + sizeof name - 1 && x > 0)
                v = x;
        }
    fclose(f);
    return v;
}
