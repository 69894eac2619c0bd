/* cli.h: option tables shared by every subcommand. The same table drives the
 * parser and the --help text, so the two cannot drift (git parse-options).
 * Ownership: parsed strings point into argv; nothing is allocated. */
#ifndef GB_CLI_H
#define GB_CLI_H

#include <stdint.h>
#include <stdio.h>

enum cli_kind {
    CLI_FLAG,   /* int *: set to 1 */
    CLI_INT,    /* long *: decimal, checked against [min, max] */
    CLI_DOUBLE, /* double *: checked against [min, max] */
    CLI_STR,    /* const char **: points into argv */
    CLI_SIZE,   /* uint64_t *: bytes, with K/M/G/T suffix (powers of 1024) */
    CLI_HELP,   /* prints help, parse returns CLI_HELP_SHOWN */
};

struct cli_opt {
    char shortname;       /* 0 for none */
    const char *longname; /* without the dashes */
    enum cli_kind kind;
    void *dest;
    const char *argname;  /* shown in help: "N", "DIR" */
    const char *help;     /* one line; say the default in it */
    double min, max;      /* for CLI_INT / CLI_DOUBLE / CLI_SIZE (both 0: unchecked) */
    int *seen;            /* optional: set to 1 when the option was given */
};

#define CLI_END {0, NULL, CLI_FLAG, NULL, NULL, NULL, 0, 0, NULL}
#define CLI_HELP_SHOWN 1

struct cli_cmd {
    const char *name;     /* "run" */
    const char *synopsis; /* "PIPELINE INPUT... [-o OUTDIR] [options]" */
    const char *summary;  /* one line */
    const char *details;  /* printed after the options (examples, notes); may be NULL */
    const struct cli_opt *opts;
};

/* Parse argv[1..argc-1] (argv[0] is the subcommand name). Positional
 * arguments are compacted to the front of pos (which must hold argc
 * pointers); *npos gets their count. Returns 0, CLI_HELP_SHOWN after printing
 * help to stdout, or -1 after printing a usage error to stderr. */
int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, char **pos, int *npos);
/* cli_parse with the positional array made for it: the array (the caller
 * frees it) with *npos set, or NULL with *outcome set to GB_DONE after the
 * help was shown and GB_USAGE otherwise (a usage error was printed, or no
 * memory), nothing left to free. */
char **cli_args(const struct cli_cmd *cmd, int argc, char **argv, int *npos, int *outcome);

void cli_help(const struct cli_cmd *cmd, FILE *out);

/* "gembatch: <msg>\ntry 'gembatch <cmd> --help'" on stderr. */
void cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* "1.5G", "64M", "1024" -> bytes. 0 on success, -1 if malformed. */
int cli_parse_size(const char *s, uint64_t *out);
/* "30m", "12h", "7d", "2w", "90s" or "90" (seconds) -> seconds. 0, or -1. */
int cli_parse_duration(const char *s, double *out_s);

#endif
