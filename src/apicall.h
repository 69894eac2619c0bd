/* apicall.h: blocking API calls for the small subcommands (get, delete,
 * batches): the endpoint, dialect, key and CA handling shared with `run`,
 * bodies printed to stdout with control characters escaped, errors mapped to
 * outcomes with the same hints as `run`.
 * Ownership: struct api owns its config and curl handle; api_close releases
 * them. Bodies handed out are the caller's struct buf. */
#ifndef GB_APICALL_H
#define GB_APICALL_H

#include <curl/curl.h>

#include "buf.h"
#include "cli.h"
#include "config.h"

/* The options every such command takes (--endpoint, --api-version,
 * --api-key-file, --cacert), as rows to put in its table. */
struct api {
    struct config cfg;
    const char *api_version;
    const char *key_file;
    int endpoint_seen;
    CURL *e;
    struct curl_slist *h;
    char *base;   /* endpoint + "/" + version */
};

void api_init(struct api *a);
#define API_OPTS(a)                                                                                \
    {0, "endpoint", CLI_STR, &(a)->cfg.endpoint, "URL",                                            \
     "API base URL (env GEMINI_BASE_URL; default https://generativelanguage.googleapis.com)", 0,   \
     0, &(a)->endpoint_seen},                                                                       \
        {0, "api-version", CLI_STR, &(a)->api_version, "V", "v1beta (default) or v1", 0, 0, NULL}, \
        {0, "api-key-file", CLI_STR, &(a)->key_file, "FILE",                                       \
         "read the API key from FILE (default: GEMINI_API_KEY or GOOGLE_API_KEY)", 0, 0, NULL},    \
        {0, "cacert", CLI_STR, &(a)->cfg.cacert, "FILE", "extra CA bundle", 0, 0, NULL}
/* After the options were parsed: check them, read the key, set up curl.
 * 0, or an outcome (cmd.h) with the reason printed. */
int api_open(struct api *a, const struct cli_cmd *cmd);
/* method path (relative to base: "interactions/ID", "batches?pageSize=2");
 * body may be NULL. Returns the HTTP status (out holds the body), or 0 when
 * nothing answered (said on stderr with the --cacert hint for TLS). */
long api_call(struct api *a, const char *method, const char *path, const char *body,
              struct buf *out);
/* An error answer on stderr, as "'what': HTTP 404 NOT_FOUND: ...". The
 * outcome it means (404 and others 1, refusals 3). */
int api_error(struct api *a, const char *what, long http, const struct buf *body);
/* body to stdout, control characters escaped and the key blanked. */
void api_print(struct api *a, struct buf *body);
void api_close(struct api *a);

/* argv/argc as given to cmd_get or cmd_delete; method "GET" or "DELETE". */
int apicall_cmd(int argc, char **argv, const char *method, const char *summary);

#endif
