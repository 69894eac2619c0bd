/* emu_srv.h: the emulator's HTTP side, shared by emu_server.c (daemon,
 * request life cycle, timers), emu_http.c (request accessors, replies and the
 * HTTP response made of one), emu_faults.c (--fault, latency and rate-limit
 * draws), emu_routes.c (the route table and what each endpoint answers) and
 * emu_log.c. Nothing outside these files includes it.
 * Ownership: struct emu owns everything it points to; a struct req lives
 * from a request's headers to MHD's completion callback and owns its body,
 * its reply and its held upload session. */
#ifndef GB_EMU_SRV_H
#define GB_EMU_SRV_H

#include <microhttpd.h>
#include <pthread.h>

#include "emu.h"
#include "emu_int.h"

/* ---- faults, latency and rate-limit draws (emu_faults.c) ----------------- */

enum fault { F_NONE = 0, F_429, F_500, F_503, F_RESET, F_SLOW, F_BAD_JSON, F_SCHEMA, F_FAILED,
             F_CONT, F_IDLE, F_SHED, F_NKINDS };

struct fault_spec {
    int kind;
    double rate;
};

/* --fault as parsed, and the counters its seeded draws come from. */
struct emu_faults {
    struct fault_spec spec[F_NKINDS];
    int n;
    double batch_line, batch_drop, batch_expire, batch_create_lost; /* per batch line and per
                                                                     * batch: not per request */
    uint64_t seed;
    uint64_t fault_ctr, jitter_ctr; /* atomic */
};

/* "429=0.1,reset=0.02" (NULL: none). GB_EINVAL with a message naming the item. */
int emu_faults_parse(struct emu_faults *f, const char *text, uint64_t seed, struct gb_err *err);
/* The rate --fault gave kind (0 when not given). */
double emu_fault_rate(const struct emu_faults *f, int kind);
/* One draw per request, from a counter: F_NONE or the fault it gets; *pos
 * (may be NULL) is where in that kind's band the draw fell, in [0, 1). */
int emu_fault_draw(struct emu_faults *f, double *pos);
const char *fault_name(int kind); /* "503", ...; NULL for F_NONE */
/* The error a fault answers with before any body is read (429, 500, 503):
 * fills err and returns 1; 0 for every other kind. */
int emu_fault_error(int kind, struct emu_err *err);
/* The shed fault on a flex request: 503 UNAVAILABLE for the lower half of
 * its band, 429 RESOURCE_EXHAUSTED for the upper (both documented for flex
 * shedding), no Retry-After (none is documented). */
void emu_fault_shed(double pos, struct emu_err *err);
/* latency_ms plus a seeded uniform 0..jitter_ms. */
long emu_delay_draw(struct emu_faults *f, long latency_ms, long jitter_ms);

/* A token bucket: per_min a minute, a burst of per_min (0: unlimited). */
struct emu_bucket {
    pthread_mutex_t mu;
    long per_min;
    double tokens;
    int64_t last_ms;
};
void emu_bucket_init(struct emu_bucket *b, long per_min);
void emu_bucket_free(struct emu_bucket *b);
/* Take one: 0, or the whole seconds until one is there (nothing taken). */
long emu_bucket_take(struct emu_bucket *b);

/* ---- requests and replies (emu_http.c) ------------------------------------- */

#define JSON_CTYPE "application/json; charset=UTF-8"
#define REPLY_MAX_HEADERS 4

