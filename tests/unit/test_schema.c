/* test_schema.c: the schema subsystem one behaviour at a time: compile
 * errors and their JSON pointers, unsupported keywords, error messages and
 * paths, keywords the suite subset leaves out (if/then/else, contains,
 * dependent*), ECMA regex details, the generator's guarantees and thread
 * safety. The official suite runs from test_schema_suite.c. */
#include <criterion/criterion.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

static json_t *parse(const char *text)
{
    json_error_t jerr;
    json_t *v = json_loads(text, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    cr_assert_not_null(v, "bad JSON in test: %s: %s", text, jerr.text);
    return v;
}

static struct schema *compile(const char *text)
{
    json_t *doc = parse(text);
    struct schema *s = NULL;
    struct gb_err err = {0};
    int rc = schema_compile(doc, "test.json", &s, &err);
    json_decref(doc);
    cr_assert_eq(rc, 0, "compile failed: %s", err.msg);
    return s;
}

/* Expect compile to fail with code; returns the formatted message. */
static void compile_fails(const char *text, int code, char *msg, size_t n)
{
    json_t *doc = parse(text);
    struct schema *s = NULL;
    struct gb_err err = {0};
    int rc = schema_compile(doc, "schema.json", &s, &err);
    json_decref(doc);
    cr_assert_eq(rc, code, "expected %d, got %d (%s) for %s", code, rc, err.msg, text);
    cr_assert_null(s);
    gb_err_str(&err, msg, n);
}

static int valid(const char *schema, const char *inst)
{
    struct schema *s = compile(schema);
    json_t *v = parse(inst);
    int r = schema_validate(s, v, NULL, 0);
    json_decref(v);
    schema_free(s);
    return r;
}

/* The errors for an invalid instance (new reference). */
static json_t *errors_of(const char *schema, const char *inst, int max)
{
    struct schema *s = compile(schema);
    json_t *v = parse(inst), *errors = NULL;
    cr_assert_eq(schema_validate(s, v, &errors, max), 0, "expected invalid: %s", inst);
    cr_assert_not_null(errors);
    json_decref(v);
    schema_free(s);
    return errors;
}

static const char *field(json_t *errors, size_t i, const char *key)
{
    const char *s = json_string_value(json_object_get(json_array_get(errors, i), key));
    return s ? s : "(none)";
}

/* ---- compile errors ------------------------------------------------------------- */

Test(schema_compile, unknown_type_names_file_and_pointer)
{
    char msg[1024];
    compile_fails("{\"properties\":{\"x\":{\"type\":\"strng\"}}}", GB_EINVAL, msg, sizeof msg);
    cr_expect_str_eq(msg, "schema.json: /properties/x/type: unknown type 'strng'");
}

Test(schema_compile, wrong_typed_keyword_value)
{
    char msg[1024];
    compile_fails("{\"properties\":{\"x\":{\"minLength\":\"3\"}}}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "/properties/x/minLength: expected a non-negative integer"), "%s", msg);
    compile_fails("{\"minimum\":\"1\"}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "/minimum: expected a number"), "%s", msg);
    compile_fails("{\"required\":\"a\"}", GB_EINVAL, msg, sizeof msg);
    compile_fails("{\"anyOf\":[]}", GB_EINVAL, msg, sizeof msg);
    compile_fails("{\"multipleOf\":0}", GB_EINVAL, msg, sizeof msg);
    compile_fails("{\"items\":3}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "/items: expected a schema"), "%s", msg);
}

Test(schema_compile, ref_that_resolves_nowhere)
{
    char msg[1024];
    compile_fails("{\"properties\":{\"a\":{\"$ref\":\"#/$defs/Missing\"}}}", GB_EINVAL, msg,
                  sizeof msg);
    cr_expect(strstr(msg, "/properties/a/$ref: reference '#/$defs/Missing' does not resolve"), "%s",
              msg);
    compile_fails("{\"$ref\":\"#nowhere\"}", GB_EINVAL, msg, sizeof msg);
}

Test(schema_compile, bad_regex_names_pointer)
{
    char msg[1024];
    compile_fails("{\"properties\":{\"code\":{\"pattern\":\"([A-Z]\"}}}", GB_EINVAL, msg,
                  sizeof msg);
    cr_expect(strstr(msg, "/properties/code/pattern: bad regex '([A-Z]'"), "%s", msg);
    compile_fails("{\"patternProperties\":{\"a{2,1}\":true}}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "/patternProperties/a{2,1}: bad regex"), "%s", msg);
    /* Python-isms that ECMA-262 does not have are refused, not misread. */
    compile_fails("{\"pattern\":\"^abc\\\\Z\"}", GB_EINVAL, msg, sizeof msg);
    compile_fails("{\"pattern\":\"(?i)abc\"}", GB_EINVAL, msg, sizeof msg);
}

Test(schema_compile, unsupported_keywords_are_refused)
{
    static const char *const kws[] = {"$dynamicRef", "$dynamicAnchor", "$recursiveRef",
                                      "unevaluatedProperties", "unevaluatedItems"};
    for (size_t i = 0; i < sizeof kws / sizeof kws[0]; i++) {
        char text[256], msg[1024], want[128];
        snprintf(text, sizeof text, "{\"properties\":{\"a\":{\"%s\":false}}}", kws[i]);
        compile_fails(text, GB_EUNSUPPORTED, msg, sizeof msg);
        snprintf(want, sizeof want, "/properties/a/%s: unsupported keyword '%s'", kws[i], kws[i]);
        cr_expect(strstr(msg, want), "%s", msg);
    }
}

Test(schema_compile, remote_refs_are_refused)
{
    char msg[1024];
    compile_fails("{\"$ref\":\"https://example.com/other.json\"}", GB_EUNSUPPORTED, msg,
                  sizeof msg);
    cr_expect(strstr(msg, "/$ref: unsupported keyword '$ref'"), "%s", msg);
    compile_fails("{\"items\":{\"$ref\":\"other.json#/$defs/a\"}}", GB_EUNSUPPORTED, msg,
                  sizeof msg);
    cr_expect(strstr(msg, "/items/$ref"), "%s", msg);
    compile_fails("{\"$defs\":{\"a\":{\"$id\":\"http://x/a\"}}}", GB_EUNSUPPORTED, msg, sizeof msg);
}

Test(schema_compile, refs_through_root_id_are_local)
{
    cr_expect_eq(valid("{\"$id\":\"https://example.com/s.json\",\"$defs\":{\"n\":{\"type\":"
                       "\"integer\"}},\"$ref\":\"https://example.com/s.json#/$defs/n\"}",
                       "3"),
                 1);
}

Test(schema_compile, circular_refs_without_progress_are_refused)
{
    char msg[1024];
    compile_fails("{\"$ref\":\"#\"}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "circular reference"), "%s", msg);
    compile_fails("{\"$defs\":{\"a\":{\"anyOf\":[{\"$ref\":\"#/$defs/b\"}]},\"b\":{\"allOf\":[{"
                  "\"$ref\":\"#/$defs/a\"}]}},\"$ref\":\"#/$defs/a\"}",
                  GB_EINVAL, msg, sizeof msg);
}

Test(schema_compile, not_a_schema)
{
    char msg[1024];
    compile_fails("[1,2]", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "(root): expected a schema"), "%s", msg);
    compile_fails("{\"properties\":{\"a\":3}}", GB_EINVAL, msg, sizeof msg);
    cr_expect(strstr(msg, "/properties/a: expected a schema"), "%s", msg);
}

Test(schema_compile, annotations_and_unknown_keywords_are_ignored)
{
    const char *s = "{\"title\":\"T\",\"description\":\"d\",\"default\":5,\"examples\":[1],"
                    "\"$comment\":\"c\",\"$schema\":\"https://json-schema.org/draft/2020-12/"
                    "schema\",\"contentEncoding\":\"base64\",\"contentMediaType\":\"image/png\","
                    "\"contentSchema\":{\"type\":\"integer\"},\"propertyOrdering\":[\"a\"],"
                    "\"deprecated\":true,\"readOnly\":true,\"writeOnly\":false,\"x-vendor\":{"
                    "\"unevaluatedProperties\":false},\"format\":\"color\","
                    "\"discriminator\":{\"propertyName\":\"a\"}}";
    cr_expect_eq(valid(s, "\"anything\""), 1);
    cr_expect_eq(valid(s, "{\"a\":[1,2]}"), 1);
}

Test(schema_compile, keeps_its_own_reference_to_the_document)
{
    json_t *doc = parse("{\"type\":\"object\",\"required\":[\"a\"]}");
    struct schema *s = NULL;
    struct gb_err err = {0};
    cr_assert_eq(schema_compile(doc, "x", &s, &err), 0);
    json_decref(doc); /* the schema must still work */
    json_t *v = parse("{\"a\":1}");
    cr_expect_eq(schema_validate(s, v, NULL, 0), 1);
    json_decref(v);
    schema_free(s);
    schema_free(NULL);
}

/* ---- error messages and paths ------------------------------------------------------- */

Test(schema_errors, type_error_paths)
{
    json_t *e = errors_of("{\"properties\":{\"items\":{\"items\":{\"type\":\"integer\"}}}}",
                          "{\"items\":[\"x\"]}", 0);
    cr_assert_eq(json_array_size(e), 1);
    cr_expect_str_eq(field(e, 0, "instance_path"), "/items/0");
    cr_expect_str_eq(field(e, 0, "schema_path"), "/properties/items/items/type");
    cr_expect_str_eq(field(e, 0, "message"), "expected integer, got string");
    json_decref(e);
}

Test(schema_errors, messages_name_the_value_or_limit)
{
    struct {
        const char *schema, *inst, *msg;
    } cases[] = {
        {"{\"maxItems\":3}", "[1,2,3,4,5]", "expected at most 3 items, got 5"},
        {"{\"minItems\":1}", "[]", "expected at least 1 item, got 0"},
        {"{\"required\":[\"label\"]}", "{}", "missing required property 'label'"},
        {"{\"enum\":[\"cat\",\"dog\"]}", "\"x\"", "'x' is not one of [\"cat\", \"dog\"]"},
        {"{\"pattern\":\"^a\"}", "\"b\"", "'b' does not match pattern '^a'"},
        {"{\"const\":\"cat\"}", "\"dog\"", "expected 'cat', got 'dog'"},
        {"{\"minimum\":5}", "3", "expected a number >= 5, got 3"},
        {"{\"exclusiveMaximum\":1.5}", "2", "expected a number < 1.5, got 2"},
        {"{\"multipleOf\":2}", "7", "expected a multiple of 2, got 7"},
        {"{\"maxLength\":2}", "\"abc\"", "expected at most 2 characters, got 3"},
        {"{\"format\":\"date\"}", "\"2024-02-30\"", "'2024-02-30' is not a valid date"},
        {"{\"additionalProperties\":false}", "{\"colour\":1}", "unexpected property 'colour'"},
        {"{\"type\":[\"string\",\"null\"]}", "1", "expected string or null, got integer"},
        {"{\"anyOf\":[{\"type\":\"integer\"},{\"type\":\"null\"}]}", "\"x\"",
         "expected integer or null, got string"},
        {"{\"uniqueItems\":true}", "[1,2,1]", "expected unique items; items 0 and 2 are equal"},
        {"{\"not\":{\"type\":\"string\"}}", "\"s\"", "must not match the schema in 'not'"},
        {"{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":0}]}", "1",
         "matches more than one alternative in oneOf (#0 and #1), expected exactly one"},
        {"{\"maxProperties\":1}", "{\"a\":1,\"b\":2}", "expected at most 1 property, got 2"},
        {"false", "1", "no value is allowed here (the schema is false)"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        json_t *e = errors_of(cases[i].schema, cases[i].inst, 0);
        cr_expect_str_eq(field(e, 0, "message"), cases[i].msg, "schema %s", cases[i].schema);
        json_decref(e);
    }
}

Test(schema_errors, ref_errors_point_into_defs)
{
    json_t *e = errors_of("{\"$defs\":{\"A\":{\"required\":[\"street\"]}},\"properties\":{"
                          "\"address\":{\"$ref\":\"#/$defs/A\"}}}",
                          "{\"address\":{}}", 0);
    cr_expect_str_eq(field(e, 0, "instance_path"), "/address");
    cr_expect_str_eq(field(e, 0, "schema_path"), "/$defs/A/required");
    json_decref(e);
}

Test(schema_errors, keys_are_escaped_in_paths)
{
    json_t *e = errors_of("{\"properties\":{\"a/b~c\":{\"type\":\"string\"}}}", "{\"a/b~c\":1}", 0);
    cr_expect_str_eq(field(e, 0, "instance_path"), "/a~1b~0c");
    cr_expect_str_eq(field(e, 0, "schema_path"), "/properties/a~1b~0c/type");
    json_decref(e);
}

Test(schema_errors, max_errors_caps_the_list)
{
    const char *s = "{\"items\":{\"type\":\"string\"}}";
    json_t *e = errors_of(s, "[1,2,3,4,5,6,7,8]", 3);
    cr_expect_eq(json_array_size(e), 3);
    json_decref(e);
    e = errors_of(s, "[1,2,3,4,5,6,7,8]", 0);
    cr_expect_eq(json_array_size(e), 8);
    json_decref(e);
}

Test(schema_errors, closest_branch_explains_a_failed_union)
{
    json_t *e = errors_of("{\"oneOf\":[{\"properties\":{\"kind\":{\"const\":\"a\"},\"x\":{\"type\":"
                          "\"integer\"}},\"required\":[\"kind\",\"x\"]},{\"properties\":{\"kind\":"
                          "{\"const\":\"b\"}},\"required\":[\"kind\",\"y\"]}]}",
                          "{\"kind\":\"a\",\"x\":\"one\"}", 0);
    cr_expect_str_eq(field(e, 0, "message"), "does not match any of the 2 alternatives in oneOf");
    cr_expect_str_eq(field(e, 1, "instance_path"), "/x");
    cr_expect_str_eq(field(e, 1, "message"), "expected integer, got string");
    json_decref(e);
}

Test(schema_errors, valid_instance_gives_no_error_array)
{
    struct schema *s = compile("{\"type\":\"integer\"}");
    json_t *v = parse("1"), *errors = (json_t *)1;
    cr_expect_eq(schema_validate(s, v, &errors, 0), 1);
    cr_expect_null(errors);
    json_decref(v);
    schema_free(s);
}

/* ---- keywords --------------------------------------------------------------------------- */

Test(schema_keywords, integers_and_numeric_equality)
{
    cr_expect_eq(valid("{\"type\":\"integer\"}", "1.0"), 1);
    cr_expect_eq(valid("{\"type\":\"integer\"}", "1.5"), 0);
    cr_expect_eq(valid("{\"const\":1}", "1.0"), 1);
    cr_expect_eq(valid("{\"enum\":[{\"a\":1,\"b\":[2.0]}]}", "{\"b\":[2],\"a\":1.0}"), 1);
    cr_expect_eq(valid("{\"uniqueItems\":true}", "[1,1.0]"), 0);
    cr_expect_eq(valid("{\"uniqueItems\":true}", "[{\"a\":1,\"b\":2},{\"b\":2,\"a\":1}]"), 0);
}

Test(schema_keywords, unique_items_in_large_arrays)
{
    struct schema *s = compile("{\"uniqueItems\":true}");
    json_t *a = json_array();
    for (int i = 0; i < 5000; i++)
        json_array_append_new(a, json_pack("{s:i,s:[i,s]}", "id", i, "v", i % 7, "x"));
    cr_expect_eq(schema_validate(s, a, NULL, 0), 1);
    /* The same object with its keys the other way round, and 1 as 1.0. */
    json_array_append_new(a, json_pack("{s:[f,s],s:f}", "v", 4000.0 - 7 * 571, "x", "id", 4000.0));
    json_t *errors = NULL;
    cr_expect_eq(schema_validate(s, a, &errors, 0), 0);
    cr_expect_str_eq(field(errors, 0, "message"),
                     "expected unique items; items 4000 and 5000 are equal");
    json_decref(errors);
    json_decref(a);
    schema_free(s);
}

Test(schema_keywords, multiple_of_decimals)
{
    cr_expect_eq(valid("{\"multipleOf\":0.0001}", "0.0075"), 1);
    cr_expect_eq(valid("{\"multipleOf\":0.01}", "19.99"), 1);
    cr_expect_eq(valid("{\"multipleOf\":0.01}", "1234.56"), 1);
    cr_expect_eq(valid("{\"multipleOf\":0.01}", "1.005"), 0);
    cr_expect_eq(valid("{\"multipleOf\":0.1}", "0.3"), 1);
    cr_expect_eq(valid("{\"multipleOf\":3}", "9007199254740991"), 0);
    cr_expect_eq(valid("{\"type\":\"integer\",\"multipleOf\":0.123456789}", "1e308"), 0);
}

Test(schema_keywords, length_counts_code_points)
{
    cr_expect_eq(valid("{\"maxLength\":2}", "\"\\u65e5\\u672c\""), 1);
    cr_expect_eq(valid("{\"minLength\":2}", "\"\\ud83d\\udc32\""), 0);
    cr_expect_eq(valid("{\"minLength\":3}", "\"a\\u0000b\""), 1);
}

Test(schema_keywords, if_then_else)
{
    const char *s = "{\"if\":{\"properties\":{\"country\":{\"const\":\"US\"}}},\"then\":{"
                    "\"properties\":{\"zip\":{\"pattern\":\"^[0-9]{5}$\"}}},\"else\":{"
                    "\"properties\":{\"zip\":{\"pattern\":\"^[A-Z0-9 ]+$\"}}}}";
    cr_expect_eq(valid(s, "{\"country\":\"US\",\"zip\":\"12345\"}"), 1);
    cr_expect_eq(valid(s, "{\"country\":\"US\",\"zip\":\"K1A 0B1\"}"), 0);
    cr_expect_eq(valid(s, "{\"country\":\"CA\",\"zip\":\"K1A 0B1\"}"), 1);
    cr_expect_eq(valid(s, "{\"country\":\"CA\",\"zip\":\"k1a\"}"), 0);
    cr_expect_eq(valid("{\"then\":false}", "1"), 1); /* then without if: ignored */
}

Test(schema_keywords, contains_min_max)
{
    const char *s = "{\"contains\":{\"type\":\"integer\"},\"minContains\":2,\"maxContains\":3}";
    cr_expect_eq(valid(s, "[1,\"a\",2]"), 1);
    cr_expect_eq(valid(s, "[1,\"a\"]"), 0);
    cr_expect_eq(valid(s, "[1,2,3,4]"), 0);
    cr_expect_eq(valid("{\"contains\":{\"const\":1}}", "[]"), 0);
    cr_expect_eq(valid("{\"contains\":{\"const\":1},\"minContains\":0}", "[]"), 1);
    cr_expect_eq(valid("{\"contains\":{\"const\":1}}", "{}"), 1);
}

Test(schema_keywords, dependent_required_and_schemas)
{
    const char *s = "{\"dependentRequired\":{\"card\":[\"billing\"]},\"dependentSchemas\":{"
                    "\"vip\":{\"required\":[\"level\"]}}}";
    cr_expect_eq(valid(s, "{\"card\":1,\"billing\":2}"), 1);
    cr_expect_eq(valid(s, "{\"card\":1}"), 0);
    cr_expect_eq(valid(s, "{\"vip\":true}"), 0);
    cr_expect_eq(valid(s, "{\"vip\":true,\"level\":3}"), 1);
    cr_expect_eq(valid("{\"dependencies\":{\"a\":[\"b\"],\"c\":{\"required\":[\"d\"]}}}",
                       "{\"a\":1,\"c\":2,\"b\":3}"),
                 0);
}

Test(schema_keywords, nullable_openapi)
{
    const char *s = "{\"type\":\"string\",\"nullable\":true,\"enum\":[\"a\"]}";
    cr_expect_eq(valid(s, "null"), 1);
    cr_expect_eq(valid(s, "\"a\""), 1);
    cr_expect_eq(valid(s, "\"b\""), 0);
    cr_expect_eq(valid("{\"type\":\"string\",\"nullable\":false}", "null"), 0);
}

Test(schema_keywords, refs_pointers_anchors_recursion)
{
    const char *tree = "{\"$defs\":{\"node\":{\"type\":\"object\",\"properties\":{\"v\":{"
                       "\"type\":\"integer\"},\"kids\":{\"type\":\"array\",\"items\":{\"$ref\":"
                       "\"#/$defs/node\"}}},\"required\":[\"v\"]}},\"$ref\":\"#/$defs/node\"}";
    cr_expect_eq(valid(tree, "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":3}]}]}"), 1);
    cr_expect_eq(valid(tree, "{\"v\":1,\"kids\":[{\"v\":2,\"kids\":[{\"v\":\"3\"}]}]}"), 0);
    cr_expect_eq(valid("{\"$defs\":{\"a/b\":{\"type\":\"integer\"},\"c%d\":{\"type\":\"string\"}},"
                       "\"properties\":{\"x\":{\"$ref\":\"#/$defs/a~1b\"},\"y\":{\"$ref\":"
                       "\"#/$defs/c%25d\"}}}",
                       "{\"x\":1,\"y\":\"s\"}"),
                 1);
    cr_expect_eq(valid("{\"definitions\":{\"p\":{\"$anchor\":\"pos\",\"minimum\":0}},\"items\":{"
                       "\"$ref\":\"#pos\"}}",
                       "[1,-1]"),
                 0);
    cr_expect_eq(valid("{\"x-lib\":{\"t\":{\"type\":\"null\"}},\"$ref\":\"#/x-lib/t\"}", "null"),
                 1);
}

