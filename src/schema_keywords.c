/* schema_keywords.c: read one object schema's keywords into its node: types
 * checked, numbers typed, regexes compiled, subschemas compiled. Refuses
 * unimplemented keywords (GB_EUNSUPPORTED) and wrong values (GB_EINVAL),
 * naming the JSON pointer. Knows nothing of $ref resolution or validation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

/* Keywords that change validation but are not implemented: refuse them
 * rather than pass everything silently. */
static const char *const unsupported_kw[] = {
    "$dynamicRef",      "$dynamicAnchor",        "$recursiveRef",
    "$recursiveAnchor", "unevaluatedProperties", "unevaluatedItems",
};

static const struct {
    const char *name;
    unsigned bit;
} type_names[] = {
    {"null", ST_NULL},     {"boolean", ST_BOOLEAN}, {"object", ST_OBJECT},   {"array", ST_ARRAY},
    {"number", ST_NUMBER}, {"string", ST_STRING},   {"integer", ST_INTEGER},
};

/* ---- keyword value readers ----------------------------------------------- */

static int read_num(struct cctx *c, const json_t *v, const char *kwpath, struct snum *out)
{
    if (!json_is_number(v))
        return sc_bad(c, GB_EINVAL, kwpath, "expected a number, got %s", sc_type_name(v));
    if (json_is_integer(v)) {
        out->i = json_integer_value(v);
        out->d = (double)out->i;
        out->is_int = 1;
    } else {
        out->d = json_real_value(v);
        out->is_int = floor(out->d) == out->d && fabs(out->d) < 9.2e18;
        out->i = out->is_int ? (int64_t)out->d : 0;
    }
    return 0;
}

/* Non-negative integer; 2.0 is accepted as 2 (the suite's "with a decimal"). */
static int read_count(struct cctx *c, const json_t *v, const char *kwpath, long *out)
{
    double d;
    if (json_is_integer(v))
        d = (double)json_integer_value(v);
    else if (json_is_real(v))
        d = json_real_value(v);
    else
        return sc_bad(c, GB_EINVAL, kwpath, "expected a non-negative integer, got %s",
                      sc_type_name(v));
    if (d < 0 || floor(d) != d)
        return sc_bad(c, GB_EINVAL, kwpath, "expected a non-negative integer, got %g", d);
    *out = d > 2e9 ? 2000000000L : (long)d;
    return 0;
}

static int compile_list(struct cctx *c, const json_t *v, const char *kwpath, int nonempty,
                        struct snode ***out, size_t *nout)
{
    if (!json_is_array(v))
        return sc_bad(c, GB_EINVAL, kwpath, "expected an array of schemas, got %s",
                      sc_type_name(v));
    size_t n = json_array_size(v);
    if (nonempty && n == 0)
        return sc_bad(c, GB_EINVAL, kwpath, "expected a non-empty array of schemas");
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    *nout = n;
    for (size_t i = 0; i < n; i++) {
        char num[32];
        int len = snprintf(num, sizeof num, "%zu", i);
        int rc = sc_compile_sub(c, json_array_get(v, i), kwpath, num, (size_t)len, &(*out)[i]);
        if (rc)
            return rc;
    }
    return 0;
}

static int sstr_of(const json_t *v, struct sstr *out)
{
    if (!json_is_string(v))
        return -1;
    out->s = json_string_value(v);
    out->len = json_string_length(v);
    return 0;
}

static int read_names(struct cctx *c, const json_t *v, const char *kwpath, struct sstr **out,
                      size_t *nout)
{
    if (!json_is_array(v))
        return sc_bad(c, GB_EINVAL, kwpath, "expected an array of property names, got %s",
                      sc_type_name(v));
    size_t n = json_array_size(v);
    *out = calloc(n ? n : 1, sizeof **out);
    if (!*out)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    for (size_t i = 0; i < n; i++)
        if (sstr_of(json_array_get(v, i), &(*out)[i]))
            return sc_bad(c, GB_EINVAL, kwpath,
                          "item %zu: expected a property name (a string), got %s", i,
                          sc_type_name(json_array_get(v, i)));
    *nout = n;
    return 0;
}

