/* fuzz_manifest_line.c: one manifest line -> job (job_from_line) over a fixed
 * pipeline with a response_format and a {{var}} prompt, in both dialects, next
 * to a folder holding a few media files the line may name. Properties: a job
 * always comes back (a bad line is a failed job, not a crash), and a built
 * job's request body, streamed the way curl pulls it, is valid JSON of exactly
 * the announced length. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "job.h"
#include "pipeline.h"
#include "request.h"
#include "sniff.h"

static struct pipeline *pipe_;
static struct sniff sniff_;
static const char *dir_;
static unsigned char scratch_[65536];

static const char pipeline_json[] =
    "{\"name\":\"fz\",\"model\":\"gemini-2.5-flash\",\"prompt\":\"Classify {{hint}} for {{id}}\","
    "\"system_instruction\":\"Be careful.\","
    "\"response_format\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\","
    "\"enum\":[\"cat\",\"dog\"]},\"n\":{\"type\":\"integer\",\"minimum\":0}},"
    "\"required\":[\"label\"]},"
    "\"generation_config\":{\"temperature\":0.2},"
    "\"limits\":{\"concurrency\":4,\"rpm\":100,\"max_attempts\":3,\"timeout_s\":5},"
    "\"validate\":{\"reask\":1}}";

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    static const unsigned char png[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                        'I', 'H', 'D', 'R', 0, 0, 0, 1, 0, 0, 0, 1, 8, 2, 0, 0,
                                        0, 0x90, 0x77, 0x53, 0xde};
    static const char pdf[] = "%PDF-1.4\n1 0 obj << /Type /Page >> endobj\n%%EOF\n";
    static const unsigned char wav[] = {'R', 'I', 'F', 'F', 36, 0, 0, 0, 'W', 'A', 'V', 'E',
                                        'f', 'm', 't', ' ', 16, 0, 0, 0, 1, 0, 1, 0, 0x40, 0x1f,
                                        0, 0, 0x80, 0x3e, 0, 0, 2, 0, 16, 0, 'd', 'a', 't', 'a',
                                        0, 0, 0, 0};
    dir_ = fz_dir("manifest");
    fz_mkdir(dir_, "photos");
    fz_write(dir_, "a.png", png, sizeof png);
    fz_write(dir_, "photos/cat.png", png, sizeof png);
    fz_write(dir_, "doc.pdf", pdf, sizeof pdf - 1);
    fz_write(dir_, "s.wav", wav, sizeof wav);
    fz_write(dir_, "empty.png", "", 0);
    fz_write(dir_, "notes.txt", "just some text\n", 15);
    const char *pp = fz_write(dir_, "pipeline.json", pipeline_json, sizeof pipeline_json - 1);
    struct gb_err err = {0};
    if (pipe_load(pp, &pipe_, &err)) {
        fprintf(stderr, "pipeline: %s\n", err.msg);
        abort();
    }
    sniff_init(&sniff_);
    return 0;
}

/* Stream the body as curl would, in uneven pieces, and parse it. */
static void check_body(const struct job_ctx *ctx, const struct job *j, size_t piece)
{
    for (size_t i = 0; i < j->nmedia; i++)
        if (j->media[i].upload)
            return; /* would go through the Files API first */
    struct body b;
    struct gb_err err = {0};
    body_init(&b, scratch_, sizeof scratch_);
    int rc = body_from_request(&b, ctx, j->req, j, &err);
    FZ_CHECK(rc == 0, "body_from_request: %s", err.msg);
    char *text = malloc(b.total + 1);
    FZ_CHECK(text != NULL, "out of memory for %llu bytes", (unsigned long long)b.total);
    size_t got = 0;
    for (;;) {
        size_t want = piece;
        if (want > b.total + 1 - got)
            want = b.total + 1 - got;
        if (!want)
            break;
        size_t n = body_read(text + got, 1, want, &b);
        FZ_CHECK(n <= want, "body_read returned %zu for %zu", n, want);
        if (n == 0)
            break;
        got += n;
    }
    FZ_CHECK(got == b.total, "read %zu bytes, Content-Length %llu", got,
             (unsigned long long)b.total);
    json_error_t je;
    json_t *v = json_loadb(text, got, JSON_ALLOW_NUL, &je);
    FZ_CHECK(v != NULL, "request body is not JSON: %s: %.*s", je.text, (int)(got > 400 ? 400 : got),
             text);
    json_decref(v);
    free(text);
    body_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct job_ctx ctx = {0};
    ctx.pipe = pipe_;
    ctx.sniff = &sniff_;
    snprintf(ctx.nonce, sizeof ctx.nonce, "q7Zr2xVb9k");
    ctx.schemas = schema_cache_new();
    FZ_CHECK(ctx.schemas != NULL, "schema_cache_new");
    for (int d = 0; d < 2; d++) {
        ctx.dialect = d ? DIALECT_V1 : DIALECT_V1BETA;
        ctx.force_stream = d;
        ctx.model_override = d ? "gemini-2.5-pro" : NULL;
        ctx.inline_limit = d ? 600 : (uint64_t)20 << 20;
        struct job *j = job_from_line(&ctx, "fuzz.jsonl", dir_, 7, (const char *)data, size);
        FZ_CHECK(j != NULL, "job_from_line returned NULL (only for out of memory)");
        FZ_CHECK(j->id && *j->id, "job without an id");
        if (j->failed_build) {
            FZ_CHECK(j->build_err.msg[0], "failed job without a message");
        } else {
            FZ_CHECK(j->req != NULL, "built job without a request");
            (void)req_estimate_tokens(j->req, j);
            check_body(&ctx, j, 1 + (size % 4093));
        }
        job_free(j);
    }
    schema_cache_free(ctx.schemas);
    return 0;
}
