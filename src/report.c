/* report.c: builds the HTML report of an output folder. Pass 1 streams
 * results.jsonl and errors.jsonl into bounded accumulators (counts, latency,
 * fields, error groups, images); pass 2 streams them again for what needs
 * pass 1's totals (exact top values, bins, the table sample), spooling the
 * table's rows to an unlinked file beside the page. Then report_html.c writes
 * the page to a temporary file that is renamed over the target. */
#include "report.h"
#include "report_int.h"

#include "fsx.h"
#include "jfast.h"
#include "jsonx.h"
#include "log.h"
#include "manifest.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum line_kind { LK_RESULT, LK_ERROR };

void rpt_free(struct rpt *r)
{
    free(r->outfile);
    free(r->prefix);
    json_decref(r->run);
    rf_free(&r->fields);
    for (int i = 0; i < r->ncols; i++)
        free(r->cols[i]);
    for (int i = 0; i < r->ngroups; i++) {
        free(r->groups[i].status);
        for (int k = 0; k < r->groups[i].nex; k++) {
            free(r->groups[i].ex[k].id);
            free(r->groups[i].ex[k].msg);
            free(r->groups[i].ex[k].where);
        }
    }
    for (size_t i = 0; i < r->nimg; i++) {
        free(r->img[i].id);
        free(r->img[i].url);
    }
    for (int i = 0; i < r->nstatus; i++)
        free(r->statuses[i]);
    if (r->spool)
        fclose(r->spool);
}

/* ---- times ---------------------------------------------------------------------- */

/* "finished_at": seconds since the epoch, or ISO 8601 UTC with an optional
 * fraction ("2026-11-25T13:17:56.250Z"). -1 when absent or not a time. */
double rpt_time_of(const json_t *v)
{
    if (json_is_number(v))
        return json_number_value(v) > 0 ? json_number_value(v) : -1;
    const char *s = json_string_value(v);
    if (!s)
        return -1;
    struct tm tm = {0};
    int n = 0;
    if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d%n", &tm.tm_year, &tm.tm_mon, &tm.tm_mday,
               &tm.tm_hour, &tm.tm_min, &tm.tm_sec, &n) != 6)
        return -1;
    tm.tm_year -= 1900;
    tm.tm_mon -= 1;
    double frac = 0;
    const char *p = s + n;
    if (*p == '.') {
        double scale = 0.1;
        for (p++; *p >= '0' && *p <= '9'; p++, scale /= 10)
            frac += (*p - '0') * scale;
    }
    double off = 0;
    if ((*p == '+' || *p == '-') && strlen(p) >= 6) {
        int hh = 0, mm = 0;
        if (sscanf(p + 1, "%2d:%2d", &hh, &mm) == 2)
            off = (*p == '+' ? 1 : -1) * (hh * 3600.0 + mm * 60.0);
    }
    time_t t = timegm(&tm);
    return t == (time_t)-1 ? -1 : (double)t + frac - off;
}

static const double time_steps[] = {0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600,
                                    900, 1800, 3600, 7200, 10800, 21600, 43200, 86400};

static void layout_time(struct rpt *r)
{
    if (r->n_timed < 2 || r->tmax <= r->tmin)
        return;
    double span = r->tmax - r->tmin, w = 0;
    for (size_t i = 0; i < sizeof time_steps / sizeof time_steps[0] && !w; i++)
        if (span / time_steps[i] < RPT_TIME_BINS)
            w = time_steps[i];
    if (!w) /* days: whole days */
        w = ceil(span / (RPT_TIME_BINS - 1) / 86400) * 86400;
    r->tw = w;
    r->t0 = floor(r->tmin / w) * w;
    r->ntbins = (int)floor((r->tmax - r->t0) / w) + 1;
    if (r->ntbins > RPT_TIME_BINS)
        r->ntbins = RPT_TIME_BINS;
}

static void time_bin(struct rpt *r, double t, int failed)
{
    if (t < 0 || !r->ntbins)
        return;
    long b = (long)floor((t - r->t0) / r->tw);
    if (b < 0)
        b = 0;
    if (b >= r->ntbins)
        b = r->ntbins - 1;
    (failed ? r->tb_fail : r->tb_ok)[b]++;
}

