/* test_emu_request.c: create bodies as the emulator parses them: dialect
 * detection, every input form (string, content, content list, turns, G3
 * steps), both response_format shapes, file and remote uris, the answer hash,
 * and each validation error with its HTTP status and status name. Runs the
 * parser alone with fake lookups: no server. */
#include <criterion/criterion.h>
#include <string.h>

#include "emu_int.h"

/* ---- fakes ------------------------------------------------------------------ */

static int fake_prev(void *ctx, const char *id, struct emu_prev *out)
{
    memset(out, 0, sizeof *out);
    /* ix_prev and ix_same: two runs of one conversation (random ids, one
     * answer hash); ix_other: another conversation */
    if (strcmp(id, "ix_prev") && strcmp(id, "ix_same") && strcmp(id, "ix_other"))
        return -1;
    memset(out->hash, strcmp(id, "ix_other") ? 0x11 : 0x22, sizeof out->hash);
    out->turns_total = 2;
    out->tokens = 100;
    out->tools = json_loads("[{\"type\":\"function\",\"name\":\"get_weather\"}]", 0, NULL);
    return 0;
}

static int fake_file(void *ctx, const char *uri, struct emu_facts *f, char *mime, size_t mimesz,
                     char *name, size_t namesz)
{
    const char *id = strrchr(uri, '/');
    if (strncmp(uri, "http://127.0.0.1:1/v1beta/files/", 32))
        return EMU_FILE_NOT_OURS;
    snprintf(name, namesz, "files%s", id);
    if (!strcmp(id, "/active") || !strcmp(id, "/active2")) { /* one content, two uploads */
        memset(f, 0, sizeof *f);
        f->bytes = 1234;
        f->seconds = -1;
        memset(f->sha256, 0xab, 32);
        snprintf(mime, mimesz, "image/jpeg");
        return EMU_FILE_ACTIVE;
    }
    if (!strcmp(id, "/busy"))
        return EMU_FILE_PROCESSING;
    return EMU_FILE_UNKNOWN;
}

static struct emu_env env = {7, NULL, fake_prev, fake_file, NULL};

static int parse_path(const char *path, const struct emu_hdrs *h, const char *body,
                      struct emu_call *c, struct emu_err *e)
{
    memset(e, 0, sizeof *e);
    return emu_call_parse(&env, path, h, body, strlen(body), c, e);
}

static int parse(const char *body, struct emu_call *c, struct emu_err *e)
{
    return parse_path("/v1beta/interactions", NULL, body, c, e);
}

static void ok(const char *body, struct emu_call *c)
{
    struct emu_err e;
    int rc = parse(body, c, &e);
    cr_assert_eq(rc, 0, "%s -> %d %s: %s", body, e.http, e.status, e.msg);
}

static void bad(const char *body, int http, const char *status, const char *msg_part)
{
    struct emu_call c;
    struct emu_err e;
    cr_assert_eq(parse(body, &c, &e), -1, "accepted: %s", body);
    cr_expect_eq(e.http, http, "%s: http %d (%s)", body, e.http, e.msg);
    cr_expect_str_eq(e.status, status, "%s", body);
    if (msg_part)
        cr_expect_not_null(strstr(e.msg, msg_part), "'%s' not in '%s'", msg_part, e.msg);
    cr_assert_null(c.body, "freed on failure");
}

/* ---- dialects ------------------------------------------------------------------- */

Test(emu_request, dialect_detection)
{
    struct emu_hdrs none = {0}, stainless = {"google-genai-sdk/1.33.0 gl-node/v20", "application/json", 1},
                    g3ua = {"google-genai-sdk/3.3.0 gl-node/v20", "text/event-stream", 0},
                    g1ua = {"google-genai-sdk/1.33.0 gl-node/v20", NULL, 0};
    cr_expect_eq(emu_dialect("/v1/interactions", &stainless, NULL), EMU_G3, "path wins");
    cr_expect_eq(emu_dialect("/upload/v1/files", &none, NULL), EMU_G3);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &none, NULL), EMU_G1, "raw curl");
    cr_expect_eq(emu_dialect("/v1beta/interactions", &stainless, NULL), EMU_G1);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &g3ua, NULL), EMU_G3);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &g1ua, NULL), EMU_G1);
    json_t *b = json_loads("{\"model\":\"m\",\"input\":\"x\",\"response_format\":{\"type\":\"text\","
                           "\"schema\":{}}}", 0, NULL);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &none, b), EMU_G3, "G3 wrapper");
    json_decref(b);
    b = json_loads("{\"model\":\"m\",\"input\":[{\"type\":\"user_input\",\"content\":[]}]}", 0, NULL);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &none, b), EMU_G3, "G3 steps");
    json_decref(b);
    b = json_loads("{\"model\":\"m\",\"input\":\"x\",\"service_tier\":\"flex\"}", 0, NULL);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &none, b), EMU_G3);
    json_decref(b);
    b = json_loads("{\"model\":\"m\",\"input\":\"x\",\"response_format\":{\"type\":\"object\"}}", 0,
                   NULL);
    cr_expect_eq(emu_dialect("/v1beta/interactions", &none, b), EMU_G1, "G1 bare schema");
    json_decref(b);
    cr_expect_str_eq(emu_dialect_name(EMU_G3), "g3");
}

