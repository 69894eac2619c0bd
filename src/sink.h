/* sink.h: everything a run writes into OUTDIR: results.jsonl and errors.jsonl
 * (each line whole, one write on an O_APPEND descriptor), images/ (temp file
 * then rename), run.json (atomic replace), the attempt journal, and the lock
 * that keeps two runs out of one OUTDIR.
 * OUTDIR is opened once; every output is opened relative to it without
 * following a symbolic link: a link where a file or folder of ours should be
 * is refused with an error naming it (issue 14). Files are created 0666 and
 * folders 0777: the umask decides. The key given to sink_set_secret is
 * blanked out of every stored line.
 * Ownership: struct sink owns its descriptors, paths, its image writer and
 * the lines it holds; sink_close releases them after a final fsync. Lines
 * passed in are copied out at once; image bytes handed to sink_batch_image
 * are taken. */
#ifndef GB_SINK_H
#define GB_SINK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum sink_file { SINK_RESULTS, SINK_ERRORS, SINK_JOURNAL, SINK_NFILES };

/* Images per answer and per run (issue 14 point 4): one answer with 20,000
 * tiny PNGs made 20,000 fsync'd files. Documented in --help. */
#define SINK_MAX_IMAGES_PER_ANSWER 64
#define SINK_MAX_IMAGES_PER_RUN 100000

struct sink_writer; /* sink_img.c */
struct sink_batch;  /* one job's images, and its line held until they are on disk */

struct sink {
    char *dir;
    int dirfd;              /* OUTDIR */
    int imgfd;              /* OUTDIR/images, -1 until the first image */
    int fd[SINK_NFILES];
    int lock_fd;
    int dirty[SINK_NFILES];
    uint64_t last_sync_ms;
    int write_failed;       /* a write or fsync failed: the run must stop */
    struct buf jpend;       /* journal lines not yet written (sink_flush) */
    char write_error[512];
    char *secret;           /* blanked out of stored text (sink_set_secret) */
    long max_per_answer, max_per_run;
    long images_run;        /* images admitted in this run */
    int spoolfd;            /* OUTDIR/.spool (0700), -1 until sink_spool_fd */
    int batchfd;            /* OUTDIR/batch, -1 until sink_batch_fd */
    struct sink_writer *w;  /* the image writer thread, NULL until the first image */
    struct sink_batch *held;  /* closed batches whose images are not all on disk */
};

/* Create OUTDIR if needed, take its lock, open the files for appending. With
 * restart, previous outputs are removed first. A symbolic link in place of
 * results.jsonl, errors.jsonl, journal.jsonl, run.json, the lock, images/,
 * .spool/ or batch/, or any link inside batch/ (Batch Mode's state, online
 * list and parts), fails with GB_ESTATE and a message naming it (before
 * anything is sent: exit 2). */
int sink_open(struct sink *s, const char *dir, int restart, struct gb_err *err);
/* Waits for queued images, writes the lines they held, fsyncs, closes. */
void sink_close(struct sink *s);

/* From now on every occurrence of key (copied) in a line, a journal event or
 * run.json is written as "[redacted]": a key a server echoed back in an
 * error message never reaches the disk. NULL or a key shorter than 8
 * characters (the embedded emulator's) turns it off. */
int sink_set_secret(struct sink *s, const char *key);
/* Caps on images: per answer and per run (0 keeps the default). */
void sink_set_image_limits(struct sink *s, long per_answer, long per_run);

/* Append obj as one compact line to a file (one write(2)). */
int sink_line(struct sink *s, enum sink_file f, const json_t *obj);
/* Write bytes as OUTDIR/images/<id name>/<k>.<ext> now, in the caller's
 * thread; *rel gets the path relative to OUTDIR (new string). A link in the
 * way is refused (write_failed, the run stops). */
int sink_image(struct sink *s, const char *id, int k, const void *data, size_t n,
               const char *ext, char **rel);
