/* prices.c: load and validate the price table, resolve a model's rates on a
 * date, and turn usage into USD. Owns the parsed table; reads no clock (the
 * caller passes the date) and never invents a rate: what the table does not
 * price is NAN. The JSON's layout is described in its own "about" field. */
#include "prices.h"
#include "jsonx.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* prices/gemini.json, built in by scripts/embed (build/gen/prices_data.c) */
extern const unsigned char prices_builtin[];
extern const size_t prices_builtin_len;

#define PER_TOKENS 1e6
#define MAX_MODELS 4096  /* a table is a page of rows; more is a wrong file */
#define MAX_CHANGES 64

static const char *const rate_names[PR_N] = {
    "input", "input_audio", "cached_input", "cached_audio", "output", "output_image",
    "output_audio"};

const char *price_rate_name(enum price_rate r)
{
    return (unsigned)r < PR_N ? rate_names[r] : "?";
}

/* Rates as written: a field may be a number, null (no price) or absent (for
 * input_audio and cached_audio: as input / cached_input). */
struct rates_raw {
    double v[PR_N];
    unsigned char present[PR_N];
};

struct change {
    time_t from;
    const char *from_s;
    struct rates_raw base, lng;
};

struct model_ent {
    const char *name;
    json_t *aliases;  /* borrowed from the table, may be NULL */
    struct price_row row; /* rates resolved as of no change */
    struct rates_raw base, lng;
    struct change *changes;
    size_t nchanges;
};

struct prices {
    json_t *doc;
    char *origin;
    json_t *unpriced; /* borrowed, may be NULL */
    double mult[TIER_N], cached_mult[TIER_N];
    struct model_ent *models;
    size_t nmodels;
};

/* ---- validation helpers --------------------------------------------------------- */

struct ctx {
    const char *origin;
    struct gb_err *err;
};

__attribute__((format(printf, 3, 4))) static int bad(const struct ctx *c, const char *path,
                                                    const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    GB_FAIL(c->err, GB_EINVAL, "%s: %s", path, msg);
    gb_err_at(c->err, c->origin, 0, 0);
    return GB_EINVAL;
}

static const char *type_name(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER:
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    case JSON_NULL: return "null";
    }
    return "?";
}

/* path + "/" + key (or index) into buf: JSON pointers for messages; a cut
 * one still names where (model names are short). */
static const char *sub(char *buf, size_t n, const char *path, const char *key)
{
    if (snprintf(buf, n, "%s/%s", path, key) >= (int)n) /* cut: keep what fits */
        buf[n - 1] = '\0';
    return buf;
}

static const char *subi(char *buf, size_t n, const char *path, size_t i)
{
    if (snprintf(buf, n, "%s/%zu", path, i) >= (int)n)
        buf[n - 1] = '\0';
    return buf;
}

/* Every key of obj must be in allowed (NULL-terminated). */
static int only_keys(const struct ctx *c, const char *path, const json_t *obj,
                     const char *const *allowed, const char *expect)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        int ok = 0;
        for (size_t i = 0; allowed[i] && !ok; i++)
            ok = !strcmp(k, allowed[i]);
        if (!ok)
            return bad(c, path, "unknown field \"%s\"; expected %s", k, expect);
    }
    return 0;
}

/* "YYYY-MM-DD" -> 00:00 UTC of that day; -1 when it is not a real date. */
static time_t parse_date(const char *s)
{
    int y, m, d, n = 0;
    if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%n", &y, &m, &d, &n) != 3 || n != 10)
        return -1;
    struct tm tm = {0};
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    if (t == (time_t)-1 || tm.tm_year != y - 1900 || tm.tm_mon != m - 1 || tm.tm_mday != d)
        return -1;
    return t;
}