/* ---- input forms ----------------------------------------------------------------------- */

Test(emu_request, input_string)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"Tell me a joke\"}", &c);
    cr_expect_eq(c.turns, 1);
    cr_expect_eq(c.nparts, 0);
    cr_expect_eq(c.text_chars, 14);
    cr_expect_str_eq(c.model, "gemini-2.5-flash");
    cr_expect_eq(c.store, 1, "store defaults to true");
    cr_expect_eq(c.stream, 0);
    cr_expect_eq(c.dialect, EMU_G1);
    emu_call_free(&c);
}

Test(emu_request, input_single_content_object)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":{\"type\":\"text\",\"text\":\"hi\"}}", &c);
    cr_expect_eq(c.turns, 1);
    cr_expect_eq(c.text_chars, 2);
    emu_call_free(&c);
}

Test(emu_request, input_content_list_with_inline_image)
{
    struct emu_call c;
    /* "hello" in base64; the digest is the SHA-256 of the decoded bytes */
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":\"Describe\"},"
       "{\"type\":\"image\",\"data\":\"aGVsbG8=\",\"mime_type\":\"image/png\"}]}",
       &c);
    cr_expect_eq(c.turns, 1, "content items of one role are one turn");
    cr_assert_eq(c.nparts, 1);
    cr_expect_eq(c.parts[0].kind, EMU_IMAGE);
    cr_expect_str_eq(c.parts[0].mime, "image/png");
    cr_expect_eq(c.parts[0].f.bytes, 5);
    char hex[65];
    sha256_hex(c.parts[0].f.sha256, hex);
    cr_expect_str_eq(hex, "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824");
    emu_call_free(&c);
}

Test(emu_request, url_safe_base64_and_sniffed_mime)
{
    struct emu_call c;
    /* 0x89 'P' 'N' 'G' ... in URL-safe base64 with '-' and '_' */
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"data\":\"iVBORw0KGgr-_w\"}]}",
       &c);
    cr_assert_eq(c.nparts, 1);
    cr_expect_str_eq(c.parts[0].mime, "image/png", "sniffed from the bytes");
    cr_expect_eq(c.parts[0].f.bytes, 10);
    emu_call_free(&c);
}

Test(emu_request, input_turns_with_previous_outputs)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":["
       "{\"role\":\"user\",\"content\":\"Schedule a meeting\"},"
       "{\"role\":\"model\",\"content\":[{\"type\":\"function_call\",\"id\":\"fc1\",\"name\":\"schedule\","
       "\"arguments\":{}}]},"
       "{\"role\":\"user\",\"content\":[{\"type\":\"function_result\",\"name\":\"schedule\","
       "\"call_id\":\"fc1\",\"result\":\"Meeting scheduled successfully.\"}]}]}",
       &c);
    cr_expect_eq(c.turns, 3);
    cr_assert_eq(json_array_size(c.fn_results), 1);
    const json_t *r = json_array_get(c.fn_results, 0);
    cr_expect_str_eq(json_string_value(json_object_get(r, "name")), "schedule");
    cr_expect_str_eq(json_string_value(json_object_get(r, "result")),
                     "Meeting scheduled successfully.");
    cr_expect_null(c.tools, "tools are not resent");
    emu_call_free(&c);
}

Test(emu_request, results_answered_by_a_later_model_turn_do_not_count)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":["
       "{\"role\":\"user\",\"content\":[{\"type\":\"function_result\",\"call_id\":\"a\",\"result\":{\"ok\":1}}]},"
       "{\"role\":\"model\",\"content\":\"done\"},{\"role\":\"user\",\"content\":\"next?\"}]}",
       &c);
    cr_expect_eq(c.turns, 3);
    cr_expect_eq(json_array_size(c.fn_results), 0);
    emu_call_free(&c);
}

