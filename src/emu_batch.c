/* emu_batch.c: the Batch API's resources: create (inline requests or an
 * uploaded JSONL, camelCase or snake_case), the state each batch is in at a
 * given time (PENDING, RUNNING, then SUCCEEDED over --batch-time; CANCELLED,
 * EXPIRED, FAILED), the Operation envelope (reference 3), list pages, cancel,
 * delete, and the one worker thread that does the batches' work through
 * emu_batch_run.c. Inputs and results live in the spool, never in memory:
 * an inline batch's results reach a GET as a file range of its body. */
#include "emu_int.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define TYPE_BATCH "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatch"
#define TYPE_OUTPUT \
    "type.googleapis.com/google.ai.generativelanguage.v1main.GenerateContentBatchOutput"
#define RESULTS_MIME "application/jsonl"

enum state { ST_PENDING, ST_RUNNING, ST_SUCCEEDED, ST_FAILED, ST_CANCELLED, ST_EXPIRED };

static const char *const state_names[] = {"BATCH_STATE_PENDING",   "BATCH_STATE_RUNNING",
                                          "BATCH_STATE_SUCCEEDED", "BATCH_STATE_FAILED",
                                          "BATCH_STATE_CANCELLED", "BATCH_STATE_EXPIRED"};

struct batch {
    char id[48];
    uint64_t seq;           /* creation order: list pages and fault draws */
    char model[160];        /* "models/NAME" */
    char *display_name;     /* or NULL */
    long long priority;
    char input_file[72];    /* "files/ID" of a file input, "" for inline requests */
    int in_fd;              /* the input, held from create until the work ends; -1 after */
    char *in_path;          /* inline: the spool copy of the requests, one per line */
    uint64_t in_bytes;
    uint64_t nreq;
    int64_t create_wall_ns, create_mono_ms;
    int expire;             /* the batch_expire fault: ends EXPIRED, nothing is done */
    /* the work (under the store's lock, except the atomics) */
    int queued, working, worked, work_failed;
    int64_t worked_mono_ms;
    uint64_t ok, failed;    /* atomic: results written so far */
    int stop;               /* atomic: the worker stops between lines */
    char *out_path;         /* inline results: comma-joined InlinedResponses */
    uint64_t out_bytes, out_reserved;
    char why[200];          /* why the work failed */
    /* the user's */
    int cancelled;
    int64_t cancel_mono_ms;
    int deleted;            /* gone from the list while the worker still has it */
    struct batch *next;     /* newest first */
};

struct emu_batches {
    struct emu_batch_opts o;
    char *base_url;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct batch *list;
    long n;
    uint64_t seq, nonce;
    int stopping;
    pthread_t worker;
    int started;
};

/* ---- times and states ------------------------------------------------------------ */

static int64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* RFC 3339 with nine fractional digits, as the service writes them. */
static void rfc3339(int64_t ns, char out[40])
{
    time_t t = (time_t)(ns / 1000000000);
    struct tm tm;
    gmtime_r(&t, &tm);
    char s[24];
    strftime(s, sizeof s, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out, 40, "%s.%09lldZ", s, (long long)(ns % 1000000000));
}

static int terminal(int st)
{
    return st >= ST_SUCCEEDED;
}

/* The state of x at monotonic time now, and when it last changed (ms after
 * its creation). PENDING for the first half of --batch-time, RUNNING for
 * the rest and until the work is done, then the end. */
static int state_at(const struct emu_batches *b, const struct batch *x, int64_t now,
                    int64_t *changed)
{
    int64_t t = b->o.batch_time_ms, el = now - x->create_mono_ms;
    if (x->cancelled) {
        *changed = x->cancel_mono_ms - x->create_mono_ms;
        return ST_CANCELLED;
    }
    *changed = 0;
    if (el < t / 2)
        return ST_PENDING;
    *changed = t / 2;
    if (x->expire) {
        if (el < t)
            return ST_RUNNING;
        *changed = t;
        return ST_EXPIRED;
    }
    if (el < t || !x->worked)
        return ST_RUNNING;
    int64_t done = x->worked_mono_ms - x->create_mono_ms;
    *changed = done > t ? done : t;
    return x->work_failed ? ST_FAILED : ST_SUCCEEDED;
}

