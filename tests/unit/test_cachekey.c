/* test_cachekey.c: the cache key changes with everything that determines an
 * answer (model, prompt, system instruction, schema, generation config,
 * tools, media bytes, dialect, steps) and with nothing else (media paths,
 * the id, unused vars, key order, stream/store, the run's placeholder
 * nonce); and the policy of what may be cached. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cache.h"
#include "fsx.h"
#include "job.h"
#include "pipeline.h"
#include "sha256.h"
#include "sniff.h"

static char dir[64];

static void setup_dir(void)
{
    snprintf(dir, sizeof dir, "/tmp/gb-ckey-XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static void teardown_dir(void)
{
    fsx_rm_tree(dir);
}

TestSuite(cachekey, .init = setup_dir, .fini = teardown_dir);

static char *put(const char *name, const void *data, size_t n)
{
    char *p = fsx_join(dir, name);
    FILE *f = fopen(p, "wb");
    cr_assert_not_null(f);
    fwrite(data, 1, n, f);
    fclose(f);
    return p;
}

static const unsigned char png_a[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                      'I',  'H', 'D', 'R', 0,    0,    0,    1,    0, 0, 0, 1,
                                      8,    2,   0,   0,   0,    'a'};
static const unsigned char png_b[] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 13,
                                      'I',  'H', 'D', 'R', 0,    0,    0,    1,    0, 0, 0, 1,
                                      8,    2,   0,   0,   0,    'b'};

struct fixture {
    struct pipeline *p;
    struct sniff sn;
    struct job_ctx ctx;
};

static void load(struct fixture *f, const char *pipeline_json, enum dialect d, const char *nonce)
{
    char *pp = put("p.json", pipeline_json, strlen(pipeline_json));
    struct gb_err e = {0};
    cr_assert_eq(pipe_load(pp, &f->p, &e), 0, "%s", e.msg);
    free(pp);
    sniff_init(&f->sn);
    memset(&f->ctx, 0, sizeof f->ctx);
    f->ctx.pipe = f->p;
    f->ctx.dialect = d;
    f->ctx.sniff = &f->sn;
    f->ctx.inline_limit = 20000000;
    f->ctx.schemas = schema_cache_new();
    snprintf(f->ctx.nonce, sizeof f->ctx.nonce, "%s", nonce);
}

static void unload(struct fixture *f)
{
    schema_cache_free(f->ctx.schemas);
    sniff_free(&f->sn);
    pipe_free(f->p);
}

static const char base_pipeline[] =
    "{\"name\":\"t\",\"model\":\"gemini-2.5-flash\",\"prompt\":\"Label it. {{hint}}\","
    "\"system_instruction\":\"Be careful.\","
    "\"response_format\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"}}},"
    "\"generation_config\":{\"temperature\":0}}";

/* The key of one manifest line under a pipeline, dialect and nonce. */
static void key_full(const char *pipeline_json, enum dialect d, const char *nonce,
                     const char *line, char hex[65])
{
    struct fixture f;
    load(&f, pipeline_json, d, nonce);
    struct job *j = job_from_line(&f.ctx, "m.jsonl", dir, 1, line, strlen(line));
    cr_assert_not_null(j);
    cr_assert_eq(j->failed_build, 0, "%s", j->build_err.msg);
    struct gb_err e = {0};
    cr_assert_eq(cache_job_key(j, f.p, d, hex, &e), 0, "%s", e.msg);
    cr_assert_eq(strlen(hex), 64);
    job_free(j);
    unload(&f);
}

static void key_of(const char *line, char hex[65])
{
    key_full(base_pipeline, DIALECT_V1BETA, "n1", line, hex);
}

Test(cachekey, unchanged_by_paths_ids_unused_vars_order_and_transport)
{
    free(put("a.png", png_a, sizeof png_a));
    free(put("copy-of-a.png", png_a, sizeof png_a));
    char k0[65], k[65];
    key_of("{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"}}", k0);
    key_of("{\"id\":\"two\",\"files\":[\"copy-of-a.png\"],\"vars\":{\"hint\":\"pets\"}}", k);
    cr_assert_str_eq(k, k0, "same bytes under another path and id");
    key_of("{\"vars\":{\"other\":1,\"hint\":\"pets\"},\"files\":[\"a.png\"],\"id\":\"three\"}", k);
    cr_assert_str_eq(k, k0, "a var the prompt does not use, keys in another order");
    key_of("{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},\"stream\":true,"
           "\"store\":false}",
           k);
    cr_assert_str_eq(k, k0, "stream and store change how the answer travels, not what it is");
    key_full(base_pipeline, DIALECT_V1BETA, "another-run",
             "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"}}", k);
    cr_assert_str_eq(k, k0, "the run's placeholder nonce never reaches the key");
    /* the same request written with its keys in another order */
    key_full("{\"generation_config\":{\"temperature\":0},\"system_instruction\":\"Be careful.\","
             "\"response_format\":{\"properties\":{\"label\":{\"type\":\"string\"}},"
             "\"type\":\"object\"},\"prompt\":\"Label it. {{hint}}\",\"model\":"
             "\"gemini-2.5-flash\",\"name\":\"renamed\"}",
             DIALECT_V1BETA, "n1",
             "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"}}", k);
    cr_assert_str_eq(k, k0, "pipeline key order and name");
}

