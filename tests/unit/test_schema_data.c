/* test_schema_data.c: the schemas of tests/data/schema (Pydantic, zod and
 * Gemini shapes) against their valid and invalid instance files, and the
 * generator on each. Data-driven: a new NAME.schema.json with its .jsonl
 * files is picked up without touching this file. */
#include <criterion/criterion.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "schema.h"

#define DEFAULT_DATA "tests/data/schema"

static const char *data_dir(void)
{
    const char *p = getenv("GB_SCHEMA_DATA");
    return p && *p ? p : DEFAULT_DATA;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sorted names of NAME.schema.json files, NULL-terminated; caller frees. */
static char **schema_names(size_t *count)
{
    DIR *d = opendir(data_dir());
    cr_assert_not_null(d, "cannot open '%s' (set GB_SCHEMA_DATA)", data_dir());
    char **names = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        const char *suffix = ".schema.json";
        size_t sl = strlen(suffix);
        if (len <= sl || strcmp(e->d_name + len - sl, suffix))
            continue;
        names = realloc(names, (n + 2) * sizeof *names);
        names[n++] = strndup(e->d_name, len - sl);
        names[n] = NULL;
    }
    closedir(d);
    qsort(names, n, sizeof *names, by_name);
    *count = n;
    return names;
}

static struct schema *load_schema(const char *name)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.schema.json", data_dir(), name);
    json_error_t jerr;
    json_t *doc = json_load_file(path, JSON_ALLOW_NUL, &jerr);
    cr_assert_not_null(doc, "%s: %s", path, jerr.text);
    struct schema *s = NULL;
    struct gb_err err = {0};
    int rc = schema_compile(doc, path, &s, &err);
    json_decref(doc);
    cr_assert_eq(rc, 0, "%s: %s", path, err.msg);
    return s;
}

/* Check every line of NAME.KIND.jsonl; returns the number of lines. */
static size_t check_lines(const struct schema *s, const char *name, const char *kind, int want)
{
    char path[1024];
    snprintf(path, sizeof path, "%s/%s.%s.jsonl", data_dir(), name, kind);
    FILE *f = fopen(path, "r");
    cr_assert_not_null(f, "missing %s", path);
    char *line = NULL;
    size_t cap = 0, count = 0;
    ssize_t n;
    long lineno = 0;
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (n <= 1)
            continue;
        json_error_t jerr;
        json_t *v = json_loadb(line, (size_t)n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        cr_assert_not_null(v, "%s:%ld: %s", path, lineno, jerr.text);
        json_t *errors = NULL;
        int got = schema_validate(s, v, &errors, 0);
        char *e = errors ? json_dumps(errors, JSON_COMPACT) : NULL;
        cr_expect_eq(got, want, "%s:%ld: expected %s, got %d %s", path, lineno,
                     want ? "valid" : "invalid", got, e ? e : "");
        if (!want)
            cr_expect(json_array_size(errors) > 0, "%s:%ld: no errors listed", path, lineno);
        free(e);
        json_decref(errors);
        json_decref(v);
        count++;
    }
    free(line);
    fclose(f);
    return count;
}

Test(schema_data, instance_files_validate_as_named)
{
    size_t n;
    char **names = schema_names(&n);
    cr_assert_gt(n, 0, "no *.schema.json in %s", data_dir());
    for (size_t i = 0; i < n; i++) {
        struct schema *s = load_schema(names[i]);
        cr_expect_gt(check_lines(s, names[i], "valid", 1), 0, "%s: no valid instances", names[i]);
        cr_expect_gt(check_lines(s, names[i], "invalid", 0), 0, "%s: no invalid instances",
                     names[i]);
        schema_free(s);
        free(names[i]);
    }
    free(names);
}

Test(schema_data, generator_makes_valid_and_invalid_instances)
{
    size_t n;
    char **names = schema_names(&n);
    for (size_t i = 0; i < n; i++) {
        struct schema *s = load_schema(names[i]);
        for (uint64_t seed = 0; seed < 50; seed++) {
            json_t *v = NULL;
            struct gb_err err = {0};
            int rc = schema_generate(s, seed, &v, &err);
            cr_expect_eq(rc, 0, "%s seed %llu: %s", names[i], (unsigned long long)seed, err.msg);
            if (!rc)
                cr_expect_eq(schema_validate(s, v, NULL, 0), 1, "%s seed %llu: invalid output",
                             names[i], (unsigned long long)seed);
            json_decref(v);
            v = NULL;
            rc = schema_generate_invalid(s, seed, &v, &err);
            cr_expect_eq(rc, 0, "%s seed %llu: %s", names[i], (unsigned long long)seed, err.msg);
            if (!rc)
                cr_expect_eq(schema_validate(s, v, NULL, 0), 0, "%s seed %llu: valid output",
                             names[i], (unsigned long long)seed);
            json_decref(v);
        }
        schema_free(s);
        free(names[i]);
    }
    free(names);
}
