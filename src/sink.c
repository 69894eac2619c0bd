/* sink.c: the only writer of OUTDIR. A line is formatted in memory and goes
 * out in one write(2) on an O_APPEND descriptor, so a crash leaves at most a
 * torn last line (journal.c drops it on resume). fsync runs at most once a
 * second from the run's before-poll hook, and at the end. */
#include "sink.h"
#include "buf.h"
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

char *sink_path(const struct sink *s, const char *name)
{
    return fsx_join(s->dir, name);
}

static int restart_outputs(struct sink *s, struct gb_err *err)
{
    static const char *const files[] = {"results.jsonl", "errors.jsonl", "journal.jsonl",
                                        "run.json", NULL};
    for (int i = 0; files[i]; i++) {
        char *p = sink_path(s, files[i]);
        if (p && unlink(p) && errno != ENOENT) {
            int e = errno;
            GB_FAIL(err, GB_EIO, "cannot remove '%s': %s", p, strerror(e));
            free(p);
            return GB_EIO;
        }
        free(p);
    }
    char *img = sink_path(s, "images");
    int rc = img ? fsx_rm_tree(img) : -1;
    free(img);
    if (rc && errno != ENOENT)
        return GB_FAIL(err, GB_EIO, "cannot remove '%s/images': %s", s->dir, strerror(errno));
    return 0;
}

int sink_open(struct sink *s, const char *dir, int restart, struct gb_err *err)
{
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SINK_NFILES; i++)
        s->fd[i] = -1;
    s->lock_fd = -1;
    buf_init(&s->jpend, BUF_UNLIMITED);
    s->dir = strdup(dir);
    if (!s->dir)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    if (fsx_mkdir_p(dir))
        return GB_FAIL(err, GB_EIO, "cannot create output folder '%s': %s", dir, strerror(errno));
    char *lock = sink_path(s, ".gembatch.lock");
    s->lock_fd = lock ? open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0644) : -1;
    free(lock);
    if (s->lock_fd < 0)
        return GB_FAIL(err, GB_EIO, "cannot write in '%s': %s", dir, strerror(errno));
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
    if (restart) {
        int rc = restart_outputs(s, err);
        if (rc)
            return rc;
    }
    for (int i = 0; i < SINK_NFILES; i++) {
        char *p = sink_path(s, names[i]);
        s->fd[i] = p ? open(p, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0644) : -1;
        if (s->fd[i] < 0) {
            int e = errno;
            GB_FAIL(err, GB_EIO, "cannot open '%s': %s", p ? p : names[i], strerror(e));
            free(p);
            return GB_EIO;
        }
        free(p);
    }
    return 0;
}

void sink_close(struct sink *s)
{
    sink_sync(s, 0, 1);
    buf_free(&s->jpend);
    for (int i = 0; i < SINK_NFILES; i++)
        if (s->fd[i] >= 0)
            close(s->fd[i]);
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* releases the flock */
    free(s->dir);
    memset(s, 0, sizeof *s);
    for (int i = 0; i < SINK_NFILES; i++)
        s->fd[i] = -1;
    s->lock_fd = -1;
}

static void note_failure(struct sink *s, const char *what)
{
    if (!s->write_failed)
        snprintf(s->write_error, sizeof s->write_error, "%s in '%s': %s", what, s->dir,
                 strerror(errno));
    s->write_failed = 1;
}

int sink_line(struct sink *s, enum sink_file f, const json_t *obj)
{
    /* formatted whole in memory, newline included, then one write(2) */
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    if (jf_append_prec(&b, obj, 15) || buf_putc(&b, '\n')) {
        buf_free(&b);
        return GB_ENOMEM;
    }
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
    char *safe = fsx_safe_name(id, strlen(id));
    if (!safe)
        return GB_ENOMEM;
    size_t rl = strlen(safe) + 48;
    char *r = malloc(rl);
    char *dirrel = malloc(rl);
    char *full = NULL, *fdir = NULL;
    int rc = GB_ENOMEM;
    if (!r || !dirrel)
        goto out;
    snprintf(dirrel, rl, "images/%s", safe);
    snprintf(r, rl, "images/%s/%d.%s", safe, k, ext);
    fdir = sink_path(s, dirrel);
    full = sink_path(s, r);
    if (!fdir || !full)
        goto out;
    if (fsx_mkdir_p(fdir) || fsx_write_atomic(full, data, n)) {
        note_failure(s, "cannot write image");
        rc = GB_EIO;
        goto out;
    }
    *rel = r;
    r = NULL;
    rc = 0;
out:
    free(full);
    free(fdir);
    free(dirrel);
    free(r);
    free(safe);
    return rc;
}

int sink_sync(struct sink *s, uint64_t now, int force)
{
    if (!force && now - s->last_sync_ms < 1000)
        return 0;
    s->last_sync_ms = now;
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
    size_t n = strlen(text);
    char *t2 = realloc(text, n + 2);
    if (!t2) {
        free(text);
        return GB_ENOMEM;
    }
    t2[n] = '\n';
    char *p = sink_path(s, "run.json");
    int rc = p ? fsx_write_atomic(p, t2, n + 1) : GB_ENOMEM;
    if (rc == GB_EIO)
        note_failure(s, "cannot write run.json");
    free(p);
    free(t2);
    return rc;
}

int sink_flush(struct sink *s)
{
    if (!s->jpend.len)
        return 0;
    int rc = s->fd[SINK_JOURNAL] >= 0 ? fsx_write_all(s->fd[SINK_JOURNAL], s->jpend.data,
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