/* ---- the Operation ---------------------------------------------------------------- */

static void set_count(json_t *o, const char *key, uint64_t n)
{
    if (n) { /* int64 as a string; zeros left out (proto3 JSON) */
        char s[24];
        snprintf(s, sizeof s, "%llu", (unsigned long long)n);
        json_object_set_new(o, key, json_string(s));
    }
}

static json_t *stats(const struct batch *x, int st)
{
    json_t *o = json_object();
    uint64_t ok = __atomic_load_n(&x->ok, __ATOMIC_RELAXED);
    uint64_t failed = __atomic_load_n(&x->failed, __ATOMIC_RELAXED);
    if (st == ST_PENDING || st == ST_CANCELLED || st == ST_EXPIRED)
        ok = failed = 0; /* nothing was delivered */
    set_count(o, "requestCount", x->nreq);
    set_count(o, "successfulRequestCount", ok);
    set_count(o, "failedRequestCount", failed);
    set_count(o, "pendingRequestCount", x->nreq - ok - failed);
    return o;
}

/* metadata: the GenerateContentBatch (output left to the caller). */
static json_t *metadata(const struct emu_batches *b, const struct batch *x, int st,
                        int64_t changed)
{
    char name[64], ct[40], ut[40];
    snprintf(name, sizeof name, "batches/%s", x->id);
    rfc3339(x->create_wall_ns, ct);
    rfc3339(x->create_wall_ns + changed * 1000000, ut);
    json_t *m = json_pack("{s:s, s:s}", "@type", TYPE_BATCH, "model", x->model);
    if (!m)
        return NULL;
    if (x->display_name)
        json_object_set_new(m, "displayName", json_string(x->display_name));
    if (x->input_file[0])
        json_object_set_new(m, "inputConfig", json_pack("{s:s}", "fileName", x->input_file));
    json_object_set_new(m, "createTime", json_string(ct));
    if (terminal(st))
        json_object_set_new(m, "endTime", json_string(ut));
    json_object_set_new(m, "updateTime", json_string(ut));
    json_object_set_new(m, "batchStats", stats(x, st));
    json_object_set_new(m, "state", json_string(state_names[st]));
    json_object_set_new(m, "name", json_string(name));
    if (x->priority) {
        char p[24];
        snprintf(p, sizeof p, "%lld", x->priority);
        json_object_set_new(m, "priority", json_string(p));
    }
    return m;
}

static json_t *status(int code, const char *msg)
{
    return json_pack("{s:i, s:s}", "code", code, "message", msg);
}

/* The whole Operation, except an inline batch's results: with inline set
 * (and the batch succeeded), metadata.output and response are left for the
 * caller to splice in. */
static json_t *operation(const struct emu_batches *b, const struct batch *x, int64_t now,
                         int *state, int *inline_out)
{
    int64_t changed;
    int st = state_at(b, x, now, &changed);
    char name[64];
    snprintf(name, sizeof name, "batches/%s", x->id);
    json_t *m = metadata(b, x, st, changed);
    json_t *op = m ? json_pack("{s:s, s:o}", "name", name, "metadata", m) : NULL;
    *state = st;
    *inline_out = 0;
    if (!op || !terminal(st))
        return op;
    if (st == ST_SUCCEEDED && !x->input_file[0]) {
        *inline_out = 1; /* done and response come after the output */
        return op;
    }
    json_object_set_new(op, "done", json_true());
    if (st == ST_SUCCEEDED) {
        char rf[72];
        snprintf(rf, sizeof rf, "files/batch-%s", x->id);
        json_object_set_new(m, "output", json_pack("{s:s}", "responsesFile", rf));
        json_object_set_new(op, "response",
                            json_pack("{s:s, s:s}", "@type", TYPE_OUTPUT, "responsesFile", rf));
    } else if (st == ST_CANCELLED) {
        json_object_set_new(op, "error", status(1, "The batch was cancelled."));
    } else if (st == ST_EXPIRED) {
        json_object_set_new(op, "error",
                            status(4, "The batch expired: it was pending or running for longer "
                                      "than 48 hours, and has no results."));
    } else {
        json_object_set_new(op, "error", status(13, x->why));
    }
    return op;
}

