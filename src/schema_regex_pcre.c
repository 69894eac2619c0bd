/* schema_regex_pcre.c: ECMA-262 pattern trees as PCRE2 patterns (the
 * dialects differ on \d \w \s \v \cX . $ \u and \p names), compiled once
 * with JIT. Compiled regexes are immutable: match scratch lives in the
 * caller's struct rx_scratch, on its stack, never in the regex. */
#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>

#include "err.h"
#include "schema_int.h"

struct sregex {
    pcre2_code *code;
    struct rnode *tree;
    int ncap;
    int jit; /* JIT-compiled: match with pcre2_jit_match, skipping the checks */
};

/* ECMA-262 WhiteSpace and LineTerminator: \s in a pattern. */
#define WS_SET                                                                                     \
    "\\x{20}\\t\\n\\x{0b}\\f\\r\\x{a0}\\x{1680}\\x{2000}-\\x{200a}\\x{2028}\\x{2029}\\x{202f}"     \
    "\\x{205f}\\x{3000}\\x{feff}"

static int is_alnum(int c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* ---- ECMA tree -> PCRE2 pattern ---------------------------------------------- */

static void emit_cp(struct buf *b, uint32_t cp)
{
    if (is_alnum((int)cp) || cp == '_' || cp == ' ')
        buf_putc(b, (char)cp);
    else
        buf_printf(b, "\\x{%x}", (unsigned)cp);
}

static void emit_class_items(struct buf *b, const struct rclass *c)
{
    for (size_t i = 0; i < c->nranges; i++) {
        emit_cp(b, c->ranges[i][0]);
        if (c->ranges[i][1] != c->ranges[i][0]) {
            buf_putc(b, '-');
            emit_cp(b, c->ranges[i][1]);
        }
    }
    for (size_t i = 0; i < c->nescs; i++) {
        const struct cesc *e = &c->escs[i];
        switch (e->kind) {
        case 'd':
            buf_puts(b, "0-9");
            break;
        case 'D':
            buf_puts(b, "\\D");
            break;
        case 'w':
            buf_puts(b, "\\w");
            break;
        case 'W':
            buf_puts(b, "\\W");
            break;
        case 's':
            buf_puts(b, WS_SET);
            break;
        case 'p':
            buf_printf(b, "\\p{%s}", e->prop);
            break;
        case 'P':
            buf_printf(b, "\\P{%s}", e->prop);
            break;
        default:
            break; /* 'S' is handled by the caller */
        }
    }
}

static void emit_class(struct buf *b, const struct rclass *c)
{
    int has_S = 0, others = c->nranges > 0;
    for (size_t i = 0; i < c->nescs; i++) {
        if (c->escs[i].kind == 'S')
            has_S = 1;
        else
            others = 1;
    }
    if (!has_S) {
        if (!others) {
            buf_puts(b, c->neg ? "[\\x{0}-\\x{10ffff}]" : "(?!)");
            return;
        }
        buf_puts(b, c->neg ? "[^" : "[");
        emit_class_items(b, c);
        buf_putc(b, ']');
        return;
    }
    /* ECMA's \S (not Unicode space) has no PCRE2 spelling inside a class:
     * [x\S] becomes (?:[x]|[^ws]) and [^x\S] becomes (?:(?![x])[ws]). */
    if (!others) {
        buf_puts(b, c->neg ? "[" WS_SET "]" : "[^" WS_SET "]");
        return;
    }
    if (!c->neg) {
        buf_puts(b, "(?:[");
        emit_class_items(b, c);
        buf_puts(b, "]|[^" WS_SET "])");
    } else {
        buf_puts(b, "(?:(?![");
        emit_class_items(b, c);
        buf_puts(b, "])[" WS_SET "])");
    }
}

static void emit(struct buf *b, const struct rnode *n)
{
    switch (n->kind) {
    case RK_SEQ:
        for (size_t i = 0; i < n->nkids; i++)
            emit(b, n->kids[i]);
        break;
    case RK_ALT:
        for (size_t i = 0; i < n->nkids; i++) {
            if (i)
                buf_putc(b, '|');
            emit(b, n->kids[i]);
        }
        break;
    case RK_CHAR:
        emit_cp(b, n->cp);
        break;
    case RK_ANY:
        buf_puts(b, "[^\\n\\r\\x{2028}\\x{2029}]");
        break;
    case RK_CLASS:
        emit_class(b, n->cls);
        break;
    case RK_GROUP:
        if (n->name)
            buf_printf(b, "(?<%s>", n->name);
        else
            buf_puts(b, n->capture ? "(" : "(?:");
        emit(b, n->kids[0]);
        buf_putc(b, ')');
        break;
    case RK_REPEAT:
        buf_puts(b, "(?:");
        emit(b, n->kids[0]);
        buf_putc(b, ')');
        if (n->min == 0 && n->max == -1)
            buf_putc(b, '*');
        else if (n->min == 1 && n->max == -1)
            buf_putc(b, '+');
        else if (n->min == 0 && n->max == 1)
            buf_putc(b, '?');
        else if (n->max == -1)
            buf_printf(b, "{%d,}", n->min);
        else if (n->max == n->min)
            buf_printf(b, "{%d}", n->min);
        else
            buf_printf(b, "{%d,%d}", n->min, n->max);
        if (n->lazy)
            buf_putc(b, '?');
        break;
    case RK_BOL:
        buf_putc(b, '^');
        break;
    case RK_EOL:
        buf_putc(b, '$');
        break;
    case RK_WORDB:
        buf_puts(b, "\\b");
        break;
    case RK_NWORDB:
        buf_puts(b, "\\B");
        break;
    case RK_LOOK:
        buf_puts(b, n->behind ? (n->neg ? "(?<!" : "(?<=") : (n->neg ? "(?!" : "(?="));
        emit(b, n->kids[0]);
        buf_putc(b, ')');
        break;
    case RK_BACKREF:
        if (n->name)
            buf_printf(b, "\\k<%s>", n->name);
        else
            buf_printf(b, "\\g{%d}", n->ref);
        break;
    }
}

/* ---- public: compile, match, free ------------------------------------------------ */

int rx_compile(const char *src, size_t len, struct sregex **out, char *msg, size_t msgsz)
{
    struct buf pat;
    buf_init(&pat, BUF_UNLIMITED);
    struct sregex *re = NULL;
    struct rnode *tree = NULL;
    int ncap = 0;
    *out = NULL;
    if (rx_parse(src, len, &tree, &ncap, msg, msgsz))
        goto fail;
    emit(&pat, tree);
    if (buf_putc(&pat, '\0')) {
        snprintf(msg, msgsz, "out of memory");
        goto fail;
    }
    re = calloc(1, sizeof *re);
    if (!re) {
        snprintf(msg, msgsz, "out of memory");
        goto fail;
    }
    int ecode;
    PCRE2_SIZE eoff;
    re->code = pcre2_compile((PCRE2_SPTR)pat.data, PCRE2_ZERO_TERMINATED,
                             PCRE2_UTF | PCRE2_DOLLAR_ENDONLY | PCRE2_MATCH_UNSET_BACKREF, &ecode,
                             &eoff, NULL);
    if (!re->code) {
        PCRE2_UCHAR em[256];
        pcre2_get_error_message(ecode, em, sizeof em);
        snprintf(msg, msgsz, "bad regex '%.*s': %s", (int)(len > 200 ? 200 : len), src,
                 (const char *)em);
        goto fail;
    }
    re->jit = pcre2_jit_compile(re->code, PCRE2_JIT_COMPLETE) == 0; /* else interpreter */
    re->tree = tree;
    re->ncap = ncap;
    buf_free(&pat);
    *out = re;
    return 0;
fail:
    if (re) {
        pcre2_code_free(re->code);
        free(re);
    }
    rx_tree_free(tree);
    buf_free(&pat);
    return GB_EINVAL;
}

void rx_free(struct sregex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    rx_tree_free(re->tree);
    free(re);
}

/* PCRE2 allocates match data through this: first from the caller's stack
 * arena, then from the heap if the arena is full. */
static void *arena_malloc(PCRE2_SIZE n, void *ud)
{
    struct rx_scratch *x = ud;
    size_t need = (n + 15) & ~(size_t)15;
    if (x->used + need <= sizeof x->arena) {
        void *ptr = x->arena + x->used;
        x->used += need;
        return ptr;
    }
    return malloc(n);
}

static void arena_free(void *ptr, void *ud)
{
    struct rx_scratch *x = ud;
    uintptr_t a = (uintptr_t)ptr, lo = (uintptr_t)x->arena;
    if (a >= lo && a < lo + sizeof x->arena)
        return;
    free(ptr);
}

void rx_scratch_init(struct rx_scratch *x)
{
    x->used = 0;
    x->gctx = NULL;
    x->md = NULL;
}

void rx_scratch_free(struct rx_scratch *x)
{
    if (x->md)
        pcre2_match_data_free(x->md);
    if (x->gctx)
        pcre2_general_context_free(x->gctx);
    x->md = x->gctx = NULL;
    x->used = 0;
}

int rx_match(const struct sregex *re, const char *s, size_t len, struct rx_scratch *x)
{
    if (!x->md) {
        x->gctx = pcre2_general_context_create(arena_malloc, arena_free, x);
        if (!x->gctx)
            return GB_ENOMEM;
        x->md = pcre2_match_data_create(1, x->gctx);
        if (!x->md)
            return GB_ENOMEM;
    }
    /* Subjects come from jansson, valid UTF-8 by construction: the JIT entry
     * point skips pcre2_match's argument and UTF checks. */
    int rc = re->jit ? pcre2_jit_match(re->code, (PCRE2_SPTR)s, len, 0, 0, x->md, NULL)
                     : pcre2_match(re->code, (PCRE2_SPTR)s, len, 0, 0, x->md, NULL);
    if (rc >= 0)
        return 1;
    return rc == PCRE2_ERROR_NOMATCH ? 0 : -1;
}

const struct rnode *rx_tree(const struct sregex *re)
{
    return re->tree;
}
