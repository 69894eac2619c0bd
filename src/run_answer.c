/* run_answer.c: what one finished attempt means for its task. The attempt is
 * read whole first (transport outcome, HTTP status, the Interaction or the
 * error envelope, the stream's events, inline images), then retry.c decides
 * once, then the answer is followed: background work is polled, an answer
 * cut at the output limit is continued, a finished one is validated and
 * either re-asked, handed to tools or the next step (run_followup.c), or
 * written as the task's result. Never touches curl beyond the finished op it
 * is handed. Calls run_followup.c and run_jobs.c in the engine. */
#include "run_int.h"

#include <math.h>

/* ---- the body as it arrives --------------------------------------------------------- */

/* What watches a body while it streams in: the SSE parser and assembler of a
 * streamed create, and the scanner that decodes large media straight into
 * OUTDIR/.spool (imgstream.h) instead of holding them as base64 text. */
struct answer_body {
    int sse;
    struct sse parser;
    struct sse_asm as;
    int bad;
    int spooling;           /* large media go to the spool */
    struct buf scratch;     /* SSE: what the scanner kept, for the parser */
    struct imgstream is;    /* last: imgs_init clears what it uses */
};

static int on_sse_event(void *ctx, const char *event, const char *data, size_t len)
{
    struct answer_body *b = ctx;
    (void)event;
    int rc = sse_asm_event(&b->as, data, len);
    if (rc)
        b->bad = 1;
    return rc == GB_ELIMIT ? rc : 0; /* past the size limit: stop the transfer */
}

/* The scanner stopped the transfer: say why in the op. */
static int scanner_stopped(struct op *op, struct answer_body *b, int rc)
{
    if (b->spooling && b->is.over_limit) /* b->is is set only when spooling */
        snprintf(op->errbuf, sizeof op->errbuf,
                 "the answer brought more images than the %zu one answer may bring "
                 "(--max-images-per-answer)",
                 b->is.max_items);
    else if (b->spooling && b->is.too_big)
        snprintf(op->errbuf, sizeof op->errbuf,
                 "the answer carried an image larger than %llu MiB; stopped before it filled "
                 "the disk",
                 (unsigned long long)(b->is.max_item_bytes >> 20));
    else if (b->spooling && b->is.failed)
        snprintf(op->errbuf, sizeof op->errbuf, "cannot write an image to the spool: %s",
                 strerror(b->is.err));
    else if (rc == GB_ELIMIT)
        op->resp_overflow = 1;
    return 1;
}

static int on_body(struct op *op, const char *p, size_t n)
{
    long http = 0;
    curl_easy_getinfo(op->easy, CURLINFO_RESPONSE_CODE, &http);
    if (http < 200 || http >= 300) /* an error envelope: keep it whole */
        return buf_append(&op->resp, p, n) ? 1 : 0;
    struct answer_body *b = op->data_ctx;
    int rc;
    if (!b->sse) { /* a JSON body with large media spooled */
        size_t before = op->resp.len;
        rc = imgs_feed(&b->is, p, n, &op->resp);
        size_t kept = op->resp.len - before;
        xfer_op_release(op, kept < n ? n - kept : 0);
        return rc ? scanner_stopped(op, b, rc) : 0;
    }
    const char *q = p;
    size_t m = n;
    if (b->spooling) {
        b->scratch.len = 0;
        if ((rc = imgs_feed(&b->is, p, n, &b->scratch)))
            return scanner_stopped(op, b, rc);
        q = b->scratch.data ? b->scratch.data : "";
        m = b->scratch.len;
        xfer_op_release(op, n - m);
    }
    rc = sse_feed(&b->parser, q, m);
    if (rc == GB_ELIMIT)
        op->resp_overflow = 1; /* reported as a response over the limit */
    return rc ? 1 : 0;
}