static int add_anchor(struct cctx *c, const char *name, struct snode *n, const char *kwpath)
{
    for (size_t i = 0; i < c->nanchors; i++)
        if (!strcmp(c->anchors[i].name, name))
            return sc_bad(c, GB_EINVAL, kwpath, "anchor '%s' is defined twice", name);
    if (c->nanchors == c->capanchors) {
        size_t ncap = c->capanchors ? c->capanchors * 2 : 8;
        struct anchor *na = realloc(c->anchors, ncap * sizeof *na);
        if (!na)
            return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
        c->anchors = na;
        c->capanchors = ncap;
    }
    c->anchors[c->nanchors].name = name;
    c->anchors[c->nanchors].node = n;
    c->nanchors++;
    return 0;
}

static int prop_cmp(const void *a, const void *b)
{
    const struct sprop *x = a, *y = b;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return memcmp(x->name, y->name, x->len);
}

/* ---- one keyword ----------------------------------------------------------- */

struct kwstate {
    const json_t *required;
    const char *required_path;
    int legacy_items; /* "items": [...] (draft 2019 and older) */
    const json_t *additional_items;
    char *additional_items_path;
    int exmin_bool, exmax_bool; /* OpenAPI 3.0 / draft 4 boolean forms */
};

static int kw_type(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    size_t cnt = json_is_array(v) ? json_array_size(v) : 1;
    if (!json_is_array(v) && !json_is_string(v))
        return sc_bad(c, GB_EINVAL, kp, "expected a type name or an array of type names, got %s",
                      sc_type_name(v));
    n->types = 0;
    for (size_t i = 0; i < cnt; i++) {
        const json_t *t = json_is_array(v) ? json_array_get(v, i) : v;
        if (!json_is_string(t))
            return sc_bad(c, GB_EINVAL, kp, "expected a type name, got %s", sc_type_name(t));
        const char *name = json_string_value(t);
        unsigned bit = 0;
        for (size_t k = 0; k < sizeof type_names / sizeof type_names[0]; k++)
            if (!strcmp(type_names[k].name, name))
                bit = type_names[k].bit;
        if (!bit)
            return sc_bad(c, GB_EINVAL, kp, "unknown type '%s'", name);
        n->types |= bit;
    }
    if (n->types & ST_NUMBER)
        n->types |= ST_INTEGER;
    n->flags |= SF_TYPE;
    return 0;
}

static int kw_object_of_schemas(struct cctx *c, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object of schemas, got %s", sc_type_name(v));
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        struct snode *sub;
        int rc = sc_compile_sub(c, val, kp, key, klen, &sub);
        if (rc)
            return rc;
    }
    return 0;
}

static int kw_properties(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object of schemas, got %s", sc_type_name(v));
    size_t cnt = json_object_size(v);
    n->props = calloc(cnt ? cnt : 1, sizeof *n->props);
    if (!n->props)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        struct sprop *p = &n->props[n->nprops++];
        p->name = key;
        p->len = klen;
        int rc = sc_compile_sub(c, val, kp, key, klen, &p->node);
        if (rc)
            return rc;
    }
    qsort(n->props, n->nprops, sizeof *n->props, prop_cmp);
    /* A hash table over the names: the validator looks up every key of every
     * object, and this is its hottest path. At most half full. */
    uint32_t size = 8;
    while (size < 2 * n->nprops)
        size *= 2;
    n->ptab = calloc(size, sizeof *n->ptab);
    if (!n->ptab)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    n->pmask = size - 1;
    for (size_t i = 0; i < n->nprops; i++) {
        struct sprop *p = &n->props[i];
        p->hash = schema_name_hash(p->name, p->len);
        uint32_t at = p->hash & n->pmask;
        while (n->ptab[at])
            at = (at + 1) & n->pmask;
        n->ptab[at] = (uint32_t)i + 1;
    }
    return 0;
}

