/* schema_gen.c: valid instances from a compiled schema, deterministic in a
 * seed, for the emulator. Works on lists of nodes that must all hold ($ref,
 * allOf, one chosen anyOf/oneOf branch) and checks every value it builds with
 * the validator; never returns an unchecked instance. Per-call state only. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

#define GMAX SGEN_MAX
#define DEEP 4           /* from this depth on, take the shortest way out */
#define MAX_GEN_DEPTH 24 /* recursive schemas must bottom out before this */
#define BUDGET 20000     /* gen_value calls per attempt */

static int list_has(const struct glist *l, const struct snode *n)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->n[i] == n)
            return 1;
    return 0;
}

int sgen_list_add(struct glist *l, const struct snode *n)
{
    if (list_has(l, n))
        return 0;
    if (l->len >= GMAX)
        return -1;
    l->n[l->len++] = n;
    return 0;
}

int sgen_list_valid(const struct glist *l, const json_t *v)
{
    for (size_t i = 0; i < l->len; i++)
        if (!schema_node_valid(l->n[i], v))
            return 0;
    return 1;
}

/* Rough size of the smallest instance a branch leads to: 0 null/true,
 * 1 scalar, 2 container, 3 container that recurses through a $ref. */
static int branch_cost(const struct snode *b)
{
    for (int hop = 0; b && hop < 16; hop++) {
        if (b->is_bool)
            return 0;
        if (!b->only_ref) {
            unsigned t = (b->flags & SF_TYPE) ? b->types : ST_ALL;
            if (t == ST_NULL)
                return 0;
            if ((b->flags & (SF_CONST | SF_ENUM)) || !(t & (ST_OBJECT | ST_ARRAY)))
                return 1;
            if (b->ref || b->nreq_in_props || b->nreq_extra)
                return 3;
            return 2;
        }
        b = b->ref;
    }
    return 3;
}

static const struct snode *choose_branch(struct gctx *g, struct snode *const *br, size_t n,
                                         int depth)
{
    if (depth >= DEEP) {
        const struct snode *best = NULL;
        int bestc = INT_MAX;
        size_t start = (size_t)rng_below(&g->r, n);
        for (size_t k = 0; k < n; k++) {
            const struct snode *b = br[(start + k) % n];
            int c = branch_cost(b);
            if (c < bestc) {
                bestc = c;
                best = b;
            }
        }
        return best;
    }
    const struct snode *b = br[rng_below(&g->r, n)];
    /* Optional[X] is anyOf [X, null]: mostly fill it in. */
    if (n > 1 && branch_cost(b) == 0 && rng_below(&g->r, 4) != 0)
        b = br[rng_below(&g->r, n)];
    return b;
}

/* Add n and everything that applies to the same value. -1: a false schema
 * (or too many nodes) on the chosen path. */
int sgen_expand(struct gctx *g, struct glist *l, const struct snode *n, int depth)
{
    if (n->is_bool)
        return n->bool_val ? 0 : -1;
    if (list_has(l, n))
        return 0;
    if (sgen_list_add(l, n))
        return -1;
    if (n->ref && sgen_expand(g, l, n->ref, depth))
        return -1;
    for (size_t i = 0; i < n->nall_of; i++)
        if (sgen_expand(g, l, n->all_of[i], depth))
            return -1;
    if (n->nany_of && sgen_expand(g, l, choose_branch(g, n->any_of, n->nany_of, depth), depth))
        return -1;
    if (n->none_of && sgen_expand(g, l, choose_branch(g, n->one_of, n->none_of, depth), depth))
        return -1;
    if (n->if_) {
        if (rng_below(&g->r, 3) != 0 || !n->else_) {
            if (sgen_expand(g, l, n->if_, depth) ||
                (n->then_ && sgen_expand(g, l, n->then_, depth)))
                return -1;
        } else if (sgen_expand(g, l, n->else_, depth)) {
            return -1;
        }
    }
    /* dependentSchemas of a required name always apply. */
    for (size_t i = 0; i < n->ndep_schemas; i++) {
        const struct sstr *k = &n->dep_schemas[i].name;
        int req = 0;
        for (size_t p = 0; p < n->nprops && !req; p++)
            req = n->props[p].required && n->props[p].len == k->len &&
                  !memcmp(n->props[p].name, k->s, k->len);
        for (size_t p = 0; p < n->nreq_extra && !req; p++)
            req = n->req_extra[p].len == k->len && !memcmp(n->req_extra[p].s, k->s, k->len);
        if (req && sgen_expand(g, l, n->dep_schemas[i].node, depth))
            return -1;
    }
    return 0;
}