static int want_date(const struct ctx *c, const char *path, const json_t *obj, const char *key,
                     int required, const char **out)
{
    char p[600];
    sub(p, sizeof p, path, key);
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return bad(c, path, "\"%s\" is missing (the day the figures were read, YYYY-MM-DD)",
                       key);
        return 0;
    }
    if (!json_is_string(v) || parse_date(json_string_value(v)) == (time_t)-1)
        return bad(c, p, "expected a date YYYY-MM-DD, not %s", json_is_string(v)
                                                                  ? json_string_value(v)
                                                                  : type_name(v));
    if (out)
        *out = json_string_value(v);
    return 0;
}

static int want_string(const struct ctx *c, const char *path, const json_t *obj,
                       const char *key, int required, const char **out)
{
    json_t *v = json_object_get(obj, key);
    if (!v) {
        if (required)
            return bad(c, path, "\"%s\" is missing", key);
        return 0;
    }
    if (!json_is_string(v) || !json_string_length(v)) {
        char p[600];
        sub(p, sizeof p, path, key);
        return bad(c, p, "expected a non-empty string, not %s", type_name(v));
    }
    if (out)
        *out = json_string_value(v);
    return 0;
}

static int want_number(const struct ctx *c, const char *path, const json_t *v, double *out)
{
    if (!json_is_number(v) || !isfinite(json_number_value(v)) || json_number_value(v) < 0)
        return bad(c, path, "expected a number >= 0 (USD per 1M tokens) or null, not %s",
                   json_is_number(v) ? "a negative number" : type_name(v));
    *out = json_number_value(v);
    return 0;
}

/* ---- rates ---------------------------------------------------------------------- */

static int read_rates(const struct ctx *c, const char *path, const json_t *obj,
                      struct rates_raw *r)
{
    for (int i = 0; i < PR_N; i++) {
        json_t *v = json_object_get(obj, rate_names[i]);
        if (!v)
            continue;
        char p[600];
        sub(p, sizeof p, path, rate_names[i]);
        r->present[i] = 1;
        r->v[i] = NAN;
        if (!json_is_null(v) && want_number(c, p, v, &r->v[i]))
            return GB_EINVAL;
    }
    return 0;
}

/* over's fields replace base's */
static struct rates_raw overlay(struct rates_raw base, const struct rates_raw *over)
{
    for (int i = 0; i < PR_N; i++)
        if (over->present[i]) {
            base.v[i] = over->v[i];
            base.present[i] = 1;
        }
    return base;
}

/* Absent audio rates follow their general rate; anything else absent is NAN. */
static void resolve(const struct rates_raw *r, double out[PR_N])
{
    for (int i = 0; i < PR_N; i++)
        out[i] = r->present[i] ? r->v[i] : NAN;
    if (!r->present[PR_INPUT_AUDIO])
        out[PR_INPUT_AUDIO] = out[PR_INPUT];
    if (!r->present[PR_CACHED_AUDIO])
        out[PR_CACHED_AUDIO] = out[PR_CACHED];
}

static void set_rates(struct price_row *row, const struct rates_raw *base,
                      const struct rates_raw *lng)
{
    resolve(base, row->rate);
    struct rates_raw l = overlay(*base, lng);
    resolve(&l, row->long_rate);
}

static const char *const long_keys[] = {"above", "input", "input_audio", "cached_input",
                                        "cached_audio", "output", "output_image",
                                        "output_audio", NULL};

/* A model's "long" must say its threshold; a change's may leave it out. */
static int read_long(const struct ctx *c, const char *path, const json_t *obj,
                     long long *above, struct rates_raw *lng)
{
    json_t *l = json_object_get(obj, "long");
    if (!l)
        return 0;
    char p[600];
    sub(p, sizeof p, path, "long");
    if (!json_is_object(l))
        return bad(c, p, "expected an object {\"above\": TOKENS, rates...}, not %s",
                   type_name(l));
    if (only_keys(c, p, l, long_keys, "\"above\" and rates (input, output, cached_input, ...)"))
        return GB_EINVAL;
    long long a = *above;
    if ((json_object_get(l, "above") || a < 1) && (jx_int(l, "above", &a) || a < 1)) {
        char pa[640];
        sub(pa, sizeof pa, p, "above");
        return bad(c, pa, "expected the prompt size in tokens (a whole number > 0) above which "
                          "the long-prompt rates apply");
    }
    *above = a;
    return read_rates(c, p, l, lng);
}

