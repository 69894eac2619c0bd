/* schema_regex.c: the ECMA-262 regex parser behind JSON Schema "pattern":
 * syntax (with the Annex B leniencies structured-output tools rely on) into
 * the tree of schema_int.h, refusing what ECMA does not have ((?i), \Z).
 * schema_regex_pcre.c turns the tree into PCRE2; this file never matches. */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "schema_int.h"

struct rparse {
    const char *s;
    size_t len, pos;
    int ncap;
    int maxref;
    char err[200];
};

/* Unicode General_Category long names and aliases ECMA accepts in \p{...};
 * PCRE2 only knows the short ones. */
static const struct {
    const char *name, *pcre;
} gc_names[] = {
    {"Other", "C"},
    {"Control", "Cc"},
    {"cntrl", "Cc"},
    {"Format", "Cf"},
    {"Unassigned", "Cn"},
    {"Private_Use", "Co"},
    {"Surrogate", "Cs"},
    {"Letter", "L"},
    {"Cased_Letter", "L&"},
    {"LC", "L&"},
    {"Lowercase_Letter", "Ll"},
    {"Modifier_Letter", "Lm"},
    {"Other_Letter", "Lo"},
    {"Titlecase_Letter", "Lt"},
    {"Uppercase_Letter", "Lu"},
    {"Mark", "M"},
    {"Combining_Mark", "M"},
    {"Spacing_Mark", "Mc"},
    {"Enclosing_Mark", "Me"},
    {"Nonspacing_Mark", "Mn"},
    {"Number", "N"},
    {"Decimal_Number", "Nd"},
    {"digit", "Nd"},
    {"Letter_Number", "Nl"},
    {"Other_Number", "No"},
    {"Punctuation", "P"},
    {"punct", "P"},
    {"Connector_Punctuation", "Pc"},
    {"Dash_Punctuation", "Pd"},
    {"Close_Punctuation", "Pe"},
    {"Final_Punctuation", "Pf"},
    {"Initial_Punctuation", "Pi"},
    {"Other_Punctuation", "Po"},
    {"Open_Punctuation", "Ps"},
    {"Symbol", "S"},
    {"Currency_Symbol", "Sc"},
    {"Modifier_Symbol", "Sk"},
    {"Math_Symbol", "Sm"},
    {"Other_Symbol", "So"},
    {"Separator", "Z"},
    {"Line_Separator", "Zl"},
    {"Paragraph_Separator", "Zp"},
    {"Space_Separator", "Zs"},
};

static int perr(struct rparse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int perr(struct rparse *p, const char *fmt, ...)
{
    if (p->err[0])
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err, sizeof p->err, fmt, ap);
    va_end(ap);
    return -1;
}

static void node_free(struct rnode *n)
{
    if (!n)
        return;
    for (size_t i = 0; i < n->nkids; i++)
        node_free(n->kids[i]);
    free(n->kids);
    if (n->cls) {
        free(n->cls->ranges);
        free(n->cls->escs);
        free(n->cls);
    }
    free(n->name);
    free(n);
}

static struct rnode *new_node(enum rkind k)
{
    struct rnode *n = calloc(1, sizeof *n);
    if (n)
        n->kind = k;
    return n;
}

static int add_kid(struct rnode *n, struct rnode *kid)
{
    struct rnode **k = realloc(n->kids, (n->nkids + 1) * sizeof *k);
    if (!k)
        return -1;
    n->kids = k;
    n->kids[n->nkids++] = kid;
    return 0;
}

static int add_range(struct rclass *c, uint32_t lo, uint32_t hi)
{
    uint32_t(*r)[2] = realloc(c->ranges, (c->nranges + 1) * sizeof *r);
    if (!r)
        return -1;
    c->ranges = r;
    c->ranges[c->nranges][0] = lo;
    c->ranges[c->nranges][1] = hi;
    c->nranges++;
    return 0;
}

static int add_esc(struct rclass *c, const struct cesc *e)
{
    struct cesc *x = realloc(c->escs, (c->nescs + 1) * sizeof *x);
    if (!x)
        return -1;
    c->escs = x;
    c->escs[c->nescs++] = *e;
    return 0;
}