/* ---- pass 1 helpers ----------------------------------------------------------------- */

static char *dup_cut(const char *s, size_t n, size_t max)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    html_esc(&b, s, n, max); /* stored escaped: these strings only ever go to the page */
    size_t len;
    char *d = buf_detach(&b, &len);
    return d ? d : strdup("");
}

int rpt_status_index(struct rpt *r, const char *s)
{
    if (!s)
        s = "(none)";
    for (int i = 0; i < r->nstatus; i++)
        if (!strcmp(r->statuses[i], s))
            return i;
    if (r->pass != 1 || r->nstatus == RPT_MAX_STATUSES)
        return -1;
    char *d = strndup(s, 40);
    if (!d)
        return -1;
    r->statuses[r->nstatus] = d;
    return r->nstatus++;
}

static void note_bad(struct rpt *r, const char *file, long line, const char *why)
{
    if (r->pass != 1)
        return;
    if (r->n_bad < RPT_BAD_LISTED) {
        struct rpt_bad *b = &r->bad[r->n_bad];
        snprintf(b->file, sizeof b->file, "%s", file);
        b->line = line;
        snprintf(b->why, sizeof b->why, "%s", why);
    }
    r->n_bad++;
}

static void add_attempts(uint64_t *bars, const json_t *o)
{
    long long a = 1;
    if (jx_int(o, "attempts", &a) || a < 1)
        a = 1;
    bars[a >= RPT_ATTEMPT_BARS ? RPT_ATTEMPT_BARS : a]++;
}

static void add_columns(struct rpt *r, const json_t *output)
{
    if (!json_is_object(output) || r->ncols == RPT_TABLE_FIELDS)
        return;
    const char *k;
    json_t *v;
    json_object_foreach ((json_t *)output, k, v) {
        int have = 0;
        for (int i = 0; i < r->ncols; i++)
            have |= !strcmp(r->cols[i], k);
        if (!have && r->ncols < RPT_TABLE_FIELDS && (r->cols[r->ncols] = strdup(k)))
            r->ncols++;
    }
}

static void add_images(struct rpt *r, const json_t *idv, const json_t *files)
{
    size_t i;
    json_t *f;
    json_array_foreach ((json_t *)files, i, f) {
        const char *p = json_string_value(f);
        if (!p)
            continue;
        r->nimg_total++;
        if (r->nimg == RPT_MAX_IMAGES)
            continue;
        char *url = url_rel(r->prefix, p);
        if (!url) {
            r->nimg_refused++;
            continue;
        }
        char *d = dup_cut(json_string_value(idv), json_string_length(idv), RPT_CELL_MAX);
        if (!d) {
            free(url);
            continue;
        }
        r->img[r->nimg++] = (struct rpt_image){d, url};
    }
}

static void add_error_group(struct rpt *r, const json_t *o, const char *file, long line)
{
    json_t *e = jx_obj(o, "error");
    long long code = 0;
    jx_int(e, "code", &code);
    const char *status = jx_str(e, "status");
    if (!status)
        status = "";
    struct rpt_group *g = NULL;
    for (int i = 0; i < r->ngroups && !g; i++)
        if (r->groups[i].code == code && !strcmp(r->groups[i].status, status))
            g = &r->groups[i];
    if (!g && r->ngroups < RPT_MAX_GROUPS && (r->groups[r->ngroups].status = strndup(status, 80)))
        g = &r->groups[r->ngroups++], g->code = (long)code;
    if (!g) {
        r->groups_other++;
        return;
    }
    g->n++;
    if (g->nex == RPT_EXAMPLES)
        return;
    json_t *idv = json_object_get(o, "id"), *m = json_object_get(e, "message");
    const char *in = jx_str(o, "input"), *entry = jx_str(o, "entry");
    long long mline = 0;
    char where[600];
    if (entry)
        snprintf(where, sizeof where, "%.300s: %.280s", in ? in : "?", entry);
    else if (!jx_int(o, "line", &mline))
        snprintf(where, sizeof where, "%.500s:%lld", in ? in : "?", mline);
    else
        snprintf(where, sizeof where, "%s:%ld", file, line);
    struct rpt_example *x = &g->ex[g->nex];
    x->id = dup_cut(json_string_value(idv), json_string_length(idv), RPT_CELL_MAX);
    x->msg = dup_cut(json_is_string(m) ? json_string_value(m) : "", json_string_length(m), 400);
    x->where = dup_cut(where, strlen(where), 0);
    g->nex++;
}