Test(schema_keywords, draft7_forms)
{
    cr_expect_eq(
        valid("{\"items\":[{\"type\":\"string\"}],\"additionalItems\":false}", "[\"a\",1]"), 0);
    cr_expect_eq(valid("{\"items\":[{\"type\":\"string\"}],\"additionalItems\":{\"type\":"
                       "\"integer\"}}",
                       "[\"a\",1]"),
                 1);
    cr_expect_eq(valid("{\"minimum\":5,\"exclusiveMinimum\":true}", "5"), 0);
    cr_expect_eq(valid("{\"maximum\":5,\"exclusiveMaximum\":false}", "5"), 1);
}

Test(schema_keywords, formats)
{
    struct {
        const char *fmt, *good, *bad;
    } f[] = {
        {"date-time", "2024-03-14T09:26:53.5+05:30", "2024-03-14T25:00:00Z"},
        {"date", "2024-02-29", "2023-02-29"},
        {"time", "23:59:60Z", "12:00:00"},
        {"duration", "P1Y2M3DT4H5M6S", "P1Y2D"},
        {"email", "ada@example.com", "ada@@example.com"},
        {"uuid", "123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000"},
        {"uri", "https://example.com/a?b=c#d", "//example.com/a"},
        {"ipv4", "192.168.0.1", "192.168.0.01"},
        {"ipv6", "2001:db8::1", "2001:db8:::1"},
        {"hostname", "api.example.com", "-bad-.example.com"},
    };
    for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
        char s[128], good[128], bad[128];
        snprintf(s, sizeof s, "{\"format\":\"%s\"}", f[i].fmt);
        snprintf(good, sizeof good, "\"%s\"", f[i].good);
        snprintf(bad, sizeof bad, "\"%s\"", f[i].bad);
        cr_expect_eq(valid(s, good), 1, "%s should accept %s", f[i].fmt, f[i].good);
        cr_expect_eq(valid(s, bad), 0, "%s should reject %s", f[i].fmt, f[i].bad);
        cr_expect_eq(valid(s, "12"), 1, "%s ignores non-strings", f[i].fmt);
    }
    cr_expect_eq(valid("{\"format\":\"color\"}", "\"no such format\""), 1);
}

