/* report_esc.c: escaping for the report page. Everything that comes from an
 * output folder (ids, answers, messages, file names) reaches the page through
 * these three functions: HTML text and attributes, JSON inside <script>, and
 * relative links. Invalid UTF-8 and control bytes never reach the page. */
#include "report_int.h"
#include "utf8.h"

#include <stdlib.h>
#include <string.h>

#define REPL "\xef\xbf\xbd" /* U+FFFD */

/* The byte count to use: at most max (0: all), never inside a character. */
static size_t cut_at(const char *s, size_t n, size_t max, int *cut)
{
    *cut = 0;
    if (!max || n <= max)
        return n;
    *cut = 1;
    size_t m = max;
    while (m && ((unsigned char)s[m] & 0xC0) == 0x80)
        m--;
    return m;
}

void html_esc(struct buf *out, const char *s, size_t n, size_t max)
{
    int cut;
    n = cut_at(s, n, max, &cut);
    const unsigned char *p = (const unsigned char *)s;
    size_t i = 0, run = 0; /* bytes since i that need no escaping */
    while (i + run < n) {
        unsigned char c = p[i + run];
        const char *rep = NULL;
        size_t len = 1;
        if (c == '&')
            rep = "&amp;";
        else if (c == '<')
            rep = "&lt;";
        else if (c == '>')
            rep = "&gt;";
        else if (c == '"')
            rep = "&quot;";
        else if (c == '\'')
            rep = "&#39;";
        else if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
            rep = REPL;
        else if (c >= 0x80 && !(len = utf8_seq(p + i + run, n - i - run, NULL)))
            rep = REPL, len = 1;
        if (!rep) {
            run += len;
            continue;
        }
        buf_append(out, p + i, run);
        buf_puts(out, rep);
        i += run + len;
        run = 0;
    }
    buf_append(out, p + i, run);
    if (cut)
        buf_puts(out, "\xe2\x80\xa6"); /* U+2026 */
}

void json_esc(struct buf *out, const char *s, size_t n, size_t max)
{
    int cut;
    n = cut_at(s, n, max, &cut);
    const unsigned char *p = (const unsigned char *)s;
    buf_putc(out, '"');
    size_t i = 0, run = 0;
    while (i + run < n) {
        const unsigned char *q = p + i + run;
        unsigned char c = *q;
        char rep[8] = "";
        size_t len = 1;
        if (c == '"' || c == '\\')
            snprintf(rep, sizeof rep, "\\%c", c);
        /* < > & as escapes: no "</script" or "<!--" can close or open
         * anything inside the page's <script> data block */
        else if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == 0x7F)
            snprintf(rep, sizeof rep, "\\u%04x", c);
        else if (c >= 0x80) {
            len = utf8_seq(q, n - i - run, NULL);
            if (!len)
                snprintf(rep, sizeof rep, "\\ufffd"), len = 1;
            else if (len == 3 && c == 0xE2 && q[1] == 0x80 && (q[2] == 0xA8 || q[2] == 0xA9))
                snprintf(rep, sizeof rep, "\\u%04x", q[2] == 0xA8 ? 0x2028 : 0x2029);
        }
        if (!rep[0]) {
            run += len;
            continue;
        }
        buf_append(out, p + i, run);
        buf_puts(out, rep);
        i += run + len;
        run = 0;
    }
    buf_append(out, p + i, run);
    if (cut)
        buf_puts(out, "\xe2\x80\xa6");
    buf_putc(out, '"');
}

static int plain(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '-' || c == '~' || c == '/';
}

static void pct(struct buf *b, const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (plain(*p))
            buf_putc(b, (char)*p);
        else
            buf_printf(b, "%%%02X", *p);
}

char *url_rel(const char *prefix, const char *path)
{
    if (!path || !*path || path[0] == '/' || strchr(path, '\\') || strchr(path, ':'))
        return NULL;
    for (const char *c = path; *c; c++)
        if ((unsigned char)*c < 0x20 || *c == 0x7F)
            return NULL;
    /* no ".." component: a link never leaves the output folder */
    for (const char *c = path; *c;) {
        size_t len = strcspn(c, "/");
        if (len == 2 && c[0] == '.' && c[1] == '.')
            return NULL;
        c += len;
        if (*c == '/')
            c++;
    }
    struct buf b;
    buf_init(&b, 64 * 1024);
    pct(&b, prefix ? prefix : "");
    pct(&b, path);
    size_t len;
    char *s = buf_detach(&b, &len);
    return s && len ? s : (free(s), NULL);
}
