/* archive_id.c: what needs no libarchive: telling an archive or compressed
 * stream by an input's first bytes (arc_detect), and an entry's name as a
 * job id, refused, renamed or kept (arc_entry_id; folder.c uses it too).
 * Pure functions over bytes: no I/O, no allocation. Calls only hash64. */
#include "archive.h"
#include "utf8.h"
#include "err.h"
#include "hash64.h"

#include <stdio.h>
#include <string.h>

enum {
    SHOW_MAX = 240, /* escaped form of a name */
};

/* ---- detection ------------------------------------------------------------------ */

static int has(const unsigned char *b, size_t n, size_t off, const char *sig, size_t len)
{
    return n >= off + len && memcmp(b + off, sig, len) == 0;
}

static int all_in(const unsigned char *b, size_t n, size_t off, size_t len, const char *set)
{
    if (n < off + len)
        return 0;
    for (size_t i = off; i < off + len; i++)
        if (!b[i] || !strchr(set, b[i]))
            return 0;
    return 1;
}

/* A tar header: its checksum must match, whatever the magic says, so a text
 * that happens to hold "ustar" at offset 257 is never taken for one. */
static int tar_header(const unsigned char *b, size_t n)
{
    if (n < 512 || !b[0])
        return 0;
    size_t i = 148, end = 156;
    while (i < end && b[i] == ' ')
        i++;
    unsigned long want = 0;
    size_t digits = 0;
    while (i < end && b[i] >= '0' && b[i] <= '7') {
        want = want * 8 + (unsigned long)(b[i] - '0');
        i++;
        digits++;
    }
    if (!digits)
        return 0;
    for (; i < end; i++)
        if (b[i] != ' ' && b[i] != '\0')
            return 0;
    unsigned long usum = 0;
    long ssum = 0;
    for (size_t k = 0; k < 512; k++) {
        unsigned char c = k >= 148 && k < 156 ? ' ' : b[k];
        usum += c;
        ssum += (signed char)c;
    }
    return want == usum || (long)want == ssum;
}

int arc_detect(const unsigned char *b, size_t n)
{
    static const char oct[] = "01234567", hex[] = "0123456789abcdefABCDEF";
    if (has(b, n, 0, "\x1f\x8b\x08", 3) ||                    /* gzip */
        has(b, n, 0, "\xfd" "7zXZ\0", 6) ||                   /* xz */
        has(b, n, 0, "\x28\xb5\x2f\xfd", 4) ||                /* zstd */
        has(b, n, 0, "\x04\x22\x4d\x18", 4) ||                /* lz4 */
        has(b, n, 0, "\x02\x21\x4c\x18", 4) ||                /* lz4 legacy */
        has(b, n, 0, "LZIP", 4) ||                            /* lzip */
        has(b, n, 0, "\x1f\x9d", 2) ||                        /* compress (.Z) */
        has(b, n, 0, "PK\x03\x04", 4) || has(b, n, 0, "PK\x05\x06", 4) ||
        has(b, n, 0, "PK\x07\x08PK\x03\x04", 8) ||            /* zip (empty, spanned) */
        has(b, n, 0, "7z\xbc\xaf\x27\x1c", 6) ||              /* 7z */
        has(b, n, 0, "Rar!\x1a\x07", 6) ||                    /* rar 4 and 5 */
        has(b, n, 0, "!<arch>\n", 8) ||                       /* ar */
        has(b, n, 0, "xar!", 4) || has(b, n, 0, "MSCF\0\0\0\0", 8))
        return 1;
    /* bzip2: "BZh", the block size, then a block or end-of-stream magic */
    if (has(b, n, 0, "BZh", 3) && n >= 10 && b[3] >= '1' && b[3] <= '9' &&
        (has(b, n, 4, "\x31\x41\x59\x26\x53\x59", 6) ||
         has(b, n, 4, "\x17\x72\x45\x38\x50\x90", 6)))
        return 1;
    /* cpio: odc (76-byte octal header), newc and crc (110-byte hex header),
     * old binary (magic 070707 as a 16-bit word, either byte order) */
    if (has(b, n, 0, "070707", 6) && all_in(b, n, 6, 70, oct))
        return 1;
    if ((has(b, n, 0, "070701", 6) || has(b, n, 0, "070702", 6)) && all_in(b, n, 6, 104, hex))
        return 1;
    if (n >= 26 && ((b[0] == 0xc7 && b[1] == 0x71) || (b[0] == 0x71 && b[1] == 0xc7)))
        return 1;
    return tar_header(b, n);
}

/* ---- names ---------------------------------------------------------------------- */

/* The UTF-8 sequence at s when it is no C0 or C1 control ('%' allowed), or 0. */
static size_t plain_seq_pct(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] != 0x7f;
    size_t k = utf8_seq(s, n, NULL);
    return k == 2 && s[0] == 0xc2 && s[1] < 0xa0 ? 0 : k;
}

