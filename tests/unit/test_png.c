/* test_png.c: the PNG writer, read back chunk by chunk with zlib: signature,
 * CRC of every chunk, IHDR fields, and the inflated scanlines equal to the
 * pixels written. */
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "buf.h"
#include "err.h"
#include "png.h"

static uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walk the chunks, check each CRC, collect IHDR and the IDAT payload. */
static void parse(const uint8_t *p, size_t n, uint32_t *w, uint32_t *h, int *ctype,
                  struct buf *idat, int *nchunks)
{
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    cr_assert(n > 8);
    cr_assert(memcmp(p, sig, 8) == 0, "PNG signature");
    size_t off = 8;
    int seen_end = 0;
    *nchunks = 0;
    while (off + 12 <= n) {
        uint32_t len = rd32(p + off);
        cr_assert(off + 12 + len <= n, "chunk overruns the file");
        const uint8_t *type = p + off + 4, *data = p + off + 8;
        uLong crc = crc32(crc32(0L, Z_NULL, 0), type, 4);
        crc = crc32(crc, data, len);
        cr_assert_eq((uint32_t)crc, rd32(data + len), "CRC of chunk %.4s", (const char *)type);
        if (!memcmp(type, "IHDR", 4)) {
            cr_assert_eq(*nchunks, 0, "IHDR comes first");
            cr_assert_eq(len, 13);
            *w = rd32(data);
            *h = rd32(data + 4);
            cr_assert_eq(data[8], 8, "bit depth");
            *ctype = data[9];
            cr_assert_eq(data[10], 0);
            cr_assert_eq(data[11], 0);
            cr_assert_eq(data[12], 0);
        } else if (!memcmp(type, "IDAT", 4)) {
            cr_assert_eq(buf_append(idat, data, len), 0);
        } else if (!memcmp(type, "IEND", 4)) {
            cr_assert_eq(len, 0);
            seen_end = 1;
        }
        (*nchunks)++;
        off += 12 + len;
    }
    cr_assert(seen_end, "IEND present");
    cr_assert_eq(off, n, "nothing after IEND");
}

static void roundtrip(uint32_t W, uint32_t H, int ch)
{
    size_t stride = (size_t)W * ch;
    uint8_t *px = malloc(stride * H);
    for (size_t i = 0; i < stride * H; i++)
        px[i] = (uint8_t)(i * 7 + i / 13);
    struct buf out, idat;
    buf_init(&out, BUF_UNLIMITED);
    buf_init(&idat, BUF_UNLIMITED);
    cr_assert_eq(png_write(&out, px, W, H, ch), 0);
    uint32_t w = 0, h = 0;
    int ctype = -1, nch = 0;
    parse((const uint8_t *)out.data, out.len, &w, &h, &ctype, &idat, &nch);
    cr_expect_eq(w, W);
    cr_expect_eq(h, H);
    cr_expect_eq(ctype, ch == 4 ? 6 : 2);
    uLongf rawlen = (uLongf)((stride + 1) * H);
    uint8_t *raw = malloc(rawlen);
    cr_assert_eq(uncompress(raw, &rawlen, (const Bytef *)idat.data, idat.len), Z_OK);
    cr_assert_eq(rawlen, (stride + 1) * H);
    for (uint32_t y = 0; y < H; y++) {
        cr_assert_eq(raw[y * (stride + 1)], 0, "filter byte of row %u", y);
        cr_assert(memcmp(raw + y * (stride + 1) + 1, px + y * stride, stride) == 0, "row %u", y);
    }
    free(raw);
    free(px);
    buf_free(&out);
    buf_free(&idat);
}

Test(png, rgb_64x64_roundtrip) { roundtrip(64, 64, 3); }
Test(png, rgba_odd_size_roundtrip) { roundtrip(17, 5, 4); }
Test(png, one_pixel) { roundtrip(1, 1, 3); }

Test(png, rejects_bad_dimensions)
{
    struct buf out;
    buf_init(&out, BUF_UNLIMITED);
    uint8_t px[3] = {0};
    cr_expect_eq(png_write(&out, px, 0, 1, 3), GB_EINVAL);
    cr_expect_eq(png_write(&out, px, 1, 0, 3), GB_EINVAL);
    cr_expect_eq(png_write(&out, px, 1, 1, 2), GB_EINVAL);
    cr_expect_eq(out.len, 0);
    buf_free(&out);
}

Test(png, respects_buffer_ceiling)
{
    struct buf out;
    buf_init(&out, 16);
    uint8_t px[12] = {0};
    cr_expect_eq(png_write(&out, px, 2, 2, 3), GB_ELIMIT);
    buf_free(&out);
}