/* ---- objects ------------------------------------------------------------------------- */

struct gkey {
    const char *name;
    size_t len;
    int required;
    int include;
};

struct gkeys {
    struct gkey *k;
    size_t n, cap;
};

static struct gkey *keys_find(struct gkeys *ks, const char *name, size_t len)
{
    for (size_t i = 0; i < ks->n; i++)
        if (ks->k[i].len == len && !memcmp(ks->k[i].name, name, len))
            return &ks->k[i];
    return NULL;
}

static struct gkey *keys_add(struct gkeys *ks, const char *name, size_t len)
{
    struct gkey *k = keys_find(ks, name, len);
    if (k)
        return k;
    if (ks->n == ks->cap) {
        size_t ncap = ks->cap ? ks->cap * 2 : 16;
        struct gkey *nk = realloc(ks->k, ncap * sizeof *nk);
        if (!nk)
            return NULL;
        ks->k = nk;
        ks->cap = ncap;
    }
    k = &ks->k[ks->n++];
    k->name = name;
    k->len = len;
    k->required = 0;
    k->include = 0;
    return k;
}

static const struct sprop *node_prop(const struct snode *n, const char *key, size_t klen)
{
    for (size_t i = 0; i < n->nprops; i++)
        if (n->props[i].len == klen && !memcmp(n->props[i].name, key, klen))
            return &n->props[i];
    return NULL;
}

/* The schemas a property value must satisfy, from every node of the object. */
int sgen_prop_list(struct gctx *g, const struct glist *l, const char *key, size_t klen,
                   struct glist *out)
{
    out->len = 0;
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        const struct sprop *p = node_prop(n, key, klen);
        int matched = 0;
        if (p) {
            matched = 1;
            if (sgen_list_add(out, p->node))
                return -1;
        }
        for (size_t k = 0; k < n->npatprops; k++)
            if (rx_match(n->patprops[k].re, key, klen, &g->rx) > 0) {
                matched = 1;
                if (sgen_list_add(out, n->patprops[k].node))
                    return -1;
            }
        if (!matched && n->additional && sgen_list_add(out, n->additional))
            return -1;
    }
    return 0;
}

static int dep_trigger(const struct glist *l, const struct gkey *k)
{
    for (size_t i = 0; i < l->len; i++)
        for (size_t d = 0; d < l->n[i]->ndep_schemas; d++)
            if (l->n[i]->dep_schemas[d].name.len == k->len &&
                !memcmp(l->n[i]->dep_schemas[d].name.s, k->name, k->len))
                return 1;
    return 0;
}

static int forbidden(const struct glist *l, const struct gkey *k)
{
    for (size_t i = 0; i < l->len; i++) {
        const struct sprop *p = node_prop(l->n[i], k->name, k->len);
        if (p && p->node->is_bool && !p->node->bool_val)
            return 1;
    }
    return 0;
}

