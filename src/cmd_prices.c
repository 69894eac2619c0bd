/* cmd_prices.c: `gembatch prices [MODEL]`: print the price table in use (the
 * built-in one or --prices FILE) with each row's date and source and what is
 * unconfirmed, one model's rates at every tier, or (--usage FILE) what lines
 * carrying "model" and "usage" cost at each tier. Reads; writes only stdout. */
#include "cli.h"
#include "cmd.h"
#include "jsonx.h"
#include "log.h"
#include "prices.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_USAGE_MODELS 1024 /* distinct models in a --usage file */

static const char details[] =
    "Rates are USD per 1M tokens. Input covers text, image, video and PDF pages; audio\n"
    "input and cache hits have their own rates where the pricing page gives one; output\n"
    "includes thinking. A '*' marks a figure taken from a third-party transcription of\n"
    "Google's pricing page rather than read on a Google page; '-' means no published\n"
    "price, and tokens of that kind make a cost \"unknown\" (gembatch never guesses one).\n"
    "Flex and batch cost half of standard, priority 1.8x ([3P]); a model row lists the\n"
    "tiers it is offered at. Rates that change on a date are shown as of --at (default\n"
    "today, UTC).\n"
    "\n"
    "--usage FILE prices JSON lines that carry \"model\" and \"usage\" (an Interactions\n"
    "usage object: a stored interaction from 'gembatch get', or a results.jsonl line) at\n"
    "every tier, by model. A results line sums every request of its job under one model\n"
    "and has no per-modality counts, so the figure is approximate for multi-step jobs and\n"
    "audio input.\n"
    "\n"
    "Exit status: 0 printed; 1 (--usage) some lines could not be priced; 2 unknown MODEL\n"
    "(the known ones are listed), an unreadable or invalid --prices file, or a usage error.\n"
    "\n"
    "Examples:\n"
    "  gembatch prices\n"
    "  gembatch prices gemini-2.5-flash\n"
    "  gembatch prices gemini-3.8-flash --at 2027-01-01 --json\n"
    "  gembatch prices --prices my-prices.json\n";

struct opts {
    const char *prices_file, *at_s, *usage_file;
    int json;
    time_t at;
};

/* ---- formatting ------------------------------------------------------------------ */

/* "0.075", "3.75", "120.00", "-" (no price); '*' appended when unconfirmed. */
static const char *fmt_rate(double v, int unconfirmed, char buf[24])
{
    if (isnan(v)) {
        snprintf(buf, 24, "-");
        return buf;
    }
    snprintf(buf, 24, "%.4f", v);
    char *dot = strchr(buf, '.');
    char *end = buf + strlen(buf);
    while (dot && end > dot + 3 && end[-1] == '0')
        *--end = '\0';
    if (unconfirmed)
        strcat(buf, "*");
    return buf;
}

static int unconfirmed(const struct price_row *row, enum price_rate r)
{
    return !(row->confirmed & (1u << r));
}

static void date_str(time_t t, char out[16])
{
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 16, "%Y-%m-%d", &tm);
}

static json_t *num_or_null(double v)
{
    return isnan(v) ? json_null() : json_real(v);
}

/* ---- the table ------------------------------------------------------------------- */

/* Index (1-based) of a source in the list of distinct ones, adding it. */
static int source_index(const char **list, int *n, const char *s)
{
    for (int i = 0; i < *n; i++)
        if (!strcmp(list[i], s))
            return i + 1;
    list[(*n)++] = s;
    return *n;
}

static void print_tier_line(const json_t *doc)
{
    json_t *tiers = jx_obj(doc, "tiers");
    printf("Tiers, as multipliers of these rates:");
    for (int t = TIER_FLEX; t < TIER_N; t++) {
        json_t *o = jx_obj(tiers, tier_name((enum tier)t));
        double m = 0, cm = 0;
        jx_num(o, "multiplier", &m);
        if (jx_num(o, "cached_multiplier", &cm))
            cm = m;
        json_t *cf = jx_arr(o, "confirmed");
        int sure = 0;
        size_t i;
        json_t *v;
        json_array_foreach(cf, i, v) sure |= json_is_string(v) &&
                                             !strcmp(json_string_value(v), "multiplier");
        printf(" %s %gx%s", tier_name((enum tier)t), m, sure ? "" : "*");
        if (cm != m)
            printf(" (cache hits %gx)", cm);
        putchar(t + 1 < TIER_N ? ',' : '.');
    }
    printf("\n");
}

