/* test_mediainfo.c: durations, pages and pixel sizes from the headers of real
 * files (tests/data/media, made with ffmpeg and qpdf: see its README), the
 * token counts at the published rates, and what damaged and hostile files
 * get: a finite size-based guess, flagged, never a crash, a loop or a read
 * of the whole file. */
#include <criterion/criterion.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "mediainfo.h"

#define DATA "tests/data/media"

struct file {
    unsigned char *b;
    size_t n;
};

static struct file load(const char *name)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", DATA, name);
    FILE *f = fopen(p, "rb");
    cr_assert_not_null(f, "cannot open %s (run from the repository root)", p);
    struct file fl = {malloc(1 << 20), 0};
    fl.n = fread(fl.b, 1, 1 << 20, f);
    fclose(f);
    return fl;
}

/* Probe bytes b[0..n) as a file of the given mime (through a memfd). */
static struct media_info probe_mem(const void *b, size_t n, const char *mime)
{
    int fd = memfd_create("media", MFD_CLOEXEC);
    cr_assert_geq(fd, 0);
    cr_assert_eq(write(fd, b, n), (ssize_t)n);
    struct media_info mi;
    cr_assert_eq(mi_probe_fd(fd, mime, n, &mi), 0);
    close(fd);
    return mi;
}

/* Whatever the bytes, the answer is a sane number. */
static void expect_sane(const struct media_info *mi, const char *what)
{
    cr_expect(!isnan(mi->seconds) && mi->seconds <= 7 * 86400.0, "%s: %g s", what, mi->seconds);
    cr_expect(mi->pages <= 1000000, "%s: %ld pages", what, mi->pages);
    cr_expect(mi->width >= 0 && mi->width <= 1000000 && mi->height >= 0 && mi->height <= 1000000,
              "%s: %ldx%ld", what, mi->width, mi->height);
    if (mi->guessed && mi->seconds < 0 && mi->pages < 0)
        cr_expect_eq(mi->width, 0, "%s", what);
}

Test(mediainfo, real_files_give_their_durations_pages_and_sizes)
{
    FILE *f = fopen(DATA "/expected.tsv", "r");
    cr_assert_not_null(f);
    char line[512];
    int rows = 0;
    while (fgets(line, sizeof line, f)) {
        if (line[0] == '#' || line[0] == '\n')
            continue;
        char name[128], mime[64], what[16], value[32], how[32];
        cr_assert_eq(sscanf(line, "%127s %63s %15s %31s %31s", name, mime, what, value, how), 5);
        struct file fl = load(name);
        struct media_info mi = probe_mem(fl.b, fl.n, mime);
        cr_expect_not(mi.guessed, "%s: guessed (%s)", name, mi.how);
        cr_expect_str_eq(mi.how, how, "%s", name);
        if (!strcmp(what, "seconds"))
            cr_expect(fabs(mi.seconds - atof(value)) < 0.005, "%s: %.4f s, expected %s", name,
                      mi.seconds, value);
        else if (!strcmp(what, "pages"))
            cr_expect_eq(mi.pages, atol(value), "%s", name);
        else {
            long w, h;
            cr_assert_eq(sscanf(value, "%ldx%ld", &w, &h), 2);
            cr_expect(mi.width == w && mi.height == h, "%s: %ldx%ld, expected %s", name, mi.width,
                      mi.height, value);
        }
        free(fl.b);
        rows++;
    }
    fclose(f);
    cr_expect_geq(rows, 25);
}

Test(mediainfo, the_samples_agree_with_ffprobe)
{
    static const struct {
        const char *path, *mime;
        double seconds;
        long pages;
    } s[] = {{"samples/video/q3-update.mp4", "video/mp4", 9.01, -1},
             {"samples/video/delivery-van.mp4", "video/mp4", 2.0, -1},
             {"samples/invoices/acme-58831.pdf", "application/pdf", -1, 1}};
    for (size_t i = 0; i < sizeof s / sizeof s[0]; i++) {
        struct stat st;
        cr_assert_eq(stat(s[i].path, &st), 0, "%s", s[i].path);
        struct media_info mi;
        cr_assert_eq(mi_probe(s[i].path, s[i].mime, (uint64_t)st.st_size, &mi), 0);
        cr_expect_not(mi.guessed, "%s", s[i].path);
        if (s[i].seconds > 0)
            cr_expect(fabs(mi.seconds - s[i].seconds) < 0.005, "%s: %g", s[i].path, mi.seconds);
        else
            cr_expect_eq(mi.pages, s[i].pages, "%s", s[i].path);
    }
}

