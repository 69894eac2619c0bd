/* emu_media.c: facts about media bytes the emulator never keeps: size,
 * SHA-256, WAV duration, PDF page count, type from magic bytes. Inline base64
 * is decoded in small stack pieces; uploads feed the same scan chunk by chunk,
 * so memory never grows with the media's size. */
#include "emu_int.h"
#include "fsx.h"
#include "mediainfo.h"
#include "b64.h"

#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int emu_scan_init(struct emu_scan *s)
{
    memset(s, 0, sizeof *s);
    s->pdf = -1;
    s->mp4 = -1;
    s->mp4_seconds = -1;
    return sha256_init(&s->h);
}

void emu_scan_free(struct emu_scan *s)
{
    if (s)
        sha256_free(&s->h);
}

static int pdf_ws(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == '\f' || c == 0;
}

static int name_char(uint8_t c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* Count "/Type /Page" (not "/Pages") with a byte-at-a-time matcher, so a
 * match split across two chunks still counts once. States 0-4: matched that
 * many chars of "/Type"; 5: after "/Type", skipping blanks; 6-9: matched 1-4
 * chars of "/Page"; 10: matched "/Page", the next char decides. */
static void pdf_feed(struct emu_scan *s, const uint8_t *p, size_t n)
{
    static const char type[] = "/Type", page[] = "/Page";
    int st = s->pst;
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (st == 10) {
            if (name_char(c)) {
                st = 0;
                continue;
            }
            s->pages++;
            st = 0;
        }
        if (st == 5) {
            if (pdf_ws(c))
                continue;
            st = c == '/' ? 6 : 0;
            continue;
        }
        if (st >= 6) {
            if (c == (uint8_t)page[st - 5])
                st++;
            else
                st = c == '/' ? 1 : 0;
            continue;
        }
        if (c == (uint8_t)type[st])
            st++;
        else
            st = c == '/' ? 1 : 0;
    }
    s->pst = st;
}

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* The movie header ("mvhd": version, flags, times, timescale, duration) of an
 * ISO BMFF file (MP4, MOV, M4A) gives its length; it may sit at either end of
 * the file, so the stream is matched byte by byte, across chunk edges. */
static void mp4_feed(struct emu_scan *s, const uint8_t *p, size_t n)
{
    static const char tag[] = "mvhd";
    for (size_t i = 0; i < n && s->mp4_seconds < 0; i++) {
        if (s->mvst == 4) {
            s->mv[s->nmv++] = p[i];
            int v1 = s->mv[0] == 1;
            size_t need = v1 ? 32 : 20;
            if (s->nmv < need)
                continue;
            uint32_t scale = be32(s->mv + (v1 ? 20 : 12));
            uint64_t dur = v1 ? (uint64_t)be32(s->mv + 24) << 32 | be32(s->mv + 28)
                              : be32(s->mv + 16);
            if (scale)
                s->mp4_seconds = (double)dur / scale;
            s->mvst = 0;
            s->nmv = 0;
            continue;
        }
        if (p[i] == (uint8_t)tag[s->mvst])
            s->mvst++;
        else
            s->mvst = p[i] == 'm';
    }
}

int emu_scan_update(struct emu_scan *s, const void *p, size_t n)
{
    const uint8_t *b = p;
    if (!n)
        return 0;
    if (s->nhead < sizeof s->head) {
        size_t k = sizeof s->head - s->nhead;
        if (k > n)
            k = n;
        memcpy(s->head + s->nhead, b, k);
        s->nhead += k;
    }
    if (s->pdf < 0 && s->nhead >= 5)
        s->pdf = memcmp(s->head, "%PDF-", 5) == 0;
    if (s->pdf != 0)
        pdf_feed(s, b, n);
    if (s->mp4 < 0 && s->nhead >= 8)
        s->mp4 = memcmp(s->head + 4, "ftyp", 4) == 0;
    if (s->mp4 == 1)
        mp4_feed(s, b, n);
    s->bytes += n;
    return sha256_update(&s->h, b, n);
}

static uint32_t le32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* Duration of a RIFF/WAVE from its fmt byte rate and data size; -1 if the
 * head is not a WAV. A data chunk past the head: estimate from the total. */
static double wav_seconds(const uint8_t *h, size_t n, uint64_t total)
{
    if (n < 12 || memcmp(h, "RIFF", 4) || memcmp(h + 8, "WAVE", 4))
        return -1;
    uint32_t byte_rate = 0;
    size_t off = 12;
    while (off + 8 <= n) {
        uint32_t sz = le32(h + off + 4);
        if (!memcmp(h + off, "fmt ", 4) && off + 8 + 12 <= n)
            byte_rate = le32(h + off + 8 + 8);
        if (!memcmp(h + off, "data", 4)) {
            if (!byte_rate)
                return -1;
            uint64_t avail = total > off + 8 ? total - (off + 8) : 0;
            uint64_t data = sz < avail ? sz : avail;
            return (double)data / byte_rate;
        }
        off += 8 + (size_t)sz + (sz & 1);
    }
    if (!byte_rate)
        return -1;
    return total > 44 ? (double)(total - 44) / byte_rate : 0;
}

