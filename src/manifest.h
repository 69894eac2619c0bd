/* manifest.h: JSONL manifests read as a stream: one line at a time, any
 * length up to a ceiling, CRLF accepted, blank lines skipped, line numbers
 * kept. Never loads a whole manifest.
 * Ownership: struct man_reader owns its buffers and the descriptor it opened
 * (not stdin); man_close releases them. Lines returned by man_next are
 * borrowed until the next call. */
#ifndef GB_MANIFEST_H
#define GB_MANIFEST_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "buf.h"
#include "err.h"

struct man_reader {
    int fd;
    int own_fd;
    char *name;       /* as given ("-" shown as "<stdin>") */
    char *dir;        /* folder that relative paths in the manifest are resolved against */
    long line;        /* number of the last line returned (1-based) */
    char *chunk;      /* read buffer */
    size_t chunk_len, chunk_pos;
    struct buf cur;   /* the line being assembled */
    size_t max_line;  /* ceiling: a longer line is an error for that line */
    int eof;
    int skipping;     /* discarding the rest of an overlong line */
    uint64_t bytes_read;
    /* instead of read(2) on fd: a decoder's output (a compressed manifest) */
    ssize_t (*src)(void *ctx, void *buf, size_t n, struct gb_err *err);
    void *src_ctx;
};

/* Open path ("-" = stdin). max_line 0 = default (64 MiB). */
int man_open(const char *path, size_t max_line, struct man_reader *r, struct gb_err *err);
/* Read an already open descriptor whose first n bytes were read into head
 * (sniffing); the reader takes ownership of fd when own_fd is set. */
int man_open_fd(int fd, int own_fd, const char *name, const char *dir, const void *head, size_t n,
                size_t max_line, struct man_reader *r, struct gb_err *err);
/* Read lines from src (see struct man_reader); nothing is owned but copies
 * of name and dir. */
int man_open_src(ssize_t (*src)(void *, void *, size_t, struct gb_err *), void *ctx,
                 const char *name, const char *dir, size_t max_line, struct man_reader *r,
                 struct gb_err *err);
void man_close(struct man_reader *r);

/* Next non-blank line (CR/LF stripped). Returns 1 with line, len and lineno set,
 * 0 at end of input, GB_ELIMIT for an overlong line (lineno set, the line is
 * skipped and reading can go on), GB_EIO on a read error. */
int man_next(struct man_reader *r, const char **line, size_t *len, long *lineno,
             struct gb_err *err);

/* Count non-blank lines of a regular file quickly (for progress totals);
 * -1 when path is stdin or not a regular file. */
long long man_count_lines(const char *path);

#endif
