/* merge.c: `gembatch merge`: shard output folders in, one folder out. Lines
 * are streamed, never loaded whole: memory grows with the number of ids (a
 * digest each), not with the files. Everything is staged in OUT/.merge-tmp and
 * renamed into place, run.json last. Never writes into an input folder.
 * Calls merge_index.c (where each id was kept, the manifests checked),
 * merge_images.c (a kept result's images) and merge_totals.c (run.json). */
#include "merge.h"
#include "buf.h"
#include "cmd.h"
#include "fsx.h"
#include "hash64.h"
#include "hist.h"
#include "jsonx.h"
#include "log.h"
#include "merge_images.h"
#include "merge_index.h"
#include "url.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

enum { CHUNK = 65536 };
/* a results line is one job's answer; past 1 GiB it is not something a run wrote */
#define LINE_MAX_BYTES ((size_t)1 << 30)
#define STAGE ".merge-tmp"

/* ---- lines of a file, streamed ------------------------------------------------ */

struct lines {
    int fd;
    const char *path;
    char *chunk;
    size_t pos, len;
    struct buf cur;
    long no;  /* line number of the last line returned */
    int eof;
};

/* 0 opened, 1 the file does not exist, <0 error. lines_close in every case. */
static int lines_open(struct lines *l, const char *path, struct gb_err *err)
{
    memset(l, 0, sizeof *l);
    l->path = path;
    buf_init(&l->cur, LINE_MAX_BYTES);
    /* a shard's own files, never a link's target (issue 14) */
    l->fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (l->fd < 0)
        return errno == ENOENT ? 1
                               : GB_FAIL(err, GB_EIO, "cannot read '%s': %s", path,
                                         errno == ELOOP ? "it is a symbolic link (not followed)"
                                                        : strerror(errno));
    l->chunk = malloc(CHUNK);
    return l->chunk ? 0 : GB_FAIL(err, GB_ENOMEM, "out of memory");
}

static void lines_close(struct lines *l)
{
    if (l->fd >= 0)
        close(l->fd);
    free(l->chunk);
    buf_free(&l->cur);
    l->fd = -1;
    l->chunk = NULL;
}

/* 1: a line (without its newline, blank lines skipped); 0: the end; 2: the
 * end, after dropping a last line without its newline (torn by a crash);
 * <0: a read error. */
static int lines_next(struct lines *l, const char **line, size_t *len, struct gb_err *err)
{
    buf_reset(&l->cur);
    for (;;) {
        if (l->pos == l->len) {
            if (l->eof) {
                int torn = l->cur.len > 0;
                buf_reset(&l->cur);
                return torn ? 2 : 0;
            }
            ssize_t n = read(l->fd, l->chunk, CHUNK);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return GB_FAIL(err, GB_EIO, "cannot read '%s': %s", l->path, strerror(errno));
            l->eof = n == 0;
            l->pos = 0;
            l->len = (size_t)n;
            continue;
        }
        char *s = l->chunk + l->pos;
        char *nl = memchr(s, '\n', l->len - l->pos);
        size_t take = nl ? (size_t)(nl - s) : l->len - l->pos;
        if (take && buf_append(&l->cur, s, take))
            return GB_FAIL(err, GB_ELIMIT, "'%s': line %ld is longer than 1 GiB; is it a "
                                           "gembatch output folder?", l->path, l->no + 1);
        l->pos += take + (nl != NULL);
        if (!nl)
            continue;
        l->no++;
        if (!l->cur.len)
            continue;
        *line = l->cur.data;
        *len = l->cur.len;
        return 1;
    }
}

/* ---- the merge ------------------------------------------------------------------- */

struct shard {
    const char *dir;
    json_t *run;         /* its run.json */
    int lock_fd;
    long long results, errors; /* lines kept from it */
};

struct merge {
    const struct merge_opts *o;
    struct shard *sh;
    json_t **runs;
    int n;
    int out_lock;
    char *stage;
    char *stage_images;  /* stage/images */
    FILE *f_res, *f_err, *f_jrn;
    struct merge_index ids; /* where each id was kept */
    struct merge_images img; /* the kept results' images */
    struct midx_check chk; /* manifest ids missing from the folders, and ids outside them */
    long long dups, superseded, torn, bad, problems;
    json_t *dup_list, *absent, *unfinished;
};

