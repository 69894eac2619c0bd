/* run_answer.c: what a finished attempt means for its job: classify the
 * outcome (retry.c decides), read the Interaction, write images, validate
 * structured output and re-ask, run function tools, move multi-step
 * pipelines on, poll background work, and record the result. Never touches
 * curl beyond the finished op it is handed. */
#include "run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static json_t *usage_json(const struct job *j)
{
    json_t *u = json_pack("{s:I,s:I,s:I}", "total_input_tokens", (json_int_t)j->tok_in,
                          "total_output_tokens", (json_int_t)j->tok_out, "total_tokens",
                          (json_int_t)j->tok_total);
    if (j->tok_thought)
        json_object_set_new(u, "total_thought_tokens", json_integer(j->tok_thought));
    return u;
}

/* ---- outcomes ------------------------------------------------------------------ */

static enum outcome_class classify_cc(CURLcode cc)
{
    switch (cc) {
    case CURLE_OPERATION_TIMEDOUT:
        return OC_TIMEOUT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
        return OC_TLS;
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

struct decoded {
    unsigned char *data;
    size_t n;
    const char *ext;
};

/* Decode every inline image of outputs; -1 if one is not valid base64. */
static int decode_images(const json_t *outputs, struct decoded **out, size_t *nout)
{
    size_t i, n = 0;
    json_t *item;
    *out = NULL;
    *nout = 0;
    json_array_foreach (outputs, i, item) {
        const char *t = jx_str(item, "type");
        json_t *d = json_object_get(item, "data");
        if (!t || strcmp(t, "image") || !json_is_string(d))
            continue;
        struct decoded *nv = realloc(*out, (n + 1) * sizeof *nv);
        if (!nv)
            return -1;
        *out = nv;
        size_t len = json_string_length(d);
        unsigned char *buf = malloc(b64_dec_max(len));
        long long got = buf ? b64_decode(json_string_value(d), len, buf) : -1;
        if (got <= 0) {
            free(buf);
            *nout = n;
            return -1;
        }
        nv[n].data = buf;
        nv[n].n = (size_t)got;
        nv[n].ext = ext_for(jx_str(item, "mime_type"));
        n++;
    }
    *nout = n;
    return 0;
}

static void free_decoded(struct decoded *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(d[i].data);
    free(d);
}

static void add_usage(struct run *r, struct job *j, const struct interaction *it)
{
    if (!it->has_usage)
        return;
    j->tok_in += it->usage.input;
    j->tok_out += it->usage.output;
    j->tok_total += it->usage.total;
    j->tok_thought += it->usage.thought;
    r->c.tok_in += it->usage.input;
    r->c.tok_out += it->usage.output;
    r->c.tok_total += it->usage.total;
    r->c.tok_thought += it->usage.thought;
    rl_correct(&r->rl, j->est_tokens, (long)it->usage.input);
}

static void write_result(struct run *r, struct job *j, const struct interaction *it,
                         const char *text, json_t *output, json_t *files)
{
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(j->id));
    json_object_set_new(
        o, "status",
        json_string(strcmp(it->status, "requires_action") ? "completed" : "requires_action"));
    if (it->id)
        json_object_set_new(o, "interaction_id", json_string(it->id));
    const char *model = it->model ? it->model : jx_str(j->req, "model");
    if (!model)
        model = jx_str(j->req, "agent");
    if (model)
        json_object_set_new(o, "model", json_string(model));
    if (output)
        json_object_set(o, "output", output);
    json_object_set_new(o, "text", json_string(text));
    if (files && json_array_size(files))
        json_object_set(o, "files", files);
    /* items other than text (tool calls and results, function calls, images
     * by file name) are kept; inline image data is not repeated */
    json_t *items = json_array();
    size_t i, k = 0;
    json_t *item;
    struct buf thoughts;
    buf_init(&thoughts, BUF_UNLIMITED);
    json_array_foreach (it->outputs, i, item) {
        const char *t = jx_str(item, "type");
        if (t && !strcmp(t, "thought")) { /* summaries, when asked for, as text */
            size_t q;
            json_t *part;
            json_array_foreach (jx_arr(item, "summary"), q, part) {
                const char *pt = jx_str(part, "text");
                if (pt && *pt)
                    buf_printf(&thoughts, "%s%s", thoughts.len ? "\n" : "", pt);
            }
            continue;
        }
        if (!t || !strcmp(t, "text"))
            continue;
        json_t *c = json_copy(item);
        if (!strcmp(t, "image") && json_object_get(c, "data")) {
            json_object_del(c, "data");
            json_t *f = json_array_get(files, k++);
            if (f)
                json_object_set(c, "file", f);
        }
        json_array_append_new(items, c);
    }
    if (json_array_size(items))
        json_object_set_new(o, "outputs", items);
    else
        json_decref(items);
    if (thoughts.len)
        json_object_set_new(o, "thoughts", jx_string_lossy(thoughts.data));
    buf_free(&thoughts);
    json_object_set_new(o, "usage", usage_json(j));
    json_object_set_new(o, "attempts", json_integer(j->attempts));
    if (j->total_attempts != j->attempts)
        json_object_set_new(o, "requests", json_integer(j->total_attempts));
    if (j->reasks)
        json_object_set_new(o, "reasks", json_integer(j->reasks));
    if (j->tool_turns)
        json_object_set_new(o, "tool_turns", json_integer(j->tool_turns));
    if (j->continuations)
        json_object_set_new(o, "continuations", json_integer(j->continuations));
    if (j->tool_log)
        json_object_set(o, "tool_calls", j->tool_log);
    if (j->steps_log)
        json_object_set(o, "steps", j->steps_log);
    json_object_set_new(o, "latency_ms", json_integer((json_int_t)(j->last_latency_us / 1000)));
    if (j->ttft_us)
        json_object_set_new(o, "ttft_ms", json_integer((json_int_t)(j->ttft_us / 1000)));
    sink_line(&r->sink, SINK_RESULTS, o);
    json_decref(o);
    r->c.completed++;
    if (j->reasks)
        r->c.reask_ok++;
    run_finish_job(r, j);
}

/* ---- follow-ups: re-asks, tool results, next steps ---------------------------- */

static int is_content_type(const char *t)
{
    return t && (!strcmp(t, "text") || !strcmp(t, "image") || !strcmp(t, "audio") ||
                 !strcmp(t, "video") || !strcmp(t, "document"));
}

/* Content as a list of parts ("hi" -> [{"type":"text","text":"hi"}]). New. */
static json_t *parts_of(const json_t *v)
{
    if (json_is_array(v))
        return json_deep_copy(v);
    json_t *a = json_array();
    if (json_is_string(v))
        json_array_append_new(a, json_pack("{s:s,s:O}", "type", "text", "text", v));
    else if (json_is_object(v))
        json_array_append_new(a, json_deep_copy(v));
    return a;
}

/* The conversation a request's input starts: turns/steps as given, else one
 * user turn. New. */
static json_t *conv_start(const json_t *input, int g3)
{
    json_t *first = json_is_array(input) ? json_array_get(input, 0) : NULL;
    const char *t = first ? jx_str(first, "type") : NULL;
    if (first && (json_object_get(first, "role") ||
                  (t && (!strcmp(t, "user_input") || !strcmp(t, "model_output")))))
        return json_deep_copy(input);
    if (g3)
        return json_pack("[{s:s,s:o}]", "type", "user_input", "content", parts_of(input));
    return json_pack("[{s:s,s:O}]", "role", "user", "content", input);
}

/* Append the model's answer: G1 one model turn; G3 model_output steps for
 * runs of content and a step per tool item. Thoughts go back as they came:
 * their signatures let a thinking model pick up where it stopped (a
 * function call's reasoning in particular). */
static void conv_add_model(json_t *conv, const json_t *outputs, int g3)
{
    size_t i;
    json_t *it;
    if (!g3) {
        json_t *items = json_array();
        json_array_foreach (outputs, i, it) {
            if (jx_str(it, "type"))
                json_array_append(items, it);
        }
        json_array_append_new(conv, json_pack("{s:s,s:o}", "role", "model", "content", items));
        return;
    }
    json_t *run = NULL;
    json_array_foreach (outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (!t)
            continue;
        if (is_content_type(t)) {
            if (!run) {
                run = json_array();
                json_array_append_new(
                    conv, json_pack("{s:s,s:o}", "type", "model_output", "content", run));
            }
            json_array_append(run, it);
        } else {
            run = NULL;
            json_array_append(conv, it);
        }
    }
}

/* Append what the user says next: text, parts, or function_result items (G3
 * takes those as steps of their own). */
static void conv_add_user(json_t *conv, const json_t *content, int g3)
{
    json_t *first = json_is_array(content) ? json_array_get(content, 0) : NULL;
    const char *t = first ? jx_str(first, "type") : NULL;
    if (g3 && t && !strcmp(t, "function_result")) {
        json_array_extend(conv, (json_t *)content);
        return;
    }
    if (g3)
        json_array_append_new(
            conv, json_pack("{s:s,s:o}", "type", "user_input", "content", parts_of(content)));
    else
        json_array_append_new(conv, json_pack("{s:s,s:O}", "role", "user", "content", content));
}

/* Set the job's next request: base (new reference, or NULL for the current
 * request) continued from the model's outputs with content from the user:
 * by previous_interaction_id when the interaction is stored, else with the
 * whole conversation. */
static void follow_up(struct run *r, struct job *j, json_t *base, const json_t *outputs,
                      const json_t *content)
{
    int g3 = r->jctx.dialect == DIALECT_V1;
    if (!base)
        base = json_deep_copy(j->cur_req ? j->cur_req : j->req);
    if (j->store && j->iid) {
        json_object_set_new(base, "previous_interaction_id", json_string(j->iid));
        json_object_set(base, "input", (json_t *)content);
    } else {
        if (!j->conv)
            j->conv = conv_start(json_object_get(j->req, "input"), g3);
        conv_add_model(j->conv, outputs, g3);
        conv_add_user(j->conv, content, g3);
        json_object_del(base, "previous_interaction_id");
        json_object_set_new(base, "input", json_deep_copy(j->conv));
    }
    /* a follow-up carries no media of ours: the placeholders stay in j->req */
    json_decref(j->cur_req);
    j->cur_req = base;
    j->attempts = 0;
    j->phase = PH_CREATE;
    run_ready_push(r, j);
}

static json_t *correction(const json_t *errors, const char *parse_error)
{
    struct buf t;
    buf_init(&t, 64 * 1024);
    if (parse_error) {
        buf_printf(&t, "Your previous answer was not valid JSON (%s). ", parse_error);
    } else {
        buf_puts(&t, "Your previous answer does not match the required JSON schema:\n");
        size_t i;
        json_t *e;
        json_array_foreach (errors, i, e) {
            const char *ip = jx_str(e, "instance_path");
            buf_printf(&t, "- at '%s': %s\n", ip && *ip ? ip : "/", jx_str(e, "message"));
        }
    }
    buf_puts(&t, "Reply again with only the corrected JSON, valid against the schema.");
    json_t *v = json_string(t.data ? t.data : "");
    buf_free(&t);
    return v;
}

/* One step of a multi-step pipeline ended: log it, with its answer. */
static void log_step(struct run *r, struct job *j, const struct interaction *it, const char *text,
                     const json_t *output)
{
    if (!r->pipe->steps)
        return;
    if (!j->steps_log)
        j->steps_log = json_array();
    long long in = j->tok_in, out = j->tok_out, tot = j->tok_total;
    size_t i;
    json_t *e;
    json_array_foreach (j->steps_log, i, e) {
        json_t *u = jx_obj(e, "usage");
        long long v;
        if (!jx_int(u, "total_input_tokens", &v))
            in -= v;
        if (!jx_int(u, "total_output_tokens", &v))
            out -= v;
        if (!jx_int(u, "total_tokens", &v))
            tot -= v;
    }
    json_t *st = json_array_get(r->pipe->steps, (size_t)j->step);
    json_t *rec = json_pack(
        "{s:i,s:s?,s:s?,s:s?,s:{s:I,s:I,s:I},s:I}", "step", j->step, "name", jx_str(st, "name"),
        "interaction_id", it->id, "model",
        it->model ? it->model : jx_str(j->cur_req ? j->cur_req : j->req, "model"), "usage",
        "total_input_tokens", (json_int_t)in, "total_output_tokens", (json_int_t)out,
        "total_tokens", (json_int_t)tot, "latency_ms", (json_int_t)(j->last_latency_us / 1000));
    if (output)
        json_object_set(rec, "output", (json_t *)output);
    json_object_set_new(rec, "text", json_string(text));
    json_array_append_new(j->steps_log, rec);
}

/* Move a multi-step job on: render the next step's prompt from the previous
 * answer and continue the conversation. 1 if a next step was started. */
static int next_step(struct run *r, struct job *j, const struct interaction *it, const char *text,
                     const json_t *output)
{
    if (!r->pipe->steps || (size_t)j->step + 1 >= json_array_size(r->pipe->steps))
        return 0;
    log_step(r, j, it, text, output);
    size_t k = (size_t)j->step + 1;
    json_t *base = job_step_base(r->pipe, k);
    const char *tmpl = job_step_prompt(r->pipe, k);
    json_t *ctx = json_pack("{s:{s:s,s:O?,s:s?}}", "prev", "text", text, "output", output,
                            "interaction_id", it->id);
    char *prompt = NULL;
    struct gb_err e = {0};
    int rc = tmpl ? pipe_render(tmpl, j->vars, j->id, ctx, &prompt, &e) : 0;
    json_decref(ctx);
    if (rc) {
        json_decref(base);
        char msg[1200];
        snprintf(msg, sizeof msg, "step %zu: %s", k, e.msg);
        run_record_error(r, j, 0, "INVALID_INPUT", msg, NULL);
        return 1;
    }
    json_t *content = json_string(prompt ? prompt : "Continue.");
    free(prompt);
    j->step = (int)k;
    /* the new step runs its own model or agent; agents run in the background */
    j->background = jx_bool(base, "background", json_object_get(base, "agent") != NULL);
    if (j->background)
        json_object_set_new(base, "background", json_true());
    if (r->cfg->model && !json_object_get(base, "agent"))
        json_object_set_new(base, "model", json_string(r->cfg->model));
    if (job_shape_request(&r->jctx, j, base, &e)) {
        json_decref(base);
        json_decref(content);
        char msg[1200];
        snprintf(msg, sizeof msg, "step %zu: %s", k, e.msg);
        run_record_error(r, j, 0, "INVALID_INPUT", msg, NULL);
        return 1;
    }
    follow_up(r, j, base, it->outputs, content);
    json_decref(content);
    return 1;
}

/* ---- function tools answered by local programs ----------------------------------- */

struct tcall {
    struct run *r;
    struct job *j;
    char *id;
    char *name;
    json_t *args;
};

void run_free_tcalls(struct job *j)
{
    struct tcall *tc = j->tcalls;
    for (int i = 0; i < j->ntcalls; i++) {
        free(tc[i].id);
        free(tc[i].name);
        json_decref(tc[i].args);
    }
    free(tc);
    j->tcalls = NULL;
    j->ntcalls = 0;
}

/* Every function call has a program: run them (1), else leave them (0). */
static int start_tools(struct run *r, struct job *j, const json_t *outputs)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach (outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (t && !strcmp(t, "function_call")) {
            if (!pipe_tool(r->pipe, jx_str(it, "name")))
                return 0; /* recorded in the result as it is */
            n++;
        }
    }
    if (!n)
        return 0;
    if (j->tool_turns >= r->cfg->max_tool_turns) {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the model still asked for tools after %d tool turns "
                 "(max_tool_turns)",
                 j->tool_turns);
        run_record_error(r, j, 0, "TOOL_TURNS_EXCEEDED", msg, NULL);
        return 1;
    }
    run_free_tcalls(j);
    struct tcall *tc = calloc(n, sizeof *tc);
    if (!tc) {
        run_record_error(r, j, 0, "LOCAL_ERROR", "out of memory", NULL);
        return 1;
    }
    j->tcalls = tc;
    j->ntcalls = (int)n;
    json_decref(j->last_outputs);
    j->last_outputs = json_incref((json_t *)outputs);
    json_decref(j->tool_results);
    j->tool_results = json_array();
    free(j->tool_error);
    j->tool_error = NULL;
    j->tools_pending = (int)n;
    j->phase = PH_TOOLS;
    size_t k = 0;
    json_array_foreach (outputs, i, it) {
        const char *t = jx_str(it, "type");
        if (!t || strcmp(t, "function_call"))
            continue;
        const struct pipe_tool *pt = pipe_tool(r->pipe, jx_str(it, "name"));
        json_t *args = json_object_get(it, "arguments");
        tc[k] = (struct tcall){r, j, strdup(jx_str(it, "id") ? jx_str(it, "id") : ""),
                               strdup(jx_str(it, "name")), json_incref(args)};
        char *in = json_dumps(args ? args : json_object(), JSON_COMPACT | JSON_ENCODE_ANY);
        r->c.tool_calls++;
        if (!in || toolbox_call(&r->tb, pt->argv, in, strlen(in), pt->timeout_ms, &tc[k])) {
            /* counted as a failed call so the turn still completes */
            free(in);
            j->tools_pending--;
            if (!j->tool_error)
                j->tool_error = strdup("out of memory starting a tool program");
        } else {
            free(in);
        }
        k++;
    }
    if (j->tools_pending == 0) {
        run_record_error(r, j, 0, "TOOL_FAILED", j->tool_error ? j->tool_error : "tool failed",
                         NULL);
    }
    return 1;
}