/* Write the journal lines gathered since the last call, in one write(2), and
 * the held result lines whose images are now on disk. The run calls it before
 * every transfer step, so an attempt's "send" line is on disk before its
 * request leaves; sink_sync and sink_close call it too. */
int sink_flush(struct sink *s);
/* fsync dirty files if a second has passed (or force: then queued images are
 * waited for first, so every held line is written). */
int sink_sync(struct sink *s, uint64_t now_ms, int force);
/* OUTDIR/batch, Batch Mode's folder (its files are opened relative to it,
 * never following a link): made when new (0777, so the umask decides),
 * refused when it is a link (-1, errno ELOOP) or not a folder (ENOTDIR).
 * Owned by the sink. */
int sink_batch_fd(struct sink *s);
/* Replace OUTDIR/run.json atomically. */
int sink_run_json(struct sink *s, const json_t *run);
/* OUTDIR/name as a new string. */
char *sink_path(const struct sink *s, const char *name);

/* Append a preformatted line (without its newline) in one write. */
int sink_raw(struct sink *s, enum sink_file f, const char *text, size_t n);

/* ---- images without blocking the transfer loop (sink_img.c) ----------------
 * A writer thread writes, fsyncs and renames image files; the loop only
 * queues them. A job's result line is held until its images are on disk, so
 * no line ever names a file a crash lost (a lost line means the job runs
 * again on resume, nothing worse). The queue is bounded (SINK_QUEUE_BYTES):
 * past it, queueing waits for the writer. */
#define SINK_QUEUE_BYTES ((size_t)64 << 20)

/* Admit n more images of one answer: 0, or GB_ELIMIT with *status
 * ("TOO_MANY_IMAGES": over the per-answer cap; "IMAGE_LIMIT_REACHED": the run's
 * cap) and a message for the job's error line. Counts n against the run. */
int sink_images_admit(struct sink *s, size_t n, const char **status, char *msg, size_t msz);
/* Start a job's images: images/<fsx_id_name(id)>/ is made (a link there is
 * refused: NULL, write_failed set, the run stops). */
struct sink_batch *sink_batch_new(struct sink *s, const char *id);
/* Queue image k: data (malloc'd, taken whatever happens) of n bytes.
 * *rel gets "images/<name>/<k>.<ext>" (new string). */
int sink_batch_image(struct sink *s, struct sink_batch *b, int k, void *data, size_t n,
                     const char *ext, char **rel);
/* OUTDIR/.spool, made private (0700) when it is new, never chmod'ed when it
 * is not, refused when it is a link (-1, errno ELOOP). Owned by the sink. */
int sink_spool_fd(struct sink *s);
/* Queue image k from a file already in OUTDIR/.spool (an image decoded while
 * it streamed in: imgstream.h): the writer fsyncs it and renames it into
 * place (same file system, no copy). */
int sink_batch_image_file(struct sink *s, struct sink_batch *b, int k, const char *spool_name,
                          const char *ext, char **rel);
/* No more images for this batch: line (may be NULL: only the images) is
 * written to f once all of them are on disk; if one failed, the line is
 * dropped and write_failed says why (the run stops; resume runs the job
 * again). Consumes b. */
int sink_batch_close(struct sink *s, struct sink_batch *b, enum sink_file f,
                     const json_t *line);
/* A descriptor readable when the writer finished something (for poll), or
 * -1 before the first image. sink_flush consumes it. */
int sink_image_fd(const struct sink *s);
/* Images queued and not yet on disk. */
size_t sink_images_pending(const struct sink *s);
/* Wait until every queued image is on disk and write the lines they held
 * (before a follow-up sends a generated image back by its path, say). */
int sink_images_drain(struct sink *s);

/* internal: defined in sink_img.c, used by sink.c too */
void sink_note_failure(struct sink *s, const char *what, const char *name, int e);
int sink_images_dir(struct sink *s);
void sink_writer_stop(struct sink *s);
int sink_release_held(struct sink *s, int wait);

#endif
