/* test_run_cost.c: what a create reserves under --max-cost (run_cost.c) is a
 * ceiling on what it can be billed: audio at the audio rate, a follow-up's
 * carried conversation (the earlier turns' input and answers, billed again
 * as input), max_output_tokens at the output rate; and what cannot be
 * measured (media given as data or uri) is not sent. Prices are the
 * built-in table's gemini-2.5-flash: input 0.30, audio 1.00, output 2.50
 * USD per 1M tokens. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "run_int.h"

#define NONCE "n0nce"

struct fixture {
    char wav[64];
    struct config cfg;
    struct pipeline pipe;
    struct run r;
    struct job job;
    struct task t;
};

/* A WAV of `seconds` of 8 kHz 8-bit mono: 8000 bytes a second. */
static void write_wav(const char *path, int seconds)
{
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    unsigned n = 8000u * (unsigned)seconds;
    unsigned char h[44] = "RIFF....WAVEfmt ";
    unsigned riff = 36 + n, fmt = 16, rate = 8000, data = n;
    memcpy(h + 4, &riff, 4);
    memcpy(h + 16, &fmt, 4);
    h[20] = 1; /* PCM */
    h[22] = 1; /* mono */
    memcpy(h + 24, &rate, 4);
    memcpy(h + 28, &rate, 4); /* bytes a second */
    h[32] = 1;                /* block align */
    h[34] = 8;                /* bits */
    memcpy(h + 36, "data", 4);
    memcpy(h + 40, &data, 4);
    cr_assert_eq(fwrite(h, 1, 44, f), 44);
    for (unsigned i = 0; i < n; i++)
        fputc(0x80, f);
    fclose(f);
}

static void setup_cost(struct fixture *f, double limit_usd, int seconds)
{
    memset(f, 0, sizeof *f);
    snprintf(f->wav, sizeof f->wav, "/tmp/gb-unit-cost.XXXXXX");
    int fd = mkstemp(f->wav);
    cr_assert(fd >= 0);
    close(fd);
    write_wav(f->wav, seconds);
    config_defaults(&f->cfg);
    f->cfg.quiet = 1;
    f->cfg.has_max_cost = 1;
    f->cfg.max_cost = (struct budget_arg){limit_usd, 0};
    f->pipe.base = json_pack("{s:s}", "model", "gemini-2.5-flash");
    f->r.cfg = &f->cfg;
    f->r.pipe = &f->pipe;
    snprintf(f->r.jctx.nonce, sizeof f->r.jctx.nonce, "%s", NONCE);
    struct gb_err e = {0};
    cr_assert_eq(cost_init(&f->r, 0, &e), 0, "%s", e.msg);
    /* the job as job.c builds it: the audio part's data is a placeholder */
    char ph[32];
    int n = snprintf(ph, sizeof ph, "%cgbm0:%s", 0, NONCE);
    f->job.req = json_pack("{s:s,s:[{s:s,s:s},{s:s,s:s,s:s%}],s:{s:i}}", "model",
                           "gemini-2.5-flash", "input", "type", "text", "text", "Transcribe.",
                           "type", "audio", "mime_type", "audio/wav", "data", ph, (size_t)n,
                           "generation_config", "max_output_tokens", 60);
    cr_assert_not_null(f->job.req);
    f->job.media = calloc(1, sizeof *f->job.media);
    f->job.media[0] = (struct media){.path = f->wav, .size = 44 + 8000u * (unsigned)seconds,
                                     .type = "audio"};
    snprintf(f->job.media[0].mime, sizeof f->job.media[0].mime, "audio/wav");
    f->job.nmedia = 1;
    f->job.store = 1;
    f->job.est_tokens = req_estimate_tokens(f->job.req, &f->job);
    f->t.job = &f->job;
    f->t.cost_known = 1;
}

static void teardown_cost(struct fixture *f)
{
    cost_free(&f->r);
    json_decref(f->t.cur_req);
    json_decref(f->job.req);
    json_decref(f->pipe.base);
    free(f->job.media);
    unlink(f->wav);
}

/* Answer the create in flight with usage (audio input, text output). */
static void answer(struct fixture *f, long long audio_in, long long text_in, long long out)
{
    struct interaction it = {0};
    it.model = "gemini-2.5-flash";
    it.has_usage = 1;
    it.usage.input = audio_in + text_in;
    it.usage.input_by[USAGE_AUDIO] = audio_in;
    it.usage.input_by[USAGE_TEXT] = text_in;
    it.usage.output = out;
    double usd = cost_answered(&f->r, &f->t, &it, NULL);
    cr_assert(!isnan(usd));
}

