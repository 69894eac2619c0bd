/* emu_files.c: the Files API: resumable upload sessions (start, upload,
 * finalize, query, cancel; reference 7.2), File resources (camelCase JSON,
 * PROCESSING then ACTIVE), get, list, delete, and the uri lookup that lets an
 * interaction see an uploaded file as if it were inline. Uploaded bytes only
 * pass through a running SHA-256: memory does not grow with file size. The
 * bytes of JSONL uploads (what a batch reads) also go to a file in the spool,
 * and files a batch generates live there; both leave with their File. */
#include "emu_int.h"
#include "b64.h"
#include "fsx.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <fcntl.h>
#include <unistd.h>

#define MAX_SESSIONS 1024

struct file {
    char id[48];
    char *display_name;
    char mime[128];
    char uri[256];
    struct emu_facts f;
    int64_t create_ms;      /* wall clock */
    int64_t active_mono_ms; /* ACTIVE (or FAILED) from this monotonic time on */
    int failed;             /* processing ends FAILED (the failed fault) */
    int generated;          /* made by the service (a batch's results): source GENERATED */
    char *content;          /* spool path of the bytes, or NULL when not kept */
    uint64_t lines;         /* non-blank lines of kept content */
    uint64_t seq;
    struct file *next;      /* newest first */
};

struct emu_upload {
    char id[40];
    char file_id[48];
    char version[16];
    char base[160];
    char mime[128];
    char *display_name;
    uint64_t declared;      /* UINT64_MAX: not announced */
    uint64_t received;      /* atomic: a query may read it during a chunk */
    struct emu_scan scan;
    int busy, done, failed, cancelled;
    int over_quota;         /* failed because the spool is full */
    /* kept bytes (JSONL): the spool file, and its non-blank lines so far */
    int fd;
    char *content;
    uint64_t lines;
    int line_open;          /* the current line has a non-blank byte */
    uint64_t seq;
    struct emu_upload *next;
};

struct emu_files {
    struct emu_files_opts o;
    pthread_mutex_t mu;
    struct file *files;
    long nfiles;
    struct emu_upload *ups;
    long nups;
    uint64_t seq;
    uint64_t nonce;
};

int emu_files_new(const struct emu_files_opts *o, struct emu_files **out)
{
    struct emu_files *f = calloc(1, sizeof *f);
    if (!f)
        return GB_ENOMEM;
    f->o = *o;
    if (f->o.max_files <= 0)
        f->o.max_files = 10000;
    f->nonce = emu_mix64((uint64_t)emu_now_ms() ^ (uint64_t)(uintptr_t)f);
    pthread_mutex_init(&f->mu, NULL);
    *out = f;
    return 0;
}

static void file_free(struct emu_files *f, struct file *x)
{
    if (x) {
        emu_spool_remove(f->o.spool, x->content, x->content ? x->f.bytes : 0);
        free(x->display_name);
        free(x);
    }
}

static void up_free(struct emu_files *f, struct emu_upload *u)
{
    if (u) {
        emu_scan_free(&u->scan);
        if (u->fd >= 0)
            close(u->fd);
        /* what arrived was reserved chunk by chunk */
        emu_spool_remove(f->o.spool, u->content, u->content ? u->received : 0);
        free(u->display_name);
        free(u);
    }
}

void emu_files_free(struct emu_files *f)
{
    if (!f)
        return;
    for (struct file *x = f->files, *nx; x; x = nx) {
        nx = x->next;
        file_free(f, x);
    }
    for (struct emu_upload *u = f->ups, *nx; u; u = nx) {
        nx = u->next;
        up_free(f, u);
    }
    pthread_mutex_destroy(&f->mu);
    free(f);
}

/* ---- File JSON ------------------------------------------------------------- */

static int is_video(const struct file *x)
{
    return !strncasecmp(x->mime, "video/", 6);
}

/* "http://host:port" of the file's uri (the part before /{v}/files/). */
static void f_base(const struct file *x, char base[256])
{
    const char *p = strstr(x->uri, "/files/");
    size_t n = p ? (size_t)(p - x->uri) : strlen(x->uri);
    while (p && n > 0 && x->uri[n - 1] != '/')
        n--; /* drop the version segment */
    if (n > 0 && x->uri[n - 1] == '/')
        n--;
    snprintf(base, 256, "%.*s", (int)(n < 256 ? n : 255), x->uri);
}

