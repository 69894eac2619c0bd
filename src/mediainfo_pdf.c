/* mediainfo_pdf.c: the pages of a PDF, read the way a reader finds them: a
 * linearized file's /N, else the trailer's /Root to /Pages and its /Count
 * through the cross-reference (tables or streams, FlateDecode with PNG
 * predictors, /Prev chains). Bounded: a few objects of at most PDF_OBJ
 * bytes, inflated streams of at most PDF_XREF_MAX. Calls only zlib and the
 * reader in mediainfo_int.h. */
#include "mediainfo_int.h"

#include <stdlib.h>
#include <string.h>
#include <zlib.h>

enum {
    PDF_TAIL = 4096,            /* where "startxref" is looked for */
    PDF_OBJ = 65536,            /* bytes of one object read to find a key in it */
    PDF_XREF_MAX = 8 << 20,     /* an inflated xref or object stream */
    PDF_CHAIN = 32,             /* /Prev links followed */
};

_Static_assert(PDF_TAIL < PDF_OBJ, "the tail is read into an object buffer");

/* The integer after key (e.g. "/Count") in s[0..n), or -1; key must not be
 * the start of a longer name ("/Count" in "/Counter"). */
static long long pdf_int(const char *s, size_t n, const char *key)
{
    size_t k = strlen(key);
    for (const char *p = s; (p = memmem(p, n - (size_t)(p - s), key, k)); p += k) {
        const char *q = p + k, *e = s + n;
        if (q < e && ((*q >= 'a' && *q <= 'z') || (*q >= 'A' && *q <= 'Z')))
            continue;
        while (q < e && strchr(" \t\r\n\f", *q))
            q++;
        if (q >= e || *q < '0' || *q > '9')
            return -1;
        long long v = 0;
        while (q < e && *q >= '0' && *q <= '9' && v < 1000000000LL)
            v = v * 10 + (*q++ - '0');
        return v;
    }
    return -1;
}

/* "/Key N G R": N, or -1. */
static long long pdf_ref(const char *s, size_t n, const char *key)
{
    long long v = pdf_int(s, n, key);
    if (v < 0)
        return -1;
    const char *p = memmem(s, n, key, strlen(key));
    const char *e = s + n;
    p += strlen(key);
    int words = 0;
    while (p < e && words < 3) { /* N G R */
        while (p < e && strchr(" \t\r\n\f", *p))
            p++;
        const char *w = p;
        while (p < e && !strchr(" \t\r\n\f/<>[]", *p))
            p++;
        if (p == w)
            break;
        if (++words == 3 && !(p - w == 1 && *w == 'R'))
            return -1;
    }
    return words == 3 ? v : -1;
}

struct pdf {
    const struct rd *r;
    char *buf;                  /* PDF_OBJ bytes of scratch */
};

