/* mediainfo.c: durations, pages and pixel sizes from file headers, for token
 * estimates. Each reader walks the format's own structure with bounded
 * preads (boxes, chunks, EBML elements, a PDF's xref), checks every length
 * against the file, and gives up (-1, 0) rather than guess inside a format;
 * mi_probe_fd then falls back to the file size, flagged. Reads at most a
 * few hundred KiB of any file, whatever its size. Images, audio and video
 * are read here; PDFs in mediainfo_pdf.c. */
#include "mediainfo.h"
#include "err.h"
#include "mediainfo_int.h"
#include "sniff.h"

#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

enum {
    OGG_TAIL = 65536,           /* where an Ogg stream's last page is looked for */
};

/* Size-based guesses when the headers cannot tell (bytes per second of a
 * typical encoding, bytes per PDF page). */
#define AUDIO_BYTES_PER_S 16000.0   /* 128 kbit/s */
#define VIDEO_BYTES_PER_S 250000.0  /* 2 Mbit/s */
#define PDF_BYTES_PER_PAGE 100000.0

static uint32_t be16(const unsigned char *p) { return (uint32_t)p[0] << 8 | p[1]; }
static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static uint64_t be64(const unsigned char *p) { return (uint64_t)be32(p) << 32 | be32(p + 4); }
static uint32_t le16(const unsigned char *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }
static uint32_t le32(const unsigned char *p) { return le16(p) | le16(p + 2) << 16; }
static uint64_t le64(const unsigned char *p) { return le32(p) | (uint64_t)le32(p + 4) << 32; }

/* ---- images --------------------------------------------------------------------- */

static int png_size(const struct rd *r, long *w, long *h)
{
    unsigned char b[24];
    if (at(r, 0, b, sizeof b) || memcmp(b + 12, "IHDR", 4))
        return -1;
    *w = (long)be32(b + 16);
    *h = (long)be32(b + 20);
    return 0;
}

/* The first SOFn segment's frame size; segments are walked by their lengths. */
static int jpeg_size(const struct rd *r, long *w, long *h)
{
    uint64_t off = 2;
    for (int i = 0; i < MAX_BOXES; i++) {
        unsigned char b[9];
        if (at(r, off, b, 2) || b[0] != 0xFF)
            return -1;
        unsigned m = b[1];
        if (m == 0xFF) { /* fill byte */
            off++;
            continue;
        }
        if (m == 0xD8 || m == 0x01 || (m >= 0xD0 && m <= 0xD7)) { /* no length */
            off += 2;
            continue;
        }
        if (m == 0xD9 || m == 0xDA) /* end, or scan data before any frame header */
            return -1;
        if (at(r, off + 2, b, 7))
            return -1;
        uint32_t len = be16(b);
        if (len < 2)
            return -1;
        if (m >= 0xC0 && m <= 0xCF && m != 0xC4 && m != 0xC8 && m != 0xCC) {
            *h = (long)be16(b + 3);
            *w = (long)be16(b + 5);
            return *w > 0 && *h > 0 ? 0 : -1;
        }
        off += 2 + len;
    }
    return -1;
}

static int gif_size(const struct rd *r, long *w, long *h)
{
    unsigned char b[10];
    if (at(r, 0, b, sizeof b))
        return -1;
    *w = (long)le16(b + 6);
    *h = (long)le16(b + 8);
    return 0;
}

static int webp_size(const struct rd *r, long *w, long *h)
{
    unsigned char b[30];
    if (at(r, 0, b, sizeof b) || memcmp(b, "RIFF", 4) || memcmp(b + 8, "WEBP", 4))
        return -1;
    if (!memcmp(b + 12, "VP8 ", 4)) { /* lossy: the key frame's header */
        if (memcmp(b + 23, "\x9d\x01\x2a", 3))
            return -1;
        *w = (long)(le16(b + 26) & 0x3fff);
        *h = (long)(le16(b + 28) & 0x3fff);
        return 0;
    }
    if (!memcmp(b + 12, "VP8L", 4)) { /* lossless: 14-bit sizes after 0x2f */
        if (b[20] != 0x2f)
            return -1;
        uint32_t v = le32(b + 21);
        *w = (long)(v & 0x3fff) + 1;
        *h = (long)((v >> 14) & 0x3fff) + 1;
        return 0;
    }
    if (!memcmp(b + 12, "VP8X", 4)) { /* extended: the canvas, 24 bits each */
        *w = (long)(b[24] | b[25] << 8 | b[26] << 16) + 1;
        *h = (long)(b[27] | b[28] << 8 | b[29] << 16) + 1;
        return 0;
    }
    return -1;
}