int answer_watch(struct op *op, int sse, int spool_fd, size_t max_images)
{
    if (!sse && spool_fd < 0)
        return 0; /* the body is kept whole, as xfer does by itself */
    struct answer_body *b = malloc(sizeof *b); /* 14 KiB: only the head is cleared */
    if (!b)
        return GB_ENOMEM;
    memset(b, 0, offsetof(struct answer_body, is));
    b->sse = sse;
    if (sse) {
        sse_init(&b->parser, 64u << 20, on_sse_event, b);
        sse_asm_init(&b->as);
    }
    buf_init(&b->scratch, BUF_UNLIMITED);
    if (spool_fd >= 0) {
        if (imgs_init(&b->is, sse ? IMGS_SSE : IMGS_JSON, spool_fd, 0, max_images)) {
            op->data_ctx = b;
            answer_stream_free(op);
            return GB_ENOMEM;
        }
        b->spooling = 1;
    }
    op->data_ctx = b;
    op->on_data = on_body;
    return 0;
}

void answer_stream_free(struct op *op)
{
    struct answer_body *b = op ? op->data_ctx : NULL;
    if (!b)
        return;
    if (b->sse) {
        sse_free(&b->parser);
        sse_asm_free(&b->as);
    }
    if (b->spooling)
        imgs_free(&b->is);
    buf_free(&b->scratch);
    free(b);
    op->data_ctx = NULL;
}

/* The model stopped for the client (function calls with no program of
 * ours): requires_action, or idle, SDK 3.6.1's newer name for it. */
static int waits_on_client(const char *status)
{
    return !strcmp(status, "requires_action") || !strcmp(status, "idle");
}

/* ---- reading an attempt ---------------------------------------------------------- */

static enum outcome_class classify_cc(CURLcode cc)
{
    if (xfer_tls_error(cc))
        return OC_TLS;
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return OC_TIMEOUT;
    case CURLE_READ_ERROR:
    case CURLE_ABORTED_BY_CALLBACK:
    case CURLE_OUT_OF_MEMORY:
        return OC_LOCAL;
    default:
        return OC_NET;
    }
}

static const char *ext_for(const char *mime)
{
    if (!mime)
        return "bin";
    if (!strcmp(mime, "image/png"))
        return "png";
    if (!strcmp(mime, "image/jpeg"))
        return "jpg";
    if (!strcmp(mime, "image/webp"))
        return "webp";
    if (!strcmp(mime, "image/gif"))
        return "gif";
    return "bin";
}

/* One image of an answer: decoded bytes in memory, or a file the scanner
 * already decoded into the spool. */
struct decoded {
    unsigned char *data;
    size_t n;
    struct imgs_item *spooled;
    const char *ext;
};

/* Everything one finished attempt told us, read before anything is decided. */
struct attempt {
    struct outcome o;
    struct interaction it;  /* when the body is an Interaction */
    struct api_error ae;    /* when it is an error envelope */
    struct gb_err pe;       /* why a 2xx body is unusable */
    long bad_body_code;     /* the code a task failed on this body gets */
    struct decoded *imgs;   /* images of a finished answer, checked */
    size_t nimg;
    int too_many_images;    /* the scanner stopped at --max-images-per-answer */
    const char *tier_header; /* x-gemini-service-tier: the tier that served it, or "" */
};

static void attempt_free(struct attempt *a)
{
    for (size_t i = 0; i < a->nimg; i++)
        free(a->imgs[i].data);
    free(a->imgs);
    interaction_free(&a->it);
}

/* Every image of outputs, checked before anything is decided: a spooled one
 * must be ours and whole, an inline one valid base64; -1 otherwise. */