/* ---- the table's rows (pass 2) ------------------------------------------------------ */

static void cell(struct buf *b, const json_t *v)
{
    if (json_is_string(v)) {
        json_esc(b, json_string_value(v), json_string_length(v), RPT_CELL_MAX);
    } else if (json_is_integer(v)) {
        buf_printf(b, "%lld", (long long)json_integer_value(v));
    } else if (json_is_real(v)) {
        buf_printf(b, "%.6g", json_real_value(v));
    } else if (json_is_boolean(v)) {
        buf_puts(b, json_is_true(v) ? "true" : "false");
    } else if (json_is_array(v)) { /* scalars joined: ["grey", "blue"] -> "grey, blue" */
        struct buf t;
        buf_init(&t, 4 * RPT_CELL_MAX);
        size_t i;
        json_t *e;
        json_array_foreach ((json_t *)v, i, e) {
            if (t.len > RPT_CELL_MAX)
                break;
            if (i)
                buf_puts(&t, ", ");
            if (json_is_string(e))
                buf_append(&t, json_string_value(e), json_string_length(e));
            else if (!json_is_object(e) && !json_is_array(e))
                jf_append(&t, e);
            else
                buf_puts(&t, json_is_object(e) ? "{...}" : "[...]");
        }
        json_esc(b, t.data ? t.data : "", t.len, RPT_CELL_MAX);
        buf_free(&t);
    } else if (json_is_object(v)) {
        size_t n = 0;
        char *d = jf_dump(v, &n);
        json_esc(b, d ? d : "", d ? n : 0, RPT_CELL_MAX);
        free(d);
    } else {
        buf_puts(b, "null");
    }
}

static void num_or_null(struct buf *b, const json_t *o, const char *k)
{
    double d;
    if (jx_num(o, k, &d))
        buf_puts(b, "null");
    else
        buf_printf(b, "%.10g", d);
}

static int table_row(struct rpt *r, const json_t *o, enum line_kind kind)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    json_t *idv = json_object_get(o, "id"), *out = json_object_get(o, "output");
    buf_puts(&b, r->rows_kept ? ",\n[" : "[");
    json_esc(&b, json_string_value(idv), json_string_length(idv), 0);
    buf_printf(&b, ",%d", rpt_status_index(r, jx_str(o, "status")));
    for (int i = 0; i < r->ncols; i++) {
        buf_putc(&b, ',');
        cell(&b, json_is_object(out) ? json_object_get(out, r->cols[i]) : NULL);
    }
    if (rpt_has_text(r)) {
        buf_putc(&b, ',');
        cell(&b, kind == LK_RESULT && !out ? json_object_get(o, "text") : NULL);
    }
    if (r->n_errors) {
        buf_putc(&b, ',');
        json_t *e = jx_obj(o, "error");
        if (kind == LK_ERROR && e) {
            struct buf t;
            buf_init(&t, 4096);
            long long code = 0;
            const char *st = jx_str(e, "status"), *msg = jx_str(e, "message");
            if (!jx_int(e, "code", &code) && code)
                buf_printf(&t, "%lld ", code);
            buf_printf(&t, "%.80s: %.600s", st ? st : "", msg ? msg : "");
            json_esc(&b, t.data ? t.data : "", t.len, 2 * RPT_CELL_MAX);
            buf_free(&t);
        } else {
            buf_puts(&b, "null");
        }
    }
    buf_putc(&b, ',');
    num_or_null(&b, o, "latency_ms");
    buf_putc(&b, ',');
    num_or_null(&b, o, "attempts");
    if (r->n_cost) {
        buf_putc(&b, ',');
        num_or_null(&b, o, "cost_usd");
    }
    if (r->n_cached)
        buf_puts(&b, jx_bool(o, "cached", 0) ? ",true" : ",false");
    buf_putc(&b, ']');
    int rc = b.data && fwrite(b.data, 1, b.len, r->spool) == b.len ? 0 : GB_EIO;
    buf_free(&b);
    r->rows_kept++;
    return rc;
}

