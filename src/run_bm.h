/* run_bm.h: Batch Mode's own header, shared by its three files:
 * run_bpart.c (the state file, part files, one HTTP call at a time),
 * run_bjoin.c (results: download, join, lost batches, the online list) and
 * run_bmode.c (build, upload, create, poll, cancel, the steps). run.c sees
 * only what run_int.h declares.
 * Ownership: struct bm owns its parts, writers, interned names and the
 * online list's descriptors; bm_close (run_bmode.c) releases them. */
#ifndef GB_RUN_BM_H
#define GB_RUN_BM_H

#include "run_int.h"

#include <stdio.h>

#define BM_DIR "batch"
#define BM_STATE BM_DIR "/state.jsonl"
#define BM_ONLINE BM_DIR "/online.jsonl"
#define BM_MAX_PARTS 100000
#define BM_POLL_FIRST_S 60.0 /* without --poll-interval */
#define BM_POLL_MAX_S 600.0

/* Not a state of the API: the batch answered 404 (it was deleted). */
#define BM_STATE_GONE "BATCH_STATE_DELETED"

struct bm_part {
    int n;                /* 1.. */
    int round;            /* 0: the jobs' first requests; r: their r-th re-ask */
    int resubmit_of;      /* 0, or the part whose unfinished jobs this one asks again */
    char model[128];
    long long requests;
    uint64_t bytes;
    char file_name[128];  /* files/... once uploaded */
    int create_sent;      /* a create left (its answer may have been lost) */
    char batch[160];      /* batches/... once made */
    int cancel_sent;      /* --mode auto cancelled it near the deadline */
    char state[48];       /* BATCH_STATE_..., once ended (BM_STATE_GONE: deleted) */
    char seen[48];        /* the state the last look found, while it runs (not recorded) */
    int reuploaded;       /* its input was uploaded again this run (it had expired) */
    char responses[160];  /* files/batch-... of a part that succeeded */
    int downloaded, joined;
    int synthetic;        /* its results came from the gembatch emulator */
};

/* A part being written: its requests and, beside them, what each line's job
 * is (meta: id, where it came from, where its request is in the part file,
 * its schema when it is not the pipeline's, the re-asks it had). */
struct bm_writer {
    struct bm_part *p;
    int fd, mfd;
    struct sha256 sha;
    uint64_t off;
};

struct bm {
    struct run *r;
    int state_fd;
    char folder[17];      /* this OUTDIR's own id, in every displayName */
    struct bm_part *parts;
    size_t nparts, cap;
    int built_all;        /* round 0 is wholly written into parts */
    struct bm_writer *open; /* parts being written, one per model */
    size_t nopen;
    long long per_part;   /* requests in a part at most */
    uint64_t max_bytes;   /* bytes of a part file at most */
    double poll_s;
    int running;          /* batches not ended */
    char **sources;       /* interned input names (jobs rebuilt by the join) */
    size_t nsources;
    /* the online list (OUTDIR/batch/online.jsonl): jobs the online pass sends;
     * r->online_at indexes it */
    int online_fd;        /* appended */
    FILE *online_rd;      /* read back at offsets */
    uint64_t online_off;  /* its size */
    int online_new;       /* lines were added since the last online pass */
    long online_taken;    /* taken by the online passes of this run */
    unsigned char scratch[48 * 1024]; /* base64 of media on their way into a part */
};

/* ---- run_bpart.c ---------------------------------------------------------------- */
/* GEMBATCH_TEST_CRASH=POINT: SIGKILL right there (tests only). */
void bm_crash_point(const char *point);
char *bm_path(const struct bm *b, const char *name); /* OUTDIR/name, new */
/* name (BM_DIR "/...", as bm_part_file makes it) opened inside OUTDIR/batch's
 * descriptor (sink_batch_fd), never through a link: fsx_open_at's rules (a
 * link fails with ELOOP), created 0666. A descriptor, or -1 with errno. */
int bm_open_at(struct bm *b, const char *name, int flags);
FILE *bm_fopen(struct bm *b, const char *name); /* the same, read; NULL with errno */
/* Fill err for name (as above) that bm_open_at could not open (errno e): a
 * link or a non-file gets the words sink.c uses. GB_ESTATE or GB_EIO. */
int bm_open_fail(const struct bm *b, struct gb_err *err, const char *name, int e);
void bm_part_file(const struct bm_part *p, const char *what, char *out, size_t n);
void bm_copy(char *dst, size_t n, const char *src);
/* One step, on disk (fsync'd) before anything else happens; takes o. */
int bm_state_line(struct bm *b, json_t *o);
/* Open OUTDIR/batch and read the steps an earlier run took. */
int bm_state_open(struct bm *b, struct gb_err *err);
void bm_display_name(const struct bm *b, const struct bm_part *p, char *out, size_t n);
/* Run op to its end; NULL when interrupted (op freed). */
struct op *bm_call(struct bm *b, struct op *op);
/* One attempt (attempt: 1, 2, ...) of a call whose answer is JSON: 0 with
 * *doc (new), or the HTTP status (or -1 without one) with why filled and
 * *again_ms the wait before the next attempt when retry.c says to retry
 * (else -1). For a call that must not simply be sent again (a create). */
long bm_call_json_once(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                       const json_t *body, int attempt, json_t **doc, long *again_ms, char *why,
                       size_t wn);
/* Wait ms, cut short by a signal: 0, or -1 when interrupted. */
int bm_sleep_ms(long ms);
/* A call whose answer is JSON: 0 with *doc (new), or the HTTP status (or -1
 * without one) with why filled. Retries what retry.c says to retry. */
long bm_call_json(struct bm *b, const char *method, const char *url_fmt, const char *arg,
                  const json_t *body, json_t **doc, char *why, size_t wn);
/* Add one request line (key and request; media as placeholders of j, or j
 * NULL for a line read back from a part) and its meta line to the open part
 * of (model, round, resubmit_of). */
int bm_add_line(struct bm *b, const char *model, int round, int resubmit_of, json_t *line,
                const struct job *j, json_t *meta);
int bm_close_all(struct bm *b); /* close the parts being written (they are whole) */
const char *bm_model_of(const json_t *req, const struct config *cfg);
const char *bm_intern_source(struct bm *b, const char *s);
/* The request line a meta line points at. New, or NULL. */
json_t *bm_request_of(struct bm *b, const struct bm_part *p, const json_t *meta);

/* ---- run_bjoin.c ---------------------------------------------------------------- */
int bm_download(struct bm *b, struct bm_part *p);
/* Join a part's results file; answered gets the id digest of every line
 * it holds. */
int bm_join(struct bm *b, struct bm_part *p, struct dset *answered);
/* A part's end: its jobs with no line in its results (answered: NULL when
 * it had none) asked again (a new part, or online) or reported, as
 * --batch-lost says; then the part is joined. */
int bm_settle(struct bm *b, struct bm_part *p, const struct dset *answered);
int bm_online_open(struct bm *b, struct gb_err *err);
/* Add a job to the online list: o holds its "id" and "why" (taken). */
int bm_online_add(struct bm *b, json_t *o);
int bm_online_sync(struct bm *b); /* on disk before the step that relies on it */

#endif
