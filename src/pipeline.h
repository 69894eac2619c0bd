/* pipeline.h: a pipeline file loaded once per run: the request template every
 * job starts from, the prompt template, limits, validation settings, the
 * compiled response schema and the digest that resume compares.
 * Ownership: pipe_load returns a new struct pipeline; pipe_free releases it
 * and everything it holds. Jobs borrow base/schema for the run's lifetime. */
#ifndef GB_PIPELINE_H
#define GB_PIPELINE_H

#include <jansson.h>

#include "err.h"

struct schema;
struct sniff_result;

struct pipe_limits {
    long concurrency, rpm, tpm, max_attempts; /* 0 = not set */
    double timeout_s;                         /* 0 = not set */
    double deadline_s;                        /* 0 = not set */
    double max_cost_usd;                      /* -1 = not set */
    long max_images_per_answer, max_images;   /* 0 = not set */
};

/* A function tool answered by a local program ("run": [...] in the pipeline). */
struct pipe_tool {
    char *name;
    char **argv;          /* argv[0] resolved against the pipeline's folder when it has a '/' */
    long timeout_ms;      /* "timeout_s", default 60 s */
    char *program;        /* "run"[0] as written in the pipeline */
    char where[64];       /* its JSON pointer: "/tools/0/run/0", "/steps/1/tools/0/run/0" */
};

struct pipeline {
    char *path;           /* as given */
    char *dir;            /* folder holding the pipeline file */
    char *name;           /* "name", or the file's base name without .json */
    json_t *doc;          /* the whole file, $file references resolved */
    json_t *base;         /* request fields (doc minus local keys) */
    char *prompt;         /* template, or NULL */
    struct pipe_limits limits;
    long reask;           /* validate.reask, default 2 */
    long max_tool_turns;  /* tool round trips per job, default 8 */
    json_t *steps;        /* multi-step pipelines: request fields per step (run and
                           * timeout_s stripped from tools), or NULL */
    struct pipe_tool *tools;
    size_t ntools;
    json_t *schema_doc;   /* bare JSON Schema of response_format (borrowed), or NULL */
    struct schema *schema;/* compiled schema_doc, or NULL */
    char digest[65];      /* SHA-256 of the canonical doc without "limits": what resume compares */
    char digest_whole[65];/* SHA-256 of the whole canonical doc (what older runs recorded) */
    json_t *fields;       /* {field: first 16 hex of its digest}, limits left out */
    char **accept;        /* "accept": mime patterns ("text/csv", or "image/" and a star) that archive
                           * and folder entries must match to run, or NULL: media only */
    size_t naccept;
};

int pipe_load(const char *path, struct pipeline **out, struct gb_err *err);
void pipe_free(struct pipeline *p);

/* Replace {{name}} in tmpl from vars (an object, may be NULL), the built-in
 * {{id}}, and dotted paths into ctx (may be NULL), e.g. {{prev.text}} or
 * {{prev.output.total}} for multi-step pipelines. Strings are inserted as is,
 * other values as compact JSON. Unknown names fail with GB_EINVAL naming the
 * variable. *out is new. */
int pipe_render(const char *tmpl, const json_t *vars, const char *id, const json_t *ctx,
                char **out, struct gb_err *err);

/* Check up front that every tool's program exists and may be run: a path
 * with a '/' (resolved against the pipeline's folder) must be an executable
 * regular file; a bare name must be one in a folder of PATH, as
 * posix_spawnp looks it up when the tool is called. GB_ENOENT or
 * GB_EINVAL naming the tool and its program, so nothing is paid for a run
 * whose tool calls would all fail. */
int pipe_check_tools(const struct pipeline *p, struct gb_err *err);

/* The program answering function tool name, or NULL. */
const struct pipe_tool *pipe_tool(const struct pipeline *p, const char *name);

/* Whether a file sniffed as sr (an archive or folder entry, or a media file
 * given as INPUT) runs under this pipeline, and as what content type: with
 * no "accept", images, audio, video and PDFs run as themselves; with one,
 * exactly the mime types it matches run ("document" when sniffing gave no
 * content type). NULL: the file is passed over. */
const char *pipe_entry_type(const struct pipeline *p, const struct sniff_result *sr);
/* Why pipe_entry_type passed sr over, for the skipped list, into out. */
void pipe_skip_reason(const struct pipeline *p, const struct sniff_result *sr, char *out,
                      size_t outsz);
/* 1 when mime matches one of the "accept" patterns (exact, or "type/" plus a star;
 * case-insensitive). */
int pipe_accepts(const struct pipeline *p, const char *mime);

/* Local keys of a step object (never sent): "name", "prompt". */
int pipe_step_local(const char *key);

/* The bare JSON Schema inside a response_format value in either dialect
 * (G1: the schema itself; G3: {"type":"text","schema":S} or an array of such
 * wrappers), borrowed; NULL when it carries no JSON schema (e.g. image). */
json_t *pipe_response_schema(json_t *response_format);

#endif
