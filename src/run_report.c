/* run_report.c: what a run tells people: the progress bar or line, run.json
 * (counts, tokens, latency histogram) and the summary. Reads struct run;
 * changes nothing but its progress fields. Calls no other engine file. */
#include "run_int.h"
#include "url.h"

#include <math.h>
#include <sys/ioctl.h>
#include <unistd.h>

/* ---- progress, run.json, summary ---------------------------------------------- */

static void human(double v, char *out, size_t n)
{
    if (v >= 1e9)
        snprintf(out, n, "%.1fG", v / 1e9);
    else if (v >= 1e6)
        snprintf(out, n, "%.1fM", v / 1e6);
    else if (v >= 1e4)
        snprintf(out, n, "%.0fk", v / 1e3);
    else
        snprintf(out, n, "%.0f", v);
}

static long long done_count(const struct run *r)
{
    return r->c.completed + r->c.failed + r->c.skipped_done + r->c.duplicates + r->c.shard_skipped;
}

/* Jobs that sent requests and ended, per second, over the last
 * RATE_WINDOW_MS (a moving window of samples, so the figure follows the run
 * instead of its whole history); at the end, the average over the time jobs
 * were being sent. Lines that failed before sending anything (a bad line,
 * a missing file) do not count: they would show a rate no endpoint gave. */
double run_rate_now(struct run *r, uint64_t now, int final)
{
    long long ended = r->c.ended_sent;
    if (final) {
        uint64_t first = r->first_send_ms ? r->first_send_ms : r->t0_us / 1000;
        double s = (double)(now > first ? now - first : 1) / 1000.0;
        return s > 0.001 ? (double)ended / s : 0;
    }
    struct rate_win *w = &r->rate_win;
    if (!w->n || now - w->t_ms[(w->head + w->n - 1) % RATE_SAMPLES] >= RATE_STEP_MS) {
        size_t at = (w->head + w->n) % RATE_SAMPLES;
        if (w->n == RATE_SAMPLES)
            w->head = (w->head + 1) % RATE_SAMPLES;
        else
            w->n++;
        w->t_ms[at] = now;
        w->ended[at] = ended;
    }
    while (w->n > 2 && now - w->t_ms[w->head] > RATE_WINDOW_MS) {
        w->head = (w->head + 1) % RATE_SAMPLES;
        w->n--;
    }
    uint64_t t0 = w->t_ms[w->head];
    if (now - t0 < 500) /* too short to say: since the first request */
        t0 = r->first_send_ms ? r->first_send_ms : t0;
    long long e0 = t0 == w->t_ms[w->head] ? w->ended[w->head] : 0;
    return now > t0 ? (double)(ended - e0) * 1000.0 / (double)(now - t0) : 0;
}

/* The columns the bar may use: the terminal's, else $COLUMNS, else 80. */
static int term_columns(void)
{
    struct winsize ws;
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0)
        return ws.ws_col;
    const char *c = getenv("COLUMNS");
    long v = c ? strtol(c, NULL, 10) : 0;
    return v >= 10 && v <= 1000 ? (int)v : 80;
}

/* One field of the progress line, and how readily it goes when the line is
 * too wide (higher goes first). */
struct pfield {
    char text[64];
    int drop;
};