static int kw_pattern_properties(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object of schemas, got %s", sc_type_name(v));
    size_t cnt = json_object_size(v);
    n->patprops = calloc(cnt ? cnt : 1, sizeof *n->patprops);
    if (!n->patprops)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        struct spatprop *p = &n->patprops[n->npatprops++];
        char msg[512];
        if (rx_compile(key, klen, &p->re, msg, sizeof msg)) {
            char *pp = sc_path_join(kp, key, klen);
            int rc = sc_bad(c, GB_EINVAL, pp ? pp : kp, "%s", msg);
            free(pp);
            return rc;
        }
        int rc = sc_compile_sub(c, val, kp, key, klen, &p->node);
        if (rc)
            return rc;
    }
    return 0;
}

static int kw_dep_required(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object of property-name arrays, got %s",
                      sc_type_name(v));
    size_t cnt = json_object_size(v) + n->ndep_req;
    struct sdepreq *d = realloc(n->dep_req, (cnt ? cnt : 1) * sizeof *d);
    if (!d)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    n->dep_req = d;
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        struct sdepreq *e = &n->dep_req[n->ndep_req++];
        memset(e, 0, sizeof *e);
        e->name.s = key;
        e->name.len = klen;
        char *p = sc_path_join(kp, key, klen);
        int rc = p ? read_names(c, val, p, &e->deps, &e->ndeps) : GB_ENOMEM;
        free(p);
        if (rc)
            return rc;
    }
    return 0;
}

static int add_dep_schema(struct cctx *c, struct snode *n, const char *key, size_t klen,
                          const json_t *val, const char *kp)
{
    struct sdepschema *d = realloc(n->dep_schemas, (n->ndep_schemas + 1) * sizeof *d);
    if (!d)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    n->dep_schemas = d;
    struct sdepschema *e = &n->dep_schemas[n->ndep_schemas++];
    e->name.s = key;
    e->name.len = klen;
    e->node = NULL;
    return sc_compile_sub(c, val, kp, key, klen, &e->node);
}

static int kw_dep_schemas(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object of schemas, got %s", sc_type_name(v));
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        int rc = add_dep_schema(c, n, key, klen, val, kp);
        if (rc)
            return rc;
    }
    return 0;
}

/* Draft 7 "dependencies": arrays are dependentRequired, schemas dependentSchemas. */
static int kw_dependencies(struct cctx *c, struct snode *n, const json_t *v, const char *kp)
{
    if (!json_is_object(v))
        return sc_bad(c, GB_EINVAL, kp, "expected an object, got %s", sc_type_name(v));
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)v, key, klen, val)
    {
        int rc;
        if (json_is_array(val)) {
            struct sdepreq *d = realloc(n->dep_req, (n->ndep_req + 1) * sizeof *d);
            if (!d)
                return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
            n->dep_req = d;
            struct sdepreq *e = &n->dep_req[n->ndep_req++];
            memset(e, 0, sizeof *e);
            e->name.s = key;
            e->name.len = klen;
            char *p = sc_path_join(kp, key, klen);
            rc = p ? read_names(c, val, p, &e->deps, &e->ndeps) : GB_ENOMEM;
            free(p);
        } else {
            rc = add_dep_schema(c, n, key, klen, val, kp);
        }
        if (rc)
            return rc;
    }
    return 0;
}

static int kw_schema(struct cctx *c, const json_t *v, const char *kp, struct snode **out)
{
    return sc_compile_sub(c, v, kp, NULL, 0, out);
}

