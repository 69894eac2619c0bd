/* schema_invalid.c: instances a schema rejects (the emulator's
 * schema_violation fault): mutations of a valid instance first (what a model
 * gets wrong), then values built from the keywords, then plain values; each
 * checked with the validator. Per-call state only. */
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

#define INV_MAX_DEPTH 8

/* Mutations of one value: replacements first, then (containers) in-place
 * edits. The numbering is stable, so the nth mutation of a copy is the nth of
 * the original. */
static int n_repl(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        return 5;
    case JSON_INTEGER:
        return 5;
    case JSON_REAL:
        return 4;
    case JSON_TRUE:
    case JSON_FALSE:
        return 2;
    case JSON_NULL:
        return 2;
    case JSON_OBJECT:
        return 2;
    case JSON_ARRAY:
        return 2;
    }
    return 0;
}

static int n_inplace(const json_t *v)
{
    if (json_is_object(v))
        return (int)json_object_size(v) + 1;
    if (json_is_array(v))
        return json_array_size(v) ? 3 : 1;
    return 0;
}

static json_t *replacement(const json_t *v, int op)
{
    switch (json_typeof(v)) {
    case JSON_STRING: {
        static const char *const strs[] = {"", "zzz-not-a-valid-value"};
        if (op == 0)
            return json_integer(42);
        if (op <= 2)
            return json_string(strs[op - 1]);
        if (op == 3) { /* too long for any modest maxLength */
            char big[301];
            for (int i = 0; i < 300; i++)
                big[i] = "way too long "[i % 13];
            big[300] = '\0';
            return json_string(big);
        }
        return json_null();
    }
    case JSON_INTEGER: {
        static const json_int_t ints[] = {-1000000000, 1000000000};
        if (op == 0)
            return json_string("42");
        if (op == 1)
            return json_real(0.5);
        if (op <= 3)
            return json_integer(ints[op - 2]);
        return json_null();
    }
    case JSON_REAL:
        if (op == 0)
            return json_string("1.5");
        if (op == 1)
            return json_real(-1e12);
        if (op == 2)
            return json_real(1e12);
        return json_null();
    case JSON_TRUE:
    case JSON_FALSE:
        return op == 0 ? json_string("true") : json_integer(0);
    case JSON_NULL:
        return op == 0 ? json_string("null") : json_integer(0);
    case JSON_OBJECT:
        return op == 0 ? json_array() : json_string("object");
    case JSON_ARRAY:
        return op == 0 ? json_object() : json_string("array");
    }
    return json_null();
}

static void inplace(json_t *v, int op)
{
    if (json_is_object(v)) {
        if (op == (int)json_object_size(v)) {
            json_object_set_new(v, "unexpected_field", json_string("surprise"));
            return;
        }
        int i = 0;
        for (void *it = json_object_iter(v); it; it = json_object_iter_next(v, it), i++)
            if (i == op) {
                json_object_deln(v, json_object_iter_key(it), json_object_iter_key_len(it));
                return;
            }
        return;
    }
    if (op == 0) {
        json_array_clear(v);
    } else if (op == 1) {
        json_array_append_new(v, json_deep_copy(json_array_get(v, 0)));
    } else {
        json_t *last = json_array_get(v, json_array_size(v) - 1);
        for (int i = 0; i < 50; i++)
            json_array_append_new(v, json_deep_copy(last));
    }
}

struct mut {
    int depth;      /* mutate values at this depth only */
    int containers; /* 0: scalar values only, 1: objects and arrays only */
    int target;     /* which mutation at that depth */
    int seen;       /* mutations counted so far */
    int applied;
    json_t *root; /* new root when the root itself is replaced */
};

static void walk(struct mut *m, json_t *v, int depth, json_t *parent, const char *key, size_t klen,
                 size_t idx)
{
    if (m->applied)
        return;
    if (depth == m->depth) {
        int is_container = json_is_object(v) || json_is_array(v);
        int nr = n_repl(v), n = nr + n_inplace(v);
        if (is_container != m->containers)
            return;
        if (m->target >= m->seen + n) {
            m->seen += n;
            return;
        }
        int op = m->target - m->seen;
        m->applied = 1;
        if (op >= nr) {
            inplace(v, op - nr);
            return;
        }
        json_t *r = replacement(v, op);
        if (!parent)
            m->root = r;
        else if (json_is_object(parent))
            json_object_setn_new(parent, key, klen, r);
        else
            json_array_set_new(parent, idx, r);
        return;
    }
    if (json_is_object(v)) {
        for (void *it = json_object_iter(v); it && !m->applied; it = json_object_iter_next(v, it))
            walk(m, json_object_iter_value(it), depth + 1, v, json_object_iter_key(it),
                 json_object_iter_key_len(it), 0);
    } else if (json_is_array(v)) {
        for (size_t i = 0; i < json_array_size(v) && !m->applied; i++)
            walk(m, json_array_get(v, i), depth + 1, v, NULL, 0, i);
    }
}

