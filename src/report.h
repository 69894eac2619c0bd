/* report.h: `gembatch report` and `run --report`: one self-contained HTML page
 * from an output folder (results.jsonl, errors.jsonl, run.json), built in two
 * streaming passes with bounded memory.
 * Ownership: report_write and report_build borrow every argument; nothing they
 * return needs freeing. */
#ifndef GB_REPORT_H
#define GB_REPORT_H

#include "err.h"

/* Rows of the results table embedded in the page; past it the table is an
 * even sample of the jobs and the page says so. Keeps the file bounded. */
#define REPORT_MAX_ROWS_DEFAULT 100000L

struct report_opts {
    const char *outdir;  /* the run's output folder (or a merged one) */
    const char *outfile; /* NULL: OUTDIR/report.html */
    long max_rows;       /* 0: REPORT_MAX_ROWS_DEFAULT */
};

/* What a build saw, for the caller's summary line. */
struct report_info {
    long long results, errors;   /* readable lines of each file */
    long long rows;              /* rows in the page's table */
    long long bad_lines;         /* unreadable lines (torn, not JSON, too long) */
    long long bytes;             /* size of the page written */
};

/* Build the page and replace the output file atomically (written to a
 * temporary file beside it, then renamed). Returns 0, GB_ENOENT when OUTDIR
 * holds none of the three files, GB_EIO on a read or write failure, GB_ENOMEM;
 * err is filled on failure. Unreadable lines are not failures: they are
 * counted in info->bad_lines, listed on the page and warned about. */
int report_build(const struct report_opts *o, struct report_info *info, struct gb_err *err);

/* report_build with the defaults: what `run --report` calls when a run ends. */
int report_write(const char *outdir, const char *outfile, struct gb_err *err);

#endif