/* ---- create ---------------------------------------------------------------------------- */

static void batch_free(struct emu_batches *b, struct batch *x)
{
    if (!x)
        return;
    if (x->in_fd >= 0)
        close(x->in_fd);
    emu_spool_remove(b->o.spool, x->in_path, x->in_bytes);
    emu_spool_remove(b->o.spool, x->out_path, x->out_reserved);
    free(x->display_name);
    free(x);
}

static int nomem(struct emu_err *e)
{
    return emu_fail(e, 500, "INTERNAL", "out of memory");
}

static const char *const batch_keys[] = {
    "model", "name", "displayName", "inputConfig", "output", "createTime", "endTime",
    "updateTime", "batchStats", "state", "priority", "webhookConfig", NULL};

/* The inline requests, one per line into the spool (so the worker reads
 * inline and file inputs alike). */
static int spool_requests(struct emu_batches *b, struct batch *x, const json_t *reqs,
                          struct emu_err *e)
{
    static const char *const item_keys[] = {"request", "metadata", NULL};
    struct buf line;
    char where[64];
    int rc = -1;
    buf_init(&line, BUF_UNLIMITED);
    if (!json_is_array(reqs) || !json_array_size(reqs))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "batch.input_config.requests.requests must list at least one request.");
    if (emu_spool_create(b->o.spool, "inline", &x->in_path, &x->in_fd))
        return emu_fail(e, 500, "INTERNAL", "cannot write to the emulator's temp folder");
    size_t i;
    const json_t *it;
    json_array_foreach(reqs, i, it) {
        snprintf(where, sizeof where, "batch.input_config.requests.requests[%zu]", i);
        if (!json_is_object(it)) {
            emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid value at '%s': expected an object", where);
            goto out;
        }
        if (emu_keys_known(it, item_keys, where, e))
            goto out;
        const json_t *meta = json_object_get(it, "metadata");
        if (!json_is_object(json_object_get(it, "request")) || (meta && !json_is_object(meta))) {
            emu_fail(e, 400, "INVALID_ARGUMENT",
                     "Invalid value at '%s': expected {\"request\": {...}, \"metadata\": {...}}",
                     where);
            goto out;
        }
        buf_reset(&line);
        if (jf_append(&line, it) || buf_putc(&line, '\n')) {
            nomem(e);
            goto out;
        }
        if (emu_spool_reserve(b->o.spool, line.len)) {
            emu_fail(e, 429, "RESOURCE_EXHAUSTED",
                     "The emulator's storage quota (--max-spool-bytes) is used up.");
            goto out;
        }
        x->in_bytes += line.len;
        if (write(x->in_fd, line.data, line.len) != (ssize_t)line.len) {
            emu_fail(e, 500, "INTERNAL", "cannot write to the emulator's temp folder");
            goto out;
        }
    }
    x->nreq = json_array_size(reqs);
    rc = lseek(x->in_fd, 0, SEEK_SET) == 0 ? 0 : emu_fail(e, 500, "INTERNAL", "seek failed");
out:
    buf_free(&line);
    return rc;
}

