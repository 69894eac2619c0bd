/* schema_messages.c: how the validator words a failure: type names, values
 * rendered short, numbers as the schema wrote them, and the error objects
 * (instance path, schema path, message) it collects. Cold code: only reached
 * once the fast pass has said an instance is invalid. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "schema_int.h"

const char *sv_type_name(const json_t *x)
{
    switch (json_typeof(x)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL: {
        double d = json_real_value(x);
        return floor(d) == d ? "integer" : "number";
    }
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "value";
}

void sv_types_text(unsigned t, char *out, size_t n)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {{ST_OBJECT, "object"}, {ST_ARRAY, "array"},     {ST_STRING, "string"},
                 {ST_NUMBER, "number"}, {ST_INTEGER, "integer"}, {ST_BOOLEAN, "boolean"},
                 {ST_NULL, "null"}};
    if (t & ST_NUMBER)
        t &= ~(unsigned)ST_INTEGER;
    size_t len = 0;
    out[0] = '\0';
    int first = 1;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!(t & names[i].bit))
            continue;
        int w = snprintf(out + len, n - len, "%s%s", first ? "" : " or ", names[i].name);
        if (w < 0 || (size_t)w >= n - len)
            return;
        len += (size_t)w;
        first = 0;
    }
}

/* A value for a message: strings in single quotes, the rest as compact JSON,
 * both cut short when long. */
void sv_render(const json_t *v, char *out, size_t n)
{
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        snprintf(out, n, "%s", "(value)");
        return;
    }
    size_t len = strlen(s);
    const char *body = s;
    if (json_is_string(v) && len >= 2) {
        body = s + 1;
        len -= 2;
    }
    const size_t cap = 60;
    int cut = len > cap;
    if (cut) {
        len = cap;
        while (len > 0 && ((unsigned char)body[len] & 0xC0) == 0x80)
            len--;
    }
    if (json_is_string(v))
        snprintf(out, n, "'%.*s%s'", (int)len, body, cut ? "..." : "");
    else
        snprintf(out, n, "%.*s%s", (int)len, body, cut ? "..." : "");
    free(s);
}

void sv_render_list(const json_t *arr, char *out, size_t n)
{
    size_t len = 0;
    int w = snprintf(out, n, "[");
    len = (size_t)w;
    for (size_t i = 0; i < json_array_size(arr); i++) {
        char *s = json_dumps(json_array_get(arr, i), JSON_COMPACT | JSON_ENCODE_ANY);
        if (!s)
            break;
        if (len + strlen(s) + 8 > n || len > 200) {
            free(s);
            snprintf(out + len, n - len, "%s...", i ? ", " : "");
            len = strlen(out);
            break;
        }
        w = snprintf(out + len, n - len, "%s%s", i ? ", " : "", s);
        free(s);
        len += (size_t)w;
    }
    snprintf(out + len, n - len, "]");
}

void sv_render_num(const struct snum *x, char *out, size_t n)
{
    if (x->is_int) {
        snprintf(out, n, "%lld", (long long)x->i);
        return;
    }
    snprintf(out, n, "%.15g", x->d);
    if (strtod(out, NULL) != x->d)
        snprintf(out, n, "%.17g", x->d);
}

void sv_report(struct vctx *c, const struct snode *n, const char *kw, const char *fmt, ...)
{
    if (!c->errors || c->nerr >= c->max)
        return;
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    struct buf sp;
    buf_init(&sp, BUF_UNLIMITED);
    buf_puts(&sp, n->path);
    if (kw) {
        buf_putc(&sp, '/');
        buf_puts(&sp, kw);
    }
    json_t *e = json_object();
    json_object_set_new(e, "instance_path",
                        json_stringn(c->ipath.data ? c->ipath.data : "", c->ipath.len));
    json_object_set_new(e, "schema_path", json_string(sp.data ? sp.data : ""));
    json_object_set_new(e, "message", json_string(msg));
    json_array_append_new(c->errors, e);
    buf_free(&sp);
    c->nerr++;
}