/* Mutate a copy of v; NULL when target is past the last mutation. */
static json_t *mutated(const json_t *v, int depth, int containers, int target)
{
    json_t *copy = json_deep_copy(v);
    if (!copy)
        return NULL;
    struct mut m = {.depth = depth, .containers = containers, .target = target};
    walk(&m, copy, 0, NULL, NULL, 0, 0);
    if (!m.applied) {
        json_decref(copy);
        return NULL;
    }
    if (m.root) {
        json_decref(copy);
        return m.root;
    }
    return copy;
}

static int count_mutations(const json_t *v, int depth, int containers)
{
    struct mut m = {.depth = depth, .containers = containers, .target = INT_MAX};
    walk(&m, (json_t *)v, 0, NULL, NULL, 0, 0);
    return m.seen;
}

/* ---- values built from the keywords -------------------------------------------------- */

/* cand if some node of in rejects it (then the caller owns it), else NULL. */
static json_t *rejected(const struct glist *in, json_t *cand)
{
    if (cand && !sgen_list_valid(in, cand))
        return cand;
    json_decref(cand);
    return NULL;
}

#define TRY(expr)                                                                                  \
    do {                                                                                           \
        json_t *c_ = rejected(in, (expr));                                                         \
        if (c_)                                                                                    \
            return c_;                                                                             \
    } while (0)

static json_t *type_value(unsigned t)
{
    switch (t) {
    case ST_STRING:
        return json_string("wrong type");
    case ST_INTEGER:
        return json_integer(42);
    case ST_NUMBER:
        return json_real(4.5);
    case ST_BOOLEAN:
        return json_true();
    case ST_NULL:
        return json_null();
    case ST_OBJECT:
        return json_object();
    case ST_ARRAY:
        return json_array();
    }
    return json_null();
}

static json_t *num_value(const struct snode *n, double x)
{
    int ints = (n->flags & SF_TYPE) && !(n->types & ST_NUMBER);
    if ((ints || floor(x) == x) && fabs(x) < 9e15)
        return json_integer((json_int_t)(ints ? floor(x) : x));
    return json_real(x);
}

static json_t *repeat_str(char ch, long n)
{
    if (n < 0 || n > 1000000)
        return NULL;
    char *s = malloc((size_t)n + 1);
    if (!s)
        return NULL;
    memset(s, ch, (size_t)n);
    s[n] = '\0';
    json_t *v = json_stringn(s, (size_t)n);
    free(s);
    return v;
}

static json_t *scalar_candidate(struct gctx *g, const struct glist *in, const struct snode *n)
{
    if (n->flags & SF_TYPE) {
        static const unsigned order[] = {ST_STRING, ST_INTEGER, ST_NUMBER, ST_BOOLEAN,
                                         ST_OBJECT, ST_ARRAY,   ST_NULL};
        unsigned mask = n->types | ((n->flags & SF_NULLABLE) ? ST_NULL : 0);
        size_t start = (size_t)rng_below(&g->r, 7);
        for (size_t k = 0; k < 7; k++) {
            unsigned t = order[(start + k) % 7];
            if (!(mask & t))
                TRY(type_value(t));
        }
    }
    if (n->flags & SF_ENUM) {
        TRY(json_string("zzz-not-in-the-list"));
        TRY(json_integer(987654321));
    }
    if (n->flags & SF_CONST) {
        const json_t *c = n->const_val;
        if (json_is_string(c)) {
            struct buf b;
            buf_init(&b, BUF_UNLIMITED);
            buf_append(&b, json_string_value(c), json_string_length(c));
            buf_puts(&b, "-other");
            json_t *v = json_stringn(b.data, b.len);
            buf_free(&b);
            TRY(v);
        }
        if (json_is_number(c))
            TRY(json_real(json_number_value(c) + 1));
        TRY(json_string("zzz-not-the-constant"));
    }
    if (n->flags & SF_MINIMUM)
        TRY(num_value(n, n->minimum.d - 1));
    if (n->flags & SF_EXMIN)
        TRY(num_value(n, n->exmin.d));
    if (n->flags & SF_MAXIMUM)
        TRY(num_value(n, n->maximum.d + 1));
    if (n->flags & SF_EXMAX)
        TRY(num_value(n, n->exmax.d));
    if (n->flags & SF_MULTIPLE) {
        double m = n->multiple_of.d;
        TRY(num_value(n, m >= 2 && floor(m) == m ? m + 1 : m * 1.5));
        TRY(json_real(m * 1.5));
    }
    if ((n->flags & SF_MINLEN) && n->min_len > 0)
        TRY(repeat_str('a', n->min_len - 1));
    if (n->flags & SF_MAXLEN)
        TRY(repeat_str('a', n->max_len + 1));
    if (n->flags & SF_PATTERN) {
        static const char *const bad[] = {"", "!", "zzz zzz", "0", "A", "\xe2\x80\x94"};
        for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
            TRY(json_string(bad[i]));
    }
    if (n->flags & SF_FORMAT) {
        TRY(json_string("not a valid value"));
        TRY(json_string(""));
    }
    return NULL;
}

