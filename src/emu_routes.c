/* emu_routes.c: the route table (method, path pattern, flags, handlers),
 * used by emu_server.c both to route and to dispatch, and what each endpoint
 * answers: create (parse, run the model, store, reply as JSON or SSE), get
 * (also streamed and replayed), cancel, delete, and the Files API. Fills
 * struct reply; emu_server.c turns it into an HTTP response, applies latency
 * and faults, and logs. */
#include "emu_srv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- replies ---------------------------------------------------------------- */

static void reply_sse(struct req *r, struct buf *b)
{
    size_t len;
    char *s = buf_detach(b, &len);
    r->rep.sse = 1;
    reply_body(r, 200, "text/event-stream", s, len);
}

static void oom(struct req *r)
{
    struct emu_err err;
    emu_fail(&err, 500, "INTERNAL", "out of memory");
    reply_error(r, &err);
}

/* ---- create ------------------------------------------------------------------------ */

static int prev_cb(void *ctx, const char *id, struct emu_prev *out)
{
    return emu_store_prev(((struct emu *)ctx)->store, id, out);
}

static int file_cb(void *ctx, const char *uri, struct emu_facts *facts, char *mime, size_t mimesz,
                   char *name, size_t namesz)
{
    return emu_files_lookup(((struct emu *)ctx)->files, uri, facts, mime, mimesz, name, namesz);
}

static json_t *log_parts_of(const struct emu_call *c)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < c->nparts; i++) {
        const struct emu_part *p = &c->parts[i];
        json_t *o = json_pack("{s:s, s:s}", "type", emu_media_name(p->kind), "mime_type", p->mime);
        if (!o)
            break;
        if (p->remote) {
            json_object_set_new(o, "uri", json_string(p->uri));
        } else {
            char hex[65];
            sha256_hex(p->f.sha256, hex);
            json_object_set_new(o, "bytes", json_integer((json_int_t)p->f.bytes));
            json_object_set_new(o, "sha256", json_string(hex));
            if (p->file[0])
                json_object_set_new(o, "file", json_string(p->file));
        }
        json_array_append_new(a, o);
    }
    return a;
}

/* The failed fault: the work ends with status failed, no outputs, and the
 * errors list of G3's Interaction ({code: a URI, message}). */
static void fail_interaction(json_t *inter)
{
    json_object_set_new(inter, "status", json_string("failed"));
    json_object_set_new(inter, "outputs", json_array());
    json_object_set_new(inter, "steps", json_array());
    json_object_set_new(
        inter, "errors",
        json_pack("[{s:s, s:s}]", "code", "type.googleapis.com/google.rpc.Code.INTERNAL",
                  "message", "The agent failed while working (emulated failed fault)."));
}

/* The inverse of emu_status_name; completed for anything else. */
static int status_enum(const char *s)
{
    for (int st = EMU_ST_IN_PROGRESS; s && st < EMU_ST_NSTATUS; st++)
        if (!strcmp(s, emu_status_name(st)))
            return st;
    return EMU_ST_COMPLETED;
}

/* The Interaction both SDK generations read: outputs (G1) and steps (G3),
 * usage with both thinking-token names, request fields echoed (G3 types). */
static json_t *interaction(const struct emu_call *c, const struct emu_answer *a, const char *id,
                           const char *ts, int tier)
{
    json_t *o = json_object();
    if (!o)
        return NULL;
    json_object_set_new(o, "id", json_string(id));
    json_object_set_new(o, "object", json_string("interaction"));
    json_object_set_new(o, "status", json_string(a->status));
    json_object_set_new(o, c->model ? "model" : "agent", json_string(c->model ? c->model : c->agent));
    json_object_set_new(o, "created", json_string(ts));
    json_object_set_new(o, "updated", json_string(ts));
    json_object_set_new(o, "role", json_string("model"));
    json_object_set(o, "outputs", a->outputs);
    json_object_set_new(o, "steps", emu_steps_from_outputs(a->outputs));
    json_object_set(o, "usage", a->usage);
    static const char *const echo[] = {"previous_interaction_id", "system_instruction", "tools",
                                       "generation_config", "agent_config", "response_format",
                                       "response_modalities", "response_mime_type"};
    for (size_t i = 0; i < sizeof echo / sizeof echo[0]; i++) {
        json_t *v = json_object_get(c->body, echo[i]);
        if (v && !json_is_null(v))
            json_object_set(o, echo[i], v);
    }
    if (c->tier) /* echoed as the tier that served it (priority may be downgraded) */
        json_object_set_new(o, "service_tier", json_string(emu_tier_name(tier)));
    return o;
}