static int input_config(struct emu_batches *b, struct batch *x, const json_t *ic,
                        struct emu_err *e)
{
    static const char *const keys[] = {"fileName", "requests", NULL};
    if (!json_is_object(ic))
        return emu_fail(e, 400, "INVALID_ARGUMENT", "batch.input_config is required.");
    if (emu_keys_known(ic, keys, "batch.input_config", e))
        return -1;
    const json_t *fn = emu_field(ic, "fileName"), *rq = emu_field(ic, "requests");
    if (!!fn == !!rq)
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "batch.input_config needs exactly one of file_name and requests.");
    if (rq) {
        static const char *const rkeys[] = {"requests", NULL};
        if (!json_is_object(rq))
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid value at 'batch.input_config.requests': expected an object");
        if (emu_keys_known(rq, rkeys, "batch.input_config.requests", e))
            return -1;
        return spool_requests(b, x, json_object_get(rq, "requests"), e);
    }
    if (!json_is_string(fn))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid value at 'batch.input_config.file_name': expected a string");
    uint64_t bytes = 0;
    if (emu_files_content(b->o.files, json_string_value(fn), &x->in_fd, &bytes, &x->nreq, e))
        return -1;
    snprintf(x->input_file, sizeof x->input_file, "%s", json_string_value(fn));
    if (!x->nreq)
        return emu_fail(e, 400, "INVALID_ARGUMENT", "The input file %s holds no requests.",
                        x->input_file);
    return 0;
}

static int batch_fields(struct batch *x, const json_t *batch, struct emu_err *e)
{
    if (emu_keys_known(batch, batch_keys, "batch", e))
        return -1;
    const json_t *dn = emu_field(batch, "displayName"), *pr = emu_field(batch, "priority");
    if (dn && (!json_is_string(dn) || json_string_length(dn) > 512))
        return emu_fail(e, 400, "INVALID_ARGUMENT",
                        "Invalid value at 'batch.display_name': expected a string of at most 512 "
                        "characters");
    if (dn && !(x->display_name = strdup(json_string_value(dn))))
        return nomem(e);
    if (pr) { /* int64: a string in proto JSON, a number accepted too */
        char *end = NULL;
        if (json_is_integer(pr))
            x->priority = (long long)json_integer_value(pr);
        else if (json_is_string(pr))
            x->priority = strtoll(json_string_value(pr), &end, 10);
        if ((!json_is_integer(pr) && (!end || *end || end == json_string_value(pr))))
            return emu_fail(e, 400, "INVALID_ARGUMENT",
                            "Invalid value at 'batch.priority': expected an int64");
    }
    return 0;
}