/* Decode one UTF-8 code point (input is valid UTF-8: it came from jansson). */
static uint32_t utf8_next(const char *s, size_t len, size_t *pos)
{
    const unsigned char *u = (const unsigned char *)s;
    size_t i = *pos;
    uint32_t c = u[i];
    int extra = c >= 0xF0 ? 3 : c >= 0xE0 ? 2 : c >= 0xC0 ? 1 : 0;
    if (extra)
        c &= 0x3F >> extra;
    i++;
    for (int k = 0; k < extra && i < len; k++, i++)
        c = (c << 6) | (u[i] & 0x3F);
    *pos = i;
    return c;
}

static int hexv(char ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static int peek(const struct rparse *p)
{
    return p->pos < p->len ? (unsigned char)p->s[p->pos] : -1;
}

static int read_hex(struct rparse *p, int n, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < n; i++) {
        int h = p->pos < p->len ? hexv(p->s[p->pos]) : -1;
        if (h < 0)
            return -1;
        v = v * 16 + (uint32_t)h;
        p->pos++;
    }
    *out = v;
    return 0;
}

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* \u escape after the 'u': HHHH (a surrogate pair joins), or {H...}. */
static int read_u(struct rparse *p, uint32_t *out)
{
    if (peek(p) == '{') {
        p->pos++;
        uint32_t v = 0;
        int nd = 0;
        while (p->pos < p->len && hexv(p->s[p->pos]) >= 0) {
            v = v * 16 + (uint32_t)hexv(p->s[p->pos++]);
            if (v > 0x10FFFF)
                return perr(p, "\\u{...} beyond U+10FFFF");
            nd++;
        }
        if (!nd || peek(p) != '}')
            return perr(p, "malformed \\u{...} escape");
        p->pos++;
        *out = v;
        return 0;
    }
    uint32_t v;
    if (read_hex(p, 4, &v))
        return perr(p, "malformed \\u escape");
    if (v >= 0xD800 && v <= 0xDBFF && p->pos + 6 <= p->len && p->s[p->pos] == '\\' &&
        p->s[p->pos + 1] == 'u') {
        size_t save = p->pos;
        p->pos += 2;
        uint32_t lo;
        if (!read_hex(p, 4, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            *out = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            return 0;
        }
        p->pos = save;
    }
    if (v >= 0xD800 && v <= 0xDFFF)
        return perr(p, "lone surrogate \\u%04X cannot match UTF-8 text", (unsigned)v);
    *out = v;
    return 0;
}

static int read_prop(struct rparse *p, struct cesc *e)
{
    if (peek(p) != '{')
        return perr(p, "\\p and \\P need a {property}");
    p->pos++;
    size_t start = p->pos;
    while (p->pos < p->len && p->s[p->pos] != '}')
        p->pos++;
    if (p->pos >= p->len)
        return perr(p, "unterminated \\p{...}");
    size_t n = p->pos - start;
    p->pos++;
    const char *name = p->s + start;
    /* General_Category=X / gc=X name a category; Script=X passes through. */
    if (n > 17 && !strncmp(name, "General_Category=", 17)) {
        name += 17;
        n -= 17;
    } else if (n > 3 && !strncmp(name, "gc=", 3)) {
        name += 3;
        n -= 3;
    }
    if (n == 0 || n >= sizeof e->prop)
        return perr(p, "bad property name in \\p{...}");
    for (size_t i = 0; i < sizeof gc_names / sizeof gc_names[0]; i++)
        if (strlen(gc_names[i].name) == n && !strncmp(gc_names[i].name, name, n)) {
            snprintf(e->prop, sizeof e->prop, "%s", gc_names[i].pcre);
            return 0;
        }
    for (size_t i = 0; i < n; i++)
        if (!is_alnum((unsigned char)name[i]) && name[i] != '_' && name[i] != '=' && name[i] != '&')
            return perr(p, "bad property name in \\p{...}");
    memcpy(e->prop, name, n);
    e->prop[n] = '\0';
    return 0;
}

/* A character escape (after the backslash) that stands for one code point.
 * Returns 0 and *cp, or -1 (error set). */
static int char_escape(struct rparse *p, int in_class, uint32_t *cp)
{
    if (p->pos >= p->len)
        return perr(p, "pattern ends with a backslash");
    int c = (unsigned char)p->s[p->pos];
    p->pos++;
    switch (c) {
    case 'f':
        *cp = 0x0C;
        return 0;
    case 'n':
        *cp = 0x0A;
        return 0;
    case 'r':
        *cp = 0x0D;
        return 0;
    case 't':
        *cp = 0x09;
        return 0;
    case 'v':
        *cp = 0x0B;
        return 0;
    case 'c': {
        int x = peek(p);
        if (!((x >= 'a' && x <= 'z') || (x >= 'A' && x <= 'Z')))
            return perr(p, "\\c must be followed by a letter");
        p->pos++;
        *cp = (uint32_t)x % 32;
        return 0;
    }
    case 'x':
        if (read_hex(p, 2, cp))
            return perr(p, "\\x needs two hex digits");
        return 0;
    case 'u':
        return read_u(p, cp);
    case '0':
        if (peek(p) >= '0' && peek(p) <= '9')
            return perr(p, "octal escapes are not allowed");
        *cp = 0;
        return 0;
    case '-':
        *cp = '-';
        return 0;
    default:
        break;
    }
    if (in_class && c == 'b') {
        *cp = 0x08;
        return 0;
    }
    if (is_alnum(c))
        return perr(p, "'\\%c' is not an ECMA-262 escape", c);
    p->pos--;
    *cp = utf8_next(p->s, p->len, &p->pos);
    return 0;
}

/* Class escape letters; returns 1 and fills e, 0 if not one, -1 error. */
static int class_escape(struct rparse *p, struct cesc *e)
{
    int c = peek(p);
    if (c == 'd' || c == 'D' || c == 'w' || c == 'W' || c == 's' || c == 'S') {
        p->pos++;
        e->kind = (char)c;
        e->prop[0] = '\0';
        return 1;
    }
    if (c == 'p' || c == 'P') {
        p->pos++;
        e->kind = (char)c;
        return read_prop(p, e) ? -1 : 1;
    }
    return 0;
}

static struct rnode *parse_disj(struct rparse *p);

static struct rnode *class_node(const struct cesc *e)
{
    struct rnode *n = new_node(RK_CLASS);
    if (!n)
        return NULL;
    n->cls = calloc(1, sizeof *n->cls);
    if (!n->cls || add_esc(n->cls, e)) {
        node_free(n);
        return NULL;
    }
    return n;
}

static struct rnode *parse_class(struct rparse *p)
{
    struct rnode *n = new_node(RK_CLASS);
    if (!n || !(n->cls = calloc(1, sizeof *n->cls))) {
        node_free(n);
        perr(p, "out of memory");
        return NULL;
    }
    struct rclass *c = n->cls;
    p->pos++; /* '[' */
    if (peek(p) == '^') {
        c->neg = 1;
        p->pos++;
    }
    for (;;) {
        if (p->pos >= p->len) {
            perr(p, "unterminated character class");
            goto fail;
        }
        if (peek(p) == ']') {
            p->pos++;
            return n;
        }
        struct cesc e;
        uint32_t lo;
        int is_esc = 0;
        if (peek(p) == '\\') {
            p->pos++;
            int r = class_escape(p, &e);
            if (r < 0)
                goto fail;
            if (r)
                is_esc = 1;
            else if (char_escape(p, 1, &lo))
                goto fail;
        } else {
            lo = utf8_next(p->s, p->len, &p->pos);
        }
        if (is_esc) {
            if (add_esc(c, &e))
                goto fail_oom;
            continue;
        }
        if (peek(p) == '-' && p->pos + 1 < p->len && p->s[p->pos + 1] != ']') {
            size_t save = p->pos;
            p->pos++;
            uint32_t hi;
            if (peek(p) == '\\') {
                p->pos++;
                int r = class_escape(p, &e);
                if (r < 0)
                    goto fail;
                if (r) { /* [a-\d]: Annex B reads '-' literally */
                    if (add_range(c, lo, lo) || add_range(c, '-', '-') || add_esc(c, &e))
                        goto fail_oom;
                    continue;
                }
                if (char_escape(p, 1, &hi))
                    goto fail;
            } else {
                hi = utf8_next(p->s, p->len, &p->pos);
            }
            if (hi < lo) {
                p->pos = save;
                perr(p, "range out of order in character class");
                goto fail;
            }
            if (add_range(c, lo, hi))
                goto fail_oom;
            continue;
        }
        if (add_range(c, lo, lo))
            goto fail_oom;
    }
fail_oom:
    perr(p, "out of memory");
fail:
    node_free(n);
    return NULL;
}

/* {n}, {n,}, {n,m}: 1 parsed, 0 not a quantifier (then '{' is literal). */
static int parse_braces(struct rparse *p, int *min, int *max)
{
    size_t i = p->pos + 1;
    long a = 0, b = -1;
    int nd = 0;
    while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
        a = a * 10 + (p->s[i++] - '0');
        if (a > 100000)
            a = 100000;
        nd++;
    }
    if (!nd)
        return 0;
    if (i < p->len && p->s[i] == ',') {
        i++;
        int nd2 = 0;
        long bb = 0;
        while (i < p->len && p->s[i] >= '0' && p->s[i] <= '9') {
            bb = bb * 10 + (p->s[i++] - '0');
            if (bb > 100000)
                bb = 100000;
            nd2++;
        }
        b = nd2 ? bb : -1;
    } else {
        b = a;
    }
    if (i >= p->len || p->s[i] != '}')
        return 0;
    p->pos = i + 1;
    *min = (int)a;
    *max = (int)b;
    return 1;
}

