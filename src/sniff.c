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
    struct sniff_result r = {.type = NULL};
    static const char *const heic[] = {"heic", "heix", "hevc", "hevx", "heim", "heis", "hevm",
                                       "hevs", NULL};
    char major[5] = {0};
    memcpy(major, b + 8, 4);
    for (int i = 0; heic[i]; i++)
        if (!strcmp(major, heic[i]))
            return (struct sniff_result){.type = "image", .mime = "image/heic"};
    if (!strcmp(major, "mif1") || !strcmp(major, "msf1"))
        return (struct sniff_result){.type = "image", .mime = "image/heif"};
    if (!strcmp(major, "avif"))
        return (struct sniff_result){.type = "image", .mime = "image/avif"};
    if (!strcmp(major, "qt  "))
        return (struct sniff_result){.type = "video", .mime = "video/mov"};
    if (!strncmp(major, "3gp", 3) || !strncmp(major, "3g2", 3))
        return (struct sniff_result){.type = "video", .mime = "video/3gpp"};
    if (!strcmp(major, "M4A ") || !strcmp(major, "M4B "))
        return (struct sniff_result){.type = "audio", .mime = "audio/aac"};
    (void)n;
    r.type = "video";
    r.mime = "video/mp4";
    return r;
}

int sniff_mpa_frame(const unsigned char *b, size_t n, struct mpa_frame *f)
{
    static const short kbps[2][3][15] = {
        {{0, 32, 64, 96, 128, 160, 192, 224, 256, 288, 320, 352, 384, 416, 448},
         {0, 32, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320, 384},
         {0, 32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320}},
        {{0, 32, 48, 56, 64, 80, 96, 112, 128, 144, 160, 176, 192, 224, 256},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160},
         {0, 8, 16, 24, 32, 40, 48, 56, 64, 80, 96, 112, 128, 144, 160}}};
    static const int rates[3] = {44100, 48000, 32000};
    if (n < 4 || b[0] != 0xFF || (b[1] & 0xE0) != 0xE0)
        return 0;
    int ver = (b[1] >> 3) & 3, layer = (b[1] >> 1) & 3;
    int bri = b[2] >> 4, sri = (b[2] >> 2) & 3, pad = (b[2] >> 1) & 1;
    if (ver == 1 || layer == 0 || bri == 0 || bri == 15 || sri == 3)
        return 0;
    f->version = ver == 3 ? 1 : ver == 2 ? 2 : 25;
    f->layer = 4 - layer; /* 3 -> I, 2 -> II, 1 -> III */
    f->bitrate = kbps[f->version != 1][f->layer - 1][bri] * 1000;
    f->rate = rates[sri] / (f->version == 1 ? 1 : f->version == 2 ? 2 : 4);
    f->samples = f->layer == 1 ? 384 : f->layer == 2 || f->version == 1 ? 1152 : 576;
    if (f->layer == 1)
        f->len = (size_t)((12L * f->bitrate / f->rate + pad) * 4);
    else
        f->len = (size_t)((long)f->samples / 8 * f->bitrate / f->rate + pad);
    f->channels = (b[3] >> 6) == 3 ? 1 : 2;
    return f->len >= 4;
}

/* Bare frames (no container) are a two-byte sync a text can start with: they
 * count as proof only when the next frame's header sits where the first one
 * says it ends. */
static int mpeg_audio_frames(const unsigned char *b, size_t n, int *confirmed)
{
    struct mpa_frame f, g;
    if (!sniff_mpa_frame(b, n, &f))
        return 0;
    *confirmed = f.len < n && sniff_mpa_frame(b + f.len, n - f.len, &g) &&
                 g.version == f.version && g.layer == f.layer && g.rate == f.rate;
    return 1;
}

static int adts_frames(const unsigned char *b, size_t n, int *confirmed)
{
    if (n < 7 || b[0] != 0xFF || (b[1] & 0xF6) != 0xF0)
        return 0;
    size_t len = (size_t)((b[3] & 3) << 11 | b[4] << 3 | b[5] >> 5);
    *confirmed = len >= 7 && len + 1 < n && b[len] == 0xFF && (b[len + 1] & 0xF6) == 0xF0;
    return 1;
}

