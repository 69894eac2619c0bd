/* schema_validate.c: check an instance against a compiled schema, fast (no
 * error objects, first failure ends it, no allocation when valid) or, only
 * when that fails, collecting errors. Never writes to the compiled tree, so
 * any number of threads may validate against one schema at once. */
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

#define DEFAULT_MAX_ERRORS 20
/* Nested validation frames; far beyond any real document, well inside a
 * thread's stack. */
#define MAX_DEPTH 1500


/* ---- the instance path (collecting mode only) ---------------------------------- */

static size_t push_key(struct vctx *c, const char *key, size_t klen)
{
    size_t mark = c->ipath.len;
    if (!c->errors)
        return mark;
    buf_putc(&c->ipath, '/');
    for (size_t i = 0; i < klen; i++) {
        if (key[i] == '~')
            buf_puts(&c->ipath, "~0");
        else if (key[i] == '/')
            buf_puts(&c->ipath, "~1");
        else
            buf_putc(&c->ipath, key[i]);
    }
    return mark;
}

static size_t push_index(struct vctx *c, size_t i)
{
    size_t mark = c->ipath.len;
    if (c->errors)
        buf_printf(&c->ipath, "/%zu", i);
    return mark;
}

static void pop(struct vctx *c, size_t mark)
{
    if (c->ipath.len > mark) {
        c->ipath.len = mark;
        c->ipath.data[mark] = '\0';
    }
}

/* ---- the walk ---------------------------------------------------------------- */

static int v(struct vctx *c, const struct snode *n, const json_t *x);

#define STOP() (!c->errors || c->nerr >= c->max)
#define FAILED()                                                                                   \
    do {                                                                                           \
        ok = 0;                                                                                    \
        if (STOP())                                                                                \
            return 0;                                                                              \
    } while (0)

static int quiet(struct vctx *c, const struct snode *n, const json_t *x)
{
    json_t *saved = c->errors;
    c->errors = NULL;
    int r = v(c, n, x);
    c->errors = saved;
    return r;
}

static const struct sprop *find_prop(const struct snode *n, const char *key, size_t klen)
{
    uint32_t h = schema_name_hash(key, klen);
    for (uint32_t at = h & n->pmask;; at = (at + 1) & n->pmask) {
        uint32_t i = n->ptab[at];
        if (!i)
            return NULL;
        const struct sprop *p = &n->props[i - 1];
        if (p->hash == h && p->len == klen && !memcmp(p->name, key, klen))
            return p;
    }
}

static int check_required(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    for (size_t i = 0; i < n->nprops; i++) {
        const struct sprop *p = &n->props[i];
        if (p->required && !json_object_getn(x, p->name, p->len)) {
            sv_report(c, n, "required", "missing required property '%.*s'", (int)p->len, p->name);
            FAILED();
        }
    }
    for (size_t i = 0; i < n->nreq_extra; i++) {
        const struct sstr *r = &n->req_extra[i];
        if (!json_object_getn(x, r->s, r->len)) {
            sv_report(c, n, "required", "missing required property '%.*s'", (int)r->len, r->s);
            FAILED();
        }
    }
    return ok;
}

/* propertyNames schemas are usually string checks ({"type": "string"} from
 * zod records, a pattern): test the key in place, no json_t per key. Returns
 * 1 pass, 0 fail, -1 when the schema needs the general path. */
static int name_quick(struct vctx *c, const struct snode *pn, const char *key, size_t klen)
{
    const unsigned simple = SF_TYPE | SF_MINLEN | SF_MAXLEN | SF_PATTERN | SF_FORMAT;
    if (pn->is_bool)
        return pn->bool_val;
    if ((pn->flags & ~simple) || pn->ref || pn->nall_of || pn->nany_of || pn->none_of || pn->not_ ||
        pn->if_)
        return -1;
    if ((pn->flags & SF_TYPE) && !(pn->types & ST_STRING))
        return 0;
    if (pn->flags & (SF_MINLEN | SF_MAXLEN)) {
        size_t cp = schema_utf8_len(key, klen);
        if (((pn->flags & SF_MINLEN) && cp < (size_t)pn->min_len) ||
            ((pn->flags & SF_MAXLEN) && cp > (size_t)pn->max_len))
            return 0;
    }
    if (pn->pattern && rx_match(pn->pattern, key, klen, c->rx) <= 0)
        return 0;
    if (pn->format != FMT_NONE && !fmt_check(pn->format, key, klen))
        return 0;
    return 1;
}

