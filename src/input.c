/* input.c: open an INPUT, sniff its first bytes, and hand out jobs from the
 * manifest reader, the archive reader, the folder walker, or the media file
 * itself. The sniffed bytes are replayed, so pipes (stdin) need no seeking. */
#include "input.h"
#include "fsx.h"
#include "job.h"
#include "pipeline.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* tar's "ustar" magic sits at offset 257; a bare MP3 or AAC stream is told
 * from a text by its second frame, up to a few KiB in */
enum { HEAD = SNIFF_HEAD };

int input_is_media(const unsigned char *head, size_t n, struct sniff_result *sr)
{
    *sr = sniff_table(head, n);
    return sr->type && !sr->weak;
}

static int open_folder(struct input *in, const char *path, const struct arc_opts *ao,
                       struct gb_err *err)
{
    in->kind = INPUT_FOLDER;
    return fld_open(path, ao, &in->fld, err);
}

/* The head of fd: up to HEAD bytes, fewer at the end of the input. */
static size_t read_head(int fd, unsigned char *head)
{
    size_t n = 0;
    while (n < HEAD) {
        ssize_t r = read(fd, head + n, HEAD - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        n += (size_t)r;
    }
    return n;
}

/* A media file: its own single job, read again by path when it is sent. */
static int open_media(struct input *in, int fd, const struct sniff_result *sr,
                      struct gb_err *err)
{
    struct stat st;
    if (fstat(fd, &st)) {
        int e = errno;
        close(fd);
        return GB_FAIL(err, GB_EIO, "cannot read '%s': %s", in->name, strerror(e));
    }
    close(fd);
    in->kind = INPUT_MEDIA;
    in->media = *sr;
    in->media_size = (uint64_t)st.st_size;
    skips_init(&in->sk);
    return in->sk.list ? 0 : GB_FAIL(err, GB_ENOMEM, "out of memory");
}

int input_open(const char *path, const struct arc_opts *ao, struct input **out,
               struct gb_err *err)
{
    struct input *in = calloc(1, sizeof *in);
    if (!in)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    int is_stdin = !strcmp(path, "-");
    in->name = is_stdin ? "<stdin>" : path;
    struct stat st;
    if (!is_stdin && stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        int rc = open_folder(in, path, ao, err);
        if (rc)
            free(in);
        else
            *out = in;
        return rc;
    }
    int fd = is_stdin ? 0 : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int e = errno;
        free(in);
        return GB_FAIL(err, GB_ENOENT, "cannot open '%s': %s", path, strerror(e));
    }
    unsigned char head[HEAD];
    size_t n = read_head(fd, head);
    char *dir = is_stdin ? strdup(".") : fsx_dirname(path);
    struct sniff_result sr;
    int media = input_is_media(head, n, &sr);
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
    } else if (media && is_stdin) {
        in->kind = INPUT_MEDIA; /* nothing to close: stdin stays open */
        rc = GB_FAIL(err, GB_EUNSUPPORTED, "standard input holds media (%s), not a manifest; "
                     "give the file's path instead of '-'", sr.mime);
    } else if (media) {
        rc = open_media(in, fd, &sr, err);
    } else {
        in->kind = INPUT_MANIFEST;
        rc = man_open_fd(fd, !is_stdin, in->name, dir, head, n, 0, &in->man, err);
    }
    free(dir);
    if (rc) {
        if (!is_stdin && in->kind == INPUT_ARCHIVE && !in->arc)
            close(fd);
        skips_free(&in->sk);
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

/* The id of a media file given as INPUT: its path as given, without a
 * leading "./"; bytes that are not plain UTF-8 escaped as %XX. */
static void media_id(const char *path, char *out, size_t outsz)
{
    while (path[0] == '.' && path[1] == '/') {
        path += 2;
        while (*path == '/')
            path++;
    }
    const char *why;
    if (arc_name_plain(path, strlen(path)) && strlen(path) <= ARC_NAME_MAX)
        snprintf(out, outsz, "%s", path);
    else
        arc_entry_id(path, strlen(path), out, outsz, &why);
}

static struct job *media_next(struct input *in, const struct job_ctx *ctx)
{
    if (in->media_done)
        return NULL;
    in->media_done = 1;
    char id[ARC_ID_CAP];
    media_id(in->name, id, sizeof id);
    const char *type = pipe_entry_type(ctx->pipe, &in->media);
    if (!type) {
        char reason[300];
        pipe_skip_reason(ctx->pipe, &in->media, reason, sizeof reason);
        skips_add(&in->sk, in->name, id, SKIP_TYPE, reason);
        skips_finish(&in->sk);
        return NULL;
    }
    skips_finish(&in->sk);
    return job_from_media(ctx, in->name, id, in->name, in->media_size, type, in->media.mime, 0);
}

struct job *input_next(struct input *in, const struct job_ctx *ctx)
{
    if (in->kind == INPUT_ARCHIVE)
        return arc_next(in->arc, ctx);
    if (in->kind == INPUT_FOLDER)
        return fld_next(in->fld, ctx);
    if (in->kind == INPUT_MEDIA)
        return media_next(in, ctx);
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
    switch (in->kind) {
    case INPUT_ARCHIVE:
        return arc_skipped(in->arc);
    case INPUT_FOLDER:
        return fld_skipped(in->fld);
    case INPUT_MEDIA:
        return in->sk.list;
    default:
        return NULL;
    }
}

const struct skips *input_skips(const struct input *in)
{
    switch (in->kind) {
    case INPUT_ARCHIVE:
        return arc_skips(in->arc);
    case INPUT_FOLDER:
        return fld_skips(in->fld);
    case INPUT_MEDIA:
        return &in->sk;
    default:
        return NULL;
    }
}

void input_close(struct input *in)
{
    if (!in)
        return;
    if (in->kind == INPUT_MANIFEST)
        man_close(&in->man);
    arc_close(in->arc); /* also under a compressed manifest */
    fld_close(in->fld);
    skips_free(&in->sk);
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
    struct stat st;
    ssize_t n = fstat(fd, &st) || !S_ISREG(st.st_mode) ? -1
                                                        : fsx_pread_full(fd, head, sizeof head, 0);
    close(fd);
    if (n < 0 || arc_detect(head, (size_t)n))
        return -1; /* an archive's entries are not counted ahead, nor a folder's */
    struct sniff_result sr;
    return input_is_media(head, (size_t)n, &sr) ? 1 : man_count_lines(path);
}
