/* schema_int.h: internals shared by the schema_*.c files (compiler, keyword
 * reader, validator, generators, formats, regexes); not for use elsewhere.
 * Ownership: every node, regex and array below belongs to the struct schema
 * that compiled it and is freed with it; strings point into the schema
 * document, which the schema keeps a reference to. After schema_compile
 * returns, nothing here is ever written again. */
#ifndef GB_SCHEMA_INT_H
#define GB_SCHEMA_INT_H

#include <jansson.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "schema.h"

/* Instance types as a bit set. ST_INTEGER is a subset of ST_NUMBER: a type
 * list of "number" admits integers too. */
enum {
    ST_NULL = 1,
    ST_BOOLEAN = 2,
    ST_OBJECT = 4,
    ST_ARRAY = 8,
    ST_NUMBER = 16,
    ST_STRING = 32,
    ST_INTEGER = 64,
    ST_ALL = 127,
};

/* Keyword presence, one bit each (values live in struct snode). */
enum {
    SF_TYPE = 1u << 0,
    SF_ENUM = 1u << 1,
    SF_CONST = 1u << 2,
    SF_MINIMUM = 1u << 3,
    SF_MAXIMUM = 1u << 4,
    SF_EXMIN = 1u << 5,
    SF_EXMAX = 1u << 6,
    SF_MULTIPLE = 1u << 7,
    SF_MINLEN = 1u << 8,
    SF_MAXLEN = 1u << 9,
    SF_PATTERN = 1u << 10,
    SF_FORMAT = 1u << 11,
    SF_MINITEMS = 1u << 12,
    SF_MAXITEMS = 1u << 13,
    SF_UNIQUE = 1u << 14,
    SF_MINPROPS = 1u << 15,
    SF_MAXPROPS = 1u << 16,
    SF_CONTAINS = 1u << 17,
    SF_NULLABLE = 1u << 18,
};

/* Keyword groups, to skip whole sections of the validator in one test. */
#define SF_NUMERIC (SF_MINIMUM | SF_MAXIMUM | SF_EXMIN | SF_EXMAX | SF_MULTIPLE)
#define SF_STRINGY (SF_MINLEN | SF_MAXLEN | SF_PATTERN | SF_FORMAT)

enum sformat {
    FMT_NONE = 0, /* absent or unknown: an annotation */
    FMT_DATE_TIME,
    FMT_DATE,
    FMT_TIME,
    FMT_DURATION,
    FMT_EMAIL,
    FMT_UUID,
    FMT_URI,
    FMT_IPV4,
    FMT_IPV6,
    FMT_HOSTNAME,
};

/* A numeric keyword value: exact as an integer when it is one. */
struct snum {
    double d;
    int64_t i;
    int is_int;
};

struct sregex;
struct snode;

struct sprop {
    const char *name;
    size_t len;
    struct snode *node;
    int required;  /* also listed in "required" */
    uint32_t hash; /* schema_name_hash(name) */
};

/* FNV-1a, for the property lookup table of a node. */
static inline uint32_t schema_name_hash(const char *s, size_t len)
{
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 16777619u;
    return h;
}

struct spatprop {
    struct sregex *re;
    struct snode *node;
};

struct sstr {
    const char *s;
    size_t len;
};

struct sdepreq {
    struct sstr name;
    struct sstr *deps;
    size_t ndeps;
};

struct sdepschema {
    struct sstr name;
    struct snode *node;
};

struct snode {
    char *path;         /* JSON pointer of this schema inside the document */
    size_t id;          /* index in struct schema's nodes */
    const json_t *json; /* the schema value itself (borrowed from the document) */
    int is_bool;        /* a boolean schema: bool_val says which */
    int bool_val;
    unsigned types; /* ST_* allowed by "type" (only meaningful with SF_TYPE) */
    unsigned flags; /* SF_* keywords present */
    int only_ref;   /* nothing but $ref (and annotations): a pure alias */

    const char *ref_str; /* $ref as written; ref is its resolved node */
    struct snode *ref;

    const json_t *enum_vals; /* borrowed array */
    const json_t *const_val; /* borrowed */

    struct snum minimum, maximum, exmin, exmax, multiple_of;
    long min_len, max_len;
    struct sregex *pattern;
    const char *pattern_src;
    enum sformat format;
    const char *format_name;

    struct snode **prefix;
    size_t nprefix;
    struct snode *items; /* for indexes >= nprefix; NULL: anything */
    long min_items, max_items;
    struct snode *contains;
    long min_contains, max_contains; /* defaults 1 and -1 (none) */

    struct sprop *props; /* sorted by (len, bytes) for bsearch */
    size_t nprops;
    uint32_t *ptab;         /* open addressing by hash: index + 1 into props, 0 empty */
    uint32_t pmask;         /* table size - 1 */
    size_t nreq_in_props;   /* required names that are also in props */
    struct sstr *req_extra; /* required names not in props */
    size_t nreq_extra;
    struct spatprop *patprops;
    size_t npatprops;
    struct snode *additional; /* NULL: anything */
    struct snode *property_names;
    long min_props, max_props;
    struct sdepreq *dep_req;
    size_t ndep_req;
    struct sdepschema *dep_schemas;
    size_t ndep_schemas;