static json_t *file_json(const struct file *x)
{
    char ct[32], et[32], size[32], sha[48];
    emu_iso8601(x->create_ms, ct);
    emu_iso8601(x->create_ms + 48LL * 3600 * 1000, et);
    snprintf(size, sizeof size, "%llu", (unsigned long long)x->f.bytes);
    size_t n = b64_encode(x->f.sha256, 32, sha);
    sha[n] = '\0';
    int active = emu_mono_ms() >= x->active_mono_ms;
    int failed = active && x->failed;
    active = active && !failed;
    char name[64];
    snprintf(name, sizeof name, "files/%s", x->id);
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", name,
                          "mimeType", x->mime, "sizeBytes", size, "createTime", ct, "updateTime",
                          ct, "expirationTime", et, "sha256Hash", sha, "uri", x->uri, "state",
                          failed ? "FAILED" : active ? "ACTIVE" : "PROCESSING", "source",
                          x->generated ? "GENERATED" : "UPLOADED");
    if (o && x->generated) {
        char du[400], base[256];
        f_base(x, base);
        snprintf(du, sizeof du, "%s/download/v1beta/files/%s:download?alt=media", base, x->id);
        json_object_set_new(o, "downloadUri", json_string(du));
    }
    if (o && failed)
        json_object_set_new(o, "error",
                            json_pack("{s:i, s:s}", "code", 13, "message",
                                      "The file could not be processed (emulated failed fault)."));
    if (o && x->display_name)
        json_object_set_new(o, "displayName", json_string(x->display_name));
    if (o && active && is_video(x)) {
        char d[32];
        double s = x->f.seconds >= 0 ? x->f.seconds : (double)x->f.bytes / 250000.0;
        snprintf(d, sizeof d, "%.3fs", s);
        json_object_set_new(o, "videoMetadata", json_pack("{s:s}", "videoDuration", d));
    }
    return o;
}

static char *dump_new(json_t *o, size_t *len)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    if (s && len)
        *len = strlen(s);
    return s;
}

static struct file **find_file(struct emu_files *f, const char *id)
{
    struct file **pp = &f->files;
    while (*pp && strcmp((*pp)->id, id))
        pp = &(*pp)->next;
    return pp;
}

static struct emu_upload *find_up(struct emu_files *f, const char *id)
{
    struct emu_upload *u = f->ups;
    while (u && strcmp(u->id, id))
        u = u->next;
    return u;
}

/* ---- upload sessions --------------------------------------------------------- */

int emu_upload_command(const char *s)
{
    int cmd = 0;
    if (!s)
        return -1;
    while (*s) {
        while (*s == ' ' || *s == ',' || *s == '\t')
            s++;
        size_t n = strcspn(s, ", \t");
        if (!n)
            break;
        if (n == 6 && !strncasecmp(s, "upload", 6))
            cmd |= EMU_UP_UPLOAD;
        else if (n == 8 && !strncasecmp(s, "finalize", 8))
            cmd |= EMU_UP_FINALIZE;
        else if (n == 5 && !strncasecmp(s, "query", 5))
            cmd |= EMU_UP_QUERY;
        else if (n == 6 && !strncasecmp(s, "cancel", 6))
            cmd |= EMU_UP_CANCEL;
        else if (n == 5 && !strncasecmp(s, "start", 5))
            return -1;
        else
            return -1;
        s += n;
    }
    return cmd ? cmd : -1;
}

static int parse_u64(const char *s, uint64_t *out)
{
    char *end;
    if (!s || !*s || *s == '-')
        return -1;
    unsigned long long v = strtoull(s, &end, 10);
    while (*end == ' ')
        end++;
    if (*end)
        return -1;
    *out = v;
    return 0;
}

static void drop_oldest_idle_session(struct emu_files *f)
{
    struct emu_upload **pp = &f->ups, **old = NULL;
    for (; *pp; pp = &(*pp)->next)
        if (!(*pp)->busy && (!old || (*pp)->seq < (*old)->seq))
            old = pp;
    if (old) {
        struct emu_upload *u = *old;
        *old = u->next;
        f->nups--;
        up_free(f, u);
    }
}