static void print_changes(const struct prices *p, const json_t *models)
{
    int any = 0;
    for (size_t i = 0; i < prices_count(p); i++) {
        const char *name = prices_model(p, i);
        json_t *ch = jx_arr(jx_obj(models, name), "changes");
        size_t k;
        json_t *c;
        json_array_foreach(ch, k, c) {
            if (!any++)
                printf("\nDated changes:\n");
            printf("  %s from %s:", name, jx_str(c, "from"));
            const char *key;
            json_t *v;
            int first = 1;
            json_object_foreach(c, key, v) {
                if (json_is_number(v) || json_is_null(v)) {
                    char b[24];
                    printf("%s %s %s", first ? "" : ",", key,
                           fmt_rate(json_is_null(v) ? NAN : json_number_value(v), 0, b));
                    first = 0;
                }
            }
            printf("\n");
        }
    }
}

static void print_table(const struct prices *p, time_t at)
{
    const json_t *doc = prices_json(p);
    char day[16];
    date_str(at, day);
    const char *updated = jx_str(doc, "updated");
    printf("Gemini API prices, USD per 1M tokens, standard tier, on %s (%s table%s%s).\n", day,
           prices_origin(p), updated ? ", updated " : "", updated ? updated : "");
    print_tier_line(doc);
    printf("* from a third-party transcription of the pricing page   - no published price\n"
           "tiers: s standard, f flex, b batch, p priority          long: above 200k prompt "
           "tokens\n\n");
    size_t n = prices_count(p), width = 5;
    for (size_t i = 0; i < n; i++)
        if (strlen(prices_model(p, i)) > width)
            width = strlen(prices_model(p, i));
    printf("%-*s %8s %8s %8s %8s %8s %15s %7s %-5s %-10s %s\n", (int)width, "model", "input",
           "audio", "cached", "output", "image", "long in/out", "max out", "tiers", "read on",
           "src");
    const char **sources = calloc(n + 1, sizeof *sources);
    int nsrc = 0;
    for (size_t i = 0; sources && i < n; i++) {
        struct price_row r;
        prices_find(p, prices_model(p, i), at, &r);
        char b[6][24], lng[40] = "-", mo[24] = "-", tiers[TIER_N + 1];
        if (r.long_above > 0) {
            char li[24], lo[24];
            snprintf(lng, sizeof lng, "%s/%s", fmt_rate(r.long_rate[PR_INPUT], 0, li),
                     fmt_rate(r.long_rate[PR_OUTPUT], 0, lo));
            if (r.long_above != 200000) /* the legend says 200k: say when it is not */
                snprintf(lng + strlen(lng), sizeof lng - strlen(lng), ">%lld", r.long_above);
        }
        if (r.max_output_tokens >= 0)
            snprintf(mo, sizeof mo, "%lld", r.max_output_tokens);
        for (int t = 0; t < TIER_N; t++)
            tiers[t] = isnan(r.mult[t]) ? '-' : "sfpb"[t];
        tiers[TIER_N] = '\0';
        /* shown s f b p, the order of the legend */
        char shown[5] = {tiers[0], tiers[1], tiers[3], tiers[2], '\0'};
        printf("%-*s %8s %8s %8s %8s %8s %15s %7s %-5s %-10s [%d]\n", (int)width, r.model,
               fmt_rate(r.rate[PR_INPUT], unconfirmed(&r, PR_INPUT), b[0]),
               fmt_rate(r.rate[PR_INPUT_AUDIO], unconfirmed(&r, PR_INPUT_AUDIO), b[1]),
               fmt_rate(r.rate[PR_CACHED], unconfirmed(&r, PR_CACHED), b[2]),
               fmt_rate(r.rate[PR_OUTPUT], unconfirmed(&r, PR_OUTPUT), b[3]),
               fmt_rate(r.rate[PR_OUTPUT_IMAGE], unconfirmed(&r, PR_OUTPUT_IMAGE), b[4]), lng, mo,
               shown, r.date, source_index(sources, &nsrc, r.source));
    }
    print_changes(p, jx_obj(doc, "models"));
    printf("\nSources (read on the row's date):\n");
    for (int i = 0; i < nsrc; i++)
        printf("  [%d] %s\n", i + 1, sources[i]);
    free(sources);
    json_t *up = jx_obj(doc, "unpriced");
    if (json_object_size(up)) {
        printf("\nNo price (their cost is \"unknown\"):\n");
        const char *k;
        json_t *v;
        json_object_foreach(up, k, v) printf("  %s: %s\n", k, json_string_value(v));
    }
}

