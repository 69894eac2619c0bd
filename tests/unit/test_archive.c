/* test_archive.c: archive detection from the first bytes (the heads of real
 * archives in tests/data/archive/detect, and texts that must stay manifests)
 * and entry names as job ids (what is kept, what is refused, and that a
 * refused name's display form is harmless). */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "archive.h"

#define DEFAULT_DATA "tests/data/archive/detect"

static const char *data_dir(void)
{
    const char *p = getenv("GB_ARCHIVE_DATA");
    return p && *p ? p : DEFAULT_DATA;
}

static size_t load(const char *name, unsigned char *buf, size_t cap)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", data_dir(), name);
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open '%s' (set GB_ARCHIVE_DATA)", path);
    size_t n = fread(buf, 1, cap, f);
    fclose(f);
    return n;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a > b && !strcmp(s + a - b, suffix);
}

/* Every NAME.archive detects, every NAME.text does not; returns the count. */
static int check_dir(const char *suffix, int want)
{
    DIR *d = opendir(data_dir());
    cr_assert_not_null(d, "cannot open '%s' (set GB_ARCHIVE_DATA)", data_dir());
    int count = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (!ends_with(e->d_name, suffix))
            continue;
        unsigned char buf[512];
        size_t n = load(e->d_name, buf, sizeof buf);
        cr_expect_eq(arc_detect(buf, n), want, "%s: arc_detect gave %d", e->d_name, !want);
        count++;
    }
    closedir(d);
    return count;
}

Test(archive, detects_the_heads_of_real_archives)
{
    static const char *const need[] = {
        "tar-ustar.archive", "tar-gnu.archive", "tar-pax.archive", "tar-v7.archive",
        "tar-gz.archive", "tar-bz2.archive", "tar-xz.archive", "tar-zst.archive",
        "tar-lz4.archive", "zip.archive", "7z.archive", "cpio-odc.archive", "cpio-newc.archive",
        "cpio-crc.archive", "cpio-bin.archive", NULL};
    unsigned char buf[512];
    for (int i = 0; need[i]; i++)
        cr_expect_eq(arc_detect(buf, load(need[i], buf, sizeof buf)), 1, "%s", need[i]);
    cr_expect_geq(check_dir(".archive", 1), 15);
}

Test(archive, never_detects_manifests_or_json)
{
    cr_expect_geq(check_dir(".text", 0), 9);
}

