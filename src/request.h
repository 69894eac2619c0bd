/* request.h: request bodies that stream. A body is a list of segments: JSON
 * text, a local file base64-encoded on the fly, or a raw byte range of a file
 * (Files API chunks). curl pulls it through body_read and rewinds it through
 * body_seek, so retries and redirects resend it without holding media in
 * memory: a request's memory does not grow with its media.
 * Ownership: a struct body owns its text and segment table and any file it
 * opened; body_free releases them. Media paths are borrowed from the job. */
#ifndef GB_REQUEST_H
#define GB_REQUEST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "err.h"
#include "response.h"

struct job;
struct job_ctx;
struct media;
struct media_info;

enum seg_kind { SEG_TEXT, SEG_B64FILE, SEG_RAWFILE };

struct body_seg {
    enum seg_kind kind;
    const char *text;  /* SEG_TEXT: points into body->text */
    const char *path;  /* file segments: borrowed */
    uint64_t off;      /* SEG_RAWFILE: first byte; SEG_B64FILE: 0 */
    uint64_t bytes;    /* file bytes covered (file segments) */
    uint64_t len;      /* bytes this segment adds to the body */
};

struct body {
    char *text;
    size_t text_len;
    struct body_seg *segs;
    size_t nseg;
    uint64_t total;    /* Content-Length */
    /* read state */
    size_t si;         /* current segment */
    uint64_t seg_pos;  /* position inside it */
    int fd;            /* open file of the current file segment, or -1 */
    size_t fd_seg;
    char pend[4];
    int pend_len, pend_pos;
    unsigned char *scratch; /* borrowed, scratch_sz bytes */
    size_t scratch_sz;
    char error[256];   /* why a read failed */
};

void body_init(struct body *b, unsigned char *scratch, size_t scratch_sz);
void body_free(struct body *b);

/* Render a job's request (media as base64 of their files; uploaded media as
 * uri). Replaces any previous content of b. */
int body_from_request(struct body *b, const struct job_ctx *ctx, const json_t *req,
                      const struct job *job, struct gb_err *err);
/* The body is a copy of text. */
int body_from_text(struct body *b, const char *text, size_t len);
/* The body is bytes [off, off+len) of path (a Files API chunk). */
int body_from_file_range(struct body *b, const char *path, uint64_t off, uint64_t len);

/* libcurl CURLOPT_READFUNCTION / CURLOPT_SEEKFUNCTION (userdata = body). */
size_t body_read(char *dst, size_t size, size_t nmemb, void *userdata);
int body_seek(void *userdata, int64_t offset, int origin);
void body_rewind(struct body *b);

/* Estimated input tokens of a request: text at ~4 characters a token, media
 * at the published rates from what their headers say (mediainfo.h: seconds
 * of audio and video, PDF pages, image tiles), from their size when the
 * headers cannot tell. Media going through the Files API count the same. */
long req_estimate_tokens(const json_t *req, const struct job *job);

struct req_estimate {
    long text_tokens;      /* "input" and "system_instruction" text */
    long media_tokens;     /* every media part of the job */
    int guessed;           /* some media part was estimated from its size */
};
/* The same, with its parts in *out (may be NULL). Returns the total. */
long req_estimate(const json_t *req, const struct job *job, struct req_estimate *out);
/* One media part's tokens; *mi (may be NULL) gets what its headers said. */
long req_media_tokens(const struct media *m, struct media_info *mi);

/* A ceiling on a request's input tokens, for --max-cost (req_estimate is the
 * typical figure; this one is the most the request can be billed for):
 *   text at one token a byte (no token is shorter than a byte): every key,
 *   string and number of the request but the bytes of its media parts;
 *   the job's media files at the published rates from their headers, by
 *   modality (a video's soundtrack as audio besides its frames; a document
 *   other than a PDF as text, a token a byte).
 * Tokens whose modality or count is not known from headers (a file measured
 * from its size, a type the modalities do not name) go to `any`, to be
 * priced at the highest input rate. Media parts that are not the job's files
 * (inline data or a uri given on the line) and a previous_interaction_id the
 * line gives carry input that cannot be measured here: counted in
 * `unmeasured` (1 for the first such part), unless followup is set (a
 * follow-up's request: what it continues is the caller's to add, and the
 * media of the model's answers are in it). */
struct req_bound {
    long long by[USAGE_NMOD];
    long long any;
    int unmeasured;
    const char *why;       /* what could not be measured (a static string), or NULL */
};
void req_input_bound(const json_t *req, const struct job_ctx *ctx, const struct job *job,
                     int followup, struct req_bound *out);

#endif
