/* run_cost.c: money as data. Each answered request is priced at the tier
 * the service says it billed (prices.c), at the model that answered it, and
 * added to the ledger by model, tier and kind (first answer, re-ask,
 * continuation, tool turn, step); a cost that cannot be known stays unknown,
 * never a guess. With --max-cost every create reserves its worst case before
 * it leaves (budget.c) and settles it when its answer comes. Calls no other
 * engine file. */
#include "run_int.h"

#include <math.h>

#include <time.h>

const char *kind_name(enum req_kind k)
{
    static const char *const names[KIND_N] = {"first", "reask", "continuation", "tool_turn",
                                              "step"};
    return k >= 0 && k < KIND_N ? names[k] : "first";
}

/* ---- the price rows of the models this run uses ------------------------------------ */

/* The row of model (looked up once per distinct model: a run uses a few).
 * NULL when out of memory. */
static const struct price_row *row_of(struct run *r, const char *model)
{
    struct ledger *l = &r->ledger;
    if (!model)
        model = "";
    for (size_t i = 0; i < l->nrows; i++)
        if (!strcmp(l->rows[i].model, model))
            return &l->rows[i].row;
    if (l->nrows == l->caprows) {
        size_t n = l->caprows ? l->caprows * 2 : 8;
        struct model_row *nr = realloc(l->rows, n * sizeof *nr);
        if (!nr)
            return NULL;
        l->rows = nr;
        l->caprows = n;
    }
    struct model_row *m = &l->rows[l->nrows];
    m->model = strdup(model);
    if (!m->model)
        return NULL;
    if (prices_find(l->prices, model, time(NULL), &m->row) && *model && !r->cfg->quiet) {
        const char *why = prices_unpriced(l->prices, model);
        log_warn("no price for '%s' (%s); its cost is unknown%s", model,
                 why ? why : "not in the price table", r->cfg->prices_path ? "" :
                 "; give the rates with --prices FILE (gembatch prices shows the table)");
    }
    l->nrows++;
    return &m->row;
}

/* The model or agent a request goes to. */
static const char *model_of(const json_t *req)
{
    const char *m = jx_str(req, "model");
    return m ? m : jx_str(req, "agent");
}

enum tier cost_tier_asked(const struct run *r, const json_t *req)
{
    enum tier t = TIER_STANDARD;
    const char *s = jx_str(req, "service_tier");
    /* a value tier_asked refuses never gets here: the pipeline refuses it
     * when it is loaded (pipeline.c), a line's fails its job (job.c) */
    if (s)
        GB_ASSERT(tier_asked(s, &t) == 0);
    (void)r;
    return t;
}

/* ---- start and end ---------------------------------------------------------------- */

/* A built-in tool whose input the service chooses and bills (search
 * results, fetched pages, retrieved files, an MCP server's answers): no
 * ceiling can be put on a request that carries one. NULL when none. */
static const char *unbounded_tool(const json_t *req)
{
    static const char *const open_ended[] = {"google_search", "url_context", "file_search",
                                             "mcp_server", "google_maps", NULL};
    size_t i;
    const json_t *t;
    json_array_foreach (json_object_get(req, "tools"), i, t) {
        const char *ty = jx_str(t, "type");
        for (int k = 0; ty && open_ended[k]; k++)
            if (!strcmp(ty, open_ended[k]))
                return ty;
    }
    return NULL;
}

