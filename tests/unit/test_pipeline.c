/* test_pipeline.c: merge patch (RFC 7386 examples), prompt templates, $file
 * schemas, limits, and the errors a bad pipeline gets. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "jsonx.h"
#include "pipeline.h"
#include "sniff.h"

static void expect_patch(const char *target, const char *patch, const char *want)
{
    json_t *t = json_loads(target, JSON_DECODE_ANY, NULL), *p = json_loads(patch, JSON_DECODE_ANY, NULL),
           *w = json_loads(want, JSON_DECODE_ANY, NULL);
    json_t *got = jx_merge_patch(t, p);
    char *g = jx_canonical(got), *ws = jx_canonical(w);
    cr_expect_str_eq(g, ws, "%s + %s", target, patch);
    free(g);
    free(ws);
    json_decref(t);
    json_decref(p);
    json_decref(w);
    json_decref(got);
}

Test(pipeline, rfc7386_examples)
{
    expect_patch("{\"a\":\"b\"}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    expect_patch("{\"a\":\"b\"}", "{\"b\":\"c\"}", "{\"a\":\"b\",\"b\":\"c\"}");
    expect_patch("{\"a\":\"b\"}", "{\"a\":null}", "{}");
    expect_patch("{\"a\":\"b\",\"b\":\"c\"}", "{\"a\":null}", "{\"b\":\"c\"}");
    expect_patch("{\"a\":[\"b\"]}", "{\"a\":\"c\"}", "{\"a\":\"c\"}");
    expect_patch("{\"a\":\"c\"}", "{\"a\":[\"b\"]}", "{\"a\":[\"b\"]}");
    expect_patch("{\"a\":{\"b\":\"c\"}}", "{\"a\":{\"b\":\"d\",\"c\":null}}", "{\"a\":{\"b\":\"d\"}}");
    expect_patch("{\"a\":[{\"b\":\"c\"}]}", "{\"a\":[1]}", "{\"a\":[1]}");
    expect_patch("[\"a\",\"b\"]", "[\"c\",\"d\"]", "[\"c\",\"d\"]");
    expect_patch("{\"a\":\"b\"}", "[\"c\"]", "[\"c\"]");
    expect_patch("{\"a\":\"foo\"}", "null", "null");
    expect_patch("{\"e\":null}", "{\"a\":1}", "{\"e\":null,\"a\":1}");
    expect_patch("[1,2]", "{\"a\":\"b\",\"c\":null}", "{\"a\":\"b\"}");
    expect_patch("{}", "{\"a\":{\"bb\":{\"ccc\":null}}}", "{\"a\":{\"bb\":{}}}");
}

Test(pipeline, render_templates)
{
    json_t *vars = json_pack("{s:s,s:i}", "hint", "pets", "n", 3);
    char *out = NULL;
    struct gb_err e = {0};
    cr_assert_eq(pipe_render("Hint: {{hint}}, {{ n }} of {{id}}.", vars, "x1", NULL, &out, &e), 0);
    cr_expect_str_eq(out, "Hint: pets, 3 of x1.");
    free(out);
    cr_expect_eq(pipe_render("{{missing}}", vars, "x", NULL, &out, &e), GB_EINVAL);
    cr_expect(strstr(e.msg, "'missing'") != NULL, "%s", e.msg);
    cr_assert_eq(pipe_render("no vars {here", NULL, NULL, NULL, &out, &e), 0);
    cr_expect_str_eq(out, "no vars {here");
    free(out);
    json_t *ctx = json_pack("{s:{s:s,s:{s:i,s:[s]}}}", "prev", "text", "T", "output", "total",
                            12, "items", "a");
    cr_assert_eq(pipe_render("{{prev.text}}/{{prev.output.total}}/{{prev.output.items.0}}/"
                             "{{prev.output}}", vars, "x", ctx, &out, &e), 0, "%s", e.msg);
    cr_expect_str_eq(out, "T/12/a/{\"total\":12,\"items\":[\"a\"]}");
    free(out);
    cr_expect_eq(pipe_render("{{prev.output.nope}}", vars, "x", ctx, &out, &e), GB_EINVAL);
    json_decref(ctx);
    json_decref(vars);
}

static char dir[] = "/tmp/gb-pipe-XXXXXX";

static char *put(const char *name, const char *text)
{
    char *p = malloc(strlen(dir) + strlen(name) + 2);
    sprintf(p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    cr_assert_not_null(f);
    fputs(text, f);
    fclose(f);
    return p;
}

Test(pipeline, file_schema_limits_and_digest)
{
    cr_assert_not_null(mkdtemp(dir));
    char *sub = strcat(strcpy(malloc(200), dir), "/schemas");
    mkdir(sub, 0755);
    free(sub);
    free(put("schemas/s.json", "{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":[\"a\",\"b\"]}}}"));
    char *p = put("p.json", "{\"name\":\"n1\",\"model\":\"gemini-2.5-flash\",\"prompt\":\"x\","
                            "\"response_format\":{\"$file\":\"schemas/s.json\"},"
                            "\"limits\":{\"concurrency\":7,\"timeout_s\":12.5},\"validate\":{\"reask\":1}}");
    struct pipeline *pl = NULL;
    struct gb_err e = {0};
    cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
    cr_expect_str_eq(pl->name, "n1");
    cr_expect_eq(pl->limits.concurrency, 7);
    cr_expect_float_eq(pl->limits.timeout_s, 12.5, 1e-9);
    cr_expect_eq(pl->reask, 1);
    cr_expect_not_null(pl->schema);
    cr_expect_null(json_object_get(pl->base, "limits"));
    cr_expect_null(json_object_get(pl->base, "prompt"));
    cr_expect_not_null(jx_obj(json_object_get(pl->base, "response_format"), "properties"));
    cr_expect_eq(strlen(pl->digest), 64);
    char d1[65];
    strcpy(d1, pl->digest);
    pipe_free(pl);
    /* the digest covers the $file contents: changing the schema changes it */
    free(put("schemas/s.json", "{\"type\":\"object\"}"));
    cr_assert_eq(pipe_load(p, &pl, &e), 0);
    cr_expect_str_neq(pl->digest, d1);
    pipe_free(pl);
    free(p);
}