/* Row i of rows_total is kept when it starts a new step of total/max: an
 * even sample of exactly max rows, in file order. */
static int keep_row(struct rpt *r)
{
    uint64_t i = r->row_i++, k = (uint64_t)r->max_rows, t = r->rows_total;
    if (t <= k)
        return 1;
    return (i + 1) * k / t != i * k / t;
}

/* ---- one line --------------------------------------------------------------------- */

static int on_result(struct rpt *r, const json_t *o)
{
    json_t *out = json_object_get(o, "output");
    double t = rpt_time_of(json_object_get(o, "finished_at"));
    if (r->pass == 2) {
        if (out && rf_add(&r->fields, out))
            return GB_ENOMEM;
        time_bin(r, t, 0);
        return 0;
    }
    r->n_results++;
    rpt_status_index(r, jx_str(o, "status"));
    add_attempts(r->attempts_ok, o);
    long long n = 0;
    if (!jx_int(o, "reasks", &n) && n > 0)
        r->reasks[n >= 3 ? 3 : n]++;
    else
        r->reasks[0]++;
    json_t *u = jx_obj(o, "usage");
    if (!jx_int(u, "total_input_tokens", &n))
        r->tok_in += (uint64_t)(n > 0 ? n : 0);
    if (!jx_int(u, "total_output_tokens", &n))
        r->tok_out += (uint64_t)(n > 0 ? n : 0);
    if (!jx_int(u, "total_tokens", &n))
        r->tok_total += (uint64_t)(n > 0 ? n : 0);
    double ms;
    if (!jx_num(o, "latency_ms", &ms) && ms >= 0 && ms < 1e12)
        hist_add(&r->lat_lines, (uint64_t)(ms * 1000));
    if (out) {
        if (rf_add(&r->fields, out))
            return GB_ENOMEM;
        add_columns(r, out);
    } else {
        r->n_text++;
    }
    if (jx_arr(o, "files"))
        add_images(r, json_object_get(o, "id"), jx_arr(o, "files"));
    if (jx_bool(o, "cached", 0))
        r->n_cached++;
    return 0;
}

static void on_any(struct rpt *r, const json_t *o)
{
    double t = rpt_time_of(json_object_get(o, "finished_at")), c;
    if (t >= 0) {
        if (!r->n_timed || t < r->tmin)
            r->tmin = t;
        if (!r->n_timed || t > r->tmax)
            r->tmax = t;
        r->n_timed++;
    }
    if (!jx_num(o, "cost_usd", &c) && isfinite(c)) {
        r->n_cost++;
        r->cost_sum += c;
    }
}

static int on_line(struct rpt *r, enum line_kind kind, const char *file, long lineno,
                   const char *line, size_t len)
{
    json_t *o = jf_parse(line, len);
    if (!o)
        o = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    if (!json_is_object(o) || !json_is_string(json_object_get(o, "id"))) {
        note_bad(r, file, lineno, o ? "not a result line (no \"id\")" : "not JSON (a torn line?)");
        json_decref(o);
        return 0;
    }
    int rc = 0;
    if (r->pass == 1)
        on_any(r, o);
    if (kind == LK_RESULT) {
        rc = on_result(r, o);
    } else if (r->pass == 1) {
        r->n_errors++;
        rpt_status_index(r, jx_str(o, "status"));
        add_attempts(r->attempts_fail, o);
        add_error_group(r, o, file, lineno);
    } else {
        time_bin(r, rpt_time_of(json_object_get(o, "finished_at")), 1);
    }
    if (!rc && r->pass == 2 && keep_row(r))
        rc = table_row(r, o, kind);
    json_decref(o);
    return rc;
}

static int scan_file(struct rpt *r, enum line_kind kind, struct gb_err *err)
{
    const char *name = kind == LK_RESULT ? "results.jsonl" : "errors.jsonl";
    char *path = fsx_join(r->outdir, name);
    struct man_reader m;
    int rc = 0;
    if (!path)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    if (access(path, F_OK)) {
        free(path);
        return 0;
    }
    rc = man_open(path, RPT_MAX_LINE, &m, err);
    if (rc)
        goto out;
    const char *line;
    size_t len;
    long lineno;
    for (;;) {
        struct gb_err lerr = {0};
        int k = man_next(&m, &line, &len, &lineno, &lerr);
        if (k == 0)
            break;
        if (k == GB_ELIMIT) {
            note_bad(r, name, lineno, "longer than 16 MiB");
            continue;
        }
        if (k < 0) {
            *err = lerr;
            rc = k;
            break;
        }
        if ((rc = on_line(r, kind, name, lineno, line, len))) {
            GB_FAIL(err, rc, "%s: %s", path, rc == GB_EIO ? strerror(errno) : gb_strerror(rc));
            break;
        }
    }
    man_close(&m);
out:
    free(path);
    return rc;
}

