/* jfast.h: compact JSON text from jansson values, and a strict parser to
 * jansson values, both several times faster than jansson's own on large or
 * string-heavy documents. Same results as jansson; the parser returns NULL
 * for anything it does not take, and callers then ask jansson (which also
 * explains what is wrong).
 * Ownership: jf_dump returns a new string (free()); jf_parse a new value. */
#ifndef GB_JFAST_H
#define GB_JFAST_H

#include <jansson.h>
#include <stddef.h>

#include "buf.h"

/* The text json_dumps(v, JSON_COMPACT [| JSON_SORT_KEYS]) gives, handed to
 * sink in pieces (sink returns 0, or non-zero to stop). Reals with 17
 * significant digits, or precision (1..17) in the _prec forms, as
 * JSON_REAL_PRECISION(precision) would, or JF_SHORTEST: each real in the
 * fewest digits (15 to 17) that read back as the same double, so 0.1 prints
 * as 0.1 and no value changes (jansson has one precision for a whole dump). */
#define JF_SHORTEST 0
int jf_write(const json_t *v, int sort_keys, int (*sink)(void *ctx, const char *p, size_t n),
             void *ctx);
int jf_write_prec(const json_t *v, int sort_keys, int precision,
                  int (*sink)(void *ctx, const char *p, size_t n), void *ctx);
int jf_append(struct buf *out, const json_t *v);
int jf_append_prec(struct buf *out, const json_t *v, int precision);
char *jf_dump(const json_t *v, size_t *len); /* new malloc'd text, NULL on failure */
char *jf_dump_short(const json_t *v, size_t *len); /* the same with JF_SHORTEST reals */

/* New value equal to json_loadb(text, len, 0, ...)'s, or NULL when the text
 * is not plain RFC 8259 JSON with an object or array at the top. */
json_t *jf_parse(const char *text, size_t len);

/* 1 when text[0..len) is one whole JSON value (RFC 8259: strings in valid
 * UTF-8 without raw control characters, nesting up to 2048 levels; blanks
 * around it allowed), else 0. Allocates nothing: it tells a whole line from
 * a damaged one (cut short, garbage) at the speed of a scan. */
int jf_check(const char *text, size_t len);

#endif
