/* archive.c: archives as inputs, streamed through libarchive: one job per
 * regular media entry, copied a block at a time to a private spool file. Owns
 * the libarchive handle, unclaimed spool files and the name/size/ratio checks.
 * Never follows a link, writes outside the spool, or extracts a bomb fully.
 * Entry names become ids through archive_id.c. */
#include "archive.h"
#include "err.h"
#include "fsx.h"
#include "job.h"
#include "log.h"
#include "pipeline.h"
#include "skip.h"
#include "sniff.h"

/* src/archive.h shadows libarchive's header on the -Isrc path; "../include/"
 * reaches the one beside the system include directory (/usr/include). */
#include <../include/archive.h>
#include <archive_entry.h>

#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum {
    BLOCK = 64 * 1024,   /* input reads and entry copies: memory does not grow with entries */
};

/* libarchive's ARCHIVE_ERRNO_FILE_FORMAT (private): "Unrecognized archive format" */
#ifdef EFTYPE
#define NOT_AN_ARCHIVE EFTYPE
#else
#define NOT_AN_ARCHIVE EILSEQ
#endif

/* Below this many bytes out of an entry the ratio says little (headers,
 * blocks decompressed ahead), and a bomb cannot do harm yet. */
#define RATIO_FLOOR ((uint64_t)1 << 20)

struct arc {
    struct archive *a;
    int fd;
    const char *name;          /* borrowed: the input's name lives for the run */
    struct arc_opts o;         /* spool_dir borrowed */
    unsigned char *head;       /* sniffed bytes replayed to libarchive (pipes) */
    size_t head_n, head_pos;
    int seekable;              /* a regular file: libarchive may seek (7z, zip's index) */
    int64_t base;              /* offset of the archive's first byte in fd */
    unsigned char *rbuf;       /* read callback block */
    unsigned char *cbuf;       /* entry copy block */
    struct skips sk;           /* entries passed over, and why */
    long nentries;             /* headers read */
    char prev[ARC_ID_CAP];     /* the last entry read, for damage messages */
    struct archive_entry *first; /* the header arc_open_fd peeked at */
    int first_rc, have_first;
    int done, finished, spool_ready;
    char *pending;             /* a spool file no job owns yet */
    long renamed;              /* entries run under an escaped id */
    char renamed_eg[400];      /* the first of them, and why */
    locale_t utf8;             /* UTF-8 names read as such (see in_utf8), or 0 */
    int stream;                /* no archive: one compressed stream (a manifest) */
};

/* One entry being read. */
struct ent {
    char id[ARC_ID_CAP];
    const char *refused;       /* why the name is refused, or NULL */
    uint64_t unc;              /* bytes read out of the entry */
    int64_t comp0;             /* compressed bytes consumed when the entry started */
    char why[256];             /* libarchive's message when the archive is damaged */
    int err;                   /* errno of a spool write */
};

enum pump_rc { PUMP_OK, PUMP_SIZE, PUMP_RATIO, PUMP_DAMAGED, PUMP_WRITE };

/* ---- libarchive callbacks ------------------------------------------------------- */

static la_ssize_t read_cb(struct archive *a, void *ud, const void **buf)
{
    struct arc *x = ud;
    if (x->head_pos < x->head_n) {
        *buf = x->head + x->head_pos;
        size_t n = x->head_n - x->head_pos;
        x->head_pos = x->head_n;
        return (la_ssize_t)n;
    }
    for (;;) {
        ssize_t n = read(x->fd, x->rbuf, BLOCK);
        if (n >= 0) {
            *buf = x->rbuf;
            return n;
        }
        if (errno != EINTR) {
            archive_set_error(a, errno, "read error: %s", strerror(errno));
            return ARCHIVE_FATAL;
        }
    }
}

static la_int64_t seek_cb(struct archive *a, void *ud, la_int64_t off, int whence)
{
    struct arc *x = ud;
    off_t r = whence == SEEK_SET ? lseek(x->fd, (off_t)(x->base + off), SEEK_SET)
                                 : lseek(x->fd, (off_t)off, whence);
    if (r < 0) {
        archive_set_error(a, errno, "seek error: %s", strerror(errno));
        return ARCHIVE_FATAL;
    }
    return (la_int64_t)r - x->base;
}

/* ---- opening ---------------------------------------------------------------------- */