static int check_name(struct vctx *c, const struct snode *n, const char *key, size_t klen)
{
    if (name_quick(c, n->property_names, key, klen) == 1)
        return 1;
    json_t *name = json_stringn(key, klen);
    if (!name)
        return 0;
    int r = quiet(c, n->property_names, name);
    if (!r && c->errors) {
        /* Say why, from the name schema's own first error. */
        json_t *saved = c->errors, *sub = json_array();
        int savedn = c->nerr, savedmax = c->max;
        size_t mark = c->ipath.len;
        c->errors = sub;
        c->nerr = 0;
        c->max = 1;
        v(c, n->property_names, name);
        c->errors = saved;
        c->nerr = savedn;
        c->max = savedmax;
        pop(c, mark);
        const char *why = json_string_value(json_object_get(json_array_get(sub, 0), "message"));
        sv_report(c, n, "propertyNames", "property name '%.*s' is not allowed: %s", (int)klen, key,
               why ? why : "it does not match 'propertyNames'");
        json_decref(sub);
    }
    json_decref(name);
    return r;
}

static int v_object(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    size_t size = json_object_size(x);
    if ((n->flags & SF_MINPROPS) && size < (size_t)n->min_props) {
        sv_report(c, n, "minProperties", "expected at least %ld propert%s, got %zu", n->min_props,
               n->min_props == 1 ? "y" : "ies", size);
        FAILED();
    }
    if ((n->flags & SF_MAXPROPS) && size > (size_t)n->max_props) {
        sv_report(c, n, "maxProperties", "expected at most %ld propert%s, got %zu", n->max_props,
               n->max_props == 1 ? "y" : "ies", size);
        FAILED();
    }
    if (c->errors && !check_required(c, n, x))
        FAILED();
    if (n->nprops || n->npatprops || n->additional || n->property_names) {
        size_t req_seen = 0;
        for (void *it = json_object_iter((json_t *)x); it;
             it = json_object_iter_next((json_t *)x, it)) {
            const char *key = json_object_iter_key(it);
            size_t klen = json_object_iter_key_len(it);
            const json_t *val = json_object_iter_value(it);
            if (n->property_names && !check_name(c, n, key, klen))
                FAILED();
            int matched = 0;
            size_t mark = push_key(c, key, klen);
            if (n->nprops) {
                const struct sprop *p = find_prop(n, key, klen);
                if (p) {
                    matched = 1;
                    req_seen += (size_t)p->required;
                    if (!v(c, p->node, val)) {
                        pop(c, mark);
                        FAILED();
                    }
                }
            }
            for (size_t i = 0; i < n->npatprops; i++) {
                int m = rx_match(n->patprops[i].re, key, klen, c->rx);
                if (m <= 0)
                    continue;
                matched = 1;
                if (!v(c, n->patprops[i].node, val)) {
                    pop(c, mark);
                    FAILED();
                }
            }
            if (!matched && n->additional) {
                const struct snode *a = n->additional;
                if (a->is_bool && !a->bool_val) {
                    pop(c, mark);
                    sv_report(c, n, "additionalProperties", "unexpected property '%.*s'", (int)klen,
                           key);
                    FAILED();
                } else if (!v(c, a, val)) {
                    pop(c, mark);
                    FAILED();
                }
            }
            pop(c, mark);
        }
        if (!c->errors && req_seen < n->nreq_in_props)
            return 0;
    } else if (!c->errors && n->nreq_in_props) {
        return 0; /* required names exist, none can be present without props */
    }
    if (!c->errors) {
        for (size_t i = 0; i < n->nreq_extra; i++)
            if (!json_object_getn(x, n->req_extra[i].s, n->req_extra[i].len))
                return 0;
    }
    for (size_t i = 0; i < n->ndep_req; i++) {
        const struct sdepreq *d = &n->dep_req[i];
        if (!json_object_getn(x, d->name.s, d->name.len))
            continue;
        for (size_t k = 0; k < d->ndeps; k++)
            if (!json_object_getn(x, d->deps[k].s, d->deps[k].len)) {
                sv_report(c, n, "dependentRequired",
                       "missing property '%.*s', required when '%.*s' is present",
                       (int)d->deps[k].len, d->deps[k].s, (int)d->name.len, d->name.s);
                FAILED();
            }
    }
    for (size_t i = 0; i < n->ndep_schemas; i++) {
        const struct sdepschema *d = &n->dep_schemas[i];
        if (json_object_getn(x, d->name.s, d->name.len) && !v(c, d->node, x))
            FAILED();
    }
    return ok;
}

