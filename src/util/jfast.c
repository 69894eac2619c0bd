/* jfast.c: JSON on hot paths, with jansson values: a writer that produces
 * exactly json_dumps(JSON_COMPACT)'s text several times faster (to a struct
 * buf, or to a running SHA-256 so a 20 MB body is digested without a copy),
 * and a strict parser that is ten times faster than jansson's on long
 * strings. Callers fall back to jansson for anything unusual and for every
 * error message. Used by the emulator and by the driver's response path. */
#include "jfast.h"
#include "utf8.h"
#include "err.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct jw {
    int (*sink)(void *ctx, const char *p, size_t n);
    void *ctx;
    int err;
    int sort;
    int prec;
    size_t n;
    char tmp[8192];
};

static void jw_flush(struct jw *w)
{
    if (w->n && !w->err && w->sink(w->ctx, w->tmp, w->n))
        w->err = GB_ENOMEM;
    w->n = 0;
}

static void put(struct jw *w, const char *p, size_t n)
{
    if (n > sizeof w->tmp - w->n) {
        jw_flush(w);
        if (n >= sizeof w->tmp / 2) { /* a long run (base64) goes straight through */
            if (!w->err && w->sink(w->ctx, p, n))
                w->err = GB_ENOMEM;
            return;
        }
    }
    memcpy(w->tmp + w->n, p, n);
    w->n += n;
}

static void putc1(struct jw *w, char c)
{
    if (w->n == sizeof w->tmp)
        jw_flush(w);
    w->tmp[w->n++] = c;
}

static void put_str(struct jw *w, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t run = 0;
    putc1(w, '"');
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c >= 0x20 && c != '"' && c != '\\')
            continue;
        put(w, s + run, i - run);
        run = i + 1;
        char e[6] = {'\\', 0};
        size_t k = 2;
        switch (c) {
        case '"': e[1] = '"'; break;
        case '\\': e[1] = '\\'; break;
        case '\b': e[1] = 'b'; break;
        case '\f': e[1] = 'f'; break;
        case '\n': e[1] = 'n'; break;
        case '\r': e[1] = 'r'; break;
        case '\t': e[1] = 't'; break;
        default:
            e[1] = 'u';
            e[2] = '0';
            e[3] = '0';
            e[4] = hex[c >> 4];
            e[5] = hex[c & 15];
            k = 6;
        }
        put(w, e, k);
    }
    put(w, s + run, n - run);
    putc1(w, '"');
}

static void put_int(struct jw *w, json_int_t v)
{
    char b[24];
    size_t i = sizeof b;
    unsigned long long u = v < 0 ? 0ull - (unsigned long long)v : (unsigned long long)v;
    do {
        b[--i] = (char)('0' + u % 10);
        u /= 10;
    } while (u);
    if (v < 0)
        b[--i] = '-';
    put(w, b + i, sizeof b - i);
}

/* d in the fewest significant digits (15, 16 or 17) that read back as d:
 * 0.1 is "0.1", not 0.10000000000000001, and 0.30000000000000004 keeps all
 * 17 (15 digits would change the value). */
static int shortest(char *b, size_t bsz, double d)
{
    int n = 0;
    for (int prec = 15; prec <= 17; prec++) {
        n = snprintf(b, bsz, "%.*g", prec, d);
        if (n <= 0 || (size_t)n >= bsz || strtod(b, NULL) == d)
            break;
    }
    return n;
}

static void put_real(struct jw *w, double d)
{
    char b[40];
    int n = w->prec == JF_SHORTEST ? shortest(b, sizeof b, d)
                                   : snprintf(b, sizeof b, "%.*g", w->prec, d);
    if (n <= 0 || (size_t)n >= sizeof b - 3) {
        w->err = GB_EINVAL;
        return;
    }
    char *e = strchr(b, 'e');
    if (e) { /* as jansson: "1e+300" -> "1e300", "1e-08" -> "1e-8" */
        char *src = e + 1, *dst = e + 1;
        if (*src == '+')
            src++;
        else if (*src == '-')
            *dst++ = *src++;
        while (*src == '0' && src[1])
            src++;
        memmove(dst, src, strlen(src) + 1);
        n = (int)strlen(b);
    } else if (!strpbrk(b, ".ni")) { /* as jansson: a real always looks like one */
        b[n++] = '.';
        b[n++] = '0';
    }
    put(w, b, (size_t)n);
}