/* A name for a property no "properties" lists (minProperties, patternProperties). */
static json_t *extra_name(struct gctx *g, const struct glist *l, int nth)
{
    struct glist names = {.len = 0};
    for (size_t i = 0; i < l->len; i++)
        if (l->n[i]->property_names)
            sgen_list_add(&names, l->n[i]->property_names);
    if (names.len) {
        struct glist typed = names;
        json_t *v = sgen_value(g, &typed, MAX_GEN_DEPTH - 1);
        if (v && !json_is_string(v)) {
            json_decref(v);
            v = NULL;
        }
        return v;
    }
    for (size_t i = 0; i < l->len; i++)
        if (l->n[i]->npatprops && rng_below(&g->r, 4)) {
            const struct snode *n = l->n[i];
            struct buf b;
            buf_init(&b, BUF_UNLIMITED);
            const struct sregex *re = n->patprops[rng_below(&g->r, n->npatprops)].re;
            json_t *v = NULL;
            if (!rx_generate(re, &g->r, &b) &&
                rx_match(re, b.data ? b.data : "", b.len, &g->rx) > 0)
                v = json_stringn(b.data ? b.data : "", b.len);
            buf_free(&b);
            if (v)
                return v;
        }
    char name[64];
    snprintf(name, sizeof name, "%s_%d", schema_words[rng_below(&g->r, schema_nwords)], nth);
    return json_string(name);
}

static json_t *gen_object(struct gctx *g, const struct glist *l, int depth)
{
    struct gkeys ks = {0};
    json_t *obj = json_object();
    long minp = 0, maxp = -1;
    if (!obj)
        return NULL;
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        /* The document's own order, so output reads like the schema. */
        const json_t *props = json_object_get(n->json, "properties");
        const char *key;
        size_t klen;
        json_t *val;
        if (json_is_object(props))
            json_object_keylen_foreach((json_t *)props, key, klen, val)
            {
                struct gkey *k = keys_add(&ks, key, klen);
                if (!k)
                    goto fail;
                const struct sprop *p = node_prop(n, key, klen);
                if (p && p->required)
                    k->required = 1;
            }
        for (size_t r = 0; r < n->nreq_extra; r++) {
            struct gkey *k = keys_add(&ks, n->req_extra[r].s, n->req_extra[r].len);
            if (!k)
                goto fail;
            k->required = 1;
        }
        if ((n->flags & SF_MINPROPS) && n->min_props > minp)
            minp = n->min_props;
        if ((n->flags & SF_MAXPROPS) && (maxp < 0 || n->max_props < maxp))
            maxp = n->max_props;
    }
    if (minp > 10000) /* no instance that size is plausible output */
        goto fail;
    int pct = depth < 2 ? 70 : depth < DEEP ? 35 : 0;
    size_t count = 0;
    for (size_t i = 0; i < ks.n; i++) {
        struct gkey *k = &ks.k[i];
        k->include = k->required ||
                     ((int)rng_below(&g->r, 100) < pct && !forbidden(l, k) && !dep_trigger(l, k));
    }
    /* dependentRequired: a present name brings its dependencies. */
    for (int changed = 1; changed;) {
        changed = 0;
        for (size_t i = 0; i < l->len; i++)
            for (size_t d = 0; d < l->n[i]->ndep_req; d++) {
                const struct sdepreq *dr = &l->n[i]->dep_req[d];
                struct gkey *k = keys_find(&ks, dr->name.s, dr->name.len);
                if (!k || !k->include)
                    continue;
                for (size_t e = 0; e < dr->ndeps; e++) {
                    struct gkey *dk = keys_add(&ks, dr->deps[e].s, dr->deps[e].len);
                    if (!dk)
                        goto fail;
                    if (!dk->include)
                        changed = dk->include = 1;
                }
            }
    }
    for (size_t i = 0; i < ks.n; i++)
        count += (size_t)ks.k[i].include;
    for (size_t i = ks.n; i-- > 0 && maxp >= 0 && (long)count > maxp;)
        if (ks.k[i].include && !ks.k[i].required) {
            ks.k[i].include = 0;
            count--;
        }
    for (size_t i = 0; i < ks.n && (long)count < minp; i++)
        if (!ks.k[i].include && !forbidden(l, &ks.k[i])) {
            ks.k[i].include = 1;
            count++;
        }
    for (size_t i = 0; i < ks.n; i++) {
        struct gkey *k = &ks.k[i];
        if (!k->include)
            continue;
        struct glist sub;
        if (sgen_prop_list(g, l, k->name, k->len, &sub))
            goto fail;
        const char *saved_key = g->key;
        size_t saved_len = g->keylen;
        g->key = k->name;
        g->keylen = k->len;
        json_t *v = sgen_value(g, &sub, depth + 1);
        g->key = saved_key;
        g->keylen = saved_len;
        if (!v) {
            if (k->required)
                goto fail;
            continue;
        }
        json_object_setn_new(obj, k->name, k->len, v);
    }
    for (int extra = 0; (long)json_object_size(obj) < minp && extra < minp + 8; extra++) {
        json_t *name = extra_name(g, l, extra);
        if (!name)
            goto fail;
        const char *nm = json_string_value(name);
        size_t nl = json_string_length(name);
        struct glist sub;
        json_t *v = NULL;
        if (!json_object_getn(obj, nm, nl) && !sgen_prop_list(g, l, nm, nl, &sub))
            v = sgen_value(g, &sub, depth + 1);
        if (v)
            json_object_setn_new(obj, nm, nl, v);
        json_decref(name);
    }
    free(ks.k);
    return obj;
