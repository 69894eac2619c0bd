/* xfer.h: the transfer layer: one libcurl multi handle running operations
 * (an HTTP request with a streaming body and a capped response buffer).
 * It knows nothing about jobs or files on disk: the caller creates an op,
 * xfer runs it, and hands it back finished through xfer_next_done.
 * Every transfer is http or https (a server's URL cannot make curl read a
 * file or speak gopher); the API key goes only to the endpoint's origin;
 * response bytes held at once across all ops stay under one byte budget.
 * Ownership: op_new returns a new op owned by the caller; after xfer_add the
 * op is lent to xfer until xfer_next_done returns it (or xfer_cancel). An op
 * may outlive its xfer (the budget they share is freed by the last one). */
#ifndef GB_XFER_H
#define GB_XFER_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "emu.h"
#include "request.h"

/* Every answer of the gembatch emulator carries this header, so answers
 * that are synthetic are known as such wherever they come from. */
#define EMULATOR_HEADER EMU_MARK_HEADER

struct xfer_opts {
    const char *cacert;        /* extra CA bundle, or NULL */
    long connect_timeout_ms;
    int max_host_connections;  /* 0 = unlimited */
};

/* The default budget: one response at the per-response ceiling fits with
 * room to spare (so a single oversized body is told it passed its own
 * limit), and whatever many hostile servers send, the sum stays there
 * (issue 14: eight 2 GiB bodies reached 776 MB before). */
#define XFER_BUDGET_DEFAULT ((size_t)320 << 20)
/* The per-response ceiling op_new sets (op->resp_max). */
#define XFER_RESP_MAX ((size_t)256 << 20)

struct xfer_budget {           /* shared by an xfer and its ops */
    size_t used, max;
    int refs;
};

struct xfer {
    CURLM *multi;
    struct xfer_opts opts;
    CURL **pool;               /* idle easy handles, reused for connection cache hits */
    int npool, cappool;
    int running;               /* ops added and not yet returned */
    unsigned char *scratch;    /* shared base64 scratch for request bodies */
    size_t scratch_sz;
    struct curl_slist *common; /* headers sent on every request (UA, type), without the key */
    struct curl_slist *common_key; /* the same plus the key: for the endpoint's origin only */
    char *key_header;          /* "x-goog-api-key: ..." or NULL; wiped when freed */
    char *origin;              /* url_origin of the endpoint, or NULL until the first op */
    char *origin_prefix;       /* the endpoint's "scheme://authority" as written: fast check */
    struct xfer_budget *budget;
    int multiplexing;          /* the server answered over HTTP/2 */
    struct op *live;           /* ops handed to curl (xfer_add) and not yet finished */
    struct op *expired, *expired_tail; /* timed out here, not yet handed back */
    uint64_t next_deadline_us; /* no started attempt expires before this (0: none);
                                * may be early (that op finished): then a scan
                                * finds nothing due and moves it on */
};

/* Called for each piece of a response body when op->on_data is set (SSE);
 * return 0 to go on, non-zero to abort the transfer. The piece is charged to
 * the budget before the call; what the callback does not keep in memory (an
 * image decoded to disk) it gives back with xfer_op_release. */
struct op;
typedef int (*op_data_fn)(struct op *op, const char *p, size_t n);

struct op {
    int kind;                  /* the caller's tag */
    void *user;                /* the caller's pointer (job) */
    char *url;
    const char *method;        /* "GET" "POST" "DELETE" */
    struct op *xprev, *xnext;  /* xfer's live or expired list */
    struct xfer *owner;        /* set by xfer_add */
    struct curl_slist *headers;/* extra headers, owned */
    struct body body;          /* request body (POST) */
    int has_body;
    long timeout_ms;           /* one attempt, from when it leaves curl's queue: a
                                * wait for a connection (HTTP/2 stream limits,
                                * max host connections) does not count */
    long low_speed_time_s;     /* 0: off */
    size_t resp_max;           /* response ceiling */
    op_data_fn on_data;
    void *data_ctx;
    /* results */
    CURL *easy;
    CURLcode cc;
    long http;
    struct buf resp;
    char errbuf[CURL_ERROR_SIZE];
    char retry_after[64];
    char upload_status[32];
    char *upload_url;          /* x-goog-upload-url */
    long long size_received;   /* x-goog-upload-size-received, -1 if absent */
    char content_type[96];
    char service_tier[24];     /* x-gemini-service-tier: the tier that served it */
    int synthetic;             /* answered by the gembatch emulator (EMULATOR_HEADER) */
    uint64_t t_start_us, t_end_us, t_first_byte_us;
    uint64_t t_attempt_us;     /* the attempt left the queue: a socket was opened for it,
                                * or a connection handed to it (0: still queued) */
    int resp_overflow;
    int over_budget;           /* stopped: the ops together held the whole budget (errbuf says) */
    int key_withheld;          /* not the endpoint's origin: sent without the key */
    int64_t bytes_sent;        /* request bytes that left (CURLINFO_SIZE_UPLOAD_T) */
    /* xfer's own */
    struct xfer_budget *budget;
    size_t held;               /* response bytes charged to the budget */
    struct curl_slist *sent_headers; /* headers of this attempt when op->headers is set */
};

/* The key goes only to one origin: the one set with xfer_set_origin (the
 * endpoint), or else the origin of the first op added. The budget is
 * XFER_BUDGET_DEFAULT until xfer_set_budget. */
int xfer_init(struct xfer *x, const struct xfer_opts *o, const char *api_key,
              const char *user_agent);
void xfer_free(struct xfer *x);
/* The endpoint (any URL on it): the only origin the API key is sent to.
 * GB_EINVAL if it is not an http or https URL. Call before the first op. */
int xfer_set_origin(struct xfer *x, const char *endpoint);
/* Response bytes all ops may hold at once (0: XFER_BUDGET_DEFAULT). */
void xfer_set_budget(struct xfer *x, size_t bytes);

struct op *op_new(struct xfer *x, int kind, void *user, const char *method, char *url);
void op_free(struct op *op);

/* Configure and start. 0, or GB_ENOMEM / GB_EINVAL. */
int xfer_add(struct xfer *x, struct op *op);
/* Wait up to timeout_ms for activity on transfers or on the extra
 * descriptors (tool programs' pipes), and advance transfers. Attempts past
 * their timeout end here, with CURLE_OPERATION_TIMEDOUT. */
int xfer_poll(struct xfer *x, int timeout_ms, struct curl_waitfd *extra, unsigned nextra);
/* A finished op, or NULL when none is ready. */
struct op *xfer_next_done(struct xfer *x);
/* Stop an op that is in flight; the caller owns it again. */
void xfer_cancel(struct xfer *x, struct op *op);

/* Give back n bytes of what an on_data callback was handed and did not keep. */
void xfer_op_release(struct op *op, size_t n);
/* Response bytes held by all ops now (charged and not yet released). */
size_t xfer_buffered(const struct xfer *x);
/* 1 for the curl codes of a TLS failure (certificate not trusted, bad CA
 * file, handshake refused): not worth retrying, and worth the --cacert hint
 * (config.h CONFIG_TLS_HINT) wherever it is reported. */
int xfer_tls_error(CURLcode cc);
/* Why a transfer failed, in words: libcurl's error buffer when it wrote one,
 * else its code's text, made plain where that text misleads (libcurl 7.x says
 * "Out of memory" for a response header line over its 100 KiB limit). */
const char *xfer_why(CURLcode cc, const char *errbuf);

#endif