int emu_files_start(struct emu_files *f, const char *version, const char *base,
                    const struct emu_upload_hdrs *h, const char *body, size_t len,
                    char **upload_url, char name[64], struct emu_err *e)
{
    json_t *doc = NULL;
    struct emu_upload *u = NULL;
    *upload_url = NULL;
    if (!h->protocol || strcasecmp(h->protocol, "resumable"))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "X-Goog-Upload-Protocol must be 'resumable' (the only upload protocol "
                        "the emulator serves).");
    if (!h->command || strcasecmp(h->command, "start"))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "X-Goog-Upload-Command must be 'start' to open an upload.");
    const json_t *file = NULL;
    if (len) {
        json_error_t je;
        doc = json_loadb(body, len, 0, &je);
        if (!doc)
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid JSON payload received. %s at line %d, column %d.", je.text,
                            je.line, je.column);
        file = json_object_get(doc, "file");
        if (file && !json_is_object(file)) {
            json_decref(doc);
            return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at 'file': expected an "
                            "object");
        }
    }
    u = calloc(1, sizeof *u);
    if (u)
        u->fd = -1;
    if (!u || emu_scan_init(&u->scan)) {
        free(u);
        json_decref(doc);
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    }
    u->declared = UINT64_MAX;
    const char *size_s = h->total_len;
    if (!size_s)
        size_s = json_string_value(json_object_get(file, "sizeBytes"));
    if (size_s && parse_u64(size_s, &u->declared)) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid X-Goog-Upload-Header-Content-Length '%s'.",
                 size_s);
        goto fail;
    }
    if (u->declared != UINT64_MAX && u->declared > f->o.max_file_bytes) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "File size %llu bytes exceeds the limit of %llu bytes per file.",
                 (unsigned long long)u->declared, (unsigned long long)f->o.max_file_bytes);
        goto fail;
    }
    const char *mime = h->mime ? h->mime : json_string_value(json_object_get(file, "mimeType"));
    snprintf(u->mime, sizeof u->mime, "%s", mime && *mime ? mime : "application/octet-stream");
    if (f->o.spool && emu_jsonl_mime(u->mime) &&
        emu_spool_create(f->o.spool, "upload", &u->content, &u->fd)) {
        emu_fail(e, 500, "INTERNAL", "cannot keep the bytes of a JSONL upload in the "
                 "emulator's temp folder");
        goto fail;
    }
    const char *dn = json_string_value(json_object_get(file, "displayName"));
    if (dn && strlen(dn) > 512) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "displayName is longer than 512 characters.");
        goto fail;
    }
    if (dn && !(u->display_name = strdup(dn))) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        goto fail;
    }
    snprintf(u->version, sizeof u->version, "%s", version);
    snprintf(u->base, sizeof u->base, "%s", base);
    pthread_mutex_lock(&f->mu);
    u->seq = ++f->seq;
    snprintf(u->id, sizeof u->id, "up%016llx%08llx",
             (unsigned long long)emu_mix64(f->nonce ^ u->seq), (unsigned long long)u->seq);
    snprintf(u->file_id, sizeof u->file_id, "%012llx%04llx",
             (unsigned long long)(emu_mix64(f->nonce + u->seq) & 0xffffffffffffull),
             (unsigned long long)(u->seq & 0xffff));
    /* the name may be user-given ("files/abc"): ignore it, ids are ours */
    if (f->nups >= MAX_SESSIONS)
        drop_oldest_idle_session(f);
    u->next = f->ups;
    f->ups = u;
    f->nups++;
    pthread_mutex_unlock(&f->mu);
    size_t n = strlen(base) + strlen(version) + 96;
    *upload_url = malloc(n);
    if (!*upload_url)
        return emu_fail(e, 500, "INTERNAL", "out of memory"); /* the session just idles */
    snprintf(*upload_url, n, "%s/upload/%s/files?upload_id=%s&upload_protocol=resumable", base,
             version, u->id);
    snprintf(name, 64, "files/%s", u->file_id);
    json_decref(doc);
    return 0;
fail:
    up_free(f, u);
    json_decref(doc);
    return -1;
}

int emu_jsonl_mime(const char *mime)
{
    static const char *const kept[] = {"jsonl", "ndjson", "json-lines", "jsonlines",
                                       "application/json", "text/plain"};
    for (size_t i = 0; mime && i < sizeof kept / sizeof kept[0]; i++)
        if (strcasestr(mime, kept[i]))
            return 1;
    return 0;
}