Test(mediainfo, tokens_at_the_published_rates)
{
    struct media_info mi = {.seconds = 2.5, .pages = -1};
    cr_expect_eq(mi_tokens(&mi, "audio", "audio/wav", 1000), 80);   /* 32/s */
    mi.seconds = 10;
    cr_expect_eq(mi_tokens(&mi, "video", "video/mp4", 1000), 2630); /* 263/s */
    mi.seconds = 0.01;
    cr_expect_eq(mi_tokens(&mi, "video", "video/mp4", 1000), 3, "a started second's share");
    struct media_info pdf = {.seconds = -1, .pages = 7};
    cr_expect_eq(mi_tokens(&pdf, "document", "application/pdf", 1000), 7 * 258);
    struct media_info img = {.seconds = -1, .pages = -1, .width = 384, .height = 384};
    cr_expect_eq(mi_tokens(&img, "image", "image/png", 1000), 258, "both sides <= 384: one tile");
    img.width = 1000, img.height = 500;
    cr_expect_eq(mi_tokens(&img, "image", "image/png", 1000), 2 * 258, "768-px tiles");
    img.width = 1600, img.height = 1600;
    cr_expect_eq(mi_tokens(&img, "image", "image/png", 1000), 9 * 258);
    img.width = img.height = 0;
    cr_expect_eq(mi_tokens(&img, "image", "image/png", 1000), 258, "size unknown: one tile");
    struct media_info txt = {.seconds = -1, .pages = -1};
    cr_expect_eq(mi_tokens(&txt, "document", "text/plain", 400), 100, "text: 4 bytes a token");
}

Test(mediainfo, unknown_layouts_fall_back_to_the_size_flagged)
{
    unsigned char junk[4096];
    memset(junk, 0x42, sizeof junk);
    struct media_info mi = probe_mem(junk, sizeof junk, "audio/mp3");
    cr_expect(mi.guessed);
    cr_expect_str_eq(mi.how, "size");
    cr_expect_float_eq(mi.seconds, 4096 / 16000.0, 1e-9, "128 kbit/s: %g", mi.seconds);
    mi = probe_mem(junk, sizeof junk, "video/x-flv");
    cr_expect(mi.guessed);
    cr_expect_float_eq(mi.seconds, 4096 / 250000.0, 1e-9, "2 Mbit/s: %g", mi.seconds);
    mi = probe_mem(junk, sizeof junk, "application/pdf");
    cr_expect(mi.guessed);
    cr_expect_eq(mi.pages, 1);
    mi = probe_mem(junk, sizeof junk, "image/tiff");
    cr_expect(mi.guessed);
    cr_expect_eq(mi_tokens(&mi, "image", "image/tiff", sizeof junk), 258);
    struct media_info gone;
    cr_expect_eq(mi_probe("/nonexistent/x.mp4", "video/mp4", 500000, &gone), -4 /* GB_ENOENT */);
    cr_expect(gone.guessed);
    cr_expect_float_eq(gone.seconds, 2.0, 1e-9);
}

/* Every real file cut short at any length, and with bytes flipped: a sane
 * answer each time (run under ASan by make check). */
Test(mediainfo, cut_and_damaged_files_give_sane_answers)
{
    FILE *f = fopen(DATA "/expected.tsv", "r");
    cr_assert_not_null(f);
    char line[512];
    unsigned seed = 1;
    while (fgets(line, sizeof line, f)) {
        char name[128], mime[64];
        if (line[0] == '#' || sscanf(line, "%127s %63s", name, mime) != 2)
            continue;
        struct file fl = load(name);
        size_t step = fl.n < 2048 ? 1 : fl.n / 1024;
        for (size_t k = 0; k < fl.n; k += step) {
            struct media_info mi = probe_mem(fl.b, k, mime);
            char what[200];
            snprintf(what, sizeof what, "%s cut at %zu", name, k);
            expect_sane(&mi, what);
        }
        unsigned char *copy = malloc(fl.n);
        for (int round = 0; round < 300; round++) {
            memcpy(copy, fl.b, fl.n);
            for (int j = 0; j < 1 + round % 4; j++) {
                seed = seed * 1103515245u + 12345u;
                size_t at = (seed >> 8) % (fl.n < 512 ? fl.n : 512); /* the headers */
                seed = seed * 1103515245u + 12345u;
                copy[at] = (unsigned char)(seed >> 16);
            }
            struct media_info mi = probe_mem(copy, fl.n, mime);
            char what[200];
            snprintf(what, sizeof what, "%s damaged (round %d)", name, round);
            expect_sane(&mi, what);
        }
        free(copy);
        free(fl.b);
    }
    fclose(f);
}

