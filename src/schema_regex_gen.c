/* schema_regex_gen.c: strings that an ECMA-262 pattern matches, from the
 * tree schema_regex.c parsed, for the instance generator. Best effort and
 * deterministic in the caller's rng: anchors, lookarounds and named
 * back-references are not enforced here, so callers check with rx_match. */
#include <stdlib.h>
#include <string.h>

#include "schema_int.h"

static int alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- generation ----------------------------------------------------------------- */

struct rgen {
    struct rng *r;
    struct buf *out;
    size_t cap_off[64], cap_len[64];
    int cap_set[64];
    int steps;
};

static void put_cp(struct buf *b, uint32_t cp)
{
    char u[4];
    if (cp < 0x80) {
        buf_putc(b, (char)cp);
        return;
    }
    if (cp < 0x800) {
        u[0] = (char)(0xC0 | (cp >> 6));
        u[1] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 2);
    } else if (cp < 0x10000) {
        u[0] = (char)(0xE0 | (cp >> 12));
        u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[2] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 3);
    } else {
        u[0] = (char)(0xF0 | (cp >> 18));
        u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
        u[3] = (char)(0x80 | (cp & 0x3F));
        buf_append(b, u, 4);
    }
}

static int is_ws(uint32_t c)
{
    return c == ' ' || (c >= 9 && c <= 13) || c == 0xA0 || c == 0x1680 ||
           (c >= 0x2000 && c <= 0x200A) || c == 0x2028 || c == 0x2029 || c == 0x202F ||
           c == 0x205F || c == 0x3000 || c == 0xFEFF;
}

static int is_word(uint32_t c)
{
    return c < 128 && (alnum((int)c) || c == '_');
}

/* Membership of an ASCII candidate in a property; -1 when we cannot tell. */
static int prop_has(const char *prop, uint32_t c)
{
    int upper = c >= 'A' && c <= 'Z', lower = c >= 'a' && c <= 'z', digit = c >= '0' && c <= '9';
    if (!strcmp(prop, "L") || !strcmp(prop, "L&") || !strcmp(prop, "Alphabetic") ||
        !strcmp(prop, "Alpha"))
        return upper || lower;
    if (!strcmp(prop, "Lu") || !strcmp(prop, "Uppercase"))
        return upper;
    if (!strcmp(prop, "Ll") || !strcmp(prop, "Lowercase"))
        return lower;
    if (!strcmp(prop, "N") || !strcmp(prop, "Nd"))
        return digit;
    if (!strcmp(prop, "Zs") || !strcmp(prop, "Z"))
        return c == ' ';
    if (!strcmp(prop, "Any"))
        return 1;
    if (!strcmp(prop, "ASCII"))
        return c < 128;
    if (!strcmp(prop, "Latin") || !strcmp(prop, "Script=Latin") || !strcmp(prop, "sc=Latin"))
        return upper || lower;
    return -1;
}

static int esc_has(const struct cesc *e, uint32_t c)
{
    int r;
    switch (e->kind) {
    case 'd':
        return c >= '0' && c <= '9';
    case 'D':
        return !(c >= '0' && c <= '9');
    case 'w':
        return is_word(c);
    case 'W':
        return !is_word(c);
    case 's':
        return is_ws(c);
    case 'S':
        return !is_ws(c);
    case 'p':
        return prop_has(e->prop, c);
    case 'P':
        r = prop_has(e->prop, c);
        return r < 0 ? -1 : !r;
    }
    return -1;
}

/* 1 in class, 0 not, -1 unknown. */
static int class_has(const struct rclass *c, uint32_t ch)
{
    int in = 0, unknown = 0;
    for (size_t i = 0; i < c->nranges && !in; i++)
        in = ch >= c->ranges[i][0] && ch <= c->ranges[i][1];
    for (size_t i = 0; i < c->nescs && !in; i++) {
        int r = esc_has(&c->escs[i], ch);
        if (r < 0)
            unknown = 1;
        else
            in = r;
    }
    if (!in && unknown)
        return -1;
    return c->neg ? !in : in;
}