/* libarchive's message, printable ASCII only (it may quote entry bytes). */
static void clean_error(struct archive *a, char *out, size_t outsz)
{
    const char *m = archive_error_string(a);
    snprintf(out, outsz, "%s", m ? m : "unknown error");
    for (char *p = out; *p; p++)
        if ((unsigned char)*p < 0x20 || (unsigned char)*p >= 0x7f)
            *p = '?';
}

/* libarchive converts names to the current locale's charset and drops those
 * it cannot convert: under the C locale every non-ASCII zip name would be
 * lost. A UTF-8 LC_CTYPE for this thread only, while libarchive runs. */
static locale_t in_utf8(const struct arc *x)
{
    return x->utf8 ? uselocale(x->utf8) : (locale_t)0;
}

static void out_utf8(const struct arc *x, locale_t old)
{
    if (x->utf8)
        uselocale(old);
}

static void arc_free(struct arc *x)
{
    if (!x)
        return;
    if (x->a)
        archive_read_free(x->a);
    if (x->utf8)
        freelocale(x->utf8);
    if (x->pending) {
        unlink(x->pending);
        free(x->pending);
    }
    skips_free(&x->sk);
    free(x->head);
    free(x->rbuf);
    free(x->cbuf);
    free(x);
}

/* Open libarchive on x and read the first header, so an input that is no
 * archive at all is an input error; damage, even in the first header,
 * becomes an error job in arc_next. */
static int start(struct arc *x, const char *name, struct gb_err *err)
{
    char msg[256];
    x->a = archive_read_new();
    if (!x->a)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    /* filter_all and format_all, less what must not run on hostile input:
     * mtree reads the files its text names from the local disk, and lrzip,
     * lzop and grzip run external programs */
    archive_read_support_filter_gzip(x->a);
    archive_read_support_filter_bzip2(x->a);
    archive_read_support_filter_xz(x->a);
    archive_read_support_filter_lzma(x->a);
    archive_read_support_filter_lzip(x->a);
    archive_read_support_filter_zstd(x->a);
    archive_read_support_filter_lz4(x->a);
    archive_read_support_filter_compress(x->a);
    archive_read_support_format_tar(x->a);
    archive_read_support_format_cpio(x->a);
    archive_read_support_format_zip(x->a);
    archive_read_support_format_7zip(x->a);
    archive_read_support_format_ar(x->a);
    archive_read_support_format_cab(x->a);
    archive_read_support_format_rar(x->a);
    archive_read_support_format_rar5(x->a);
    archive_read_support_format_xar(x->a);
    archive_read_support_format_empty(x->a);
    /* last resort (lowest bid): one compressed stream that is no archive, a
     * compressed manifest (.jsonl.gz, .jsonl.zst, ...) read as one */
    archive_read_support_format_raw(x->a);
    archive_read_set_callback_data(x->a, x);
    archive_read_set_read_callback(x->a, read_cb);
    if (x->seekable)
        archive_read_set_seek_callback(x->a, seek_cb);
    if (archive_read_open1(x->a) == ARCHIVE_OK) {
        x->first_rc = archive_read_next_header(x->a, &x->first);
        x->have_first = 1;
        if (x->first_rc != ARCHIVE_OK || archive_format(x->a) != ARCHIVE_FORMAT_RAW)
            return 0;
        if (archive_filter_code(x->a, 0) != ARCHIVE_FILTER_NONE) {
            x->stream = 1; /* the input reads it as a manifest: arc_stream_read */
            return 0;
        }
        snprintf(msg, sizeof msg, "Unrecognized archive format"); /* raw, uncompressed */
    } else if (archive_errno(x->a) != NOT_AN_ARCHIVE) {
        x->first_rc = ARCHIVE_FATAL; /* damaged from the start: one error job says so */
        x->have_first = 1;
        return 0;
    } else {
        clean_error(x->a, msg, sizeof msg);
    }
    const char *f = archive_filter_code(x->a, 0) != ARCHIVE_FILTER_NONE
                        ? archive_filter_name(x->a, 0) : NULL;
    if (f)
        return GB_FAIL(err, GB_EUNSUPPORTED, "'%.300s' is %s-compressed but holds neither an "
                       "archive nor a manifest (%s)", name, f, msg);
    return GB_FAIL(err, GB_EINVAL, "'%.300s' cannot be read as an archive: %s", name, msg);
}

