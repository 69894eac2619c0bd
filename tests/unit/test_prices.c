/* test_prices.c: the price table and pricing. tests/data/prices/test.json has
 * round rates, so each expected cost below is worked out by hand in its
 * comment; tests/data/prices/bad/ holds broken tables, each beside the message
 * (.err) it must give. The built-in table must price every model the sample
 * pipelines and the emulator name, or say why it cannot. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "jsonx.h"
#include "prices.h"

#define DATA "tests/data/prices"
#define EPS 1e-12

static struct prices *load_test(void)
{
    struct prices *p = NULL;
    struct gb_err err = {0};
    char msg[2048];
    int rc = prices_load(DATA "/test.json", &p, &err);
    cr_assert_eq(rc, 0, "%s", gb_err_str(&err, msg, sizeof msg));
    return p;
}

static struct price_row row_of(const struct prices *p, const char *model)
{
    struct price_row r;
    cr_assert_eq(prices_find(p, model, 1796083200 /* 2026-12-01 */, &r), 0, "%s", model);
    return r;
}

static void expect_usd(double got, double want)
{
    cr_expect(fabs(got - want) < EPS, "expected %.9f USD, got %.9f", want, got);
}

/* ---- one answered request -------------------------------------------------- */

Test(prices, text_input_output_and_thinking)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 1000, .output = 100, .thought = 50};
    /* 1000 x 1.00 + (100 + 50 thinking) x 10.00 = 2500 per 1M */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.0025);
    prices_free(p);
}

Test(prices, each_tier_multiplies)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 1000, .output = 100};
    /* standard 1000 + 1000 = 2000 per 1M */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.002);
    expect_usd(price_usage(&r, TIER_FLEX, &u), 0.001);
    expect_usd(price_usage(&r, TIER_BATCH, &u), 0.001);
    expect_usd(price_usage(&r, TIER_PRIORITY, &u), 0.004);
    prices_free(p);
}

Test(prices, cached_input_at_the_cache_rate)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 1000, .cached = 400};
    /* 600 uncached x 1.00 + 400 x 0.10 = 640 per 1M */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.00064);
    /* flex halves both (cached_multiplier defaults to multiplier): 320 */
    expect_usd(price_usage(&r, TIER_FLEX, &u), 0.00032);
    /* batch halves input but prices cache hits as standard: 300 + 40 */
    expect_usd(price_usage(&r, TIER_BATCH, &u), 0.00034);
    prices_free(p);
}

Test(prices, audio_input_and_audio_cache_hits)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 1000};
    u.input_by[USAGE_AUDIO] = 600;
    u.input_by[USAGE_TEXT] = 400;
    /* 400 x 1.00 + 600 x 3.00 = 2200 */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.0022);
    u.cached = 200;
    u.cached_by[USAGE_AUDIO] = 200;
    /* text 400 x 1.00 + audio 400 x 3.00 + cached audio 200 x 0.30 = 1660 */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.00166);
    prices_free(p);
}

Test(prices, breakdown_short_of_the_total_is_text)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 900};
    u.input_by[USAGE_IMAGE] = 500; /* no text entry: the other 400 are text */
    u.input_by[USAGE_VIDEO] = 100;
    /* image, video and text all at 1.00: 900 */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.0009);
    /* cached tokens named only by modality still leave the total whole:
     * input 900 of which image 500 cached (no breakdown of input at all) */
    struct usage v = {.input = 900, .cached = 500};
    v.cached_by[USAGE_IMAGE] = 500;
    /* 400 uncached text x 1.00 + 500 cached x 0.10 = 450 */
    expect_usd(price_usage(&r, TIER_STANDARD, &v), 0.00045);
    prices_free(p);
}

Test(prices, long_prompt_rate_above_the_threshold)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage at = {.input = 1000, .output = 100};
    /* exactly at the threshold: normal rates, 1000 + 1000 */
    expect_usd(price_usage(&r, TIER_STANDARD, &at), 0.002);
    struct usage above = {.input = 1001, .output = 100};
    /* 1001 x 2.00 + 100 x 15.00 = 3502 */
    expect_usd(price_usage(&r, TIER_STANDARD, &above), 0.003502);
    /* tool-use tokens are prompt too: 900 + 200 = 1100 > 1000 */
    struct usage tools = {.input = 900, .tool = 200, .cached = 100};
    /* 1000 uncached x 2.00 + 100 cached x 0.20 = 2020 */
    expect_usd(price_usage(&r, TIER_STANDARD, &tools), 0.00202);
    /* audio keeps its own rate above the threshold (long has no input_audio) */
    struct usage audio = {.input = 2000};
    audio.input_by[USAGE_AUDIO] = 2000;
    expect_usd(price_usage(&r, TIER_STANDARD, &audio), 0.006);
    /* and the long rate is multiplied like any other: priority 2x */
    expect_usd(price_usage(&r, TIER_PRIORITY, &above), 0.007004);
    prices_free(p);
}