/* Inflate in[0..n) (FlateDecode) into a new buffer of at most PDF_XREF_MAX. */
static unsigned char *inflate_all(const unsigned char *in, size_t n, size_t *outn)
{
    z_stream z;
    memset(&z, 0, sizeof z);
    if (inflateInit(&z) != Z_OK)
        return NULL;
    size_t cap = 65536, len = 0;
    unsigned char *out = malloc(cap);
    z.next_in = (unsigned char *)in;
    z.avail_in = (uInt)n;
    int rc = Z_OK;
    while (out && rc == Z_OK) {
        if (len == cap) {
            if (cap >= PDF_XREF_MAX)
                break;
            unsigned char *no = realloc(out, cap * 2);
            if (!no)
                break;
            out = no;
            cap *= 2;
        }
        z.next_out = out + len;
        z.avail_out = (uInt)(cap - len);
        rc = inflate(&z, Z_NO_FLUSH);
        len = cap - z.avail_out;
    }
    inflateEnd(&z);
    if (!out || rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *outn = len;
    return out;
}

/* Undo PNG row filters (a /Predictor of 10 or more, one byte per sample as
 * xref streams have): rows of 1 + cols bytes become rows of cols, in place. */
static int png_unpredict(unsigned char *d, size_t n, size_t cols, size_t *outn)
{
    size_t rowlen = cols + 1;
    if (!cols || n % rowlen)
        return -1;
    size_t rows = n / rowlen;
    for (size_t r = 0; r < rows; r++) {
        unsigned char type = d[r * rowlen];
        const unsigned char *in = d + r * rowlen + 1;
        unsigned char *out = d + r * cols;
        const unsigned char *up = r ? d + (r - 1) * cols : NULL;
        for (size_t i = 0; i < cols; i++) {
            int a = i ? out[i - 1] : 0, b = up ? up[i] : 0, c = i && up ? up[i - 1] : 0;
            int v = in[i];
            switch (type) {
            case 0: break;
            case 1: v += a; break;
            case 2: v += b; break;
            case 3: v += (a + b) / 2; break;
            case 4: {
                int pp = a + b - c, pa = abs(pp - a), pb = abs(pp - b), pc = abs(pp - c);
                v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
                break;
            }
            default: return -1;
            }
            out[i] = (unsigned char)v; /* written behind what is still to be read */
        }
    }
    *outn = rows * cols;
    return 0;
}

/* The stream of the object whose dictionary is d[0..dn) and whose data
 * starts after "stream" at off: its bytes, inflated and unfiltered (new
 * buffer). */
static unsigned char *pdf_stream(struct pdf *p, const char *d, size_t dn, uint64_t off,
                                 size_t *outn)
{
    long long len = pdf_int(d, dn, "/Length");
    if (len <= 0 || len > PDF_XREF_MAX || !memmem(d, dn, "/FlateDecode", 12))
        return NULL;
    long long pred = pdf_int(d, dn, "/Predictor"), cols = pdf_int(d, dn, "/Columns");
    if (pred > 1 && (pred < 10 || cols <= 0 || cols > 64 || pdf_int(d, dn, "/Colors") > 1 ||
                     pdf_int(d, dn, "/BitsPerComponent") > 8))
        return NULL; /* TIFF predictors and wide samples: not in xref streams */
    unsigned char *raw = malloc((size_t)len);
    if (!raw || at(p->r, off, raw, (size_t)len)) {
        free(raw);
        return NULL;
    }
    unsigned char *out = inflate_all(raw, (size_t)len, outn);
    free(raw);
    if (out && pred >= 10 && png_unpredict(out, *outn, (size_t)cols, outn)) {
        free(out);
        return NULL;
    }
    return out;
}

/* Read the object at off into p->buf: its text up to "endobj" (or the
 * buffer's end). Returns its length; *stream_off set after "stream". */
static size_t pdf_read_obj(struct pdf *p, uint64_t off, uint64_t *stream_off)
{
    size_t n = p->r->size - off < PDF_OBJ - 1 ? (size_t)(p->r->size - off) : PDF_OBJ - 1;
    if (off >= p->r->size || at(p->r, off, p->buf, n))
        return 0;
    p->buf[n] = '\0';
    char *st = memmem(p->buf, n, "stream", 6);
    char *eo = memmem(p->buf, n, "endobj", 6);
    if (st && (!eo || st < eo)) {
        const char *q = st + 6;
        if (q < p->buf + n && *q == '\r')
            q++;
        if (q < p->buf + n && *q == '\n')
            q++;
        *stream_off = off + (uint64_t)(q - p->buf);
        return (size_t)(st - p->buf);
    }
    *stream_off = 0;
    return eo ? (size_t)(eo - p->buf) : n;
}

/* Where object num lives, by the cross-reference at xref (a table or a
 * stream), following /Prev: *off for a plain object; for one inside an
 * object stream, *in_stream its number and *index its place. Also the
 * trailer's /Root, from the newest section, into *root (when not set). */
static int pdf_locate(struct pdf *p, uint64_t xref, long long num, long long *root,
                      uint64_t *off, long long *in_stream, long long *index)
{
    for (int hop = 0; hop < PDF_CHAIN; hop++) {
        char head[32];
        size_t hn = p->r->size - xref < sizeof head ? (size_t)(p->r->size - xref) : sizeof head;
        if (xref >= p->r->size || at(p->r, xref, head, hn))
            return -1;
        long long prev = -1;
        if (hn >= 4 && !memcmp(head, "xref", 4)) {
            /* subsections "first count" of 20-byte entries, then "trailer" */
            uint64_t o = xref + 4;
            int found = 0;
            for (int s = 0; s < MAX_BOXES; s++) {
                char line[64];
                size_t ln = p->r->size - o < sizeof line - 1 ? (size_t)(p->r->size - o)
                                                             : sizeof line - 1;
                if (!ln || at(p->r, o, line, ln))
                    return -1;
                line[ln] = '\0';
                char *q = line;
                while (*q && strchr(" \t\r\n", *q))
                    q++;
                o += (uint64_t)(q - line);
                if (!strncmp(q, "trailer", 7))
                    break;
                char *e1, *e2;
                long long first = strtoll(q, &e1, 10), count = strtoll(e1, &e2, 10);
                if (e1 == q || e2 == e1 || first < 0 || count < 0)
                    return -1;
                while (*e2 == ' ' || *e2 == '\t')
                    e2++;
                while (*e2 == '\r' || *e2 == '\n')
                    e2++;
                o += (uint64_t)(e2 - q);
                if (!found && num >= first && num < first + count) {
                    char ent[20];
                    if (at(p->r, o + (uint64_t)(num - first) * 20, ent, 20))
                        return -1;
                    if (ent[17] == 'n') {
                        *off = strtoull(ent, NULL, 10);
                        *in_stream = -1;
                        found = 1;
                    }
                }
                o += (uint64_t)count * 20;
            }
            size_t tn = p->r->size - o < PDF_OBJ - 1 ? (size_t)(p->r->size - o) : PDF_OBJ - 1;
            if (at(p->r, o, p->buf, tn))
                return -1;
            char *endd = memmem(p->buf, tn, ">>", 2); /* the trailer dictionary, roughly */
            size_t dn = endd ? (size_t)(endd - p->buf) + 2 : tn;
            if (*root < 0)
                *root = pdf_ref(p->buf, dn, "/Root");
            if (found)
                return 0;
            prev = pdf_int(p->buf, dn, "/Prev");
        } else {
            /* a cross-reference stream: "N G obj << /Type /XRef /W [..] ... >> stream" */
            uint64_t so;
            size_t dn = pdf_read_obj(p, xref, &so);
            if (!dn || !so || !memmem(p->buf, dn, "/XRef", 5))
                return -1;
            if (*root < 0)
                *root = pdf_ref(p->buf, dn, "/Root");
            prev = pdf_int(p->buf, dn, "/Prev");
            long long size = pdf_int(p->buf, dn, "/Size");
            const char *w = memmem(p->buf, dn, "/W", 2);
            long long wv[3] = {-1, -1, -1}, ix[2 * 64];
            int nix = 0;
            if (!w || size < 0)
                return -1;
            w += 2;
            while (*w && *w != '[')
                w++;
            for (int k = 0; k < 3 && *w; k++) {
                while (*w && (*w < '0' || *w > '9'))
                    w++;
                wv[k] = strtoll(w, (char **)&w, 10);
            }
            if (wv[0] < 0 || wv[1] < 1 || wv[2] < 0 || wv[0] > 8 || wv[1] > 8 || wv[2] > 8)
                return -1;
            const char *in = memmem(p->buf, dn, "/Index", 6);
            if (in) {
                in += 6;
                while (*in && *in != '[')
                    in++;
                while (*in && *in != ']' && nix < 2 * 64) {
                    while (*in == ' ' || *in == '[' || *in == '\r' || *in == '\n')
                        in++;
                    if (*in < '0' || *in > '9')
                        break;
                    ix[nix++] = strtoll(in, (char **)&in, 10);
                }
                if (nix % 2)
                    return -1;
            } else {
                ix[0] = 0, ix[1] = size, nix = 2;
            }
            char dict[PDF_OBJ];
            memcpy(dict, p->buf, dn);
            size_t rown = (size_t)(wv[0] + wv[1] + wv[2]), n = 0;
            unsigned char *rows = pdf_stream(p, dict, dn, so, &n);
            if (!rows)
                return -1;
            size_t row = 0;
            int found = 0;
            for (int k = 0; k < nix && !found; k += 2) {
                if (num >= ix[k] && num < ix[k] + ix[k + 1]) {
                    size_t at_row = row + (size_t)(num - ix[k]);
                    if ((at_row + 1) * rown > n)
                        break;
                    const unsigned char *e = rows + at_row * rown;
                    uint64_t f[3] = {wv[0] ? 0 : 1, 0, 0};
                    for (int c = 0, pos = 0; c < 3; pos += (int)wv[c], c++)
                        for (int b = 0; b < wv[c]; b++)
                            f[c] = f[c] << 8 | e[pos + b];
                    if (f[0] == 1) {
                        *off = f[1], *in_stream = -1, found = 1;
                    } else if (f[0] == 2) {
                        *in_stream = (long long)f[1], *index = (long long)f[2], found = 1;
                    }
                }
                row += (size_t)ix[k + 1];
            }
            free(rows);
            if (found)
                return 0;
        }
        if (prev < 0 || (uint64_t)prev >= p->r->size)
            return -1;
        xref = (uint64_t)prev;
    }
    return -1;
}

/* The text of object num into p->buf (from its offset, or from inside its
 * object stream); its length, or 0. */
static size_t pdf_object(struct pdf *p, uint64_t xref, long long num)
{
    long long root = 0, in_stream = -1, index = -1; /* root already known: not looked up */
    uint64_t off = 0, so;
    if (pdf_locate(p, xref, num, &root, &off, &in_stream, &index))
        return 0;
    if (in_stream < 0)
        return pdf_read_obj(p, off, &so);
    /* inside an object stream: "num off num off ..." then the objects, at /First */
    uint64_t soff;
    long long r2 = 0, s2, i2;
    if (pdf_locate(p, xref, in_stream, &r2, &soff, &s2, &i2) || s2 >= 0)
        return 0;
    size_t dn = pdf_read_obj(p, soff, &so);
    if (!dn || !so)
        return 0;
    long long first = pdf_int(p->buf, dn, "/First"), count = pdf_int(p->buf, dn, "/N");
    char dict[PDF_OBJ];
    memcpy(dict, p->buf, dn);
    size_t n = 0;
    unsigned char *s = pdf_stream(p, dict, dn, so, &n);
    if (!s || first < 0 || count <= index || (size_t)first > n) {
        free(s);
        return 0;
    }
    const char *q = (const char *)s, *e = (const char *)s + first;
    long long rel = -1;
    for (long long k = 0; k <= index && q < e; k++) {
        char *end;
        long long on = strtoll(q, &end, 10);
        long long oo = strtoll(end, &end, 10);
        if (end == q)
            break;
        q = end;
        if (k == index && on == num)
            rel = oo;
    }
    size_t len = 0;
    if (rel >= 0 && (size_t)first + (size_t)rel < n) {
        len = n - (size_t)first - (size_t)rel;
        if (len > PDF_OBJ - 1)
            len = PDF_OBJ - 1;
        memcpy(p->buf, s + first + rel, len);
        p->buf[len] = '\0';
    }
    free(s);
    return len;
}

/* Pages of a PDF: a linearized file says /N in its first object; any other
 * is followed from the trailer's /Root to /Pages and its /Count, through
 * the cross-reference (tables or streams, with /Prev). */
long mi_pdf_pages(const struct rd *r, const char **how)
{
    struct pdf p = {r, malloc(PDF_OBJ)};
    long pages = -1;
    if (!p.buf)
        return -1;
    size_t n = r->size < 1024 ? (size_t)r->size : 1024;
    if (at(r, 0, p.buf, n) || memcmp(p.buf, "%PDF-", 5))
        goto out;
    p.buf[n] = '\0';
    if (memmem(p.buf, n, "/Linearized", 11)) {
        long long v = pdf_int(p.buf, n, "/N");
        if (v > 0) {
            *how = "linearized";
            pages = (long)v;
            goto out;
        }
    }
    size_t tn = r->size < PDF_TAIL ? (size_t)r->size : PDF_TAIL;
    if (at(r, r->size - tn, p.buf, tn))
        goto out;
    char *sx = NULL;
    for (char *q = p.buf; (q = memmem(q, tn - (size_t)(q - p.buf), "startxref", 9)); q += 9)
        sx = q;
    if (!sx)
        goto out;
    long long xref = strtoll(sx + 9, NULL, 10);
    if (xref <= 0 || (uint64_t)xref >= r->size)
        goto out;
    long long root = -1, in_stream, index;
    uint64_t off;
    /* the root's number comes from the trailer found on the way */
    if (pdf_locate(&p, (uint64_t)xref, -1, &root, &off, &in_stream, &index) && root < 0)
        goto out;
    size_t dn = root >= 0 ? pdf_object(&p, (uint64_t)xref, root) : 0;
    long long pages_obj = dn ? pdf_ref(p.buf, dn, "/Pages") : -1;
    dn = pages_obj >= 0 ? pdf_object(&p, (uint64_t)xref, pages_obj) : 0;
    long long count = dn ? pdf_int(p.buf, dn, "/Count") : -1;
    if (count > 0) {
        *how = "xref";
        pages = (long)count;
    }
out:
    free(p.buf);
    return pages;
}