/* An audio duration read from the first bytes the way the driver reads it
 * from a file (mediainfo.c): the head goes into an anonymous file of the
 * media's size, the rest of it a hole, so an MP3's frame header or Xing
 * table, or a FLAC STREAMINFO, is found where the driver finds it. -1 when
 * the head does not say. */
static double head_seconds(const struct emu_scan *s, const char *mime)
{
    int fd = memfd_create("emu-head", MFD_CLOEXEC);
    if (fd < 0)
        return -1;
    struct media_info mi;
    double sec = -1;
    if (fsx_write_all(fd, s->head, s->nhead) == 0 && ftruncate(fd, (off_t)s->bytes) == 0 &&
        mi_probe_fd(fd, mime, s->bytes, &mi) == 0 && !mi.guessed)
        sec = mi.seconds;
    close(fd);
    return sec;
}

int emu_scan_final(struct emu_scan *s, struct emu_facts *out)
{
    if (s->pst == 10)
        s->pages++;
    s->pst = 0;
    memset(out, 0, sizeof *out);
    out->bytes = s->bytes;
    out->pages = s->pdf == 1 ? s->pages : 0;
    out->seconds = wav_seconds(s->head, s->nhead, s->bytes);
    if (out->seconds < 0)
        out->seconds = s->mp4_seconds;
    const char *m = emu_sniff(s->head, s->nhead);
    if (out->seconds < 0 && m && !strncmp(m, "audio/", 6))
        out->seconds = head_seconds(s, m);
    if (m)
        snprintf(out->sniffed, sizeof out->sniffed, "%s", m);
    return sha256_final(&s->h, out->sha256);
}

int emu_b64_facts(const char *b64, size_t n, struct emu_facts *out)
{
    struct emu_scan s;
    struct b64_dec d;
    char txt[4096];
    uint8_t bin[3072 + 8];
    int rc = -1;
    if (emu_scan_init(&s))
        return -1;
    b64_dec_init(&d);
    for (size_t off = 0; off < n;) {
        size_t k = n - off < sizeof txt ? n - off : sizeof txt;
        /* proto3 JSON accepts the URL-safe alphabet for bytes fields too */
        for (size_t i = 0; i < k; i++) {
            char c = b64[off + i];
            txt[i] = c == '-' ? '+' : c == '_' ? '/' : c;
        }
        long long w = b64_dec_update(&d, txt, k, bin);
        if (w < 0 || emu_scan_update(&s, bin, (size_t)w))
            goto fail;
        off += k;
    }
    long long w = b64_dec_final(&d, bin);
    if (w < 0 || emu_scan_update(&s, bin, (size_t)w))
        goto fail;
    return emu_scan_final(&s, out) ? -1 : 0;
fail:
    emu_scan_free(&s);
    return rc;
}

const char *emu_sniff(const uint8_t *p, size_t n)
{
    if (n >= 8 && !memcmp(p, "\x89PNG\r\n\x1a\n", 8))
        return "image/png";
    if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff)
        return "image/jpeg";
    if (n >= 6 && (!memcmp(p, "GIF87a", 6) || !memcmp(p, "GIF89a", 6)))
        return "image/gif";
    if (n >= 12 && !memcmp(p, "RIFF", 4)) {
        if (!memcmp(p + 8, "WEBP", 4))
            return "image/webp";
        if (!memcmp(p + 8, "WAVE", 4))
            return "audio/wav";
        if (!memcmp(p + 8, "AVI ", 4))
            return "video/avi";
    }
    if (n >= 5 && !memcmp(p, "%PDF-", 5))
        return "application/pdf";
    if (n >= 12 && !memcmp(p + 4, "ftyp", 4)) {
        if (!memcmp(p + 8, "qt  ", 4))
            return "video/mov";
        if (!memcmp(p + 8, "M4A ", 4))
            return "audio/aac";
        if (!memcmp(p + 8, "heic", 4) || !memcmp(p + 8, "heix", 4))
            return "image/heic";
        if (!memcmp(p + 8, "mif1", 4))
            return "image/heif";
        if (!memcmp(p + 8, "3gp", 3))
            return "video/3gpp";
        return "video/mp4";
    }
    if (n >= 4 && !memcmp(p, "\x1a\x45\xdf\xa3", 4))
        return "video/webm";
    if (n >= 4 && !memcmp(p, "fLaC", 4))
        return "audio/flac";
    if (n >= 4 && !memcmp(p, "OggS", 4))
        return "audio/ogg";
    if (n >= 4 && !memcmp(p, "FORM", 4))
        return "audio/aiff";
    if (n >= 3 && !memcmp(p, "ID3", 3))
        return "audio/mp3";
    if (n >= 2 && p[0] == 0xff && (p[1] & 0xe0) == 0xe0)
        return "audio/mp3";
    if (n >= 4 && (!memcmp(p, "II*\0", 4) || !memcmp(p, "MM\0*", 4)))
        return "image/tiff";
    if (n >= 2 && p[0] == 'B' && p[1] == 'M')
        return "image/bmp";
    return NULL;
}