int arc_open_fd(int fd, const char *name, const unsigned char *head, size_t n,
                const struct arc_opts *o, struct arc **out, struct gb_err *err)
{
    *out = NULL;
    int rc = 0;
    struct arc *x = calloc(1, sizeof *x);
    if (!x)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    x->fd = fd;
    x->name = name;
    x->o = *o;
    x->head = malloc(n ? n : 1);
    x->rbuf = malloc(BLOCK);
    x->cbuf = malloc(BLOCK);
    skips_init(&x->sk);
    if (!x->head || !x->rbuf || !x->cbuf || !x->sk.list) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto fail;
    }
    memcpy(x->head, head, n);
    /* a regular file can be seeked (7z and zip keep their index at the end);
     * a pipe gets the sniffed bytes replayed */
    struct stat st;
    off_t cur = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? lseek(fd, 0, SEEK_CUR) : -1;
    if (cur >= (off_t)n && lseek(fd, cur - (off_t)n, SEEK_SET) == cur - (off_t)n) {
        x->seekable = 1;
        x->base = (int64_t)(cur - (off_t)n);
    } else {
        x->head_n = n;
    }
    if (!x->seekable && n >= 6 && !memcmp(head, "7z\xbc\xaf\x27\x1c", 6)) {
        rc = GB_FAIL(err, GB_EUNSUPPORTED, "'%.300s' is a 7z archive, which cannot be read from a "
                     "pipe (its index is at the end); give the file's path instead", name);
        goto fail;
    }
    x->utf8 = newlocale(LC_CTYPE_MASK, "C.UTF-8", (locale_t)0);
    locale_t old = in_utf8(x);
    rc = start(x, name, err);
    out_utf8(x, old);
    if (rc)
        goto fail;
    *out = x;
    return 0;
fail:
    arc_free(x);
    return rc;
}

/* ---- entries ---------------------------------------------------------------------- */

static void skip_entry(struct arc *x, const char *id, enum skip_code code, const char *reason)
{
    skips_add(&x->sk, x->name, id, code, reason);
}

/* The end of the archive, or of what can be read of it: once. */
static void finish(struct arc *x)
{
    if (x->finished)
        return;
    x->finished = 1;
    x->done = 1;
    if (x->renamed)
        log_warn("'%.300s': %ld entry name%s escaped (%%XX) to serve as %s, e.g. '%s)", x->name,
                 x->renamed, x->renamed == 1 ? " was" : "s were", x->renamed == 1 ? "an id" : "ids",
                 x->renamed_eg);
    skips_finish(&x->sk);
}

static struct job *error_job(struct arc *x, const struct job_ctx *ctx, const char *id, int code,
                             const char *fmt, ...) __attribute__((format(printf, 5, 6)));
static struct job *error_job(struct arc *x, const struct job_ctx *ctx, const char *id, int code,
                             const char *fmt, ...)
{
    struct job *j = job_from_media(ctx, x->name, id, "", 0, "document",
                                   "application/octet-stream", 0);
    if (!j)
        return NULL;
    va_list ap;
    va_start(ap, fmt);
    job_failv(j, code, fmt, ap);
    va_end(ap);
    return j;
}

static int over_ratio(const struct arc *x, const struct ent *en)
{
    if (x->o.max_ratio <= 0 || en->unc <= RATIO_FLOOR)
        return 0;
    int64_t comp = archive_filter_bytes(x->a, -1) - en->comp0;
    return (double)en->unc > x->o.max_ratio * (double)(comp > 0 ? comp : 1);
}

/* Copy the rest of the entry to fd (or nowhere when fd < 0), a block at a
 * time, stopping as soon as it passes max_bytes or the compression ratio. */
static enum pump_rc pump(struct arc *x, struct ent *en, int fd, uint64_t max_bytes)
{
    for (;;) {
        la_ssize_t n = archive_read_data(x->a, x->cbuf, BLOCK);
        if (n == 0)
            return PUMP_OK;
        if (n < 0) {
            clean_error(x->a, en->why, sizeof en->why);
            return PUMP_DAMAGED;
        }
        en->unc += (uint64_t)n;
        if (en->unc > max_bytes)
            return PUMP_SIZE;
        if (over_ratio(x, en))
            return PUMP_RATIO;
        if (fd >= 0 && fsx_write_all(fd, x->cbuf, (size_t)n)) {
            en->err = errno;
            return PUMP_WRITE;
        }
    }
}

/* Can libarchive pass over the rest of the entry without decompressing it?
 * Not inside a compressed stream, a 7z folder, or a zip entry whose size
 * comes after its data. */
