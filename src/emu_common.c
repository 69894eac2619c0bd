/* emu_common.c: small pieces every emulator file uses: the google.rpc error
 * envelope, dialect detection (reference 2.2), clocks and ISO-8601 times, the
 * splitmix64 mixer, media-kind names. Holds no state. */
#include "emu_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

int emu_fail(struct emu_err *e, int http, const char *status, const char *fmt, ...)
{
    if (!e)
        return -1;
    e->http = http;
    e->status = status;
    e->retry_after_s = 0;
    e->reason = NULL;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

char *emu_err_body(const struct emu_err *e, size_t *len)
{
    json_t *err = json_pack("{s:i, s:s, s:s}", "code", e->http, "message", e->msg, "status",
                            e->status ? e->status : "UNKNOWN");
    if (!err)
        return NULL;
    json_t *details = NULL;
    if (e->retry_after_s > 0) {
        char delay[32];
        snprintf(delay, sizeof delay, "%lds", e->retry_after_s);
        details = json_array();
        json_array_append_new(details,
                              json_pack("{s:s, s:s}", "@type",
                                        "type.googleapis.com/google.rpc.RetryInfo", "retryDelay",
                                        delay));
    }
    if (e->reason) {
        if (!details)
            details = json_array();
        json_array_append_new(
            details, json_pack("{s:s, s:s, s:s, s:{s:s}}", "@type",
                               "type.googleapis.com/google.rpc.ErrorInfo", "reason", e->reason,
                               "domain", "googleapis.com", "metadata", "service",
                               "generativelanguage.googleapis.com"));
    }
    if (details)
        json_object_set_new(err, "details", details);
    json_t *root = json_pack("{s:o}", "error", err);
    char *s = root ? json_dumps(root, JSON_COMPACT) : NULL;
    json_decref(root);
    if (s && len)
        *len = strlen(s);
    return s;
}

/* ---- dialect ---------------------------------------------------------------- */

static int g3_body(const json_t *body)
{
    if (!json_is_object(body))
        return 0;
    static const char *const g3_only[] = {"continuation_token", "safety_settings", "labels",
                                          "service_tier", "webhook_config", "environment"};
    for (size_t i = 0; i < sizeof g3_only / sizeof g3_only[0]; i++)
        if (json_object_get(body, g3_only[i]))
            return 1;
    const json_t *rf = json_object_get(body, "response_format");
    if (json_is_array(rf))
        return 1;
    if (json_is_object(rf)) {
        const char *t = json_string_value(json_object_get(rf, "type"));
        if (t && (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
                  !strcmp(t, "video")))
            return 1;
    }
    const json_t *in = json_object_get(body, "input");
    if (json_is_array(in)) {
        size_t i;
        const json_t *it;
        json_array_foreach(in, i, it) {
            const char *t = json_string_value(json_object_get(it, "type"));
            if (t && (!strcmp(t, "user_input") || !strcmp(t, "model_output")))
                return 1;
        }
    }
    return 0;
}

int emu_dialect(const char *path, const struct emu_hdrs *h, const json_t *body)
{
    if (path && (!strncmp(path, "/v1/", 4) || !strncmp(path, "/upload/v1/", 11)))
        return EMU_G3;
    if (h && h->stainless)
        return EMU_G1;
    if (h && h->user_agent) {
        const char *p = strstr(h->user_agent, "google-genai-sdk/");
        if (p) {
            long major = strtol(p + 17, NULL, 10);
            if (major >= 3)
                return EMU_G3;
        }
    }
    return g3_body(body) ? EMU_G3 : EMU_G1;
}

const char *emu_dialect_name(int dialect)
{
    return dialect == EMU_G3 ? "g3" : "g1";
}

const char *emu_tier_name(int tier)
{
    switch (tier) {
    case EMU_TIER_STANDARD: return "standard";
    case EMU_TIER_FLEX: return "flex";
    case EMU_TIER_PRIORITY: return "priority";
    }
    return NULL;
}

/* ---- clocks --------------------------------------------------------------------- */

int64_t emu_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t emu_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void emu_iso8601(int64_t unix_ms, char out[32])
{
    time_t t = (time_t)(unix_ms / 1000);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

uint64_t emu_mix64(uint64_t x)
{
    x += 0x9e3779b97f4a7c15ull;
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- media kinds ------------------------------------------------------------------ */

const char *emu_media_name(int kind)
{
    switch (kind) {
    case EMU_IMAGE: return "image";
    case EMU_AUDIO: return "audio";
    case EMU_VIDEO: return "video";
    case EMU_DOCUMENT: return "document";
    }
    return "";
}

int emu_media_kind(const char *type)
{
    if (!type)
        return EMU_MEDIA_NONE;
    if (!strcmp(type, "image"))
        return EMU_IMAGE;
    if (!strcmp(type, "audio"))
        return EMU_AUDIO;
    if (!strcmp(type, "video"))
        return EMU_VIDEO;
    if (!strcmp(type, "document"))
        return EMU_DOCUMENT;
    return EMU_MEDIA_NONE;
}

int emu_media_kind_of_mime(const char *mime)
{
    if (!mime)
        return EMU_MEDIA_NONE;
    if (!strncasecmp(mime, "image/", 6))
        return EMU_IMAGE;
    if (!strncasecmp(mime, "audio/", 6))
        return EMU_AUDIO;
    if (!strncasecmp(mime, "video/", 6))
        return EMU_VIDEO;
    return EMU_DOCUMENT;
}

/* ---- the answer hash ---------------------------------------------------------------- */

static int hash_sink(void *ctx, const char *p, size_t n)
{
    return sha256_update(ctx, p, n);
}

/* s names uploaded file part p: its full uri, or "files/ID" alone or at the
 * end of a uri with another origin or version. */
static int names_file(const char *s, const struct emu_part *p)
{
    size_t n = strlen(s), k = strlen(p->file);
    if (!strcmp(s, p->uri))
        return 1;
    return n >= k && !strcmp(s + n - k, p->file) && (n == k || s[n - k - 1] == '/');
}

static void file_digests(json_t *v, const struct emu_call *c)
{
    size_t i;
    const char *k;
    json_t *x;
    if (json_is_object(v)) {
        json_object_foreach(v, k, x) file_digests(x, c);
    } else if (json_is_array(v)) {
        json_array_foreach(v, i, x) file_digests(x, c);
    } else if (json_is_string(v)) {
        for (i = 0; i < c->nparts; i++) {
            const struct emu_part *p = &c->parts[i];
            if (p->file[0] && p->uri && names_file(json_string_value(v), p)) {
                char hex[8 + 65] = "sha256:";
                for (int b = 0; b < 32; b++)
                    snprintf(hex + 7 + 2 * b, 3, "%02x", p->f.sha256[b]);
                json_string_set(v, hex);
                return;
            }
        }
    }
}

int emu_answer_hash(uint64_t seed, const void *salt, size_t salt_len, const uint8_t *prev,
                    const json_t *body, const struct emu_call *c, uint8_t out[32])
{
    struct sha256 h;
    uint8_t s[8];
    json_t *view = NULL;
    int files = 0, rc = -1;
    for (size_t i = 0; i < c->nparts; i++)
        files |= c->parts[i].file[0] != 0;
    if (files) { /* a deep copy only when an uploaded file is referenced */
        if (!(view = json_deep_copy(body)))
            return -1;
        file_digests(view, c);
        body = view;
    }
    for (int i = 0; i < 8; i++)
        s[i] = (uint8_t)(seed >> (8 * i));
    if (sha256_init(&h))
        goto out;
    if (sha256_update(&h, s, 8) || (salt_len && sha256_update(&h, salt, salt_len)) ||
        (prev && sha256_update(&h, prev, 32)) || jf_write(body, 1, hash_sink, &h)) {
        sha256_free(&h);
        goto out;
    }
    rc = sha256_final(&h, out) ? -1 : 0;
out:
    json_decref(view);
    return rc;
}