/* ---- ECMA-262 patterns -------------------------------------------------------------------- */

Test(schema_regex, ecma_semantics)
{
    cr_expect_eq(valid("{\"pattern\":\"^abc$\"}", "\"abc\\n\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\d+$\"}", "\"\\u0660\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\w+$\"}", "\"caf\\u00e9\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\s$\"}", "\"\\u3000\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^[\\\\S]$\"}", "\"\\u00a0\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^[^\\\\S]$\"}", "\"\\u00a0\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^[a\\\\S]$\"}", "\"x\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\cJ$\"}", "\"\\n\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^.$\"}", "\"\\n\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^.$\"}", "\"\\u2028\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^.$\"}", "\"\\ud83d\\udc32\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\p{Lu}\\\\p{Letter}*$\"}", "\"\\u00c9cole\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\u00e9\\\\u{1F432}$\"}", "\"\\u00e9\\ud83d\\udc32\""),
                 1);
    cr_expect_eq(valid("{\"pattern\":\"^\\\\v$\"}", "\"\\n\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^a{,2}$\"}", "\"a{,2}\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^(?!x)\\\\w+$\"}", "\"xy\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^(?<y>\\\\d{4})-\\\\k<y>$\"}", "\"2024-2024\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"^[]$\"}", "\"a\""), 0);
    cr_expect_eq(valid("{\"pattern\":\"^[^]$\"}", "\"\\n\""), 1);
    cr_expect_eq(valid("{\"pattern\":\"b\"}", "\"abc\""), 1); /* not anchored */
}

