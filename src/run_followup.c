/* run_followup.c: what an accepted answer asks for next: a re-ask when it
 * does not match the schema, a tool turn when it calls functions that local
 * programs answer, the next step of a multi-step pipeline. Each one builds
 * the task's next request, continuing the conversation by
 * previous_interaction_id when the service stores it, else by sending it
 * whole. Calls only run_jobs.c in the engine. */
#include "run_int.h"

/* ---- the conversation ------------------------------------------------------------ */

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

/* Set the task's next request: base (new reference, or NULL for the current
 * request) continued from the model's outputs with content from the user:
 * by previous_interaction_id when the interaction is stored, else with the
 * whole conversation. */
static void follow_up(struct run *r, struct task *t, json_t *base, const json_t *outputs,
                      const json_t *content, enum req_kind kind)
{
    int g3 = r->jctx.dialect == DIALECT_V1;
    if (!base)
        base = json_deep_copy(task_request(t));
    if (t->job->store && t->iid) {
        json_object_set_new(base, "previous_interaction_id", json_string(t->iid));
        json_object_set(base, "input", (json_t *)content);
    } else {
        if (!t->conv)
            t->conv = conv_start(json_object_get(t->job->req, "input"), g3);
        conv_add_model(t->conv, outputs, g3);
        conv_add_user(t->conv, content, g3);
        json_object_del(base, "previous_interaction_id");
        json_object_set_new(base, "input", json_deep_copy(t->conv));
    }
    /* a follow-up carries no media of ours: the placeholders stay in job->req */
    task_next_request(r, t, base, kind);
}

/* ---- re-asks ---------------------------------------------------------------------- */

json_t *followup_correction(const json_t *errors, const char *parse_error)
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

enum followup followup_reask(struct run *r, struct task *t, const json_t *outputs,
                             const json_t *errors, const char *parse_error)
{
    if (t->reasks >= r->cfg->reask)
        return FU_NONE;
    json_t *fix = followup_correction(errors, parse_error);
    t->reasks++;
    r->c.reasks++;
    follow_up(r, t, NULL, outputs, fix, KIND_REASK);
    json_decref(fix);
    return FU_STARTED;
}

void followup_reask_batch(struct run *r, struct task *t, const char *text, const json_t *errors,
                          const char *parse_error)
{
    int g3 = r->jctx.dialect == DIALECT_V1;
    json_t *outputs = json_pack("[{s:s,s:s}]", "type", "text", "text", text ? text : "");
    json_t *fix = followup_correction(errors, parse_error);
    json_decref(t->conv);
    t->conv = conv_start(json_object_get(t->job->req, "input"), g3);
    conv_add_model(t->conv, outputs, g3);
    conv_add_user(t->conv, fix, g3);
    json_t *req = json_deep_copy(t->job->req);
    json_object_del(req, "previous_interaction_id");
    json_object_set_new(req, "input", json_deep_copy(t->conv));
    json_decref(t->cur_req);
    t->cur_req = req;
    t->kind = KIND_REASK;
    t->reasks++;
    r->c.reasks++;
    json_decref(outputs);
    json_decref(fix);
}

/* ---- steps ------------------------------------------------------------------------ */

void followup_log_step(struct run *r, struct task *t, const struct interaction *it,
                       const char *text, const json_t *output)
{
    if (!r->pipe->steps)
        return;
    if (!t->steps_log)
        t->steps_log = json_array();
    /* this step's tokens: the task's so far less the earlier steps' */
    long long in = t->tok.in, out = t->tok.out, tot = t->tok.total;
    size_t i;
    json_t *e;
    json_array_foreach (t->steps_log, i, e) {
        json_t *u = jx_obj(e, "usage");
        long long v;
        if (!jx_int(u, "total_input_tokens", &v))
            in -= v;
        if (!jx_int(u, "total_output_tokens", &v))
            out -= v;
        if (!jx_int(u, "total_tokens", &v))
            tot -= v;
    }
    json_t *st = json_array_get(r->pipe->steps, (size_t)t->step);
    json_t *rec = json_pack(
        "{s:i,s:s?,s:s?,s:s?,s:{s:I,s:I,s:I},s:I}", "step", t->step, "name", jx_str(st, "name"),
        "interaction_id", it->id, "model", it->model ? it->model : jx_str(task_request(t), "model"),
        "usage", "total_input_tokens", (json_int_t)in, "total_output_tokens", (json_int_t)out,
        "total_tokens", (json_int_t)tot, "latency_ms", (json_int_t)(t->last_latency_us / 1000));
    if (output)
        json_object_set(rec, "output", (json_t *)output);
    json_object_set_new(rec, "text", json_string(text));
    json_array_append_new(t->steps_log, rec);
}