Test(emu_request, input_g3_steps)
{
    struct emu_call c;
    struct emu_err e;
    cr_assert_eq(parse_path("/v1/interactions", NULL,
                            "{\"model\":\"gemini-2.5-flash\",\"input\":["
                            "{\"type\":\"user_input\",\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]},"
                            "{\"type\":\"model_output\",\"content\":[{\"type\":\"text\",\"text\":\"hello\"}]},"
                            "{\"type\":\"function_call\",\"id\":\"x\",\"name\":\"f\",\"arguments\":{}},"
                            "{\"type\":\"function_result\",\"call_id\":\"x\",\"result\":\"42\"}]}",
                            &c, &e),
                 0, "%s", e.msg);
    cr_expect_eq(c.dialect, EMU_G3);
    cr_expect_eq(c.turns, 3, "user, model (output + call), user (result)");
    cr_expect_eq(json_array_size(c.fn_results), 1);
    emu_call_free(&c);
}

Test(emu_request, previous_interaction_adds_history_and_tools)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"previous_interaction_id\":\"ix_prev\",\"input\":["
       "{\"type\":\"function_result\",\"name\":\"get_weather\",\"call_id\":\"c\",\"result\":\"sunny\"}]}",
       &c);
    cr_expect_eq(c.turns, 3, "2 stored turns + this one");
    cr_expect_eq(c.history_tokens, 100);
    cr_assert_not_null(c.tools, "tools remembered from the previous interaction");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(c.tools, 0), "name")),
                     "get_weather");
    emu_call_free(&c);
}

/* A continued conversation gets the same answer in every run: the hash
 * reads the previous answer's hash, not its random id. */
Test(emu_request, a_continued_conversation_hashes_the_history_not_the_id)
{
    struct emu_call a, b, o, none;
    ok("{\"model\":\"gemini-2.5-flash\",\"previous_interaction_id\":\"ix_prev\",\"input\":\"go on\"}", &a);
    ok("{\"model\":\"gemini-2.5-flash\",\"previous_interaction_id\":\"ix_same\",\"input\":\"go on\"}", &b);
    ok("{\"model\":\"gemini-2.5-flash\",\"previous_interaction_id\":\"ix_other\",\"input\":\"go on\"}", &o);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"go on\"}", &none);
    cr_expect(!memcmp(a.hash, b.hash, 32), "same history, other id: same answer");
    cr_expect(memcmp(a.hash, o.hash, 32), "another history: another answer");
    cr_expect(memcmp(a.hash, none.hash, 32), "no history: another answer");
    emu_call_free(&a);
    emu_call_free(&b);
    emu_call_free(&o);
    emu_call_free(&none);
}

/* Uploaded files are hashed by what they hold: a second upload of the same
 * bytes gets another random id, and the same answer. */
Test(emu_request, an_uploaded_file_is_hashed_by_its_content_not_its_id)
{
    struct emu_call a, b, r;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":\"x\"},"
       "{\"type\":\"image\",\"uri\":\"http://127.0.0.1:1/v1beta/files/active\"}]}", &a);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":\"x\"},"
       "{\"type\":\"image\",\"uri\":\"http://127.0.0.1:1/v1beta/files/active2\"}]}", &b);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"text\",\"text\":\"x\"},"
       "{\"type\":\"image\",\"uri\":\"https://example.com/a.jpg\"}]}", &r);
    cr_expect(!memcmp(a.hash, b.hash, 32), "same bytes under another id: same answer");
    cr_expect(memcmp(a.hash, r.hash, 32), "a remote uri is not our file: another answer");
    cr_expect_str_eq(json_string_value(json_object_get(json_array_get(json_object_get(b.body, "input"), 1), "uri")),
                     "http://127.0.0.1:1/v1beta/files/active2", "the request itself is left as sent");
    emu_call_free(&a);
    emu_call_free(&b);
    emu_call_free(&r);
}

Test(emu_request, file_and_remote_uris)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":["
       "{\"type\":\"image\",\"uri\":\"http://127.0.0.1:1/v1beta/files/active\"},"
       "{\"type\":\"image\",\"uri\":\"https://github.com/x/cats-and-dogs.jpg\"},"
       "{\"type\":\"document\",\"uri\":\"gs://bucket/a.pdf\",\"mime_type\":\"application/pdf\"}]}",
       &c);
    cr_assert_eq(c.nparts, 3);
    cr_expect_eq(c.parts[0].remote, 0);
    cr_expect_eq(c.parts[0].f.bytes, 1234);
    cr_expect_str_eq(c.parts[0].mime, "image/jpeg", "the file's type");
    cr_expect_str_eq(c.parts[0].file, "files/active");
    cr_expect_eq(c.parts[1].remote, 1);
    cr_expect_str_eq(c.parts[1].mime, "image/jpeg", "from the extension");
    cr_expect_eq(c.parts[2].remote, 1);
    emu_call_free(&c);
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"uri\":"
        "\"http://127.0.0.1:1/v1beta/files/busy\"}]}",
        400, "FAILED_PRECONDITION", "ACTIVE");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"uri\":"
        "\"http://127.0.0.1:1/v1beta/files/gone\"}]}",
        404, "NOT_FOUND", "files/gone");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"uri\":\"ftp://x/y.png\"}]}",
        400, "INVALID_ARGUMENT", "input[0].uri");
}

