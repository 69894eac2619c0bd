/* test_emu_gencontent.c: GenerateContentRequests answered by the synthetic
 * model: camelCase and snake_case alike, the answer acknowledging inline and
 * uploaded media, JSON valid against responseJsonSchema and an OpenAPI
 * responseSchema, PNG images, MAX_TOKENS, thinking, usage by modality, the
 * same answer for the same request and seed, and the service's refusals. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "emu_int.h"
#include "png.h"
#include "schema.h"

/* files/abc is a 3-byte ACTIVE text file (files/abd: the same bytes uploaded
 * again); files/busy is PROCESSING */
static int fake_file(void *ctx, const char *uri, struct emu_facts *facts, char *mime,
                     size_t mimesz, char *name, size_t namesz)
{
    const char *id = strrchr(uri, '/');
    if (!strstr(uri, "googleapis.com") || !id)
        return EMU_FILE_NOT_OURS;
    snprintf(name, namesz, "files/%s", id + 1);
    if (!strcmp(id, "/busy"))
        return EMU_FILE_PROCESSING;
    if (strcmp(id, "/abc") && strcmp(id, "/abd"))
        return EMU_FILE_UNKNOWN;
    memset(facts, 0, sizeof *facts);
    facts->bytes = 3;
    facts->seconds = -1;
    sha256_buf("abc", 3, facts->sha256);
    snprintf(mime, mimesz, "text/plain");
    return EMU_FILE_ACTIVE;
}

static struct emu_env env = {42, NULL, NULL, fake_file, NULL};

static json_t *answer_env(const struct emu_env *en, const char *req_text, int mode)
{
    json_error_t je;
    json_t *req = json_loads(req_text, 0, &je);
    cr_assert_not_null(req, "%s: %s", req_text, je.text);
    json_t *out = NULL;
    struct emu_err e = {0};
    int rc = emu_gc_answer(en, "models/gemini-2.5-flash", req, mode, &out, &e);
    cr_assert_eq(rc, 0, "%s: %s", req_text, e.msg);
    json_decref(req);
    return out;
}

static json_t *answer(const char *req_text)
{
    return answer_env(&env, req_text, EMU_ANSWER_NORMAL);
}

static int refused(const char *model, const char *req_text, struct emu_err *e)
{
    json_t *req = json_loads(req_text, 0, NULL);
    cr_assert_not_null(req, "%s", req_text);
    json_t *out = NULL;
    memset(e, 0, sizeof *e);
    int rc = emu_gc_answer(&env, model, req, EMU_ANSWER_NORMAL, &out, e);
    cr_expect_null(out);
    json_decref(req);
    return rc == -1 ? e->http : 0;
}

static const json_t *parts(const json_t *resp)
{
    const json_t *c = json_array_get(json_object_get(resp, "candidates"), 0);
    return json_object_get(json_object_get(c, "content"), "parts");
}

static const char *text0(const json_t *resp)
{
    return json_string_value(json_object_get(json_array_get(parts(resp), 0), "text"));
}

static long long usage(const json_t *resp, const char *key)
{
    return json_integer_value(json_object_get(json_object_get(resp, "usageMetadata"), key));
}

static long long detail(const json_t *resp, const char *list, const char *modality)
{
    size_t i;
    const json_t *d;
    json_array_foreach(json_object_get(json_object_get(resp, "usageMetadata"), list), i, d) {
        if (!strcmp(json_string_value(json_object_get(d, "modality")), modality))
            return json_integer_value(json_object_get(d, "tokenCount"));
    }
    return -1;
}

Test(emu_gencontent, names_in_either_case)
{
    cr_expect(emu_name_is("fileUri", "fileUri"));
    cr_expect(emu_name_is("file_uri", "fileUri"));
    cr_expect(emu_name_is("response_json_schema", "responseJsonSchema"));
    cr_expect(emu_name_is("text", "text"));
    cr_expect_not(emu_name_is("fileuri", "fileUri"));
    cr_expect_not(emu_name_is("file_Uri", "fileUri"));
    cr_expect_not(emu_name_is("fileUri2", "fileUri"));
    cr_expect_not(emu_name_is("file", "fileUri"));
    cr_expect_eq(emu_rpc_code("INVALID_ARGUMENT"), 3);
    cr_expect_eq(emu_rpc_code("CANCELLED"), 1);
    cr_expect_eq(emu_rpc_code("INTERNAL"), 13);
}