int cost_init(struct run *r, double spent_before_usd, struct gb_err *err)
{
    struct ledger *l = &r->ledger;
    int rc = prices_load(r->cfg->prices_path, &l->prices, err);
    if (rc)
        return rc;
    l->by_model = json_object();
    l->by_tier = json_object();
    l->by_kind = json_object();
    l->by_model_tier = json_object();
    l->unpriced = json_object();
    if (!l->by_model || !l->by_tier || !l->by_kind || !l->by_model_tier || !l->unpriced)
        return GB_FAIL(err, GB_ENOMEM, "out of memory");
    budget_init(&l->budget, r->cfg->has_max_cost ? &r->cfg->max_cost : NULL, spent_before_usd);
    /* the pipeline's models, so an unknown one is said at the start; under
     * --max-cost a request to it could never be sent, so it stops here */
    const char *models[64];
    size_t n = 0, i;
    json_t *st;
    if (r->cfg->model)
        models[n++] = r->cfg->model;
    else if (model_of(r->pipe->base))
        models[n++] = model_of(r->pipe->base);
    json_array_foreach (r->pipe->steps, i, st)
        if (n < 64 && model_of(st) && !r->cfg->model)
            models[n++] = model_of(st);
    for (i = 0; i < n; i++) {
        const struct price_row *row = row_of(r, models[i]);
        if (r->cfg->has_max_cost && row && !row->known)
            return GB_FAIL(err, GB_EINVAL,
                           "no price is known for '%s', so --max-cost cannot bound what it "
                           "spends; give its rates with --prices FILE (see gembatch prices)",
                           models[i]);
    }
    if (!r->cfg->has_max_cost)
        return 0;
    const char *tool = unbounded_tool(r->pipe->base);
    json_array_foreach (r->pipe->steps, i, st)
        if (!tool)
            tool = unbounded_tool(st);
    if (tool)
        return GB_FAIL(err, GB_EINVAL,
                       "the pipeline's '%s' tool brings in input the service chooses (search "
                       "results, pages, files) and bills it, so --max-cost cannot bound what a "
                       "request spends; run it without --max-cost, or without that tool",
                       tool);
    return 0;
}

void cost_free(struct run *r)
{
    struct ledger *l = &r->ledger;
    for (size_t i = 0; i < l->nrows; i++)
        free(l->rows[i].model);
    free(l->rows);
    json_decref(l->by_model);
    json_decref(l->by_tier);
    json_decref(l->by_kind);
    json_decref(l->by_model_tier);
    json_decref(l->unpriced);
    prices_free(l->prices);
    memset(l, 0, sizeof *l);
}

/* ---- before a create leaves -------------------------------------------------------- */

/* What the request may cost at most, at tier: its input by modality
 * (req_input_bound: text a token a byte, the job's media at their rates),
 * for a follow-up (a next step, a re-ask, a tool turn, a continuation hop)
 * the conversation it carries, billed again as input, and its
 * max_output_tokens (or the model's cap) at the highest output rate. NAN
 * when it cannot be bounded; *why then says why, unless it is the price. */
static double worst_of(struct run *r, struct task *t, enum tier tier, const char **why)
{
    const json_t *req = task_request(t);
    const struct price_row *row = row_of(r, model_of(req));
    struct req_bound b;
    req_input_bound(req, &r->jctx, t->job, t->kind != KIND_FIRST, &b);
    long long max_out = 0;
    jx_int(jx_obj(req, "generation_config"), "max_output_tokens", &max_out);
    t->asked = b;
    t->asked_out = max_out > 0 ? max_out : row ? row->max_output_tokens : -1;
    if (b.unmeasured) {
        if (why)
            *why = b.why;
        return NAN;
    }
    struct usage in = {0};
    for (int m = 0; m < USAGE_NMOD; m++) {
        in.input_by[m] = b.by[m] + t->carried.by[m];
        in.input += in.input_by[m];
    }
    in.input += b.any + t->carried.any; /* no modality known: at the highest input rate */
    return row ? price_worst(row, tier, &in, max_out) : NAN;
}

static long long nonneg(long long v) /* a count a server sent: never below 0 */
{
    return v > 0 ? v : 0;
}

/* An answer came: what it was billed for and said joins the conversation a
 * follow-up carries (input by modality; what the model said and thought, as
 * input again). Without usage, the ceiling it was sent under. */
