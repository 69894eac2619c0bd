/* buf.h: growable byte buffer with a ceiling fixed at init.
 * Ownership: a struct buf owns its bytes; buf_free releases them, buf_detach
 * hands them to the caller (who frees with free()). */
#ifndef GB_BUF_H
#define GB_BUF_H

#include <stddef.h>

struct buf {
    char *data;     /* always NUL-terminated when non-NULL */
    size_t len;
    size_t cap;
    size_t max;     /* ceiling; appends past it fail with GB_ELIMIT */
};

#define BUF_UNLIMITED ((size_t)-1)

void buf_init(struct buf *b, size_t max);
void buf_free(struct buf *b);
void buf_reset(struct buf *b);            /* len = 0, keep memory */
int buf_reserve(struct buf *b, size_t extra); /* room for extra more bytes (+NUL) */
int buf_append(struct buf *b, const void *p, size_t n);
int buf_puts(struct buf *b, const char *s);
int buf_putc(struct buf *b, char c);
int buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
char *buf_detach(struct buf *b, size_t *len); /* caller frees; b is reset to empty */
void buf_consume(struct buf *b, size_t n);   /* drop n bytes from the front */

#endif
