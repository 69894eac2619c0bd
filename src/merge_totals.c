/* merge_totals.c: run.json of a merged folder from its shards' run.json:
 * counts and tokens summed, latency histograms merged bucket by bucket (so
 * the percentiles are exact), the split of a sharded run kept. Pure: no I/O. */
#include "merge.h"
#include "hist.h"
#include "jsonx.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- run.json totals ------------------------------------------------------------ */

void merge_sum_into(json_t *dst, const json_t *src)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)src, k, v) {
        json_t *d = json_object_get(dst, k);
        if (json_is_integer(v) && !d)
            json_object_set_new(dst, k, json_integer(json_integer_value(v)));
        else if (json_is_integer(v) && json_is_integer(d))
            json_integer_set(d, json_integer_value(d) + json_integer_value(v));
        else if (json_is_real(v) && !d)
            json_object_set_new(dst, k, json_real(json_real_value(v)));
        else if (json_is_real(v) && json_is_number(d))
            json_object_set_new(dst, k, json_real(json_number_value(d) + json_real_value(v)));
        else if (json_is_object(v) && !d)
            json_object_set_new(dst, k, json_deep_copy(v));
        else if (json_is_object(v) && json_is_object(d))
            merge_sum_into(d, v);
    }
}

static double iso_to_s(const char *s)
{
    struct tm tm = {0};
    if (!s || sscanf(s, "%d-%d-%dT%d:%d:%d", &tm.tm_year, &tm.tm_mon, &tm.tm_mday, &tm.tm_hour,
                     &tm.tm_min, &tm.tm_sec) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    return (double)timegm(&tm);
}

static int status_rank(const char *s)
{
    if (!s || !strcmp(s, "completed"))
        return 0;
    return !strcmp(s, "aborted") ? 3 : !strcmp(s, "interrupted") ? 2 : 1;
}

/* The shards' histograms under key added bucket by bucket: the percentiles
 * are the ones a single run over all the jobs would report. NULL when no
 * shard has the key, unless always (then it is empty). *partial is set when
 * some shard has the key without its histogram (a run.json from before
 * histograms were kept for it). */
static json_t *merged_hist(json_t *const *runs, int n, const char *key, int always, int *partial)
{
    struct hist *h = malloc(sizeof *h);
    if (!h)
        return NULL;
    hist_init(h);
    int any = 0;
    *partial = 0;
    for (int i = 0; i < n; i++) {
        json_t *o = jx_obj(runs[i], key);
        if (!o)
            continue;
        any = 1;
        if (!hist_add_json(h, o))
            *partial = 1;
    }
    json_t *out = any || always ? hist_to_json(h) : NULL;
    free(h);
    return out;
}

long long merge_count_of(const json_t *counts, const char *k)
{
    long long v = 0;
    return counts && !jx_int(counts, k, &v) ? v : 0;
}

/* The N of the --shard K/N split a folder ran (options.shard) or merged
 * (options.split, written below), or 0. */
static long long split_n(const json_t *run)
{
    json_t *o = jx_obj(run, "options"), *sh = jx_obj(o, "shard"), *sp = jx_obj(o, "split");
    long long n = 0;
    if ((sh && !jx_int(sh, "n", &n)) || (sp && !jx_int(sp, "n", &n)))
        return n > 0 && n <= 100000 ? n : 0;
    return 0;
}

/* Mark the ks a folder holds in seen[1..n]. */
static void split_mark(const json_t *run, unsigned char *seen, long long n)
{
    json_t *o = jx_obj(run, "options"), *sh = jx_obj(o, "shard"), *sp = jx_obj(o, "split");
    long long k = 0;
    size_t i;
    json_t *v;
    if (sh && !jx_int(sh, "k", &k) && k >= 1 && k <= n)
        seen[k] = 1;
    json_array_foreach(sp ? jx_arr(sp, "k") : NULL, i, v) {
        if (json_is_integer(v) && json_integer_value(v) >= 1 && json_integer_value(v) <= n)
            seen[json_integer_value(v)] = 1;
    }
}

/* When every folder is part of one K/N split: that N and the ks present
 * marked in a new array (free it), else NULL. */
unsigned char *merge_split_of(json_t *const *runs, int n, long long *nn)
{
    *nn = split_n(runs[0]);
    for (int i = 1; i < n && *nn; i++)
        if (split_n(runs[i]) != *nn)
            *nn = 0;
    unsigned char *seen = *nn ? calloc((size_t)*nn + 1, 1) : NULL;
    for (int i = 0; seen && i < n; i++)
        split_mark(runs[i], seen, *nn);
    return seen;
}

/* Counts are summed, but shards of one --shard split each read all the input
 * lines: those count once, and other_shards becomes the lines of shards that
 * are not here. */
static json_t *merged_counts(json_t *const *runs, int n)
{
    json_t *c = json_object();
    long long lines_split = 0, lines_other = 0;
    int any_split = 0;
    for (int i = 0; i < n; i++) {
        json_t *rc = jx_obj(runs[i], "counts"), *opts = jx_obj(runs[i], "options");
        if (rc)
            merge_sum_into(c, rc);
        long long l = merge_count_of(rc, "lines");
        if (split_n(runs[i]) || (opts && jx_obj(opts, "shard"))) {
            any_split = 1;
            lines_split = l > lines_split ? l : lines_split;
        } else {
            lines_other += l;
        }
    }
    if (any_split && json_object_get(c, "lines")) {
        long long lines = lines_split + lines_other;
        long long other = lines - merge_count_of(c, "jobs") - merge_count_of(c, "skipped_done") -
                          merge_count_of(c, "duplicates");
        json_object_set_new(c, "lines", json_integer(lines));
        json_object_set_new(c, "other_shards", json_integer(other > 0 ? other : 0));
    }
    return c;
}

static void append_capped(json_t *dst, const json_t *src)
{
    size_t k;
    json_t *v;
    json_array_foreach((json_t *)src, k, v) {
        if (json_array_size(dst) >= MERGE_LIST_JSON_MAX)
            break;
        json_array_append(dst, v);
    }
}

json_t *merge_run_json(json_t *const *runs, int n, json_t *merge_info)
{
    json_t *o = json_object(), *inputs = json_array(), *dups = json_array(),
           *skipped = json_array(), *tok = json_object();
    json_t *opts = json_deep_copy(jx_obj(runs[0], "options"));
    const char *started = NULL, *ended = NULL, *status = "completed";
    long long rpm = 0, tpm = 0, ttft = 0;
    int partial = 0;
    int rates_all = 1, synthetic = 0;
    for (int i = 0; i < n; i++) {
        const json_t *r = runs[i];
        size_t k;
        json_t *v;
        json_array_foreach(jx_arr(r, "inputs"), k, v) {
            size_t j;
            json_t *w;
            int have = 0;
            json_array_foreach(inputs, j, w) have |= json_equal(v, w);
            if (!have)
                json_array_append(inputs, v);
        }
        const char *s = jx_str(r, "started"), *e = jx_str(r, "ended"), *st = jx_str(r, "status");
        if (s && (!started || strcmp(s, started) < 0))
            started = s;
        if (e && (!ended || strcmp(e, ended) > 0))
            ended = e;
        if (status_rank(st) > status_rank(status))
            status = st;
        json_t *ro = jx_obj(r, "options");
        long long x = merge_count_of(ro, "rpm"), y = merge_count_of(ro, "tpm");
        rpm += x;
        rates_all &= x > 0;
        tpm += y > 0 ? y : 0;
        if (jx_obj(r, "tokens"))
            merge_sum_into(tok, jx_obj(r, "tokens"));
        if (jx_obj(r, "ttft_ms"))
            ttft += merge_count_of(jx_obj(r, "ttft_ms"), "samples");
        if (jx_arr(r, "duplicates"))
            append_capped(dups, jx_arr(r, "duplicates"));
        if (jx_arr(r, "skipped_entries"))
            append_capped(skipped, jx_arr(r, "skipped_entries"));
        synthetic |= jx_bool(r, "synthetic", 0);
    }
    if (opts) {
        /* the shards ran side by side: their request rates add up */
        json_object_del(opts, "shard");
        json_object_del(opts, "split");
        long long sn;
        unsigned char *seen = merge_split_of(runs, n, &sn);
        if (seen) { /* so merging merged folders still knows the split */
            json_t *ks = json_array();
            for (long long k = 1; k <= sn; k++)
                if (seen[k])
                    json_array_append_new(ks, json_integer(k));
            json_object_set_new(opts, "split", json_pack("{s:I,s:o}", "n", (json_int_t)sn,
                                                         "k", ks));
        }
        free(seen);
        json_object_set_new(opts, "rpm", json_integer(rates_all ? rpm : 0));
        json_object_set_new(opts, "tpm", json_integer(tpm));
    }
    json_object_set_new(o, "pipeline", json_deep_copy(jx_obj(runs[0], "pipeline")));
    json_object_set_new(o, "inputs", inputs);
    json_object_set_new(o, "options", opts ? opts : json_object());
    json_object_set_new(o, "started", json_string(started ? started : ""));
    json_object_set_new(o, "ended", json_string(ended ? ended : ""));
    double t0 = iso_to_s(started), t1 = iso_to_s(ended);
    json_object_set_new(o, "wall_s", json_real(t0 >= 0 && t1 >= t0 ? t1 - t0 : 0));
    json_object_set_new(o, "status", json_string(status));
    json_object_set_new(o, "counts", merged_counts(runs, n));
    json_object_set_new(o, "tokens", tok);
    json_object_set_new(o, "latency_ms", merged_hist(runs, n, "latency_ms", 1, &partial));
    json_t *tt = ttft ? merged_hist(runs, n, "ttft_ms", 0, &partial) : NULL;
    if (tt && partial) { /* an older shard kept only percentiles: they do not add up */
        json_decref(tt);
        tt = json_pack("{s:I}", "samples", (json_int_t)ttft);
    }
    if (tt)
        json_object_set_new(o, "ttft_ms", tt);
    if (json_array_size(dups))
        json_object_set(o, "duplicates", dups);
    if (json_array_size(skipped))
        json_object_set(o, "skipped_entries", skipped);
    json_decref(dups);
    json_decref(skipped);
    if (synthetic)
        json_object_set_new(o, "synthetic", json_true());
    json_object_set_new(o, "version", json_string(GEMBATCH_VERSION));
    if (merge_info)
        json_object_set(o, "merge", merge_info);
    return o;
}
