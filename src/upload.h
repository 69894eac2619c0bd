/* upload.h: the Files API client: the resumable upload (start, 8 MiB chunks,
 * query-and-resume from the offset the server reports after a broken chunk,
 * finalize), then polling the file until ACTIVE. One record per distinct
 * content digest, so bytes used by many jobs go up once per run.
 * Ownership: struct uploads owns every record and the paths it copied; ops it
 * builds are new and owned by the caller until handed to xfer. */
#ifndef GB_UPLOAD_H
#define GB_UPLOAD_H

#include <stdint.h>

#include "retry.h"
#include "xfer.h"

struct task; /* the engine's (run_int.h): upload.c only keeps the pointers */

enum upl_state { UPL_RUNNING, UPL_ACTIVE, UPL_FAILED };
enum upl_step { UPL_START, UPL_CHUNK, UPL_QUERY, UPL_GET };

/* op kinds used by upload ops (distinct from run.c's) */
enum { OPK_UPLOAD = 100 };

struct upl {
    uint8_t sha[32];
    uint64_t size;
    char mime[64];
    char *path;              /* where the bytes are read from (copied) */
    enum upl_state state;
    enum upl_step step;
    char *upload_url;
    uint64_t offset;         /* bytes the server has */
    uint64_t chunk_len;      /* length of the chunk in flight */
    char *name;              /* files/abc */
    char *uri;
    char error[512];
    int attempts;            /* attempts of the current step */
    double poll_s;
    struct task *owner;      /* the task driving it */
    struct task *waiters;    /* tasks waiting for it (linked through task->next) */
    long long resumes;       /* chunks resumed after a query */
    int requeried;           /* a refused chunk was followed by a query */
};

struct uploads {
    struct upl **v;
    size_t n, cap;
    char *endpoint;          /* base URL without the version */
    const char *version;
    uint64_t chunk_bytes;    /* 8 MiB */
    long long bytes_sent, files, resumes, reused;
};

int uploads_init(struct uploads *u, const char *endpoint, const char *version);
void uploads_free(struct uploads *u);
struct upl *uploads_find(struct uploads *u, const uint8_t sha[32]);
struct upl *uploads_add(struct uploads *u, const uint8_t sha[32], uint64_t size,
                        const char *mime, const char *path);

/* The op for the record's current step (new; kind OPK_UPLOAD, user = user). */
struct op *upl_op(struct uploads *u, struct xfer *x, struct upl *rec, void *user);

enum upl_next {
    UPL_GO,        /* issue the next op now */
    UPL_LATER,     /* issue the next op after *delay_ms */
    UPL_DONE,      /* state is UPL_ACTIVE */
    UPL_FAIL,      /* state is UPL_FAILED, rec->error says why */
    UPL_ABORT,     /* authentication refused or TLS: the run must stop */
};

/* Digest a finished op of rec and move the record on. */
enum upl_next upl_done(struct uploads *u, struct upl *rec, struct op *op,
                       const struct retry_policy *p, uint64_t rnd, long *delay_ms);

#endif