void run_on_tool_done(void *ctx, void *user, int ok, const char *out, size_t n, const char *why)
{
    struct run *r = ctx;
    struct tcall *tc = user;
    struct job *j = tc->j;
    j->tools_pending--;
    if (!j->tool_log)
        j->tool_log = json_array();
    json_t *entry = json_pack("{s:s,s:O?,s:i}", "name", tc->name, "arguments", tc->args, "turn",
                              j->tool_turns + 1);
    json_array_append_new(j->tool_log, entry);
    if (!ok) {
        json_object_set_new(entry, "error", json_string(why));
        r->c.tool_failures++;
        if (!j->tool_error) {
            char msg[1024];
            snprintf(msg, sizeof msg, "function tool '%.100s': %.800s", tc->name, why);
            j->tool_error = strdup(msg);
        }
    } else {
        /* JSON from the program is passed as JSON; anything else as text */
        json_t *v = json_loadb(out, n, JSON_DECODE_ANY, NULL);
        if (!v || !(json_is_object(v) || json_is_array(v))) {
            json_decref(v);
            size_t m = n;
            while (m && (out[m - 1] == '\n' || out[m - 1] == '\r'))
                m--;
            v = json_stringn_nocheck(out, m);
            if (!json_string_value(v) || !json_stringn(out, m)) {
                json_decref(v);
                v = json_string("(the tool printed bytes that are not UTF-8)");
            }
        }
        json_object_set(entry, "result", v);
        json_array_append_new(j->tool_results,
                              json_pack("{s:s,s:s,s:s,s:o}", "type", "function_result", "call_id",
                                        tc->id, "name", tc->name, "result", v));
    }
    if (j->tools_pending > 0)
        return;
    if (j->tool_error) {
        run_record_error(r, j, 0, "TOOL_FAILED", j->tool_error, NULL);
        return;
    }
    j->tool_turns++;
    json_t *outputs = json_incref(j->last_outputs);
    json_t *results = json_incref(j->tool_results);
    follow_up(r, j, NULL, outputs, results);
    json_decref(outputs);
    json_decref(results);
}

