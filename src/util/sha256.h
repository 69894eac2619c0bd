/* sha256.h: SHA-256 over OpenSSL's libcrypto (SHA-NI where the CPU has it).
 * Ownership: a struct sha256 owns its libcrypto context; sha256_free releases
 * it and accepts a zeroed or already-freed struct. */
#ifndef GB_SHA256_H
#define GB_SHA256_H

#include <stddef.h>
#include <stdint.h>

struct sha256 {
    void *ctx; /* EVP_MD_CTX */
};

int sha256_init(struct sha256 *h);
int sha256_update(struct sha256 *h, const void *p, size_t n);
int sha256_final(struct sha256 *h, uint8_t out[32]); /* also frees the context */
void sha256_free(struct sha256 *h);

/* One-shot digest of a buffer. */
int sha256_buf(const void *p, size_t n, uint8_t out[32]);
/* 64 lowercase hex chars + NUL. */
void sha256_hex(const uint8_t d[32], char out[65]);

#endif