static int is_quant_start(struct rparse *p)
{
    int c = peek(p);
    if (c == '*' || c == '+' || c == '?')
        return 1;
    if (c == '{') {
        size_t save = p->pos;
        int a, b;
        int r = parse_braces(p, &a, &b);
        p->pos = save;
        return r;
    }
    return 0;
}

static struct rnode *parse_atom(struct rparse *p, int *quantifiable)
{
    int c = peek(p);
    struct rnode *n = NULL;
    *quantifiable = 1;
    if (c == '^' || c == '$') {
        p->pos++;
        *quantifiable = 0;
        return new_node(c == '^' ? RK_BOL : RK_EOL);
    }
    if (c == '.') {
        p->pos++;
        return new_node(RK_ANY);
    }
    if (c == '[')
        return parse_class(p);
    if (c == '(') {
        p->pos++;
        if (peek(p) == '?') {
            p->pos++;
            int k = peek(p);
            if (k == ':') {
                p->pos++;
                n = new_node(RK_GROUP);
            } else if (k == '=' || k == '!') {
                p->pos++;
                n = new_node(RK_LOOK);
                if (n)
                    n->neg = k == '!';
            } else if (k == '<' && p->pos + 1 < p->len &&
                       (p->s[p->pos + 1] == '=' || p->s[p->pos + 1] == '!')) {
                n = new_node(RK_LOOK);
                if (n) {
                    n->behind = 1;
                    n->neg = p->s[p->pos + 1] == '!';
                }
                p->pos += 2;
                *quantifiable = 0;
            } else if (k == '<') {
                p->pos++;
                size_t start = p->pos;
                while (p->pos < p->len && p->s[p->pos] != '>')
                    p->pos++;
                if (p->pos >= p->len || p->pos == start) {
                    perr(p, "malformed group name");
                    return NULL;
                }
                n = new_node(RK_GROUP);
                if (n) {
                    n->capture = ++p->ncap;
                    n->name = strndup(p->s + start, p->pos - start);
                }
                p->pos++;
            } else {
                perr(p, "invalid group '(?%c' (ECMA-262 has no inline flags)", k > 0 ? k : '?');
                return NULL;
            }
        } else {
            n = new_node(RK_GROUP);
            if (n)
                n->capture = ++p->ncap;
        }
        if (!n) {
            perr(p, "out of memory");
            return NULL;
        }
        struct rnode *body = parse_disj(p);
        if (!body || add_kid(n, body)) {
            node_free(body);
            node_free(n);
            return NULL;
        }
        if (peek(p) != ')') {
            perr(p, "missing ')'");
            node_free(n);
            return NULL;
        }
        p->pos++;
        return n;
    }
    if (c == '\\') {
        p->pos++;
        int k = peek(p);
        if (k == 'b' || k == 'B') {
            p->pos++;
            *quantifiable = 0;
            return new_node(k == 'b' ? RK_WORDB : RK_NWORDB);
        }
        struct cesc e;
        int r = class_escape(p, &e);
        if (r < 0)
            return NULL;
        if (r)
            return class_node(&e);
        if (k >= '1' && k <= '9') {
            int num = 0;
            while (peek(p) >= '0' && peek(p) <= '9' && num < 100000)
                num = num * 10 + (p->s[p->pos++] - '0');
            n = new_node(RK_BACKREF);
            if (n)
                n->ref = num;
            if (num > p->maxref)
                p->maxref = num;
            return n;
        }
        if (k == 'k') {
            p->pos++;
            if (peek(p) != '<') {
                perr(p, "\\k must be followed by <name>");
                return NULL;
            }
            size_t start = ++p->pos;
            while (p->pos < p->len && p->s[p->pos] != '>')
                p->pos++;
            if (p->pos >= p->len) {
                perr(p, "malformed \\k<name>");
                return NULL;
            }
            n = new_node(RK_BACKREF);
            if (n)
                n->name = strndup(p->s + start, p->pos - start);
            p->pos++;
            return n;
        }
        uint32_t cp;
        if (char_escape(p, 0, &cp))
            return NULL;
        n = new_node(RK_CHAR);
        if (n)
            n->cp = cp;
        return n;
    }
    if (c == '*' || c == '+' || c == '?' || (c == '{' && is_quant_start(p))) {
        perr(p, "nothing to repeat");
        return NULL;
    }
    n = new_node(RK_CHAR);
    if (n)
        n->cp = utf8_next(p->s, p->len, &p->pos);
    return n;
}

