/* imgstream.h: inline media decoded straight to disk while a response body
 * streams in (issue 14 point 5). A 150 MiB image used to be held as a 200
 * MiB base64 body, then a JSON string, then decoded bytes: 577 MB of RSS.
 * This scanner sits in an op's on_data callback, spots the base64 "data" of
 * media items in a JSON body or an SSE stream, decodes it chunk by chunk
 * into a file in OUTDIR/.spool, and leaves a short placeholder string in the
 * body it passes on, so an image costs a small multiple of a chunk.
 *
 * Which strings: the value of "data" in an object that is an element of an
 * "outputs" or "content" array (G1 outputs, G3 steps[].content, echoed
 * inputs) or the value of "delta" (content.delta / step.delta events), when
 * it is longer than the threshold; shorter ones stay in the body as they
 * are. The scanner only follows the structure; the body is parsed later as
 * before, and a placeholder there names an item (imgs_lookup).
 * Ownership: struct imgstream owns its items and their spool files until
 * imgs_claim hands one on (to sink_batch_image_file); imgs_free removes the
 * files nobody claimed. The spool descriptor is borrowed. */
#ifndef GB_IMGSTREAM_H
#define GB_IMGSTREAM_H

#include <stddef.h>
#include <stdint.h>

#include "b64.h"
#include "buf.h"

enum imgs_mode { IMGS_JSON, IMGS_SSE };

/* data strings at least this long go to disk (shorter ones cost nothing) */
#define IMGS_THRESHOLD_DEFAULT ((size_t)64 << 10)
/* one decoded file at most: an image the size of the response limit is
 * already far past what any model draws; a server sending more is stopped
 * before it fills the disk */
#define IMGS_MAX_ITEM_DEFAULT ((uint64_t)256 << 20)
#define IMGS_PLACEHOLDER_PREFIX "gbspool:"

struct imgs_item {
    char spool[48];          /* file name in the spool folder */
    uint64_t bytes;          /* decoded bytes written */
    int bad;                 /* not valid base64, or cut short: the file is gone */
    int claimed;             /* handed on: imgs_free leaves the file */
};

enum { IMGS_MAXDEPTH = 64 };

struct imgs_level {
    unsigned char obj;       /* an object (else an array) */
    unsigned char expect_key;
    unsigned char cand;      /* an object whose "data" is media */
    unsigned char key;       /* object: the current key; array: the key it is the value of */
};

struct imgstream {
    enum imgs_mode mode;
    int spool_dirfd;         /* borrowed */
    size_t threshold;
    size_t max_items;        /* files spooled per body before GB_ELIMIT */
    char nonce[17];          /* in every placeholder: a server cannot name our items */
    struct imgs_item *items;
    size_t n, cap;
    int over_limit;          /* more than max_items media strings: the transfer stops */
    uint64_t max_item_bytes; /* one decoded file at most (IMGS_MAX_ITEM_DEFAULT) */
    int too_big;             /* a file passed max_item_bytes: the transfer stops */
    int failed;              /* a spool write failed (err = errno): the transfer stops */
    int err;
    /* JSON structure */
    int depth;               /* may pass IMGS_MAXDEPTH: deeper levels are not followed */
    struct imgs_level lv[IMGS_MAXDEPTH];
    int in_str, str_role, esc;
    int nu;                  /* hex digits of a \uXXXX seen so far, -1 outside one */
    unsigned uval;
    char key[12];
    int keylen, key_odd;
    struct buf pend;         /* a media string's first bytes, not yet decided */
    /* SSE framing */
    int ls;                  /* line state */
    char field[8];
    int nfield, line_len, saw_cr;
    /* the string being decoded */
    int fd;
    struct b64_dec dec;
    struct imgs_item *cur;
    size_t nchars;
    /* the buffers stay last: init and free clear only what comes before
     * them (14 KiB a body, most of which never carries an image) */
    char chars[8192];        /* unescaped base64 waiting to be decoded */
    unsigned char bytes[6144 + 4];
};

/* mode: a JSON document or an SSE stream of JSON events; spool_dirfd: the
 * folder for the files (sink_spool_fd); threshold 0: the default; max_items:
 * how many files one body may spool (the per-answer image cap plus the
 * job's own media, which a server may echo back). */
int imgs_init(struct imgstream *s, enum imgs_mode mode, int spool_dirfd, size_t threshold,
              size_t max_items);
/* Feed n bytes of the body; what is kept (all of it but the spooled strings,
 * each replaced by its placeholder) is appended to out. 0, or non-zero to
 * stop the transfer: GB_ELIMIT with over_limit set past max_items, GB_ELIMIT
 * alone when out reached its ceiling (the kept body is too large), GB_EIO
 * with failed and err set when a spool write failed, GB_ENOMEM. */
int imgs_feed(struct imgstream *s, const char *p, size_t n, struct buf *out);
/* The body ended: a string still open was cut short (its item turns bad and
 * its first bytes go out as they came, so the body stays as broken as it was). */
int imgs_finish(struct imgstream *s, struct buf *out);
/* The item a data string names, or NULL if it is not one of ours. */
struct imgs_item *imgs_lookup(struct imgstream *s, const char *data, size_t len);
/* The item's file now belongs to whoever took it (the sink renames it). */
void imgs_claim(struct imgs_item *it);
/* Close, remove the files nobody claimed, free. */
void imgs_free(struct imgstream *s);

#endif