static int key_cmp(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void put_value(struct jw *w, const json_t *v, int depth)
{
    if (w->err)
        return;
    if (depth > 2048) {
        w->err = GB_EINVAL;
        return;
    }
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        size_t n = json_object_size(v);
        putc1(w, '{');
        if (w->sort && n > 1) {
            const char *stack_keys[32];
            const char **keys = n <= 32 ? stack_keys : malloc(n * sizeof *keys);
            if (!keys) {
                w->err = GB_ENOMEM;
                return;
            }
            size_t k = 0;
            const char *key;
            json_t *x;
            json_object_foreach((json_t *)v, key, x) keys[k++] = key;
            qsort(keys, k, sizeof *keys, key_cmp);
            for (size_t i = 0; i < k; i++) {
                if (i)
                    putc1(w, ',');
                put_str(w, keys[i], strlen(keys[i]));
                putc1(w, ':');
                put_value(w, json_object_get(v, keys[i]), depth + 1);
            }
            if (keys != stack_keys)
                free(keys);
        } else {
            const char *key;
            json_t *x;
            int first = 1;
            json_object_foreach((json_t *)v, key, x) {
                if (!first)
                    putc1(w, ',');
                first = 0;
                put_str(w, key, strlen(key));
                putc1(w, ':');
                put_value(w, x, depth + 1);
            }
        }
        putc1(w, '}');
        break;
    }
    case JSON_ARRAY: {
        size_t n = json_array_size(v);
        putc1(w, '[');
        for (size_t i = 0; i < n; i++) {
            if (i)
                putc1(w, ',');
            put_value(w, json_array_get(v, i), depth + 1);
        }
        putc1(w, ']');
        break;
    }
    case JSON_STRING:
        put_str(w, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        put_int(w, json_integer_value(v));
        break;
    case JSON_REAL:
        put_real(w, json_real_value(v));
        break;
    case JSON_TRUE:
        put(w, "true", 4);
        break;
    case JSON_FALSE:
        put(w, "false", 5);
        break;
    case JSON_NULL:
        put(w, "null", 4);
        break;
    }
}

int jf_write_prec(const json_t *v, int sort_keys, int precision,
                  int (*sink)(void *ctx, const char *p, size_t n), void *ctx)
{
    struct jw *w = malloc(sizeof *w);
    if (!w)
        return GB_ENOMEM;
    w->sink = sink;
    w->ctx = ctx;
    w->err = 0;
    w->sort = sort_keys;
    w->prec = precision >= 0 && precision <= 17 ? precision : 17; /* 0: JF_SHORTEST */
    w->n = 0;
    if (!v)
        w->err = GB_EINVAL;
    else
        put_value(w, v, 0);
    jw_flush(w);
    int rc = w->err;
    free(w);
    return rc;
}

static int buf_sink(void *ctx, const char *p, size_t n)
{
    return buf_append(ctx, p, n);
}

int jf_write(const json_t *v, int sort_keys, int (*sink)(void *ctx, const char *p, size_t n),
             void *ctx)
{
    return jf_write_prec(v, sort_keys, 17, sink, ctx);
}

int jf_append_prec(struct buf *out, const json_t *v, int precision)
{
    return jf_write_prec(v, 0, precision, buf_sink, out);
}

int jf_append(struct buf *out, const json_t *v)
{
    return jf_append_prec(out, v, 17);
}

/* ---- parsing ---------------------------------------------------------------------
 * A strict RFC 8259 parser for the hot path: jansson's lexer costs ~150
 * instructions per byte of a long string, and a create body is mostly base64.
 * It accepts a subset of what json_loadb(…, 0, …) accepts and builds the same
 * values; on anything it does not like it returns NULL, and the caller asks
 * jansson, which gives the error message (or, should the two ever disagree,
 * the value). */

struct jp {
    const char *p, *end;
    int depth;
};

