/* png.h: write 8-bit RGB or RGBA PNG images (zlib deflate, CRC-32 per chunk).
 * Ownership: png_write appends to a caller's struct buf and allocates nothing
 * that outlives the call. */
#ifndef GB_PNG_H
#define GB_PNG_H

#include <stdint.h>

#include "buf.h"

/* Append a PNG of w x h pixels to out. pixels holds h rows of w * channels
 * bytes (channels 3 = RGB, 4 = RGBA), top row first. Returns 0, GB_EINVAL for
 * bad dimensions, GB_ENOMEM / GB_ELIMIT when out cannot grow. */
int png_write(struct buf *out, const uint8_t *pixels, uint32_t w, uint32_t h, int channels);

#endif