/* The running rendering of a background interaction: no outputs yet. */
static char *pending_of(json_t *inter)
{
    json_t *p = json_copy(inter);
    if (!p)
        return NULL;
    json_object_set_new(p, "status", json_string("in_progress"));
    json_object_set_new(p, "outputs", json_array());
    json_object_set_new(p, "steps", json_array());
    json_object_del(p, "usage");
    json_object_del(p, "errors");
    char *s = jf_dump(p, NULL);
    json_decref(p);
    return s;
}

/* The 500 fault on a streamed create: the stream opens, then an error event
 * ends it, as the service does when a generation fails midway. */
static int stream_error(struct req *r)
{
    json_t *body = json_loadb(r->body.data ? r->body.data : "", r->body.len, 0, NULL);
    int stream = json_is_true(json_object_get(body, "stream"));
    const char *model = json_string_value(json_object_get(body, "model"));
    if (!stream) {
        json_decref(body);
        return 0;
    }
    char id[48], ts[32];
    emu_new_id(r->e, id);
    emu_iso8601(emu_now_ms(), ts);
    int d = emu_dialect(r->url, &r->hdrs, body);
    json_t *inter = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "id", id, "object",
                              "interaction", "status", "in_progress", "model",
                              model ? model : "", "created", ts, "updated", ts);
    json_t *ev1 = json_pack("{s:s, s:s, s:o}", "event_type",
                            d == EMU_G3 ? "interaction.created" : "interaction.start", "event_id",
                            "e0", "interaction", inter);
    json_t *ev2 = json_pack("{s:s, s:s, s:{s:s, s:s}}", "event_type", "error", "event_id", "e1",
                            "error", "code", "INTERNAL", "message",
                            "An internal error has occurred. Please retry.");
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    if (ev1 && ev2) {
        char eid[64];
        snprintf(eid, sizeof eid, "%s_e0", id);
        json_object_set_new(ev1, "event_id", json_string(eid));
        snprintf(eid, sizeof eid, "%s_e1", id);
        json_object_set_new(ev2, "event_id", json_string(eid));
    }
    int ok = ev1 && ev2 && !emu_sse_frame(&b, ev1) && !emu_sse_frame(&b, ev2);
    json_decref(ev1);
    json_decref(ev2);
    r->dialect = d;
    snprintf(r->log_iid, sizeof r->log_iid, "%s", id);
    if (model)
        snprintf(r->log_model, sizeof r->log_model, "%s", model);
    json_decref(body);
    if (!ok) {
        buf_free(&b);
        oom(r);
        return 1;
    }
    reply_sse(r, &b);
    return 1;
}

/* A create with a continuation_token: the next hop of the answer that token
 * stopped. With store on the token must come from previous_interaction_id. */
