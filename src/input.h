/* input.h: one INPUT of a run, a JSONL manifest or an archive, told apart by
 * its first bytes (never by its name), so stdin works for both.
 * Ownership: input_open returns a new struct input; input_close releases it. */
#ifndef GB_INPUT_H
#define GB_INPUT_H

#include <jansson.h>

#include "archive.h"
#include "err.h"
#include "manifest.h"

struct job;
struct job_ctx;

enum input_kind { INPUT_MANIFEST, INPUT_ARCHIVE };

struct input {
    const char *name;         /* borrowed from the caller (lives for the run), or "<stdin>" */
    enum input_kind kind;
    struct man_reader man;
    struct arc *arc;
    long long lines;          /* manifest lines read */
};

/* path must outlive every job made from it (jobs keep it as their source). */
int input_open(const char *path, const struct arc_opts *ao, struct input **out,
               struct gb_err *err);
/* The next job (new) or NULL at the end of this input. Lines or entries that
 * cannot become requests come back as jobs with failed_build set. */
struct job *input_next(struct input *in, const struct job_ctx *ctx);
/* Skipped archive entries (borrowed), or NULL. */
json_t *input_skipped(const struct input *in);
void input_close(struct input *in);
/* Jobs in a manifest (its non-blank lines) for progress totals; -1 for stdin,
 * archives and unreadable files. */
long long input_count(const char *path);

#endif