/* ---- generator
 * ----------------------------------------------------------------------------------- */

static json_t *gen(const char *schema, uint64_t seed)
{
    struct schema *s = compile(schema);
    json_t *v = NULL;
    struct gb_err err = {0};
    int rc = schema_generate(s, seed, &v, &err);
    cr_assert_eq(rc, 0, "generate failed for %s: %s", schema, err.msg);
    cr_assert_eq(schema_validate(s, v, NULL, 0), 1);
    schema_free(s);
    return v;
}

Test(schema_gen, deterministic_in_the_seed)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"string\"},\"b\":{"
                    "\"type\":\"number\"},\"c\":{\"type\":\"array\",\"items\":{\"type\":"
                    "\"boolean\"}}}}";
    json_t *a = gen(s, 7), *b = gen(s, 7);
    cr_expect(json_equal(a, b));
    int differs = 0;
    for (uint64_t seed = 100; seed < 110 && !differs; seed++) {
        json_t *c = gen(s, seed);
        differs = !json_equal(a, c);
        json_decref(c);
    }
    cr_expect(differs, "different seeds should give different instances");
    json_decref(a);
    json_decref(b);
}

Test(schema_gen, patterns_common_shapes)
{
    static const char *const pats[] = {"^[A-Z]{3}-\\\\d{4}$",      "^INV-[0-9]{6}$",
                                       "^\\\\+?[1-9]\\\\d{1,14}$", "^[a-z0-9_-]{3,16}$",
                                       "^#[0-9a-fA-F]{6}$",        "^(draft|final)-v\\\\d+$"};
    for (size_t i = 0; i < sizeof pats / sizeof pats[0]; i++) {
        char s[256];
        snprintf(s, sizeof s, "{\"type\":\"string\",\"pattern\":\"%s\"}", pats[i]);
        for (uint64_t seed = 0; seed < 20; seed++)
            json_decref(gen(s, seed));
    }
    json_t *v = gen("{\"type\":\"string\",\"pattern\":\"^[A-Z]{3}-\\\\d{4}$\"}", 3);
    cr_expect_eq(json_string_length(v), 8);
    json_decref(v);
}