static int continue_from(struct req *r, const struct emu_call *c, const json_t *tok,
                         struct emu_answer *a, json_t **rest, struct emu_err *err)
{
    if (!json_is_string(tok) || !json_string_length(tok))
        return emu_fail(err, 400, "INVALID_ARGUMENT",
                        "Invalid value at 'continuation_token': expected a non-empty string.");
    if (!c->model || c->background)
        return emu_fail(err, 400, "INVALID_ARGUMENT",
                        "'continuation_token' continues a model call that is not in the "
                        "background.");
    char *text = NULL;
    int rc = emu_store_cont_get(r->e->store, json_string_value(tok), &text);
    if (rc == GB_ENOMEM)
        return emu_fail(err, 500, "INTERNAL", "out of memory");
    if (rc)
        return emu_fail(err, 400, "INVALID_ARGUMENT",
                        "The continuation_token '%.60s' is not valid or has expired.",
                        json_string_value(tok));
    json_t *st = json_loads(text, 0, NULL);
    free(text);
    const char *owner = json_string_value(json_object_get(st, "owner"));
    if (owner && *owner && c->prev_id && strcmp(owner, c->prev_id)) {
        emu_fail(err, 400, "INVALID_ARGUMENT",
                 "The continuation_token was issued by interaction '%s', not by '%.60s'.", owner,
                 c->prev_id);
        json_decref(st);
        return -1;
    }
    rc = st ? emu_cont_next(st, a, rest) : -1;
    json_decref(st);
    if (rc)
        return emu_fail(err, 500, "INTERNAL", "out of memory");
    r->log_continued = 1;
    return 0;
}

/* Keep the hops still to come under a new token that inter now carries;
 * owner is the interaction that issued it ("" when it is not stored). */
static int issue_token(struct req *r, json_t *inter, json_t *state, const char *owner)
{
    char tok[48], id[48];
    emu_new_id(r->e, id);
    snprintf(tok, sizeof tok, "ct_%s", id + 3);
    json_object_set_new(state, "owner", json_string(owner));
    char *text = jf_dump(state, NULL);
    if (!text || emu_store_cont_put(r->e->store, tok, text))
        return -1;
    json_object_set_new(inter, "continuation_token", json_string(tok));
    return 0;
}

static int nomem(struct emu_err *err)
{
    return emu_fail(err, 500, "INTERNAL", "out of memory");
}

/* The body as a call; the log learns its model, parts and turns (the model
 * of a refused request too). */
static int create_parse(struct req *r, struct emu_call *c, struct emu_err *err)
{
    struct emu *e = r->e;
    struct emu_env env = {e->o.seed, e, prev_cb, file_cb, e->schemas};
    const char *body = r->body.data ? r->body.data : "";
    if (emu_call_parse(&env, r->url, &r->hdrs, body, r->body.len, c, err)) {
        if (e->log_fd >= 0) {
            json_t *b = json_loadb(body, r->body.len, 0, NULL);
            const char *m = json_string_value(json_object_get(b, "model"));
            const char *ag = json_string_value(json_object_get(b, "agent"));
            if (m || ag) {
                snprintf(r->log_model, sizeof r->log_model, "%s", m ? m : ag);
                r->log_is_agent = !m;
            }
            json_decref(b);
        }
        return -1;
    }
    r->dialect = c->dialect;
    snprintf(r->log_model, sizeof r->log_model, "%s", c->model ? c->model : c->agent);
    r->log_is_agent = c->agent != NULL;
    if (e->log_fd >= 0) {
        r->log_parts = log_parts_of(c);
        snprintf(r->log_prev, sizeof r->log_prev, "%s", c->prev_id ? c->prev_id : "");
        r->log_turns = c->turns;
        r->log_signatures = c->signatures_in;
    }
    return 0;
}

/* The tier that serves the request (*served). Only flex is sheddable: the
 * shed fault refuses a flex request and is spent on any other. Priority
 * past --priority-rpm is served, and billed, as standard, not refused. */
static int create_tier(struct req *r, const struct emu_call *c, int *served,
                       struct emu_err *err)
{
    r->tier_asked = c->tier;
    if (r->fault == F_SHED) {
        if (c->tier == EMU_TIER_FLEX) {
            emu_fault_shed(r->fault_pos, err);
            return -1;
        }
        r->fault = F_NONE;
    }
    *served = c->tier == EMU_TIER_NONE ? EMU_TIER_STANDARD : c->tier;
    if (*served == EMU_TIER_PRIORITY && emu_bucket_take(&r->e->priority))
        *served = EMU_TIER_STANDARD;
    return 0;
}