/* ---- response_format, modalities ------------------------------------------------------------- */

Test(emu_request, response_format_both_shapes)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":{\"type\":\"object\","
       "\"properties\":{\"a\":{\"type\":\"string\"}},\"required\":[\"a\"]}}",
       &c);
    cr_expect_not_null(c.schema, "G1 bare schema");
    emu_call_free(&c);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":{\"type\":\"text\","
       "\"mime_type\":\"application/json\",\"schema\":{\"type\":\"integer\"}}}",
       &c);
    cr_expect_not_null(c.schema, "G3 wrapper");
    cr_expect_eq(c.dialect, EMU_G3);
    emu_call_free(&c);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":[{\"type\":\"text\","
       "\"schema\":{\"type\":\"string\"}},{\"type\":\"image\"}]}",
       &c);
    cr_expect_not_null(c.schema);
    cr_expect_eq(c.want_image, 1);
    emu_call_free(&c);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":{\"type\":\"text\","
       "\"mime_type\":\"text/plain\"}}",
       &c);
    cr_expect_null(c.schema, "text/plain: no schema");
    emu_call_free(&c);
}

Test(emu_request, modalities_any_case_and_image_models)
{
    struct emu_call c;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_modalities\":[\"IMAGE\",\"Text\"]}",
       &c);
    cr_expect_eq(c.want_image, 1);
    emu_call_free(&c);
    ok("{\"model\":\"gemini-3-pro-image-preview\",\"input\":\"A city\"}", &c);
    cr_expect_eq(c.want_image, 1, "an image model draws");
    emu_call_free(&c);
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_modalities\":[\"smell\"]}", 400,
        "INVALID_ARGUMENT", "response_modalities[0]");
}

/* ---- the answer hash ---------------------------------------------------------------------- */

Test(emu_request, hash_ignores_transport_fields)
{
    struct emu_call a, b, c2;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"same\"}", &a);
    ok("{\"input\":\"same\",\"stream\":true,\"store\":false,\"model\":\"gemini-2.5-flash\"}", &b);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"other\"}", &c2);
    cr_expect(!memcmp(a.hash, b.hash, 32), "stream/store and key order do not change the answer");
    cr_expect(memcmp(a.hash, c2.hash, 32), "the input does");
    env.seed = 8;
    struct emu_call d;
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"same\"}", &d);
    env.seed = 7;
    cr_expect(memcmp(a.hash, d.hash, 32), "the seed does");
    emu_call_free(&a);
    emu_call_free(&b);
    emu_call_free(&c2);
    emu_call_free(&d);
}

/* ---- validation --------------------------------------------------------------------------- */