static int in_path(const char *dir, const char *name, char **out)
{
    *out = fsx_join(dir, name);
    return *out ? 0 : GB_ENOMEM;
}

/* A shard's run.json, not through a link. New reference, or NULL (err). */
static json_t *load_run_json(const char *path, struct gb_err *err)
{
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        GB_FAIL(err, GB_EINVAL, "cannot read '%s': %s", path,
                errno == ELOOP ? "it is a symbolic link (not followed)" : strerror(errno));
        return NULL;
    }
    json_error_t je;
    json_t *v = json_loadfd(fd, JSON_REJECT_DUPLICATES | JSON_ALLOW_NUL, &je);
    close(fd);
    if (!v) {
        GB_FAIL(err, GB_EINVAL, "%s", je.text);
        gb_err_at(err, path, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0);
    }
    return v;
}

/* Check each input: a folder, given once, not the output, not being written,
 * with a run.json of the same pipeline as the first. */
static int open_inputs(struct merge *m, struct gb_err *err)
{
    const struct merge_opts *o = m->o;
    struct stat out_st, st, *seen = calloc((size_t)m->n, sizeof *seen);
    int have_out = stat(o->out, &out_st) == 0, rc = 0;
    char *p = NULL;
    const char *digest0 = NULL;
    if (!seen)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    for (int i = 0; i < m->n && !rc; i++) {
        struct shard *s = &m->sh[i];
        if (stat(s->dir, &st) || !S_ISDIR(st.st_mode)) {
            rc = GB_FAIL(err, GB_EINVAL, "'%s' is not a folder; give the output folders of "
                                         "the shards (gembatch run -o)", s->dir);
            break;
        }
        for (int j = 0; j < i && !rc; j++)
            if (seen[j].st_dev == st.st_dev && seen[j].st_ino == st.st_ino)
                rc = GB_FAIL(err, GB_EINVAL, "'%s' and '%s' are the same folder; give each "
                                             "shard once", m->sh[j].dir, s->dir);
        if (!rc && have_out && out_st.st_dev == st.st_dev && out_st.st_ino == st.st_ino)
            rc = GB_FAIL(err, GB_EINVAL, "the output folder '%s' is one of the inputs; merge "
                                         "into a new folder", o->out);
        if (rc)
            break;
        seen[i] = st;
        free(p);
        if ((rc = in_path(s->dir, ".gembatch.lock", &p)))
            break;
        /* a run holds this lock exclusively while it writes; share it so no
         * run starts writing while we read */
        s->lock_fd = open(p, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
        if (s->lock_fd >= 0 && flock(s->lock_fd, LOCK_SH | LOCK_NB)) {
            rc = GB_FAIL(err, GB_ESTATE, "'%s' is being written by a gembatch run; wait for it "
                                         "to finish, then merge", s->dir);
            break;
        }
        free(p);
        if ((rc = in_path(s->dir, "run.json", &p)))
            break;
        if (access(p, F_OK)) {
            rc = GB_FAIL(err, GB_EINVAL, "'%s' has no run.json, so the pipeline that made it is "
                                         "unknown; give the output folders of gembatch run",
                         s->dir);
            break;
        }
        s->run = m->runs[i] = load_run_json(p, err);
        json_t *pp = s->run ? jx_obj(s->run, "pipeline") : NULL;
        const char *d = pp ? jx_str(pp, "digest") : NULL;
        if (!s->run) {
            rc = GB_EINVAL;
        } else if (!d) {
            rc = GB_FAIL(err, GB_EINVAL, "'%s' has no pipeline digest; is it the output folder "
                                         "of gembatch run?", p);
        } else if (!digest0) {
            digest0 = d;
        } else if (strcmp(d, digest0)) {
            const char *n0 = jx_str(jx_obj(m->runs[0], "pipeline"), "path"),
                       *n1 = jx_str(pp, "path");
            rc = GB_FAIL(err, GB_EINVAL, "'%s' and '%s' hold outputs of different pipelines "
                                         "('%.200s' digest %.12s, '%.200s' digest %.12s); merge "
                                         "the shards of one pipeline only", m->sh[0].dir, s->dir,
                         n0 ? n0 : "?", digest0, n1 ? n1 : "?", d);
        }
    }
    free(p);
    free(seen);
    return rc;
}

static int holds_outputs(const char *dir, const char **which)
{
    static const char *const names[] = {"results.jsonl", "errors.jsonl", "run.json",
                                        "journal.jsonl", "images", NULL};
    for (int i = 0; names[i]; i++) {
        char *p = fsx_join(dir, names[i]);
        int there = p && access(p, F_OK) == 0;
        free(p);
        if (there) {
            *which = names[i];
            return 1;
        }
    }
    return 0;
}

static FILE *stage_file(struct merge *m, const char *name, struct gb_err *err)
{
    char *p = fsx_join(m->stage, name);
    FILE *f = p ? fopen(p, "we") : NULL;
    if (!f)
        GB_FAIL(err, GB_EIO, "cannot write '%s': %s", p ? p : name, strerror(errno));
    else
        setvbuf(f, NULL, _IOFBF, 1 << 20);
    free(p);
    return f;
}

/* Take the output folder's lock, refuse old outputs unless --force, and make
 * a fresh staging folder (an interrupted merge may have left one). */
static int open_output(struct merge *m, struct gb_err *err)
{
    const char *out = m->o->out, *which = NULL;
    char *lock = NULL, *img = NULL;
    int rc = 0;
    if (fsx_mkdir_p(out))
        return GB_FAIL(err, GB_EIO, "cannot create the output folder '%s': %s", out,
                       strerror(errno));
    if ((rc = in_path(out, ".gembatch.lock", &lock)))
        goto out;
    m->out_lock = open(lock, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0666);
    if (m->out_lock < 0) {
        rc = GB_FAIL(err, errno == ELOOP ? GB_ESTATE : GB_EIO, "cannot write in '%s': %s", out,
                     errno == ELOOP ? "its .gembatch.lock is a symbolic link (not followed)"
                                    : strerror(errno));
        goto out;
    }
    if (flock(m->out_lock, LOCK_EX | LOCK_NB)) {
        rc = GB_FAIL(err, GB_ESTATE, "another gembatch run or merge is writing to '%s'; wait "
                                     "for it or choose another -o", out);
        goto out;
    }
    if (!m->o->force && holds_outputs(out, &which)) {
        rc = GB_FAIL(err, GB_ESTATE, "'%s' already holds outputs ('%s'); merge into a new "
                                     "folder, or add --force to replace them", out, which);
        goto out;
    }
    if ((rc = in_path(out, STAGE, &m->stage)) || (rc = in_path(m->stage, "images", &img)))
        goto out;
    m->img.stage = m->stage_images = strdup(img);
    if (!m->stage_images) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    if (fsx_rm_tree(m->stage) || fsx_mkdir_p(img)) {
        rc = GB_FAIL(err, GB_EIO, "cannot prepare '%s': %s", m->stage, strerror(errno));
        goto out;
    }
    if (!(m->f_res = stage_file(m, "results.jsonl", err)) ||
        !(m->f_err = stage_file(m, "errors.jsonl", err)) ||
        !(m->f_jrn = stage_file(m, "journal.jsonl", err)))
        rc = GB_EIO;
out:
    free(lock);
    free(img);
    return rc;
}

static int put_line(struct merge *m, FILE *f, const char *line, size_t len, struct gb_err *err)
{
    if (fwrite(line, 1, len, f) != len || putc('\n', f) == EOF)
        return GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", m->stage, strerror(errno));
    return 0;
}

static void duplicate(struct merge *m, const char *id, int kept, int dropped, const char *file)
{
    m->dups++;
    if (m->dups <= m->o->list_max)
        log_error("duplicate id '%.200s': in '%s' and in '%s/%s'; kept the first", id,
                  m->sh[kept].dir, m->sh[dropped].dir, file);
    if (json_array_size(m->dup_list) < MERGE_LIST_JSON_MAX)
        json_array_append_new(m->dup_list, json_pack("{s:s,s:s,s:s,s:s}", "id", id, "kept",
                                                     m->sh[kept].dir, "dropped",
                                                     m->sh[dropped].dir, "file", file));
}

static void bad_line(struct merge *m, const char *path, long no)
{
    if (++m->bad <= m->o->list_max)
        log_error("%s:%ld: a line without an id; dropped it", path, no);
}

static void torn_line(struct merge *m, const char *path)
{
    m->torn++;
    log_error("'%s' ends with a torn line (its run stopped mid-write); dropped it: resume that "
              "shard and merge again", path);
}

/* results.jsonl of every shard: the first line of each id is kept. */
static int merge_results(struct merge *m, struct gb_err *err)
{
    int rc = 0;
    for (int i = 0; i < m->n && !rc; i++) {
        struct lines l = {0};
        l.fd = -1;
        char *path = fsx_join(m->sh[i].dir, "results.jsonl");
        rc = path ? lines_open(&l, path, err) : GB_FAIL(err, GB_ENOMEM, "out of memory");
        const char *line;
        size_t len;
        while (rc == 0 && (rc = lines_next(&l, &line, &len, err)) == 1) {
            char *id = NULL;
            rc = 0;
            if (merge_line_id(line, len, &id)) {
                bad_line(m, path, l.no);
                continue;
            }
            uint64_t d = midx_digest(id);
            int kept;
            enum midx_file file;
            if (midx_find(&m->ids, d, &kept, &file))
                duplicate(m, id, kept, i, "results.jsonl");
            else if ((rc = midx_keep(&m->ids, d, i, MIDX_RESULTS)))
                GB_FAIL(err, rc, "out of memory");
            else if (!(rc = mimg_bring(&m->img, m->sh[i].dir, line, len, err)) &&
                     !(rc = put_line(m, m->f_res, line, len, err)))
                m->sh[i].results++;
            free(id);
        }
        if (rc == 2)
            torn_line(m, path);
        rc = rc > 0 ? 0 : rc;
        lines_close(&l);
        free(path);
    }
    return rc;
}

/* errors.jsonl of one shard. Within a shard the latest line of an id is its
 * final failure (an interrupted run may not have compacted the file); across
 * shards the first wins, and a completed result anywhere wins over both. */
static int merge_errors_of(struct merge *m, int i, const char *path, struct gb_err *err)
{
    struct dmap last = {0};
    struct lines l;
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        const char *line;
        size_t len;
        uint32_t idx = 0;
        if ((rc = lines_open(&l, path, err))) {
            lines_close(&l);
            rc = rc > 0 ? 0 : rc; /* no errors.jsonl: nothing failed there */
            break;
        }
        while ((rc = lines_next(&l, &line, &len, err)) == 1) {
            char *id = NULL;
            rc = 0;
            idx++;
            if (merge_line_id(line, len, &id)) {
                if (pass)
                    bad_line(m, path, l.no);
                continue;
            }
            uint64_t d = midx_digest(id);
            int kept;
            enum midx_file file;
            int prev = midx_find(&m->ids, d, &kept, &file);
            if (!pass)
                rc = dmap_put(&last, d, idx);
            else if (dmap_get(&last, d) != idx)
                ; /* an earlier failure of the same id in this shard */
            else if (prev && file == MIDX_RESULTS)
                m->superseded++;
            else if (prev)
                duplicate(m, id, kept, i, "errors.jsonl");
            else if (!(rc = midx_keep(&m->ids, d, i, MIDX_ERRORS)) &&
                     !(rc = put_line(m, m->f_err, line, len, err)))
                m->sh[i].errors++;
            free(id);
            if (rc)
                break;
        }
        if (rc == 2 && pass)
            torn_line(m, path);
        rc = rc > 0 ? 0 : rc;
        lines_close(&l);
    }
    dmap_free(&last);
    if (rc == GB_ENOMEM && !err->code)
        GB_FAIL(err, rc, "out of memory");
    return rc;
}