void run_progress(struct run *r, uint64_t now, int final)
{
    const struct config *cfg = r->cfg;
    if (cfg->quiet || cfg->progress == PROGRESS_NONE)
        return;
    int bar = cfg->progress == PROGRESS_BAR || (cfg->progress == PROGRESS_AUTO && r->tty);
    uint64_t every = bar ? 200 : 5000;
    if (!final && now - r->last_progress_ms < every)
        return;
    r->last_progress_ms = now;
    long long done = done_count(r);
    double rate = run_rate_now(r, now, final);
    char total[32] = "?", tok[16];
    if (r->total_known >= 0)
        snprintf(total, sizeof total, "%lld", r->total_known);
    human((double)r->c.tok_total, tok, sizeof tok);
    /* timers hold tasks waiting to retry and background tasks between polls */
    size_t retrying = 0, polling = 0;
    for (size_t i = 0; i < r->nheap; i++)
        *(r->heap[i]->phase == PH_POLL ? &polling : &retrying) += 1;
    struct pfield f[10];
    int n = 0;
#define FIELD(d, ...) (snprintf(f[n].text, sizeof f[n].text, __VA_ARGS__), f[n++].drop = (d))
    FIELD(0, "%lld/%s done", done, total);
    FIELD(5, ", %lld ok", r->c.completed);
    FIELD(r->c.failed ? 4 : 6, ", %lld failed", r->c.failed);
    FIELD(7, ", %zu in flight", r->inflight);
    FIELD(retrying ? 7 : 8, ", %zu retrying", retrying);
    if (polling)
        FIELD(8, ", %zu polling", polling);
    if (r->batch_states[0]) /* Batch Mode, between looks at its batches */
        FIELD(1, ", batches %.50s", r->batch_states);
    FIELD(3, ", %.0f req/s", rate);
    FIELD(9, ", %s tokens", tok);
    if (r->total_known > done && rate > 0.01 && !final) {
        long s = (long)((double)(r->total_known - done) / rate);
        FIELD(2, " ETA %ld:%02ld", s / 60, s % 60);
    }
#undef FIELD
    char line[768];
    if (!bar) {
        size_t len = 0;
        for (int i = 0; i < n; i++)
            len += (size_t)snprintf(line + len, sizeof line - len, "%s", f[i].text);
        fprintf(stderr, "gembatch: %s\n", line);
        return;
    }
    /* the widest line that fits: drop fields in their order, then narrow the
     * bar, so it never wraps (a wrapped bar scrolls the screen at every redraw) */
    int cols = term_columns() - 1, width = 20;
    for (int level = 10; level >= 0; level--) {
        size_t len = 0;
        for (int i = 0; i < n; i++)
            if (f[i].drop < level || f[i].drop == 0)
                len += strlen(f[i].text);
        width = cols - (int)len - 3 >= 20 ? 20 : cols - (int)len - 3;
        if (width >= 10 || level == 0) {
            size_t k = 0;
            for (int i = 0; i < n; i++)
                if (f[i].drop < level || f[i].drop == 0)
                    k += (size_t)snprintf(line + k, sizeof line - k, "%s", f[i].text);
            break;
        }
    }
    if (width < 0)
        width = 0;
    int fill = r->total_known > 0 ? (int)((double)done * width / (double)r->total_known) : 0;
    char b[32];
    for (int i = 0; i < width; i++)
        b[i] = i < fill ? '#' : '.';
    b[width] = '\0';
    if (width)
        fprintf(stderr, "\r[%s] %.*s\033[K%s", b, cols - width - 3, line, final ? "\n" : "");
    else
        fprintf(stderr, "\r%.*s\033[K%s", cols, line, final ? "\n" : "");
    r->bar_drawn = !final;
}