static enum followup step_failed(struct run *r, struct task *t, size_t k, const char *why)
{
    char msg[1200];
    snprintf(msg, sizeof msg, "step %zu: %s", k, why);
    task_fail(r, t, 0, "INVALID_INPUT", msg, NULL);
    return FU_FAILED;
}

enum followup followup_next_step(struct run *r, struct task *t, const struct interaction *it,
                                 const char *text, const json_t *output)
{
    if (!r->pipe->steps || (size_t)t->step + 1 >= json_array_size(r->pipe->steps))
        return FU_NONE;
    followup_log_step(r, t, it, text, output);
    size_t k = (size_t)t->step + 1;
    json_t *base = job_step_base(r->pipe, k);
    const char *tmpl = job_step_prompt(r->pipe, k);
    json_t *ctx = json_pack("{s:{s:s,s:O?,s:s?}}", "prev", "text", text, "output", output,
                            "interaction_id", it->id);
    char *prompt = NULL;
    struct gb_err e = {0};
    int rc = tmpl ? pipe_render(tmpl, t->job->vars, t->job->id, ctx, &prompt, &e) : 0;
    json_decref(ctx);
    if (rc) {
        json_decref(base);
        return step_failed(r, t, k, e.msg);
    }
    json_t *content = json_string(prompt ? prompt : "Continue.");
    free(prompt);
    t->step = (int)k;
    /* the new step runs its own model or agent; agents run in the background */
    t->background = jx_bool(base, "background", json_object_get(base, "agent") != NULL);
    if (t->background)
        json_object_set_new(base, "background", json_true());
    if (r->cfg->model && !json_object_get(base, "agent"))
        json_object_set_new(base, "model", json_string(r->cfg->model));
    if (job_shape_request(&r->jctx, t->job, base, &e)) {
        json_decref(base);
        json_decref(content);
        return step_failed(r, t, k, e.msg);
    }
    follow_up(r, t, base, it->outputs, content, KIND_STEP);
    json_decref(content);
    return FU_STARTED;
}

/* ---- function tools answered by local programs ------------------------------------ */

static void free_calls(struct task *t)
{
    for (int i = 0; i < t->tools.ncalls; i++) {
        free(t->tools.calls[i].id);
        free(t->tools.calls[i].name);
        json_decref(t->tools.calls[i].args);
    }
    free(t->tools.calls);
    t->tools.calls = NULL;
    t->tools.ncalls = 0;
}