Test(pipeline, bad_pipelines_name_the_pointer)
{
    cr_assert_not_null(mkdtemp(dir));
    struct pipeline *pl = NULL;
    struct gb_err e = {0};
    char *p = put("a.json", "{\"model\":\"m\",\"limits\":{\"concurrency\":0}}");
    cr_expect_neq(pipe_load(p, &pl, &e), 0);
    cr_expect(strstr(e.msg, "/limits/concurrency") != NULL, "%s", e.msg);
    free(p);
    p = put("b.json", "{\"model\":\"m\",\"response_format\":{\"$file\":\"nope.json\"}}");
    cr_expect_neq(pipe_load(p, &pl, &e), 0);
    cr_expect(strstr(e.msg, "/response_format/$file") != NULL, "%s", e.msg);
    free(p);
    p = put("c.json", "{\"model\":\"m\",\"response_format\":{\"type\":\"strng\"}}");
    cr_expect_neq(pipe_load(p, &pl, &e), 0);
    cr_expect(strstr(e.msg, "strng") != NULL, "%s", e.msg);
    free(p);
    p = put("d.json", "{\"model\": }");
    cr_expect_neq(pipe_load(p, &pl, &e), 0);
    cr_expect_eq(e.line, 1);
    free(p);
}

/* issue 14 point 4: image caps as pipeline limits, checked like the others */
Test(pipeline, image_limits)
{
    char d[] = "/tmp/gb-pipe-img-XXXXXX", p[128];
    cr_assert_not_null(mkdtemp(d));
    snprintf(p, sizeof p, "%s/p.json", d);
    FILE *f = fopen(p, "w");
    fputs("{\"name\":\"n\",\"model\":\"m\",\"limits\":{\"max_images_per_answer\":4,"
          "\"max_images\":1000}}",
          f);
    fclose(f);
    struct pipeline *pl = NULL;
    struct gb_err e = {0};
    cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
    cr_expect_eq(pl->limits.max_images_per_answer, 4);
    cr_expect_eq(pl->limits.max_images, 1000);
    pipe_free(pl);
    f = fopen(p, "w");
    fputs("{\"name\":\"n\",\"model\":\"m\",\"limits\":{\"max_images_per_answer\":0}}", f);
    fclose(f);
    cr_assert_eq(pipe_load(p, &pl, &e), GB_EINVAL);
    cr_expect(strstr(e.msg, "/limits/max_images_per_answer"), "%s", e.msg);
    unlink(p);
    rmdir(d);
}

