/* fuzz_mediainfo.c: durations, pages and pixel sizes read from hostile media
 * headers (mediainfo.c). The first input byte picks the mime type the bytes
 * are probed as, the rest is the file. Properties: the answer is finite and
 * bounded (no NaN, at most a week, a million pages or pixels), a fallback is
 * flagged as a guess, and the token count is never negative. */
#include <math.h>
#include <stdint.h>
#include <sys/mman.h>

#include "fuzz_util.h"
#include "mediainfo.h"

static const char *const mimes[] = {
    "audio/wav", "audio/aiff", "audio/mp3", "audio/flac", "audio/ogg", "audio/aac",
    "video/mp4", "video/mov", "video/webm", "video/x-matroska", "video/avi",
    "application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "image/bmp"};
#define NMIMES (sizeof mimes / sizeof mimes[0])

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    const char *mime = mimes[data[0] % NMIMES];
    static int fd = -1;
    if (fd < 0)
        fd = memfd_create("fuzz-media", MFD_CLOEXEC);
    FZ_CHECK(fd >= 0, "memfd_create");
    if (ftruncate(fd, 0) || (size > 1 && pwrite(fd, data + 1, size - 1, 0) != (ssize_t)(size - 1)))
        abort();
    struct media_info mi;
    FZ_CHECK(mi_probe_fd(fd, mime, size - 1, &mi) == 0, "probe failed");
    FZ_CHECK(!isnan(mi.seconds) && mi.seconds <= 7 * 86400.0, "%g s", mi.seconds);
    FZ_CHECK(mi.pages <= 1000000, "%ld pages", mi.pages);
    FZ_CHECK(mi.width >= 0 && mi.width <= 1000000 && mi.height >= 0 && mi.height <= 1000000,
             "%ldx%ld", mi.width, mi.height);
    FZ_CHECK(mi.how != NULL, "no source named");
    const char *type = mime[0] == 'a' && mime[1] == 'u' ? "audio"
                       : mime[0] == 'v'                 ? "video"
                       : mime[0] == 'i'                 ? "image"
                                                        : "document";
    FZ_CHECK(mi_tokens(&mi, type, mime, size - 1) >= 0, "negative tokens");
    return 0;
}
