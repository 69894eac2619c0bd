/* run_dry.c: --dry-run: every job built as a run would build it and printed
 * as the request it would send (media as type, size and digest), with its
 * estimate (requests, tokens, what it would cost at each tier); nothing is
 * sent and nothing is written to OUTDIR. Calls only run_jobs.c in the
 * engine. */
#include "run_int.h"

#include "jfast.h"

#include <fcntl.h>
#include <math.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

static void media_digest(const char *path, char hex[65])
{
    strcpy(hex, "unreadable");
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return;
    struct sha256 h;
    unsigned char b[65536];
    ssize_t n;
    if (sha256_init(&h)) {
        close(fd);
        return;
    }
    while ((n = read(fd, b, sizeof b)) > 0)
        sha256_update(&h, b, (size_t)n);
    uint8_t d[32];
    if (n == 0 && sha256_final(&h, d) == 0)
        sha256_hex(d, hex);
    else
        sha256_free(&h);
    close(fd);
}

/* ---- estimates --------------------------------------------------------------------- */

/* Assumptions, said in the summary: a free-text answer (no schema) is about
 * TEXT_ANSWER_TOKENS; a generated image bills IMAGE_OUT_TOKENS (the published
 * figure for Flash Image); a tool program's result is about TOOL_RESULT_TOKENS
 * and a pipeline with tool programs takes one tool turn; a schema's answer is
 * the size of an instance generated from it; REASK_RATE of structured
 * answers are asked again once. */
#define TEXT_ANSWER_TOKENS 100
#define IMAGE_OUT_TOKENS 1290
#define TOOL_RESULT_TOKENS 50
#define REASK_RATE 0.02

struct estimate {
    long long requests;
    struct usage u;       /* input by modality, output, over every request of the job */
    double usd[TIER_N];   /* each request priced at its own model; NAN: unknown */
};

static long long tokens_of_text(size_t chars)
{
    return (long long)(chars + 3) / 4;
}

/* The mean size of a schema's instances (16 seeds: one instance says
 * little about a schema with free-length strings or arrays), kept per
 * schema: a run has a few. */
struct schema_size {
    const struct schema *sc;
    long long tokens;
};

static long long schema_tokens(const struct schema *sc)
{
    static struct schema_size seen[64];
    static size_t nseen;
    for (size_t i = 0; i < nseen; i++)
        if (seen[i].sc == sc)
            return seen[i].tokens;
    long long sum = 0, n = 0;
    for (uint64_t seed = 1; seed <= 16; seed++) {
        json_t *inst = NULL;
        struct gb_err e = {0};
        if (schema_generate(sc, seed * 0x9e3779b97f4a7c15ull, &inst, &e) == 0) {
            char *txt = json_dumps(inst, JSON_COMPACT | JSON_ENCODE_ANY);
            if (txt) {
                sum += tokens_of_text(strlen(txt));
                n++;
            }
            free(txt);
        }
        json_decref(inst);
    }
    long long t = n ? (sum + n / 2) / n : TEXT_ANSWER_TOKENS;
    if (nseen < 64)
        seen[nseen++] = (struct schema_size){sc, t};
    return t;
}

/* What one answer of a request is estimated at (images counted apart). */
static long long answer_tokens(const json_t *req, const struct schema *sc, long long *images)
{
    long long max_out = 0;
    jx_int(jx_obj(req, "generation_config"), "max_output_tokens", &max_out);
    long long t = sc ? schema_tokens(sc) : TEXT_ANSWER_TOKENS;
    json_t *mod = json_object_get(req, "response_modalities");
    size_t i;
    json_t *m;
    json_array_foreach (mod, i, m)
        if (json_is_string(m) && !strcasecmp(json_string_value(m), "IMAGE"))
            (*images)++;
    if (max_out > 0 && t > max_out)
        t = max_out;
    return t;
}

static const enum tier est_tiers[] = {TIER_STANDARD, TIER_FLEX, TIER_BATCH, TIER_PRIORITY};

/* One request of the job, priced at its model at each tier. */
static void add_request(struct estimate *e, struct prices *pr, const char *model,
                        const struct usage *u)
{
    struct price_row row;
    int known = pr && !prices_find(pr, model ? model : "", time(NULL), &row);
    for (int k = 0; k < 4; k++)
        e->usd[est_tiers[k]] += known ? price_usage(&row, est_tiers[k], u) : NAN;
    e->requests++;
    e->u.input += u->input;
    e->u.output += u->output;
    for (int m = 0; m < USAGE_NMOD; m++) {
        e->u.input_by[m] += u->input_by[m];
        e->u.output_by[m] += u->output_by[m];
    }
    e->u.total = e->u.input + e->u.output;
}

