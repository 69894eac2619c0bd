/* probe.c: one free GET to tell the gembatch emulator from the service: the
 * Files API list is never billed, and the emulator marks every answer with
 * EMULATOR_HEADER. Used before a run resumes a folder of synthetic answers
 * against an endpoint that was not started with --emulator, and a folder of
 * real answers against an endpoint given by URL. */
#include "probe.h"
#include "xfer.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static size_t discard(char *p, size_t size, size_t nmemb, void *ud)
{
    (void)p;
    (void)ud;
    return size * nmemb;
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
    size_t n = size * nmemb, hl = strlen(EMULATOR_HEADER);
    if (n > hl && p[hl] == ':' && !strncasecmp(p, EMULATOR_HEADER, hl))
        *(int *)ud = 1;
    return n;
}

int probe_is_emulator(const char *base_url, const char *api_key, const char *cacert,
                      struct gb_err *err)
{
    int found = 0, rc = 0;
    char *url = NULL, *kh = NULL;
    struct curl_slist *h = NULL;
    CURL *e = curl_easy_init();
    size_t n = strlen(base_url) + 32;
    url = malloc(n);
    size_t kn = api_key ? strlen(api_key) + 32 : 0;
    kh = kn ? malloc(kn) : NULL;
    if (!e || !url || (kn && !kh)) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory");
        goto out;
    }
    snprintf(url, n, "%s/files?pageSize=1", base_url);
    if (kh) {
        snprintf(kh, kn, "x-goog-api-key: %s", api_key);
        h = curl_slist_append(h, kh);
    }
    curl_easy_setopt(e, CURLOPT_URL, url);
    curl_easy_setopt(e, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, discard);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, &found);
    curl_easy_setopt(e, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
    if (cacert)
        curl_easy_setopt(e, CURLOPT_CAINFO, cacert);
    CURLcode cc = curl_easy_perform(e);
    if (cc != CURLE_OK)
        rc = GB_FAIL(err, GB_ENET, "%s", xfer_why(cc, NULL));
    else
        rc = found;
out:
    if (kh) {
        memset(kh, 0, kn);
        free(kh);
    }
    curl_slist_free_all(h);
    free(url);
    if (e)
        curl_easy_cleanup(e);
    return rc;
}
