/* cli.c: option parsing and --help printing from one table per subcommand.
 * Accepts --long VALUE, --long=VALUE, -x VALUE, -xVALUE and "--". Never
 * exits: errors are printed and reported to the caller. */
#include "cli.h"
#include "cmd.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

void cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (cmd && cmd->name)
        fprintf(stderr, "gembatch: %s\ntry 'gembatch %s --help'\n", msg, cmd->name);
    else
        fprintf(stderr, "gembatch: %s\ntry 'gembatch --help'\n", msg);
}

int cli_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || !isfinite(v))
        return -1;
    double mul = 1;
    switch (*end) {
    case 'k': case 'K': mul = 1024.0; end++; break;
    case 'm': case 'M': mul = 1024.0 * 1024; end++; break;
    case 'g': case 'G': mul = 1024.0 * 1024 * 1024; end++; break;
    case 't': case 'T': mul = 1024.0 * 1024 * 1024 * 1024; end++; break;
    }
    if (*end == 'i' || *end == 'I')
        end++;
    if (*end == 'b' || *end == 'B')
        end++;
    if (*end)
        return -1;
    v *= mul;
    if (v > 9.2e18)
        return -1;
    *out = (uint64_t)v;
    return 0;
}

int cli_parse_duration(const char *s, double *out_s)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0 || !isfinite(v))
        return -1;
    double mul = 1;
    switch (*end) {
    case 's': end++; break;
    case 'm': mul = 60; end++; break;
    case 'h': mul = 3600; end++; break;
    case 'd': mul = 86400; end++; break;
    case 'w': mul = 7 * 86400; end++; break;
    }
    if (*end)
        return -1;
    *out_s = v * mul;
    return 0;
}

static const struct cli_opt *find_long(const struct cli_opt *o, const char *name, size_t len)
{
    for (; o->longname || o->shortname; o++)
        if (o->longname && strlen(o->longname) == len && !strncmp(o->longname, name, len))
            return o;
    return NULL;
}

static const struct cli_opt *find_short(const struct cli_opt *o, char c)
{
    for (; o->longname || o->shortname; o++)
        if (o->shortname == c)
            return o;
    return NULL;
}

static void optname(const struct cli_opt *o, char *buf, size_t n)
{
    if (o->longname)
        snprintf(buf, n, "--%s", o->longname);
    else
        snprintf(buf, n, "-%c", o->shortname);
}

static int store(const struct cli_cmd *cmd, const struct cli_opt *o, const char *val)
{
    char name[64];
    optname(o, name, sizeof name);
    char *end;
    switch (o->kind) {
    case CLI_FLAG:
    case CLI_HELP:
        *(int *)o->dest = 1;
        break;
    case CLI_INT: {
        errno = 0;
        long v = strtol(val, &end, 10);
        if (end == val || *end || errno) {
            cli_usage_error(cmd, "'%s' takes a whole number, not '%s'", name, val);
            return -1;
        }
        if ((o->min || o->max) && (v < o->min || v > o->max)) {
            cli_usage_error(cmd, "'%s' must be between %.0f and %.0f, not %ld", name, o->min,
                            o->max, v);
            return -1;
        }
        *(long *)o->dest = v;
        break;
    }
    case CLI_DOUBLE: {
        errno = 0;
        double v = strtod(val, &end);
        if (end == val || *end || errno || !isfinite(v)) {
            cli_usage_error(cmd, "'%s' takes a number, not '%s'", name, val);
            return -1;
        }
        if ((o->min || o->max) && (v < o->min || v > o->max)) {
            cli_usage_error(cmd, "'%s' must be between %g and %g, not %g", name, o->min, o->max,
                            v);
            return -1;
        }
        *(double *)o->dest = v;
        break;
    }
    case CLI_STR:
        *(const char **)o->dest = val;
        break;
    case CLI_SIZE:
        if (cli_parse_size(val, (uint64_t *)o->dest)) {
            cli_usage_error(cmd, "'%s' takes a size such as 512K, 64M or 2G, not '%s'", name,
                            val);
            return -1;
        }
        if ((o->min || o->max) && ((double)*(uint64_t *)o->dest < o->min ||
                                   (double)*(uint64_t *)o->dest > o->max)) {
            char bytes[48] = "";
            if (val[strspn(val, "0123456789")]) /* a suffix: the bytes it means */
                snprintf(bytes, sizeof bytes, " (%llu bytes)",
                         (unsigned long long)*(uint64_t *)o->dest);
            cli_usage_error(cmd, "'%s' must be between %.0f and %.0f bytes, not %s%s", name,
                            o->min, o->max, val, bytes);
            return -1;
        }
        break;
    }
    if (o->seen)
        *o->seen = 1;
    return 0;
}