static int bmp_size(const struct rd *r, long *w, long *h)
{
    unsigned char b[26];
    if (at(r, 0, b, sizeof b) || memcmp(b, "BM", 2))
        return -1;
    *w = labs((long)(int32_t)le32(b + 18));
    *h = labs((long)(int32_t)le32(b + 22)); /* negative: stored top-down */
    return 0;
}

/* ---- audio ---------------------------------------------------------------------- */

/* RIFF/WAVE (and RF64): the data chunk's size over the format's byte rate. */
static double wav_seconds(const struct rd *r)
{
    unsigned char b[36];
    if (at(r, 0, b, 12) || memcmp(b + 8, "WAVE", 4))
        return -1;
    int rf64 = !memcmp(b, "RF64", 4);
    if (!rf64 && memcmp(b, "RIFF", 4))
        return -1;
    uint64_t off = 12, data = 0, ds64 = 0;
    uint32_t byte_rate = 0;
    int have_data = 0;
    for (int i = 0; i < MAX_BOXES && !have_data; i++) {
        if (at(r, off, b, 8))
            break;
        uint64_t len = le32(b + 4);
        if (!memcmp(b, "fmt ", 4) && !at(r, off + 8, b + 8, 12))
            byte_rate = le32(b + 16);
        else if (!memcmp(b, "ds64", 4) && !at(r, off + 8, b + 8, 24))
            ds64 = le64(b + 16); /* RF64: the data chunk's true size */
        else if (!memcmp(b, "data", 4)) {
            data = rf64 && len == 0xFFFFFFFFu ? ds64 : len;
            uint64_t room = r->size - (off + 8 < r->size ? off + 8 : r->size);
            if (data > room) /* streamed WAVs write 0xFFFFFFFF; cut ones end early */
                data = room;
            have_data = 1;
        }
        off += 8 + len + (len & 1);
    }
    return have_data && byte_rate ? (double)data / byte_rate : -1;
}

/* An 80-bit IEEE 754 extended number (AIFF's sample rate). */
static double ext80(const unsigned char *p)
{
    int e = (int)((p[0] & 0x7f) << 8 | p[1]);
    uint64_t m = be64(p + 2);
    if (!e && !m)
        return 0;
    double v = ldexp((double)m, e - 16383 - 63);
    return p[0] & 0x80 ? -v : v;
}

static double aiff_seconds(const struct rd *r)
{
    unsigned char b[26];
    if (at(r, 0, b, 12) || memcmp(b, "FORM", 4) ||
        (memcmp(b + 8, "AIFF", 4) && memcmp(b + 8, "AIFC", 4)))
        return -1;
    uint64_t off = 12;
    for (int i = 0; i < MAX_BOXES; i++) {
        if (at(r, off, b, 8))
            return -1;
        uint64_t len = be32(b + 4);
        if (!memcmp(b, "COMM", 4)) {
            if (at(r, off + 8, b + 8, 18))
                return -1;
            uint32_t frames = be32(b + 10);
            double rate = ext80(b + 16);
            return rate > 0 && rate < 1e7 ? frames / rate : -1;
        }
        off += 8 + len + (len & 1);
    }
    return -1;
}

/* The ID3v2 tag's length (header, body, footer), or 0. */
static uint64_t id3v2_len(const unsigned char *b)
{
    if (memcmp(b, "ID3", 3) || (b[6] | b[7] | b[8] | b[9]) & 0x80)
        return 0;
    uint64_t n = (uint64_t)b[6] << 21 | b[7] << 14 | b[8] << 7 | b[9];
    return 10 + n + (b[5] & 0x10 ? 10 : 0);
}

/* MP3 (and MP2, MP1): a Xing/Info or VBRI header's frame count when the
 * encoder wrote one (every VBR file), else the bitrate of the first frame
 * over the audio bytes (CBR). */