static int decode_images(struct attempt *a, struct answer_body *b)
{
    size_t i;
    json_t *item;
    json_array_foreach (a->it.outputs, i, item) {
        const char *t = jx_str(item, "type");
        json_t *d = json_object_get(item, "data");
        if (!t || strcmp(t, "image") || !json_is_string(d))
            continue;
        struct decoded *nv = realloc(a->imgs, (a->nimg + 1) * sizeof *nv);
        if (!nv)
            return -1;
        a->imgs = nv;
        const char *ext = ext_for(jx_str(item, "mime_type"));
        size_t len = json_string_length(d);
        struct imgs_item *sp =
            b && b->spooling ? imgs_lookup(&b->is, json_string_value(d), len) : NULL;
        if (sp) {
            if (sp->bad || !sp->bytes)
                return -1;
            nv[a->nimg++] = (struct decoded){NULL, (size_t)sp->bytes, sp, ext};
            continue;
        }
        unsigned char *buf = malloc(b64_dec_max(len));
        long long got = buf ? b64_decode(json_string_value(d), len, buf) : -1;
        if (got <= 0) {
            free(buf);
            return -1;
        }
        nv[a->nimg++] = (struct decoded){buf, (size_t)got, NULL, ext};
    }
    return 0;
}

static void read_stream(struct run *r, struct task *t, struct op *op, struct attempt *a)
{
    struct answer_body *sc = op->data_ctx;
    if (sc->spooling) { /* a string cut short at the end goes to the parser as it came */
        sc->scratch.len = 0;
        imgs_finish(&sc->is, &sc->scratch);
        if (sc->scratch.len)
            sse_feed(&sc->parser, sc->scratch.data, sc->scratch.len);
    }
    sse_finish(&sc->parser);
    json_t *doc = sc->bad ? NULL : sse_asm_result(&sc->as);
    if (sc->as.first_delta_us) {
        hist_add(&r->ttft, sc->as.first_delta_us - (op->t_attempt_us ? op->t_attempt_us : op->t_start_us));
        t->ttft_us = sc->as.first_delta_us - (op->t_attempt_us ? op->t_attempt_us : op->t_start_us);
    }
    if (!doc || resp_from_json(doc, &a->it, &a->pe)) {
        a->o.cls = OC_BAD_BODY;
        if (!a->pe.msg[0])
            snprintf(a->pe.msg, sizeof a->pe.msg, "%s",
                     sc->as.error ? sc->as.error_msg
                     : sc->bad    ? "the stream carried malformed events"
                                  : "the stream ended before its last event");
    }
    json_decref(doc);
}

static void read_attempt(struct run *r, struct task *t, struct op *op, struct attempt *a)
{
    a->o = (struct outcome){OC_OK, op->http, -1, NULL};
    a->tier_header = op->service_tier;
    struct answer_body *b = op->data_ctx;
    if (op->cc != CURLE_OK) {
        /* a body past the limits (its own, or all transfers' together) is a
         * bad body, retried; so is one whose images could not be spooled */
        int scanner = b && b->spooling && (b->is.over_limit || b->is.failed || b->is.too_big);
        a->o.cls = op->resp_overflow || op->over_budget || scanner ? OC_BAD_BODY
                                                                    : classify_cc(op->cc);
        if (op->over_budget || scanner)
            snprintf(a->pe.msg, sizeof a->pe.msg, "%s", op->errbuf);
        else if (op->resp_overflow)
            snprintf(a->pe.msg, sizeof a->pe.msg, "the response is larger than the response limit");
        if (b && b->spooling && b->is.over_limit) {
            a->too_many_images = 1;
            a->bad_body_code = 0;
        }
        if (a->o.cls == OC_TIMEOUT)
            r->c.timeouts++;
        else if (a->o.cls == OC_NET)
            r->c.net_errors++;
        /* the request left whole and no answer came: it may have been billed */
        if (op->kind == OPK_CREATE && (a->o.cls == OC_TIMEOUT || a->o.cls == OC_NET) &&
            (uint64_t)op->bytes_sent >= op->body.total)
            r->c.in_doubt++;
    } else if (op->http >= 200 && op->http < 300) {
        if (b && b->sse)
            read_stream(r, t, op, a);
        else if ((b && b->spooling && imgs_finish(&b->is, &op->resp)) ||
                 resp_parse_interaction(op->resp.data ? op->resp.data : "", op->resp.len, &a->it,
                                        &a->pe))
            a->o.cls = OC_BAD_BODY;
        const char *st = a->o.cls == OC_OK ? a->it.status : NULL;
        if (st && (!strcmp(st, "completed") || waits_on_client(st)) &&
            decode_images(a, b)) {
            a->o.cls = OC_BAD_BODY;
            a->bad_body_code = 502;
            snprintf(a->pe.msg, sizeof a->pe.msg,
                     "the response carried an image that is not valid base64");
        }
        if (a->o.cls == OC_BAD_BODY)
            r->c.bad_bodies++;
    } else {
        a->o.cls = OC_HTTP;
        resp_parse_error(op->resp.data, op->resp.len, op->http, &a->ae);
        a->o.retry_info_ms = a->ae.retry_delay_ms;
        a->o.retry_after = op->retry_after[0] ? op->retry_after : NULL;
        if (resp_auth_refused(&a->ae, op->http))
            a->o.http = 401; /* decided as authentication, whatever the status */
    }
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    if (op->kind == OPK_CREATE)
        jrn_answer(&r->sink, t->id_json, op->cc == CURLE_OK ? op->http : -1);
}

