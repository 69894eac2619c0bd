/* schema_lint.c: warnings about a schema that compiles but is likely not what
 * was meant: no schema keyword at all (a pipeline file given where its schema
 * was wanted: it accepts anything), and unknown keys one or two edits away
 * from a keyword ("requird", "propertys"), which the validator ignores as it
 * ignores any annotation. Reads the document only; compiles nothing. */
#include "schema.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Every keyword the compiler reads, refuses or knows as an annotation. */
static const char *const known[] = {
    "type", "enum", "const", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
    "multipleOf", "minLength", "maxLength", "minItems", "maxItems", "minProperties",
    "maxProperties", "minContains", "maxContains", "uniqueItems", "nullable", "pattern", "format",
    "properties", "patternProperties", "additionalProperties", "propertyNames", "required",
    "dependentRequired", "dependentSchemas", "dependencies", "prefixItems", "items",
    "additionalItems", "contains", "allOf", "anyOf", "oneOf", "not", "if", "then", "else",
    "$defs", "definitions", "$ref", "$anchor", "$id", "$schema", "$comment", "$vocabulary",
    "$dynamicRef", "$dynamicAnchor", "$recursiveRef", "$recursiveAnchor",
    "unevaluatedProperties", "unevaluatedItems", "title", "description", "default", "examples",
    "deprecated", "readOnly", "writeOnly", "contentMediaType", "contentEncoding",
    "contentSchema", "propertyOrdering", "example", "discriminator", "xml", "externalDocs",
    NULL};

/* Keywords whose value is one subschema, a list of them, or a map of them. */
static const char *const one_schema[] = {"additionalProperties", "propertyNames", "items",
                                         "additionalItems", "contains", "not", "if", "then",
                                         "else", "unevaluatedItems", "unevaluatedProperties",
                                         "contentSchema", NULL};
static const char *const schema_list[] = {"prefixItems", "allOf", "anyOf", "oneOf", "items", NULL};
static const char *const schema_map[] = {"properties", "patternProperties", "$defs",
                                         "definitions", "dependentSchemas", NULL};

static int in(const char *const *list, const char *k)
{
    for (int i = 0; list[i]; i++)
        if (!strcmp(list[i], k))
            return 1;
    return 0;
}

/* Optimal string alignment distance (edits: insert, delete, change, swap of
 * two neighbours), case-insensitive, capped: returns cap + 1 when beyond. */
static int distance(const char *a, const char *b, int cap)
{
    size_t n = strlen(a), m = strlen(b);
    if (n > 40 || m > 40 || (n > m ? n - m : m - n) > (size_t)cap)
        return cap + 1;
    int d[41][41];
    for (size_t i = 0; i <= n; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= m; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= n; i++)
        for (size_t j = 1; j <= m; j++) {
            int ca = a[i - 1] | 0x20, cb = b[j - 1] | 0x20;
            int v = d[i - 1][j - 1] + (ca != cb);
            if (d[i - 1][j] + 1 < v)
                v = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < v)
                v = d[i][j - 1] + 1;
            if (i > 1 && j > 1 && ca == (b[j - 2] | 0x20) && (a[i - 2] | 0x20) == cb &&
                d[i - 2][j - 2] + 1 < v)
                v = d[i - 2][j - 2] + 1;
            d[i][j] = v;
        }
    return d[n][m] > cap ? cap + 1 : d[n][m];
}

/* The keyword k is probably a typo of, or NULL. Short names need to be
 * closer: one edit up to 7 characters, two from 8; a 3-letter key only as a
 * longer keyword missing a letter ("typ", "enm"), never as "not" or "if". */
static const char *near(const char *k)
{
    size_t n = strlen(k);
    int cap = n >= 8 ? 2 : n >= 3 ? 1 : 0;
    const char *best = NULL;
    int bd = cap + 1;
    for (int i = 0; cap && known[i]; i++) {
        if (n == 3 && strlen(known[i]) <= 3)
            continue;
        int d = distance(k, known[i], cap);
        if (d < bd)
            bd = d, best = known[i];
    }
    return best;
}

struct lint {
    void (*warn)(void *ctx, const char *path, const char *msg);
    void *ctx;
    int count;
};

static void say(struct lint *l, const char *path, const char *msg)
{
    l->count++;
    if (l->warn)
        l->warn(l->ctx, path, msg);
}

static void walk(struct lint *l, const json_t *s, const char *path, int depth);

/* The subschemas under keyword k (whose key in the document is name). */
static void walk_key(struct lint *l, const char *path, const char *name, const char *k,
                     const json_t *v, int depth)
{
    char sub[512];
    snprintf(sub, sizeof sub, "%s/%s", path, name);
    if (in(one_schema, k) && (json_is_object(v) || json_is_boolean(v)))
        walk(l, v, sub, depth + 1);
    if (in(schema_list, k) && json_is_array(v)) {
        size_t i;
        json_t *e;
        json_array_foreach(v, i, e) {
            char el[560];
            snprintf(el, sizeof el, "%s/%zu", sub, i);
            walk(l, e, el, depth + 1);
        }
    }
    if (in(schema_map, k) && json_is_object(v)) {
        const char *prop;
        json_t *e;
        json_object_foreach((json_t *)v, prop, e) {
            char el[800];
            snprintf(el, sizeof el, "%s/%s", sub, prop);
            walk(l, e, el, depth + 1);
        }
    }
}

static void walk(struct lint *l, const json_t *s, const char *path, int depth)
{
    if (!json_is_object(s) || depth > 64)
        return;
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)s, k, v) {
        if (in(known, k)) {
            walk_key(l, path, k, k, v, depth);
            continue;
        }
        const char *guess = near(k);
        if (guess) {
            char msg[300];
            snprintf(msg, sizeof msg, "'%.100s' is not a JSON Schema keyword (it is ignored); did "
                     "you mean '%s'?", k, guess);
            say(l, *path ? path : "/", msg);
            walk_key(l, path, k, guess, v, depth); /* and what is under it, as meant */
        }
    }
}

int schema_lint(const json_t *doc, void (*warn)(void *ctx, const char *path, const char *msg),
                void *ctx)
{
    struct lint l = {warn, ctx, 0};
    if (json_is_object(doc) && json_object_size(doc)) {
        int any = 0;
        const char *k;
        json_t *v;
        json_object_foreach((json_t *)doc, k, v) any |= in(known, k) || near(k) != NULL;
        if (!any) {
            int pipeline = json_object_get(doc, "response_format") || json_object_get(doc, "model") ||
                           json_object_get(doc, "prompt") || json_object_get(doc, "agent");
            say(&l, "/", pipeline ? "no JSON Schema keyword at all, so every value is valid: "
                                    "this looks like a pipeline file; give its response_format "
                                    "as a schema file of its own"
                                  : "no JSON Schema keyword at all (type, properties, required, "
                                    "...), so every value is valid");
            return l.count;
        }
    }
    walk(&l, doc, "", 0);
    return l.count;
}
