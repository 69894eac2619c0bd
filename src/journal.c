/* journal.c: read an OUTDIR back for resume, and write the attempt journal.
 * Memory is bounded by the number of ids (8-16 bytes each), never by the
 * size of the files: lines are streamed through a 64 KiB buffer. Files are
 * opened relative to OUTDIR without following a link: a link planted in
 * place of results.jsonl must not make resume read, or truncate, its target. */
#include "journal.h"
#include "fsx.h"
#include "jfast.h"
#include "jsonx.h"
#include "log.h"
#include "manifest.h"
#include "sink.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- iid map ------------------------------------------------------------------ */

static size_t slot_of(const struct iid_map *m, uint64_t d)
{
    size_t mask = m->cap - 1, j = (size_t)(d | 1) & mask;
    while (m->v[j].d && m->v[j].d != (d | 1))
        j = (j + 1) & mask;
    return j;
}

const char *iid_get(const struct iid_map *m, uint64_t d)
{
    if (!m->cap)
        return NULL;
    size_t j = slot_of(m, d);
    return m->v[j].d ? m->v[j].iid : NULL;
}

int iid_put(struct iid_map *m, uint64_t d, const char *iid)
{
    if ((m->n + 1) * 2 > m->cap) {
        struct iid_map nm = {calloc(m->cap ? m->cap * 2 : 64, sizeof *nm.v),
                             m->cap ? m->cap * 2 : 64, 0};
        if (!nm.v)
            return GB_ENOMEM;
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i].d) {
                size_t j = slot_of(&nm, m->v[i].d);
                nm.v[j] = m->v[i];
                nm.n++;
            }
        free(m->v);
        *m = nm;
    }
    size_t j = slot_of(m, d);
    char *c = strdup(iid);
    if (!c)
        return GB_ENOMEM;
    if (m->v[j].d) {
        free(m->v[j].iid);
    } else {
        m->n++;
    }
    m->v[j].d = d | 1;
    m->v[j].iid = c;
    return 0;
}

void iid_del(struct iid_map *m, uint64_t d)
{
    if (!m->cap)
        return;
    size_t mask = m->cap - 1, j = slot_of(m, d);
    if (!m->v[j].d)
        return;
    free(m->v[j].iid);
    m->v[j].d = 0;
    m->v[j].iid = NULL;
    m->n--;
    /* re-insert the rest of the cluster */
    for (size_t k = (j + 1) & mask; m->v[k].d; k = (k + 1) & mask) {
        struct iid_slot s = m->v[k];
        m->v[k].d = 0;
        m->v[k].iid = NULL; /* the string moves with s: one owner */
        m->v[slot_of(m, s.d)] = s;
    }
}

static void iid_free(struct iid_map *m)
{
    for (size_t i = 0; i < m->cap; i++)
        free(m->v[i].iid);
    free(m->v);
    memset(m, 0, sizeof *m);
}

/* ---- scanning ------------------------------------------------------------------ */

int jrn_line_id(const char *line, size_t len, uint64_t *digest)
{
    static const char pre[] = "{\"id\":\"";
    if (len > sizeof pre && !memcmp(line, pre, sizeof pre - 1)) {
        const char *s = line + sizeof pre - 1, *e = line + len;
        const char *q = memchr(s, '"', (size_t)(e - s));
        if (q && !memchr(s, '\\', (size_t)(q - s))) {
            *digest = hash64(s, (size_t)(q - s), 0);
            return 0;
        }
    }
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    const char *id = o ? jx_str(o, "id") : NULL;
    int rc = -1;
    if (id) {
        *digest = hash64(id, strlen(id), 0);
        rc = 0;
    }
    json_decref(o);
    return rc;
}

