/* url.c: redaction, origins and rebasing of URLs (url.h). Origins use
 * libcurl's own parser, so what is compared is what curl would connect to;
 * redaction is plain text work, so it also covers what curl cannot parse. */
#include "url.h"
#include "err.h"

#include <curl/curl.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MARK "REDACTED"

char *url_redact(const char *url)
{
    size_t n = strlen(url);
    /* each part grows at most to the mark: a value per '&' or '=' plus the rest */
    size_t cap = n + 1 + (n + 2) * (sizeof MARK);
    char *out = malloc(cap);
    if (!out)
        return NULL;
    size_t w = 0;
    const char *p = url, *sep = strstr(url, "://");
    const char *auth = sep ? sep + 3 : url;
    size_t alen = strcspn(auth, "/?#");
    const char *at = NULL;
    for (const char *c = auth; c < auth + alen; c++)
        if (*c == '@')
            at = c;
    /* scheme and user info */
    memcpy(out, p, (size_t)(auth - p));
    w = (size_t)(auth - p);
    if (at) {
        w += (size_t)snprintf(out + w, cap - w, MARK "@");
        p = at + 1;
    } else {
        p = auth;
    }
    /* host, port and path */
    size_t keep = strcspn(p, "?#");
    memcpy(out + w, p, keep);
    w += keep;
    p += keep;
    if (*p == '?') {
        out[w++] = '?';
        p++;
        while (*p && *p != '#') {
            size_t pl = strcspn(p, "&#");
            size_t nl = strcspn(p, "=&#");
            memcpy(out + w, p, nl);
            w += nl;
            if (nl < pl || p[nl] == '=')
                w += (size_t)snprintf(out + w, cap - w, "=" MARK);
            p += pl;
            if (*p == '&')
                out[w++] = *p++;
        }
    }
    if (*p == '#')
        w += (size_t)snprintf(out + w, cap - w, "#" MARK);
    out[w] = '\0';
    return out;
}

/* A parsed http(s) URL, or NULL. */
static CURLU *parse_http(const char *url)
{
    CURLU *h = curl_url();
    char *scheme = NULL, *host = NULL;
    int ok = h && curl_url_set(h, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
             curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK && *host &&
             (!strcasecmp(scheme, "http") || !strcasecmp(scheme, "https"));
    curl_free(scheme);
    curl_free(host);
    if (!ok) {
        curl_url_cleanup(h);
        return NULL;
    }
    return h;
}

static char *origin_of(CURLU *h)
{
    char *scheme = NULL, *host = NULL, *port = NULL, *o = NULL;
    if (curl_url_get(h, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
        curl_url_get(h, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT) == CURLUE_OK) {
        size_t n = strlen(scheme) + strlen(host) + strlen(port) + 8;
        o = malloc(n);
        if (o) {
            snprintf(o, n, "%s://%s:%s", scheme, host, port);
            for (char *c = o; *c; c++)
                *c = (char)tolower((unsigned char)*c);
        }
    }
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    return o;
}

char *url_origin(const char *url)
{
    CURLU *h = parse_http(url);
    char *o = h ? origin_of(h) : NULL;
    curl_url_cleanup(h);
    return o;
}

int url_is_http(const char *url)
{
    CURLU *h = parse_http(url);
    curl_url_cleanup(h);
    return h != NULL;
}

int url_same_origin(const char *a, const char *b)
{
    char *oa = url_origin(a), *ob = oa ? url_origin(b) : NULL;
    int same = oa && ob && !strcmp(oa, ob);
    free(oa);
    free(ob);
    return same;
}

int url_rebase(const char *url, const char *base, char **out)
{
    CURLU *u = parse_http(url), *b = u ? parse_http(base) : NULL;
    char *scheme = NULL, *host = NULL, *port = NULL, *full = NULL;
    int rc = GB_EINVAL;
    *out = NULL;
    if (!u || !b)
        goto out;
    rc = GB_ENOMEM;
    if (curl_url_get(b, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(b, CURLUPART_HOST, &host, 0) != CURLUE_OK)
        goto out;
    if (curl_url_get(b, CURLUPART_PORT, &port, 0) != CURLUE_OK)
        port = NULL; /* the scheme's default */
    /* no user info either: nothing of the server's choosing goes with us */
    if (curl_url_set(u, CURLUPART_SCHEME, scheme, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_HOST, host, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PORT, port, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_USER, NULL, 0) != CURLUE_OK ||
        curl_url_set(u, CURLUPART_PASSWORD, NULL, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_URL, &full, 0) != CURLUE_OK)
        goto out;
    *out = strdup(full);
    rc = *out ? 0 : GB_ENOMEM;
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(port);
    curl_free(full);
    curl_url_cleanup(u);
    curl_url_cleanup(b);
    return rc;
}
