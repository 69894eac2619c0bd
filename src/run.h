/* run.h: the batch engine behind `gembatch run`: inputs in, each job driven
 * through its operations (upload, create, poll, re-ask) on one transfer loop,
 * outcomes to the sink, resume, signals, progress and the summary.
 * Ownership: run_batch borrows cfg and pipe for its duration. */
#ifndef GB_RUN_H
#define GB_RUN_H

#include <signal.h>

#include "err.h"

struct config;
struct pipeline;

/* Returns an outcome of cmd.h (GB_DONE, GB_SOME_FAILED, GB_USAGE, GB_ABORTED,
 * GB_INTERRUPTED); err is filled for GB_USAGE and GB_ABORTED. */
int run_batch(const struct config *cfg, struct pipeline *pipe, struct gb_err *err);

/* --dry-run: print each request (media as type, size, digest) and its token
 * estimate; send nothing. GB_DONE, or GB_USAGE when some lines are bad. */
int run_dry(const struct config *cfg, struct pipeline *pipe);

/* Set by the signal handler: 0 none, 1 drain, 2+ abort in-flight work. */
extern volatile sig_atomic_t run_signals;

#endif