/* Drop a last line without its newline. 1 if something was dropped. */
static int drop_torn_tail(int dirfd, const char *name)
{
    int fd = fsx_open_at(dirfd, name, O_RDWR, 0);
    if (fd < 0)
        return 0;
    struct stat st;
    int dropped = 0;
    if (fstat(fd, &st) == 0 && st.st_size > 0) {
        char c;
        if (pread(fd, &c, 1, st.st_size - 1) == 1 && c != '\n') {
            off_t pos = st.st_size;
            char b[4096];
            off_t keep = 0;
            while (pos > 0) {
                size_t n = pos < (off_t)sizeof b ? (size_t)pos : sizeof b;
                pos -= (off_t)n;
                if (fsx_pread_full(fd, b, n, pos) != (ssize_t)n)
                    break;
                char *nl = memrchr(b, '\n', n);
                if (nl) {
                    keep = pos + (nl - b) + 1;
                    break;
                }
            }
            if (ftruncate(fd, keep) == 0) {
                fsync(fd);
                dropped = 1;
            }
        }
    }
    close(fd);
    return dropped;
}

typedef int (*line_fn)(void *ctx, const char *line, size_t len, long no);

/* Each line of dir/name (dirfd); a missing file has none. A link or a
 * non-file in its place is an error naming it. */