enum followup followup_tools(struct run *r, struct task *t, const json_t *outputs)
{
    size_t i, n = 0;
    json_t *it;
    json_array_foreach (outputs, i, it) {
        const char *ty = jx_str(it, "type");
        if (ty && !strcmp(ty, "function_call")) {
            if (!pipe_tool(r->pipe, jx_str(it, "name")))
                return FU_NONE; /* recorded in the result as it is */
            n++;
        }
    }
    if (!n)
        return FU_NONE;
    if (t->tool_turns >= r->cfg->max_tool_turns) {
        char msg[200];
        snprintf(msg, sizeof msg, "the model still asked for tools after %d tool turns "
                 "(max_tool_turns)", t->tool_turns);
        task_fail(r, t, 0, "TOOL_TURNS_EXCEEDED", msg, NULL);
        return FU_FAILED;
    }
    free_calls(t);
    struct tcall *tc = calloc(n, sizeof *tc);
    if (!tc) {
        task_fail(r, t, 0, "LOCAL_ERROR", "out of memory", NULL);
        return FU_FAILED;
    }
    t->tools.calls = tc;
    t->tools.ncalls = (int)n;
    json_decref(t->tools.outputs);
    t->tools.outputs = json_incref((json_t *)outputs);
    json_decref(t->tools.results);
    t->tools.results = json_array();
    free(t->tools.error);
    t->tools.error = NULL;
    t->tools.pending = (int)n;
    task_phase(r, t, PH_TOOLS);
    size_t k = 0;
    json_array_foreach (outputs, i, it) {
        const char *ty = jx_str(it, "type");
        if (!ty || strcmp(ty, "function_call"))
            continue;
        const struct pipe_tool *pt = pipe_tool(r->pipe, jx_str(it, "name"));
        json_t *args = json_object_get(it, "arguments");
        tc[k] = (struct tcall){t, strdup(jx_str(it, "id") ? jx_str(it, "id") : ""),
                               strdup(jx_str(it, "name")), json_incref(args)};
        char *in = json_dumps(args ? args : json_object(), JSON_COMPACT | JSON_ENCODE_ANY);
        r->c.tool_calls++;
        if (!in || toolbox_call(&r->tb, pt->argv, in, strlen(in), pt->timeout_ms, &tc[k])) {
            /* counted as a failed call so the turn still completes */
            t->tools.pending--;
            if (!t->tools.error)
                t->tools.error = strdup("out of memory starting a tool program");
        }
        free(in);
        k++;
    }
    if (t->tools.pending == 0) {
        task_fail(r, t, 0, "TOOL_FAILED", t->tools.error ? t->tools.error : "tool failed", NULL);
        return FU_FAILED;
    }
    return FU_STARTED;
}

/* A program's stdout as the function's result: JSON objects and arrays as
 * JSON, anything else as text. New. */
static json_t *tool_result(const char *out, size_t n)
{
    json_t *v = json_loadb(out, n, JSON_DECODE_ANY, NULL);
    if (v && (json_is_object(v) || json_is_array(v)))
        return v;
    json_decref(v);
    size_t m = n;
    while (m && (out[m - 1] == '\n' || out[m - 1] == '\r'))
        m--;
    v = json_stringn(out, m);
    return v ? v : json_string("(the tool printed bytes that are not UTF-8)");
}

void followup_tool_done(struct run *r, struct tool_done *d)
{
    struct tcall *tc = d->user;
    struct task *t = tc->t;
    t->tools.pending--;
    if (!t->tool_log)
        t->tool_log = json_array();
    json_t *entry = json_pack("{s:s,s:O?,s:i}", "name", tc->name, "arguments", tc->args, "turn",
                              t->tool_turns + 1);
    json_array_append_new(t->tool_log, entry);
    if (!d->ok) {
        json_object_set_new(entry, "error", json_string(d->why));
        r->c.tool_failures++;
        if (!t->tools.error) {
            char msg[1024];
            snprintf(msg, sizeof msg, "function tool '%.100s': %.800s", tc->name, d->why);
            t->tools.error = strdup(msg);
        }
    } else {
        json_t *v = tool_result(d->out, d->n);
        json_object_set(entry, "result", v);
        json_array_append_new(t->tools.results,
                              json_pack("{s:s,s:s,s:s,s:o}", "type", "function_result", "call_id",
                                        tc->id, "name", tc->name, "result", v));
    }
    if (t->tools.pending > 0)
        return;
    if (t->tools.error) {
        task_fail(r, t, 0, "TOOL_FAILED", t->tools.error, NULL);
        return;
    }
    t->tool_turns++;
    json_t *outputs = json_incref(t->tools.outputs);
    json_t *results = json_incref(t->tools.results);
    follow_up(r, t, NULL, outputs, results, KIND_TOOL_TURN);
    json_decref(outputs);
    json_decref(results);
}
