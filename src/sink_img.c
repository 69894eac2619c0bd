/* sink_img.c: images written off the transfer loop (issue 14 point 4). One
 * writer thread takes what is queued in rounds: it writes every file of the
 * round, then fsyncs them, renames them into place and fsyncs each folder
 * once, so 200 images cost one round of syncs, not 200 stalls of the loop.
 * The loop only queues (bounded by SINK_QUEUE_BYTES) and, from sink_flush,
 * writes the result lines whose images are all on disk. Per-answer and
 * per-run caps are checked here too. The writer touches nothing of struct
 * sink but what it was handed: a batch's folder and its queued jobs.
 * sink.c calls down into this file; nothing here calls sink.c: the failure
 * record and the images folder, which both need, live here. */
#include "sink.h"
#include "esc.h"
#include "fsx.h"
#include "jfast.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <unistd.h>

enum { QUEUE_MAX_FILES = 4096 };

struct wjob {
    struct wjob *next;
    struct sink_batch *b;
    char name[48];          /* "<k>.<ext>" in the batch's folder */
    void *data;             /* bytes to write (owned), or NULL for a spooled file */
    size_t n;
    char *spool;            /* name in OUTDIR/.spool (owned), or NULL */
    int spool_dirfd;        /* borrowed: the sink closes it after the writer stops */
    /* the writer's own */
    int fd, err;
    char tmp[80];
};

struct sink_batch {
    struct sink_batch *next; /* in the sink's held list once closed */
    int dirfd;               /* images/<name> */
    char *rel;               /* "images/<name>" */
    int pending;             /* queued and not on disk (w->mu) */
    int err;                 /* first failure (w->mu) */
    char err_name[64];
    int synced;              /* writer only: folder fsynced this round */
    int closed;
    enum sink_file f;
    char *line;              /* the held line, newline included, or NULL */
    size_t len;
};

struct sink_writer {
    pthread_t th;
    pthread_mutex_t mu;
    pthread_cond_t more, room;
    struct wjob *head, *tail;
    size_t bytes, n;         /* queued or being written */
    int stop;
    int efd;                 /* eventfd: a round finished */
    int imgfd;               /* borrowed: OUTDIR/images */
};

/* ---- shared with sink.c, which calls down into this file (never the reverse) ---- */

void sink_note_failure(struct sink *s, const char *what, const char *name, int e)
{
    if (!s->write_failed) {
        if (e == ELOOP)
            snprintf(s->write_error, sizeof s->write_error,
                     "%s: '%s/%s' is a symbolic link; gembatch does not follow links in its "
                     "output folder",
                     what, s->dir, name ? name : "");
        else if (name)
            snprintf(s->write_error, sizeof s->write_error, "%s: '%s/%s': %s", what, s->dir,
                     name, strerror(e));
        else
            snprintf(s->write_error, sizeof s->write_error, "%s in '%s': %s", what, s->dir,
                     strerror(e));
    }
    s->write_failed = 1;
}

int sink_images_dir(struct sink *s)
{
    if (s->imgfd < 0)
        s->imgfd = fsx_dir_at(s->dirfd, "images", 1, 0777);
    return s->imgfd;
}

/* ---- the writer thread ------------------------------------------------------- */