Test(pipeline, accept_lists_mime_types_and_families)
{
    cr_assert_not_null(mkdtemp(dir));
    struct pipeline *pl = NULL;
    struct gb_err e = {0};
    char *p = put("acc.json", "{\"model\":\"m\",\"accept\":[\"text/*\",\"application/json\","
                              "\"image/PNG\"]}");
    cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
    cr_expect_null(json_object_get(pl->base, "accept"), "accept is ours, never sent");
    cr_expect(pipe_accepts(pl, "text/plain"));
    cr_expect(pipe_accepts(pl, "text/csv"));
    cr_expect(pipe_accepts(pl, "Text/CSV"), "mime types compare without case");
    cr_expect(pipe_accepts(pl, "application/json"));
    cr_expect(pipe_accepts(pl, "image/png"));
    cr_expect_not(pipe_accepts(pl, "image/jpeg"));
    cr_expect_not(pipe_accepts(pl, "textual/plain"));
    cr_expect_not(pipe_accepts(pl, "application/jsonx"));
    cr_expect_not(pipe_accepts(pl, NULL));
    /* accept is the whole list: a JPEG no longer runs, a CSV does, as a document */
    struct sniff_result jpg = {.type = "image", .mime = "image/jpeg"};
    struct sniff_result csv = {.type = "document", .mime = "text/csv"};
    struct sniff_result js = {.type = NULL, .mime = "application/json"};
    cr_expect_null(pipe_entry_type(pl, &jpg));
    cr_expect_str_eq(pipe_entry_type(pl, &csv), "document");
    cr_expect_str_eq(pipe_entry_type(pl, &js), "document");
    char why[300];
    pipe_skip_reason(pl, &jpg, why, sizeof why);
    cr_expect(strstr(why, "image/jpeg is not in the pipeline's \"accept\" list"), "%s", why);
    pipe_free(pl);
    free(p);
    /* without accept: media only */
    p = put("noacc.json", "{\"model\":\"m\"}");
    cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
    cr_expect_str_eq(pipe_entry_type(pl, &jpg), "image");
    cr_expect_null(pipe_entry_type(pl, &csv));
    struct sniff_result pdf = {.type = "document", .mime = "application/pdf"};
    cr_expect_str_eq(pipe_entry_type(pl, &pdf), "document");
    pipe_skip_reason(pl, &csv, why, sizeof why);
    cr_expect(strstr(why, "not media (text/csv)"), "%s", why);
    pipe_free(pl);
    free(p);
}