static json_t *counts_json(const struct run *r)
{
    json_t *http = json_object();
    for (int i = 100; i < 600; i++)
        if (r->c.http[i]) {
            char k[16];
            snprintf(k, sizeof k, "%d", i);
            json_object_set_new(http, k, json_integer(r->c.http[i]));
        }
    json_t *c = json_pack(
        "{s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "lines",
        (json_int_t)r->c.lines, "jobs", (json_int_t)r->c.jobs, "completed",
        (json_int_t)r->c.completed, "failed", (json_int_t)r->c.failed, "skipped_done",
        (json_int_t)r->c.skipped_done, "duplicates", (json_int_t)r->c.duplicates, "other_shards",
        (json_int_t)r->c.shard_skipped, "attempts", (json_int_t)r->c.attempts, "retries",
        (json_int_t)r->c.retries, "polls", (json_int_t)r->c.polls, "in_doubt",
        (json_int_t)(r->c.in_doubt + r->res.in_doubt_prev), "interrupted",
        (json_int_t)r->c.interrupted, "reasks", (json_int_t)r->c.reasks, "reasks_fixed",
        (json_int_t)r->c.reask_ok, "schema_violations", (json_int_t)r->c.schema_failed, "timeouts",
        (json_int_t)r->c.timeouts, "network_errors", (json_int_t)r->c.net_errors, "bad_responses",
        (json_int_t)r->c.bad_bodies);
    json_object_set_new(c, "http", http);
    json_object_set_new(c, "in_doubt_from_previous_run", json_integer(r->res.in_doubt_prev));
    json_object_set_new(c, "restarted_from_previous_run",
                        json_pack("{s:I,s:I}", "jobs", (json_int_t)r->res.restarted_prev,
                                  "answered_requests", (json_int_t)r->res.answered_prev));
    json_object_set_new(c, "torn_lines_dropped", json_integer(r->res.torn));
    json_object_set_new(c, "unreadable_inputs", json_integer(r->input_errors));
    json_object_set_new(c, "tool_calls", json_integer(r->c.tool_calls));
    json_object_set_new(c, "tool_failures", json_integer(r->c.tool_failures));
    json_object_set_new(c, "continuations", json_integer(r->c.continuations));
    json_object_set_new(c, "not_written", json_integer(r->c.unwritten));
    json_object_set_new(c, "skipped", skips_counts_json(&r->skipc));
    json_object_set_new(c, "damaged_lines",
                        json_pack("{s:I,s:I,s:I}", "results", (json_int_t)r->res.damaged_results,
                                  "errors", (json_int_t)r->res.damaged_errors, "journal",
                                  (json_int_t)r->res.damaged_journal));
    json_object_set_new(c, "shed", json_integer(r->c.shed));
    if (r->cfg->mode == MODE_BATCH) {
        json_object_set_new(c, "handed_to_batches", json_integer(r->c.in_batches));
        json_object_set_new(c, "in_batches_from_previous_run", json_integer(r->c.in_batches_before));
    }
    if (r->cfg->mode != MODE_ONLINE) {
        const long long *o = r->c.online_sent;
        json_object_set_new(c, "sent_online",
                            json_pack("{s:I,s:I,s:I,s:I,s:I}", "inexpressible",
                                      (json_int_t)o[ONLINE_INEXPRESSIBLE], "lost",
                                      (json_int_t)o[ONLINE_LOST], "cancelled",
                                      (json_int_t)o[ONLINE_CANCELLED], "reask",
                                      (json_int_t)o[ONLINE_REASK], "line_error",
                                      (json_int_t)o[ONLINE_LINE_ERROR]));
        json_object_set_new(c, "batch_cancels_unconfirmed", json_integer(r->c.cancel_unconfirmed));
    }
    if (r->flex_moved)
        json_object_set_new(c, "flex_moved_to_standard", json_integer(r->flex_moved));
    return c;
}

/* The folder's figures across every run into it (this one included). */
static json_t *totals_json(const struct run *r)
{
    const struct totals *b = &r->base;
    long long failed = r->failed_after >= 0 ? r->failed_after : r->res.failed_prev;
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:{s:I,s:I,s:I,s:I}}", "runs", (json_int_t)(b->runs + 1),
                     "completed", (json_int_t)(r->res.results_lines + r->c.completed), "failed",
                     (json_int_t)failed, "attempts", (json_int_t)(b->attempts + r->c.attempts),
                     "tokens", "input", (json_int_t)(b->tok[0] + r->c.tok_in), "output",
                     (json_int_t)(b->tok[1] + r->c.tok_out), "total",
                     (json_int_t)(b->tok[2] + r->c.tok_total), "thought",
                     (json_int_t)(b->tok[3] + r->c.tok_thought));
    if (r->ledger.prices) {
        json_object_set_new(o, "cost_usd", usd_json(b->usd + r->ledger.total_usd));
        json_object_set_new(o, "unpriced_requests",
                            json_integer(b->unpriced + r->ledger.unknown));
    }
    return o;
}

