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
};

struct sniff {
    void *magic; /* magic_t, NULL until needed */
    int magic_failed;
    char magic_mime[128];
};

void sniff_init(struct sniff *s);
void sniff_free(struct sniff *s);
/* Classify head (the first n bytes of a file, n <= SNIFF_HEAD). */
struct sniff_result sniff_buf(struct sniff *s, const void *head, size_t n);
/* Read the head of path and classify it. 0, or GB_ENOENT/GB_EIO. */
int sniff_file(struct sniff *s, const char *path, struct sniff_result *out);

#endif