static int v_array(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    size_t size = json_array_size(x);
    if ((n->flags & SF_MINITEMS) && size < (size_t)n->min_items) {
        sv_report(c, n, "minItems", "expected at least %ld item%s, got %zu", n->min_items,
               n->min_items == 1 ? "" : "s", size);
        FAILED();
    }
    if ((n->flags & SF_MAXITEMS) && size > (size_t)n->max_items) {
        sv_report(c, n, "maxItems", "expected at most %ld item%s, got %zu", n->max_items,
               n->max_items == 1 ? "" : "s", size);
        FAILED();
    }
    if (n->nprefix || n->items) {
        for (size_t i = 0; i < size; i++) {
            const struct snode *sub = i < n->nprefix ? n->prefix[i] : n->items;
            if (!sub)
                break;
            size_t mark = push_index(c, i);
            if (sub->is_bool && !sub->bool_val) {
                pop(c, mark);
                sv_report(c, n, i < n->nprefix ? "prefixItems" : "items",
                       "expected at most %zu item%s, got %zu", i, i == 1 ? "" : "s", size);
                FAILED();
                break;
            }
            int r = v(c, sub, json_array_get(x, i));
            pop(c, mark);
            if (!r)
                FAILED();
        }
    }
    if (n->contains) {
        size_t hits = 0;
        for (size_t i = 0; i < size; i++)
            hits += (size_t)quiet(c, n->contains, json_array_get(x, i));
        if (hits < (size_t)n->min_contains) {
            sv_report(c, n, "contains", "expected at least %ld item%s matching 'contains', got %zu",
                   n->min_contains, n->min_contains == 1 ? "" : "s", hits);
            FAILED();
        }
        if (n->max_contains >= 0 && hits > (size_t)n->max_contains) {
            sv_report(c, n, "maxContains", "expected at most %ld item%s matching 'contains', got %zu",
                   n->max_contains, n->max_contains == 1 ? "" : "s", hits);
            FAILED();
        }
    }
    if (n->flags & SF_UNIQUE) {
        size_t first, second;
        int dup = schema_find_duplicate(x, &first, &second);
        if (dup < 0) { /* never a silent pass */
            sv_report(c, n, "uniqueItems", "out of memory while checking uniqueItems");
            FAILED();
        } else if (dup) {
            sv_report(c, n, "uniqueItems", "expected unique items; items %zu and %zu are equal", first,
                   second);
            FAILED();
        }
    }
    return ok;
}

static int v_string(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    const char *s = json_string_value(x);
    size_t len = json_string_length(x);
    if (n->flags & (SF_MINLEN | SF_MAXLEN)) {
        size_t cp = schema_utf8_len(s, len);
        if ((n->flags & SF_MINLEN) && cp < (size_t)n->min_len) {
            sv_report(c, n, "minLength", "expected at least %ld character%s, got %zu", n->min_len,
                   n->min_len == 1 ? "" : "s", cp);
            FAILED();
        }
        if ((n->flags & SF_MAXLEN) && cp > (size_t)n->max_len) {
            sv_report(c, n, "maxLength", "expected at most %ld character%s, got %zu", n->max_len,
                   n->max_len == 1 ? "" : "s", cp);
            FAILED();
        }
    }
    if (n->pattern && rx_match(n->pattern, s, len, c->rx) <= 0) {
        if (c->errors) {
            char val[128];
            sv_render(x, val, sizeof val);
            sv_report(c, n, "pattern", "%s does not match pattern '%s'", val, n->pattern_src);
        }
        FAILED();
    }
    if (n->format != FMT_NONE && !fmt_check(n->format, s, len)) {
        if (c->errors) {
            char val[128];
            sv_render(x, val, sizeof val);
            sv_report(c, n, "format", "%s is not a valid %s", val, n->format_name);
        }
        FAILED();
    }
    return ok;
}