Test(schema_gen, every_format_generates)
{
    static const char *const fmts[] = {"date-time", "date", "time", "duration", "email",
                                       "uuid",      "uri",  "ipv4", "ipv6",     "hostname"};
    for (size_t i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
        char s[128];
        snprintf(s, sizeof s, "{\"type\":\"string\",\"format\":\"%s\"}", fmts[i]);
        for (uint64_t seed = 0; seed < 30; seed++)
            json_decref(gen(s, seed));
    }
}

Test(schema_gen, bounds_and_multiples)
{
    static const char *const ss[] = {
        "{\"type\":\"integer\",\"exclusiveMinimum\":3,\"exclusiveMaximum\":5}",
        "{\"type\":\"number\",\"minimum\":1.5,\"maximum\":2.7,\"multipleOf\":0.25}",
        "{\"type\":\"number\",\"exclusiveMinimum\":0,\"exclusiveMaximum\":0.001}",
        "{\"type\":\"integer\",\"minimum\":1000000,\"multipleOf\":7}",
        "{\"type\":\"integer\",\"maximum\":-50}",
        "{\"type\":\"number\",\"multipleOf\":0.01,\"minimum\":0}",
        "{\"type\":\"integer\",\"multipleOf\":0.5}",
        "{\"type\":\"string\",\"minLength\":30,\"maxLength\":31}",
        "{\"type\":\"string\",\"maxLength\":0}",
        "{\"type\":\"array\",\"minItems\":3,\"uniqueItems\":true,\"items\":{\"enum\":[1,2,3]}}",
        "{\"type\":\"array\",\"contains\":{\"const\":\"x\"},\"minContains\":2,\"maxItems\":2}",
        ("{\"type\":\"object\",\"minProperties\":3,\"maxProperties\":3,\"propertyNames\":{"
         "\"pattern\":\"^k[0-9]$\"}}"),
    };
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        for (uint64_t seed = 0; seed < 15; seed++)
            json_decref(gen(ss[i], seed));
    json_t *v = gen(ss[0], 1);
    cr_expect_eq(json_integer_value(v), 4);
    json_decref(v);
}