/* ---- polling ------------------------------------------------------------------------- */

static void start_polling(struct run *r, struct task *t, int first)
{
    if (first) {
        jrn_iid(&r->sink, t->id_json, t->iid);
        t->poll_wait_s = r->cfg->poll_initial_s;
    }
    task_phase(r, t, PH_POLL);
    t->attempts = 0;
    double w = t->poll_wait_s;
    /* +-20% jitter so many agents do not poll in lockstep */
    double jit = w * (0.8 + 0.4 * (double)(run_rnd(r) % 1000) / 1000.0);
    t->poll_wait_s = w * 1.5 > r->cfg->poll_max_s ? r->cfg->poll_max_s : w * 1.5;
    uint64_t delay = (uint64_t)(jit * 1000), now = now_ms();
    if (t->deadline_ms && now + delay > t->deadline_ms) /* look again at the deadline */
        delay = t->deadline_ms > now ? t->deadline_ms - now : 0;
    task_schedule(r, t, delay);
}

/* ---- continuation -------------------------------------------------------------------- */

/* The service stopped the answer at its per-request output limit (G3 status
 * requires_continuation): ask for the rest with the continuation_token, as
 * SDK 3.x does. With store on the hop names the interaction that issued the
 * token and sends no input; without, it sends the same input again. The
 * outputs of every hop are joined before the answer is read (a JSON answer
 * is validated whole), and each hop's usage counts. */
#define MAX_CONTINUATIONS 64

static void continue_answer(struct run *r, struct task *t, struct interaction *it, double usd)
{
    const char *tok = jx_str(it->doc, "continuation_token");
    const char *why = NULL;
    if (!tok || !*tok)
        why = "the answer stopped at status 'requires_continuation' without a continuation_token";
    else if (t->cont.token && !strcmp(tok, t->cont.token))
        why = "the service gave back the continuation_token it was sent: continuing would not "
              "make progress";
    else if (t->cont.n >= MAX_CONTINUATIONS)
        why = "the answer still required continuation after 64 continuation requests";
    task_add_usage(r, t, it, usd);
    if (!t->cont.outputs)
        t->cont.outputs = json_array();
    json_array_extend(t->cont.outputs, it->outputs);
    if (why) {
        task_fail(r, t, 500, "REQUIRES_CONTINUATION", why, NULL);
        return;
    }
    if (!t->cont.token) { /* the first hop */
        t->cont.base = t->cur_req; /* taken over: restored when the answer is whole */
        t->cur_req = NULL;
    }
    json_t *req = json_deep_copy(t->cont.base ? t->cont.base : t->job->req);
    json_object_set_new(req, "continuation_token", json_string(tok));
    if (t->job->store && it->id) {
        json_object_del(req, "input");
        json_object_set_new(req, "previous_interaction_id", json_string(it->id));
    }
    free(t->cont.token);
    t->cont.token = strdup(tok);
    t->cont.n++;
    r->c.continuations++;
    task_next_request(r, t, req, KIND_CONTINUATION);
}