/* -1, 0, 1 as x is below, equal to, above the limit. */
static int cmp_num(const json_t *x, const struct snum *lim)
{
    if (json_is_integer(x) && lim->is_int) {
        json_int_t i = json_integer_value(x);
        return i < lim->i ? -1 : i > lim->i;
    }
    double d = json_number_value(x);
    return d < lim->d ? -1 : d > lim->d;
}

static int is_multiple(const json_t *x, const struct snum *m)
{
    if (json_is_integer(x) && m->is_int)
        return json_integer_value(x) % m->i == 0;
    double q = json_number_value(x) / m->d;
    if (!isfinite(q))
        return 0;
    if (fabs(q) >= 9007199254740992.0) /* every double this large is whole */
        return 1;
    /* Decimal multiples are not exact in binary (0.0075 / 0.0001 is
     * 74.99999999999999): accept what is whole up to rounding noise. */
    return fabs(q - nearbyint(q)) < 1e-9;
}

static int v_number(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    char val[64], lim[64];
    if ((n->flags & SF_MINIMUM) && cmp_num(x, &n->minimum) < 0) {
        if (c->errors) {
            sv_render(x, val, sizeof val);
            sv_render_num(&n->minimum, lim, sizeof lim);
            sv_report(c, n, "minimum", "expected a number >= %s, got %s", lim, val);
        }
        FAILED();
    }
    if ((n->flags & SF_MAXIMUM) && cmp_num(x, &n->maximum) > 0) {
        if (c->errors) {
            sv_render(x, val, sizeof val);
            sv_render_num(&n->maximum, lim, sizeof lim);
            sv_report(c, n, "maximum", "expected a number <= %s, got %s", lim, val);
        }
        FAILED();
    }
    if ((n->flags & SF_EXMIN) && cmp_num(x, &n->exmin) <= 0) {
        if (c->errors) {
            sv_render(x, val, sizeof val);
            sv_render_num(&n->exmin, lim, sizeof lim);
            sv_report(c, n, "exclusiveMinimum", "expected a number > %s, got %s", lim, val);
        }
        FAILED();
    }
    if ((n->flags & SF_EXMAX) && cmp_num(x, &n->exmax) >= 0) {
        if (c->errors) {
            sv_render(x, val, sizeof val);
            sv_render_num(&n->exmax, lim, sizeof lim);
            sv_report(c, n, "exclusiveMaximum", "expected a number < %s, got %s", lim, val);
        }
        FAILED();
    }
    if ((n->flags & SF_MULTIPLE) && !is_multiple(x, &n->multiple_of)) {
        if (c->errors) {
            sv_render(x, val, sizeof val);
            sv_render_num(&n->multiple_of, lim, sizeof lim);
            sv_report(c, n, "multipleOf", "expected a multiple of %s, got %s", lim, val);
        }
        FAILED();
    }
    return ok;
}

/* Types a branch demands at its top (following pure $ref aliases); 0: any. */
static unsigned branch_types(const struct snode *b)
{
    for (int hop = 0; b && hop < 32; hop++) {
        if (b->is_bool)
            return b->bool_val ? 0 : ST_ALL;
        if (b->flags & SF_TYPE)
            return b->types | ((b->flags & SF_NULLABLE) ? ST_NULL : 0);
        if (!b->only_ref)
            return 0;
        b = b->ref;
    }
    return 0;
}

/* All branches of anyOf/oneOf failed: say so usefully. When every branch
 * wants another type, one "expected X or Y" line; otherwise name the
 * combinator and show the errors of the closest branch. */