Test(cachekey, changes_with_everything_that_determines_the_answer)
{
    free(put("a.png", png_a, sizeof png_a));
    free(put("b.png", png_b, sizeof png_b));
    const char *line = "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"}}";
    char k0[65], k[65];
    key_of(line, k0);
    struct {
        const char *what, *pipeline, *line;
        enum dialect d;
    } cases[] = {
        {"media bytes", NULL, "{\"id\":\"one\",\"files\":[\"b.png\"],\"vars\":{\"hint\":\"pets\"}}",
         DIALECT_V1BETA},
        {"a var the prompt uses", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"food\"}}", DIALECT_V1BETA},
        {"model", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},\"model\":"
         "\"gemini-2.5-pro\"}",
         DIALECT_V1BETA},
        {"system instruction", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},"
         "\"system_instruction\":\"Be brief.\"}",
         DIALECT_V1BETA},
        {"generation config", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},"
         "\"generation_config\":{\"temperature\":0,\"max_output_tokens\":10}}",
         DIALECT_V1BETA},
        {"schema", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},"
         "\"response_format\":{\"type\":\"object\",\"properties\":{\"label\":{\"type\":"
         "\"integer\"}}}}",
         DIALECT_V1BETA},
        {"tools", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\"],\"vars\":{\"hint\":\"pets\"},\"tools\":[{\"type\":"
         "\"function\",\"name\":\"f\"}]}",
         DIALECT_V1BETA},
        {"media order", NULL,
         "{\"id\":\"one\",\"files\":[\"a.png\",\"b.png\"],\"vars\":{\"hint\":\"pets\"}}",
         DIALECT_V1BETA},
        {"dialect", NULL, NULL, DIALECT_V1},
        {"prompt", "{\"name\":\"t\",\"model\":\"gemini-2.5-flash\",\"prompt\":\"Label this. "
                   "{{hint}}\",\"system_instruction\":\"Be careful.\",\"response_format\":{"
                   "\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"}}},"
                   "\"generation_config\":{\"temperature\":0}}",
         NULL, DIALECT_V1BETA},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        key_full(cases[i].pipeline ? cases[i].pipeline : base_pipeline, cases[i].d, "n1",
                 cases[i].line ? cases[i].line : line, k);
        cr_assert_str_neq(k, k0, "the key must change with the %s", cases[i].what);
    }
}

Test(cachekey, steps_add_the_steps_and_the_vars)
{
    const char *steps =
        "{\"name\":\"s\",\"model\":\"gemini-2.5-flash\",\"generation_config\":{\"temperature\":0},"
        "\"steps\":[{\"prompt\":\"Extract from {{doc}}\"},{\"prompt\":\"Check {{prev.text}} "
        "for {{who}}\"}]}";
    char k0[65], k[65];
    key_full(steps, DIALECT_V1BETA, "n", "{\"vars\":{\"doc\":\"d1\",\"who\":\"ann\"}}", k0);
    key_full(steps, DIALECT_V1BETA, "n", "{\"vars\":{\"doc\":\"d1\",\"who\":\"bob\"}}", k);
    cr_assert_str_neq(k, k0, "a var only a later step uses still changes its answer");
    const char *steps2 =
        "{\"name\":\"s\",\"model\":\"gemini-2.5-flash\",\"generation_config\":{\"temperature\":0},"
        "\"steps\":[{\"prompt\":\"Extract from {{doc}}\"},{\"prompt\":\"Verify {{prev.text}} "
        "for {{who}}\"}]}";
    key_full(steps2, DIALECT_V1BETA, "n", "{\"vars\":{\"doc\":\"d1\",\"who\":\"ann\"}}", k);
    cr_assert_str_neq(k, k0, "a changed later step changes the answer");
}