/* A finished interaction (completed or requires_action). Returns -1 when its
 * body turns out to be unusable (bad image data): the caller retries. */
static int on_finished(struct run *r, struct job *j, struct interaction *it)
{
    struct decoded *imgs = NULL;
    size_t nimg = 0;
    if (decode_images(it->outputs, &imgs, &nimg)) {
        free_decoded(imgs, nimg);
        return -1;
    }
    add_usage(r, j, it);
    if (!j->files)
        j->files = json_array();
    for (size_t i = 0; i < nimg; i++) {
        char *rel = NULL;
        int k = (int)json_array_size(j->files);
        if (sink_image(&r->sink, j->id, k, imgs[i].data, imgs[i].n, imgs[i].ext, &rel) == 0)
            json_array_append_new(j->files, json_string(rel));
        free(rel);
    }
    free_decoded(imgs, nimg);
    if (start_tools(r, j, it->outputs))
        return 0;
    char *text = resp_text(it->outputs);
    json_t *output = NULL, *errors = NULL;
    const char *parse_error = NULL;
    json_error_t je;
    if (j->schema && !strcmp(it->status, "completed")) {
        output = json_loads(text ? text : "", JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!output) {
            parse_error = je.text;
            errors = json_pack("[{s:s,s:s,s:s+}]", "instance_path", "", "schema_path", "",
                               "message", "not JSON: ", je.text);
        } else if (schema_validate(j->schema, output, &errors, 20) != 1) {
            json_decref(output);
            output = NULL;
            if (!errors)
                errors = json_pack("[{s:s,s:s,s:s}]", "instance_path", "", "schema_path", "",
                                   "message", "does not match the schema");
        }
        if (!output) {
            if (j->reasks < r->cfg->reask) {
                json_t *fix = correction(errors, parse_error);
                j->reasks++;
                r->c.reasks++;
                follow_up(r, j, NULL, it->outputs, fix);
                json_decref(fix);
            } else {
                r->c.schema_failed++;
                char msg[512];
                snprintf(msg, sizeof msg,
                         "the answer does not match the response_format schema "
                         "after %d re-ask%s",
                         j->reasks, j->reasks == 1 ? "" : "s");
                json_t *extra = json_pack("{s:O,s:s}", "errors", errors, "text", text ? text : "");
                run_record_error(r, j, 422, "SCHEMA_VIOLATION", msg, extra);
                json_decref(extra);
            }
            json_decref(errors);
            free(text);
            return 0;
        }
    }
    if (!next_step(r, j, it, text ? text : "", output)) {
        log_step(r, j, it, text ? text : "", output);
        write_result(r, j, it, text ? text : "", output, j->files);
    }
    json_decref(output);
    free(text);
    return 0;
}

