/* imgstream.c: the incremental scanner of imgstream.h. A small JSON
 * structure follower (a stack of objects and arrays, the current key of
 * each object) under an SSE line splitter; media strings are held until
 * they pass the threshold, then unescaped and base64-decoded chunk by chunk
 * into a spool file. Memory per stream: the threshold plus ~16 KiB,
 * whatever the body's size. Never parses or validates JSON: the caller's
 * parser still sees every byte but the spooled ones. */
#include "imgstream.h"
#include "err.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <stddef.h>
#include <string.h>
#include <sys/random.h>
#include <unistd.h>

#include "fsx.h"

enum key_id { K_OTHER, K_DATA, K_OUTPUTS, K_CONTENT, K_DELTA };
enum role { R_PLAIN, R_KEY, R_PEND, R_SPOOL, R_DISCARD };
enum line_state { LS_FIELD, LS_DATA_SPACE, LS_DATA, LS_OTHER };

int imgs_init(struct imgstream *s, enum imgs_mode mode, int spool_dirfd, size_t threshold,
              size_t max_items)
{
    memset(s, 0, offsetof(struct imgstream, chars));
    s->mode = mode;
    s->spool_dirfd = spool_dirfd;
    s->threshold = threshold ? threshold : IMGS_THRESHOLD_DEFAULT;
    s->max_item_bytes = IMGS_MAX_ITEM_DEFAULT;
    s->max_items = max_items;
    s->fd = -1;
    s->nu = -1;
    buf_init(&s->pend, s->threshold);
    uint64_t r = 0;
    if (getrandom(&r, sizeof r, 0) != (ssize_t)sizeof r)
        r = now_us() ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)s;
    snprintf(s->nonce, sizeof s->nonce, "%016llx", (unsigned long long)r);
    return 0;
}

/* ---- the spool file of one media string ------------------------------------------ */

static int start_item(struct imgstream *s, struct buf *out)
{
    if (s->n >= s->max_items) {
        s->over_limit = 1;
        return GB_ELIMIT;
    }
    if (s->n == s->cap) {
        size_t nc = s->cap ? s->cap * 2 : 8;
        struct imgs_item *ni = realloc(s->items, nc * sizeof *ni);
        if (!ni)
            return GB_ENOMEM;
        s->items = ni;
        s->cap = nc;
    }
    struct imgs_item *it = &s->items[s->n];
    memset(it, 0, sizeof *it);
    snprintf(it->spool, sizeof it->spool, "img-%s-%zu", s->nonce, s->n);
    /* 0666: the umask decides, as for the image it becomes */
    s->fd = openat(s->spool_dirfd, it->spool, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
                   0666);
    if (s->fd < 0) {
        s->failed = 1;
        s->err = errno;
        return GB_EIO;
    }
    s->cur = it;
    s->n++;
    b64_dec_init(&s->dec);
    s->nchars = 0;
    char ph[64];
    int pl = snprintf(ph, sizeof ph, IMGS_PLACEHOLDER_PREFIX "%s:%zu", s->nonce, s->n - 1);
    return buf_append(out, ph, (size_t)pl);
}

/* The item went wrong: its file goes, the rest of its string is skipped. */
static void spoil(struct imgstream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    s->fd = -1;
    if (s->cur) {
        unlinkat(s->spool_dirfd, s->cur->spool, 0);
        s->cur->bad = 1;
        s->cur = NULL;
    }
    s->nchars = 0;
}

static int decode_chars(struct imgstream *s)
{
    if (!s->nchars || !s->cur)
        return 0;
    long long got = b64_dec_update(&s->dec, s->chars, s->nchars, s->bytes);
    s->nchars = 0;
    if (got < 0) {
        spoil(s);
        s->str_role = R_DISCARD;
        return 0;
    }
    if (fsx_write_all(s->fd, s->bytes, (size_t)got)) {
        s->failed = 1;
        s->err = errno;
        spoil(s);
        return GB_EIO;
    }
    s->cur->bytes += (uint64_t)got;
    if (s->cur->bytes > s->max_item_bytes) {
        s->too_big = 1;
        spoil(s); /* its file goes */
        return GB_ELIMIT;
    }
    return 0;
}

static int put_char(struct imgstream *s, char c)
{
    s->chars[s->nchars++] = c;
    return s->nchars == sizeof s->chars ? decode_chars(s) : 0;
}