/* ---- one model ------------------------------------------------------------------- */

static const char *const rate_labels[PR_N] = {
    "input", "input, audio", "cached input", "cached input, audio", "output (and thinking)",
    "image output", "audio output"};

static void print_rates(const struct price_row *r, const double *rates, const char *title)
{
    printf("\n%-24s", title);
    for (int t = 0; t < TIER_N; t++)
        printf(" %10s", tier_name((enum tier)t));
    printf("\n");
    for (int k = 0; k < PR_N; k++) {
        int cached = k == PR_CACHED || k == PR_CACHED_AUDIO;
        if (isnan(rates[k]) && k >= PR_OUTPUT_IMAGE)
            continue; /* no image or audio output: not worth a line of dashes */
        printf("  %-22s", rate_labels[k]);
        for (int t = 0; t < TIER_N; t++) {
            double m = cached ? r->cached_mult[t] : r->mult[t];
            char b[24];
            printf(" %10s", fmt_rate(isnan(m) ? NAN : rates[k] * m, 0, b));
        }
        printf("\n");
    }
}

static void print_model(const struct prices *p, const struct price_row *r, const char *asked,
                        time_t at)
{
    char day[16];
    date_str(at, day);
    printf("%s", r->model);
    if (strcmp(asked, r->model))
        printf(" (asked for as %s)", asked);
    printf(": USD per 1M tokens on %s, %s table%s%s\n", day, prices_origin(p),
           r->since ? "; rates changed on " : "", r->since ? r->since : "");
    print_rates(r, r->rate, "");
    if (r->long_above > 0) {
        char title[64];
        snprintf(title, sizeof title, "prompt > %lld tokens", r->long_above);
        print_rates(r, r->long_rate, title);
    }
    printf("\n'-' no price: tokens of that kind, or a tier not offered, make the cost unknown.\n");
    if (r->max_output_tokens < 0)
        printf("max output tokens  not stated\n");
    else
        printf("max output tokens  %lld\n", r->max_output_tokens);
    printf("tiers offered      ");
    for (int t = 0, first = 1; t < TIER_N; t++)
        if (!isnan(r->mult[t])) {
            printf("%s%s", first ? "" : ", ", tier_name((enum tier)t));
            first = 0;
        }
    printf("\nconfirmed          ");
    int any = 0;
    for (int k = 0; k < PR_N; k++)
        if (!unconfirmed(r, (enum price_rate)k) && !isnan(r->rate[k]))
            printf("%s%s", any++ ? ", " : "", price_rate_name((enum price_rate)k));
    printf("%s\n", any ? " (read on a Google page; the rest is [3P])"
                       : "none: every figure is from a third-party transcription [3P]");
    json_t *ch = jx_arr(jx_obj(jx_obj(prices_json(p), "models"), r->model), "changes");
    size_t i;
    json_t *c;
    json_array_foreach(ch, i, c) {
        char *s = jx_canonical(c);
        printf("%s%s", i ? "; " : "changes            ", s ? s : "?");
        free(s);
        if (i + 1 == json_array_size(ch))
            printf("\n");
    }
    printf("read on            %s\nsource             %s\n", r->date, r->source);
    if (r->note)
        printf("note               %s\n", r->note);
}