Test(emu_request, validation_errors)
{
    bad("{\"model\":", 400, "INVALID_ARGUMENT", "Invalid JSON payload");
    bad("[1,2]", 400, "INVALID_ARGUMENT", "object");
    bad("{\"input\":\"x\"}", 400, "INVALID_ARGUMENT", "model");
    bad("{\"model\":\"gemini-2.5-flash\",\"agent\":\"deep-research-pro-preview-12-2025\","
        "\"input\":\"x\",\"background\":true}",
        400, "INVALID_ARGUMENT", "Only one");
    bad("{\"model\":\"gemini-9-ultra\",\"input\":\"x\"}", 404, "NOT_FOUND",
        "models/gemini-9-ultra is not found");
    bad("{\"agent\":\"nobody\",\"input\":\"x\",\"background\":true}", 404, "NOT_FOUND", "nobody");
    bad("{\"agent\":\"deep-research-pro-preview-12-2025\",\"input\":\"x\"}", 400,
        "INVALID_ARGUMENT", "background");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"agent_config\":{\"type\":\"dynamic\"}}", 400,
        "INVALID_ARGUMENT", "agent_config");
    bad("{\"agent\":\"deep-research-pro-preview-12-2025\",\"input\":\"x\",\"background\":true,"
        "\"generation_config\":{}}",
        400, "INVALID_ARGUMENT", "generation_config");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"background\":true,\"store\":false}", 400,
        "INVALID_ARGUMENT", "store");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"previous_interaction_id\":\"ix_nope\"}", 404,
        "NOT_FOUND", "ix_nope");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\",\"data\":\"@@@@\","
        "\"mime_type\":\"image/png\"}]}",
        400, "INVALID_ARGUMENT", "Base64 decoding failed");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"response_format\":{\"type\":\"object\","
        "\"unevaluatedProperties\":false}}",
        400, "INVALID_ARGUMENT", "unevaluatedProperties");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"vars\":{}}", 400, "INVALID_ARGUMENT",
        "Unknown name \"vars\"");
    bad("{\"model\":\"gemini-2.5-flash\"}", 400, "INVALID_ARGUMENT", "input");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"hologram\"}]}", 400,
        "INVALID_ARGUMENT", "input[0].type");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"stream\":\"yes\"}", 400,
        "INVALID_ARGUMENT", "stream");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"generation_config\":{\"max_output_tokens\":0}}",
        400, "INVALID_ARGUMENT", "max_output_tokens");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":\"x\",\"tools\":[{\"type\":\"teleport\"}]}", 400,
        "INVALID_ARGUMENT", "tools[0].type");
    bad("{\"model\":\"gemini-2.5-flash\",\"input\":[{\"type\":\"image\"}]}", 400, "INVALID_ARGUMENT",
        "data");
}

Test(emu_request, agent_in_background_and_models_prefix)
{
    struct emu_call c;
    ok("{\"agent\":\"deep-research-pro-preview-12-2025\",\"input\":\"Research TPUs\",\"background\":true}",
       &c);
    cr_expect_str_eq(c.agent, "deep-research-pro-preview-12-2025");
    cr_expect_eq(c.background, 1);
    emu_call_free(&c);
    ok("{\"model\":\"models/gemini-2.5-pro\",\"input\":\"x\"}", &c);
    emu_call_free(&c);
    cr_expect(emu_known_model("gemini-2.0-flash"));
    cr_expect(emu_known_model("gemini-2.5-flash-image"));
    cr_expect(!emu_known_model("gpt-4"));
}

/* ---- key sets: content blocks, steps, turns and tools (issue 13 point 18) ------------ */

#define G1P "/v1beta/interactions"
#define G3P "/v1/interactions"

static void ok_at(const char *path, const char *body)
{
    struct emu_call c;
    struct emu_err e;
    cr_assert_eq(parse_path(path, NULL, body, &c, &e), 0, "%s %s -> %d %s", path, body, e.http,
                 e.msg);
    emu_call_free(&c);
}

static void bad_at(const char *path, const char *body, const char *msg_part)
{
    struct emu_call c;
    struct emu_err e;
    cr_assert_eq(parse_path(path, NULL, body, &c, &e), -1, "accepted on %s: %s", path, body);
    cr_expect_eq(e.http, 400, "%s: %d %s", body, e.http, e.msg);
    cr_expect_str_eq(e.status, "INVALID_ARGUMENT", "%s", body);
    cr_expect_not_null(strstr(e.msg, msg_part), "'%s' not in '%s'", msg_part, e.msg);
}

#define M "{\"model\":\"gemini-2.5-flash\","