static int end_item(struct imgstream *s)
{
    int rc = decode_chars(s);
    if (rc || !s->cur)
        return rc;
    long long got = b64_dec_final(&s->dec, s->bytes);
    if (got < 0 || s->cur->bytes + (uint64_t)got == 0) {
        spoil(s); /* not valid base64: the caller sees a bad item, as decode_images did */
        return 0;
    }
    if (fsx_write_all(s->fd, s->bytes, (size_t)got) || close(s->fd)) {
        s->fd = -1;
        s->failed = 1;
        s->err = errno;
        spoil(s);
        return GB_EIO;
    }
    s->fd = -1;
    s->cur->bytes += (uint64_t)got;
    s->cur = NULL;
    return 0;
}

/* One character of a spooled string's raw JSON text (escapes undone). */
static int spool_byte(struct imgstream *s, unsigned char c)
{
    if (s->nu >= 0) { /* inside \uXXXX */
        int v = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (v < 0) {
            s->nu = -1;
            return put_char(s, '!'); /* not base64: spoils the item */
        }
        s->uval = s->uval << 4 | (unsigned)v;
        if (++s->nu < 4)
            return 0;
        s->nu = -1;
        return put_char(s, s->uval < 0x80 ? (char)s->uval : '!');
    }
    if (s->esc) {
        s->esc = 0;
        if (c == 'u') {
            s->nu = 0;
            s->uval = 0;
            return 0;
        }
        /* \/ is '/'; \" \\ \n ... are not base64 and spoil it */
        return put_char(s, c == '/' ? '/' : '!');
    }
    return put_char(s, (char)c);
}

/* ---- JSON structure ---------------------------------------------------------------- */

static struct imgs_level *top(struct imgstream *s)
{
    return s->depth > 0 && s->depth <= IMGS_MAXDEPTH ? &s->lv[s->depth - 1] : NULL;
}

static void open_container(struct imgstream *s, int obj)
{
    struct imgs_level *p = top(s);
    s->depth++;
    struct imgs_level *l = top(s);
    if (!l)
        return;
    memset(l, 0, sizeof *l);
    l->obj = (unsigned char)obj;
    l->expect_key = (unsigned char)obj;
    if (obj)
        l->cand = p && ((!p->obj && (p->key == K_OUTPUTS || p->key == K_CONTENT)) ||
                        (p->obj && p->key == K_DELTA));
    else
        l->key = p && p->obj ? p->key : K_OTHER;
}

static void key_done(struct imgstream *s)
{
    struct imgs_level *l = top(s);
    if (!l)
        return;
    static const struct {
        const char *name;
        enum key_id id;
    } keys[] = {{"data", K_DATA}, {"outputs", K_OUTPUTS}, {"content", K_CONTENT},
                {"delta", K_DELTA}};
    l->key = K_OTHER;
    l->expect_key = 0;
    for (size_t i = 0; !s->key_odd && i < sizeof keys / sizeof keys[0]; i++)
        if ((size_t)s->keylen == strlen(keys[i].name) &&
            !memcmp(s->key, keys[i].name, (size_t)s->keylen))
            l->key = (unsigned char)keys[i].id;
}

static void reset_json(struct imgstream *s)
{
    if (s->fd >= 0 || s->cur)
        spoil(s);
    s->depth = 0;
    s->in_str = s->esc = 0;
    s->nu = -1;
    s->str_role = R_PLAIN;
    buf_reset(&s->pend);
}

/* Bytes of a string that passes through (a key, a plain value): up to its
 * closing quote. Returns the bytes taken. */
/* A string that is copied through as it is (a key, or a value that is not
 * media): only its end and, for a key, its text matter. Returns the bytes it
 * took; json_feed copies them with the rest of the run. */
static size_t plain_string(struct imgstream *s, const char *p, size_t n)
{
    size_t i = 0;
    if (s->str_role == R_PLAIN && !s->esc) /* the common case: text up to a quote or escape */
        while (i < n && p[i] != '"' && p[i] != '\\')
            i++;
    for (; i < n; i++) {
        char c = p[i];
        if (s->str_role == R_KEY && !s->esc && c != '"') {
            if (c == '\\' || s->keylen >= (int)sizeof s->key)
                s->key_odd = 1;
            else
                s->key[s->keylen++] = c;
        }
        if (s->esc) {
            s->esc = 0;
        } else if (c == '\\') {
            s->esc = 1;
        } else if (c == '"') {
            s->in_str = 0;
            if (s->str_role == R_KEY)
                key_done(s);
            i++;
            break;
        }
    }
    return i;
}

