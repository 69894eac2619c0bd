/* b64.c: base64 encode/decode, whole and streaming. The streaming encoder is
 * what request bodies use to turn a media file into JSON text inside curl's
 * read buffer without an intermediate copy. */
#include "b64.h"

#include <string.h>

static const char enc_tab[65] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

/* 0..63 for valid characters, 64 for '=', 255 for anything else. */
static const uint8_t dec_tab[256] = {
#define X 255
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, 62, X, X, X, 63, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, X, X,
    X, 64, X, X, X, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21,
    22, 23, 24, 25, X, X, X, X, X, X, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40,
    41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
    X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X, X,
#undef X
};

static inline void enc3(const uint8_t *s, char *d)
{
    uint32_t v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
    d[0] = enc_tab[v >> 18];
    d[1] = enc_tab[(v >> 12) & 63];
    d[2] = enc_tab[(v >> 6) & 63];
    d[3] = enc_tab[v & 63];
}

static size_t enc_tail(const uint8_t *s, size_t n, char *d)
{
    if (n == 0)
        return 0;
    uint32_t v = (uint32_t)s[0] << 16 | (n > 1 ? (uint32_t)s[1] << 8 : 0);
    d[0] = enc_tab[v >> 18];
    d[1] = enc_tab[(v >> 12) & 63];
    d[2] = n > 1 ? enc_tab[(v >> 6) & 63] : '=';
    d[3] = '=';
    return 4;
}

size_t b64_encode(const void *in, size_t n, char *out)
{
    const uint8_t *s = in;
    char *d = out;
    size_t i = 0;
    for (; i + 3 <= n; i += 3, d += 4)
        enc3(s + i, d);
    d += enc_tail(s + i, n - i, d);
    return (size_t)(d - out);
}

void b64_enc_init(struct b64_enc *e)
{
    e->ncarry = 0;
}

size_t b64_enc_update(struct b64_enc *e, const void *in, size_t n, size_t *consumed, char *out,
                      size_t outsz)
{
    const uint8_t *s = in;
    size_t used = 0, w = 0;
    if (e->ncarry) {
        while (e->ncarry < 3 && used < n)
            e->carry[e->ncarry++] = s[used++];
        if (e->ncarry < 3 || outsz < 4)
            goto out;
        enc3(e->carry, out);
        w = 4;
        e->ncarry = 0;
    }
    size_t groups = (n - used) / 3;
    if (groups > (outsz - w) / 4)
        groups = (outsz - w) / 4;
    for (size_t k = 0; k < groups; k++, used += 3, w += 4)
        enc3(s + used, out + w);
    if (n - used < 3) { /* a short tail waits for more input or final */
        memcpy(e->carry, s + used, n - used);
        e->ncarry = (int)(n - used);
        used = n;
    }
out:
    if (consumed)
        *consumed = used;
    return w;
}

size_t b64_enc_final(struct b64_enc *e, char *out)
{
    size_t w;
    if (e->ncarry == 3) {
        enc3(e->carry, out);
        w = 4;
    } else {
        w = enc_tail(e->carry, (size_t)e->ncarry, out);
    }
    e->ncarry = 0;
    return w;
}

long long b64_decode(const char *in, size_t n, void *out)
{
    struct b64_dec d;
    b64_dec_init(&d);
    long long a = b64_dec_update(&d, in, n, out);
    if (a < 0)
        return -1;
    long long b = b64_dec_final(&d, (uint8_t *)out + a);
    if (b < 0)
        return -1;
    return a + b;
}

void b64_dec_init(struct b64_dec *d)
{
    d->acc = 0;
    d->nacc = 0;
    d->npad = 0;
    d->bad = 0;
}

long long b64_dec_update(struct b64_dec *d, const char *in, size_t n, void *out)
{
    uint8_t *o = out;
    size_t w = 0;
    if (d->bad)
        return -1;
    for (size_t i = 0; i < n; i++) {
        uint8_t v = dec_tab[(uint8_t)in[i]];
        if (v == 255) {
            d->bad = 1;
            return -1;
        }
        if (v == 64) { /* '=' */
            /* padding only after 2 or 3 chars of a group, at most 2 of them */
            if ((d->nacc < 2 && d->npad == 0) || d->npad >= 2) {
                d->bad = 1;
                return -1;
            }
            d->npad++;
            continue;
        }
        if (d->npad) { /* data after padding */
            d->bad = 1;
            return -1;
        }
        d->acc = d->acc << 6 | v;
        if (++d->nacc == 4) {
            o[w++] = (uint8_t)(d->acc >> 16);
            o[w++] = (uint8_t)(d->acc >> 8);
            o[w++] = (uint8_t)d->acc;
            d->acc = 0;
            d->nacc = 0;
        }
    }
    return (long long)w;
}

long long b64_dec_final(struct b64_dec *d, void *out)
{
    uint8_t *o = out;
    if (d->bad)
        return -1;
    long long w = 0;
    switch (d->nacc) {
    case 0:
        if (d->npad)
            return -1;
        break;
    case 1:
        return -1;
    case 2:
        if (d->npad != 0 && d->npad != 2)
            return -1;
        o[0] = (uint8_t)(d->acc >> 4);
        w = 1;
        break;
    case 3:
        if (d->npad > 1)
            return -1;
        o[0] = (uint8_t)(d->acc >> 10);
        o[1] = (uint8_t)(d->acc >> 2);
        w = 2;
        break;
    }
    d->acc = 0;
    d->nacc = 0;
    d->npad = 0;
    return w;
}