/* --cache: what the cache did for this run. */
static json_t *cache_json(const struct run *r)
{
    struct cache_counts cc = {0};
    if (r->cfg->cache)
        cache_counts(r->cfg->cache, &cc);
    json_t *o = json_pack("{s:I,s:I,s:I,s:I,s:I,s:I,s:I}", "served", (json_int_t)r->c.cached,
                          "misses", (json_int_t)cc.misses, "expired", (json_int_t)cc.expired,
                          "broken", (json_int_t)cc.broken, "stored", (json_int_t)cc.puts,
                          "not_stored", (json_int_t)cc.skipped_puts, "not_cacheable",
                          (json_int_t)r->c.not_cacheable);
    json_object_set_new(o, "saved_usd",
                        r->cache_saved_unknown ? json_null() : usd_json(r->cache_saved_usd));
    if (r->cfg->cache && cache_failed(r->cfg->cache))
        json_object_set_new(o, "error", json_string(cache_error(r->cfg->cache)));
    else if (!r->cfg->cache)
        json_object_set_new(o, "error", json_string("the cache could not be opened (--cache-optional)"));
    return o;
}

void run_metrics(struct run *r, uint64_t now, int exit_status)
{
    const struct config *cfg = r->cfg;
    if (!cfg->metrics_path || (exit_status < 0 && now - r->last_metrics_ms < 5000))
        return;
    r->last_metrics_ms = now;
    struct metrics m = {0};
    m.pipeline = r->pipe->name;
    m.run_id = r->run_id;
    m.start_time = r->t0_wall;
    m.end_time = exit_status >= 0 ? wall_s() : 0;
    m.exit_status = exit_status;
    m.jobs[MJ_COMPLETED] = r->c.completed - r->c.cached;
    m.jobs[MJ_CACHED] = r->c.cached;
    m.jobs[MJ_FAILED] = r->c.failed;
    m.jobs[MJ_SKIPPED] = r->c.skipped_done;
    m.jobs[MJ_RUNNING] = (long long)r->active;
    m.http = r->c.http;
    m.no_answer = r->c.timeouts + r->c.net_errors;
    m.retries = r->c.retries;
    m.reasks = r->c.reasks;
    m.shed = r->c.shed;
    struct metrics_model mm[64];
    size_t n = 0;
    const char *k;
    json_t *e;
    json_object_foreach (r->ledger.by_model_tier, k, e) {
        if (n == 64)
            break;
        static char names[64][256];
        snprintf(names[n], sizeof names[n], "%s", k);
        char *tab = strchr(names[n], '\t');
        if (!tab)
            continue;
        *tab = '\0';
        mm[n] = (struct metrics_model){names[n],
                                       tab + 1,
                                       json_integer_value(json_object_get(e, "in")),
                                       json_integer_value(json_object_get(e, "out")),
                                       json_integer_value(json_object_get(e, "thought")),
                                       json_real_value(json_object_get(e, "usd"))};
        n++;
    }
    m.models = mm;
    m.nmodels = n;
    if (cfg->cache) {
        struct cache_counts cc;
        cache_counts(cfg->cache, &cc);
        m.cache_hits = r->c.cached;
        m.cache_misses = cc.misses;
    }
    m.cache_saved_usd = r->cache_saved_unknown ? NAN : r->cache_saved_usd;
    m.latency = &r->lat;
    if (exit_status == 0)
        r->last_success = m.end_time;
    m.last_success = r->last_success;
    struct gb_err e2 = {0};
    if (metrics_write(cfg->metrics_path, &m, &e2) && !cfg->quiet && exit_status >= 0)
        log_warn("%s", e2.msg);
}

