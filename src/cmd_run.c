/* cmd_run.c: `gembatch run`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_run(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'run' is not implemented yet\n");
    return GB_USAGE;
}
