/* hash64.c: a 64-bit hash (wyhash-style multiply-mix over 8-byte words) and a
 * linear-probing digest set. 1,000,000 ids cost 16 MiB at most. */
#include "hash64.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>

static inline uint64_t mix(uint64_t a, uint64_t b)
{
    __uint128_t r = (__uint128_t)a * b;
    return (uint64_t)r ^ (uint64_t)(r >> 64);
}

static inline uint64_t rd64(const uint8_t *p)
{
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

uint64_t hash64(const void *data, size_t n, uint64_t seed)
{
    const uint8_t *p = data;
    const uint64_t k0 = 0xa0761d6478bd642full, k1 = 0xe7037ed1a0b428dbull,
                   k2 = 0x8ebc6af09c88c6e3ull;
    uint64_t h = seed ^ mix(seed ^ k0, k1) ^ (uint64_t)n;
    while (n >= 16) {
        h = mix(rd64(p) ^ k1, rd64(p + 8) ^ h);
        p += 16;
        n -= 16;
    }
    uint64_t a = 0, b = 0;
    if (n >= 8) {
        a = rd64(p);
        p += 8;
        n -= 8;
    }
    for (size_t i = 0; i < n; i++)
        b |= (uint64_t)p[i] << (8 * i);
    h = mix(a ^ k1 ^ h, b ^ k2);
    return mix(h ^ k0, h ^ k2);
}

void dset_init(struct dset *s)
{
    memset(s, 0, sizeof *s);
}

void dset_free(struct dset *s)
{
    free(s->slots);
    memset(s, 0, sizeof *s);
}

static int grow(struct dset *s)
{
    size_t ncap = s->cap ? s->cap * 2 : 1024;
    uint64_t *ns = calloc(ncap, sizeof *ns);
    if (!ns)
        return GB_ENOMEM;
    for (size_t i = 0; i < s->cap; i++) {
        uint64_t d = s->slots[i];
        if (!d)
            continue;
        size_t j = (size_t)d & (ncap - 1);
        while (ns[j])
            j = (j + 1) & (ncap - 1);
        ns[j] = d;
    }
    free(s->slots);
    s->slots = ns;
    s->cap = ncap;
    return 0;
}

int dset_add(struct dset *s, uint64_t d)
{
    if (d == 0) {
        int was = s->has_zero;
        s->has_zero = 1;
        return !was;
    }
    if ((s->n + 1) * 4 > s->cap * 3) { /* load factor 0.75 */
        int rc = grow(s);
        if (rc)
            return rc;
    }
    size_t j = (size_t)d & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == d)
            return 0;
        j = (j + 1) & (s->cap - 1);
    }
    s->slots[j] = d;
    s->n++;
    return 1;
}

int dset_has(const struct dset *s, uint64_t d)
{
    if (d == 0)
        return s->has_zero;
    if (!s->cap)
        return 0;
    size_t j = (size_t)d & (s->cap - 1);
    while (s->slots[j]) {
        if (s->slots[j] == d)
            return 1;
        j = (j + 1) & (s->cap - 1);
    }
    return 0;
}

int dset_del(struct dset *s, uint64_t d)
{
    if (d == 0) {
        int was = s->has_zero;
        s->has_zero = 0;
        return was;
    }
    if (!s->cap)
        return 0;
    size_t mask = s->cap - 1, j = (size_t)d & mask;
    while (s->slots[j] && s->slots[j] != d)
        j = (j + 1) & mask;
    if (!s->slots[j])
        return 0;
    /* backward-shift deletion keeps probe chains intact */
    size_t i = j;
    for (;;) {
        s->slots[i] = 0;
        size_t k = i;
        for (;;) {
            k = (k + 1) & mask;
            if (!s->slots[k]) {
                s->n--;
                return 1;
            }
            size_t home = (size_t)s->slots[k] & mask;
            /* move slots[k] into the hole at i if its home is not in (i, k] */
            if (i <= k ? (home <= i || home > k) : (home <= i && home > k))
                break;
        }
        s->slots[i] = s->slots[k];
        i = k;
    }
}

/* ---- digest -> value map ----------------------------------------------------- */

static size_t dmap_slot(const struct dmap *m, uint64_t d)
{
    size_t mask = m->cap - 1, j = (size_t)d & mask;
    while (m->v[j] && m->d[j] != d)
        j = (j + 1) & mask;
    return j;
}

uint32_t dmap_get(const struct dmap *m, uint64_t d)
{
    return m->cap ? m->v[dmap_slot(m, d)] : 0;
}

int dmap_put(struct dmap *m, uint64_t d, uint32_t v)
{
    if ((m->n + 1) * 4 > m->cap * 3) {
        struct dmap nm = {NULL, NULL, m->cap ? m->cap * 2 : 1024, m->n};
        nm.d = malloc(nm.cap * sizeof *nm.d);
        nm.v = calloc(nm.cap, sizeof *nm.v);
        if (!nm.d || !nm.v) {
            free(nm.d);
            free(nm.v);
            return GB_ENOMEM;
        }
        for (size_t i = 0; i < m->cap; i++)
            if (m->v[i]) {
                size_t j = dmap_slot(&nm, m->d[i]);
                nm.d[j] = m->d[i];
                nm.v[j] = m->v[i];
            }
        free(m->d);
        free(m->v);
        *m = nm;
    }
    size_t j = dmap_slot(m, d);
    m->n += !m->v[j];
    m->d[j] = d;
    m->v[j] = v;
    return 0;
}

void dmap_free(struct dmap *m)
{
    free(m->d);
    free(m->v);
    memset(m, 0, sizeof *m);
}