json_t *run_json_doc(struct run *r, const char *status)
{
    const struct config *cfg = r->cfg;
    char *endpoint = cfg->emulator ? NULL : url_redact(cfg->endpoint);
    char started[32], ended[32];
    iso8601(r->t0_wall, started);
    iso8601(wall_s(), ended);
    json_t *inputs = json_array();
    for (int i = 0; i < cfg->ninputs; i++)
        json_array_append_new(inputs, json_string(cfg->inputs[i]));
    json_t *opts =
        json_pack("{s:I,s:I,s:I,s:I,s:f,s:s,s:s,s:b,s:b,s:I}", "concurrency",
                  (json_int_t)cfg->concurrency, "rpm", (json_int_t)cfg->rpm, "tpm",
                  (json_int_t)cfg->tpm, "max_attempts", (json_int_t)cfg->max_attempts, "timeout_s",
                  cfg->timeout_s, "endpoint", cfg->emulator ? "embedded emulator" : endpoint ? endpoint : "?",
                  "api_version", cfg->dialect == DIALECT_V1 ? "v1" : "v1beta", "stream",
                  cfg->stream, "emulator", cfg->emulator, "reask", (json_int_t)cfg->reask);
    free(endpoint);
    if (cfg->shard_n)
        json_object_set_new(opts, "shard",
                            json_pack("{s:i,s:i}", "k", cfg->shard_k, "n", cfg->shard_n));
    if (cfg->model)
        json_object_set_new(opts, "model", json_string(cfg->model));
    if (cfg->id_prefix && strcmp(cfg->id_prefix, "none"))
        json_object_set_new(opts, "id_prefix", json_string(cfg->id_prefix));
    if (cfg->tier)
        json_object_set_new(opts, "tier", json_string(cfg->tier));
    if (cfg->has_max_cost)
        json_object_set_new(opts, "max_cost",
                            json_pack("{s:f,s:b}", "usd", cfg->max_cost.usd, "additional",
                                      cfg->max_cost.additional));
    if (cfg->finish_by_s > 0) {
        char fb[32];
        iso8601(cfg->finish_by_s, fb);
        json_object_set_new(opts, "finish_by", json_string(fb));
    }
    if (cfg->prices_path)
        json_object_set_new(opts, "prices", json_string(cfg->prices_path));
    double wall = (double)(now_us() - r->t0_us) / 1e6;
    json_t *lat = hist_to_json(&r->lat);
    json_t *tok = json_pack("{s:I,s:I,s:I,s:I}", "input", (json_int_t)r->c.tok_in, "output",
                            (json_int_t)r->c.tok_out, "thought", (json_int_t)r->c.tok_thought,
                            "total", (json_int_t)r->c.tok_total);
    json_t *o = json_pack("{s:{s:s,s:s,s:s},s:o,s:o,s:s,s:s,s:f,s:s,s:o,s:o,s:o,s:s}", "pipeline",
                          "name", r->pipe->name, "path", r->pipe->path, "digest", r->pipe->digest,
                          "inputs", inputs, "options", opts, "started", started, "ended", ended,
                          "wall_s", wall, "status", status, "counts", counts_json(r), "tokens", tok,
                          "latency_ms", lat, "version", GEMBATCH_VERSION);
    json_object_set(jx_obj(o, "pipeline"), "fields", r->pipe->fields);
    json_object_set_new(o, "run_id", json_string(r->run_id));
    if (cfg->cache || cfg->cache_path)
        json_object_set_new(o, "cache", cache_json(r));
    if (r->ledger.prices)
        json_object_set_new(o, "cost", cost_json(r));
    json_object_set_new(o, "totals", totals_json(r));
    if (r->ttft.n)
        json_object_set_new(o, "ttft_ms", hist_to_json(&r->ttft));
    if (json_array_size(r->dups))
        json_object_set(o, "duplicates", r->dups);
    if (json_array_size(r->skipped))
        json_object_set(o, "skipped_entries", r->skipped);
    /* never on a folder of real answers: a refused emulator answer leaves it real */
    if (!r->folder_real && (cfg->emulator || r->synthetic_seen || r->res.synthetic_lines ||
                            jx_bool(r->res.prev_run, "synthetic", 0)))
        json_object_set_new(o, "synthetic", json_true());
    return o;
}