static int scan(struct rpt *r, int pass, struct gb_err *err)
{
    r->pass = pass;
    r->row_i = 0;
    int rc = scan_file(r, LK_RESULT, err);
    return rc ? rc : scan_file(r, LK_ERROR, err);
}

/* ---- files ----------------------------------------------------------------------- */

/* The relative path from folder `from` to folder `to` (both absolute and
 * resolved), with a trailing '/', or "" when they are the same. New string. */
char *rpt_rel_prefix(const char *from, const char *to)
{
    size_t common = 0, i = 0;
    for (;; i++) { /* the longest common run of whole components */
        char a = from[i], b = to[i];
        if ((a == '/' || !a) && (b == '/' || !b))
            common = i;
        if (a != b || !a)
            break;
    }
    struct buf p;
    buf_init(&p, PATH_MAX * 4);
    for (const char *c = from + common; *c; c++)
        if (*c == '/' && c[1])
            buf_puts(&p, "../");
    const char *rest = to + common;
    while (*rest == '/')
        rest++;
    if (*rest)
        buf_printf(&p, "%s/", rest);
    size_t len;
    char *s = buf_detach(&p, &len);
    return s ? s : strdup("");
}

static void load_run(struct rpt *r)
{
    char *path = fsx_join(r->outdir, "run.json");
    struct gb_err e = {0};
    if (path && access(path, F_OK)) {
        snprintf(r->run_problem, sizeof r->run_problem,
                 "there is no run.json: the figures come from the result lines");
    } else if (path) {
        r->run = jx_load_file(path, &e);
        if (r->run && !json_is_object(r->run)) {
            json_decref(r->run);
            r->run = NULL;
            snprintf(e.msg, sizeof e.msg, "run.json is not a JSON object");
        }
        if (!r->run) {
            char m[1600];
            snprintf(r->run_problem, sizeof r->run_problem,
                     "run.json is unreadable (%.200s): the figures come from the result lines",
                     gb_err_str(&e, m, sizeof m));
            log_warn("%s", r->run_problem);
        }
    }
    free(path);
}

static int has_any(const char *dir)
{
    static const char *const names[] = {"results.jsonl", "errors.jsonl", "run.json"};
    int any = 0;
    for (size_t i = 0; i < 3; i++) {
        char *p = fsx_join(dir, names[i]);
        any |= p && !access(p, F_OK);
        free(p);
    }
    return any;
}

/* An unlinked scratch file in dir (the table's rows): nothing is left
 * behind, and nothing is written outside the page's folder. */
static FILE *spool_in(const char *dir)
{
    char *t = fsx_join(dir, ".report-spool-XXXXXX");
    int fd = t ? mkstemp(t) : -1;
    FILE *f = NULL;
    if (fd >= 0) {
        unlink(t);
        f = fdopen(fd, "w+");
        if (!f)
            close(fd);
    }
    free(t);
    return f;
}

static void warn_bad(const struct rpt *r)
{
    for (uint64_t i = 0; i < r->n_bad && i < RPT_BAD_LISTED; i++)
        log_warn("%s/%s:%ld: %s; left out of the report", r->outdir, r->bad[i].file,
                 r->bad[i].line, r->bad[i].why);
    if (r->n_bad > RPT_BAD_LISTED)
        log_warn("%llu more unreadable lines left out of the report",
                 (unsigned long long)(r->n_bad - RPT_BAD_LISTED));
}