/* ---- one model ----------------------------------------------------------------- */

static const char *const model_keys[] = {
    "input", "input_audio", "cached_input", "cached_audio", "output", "output_image",
    "output_audio", "long", "changes", "max_output_tokens", "tiers", "aliases", "date",
    "source", "confirmed", "note", NULL};
static const char model_expect[] =
    "rates (input, input_audio, cached_input, cached_audio, output, output_image, "
    "output_audio), long, changes, max_output_tokens, tiers, aliases, date, source, "
    "confirmed, note";

static int read_tiers(const struct ctx *c, const char *path, const json_t *m,
                      const struct prices *p, struct price_row *row)
{
    char pt[600];
    sub(pt, sizeof pt, path, "tiers");
    json_t *a = json_object_get(m, "tiers");
    if (!a)
        return bad(c, path, "\"tiers\" is missing (the service tiers the model is offered at, "
                            "e.g. [\"standard\", \"flex\", \"batch\", \"priority\"])");
    if (!json_is_array(a))
        return bad(c, pt, "expected an array of tier names, not %s", type_name(a));
    int offered[TIER_N] = {0};
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        enum tier t;
        const char *name = json_string_value(v);
        if (!name || tier_parse(name, &t) || strcmp(name, tier_name(t)))
            return bad(c, pt, "item %zu: expected standard, flex, priority or batch", i);
        if (offered[t])
            return bad(c, pt, "\"%s\" is listed twice", tier_name(t));
        offered[t] = 1;
    }
    if (!offered[TIER_STANDARD])
        return bad(c, pt, "\"standard\" must be listed");
    for (int t = 0; t < TIER_N; t++) {
        row->mult[t] = offered[t] ? p->mult[t] : NAN;
        row->cached_mult[t] = offered[t] ? p->cached_mult[t] : NAN;
    }
    return 0;
}

static int read_confirmed(const struct ctx *c, const char *path, const json_t *m,
                          unsigned *mask)
{
    json_t *a = json_object_get(m, "confirmed");
    if (!a)
        return 0;
    char p[600];
    sub(p, sizeof p, path, "confirmed");
    if (!json_is_array(a))
        return bad(c, p, "expected an array of rate names, not %s", type_name(a));
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        int k = -1;
        for (int r = 0; r < PR_N && json_is_string(v); r++)
            if (!strcmp(json_string_value(v), rate_names[r]))
                k = r;
        if (k < 0)
            return bad(c, p, "item %zu: expected a rate name (input, output, cached_input, ...)",
                       i);
        *mask |= 1u << k;
    }
    return 0;
}

static const char *const change_keys[] = {"from", "input", "input_audio", "cached_input",
                                          "cached_audio", "output", "output_image",
                                          "output_audio", "long", NULL};

static int read_changes(const struct ctx *c, const char *path, const json_t *m,
                        struct model_ent *e)
{
    json_t *a = json_object_get(m, "changes");
    if (!a)
        return 0;
    char p[600];
    sub(p, sizeof p, path, "changes");
    if (!json_is_array(a) || json_array_size(a) > MAX_CHANGES)
        return bad(c, p, "expected an array of at most %d dated changes, not %s", MAX_CHANGES,
                   type_name(a));
    e->changes = calloc(json_array_size(a) + 1, sizeof *e->changes);
    if (!e->changes)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory reading the price table");
    size_t i;
    json_t *v;
    json_array_foreach(a, i, v) {
        char pi[640];
        subi(pi, sizeof pi, p, i);
        if (!json_is_object(v))
            return bad(c, pi, "expected an object {\"from\": \"YYYY-MM-DD\", rates...}, not %s",
                       type_name(v));
        if (only_keys(c, pi, v, change_keys, "\"from\", rates and \"long\""))
            return GB_EINVAL;
        struct change *ch = &e->changes[i];
        if (want_date(c, pi, v, "from", 1, &ch->from_s))
            return GB_EINVAL;
        ch->from = parse_date(ch->from_s);
        if (i > 0 && ch->from <= e->changes[i - 1].from)
            return bad(c, pi, "changes must be in date order, each after the one before");
        struct rates_raw over = {{0}, {0}}, lover = {{0}, {0}};
        long long above = e->row.long_above;
        if (read_rates(c, pi, v, &over) || read_long(c, pi, v, &above, &lover))
            return GB_EINVAL;
        if (above != e->row.long_above)
            return bad(c, pi, "a change may not move the long-prompt threshold");
        const struct rates_raw *prev_base = i ? &e->changes[i - 1].base : &e->base;
        const struct rates_raw *prev_long = i ? &e->changes[i - 1].lng : &e->lng;
        ch->base = overlay(*prev_base, &over);
        ch->lng = overlay(*prev_long, &lover);
        e->nchanges = i + 1;
    }
    return 0;
}