void run_start_polling(struct run *r, struct job *j, int first)
{
    if (first) {
        jrn_iid(&r->sink, j->id_json, j->iid);
        j->poll_wait_s = r->cfg->poll_initial_s;
    }
    j->phase = PH_POLL;
    j->attempts = 0;
    double w = j->poll_wait_s;
    /* +-20% jitter so many agents do not poll in lockstep */
    double jit = w * (0.8 + 0.4 * (double)(run_rnd(r) % 1000) / 1000.0);
    j->poll_wait_s = w * 1.5 > r->cfg->poll_max_s ? r->cfg->poll_max_s : w * 1.5;
    uint64_t delay = (uint64_t)(jit * 1000), now = now_ms();
    if (j->deadline_ms && now + delay > j->deadline_ms) /* look again at the deadline */
        delay = j->deadline_ms > now ? j->deadline_ms - now : 0;
    run_schedule(r, j, delay);
}

/* The service stopped the answer at its per-request output limit (G3 status
 * requires_continuation): ask for the rest with the continuation_token, as
 * SDK 3.x does. With store on the hop names the interaction that issued the
 * token and sends no input; without, it sends the same input again. The
 * outputs of every hop are joined before the answer is read (a JSON answer
 * is validated whole), and each hop's usage counts. 0, or -1 when it cannot
 * go on (recorded as the job's error). */