Test(emu_gencontent, text_answer_shape_and_usage)
{
    json_t *r = answer("{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"hello there\"}]}]}");
    const char *t = text0(r);
    cr_assert_not_null(t);
    cr_expect_not_null(strstr(t, "Emulated answer from gemini-2.5-flash.\nturns: 1\n"), "%s", t);
    const json_t *c = json_array_get(json_object_get(r, "candidates"), 0);
    cr_expect_str_eq(json_string_value(json_object_get(c, "finishReason")), "STOP");
    cr_expect_str_eq(json_string_value(json_object_get(json_object_get(c, "content"), "role")),
                     "model");
    cr_expect_str_eq(json_string_value(json_object_get(r, "modelVersion")), "gemini-2.5-flash");
    cr_expect_eq(strlen(json_string_value(json_object_get(r, "responseId"))), 22);
    cr_expect_eq(usage(r, "promptTokenCount"), 3, "11 characters: 3 tokens");
    cr_expect_eq(usage(r, "totalTokenCount"),
                 usage(r, "promptTokenCount") + usage(r, "candidatesTokenCount"));
    cr_expect_eq(detail(r, "promptTokensDetails", "TEXT"), 3);
    cr_expect_eq(detail(r, "candidatesTokensDetails", "TEXT"), usage(r, "candidatesTokenCount"));
    json_decref(r);
}

Test(emu_gencontent, same_request_same_answer_in_either_case)
{
    const char *camel = "{\"contents\":[{\"parts\":[{\"text\":\"q\"}]}],"
                        "\"generationConfig\":{\"temperature\":0.5}}";
    const char *snake = "{\"contents\":[{\"parts\":[{\"text\":\"q\"}]}],"
                        "\"generation_config\":{\"temperature\":0.5}}";
    json_t *a = answer(camel), *b = answer(camel), *s = answer(snake);
    cr_expect(json_equal(a, b), "same request, same answer");
    cr_expect_str_eq(text0(s) ? "ok" : "none", "ok", "snake_case is answered");
    struct emu_env other = env;
    other.seed = 43;
    json_t *d = answer_env(&other, camel, EMU_ANSWER_NORMAL);
    cr_expect_str_neq(text0(a), text0(d), "another seed, another answer");
    json_t *q = answer("{\"contents\":[{\"parts\":[{\"text\":\"another question\"}]}]}");
    cr_expect_str_neq(text0(a), text0(q), "another request, another answer");
    json_decref(a);
    json_decref(b);
    json_decref(s);
    json_decref(d);
    json_decref(q);
}

Test(emu_gencontent, media_parts_acknowledged_and_counted)
{
    uint8_t png[2000];
    for (size_t i = 0; i < sizeof png; i++)
        png[i] = (uint8_t)(i * 7);
    memcpy(png, "\x89PNG\r\n\x1a\n", 8);
    char b64[4096];
    b64[b64_encode(png, sizeof png, b64)] = '\0';
    char req[8192];
    snprintf(req, sizeof req,
             "{\"contents\":[{\"role\":\"user\",\"parts\":[{\"text\":\"look\"},"
             "{\"inline_data\":{\"mime_type\":\"image/png\",\"data\":\"%s\"}},"
             "{\"fileData\":{\"fileUri\":\"files/abc\"}},"
             "{\"file_data\":{\"file_uri\":\"https://example.com/v.mp4\",\"mime_type\":\"video/mp4\"}}]},"
             "{\"role\":\"model\",\"parts\":[{\"text\":\"ok\"}]},"
             "{\"role\":\"user\",\"parts\":[{\"text\":\"and?\"}]}]}",
             b64);
    json_t *r = answer(req);
    const char *t = text0(r);
    uint8_t d[32];
    char hex[65], line[200];
    sha256_buf(png, sizeof png, d);
    sha256_hex(d, hex);
    snprintf(line, sizeof line, "part 1: image image/png 2000 bytes sha256:%s", hex);
    cr_expect_not_null(strstr(t, line), "%s", t);
    sha256_buf("abc", 3, d);
    sha256_hex(d, hex);
    snprintf(line, sizeof line, "part 2: document text/plain 3 bytes sha256:%s", hex);
    cr_expect_not_null(strstr(t, line), "an uploaded file by its files/ name: %s", t);
    cr_expect_not_null(strstr(t, "part 3: video video/mp4 remote https://example.com/v.mp4"), "%s",
                       t);
    cr_expect_not_null(strstr(t, "turns: 3"), "%s", t);
    cr_expect_eq(detail(r, "promptTokensDetails", "IMAGE"), 258);
    cr_expect_eq(detail(r, "promptTokensDetails", "VIDEO"), 2630, "remote video: 10 s");
    json_decref(r);
}