static void carry(struct task *t, const struct interaction *it)
{
    struct req_bound *c = &t->carried;
    if (!it->has_usage) {
        for (int m = 0; m < USAGE_NMOD; m++)
            c->by[m] += t->asked.by[m];
        c->any += t->asked.any + (t->asked_out > 0 ? t->asked_out : 0);
        return;
    }
    const struct usage *u = &it->usage;
    long long covered = 0;
    for (int m = 0; m < USAGE_NMOD; m++) {
        long long n = nonneg(u->input_by[m]) + nonneg(u->tool_by[m]);
        c->by[m] += n;
        covered += n;
    }
    c->any += nonneg(nonneg(u->input) + nonneg(u->tool) - covered);
    long long img = nonneg(u->output_by[USAGE_IMAGE]), aud = nonneg(u->output_by[USAGE_AUDIO]);
    c->by[USAGE_IMAGE] += img;
    c->by[USAGE_AUDIO] += aud;
    c->by[USAGE_TEXT] += nonneg(nonneg(u->output) - img - aud) + nonneg(u->thought);
}

enum budget_verdict cost_reserve(struct run *r, struct task *t, enum tier tier,
                                 const char **why)
{
    struct ledger *l = &r->ledger;
    if (why)
        *why = NULL;
    double w = r->cfg->has_max_cost ? worst_of(r, t, tier, why) : 0;
    enum budget_verdict v = budget_reserve(&l->budget, w);
    if (v == BUDGET_OK)
        t->reserved_usd = isnan(w) ? 0 : w;
    return v;
}

/* ---- when the answer comes ---------------------------------------------------------- */

static void add_to(json_t *group, const char *key, double usd)
{
    json_t *e = json_object_get(group, key);
    if (!e) {
        e = json_pack("{s:f,s:I,s:I}", "usd", 0.0, "requests", (json_int_t)0, "unknown",
                      (json_int_t)0);
        json_object_set_new(group, key, e);
    }
    json_t *n = json_object_get(e, "requests");
    json_integer_set(n, json_integer_value(n) + 1);
    if (isnan(usd)) {
        json_t *u = json_object_get(e, "unknown");
        json_integer_set(u, json_integer_value(u) + 1);
    } else {
        json_t *v = json_object_get(e, "usd");
        json_real_set(v, usd_round(json_real_value(v) + usd));
    }
}

/* An answer that could not be priced: why, counted by reason (the model's
 * name, the tier, the rate: the summary and run.json say it). */
static void note_unpriced(struct ledger *l, const char *model, const struct price_row *row,
                          enum tier billed, const struct interaction *it)
{
    char why[400], words[200];
    const char *listed = model ? prices_unpriced(l->prices, model) : NULL;
    if (!model || !*model)
        snprintf(why, sizeof why, "the answer names no model");
    else if (listed)
        snprintf(why, sizeof why, "'%.100s' has no price: %.200s", model, listed);
    else if (row && row->known && !it->has_usage)
        snprintf(why, sizeof why, "the answer carried no usage");
    else if (price_unknown_why(row, billed, &it->usage, words, sizeof words))
        snprintf(why, sizeof why, "'%.100s' %s", model, words);
    else
        snprintf(why, sizeof why, "'%.100s' could not be priced", model);
    json_t *n = json_object_get(l->unpriced, why);
    json_object_set_new(l->unpriced, why, json_integer(n ? json_integer_value(n) + 1 : 1));
}

