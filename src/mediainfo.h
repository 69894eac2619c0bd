/* mediainfo.h: what a media file holds that its input tokens depend on: the
 * duration of audio and video, the pages of a PDF, the pixel size of an
 * image, read from headers, boxes and trailers only (a few small reads,
 * never the whole file). When the headers cannot tell (an unknown layout,
 * a damaged or hostile file), a guess from the file size, flagged.
 * Ownership: nothing is allocated past a call; results are plain values. */
#ifndef GB_MEDIAINFO_H
#define GB_MEDIAINFO_H

#include <stdint.h>

struct media_info {
    double seconds;       /* audio and video: duration, or -1 */
    long pages;           /* PDF: pages, or -1 */
    long width, height;   /* images: pixels, or 0 */
    int guessed;          /* the value came from the file size, not its headers */
    const char *how;      /* where it came from ("mvhd", "xing", "xref", "size", ...) */
};

/* Published input-token rates (reference/interactions-api.md, section 8). */
#define MI_TOKENS_PER_IMAGE_TILE 258  /* one 768x768 tile; an image with both sides
                                       * <= 384 px is one tile */
#define MI_TOKENS_PER_AUDIO_SECOND 32
#define MI_TOKENS_PER_VIDEO_SECOND 263
#define MI_TOKENS_PER_PDF_PAGE 258

/* Probe path (mime as sniffed: "video/mp4", "audio/mp3", "application/pdf",
 * "image/png"...; size its size in bytes). 0, or GB_ENOENT when the file
 * cannot be opened; then *out holds a size-based guess. */
int mi_probe(const char *path, const char *mime, uint64_t size, struct media_info *out);
/* The same on an open descriptor (not moved: pread only). */
int mi_probe_fd(int fd, const char *mime, uint64_t size, struct media_info *out);

/* Input tokens of one media part: type "image", "audio", "video" or
 * "document" (a PDF by pages; other documents, text, at ~4 bytes a token
 * of size). */
long mi_tokens(const struct media_info *mi, const char *type, const char *mime, uint64_t size);

#endif