Test(prices, image_output_at_its_rate)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = 10, .output = 1300};
    u.output_by[USAGE_IMAGE] = 1290;
    /* 10 x 1.00 + 10 text x 10.00 + 1290 x 100.00 = 129110 */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.12911);
    prices_free(p);
}

Test(prices, no_rate_for_tokens_present_is_unknown)
{
    struct prices *p = load_test();
    struct price_row nc = row_of(p, "m-nocache");
    struct usage u = {.input = 100, .output = 10};
    expect_usd(price_usage(&nc, TIER_STANDARD, &u), 0.00012);
    u.cached = 10;
    cr_expect(isnan(price_usage(&nc, TIER_STANDARD, &u)), "cached tokens, no cache price");
    struct price_row na = row_of(p, "m-noaudio");
    struct usage a = {.input = 100};
    expect_usd(price_usage(&na, TIER_STANDARD, &a), 0.0001);
    a.input_by[USAGE_AUDIO] = 1;
    cr_expect(isnan(price_usage(&na, TIER_STANDARD, &a)), "audio tokens, audio price null");
    struct price_row t = row_of(p, "m-nocache");
    struct usage img = {.input = 1, .output = 1290};
    img.output_by[USAGE_IMAGE] = 1290;
    cr_expect(isnan(price_usage(&t, TIER_STANDARD, &img)), "image output, no image price");
    prices_free(p);
}

Test(prices, absent_audio_rate_follows_input)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-nocache");
    cr_expect_eq(r.rate[PR_INPUT_AUDIO], r.rate[PR_INPUT]);
    struct usage a = {.input = 100};
    a.input_by[USAGE_AUDIO] = 100;
    expect_usd(price_usage(&r, TIER_STANDARD, &a), 0.0001);
    prices_free(p);
}

Test(prices, tier_not_offered_is_unknown)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-nocache");
    struct usage u = {.input = 100, .output = 10};
    cr_expect(isnan(price_usage(&r, TIER_FLEX, &u)));
    cr_expect(isnan(price_usage(&r, TIER_PRIORITY, &u)));
    expect_usd(price_usage(&r, TIER_BATCH, &u), 0.00006);
    prices_free(p);
}

Test(prices, unknown_models_are_never_guessed)
{
    struct prices *p = load_test();
    struct price_row r;
    struct usage u = {.input = 100, .output = 10};
    const char *const unknown[] = {"m-other", "m-text-001", "m-text-latest", "m-nocache-002",
                                   "M-TEXT", "models/m-other", "", "m-latest"};
    for (size_t i = 0; i < sizeof unknown / sizeof unknown[0]; i++) {
        cr_expect_eq(prices_find(p, unknown[i], 0, &r), GB_ENOENT, "%s", unknown[i]);
        cr_expect_eq(r.known, 0);
        cr_expect(isnan(price_usage(&r, TIER_STANDARD, &u)), "%s", unknown[i]);
        cr_expect(isnan(price_worst(&r, TIER_STANDARD, &u, 10)), "%s", unknown[i]);
    }
    cr_expect(isnan(price_usage(NULL, TIER_STANDARD, &u)));
    cr_expect_str_eq(prices_unpriced(p, "m-latest"), "a moving alias");
    cr_expect_str_eq(prices_unpriced(p, "models/m-latest"), "a moving alias");
    cr_expect_null(prices_unpriced(p, "m-text"));
    prices_free(p);
}

Test(prices, prefix_and_listed_aliases_only)
{
    struct prices *p = load_test();
    struct price_row r;
    cr_expect_eq(prices_find(p, "models/m-text", 0, &r), 0);
    cr_expect_str_eq(r.model, "m-text");
    cr_expect_eq(prices_find(p, "m-nocache-001", 0, &r), 0);
    cr_expect_str_eq(r.model, "m-nocache");
    cr_expect_eq(prices_find(p, "models/m-nocache-001", 0, &r), 0);
    cr_expect_str_eq(r.model, "m-nocache");
    prices_free(p);
}