static double mp3_seconds(const struct rd *r, const char **how)
{
    unsigned char b[4096];
    uint64_t off = 0;
    for (int tags = 0; tags < 4; tags++) { /* ID3 tags, one after another at times */
        if (at(r, off, b, 10))
            return -1;
        uint64_t n = id3v2_len(b);
        if (!n)
            break;
        off += n;
    }
    size_t got = r->size - off < sizeof b ? (size_t)(r->size - off) : sizeof b;
    if (got < 4 || at(r, off, b, got))
        return -1;
    /* the first frame header followed by a second one where it ends */
    struct mpa_frame f, g;
    size_t i = 0;
    for (; i + 4 <= got; i++)
        if (sniff_mpa_frame(b + i, got - i, &f) &&
            (i + f.len + 4 > got || sniff_mpa_frame(b + i + f.len, got - i - f.len, &g)))
            break;
    if (i + 4 > got)
        return -1;
    off += i;
    const unsigned char *fr = b + i;
    size_t left = got - i;
    size_t side = f.version == 1 ? (f.channels == 1 ? 17 : 32) : (f.channels == 1 ? 9 : 17);
    if (left >= 4 + side + 12 && (!memcmp(fr + 4 + side, "Xing", 4) ||
                                  !memcmp(fr + 4 + side, "Info", 4))) {
        const unsigned char *x = fr + 4 + side;
        if (be32(x + 4) & 1) {
            *how = "xing";
            return (double)be32(x + 8) * f.samples / f.rate;
        }
    }
    if (left >= 4 + 32 + 18 && !memcmp(fr + 36, "VBRI", 4)) {
        *how = "vbri";
        return (double)be32(fr + 36 + 14) * f.samples / f.rate;
    }
    uint64_t audio = r->size - off;
    unsigned char tag[3];
    if (r->size >= 128 && !at(r, r->size - 128, tag, 3) && !memcmp(tag, "TAG", 3) &&
        audio >= 128)
        audio -= 128; /* ID3v1 */
    *how = "cbr";
    return (double)audio * 8 / f.bitrate;
}

/* FLAC's STREAMINFO, at p (34 bytes): total samples over the sample rate. */
static double streaminfo_seconds(const unsigned char *p)
{
    uint32_t rate = (uint32_t)p[10] << 12 | (uint32_t)p[11] << 4 | p[12] >> 4;
    uint64_t total = (uint64_t)(p[13] & 0x0f) << 32 | be32(p + 14);
    return rate && total ? (double)total / rate : -1;
}

static double flac_seconds(const struct rd *r)
{
    unsigned char b[42];
    if (at(r, 0, b, sizeof b) || memcmp(b, "fLaC", 4) || (b[4] & 0x7f) != 0)
        return -1;
    return streaminfo_seconds(b + 8);
}

/* Ogg: the last page's granule position of the first stream over its
 * rate (Vorbis, Opus, FLAC in Ogg); the last page is found in the tail. */
static double ogg_seconds(const struct rd *r)
{
    unsigned char b[27 + 255 + 64];
    if (at(r, 0, b, 27) || memcmp(b, "OggS", 4) || b[4] != 0)
        return -1;
    uint32_t serial = le32(b + 14);
    size_t nseg = b[26];
    if (at(r, 27, b + 27, nseg))
        return -1;
    size_t pkt = 27 + nseg;
    unsigned char *p = b + pkt;
    if (at(r, pkt, p, 48) && at(r, pkt, p, 19))
        return -1;
    double rate;
    uint64_t skip = 0;
    if (!memcmp(p, "\x01vorbis", 7))
        rate = le32(p + 12);
    else if (!memcmp(p, "OpusHead", 8))
        rate = 48000, skip = le16(p + 10); /* granules count 48 kHz samples */
    else if (!memcmp(p, "\x7f" "FLAC", 5) && !memcmp(p + 9, "fLaC", 4) &&
             !at(r, pkt, p, 13 + 4 + 34))
        rate = (uint32_t)p[27] << 12 | (uint32_t)p[28] << 4 | p[29] >> 4;
    else
        return -1;
    if (rate <= 0)
        return -1;
    size_t tail = r->size < OGG_TAIL ? (size_t)r->size : OGG_TAIL;
    unsigned char *t = malloc(tail);
    if (!t || at(r, r->size - tail, t, tail)) {
        free(t);
        return -1;
    }
    double secs = -1;
    for (size_t k = tail >= 27 ? tail - 27 + 1 : 0; k-- > 0;) {
        if (memcmp(t + k, "OggS", 4) || t[k + 4] != 0 || le32(t + k + 14) != serial)
            continue;
        uint64_t gp = le64(t + k + 6);
        if (gp == UINT64_MAX) /* no packet ends on this page */
            continue;
        secs = gp > skip ? (double)(gp - skip) / rate : 0;
        break;
    }
    free(t);
    return secs;
}

