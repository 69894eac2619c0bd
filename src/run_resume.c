/* run_resume.c: what an output folder's earlier runs mean for this one.
 * A resume goes on only with the same pipeline, model, API version, shard
 * and id prefix (limits may change), and never mixes the emulator's
 * synthetic answers with real ones (the endpoint is asked, one free GET,
 * when it could be either); the folder's totals start from what earlier
 * runs spent. Called by run.c's setup; calls no other engine file. */
#include "run_int.h"
#include "probe.h"

/* What changed since the run that made OUTDIR's results, as a list of
 * field names for the refusal. Limits (concurrency, rpm, ...) never count:
 * they change how fast, not what is asked. */
static void identity_changes(const struct run *r, const json_t *prev, struct buf *what)
{
    const struct config *cfg = r->cfg;
    json_t *pp = jx_obj(prev, "pipeline");
    const char *d = jx_str(pp, "digest");
    if (d && strcmp(d, r->pipe->digest) && strcmp(d, r->pipe->digest_whole)) {
        json_t *pf = jx_obj(pp, "fields");
        size_t before = what->len;
        const char *k;
        json_t *v;
        json_object_foreach (r->pipe->fields, k, v) {
            const char *old = pf ? jx_str(pf, k) : NULL;
            if (pf && (!old || strcmp(old, json_string_value(v))))
                buf_printf(what, "%spipeline field '%s'", what->len ? ", " : "", k);
        }
        json_object_foreach (pf, k, v) {
            if (!json_object_get(r->pipe->fields, k))
                buf_printf(what, "%spipeline field '%s' (removed)", what->len ? ", " : "", k);
        }
        if (what->len == before)
            buf_printf(what, "%sthe pipeline", what->len ? ", " : "");
    }
    json_t *o = jx_obj(prev, "options");
    const char *pm = jx_str(o, "model"), *pv = jx_str(o, "api_version");
    /* --model naming the pipeline's own model still counts as a change: it
     * overrides the models of manifest lines too */
    if ((pm || cfg->model) && (!pm || !cfg->model || strcmp(pm, cfg->model)))
        buf_printf(what, "%s--model (%s%s%s then, %s%s%s now)", what->len ? ", " : "",
                   pm ? "'" : "", pm ? pm : "not given", pm ? "'" : "", cfg->model ? "'" : "",
                   cfg->model ? cfg->model : "not given", cfg->model ? "'" : "");
    const char *nv = cfg->dialect == DIALECT_V1 ? "v1" : "v1beta";
    if (pv && strcmp(pv, nv))
        buf_printf(what, "%s--api-version ('%s' then, '%s' now)", what->len ? ", " : "", pv, nv);
    json_t *sh = jx_obj(o, "shard");
    long long k = 0, n = 0;
    if (sh) {
        jx_int(sh, "k", &k);
        jx_int(sh, "n", &n);
    }
    long long nk = cfg->shard_k, nn = cfg->shard_n;
    if (n <= 1) /* --shard 1/1 is every job: the same as no --shard */
        k = n = 0;
    if (nn <= 1)
        nk = nn = 0;
    if (k != nk || n != nn) {
        char then[48] = "not given", now[48] = "not given";
        if (n)
            snprintf(then, sizeof then, "'%lld/%lld'", k, n);
        if (nn)
            snprintf(now, sizeof now, "'%lld/%lld'", nk, nn);
        buf_printf(what, "%s--shard (%s then, %s now)", what->len ? ", " : "", then, now);
    }
    const char *pi = jx_str(o, "id_prefix");
    const char *ni = cfg->id_prefix && strcmp(cfg->id_prefix, "none") ? cfg->id_prefix : NULL;
    if ((pi || ni) && (!pi || !ni || strcmp(pi, ni)))
        buf_printf(what, "%s--id-prefix ('%s' then, '%s' now)", what->len ? ", " : "",
                   pi ? pi : "none", ni ? ni : "none");
}

/* One free GET to the run's endpoint: 1 the gembatch emulator, 0 not, < 0
 * it did not say (pe why). */
static int endpoint_is_emulator(const struct run *r, struct gb_err *pe)
{
    return probe_is_emulator(r->base_url, r->cfg->api_key, r->cfg->cacert, pe);
}