static int keyword(struct cctx *c, struct snode *n, struct kwstate *st, const char *key,
                   const json_t *v, const char *kp)
{
    for (size_t i = 0; i < sizeof unsupported_kw / sizeof unsupported_kw[0]; i++)
        if (!strcmp(key, unsupported_kw[i]))
            return sc_bad(c, GB_EUNSUPPORTED, kp,
                          "unsupported keyword '%s'; the validator does not implement it", key);

    if (!strcmp(key, "type"))
        return kw_type(c, n, v, kp);
    if (!strcmp(key, "enum")) {
        if (!json_is_array(v))
            return sc_bad(c, GB_EINVAL, kp, "expected an array, got %s", sc_type_name(v));
        n->enum_vals = v;
        n->flags |= SF_ENUM;
        return 0;
    }
    if (!strcmp(key, "const")) {
        n->const_val = v;
        n->flags |= SF_CONST;
        return 0;
    }
    if (!strcmp(key, "minimum")) {
        n->flags |= SF_MINIMUM;
        return read_num(c, v, kp, &n->minimum);
    }
    if (!strcmp(key, "maximum")) {
        n->flags |= SF_MAXIMUM;
        return read_num(c, v, kp, &n->maximum);
    }
    if (!strcmp(key, "exclusiveMinimum")) {
        if (json_is_boolean(v)) {
            st->exmin_bool = json_is_true(v);
            return 0;
        }
        n->flags |= SF_EXMIN;
        return read_num(c, v, kp, &n->exmin);
    }
    if (!strcmp(key, "exclusiveMaximum")) {
        if (json_is_boolean(v)) {
            st->exmax_bool = json_is_true(v);
            return 0;
        }
        n->flags |= SF_EXMAX;
        return read_num(c, v, kp, &n->exmax);
    }
    if (!strcmp(key, "multipleOf")) {
        int rc = read_num(c, v, kp, &n->multiple_of);
        if (rc)
            return rc;
        if (!(n->multiple_of.d > 0) || !isfinite(n->multiple_of.d))
            return sc_bad(c, GB_EINVAL, kp, "expected a number greater than 0");
        n->flags |= SF_MULTIPLE;
        return 0;
    }
    if (!strcmp(key, "minLength")) {
        n->flags |= SF_MINLEN;
        return read_count(c, v, kp, &n->min_len);
    }
    if (!strcmp(key, "maxLength")) {
        n->flags |= SF_MAXLEN;
        return read_count(c, v, kp, &n->max_len);
    }
    if (!strcmp(key, "minItems")) {
        n->flags |= SF_MINITEMS;
        return read_count(c, v, kp, &n->min_items);
    }
    if (!strcmp(key, "maxItems")) {
        n->flags |= SF_MAXITEMS;
        return read_count(c, v, kp, &n->max_items);
    }
    if (!strcmp(key, "minProperties")) {
        n->flags |= SF_MINPROPS;
        return read_count(c, v, kp, &n->min_props);
    }
    if (!strcmp(key, "maxProperties")) {
        n->flags |= SF_MAXPROPS;
        return read_count(c, v, kp, &n->max_props);
    }
    if (!strcmp(key, "minContains"))
        return read_count(c, v, kp, &n->min_contains);
    if (!strcmp(key, "maxContains"))
        return read_count(c, v, kp, &n->max_contains);
    if (!strcmp(key, "uniqueItems")) {
        if (!json_is_boolean(v))
            return sc_bad(c, GB_EINVAL, kp, "expected true or false, got %s", sc_type_name(v));
        if (json_is_true(v))
            n->flags |= SF_UNIQUE;
        return 0;
    }
    if (!strcmp(key, "nullable")) {
        if (!json_is_boolean(v))
            return sc_bad(c, GB_EINVAL, kp, "expected true or false, got %s", sc_type_name(v));
        if (json_is_true(v))
            n->flags |= SF_NULLABLE;
        return 0;
    }
    if (!strcmp(key, "pattern")) {
        if (!json_is_string(v))
            return sc_bad(c, GB_EINVAL, kp, "expected a regex (a string), got %s", sc_type_name(v));
        char msg[512];
        if (rx_compile(json_string_value(v), json_string_length(v), &n->pattern, msg, sizeof msg))
            return sc_bad(c, GB_EINVAL, kp, "%s", msg);
        n->pattern_src = json_string_value(v);
        n->flags |= SF_PATTERN;
        return 0;
    }
    if (!strcmp(key, "format")) {
        if (!json_is_string(v))
            return sc_bad(c, GB_EINVAL, kp, "expected a format name (a string), got %s",
                          sc_type_name(v));
        n->format_name = json_string_value(v);
        n->format = fmt_lookup(n->format_name);
        if (n->format != FMT_NONE)
            n->flags |= SF_FORMAT;
        return 0;
    }
    if (!strcmp(key, "properties"))
        return kw_properties(c, n, v, kp);
    if (!strcmp(key, "patternProperties"))
        return kw_pattern_properties(c, n, v, kp);
    if (!strcmp(key, "additionalProperties"))
        return kw_schema(c, v, kp, &n->additional);
    if (!strcmp(key, "propertyNames"))
        return kw_schema(c, v, kp, &n->property_names);
    if (!strcmp(key, "required")) {
        if (!json_is_array(v))
            return sc_bad(c, GB_EINVAL, kp, "expected an array of property names, got %s",
                          sc_type_name(v));
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!json_is_string(json_array_get(v, i)))
                return sc_bad(c, GB_EINVAL, kp, "item %zu: expected a property name, got %s", i,
                              sc_type_name(json_array_get(v, i)));
        st->required = v;
        st->required_path = kp;
        return 0;
    }
    if (!strcmp(key, "dependentRequired"))
        return kw_dep_required(c, n, v, kp);
    if (!strcmp(key, "dependentSchemas"))
        return kw_dep_schemas(c, n, v, kp);
    if (!strcmp(key, "dependencies"))
        return kw_dependencies(c, n, v, kp);
    if (!strcmp(key, "prefixItems"))
        return compile_list(c, v, kp, 0, &n->prefix, &n->nprefix);
    if (!strcmp(key, "items")) {
        if (json_is_array(v)) {
            st->legacy_items = 1;
            return compile_list(c, v, kp, 0, &n->prefix, &n->nprefix);
        }
        return kw_schema(c, v, kp, &n->items);
    }
    if (!strcmp(key, "additionalItems")) {
        st->additional_items = v;
        st->additional_items_path = strdup(kp);
        return st->additional_items_path ? 0 : GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    }
    if (!strcmp(key, "contains")) {
        n->flags |= SF_CONTAINS;
        return kw_schema(c, v, kp, &n->contains);
    }
    if (!strcmp(key, "allOf"))
        return compile_list(c, v, kp, 1, &n->all_of, &n->nall_of);
    if (!strcmp(key, "anyOf"))
        return compile_list(c, v, kp, 1, &n->any_of, &n->nany_of);
    if (!strcmp(key, "oneOf"))
        return compile_list(c, v, kp, 1, &n->one_of, &n->none_of);
    if (!strcmp(key, "not"))
        return kw_schema(c, v, kp, &n->not_);
    if (!strcmp(key, "if"))
        return kw_schema(c, v, kp, &n->if_);
    if (!strcmp(key, "then"))
        return kw_schema(c, v, kp, &n->then_);
    if (!strcmp(key, "else"))
        return kw_schema(c, v, kp, &n->else_);
    if (!strcmp(key, "$defs") || !strcmp(key, "definitions"))
        return kw_object_of_schemas(c, v, kp);
    if (!strcmp(key, "$ref")) {
        if (!json_is_string(v))
            return sc_bad(c, GB_EINVAL, kp, "expected a reference (a string), got %s",
                          sc_type_name(v));
        n->ref_str = json_string_value(v);
        return 0;
    }
    if (!strcmp(key, "$anchor")) {
        if (!json_is_string(v))
            return sc_bad(c, GB_EINVAL, kp, "expected an anchor name, got %s", sc_type_name(v));
        return add_anchor(c, json_string_value(v), n, kp);
    }
    if (!strcmp(key, "$id")) {
        if (!json_is_string(v))
            return sc_bad(c, GB_EINVAL, kp, "expected a URI (a string), got %s", sc_type_name(v));
        const char *id = json_string_value(v);
        if (id[0] == '#' && id[1]) /* draft 7 plain-name fragment: an anchor */
            return add_anchor(c, id + 1, n, kp);
        if (n->path[0])
            return sc_bad(c, GB_EUNSUPPORTED, kp,
                          "unsupported keyword '$id' below the root (embedded schema resources)");
        c->root_id = id;
        return 0;
    }
    return 0; /* annotations and unknown keywords */
}

