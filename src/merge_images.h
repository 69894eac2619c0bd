/* merge_images.h: the images of a kept result, brought from its shard into
 * the merge's staging folder. Used by merge.c only.
 * Ownership: mimg_init allocates the copy buffer and mimg_free releases it;
 * stage is borrowed and must outlive every mimg_bring. */
#ifndef GB_MERGE_IMAGES_H
#define GB_MERGE_IMAGES_H

#include <stddef.h>

#include "err.h"

struct merge_images {
    const char *stage;   /* borrowed: the staging images folder (OUT/.merge-tmp/images) */
    int copy;            /* --copy: never hard-link */
    int no_link;         /* a link crossed file systems: copy from then on */
    char *buf;           /* owned: the copy buffer */
    long long linked, copied;
    long long problems;  /* links and non-folders left out (each warned about) */
};

/* 0, or GB_ENOMEM. Set stage before the first mimg_bring. */
int mimg_init(struct merge_images *mi, int copy);
void mimg_free(struct merge_images *mi);

/* Bring images/<name>/ of shard_dir, the folder the results line
 * line[0..len) names in "files", into stage/<name>/. 0 (also when the line
 * names no images, or when links were left out), or <0 with err set. */
int mimg_bring(struct merge_images *mi, const char *shard_dir, const char *line, size_t len,
               struct gb_err *err);

#endif