static struct rnode *parse_term(struct rparse *p)
{
    int quantifiable;
    struct rnode *atom = parse_atom(p, &quantifiable);
    if (!atom) {
        perr(p, "out of memory");
        return NULL;
    }
    if (!is_quant_start(p))
        return atom;
    if (!quantifiable) {
        node_free(atom);
        perr(p, "nothing to repeat");
        return NULL;
    }
    int min, max;
    int c = peek(p);
    if (c == '*') {
        min = 0, max = -1;
        p->pos++;
    } else if (c == '+') {
        min = 1, max = -1;
        p->pos++;
    } else if (c == '?') {
        min = 0, max = 1;
        p->pos++;
    } else {
        parse_braces(p, &min, &max);
        if (max >= 0 && max < min) {
            node_free(atom);
            perr(p, "numbers out of order in {} quantifier");
            return NULL;
        }
        if (min > 65535 || max > 65535) {
            node_free(atom);
            perr(p, "quantifier too large");
            return NULL;
        }
    }
    struct rnode *r = new_node(RK_REPEAT);
    if (!r || add_kid(r, atom)) {
        node_free(r);
        node_free(atom);
        perr(p, "out of memory");
        return NULL;
    }
    r->min = min;
    r->max = max;
    if (peek(p) == '?') {
        r->lazy = 1;
        p->pos++;
    }
    if (is_quant_start(p)) {
        node_free(r);
        perr(p, "nothing to repeat");
        return NULL;
    }
    return r;
}

