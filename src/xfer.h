/* xfer.h: the transfer layer: one libcurl multi handle running operations
 * (an HTTP request with a streaming body and a capped response buffer).
 * It knows nothing about jobs or files on disk: the caller creates an op,
 * xfer runs it, and hands it back finished through xfer_next_done.
 * Ownership: op_new returns a new op owned by the caller; after xfer_add the
 * op is lent to xfer until xfer_next_done returns it (or xfer_cancel). */
#ifndef GB_XFER_H
#define GB_XFER_H

#include <curl/curl.h>
#include <stdint.h>

#include "buf.h"
#include "request.h"

struct xfer_opts {
    const char *cacert;        /* extra CA bundle, or NULL */
    long connect_timeout_ms;
    int max_host_connections;  /* 0 = unlimited */
};

struct xfer {
    CURLM *multi;
    struct xfer_opts opts;
    CURL **pool;               /* idle easy handles, reused for connection cache hits */
    int npool, cappool;
    int running;               /* ops added and not yet returned */
    unsigned char *scratch;    /* shared base64 scratch for request bodies */
    size_t scratch_sz;
    struct curl_slist *common; /* headers sent on every request (key, UA, type) */
    int multiplexing;          /* the server answered over HTTP/2 */
    struct op *live;           /* ops handed to curl (xfer_add) and not yet finished */
    struct op *expired, *expired_tail; /* timed out here, not yet handed back */
    uint64_t next_deadline_us; /* no started attempt expires before this (0: none);
                                * may be early (that op finished): then a scan
                                * finds nothing due and moves it on */
};

/* Called for each piece of a response body when op->on_data is set (SSE);
 * return 0 to go on, non-zero to abort the transfer. */
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
    uint64_t t_start_us, t_end_us, t_first_byte_us;
    uint64_t t_attempt_us;     /* the attempt left the queue: a socket was opened for it,
                                * or a connection handed to it (0: still queued) */
    int resp_overflow;
    int64_t bytes_sent;        /* request bytes that left (CURLINFO_SIZE_UPLOAD_T) */
};

int xfer_init(struct xfer *x, const struct xfer_opts *o, const char *api_key,
              const char *user_agent);
void xfer_free(struct xfer *x);

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

/* 1 for the curl codes of a TLS failure (certificate not trusted, bad CA
 * file, handshake refused): not worth retrying, and worth the --cacert hint
 * (config.h CONFIG_TLS_HINT) wherever it is reported. */
int xfer_tls_error(CURLcode cc);

#endif