static json_t *rates_json(const double *rates, double m, double cm)
{
    json_t *o = json_object();
    for (int k = 0; k < PR_N; k++) {
        int cached = k == PR_CACHED || k == PR_CACHED_AUDIO;
        json_object_set_new(o, price_rate_name((enum price_rate)k),
                            num_or_null(rates[k] * (cached ? cm : m)));
    }
    return o;
}

static json_t *model_json(const struct price_row *r, const char *asked, time_t at)
{
    char day[16];
    date_str(at, day);
    json_t *o = json_pack("{s:s, s:s, s:s, s:o, s:s, s:s, s:o}", "model", r->model, "asked",
                          asked, "at", day, "since",
                          r->since ? json_string(r->since) : json_null(), "date", r->date,
                          "source", r->source, "note",
                          r->note ? json_string(r->note) : json_null());
    json_object_set_new(o, "rates", rates_json(r->rate, 1, 1));
    json_object_set_new(o, "long", r->long_above > 0
                                       ? json_pack("{s:I, s:o}", "above",
                                                   (json_int_t)r->long_above, "rates",
                                                   rates_json(r->long_rate, 1, 1))
                                       : json_null());
    json_t *tiers = json_object();
    for (int t = 0; t < TIER_N; t++) {
        json_t *to = json_null();
        if (!isnan(r->mult[t])) {
            to = json_pack("{s:f, s:f, s:o}", "multiplier", r->mult[t], "cached_multiplier",
                           r->cached_mult[t], "rates",
                           rates_json(r->rate, r->mult[t], r->cached_mult[t]));
            if (r->long_above > 0)
                json_object_set_new(to, "long_rates", rates_json(r->long_rate, r->mult[t],
                                                                 r->cached_mult[t]));
        }
        json_object_set_new(tiers, tier_name((enum tier)t), to);
    }
    json_object_set_new(o, "tiers", tiers);
    json_object_set_new(o, "max_output_tokens", r->max_output_tokens >= 0
                                                    ? json_integer(r->max_output_tokens)
                                                    : json_null());
    json_t *cf = json_array();
    for (int k = 0; k < PR_N; k++)
        if (!unconfirmed(r, (enum price_rate)k))
            json_array_append_new(cf, json_string(price_rate_name((enum price_rate)k)));
    json_object_set_new(o, "confirmed", cf);
    return o;
}

static void print_json(json_t *o)
{
    char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10));
    if (s)
        printf("%s\n", s);
    free(s);
}

static int unknown_model(const struct prices *p, const char *model)
{
    const char *why = prices_unpriced(p, model);
    if (why) {
        fprintf(stderr, "gembatch: '%s' has no price: %s\n", model, why);
        return GB_USAGE;
    }
    fprintf(stderr, "gembatch: '%s' is not in the price table (%s); known models:\n", model,
            prices_origin(p));
    for (size_t i = 0; i < prices_count(p); i++)
        fprintf(stderr, "  %s\n", prices_model(p, i));
    fprintf(stderr, "add a row to a copy of the table and pass it with --prices FILE\n");
    return GB_USAGE;
}

/* ---- --usage ------------------------------------------------------------------ */

struct model_sum {
    char *model;
    long requests;
    struct usage u;
    double cost[TIER_N];
};

struct usage_sums {
    struct model_sum *m;
    size_t n;
    long lines, skipped, unpriced; /* skipped: no model or no usage (an errors line) */
};

static struct model_sum *sum_for(struct usage_sums *s, const char *model)
{
    for (size_t i = 0; i < s->n; i++)
        if (!strcmp(s->m[i].model, model))
            return &s->m[i];
    if (s->n == MAX_USAGE_MODELS)
        return NULL;
    struct model_sum *grown = realloc(s->m, (s->n + 1) * sizeof *grown);
    if (!grown)
        return NULL;
    s->m = grown;
    struct model_sum *e = &s->m[s->n];
    memset(e, 0, sizeof *e);
    if (!(e->model = strdup(model)))
        return NULL;
    s->n++;
    return e;
}

