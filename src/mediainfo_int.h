/* mediainfo_int.h: what mediainfo.c and mediainfo_pdf.c share: the bounded
 * reader over a descriptor (static inline, so mediainfo_pdf.c stays a leaf
 * that never calls back into mediainfo.c) and the PDF reader's entry.
 * Nothing outside mediainfo*.c includes it.
 * Ownership: struct rd borrows its descriptor; nothing here allocates past
 * a call. */
#ifndef GB_MEDIAINFO_INT_H
#define GB_MEDIAINFO_INT_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "fsx.h"

enum {
    MAX_BOXES = 4096, /* boxes, chunks, elements or segments walked per file */
};

struct rd {
    int fd;
    uint64_t size; /* the file's size: no read goes past it */
};

/* Exactly n bytes at off, or -1. */
static inline int at(const struct rd *r, uint64_t off, void *buf, size_t n)
{
    if (off > r->size || n > r->size - off)
        return -1;
    return fsx_pread_full(r->fd, buf, n, (off_t)off) == (ssize_t)n ? 0 : -1;
}

/* ---- mediainfo_pdf.c ------------------------------------------------------- */

/* Pages of a PDF (*how: "linearized" or "xref"), or -1 when the file does not
 * tell. */
long mi_pdf_pages(const struct rd *r, const char **how);

#endif