static const char cand_chars[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                                 " -_.,:;!?@#+=/()*&%$~";

static int gen_class(struct rgen *g, const struct rclass *c)
{
    /* A positive class: pick one item; prefer plausible characters. */
    if (!c->neg) {
        size_t nitems = c->nranges + c->nescs;
        if (!nitems)
            return -1;
        size_t k = (size_t)rng_below(g->r, nitems);
        if (k < c->nranges) {
            uint32_t lo = c->ranges[k][0], hi = c->ranges[k][1];
            uint32_t cp = lo + (uint32_t)rng_below(g->r, (uint64_t)(hi - lo) + 1);
            if (cp >= 0xD800 && cp <= 0xDFFF)
                cp = lo;
            put_cp(g->out, cp);
            return 0;
        }
        const struct cesc *e = &c->escs[k - c->nranges];
        char fit[sizeof cand_chars];
        size_t nfit = 0;
        for (size_t i = 0; i < sizeof cand_chars - 1; i++)
            if (esc_has(e, (unsigned char)cand_chars[i]) == 1)
                fit[nfit++] = cand_chars[i];
        if (!nfit && e->kind == 's')
            fit[nfit++] = ' ';
        if (!nfit)
            return -1;
        put_cp(g->out, (unsigned char)fit[rng_below(g->r, nfit)]);
        return 0;
    }
    char fit[sizeof cand_chars];
    size_t nfit = 0;
    for (size_t i = 0; i < sizeof cand_chars - 1; i++)
        if (class_has(c, (unsigned char)cand_chars[i]) == 1)
            fit[nfit++] = cand_chars[i];
    if (!nfit)
        return -1;
    /* Letters and digits first: they read best. */
    size_t nalnum = 0;
    while (nalnum < nfit && alnum((unsigned char)fit[nalnum]))
        nalnum++;
    put_cp(g->out, (unsigned char)fit[rng_below(g->r, nalnum ? nalnum : nfit)]);
    return 0;
}

static int gen_node(struct rgen *g, const struct rnode *n)
{
    if (++g->steps > 20000 || g->out->len > 4096)
        return -1;
    switch (n->kind) {
    case RK_SEQ:
        for (size_t i = 0; i < n->nkids; i++)
            if (gen_node(g, n->kids[i]))
                return -1;
        return 0;
    case RK_ALT:
        return gen_node(g, n->kids[rng_below(g->r, n->nkids)]);
    case RK_CHAR:
        put_cp(g->out, n->cp);
        return 0;
    case RK_ANY: {
        static const char letters[] = "abcdefghijklmnopqrstuvwxyz";
        buf_putc(g->out, letters[rng_below(g->r, 26)]);
        return 0;
    }
    case RK_CLASS:
        return gen_class(g, n->cls);
    case RK_GROUP: {
        size_t start = g->out->len;
        if (gen_node(g, n->kids[0]))
            return -1;
        if (n->capture > 0 && n->capture < 64) {
            g->cap_off[n->capture] = start;
            g->cap_len[n->capture] = g->out->len - start;
            g->cap_set[n->capture] = 1;
        }
        return 0;
    }
    case RK_REPEAT: {
        int span = n->max < 0 ? 3 : n->max - n->min;
        if (span > 3)
            span = 3;
        int cnt = n->min + (int)rng_below(g->r, (uint64_t)span + 1);
        for (int i = 0; i < cnt; i++)
            if (gen_node(g, n->kids[0]))
                return -1;
        return 0;
    }
    case RK_BACKREF:
        if (!n->name && n->ref > 0 && n->ref < 64 && g->cap_set[n->ref]) {
            /* The capture may move if the buffer reallocates: copy via offsets. */
            size_t off = g->cap_off[n->ref], len = g->cap_len[n->ref];
            if (buf_reserve(g->out, len))
                return -1;
            buf_append(g->out, g->out->data + off, len);
            return 0;
        }
        return n->name ? -1 : 0;
    case RK_BOL:
    case RK_EOL:
    case RK_WORDB:
    case RK_NWORDB:
    case RK_LOOK:
        return 0; /* not enforced here; the caller checks the result */
    }
    return -1;
}

int rx_generate(const struct sregex *re, struct rng *r, struct buf *out)
{
    struct rgen g;
    memset(&g, 0, sizeof g);
    g.r = r;
    g.out = out;
    return gen_node(&g, rx_tree(re));
}
