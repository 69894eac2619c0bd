/* emu_spool.c: the emulator's own temp folder (made on first use under
 * $TMPDIR as gembatch-emu-PID-XXXXXX, 0700, removed with everything in it
 * when the emulator stops; the folders of emulators that died without
 * stopping are removed when the next one makes its own), the byte quota on
 * what it holds, and response bodies made of pieces read back from it
 * (memory, or ranges of files held open) so a large results file is sent
 * without ever being in memory. A leaf: calls only util. */
#include "emu_int.h"
#include "fsx.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct emu_spool {
    pthread_mutex_t mu;
    char *dir;              /* NULL until the first file */
    uint64_t max_bytes, used;
    uint64_t seq;
};

int emu_spool_new(uint64_t max_bytes, struct emu_spool **out)
{
    struct emu_spool *s = calloc(1, sizeof *s);
    if (!s)
        return GB_ENOMEM;
    pthread_mutex_init(&s->mu, NULL);
    s->max_bytes = max_bytes ? max_bytes : UINT64_MAX;
    *out = s;
    return 0;
}

void emu_spool_free(struct emu_spool *s)
{
    if (!s)
        return;
    if (s->dir)
        fsx_rm_tree(s->dir);
    free(s->dir);
    pthread_mutex_destroy(&s->mu);
    free(s);
}

static int create(struct emu_spool *s, const char *prefix, char **path, int *fd);

int emu_spool_dir(struct emu_spool *s, char *out, size_t n)
{
    pthread_mutex_lock(&s->mu);
    int rc = s->dir ? 0 : -1;
    snprintf(out, n, "%s", s->dir ? s->dir : "");
    pthread_mutex_unlock(&s->mu);
    return rc;
}

/* The folders of emulators killed before they could stop (kill -9): ours
 * (same owner), named for a process that no longer exists. */
static void remove_stale(const char *tmp)
{
    DIR *d = opendir(tmp);
    struct dirent *de;
    char path[4096];
    while (d && (de = readdir(d))) {
        char *end;
        if (strncmp(de->d_name, "gembatch-emu-", 13))
            continue;
        long pid = strtol(de->d_name + 13, &end, 10);
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", tmp, de->d_name);
        if (end == de->d_name + 13 || *end != '-' || pid <= 0 || pid == (long)getpid() ||
            lstat(path, &st) || !S_ISDIR(st.st_mode) || st.st_uid != geteuid())
            continue;
        if (kill((pid_t)pid, 0) && errno == ESRCH)
            fsx_rm_tree(path);
    }
    if (d)
        closedir(d);
}

/* under s->mu */
static int make_dir(struct emu_spool *s)
{
    if (s->dir)
        return 0;
    const char *tmp = getenv("TMPDIR");
    char tmpl[4096];
    tmp = tmp && *tmp ? tmp : "/tmp";
    remove_stale(tmp);
    snprintf(tmpl, sizeof tmpl, "%s/gembatch-emu-%ld-XXXXXX", tmp, (long)getpid());
    if (!mkdtemp(tmpl)) /* mkdtemp makes it 0700 */
        return GB_EIO;
    s->dir = strdup(tmpl);
    if (!s->dir) {
        rmdir(tmpl);
        return GB_ENOMEM;
    }
    return 0;
}

int emu_spool_create(struct emu_spool *s, const char *prefix, char **path, int *fd)
{
    *path = NULL;
    *fd = -1;
    for (int again = 0; again < 2; again++) {
        int rc = create(s, prefix, path, fd);
        if (rc != GB_EIO || errno != ENOENT)
            return rc;
        /* the folder went (a tmp cleaner): make another, once */
        pthread_mutex_lock(&s->mu);
        free(s->dir);
        s->dir = NULL;
        pthread_mutex_unlock(&s->mu);
    }
    return GB_EIO;
}