static void skip_ws(struct jp *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\n' || *j->p == '\r' || *j->p == '\t'))
        j->p++;
}

static json_t *parse_value(struct jp *j);

static int hex4(const char *p, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (unsigned)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (unsigned)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (unsigned)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

/* The string starting after its opening quote: returns a malloc'd copy in
 * *out (NUL-terminated, length *len), or -1. */
static int parse_string(struct jp *j, char **out, size_t *len)
{
    const char *s = j->p;
    const char *q = s;
    while (q < j->end && *q != '"' && *q != '\\' && (unsigned char)*q >= 0x20)
        q++;
    if (q >= j->end || (unsigned char)*q < 0x20)
        return -1;
    size_t cap = (size_t)(q - s) + 16;
    char *b = malloc(cap);
    if (!b)
        return -1;
    size_t n = (size_t)(q - s);
    memcpy(b, s, n);
    while (*q != '"') { /* escapes: rare, done byte by byte */
        if (cap - n < 8) {
            cap *= 2;
            char *nb = realloc(b, cap);
            if (!nb)
                goto fail;
            b = nb;
        }
        if (*q != '\\') {
            if ((unsigned char)*q < 0x20)
                goto fail;
            b[n++] = *q++;
        } else {
            if (q + 1 >= j->end)
                goto fail;
            char c = q[1];
            q += 2;
            switch (c) {
            case '"': b[n++] = '"'; break;
            case '\\': b[n++] = '\\'; break;
            case '/': b[n++] = '/'; break;
            case 'b': b[n++] = '\b'; break;
            case 'f': b[n++] = '\f'; break;
            case 'n': b[n++] = '\n'; break;
            case 'r': b[n++] = '\r'; break;
            case 't': b[n++] = '\t'; break;
            case 'u': {
                unsigned u, lo;
                if (j->end - q < 4 || hex4(q, &u))
                    goto fail;
                q += 4;
                if (u >= 0xd800 && u <= 0xdbff) { /* a surrogate pair */
                    if (j->end - q < 6 || q[0] != '\\' || q[1] != 'u' || hex4(q + 2, &lo) ||
                        lo < 0xdc00 || lo > 0xdfff)
                        goto fail;
                    q += 6;
                    u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
                } else if ((u >= 0xdc00 && u <= 0xdfff) || u == 0) {
                    goto fail; /* a lone low surrogate; NUL (jansson refuses it too) */
                }
                if (u < 0x80) {
                    b[n++] = (char)u;
                } else if (u < 0x800) {
                    b[n++] = (char)(0xc0 | u >> 6);
                    b[n++] = (char)(0x80 | (u & 0x3f));
                } else if (u < 0x10000) {
                    b[n++] = (char)(0xe0 | u >> 12);
                    b[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                    b[n++] = (char)(0x80 | (u & 0x3f));
                } else {
                    b[n++] = (char)(0xf0 | u >> 18);
                    b[n++] = (char)(0x80 | ((u >> 12) & 0x3f));
                    b[n++] = (char)(0x80 | ((u >> 6) & 0x3f));
                    b[n++] = (char)(0x80 | (u & 0x3f));
                }
                break;
            }
            default:
                goto fail;
            }
        }
        if (q >= j->end)
            goto fail;
    }
    b[n] = '\0';
    j->p = q + 1;
    *out = b;
    *len = n;
    return 0;
fail:
    free(b);
    return -1;
}

static json_t *parse_number(struct jp *j)
{
    const char *s = j->p, *q = s;
    int real = 0;
    if (q < j->end && *q == '-')
        q++;
    if (q >= j->end)
        return NULL;
    if (*q == '0') {
        q++;
    } else if (*q >= '1' && *q <= '9') {
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    } else {
        return NULL;
    }
    if (q < j->end && *q == '.') {
        real = 1;
        q++;
        if (q >= j->end || *q < '0' || *q > '9')
            return NULL;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    if (q < j->end && (*q == 'e' || *q == 'E')) {
        real = 1;
        q++;
        if (q < j->end && (*q == '+' || *q == '-'))
            q++;
        if (q >= j->end || *q < '0' || *q > '9')
            return NULL;
        while (q < j->end && *q >= '0' && *q <= '9')
            q++;
    }
    char tmp[64];
    size_t n = (size_t)(q - s);
    if (n >= sizeof tmp)
        return NULL; /* leave the unusual to jansson */
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    j->p = q;
    char *e;
    errno = 0;
    if (!real) {
        long long v = strtoll(tmp, &e, 10);
        if (errno || *e)
            return NULL; /* too big an integer: jansson's error */
        return json_integer((json_int_t)v);
    }
    double d = strtod(tmp, &e);
    if (errno == ERANGE && (d > 1 || d < -1)) /* overflow; an underflow is fine */
        return NULL;
    if (*e)
        return NULL;
    return json_real(d);
}

static json_t *parse_value(struct jp *j)
{
    skip_ws(j);
    if (j->p >= j->end || ++j->depth > 2048)
        return NULL;
    json_t *v = NULL;
    char c = *j->p;
    if (c == '{') {
        j->p++;
        v = json_object();
        skip_ws(j);
        if (j->p < j->end && *j->p == '}') {
            j->p++;
        } else {
            for (;;) {
                skip_ws(j);
                char *key;
                size_t klen;
                if (j->p >= j->end || *j->p != '"')
                    goto fail;
                j->p++;
                if (parse_string(j, &key, &klen))
                    goto fail;
                skip_ws(j);
                if (j->p >= j->end || *j->p != ':' || strlen(key) != klen) {
                    free(key);
                    goto fail;
                }
                j->p++;
                json_t *x = parse_value(j);
                /* json_object_setn_new checks the key's UTF-8 */
                if (!x || json_object_setn_new(v, key, klen, x)) {
                    free(key);
                    goto fail;
                }
                free(key);
                skip_ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == '}') {
                    j->p++;
                    break;
                }
                goto fail;
            }
        }
    } else if (c == '[') {
        j->p++;
        v = json_array();
        skip_ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
        } else {
            for (;;) {
                json_t *x = parse_value(j);
                if (!x || json_array_append_new(v, x))
                    goto fail;
                skip_ws(j);
                if (j->p < j->end && *j->p == ',') {
                    j->p++;
                    continue;
                }
                if (j->p < j->end && *j->p == ']') {
                    j->p++;
                    break;
                }
                goto fail;
            }
        }
    } else if (c == '"') {
        /* the common case, a string without escapes (all of base64), is
         * copied once, straight from the text; ASCII needs no UTF-8 check */
        const char *s0 = ++j->p, *q = s0;
        unsigned char high = 0;
        while (q < j->end) {
            unsigned char b = (unsigned char)*q;
            if (b == '"' || b == '\\' || b < 0x20)
                break;
            high |= b;
            q++;
        }
        if (q < j->end && *q == '"') {
            j->p = q + 1;
            v = high & 0x80 ? json_stringn(s0, (size_t)(q - s0))
                            : json_stringn_nocheck(s0, (size_t)(q - s0));
        } else {
            char *s;
            size_t n;
            if (parse_string(j, &s, &n))
                return NULL;
            v = json_stringn(s, n); /* checks UTF-8 */
            free(s);
        }
    } else if (c == 't' && j->end - j->p >= 4 && !memcmp(j->p, "true", 4)) {
        j->p += 4;
        v = json_true();
    } else if (c == 'f' && j->end - j->p >= 5 && !memcmp(j->p, "false", 5)) {
        j->p += 5;
        v = json_false();
    } else if (c == 'n' && j->end - j->p >= 4 && !memcmp(j->p, "null", 4)) {
        j->p += 4;
        v = json_null();
    } else if (c == '-' || (c >= '0' && c <= '9')) {
        v = parse_number(j);
    }
    j->depth--;
    return v;
fail:
    json_decref(v);
    return NULL;
}

json_t *jf_parse(const char *text, size_t len)
{
    struct jp j = {text, text + len, 0};
    skip_ws(&j);
    if (j.p >= j.end || (*j.p != '{' && *j.p != '['))
        return NULL; /* like json_loadb without JSON_DECODE_ANY */
    json_t *v = parse_value(&j);
    skip_ws(&j);
    if (v && j.p != j.end) {
        json_decref(v);
        return NULL;
    }
    return v;
}

/* ---- checking ------------------------------------------------------------------ */

enum { CHECK_MAX_DEPTH = 2048 };

/* A string after its opening quote; moves *pp past the closing one. */
static int check_string(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    while (p < end) {
        unsigned c = *p;
        if (c == '"') {
            *pp = p + 1;
            return 1;
        }
        if (c < 0x20)
            return 0;
        if (c == '\\') {
            if (end - p < 2)
                return 0;
            c = p[1];
            if (c == 'u') {
                unsigned u;
                if (end - p < 6 || hex4((const char *)p + 2, &u))
                    return 0;
                p += 6;
                continue;
            }
            if (!strchr("\"\\/bfnrt", (int)c) || !c)
                return 0;
            p += 2;
        } else if (c < 0x80) {
            p++;
        } else {
            size_t k = utf8_seq(p, (size_t)(end - p), NULL);
            if (!k)
                return 0;
            p += k;
        }
    }
    return 0;
}

static int check_number(const unsigned char **pp, const unsigned char *end)
{
    const unsigned char *p = *pp;
    if (p < end && *p == '-')
        p++;
    if (p >= end)
        return 0;
    if (*p == '0')
        p++;
    else if (*p >= '1' && *p <= '9')
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    else
        return 0;
    if (p < end && *p == '.') {
        if (++p >= end || *p < '0' || *p > '9')
            return 0;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-'))
            p++;
        if (p >= end || *p < '0' || *p > '9')
            return 0;
        while (p < end && *p >= '0' && *p <= '9')
            p++;
    }
    *pp = p;
    return 1;
}

static void check_ws(const unsigned char **pp, const unsigned char *end)
{
    while (*pp < end && (**pp == ' ' || **pp == '\n' || **pp == '\r' || **pp == '\t'))
        (*pp)++;
}

static int check_value(const unsigned char **pp, const unsigned char *end, int depth)
{
    const unsigned char *p = *pp;
    if (p >= end || depth > CHECK_MAX_DEPTH)
        return 0;
    unsigned char c = *p;
    if (c == '"') {
        p++;
        if (!check_string(&p, end))
            return 0;
    } else if (c == '{' || c == '[') {
        unsigned char close = c == '{' ? '}' : ']';
        p++;
        check_ws(&p, end);
        if (p < end && *p == close) {
            *pp = p + 1;
            return 1;
        }
        for (;;) {
            if (c == '{') {
                if (p >= end || *p != '"')
                    return 0;
                p++;
                if (!check_string(&p, end))
                    return 0;
                check_ws(&p, end);
                if (p >= end || *p != ':')
                    return 0;
                p++;
                check_ws(&p, end);
            }
            if (!check_value(&p, end, depth + 1))
                return 0;
            check_ws(&p, end);
            if (p < end && *p == ',') {
                p++;
                check_ws(&p, end);
                continue;
            }
            if (p < end && *p == close) {
                p++;
                break;
            }
            return 0;
        }
    } else if (c == 't' && end - p >= 4 && !memcmp(p, "true", 4)) {
        p += 4;
    } else if (c == 'f' && end - p >= 5 && !memcmp(p, "false", 5)) {
        p += 5;
    } else if (c == 'n' && end - p >= 4 && !memcmp(p, "null", 4)) {
        p += 4;
    } else if (!check_number(&p, end)) {
        return 0;
    }
    *pp = p;
    return 1;
}

int jf_check(const char *text, size_t len)
{
    const unsigned char *p = (const unsigned char *)text, *end = p + len;
    check_ws(&p, end);
    if (!check_value(&p, end, 1))
        return 0;
    check_ws(&p, end);
    return p == end;
}

static char *dump_prec(const json_t *v, int precision, size_t *len)
{
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    if (jf_append_prec(&b, v, precision) || !b.data) {
        buf_free(&b);
        return NULL;
    }
    return buf_detach(&b, len);
}

char *jf_dump(const json_t *v, size_t *len)
{
    return dump_prec(v, 17, len);
}

char *jf_dump_short(const json_t *v, size_t *len)
{
    return dump_prec(v, JF_SHORTEST, len);
}