Test(schema_gen, combinators)
{
    static const char *const ss[] = {
        "{\"oneOf\":[{\"type\":\"integer\"},{\"minimum\":2}]}",
        "{\"allOf\":[{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"integer\"}},"
        "\"required\":[\"a\"]},{\"properties\":{\"b\":{\"const\":true}},\"required\":[\"b\"]}]}",
        "{\"anyOf\":[{\"type\":\"string\",\"maxLength\":2},{\"type\":\"integer\"}],\"not\":{"
        "\"type\":\"integer\"}}",
        "{\"type\":\"object\",\"if\":{\"properties\":{\"k\":{\"const\":\"a\"}},\"required\":["
        "\"k\"]},\"then\":{\"required\":[\"x\"]},\"else\":{\"required\":[\"y\"]}}",
        "{\"type\":\"object\",\"properties\":{\"card\":{\"type\":\"string\"}},\"required\":["
        "\"card\"],\"dependentRequired\":{\"card\":[\"billing\"]}}",
        "{\"not\":{\"type\":[\"string\",\"number\",\"object\",\"array\",\"boolean\"]}}",
        "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\",\"nullable\":true}},"
        "\"required\":[\"name\"]}",
    };
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++)
        for (uint64_t seed = 0; seed < 15; seed++)
            json_decref(gen(ss[i], seed));
}

