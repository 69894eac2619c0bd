/* manifest.c: stream JSONL lines out of a file or stdin with bounded memory:
 * a 64 KiB read buffer plus the current line (capped). Knows nothing about
 * what a line means; job.c turns lines into jobs. */
#include "manifest.h"
#include "fsx.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { CHUNK = 64 * 1024 };
#define DEFAULT_MAX_LINE ((size_t)64 * 1024 * 1024)

int man_open(const char *path, size_t max_line, struct man_reader *r, struct gb_err *err)
{
    memset(r, 0, sizeof *r);
    r->fd = -1;
    r->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
    if (!strcmp(path, "-")) {
        r->fd = 0;
        r->name = strdup("<stdin>");
        r->dir = strdup(".");
    } else {
        r->fd = open(path, O_RDONLY | O_CLOEXEC);
        if (r->fd < 0) {
            int e = errno;
            GB_FAIL(err, GB_ENOENT, "cannot open '%s': %s", path, strerror(e));
            return GB_ENOENT;
        }
        struct stat st;
        if (fstat(r->fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(r->fd);
            r->fd = -1;
            return GB_FAIL(err, GB_EINVAL, "'%s' is a folder; give a manifest or an archive",
                           path);
        }
        r->own_fd = 1;
        r->name = strdup(path);
        r->dir = fsx_dirname(path);
    }
    r->chunk = malloc(CHUNK);
    buf_init(&r->cur, r->max_line);
    if (!r->name || !r->dir || !r->chunk) {
        man_close(r);
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    return 0;
}

int man_open_fd(int fd, int own_fd, const char *name, const char *dir, const void *head, size_t n,
                size_t max_line, struct man_reader *r, struct gb_err *err)
{
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->own_fd = own_fd;
    r->max_line = max_line ? max_line : DEFAULT_MAX_LINE;
    r->name = strdup(name);
    r->dir = strdup(dir);
    r->chunk = malloc(CHUNK > n ? CHUNK : n);
    buf_init(&r->cur, r->max_line);
    if (!r->name || !r->dir || !r->chunk) {
        man_close(r);
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    }
    memcpy(r->chunk, head, n);
    r->chunk_len = n;
    r->bytes_read = n;
    return 0;
}

int man_open_src(ssize_t (*src)(void *, void *, size_t, struct gb_err *), void *ctx,
                 const char *name, const char *dir, size_t max_line, struct man_reader *r,
                 struct gb_err *err)
{
    int rc = man_open_fd(-1, 0, name, dir, "", 0, max_line, r, err);
    if (rc)
        return rc;
    r->src = src;
    r->src_ctx = ctx;
    return 0;
}

void man_close(struct man_reader *r)
{
    if (r->own_fd && r->fd >= 0)
        close(r->fd);
    r->fd = -1;
    free(r->chunk);
    free(r->name);
    free(r->dir);
    buf_free(&r->cur);
    r->chunk = r->name = r->dir = NULL;
}

static int fill(struct man_reader *r, struct gb_err *err)
{
    ssize_t n;
    if (r->src) {
        if ((n = r->src(r->src_ctx, r->chunk, CHUNK, err)) < 0)
            return GB_EIO;
    } else {
        while ((n = read(r->fd, r->chunk, CHUNK)) < 0 && errno == EINTR)
            ;
        if (n < 0) {
            int e = errno;
            return GB_FAIL(err, GB_EIO, "%s: read error: %s", r->name, strerror(e));
        }
    }
    r->chunk_len = (size_t)n;
    r->chunk_pos = 0;
    r->bytes_read += (uint64_t)n;
    r->eof = n == 0;
    return 0;
}

static int blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r')
            return 0;
    return 1;
}

int man_next(struct man_reader *r, const char **line, size_t *len, long *lineno,
             struct gb_err *err)
{
    for (;;) {
        buf_reset(&r->cur);
        int overlong = 0, have = 0;
        for (;;) {
            if (r->chunk_pos >= r->chunk_len) {
                if (r->eof)
                    break;
                int rc = fill(r, err);
                if (rc)
                    return rc;
                if (r->eof)
                    break;
            }
            char *s = r->chunk + r->chunk_pos;
            size_t avail = r->chunk_len - r->chunk_pos;
            char *nl = memchr(s, '\n', avail);
            size_t take = nl ? (size_t)(nl - s) : avail;
            if (take || nl)
                have = 1;
            if (!overlong && buf_append(&r->cur, s, take) != 0) {
                overlong = 1;
                buf_reset(&r->cur);
            }
            r->chunk_pos += take + (nl ? 1 : 0);
            if (nl)
                break;
        }
        if (!have && r->eof)
            return 0;
        r->line++;
        if (overlong) {
            *lineno = r->line;
            gb_err_at(err, r->name, r->line, 0);
            return GB_FAIL(err, GB_ELIMIT,
                           "line is longer than %zu bytes; put large media in files and "
                           "reference them with \"files\" or \"path\"",
                           r->max_line);
        }
        size_t n = r->cur.len;
        if (n && r->cur.data[n - 1] == '\r')
            n--;
        if (r->line == 1 && n >= 3 && !memcmp(r->cur.data, "\xef\xbb\xbf", 3)) {
            /* a UTF-8 byte order mark (Windows editors): not part of the JSON */
            memmove(r->cur.data, r->cur.data + 3, n - 3);
            n -= 3;
        }
        if (blank(r->cur.data ? r->cur.data : "", n))
            continue;
        r->cur.data[n] = '\0';
        *line = r->cur.data;
        *len = n;
        *lineno = r->line;
        return 1;
    }
}

long long man_count_lines(const char *path)
{
    if (!strcmp(path, "-"))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    struct stat st;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        return -1;
    }
    char *b = malloc(CHUNK);
    if (!b) {
        close(fd);
        return -1;
    }
    long long count = 0;
    int nonblank = 0;
    ssize_t n;
    while ((n = read(fd, b, CHUNK)) > 0) {
        for (ssize_t i = 0; i < n; i++) {
            char c = b[i];
            if (c == '\n') {
                count += nonblank;
                nonblank = 0;
            } else if (c != ' ' && c != '\t' && c != '\r') {
                nonblank = 1;
            }
        }
    }
    count += nonblank;
    free(b);
    close(fd);
    return n < 0 ? -1 : count;
}
