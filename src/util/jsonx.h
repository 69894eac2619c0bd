/* jsonx.h: jansson helpers: typed getters that never crash on the wrong type,
 * RFC 7386 merge patch, canonical dumping and file loading with line numbers.
 * Ownership: getters return borrowed references or pointers into the JSON;
 * functions named *_new or documented "new" return new references. */
#ifndef GB_JSONX_H
#define GB_JSONX_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

const char *jx_str(const json_t *obj, const char *key);          /* NULL unless a string */
json_t *jx_obj(const json_t *obj, const char *key);              /* NULL unless an object */
json_t *jx_arr(const json_t *obj, const char *key);              /* NULL unless an array */
int jx_int(const json_t *obj, const char *key, long long *out);  /* 0 if an integer (or integral real) */
int jx_num(const json_t *obj, const char *key, double *out);     /* 0 if a number */
int jx_bool(const json_t *obj, const char *key, int def);        /* true/false or def */

/* RFC 7386: returns a NEW value: target with patch applied (target untouched). */
json_t *jx_merge_patch(const json_t *target, const json_t *patch);

/* Compact, key-sorted dump (new string, free()). */
char *jx_canonical(const json_t *v);

/* Load a JSON file; on error fills err with "FILE:LINE:COL: message". New ref. */
json_t *jx_load_file(const char *path, struct gb_err *err);

/* A JSON string from bytes that may not be UTF-8 (an error page, a message cut
 * to fit a buffer): each invalid or cut sequence becomes U+FFFD, so the value
 * is never lost the way json_string() loses it. New reference (NULL: no memory). */
json_t *jx_string_lossy(const char *s);

/* Dump compact into a malloc'd string with its length (new string). */
char *jx_dump(const json_t *v, size_t *len);

#endif