static void put32(unsigned char *p, uint32_t v)
{
    p[0] = (unsigned char)(v >> 24), p[1] = (unsigned char)(v >> 16);
    p[2] = (unsigned char)(v >> 8), p[3] = (unsigned char)v;
}

Test(mediainfo, hostile_structures_end_in_a_guess)
{
    /* 50,000 empty boxes and no moov: the walk stops, a guess comes back */
    size_t n = 8 * 50000 + 24;
    unsigned char *b = calloc(1, n);
    memcpy(b, "\0\0\0\x18" "ftypisom\0\0\2\0isomiso2", 24);
    for (size_t o = 24; o + 8 <= n; o += 8) {
        put32(b + o, 8);
        memcpy(b + o + 4, "free", 4);
    }
    struct media_info mi = probe_mem(b, n, "video/mp4");
    cr_expect(mi.guessed, "many boxes");
    /* a box whose size is smaller than its header; one past the end */
    put32(b + 24, 4);
    mi = probe_mem(b, 64, "video/mp4");
    cr_expect(mi.guessed, "a box of 4 bytes");
    put32(b + 24, 1);
    memcpy(b + 32, "\x7f\xff\xff\xff\xff\xff\xff\xff", 8);
    mi = probe_mem(b, 64, "video/mp4");
    cr_expect(mi.guessed, "a 64-bit size past the end");
    free(b);
    /* an MP3 whose Xing header claims 4 billion frames: days of audio, a lie */
    struct file fl = load("tone-cbr.mp3");
    unsigned char *x = memmem(fl.b, fl.n, "Info", 4);
    cr_assert_not_null(x);
    put32(x + 8, 0xFFFFFFFFu);
    mi = probe_mem(fl.b, fl.n, "audio/mp3");
    cr_expect(mi.guessed, "%g s from a lying header", mi.seconds);
    free(fl.b);
    /* a WAV whose byte rate is 0 */
    fl = load("tone.wav");
    memset(fl.b + 28, 0, 4);
    mi = probe_mem(fl.b, fl.n, "audio/wav");
    cr_expect(mi.guessed, "byte rate 0");
    free(fl.b);
    /* a PDF whose /Prev points at itself, and one that claims a billion pages */
    char pdf[600];
    int k = snprintf(pdf, sizeof pdf, "%%PDF-1.4\n1 0 obj\n<< /Type /Catalog /Pages 2 0 R >>\n"
                     "endobj\n");
    int xref = k;
    k += snprintf(pdf + k, sizeof pdf - (size_t)k, "xref\n0 1\n0000000000 65535 f \ntrailer\n"
                  "<< /Size 3 /Root 1 0 R /Prev %d >>\nstartxref\n%d\n%%%%EOF\n", xref, xref);
    mi = probe_mem(pdf, (size_t)k, "application/pdf");
    cr_expect(mi.guessed, "a /Prev loop");
    struct file p7 = load("pages7.pdf");
    char *c = memmem(p7.b, p7.n, "/Count 7", 8);
    cr_assert_not_null(c);
    memcpy(c, "/Count 999999999", 16); /* overwrites the ">>" after it too */
    mi = probe_mem(p7.b, p7.n, "application/pdf");
    cr_expect(mi.guessed || mi.pages <= 1000000, "%ld pages", mi.pages);
    free(p7.b);
}

/* Bytes this process has read through read(2)/pread(2), from /proc. */
static long long rchar(void)
{
    FILE *f = fopen("/proc/self/io", "r");
    cr_assert_not_null(f);
    char line[128];
    long long v = -1;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "rchar: %lld", &v) == 1)
            break;
    fclose(f);
    return v;
}

/* Probe fd and return the bytes read doing it. */
static long long bytes_read_probing(int fd, const char *mime, struct media_info *mi)
{
    struct stat st;
    fstat(fd, &st);
    long long before = rchar();
    mi_probe_fd(fd, mime, (uint64_t)st.st_size, mi);
    return rchar() - before;
}

static int sparse_file(void)
{
    char path[] = "/tmp/gb-mediainfo-XXXXXX";
    int fd = mkstemp(path);
    cr_assert_geq(fd, 0);
    unlink(path);
    return fd;
}

#define BIG ((off_t)200 << 20)

/* A real file's headers at the front of a 200 MB file (sparse: the rest is
 * zeros) are read, not the file. */