static int read_model(const struct ctx *c, const struct prices *p, const char *name,
                      const json_t *m, struct model_ent *e)
{
    char path[600];
    sub(path, sizeof path, "/models", name);
    e->name = name;
    e->row.known = 1;
    e->row.model = name;
    e->row.max_output_tokens = -1;
    if (!*name || strchr(name, '/') || strchr(name, ' '))
        return bad(c, path, "a model name is the model id itself (no \"models/\", no spaces)");
    if (!json_is_object(m))
        return bad(c, path, "expected an object of rates, not %s", type_name(m));
    if (only_keys(c, path, m, model_keys, model_expect))
        return GB_EINVAL;
    if (!json_object_get(m, "input"))
        return bad(c, path, "\"input\" is missing (a number, or null when it has no price)");
    if (read_rates(c, path, m, &e->base) || read_long(c, path, m, &e->row.long_above, &e->lng))
        return GB_EINVAL;
    json_t *mo = json_object_get(m, "max_output_tokens");
    if (mo && (!json_is_integer(mo) || json_integer_value(mo) < 0)) {
        char pm[640];
        sub(pm, sizeof pm, path, "max_output_tokens");
        return bad(c, pm, "expected a whole number of tokens >= 0, not %s", type_name(mo));
    }
    if (mo)
        e->row.max_output_tokens = json_integer_value(mo);
    if (read_tiers(c, path, m, p, &e->row) || read_confirmed(c, path, m, &e->row.confirmed) ||
        want_date(c, path, m, "date", 1, &e->row.date) ||
        want_string(c, path, m, "source", 1, &e->row.source) ||
        want_string(c, path, m, "note", 0, &e->row.note) || read_changes(c, path, m, e))
        return GB_EINVAL;
    json_t *al = json_object_get(m, "aliases");
    if (al) {
        char pa[640];
        sub(pa, sizeof pa, path, "aliases");
        size_t i;
        json_t *v;
        if (!json_is_array(al))
            return bad(c, pa, "expected an array of model names, not %s", type_name(al));
        json_array_foreach(al, i, v) {
            if (!json_is_string(v) || !json_string_length(v) || strchr(json_string_value(v), '/'))
                return bad(c, pa, "item %zu: expected a model name", i);
        }
        e->aliases = al;
    }
    set_rates(&e->row, &e->base, &e->lng);
    return 0;
}

/* ---- the table ------------------------------------------------------------------ */

static const char *const top_keys[] = {"schema", "about", "currency", "per_tokens", "updated",
                                       "tiers", "unpriced", "models", NULL};
static const char *const tier_keys[] = {"multiplier", "cached_multiplier", "date", "source",
                                        "confirmed", NULL};

