/* apicall.c: `gembatch get ID` and `gembatch delete ID` on one libcurl easy
 * handle: the same endpoint, API version, key and CA rules as `run`. The
 * response body goes to stdout with its control characters escaped (a
 * server's bytes must not drive the terminal); errors to stderr with the
 * service's status. Only http(s), no redirects: the key stays with the
 * endpoint. */
#include "apicall.h"
#include "buf.h"
#include "cli.h"
#include "cmd.h"
#include "config.h"
#include "esc.h"
#include "log.h"
#include "response.h"
#include "url.h"
#include "xfer.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static size_t collect(char *p, size_t size, size_t nmemb, void *ud)
{
    return buf_append(ud, p, size * nmemb) ? 0 : size * nmemb;
}

int apicall_cmd(int argc, char **argv, const char *method, const char *summary)
{
    struct config cfg;
    config_defaults(&cfg);
    const char *api_version = "v1beta", *key_file = NULL;
    int endpoint_seen = 0;
    const struct cli_opt opts[] = {
        {0, "endpoint", CLI_STR, &cfg.endpoint, "URL",
         "API base URL (env GEMINI_BASE_URL; default https://generativelanguage.googleapis.com)",
         0, 0, &endpoint_seen},
        {0, "api-version", CLI_STR, &api_version, "V", "v1beta (default) or v1", 0, 0, NULL},
        {0, "api-key-file", CLI_STR, &key_file, "FILE",
         "read the API key from FILE (default: GEMINI_API_KEY or GOOGLE_API_KEY)", 0, 0, NULL},
        {0, "cacert", CLI_STR, &cfg.cacert, "FILE", "extra CA bundle", 0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {argv[0], "ID [options]", summary,
                                "The interaction id is the \"interaction_id\" of a results.jsonl "
                                "line.\nExit status: 0 done, 1 not found, 2 usage, 3 refused or "
                                "unreachable.\n",
                                opts};
    char **posv = calloc((size_t)argc + 1, sizeof *posv);
    int npos = 0, outcome = GB_USAGE;
    CURL *e = NULL;
    struct curl_slist *h = NULL;
    struct buf body;
    buf_init(&body, 256u << 20);
    if (!posv)
        return GB_USAGE;
    int rc = cli_parse(&cmd, argc, argv, posv, &npos);
    if (rc) {
        outcome = rc == CLI_HELP_SHOWN ? GB_DONE : GB_USAGE;
        goto out;
    }
    if (npos != 1) {
        cli_usage_error(&cmd, npos ? "give exactly one ID" : "no interaction ID given");
        goto out;
    }
    if (!posv[0][0]) {
        cli_usage_error(&cmd, "the interaction ID is empty");
        goto out;
    }
    if (strcmp(api_version, "v1") && strcmp(api_version, "v1beta")) {
        cli_usage_error(&cmd, "--api-version takes v1beta or v1, not '%s'", api_version);
        goto out;
    }
    cfg.dialect = strcmp(api_version, "v1") ? DIALECT_V1BETA : DIALECT_V1;
    const char *endpoint_from = "--endpoint";
    if (!endpoint_seen && getenv("GEMINI_BASE_URL") && *getenv("GEMINI_BASE_URL")) {
        cfg.endpoint = getenv("GEMINI_BASE_URL");
        endpoint_seen = 1;
        endpoint_from = "GEMINI_BASE_URL";
    }
    struct gb_err err = {0};
    if ((cfg.cacert && config_check_cacert(cfg.cacert, &err)) ||
        config_fix_endpoint(&cfg, endpoint_from, &err)) {
        log_err(&err);
        goto out;
    }
    if (config_check_endpoint(cfg.endpoint, &err)) {
        cli_usage_error(&cmd, "%s", err.msg);
        goto out;
    }
    if (config_load_key(&cfg, key_file, &err)) {
        log_err(&err);
        goto out;
    }
    log_set_secret(cfg.api_key);
    if (!cfg.api_key && !endpoint_seen) {
        log_error("no API key: set GEMINI_API_KEY (or GOOGLE_API_KEY) or give --api-key-file");
        goto out;
    }
    e = curl_easy_init();
    if (!e)
        goto out;
    char *esc = curl_easy_escape(e, posv[0], 0);
    size_t n = strlen(cfg.endpoint) + strlen(esc ? esc : "") + 64;
    char *url = malloc(n);
    if (url) {
        snprintf(url, n, "%s", cfg.endpoint);
        size_t l = strlen(url);
        while (l && url[l - 1] == '/')
            url[--l] = '\0';
        snprintf(url + l, n - l, "/%s/interactions/%s", api_version, esc ? esc : "");
    }
    curl_free(esc);
    if (!url)
        goto out;
    h = curl_slist_append(h, "Content-Type: application/json");
    if (cfg.api_key) {
        size_t kn = strlen(cfg.api_key) + 32;
        char *kh = malloc(kn);
        if (kh) {
            snprintf(kh, kn, "x-goog-api-key: %s", cfg.api_key);
            h = curl_slist_append(h, kh);
            memset(kh, 0, kn);
            free(kh);
        }
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 120L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, errbuf);
    if (cfg.cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, cfg.cacert);
    if (!strcmp(method, "DELETE"))
        curl_easy_setopt(e, CURLOPT_CUSTOMREQUEST, "DELETE");
    CURLcode cc = curl_easy_perform(e);
    free(url);
    long http = 0;
    curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &http);
    const char *why = errbuf[0] ? errbuf : curl_easy_strerror(cc);
    char *shown = url_redact(cfg.endpoint);
    if (cc != CURLE_OK && xfer_tls_error(cc)) {
        log_error("TLS failure talking to %s: %s; " CONFIG_TLS_HINT, shown ? shown : "the endpoint",
                  why);
        outcome = GB_ABORTED;
    } else if (cc != CURLE_OK) {
        log_error("cannot reach %s: %s", shown ? shown : "the endpoint", why);
        outcome = GB_ABORTED;
    } else if (http >= 200 && http < 300 && !strcmp(method, "DELETE")) {
        /* the service answers {}: nothing worth printing on stdout; the exit
         * status says it worked, and a line on stderr says so to a person */
        log_info("deleted interaction '%s'", posv[0]);
        outcome = GB_DONE;
    } else if (http >= 200 && http < 300) {
        /* JSON never holds a raw control character but line feeds and tabs
         * between tokens, so valid bodies pass unchanged; a key echoed back
         * is blanked as it is on stderr */
        if (body.len && cfg.api_key)
            body.len = esc_redact(body.data, body.len, cfg.api_key, strlen(cfg.api_key));
        esc_fwrite(body.data ? body.data : "", body.len, stdout);
        if (!body.len || body.data[body.len - 1] != '\n')
            fputc('\n', stdout);
        outcome = GB_DONE;
    } else {
        struct api_error ae;
        resp_parse_error(body.data, body.len, http, &ae);
        log_error("'%s': HTTP %ld %s: %s", posv[0], http, ae.status, ae.message);
        outcome = http == 404 ? GB_SOME_FAILED : (http == 401 || http == 403) ? GB_ABORTED
                                                                            : GB_SOME_FAILED;
    }
    free(shown);
out:
    log_set_secret(NULL);
    curl_slist_free_all(h);
    if (e)
        curl_easy_cleanup(e);
    buf_free(&body);
    config_free(&cfg);
    free(posv);
    return outcome;
}