Test(prices, dated_changes_apply_from_their_day)
{
    struct prices *p = load_test();
    struct price_row r;
    struct usage u = {.input = 100, .output = 10};
    cr_assert_eq(prices_find(p, "m-dated", 1798761599 /* 2026-12-31 23:59:59 UTC */, &r), 0);
    cr_expect_null(r.since);
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.00012); /* 100 x 1 + 10 x 2 */
    cr_assert_eq(prices_find(p, "m-dated", 1798761600 /* 2027-01-01 */, &r), 0);
    cr_expect_str_eq(r.since, "2027-01-01");
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.00042); /* 100 x 4 + 10 x 2 */
    cr_expect_eq(r.long_rate[PR_INPUT], 5.0); /* the change left the long rate */
    cr_assert_eq(prices_find(p, "m-dated", 1811808000 /* 2027-06-01 */, &r), 0);
    cr_expect_str_eq(r.since, "2027-06-01");
    /* the second change builds on the first: input 4, output 8, long input 9 */
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.00048);
    struct usage l = {.input = 101};
    expect_usd(price_usage(&r, TIER_STANDARD, &l), 0.000909);
    /* flex halves the changed rates too */
    expect_usd(price_usage(&r, TIER_FLEX, &u), 0.00024);
    prices_free(p);
}

/* ---- the worst case of a request about to be sent ------------------------------- */

Test(prices, worst_case_input_plus_max_output)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage in = {.input = 1000, .input_by[USAGE_TEXT] = 1000};
    /* 1000 x 1.00 + 100 x 100.00 (the highest output rate: image) = 11000 */
    expect_usd(price_worst(&r, TIER_STANDARD, &in, 100), 0.011);
    /* no max_output_tokens in the request: the row's cap, 1000 x 100.00 */
    expect_usd(price_worst(&r, TIER_STANDARD, &in, 0), 0.101);
    /* flex: half */
    expect_usd(price_worst(&r, TIER_FLEX, &in, 100), 0.0055);
    /* audio input at the audio rate: 1000 x 3.00 + 100 x 100.00 */
    struct usage au = {.input = 1000, .input_by[USAGE_AUDIO] = 1000};
    expect_usd(price_worst(&r, TIER_STANDARD, &au, 100), 0.013);
    /* a long prompt: 1001 x 2.00 + 10 x 100.00 (image keeps its rate) */
    struct usage big = {.input = 1001, .input_by[USAGE_TEXT] = 1001};
    expect_usd(price_worst(&r, TIER_STANDARD, &big, 10), 0.003002);
    prices_free(p);
}

Test(prices, worst_case_prices_input_of_no_known_modality_at_the_highest_rate)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    /* 600 text x 1.00 + 400 of no breakdown x 3.00 (audio's, the highest) + 10 x 100.00 */
    struct usage in = {.input = 1000, .input_by[USAGE_TEXT] = 600};
    expect_usd(price_worst(&r, TIER_STANDARD, &in, 10), 0.0028);
    /* tool-use tokens are input too: 600 text x 1.00 + 200 tool audio x 3.00 + the
     * other 100 x 3.00 + 10 x 100.00 */
    struct usage tl = {.input = 700, .input_by[USAGE_TEXT] = 600, .tool = 200,
                       .tool_by[USAGE_AUDIO] = 200};
    expect_usd(price_worst(&r, TIER_STANDARD, &tl, 10), 0.0025);
    /* with no audio rate, tokens that may be audio cannot be bounded */
    struct price_row na = row_of(p, "m-noaudio");
    struct usage any = {.input = 10};
    cr_expect(isnan(price_worst(&na, TIER_STANDARD, &any, 10)));
    struct usage text = {.input = 10, .input_by[USAGE_TEXT] = 10};
    expect_usd(price_worst(&na, TIER_STANDARD, &text, 10), 0.00003); /* 10 + 10 x 2 */
    prices_free(p);
}

Test(prices, worst_case_needs_a_cap)
{
    struct prices *p = load_test();
    struct price_row nc = row_of(p, "m-nocache"); /* no max_output_tokens */
    struct usage in = {.input = 100};
    cr_expect(isnan(price_worst(&nc, TIER_STANDARD, &in, 0)));
    expect_usd(price_worst(&nc, TIER_STANDARD, &in, 50), 0.0002); /* 100 + 50 x 2 */
    struct price_row em = row_of(p, "m-embed"); /* cap 0 stated, no output rate */
    expect_usd(price_worst(&em, TIER_STANDARD, &in, 0), 0.00002);
    cr_expect(isnan(price_worst(&em, TIER_STANDARD, &in, 10)), "output asked, no rate");
    cr_expect(isnan(price_worst(&nc, TIER_FLEX, &in, 50)), "tier not offered");
    prices_free(p);
}