/* The answer: the next hop of a continuation_token, or the model's own
 * (cut into hops by the continuation fault or --hop-tokens; *cont then
 * holds the hops still to come). */
static int create_answer(struct req *r, const struct emu_call *c, struct emu_answer *a,
                         json_t **cont, struct emu_err *err)
{
    struct emu *e = r->e;
    const json_t *ctok = json_object_get(c->body, "continuation_token");
    if (ctok && !json_is_null(ctok)) {
        r->fault = F_NONE; /* the rest of an answer already made: nothing to draw */
        return continue_from(r, c, ctok, a, cont, err);
    }
    if (r->fault == F_SCHEMA && !c->schema)
        r->fault = F_NONE; /* nothing to violate: the draw is spent, no fault */
    if (emu_model_run(c, r->fault == F_SCHEMA ? EMU_ANSWER_SCHEMA_VIOLATION : EMU_ANSWER_NORMAL,
                      a, err))
        return -1;
    /* the continuation fault cuts 2 or 3 hops, else --hop-tokens (the
     * per-request output limit) cuts what is longer */
    int cut = r->fault == F_CONT || e->o.hop_tokens > 0;
    int rc = cut ? emu_cont_split(c, a, r->fault == F_CONT ? 0 : e->o.hop_tokens, cont) : 1;
    if (rc < 0)
        return nomem(err);
    if (rc > 0 && r->fault == F_CONT)
        r->fault = F_NONE; /* not a model's text answer: the draw is spent */
    if (r->fault == F_IDLE) {
        if (!strcmp(a->status, "requires_action"))
            a->status = "idle"; /* the newer name of the same state */
        else
            r->fault = F_NONE; /* nothing waits on the client: the draw is spent */
    }
    return 0;
}

/* Keep what a later get, cancel or previous_interaction_id needs. */
static int create_store(struct req *r, const struct emu_call *c, const struct emu_answer *a,
                        const char *id, const json_t *inter, const char *final_json,
                        const char *pending)
{
    struct emu *e = r->e;
    const json_t *in = json_object_get(c->body, "input");
    struct emu_rec_in rec = {
        .final_json = strdup(final_json),
        .pending_json = pending ? strdup(pending) : NULL,
        /* kept for include_input when small; a big input is not echoed */
        .input_json = in && r->body.len <= 64 * 1024 ? jf_dump(in, NULL) : NULL,
        .tools_json = c->tools ? jf_dump(c->tools, NULL) : NULL,
        .final_status = status_enum(json_string_value(json_object_get(inter, "status"))),
        .polls = (int)e->o.background_polls,
        .turns_total = c->turns + 1,
        .tokens = a->total_tokens,
    };
    memcpy(rec.id, id, sizeof rec.id);
    memcpy(rec.hash, c->hash, sizeof rec.hash);
    if (!rec.final_json || (pending && !rec.pending_json)) {
        free(rec.final_json);
        free(rec.pending_json);
        free(rec.input_json);
        free(rec.tools_json);
        return GB_ENOMEM;
    }
    return emu_store_put(e->store, &rec) ? GB_ENOMEM : 0;
}

/* The Interaction of the answer: stored when asked, sent as JSON (the
 * running rendering for background work) or as an event stream. */
