/* cmd_delete.c: `gembatch delete`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_delete(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'delete' is not implemented yet\n");
    return GB_USAGE;
}