#define MAX_CONTINUATIONS 64

static int continue_answer(struct run *r, struct job *j, struct interaction *it)
{
    const char *tok = jx_str(it->doc, "continuation_token");
    const char *why = NULL;
    if (!tok || !*tok)
        why = "the answer stopped at status 'requires_continuation' without a continuation_token";
    else if (j->cont_token && !strcmp(tok, j->cont_token))
        why = "the service gave back the continuation_token it was sent: continuing would not "
              "make progress";
    else if (j->continuations >= MAX_CONTINUATIONS)
        why = "the answer still required continuation after 64 continuation requests";
    add_usage(r, j, it);
    if (!j->cont_outputs)
        j->cont_outputs = json_array();
    json_array_extend(j->cont_outputs, it->outputs);
    if (why) {
        run_record_error(r, j, 500, "REQUIRES_CONTINUATION", why, NULL);
        return -1;
    }
    if (!j->cont_token) { /* the first hop */
        j->cont_base = j->cur_req; /* taken over: restored when the answer is whole */
        j->cur_req = NULL;
    }
    json_t *req = json_deep_copy(j->cont_base ? j->cont_base : j->req);
    json_object_set_new(req, "continuation_token", json_string(tok));
    if (j->store && it->id) {
        json_object_del(req, "input");
        json_object_set_new(req, "previous_interaction_id", json_string(it->id));
    }
    json_decref(j->cur_req);
    j->cur_req = req;
    free(j->cont_token);
    j->cont_token = strdup(tok);
    j->continuations++;
    r->c.continuations++;
    j->attempts = 0;
    j->phase = PH_CREATE;
    run_ready_push(r, j);
    return 0;
}

