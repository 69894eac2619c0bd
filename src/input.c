/* input.c: open an INPUT, sniff its first bytes, and hand out jobs from the
 * manifest reader or the archive reader. The sniffed bytes are replayed, so
 * pipes (stdin) need no seeking. */
#include "input.h"
#include "fsx.h"
#include "job.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum { HEAD = 512 }; /* tar's "ustar" magic sits at offset 257 */

int input_open(const char *path, const struct arc_opts *ao, struct input **out,
               struct gb_err *err)
{
    struct input *in = calloc(1, sizeof *in);
    if (!in)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    int is_stdin = !strcmp(path, "-");
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(in);
        return GB_FAIL(err, GB_ENOENT, "cannot open '%s': %s", path, strerror(e));
    }
    unsigned char head[HEAD];
    size_t n = 0;
    while (n < sizeof head) {
        ssize_t r = read(fd, head + n, sizeof head - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    in->name = is_stdin ? "<stdin>" : path;
    char *dir = is_stdin ? strdup(".") : fsx_dirname(path);
    int rc;
    if (arc_detect(head, n)) {
        in->kind = INPUT_ARCHIVE;
        rc = arc_open_fd(fd, in->name, head, n, ao, &in->arc, err);
        if (!rc && arc_is_stream(in->arc)) { /* a compressed manifest */
            in->kind = INPUT_MANIFEST;
            rc = man_open_src(arc_stream_read, in->arc, in->name, dir, 0, &in->man, err);
            if (rc)
                arc_close(in->arc); /* and fd with it */
        }
    } else {
        in->kind = INPUT_MANIFEST;
        rc = man_open_fd(fd, !is_stdin, in->name, dir, head, n, 0, &in->man, err);
    }
    free(dir);
    if (rc) {
        if (!is_stdin && in->kind == INPUT_ARCHIVE && !in->arc)
            close(fd);
        free(in);
        return rc;
    }
    *out = in;
    return 0;
}

/* Line no of a manifest could not be read: a job that fails with e. */
static struct job *line_error(struct input *in, const struct job_ctx *ctx, long no,
                              const struct gb_err *e)
{
    struct job *j = job_from_line(ctx, in->name, in->man.dir, no, "{}", 2);
    if (j) {
        j->failed_build = 1;
        j->build_err = *e;
    }
    return j;
}

struct job *input_next(struct input *in, const struct job_ctx *ctx)
{
    if (in->kind == INPUT_ARCHIVE)
        return arc_next(in->arc, ctx);
    const char *line;
    size_t len;
    long no;
    struct gb_err e = {0};
    int rc = man_next(&in->man, &line, &len, &no, &e);
    if (rc == 1) {
        in->lines++;
        return job_from_line(ctx, in->name, in->man.dir, no, line, len);
    }
    if (rc == GB_ELIMIT) {
        in->lines++;
        return line_error(in, ctx, no, &e);
    }
    if (rc < 0) {
        /* a read error ends this input: say so as a job error */
        struct job *j = line_error(in, ctx, in->man.line + 1, &e);
        in->man.eof = 1;
        in->man.chunk_pos = in->man.chunk_len;
        return j;
    }
    return NULL;
}

json_t *input_skipped(const struct input *in)
{
    return in->kind == INPUT_ARCHIVE ? arc_skipped(in->arc) : NULL;
}

void input_close(struct input *in)
{
    if (!in)
        return;
    if (in->kind == INPUT_MANIFEST)
        man_close(&in->man);
    arc_close(in->arc); /* also under a compressed manifest */
    free(in);
}

long long input_count(const char *path)
{
    if (!strcmp(path, "-"))
        return -1;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    unsigned char head[HEAD];
    ssize_t n = fsx_pread_full(fd, head, sizeof head, 0);
    close(fd);
    if (n < 0 || arc_detect(head, (size_t)n))
        return -1; /* an archive's entries are not counted ahead */
    return man_count_lines(path);
}
