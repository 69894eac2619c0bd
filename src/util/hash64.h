/* hash64.h: a fast 64-bit hash for id digests (done-sets, shard assignment)
 * and a set of 64-bit digests. The hash is stable across runs and machines:
 * shard K/N and resume depend on it, so never change it.
 * Ownership: struct dset owns its table; dset_free releases it. */
#ifndef GB_HASH64_H
#define GB_HASH64_H

#include <stddef.h>
#include <stdint.h>

uint64_t hash64(const void *p, size_t n, uint64_t seed);

/* Open-addressing set of 64-bit digests (0 is stored out of band). */
struct dset {
    uint64_t *slots;
    size_t cap; /* power of two */
    size_t n;
    int has_zero;
};
void dset_init(struct dset *s);
void dset_free(struct dset *s);
int dset_add(struct dset *s, uint64_t d); /* 1 added, 0 already there, <0 error */
int dset_has(const struct dset *s, uint64_t d);
int dset_del(struct dset *s, uint64_t d); /* 1 removed, 0 absent */

#endif
