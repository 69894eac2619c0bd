/* cmd_get.c: `gembatch get`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_get(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'get' is not implemented yet\n");
    return GB_USAGE;
}