static size_t spool_string(struct imgstream *s, const char *p, size_t n, struct buf *out,
                           int *rc);

/* A media string not yet long enough to spool: held in pend. */
static size_t pend_string(struct imgstream *s, const char *p, size_t n, struct buf *out,
                          int *rc)
{
    size_t i = 0;
    *rc = 0;
    for (; i < n; i++) {
        char c = p[i];
        if (s->esc) {
            s->esc = 0;
        } else if (c == '\\') {
            s->esc = 1;
        } else if (c == '"') { /* short: it goes out as it came */
            s->in_str = 0;
            *rc = buf_append(out, s->pend.data, s->pend.len);
            if (!*rc)
                *rc = buf_append(out, p, i + 1);
            buf_reset(&s->pend);
            return i + 1;
        }
        if (s->pend.len + i + 1 >= s->threshold)
            break;
    }
    if (i == n) {
        *rc = buf_append(&s->pend, p, n);
        return n;
    }
    /* long enough: spool what was held, then go on decoding (the held bytes
     * hold no closing quote, so spool_string takes them all) */
    size_t take = i + 1;
    if ((*rc = buf_append(&s->pend, p, take)))
        return take;
    s->esc = 0;
    s->nu = -1;
    s->str_role = R_SPOOL;
    if (!(*rc = start_item(s, out)))
        spool_string(s, s->pend.data, s->pend.len, out, rc);
    buf_reset(&s->pend);
    return take;
}

/* A spooled (or spoiled) string: decode up to the closing quote. */
static size_t spool_string(struct imgstream *s, const char *p, size_t n, struct buf *out,
                           int *rc)
{
    size_t i = 0;
    *rc = 0;
    while (i < n && !*rc) {
        unsigned char c = (unsigned char)p[i];
        if (!s->esc && s->nu < 0 && c == '"') {
            s->in_str = 0;
            *rc = s->str_role == R_SPOOL ? end_item(s) : 0;
            if (!*rc)
                *rc = buf_append(out, "\"", 1);
            return i + 1;
        }
        if (s->str_role == R_DISCARD) {
            s->esc = !s->esc && c == '\\';
            i++;
            continue;
        }
        if (!s->esc && s->nu < 0 && c == '\\') {
            s->esc = 1;
            i++;
            continue;
        }
        /* the common case: a run of plain base64 characters */
        if (!s->esc && s->nu < 0) {
            size_t k = i;
            while (k < n && p[k] != '"' && p[k] != '\\' && s->nchars < sizeof s->chars)
                s->chars[s->nchars++] = p[k++];
            i = k;
            if (s->nchars == sizeof s->chars)
                *rc = decode_chars(s);
            continue;
        }
        *rc = spool_byte(s, c);
        i++;
        if (s->str_role == R_SPOOL && !s->cur)
            s->str_role = R_DISCARD; /* spoiled by that character */
    }
    if (s->str_role == R_SPOOL && !s->cur && !*rc)
        s->str_role = R_DISCARD;
    return i;
}

/* The characters that change the structure outside a string. */
static const unsigned char structural[256] = {['"'] = 1, ['{'] = 1, ['}'] = 1, ['['] = 1,
                                              [']'] = 1, [','] = 1};

static int json_feed(struct imgstream *s, const char *p, size_t n, struct buf *out)
{
    /* what goes out is the input as it came, but for media strings: a run of
     * it is copied in one append, when a media string starts or the piece
     * ends, not a token at a time */
    size_t i = 0, from = 0;
    int rc = 0;
    while (i < n && !rc) {
        if (s->in_str) {
            if (s->str_role == R_PEND || s->str_role == R_SPOOL || s->str_role == R_DISCARD) {
                if (i > from && (rc = buf_append(out, p + from, i - from)))
                    return rc;
                i += s->str_role == R_PEND ? pend_string(s, p + i, n - i, out, &rc)
                                           : spool_string(s, p + i, n - i, out, &rc);
                from = i;
            } else {
                i += plain_string(s, p + i, n - i);
            }
            continue;
        }
        /* between tokens: structure only */
        while (i < n && !structural[(unsigned char)p[i]])
            i++;
        if (i == n)
            break;
        char c = p[i++];
        struct imgs_level *l = top(s);
        if (c == '"') {
            s->in_str = 1;
            s->esc = 0;
            if (l && l->obj && l->expect_key) {
                s->str_role = R_KEY;
                s->keylen = s->key_odd = 0;
            } else {
                s->str_role = l && l->obj && l->cand && l->key == K_DATA ? R_PEND : R_PLAIN;
            }
        } else if (c == '{' || c == '[') {
            open_container(s, c == '{');
        } else if (c == '}' || c == ']') {
            if (s->depth > 0)
                s->depth--;
        } else if (c == ',' && l && l->obj) {
            l->expect_key = 1;
            l->key = K_OTHER;
        }
    }
    if (!rc && i > from)
        rc = buf_append(out, p + from, i - from);
    return rc;
}

