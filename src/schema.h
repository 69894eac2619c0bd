/* schema.h: JSON Schema (2020-12 subset used for structured output) compiled
 * once, then used two ways: validate an instance (the driver, `validate`) and
 * generate an instance (the emulator's synthetic model). One compiler, two uses.
 * Ownership: schema_compile returns a new struct schema that the caller frees
 * with schema_free; it keeps its own reference to the document. A compiled
 * schema is immutable, and validate/generate may run on it from many threads. */
#ifndef GB_SCHEMA_H
#define GB_SCHEMA_H

#include <jansson.h>
#include <stdint.h>

#include "err.h"

struct schema;

/* Compile doc (borrowed; the schema takes its own reference). source names the
 * file for messages. On error: GB_EINVAL (bad schema: unknown type name, $ref
 * that resolves nowhere, bad regex) or GB_EUNSUPPORTED ("unsupported keyword"
 * such as $dynamicRef, unevaluatedProperties, remote $ref), with err->msg
 * naming the JSON pointer inside the schema. */
int schema_compile(json_t *doc, const char *source, struct schema **out, struct gb_err *err);
void schema_free(struct schema *s);

/* Validate. Returns 1 valid, 0 invalid, negative GB_E* on internal failure.
 * When errors is non-NULL and the instance is invalid, *errors gets a new
 * array of {"instance_path","schema_path","message"} objects (at most
 * max_errors of them; 0 means a default of 20). */
int schema_validate(const struct schema *s, const json_t *instance, json_t **errors,
                    int max_errors);

/* Warnings about a schema that compiles but is likely not what was meant:
 * a document with no schema keyword at all (it accepts anything: a pipeline
 * file given instead of its schema), and unknown keys one or two edits from
 * a keyword ('requird', 'propertys'), which are ignored like annotations.
 * warn (may be NULL) gets each with the JSON pointer of the schema holding
 * it. Returns the number of warnings. */
int schema_lint(const json_t *doc, void (*warn)(void *ctx, const char *path, const char *msg),
                void *ctx);

/* Generate a new instance valid against the schema, deterministic in seed.
 * Returns 0 or GB_EUNSUPPORTED when no instance can be produced (e.g. an
 * unsatisfiable schema), with err filled. */
int schema_generate(const struct schema *s, uint64_t seed, json_t **out, struct gb_err *err);

/* Generate a new instance that is NOT valid against the schema (for the
 * emulator's schema_violation fault). Returns 0, or GB_EUNSUPPORTED when the
 * schema accepts everything (e.g. `true`). */
int schema_generate_invalid(const struct schema *s, uint64_t seed, json_t **out,
                            struct gb_err *err);

#endif
