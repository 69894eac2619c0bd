/* sink.h: everything a run writes into OUTDIR: results.jsonl and errors.jsonl
 * (each line whole, one write on an O_APPEND descriptor), images/ (temp file
 * then rename), run.json (atomic replace), the attempt journal, and the lock
 * that keeps two runs out of one OUTDIR.
 * Ownership: struct sink owns its descriptors and paths; sink_close releases
 * them after a final fsync. Lines passed in are copied out at once. */
#ifndef GB_SINK_H
#define GB_SINK_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "err.h"

enum sink_file { SINK_RESULTS, SINK_ERRORS, SINK_JOURNAL, SINK_NFILES };

struct sink {
    char *dir;
    int fd[SINK_NFILES];
    int lock_fd;
    int dirty[SINK_NFILES];
    uint64_t last_sync_ms;
    int write_failed;       /* a write or fsync failed: the run must stop */
    struct buf jpend;       /* journal lines not yet written (sink_flush) */
    char write_error[512];
};

/* Create OUTDIR if needed, take its lock, open the files for appending. With
 * restart, previous outputs are removed first. */
int sink_open(struct sink *s, const char *dir, int restart, struct gb_err *err);
void sink_close(struct sink *s);

/* Append obj as one compact line to a file (one write(2)). */
int sink_line(struct sink *s, enum sink_file f, const json_t *obj);
/* Write bytes as OUTDIR/images/<safe id>/<k>.<ext>; *rel gets the path
 * relative to OUTDIR (new string). */
int sink_image(struct sink *s, const char *id, int k, const void *data, size_t n,
               const char *ext, char **rel);
/* Write the journal lines gathered since the last call, in one write(2).
 * The run calls it before every transfer step, so an attempt's "send" line
 * is on disk before its request leaves; sink_sync and sink_close call it too. */
int sink_flush(struct sink *s);
/* fsync dirty files if a second has passed (or force). */
int sink_sync(struct sink *s, uint64_t now_ms, int force);
/* Replace OUTDIR/run.json atomically. */
int sink_run_json(struct sink *s, const json_t *run);
/* OUTDIR/name as a new string. */
char *sink_path(const struct sink *s, const char *name);

/* Append a preformatted line (without its newline) in one write. */
int sink_raw(struct sink *s, enum sink_file f, const char *text, size_t n);

#endif