/* ---- SSE framing ------------------------------------------------------------------- */

/* A data line ended inside a string: not JSON (a string holds no line break),
 * so what was held goes out as it came and the structure starts over. */
static int line_break_in_string(struct imgstream *s, struct buf *out)
{
    int rc = 0;
    if (s->in_str && s->str_role == R_PEND)
        rc = buf_append(out, s->pend.data, s->pend.len);
    if (s->in_str)
        reset_json(s);
    return rc;
}

static int sse_feed(struct imgstream *s, const char *p, size_t n, struct buf *out)
{
    size_t i = 0;
    int rc = 0;
    while (i < n && !rc) {
        char c = p[i];
        if (s->saw_cr) {
            s->saw_cr = 0;
            if (c == '\n') { /* the second half of CR LF */
                rc = buf_append(out, "\n", 1);
                i++;
                continue;
            }
        }
        if (c == '\n' || c == '\r') { /* a line ends */
            if (s->ls == LS_DATA)
                rc = line_break_in_string(s, out);
            else if (s->line_len == 0)
                reset_json(s); /* a blank line: the event ends */
            s->saw_cr = c == '\r';
            s->ls = LS_FIELD;
            s->nfield = s->line_len = 0;
            if (!rc)
                rc = buf_append(out, &c, 1);
            i++;
            continue;
        }
        s->line_len++;
        if (s->ls == LS_DATA) {
            size_t k = i;
            while (k < n && p[k] != '\n' && p[k] != '\r')
                k++;
            rc = json_feed(s, p + i, k - i, out);
            s->line_len += (int)(k - i) - 1;
            i = k;
            continue;
        }
        i++;
        if (s->ls == LS_FIELD) {
            if (c == ':')
                s->ls = s->nfield == 4 && !memcmp(s->field, "data", 4) ? LS_DATA_SPACE : LS_OTHER;
            else if (s->nfield < (int)sizeof s->field)
                s->field[s->nfield++] = c;
            else
                s->ls = LS_OTHER;
        } else if (s->ls == LS_DATA_SPACE) {
            s->ls = LS_DATA;
            if (c != ' ') { /* no space after the colon: this is data already */
                rc = json_feed(s, &c, 1, out);
                continue;
            }
        }
        rc = buf_append(out, &c, 1);
    }
    return rc;
}

int imgs_feed(struct imgstream *s, const char *p, size_t n, struct buf *out)
{
    if (s->failed)
        return GB_EIO;
    if (s->over_limit || s->too_big)
        return GB_ELIMIT;
    return s->mode == IMGS_SSE ? sse_feed(s, p, n, out) : json_feed(s, p, n, out);
}

int imgs_finish(struct imgstream *s, struct buf *out)
{
    return line_break_in_string(s, out);
}

struct imgs_item *imgs_lookup(struct imgstream *s, const char *data, size_t len)
{
    size_t pl = sizeof IMGS_PLACEHOLDER_PREFIX - 1;
    if (len < pl + 18 || memcmp(data, IMGS_PLACEHOLDER_PREFIX, pl) ||
        memcmp(data + pl, s->nonce, 16) || data[pl + 16] != ':')
        return NULL;
    size_t idx = 0;
    for (size_t i = pl + 17; i < len; i++) {
        if (data[i] < '0' || data[i] > '9' || idx > s->n)
            return NULL;
        idx = idx * 10 + (size_t)(data[i] - '0');
    }
    return idx < s->n ? &s->items[idx] : NULL;
}

void imgs_claim(struct imgs_item *it)
{
    it->claimed = 1;
}

void imgs_free(struct imgstream *s)
{
    if (s->fd >= 0)
        close(s->fd);
    for (size_t i = 0; i < s->n; i++)
        if (!s->items[i].claimed && !s->items[i].bad)
            unlinkat(s->spool_dirfd, s->items[i].spool, 0);
    free(s->items);
    buf_free(&s->pend);
    memset(s, 0, offsetof(struct imgstream, chars));
    s->fd = -1;
}
