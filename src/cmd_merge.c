/* cmd_merge.c: `gembatch merge`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_merge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'merge' is not implemented yet\n");
    return GB_USAGE;
}