static int create(struct emu_spool *s, const char *prefix, char **path, int *fd)
{
    pthread_mutex_lock(&s->mu);
    int rc = make_dir(s);
    uint64_t n = ++s->seq;
    char *p = NULL;
    if (!rc) {
        size_t len = strlen(s->dir) + strlen(prefix) + 32;
        p = malloc(len);
        if (p)
            snprintf(p, len, "%s/%s-%llu", s->dir, prefix, (unsigned long long)n);
        else
            rc = GB_ENOMEM;
    }
    pthread_mutex_unlock(&s->mu);
    if (rc)
        return rc;
    int f = open(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (f < 0) {
        int saved = errno;
        free(p);
        errno = saved;
        return GB_EIO;
    }
    *path = p;
    *fd = f;
    return 0;
}

int emu_spool_reserve(struct emu_spool *s, uint64_t n)
{
    int rc = 0;
    pthread_mutex_lock(&s->mu);
    if (s->used + n < s->used || s->used + n > s->max_bytes)
        rc = -1;
    else
        s->used += n;
    pthread_mutex_unlock(&s->mu);
    return rc;
}

void emu_spool_release(struct emu_spool *s, uint64_t n)
{
    pthread_mutex_lock(&s->mu);
    s->used = n > s->used ? 0 : s->used - n;
    pthread_mutex_unlock(&s->mu);
}

uint64_t emu_spool_used(struct emu_spool *s)
{
    pthread_mutex_lock(&s->mu);
    uint64_t u = s->used;
    pthread_mutex_unlock(&s->mu);
    return u;
}

void emu_spool_remove(struct emu_spool *s, char *path, uint64_t bytes)
{
    if (path)
        unlink(path);
    free(path);
    if (s && bytes)
        emu_spool_release(s, bytes);
}

/* ---- bodies made of pieces ---------------------------------------------------- */

struct piece {
    char *mem;              /* owned, or NULL for a file range */
    int fd;                 /* owned when mem is NULL */
    uint64_t off, len;
};

struct emu_body {
    struct piece *p;
    size_t n, cap;
    uint64_t size;
};

int emu_body_new(struct emu_body **out)
{
    *out = calloc(1, sizeof **out);
    return *out ? 0 : GB_ENOMEM;
}

static int add(struct emu_body *b, struct piece pc)
{
    if (b->n == b->cap) {
        size_t ncap = b->cap ? b->cap * 2 : 4;
        struct piece *np = realloc(b->p, ncap * sizeof *np);
        if (!np)
            return GB_ENOMEM;
        b->p = np;
        b->cap = ncap;
    }
    b->p[b->n++] = pc;
    b->size += pc.len;
    return 0;
}

int emu_body_mem(struct emu_body *b, char *p, size_t n)
{
    struct piece pc = {p, -1, 0, n};
    if (add(b, pc)) {
        free(p);
        return GB_ENOMEM;
    }
    return 0;
}

int emu_body_text(struct emu_body *b, const char *s)
{
    char *p = strdup(s);
    return p ? emu_body_mem(b, p, strlen(p)) : GB_ENOMEM;
}

int emu_body_file(struct emu_body *b, int fd, uint64_t off, uint64_t len)
{
    struct piece pc = {NULL, fd, off, len};
    if (add(b, pc)) {
        close(fd);
        return GB_ENOMEM;
    }
    return 0;
}

uint64_t emu_body_size(const struct emu_body *b)
{
    return b->size;
}

ssize_t emu_body_read(struct emu_body *b, uint64_t pos, char *buf, size_t max)
{
    size_t got = 0;
    uint64_t base = 0;
    for (size_t i = 0; i < b->n && got < max; i++) {
        struct piece *pc = &b->p[i];
        if (pos >= base + pc->len) {
            base += pc->len;
            continue;
        }
        uint64_t at = pos - base;
        size_t want = (size_t)(pc->len - at < max - got ? pc->len - at : max - got);
        if (pc->mem) {
            memcpy(buf + got, pc->mem + at, want);
        } else {
            ssize_t r = fsx_pread_full(pc->fd, buf + got, want, (off_t)(pc->off + at));
            if (r != (ssize_t)want)
                return -1; /* the file shrank or failed: the body cannot be whole */
        }
        got += want;
        pos += want;
        base += pc->len;
    }
    return (ssize_t)got;
}

void emu_body_free(struct emu_body *b)
{
    if (!b)
        return;
    for (size_t i = 0; i < b->n; i++) {
        if (b->p[i].mem)
            free(b->p[i].mem);
        else if (b->p[i].fd >= 0)
            close(b->p[i].fd);
    }
    free(b->p);
    free(b);
}