static int read_tier_table(const struct ctx *c, const json_t *doc, struct prices *p)
{
    json_t *tiers = json_object_get(doc, "tiers");
    if (!json_is_object(tiers))
        return bad(c, "/tiers", "expected an object with standard, flex, priority and batch");
    const char *k;
    json_t *v;
    json_object_foreach(tiers, k, v) {
        enum tier t;
        if (tier_parse(k, &t) || strcmp(k, tier_name(t)))
            return bad(c, "/tiers", "unknown tier \"%s\"; expected standard, flex, priority, "
                                    "batch", k);
    }
    for (int t = 0; t < TIER_N; t++) {
        char path[64];
        sub(path, sizeof path, "/tiers", tier_name((enum tier)t));
        json_t *o = json_object_get(tiers, tier_name((enum tier)t));
        if (!json_is_object(o))
            return bad(c, path, "missing: give its \"multiplier\" of the standard rates");
        if (only_keys(c, path, o, tier_keys,
                      "multiplier, cached_multiplier, date, source, confirmed"))
            return GB_EINVAL;
        char pm[96];
        sub(pm, sizeof pm, path, "multiplier");
        json_t *mv = json_object_get(o, "multiplier");
        if (!mv)
            return bad(c, path, "\"multiplier\" is missing");
        if (want_number(c, pm, mv, &p->mult[t]))
            return GB_EINVAL;
        p->cached_mult[t] = p->mult[t];
        json_t *cm = json_object_get(o, "cached_multiplier");
        sub(pm, sizeof pm, path, "cached_multiplier");
        if (cm && want_number(c, pm, cm, &p->cached_mult[t]))
            return GB_EINVAL;
        if (want_date(c, path, o, "date", 0, NULL) || want_string(c, path, o, "source", 0, NULL))
            return GB_EINVAL;
        json_t *cf = json_object_get(o, "confirmed");
        sub(pm, sizeof pm, path, "confirmed");
        if (cf && !json_is_array(cf))
            return bad(c, pm, "expected an array of field names, not %s", type_name(cf));
    }
    if (p->mult[TIER_STANDARD] != 1 || p->cached_mult[TIER_STANDARD] != 1)
        return bad(c, "/tiers/standard", "the standard multipliers are 1 (the rates themselves)");
    return 0;
}

static int read_header(const struct ctx *c, const json_t *doc)
{
    if (!json_is_object(doc))
        return bad(c, "/", "expected an object with \"schema\", \"tiers\" and \"models\", not %s",
                   type_name(doc));
    if (only_keys(c, "/", doc, top_keys,
                  "schema, about, currency, per_tokens, updated, tiers, unpriced, models"))
        return GB_EINVAL;
    long long schema;
    if (jx_int(doc, "schema", &schema) || schema != 1)
        return bad(c, "/schema", "expected 1 (the only version this gembatch reads)");
    json_t *cur = json_object_get(doc, "currency");
    if (cur && (!json_is_string(cur) || strcmp(json_string_value(cur), "USD")))
        return bad(c, "/currency", "expected \"USD\" (gembatch counts in US dollars)");
    long long per;
    if (json_object_get(doc, "per_tokens") && (jx_int(doc, "per_tokens", &per) || per != 1000000))
        return bad(c, "/per_tokens", "expected 1000000 (rates are per million tokens)");
    if (want_date(c, "", doc, "updated", 0, NULL))
        return GB_EINVAL;
    json_t *up = json_object_get(doc, "unpriced");
    if (up) {
        if (!json_is_object(up))
            return bad(c, "/unpriced", "expected an object of model name -> reason");
        const char *k;
        json_t *v;
        json_object_foreach(up, k, v) {
            if (!json_is_string(v)) {
                char p[600];
                sub(p, sizeof p, "/unpriced", k);
                return bad(c, p, "expected the reason as a string, not %s", type_name(v));
            }
        }
    }
    return 0;
}