fail:
    free(ks.k);
    json_decref(obj);
    return NULL;
}

/* ---- arrays ----------------------------------------------------------------------------- */

static json_t *gen_array(struct gctx *g, const struct glist *l, int depth)
{
    long mini = 0, maxi = -1, need = 0, maxc = -1;
    size_t maxprefix = 0;
    int unique = 0;
    struct glist contains = {.len = 0};
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        if ((n->flags & SF_MINITEMS) && n->min_items > mini)
            mini = n->min_items;
        if ((n->flags & SF_MAXITEMS) && (maxi < 0 || n->max_items < maxi))
            maxi = n->max_items;
        if (n->items && n->items->is_bool && !n->items->bool_val &&
            (maxi < 0 || (long)n->nprefix < maxi))
            maxi = (long)n->nprefix;
        if (n->nprefix > maxprefix)
            maxprefix = n->nprefix;
        unique |= (n->flags & SF_UNIQUE) != 0;
        if (n->contains) {
            if (sgen_list_add(&contains, n->contains))
                return NULL;
            if (n->min_contains > need)
                need = n->min_contains;
            if (n->max_contains >= 0 && (maxc < 0 || n->max_contains < maxc))
                maxc = n->max_contains;
        }
    }
    if (maxc >= 0 && need > maxc)
        return NULL;
    long lo = mini > need ? mini : need;
    long hi = maxi >= 0 ? maxi : lo + 3;
    if (lo > hi)
        return NULL;
    long n = lo;
    if (depth < DEEP) {
        long span = hi - lo > 3 ? 3 : hi - lo;
        n = lo + (long)rng_below(&g->r, (uint64_t)span + 1);
        if (n == 0 && hi > 0 && depth < 3 && rng_below(&g->r, 3))
            n = 1 + (hi > 1 && rng_below(&g->r, 2));
        int open_end = 0; /* prefixItems and nothing said about the rest: a tuple */
        for (size_t i = 0; i < l->len; i++)
            open_end |= l->n[i]->nprefix && !l->n[i]->items;
        if (maxprefix && (long)maxprefix >= lo && (long)maxprefix <= hi &&
            (open_end || ((long)maxprefix > n && rng_below(&g->r, 2))))
            n = (long)maxprefix;
    }
    if (n > 100000)
        return NULL;
    json_t *arr = json_array();
    if (!arr)
        return NULL;
    for (long i = 0; i < n; i++) {
        struct glist sub = {.len = 0};
        for (size_t k = 0; k < l->len; k++) {
            const struct snode *nd = l->n[k];
            const struct snode *s = (size_t)i < nd->nprefix ? nd->prefix[i] : nd->items;
            if (s && sgen_list_add(&sub, s))
                goto fail;
        }
        if (i >= n - need) /* the last items carry "contains" */
            for (size_t k = 0; k < contains.len; k++)
                if (sgen_list_add(&sub, contains.n[k]))
                    goto fail;
        json_t *v = NULL;
        for (int t = 0; t < (unique ? 8 : 1); t++) {
            v = sgen_value(g, &sub, depth + 1);
            if (!v || !unique)
                break;
            int dup = 0;
            for (size_t j = 0; j < json_array_size(arr) && !dup; j++)
                dup = schema_json_equal(json_array_get(arr, j), v);
            if (!dup)
                break;
            json_decref(v);
            v = NULL;
        }
        if (!v)
            goto fail;
        json_array_append_new(arr, v);
    }
    return arr;
