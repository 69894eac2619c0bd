/* b64.h: base64 (RFC 4648, standard alphabet), whole-buffer and streaming.
 * Ownership: callers provide every output buffer; nothing here allocates. */
#ifndef GB_B64_H
#define GB_B64_H

#include <stddef.h>
#include <stdint.h>

/* Encoded length of n bytes, with padding, without NUL. */
static inline size_t b64_enc_len(size_t n) { return (n + 2) / 3 * 4; }
/* Upper bound of the decoded length of n base64 characters. */
static inline size_t b64_dec_max(size_t n) { return n / 4 * 3 + 3; }

/* Encode n bytes; out must hold b64_enc_len(n) bytes. Returns bytes written. */
size_t b64_encode(const void *in, size_t n, char *out);

/* Decode a whole buffer. Padding is optional; whitespace is not allowed.
 * Returns decoded length, or -1 on a bad character or impossible length. */
long long b64_decode(const char *in, size_t n, void *out);

/* Streaming encoder: feed any split of the input, get the same text as one
 * b64_encode call. Holds at most 3 bytes between calls. */
struct b64_enc {
    uint8_t carry[3];
    int ncarry;
};
void b64_enc_init(struct b64_enc *e);
/* Encode as much of in as fits in out (outsz bytes) in whole 4-char groups;
 * a tail of under 3 bytes is kept for the next call. *consumed says how many
 * input bytes were taken (all of them unless out filled up). Returns chars
 * written. */
size_t b64_enc_update(struct b64_enc *e, const void *in, size_t n, size_t *consumed, char *out,
                      size_t outsz);
/* Flush the last group (with padding); out needs 4 bytes. Returns chars written. */
size_t b64_enc_final(struct b64_enc *e, char *out);

/* Streaming decoder: feed text in pieces, get bytes out. */
struct b64_dec {
    uint32_t acc;
    int nacc;
    int npad;
    int bad;
};
void b64_dec_init(struct b64_dec *d);
/* Decode n chars; out needs b64_dec_max(n) bytes. Returns bytes written, -1 on error. */
long long b64_dec_update(struct b64_dec *d, const char *in, size_t n, void *out);
/* 0 if the stream ended on a valid boundary, -1 otherwise. Writes up to 2 bytes. */
long long b64_dec_final(struct b64_dec *d, void *out);

#endif