static int each_line(int dirfd, const char *dir, const char *name, line_fn fn, void *ctx,
                     struct gb_err *err)
{
    struct man_reader r;
    int fd = fsx_open_at(dirfd, name, O_RDONLY, 0);
    if (fd < 0 && errno == ENOENT)
        return 0;
    if (fd < 0)
        return GB_FAIL(err, errno == ELOOP || errno == EINVAL ? GB_ESTATE : GB_EIO,
                       "cannot read '%s/%s': %s", dir, name,
                       errno == ELOOP    ? "it is a symbolic link (links are not followed)"
                       : errno == EINVAL ? "it is not a regular file"
                                         : strerror(errno));
    char *shown = fsx_join(dir, name);
    if (!shown) {
        close(fd);
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    int rc = man_open_fd(fd, 1, shown, dir, "", 0, 0, &r, err); /* owns fd, even failing */
    free(shown);
    if (rc)
        return rc;
    const char *line;
    size_t len;
    long no;
    for (;;) {
        rc = man_next(&r, &line, &len, &no, err);
        if (rc == GB_ELIMIT)
            continue;
        if (rc <= 0)
            break;
        if ((rc = fn(ctx, line, len, no)))
            break;
    }
    man_close(&r);
    return rc < 0 ? rc : 0;
}

/* ---- damaged lines ---------------------------------------------------------------- */

enum { DAMAGE_SHOWN = 10 }; /* lines named per file; the rest are counted */

struct damage {
    const char *file;        /* "results.jsonl" */
    long long n;
    struct damaged_line {
        long line;
        const char *why;
        int has_id;
        uint64_t digest;
        char id[81];
    } v[DAMAGE_SHOWN];
};

static void damage_add(struct damage *d, long line, const char *why, int has_id, uint64_t digest,
                       const char *id)
{
    if (d->n < DAMAGE_SHOWN) {
        struct damaged_line *l = &d->v[d->n];
        l->line = line;
        l->why = why;
        l->has_id = has_id;
        l->digest = digest;
        snprintf(l->id, sizeof l->id, "%s", has_id && id ? id : "");
    }
    d->n++;
}

/* What the damaged lines of one file mean, on stderr. done (may be NULL):
 * the ids done by a whole line elsewhere in the file. */
static void damage_report(const struct damage *d, const char *dir, const struct dset *done,
                          const char *what, const char *outcome)
{
    for (long long i = 0; i < d->n && i < DAMAGE_SHOWN; i++) {
        const struct damaged_line *l = &d->v[i];
        char then[200];
        if (!done)
            snprintf(then, sizeof then, "%s", outcome);
        else if (!l->has_id)
            snprintf(then, sizeof then, "the job it was for runs again");
        else if (dset_has(done, l->digest))
            snprintf(then, sizeof then, "'%s' has a whole line too", l->id);
        else
            snprintf(then, sizeof then, "'%s' runs again", l->id);
        log_warn("%s/%s:%ld: damaged %s line (%s); %s", dir, d->file, l->line, what, l->why,
                 then);
    }
    if (d->n > DAMAGE_SHOWN)
        log_warn("%s/%s: %lld more damaged lines", dir, d->file, d->n - DAMAGE_SHOWN);
}

int jrn_result_line(const char *line, size_t len, uint64_t *digest, int *has_id, char *id,
                    size_t idsz, const char **why)
{
    static const char pre[] = "{\"id\":\"", st1[] = "\",\"status\":\"completed\"",
                      st2[] = "\",\"status\":\"requires_action\"";
    *has_id = 0;
    *why = NULL;
    if (idsz)
        id[0] = '\0';
    /* the lines we write: {"id":"...","status":"completed",... */
    const char *q = NULL;
    if (len > sizeof pre && !memcmp(line, pre, sizeof pre - 1)) {
        const char *s = line + sizeof pre - 1, *e = line + len;
        q = memchr(s, '"', (size_t)(e - s));
        if (q && q > s && !memchr(s, '\\', (size_t)(q - s))) {
            *digest = hash64(s, (size_t)(q - s), 0);
            *has_id = 1;
            if (idsz)
                snprintf(id, idsz, "%.*s", (int)(q - s), s);
        } else {
            q = NULL;
        }
    }
    if (!jf_check(line, len)) {
        *why = "not whole JSON: cut short or garbled";
        return 0;
    }
    size_t rest = q ? (size_t)(line + len - q) : 0;
    if (q && ((rest > sizeof st1 && !memcmp(q, st1, sizeof st1 - 1)) ||
              (rest > sizeof st2 && !memcmp(q, st2, sizeof st2 - 1))))
        return 1;
    /* anything else: ask jansson */
    json_t *o = json_loadb(line, len, JSON_ALLOW_NUL, NULL);
    const char *sid = o ? jx_str(o, "id") : NULL, *status = o ? jx_str(o, "status") : NULL;
    if (sid && *sid) {
        *digest = hash64(sid, strlen(sid), 0);
        *has_id = 1;
        if (idsz)
            snprintf(id, idsz, "%s", sid);
    }
    if (!json_is_object(o))
        *why = "not a JSON object";
    else if (!sid || !*sid)
        *why = "no \"id\"";
    else if (!status)
        *why = "no \"status\"";
    else if (strcmp(status, "completed") && strcmp(status, "requires_action"))
        *why = "its \"status\" is not \"completed\"";
    json_decref(o);
    return *why == NULL;
}

struct res_scan {
    struct resume *r;
    struct damage dmg;
};

/* The emulator's mark on a result line. gembatch writes it in compact form
 * right before the line's last key, finished_at, whose value holds no quote:
 * only there is it the line's own, never text inside an answer's output. */
int jrn_marked_synthetic(const char *line, size_t len)
{
    static const char mark[] = "\"synthetic\":true,\"finished_at\":\"";
    const size_t m = sizeof mark - 1, tail = m + 64; /* the time, "}" and a newline */
    size_t from = len > tail ? len - tail : 0;
    const char *last = memrchr(line, '"', len);
    for (const char *p = line + from; (p = memmem(p, (size_t)(line + len - p), mark, m)); p++) {
        const char *end = memchr(p + m, '"', (size_t)(line + len - (p + m))); /* the time's end */
        if (end && end == last)
            return 1;
    }
    return 0;
}

static int on_result(void *ctx, const char *line, size_t len, long no)
{
    struct res_scan *rs = ctx;
    uint64_t d = 0;
    int has_id;
    char id[81];
    const char *why;
    if (!jrn_result_line(line, len, &d, &has_id, id, sizeof id, &why)) {
        damage_add(&rs->dmg, no, why, has_id, d, id);
        return 0;
    }
    if (jrn_marked_synthetic(line, len))
        rs->r->synthetic_lines++;
    rs->r->results_lines++;
    return dset_add(&rs->r->done, d) < 0 ? GB_ENOMEM : 0;
}

struct err_scan {
    struct resume *r;
    struct dset failed;
    struct damage dmg;
};

int jrn_is_duplicate_line(const char *line, size_t len)
{
    /* the raw text cannot occur inside a JSON string: its quotes would be escaped */
    static const char mark[] = "\"status\":\"DUPLICATE_ID\"";
    return memmem(line, len, mark, sizeof mark - 1) != NULL;
}

static int on_error(void *ctx, const char *line, size_t len, long no)
{
    struct err_scan *es = ctx;
    uint64_t d;
    if (!jf_check(line, len) || jrn_line_id(line, len, &d)) {
        damage_add(&es->dmg, no, "not whole JSON with an \"id\"", 0, 0, NULL);
        return 0;
    }
    if (jrn_is_duplicate_line(line, len)) /* not a failure of the job: never retried */
        return 0;
    if (!dset_has(&es->r->done, d) && dset_add(&es->failed, d) < 0)
        return GB_ENOMEM;
    return 0;
}

struct jscan {
    struct resume *r;
    struct damage dmg;
    struct dset pending;
    /* answered requests per id with neither a result nor an error line: the
     * jobs the last run left unfinished, not the whole run */
    struct dmap answered;
};

/* An answer in the journal: its request was paid. For an id with neither a
 * result nor an error line, the job starts over and pays it again: counted. */
static int on_answer(struct jscan *js, const json_t *o, uint64_t d)
{
    long long http = 0;
    if (jx_int(o, "http", &http) || http < 200 || http >= 300 || dset_has(&js->r->done, d) ||
        dset_has(&js->r->failed, d))
        return 0;
    return dmap_put(&js->answered, d, dmap_get(&js->answered, d) + 1);
}

static int on_journal(void *ctx, const char *line, size_t len, long no)
{
    struct jscan *js = ctx;
    json_t *o = json_loadb(line, len, 0, NULL);
    const char *ev = o ? jx_str(o, "ev") : NULL, *id = o ? jx_str(o, "id") : NULL;
    const char *dg = o ? jx_str(o, "digest") : NULL;
    int rc = 0;
    if (ev && !strcmp(ev, "begin") && jx_str(o, "run")) {
        snprintf(js->r->journal_run, sizeof js->r->journal_run, "%s", jx_str(o, "run"));
    } else if (!ev || !(id || dg) ||
               (strcmp(ev, "send") && strcmp(ev, "ans") && strcmp(ev, "intr") &&
                strcmp(ev, "iid") && strcmp(ev, "iid-done") && strcmp(ev, "use"))) {
        damage_add(&js->dmg, no, o ? "not a journal event" : "not JSON", 0, 0, NULL);
    } else {
        uint64_t d = id ? hash64(id, strlen(id), 0) : strtoull(dg, NULL, 16);
        if (!strcmp(ev, "send")) {
            js->r->journal_sends++;
            dset_add(&js->pending, d);
        } else if (!strcmp(ev, "use")) {
            json_t *tok = json_object_get(o, "tok");
            for (size_t i = 0; i < 4 && i < json_array_size(tok); i++)
                js->r->journal_tok[i] += json_integer_value(json_array_get(tok, i));
            json_t *usd = json_object_get(o, "usd");
            if (json_is_number(usd))
                js->r->journal_usd += json_number_value(usd);
            else
                js->r->journal_unpriced++;
        } else if (!strcmp(ev, "ans")) {
            dset_del(&js->pending, d);
            rc = on_answer(js, o, d);
        } else if (!strcmp(ev, "intr")) {
            dset_del(&js->pending, d);
        } else if (!strcmp(ev, "iid") && jx_str(o, "iid")) {
            iid_put(&js->r->iids, d, jx_str(o, "iid"));
        } else if (!strcmp(ev, "iid-done")) {
            iid_del(&js->r->iids, d);
        }
    }
    json_decref(o);
    return rc;
}

static int nonempty(int dirfd, const char *name)
{
    struct stat st;
    return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 && S_ISREG(st.st_mode) &&
           st.st_size > 0;
}

/* run.json of the last run, or NULL when there is none (*rc 0) or it is
 * unreadable, a link, not a file (*rc set, err filled). */
static json_t *load_prev_run(int dirfd, const char *dir, struct gb_err *err, int *rc)
{
    *rc = 0;
    int fd = fsx_open_at(dirfd, "run.json", O_RDONLY, 0);
    if (fd < 0 && errno == ENOENT)
        return NULL;
    json_error_t je;
    json_t *v = fd >= 0 ? json_loadfd(fd, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je) : NULL;
    const char *why = fd < 0 ? (errno == ELOOP ? "it is a symbolic link" : strerror(errno))
                             : je.text;
    if (fd >= 0)
        close(fd);
    if (!v)
        *rc = GB_FAIL(err, GB_EINVAL, "'%s/run.json' is unreadable (%s); use --restart or "
                                      "another -o", dir, why);
    return v;
}

int jrn_scan(const char *dir, struct resume *r, struct gb_err *err)
{
    memset(r, 0, sizeof *r);
    dset_init(&r->done);
    int rc = 0;
    struct res_scan rs = {r, {"results.jsonl", 0, {{0}}}};
    struct err_scan es = {r, {0}, {"errors.jsonl", 0, {{0}}}};
    struct jscan js = {r, {"journal.jsonl", 0, {{0}}}, {0}, {0}};
    dset_init(&r->failed);
    dset_init(&js.pending);
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0) {
        if (errno == ENOENT)
            return 0; /* nothing there yet */
        return GB_FAIL(err, GB_EIO, "cannot open '%s': %s", dir, strerror(errno));
    }
    r->had_outputs = nonempty(dirfd, "results.jsonl") || nonempty(dirfd, "errors.jsonl") ||
                     nonempty(dirfd, "journal.jsonl");
    r->torn += drop_torn_tail(dirfd, "results.jsonl");
    r->torn += drop_torn_tail(dirfd, "errors.jsonl");
    drop_torn_tail(dirfd, "journal.jsonl");
    if ((rc = each_line(dirfd, dir, "results.jsonl", on_result, &rs, err)) ||
        (rc = each_line(dirfd, dir, "errors.jsonl", on_error, &es, err)) ||
        (rc = each_line(dirfd, dir, "journal.jsonl", on_journal, &js, err)))
        goto out;
    r->damaged_results = rs.dmg.n;
    r->damaged_errors = es.dmg.n;
    r->damaged_journal = js.dmg.n;
    damage_report(&rs.dmg, dir, &r->done, "result", NULL);
    damage_report(&es.dmg, dir, NULL, "error", "ignored");
    damage_report(&js.dmg, dir, NULL, "journal",
                  "ignored (the in-doubt and restarted counts may miss a request)");
    r->failed_prev = (long long)es.failed.n + es.failed.has_zero;
    r->failed = es.failed; /* kept: their error lines go once they succeed */
    dset_init(&es.failed);
    for (size_t i = 0; i < js.pending.cap; i++)
        if (js.pending.slots[i] && !dset_has(&r->done, js.pending.slots[i]))
            r->in_doubt_prev++;
    /* answered but unfinished: they start over, and what was answered is paid
     * again, except background work still running (it is polled, not made anew) */
    for (size_t i = 0; i < js.answered.cap; i++)
        if (js.answered.v[i] && !iid_get(&r->iids, js.answered.d[i])) {
            r->restarted_prev++;
            r->answered_prev += js.answered.v[i];
        }
    r->prev_run = load_prev_run(dirfd, dir, err, &rc);
out:
    dset_free(&es.failed);
    dset_free(&js.pending);
    dmap_free(&js.answered);
    close(dirfd);
    return rc;
}

