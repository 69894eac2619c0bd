/* cmd_report.c: `gembatch report OUTDIR [-o FILE]`: parse the flags and hand
 * over to report.c, which writes one self-contained HTML page of a run's
 * output folder (or a merged one). Reads OUTDIR; writes only the page. */
#include "cli.h"
#include "cmd.h"
#include "fsx.h"
#include "log.h"
#include "report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char details[] =
    "The page holds everything inline (style, script, charts as SVG) and makes no network\n"
    "request: open it from disk, mail it, or keep it as a CI artifact. Generated images are\n"
    "linked by paths relative to the page, so keep it beside the output folder (the default\n"
    "place, OUTDIR/report.html, is).\n"
    "\n"
    "What it shows, from run.json, results.jsonl and errors.jsonl:\n"
    "  the figures      jobs, completed, failed, in doubt, wall time, tokens, latency\n"
    "                   p50/p95/p99, cost and cache hits when run.json has them\n"
    "  answers          per field of the structured outputs: values of enums and booleans\n"
    "                   as bars, numbers as histograms, text as its most frequent values\n"
    "  images           a contact sheet of the generated files (the first 1,000)\n"
    "  timing           latency histogram with p50/p95/p99, throughput over time\n"
    "  retries, errors  jobs by attempts, re-asks, HTTP statuses; failures by code with\n"
    "                   their first messages and manifest lines\n"
    "  results table    searchable, sortable, paged; at most --max-rows rows (an even\n"
    "                   sample past that, and the page says so)\n"
    "Both files are read twice, a line at a time: memory stays bounded whatever the run's\n"
    "size. Figures and charts need no JavaScript; only the table uses it.\n"
    "\n"
    "Exit status: 0 written; 1 written, but some lines were unreadable (torn or not JSON:\n"
    "said on stderr and on the page); 2 OUTDIR is not an output folder or a usage error;\n"
    "3 the page could not be written.\n"
    "\n"
    "Examples:\n"
    "  gembatch report out/classify-images\n"
    "  gembatch report out/all -o /tmp/all.html --max-rows 20000\n"
    "  gembatch run pipelines/classify-images.json samples/images.jsonl --emulator --report\n";

int cmd_report(int argc, char **argv)
{
    const char *out = NULL;
    long max_rows = REPORT_MAX_ROWS_DEFAULT;
    int quiet = 0;
    const struct cli_opt opts[] = {
        {'o', "out", CLI_STR, &out, "FILE", "where to write the page (default OUTDIR/report.html)",
         0, 0, NULL},
        {0, "max-rows", CLI_INT, &max_rows, "N",
         "rows of the results table (default 100000; an even sample past it)", 1, 10000000,
         NULL},
        {'q', "quiet", CLI_FLAG, &quiet, NULL, "no summary line", 0, 0, NULL},
        CLI_END};
    const struct cli_cmd cmd = {"report", "OUTDIR [-o FILE] [options]",
                                "Write a self-contained HTML report of a run's output folder.",
                                details, opts};
    int npos = 0, outcome = GB_USAGE;
    struct gb_err err = {0};
    struct report_info info = {0};
    char **pos = cli_args(&cmd, argc, argv, &npos, &outcome);
    if (!pos)
        return outcome;
    if (npos != 1) {
        cli_usage_error(&cmd, npos ? "give one OUTDIR, not %d" : "no OUTDIR given", npos);
        goto out;
    }
    log_set_quiet(quiet);
    struct report_opts o = {pos[0], out, max_rows};
    int rc = report_build(&o, &info, &err);
    if (rc) {
        log_err(&err);
        outcome = rc == GB_EIO || rc == GB_ENOMEM ? GB_ABORTED : GB_USAGE;
        goto out;
    }
    char *page = out ? strdup(out) : fsx_join(pos[0], "report.html");
    log_info("report of %lld results and %lld failures (%lld table rows, %.1f MiB) in %s",
             info.results, info.errors, info.rows, (double)info.bytes / 1048576.0,
             page ? page : "?");
    free(page);
    outcome = info.bad_lines ? GB_SOME_FAILED : GB_DONE;
out:
    free(pos);
    return outcome;
}