static void expect_small_read(const char *name, const char *mime)
{
    struct file fl = load(name);
    int fd = sparse_file();
    cr_assert_eq(pwrite(fd, fl.b, fl.n, 0), (ssize_t)fl.n);
    cr_assert_eq(ftruncate(fd, BIG), 0);
    struct media_info mi;
    long long n = bytes_read_probing(fd, mime, &mi);
    close(fd);
    cr_expect_lt(n, 1 << 20, "%s: %lld bytes read", name, n);
    free(fl.b);
}

Test(mediainfo, headers_only_never_the_whole_file)
{
    expect_small_read("tone.wav", "audio/wav");
    expect_small_read("tone-bare.mp3", "audio/mp3");
    expect_small_read("tone.ogg", "audio/ogg");
    expect_small_read("clip.mkv", "video/x-matroska");
    expect_small_read("clip.mov", "video/mp4");
    expect_small_read("clip.avi", "video/avi");
}

/* The index at the end, behind 200 MB of media: an MP4 whose moov follows
 * its mdat, a PDF whose xref follows a 200 MB stream. Both are found by
 * passing over the media by its stated size. */
Test(mediainfo, an_index_at_the_end_is_reached_without_reading_the_middle)
{
    struct file fl = load("clip-faststart.mp4");
    unsigned char *mv = memmem(fl.b, fl.n, "moov", 4);
    cr_assert_not_null(mv);
    mv -= 4;
    size_t mvlen = ((size_t)mv[0] << 24 | (size_t)mv[1] << 16 | (size_t)mv[2] << 8 | mv[3]);
    int fd = sparse_file();
    unsigned char head[32];
    memcpy(head, "\0\0\0\x18" "ftypisom\0\0\2\0isomiso2", 24);
    put32(head + 24, (uint32_t)(BIG + 8));
    memcpy(head + 28, "mdat", 4);
    cr_assert_eq(pwrite(fd, head, 32, 0), 32);
    cr_assert_eq(pwrite(fd, mv, mvlen, 32 + BIG), (ssize_t)mvlen);
    struct media_info mi;
    long long n = bytes_read_probing(fd, "video/mp4", &mi);
    close(fd);
    cr_expect_not(mi.guessed);
    cr_expect(fabs(mi.seconds - 2.0) < 0.005, "%g", mi.seconds);
    cr_expect_lt(n, 1 << 20, "mp4: %lld bytes read", n);
    free(fl.b);

    /* a 3-page PDF: catalog, pages, 3 page objects, a 200 MB stream, xref */
    char obj[1024];
    int k = snprintf(obj, sizeof obj, "%%PDF-1.4\n");
    long off[7];
    static const char *const body[] = {"<< /Type /Catalog /Pages 2 0 R >>",
                                       "<< /Type /Pages /Kids [3 0 R 4 0 R 5 0 R] /Count 3 >>",
                                       "<< /Type /Page /Parent 2 0 R >>",
                                       "<< /Type /Page /Parent 2 0 R >>",
                                       "<< /Type /Page /Parent 2 0 R >>"};
    for (int i = 0; i < 5; i++) {
        off[i + 1] = k;
        k += snprintf(obj + k, sizeof obj - (size_t)k, "%d 0 obj\n%s\nendobj\n", i + 1, body[i]);
    }
    off[6] = k;
    k += snprintf(obj + k, sizeof obj - (size_t)k, "6 0 obj\n<< /Length %lld >>\nstream\n",
                  (long long)BIG);
    fd = sparse_file();
    cr_assert_eq(pwrite(fd, obj, (size_t)k, 0), k);
    off_t x = k + BIG;
    char tail[1024];
    int t = snprintf(tail, sizeof tail, "\nendstream\nendobj\n");
    long long xref = (long long)x + t;
    t += snprintf(tail + t, sizeof tail - (size_t)t, "xref\n0 7\n0000000000 65535 f \n");
    for (int i = 1; i <= 6; i++)
        t += snprintf(tail + t, sizeof tail - (size_t)t, "%010ld 00000 n \n", off[i]);
    t += snprintf(tail + t, sizeof tail - (size_t)t,
                  "trailer\n<< /Size 7 /Root 1 0 R >>\nstartxref\n%lld\n%%%%EOF\n", xref);
    cr_assert_eq(pwrite(fd, tail, (size_t)t, x), t);
    n = bytes_read_probing(fd, "application/pdf", &mi);
    close(fd);
    cr_expect_not(mi.guessed, "%s", mi.how);
    cr_expect_eq(mi.pages, 3);
    cr_expect_lt(n, 1 << 20, "pdf: %lld bytes read", n);
}
