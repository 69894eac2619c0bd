/* cmd_validate.c: `gembatch validate`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_validate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'validate' is not implemented yet\n");
    return GB_USAGE;
}