static json_t *copy_or(const json_t *base, int want_object)
{
    if (want_object ? json_is_object(base) : json_is_array(base))
        return json_deep_copy(base);
    return want_object ? json_object() : json_array();
}

static json_t *object_candidate(struct gctx *g, const struct glist *in, const struct glist *l,
                                const struct snode *n, const json_t *base, int depth)
{
    for (size_t i = 0; i < n->nprops; i++) {
        const struct sprop *p = &n->props[i];
        if (p->required && json_is_object(base) && json_object_getn(base, p->name, p->len)) {
            json_t *c = json_deep_copy(base);
            json_object_deln(c, p->name, p->len);
            TRY(c);
        }
    }
    for (size_t i = 0; i < n->nreq_extra; i++) {
        json_t *c = copy_or(base, 1);
        json_object_deln(c, n->req_extra[i].s, n->req_extra[i].len);
        TRY(c);
    }
    if ((n->flags & SF_MINPROPS) && n->min_props > 0)
        TRY(json_object());
    if (n->flags & SF_MAXPROPS) {
        json_t *c = copy_or(base, 1);
        for (long k = 0; (long)json_object_size(c) <= n->max_props && k < 100000; k++) {
            char key[32];
            snprintf(key, sizeof key, "field_%ld", k);
            json_object_set_new(c, key, json_null());
        }
        TRY(c);
    }
    if (n->additional && n->additional->is_bool && !n->additional->bool_val) {
        json_t *c = copy_or(base, 1);
        json_object_set_new(c, "unexpected_field", json_string("surprise"));
        TRY(c);
    }
    for (size_t i = 0; i < n->ndep_req; i++) {
        json_t *c = json_object();
        json_object_setn_new(c, n->dep_req[i].name.s, n->dep_req[i].name.len, json_integer(1));
        TRY(c);
    }
    /* A property whose value breaks its own schema. */
    size_t np = n->nprops < 16 ? n->nprops : 16, start = (size_t)rng_below(&g->r, np ? np : 1);
    for (size_t k = 0; k < np; k++) {
        const struct sprop *p = &n->props[(start + k) % np];
        struct glist sub;
        if (sgen_prop_list(g, l, p->name, p->len, &sub))
            continue;
        json_t *iv = sinv_value(g, &sub, depth + 1);
        if (!iv)
            continue;
        json_t *c = copy_or(base, 1);
        json_object_setn_new(c, p->name, p->len, iv);
        TRY(c);
    }
    for (size_t k = 0; k < n->npatprops; k++) {
        struct buf b;
        buf_init(&b, BUF_UNLIMITED);
        json_t *c = NULL;
        struct glist sub;
        if (!rx_generate(n->patprops[k].re, &g->r, &b) &&
            !sgen_prop_list(g, l, b.data ? b.data : "", b.len, &sub)) {
            json_t *iv = sinv_value(g, &sub, depth + 1);
            if (iv) {
                c = copy_or(base, 1);
                json_object_setn_new(c, b.data ? b.data : "", b.len, iv);
            }
        }
        buf_free(&b);
        if (c)
            TRY(c);
    }
    if (n->additional && !n->additional->is_bool) {
        struct glist sub;
        if (!sgen_prop_list(g, l, "extra_field", 11, &sub)) {
            json_t *iv = sinv_value(g, &sub, depth + 1);
            if (iv) {
                json_t *c = copy_or(base, 1);
                json_object_set_new(c, "extra_field", iv);
                TRY(c);
            }
        }
    }
    if (n->property_names) {
        struct glist sub = {.len = 0};
        sgen_list_add(&sub, n->property_names);
        json_t *name = sinv_value(g, &sub, depth + 1);
        if (json_is_string(name)) {
            json_t *c = copy_or(base, 1);
            json_object_setn_new(c, json_string_value(name), json_string_length(name), json_null());
            json_decref(name);
            TRY(c);
        } else {
            json_decref(name);
        }
    }
    return NULL;
}