/* The last hop came back: its outputs follow the earlier hops', and later
 * follow-ups (re-asks, tool results, next steps) start from the request as
 * it was before the first hop. */
static void end_continuation(struct task *t, struct interaction *it)
{
    json_array_extend(t->cont.outputs, it->outputs);
    json_decref(it->outputs);
    it->outputs = t->cont.outputs;
    t->cont.outputs = NULL;
    json_decref(t->cur_req);
    t->cur_req = t->cont.base;
    t->cont.base = NULL;
    free(t->cont.token);
    t->cont.token = NULL;
}

/* ---- a finished answer ----------------------------------------------------------------- */

/* Hand the answer's images to the sink's writer (off the loop; the task's
 * result line waits until they are on disk). 0, or -1 when the task was
 * dealt with: over the image caps it fails; when the output folder fails
 * the run stops and the task runs again on resume. */
static int write_images(struct run *r, struct task *t, struct attempt *a)
{
    if (!a->nimg)
        return 0;
    const char *status = NULL;
    char msg[300];
    if (sink_images_admit(&r->sink, a->nimg, &status, msg, sizeof msg)) {
        task_fail(r, t, 0, status, msg, NULL);
        return -1;
    }
    if (!t->files)
        t->files = json_array();
    if (!t->img_batch && !(t->img_batch = sink_batch_new(&r->sink, t->job->id))) {
        run_abort(r, "%s", r->sink.write_error);
        task_ready(r, t);
        return -1;
    }
    for (size_t i = 0; i < a->nimg; i++) {
        char *rel = NULL;
        int k = (int)json_array_size(t->files), rc;
        struct decoded *d = &a->imgs[i];
        if (d->spooled) {
            rc = sink_batch_image_file(&r->sink, t->img_batch, k, d->spooled->spool, d->ext, &rel);
            if (rc == 0)
                imgs_claim(d->spooled);
        } else {
            rc = sink_batch_image(&r->sink, t->img_batch, k, d->data, d->n, d->ext, &rel);
            d->data = NULL; /* taken, whatever happened */
        }
        if (rc == 0 && rel)
            json_array_append_new(t->files, json_string(rel));
        free(rel);
    }
    return 0;
}

static void schema_failed(struct run *r, struct task *t, json_t *errors, const char *text)
{
    r->c.schema_failed++;
    char msg[512];
    snprintf(msg, sizeof msg, "the answer does not match the response_format schema after %d "
             "re-ask%s", t->reasks, t->reasks == 1 ? "" : "s");
    json_t *extra = json_pack("{s:O,s:s}", "errors", errors, "text", text ? text : "");
    task_fail(r, t, 422, "SCHEMA_VIOLATION", msg, extra);
    json_decref(extra);
}

/* A completed (or requires_action) answer: images to disk, then tools, the
 * schema, the next step, and the result. */
static void on_finished(struct run *r, struct task *t, struct attempt *a, double usd)
{
    struct interaction *it = &a->it;
    task_add_usage(r, t, it, usd);
    if (write_images(r, t, a))
        return;
    if (followup_tools(r, t, it->outputs) != FU_NONE)
        return;
    char *text = resp_text(it->outputs);
    json_t *output = NULL, *errors = NULL;
    const char *parse_error = NULL;
    json_error_t je;
    if (t->job->schema && !strcmp(it->status, "completed")) {
        output = json_loads(text ? text : "", JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!output) {
            parse_error = je.text;
            errors = json_pack("[{s:s,s:s,s:s+}]", "instance_path", "", "schema_path", "",
                               "message", "not JSON: ", je.text);
        } else if (schema_validate(t->job->schema, output, &errors, 20) != 1) {
            json_decref(output);
            output = NULL;
            if (!errors)
                errors = json_pack("[{s:s,s:s,s:s}]", "instance_path", "", "schema_path", "",
                                   "message", "does not match the schema");
        }
        if (!output) {
            if (followup_reask(r, t, it->outputs, errors, parse_error) == FU_NONE)
                schema_failed(r, t, errors, text);
            json_decref(errors);
            free(text);
            return;
        }
    }
    if (followup_next_step(r, t, it, text ? text : "", output) == FU_NONE) {
        followup_log_step(r, t, it, text ? text : "", output);
        task_complete(r, t, it, text ? text : "", output);
    }
    json_decref(output);
    free(text);
}