/* A lowercase alphanumeric id of 36 characters, like the service's. */
static void new_id(struct emu_batches *b, uint64_t seq, char out[48])
{
    static const char al[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    for (int i = 0; i < 36; i++)
        out[i] = al[emu_mix64(b->nonce ^ (seq * 0x100000001b3ull + (uint64_t)i)) % 36];
    out[36] = '\0';
}

static long active(const struct emu_batches *b, int64_t now)
{
    long n = 0;
    int64_t changed;
    for (const struct batch *x = b->list; x; x = x->next)
        n += !terminal(state_at(b, x, now, &changed));
    return n;
}

/* Past --max-stored: the oldest finished batch the worker does not hold. */
static int evict_one(struct emu_batches *b, int64_t now)
{
    struct batch **pp = &b->list, **last = NULL;
    int64_t changed;
    for (; *pp; pp = &(*pp)->next)
        if (!(*pp)->working && terminal(state_at(b, *pp, now, &changed)))
            last = pp;
    if (!last)
        return -1;
    struct batch *x = *last;
    *last = x->next;
    b->n--;
    batch_free(b, x);
    return 0;
}

/* Under b->mu: admit x (limits, id, the fault draw) and queue its work. */
static int admit(struct emu_batches *b, struct batch *x, struct emu_err *e)
{
    int64_t now = emu_mono_ms();
    if (active(b, now) >= b->o.max_active)
        return emu_fail(e, 429, "RESOURCE_EXHAUSTED",
                        "You exceeded your current quota, please check your plan and billing "
                        "details: at most %ld batches can be pending or running at once.",
                        b->o.max_active);
    if (b->n >= b->o.max_batches && evict_one(b, now))
        return emu_fail(e, 429, "RESOURCE_EXHAUSTED",
                        "The emulator keeps at most %ld batches (--max-stored) and none has "
                        "finished.",
                        b->o.max_batches);
    x->seq = ++b->seq;
    new_id(b, x->seq, x->id);
    x->create_mono_ms = now;
    x->create_wall_ns = wall_ns();
    x->expire = emu_batch_draw(b->o.seed, 0xe7b14eull, x->seq, 0) < b->o.expire_rate;
    if (x->expire) { /* nothing to do: the input is let go at once */
        close(x->in_fd);
        x->in_fd = -1;
        emu_spool_remove(b->o.spool, x->in_path, x->in_bytes);
        x->in_path = NULL;
        x->in_bytes = 0;
    } else {
        x->queued = 1;
        pthread_cond_signal(&b->cv);
    }
    x->next = b->list;
    b->list = x;
    b->n++;
    return 0;
}

int emu_batch_create(struct emu_batches *b, const char *model, const char *body, size_t len,
                     char **json, size_t *jlen, struct emu_batch_info *info, struct emu_err *e)
{
    json_t *doc = NULL, *op = NULL;
    struct batch *x = calloc(1, sizeof *x);
    int rc = -1;
    *json = NULL;
    if (!x)
        return nomem(e);
    x->in_fd = -1;
    snprintf(x->model, sizeof x->model, "%s%s", strncmp(model, "models/", 7) ? "models/" : "",
             model);
    if (!emu_known_model(model)) {
        emu_fail(e, 404, "NOT_FOUND",
                 "%s is not found for API version v1beta, or is not supported for "
                 "batchGenerateContent.",
                 x->model);
        goto out;
    }
    json_error_t je;
    if (!(doc = json_loadb(body ? body : "", len, 0, &je))) {
        emu_fail(e, 400, "INVALID_ARGUMENT",
                 "Invalid JSON payload received. %s at line %d, column %d.", je.text, je.line,
                 je.column);
        goto out;
    }
    static const char *const top_keys[] = {"batch", NULL};
    /* {"batch": {...}} as the SDKs and the guide send it; a bare batch
     * (input_config at the top) is taken too */
    const json_t *batch = json_object_get(doc, "batch");
    if (!batch && (emu_field(doc, "inputConfig")))
        batch = doc;
    else if (json_is_object(doc) && emu_keys_known(doc, top_keys, "", e))
        goto out;
    if (!json_is_object(batch)) {
        emu_fail(e, 400, "INVALID_ARGUMENT", "batch is required.");
        goto out;
    }
    if (batch_fields(x, batch, e) || input_config(b, x, emu_field(batch, "inputConfig"), e))
        goto out;
    pthread_mutex_lock(&b->mu);
    rc = admit(b, x, e);
    int st = 0, inl;
    if (!rc) {
        op = operation(b, x, x->create_mono_ms, &st, &inl);
        /* the create answer is always PENDING, even with --batch-time 0 */
        json_object_set_new(json_object_get(op, "metadata"), "state",
                            json_string(state_names[ST_PENDING]));
        snprintf(info->name, sizeof info->name, "batches/%s", x->id);
        info->requests = (long)x->nreq;
        snprintf(info->display, sizeof info->display, "%s",
                 x->display_name ? x->display_name : "");
        /* the batch is made; its answer may still never reach the client
         * (one draw per batch made: a create sent again gets a fresh one) */
        double u = emu_batch_draw(b->o.seed, 0xc4ea7e1057ull, x->seq, 0);
        if (u < b->o.create_lost_rate)
            info->lost = EMU_LOST_DROPPED + (int)(3 * u / b->o.create_lost_rate) % 3;
    }
    pthread_mutex_unlock(&b->mu);
    if (rc) {
        rc = -1;
        goto out;
    }
    x = NULL; /* the store's now */
    snprintf(info->state, sizeof info->state, "%s", state_names[ST_PENDING]);
    if (!op || !(*json = jf_dump(op, jlen)))
        rc = nomem(e);
out:
    batch_free(b, x);
    json_decref(op);
    json_decref(doc);
    return rc;
}

/* ---- get, list, cancel, delete -------------------------------------------------------------- */

static struct batch **find(struct emu_batches *b, const char *id)
{
    struct batch **pp = &b->list;
    while (*pp && strcmp((*pp)->id, id))
        pp = &(*pp)->next;
    return pp;
}

static int not_found(const char *id, struct emu_err *e)
{
    return emu_fail(e, 404, "NOT_FOUND", "Batch batches/%.60s was not found.", id);
}

/* The Operation of x as a body: its results, for an inline batch that
 * succeeded, are read from the spool as the body is sent (twice: in
 * metadata.output and in response). Under b->mu. */
static int op_body(struct emu_batches *b, struct batch *x, struct emu_body *body, int *state)
{
    int inl;
    json_t *op = operation(b, x, emu_mono_ms(), state, &inl);
    size_t n;
    char *text = op ? jf_dump(op, &n) : NULL;
    json_decref(op);
    if (!text)
        return GB_ENOMEM;
    if (!inl)
        return emu_body_mem(body, text, n);
    /* {"name":..,"metadata":{...}}: reopen metadata (the last member) for
     * its output, then add done and response around the same results */
    int fd1 = open(x->out_path, O_RDONLY | O_CLOEXEC), fd2 = fd1 >= 0 ? dup(fd1) : -1;
    if (fd2 < 0) {
        if (fd1 >= 0)
            close(fd1);
        free(text);
        return GB_EIO;
    }
    text[n - 2] = '\0'; /* drop "}}" */
    int rc = emu_body_mem(body, text, n - 2) ||
             emu_body_text(body, ",\"output\":{\"inlinedResponses\":{\"inlinedResponses\":[");
    rc = emu_body_file(body, fd1, 0, x->out_bytes) || rc; /* takes fd1, even on failure */
    rc = emu_body_text(body, "]}}},\"done\":true,\"response\":{\"@type\":\"" TYPE_OUTPUT
                             "\",\"inlinedResponses\":{\"inlinedResponses\":[") || rc;
    rc = emu_body_file(body, fd2, 0, x->out_bytes) || rc;
    rc = emu_body_text(body, "]}}}") || rc;
    return rc ? GB_ENOMEM : 0;
}

int emu_batch_get(struct emu_batches *b, const char *id, struct emu_body **out,
                  struct emu_batch_info *info, struct emu_err *e)
{
    int st = 0, rc;
    if (emu_body_new(out))
        return nomem(e);
    pthread_mutex_lock(&b->mu);
    struct batch *x = *find(b, id);
    rc = x ? op_body(b, x, *out, &st) : not_found(id, e);
    pthread_mutex_unlock(&b->mu);
    if (x && rc)
        rc = emu_fail(e, 500, "INTERNAL", "the batch's results cannot be read");
    if (rc) {
        emu_body_free(*out);
        *out = NULL;
        return -1;
    }
    snprintf(info->name, sizeof info->name, "batches/%s", id);
    snprintf(info->state, sizeof info->state, "%s", state_names[st]);
    return 0;
}

int emu_batch_list(struct emu_batches *b, long page_size, const char *token, char **json,
                   size_t *len, struct emu_err *e)
{
    uint64_t from = UINT64_MAX;
    char *end;
    if (page_size <= 0)
        page_size = 10;
    if (page_size > 100)
        page_size = 100;
    if (token && *token) {
        from = strtoull(token, &end, 10);
        if (*end || *token == '-')
            return emu_fail(e, 400, "INVALID_ARGUMENT", "Invalid page token '%.60s'.", token);
    }
    json_t *ops = json_array(), *root = json_object();
    if (!ops || !root) {
        json_decref(ops);
        json_decref(root);
        return nomem(e);
    }
    pthread_mutex_lock(&b->mu);
    int64_t now = emu_mono_ms();
    struct batch *x = b->list;
    while (x && x->seq > from)
        x = x->next;
    for (long n = 0; x && n < page_size; x = x->next, n++) {
        int st, inl;
        json_t *op = operation(b, x, now, &st, &inl);
        if (op && inl) { /* list leaves inline results out (CB); get has them */
            json_object_set_new(op, "done", json_true());
            json_object_set_new(op, "response", json_pack("{s:s}", "@type", TYPE_OUTPUT));
        }
        json_array_append_new(ops, op);
    }
    if (x) { /* only when another page exists: "" would make the SDK page forever */
        char tok[24];
        snprintf(tok, sizeof tok, "%llu", (unsigned long long)x->seq);
        json_object_set_new(root, "nextPageToken", json_string(tok));
    }
    pthread_mutex_unlock(&b->mu);
    json_object_set_new(root, "operations", ops);
    *json = jf_dump(root, len);
    json_decref(root);
    return *json ? 0 : nomem(e);
}

/* Under b->mu: x stops short of succeeding; what its work made is dropped. */
static void stop_work(struct emu_batches *b, struct batch *x)
{
    __atomic_store_n(&x->stop, 1, __ATOMIC_RELAXED);
    x->queued = 0;
    if (!x->working && x->in_fd >= 0) {
        close(x->in_fd);
        x->in_fd = -1;
    }
    if (x->worked && !x->work_failed) {
        char id[64];
        snprintf(id, sizeof id, "batch-%s", x->id);
        if (x->input_file[0])
            emu_files_delete(b->o.files, id);
        emu_spool_remove(b->o.spool, x->out_path, x->out_reserved);
        x->out_path = NULL;
        x->out_reserved = 0;
    }
}

int emu_batch_cancel(struct emu_batches *b, const char *id, struct emu_batch_info *info,
                     struct emu_err *e)
{
    int64_t changed;
    pthread_mutex_lock(&b->mu);
    struct batch *x = *find(b, id);
    int st = x ? state_at(b, x, emu_mono_ms(), &changed) : 0;
    if (x && !terminal(st)) { /* a finished batch stays as it is (a best-effort cancel) */
        stop_work(b, x);
        x->cancelled = 1;
        x->cancel_mono_ms = emu_mono_ms();
        st = ST_CANCELLED;
    }
    pthread_mutex_unlock(&b->mu);
    if (!x)
        return not_found(id, e);
    snprintf(info->name, sizeof info->name, "batches/%s", id);
    snprintf(info->state, sizeof info->state, "%s", state_names[st]);
    return 0;
}

int emu_batch_delete(struct emu_batches *b, const char *id, struct emu_batch_info *info,
                     struct emu_err *e)
{
    int64_t changed;
    pthread_mutex_lock(&b->mu);
    struct batch **pp = find(b, id), *x = *pp;
    if (x) {
        *pp = x->next;
        b->n--;
        int st = state_at(b, x, emu_mono_ms(), &changed);
        if (!terminal(st)) /* deleting a running batch stops it (the guide) */
            stop_work(b, x);
        snprintf(info->state, sizeof info->state, "%s", state_names[st]);
        if (x->working)
            x->deleted = 1; /* the worker frees it */
        else
            batch_free(b, x);
    }
    pthread_mutex_unlock(&b->mu);
    if (!x)
        return not_found(id, e);
    snprintf(info->name, sizeof info->name, "batches/%s", id);
    return 0;
}

/* ---- the worker --------------------------------------------------------------------------------- */

/* Under b->mu: the queued batch with the highest priority, oldest first. */
static struct batch *pick(struct emu_batches *b)
{
    struct batch *best = NULL;
    for (struct batch *x = b->list; x; x = x->next)
        if (x->queued && (!best || x->priority > best->priority ||
                          (x->priority == best->priority && x->seq < best->seq)))
            best = x;
    return best;
}

/* Do x's work (b->mu not held); the results' fate is settled under the lock. */
static void work(struct emu_batches *b, struct batch *x)
{
    struct emu_env env = {b->o.seed, b->o.files, NULL, emu_files_lookup, b->o.schemas};
    struct emu_batch_job j = {0};
    struct emu_batch_out out = {0};
    char *path = NULL;
    int fd = -1, rc = -1;
    if (!emu_spool_create(b->o.spool, "results", &path, &fd)) {
        j.in_fd = x->in_fd;
        j.inline_out = !x->input_file[0];
        j.model = x->model;
        j.seq = x->seq;
        j.seed = b->o.seed;
        j.line_error_rate = b->o.line_error_rate;
        j.drop_rate = b->o.drop_rate;
        j.violation_rate = b->o.violation_rate;
        j.max_line_bytes = b->o.max_line_bytes;
        j.env = &env;
        j.out_fd = fd;
        j.spool = b->o.spool;
        j.stop = &x->stop;
        j.ok = &x->ok;
        j.failed = &x->failed;
        rc = emu_batch_run(&j, &out);
        close(fd);
    }
    pthread_mutex_lock(&b->mu);
    close(x->in_fd);
    x->in_fd = -1;
    emu_spool_remove(b->o.spool, x->in_path, x->in_bytes); /* the inline input is spent */
    x->in_path = NULL;
    x->in_bytes = 0;
    int stopped = __atomic_load_n(&x->stop, __ATOMIC_RELAXED);
    if (rc == 0 && !stopped && x->input_file[0]) {
        char id[64];
        struct emu_facts f = {0};
        f.bytes = out.bytes;
        memcpy(f.sha256, out.sha256, 32);
        f.seconds = -1;
        snprintf(id, sizeof id, "batch-%s", x->id);
        if (emu_files_add_generated(b->o.files, id, RESULTS_MIME, b->base_url, path, &f))
            rc = -1;
        path = NULL; /* the File's now, or removed */
    } else if (rc == 0 && !stopped) {
        x->out_path = path;
        x->out_bytes = out.bytes;
        x->out_reserved = j.reserved;
        path = NULL;
    }
    if (rc < 0 && !stopped) {
        x->work_failed = 1;
        snprintf(x->why, sizeof x->why, "%s",
                 out.quota ? "The results did not fit in the emulator's storage quota "
                             "(--max-spool-bytes)."
                           : "The batch failed: its input or results could not be read or "
                             "written.");
    }
    if (path)
        emu_spool_remove(b->o.spool, path, j.reserved);
    x->worked = 1;
    x->worked_mono_ms = emu_mono_ms();
}

static void *worker_main(void *arg)
{
    struct emu_batches *b = arg;
    pthread_mutex_lock(&b->mu);
    for (;;) {
        struct batch *x = NULL;
        while (!b->stopping && !(x = pick(b)))
            pthread_cond_wait(&b->cv, &b->mu);
        if (b->stopping)
            break;
        x->queued = 0;
        x->working = 1;
        pthread_mutex_unlock(&b->mu);
        work(b, x); /* returns with b->mu held */
        x->working = 0;
        if (x->deleted)
            batch_free(b, x);
    }
    pthread_mutex_unlock(&b->mu);
    return NULL;
}

/* ---- the store ---------------------------------------------------------------------------------- */

int emu_batches_new(const struct emu_batch_opts *o, struct emu_batches **out)
{
    struct emu_batches *b = calloc(1, sizeof *b);
    if (!b)
        return GB_ENOMEM;
    b->o = *o;
    if (b->o.max_batches <= 0)
        b->o.max_batches = 10000;
    if (b->o.max_active <= 0)
        b->o.max_active = 100;
    b->base_url = strdup(o->base_url ? o->base_url : "");
    b->nonce = emu_mix64((uint64_t)wall_ns() ^ (uint64_t)(uintptr_t)b);
    pthread_mutex_init(&b->mu, NULL);
    pthread_cond_init(&b->cv, NULL);
    if (!b->base_url || pthread_create(&b->worker, NULL, worker_main, b)) {
        emu_batches_free(b);
        return GB_ENOMEM;
    }
    b->started = 1;
    *out = b;
    return 0;
}

void emu_batches_free(struct emu_batches *b)
{
    if (!b)
        return;
    pthread_mutex_lock(&b->mu);
    b->stopping = 1;
    for (struct batch *x = b->list; x; x = x->next)
        __atomic_store_n(&x->stop, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&b->cv);
    pthread_mutex_unlock(&b->mu);
    if (b->started)
        pthread_join(b->worker, NULL);
    for (struct batch *x = b->list, *nx; x; x = nx) {
        nx = x->next;
        batch_free(b, x);
    }
    pthread_mutex_destroy(&b->mu);
    pthread_cond_destroy(&b->cv);
    free(b->base_url);
    free(b);
}