static struct rnode *parse_alt(struct rparse *p)
{
    struct rnode *seq = new_node(RK_SEQ);
    if (!seq) {
        perr(p, "out of memory");
        return NULL;
    }
    while (p->pos < p->len && peek(p) != '|' && peek(p) != ')') {
        struct rnode *t = parse_term(p);
        if (!t || add_kid(seq, t)) {
            node_free(t);
            node_free(seq);
            return NULL;
        }
    }
    return seq;
}

static struct rnode *parse_disj(struct rparse *p)
{
    struct rnode *first = parse_alt(p);
    if (!first || peek(p) != '|')
        return first;
    struct rnode *alt = new_node(RK_ALT);
    if (!alt || add_kid(alt, first)) {
        node_free(first);
        node_free(alt);
        perr(p, "out of memory");
        return NULL;
    }
    while (peek(p) == '|') {
        p->pos++;
        struct rnode *a = parse_alt(p);
        if (!a || add_kid(alt, a)) {
            node_free(a);
            node_free(alt);
            return NULL;
        }
    }
    return alt;
}

int rx_parse(const char *src, size_t len, struct rnode **out, int *ncap, char *msg, size_t msgsz)
{
    struct rparse p = {.s = src, .len = len};
    struct rnode *tree = parse_disj(&p);
    *out = NULL;
    if (tree && p.pos < p.len)
        perr(&p, "unmatched ')'");
    if (tree && !p.err[0] && p.maxref > p.ncap)
        perr(&p, "back-reference \\%d to a group that does not exist", p.maxref);
    if (!tree || p.err[0]) {
        snprintf(msg, msgsz, "bad regex '%.*s': %s at offset %zu", (int)(len > 200 ? 200 : len),
                 src, p.err[0] ? p.err : "syntax error", p.pos);
        node_free(tree);
        return GB_EINVAL;
    }
    *out = tree;
    *ncap = p.ncap;
    return 0;
}

void rx_tree_free(struct rnode *n)
{
    node_free(n);
}
