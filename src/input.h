/* input.h: one INPUT of a run: a JSONL manifest, an archive, a folder, or a
 * media file, told apart by its first bytes (never by its name), so stdin
 * works for manifests and archives.
 * Ownership: input_open returns a new struct input; input_close releases it. */
#ifndef GB_INPUT_H
#define GB_INPUT_H

#include <jansson.h>
#include <stdint.h>

#include "archive.h"
#include "err.h"
#include "folder.h"
#include "manifest.h"
#include "skip.h"
#include "sniff.h"

struct job;
struct job_ctx;

enum input_kind { INPUT_MANIFEST, INPUT_ARCHIVE, INPUT_FOLDER, INPUT_MEDIA };

struct input {
    const char *name;         /* borrowed from the caller (lives for the run), or "<stdin>" */
    enum input_kind kind;
    struct man_reader man;
    struct arc *arc;
    struct fld *fld;
    long long lines;          /* manifest lines read */
    /* INPUT_MEDIA: the file itself is the one job */
    struct sniff_result media;
    uint64_t media_size;
    int media_done;
    struct skips sk;          /* a media INPUT the pipeline does not take */
};

/* path must outlive every job made from it (jobs keep it as their source).
 * A folder is walked (folder.h). A file whose first bytes carry a media
 * signature is one job (input_is_media); anything else that is no archive
 * is read as a manifest, so a damaged manifest still gets its errors line by
 * line. */
int input_open(const char *path, const struct arc_opts *ao, struct input **out,
               struct gb_err *err);
/* The next job (new) or NULL at the end of this input. Lines or entries that
 * cannot become requests come back as jobs with failed_build set. */
struct job *input_next(struct input *in, const struct job_ctx *ctx);
/* Entries passed over (archives, folders, a media file the pipeline does not
 * take): [{"input","entry","reason","code"}...] (borrowed), or NULL. */
json_t *input_skipped(const struct input *in);
/* Their counts per reason (borrowed), or NULL for a manifest. Complete once
 * input_next has returned NULL. */
const struct skips *input_skips(const struct input *in);
void input_close(struct input *in);
/* Jobs in a manifest (its non-blank lines) for progress totals; 1 for a
 * media file; -1 for stdin, archives, folders and unreadable files. */
long long input_count(const char *path);

/* The rule that tells a media file from a manifest, from the first n bytes:
 * a container or format signature sniff_table knows (PNG, JPEG, PDF, MP4,
 * WAV, Ogg, ...) is media; a bare MP3 or ADTS frame sync (two bytes, which
 * a garbled manifest can start with) is media only when a second frame
 * follows where the first ends. Text, JSON and anything else: a manifest,
 * read line by line. Fills *sr. */
int input_is_media(const unsigned char *head, size_t n, struct sniff_result *sr);

#endif
