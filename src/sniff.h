/* sniff.h: the media type of a file from its bytes, never from its name.
 * Ownership: results point to static strings; struct sniff owns a libmagic
 * cookie, loaded lazily for what the signature table does not know. */
#ifndef GB_SNIFF_H
#define GB_SNIFF_H

#include <stddef.h>

/* Bytes worth reading from the start of a file for sniff_buf. */
#define SNIFF_HEAD 4096

struct sniff_result {
    const char *type; /* "image" | "audio" | "video" | "document", NULL if unsupported */
    const char *mime; /* "image/png", ...; for unsupported: what libmagic said, or NULL */
    int weak;         /* matched only a frame sync (a bare MP3 or ADTS frame, no container)
                       * with no second frame where the first one ends: a hint, not
                       * proof that the bytes are media */
};

struct sniff {
    void *magic; /* magic_t, NULL until needed */
    int magic_failed;
    char magic_mime[128];
};

/* One MPEG audio frame header (MP3, MP2, MP1). */
struct mpa_frame {
    int version;      /* 1, 2, or 25 (MPEG 2.5) */
    int layer;        /* 1, 2, 3 */
    int bitrate;      /* bit/s */
    int rate;         /* samples/s */
    int samples;      /* per frame */
    int channels;
    size_t len;       /* bytes, header included */
};
/* 1 when b[0..n) starts with a valid frame header (filled into f), else 0. */
int sniff_mpa_frame(const unsigned char *b, size_t n, struct mpa_frame *f);

void sniff_init(struct sniff *s);
void sniff_free(struct sniff *s);
/* The signature table alone (no libmagic): a type for media, else none. */
struct sniff_result sniff_table(const void *head, size_t n);
/* What libmagic says head is ("text/plain", "audio/mpeg"), or NULL. */
const char *sniff_magic(struct sniff *s, const void *head, size_t n);
/* Classify head (the first n bytes of a file, n <= SNIFF_HEAD). */
struct sniff_result sniff_buf(struct sniff *s, const void *head, size_t n);
/* Media Gemini reads as such: an image, audio, video or a PDF (text
 * documents are not: they run only when a pipeline's "accept" asks). */
int sniff_is_media(const struct sniff_result *r);
/* Read the head of path and classify it. 0, or GB_ENOENT/GB_EIO. */
int sniff_file(struct sniff *s, const char *path, struct sniff_result *out);

#endif
