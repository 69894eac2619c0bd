/* cmd_validate.c: `gembatch validate SCHEMA [FILE|-]`: one JSON value per
 * input line in, one JSON verdict line out, in order, streaming (lines of any
 * length, constant memory per line). Owns nothing past the call; the schema
 * logic itself lives in schema.c and friends. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "schema.h"

struct vopts {
    long max_errors;
    int quiet;
    int help;
};

static const char validate_details[] =
    "Each input line holds one JSON value (blank lines are skipped, CRLF is fine).\n"
    "Each non-blank line gets one output line, in order:\n"
    "  {\"line\":1,\"valid\":true}\n"
    "  {\"line\":3,\"valid\":false,\"errors\":[{\"instance_path\":\"/items/0\",\n"
    "   \"schema_path\":\"/properties/items/items/type\",\"message\":\"expected integer, got "
    "string\"}]}\n"
    "A line that is not JSON is invalid, with the parser's message.\n\n"
    "The schema is JSON Schema 2020-12 as structured-output tools write it (Pydantic,\n"
    "zod, Gemini response_format): types, enum/const, objects, arrays, numbers,\n"
    "strings with pattern (ECMA-262) and format, allOf/anyOf/oneOf/not, if/then/else,\n"
    "local $ref/$defs, OpenAPI nullable. Annotations (title, description, default,\n"
    "examples, ...) are ignored. Keywords it does not implement ($dynamicRef,\n"
    "unevaluatedProperties, remote $ref, ...) are refused, never passed silently.\n\n"
    "A schema with no schema keyword at all (a pipeline file given instead of its\n"
    "schema), and unknown keys that look like misspelt keywords (\"requird\"), get a\n"
    "warning on stderr: both are accepted and would let anything pass.\n\n"
    "example:\n"
    "  gembatch validate schemas/label.json answers.jsonl\n"
    "  jq -c .output out/classify/results.jsonl | gembatch validate schemas/label.json -\n\n"
    "A line with more errors than --max-errors lists N of them and says\n"
    "\"more_errors\":true.\n\n"
    "exit status: 0 every line valid, 1 some line invalid or not JSON, 2 the schema\n"
    "is unreadable, not JSON, wrong, or uses an unsupported keyword (message on stderr).\n";

static void lint_warning(void *ctx, const char *ptr, const char *msg)
{
    fprintf(stderr, "gembatch: warning: %s: %s: %s\n", (const char *)ctx, ptr, msg);
}

static int read_schema(const char *path, int quiet, struct schema **out)
{
    json_error_t jerr;
    struct gb_err err = {0};
    json_t *doc = json_load_file(path, JSON_ALLOW_NUL | JSON_DECODE_ANY, &jerr);
    if (!doc) {
        FILE *f = fopen(path, "r");
        if (!f) {
            fprintf(stderr, "gembatch: %s: cannot read the schema: %s\n", path, strerror(errno));
            return -1;
        }
        fclose(f);
        fprintf(stderr, "gembatch: %s:%d:%d: schema is not JSON: %s\n", path, jerr.line,
                jerr.column, jerr.text);
        return -1;
    }
    int rc = schema_compile(doc, path, out, &err);
    if (!rc && !quiet)
        schema_lint(doc, lint_warning, (void *)path);
    json_decref(doc);
    if (rc) {
        char msg[2048];
        fprintf(stderr, "gembatch: %s\n", gb_err_str(&err, msg, sizeof msg));
        return -1;
    }
    return 0;
}

static int is_blank(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != ' ' && s[i] != '\t' && s[i] != '\r' && s[i] != '\n')
            return 0;
    return 1;
}

/* One verdict line on stdout. Takes errors (may be NULL); more: errors were
 * left out past --max-errors. */
static void print_verdict(long line, int valid, json_t *errors, int more)
{
    json_t *o = json_object();
    json_object_set_new(o, "line", json_integer(line));
    json_object_set_new(o, "valid", json_boolean(valid));
    if (!valid)
        json_object_set_new(o, "errors", errors ? errors : json_array());
    else
        json_decref(errors);
    if (!valid && more)
        json_object_set_new(o, "more_errors", json_true());
    char *s = json_dumps(o, JSON_COMPACT);
    if (s) {
        fputs(s, stdout);
        fputc('\n', stdout);
        free(s);
    }
    json_decref(o);
}