static void report_no_branch(struct vctx *c, const struct snode *n, const char *kw,
                             struct snode *const *br, size_t nbr, const json_t *x)
{
    if (!c->errors || c->nerr >= c->max)
        return;
    unsigned want = 0, have = sv_inst_types(x);
    int all_typed = 1;
    for (size_t i = 0; i < nbr; i++) {
        unsigned t = branch_types(br[i]);
        if (!t || (t & have))
            all_typed = 0;
        want |= t;
    }
    if (all_typed) {
        char types[128];
        sv_types_text(want, types, sizeof types);
        sv_report(c, n, kw, "expected %s, got %s", types, sv_type_name(x));
        return;
    }
    sv_report(c, n, kw, "does not match any of the %zu alternatives in %s", nbr, kw);
    json_t *best = NULL;
    size_t bestn = (size_t)-1;
    size_t mark = c->ipath.len;
    for (size_t i = 0; i < nbr; i++) {
        unsigned t = branch_types(br[i]);
        if (t && !(t & have))
            continue;
        json_t *saved = c->errors, *sub = json_array();
        int savedn = c->nerr;
        c->errors = sub;
        c->nerr = 0;
        v(c, br[i], x);
        c->errors = saved;
        c->nerr = savedn;
        pop(c, mark);
        if (json_array_size(sub) && json_array_size(sub) < bestn) {
            json_decref(best);
            best = sub;
            bestn = json_array_size(sub);
        } else {
            json_decref(sub);
        }
    }
    for (size_t i = 0; best && i < json_array_size(best) && c->nerr < c->max; i++) {
        json_array_append(c->errors, json_array_get(best, i));
        c->nerr++;
    }
    json_decref(best);
}

static int v_combinators(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    for (size_t i = 0; i < n->nall_of; i++)
        if (!v(c, n->all_of[i], x))
            FAILED();
    if (n->nany_of) {
        int any = 0;
        for (size_t i = 0; i < n->nany_of && !any; i++)
            any = quiet(c, n->any_of[i], x);
        if (!any) {
            report_no_branch(c, n, "anyOf", n->any_of, n->nany_of, x);
            FAILED();
        }
    }
    if (n->none_of) {
        size_t hits = 0, first = 0, second = 0;
        for (size_t i = 0; i < n->none_of && hits < 2; i++)
            if (quiet(c, n->one_of[i], x)) {
                if (hits++)
                    second = i;
                else
                    first = i;
            }
        if (hits == 0) {
            report_no_branch(c, n, "oneOf", n->one_of, n->none_of, x);
            FAILED();
        } else if (hits > 1) {
            sv_report(c, n, "oneOf",
                   "matches more than one alternative in oneOf (#%zu and #%zu), expected "
                   "exactly one",
                   first, second);
            FAILED();
        }
    }
    if (n->not_ && quiet(c, n->not_, x)) {
        sv_report(c, n, "not", "must not match the schema in 'not'");
        FAILED();
    }
    if (n->if_) {
        if (quiet(c, n->if_, x)) {
            if (n->then_ && !v(c, n->then_, x))
                FAILED();
        } else if (n->else_ && !v(c, n->else_, x)) {
            FAILED();
        }
    }
    return ok;
}

/* Message builders, kept out of v_node so its stack frame stays small on
 * the recursive hot path. */
static __attribute__((noinline)) void report_type(struct vctx *c, const struct snode *n,
                                                  const json_t *x)
{
    if (!c->errors)
        return;
    char want[128];
    sv_types_text(n->types | ((n->flags & SF_NULLABLE) ? ST_NULL : 0), want, sizeof want);
    sv_report(c, n, "type", "expected %s, got %s", want, sv_type_name(x));
}

static __attribute__((noinline)) void report_const(struct vctx *c, const struct snode *n,
                                                   const json_t *x)
{
    if (!c->errors)
        return;
    char want[128], got[128];
    sv_render(n->const_val, want, sizeof want);
    sv_render(x, got, sizeof got);
    sv_report(c, n, "const", "expected %s, got %s", want, got);
}