double cost_answered(struct run *r, struct task *t, const struct interaction *it,
                     const char *header_tier)
{
    struct ledger *l = &r->ledger;
    const char *model = it->model ? it->model : model_of(task_request(t));
    const struct price_row *row = row_of(r, model);
    enum tier billed = tier_served(it->service_tier, header_tier, t->tier_sent);
    t->tier_billed = billed;
    carry(t, it);
    double usd = row && it->has_usage ? price_usage(row, billed, &it->usage) : NAN;
    if (r->cfg->has_max_cost)
        budget_settle(&l->budget, t->reserved_usd, usd);
    t->reserved_usd = 0;
    t->cost_known &= !isnan(usd);
    if (!isnan(usd))
        t->cost_usd += usd;
    if (isnan(usd)) {
        l->unknown++;
        note_unpriced(l, model, row, billed, it);
    } else {
        l->priced++;
        l->total_usd += usd;
    }
    add_to(l->by_model, model ? model : "?", usd);
    add_to(l->by_tier, tier_name(billed), usd);
    add_to(l->by_kind, kind_name(t->kind), usd);
    char mt[256];
    snprintf(mt, sizeof mt, "%s\t%s", model ? model : "?", tier_name(billed));
    json_t *e = json_object_get(l->by_model_tier, mt);
    if (!e) {
        e = json_pack("{s:I,s:I,s:I,s:f}", "in", (json_int_t)0, "out", (json_int_t)0, "thought",
                      (json_int_t)0, "usd", 0.0);
        json_object_set_new(l->by_model_tier, mt, e);
    }
    if (it->has_usage) {
        json_object_set_new(e, "in", json_integer(json_integer_value(json_object_get(e, "in")) +
                                                  it->usage.input));
        json_object_set_new(e, "out", json_integer(json_integer_value(json_object_get(e, "out")) +
                                                   it->usage.output));
        json_object_set_new(e, "thought",
                            json_integer(json_integer_value(json_object_get(e, "thought")) +
                                         it->usage.thought));
    }
    double was = json_real_value(json_object_get(e, "usd"));
    json_object_set_new(e, "usd", usd_json(isnan(usd) || isnan(was) ? NAN : was + usd));
    if (billed != t->tier_sent)
        l->downgraded++; /* priority over its limit, served and billed as standard */
    return usd;
}

void cost_unanswered(struct run *r, struct task *t, int in_doubt)
{
    struct ledger *l = &r->ledger;
    if (r->cfg->has_max_cost) {
        if (in_doubt)
            budget_settle(&l->budget, t->reserved_usd, NAN);
        else
            budget_release(&l->budget, t->reserved_usd);
    }
    if (in_doubt)
        l->doubt_worst_usd +=
            t->reserved_usd ? t->reserved_usd : worst_of(r, t, t->tier_sent, NULL);
    t->reserved_usd = 0;
}

/* ---- what run.json says ------------------------------------------------------------- */

json_t *cost_json(const struct run *r)
{
    const struct ledger *l = &r->ledger;
    json_t *o = json_pack("{s:f,s:I,s:I,s:O,s:O,s:O,s:s}", "total_usd", usd_round(l->total_usd),
                          "priced_requests", (json_int_t)l->priced, "unknown_requests",
                          (json_int_t)l->unknown, "by_model", l->by_model, "by_tier", l->by_tier,
                          "by_kind", l->by_kind, "prices", prices_origin(l->prices));
    /* total_usd is what was priced: complete says whether that is all of it */
    json_object_set_new(o, "complete", json_boolean(l->unknown == 0));
    if (l->unknown)
        json_object_set(o, "unpriced", l->unpriced);
    if (!isnan(l->doubt_worst_usd))
        json_object_set_new(o, "in_doubt_worst_usd", usd_json(l->doubt_worst_usd));
    if (l->downgraded)
        json_object_set_new(o, "served_below_tier", json_integer(l->downgraded));
    if (r->cfg->has_max_cost) {
        double lim = l->budget.limit_usd;
        json_object_set_new(o, "budget", json_pack("{s:f,s:b,s:I}", "limit_usd", lim, "reached",
                                                   r->budget_stop, "refused_requests",
                                                   (json_int_t)l->budget.refused));
    }
    return o;
}

void cost_unpriced_words(const struct run *r, char *out, size_t n)
{
    const struct ledger *l = &r->ledger;
    size_t k = 0;
    out[0] = '\0';
    if (!l->unknown)
        return;
    k += (size_t)snprintf(out, n, "%lld request%s not priced: ", l->unknown,
                          l->unknown == 1 ? "" : "s");
    const char *why;
    json_t *c;
    int many = json_object_size(l->unpriced) > 1, first = 1;
    json_object_foreach (l->unpriced, why, c) {
        if (k >= n)
            break;
        k += (size_t)snprintf(out + k, n - k, "%s%s", first ? "" : "; ", why);
        if (many && k < n)
            k += (size_t)snprintf(out + k, n - k, " (%lld)", (long long)json_integer_value(c));
        first = 0;
    }
}