/* A name (model or alias) may mean one thing only. */
static int check_names(const struct ctx *c, const struct prices *p)
{
    for (size_t i = 0; i < p->nmodels; i++) {
        const struct model_ent *e = &p->models[i];
        char path[600];
        sub(path, sizeof path, "/models", e->name);
        if (p->unpriced && json_object_get(p->unpriced, e->name))
            return bad(c, path, "also listed under /unpriced");
        size_t k;
        json_t *a;
        json_array_foreach(e->aliases, k, a) {
            const char *al = json_string_value(a);
            if (p->unpriced && json_object_get(p->unpriced, al))
                return bad(c, path, "alias \"%s\" is also listed under /unpriced", al);
            for (size_t j = 0; j < p->nmodels; j++) {
                if (!strcmp(p->models[j].name, al))
                    return bad(c, path, "alias \"%s\" is a model of its own", al);
                size_t q;
                json_t *b;
                json_array_foreach(p->models[j].aliases, q, b) {
                    if ((j != i || q != k) && !strcmp(json_string_value(b), al))
                        return bad(c, path, "alias \"%s\" is listed twice", al);
                }
            }
        }
    }
    return 0;
}

static int read_table(const struct ctx *c, struct prices *p)
{
    if (read_header(c, p->doc) || read_tier_table(c, p->doc, p))
        return GB_EINVAL;
    p->unpriced = jx_obj(p->doc, "unpriced");
    json_t *models = json_object_get(p->doc, "models");
    if (!json_is_object(models) || !json_object_size(models))
        return bad(c, "/models", "expected an object of model name -> rates, with one at least");
    if (json_object_size(models) > MAX_MODELS)
        return bad(c, "/models", "more than %d models", MAX_MODELS);
    p->models = calloc(json_object_size(models), sizeof *p->models);
    if (!p->models)
        return GB_FAIL(c->err, GB_ENOMEM, "out of memory reading the price table");
    const char *k;
    json_t *v;
    json_object_foreach(models, k, v) {
        p->nmodels++; /* counted first: prices_free frees its changes on failure */
        if (read_model(c, p, k, v, &p->models[p->nmodels - 1]))
            return GB_EINVAL;
    }
    return check_names(c, p);
}

static int load_doc(json_t *doc, const char *origin, struct prices **out, struct gb_err *err)
{
    struct prices *p = calloc(1, sizeof *p);
    int rc = GB_ENOMEM;
    if (!p || !(p->origin = strdup(origin))) {
        rc = GB_FAIL(err, GB_ENOMEM, "out of memory reading the price table");
        goto fail;
    }
    p->doc = doc;
    doc = NULL;
    struct ctx c = {origin, err};
    rc = read_table(&c, p);
    if (rc)
        goto fail;
    *out = p;
    return 0;
fail:
    json_decref(doc);
    prices_free(p);
    *out = NULL;
    return rc;
}

int prices_load_mem(const char *buf, size_t len, const char *origin, struct prices **out,
                    struct gb_err *err)
{
    json_error_t je;
    *out = NULL;
    json_t *doc = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        GB_FAIL(err, GB_EINVAL, "%s", je.text);
        gb_err_at(err, origin, je.line > 0 ? je.line : 0, je.column > 0 ? je.column : 0);
        return GB_EINVAL;
    }
    return load_doc(doc, origin, out, err);
}

int prices_load(const char *path, struct prices **out, struct gb_err *err)
{
    *out = NULL;
    if (!path)
        return prices_load_mem((const char *)prices_builtin, prices_builtin_len, "built-in",
                               out, err);
    json_t *doc = jx_load_file(path, err);
    if (!doc)
        return err ? err->code : GB_EINVAL;
    return load_doc(doc, path, out, err);
}

void prices_free(struct prices *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->nmodels; i++)
        free(p->models[i].changes);
    free(p->models);
    json_decref(p->doc);
    free(p->origin);
    free(p);
}

const char *prices_origin(const struct prices *p)
{
    return p->origin;
}

const json_t *prices_json(const struct prices *p)
{
    return p->doc;
}

size_t prices_count(const struct prices *p)
{
    return p->nmodels;
}

const char *prices_model(const struct prices *p, size_t i)
{
    return i < p->nmodels ? p->models[i].name : NULL;
}

/* ---- lookup --------------------------------------------------------------------- */

static const char *bare(const char *model)
{
    return strncmp(model, "models/", 7) ? model : model + 7;
}