/* Dollars the way people read them: cents for big figures, more digits for
 * the fractions of a cent a single request costs. */
static void usd(double v, char *out, size_t n)
{
    if (isnan(v))
        snprintf(out, n, "unknown");
    else if (v >= 100 || v == 0)
        snprintf(out, n, "$%.2f", v);
    else if (v >= 0.01)
        snprintf(out, n, "$%.4f", v);
    else
        snprintf(out, n, "$%.6f", v);
}

/* A sum v of priced requests, with `unknown` more that had no price:
 * "$0.12", "at least $0.12", or "unknown" when nothing was priced. */
static void usd_part(double v, int priced_any, long long unknown, char *out, size_t n)
{
    char d[32];
    usd(v, d, sizeof d);
    if (unknown && !priced_any)
        snprintf(out, n, "unknown");
    else
        snprintf(out, n, "%s%s", unknown ? "at least " : "", d);
}

static void cost_summary(const struct run *r)
{
    const struct ledger *l = &r->ledger;
    if (!l->prices)
        return;
    char total[48], all[48], by[512] = "", why[1024];
    usd_part(l->total_usd, l->priced > 0, l->unknown, total, sizeof total);
    long long folder_unknown = r->base.unpriced + l->unknown;
    /* the folder's earlier runs had no price either when nothing was ever priced */
    int folder_none = folder_unknown && !(r->base.usd > 0) && !l->priced;
    usd_part(r->base.usd + l->total_usd, !folder_none, folder_unknown, all, sizeof all);
    cost_unpriced_words(r, why, sizeof why);
    size_t k = 0;
    const char *name;
    json_t *e;
    if (l->priced && (json_object_size(l->by_tier) > 1 ||
                      (json_object_size(l->by_tier) == 1 &&
                       !json_object_get(l->by_tier, "standard")))) {
        json_object_foreach (l->by_tier, name, e) {
            char v[48];
            long long req = json_integer_value(json_object_get(e, "requests")),
                      unk = json_integer_value(json_object_get(e, "unknown"));
            usd_part(json_real_value(json_object_get(e, "usd")), req > unk, unk, v, sizeof v);
            k += (size_t)snprintf(by + k, sizeof by - k, "%s%s %s", k ? ", " : "", name, v);
            if (k >= sizeof by)
                break;
        }
    }
    fprintf(stderr, "gembatch:   cost %s", total);
    if (*by || *why)
        fprintf(stderr, " (%s%s%s)", by, *by && *why ? "; " : "", why);
    if (r->base.usd > 0 || (r->base.unpriced && folder_unknown))
        fprintf(stderr, "; %s for this folder in all", all);
    fputc('\n', stderr);
    if (l->doubt_worst_usd > 0) {
        char d[32];
        usd(l->doubt_worst_usd, d, sizeof d);
        fprintf(stderr, "gembatch:   in doubt: at most %s more may have been billed\n", d);
    }
    if (r->c.shed)
        fprintf(stderr, "gembatch:   %lld flex request%s shed by the service and sent again%s\n",
                r->c.shed, r->c.shed == 1 ? " was" : "s were",
                r->flex_moved ? "; some went at standard to end by --finish-by" : "");
    if (r->budget_stop) {
        char lim[32];
        usd(l->budget.limit_usd, lim, sizeof lim);
        fprintf(stderr,
                "gembatch:   stopped at the budget: %s for this folder of %s allowed; run again "
                "with a higher --max-cost (or +USD) to go on\n",
                all, lim);
    }
}

