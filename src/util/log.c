/* log.c: the single place that writes human messages to stderr. Each message
 * is formatted first and written with one fputs so threads (the in-process
 * emulator) do not interleave half lines. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

static int quiet;

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
    vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    size_t len = 0;
    while (line[len])
        len++;
    line[len] = '\n';
    line[len + 1] = '\0';
    fputs(line, stderr);
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