static int cheap_skip(const struct arc *x, struct archive_entry *e)
{
    if (archive_filter_code(x->a, 0) != ARCHIVE_FILTER_NONE)
        return 0;
    int f = archive_format(x->a) & ARCHIVE_FORMAT_BASE_MASK;
    if (f == ARCHIVE_FORMAT_TAR || f == ARCHIVE_FORMAT_CPIO || f == ARCHIVE_FORMAT_AR)
        return 1;
    return f == ARCHIVE_FORMAT_ZIP && (x->seekable || archive_entry_size_is_set(e));
}

/* The rest of an entry that is not kept: left to libarchive when that is
 * cheap, else read and dropped under the ratio limit, so a bomb hidden in a
 * skipped entry is caught too. */
static enum pump_rc drop_rest(struct arc *x, struct ent *en, struct archive_entry *e)
{
    return cheap_skip(x, e) ? PUMP_OK : pump(x, en, -1, UINT64_MAX);
}

/* The error job for an entry that went wrong: first (may be NULL) says why,
 * pr what reading the rest of it found. */
static struct job *fail_entry(struct arc *x, const struct job_ctx *ctx, struct ent *en,
                              struct archive_entry *e, enum pump_rc pr, const char *first,
                              int code)
{
    char tail[600] = "";
    switch (pr) {
    case PUMP_OK:
        break;
    case PUMP_SIZE:
        snprintf(tail, sizeof tail, "over --max-entry-bytes (%llu bytes); extraction stopped",
                 (unsigned long long)x->o.max_entry_bytes);
        break;
    case PUMP_RATIO: {
        int64_t comp = archive_filter_bytes(x->a, -1) - en->comp0;
        int stop = !cheap_skip(x, e);
        snprintf(tail, sizeof tail, "refused as a decompression bomb: %llu bytes out of %lld "
                 "compressed bytes passes the %.0f:1 ratio limit; extraction stopped%s",
                 (unsigned long long)en->unc, (long long)(comp > 0 ? comp : 0), x->o.max_ratio,
                 stop ? "; the rest of the archive was not read (skipping the entry would mean "
                        "decompressing it)" : "");
        if (stop)
            x->done = 1;
        break;
    }
    case PUMP_DAMAGED:
        snprintf(tail, sizeof tail, "damaged archive: %s; entries after it were not read",
                 en->why);
        x->done = 1;
        break;
    case PUMP_WRITE:
        snprintf(tail, sizeof tail, "cannot write the entry to '%.300s': %s", x->o.spool_dir,
                 strerror(en->err));
        break;
    }
    if (pr != PUMP_OK)
        code = pr == PUMP_WRITE ? GB_EIO : pr == PUMP_DAMAGED ? GB_EINVAL : GB_ELIMIT;
    return error_job(x, ctx, en->id, code, "%s%s%s", first ? first : "",
                     first && tail[0] ? "; " : "", tail);
}

/* A private spool file (0600) named after the entry, for the upload's display name. */
static int spool_open(struct arc *x, const char *id, char **path)
{
    *path = NULL;
    if (!x->spool_ready) {
        /* private when we make it (0700); an existing one is used as it is,
         * never chmod'ed (it may not be ours), and a link is refused: the
         * entries' bytes must not land elsewhere (issue 14) */
        struct stat st;
        if (mkdir(x->o.spool_dir, 0700) && errno != EEXIST)
            return -1;
        if (lstat(x->o.spool_dir, &st))
            return -1;
        if (!S_ISDIR(st.st_mode)) {
            errno = S_ISLNK(st.st_mode) ? ELOOP : ENOTDIR;
            return -1;
        }
        x->spool_ready = 1;
    }
    const char *base = strrchr(id, '/') ? strrchr(id, '/') + 1 : id;
    char *safe = fsx_safe_name(base, strlen(base));
    size_t n = strlen(x->o.spool_dir) + (safe ? strlen(safe) : 0) + 16;
    char *p = safe ? malloc(n) : NULL;
    int fd = -1;
    if (p) {
        snprintf(p, n, "%s/XXXXXX-%s", x->o.spool_dir, safe);
        fd = mkostemps(p, (int)strlen(safe) + 1, O_CLOEXEC);
    }
    free(safe);
    if (fd < 0) {
        int e = p ? errno : ENOMEM;
        free(p);
        errno = e;
        return -1;
    }
    *path = p;
    return fd;
}