/* ---- video ---------------------------------------------------------------------- */

/* One ISO BMFF box header at off: its type and the offsets of its body and
 * end (clamped to limit). 0, or -1 past the end or for a nonsense size. */
static int box_at(const struct rd *r, uint64_t off, uint64_t limit, char type[5],
                  uint64_t *body, uint64_t *end)
{
    unsigned char b[16];
    if (off + 8 > limit || at(r, off, b, 8))
        return -1;
    uint64_t len = be32(b);
    memcpy(type, b + 4, 4);
    type[4] = '\0';
    *body = off + 8;
    if (len == 1) { /* a 64-bit size follows */
        if (at(r, off + 8, b + 8, 8))
            return -1;
        len = be64(b + 8);
        *body = off + 16;
    } else if (len == 0) { /* to the end */
        len = limit - off;
    }
    if (len < *body - off || len > limit - off)
        return -1;
    *end = off + len;
    return 0;
}

/* The box of type within [off, limit), whose body and end are set. */
static int find_box(const struct rd *r, uint64_t off, uint64_t limit, const char *type,
                    uint64_t *body, uint64_t *end)
{
    for (int i = 0; i < MAX_BOXES && off < limit; i++) {
        char t[5];
        if (box_at(r, off, limit, t, body, end))
            return -1;
        if (!strcmp(t, type))
            return 0;
        off = *end;
    }
    return -1;
}

/* Timescale and default sample duration (mvex/trex) of track id in moov. */
static int mp4_track(const struct rd *r, uint64_t mb, uint64_t me, uint32_t id, uint32_t *scale,
                     uint32_t *def_dur)
{
    unsigned char b[32];
    uint64_t off = mb, tb, te, b2, e2;
    *scale = 0;
    *def_dur = 0;
    for (int i = 0; i < MAX_BOXES && !find_box(r, off, me, "trak", &tb, &te); i++, off = te) {
        if (find_box(r, tb, te, "tkhd", &b2, &e2) || at(r, b2, b, 24))
            return -1;
        if (be32(b + (b[0] == 1 ? 20 : 12)) != id)
            continue;
        if (find_box(r, tb, te, "mdia", &b2, &e2) || find_box(r, b2, e2, "mdhd", &b2, &e2) ||
            at(r, b2, b, 24))
            return -1;
        *scale = be32(b + (b[0] == 1 ? 20 : 12));
        break;
    }
    if (find_box(r, mb, me, "mvex", &b2, &e2) == 0) {
        uint64_t xb, xe;
        for (off = b2; !find_box(r, off, e2, "trex", &xb, &xe); off = xe)
            if (!at(r, xb, b, 20) && be32(b + 4) == id) {
                *def_dur = be32(b + 12);
                break;
            }
    }
    return *scale ? 0 : -1;
}

/* A fragmented MP4 (moov with no duration, then moof fragments): the last
 * fragment's start time (traf/tfdt) plus its samples' durations (trun, or
 * the defaults of tfhd and trex), in its track's timescale. Only the
 * top-level box headers are read on the way to the last fragment. */