/* The schemas item i must satisfy. */
static void item_list(const struct glist *l, size_t i, struct glist *out)
{
    out->len = 0;
    for (size_t k = 0; k < l->len; k++) {
        const struct snode *n = l->n[k];
        const struct snode *s = i < n->nprefix ? n->prefix[i] : n->items;
        if (s)
            sgen_list_add(out, s);
    }
}

static json_t *array_candidate(struct gctx *g, const struct glist *in, const struct glist *l,
                               const struct snode *n, const json_t *base, int depth)
{
    if ((n->flags & SF_MINITEMS) && n->min_items > 0) {
        json_t *c = copy_or(base, 0);
        while ((long)json_array_size(c) >= n->min_items)
            json_array_remove(c, json_array_size(c) - 1);
        TRY(c);
    }
    if (n->flags & SF_MAXITEMS) {
        json_t *c = copy_or(base, 0);
        json_t *item = json_array_size(c) ? json_deep_copy(json_array_get(c, 0)) : json_null();
        while ((long)json_array_size(c) <= n->max_items && json_array_size(c) < 100000)
            json_array_append(c, item);
        json_decref(item);
        TRY(c);
    }
    if (n->flags & SF_UNIQUE) {
        json_t *c = copy_or(base, 0);
        json_t *item = json_array_size(c) ? json_deep_copy(json_array_get(c, 0)) : json_null();
        json_array_append_new(c, item);
        if (json_array_size(c) < 2)
            json_array_append_new(c, json_deep_copy(item));
        TRY(c);
    }
    if (n->contains) {
        TRY(json_array());
        struct glist sub = {.len = 0};
        sgen_list_add(&sub, n->contains);
        json_t *hit = sgen_value(g, &sub, depth + 1);
        if (hit && n->max_contains >= 0) {
            json_t *c = json_array();
            for (long k = 0; k <= n->max_contains && k < 100000; k++)
                json_array_append(c, hit);
            json_decref(hit);
            TRY(c);
        } else {
            json_decref(hit);
        }
    }
    size_t last = n->nprefix < 4 ? n->nprefix : 4;
    for (size_t i = 0; i <= last; i++) {
        struct glist sub;
        item_list(l, i, &sub);
        if (!sub.len)
            continue;
        json_t *iv = sinv_value(g, &sub, depth + 1);
        if (!iv)
            continue;
        json_t *c = copy_or(base, 0);
        while (json_array_size(c) < i) {
            struct glist fill;
            item_list(l, json_array_size(c), &fill);
            json_t *fv = fill.len ? sgen_value(g, &fill, depth + 1) : json_null();
            json_array_append_new(c, fv ? fv : json_null());
        }
        if (json_array_size(c) > i)
            json_array_set_new(c, i, iv);
        else
            json_array_append_new(c, iv);
        TRY(c);
    }
    return NULL;
}

static int has_object_kw(const struct snode *n)
{
    return n->nprops || n->nreq_extra || n->npatprops || n->additional || n->property_names ||
           (n->flags & (SF_MINPROPS | SF_MAXPROPS)) || n->ndep_req;
}

static int has_array_kw(const struct snode *n)
{
    return n->nprefix || n->items || n->contains ||
           (n->flags & (SF_MINITEMS | SF_MAXITEMS | SF_UNIQUE));
}