uint64_t emu_upload_received(const struct emu_upload *u)
{
    return __atomic_load_n(&u->received, __ATOMIC_RELAXED);
}

int emu_upload_begin(struct emu_files *f, const char *upload_id, int cmd,
                     const struct emu_upload_hdrs *h, int64_t content_length,
                     struct emu_upload **out, char name[64], struct emu_err *e)
{
    uint64_t off;
    *out = NULL;
    pthread_mutex_lock(&f->mu);
    struct emu_upload *u = upload_id ? find_up(f, upload_id) : NULL;
    int rc = 0;
    if (!u) {
        rc = emu_fail(e, 404, "NOT_FOUND", "Upload session '%s' not found.",
                      upload_id ? upload_id : "");
    } else {
        snprintf(name, 64, "files/%s", u->file_id);
        if (u->done) {
            rc = emu_fail(e, 400, "FAILED_PRECONDITION", "The upload was already finalized.");
        } else if (u->cancelled || u->failed) {
            rc = emu_fail(e, 400, "FAILED_PRECONDITION", "The upload was %s.",
                          u->cancelled ? "cancelled" : "abandoned after an error");
        } else if (u->busy) {
            rc = emu_fail(e, 409, "ABORTED", "Another chunk of this upload is in flight.");
        } else if (!h->offset || parse_u64(h->offset, &off)) {
            rc = emu_fail(e, 400, "INVALID_ARGUMENT",
                          "X-Goog-Upload-Offset is required with the upload command.");
        } else if (off != u->received) {
            rc = emu_fail(e, 400, "INVALID_ARGUMENT",
                          "Invalid X-Goog-Upload-Offset %llu: %llu bytes have been received.",
                          (unsigned long long)off, (unsigned long long)u->received);
        } else if (content_length >= 0 &&
                   (u->received + (uint64_t)content_length > f->o.max_file_bytes ||
                    (u->declared != UINT64_MAX &&
                     u->received + (uint64_t)content_length > u->declared))) {
            rc = emu_fail(e, 400, "INVALID_ARGUMENT",
                          "The chunk would take the upload past %llu bytes.",
                          (unsigned long long)(u->declared != UINT64_MAX ? u->declared
                                                                           : f->o.max_file_bytes));
        } else {
            u->busy = 1;
            *out = u;
        }
    }
    (void)cmd;
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* Kept bytes: count the non-blank lines (a batch's requestCount), then
 * write them to the spool file within its quota. */
static int keep(struct emu_files *f, struct emu_upload *u, const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        uint8_t c = p[i];
        if (c == '\n') {
            u->lines += (uint64_t)u->line_open;
            u->line_open = 0;
        } else if (c != ' ' && c != '\t' && c != '\r') {
            u->line_open = 1;
        }
    }
    if (emu_spool_reserve(f->o.spool, n)) {
        u->over_quota = 1;
        return -1;
    }
    if (fsx_write_all(u->fd, p, n)) {
        emu_spool_release(f->o.spool, n);
        return -1;
    }
    return 0;
}

int emu_upload_data(struct emu_files *f, struct emu_upload *u, const void *p, size_t n)
{
    /* the limits were checked at begin when the length was known; a chunked
     * body is checked here */
    uint64_t r = u->received + n;
    if ((u->declared != UINT64_MAX && r > u->declared) || emu_scan_update(&u->scan, p, n) ||
        (u->fd >= 0 && keep(f, u, p, n))) {
        u->failed = 1;
        return -1;
    }
    __atomic_store_n(&u->received, r, __ATOMIC_RELAXED);
    return 0;
}

/* Turn a finished session into a File (under f->mu). */
static struct file *finalize(struct emu_files *f, struct emu_upload *u, int cmd,
                             struct emu_err *e)
{
    struct file *x = calloc(1, sizeof *x);
    if (!x) {
        emu_fail(e, 500, "INTERNAL", "out of memory");
        return NULL;
    }
    if (emu_scan_final(&u->scan, &x->f)) {
        free(x);
        emu_fail(e, 500, "INTERNAL", "digest failed");
        return NULL;
    }
    memcpy(x->id, u->file_id, sizeof x->id);
    snprintf(x->mime, sizeof x->mime, "%s", u->mime);
    snprintf(x->uri, sizeof x->uri, "%s/%s/files/%s", u->base, u->version, u->file_id);
    x->display_name = u->display_name;
    u->display_name = NULL;
    x->create_ms = emu_now_ms();
    long wait = f->o.processing_ms * (is_video(x) ? 5 : 1);
    x->active_mono_ms = emu_mono_ms() + wait;
    x->failed = (cmd & EMU_UP_FAIL) != 0;
    x->seq = u->seq;
    x->next = f->files;
    f->files = x;
    f->nfiles++;
    if (f->nfiles > f->o.max_files) { /* drop the oldest: the tail */
        struct file **pp = &f->files;
        while ((*pp)->next)
            pp = &(*pp)->next;
        file_free(f, *pp);
        *pp = NULL;
        f->nfiles--;
    }
    if (u->content) { /* the bytes stay, now the File's */
        /* a batch is created right after its input's upload (the cookbook
         * does): JSONL has nothing to process */
        x->active_mono_ms = emu_mono_ms();
        x->content = u->content;
        u->content = NULL;
        x->lines = u->lines + (u->line_open ? 1 : 0);
        close(u->fd);
        u->fd = -1;
    }
    u->done = 1;
    return x;
}

static int reply_final(struct file *x, struct emu_upload_reply *out, struct emu_err *e)
{
    json_t *fj = file_json(x);
    out->body = dump_new(fj ? json_pack("{s:o}", "file", fj) : NULL, NULL);
    out->status = "final";
    if (!out->body)
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    return 0;
}

/* A finalize (under f->mu): the announced size must have arrived; then the
 * File, and the reply that carries it. */
static int finish(struct emu_files *f, struct emu_upload *u, int cmd,
                  struct emu_upload_reply *out, struct emu_err *e)
{
    if (u->declared != UINT64_MAX && u->received != u->declared)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Finalized after %llu bytes, but %llu were announced.",
                        (unsigned long long)u->received, (unsigned long long)u->declared);
    struct file *x = finalize(f, u, cmd, e);
    return x ? reply_final(x, out, e) : -1;
}

