/* err.h: the one error convention. Functions return 0 or a negative GB_E* code
 * and fill a caller's struct gb_err through GB_FAIL, which records the input
 * location (source, line, column) and the code location (file, line).
 * Ownership: struct gb_err holds no heap memory; it is a plain value. */
#ifndef GB_ERR_H
#define GB_ERR_H

#include <stdarg.h>
#include <stdio.h>

enum {
    GB_OK = 0,
    GB_EINVAL = -1,      /* malformed input (JSON, manifest, schema, flag) */
    GB_ENOMEM = -2,      /* allocation failed */
    GB_EIO = -3,         /* read/write/fsync failed */
    GB_ENOENT = -4,      /* file or id not found */
    GB_EUNSUPPORTED = -5, /* valid but not implemented here (never a silent pass) */
    GB_ELIMIT = -6,      /* a size/count ceiling was reached */
    GB_ENET = -7,        /* transport failure */
    GB_EAUTH = -8,       /* authentication refused */
    GB_ESTATE = -9,      /* operation not valid in the current state */
    GB_EINTR = -10,      /* interrupted by a signal */
    GB_EBUSY = -11,      /* held by another process (a lock): try again later */
};

struct gb_err {
    int code;
    char msg[1024];
    char source[512]; /* input the problem is in: manifest, pipeline, archive entry, schema */
    long line;        /* 1-based line in source, 0 when not applicable */
    long column;      /* 1-based column, 0 when not applicable */
    const char *file; /* code location, for debug output */
    int file_line;
};

/* Fill err (may be NULL) and return code. */
int gb_fail(struct gb_err *err, int code, const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
int gb_vfail(struct gb_err *err, int code, const char *file, int line, const char *fmt,
             va_list ap);

#define GB_FAIL(err, code, ...) gb_fail((err), (code), __FILE__, __LINE__, __VA_ARGS__)

/* Attach an input location to an error already filled. */
void gb_err_at(struct gb_err *err, const char *source, long line, long column);
void gb_err_clear(struct gb_err *err);

/* Format "SOURCE:LINE: msg" (or just msg) into out. */
const char *gb_err_str(const struct gb_err *err, char *out, size_t outsz);

/* A short name for a code: "invalid input", "out of memory", ... */
const char *gb_strerror(int code);

/* Broken invariants, never input: report and stop. */
#define GB_ASSERT(cond)                                                                            \
    do {                                                                                           \
        if (!(cond))                                                                               \
            gb_assert_fail(#cond, __FILE__, __LINE__);                                             \
    } while (0)
void gb_assert_fail(const char *cond, const char *file, int line) __attribute__((noreturn));

#endif