/* One line: 0, 1 when it has no model or usage (skipped), or -1 (error printed). */
static int usage_line(const struct prices *p, time_t at, const char *src, long lineno,
                      const char *line, size_t len, struct usage_sums *s)
{
    json_error_t je;
    json_t *doc = json_loadb(line, len, 0, &je);
    if (!doc) {
        fprintf(stderr, "gembatch: %s:%ld: not JSON (%s)\n", src, lineno, je.text);
        return -1;
    }
    const char *model = jx_str(doc, "model");
    if (!model)
        model = jx_str(doc, "agent");
    json_t *uj = jx_obj(doc, "usage");
    int rc = 1;
    if (model && uj) {
        struct usage u;
        struct price_row row;
        resp_usage_from_json(uj, &u);
        struct model_sum *e = sum_for(s, model);
        rc = -1;
        if (!e) {
            fprintf(stderr, "gembatch: %s:%ld: more than %d models\n", src, lineno,
                    MAX_USAGE_MODELS);
        } else {
            prices_find(p, model, at, &row);
            int priced = 1;
            for (int t = 0; t < TIER_N; t++) {
                double c = price_usage(&row, (enum tier)t, &u);
                e->cost[t] += c;
                priced &= t != TIER_STANDARD || !isnan(c);
            }
            s->unpriced += !priced;
            usage_add(&e->u, &u);
            e->requests++;
            rc = 0;
        }
    }
    json_decref(doc);
    return rc;
}

static json_t *costs_json(const double *c)
{
    json_t *o = json_object();
    for (int t = 0; t < TIER_N; t++)
        json_object_set_new(o, tier_name((enum tier)t), num_or_null(c[t]));
    return o;
}

static void print_usage_sums(const struct usage_sums *s, time_t at, int as_json)
{
    double total[TIER_N] = {0};
    for (size_t i = 0; i < s->n; i++)
        for (int t = 0; t < TIER_N; t++)
            total[t] += s->m[i].cost[t];
    char day[16];
    date_str(at, day);
    if (as_json) {
        json_t *models = json_array();
        for (size_t i = 0; i < s->n; i++) {
            const struct model_sum *e = &s->m[i];
            json_array_append_new(
                models, json_pack("{s:s, s:I, s:{s:I, s:I, s:I, s:I}, s:o}", "model", e->model,
                                  "requests", (json_int_t)e->requests, "usage",
                                  "total_input_tokens", (json_int_t)e->u.input,
                                  "total_output_tokens", (json_int_t)e->u.output,
                                  "total_thought_tokens", (json_int_t)e->u.thought,
                                  "total_cached_tokens", (json_int_t)e->u.cached, "cost_usd",
                                  costs_json(e->cost)));
        }
        json_t *o = json_pack("{s:s, s:I, s:I, s:I, s:o, s:o}", "at", day, "lines",
                              (json_int_t)s->lines, "skipped", (json_int_t)s->skipped,
                              "unpriced", (json_int_t)s->unpriced, "models", models,
                              "total_cost_usd", costs_json(total));
        print_json(o);
        json_decref(o);
        return;
    }
    printf("Cost in USD at each tier, prices of %s (\"unknown\": no price for some tokens)\n\n",
           day);
    printf("%-28s %8s %12s %12s", "model", "requests", "input tok", "output tok");
    for (int t = 0; t < TIER_N; t++)
        printf(" %12s", tier_name((enum tier)t));
    printf("\n");
    for (size_t i = 0; i <= s->n; i++) {
        const struct model_sum *e = i < s->n ? &s->m[i] : NULL;
        const double *c = e ? e->cost : total;
        if (!e)
            printf("%-28s %8s %12s %12s", "total", "", "", "");
        else
            printf("%-28s %8ld %12lld %12lld", e->model, e->requests, e->u.input,
                   e->u.output + e->u.thought);
        for (int t = 0; t < TIER_N; t++) {
            char b[24];
            snprintf(b, sizeof b, "%.6f", c[t]);
            printf(" %12s", isnan(c[t]) ? "unknown" : b);
        }
        printf("\n");
    }
    if (s->skipped)
        printf("(%ld lines without \"model\" or \"usage\" left out)\n", s->skipped);
}