json_t *sinv_value(struct gctx *g, const struct glist *in, int depth)
{
    if (depth > INV_MAX_DEPTH || --g->budget < 0)
        return NULL;
    struct glist l = {.len = 0};
    for (size_t i = 0; i < in->len; i++)
        if (sgen_expand(g, &l, in->n[i], depth) && in->n[i]->is_bool)
            TRY(json_string("anything"));
    for (size_t i = 0; i < l.len; i++) {
        json_t *c = scalar_candidate(g, in, l.n[i]);
        if (c)
            return c;
    }
    json_t *base = NULL, *found = NULL;
    for (size_t i = 0; i < l.len && !found; i++) {
        const struct snode *n = l.n[i];
        int obj = has_object_kw(n), arr = has_array_kw(n);
        if ((obj || arr) && !base)
            base = sgen_value(g, in, depth);
        if (obj)
            found = object_candidate(g, in, &l, n, base, depth);
        if (!found && arr)
            found = array_candidate(g, in, &l, n, base, depth);
    }
    json_decref(base);
    if (found)
        return found;
    for (size_t i = 0; i < l.len; i++) {
        const struct snode *n = l.n[i];
        struct glist sub = {.len = 0};
        if (n->not_ && !sgen_list_add(&sub, n->not_))
            TRY(sgen_value(g, &sub, depth + 1));
        for (size_t k = 0; k < n->nany_of; k++) {
            sub.len = 0;
            sgen_list_add(&sub, n->any_of[k]);
            TRY(sinv_value(g, &sub, depth + 1));
        }
        for (size_t k = 0; k < n->none_of; k++) {
            sub.len = 0;
            sgen_list_add(&sub, n->one_of[k]);
            TRY(sgen_value(g, &sub, depth + 1)); /* may match a second branch too */
            TRY(sinv_value(g, &sub, depth + 1));
        }
        if (n->if_) {
            sub.len = 0;
            sgen_list_add(&sub, n->if_);
            if (n->then_)
                sgen_list_add(&sub, n->then_);
            TRY(sinv_value(g, &sub, depth + 1));
            if (n->else_) {
                sub.len = 0;
                sgen_list_add(&sub, n->else_);
                TRY(sinv_value(g, &sub, depth + 1));
            }
        }
    }
    return NULL;
}

/* ---- public ------------------------------------------------------------------------------ */

int schema_generate_invalid(const struct schema *s, uint64_t seed, json_t **out, struct gb_err *err)
{
    *out = NULL;
    if (!s)
        return GB_FAIL(err, GB_EINVAL, "no schema");
    struct rng r = {seed ^ 0x243f6a8885a308d3ULL};
    rng_next(&r);
    json_t *valid = sgen_try(s, seed, 12);
    int tried = 0;
    /* What a model gets wrong: a field's value first (wrong type, outside the
     * enum, out of bounds), shallow before deep; then structure (a missing
     * property, an extra one, a wrong container). Pairs of depth, containers. */
    static const int order[][2] = {{1, 0}, {0, 0}, {2, 0}, {1, 1}, {0, 1}, {3, 0}, {2, 1},
                                   {3, 1}, {4, 0}, {4, 1}, {5, 0}, {5, 1}, {6, 0}, {6, 1}};
    for (size_t d = 0; valid && d < sizeof order / sizeof order[0] && !*out; d++) {
        int total = count_mutations(valid, order[d][0], order[d][1]);
        int start = total ? (int)rng_below(&r, (uint64_t)total) : 0;
        for (int k = 0; k < total && tried < 400 && !*out; k++, tried++) {
            json_t *cand = mutated(valid, order[d][0], order[d][1], (start + k) % total);
            if (cand && schema_validate(s, cand, NULL, 0) == 0)
                *out = cand;
            else
                json_decref(cand);
        }
    }
    json_decref(valid);
    for (int attempt = 0; attempt < 4 && !*out; attempt++) {
        struct gctx g;
        rx_scratch_init(&g.rx);
        sgen_init(&g, s, seed ^ 0x9e3779b9U, attempt);
        struct glist l = {.len = 0};
        sgen_list_add(&l, s->root);
        json_t *cand = sinv_value(&g, &l, 0);
        rx_scratch_free(&g.rx);
        if (cand && schema_validate(s, cand, NULL, 0) == 0)
            *out = cand;
        else
            json_decref(cand);
    }
    if (*out)
        return 0;
    /* Plain values, for schemas the two ways above cannot reach. */
    json_t *generic[] = {json_null(),
                         json_true(),
                         json_integer(0),
                         json_integer(-1),
                         json_real(1.5),
                         json_string(""),
                         json_string("x"),
                         json_array(),
                         json_object(),
                         json_real(1e300),
                         json_string("zzz-not-a-valid-value")};
    size_t ng = sizeof generic / sizeof generic[0];
    size_t start = (size_t)rng_below(&r, ng);
    for (size_t k = 0; k < ng && !*out; k++) {
        json_t *c = generic[(start + k) % ng];
        if (c && schema_validate(s, c, NULL, 0) == 0)
            *out = json_incref(c);
    }
    for (size_t k = 0; k < ng; k++)
        json_decref(generic[k]);
    if (*out)
        return 0;
    return GB_FAIL(err, GB_EUNSUPPORTED,
                   "cannot generate an invalid instance: the schema seems to accept every value");
}