/* The journals go along whole, so resuming the merged folder polls the
 * background interactions the shards started instead of paying twice. */
static int merge_journal_of(struct merge *m, const char *path, struct gb_err *err)
{
    struct lines l;
    int rc = lines_open(&l, path, err);
    const char *line;
    size_t len;
    while (rc == 0 && (rc = lines_next(&l, &line, &len, err)) == 1)
        rc = put_line(m, m->f_jrn, line, len, err);
    lines_close(&l);
    return rc > 0 ? 0 : rc;
}

static int merge_errors(struct merge *m, struct gb_err *err)
{
    int rc = 0;
    for (int i = 0; i < m->n && !rc; i++) {
        char *e = fsx_join(m->sh[i].dir, "errors.jsonl"), *j = fsx_join(m->sh[i].dir,
                                                                          "journal.jsonl");
        rc = e && j ? merge_errors_of(m, i, e, err) : GB_FAIL(err, GB_ENOMEM, "out of memory");
        if (!rc)
            rc = merge_journal_of(m, j, err);
        free(e);
        free(j);
    }
    return rc;
}

/* A --shard K/N split with some K absent, or a shard whose run did not end
 * "completed": its ids are (partly) missing even when no manifest is given. */
static void check_shards(struct merge *m)
{
    for (int i = 0; i < m->n; i++) {
        const char *st = jx_str(m->runs[i], "status");
        if (st && strcmp(st, "completed")) {
            m->problems++;
            json_array_append_new(m->unfinished, json_string(m->sh[i].dir));
            log_error("'%s' did not finish (run.json status '%s'): some of its jobs may not "
                      "have run; resume it (gembatch run ... -o '%s') and merge again",
                      m->sh[i].dir, st, m->sh[i].dir);
        }
    }
    long long n;
    unsigned char *seen = merge_split_of(m->runs, m->n, &n);
    for (long long k = 1; seen && k <= n; k++) {
        if (seen[k])
            continue;
        m->problems++;
        if (json_array_size(m->absent) < MERGE_LIST_JSON_MAX)
            json_array_append_new(m->absent, json_integer(k));
        if ((long long)json_array_size(m->absent) <= m->o->list_max)
            log_error("shard %lld/%lld is not among the folders: its ids are missing; give "
                      "its output folder too", k, n);
    }
    free(seen);
}