Test(prices, why_a_cost_is_unknown)
{
    struct prices *p = load_test();
    char b[200];
    struct price_row unk;
    cr_assert_eq(prices_find(p, "m-nowhere", 1796083200, &unk), GB_ENOENT);
    struct usage u = {.input = 10, .output = 10};
    cr_expect_str_eq(price_unknown_why(&unk, TIER_STANDARD, &u, b, sizeof b),
                     "is not in the price table");
    struct price_row nc = row_of(p, "m-nocache");
    cr_expect_str_eq(price_unknown_why(&nc, TIER_FLEX, &u, b, sizeof b), "is not offered at flex");
    cr_expect_null(price_unknown_why(&nc, TIER_STANDARD, &u, b, sizeof b));
    struct usage hit = {.input = 10, .cached = 5};
    cr_expect_str_eq(price_unknown_why(&nc, TIER_STANDARD, &hit, b, sizeof b),
                     "has no cached_input rate");
    struct price_row na = row_of(p, "m-noaudio");
    struct usage au = {.input = 10, .input_by[USAGE_AUDIO] = 10};
    cr_expect(isnan(price_usage(&na, TIER_STANDARD, &au)));
    cr_expect_str_eq(price_unknown_why(&na, TIER_STANDARD, &au, b, sizeof b),
                     "has no input_audio rate");
    struct price_row em = row_of(p, "m-embed");
    cr_expect_str_eq(price_unknown_why(&em, TIER_STANDARD, &u, b, sizeof b), "has no output rate");
    prices_free(p);
}

Test(prices, negative_counts_from_a_server_count_as_zero)
{
    struct prices *p = load_test();
    struct price_row r = row_of(p, "m-text");
    struct usage u = {.input = -5, .output = 100, .cached = -3, .thought = -1};
    expect_usd(price_usage(&r, TIER_STANDARD, &u), 0.001);
    prices_free(p);
}

/* ---- loading and validation ------------------------------------------------------- */

Test(prices, bad_tables_say_where)
{
    DIR *d = opendir(DATA "/bad");
    cr_assert_not_null(d);
    struct dirent *de;
    int n = 0;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
            continue;
        char path[512], errpath[512], want[512] = "", got[2048];
        snprintf(path, sizeof path, DATA "/bad/%s", de->d_name);
        snprintf(errpath, sizeof errpath, DATA "/bad/%.*s.err", (int)(len - 5), de->d_name);
        FILE *f = fopen(errpath, "r");
        cr_assert_not_null(f, "no %s", errpath);
        cr_assert_not_null(fgets(want, sizeof want, f));
        fclose(f);
        want[strcspn(want, "\n")] = '\0';
        struct prices *p = NULL;
        struct gb_err err = {0};
        int rc = prices_load(path, &p, &err);
        cr_expect_eq(rc, GB_EINVAL, "%s loaded", path);
        cr_expect_null(p);
        gb_err_str(&err, got, sizeof got);
        cr_expect(strstr(got, want) != NULL, "%s:\n  got  '%s'\n  want '%s'", path, got, want);
        cr_expect_eq(strncmp(got, path, strlen(path)), 0, "the message names the file: %s", got);
        n++;
    }
    closedir(d);
    cr_expect_geq(n, 20);
}

Test(prices, missing_file_is_enoent)
{
    struct prices *p = NULL;
    struct gb_err err = {0};
    cr_expect_eq(prices_load(DATA "/no-such.json", &p, &err), GB_ENOENT);
    cr_expect_null(p);
}

/* ---- the built-in table ------------------------------------------------------------ */

static void expect_priced_or_explained(const struct prices *p, const char *model,
                                       const char *where)
{
    struct price_row r;
    if (prices_find(p, model, 0, &r) == 0) {
        cr_expect(!isnan(r.rate[PR_INPUT]), "%s (%s): no input price", model, where);
        cr_expect(r.date && r.source, "%s", model);
    } else {
        cr_expect_not_null(prices_unpriced(p, model), "%s (%s) is neither priced nor "
                                                      "listed under unpriced",
                           model, where);
    }
}