fail:
    json_decref(arr);
    return NULL;
}

/* ---- one value --------------------------------------------------------------------------- */

static unsigned keyword_hint(const struct snode *n)
{
    unsigned h = 0;
    if (n->nprops || n->nreq_in_props || n->nreq_extra || n->npatprops || n->additional ||
        n->property_names || (n->flags & (SF_MINPROPS | SF_MAXPROPS)) || n->ndep_req)
        h |= ST_OBJECT;
    if (n->nprefix || n->items || n->contains ||
        (n->flags & (SF_MINITEMS | SF_MAXITEMS | SF_UNIQUE)))
        h |= ST_ARRAY;
    if (n->flags & SF_STRINGY)
        h |= ST_STRING;
    if (n->flags & SF_NUMERIC)
        h |= ST_NUMBER | ST_INTEGER;
    return h;
}

static json_t *gen_typed(struct gctx *g, const struct glist *l, unsigned t, int depth)
{
    switch (t) {
    case ST_NULL:
        return json_null();
    case ST_BOOLEAN:
        return json_boolean(rng_below(&g->r, 2));
    case ST_INTEGER:
        return sgen_number(g, l, 1);
    case ST_NUMBER:
        return sgen_number(g, l, 0);
    case ST_STRING:
        return sgen_string(g, l);
    case ST_OBJECT:
        return gen_object(g, l, depth);
    case ST_ARRAY:
        return gen_array(g, l, depth);
    }
    return NULL;
}

static json_t *gen_from(struct gctx *g, const struct glist *l, int depth)
{
    for (size_t i = 0; i < l->len; i++)
        if (l->n[i]->flags & SF_CONST) {
            json_t *v = json_deep_copy(l->n[i]->const_val);
            if (v && sgen_list_valid(l, v))
                return v;
            json_decref(v);
            return NULL;
        }
    for (size_t i = 0; i < l->len; i++)
        if (l->n[i]->flags & SF_ENUM) {
            const json_t *e = l->n[i]->enum_vals;
            size_t cnt = json_array_size(e), start = (size_t)rng_below(&g->r, cnt);
            for (size_t k = 0; k < cnt; k++) {
                const json_t *cand = json_array_get(e, (start + k) % cnt);
                if (sgen_list_valid(l, cand))
                    return json_deep_copy(cand);
            }
            return NULL;
        }
    unsigned mask = ST_ALL, hint = 0;
    for (size_t i = 0; i < l->len; i++) {
        const struct snode *n = l->n[i];
        if (n->flags & SF_TYPE)
            mask &= n->types | ((n->flags & SF_NULLABLE) ? ST_NULL : 0);
        const struct snode *nt = n->not_;
        if (nt && !nt->is_bool && (nt->flags & SF_TYPE) && (mask & ~nt->types))
            mask &= ~nt->types;
        hint |= keyword_hint(n);
    }
    if (mask & ST_NUMBER)
        mask |= ST_INTEGER;
    /* Candidate types: hinted ones first, null last, the rest in between. */
    static const unsigned all[] = {ST_OBJECT, ST_ARRAY,   ST_STRING, ST_INTEGER,
                                   ST_NUMBER, ST_BOOLEAN, ST_NULL};
    unsigned order[8];
    size_t no = 0;
    for (int pass = 0; pass < 3; pass++) {
        size_t start = (size_t)rng_below(&g->r, 6);
        for (size_t k = 0; k < 7; k++) {
            unsigned t = all[(start + k) % 7];
            if (!(mask & t))
                continue;
            int in_pass = pass == 0   ? (hint & t) && t != ST_NULL
                          : pass == 1 ? !(hint & t) && t != ST_NULL
                                      : t == ST_NULL;
            if (in_pass)
                order[no++] = t;
        }
    }
    /* Unconstrained values: plain words read best. */
    if (!hint && mask == ST_ALL && no > 1 && rng_below(&g->r, 2)) {
        for (size_t k = 0; k < no; k++)
            if (order[k] == ST_STRING) {
                order[k] = order[0];
                order[0] = ST_STRING;
            }
    }
    for (size_t k = 0; k < no; k++) {
        json_t *v = gen_typed(g, l, order[k], depth);
        if (v && sgen_list_valid(l, v))
            return v;
        json_decref(v);
    }
    return NULL;
}

