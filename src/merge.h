/* merge.h: the engine behind `gembatch merge`: shard output folders in, one
 * output folder out (results, errors, journal, images, run.json totals).
 * Ownership: merge_run borrows its options; functions returning json_t *
 * return new references. The id index is merge_index.h's. */
#ifndef GB_MERGE_H
#define GB_MERGE_H

#include <jansson.h>
#include <stddef.h>

#include "err.h"

/* Problems listed by id in run.json's "merge" (duplicates, missing ids,
 * absent shards), at most this many each; the counts stay whole. */
enum { MERGE_LIST_JSON_MAX = 1000 };

struct merge_opts {
    char **inputs;           /* shard folders, in priority order (first wins) */
    int ninputs;
    const char *out;         /* output folder */
    const char **manifests;  /* JSONL manifests of the run, for missing ids; may be 0 */
    int nmanifests;
    int force;               /* replace outputs already in out */
    int copy;                /* copy images, never hard-link */
    int quiet;               /* no summary */
    long list_max;           /* ids listed on stderr per problem */
};

/* Merge. Returns an outcome of cmd.h: GB_DONE (clean), GB_SOME_FAILED
 * (duplicates, missing ids, an absent or unfinished shard: reported), GB_USAGE
 * (refused before writing anything; err filled) or GB_ABORTED (a read or write
 * failed midway; err filled; no file in out is left half written). */
int merge_run(const struct merge_opts *o, struct gb_err *err);

/* ---- merge_totals.c ------------------------------------------------------- */

/* run.json of the merged folder from the shards' run.json (borrowed, in
 * priority order); merge_info (borrowed) is stored under "merge". New ref. */
json_t *merge_run_json(json_t *const *runs, int n, json_t *merge_info);

/* A count in an object (an integer or integral real; 0 when absent). */
long long merge_count_of(const json_t *counts, const char *k);

/* The K of a K/N split seen across runs (seen[k] set for k in 1..N, *n = N),
 * or NULL when the runs were not sharded. New array, freed with free(). */
unsigned char *merge_split_of(json_t *const *runs, int n, long long *nn);

/* Add every integer member of src into dst, recursing into objects (counts,
 * tokens, counts.http). Members missing from dst are created. */
void merge_sum_into(json_t *dst, const json_t *src);

#endif
