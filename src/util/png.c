/* png.c: the smallest correct PNG encoder: signature, IHDR, one IDAT holding
 * the zlib stream of filter-0 scanlines, IEND. Used for the emulator's
 * generated images; any PNG reader must decode what it writes. */
#include "png.h"
#include "err.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

static void be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

/* length, type, data, CRC over type + data (PNG spec 5.3) */
static int chunk(struct buf *out, const char type[4], const uint8_t *data, size_t n)
{
    uint8_t hdr[8];
    if (n > 0x7fffffffu)
        return GB_ELIMIT;
    be32(hdr, (uint32_t)n);
    memcpy(hdr + 4, type, 4);
    uLong crc = crc32(0L, Z_NULL, 0);
    crc = crc32(crc, (const Bytef *)type, 4);
    if (n)
        crc = crc32(crc, data, (uInt)n);
    uint8_t tail[4];
    be32(tail, (uint32_t)crc);
    int rc = buf_append(out, hdr, sizeof hdr);
    if (!rc && n)
        rc = buf_append(out, data, n);
    if (!rc)
        rc = buf_append(out, tail, sizeof tail);
    return rc;
}

int png_write(struct buf *out, const uint8_t *pixels, uint32_t w, uint32_t h, int channels)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    uint8_t *raw = NULL, *z = NULL;
    int rc = GB_EINVAL;
    if (!w || !h || w > 16384 || h > 16384 || (channels != 3 && channels != 4))
        goto fail;
    size_t stride = (size_t)w * (size_t)channels;
    size_t rawlen = (stride + 1) * h;
    raw = malloc(rawlen);
    uLongf zlen = compressBound((uLong)rawlen);
    z = malloc(zlen);
    rc = GB_ENOMEM;
    if (!raw || !z)
        goto fail;
    for (uint32_t y = 0; y < h; y++) {
        raw[y * (stride + 1)] = 0; /* filter type None */
        memcpy(raw + y * (stride + 1) + 1, pixels + y * stride, stride);
    }
    if (compress2(z, &zlen, raw, (uLong)rawlen, 6) != Z_OK)
        goto fail;
    uint8_t ihdr[13];
    be32(ihdr, w);
    be32(ihdr + 4, h);
    ihdr[8] = 8;                          /* bit depth */
    ihdr[9] = channels == 4 ? 6 : 2;      /* colour type: RGBA or RGB */
    ihdr[10] = ihdr[11] = ihdr[12] = 0;   /* deflate, adaptive filtering, no interlace */
    if ((rc = buf_append(out, sig, sizeof sig)) || (rc = chunk(out, "IHDR", ihdr, sizeof ihdr)) ||
        (rc = chunk(out, "IDAT", z, zlen)) || (rc = chunk(out, "IEND", NULL, 0)))
        goto fail;
    rc = 0;
fail:
    free(z);
    free(raw);
    return rc;
}