Test(emu_gencontent, json_answers_valid_against_both_schema_forms)
{
    const char *js = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"},"
                     "\"b\":{\"type\":\"array\",\"items\":{\"type\":\"string\"},\"minItems\":2}},"
                     "\"required\":[\"a\",\"b\"],\"additionalProperties\":false}";
    char req[1024];
    snprintf(req, sizeof req,
             "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
             "{\"responseMimeType\":\"application/json\",\"responseJsonSchema\":%s}}",
             js);
    json_t *r = answer(req);
    json_t *inst = json_loads(text0(r), JSON_DECODE_ANY, NULL);
    cr_assert_not_null(inst, "%s", text0(r));
    json_t *doc = json_loads(js, 0, NULL);
    struct schema *s = NULL;
    struct gb_err ge;
    gb_err_clear(&ge);
    cr_assert_eq(schema_compile(doc, "t", &s, &ge), 0, "%s", ge.msg);
    json_t *errs = NULL;
    cr_expect_eq(schema_validate(s, inst, &errs, 0), 1, "%s", text0(r));
    json_decref(errs);
    /* the schema_violation mode breaks it */
    json_t *bad = answer_env(&env, req, EMU_ANSWER_SCHEMA_VIOLATION);
    json_t *binst = json_loads(text0(bad), JSON_DECODE_ANY, NULL);
    errs = NULL;
    cr_expect(!binst || schema_validate(s, binst, &errs, 0) == 0, "violation: %s", text0(bad));
    json_decref(errs);
    json_decref(binst);
    json_decref(bad);
    schema_free(s);
    json_decref(doc);
    json_decref(inst);
    json_decref(r);

    /* OpenAPI style: uppercase types, nullable, string int64 bounds */
    r = answer("{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generation_config\":"
               "{\"response_mime_type\":\"application/json\",\"response_schema\":"
               "{\"type\":\"OBJECT\",\"properties\":{\"n\":{\"type\":\"INTEGER\",\"nullable\":true},"
               "\"tags\":{\"type\":\"ARRAY\",\"items\":{\"type\":\"STRING\",\"enum\":[\"x\",\"y\"]},"
               "\"minItems\":\"1\"}},\"required\":[\"n\",\"tags\"],"
               "\"propertyOrdering\":[\"n\",\"tags\"]}}}");
    inst = json_loads(text0(r), 0, NULL);
    cr_assert(json_is_object(inst), "%s", text0(r));
    const json_t *n = json_object_get(inst, "n"), *tags = json_object_get(inst, "tags");
    cr_expect(json_is_integer(n) || json_is_null(n), "%s", text0(r));
    cr_expect(json_is_array(tags) && json_array_size(tags) >= 1, "%s", text0(r));
    size_t i;
    const json_t *tg;
    json_array_foreach(tags, i, tg) {
        const char *v = json_string_value(tg);
        cr_expect(v && (!strcmp(v, "x") || !strcmp(v, "y")), "%s", text0(r));
    }
    json_decref(inst);
    json_decref(r);

    /* text/x.enum: the bare value */
    r = answer("{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
               "{\"responseMimeType\":\"text/x.enum\",\"responseSchema\":"
               "{\"type\":\"STRING\",\"enum\":[\"RED\",\"BLUE\"]}}}");
    cr_expect(!strcmp(text0(r), "RED") || !strcmp(text0(r), "BLUE"), "%s", text0(r));
    json_decref(r);
}

