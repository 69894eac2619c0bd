/* err.c: struct gb_err filling and formatting. Owns nothing; never exits
 * except through gb_assert_fail, which is for broken invariants only. */
#include "err.h"

#include <stdlib.h>
#include <string.h>

int gb_vfail(struct gb_err *err, int code, const char *file, int line, const char *fmt,
             va_list ap)
{
    if (!err)
        return code;
    err->code = code;
    err->file = file;
    err->file_line = line;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    return code;
}

int gb_fail(struct gb_err *err, int code, const char *file, int line, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    gb_vfail(err, code, file, line, fmt, ap);
    va_end(ap);
    return code;
}

void gb_err_at(struct gb_err *err, const char *source, long line, long column)
{
    if (!err)
        return;
    if (source)
        snprintf(err->source, sizeof err->source, "%s", source);
    err->line = line;
    err->column = column;
}

void gb_err_clear(struct gb_err *err)
{
    if (err)
        memset(err, 0, sizeof *err);
}

const char *gb_err_str(const struct gb_err *err, char *out, size_t outsz)
{
    if (err->source[0] && err->line > 0)
        snprintf(out, outsz, "%s:%ld: %s", err->source, err->line, err->msg);
    else if (err->source[0])
        snprintf(out, outsz, "%s: %s", err->source, err->msg);
    else
        snprintf(out, outsz, "%s", err->msg);
    return out;
}

const char *gb_strerror(int code)
{
    switch (code) {
    case GB_OK: return "ok";
    case GB_EINVAL: return "invalid input";
    case GB_ENOMEM: return "out of memory";
    case GB_EIO: return "i/o error";
    case GB_ENOENT: return "not found";
    case GB_EUNSUPPORTED: return "unsupported";
    case GB_ELIMIT: return "limit exceeded";
    case GB_ENET: return "network error";
    case GB_EAUTH: return "authentication refused";
    case GB_ESTATE: return "invalid state";
    case GB_EINTR: return "interrupted";
    case GB_EBUSY: return "in use by another process";
    }
    return "error";
}

void gb_assert_fail(const char *cond, const char *file, int line)
{
    fprintf(stderr, "gembatch: internal error: assertion '%s' failed at %s:%d\n", cond, file,
            line);
    abort();
}