Test(pipeline, bad_accept_lists_are_refused)
{
    cr_assert_not_null(mkdtemp(dir));
    static const char *const bad[] = {
        "\"text/*\"", "[]", "[3]", "[\"text\"]", "[\"text/\"]", "[\"*/*\"]", "[\"te xt/plain\"]",
        "[\"text/pl*\"]", NULL};
    for (int i = 0; bad[i]; i++) {
        char body[200];
        snprintf(body, sizeof body, "{\"model\":\"m\",\"accept\":%s}", bad[i]);
        char *p = put("bad.json", body);
        struct pipeline *pl = NULL;
        struct gb_err e = {0};
        cr_expect_neq(pipe_load(p, &pl, &e), 0, "accept %s was taken", bad[i]);
        cr_expect(strstr(e.msg, "/accept") != NULL, "%s: %s", bad[i], e.msg);
        if (!strcmp(bad[i], "[\"*/*\"]")) /* says why, not just "expected a mime type" */
            cr_expect(strstr(e.msg, "would send any file") != NULL, "%s", e.msg);
        pipe_free(pl);
        free(p);
    }
}

Test(pipeline, tool_programs_are_checked_before_anything_is_sent)
{
    cr_assert_not_null(mkdtemp(dir));
    char *sub = strcat(strcpy(malloc(200), dir), "/bin");
    mkdir(sub, 0755);
    free(sub);
    free(put("bin/ok.sh", "#!/bin/sh\necho '{}'\n"));
    char *prog = put("bin/ok.sh", "#!/bin/sh\necho '{}'\n");
    chmod(prog, 0755);
    free(prog);
    free(put("bin/plain.sh", "#!/bin/sh\n")); /* not executable */
    static const struct {
        const char *run;   /* the tool's "run" array */
        int ok;
        const char *says;  /* in the message */
    } cases[] = {
        {"[\"bin/ok.sh\"]", 1, NULL},            /* relative to the pipeline's folder */
        {"[\"./bin/ok.sh\", \"--flag\"]", 1, NULL},
        {"[\"sh\", \"-c\", \"true\"]", 1, NULL},  /* a bare name: on PATH */
        {"[\"bin/nope.sh\"]", 0, "program 'bin/nope.sh' ("},
        {"[\"bin/plain.sh\"]", 0, "is not an executable file"},
        {"[\"bin\"]", 0, "program 'bin'"},        /* bare name: PATH, not the pipeline's folder */
        {"[\"gembatch-no-such-program-xyz\"]", 0, "was not found on PATH"},
        {"[\"/nonexistent/tool\"]", 0, "program '/nonexistent/tool' not found"},
        {NULL, 0, NULL}};
    for (int i = 0; cases[i].run; i++) {
        char body[400];
        snprintf(body, sizeof body, "{\"model\":\"m\",\"tools\":[{\"type\":\"function\","
                 "\"name\":\"look\",\"run\":%s}]}", cases[i].run);
        char *p = put("t.json", body);
        struct pipeline *pl = NULL;
        struct gb_err e = {0};
        cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
        int rc = pipe_check_tools(pl, &e);
        if (cases[i].ok) {
            cr_expect_eq(rc, 0, "%s: %s", cases[i].run, e.msg);
        } else {
            cr_expect_neq(rc, 0, "%s was taken", cases[i].run);
            cr_expect(strstr(e.msg, "/tools/0/run/0: tool 'look'") != NULL, "%s", e.msg);
            cr_expect(strstr(e.msg, cases[i].says) != NULL, "%s: %s", cases[i].run, e.msg);
            cr_expect_str_eq(e.source, p, "the error names the pipeline file");
        }
        pipe_free(pl);
        free(p);
    }
    /* a step's tool is checked too, and named by its pointer */
    char *p = put("s.json", "{\"model\":\"m\",\"steps\":[{\"prompt\":\"a\"},{\"prompt\":\"b\","
                            "\"tools\":[{\"type\":\"function\",\"name\":\"late\",\"run\":[\"nope\"]}]}]}");
    struct pipeline *pl = NULL;
    struct gb_err e = {0};
    cr_assert_eq(pipe_load(p, &pl, &e), 0, "%s", e.msg);
    cr_expect_neq(pipe_check_tools(pl, &e), 0);
    cr_expect(strstr(e.msg, "/steps/1/tools/0/run/0: tool 'late'") != NULL, "%s", e.msg);
    pipe_free(pl);
    free(p);
}