static struct job *regular(struct arc *x, const struct job_ctx *ctx, struct ent *en,
                           struct archive_entry *e)
{
    char first[300];
    enum pump_rc pr;
    if (en->refused) {
        snprintf(first, sizeof first, "entry name refused: %s; the entry was not read",
                 en->refused);
        return fail_entry(x, ctx, en, e, drop_rest(x, en, e), first, GB_EINVAL);
    }
    if (archive_entry_is_encrypted(e)) {
        skip_entry(x, en->id, SKIP_ENCRYPTED, "encrypted (not supported)");
        return NULL;
    }
    /* the type comes from the first bytes */
    size_t hn = 0;
    while (hn < SNIFF_HEAD) {
        la_ssize_t n = archive_read_data(x->a, x->cbuf + hn, SNIFF_HEAD - hn);
        if (n == 0)
            break;
        if (n < 0) {
            clean_error(x->a, en->why, sizeof en->why);
            return fail_entry(x, ctx, en, e, PUMP_DAMAGED, NULL, 0);
        }
        hn += (size_t)n;
    }
    en->unc = hn;
    if (!hn) {
        skip_entry(x, en->id, SKIP_EMPTY, "empty file");
        return NULL;
    }
    struct sniff_result sr = sniff_buf(ctx->sniff, x->cbuf, hn);
    const char *type = pipe_entry_type(ctx->pipe, &sr);
    if (!type) {
        char reason[300];
        pipe_skip_reason(ctx->pipe, &sr, reason, sizeof reason);
        pr = drop_rest(x, en, e);
        if (pr != PUMP_OK)
            return fail_entry(x, ctx, en, e, pr, NULL, 0);
        skip_entry(x, en->id, SKIP_TYPE, reason);
        return NULL;
    }
    if (archive_entry_size_is_set(e) && archive_entry_size(e) > 0 &&
        (uint64_t)archive_entry_size(e) > x->o.max_entry_bytes) {
        snprintf(first, sizeof first, "%lld bytes: over --max-entry-bytes (%llu bytes); not "
                 "extracted", (long long)archive_entry_size(e),
                 (unsigned long long)x->o.max_entry_bytes);
        return fail_entry(x, ctx, en, e, drop_rest(x, en, e), first, GB_ELIMIT);
    }
    int fd = spool_open(x, en->id, &x->pending);
    if (fd < 0) {
        en->err = errno;
        return fail_entry(x, ctx, en, e, PUMP_WRITE, NULL, 0);
    }
    if (en->unc > x->o.max_entry_bytes)
        pr = PUMP_SIZE;
    else if (fsx_write_all(fd, x->cbuf, hn))
        pr = PUMP_WRITE, en->err = errno;
    else
        pr = pump(x, en, fd, x->o.max_entry_bytes);
    if (close(fd) && pr == PUMP_OK)
        pr = PUMP_WRITE, en->err = errno;
    if (pr == PUMP_OK) {
        struct job *j = job_from_media(ctx, x->name, en->id, x->pending, en->unc, type,
                                       sr.mime, 1);
        /* the job owns the file once it is among its media */
        if (j && j->nmedia && j->media[0].spooled && !strcmp(j->media[0].path, x->pending)) {
            free(x->pending);
            x->pending = NULL;
        }
        return j;
    }
    unlink(x->pending);
    free(x->pending);
    x->pending = NULL;
    if (pr == PUMP_SIZE) { /* the ratio may still stop the rest */
        snprintf(first, sizeof first, "more than %llu bytes: over --max-entry-bytes; extraction "
                 "stopped", (unsigned long long)x->o.max_entry_bytes);
        return fail_entry(x, ctx, en, e, drop_rest(x, en, e), first, GB_ELIMIT);
    }
    return fail_entry(x, ctx, en, e, pr, NULL, 0);
}