Test(schema_gen, recursive_schemas_terminate)
{
    const char *s = "{\"$defs\":{\"n\":{\"type\":\"object\",\"properties\":{\"name\":{\"type\":"
                    "\"string\"},\"left\":{\"$ref\":\"#/$defs/n\"},\"right\":{\"$ref\":\"#/$defs/"
                    "n\"},\"kids\":{\"type\":\"array\",\"minItems\":1,\"items\":{\"anyOf\":[{"
                    "\"$ref\":\"#/$defs/n\"},{\"type\":\"null\"}]}}},\"required\":[\"name\","
                    "\"kids\"]}},\"$ref\":\"#/$defs/n\"}";
    for (uint64_t seed = 0; seed < 30; seed++)
        json_decref(gen(s, seed));
}

Test(schema_gen, unsatisfiable_schemas_report_unsupported)
{
    static const char *const ss[] = {"false", "{\"enum\":[]}",
                                     "{\"type\":\"string\",\"minLength\":5,\"maxLength\":2}",
                                     "{\"type\":\"integer\",\"minimum\":1,\"maximum\":0}",
                                     "{\"allOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}"};
    for (size_t i = 0; i < sizeof ss / sizeof ss[0]; i++) {
        struct schema *s = compile(ss[i]);
        json_t *v = NULL;
        struct gb_err err = {0};
        cr_expect_eq(schema_generate(s, 1, &v, &err), GB_EUNSUPPORTED, "%s", ss[i]);
        cr_expect_null(v);
        schema_free(s);
    }
}

Test(schema_gen, invalid_instances_are_rejected)
{
    const char *s = "{\"type\":\"object\",\"properties\":{\"label\":{\"enum\":[\"cat\",\"dog\"]},"
                    "\"score\":{\"type\":\"number\",\"minimum\":0,\"maximum\":1}},\"required\":["
                    "\"label\",\"score\"],\"additionalProperties\":false}";
    struct schema *sc = compile(s);
    for (uint64_t seed = 0; seed < 40; seed++) {
        json_t *v = NULL;
        struct gb_err err = {0};
        cr_assert_eq(schema_generate_invalid(sc, seed, &v, &err), 0, "%s", err.msg);
        cr_expect_eq(schema_validate(sc, v, NULL, 0), 0);
        json_decref(v);
    }
    schema_free(sc);
    sc = compile("true");
    json_t *v = NULL;
    struct gb_err err = {0};
    cr_expect_eq(schema_generate_invalid(sc, 1, &v, &err), GB_EUNSUPPORTED);
    cr_expect_null(v);
    schema_free(sc);
    sc = compile("{\"description\":\"accepts all\"}");
    cr_expect_eq(schema_generate_invalid(sc, 1, &v, &err), GB_EUNSUPPORTED);
    schema_free(sc);
}

/* ---- thread safety ------------------------------------------------------------------------------
 */

struct worker {
    const struct schema *s;
    uint64_t first;
    int bad;
    json_t *out[50];
};

static void *work(void *arg)
{
    struct worker *w = arg;
    for (int i = 0; i < 50; i++) {
        json_t *v = NULL, *iv = NULL, *errors = NULL;
        struct gb_err err;
        if (schema_generate(w->s, w->first + (uint64_t)i, &v, &err) ||
            schema_validate(w->s, v, NULL, 0) != 1)
            w->bad++;
        if (schema_generate_invalid(w->s, w->first + (uint64_t)i, &iv, &err) ||
            schema_validate(w->s, iv, &errors, 5) != 0)
            w->bad++;
        json_decref(errors);
        json_decref(iv);
        w->out[i] = v;
    }
    return NULL;
}