/* An answer that ended some other way (failed, cancelled, incomplete,
 * budget_exceeded, ...). It is not accepted, but it was billed: its text
 * stays in the error line's partial. */
static void on_unfinished(struct run *r, struct task *t, struct interaction *it, double usd)
{
    const char *st = it->status;
    char msg[600];
    json_t *errs = jx_arr(it->doc, "errors");
    const char *detail = errs ? jx_str(json_array_get(errs, 0), "message") : NULL;
    snprintf(msg, sizeof msg, "the interaction ended with status '%s'%s%s", st, detail ? ": " : "",
             detail ? detail : "");
    char up[64];
    size_t n = 0;
    for (; st[n] && n < sizeof up - 1; n++)
        up[n] = (char)(st[n] >= 'a' && st[n] <= 'z' ? st[n] - 32 : st[n]);
    up[n] = '\0';
    task_add_usage(r, t, it, usd);
    json_decref(t->cont.outputs);
    t->cont.outputs = json_incref(it->outputs);
    task_fail(r, t, 500, up, msg, NULL);
}

/* The attempt answered with a usable Interaction: follow it. */
static void follow_answer(struct run *r, struct task *t, struct attempt *a, int kind)
{
    struct interaction *it = &a->it;
    if (it->id && (!t->iid || strcmp(t->iid, it->id))) {
        free(t->iid);
        t->iid = strdup(it->id);
    }
    const char *st = it->status;
    int running = !strcmp(st, "in_progress") || !strcmp(st, "queued") ||
                  (!strcmp(st, "requires_continuation") && t->background && t->iid);
    /* priced once its billing is final: background work when its last poll
     * says so (the create's reservation waits for it) */
    double usd = running ? NAN : cost_answered(r, t, it, a->tier_header);
    if (!strcmp(st, "requires_continuation")) {
        if (t->background && t->iid) /* the service continues background work itself */
            start_polling(r, t, kind == OPK_CREATE);
        else
            continue_answer(r, t, it, usd);
        return;
    }
    if (t->cont.token)
        end_continuation(t, it);
    if (!strcmp(st, "in_progress") || !strcmp(st, "queued")) {
        if (!t->iid)
            task_fail(r, t, 500, "INTERNAL",
                      "an in-progress interaction came back without an id, so it cannot be "
                      "polled",
                      NULL);
        else
            start_polling(r, t, kind == OPK_CREATE);
        return;
    }
    if (!strcmp(st, "completed") || waits_on_client(st))
        on_finished(r, t, a, usd);
    else
        on_unfinished(r, t, it, usd);
}

/* ---- retries and aborts -------------------------------------------------------------- */

static void describe(const struct op *op, const struct attempt *a, char *why, size_t n)
{
    if (a->o.cls == OC_HTTP)
        snprintf(why, n, "HTTP %ld %s: %s", op->http, a->ae.status, a->ae.message);
    else if (a->o.cls == OC_BAD_BODY)
        snprintf(why, n, "%s", a->pe.msg);
    else
        snprintf(why, n, "%s", xfer_why(op->cc, op->errbuf));
}

/* A retryable failure: schedule the retry, unless the run must stop first
 * (nothing is retried then; the task runs again on resume). */