static void models_of(const json_t *v, const struct prices *p, const char *where)
{
    if (json_is_object(v)) {
        const char *k;
        json_t *c;
        json_object_foreach((json_t *)v, k, c) {
            if ((!strcmp(k, "model") || !strcmp(k, "agent")) && json_is_string(c))
                expect_priced_or_explained(p, json_string_value(c), where);
            models_of(c, p, where);
        }
    } else if (json_is_array(v)) {
        size_t i;
        json_t *c;
        json_array_foreach(v, i, c) models_of(c, p, where);
    }
}

Test(prices, builtin_prices_every_model_in_use)
{
    struct prices *p = NULL;
    struct gb_err err = {0};
    char msg[2048];
    cr_assert_eq(prices_load(NULL, &p, &err), 0, "%s", gb_err_str(&err, msg, sizeof msg));
    cr_expect_str_eq(prices_origin(p), "built-in");
    cr_expect_geq(prices_count(p), 20);
    /* the sample pipelines */
    DIR *d = opendir("pipelines");
    cr_assert_not_null(d);
    struct dirent *de;
    while ((de = readdir(d))) {
        size_t len = strlen(de->d_name);
        if (len < 6 || strcmp(de->d_name + len - 5, ".json"))
            continue;
        char path[512];
        snprintf(path, sizeof path, "pipelines/%s", de->d_name);
        json_t *v = jx_load_file(path, NULL);
        cr_assert_not_null(v, "%s", path);
        models_of(v, p, path);
        json_decref(v);
    }
    closedir(d);
    /* the emulator's models (src/emu_request.c known_models) */
    const char *const emu[] = {
        "gemini-2.5-pro", "gemini-2.5-flash", "gemini-2.5-flash-lite", "gemini-3-pro-preview",
        "gemini-3-flash-preview", "gemini-3-pro-image-preview", "gemini-2.5-flash-image",
        "gemini-2.5-flash-image-preview", "gemini-2.0-flash", "gemini-2.0-flash-001",
        "gemini-2.0-flash-lite", "gemini-2.0-flash-lite-001", "gemini-2.5-flash-preview-09-2025",
        "gemini-2.5-flash-lite-preview-09-2025", "gemini-flash-latest", "gemini-flash-lite-latest",
        "gemini-pro-latest", "gemini-2.5-flash-preview-tts", "gemini-2.5-pro-preview-tts",
        "deep-research-pro-preview-12-2025", "deep-research-preview-04-2026"};
    for (size_t i = 0; i < sizeof emu / sizeof emu[0]; i++)
        expect_priced_or_explained(p, emu[i], "emulator");
    /* the figures the sample pipelines run on, as the reference gives them */
    struct price_row r;
    cr_assert_eq(prices_find(p, "gemini-2.5-flash", 0, &r), 0);
    cr_expect_eq(r.rate[PR_INPUT], 0.30);
    cr_expect_eq(r.rate[PR_INPUT_AUDIO], 1.00);
    cr_expect_eq(r.rate[PR_OUTPUT], 2.50);
    cr_expect_eq(r.mult[TIER_FLEX], 0.5);
    cr_expect_eq(r.mult[TIER_PRIORITY], 1.8);
    cr_assert_eq(prices_find(p, "gemini-2.5-pro", 0, &r), 0);
    cr_expect_eq(r.long_above, 200000);
    cr_expect_eq(r.long_rate[PR_OUTPUT], 15.00);
    prices_free(p);
}

/* Money is printed as it would be written: a sum that floats to
 * 0.00021103799999999998 is stored as 0.000211038; unknown is null. */
Test(prices, usd_is_rounded_to_the_picodollar_and_unknown_is_null)
{
    cr_expect_eq(usd_round(0.00021103799999999998), 0.000211038);
    cr_expect_eq(usd_round(0.1 + 0.2), 0.3);
    cr_expect_eq(usd_round(13.0846), 13.0846);
    cr_expect_eq(usd_round(0), 0);
    cr_expect(isnan(usd_round(NAN)));
    json_t *u = usd_json(NAN);
    cr_expect(json_is_null(u));
    json_decref(u);
    u = usd_json(0.0034633499999999996);
    char *s = json_dumps(u, JSON_ENCODE_ANY | JSON_REAL_PRECISION(15));
    cr_expect_str_eq(s, "0.00346335");
    free(s);
    json_decref(u);
}
