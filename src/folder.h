/* folder.h: a folder as an INPUT: walked in sorted order (bytewise, as
 * `LC_ALL=C sort` orders the relative paths), recursively, one job per file
 * the pipeline takes (media, or what its "accept" names), its path relative
 * to the folder as the id, as for archive entries. Links are never followed:
 * symbolic links (to files or folders, inside or outside) are skipped with
 * their reason, as are devices, FIFOs, sockets, empty and unreadable files.
 * Ownership: fld_open returns a new struct fld holding the open folders on
 * the current path and their sorted names; fld_close releases them. Jobs
 * keep the file's path (root/relative), not a descriptor. */
#ifndef GB_FOLDER_H
#define GB_FOLDER_H

#include <jansson.h>

#include "archive.h"
#include "err.h"

struct fld;
struct job;
struct job_ctx;
struct skips;

/* Folders nested deeper than this are skipped (with their reason). */
#define FLD_MAX_DEPTH 64

/* Open root (a folder; root itself may be a link the user named). o->skip,
 * when set, is asked about each file's id before it is read (done on resume,
 * another shard's); the other fields are for archives. root must outlive the
 * jobs (they keep it as their source). */
int fld_open(const char *root, const struct arc_opts *o, struct fld **out, struct gb_err *err);
/* The next job (new), or NULL at the end. */
struct job *fld_next(struct fld *f, const struct job_ctx *ctx);
/* Skipped files: [{"input","entry","reason","code"}...] and their counts
 * (borrowed). */
json_t *fld_skipped(const struct fld *f);
const struct skips *fld_skips(const struct fld *f);
void fld_close(struct fld *f);

#endif
