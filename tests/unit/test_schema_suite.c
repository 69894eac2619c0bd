/* test_schema_suite.c: every case of the JSON-Schema-Test-Suite subset
 * (cases.jsonl, read at run time from GB_SCHEMA_SUITE, else the project's
 * shared testdata next to the repository, else the copy in tests/data, which
 * travels with its MIT licence), plus the generator on every schema in it: a
 * generated instance must validate, a generated invalid one must not. A
 * missing suite file is a failure, never a skip. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define SHARED_SUITE "../shared/testdata/json-schema-suite/cases.jsonl"
#define COPIED_SUITE "tests/data/json-schema-suite/cases.jsonl"

static const char *suite_path(void)
{
    const char *p = getenv("GB_SCHEMA_SUITE");
    if (p && *p)
        return p;
    FILE *f = fopen(SHARED_SUITE, "r");
    if (f) {
        fclose(f);
        return SHARED_SUITE;
    }
    return COPIED_SUITE;
}

/* All cases as one JSON array, in file order. */
static json_t *load_cases(void)
{
    FILE *f = fopen(suite_path(), "r");
    cr_assert_not_null(f, "cannot open the schema suite '%s' (set GB_SCHEMA_SUITE)", suite_path());
    json_t *all = json_array();
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n <= 1)
            continue;
        json_error_t jerr;
        json_t *c = json_loadb(line, (size_t)n, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
        cr_assert_not_null(c, "%s:%ld: %s", suite_path(), lineno, jerr.text);
        json_array_append_new(all, c);
    }
    free(line);
    fclose(f);
    return all;
}

static const char *cstr(const json_t *c, const char *k)
{
    const char *s = json_string_value(json_object_get(c, k));
    return s ? s : "?";
}

Test(schema_suite, every_case_validates_as_expected)
{
    json_t *cases = load_cases();
    size_t total = json_array_size(cases), passed = 0;
    cr_assert_gt(total, 0, "the suite is empty");
    for (size_t i = 0; i < total; i++) {
        json_t *c = json_array_get(cases, i);
        struct schema *s = NULL;
        struct gb_err err = {0};
        int rc = schema_compile(json_object_get(c, "schema"), "suite", &s, &err);
        if (rc) {
            cr_log_error("%s / %s / %s: compile failed: %s", cstr(c, "file"), cstr(c, "group"),
                         cstr(c, "test"), err.msg);
            continue;
        }
        int want = json_is_true(json_object_get(c, "valid"));
        json_t *errors = NULL;
        int got = schema_validate(s, json_object_get(c, "data"), &errors, 0);
        if (got == want) {
            passed++;
            if (!want)
                cr_expect(json_array_size(errors) > 0, "%s / %s: invalid but no error listed",
                          cstr(c, "group"), cstr(c, "test"));
        } else {
            char *d = json_dumps(json_object_get(c, "data"), JSON_COMPACT | JSON_ENCODE_ANY);
            cr_log_error("%s / %s / %s: expected %s, got %d (data %s)", cstr(c, "file"),
                         cstr(c, "group"), cstr(c, "test"), want ? "valid" : "invalid", got, d);
            free(d);
        }
        json_decref(errors);
        schema_free(s);
    }
    cr_log_info("schema suite: %zu/%zu cases passed", passed, total);
    json_decref(cases);
    cr_assert_eq(passed, total, "%zu of %zu suite cases failed", total - passed, total);
}

Test(schema_suite, generator_covers_every_schema)
{
    json_t *cases = load_cases();
    size_t total = json_array_size(cases), groups = 0, bad = 0;
    for (size_t i = 0; i < total;) {
        /* One schema per group: cases of a group are consecutive. */
        json_t *c = json_array_get(cases, i);
        int any_valid = 0, any_invalid = 0;
        size_t j = i;
        for (; j < total; j++) {
            json_t *d = json_array_get(cases, j);
            if (strcmp(cstr(d, "file"), cstr(c, "file")) ||
                strcmp(cstr(d, "group"), cstr(c, "group")))
                break;
            if (json_is_true(json_object_get(d, "valid")))
                any_valid = 1;
            else
                any_invalid = 1;
        }
        i = j;
        groups++;
        struct schema *s = NULL;
        struct gb_err err = {0};
        if (schema_compile(json_object_get(c, "schema"), "suite", &s, &err)) {
            cr_log_error("%s / %s: compile failed: %s", cstr(c, "file"), cstr(c, "group"), err.msg);
            bad++;
            continue;
        }
        for (uint64_t seed = 1; seed <= 6; seed++) {
            json_t *v = NULL;
            if (any_valid) {
                int rc = schema_generate(s, seed, &v, &err);
                if (rc || schema_validate(s, v, NULL, 0) != 1) {
                    cr_log_error("%s / %s: seed %llu: no valid instance (%s)", cstr(c, "file"),
                                 cstr(c, "group"), (unsigned long long)seed, rc ? err.msg : "");
                    bad++;
                }
                json_decref(v);
                v = NULL;
            }
            if (any_invalid) {
                int rc = schema_generate_invalid(s, seed, &v, &err);
                if (rc || schema_validate(s, v, NULL, 0) != 0) {
                    cr_log_error("%s / %s: seed %llu: no invalid instance (%s)", cstr(c, "file"),
                                 cstr(c, "group"), (unsigned long long)seed, rc ? err.msg : "");
                    bad++;
                }
                json_decref(v);
            }
        }
        schema_free(s);
    }
    json_decref(cases);
    cr_log_info("schema suite: generator checked on %zu schemas", groups);
    cr_assert_eq(bad, 0, "%zu generator failures over %zu suite schemas", bad, groups);
}

Test(schema_suite, generation_is_deterministic)
{
    json_t *cases = load_cases();
    for (size_t i = 0; i < json_array_size(cases); i += 17) {
        json_t *c = json_array_get(cases, i);
        struct schema *s = NULL;
        struct gb_err err = {0};
        if (schema_compile(json_object_get(c, "schema"), "suite", &s, &err))
            continue;
        json_t *a = NULL, *b = NULL;
        int ra = schema_generate(s, 42, &a, &err), rb = schema_generate(s, 42, &b, &err);
        cr_expect_eq(ra, rb);
        if (!ra && !rb)
            cr_expect(json_equal(a, b), "%s / %s: same seed, different instances", cstr(c, "file"),
                      cstr(c, "group"));
        json_decref(a);
        json_decref(b);
        schema_free(s);
    }
    json_decref(cases);
}