static void open_round(struct wjob *list)
{
    for (struct wjob *j = list; j; j = j->next) {
        j->fd = -1;
        j->err = 0;
        if (j->data) {
            j->fd = fsx_tmp_at(j->b->dirfd, j->name, j->tmp, sizeof j->tmp);
            if (j->fd < 0 || fsx_write_all(j->fd, j->data, j->n))
                j->err = errno ? errno : EIO;
        } else {
            j->fd = openat(j->spool_dirfd, j->spool, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
            if (j->fd < 0)
                j->err = errno;
        }
    }
}

static void write_round(struct sink_writer *w, struct wjob *list)
{
    open_round(list);
    /* all files written first, then synced: the device sees one batch */
    for (struct wjob *j = list; j; j = j->next)
        if (!j->err && fdatasync(j->fd))
            j->err = errno;
    for (struct wjob *j = list; j; j = j->next) {
        if (j->fd >= 0)
            close(j->fd);
        j->b->synced = 0;
        if (!j->err && renameat(j->data ? j->b->dirfd : j->spool_dirfd,
                                j->data ? j->tmp : j->spool, j->b->dirfd, j->name))
            j->err = errno;
        if (j->err && j->data && j->fd >= 0)
            unlinkat(j->b->dirfd, j->tmp, 0);
        else if (j->err && !j->data)
            unlinkat(j->spool_dirfd, j->spool, 0);
    }
    for (struct wjob *j = list; j; j = j->next)
        if (!j->err && !j->b->synced) {
            j->b->synced = 1;
            if (fsync(j->b->dirfd))
                j->err = errno;
        }
    if (w->imgfd >= 0)
        fsync(w->imgfd); /* new folders' entries */
}

static void finish_round(struct sink_writer *w, struct wjob *list)
{
    pthread_mutex_lock(&w->mu);
    while (list) {
        struct wjob *j = list;
        list = j->next;
        j->b->pending--;
        if (j->err && !j->b->err) {
            j->b->err = j->err;
            snprintf(j->b->err_name, sizeof j->b->err_name, "%s", j->name);
        }
        w->bytes -= j->n;
        w->n--;
        free(j->data);
        free(j->spool);
        free(j);
    }
    pthread_cond_broadcast(&w->room);
    pthread_mutex_unlock(&w->mu);
    uint64_t one = 1;
    if (write(w->efd, &one, sizeof one) < 0) {
        /* the counter is only a wake-up: a full one wakes the loop as well */
    }
}

static void *writer_main(void *arg)
{
    struct sink_writer *w = arg;
    for (;;) {
        pthread_mutex_lock(&w->mu);
        while (!w->head && !w->stop)
            pthread_cond_wait(&w->more, &w->mu);
        struct wjob *list = w->head;
        w->head = w->tail = NULL;
        pthread_mutex_unlock(&w->mu);
        if (!list)
            return NULL; /* stopped with nothing left */
        write_round(w, list);
        finish_round(w, list);
    }
}

static int writer_start(struct sink *s)
{
    if (s->w)
        return 0;
    struct sink_writer *w = calloc(1, sizeof *w);
    if (!w)
        return GB_ENOMEM;
    w->efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    w->imgfd = s->imgfd;
    pthread_mutex_init(&w->mu, NULL);
    pthread_cond_init(&w->more, NULL);
    pthread_cond_init(&w->room, NULL);
    if (w->efd < 0 || pthread_create(&w->th, NULL, writer_main, w)) {
        if (w->efd >= 0)
            close(w->efd);
        pthread_mutex_destroy(&w->mu);
        pthread_cond_destroy(&w->more);
        pthread_cond_destroy(&w->room);
        free(w);
        return GB_EIO;
    }
    s->w = w;
    return 0;
}

void sink_writer_stop(struct sink *s)
{
    struct sink_writer *w = s->w;
    if (!w)
        return;
    pthread_mutex_lock(&w->mu);
    w->stop = 1;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    pthread_join(w->th, NULL); /* it drains the queue first */
    close(w->efd);
    pthread_mutex_destroy(&w->mu);
    pthread_cond_destroy(&w->more);
    pthread_cond_destroy(&w->room);
    free(w);
    s->w = NULL;
}

/* ---- the loop's side ----------------------------------------------------------- */

int sink_images_admit(struct sink *s, size_t n, const char **status, char *msg, size_t msz)
{
    if (n > (size_t)s->max_per_answer) {
        *status = "TOO_MANY_IMAGES";
        snprintf(msg, msz,
                 "the answer carried %zu images, more than the %ld one answer may bring "
                 "(--max-images-per-answer); none were written",
                 n, s->max_per_answer);
        return GB_ELIMIT;
    }
    if ((long)n > s->max_per_run - s->images_run) {
        *status = "IMAGE_LIMIT_REACHED";
        snprintf(msg, msz,
                 "this run has written %ld images, and %zu more would pass the run's cap of "
                 "%ld (--max-images); run again with a higher cap to finish this job",
                 s->images_run, n, s->max_per_run);
        return GB_ELIMIT;
    }
    s->images_run += (long)n;
    return 0;
}

int sink_spool_fd(struct sink *s)
{
    /* made 0700 when new; an existing folder is used as it is (never chmod
     * what we did not make), and a link is refused */
    if (s->spoolfd < 0)
        s->spoolfd = fsx_dir_at(s->dirfd, ".spool", 1, 0700);
    return s->spoolfd;
}

struct sink_batch *sink_batch_new(struct sink *s, const char *id)
{
    struct sink_batch *b = calloc(1, sizeof *b);
    char *name = fsx_id_name(id, strlen(id));
    if (!b || !name)
        goto oom;
    b->dirfd = -1;
    b->rel = malloc(strlen(name) + 8);
    if (!b->rel)
        goto oom;
    sprintf(b->rel, "images/%s", name);
    if (sink_images_dir(s) < 0) {
        sink_note_failure(s, "cannot write images", "images", errno);
        goto fail;
    }
    if ((b->dirfd = fsx_dir_at(s->imgfd, name, 1, 0777)) < 0) {
        sink_note_failure(s, "cannot write images", b->rel, errno);
        goto fail;
    }
    if (writer_start(s)) {
        sink_note_failure(s, "cannot start the image writer", NULL, errno);
        goto fail;
    }
    free(name);
    return b;
oom:
    sink_note_failure(s, "out of memory", NULL, ENOMEM);
fail:
    if (b) {
        if (b->dirfd >= 0)
            close(b->dirfd);
        free(b->rel);
        free(b);
    }
    free(name);
    return NULL;
}

static int enqueue(struct sink *s, struct sink_batch *b, struct wjob *j, char **rel)
{
    struct sink_writer *w = s->w;
    size_t rl = strlen(b->rel) + strlen(j->name) + 2;
    *rel = malloc(rl);
    if (!*rel) {
        free(j->data);
        free(j->spool);
        free(j);
        return GB_ENOMEM;
    }
    snprintf(*rel, rl, "%s/%s", b->rel, j->name);
    j->b = b;
    pthread_mutex_lock(&w->mu);
    /* bounded: past it the loop waits for the writer (rare: 64 MiB behind) */
    while ((w->n && w->bytes + j->n > SINK_QUEUE_BYTES) || w->n >= QUEUE_MAX_FILES)
        pthread_cond_wait(&w->room, &w->mu);
    w->bytes += j->n;
    w->n++;
    b->pending++;
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_cond_signal(&w->more);
    pthread_mutex_unlock(&w->mu);
    return 0;
}

int sink_batch_image(struct sink *s, struct sink_batch *b, int k, void *data, size_t n,
                     const char *ext, char **rel)
{
    struct wjob *j = calloc(1, sizeof *j);
    if (!j) {
        free(data);
        return GB_ENOMEM;
    }
    snprintf(j->name, sizeof j->name, "%d.%.16s", k, ext);
    j->data = data;
    j->n = n;
    return enqueue(s, b, j, rel);
}

int sink_batch_image_file(struct sink *s, struct sink_batch *b, int k, const char *spool_name,
                          const char *ext, char **rel)
{
    struct wjob *j = calloc(1, sizeof *j);
    if (!j || sink_spool_fd(s) < 0 || !(j->spool = strdup(spool_name))) {
        free(j);
        return GB_ENOMEM;
    }
    snprintf(j->name, sizeof j->name, "%d.%.16s", k, ext);
    j->spool_dirfd = s->spoolfd;
    return enqueue(s, b, j, rel);
}

int sink_batch_close(struct sink *s, struct sink_batch *b, enum sink_file f,
                     const json_t *line)
{
    int rc = 0;
    b->closed = 1;
    b->f = f;
    if (line) {
        struct buf t;
        buf_init(&t, BUF_UNLIMITED);
        if (jf_append_prec(&t, line, 15) || buf_putc(&t, '\n')) {
            buf_free(&t);
            rc = GB_ENOMEM;
        } else {
            b->len = s->secret ? esc_redact(t.data, t.len, s->secret, strlen(s->secret)) : t.len;
            b->line = t.data; /* the buffer's memory moves to the batch */
        }
    }
    b->next = s->held;
    s->held = b;
    int rc2 = sink_release_held(s, 0);
    return rc ? rc : rc2;
}

/* Closed batches with nothing pending, taken off the held list. */
static struct sink_batch *take_done(struct sink *s)
{
    struct sink_batch *done = NULL, **pp = &s->held;
    if (s->w)
        pthread_mutex_lock(&s->w->mu);
    while (*pp) {
        struct sink_batch *b = *pp;
        if (b->pending) {
            pp = &b->next;
            continue;
        }
        *pp = b->next;
        b->next = done;
        done = b;
    }
    if (s->w)
        pthread_mutex_unlock(&s->w->mu);
    return done;
}

int sink_release_held(struct sink *s, int wait)
{
    struct sink_writer *w = s->w;
    int rc = 0;
    if (w) {
        uint64_t v;
        if (read(w->efd, &v, sizeof v) < 0) {
            /* nothing finished since the last call */
        }
        if (wait) {
            pthread_mutex_lock(&w->mu);
            while (w->n)
                pthread_cond_wait(&w->room, &w->mu);
            pthread_mutex_unlock(&w->mu);
        }
    }
    for (struct sink_batch *b = take_done(s), *next; b; b = next) {
        next = b->next;
        if (b->err) {
            char name[400];
            snprintf(name, sizeof name, "%s/%s", b->rel, b->err_name);
            sink_note_failure(s, "cannot write image", name, b->err);
            rc = GB_EIO;
        } else if (b->line && !s->write_failed) {
            if (fsx_write_all(s->fd[b->f], b->line, b->len)) {
                sink_note_failure(s, "write failed", NULL, errno);
                rc = GB_EIO;
            }
            s->dirty[b->f] = 1;
        }
        close(b->dirfd);
        free(b->line);
        free(b->rel);
        free(b);
    }
    return rc;
}

int sink_image_fd(const struct sink *s)
{
    return s->w ? s->w->efd : -1;
}

size_t sink_images_pending(const struct sink *s)
{
    if (!s->w)
        return 0;
    pthread_mutex_lock(&s->w->mu);
    size_t n = s->w->n;
    pthread_mutex_unlock(&s->w->mu);
    return n;
}

int sink_images_drain(struct sink *s)
{
    return sink_release_held(s, 1);
}