static int create_reply(struct req *r, const struct emu_call *c, const struct emu_answer *a,
                        json_t *cont, int tier, struct emu_err *err)
{
    struct emu *e = r->e;
    char *final_json = NULL, *pending = NULL;
    char id[48], ts[32];
    struct buf b;
    int rc = GB_ENOMEM;
    buf_init(&b, BUF_UNLIMITED);
    emu_new_id(e, id);
    snprintf(r->log_iid, sizeof r->log_iid, "%s", id);
    emu_iso8601(emu_now_ms(), ts);
    json_t *inter = interaction(c, a, id, ts, tier), *events = NULL;
    if (inter && cont && issue_token(r, inter, cont, c->store ? id : ""))
        goto out;
    if (r->fault == F_FAILED) {
        if (inter && c->background && !c->stream && c->store)
            fail_interaction(inter);
        else
            r->fault = F_NONE; /* only a background interaction can end failed later */
    }
    size_t final_len = 0;
    final_json = inter ? jf_dump(inter, &final_len) : NULL;
    if (!final_json)
        goto out;
    int background = c->background && !c->stream; /* a stream waits for the end */
    if (background && !(pending = pending_of(inter)))
        goto out;
    if (c->store && create_store(r, c, a, id, inter, final_json, pending))
        goto out;
    if (c->stream) {
        events = emu_sse_events(inter, c->dialect);
        if (!events || emu_sse_render(events, NULL, &b))
            goto out;
        reply_sse(r, &b);
    } else if (pending) {
        reply_json(r, pending, strlen(pending));
        pending = NULL;
    } else {
        reply_json(r, final_json, final_len);
        final_json = NULL;
    }
    /* every answer says which tier served it (the priority docs' signal) */
    r->tier_served = tier;
    reply_header(r, "x-gemini-service-tier", "%s", emu_tier_name(tier));
    rc = 0;
out:
    if (rc)
        nomem(err);
    buf_free(&b);
    json_decref(events);
    free(final_json);
    free(pending);
    json_decref(inter);
    return rc;
}

static void route_create(struct req *r)
{
    if (r->pre) {
        if (r->fault == F_500 && stream_error(r))
            return;
        reply_error(r, &r->err);
        return;
    }
    struct emu_call c;
    struct emu_answer a = {0};
    struct emu_err err = {0};
    json_t *cont = NULL; /* the hops still to come, or NULL */
    int tier = EMU_TIER_STANDARD;
    if (create_parse(r, &c, &err) || create_tier(r, &c, &tier, &err) ||
        create_answer(r, &c, &a, &cont, &err) || create_reply(r, &c, &a, cont, tier, &err))
        reply_error(r, &err);
    json_decref(cont);
    emu_answer_free(&a);
    emu_call_free(&c);
}

/* ---- get / cancel / delete ------------------------------------------------------------ */

static void not_found(struct req *r, const char *what)
{
    struct emu_err err;
    emu_fail(&err, 404, "NOT_FOUND", "%s '%s' was not found.", what, r->id);
    reply_error(r, &err);
}

static int query_true(struct req *r, const char *key)
{
    const char *v = req_query(r, key);
    return v && (!strcmp(v, "true") || !strcmp(v, "1"));
}

static void route_get(struct req *r)
{
    char *json = NULL;
    size_t len = 0;
    int status;
    snprintf(r->log_iid, sizeof r->log_iid, "%s", r->id);
    if (!query_true(r, "stream")) {
        if (emu_store_get(r->e->store, r->id, 1, 0, query_true(r, "include_input"), &json, &len,
                          &status))
            not_found(r, "Interaction");
        else
            reply_json(r, json, len);
        return;
    }
    /* a streaming get waits for a background interaction to finish, then
     * sends the events after last_event_id */
    if (emu_store_get(r->e->store, r->id, 0, 1, 0, &json, &len, &status)) {
        not_found(r, "Interaction");
        return;
    }
    json_t *inter = json_loadb(json, len, 0, NULL);
    free(json);
    json_t *events = inter ? emu_sse_events(inter, r->dialect) : NULL;
    json_decref(inter);
    struct buf b;
    buf_init(&b, BUF_UNLIMITED);
    const char *after = req_query(r, "last_event_id");
    int rc = events ? emu_sse_render(events, after && *after ? after : NULL, &b) : GB_ENOMEM;
    json_decref(events);
    if (rc == -1) {
        struct emu_err err;
        emu_fail(&err, 400, "INVALID_ARGUMENT",
                 "Invalid last_event_id '%s': no such event in interaction '%s'.", after, r->id);
        buf_free(&b);
        reply_error(r, &err);
        return;
    }
    if (rc) {
        buf_free(&b);
        oom(r);
        return;
    }
    reply_sse(r, &b);
}