    struct snode **all_of, **any_of, **one_of;
    size_t nall_of, nany_of, none_of;
    struct snode *not_;
    struct snode *if_, *then_, *else_;
};

struct schema {
    json_t *doc;
    struct snode *root;
    struct snode **nodes; /* every node, for schema_free */
    size_t nnodes, cap;
};

/* ---- compiler internals: schema.c and schema_keywords.c -------------------- */
struct anchor {
    const char *name;
    struct snode *node;
};

struct mapent {
    const json_t *key;
    struct snode *node;
};

struct cctx {
    struct schema *s;
    const char *source;
    struct gb_err *err;
    const char *root_id;
    struct mapent *map; /* open addressing, json value -> node */
    size_t mapcap, mapn;
    struct anchor *anchors;
    size_t nanchors, capanchors;
};

/* Fill c->err with "POINTER: message" and the source file; returns code. */
int sc_bad(struct cctx *c, int code, const char *path, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/* path + "/" + the segment escaped as a JSON pointer token; new string. */
char *sc_path_join(const char *path, const char *seg, size_t seglen);
const char *sc_type_name(const json_t *v);
/* Compile (or find, when already compiled) the schema js found at path. */
int sc_compile_node(struct cctx *c, const json_t *js, const char *path, struct snode **out);
/* The subschema under kwpath (or kwpath/seg when seg is not NULL). */
int sc_compile_sub(struct cctx *c, const json_t *js, const char *kwpath, const char *seg,
                   size_t seglen, struct snode **out);
/* Read every keyword of the object schema js into n (schema_keywords.c). */
int sc_keywords(struct cctx *c, struct snode *n, const json_t *js);

/* ---- schema_validate.c ---------------------------------------------------- */

/* Fast check of one node, no error objects: 1 valid, 0 invalid. */
int schema_node_valid(const struct snode *n, const json_t *inst);

/* ---- schema_json.c ---------------------------------------------------------- */

/* JSON equality as JSON Schema means it: 1 == 1.0, key order ignored. */
int schema_json_equal(const json_t *a, const json_t *b);

/* Number of Unicode code points in a UTF-8 string. */
size_t schema_utf8_len(const char *s, size_t len);

/* 1 with the first equal pair (*first < *second, smallest *second) when the
 * array holds two equal values, 0 when not, GB_ENOMEM. */
int schema_find_duplicate(const json_t *arr, size_t *first, size_t *second);

/* ---- ECMA-262 patterns: schema_regex.c (parse), schema_regex_pcre.c (compile,
 * match), schema_regex_gen.c (generate) ---------------------------------------- */

/* The parsed form of a pattern. */
enum rkind {
    RK_SEQ,
    RK_ALT,
    RK_CHAR,
    RK_CLASS,
    RK_ANY,
    RK_GROUP,
    RK_REPEAT,
    RK_BOL,
    RK_EOL,
    RK_WORDB,
    RK_NWORDB,
    RK_LOOK,
    RK_BACKREF,
};

/* A class escape: d D w W s S, or p / P with a property name. */
struct cesc {
    char kind;
    char prop[48]; /* PCRE2 spelling, for p and P */
};

struct rclass {
    int neg;
    uint32_t (*ranges)[2];
    size_t nranges;
    struct cesc *escs;
    size_t nescs;
};

struct rnode {
    enum rkind kind;
    uint32_t cp;         /* RK_CHAR */
    struct rclass *cls;  /* RK_CLASS */
    struct rnode **kids; /* RK_SEQ, RK_ALT; [0] for GROUP, REPEAT, LOOK */
    size_t nkids;
    int min, max, lazy; /* RK_REPEAT; max -1: unbounded */
    int capture;        /* RK_GROUP: 1-based group number, 0 non-capturing */
    char *name;         /* named group / named back-reference */
    int neg, behind;    /* RK_LOOK */
    int ref;            /* RK_BACKREF by number */
};

/* The tree a compiled regex was built from (borrowed). */
const struct rnode *rx_tree(const struct sregex *re);
/* Parse: 0 and a new tree, or GB_EINVAL with msg filled. */
int rx_parse(const char *src, size_t len, struct rnode **tree, int *ncap, char *msg, size_t msgsz);
void rx_tree_free(struct rnode *tree);

/* Matching needs per-call scratch (PCRE2 match data); it lives on the
 * caller's stack in this struct, so a shared compiled schema stays immutable
 * and no heap allocation happens on the validation hot path. */
struct rx_scratch {
    _Alignas(16) unsigned char arena[1024];
    size_t used;
    void *gctx; /* pcre2_general_context_8 *, created on first use */
    void *md;   /* pcre2_match_data_8 * */
};

void rx_scratch_init(struct rx_scratch *x);
void rx_scratch_free(struct rx_scratch *x);

/* Compile an ECMA-262 regex. On failure returns GB_EINVAL with a message in
 * msg ("bad regex '...': ..."). */
int rx_compile(const char *src, size_t len, struct sregex **out, char *msg, size_t msgsz);
void rx_free(struct sregex *re);
/* 1 match (anywhere: patterns are not anchored), 0 no match, <0 error. */
int rx_match(const struct sregex *re, const char *s, size_t len, struct rx_scratch *x);

/* ---- deterministic randomness (splitmix64) --------------------------------- */
struct rng {
    uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* Uniform-ish in [0, n); n == 0 gives 0. */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
    return n ? rng_next(r) % n : 0;
}

/* Append a string the regex could match (best effort: lookarounds, anchors
 * inside alternatives and back-references may defeat it; the caller checks
 * with rx_match). 0 on success, -1 when the pattern has no generator. */
int rx_generate(const struct sregex *re, struct rng *r, struct buf *out);

/* ---- schema_gen.c: shared with schema_invalid.c ---------------------------------- */
#define SGEN_MAX 64 /* nodes that may apply to one value at once */

struct glist {
    const struct snode *n[SGEN_MAX];
    size_t len;
};

struct gctx {
    const struct schema *s;
    struct rng r;
    int budget;
    const char *key; /* the property being filled, a hint for plausible text */
    size_t keylen;
    struct rx_scratch rx;
};

int sgen_list_add(struct glist *l, const struct snode *n);
int sgen_list_valid(const struct glist *l, const json_t *v);
/* Add n and every node that applies to the same value (a $ref, allOf, one
 * chosen anyOf/oneOf branch, then or else). -1 when a false schema is hit. */
int sgen_expand(struct gctx *g, struct glist *l, const struct snode *n, int depth);
/* The schemas a property named key must satisfy, from every node of l. */
int sgen_prop_list(struct gctx *g, const struct glist *l, const char *key, size_t klen,
                   struct glist *out);
/* A new value valid against every node of in, or NULL. */
json_t *sgen_value(struct gctx *g, const struct glist *in, int depth);
/* A string or number every node of l accepts (schema_gen_scalar.c); NULL
 * when none was found. New. */
json_t *sgen_string(struct gctx *g, const struct glist *l);
json_t *sgen_number(struct gctx *g, const struct glist *l, int integer);
void sgen_init(struct gctx *g, const struct schema *s, uint64_t seed, int attempt);
/* A valid instance of the whole schema (several attempts), or NULL. */
json_t *sgen_try(const struct schema *s, uint64_t seed, int attempts);

/* ---- schema_invalid.c --------------------------------------------------------- */
/* A new value that at least one node of in rejects, built from the schema's
 * keywords (wrong type, out of bounds, missing required...), or NULL. */
json_t *sinv_value(struct gctx *g, const struct glist *in, int depth);

/* ---- schema_format.c -------------------------------------------------------- */
enum sformat fmt_lookup(const char *name);
int fmt_check(enum sformat f, const char *s, size_t len); /* 1 valid, 0 not */
/* Append a plausible valid value of the format. */
int fmt_generate(enum sformat f, struct rng *r, struct buf *out);

/* Plausible text of minl..maxl characters (maxl -1: no limit), shaped by the
 * name of the property it fills ("title", "summary", "email"...; key may be
 * NULL). Appends to out. */
int fmt_text(const char *key, size_t keylen, long minl, long maxl, struct rng *r, struct buf *out);

/* Words for plausible text, shared by the generators. */
extern const char *const schema_words[];
extern const size_t schema_nwords;


/* ---- the validator (schema_validate.c) and its messages (schema_messages.c) ---- */

struct vctx {
    json_t *errors; /* NULL: fast mode */
    int max, nerr;
    int depth;
    int too_deep;
    struct buf ipath; /* instance path (collecting mode only) */
    struct rx_scratch *rx;
};

static inline unsigned sv_inst_types(const json_t *x)
{
    switch (json_typeof(x)) {
    case JSON_OBJECT:
        return ST_OBJECT;
    case JSON_ARRAY:
        return ST_ARRAY;
    case JSON_STRING:
        return ST_STRING;
    case JSON_INTEGER:
        return ST_INTEGER | ST_NUMBER;
    case JSON_REAL: {
        double d = json_real_value(x);
        return floor(d) == d ? ST_INTEGER | ST_NUMBER : ST_NUMBER;
    }
    case JSON_TRUE:
    case JSON_FALSE:
        return ST_BOOLEAN;
    case JSON_NULL:
        return ST_NULL;
    }
    return 0;
}

const char *sv_type_name(const json_t *x);
void sv_types_text(unsigned t, char *out, size_t n);
/* A value for a message: strings in single quotes, the rest as compact JSON,
 * both cut short when long. */
void sv_render(const json_t *v, char *out, size_t n);
void sv_render_list(const json_t *arr, char *out, size_t n);
void sv_render_num(const struct snum *x, char *out, size_t n);
/* Add an error (collecting mode, under the cap): the instance path so far,
 * the node's schema path plus kw, the message. */
void sv_report(struct vctx *c, const struct snode *n, const char *kw, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

#endif
