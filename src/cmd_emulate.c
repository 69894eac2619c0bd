/* cmd_emulate.c: `gembatch emulate`. Placeholder until its issue lands. */
#include "cmd.h"

#include <stdio.h>

int cmd_emulate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "gembatch: 'emulate' is not implemented yet\n");
    return GB_USAGE;
}