struct reply {
    unsigned status;
    char *body;             /* owned until handed to MHD */
    size_t len;             /* of body, or of stream */
    struct emu_body *stream; /* instead of body: read as it is sent; owned */
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
    const struct emu_route *rt; /* NULL: no route matched (404) */
    const char *method;     /* MHD's static string */
    char url[512];
    char version[16];       /* "v1beta" | "v1" | "v1alpha" */
    char id[160];           /* interaction or file id from the path */
    struct emu_hdrs hdrs;
    int dialect;
    int fault;
    double fault_pos;       /* where in the fault's band the draw fell */
    int tier_asked, tier_served; /* enum emu_tier of a create (served NONE: not served) */
    int pre;                /* an answer was decided from the headers alone */
    struct emu_err err;     /* ...this one */
    struct buf body;
    int too_big;
    uint64_t body_bytes;
    int64_t content_length; /* -1: not given */
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
    struct emu_batch_info log_batch; /* a Batch API call's batch (name "" if none) */
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
    struct emu_spool *spool;
    struct emu_batches *batches;
    struct emu_schemas *schemas;
    int log_fd;
    struct emu_faults faults;
    struct emu_bucket rpm;  /* --rpm, over the routes that count */
    struct emu_bucket priority; /* --priority-rpm: priority served as priority */
    uint64_t id_ctr, nreq;  /* atomic */
    uint64_t nonce;
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

/* emu_http.c: what every route and the log reach, without calling up */
const char *req_header(struct req *r, const char *name);
const char *req_query(struct req *r, const char *name);
void emu_new_id(struct emu *e, char out[48]);
void reply_error(struct req *r, const struct emu_err *err);
void reply_body(struct req *r, unsigned status, const char *ctype, char *body, size_t len);
/* 200 with a JSON body (takes json; NULL, out of memory: a 500). */
void reply_json(struct req *r, char *json, size_t len);
/* A body read as it is sent (takes body, even on failure). */
void reply_stream(struct req *r, unsigned status, const char *ctype, struct emu_body *body);
void reply_header(struct req *r, const char *name, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* r->rep as an MHD response (the reset and bad_json faults cut it); takes the
 * body. NULL when out of memory. */
struct MHD_Response *emu_response(struct req *r);

/* ---- the routes (emu_routes.c) ---------------------------------------------- */

/* What a route needs from the request life cycle besides its handlers. */
enum {
    RT_BIG_BODY = 1,    /* body up to --max-request-bytes (a bigger Content-Length: 400) */
    RT_RPM = 2,         /* counts toward --rpm */
    RT_KEYLESS = 4,     /* no API key needed: the upload URL is the credential */
    RT_FAULT_FAILED = 8,  /* the failed fault applies */
    RT_FAULT_MODEL = 16,  /* the faults that shape a model's answer apply (continuation,
                           * idle, shed) */
    RT_OWN_ERRORS = 32, /* answer() also answers an error decided from the headers */
    RT_UPLOAD = 64,     /* the log gets the upload fields */
    RT_TIER = 128,      /* a model request: service_tier applies, the log has the tiers */
};

/* One row per endpoint, used both to route and to dispatch (the pages[]
 * table of libmicrohttpd's examples). A path pattern is literal segments,
 * "{v}" (v1beta, v1 or v1alpha), "{id}" (one segment, into r->id), "{id}:verb"
 * (a segment ending ":verb", the part before it into r->id) and an optional
 * trailing "/?" (a trailing slash is accepted). */
struct emu_route {
    const char *method;
    const char *path;
    const char *query;      /* a query argument the route needs present, or NULL */
    unsigned flags;         /* RT_* */
    void (*headers)(struct req *r); /* headers in, checks passed, body not read; or NULL */
    void (*answer)(struct req *r);  /* body in: fill r->rep (and the log fields) */
};

/* The route of method and url (filling r->version and r->id), or NULL. */
const struct emu_route *emu_route_find(struct req *r, const char *method, const char *url);

/* emu_batch_routes.c: the Batch API's endpoints and file downloads */
void route_batch_create(struct req *r);
void route_batch_get(struct req *r);
void route_batch_list(struct req *r);
void route_batch_cancel(struct req *r);
void route_batch_delete(struct req *r);
void route_file_download(struct req *r);

/* emu_timer.c (callers hold no lock; the heap has its own, e->tmu) */
int emu_timer_add(struct emu *e, struct req *r, int64_t due_ms);
void emu_heap_remove(struct emu *e, size_t i); /* with e->tmu held */
void *emu_timer_main(void *arg);

/* emu_log.c: one line for r, once (status 0: no answer was sent) */
void emu_log_request(struct req *r, unsigned status);

#endif