int emu_upload_end(struct emu_files *f, struct emu_upload *u, int cmd,
                   struct emu_upload_reply *out, struct emu_err *e)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->mu);
    u->busy = 0;
    out->received = u->received;
    snprintf(out->name, sizeof out->name, "files/%s", u->file_id);
    out->status = "active";
    if (u->failed && u->over_quota) {
        rc = emu_fail(e, 429, "RESOURCE_EXHAUSTED",
                      "The emulator's file storage quota (--max-spool-bytes) is used up.");
    } else if (u->failed) {
        rc = emu_fail(e, 400, "INVALID_ARGUMENT", "The upload went past %llu bytes.",
                      (unsigned long long)(u->declared != UINT64_MAX ? u->declared
                                                                       : f->o.max_file_bytes));
    } else if (cmd & EMU_UP_FINALIZE) {
        rc = finish(f, u, cmd, out, e);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

void emu_upload_abort(struct emu_files *f, struct emu_upload *u)
{
    pthread_mutex_lock(&f->mu);
    u->busy = 0;
    pthread_mutex_unlock(&f->mu);
}

int emu_upload_status(struct emu_files *f, const char *upload_id, int cmd,
                      struct emu_upload_reply *out, struct emu_err *e)
{
    int rc = 0;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->mu);
    struct emu_upload *u = upload_id ? find_up(f, upload_id) : NULL;
    if (!u) {
        pthread_mutex_unlock(&f->mu);
        return emu_fail(e, 404, "NOT_FOUND", "Upload session '%s' not found.",
                        upload_id ? upload_id : "");
    }
    snprintf(out->name, sizeof out->name, "files/%s", u->file_id);
    out->received = emu_upload_received(u);
    out->status = u->done ? "final" : u->cancelled ? "cancelled" : "active";
    if (cmd & EMU_UP_CANCEL) {
        if (!u->done && !u->busy) {
            u->cancelled = 1;
            out->status = "cancelled";
        }
    } else if (cmd & EMU_UP_FINALIZE) { /* finalize without bytes */
        if (u->done) {
            rc = emu_fail(e, 400, "FAILED_PRECONDITION", "The upload was already finalized.");
        } else if (u->busy) {
            rc = emu_fail(e, 409, "ABORTED", "Another chunk of this upload is in flight.");
        } else if (u->cancelled || u->failed) {
            rc = emu_fail(e, 400, "FAILED_PRECONDITION", "The upload was %s.",
                          u->cancelled ? "cancelled" : "abandoned after an error");
        } else {
            rc = finish(f, u, cmd, out, e);
        }
    } else if (u->done) { /* a query after the end answers with the file too */
        struct file *x = *find_file(f, u->file_id);
        if (x)
            rc = reply_final(x, out, e);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* ---- get / list / delete / lookup ---------------------------------------------------- */

int emu_files_get(struct emu_files *f, const char *id, char **json, size_t *len)
{
    pthread_mutex_lock(&f->mu);
    struct file *x = *find_file(f, id);
    *json = x ? dump_new(file_json(x), len) : NULL;
    pthread_mutex_unlock(&f->mu);
    return x ? (*json ? 0 : GB_ENOMEM) : -1;
}

int emu_files_list(struct emu_files *f, long page_size, const char *page_token, char **json,
                   size_t *len, struct emu_err *e)
{
    uint64_t from = UINT64_MAX;
    if (page_size <= 0)
        page_size = 10;
    if (page_size > 100)
        page_size = 100;
    if (page_token && *page_token && parse_u64(page_token, &from))
        return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid page token '%s'.", page_token);
    json_t *arr = json_array();
    json_t *root = json_object();
    if (!arr || !root) {
        json_decref(arr);
        json_decref(root);
        return emu_fail(e, 500, "INTERNAL", "out of memory");
    }
    pthread_mutex_lock(&f->mu);
    struct file *x = f->files;
    while (x && x->seq > from)
        x = x->next;
    for (long n = 0; x && n < page_size; x = x->next, n++)
        json_array_append_new(arr, file_json(x));
    if (x) {
        char tok[32];
        snprintf(tok, sizeof tok, "%llu", (unsigned long long)x->seq);
        json_object_set_new(root, "nextPageToken", json_string(tok));
    }
    pthread_mutex_unlock(&f->mu);
    json_object_set_new(root, "files", arr);
    *json = dump_new(root, len);
    return *json ? 0 : emu_fail(e, 500, "INTERNAL", "out of memory");
}

int emu_files_delete(struct emu_files *f, const char *id)
{
    pthread_mutex_lock(&f->mu);
    struct file **pp = find_file(f, id), *x = *pp;
    if (x) {
        *pp = x->next;
        f->nfiles--;
    }
    pthread_mutex_unlock(&f->mu);
    file_free(f, x);
    return x ? 0 : -1;
}

/* ---- the bytes: what a batch reads and what it generates ---------------------------- */

int emu_files_add_generated(struct emu_files *f, const char *id, const char *mime,
                            const char *base, char *path, const struct emu_facts *facts)
{
    struct file *x = calloc(1, sizeof *x);
    if (!x) {
        emu_spool_remove(f->o.spool, path, facts->bytes);
        return GB_ENOMEM;
    }
    snprintf(x->id, sizeof x->id, "%s", id);
    snprintf(x->mime, sizeof x->mime, "%s", mime);
    snprintf(x->uri, sizeof x->uri, "%s/v1beta/files/%s", base, id);
    x->f = *facts;
    x->content = path;
    x->generated = 1;
    x->create_ms = emu_now_ms();
    x->active_mono_ms = emu_mono_ms();
    pthread_mutex_lock(&f->mu);
    x->seq = ++f->seq;
    struct file **pp = find_file(f, id), *old = *pp;
    if (old) /* made again under the same name: the newer one wins */
        *pp = old->next;
    else
        f->nfiles++;
    x->next = f->files;
    f->files = x;
    pthread_mutex_unlock(&f->mu);
    file_free(f, old);
    return 0;
}

int emu_files_content(struct emu_files *f, const char *name, int *fd, uint64_t *bytes,
                      uint64_t *lines, struct emu_err *e)
{
    int rc = 0;
    *fd = -1;
    const char *id = strncmp(name, "files/", 6) ? NULL : name + 6;
    if (!id || !*id || strchr(id, '/'))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid file name '%.80s': expected files/ID.", name);
    pthread_mutex_lock(&f->mu);
    struct file *x = *find_file(f, id);
    if (!x) {
        rc = emu_fail(e, 404, "NOT_FOUND", "File %s was not found.", name);
    } else if (emu_mono_ms() < x->active_mono_ms || x->failed) {
        rc = emu_fail(e, 400, "FAILED_PRECONDITION",
                      "The File %s is not in an ACTIVE state and usage is not allowed.", name);
    } else if (!x->content) {
        rc = emu_fail(e, 400, "INVALID_ARGUMENT",
                      "File %s (mimeType %s) is not a JSONL file of requests; upload it with "
                      "mimeType jsonl.",
                      name, x->mime);
    } else if ((*fd = open(x->content, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = emu_fail(e, 500, "INTERNAL", "The bytes of File %s cannot be read.", name);
    } else {
        *bytes = x->f.bytes;
        *lines = x->lines;
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

int emu_files_download(struct emu_files *f, const char *id, int *fd, uint64_t *bytes,
                       char *mime, size_t mimesz, struct emu_err *e)
{
    int rc = 0;
    *fd = -1;
    pthread_mutex_lock(&f->mu);
    struct file *x = *find_file(f, id);
    if (!x) {
        rc = emu_fail(e, 404, "NOT_FOUND", "File files/%s was not found.", id);
    } else if (!x->generated || !x->content) {
        /* the service serves only the bytes it made (batch results, videos) */
        rc = emu_fail(e, 400, "INVALID_ARGUMENT",
                      "Only generated files can be downloaded; files/%s was uploaded.", id);
    } else if ((*fd = open(x->content, O_RDONLY | O_CLOEXEC)) < 0) {
        rc = emu_fail(e, 500, "INTERNAL", "The bytes of files/%s cannot be read.", id);
    } else {
        *bytes = x->f.bytes;
        snprintf(mime, mimesz, "%s", x->mime);
    }
    pthread_mutex_unlock(&f->mu);
    return rc;
}

/* "https://HOST/{v}/files/{id}" with HOST the public service or us. */
static int our_file_uri(const struct emu_files *f, const char *uri, char *id, size_t idsz)
{
    const char *p;
    if (!strncmp(uri, "https://", 8))
        p = uri + 8;
    else if (!strncmp(uri, "http://", 7))
        p = uri + 7;
    else
        return 0;
    size_t hl = strcspn(p, "/");
    char host[160];
    if (hl == 0 || hl >= sizeof host)
        return 0;
    memcpy(host, p, hl);
    host[hl] = '\0';
    p += hl;
    char port[16];
    snprintf(port, sizeof port, ":%d", f->o.port);
    size_t pl = strlen(port);
    int ours = !strcmp(host, "generativelanguage.googleapis.com") ||
               (hl > pl && !strcmp(host + hl - pl, port));
    if (!ours)
        return 0;
    static const char *const vers[] = {"/v1beta/files/", "/v1/files/", "/v1alpha/files/"};
    for (size_t i = 0; i < 3; i++) {
        size_t vl = strlen(vers[i]);
        if (strncmp(p, vers[i], vl))
            continue;
        p += vl;
        size_t n = strcspn(p, "?#/");
        if (!n || n >= idsz || p[n] == '/')
            return 0;
        memcpy(id, p, n);
        id[n] = '\0';
        return 1;
    }
    return 0;
}

int emu_files_lookup(void *ctx, const char *uri, struct emu_facts *facts, char *mime,
                     size_t mimesz, char *name, size_t namesz)
{
    struct emu_files *f = ctx;
    char id[64];
    if (!our_file_uri(f, uri, id, sizeof id))
        return EMU_FILE_NOT_OURS;
    snprintf(name, namesz, "files/%s", id);
    pthread_mutex_lock(&f->mu);
    struct file *x = *find_file(f, id);
    int st = !x ? EMU_FILE_UNKNOWN
             : emu_mono_ms() < x->active_mono_ms ? EMU_FILE_PROCESSING
             : x->failed ? EMU_FILE_FAILED
                         : EMU_FILE_ACTIVE;
    if (st == EMU_FILE_ACTIVE) {
        *facts = x->f;
        snprintf(mime, mimesz, "%s", x->mime);
    }
    pthread_mutex_unlock(&f->mu);
    return st;
}
