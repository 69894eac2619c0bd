/* test_b64.c: base64 against RFC 4648 vectors, and the streaming encoder and
 * decoder against the one-shot forms for every split of the input. */
#include <criterion/criterion.h>
#include <string.h>

#include "b64.h"

static const struct { const char *in, *out; } vec[] = {
    {"", ""}, {"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"},
    {"foob", "Zm9vYg=="}, {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"},
};

Test(b64, rfc4648_vectors)
{
    for (size_t i = 0; i < sizeof vec / sizeof vec[0]; i++) {
        char out[32] = {0};
        size_t n = b64_encode(vec[i].in, strlen(vec[i].in), out);
        cr_expect_eq(n, strlen(vec[i].out));
        cr_expect_str_eq(out, vec[i].out);
        char dec[32] = {0};
        long long m = b64_decode(vec[i].out, strlen(vec[i].out), dec);
        cr_expect_eq(m, (long long)strlen(vec[i].in));
        cr_expect_str_eq(dec, vec[i].in);
    }
}

Test(b64, decode_without_padding)
{
    char dec[8] = {0};
    cr_expect_eq(b64_decode("Zm9vYg", 6, dec), 4);
    cr_expect_str_eq(dec, "foob");
}

Test(b64, decode_rejects_garbage)
{
    char dec[16];
    cr_expect_eq(b64_decode("Zm9v!", 5, dec), -1);
    cr_expect_eq(b64_decode("Z", 1, dec), -1);
    cr_expect_eq(b64_decode("Zm9v=Zm9v", 9, dec), -1);
    cr_expect_eq(b64_decode("Zg===", 5, dec), -1);
    cr_expect_eq(b64_decode("Zm9v Yg==", 9, dec), -1);
    cr_expect_eq(b64_decode("=", 1, dec), -1);
}

Test(b64, streaming_encoder_matches_oneshot_for_all_splits)
{
    unsigned char in[200];
    for (size_t i = 0; i < sizeof in; i++)
        in[i] = (unsigned char)(i * 37 + 11);
    char want[300];
    size_t wn = b64_encode(in, sizeof in, want);
    for (size_t chunk = 1; chunk <= 17; chunk++) {
        for (size_t outsz = 4; outsz <= 40; outsz += 12) {
            struct b64_enc e;
            b64_enc_init(&e);
            char got[300];
            size_t gn = 0, pos = 0;
            while (pos < sizeof in) {
                size_t n = sizeof in - pos < chunk ? sizeof in - pos : chunk;
                size_t used = 0;
                gn += b64_enc_update(&e, in + pos, n, &used, got + gn, outsz);
                pos += used;
                if (used == 0 && n > 0) {
                    /* out was too small this round; a bigger call drains it */
                    gn += b64_enc_update(&e, in + pos, 0, &used, got + gn, outsz);
                }
            }
            gn += b64_enc_final(&e, got + gn);
            cr_assert_eq(gn, wn, "chunk %zu outsz %zu", chunk, outsz);
            cr_assert(memcmp(got, want, wn) == 0, "chunk %zu outsz %zu", chunk, outsz);
        }
    }
}

Test(b64, streaming_decoder_matches_oneshot)
{
    const char *text = "SGVsbG8sIHN0cmVhbWluZyB3b3JsZCEgMTIzNDU2Nzg5MA==";
    char want[64];
    long long wn = b64_decode(text, strlen(text), want);
    cr_assert_gt(wn, 0);
    for (size_t chunk = 1; chunk < 9; chunk++) {
        struct b64_dec d;
        b64_dec_init(&d);
        char got[64];
        long long gn = 0;
        for (size_t p = 0; p < strlen(text); p += chunk) {
            size_t n = strlen(text) - p < chunk ? strlen(text) - p : chunk;
            long long r = b64_dec_update(&d, text + p, n, got + gn);
            cr_assert_geq(r, 0);
            gn += r;
        }
        long long r = b64_dec_final(&d, got + gn);
        cr_assert_geq(r, 0);
        gn += r;
        cr_assert_eq(gn, wn);
        cr_assert(memcmp(got, want, (size_t)wn) == 0);
    }
}