void run_summary(struct run *r, const char *status)
{
    if (r->cfg->quiet)
        return;
    if (r->bar_drawn)
        fputc('\n', stderr);
    double wall = (double)(now_us() - r->t0_us) / 1e6;
    char ti[16], to[16], tt[16];
    human((double)r->c.tok_in, ti, sizeof ti);
    human((double)r->c.tok_out, to, sizeof to);
    human((double)r->c.tok_total, tt, sizeof tt);
    char lat[96] = ""; /* none when every answer came from a batch or the cache */
    if (r->lat.n)
        snprintf(lat, sizeof lat, "; latency p50 %.0f ms, p95 %.0f ms, p99 %.0f ms",
                 (double)hist_quantile(&r->lat, 0.5) / 1000.0,
                 (double)hist_quantile(&r->lat, 0.95) / 1000.0,
                 (double)hist_quantile(&r->lat, 0.99) / 1000.0);
    fprintf(stderr,
            "gembatch: %s in %.1fs: %lld jobs, %lld completed, %lld failed, %lld already done, "
            "%lld interrupted\n"
            "gembatch:   attempts %lld (%lld retries), re-asks %lld (%lld fixed), in doubt %lld "
            "(sent, never answered: may be billed)\n"
            "gembatch:   tokens %s in, %s out, %s total%s\n",
            status, wall, r->c.jobs + r->c.skipped_done + r->c.in_batches_before, r->c.completed, r->c.failed,
            r->c.skipped_done, r->c.interrupted, r->c.attempts, r->c.retries, r->c.reasks,
            r->c.reask_ok, r->c.in_doubt + r->res.in_doubt_prev, ti, to, tt, lat);
    if (r->c.continuations)
        fprintf(stderr,
                "gembatch:   %lld continuation requests (for answers the service cut at its "
                "output limit; each one bills the input again)\n",
                r->c.continuations);
    cost_summary(r);
    if (r->c.in_batches || r->c.in_batches_before)
        fprintf(stderr, "gembatch:   batches: %lld job%s handed to batches in this run, %lld in "
                "batches an earlier run made\n", r->c.in_batches, r->c.in_batches == 1 ? "" : "s",
                r->c.in_batches_before);
    const long long *o = r->c.online_sent;
    if (o[0] + o[1] + o[2] + o[3] + o[4])
        fprintf(stderr, "gembatch:   sent online: %lld a batch cannot express, %lld from batches "
                "that ended unanswered, %lld from batches cancelled for --finish-by, %lld "
                "re-asks, %lld whose batch line failed\n", o[ONLINE_INEXPRESSIBLE], o[ONLINE_LOST],
                o[ONLINE_CANCELLED], o[ONLINE_REASK], o[ONLINE_LINE_ERROR]);
    if (r->c.cancel_unconfirmed)
        fprintf(stderr, "gembatch:   %lld cancelled batch%s never confirmed: if %s answered "
                "anyway, those requests were billed twice\n", r->c.cancel_unconfirmed,
                r->c.cancel_unconfirmed == 1 ? "" : "es", r->c.cancel_unconfirmed == 1 ? "it" : "they");
    if (r->batches_running)
        fprintf(stderr,
                "gembatch:   %d batch%s still running: run the same command again to pick up "
                "the results (or add --wait)\n",
                r->batches_running, r->batches_running == 1 ? " is" : "es are");
    if (skips_total(&r->skipc)) {
        char sl[400];
        fprintf(stderr, "gembatch:   %s (listed in run.json)\n", skips_line(&r->skipc, sl, sizeof sl));
    }
    if (r->c.unwritten)
        fprintf(stderr,
                "gembatch:   %lld job%s ended but could not be written (the output disk failed); "
                "%s again on resume\n",
                r->c.unwritten, r->c.unwritten == 1 ? "" : "s",
                r->c.unwritten == 1 ? "it runs" : "they run");
    if (r->c.duplicates)
        fprintf(stderr, "gembatch:   %lld duplicate-id line%s not run (listed in run.json)\n",
                r->c.duplicates, r->c.duplicates == 1 ? " was" : "s were");
    fprintf(stderr, "gembatch:   results in %s/results.jsonl%s%s%s\n", r->cfg->out_dir,
            r->c.failed ? ", errors in " : "", r->c.failed ? r->cfg->out_dir : "",
            r->c.failed ? "/errors.jsonl" : "");
}
