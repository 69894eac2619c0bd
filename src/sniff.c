/* sniff.c: media type from content. A signature table covers what Gemini
 * takes (images, audio, video, PDF) so the answer is fast and the same on
 * every machine; libmagic is asked only about the rest (plain text, CSV,
 * HTML...), which Gemini accepts as documents. */
#include "sniff.h"
#include "err.h"

#include <fcntl.h>
#include <magic.h>
#include <string.h>
#include <unistd.h>

#include "fsx.h"

void sniff_init(struct sniff *s)
{
    memset(s, 0, sizeof *s);
}

void sniff_free(struct sniff *s)
{
    if (s && s->magic)
        magic_close((magic_t)s->magic);
    if (s)
        s->magic = NULL;
}

static int has(const unsigned char *b, size_t n, size_t off, const char *sig, size_t len)
{
    return n >= off + len && memcmp(b + off, sig, len) == 0;
}

static int memfind(const unsigned char *b, size_t n, const char *needle)
{
    size_t k = strlen(needle);
    return n >= k && memmem(b, n, needle, k) != NULL;
}

/* ISO BMFF: the "ftyp" box's major and compatible brands decide. */
static struct sniff_result iso_bmff(const unsigned char *b, size_t n)
{
    struct sniff_result r = {NULL, NULL};
    static const char *const heic[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm",
                                       "hevs", NULL};
    char major[5] = {0};
    memcpy(major, b + 8, 4);
    for (int i = 0; heic[i]; i++)
        if (!strcmp(major, heic[i]))
            return (struct sniff_result){"image", "image/heic"};
    if (!strcmp(major, "mif1") || !strcmp(major, "msf1"))
        return (struct sniff_result){"image", "image/heif"};
    if (!strcmp(major, "avif"))
        return (struct sniff_result){"image", "image/avif"};
    if (!strcmp(major, "qt  "))
        return (struct sniff_result){"video", "video/mov"};
    if (!strncmp(major, "3gp", 3) || !strncmp(major, "3g2", 3))
        return (struct sniff_result){"video", "video/3gpp"};
    if (!strcmp(major, "M4A ") || !strcmp(major, "M4B "))
        return (struct sniff_result){"audio", "audio/aac"};
    (void)n;
    r.type = "video";
    r.mime = "video/mp4";
    return r;
}

/* MPEG audio frame header: sync, layer III/II/I, sane bitrate/sample rate. */
static int mpeg_audio_frame(const unsigned char *b, size_t n)
{
    if (n < 4 || b[0] != 0xFF || (b[1] & 0xE0) != 0xE0)
        return 0;
    int version = (b[1] >> 3) & 3, layer = (b[1] >> 1) & 3;
    int bitrate = b[2] >> 4, rate = (b[2] >> 2) & 3;
    return version != 1 && layer != 0 && bitrate != 0 && bitrate != 15 && rate != 3;
}

static struct sniff_result table(const unsigned char *b, size_t n)
{
    static const struct sniff_result none = {NULL, NULL};
    if (has(b, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return (struct sniff_result){"image", "image/png"};
    if (has(b, n, 0, "\xff\xd8\xff", 3))
        return (struct sniff_result){"image", "image/jpeg"};
    if (has(b, n, 0, "GIF87a", 6) || has(b, n, 0, "GIF89a", 6))
        return (struct sniff_result){"image", "image/gif"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "WEBP", 4))
        return (struct sniff_result){"image", "image/webp"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "WAVE", 4))
        return (struct sniff_result){"audio", "audio/wav"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "AVI ", 4))
        return (struct sniff_result){"video", "video/avi"};
    if (has(b, n, 0, "FORM", 4) && (has(b, n, 8, "AIFF", 4) || has(b, n, 8, "AIFC", 4)))
        return (struct sniff_result){"audio", "audio/aiff"};
    if (has(b, n, 0, "%PDF-", 5))
        return (struct sniff_result){"document", "application/pdf"};
    if (has(b, n, 4, "ftyp", 4) && n >= 12)
        return iso_bmff(b, n);
    if (has(b, n, 0, "\x1a\x45\xdf\xa3", 4))
        return memfind(b, n < 64 ? n : 64, "webm")
                   ? (struct sniff_result){"video", "video/webm"}
                   : (struct sniff_result){"video", "video/x-matroska"};
    if (has(b, n, 0, "fLaC", 4))
        return (struct sniff_result){"audio", "audio/flac"};
    if (has(b, n, 0, "OggS", 4))
        return memfind(b, n, "theora") ? (struct sniff_result){"video", "video/ogg"}
                                       : (struct sniff_result){"audio", "audio/ogg"};
    if (has(b, n, 0, "ID3", 3))
        return (struct sniff_result){"audio", "audio/mp3"};
    if (has(b, n, 0, "FLV\x01", 4))
        return (struct sniff_result){"video", "video/x-flv"};
    if (has(b, n, 0, "\x00\x00\x01\xba", 4) || has(b, n, 0, "\x00\x00\x01\xb3", 4))
        return (struct sniff_result){"video", "video/mpeg"};
    if (has(b, n, 0, "BM", 2) && n >= 26 && b[14] >= 12 && b[15] == 0)
        return (struct sniff_result){"image", "image/bmp"};
    if (has(b, n, 0, "II*\0", 4) || has(b, n, 0, "MM\0*", 4))
        return (struct sniff_result){"image", "image/tiff"};
    /* ADTS AAC: sync 0xFFF, layer 00 */
    if (n >= 2 && b[0] == 0xFF && (b[1] & 0xF6) == 0xF0)
        return (struct sniff_result){"audio", "audio/aac"};
    if (mpeg_audio_frame(b, n))
        return (struct sniff_result){"audio", "audio/mp3"};
    return none;
}

/* Text-like types Gemini reads as documents. */
static const char *const doc_mimes[] = {"text/plain", "text/csv", "text/html", "text/xml",
                                        "application/json", "text/markdown", "text/x-python",
                                        "application/rtf", "text/rtf", NULL};

struct sniff_result sniff_buf(struct sniff *s, const void *head, size_t n)
{
    struct sniff_result r = table(head, n);
    if (r.type)
        return r;
    if (!s->magic && !s->magic_failed) {
        magic_t m = magic_open(MAGIC_MIME_TYPE | MAGIC_ERROR);
        if (m && magic_load(m, NULL) == 0) {
            s->magic = m;
        } else {
            if (m)
                magic_close(m);
            s->magic_failed = 1;
        }
    }
    if (!s->magic || n == 0)
        return r;
    const char *mt = magic_buffer((magic_t)s->magic, head, n);
    if (!mt)
        return r;
    snprintf(s->magic_mime, sizeof s->magic_mime, "%s", mt);
    for (int i = 0; doc_mimes[i]; i++)
        if (!strcmp(mt, doc_mimes[i]))
            return (struct sniff_result){"document", doc_mimes[i]};
    r.mime = s->magic_mime;
    return r;
}

int sniff_file(struct sniff *s, const char *path, struct sniff_result *out)
{
    unsigned char head[SNIFF_HEAD];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return GB_ENOENT;
    ssize_t n = fsx_pread_full(fd, head, sizeof head, 0);
    close(fd);
    if (n < 0)
        return GB_EIO;
    *out = sniff_buf(s, head, (size_t)n);
    return 0;
}