void jrn_free(struct resume *r)
{
    dset_free(&r->done);
    dset_free(&r->failed);
    iid_free(&r->iids);
    json_decref(r->prev_run);
    memset(r, 0, sizeof *r);
}

/* ---- writing ------------------------------------------------------------------- */

static int jline(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int jrn_begin(struct sink *s, const struct resume *r, const char *run_id)
{
    if (ftruncate(s->fd[SINK_JOURNAL], 0))
        return GB_EIO;
    jline(s, "{\"ev\":\"begin\",\"run\":\"%s\"}", run_id);
    for (size_t i = 0; i < r->iids.cap; i++) {
        if (!r->iids.v[i].d)
            continue;
        /* the id text is not kept, only its digest: carry the digest */
        char line[512];
        json_t *iid = json_string(r->iids.v[i].iid);
        char *q = json_dumps(iid, JSON_ENCODE_ANY);
        int n = snprintf(line, sizeof line, "{\"ev\":\"iid\",\"digest\":\"%016llx\",\"iid\":%s}",
                         (unsigned long long)(r->iids.v[i].d), q ? q : "\"\"");
        free(q);
        json_decref(iid);
        if (n > 0 && (size_t)n < sizeof line)
            sink_raw(s, SINK_JOURNAL, line, (size_t)n);
    }
    return 0;
}

static int jline(struct sink *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int jline(struct sink *s, const char *fmt, ...)
{
    char stackbuf[1024];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(stackbuf, sizeof stackbuf, fmt, ap);
    va_end(ap);
    if (n < 0)
        return GB_EINVAL;
    if ((size_t)n < sizeof stackbuf)
        return sink_raw(s, SINK_JOURNAL, stackbuf, (size_t)n);
    char *big = malloc((size_t)n + 1);
    if (!big)
        return GB_ENOMEM;
    va_start(ap, fmt);
    vsnprintf(big, (size_t)n + 1, fmt, ap);
    va_end(ap);
    int rc = sink_raw(s, SINK_JOURNAL, big, (size_t)n);
    free(big);
    return rc;
}

int jrn_send(struct sink *s, const char *id_json, int attempt, const char *what)
{
    return jline(s, "{\"ev\":\"send\",\"id\":%s,\"op\":\"%s\",\"n\":%d}", id_json, what, attempt);
}

int jrn_usage(struct sink *s, const char *id_json, long long in, long long out, long long total,
              long long thought, double usd)
{
    char u[40] = "null";
    if (!isnan(usd))
        snprintf(u, sizeof u, "%.17g", usd);
    return jline(s, "{\"ev\":\"use\",\"id\":%s,\"tok\":[%lld,%lld,%lld,%lld],\"usd\":%s}", id_json,
                 in, out, total, thought, u);
}

int jrn_answer(struct sink *s, const char *id_json, long http)
{
    return jline(s, "{\"ev\":\"ans\",\"id\":%s,\"http\":%ld}", id_json, http);
}

int jrn_iid(struct sink *s, const char *id_json, const char *iid)
{
    json_t *v = json_string(iid);
    char *q = v ? json_dumps(v, JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!q)
        return GB_ENOMEM;
    int rc = jline(s, "{\"ev\":\"iid\",\"id\":%s,\"iid\":%s}", id_json, q);
    free(q);
    return rc;
}

int jrn_iid_done(struct sink *s, const char *id_json)
{
    return jline(s, "{\"ev\":\"iid-done\",\"id\":%s}", id_json);
}

int jrn_interrupted(struct sink *s, const char *id_json)
{
    return jline(s, "{\"ev\":\"intr\",\"id\":%s}", id_json);
}

/* ---- errors.jsonl compaction ------------------------------------------------- */

struct compact {
    struct dig_idx {
        uint64_t d;
        long long last; /* index of the last line with this id */
    } *v;
    size_t cap, n;
    long long idx;
    const struct dset *done;
    int out_fd;
    long long kept, kept_dups;
    int write_failed;
};

static struct dig_idx *ci_slot(struct compact *c, uint64_t d)
{
    size_t mask = c->cap - 1, j = (size_t)(d | 1) & mask;
    while (c->v[j].d && c->v[j].d != (d | 1))
        j = (j + 1) & mask;
    return &c->v[j];
}

static int ci_grow(struct compact *c)
{
    struct compact nc = *c;
    nc.cap = c->cap ? c->cap * 2 : 256;
    nc.v = calloc(nc.cap, sizeof *nc.v);
    if (!nc.v)
        return GB_ENOMEM;
    for (size_t i = 0; i < c->cap; i++)
        if (c->v[i].d)
            *ci_slot(&nc, c->v[i].d) = c->v[i];
    free(c->v);
    c->v = nc.v;
    c->cap = nc.cap;
    return 0;
}

/* A line's key in the compaction: its id's digest, or for a duplicate-id
 * line the digest of the whole line (kept whatever the id became, once per
 * manifest line: the same line reported again on resume is the same text). */
static int compact_key(const char *line, size_t len, uint64_t *d, int *dup)
{
    *dup = jrn_is_duplicate_line(line, len);
    if (*dup) {
        *d = hash64(line, len, 0x6475706c);
        return 0;
    }
    return jrn_line_id(line, len, d);
}

static int pass1(void *ctx, const char *line, size_t len, long no)
{
    struct compact *c = ctx;
    uint64_t d;
    int dup;
    long long i = c->idx++;
    if (compact_key(line, len, &d, &dup))
        return 0;
    if ((c->n + 1) * 2 > c->cap && ci_grow(c))
        return GB_ENOMEM;
    struct dig_idx *s = ci_slot(c, d);
    if (!s->d) {
        s->d = d | 1;
        c->n++;
    }
    s->last = i;
    return 0;
}

static int pass2(void *ctx, const char *line, size_t len, long no)
{
    struct compact *c = ctx;
    uint64_t d;
    int dup;
    long long i = c->idx++;
    if (compact_key(line, len, &d, &dup))
        return 0; /* a line without an id is not ours: drop it */
    if ((!dup && dset_has(c->done, d)) || ci_slot(c, d)->last != i)
        return 0;
    char *b = malloc(len + 1);
    if (!b)
        return GB_ENOMEM;
    memcpy(b, line, len);
    b[len] = '\n';
    if (fsx_write_all(c->out_fd, b, len + 1))
        c->write_failed = 1;
    free(b);
    c->kept++;
    c->kept_dups += dup;
    return 0;
}

int jrn_compact_errors(const char *dir, const struct dset *done, long long *kept, long long *kept_dups,
                       struct gb_err *err)
{
    static const char name[] = "errors.jsonl";
    char tmp[64] = "";
    struct compact c = {0};
    c.done = done;
    c.out_fd = -1;
    int rc = 0;
    int dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dirfd < 0)
        return GB_FAIL(err, GB_EIO, "cannot open '%s': %s", dir, strerror(errno));
    if ((rc = each_line(dirfd, dir, name, pass1, &c, err)))
        goto out;
    /* a fresh temporary (O_EXCL, never through a link), 0666: the umask decides */
    c.out_fd = fsx_tmp_at(dirfd, name, tmp, sizeof tmp);
    if (c.out_fd < 0) {
        rc = GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", dir, strerror(errno));
        goto out;
    }
    c.idx = 0;
    if ((rc = each_line(dirfd, dir, name, pass2, &c, err)))
        goto out;
    if (c.write_failed || fsync(c.out_fd) || close(c.out_fd)) {
        c.out_fd = -1;
        rc = GB_FAIL(err, GB_EIO, "cannot write '%s/%s': %s", dir, tmp, strerror(errno));
        goto out;
    }
    c.out_fd = -1;
    if (renameat(dirfd, tmp, dirfd, name)) {
        rc = GB_FAIL(err, GB_EIO, "cannot replace '%s/%s': %s", dir, name, strerror(errno));
        goto out;
    }
    tmp[0] = '\0';
    if (kept)
        *kept = c.kept;
    if (kept_dups)
        *kept_dups = c.kept_dups;
out:
    if (c.out_fd >= 0)
        close(c.out_fd);
    if (rc && tmp[0])
        unlinkat(dirfd, tmp, 0);
    free(c.v);
    close(dirfd);
    return rc;
}
