/* log.c: the single place that writes human messages to stderr. Each message
 * is formatted first, the API key (log_set_secret) is blanked out of it, its
 * control characters are escaped (a server's text is in many messages: it
 * must not drive the terminal or forge a line), and it is written with one
 * fputs so threads (the in-process emulator) do not interleave half lines. */
#include "log.h"
#include "esc.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int quiet;
static char *secret; /* a copy of the API key, wiped when replaced */

void log_set_secret(const char *key)
{
    if (secret) {
        memset(secret, 0, strlen(secret));
        free(secret);
    }
    secret = key && *key ? strdup(key) : NULL;
}

void log_set_quiet(int q)
{
    quiet = q;
}

int log_debug_enabled(void)
{
    static int v = -1;
    if (v < 0) {
        const char *e = getenv("GEMBATCH_DEBUG");
        v = e && *e && *e != '0';
    }
    return v;
}

static void vlog(const char *prefix, const char *fmt, va_list ap)
{
    char line[2048];
    int n = snprintf(line, sizeof line, "gembatch: %s", prefix);
    if (n < 0 || (size_t)n >= sizeof line)
        n = 0;
    vsnprintf(line + n, sizeof line - (size_t)n, fmt, ap);
    size_t len = strlen(line);
    if (secret)
        len = esc_redact(line, len, secret, strlen(secret));
    /* an escape is at most 6 bytes for 1 to 2 of the line: the escaped text
     * fits, or is cut at a character boundary */
    char out[4 * sizeof line];
    size_t k = esc_text(line, len, out, sizeof out - 1);
    out[k] = '\n';
    out[k + 1] = '\0';
    fputs(out, stderr);
}

void log_error(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_warn(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vlog("warning: ", fmt, ap);
    va_end(ap);
}

void log_info(const char *fmt, ...)
{
    if (quiet)
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void log_debug(const char *fmt, ...)
{
    if (!log_debug_enabled())
        return;
    va_list ap;
    va_start(ap, fmt);
    vlog("debug: ", fmt, ap);
    va_end(ap);
}

void log_err(const struct gb_err *err)
{
    char msg[2048];
    gb_err_str(err, msg, sizeof msg);
    if (log_debug_enabled() && err->file)
        log_error("%s [%s:%d]", msg, err->file, err->file_line);
    else
        log_error("%s", msg);
}