Test(emu_request, unknown_key_in_a_content_block_is_refused_in_both_dialects, .timeout = 10)
{
    static const char *const paths[] = {G1P, G3P};
    for (int i = 0; i < 2; i++) {
        const char *p = paths[i];
        bad_at(p, M "\"input\":[{\"type\":\"text\",\"text\":\"hi\",\"bogus_xyz\":1}]}",
               "Unknown name \"bogus_xyz\" at 'input[0]': Cannot find field.");
        /* an empty key (found by fuzzing: it once made the check loop forever) */
        bad_at(p, M "\"input\":[{\"type\":\"text\",\"\":\"x\"}]}", "Unknown name \"\" at 'input[0]'");
        bad_at(p, M "\"input\":{\"type\":\"image\",\"uri\":\"https://x.test/a.png\",\"bogus_xyz\":1}}",
               "Unknown name \"bogus_xyz\" at 'input'");
        bad_at(p, M "\"input\":[{\"role\":\"user\",\"content\":[{\"type\":\"text\",\"text\":\"a\","
                    "\"bogus_xyz\":true}]}]}",
               "at 'input[0].content[0]'");
        bad_at(p, M "\"input\":[{\"role\":\"user\",\"content\":\"a\",\"bogus_xyz\":0}]}",
               "Unknown name \"bogus_xyz\" at 'input[0]'");
        bad_at(p, M "\"input\":[{\"type\":\"function_call\",\"id\":\"c1\",\"name\":\"f\","
                    "\"arguments\":{},\"bogus_xyz\":1}]}",
               "at 'input[0]'");
        bad_at(p, M "\"input\":\"x\",\"tools\":[{\"type\":\"google_search\",\"bogus_xyz\":1}]}",
               "Unknown name \"bogus_xyz\" at 'tools[0]'");
        bad_at(p, M "\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\",\"bogus_xyz\":1}]}",
               "at 'tools[0]'");
        /* what the SDK types define passes */
        ok_at(p, M "\"input\":[{\"type\":\"text\",\"text\":\"hi\",\"annotations\":[]},"
                   "{\"type\":\"image\",\"uri\":\"https://x.test/a.png\",\"mime_type\":\"image/png\","
                   "\"resolution\":\"low\"}]}");
        ok_at(p, M "\"input\":[{\"role\":\"user\",\"content\":\"a\"},{\"role\":\"model\","
                   "\"content\":[{\"type\":\"thought\",\"signature\":\"c2ln\",\"summary\":[]},"
                   "{\"type\":\"function_call\",\"id\":\"c1\",\"name\":\"f\",\"arguments\":{}}]},"
                   "{\"role\":\"user\",\"content\":[{\"type\":\"function_result\",\"call_id\":\"c1\","
                   "\"name\":\"f\",\"result\":\"ok\",\"is_error\":false}]}]}");
    }
    /* G3 steps */
    bad_at(G3P, M "\"input\":[{\"type\":\"user_input\",\"content\":[],\"bogus_xyz\":1}]}",
           "at 'input[0]'");
    bad_at(G3P, M "\"input\":[{\"type\":\"user_input\",\"content\":[{\"type\":\"text\",\"text\":\"a\","
                  "\"bogus_xyz\":1}]}]}",
           "at 'input[0].content[0]'");
    ok_at(G3P, M "\"input\":[{\"type\":\"user_input\",\"content\":[{\"type\":\"text\",\"text\":\"a\"}]},"
                 "{\"type\":\"model_output\",\"content\":[{\"type\":\"text\",\"text\":\"b\"}]},"
                 "{\"type\":\"google_search_call\",\"id\":\"g\",\"arguments\":{},"
                 "\"search_type\":\"web_search\",\"signature\":\"s\"},"
                 "{\"type\":\"user_input\",\"content\":\"c\"}]}");
}

Test(emu_request, key_sets_follow_each_dialects_sdk)
{
    /* 1.33.0 (G1) has no processing, no document resolution, no ultra_high,
     * no defer_loading; 3.6.1 (G3) has them all */
    const char *doc = M "\"input\":[{\"type\":\"document\",\"uri\":\"https://x.test/a.pdf\","
                        "\"resolution\":\"high\"}]}";
    bad_at(G1P, doc, "Unknown name \"resolution\" at 'input[0]'");
    ok_at(G3P, doc);
    const char *ultra = M "\"input\":[{\"type\":\"image\",\"uri\":\"https://x.test/a.png\","
                          "\"resolution\":\"ultra_high\"}]}";
    bad_at(G1P, ultra, "Invalid value at 'input[0].resolution' (\"ultra_high\")");
    ok_at(G3P, ultra);
    const char *defer = M "\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\","
                          "\"defer_loading\":true,\"short_description\":\"finds f\"}]}";
    bad_at(G1P, defer, "Unknown name \"defer_loading\" at 'tools[0]'");
    ok_at(G3P, defer);
    const char *audio = M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\","
                          "\"processing\":\"static\"}]}";
    bad_at(G1P, audio, "Unknown name \"processing\"");
    ok_at(G3P, audio);
    /* G1 spells computer_use's list in camelCase, G3 in snake_case */
    bad_at(G1P, M "\"input\":\"x\",\"tools\":[{\"type\":\"computer_use\","
                  "\"excluded_predefined_functions\":[]}]}",
           "excluded_predefined_functions");
    ok_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"computer_use\","
                 "\"excluded_predefined_functions\":[]}]}");
    /* a type G1's SDK does not define is checked with G3's keys */
    ok_at(G1P, M "\"input\":\"x\",\"tools\":[{\"type\":\"google_maps\",\"latitude\":1,"
                 "\"longitude\":2}]}");
    bad_at(G1P, M "\"input\":\"x\",\"tools\":[{\"type\":\"google_maps\",\"altitude\":1}]}",
           "Unknown name \"altitude\"");
}