static __attribute__((noinline)) void report_enum(struct vctx *c, const struct snode *n,
                                                  const json_t *x)
{
    if (!c->errors)
        return;
    char got[128], list[320];
    sv_render(x, got, sizeof got);
    sv_render_list(n->enum_vals, list, sizeof list);
    sv_report(c, n, "enum", "%s is not one of %s", got, list);
}

static int v_node(struct vctx *c, const struct snode *n, const json_t *x)
{
    int ok = 1;
    if ((n->flags & SF_NULLABLE) && json_is_null(x))
        return 1;
    if (n->ref && !v(c, n->ref, x))
        FAILED();
    if (n->flags & SF_TYPE) {
        unsigned t = sv_inst_types(x);
        if (!(n->types & t)) {
            /* The other keywords would only repeat the point on a value of
             * the wrong type ("42 is not one of [...]"): stop here. */
            report_type(c, n, x);
            return 0;
        }
    }
    if (n->flags & SF_CONST && !schema_json_equal(n->const_val, x)) {
        report_const(c, n, x);
        FAILED();
    }
    if (n->flags & SF_ENUM) {
        int found = 0;
        for (size_t i = 0; i < json_array_size(n->enum_vals) && !found; i++)
            found = schema_json_equal(json_array_get(n->enum_vals, i), x);
        if (!found) {
            report_enum(c, n, x);
            FAILED();
        }
    }
    int r = 1;
    switch (json_typeof(x)) {
    case JSON_OBJECT:
        r = v_object(c, n, x);
        break;
    case JSON_ARRAY:
        r = v_array(c, n, x);
        break;
    case JSON_STRING:
        if (n->flags & SF_STRINGY)
            r = v_string(c, n, x);
        break;
    case JSON_INTEGER:
    case JSON_REAL:
        if (n->flags & SF_NUMERIC)
            r = v_number(c, n, x);
        break;
    default:
        break;
    }
    if (!r)
        FAILED();
    if ((n->nall_of || n->nany_of || n->none_of || n->not_ || n->if_) && !v_combinators(c, n, x))
        FAILED();
    return ok;
}

static int v(struct vctx *c, const struct snode *n, const json_t *x)
{
    if (n->is_bool) {
        if (n->bool_val)
            return 1;
        sv_report(c, n, NULL, "no value is allowed here (the schema is false)");
        return 0;
    }
    if (c->depth >= MAX_DEPTH) {
        if (!c->too_deep)
            sv_report(c, n, NULL, "instance nested too deeply to check");
        c->too_deep = 1;
        return 0;
    }
    c->depth++;
    int r = v_node(c, n, x);
    c->depth--;
    return r;
}

/* ---- entry points --------------------------------------------------------------- */

int schema_node_valid(const struct snode *n, const json_t *inst)
{
    struct rx_scratch rx;
    rx_scratch_init(&rx);
    struct vctx c = {.rx = &rx, .max = 1};
    int r = v(&c, n, inst);
    rx_scratch_free(&rx);
    return r;
}

int schema_validate(const struct schema *s, const json_t *instance, json_t **errors, int max_errors)
{
    if (errors)
        *errors = NULL;
    if (!s || !instance)
        return GB_EINVAL;
    struct rx_scratch rx;
    rx_scratch_init(&rx);
    struct vctx c = {.rx = &rx, .max = 1};
    int ok = v(&c, s->root, instance);
    if (!ok && errors) {
        c.errors = json_array();
        if (!c.errors) {
            rx_scratch_free(&rx);
            return GB_ENOMEM;
        }
        c.max = max_errors > 0 ? max_errors : DEFAULT_MAX_ERRORS;
        c.nerr = 0;
        c.depth = 0;
        c.too_deep = 0;
        buf_init(&c.ipath, BUF_UNLIMITED);
        buf_reserve(&c.ipath, 64);
        v(&c, s->root, instance);
        if (json_array_size(c.errors) == 0)
            sv_report(&c, s->root, NULL, "the instance does not match the schema");
        buf_free(&c.ipath);
        *errors = c.errors;
    }
    rx_scratch_free(&rx);
    return ok;
}