static double mp4_fragments(const struct rd *r, uint64_t mb, uint64_t me)
{
    uint64_t off = 0, body, end, last = 0, lend = 0;
    char t[5];
    for (int i = 0; i < MAX_BOXES * 4 && off < r->size; i++, off = end) {
        if (box_at(r, off, r->size, t, &body, &end))
            break;
        if (!strcmp(t, "moof"))
            last = body, lend = end;
    }
    uint64_t fb, fe, b2, e2;
    unsigned char b[32];
    if (!last || find_box(r, last, lend, "traf", &fb, &fe) ||
        find_box(r, fb, fe, "tfhd", &b2, &e2) || at(r, b2, b, 8))
        return -1;
    uint32_t flags = be32(b) & 0xffffff, id = be32(b + 4), scale, dur;
    if (mp4_track(r, mb, me, id, &scale, &dur))
        return -1;
    uint64_t o = b2 + 8 + (flags & 0x01 ? 8 : 0) + (flags & 0x02 ? 4 : 0);
    if (flags & 0x08 && !at(r, o, b, 4))
        dur = be32(b);
    uint64_t base = 0;
    if (!find_box(r, fb, fe, "tfdt", &b2, &e2) && !at(r, b2, b, 12))
        base = b[0] == 1 ? be64(b + 4) : be32(b + 4);
    uint64_t total = 0;
    for (off = fb; !find_box(r, off, fe, "trun", &b2, &e2); off = e2) {
        if (at(r, b2, b, 8))
            return -1;
        uint32_t tf = be32(b) & 0xffffff, n = be32(b + 4);
        if (!(tf & 0x100)) {
            total += (uint64_t)n * dur;
            continue;
        }
        size_t entry = 4 * (size_t)(!!(tf & 0x100) + !!(tf & 0x200) + !!(tf & 0x400) +
                                    !!(tf & 0x800));
        uint64_t p = b2 + 8 + (tf & 0x01 ? 4 : 0) + (tf & 0x04 ? 4 : 0);
        if (n > (e2 - p) / entry)
            return -1;
        for (uint32_t k = 0; k < n; k++) { /* one read per sample: fragments are short */
            if (k >= 65536 || at(r, p + (uint64_t)k * entry, b, 4))
                return -1;
            total += be32(b);
        }
    }
    return total + base ? (double)(base + total) / scale : -1;
}

/* MP4, MOV, 3GP, M4A: the movie header (moov/mvhd) gives duration over
 * timescale; a fragmented file's may be 0, then mvex/mehd has it, or the
 * last fragment does. */
static double mp4_seconds(const struct rd *r, const char **how)
{
    uint64_t mb, me, b2, e2;
    unsigned char b[32];
    if (find_box(r, 0, r->size, "moov", &mb, &me) || find_box(r, mb, me, "mvhd", &b2, &e2) ||
        at(r, b2, b, 1))
        return -1;
    int v1 = b[0] == 1;
    if (at(r, b2, b, v1 ? 32 : 20))
        return -1;
    uint32_t scale = be32(b + (v1 ? 20 : 12));
    uint64_t dur = v1 ? be64(b + 24) : be32(b + 16);
    if (!scale)
        return -1;
    if (dur && dur != (v1 ? UINT64_MAX : 0xFFFFFFFFu)) {
        *how = "mvhd";
        return (double)dur / scale;
    }
    if (!find_box(r, mb, me, "mvex", &b2, &e2) && !find_box(r, b2, e2, "mehd", &b2, &e2) &&
        !at(r, b2, b, 12)) {
        dur = b[0] == 1 ? be64(b + 4) : be32(b + 4);
        if (dur) {
            *how = "mehd";
            return (double)dur / scale;
        }
    }
    *how = "moof";
    return mp4_fragments(r, mb, me);
}

/* An EBML element header at off: its id (marker bits kept), the offset of
 * its data and its size (UINT64_MAX: unknown). */
static int ebml_at(const struct rd *r, uint64_t off, uint32_t *id, uint64_t *data,
                   uint64_t *size)
{
    unsigned char b[12];
    size_t n = r->size - off < sizeof b ? (size_t)(r->size - off) : sizeof b;
    if (off >= r->size || n < 2 || at(r, off, b, n))
        return -1;
    int il = b[0] & 0x80 ? 1 : b[0] & 0x40 ? 2 : b[0] & 0x20 ? 3 : b[0] & 0x10 ? 4 : 0;
    if (!il || (size_t)il >= n)
        return -1;
    *id = 0;
    for (int i = 0; i < il; i++)
        *id = *id << 8 | b[i];
    unsigned c = b[il];
    int sl = 1;
    while (sl <= 8 && !(c & (0x80u >> (sl - 1))))
        sl++;
    if (sl > 8 || (size_t)(il + sl) > n)
        return -1;
    uint64_t v = c & (0xFFu >> sl);
    int ones = v == (0xFFu >> sl);
    for (int i = 1; i < sl; i++) {
        v = v << 8 | b[il + i];
        ones &= b[il + i] == 0xFF;
    }
    *data = off + (uint64_t)il + (uint64_t)sl;
    *size = ones ? UINT64_MAX : v;
    return 0;
}