/* The last hop came back: its outputs follow the earlier hops', and later
 * follow-ups (re-asks, tool results, next steps) start from the request as
 * it was before the first hop. */
static void end_continuation(struct job *j, struct interaction *it)
{
    json_array_extend(j->cont_outputs, it->outputs);
    json_decref(it->outputs);
    it->outputs = j->cont_outputs;
    j->cont_outputs = NULL;
    json_decref(j->cur_req);
    j->cur_req = j->cont_base;
    j->cont_base = NULL;
    free(j->cont_token);
    j->cont_token = NULL;
}

static void on_interaction(struct run *r, struct job *j, struct interaction *it, int kind)
{
    if (it->id && (!j->iid || strcmp(j->iid, it->id))) {
        free(j->iid);
        j->iid = strdup(it->id);
    }
    const char *st = it->status;
    if (!strcmp(st, "requires_continuation") && j->background && j->iid) {
        /* background work is continued by the service itself: keep polling */
        run_start_polling(r, j, kind == OPK_CREATE);
        return;
    }
    if (!strcmp(st, "requires_continuation")) {
        continue_answer(r, j, it);
        return;
    }
    if (j->cont_token)
        end_continuation(j, it);
    if (!strcmp(st, "in_progress") || !strcmp(st, "queued")) {
        if (!j->iid) {
            run_record_error(r, j, 500, "INTERNAL",
                             "an in-progress interaction came back without an "
                             "id, so it cannot be polled",
                             NULL);
            return;
        }
        run_start_polling(r, j, kind == OPK_CREATE);
        return;
    }
    if (!strcmp(st, "completed") || !strcmp(st, "requires_action")) {
        if (on_finished(r, j, it)) {
            /* unusable body: handled by the caller as a bad body */
            r->c.bad_bodies++;
        }
        return;
    }
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
    add_usage(r, j, it);
    /* an incomplete or over-budget answer is not accepted, but it was billed:
     * run_record_error keeps its text */
    json_decref(j->cont_outputs);
    j->cont_outputs = json_incref(it->outputs);
    run_record_error(r, j, 500, up, msg, NULL);
}

