/* emu_schemas.c: a bounded cache of compiled JSON Schemas keyed by the
 * SHA-256 of their canonical text, so a batch sending the same
 * response_format ten thousand times compiles it once. Entries are
 * reference-counted: eviction never frees a schema a request still uses.
 * Compiling and generating are schema.c's job; this file only caches. */
#include "emu_int.h"
#include "schema.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct emu_schema_ref {
    uint8_t digest[32];
    struct schema *schema;
    long refs;                 /* holders, the cache's slot included; atomic */
    uint64_t used;             /* LRU tick */
};

struct emu_schemas {
    pthread_mutex_t mu;
    struct emu_schema_ref **slot;
    size_t n, max;
    uint64_t tick;
};

int emu_schemas_new(size_t max_entries, struct emu_schemas **out)
{
    struct emu_schemas *c = calloc(1, sizeof *c);
    if (!c)
        return GB_ENOMEM;
    c->max = max_entries ? max_entries : 1;
    c->slot = calloc(c->max, sizeof *c->slot);
    if (!c->slot) {
        free(c);
        return GB_ENOMEM;
    }
    pthread_mutex_init(&c->mu, NULL);
    *out = c;
    return 0;
}

static void ref_free(struct emu_schema_ref *r)
{
    schema_free(r->schema);
    free(r);
}

void emu_schemas_free(struct emu_schemas *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++)
        emu_schema_put(c->slot[i]);
    free(c->slot);
    pthread_mutex_destroy(&c->mu);
    free(c);
}

static int hash_sink(void *ctx, const char *p, size_t n)
{
    return sha256_update(ctx, p, n);
}

/* SHA-256 of the canonical (compact, key-sorted) text of the schema */
static int digest_of(const json_t *doc, uint8_t out[32])
{
    struct sha256 h;
    if (sha256_init(&h))
        return GB_ENOMEM;
    if (jf_write(doc, 1, hash_sink, &h)) {
        sha256_free(&h);
        return GB_ENOMEM;
    }
    return sha256_final(&h, out) ? GB_ENOMEM : 0;
}

static int compile(const json_t *doc, struct emu_schema_ref **out, struct gb_err *err)
{
    /* the compiled schema keeps its own deep copy: no JSON shared with a request */
    json_t *copy = json_deep_copy(doc);
    struct emu_schema_ref *r = calloc(1, sizeof *r);
    int rc = GB_ENOMEM;
    if (!copy || !r) {
        GB_FAIL(err, rc, "out of memory");
        goto fail;
    }
    if ((rc = schema_compile(copy, "response_format", &r->schema, err)))
        goto fail;
    json_decref(copy);
    r->refs = 1;
    *out = r;
    return 0;
fail:
    json_decref(copy);
    free(r);
    return rc;
}

int emu_schema_get(struct emu_schemas *c, const json_t *doc, struct emu_schema_ref **out,
                   struct gb_err *err)
{
    uint8_t d[32];
    int rc;
    *out = NULL;
    if (!c)
        return compile(doc, out, err);
    if ((rc = digest_of(doc, d)))
        return GB_FAIL(err, rc, "out of memory");
    pthread_mutex_lock(&c->mu);
    for (size_t i = 0; i < c->n; i++)
        if (!memcmp(c->slot[i]->digest, d, 32)) {
            struct emu_schema_ref *r = c->slot[i];
            __atomic_add_fetch(&r->refs, 1, __ATOMIC_RELAXED);
            r->used = ++c->tick;
            pthread_mutex_unlock(&c->mu);
            *out = r;
            return 0;
        }
    pthread_mutex_unlock(&c->mu);
    /* compile outside the lock; a racing twin compile is harmless */
    struct emu_schema_ref *r;
    if ((rc = compile(doc, &r, err)))
        return rc;
    memcpy(r->digest, d, 32);
    struct emu_schema_ref *old = NULL;
    pthread_mutex_lock(&c->mu);
    if (c->n == c->max) { /* evict the least recently used */
        size_t lru = 0;
        for (size_t i = 1; i < c->n; i++)
            if (c->slot[i]->used < c->slot[lru]->used)
                lru = i;
        old = c->slot[lru];
        c->slot[lru] = c->slot[--c->n];
    }
    r->refs = 2; /* the cache's slot and the caller */
    r->used = ++c->tick;
    c->slot[c->n++] = r;
    pthread_mutex_unlock(&c->mu);
    emu_schema_put(old); /* the evicted one lives on while a request holds it */
    *out = r;
    return 0;
}

const struct schema *emu_schema_of(const struct emu_schema_ref *r)
{
    return r ? r->schema : NULL;
}

void emu_schema_put(struct emu_schema_ref *r)
{
    if (r && __atomic_sub_fetch(&r->refs, 1, __ATOMIC_ACQ_REL) == 0)
        ref_free(r);
}