static void route_cancel(struct req *r)
{
    char *json = NULL;
    size_t len = 0;
    snprintf(r->log_iid, sizeof r->log_iid, "%s", r->id);
    int rc = emu_store_cancel(r->e->store, r->id, &json, &len);
    if (rc == -1) {
        not_found(r, "Interaction");
    } else if (rc == -2) {
        struct emu_err err;
        emu_fail(&err, 400, "FAILED_PRECONDITION",
                 "Interaction '%s' is not running: only a background interaction in progress "
                 "can be cancelled.",
                 r->id);
        reply_error(r, &err);
    } else if (rc) {
        oom(r);
    } else {
        reply_json(r, json, len);
    }
}

static void route_delete(struct req *r)
{
    snprintf(r->log_iid, sizeof r->log_iid, "%s", r->id);
    if (emu_store_delete(r->e->store, r->id))
        not_found(r, "Interaction");
    else
        reply_json(r, strdup("{}"), 2);
}

/* ---- Files API -------------------------------------------------------------------------- */

static void upload_hdrs(struct req *r, struct emu_upload_hdrs *h)
{
    h->protocol = req_header(r, "X-Goog-Upload-Protocol");
    h->command = req_header(r, "X-Goog-Upload-Command");
    h->total_len = req_header(r, "X-Goog-Upload-Header-Content-Length");
    h->mime = req_header(r, "X-Goog-Upload-Header-Content-Type");
    h->file_name = req_header(r, "X-Goog-Upload-File-Name");
    h->offset = req_header(r, "X-Goog-Upload-Offset");
}

static void route_upload_start(struct req *r)
{
    struct emu_upload_hdrs h;
    struct emu_err err;
    char base[200], name[64] = "", *url = NULL;
    upload_hdrs(r, &h);
    const char *host = req_header(r, "Host");
    if (host && *host && strlen(host) < 160 && !strpbrk(host, " /\\\"'"))
        snprintf(base, sizeof base, "http://%s", host);
    else
        snprintf(base, sizeof base, "%s", r->e->base_url);
    if (emu_files_start(r->e->files, r->version, base, &h, r->body.data, r->body.len, &url, name,
                        &err)) {
        reply_error(r, &err);
        return;
    }
    snprintf(r->log_file, sizeof r->log_file, "%s", name);
    reply_body(r, 200, NULL, NULL, 0);
    reply_header(r, "X-Goog-Upload-URL", "%s", url);
    reply_header(r, "X-Goog-Upload-Status", "active");
    reply_header(r, "X-Goog-Upload-Chunk-Granularity", "262144");
    free(url);
}

static void upload_reply(struct req *r, struct emu_upload_reply *ur)
{
    snprintf(r->log_file, sizeof r->log_file, "%s", ur->name);
    if (ur->body)
        reply_body(r, 200, JSON_CTYPE, ur->body, strlen(ur->body));
    else
        reply_body(r, 200, NULL, NULL, 0);
    ur->body = NULL;
    reply_header(r, "X-Goog-Upload-Status", "%s", ur->status);
    reply_header(r, "X-Goog-Upload-Size-Received", "%llu", (unsigned long long)ur->received);
}

/* An upload chunk's headers: open its session, so the body streams straight
 * into the digest (the failed fault marks a finalize, reset keeps half). */