/* WebM and Matroska: Segment/Info's Duration (a float, in TimestampScale
 * nanoseconds, default 1 ms). Elements before Info are passed by size. */
static double mkv_seconds(const struct rd *r)
{
    uint32_t id;
    uint64_t data, size;
    if (ebml_at(r, 0, &id, &data, &size) || id != 0x1A45DFA3 || size == UINT64_MAX)
        return -1;
    uint64_t off = data + size;
    if (ebml_at(r, off, &id, &data, &size) || id != 0x18538067)
        return -1;
    uint64_t end = size == UINT64_MAX || size > r->size - data ? r->size : data + size;
    off = data;
    for (int i = 0; i < MAX_BOXES && off < end; i++) {
        if (ebml_at(r, off, &id, &data, &size))
            return -1;
        if (size == UINT64_MAX || size > end - data)
            return -1; /* a live stream's cluster: nothing past it can be reached */
        if (id != 0x1549A966) { /* not Info */
            off = data + size;
            continue;
        }
        double scale = 1000000, dur = -1;
        for (uint64_t o = data; o < data + size;) {
            uint32_t cid;
            uint64_t cd, cs;
            unsigned char v[8];
            if (ebml_at(r, o, &cid, &cd, &cs) || cs == UINT64_MAX || cs > data + size - cd)
                return -1;
            if (cid == 0x2AD7B1 && cs >= 1 && cs <= 8 && !at(r, cd, v, cs)) {
                uint64_t u = 0;
                for (uint64_t k = 0; k < cs; k++)
                    u = u << 8 | v[k];
                scale = (double)u;
            } else if (cid == 0x4489 && (cs == 4 || cs == 8) && !at(r, cd, v, cs)) {
                if (cs == 4) {
                    uint32_t u = be32(v);
                    float fv;
                    memcpy(&fv, &u, 4);
                    dur = fv;
                } else {
                    uint64_t u = be64(v);
                    memcpy(&dur, &u, 8);
                }
            }
            o = cd + cs;
        }
        return dur > 0 && scale > 0 && isfinite(dur) ? dur * scale / 1e9 : -1;
    }
    return -1;
}

/* AVI: the main header (hdrl/avih): microseconds per frame times frames. */
static double avi_seconds(const struct rd *r)
{
    unsigned char b[12];
    if (at(r, 0, b, 12) || memcmp(b, "RIFF", 4) || memcmp(b + 8, "AVI ", 4))
        return -1;
    uint64_t off = 12;
    for (int i = 0; i < MAX_BOXES; i++) {
        if (at(r, off, b, 12))
            return -1;
        uint64_t len = le32(b + 4);
        if (!memcmp(b, "LIST", 4) && !memcmp(b + 8, "hdrl", 4)) {
            unsigned char h[28];
            if (at(r, off + 12, h, 28) || memcmp(h, "avih", 4))
                return -1;
            double us = le32(h + 8), frames = le32(h + 8 + 16);
            return us > 0 && frames > 0 ? us * frames / 1e6 : -1;
        }
        off += 8 + len + (len & 1);
    }
    return -1;
}

/* ---- the probe ------------------------------------------------------------------ */

static int starts(const char *mime, const char *prefix)
{
    return mime && !strncmp(mime, prefix, strlen(prefix));
}

static void guess(struct media_info *mi, const char *mime, uint64_t size)
{
    mi->guessed = 1;
    mi->how = "size";
    if (starts(mime, "audio/"))
        mi->seconds = (double)size / AUDIO_BYTES_PER_S;
    else if (starts(mime, "video/"))
        mi->seconds = (double)size / VIDEO_BYTES_PER_S;
    else if (mime && !strcmp(mime, "application/pdf"))
        mi->pages = 1 + (long)((double)size / PDF_BYTES_PER_PAGE);
}

