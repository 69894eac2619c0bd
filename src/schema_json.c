/* schema_json.c: JSON value questions JSON Schema asks: equality (1 == 1.0,
 * key order ignored), a hash that agrees with it, duplicates in an array in
 * n log n, and string length in code points. Pure functions; no state, no
 * allocation except the scratch of schema_find_duplicate. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

size_t schema_utf8_len(const char *s, size_t len)
{
    size_t n = 0;
    for (size_t i = 0; i < len; i++)
        n += ((unsigned char)s[i] & 0xC0) != 0x80;
    return n;
}

static int num_equal(const json_t *a, const json_t *b)
{
    if (json_is_integer(a) && json_is_integer(b))
        return json_integer_value(a) == json_integer_value(b);
    if (json_is_integer(b)) {
        const json_t *t = a;
        a = b;
        b = t;
    }
    if (json_is_integer(a)) { /* a integer, b real */
        double d = json_real_value(b);
        if (floor(d) != d || fabs(d) >= 9.2e18)
            return 0;
        return (int64_t)d == json_integer_value(a);
    }
    return json_real_value(a) == json_real_value(b);
}

int schema_json_equal(const json_t *a, const json_t *b)
{
    if (a == b)
        return 1;
    if (json_is_number(a) && json_is_number(b))
        return num_equal(a, b);
    if (json_typeof(a) != json_typeof(b))
        return 0;
    switch (json_typeof(a)) {
    case JSON_STRING:
        return json_string_length(a) == json_string_length(b) &&
               !memcmp(json_string_value(a), json_string_value(b), json_string_length(a));
    case JSON_ARRAY: {
        size_t n = json_array_size(a);
        if (n != json_array_size(b))
            return 0;
        for (size_t i = 0; i < n; i++)
            if (!schema_json_equal(json_array_get(a, i), json_array_get(b, i)))
                return 0;
        return 1;
    }
    case JSON_OBJECT: {
        if (json_object_size(a) != json_object_size(b))
            return 0;
        const char *key;
        size_t klen;
        json_t *va;
        json_object_keylen_foreach((json_t *)a, key, klen, va)
        {
            const json_t *vb = json_object_getn(b, key, klen);
            if (!vb || !schema_json_equal(va, vb))
                return 0;
        }
        return 1;
    }
    default:
        return 1; /* true, false, null: same type is equal */
    }
}

/* A hash that agrees with schema_json_equal: 1 and 1.0 alike, object key
 * order ignored. */
static uint64_t json_hash(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_NULL:
        return 1;
    case JSON_TRUE:
        return 2;
    case JSON_FALSE:
        return 3;
    case JSON_INTEGER:
    case JSON_REAL: {
        double d = json_number_value(v);
        uint64_t bits = 0;
        if (d != 0) /* -0.0 == 0 */
            memcpy(&bits, &d, sizeof bits);
        return (bits ^ 0x9e3779b97f4a7c15ULL) * 0xbf58476d1ce4e5b9ULL;
    }
    case JSON_STRING:
        return schema_name_hash(json_string_value(v), json_string_length(v)) * 0x94d049bbULL + 7;
    case JSON_ARRAY: {
        uint64_t h = 11;
        for (size_t i = 0; i < json_array_size(v); i++)
            h = h * 1000003 + json_hash(json_array_get(v, i));
        return h;
    }
    case JSON_OBJECT: {
        uint64_t h = 13;
        const char *key;
        size_t klen;
        json_t *val;
        json_object_keylen_foreach((json_t *)v, key, klen, val)
        {
            uint64_t kv = (schema_name_hash(key, klen) * 0x100000001b3ULL) ^ json_hash(val);
            h += kv * 0x9e3779b97f4a7c15ULL; /* a sum: order does not matter */
        }
        return h;
    }
    }
    return 0;
}

struct hashed {
    uint64_t h;
    size_t i;
};

static int by_hash(const void *a, const void *b)
{
    const struct hashed *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* 1 and the first equal pair (by the later index) when x has duplicates, 0
 * when not, GB_ENOMEM. Small arrays compare pairwise; large ones sort hashes,
 * so a 100,000-item array costs n log n, not n squared. */
int schema_find_duplicate(const json_t *x, size_t *first, size_t *second)
{
    size_t size = json_array_size(x);
    int found = 0;
    if (size <= 32) {
        for (size_t i = 1; i < size && !found; i++)
            for (size_t j = 0; j < i && !found; j++)
                if (schema_json_equal(json_array_get(x, i), json_array_get(x, j))) {
                    *first = j;
                    *second = i;
                    found = 1;
                }
        return found;
    }
    struct hashed *hs = malloc(size * sizeof *hs);
    if (!hs)
        return GB_ENOMEM;
    for (size_t i = 0; i < size; i++) {
        hs[i].h = json_hash(json_array_get(x, i));
        hs[i].i = i;
    }
    qsort(hs, size, sizeof *hs, by_hash);
    for (size_t a = 0; a < size; a++)
        for (size_t b = a + 1; b < size && hs[b].h == hs[a].h; b++)
            if (schema_json_equal(json_array_get(x, hs[a].i), json_array_get(x, hs[b].i)) &&
                (!found || hs[b].i < *second)) {
                *first = hs[a].i;
                *second = hs[b].i;
                found = 1;
            }
    free(hs);
    return found;
}