static int takes_arg(const struct cli_opt *o)
{
    return o->kind != CLI_FLAG && o->kind != CLI_HELP;
}

int cli_parse(const struct cli_cmd *cmd, int argc, char **argv, char **pos, int *npos)
{
    int np = 0, only_pos = 0;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (only_pos || a[0] != '-' || a[1] == '\0') { /* "-" is stdin, a positional */
            pos[np++] = a;
            continue;
        }
        if (a[1] == '-' && a[2] == '\0') {
            only_pos = 1;
            continue;
        }
        const struct cli_opt *o;
        const char *val = NULL;
        if (a[1] == '-') {
            const char *name = a + 2;
            const char *eq = strchr(name, '=');
            size_t len = eq ? (size_t)(eq - name) : strlen(name);
            o = find_long(cmd->opts, name, len);
            if (!o && len == 4 && !strncmp(name, "help", 4)) {
                cli_help(cmd, stdout);
                return CLI_HELP_SHOWN;
            }
            if (!o) {
                cli_usage_error(cmd, "unknown option '--%.*s'", (int)len, name);
                return -1;
            }
            if (eq) {
                if (!takes_arg(o)) {
                    cli_usage_error(cmd, "'--%s' takes no value", o->longname);
                    return -1;
                }
                val = eq + 1;
            }
        } else {
            o = find_short(cmd->opts, a[1]);
            if (!o && a[1] == 'h' && a[2] == '\0') {
                cli_help(cmd, stdout);
                return CLI_HELP_SHOWN;
            }
            if (!o) {
                cli_usage_error(cmd, "unknown option '-%c'", a[1]);
                return -1;
            }
            if (a[2]) {
                if (!takes_arg(o)) {
                    cli_usage_error(cmd, "'-%c' takes no value; give short flags one by one",
                                    a[1]);
                    return -1;
                }
                val = a + 2;
            }
        }
        if (o->kind == CLI_HELP) {
            cli_help(cmd, stdout);
            return CLI_HELP_SHOWN;
        }
        if (takes_arg(o) && !val) {
            if (i + 1 >= argc) {
                char name[64];
                optname(o, name, sizeof name);
                cli_usage_error(cmd, "'%s' needs a value (%s)", name,
                                o->argname ? o->argname : "VALUE");
                return -1;
            }
            val = argv[++i];
        }
        if (store(cmd, o, val))
            return -1;
    }
    *npos = np;
    return 0;
}

void cli_help(const struct cli_cmd *cmd, FILE *out)
{
    fprintf(out, "usage: gembatch %s %s\n\n%s\n", cmd->name, cmd->synopsis, cmd->summary);
    if (cmd->opts && (cmd->opts->longname || cmd->opts->shortname)) {
        fprintf(out, "\noptions:\n");
        for (const struct cli_opt *o = cmd->opts; o->longname || o->shortname; o++) {
            char left[96];
            int n = 0;
            if (o->shortname && o->longname)
                n = snprintf(left, sizeof left, "-%c, --%s", o->shortname, o->longname);
            else if (o->longname)
                n = snprintf(left, sizeof left, "    --%s", o->longname);
            else
                n = snprintf(left, sizeof left, "-%c", o->shortname);
            if (takes_arg(o) && n > 0 && (size_t)n < sizeof left)
                snprintf(left + n, sizeof left - (size_t)n, " %s",
                         o->argname ? o->argname : "VALUE");
            if (strlen(left) > 26)
                fprintf(out, "  %s\n  %-26s  %s\n", left, "", o->help ? o->help : "");
            else
                fprintf(out, "  %-26s  %s\n", left, o->help ? o->help : "");
        }
    }
    fprintf(out, "  %-26s  %s\n", "-h, --help", "show this help and exit");
    if (cmd->details)
        fprintf(out, "\n%s", cmd->details);
}

char **cli_args(const struct cli_cmd *cmd, int argc, char **argv, int *npos, int *outcome)
{
    *npos = 0;
    *outcome = GB_USAGE;
    char **pos = calloc((size_t)argc + 1, sizeof *pos);
    if (!pos)
        return NULL;
    int rc = cli_parse(cmd, argc, argv, pos, npos);
    if (rc) {
        *outcome = rc == CLI_HELP_SHOWN ? GB_DONE : GB_USAGE;
        free(pos);
        return NULL;
    }
    return pos;
}