static const struct model_ent *find_ent(const struct prices *p, const char *name)
{
    for (size_t i = 0; i < p->nmodels; i++)
        if (!strcmp(p->models[i].name, name))
            return &p->models[i];
    for (size_t i = 0; i < p->nmodels; i++) {
        size_t k;
        json_t *a;
        json_array_foreach(p->models[i].aliases, k, a) {
            if (!strcmp(json_string_value(a), name))
                return &p->models[i];
        }
    }
    return NULL;
}

static void unknown_row(struct price_row *row)
{
    memset(row, 0, sizeof *row);
    for (int i = 0; i < PR_N; i++)
        row->rate[i] = row->long_rate[i] = NAN;
    for (int t = 0; t < TIER_N; t++)
        row->mult[t] = row->cached_mult[t] = NAN;
    row->max_output_tokens = -1;
}

int prices_find(const struct prices *p, const char *model, time_t at, struct price_row *row)
{
    const struct model_ent *e = model ? find_ent(p, bare(model)) : NULL;
    if (!e) {
        unknown_row(row);
        return GB_ENOENT;
    }
    *row = e->row;
    for (size_t i = e->nchanges; i-- > 0;)
        if (e->changes[i].from <= at) {
            set_rates(row, &e->changes[i].base, &e->changes[i].lng);
            row->since = e->changes[i].from_s;
            break;
        }
    return 0;
}

const char *prices_unpriced(const struct prices *p, const char *model)
{
    return model && p->unpriced ? jx_str(p->unpriced, bare(model)) : NULL;
}

/* ---- pricing -------------------------------------------------------------------- */

static long long nn(long long v)
{
    return v > 0 ? v : 0;
}

/* tokens x rate, where no tokens cost nothing even without a rate */
static double term(long long tokens, double rate)
{
    return tokens ? (double)tokens * rate : 0;
}

static int tier_ok(const struct price_row *row, enum tier tier)
{
    return row && row->known && (unsigned)tier < TIER_N && !isnan(row->mult[tier]) &&
           !isnan(row->cached_mult[tier]);
}

/* Input side in USD x 1e6 (before multipliers): uncached and cached parts. */
static void input_cost(const double *r, const struct usage *u, int with_cache, double *uncached,
                       double *cached)
{
    long long prompt = nn(u->input) + nn(u->tool);
    long long in[USAGE_NMOD], ca[USAGE_NMOD] = {0}, ca_other = 0, un_other = 0;
    for (int m = 1; m < USAGE_NMOD; m++) {
        in[m] = nn(u->input_by[m]) + nn(u->tool_by[m]);
        ca[m] = with_cache ? nn(u->cached_by[m]) : 0;
        ca_other += ca[m];
    }
    /* the total, unless the breakdown says more */
    long long cached_all = 0;
    if (with_cache) {
        cached_all = nn(u->cached);
        if (cached_all < ca_other + nn(u->cached_by[USAGE_TEXT]))
            cached_all = ca_other + nn(u->cached_by[USAGE_TEXT]);
    }
    ca[USAGE_TEXT] = cached_all - ca_other;
    *uncached = *cached = 0;
    for (int m = 1; m < USAGE_NMOD; m++) {
        long long un = nn(in[m] - ca[m]);
        un_other += un;
        *uncached += term(un, r[m == USAGE_AUDIO ? PR_INPUT_AUDIO : PR_INPUT]);
        *cached += term(ca[m], r[m == USAGE_AUDIO ? PR_CACHED_AUDIO : PR_CACHED]);
    }
    *uncached += term(nn(prompt - cached_all - un_other), r[PR_INPUT]);
    *cached += term(ca[USAGE_TEXT], r[PR_CACHED]);
}

static const double *rates_for(const struct price_row *row, const struct usage *u)
{
    long long prompt = nn(u->input) + nn(u->tool);
    return row->long_above > 0 && prompt > row->long_above ? row->long_rate : row->rate;
}

