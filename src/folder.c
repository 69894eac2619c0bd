/* folder.c: a folder as an INPUT, walked depth-first in sorted order with
 * openat/fstatat on the descriptors of the folders above, so no path is
 * resolved twice and no link is ever followed (O_NOFOLLOW, AT_SYMLINK_NOFOLLOW).
 * Owns the open folders on the current path and their sorted names; reads
 * only each file's first bytes (the type), never its content. */
#include "folder.h"
#include "fsx.h"
#include "job.h"
#include "log.h"
#include "pipeline.h"
#include "skip.h"
#include "sniff.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct fent {
    char *name;
    mode_t mode;              /* from fstatat without following links; 0: stat failed */
    int err;                  /* its errno then */
};

struct level {
    int fd;                   /* the folder, open */
    struct fent *v;           /* its entries, sorted */
    size_t n, i;
    char *rel;                /* its path below the root: "" or "a/b/" */
};

struct fld {
    char *root;               /* as given, without trailing '/' (but "/" stays) */
    const char *name;         /* borrowed: the input's name, for jobs and the skipped list */
    struct arc_opts o;
    struct level lv[FLD_MAX_DEPTH + 1];
    int depth;                /* lv[0..depth] are open; -1 when the walk is over */
    struct skips sk;
    long renamed;             /* names run under an escaped id */
    char renamed_eg[400];
    unsigned char head[SNIFF_HEAD];
};

/* Entries in the order their relative paths sort bytewise: a folder's name
 * compares as if followed by '/', as it is in the paths below it. */
static int ent_cmp(const void *pa, const void *pb)
{
    const struct fent *a = pa, *b = pb;
    const unsigned char *p = (const unsigned char *)a->name, *q = (const unsigned char *)b->name;
    for (;; p++, q++) {
        int c1 = *p ? *p : S_ISDIR(a->mode) ? '/' : 0;
        int c2 = *q ? *q : S_ISDIR(b->mode) ? '/' : 0;
        if (c1 != c2 || !*p || !*q)
            return c1 - c2;
    }
}

static void level_free(struct level *l)
{
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].name);
    free(l->v);
    free(l->rel);
    if (l->fd >= 0)
        close(l->fd);
    memset(l, 0, sizeof *l);
    l->fd = -1;
}

/* Read and sort the entries of the folder open on fd. Takes fd. */
static int level_open(struct level *l, int fd, const char *rel, int *eno)
{
    memset(l, 0, sizeof *l);
    l->fd = fd;
    l->rel = strdup(rel);
    int dfd = dup(fd);
    DIR *d = dfd >= 0 ? fdopendir(dfd) : NULL;
    if (!d || !l->rel) {
        *eno = errno ? errno : ENOMEM;
        if (dfd >= 0 && !d)
            close(dfd);
        return -1;
    }
    size_t cap = 0;
    struct dirent *de;
    errno = 0;
    while ((de = readdir(d))) {
        if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
            continue;
        if (l->n == cap) {
            size_t ncap = cap ? cap * 2 : 32;
            struct fent *nv = realloc(l->v, ncap * sizeof *nv);
            if (!nv)
                break;
            l->v = nv;
            cap = ncap;
        }
        struct fent *e = &l->v[l->n];
        struct stat st;
        e->name = strdup(de->d_name);
        if (!e->name)
            break;
        e->mode = fstatat(fd, de->d_name, &st, AT_SYMLINK_NOFOLLOW) ? 0 : st.st_mode;
        e->err = e->mode ? 0 : errno;
        l->n++;
        errno = 0;
    }
    *eno = errno;
    closedir(d);
    if (*eno)
        return -1; /* a read error or out of memory: the folder is not listed in part */
    qsort(l->v, l->n, sizeof *l->v, ent_cmp);
    return 0;
}

int fld_open(const char *root, const struct arc_opts *o, struct fld **out, struct gb_err *err)
{
    struct fld *f = calloc(1, sizeof *f);
    if (!f)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    for (int i = 0; i <= FLD_MAX_DEPTH; i++)
        f->lv[i].fd = -1;
    f->name = root;
    f->o = *o;
    skips_init(&f->sk);
    f->root = strdup(root);
    int rc = 0;
    if (!f->root || !f->sk.list) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    size_t n = strlen(f->root);
    while (n > 1 && f->root[n - 1] == '/')
        f->root[--n] = '\0';
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    int eno = errno;
    if (fd < 0 || level_open(&f->lv[0], fd, "", &eno)) {
        rc = GB_FAIL(err, GB_EIO, "cannot read the folder '%s': %s", root, strerror(eno));
        goto fail;
    }
    *out = f;
    return 0;
fail:
    fld_close(f);
    return rc;
}