static void upload_chunk_headers(struct req *r)
{
    const char *cmd_s = req_header(r, "X-Goog-Upload-Command");
    const char *off = req_header(r, "X-Goog-Upload-Offset");
    r->up_offset = off ? strtoull(off, NULL, 10) : 0;
    r->up_cmd = emu_upload_command(cmd_s);
    if (r->up_cmd < 0) {
        r->pre = 1;
        emu_fail(&r->err, 400, "INVALID_ARGUMENT", "Invalid X-Goog-Upload-Command '%s'.",
                 cmd_s ? cmd_s : "");
        return;
    }
    if (r->fault == F_FAILED) { /* only a finalize makes a File that can fail */
        if (r->up_cmd & EMU_UP_FINALIZE)
            r->up_cmd |= EMU_UP_FAIL;
        else
            r->fault = F_NONE;
    }
    if (r->up_cmd & EMU_UP_UPLOAD) {
        struct emu_upload_hdrs h = {0};
        h.offset = off;
        struct emu_err err;
        int64_t cl = r->content_length;
        if (emu_upload_begin(r->e->files, req_query(r, "upload_id"), r->up_cmd, &h, cl, &r->up,
                             r->log_file, &err)) {
            r->pre = 1;
            r->err = err;
            return;
        }
        if (r->fault == F_RESET) /* keep part of the chunk, then drop */
            r->up_cut = cl > 0 ? (uint64_t)cl / 2 : 1;
    }
}

static void route_upload_chunk(struct req *r)
{
    struct emu_upload_reply ur;
    struct emu_err err;
    const char *upload_id = req_query(r, "upload_id");
    if (r->pre) {
        reply_error(r, &r->err);
        return;
    }
    if (r->up) {
        struct emu_upload *u = r->up;
        r->up = NULL;
        if (emu_upload_end(r->e->files, u, r->up_cmd, &ur, &err)) {
            snprintf(r->log_file, sizeof r->log_file, "%s", ur.name);
            reply_error(r, &err);
            free(ur.body);
            return;
        }
        upload_reply(r, &ur);
        return;
    }
    if (emu_upload_status(r->e->files, upload_id, r->up_cmd, &ur, &err)) {
        reply_error(r, &err);
        free(ur.body);
        return;
    }
    upload_reply(r, &ur);
}

static void route_files_list(struct req *r)
{
    char *json = NULL;
    size_t len = 0;
    struct emu_err err;
    const char *ps = req_query(r, "pageSize");
    long page_size = ps ? strtol(ps, NULL, 10) : 0;
    if (emu_files_list(r->e->files, page_size, req_query(r, "pageToken"), &json, &len, &err))
        reply_error(r, &err);
    else
        reply_json(r, json, len);
}

static void route_file_get(struct req *r)
{
    char *json = NULL;
    size_t len = 0;
    snprintf(r->log_file, sizeof r->log_file, "files/%.50s", r->id);
    int rc = emu_files_get(r->e->files, r->id, &json, &len);
    if (rc == -1) {
        struct emu_err err;
        emu_fail(&err, 404, "NOT_FOUND", "File files/%s was not found.", r->id);
        reply_error(r, &err);
    } else if (rc) {
        oom(r);
    } else {
        reply_json(r, json, len);
    }
}

static void route_file_delete(struct req *r)
{
    snprintf(r->log_file, sizeof r->log_file, "files/%.50s", r->id);
    if (emu_files_delete(r->e->files, r->id)) {
        struct emu_err err;
        emu_fail(&err, 404, "NOT_FOUND", "File files/%s was not found.", r->id);
        reply_error(r, &err);
    } else {
        reply_json(r, strdup("{}"), 2);
    }
}

/* ---- the table ---------------------------------------------------------------------- */