/* Write the page to a temporary file beside the target, then rename. */
static int write_atomic(struct rpt *r, const char *page_dir, long long *bytes, struct gb_err *err)
{
    size_t tl = strlen(r->outfile) + 16;
    char *tmp = malloc(tl);
    int rc = GB_EIO, fd = -1;
    FILE *f = NULL;
    if (!tmp)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    /* O_EXCL|O_NOFOLLOW and 0666, so the umask decides its mode as it does
     * every other output's (mkstemp's 0600 was widened to 0644 by hand) */
    if ((fd = fsx_tmp_at(AT_FDCWD, r->outfile, tmp, tl)) < 0) {
        tmp[0] = '\0';
        GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", page_dir, strerror(errno));
        goto fail;
    }
    if (!(f = fdopen(fd, "w"))) {
        GB_FAIL(err, GB_EIO, "'%s': %s", tmp, strerror(errno));
        goto fail;
    }
    fd = -1;
    if ((rc = rpt_write_page(r, f, err)))
        goto fail;
    *bytes = (long long)ftell(f);
    if (fflush(f) || fsync(fileno(f)) || ferror(f)) {
        rc = GB_FAIL(err, GB_EIO, "write failed in '%s': %s", tmp, strerror(errno));
        goto fail;
    }
    int e = fclose(f);
    f = NULL;
    if (e || rename(tmp, r->outfile)) {
        rc = GB_FAIL(err, GB_EIO, "cannot write '%s': %s", r->outfile, strerror(errno));
        goto fail;
    }
    free(tmp);
    return 0;
fail:
    if (f)
        fclose(f);
    if (fd >= 0)
        close(fd);
    if (tmp[0])
        unlink(tmp);
    free(tmp);
    return rc;
}

int report_build(const struct report_opts *o, struct report_info *info, struct gb_err *err)
{
    struct rpt *r = calloc(1, sizeof *r);
    char *page_dir = NULL, *page_real = NULL, *dir_real = NULL;
    int rc = GB_ENOMEM;
    if (!r)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    r->outdir = o->outdir;
    r->max_rows = o->max_rows > 0 ? o->max_rows : REPORT_MAX_ROWS_DEFAULT;
    hist_init(&r->lat_lines);
    rf_init(&r->fields);
    if (!(dir_real = realpath(o->outdir, NULL))) {
        rc = GB_FAIL(err, GB_ENOENT, "'%s': %s; give the output folder of a run", o->outdir,
                     strerror(errno));
        goto out;
    }
    if (!has_any(o->outdir)) {
        rc = GB_FAIL(err, GB_ENOENT,
                     "'%s' holds no results.jsonl, errors.jsonl or run.json; give the output "
                     "folder of gembatch run or merge",
                     o->outdir);
        goto out;
    }
    r->outfile = o->outfile ? strdup(o->outfile) : fsx_join(o->outdir, "report.html");
    page_dir = r->outfile ? fsx_dirname(r->outfile) : NULL;
    if (!page_dir) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    if (!(page_real = realpath(page_dir, NULL))) {
        rc = GB_FAIL(err, GB_ENOENT, "cannot write '%s': %s", r->outfile, strerror(errno));
        goto out;
    }
    if (!(r->prefix = rpt_rel_prefix(page_real, dir_real))) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    load_run(r);
    if ((rc = scan(r, 1, err)))
        goto out;
    rf_start_pass2(&r->fields);
    layout_time(r);
    r->rows_total = r->n_results + r->n_errors;
    if (!(r->spool = spool_in(page_dir))) {
        rc = GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", page_dir, strerror(errno));
        goto out;
    }
    if ((rc = scan(r, 2, err)))
        goto out;
    if (fflush(r->spool) || fseek(r->spool, 0, SEEK_SET)) {
        rc = GB_FAIL(err, GB_EIO, "write failed in '%s': %s", page_dir, strerror(errno));
        goto out;
    }
    warn_bad(r);
    long long bytes = 0;
    if ((rc = write_atomic(r, page_dir, &bytes, err)))
        goto out;
    if (info)
        *info = (struct report_info){(long long)r->n_results, (long long)r->n_errors,
                                     (long long)r->rows_kept, (long long)r->n_bad, bytes};
out:
    rpt_free(r);
    free(r);
    free(page_dir);
    free(page_real);
    free(dir_real);
    return rc;
}

int report_write(const char *outdir, const char *outfile, struct gb_err *err)
{
    struct report_opts o = {outdir, outfile, 0};
    return report_build(&o, NULL, err);
}