static struct sniff_result table(const unsigned char *b, size_t n)
{
    static const struct sniff_result none = {.type = NULL};
    if (has(b, n, 0, "\x89PNG\r\n\x1a\n", 8))
        return (struct sniff_result){.type = "image", .mime = "image/png"};
    if (has(b, n, 0, "\xff\xd8\xff", 3))
        return (struct sniff_result){.type = "image", .mime = "image/jpeg"};
    if (has(b, n, 0, "GIF87a", 6) || has(b, n, 0, "GIF89a", 6))
        return (struct sniff_result){.type = "image", .mime = "image/gif"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "WEBP", 4))
        return (struct sniff_result){.type = "image", .mime = "image/webp"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "WAVE", 4))
        return (struct sniff_result){.type = "audio", .mime = "audio/wav"};
    if (has(b, n, 0, "RIFF", 4) && has(b, n, 8, "AVI ", 4))
        return (struct sniff_result){.type = "video", .mime = "video/avi"};
    if (has(b, n, 0, "FORM", 4) && (has(b, n, 8, "AIFF", 4) || has(b, n, 8, "AIFC", 4)))
        return (struct sniff_result){.type = "audio", .mime = "audio/aiff"};
    if (has(b, n, 0, "%PDF-", 5))
        return (struct sniff_result){.type = "document", .mime = "application/pdf"};
    if (has(b, n, 4, "ftyp", 4) && n >= 12)
        return iso_bmff(b, n);
    if (has(b, n, 0, "\x1a\x45\xdf\xa3", 4))
        return memfind(b, n < 64 ? n : 64, "webm")
                   ? (struct sniff_result){.type = "video", .mime = "video/webm"}
                   : (struct sniff_result){.type = "video", .mime = "video/x-matroska"};
    if (has(b, n, 0, "fLaC", 4))
        return (struct sniff_result){.type = "audio", .mime = "audio/flac"};
    if (has(b, n, 0, "OggS", 4))
        return memfind(b, n, "theora") ? (struct sniff_result){.type = "video", .mime = "video/ogg"}
                                       : (struct sniff_result){.type = "audio", .mime = "audio/ogg"};
    if (has(b, n, 0, "ID3", 3))
        return (struct sniff_result){.type = "audio", .mime = "audio/mp3"};
    if (has(b, n, 0, "FLV\x01", 4))
        return (struct sniff_result){.type = "video", .mime = "video/x-flv"};
    if (has(b, n, 0, "\x00\x00\x01\xba", 4) || has(b, n, 0, "\x00\x00\x01\xb3", 4))
        return (struct sniff_result){.type = "video", .mime = "video/mpeg"};
    if (has(b, n, 0, "BM", 2) && n >= 26 && b[14] >= 12 && b[15] == 0)
        return (struct sniff_result){.type = "image", .mime = "image/bmp"};
    if (has(b, n, 0, "II*\0", 4) || has(b, n, 0, "MM\0*", 4))
        return (struct sniff_result){.type = "image", .mime = "image/tiff"};
    /* ADTS AAC: sync 0xFFF, layer 00 */
    int sure = 0;
    if (n >= 2 && b[0] == 0xFF && (b[1] & 0xF6) == 0xF0) {
        adts_frames(b, n, &sure);
        return (struct sniff_result){.type = "audio", .mime = "audio/aac", .weak = !sure};
    }
    if (mpeg_audio_frames(b, n, &sure))
        return (struct sniff_result){.type = "audio", .mime = "audio/mp3", .weak = !sure};
    return none;
}

/* Text-like types Gemini reads as documents. */
static const char *const doc_mimes[] = {"text/plain", "text/csv", "text/html", "text/xml",
                                        "application/json", "text/markdown", "text/x-python",
                                        "application/rtf", "text/rtf", NULL};

struct sniff_result sniff_table(const void *head, size_t n)
{
    return table(head, n);
}

const char *sniff_magic(struct sniff *s, const void *head, size_t n)
{
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
        return NULL;
    const char *mt = magic_buffer((magic_t)s->magic, head, n);
    if (!mt)
        return NULL;
    snprintf(s->magic_mime, sizeof s->magic_mime, "%s", mt);
    return s->magic_mime;
}

struct sniff_result sniff_buf(struct sniff *s, const void *head, size_t n)
{
    struct sniff_result r = table(head, n);
    if (r.type)
        return r;
    const char *mt = sniff_magic(s, head, n);
    if (!mt)
        return r;
    for (int i = 0; doc_mimes[i]; i++)
        if (!strcmp(mt, doc_mimes[i]))
            return (struct sniff_result){.type = "document", .mime = doc_mimes[i]};
    r.mime = mt;
    return r;
}

int sniff_is_media(const struct sniff_result *r)
{
    if (!r->type)
        return 0;
    if (!strcmp(r->type, "image") || !strcmp(r->type, "audio") || !strcmp(r->type, "video"))
        return 1;
    return r->mime && !strcmp(r->mime, "application/pdf");
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