/* u at the rates r, in USD x 1e6 before multipliers: the uncached input and
 * the output (*billed), and the cache hits (*cached). */
static void usage_cost(const double *r, const struct usage *u, double *billed, double *cached)
{
    double uncached;
    input_cost(r, u, 1, &uncached, cached);
    long long img = nn(u->output_by[USAGE_IMAGE]), aud = nn(u->output_by[USAGE_AUDIO]);
    long long text = nn(nn(u->output) - img - aud) + nn(u->thought);
    *billed = uncached + term(text, r[PR_OUTPUT]) + term(img, r[PR_OUTPUT_IMAGE]) +
              term(aud, r[PR_OUTPUT_AUDIO]);
}

double price_usage(const struct price_row *row, enum tier tier, const struct usage *u)
{
    if (!tier_ok(row, tier) || !u)
        return NAN;
    double billed, cached;
    usage_cost(rates_for(row, u), u, &billed, &cached);
    return (billed * row->mult[tier] + cached * row->cached_mult[tier]) / PER_TOKENS;
}

const char *price_unknown_why(const struct price_row *row, enum tier tier, const struct usage *u,
                              char *buf, size_t n)
{
    if (!row || !row->known) {
        snprintf(buf, n, "is not in the price table");
        return buf;
    }
    if ((unsigned)tier >= TIER_N || isnan(row->mult[tier]) || isnan(row->cached_mult[tier])) {
        snprintf(buf, n, "is not offered at %s", tier_name(tier));
        return buf;
    }
    if (!u)
        return NULL;
    /* the rate whose tokens make it NAN: price u with that rate alone unknown */
    const double *r = rates_for(row, u);
    for (int k = 0; k < PR_N; k++) {
        if (!isnan(r[k]))
            continue;
        double only[PR_N] = {0}, billed, cached;
        only[k] = NAN;
        usage_cost(only, u, &billed, &cached);
        if (isnan(billed) || isnan(cached)) {
            snprintf(buf, n, "has no %s rate%s", price_rate_name((enum price_rate)k),
                     r == row->long_rate ? " for a long prompt" : "");
            return buf;
        }
    }
    return NULL;
}

/* The highest uncached input rate of r; NAN when one is unknown (tokens
 * that may be of that kind have no price). */
static double top_input_rate(const double *r)
{
    double a = r[PR_INPUT], b = r[PR_INPUT_AUDIO];
    return isnan(a) || isnan(b) ? NAN : a > b ? a : b;
}

double price_worst(const struct price_row *row, enum tier tier, const struct usage *input,
                   long long max_output_tokens)
{
    if (!tier_ok(row, tier) || !input)
        return NAN;
    const double *r = rates_for(row, input);
    /* by modality at each one's rate; what no modality covers may be any of
     * them, so it goes at the highest */
    double in = 0;
    long long covered = 0;
    for (int m = 0; m < USAGE_NMOD; m++) {
        long long n = nn(input->input_by[m]) + nn(input->tool_by[m]);
        covered += n;
        in += term(n, r[m == USAGE_AUDIO ? PR_INPUT_AUDIO : PR_INPUT]);
    }
    in += term(nn(nn(input->input) + nn(input->tool) - covered), top_input_rate(r));
    long long cap = max_output_tokens > 0 ? max_output_tokens : row->max_output_tokens;
    if (cap < 0)
        return NAN;
    double out = 0;
    if (cap > 0) {
        double best = NAN; /* stays NAN when the row has no output rate at all */
        for (int k = PR_OUTPUT; k <= PR_OUTPUT_AUDIO; k++)
            if (!isnan(r[k]) && (isnan(best) || r[k] > best))
                best = r[k];
        out = term(cap, best);
    }
    return (in + out) * row->mult[tier] / PER_TOKENS;
}

double usd_round(double usd)
{
    return isfinite(usd) ? round(usd * 1e12) / 1e12 : usd;
}

json_t *usd_json(double usd)
{
    return isnan(usd) ? json_null() : json_real(usd_round(usd));
}