Test(archive, other_magics)
{
    static const struct {
        const char *b;
        size_t n;
    } yes[] = {
        {"PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 22}, /* empty zip */
        {"PK\x07\x08PK\x03\x04", 8},                            /* spanned zip */
        {"Rar!\x1a\x07\x00", 7},
        {"Rar!\x1a\x07\x01\x00", 8},
        {"!<arch>\ndebian-binary   ", 24},
        {"LZIP\x01\x0c", 6},
        {"\x1f\x9d\x90", 3},
        {"BZh91AY&SY", 10},
        {"BZh9\x17\x72\x45\x38\x50\x90", 10}, /* empty bzip2 stream */
    };
    for (size_t i = 0; i < sizeof yes / sizeof *yes; i++)
        cr_expect_eq(arc_detect((const unsigned char *)yes[i].b, yes[i].n), 1, "case %zu", i);
}

Test(archive, cut_heads_do_not_detect)
{
    unsigned char buf[512];
    size_t n = load("tar-ustar.archive", buf, sizeof buf);
    cr_assert_eq(n, 512);
    cr_expect_eq(arc_detect(buf, 511), 0, "a tar header needs 512 bytes");
    buf[148] ^= 1; /* checksum off by one digit */
    cr_expect_eq(arc_detect(buf, 512), 0);
    cr_expect_eq(arc_detect((const unsigned char *)"\x1f\x8b", 2), 0);
    cr_expect_eq(arc_detect((const unsigned char *)"BZh9", 4), 0);
    cr_expect_eq(arc_detect((const unsigned char *)"070707", 6), 0);
    cr_expect_eq(arc_detect((const unsigned char *)"", 0), 0);
}

/* ---- names --------------------------------------------------------------------- */

static enum arc_name id_of(const char *raw, size_t n, char *out, const char **why)
{
    return arc_entry_id(raw, n, out, ARC_ID_CAP, why);
}

/* VERDICT(raw, ARC_NAME_..., reason substring or NULL, the id or display form) */
#define VERDICT(raw, want, reason, shown)                                                          \
    do {                                                                                           \
        char out_[ARC_ID_CAP];                                                                     \
        const char *why_ = NULL;                                                                   \
        enum arc_name v_ = id_of(raw, sizeof(raw) - 1, out_, &why_);                               \
        cr_expect_eq(v_, want, "'%s': verdict %d (%s)", raw, v_, why_ ? why_ : "");               \
        if (reason)                                                                                \
            cr_expect(why_ && strstr(why_, reason ? reason : "") != NULL, "'%s': %s", raw,       \
                      why_ ? why_ : "(no reason)");                                                \
        else                                                                                       \
            cr_expect_null(why_, "'%s': %s", raw, why_);                                           \
        cr_expect_str_eq(out_, shown, "id of '%s'", raw);                                          \
    } while (0)

#define KEEP(raw, id) VERDICT(raw, ARC_NAME_OK, NULL, id)
#define RENAME(raw, reason, id) VERDICT(raw, ARC_NAME_RENAMED, reason, id)
#define REFUSE(raw, reason, shown) VERDICT(raw, ARC_NAME_REFUSED, reason, shown)

Test(archive, names_kept)
{
    KEEP("photos/cat.png", "photos/cat.png");
    KEEP("./x.png", "x.png");
    KEEP("/etc/x.png", "etc/x.png");
    KEEP("///a//b/./c.png", "a/b/c.png");
    KEEP("dir/", "dir");
    KEEP("...", "...");
    KEEP("a..b/..c/d..", "a..b/..c/d..");
    KEEP("caf\xc3\xa9.png", "caf\xc3\xa9.png");
    KEEP("\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x90\x88.png",
         "\xe6\x97\xa5\xe6\x9c\xac/\xf0\x9f\x90\x88.png");
    KEEP("100%.png", "100%.png");
    KEEP("a b (1).png", "a b (1).png");
}

Test(archive, names_renamed)
{
    /* names that are harmless once escaped run under the escaped form */
    RENAME("tab\there.png", "control", "tab%09here.png");
    RENAME("esc\x1b[31m.png", "control", "esc%1B[31m.png");
    RENAME("del\x7f.png", "control", "del%7F.png");
    RENAME("c1\xc2\x9b.png", "control", "c1%C2%9B.png");
    RENAME("caf\xe9.png", "UTF-8", "caf%E9.png");                 /* Latin-1 */
    RENAME("\x83\x65\x83\x58\x83\x67.png", "UTF-8", "%83e%83X%83g.png"); /* Shift-JIS */
    RENAME("overlong\xc0\xaf.png", "UTF-8", "overlong%C0%AF.png");
    RENAME("surrogate\xed\xa0\x80.png", "UTF-8", "surrogate%ED%A0%80.png");
    RENAME("cut\xe6\x97", "UTF-8", "cut%E6%97");
    RENAME("100%\xff", "UTF-8", "100%25%FF");
    RENAME("/abs/./caf\xe9\xc3\xa9.png", "UTF-8", "abs/caf%E9\xc3\xa9.png"); /* normalised first */
}

Test(archive, names_refused)
{
    REFUSE("../x.png", "..", "%2E%2E/x.png");
    REFUSE("a/../../b.png", "..", "a/%2E%2E/%2E%2E/b.png");
    REFUSE("a/..", "..", "a/%2E%2E");
    REFUSE("/..", "..", "/%2E%2E");
    REFUSE("..\\win\\x.png", "..", "%2E%2E\\win\\x.png");
    REFUSE("a\\..\\b.png", "..", "a\\%2E%2E\\b.png");
    REFUSE("bad\xff/../x", "..", "bad%FF/%2E%2E/x");
    REFUSE("ok.png\0../../x", "NUL", "ok.png%00%2E%2E/%2E%2E/x");
    REFUSE("", "empty", "(empty name)");
    REFUSE(".", "empty", ".");
    REFUSE("./", "empty", "./");
    REFUSE("//", "empty", "//");
}

Test(archive, long_names)
{
    char raw[2100], out[ARC_ID_CAP], out2[ARC_ID_CAP];
    const char *why = NULL;
    memset(raw, 'a', sizeof raw);
    /* 1024 bytes is the most kept as it is */
    cr_expect_eq(id_of(raw, ARC_NAME_MAX, out, &why), ARC_NAME_OK);
    cr_expect_eq(strlen(out), ARC_NAME_MAX);
    /* a leading "/" does not count */
    raw[0] = '/';
    cr_expect_eq(id_of(raw, ARC_NAME_MAX + 1, out, &why), ARC_NAME_OK);
    raw[0] = 'a';
    cr_assert_eq(id_of(raw, ARC_NAME_MAX + 1, out, &why), ARC_NAME_RENAMED);
    cr_expect(strstr(why, "1024") != NULL, "%s", why);
    cr_expect_lt(strlen(out), 300);
    cr_expect(strstr(out, "...#") != NULL, "%s", out);
    /* two long names differing only at the end still differ */
    raw[2000] = 'b';
    cr_assert_eq(id_of(raw, 2001, out2, &why), ARC_NAME_RENAMED);
    cr_assert_eq(id_of(raw, 2002, out, &why), ARC_NAME_RENAMED);
    cr_expect_str_neq(out, out2);
    /* long and climbing out: refused, with a bounded display form */
    memcpy(raw, "../", 3);
    cr_assert_eq(id_of(raw, sizeof raw, out, &why), ARC_NAME_REFUSED);
    cr_expect_lt(strlen(out), 300);
}

Test(archive, escaped_forms_are_safe)
{
    /* every byte value, in a renamed and in a refused name: no control
     * characters, no invalid UTF-8, no "..", no raw '%' */
    char raw[258], out[ARC_ID_CAP];
    const char *why = NULL;
    for (int pass = 0; pass < 2; pass++) {
        for (int i = 0; i < 256; i++)
            raw[i] = (char)(i == 0 || i == '/' || i == '.' ? 'x' : i);
        size_t n = 255;
        if (pass)
            memcpy(raw + 255, "/..", 3), n = 258;
        enum arc_name v = id_of(raw, n, out, &why);
        cr_expect_eq(v, pass ? ARC_NAME_REFUSED : ARC_NAME_RENAMED);
        for (const unsigned char *p = (const unsigned char *)out; *p; p++) {
            cr_expect(*p >= 0x20 && *p != 0x7f, "control byte %02x", *p);
            if (*p == '%')
                cr_expect(p[1] && p[2], "a %% is always an escape");
        }
        cr_expect(strstr(out, "..") == NULL || strstr(out, "...#"), "%s", out);
    }
}
