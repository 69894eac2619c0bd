/* fuzz_b64.c: base64 both ways. Bytes -> encode -> decode gives the bytes back;
 * the streaming encoder, fed and drained in fuzzed pieces, writes the same
 * text as one b64_encode; on any text, whole and streaming decode agree, and
 * the emulator's decoder (emu_b64_facts) agrees on size and digest. Every
 * output buffer is exactly as large as the header promises is enough. */
#include <stdint.h>

#include "b64.h"
#include "emu_int.h"
#include "fuzz_util.h"
#include "sha256.h"

static void roundtrip(const uint8_t *in, size_t n, size_t piece, size_t room)
{
    size_t elen = b64_enc_len(n);
    char *enc = malloc(elen + 1);
    size_t w = b64_encode(in, n, enc);
    FZ_CHECK(w == elen, "b64_encode wrote %zu, b64_enc_len says %zu", w, elen);
    uint8_t *dec = malloc(b64_dec_max(elen));
    long long d = b64_decode(enc, elen, dec);
    FZ_CHECK(d == (long long)n && !memcmp(dec, in, n), "round trip of %zu bytes gave %lld", n, d);

    /* streaming: input in pieces, output room limited */
    char *st = malloc(elen + 4);
    size_t sw = 0, off = 0;
    struct b64_enc e;
    b64_enc_init(&e);
    int guard = 0;
    while (off < n) {
        size_t take = n - off < piece ? n - off : piece;
        size_t consumed = 0;
        size_t avail = elen + 4 - sw < room ? elen + 4 - sw : room;
        sw += b64_enc_update(&e, in + off, take, &consumed, st + sw, avail);
        FZ_CHECK(consumed <= take, "consumed %zu of %zu", consumed, take);
        FZ_CHECK(sw <= elen, "streaming wrote %zu, more than %zu", sw, elen);
        off += consumed;
        FZ_CHECK(++guard < 1000000, "the streaming encoder makes no progress");
    }
    /* with no input left, drain whatever a full output kept back */
    size_t consumed;
    sw += b64_enc_update(&e, in + n, 0, &consumed, st + sw, elen + 4 - sw);
    sw += b64_enc_final(&e, st + sw);
    FZ_CHECK(sw == elen && !memcmp(st, enc, elen), "streaming text differs (%zu vs %zu)", sw,
             elen);
    free(st);
    free(dec);
    free(enc);
}

static void decode_any(const char *text, size_t n, size_t piece)
{
    uint8_t *whole = malloc(b64_dec_max(n));
    long long wd = b64_decode(text, n, whole);
    uint8_t *st = malloc(b64_dec_max(n) + 2);
    struct b64_dec d;
    b64_dec_init(&d);
    long long sd = 0;
    for (size_t off = 0; off < n && sd >= 0; off += piece) {
        size_t k = n - off < piece ? n - off : piece;
        long long r = b64_dec_update(&d, text + off, k, st + sd);
        sd = r < 0 ? -1 : sd + r;
    }
    if (sd >= 0) {
        long long r = b64_dec_final(&d, st + sd);
        sd = r < 0 ? -1 : sd + r;
    }
    FZ_CHECK((wd < 0) == (sd < 0), "whole decode %lld, streaming %lld", wd, sd);
    if (wd >= 0) {
        FZ_CHECK(wd == sd && !memcmp(whole, st, (size_t)wd), "decoded bytes differ");
        FZ_CHECK((size_t)wd <= b64_dec_max(n), "decoded %lld > max %zu", wd, b64_dec_max(n));
        /* the emulator's decoder reads the same text to the same bytes */
        struct emu_facts f;
        memset(&f, 0, sizeof f);
        int er = emu_b64_facts(text, n, &f);
        FZ_CHECK(er == 0, "emu_b64_facts rejects text b64_decode accepts");
        uint8_t dg[32];
        struct sha256 h;
        sha256_init(&h);
        sha256_update(&h, whole, (size_t)wd);
        sha256_final(&h, dg);
        FZ_CHECK(f.bytes == (uint64_t)wd && !memcmp(dg, f.sha256, 32),
                 "emu_b64_facts: %llu bytes, b64_decode %lld", (unsigned long long)f.bytes, wd);
    }
    free(st);
    free(whole);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    size_t piece = 1 + data[0] % 13;
    size_t room = 4 + data[1] % 23; /* at least one group, so it always progresses */
    uint8_t *in = malloc(size - 2 ? size - 2 : 1);
    memcpy(in, data + 2, size - 2);
    roundtrip(in, size - 2, piece, room);
    decode_any((const char *)in, size - 2, piece);
    free(in);
    return 0;
}
