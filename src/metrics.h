/* metrics.h: a run's figures in the Prometheus text exposition format, for
 * node_exporter's textfile collector (--metrics FILE). The engine fills a
 * plain struct metrics and calls metrics_write every few seconds and once
 * at the end; the file is replaced atomically each time.
 * Ownership: struct metrics borrows everything it points to; nothing is
 * kept between calls. */
#ifndef GB_METRICS_H
#define GB_METRICS_H

#include <stddef.h>

#include "err.h"
#include "hist.h"

/* Jobs by state (label state="..."); the states do not overlap. */
enum metrics_job_state {
    MJ_COMPLETED, /* answered by the service and written */
    MJ_CACHED,    /* served from the answer cache */
    MJ_FAILED,    /* failed for good (errors.jsonl) */
    MJ_SKIPPED,   /* already done in OUTDIR by an earlier run */
    MJ_RUNNING,   /* started, not ended */
    MJ_QUEUED,    /* read, not started */
    MJ_NSTATES
};

/* Tokens and cost of one model at one service tier. */
struct metrics_model {
    const char *model;
    const char *tier;        /* "standard", "flex", "priority" */
    long long input_tokens, output_tokens, thought_tokens;
    double cost_usd;         /* NAN: unknown (no price): the sample is left out */
};

struct metrics {
    const char *pipeline;    /* name, for gembatch_run_info */
    const char *run_id;
    double start_time;       /* seconds since the epoch */
    double end_time;         /* 0 while the run goes on */
    int exit_status;         /* the process's exit status; -1 while running */
    long long jobs[MJ_NSTATES];
    const long long *http;   /* requests by HTTP status: http[100..599]; may be NULL */
    long long no_answer;     /* requests that got no HTTP status (reset, timeout) */
    long long retries, reasks, shed;
    const struct metrics_model *models;
    size_t nmodels;
    long long cache_hits, cache_misses;
    double cache_saved_usd;  /* NAN: unknown */
    const struct hist *latency; /* per request, microseconds; may be NULL */
    double last_success;     /* end of the last run that exited 0 (this one when it
                              * did, else metrics_last_success of the old file);
                              * NAN or 0: never */
};

/* Format m (new string, free()); NULL when out of memory. */
char *metrics_format(const struct metrics *m, size_t *len);

/* Write m to path through a temporary file in the same folder and a
 * rename, so a collector never reads half a file. */
int metrics_write(const char *path, const struct metrics *m, struct gb_err *err);

/* gembatch_last_success_timestamp_seconds from the file an earlier run
 * left at path, or NAN: a failed night must not erase the last good one. */
double metrics_last_success(const char *path);

/* A label value escaped for the exposition format (\\, \", \n) into out;
 * cut to fit outsz. */
void metrics_escape(const char *s, char *out, size_t outsz);

#endif