static json_t *not_json_error(const json_error_t *jerr)
{
    char msg[256];
    snprintf(msg, sizeof msg, "not JSON: %s", jerr->text);
    json_t *errors = json_array();
    json_array_append_new(
        errors, json_pack("{s:s,s:s,s:s}", "instance_path", "", "schema_path", "", "message", msg));
    return errors;
}

int cmd_validate(int argc, char **argv)
{
    struct vopts o = {.max_errors = 20};
    const struct cli_opt opts[] = {
        {0, "max-errors", CLI_INT, &o.max_errors, "N",
         "list at most N errors per line (default 20); past it, \"more_errors\":true", 1,
         100000, NULL},
        {'q', "quiet", CLI_FLAG, &o.quiet, NULL, "print nothing; the exit status tells", 0, 0,
         NULL},
        CLI_END,
    };
    const struct cli_cmd cmd = {
        "validate",
        "SCHEMA [FILE|-] [options]",
        "Check JSONL instances against a JSON Schema (FILE defaults to stdin).",
        validate_details,
        opts,
    };
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    struct schema *s = NULL;
    FILE *in = NULL;
    char *line = NULL;
    int outcome = GB_USAGE, npos = 0;
    if (!pos) {
        fprintf(stderr, "gembatch: out of memory\n");
        goto done;
    }
    int rc = cli_parse(&cmd, argc, argv, pos, &npos);
    if (rc == CLI_HELP_SHOWN) {
        outcome = GB_DONE;
        goto done;
    }
    if (rc)
        goto done;
    if (npos < 1 || npos > 2) {
        cli_usage_error(&cmd, npos < 1 ? "validate needs a SCHEMA file"
                                       : "validate takes one SCHEMA and at most one FILE");
        goto done;
    }
    if (read_schema(pos[0], o.quiet, &s))
        goto done;
    const char *path = npos == 2 ? pos[1] : "-";
    in = strcmp(path, "-") ? fopen(path, "r") : stdin;
    if (!in) {
        fprintf(stderr, "gembatch: %s: cannot read: %s\n", path, strerror(errno));
        goto done;
    }
    /* Reading a pipe or a terminal, act as a filter: each verdict leaves as
     * soon as its line is read. A regular file goes through stdio's buffer. */
    struct stat st;
    int flush_each = fstat(fileno(in), &st) == 0 && !S_ISREG(st.st_mode);
    size_t cap = 0;
    ssize_t n;
    long lineno = 0;
    int any_invalid = 0;
    while ((n = getline(&line, &cap, in)) >= 0) {
        lineno++;
        size_t len = (size_t)n;
        while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
            len--;
        if (is_blank(line, len))
            continue;
        json_error_t jerr;
        json_t *inst = json_loadb(line, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
        json_t *errors = NULL;
        int valid, more = 0;
        if (!inst) {
            valid = 0;
            if (!o.quiet)
                errors = not_json_error(&jerr);
        } else {
            /* one more than asked for tells whether any were left out */
            valid = schema_validate(s, inst, o.quiet ? NULL : &errors, (int)o.max_errors + 1);
            json_decref(inst);
            if (json_array_size(errors) > (size_t)o.max_errors) {
                more = 1;
                while (json_array_size(errors) > (size_t)o.max_errors)
                    json_array_remove(errors, json_array_size(errors) - 1);
            }
            if (valid < 0) {
                fprintf(stderr, "gembatch: %s:%ld: %s\n", path, lineno, gb_strerror(valid));
                valid = 0;
            }
        }
        if (!valid)
            any_invalid = 1;
        if (!o.quiet) {
            print_verdict(lineno, valid, errors, more);
            if (flush_each)
                fflush(stdout);
        } else {
            json_decref(errors);
        }
    }
    if (ferror(in)) {
        fprintf(stderr, "gembatch: %s: read error: %s\n", path, strerror(errno));
        goto done;
    }
    if (fflush(stdout) != 0) {
        fprintf(stderr, "gembatch: cannot write the results: %s\n", strerror(errno));
        goto done;
    }
    outcome = any_invalid ? GB_SOME_FAILED : GB_DONE;
done:
    free(line);
    if (in && in != stdin)
        fclose(in);
    schema_free(s);
    free(pos);
    return outcome;
}