static void set_copy(json_t *dst, const char *k, const json_t *src)
{
    json_t *v = json_object_get(src, k);
    json_object_set_new(dst, k, v ? json_deep_copy(v) : json_null());
}

static json_t *merge_info(struct merge *m)
{
    char now[32];
    iso8601(wall_s(), now);
    json_t *shards = json_array(), *mans = json_array();
    long long res = 0, errs = 0;
    for (int i = 0; i < m->n; i++) {
        const json_t *r = m->runs[i];
        json_t *e = json_object(), *opts = jx_obj(r, "options");
        json_object_set_new(e, "dir", json_string(m->sh[i].dir));
        set_copy(e, "shard", opts);
        set_copy(e, "status", r);
        set_copy(e, "started", r);
        set_copy(e, "ended", r);
        set_copy(e, "inputs", r);
        json_t *oc = opts ? json_deep_copy(opts) : json_object();
        const char *ep = jx_str(oc, "endpoint");
        char *shown = ep ? url_redact(ep) : NULL; /* older shards stored it verbatim */
        if (shown)
            json_object_set_new(oc, "endpoint", json_string(shown));
        free(shown);
        json_object_set_new(e, "options", oc);
        json_object_set_new(e, "results", json_integer(m->sh[i].results));
        json_object_set_new(e, "errors", json_integer(m->sh[i].errors));
        json_array_append_new(shards, e);
        res += m->sh[i].results;
        errs += m->sh[i].errors;
    }
    json_t *o = json_pack(
        "{s:s,s:o,s:I,s:I,s:I,s:O,s:I,s:I,s:I,s:I,s:I,s:O,s:O}", "merged_at", now, "shards",
        shards, "results", (json_int_t)res, "errors", (json_int_t)errs, "duplicates",
        (json_int_t)m->dups, "duplicate_ids", m->dup_list, "errors_superseded",
        (json_int_t)m->superseded, "torn_lines", (json_int_t)m->torn, "bad_lines",
        (json_int_t)m->bad, "images_linked", (json_int_t)m->img.linked, "images_copied",
        (json_int_t)m->img.copied, "absent_shards", m->absent, "unfinished_shards", m->unfinished);
    if (o && m->o->nmanifests) {
        for (int i = 0; i < m->o->nmanifests; i++)
            json_array_append_new(mans, json_string(m->o->manifests[i]));
        json_object_set(o, "manifests", mans);
        json_object_set_new(o, "missing", json_integer(m->chk.missing));
        json_object_set(o, "missing_ids", m->chk.list);
        json_object_set_new(o, "not_in_manifests", json_integer(m->chk.outside));
    }
    json_decref(mans);
    return o;
}

