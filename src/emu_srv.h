/* emu_srv.h: the emulator's HTTP side, shared by emu_server.c (daemon,
 * request life cycle, timers, faults, rate limit, log) and emu_routes.c (what
 * each endpoint answers). Nothing outside these two files includes it.
 * Ownership: struct emu owns everything it points to; a struct req lives
 * from a request's headers to MHD's completion callback and owns its body,
 * its reply and its held upload session. */
#ifndef GB_EMU_SRV_H
#define GB_EMU_SRV_H

#include <microhttpd.h>
#include <pthread.h>

#include "emu.h"
#include "emu_int.h"

enum route {
    R_NONE = 0,      /* unknown path: 404 */
    R_CREATE,        /* POST /{v}/interactions */
    R_GET,           /* GET /{v}/interactions/{id} */
    R_DELETE,        /* DELETE /{v}/interactions/{id} */
    R_CANCEL,        /* POST /{v}/interactions/{id}/cancel */
    R_FILES_LIST,    /* GET /{v}/files */
    R_FILE_GET,      /* GET /{v}/files/{id} */
    R_FILE_DELETE,   /* DELETE /{v}/files/{id} */
    R_UPLOAD_START,  /* POST /upload/{v}/files */
    R_UPLOAD_CHUNK,  /* POST /upload/{v}/files?upload_id=... */
};

enum fault { F_NONE = 0, F_429, F_500, F_503, F_RESET, F_SLOW, F_BAD_JSON, F_SCHEMA, F_FAILED,
             F_CONT, F_NKINDS };

struct fault_spec {
    int kind;
    double rate;
};

#define REPLY_MAX_HEADERS 4

struct reply {
    unsigned status;
    char *body;             /* owned until handed to MHD */
    size_t len;
    const char *ctype;      /* static; NULL for no Content-Type */
    int sse;                /* event stream: close the connection after it */
    long retry_after_s;
    int nh;
    const char *hname[REPLY_MAX_HEADERS];
    char hval[REPLY_MAX_HEADERS][512];
};

struct req {
    struct emu *e;
    struct MHD_Connection *conn;
    int route;
    const char *method;     /* MHD's static string */
    char url[512];
    char version[16];       /* "v1beta" | "v1" | "v1alpha" */
    char id[160];           /* interaction or file id from the path */
    struct emu_hdrs hdrs;
    int dialect;
    int fault;
    int pre;                /* an answer was decided from the headers alone */
    struct emu_err err;     /* ...this one */
    struct buf body;
    int too_big;
    uint64_t body_bytes;
    /* upload chunk */
    struct emu_upload *up;
    int up_cmd;
    uint64_t up_offset, up_got, up_cut;
    int up_failed;
    /* the answer */
    struct reply rep;
    struct MHD_Response *resp;
    long delay_ms;
    int suspended;
    int in_heap;
    size_t heap_idx;
    /* for the log */
    int logged;
    char log_model[128];
    int log_is_agent;
    char log_iid[192];
    char log_file[64];
    char log_prev[192];     /* previous_interaction_id of a create, or "" */
    int log_turns;          /* turns of a create's whole conversation */
    int log_continued;      /* a create that resumed from a continuation_token */
    int log_signatures;     /* thought signatures the create's input sent back */
    json_t *log_parts;      /* new ref or NULL */
};

struct timer_ent {
    int64_t due_ms;
    struct req *r;
};

struct emu {
    struct emu_opts o;      /* strings below are our own copies */
    char *listen, *api_key, *faults_text, *log_path;
    char base_url[160];
    int port;
    int listen_fd;          /* ours until the daemon takes it */
    struct MHD_Daemon *d;
    struct emu_store *store;
    struct emu_files *files;
    struct emu_schemas *schemas;
    int log_fd;
    struct fault_spec faults[F_NKINDS];
    int nfaults;
    uint64_t fault_ctr, jitter_ctr, id_ctr, nreq; /* atomic */
    uint64_t nonce;
    pthread_mutex_t rl_mu;
    double rl_tokens;
    int64_t rl_last_ms;
    pthread_t timer;
    int timer_started;
    pthread_mutex_t tmu;
    pthread_cond_t tcv;
    struct timer_ent *heap;
    size_t nheap, capheap;
    int stopping;           /* atomic */
    int quit;
    long nsuspended;        /* atomic */
};

/* emu_server.c */
const char *req_header(struct req *r, const char *name);
const char *req_query(struct req *r, const char *name);
void emu_new_id(struct emu *e, char out[48]);
const char *fault_name(int kind);

/* emu_timer.c (callers hold no lock; the heap has its own, e->tmu) */
int emu_timer_add(struct emu *e, struct req *r, int64_t due_ms);
void emu_heap_remove(struct emu *e, size_t i); /* with e->tmu held */
void *emu_timer_main(void *arg);

/* emu_log.c: one line for r, once (status 0: no answer was sent) */
void emu_log_request(struct req *r, unsigned status);

/* emu_routes.c: each fills r->rep (and the log fields) */
void route_create(struct req *r);
void route_get(struct req *r);
void route_delete(struct req *r);
void route_cancel(struct req *r);
void route_files_list(struct req *r);
void route_file_get(struct req *r);
void route_file_delete(struct req *r);
void route_upload_start(struct req *r);
void route_upload_chunk(struct req *r);

void reply_error(struct req *r, const struct emu_err *err);
void reply_body(struct req *r, unsigned status, const char *ctype, char *body, size_t len);
void reply_header(struct req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