Test(emu_request, media_processing_options_of_sdk_3_6_1)
{
    ok_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\","
                 "\"processing\":{\"type\":\"static\",\"start_offset\":\"1.5s\",\"end_offset\":\"30s\"}},"
                 "{\"type\":\"document\",\"uri\":\"https://x.test/a.pdf\",\"processing\":{\"type\":"
                 "\"static\",\"page_options\":{\"content_layers\":[\"page_text\"],\"start_page\":1,"
                 "\"end_page\":3},\"spreadsheet_options\":{\"content_layers\":[\"data\",\"formulas\"],"
                 "\"sheet_index\":0,\"visible_cells\":\"A1:B9\"}}},"
                 "{\"type\":\"video\",\"uri\":\"https://x.test/a.mp4\",\"name\":\"clip\","
                 "\"resolution\":\"medium\",\"processing\":{\"type\":\"static\",\"fps\":0.5,"
                 "\"content_layers\":[\"frames\",\"audio\",\"transcript\"]}},"
                 "{\"type\":\"video\",\"uri\":\"https://x.test/b.mp4\",\"processing\":\"agentic\"}]}");
    bad_at(G3P, M "\"input\":[{\"type\":\"video\",\"uri\":\"https://x.test/a.mp4\",\"processing\":"
                  "{\"type\":\"static\",\"content_layers\":[\"frames\",\"pixels\"]}}]}",
           "Invalid value at 'input[0].processing.content_layers[1]' (\"pixels\")");
    bad_at(G3P, M "\"input\":[{\"type\":\"video\",\"uri\":\"https://x.test/a.mp4\",\"processing\":"
                  "{\"type\":\"static\",\"content_layers\":\"frames\"}}]}",
           "expected a list");
    bad_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\","
                  "\"processing\":\"agentic\"}]}",
           "Invalid value at 'input[0].processing' (\"agentic\")");
    bad_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\",\"processing\":"
                  "{\"type\":\"static\",\"start_offset\":\"9s\",\"end_offset\":\"3s\"}}]}",
           "end_offset': must be greater");
    bad_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\",\"processing\":"
                  "{\"type\":\"static\",\"start_offset\":\"ten\"}}]}",
           "start_offset");
    bad_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\",\"processing\":"
                  "{\"start_offset\":\"1s\"}}]}",
           "needs 'type'");
    bad_at(G3P, M "\"input\":[{\"type\":\"audio\",\"uri\":\"https://x.test/a.wav\",\"processing\":"
                  "{\"type\":\"static\",\"fps\":2}}]}",
           "Unknown name \"fps\" at 'input[0].processing'");
    bad_at(G3P, M "\"input\":[{\"type\":\"document\",\"uri\":\"https://x.test/a.pdf\",\"processing\":"
                  "{\"type\":\"static\",\"page_options\":{\"pages\":3}}}]}",
           "Unknown name \"pages\" at 'input[0].processing.page_options'");
    bad_at(G3P, M "\"input\":[{\"type\":\"document\",\"uri\":\"https://x.test/a.pdf\",\"processing\":"
                  "{\"type\":\"static\",\"page_options\":{\"start_page\":0}}}]}",
           "start_page");
    bad_at(G3P, M "\"input\":[{\"type\":\"video\",\"uri\":\"https://x.test/a.mp4\",\"processing\":"
                  "{\"type\":\"static\",\"fps\":0}}]}",
           "fps");
    bad_at(G3P, M "\"input\":[{\"type\":\"image\",\"uri\":\"https://x.test/a.png\",\"resolution\":4}]}",
           "input[0].resolution");
}