static int close_stage(FILE **f)
{
    int rc = 0;
    if (*f) {
        rc = fflush(*f) || ferror(*f) || fsync(fileno(*f));
        rc |= fclose(*f) != 0;
    }
    *f = NULL;
    return rc ? GB_EIO : 0;
}

/* Into place: errors, journal, images, results, then run.json; each a rename
 * of a whole file or folder. A merge stopped midway leaves no half file, and
 * no new run.json: merge again with --force. */
static int commit(struct merge *m, json_t *run, struct gb_err *err)
{
    static const char *const order[] = {"errors.jsonl", "journal.jsonl", "images",
                                        "results.jsonl", NULL};
    char *src = NULL, *dst = NULL, *old = NULL, *text = NULL, *rj = NULL;
    int rc = 0;
    if (close_stage(&m->f_res) | close_stage(&m->f_err) | close_stage(&m->f_jrn)) {
        rc = GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", m->stage, strerror(errno));
        goto out;
    }
    for (int i = 0; order[i]; i++) {
        free(src);
        free(dst);
        src = fsx_join(m->stage, order[i]);
        dst = fsx_join(m->o->out, order[i]);
        if (!src || !dst) {
            rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
            goto out;
        }
        if (!strcmp(order[i], "images")) {
            /* rename(2) does not replace a non-empty folder: move the old one aside */
            if (!old && !(old = fsx_join(m->stage, "images.old"))) {
                rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
                goto out;
            }
            if (rename(dst, old) && errno != ENOENT) {
                rc = GB_FAIL(err, GB_EIO, "cannot move '%s' aside: %s", dst, strerror(errno));
                goto out;
            }
        }
        if (rename(src, dst)) {
            rc = GB_FAIL(err, GB_EIO, "cannot rename '%s' to '%s': %s", src, dst,
                         strerror(errno));
            goto out;
        }
    }
    text = json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    rj = fsx_join(m->o->out, "run.json");
    size_t n = text ? strlen(text) : 0;
    char *t2 = text ? realloc(text, n + 2) : NULL;
    if (!t2 || !rj) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    text = t2;
    text[n] = '\n';
    text[n + 1] = '\0';
    if (fsx_write_atomic(rj, text, n + 1)) {
        rc = GB_FAIL(err, GB_EIO, "cannot write '%s': %s", rj, strerror(errno));
        goto out;
    }
    fsx_fsync_dir(m->o->out);
out:
    free(src);
    free(dst);
    free(old);
    free(text);
    free(rj);
    return rc;
}