static enum attempt_end retry_or_stop(struct run *r, struct task *t, const struct op *op,
                                      const struct attempt *a, const char *why, long delay)
{
    if (!r->any_success && a->o.cls == OC_NET && r->consecutive_failures >= 3 &&
        (op->cc == CURLE_COULDNT_CONNECT || op->cc == CURLE_COULDNT_RESOLVE_HOST ||
         op->cc == CURLE_COULDNT_RESOLVE_PROXY)) {
        run_abort(r, "endpoint %s is unreachable: %s", r->shown_url, why);
    } else if (r->consecutive_failures >= r->cfg->max_failures) {
        run_abort(r,
                  "%ld attempts in a row failed (last: %s); stopping so nothing more is "
                  "spent; run again to resume",
                  r->consecutive_failures, why);
    } else {
        log_debug("%s: attempt %d failed (%s); retry scheduled in %ld ms", t->job->id, t->attempts,
                  why, delay);
        task_schedule(r, t, (uint64_t)delay);
        return AE_RETRY;
    }
    task_ready(r, t); /* recorded as interrupted when the run drains */
    return AE_ABORT;
}

/* A create answered 404 by something that does not know the method (the
 * service's "Method not found", or a page that is not the API's error
 * envelope): the endpoint or the API version is wrong, not the job. */
static int wrong_path(const struct op *op, const struct attempt *a)
{
    if (op->kind != OPK_CREATE || op->http != 404)
        return 0;
    return !strncmp(a->ae.message, "Method not found", 16) ||
           !strstr(op->content_type, "json");
}

#define PATH_404_LIMIT 3

static enum attempt_end fail_for_good(struct run *r, struct task *t, const struct op *op,
                                      const struct attempt *a, const char *why)
{
    if (wrong_path(op, a) && ++r->path_404s >= PATH_404_LIMIT) {
        run_abort(r,
                  "%s/interactions answered 404 to %d requests (%s); check --endpoint (the base "
                  "URL, without /v1beta or /v1: gembatch adds the version) and --api-version",
                  r->shown_url, r->path_404s, why);
        task_ready(r, t); /* recorded as interrupted: it runs again on resume */
        return AE_ABORT;
    }
    const struct outcome *o = &a->o;
    long code = o->cls == OC_HTTP       ? (a->ae.code ? a->ae.code : op->http)
                : o->cls == OC_BAD_BODY ? a->bad_body_code
                                        : 0;
    const char *status = o->cls == OC_HTTP       ? a->ae.status
                         : o->cls == OC_TIMEOUT  ? "DEADLINE_EXCEEDED"
                         : o->cls == OC_BAD_BODY ? "BAD_RESPONSE"
                         : o->cls == OC_LOCAL    ? "LOCAL_ERROR"
                                                 : "UNAVAILABLE";
    if (o->cls != OC_HTTP)
        log_debug("%s failed: %s", t->job->id, why);
    task_fail(r, t, code, status, why, NULL);
    return AE_FAILED;
}

static enum attempt_end cancel_done(struct run *r, struct task *t, const struct op *op)
{
    char msg[300];
    snprintf(msg, sizeof msg,
             "the background interaction did not finish within its deadline; it was %s",
             op->cc == CURLE_OK && op->http >= 200 && op->http < 300
                 ? "cancelled"
                 : "asked to cancel (the cancel failed)");
    task_fail(r, t, 0, "DEADLINE_EXCEEDED", msg, NULL);
    return AE_FAILED;
}

/* A flex request the service shed (503 UNAVAILABLE or 429
 * RESOURCE_EXHAUSTED, as the flex documents say): not a failure of the job
 * nor of the endpoint. */
static int was_shed(const struct task *t, const struct op *op, const struct attempt *a)
{
    return op->kind == OPK_CREATE && t->tier_sent == TIER_FLEX && a->o.cls == OC_HTTP &&
           (op->http == 503 || op->http == 429);
}

/* Shed attempts this many times in a row fail the request (a flex capacity
 * that never comes back; with --finish-by the request moves to standard
 * long before). */
#define SHED_MAX 50

