/* apicall.c: blocking calls for `gembatch get`, `delete` and `batches` on
 * one libcurl easy handle: the same endpoint, API version, key and CA rules
 * as `run`. Response bodies go to stdout with their control characters
 * escaped (a server's bytes must not drive the terminal); errors to stderr
 * with the service's status. Only http(s), no redirects: the key stays with
 * the endpoint. */
#include "apicall.h"
#include "cmd.h"
#include "esc.h"
#include "log.h"
#include "response.h"
#include "url.h"
#include "xfer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t collect(char *p, size_t size, size_t nmemb, void *ud)
{
    return buf_append(ud, p, size * nmemb) ? 0 : size * nmemb;
}

void api_init(struct api *a)
{
    memset(a, 0, sizeof *a);
    config_defaults(&a->cfg);
    a->api_version = "v1beta";
}

int api_open(struct api *a, const struct cli_cmd *cmd)
{
    struct config *cfg = &a->cfg;
    if (strcmp(a->api_version, "v1") && strcmp(a->api_version, "v1beta")) {
        cli_usage_error(cmd, "--api-version takes v1beta or v1, not '%s'", a->api_version);
        return GB_USAGE;
    }
    cfg->dialect = strcmp(a->api_version, "v1") ? DIALECT_V1BETA : DIALECT_V1;
    const char *endpoint_from = "--endpoint";
    if (!a->endpoint_seen && getenv("GEMINI_BASE_URL") && *getenv("GEMINI_BASE_URL")) {
        cfg->endpoint = getenv("GEMINI_BASE_URL");
        a->endpoint_seen = 1;
        endpoint_from = "GEMINI_BASE_URL";
    }
    struct gb_err err = {0};
    if ((cfg->cacert && config_check_cacert(cfg->cacert, &err)) ||
        config_fix_endpoint(cfg, endpoint_from, &err)) {
        log_err(&err);
        return GB_USAGE;
    }
    if (config_check_endpoint(cfg->endpoint, &err)) {
        cli_usage_error(cmd, "%s", err.msg);
        return GB_USAGE;
    }
    if (config_load_key(cfg, a->key_file, &err)) {
        log_err(&err);
        return GB_USAGE;
    }
    log_set_secret(cfg->api_key);
    if (!cfg->api_key && !a->endpoint_seen) {
        log_error("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or give --api-key-file");
        return GB_USAGE;
    }
    size_t n = strlen(cfg->endpoint) + 16;
    a->base = malloc(n);
    a->e = curl_easy_init();
    if (!a->base || !a->e)
        return GB_USAGE;
    snprintf(a->base, n, "%s", cfg->endpoint);
    size_t l = strlen(a->base);
    while (l && a->base[l - 1] == '/')
        a->base[--l] = '\0';
    snprintf(a->base + l, n - l, "/%s", a->api_version);
    a->h = curl_slist_append(a->h, "Content-Type: application/json");
    if (cfg->api_key) {
        size_t kn = strlen(cfg->api_key) + 32;
        char *kh = malloc(kn);
        if (kh) {
            snprintf(kh, kn, "x-goog-api-key: %s", cfg->api_key);
            a->h = curl_slist_append(a->h, kh);
            memset(kh, 0, kn);
            free(kh);
        }
    }
    return 0;
}

long api_call(struct api *a, const char *method, const char *path, const char *body,
              struct buf *out)
{
    CURL *e = a->e;
    size_t n = strlen(a->base) + strlen(path) + 2;
    char *url = malloc(n);
    if (!url)
        return 0;
    snprintf(url, n, "%s/%s", a->base, path);
    curl_easy_reset(e);
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, a->h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, out);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    if (a->cfg.cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, a->cfg.cacert);
    if (strcmp(method, "GET"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, method);
    if (body)
        curl_easy_setopt(e, CURLOPT_POSTFIELDS, body);
    out->len = 0;
    CURLcode cc = curl_easy_perform(e);
    free(url);
    long http = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
    if (cc == CURLE_OK)
        return http;
    const char *why = xfer_why(cc, errbuf);
    char *shown = url_redact(a->cfg.endpoint);
    if (xfer_tls_error(cc))
        log_error("TLS failure talking to %s: %s; " CONFIG_TLS_HINT, shown ? shown : "the endpoint",
                  why);
    else
        log_error("cannot reach %s: %s", shown ? shown : "the endpoint", why);
    free(shown);
    return 0;
}

int api_error(struct api *a, const char *what, long http, const struct buf *body)
{
    (void)a;
    struct api_error ae;
    resp_parse_error(body->data, body->len, http, &ae);
    log_error("'%s': HTTP %ld %s: %s", what, http, ae.status, ae.message);
    return http == 401 || http == 403 ? GB_ABORTED : GB_SOME_FAILED;
}

void api_print(struct api *a, struct buf *body)
{
    /* JSON never holds a raw control character but line feeds and tabs
     * between tokens, so valid bodies pass unchanged; a key echoed back is
     * blanked as it is on stderr */
    if (body->len && a->cfg.api_key)
        body->len = esc_redact(body->data, body->len, a->cfg.api_key, strlen(a->cfg.api_key));
    esc_fwrite(body->data ? body->data : "", body->len, stdout);
    if (!body->len || body->data[body->len - 1] != '\n')
        fputc('\n', stdout);
}

void api_close(struct api *a)
{
    log_set_secret(NULL);
    curl_slist_free_all(a->h);
    if (a->e)
        curl_easy_cleanup(a->e);
    free(a->base);
    config_free(&a->cfg);
}

int apicall_cmd(int argc, char **argv, const char *method, const char *summary)
{
    struct api a;
    api_init(&a);
    const struct cli_opt opts[] = {API_OPTS(&a), CLI_END};
    const struct cli_cmd cmd = {argv[0], "ID [options]", summary,
                                "The interaction id is the \"interaction_id\" of a results.jsonl "
                                "line.\nExit status: 0 done, 1 not found, 2 usage, 3 refused or "
                                "unreachable.\n",
                                opts};
    int npos = 0, outcome = GB_USAGE;
    struct buf body;
    buf_init(&body, 256u << 20);
    char **posv = cli_args(&cmd, argc, argv, &npos, &outcome);
    if (!posv)
        return outcome;
    if (npos != 1) {
        cli_usage_error(&cmd, npos ? "give exactly one ID" : "no interaction ID given");
        goto out;
    }
    if (!posv[0][0]) {
        cli_usage_error(&cmd, "the interaction ID is empty");
        goto out;
    }
    if ((outcome = api_open(&a, &cmd)))
        goto out;
    char *esc = curl_easy_escape(a.e, posv[0], 0);
    char path[4096];
    snprintf(path, sizeof path, "interactions/%s", esc ? esc : "");
    curl_free(esc);
    long http = api_call(&a, method, path, NULL, &body);
    if (!http) {
        outcome = GB_ABORTED;
    } else if (http >= 200 && http < 300 && !strcmp(method, "DELETE")) {
        /* the service answers {}: nothing worth printing on stdout; the exit
         * status says it worked, and a line on stderr says so to a person */
        log_info("deleted interaction '%s'", posv[0]);
        outcome = GB_DONE;
    } else if (http >= 200 && http < 300) {
        api_print(&a, &body);
        outcome = GB_DONE;
    } else {
        outcome = api_error(&a, posv[0], http, &body);
    }
out:
    api_close(&a);
    buf_free(&body);
    free(posv);
    return outcome;
}