static void skip(struct fld *f, const char *id, enum skip_code code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static void skip(struct fld *f, const char *id, enum skip_code code, const char *fmt, ...)
{
    char reason[400];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(reason, sizeof reason, fmt, ap);
    va_end(ap);
    skips_add(&f->sk, f->name, id, code, reason);
}

/* Descend into the folder e of the deepest level. */
static void enter(struct fld *f, const struct fent *e, const char *id, const char *relpath)
{
    struct level *up = &f->lv[f->depth];
    if (f->depth >= FLD_MAX_DEPTH) {
        skip(f, id, SKIP_UNREADABLE, "folder nested more than %d levels deep: not read",
             FLD_MAX_DEPTH);
        return;
    }
    int fd = openat(up->fd, e->name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    int eno = errno;
    char *rel = fsx_join(relpath, "");
    if (fd < 0 || !rel) {
        skip(f, id, SKIP_UNREADABLE, "folder cannot be read: %s", strerror(fd < 0 ? eno : ENOMEM));
        if (fd >= 0)
            close(fd);
        free(rel);
        return;
    }
    struct level *l = &f->lv[f->depth + 1];
    if (level_open(l, fd, rel, &eno)) {
        skip(f, id, SKIP_UNREADABLE, "folder cannot be read: %s", strerror(eno));
        level_free(l);
    } else {
        f->depth++;
    }
    free(rel);
}

/* The file e of the deepest level: a job, or NULL when it is passed over. */
static struct job *file_job(struct fld *f, const struct job_ctx *ctx, const struct fent *e,
                            const char *id, const char *relpath)
{
    struct level *l = &f->lv[f->depth];
    if (f->o.skip && f->o.skip(f->o.skip_ctx, id))
        return NULL; /* done already, or another shard's: counted by the callback */
    /* O_NONBLOCK: a FIFO swapped in since the listing must not hang the walk */
    int fd = openat(l->fd, e->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP)
            skip(f, id, SKIP_LINK, "symbolic link (links are never followed)");
        else
            skip(f, id, SKIP_UNREADABLE, "cannot be read: %s", strerror(errno));
        return NULL;
    }
    struct stat st;
    struct job *j = NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        skip(f, id, SKIP_SPECIAL, "not a regular file");
        goto out;
    }
    if (st.st_size == 0) {
        skip(f, id, SKIP_EMPTY, "empty file");
        goto out;
    }
    ssize_t n = fsx_pread_full(fd, f->head, sizeof f->head, 0);
    if (n <= 0) {
        skip(f, id, n < 0 ? SKIP_UNREADABLE : SKIP_EMPTY, "%s",
             n < 0 ? strerror(errno) : "empty file");
        goto out;
    }
    struct sniff_result sr = sniff_buf(ctx->sniff, f->head, (size_t)n);
    const char *type = pipe_entry_type(ctx->pipe, &sr);
    if (!type) {
        char reason[300];
        pipe_skip_reason(ctx->pipe, &sr, reason, sizeof reason);
        skip(f, id, SKIP_TYPE, "%s", reason);
        goto out;
    }
    char *path = fsx_join(f->root, relpath);
    if (path)
        j = job_from_media(ctx, f->name, id, path, (uint64_t)st.st_size, type, sr.mime, 0);
    free(path);
out:
    close(fd);
    return j;
}

/* The kind of a non-regular, non-folder entry. */
static void skip_other(struct fld *f, const struct fent *e, const char *id)
{
    if (!e->mode)
        skip(f, id, SKIP_UNREADABLE, "cannot be read: %s", strerror(e->err));
    else if (S_ISLNK(e->mode))
        skip(f, id, SKIP_LINK, "symbolic link (links are never followed)");
    else if (S_ISCHR(e->mode) || S_ISBLK(e->mode))
        skip(f, id, SKIP_SPECIAL, "device file");
    else if (S_ISFIFO(e->mode))
        skip(f, id, SKIP_SPECIAL, "FIFO");
    else if (S_ISSOCK(e->mode))
        skip(f, id, SKIP_SPECIAL, "socket");
    else
        skip(f, id, SKIP_SPECIAL, "not a regular file");
}

static void finish(struct fld *f)
{
    f->depth = -1;
    skips_finish(&f->sk);
    if (f->renamed)
        log_warn("'%.300s': %ld file name%s escaped (%%XX) to serve as %s, e.g. '%s)", f->name,
                 f->renamed, f->renamed == 1 ? " was" : "s were", f->renamed == 1 ? "an id" : "ids",
                 f->renamed_eg);
}

struct job *fld_next(struct fld *f, const struct job_ctx *ctx)
{
    while (f && f->depth >= 0) {
        struct level *l = &f->lv[f->depth];
        if (l->i == l->n) {
            level_free(l);
            if (f->depth-- == 0)
                finish(f);
            continue;
        }
        const struct fent *e = &l->v[l->i++];
        char *relpath = fsx_join(l->rel, e->name);
        if (!relpath)
            continue;
        char id[ARC_ID_CAP];
        const char *why = NULL;
        if (arc_entry_id(relpath, strlen(relpath), id, sizeof id, &why) == ARC_NAME_RENAMED &&
            !f->renamed++)
            snprintf(f->renamed_eg, sizeof f->renamed_eg, "%.300s' (%.80s", id, why);
        struct job *j = NULL;
        if (S_ISDIR(e->mode))
            enter(f, e, id, relpath);
        else if (S_ISREG(e->mode))
            j = file_job(f, ctx, e, id, relpath);
        else
            skip_other(f, e, id);
        free(relpath);
        if (j)
            return j;
    }
    return NULL;
}

json_t *fld_skipped(const struct fld *f)
{
    return f ? f->sk.list : NULL;
}

const struct skips *fld_skips(const struct fld *f)
{
    return f ? &f->sk : NULL;
}

void fld_close(struct fld *f)
{
    if (!f)
        return;
    for (int i = 0; i <= FLD_MAX_DEPTH; i++)
        if (f->lv[i].fd >= 0 || f->lv[i].v)
            level_free(&f->lv[i]);
    skips_free(&f->sk);
    free(f->root);
    free(f);
}
