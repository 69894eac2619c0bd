/* sink.c: the only writer of OUTDIR. A line is formatted in memory and goes
 * out in one write(2) on an O_APPEND descriptor, so a crash leaves at most a
 * torn last line (journal.c drops it on resume). fsync runs at most once a
 * second from the run's before-poll hook, and at the end. Every output is
 * opened relative to OUTDIR's descriptor with O_NOFOLLOW: a symbolic link
 * planted in OUTDIR is refused, never written through. Images written off
 * the loop live in sink_img.c. */
#include "sink.h"
#include "buf.h"
#include "esc.h"
#include "fsx.h"
#include "jfast.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const names[SINK_NFILES] = {"results.jsonl", "errors.jsonl", "journal.jsonl"};
#define LOCK_NAME ".gembatch.lock"

char *sink_path(const struct sink *s, const char *name)
{
    return fsx_join(s->dir, name);
}

/* The message for a refused or failed output: a link gets its own words. */
static int out_fail(struct gb_err *err, const struct sink *s, const char *name, int e)
{
    if (e == ELOOP)
        return GB_FAIL(err, GB_ESTATE,
                       "'%s/%s' is a symbolic link; gembatch does not follow links in its output "
                       "folder: remove it or use another -o",
                       s->dir, name);
    if (e == EINVAL || e == ENOTDIR)
        return GB_FAIL(err, GB_ESTATE,
                       "'%s/%s' is not a %s of gembatch's; remove it or use another -o", s->dir,
                       name, e == ENOTDIR ? "folder" : "file");
    return GB_FAIL(err, GB_EIO, "cannot open '%s/%s': %s", s->dir, name, strerror(e));
}

static int restart_outputs(struct sink *s, struct gb_err *err)
{
    static const char *const files[] = {"results.jsonl", "errors.jsonl", "journal.jsonl",
                                        "run.json", NULL};
    for (int i = 0; files[i]; i++)
        if (unlinkat(s->dirfd, files[i], 0) && errno != ENOENT)
            return GB_FAIL(err, GB_EIO, "cannot remove '%s/%s': %s", s->dir, files[i],
                           strerror(errno));
    char *img = sink_path(s, "images");
    int rc = img ? fsx_rm_tree(img) : -1; /* links are removed, never followed */
    free(img);
    if (rc && errno != ENOENT)
        return GB_FAIL(err, GB_EIO, "cannot remove '%s/images': %s", s->dir, strerror(errno));
    return 0;
}

/* Everything in OUTDIR/batch is Batch Mode's own (the state file, the
 * online list, the parts, their meta lines and results): a link in it is
 * refused at the start, whatever its name. Each is opened with O_NOFOLLOW
 * too, so one planted mid-run fails there. */
static int refuse_batch_links(struct sink *s, struct gb_err *err)
{
    int fd = fsx_dir_at(s->dirfd, "batch", 0, 0);
    if (fd < 0)
        return errno == ENOENT ? 0 : out_fail(err, s, "batch", errno);
    DIR *d = fdopendir(fd);
    if (!d) {
        int e = errno;
        close(fd);
        return out_fail(err, s, "batch", e);
    }
    int rc = 0;
    struct dirent *de;
    while (!rc && (de = readdir(d))) {
        if (de->d_type != DT_LNK &&
            (de->d_type != DT_UNKNOWN || !fsx_is_link_at(dirfd(d), de->d_name)))
            continue;
        char name[300];
        snprintf(name, sizeof name, "batch/%.255s", de->d_name);
        rc = out_fail(err, s, name, ELOOP);
    }
    closedir(d);
    return rc;
}

/* Refuse a link (dangling or not) where an output of ours goes, before a
 * single byte is written: results, errors and the journal are opened with
 * O_NOFOLLOW anyway, but run.json is read on resume, and images/ and .spool/
 * are only reached later, mid-run. */
static int refuse_links(struct sink *s, struct gb_err *err)
{
    static const char *const ours[] = {"results.jsonl", "errors.jsonl", "journal.jsonl",
                                       "run.json",      "images",       ".spool",
                                       "errors.jsonl.compact", "batch", NULL};
    for (int i = 0; ours[i]; i++)
        if (fsx_is_link_at(s->dirfd, ours[i]))
            return out_fail(err, s, ours[i], ELOOP);
    struct stat st;
    if (fstatat(s->dirfd, "images", &st, AT_SYMLINK_NOFOLLOW) == 0 && !S_ISDIR(st.st_mode))
        return out_fail(err, s, "images", ENOTDIR);
    return refuse_batch_links(s, err);
}