Test(cachekey, given_digests_equal_read_ones_and_a_missing_part_is_an_error)
{
    free(put("a.png", png_a, sizeof png_a));
    struct fixture f;
    load(&f, base_pipeline, DIALECT_V1BETA, "n1");
    const char *line = "{\"files\":[\"a.png\"],\"vars\":{\"hint\":\"x\"}}";
    struct job *j = job_from_line(&f.ctx, "m.jsonl", dir, 1, line, strlen(line));
    cr_assert_eq(j->nmedia, 1);
    char k1[65], k2[65];
    struct gb_err e = {0};
    cr_assert_eq(cache_job_key(j, f.p, DIALECT_V1BETA, k1, &e), 0);
    uint8_t sha[1][32];
    sha256_buf(png_a, sizeof png_a, sha[0]);
    cr_assert_eq(cache_job_key_digests(j, f.p, DIALECT_V1BETA, (const uint8_t(*)[32])sha, k2, &e),
                 0);
    cr_assert_str_eq(k1, k2);
    /* after an upload the part names a uri: still the same key */
    json_object_del(j->media[0].part, "data");
    json_object_set_new(j->media[0].part, "uri", json_string("files/abc123"));
    cr_assert_eq(cache_job_key(j, f.p, DIALECT_V1BETA, k2, &e), 0);
    cr_assert_str_eq(k1, k2);
    /* a part that is no longer in the request cannot be keyed */
    json_t *detached = j->media[0].part;
    json_incref(detached);
    json_object_set_new(j->req, "input", json_string("text only"));
    cr_assert_eq(cache_job_key(j, f.p, DIALECT_V1BETA, k2, &e), GB_ESTATE);
    json_decref(detached);
    /* a file that cannot be read is an error naming it */
    j->media[0].part = NULL;
    free(j->media[0].path);
    j->media[0].path = fsx_join(dir, "gone.png");
    cr_assert_eq(cache_job_key(j, f.p, DIALECT_V1BETA, k2, &e), GB_EIO);
    cr_assert_not_null(strstr(e.msg, "gone.png"));
    job_free(j);
    unload(&f);
}

static int policy(const char *req_json, const char *pipeline_json, int flags, const char **why)
{
    json_error_t je;
    json_t *req = json_loads(req_json, 0, &je);
    cr_assert_not_null(req, "%s", je.text);
    struct pipeline *p = NULL;
    if (pipeline_json) {
        char *pp = put("pp.json", pipeline_json, strlen(pipeline_json));
        struct gb_err e = {0};
        cr_assert_eq(pipe_load(pp, &p, &e), 0, "%s", e.msg);
        free(pp);
    }
    int r = cache_policy(req, p, flags, why);
    pipe_free(p);
    json_decref(req);
    return r;
}

Test(cachekey, policy)
{
    const char *why = NULL;
    cr_assert_eq(policy("{\"model\":\"m\",\"input\":\"x\"}", NULL, 0, &why), 1,
                 "no temperature given: the user asked for nothing to vary");
    cr_assert_null(why);
    cr_assert_eq(policy("{\"model\":\"m\",\"generation_config\":{\"temperature\":0}}", NULL, 0,
                        &why), 1);
    cr_assert_eq(policy("{\"model\":\"m\",\"generation_config\":{\"temperature\":0.7}}", NULL, 0,
                        &why), 0);
    cr_assert_not_null(strstr(why, "temperature"));
    cr_assert_eq(policy("{\"model\":\"m\",\"generation_config\":{\"temperature\":0.7,\"seed\":4}}",
                        NULL, 0, &why), 1, "a seed makes sampling repeatable");
    cr_assert_eq(policy("{\"model\":\"m\",\"generation_config\":{\"temperature\":0.7}}", NULL,
                        CACHE_NONDETERMINISTIC, &why), 1);
    cr_assert_eq(policy("{\"agent\":\"deep-research\",\"input\":\"x\"}", NULL, 0, &why), 0);
    cr_assert_not_null(strstr(why, "agent"));
    cr_assert_eq(policy("{\"model\":\"m\",\"background\":true}", NULL, 0, &why), 0);
    cr_assert_not_null(strstr(why, "background"));
    cr_assert_eq(policy("{\"model\":\"m\",\"tools\":[{\"type\":\"google_search\"}]}", NULL, 0,
                        &why), 0);
    cr_assert_not_null(strstr(why, "outside world"));
    cr_assert_eq(policy("{\"model\":\"m\",\"tools\":[{\"type\":\"function\",\"name\":\"f\"}]}",
                        NULL, 0, &why), 1, "a function call the model only asks for is its answer");
    const char *tools = "{\"name\":\"t\",\"model\":\"m\",\"tools\":[{\"type\":\"function\","
                        "\"name\":\"f\",\"run\":[\"/bin/echo\",\"{}\"]}]}";
    cr_assert_eq(policy("{\"model\":\"m\"}", tools, 0, &why), 0);
    cr_assert_not_null(strstr(why, "tool programs"));
    cr_assert_eq(policy("{\"model\":\"m\"}", tools, CACHE_NONDETERMINISTIC, &why), 1);
    const char *steps = "{\"name\":\"s\",\"model\":\"m\",\"steps\":[{\"prompt\":\"a\"},"
                        "{\"agent\":\"deep-research\",\"prompt\":\"b\"}]}";
    cr_assert_eq(policy("{\"model\":\"m\"}", steps, 0, &why), 0, "a later step is an agent");
}