static void summary(const struct merge *m, const json_t *run)
{
    json_t *mi = jx_obj(run, "merge"), *tok = jx_obj(run, "tokens"),
           *lat = jx_obj(run, "latency_ms");
    long long res = merge_count_of(mi, "results"), errs = merge_count_of(mi, "errors");
    double p50 = 0, p95 = 0, p99 = 0;
    jx_num(lat, "p50", &p50);
    jx_num(lat, "p95", &p95);
    jx_num(lat, "p99", &p99);
    log_info("merged %d folder%s into '%s': %lld results, %lld errors (jobs that failed), %lld "
             "duplicate ids, %lld missing; images: %lld linked, %lld copied", m->n,
             m->n == 1 ? "" : "s", m->o->out, res, errs, m->dups, m->chk.missing, m->img.linked,
             m->img.copied);
    log_info("  tokens %lld in, %lld out, %lld total; latency p50 %.0f ms, p95 %.0f ms, p99 "
             "%.0f ms", merge_count_of(tok, "input"), merge_count_of(tok, "output"), merge_count_of(tok, "total"),
             p50, p95, p99);
    if (m->superseded)
        log_info("  %lld failures of one folder were completed in another: kept the results",
                 m->superseded);
}

int merge_run(const struct merge_opts *o, struct gb_err *err)
{
    struct merge m = {0};
    json_t *run = NULL, *info = NULL;
    int rc = 0, outcome = GB_USAGE;
    m.o = o;
    m.n = o->ninputs;
    m.out_lock = -1;
    m.sh = calloc((size_t)m.n, sizeof *m.sh);
    m.runs = calloc((size_t)m.n, sizeof *m.runs);
    m.dup_list = json_array();
    m.chk.list = json_array();
    m.chk.list_max = o->list_max;
    m.absent = json_array();
    m.unfinished = json_array();
    if (!m.sh || !m.runs || mimg_init(&m.img, o->copy) || !m.dup_list || !m.chk.list ||
        !m.absent || !m.unfinished) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    for (int i = 0; i < m.n; i++) {
        m.sh[i].dir = o->inputs[i];
        m.sh[i].lock_fd = -1;
    }
    if (open_inputs(&m, err) || midx_precheck_manifests(o->manifests, o->nmanifests, err) ||
        open_output(&m, err))
        goto out;
    outcome = GB_ABORTED; /* from here on a failure is a read or write error */
    check_shards(&m);
    if ((rc = merge_results(&m, err)) || (rc = merge_errors(&m, err)))
        goto out;
    if (o->nmanifests &&
        (rc = midx_check_manifests(&m.ids, o->manifests, o->nmanifests, &m.chk, err))) {
        outcome = rc == GB_EIO || rc == GB_ENOMEM ? GB_ABORTED : GB_USAGE;
        goto out;
    }
    if (m.dups > o->list_max)
        log_error("%lld duplicate ids in all (the first %ld above; run.json lists up to %d)",
                  m.dups, o->list_max, MERGE_LIST_JSON_MAX);
    if (m.chk.missing)
        log_error("%lld ids of the manifests are in no folder%s; to run just them, resume the "
                  "merged folder: gembatch run PIPELINE MANIFEST... -o '%s'", m.chk.missing,
                  m.chk.missing > o->list_max ? " (run.json lists up to 1000)" : "", o->out);
    if (m.chk.outside)
        log_warn("%lld ids in the folders are in none of the --manifest files; were they the "
                 "run's inputs?", m.chk.outside);
    if (!(info = merge_info(&m)) || !(run = merge_run_json(m.runs, m.n, info))) {
        GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    if (commit(&m, run, err))
        goto out;
    if (!o->quiet)
        summary(&m, run);
    m.problems += m.img.problems + m.dups + m.chk.missing + m.torn + m.bad;
    outcome = m.problems ? GB_SOME_FAILED : GB_DONE;
out:
    close_stage(&m.f_res);
    close_stage(&m.f_err);
    close_stage(&m.f_jrn);
    if (m.stage)
        fsx_rm_tree(m.stage);
    free(m.stage);
    free(m.stage_images);
    if (m.out_lock >= 0)
        close(m.out_lock);
    for (int i = 0; m.sh && i < m.n; i++) {
        if (m.sh[i].lock_fd >= 0)
            close(m.sh[i].lock_fd);
        json_decref(m.sh[i].run);
    }
    midx_free(&m.ids);
    json_decref(run);
    json_decref(info);
    json_decref(m.dup_list);
    json_decref(m.chk.list);
    json_decref(m.absent);
    json_decref(m.unfinished);
    mimg_free(&m.img);
    free(m.runs);
    free(m.sh);
    return outcome;
}
