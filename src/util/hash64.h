/* hash64.h: a fast 64-bit hash for id digests (done-sets, shard assignment)
 * and a set of 64-bit digests. The hash is stable across runs and machines:
 * shard K/N and resume depend on it, so never change it.
 * Ownership: struct dset and struct dmap own their tables; dset_free and
 * dmap_free release them. */
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

/* Digest -> 32-bit value, 0 meaning absent (merge's id index, the journal's
 * answered-request counts). Two arrays, not an array of pairs: 12 bytes a
 * slot, at most 0.75 full, so a million ids take 12 MiB. Zero-initialise;
 * dmap_free releases it. */
struct dmap {
    uint64_t *d;
    uint32_t *v;
    size_t cap, n;
};
uint32_t dmap_get(const struct dmap *m, uint64_t d);
int dmap_put(struct dmap *m, uint64_t d, uint32_t v); /* 0 or GB_ENOMEM; v != 0 */
void dmap_free(struct dmap *m);

#endif