static void reset(struct sink *s)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SINK_NFILES; i++)
        s->fd[i] = -1;
    s->lock_fd = s->dirfd = s->imgfd = s->spoolfd = s->batchfd = -1;
    s->max_per_answer = SINK_MAX_IMAGES_PER_ANSWER;
    s->max_per_run = SINK_MAX_IMAGES_PER_RUN;
}

int sink_open(struct sink *s, const char *dir, int restart, struct gb_err *err)
{
    reset(s);
    buf_init(&s->jpend, BUF_UNLIMITED);
    s->dir = strdup(dir);
    if (!s->dir)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    /* OUTDIR itself is the user's path (-o): it may be a link they made */
    if (fsx_mkdir_p(dir))
        return GB_FAIL(err, GB_EIO, "cannot create output folder '%s': %s", dir, strerror(errno));
    s->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (s->dirfd < 0)
        return GB_FAIL(err, GB_EIO, "cannot open output folder '%s': %s", dir, strerror(errno));
    s->lock_fd = fsx_open_at(s->dirfd, LOCK_NAME, O_RDWR | O_CREAT, 0666);
    if (s->lock_fd < 0)
        return errno == EACCES ? GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", dir,
                                         strerror(errno))
                               : out_fail(err, s, LOCK_NAME, errno);
    if (flock(s->lock_fd, LOCK_EX | LOCK_NB)) {
        /* a scheduled run that overlaps the last one: its own status (75,
         * cmd_run), so a timer or cron can tell "still busy" from an error */
        char pid[32] = "";
        ssize_t n = pread(s->lock_fd, pid, sizeof pid - 1, 0);
        long holder = n > 0 ? strtol(pid, NULL, 10) : 0;
        if (holder > 0)
            snprintf(pid, sizeof pid, " (pid %ld)", holder);
        else
            pid[0] = '\0';
        return GB_FAIL(err, GB_EBUSY,
                       "another gembatch run%s is writing to '%s'; nothing was done: wait for it "
                       "or use another -o",
                       pid, dir);
    }
    /* the holder's pid, for the message an overlapping run prints (a failed
     * write only leaves the pid out of that message) */
    char me[32];
    int mn = snprintf(me, sizeof me, "%ld\n", (long)getpid());
    int pid_written = ftruncate(s->lock_fd, 0) == 0 && pwrite(s->lock_fd, me, (size_t)mn, 0) == mn;
    (void)pid_written;
    int rc;
    if (restart && (rc = restart_outputs(s, err)))
        return rc;
    if ((rc = refuse_links(s, err)))
        return rc;
    for (int i = 0; i < SINK_NFILES; i++) {
        s->fd[i] = fsx_open_at(s->dirfd, names[i], O_WRONLY | O_APPEND | O_CREAT, 0666);
        if (s->fd[i] < 0)
            return out_fail(err, s, names[i], errno);
    }
    return 0;
}