int arc_name_plain(const char *name, size_t n)
{
    const unsigned char *s = (const unsigned char *)name;
    for (size_t i = 0; i < n;) {
        size_t q = plain_seq_pct(s + i, n - i);
        if (!q)
            return 0;
        i += q;
    }
    return 1;
}

/* Is s[0..n) (a component between '/'s) ".." or, split at '\\' as Windows
 * tools write it, does it hold one? */
static int climbs(const unsigned char *s, size_t n)
{
    size_t i = 0;
    while (i <= n) {
        size_t j = i;
        while (j < n && s[j] != '\\')
            j++;
        if (j - i == 2 && s[i] == '.' && s[i + 1] == '.')
            return 1;
        i = j + 1;
    }
    return 0;
}

/* The usable UTF-8 sequence at s (not a C0 or C1 control, not '%'), or 0. */
static size_t plain_seq(const unsigned char *s, size_t n)
{
    if (s[0] < 0x80)
        return s[0] >= 0x20 && s[0] != 0x7f && s[0] != '%';
    size_t k = utf8_seq(s, n, NULL);
    return k == 2 && s[0] == 0xc2 && s[1] < 0xa0 ? 0 : k;
}

/* s with every byte that is not plain UTF-8, '%' and (dotdot) every ".." as
 * %XX; long ones cut, with a hash of the whole so distinct names stay
 * distinct. Never empty. */
static void escape(const unsigned char *s, size_t n, int dotdot, char *out, size_t outsz)
{
    size_t k = 0, i = 0;
    while (i < n && k + 12 < SHOW_MAX) {
        size_t q = plain_seq(s + i, n - i);
        if (dotdot && i + 1 < n && s[i] == '.' && s[i + 1] == '.') {
            k += (size_t)snprintf(out + k, outsz - k, "%%2E%%2E");
            i += 2;
        } else if (q) {
            memcpy(out + k, s + i, q);
            k += q;
            i += q;
        } else {
            k += (size_t)snprintf(out + k, outsz - k, "%%%02X", s[i]);
            i++;
        }
    }
    if (i < n)
        k += (size_t)snprintf(out + k, outsz - k, "...#%016llx",
                              (unsigned long long)hash64(s, n, 0));
    if (!k)
        k = (size_t)snprintf(out, outsz, "(empty name)");
    out[k] = '\0';
}

enum arc_name arc_entry_id(const char *raw, size_t n, char *out, size_t outsz, const char **why)
{
    GB_ASSERT(outsz >= ARC_ID_CAP);
    const unsigned char *s = (const unsigned char *)raw;
    *why = NULL;
    /* the path, without leading "/", empty and "." components */
    unsigned char norm[ARC_NAME_MAX + 1];
    size_t k = 0;
    int cut = 0;
    if (memchr(s, 0, n))
        *why = "the name holds a NUL byte";
    for (size_t i = 0; i <= n && !*why;) {
        size_t j = i;
        while (j < n && s[j] != '/')
            j++;
        size_t len = j - i;
        if (climbs(s + i, len)) {
            *why = "a \"..\" component would climb out of the archive's folder";
        } else if (len && !(len == 1 && s[i] == '.')) {
            if (k && k < sizeof norm)
                norm[k++] = '/';
            size_t room = sizeof norm - k;
            cut |= len > room;
            memcpy(norm + k, s + i, len < room ? len : room);
            k += len < room ? len : room;
        }
        i = j + 1;
    }
    if (!*why && !k)
        *why = "the name is empty";
    if (*why) {
        escape(s, n, 1, out, outsz);
        return ARC_NAME_REFUSED;
    }
    if (k > ARC_NAME_MAX || cut) {
        *why = "the name is longer than 1024 bytes";
    } else {
        for (size_t i = 0; i < k && !*why;) {
            size_t q = utf8_seq(norm + i, k - i, NULL);
            if (norm[i] < 0x80 && (norm[i] < 0x20 || norm[i] == 0x7f))
                *why = "the name holds a control character";
            else if (norm[i] >= 0x80 && !q)
                *why = "the name is not valid UTF-8";
            else if (q == 2 && norm[i] == 0xc2 && norm[i + 1] < 0xa0)
                *why = "the name holds a control character"; /* C1: U+0080..U+009F */
            i += norm[i] < 0x80 ? 1 : q;
        }
    }
    if (*why) {
        if (cut || k > ARC_NAME_MAX) /* the hash must cover the whole name */
            escape(s, n, 0, out, outsz);
        else
            escape(norm, k, 0, out, outsz);
        return ARC_NAME_RENAMED;
    }
    memcpy(out, norm, k);
    out[k] = '\0';
    return ARC_NAME_OK;
}