enum attempt_end answer_on_done(struct run *r, struct task *t, struct op *op)
{
    if (op->kind == OPK_CANCEL)
        return cancel_done(r, t, op);
    /* the attempt's own time: from when curl started it, not from the queue */
    t->last_latency_us = op->t_end_us - (op->t_attempt_us ? op->t_attempt_us : op->t_start_us);
    struct attempt a = {0};
    read_attempt(r, t, op, &a);
    if (a.too_many_images) { /* billed, and asking again would bring as many */
        if (op->kind == OPK_CREATE)
            cost_unanswered(r, t, 1);
        task_fail(r, t, 0, "TOO_MANY_IMAGES", a.pe.msg, NULL);
        attempt_free(&a);
        return AE_FAILED;
    }
    int shed = was_shed(t, op, &a);
    if (shed) {
        /* retried with backoff like any 503/429, but it does not use up the
         * request's attempts (only SHED_MAX bounds it), and it slows the send
         * rate when most answers are sheds; it says nothing about the
         * endpoint's health */
        r->c.shed++;
        t->shed++;
        t->attempts--;
        rl_on_shed(&r->rl, now_ms());
    }
    long delay = 0;
    struct retry_policy sp = r->policy; /* the backoff grows with each shed in a row */
    sp.max_attempts = SHED_MAX;
    enum verdict v = shed ? retry_decide(&sp, &a.o, t->shed, run_rnd(r), &delay)
                          : retry_decide(&r->policy, &a.o, t->attempts, run_rnd(r), &delay);
    enum attempt_end end;
    if (op->synthetic && !r->folder_real) /* any answer of the emulator, an error too, marks */
        r->synthetic_seen = 1;                /* the folder, unless it holds real ones */
    if (v == V_OK && (op->synthetic || r->cfg->emulator)) {
        if (r->folder_real) {
            run_abort(r, "%s answered as the gembatch emulator, but '%s' holds answers of a real "
                      "endpoint: synthetic answers must not join them; use another -o",
                      r->shown_url, r->cfg->out_dir);
            cost_unanswered(r, t, 0);
            task_ready(r, t); /* not written: it runs again on resume */
            attempt_free(&a);
            return AE_ABORT;
        }
        t->synthetic = r->synthetic_seen = 1;
    }
    if (v == V_OK) {
        r->consecutive_failures = 0;
        r->any_success = 1;
        rl_on_success(&r->rl);
        if (op->kind == OPK_CREATE) {
            hist_add(&r->lat, t->last_latency_us);
            lat_est_add(t->tier_sent == TIER_FLEX ? &r->lat_flex : &r->lat_std,
                        (double)t->last_latency_us / 1e6);
        }
        follow_answer(r, t, &a, op->kind);
        attempt_free(&a);
        return AE_ACCEPTED;
    }
    if (op->kind == OPK_CREATE) {
        /* an error envelope was not billed; a request that left whole and got
         * no usable answer may have been */
        int doubt = a.o.cls == OC_BAD_BODY ||
                    ((a.o.cls == OC_TIMEOUT || a.o.cls == OC_NET) &&
                     (uint64_t)op->bytes_sent >= op->body.total);
        cost_unanswered(r, t, doubt);
    }
    if (!shed && (a.o.cls == OC_NET || a.o.cls == OC_TIMEOUT || a.o.cls == OC_BAD_BODY ||
                  (a.o.cls == OC_HTTP && op->http >= 500)))
        r->consecutive_failures++;
    if (op->http == 429 && !shed)
        rl_on_429(&r->rl, now_ms());
    char why[1400];
    describe(op, &a, why, sizeof why);
    if (v == V_RETRY) {
        end = retry_or_stop(r, t, op, &a, why, delay);
    } else if (v == V_ABORT) {
        if (a.o.cls == OC_TLS) {
            run_abort(r, "TLS failure talking to %s: %s; " CONFIG_TLS_HINT, r->shown_url, why);
        } else {
            r->auth_refused = 1;
            run_abort(r, "authentication refused (%s); check GEMINI_API_KEY%s or --api-key-file",
                      why, r->cfg->shard_n ? " (or GEMINI_API_KEY_<K> for this shard)" : "");
        }
        task_ready(r, t);
        end = AE_ABORT;
    } else {
        end = fail_for_good(r, t, op, &a, why);
    }
    attempt_free(&a);
    return end;
}