void run_on_done(struct run *r, struct op *op)
{
    struct job *j = op->user;
    j->op = NULL;
    r->inflight--;
    if (op->kind == OPK_UPLOAD) {
        run_on_upload_done(r, j, op);
        op_free(op);
        return;
    }
    if (op->kind == OPK_CANCEL) {
        char msg[300];
        snprintf(msg, sizeof msg,
                 "the background interaction did not finish within its "
                 "deadline; it was %s",
                 op->cc == CURLE_OK && op->http >= 200 && op->http < 300
                     ? "cancelled"
                     : "asked to cancel (the cancel failed)");
        op_free(op);
        run_record_error(r, j, 0, "DEADLINE_EXCEEDED", msg, NULL);
        return;
    }
    j->last_latency_us = op->t_end_us - op->t_start_us;
    struct outcome o = {OC_OK, op->http, -1, NULL};
    struct interaction it = {0};
    struct api_error ae = {0};
    struct gb_err pe = {0};
    if (op->cc != CURLE_OK) {
        o.cls = op->resp_overflow ? OC_BAD_BODY : classify_cc(op->cc);
        if (o.cls == OC_TIMEOUT)
            r->c.timeouts++;
        else if (o.cls == OC_NET)
            r->c.net_errors++;
        /* the request left whole and no answer came: it may have been billed */
        if (op->kind == OPK_CREATE && (o.cls == OC_TIMEOUT || o.cls == OC_NET) &&
            (uint64_t)op->bytes_sent >= op->body.total)
            r->c.in_doubt++;
    } else if (op->http >= 200 && op->http < 300 && op->data_ctx) {
        struct stream_ctx *sc = op->data_ctx;
        sse_finish(&sc->parser);
        json_t *doc = sc->bad ? NULL : sse_asm_result(&sc->as);
        if (sc->as.first_delta_us) {
            hist_add(&r->ttft, sc->as.first_delta_us - op->t_start_us);
            j->ttft_us = sc->as.first_delta_us - op->t_start_us;
        }
        if (!doc || resp_from_json(doc, &it, &pe)) {
            o.cls = OC_BAD_BODY;
            r->c.bad_bodies++;
            if (!pe.msg[0])
                snprintf(pe.msg, sizeof pe.msg, "%s",
                         sc->as.error ? sc->as.error_msg
                         : sc->bad    ? "the stream carried malformed events"
                                      : "the stream ended before its last event");
        }
        json_decref(doc);
    } else if (op->http >= 200 && op->http < 300) {
        if (resp_parse_interaction(op->resp.data ? op->resp.data : "", op->resp.len, &it, &pe)) {
            o.cls = OC_BAD_BODY;
            r->c.bad_bodies++;
        }
    } else {
        o.cls = OC_HTTP;
        resp_parse_error(op->resp.data, op->resp.len, op->http, &ae);
        o.retry_info_ms = ae.retry_delay_ms;
        o.retry_after = op->retry_after[0] ? op->retry_after : NULL;
        if (resp_auth_refused(&ae, op->http))
            o.http = 401; /* decided as authentication, whatever the status */
    }
    if (op->http > 0 && op->http < 600)
        r->c.http[op->http]++;
    if (op->kind == OPK_CREATE)
        jrn_answer(&r->sink, j->id_json, op->cc == CURLE_OK ? op->http : -1);
    long delay = 0;
    enum verdict v = retry_decide(&r->policy, &o, j->attempts, run_rnd(r), &delay);
    if (v == V_OK) {
        r->consecutive_failures = 0;
        r->any_success = 1;
        rl_on_success(&r->rl);
        if (op->kind == OPK_CREATE)
            hist_add(&r->lat, j->last_latency_us);
        int before = (int)r->c.bad_bodies;
        on_interaction(r, j, &it, op->kind);
        if ((int)r->c.bad_bodies != before) {
            /* on_interaction found the body unusable: treat as a bad body */
            o.cls = OC_BAD_BODY;
            v = retry_decide(&r->policy, &o, j->attempts, run_rnd(r), &delay);
            if (v == V_RETRY) {
                r->c.retries++;
                run_schedule(r, j, (uint64_t)delay);
            } else {
                run_record_error(r, j, 502, "BAD_RESPONSE",
                                 "the response carried an image that is "
                                 "not valid base64",
                                 NULL);
            }
        }
        interaction_free(&it);
        run_stream_free(op);
        op_free(op);
        return;
    }
    if (o.cls != OC_HTTP || op->http != 429)
        if (o.cls == OC_NET || o.cls == OC_TIMEOUT || o.cls == OC_BAD_BODY || op->http >= 500)
            r->consecutive_failures++;
    if (op->http == 429)
        rl_on_429(&r->rl, now_ms());
    char why[1400];
    if (o.cls == OC_HTTP)
        snprintf(why, sizeof why, "HTTP %ld %s: %s", op->http, ae.status, ae.message);
    else if (o.cls == OC_BAD_BODY)
        snprintf(why, sizeof why, "%s",
                 op->resp_overflow ? "the response is larger than the "
                                     "response limit"
                                   : pe.msg);
    else
        snprintf(why, sizeof why, "%s", op->errbuf[0] ? op->errbuf : curl_easy_strerror(op->cc));
    if (v == V_RETRY) {
        r->c.retries++;
        log_debug("%s: attempt %d: %s; retrying in %ld ms", j->id, j->attempts, why, delay);
        if (!r->any_success && o.cls == OC_NET && r->consecutive_failures >= 3 &&
            (op->cc == CURLE_COULDNT_CONNECT || op->cc == CURLE_COULDNT_RESOLVE_HOST ||
             op->cc == CURLE_COULDNT_RESOLVE_PROXY)) {
            run_abort(r, "endpoint %s is unreachable: %s", r->base_url, why);
            run_ready_push(r, j); /* recorded as interrupted when the run drains */
        } else if (r->consecutive_failures >= r->cfg->max_failures) {
            run_abort(r,
                      "%ld attempts in a row failed (last: %s); stopping so nothing more is "
                      "spent; run again to resume",
                      r->consecutive_failures, why);
            run_ready_push(r, j);
        } else {
            run_schedule(r, j, (uint64_t)delay);
        }
    } else if (v == V_ABORT) {
        if (o.cls == OC_TLS)
            run_abort(r,
                      "TLS failure talking to %s: %s; check --cacert (verification is never "
                      "switched off)",
                      r->base_url, why);
        else {
            r->auth_refused = 1;
            run_abort(r, "authentication refused (%s); check GEMINI_API_KEY%s or --api-key-file",
                      why, r->cfg->shard_n ? " (or GEMINI_API_KEY_<K> for this shard)" : "");
        }
        run_ready_push(r, j);
    } else {
        long code = o.cls == OC_HTTP ? (ae.code ? ae.code : op->http) : 0;
        const char *status = o.cls == OC_HTTP       ? ae.status
                             : o.cls == OC_TIMEOUT  ? "DEADLINE_EXCEEDED"
                             : o.cls == OC_BAD_BODY ? "BAD_RESPONSE"
                             : o.cls == OC_LOCAL    ? "LOCAL_ERROR"
                                                    : "UNAVAILABLE";
        if (!r->cfg->quiet && o.cls != OC_HTTP)
            log_debug("%s failed: %s", j->id, why);
        run_record_error(r, j, code, status, why, NULL);
    }
    interaction_free(&it);
    run_stream_free(op);
    op_free(op);
}