Test(emu_gencontent, images_max_tokens_and_thinking)
{
    json_t *r = answer("{\"contents\":[{\"parts\":[{\"text\":\"draw\"}]}],"
                       "\"generationConfig\":{\"responseModalities\":[\"TEXT\",\"IMAGE\"]}}");
    const json_t *img = json_object_get(json_array_get(parts(r), 1), "inlineData");
    cr_assert_not_null(img);
    cr_expect_str_eq(json_string_value(json_object_get(img, "mimeType")), "image/png");
    const char *d = json_string_value(json_object_get(img, "data"));
    uint8_t *raw = malloc(b64_dec_max(strlen(d)));
    long long n = b64_decode(d, strlen(d), raw);
    cr_assert_gt(n, 8);
    cr_expect_eq(memcmp(raw, "\x89PNG\r\n\x1a\n", 8), 0, "a real PNG");
    free(raw);
    cr_expect_eq(detail(r, "candidatesTokensDetails", "IMAGE"), 1290); /* a generated image, as the emulator bills it */
    json_decref(r);

    r = answer("{\"contents\":[{\"parts\":[{\"text\":\"long\"}]}],"
               "\"generationConfig\":{\"maxOutputTokens\":5}}");
    cr_expect_str_eq(json_string_value(json_object_get(
                         json_array_get(json_object_get(r, "candidates"), 0), "finishReason")),
                     "MAX_TOKENS");
    cr_expect_leq(strlen(text0(r)), 20);
    json_decref(r);

    r = answer("{\"contents\":[{\"parts\":[{\"text\":\"think\"}]}],\"generationConfig\":"
               "{\"thinkingConfig\":{\"thinkingBudget\":200,\"includeThoughts\":true}}}");
    cr_expect_eq(usage(r, "thoughtsTokenCount"), 128, "a budget of 200: 128 thought tokens");
    cr_expect_eq(usage(r, "totalTokenCount"), usage(r, "promptTokenCount") +
                                                  usage(r, "candidatesTokenCount") + 128);
    const json_t *p0 = json_array_get(parts(r), 0);
    cr_expect(json_is_true(json_object_get(p0, "thought")), "the thought summary comes first");
    const json_t *last = json_array_get(parts(r), json_array_size(parts(r)) - 1);
    cr_expect(json_is_string(json_object_get(last, "thoughtSignature")));
    json_decref(r);

    r = answer("{\"contents\":[{\"parts\":[{\"text\":\"think\"}]}],\"generationConfig\":"
               "{\"thinkingConfig\":{\"thinkingBudget\":0}}}");
    cr_expect_eq(usage(r, "thoughtsTokenCount"), 0, "a budget of 0 does not think");
    json_decref(r);
}

Test(emu_gencontent, refusals)
{
    struct emu_err e;
    cr_expect_eq(refused("gemini-2.5-flash", "{\"contents\":[],\"foo\":1}", &e), 400);
    cr_expect_not_null(strstr(e.msg, "Unknown name \"foo\""), "%s", e.msg);
    cr_expect_eq(refused("gemini-2.5-flash", "{\"generationConfig\":{}}", &e), 400);
    cr_expect_not_null(strstr(e.msg, "contents is not specified"), "%s", e.msg);
    cr_expect_eq(refused("gemini-9", "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}]}", &e), 404);
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"text\":\"x\",\"bogus\":1}]}]}", &e),
                 400);
    cr_expect_not_null(strstr(e.msg, "contents[0].parts[0]"), "%s", e.msg);
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"inlineData\":{\"mimeType\":\"image/png\","
                         "\"data\":\"!!\"}}]}]}",
                         &e),
                 400);
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"fileData\":{\"fileUri\":\"files/nope\"}}]}]}",
                         &e),
                 404);
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"fileData\":{\"fileUri\":\"files/busy\"}}]}]}",
                         &e),
                 400);
    cr_expect_str_eq(e.status, "FAILED_PRECONDITION");
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
                         "{\"responseJsonSchema\":{\"type\":\"object\"}}}",
                         &e),
                 400, "a schema needs responseMimeType application/json");
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
                         "{\"temperature\":3}}",
                         &e),
                 400);
    cr_expect_eq(refused("gemini-2.5-flash",
                         "{\"contents\":[{\"parts\":[{\"text\":\"x\"}]}],\"generationConfig\":"
                         "{\"thinkingConfig\":{\"thinkingBudget\":10,\"thinkingLevel\":\"LOW\"}}}",
                         &e),
                 400);
}

/* A line names its file by a random id; the answer reads the file's content:
 * the same bytes uploaded again (another id, bare or as a full uri) get the
 * same answer, so a resumed or re-run batch is billed the same. */
Test(emu_gencontent, an_uploaded_file_is_answered_by_its_content_not_its_id)
{
    const char *fmt = "{\"contents\":[{\"parts\":[{\"text\":\"read\"},"
                      "{\"fileData\":{\"fileUri\":\"%s\"}}]}]}";
    const char *uris[] = {"files/abc", "files/abd",
                          "https://generativelanguage.googleapis.com/v1beta/files/abd"};
    char req[512], *first = NULL;
    for (int i = 0; i < 3; i++) {
        snprintf(req, sizeof req, fmt, uris[i]);
        json_t *r = answer(req);
        const char *t = text0(r);
        if (!first)
            first = strdup(t);
        else
            cr_expect_str_eq(t, first, "%s", uris[i]);
        json_decref(r);
    }
    snprintf(req, sizeof req, fmt, "https://example.com/abc.txt");
    json_t *r = answer(req);
    cr_expect_str_neq(text0(r), first, "a remote file is not ours: another answer");
    json_decref(r);
    free(first);
}