static void estimate_job(struct run *r, struct job *j, struct prices *pr, struct estimate *e)
{
    memset(e, 0, sizeof *e);
    struct req_estimate re;
    req_estimate(j->req, j, &re);
    struct usage u = {0};
    u.input_by[USAGE_TEXT] = re.text_tokens;
    for (size_t i = 0; i < j->nmedia; i++) {
        int m = usage_modality_of(j->media[i].type);
        u.input_by[m >= 0 ? m : USAGE_TEXT] += req_media_tokens(&j->media[i], NULL);
    }
    for (int m = 0; m < USAGE_NMOD; m++)
        u.input += u.input_by[m];
    long long images = 0;
    long long out = answer_tokens(j->req, j->schema, &images);
    u.output = out + images * IMAGE_OUT_TOKENS;
    u.output_by[USAGE_IMAGE] = images * IMAGE_OUT_TOKENS;
    const char *model = r->cfg->model ? r->cfg->model : jx_str(j->req, "model");
    add_request(e, pr, model, &u);
    long long ctx = u.input + out; /* the conversation a follow-up carries */
    /* later steps: each sends the conversation so far and its own prompt, to
     * its own model */
    size_t nsteps = r->pipe->steps ? json_array_size(r->pipe->steps) : 1;
    for (size_t k = 1; k < nsteps; k++) {
        json_t *base = job_step_base(r->pipe, k);
        const char *tmpl = job_step_prompt(r->pipe, k);
        long long prompt = tmpl ? tokens_of_text(strlen(tmpl)) : 2;
        json_t *rf = json_object_get(base, "response_format");
        struct schema *own = NULL;
        json_t *sdoc = rf ? pipe_response_schema(rf) : NULL;
        struct gb_err ge = {0};
        if (sdoc && schema_compile(sdoc, "step", &own, &ge))
            own = NULL;
        long long im = 0;
        long long o = answer_tokens(base, own, &im);
        schema_free(own);
        struct usage su = {0};
        su.input = su.input_by[USAGE_TEXT] = ctx + prompt;
        su.output = o + im * IMAGE_OUT_TOKENS;
        su.output_by[USAGE_IMAGE] = im * IMAGE_OUT_TOKENS;
        const char *sm = r->cfg->model ? r->cfg->model : jx_str(base, "model");
        add_request(e, pr, sm ? sm : model, &su);
        json_decref(base);
        ctx += prompt + o;
    }
    /* one tool turn when local programs answer function calls */
    if (r->pipe->ntools) {
        struct usage tu = {0};
        tu.input = tu.input_by[USAGE_TEXT] = ctx + TOOL_RESULT_TOKENS;
        tu.output = out;
        add_request(e, pr, model, &tu);
    }
    /* structured answers: a few are asked again, with the answer and the
     * schema's complaints added */
    if (j->schema)
        for (int k = 0; k < 4; k++)
            e->usd[est_tiers[k]] *= 1 + REASK_RATE;
}

/* Print each request as it would be sent (media as type, size and digest;
 * those too large to go inline as Files API uploads) with its estimate:
 * requests, tokens and cost at each tier; send nothing. */
