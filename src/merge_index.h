/* merge_index.h: merge's id index (for every id kept, the folder and file it
 * was kept from), the ids of results, errors and manifest lines, and the
 * --manifest files checked against the index. Used by merge.c only (and the
 * unit tests).
 * Ownership: struct merge_index owns its table (zero-initialise it, release
 * it with midx_free); merge_line_id and merge_manifest_id return new
 * strings; struct midx_check borrows its list and appends new references. */
#ifndef GB_MERGE_INDEX_H
#define GB_MERGE_INDEX_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "hash64.h"

/* The "id" of a results/errors line (new string in *id). Lines gembatch writes
 * start with {"id":"..."; then only the id token is decoded. 0, or -1 when the
 * line has no string id. */
int merge_line_id(const char *line, size_t len, char **id);

/* The id a manifest line gets in a run (job.c's rule): its "id" (a string, or
 * an integer in decimal), else "line-<lineno>". New string, NULL on ENOMEM. */
char *merge_manifest_id(const char *line, size_t len, long lineno);

/* The file of a folder an id was kept from. */
enum midx_file { MIDX_RESULTS = 0, MIDX_ERRORS = 1 };

/* Id digest -> where it was kept: a digest and 4 bytes an id, so memory
 * grows with the number of ids, never with the files. */
struct merge_index {
    struct dmap map; /* digest -> 1 + 2 * folder + file */
};

/* The digest an id is indexed under. */
uint64_t midx_digest(const char *id);
/* 1 when digest d was kept (*folder and *file say where), 0 when not. */
int midx_find(const struct merge_index *x, uint64_t d, int *folder, enum midx_file *file);
/* Record d as kept from folder's file. 0, or GB_ENOMEM. */
int midx_keep(struct merge_index *x, uint64_t d, int folder, enum midx_file file);
void midx_free(struct merge_index *x);

/* Before anything is written: each of the n manifests is a readable JSONL
 * file ("-" is stdin and not looked at). 0, or GB_EINVAL/GB_EUNSUPPORTED. */
int midx_precheck_manifests(const char *const *paths, int n, struct gb_err *err);

/* What midx_check_manifests finds. */
struct midx_check {
    long list_max;       /* missing ids named on stderr (--list-max) */
    json_t *list;        /* borrowed array: the first MERGE_LIST_JSON_MAX missing ids */
    long long missing;   /* manifest ids in no folder */
    long long outside;   /* ids in the folders that no manifest names */
};

/* Every id of the n manifests that the index does not hold is missing; every
 * id the index holds that no manifest names is outside. 0, or <0 (err). */
int midx_check_manifests(const struct merge_index *x, const char *const *paths, int n,
                         struct midx_check *c, struct gb_err *err);

#endif