Test(emu_request, tool_search_tool_and_steps)
{
    ok_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"tool_search\"},{\"type\":\"tool_search\","
                 "\"execution\":\"client\",\"name\":\"find\",\"description\":\"d\",\"parameters\":"
                 "{\"type\":\"object\"}}]}");
    bad_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"tool_search\",\"execution\":\"remote\"}]}",
           "Invalid value at 'tools[0].execution' (\"remote\")");
    bad_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"tool_search\",\"query\":\"f\"}]}",
           "Unknown name \"query\" at 'tools[0]'");
    bad_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\","
                  "\"defer_loading\":\"yes\"}]}",
           "tools[0].defer_loading");
    bad_at(G3P, M "\"input\":\"x\",\"tools\":[{\"type\":\"function\",\"name\":\"f\","
                  "\"short_description\":7}]}",
           "tools[0].short_description");
    /* the steps of a search sent back; its result loads the functions */
    struct emu_call c;
    struct emu_err e;
    const char *body = M "\"input\":[{\"type\":\"user_input\",\"content\":\"q\"},"
                         "{\"type\":\"tool_search_call\",\"id\":\"ts1\",\"arguments\":"
                         "{\"function_names\":[\"get_weather\"]},\"signature\":\"s\"},"
                         "{\"type\":\"tool_search_result\",\"call_id\":\"ts1\",\"result\":"
                         "[{\"type\":\"function\",\"name\":\"get_weather\"}]}]}";
    cr_assert_eq(parse_path(G3P, NULL, body, &c, &e), 0, "%s", e.msg);
    cr_assert_eq(json_array_size(c.loaded), 1);
    cr_expect_str_eq(json_string_value(json_array_get(c.loaded, 0)), "get_weather");
    emu_call_free(&c);
    ok("{\"model\":\"gemini-2.5-flash\",\"input\":\"q\"}", &c);
    cr_expect_null(c.loaded, "no search in the input");
    emu_call_free(&c);
    bad_at(G3P, M "\"input\":[{\"type\":\"tool_search_result\",\"call_id\":\"t\",\"result\":"
                  "[{\"type\":\"function\"}]}]}",
           "input[0].result[0]");
    bad_at(G3P, M "\"input\":[{\"type\":\"tool_search_call\",\"id\":\"t\",\"query\":\"f\"}]}",
           "Unknown name \"query\" at 'input[0]'");
}

/* The requests gembatch's own driver builds (request.c: string input, a
 * text part then media parts by data or uri, system_instruction, tools and
 * response_format from a pipeline) pass the strict check in both dialects. */
Test(emu_request, the_drivers_request_shapes_pass)
{
    static const char *const paths[] = {G1P, G3P};
    for (int i = 0; i < 2; i++) {
        ok_at(paths[i], M "\"system_instruction\":\"be brief\",\"input\":[{\"type\":\"text\","
                          "\"text\":\"describe\"},{\"type\":\"image\",\"mime_type\":\"image/png\","
                          "\"data\":\"iVBORw0KGgo=\"},{\"type\":\"document\",\"mime_type\":"
                          "\"application/pdf\",\"uri\":\"https://x.test/a.pdf\"},{\"type\":"
                          "\"audio\",\"mime_type\":\"audio/wav\",\"uri\":\"https://x.test/a.wav\"},"
                          "{\"type\":\"video\",\"mime_type\":\"video/mp4\",\"uri\":"
                          "\"https://x.test/a.mp4\"}],\"tools\":[{\"type\":\"function\",\"name\":"
                          "\"lookup\",\"description\":\"d\",\"parameters\":{\"type\":\"object\"}}],"
                          "\"generation_config\":{\"temperature\":0}}");
    }
}

/* ---- service_tier (issue 15 point 5) -------------------------------------------------- */

Test(emu_request, service_tier_values_and_the_answer_does_not_depend_on_it)
{
    struct emu_call c, d;
    static const char *const tiers[] = {"standard", "flex", "priority"};
    for (int i = 0; i < 3; i++) {
        char body[160];
        snprintf(body, sizeof body, M "\"input\":\"x\",\"service_tier\":\"%s\"}", tiers[i]);
        ok(body, &c);
        cr_expect_eq(c.tier, EMU_TIER_STANDARD + i, "%s", tiers[i]);
        cr_expect_str_eq(emu_tier_name(c.tier), tiers[i]);
        ok(M "\"input\":\"x\"}", &d);
        cr_expect_eq(d.tier, EMU_TIER_NONE);
        cr_expect_eq(memcmp(c.hash, d.hash, 32), 0, "%s: same answer seed as no tier", tiers[i]);
        emu_call_free(&c);
        emu_call_free(&d);
    }
    ok(M "\"input\":\"x\",\"service_tier\":null}", &c);
    cr_expect_eq(c.tier, EMU_TIER_NONE);
    emu_call_free(&c);
    bad(M "\"input\":\"x\",\"service_tier\":\"FLEX\"}", 400, "INVALID_ARGUMENT",
        "Invalid value at 'service_tier' (\"FLEX\")");
    bad(M "\"input\":\"x\",\"service_tier\":\"deferred\"}", 400, "INVALID_ARGUMENT",
        "not available on this API");
    bad(M "\"input\":\"x\",\"service_tier\":2}", 400, "INVALID_ARGUMENT", "service_tier");
    cr_expect_null(emu_tier_name(EMU_TIER_NONE));
}