Test(run_cost, audio_is_reserved_at_the_audio_rate)
{
    struct fixture f;
    setup_cost(&f, 1.0, 10);
    cr_assert_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    /* 10 s of audio is 320 tokens: billed at most 320 x 1.00 + the text x 0.30 + 60 x 2.50;
     * the text is the request's bytes at most, and at least "Transcribe." */
    double floor_usd = (320 * 1.00 + 11 * 0.30 + 60 * 2.50) / 1e6;
    char *all = json_dumps(f.job.req, JSON_COMPACT);
    double text_max = (double)strlen(all) * 0.30 / 1e6;
    free(all);
    cr_expect(f.t.reserved_usd >= floor_usd, "reserved %.9f, the request can cost %.9f",
              f.t.reserved_usd, floor_usd);
    cr_expect(f.t.reserved_usd <= floor_usd + text_max, "reserved %.9f, more than %.9f",
              f.t.reserved_usd, floor_usd + text_max);
    teardown_cost(&f);
}

Test(run_cost, a_budget_that_fits_the_text_rate_but_not_the_audio_one_refuses)
{
    struct fixture f;
    /* the old reservation (the estimate at the text rate): 331 x 0.30 + 150 = 249 µUSD */
    setup_cost(&f, 0.0003, 10);
    cr_expect_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_FULL);
    teardown_cost(&f);
}

Test(run_cost, a_follow_up_reserves_the_conversation_it_carries)
{
    struct fixture f;
    setup_cost(&f, 1.0, 10);
    cr_assert_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    answer(&f, 320, 11, 60);
    /* the next step continues the stored interaction with a short prompt */
    f.t.kind = KIND_STEP;
    f.t.cur_req = json_pack("{s:s,s:s,s:s,s:{s:i}}", "model", "gemini-2.5-flash", "input",
                            "Shorter.", "previous_interaction_id", "ix_1", "generation_config",
                            "max_output_tokens", 60);
    cr_assert_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    /* billed again as input: 320 audio x 1.00, 11 text + 60 answered x 0.30; then "Shorter."
     * x 0.30 and 60 out x 2.50 */
    double floor_usd = (320 * 1.00 + (11 + 60 + 8) * 0.30 + 60 * 2.50) / 1e6;
    cr_expect(f.t.reserved_usd >= floor_usd, "reserved %.9f, the step can cost %.9f",
              f.t.reserved_usd, floor_usd);
    teardown_cost(&f);
}

Test(run_cost, a_follow_up_after_an_answer_without_usage_carries_its_ceiling)
{
    struct fixture f;
    setup_cost(&f, 1.0, 10);
    cr_assert_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    double first = f.t.reserved_usd;
    struct interaction it = {0};
    it.model = "gemini-2.5-flash"; /* no usage: its cost is unknown */
    cr_assert(isnan(cost_answered(&f.r, &f.t, &it, NULL)));
    f.t.kind = KIND_REASK;
    f.t.cur_req = json_pack("{s:s,s:s,s:s,s:{s:i}}", "model", "gemini-2.5-flash", "input",
                            "Again.", "previous_interaction_id", "ix_1", "generation_config",
                            "max_output_tokens", 60);
    cr_assert_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    /* the first request's input and answer at most, again as input (its 60 output
     * tokens at the top input rate, 1.00, not 2.50) */
    double carried_min = first - 60 * 2.50 / 1e6 + 60 * 1.00 / 1e6;
    cr_expect(f.t.reserved_usd >= carried_min + 60 * 2.50 / 1e6, "reserved %.9f", f.t.reserved_usd);
    teardown_cost(&f);
}

Test(run_cost, media_given_as_a_uri_cannot_be_bounded)
{
    struct fixture f;
    setup_cost(&f, 1.0, 1);
    json_t *parts = json_object_get(f.job.req, "input");
    json_array_append_new(parts, json_pack("{s:s,s:s}", "type", "video", "uri",
                                           "https://example.com/film.mp4"));
    const char *why = NULL;
    cr_expect_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, &why), BUDGET_UNPRICED);
    cr_assert_not_null(why);
    cr_expect(strstr(why, "\"uri\"") != NULL, "%s", why);
    /* a follow-up of the same job is not refused for it: the first request carried it */
    f.t.kind = KIND_STEP;
    cr_expect_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, NULL), BUDGET_OK);
    teardown_cost(&f);
}

Test(run_cost, a_line_continuing_a_stored_interaction_cannot_be_bounded)
{
    struct fixture f;
    setup_cost(&f, 1.0, 1);
    json_object_set_new(f.job.req, "previous_interaction_id", json_string("ix_9"));
    const char *why = NULL;
    cr_expect_eq(cost_reserve(&f.r, &f.t, TIER_STANDARD, &why), BUDGET_UNPRICED);
    cr_expect(why && strstr(why, "previous_interaction_id"), "%s", why ? why : "(null)");
    teardown_cost(&f);
}
