/* esc.c: escaping of control characters and redaction of secrets in text
 * that came from outside (server messages, echoed keys). Pure functions on
 * caller buffers: used by log.c for every message and by the sink for
 * every stored line. */
#include "esc.h"
#include "utf8.h"
#include "err.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The escape for the character at s, written into e (at most 7 bytes + NUL);
 * 0 when it passes unchanged. *used gets the bytes it spans. */
static size_t escape_one(const unsigned char *s, size_t n, char e[8], size_t *used,
                         int keep_lines)
{
    uint32_t cp = 0;
    size_t len = utf8_seq(s, n, &cp);
    if (!len) {
        *used = 1;
        return (size_t)snprintf(e, 8, "\\x%02x", s[0]);
    }
    *used = len;
    if (keep_lines && (cp == '\n' || cp == '\t'))
        return 0;
    if (cp == '\n')
        return (size_t)snprintf(e, 8, "\\n");
    if (cp == '\r')
        return (size_t)snprintf(e, 8, "\\r");
    if (cp == '\t')
        return (size_t)snprintf(e, 8, "\\t");
    if (cp < 0x20 || cp == 0x7f)
        return (size_t)snprintf(e, 8, "\\x%02x", (unsigned)cp);
    if (cp >= 0x80 && cp <= 0x9f)
        return (size_t)snprintf(e, 8, "\\u%04x", (unsigned)cp);
    return 0;
}

size_t esc_text(const char *src, size_t n, char *out, size_t cap)
{
    const unsigned char *s = (const unsigned char *)src;
    size_t w = 0, i = 0;
    if (!cap)
        return 0;
    while (i < n) {
        char e[8];
        size_t used;
        size_t el = escape_one(s + i, n - i, e, &used, 0);
        const char *piece = el ? e : src + i;
        size_t pl = el ? el : used;
        if (w + pl >= cap)
            break; /* never half an escape or half a character */
        memcpy(out + w, piece, pl);
        w += pl;
        i += used;
    }
    out[w] = '\0';
    return w;
}

int esc_needed(const char *src, size_t n)
{
    const unsigned char *s = (const unsigned char *)src;
    for (size_t i = 0; i < n;) {
        char e[8];
        size_t used;
        if (escape_one(s + i, n - i, e, &used, 0))
            return 1;
        i += used;
    }
    return 0;
}

int esc_fwrite(const char *src, size_t n, FILE *f)
{
    const unsigned char *s = (const unsigned char *)src;
    char out[4096];
    size_t w = 0;
    for (size_t i = 0; i < n;) {
        char e[8];
        size_t used;
        size_t el = escape_one(s + i, n - i, e, &used, 1);
        if (w + (el ? el : used) > sizeof out) {
            if (fwrite(out, 1, w, f) != w)
                return -1;
            w = 0;
        }
        memcpy(out + w, el ? e : src + i, el ? el : used);
        w += el ? el : used;
        i += used;
    }
    return fwrite(out, 1, w, f) == w ? 0 : -1;
}

size_t esc_redact(char *s, size_t n, const char *secret, size_t sl)
{
    if (!secret || sl < ESC_SECRET_MIN || n < sl)
        return n;
    size_t ml = sizeof ESC_REDACTED - 1, r = 0, w = 0;
    for (;;) {
        char *hit = memmem(s + r, n - r, secret, sl);
        size_t upto = hit ? (size_t)(hit - s) : n;
        memmove(s + w, s + r, upto - r);
        w += upto - r;
        if (!hit)
            break;
        if (sl >= ml) {
            memcpy(s + w, ESC_REDACTED, ml);
            w += ml;
        } else {
            memset(s + w, '*', sl);
            w += sl;
        }
        r = upto + sl;
    }
    return w;
}

int esc_secret_keep(char **slot, const char *key)
{
    if (*slot) {
        memset(*slot, 0, strlen(*slot));
        free(*slot);
        *slot = NULL;
    }
    if (!key || strlen(key) < ESC_SECRET_MIN)
        return 0;
    *slot = strdup(key);
    return *slot ? 0 : GB_ENOMEM;
}