Test(schema_gen, shared_schema_many_threads)
{
    const char *text = "{\"type\":\"object\",\"properties\":{\"code\":{\"type\":\"string\","
                       "\"pattern\":\"^[A-Z]{3}-\\\\d{4}$\"},\"when\":{\"type\":\"string\","
                       "\"format\":\"date-time\"},\"n\":{\"type\":\"integer\",\"minimum\":1},"
                       "\"tags\":{\"type\":\"array\",\"items\":{\"type\":\"string\",\"pattern\":"
                       "\"^[a-z]+$\"}}},\"required\":[\"code\",\"when\",\"n\"],"
                       "\"patternProperties\":{\"^x-\":{\"type\":\"string\"}}}";
    struct schema *s = compile(text);
    struct worker w[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].s = s;
        w[i].first = 1000; /* same seeds: every thread must produce the same instances */
        cr_assert_eq(pthread_create(&t[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < 4; i++) {
        cr_expect_eq(w[i].bad, 0);
        for (int k = 0; k < 50; k++) {
            cr_expect(json_equal(w[i].out[k], w[0].out[k]), "thread %d seed %d differs", i, k);
            if (i)
                json_decref(w[i].out[k]);
        }
    }
    for (int k = 0; k < 50; k++)
        json_decref(w[0].out[k]);
    schema_free(s);
}

struct lint_seen {
    char text[4096];
};

static void collect_lint(void *ctx, const char *path, const char *msg)
{
    struct lint_seen *s = ctx;
    size_t n = strlen(s->text);
    snprintf(s->text + n, sizeof s->text - n, "%s: %s\n", path, msg);
}

static int lint_of(const char *schema, struct lint_seen *seen)
{
    json_t *doc = json_loads(schema, JSON_DECODE_ANY, NULL);
    cr_assert_not_null(doc, "%s", schema);
    seen->text[0] = '\0';
    int n = schema_lint(doc, collect_lint, seen);
    json_decref(doc);
    return n;
}

Test(schema, lint_warns_about_a_pipeline_given_as_a_schema)
{
    struct lint_seen s;
    cr_expect_eq(lint_of("{\"name\":\"classify\",\"model\":\"gemini-2.5-flash\",\"prompt\":\"x\","
                         "\"response_format\":{\"type\":\"object\"}}", &s), 1);
    cr_expect(strstr(s.text, "/: no JSON Schema keyword at all, so every value is valid: this "
                     "looks like a pipeline file"), "%s", s.text);
    cr_expect_eq(lint_of("{\"color\":\"red\"}", &s), 1);
    cr_expect(strstr(s.text, "no JSON Schema keyword at all (type, properties"), "%s", s.text);
    /* what is meant to accept anything says so plainly: no warning */
    cr_expect_eq(lint_of("{}", &s), 0);
    cr_expect_eq(lint_of("true", &s), 0);
    cr_expect_eq(lint_of("{\"description\":\"anything goes\"}", &s), 0);
}

Test(schema, lint_finds_misspelt_keywords_where_schemas_are)
{
    struct lint_seen s;
    int n = lint_of("{\"type\":\"object\",\"propertys\":{\"a\":{\"type\":\"string\","
                    "\"minLenght\":2}},\"requird\":[\"a\"],\"items\":{\"enm\":[1]},"
                    "\"anyOf\":[{\"typ\":\"string\"}],\"$defs\":{\"d\":{\"maxItem\":3}}}", &s);
    cr_expect_eq(n, 6, "%s", s.text);
    cr_expect(strstr(s.text, "/: 'propertys' is not a JSON Schema keyword (it is ignored); did "
                     "you mean 'properties'?"), "%s", s.text);
    cr_expect(strstr(s.text, "/propertys/a: 'minLenght' is not a JSON Schema keyword"), "%s",
              s.text);
    cr_expect(strstr(s.text, "did you mean 'minLength'?"), "%s", s.text);
    cr_expect(strstr(s.text, "/: 'requird' is not"), "%s", s.text);
    cr_expect(strstr(s.text, "/items: 'enm' is not"), "%s", s.text);
    cr_expect(strstr(s.text, "/anyOf/0: 'typ' is not"), "%s", s.text);
    cr_expect(strstr(s.text, "/$defs/d: 'maxItem' is not"), "%s", s.text);
    /* property names are data, not keywords; unrelated annotations pass */
    cr_expect_eq(lint_of("{\"type\":\"object\",\"properties\":{\"requird\":{},\"typo\":{}},"
                         "\"x-internal\":true,\"title\":\"T\",\"propertyOrdering\":[\"a\"]}", &s),
                 0, "%s", s.text);
    /* enum values and defaults are not walked */
    cr_expect_eq(lint_of("{\"enum\":[{\"requird\":1}],\"default\":{\"tpye\":2}}", &s), 0,
                 "%s", s.text);
}