static int price_usage_file(const struct prices *p, const struct opts *o)
{
    int use_stdin = !strcmp(o->usage_file, "-");
    FILE *in = use_stdin ? stdin : fopen(o->usage_file, "r");
    struct usage_sums s = {0};
    char *line = NULL;
    size_t cap = 0;
    int outcome = GB_USAGE;
    if (!in) {
        fprintf(stderr, "gembatch: cannot read '%s': %m\n", o->usage_file);
        return GB_USAGE;
    }
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
            n--;
        if (!n)
            continue;
        int rc = usage_line(p, o->at, o->usage_file, lineno, line, (size_t)n, &s);
        if (rc < 0)
            goto out;
        s.lines++;
        s.skipped += rc;
    }
    print_usage_sums(&s, o->at, o->json);
    if (s.unpriced)
        log_warn("%ld lines could not be priced (a model or a kind of token without a price)",
                 s.unpriced);
    outcome = s.unpriced ? GB_SOME_FAILED : GB_DONE;
out:
    free(line);
    for (size_t i = 0; i < s.n; i++)
        free(s.m[i].model);
    free(s.m);
    if (!use_stdin)
        fclose(in);
    return outcome;
}

/* ---- the command --------------------------------------------------------------- */

static int parse_at(const struct cli_cmd *cmd, struct opts *o)
{
    o->at = time(NULL);
    if (!o->at_s)
        return 0;
    struct tm tm = {0};
    int y, m, d, n = 0;
    if (sscanf(o->at_s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || o->at_s[n] || m < 1 ||
        m > 12 || d < 1 || d > 31) {
        cli_usage_error(cmd, "'--at' takes a date YYYY-MM-DD, not '%s'", o->at_s);
        return -1;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    o->at = timegm(&tm);
    return 0;
}

int cmd_prices(int argc, char **argv)
{
    struct opts o = {0};
    const struct cli_opt opts[] = {
        {0, "prices", CLI_STR, &o.prices_file, "FILE",
         "a price table to use instead of the built-in one (prices/gemini.json)", 0, 0, NULL},
        {0, "json", CLI_FLAG, &o.json, NULL, "print JSON instead of a table", 0, 0, NULL},
        {0, "at", CLI_STR, &o.at_s, "DATE", "the prices in effect on DATE (default today)", 0,
         0, NULL},
        {0, "usage", CLI_STR, &o.usage_file, "FILE",
         "price JSON lines with \"model\" and \"usage\" (- for stdin)", 0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {"prices", "[MODEL] [options]",
                                "Print the price table used for cost, or one model's rates.",
                                details, opts};
    int npos = 0, outcome = GB_USAGE;
    struct prices *p = NULL;
    struct gb_err err = {0};
    char **pos = cli_args(&cmd, argc, argv, &npos, &outcome);
    if (!pos)
        return outcome;
    if (npos > 1 || (npos && o.usage_file)) {
        cli_usage_error(&cmd, npos > 1 ? "give one MODEL, not %d" : "MODEL and --usage do not go "
                                                                    "together (%d)",
                        npos);
        goto out;
    }
    if (parse_at(&cmd, &o))
        goto out;
    if (prices_load(o.prices_file, &p, &err)) {
        log_err(&err);
        goto out;
    }
    if (o.usage_file) {
        outcome = price_usage_file(p, &o);
    } else if (npos) {
        struct price_row row;
        if (prices_find(p, pos[0], o.at, &row)) {
            outcome = unknown_model(p, pos[0]);
            goto out;
        }
        if (o.json) {
            json_t *j = model_json(&row, pos[0], o.at);
            print_json(j);
            json_decref(j);
        } else {
            print_model(p, &row, pos[0], o.at);
        }
        outcome = GB_DONE;
    } else {
        if (o.json)
            print_json((json_t *)prices_json(p));
        else
            print_table(p, o.at);
        outcome = GB_DONE;
    }
out:
    prices_free(p);
    free(pos);
    return outcome;
}
