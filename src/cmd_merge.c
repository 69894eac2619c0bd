/* cmd_merge.c: `gembatch merge OUTDIR... -o OUTDIR`: parse the flags and hand
 * over to merge.c, which combines the output folders of shards (results,
 * errors, images, run.json totals). Never writes into an input folder. */
#include "cli.h"
#include "cmd.h"
#include "log.h"
#include "merge.h"

#include <stdlib.h>
#include <string.h>

static const char details[] =
    "Each OUTDIR is the output folder of one shard (gembatch run --shard K/N -o OUTDIR),\n"
    "in any place: a shared disk, or copied back from other machines. They must come from\n"
    "the same pipeline (run.json's digest): folders of different pipelines are refused.\n"
    "\n"
    "What the merged folder holds:\n"
    "  results.jsonl   every shard's results, one line per id; an id in two folders is a\n"
    "                  duplicate: the first folder given wins, the other is reported\n"
    "  errors.jsonl    one line per id that failed and completed in no folder (an id that\n"
    "                  failed in one shard and completed in another is in results only)\n"
    "  images/         each kept result's images/<id>/ folder, hard-linked when on the same\n"
    "                  file system, else copied; \"files\" paths in results stay valid\n"
    "  journal.jsonl   the shards' journals, so resuming picks up their background jobs\n"
    "  run.json        counts and tokens summed, latency histograms merged exactly (p50,\n"
    "                  p95, p99 recomputed), started = earliest, ended = latest, and under\n"
    "                  \"merge\": the folders with their options, duplicates, missing ids\n"
    "Lines are streamed, never loaded whole; memory grows only with the number of ids.\n"
    "Files go to OUTDIR/.merge-tmp first and are renamed into place, run.json last, so an\n"
    "interrupted merge leaves no half file (merge again with --force).\n"
    "\n"
    "The merged folder is an ordinary output folder: to run what is missing or failed,\n"
    "resume it with gembatch run PIPELINE INPUT... -o OUTDIR.\n"
    "\n"
    "Exit status: 0 merged cleanly; 1 merged, but something needs a look: duplicate ids,\n"
    "ids missing from every folder (with --manifest), a shard of a K/N split absent, a\n"
    "shard whose run did not finish, torn or unreadable lines, images left out because\n"
    "a shard's folder or file was a symbolic link (links are never followed; each said\n"
    "on stderr, most in run.json); 2 nothing written: usage, folders of different\n"
    "pipelines, an input that is the output or is being written, OUTDIR already holding\n"
    "outputs without --force;\n"
    "3 a read or write failed midway (no file in OUTDIR is left half written).\n"
    "\n"
    "Examples:\n"
    "  for k in 1 2 3 4; do gembatch run p.json jobs.jsonl --shard $k/4 -o out/s$k & done; wait\n"
    "  gembatch merge out/s1 out/s2 out/s3 out/s4 -o out/all --manifest jobs.jsonl\n";

/* Options that may be repeated are taken out of argv before cli_parse, which
 * keeps only the last value of an option. */
static void take_repeated(const struct cli_opt *opts, const char *name, int argc, char **argv,
                          char **rest, int *nrest, const char **vals, int *nvals)
{
    size_t nl = strlen(name);
    int nr = 0, nv = 0, only_pos = 0;
    for (int i = 0; i < argc; i++) {
        char *a = argv[i];
        if (i == 0 || only_pos || a[0] != '-' || !a[1]) {
            rest[nr++] = a;
            continue;
        }
        if (!strcmp(a, "--")) {
            only_pos = 1;
            rest[nr++] = a;
            continue;
        }
        if (!strncmp(a, "--", 2) && !strncmp(a + 2, name, nl) && a[2 + nl] == '=') {
            vals[nv++] = a + 3 + nl;
            continue;
        }
        if (!strncmp(a, "--", 2) && !strcmp(a + 2, name) && i + 1 < argc) {
            vals[nv++] = argv[++i];
            continue;
        }
        rest[nr++] = a;
        /* skip the value of another option so a value is never read as a flag */
        for (const struct cli_opt *o = opts; o->longname || o->shortname; o++) {
            int takes = o->kind != CLI_FLAG && o->kind != CLI_HELP;
            int is = (a[1] == '-' && o->longname && !strcmp(a + 2, o->longname)) ||
                     (a[1] != '-' && !a[2] && a[1] == o->shortname);
            if (is && takes && i + 1 < argc) {
                rest[nr++] = argv[++i];
                break;
            }
        }
    }
    *nrest = nr;
    *nvals = nv;
}

int cmd_merge(int argc, char **argv)
{
    const char *out = NULL, *last_manifest = NULL;
    int force = 0, copy = 0, quiet = 0;
    long list_max = 20;
    const struct cli_opt opts[] = {
        {'o', "out", CLI_STR, &out, "DIR", "the merged output folder (required; new, or --force)",
         0, 0, NULL},
        {0, "manifest", CLI_STR, &last_manifest, "FILE",
         "a JSONL manifest of the run, to list ids in no folder (repeatable)", 0, 0, NULL},
        {0, "force", CLI_FLAG, &force, NULL,
         "replace the outputs DIR already holds (default: refuse)", 0, 0, NULL},
        {0, "copy", CLI_FLAG, &copy, NULL,
         "copy images (default: hard links when on one file system)", 0, 0, NULL},
        {0, "list", CLI_INT, &list_max, "N",
         "ids listed on stderr per problem (default 20; run.json: 1000)", 0, 1000000, NULL},
        {'q', "quiet", CLI_FLAG, &quiet, NULL, "no summary; problems are still reported", 0, 0,
         NULL},
        CLI_END};
    const struct cli_cmd cmd = {"merge", "OUTDIR... -o OUTDIR [--manifest FILE]... [options]",
                                "Combine the output folders of shards into one.", details, opts};
    char **rest = calloc((size_t)argc + 1, sizeof *rest);
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    const char **manifests = calloc((size_t)argc + 1, sizeof *manifests);
    int nrest = 0, npos = 0, nman = 0, outcome = GB_USAGE;
    struct gb_err err = {0};
    if (!rest || !pos || !manifests)
        goto out;
    take_repeated(opts, "manifest", argc, argv, rest, &nrest, manifests, &nman);
    int rc = cli_parse(&cmd, nrest, rest, pos, &npos);
    if (rc) {
        outcome = rc == CLI_HELP_SHOWN ? GB_DONE : GB_USAGE;
        goto out;
    }
    if (last_manifest) /* take_repeated takes every --manifest; kept for safety */
        manifests[nman++] = last_manifest;
    if (!npos) {
        cli_usage_error(&cmd, "no OUTDIR to merge given");
        goto out;
    }
    if (!out) {
        cli_usage_error(&cmd, "no output folder given; add -o OUTDIR");
        goto out;
    }
    log_set_quiet(quiet);
    struct merge_opts mo = {pos, npos, out, manifests, nman, force, copy, quiet, list_max};
    outcome = merge_run(&mo, &err);
    if (outcome == GB_USAGE || outcome == GB_ABORTED)
        log_err(&err);
out:
    free(manifests);
    free(pos);
    free(rest);
    return outcome;
}
