/* test_emu_media.c: what the emulator reads from media bytes it never keeps:
 * an MP4's length from its movie header (at either end of the file, split
 * across any chunk edge), a WAV's from its header. */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "emu_int.h"

static size_t put32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
    return 4;
}

/* ftyp, a big mdat, then moov/mvhd (version 0): timescale 1000, duration ms */
static size_t mp4(uint8_t *b, uint32_t duration_ms, size_t mdat)
{
    size_t n = 0;
    n += put32(b + n, 20);
    memcpy(b + n, "ftypisom\0\0\2\0mp41", 16);
    n += 16;
    n += put32(b + n, (uint32_t)(8 + mdat));
    memcpy(b + n, "mdat", 4);
    n += 4;
    memset(b + n, 0x6d, mdat); /* 'm' bytes: the matcher must not be fooled */
    n += mdat;
    n += put32(b + n, 8 + 8 + 100);
    memcpy(b + n, "moov", 4);
    n += 4;
    n += put32(b + n, 8 + 100);
    memcpy(b + n, "mvhd", 4);
    n += 4;
    memset(b + n, 0, 100);
    put32(b + n + 12, 1000);
    put32(b + n + 16, duration_ms);
    n += 100;
    return n;
}

Test(emu_media, mp4_duration_across_chunk_edges)
{
    static uint8_t b[70000];
    size_t n = mp4(b, 9010, 65536);
    for (size_t chunk = 1; chunk <= 4099; chunk = chunk * 3 + 1) {
        struct emu_scan s;
        cr_assert_eq(emu_scan_init(&s), 0);
        for (size_t i = 0; i < n; i += chunk)
            emu_scan_update(&s, b + i, n - i < chunk ? n - i : chunk);
        struct emu_facts f;
        cr_assert_eq(emu_scan_final(&s, &f), 0);
        cr_expect_float_eq(f.seconds, 9.01, 1e-9, "chunk %zu", chunk);
        cr_expect_eq(f.bytes, n);
    }
}

Test(emu_media, no_movie_header_means_unknown)
{
    static const uint8_t b[] = "\0\0\0\x14" "ftypisom\0\0\2\0mp41" "\0\0\0\x08mdat";
    struct emu_scan s;
    cr_assert_eq(emu_scan_init(&s), 0);
    emu_scan_update(&s, b, sizeof b - 1);
    struct emu_facts f;
    cr_assert_eq(emu_scan_final(&s, &f), 0);
    cr_expect_lt(f.seconds, 0);
}