void sink_close(struct sink *s)
{
    sink_sync(s, 0, 1);
    sink_writer_stop(s);
    sink_release_held(s, 1);
    buf_free(&s->jpend);
    for (int i = 0; i < SINK_NFILES; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    if (s->imgfd >= 0)
        close(s->imgfd);
    if (s->spoolfd >= 0)
        close(s->spoolfd);
    if (s->batchfd >= 0)
        close(s->batchfd);
    if (s->dirfd >= 0)
        close(s->dirfd);
    sink_set_secret(s, NULL);
    free(s->dir);
    reset(s);
}

int sink_batch_fd(struct sink *s)
{
    if (s->batchfd < 0)
        s->batchfd = fsx_dir_at(s->dirfd, "batch", 1, 0777);
    return s->batchfd;
}

int sink_set_secret(struct sink *s, const char *key)
{
    return esc_secret_keep(&s->secret, key);
}

void sink_set_image_limits(struct sink *s, long per_answer, long per_run)
{
    if (per_answer > 0)
        s->max_per_answer = per_answer;
    if (per_run > 0)
        s->max_per_run = per_run;
}

/* The key blanked out of text in place; the new length. */
static size_t redact(const struct sink *s, char *text, size_t n)
{
    return s->secret ? esc_redact(text, n, s->secret, strlen(s->secret)) : n;
}

static void note_failure(struct sink *s, const char *what)
{
    sink_note_failure(s, what, NULL, errno);
}

int sink_line(struct sink *s, enum sink_file f, const json_t *obj)
{
    /* formatted whole in memory, newline included, then one write(2) */
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    /* reals in the shortest form that reads back the same: 0.1, never
     * 0.10000000000000001, and no 17-digit value rounded to 15 */
    if (jf_append_prec(&b, obj, JF_SHORTEST) || buf_putc(&b, '\n')) {
        buf_free(&b);
        return GB_ENOMEM;
    }
    b.len = redact(s, b.data, b.len);
    int rc = fsx_write_all(s->fd[f], b.data, b.len);
    buf_free(&b);
    if (rc) {
        note_failure(s, "write failed");
        return GB_EIO;
    }
    s->dirty[f] = 1;
    return 0;
}

int sink_image(struct sink *s, const char *id, int k, const void *data, size_t n,
               const char *ext, char **rel)
{
    char *name = fsx_id_name(id, strlen(id));
    char file[64];
    int dfd = -1, rc = GB_ENOMEM;
    if (!name)
        return GB_ENOMEM;
    size_t rl = strlen(name) + 80;
    char *r = malloc(rl);
    if (!r)
        goto out;
    snprintf(file, sizeof file, "%d.%.16s", k, ext);
    snprintf(r, rl, "images/%s", name);
    rc = GB_EIO;
    if (sink_images_dir(s) < 0) {
        sink_note_failure(s, "cannot write image", "images", errno);
        goto out;
    }
    if ((dfd = fsx_dir_at(s->imgfd, name, 1, 0777)) < 0) {
        sink_note_failure(s, "cannot write image", r, errno);
        goto out;
    }
    snprintf(r, rl, "images/%s/%s", name, file);
    if (fsx_write_atomic_at(dfd, file, data, n)) {
        sink_note_failure(s, "cannot write image", r, errno);
        goto out;
    }
    *rel = r;
    r = NULL;
    rc = 0;
out:
    if (dfd >= 0)
        close(dfd);
    free(r);
    free(name);
    return rc;
}

int sink_sync(struct sink *s, uint64_t now, int force)
{
    if (!force && now - s->last_sync_ms < 1000)
        return 0;
    s->last_sync_ms = now;
    if (force)
        sink_release_held(s, 1); /* every queued image on disk, its line written */
    int rc = sink_flush(s);
    for (int i = 0; i < SINK_NFILES; i++) {
        if (s->fd[i] >= 0 && s->dirty[i]) {
            if (fdatasync(s->fd[i])) {
                note_failure(s, "fsync failed");
                rc = GB_EIO;
            }
            s->dirty[i] = 0;
        }
    }
    return rc;
}

int sink_run_json(struct sink *s, const json_t *run)
{
    char *text = json_dumps(run, JSON_INDENT(2) | JSON_SORT_KEYS | JSON_REAL_PRECISION(15));
    if (!text)
        return GB_ENOMEM;
    size_t n = redact(s, text, strlen(text));
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return GB_ENOMEM;
    }
    t2[n] = '\n';
    int rc = fsx_write_atomic_at(s->dirfd, "run.json", t2, n + 1);
    if (rc == GB_EIO)
        sink_note_failure(s, "cannot write run.json", "run.json", errno);
    free(t2);
    return rc;
}

int sink_flush(struct sink *s)
{
    int rc = s->w ? sink_release_held(s, 0) : 0;
    if (!s->jpend.len)
        return rc;
    s->jpend.len = redact(s, s->jpend.data, s->jpend.len);
    rc = s->fd[SINK_JOURNAL] >= 0 ? fsx_write_all(s->fd[SINK_JOURNAL], s->jpend.data,
                                                  s->jpend.len)
                                  : 0;
    buf_reset(&s->jpend);
    if (rc) {
        note_failure(s, "write failed");
        return GB_EIO;
    }
    s->dirty[SINK_JOURNAL] = 1;
    return 0;
}

int sink_raw(struct sink *s, enum sink_file f, const char *text, size_t n)
{
    if (f == SINK_JOURNAL) { /* gathered: one write per transfer step (sink_flush) */
        if (buf_append(&s->jpend, text, n) || buf_append(&s->jpend, "\n", 1)) {
            note_failure(s, "out of memory");
            return GB_ENOMEM;
        }
        return s->jpend.len >= 256 * 1024 ? sink_flush(s) : 0;
    }
    char stackbuf[1024];
    char *b = n + 1 <= sizeof stackbuf ? stackbuf : malloc(n + 1);
    if (!b)
        return GB_ENOMEM;
    memcpy(b, text, n);
    n = redact(s, b, n);
    b[n] = '\n';
    int rc = fsx_write_all(s->fd[f], b, n + 1);
    if (b != stackbuf)
        free(b);
    if (rc) {
        note_failure(s, "write failed");
        return GB_EIO;
    }
    s->dirty[f] = 1;
    return 0;
}
