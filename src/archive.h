/* archive.h: archives as inputs (tar, tar.gz/bz2/xz/zst, zip, 7z, cpio),
 * read with libarchive as a stream: each regular entry of a supported media
 * type becomes a job (id = the entry's path); other entries are skipped and
 * listed with the reason. Entry bytes are spooled to a private temporary
 * file, never held in memory; names are never used unsanitised.
 * Ownership: arc_open_fd returns a new struct arc that owns the descriptor
 * and the libarchive handle; arc_close releases them and removes spooled
 * files that no job took. */
#ifndef GB_ARCHIVE_H
#define GB_ARCHIVE_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "err.h"

struct job;
struct job_ctx;

struct arc_opts {
    uint64_t max_entry_bytes;   /* --max-entry-bytes (default 2 GiB) */
    double max_ratio;           /* compression-ratio limit (default 1000) */
    const char *spool_dir;      /* where entries are spooled (OUTDIR/.spool) */
    /* Entries for which skip(skip_ctx, id) is non-zero are passed over without
     * spooling (ids already done on resume, other shards' ids); the callback
     * counts them. May be NULL. */
    int (*skip)(void *skip_ctx, const char *id);
    void *skip_ctx;
};

struct arc;

/* Open fd (already read: head[0..n) ) as an archive named name. */
int arc_open_fd(int fd, const char *name, const unsigned char *head, size_t n,
                const struct arc_opts *o, struct arc **out, struct gb_err *err);

/* The next job (new), or NULL at the end. A damaged archive ends the input
 * with one error job naming the archive and entry; entries read before the
 * damage have already become jobs. */
struct job *arc_next(struct arc *a, const struct job_ctx *ctx);

/* Skipped entries: [{"input","entry","reason","code"}...] (borrowed). */
json_t *arc_skipped(const struct arc *a);
/* The same with counts per reason (borrowed). */
struct skips;
const struct skips *arc_skips(const struct arc *a);
void arc_close(struct arc *a);
/* The input was no archive but one compressed stream (a .jsonl.gz, say):
 * read its decompressed bytes with arc_stream_read (0 at the end, <0 with
 * err set), as a manifest. */
int arc_is_stream(const struct arc *a);
ssize_t arc_stream_read(void *ctx, void *buf, size_t n, struct gb_err *err);

/* Disk that spooled entries of unfinished jobs may hold before input reading
 * pauses (run.c feed()); one entry always goes through, whatever its size. */
#define ARC_SPOOL_BUDGET_BYTES ((uint64_t)2 << 30)
/* Bytes of spooled entries job j holds (0 for manifest jobs). */
uint64_t arc_job_spooled(const struct job *j);

/* ---- archive_id.c: no libarchive, no I/O ---------------------------------- */

/* 1 when head (the first n bytes of an input) starts an archive or a
 * compressed stream libarchive reads; 0 for anything else (JSONL). */
int arc_detect(const unsigned char *head, size_t n);

/* Entry names as job ids (folder.c's relative paths too). ARC_NAME_OK: out is
 * the name without leading "/", empty and "." components. ARC_NAME_RENAMED
 * (*why says why: not UTF-8, a control character, over ARC_NAME_MAX bytes):
 * out is a safe form, those bytes and '%' as %XX, long names cut with a hash;
 * the entry runs under it. ARC_NAME_REFUSED (a ".." component, a NUL byte, no
 * name at all): out is such a form with ".." as %2E%2E, for the error; the
 * entry is not read. outsz must be at least ARC_ID_CAP. */
#define ARC_NAME_MAX 1024
#define ARC_ID_CAP (ARC_NAME_MAX + 1)
enum arc_name { ARC_NAME_OK, ARC_NAME_RENAMED, ARC_NAME_REFUSED };
enum arc_name arc_entry_id(const char *raw, size_t n, char *out, size_t outsz, const char **why);
/* 1 when name[0..n) is valid UTF-8 without control characters (usable as an
 * id as it is), else 0. */
int arc_name_plain(const char *name, size_t n);

#endif