json_t *sgen_value(struct gctx *g, const struct glist *in, int depth)
{
    if (depth > MAX_GEN_DEPTH)
        return NULL;
    int tries = depth < 2 ? 6 : 3;
    for (int attempt = 0; attempt < tries; attempt++) {
        if (--g->budget < 0)
            return NULL;
        struct glist l = {.len = 0};
        int ok = 1;
        for (size_t i = 0; i < in->len && ok; i++)
            ok = !sgen_expand(g, &l, in->n[i], depth + attempt);
        if (!ok)
            continue;
        json_t *v = gen_from(g, &l, depth);
        if (v && sgen_list_valid(in, v))
            return v;
        json_decref(v);
    }
    return NULL;
}

/* ---- public ---------------------------------------------------------------------------------- */

static uint64_t seed_mix(uint64_t seed, int attempt)
{
    struct rng r = {seed ^ (0x5851f42d4c957f2dULL * (uint64_t)(attempt + 1))};
    rng_next(&r);
    return rng_next(&r);
}

void sgen_init(struct gctx *g, const struct schema *s, uint64_t seed, int attempt)
{
    g->s = s;
    g->r.s = seed_mix(seed, attempt);
    g->budget = BUDGET;
    g->key = NULL;
    g->keylen = 0;
}

json_t *sgen_try(const struct schema *s, uint64_t seed, int attempts)
{
    struct gctx g;
    rx_scratch_init(&g.rx);
    json_t *out = NULL;
    for (int a = 0; a < attempts && !out; a++) {
        sgen_init(&g, s, seed, a);
        struct glist l = {.len = 0};
        sgen_list_add(&l, s->root);
        json_t *v = s->root->is_bool ? (s->root->bool_val ? json_string("alpha") : NULL)
                                     : sgen_value(&g, &l, 0);
        if (v && schema_validate(s, v, NULL, 0) == 1)
            out = v;
        else
            json_decref(v);
    }
    rx_scratch_free(&g.rx);
    return out;
}

int schema_generate(const struct schema *s, uint64_t seed, json_t **out, struct gb_err *err)
{
    *out = NULL;
    if (!s)
        return GB_FAIL(err, GB_EINVAL, "no schema");
    *out = sgen_try(s, seed, 24);
    if (!*out)
        return GB_FAIL(err, GB_EUNSUPPORTED,
                       "cannot generate an instance of the schema: it may be unsatisfiable, or "
                       "its patterns and combinators are beyond the generator");
    return 0;
}