int mi_probe_fd(int fd, const char *mime, uint64_t size, struct media_info *mi)
{
    struct rd r = {fd, size};
    memset(mi, 0, sizeof *mi);
    mi->seconds = -1;
    mi->pages = -1;
    mi->how = "headers";
    const char *m = mime ? mime : "";
    const char *how = NULL;
    if (starts(m, "image/")) {
        int rc = -1;
        if (!strcmp(m, "image/png"))
            rc = png_size(&r, &mi->width, &mi->height);
        else if (!strcmp(m, "image/jpeg"))
            rc = jpeg_size(&r, &mi->width, &mi->height);
        else if (!strcmp(m, "image/gif"))
            rc = gif_size(&r, &mi->width, &mi->height);
        else if (!strcmp(m, "image/webp"))
            rc = webp_size(&r, &mi->width, &mi->height);
        else if (!strcmp(m, "image/bmp"))
            rc = bmp_size(&r, &mi->width, &mi->height);
        if (rc || mi->width <= 0 || mi->height <= 0 || mi->width > 1000000 ||
            mi->height > 1000000) {
            mi->width = mi->height = 0;
            mi->guessed = 1; /* one tile */
            mi->how = "size";
        }
        return 0;
    }
    double s = -1;
    if (!strcmp(m, "audio/wav"))
        s = wav_seconds(&r), how = "wav";
    else if (!strcmp(m, "audio/aiff"))
        s = aiff_seconds(&r), how = "aiff";
    else if (!strcmp(m, "audio/mp3"))
        s = mp3_seconds(&r, &how);
    else if (!strcmp(m, "audio/flac"))
        s = flac_seconds(&r), how = "streaminfo";
    else if (!strcmp(m, "audio/ogg"))
        s = ogg_seconds(&r), how = "ogg";
    else if (!strcmp(m, "video/mp4") || !strcmp(m, "video/mov") || !strcmp(m, "video/3gpp") ||
             (!strcmp(m, "audio/aac") && size >= 8))
        s = mp4_seconds(&r, &how);
    else if (!strcmp(m, "video/webm") || !strcmp(m, "video/x-matroska"))
        s = mkv_seconds(&r), how = "ebml";
    else if (!strcmp(m, "video/avi"))
        s = avi_seconds(&r), how = "avih";
    else if (!strcmp(m, "application/pdf")) {
        mi->pages = mi_pdf_pages(&r, &how);
        if (mi->pages > 0 && mi->pages <= 1000000) { /* more is a lie */
            mi->how = how;
            return 0;
        }
    }
    /* a duration past a day from a file's own header is a lie, not a film */
    if (s >= 0 && isfinite(s) && s <= 86400.0 * 7) {
        mi->seconds = s;
        mi->how = how;
        return 0;
    }
    mi->pages = -1;
    guess(mi, mime, size);
    return 0;
}

int mi_probe(const char *path, const char *mime, uint64_t size, struct media_info *mi)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        memset(mi, 0, sizeof *mi);
        mi->seconds = -1;
        mi->pages = -1;
        guess(mi, mime, size);
        return GB_ENOENT;
    }
    int rc = mi_probe_fd(fd, mime, size, mi);
    close(fd);
    return rc;
}

long mi_tokens(const struct media_info *mi, const char *type, const char *mime, uint64_t size)
{
    if (!strcmp(type, "image")) {
        if (mi->width <= 0 || mi->height <= 0 || (mi->width <= 384 && mi->height <= 384))
            return MI_TOKENS_PER_IMAGE_TILE;
        long tiles = ((mi->width + 767) / 768) * ((mi->height + 767) / 768);
        return tiles * MI_TOKENS_PER_IMAGE_TILE;
    }
    if (!strcmp(type, "audio"))
        return mi->seconds > 0 ? (long)ceil(mi->seconds * MI_TOKENS_PER_AUDIO_SECOND) : 0;
    if (!strcmp(type, "video"))
        return mi->seconds > 0 ? (long)ceil(mi->seconds * MI_TOKENS_PER_VIDEO_SECOND) : 0;
    if (mime && !strcmp(mime, "application/pdf"))
        return (mi->pages > 0 ? mi->pages : 1) * MI_TOKENS_PER_PDF_PAGE;
    return (long)((size + 3) / 4); /* a text document */
}