static struct job *next_entry(struct arc *x, const struct job_ctx *ctx)
{
    while (!x->done) {
        if (x->pending) { /* the last entry's file, which no job took */
            unlink(x->pending);
            free(x->pending);
            x->pending = NULL;
        }
        struct archive_entry *e = NULL;
        int r;
        if (x->have_first) {
            r = x->first_rc;
            e = x->first;
            x->have_first = 0;
        } else {
            r = archive_read_next_header(x->a, &e);
        }
        if (r == ARCHIVE_EOF)
            break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            char why[256], id[32];
            clean_error(x->a, why, sizeof why);
            x->done = 1;
            snprintf(id, sizeof id, "#%ld", x->nentries + 1);
            return error_job(x, ctx, id, GB_EINVAL, "damaged archive: entry #%ld (%s%.300s%s) "
                             "cannot be read: %s; entries after it were not read",
                             x->nentries + 1, x->nentries ? "after '" : "the first",
                             x->nentries ? x->prev : "", x->nentries ? "'" : "", why);
        }
        x->nentries++;
        struct ent en;
        memset(&en, 0, sizeof en);
        en.comp0 = archive_filter_bytes(x->a, -1);
        const char *raw = archive_entry_pathname(e);
        if (!raw)
            raw = archive_entry_pathname_utf8(e);
        const char *why = NULL;
        enum arc_name verdict = ARC_NAME_REFUSED;
        if (raw)
            verdict = arc_entry_id(raw, strlen(raw), en.id, sizeof en.id, &why);
        if (verdict == ARC_NAME_REFUSED) {
            en.refused = why;
        } else if (verdict == ARC_NAME_RENAMED && !x->renamed++) {
            snprintf(x->renamed_eg, sizeof x->renamed_eg, "%.300s' (%.80s", en.id, why);
        }
        if (!raw) {
            en.refused = "the name cannot be read";
            snprintf(en.id, sizeof en.id, "#%ld", x->nentries);
        }
        snprintf(x->prev, sizeof x->prev, "%s", en.id);
        const char *kind = NULL;
        enum skip_code code = SKIP_SPECIAL;
        if (archive_entry_hardlink(e))
            kind = "hard link (links are never followed)", code = SKIP_LINK;
        else
            switch (archive_entry_filetype(e)) {
            case AE_IFREG:
                break;
            case AE_IFDIR:
                kind = "directory", code = SKIP_DIRECTORY;
                break;
            case AE_IFLNK:
                kind = "symbolic link (links are never followed)", code = SKIP_LINK;
                break;
            case AE_IFCHR:
            case AE_IFBLK:
                kind = "device file";
                break;
            case AE_IFIFO:
                kind = "FIFO";
                break;
            default:
                kind = "not a regular file";
                break;
            }
        if (kind) {
            enum pump_rc pr = drop_rest(x, &en, e);
            if (pr != PUMP_OK)
                return fail_entry(x, ctx, &en, e, pr, NULL, 0);
            skip_entry(x, en.id, code, kind);
            continue;
        }
        if (!en.refused && x->o.skip && x->o.skip(x->o.skip_ctx, en.id)) {
            /* done already, or another shard's: not worth spooling */
            enum pump_rc pr = drop_rest(x, &en, e);
            if (pr != PUMP_OK)
                return fail_entry(x, ctx, &en, e, pr, NULL, 0);
            continue;
        }
        struct job *j = regular(x, ctx, &en, e);
        if (j)
            return j;
    }
    finish(x);
    return NULL;
}

struct job *arc_next(struct arc *x, const struct job_ctx *ctx)
{
    if (!x)
        return NULL;
    locale_t old = in_utf8(x);
    struct job *j = next_entry(x, ctx);
    out_utf8(x, old);
    return j;
}

json_t *arc_skipped(const struct arc *a)
{
    return a ? a->sk.list : NULL;
}

const struct skips *arc_skips(const struct arc *a)
{
    return a ? &a->sk : NULL;
}

int arc_is_stream(const struct arc *a)
{
    return a && a->stream;
}

ssize_t arc_stream_read(void *ctx, void *buf, size_t n, struct gb_err *err)
{
    struct arc *x = ctx;
    la_ssize_t got = archive_read_data(x->a, buf, n);
    if (got < 0) {
        char msg[300];
        clean_error(x->a, msg, sizeof msg);
        return GB_FAIL(err, GB_EIO, "%.300s: cannot decompress: %s", x->name, msg);
    }
    return (ssize_t)got;
}

void arc_close(struct arc *a)
{
    if (!a)
        return;
    int fd = a->fd;
    arc_free(a);
    if (fd > STDIN_FILENO) /* owned, but standard input is left open */
        close(fd);
}

uint64_t arc_job_spooled(const struct job *j)
{
    uint64_t n = 0;
    for (size_t i = 0; i < j->nmedia; i++)
        if (j->media[i].spooled)
            n += j->media[i].size;
    return n;
}
