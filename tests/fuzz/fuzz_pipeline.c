/* fuzz_pipeline.c: a pipeline file (pipe_load from a temp file) in a folder
 * holding a good schema, a non-JSON schema, a nested $file and a tool program;
 * when it loads: render its prompt, build each step's base, and build a job
 * from a fixed manifest line over it. Properties: a failure always carries a
 * message; whatever loads can make a job without crashing. */
#include <jansson.h>
#include <stdint.h>

#include "fuzz_util.h"
#include "job.h"
#include "pipeline.h"
#include "sniff.h"

static const char *dir_;
static char path_[512];
static struct sniff sniff_;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    dir_ = fz_dir("pipeline");
    fz_mkdir(dir_, "schemas");
    static const char ok[] = "{\"type\":\"object\",\"properties\":{\"label\":{\"type\":\"string\"}},"
                             "\"required\":[\"label\"]}";
    static const char nest[] = "{\"type\":\"object\",\"properties\":{\"x\":{\"$file\":\"ok.json\"}}}";
    static const char loop[] = "{\"$file\":\"loop.json\"}";
    fz_write(dir_, "schemas/ok.json", ok, sizeof ok - 1);
    fz_write(dir_, "schemas/nest.json", nest, sizeof nest - 1);
    fz_write(dir_, "schemas/loop.json", loop, sizeof loop - 1);
    fz_write(dir_, "schemas/bad.json", "{not json", 9);
    fz_write(dir_, "schemas/empty.json", "", 0);
    fz_write(dir_, "tool.sh", "#!/bin/sh\necho {}\n", 18);
    snprintf(path_, sizeof path_, "%s/pipeline.json", dir_);
    sniff_init(&sniff_);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fz_write(dir_, "pipeline.json", data, size);
    struct pipeline *p = NULL;
    struct gb_err err = {0};
    int rc = pipe_load(path_, &p, &err);
    if (rc) {
        FZ_CHECK(rc < 0, "pipe_load returned %d", rc);
        FZ_CHECK(p == NULL, "failed pipe_load handed out a pipeline");
        FZ_CHECK(err.msg[0] != '\0', "pipe_load failed (%d) without a message", rc);
        return 0;
    }
    FZ_CHECK(p && p->base && p->name && p->digest[0], "loaded pipeline is incomplete");
    json_t *vars = json_pack("{s:s,s:i,s:[i,s]}", "hint", "pets", "n", 3, "list", 1, "x");
    json_t *ctx = json_pack("{s:{s:s,s:{s:i}}}", "prev", "text", "t", "output", "total", 7);
    size_t nsteps = p->steps ? json_array_size(p->steps) : 1;
    for (size_t k = 0; k < nsteps && k < 8; k++) {
        json_t *b = job_step_base(p, k);
        json_decref(b);
        const char *t = job_step_prompt(p, k);
        char *out = NULL;
        struct gb_err e = {0};
        if (t && pipe_render(t, vars, "id-1", ctx, &out, &e) == 0)
            FZ_CHECK(out != NULL, "rendered prompt is NULL");
        else if (t)
            FZ_CHECK(e.msg[0], "render failed without a message");
        free(out);
    }
    for (size_t i = 0; i < p->ntools; i++)
        FZ_CHECK(pipe_tool(p, p->tools[i].name) != NULL, "tool '%s' not found", p->tools[i].name);
    struct job_ctx jc = {0};
    jc.pipe = p;
    jc.sniff = &sniff_;
    jc.inline_limit = 1 << 20;
    snprintf(jc.nonce, sizeof jc.nonce, "n0nce");
    jc.schemas = schema_cache_new();
    static const char line[] = "{\"id\":\"x\",\"vars\":{\"hint\":\"h\",\"n\":1}}";
    for (int d = 0; d < 2; d++) {
        jc.dialect = d ? DIALECT_V1 : DIALECT_V1BETA;
        struct job *j = job_from_line(&jc, "m.jsonl", dir_, 1, line, sizeof line - 1);
        FZ_CHECK(j != NULL, "job_from_line returned NULL");
        FZ_CHECK(!j->failed_build || j->build_err.msg[0], "failed job without a message");
        job_free(j);
    }
    schema_cache_free(jc.schemas);
    json_decref(vars);
    json_decref(ctx);
    pipe_free(p);
    return 0;
}