static int finish_required(struct cctx *c, struct snode *n, const json_t *req)
{
    size_t cnt = json_array_size(req);
    n->req_extra = calloc(cnt ? cnt : 1, sizeof *n->req_extra);
    if (!n->req_extra)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory");
    for (size_t i = 0; i < cnt; i++) {
        const json_t *r = json_array_get(req, i);
        struct sprop key = {json_string_value(r), json_string_length(r), NULL, 0, 0};
        struct sprop *p =
            n->nprops ? bsearch(&key, n->props, n->nprops, sizeof *n->props, prop_cmp) : NULL;
        if (p) {
            if (!p->required) {
                p->required = 1;
                n->nreq_in_props++;
            }
            continue;
        }
        int dup = 0;
        for (size_t k = 0; k < n->nreq_extra; k++)
            if (n->req_extra[k].len == key.len && !memcmp(n->req_extra[k].s, key.name, key.len))
                dup = 1;
        if (!dup) {
            n->req_extra[n->nreq_extra].s = key.name;
            n->req_extra[n->nreq_extra].len = key.len;
            n->nreq_extra++;
        }
    }
    return 0;
}

int sc_keywords(struct cctx *c, struct snode *n, const json_t *js)
{
    int rc = 0;
    const char *path = n->path;
    struct kwstate st = {0};
    const char *key;
    size_t klen;
    json_t *val;
    json_object_keylen_foreach((json_t *)js, key, klen, val)
    {
        char *kp = sc_path_join(path, key, klen);
        if (!kp) {
            rc = GB_FAIL(c->err, GB_ENOMEM, "out of memory");
            break;
        }
        rc = keyword(c, n, &st, key, val, kp);
        free(kp);
        if (rc)
            break;
    }
    if (!rc && st.required)
        rc = finish_required(c, n, st.required);
    if (!rc && st.legacy_items && st.additional_items)
        rc = kw_schema(c, st.additional_items, st.additional_items_path, &n->items);
    free(st.additional_items_path);
    if (rc)
        return rc;
    /* Draft 4 / OpenAPI 3.0: "exclusiveMinimum": true turns minimum exclusive. */
    if (st.exmin_bool && (n->flags & SF_MINIMUM)) {
        n->exmin = n->minimum;
        n->flags = (n->flags & ~(unsigned)SF_MINIMUM) | SF_EXMIN;
    }
    if (st.exmax_bool && (n->flags & SF_MAXIMUM)) {
        n->exmax = n->maximum;
        n->flags = (n->flags & ~(unsigned)SF_MAXIMUM) | SF_EXMAX;
    }
    n->only_ref = n->ref_str && !n->flags && !n->nprops && !n->npatprops && !n->additional &&
                  !n->property_names && !n->nreq_in_props && !n->nreq_extra && !n->ndep_req &&
                  !n->ndep_schemas && !n->nprefix && !n->items && !n->nall_of && !n->nany_of &&
                  !n->none_of && !n->not_ && !n->if_;
    return 0;
}