int resume_check(struct run *r, struct gb_err *err)
{
    const char *dir = r->cfg->out_dir;
    const json_t *prev = r->res.prev_run;
    if (!prev) {
        if (r->res.had_outputs)
            return GB_FAIL(err, GB_ESTATE,
                           "'%s' has results but no run.json, so the pipeline that made them is "
                           "unknown; use --restart or another -o",
                           dir);
        return 0;
    }
    if (!jx_str(jx_obj(prev, "pipeline"), "digest")) {
        if (r->res.had_outputs)
            return GB_FAIL(err, GB_ESTATE,
                           "'%s/run.json' has no pipeline digest; use --restart or another -o", dir);
        return 0;
    }
    struct buf what;
    buf_init(&what, 4096);
    identity_changes(r, prev, &what);
    int rc = 0;
    if (what.len)
        rc = GB_FAIL(err, GB_ESTATE,
                     "'%s' holds the results of a different run (changed since: %s); resuming "
                     "would mix their answers: use --restart to discard them, or another -o",
                     dir, what.data);
    buf_free(&what);
    if (rc)
        return rc;
    /* answers of the emulator and of the service never share a folder; an
     * endpoint given by URL is asked (one free GET) before anything is paid */
    long long real_lines = r->res.results_lines - r->res.synthetic_lines;
    if (real_lines > 0 && r->res.synthetic_lines > 0) /* an older gembatch let it happen */
        return GB_FAIL(err, GB_ESTATE,
                       "'%s' mixes answers of a real endpoint (%lld line%s) with synthetic "
                       "ones of the emulator (%lld line%s); neither can be resumed into it: "
                       "use another -o, or --restart to discard them",
                       dir, real_lines, real_lines == 1 ? "" : "s", r->res.synthetic_lines,
                       r->res.synthetic_lines == 1 ? "" : "s");
    /* a line without the mark is a real answer, whatever run.json says */
    int was_synthetic = real_lines == 0 && (jx_bool(prev, "synthetic", 0) || r->res.synthetic_lines);
    int now_synthetic = r->cfg->emulator != 0;
    if (r->res.results_lines > 0 && was_synthetic && !now_synthetic) {
        struct gb_err pe = {0};
        int e = endpoint_is_emulator(r, &pe);
        if (e < 0)
            return GB_FAIL(err, GB_ESTATE,
                           "'%s' holds synthetic answers made by the emulator, and %s did not "
                           "answer to say whether it is one (%s); use another -o, or --restart",
                           dir, r->shown_url, pe.msg);
        now_synthetic = e;
    }
    /* the other way: an endpoint given by URL may be an emulator started by
     * hand. Asked the same way; if it cannot tell, each answer is still
     * checked for the emulator's mark before it is kept (run_answer.c) */
    if (r->res.results_lines > 0 && !was_synthetic && !now_synthetic &&
        strcmp(r->cfg->endpoint, CONFIG_DEFAULT_ENDPOINT)) {
        struct gb_err pe = {0};
        if (endpoint_is_emulator(r, &pe) == 1)
            return GB_FAIL(err, GB_ESTATE,
                           "'%s' holds answers of a real endpoint, and %s is the gembatch "
                           "emulator: its synthetic answers would mix in; use another -o, or "
                           "--restart to discard them",
                           dir, r->shown_url);
    }
    r->folder_real = r->res.results_lines > 0 && !was_synthetic;
    if (r->res.results_lines > 0 && was_synthetic != now_synthetic)
        return GB_FAIL(err, GB_ESTATE,
                       was_synthetic
                           ? "'%s' holds synthetic answers made by the emulator; a run against a "
                             "real endpoint would mix real ones in: use another -o, or --restart "
                             "to discard them"
                           : "'%s' holds answers of a real endpoint; --emulator would mix "
                             "synthetic ones in: use another -o, or --restart to discard them",
                       dir);
    return 0;
}

static void read_tokens(const json_t *tk, long long tok[4])
{
    jx_int(tk, "input", &tok[0]);
    jx_int(tk, "output", &tok[1]);
    jx_int(tk, "total", &tok[2]);
    jx_int(tk, "thought", &tok[3]);
}

/* What earlier runs into OUTDIR did, from run.json's totals; a run that
 * stopped without writing its own (a crash: run.json still says running,
 * with its run id) is read off the journal it left. Folders of earlier
 * versions have no totals: their last run's counts are the start. */
void resume_totals(struct run *r)
{
    const json_t *prev = r->res.prev_run;
    struct totals *b = &r->base;
    memset(b, 0, sizeof *b);
    json_t *pt = jx_obj(prev, "totals");
    if (pt) {
        jx_int(pt, "runs", &b->runs);
        jx_int(pt, "attempts", &b->attempts);
        read_tokens(jx_obj(pt, "tokens"), b->tok);
        const char *st = jx_str(prev, "status"), *id = jx_str(prev, "run_id");
        json_t *usd = json_object_get(pt, "cost_usd");
        if (json_is_number(usd))
            b->usd = json_number_value(usd);
        jx_int(pt, "unpriced_requests", &b->unpriced);
        if (st && !strcmp(st, "running") && id && !strcmp(id, r->res.journal_run)) {
            b->attempts += r->res.journal_sends;
            for (int i = 0; i < 4; i++)
                b->tok[i] += r->res.journal_tok[i];
            b->usd += r->res.journal_usd;
            b->unpriced += r->res.journal_unpriced;
        }
    } else if (prev) {
        b->runs = 1;
        jx_int(jx_obj(prev, "counts"), "attempts", &b->attempts);
        read_tokens(jx_obj(prev, "tokens"), b->tok);
    }
}