int run_dry(const struct config *cfg, struct pipeline *pipe)
{
    struct run *r = calloc(1, sizeof *r);
    if (!r)
        return GB_USAGE;
    r->cfg = cfg;
    r->pipe = pipe;
    sniff_init(&r->sniff);
    /* archive entries are spooled outside OUTDIR: a dry run writes nothing there */
    char tmpl[] = "/tmp/gembatch-dry-XXXXXX";
    const char *tmpdir = getenv("TMPDIR");
    r->spool_dir = tmpdir && *tmpdir ? fsx_join(tmpdir, "gembatch-dry-XXXXXX") : strdup(tmpl);
    if (!r->spool_dir || !mkdtemp(r->spool_dir) || run_init_jobs(r)) {
        free(r->spool_dir);
        free(r);
        return GB_USAGE;
    }
    struct prices *pr = NULL;
    struct gb_err pe = {0};
    if (prices_load(cfg->prices_path, &pr, &pe) && !cfg->quiet)
        log_err(&pe);
    const enum tier *tiers = est_tiers;
    double sum[4] = {0, 0, 0, 0};
    int unknown = 0;
    long long jobs = 0, bad = 0, requests = 0, uploads = 0, tok_in = 0, tok_out = 0, structured = 0;
    const char *path = cfg->dialect == DIALECT_V1 ? "/v1/interactions" : "/v1beta/interactions";
    struct job *j;
    while ((j = run_next_job(r))) {
        if (cfg->shard_n && j->digest % (uint64_t)cfg->shard_n != (uint64_t)(cfg->shard_k - 1)) {
            job_free(j);
            continue;
        }
        jobs++;
        json_t *o = json_pack("{s:s}", "id", j->id);
        if (j->failed_build) {
            bad++;
            json_object_set_new(o, "error", json_string(j->build_err.msg));
            json_object_set_new(o, "line", json_integer(j->line));
        } else {
            struct estimate e;
            estimate_job(r, j, pr, &e);
            for (size_t i = 0; i < j->nmedia; i++) {
                char hex[65], desc[200];
                struct media *m = &j->media[i];
                media_digest(m->path, hex);
                snprintf(desc, sizeof desc, "<%s %llu bytes sha256:%s%s>", m->mime,
                         (unsigned long long)m->size, hex,
                         m->upload ? ", uploaded through the Files API" : "");
                if (m->upload) { /* it goes by uri, not inline */
                    json_object_del(m->part, "data");
                    json_object_set_new(m->part, "uri", json_string(desc));
                    uploads++;
                } else {
                    json_object_set_new(m->part, "data", json_string(desc));
                }
            }
            json_t *usd = json_object();
            for (int k = 0; k < 4; k++) {
                double c = e.usd[tiers[k]];
                json_object_set_new(usd, tier_name(tiers[k]), usd_json(c));
                if (isnan(c))
                    unknown |= 1 << k;
                else
                    sum[k] += c;
            }
            requests += e.requests;
            tok_in += e.u.input;
            tok_out += e.u.output;
            structured += j->schema != NULL;
            json_object_set_new(
                o, "request",
                json_pack("{s:s,s:s,s:O}", "method", "POST", "path", path, "body", j->req));
            /* the first request's input (the whole job's is in estimate) */
            json_object_set_new(o, "estimated_input_tokens",
                                json_integer(req_estimate_tokens(j->req, j)));
            json_object_set_new(o, "estimate",
                                json_pack("{s:I,s:I,s:I,s:o}", "requests", (json_int_t)e.requests,
                                          "input_tokens", (json_int_t)e.u.input, "output_tokens",
                                          (json_int_t)e.u.output, "usd", usd));
        }
        char *line = jf_dump_short(o, NULL);
        if (line)
            puts(line);
        free(line);
        json_decref(o);
        job_free(j);
    }
    fflush(stdout);
    if (!cfg->quiet) {
        fprintf(stderr,
                "gembatch: dry run: %lld jobs, %lld with errors, %lld requests (%lld media through "
                "the Files API), about %lld input and %lld output tokens; nothing was sent\n",
                jobs, bad, requests, uploads, tok_in, tok_out);
        if (r->input_errors)
            fprintf(stderr, "gembatch:   %d input%s could not be read (said above): its jobs are "
                    "not in the estimate\n", (int)r->input_errors, r->input_errors == 1 ? "" : "s");
        char money[4][32];
        for (int k = 0; k < 4; k++) {
            if (unknown & (1 << k))
                snprintf(money[k], sizeof money[k], "unknown");
            else
                snprintf(money[k], sizeof money[k], "$%.4f", sum[k]);
        }
        fprintf(stderr,
                "gembatch:   estimated cost %s at standard (flex %s, batch %s, priority %s)\n",
                money[0], money[1], money[2], money[3]);
        fprintf(stderr,
                "gembatch:   how: input from the files (images by size in tiles, audio and video "
                "by duration, PDFs by pages); output from an instance of each schema (%lld "
                "structured jobs), else %d tokens a text answer and %d an image; every step "
                "and one tool turn counted with the conversation it carries; %.0f%% of "
                "structured answers asked again once%s\n",
                structured, TEXT_ANSWER_TOKENS, IMAGE_OUT_TOKENS, REASK_RATE * 100,
                unknown ? "; a model not in the price table makes its cost unknown" : "");
    }
    prices_free(pr);
    schema_cache_free(r->jctx.schemas);
    sniff_free(&r->sniff);
    json_decref(r->skipped);
    rmdir(r->spool_dir); /* archives (issue 5): the spool dir, when empty */
    free(r->spool_dir);
    free(r->id_prefix);
    int unread = r->input_errors != 0;
    free(r);
    return bad || unread ? GB_USAGE : GB_DONE;
}
