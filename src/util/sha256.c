/* sha256.c: thin wrapper over libcrypto's EVP SHA-256, so every digest in the
 * tool (emulator acknowledgements, upload dedup, pipeline digest) is one API. */
#include "sha256.h"
#include "err.h"

#include <openssl/evp.h>

int sha256_init(struct sha256 *h)
{
    EVP_MD_CTX *c = EVP_MD_CTX_new();
    if (!c)
        return GB_ENOMEM;
    if (EVP_DigestInit_ex(c, EVP_sha256(), NULL) != 1) {
        EVP_MD_CTX_free(c);
        return GB_EINVAL;
    }
    h->ctx = c;
    return 0;
}

int sha256_update(struct sha256 *h, const void *p, size_t n)
{
    return EVP_DigestUpdate(h->ctx, p, n) == 1 ? 0 : GB_EINVAL;
}

int sha256_final(struct sha256 *h, uint8_t out[32])
{
    unsigned int len = 0;
    int ok = EVP_DigestFinal_ex(h->ctx, out, &len) == 1 && len == 32;
    sha256_free(h);
    return ok ? 0 : GB_EINVAL;
}

void sha256_free(struct sha256 *h)
{
    if (h && h->ctx) {
        EVP_MD_CTX_free(h->ctx);
        h->ctx = NULL;
    }
}

int sha256_buf(const void *p, size_t n, uint8_t out[32])
{
    unsigned int len = 0;
    return EVP_Digest(p, n, out, &len, EVP_sha256(), NULL) == 1 ? 0 : GB_EINVAL;
}

void sha256_hex(const uint8_t d[32], char out[65])
{
    static const char hx[] = "0123456789abcdef";
    for (int i = 0; i < 32; i++) {
        out[2 * i] = hx[d[i] >> 4];
        out[2 * i + 1] = hx[d[i] & 15];
    }
    out[64] = '\0';
}
