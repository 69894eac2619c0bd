/* main.c: the subcommand table, global flags (--help, --version) and the one
 * place where a command's outcome becomes the process exit status. */
#include "cmd.h"

#include <stdio.h>
#include <string.h>

#ifndef GEMBATCH_VERSION
#define GEMBATCH_VERSION "dev"
#endif

struct command {
    const char *name;
    int (*fn)(int argc, char **argv);
    const char *summary;
};

static const struct command commands[] = {
    {"run", cmd_run, "run a batch: PIPELINE INPUT... [-o OUTDIR] [options]"},
    {"validate", cmd_validate, "check JSONL instances against a JSON Schema"},
    {"emulate", cmd_emulate, "serve the local Gemini API emulator"},
    {"merge", cmd_merge, "combine the output folders of shards"},
    {"report", cmd_report, "a self-contained HTML report of an output folder"},
    {"get", cmd_get, "fetch a stored interaction by id"},
    {"delete", cmd_delete, "delete a stored interaction by id"},
    {"prices", cmd_prices, "the price table used for cost: [MODEL] [--json]"},
    {"cache", cmd_cache, "the answer cache of run --cache: stats, prune, export"},
    {"batches", cmd_batches, "the key's Batch Mode jobs: list, get, cancel, delete"},
};

static void usage(FILE *out)
{
    fprintf(out, "usage: gembatch COMMAND [ARGS...]\n\n"
                 "Run batch workloads against the Gemini Interactions API: manifests or\n"
                 "archives in, validated JSONL results and generated images out.\n\n"
                 "commands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(out, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(out, "\n"
                 "  gembatch COMMAND --help   options of one command\n"
                 "  gembatch --version        print the version\n\n"
                 "Try it with no key and no network, on the embedded emulator:\n"
                 "  gembatch run pipelines/classify-images.json samples/images.jsonl --emulator\n\n"
                 "exit status: 0 all jobs completed, 1 some jobs failed (see errors.jsonl),\n"
                 "2 usage/pipeline/input error before anything was sent, 3 run aborted\n"
                 "(authentication refused, endpoint unreachable, too many failures),\n"
                 "75 the output folder is in use by another run (nothing was done),\n"
                 "130 interrupted (in-flight jobs drained or recorded, files flushed).\n\n"
                 "environment: GEMINI_API_KEY or GOOGLE_API_KEY (the key), GEMINI_BASE_URL\n"
                 "(the endpoint), GEMBATCH_CACHE (run --cache), GEMBATCH_DEBUG=1 (log each\n"
                 "retry and failure on stderr).\n"
                 "more: man gembatch; README.md and docs/pipelines.md in the source tree.\n");
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return GB_USAGE;
    }
    const char *name = argv[1];
    if (!strcmp(name, "--help") || !strcmp(name, "-h") || !strcmp(name, "help")) {
        if (argc > 2 && strcmp(name, "help") == 0) {
            /* "gembatch help run" == "gembatch run --help" */
            for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
                if (!strcmp(commands[i].name, argv[2])) {
                    char *hargv[] = {argv[2], "--help", NULL};
                    return commands[i].fn(2, hargv);
                }
        }
        usage(stdout);
        return GB_DONE;
    }
    if (!strcmp(name, "--version") || !strcmp(name, "-V")) {
        printf("gembatch %s\n", GEMBATCH_VERSION);
        return GB_DONE;
    }
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        if (!strcmp(commands[i].name, name))
            return commands[i].fn(argc - 1, argv + 1);
    fprintf(stderr, "gembatch: unknown command '%s'\ntry 'gembatch --help'\n", name);
    return GB_USAGE;
}