static const struct emu_route routes[] = {
    {"POST", "/{v}/interactions/?", NULL,
     RT_BIG_BODY | RT_RPM | RT_FAULT_FAILED | RT_FAULT_MODEL | RT_OWN_ERRORS | RT_TIER, NULL,
     route_create},
    {"GET", "/{v}/interactions/{id}", NULL, 0, NULL, route_get},
    {"DELETE", "/{v}/interactions/{id}", NULL, 0, NULL, route_delete},
    {"POST", "/{v}/interactions/{id}/cancel", NULL, 0, NULL, route_cancel},
    {"GET", "/{v}/files/?", NULL, 0, NULL, route_files_list},
    {"GET", "/{v}/files/{id}", NULL, 0, NULL, route_file_get},
    {"DELETE", "/{v}/files/{id}", NULL, 0, NULL, route_file_delete},
    /* the session URL names its upload_id; without one, a new session */
    {"POST", "/upload/{v}/files", "upload_id",
     RT_KEYLESS | RT_FAULT_FAILED | RT_OWN_ERRORS | RT_UPLOAD, upload_chunk_headers,
     route_upload_chunk},
    {"POST", "/upload/{v}/files", NULL, RT_UPLOAD, NULL, route_upload_start},
    /* the Batch API (reference batch-api 1): emu_batch_routes.c */
    {"POST", "/{v}/models/{id}:batchGenerateContent", NULL, RT_BIG_BODY, NULL,
     route_batch_create},
    {"GET", "/{v}/batches/?", NULL, 0, NULL, route_batch_list},
    {"GET", "/{v}/batches/{id}", NULL, 0, NULL, route_batch_get},
    {"POST", "/{v}/batches/{id}:cancel", NULL, 0, NULL, route_batch_cancel},
    {"DELETE", "/{v}/batches/{id}", NULL, 0, NULL, route_batch_delete},
    {"POST", "/{v}/batches/{id}:delete", NULL, 0, NULL, route_batch_delete}, /* the guide's form */
    {"GET", "/{v}/files/{id}:download", NULL, 0, NULL, route_file_download},
    {"GET", "/download/{v}/files/{id}:download", NULL, 0, NULL, route_file_download},
};

/* One segment of url against one of the pattern; fills version or id. */
static int segment(struct req *r, const char *pat, size_t pl, const char *seg, size_t sl)
{
    if (pl == 3 && !strncmp(pat, "{v}", 3)) {
        if (!((sl == 6 && !strncmp(seg, "v1beta", 6)) || (sl == 2 && !strncmp(seg, "v1", 2)) ||
              (sl == 7 && !strncmp(seg, "v1alpha", 7))))
            return 0;
        memcpy(r->version, seg, sl);
        r->version[sl] = '\0';
        return 1;
    }
    if (pl >= 4 && !strncmp(pat, "{id}", 4)) {
        size_t vl = pl - 4; /* ":verb" after the id, or nothing */
        if (sl <= vl || sl - vl >= sizeof r->id || strncmp(seg + sl - vl, pat + 4, vl))
            return 0;
        if (!vl && memchr(seg, ':', sl))
            return 0; /* "ID:verb" is a verb's route, never a plain id */
        memcpy(r->id, seg, sl - vl);
        r->id[sl - vl] = '\0';
        return 1;
    }
    return pl == sl && !strncmp(pat, seg, sl);
}

static int path_matches(struct req *r, const char *pat, const char *url)
{
    while (*pat == '/' && pat[1] != '?') {
        if (*url != '/')
            return 0;
        pat++, url++;
        size_t pl = strcspn(pat, "/"), sl = strcspn(url, "/");
        if (!segment(r, pat, pl, url, sl))
            return 0;
        pat += pl, url += sl;
    }
    if (!strcmp(pat, "/?") && !strcmp(url, "/"))
        return 1; /* the optional trailing slash */
    return !*url;
}

const struct emu_route *emu_route_find(struct req *r, const char *method, const char *url)
{
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const struct emu_route *rt = &routes[i];
        if (!strcmp(method, rt->method) && path_matches(r, rt->path, url) &&
            (!rt->query || req_query(r, rt->query)))
            return rt;
    }
    return NULL;
}
